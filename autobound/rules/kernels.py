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

import functools
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import mpmath
import numpy as np

from autobound.interval import Arith, Interval, Value, hi, is_interval, lo
from autobound.ulp_table import MEASURED, flat_at_zero, margin, trusted_domain


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

CONSTANTS = {
    "pi": PI,
    "sqrt2": _SQRT2,
    "1/sqrt2": 1 / _SQRT2,
    "2/sqrt(pi)": _TWO_OVER_SQRT_PI,
}


def measure_flat_at_zero(name: str, dtype: str) -> bool:
    """Whether the kernel `name` (a record of :data:`autobound.rules.functions.KERNELS`)
    changes by at most the smallest normal number between 0 and ±tiny: then a subnormal
    argument, read as 0 by XLA, needs no care in nearest mode (exp, sin, tanh, ...; not log,
    sqrt or 1/x).  Evaluates the kernel (an eager call); the engine reads the stored
    :data:`autobound.ulp_table.FLAT_AT_ZERO` (:func:`_flat_at_zero`)."""
    fn = kernel_named(name).fn
    tiny = np.finfo(dtype).tiny
    with jax.ensure_compile_time_eval():
        v = np.asarray(fn(jnp.asarray([0.0, tiny, -tiny], dtype)), np.float64)
    return bool(np.all(np.isfinite(v)) and np.all(np.abs(v[1:] - v[0]) <= tiny))


@functools.cache
def _flat_at_zero(name: str, dtype: str) -> bool:
    """:func:`measure_flat_at_zero` as stored in the ulp table, measured where not stored."""
    stored = flat_at_zero(name, dtype)
    return measure_flat_at_zero(name, dtype) if stored is None else stored


def _kernel(
    name: str,
    jfn,
    A: Arith,
    y: Array,
    exact: tuple = (),
    sign: Any = None,
    flat_at_zero: bool = False,
) -> Value:
    """The kernel's value at the point y, widened by its measured error margin; exactly the
    value `v` where y is one of the points `p` of `exact` (pairs ``(p, v)`` of floats with
    ``f(p) = v`` exactly, such as exp(0) = 1).

    **Overflow.** Where the kernel returns ±inf for a finite y, f(y) is beyond the largest
    finite number M in magnitude, provided the measurement (:mod:`autobound.ulp_table`)
    found no non-finite result of this kernel where f is finite (``spurious_nonfinite``,
    re-measured by ``tests/engine/test_ulp_table.py``).  Given `sign` (a function of y: +1,
    -1 or 0 where the sign of f(y) is not known), the result is then ``[M', inf]`` or
    ``[-inf, -M']`` with M' = M less the margin (so exp(800) is at least 1.7e308, and
    1/exp(800) at most 5.6e-309, not the whole line).

    Kernels are not used where their error was not measured to be bounded: outside the
    trusted domain and at subnormal inputs (which XLA reads as zero) the result is the hull of
    the values at 0 and at the nearest normal number (every kernel is monotone there), or the
    whole line; a non-finite kernel result carries no information either (whole line, to be
    clamped to the function's range by the caller).  In nearest mode a kernel that is
    `flat_at_zero` (:func:`_flat_at_zero`) is called on y as it is.
    """
    if flat_at_zero and not A.outward:
        return jfn(y)
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
    r = Interval(jnp.where(bad, -jnp.inf, lo(r)), jnp.where(bad, jnp.inf, hi(r)))
    if sign is not None and _overflow_informative(name, dt):
        big = np.finfo(A.dtype).max
        floor = lo(A.widen(jnp.asarray(big, A.dtype), rel, ab))  # M less the margin
        s = sign(y)
        inside = (y >= dlo) & (y <= dhi)
        up_, down_ = (v == jnp.inf) & (s > 0) & inside, (v == -jnp.inf) & (s < 0) & inside
        r = Interval(jnp.where(up_, floor, lo(r)), jnp.where(down_, -floor, hi(r)))
    for p, value in exact:  # exact zeros and ones keep signs and contacts exact downstream
        at = y == p
        r = Interval(jnp.where(at, value, r.lo), jnp.where(at, value, r.hi))
    return r


Array = Any


def _overflow_informative(name: str, dtype: str) -> bool:
    """Whether the kernel was measured to return non-finite values only where f is beyond
    the finite range (no ``spurious_nonfinite``)."""
    m = MEASURED.get((name, dtype))
    return m is not None and m["spurious_nonfinite"] == 0


def _sign_of(k: Kernel) -> Any:
    """A function of y giving the sign of f(y) where the kernel's data know it (a global
    range within [0, inf) or (-inf, 0], or f odd in sign), else None."""
    if k.clamp[0] >= 0:
        return lambda y: jnp.ones_like(y)
    if k.clamp[1] <= 0:
        return lambda y: -jnp.ones_like(y)
    if k.odd_sign:
        return jnp.sign
    return None


@dataclass(frozen=True)
class Periodic:
    """The points ``phase + period·m`` (m an integer: extrema or poles); any interval at
    least `wide` long holds one."""

    phase: Any
    period: Any
    wide: float


@dataclass(frozen=True)
class Kernel:
    """How to enclose one function over an interval, from its library kernel.

    **Fields:**

    - `name`: the kernel's key in :mod:`autobound.ulp_table` (its error margin and trusted
      domain in outward mode).
    - `fn`: the jnp kernel.
    - `direction`: +1 increasing, -1 decreasing, 0 unimodal with a minimum at `argmin` of
      value `minimum` (mpmath numbers).
    - `clamp`: the global range.
    - `odd_sign`: f(0) = 0 and sign(f(y)) = sign(y).
    - `maxima`, `minima`: for a periodic function (sin, cos), where its maxima and minima
      lie (the range is then the values at the ends, plus the global bound where an
      extremum may lie inside).
    - `poles`: where the function has poles (tan): the range is the whole line where one
      may lie inside, else as for `direction` between them.
    - `exact`: pairs ``(p, v)`` of floats with ``f(p) = v`` exactly (exp(0) = 1, cos(0) = 1,
      sigmoid(0) = 1/2): the kernel's value there is taken as exact, not widened, so that
      e.g. ``exp(x) - 1`` is exactly 0 at 0 and provably >= 0 on [0, 1].
    """

    name: str
    fn: Any
    direction: int
    clamp: tuple[float, float] = (-np.inf, np.inf)
    argmin: Any = None
    minimum: Any = None
    odd_sign: bool = False
    maxima: Periodic | None = None
    minima: Periodic | None = None
    poles: Periodic | None = None
    exact: tuple[tuple[float, float], ...] = ()


def kernel_named(name: str) -> Kernel:
    """The kernel `name` of a function's record (:data:`autobound.rules.functions.KERNELS`)."""
    from autobound.rules.functions import KERNELS  # the records build on this module

    return KERNELS[name]


def __getattr__(name: str):
    if name == "KERNELS":  # derived from the functions' records, which import this module
        from autobound.rules.functions import KERNELS

        return KERNELS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def ext(A: Arith, kernel: Kernel | str, y: Value) -> Value:
    """Enclosure of the range of a function over `y` (point or interval), from its `kernel`
    (or the name of one in :data:`autobound.rules.functions.KERNELS`)."""
    k = kernel_named(kernel) if isinstance(kernel, str) else kernel
    sign = _sign_of(k)
    flat = not A.outward and _flat_at_zero(k.name, str(A.dtype))
    if not is_interval(y):
        r = _kernel(k.name, k.fn, A, y, k.exact, sign, flat)
    else:
        a = _kernel(k.name, k.fn, A, y.lo, k.exact, sign, flat)
        b = _kernel(k.name, k.fn, A, y.hi, k.exact, sign, flat)
        if k.maxima is not None:
            r = _periodic_range(A, y, a, b, k)
        elif k.direction > 0:
            r = Interval(lo(a), hi(b))
        elif k.direction < 0:
            r = Interval(lo(b), hi(a))
        else:
            r = unimodal_range(A, y, a, b, k.argmin, k.minimum)
        if k.poles is not None:
            pole = poles_inside(A, y, k.poles)
            r = Interval(jnp.where(pole, -jnp.inf, lo(r)), jnp.where(pole, jnp.inf, hi(r)))
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


def _periodic_range(A: Arith, y: Interval, a: Value, b: Value, k: Kernel) -> Interval:
    """Range over y of a periodic function with values in `k.clamp`, from enclosures a, b of
    its values at the ends: the global bound where an extremum may lie inside."""
    has_max = _phase_hits(A, y, k.maxima.phase, k.maxima.period) | ((y.hi - y.lo) >= k.maxima.wide)
    has_min = _phase_hits(A, y, k.minima.phase, k.minima.period) | ((y.hi - y.lo) >= k.minima.wide)
    rlo = jnp.where(has_min, k.clamp[0], jnp.minimum(lo(a), lo(b)))
    rhi = jnp.where(has_max, k.clamp[1], jnp.maximum(hi(a), hi(b)))
    return Interval(rlo.astype(A.dtype), rhi.astype(A.dtype))


def poles_inside(A: Arith, y: Value, poles: Periodic) -> Array:
    """Whether y may contain one of the `poles`."""
    if not is_interval(y):
        y = Interval(y, y)
    return _phase_hits(A, y, poles.phase, poles.period) | ((y.hi - y.lo) >= poles.wide)


def ext_sincos(A: Arith, y: Value, which: str) -> Value:
    """Range of sin or cos (`which`) over y (:func:`ext` with that kernel)."""
    return ext(A, kernel_named(which), y)


def ext_tan(A: Arith, y: Value) -> Value:
    """Range of tan over y (whole line where y may contain a pole)."""
    return ext(A, kernel_named("tan"), y)


def ext_pow(A: Arith, y: Value, p: float) -> Value:
    """Range of y**p for a real p and y >= 0 (monotone in y)."""
    fn = lambda t: jnp.power(t, jnp.asarray(p, A.dtype))  # noqa: E731
    positive = lambda t: jnp.ones_like(t)  # noqa: E731  (y >= 0: y**p >= 0)
    if not is_interval(y):
        return _kernel("pow", fn, A, y, sign=positive)
    a, b = _kernel("pow", fn, A, y.lo, sign=positive), _kernel("pow", fn, A, y.hi, sign=positive)
    if p >= 0:
        return _clamp(Interval(lo(a), hi(b)), (0.0, np.inf))
    return _clamp(Interval(lo(b), hi(a)), (0.0, np.inf))
