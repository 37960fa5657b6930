"""Overflowing intermediates in outward mode.

A kernel that returns ±inf for a finite argument (exp(800)) says that f is beyond the largest
double M, when the measurement found no non-finite result where f is finite: the enclosure is
[M', inf] (M' = M less the margin), not the whole line.  Lower ends of powers that overflow are
M, not NaN.  A negative power of such a value is brought back to [0, 1/M'], and where its
Taylor form is useless (non-finite, or its constant term wider than the range) the node's
range is its enclosure.  Every case is checked against mpmath at 200 bits at sample points of
the region (f there is beyond M, or tiny: mpmath has no overflow)."""

import mpmath
import numpy as np
import pytest

import autobound as ab
from tests.strategies import soundness_violations

M = float(np.finfo(np.float64).max)


def _mp(fn):
    return lambda x: fn(mpmath.mpf(float(np.asarray(x).reshape(()))))


# (f, mpmath f, region, x0): values beyond M everywhere on the region.
HUGE = [
    ("exp(x)", mpmath.exp, (790.0, 810.0)),
    ("cosh(x)", mpmath.cosh, (-810.0, -790.0)),
    ("sinh(x)", mpmath.sinh, (790.0, 810.0)),
    ("x**6", lambda x: x**6, (1e300, 2e300)),
]


@pytest.mark.parametrize("degree", [0, 2])
@pytest.mark.parametrize("f, fmp, box", HUGE, ids=[c[0] for c in HUGE])
def test_overflowing_values_keep_their_sign_and_size(f, fmp, box, degree):
    x0 = (box[0] + box[1]) / 2
    t = ab.taylor_bounds(f, degree, rounding="outward")(x0, box)  # no DomainError
    c0 = t.coefficients[0]
    assert float(c0.lo) >= 1e308 and float(c0.hi) == np.inf
    bad, checked = soundness_violations(_mp(fmp), t.coefficients, t.x0, t.region, 16)
    assert checked and not bad, bad[:1]


def test_negative_overflow_of_an_odd_function():
    t = ab.taylor_bounds("sinh(x)", 0, rounding="outward")(-800.0, (-810.0, -790.0))
    c0 = t.coefficients[0]
    assert float(c0.hi) <= -1e308 and float(c0.lo) == -np.inf


# (f, mpmath f, region, largest width): tiny values through an overflowing intermediate.
TINY = [
    ("1/cosh(1000*x)**6", lambda x: mpmath.sech(1000 * x) ** 6, (0.8, 1.0), 1e-300),
    ("cosh(1000*x)**-6", lambda x: mpmath.sech(1000 * x) ** 6, (0.25, 0.35), 1e-300),
    ("exp(x)**-2", lambda x: mpmath.exp(-2 * x), (800.0, 900.0), 1e-300),
    ("x**-3", lambda x: x**-3, (1e200, 1e300), 1e-300),
    ("sech(700*x)**2", lambda x: mpmath.sech(700 * x) ** 2, (-2.0, -1.0), 1e-300),
    # exp(x) is only known to be beyond M = 1.8e308, so its square root beyond 1.3e154
    ("1/sqrt(exp(x))", lambda x: mpmath.exp(-x / 2), (800.0, 900.0), 1e-154),
]


@pytest.mark.parametrize("degree", [0, 2, 4])
@pytest.mark.parametrize("f, fmp, box, width", TINY, ids=[c[0] for c in TINY])
def test_negative_powers_of_overflowing_values_are_tiny_and_sound(f, fmp, box, width, degree):
    x0 = (box[0] + box[1]) / 2
    t = ab.taylor_bounds(f, degree, rounding="outward")(x0, box)
    c0 = t.coefficients[0]
    assert float(c0.hi) - float(c0.lo) <= width, t.coefficients
    for c in t.coefficients[1:]:
        assert np.all(np.isfinite(np.asarray(c.lo))) and np.all(np.isfinite(np.asarray(c.hi)))
    bad, checked = soundness_violations(_mp(fmp), t.coefficients, t.x0, t.region, 16)
    assert checked and not bad, bad[:1]


def test_a_useless_term_does_not_spoil_the_taylor_form_of_a_sum():
    """On [0.25, 0.35] the second term's Taylor form cancels into nothing (around
    cosh(-300) = 1e130 over [1e108, 1e151]); its range [0, 1/M] replaces it, and the sum
    keeps the first term's narrow Taylor form."""
    f = "1/cosh(10*(x - 0.2))**2 + 1/cosh(1000*(x - 0.6))**6"
    t = ab.taylor_bounds(f, 4, rounding="outward")(0.3, (0.25, 0.35))
    alone = ab.taylor_bounds(f.split(" + ")[0], 4, rounding="outward")(0.3, (0.25, 0.35))
    for c, d in zip(t.coefficients, alone.coefficients, strict=True):
        assert float(c.hi) - float(c.lo) <= 2 * (float(d.hi) - float(d.lo)) + 1e-300
    fmp = _mp(lambda x: mpmath.sech(10 * (x - 0.2)) ** 2 + mpmath.sech(1000 * (x - 0.6)) ** 6)
    bad, checked = soundness_violations(fmp, t.coefficients, t.x0, t.region, 24)
    assert checked and not bad, bad[:1]


@pytest.mark.parametrize(
    "f, fmp",
    [
        ("sech(x)**2", lambda x: mpmath.sech(x) ** 2),
        ("csch(x)", mpmath.csch),
        ("coth(x)", mpmath.coth),
    ],
)
def test_reciprocal_hyperbolic_functions_parse_and_are_sound(f, fmp):
    t = ab.taylor_bounds(f, 3, rounding="outward")(0.5, (0.25, 1.0))
    bad, checked = soundness_violations(_mp(fmp), t.coefficients, t.x0, t.region, 24)
    assert checked and not bad, bad[:1]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("options", [{}, {"legacy": True}], ids=["default", "legacy"])
def test_outward_rounding_takes_overflow_as_beyond_the_largest_number_and_keeps_nan(dtype, options):
    """down(+inf) is just below M (an overflowed lower end), up(-inf) just above -M; a NaN
    (an unknown end) must stay NaN under XLA's min/max, whichever fusion emitters compile."""
    import jax
    import jax.numpy as jnp

    from autobound.interval import down, up

    compile_with = ab.compiler_options("outward") if options else {}
    f = jax.jit(lambda x: (down(x), up(x)), compiler_options=compile_with)
    big = float(np.finfo(dtype).max)
    d, u = f(jnp.asarray([np.nan, np.inf, -np.inf, 1.0], dtype))
    assert np.isnan(d[0]) and np.isnan(u[0])
    assert big * (1 - 1e-6) < float(d[1]) < big and float(u[1]) == np.inf
    assert float(d[2]) == -np.inf and -big < float(u[2]) < -big * (1 - 1e-6)
    assert float(d[3]) < 1.0 < float(u[3])


@pytest.mark.parametrize(
    "f, x0, box", [("asin(x)", 1.0, (0.5, 1.0)), ("acos(x)", -1.0, (-1.0, 0.0))]
)
def test_an_infinite_derivative_is_still_refused_where_an_overflow_is_not(f, x0, box):
    """asin at 1 has no derivative (its enclosure [3.3e7, inf] has one modest end): a
    DomainError as before; cosh at 800 has one beyond M ([M', inf]): no error."""
    with pytest.raises(ab.DomainError):
        ab.taylor_bounds(f, 2, rounding="outward")(x0, box)
    ab.taylor_bounds("cosh(x)", 2, rounding="outward")(800.0, (790.0, 810.0))
