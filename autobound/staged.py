"""Node-by-node evaluation of a batch: one small compiled program per graph node, shared.

:func:`autobound.lower.lower` traces the whole graph into one program, which XLA compiles
as a whole: for the applications' batched box programs (degree 2, outward rounding,
trust regions) that is 4-22 s on 2 cores, most of a first call, and every new function
pays it again.  :class:`Staged` runs the same steps (:func:`autobound.lower.plan_graph`,
:func:`~autobound.lower.apply_step`) from the host, one compiled program per node
(``jax.jit(jax.vmap(step))`` over the batch axis).  A step's program depends only on what
the step is (op, parameters, degree, rounding) and on its arrays' shapes, never on the
function it belongs to or on constants' values: ``2*cos(3*x + 1)`` and ``5*cos(6*y + 5)``
share their programs, and so do all functions in one process that use cos in the same
number of variables.  The values are those of the traced program (the same rules, the same
operations; only XLA's fusion boundaries differ, and the kernel margins hold under any).

The cost is a dispatch per node and per call (about 20-40 µs each): for host-driven loops
over large batches (branch and bound), not for programs that run inside ``jit``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax

from autobound import enclosure as E
from autobound.graph import ExprGraph
from autobound.interval import Arith, Interval
from autobound.lower import (
    Step,
    apply_step,
    composing_nodes,
    constant_leaves,
    finalize,
    plan_graph,
    region_z,
    walk,
)
from autobound.rules.context import RuleContext
from autobound.xla_options import compiler_options

__all__ = ["Staged", "clear_cache"]

_PROGRAMS = 1024
"""Most step programs kept (each holds its compiled executables, one per batch shape)."""


@functools.lru_cache(maxsize=_PROGRAMS)
def _step_program(
    step: Step, rounding: str, dtype: str, k: int, fenced: bool, axes: tuple
) -> Callable:
    """``(z, args, zeros, exacts) -> (enclosure, degree-0 enclosure, moved range, flags)``
    over a batch (leading axis), for boxes ``z`` (B, n); `axes` says which of args, zeros and
    exacts carry the batch axis (0) and which are shared by every box (None)."""

    def one(z, args, zeros, exacts):
        A = Arith(rounding, dtype)
        ctx = RuleContext(A, E.Region(A, z, k), k, fenced=fenced)
        ctx0 = RuleContext(A, E.Region(A, z, 0), 0)
        enc, zero, moved = apply_step(step, ctx, ctx0, args, zeros, exacts)
        return enc, zero, moved, ctx.flags

    return jax.jit(jax.vmap(one, in_axes=(0, *axes)), compiler_options=compiler_options(rounding))


@functools.lru_cache(maxsize=64)
def _prologue(rounding: str, dtype: str, k: int) -> Callable:
    """``(x0, lo, hi) -> (z, enclosure of x)`` over a batch."""

    def one(x0, lo, hi):
        A = Arith(rounding, dtype)
        z = region_z(A, x0, lo, hi)
        return z, E.identity(x0, z, k, A, E.Region(A, z, k))

    return jax.jit(jax.vmap(one))


@functools.lru_cache(maxsize=64)
def _epilogue(x_shape: tuple[int, ...]) -> Callable:
    """``(enclosure, [flags]) -> (coefficients, flags)`` over a batch: the coefficients in
    their final layout, each op's flags or-ed over its steps."""

    def one(enc, flags):
        merged: dict[str, jax.Array] = {}
        for d in flags:
            for name, hit in d.items():
                merged[name] = merged[name] | hit if name in merged else hit
        return finalize(enc, x_shape), merged

    return jax.jit(jax.vmap(one))


def clear_cache() -> None:
    """Forget every compiled step program (they are rebuilt on demand)."""
    _step_program.cache_clear()
    _prologue.cache_clear()
    _epilogue.cache_clear()


class Staged:
    """``(x0, lo, hi, *params) -> (coefficients, flags)`` for a batch of boxes (leading axis
    B of x0, lo, hi; `params` shared by all boxes), as ``jax.vmap`` of
    :func:`autobound.lower.lower`'s function would give, run node by node from the host.

    `x0`, `lo`, `hi` must already have shape ``(B,) + x_shape``, the dtype, and the box
    prepared as :class:`autobound.core.Enclose` prepares it (outward, holding x0)."""

    def __init__(
        self,
        graph: ExprGraph,
        degree: int,
        x_shape: tuple[int, ...],
        dtype: str = "float64",
        rounding: str = "nearest",
        trust_regions: bool = False,
    ):
        self.graph, self.k, self.x_shape = graph, int(degree), tuple(x_shape)
        self.dtype, self.rounding = dtype, rounding
        # no fences between nodes (each node is a program of its own); the composing rules
        # fence their own stages in outward mode, as in the traced program of a large graph
        self.fenced = rounding == "outward" and bool(composing_nodes(graph, self.k))
        self.plan = plan_graph(graph, self.k, trust_regions, set())
        self.shared = {n for n in graph.order() if graph.op(n) in ("constant", "param")}
        self._constants: dict | None = None

    def _axes(self, node: int) -> tuple:
        args = self.graph.args(node)
        shared = tuple(None if a in self.shared else 0 for a in args)
        return shared, tuple(0 for _ in args), shared

    def __call__(self, x0: jax.Array, lo: jax.Array, hi: jax.Array, *params: Any):
        A = Arith(self.rounding, self.dtype)
        if params or self._constants is None:
            leaves = constant_leaves(self.graph, A, params)
            if not params:
                self._constants = leaves
        else:
            leaves = dict(self._constants)
        z, x = _prologue(self.rounding, self.dtype, self.k)(x0, lo, hi)
        leaves[self.graph.input] = (x, Interval(lo, hi))
        flags: list[dict] = []

        def run(node: int, step: Step, args: tuple, zeros: tuple, exacts: tuple):
            axes = self._axes(node)
            program = _step_program(step, self.rounding, self.dtype, self.k, self.fenced, axes)
            enc, zero, moved, hit = program(z, args, zeros, exacts)
            if hit:
                flags.append(hit)
            return enc, zero, moved

        enc = walk(self.graph, self.plan, leaves, run)
        return _epilogue(self.x_shape)(enc, flags)
