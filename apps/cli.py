"""The ``autobound`` command line.

```text
autobound bound "1.5*exp(3*x) - 25*x**2" --at 0.5 --over 0 1 --degree 2
autobound bound "exp(x)*sin(y)" --at 0.1 --at 0.2 --over -1 1 --over -1 1 --json
autobound crosscheck "sigmoid(3*x) * log1p(x^2)" --over -1 1 --degree 3
autobound prove "exp(x) - 1 - x" --over -1 1 --ge -1e-9 --out cert.json
autobound check cert.json
autobound ops
```

Exit codes (:class:`ExitCode`): 0 when the command did its job, 1 when ``crosscheck`` found
points outside the enclosure or ``check`` rejected a certificate, 3/4 when ``prove`` disproved
the claim or ran out of boxes, 2 for bad input (an
:class:`~autobound.errors.AutoBoundError` or a bad option; the message goes to stderr, without
a traceback), 70 for an internal error (a bug: please report it).

The engine is imported lazily, so ``autobound --help`` answers without loading JAX.  Every
command runs in float64 (the entry point enables ``jax_enable_x64``).
"""

from __future__ import annotations

import enum
import functools
import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from typer.core import TyperCommand

__all__ = ["ExitCode", "app", "main"]


class ExitCode(enum.IntEnum):
    """Process exit status of every ``autobound`` command."""

    OK = 0
    CHECK_FAILED = 1  # crosscheck found points outside the enclosure; check rejected a certificate
    BAD_INPUT = 2
    DISPROVED = 3  # prove found a point where the claim fails
    UNKNOWN = 4  # prove ran out of boxes
    INTERNAL_ERROR = 70  # EX_SOFTWARE of sysexits.h


class Rounding(enum.StrEnum):
    """Rounding mode of the engine (see ``docs/engine.md``)."""

    nearest = "nearest"
    outward = "outward"


class _BadInput(Exception):
    """Command-line input that the engine never sees (wrong number of --at values, ...)."""


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


def _enable_x64() -> None:
    import jax

    jax.config.update("jax_enable_x64", True)


def _fail(code: ExitCode, message: str) -> None:
    err = Console(stderr=True)
    err.print(Text("error: ", style="bold red") + Text(message), soft_wrap=True)
    raise typer.Exit(int(code))


def _guarded(command: Callable[..., None], engine: bool = True) -> Callable[..., None]:
    """Run `command` turning bad input into exit code 2 and anything else into 70; with
    `engine`, in float64 JAX (``check`` runs without JAX at all)."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> None:
        try:
            if engine:
                _enable_x64()
            command(*args, **kwargs)
            return
        except typer.Exit:
            raise
        except _BadInput as err:
            code, message = ExitCode.BAD_INPUT, str(err)
        except Exception as err:  # noqa: BLE001 - every failure gets a message and a code
            from autobound.errors import AutoBoundError

            if isinstance(err, AutoBoundError):
                code, message = ExitCode.BAD_INPUT, f"{type(err).__name__}: {err}"
            else:
                code = ExitCode.INTERNAL_ERROR
                message = (
                    f"internal error ({type(err).__name__}: {err}); this is a bug in "
                    "autobound, please report it with the command line that caused it"
                )
        _fail(code, message)

    return run


# ---------------------------------------------------------------------------------------------
# `--over LO HI`: two numbers per occurrence, repeatable.
#
# Typer has no repeatable two-value option, so `--over LO HI` is joined into the one token
# `--over "LO HI"` before parsing; `--over LO,HI` and `--over "[LO, HI]"` are accepted as well.


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


_SHORT_OPTIONS = ("-k",)


def _join_interval_tokens(args: Sequence[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(args):
        token = args[i]
        if token == "--":
            out.extend(args[i:])
            break
        if token == "--over" and i + 2 < len(args):
            lo, hi = args[i + 1], args[i + 2]
            # A second token that is not an option belongs to --over even when it is not a
            # number, so that `--over 0 a` is reported as a bad interval.
            if _is_number(lo) and not (hi.startswith("--") or hi in _SHORT_OPTIONS):
                out += [token, f"{lo} {hi}"]
                i += 3
                continue
        out.append(token)
        i += 1
    return out


class _BoundCommand(TyperCommand):
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, _join_interval_tokens(args))


def _interval_words(text: str) -> tuple[str, str]:
    """The two words of an --over value: "LO HI", "LO,HI" or "[LO, HI]"."""
    parts = [p for p in re.split(r"[\s,;]+", text.strip().strip("[]()").strip()) if p]
    if len(parts) != 2:
        raise _BadInput(f"--over needs two numbers LO HI, got {text!r}")
    return parts[0], parts[1]


def _parse_interval(text: str) -> tuple[float, float]:
    lo, hi = _interval_words(text)
    if not (_is_number(lo) and _is_number(hi)):
        raise _BadInput(f"--over needs two numbers LO HI, got {text!r}")
    return float(lo), float(hi)


def _parse_variables(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    names = tuple(p for p in re.split(r"[\s,]+", text.strip()) if p)
    if not names:
        raise _BadInput("--variables needs at least one name, e.g. --variables x,y")
    return names


# ---------------------------------------------------------------------------------------------
# Formatting


def _num(v: Any) -> str:
    return repr(float(v))


def _cell(lo: Any, hi: Any) -> str:
    return _num(lo) if float(lo) == float(hi) else f"[{_num(lo)}, {_num(hi)}]"


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
            else (
                f"({names[v]} - {_num(shift)})" if shift > 0 else f"({names[v]} + {_num(-shift)})"
            )
        )
        parts.append(base if power == 1 else f"{base}^{power}")
    return "*".join(parts)


def _coefficient_rows(bounds: Any, names: Sequence[str]) -> list[tuple[str, str, str]]:
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


def _region_text(names: Sequence[str], lo: Sequence[float], hi: Sequence[float]) -> str:
    ends = zip(names, lo, hi, strict=True)
    return ", ".join(f"{v} in [{_num(a)}, {_num(b)}]" for v, a, b in ends)


# ---------------------------------------------------------------------------------------------
# The problem a command is about: a bounder, its variables, x0 and the box


def _listing(names: Sequence[str]) -> str:
    n = len(names)
    return f"{n} variable{'s' if n > 1 else ''} ({', '.join(names)})"


def _shaped(values: list[float]) -> Any:
    """One variable: a scalar; several: a vector."""
    import numpy as np

    return np.asarray(values[0] if len(values) == 1 else values, np.float64)


def _problem(
    expression: str,
    over: list[str],
    at: list[float] | None,
    variables: str | None,
    degree: int,
    rounding: Rounding,
    trust_regions: bool,
) -> tuple[Any, tuple[str, ...], list[float], list[float], list[float]]:
    """``(bounder, names, x0, lo, hi)`` from the command line's words (x0 defaults to the
    centre of the box; one --over may serve every variable)."""
    import autobound as ab

    bounder = ab.taylor_bounds(
        expression,
        degree=degree,
        variables=_parse_variables(variables),
        rounding=rounding.value,
        trust_regions=trust_regions,
        dtype="float64",
    )
    names = tuple(bounder.variables) or ("x",)
    n = len(names)
    intervals = [_parse_interval(text) for text in over]
    if len(intervals) == 1:
        intervals *= n
    if len(intervals) != n:
        raise _BadInput(
            f"{expression!r} has {_listing(names)} but --over was given {len(over)} times: give "
            "one --over LO HI per variable, in this order, or a single --over for all of them"
        )
    lo = [a for a, _ in intervals]
    hi = [b for _, b in intervals]
    if at:
        if len(at) != n:
            raise _BadInput(
                f"{expression!r} has {_listing(names)} but --at was given {len(at)} times: give "
                "one --at per variable, in this order, or none (the centre of the box)"
            )
        x0 = list(at)
    else:
        x0 = [a + (b - a) / 2 for a, b in intervals]
    return bounder, names, x0, lo, hi


# ---------------------------------------------------------------------------------------------
# Commands

_BOUND_HELP = """Bound EXPRESSION over a box by a degree-K Taylor polynomial whose last \
coefficient is an interval: for every x in the box, lower(x) <= f(x) <= upper(x).

Variables are taken in name order (x, y, z, ...) unless --variables fixes the order. Give one \
--over LO HI per variable, in that order, or a single --over for all of them; give one --at per \
variable or none (the centre of the box).

[bold]Examples[/bold]

  autobound bound "1.5*exp(3*x) - 25*x**2" --at 0.5 --over 0 1 --plot bounds.png

  autobound bound "exp(x)*sin(y)" --at 0.1 --at 0.2 --over -1 1 --over -1 1

  autobound bound "log(1 + x^2) + relu(y)" --over -2 2 --degree 3 --rounding outward --json

An expression starting with "-" goes after "--": autobound bound --over 0 1 -- "-x**2"."""


@app.command(
    cls=_BoundCommand,
    no_args_is_help=True,
    help=_BOUND_HELP,
    short_help="Guaranteed polynomial upper and lower bounds of a function over a box.",
)
@_guarded
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

    bounder, names, x0, lo, hi = _problem(
        expression, over, at, variables, degree, rounding, trust_regions
    )
    n = len(names)
    if plot is not None:
        if n > 1:
            raise _BadInput(
                f"--plot draws functions of one variable; {expression!r} has {_listing(names)}"
            )
        if not plot.parent.is_dir():
            raise _BadInput(f"--plot: the folder {str(plot.parent)!r} does not exist")

    result = bounder(_shaped(x0), (_shaped(lo), _shaped(hi)))
    if plot is not None:
        import matplotlib.pyplot as plt

        try:
            figure = result.plot(str(plot))
        except OSError as err:
            raise _BadInput(f"--plot: cannot write {str(plot)!r}: {err}") from None
        plt.close(figure)

    width = np.asarray(result.width(), np.float64)
    if as_json:
        doc = {"expression": expression, "variables": list(names), **result.as_dict()}
        doc["width"] = width.tolist()
        if plot is not None:
            doc["plot"] = str(plot)
        typer.echo(json.dumps(doc))
        return

    out = Console()
    out.print(Text(f"f({', '.join(names)}) = {expression}", style="bold"), soft_wrap=True)
    x0_text = ", ".join(f"{v} = {_num(a)}" for v, a in zip(names, x0, strict=True))
    out.print(Text(f"expansion point: {x0_text}"), soft_wrap=True)
    out.print(Text(f"region: {_region_text(names, lo, hi)}"), soft_wrap=True)
    out.print(Text(f"degree: {degree}   rounding: {rounding.value}"), soft_wrap=True)
    table = Table(title="Taylor enclosure coefficients", title_justify="left")
    table.add_column("degree", justify="right")
    table.add_column("term", overflow="fold")
    table.add_column(Text("coefficient (value or [lo, hi])"), overflow="fold")
    for row in _coefficient_rows(result, names):
        table.add_row(*(Text(cell) for cell in row))
    out.print(table)
    out.print(Text(f"polynomial: {result.to_sympy()}"), soft_wrap=True)
    out.print(
        Text(f"width: upper - lower <= {_num(np.max(width))} everywhere on the region"),
        soft_wrap=True,
    )
    if plot is not None:
        out.print(Text(f"plot written to {plot}"), soft_wrap=True)


_CROSSCHECK_HELP = """Bound EXPRESSION as `autobound bound` does, then check the enclosure \
independently: f is evaluated in mpmath at PREC bits (never through the JAX engine) at the \
corners of the box, x0, points next to them and random points, and compared with the enclosure \
evaluated exactly. Exit status 0 when every point lies inside, 1 when some do not.

[bold]Example[/bold]

  autobound crosscheck "sigmoid(3*x) * log1p(x^2)" --at 0.2 --over -1 1 --degree 3"""


@app.command(
    "crosscheck",
    cls=_BoundCommand,
    no_args_is_help=True,
    help=_CROSSCHECK_HELP,
    short_help="Check a bound against f evaluated in mpmath, independently of the engine.",
)
@_guarded
def crosscheck_command(
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
    from autobound.verify import crosscheck

    bounder, names, x0, lo, hi = _problem(
        expression, over, at, variables, degree, rounding, trust_regions
    )
    result = bounder(_shaped(x0), (_shaped(lo), _shaped(hi)))
    coefficients = [
        (np.asarray(c.lo, np.float64), np.asarray(c.hi, np.float64))
        if is_interval(c)
        else np.asarray(c, np.float64)
        for c in result.coefficients
    ]
    x0v = np.asarray(result.x0, np.float64)
    region = tuple(np.asarray(v, np.float64) for v in result.region)
    graph = bounder.graph(x0v.shape)
    report = crosscheck(graph, coefficients, x0v, region, n_points=points, prec=prec, seed=seed)
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
        out.print(Text(f"f({', '.join(names)}) = {expression}", style="bold"), soft_wrap=True)
        out.print(
            Text(f"degree {degree}, rounding {rounding.value}, region: "
                 f"{_region_text(names, lo, hi)}"),
            soft_wrap=True,
        )  # fmt: skip
        out.print(Text(str(report)), soft_wrap=True)
        for x, f, a, b in worst:
            out.print(Text(f"  at x = {np.asarray(x).tolist()}: f = {f} not in [{a}, {b}]"))
    if not report.ok:
        raise typer.Exit(int(ExitCode.CHECK_FAILED))


_KINDS = ("elementwise", "arith", "linear", "bilinear")


@app.command("ops")
@_guarded
def ops_command(
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

    if kind is not None and kind not in _KINDS:
        raise _BadInput(f"--kind must be one of {', '.join(_KINDS)}, got {kind!r}")
    rows = sorted(
        (o for o in OPS.values() if o.name in RULES and (kind is None or o.kind == kind)),
        key=lambda o: _KINDS.index(o.kind) if o.kind in _KINDS else len(_KINDS),
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
        table.add_row(Text(o.name), Text(o.kind), Text(o.doc))
    Console().print(table)


def main() -> None:
    """Run the command line (``python -m autobound``)."""
    app(prog_name="autobound")


from . import cli_certificates  # noqa: E402, F401  (registers `prove` and `check`)
