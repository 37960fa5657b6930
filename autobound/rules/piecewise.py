"""Rules for piecewise ops: relu, leaky_relu, abs, max, min (a kink at 0), switch (a branch on
the sign of an expression, ``jnp.where(u > v, a, b)``) and step (floor, ceil, round).

For ``phi(y) = s_l·y (y < 0), s_r·y (y >= 0)`` and any y0, ``phi(y) = phi(y0) + s(y)(y − y0)``
with the secant slope ``s(y) = (phi(y) − phi(y0)) / (y − y0)``.  phi is convex (s_l <= s_r) or
concave, so s is monotone in y on Y: its range is spanned by s(a) and s(b) (when an end equals y0,
that side is empty and the other side's one-sided derivative at y0 takes its place), and
always lies between s_l and s_r.  Hence

    phi(u(x)) ∈ phi(y0) + S · (u(x) − y0),   S = hull(s(a), s(b)) ∩ hull(s_l, s_r),

which is exact (S a point) where Y does not straddle the kink.  The result keeps u's degree.
``max(u, v) = v + relu(u − v)`` and ``min(u, v) = u − relu(u − v)``, except where one
argument's range lies above the other's: there max and min are that argument exactly.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from autobound import enclosure as E
from autobound.interval import Interval, hi, is_interval, lo
from autobound.ops import register_rule
from autobound.rules.context import RuleContext
from autobound.rules.smooth import shifted


def _phi(A, sl, sr, y):
    """phi at a point y, or its range over an interval y."""
    if not is_interval(y):
        return A.mul(A.where(y < 0, sl, sr), y)
    fa, fb = _phi(A, sl, sr, y.lo), _phi(A, sl, sr, y.hi)
    r = A.hull(fa, fb)
    kink = (y.lo < 0) & (y.hi > 0)
    return Interval(
        jnp.where(kink, jnp.minimum(r.lo, 0.0), r.lo), jnp.where(kink, jnp.maximum(r.hi, 0.0), r.hi)
    )


def _range(ctx: RuleContext, enc: E.Expansion, i: int | None):
    """The values of `enc` over the region: its range, intersected with the known range of
    the node's argument i when `enc` is that argument (i None: an intermediate)."""
    r = E.enclosure_range(ctx.A, ctx.region, enc)
    known = None if i is None else ctx.arg_range(i)
    return r if known is None else ctx.A.intersect(r, known)


def kink(ctx: RuleContext, u: E.Expansion, sl, sr, use_ranges: bool = True) -> E.Expansion:
    """The enclosure of phi(u) (module docstring); `use_ranges`: u is the node's argument, so
    its trust-region range applies."""
    A = ctx.A
    sl, sr = A.const(sl), A.const(sr)
    if len(u.coeffs) == 1:
        return E.constant(_phi(A, sl, sr, u.coeffs[0]))
    Y = _range(ctx, u, 0 if use_ranges else None)
    y0 = A.midpoint(u.coeffs[0])
    a, b = jnp.minimum(lo(Y), y0), jnp.maximum(hi(Y), y0)
    f0 = _phi(A, sl, sr, y0)

    def secant(e, limit):
        s = A.div(A.sub(_phi(A, sl, sr, e), f0), A.sub(e, y0))
        return A.where(e == y0, limit, s)

    # An end equal to y0 leaves that side empty: the slopes over the other side run from
    # their limit at y0 (that side's one-sided derivative) to the secant at its far end.
    left = secant(a, A.where(y0 < 0, sl, sr))
    right = secant(b, A.where(y0 > 0, sr, sl))
    S = A.intersect(A.hull(left, right), A.hull(sl, sr))
    return E.horner(A, ctx.region, ctx.k, [f0], S, shifted(A, u, y0))


@register_rule("relu")
def _relu(ctx, u):
    return kink(ctx, u, 0, 1)


@register_rule("abs")
def _abs(ctx, u):
    return kink(ctx, u, -1, 1)


@register_rule("leaky_relu")
def _leaky_relu(ctx, u, *, alpha):
    return kink(ctx, u, alpha, 1)


def _max_min(ctx: RuleContext, u, v, larger: bool) -> E.Expansion:
    """max(u, v) (larger) or min(u, v): where one argument's range lies above the other's
    the result is that argument exactly (constants: the exact max/min of the two); elsewhere
    the kink rule on u − v."""
    A = ctx.A
    if len(u.coeffs) == 1 and len(v.coeffs) == 1:
        cu, cv = u.coeffs[0], v.coeffs[0]
        pick = jnp.maximum if larger else jnp.minimum
        if not is_interval(cu) and not is_interval(cv):
            return E.constant(pick(cu, cv))
        return E.constant(Interval(pick(lo(cu), lo(cv)), pick(hi(cu), hi(cv))))
    if larger:
        general = E.add(A, v, kink(ctx, E.sub(A, u, v), 0, 1, use_ranges=False))
    else:
        general = E.sub(A, u, kink(ctx, E.sub(A, u, v), 0, 1, use_ranges=False))

    ru, rv = _range(ctx, u, 0), _range(ctx, v, 1)
    u_above, v_above = lo(ru) >= hi(rv), lo(rv) >= hi(ru)
    first, second = (u, v) if larger else (v, u)  # the result where u lies above v, and below
    n = ctx.region.n
    return E.select(A, n, u_above, first, E.select(A, n, v_above, second, general))


@register_rule("max")
def _max(ctx, u, v):
    return _max_min(ctx, u, v, larger=True)


@register_rule("min")
def _min(ctx, u, v):
    return _max_min(ctx, u, v, larger=False)


STEPS = {
    "floor": jnp.floor,
    "ceil": jnp.ceil,
    "round_even": lambda v: jax.lax.round(v, jax.lax.RoundingMethod.TO_NEAREST_EVEN),
    "round_away": lambda v: jax.lax.round(v, jax.lax.RoundingMethod.AWAY_FROM_ZERO),
    "trunc": jnp.trunc,
}
"""The step functions g of the ``step`` op: each is non-decreasing and integer-valued."""


@register_rule("step")
def _step(ctx: RuleContext, u, *, kind: str):
    """g(u) for a non-decreasing step function g: over the region it lies in
    ``[g(min u), g(max u)]``, a degree-0 enclosure (the ends are integers, exact in floating
    point; a constant where no jump lies inside the range of u)."""
    r = _range(ctx, u, 0)
    g = STEPS[kind]
    return E.constant(Interval(g(lo(r)), g(hi(r))))


@register_rule("switch")
def _switch(ctx: RuleContext, s, a, b, *, strict: bool):
    """``a`` where ``s > 0`` (`strict`) or ``s >= 0``, else ``b``.

    Where the range of s over the region decides the test, the result is that branch's
    enclosure exactly.  Elsewhere it is the coefficientwise hull of the two: if
    ``a(x) ∈ Σ a_i (x−x0)^i`` and ``b(x) ∈ Σ b_i (x−x0)^i`` on the region, then with
    ``h_i = hull(a_i, b_i)`` both lie in ``Σ h_i (x−x0)^i`` (each term ``a_i t`` is inside
    ``h_i t`` for every value t of the monomial), whichever branch x takes."""
    A = ctx.A
    r = _range(ctx, s, 0)
    if strict:
        yes, no = lo(r) > 0, hi(r) <= 0
    else:
        yes, no = lo(r) >= 0, hi(r) < 0
    n = ctx.region.n
    both = E.Expansion(tuple(A.hull(ca, cb) for ca, cb in E.aligned([a, b], n)))
    return E.select(A, n, yes, a, E.select(A, n, no, b, both))
