"""Rules for smooth elementwise ops and powers: compose a sharp scalar enclosure with u.

For ``phi(u)`` with u an enclosure: Y = range of u over the region (intersected with the
trust-region range when available), y0 = a float in u's constant term, and

    phi(u(x)) ∈ Σ_{j<k} phi_j(y0) w(x)^j + R · w(x)^k,    w = u − y0,

evaluated by Horner's scheme in enclosure arithmetic.  This holds for all x because
u(x) ∈ Y and R encloses the remainder ratio over Y (:mod:`autobound.rules.elementwise`).
"""

from __future__ import annotations

from fractions import Fraction

import jax.numpy as jnp

from autobound import enclosure as E
from autobound.interval import Interval, hi, is_interval, lo
from autobound.ops import register_rule
from autobound.rules.context import RuleContext
from autobound.rules.elementwise import (
    ELEMENTWISE,
    Elementwise,
    integer_power,
    real_power,
    remainder_interval,
)


def _as_interval(v):
    return v if is_interval(v) else Interval(v, v)


def compose(
    ctx: RuleContext, fn: Elementwise, u: E.Expansion, arg: int | None = 0
) -> E.Expansion:
    """The enclosure of ``fn(u)`` (see module docstring); `arg`: which argument of the
    current node u is (its known range then tightens Y), or None if u is an intermediate."""
    A = ctx.A
    known = ctx.arg_range(arg) if arg is not None else None
    if len(u.coeffs) == 1:
        Y = u.coeffs[0]
        if known is not None and is_interval(Y):
            Y = A.intersect(Y, known)
        if fn.outside is not None:
            ctx.flag(fn.name, fn.outside(A, _as_interval(Y)))
        return E.constant(fn.series(A, Y, 0)[0])
    Y = _as_interval(E.enclosure_range(A, ctx.region, u))
    if known is not None:
        Y = A.intersect(Y, known)
    if fn.outside is not None:
        ctx.flag(fn.name, fn.outside(A, Y))
    y0 = A.midpoint(u.coeffs[0])
    phis, rem = remainder_interval(A, fn, y0, Interval(lo(Y), hi(Y)), ctx.k)
    for phi in phis[1:]:  # not differentiable at y0 (sqrt at 0): no Taylor polynomial exists
        ctx.flag(fn.name, ~(jnp.isfinite(lo(phi)) & jnp.isfinite(hi(phi))))
    return E.horner(A, ctx.region, ctx.k, phis, rem, shifted(A, u, y0))


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
    _def_smooth(_name)


def power(ctx: RuleContext, u: E.Expansion, n: int, arg: int | None = 0):
    """``u**n`` for an integer n (`arg` as in :func:`compose`)."""
    if n == 0:
        return E.constant(ctx.A.add(0.0 * lo(u.coeffs[0]), 1))
    if n == 1:
        return u
    return compose(ctx, integer_power(n), u, arg)


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
