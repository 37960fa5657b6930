"""The reference implementation's published example, through every entry point.

f(x) = 1.5 exp(3x) − 25 x², x0 = 0.5, region [0, 1], degree 2.  By hand: with u = 3x,
c0 = 1.5 e^1.5 − 25/4, c1 = 4.5 e^1.5 − 25, and the degree-2 remainder is
1.5·9·R(y) − 25 where R is exp's remainder ratio around 1.5 over [0, 3], spanned by
R(0) = (1 − e^1.5 + 1.5 e^1.5)/2.25 and R(3) = (e^3 − e^1.5 − 1.5 e^1.5)/2.25.
"""

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest
import sympy

import autobound as ab
import autobound.jax as abj

REFERENCE = (0.47253323, -4.8324013, (-5.5549355, 28.287888))


def _exact():
    e = mp.e ** mp.mpf(1.5)
    r0 = (1 - e + mp.mpf(1.5) * e) / mp.mpf(2.25)
    r3 = (mp.e**3 - e - mp.mpf(1.5) * e) / mp.mpf(2.25)
    return (1.5 * e - 6.25, 4.5 * e - 25, (13.5 * r0 - 25, 13.5 * r3 - 25))


def _flat(coeffs):
    c0, c1, c2 = coeffs
    return [float(c0), float(c1), float(c2[0]), float(c2[1])]


FRONTENDS = {
    "string": "1.5*exp(3*x) - 25*x**2",
    "sympy": sympy.Rational(3, 2) * sympy.exp(3 * sympy.Symbol("x")) - 25 * sympy.Symbol("x") ** 2,
    "callable": lambda x: 1.5 * jnp.exp(3 * x) - 25 * x**2,
}


@pytest.mark.parametrize("dtype,rtol", [("float64", 1e-12), ("float32", 1e-5)])
@pytest.mark.parametrize("frontend", FRONTENDS)
def test_reference_example_matches_published_coefficients(frontend, dtype, rtol):
    b = ab.taylor_bounds(FRONTENDS[frontend], degree=2, dtype=dtype)(0.5, (0.0, 1.0))
    got = _flat(b.coefficients)
    np.testing.assert_allclose(got, _flat(REFERENCE), rtol=max(rtol, 1e-5))
    with mp.workdps(30):
        exact = [float(v) for v in _flat(_exact())]
    np.testing.assert_allclose(got, exact, rtol=rtol)
    assert isinstance(b.coefficients[0], jax.Array) and isinstance(b.coefficients[2], ab.Interval)


def test_reference_example_float64_value():
    b = ab.taylor_bounds("1.5*exp(3*x) - 25*x**2", degree=2)(0.5, (0.0, 1.0))
    assert abs(float(b.coefficients[0]) - 0.4725336055) < 1e-10


def test_drop_in_entry_point_matches_reference_signature():
    bound = abj.taylor_bounds(lambda x: 1.5 * jnp.exp(3 * x) - 25 * x**2, max_degree=2)
    b = bound(jnp.float64(0.5), (jnp.float64(0.0), jnp.float64(1.0)))
    np.testing.assert_allclose(_flat(b.coefficients), _flat(REFERENCE), rtol=1e-5)
    assert b.x_trust_region[0] == 0.0 and float(b.x0) == 0.5
    lo, hi = b.final_interval()
    assert float(lo) < float(hi)
    # the bounds hold at sample points (plain float64 evaluation, far from rounding level)
    xs = np.linspace(0, 1, 101)
    fx = 1.5 * np.exp(3 * xs) - 25 * xs**2
    assert np.all(b.lower(xs) <= fx + 1e-12) and np.all(fx <= b.upper(xs) + 1e-12)


def test_drop_in_vector_input():
    f = lambda x: jnp.exp(x[0]) * jnp.sin(x[1])  # noqa: E731
    x0, lo, hi = np.array([0.1, 0.2]), np.array([0.0, 0.0]), np.array([0.5, 0.5])
    b = abj.taylor_bounds(f, max_degree=2)(x0, (lo, hi))
    assert b.coefficients[1].shape == (2,) and b.coefficients[2].lo.shape == (2, 2)
    rng = np.random.default_rng(0)
    xs = rng.uniform(lo, hi, size=(200, 2))
    fx = np.exp(xs[:, 0]) * np.sin(xs[:, 1])
    assert np.all(b.lower(xs) <= fx + 1e-12) and np.all(fx <= b.upper(xs) + 1e-12)


def test_outward_mode_contains_the_exact_coefficients():
    b = ab.taylor_bounds("1.5*exp(3*x) - 25*x**2", degree=2, rounding="outward")(0.5, (0, 1))
    with mp.workdps(40):
        exact = _exact()
        for c, e in zip(b.coefficients[:2], exact[:2], strict=True):
            assert mp.mpf(float(c.lo)) <= e <= mp.mpf(float(c.hi))
        c2 = b.coefficients[2]
        assert mp.mpf(float(c2.lo)) <= exact[2][0] and exact[2][1] <= mp.mpf(float(c2.hi))
