"""Univariate Taylor series with interval coefficients.

A series is a list ``[s_0, ..., s_K]`` of values (points or intervals, all of one shape):
the truncated expansion ``Σ s_n t^n``.  Applied to the identity series ``[y, 1]`` with an
*interval* y = Y, coefficient n of ``phi(series)`` encloses ``phi^(n)(Y)/n!`` — the range of
the scaled n-th derivative over Y — because every recurrence below is an identity that holds
at each point of Y, evaluated in interval arithmetic (inclusion isotonicity).  With a point y
it gives the Taylor coefficients at y (enclosed, in outward mode).

The recurrences are the classical ones of automatic differentiation (Griewank & Walther,
*Evaluating Derivatives*, ch. 13): for ``v = F(u)`` with ``F' = g``,
``v_n = (1/n) Σ_{j=1}^{n} j u_j g_{n−j}``.
"""

from __future__ import annotations

from collections.abc import Callable
from math import comb

import jax.numpy as jnp

from autobound.interval import Arith, Interval, Value, down_magnitude, is_interval, lo, up

Series = list


def identity(y: Value, K: int, A: Arith) -> Series:
    """The series of t -> y + t, to order K (ones and zeros as exact Python ints, which the
    arithmetic short-circuits)."""
    return [y] + [1 if n == 1 else 0 for n in range(1, K + 1)]


def s_add(A: Arith, u: Series, v: Series) -> Series:
    return [A.add(a, b) for a, b in zip(u, v, strict=True)]


def s_scale(A: Arith, c: Value, u: Series) -> Series:
    return [A.mul(c, a) for a in u]


def s_mul(A: Arith, u: Series, v: Series) -> Series:
    out = []
    for n in range(len(u)):
        acc = None
        for j in range(n + 1):
            t = A.mul(u[j], v[n - j])
            acc = t if acc is None else A.add(acc, t)
        out.append(acc)
    return out


def s_div(A: Arith, u: Series, v: Series) -> Series:
    """u / v:  q_n = (u_n − Σ_{j=1}^n v_j q_{n−j}) / v_0."""
    q: Series = []
    for n in range(len(u)):
        acc = u[n]
        for j in range(1, n + 1):
            acc = A.sub(acc, A.mul(v[j], q[n - j]))
        q.append(A.div(acc, v[0]))
    return q


def _weighted(A: Arith, u: Series, g: Series, n: int) -> Value:
    """(1/n) Σ_{j=1}^{n} j u_j g_{n−j}."""
    acc = None
    for j in range(1, n + 1):
        t = A.mul(A.mul(j, u[j]), g[n - j])
        acc = t if acc is None else A.add(acc, t)
    return A.div(acc, n)


def integrate(A: Arith, v0: Value, u: Series, g: Series) -> Series:
    """The series of v = F(u) given v_0 = F(u_0) and the series g of F'(u) (to order K−1)."""
    return [v0] + [_weighted(A, u, g, n) for n in range(1, len(u))]


def s_exp(A: Arith, u: Series, e0: Value) -> Series:
    """exp(u) given e0 = exp(u_0):  e' = e u'."""
    e = [e0]
    for n in range(1, len(u)):
        e.append(_weighted(A, u, e, n))
    return e


def s_ode(A: Arith, u: Series, v0: Value, g_term: Callable[[Series, int], Value]) -> Series:
    """v = F(u) where F' = G(F): v' = G(v) u'.  `g_term(v, m)` gives term m of the series
    G(v) from the terms ``v[0..m]`` (computed once each: O(K^2) work)."""
    v = [v0]
    g: Series = []
    for n in range(1, len(u)):
        g.append(g_term(v, n - 1))
        v.append(_weighted(A, u, g, n))
    return v


def sq_term(A: Arith, v: Series, n: int) -> Value:
    """Term n of the series v**2, using symmetry (term 0 is an exact square)."""
    if n == 0:
        return A.square(v[0])
    acc = 0
    for j in range((n + 1) // 2):
        acc = A.add(acc, A.mul(2, A.mul(v[j], v[n - j])))
    if n % 2 == 0:
        acc = A.add(acc, A.square(v[n // 2]))
    return acc


def s_log(A: Arith, u: Series, l0: Value) -> Series:
    """log(u) given l0 = log(u_0):  u l' = u'  =>
    l_n = (u_n − (1/n) Σ_{j=1}^{n−1} j l_j u_{n−j}) / u_0."""
    out = [l0]
    for n in range(1, len(u)):
        acc = u[n]
        for j in range(1, n):
            acc = A.sub(acc, A.div(A.mul(A.mul(j, out[j]), u[n - j]), n))
        out.append(A.div(acc, u[0]))
    return out


def s_pow(A: Arith, u: Series, p, y0: Value) -> Series:
    """u**p (real p) given y0 = u_0**p:  u y' = p y u'  =>
    y_n = (1/(n u_0)) Σ_{j=1}^{n} ((p+1) j − n) u_j y_{n−j}."""
    y = [y0]
    for n in range(1, len(u)):
        acc = None
        for j in range(1, n + 1):
            t = A.mul(A.mul(A.const((p + 1) * j - n), u[j]), y[n - j])
            acc = t if acc is None else A.add(acc, t)
        y.append(A.div(acc, A.mul(n, u[0])))
    return y


def s_sincos(A: Arith, u: Series, s0: Value, c0: Value, hyperbolic: bool = False):
    """sin/cos (or sinh/cosh):  s' = c u',  c' = ∓ s u'."""
    s, c = [s0], [c0]
    for n in range(1, len(u)):
        sn = _weighted(A, u, c, n)
        cn = _weighted(A, u, s, n)
        s.append(sn)
        c.append(cn if hyperbolic else A.neg(cn))
    return s, c


UNROLLED_POWER = 8
"""Powers up to this exponent are :meth:`Arith.ipow` (n − 1 products); beyond, repeated
squaring (about 2 log2 n products), so that ``x**1000`` costs 20 products, not 999."""


def ipow(A: Arith, y: Value, n: int) -> Value:
    """The range of y**n for an integer n >= 0 (exact in nearest mode up to rounding, rounded
    outward in outward mode): as :meth:`Arith.ipow`, by magnitudes, but by repeated squaring
    for n > :data:`UNROLLED_POWER`.  Each product of non-negative magnitudes is rounded down
    for the lower end and up for the upper end, so the ends stay outside the exact ones."""
    if n <= UNROLLED_POWER:
        return A.ipow(y, n)
    if not is_interval(y):
        y = A.const(y) if isinstance(y, int | float) else y
        if not A.outward:
            return _magnitude_power(A, y, n, lower=False)  # signs multiply through exactly
        m = jnp.abs(y)
        mlo, mhi = _magnitude_power(A, m, n, True), _magnitude_power(A, m, n, False)
        neg = (y < 0) & (n % 2 == 1)
        return Interval(jnp.where(neg, -mhi, mlo), jnp.where(neg, -mlo, mhi))
    alo, ahi = y.lo, y.hi
    if n % 2 == 0:
        mlo = jnp.where((alo <= 0) & (ahi >= 0), 0.0, jnp.minimum(jnp.abs(alo), jnp.abs(ahi)))
        mhi = jnp.maximum(jnp.abs(alo), jnp.abs(ahi))
        return Interval(_magnitude_power(A, mlo, n, True), _magnitude_power(A, mhi, n, False))
    pw = _magnitude_power
    rlo = jnp.where(alo >= 0, pw(A, alo, n, True), -pw(A, -alo, n, False))
    rhi = jnp.where(ahi >= 0, pw(A, ahi, n, False), -pw(A, -ahi, n, True))
    return Interval(rlo, rhi)


def _magnitude_power(A: Arith, m: Value, n: int, lower: bool) -> Value:
    """m**n by repeated squaring; for m >= 0 in outward mode every product is rounded down
    (`lower`) or up, so the result is a lower or upper bound of the exact power."""

    def rounded(r):
        if not A.outward:
            return r
        return down_magnitude(r) if lower else up(r)

    result, base = None, m
    while True:
        if n & 1:
            result = base if result is None else rounded(result * base)
        n >>= 1
        if not n:
            return result
        base = rounded(base * base)


def ipow_run(A: Arith, y: Value, start: int, stop: int) -> list[Value]:
    """The ranges of ``y**j`` for ``j = start, ..., stop`` (integers, 0 <= start; none when
    stop < start), as :func:`ipow` gives each, but sharing the work: the magnitudes' powers
    come from one chain of products (``|y|**start`` by repeated squaring, then one product
    per further power), where separate calls would each square anew.  In outward mode every
    product of non-negative magnitudes is rounded down for lower ends and up for upper ends.

    For an interval ``y = [l, u]``: an even power has the range ``[mig**j, mag**j]`` (mig the
    smallest magnitude, 0 when y holds 0, mag the largest), an odd power ``[l**j, u**j]``
    (monotone), from the chains of ``|l|`` and ``|u|``."""
    if stop < start:
        return []

    def chain(m, lower):
        r = _magnitude_power(A, m, start, lower) if start else jnp.ones_like(m)
        out = [r]
        for _ in range(start, stop):
            r = r * m
            if A.outward:
                r = down_magnitude(r) if lower else up(r)
            out.append(r)
        return out

    if not is_interval(y):
        y = A.const(y) if isinstance(y, int | float) else y
        if not A.outward:
            first = ipow(A, y, start)
            return _exact_low_powers(y, start, [first, *_times(y, first, stop - start)])
        m = jnp.abs(y)
        mlo, mhi = chain(m, True), chain(m, False)
        out = []
        for j, a, b in zip(range(start, stop + 1), mlo, mhi, strict=True):
            neg = (y < 0) & (j % 2 == 1)
            out.append(Interval(jnp.where(neg, -b, a), jnp.where(neg, -a, b)))
        return _exact_low_powers(y, start, out)
    alo, ahi = y.lo, y.hi
    mig = jnp.where((alo <= 0) & (ahi >= 0), 0.0, jnp.minimum(jnp.abs(alo), jnp.abs(ahi)))
    mag = jnp.maximum(jnp.abs(alo), jnp.abs(ahi))
    even = list(zip(chain(mig, True), chain(mag, False), strict=True))
    odd = list(zip(*(chain(jnp.abs(v), s) for v in (alo, ahi) for s in (True, False)), strict=True))
    out = []
    for j, (elo, ehi), (l_dn, l_up, u_dn, u_up) in zip(
        range(start, stop + 1), even, odd, strict=True
    ):
        if j % 2 == 0:
            out.append(Interval(elo, ehi))
        else:
            out.append(Interval(jnp.where(alo >= 0, l_dn, -l_up), jnp.where(ahi >= 0, u_up, -u_dn)))
    return _exact_low_powers(y, start, out)


def _times(y, r, count):
    out = []
    for _ in range(count):
        r = r * y
        out.append(r)
    return out


def _exact_low_powers(y, start, out):
    """y**0 = 1 and y**1 = y exactly (as :func:`ipow` gives them)."""
    return [
        jnp.ones_like(lo(y)) if j == 0 else y if j == 1 else r
        for j, r in zip(range(start, start + len(out)), out, strict=True)
    ]


def ipow_identity(A: Arith, y: Value, K: int, n: int) -> Series:
    """Series of (y + t)**n for an integer n, coefficient j = C(n, j) y^{n−j} with the exact
    range of each power (negative n: C(n, j) = (−1)^j C(|n|+j−1, j)); the powers from one
    chain (:func:`ipow_run`)."""
    if n >= 0:
        top = min(K, n)
        powers = ipow_run(A, y, n - top, n)  # y^(n-top), ..., y^n
        out = [A.mul(comb(n, j), powers[n - j - (n - top)]) for j in range(top + 1)]
        return out + [jnp.zeros_like(lo(y)) for _ in range(top + 1, K + 1)]
    m = -n
    powers = ipow_run(A, y, m, m + K)
    return [A.mul((-1) ** j * comb(m + j - 1, j), A.div(1, powers[j])) for j in range(K + 1)]
