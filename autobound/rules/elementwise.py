"""Sharp Taylor enclosures of smooth elementwise functions, from one generic routine.

Each function is described by data (:class:`Elementwise`, derived from its record in
:mod:`autobound.rules.functions`, or built here for the powers x**n and x**p): how to expand it
as an interval Taylor series around a point or over an interval (:mod:`autobound.rules.series`),
and where it is defined.  :func:`remainder_interval` then builds the degree-k enclosure

    phi(y) ∈ Σ_{j<k} phi_j(y0) (y − y0)^j + R · (y − y0)^k    for all y ∈ Y = [a, b],

where R must contain the range of the remainder ratio
``R_k(y) = (phi(y) − Σ_{j<k} phi_j (y − y0)^j) / (y − y0)^k`` over Y.  For each side of y0
(``[a, y0]`` and ``[y0, b]``) separately:

* if ``phi^(k+1)`` has constant sign on the side (proved by the side meeting none of the
  function's sign-change brackets, :mod:`autobound.rules.critical`, or by an interval series
  of order k+1 over the side), ``phi^(k)`` is monotone there and so is R_k (Streeter & Dillon
  2022, Thm. 3): its range is spanned by ``R_k(end)`` and ``R_k(y0) = phi^(k)(y0)/k!`` —
  the sharp interval;
* in every case R_k(y) = phi^(k)(ξ)/k! for some ξ on the side (Taylor's theorem with the
  Lagrange remainder), so the interval series value ``phi^(k)(side)/k!`` is a sound fallback.

Where both apply their intersection is used: the endpoint formula is sharp for wide regions,
the derivative range wins for tiny ones where the endpoint formula cancels catastrophically.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from autobound.interval import (
    Arith,
    Interval,
    Value,
    as_interval,
    down,
    hi,
    is_interval,
    lo,
    round_outward_to,
    sanitize,
    up,
)
from autobound.rules import series as S
from autobound.rules.critical import Critical, power_critical
from autobound.rules.kernels import ext, ext_pow


@dataclass(frozen=True)
class Elementwise:
    """A smooth scalar function, described for the generic sharp routine (the part of a
    :class:`~autobound.rules.functions.FunctionSpec` it reads).

    **Fields:**

    - `name`: op name (names the domain flag).
    - `series(A, y, K)`: the Taylor coefficients ``[phi(y), phi'(y), ..., phi^(K)(y)/K!]`` for a
      point y, or enclosures of their ranges over an interval y.
    - `outside(A, Y)`: boolean mask where Y reaches outside the domain (None: defined
      everywhere).
    - `remainder(A, y0, H, k)`: optional direct enclosure of R_k(y0 + h) for h in H (used for
      polynomials, where it is free of cancellation).
    - `critical(j)`: the points where ``phi^(j+1)`` may change sign, with enclosures of
      ``phi^(j)/j!`` there (:func:`autobound.rules.critical.critical`); None, or None
      returned: not known (then derivative ranges come from interval series over pieces).
    - `pieces`: sub-intervals per side for those interval series (1 where the series over an
      interval is already exact: sin and cos, whose derivatives are ±sin, ±cos).
    - `range_fallback`: where the Taylor form comes out non-finite, use the range of phi
      over the argument's range Y as the enclosure (constant term, no higher terms).  For
      negative powers: an argument beyond the float range (cosh(1000 x)**6 at x = 1) has a
      Taylor form of infinities, but 1/y there lies in ``[0, 1/M]``.
    """

    name: str
    series: Callable[[Arith, Value, int], list]
    outside: Callable[[Arith, Interval], object] | None = None
    remainder: Callable | None = None
    critical: Callable[[int], Critical | None] | None = None
    pieces: int = 24  # enough for tan near its poles (tested in test_tightness)
    range_fallback: bool = False


def identity_series(A: Arith, y: Value, K: int) -> list:
    """The series of t -> y + t to order K (:func:`autobound.rules.series.identity`)."""
    return S.identity(y, K, A)


def pow_series(kernel: str | None, p: Fraction):
    """Series of y**p for a real p, its value from `kernel` (sqrt, rsqrt, cbrt) or from
    ``jnp.power`` (None)."""

    def series(A, y, K):
        y0 = ext(A, kernel, y) if kernel else ext_pow(A, y, float(p))
        return S.s_pow(A, identity_series(A, y, K), p, y0)

    return series


def ipow_series(n: int):
    """Series of y**n for an integer n."""

    def series(A, y, K):
        return S.ipow_identity(A, y, K, n)

    return series


def ipow_remainder(n: int):
    """For n >= 0: R_k(y0 + h) = Σ_{j=k}^{n} C(n, j) y0^{n−j} h^{j−k}, a polynomial in h,
    over an interval H of h that the rules give on one side of y0 (``H <= 0`` or ``H >= 0``).

    With ``s = max |H|``, each power ``h^i`` lies in ``[L_i, U_i]``: ``[0, s^i]`` for even i,
    and for odd i ``[−s^i, 0]``, ``[0, s^i]`` or ``[−s^i, s^i]`` as H lies left of 0, right
    of it or across it (the exact range on one side).  So the i-th term, an interval
    coefficient ``[c_lo, c_hi]`` times ``[L_i, U_i] ∋ 0``, lies in ``[min(c_lo U_i, c_hi
    L_i), max(c_hi U_i, c_lo L_i)]``; the ends are summed separately, rounded outward in
    outward mode.  One chain of powers of s (rounded up) serves every term."""

    def remainder(A, y0, H, k):
        s = jnp.maximum(jnp.abs(lo(H)), jnp.abs(hi(H)))
        zero = jnp.zeros_like(s)
        if k > n:  # y**n is its own Taylor polynomial: no remainder
            return Interval(zero, zero)
        terms = S.ipow_identity(A, y0, n, n)
        left, right = lo(H) < 0, hi(H) > 0
        acc_lo, acc_hi = lo(terms[k]) + zero, hi(terms[k]) + zero  # h^0 = 1
        power = None
        for j in range(k + 1, n + 1):
            i = j - k
            power = s if power is None else power * s
            if A.outward:
                power = up(power)
            upper = jnp.where(right, power, 0.0) if i % 2 else power
            lower = jnp.where(left, -power, 0.0) if i % 2 else zero
            c_lo, c_hi = lo(terms[j]), hi(terms[j])
            t_lo = jnp.minimum(c_lo * upper, c_hi * lower)
            t_hi = jnp.maximum(c_hi * upper, c_lo * lower)
            if A.outward:
                acc_lo, acc_hi = down(acc_lo + down(t_lo)), up(acc_hi + up(t_hi))
            else:
                acc_lo, acc_hi = acc_lo + t_lo, acc_hi + t_hi
        return sanitize(Interval(acc_lo, acc_hi))

    return remainder


def below(bound, strict):
    """The domain test of a function defined for y > bound (`strict`) or y >= bound."""

    def outside(A, Y):
        return (lo(Y) <= bound) if strict else (lo(Y) < bound)

    return outside


POLYNOMIAL_REMAINDER_MAX = 32
"""x**n for n up to this also intersects its remainder with the exact polynomial form."""


def integer_power(n: int) -> Elementwise:
    """x**n for an integer n (n < 0 is undefined where the range touches 0)."""
    outside = None
    if n < 0:

        def outside(A, Y):
            return (lo(Y) <= 0) & (hi(Y) >= 0)

    return Elementwise(
        "div" if n == -1 else f"x**{n}",
        ipow_series(n),
        outside,
        # The polynomial form has n − k + 1 terms: beyond small n the sharp rule (phi^(k)
        # is monotone away from 0, see power_critical) does without it.
        ipow_remainder(n) if 0 <= n <= POLYNOMIAL_REMAINDER_MAX else None,
        partial(power_critical, Fraction(n)),
        range_fallback=n < 0,
    )


def real_power(p: Fraction) -> Elementwise:
    """x**p for a non-integer constant p, defined for x >= 0 (x > 0 when p < 0)."""
    return Elementwise(
        f"x**{p}",
        pow_series(None, p),
        below(0, p < 0),
        critical=partial(power_critical, p),
        range_fallback=p < 0,
    )


def _cumulative_bound(A: Arith, phi_k, pk, pk1, pieces: Interval, y0):
    """An interval containing R_k over one side, from derivative ranges alone.

    The side's pieces run outward from y0 along the leading axis (p_0 touches y0).  For y in
    piece p_j, with h = y − y0, both ``R_k(y) = phi^(k)(ξ)/k!`` and ``R_k(y) = phi_k(y0) +
    h R_{k+1}(y)`` with ``R_{k+1}(y) = phi^(k+1)(ξ')/(k+1)!`` hold for some ξ, ξ' between y0
    and y, that is in ``p_0 ∪ … ∪ p_j``.  So R_k(p_j) lies in the intersection of the
    cumulative hull of D_k and ``phi_k + h(p_j) · (cumulative hull of D_{k+1})``; the side's
    bound is the hull over j.  Near y0 the second form is much tighter than the plain
    derivative range.
    """

    def cum(iv):
        return Interval(jax.lax.cummin(iv.lo, axis=0), jax.lax.cummax(iv.hi, axis=0))

    ck, ck1 = cum(pk), cum(pk1)
    h = A.sub(pieces, y0)
    e = A.intersect(ck, A.add(phi_k, A.mul(h, ck1)))
    return Interval(jnp.min(lo(e), axis=0), jnp.max(hi(e), axis=0))


def _table(crit: Critical, dtype) -> list[tuple]:
    """Per critical point, its bracket (lb, u) and value range (vlo, vhi) as scalars of
    `dtype`, rounded outward.  The points are unrolled, not stacked along an axis: a stacked
    axis would be an extra array pass per side in XLA's fused loops (one constant each is
    folded into the loop instead)."""
    c = np.asarray(crit, dtype=np.float64).reshape(-1, 4)
    lb, u = round_outward_to(dtype, c[:, 0], c[:, 1])
    vl, vu = round_outward_to(dtype, c[:, 2], c[:, 3])
    return [(lb[i], u[i], vl[i], vu[i]) for i in range(len(c))]


def _meets_none(crit: Critical, s_lo, s_hi):
    """Whether each side [s_lo, s_hi] lies clear of every bracket (touching one at an end is
    fine: the sign is constant inside the side); Python ``True`` where there is no bracket,
    so that no constant mask enters the program."""
    clear = True
    for lb, u, _, _ in _table(crit, s_lo.dtype):
        c = (u <= s_lo) | (lb >= s_hi)
        clear = c if clear is True else clear & c
    return clear


def _derivative_range(A: Arith, crit: Critical, at_ends: Interval, at_y0, s_lo, s_hi):
    """Range of phi^(j)/j! over each side: the hull of its values at the side's two ends and
    at the critical points that may lie inside (phi^(j) is monotone between them)."""
    r = A.hull(at_ends, at_y0)
    rlo, rhi = lo(r), hi(r)
    for lb, u, vl, vu in _table(crit, s_lo.dtype):
        inside = (lb < s_hi) & (u > s_lo)
        rlo = jnp.where(inside, jnp.minimum(rlo, vl), rlo)
        rhi = jnp.where(inside, jnp.maximum(rhi, vu), rhi)
    return Interval(rlo, rhi) if crit else r


def _materialize(c, like):
    """A series term as an array (exact Python-int zeros/ones become arrays)."""
    return jnp.full_like(like, c) if isinstance(c, int) else c


def remainder_interval(A: Arith, fn: Elementwise, y0, Y: Interval, k: int):
    """Coefficients ``phi_0..phi_{k-1}`` at the point y0 and an interval R containing the
    range of the remainder ratio R_k over Y (y0 must lie in Y).  See the module docstring.

    **Outward mode** (``A.outward``): every step is rounded outward and the kernels are
    widened by their measured margins, so R contains the exact range of R_k relative to the
    exact Taylor coefficients, and the returned coefficients (intervals) contain those.

    **Nearest mode**: every step is plain floating point (points stay points, intervals are
    not rounded outward), and the coefficients returned are points.  The one step that
    cancels catastrophically, the endpoint formula ``R_k(end) = (phi(end) − Σ_{j<k} phi_j
    h^j) / h^k`` on narrow sides, is widened by an a-priori bound of its rounding error
    (:func:`_endpoint_error`), which grows like ``eps/|h|^k`` there: the intersection with
    the derivative bound ``d_k`` then keeps R as narrow as the derivative ranges allow,
    instead of trusting a cancelled value.  What remains is the few-ulps inaccuracy of plain
    floating point (library kernels are taken as correctly rounded), as everywhere in
    nearest mode.

    The two sides ``[a, y0]`` and ``[y0, b]`` are computed as separate arrays of the input's
    shape, not stacked along a small axis: under ``vmap`` a stacked axis becomes a minor
    dimension of size 2 or 3 that XLA:CPU's fusion emitters index element by element (the
    fused loops then run scalar instead of vectorized).
    """
    a = jnp.minimum(lo(Y), y0)
    b = jnp.maximum(hi(Y), y0)
    crit_k = fn.critical(k) if fn.critical is not None else None
    crit_k1 = fn.critical(k + 1) if fn.critical is not None else None
    if crit_k is not None and crit_k1 is not None:
        # Exact derivative ranges from the tables: the series at a, b and y0 suffice.
        at_y0 = [_materialize(c, y0) for c in fn.series(A, y0, k + 1)]
        sides = []
        for end, s_lo, s_hi in ((a, a, y0), (b, y0, b)):
            at_end = [_materialize(c, end) for c in fn.series(A, end, k + 1)]
            dk = _derivative_range(A, crit_k, at_end[k], at_y0[k], s_lo, s_hi)
            dk1 = _derivative_range(A, crit_k1, at_end[k + 1], at_y0[k + 1], s_lo, s_hi)
            h = A.sub(end, y0)
            H = Interval(jnp.minimum(lo(h), 0.0), jnp.maximum(hi(h), 0.0))
            d_k = A.intersect(dk, A.add(at_y0[k], A.mul(H, dk1)))
            monotone = _meets_none(crit_k, s_lo, s_hi)
            sides.append((end, s_lo, s_hi, at_end[0], d_k, monotone))
    else:
        at_y0, sides = _pieces(A, fn, y0, a, b, k, crit_k)
    rems = [_remainder(A, fn, y0, k, at_y0, *side) for side in sides]
    return at_y0[:k], A.hull(*rems)


def _pieces(A, fn, y0, a, b, k, crit_k):
    """Derivative ranges from interval series over `fn.pieces` sub-intervals per side (for
    functions without sign-change tables).  Returns the series at y0 and, per side, what
    :func:`_remainder` reads: the side's far end and its ends, phi at the far end, the side
    bound d_k and the monotonicity mask."""
    # Each side cut into fn.pieces sub-intervals (interval series overestimate less on narrow
    # pieces), all of a side through one series evaluation along a leading pieces axis.
    # The cuts run outward from y0 and end exactly at y0 and at the side's far end (the very
    # arrays the other series evaluations take), so that XLA's common-subexpression pass
    # merges the kernel calls at a, y0 and b: with one piece (sin, cos) each side's interval
    # series reuses the point series' kernels instead of calling them anew.
    m = fn.pieces
    at_y0 = [_materialize(c, y0) for c in fn.series(A, y0, k + 1)]
    sides = []
    for end, s_lo, s_hi in ((a, a, y0), (b, y0, b)):
        if m == 1:  # no pieces axis (not even of size 1)
            pieces = Interval(s_lo, s_hi)
        else:
            cuts = [y0] + [y0 + (end - y0) * (i / m) for i in range(1, m)] + [end]
            near, far = jnp.stack(cuts[:m]), jnp.stack(cuts[1:])
            # the cuts are monotone (a <= y0 <= b): near and far are the pieces' ends
            pieces = Interval(far, near) if end is a else Interval(near, far)
        over = fn.series(A, pieces, k + 1)
        pk, pk1 = (as_interval(_materialize(over[j], pieces.lo)) for j in (k, k + 1))
        if m == 1:
            h = A.sub(pieces, y0)
            d_k = A.intersect(pk, A.add(at_y0[k], A.mul(h, pk1)))
            monotone = (pk1.lo >= 0) | (pk1.hi <= 0)
        else:
            d_k = _cumulative_bound(A, at_y0[k], pk, pk1, pieces, y0)
            monotone = jnp.all(pk1.lo >= 0, axis=0) | jnp.all(pk1.hi <= 0, axis=0)
        if crit_k is not None:
            clear = _meets_none(crit_k, s_lo, s_hi)
            monotone = True if clear is True else monotone | clear
        f_end = _materialize(fn.series(A, end, 0)[0], end)
        sides.append((end, s_lo, s_hi, f_end, d_k, monotone))
    return at_y0, sides


def _endpoint_error(k: int, f_end, phis, h, hk, r):
    """Nearest mode: a bound on ``|r − R_k(end)|`` for the value ``r = fl(fl(f(end) − p) /
    fl(h^k))`` of the endpoint formula computed in round-to-nearest (unit roundoff u =
    eps/2), where ``h = fl(end − y0)``, p is the Horner value of ``Σ_{j<k} phi_j h^j`` and the
    kernel value of f(end) is within 2u |f(end)| (library kernels trusted to about an ulp, as
    everywhere in nearest mode).

    First-order error terms, with ``Q = Σ_{1<=j<k} |phi_j| |h|^j``:

    * Horner's scheme (k >= 2; for k = 1, p = phi_0 is exact): its last step
      ``fl(fl(s_1 h) + phi_0)`` errs by u (|phi_0| + Q) at most, the scheme for ``s_1``
      (degree k − 2) by ``γ_{2(k−2)} Σ_{j>=1} |phi_j| |h|^j ≈ 2(k − 2) u Q`` (Higham,
      *Accuracy and Stability of Numerical Algorithms*, §5.1), so ``u |phi_0| + 2(k − 1) u Q``
      in all;
    * the rounded h moves each ``phi_j h^j`` by a factor within ``(1 + u)^j``: (k − 1) u Q;
    * f(end): 2u |f(end)| (for k = 0 that is all: r = f(end)); the subtraction and the
      division: u |r| each, and ``fl(h^k)`` (k − 1 products of the rounded h) a relative
      (2k − 1) u.

    Twice that sum (for the second-order terms and slack), in units of eps, plus ``tiny``
    per flushed underflow in the numerator:

        err = (eps (2 |f(end)| + [k >= 2] |phi_0| + 3(k − 1) Q) + (2k + 2) tiny) / |h^k|
              + (2k + 1) eps |r|.

    Only the terms in |h|^j, j >= 1, carry the factor k, so on narrow sides (where the
    formula cancels) the bound stays a few ulps of |f(end)| / |h|^k.  It grows without bound
    as |h|^k → 0, as the error of the cancelled formula may; where h^k underflows it is inf
    or NaN, an end that carries no information (:meth:`Arith.intersect` takes the other bound).
    """
    fi = jnp.finfo(jnp.result_type(h))
    eps, tiny = float(fi.eps), float(fi.tiny)
    num_err = 2 * eps * _mag(f_end) + (2 * k + 2) * tiny
    if k == 0:  # r = f(end) itself
        return num_err
    ah = jnp.abs(h)
    q = None
    for j in reversed(range(1, k)):  # Q = Σ_{1<=j<k} |phi_j| |h|^j by Horner's scheme
        q = _mag(phis[j]) * ah if q is None else (q + _mag(phis[j])) * ah
    if q is not None:  # k >= 2
        num_err = num_err + eps * _mag(phis[0]) + (3 * (k - 1) * eps) * q
    return num_err / jnp.abs(hk) + (2 * k + 1) * eps * _mag(r)


def _mag(v):
    """The largest magnitude in a value (point or interval)."""
    return jnp.maximum(jnp.abs(lo(v)), jnp.abs(hi(v))) if is_interval(v) else jnp.abs(v)


def _remainder(A, fn, y0, k, at_y0, end, s_lo, s_hi, f_end, d_k, monotone):
    """R over one side [s_lo, s_hi] of y0 (`end` its far end, `f_end` phi there): the sharp
    endpoint interval where phi^(k) is monotone on the side, intersected with the derivative
    bound d_k (and the polynomial form if given), else d_k.  In nearest mode the endpoint
    value is widened by :func:`_endpoint_error`."""
    h = A.sub(end, y0)
    poly = None
    for j in reversed(range(k)):
        poly = at_y0[j] if poly is None else A.add(A.mul(poly, h), at_y0[j])
    num = f_end if poly is None else A.sub(f_end, poly)
    hk = A.ipow(h, k) if k else None
    r_end = A.div(num, hk) if k else num
    if not A.outward:
        e = _endpoint_error(k, f_end, at_y0, h, hk, r_end)
        r_end = Interval(lo(r_end) - e, hi(r_end) + e)
    sharp = A.hull(at_y0[k], r_end)
    monotone = (end != y0) if monotone is True else monotone & (end != y0)
    side = A.where(monotone, A.intersect(sharp, d_k), d_k)
    if fn.remainder is not None:
        side = A.intersect(side, fn.remainder(A, y0, A.sub(Interval(s_lo, s_hi), y0), k))
    return Interval(lo(side), hi(side))


def __getattr__(name: str):
    if name == "ELEMENTWISE":  # derived from the functions' records, which import this module
        from autobound.rules.functions import ELEMENTWISE

        return ELEMENTWISE
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
