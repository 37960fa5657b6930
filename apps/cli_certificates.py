"""``autobound prove`` and ``autobound check``: write a certificate with the simple prover,
re-check one with the independent checker.

```text
autobound prove "exp(x) - 1 - x" --over -1 1 --ge -1e-9 --out cert.json
autobound check cert.json
```
"""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from .cli import (
    ExitCode,
    _BadInput,
    _BoundCommand,
    _guarded,
    _interval_words,
    _parse_variables,
    app,
)

_CLAIMS = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}

_PROVE_HELP = """Prove an inequality f(x) >= C (or >, <=, <) for every x in a box and write a \
certificate that `autobound check` re-checks without the engine.

The box is one --over LO HI per variable (variables in name order unless --variables), read \
exactly: 0.1 means 1/10; a constant such as pi/2 is rounded outward (quote such a pair: \
--over "-pi/2 pi/2"). The prover bisects the box until degree-K outward-rounded Taylor \
enclosures prove the claim on every piece.

Exit status: 0 proved, 3 disproved (a point where the claim fails), 4 unknown (the budget of \
boxes ran out), 2 bad input.

[bold]Example[/bold]

  autobound prove "exp(x) - 1 - x" --over -1 1 --ge -1e-9 --out cert.json"""

_CHECK_HELP = """Check a certificate (JSON) in mpmath interval arithmetic, independently of the \
engine: the leaves must cover the box, each leaf's enclosure must imply what it records, and the \
checker must confirm the claim on each leaf by its own bounds (interval and mean-value forms, \
with bisection).

Exit status: 0 when the certificate checks, 1 when it is rejected (the reason names the leaf), \
2 when the file cannot be read."""


@app.command(
    "prove",
    cls=_BoundCommand,
    no_args_is_help=True,
    help=_PROVE_HELP,
    short_help="Prove f >= C (or >, <=, <) over a box and write a certificate.",
)
@_guarded
def prove_command(
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
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the certificate here.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    from .prove import prove

    given = {k: v for k, v in {"ge": ge, "gt": gt, "le": le, "lt": lt}.items() if v is not None}
    if len(given) != 1:
        raise _BadInput("give exactly one claim: --ge C, --gt C, --le C or --lt C")
    ((kind, value),) = given.items()
    box = [_interval_words(text) for text in over]
    names = _parse_variables(variables)
    if len(box) == 1 and names and len(names) > 1:
        box *= len(names)
    proof = prove(expression, box, kind, value, degree, names, max_boxes)
    if out is not None and proof.certificate is not None:
        out.write_text(proof.certificate.to_json())
    claim = f"{expression} {_CLAIMS[kind]} {value}"
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
        console.print(Text(f"{proof.status}: {claim}", style="bold"), soft_wrap=True)
        if proof.certificate is not None:
            leaves = len(proof.certificate.leaves)
            where = f", written to {out}" if out is not None else " (not written: no --out)"
            console.print(Text(f"{leaves} leaves from {proof.boxes} boxes bounded{where}"))
        else:
            console.print(Text(proof.message), soft_wrap=True)
    if proof.status != "proved":
        code = ExitCode.DISPROVED if proof.status == "disproved" else ExitCode.UNKNOWN
        raise typer.Exit(int(code))


@app.command("check", no_args_is_help=True, help=_CHECK_HELP, short_help="Check a certificate.")
@functools.partial(_guarded, engine=False)
def check_command(
    certificate: Annotated[
        Path,
        typer.Argument(
            metavar="CERT.json", help="The certificate (- reads stdin).", show_default=False
        ),
    ],
    prec: Annotated[int, typer.Option("--prec", min=24, help="mpmath.iv precision (bits).")] = 80,
    max_splits: Annotated[
        int, typer.Option("--max-splits", min=0, help="Bisections allowed per leaf.")
    ] = 64,
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdict as JSON.")] = False,
) -> None:
    from autobound.verify import check_certificate

    try:
        text = sys.stdin.buffer.read() if str(certificate) == "-" else certificate.read_bytes()
    except OSError as err:
        raise _BadInput(f"cannot read {certificate}: {err.strerror or err}") from err
    verdict = check_certificate(text, prec=prec, max_splits=max_splits)
    if as_json:
        typer.echo(verdict.to_json())
    else:
        style = "bold green" if verdict.ok else "bold red"
        console = Console()
        if verdict.function:
            console.print(Text(f"f = {verdict.function}"), soft_wrap=True)
        console.print(Text(str(verdict), style=style), soft_wrap=True)
    if not verdict.ok:
        raise typer.Exit(int(ExitCode.CHECK_FAILED))
