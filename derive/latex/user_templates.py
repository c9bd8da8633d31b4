"""A spec's own templates: a folder searched before the package's templates, so that an
instructor can restyle a layout (`layouts/homework.tex.j2`) or reword a string
(`strings/fr.yaml`, only the keys it changes) without touching derive.

The folder is `meta.templates` (relative to the spec's folder) or, without it, `templates/`
next to the spec when there is one. It must lie inside the spec's folder, links included.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from derive.errors import Problem, SpecError, did_you_mean
from derive.latex.environment import strings
from derive.spec import LoadedSpec
from derive.specfile import read_yaml


def templates_folder(loaded: LoadedSpec) -> Path | None:
    """The spec's templates folder, resolved, or None when it has none."""
    home = loaded.path.resolve().parent
    named = loaded.spec.meta.templates
    folder = home / (named or "templates")
    if named is None and not folder.is_dir():
        return None
    real = folder.resolve()
    if not real.is_relative_to(home):
        raise _error(loaded, f"{folder} leads outside the spec's folder {home}; a spec's "
                     "templates must be inside its folder")
    if not real.is_dir():
        raise _error(loaded, f"no folder {folder} (expected a folder of templates next to "
                     "the spec)")
    return real


def page_strings(language: str, folder: Path | None, loaded: LoadedSpec) -> dict[str, Any]:
    """The words of `language`, with those of `folder/strings/<language>.yaml` in place of
    the package's (key by key; a key the package does not have is an error)."""
    words = strings(language)
    if folder is None or not (folder / "strings" / f"{language}.yaml").exists():
        return words
    path = folder / "strings" / f"{language}.yaml"
    if not path.resolve().is_relative_to(folder):
        raise _error(loaded, f"{path} leads outside the templates folder {folder}")
    mine = read_yaml(path)
    merged = copy.deepcopy(words)
    problems = list(_override(merged, mine if isinstance(mine, dict) else {}, str(path), ""))
    if not isinstance(mine, dict):
        problems.append(Problem(str(path), None, "", "expected a mapping of strings"))
    if problems:
        raise SpecError(problems)
    return merged


def _override(words: dict[str, Any], mine: dict[str, Any], file: str, where: str):
    """Put `mine` into `words`, yielding a Problem for each key `words` does not have."""
    for key, value in mine.items():
        path = f"{where}.{key}" if where else str(key)
        if key not in words:
            yield Problem(file, None, path, f"unknown string{did_you_mean(str(key), words)}")
        elif isinstance(words[key], dict) and isinstance(value, dict):
            yield from _override(words[key], value, file, path)
        elif isinstance(words[key], dict) != isinstance(value, dict):
            yield Problem(file, None, path, "expected " + (
                "a mapping" if isinstance(words[key], dict) else "a string, not a mapping"))
        else:
            words[key] = _plain(value)


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return str(value) if isinstance(value, str) else value


def _error(loaded: LoadedSpec, message: str) -> SpecError:
    return SpecError([Problem(str(loaded.path), None, "meta.templates", message)])
