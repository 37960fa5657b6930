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

import functools
import math
from collections.abc import Callable
from fractions import Fraction

import jax
import jax.numpy as jnp
import numpy as np

import autobound.rules  # noqa: F401  (registers every rule)
from autobound import enclosure as E
from autobound.fence import fence
from autobound.graph import ExprGraph
from autobound.interval import (
    Arith,
    Interval,
    as_interval,
    down,
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


def evaluate_graph(
    graph: ExprGraph,
    x0,
    lo,
    hi,
    degree: int,
    rounding: str,
    trust_regions: bool = False,
    params: tuple = (),
):
    """Trace-time body: the enclosure of the graph's output (and domain flags).

    `params[i]` is the value of the graph's ``param`` node i (a point, never bounded over
    the box)."""
    dtype = x0.dtype
    A = Arith(rounding, dtype)
    params = tuple(_param_value(A, p) for p in params)
    n = max(1, math.prod(x0.shape))
    x0f, lof, hif = x0.reshape(n), lo.reshape(n), hi.reshape(n)
    z = Interval(_sub_outward(A, lof, x0f, down), _sub_outward(A, hif, x0f, up))
    z = Interval(jnp.minimum(z.lo, 0.0), jnp.maximum(z.hi, 0.0))
    region = E.Region(A, z, degree)
    values, flags = _walk(graph, A, region, degree, x0, Interval(lo, hi), params, trust_regions)
    return values[graph.output], flags


# Ops that are affine in an argument whenever the others do not depend on x.
_AFFINE_ARITH = {"add", "sub", "neg", "mul", "div"}


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


def _walk(graph, A, region, k, x0, box, param_values=(), trust_regions=False):
    """Apply every node's rule in topological order; `box` is the exact input range.

    With `trust_regions` (and k > 0), each node that is not affine in x also gets a degree-0
    enclosure (an interval evaluation, from its arguments' degree-0 enclosures), and the
    rules of its users intersect the ranges they derive from the degree-k enclosures with
    it.  Affine nodes need none: their degree-k enclosure's range is as tight, and it serves
    as their degree-0 value."""
    values: dict[int, E.Expansion] = {}
    zero: dict[int, E.Expansion] = {}  # degree-0 enclosures of the non-affine nodes
    exact = {graph.input: box}  # exact ranges: the box, and entries moved out of it
    elementwise = {n for n in graph.order() if op_info(graph.op(n)).kind == ELEMENTWISE}
    check_graph_size(len(elementwise))
    # the nodes that run the sharp remainder machinery: elementwise ones, and powers and
    # quotients that compose rather than multiply out; their rules fence their own stages too
    composing = elementwise | {n for n in graph.order() if _composes(graph, n, k)}
    fenced = _fenced_nodes(graph, composing) if A.outward else set()
    ctx = RuleContext(A, region, k, fenced=bool(fenced))
    ctx0 = RuleContext(A, E.Region(A, region.z, 0), 0)
    trust = trust_regions and k > 0
    varying, affine = {graph.input}, set()

    def degree0(a):
        if a in zero:
            return zero[a]
        return E.constant(E.enclosure_range(A, region, values[a]))

    for node in graph.order():
        op = graph.op(node)
        params = graph.params(node)
        if op == "input":
            enc = E.identity(x0, region.z, k, A, region)
        elif op == "constant":
            enc = E.constant(_constant_value(A, params["value"]))
        elif op == "param":
            broadcast = functools.partial(jnp.broadcast_to, shape=graph.shape(node))
            value = tree_map(broadcast, param_values[params["index"]])
            enc = E.constant(value)
            exact[node] = as_interval(value)
        else:
            arg_nodes = graph.args(node)
            consts = tuple(
                graph.params(a)["value"] if graph.op(a) == "constant" else None for a in arg_nodes
            )
            ranges = tuple(
                exact.get(a) or (as_interval(zero[a].coeffs[0]) if a in zero else None)
                for a in arg_nodes
            )
            enc = _apply(ctx, graph, node, [values[a] for a in arg_nodes], consts, ranges)
            if op in _MOVES and ranges[0] is not None:
                moved = rule_for(op)(ctx, E.constant(ranges[0]), **params)
                exact[node] = as_interval(moved.coeffs[0])
            if any(a in varying for a in arg_nodes):
                varying.add(node)
            if trust and node != graph.output and not _is_affine(graph, node, affine, varying):
                zero[node] = _apply(
                    ctx0,
                    graph,
                    node,
                    [degree0(a) for a in arg_nodes],
                    consts,
                    tuple(exact.get(a) for a in arg_nodes),
                )
            enc = E.truncate(A, region, enc, k)
            if node in fenced:
                enc, zero[node] = fence(x0, (enc, zero.get(node)))
                if zero[node] is None:
                    del zero[node]
        if node not in zero:
            affine.add(node)
        values[node] = enc
    return values, ctx.flags


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


def _fenced_nodes(graph: ExprGraph, composing: set[int]) -> set[int]:
    """The `composing` nodes (elementwise ones and those of :func:`_composes`) whose outward
    values go behind a :func:`~autobound.fence.fence` (and whose rules fence their own
    stages, ``RuleContext.fenced``): all of them, unless the graph has at most two and none
    reaches another (then XLA's fusion copies little, and the conditionals would cost more
    than they save: the README example's batch runs about 20 % slower fenced).  Measured on
    the applications' batched programs (degree 2, 256 boxes, compile / run): Levy 33 -> 13 s /
    23 -> 7 ms, Shubert 42 -> 24 s / 31 -> 12 ms, a sum of five sines 13 -> 10 s / 4.7 ->
    4.2 ms; with powers and quotients fenced as well, Michalewicz (two x**20) 23 -> 19 s /
    12 -> 5.5 ms and Shekel (five quotients) 10 -> 5.3 ms per batch."""
    if len(composing) > 2:
        return composing
    reaches: dict[int, bool] = {}  # node -> a composing node lies downstream of it
    users: dict[int, list[int]] = {}
    for n in graph.order():
        for a in graph.args(n):
            users.setdefault(a, []).append(n)
    for n in reversed(graph.order()):
        reaches[n] = any(u in composing or reaches[u] for u in users.get(n, ()))
    return composing if any(reaches[n] for n in composing) else set()


def _apply(ctx: RuleContext, graph: ExprGraph, node: int, args, consts, ranges) -> E.Expansion:
    """The rule of `node` on enclosures `args`, with the arguments' constants and ranges."""
    op = graph.op(node)
    ctx.arg_consts, ctx.arg_ranges = consts, ranges
    enc = rule_for(op)(ctx, *args, **graph.params(node))
    if op_info(op).kind in (ELEMENTWISE, ARITH):
        enc = E.broadcast_out(enc, graph.shape(node))
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


def _finalize(enc: E.Expansion, x_shape: tuple[int, ...]):
    out = []
    for i, c in enumerate(enc.coeffs):

        def shape_var(a, i=i):
            o = a.shape[: a.ndim - i]
            return a.reshape(o + tuple(x_shape) * i)

        c = tree_map(shape_var, c)
        out.append(sanitize(c))
    return tuple(out)


def lower(
    graph: ExprGraph,
    degree: int,
    x_shape: tuple[int, ...],
    dtype: str = "float64",
    rounding: str = "nearest",
    trust_regions: bool = False,
) -> Callable:
    """The jitted ``(x0, lo, hi, *params) -> (coefficients, flags)`` of `graph`.

    Not cached here: the caller (:class:`autobound.core.Enclose`) owns its compiled
    functions.  `x0`, `lo`, `hi` must already have shape `x_shape` and the dtype; `params`
    are the values of the graph's ``param`` nodes, in index order.
    """
    degree, x_shape = int(degree), tuple(x_shape)

    def fn(x0, lo, hi, *params):
        enc, flags = evaluate_graph(graph, x0, lo, hi, degree, rounding, trust_regions, params)
        return _finalize(enc, x_shape), flags

    return jax.jit(fn)
