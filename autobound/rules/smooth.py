"""Rules for smooth elementwise ops and powers: compose a sharp scalar enclosure with u.

For ``phi(u)`` with u an enclosure: Y = range of u over the region (intersected with the
trust-region range when available), y0 = a float in u's constant term, and

    phi(u(x)) ∈ Σ_{j<k} phi_j(y0) w(x)^j + R · w(x)^k,    w = u − y0,

evaluated by Horner's scheme in enclosure arithmetic.  This holds for all x because
u(x) ∈ Y and R encloses the remainder ratio over Y (:mod:`autobound.rules.elementwise`).
"""

from __future__ import annotations

import functools
from fractions import Fraction
from math import comb

import jax
import jax.numpy as jnp
import numpy as np

from autobound import enclosure as E
from autobound.errors import ResourceLimit
from autobound.fence import fence
from autobound.interval import Interval, as_interval, hi, is_interval, lo
from autobound.ops import register_rule
from autobound.rules.context import RuleContext
from autobound.rules.elementwise import (
    ELEMENTWISE,
    Elementwise,
    integer_power,
    real_power,
    remainder_interval,
)

#: From these degrees on, fenced programs (:func:`autobound.lower._fenced_nodes`) put a wall
#: (:func:`~autobound.fence.fence`) between the steps of the Horner scheme of :func:`compose`.
#: Each step's coefficients feed every product of the next, and XLA:CPU's fusion copies them
#: into each consumer (in outward mode into each end of each interval), so the copies
#: multiply with the degree.  Measured (B = 256 / 4096 boxes, first call / one call), outward:
#: exp(-x**2) at degree 8, 22.6 s / 18.6 ms -> 4.7 s / 2.6 ms; sin(x + e^x) at degree 6,
#: 26.7 s / 551 ms -> 8.9 s / 5.2 ms, one box at degree 8 193 -> 15 s; at degree 4 both
#: 10-30 % faster; at degrees 2 and 3 no difference beyond noise.  Nearest: sin(x + e^x)
#: compiles in 108 -> 10 s at degree 12, 5.3 -> 4.4 s at degree 8 (calls within +-20 %),
#: and runs 15-25 % slower walled at degrees 4-6.  A negative power's fallback to its range
#: (:func:`_range_where_void`) reads every coefficient to choose each one: walled too, 1/(1 +
#: x**2) at degree 6 compiles in 5.2 -> 3.8 s and runs 3.2 -> 2.2 ms per 4096 boxes.
HORNER_WALL_DEGREE = {"outward": 4, "nearest": 8}


def compose(ctx: RuleContext, fn: Elementwise, u: E.Expansion, arg: int | None = 0) -> E.Expansion:
    """The enclosure of ``fn(u)`` (see module docstring); `arg`: which argument of the
    current node u is (its known range then tightens Y), or None if u is an intermediate."""
    A = ctx.A
    known = ctx.arg_range(arg) if arg is not None else None
    if len(u.coeffs) == 1:
        Y = u.coeffs[0]
        if known is not None and is_interval(Y):
            Y = A.intersect(Y, known)
        if fn.outside is not None:
            ctx.flag(fn.name, fn.outside(A, as_interval(Y)))
        return E.constant(fn.series(A, Y, 0)[0])
    Y = as_interval(E.enclosure_range(A, ctx.region, u))
    if known is not None:
        Y = A.intersect(Y, known)
    if fn.outside is not None:
        ctx.flag(fn.name, fn.outside(A, Y))
    y0 = A.midpoint(u.coeffs[0])
    if ctx.fenced:  # computed once, not copied into each consumer (autobound.fence)
        Y, y0 = fence(y0, (Y, y0))
    phis, rem = remainder_interval(A, fn, y0, Interval(lo(Y), hi(Y)), ctx.k)
    if ctx.fenced:
        phis, rem = fence(y0, (phis, rem))
    # Not differentiable at y0 (sqrt at 0, asin at 1): no Taylor polynomial exists.  A
    # derivative that merely overflows (sinh(800) in [M', inf], its higher terms divided by
    # k!) is not flagged: the form is void there, f is defined.
    ctx.flag(fn.name, _not_differentiable(A, phis[1:]))
    wall = None
    if ctx.fenced and ctx.k >= HORNER_WALL_DEGREE[A.rounding]:
        wall = functools.partial(fence, y0)
    out = E.horner(A, ctx.region, ctx.k, phis, rem, shifted(A, u, y0), wall)
    if fn.range_fallback and A.outward:
        if wall is not None:  # every coefficient's choice reads all of them
            out = wall(out)
        out = _range_where_void(out, fn.series(A, Y, 0)[0])
    return out


def _not_differentiable(A, derivatives) -> jax.Array | None:
    """Where a derivative coefficient is infinite or NaN, but not merely overflowing: an
    interval with one end infinite and the other finite beyond ``M·2^-64`` in the same
    direction (M the largest finite number; a point that overflowed is already infinite)."""
    huge = float(np.finfo(A.dtype).max) * 2.0**-64
    out = None
    for phi in derivatives:
        if is_interval(phi):
            fin_lo, fin_hi = jnp.isfinite(phi.lo), jnp.isfinite(phi.hi)
            overflow = (fin_lo & (phi.lo >= huge)) | (fin_hi & (phi.hi <= -huge))
            bad = ~(fin_lo & fin_hi) & ~overflow
        else:
            bad = ~jnp.isfinite(phi)
        out = bad if out is None else out | bad
    return out


def _range_where_void(e: E.Expansion, r: Interval) -> E.Expansion:
    """`e`, but the enclosure ``r + 0·z + ...`` where the range `r` of the node over the
    region is finite and `e` is useless: one of its coefficients is not finite, or its
    constant term alone is wider than r (cosh(1000 x)**-6 on [0.25, 0.35]: the Taylor form
    of y**-6 around 1e130 over [1e108, 1e151] cancels into +-4e166, where the range is
    [0, 2.2e-308]).  Either is valid (the node's value lies in r everywhere on the region),
    so the choice per entry is free."""

    def finite(c):
        n_extra = jnp.ndim(lo(c)) - jnp.ndim(lo(r))
        ok = jnp.isfinite(lo(c)) & jnp.isfinite(hi(c))
        return jnp.all(ok, axis=tuple(range(jnp.ndim(ok) - n_extra, jnp.ndim(ok))))

    c0 = as_interval(e.coeffs[0])
    void = ~finite(c0) | (c0.hi - c0.lo > hi(r) - lo(r))
    for c in e.coeffs[1:]:
        void = void | ~finite(c)
    use = void & jnp.isfinite(lo(r)) & jnp.isfinite(hi(r))

    def pick(c, alt):
        extra = jnp.ndim(lo(c)) - jnp.ndim(use)
        mask = use.reshape(use.shape + (1,) * extra)
        c = as_interval(c)
        return Interval(jnp.where(mask, lo(alt), c.lo), jnp.where(mask, hi(alt), c.hi))

    higher = tuple(pick(c, jnp.zeros_like(lo(c))) for c in e.coeffs[1:])
    return E.Expansion((pick(e.coeffs[0], r), *higher))


def shifted(A, u: E.Expansion, y0) -> E.Expansion:
    """``u − y0``; its constant term is an exact zero (None) when u's is the point y0."""
    c0 = u.coeffs[0]
    return E.Expansion((A.sub(c0, y0) if is_interval(c0) else None,) + u.coeffs[1:])


def _def_smooth(name: str) -> None:
    fn = ELEMENTWISE[name]

    @register_rule(name)
    def rule(ctx: RuleContext, u: E.Expansion) -> E.Expansion:
        return compose(ctx, fn, u)


for _name in ELEMENTWISE:
    if _name != "square":  # a power: see power()
        _def_smooth(_name)


def power(ctx: RuleContext, u: E.Expansion, n: int, arg: int | None = 0):
    """``u**n`` for an integer n (`arg` as in :func:`compose`).

    For n >= 2 and a non-constant u, two cases are multiplied out (:func:`multiplied_out`,
    a few enclosure products instead of the sharp remainder machinery):

    * ``n·degree(u) <= k``: u**n is a polynomial of degree <= k; no product is truncated,
      so the result is u**n itself, with no remainder term.
    * nearest mode, ``degree(u) = 1`` with point coefficients and ``n = k + 1``: u = y0 + w
      is exactly the linear function ``w = Σ_l a_l z_l``.  Only the top term w^{k+1} is
      truncated, into ``w^k · Σ_l a_l [z_l]``, the exact range of w over the box.  The
      sharp rule gives the same enclosure: for y**(k+1), ``R_k(y) = (k+1) y0 + (y − y0)``,
      over the range Y of u (which the argument's trust-region range cannot tighten: the
      range of an exact linear function is already exact).  In outward mode the folded
      product, rounded outward term by term, came out a few ulps wider than the sharp
      rule on boxes about 1e-12 wide, so the sharp rule stays there.

    Elsewhere the sharp rule of :mod:`autobound.rules.elementwise`: where two or more
    degrees would be folded, folding each ``z^{⊗m}`` (m > k) into degree k by monomial
    ranges separately loses the dependency between the folded terms, and the sharp
    remainder of y**n over the range of u keeps it (measured: x**3 at k = 1 and x**4 at
    k = 2 came out up to 2 and 1.45 times wider by folding)."""
    if n == 0:
        return E.constant(ctx.A.add(0.0 * lo(u.coeffs[0]), 1))
    if n == 1:
        return u
    _check_exponent(n, ctx.k)
    if _multiply_out(ctx, u, n):
        return multiplied_out(ctx, u, n)
    return compose(ctx, integer_power(n), u, arg)


_FLOAT64_MAX = int(np.finfo(np.float64).max)


def _check_exponent(n: int, k: int) -> None:
    """Refuse x**n whose degree-k series needs a binomial coefficient beyond float64 (about
    C(|n| + k, k) > 1.8e308): every bound of it would be the whole line."""
    if comb(abs(n) + k, k) > _FLOAT64_MAX:
        digits = str(abs(n))
        shown = digits if len(digits) <= 20 else f"{digits[0]}.{digits[1:4]}e+{len(digits) - 1}"
        raise ResourceLimit(
            f"x**{'-' if n < 0 else ''}{shown} at degree {k} needs binomial coefficients "
            f"up to C(|n| + {k}, {k}), beyond float64's range (1.8e+308): use a smaller "
            "exponent or degree"
        )


def _multiply_out(ctx: RuleContext, u: E.Expansion, n: int) -> bool:
    """Whether :func:`power` multiplies u**n out (the two cases of its docstring)."""
    if n < 2 or u.degree < 1:
        return False
    if n * u.degree <= ctx.k:
        return True
    return (
        not ctx.A.outward
        and u.degree == 1
        and n == ctx.k + 1
        and not any(is_interval(c) for c in u.coeffs)
    )


def multiplied_out(ctx: RuleContext, u: E.Expansion, n: int) -> E.Expansion:
    """``u**n`` by repeated squaring in enclosure arithmetic (:func:`autobound.enclosure.mul`,
    products truncated at degree k by folding, see :mod:`autobound.enclosure`).

    Every step is an enclosure product, so the result contains ``u(x)**n`` for every x in
    the box; where ``n·degree(u) <= k`` nothing is folded and it is u**n itself.  Outward
    mode rounds every product and sum outward, so the guarantee holds in floating point."""
    A, region, k = ctx.A, ctx.region, ctx.k
    result, base = None, u
    while True:
        if n & 1:
            result = base if result is None else E.mul(A, region, k, result, base)
        n >>= 1
        if not n:
            return result
        base = E.mul(A, region, k, base, base)


@register_rule("square")
def _square(ctx: RuleContext, u: E.Expansion) -> E.Expansion:
    """``u**2``: as :func:`power` (its flags under the name "square")."""
    if _multiply_out(ctx, u, 2):
        return multiplied_out(ctx, u, 2)
    return compose(ctx, ELEMENTWISE["square"], u)


@register_rule("integer_pow")
def _integer_pow(ctx: RuleContext, u: E.Expansion, *, n: int) -> E.Expansion:
    return power(ctx, u, int(n))


@register_rule("pow")
def _pow(ctx: RuleContext, u: E.Expansion, v: E.Expansion) -> E.Expansion:
    """``u**v``: a constant exponent gives an integer or real power, else exp(v log u)."""
    from autobound.ops import rule_for

    p = ctx.arg_consts[1] if len(ctx.arg_consts) > 1 else None
    if isinstance(p, Fraction):
        if p.denominator == 1:
            return power(ctx, u, int(p))
        return compose(ctx, real_power(p), u)
    logu = compose(ctx, ELEMENTWISE["log"], u)
    prod = rule_for("mul")(ctx, v, logu)
    return compose(ctx, ELEMENTWISE["exp"], prod, None)
