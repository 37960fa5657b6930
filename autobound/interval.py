"""Interval arithmetic on JAX arrays, with optional outward rounding.

A *value* is either a JAX array (a point) or an :class:`Interval` ``(lo, hi)`` of arrays of the
same shape.  An :class:`Arith` carries the rounding mode and does arithmetic on values:

* ``Arith("nearest")``: round to nearest, as plain floating point; points stay points.
* ``Arith("outward")``: every result contains the exact real result of the operation on the
  exact real inputs.  A point means an exactly known number; any operation that may round
  returns an :class:`Interval` whose lower end is rounded down and upper end rounded up.

Outward rounding is built on IEEE correct rounding of ``+ - * /`` and ``sqrt``: a result
rounded to nearest is within half an ulp, so the next float in each direction bounds the exact
value.  XLA on CPU flushes subnormals to zero (FTZ/DAZ), so every outward step also moves by
the smallest normal number ``tiny``: ``down(v) = v − 4u|v| − tiny`` (u the unit roundoff).  Sums of
many terms use the a-priori bound ``|fl(sum) - sum| <= gamma_m * sum |x_i|`` (Higham,
*Accuracy and Stability of Numerical Algorithms*, Thm 4.4) plus ``m * tiny`` for flushed
underflows.  An overflow keeps its sign and size: a lower end rounded to +inf becomes (just
below) the largest finite number M, since round-to-nearest gives +inf only from M + ulp(M)/2
on, and an upper end rounded to -inf likewise.  A NaN endpoint means "unknown" (it arises from
``inf − inf`` and ``0·inf``): NaN propagates through min/max, and :func:`sanitize` turns it
into the whole line at the end.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

Array = Any


class Interval(NamedTuple):
    """The closed interval ``[lo, hi]`` (entrywise for arrays).  A JAX pytree."""

    lo: Array
    hi: Array

    @property
    def shape(self) -> tuple[int, ...]:
        return jnp.shape(self.lo)

    @property
    def dtype(self):
        return jnp.result_type(self.lo)


Value = Any  # Array | Interval


def is_interval(v: Value) -> bool:
    return isinstance(v, Interval)


def as_interval(v: Value) -> Interval:
    """`v` as an :class:`Interval` (a point p becomes ``[p, p]``)."""
    return v if isinstance(v, Interval) else Interval(v, v)


def lo(v: Value) -> Array:
    return v.lo if isinstance(v, Interval) else v


def hi(v: Value) -> Array:
    return v.hi if isinstance(v, Interval) else v


def shape_of(v: Value) -> tuple[int, ...]:
    return jnp.shape(lo(v))


def dtype_of(v: Value):
    return jnp.result_type(lo(v))


def tree_map(f, v: Value) -> Value:
    """Apply `f` to each end of an interval (or to a point): for maps that are exact and
    monotone on every entry, e.g. reshapes, slices, broadcasts."""
    if isinstance(v, Interval):
        return Interval(f(v.lo), f(v.hi))
    return f(v)


def _tiny(x: Array) -> Array:
    return jnp.asarray(jnp.finfo(jnp.result_type(x)).tiny, jnp.result_type(x))


def _step(x: Array) -> Array:
    # 4 units of roundoff of |x| (exact scaling by a power of two), plus the smallest normal
    # number for results that underflowed and were flushed to zero.
    fi = jnp.finfo(jnp.result_type(x))
    return jnp.abs(x) * jnp.asarray(2.0 * float(fi.eps), x.dtype) + _tiny(x)


def down(x: Array) -> Array:
    """A float <= the exact value whose round-to-nearest is `x` (FTZ-safe).

    The exact value t satisfies ``|t − x| <= u|x|`` (u = eps/2), or ``|t| <= tiny`` after an
    underflow flushed to zero; so ``fl(x − 4u|x| − tiny) <= x − 3u|x| <= t``.  An overflow to
    +inf means t >= M + ulp(M)/2 (M the largest finite number): +inf is first taken as M,
    so an overflowed lower end stays just below M, keeping its sign and size (and
    1/[M', inf] is [0, 1/M'], not the whole line).  -inf stays -inf, NaN stays NaN.
    """
    m = jnp.minimum(x, jnp.finfo(jnp.result_type(x)).max)
    return m - _step(m)


def up(x: Array) -> Array:
    """A float >= the exact value whose round-to-nearest is `x` (FTZ-safe); -inf (an
    overflow below -M) gives a value just above -M.  See :func:`down`."""
    m = jnp.maximum(x, -jnp.finfo(jnp.result_type(x)).max)
    return m + _step(m)


def down_magnitude(x: Array) -> Array:
    """:func:`down` of a product of non-negative numbers, kept >= 0."""
    return jnp.maximum(down(x), 0.0)


def _product_ends(a: Value, b: Value) -> tuple[Array, Array]:
    """The ends of the hull of the end products of `a` and `b` (points or intervals), each
    product rounded to nearest (for points: the product itself, twice)."""
    ia, ib = isinstance(a, Interval), isinstance(b, Interval)
    if not ia and not ib:
        p = a * b
        return p, p
    if ia and ib:
        ps = [a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi]
    elif ia:
        ps = [a.lo * b, a.hi * b]
    else:
        ps = [a * b.lo, a * b.hi]
    lo_, hi_ = ps[0], ps[0]
    for p in ps[1:]:
        lo_, hi_ = jnp.minimum(lo_, p), jnp.maximum(hi_, p)
    return lo_, hi_


def _power_of_two(c: Any) -> bool:
    """Whether `c` is a Python number ``±2^j``, 0 <= j <= 64 (a scaling that is exact in
    binary floating point unless it overflows)."""
    if type(c) not in (int, float) or c == 0 or not math.isfinite(c):
        return False
    m, _ = math.frexp(abs(c))
    return m == 0.5 and 1 <= abs(c) <= 2.0**64


#: A bilinear map's rounding term goes through its cheap magnitude bound when its
#: contraction forms at least this many times as many products as the bound's inputs and
#: output have entries (the MM line bound of a 780-128 layer on 256 points: 25.5 M products
#: against 0.33 M entries; one box's 12x4 layer: 48 against 64).
MAGNITUDE_PAYS = 8


def _magnitude_pays(ma: Array, mb: Array, c: Array, m: int) -> bool:
    """Whether a contraction of `m` products per entry of `c` costs :data:`MAGNITUDE_PAYS`
    times a bound that reads `ma` and `mb` once and writes `c` once, in float64.  In
    float32 the rounding term (about m·6e-8 of the magnitudes) is a visible part of a
    width, and the looser bound cost it: the MM line bound of a 10^5-parameter MLP had its
    constant term 1.56x wider and certified an 11 % smaller decrease."""
    if c.dtype != jnp.float64:
        return False
    return c.size * m >= MAGNITUDE_PAYS * (ma.size + mb.size + c.size)


def round_outward_to(dtype: Any, lo_: Any, hi_: Any) -> tuple[np.ndarray, np.ndarray]:
    """Host-side: float64 ends ``lo_ <= hi_`` as numpy arrays of `dtype` with ``lo <= lo_``
    and ``hi >= hi_`` (rounded to nearest, then one step outward where that moved inward)."""
    dt = np.dtype(dtype)
    lo_, hi_ = np.asarray(lo_, np.float64), np.asarray(hi_, np.float64)
    lo_dt, hi_dt = lo_.astype(dt), hi_.astype(dt)
    lo_dt = np.where(lo_dt.astype(np.float64) > lo_, np.nextafter(lo_dt, dt.type(-np.inf)), lo_dt)
    hi_dt = np.where(hi_dt.astype(np.float64) < hi_, np.nextafter(hi_dt, dt.type(np.inf)), hi_dt)
    return lo_dt.astype(dt), hi_dt.astype(dt)


def sanitize(v: Value) -> Value:
    """Replace NaN ends by the whole line (an unknown value is anywhere)."""
    if not isinstance(v, Interval):
        return v
    bad = jnp.isnan(v.lo) | jnp.isnan(v.hi)
    return Interval(
        jnp.where(bad, -jnp.inf, v.lo).astype(v.lo.dtype),
        jnp.where(bad, jnp.inf, v.hi).astype(v.hi.dtype),
    )


class Arith:
    """Arithmetic on values in one rounding mode (``"nearest"`` or ``"outward"``).

    Every method accepts points, intervals and Python numbers (a Python number is taken
    exactly: in outward mode a number not representable in the dtype becomes an enclosing
    interval).
    """

    def __init__(self, rounding: str, dtype: Any, kernel_margins: bool = True):
        if rounding not in ("nearest", "outward"):
            raise ValueError(f"rounding must be 'nearest' or 'outward', got {rounding!r}")
        self.rounding = rounding
        self.outward = rounding == "outward"
        self.dtype = jnp.dtype(dtype)
        # False: outward rounding of + - * / only, library kernels taken as correctly rounded
        # (accurate, not rigorous; no rule of the engine uses it since nearest mode computes
        # its remainders in plain floating point with an a-priori error term).
        self.kernel_margins = kernel_margins
        self._zeros: list = []  # arrays known to be exactly zero (see known_zero)

    # -- conversion ------------------------------------------------------------------
    def const(self, c: Any, shape: tuple[int, ...] = ()) -> Value:
        """An exact Python number (int, float, Fraction) as a value of this dtype."""
        if isinstance(c, (Interval, jnp.ndarray, np.ndarray)) or hasattr(c, "aval"):
            return c
        fr = Fraction(c)
        near = np.asarray(float(fr), dtype=self.dtype)
        if not self.outward or Fraction(float(near)) == fr:
            return jnp.full(shape, near, self.dtype)
        lo_ = near if Fraction(float(near)) < fr else np.nextafter(near, -np.inf, dtype=self.dtype)
        hi_ = near if Fraction(float(near)) > fr else np.nextafter(near, np.inf, dtype=self.dtype)
        return Interval(jnp.full(shape, lo_, self.dtype), jnp.full(shape, hi_, self.dtype))

    def _v(self, v: Any) -> Value:
        if isinstance(v, (int, float, Fraction)):
            return self.const(v)
        return v

    @staticmethod
    def _exact(v: Any, c: int) -> bool:
        """Whether `v` is the exact Python integer `c` (a structural constant that the
        arithmetic short-circuits: series of the identity are mostly zeros and ones)."""
        return type(v) is int and v == c

    def known_zero(self, v: Array) -> Array:
        """Register the array `v` as exactly zero in every entry (an expansion point known to
        be 0 when the program is built, a coefficient no product reaches): :meth:`add` of
        it to an array of the result's shape returns that array, and products with it are
        dropped from :meth:`dot` (and from enclosure products), so that they stay exact.
        The array itself is held (not its id), for the lifetime of this Arith (one trace)."""
        self._zeros.append(v)
        return v

    def is_zero(self, v: Any) -> bool:
        """Whether `v` is the Python 0 or an array registered by :meth:`known_zero`."""
        return self._exact(v, 0) or any(v is z for z in self._zeros)

    def _round(self, lo_: Array, hi_: Array) -> Interval:
        """Interval from the ends of results of single correctly rounded operations.

        Rounding to nearest (and flushing to zero) keeps the sign of the exact result, so a
        lower end that is +0.0 or positive proves the exact value >= 0 and is not rounded
        below 0 (likewise for upper ends <= -0.0): exact zeros stay sign-definite, which the
        rules' monotonicity tests rely on."""
        d, u = down(lo_), up(hi_)
        return Interval(
            jnp.where(jnp.signbit(lo_), d, jnp.maximum(d, 0.0)),
            jnp.where(jnp.signbit(hi_), jnp.minimum(u, 0.0), u),
        )

    # -- basic operations -------------------------------------------------------------
    def neg(self, a: Value) -> Value:
        if self._exact(a, 0):
            return 0
        a = self._v(a)
        if isinstance(a, Interval):
            return Interval(-a.hi, -a.lo)
        return -a

    def add(self, a: Value, b: Value) -> Value:
        if self._exact(a, 0):
            return b
        if self._exact(b, 0):
            return a
        for x, y in ((a, b), (b, a)):  # a known zero array added to one of the sum's shape
            if self.is_zero(y) and not isinstance(x, (int, float, Fraction)):
                if shape_of(x) == jnp.broadcast_shapes(shape_of(x), shape_of(y)):
                    return x
        a, b = self._v(a), self._v(b)
        if not isinstance(a, Interval) and not isinstance(b, Interval):
            return self._exact_zeros(a, b, self._round(a + b, a + b)) if self.outward else a + b
        lo_, hi_ = lo(a) + lo(b), hi(a) + hi(b)
        return (
            self._exact_zeros(a, b, self._round(lo_, hi_)) if self.outward else Interval(lo_, hi_)
        )

    @staticmethod
    def _exact_zeros(a: Value, b: Value, r: Interval) -> Interval:
        """A sum of two finite floats is exactly 0 if and only if they cancel (``x == -y``):
        then that end is 0, not widened by the underflow allowance (a computed 0 from other
        operands may be a flushed subnormal).  Exact cancellations are common at contact
        points (exp(0) - 1), where the sign of 0 decides domains and kinks."""
        zl = (lo(a) == -lo(b)) & jnp.isfinite(lo(a))
        zh = (hi(a) == -hi(b)) & jnp.isfinite(hi(a))
        return Interval(jnp.where(zl, 0.0, r.lo), jnp.where(zh, 0.0, r.hi))

    def sub(self, a: Value, b: Value) -> Value:
        return self.add(a, self.neg(self._v(b)))

    def mul(self, a: Value, b: Value) -> Value:
        """Product; an interval product is the hull of the four end products.  A Python
        number ``±2^j`` (j >= 0) scales exactly (see :meth:`_scale`)."""
        if self._exact(a, 0) or self._exact(b, 0):
            return 0
        if self._exact(a, 1):
            return b
        if self._exact(b, 1):
            return a
        if _power_of_two(a):
            return self._scale(b, a)
        if _power_of_two(b):
            return self._scale(a, b)
        return self._from_ends(*_product_ends(self._v(a), self._v(b)))

    def _scale(self, v: Value, c: int | float) -> Value:
        """``c·v`` for ``c = ±2^j`` (j of either sign), without a rounding step: each end is
        scaled exactly unless it overflows (|c| > 1) or underflows (|c| < 1).  In outward
        mode a lower end that overflows to +inf is held at M (the exact value lies above M;
        +inf would claim more), an upper end at -inf at -M; ends that overflow outward stay
        infinite.  A quotient below the smallest normal number, which XLA:CPU flushes to a
        zero of its sign, becomes ``-tiny`` as the lower end of a negative value and
        ``tiny`` as the upper end of a positive one.  Signs, zeros' included, are kept (a
        lower end +0.0 still proves >= 0, see :meth:`_round`)."""
        if c == -1:
            return self.neg(v)
        if c < 0:
            return self.neg(self._scale(v, -c))
        v = self._v(v)
        if not self.outward:
            return tree_map(lambda t: t * c, v)
        lo_, hi_ = lo(v) * c, hi(v) * c
        if c >= 1:
            big = float(jnp.finfo(self.dtype).max)
            return Interval(jnp.minimum(lo_, big), jnp.maximum(hi_, -big))
        tiny = float(jnp.finfo(self.dtype).tiny)
        return Interval(
            jnp.where((lo(v) < 0) & (lo_ > -tiny), -tiny, lo_),
            jnp.where((hi(v) > 0) & (hi_ < tiny), tiny, hi_),
        )

    def _from_ends(self, lo_: Array, hi_: Array) -> Value:
        """The value with the ends of one correctly rounded operation: rounded outward in
        outward mode, else a point where both ends are the same array."""
        if self.outward:
            return self._round(lo_, hi_)
        return Interval(lo_, hi_) if lo_ is not hi_ else lo_

    def dot(self, pairs: list[tuple[Value, Value]]) -> Value:
        """``Σ_t x_t · y_t`` (entrywise, broadcasting), for the coefficient sums of
        enclosure products.

        Outward mode rounds the whole sum once instead of every product and partial sum:
        each computed end ``l_t`` of a product (the min or max of correctly rounded end
        products, which is the rounded exact end, rounding being monotone) is within
        ``u |l_t| / (1 − u)`` of the exact end, or within ``tiny`` where it underflowed, and
        the recursive sum of N of them is within ``γ_{N−1} Σ |l_t|`` (Higham, *Accuracy and
        Stability of Numerical Algorithms*, §4.2) plus ``tiny`` per flushed partial sum: in
        all ``N u (1 + O(N u)) Σ |l_t| + (2N − 1) tiny``.  So the exact sum of lower ends lies
        above ``fl(Σ l_t) − up((N + 2) u M + 2N tiny)`` with M the computed ``Σ |l_t|`` (u =
        eps/2; the extra 2u covers the rounding of M and the O(N u) terms for N up to
        thousands, even in float32), likewise for the upper ends.  As in :meth:`_round`, an
        end whose every product kept its sign (lower ends without a sign bit, upper ends with
        one) proves the sum's sign and is clamped at 0.  A non-finite or NaN bound (an
        overflow) is the whole line there.
        """
        terms, exact = [], None
        for x, y in pairs:
            if self.is_zero(x) or self.is_zero(y):
                continue
            if self._exact(x, 1):
                x, y = y, x
            if self._exact(y, 1):  # the other factor, exactly
                exact = v = self._v(x)
                terms.append((lo(v), hi(v)))
            else:
                terms.append(_product_ends(self._v(x), self._v(y)))
        if not terms:
            return 0
        if len(terms) == 1 and exact is not None:  # one exact term: nothing to round
            return exact
        if not self.outward or len(terms) == 1:
            acc = None
            for ends in terms:
                t = self._from_ends(*ends)
                acc = t if acc is None else self.add(acc, t)
            return acc
        n = len(terms)
        slo = shi = mlo = mhi = None
        nonneg = nonpos = None
        for lo_, hi_ in terms:
            slo = lo_ if slo is None else slo + lo_
            shi = hi_ if shi is None else shi + hi_
            alo, ahi = jnp.abs(lo_), jnp.abs(hi_)
            mlo = alo if mlo is None else mlo + alo
            mhi = ahi if mhi is None else mhi + ahi
            pos, neg = jnp.logical_not(jnp.signbit(lo_)), jnp.signbit(hi_)
            nonneg = pos if nonneg is None else jax.lax.bitwise_and(nonneg, pos)
            nonpos = neg if nonpos is None else jax.lax.bitwise_and(nonpos, neg)
        fi = jnp.finfo(self.dtype)
        g, t = (n + 2) * float(fi.eps) / 2, 2 * n * float(fi.tiny)
        rlo, rhi = down(slo - up(g * mlo + t)), up(shi + up(g * mhi + t))
        rlo = jnp.where(nonneg, jnp.maximum(rlo, 0.0), rlo)
        rhi = jnp.where(nonpos, jnp.minimum(rhi, 0.0), rhi)
        return sanitize(Interval(rlo, rhi))

    def div(self, a: Value, b: Value) -> Value:
        """Quotient; a divisor interval containing 0 gives the whole line."""
        if self._exact(a, 0):
            return 0
        if self._exact(b, 1):
            return a
        if _power_of_two(b):
            return self._scale(a, 1.0 / b)  # 1/b: a power of two, exact
        a, b = self._v(a), self._v(b)
        if not isinstance(a, Interval) and not isinstance(b, Interval):
            q = a / b
            return self._round(q, q) if self.outward else q
        if not isinstance(b, Interval):
            q1, q2 = a.lo / b, a.hi / b
            lo_, hi_ = jnp.minimum(q1, q2), jnp.maximum(q1, q2)
            return self._round(lo_, hi_) if self.outward else Interval(lo_, hi_)
        blo, bhi = lo(b), hi(b)
        qs = [lo(a) / blo, lo(a) / bhi, hi(a) / blo, hi(a) / bhi]
        lo_, hi_ = qs[0], qs[0]
        for q in qs[1:]:
            lo_, hi_ = jnp.minimum(lo_, q), jnp.maximum(hi_, q)
        zero_in = (blo <= 0) & (bhi >= 0)
        r = self._round(lo_, hi_) if self.outward else Interval(lo_, hi_)
        return Interval(jnp.where(zero_in, -jnp.inf, r.lo), jnp.where(zero_in, jnp.inf, r.hi))

    def square(self, a: Value) -> Value:
        """Exact range of x**2 (never negative)."""
        return self.ipow(a, 2)

    def ipow(self, a: Value, n: int) -> Value:
        """Range of x**n for an integer n >= 0, by repeated multiplication of magnitudes."""
        a = self._v(a)
        if n == 0:
            return jnp.ones_like(lo(a))
        if n == 1:
            return a
        if not isinstance(a, Interval):
            r = a
            for _ in range(n - 1):
                r = r * a
            if not self.outward:
                return r
            m = self._pow_mag(jnp.abs(a), n, True), self._pow_mag(jnp.abs(a), n, False)
            neg = (a < 0) & (n % 2 == 1)
            return Interval(jnp.where(neg, -m[1], m[0]), jnp.where(neg, -m[0], m[1]))
        alo, ahi = a.lo, a.hi
        if n % 2 == 0:
            mlo = jnp.where((alo <= 0) & (ahi >= 0), 0.0, jnp.minimum(jnp.abs(alo), jnp.abs(ahi)))
            mhi = jnp.maximum(jnp.abs(alo), jnp.abs(ahi))
            return Interval(self._pow_mag(mlo, n, True), self._pow_mag(mhi, n, False))
        rlo = jnp.where(alo >= 0, self._pow_mag(alo, n, True), -self._pow_mag(-alo, n, False))
        rhi = jnp.where(ahi >= 0, self._pow_mag(ahi, n, False), -self._pow_mag(-ahi, n, True))
        return Interval(rlo, rhi)

    def _pow_mag(self, m: Array, n: int, lower: bool) -> Array:
        """m**n for m >= 0, rounded down (`lower`) or up in outward mode (a lower end that
        overflows stays just below M: see :func:`down`)."""
        r = m
        for _ in range(n - 1):
            r = r * m
            if self.outward:
                r = down_magnitude(r) if lower else up(r)
        return r

    # -- set operations ---------------------------------------------------------------
    def hull(self, a: Value, b: Value) -> Interval:
        return Interval(jnp.minimum(lo(a), lo(b)), jnp.maximum(hi(a), hi(b)))

    def intersect(self, a: Value, b: Value) -> Interval:
        """Intersection; where empty (possible only through nearest rounding) keep `a`.  A NaN
        end carries no information (0·inf in a bound that holds anyway): the other wins."""
        ilo, ihi = jnp.fmax(lo(a), lo(b)), jnp.fmin(hi(a), hi(b))
        empty = ilo > ihi
        return Interval(jnp.where(empty, lo(a), ilo), jnp.where(empty, hi(a), ihi))

    def where(self, cond: Array, a: Value, b: Value) -> Value:
        if not isinstance(a, Interval) and not isinstance(b, Interval):
            return jnp.where(cond, a, b)
        return Interval(jnp.where(cond, lo(a), lo(b)), jnp.where(cond, hi(a), hi(b)))

    def midpoint(self, a: Value) -> Array:
        """A float inside `a` (its midpoint, overflow-safe)."""
        if not isinstance(a, Interval):
            return a
        m = 0.5 * a.lo + 0.5 * a.hi
        m = jnp.where(jnp.isfinite(m), m, jnp.where(jnp.isfinite(a.lo), a.lo, a.hi))
        return jnp.clip(m, a.lo, a.hi)

    def widen(self, v: Array, rel: float, abs_: float) -> Value:
        """The interval ``v -+ (rel*|v| + abs)``: a library kernel's result with its error."""
        if not self.outward:
            return v
        e = up(rel * jnp.abs(v) + abs_)
        return Interval(down(v - e), up(v + e))

    # -- sums and contractions ----------------------------------------------------------
    def sum(self, a: Value, axis: Any) -> Value:
        """Sum over `axis` (int or tuple); outward mode adds Higham's gamma_m error bound."""
        axes = (axis,) if isinstance(axis, int) else tuple(axis)
        if not axes:
            return a
        shp = shape_of(a)
        m = int(np.prod([shp[i] for i in axes]))
        if m == 1:  # one term: exact, a reshape
            keep = tuple(d for i, d in enumerate(shp) if i not in axes and i - len(shp) not in axes)
            return tree_map(lambda x: jnp.reshape(x, keep), a)
        if not self.outward:
            return tree_map(lambda x: jnp.sum(x, axis=axes), a)
        lo_, hi_ = lo(a), hi(a)
        slo, shi = jnp.sum(lo_, axis=axes), jnp.sum(hi_, axis=axes)
        eps = float(jnp.finfo(self.dtype).eps)
        g = (m + 2) * eps
        tiny = float(jnp.finfo(self.dtype).tiny)
        elo = g * jnp.sum(jnp.abs(lo_), axis=axes) + m * tiny
        ehi = g * jnp.sum(jnp.abs(hi_), axis=axes) + m * tiny
        rlo, rhi = down(slo - up(elo)), up(shi + up(ehi))
        # A sum of nonnegative (nonpositive) reals keeps that sign: domain checks rely on it.
        rlo = jnp.where(jnp.all(lo_ >= 0, axis=axes), jnp.maximum(rlo, 0.0), rlo)
        rhi = jnp.where(jnp.all(hi_ <= 0, axis=axes), jnp.minimum(rhi, 0.0), rhi)
        return Interval(rlo, rhi)

    def bilinear(self, f, a: Value, b: Value, m: int, magnitude=None) -> Value:
        """``f(a, b)`` for a bilinear `f` that sums `m` products per output entry.

        `f` must satisfy ``|f(x, y)| <= f(|x|, |y|)`` (sums of products: dot_general,
        convolutions).  Intervals go through midpoint-radius form (Rump, *Fast and parallel
        interval arithmetic*, BIT 1999): with ``a = ma ± ra`` and ``b = mb ± rb``,

        $$ |f(a, b) - f(m_a, m_b)| \\le f(|m_a|, r_b) + f(r_a, |m_b|) + f(r_a, r_b)
           = f(|m_a|, r_b) + f(r_a, |m_b| + r_b). $$

        Outward mode adds the rounding error of the computed ``f(ma, mb)``, at most
        ``γ_m f(|ma|, |mb|)`` plus ``2m·tiny`` for flushed underflows (Higham, *Accuracy and
        Stability of Numerical Algorithms*, §3.1), folded into the first term by bilinearity,
        ``f(|ma|, rb) + γ_m f(|ma|, |mb|) <= f(|ma|, rb + g|mb|)`` with g the power of two at
        or above ``(m + 4)·eps``: ``g|mb|`` is exact, or below ``tiny`` and then taken as
        ``tiny`` (so the bound exceeds the exact error by at most ``tiny·Σ|ma|`` where b has
        entries that small).  Each product thus costs one contraction for the midpoint plus
        one (a point times an interval, or two points) or two (two intervals) for the
        radius.  Each computed radius contraction, a sum of non-negative products of
        non-negative sums, is at least ``(1 − u)(1 − γ_m)`` times the exact one less
        ``m·tiny``; the radius is scaled up by ``1 + g`` and ``6m·tiny`` is added.

        Two points (outward mode): the radius is the rounding term alone, and `magnitude`,
        if given (an upper bound of `f` on non-negative arrays, rounding included, e.g.
        Cauchy–Schwarz for dot_general), replaces its contraction where that contraction
        is large (:func:`_magnitude_pays`): a rounding term a little looser, for one
        contraction instead of two.
        """
        a, b = self._v(a), self._v(b)
        ia, ib = isinstance(a, Interval), isinstance(b, Interval)
        if not self.outward and not ia and not ib:
            return f(a, b)
        ma, ra = self._midrad(a)
        mb, rb = self._midrad(b)
        c = f(ma, mb)
        fi = jnp.finfo(self.dtype)
        tiny = float(fi.tiny)
        g = 2.0 ** math.ceil(math.log2((m + 4) * float(fi.eps)))

        def rounding(v):  # >= g|v| entrywise: exact, or tiny where it underflows
            return jnp.maximum(g * jnp.abs(v), jnp.where(v != 0, tiny, 0.0).astype(v.dtype))

        def radius(r, v):  # outward mode: plus the midpoint contraction's rounding term
            return r + rounding(v) if self.outward else r

        if ia and not ib:
            r = f(radius(ra, ma), jnp.abs(mb))
        elif not ia and not ib and magnitude is not None and _magnitude_pays(ma, mb, c, m):
            r = magnitude(jnp.abs(ma), rounding(mb))
        else:  # two points only in outward mode (nearest returned above)
            r = f(jnp.abs(ma), radius(rb, mb) if ib else rounding(mb))
            if ia:
                r = r + f(ra, jnp.abs(mb) + rb)
        if not self.outward:
            return Interval(c - r, c + r)
        err = up(up(r * (1 + g)) + 6 * m * tiny)
        return Interval(down(c - err), up(c + err))

    def _midrad(self, a: Value) -> tuple[Array, Array]:
        if not isinstance(a, Interval):
            return a, jnp.zeros_like(a)
        m = self.midpoint(a)
        if self.outward:
            r = jnp.maximum(up(a.hi - m), up(m - a.lo))
        else:
            r = jnp.maximum(a.hi - m, m - a.lo)
        return m, r
