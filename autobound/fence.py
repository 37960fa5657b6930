"""A wall for XLA's fusion: :func:`fence` returns its values unchanged behind a conditional.

In outward mode each enclosure step is a long chain of cheap select/min/max ops whose lower
and upper ends both depend on everything upstream.  XLA:CPU's fusion copies such producer
chains into every consumer fusion, so through a chain of rules the copies multiply: 6 nested
sines, 14k StableHLO ops, became 244k instructions after fusion (49 s to compile);
``sin(x)**20``, 19k ops, became 357k (55 s), the power rule's sharp remainder being copied
into each coefficient product of the composition.  A conditional on a runtime predicate is a
boundary no fusion crosses; the values behind it are computed once.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

__all__ = ["fence"]


@jax.custom_jvp
def fence(key: jax.Array, tree: Any) -> Any:
    """`tree` unchanged, behind a wall XLA's fusion does not cross.

    The wall is ``cond(p, identity, nan)`` with a predicate p that is always true but that
    XLA cannot fold (:func:`_opaque_true` of `key`, any array of the trace, such as the
    expansion point; were p ever false the values would be NaN, i.e. unknown, which is
    sound).  Under ``vmap`` the predicate is reduced over the batch so that it stays a scalar
    (a batched predicate would turn the conditional into a select, which fuses).
    Derivatives pass through.  Measured on 6 nested sines: compile 49 s -> 6 s.
    """
    return _walled(key, tree)


@fence.defjvp
def _fence_jvp(primals: tuple, tangents: tuple) -> tuple:
    """Derivatives pass straight through (the fence is the identity where it matters)."""
    return fence(*primals), tangents[1]


def _behind_cond(key: jax.Array, tree: Any) -> Any:
    return jax.lax.cond(_opaque_true(key), lambda t: t, _unknown, tree)


_walled = jax.custom_batching.custom_vmap(_behind_cond)


@_walled.def_vmap
def _walled_vmap(axis_size: int, in_batched: Any, key: jax.Array, tree: Any) -> Any:
    """Under vmap: the same conditional on the whole batch (its predicate stays a scalar)."""
    del axis_size
    return _behind_cond(key, tree), in_batched[1]


def _opaque_true(key: jax.Array) -> jax.Array:
    """True for any non-empty `key` (each entry equals itself or is NaN), in a form XLA
    does not fold: the conditional stays, and one NaN box in a batch voids no other box."""
    return jnp.any((key == key) | (key != key))


def _unknown(tree: Any) -> Any:
    """`tree` with its float leaves NaN (one NaN array per shape and dtype)."""
    nans: dict = {}

    def nan(v):
        if not jnp.issubdtype(v.dtype, jnp.floating):
            return v
        k = (v.shape, v.dtype)
        if k not in nans:
            nans[k] = jnp.full(v.shape, jnp.nan, v.dtype)
        return nans[k]

    return jax.tree.map(nan, tree)
