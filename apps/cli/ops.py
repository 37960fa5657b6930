"""``autobound ops``: the operations the engine can bound."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ._common import BadInput, guarded, text

KINDS = ("elementwise", "arith", "linear", "bilinear")


def ops(
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind",
            help="Only ops of this kind: elementwise, arith, linear or bilinear.",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the list as JSON.")] = False,
) -> None:
    """List the operations the engine can bound (elementwise functions first)."""
    import autobound.rules  # noqa: F401  (registers every rule)
    from autobound.ops import OPS, RULES

    if kind is not None and kind not in KINDS:
        raise BadInput(f"--kind must be one of {', '.join(KINDS)}, got {kind!r}")
    rows = sorted(
        (o for o in OPS.values() if o.name in RULES and (kind is None or o.kind == kind)),
        key=lambda o: KINDS.index(o.kind) if o.kind in KINDS else len(KINDS),
    )
    if as_json:
        doc = [{"name": o.name, "kind": o.kind, "arity": o.arity, "doc": o.doc} for o in rows]
        typer.echo(json.dumps(doc))
        return
    table = Table(title=f"{len(rows)} supported operations", title_justify="left")
    table.add_column("op")
    table.add_column("kind")
    table.add_column("meaning", overflow="fold")
    for o in rows:
        table.add_row(text(o.name), text(o.kind), text(o.doc))
    Console().print(table)


def register(app: typer.Typer) -> None:
    """Add ``autobound ops`` to `app`."""
    app.command("ops")(guarded(ops))
