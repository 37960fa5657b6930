"""The ``autobound`` command line: one module per command.

```text
autobound bound "1.5*exp(3*x) - 25*x**2" --at 0.5 --over 0 1 --degree 2
autobound bound "exp(x)*sin(y)" --at 0.1 --at 0.2 --over -1 1 --over -1 1 --json
autobound crosscheck "sigmoid(3*x) * log1p(x^2)" --over -1 1 --degree 3
autobound prove "exp(x) - 1 - x" --over -1 1 --ge -1e-9 --out cert.json
autobound check cert.json
autobound minimize "x**4 - 3*x**2 + x" --over -2 2 --tol 1e-8
autobound integrate "sin(x + exp(x))" --over 0 8 --tol 1e-8
autobound jensen "log(1 + exp(x))" --support -1 2 --mean 0.3 --variance 0.2
autobound train --task teacher-mlp --depth 3 --optimizer safe-rate --steps 500
autobound ops
```

Each command is a module of this package with a ``register(app)`` function; a new command is
one new module and one entry in :data:`COMMANDS`.  What commands share (exit codes, the error
guard, ``--over`` parsing, terminal-safe text) is in ``_common.py``.

Exit codes (:class:`ExitCode`): 0 when the command did its job, 1 when ``crosscheck`` found
points outside the enclosure or ``check`` rejected a certificate, 3/4 when ``prove`` disproved
the claim or ran out of boxes, 2 for bad input (an
:class:`~autobound.errors.AutoBoundError` or a bad option; the message goes to stderr, without
a traceback), 70 for an internal error (a bug: please report it).

The engine is imported lazily, so ``autobound --help`` answers without loading JAX.  Every
command runs in float64 (the guard enables ``jax_enable_x64``).  Run as the ``autobound``
console script, ``python -m autobound`` or ``python -m autobound.apps.cli``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from . import bound, check, crosscheck, integrate, jensen, minimize, ops, prove, train
from ._common import ExitCode

__all__ = ["COMMANDS", "ExitCode", "app", "main"]

COMMANDS = (bound, crosscheck, minimize, prove, check, integrate, jensen, train, ops)
"""The command modules, in the order ``autobound --help`` lists them."""

app = typer.Typer(
    name="autobound",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"autobound {version('autobound-toolkit')}")
        except PackageNotFoundError:  # running from a source tree that was never installed
            typer.echo("autobound (not installed)")
        raise typer.Exit()


@app.callback()
def _main(  # noqa: D103 - the docstring below is the group's --help text
    show_version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Guaranteed polynomial upper and lower bounds of functions (AutoBound Taylor
    enclosures), computed in float64."""


for _command in COMMANDS:
    _command.register(app)


def main() -> None:
    """Run the command line."""
    app(prog_name="autobound")
