"""Lowering: ExprGraph -> one JAX function ``(x0, lo, hi, *params) -> (coefficients, flags)``.

The function walks the graph once at trace time, calling each op's rule from the registry
(:mod:`autobound.ops`); Python loops run only while tracing, so the result is an ordinary
traceable JAX function (``jit``, ``vmap``, ``scan`` and sharding apply).

Output coefficient i has shape ``out + x_shape * i`` (a scalar input gives coefficients of
shape ``out``); interval coefficients are :class:`~autobound.interval.Interval` pairs.
``flags`` maps an op name to a boolean: true where the range of that op's argument left the
op's domain (the coefficients are then not finite or not meaningful).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import autobound.rules  # noqa: F401  (registers every rule)
from autobound import enclosure as E
from autobound.fence import fence
from autobound.graph import ExprGraph, freeze
from autobound.interval import (
    Arith,
    Interval,
    as_interval,
    down,
    is_interval,
    sanitize,
    tree_map,
    up,
)
from autobound.ops import ARITH, BILINEAR, ELEMENTWISE, LINEAR, op_info, rule_for
from autobound.rules.context import RuleContext, check_graph_size

# Ops that only move or copy entries: the range of their result is known exactly when the
# range of their argument is (x[0] of the box is the box's first interval).
_MOVES = frozenset({"take", "reshape", "slice", "squeeze", "transpose", "broadcast_in_dim"})


def _constant_value(A: Arith, value):
    if isinstance(value, Fraction):
        return A.const(value)
    arr = np.asarray(value)
    exact = arr.astype(A.dtype)
    if not A.outward or np.array_equal(exact.astype(np.float64), arr.astype(np.float64)):
        return jnp.asarray(exact)
    lo_ = np.where(exact > arr, np.nextafter(exact, -np.inf), exact).astype(A.dtype)
    hi_ = np.where(exact < arr, np.nextafter(exact, np.inf), exact).astype(A.dtype)
    return Interval(jnp.asarray(lo_), jnp.asarray(hi_))


def _param_value(A: Arith, value):
    """A runtime parameter as an exact point of the arithmetic's dtype; a wider float that the
    dtype cannot hold becomes its outward-rounded interval (outward mode)."""
    value = jnp.asarray(value)
    if value.dtype == A.dtype:
        return value
    narrow = value.astype(A.dtype)
    if not A.outward or jnp.finfo(value.dtype).bits <= jnp.finfo(A.dtype).bits:
        return narrow
    back = narrow.astype(value.dtype)
    lo_ = jnp.where(back > value, jnp.nextafter(narrow, -jnp.inf), narrow)
    hi_ = jnp.where(back < value, jnp.nextafter(narrow, jnp.inf), narrow)
    return Interval(lo_, hi_)


def region_z(A: Arith, x0, lo, hi) -> Interval:
    """The box ``Z = X − x0`` flattened to n entries, rounded outward, and holding 0."""
    n = max(1, math.prod(x0.shape))
    x0f, lof, hif = x0.reshape(n), lo.reshape(n), hi.reshape(n)
    z = Interval(_sub_outward(A, lof, x0f, down), _sub_outward(A, hif, x0f, up))
    return Interval(jnp.minimum(z.lo, 0.0), jnp.maximum(z.hi, 0.0))


def evaluate_graph(
    graph: ExprGraph,
    x0,
    lo,
    hi,
    degree: int,
    rounding: str,
    trust_regions: bool = False,
    params: tuple = (),
    zero_x0: bool = False,
):
    """Trace-time body: the enclosure of the graph's output (and domain flags).

    `params[i]` is the value of the graph's ``param`` node i (a point, never bounded over
    the box).  `zero_x0`: x0 is 0 in every entry (known when the program is built), so
    that products with it vanish exactly (:func:`autobound.enclosure.identity`)."""
    A = Arith(rounding, x0.dtype)
    region = E.Region(A, region_z(A, x0, lo, hi), degree)
    composing = composing_nodes(graph, degree)
    fenced = _fenced_nodes(graph, composing, A.outward, degree)
    ctx = RuleContext(A, region, degree, fenced=bool(fenced))
    ctx0 = RuleContext(A, E.Region(A, region.z, 0), 0)
    x = E.identity(x0, region.z, degree, A, region, zero=zero_x0)
    leaves = {graph.input: (x, Interval(lo, hi))}
    leaves.update(constant_leaves(graph, A, params))

    def run(node: int, step: Step, args: tuple, zeros: tuple, exacts: tuple):
        return apply_step(step, ctx, ctx0, args, zeros, exacts, fence_key=x0)

    plan = plan_graph(graph, degree, trust_regions, fenced)
    return walk(graph, plan, leaves, run), ctx.flags


def constant_leaves(graph: ExprGraph, A: Arith, params: tuple = ()) -> dict:
    """``node -> (enclosure, exact range or None)`` for the graph's constant and param nodes
    (`params[i]`: the value of param node i)."""
    out = {}
    for node in graph.order():
        op, p = graph.op(node), graph.params(node)
        if op == "constant":
            out[node] = (E.constant(_constant_value(A, p["value"])), None)
        elif op == "param":
            broadcast = functools.partial(jnp.broadcast_to, shape=graph.shape(node))
            value = tree_map(broadcast, _param_value(A, params[p["index"]]))
            out[node] = (E.constant(value), as_interval(value))
    return out


# Ops that are affine in an argument whenever the others do not depend on x.
_AFFINE_ARITH = {"add", "sub", "neg", "mul", "div"}

# Ops whose rules read the exact values of constant arguments (``RuleContext.arg_consts``);
# the others see None there, so that their steps do not depend on constants' values.
_READS_CONSTS = frozenset({"pow"})


def _is_affine(graph: ExprGraph, node: int, affine: set, varying: set) -> bool:
    """Whether `node` is an affine function of x (given which arguments are affine and which
    depend on x at all): then its degree-k enclosure is exact up to rounding for k >= 1, and
    an interval evaluation can never give it a tighter range."""
    args = graph.args(node)
    moving = [a for a in args if a in varying]
    if not moving:
        return True
    if not all(a in affine for a in moving):
        return False
    kind, op = op_info(graph.op(node)).kind, graph.op(node)
    if kind == LINEAR:
        return True
    if kind == BILINEAR or op in ("mul", "div"):
        return len(moving) == 1 and (op != "div" or moving[0] == args[0])
    return op in _AFFINE_ARITH


def affine_nodes(graph: ExprGraph) -> set[int]:
    """The nodes that are affine functions of x (:func:`_is_affine`), the constants included."""
    varying, affine = {graph.input}, set()
    for node in graph.order():
        args = graph.args(node)
        if any(a in varying for a in args):
            varying.add(node)
        if graph.op(node) in ("input", "constant", "param") or _is_affine(
            graph, node, affine, varying
        ):
            affine.add(node)
    return affine


@dataclasses.dataclass(frozen=True)
class Step:
    """One node's work, described by everything it depends on besides arrays: hashable, so
    that equal steps on arrays of equal shapes can share one compiled program
    (:mod:`autobound.staged`).

    `moves`: also move the argument's exact range (ops of ``_MOVES``); `trust`: also give
    the node a degree-0 enclosure (an interval evaluation from its arguments' degree-0
    enclosures, intersected into its users' ranges); `fence`: put the results behind a
    :func:`~autobound.fence.fence`."""

    op: str
    key: Any  # the frozen params (and constants, for ops of _READS_CONSTS)
    shape: tuple[int, ...]
    moves: bool = False
    trust: bool = False
    fence: bool = False
    params: dict = dataclasses.field(default_factory=dict, compare=False, hash=False)
    consts: tuple = dataclasses.field(default=(), compare=False, hash=False)


def plan_graph(graph: ExprGraph, k: int, trust_regions: bool, fenced: set) -> list:
    """``[(node, Step or None)]`` in topological order (None: an input, constant or param
    node, given by the caller).

    With `trust_regions` (and k > 0), each node that is not affine in x also gets a degree-0
    enclosure, and the rules of its users intersect the ranges they derive from the
    degree-k enclosures with it.  Affine nodes need none: their degree-k enclosure's range
    is as tight, and it serves as their degree-0 value."""
    check_graph_size(sum(op_info(graph.op(n)).kind == ELEMENTWISE for n in graph.order()), k)
    trust = trust_regions and k > 0
    varying, affine = {graph.input}, set()
    has_exact = {n for n in graph.order() if graph.op(n) in ("input", "param")}
    has_zero: set[int] = set()
    plan = []
    for node in graph.order():
        op = graph.op(node)
        if op in ("input", "constant", "param"):
            plan.append((node, None))
            affine.add(node)
            continue
        args = graph.args(node)
        params = graph.params(node)
        consts = tuple(
            graph.params(a)["value"] if op in _READS_CONSTS and graph.op(a) == "constant" else None
            for a in args
        )
        moves = op in _MOVES and (args[0] in has_exact or args[0] in has_zero)
        if any(a in varying for a in args):
            varying.add(node)
        zero = trust and node != graph.output and not _is_affine(graph, node, affine, varying)
        key = (freeze(params), freeze(consts) if op in _READS_CONSTS else None)
        step = Step(op, key, graph.shape(node), moves, zero, node in fenced, params, consts)
        plan.append((node, step))
        if moves:
            has_exact.add(node)
        if zero:
            has_zero.add(node)
        else:
            affine.add(node)
    return plan


def walk(graph: ExprGraph, plan: list, leaves: dict, run: Callable) -> E.Expansion:
    """The enclosure of the graph's output: the `plan`'s steps in order, each by
    ``run(node, step, args, zeros, exacts)`` (the arguments' enclosures, their degree-0 enclosures
    or None, their exact ranges or None) -> ``(enclosure, degree-0 enclosure or None, exact
    range or None)``; `leaves` gives the nodes without a step."""
    values: dict[int, E.Expansion] = {}
    zero: dict[int, E.Expansion] = {}  # degree-0 enclosures of the non-affine nodes
    exact: dict[int, Interval] = {}  # exact ranges: the box, and entries moved out of it
    for node, step in plan:
        if step is None:
            values[node], ex = leaves[node]
            if ex is not None:
                exact[node] = ex
            continue
        args = graph.args(node)
        values[node], z0, moved = run(
            node,
            step,
            tuple(values[a] for a in args),
            tuple(zero.get(a) for a in args),
            tuple(exact.get(a) for a in args),
        )
        if z0 is not None:
            zero[node] = z0
        if moved is not None:
            exact[node] = moved
    return values[graph.output]


def apply_step(
    step: Step, ctx: RuleContext, ctx0: RuleContext, args, zeros, exacts, fence_key=None
):
    """One node: its degree-k enclosure from its arguments' (`args`, truncated to degree k),
    its moved exact range (``step.moves``) and its degree-0 enclosure (``step.trust``)."""
    ranges = tuple(
        e if e is not None else (as_interval(z.coeffs[0]) if z is not None else None)
        for e, z in zip(exacts, zeros, strict=True)
    )
    enc = _apply(ctx, step, args, ranges)
    moved = None
    if step.moves:
        moved = as_interval(rule_for(step.op)(ctx, E.constant(ranges[0]), **step.params).coeffs[0])
    zero = None
    if step.trust:
        region = ctx.region
        d0 = [
            z if z is not None else E.constant(E.enclosure_range(ctx.A, region, v))
            for v, z in zip(args, zeros, strict=True)
        ]
        zero = _apply(ctx0, step, d0, tuple(exacts))
    enc = E.truncate(ctx.A, ctx.region, enc, ctx.k)
    if step.fence:
        enc, zero = fence(fence_key, (enc, zero))
    return enc, zero, moved


def composing_nodes(graph: ExprGraph, k: int) -> set[int]:
    """The nodes that run the sharp remainder machinery at degree k: elementwise ones, and
    powers and quotients that compose rather than multiply out (their rules fence their own
    stages too)."""
    return {
        n
        for n in graph.order()
        if op_info(graph.op(n)).kind == ELEMENTWISE or _composes(graph, n, k)
    }


def _composes(graph: ExprGraph, node: int, k: int) -> bool:
    """Whether an arithmetic node goes through the sharp elementwise machinery
    (:func:`autobound.rules.smooth.compose`) at degree k: a real or variable power, an
    integer power x**n with n < 0 or n > k (lower ones multiply out when x is affine), a
    quotient by a non-constant."""
    op = graph.op(node)
    if op == "pow":
        return True
    if op == "integer_pow":
        n = int(graph.params(node)["n"])
        return n < 0 or n > k
    if op == "div":
        return graph.op(graph.args(node)[1]) != "constant"
    return False


def _fenced_nodes(graph: ExprGraph, composing: set[int], outward: bool, k: int) -> set[int]:
    """The `composing` nodes (elementwise ones and those of :func:`_composes`) whose values
    go behind a :func:`~autobound.fence.fence` (and whose rules fence their own stages,
    ``RuleContext.fenced``), so that XLA's fusion computes each node's remainder once
    instead of copying it into the fused loop of every consumer (and of each end of each
    interval).

    * Outward mode: all of them, as in the node-by-node programs (:mod:`autobound.staged`).
      Measured on the applications' batched programs (degree 2, 256 boxes, compile / run):
      Levy 33 -> 13 s / 23 -> 7 ms, Shubert 42 -> 24 s / 31 -> 12 ms, Michalewicz (two
      x**20) 23 -> 19 s / 12 -> 5.5 ms.  Graphs of one or two nodes, none feeding another,
      were left unfenced until 183ac3b; measured again then (B = 10^4), their batches ran
      faster fenced: the README example 3.45 -> 2.52 ms (7,368 -> 4,664 instructions per
      box), softplus(2x-1)·sigmoid(x) 10.9 -> 6.3 ms (one unbatched README call 70 -> 83 µs).
    * Nearest mode, where the remainders are short: only in graphs of more than two such
      nodes, or where one feeds another or has more than one entry per box.  Measured at
      183ac3b (B = 10^4, fenced / not): the engine benchmark's MLP (12 softplus units)
      72-81 / 191-197 ms, the two-input case 11.5-11.9 / 20.5-21.5 ms, the MM bound at 993
      parameters 1.2 / 1.4-1.7 ms (3,425 -> 1,706 instructions), sqrt(1+x^2)/(2+x) +
      exp(-x^2) 2.3 / 2.1-2.2 ms (but 22 / 43-49 ms at 10^5 boxes); the README example ran
      0.62 / 0.50 ms, softplus(2x-1)·sigmoid(x) 1.6 / 1.5 ms and exp(x)·log(1+x^2) 1.7 /
      1.6 ms, which stay unfenced (a square of an affine argument multiplies out: it is not
      counted)."""
    if outward:
        return composing
    if k >= 2:  # squares of affine arguments multiply out: not counted, not fenced
        composing = {n for n in composing if graph.op(n) != "square"}
    if len(composing) > 2 or any(math.prod(graph.shape(n)) > 1 for n in composing):
        return composing
    reaches: dict[int, bool] = {}  # node -> a composing node lies downstream of it
    users: dict[int, list[int]] = {}
    for n in graph.order():
        for a in graph.args(n):
            users.setdefault(a, []).append(n)
    for n in reversed(graph.order()):
        reaches[n] = any(u in composing or reaches[u] for u in users.get(n, ()))
    return composing if any(reaches[n] for n in composing) else set()


def _apply(ctx: RuleContext, step: Step, args, ranges) -> E.Expansion:
    """The rule of `step`'s op on enclosures `args`, with the arguments' ranges."""
    ctx.arg_consts, ctx.arg_ranges = step.consts, ranges
    enc = rule_for(step.op)(ctx, *args, **step.params)
    if op_info(step.op).kind in (ELEMENTWISE, ARITH):
        enc = E.broadcast_out(enc, step.shape)
    return enc


def _two_diff(a, b):
    """``s = fl(a − b)`` and the exact error e = (a − b) − s (Knuth's TwoSum)."""
    s = a - b
    bb = s - a
    e = (a - (s - bb)) - (b + bb)
    return s, e


def _sub_outward(A: Arith, a, b, rounder):
    """``a − b`` rounded by `rounder` (down or up) unless the difference is exact (so
    z = X − x0 is exact for the usual boxes and expansion points)."""
    if not A.outward:
        return a - b
    s, e = _two_diff(a, b)
    exact = (e == 0) & ((jnp.abs(s) >= jnp.finfo(s.dtype).tiny) | (a == b))
    return jnp.where(exact, s, rounder(s))


def finalize(enc: E.Expansion, x_shape: tuple[int, ...]) -> tuple:
    """The coefficients in their public layout (coefficient i of shape ``out + x_shape * i``),
    NaN interval ends made the whole line."""
    out = []
    for i, c in enumerate(enc.coeffs):

        def shape_var(a, i=i):
            o = a.shape[: a.ndim - i]
            return a.reshape(o + tuple(x_shape) * i)

        c = tree_map(shape_var, c)
        out.append(sanitize(c))
    return tuple(out)


def _all(b: jax.Array) -> jax.Array:
    """``jnp.all(b)``, without a reduction for a scalar (the usual case under ``vmap``)."""
    return b if b.ndim == 0 else jnp.all(b)


def _down_to(v: jax.Array, dt: Any) -> jax.Array:
    """`v` in dtype `dt`, rounded down (a float <= v); FTZ-safe: a subnormal result that XLA
    would flush becomes the next normal number below (or 0)."""
    r = v.astype(dt)
    if jnp.finfo(v.dtype).bits > jnp.finfo(dt).bits:
        r = jnp.where(r.astype(v.dtype) > v, jnp.nextafter(r, jnp.asarray(-jnp.inf, dt)), r)
    tiny = jnp.asarray(jnp.finfo(dt).tiny, dt)
    flushed = jnp.where(r < 0, -tiny, jnp.zeros_like(r))  # 0 < |r| < tiny: below r, normal
    return jnp.where(jnp.abs(r) < tiny, flushed, r)


def prepare_box(x0, lo, hi, x_shape, dt, params: tuple = ()):
    """x0, lo, hi in the engine's dtype with the box rounded outward, x0 (subnormals flushed
    to 0, as XLA would) inside it: the box used is the hull of ``[lo, hi]`` and x0, as in the
    reference implementation.  Returns them and the flag "input not finite or reversed" (or
    a leaf of `params` not finite)."""
    if not jnp.issubdtype(x0.dtype, jnp.floating):
        x0 = x0.astype(dt)
    lo = jnp.broadcast_to(lo if jnp.issubdtype(lo.dtype, jnp.floating) else lo.astype(dt), x_shape)
    hi = jnp.broadcast_to(hi if jnp.issubdtype(hi.dtype, jnp.floating) else hi.astype(dt), x_shape)
    # lo <= hi is false where either is NaN; then both finite excludes the infinities.
    both = jax.lax.bitwise_and  # on booleans; jnp's `&` adds conversions to the program
    ok = both(both(lo <= hi, jnp.isfinite(lo)), jnp.isfinite(hi))
    if jnp.shape(x0) == ok.shape:
        ok = _all(both(ok, jnp.isfinite(x0)))
    else:
        ok = both(_all(ok), _all(jnp.isfinite(x0)))
    for leaf in params:
        ok = both(ok, _all(jnp.isfinite(leaf)))
    loc = _down_to(lo, dt)
    hic = -_down_to(-hi, dt)
    x0c = x0.astype(dt)
    tiny = jnp.asarray(jnp.finfo(dt).tiny, dt)
    x0c = jnp.where(jnp.abs(x0c) < tiny, jnp.zeros_like(x0c), x0c)
    return x0c, jnp.minimum(loc, x0c), jnp.maximum(hic, x0c), jax.lax.bitwise_not(ok)


def void_where(bad: jax.Array, c: Any) -> Any:
    """A coefficient made void (NaN points, whole-line intervals) where `bad` holds."""
    if is_interval(c):
        return Interval(jnp.where(bad, -jnp.inf, c.lo), jnp.where(bad, jnp.inf, c.hi))
    return jnp.where(bad, jnp.nan, c)


def lower(
    graph: ExprGraph,
    degree: int,
    x_shape: tuple[int, ...],
    dtype: str = "float64",
    rounding: str = "nearest",
    trust_regions: bool = False,
    zero_x0: bool = False,
) -> Callable:
    """The jitted ``(x0, lo, hi, *params) -> (coefficients, flags)`` of `graph`.

    Not cached here: the caller (:class:`autobound.core.Enclose`) owns its compiled
    functions.  `x0`, `lo`, `hi` must already have shape `x_shape` and the dtype; `params`
    are the values of the graph's ``param`` nodes, in index order.  `zero_x0`: the program
    is only called with x0 = 0 (see :func:`evaluate_graph`).
    """
    degree, x_shape = int(degree), tuple(x_shape)

    def fn(x0, lo, hi, *params):
        enc, flags = evaluate_graph(
            graph, x0, lo, hi, degree, rounding, trust_regions, params, zero_x0
        )
        return finalize(enc, x_shape), flags

    return jax.jit(fn)
