"""Tightness: where phi^(k) is monotone over the region, the remainder is sharp.

Streeter & Dillon (2022), Thm. 3: if phi^(k) is monotone on Y, the range of the remainder
ratio R_k over Y is spanned by its values at the two ends of Y; the engine's remainder
interval must then equal that range (sampled densely in mpmath by
``autobound.verify.remainder_range``) to 1e-9 relative.  Each case below names a region on
which phi^(k+1) has constant sign (checked in the test with mpmath), so the theorem applies.
"""

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autobound as ab
from autobound.verify import remainder_range
from autobound.verify.reference import scalar_function

# (op, lo, hi): an interval of the domain on which phi^(j) is monotone for every j <= 5.
MONOTONE_CASES = [
    ("exp", -5.0, 5.0),
    ("log", 0.1, 10.0),
    ("sqrt", 0.05, 20.0),
    ("rsqrt", 0.05, 20.0),
    ("log1p", -0.9, 9.0),
    ("expm1", -4.0, 4.0),
    ("square", -3.0, 3.0),
    ("sinh", 0.0, 4.0),
    ("cosh", 0.0, 4.0),
    ("softplus", -8.0, -2.0),
    ("sigmoid", -9.0, -3.0),
    ("cbrt", 0.1, 8.0),
    ("erf", 2.2, 5.0),
    ("atan", 1.5, 6.0),
    ("tanh", 2.0, 6.0),
]


def _sign_constant(name, a, b, order):
    """Whether phi^(order) keeps one sign on [a, b] (dense check, mpmath 60 digits)."""
    phi = scalar_function(name, {})
    with mp.workdps(60):
        vals = [mp.diff(phi, mp.mpf(y), order) for y in np.linspace(a, b, 200)]
    return all(v > 0 for v in vals) or all(v < 0 for v in vals)


@pytest.mark.parametrize("name,lo,hi", MONOTONE_CASES)
@settings(max_examples=12)
@given(data=st.data())
def test_remainder_is_sharp_where_kth_derivative_is_monotone(name, lo, hi, data):
    k = data.draw(st.integers(0, 4), label="degree")
    # Regions wide enough that (b - a)^k >= 1e-2: on narrower ones the endpoint formula's
    # cancellation (kernel margins of 2^-40 divided by h^k) exceeds 1e-9 and the engine falls
    # back to the derivative range, sound but not sharp to 1e-9.
    w_min = 1e-2 ** (1 / max(k, 1))
    a = data.draw(st.floats(lo, hi - w_min), label="a")
    width = data.draw(st.floats(w_min, hi - lo), label="width")
    b = min(a + width, hi)
    x0 = data.draw(st.sampled_from(["lo", "hi", "mid"]), label="x0 at")
    x0 = {"lo": a, "hi": b, "mid": a + (b - a) * data.draw(st.floats(0.05, 0.95))}[x0]
    if not _sign_constant(name, a, b, k + 1):
        return  # not in the theorem's scope on this region
    for rounding in ("outward", "nearest"):
        tb = ab.taylor_bounds(f"{name}(x)", degree=k, rounding=rounding)
        rem = tb(x0, (a, b)).coefficients[k]
        got_lo, got_hi = float(rem.lo), float(rem.hi)
        true_lo, true_hi = remainder_range(name, x0, a, b, k, prec=120, n=400)
        scale = max(1.0, abs(float(true_lo)), abs(float(true_hi)))
        if rounding == "outward":  # sound: contains the sampled range
            assert got_lo <= true_lo and true_hi <= got_hi
        assert abs(got_lo - float(true_lo)) <= 1e-9 * scale, (rounding, got_lo, true_lo)
        assert abs(got_hi - float(true_hi)) <= 1e-9 * scale, (rounding, got_hi, true_hi)
