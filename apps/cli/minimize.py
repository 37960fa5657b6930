"""``autobound minimize``: certify the global minimum of a function over a box."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ._common import (
    BadInput,
    ExitCode,
    IntervalCommand,
    guarded,
    interval_words,
    parse_variables,
    text,
    writable_file,
    write_certificate,
)

HELP = """Enclose the global minimum of f over a box in \\[lower, upper] with upper - lower <= \
TOL, and write a certificate that `autobound check` re-checks without the engine.

The box is one --over LO HI per variable (variables in name order unless --variables), read \
exactly; a constant such as pi/2 is rounded outward. Branch and bound on degree-2 outward \
Taylor enclosures; upper bounds from box centres and a local search.

Exit status: 0 certified, 4 unknown (a budget ran out; the printed bounds still hold), 2 bad \
input.

[bold]Example[/bold]

  autobound minimize "4*x**2 - 2.1*x**4 + x**6/3 + x*y - 4*y**2 + 4*y**4" --over -3 3 \
--over -2 2 --tol 1e-6 --out cert.json"""


def minimize(
    expression: Annotated[
        str, typer.Argument(metavar="EXPRESSION", help="The function.", show_default=False)
    ],
    over: Annotated[
        list[str],
        typer.Option("--over", metavar="LO HI", help="One side of the box.", show_default=False),
    ],
    tol: Annotated[float, typer.Option("--tol", help="Absolute width to reach.")] = 1e-6,
    variables: Annotated[
        str | None, typer.Option("--variables", help="Variable order, e.g. y,x.")
    ] = None,
    time_limit: Annotated[
        float, typer.Option("--time-limit", min=0.001, help="Seconds of search (after compiling).")
    ] = 60.0,
    max_boxes: Annotated[
        int, typer.Option("--max-boxes", min=1, help="Budget of boxes to bound.")
    ] = 200_000,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the certificate here.")
    ] = None,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Draw the settled boxes (two variables).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    from ..optimize import minimize as run

    for path, option in ((out, "--out"), (plot, "--plot")):
        if path is not None:
            writable_file(path, option)  # before the search runs, not after
    box = [interval_words(words) for words in over]
    names = parse_variables(variables)
    if len(box) == 1 and names and len(names) > 1:
        box *= len(names)
    r = run(expression, box, tol, variables=names, time_limit=time_limit,
            max_boxes=max_boxes, progress=not as_json)  # fmt: skip
    write_certificate(out, r.certificate)
    if plot is not None:
        _plot(r, plot, len(box))
    if as_json:
        doc = {
            "status": r.status, "lower": r.lower, "upper": r.upper, "argmin": list(r.argmin),
            "boxes": r.boxes, "seconds": r.seconds, "message": r.message,
            "certificate": str(out) if out is not None and r.certificate else None,
        }  # fmt: skip
        typer.echo(json.dumps(doc))
    else:
        console = Console()
        console.print(text(f"{r.status}: min f in [{r.lower!r}, {r.upper!r}]", style="bold"))
        console.print(text(f"f = {expression}"), soft_wrap=True)
        console.print(text(f"argmin: {list(r.argmin)}; {r.boxes} boxes, {r.seconds:.2f} s"))
        if r.status != "certified":
            console.print(text(r.message), soft_wrap=True)
        elif out is not None:
            console.print(text(f"certificate written to {out}"))
    if r.status != "certified":
        raise typer.Exit(int(ExitCode.UNKNOWN))


def _plot(r, path: Path, n: int) -> None:
    """The certificate's leaves (two variables) coloured by their lower bounds; leaves that
    hold no minimizer (monotone along a variable) in grey."""
    if r.certificate is None or n != 2:
        raise BadInput("--plot draws the leaves of a certified minimum of two variables")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    from ...verify.exact import read_number

    fig, ax = plt.subplots(figsize=(6, 5))
    leaves = r.certificate.leaves
    lows = [None if leaf.monotone else float(read_number(leaf.range[0])) for leaf in leaves]
    bounded = [v for v in lows if v is not None]
    top, bottom = max(bounded), min(bounded)
    cmap = plt.get_cmap("viridis")
    for leaf, low in zip(leaves, lows, strict=True):
        (a, b), (c, d) = ((float(read_number(v)) for v in leaf.lo),
                          (float(read_number(v)) for v in leaf.hi))  # fmt: skip
        if low is None:
            face = "0.85"
        else:
            face = cmap((low - bottom) / (top - bottom) if top > bottom else 0.0)
        ax.add_patch(Rectangle((a, b), c - a, d - b, facecolor=face, edgecolor="k",
                               linewidth=0.2))  # fmt: skip
    ax.plot(*r.argmin, "r*", markersize=12)
    ax.autoscale_view()
    grey = len(lows) - len(bounded)
    monotone = f" ({grey} monotone, grey)" if grey else ""
    ax.set_title(f"{len(lows)} leaves{monotone}; min f in [{r.lower:.10g}, {r.upper:.10g}]")
    fig.savefig(path, dpi=120)
    plt.close(fig)


def register(app: typer.Typer) -> None:
    """Add ``autobound minimize`` to `app`."""
    app.command(
        "minimize",
        cls=IntervalCommand,
        no_args_is_help=True,
        help=HELP,
        short_help="Certify the global minimum of f over a box.",
    )(guarded(minimize))
