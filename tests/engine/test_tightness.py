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
    ("asinh", 0.5, 8.0, 4),
    ("atanh", 0.05, 0.9, 4),
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


def test_kernels_are_exact_at_their_exact_points():
    """exp(0) = 1, cos(0) = 1, sigmoid(0) = 1/2, ...: each point a record declares exact is
    exact in mpmath, and the kernel's outward value there is that float, not widened."""
    import jax
    import jax.numpy as jnp

    from autobound.interval import Arith
    from autobound.rules.functions import KERNELS
    from autobound.rules.kernels import ext

    declared = [(k, p, v) for k in KERNELS.values() for p, v in k.exact]
    assert len(declared) >= 10
    mp_fn = {"exp": mp.exp, "log": mp.log, "sqrt": mp.sqrt, "rsqrt": lambda y: 1 / mp.sqrt(y),
             "sin": mp.sin, "cos": mp.cos, "tan": mp.tan, "acos": mp.acos, "cosh": mp.cosh,
             "asinh": mp.asinh, "atanh": mp.atanh,
             "sigmoid": lambda y: 1 / (1 + mp.exp(-y))}  # fmt: skip
    with jax.enable_x64(True):
        for dtype in ("float64", "float32"):
            A = Arith("outward", dtype)
            for k, p, v in declared:
                with mp.workdps(50):
                    assert mp_fn[k.name](mp.mpf(p)) == mp.mpf(v), (k.name, p)
                r = ext(A, k, jnp.asarray(p, dtype))
                assert float(r.lo) == v == float(r.hi), (k.name, dtype, r)
                # an interval ending at the point keeps the exact end
                iv = ext(A, k, ab.Interval(jnp.asarray(p, dtype), jnp.asarray(p + 0.25, dtype)))
                assert v in (float(iv.lo), float(iv.hi)), (k.name, dtype, iv)


def test_exact_kernel_points_settle_signs_in_domain_checks():
    """exp(x) - 1 is exactly 0 at 0, so sqrt(exp(x) - 1) over [0, 1] is defined (the
    widened kernel value used to make the argument's range dip below 0: a DomainError)."""
    import jax

    with jax.enable_x64(True):
        t = ab.taylor_bounds("sqrt(exp(x) - 1)", degree=2, rounding="outward")(0.5, (0.0, 1.0))
        for x in np.linspace(0.0, 1.0, 41):
            fx = float(mp.sqrt(mp.exp(x) - 1))
            assert float(t.lower(x)) <= fx <= float(t.upper(x))


def test_abs_is_exact_on_a_region_ending_at_its_kink():
    """abs(x) on [0, 1] expanded at 0 is x (and -x on [-1, 0]) up to outward rounding: the
    empty side of the expansion point does not bring the other slope in (it used to give
    the slope interval [-1, 1])."""
    import jax

    with jax.enable_x64(True):
        for region, slope in (((0.0, 1.0), 1.0), ((-1.0, 0.0), -1.0)):
            t = ab.taylor_bounds("abs(x)", degree=2, rounding="outward")(0.0, region)
            c = t.coefficients
            assert float(c[0].lo) == 0.0 and float(c[0].hi) < 1e-300
            assert abs(float(c[1].lo) - slope) < 1e-14 and abs(float(c[1].hi) - slope) < 1e-14
            assert float(t.width()) < 1e-13
