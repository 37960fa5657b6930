"""``autobound prove``: prove an inequality over a box with the simple prover and write a
certificate."""

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

CLAIMS = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}

HELP = """Prove an inequality f(x) >= C (or >, <=, <) for every x in a box and write a \
certificate that `autobound check` re-checks without the engine.

The box is one --over LO HI per variable (variables in name order unless --variables), read \
exactly: 0.1 means 1/10; a constant such as pi/2 is rounded outward (quote such a pair: \
--over "-pi/2 pi/2"). The prover bisects the box until degree-K outward-rounded Taylor \
enclosures prove the claim on every piece.

Exit status: 0 proved, 3 disproved (a point where the claim fails), 4 unknown (the budget of \
boxes ran out), 2 bad input.

[bold]Example[/bold]

  autobound prove "exp(x) - 1 - x" --over -1 1 --ge -1e-9 --out cert.json"""


def prove(
    expression: Annotated[
        str, typer.Argument(metavar="EXPRESSION", help="The function.", show_default=False)
    ],
    over: Annotated[
        list[str],
        typer.Option("--over", metavar="LO HI", help="One side of the box.", show_default=False),
    ],
    ge: Annotated[str | None, typer.Option("--ge", metavar="C", help="Claim f >= C.")] = None,
    gt: Annotated[str | None, typer.Option("--gt", metavar="C", help="Claim f > C.")] = None,
    le: Annotated[str | None, typer.Option("--le", metavar="C", help="Claim f <= C.")] = None,
    lt: Annotated[str | None, typer.Option("--lt", metavar="C", help="Claim f < C.")] = None,
    degree: Annotated[int, typer.Option("--degree", "-k", min=0, help="Degree K.")] = 2,
    variables: Annotated[
        str | None,
        typer.Option("--variables", metavar="x,y,...", help="Variable order.", show_default=False),
    ] = None,
    max_boxes: Annotated[
        int, typer.Option("--max-boxes", min=1, help="Budget of boxes to bound.")
    ] = 20_000,
    exclude: Annotated[
        list[str] | None,
        typer.Option(
            "--exclude",
            metavar="x=V",
            help="A point left out (one per variable).",
            show_default=False,
        ),
    ] = None,
    open_: Annotated[
        bool, typer.Option("--open", help="Leave the box's ends out (an open box).")
    ] = False,
    time_limit: Annotated[
        float, typer.Option("--time-limit", min=0.001, help="Seconds of search.")
    ] = 60.0,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the certificate here.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    from ..prove import prove as run_prover

    given = {k: v for k, v in {"ge": ge, "gt": gt, "le": le, "lt": lt}.items() if v is not None}
    if len(given) != 1:
        raise BadInput("give exactly one claim: --ge C, --gt C, --le C or --lt C")
    ((kind, value),) = given.items()
    if out is not None:
        writable_file(out, "--out")  # before the proof runs, not after
    box = [interval_words(words) for words in over]
    names = parse_variables(variables)
    if len(box) == 1 and names and len(names) > 1:
        box *= len(names)
    points = []
    for item in exclude or []:
        point = {}
        for part in item.split(","):
            name, eq, v = part.partition("=")
            if not eq or not name.strip() or not v.strip():
                raise BadInput(f"--exclude takes NAME=VALUE[,NAME=VALUE...], got {item!r}")
            point[name.strip()] = v.strip()
        points.append(point)
    proof = run_prover(
        expression, box, kind, value, degree=degree, variables=names, max_boxes=max_boxes,
        exclude=points, open_ends=[(True, True)] * len(box) if open_ else None,
        time_limit=time_limit, progress=not as_json,
    )  # fmt: skip
    write_certificate(out, proof.certificate)
    claim = f"{expression} {CLAIMS[kind]} {value}"
    if as_json:
        doc = {
            "claim": claim,
            "status": proof.status,
            "boxes": proof.boxes,
            "leaves": len(proof.certificate.leaves) if proof.certificate else None,
            "counterexample": proof.counterexample,
            "certificate": str(out) if out is not None and proof.certificate else None,
        }
        typer.echo(json.dumps(doc))
    else:
        console = Console()
        console.print(text(f"{proof.status}: {claim}", style="bold"), soft_wrap=True)
        if proof.certificate is not None:
            leaves = len(proof.certificate.leaves)
            where = f", written to {out}" if out is not None else " (not written: no --out)"
            console.print(text(f"{leaves} leaves from {proof.boxes} boxes bounded{where}"))
        else:
            console.print(text(proof.message), soft_wrap=True)
    if proof.status != "proved":
        code = ExitCode.DISPROVED if proof.status == "disproved" else ExitCode.UNKNOWN
        raise typer.Exit(int(code))


def register(app: typer.Typer) -> None:
    """Add ``autobound prove`` to `app`."""
    app.command(
        "prove",
        cls=IntervalCommand,
        no_args_is_help=True,
        help=HELP,
        short_help="Prove f >= C (or >, <=, <) over a box and write a certificate.",
    )(guarded(prove))
