"""Sigmoid layers of realistic size: the checker reads the layer's sums (a, z, ∂L/∂z) as
computed arrays, so a 100 × 100 layer is derived and every step checked in seconds, and a
broken formula still fails there."""

from __future__ import annotations

import pytest
import sympy as sp

from derive.models import dense as D
from derive.models.dense import DenseSigmoid
from derive.questions import KINDS
from derive.questions.declare import Derived, verify_derivation

BIG = {"inputs": 100, "outputs": 100}            # 10⁴ weights, the limit


def _given(name: str, sizes: dict[str, int]) -> Derived:
    given = KINDS[name].given.model_validate(sizes)
    assert isinstance(given, Derived)
    return given


@pytest.mark.parametrize("name", ["dense_sigmoid.grad_input", "dense_sigmoid.grad_weight",
                                  "dense_sigmoid.hessian_diagonal"])
def test_a_layer_of_ten_thousand_weights_is_checked_step_by_step(name: str) -> None:
    given = _given(name, BIG)
    d = given.derive()
    check = verify_derivation(d, given)
    assert check.passed, check.detail
    checked = [s.check for s in d.steps if s.check is not None]
    assert len(checked) == len(d.steps) - len(d.chains())          # every step after a first
    assert all(c.passed and c.samples > 0 for c in checked)
    assert not any(s.rhs.has(D.x[99]) for s in d.steps)           # no layer written out


def test_limits() -> None:
    for name in ("dense_sigmoid.grad_input", "dense_sigmoid.grad_weight",
                 "dense_sigmoid.hessian_diagonal"):
        _given(name, BIG)
        with pytest.raises(ValueError, match="at most 10,000"):
            _given(name, {"inputs": 101, "outputs": 100})
    _given("dense_sigmoid.hessian_cross", {"inputs": 10, "outputs": 10})
    with pytest.raises(ValueError, match="at most 100"):
        _given("dense_sigmoid.hessian_cross", {"inputs": 11, "outputs": 10})


def _sign_in_second(self: DenseSigmoid) -> sp.Expr:
    s = D.sigma_prime_of(D.z[D.j])
    return D.x[D.i] ** 2 * s * (s * D.d2Ldz[D.j, D.j] + (2 * D.z[D.j] - 1) * D.dLdz[D.j])


BROKEN = [
    ("dense_sigmoid.hessian_diagonal", "hessian_diagonal", _sign_in_second),
    ("dense_sigmoid.hessian_diagonal", "hessian_diagonal",     # dropped the x_i² factor
     lambda self: D.sigma_prime_of(D.z[D.j]) * (D.sigma_prime_of(D.z[D.j]) * D.d2Ldz[D.j, D.j]
                                              + (1 - 2 * D.z[D.j]) * D.dLdz[D.j])),
    ("dense_sigmoid.hessian_diagonal", "hessian_diagonal",     # swapped indices
     lambda self: D.x[D.j] ** 2 * D.sigma_prime_of(D.z[D.i]) * (
         D.sigma_prime_of(D.z[D.i]) * D.d2Ldz[D.i, D.i] + (1 - 2 * D.z[D.i]) * D.dLdz[D.i])),
]


@pytest.mark.parametrize(("name", "method", "broken"), BROKEN)
def test_a_broken_formula_fails_at_ten_thousand_weights(name: str, method: str, broken: object,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(DenseSigmoid, method, broken)
    given = _given(name, BIG)
    d = given.derive()
    assert not verify_derivation(d, given).passed
    failed = [s for s in d.steps if s.check is not None and not s.check.passed]
    assert failed and failed[0].rule == "simplify"                 # the faulty step is named


@pytest.mark.parametrize("name", ["dense_sigmoid.grad_input", "dense_sigmoid.grad_weight"])
def test_a_wrong_sigma_prime_fails_at_ten_thousand_weights(
        name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from derive.derivation.rules import RULES, Rule
    from derive.models.symbols import sigmoid_prime

    def wrong(expr: sp.Basic, names: dict | None = None, **_: object) -> sp.Basic:
        names = dict(names or {})
        return expr.replace(lambda e: isinstance(e, sigmoid_prime),
                            lambda e: names.get(e.args[0], e.args[0]) ** 2)

    monkeypatch.setitem(RULES, "sigma_prime", Rule("sigma_prime", wrong))  # type: ignore[arg-type]
    given = _given(name, BIG)
    d = given.derive()
    assert not verify_derivation(d, given).passed
    failed = [s for s in d.steps if s.check is not None and not s.check.passed]
    assert failed and failed[0].rule == "sigma_prime"
