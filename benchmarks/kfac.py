"""K-FAC (kfac-jax, untuned) against SafeRate on the MLP tasks, full batch.

kfac-jax 0.0.8 breaks on jax >= 0.9.2, so K-FAC runs in its own environment, made here on
first use (``benchmarks/.kfac-venv``: jax/jaxlib 0.9.1, lineax 0.1.0, optimistix 0.1.0, optax
0.2.8, kfac-jax 0.0.8, the set measured in the project's library notes).  Each task's data
and initial weights are exported to a file and ``_kfac_worker.py`` trains on them there
(adaptive learning rate, momentum and damping, as kfac-jax's examples run it; the loss is
registered as squared error or softmax cross-entropy).  The worker's loss at the start must
equal the task's own (checked), so both sides train the same problem.  SafeRate and
SafeRate-Adam run here with ``mm.fit``, the same number of steps.

    .venv/bin/python benchmarks/kfac.py          # 200 steps; writes results/kfac.txt
    .venv/bin/python benchmarks/kfac.py --steps 50 --tasks "teacher d1"   # prints only
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)

import numpy as np  # noqa: E402

from autobound.apps import mm  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from optimizers import TASKS  # noqa: E402

HERE = Path(__file__).parent
VENV = HERE / ".kfac-venv"
PINS = [
    "jax==0.9.1",
    "jaxlib==0.9.1",
    "lineax==0.1.0",
    "optimistix==0.1.0",
    "optax==0.2.8",
    "kfac-jax==0.0.8",
]
#: The tasks whose model is a tanh MLP with a squared-error or cross-entropy loss.
MLP_TASKS = [
    "teacher d1",
    "teacher d2",
    "teacher d2 strong",
    "teacher d3",
    "logistic digits",
    "mlp digits",
]


def ensure_venv() -> Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *PINS], check=True)
    return python


def export(name: str, path: Path) -> tuple[float, dict]:
    """Write the task's data and weights for the worker; returns (initial loss, params)."""
    loss_fn, params = TASKS[name]("float64")
    # the data are the loss's closed-over arrays X and Y (tasks.py closes over them)
    cells = dict(
        zip(
            loss_fn.__code__.co_freevars,
            (c.cell_contents for c in loss_fn.__closure__),
            strict=True,
        )
    )
    X, Y = np.asarray(cells["X"]), np.asarray(cells["Y"])
    layers = params if isinstance(params, list) else [params]
    kind = "xent" if "digits" in name else "mse"
    arrays = {"X": X, "Y": Y if Y.ndim == 2 else Y[:, None], "kind": np.asarray(kind)}
    for i, layer in enumerate(layers):
        arrays[f"W{i}"], arrays[f"b{i}"] = np.asarray(layer["W"]), np.asarray(layer["b"])
    np.savez(path, **arrays)
    return float(loss_fn(params)), (loss_fn, params)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--tasks", nargs="*", default=None, help=f"from {MLP_TASKS}")
    args = ap.parse_args(argv)
    python = ensure_venv()
    names = args.tasks or MLP_TASKS
    lines = [
        "| task | start | K-FAC | safe-rate | safe-rate-adam | K-FAC steps that raised the "
        "loss | safe-rate steps that raised it | K-FAC ms/step | safe-rate ms/step |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name in names:
        with tempfile.TemporaryDirectory() as tmp:
            start, (loss_fn, params) = export(name, Path(tmp) / "task.npz")
            out = Path(tmp) / "out.json"
            subprocess.run(
                [str(python), str(HERE / "_kfac_worker.py"), str(Path(tmp) / "task.npz"),
                 str(args.steps), str(out)],
                check=True,
            )  # fmt: skip
            kfac = json.loads(out.read_text())
        if not np.isclose(kfac["losses"][0], start, rtol=1e-12):
            raise RuntimeError(f"{name}: the worker's loss {kfac['losses'][0]} is not {start}")
        runs = {
            k: mm.fit(loss_fn, params, args.steps, opt, progress=False)
            for k, opt in (("safe-rate", mm.safe_rate()), ("adam", mm.safe_rate(direction="adam")))
        }
        per_step = float(np.median(np.diff(runs["safe-rate"].times)))
        curves = (kfac["losses"], runs["safe-rate"].losses)
        rises = [int(np.sum(np.diff(np.asarray(c)) > 0)) for c in curves]
        lines.append(
            f"| {name} | {start:.3g} | {kfac['losses'][-1]:.3g} | "
            f"{float(runs['safe-rate'].losses[-1]):.3g} | {float(runs['adam'].losses[-1]):.3g} | "
            f"{rises[0]} | {rises[1]} | {kfac['seconds_per_step'] * 1e3:.2f} | "
            f"{per_step * 1e3:.2f} |"
        )
        print(lines[-1], file=sys.stderr, flush=True)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    cmd = "python benchmarks/kfac.py " + " ".join(argv if argv is not None else sys.argv[1:])
    text = "\n".join(
        [
            f"command: {cmd.strip()}",
            f"commit: {commit}; K-FAC in its own venv ({', '.join(PINS)}); {platform.machine()}, "
            f"float64, full batch, {args.steps} steps; final full-batch training loss",
            *lines,
        ]
    )
    print(text)
    if args.steps == 200 and args.tasks is None:
        (HERE / "results" / "kfac.txt").write_text(text + "\n")


if __name__ == "__main__":
    main()
