"""Tightness: where phi^(k) is monotone over the region, the remainder is sharp.

Streeter & Dillon (2022), Thm. 3: if phi^(k) is monotone on Y, the range of the remainder
ratio R_k over Y is spanned by its values at the two ends of Y; the engine's remainder
interval must then equal that range (sampled densely in mpmath by
``autobound.verify.remainder_range``) to 1e-9 relative.  Each case below names a region on
which phi^(k+1) has constant sign (checked in the test with mpmath), so the theorem applies.
"""

import zlib

import mpmath as mp
import numpy as np
import pytest

import autobound as ab
from autobound.verify import remainder_range
from autobound.verify.reference import scalar_function

# (op, lo, hi, max degree): an interval of the domain holding regions on which phi^(k+1) has
# one sign (the test keeps only those).  square's remainder is constant from degree 2 on
# (its third derivative is 0, outside the theorem).
MONOTONE_CASES = [
    ("exp", -5.0, 5.0, 4),
    ("log", 0.1, 10.0, 4),
    ("sqrt", 0.05, 20.0, 4),
    ("rsqrt", 0.05, 20.0, 4),
    ("log1p", -0.9, 9.0, 4),
    ("expm1", -4.0, 4.0, 4),
    ("square", 0.5, 3.0, 1),
    ("sinh", 0.0, 4.0, 4),
    ("cosh", 0.0, 4.0, 4),
    ("softplus", -8.0, -2.0, 4),
    ("sigmoid", -9.0, -3.0, 4),
    ("cbrt", 0.1, 8.0, 4),
    ("erf", 2.2, 5.0, 4),
    ("atan", 1.5, 6.0, 4),
    ("tanh", 2.0, 6.0, 4),
    ("gelu", 3.5, 7.0, 4),
    ("swish", -12.0, -7.0, 4),
    ("sin", 0.05, 1.5, 4),
    ("cos", 0.05, 1.5, 4),
    ("asin", 0.05, 0.98, 4),
    ("acos", -0.98, -0.05, 4),
]
CASES = [(n, lo, hi, k) for n, lo, hi, top in MONOTONE_CASES for k in range(top + 1)]


def _sign_constant(name, a, b, order):
    """Whether phi^(order) keeps one sign on [a, b] (dense check, mpmath 40 digits)."""
    phi = scalar_function(name, {})
    with mp.workdps(40):
        vals = [mp.diff(phi, mp.mpf(y), order) for y in np.linspace(a, b, 60)]
    return all(v > 0 for v in vals) or all(v < 0 for v in vals)


def _regions(lo, hi, k, rng, n=6):
    """Boxes wide enough that each side's (b − a)^k >= 1e-1: on narrower ones the endpoint
    formula's cancellation (kernel margins divided by h^k) exceeds 1e-9 and the engine falls
    back to the derivative range, sound but not sharp to 1e-9."""
    w_min = 2 * 1e-1 ** (1 / max(k, 1))
    out = []
    for _ in range(n):
        w = rng.uniform(min(w_min, hi - lo), hi - lo)
        a = rng.uniform(lo, max(lo, hi - w))
        b = a + w
        x0 = rng.choice([a, b, 0.5 * (a + b)])
        out.append((x0, a, b))
    return out


@pytest.mark.parametrize("name,lo,hi,k", CASES)
def test_remainder_is_sharp_where_kth_derivative_is_monotone(name, lo, hi, k):
    rng = np.random.default_rng(zlib.crc32(f"{name}/{k}".encode()))
    cases = [c for c in _regions(lo, hi, k, rng) if _sign_constant(name, c[1], c[2], k + 1)]
    assert cases, "no region in the theorem's scope"
    x0, a, b = (np.array(v) for v in zip(*cases, strict=True))
    coeffs = ab.taylor_bounds(f"{name}(x)", degree=k, rounding="outward").batch(x0, a, b)
    rem = coeffs[k]
    for i, (y0, ai, bi) in enumerate(cases):
        true_lo, true_hi = remainder_range(name, y0, ai, bi, k, prec=100, n=300)
        got_lo, got_hi = float(rem.lo[i]), float(rem.hi[i])
        assert got_lo <= true_lo and true_hi <= got_hi  # sound: contains the sampled range
        scale = max(1.0, abs(float(true_lo)), abs(float(true_hi)))
        assert got_lo >= float(true_lo) - 1e-9 * scale, (y0, ai, bi, got_lo, true_lo)
        assert got_hi <= float(true_hi) + 1e-9 * scale, (y0, ai, bi, got_hi, true_hi)


@pytest.mark.parametrize(
    "name,x0,a,b,k",
    [("sqrt", 0.5, 0.0, 1.0, 2), ("sqrt", 0.25, 0.0, 4.0, 3), ("cbrt", 1.0, 0.0, 2.0, 2)],
)
def test_remainder_is_sharp_on_a_region_ending_at_a_derivative_pole(name, x0, a, b, k):
    """phi^(k) is infinite at the end a = 0, yet R_k stays finite there (y0 != 0); the sharp
    interval holds (the derivative bound is infinite and must not swallow it)."""
    rem = ab.taylor_bounds(f"{name}(x)", degree=k, rounding="outward")(x0, (a, b)).coefficients[k]
    true_lo, true_hi = remainder_range(name, x0, a, b, k, prec=100, n=300)
    assert float(rem.lo) <= true_lo and true_hi <= float(rem.hi)
    assert float(rem.lo) >= float(true_lo) - 1e-9 and float(rem.hi) <= float(true_hi) + 1e-9
