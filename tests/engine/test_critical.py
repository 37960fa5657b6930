"""The sign-change brackets of derivatives (autobound.rules.critical) against mpmath.

Soundness: between consecutive brackets phi^(n) keeps one sign, checked on random windows of
the domain with derivatives evaluated at 40 digits: every sign change seen between two
neighbouring sample points lies in a bracket meeting that gap.  Tightness: each bracket of
the logistic family, erf, atan, gelu, swish and asin is narrow (< 1e-12 relative) and holds
a real sign change.
"""

import math

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autobound.rules.critical import CHANGES
from autobound.verify.reference import scalar_function
from tests.strategies import bounded_refusals, checked, refused

DOMAINS = {
    "log": (1e-3, 8.0),
    "log1p": (-0.999, 8.0),
    "sqrt": (1e-3, 8.0),
    "rsqrt": (1e-3, 8.0),
    "asin": (-0.999, 0.999),
    "acos": (-0.999, 0.999),
    "atanh": (-0.999, 0.999),
}


def _derivative(name, n, y):
    """phi^(n)(y) to about 40 significant digits, also for tiny |y| (mp.diff's absolute
    error at a fixed precision would swamp derivatives that vanish like y near 0)."""
    phi = scalar_function(name, {})
    tiny_digits = int(max(0.0, -math.log10(abs(y)))) if y != 0 else 0
    with mp.workdps(40 + tiny_digits):
        return mp.diff(phi, mp.mpf(y), n)


@pytest.mark.parametrize("name", sorted(CHANGES))
@bounded_refusals(0.2)  # a table that knew no order would pass vacuously
@settings(max_examples=6)
@given(data=st.data())
def test_derivative_keeps_its_sign_between_brackets(name, data):
    n = data.draw(st.integers(1, 6), label="order")
    brackets = CHANGES[name](n)
    if brackets is None:
        refused("order not in the table")
        return  # not known for this order: the engine uses the interval test alone
    checked()
    d_lo, d_hi = DOMAINS.get(name, (-8.0, 8.0))
    a = data.draw(st.floats(d_lo, d_hi - 1e-3), label="window start")
    w = data.draw(st.floats(1e-3, d_hi - a), label="window width")
    grid = np.linspace(a, a + w, 80)
    vals = [_derivative(name, n, y) for y in grid]
    for y1, y2, v1, v2 in zip(grid, grid[1:], vals, vals[1:], strict=False):
        if v1 * v2 < 0:
            assert any(lo_ <= y2 and hi_ >= y1 for lo_, hi_ in brackets), (n, y1, y2)


ORDERS_WITH_CHANGES = {  # softplus'' = sigmoid' > 0; asin^(n) for odd n is even and > 0
    "sigmoid": (2, 3, 5),
    "tanh": (2, 3, 5),
    "softplus": (3, 4, 6),
    "erf": (2, 3, 5),
    "atan": (2, 3, 5),
    "gelu": (2, 3, 5),
    "swish": (1, 2, 5),
    "asin": (2, 4, 6),
    "asinh": (2, 4, 6),  # asinh^(n) for even n is odd: a sign change at 0
    "atanh": (2, 4, 6),
}


@pytest.mark.parametrize(
    ("name", "n"), [(name, n) for name, orders in ORDERS_WITH_CHANGES.items() for n in orders]
)
def test_brackets_are_narrow_and_hold_a_sign_change(name, n):
    brackets = CHANGES[name](n)
    assert brackets, "these derivatives all change sign somewhere"
    for lo_, hi_ in brackets:
        assert hi_ - lo_ <= 1e-12 * max(1.0, abs(lo_))
        left, right = _derivative(name, n, lo_ - 1e-9), _derivative(name, n, hi_ + 1e-9)
        assert left * right < 0, (lo_, hi_)


def test_sign_change_at_zero_of_odd_functions():
    assert CHANGES["tanh"](0) == ((0.0, 0.0),)
    assert CHANGES["sinh"](2) == ((0.0, 0.0),) and CHANGES["sinh"](1) == ()
    assert CHANGES["sqrt"](3) == ((0.0, 0.0),)
    assert CHANGES["softplus"](2) == () and CHANGES["asin"](3) == ()


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_stored_table_is_what_the_derivation_gives(name):
    """Every entry of autobound.rules.critical_table, derived afresh (sympy root isolation,
    mpmath interval ranges), equals the stored one: the engine reads the table at run time."""
    from autobound.rules.critical import derive_table
    from autobound.rules.critical_table import J_MAX, TABLE

    assert J_MAX >= 8, "a table too short to serve the usual degrees"
    stored = {key: v for key, v in TABLE.items() if key[0] == name}
    assert len(stored) == J_MAX + 1
    assert derive_table(J_MAX, [name]) == stored


def test_orders_above_the_table_are_derived():
    from autobound.rules.critical import critical
    from autobound.rules.critical_table import J_MAX, TABLE

    assert ("sigmoid", J_MAX + 1) not in TABLE
    values = critical("sigmoid", J_MAX + 1)  # sigmoid^(J_MAX+2) changes sign: brackets exist
    assert values and all(lo <= hi and vlo <= vhi for lo, hi, vlo, vhi in values)
