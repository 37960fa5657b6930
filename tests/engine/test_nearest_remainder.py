"""Nearest-mode remainders on narrow regions, and exact integer powers of polynomials.

* In nearest mode the elementwise remainder (:func:`autobound.rules.elementwise.
  remainder_interval`) is computed in plain floating point; only the endpoint formula
  ``R_k(end) = (phi(end) − Σ_{j<k} phi_j h^j) / h^k``, which cancels catastrophically on
  narrow sides, is widened by an a-priori bound of its rounding error.  On regions from
  1e-2 down to 1e-9 wide the remainder must still contain the exact range of R_k (sampled in
  mpmath by :func:`autobound.verify.remainder_range`) up to a few ulps of its size, and be no
  wider than the rigorous outward-mode remainder.
* ``u**n`` for an enclosure u of degree d with ``n·d <= k`` is a polynomial of degree <= k:
  multiplied out (:func:`autobound.rules.smooth.multiplied_out`) it is exact (nearest mode:
  the plain floating-point expansion; outward mode: intervals of a few ulps around it).
  One degree over (u linear, n = k + 1) the product folded at degree k equals the sharp
  rule's enclosure; two or more degrees over, the sharp rule stays (folding is wider).

Both go through the engine's lowering (:func:`autobound.lower.lower`), one scalar input.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from autobound.frontends.sympy_frontend import graph_from_string
from autobound.graph import optimize
from autobound.interval import Interval
from autobound.lower import lower
from autobound.rules import smooth
from autobound.verify import remainder_range

EPS = float(np.finfo(np.float64).eps)


def _bound(text: str, degree: int, rounding: str, x0, lo, hi):
    """Coefficients of the degree-`degree` enclosure of `text` (in x) at each box."""
    fn = lower(optimize(graph_from_string(text)), degree, (), "float64", rounding, True)
    args = (jnp.asarray(np.asarray(v, np.float64)) for v in (x0, lo, hi))
    coeffs, _ = jax.jit(jax.vmap(fn))(*args)
    return coeffs


def _narrow_regions(y0: float):
    out = []
    for d in (1e-2, 1e-4, 1e-6, 1e-9):
        out += [(y0, y0 - d, y0 + d), (y0, y0, y0 + d), (y0, y0 - 0.3 * d, y0 + d)]
    return out


# exp and sigmoid take their derivative ranges from the sign-change tables, sin from interval
# series over pieces (the two code paths of remainder_interval).
@pytest.mark.parametrize("name,y0", [("exp", 0.7), ("sigmoid", 0.4), ("sin", 0.9)])
@pytest.mark.parametrize("k", [2, 4])
def test_nearest_remainder_holds_and_stays_narrow_on_narrow_regions(name, y0, k):
    regions = _narrow_regions(y0)
    x0, a, b = (np.array(v) for v in zip(*regions, strict=True))
    near = _bound(f"{name}(x)", k, "nearest", x0, a, b)[k]
    out = _bound(f"{name}(x)", k, "outward", x0, a, b)[k]
    assert isinstance(near, Interval)
    for i, (c, ai, bi) in enumerate(regions):
        # the sampled ratio cancels ~log2(1/h^k) bits near y0: prec 250 leaves enough at 1e-9
        sampled = remainder_range(name, c, ai, bi, k, prec=250, n=40)
        true_lo, true_hi = (float(v) for v in sampled)
        got_lo, got_hi = float(near.lo[i]), float(near.hi[i])
        slack = 16 * EPS * max(abs(true_lo), abs(true_hi))
        where = (name, k, ai - c, bi - c, got_lo, got_hi, true_lo, true_hi)
        assert got_lo <= true_lo + slack and got_hi >= true_hi - slack, where
        assert got_hi - got_lo <= float(out.hi[i] - out.lo[i]) + slack, where


@pytest.mark.parametrize(
    "text,degree,expansion",
    [
        # (c0 + c1 z)**n expanded exactly in z = x − x0, x0 = 0.75 (all terms exact floats)
        ("x**2", 2, lambda x0: [x0 * x0, 2 * x0, 1.0]),
        ("x**2", 3, lambda x0: [x0 * x0, 2 * x0, 1.0]),  # degree 2 < k: three coefficients
        ("x**3", 3, lambda x0: [x0**3, 3 * x0 * x0, 3 * x0, 1.0]),
        ("x**4", 4, lambda x0: [x0**4, 4 * x0**3, 6 * x0 * x0, 4 * x0, 1.0]),
        ("(2*x + 1)**2", 2, lambda x0: [(2 * x0 + 1) ** 2, 4 * (2 * x0 + 1), 4.0]),
    ],
)
@pytest.mark.parametrize("rounding", ["nearest", "outward"])
def test_integer_power_of_a_polynomial_is_exact(text, degree, expansion, rounding):
    x0 = 0.75
    coeffs = _bound(text, degree, rounding, [x0], [-1.0], [2.0])
    want = expansion(x0)
    assert len(coeffs) == len(want)  # the polynomial's own degree, no remainder term above it
    for c, w in zip(coeffs, want, strict=True):
        if rounding == "nearest":
            assert not isinstance(c, Interval)  # every coefficient a point
            assert float(c[0]) == w
        else:
            lo, hi = (c.lo[0], c.hi[0]) if isinstance(c, Interval) else (c[0], c[0])
            assert float(lo) <= w <= float(hi) and float(hi - lo) <= 32 * EPS * abs(w)


BOXES = ([0.5, 0.3, -0.5, 2.0, 1.0], [-1.0, -1.0, -1.0, 1.9, 0.999], [2.0, 2.0, 0.0, 2.1, 1.001])


def _both_ways(monkeypatch, text, k, rounding="nearest"):
    """The last coefficient of `text` by the rule as it is, and with the sharp rule forced."""
    chosen = _bound(text, k, rounding, *BOXES)[-1]
    monkeypatch.setattr(smooth, "_multiply_out", lambda ctx, u, n: False)
    sharp = _bound(text, k, rounding, *BOXES)[-1]
    monkeypatch.undo()
    return chosen, sharp


@pytest.mark.parametrize("text,k", [("x**2", 1), ("x**3", 2), ("x**5", 4), ("(3*x + 1)**3", 2)])
def test_power_one_degree_over_multiplied_out_equals_the_sharp_rule(monkeypatch, text, k):
    """u linear with point coefficients, n = k + 1: folding w^{k+1} into w^k · range(w)
    gives the sharp remainder (k+1) y0 + (Y − y0) (smooth.power)."""
    chosen, sharp = _both_ways(monkeypatch, text, k)
    np.testing.assert_allclose(chosen.lo, sharp.lo, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(chosen.hi, sharp.hi, rtol=1e-13, atol=1e-15)
    if text == "x**3":  # R_2(y) = 3 y0 + (y − y0) over [a, b]: [2 x0 + a, 2 x0 + b]
        x0, a, b = (np.array(v) for v in BOXES)
        np.testing.assert_allclose(chosen.lo, 2 * x0 + a, rtol=1e-14)
        np.testing.assert_allclose(chosen.hi, 2 * x0 + b, rtol=1e-14)


@pytest.mark.parametrize("text,k", [("x**3", 1), ("x**4", 2)])
def test_power_two_degrees_over_keeps_the_sharp_rule(monkeypatch, text, k):
    """Folding two or more degrees separately would be wider: the sharp rule stays."""
    chosen, sharp = _both_ways(monkeypatch, text, k)
    np.testing.assert_array_equal(chosen.lo, sharp.lo)
    np.testing.assert_array_equal(chosen.hi, sharp.hi)
    monkeypatch.setattr(smooth, "_multiply_out", lambda ctx, u, n: True)
    folded = _bound(text, k, "nearest", *BOXES)[-1]
    assert np.all(sharp.hi - sharp.lo <= folded.hi - folded.lo)
    assert np.any(sharp.hi - sharp.lo < 0.9 * (folded.hi - folded.lo))
