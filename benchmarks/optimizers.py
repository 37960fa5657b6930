"""SafeRate (untuned) against tuned optax baselines and untuned learning-rate-free methods.

Per task (``autobound.apps.mm.tasks``), full batch, float64 unless ``--dtype float32``:

- **SafeRate**: ``mm.safe_rate()`` with its defaults (no tuning), run by ``mm.fit``;
- **tuned baselines**: optax ``sgd`` (GD), ``adam`` and ``adagrad``, each run at every
  learning rate of the log grid ``10**k`` for k in -4, -3.5, ..., 1 (11 rates, so 33 tuning
  runs per task), the best final loss reported with its rate;
- **untuned learning-rate-free methods** from optax.contrib with their defaults: ``prodigy``,
  ``dog``, ``mechanize(sgd(1.0))``, ``cocob``, ``schedule_free_adamw`` (its loss read at
  ``schedule_free_eval_params``, the point its authors evaluate).

Reported: the final loss after N steps for each method (lower is better; "nan" marks a
diverged run), SafeRate's rank among all methods, and SafeRate's per-step cost in
gradient-step equivalents (the time of one jitted SafeRate step, value_and_grad included,
over the time of one jitted ``value_and_grad``), with its compile time.  The baselines run
all their learning rates at once (``vmap`` over the rate, ``lax.scan`` over the steps).

    .venv/bin/python benchmarks/optimizers.py            # N = 200 steps, all tasks
    .venv/bin/python benchmarks/optimizers.py --quick    # N = 50, three small tasks
    .venv/bin/python benchmarks/optimizers.py --combination --tasks "teacher d1"  # + SafeComb.

Writes ``benchmarks/results/optimizers.txt`` (``optimizers_quick.txt`` with ``--quick``).
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import time
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

from autobound.apps import mm  # noqa: E402
from autobound.apps.mm import tasks  # noqa: E402

RATES = 10.0 ** np.arange(-4.0, 1.01, 0.5)
MM = {
    "safe-rate": lambda: mm.safe_rate(),
    "safe-rate-adam": lambda: mm.safe_rate(direction="adam"),
}
TUNED = {"gd": optax.sgd, "adam": optax.adam, "adagrad": optax.adagrad}
LR_FREE = {
    "prodigy": lambda: optax.contrib.prodigy(),
    "dog": lambda: optax.contrib.dog(),
    "mechanic": lambda: optax.contrib.mechanize(optax.sgd(1.0)),
    "cocob": lambda: optax.contrib.cocob(),
    "sched-free": lambda: optax.contrib.schedule_free_adamw(),
}

TASKS = {
    "teacher d1": lambda dt: tasks.teacher_mlp(depth=1, dtype=dt),
    "teacher d2": lambda dt: tasks.teacher_mlp(depth=2, dtype=dt),
    "teacher d2 strong": lambda dt: tasks.teacher_mlp(depth=2, gain=3.0, dtype=dt),
    "teacher d3": lambda dt: tasks.teacher_mlp(depth=3, dtype=dt),
    "logistic digits": lambda dt: tasks.logistic_digits(dtype=dt),
    "mlp digits": lambda dt: tasks.mlp_digits(dtype=dt),
    "oscillator": lambda dt: tasks.oscillator(dtype=dt),
}
QUICK_TASKS = ["teacher d1", "logistic digits", "oscillator"]


def _final(loss_fn, params) -> float:
    v = float(loss_fn(params))
    return v if np.isfinite(v) else float("nan")


def _scan_run(loss_fn, params, opt, steps, eval_params=None):
    """Final loss of `steps` full-batch updates of `opt` (one compiled lax.scan)."""
    opt = optax.with_extra_args_support(opt)

    def body(carry, _):
        p, s = carry
        value, grad = jax.value_and_grad(loss_fn)(p)
        u, s = opt.update(grad, s, p, value=value, grad=grad, value_fn=loss_fn)
        return (optax.apply_updates(p, u), s), None

    @jax.jit
    def run(p):
        (p, s), _ = jax.lax.scan(body, (p, opt.init(p)), None, length=steps)
        return loss_fn(eval_params(s, p) if eval_params else p)

    return run(params)


def tuned(loss_fn, params, make, steps):
    """Final losses over RATES (one program: vmap over the rate)."""
    inject = optax.inject_hyperparams(make)

    def one(rate):
        return _scan_run(loss_fn, params, inject(learning_rate=rate), steps)

    rates = jnp.asarray(RATES, jax.tree.leaves(params)[0].dtype)
    losses = np.asarray(jax.jit(jax.vmap(one))(rates), np.float64)
    losses = np.where(np.isfinite(losses), losses, np.nan)
    if np.all(np.isnan(losses)):
        return float("nan"), float("nan")
    i = int(np.nanargmin(losses))
    return float(losses[i]), float(RATES[i])


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

    def step(p, s):
        value, grad = jax.value_and_grad(loss_fn)(p)
        u, s = opt.update(grad, s, p, value=value, grad=grad, value_fn=loss_fn)
        return optax.apply_updates(p, u), s

    step = jax.jit(step)

    vg = jax.jit(jax.value_and_grad(loss_fn))
    return _median_time(step, params, opt.init(params)) / _median_time(vg, params)


def run_task(name, dt, steps, combination=False):
    loss_fn, params = TASKS[name](dt)
    row = {"task": name, "start": _final(loss_fn, params)}
    variants = dict(MM)
    if combination:
        variants["safe-comb"] = lambda: mm.safe_combination()
    for k, make in variants.items():
        h = mm.fit(loss_fn, params, steps, make(), progress=False)
        row[k] = float(h.losses[-1])
        row[k + "_compile"] = h.compile_time
        sizes = h.step_sizes.reshape(steps, -1)
        row[k + "_refused"] = int(np.sum(np.all(sizes == 0, axis=1)))
        row[k + "_increase"] = float(np.max(np.diff(h.losses)))
        row[k + "_gse"] = mm_cost(loss_fn, params, make())
    row["nearest_gse"] = mm_cost(loss_fn, params, mm.safe_rate(rounding="nearest"), "nearest")
    for k, make in TUNED.items():
        row[k], row[k + "_lr"] = tuned(loss_fn, params, make, steps)
    for k, make in LR_FREE.items():
        ev = optax.contrib.schedule_free_eval_params if k == "sched-free" else None
        row[k] = float(_scan_run(loss_fn, params, make(), steps, ev))
        if not np.isfinite(row[k]):
            row[k] = float("nan")
    return row


def _fmt(v: float) -> str:
    return "nan" if not np.isfinite(v) else f"{v:.2e}"


def _lower(a: float, b: float) -> bool:
    """a beats b: a finite and lower, or b diverged."""
    return bool(np.isfinite(a) and (not np.isfinite(b) or a < b))


def table(rows, steps, dt) -> str:
    mms = [k for k in (*MM, "safe-comb") if k in rows[0]]
    baselines = [*TUNED, *LR_FREE]
    head = ["task", "start", *mms, *baselines]
    lines = [
        f"final full-batch training loss after {steps} steps ({dt}); tuned: best of "
        f"{len(RATES)} learning rates 10^-4..10^1 (half-decade grid), "
        f"{len(RATES) * len(TUNED)} tuning runs per task; LR-free methods and MM untuned",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for r in rows:
        cells = [r["task"], _fmt(r["start"])]
        for m in [*mms, *baselines]:
            cell = _fmt(r[m])
            if m in TUNED and np.isfinite(r[m]):
                cell += f" (lr {r[m + '_lr']:.0e})"
            cells.append(cell)
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "per-step cost in gradient-step equivalents (one jitted MM step, value_and_grad "
        "included, over one jitted value_and_grad; medians of 15) and compile time of the "
        "jitted step:",
        "",
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
    lines += ["", f"tasks (of {len(rows)}) where the MM method reaches a lower loss:", ""]
    lines.append("| method | " + " | ".join(baselines) + " | all LR-free |")
    lines.append("|" + "---|" * (len(baselines) + 2))
    for m in mms:
        wins = [sum(_lower(r[m], r[b]) for r in rows) for b in baselines]
        every = sum(all(_lower(r[m], r[b]) for b in LR_FREE) for r in rows)
        lines.append(f"| {m} | " + " | ".join(map(str, wins)) + f" | {every} |")
    lines.append("")
    for m in mms:
        incr = max(r[m + "_increase"] for r in rows)
        refused = ", ".join(f"{r['task']} {r[m + '_refused']}" for r in rows)
        lines.append(
            f"{m}: largest loss increase between steps {incr:.3g} (<= 0: none); "
            f"refused (zero) steps: {refused}"
        )
    return "\n".join(lines)


def cost_table(names, dt) -> str:
    """Gradient-step equivalents of one SafeRate step (outward and nearest rounding),
    measured side by side per task."""
    lines = ["| task | outward GSE | nearest GSE |", "|---|---|---|"]
    for name in names:
        loss_fn, params = TASKS[name](dt)
        out = mm_cost(loss_fn, params, mm.safe_rate())
        near = mm_cost(loss_fn, params, mm.safe_rate(rounding="nearest"))
        lines.append(f"| {name} | {out:.0f} | {near:.1f} |")
        print(lines[-1], file=sys.stderr, flush=True)
    return "\n".join(lines)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="50 steps, three small tasks")
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    ap.add_argument("--tasks", nargs="*", default=None, help=f"from {list(TASKS)}")
    ap.add_argument(
        "--combination", action="store_true", help="also mm.safe_combination (groups='layer')"
    )
    ap.add_argument(
        "--cost",
        action="store_true",
        help="only the cost of one SafeRate step (outward and nearest)",
    )
    args = ap.parse_args(argv)
    steps = args.steps or (50 if args.quick else 200)
    names = args.tasks or (QUICK_TASKS if args.quick else list(TASKS))
    if args.cost:
        print(cost_table(names, args.dtype))
        return
    rows = []
    for name in names:
        t = time.perf_counter()
        rows.append(run_task(name, args.dtype, steps, args.combination))
        print(f"{name}: {time.perf_counter() - t:.0f} s", file=sys.stderr, flush=True)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    cmd = "python benchmarks/optimizers.py " + " ".join(argv if argv is not None else sys.argv[1:])
    header = (
        f"command: {cmd.strip()}\ncommit: {commit}; jax {jax.__version__}, optax "
        f"{optax.__version__}; {platform.processor() or platform.machine()}, "
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
