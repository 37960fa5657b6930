"""``autobound crosscheck``: a bound checked against f evaluated in mpmath, independently of
the engine."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console

from ._common import ExitCode, IntervalCommand, Rounding, guarded, text
from ._problem import problem, region_text, shaped

HELP = """Bound EXPRESSION as `autobound bound` does, then check the enclosure \
independently: f is evaluated in mpmath at PREC bits (never through the JAX engine) at the \
corners of the box, x0, points next to them and random points, and compared with the enclosure \
evaluated exactly. Exit status 0 when every point lies inside, 1 when some do not.

[bold]Example[/bold]

  autobound crosscheck "sigmoid(3*x) * log1p(x^2)" --at 0.2 --over -1 1 --degree 3"""


def crosscheck(
    expression: Annotated[
        str, typer.Argument(metavar="EXPRESSION", help="The function.", show_default=False)
    ],
    over: Annotated[
        list[str],
        typer.Option("--over", metavar="LO HI", help="As for `bound`.", show_default=False),
    ],
    at: Annotated[
        list[float] | None,
        typer.Option("--at", metavar="X0", help="As for `bound`.", show_default=False),
    ] = None,
    degree: Annotated[int, typer.Option("--degree", "-k", min=0, help="Degree K.")] = 2,
    rounding: Annotated[Rounding, typer.Option("--rounding", help="As for `bound`.")] = (
        Rounding.outward
    ),
    variables: Annotated[
        str | None,
        typer.Option("--variables", metavar="x,y,...", help="As for `bound`.", show_default=False),
    ] = None,
    trust_regions: Annotated[
        bool, typer.Option("--trust-regions/--no-trust-regions", help="As for `bound`.")
    ] = True,
    points: Annotated[
        int, typer.Option("--points", min=1, help="Points to check (structured ones included).")
    ] = 200,
    prec: Annotated[int, typer.Option("--prec", min=53, help="mpmath precision in bits.")] = 200,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the random points.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    import numpy as np

    from autobound.interval import is_interval
    from autobound.verify import crosscheck as check_points

    bounder, names, x0, lo, hi = problem(
        expression, over, at, variables, degree, rounding, trust_regions
    )
    result = bounder(shaped(x0), (shaped(lo), shaped(hi)))
    coefficients = [
        (np.asarray(c.lo, np.float64), np.asarray(c.hi, np.float64))
        if is_interval(c)
        else np.asarray(c, np.float64)
        for c in result.coefficients
    ]
    x0v = np.asarray(result.x0, np.float64)
    region = tuple(np.asarray(v, np.float64) for v in result.region)
    graph = bounder.graph(x0v.shape)
    report = check_points(graph, coefficients, x0v, region, n_points=points, prec=prec, seed=seed)
    worst = report.violations[:5]
    if as_json:
        doc = {
            "expression": expression,
            "variables": list(names),
            "degree": degree,
            "rounding": rounding.value,
            "ok": report.ok,
            "points": report.n_points,
            "violations": len(report.violations),
            "max_violation": report.max_violation,
            "tightness": report.tightness,
            "examples": [
                {"x": np.asarray(x, np.float64).tolist(), "f": str(f), "lo": str(a), "hi": str(b)}
                for x, f, a, b in worst
            ],
        }
        typer.echo(json.dumps(doc))
    else:
        out = Console()
        out.print(text(f"f({', '.join(names)}) = {expression}", style="bold"), soft_wrap=True)
        out.print(
            text(f"degree {degree}, rounding {rounding.value}, region: "
                 f"{region_text(names, lo, hi)}"),
            soft_wrap=True,
        )  # fmt: skip
        out.print(text(report), soft_wrap=True)
        for x, f, a, b in worst:
            out.print(text(f"  at x = {np.asarray(x).tolist()}: f = {f} not in [{a}, {b}]"))
    if not report.ok:
        raise typer.Exit(int(ExitCode.CHECK_FAILED))


def register(app: typer.Typer) -> None:
    """Add ``autobound crosscheck`` to `app`."""
    app.command(
        "crosscheck",
        cls=IntervalCommand,
        no_args_is_help=True,
        help=HELP,
        short_help="Check a bound against f evaluated in mpmath, independently of the engine.",
    )(guarded(crosscheck))
