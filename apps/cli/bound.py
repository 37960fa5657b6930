"""``autobound bound``: a Taylor enclosure of an expression over a box, as a table, JSON or a
plot."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ._common import BadInput, IntervalCommand, Rounding, guarded, listing, text
from ._problem import num, problem, region_text, shaped

NEAREST_NOTE = (
    "note: rounding nearest (plain float64, as the reference implementation): the bounds may "
    "miss f by a few ulps; --rounding outward gives bounds guaranteed for the exact function"
)

HELP = """Bound EXPRESSION over a box by a degree-K Taylor polynomial whose last \
coefficient is an interval: for every x in the box, lower(x) <= f(x) <= upper(x).

Variables are taken in name order (x, y, z, ...) unless --variables fixes the order. Give one \
--over LO HI per variable, in that order, or a single --over for all of them; give one --at per \
variable or none (the centre of the box).

[bold]Examples[/bold]

  autobound bound "1.5*exp(3*x) - 25*x**2" --at 0.5 --over 0 1 --plot bounds.png

  autobound bound "exp(x)*sin(y)" --at 0.1 --at 0.2 --over -1 1 --over -1 1

  autobound bound "log(1 + x^2) + relu(y)" --over -2 2 --degree 3 --rounding outward --json

An expression starting with "-" goes after "--": autobound bound --over 0 1 -- "-x**2"."""


def _cell(lo: Any, hi: Any) -> str:
    return num(lo) if float(lo) == float(hi) else f"[{num(lo)}, {num(hi)}]"


def _term(idx: Sequence[int], names: Sequence[str], x0: Sequence[float]) -> str:
    if not idx:
        return "1"
    parts = []
    for v in sorted(set(idx)):
        power = idx.count(v)
        shift = float(x0[v])
        base = (
            names[v]
            if shift == 0
            else (f"({names[v]} - {num(shift)})" if shift > 0 else f"({names[v]} + {num(-shift)})")
        )
        parts.append(base if power == 1 else f"{base}^{power}")
    return "*".join(parts)


def coefficient_rows(bounds: Any, names: Sequence[str]) -> list[tuple[str, str, str]]:
    """One row (degree, term, value) per monomial; exact zeros of multivariate tensors are
    skipped (the engine may store a symmetric tensor in one triangle)."""
    import numpy as np

    from autobound.interval import is_interval

    x0 = np.asarray(bounds.x0, np.float64).reshape(-1)
    n = max(1, x0.size)
    rows = []
    for i, c in enumerate(bounds.coefficients):
        lo = np.asarray(c.lo if is_interval(c) else c, np.float64).reshape(-1)
        hi = np.asarray(c.hi if is_interval(c) else c, np.float64).reshape(-1)
        shown = 0
        for flat, idx in enumerate(np.ndindex(*((n,) * i))):
            if n > 1 and i >= 2 and lo[flat] == 0 and hi[flat] == 0:
                continue
            rows.append((str(i), _term(list(idx), names, x0), _cell(lo[flat], hi[flat])))
            shown += 1
        if not shown:
            rows.append((str(i), "(all terms)", "0.0"))
    return rows


def bound(
    expression: Annotated[
        str,
        typer.Argument(
            metavar="EXPRESSION",
            help='The function, e.g. "1.5*exp(3*x) - 25*x**2" (see `autobound ops`).',
            show_default=False,
        ),
    ],
    over: Annotated[
        list[str],
        typer.Option(
            "--over",
            metavar="LO HI",
            help="The interval of one variable (repeat per variable, in variable order).",
            show_default=False,
        ),
    ],
    at: Annotated[
        list[float] | None,
        typer.Option(
            "--at",
            metavar="X0",
            help="Expansion point of one variable (repeat per variable). Default: box centre.",
            show_default=False,
        ),
    ] = None,
    degree: Annotated[
        int, typer.Option("--degree", "-k", min=0, help="Degree K of the polynomial.")
    ] = 2,
    rounding: Annotated[
        Rounding,
        typer.Option(
            "--rounding",
            help="nearest: plain float64, as the reference implementation. outward: sound "
            "for the exact real function.",
        ),
    ] = Rounding.nearest,
    variables: Annotated[
        str | None,
        typer.Option(
            "--variables",
            metavar="x,y,...",
            help="Names and order of the variables (default: every name, sorted).",
            show_default=False,
        ),
    ] = None,
    trust_regions: Annotated[
        bool,
        typer.Option(
            "--trust-regions/--no-trust-regions",
            help="Also propagate interval ranges (tighter; on by default).",
        ),
    ] = True,
    plot: Annotated[
        Path | None,
        typer.Option(
            "--plot",
            metavar="PATH",
            dir_okay=False,
            help="Write a picture of f and its bounds (one variable only), e.g. bounds.png.",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the result as JSON on stdout, nothing else.")
    ] = False,
) -> None:
    import numpy as np

    bounder, names, x0, lo, hi = problem(
        expression, over, at, variables, degree, rounding, trust_regions
    )
    n = len(names)
    if plot is not None:
        if n > 1:
            raise BadInput(f"--plot draws functions of one variable; the expression has "
                           f"{listing(names)}")  # fmt: skip
        if not plot.parent.is_dir():
            raise BadInput(f"--plot: the folder {str(plot.parent)!r} does not exist")

    result = bounder(shaped(x0), (shaped(lo), shaped(hi)))
    if plot is not None:
        import matplotlib.pyplot as plt

        try:
            figure = result.plot(str(plot))
        except OSError as err:
            raise BadInput(f"--plot: cannot write {str(plot)!r}: {err}") from None
        plt.close(figure)

    width = np.asarray(result.width(), np.float64)
    if as_json:
        doc = {"expression": expression, "variables": list(names), **result.as_dict()}
        doc["rigorous"] = rounding is Rounding.outward
        doc["width"] = width.tolist()
        if plot is not None:
            doc["plot"] = str(plot)
        typer.echo(json.dumps(doc))
        return

    out = Console()
    out.print(text(f"f({', '.join(names)}) = {expression}", style="bold"), soft_wrap=True)
    x0_text = ", ".join(f"{v} = {num(a)}" for v, a in zip(names, x0, strict=True))
    out.print(text(f"expansion point: {x0_text}"), soft_wrap=True)
    out.print(text(f"region: {region_text(names, lo, hi)}"), soft_wrap=True)
    out.print(text(f"degree: {degree}   rounding: {rounding.value}"), soft_wrap=True)
    table = Table(title="Taylor enclosure coefficients", title_justify="left")
    table.add_column("degree", justify="right")
    table.add_column("term", overflow="fold")
    table.add_column(text("coefficient (value or [lo, hi])"), overflow="fold")
    for row in coefficient_rows(result, names):
        table.add_row(*(text(cell) for cell in row))
    out.print(table)
    out.print(text(f"polynomial: {result.to_sympy()}"), soft_wrap=True)
    out.print(
        text(f"width: upper - lower <= {num(np.max(width))} everywhere on the region"),
        soft_wrap=True,
    )
    if plot is not None:
        out.print(text(f"plot written to {plot}"), soft_wrap=True)
    if rounding is Rounding.nearest:
        out.print(text(NEAREST_NOTE, style="yellow"), soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add ``autobound bound`` to `app`."""
    app.command(
        "bound",
        cls=IntervalCommand,
        no_args_is_help=True,
        help=HELP,
        short_help="Guaranteed polynomial upper and lower bounds of a function over a box.",
    )(guarded(bound))
