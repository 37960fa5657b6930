"""``autobound integrate``: enclose a definite integral between two guaranteed numbers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ._common import (
    ExitCode,
    IntervalCommand,
    guarded,
    interval_words,
    parse_variables,
    text,
    writable_file,
    write_certificate,
)

HELP = """Enclose the integral of f over a box in \\[lower, upper] with upper - lower <= TOL.

The box is one --over LO HI per variable (variables in name order unless --variables), read \
exactly (constants such as pi/2 too); one variable may have an infinite end (inf, -inf), made \
finite by a substitution. Adaptive bisection on outward Taylor enclosures integrated exactly; \
singular ends (log(x), 1/sqrt(x), x**x at 0; log(cos(x)) at pi/2) get growth-form bounds, \
interior singular points are split off; what cannot be bounded is an honest unknown.

Exit status: 0 certified, 4 unknown (the printed enclosure still holds), 2 bad input.

[bold]Example[/bold]

  autobound integrate "sin(x + exp(x))" --over 0 8 --tol 1e-8"""


def integrate(
    expression: Annotated[
        str, typer.Argument(metavar="EXPRESSION", help="The integrand.", show_default=False)
    ],
    over: Annotated[
        list[str],
        typer.Option("--over", metavar="LO HI", help="One side of the box.", show_default=False),
    ],
    tol: Annotated[float, typer.Option("--tol", help="Absolute width to reach.")] = 1e-8,
    variables: Annotated[
        str | None, typer.Option("--variables", help="Variable order, e.g. y,x.")
    ] = None,
    time_limit: Annotated[float, typer.Option("--time-limit", min=0.001, help="Seconds.")] = 60.0,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write a certificate here.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    from ..integrate import integrate as run

    if out is not None:
        writable_file(out, "--out")
    box = [interval_words(words) for words in over]
    names = parse_variables(variables)
    r = run(expression, box, tol, variables=names, time_limit=time_limit,
            progress=not as_json, certificate=out is not None)  # fmt: skip
    write_certificate(out, r.certificate)
    if as_json:
        doc = {"status": r.status, "lower": r.lower, "upper": r.upper, "pieces": r.pieces,
               "seconds": r.seconds, "message": r.message}  # fmt: skip
        typer.echo(json.dumps(doc))
    else:
        console = Console()
        console.print(text(f"{r.status}: integral in [{r.lower!r}, {r.upper!r}]", style="bold"))
        console.print(text(f"f = {expression}; {r.pieces} pieces, {r.seconds:.2f} s"),
                      soft_wrap=True)  # fmt: skip
        if r.status != "certified":
            console.print(text(r.message), soft_wrap=True)
    if r.status != "certified":
        raise typer.Exit(int(ExitCode.UNKNOWN))


def register(app: typer.Typer) -> None:
    """Add ``autobound integrate`` to `app`."""
    app.command(
        "integrate",
        cls=IntervalCommand,
        no_args_is_help=True,
        help=HELP,
        short_help="Enclose the integral of f over a box.",
    )(guarded(integrate))
