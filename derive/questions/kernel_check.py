"""Any kernel k(x, y) a user writes, on ℝ^d or on a finite set of points: is it p.d., is it
c.p.d.? A verdict with its evidence, never a guess.

On a finite set the Gram matrix of all its points is the whole kernel: SymPy decides exactly
(rational entries) or to 50 digits. On ℝ^d, a kernel recognised as built from p.d. pieces
(`derive.models.kernel_structure`) gets a proof, each separable piece's identity checked; else
a search for a counterexample (`derive.models.kernel_search`); when neither settles it, the
verdict is "undecided", with what was tried."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import numpy as np
import sympy as sp
from pydantic import Field, PrivateAttr, model_validator

from derive.derivation import Derivation, Domain
from derive.latex.printer import tex
from derive.models import function as F
from derive.models import kernel_symbols as S
from derive.models.function import Shown
from derive.models.kernel_search import RANDOM_SETS, STRUCTURED, exact, search
from derive.models.kernel_structure import Piece, cpd_proof, decomposition, pd_proof
from derive.models.kernels import (
    MAX_DIM,
    Kernel,
    projector,
    psd,
    restricted,
    smallest_eigenvalue,
)
from derive.questions.base import NonNegInt
from derive.questions.declare import Derived, kind
from derive.questions.kernel_evidence import (
    N,
    ag,
    conclude,
    counterexample_reference,
    counterexample_steps,
    counterexample_value,
    hidden_verdict,
    holds,
    note,
    point_tex,
    proof_derivation,
    setup,
    start,
)
from derive.verify import kernel_reference as R

MAX_POINTS = 12
xs = sp.IndexedBase(S.Label("xs", "x"))
i, j = S.i, S.j


@kind("kernel.check", "Is a kernel k(x, y) p.d. or c.p.d.? Proof, counterexample or undecided.",
      {"kernel": "exp(-(x - y)**2)", "property": "pd"})
class KernelCheck(Derived):
    kernel: str = Field(description="k(x, y) in SymPy syntax: x, y on ℝ; x1 … xd, y1 … yd on "
                        "ℝ^d; numbers, + - * / **, " + ", ".join(F.FUNCTIONS) + ".")
    property: Literal["pd", "cpd"] = Field("pd", description="p.d. or c.p.d.")
    dim: int = Field(1, ge=1, le=MAX_DIM, strict=True, description="d, for X = ℝ^d.")
    points: list[float | list[float]] | None = Field(
        None, max_length=MAX_POINTS,
        description="A finite set X (numbers, or lists of d numbers): the kernel on X only.")
    seed: NonNegInt = 0
    method: ClassVar[str] = "kernel_check"
    index_base_default: ClassVar[int] = 0
    _found: dict[str, Any] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _readable(self) -> KernelCheck:
        try:
            k = Kernel.parse(self.kernel, self.dim)
        except F.ExpressionError as exc:
            raise ValueError(f"kernel: {exc}") from None
        pts = self.exact_points()
        if pts is not None and len(set(pts)) < len(pts):
            raise ValueError("points: a set has no repeated point")
        fn = k.numpy()
        X = (np.array([[float(c) for c in (p if isinstance(p, tuple) else (p,))] for p in pts])
             if pts is not None else np.random.default_rng(0).normal(size=(12, self.dim)))
        with np.errstate(all="ignore"):
            values = fn(X[:, None, :], X[None, :, :])
        if not np.all(np.isfinite(values)):
            raise ValueError(f"kernel {self.kernel!r} is not a finite real number at every pair "
                             "of points (write a kernel defined on all of the set)")
        return self

    def exact_points(self) -> list[Any] | None:
        if self.points is None:
            return None
        out: list[Any] = []
        for p in self.points:
            coords = p if isinstance(p, list) else [p]
            if len(coords) != self.dim:
                raise ValueError(f"points: {p!r} has {len(coords)} coordinates, dim is {self.dim}")
            exact = [sp.Rational(repr(float(c))) for c in coords]
            out.append(exact[0] if self.dim == 1 else tuple(exact))
        return out

    # the derivation -------------------------------------------------------------------
    def derive(self) -> Derivation:
        k = Kernel.parse(self.kernel, self.dim)
        d = proof_derivation({**{v: Domain() for v in (*k.x, *k.y)},
                              xs: Domain((N + 1,) if self.dim == 1 else (N + 1, self.dim))})
        # marked: the value that settles the question (or the sentence that says it)
        d.marked = frozenset({"finite_low", "asym_qp", "check_eigenvalue", "check_random"})
        setup(d)
        d.say("kernel_check_given", k=tex(k.expr), case=self.property,
              where=r"\mathbb{R}" if self.dim == 1 else rf"\mathbb{{R}}^{{{self.dim}}}")
        d.chain(sp.Function("k")(*k.x, *k.y), k.expr, "definition")
        self._found = {"kernel": k}
        points = self.exact_points()
        pair = None if k.symmetric() else _asymmetric_pair(k, points)
        if pair is not None:
            self.asymmetric(d, k, *pair)
        elif points is not None:
            self.finite(d, k, points)
        else:
            tree = pd_proof(k) if self.property == "pd" else cpd_proof(k)
            if tree is not None:
                self.proof(d, k, tree)
            else:
                self.searched(d, k)
        return d

    def finite(self, d: Derivation, k: Kernel, points: list[Any]) -> None:
        K = k.gram(points)
        M = restricted(K) if self.property == "cpd" else K
        decided = psd(M)
        if decided is False:
            vec = _negative_direction(K, self.property)
            found = exact(k, points, vec, self.property)
            if found is not None:
                self.counterexample(d, k, found, "finite")
                return
            decided = None
        rational = all(e.is_Rational for e in K)
        self._found["verdict"] = "true" if decided else "undecided"
        self._found["evidence"] = ("undecided" if not decided else "exact" if rational
                                   else "50 digits")
        P = projector(K.rows)
        low = smallest_eigenvalue(P * K * P if self.property == "cpd" else K)
        if decided and abs(low) < 1e-30:
            low = sp.Integer(0)
        case = (f"{self.property}_{'exact' if rational else 'digits'}" if decided
                else "undecided")
        note(d, "kernel_check_finite", n=len(points), case=case)
        d.chain(sp.Symbol("K"), sp.ImmutableMatrix(K), "kernel_gram").answer("finite_gram")
        d.steps[-1].display = tex(sp.ImmutableMatrix(K.applyfunc(_approx)))
        name = r"\lambda_{\min}(K)" if self.property == "pd" else r"\lambda_{\min}(\Pi K \Pi)"
        d.chain(Shown(name), low, "kernel_eigen").answer("finite_low")
        d.steps[-1].display = tex(_approx(low))
        self._found |= {"gram": K, "low": low, "points": points}

    def asymmetric(self, d: Derivation, k: Kernel, p: Any, q: Any) -> None:
        """k(p, q) ≠ k(q, p): not symmetric, so neither p.d. nor c.p.d."""
        note(d, "kernel_check_asymmetric", p=point_tex(p), q=point_tex(q))
        for key, (u, v) in (("asym_pq", (p, q)), ("asym_qp", (q, p))):
            value = k.at(u, v)
            d.chain(Shown(f"k({point_tex(u)}, {point_tex(v)})"), value,
                    "kernel_gram").answer(key)
            d.steps[-1].display = tex(value) + ("" if value.is_Rational else
                                                r" \approx " + tex(_approx(value)))
        self._found |= {"verdict": "false", "evidence": "not symmetric", "pair": (p, q)}

    def proof(self, d: Derivation, k: Kernel, tree: Piece) -> None:
        form = decomposition(tree)
        if form != k.expr:
            d.then(form, "kernel_decomposition")
        for piece in tree.walk():
            if piece.reason == "separable":
                assert piece.f is not None
                d.say("kernel_piece_separable", piece=tex(piece.expr), f=tex(piece.f))
                at = lambda e, p, q: e.xreplace(_at(k, p, q))      # noqa: E731
                start(d, S.double_sum(ag[i] * ag[j] * at(piece.expr, i, j)))
                d.then(sp.Sum(ag[i] * at(piece.f, i, i), (i, 1, S.n)) ** 2, "kernel_separable")
            elif piece.reason == "shift":
                note(d, "kernel_piece_shift", g=tex(piece.f), c=tex(piece.c),
                     case="with" if piece.parts else "without")
            else:
                note(d, "kernel_piece", case=piece.reason, piece=tex(piece.expr))
        self._found |= {"verdict": "true", "evidence": "proof"}
        d.say("kernel_check_proved", case=self.property)
        hidden_verdict(d, "check_random")

    def searched(self, d: Derivation, k: Kernel) -> None:
        result = search(k, self.property, self.seed)
        if result.found is not None:
            self.counterexample(d, k, result.found, "search", tried=result.sets)
            return
        self._found |= {"verdict": "undecided", "evidence": "search", "tried": result.sets}
        conclude(d, "kernel_check_undecided", sets=result.sets, random=RANDOM_SETS,
                 structured=", ".join(tex(sp.Rational(v)) for v in STRUCTURED), case=self.property)

    def counterexample(self, d: Derivation, k: Kernel, found: Any, how: str,
                       tried: int = 0) -> None:
        note(d, "kernel_check_refuted", case=how, sets=tried)
        counterexample_steps(d, found, self.property, "check", "k")
        self._found |= {"verdict": "false", "evidence": "counterexample", "cx": found}

    # checks and answers ---------------------------------------------------------------
    def reference(self, data: Mapping[str, Any]) -> dict[str, Any]:
        k = self._found["kernel"]
        out: dict[str, Any] = {}
        if "cx" in self._found:
            out |= counterexample_reference(k, self._found["cx"], self.property, "check")(data)
        if "pair" in self._found:
            p, q = (np.array([float(c) for c in (v if isinstance(v, tuple) else (v,))])
                    for v in self._found["pair"])
            fn = k.numpy()
            out |= {"asym_pq": float(fn(p, q)), "asym_qp": float(fn(q, p))}
        if "gram" in self._found:
            X = np.array([[float(c) for c in (p if isinstance(p, tuple) else (p,))]
                          for p in self._found["points"]])
            out["finite_gram"] = K = R.gram(k.numpy(), X)
            out["finite_low"] = R.smallest(K, zero_sum=self.property == "cpd")
        if self._found.get("evidence") == "proof":
            out["check_random"] = holds(_never_refuted(k, self.property, self.seed))
        return out

    def value(self, answers: dict[str, Any]) -> Any:
        f = self._found
        out: dict[str, Any] = {"claim": f"{self.kernel} is {self.property}",
                               "verdict": f["verdict"], "evidence": f["evidence"]}
        if "cx" in f:
            out |= counterexample_value(f["cx"])
        if "low" in f:
            out["min_eigenvalue"] = float(f["low"])
        if "pair" in f:
            out["pair"] = [float(v) if not isinstance(v, tuple) else [float(c) for c in v]
                           for v in f["pair"]]
        if "tried" in f:
            out["point_sets_tried"] = f["tried"]
        return out


def _asymmetric_pair(k: Kernel, points: list[Any] | None) -> tuple[Any, Any] | None:
    """Two points with k(p, q) ≠ k(q, p) (beyond 30-digit rounding), if the given points or
    the structured ones have such a pair."""
    candidates = points if points is not None else _structured(k.dim)
    for p, q in itertools.combinations(candidates, 2):
        gap = sp.N(k.at(p, q) - k.at(q, p), 30)
        if gap.is_number and abs(gap) > 1e-20:
            return p, q
    return None


def _structured(dim: int) -> list[Any]:
    values = [sp.Rational(v) for v in STRUCTURED]
    return values if dim == 1 else [tuple([v] + [sp.Integer(0)] * (dim - 1)) for v in values]


def _approx(e: sp.Expr) -> sp.Expr:
    return e if e.is_Rational else sp.Float(sp.N(e, 6), 6)


def _at(k: Kernel, p: sp.Expr, q: sp.Expr) -> dict[sp.Symbol, sp.Expr]:
    """x → the point x_p, y → the point x_q (coordinates x_{p,c} on ℝ^d)."""
    if k.dim == 1:
        return {k.x[0]: xs[p], k.y[0]: xs[q]}
    return {**{v: xs[p, c] for c, v in enumerate(k.x)}, **{v: xs[q, c] for c, v in enumerate(k.y)}}


def _negative_direction(K: sp.Matrix, prop: str) -> np.ndarray:
    M = np.array(K.evalf(30).tolist(), dtype=float)
    n = len(M)
    if prop == "cpd":
        P = R.centring(n)
        M = P @ M @ P
    return np.asarray(np.linalg.eigh((M + M.T) / 2)[1][:, 0])


def _never_refuted(k: Kernel, prop: str, seed: int) -> bool:
    """numpy: the Gram matrices of random point sets have no negative eigenvalue (on the
    zero-sum coefficients for c.p.d.) beyond rounding."""
    fn = k.numpy()
    rng = np.random.default_rng(seed + 1)
    for _ in range(30):
        X = rng.normal(scale=rng.choice([0.3, 1.0, 2.0]), size=(int(rng.integers(2, 9)), k.dim))
        K = R.gram(fn, X)
        if R.smallest(K, zero_sum=prop == "cpd") < -1e-7 * max(1.0, float(np.abs(K).max())):
            return False
    return True
