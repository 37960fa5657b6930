"""Node-by-node evaluation of a batch: small compiled programs, shared between functions.

:func:`autobound.lower.lower` traces the whole graph into one program, which XLA compiles
as a whole: for the applications' batched box programs (degree 2, outward rounding,
trust regions) that is 4-22 s on 2 cores, most of a first call, and every new function
pays it again.  :class:`Staged` runs the same steps (:func:`autobound.lower.plan_graph`,
:func:`~autobound.lower.apply_step`) from the host in :class:`Group` s, one compiled program
each (``jax.jit(jax.vmap(...))`` over the batch axis): every composing node (sin, exp, a
quotient, a real power) alone, the cheap nodes between two of them together.  A group's
program depends only on what its steps are (ops, parameters, degree, rounding, wiring) and
on its arrays' shapes, never on the function it belongs to or on constants' values:
``2*cos(3*x + 1)`` and ``5*cos(6*y + 5)`` share their programs, and so do all functions in
one process that use cos in the same number of variables.  The values are those of the
traced program (the same rules, the same operations; only XLA's fusion boundaries differ,
and the kernel margins hold under either fusion emitter).

The cost is a dispatch per group and call (about 30 µs each): for host-driven loops over
large batches (branch and bound, integration), not for programs that run inside ``jit``.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from autobound import enclosure as E
from autobound.graph import ExprGraph
from autobound.interval import Arith, Interval
from autobound.kept import Kept
from autobound.lower import (
    Step,
    affine_nodes,
    apply_step,
    composing_nodes,
    constant_leaves,
    finalize,
    plan_graph,
    prepare_box,
    region_z,
    void_where,
)
from autobound.rules.context import RuleContext
from autobound.xla_options import compiler_options

__all__ = ["Staged", "clear_cache"]

_PROGRAMS = 1024
"""Most group programs kept (each holds its compiled executables, one per batch shape)."""


@dataclasses.dataclass(frozen=True)
class Group:
    """Steps that run as one compiled program: a composing node (sin, a quotient, ...)
    alone, or a run of cheap ones (sums, products, slices) between two composing nodes.

    `wiring[i][j]` says where argument j of step i comes from: ``e >= 0`` the group's
    external input e, ``-1 - m`` the group's own step m; `axes[e]` is 0 for an external
    input computed per box, None for one shared by every box (a constant or a parameter);
    `exports` are the steps whose results leave the group; `inputs[e]` says whether
    external input e is x itself (its enclosure is rebuilt in the program, so that products
    with its linear coefficient are exact as in one traced program: see
    :func:`autobound.enclosure.identity`).  Hashable, and free of node numbers and
    constants' values: equal groups share their compiled program."""

    steps: tuple[Step, ...]
    wiring: tuple[tuple[int, ...], ...]
    axes: tuple[int | None, ...]
    exports: tuple[int, ...]
    inputs: tuple[bool, ...]


@functools.lru_cache(maxsize=_PROGRAMS)
def _group_program(group: Group, rounding: str, dtype: str, k: int) -> Callable:
    """``(z, values, zeros, exacts) -> ([(enclosure, degree-0 enclosure, moved range)], flags)``
    over a batch (leading axis), for boxes ``z`` (B, n) and the group's external inputs."""

    def one(z, values, zeros, exacts):
        A = Arith(rounding, dtype)
        # the composing rules fence their own stages in outward mode (as in a large traced
        # program); there are no fences between nodes: each group is a program of its own
        ctx = RuleContext(A, E.Region(A, z, k), k, fenced=A.outward)
        ctx0 = RuleContext(A, E.Region(A, z, 0), 0)
        values = tuple(  # at k = 0, x's enclosure is its range: nothing to rebuild
            E.identity(v.coeffs[0], z, k, A, ctx.region) if x and k else v
            for v, x in zip(values, group.inputs, strict=True)
        )
        done: list[tuple] = []
        for step, wiring in zip(group.steps, group.wiring, strict=True):

            def pick(j: int, i: int, external: tuple):
                return external[j] if j >= 0 else done[-1 - j][i]

            args = tuple(pick(j, 0, values) for j in wiring)
            zs = tuple(pick(j, 1, zeros) for j in wiring)
            exs = tuple(pick(j, 2, exacts) for j in wiring)
            done.append(apply_step(step, ctx, ctx0, args, zs, exs))
        return tuple(done[i] for i in group.exports), ctx.flags

    axes = group.axes
    in_axes = (0, axes, tuple(0 for _ in axes), axes)
    return Kept(
        jax.vmap(one, in_axes=in_axes),
        ("group", group, rounding, dtype, k),
        compiler_options(rounding),
    )


def group_plan(graph: ExprGraph, plan: list, k: int) -> list[tuple[Group, tuple, tuple]]:
    """The `plan`'s steps as ``[(group, external input nodes, exported nodes)]``: each
    composing step alone (the programs worth sharing between functions), the cheap steps
    between two of them together (one dispatch instead of one per node)."""
    # a square of an affine argument multiplies out (a product, cheap) at k >= 2
    affine = affine_nodes(graph) if k >= 2 else set()
    heavy = {
        n
        for n in composing_nodes(graph, k)
        if not (graph.op(n) == "square" and graph.args(n)[0] in affine)
    }
    shared = {n for n in graph.order() if graph.op(n) in ("constant", "param")}
    users: dict[int, set[int]] = {}
    for n in graph.order():
        for a in graph.args(n):
            users.setdefault(a, set()).add(n)
    runs: list[list[tuple[int, Step]]] = []
    for node, step in plan:
        if step is None:
            continue
        if node in heavy or not runs or runs[-1][-1][0] in heavy:
            runs.append([])
        runs[-1].append((node, step))
    out = []
    for run in runs:
        mine = {node: i for i, (node, _) in enumerate(run)}
        external: list[int] = []
        wiring = []
        for node, _ in run:
            row = []
            for a in graph.args(node):
                if a in mine:
                    row.append(-1 - mine[a])
                else:
                    if a not in external:
                        external.append(a)
                    row.append(external.index(a))
            wiring.append(tuple(row))
        exports = tuple(
            i
            for i, (node, _) in enumerate(run)
            if node == graph.output or users.get(node, set()) - set(mine)
        )
        group = Group(
            tuple(step for _, step in run),
            tuple(wiring),
            tuple(None if a in shared else 0 for a in external),
            exports,
            tuple(a == graph.input for a in external),
        )
        out.append((group, tuple(external), tuple(run[i][0] for i in exports)))
    return out


@functools.lru_cache(maxsize=64)
def _prologue(rounding: str, dtype: str, k: int, x_shape: tuple[int, ...]) -> Callable:
    """``(x0, lo, hi, params) -> ((x0, lo, hi, bad), z, enclosure of x)`` over a batch: the
    box prepared (:func:`autobound.lower.prepare_box`), its offsets z from x0, and x's
    enclosure."""

    def one(x0, lo, hi, params):
        x0, lo, hi, bad = prepare_box(x0, lo, hi, x_shape, jnp.dtype(dtype), params)
        A = Arith(rounding, dtype)
        z = region_z(A, x0, lo, hi)
        return (x0, lo, hi, bad), z, E.identity(x0, z, k, A, E.Region(A, z, k))

    return Kept(jax.vmap(one, in_axes=(0, 0, 0, None)), ("prologue", rounding, dtype, k, x_shape))


@functools.lru_cache(maxsize=64)
def _epilogue(x_shape: tuple[int, ...], shared: bool) -> Callable:
    """``(enclosure, [flags], bad) -> (coefficients, flags)`` over a batch: the coefficients
    in their final layout, void where `bad`, and each op's flags or-ed over its steps;
    `shared`: the enclosure is the same for every box (f is a constant)."""

    def one(enc, flags, bad):
        merged: dict[str, jax.Array] = {}
        for d in flags:
            for name, hit in d.items():
                merged[name] = merged[name] | hit if name in merged else hit
        return tuple(void_where(bad, c) for c in finalize(enc, x_shape)), merged

    return Kept(jax.vmap(one, in_axes=(None if shared else 0, 0, 0)), ("epilogue", x_shape, shared))


def clear_cache() -> None:
    """Forget every compiled group program (they are rebuilt on demand)."""
    _group_program.cache_clear()
    _prologue.cache_clear()
    _epilogue.cache_clear()


class Staged:
    """``(x0, lo, hi, *params) -> (coefficients, flags, (x0, lo, hi, bad))`` for a batch of
    boxes (leading axis B of x0, lo, hi, of shape ``(B,) + x_shape``; `params` shared by all
    boxes), as ``jax.vmap`` of :class:`autobound.core.Enclose` would give, run group by group
    from the host: the coefficients (void where `bad`), the domain flags, and the box as
    prepared (:func:`autobound.lower.prepare_box`: the engine's dtype, rounded outward, holding
    x0) with `bad` where the input or a param was not finite or the box reversed."""

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
        self.plan = group_plan(graph, plan_graph(graph, self.k, trust_regions, set()), self.k)
        self._constants: dict | None = None

    def __call__(self, x0: jax.Array, lo: jax.Array, hi: jax.Array, *params: Any):
        A = Arith(self.rounding, self.dtype)
        if params or self._constants is None:
            leaves = constant_leaves(self.graph, A, params)
            if not params:
                self._constants = leaves
        else:
            leaves = self._constants
        prologue = _prologue(self.rounding, self.dtype, self.k, self.x_shape)
        box, z, x = prologue(x0, lo, hi, tuple(params))
        values = {node: v for node, (v, _) in leaves.items()}
        exact = {node: r for node, (_, r) in leaves.items() if r is not None}
        values[self.graph.input], exact[self.graph.input] = x, Interval(box[1], box[2])
        zero: dict[int, Any] = {}
        flags: list[dict] = []
        for group, external, exported in self.plan:
            program = _group_program(group, self.rounding, self.dtype, self.k)
            results, hit = program(
                z,
                tuple(values[a] for a in external),
                tuple(zero.get(a) for a in external),
                tuple(exact.get(a) for a in external),
            )
            for node, (enc, z0, moved) in zip(exported, results, strict=True):
                values[node] = enc
                if z0 is not None:
                    zero[node] = z0
                if moved is not None:
                    exact[node] = moved
            if hit:
                flags.append(hit)
        output = self.graph.output
        shared = self.graph.op(output) in ("constant", "param")
        coefficients, merged = _epilogue(self.x_shape, shared)(values[output], flags, box[3])
        return coefficients, merged, box
