"""``autobound jensen``: guaranteed bounds on E[f(X)] from the support and moments of X."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console

from ._common import IntervalCommand, guarded, interval_words, text

HELP = """Bound the expectation of f(X) for every random variable X on the support with \
the given mean and variance (the sharper Jensen inequality of AutoBound: a degree-K \
enclosure of f at the mean, its last term bounded with the moments).

[bold]Example[/bold]

  autobound jensen "log(1 + exp(x))" --support -1 2 --mean 0.3 --variance 0.2"""


def jensen(
    expression: Annotated[
        str, typer.Argument(metavar="EXPRESSION", help="f of one variable.", show_default=False)
    ],
    support: Annotated[
        str,
        typer.Option("--support", metavar="LO HI", help="The support of X.", show_default=False),
    ],
    mean: Annotated[str, typer.Option("--mean", help="The mean of X.", show_default=False)],
    variance: Annotated[str | None, typer.Option("--variance", help="Var[X] (optional).")] = None,
    degree: Annotated[int, typer.Option("--degree", "-k", min=1, help="Taylor degree.")] = 2,
    proof: Annotated[bool, typer.Option("--proof", help="Print the derivation (LaTeX).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    from ..jensen import jensen_bounds

    j = jensen_bounds(expression, interval_words(support), mean, variance, degree=degree)
    if as_json:
        doc = {"lower": j.lower, "upper": j.upper, "classical": list(j.classical),
               "degree": j.degree}  # fmt: skip
        typer.echo(json.dumps(doc))
        return
    console = Console()
    console.print(text(f"E f(X) in [{j.lower!r}, {j.upper!r}]", style="bold"))
    console.print(text(f"f = {expression}; classical Jensen: f(mean) in {list(j.classical)}"),
                  soft_wrap=True)  # fmt: skip
    if proof:
        console.print(text(j.proof()), soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add ``autobound jensen`` to `app`."""
    app.command(
        "jensen",
        cls=IntervalCommand,
        no_args_is_help=True,
        help=HELP,
        short_help="Bound the expectation of f(X) from the support and moments of X.",
    )(guarded(jensen))
