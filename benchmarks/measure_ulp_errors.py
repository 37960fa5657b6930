"""Measure how far XLA's CPU kernels are from the exact value, per function and dtype.

For every elementwise function the engine evaluates with JAX (``jnp.exp``, ``jnp.log1p``,
``jnp.power(y, p)``, ...), this script evaluates the kernel under ``jax.jit`` on arrays, in
float32 and float64, on a large adversarial point set, computes the exact value at every point
with mpmath at 128 bits, and prints per (function, dtype):

- ``points``: inputs tested whose computed result ``v`` is finite (inside the trusted domain);
- ``max ulp``: the largest error in units in the last place of the exact value;
- ``max rel``: the largest ``|f(y) - v| / |v|`` over results with ``|v| >= 2**p * tiny``
  (``p`` = significand bits, ``tiny`` = smallest normal number);
- ``max abs``: the largest ``|f(y) - v|`` over results with ``|v| < 2**p * tiny`` (the
  underflow band, where XLA's flush-to-zero of subnormals makes relative error meaningless);
- ``subn abs``: the largest ``|f(y) - v|`` over subnormal inputs.  XLA on CPU reads most
  subnormal inputs as zero (DAZ), so ``v(y) = f(0)`` there (``sqrt`` gives 0 where the exact
  value is up to ``sqrt(tiny)``); some code paths instead read them as ``2**-150`` /
  ``2**-1075`` (``pow``, float32 ``log`` on small arrays), or get the sign wrong (float32
  ``cbrt``).  What the relative margin does not cover is charged to the absolute margin, and
  kernels that go badly wrong there get a trusted domain starting at the smallest normal;
- ``rel marg`` / ``abs marg``: the margin :func:`choose_margin` derives (16x / 4x headroom,
  floors ``2**-46`` / ``2**-16``, powers of two), and the trusted domain;
- the worst input.

Point sets: log-spaced grids over the whole domain (both signs, smallest normal to overflow),
random bit patterns, dense uniform ranges, clusters of neighbours (``+-k`` ulp and
``s * (1 +- 2**-j)``) around special values (0, +-1, domain ends, overflow/underflow and
saturation thresholds, XLA's known bad interval of float64 ``log1p``), and for ``sin``, ``cos``,
``tan`` the floats closest to multiples of pi/2 in every binade (found from the continued
fraction of ``ulp / (pi/2)``), plus subnormal inputs.  XLA's kernels have several code paths
(vectorized loop body, loop remainder / small arrays, 0-d arrays) whose results differ, so each
point set is evaluated in several arrangements (see :func:`evaluate`); the worst result of each
point counts.  For ``sin``, ``cos``, ``tan`` the trusted domain is ``|y| <= 2**K``, ``2**K``
the first binade whose worst error exceeds ``TRUST_ULP`` ulp.

Usage::

    .venv/bin/python benchmarks/measure_ulp_errors.py --quick      # ~1 minute
    .venv/bin/python benchmarks/measure_ulp_errors.py              # full run, 3-6 minutes
    .venv/bin/python benchmarks/measure_ulp_errors.py --json out.json --python

``--json`` writes the measured maxima (``benchmarks/results/ulp_errors.json`` holds the run the
table comes from); ``--python`` prints the ``MEASURED`` / ``MARGINS`` / ``TRUSTED_DOMAIN``
literals of :mod:`autobound.ulp_table`, and ``--from-json FILE`` prints them from a saved run.
The test ``tests/engine/test_ulp_table.py`` imports this file to re-measure a sample against
the table's margins.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import json
import math
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import mpmath
import numpy as np

PREC = 128  # bits of the mpmath reference
DTYPES = ("float32", "float64")
POW_EXPONENTS = (0.5, -0.5, 1 / 3, 1.5, -2.5, 2.7, 0.1, 0.01, -1 / 3, 7.3, -11.9)
# |y| beyond which exp-like references are saturated without calling mpmath (mpmath's
# argument reduction for |y| ~ 1e300 costs tens of ms); the true value differs from the
# saturated one by less than exp(-10000), far below any margin.
_SATURATE = 1.0e4
# Trusted-domain rule for kernels whose error grows with |y|: the largest power of two 2**K
# such that every binade below it has error <= this many ulp.
TRUST_ULP = 4.0


def _info(dtype: str) -> np.finfo:
    return np.finfo(np.dtype(dtype))


def _bits(dtype: str) -> int:
    """Significand bits including the hidden one (24 or 53)."""
    return _info(dtype).nmant + 1


# --------------------------------------------------------------------------- the kernels


def _jax():
    import jax

    jax.config.update("jax_enable_x64", True)
    return jax


# XLA compile options the kernels are measured under (``--batch-options``: those of
# ``autobound.compiler_options("outward")``, which batched outward programs use).
COMPILER_OPTIONS: dict = {}


def _jit(fn: Callable) -> Callable:
    return _jax().jit(fn, compiler_options=COMPILER_OPTIONS or None)


def _sat_exp(y: mpmath.mpf) -> mpmath.mpf:
    if y > _SATURATE:
        return mpmath.inf
    if y < -_SATURATE:
        return mpmath.mpf(0)
    return mpmath.exp(y)


def _cbrt(y):
    return mpmath.cbrt(y) if y >= 0 else -mpmath.cbrt(-y)


def _sinh(y):
    if abs(y) > _SATURATE:
        return mpmath.inf if y > 0 else -mpmath.inf
    return mpmath.sinh(y)


def _cosh(y):
    return mpmath.inf if abs(y) > _SATURATE else mpmath.cosh(y)


def _expm1(y):
    if y < -_SATURATE:
        return mpmath.mpf(-1)
    return mpmath.inf if y > _SATURATE else mpmath.expm1(y)


def _sigmoid(y):
    if y > _SATURATE:
        return mpmath.mpf(1)
    if y < -_SATURATE:
        return mpmath.mpf(0)
    return 1 / (1 + mpmath.exp(-y))


def _softplus(y):
    if y > _SATURATE:
        return y
    if y < -_SATURATE:
        return mpmath.mpf(0)
    return mpmath.log1p(mpmath.exp(y))


@dataclass(frozen=True)
class Kernel:
    """One XLA kernel as the engine calls it, with its exact counterpart and its domain.

    ``build()`` returns functions of a numpy array under ``jax.jit`` (several when the engine
    may call the kernel in more than one way, e.g. ``jnp.power`` with a constant or a traced
    exponent); ``exact`` maps an mpf to the exact f(y) at the working precision.  The domain is
    ``[lo, hi]`` with ends excluded where ``open_lo`` / ``open_hi``.
    """

    name: str
    build: Callable[[str], list[Callable[[np.ndarray], np.ndarray]]]
    exact: Callable[[mpmath.mpf, str], mpmath.mpf]
    lo: float = -math.inf
    hi: float = math.inf
    open_lo: bool = False
    open_hi: bool = False
    specials: Callable[[str], list[float]] = lambda dt: []
    dense: Callable[[str], list[tuple[float, float]]] = lambda dt: []
    periodic: bool = False
    exponent: float | None = None
    # A fixed trusted domain (lo, hi) per dtype, when it is known without measuring.
    trusted: Callable[[str], tuple[float, float]] | None = None

    def in_domain(self, y: np.ndarray) -> np.ndarray:
        ok = np.isfinite(y)
        ok &= (y > self.lo) if self.open_lo else (y >= self.lo)
        ok &= (y < self.hi) if self.open_hi else (y <= self.hi)
        return ok


def _unary(path: str) -> Callable[[str], list[Callable]]:
    def build(dtype: str) -> list[Callable]:
        jax = _jax()
        import jax.numpy as jnp  # noqa: F401  (resolved by eval below)
        from jax import lax  # noqa: F401

        fn = eval(path, {"jnp": jax.numpy, "lax": jax.lax, "jax": jax})
        return [_jit(fn)]

    return build


def _pow_build(p: float) -> Callable[[str], list[Callable]]:
    def build(dtype: str) -> list[Callable]:
        jax = _jax()
        jnp = jax.numpy
        const = _jit(lambda y: jnp.power(y, p))
        traced = _jit(lambda y, q: jnp.power(y, q))
        q = np.asarray(p, dtype=dtype)
        return [const, lambda y: traced(y, q)]

    return build


def _from_tiny(dt: str) -> tuple[float, float]:
    """Trusted domain ``[tiny, inf)`` of kernels that mishandle subnormal inputs."""
    return (float(_info(dt).tiny), math.inf)


def _ln_max(dt):
    return math.log(float(_info(dt).max))


def _ln_tiny(dt):
    return math.log(float(_info(dt).tiny))


def _ln_sub(dt):
    return math.log(float(_info(dt).smallest_subnormal))


def _kernels() -> list[Kernel]:
    ks = [
        Kernel(
            "exp",
            _unary("jnp.exp"),
            lambda y, dt: _sat_exp(y),
            specials=lambda dt: [0.0, 1.0, -1.0, _ln_max(dt), _ln_tiny(dt), _ln_sub(dt)],
            dense=lambda dt: [(_ln_sub(dt) - 2, _ln_max(dt) + 1), (-1, 1), (-1e-6, 1e-6)],
        ),
        Kernel(
            "log",
            _unary("jnp.log"),
            lambda y, dt: mpmath.log(y),
            lo=0.0,
            open_lo=True,
            # float32 small arrays read a subnormal y as 2**-150 (log = -103.97 for any of
            # them, 16.6 off at y = tiny/1.01); the other paths give -inf.
            trusted=_from_tiny,
            specials=lambda dt: [1.0, 2.0, 0.5, math.e, math.sqrt(2), math.sqrt(0.5)],
            dense=lambda dt: [(0.5, 2.0), (0.9, 1.1), (1 - 1e-6, 1 + 1e-6), (0, 100)],
        ),
        Kernel(
            "log1p",
            _unary("jnp.log1p"),
            lambda y, dt: mpmath.log1p(y),
            lo=-1.0,
            open_lo=True,
            specials=lambda dt: [0.0, -0.5, math.sqrt(2) - 1, 1 - math.sqrt(2), -0.28, -0.53, 1.0],
            dense=lambda dt: [(-0.53, -0.28), (-0.53, -0.28), (-1, 1), (-1e-4, 1e-4), (1, 1e3)],
        ),
        Kernel(
            "expm1",
            _unary("jnp.expm1"),
            lambda y, dt: _expm1(y),
            specials=lambda dt: [0.0, 1.0, -1.0, math.log(2) / 2, -math.log(2) / 2, _ln_max(dt)],
            dense=lambda dt: [(-1, 1), (-1e-4, 1e-4), (-40, _ln_max(dt) + 1)],
        ),
        Kernel(
            "sqrt",
            _unary("jnp.sqrt"),
            lambda y, dt: mpmath.sqrt(y),
            lo=0.0,
            specials=lambda dt: [0.0, 1.0, 2.0, 4.0, 0.5],
            dense=lambda dt: [(0, 4), (0.25, 4)],
        ),
        Kernel(
            "rsqrt",
            _unary("lax.rsqrt"),
            lambda y, dt: 1 / mpmath.sqrt(y),
            lo=0.0,
            open_lo=True,
            trusted=_from_tiny,  # subnormal y gives +inf (DAZ)
            specials=lambda dt: [1.0, 2.0, 4.0, 0.5],
            dense=lambda dt: [(0, 4), (0.25, 4)],
        ),
        Kernel(
            "cbrt",
            _unary("jnp.cbrt"),
            lambda y, dt: _cbrt(y),
            specials=lambda dt: [0.0, 1.0, -1.0, 8.0, -8.0, 2.0, 0.125],
            dense=lambda dt: [(-10, 10), (0.125, 8)],
        ),
        Kernel(
            "sin",
            _unary("jnp.sin"),
            lambda y, dt: mpmath.sin(y),
            specials=lambda dt: [0.0, 1.0, -1.0],
            dense=lambda dt: [(-10, 10), (-1e3, 1e3), (-1e5, 1e5), (-1e7, 1e7)],
            periodic=True,
        ),
        Kernel(
            "cos",
            _unary("jnp.cos"),
            lambda y, dt: mpmath.cos(y),
            specials=lambda dt: [0.0, 1.0, -1.0],
            dense=lambda dt: [(-10, 10), (-1e3, 1e3), (-1e5, 1e5), (-1e7, 1e7)],
            periodic=True,
        ),
        Kernel(
            "tan",
            _unary("jnp.tan"),
            lambda y, dt: mpmath.tan(y),
            specials=lambda dt: [0.0, 1.0, -1.0, math.pi / 4, -math.pi / 4],
            dense=lambda dt: [(-10, 10), (-1e3, 1e3), (-1e5, 1e5), (-1e7, 1e7)],
            periodic=True,
        ),
        Kernel(
            "atan",
            _unary("jnp.arctan"),
            lambda y, dt: mpmath.atan(y),
            specials=lambda dt: [0.0, 1.0, -1.0, 0.5, 2.0],
            dense=lambda dt: [(-10, 10), (-1, 1)],
        ),
        Kernel(
            "asin",
            _unary("jnp.arcsin"),
            lambda y, dt: mpmath.asin(y),
            lo=-1.0,
            hi=1.0,
            specials=lambda dt: [0.0, 1.0, -1.0, 0.5, -0.5, math.sqrt(0.5), -math.sqrt(0.5)],
            dense=lambda dt: [(-1, 1), (0.9, 1), (-1, -0.9), (0.999999, 1)],
        ),
        Kernel(
            "acos",
            _unary("jnp.arccos"),
            lambda y, dt: mpmath.acos(y),
            lo=-1.0,
            hi=1.0,
            specials=lambda dt: [0.0, 1.0, -1.0, 0.5, -0.5, math.sqrt(0.5), -math.sqrt(0.5)],
            dense=lambda dt: [(-1, 1), (0.9, 1), (-1, -0.9), (0.999999, 1)],
        ),
        Kernel(
            "asinh",
            _unary("jnp.arcsinh"),
            lambda y, dt: mpmath.asinh(y),
            specials=lambda dt: [0.0, 1.0, -1.0, 0.5, -0.5, 2.0, 1e-4, 1e4, -1e4],
            dense=lambda dt: [(-10, 10), (-1, 1), (-1e-3, 1e-3), (-1e6, 1e6)],
        ),
        Kernel(
            "atanh",
            _unary("jnp.arctanh"),
            lambda y, dt: mpmath.atanh(y),
            lo=-1.0,
            hi=1.0,
            open_lo=True,
            open_hi=True,
            specials=lambda dt: [0.0, 0.5, -0.5, 0.9, -0.9, 1e-4, -1e-4, 0.99999, -0.99999],
            dense=lambda dt: [(-1, 1), (0.9, 1), (-1, -0.9), (-1e-3, 1e-3), (0.999999, 1)],
        ),
        Kernel(
            "sinh",
            _unary("jnp.sinh"),
            lambda y, dt: _sinh(y),
            specials=lambda dt: [0.0, 1.0, -1.0, _ln_max(dt) + math.log(2), -_ln_max(dt)],
            dense=lambda dt: [(-1, 1), (-1e-4, 1e-4), (-_ln_max(dt) - 2, _ln_max(dt) + 2)],
        ),
        Kernel(
            "cosh",
            _unary("jnp.cosh"),
            lambda y, dt: _cosh(y),
            specials=lambda dt: [0.0, 1.0, -1.0, _ln_max(dt) + math.log(2), -_ln_max(dt)],
            dense=lambda dt: [(-1, 1), (-1e-4, 1e-4), (-_ln_max(dt) - 2, _ln_max(dt) + 2)],
        ),
        Kernel(
            "tanh",
            _unary("jnp.tanh"),
            lambda y, dt: mpmath.tanh(y),
            specials=lambda dt: [0.0, 0.55, -0.55, 1.0, -1.0, 9.0, -9.0, 19.06, -19.06],
            dense=lambda dt: [(-1, 1), (-1e-3, 1e-3), (-25, 25)],
        ),
        Kernel(
            "sigmoid",
            _unary("jax.nn.sigmoid"),
            lambda y, dt: _sigmoid(y),
            specials=lambda dt: (
                [0.0, 1.0, -1.0, 16.6, 36.7, -_ln_max(dt)] + [_ln_tiny(dt), _ln_sub(dt)]
            ),
            dense=lambda dt: [(-10, 10), (_ln_sub(dt) - 2, 40), (-1e-3, 1e-3)],
        ),
        Kernel(
            "softplus",
            _unary("jax.nn.softplus"),
            lambda y, dt: _softplus(y),
            specials=lambda dt: [0.0, 1.0, -1.0, 16.6, 36.7, 18.0, 33.3, _ln_tiny(dt), _ln_sub(dt)],
            dense=lambda dt: [(-40, 40), (_ln_sub(dt) - 2, _ln_max(dt) + 2), (-1e-3, 1e-3)],
        ),
        Kernel(
            "erf",
            _unary("lax.erf"),
            lambda y, dt: mpmath.erf(y),
            specials=lambda dt: (
                [0.0, 0.5, 0.84375, 1.0, 1.25, 2.857, 3.92, 4.0, 5.92, 6.0]
                + [-0.5, -0.84375, -1.0, -1.25, -2.857, -3.92, -4.0, -5.92, -6.0]
            ),
            dense=lambda dt: [(-7, 7), (-1, 1), (-1e-3, 1e-3), (-4, 4)],
        ),
    ]
    for p in POW_EXPONENTS:
        ks.append(_pow_kernel(p))
    return ks


def pow_name(p: float) -> str:
    """Table key of ``jnp.power(y, p)``: ``pow(0.5)``, ``pow(0.3333333333333333)``..."""
    return f"pow({float(p)!r})"


def _pow_kernel(p: float) -> Kernel:
    def specials(dt):
        # y where y**p reaches the overflow threshold or the smallest normal
        info = _info(dt)
        out = [1.0, 2.0, 0.5]
        for target in (float(info.max), float(info.tiny)):
            lg = math.log(target) / p
            if abs(lg) < 709:
                out.append(math.exp(lg))
        return out

    return Kernel(
        pow_name(p),
        _pow_build(p),
        # The kernel sees the exponent rounded to the dtype, so compare with y ** fl(p).
        lambda y, dt: mpmath.power(y, mpmath.mpf(float(np.dtype(dt).type(p)))),
        lo=0.0,
        open_lo=True,
        specials=specials,
        dense=lambda dt: [(0, 10), (0.9, 1.1), (1 - 1e-5, 1 + 1e-5)],
        exponent=p,
        # XLA's pow reads a subnormal y as 2**-150 (float32) / 2**-1075 (float64) whatever its
        # significand, so y**p is far off there (too large for p < 0): not trusted below tiny.
        trusted=_from_tiny,
    )


KERNELS: dict[str, Kernel] = {k.name: k for k in _kernels()}


# --------------------------------------------------------------------------- point sets


def _cast(values, dtype: str) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        return np.asarray(values, dtype=np.float64).astype(dtype)


def _neighbours(s: float, dtype: str, k: int) -> np.ndarray:
    """``s`` rounded to ``dtype`` and its ``k`` neighbours on each side, and ``s*(1 +- 2**-j)``."""
    t = np.dtype(dtype).type
    x0 = t(s)
    out = [x0]
    up = down = x0
    for _ in range(k):
        up = np.nextafter(up, t(np.inf))
        down = np.nextafter(down, t(-np.inf))
        out += [up, down]
    js = np.arange(1, _bits(dtype) + 6, dtype=np.float64)
    if s != 0:
        out += list(_cast(s * (1 + 2.0**-js), dtype)) + list(_cast(s * (1 - 2.0**-js), dtype))
    else:
        out += list(_cast(2.0**-js, dtype)) + list(_cast(-(2.0**-js), dtype))
    return np.asarray(out, dtype=dtype)


@functools.lru_cache(maxsize=8)
def _near_half_pi_multiples(dtype: str, per_binade: int, k_direct: int) -> np.ndarray:
    """Floats of ``dtype`` closest to multiples of pi/2: in every binade ``[2**e, 2**(e+1))``,
    e >= 0, the ``per_binade`` best ones near even multiples (zeros of sin and tan) and near odd
    multiples (zeros of cos, poles of tan), found among the continued-fraction convergents of
    ``spacing / (pi/2)`` and ``spacing / pi`` and their small multiples; and the floats nearest
    to ``k*pi/2`` for ``k <= k_direct``.  Each comes with its neighbours and its negative."""
    info = _info(dtype)
    p = _bits(dtype)
    emax = int(info.maxexp) - 1
    out: list[float] = []
    m_lo, m_hi = 2 ** (p - 1), 2**p - 1

    def convergent_multiples(c: mpmath.mpf, cands: set[int]) -> None:
        x = c
        h0, h1, k0, k1 = 0, 1, 1, 0
        for _ in range(200):
            a = int(mpmath.floor(x))
            h0, h1 = h1, a * h1 + h0
            k0, k1 = k1, a * k1 + k0
            if k1 > m_hi:
                break
            j = -(-m_lo // k1)
            for jj in range(j, j + 4):
                if jj * k1 <= m_hi:
                    cands.add(jj * k1)
            frac = x - a
            if frac == 0:
                break
            x = 1 / frac

    with mpmath.workprec(emax + 3 * p + 96):
        half_pi = mpmath.pi / 2
        for e in range(0, emax + 1):
            scale = mpmath.ldexp(1, e - p + 1)
            c = scale / half_pi
            cands: set[int] = set()
            convergent_multiples(c, cands)
            convergent_multiples(c / 2, cands)
            scored = []
            for m in cands:
                t = m * c
                k = mpmath.nint(t)
                scored.append((abs(t - k), int(k) % 2, m))
            scored.sort()
            for parity in (0, 1):
                best = [m for _, par, m in scored if par == parity][:per_binade]
                out += [float(mpmath.ldexp(m, e - p + 1)) for m in best]
        for k in range(1, k_direct + 1):
            out.append(float(k * half_pi))
    base = _cast(out, dtype)
    base = base[np.isfinite(base)]
    t = np.dtype(dtype).type
    return np.concatenate(
        [base, np.nextafter(base, t(np.inf)), np.nextafter(base, t(-np.inf)), -base]
    )


def points(kernel: Kernel, dtype: str, n: int, seed: int = 0) -> np.ndarray:
    """About ``n`` normal-or-zero inputs of ``dtype`` in the kernel's domain (see module doc)."""
    rng = np.random.default_rng(seed)
    info = _info(dtype)
    tiny, big = float(info.tiny), float(info.max)
    parts: list[np.ndarray] = []

    # 1. log-spaced magnitudes, both signs, from the smallest normal to the largest finite.
    mags = np.geomspace(tiny, big, max(n // 4, 16))
    parts += [_cast(mags, dtype), _cast(-mags, dtype)]
    # ... and log-spaced distances from finite domain ends.
    for end, sign in ((kernel.lo, 1.0), (kernel.hi, -1.0)):
        if math.isfinite(end):
            d = np.geomspace(float(info.eps) / 4, 2.0, max(n // 20, 16))
            parts.append(_cast(end + sign * d, dtype))

    # 2. random bit patterns.
    nbits = 8 * np.dtype(dtype).itemsize
    ut = {32: np.uint32, 64: np.uint64}[nbits]
    raw = rng.integers(0, 2**nbits, size=max(n // 4, 16), dtype=np.uint64, endpoint=False)
    parts.append(raw.astype(ut).view(dtype))

    # 3. dense uniform ranges.
    ranges = kernel.dense(dtype)
    if ranges:
        each = max(n // (3 * len(ranges)), 16)
        for a, b in ranges:
            parts.append(_cast(rng.uniform(a, b, each), dtype))

    # 4. neighbourhoods of special values and domain ends.
    specials = list(kernel.specials(dtype)) + [0.0, 1.0, -1.0]
    specials += [e for e in (kernel.lo, kernel.hi) if math.isfinite(e)]
    k = 64 if n >= 20000 else 8
    for s in specials:
        if math.isfinite(s) and abs(s) <= big:
            parts.append(_neighbours(s, dtype, k))

    # 5. floats near multiples of pi/2.
    if kernel.periodic:
        per = 4 if n >= 20000 else 1
        parts.append(_near_half_pi_multiples(dtype, per, 2000 if n >= 20000 else 100))

    # 6. subnormal inputs (XLA reads most of them as zero).
    parts.append(subnormal_points(kernel, dtype, max(n // 100, 16), seed + 1))

    y = np.concatenate([np.asarray(q, dtype=dtype) for q in parts])
    return np.unique(y[kernel.in_domain(y)])


def subnormal_points(kernel: Kernel, dtype: str, n: int, seed: int = 1) -> np.ndarray:
    """Subnormal inputs of ``dtype`` in the kernel's domain: both extremes and random ones."""
    rng = np.random.default_rng(seed)
    info = _info(dtype)
    smallest = float(info.smallest_subnormal)
    largest = float(info.tiny) - smallest
    mags = np.concatenate([[smallest, largest], rng.uniform(smallest, largest, n)])
    y = np.concatenate([_cast(mags, dtype), _cast(-mags, dtype)])
    return np.unique(y[kernel.in_domain(y)])


# --------------------------------------------------------------------------- measurement


SMALL_CHUNK = 7  # size of the small arrays evaluated one call each
ARRANGEMENTS = ("sorted", "shifted", "random", "random2", "(-1,10,3)", "small", "0-d")
N_SCALAR = 1500  # points also evaluated as 0-d arrays


def evaluate(
    kernel: Kernel, dtype: str, y: np.ndarray, seed: int = 0
) -> tuple[list[np.ndarray], list[np.ndarray | None]]:
    """The kernel's results on ``y`` under jit, once per calling convention and arrangement,
    and for each a mask of the points it evaluated (``None``: all).

    XLA's CPU kernels have several code paths whose results differ: the vectorized body of a
    long loop, the remainder of that loop and small arrays (float32 ``atan`` returns ``x``
    unchanged for ``|x| < 1e-3`` there, 5.3 ulp off, but not in the body), and 0-d arrays.
    Which one an element takes depends on the array's shape and the element's position.  So
    each point is evaluated in the given (sorted) array, shifted by 3 places, in two random
    orders (mixed SIMD vectors), in small arrays of ``SMALL_CHUNK`` elements (one call each),
    reshaped to ``(-1, 10, 3)``, and, for the first ``N_SCALAR`` points of a random order,
    as 0-d arrays."""
    outs: list[np.ndarray] = []
    masks: list[np.ndarray | None] = []
    y = np.asarray(y, dtype=dtype)
    n = len(y)
    rng = np.random.default_rng(seed)
    perms = [rng.permutation(n), rng.permutation(n)]

    def arranged(fn, perm, shape=None):
        z = y[perm] if shape is None else np.resize(y[perm], shape)
        back = np.empty(n, dtype=dtype)
        back[perm] = np.asarray(fn(z), dtype=dtype).reshape(-1)[:n]
        return back

    for fn in kernel.build(dtype):
        outs.append(np.asarray(fn(y), dtype=dtype))
        shifted = np.concatenate([np.full(3, y[0], dtype=dtype), y]) if n else y
        outs.append(np.asarray(fn(shifted), dtype=dtype)[3:])
        for perm in perms:
            outs.append(arranged(fn, perm))
        m = -(-n // 30) * 30
        perm = perms[0]
        outs.append(arranged(fn, perm, (m // 30, 10, 3)) if n else y.copy())
        small = np.empty(n, dtype=dtype)
        padded = np.resize(perms[1], -(-n // SMALL_CHUNK) * SMALL_CHUNK)  # one shape, one compile
        for i in range(0, n, SMALL_CHUNK):
            idx = padded[i : i + SMALL_CHUNK]
            small[idx] = np.asarray(fn(y[idx]), dtype=dtype)
        outs.append(small)
        scalar = np.full(n, np.nan, dtype=dtype)
        for i in perms[0][:N_SCALAR]:
            scalar[i] = np.asarray(fn(y[i]), dtype=dtype)
        outs.append(scalar)
        masks += [None] * (len(ARRANGEMENTS) - 1) + [np.isin(np.arange(n), perms[0][:N_SCALAR])]
    return outs, masks


def exact_values(kernel: Kernel, dtype: str, y: np.ndarray) -> list[mpmath.mpf]:
    with mpmath.workprec(PREC):
        return [kernel.exact(mpmath.mpf(float(t)), dtype) for t in y]


@dataclass
class Errors:
    """Per-point errors of one kernel on one point set (worst over evaluations)."""

    y: np.ndarray  # inputs (float64 copies)
    v: np.ndarray  # computed results (float64 copies), worst evaluation per point
    exact: np.ndarray  # exact values rounded to float64 (inf where beyond float64 range)
    err: np.ndarray  # |f(y) - v| rounded to float64 (inf where v is finite and f is not)
    ulp: np.ndarray  # err / ulp_dtype(f(y))
    spurious: np.ndarray  # bool: v not finite although f(y) is finite within dtype range
    variants_differ: int  # points whose result depends on the arrangement or convention
    variants: dict[str, np.ndarray]  # the error of each arrangement / convention
    ulp_size: np.ndarray  # ulp of f(y) in dtype


def errors(kernel: Kernel, dtype: str, y: np.ndarray) -> Errors:
    y = np.asarray(y, dtype=dtype)
    outs, masks = evaluate(kernel, dtype, y)
    ex = exact_values(kernel, dtype, y)
    info = _info(dtype)
    big = float(info.max)
    p = _bits(dtype)
    n = len(y)
    err = np.zeros(n)
    exf = np.zeros(n)
    vsel = np.asarray(outs[0], dtype=np.float64).copy()
    nonfinite = np.zeros(n, dtype=bool)
    differing: dict[int, dict[float, float]] = {}
    differ = 0
    with mpmath.workprec(PREC):
        for i in range(n):
            e = ex[i]
            exf[i] = float(e) if mpmath.isfinite(e) else (math.inf if e > 0 else -math.inf)
            vals = {float(o[i]) for o, m in zip(outs, masks, strict=True) if m is None or m[i]}
            worst = math.nan  # stays NaN when no variant gives a finite result
            dmap = {}
            for vi in vals:
                if not math.isfinite(vi):
                    nonfinite[i] = True  # non-finite results are not modelled
                    dmap[vi] = math.nan
                    continue
                d = float(abs(e - mpmath.mpf(vi))) if mpmath.isfinite(e) else math.inf
                dmap[vi] = d
                if math.isnan(worst) or d > worst:
                    worst = d
                    vsel[i] = vi
            if math.isnan(worst):
                vsel[i] = next(iter(vals))
            err[i] = worst
            if len(vals) > 1:
                differ += 1
                differing[i] = dmap
    finite_v = np.isfinite(vsel)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        mag = np.abs(exf)
        _, ex2 = np.frexp(np.where(np.isfinite(mag) & (mag > 0), mag, 1.0))
        emin = int(info.minexp)
        ulp = np.ldexp(1.0, np.maximum(ex2 - 1, emin) - (p - 1))
        ulperr = np.where(finite_v, err / ulp, np.nan)
    spurious = nonfinite & np.isfinite(exf) & (np.abs(exf) <= big)
    names = [
        f"{a}{'' if j == 0 else f' (convention {j + 1})'}"
        for j in range(len(outs) // len(ARRANGEMENTS))
        for a in ARRANGEMENTS
    ]
    variants = {}
    for name, o, m in zip(names, outs, masks, strict=True):
        ve = err.copy()
        for i, dmap in differing.items():
            if m is None or m[i]:
                ve[i] = dmap[float(o[i])]
        if m is not None:
            ve[~m] = math.nan
        variants[name] = ve
    return Errors(y.astype(np.float64), vsel, exf, err, ulperr, spurious, differ, variants, ulp)


def underflow_band(dtype: str) -> float:
    """Results below this magnitude are charged to the absolute error: ``2**p * tiny``."""
    return float(_info(dtype).tiny) * 2.0 ** _bits(dtype)


@dataclass
class Summary:
    """The measured maxima of one kernel in one dtype (inside its trusted domain)."""

    name: str
    dtype: str
    points: int  # inputs with a finite result, inside the trusted domain
    max_ulp: float  # over results with |v| >= underflow_band
    max_rel: float  # |f - v| / |v| over results with |v| >= underflow_band
    max_abs: float  # |f - v| over results with |v| < underflow_band
    worst_input: float  # argmax of the relative error
    worst_abs_input: float  # argmax of the absolute error in the underflow band
    subnormal_max_abs: float  # max |f - v| over subnormal inputs with a finite result
    subnormal_abs_needed: float  # max (|f - v| - rel|v|) over them, rel = choose_margin's
    subnormal_daz: bool  # v(subnormal y) == v(+-0) for every subnormal y tested
    subnormal_nonfinite: int  # subnormal inputs whose result is not finite
    spurious_nonfinite: int  # v not finite although |f(y)| <= largest finite
    spurious_example: float | None  # the smallest |y| of those
    trusted: tuple[float, float]
    beyond_trusted_max_ulp: float
    variants_differ: int
    seconds: float
    binade_max_ulp: dict[int, float] | None = None  # sin, cos, tan only
    variant_max_ulp: dict[str, float] | None = None

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def binade_profile(e: Errors, dtype: str) -> dict[int, float]:
    """Max ulp error per binade ``floor(log2|y|)`` (finite results, normal inputs)."""
    out: dict[int, float] = {}
    fin = np.isfinite(e.v) & (np.abs(e.y) >= float(_info(dtype).tiny))
    _, ex = np.frexp(np.abs(e.y[fin]))
    for b, u in zip(ex - 1, e.ulp[fin], strict=True):
        out[int(b)] = max(out.get(int(b), 0.0), float(u))
    return out


def suggest_trusted(kernel: Kernel, dtype: str, profile: dict[int, float]) -> tuple[float, float]:
    """The kernel's fixed trusted domain if it has one; for sin, cos, tan ``[-2**K, 2**K]``
    with ``2**K`` the first binade whose error exceeds ``TRUST_ULP`` (error growing with |y|
    means argument reduction running out of bits); else the whole line."""
    if kernel.trusted is not None:
        return kernel.trusted(dtype)
    if not kernel.periodic:
        return (-math.inf, math.inf)
    bad = sorted(b for b, u in profile.items() if u > TRUST_ULP and b >= 0)
    if not bad:
        return (-math.inf, math.inf)
    hi = 2.0 ** bad[0]
    return (-hi, hi)


def summarize(
    kernel: Kernel, dtype: str, e: Errors, trusted: tuple[float, float] | None = None
) -> Summary:
    profile = binade_profile(e, dtype)
    if trusted is None:
        trusted = suggest_trusted(kernel, dtype, profile)
    tiny = float(_info(dtype).tiny)
    inside = (e.y >= trusted[0]) & (e.y <= trusted[1])
    fin = np.isfinite(e.v) & inside
    band = underflow_band(dtype)
    # Subnormal inputs are summarized apart (their errors are charged to abs below).
    sub = (np.abs(e.y) < tiny) & (e.y != 0)
    sub_fin = sub & np.isfinite(e.v) & inside
    reg = fin & ~sub & (np.abs(e.v) >= band)
    low = fin & ~sub & (np.abs(e.v) < band)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(reg, e.err / np.abs(e.v), 0.0)
    i_rel = int(np.argmax(rel)) if reg.any() else None
    i_abs = int(np.argmax(np.where(low, e.err, -1.0))) if low.any() else None
    outside = np.isfinite(e.v) & ~inside
    daz = True
    if sub.any():
        zeros = np.asarray([0.0, -0.0], dtype=dtype)
        v0 = evaluate(kernel, dtype, zeros)[0][0].astype(np.float64)
        vz = np.where(e.y[sub] > 0, v0[0], v0[1])
        vs = e.v[sub]
        daz = bool(np.all((vs == vz) | (np.isnan(vs) & np.isnan(vz))))
    sp = np.flatnonzero(e.spurious & inside)
    s = Summary(
        name=kernel.name,
        dtype=dtype,
        points=int(fin.sum()),
        max_ulp=float(np.max(e.ulp[reg])) if reg.any() else 0.0,
        max_rel=float(rel[i_rel]) if i_rel is not None else 0.0,
        max_abs=float(e.err[i_abs]) if i_abs is not None else 0.0,
        worst_input=float(e.y[i_rel]) if i_rel is not None else math.nan,
        worst_abs_input=float(e.y[i_abs]) if i_abs is not None else math.nan,
        subnormal_max_abs=float(np.max(e.err[sub_fin])) if sub_fin.any() else 0.0,
        subnormal_abs_needed=0.0,
        subnormal_daz=daz,
        subnormal_nonfinite=int((sub & ~np.isfinite(e.v)).sum()),
        spurious_nonfinite=len(sp),
        spurious_example=float(np.min(np.abs(e.y[sp]))) if len(sp) else None,
        trusted=trusted,
        beyond_trusted_max_ulp=float(np.max(e.ulp[outside])) if outside.any() else 0.0,
        variants_differ=e.variants_differ,
        seconds=0.0,
    )
    s.variant_max_ulp = {}
    with np.errstate(invalid="ignore", over="ignore"):
        for k, ve in e.variants.items():
            u = ve / e.ulp_size
            ok = reg & np.isfinite(u)
            s.variant_max_ulp[k] = round(float(np.max(u[ok])), 3) if ok.any() else 0.0
    if kernel.periodic:
        s.binade_max_ulp = {b: round(u, 3) for b, u in sorted(profile.items()) if b >= 0}
    # Subnormal inputs: whatever the rel margin does not cover is charged to abs.
    if sub_fin.any():
        rel = _rel_margin(s)
        s.subnormal_abs_needed = float(
            max(0.0, np.max(e.err[sub_fin] - rel * np.abs(e.v[sub_fin])))
        )
    return s


def measure(name: str, dtype: str, n: int, seed: int = 0) -> tuple[Summary, Errors]:
    kernel = KERNELS[name]
    t0 = time.time()
    y = points(kernel, dtype, n, seed)
    e = errors(kernel, dtype, y)
    s = summarize(kernel, dtype, e)
    s.seconds = time.time() - t0
    return s, e


# --------------------------------------------------------------------------- report


def _fmt(x: float | None) -> str:
    if x is None:
        return "-"
    if x == 0 or not math.isfinite(x):
        return str(x)
    return f"{x:.3g}"


REL_FLOOR = {"float32": 2.0**-16, "float64": 2.0**-46}
REL_HEADROOM = 16.0
ABS_HEADROOM = 4.0


def _pow2_ceil(x: float) -> float:
    m, e = math.frexp(x)
    return math.ldexp(1.0, e - 1) if m == 0.5 else math.ldexp(1.0, e)


def choose_margin(s: Summary) -> tuple[float, float]:
    """``(rel, abs)`` with headroom: ``rel >= 16 * max_rel`` and ``>= 2**-46`` (float64) /
    ``2**-16`` (float32); ``abs >= 4 * max_abs`` and ``>= 4 * tiny``; both rounded up to
    powers of two."""
    tiny = float(_info(s.dtype).tiny)
    worst_abs = max(s.max_abs, s.subnormal_abs_needed, tiny)
    return _rel_margin(s), _pow2_ceil(ABS_HEADROOM * worst_abs)


def _rel_margin(s: Summary) -> float:
    return _pow2_ceil(max(REL_HEADROOM * s.max_rel, REL_FLOOR[s.dtype]))


def table_key(name: str) -> str:
    """``pow(0.5)`` -> ``pow`` (the margins of all measured exponents are merged)."""
    return "pow" if name.startswith("pow(") else name


def _lit(x) -> str:
    """A Python literal for a float (``math.nan``, ``math.inf``) or other value."""
    if isinstance(x, float) and not math.isfinite(x):
        return "math.nan" if math.isnan(x) else ("math.inf" if x > 0 else "-math.inf")
    return repr(x)


def python_literals(summaries: list[Summary]) -> str:
    """``MEASURED``, ``MARGINS`` and ``TRUSTED_DOMAIN`` as Python source for ulp_table.py."""
    fields = (
        "max_rel", "max_abs", "max_ulp", "points", "worst_input", "worst_abs_input",
        "subnormal_max_abs", "subnormal_abs_needed", "subnormal_daz", "subnormal_nonfinite",
        "spurious_nonfinite", "spurious_example", "beyond_trusted_max_ulp",
    )  # fmt: skip
    lines = ["MEASURED = {"]
    for s in summaries:
        lines.append(f"    ({s.name!r}, {s.dtype!r}): dict(")
        line = "       "
        for f in fields:
            item = f" {f}={_lit(getattr(s, f))},"
            if len(line) + len(item) > 99:
                lines.append(line)
                line = "       "
            line += item
        lines.append(line)
        lines.append("    ),")
    lines.append("}")
    margins: dict[tuple[str, str], tuple[float, float]] = {}
    trusted: dict[tuple[str, str], tuple[float, float]] = {}
    for s in summaries:
        key = (table_key(s.name), s.dtype)
        rel, abs_ = choose_margin(s)
        old = margins.get(key, (0.0, 0.0))
        margins[key] = (max(rel, old[0]), max(abs_, old[1]))
        if tuple(s.trusted) != (-math.inf, math.inf):
            lo, hi = trusted.get(key, (-math.inf, math.inf))
            trusted[key] = (max(lo, s.trusted[0]), min(hi, s.trusted[1]))
    lines.append("MARGINS = {")
    for key, (rel, abs_) in margins.items():
        lines.append(f"    {key!r}: ({_pow_literal(rel)}, {_pow_literal(abs_)}),")
    lines.append("}")
    lines.append("TRUSTED_DOMAIN = {")
    for key, (lo, hi) in trusted.items():
        lines.append(f"    {key!r}: ({_bound_literal(lo)}, {_bound_literal(hi)}),")
    lines.append("}")
    return "\n".join(lines)


def summaries_from_json(path: str) -> list[Summary]:
    """The summaries a previous run wrote with ``--json``."""
    with open(path) as fh:
        data = json.load(fh)
    out = []
    for r in data["results"]:
        r = dict(r)
        r["trusted"] = tuple(r["trusted"])
        out.append(Summary(**r))
    return out


def _pow_literal(x: float) -> str:
    e = math.frexp(x)[1] - 1
    assert x == math.ldexp(1.0, e)
    return f"2.0**{e}"


def _bound_literal(x: float) -> str:
    if math.isinf(x):
        return "-math.inf" if x < 0 else "math.inf"
    m, e = math.frexp(abs(x))
    if m == 0.5:
        return ("-" if x < 0 else "") + f"2.0**{e - 1}"
    return repr(x)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="~2k points per kernel")
    ap.add_argument("-n", type=int, default=None, help="points per kernel (default 150000)")
    ap.add_argument("--only", nargs="*", default=None, help="kernel names to measure")
    ap.add_argument("--dtypes", nargs="*", default=list(DTYPES))
    ap.add_argument("--json", default=None, help="write the summaries to this JSON file")
    ap.add_argument("--python", action="store_true", help="print the ulp_table.py literals")
    ap.add_argument("--profile", action="store_true", help="print per-binade max ulp")
    ap.add_argument("--from-json", default=None, help="print the literals of a saved run")
    ap.add_argument(
        "--batch-options",
        action="store_true",
        help="compile the kernels with autobound.compiler_options('outward')",
    )
    args = ap.parse_args(argv)
    if args.from_json:
        print(python_literals(summaries_from_json(args.from_json)))
        return 0
    n = args.n or (2000 if args.quick else 150000)
    jax = _jax()
    if args.batch_options:
        from autobound.xla_options import compiler_options

        COMPILER_OPTIONS.update(compiler_options("outward"))
        print(f"compiler options: {COMPILER_OPTIONS}")
    names = args.only or list(KERNELS)
    print(
        f"jax {jax.__version__}, numpy {np.__version__}, mpmath {mpmath.__version__} "
        f"({PREC} bits), {_cpu_name()}, n={n}"
    )
    hdr = (
        f"{'function':24s} {'dtype':8s} {'points':>7s} {'max ulp':>8s} {'max rel':>9s} "
        f"{'max abs':>9s} {'subn abs':>9s} {'rel marg':>9s} {'abs marg':>9s} {'trusted':>10s} "
        f"{'s':>5s}  worst input"
    )
    print(hdr)
    print("-" * len(hdr))
    summaries: list[Summary] = []
    t_all = time.time()
    for name in names:
        for dt in args.dtypes:
            s, e = measure(name, dt, n)
            summaries.append(s)
            rel, abs_ = choose_margin(s)
            lo, hi = s.trusted
            tr = "all" if (lo, hi) == (-math.inf, math.inf) else f"{lo:.3g}..{hi:.3g}"
            print(
                f"{name:24s} {dt:8s} {s.points:7d} {s.max_ulp:8.3g} {s.max_rel:9.3g} "
                f"{s.max_abs:9.3g} {s.subnormal_max_abs:9.3g} {rel:9.3g} {abs_:9.3g} {tr:>10s} "
                f"{s.seconds:5.1f}  {_fmt(s.worst_input)}",
                flush=True,
            )
            if args.profile or KERNELS[name].periodic:
                prof = binade_profile(e, dt)
                firsts = {
                    lim: min((b for b, u in prof.items() if u > lim and b >= 0), default=None)
                    for lim in (1, 4, 16, 256)
                }
                print("   first binade log2|y| with max ulp >1, >4, >16, >256:", firsts)
                if args.profile:
                    print("   ", {b: round(u, 2) for b, u in sorted(prof.items()) if b >= 0})
            if s.spurious_nonfinite:
                print(
                    f"   {s.spurious_nonfinite} non-finite results where f is finite, "
                    f"smallest |y|: {s.spurious_example!r}"
                )
            if s.beyond_trusted_max_ulp:
                print(f"   beyond the trusted domain: max ulp {s.beyond_trusted_max_ulp:.3g}")
            if s.variants_differ:
                per = ", ".join(f"{k} {v:.3g}" for k, v in s.variant_max_ulp.items())
                print(f"   {s.variants_differ} points differ between arrangements; max ulp: {per}")
            if not s.subnormal_daz:
                print("   subnormal inputs are NOT all read as zero")
            if s.subnormal_nonfinite:
                print(f"   {s.subnormal_nonfinite} subnormal inputs give a non-finite result")
    print(f"total {time.time() - t_all:.0f} s")
    if args.json:
        meta = dict(
            date=datetime.date.today().isoformat(),
            jax=jax.__version__,
            numpy=np.__version__,
            mpmath=mpmath.__version__,
            python=sys.version.split()[0],
            cpu=_cpu_name(),
            command=" ".join(["benchmarks/measure_ulp_errors.py"] + (argv or sys.argv[1:])),
            n=n,
        )
        with open(args.json, "w") as fh:
            json.dump(dict(meta=meta, results=[s.as_dict() for s in summaries]), fh, indent=1)
    if args.python:
        print(python_literals(summaries))
    return 0


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


if __name__ == "__main__":
    raise SystemExit(main())
