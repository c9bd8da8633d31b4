# The two commands of the README: `make build` and `make test`.
# Both install what is missing first; re-running them is fast when nothing is.
PYTHON ?= python3
DEB_PACKAGES = texlive-latex-base texlive-latex-recommended texlive-latex-extra \
               texlive-pictures texlive-science texlive-lang-french lmodern latexmk poppler-utils
STAMP = .make

.PHONY: setup build test lint bench clean

$(STAMP)/deb:
	@mkdir -p $(STAMP)
	@if ! command -v latexmk >/dev/null || ! command -v pdftoppm >/dev/null \
	    || ! dpkg -s $(DEB_PACKAGES) >/dev/null 2>&1; then \
	  apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(DEB_PACKAGES); \
	fi
	@touch $@

$(STAMP)/py: pyproject.toml
	@mkdir -p $(STAMP)
	PIP_BREAK_SYSTEM_PACKAGES=1 $(PYTHON) -m pip install -q --disable-pip-version-check -e '.[test]'
	@touch $@

setup: $(STAMP)/deb $(STAMP)/py

build: setup
	$(PYTHON) -m derive build specs --out out

lint: $(STAMP)/py
	$(PYTHON) -m ruff check derive tests bench
	$(PYTHON) -m mypy

test: setup lint
	$(PYTHON) -m pytest

bench: $(STAMP)/py
	$(PYTHON) bench/run.py

clean:
	rm -rf out $(STAMP)
