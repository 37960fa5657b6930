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

import math
from collections.abc import Callable
from fractions import Fraction

import jax
import jax.numpy as jnp
import numpy as np

import autobound.rules  # noqa: F401  (registers every rule)
from autobound import enclosure as E
from autobound.graph import ExprGraph
from autobound.interval import Arith, Interval, down, is_interval, sanitize, tree_map, up
from autobound.ops import ARITH, ELEMENTWISE, op_info, rule_for
from autobound.rules.context import RuleContext

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
    box = Interval(lo, hi)
    ranges = None
    if trust_regions and degree > 0:
        # the output's own range is read by no rule: the walk stops before it
        ranges, _ = _walk(graph, A, E.Region(A, z, 0), 0, x0, None, box, params, last=False)
        ranges = {k: E.enclosure_range(A, region, v) for k, v in ranges.items()}
    values, flags = _walk(graph, A, region, degree, x0, ranges, box, params)
    return values[graph.output], flags


def _walk(graph, A, region, k, x0, ranges, box, param_values=(), last=True):
    """Apply every node's rule in topological order; `box` is the exact input range
    (`last=False`: every node but the output)."""
    values: dict[int, E.Expansion] = {}
    exact = {graph.input: box}  # exact ranges: the box, and entries moved out of it
    ctx = RuleContext(A, region, k)
    order = graph.order()
    for node in order if last else order[:-1]:
        op = graph.op(node)
        params = graph.params(node)
        if op == "input":
            enc = E.identity(x0, region.z, k, A, region)
        elif op == "constant":
            enc = E.constant(_constant_value(A, params["value"]))
        elif op == "param":
            value = tree_map(
                lambda a: jnp.broadcast_to(a, graph.shape(node)), param_values[params["index"]]
            )
            enc = E.constant(value)
            exact[node] = _as_interval(value)
        else:
            args = [values[a] for a in graph.args(node)]
            ctx.arg_consts = tuple(
                graph.params(a)["value"] if graph.op(a) == "constant" else None
                for a in graph.args(node)
            )
            ctx.arg_ranges = tuple(
                exact.get(a) or (_as_interval(ranges[a]) if ranges else None)
                for a in graph.args(node)
            )
            enc = rule_for(op)(ctx, *args, **params)
            if op in _MOVES and ctx.arg_ranges[0] is not None:
                moved = rule_for(op)(ctx, E.constant(ctx.arg_ranges[0]), **params)
                exact[node] = _as_interval(moved.coeffs[0])
            if op_info(op).kind in (ELEMENTWISE, ARITH):
                enc = E.broadcast_out(enc, graph.shape(node))
            enc = E.truncate(A, region, enc, k)
        values[node] = enc
    return values, ctx.flags


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


def _as_interval(v):
    return v if is_interval(v) else Interval(v, v)


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
