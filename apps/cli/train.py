"""``autobound train``: train a small network with an MM optimizer (or a baseline)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ._common import BadInput, guarded, text, writable_file

HELP = """Train one of the built-in tasks full batch with a hyperparameter-free MM optimizer \
(safe-rate: every step provably does not increase the loss) or a baseline.

Tasks: teacher-mlp (--depth 1..5), logistic-digits, mlp-digits, cnn-digits, oscillator (see \
autobound.apps.mm.tasks). Optimizers: safe-rate, safe-rate-adam, safe-combination, and the \
optax baselines (gd, adam, adagrad, ..., with --learning-rate).

[bold]Example[/bold]

  autobound train --task teacher-mlp --depth 3 --optimizer safe-rate --steps 500 \
--plot curves.png"""


def train(
    task: Annotated[str, typer.Option("--task", help="The task.")] = "teacher-mlp",
    depth: Annotated[
        int | None, typer.Option("--depth", help="Hidden layers (teacher-mlp).")
    ] = None,
    optimizer: Annotated[str, typer.Option("--optimizer", help="The optimizer.")] = "safe-rate",
    steps: Annotated[int, typer.Option("--steps", min=1, help="Full-batch steps.")] = 100,
    learning_rate: Annotated[
        float | None, typer.Option("--learning-rate", help="For the baselines only.")
    ] = None,
    dtype: Annotated[str, typer.Option("--dtype", help="float32 or float64.")] = "float64",
    plot: Annotated[Path | None, typer.Option("--plot", help="Loss curve (PNG).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the history as JSON.")] = False,
) -> None:
    from ..mm.fit import train as run

    if plot is not None:
        writable_file(plot, "--plot")
    history = run(task, depth=depth, optimizer=optimizer, steps=steps,
                  learning_rate=learning_rate, dtype=dtype, progress=not as_json)  # fmt: skip
    losses = [float(v) for v in history.losses]
    if plot is not None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 4))
        ax.semilogy(losses, label=optimizer)
        ax.set_xlabel("step")
        ax.set_ylabel("training loss")
        ax.set_title(f"{task}" + (f", depth {depth}" if depth else ""))
        ax.legend()
        try:
            fig.savefig(plot, dpi=120)
        except OSError as err:
            raise BadInput(f"--plot: cannot write {str(plot)!r}: {err}") from None
        finally:
            plt.close(fig)
    if as_json:
        typer.echo(json.dumps({"task": task, "optimizer": optimizer, "losses": losses}))
        return
    console = Console()
    console.print(text(f"{task} with {optimizer}: loss {losses[0]:.6g} -> {losses[-1]:.6g} "
                       f"in {steps} steps", style="bold"))  # fmt: skip


def register(app: typer.Typer) -> None:
    """Add ``autobound train`` to `app`."""
    app.command("train", help=HELP, short_help="Train a small network with an MM optimizer.")(
        guarded(train)
    )
