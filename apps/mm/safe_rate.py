"""SafeRate: a learning-rate-free optax transformation whose steps provably do not raise the loss.

At weights $w$ with a direction $v$ (by default $v = -\\nabla f(w)$), the engine encloses
$h(\\eta) = f(w + \\eta v)$ over the trust region $[0, \\bar\\eta]$ in outward rounding; the
upper polynomial $U \\ge h$ there (see :mod:`autobound.apps.mm.majorizer`: every coefficient
enters through its upper end, the top one included, because $\\eta \\ge 0$) is minimized on
the trust region and the step $\\eta^* v$ is taken.  Since $U(0) \\ge h(0)$ only up to the
width of $c_0$, the step is taken only when $c_0^- - U(\\eta^*) > 0$, which proves

$$ f(w + \\eta^* v) \\le f(w) - \\delta, \\qquad \\delta = c_0^- - U(\\eta^*) > 0 $$

for the exact real loss (the *certified decrease*, reported in the state).

**Trust-region rule.**  When the enclosure is finite and the minimizer of $U$ is the end of
the region ($\\eta^* = \\bar\\eta$), the region doubles, $\\bar\\eta \\leftarrow 2\\bar\\eta$,
whether the step was certified or not (a region too short to prove a decrease larger than
the width of $c_0$, the rounding error of the loss itself, must grow); after an interior
minimizer, no descent ($c_1^+ \\ge 0$) or a flagged or non-finite enclosure it halves,
$\\bar\\eta \\leftarrow \\bar\\eta/2$.  A wide region makes the remainder coefficient $c_2^+$
large (short, pessimistic steps); a narrow one caps the step: the rule keeps the minimizer
near the boundary, where both effects balance.  $\\bar\\eta$ stays within
$[\\text{tiny}, \\text{max}/4]$ of the dtype.

**Full batch and mini-batch.**  The guarantee is about the function `value_fn` passed to the
update.  With the full-batch loss, the training loss never increases (exact real arithmetic;
the computed loss may move by its own rounding).  With a mini-batch `value_fn`, the step
provably does not increase *that batch's* loss; nothing is claimed for other batches.
"""

from __future__ import annotations

import contextlib
import contextvars
import warnings
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

import autobound as ab
from autobound.apps.mm import majorizer
from autobound.errors import DomainError, InvalidArgument, ShapeMismatch

__all__ = ["SafeRateInfo", "SafeRateState", "UncertifiedStepWarning", "safe_rate"]


class UncertifiedStepWarning(UserWarning):
    """A step whose enclosure was flagged or not finite: the update was zero."""


class SafeRateInfo(NamedTuple):
    """What the last update did (loggable, like ``inject_hyperparams``'s hyperparameters).

    - `step_size`: the $\\eta^*$ applied to the direction (0 for a refused step);
    - `eta_max`: the trust region $\\bar\\eta$ the step was bounded on;
    - `certified_decrease`: $\\delta$, a proven lower bound on the decrease of the exact loss;
    - `certified`: whether the step was certified (else it was zero);
    - `finite`: whether the enclosure was valid and finite (false: an uncertified step, see
      :class:`UncertifiedStepWarning`).
    """

    step_size: jax.Array
    eta_max: jax.Array
    certified_decrease: jax.Array
    certified: jax.Array
    finite: jax.Array


class SafeRateState(NamedTuple):
    """`eta_max`: the next trust region; `direction_state`: the direction's optax state."""

    eta_max: jax.Array
    direction_state: optax.OptState
    info: SafeRateInfo


def direction_transform(direction: Any) -> optax.GradientTransformationExtraArgs:
    """The optax transformation whose update is the direction v (see :func:`safe_rate`)."""
    if direction is None or direction == "gradient":
        return optax.with_extra_args_support(optax.scale(-1.0))
    if direction == "adam":
        return optax.with_extra_args_support(optax.chain(optax.scale_by_adam(), optax.scale(-1.0)))
    if direction == "momentum":
        return optax.with_extra_args_support(optax.chain(optax.trace(0.9), optax.scale(-1.0)))
    if isinstance(direction, optax.GradientTransformation):
        return optax.with_extra_args_support(direction)
    raise InvalidArgument(
        "direction must be None, 'gradient', 'adam', 'momentum' or an optax transformation "
        f"(its update is the direction, e.g. optax.adam(1.0)), got {direction!r}"
    )


def params_dtype(params: Any) -> str:
    """The one floating dtype of the leaves of `params`, or InvalidArgument."""
    dtypes = {str(jnp.result_type(leaf)) for leaf in jax.tree.leaves(params)}
    if not dtypes:
        raise InvalidArgument("params has no leaves: nothing to optimize")
    if len(dtypes) > 1 or not dtypes <= {"float32", "float64"}:
        raise InvalidArgument(
            f"params must all be float32 or all float64 (the loss is bounded in one dtype), "
            f"got {sorted(dtypes)}"
        )
    return dtypes.pop()


def bound_dtype(dtype: Any) -> Callable[[Any], str]:
    """``params -> the engine's dtype`` for an MM optimizer's `dtype` argument: the params'
    own dtype (None), or float64 for float32 or float64 params (the same real loss, bounded
    with less rounding).  Checks `dtype` now and the params when called."""
    wanted = None if dtype is None else ab.check_dtype(dtype)

    def dtype_of(params: Any) -> str:
        dt = params_dtype(params)
        if wanted is None:
            return dt
        if wanted != dt and not (wanted == "float64" and dt == "float32"):
            raise InvalidArgument(
                f"dtype={dtype!r} but the params are {dt}: float64 params are bounded in "
                "float64 (cast the params and the data to float32 instead)"
            )
        return wanted

    return dtype_of


def check_loss(value_fn: Any, params: Any) -> None:
    """Named errors for a missing or non-scalar loss and, outside ``jit``, non-finite params."""
    if value_fn is None:
        raise InvalidArgument(
            "the MM optimizers need the loss: call opt.update(grads, state, params, value=loss, "
            "grad=grads, value_fn=loss_fn), where loss_fn(params) is the scalar loss"
        )
    if not callable(value_fn):
        raise InvalidArgument(f"value_fn must be a function of params, got {value_fn!r}")
    out = jax.eval_shape(value_fn, params)
    if not isinstance(out, jax.ShapeDtypeStruct) or out.shape != ():
        shape = out.shape if isinstance(out, jax.ShapeDtypeStruct) else type(out).__name__
        raise ShapeMismatch(
            f"value_fn must return a scalar loss, got {shape}: reduce it (e.g. jnp.mean) "
            "or return the loss without auxiliary outputs"
        )
    leaves = jax.tree_util.tree_leaves_with_path(params)
    for path, leaf in leaves:
        if isinstance(leaf, jax.core.Tracer):
            continue  # inside jit: the engine flags it and the step is zero
        if not np.all(np.isfinite(np.asarray(leaf))):
            name = "params" + "".join(str(k) for k in path)
            raise DomainError(f"{name} contains NaN or infinite values")


def next_eta_max(at_boundary: jax.Array, eta_max: jax.Array) -> jax.Array:
    """The trust-region rule: double when the upper polynomial's minimizer was the end of the
    region (and the enclosure finite), else halve; kept within ``[tiny, max / 4]``."""
    finfo = jnp.finfo(eta_max.dtype)
    grown = jnp.where(at_boundary, 2 * eta_max, eta_max / 2)
    return jnp.clip(grown, finfo.tiny, finfo.max / 4)


_HOST_WARNINGS: contextvars.ContextVar[list[bool] | None] = contextvars.ContextVar(
    "autobound_mm_host_warnings", default=None
)


@contextlib.contextmanager
def warnings_from_host() -> Iterator[list[bool]]:
    """While a loop that reads every step's ``info`` on the host traces its step (``fit``),
    the MM updates leave their in-program warning out and append to the yielded list
    instead: the loop then warns from ``info.finite``.  A program with a host callback is
    never written to JAX's persistent compilation cache, so with the callback every process
    would compile the step afresh (seconds to tens of seconds in outward rounding)."""
    wanted: list[bool] = []
    token = _HOST_WARNINGS.set(wanted)
    try:
        yield wanted
    finally:
        _HOST_WARNINGS.reset(token)


def warn_if_not_finite(finite: jax.Array, eta_max: jax.Array) -> None:
    """Inside the traced update: an :class:`UncertifiedStepWarning` when `finite` is false
    (from a host callback, or from the host loop under :func:`warnings_from_host`)."""
    wanted = _HOST_WARNINGS.get()
    if wanted is not None:
        wanted.append(True)
        return
    jax.lax.cond(finite, lambda m: None, lambda m: jax.debug.callback(warn_uncertified, m), eta_max)


def warn_uncertified(eta_max: Any) -> None:
    """Emit the :class:`UncertifiedStepWarning` of a step bounded on `eta_max`."""
    warnings.warn(
        "autobound.apps.mm: the loss could not be bounded on the trust region with ends "
        f"{np.asarray(eta_max)} (a flagged or non-finite enclosure); the step is zero and "
        "the trust region halves",
        UncertifiedStepWarning,
        stacklevel=2,
    )


def safe_rate(
    direction: Any = None,
    degree: int = 2,
    eta_max0: float = 1.0,
    dtype: str | None = None,
    *,
    rounding: str = "outward",
    warn: bool = True,
) -> optax.GradientTransformationExtraArgs:
    """A step size with a proof: the minimizer of the engine's upper bound along the direction.

    **Arguments:**

    - `direction`: ``None`` or ``"gradient"`` ($v = -g$), ``"momentum"`` (heavy ball, 0.9),
      ``"adam"`` (Adam's preconditioned direction), or any optax transformation, whose update
      is used as $v$ (e.g. ``optax.adam(1.0)``); its learning rate is replaced by $\\eta^*$.
    - `degree`: of the enclosure of $h$; 2 is minimized in closed form, higher degrees on a
      grid (see :func:`autobound.apps.mm.majorizer.upper_minimizer`).
    - `eta_max0`: the first trust region $\\bar\\eta$.
    - `dtype`: the engine's dtype; default: the dtype of the params.  Float32 params may
      also be bounded in ``"float64"`` (64-bit JAX): the loss is the same real function of
      the same weights, bounded with 2^29 times less rounding, so steps that float32
      arithmetic cannot certify (a decrease below the loss's own rounding error) are taken;
      the updates are returned in float32.  The guarantee holds for the exact real loss
      either way.
    - `rounding`: ``"outward"`` (sound; CPU backend) or ``"nearest"`` (cheaper; the bound may
      miss by a few ulps, so the decrease is certified only up to rounding).
    - `warn`: emit :class:`UncertifiedStepWarning` when an enclosure is flagged or infinite.

    **Returns:** an ``optax.GradientTransformationExtraArgs``; its update
    ``update(updates, state, params, *, value_fn, value=None, grad=None, **extra)`` needs
    `value_fn` (the scalar loss of params); `updates` are the gradients (or, inside
    ``optax.chain``, the previous transformation's output, fed to the direction).  Other
    keyword arguments are ignored.  The state's ``info`` is a :class:`SafeRateInfo`.

    ```python
    opt = mm.safe_rate()
    state = opt.init(params)
    loss, grads = jax.value_and_grad(loss_fn)(params)
    updates, state = opt.update(grads, state, params, value=loss, grad=grads, value_fn=loss_fn)
    params = optax.apply_updates(params, updates)   # loss_fn(params) <= loss - certified
    ```
    """
    if not isinstance(degree, int) or isinstance(degree, bool) or degree < 1:
        raise InvalidArgument(f"degree must be an integer >= 1, got {degree!r}")
    if not (np.isfinite(eta_max0) and eta_max0 > 0):
        raise InvalidArgument(f"eta_max0 must be a positive finite number, got {eta_max0!r}")
    if rounding not in ("outward", "nearest"):
        raise InvalidArgument(f"rounding must be 'outward' or 'nearest', got {rounding!r}")
    direction_tx = direction_transform(direction)

    dtype_of = bound_dtype(dtype)

    def init(params: Any) -> SafeRateState:
        dt = dtype_of(params)
        zero = jnp.zeros((), dt)
        return SafeRateState(
            eta_max=jnp.asarray(eta_max0, dt),
            direction_state=direction_tx.init(params),
            info=SafeRateInfo(
                zero, jnp.asarray(eta_max0, dt), zero, jnp.asarray(False), jnp.asarray(True)
            ),
        )

    def update(
        updates: Any,
        state: SafeRateState,
        params: Any = None,
        *,
        value_fn: Callable[[Any], jax.Array] | None = None,
        value: Any = None,
        grad: Any = None,
        **extra: Any,
    ) -> tuple[Any, SafeRateState]:
        del value, grad, extra
        if params is None:
            raise InvalidArgument("safe_rate needs params: opt.update(grads, state, params, ...)")
        dt = dtype_of(params)
        check_loss(value_fn, params)
        v, direction_state = direction_tx.update(updates, state.direction_state, params)
        v = jax.tree.map(lambda d: d.astype(dt), v)
        enc = majorizer.line_enclosure(value_fn, degree, rounding, dt)
        eta_max = state.eta_max
        step = majorizer.bound_step(enc, params, v, eta_max)
        if warn:
            warn_if_not_finite(step.finite, eta_max)
        # where, not 0 * v: a refused step is exactly zero even where v is NaN or infinite;
        # in the params' dtype (float32 params bounded in float64)
        new_updates = jax.tree.map(
            lambda d, p: jnp.where(step.certified, step.step_size * d, jnp.zeros_like(d)).astype(
                jnp.result_type(p)
            ),
            v,
            params,
        )
        info = SafeRateInfo(
            step.step_size, eta_max, step.certified_decrease, step.certified, step.finite
        )
        return new_updates, SafeRateState(
            next_eta_max(step.at_boundary, eta_max), direction_state, info
        )

    return optax.GradientTransformationExtraArgs(init, update)
