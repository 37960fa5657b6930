"""SafeRate (untuned) against tuned optax baselines and untuned learning-rate-free methods.

Per task (``autobound.apps.mm.tasks``), full batch, float64 unless ``--dtype float32``:

- **SafeRate**: ``mm.safe_rate()`` with its defaults (no tuning), run by ``mm.fit``;
  **SafeRate-Adam**: ``mm.safe_rate(direction="adam")``;
- **tuned baselines**: optax ``sgd`` (GD), ``sgd(momentum=0.9)``, ``sgd(momentum=0.9,
  nesterov=True)``, SGD whose momentum rises linearly from 0.5 to 0.99 over the run
  (``momentum-ramp``: ``optax.inject_hyperparams(optax.sgd)(learning_rate,
  momentum=optax.linear_schedule(0.5, 0.99, steps))``, a schedule being a callable
  hyperparameter), ``adam``, ``adagrad`` and ``rmsprop``, each run at every learning rate of
  the log grid ``10**k`` for k in -4, -3.5, ..., 1 (11 rates, so 77 tuning runs per task),
  the best final loss reported with its rate;
- **untuned learning-rate-free methods** from optax.contrib with their defaults: ``prodigy``,
  ``dog``, ``mechanize(sgd(1.0))``, ``cocob``, ``schedule_free_adamw`` (its loss read at
  ``schedule_free_eval_params``, the point its authors evaluate), ``dadapt_adamw``;
- **untuned line-search methods**: ``optax.lbfgs()`` (memory 10, zoom line search: one
  update may evaluate the loss several times) and optimistix's ``NonlinearCG`` (Polak-Ribière,
  backtracking Armijo; ``rtol = atol = 0`` so it never stops early), stepped by hand: one
  solver step is one evaluation of the loss (with its gradient when the search accepts the
  point), and the loss after N steps is the loss at the last accepted point.

Reported: the final loss after N steps for each method (lower is better; "nan" marks a
diverged run), the loss each method reaches within the wall time SafeRate took for its N
steps, win counts, and SafeRate's per-step cost in gradient-step equivalents (the time of one
jitted SafeRate step, value_and_grad included, over the time of one jitted ``value_and_grad``),
with its compile time.  The tuned baselines run all their learning rates at once (``vmap``
over the rate, ``lax.scan`` over the steps).

**Loss after a fixed wall time.**  The budget T is the wall time of SafeRate's N steps as
``mm.fit`` records it (a Python loop over a jitted step, waiting for each loss; compile time
excluded).  Each baseline's time per step t is the median of three means over N steps of the
same kind of loop (a jitted step called from Python and waited for, without ``mm.fit``'s
bookkeeping, which favours the baselines slightly), at its best learning rate after N steps;
it then gets K = floor(T / t) steps (at most 100 N), and its loss after K steps is computed by
the scan (a tuned method re-tuned at K steps over its best N-step rate and that rate's two grid
neighbours, half a decade either side).  SafeRate-Adam gets the loss at its last step
finished within T (at most its N steps).  The times come from a machine shared with other
jobs and vary between runs; the losses of a given K are deterministic.

    .venv/bin/python benchmarks/optimizers.py            # N = 200 steps, all tasks
    .venv/bin/python benchmarks/optimizers.py --quick    # N = 50, four small tasks
    .venv/bin/python benchmarks/optimizers.py --quick --plots   # + docs/images/*.png
    .venv/bin/python benchmarks/optimizers.py --combination --tasks "teacher d1"  # + SafeComb.

Writes ``benchmarks/results/optimizers.txt`` (``optimizers_quick.txt`` with ``--quick``);
with ``--plots``, ``docs/images/optimizers_<task>.png``: loss against step and against wall
time for SafeRate, SafeRate-Adam and the best method of each baseline family (tuned,
learning-rate-free, line search).
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
import optimistix as optx  # noqa: E402

from autobound.apps import mm  # noqa: E402
from autobound.apps.mm import tasks  # noqa: E402

RATES = 10.0 ** np.arange(-4.0, 1.01, 0.5)
MAX_BUDGET_FACTOR = 100  # at most 100 N steps for a baseline within SafeRate's wall time
MM = {
    "safe-rate": lambda: mm.safe_rate(),
    "safe-rate-adam": lambda: mm.safe_rate(direction="adam"),
}


def momentum_ramp(learning_rate: Any, steps: int) -> optax.GradientTransformation:
    """SGD whose momentum rises linearly from 0.5 to 0.99 over `steps` updates."""
    ramp = optax.linear_schedule(0.5, 0.99, transition_steps=max(steps, 1))
    return optax.inject_hyperparams(optax.sgd)(learning_rate=learning_rate, momentum=ramp)


#: name -> ``make(learning_rate, steps)`` (`steps`: the length of the run).
TUNED: dict[str, Callable[[Any, int], optax.GradientTransformation]] = {
    "gd": lambda lr, steps: optax.sgd(lr),
    "momentum": lambda lr, steps: optax.sgd(lr, momentum=0.9),
    "nesterov": lambda lr, steps: optax.sgd(lr, momentum=0.9, nesterov=True),
    "momentum-ramp": momentum_ramp,
    "adam": lambda lr, steps: optax.adam(lr),
    "adagrad": lambda lr, steps: optax.adagrad(lr),
    "rmsprop": lambda lr, steps: optax.rmsprop(lr),
}
LR_FREE = {
    "prodigy": lambda: optax.contrib.prodigy(),
    "dog": lambda: optax.contrib.dog(),
    "mechanic": lambda: optax.contrib.mechanize(optax.sgd(1.0)),
    "cocob": lambda: optax.contrib.cocob(),
    "sched-free": lambda: optax.contrib.schedule_free_adamw(),
    "dadapt-adamw": lambda: optax.contrib.dadapt_adamw(),
}
LINE_SEARCH = ["l-bfgs", "ncg"]
FAMILIES = {"tuned": list(TUNED), "LR-free": list(LR_FREE), "line search": LINE_SEARCH}

TASKS = {
    "teacher d1": lambda dt: tasks.teacher_mlp(depth=1, dtype=dt),
    "teacher d2": lambda dt: tasks.teacher_mlp(depth=2, dtype=dt),
    "teacher d2 strong": lambda dt: tasks.teacher_mlp(depth=2, gain=3.0, dtype=dt),
    "teacher d3": lambda dt: tasks.teacher_mlp(depth=3, dtype=dt),
    "logistic digits": lambda dt: tasks.logistic_digits(dtype=dt),
    "mlp digits": lambda dt: tasks.mlp_digits(dtype=dt),
    "cnn digits": lambda dt: tasks.cnn_digits(dtype=dt),
    "oscillator": lambda dt: tasks.oscillator(dtype=dt),
}
QUICK_TASKS = ["teacher d1", "logistic digits", "cnn digits", "oscillator"]

#: ``(init(params) -> state, step(params, state) -> (params, state, loss))``: one method's
#: update, with the loss at the params it was given (computed by the step anyway).
Method = tuple[Callable[[Any], Any], Callable[[Any, Any], tuple[Any, Any, Any]]]


def _final(loss_fn, params) -> float:
    v = float(loss_fn(params))
    return v if np.isfinite(v) else float("nan")


def optax_method(loss_fn: Callable, opt: optax.GradientTransformation) -> Method:
    """One full-batch update of `opt`, given ``value``, ``grad`` and ``value_fn``."""
    opt = optax.with_extra_args_support(opt)

    def step(p, s):
        value, grad = jax.value_and_grad(loss_fn)(p)
        u, s = opt.update(grad, s, p, value=value, grad=grad, value_fn=loss_fn)
        return optax.apply_updates(p, u), s, value

    return opt.init, step


def ncg_method(loss_fn: Callable, params: Any) -> Method:
    """One step of optimistix's NonlinearCG (its default direction rule and line search).

    ``rtol = atol = 0``: the run is as long as it is asked to be.  A step evaluates the loss
    at the search's trial point; the params it returns are the last accepted point.  The loss
    it reports is the one the state holds for the given params (not set before the first
    step: :func:`trajectory` computes the initial loss itself).
    """
    solver = optx.NonlinearCG(rtol=0.0, atol=0.0)
    leaf = jax.tree.leaves(params)[0]
    f_struct = jax.ShapeDtypeStruct((), leaf.dtype)

    def fn(y, args):
        return loss_fn(y), None

    def init(p):
        return solver.init(fn, p, None, {}, f_struct, None, frozenset())

    def step(p, s):
        value = s.f_info.f
        p, s, _ = solver.step(fn, p, None, {}, s, frozenset())
        return p, s, value

    return init, step


def trajectory(loss_fn, method: Method, steps: int, read=None) -> Callable[[Any], jax.Array]:
    """``run(params)``: the losses after 0, 1, ..., `steps` updates (one lax.scan, to jit).

    The losses are the ones the steps compute at their input, and the final one; with
    `read(params, state)` the loss is evaluated after each step at that point instead
    (schedule-free's evaluation point)."""
    init, step = method

    def body(carry, _):
        p, s, value = step(*carry)
        return (p, s), (loss_fn(read(p, s)) if read else value)

    def run(p0):
        (p, s), losses = jax.lax.scan(body, (p0, init(p0)), None, length=steps)
        if read:
            return jnp.concatenate([loss_fn(p0)[None], losses])
        return jnp.concatenate([loss_fn(p0)[None], losses[1:], loss_fn(p)[None]])

    return run


def _clean(losses) -> np.ndarray:
    losses = np.asarray(losses, np.float64)
    return np.where(np.isfinite(losses), losses, np.nan)


def tuned(loss_fn, params, make, steps, rates=RATES) -> tuple[float, float, np.ndarray]:
    """Best final loss over `rates`, its rate and its loss curve (one program: vmap over the
    rate).  `make(learning_rate, steps)` builds the optimizer."""
    inject = optax.inject_hyperparams(lambda learning_rate: make(learning_rate, steps))

    def one(rate):
        method = optax_method(loss_fn, inject(learning_rate=rate))
        return trajectory(loss_fn, method, steps)(params)

    curves = _clean(jax.jit(jax.vmap(one))(jnp.asarray(rates, jax.tree.leaves(params)[0].dtype)))
    if np.all(np.isnan(curves[:, -1])):
        return float("nan"), float("nan"), curves[0]
    i = int(np.nanargmin(curves[:, -1]))
    return float(curves[i, -1]), float(rates[i]), curves[i]


def neighbours(rate: float) -> np.ndarray:
    """`rate` and its neighbours on the grid RATES (half a decade either side)."""
    i = int(np.argmin(np.abs(np.log10(RATES) - np.log10(rate))))
    return RATES[max(i - 1, 0) : i + 2]


def seconds_per_step(method: Method, params, steps: int, repeats: int = 3) -> float:
    """Wall time of one jitted step called from Python and waited for: the median over
    `repeats` loops of the mean over `steps` steps, run on from `params` (after two steps
    that compile: the state's types after the first step may differ from ``init``'s)."""
    init, step = method
    step = jax.jit(step)
    carry = (params, init(params))
    for _ in range(2):
        carry = jax.block_until_ready(step(*carry)[:2])
    means = []
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(steps):
            carry = jax.block_until_ready(step(*carry)[:2])
        means.append((time.perf_counter() - t) / steps)
    return float(np.median(means))


def _median_time(fn, *args, repeats=15) -> float:
    jax.block_until_ready(fn(*args))
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        jax.block_until_ready(fn(*args))
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def mm_cost(loss_fn, params, opt) -> float:
    """Time of one jitted MM step over one jitted value_and_grad (medians)."""
    init, step = optax_method(loss_fn, opt)
    vg = jax.jit(jax.value_and_grad(loss_fn))
    return _median_time(jax.jit(step), params, init(params)) / _median_time(vg, params)


def _budget_steps(budget: float, per_step: float, steps: int) -> int:
    """Steps that fit in `budget` seconds at `per_step` seconds each (at most 100 N)."""
    return int(min(budget // per_step, MAX_BUDGET_FACTOR * steps))


def _run_mm(row, loss_fn, params, steps, variants) -> None:
    """MM methods by mm.fit: final loss, curve, times, refused steps, cost."""
    for k, make in variants.items():
        h = mm.fit(loss_fn, params, steps, make(), progress=False)
        row[k] = float(h.losses[-1])
        row["curves"][k] = _clean(h.losses)
        row["times"][k] = np.concatenate([[0.0], h.times])
        row[k + "_compile"] = h.compile_time
        sizes = h.step_sizes.reshape(steps, -1)
        row[k + "_refused"] = int(np.sum(np.all(sizes == 0, axis=1)))
        row[k + "_increase"] = float(np.max(np.diff(h.losses)))
        row[k + "_gse"] = mm_cost(loss_fn, params, make())
    row["nearest_gse"] = mm_cost(loss_fn, params, mm.safe_rate(rounding="nearest"))
    row["budget"] = budget = row["times"]["safe-rate"][-1]
    for k in variants:
        done = int(np.searchsorted(row["times"][k], budget, side="right")) - 1
        row[k + "_T"], row[k + "_K"] = float(row["curves"][k][done]), done


def _run_tuned(row, loss_fn, params, steps) -> None:
    """Tuned baselines: best loss after N steps, then within SafeRate's wall time."""
    for k, make in TUNED.items():
        row[k], row[k + "_lr"], row["curves"][k] = tuned(loss_fn, params, make, steps)
        rate = row[k + "_lr"] if np.isfinite(row[k + "_lr"]) else 1e-3
        per_step = seconds_per_step(optax_method(loss_fn, make(rate, steps)), params, steps)
        budget = _budget_steps(row["budget"], per_step, steps)
        if budget <= steps:
            row[k + "_T"], row[k + "_lrT"] = row["curves"][k][budget], row[k + "_lr"]
            curve = row["curves"][k][: budget + 1]
        else:
            near = neighbours(rate)
            row[k + "_T"], row[k + "_lrT"], curve = tuned(loss_fn, params, make, budget, near)
        row[k + "_K"] = budget
        row["times"][k] = per_step * np.arange(len(curve))
        row["budget_curves"][k] = curve


def _run_untuned(row, loss_fn, params, steps) -> None:
    """LR-free and line-search baselines, run once: after N steps and within the budget."""
    methods = {k: optax_method(loss_fn, make()) for k, make in LR_FREE.items()}
    methods["l-bfgs"] = optax_method(loss_fn, optax.lbfgs())
    methods["ncg"] = ncg_method(loss_fn, params)
    for k, method in methods.items():
        read = None
        if k == "sched-free":
            read = lambda p, s: optax.contrib.schedule_free_eval_params(s, p)  # noqa: E731
        per_step = seconds_per_step(method, params, steps)
        budget = _budget_steps(row["budget"], per_step, steps)
        curve = _clean(jax.jit(trajectory(loss_fn, method, max(steps, budget), read))(params))
        row[k], row["curves"][k] = float(curve[steps]), curve[: steps + 1]
        row[k + "_T"], row[k + "_K"] = float(curve[budget]), budget
        row["times"][k] = per_step * np.arange(budget + 1)
        row["budget_curves"][k] = curve[: budget + 1]


def run_task(name, dt, steps, combination=False) -> dict:
    """All methods on one task: losses after N steps, within SafeRate's time, curves."""
    loss_fn, params = TASKS[name](dt)
    row = {"task": name, "start": _final(loss_fn, params), "curves": {}, "times": {}}
    row["budget_curves"] = {}
    variants = dict(MM)
    if combination:
        variants["safe-comb"] = lambda: mm.safe_combination()
    _run_mm(row, loss_fn, params, steps, variants)
    for k in variants:
        row["budget_curves"][k] = row["curves"][k][: row[k + "_K"] + 1]
    _run_tuned(row, loss_fn, params, steps)
    _run_untuned(row, loss_fn, params, steps)
    return row


def _fmt(v: float) -> str:
    return "nan" if not np.isfinite(v) else f"{v:.2e}"


def _lower(a: float, b: float) -> bool:
    """a beats b: a finite and lower, or b diverged."""
    return bool(np.isfinite(a) and (not np.isfinite(b) or a < b))


def _methods(rows) -> tuple[list[str], list[str]]:
    """The MM columns present in `rows` and the baseline columns."""
    mms = [k for k in (*MM, "safe-comb") if k in rows[0]]
    return mms, [*TUNED, *LR_FREE, *LINE_SEARCH]


def _wins(rows, mms, baselines, key: str = "") -> list[str]:
    """Win-count table: tasks where each MM method's loss (``m + key``) is lower."""
    lines = [
        "| method | " + " | ".join(baselines) + " | all LR-free | all baselines |",
        "|" + "---|" * (len(baselines) + 3),
    ]
    for m in mms:
        wins = [sum(_lower(r[m + key], r[b + key]) for r in rows) for b in baselines]
        free = sum(all(_lower(r[m + key], r[b + key]) for b in LR_FREE) for r in rows)
        every = sum(all(_lower(r[m + key], r[b + key]) for b in baselines) for r in rows)
        lines.append(f"| {m} | " + " | ".join(map(str, wins)) + f" | {free} | {every} |")
    return lines


def _loss_table(rows, mms, baselines) -> list[str]:
    """Loss after N steps per task and method (tuned: with the best rate)."""
    head = ["task", "start", *mms, *baselines]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r["task"], _fmt(r["start"])]
        for m in [*mms, *baselines]:
            cell = _fmt(r[m])
            if m in TUNED and np.isfinite(r[m]):
                cell += f" (lr {r[m + '_lr']:.0e})"
            cells.append(cell)
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _time_table(rows, mms, baselines) -> list[str]:
    """Loss within SafeRate's wall time per task and method, with the steps K it allowed."""
    head = ["task", "T s", *mms, *baselines]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r["task"], f"{r['budget']:.2f}"]
        for m in [*mms, *baselines]:
            cell = f"{_fmt(r[m + '_T'])} ({r[m + '_K']}"
            if m in TUNED and np.isfinite(r[m + "_lrT"]):
                cell += f", lr {r[m + '_lrT']:.0e}"
            cells.append(cell + ")")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _cost_lines(rows, mms) -> list[str]:
    """Per-step cost of the MM methods in gradient-step equivalents, and compile times."""
    lines = [
        "| task | "
        + " | ".join(f"{m} GSE | {m} compile s" for m in mms)
        + " | safe-rate nearest-rounding GSE |",
        "|" + "---|" * (2 + 2 * len(mms)),
    ]
    for r in rows:
        cells = [r["task"]]
        for m in mms:
            cells += [f"{r[m + '_gse']:.0f}", f"{r[m + '_compile']:.1f}"]
        cells.append(f"{r['nearest_gse']:.1f}")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def table(rows, steps, dt) -> str:
    """The result file's text: losses after N steps, within SafeRate's time, costs, wins."""
    mms, baselines = _methods(rows)
    lines = [
        f"final full-batch training loss after {steps} steps ({dt}); tuned: best of "
        f"{len(RATES)} learning rates 10^-4..10^1 (half-decade grid), "
        f"{len(RATES) * len(TUNED)} tuning runs per task; LR-free, line-search (l-bfgs: "
        f"optax, zoom line search; ncg: optimistix NonlinearCG, one loss evaluation per "
        f"step) and MM methods untuned",
        "",
        *_loss_table(rows, mms, baselines),
        "",
        f"loss within the wall time T that safe-rate took for its {steps} steps (mm.fit's "
        "loop, compile excluded), with the steps K that fit in T: baselines K = floor(T / t), "
        "t the time of one jitted step called from Python and waited for (median of 3 "
        f"means over {steps} steps, at the best {steps}-step rate; at most "
        f"{MAX_BUDGET_FACTOR} N), the loss after K steps computed by the scan, tuned methods "
        "re-tuned at K steps over their best N-step rate and its two grid neighbours; "
        "MM methods: the loss at their last step finished within T (no more than their "
        f"{steps}); times on a shared machine, noisy:",
        "",
        *_time_table(rows, mms, baselines),
        "",
        "per-step cost in gradient-step equivalents (one jitted MM step, value_and_grad "
        "included, over one jitted value_and_grad; medians of 15) and compile time of the "
        "jitted step:",
        "",
        *_cost_lines(rows, mms),
        "",
        f"tasks (of {len(rows)}) where the MM method reaches a lower loss after {steps} steps:",
        "",
        *_wins(rows, mms, baselines),
        "",
        f"tasks (of {len(rows)}) where the MM method reaches a lower loss within safe-rate's "
        "wall time:",
        "",
        *_wins(rows, mms, baselines, "_T"),
        "",
    ]
    for m in mms:
        incr = max(r[m + "_increase"] for r in rows)
        refused = ", ".join(f"{r['task']} {r[m + '_refused']}" for r in rows)
        lines.append(
            f"{m}: largest loss increase between steps {incr:.3g} (<= 0: none); "
            f"refused (zero) steps: {refused}"
        )
    return "\n".join(lines)


def _best(row, names, key: str) -> str | None:
    """The method of `names` with the lowest finite ``row[name + key]``, or None."""
    finite = [n for n in names if np.isfinite(row[n + key])]
    return min(finite, key=lambda n: row[n + key]) if finite else None


def _label(row, name: str, family: str, rate_key: str) -> str:
    rate = row.get(name + rate_key, float("nan")) if name in TUNED else float("nan")
    return f"{name} ({family}" + (f", lr {rate:.0e})" if np.isfinite(rate) else ")")


def plot_task(row, steps: int, dt: str, path: Path) -> None:
    """Loss against step (N steps) and against wall time (SafeRate's T) for the MM methods
    and the best method of each baseline family, as a PNG at `path`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    mms, _ = _methods([row])
    fig, (by_step, by_time) = plt.subplots(1, 2, figsize=(12, 4.5))
    for ax, key, rate_key in ((by_step, "", "_lr"), (by_time, "_T", "_lrT")):
        shown = [(m, m) for m in mms]
        for family, names in FAMILIES.items():
            best = _best(row, names, key)
            if best is not None:
                shown.append((best, _label(row, best, family, rate_key)))
        for name, label in shown:
            curve = row["curves" if ax is by_step else "budget_curves"][name]
            x = np.arange(len(curve)) if ax is by_step else row["times"][name][: len(curve)]
            style = "-" if name in mms else "--"
            ax.semilogy(x, curve, style, label=label, linewidth=1.5)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
        ax.set_ylabel("full-batch training loss")
    by_step.set_xlabel("step")
    by_step.set_title(f"{row['task']}: loss vs step ({steps} steps, {dt})")
    by_time.set_xlabel("wall time, s (baselines: step x measured time per step)")
    by_time.set_title(f"within safe-rate's wall time T = {row['budget']:.2f} s")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def gse_pair(loss_fn, params) -> tuple[float, float]:
    """One SafeRate step's cost in gradient-step equivalents, outward and nearest rounding."""
    out = mm_cost(loss_fn, params, mm.safe_rate())
    return out, mm_cost(loss_fn, params, mm.safe_rate(rounding="nearest"))


def cost_table(names, dt) -> str:
    """Gradient-step equivalents of one SafeRate step (outward and nearest rounding),
    measured side by side per task."""
    lines = ["| task | outward GSE | nearest GSE |", "|---|---|---|"]
    for name in names:
        out, near = gse_pair(*TASKS[name](dt))
        lines.append(f"| {name} | {out:.0f} | {near:.1f} |")
        print(lines[-1], file=sys.stderr, flush=True)
    return "\n".join(lines)


#: Teacher MLPs of growing size for ``--cost-scale``: (width, inputs); one hidden tanh layer,
#: 256 points, P = (inputs + 2) * width + 1 parameters: about 10^3, 10^4 and 10^5.
SCALES = ((32, 30), (64, 150), (128, 780))


def cost_scale_table(dt) -> str:
    """Gradient-step equivalents of one SafeRate step (outward and nearest rounding) on
    teacher MLPs of 10^3 to 10^5 parameters, where the loss itself costs more than the
    program's fixed overheads."""
    lines = [
        "| parameters | value_and_grad ms | outward GSE | nearest GSE |",
        "|---|---|---|---|",
    ]
    for width, inputs in SCALES:
        task = tasks.teacher_mlp(1, width=width, inputs=inputs, samples=256, dtype=dt)
        size = sum(a.size for a in jax.tree.leaves(task.params))
        vg = _median_time(jax.jit(jax.value_and_grad(task.loss_fn)), task.params)
        out, near = gse_pair(task.loss_fn, task.params)
        lines.append(f"| {size} | {vg * 1e3:.3f} | {out:.1f} | {near:.1f} |")
        print(lines[-1], file=sys.stderr, flush=True)
    return "\n".join(lines)


def float32_bounds_table(names, steps) -> str:
    """The MM methods on float32 params, their loss bounded in float32 (the default) and in
    float64 (``dtype="float64"``), next to float64 params: final loss and refused steps."""
    lines = [
        "| task | method | float32 bound: loss / refused | float64 bound: loss / refused | "
        "float64 params: loss / refused |",
        "|---|---|---|---|---|",
    ]
    for name in names:
        for method, direction in (("safe-rate", None), ("safe-rate-adam", "adam")):
            cells = []
            for dt, bound in (("float32", None), ("float32", "float64"), ("float64", None)):
                task = TASKS[name](dt)
                opt = mm.safe_rate(direction=direction, dtype=bound, warn=False)
                h = mm.fit(task.loss_fn, task.params, steps, opt, progress=False)
                refused = int(np.sum(np.asarray(h.step_sizes) == 0))
                cells.append(f"{float(h.losses[-1]):.3g} / {refused}")
            lines.append(f"| {name} | {method} | " + " | ".join(cells) + " |")
            print(lines[-1], file=sys.stderr, flush=True)
    return "\n".join(lines)


def _slug(name: str) -> str:
    return name.replace(" ", "_")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="50 steps, four small tasks")
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    ap.add_argument("--tasks", nargs="*", default=None, help=f"from {list(TASKS)}")
    ap.add_argument(
        "--combination", action="store_true", help="also mm.safe_combination (groups='layer')"
    )
    ap.add_argument(
        "--plots",
        action="store_true",
        help="write docs/images/optimizers_<task>.png (loss vs step and vs wall time)",
    )
    ap.add_argument(
        "--cost",
        action="store_true",
        help="only the cost of one SafeRate step (outward and nearest)",
    )
    ap.add_argument(
        "--cost-scale",
        action="store_true",
        help="only the cost of one SafeRate step on teacher MLPs of 10^3-10^5 parameters",
    )
    ap.add_argument(
        "--float32-bounds",
        action="store_true",
        help="only the MM methods on float32 params, bounded in float32 and in float64",
    )
    args = ap.parse_args(argv)
    steps = args.steps or (50 if args.quick else 200)
    if args.cost_scale:
        print(cost_scale_table(args.dtype))
        return
    names = args.tasks or (QUICK_TASKS if args.quick else list(TASKS))
    if args.cost:
        print(cost_table(names, args.dtype))
        return
    if args.float32_bounds:
        print(float32_bounds_table(names, steps))
        return
    rows = []
    for name in names:
        t = time.perf_counter()
        rows.append(run_task(name, args.dtype, steps, args.combination))
        if args.plots:
            images = Path(__file__).parent.parent / "docs" / "images"
            plot_task(rows[-1], steps, args.dtype, images / f"optimizers_{_slug(name)}.png")
        print(f"{name}: {time.perf_counter() - t:.0f} s", file=sys.stderr, flush=True)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    cmd = "python benchmarks/optimizers.py " + " ".join(argv if argv is not None else sys.argv[1:])
    header = (
        f"command: {cmd.strip()}\ncommit: {commit}; jax {jax.__version__}, optax "
        f"{optax.__version__}, optimistix {optx.__version__}; "
        f"{platform.processor() or platform.machine()}, "
        f"{len(jax.devices())} CPU device(s), machine of 2 cores shared with other jobs\n"
    )
    out = header + table(rows, steps, args.dtype)
    print(out)
    suffix = "_quick" if args.quick else ""
    suffix += "_float32" if args.dtype == "float32" else ""
    suffix += "_combination" if args.combination else ""
    path = Path(__file__).parent / "results" / f"optimizers{suffix}.txt"
    path.write_text(out + "\n")


if __name__ == "__main__":
    main()
