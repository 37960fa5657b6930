"""Interval extensions of the library kernels the rules call.

``ext(A, name, y)`` returns a value containing ``phi(y)`` for every y in the value `y` (a point
or an interval).  In outward mode every kernel result is widened by the margin
``rel·|v| + abs`` measured for that kernel and dtype (:mod:`autobound.ulp_table`), and kernels
are only trusted on their measured domain (outside it, the function's global range is used).
Range knowledge is described by data: whether the function is increasing or decreasing, its
global range (used to clamp), and for unimodal functions the location and value of the
minimum.  Periodic functions (sin, cos, tan) locate their extrema and poles in the interval.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import mpmath
import numpy as np

from autobound.interval import Arith, Interval, Value, hi, is_interval, lo
from autobound.ulp_table import margin, trusted_domain


def real_const(A: Arith, x: mpmath.mpf) -> Value:
    """An enclosure of the real number `x` (given at high precision) in A's dtype."""
    near = np.asarray(float(x), dtype=A.dtype)
    if not A.outward:
        return jnp.asarray(near)
    return Interval(
        jnp.asarray(np.nextafter(near, -np.inf, dtype=A.dtype)),
        jnp.asarray(np.nextafter(near, np.inf, dtype=A.dtype)),
    )


with mpmath.workprec(200):
    PI = mpmath.pi
    _SQRT2 = mpmath.sqrt(2)
    _TWO_OVER_SQRT_PI = 2 / mpmath.sqrt(mpmath.pi)
    # Minimisers of swish(x) = x sigmoid(x) and gelu(x) = x Phi(x): roots of the derivatives.
    _SWISH_ARGMIN = mpmath.findroot(
        lambda x: 1 / (1 + mpmath.exp(-x)) * (1 + x * (1 - 1 / (1 + mpmath.exp(-x)))), -1.28
    )
    _GELU_ARGMIN = mpmath.findroot(lambda x: mpmath.ncdf(x) + x * mpmath.npdf(x), -0.75)
    _SWISH_MIN = _SWISH_ARGMIN / (1 + mpmath.exp(-_SWISH_ARGMIN))
    _GELU_MIN = _GELU_ARGMIN * mpmath.ncdf(_GELU_ARGMIN)

CONSTANTS = {
    "pi": PI,
    "sqrt2": _SQRT2,
    "1/sqrt2": 1 / _SQRT2,
    "2/sqrt(pi)": _TWO_OVER_SQRT_PI,
}


def _kernel(name: str, jfn, A: Arith, y: Array) -> Value:
    """The kernel's value at the point y, widened by its measured error margin.

    Kernels are not used where their error was not measured to be bounded: outside the
    trusted domain and at subnormal inputs (which XLA reads as zero) the result is the hull of
    the values at 0 and at the nearest normal number (every kernel is monotone there), or the
    whole line; a non-finite kernel result carries no information either (whole line, to be
    clamped to the function's range by the caller).
    """
    dt = str(A.dtype)
    tiny = jnp.finfo(A.dtype).tiny
    sub = (y != 0) & (jnp.abs(y) < tiny)
    ys = jnp.where(sub, jnp.sign(y) * tiny, y)
    v = jfn(ys)
    if not A.outward:
        return v
    rel, ab = margin(name, dt) if A.kernel_margins else (0.0, 0.0)
    r = A.widen(v, rel, ab)
    v0 = A.widen(jfn(jnp.zeros_like(y)), rel, ab)
    r = Interval(
        jnp.where(sub, jnp.minimum(lo(r), lo(v0)), lo(r)),
        jnp.where(sub, jnp.maximum(hi(r), hi(v0)), hi(r)),
    )
    dlo, dhi = trusted_domain(name, dt)
    bad = ~jnp.isfinite(v) | jnp.isnan(lo(r)) | jnp.isnan(hi(r)) | (y < dlo) | (y > dhi)
    return Interval(jnp.where(bad, -jnp.inf, lo(r)), jnp.where(bad, jnp.inf, hi(r)))


Array = Any


@dataclass(frozen=True)
class Kernel:
    """How to enclose one function over an interval.

    **Fields:** `fn` the jnp kernel; `direction` +1 increasing, -1 decreasing, 0 unimodal with
    a minimum at `argmin` of value `minimum` (mpmath numbers); `clamp` the global range.
    """

    fn: Any
    direction: int
    clamp: tuple[float, float] = (-np.inf, np.inf)
    argmin: Any = None
    minimum: Any = None
    odd_sign: bool = False  # f(0) = 0 and sign(f(y)) = sign(y)


def _softplus(y):
    return jax.nn.softplus(y)


KERNELS: dict[str, Kernel] = {
    "exp": Kernel(jnp.exp, 1, (0.0, np.inf)),
    "log": Kernel(jnp.log, 1),
    "log1p": Kernel(jnp.log1p, 1, odd_sign=True),
    "expm1": Kernel(jnp.expm1, 1, (-1.0, np.inf), odd_sign=True),
    "sqrt": Kernel(jnp.sqrt, 1, (0.0, np.inf)),
    "rsqrt": Kernel(jax.lax.rsqrt, -1, (0.0, np.inf)),
    "cbrt": Kernel(jnp.cbrt, 1, odd_sign=True),
    "atan": Kernel(jnp.arctan, 1, (-2.0, 2.0), odd_sign=True),
    "asin": Kernel(jnp.arcsin, 1, (-2.0, 2.0), odd_sign=True),
    "acos": Kernel(jnp.arccos, -1, (0.0, 4.0)),
    "sinh": Kernel(jnp.sinh, 1, odd_sign=True),
    "cosh": Kernel(jnp.cosh, 0, (1.0, np.inf), mpmath.mpf(0), mpmath.mpf(1)),
    "tanh": Kernel(jnp.tanh, 1, (-1.0, 1.0), odd_sign=True),
    "sigmoid": Kernel(jax.nn.sigmoid, 1, (0.0, 1.0)),
    "softplus": Kernel(_softplus, 1, (0.0, np.inf)),
    "erf": Kernel(jax.lax.erf, 1, (-1.0, 1.0), odd_sign=True),
}


def ext(A: Arith, name: str, y: Value) -> Value:
    """Enclosure of the range of function `name` over `y` (point or interval)."""
    k = KERNELS[name]
    if not is_interval(y):
        r = _kernel(name, k.fn, A, y)
    else:
        a, b = _kernel(name, k.fn, A, y.lo), _kernel(name, k.fn, A, y.hi)
        if k.direction > 0:
            r = Interval(lo(a), hi(b))
        elif k.direction < 0:
            r = Interval(lo(b), hi(a))
        else:
            r = unimodal_range(A, y, a, b, k.argmin, k.minimum)
    if k.odd_sign and A.outward:
        r = Interval(
            jnp.where(lo(y) >= 0, jnp.maximum(lo(r), 0.0), lo(r)),
            jnp.where(hi(y) <= 0, jnp.minimum(hi(r), 0.0), hi(r)),
        )
    return _clamp(r, k.clamp)


def unimodal_range(A: Arith, y: Interval, fa: Value, fb: Value, argmin, minimum) -> Interval:
    """Range over y of a function decreasing up to `argmin` and increasing after it, with
    minimum value `minimum` (mpmath numbers), given enclosures `fa`, `fb` of its values at
    the ends of y: the maximum is at an end, the minimum at an end unless y may hold argmin."""
    c = real_const(A, argmin)
    mlo = lo(real_const(A, minimum))
    left, right = y.hi <= lo(c), y.lo >= hi(c)
    rlo = jnp.where(
        left, lo(fb), jnp.where(right, lo(fa), jnp.minimum(mlo, jnp.minimum(lo(fa), lo(fb))))
    )
    return Interval(rlo, jnp.maximum(hi(fa), hi(fb)))


def _clamp(r: Value, bounds: tuple[float, float]) -> Value:
    if not is_interval(r) or bounds == (-np.inf, np.inf):
        return r
    return Interval(jnp.maximum(r.lo, bounds[0]), jnp.minimum(r.hi, bounds[1]))


def _phase_hits(A: Arith, y: Interval, phase: mpmath.mpf, period: mpmath.mpf) -> Array:
    """Whether y may contain a point ``phase + period·m`` for an integer m (conservative)."""
    p = float(phase)
    T = float(period)
    tlo = (y.lo - p) / T
    thi = (y.hi - p) / T
    slack = 1e-9 * (1.0 + jnp.maximum(jnp.abs(tlo), jnp.abs(thi)))
    return jnp.floor(thi + slack) >= jnp.ceil(tlo - slack)


def ext_sincos(A: Arith, y: Value, which: str) -> Value:
    """Range of sin or cos over y: values at the ends, plus ±1 where an extremum lies inside."""
    fn = jnp.sin if which == "sin" else jnp.cos
    if not is_interval(y):
        return _clamp(_kernel(which, fn, A, y), (-1.0, 1.0))
    a, b = _kernel(which, fn, A, y.lo), _kernel(which, fn, A, y.hi)
    two_pi = 2 * PI
    top = PI / 2 if which == "sin" else mpmath.mpf(0)
    bottom = -PI / 2 if which == "sin" else PI
    wide = (y.hi - y.lo) >= 6.0
    has_max = _phase_hits(A, y, top, two_pi) | wide
    has_min = _phase_hits(A, y, bottom, two_pi) | wide
    rlo = jnp.where(has_min, -1.0, jnp.minimum(lo(a), lo(b)))
    rhi = jnp.where(has_max, 1.0, jnp.maximum(hi(a), hi(b)))
    return _clamp(Interval(rlo.astype(A.dtype), rhi.astype(A.dtype)), (-1.0, 1.0))


def tan_pole_inside(A: Arith, y: Value) -> Array:
    """Whether y may contain a pole pi/2 + m pi of tan."""
    if not is_interval(y):
        y = Interval(y, y)
    return _phase_hits(A, y, PI / 2, PI) | ((y.hi - y.lo) >= 3.2)


def ext_tan(A: Arith, y: Value) -> Value:
    """Range of tan over y (whole line where y may contain a pole)."""
    if not is_interval(y):
        return _kernel("tan", jnp.tan, A, y)
    a, b = _kernel("tan", jnp.tan, A, y.lo), _kernel("tan", jnp.tan, A, y.hi)
    pole = tan_pole_inside(A, y)
    return Interval(jnp.where(pole, -jnp.inf, lo(a)), jnp.where(pole, jnp.inf, hi(b)))


def ext_pow(A: Arith, y: Value, p: float) -> Value:
    """Range of y**p for a real p and y >= 0 (monotone in y)."""
    fn = lambda t: jnp.power(t, jnp.asarray(p, A.dtype))  # noqa: E731
    if not is_interval(y):
        return _kernel("pow", fn, A, y)
    a, b = _kernel("pow", fn, A, y.lo), _kernel("pow", fn, A, y.hi)
    if p >= 0:
        return _clamp(Interval(lo(a), hi(b)), (0.0, np.inf))
    return _clamp(Interval(lo(b), hi(a)), (0.0, np.inf))


def swish_gelu_minimum(name: str) -> tuple[mpmath.mpf, mpmath.mpf]:
    return (_SWISH_ARGMIN, _SWISH_MIN) if name == "swish" else (_GELU_ARGMIN, _GELU_MIN)
