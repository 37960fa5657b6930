"""``autobound check``: re-check a certificate with the independent checker (no JAX)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ._common import BadInput, ExitCode, guarded, text

HELP = """Check a certificate (JSON) in mpmath interval arithmetic, independently of the \
engine: the leaves must cover the box, each leaf's enclosure must imply what it records, and the \
checker must confirm the claim on each leaf by its own bounds (interval and mean-value forms, \
with bisection).

Exit status: 0 when the certificate checks, 1 when it is rejected (the reason names the leaf), \
2 when the file cannot be read."""


def check(
    certificate: Annotated[
        Path,
        typer.Argument(
            metavar="CERT.json", help="The certificate (- reads stdin).", show_default=False
        ),
    ],
    prec: Annotated[int, typer.Option("--prec", min=24, help="mpmath.iv precision (bits).")] = 80,
    max_splits: Annotated[
        int,
        typer.Option(
            "--max-splits", min=0, help="Bisections per leaf, on average (shared by the leaves)."
        ),
    ] = 64,
    max_leaves: Annotated[
        int | None,
        typer.Option(
            "--max-leaves",
            min=1,
            help="Reject certificates with more leaves before reading their leaves (checking "
            "takes about 1-2 ms per leaf) [default: the checker's MAX_LEAVES, 250 thousand]",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdict as JSON.")] = False,
) -> None:
    from autobound.verify import check_certificate
    from autobound.verify.certificate import MAX_LEAVES

    max_leaves = MAX_LEAVES if max_leaves is None else max_leaves
    try:
        data = sys.stdin.buffer.read() if str(certificate) == "-" else certificate.read_bytes()
    except OSError as err:
        raise BadInput(f"cannot read {str(certificate)!r}: {err.strerror or err}") from err
    try:
        if as_json:
            verdict = check_certificate(
                data, prec=prec, max_splits=max_splits, max_leaves=max_leaves
            )
        else:
            verdict = _with_progress(check_certificate, data, prec, max_splits, max_leaves)
    except (OverflowError, RecursionError) as err:
        # The checker reads numbers and graphs of any size exactly; some of its messages and
        # conversions do not (a box end of -0x1p20000 overflows a float).  Such a file is not
        # a certificate that checks: say so, as bad input, rather than as a crash.
        raise BadInput(
            f"cannot check {str(certificate)!r}: it holds a number or a nesting beyond what the "
            f"checker handles ({type(err).__name__}: {err})"
        ) from None
    if as_json:
        typer.echo(verdict.to_json())
    else:
        console = Console()
        if verdict.function:
            console.print(text(f"f = {verdict.function}"), soft_wrap=True)
        console.print(text(verdict, style="bold green" if verdict.ok else "bold red"),
                      soft_wrap=True)  # fmt: skip
    if not verdict.ok:
        raise typer.Exit(int(ExitCode.CHECK_FAILED))


def _with_progress(check_certificate, data: bytes, prec: int, max_splits: int, max_leaves: int):
    """The check with a transient progress bar on stderr (rich shows none when stderr is not
    a terminal): the stage, the leaves done of all, the time elapsed and left."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("reading the certificate", total=None)

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total or None)

        return check_certificate(
            data, prec=prec, max_splits=max_splits, progress=progress, max_leaves=max_leaves
        )


def register(app: typer.Typer) -> None:
    """Add ``autobound check`` to `app` (it runs without JAX)."""
    app.command("check", no_args_is_help=True, help=HELP, short_help="Check a certificate.")(
        guarded(check, engine=False)
    )
