"""SafeCombination: one certified step size per parameter group, from a multivariate majorizer.

The direction $v$ (by default $-\\nabla f(w)$) is split into blocks $v_g$, one per group of
parameters (``groups="layer"``: the top-level entries of the params, e.g. the layers of a list
of dicts; ``"leaf"``: every array).  The engine encloses
$F(\\eta) = f(w + \\sum_g \\eta_g v_g)$ over the box $\\eta \\in [0, \\bar\\eta_1] \\times \\dots
\\times [0, \\bar\\eta_k]$ at degree 2 (outward rounding):

$$ F(\\eta) \\in c_0 + c_1^\\top \\eta + \\eta^\\top C_2 \\eta . $$

Every monomial $\\eta_i$, $\\eta_i \\eta_j$ is non-negative on the box, so
$U(\\eta) = c_0^+ + \\sum_i c_{1,i}^+ \\eta_i + \\sum_{ij} C_{2,ij}^+ \\eta_i \\eta_j \\ge F$
there.  $U$ may be non-convex, so its minimum over the box is not computed exactly; the
step is found by cyclic coordinate descent on $U$ (each coordinate minimized exactly on its
interval by :func:`~autobound.apps.mm.majorizer.minimize_quadratic`, starting from 0, so
$U$ never rises), and **soundness does not depend on it**: the step is taken only when
$\\delta = c_0^- - U(\\eta)$, evaluated with outward rounding by
:func:`autobound.poly.evaluate`, is positive, and then $f$ decreases by at least $\\delta$.
Each group's trust region follows SafeRate's rule: it doubles when the search ended at that
group's end of the box (and the enclosure was finite), and halves otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from autobound.apps.mm import majorizer
from autobound.apps.mm.safe_rate import (
    bound_dtype,
    check_loss,
    direction_transform,
    next_eta_max,
    warn_if_not_finite,
)
from autobound.errors import InvalidArgument

__all__ = ["SafeCombinationInfo", "SafeCombinationState", "group_ids", "safe_combination"]

#: Sweeps of coordinate descent over the groups.
SWEEPS = 8


class SafeCombinationInfo(NamedTuple):
    """`step_sizes` and `eta_max` per group (shape (k,)), the certified decrease of the exact
    loss, whether the step was certified (else it was zero) and whether the enclosure was
    valid and finite."""

    step_sizes: jax.Array
    eta_max: jax.Array
    certified_decrease: jax.Array
    certified: jax.Array
    finite: jax.Array


class SafeCombinationState(NamedTuple):
    eta_max: jax.Array
    direction_state: optax.OptState
    info: SafeCombinationInfo


def group_ids(params: Any, groups: str) -> tuple[int, ...]:
    """The group of each leaf of `params` (in ``jax.tree.leaves`` order)."""
    if groups == "leaf":
        return tuple(range(len(jax.tree.leaves(params))))
    if groups == "layer":
        if isinstance(params, (list, tuple)):
            children = list(params)
        elif isinstance(params, dict):
            children = [params[k] for k in sorted(params)]
        else:
            children = [params]
        return tuple(g for g, c in enumerate(children) for _ in jax.tree.leaves(c))
    raise InvalidArgument(f"groups must be 'layer' or 'leaf', got {groups!r}")


def minimize_box_quadratic(b: jax.Array, A: jax.Array, eta_max: jax.Array) -> jax.Array:
    """Approximately minimize $b^\\top \\eta + \\eta^\\top A \\eta$ over $[0, \\bar\\eta]$
    (A symmetric) by ``SWEEPS`` sweeps of exact coordinate minimization from $\\eta = 0$."""
    k = b.shape[0]

    def body(t, eta):
        i = t % k
        linear = b[i] + 2 * (A[i] @ eta - A[i, i] * eta[i])
        return eta.at[i].set(majorizer.minimize_quadratic(linear, A[i, i], eta_max[i]))

    return jax.lax.fori_loop(0, SWEEPS * k, body, jnp.zeros_like(b))


def safe_combination(
    groups: str = "layer",
    direction: Any = None,
    eta_max0: float = 1.0,
    dtype: str | None = None,
    *,
    rounding: str = "outward",
    warn: bool = True,
) -> optax.GradientTransformationExtraArgs:
    """One step size per parameter group, each certified by the multivariate enclosure.

    **Arguments:** `groups` (``"layer"`` or ``"leaf"``), `direction`, `eta_max0`, `dtype`,
    `rounding` and `warn` as for :func:`~autobound.apps.mm.safe_rate`.

    **Returns:** an ``optax.GradientTransformationExtraArgs`` with the update protocol of
    :func:`~autobound.apps.mm.safe_rate` (`value_fn` required); ``state.info`` is a
    :class:`SafeCombinationInfo`.  With k groups the enclosure carries k + k² coefficients,
    so its cost grows with k: use few groups.
    """
    group_ids({}, groups)  # validates the name
    if rounding not in ("outward", "nearest"):
        raise InvalidArgument(f"rounding must be 'outward' or 'nearest', got {rounding!r}")
    direction_tx = direction_transform(direction)
    dtype_of = bound_dtype(dtype)

    def init(params: Any) -> SafeCombinationState:
        dt = dtype_of(params)
        k = max(group_ids(params, groups)) + 1
        zero = jnp.zeros((), dt)
        eta_max = jnp.full((k,), eta_max0, dt)
        info = SafeCombinationInfo(
            jnp.zeros((k,), dt), eta_max, zero, jnp.asarray(False), jnp.asarray(True)
        )
        return SafeCombinationState(eta_max, direction_tx.init(params), info)

    def update(
        updates: Any,
        state: SafeCombinationState,
        params: Any = None,
        *,
        value_fn: Callable[[Any], jax.Array] | None = None,
        **extra: Any,
    ) -> tuple[Any, SafeCombinationState]:
        del extra
        if params is None:
            raise InvalidArgument("safe_combination needs params: opt.update(grads, state, params)")
        dt = dtype_of(params)
        check_loss(value_fn, params)
        v, direction_state = direction_tx.update(updates, state.direction_state, params)
        v = jax.tree.map(lambda d: d.astype(dt), v)
        w_leaves, treedef = jax.tree.flatten(params)
        v_leaves = jax.tree.leaves(v)
        ids = group_ids(params, groups)
        enc = majorizer.box_enclosure(value_fn, treedef, ids, rounding, dt)
        eta_max = state.eta_max
        # a concrete 0 (not a traced one) as the expansion point: the engine then keeps
        # w + 0·v exact
        zeros = np.zeros(eta_max.shape, eta_max.dtype)
        e = enc(zeros, zeros, eta_max, {"w": w_leaves, "v": v_leaves})
        b = majorizer.upper_end(e.coefficients[1])
        C = majorizer.upper_end(e.coefficients[2])
        A = (C + C.T) / 2  # only guides the search: the bound is evaluated on e itself
        finite_coeffs = jnp.all(jnp.isfinite(b)) & jnp.all(jnp.isfinite(A))
        searched = minimize_box_quadratic(
            jnp.where(finite_coeffs, b, 0), jnp.where(finite_coeffs, A, 0), eta_max
        )
        decrease, certified, finite = majorizer.certify(e, searched)
        if warn:
            warn_if_not_finite(finite, eta_max)
        eta = jnp.where(certified, searched, zeros)
        moved = [  # in each leaf's dtype (float32 params bounded in float64)
            jnp.where(certified, eta[g] * d, jnp.zeros_like(d)).astype(jnp.result_type(w))
            for d, g, w in zip(v_leaves, ids, w_leaves, strict=True)
        ]
        at_boundary = finite & (searched > 0) & (searched >= eta_max)
        info = SafeCombinationInfo(
            eta, eta_max, jnp.where(certified, decrease, jnp.zeros((), dt)), certified, finite
        )
        new_state = SafeCombinationState(next_eta_max(at_boundary, eta_max), direction_state, info)
        return jax.tree.unflatten(treedef, moved), new_state

    return optax.GradientTransformationExtraArgs(init, update)
