"""What TeX a spec may contain, decided by reading it token by token as TeX would.

Spec text reaches TeX in two forms: prose (escaped, so it is plain text) and `$…$` math,
which is passed on. Math is read here with TeX's own lexical rules: a control sequence is a
backslash followed by letters or by one other character, `^^` introduces a character code
(so `^^5cinput` *is* `\\input`), `%` starts a comment and `#` is a macro parameter. Only the
commands and environments of `COMMANDS` and `ENVIRONMENTS` are accepted: everything that
could read or write a file, redefine a command, a catcode or a mathcode, or loop is simply
absent from them. Non-ASCII characters are accepted when `unicode_to_tex` can typeset them.
"""

from __future__ import annotations

import logging
import re
import unicodedata

from pylatexenc.latexencode import unicode_to_latex

# An unknown character is reported by us, with its name and where it is; not also logged.
logging.getLogger("pylatexenc.latexencode._unicode_to_latex_encoder").setLevel(logging.ERROR)

# Math commands of LaTeX with amsmath and amssymb (the packages the document loads).
COMMANDS = frozenset(re.findall(r"\S+", """
alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi
pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta Theta
Lambda Xi Pi Sigma Upsilon Phi Psi Omega
times cdot div pm mp ast star circ bullet odot otimes oplus ominus oslash wedge vee cap cup
setminus dagger ddagger amalg sqcap sqcup uplus
leq le geq ge neq ne approx sim simeq cong equiv propto ll gg prec succ preceq succeq
subset supset subseteq supseteq in notin ni mid nmid parallel perp models vdash dashv
to rightarrow leftarrow leftrightarrow Rightarrow Leftarrow Leftrightarrow mapsto implies
iff longrightarrow longleftarrow Longrightarrow uparrow downarrow nearrow searrow
forall exists nexists neg lnot emptyset varnothing infty partial nabla ell hbar imath
jmath Re Im aleph prime top bot intercal angle triangle square blacksquare checkmark
ldots cdots vdots ddots dots dotsc dotsb colon
sum prod coprod int iint oint bigcup bigcap bigoplus bigotimes bigodot bigvee bigwedge
lim liminf limsup sup inf max min arg argmax argmin det exp log ln lg sin cos tan sec csc
cot arcsin arccos arctan sinh cosh tanh coth dim ker deg gcd Pr hom
frac dfrac tfrac binom dbinom tbinom sqrt
left right middle big Big bigg Bigg bigl bigr Bigl Bigr biggl biggr Biggl Biggr
langle rangle lceil rceil lfloor rfloor lvert rvert lVert rVert vert Vert backslash
mathbf mathrm mathit mathsf mathtt mathbb mathcal mathfrak boldsymbol text textrm textit
textbf operatorname
hat bar tilde vec dot ddot check breve acute grave widehat widetilde overline underline
overbrace underbrace overrightarrow overleftarrow
quad qquad displaystyle textstyle scriptstyle limits nolimits
begin end
"""))

# Control symbols: a backslash and one non-letter (spaces, braces, escaped specials, \\).
SYMBOLS = frozenset([*re.findall(r"\S", r",;:!{}|\%_&#$"), " "])

ENVIRONMENTS = frozenset({"matrix", "pmatrix", "bmatrix", "Bmatrix", "vmatrix", "Vmatrix",
                          "smallmatrix", "cases", "aligned", "array"})

# TeX tokens: a control word or symbol, a character-code escape, a comment, a parameter.
_TOKEN = re.compile(r"\\([A-Za-z]+|.?)|(\^\^)|(%)|(#)", re.DOTALL)
_ENV_NAME = re.compile(r"\s*\{([A-Za-z*]*)\}")


def check_math(math: str) -> None:
    """Raise ValueError naming the first token of `math` that is not allowed."""
    for m in _TOKEN.finditer(math):
        word, escape, comment, parameter = m.groups()
        if escape:
            raise ValueError("'^^' is not allowed in math: TeX reads it as a character code "
                             "(^^5c is a backslash); write the character itself")
        if comment:
            raise ValueError("'%' starts a TeX comment; write \\% for a percent sign")
        if parameter:
            raise ValueError("'#' is not allowed in math; write \\# for the sign")
        assert word is not None
        if len(word) != 1 or word.isalpha():
            if word not in COMMANDS:
                raise ValueError(f"'\\{word}' is not allowed in math (the math commands of "
                                 "amsmath and amssymb are; no definitions, files or loops)")
            if word in {"begin", "end"}:
                env = _ENV_NAME.match(math, m.end())
                if env is None or env.group(1) not in ENVIRONMENTS:
                    name = env.group(1) if env else ""
                    raise ValueError(f"environment '{name}' is not allowed in math (allowed: "
                                     f"{', '.join(sorted(ENVIRONMENTS))})")
        elif word not in SYMBOLS:
            raise ValueError(f"'\\{word}' is not allowed in math")


# Latin-1 and the letters of Latin Extended-A: LaTeX's utf8 input with T1 fonts typesets
# them as they are.
def _native(ch: str) -> bool:
    return 0xA0 < ord(ch) <= 0xFF or (ord(ch) <= 0x17F and unicodedata.category(ch)[0] == "L")


# Symbols whose text form is not valid in math.
_MATH_FORMS = {"→": r"\to", "←": r"\leftarrow", "×": r"\times", "÷": r"\div", "·": r"\cdot",
               "…": r"\ldots", "°": r"^{\circ}", "−": "-", "′": "'", "″": "''", "⋅": r"\cdot"}


def unicode_to_tex(ch: str, math: bool) -> str:
    """TeX for one non-ASCII character, in text or in math; ValueError naming it if none."""
    if math and ch in _MATH_FORMS:
        return _MATH_FORMS[ch]
    if _native(ch):
        return rf"\text{{{ch}}}" if math else ch
    out = unicode_to_latex(ch, non_ascii_only=True, unknown_char_policy=lambda c: "\0")
    if "\0" in out:
        name = unicodedata.name(ch, "unnamed character")
        raise ValueError(f"character {ch!r} (U+{ord(ch):04X} {name}) cannot be typeset; "
                         "write it with LaTeX math or leave it out")
    inner = re.fullmatch(r"\\ensuremath\{(.*)\}", out)
    if inner:
        return inner.group(1) if math else out
    return rf"\text{{{out}}}" if math else out


def unicode_prepared(text: str) -> str:
    """`text` in NFC (a combining accent joined to its letter); ValueError for a character
    that joins nothing and cannot be typeset."""
    text = unicodedata.normalize("NFC", text)
    for ch in text:
        if ch not in "\n\t" and unicodedata.category(ch) in {"Cc", "Cf", "Mn", "Cs", "Co", "Cn"}:
            name = unicodedata.name(ch, "unnamed character")
            raise ValueError(f"character U+{ord(ch):04X} ({name}) is invisible or a control "
                             "character; remove it")
    return text
