"""A plain full-batch training loop for any optax optimizer, and the optimizers by name.

:func:`fit` jits one step (``value_and_grad``, the optimizer's update with ``value``, ``grad``
and ``value_fn``, ``apply_updates``) and runs it `steps` times behind a rich progress bar,
recording the loss, the wall time and, for :func:`~autobound.apps.mm.safe_rate`, the chosen
step size, the trust region and the certified decrease.  :func:`train` does the same for a
task of :mod:`autobound.apps.mm.tasks` and an optimizer name: the entry point for a command
line (``autobound train --task teacher-mlp --depth 3 --optimizer safe-rate --steps 500``).
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable
from typing import Any

import jax
import numpy as np
import optax

from autobound.apps.mm import tasks as tasks_mod
from autobound.apps.mm.combination import SafeCombinationState, safe_combination
from autobound.apps.mm.safe_rate import (
    SafeRateState,
    check_loss,
    params_dtype,
    safe_rate,
    warn_uncertified,
    warnings_from_host,
)
from autobound.errors import DomainError, InvalidArgument

__all__ = ["OPTIMIZERS", "History", "fit", "make_optimizer", "train"]


def _contrib(name: str) -> Callable[..., optax.GradientTransformation]:
    def make(learning_rate: float | None = None) -> optax.GradientTransformation:
        fn = getattr(optax.contrib, name)
        return fn() if learning_rate is None else fn(learning_rate=learning_rate)

    return make


#: Optimizer names -> factories ``make(learning_rate=None)``; `learning_rate` is required for
#: the tuned baselines and ignored (must be None) for safe-rate.
OPTIMIZERS: dict[str, Callable[..., optax.GradientTransformation]] = {
    "safe-rate": lambda learning_rate=None: safe_rate(),
    "safe-rate-adam": lambda learning_rate=None: safe_rate(direction="adam"),
    "safe-rate-momentum": lambda learning_rate=None: safe_rate(direction="momentum"),
    "safe-combination": lambda learning_rate=None: safe_combination(),
    "gd": lambda learning_rate: optax.sgd(learning_rate),
    "momentum": lambda learning_rate: optax.sgd(learning_rate, momentum=0.9),
    "nesterov": lambda learning_rate: optax.sgd(learning_rate, momentum=0.9, nesterov=True),
    "adam": lambda learning_rate: optax.adam(learning_rate),
    "adagrad": lambda learning_rate: optax.adagrad(learning_rate),
    "rmsprop": lambda learning_rate: optax.rmsprop(learning_rate),
    "prodigy": _contrib("prodigy"),
    "dadapt-adamw": _contrib("dadapt_adamw"),
    "dog": _contrib("dog"),
    "cocob": _contrib("cocob"),
    "mechanize": lambda learning_rate=None: optax.contrib.mechanize(optax.sgd(1.0)),
    "schedule-free": lambda learning_rate=None: optax.contrib.schedule_free_sgd(
        1.0 if learning_rate is None else learning_rate
    ),
}
_NEEDS_RATE = {"gd", "momentum", "nesterov", "adam", "adagrad", "rmsprop"}


def make_optimizer(name: str, learning_rate: float | None = None) -> optax.GradientTransformation:
    """The optimizer called `name` (a key of :data:`OPTIMIZERS`)."""
    if name not in OPTIMIZERS:
        raise InvalidArgument(f"unknown optimizer {name!r}; optimizers: {', '.join(OPTIMIZERS)}")
    if name in _NEEDS_RATE and learning_rate is None:
        raise InvalidArgument(f"optimizer {name!r} needs a learning rate")
    return OPTIMIZERS[name](learning_rate=learning_rate)


@dataclasses.dataclass(frozen=True)
class History:
    """What a run recorded, one entry per step (arrays of length `steps`, `losses` one more).

    - `losses[t]`: the loss at the params after t updates (`losses[0]` the initial loss);
    - `times[t]`: wall-clock seconds from the start of the loop to the end of update t+1
      (compilation excluded: the step is compiled before the clock starts);
    - `step_sizes`, `eta_max`, `certified_decrease`: SafeRate's state info per step (NaN
      for other optimizers; for SafeCombination `step_sizes` and `eta_max` have one column
      per group);
    - `params`: the final params; `compile_time`: seconds spent compiling the step.
    """

    losses: np.ndarray
    times: np.ndarray
    step_sizes: np.ndarray
    eta_max: np.ndarray
    certified_decrease: np.ndarray
    params: Any
    compile_time: float


def _find_info(state: Any) -> Any:
    """The SafeRate/SafeCombination info inside an optimizer state (also in chains), or None."""
    kinds = (SafeRateState, SafeCombinationState)
    for s in jax.tree.leaves(state, is_leaf=lambda s: isinstance(s, kinds)):
        if isinstance(s, kinds):
            return s.info
    return None


def _is_combination(info: Any) -> bool:
    from autobound.apps.mm.combination import SafeCombinationInfo

    return isinstance(info, SafeCombinationInfo)


def _progress(steps: int, show: bool):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    return Progress(
        TextColumn("[bold]train"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]}  step {task.fields[eta]}"),
        disable=not show,
        auto_refresh=sys.stderr.isatty(),
        transient=False,
    )


def fit(
    loss_fn: Callable[[Any], jax.Array],
    params: Any,
    steps: int,
    optimizer: optax.GradientTransformation | str | None = None,
    *,
    progress: bool | None = None,
) -> History:
    """Run `steps` full-batch updates of `optimizer` (default :func:`safe_rate`) on `loss_fn`.

    **Arguments:**

    - `loss_fn`: ``loss_fn(params) -> scalar`` on jax.numpy (closing over its data).
    - `params`: the initial params (a pytree of float32 or float64 arrays, all finite).
    - `steps`: number of updates.
    - `optimizer`: an optax transformation (given ``value``, ``grad`` and ``value_fn``, so line
      searches and :func:`safe_rate` work) or a name from :data:`OPTIMIZERS`.
    - `progress`: show a rich progress bar (default: when stderr is a terminal; it is redrawn
      only on a terminal).

    **Returns:** a :class:`History`.  A NaN or infinite initial loss or params is a
    :class:`~autobound.errors.DomainError`.
    """
    if not isinstance(steps, int) or steps < 0:
        raise InvalidArgument(f"steps must be an integer >= 0, got {steps!r}")
    if optimizer is None:
        optimizer = safe_rate()
    elif isinstance(optimizer, str):
        optimizer = make_optimizer(optimizer)
    params_dtype(params)
    check_loss(loss_fn, params)
    opt = optax.with_extra_args_support(optimizer)
    value0 = float(loss_fn(params))
    if not np.isfinite(value0):
        raise DomainError(f"the initial loss is {value0}: check the data for NaN or infinity")

    def step(params, state):
        value, grad = jax.value_and_grad(loss_fn)(params)
        updates, state = opt.update(grad, state, params, value=value, grad=grad, value_fn=loss_fn)
        return optax.apply_updates(params, updates), state, value

    state = opt.init(params)
    t0 = time.perf_counter()
    # The MM updates' warnings come from here, read off their info, so that the compiled
    # step has no host callback and is kept in JAX's persistent compilation cache.
    with warnings_from_host() as host_warns:
        compiled = jax.jit(step).lower(params, state).compile()
    compile_time = time.perf_counter() - t0
    nan = float("nan")
    losses, times, etas, eta_max, decrease = [], [], [], [], []
    show = sys.stderr.isatty() if progress is None else progress
    with _progress(steps, show) as bar:
        task = bar.add_task("train", total=steps, loss=f"{value0:.4g}", eta="-")
        start = time.perf_counter()
        for _ in range(steps):
            params, state, value = compiled(params, state)
            losses.append(float(value))
            times.append(time.perf_counter() - start)
            info = _find_info(state)
            if info is None:
                etas.append(nan), eta_max.append(nan), decrease.append(nan)
            else:
                sizes = info.step_sizes if _is_combination(info) else info.step_size
                etas.append(np.asarray(sizes))
                eta_max.append(np.asarray(info.eta_max))
                decrease.append(float(info.certified_decrease))
                if host_warns and not bool(np.all(info.finite)):
                    warn_uncertified(info.eta_max)
            eta = np.array2string(np.asarray(etas[-1]), precision=3)
            bar.update(task, advance=1, loss=f"{losses[-1]:.4g}", eta=eta)
    final = float(loss_fn(params))
    return History(
        losses=np.asarray([*losses, final]) if steps else np.asarray([value0]),
        times=np.asarray(times),
        step_sizes=np.asarray(etas),
        eta_max=np.asarray(eta_max),
        certified_decrease=np.asarray(decrease),
        params=params,
        compile_time=compile_time,
    )


def train(
    task: str,
    *,
    depth: int | None = None,
    optimizer: str = "safe-rate",
    steps: int = 100,
    learning_rate: float | None = None,
    dtype: str = "float64",
    progress: bool | None = None,
) -> History:
    """:func:`fit` on the task called `task` with the optimizer called `optimizer`.

    ``train("teacher-mlp", depth=3, optimizer="safe-rate", steps=500)`` is what
    ``autobound train --task teacher-mlp --depth 3 --optimizer safe-rate --steps 500`` runs.
    """
    problem = tasks_mod.make_task(task, depth=depth, dtype=dtype)
    opt = make_optimizer(optimizer, learning_rate)
    return fit(problem.loss_fn, problem.params, steps, opt, progress=progress)
