"""What every ``autobound`` command shares: exit codes, the error guard, option parsing, and
the one way text derived from input reaches a terminal (:func:`inert`)."""

from __future__ import annotations

import enum
import functools
import os
import re
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.text import Text
from typer.core import TyperCommand

__all__ = [
    "BadInput",
    "ExitCode",
    "IntervalCommand",
    "Rounding",
    "fail",
    "guarded",
    "inert",
    "interval_words",
    "parse_variables",
    "text",
    "writable_file",
]


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


class BadInput(Exception):
    """Command-line input that the engine never sees (wrong number of --at values, ...)."""


# ---------------------------------------------------------------------------------------------
# Terminal safety: text that comes from input (expressions, variable names read from a
# certificate, file names) is printed with its control characters escaped, so that it can
# neither move the cursor, recolour, clear the screen, nor start a line of its own.


def _escape(char: str) -> str:
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _is_control(char: str) -> bool:
    # Cc: C0/C1 controls and DEL (ESC, CR, newline, ...); Cf: format characters (bidi
    # overrides that reorder a line, zero-width ones); Zl/Zp: line and paragraph separators;
    # Cs/Co/Cn: surrogates, private use, unassigned.
    return unicodedata.category(char)[0] == "C" or unicodedata.category(char) in ("Zl", "Zp")


def inert(value: object) -> str:
    """``str(value)`` with every control, format and separator character written as an escape
    (``"\\x1b"``, ``"\\u202e"``): safe to print on a terminal, and one line."""
    s = str(value)
    if s.isprintable() and s.isascii():
        return s
    return "".join(_escape(c) if _is_control(c) else c for c in s)


def text(value: object, style: str | None = None) -> Text:
    """A rich :class:`~rich.text.Text` of :func:`inert` ``(value)``: no markup, no escapes."""
    return Text(inert(value), style=style or "")


# ---------------------------------------------------------------------------------------------
# Errors: bad input exits 2 with one line on stderr, anything else 70 ("this is a bug").


def fail(code: ExitCode, message: str) -> None:
    """Print ``error: message`` on stderr and exit with `code`."""
    Console(stderr=True).print(Text("error: ", style="bold red") + text(message), soft_wrap=True)
    raise typer.Exit(int(code))


def jax_cache_dir() -> str | None:
    """Where the command line keeps XLA's compiled programs between runs:
    ``$AUTOBOUND_JAX_CACHE``, else ``$XDG_CACHE_HOME/autobound/jax`` (``~/.cache/autobound/jax``);
    None when ``AUTOBOUND_JAX_CACHE`` is ``off`` (or ``0``, ``no``, ``false``, empty)."""
    where = os.environ.get("AUTOBOUND_JAX_CACHE")
    if where is not None:
        return None if where.strip().lower() in ("", "0", "off", "no", "false") else where
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return str(Path(base) / "autobound" / "jax")


def _enable_x64() -> None:
    """float64 JAX, and the persistent compilation cache unless the process (a test
    session, a notebook) already chose one: a command's second run skips XLA's compile."""
    import jax

    jax.config.update("jax_enable_x64", True)
    where = jax_cache_dir()
    if where is not None and not jax.config.jax_compilation_cache_dir:
        jax.config.update("jax_compilation_cache_dir", where)
        # the applications compile many small programs (one per node group, 0.05-1 s
        # each: autobound/staged.py); a cache hit costs milliseconds
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.1)


def guarded(command: Callable[..., None], engine: bool = True) -> Callable[..., None]:
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
        except BadInput as err:
            code, message = ExitCode.BAD_INPUT, str(err)
        except Exception as err:  # noqa: BLE001 - every failure gets a message and a code
            from autobound.errors import AutoBoundError

            if isinstance(err, AutoBoundError):
                code, message = ExitCode.BAD_INPUT, str(err)
            else:
                code = ExitCode.INTERNAL_ERROR
                message = (
                    f"internal error ({type(err).__name__}: {err}); this is a bug in "
                    "autobound, please report it with the command line that caused it"
                )
        fail(code, message)

    return run


# ---------------------------------------------------------------------------------------------
# `--over LO HI`: two numbers per occurrence, repeatable.
#
# Typer has no repeatable two-value option, so `--over LO HI` is joined into the one token
# `--over "LO HI"` before parsing; `--over LO,HI` and `--over "[LO, HI]"` are accepted as well.


def is_number(token: str) -> bool:
    """Whether `token` reads as a float."""
    try:
        float(token)
    except ValueError:
        return False
    return True


def _option_words(params: Sequence[Any]) -> tuple[set[str], set[str]]:
    """The option names of a command's `params`, and those of them that take a value."""
    names: set[str] = set()
    valued: set[str] = set()
    for p in params:
        if p.param_type_name == "option":
            opts = [*p.opts, *p.secondary_opts]
            names.update(opts)
            if not (p.is_flag or p.count):
                valued.update(opts)
    return names, valued


def _join_interval_tokens(args: Sequence[str], names: set[str]) -> list[str]:
    """``--over LO HI`` (and ``--support``) as the option and one word ``"LO HI"``; `names`:
    the command's option names."""
    out: list[str] = []
    i = 0
    while i < len(args):
        token = args[i]
        if token == "--":
            out.extend(args[i:])
            break
        if token in ("--over", "--support") and i + 2 < len(args):
            lo, hi = args[i + 1], args[i + 2]
            # A second token that is not an option belongs to --over even when it is not a
            # number, so that `--over 0 a` is reported as a bad interval.
            if _is_end(lo, names) and _is_end(hi, names):
                out += [token, f"{lo} {hi}"]
                i += 3
                continue
        out.append(token)
        i += 1
    return out


def _is_end(token: str, names: set[str]) -> bool:
    """Whether `token` can be one end of ``--over LO HI``: a number or a constant such as
    ``-pi/2``, not an option and not already a pair (``"0 1"``, ``0,1``)."""
    if is_number(token):
        return True
    return not (token.startswith("--") or token in names or re.search(r"[\s,;]", token))


def _leading_minus_last(args: Sequence[str], names: set[str], valued: set[str]) -> list[str]:
    """`args` with a positional word that starts with ``-`` (an expression such as
    ``-x**2 + 1``, which the parser would take for an unknown option) moved behind ``--``.
    Words that are option `names` of the command, or the values of options that take one
    (`valued`: ``--ge -1e-9``, ``--at -0.5``), stay where they are; so do args that already
    have a ``--``."""
    if "--" in args:
        return list(args)
    out: list[str] = []
    moved: list[str] = []
    i = 0
    while i < len(args):
        token = args[i]
        if token in valued:
            out += args[i : i + 2]
            i += 2
            continue
        if token.startswith("-") and not token.startswith("--") and token not in names:
            moved.append(token)
        else:
            out.append(token)
        i += 1
    return out + ["--", *moved] if moved else out


class IntervalCommand(TyperCommand):
    """A command that takes ``--over LO HI`` as two words, and an expression that starts
    with ``-`` as its argument."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        names, valued = _option_words(self.params)
        args = _leading_minus_last(_join_interval_tokens(args, names), names, valued)
        return super().parse_args(ctx, args)


def interval_words(text: str) -> tuple[str, str]:
    """The two words of an --over value: "LO HI", "LO,HI" or "[LO, HI]"."""
    parts = [p for p in re.split(r"[\s,;]+", text.strip().strip("[]").strip()) if p]
    if len(parts) != 2:
        raise BadInput(f"--over needs two numbers LO HI, got {text!r}")
    return parts[0].replace("π", "pi"), parts[1].replace("π", "pi")


def parse_variables(text: str | None) -> tuple[str, ...] | None:
    """The names of ``--variables x,y`` in order (None when the option is absent)."""
    if text is None:
        return None
    names = tuple(p for p in re.split(r"[\s,]+", text.strip()) if p)
    if not names:
        raise BadInput("--variables needs at least one name, e.g. --variables x,y")
    return names


def listing(names: Sequence[str]) -> str:
    """``"2 variables (x, y)"``."""
    n = len(names)
    return f"{n} variable{'s' if n != 1 else ''} ({', '.join(names)})"


def writable_file(path: Path, option: str) -> None:
    """Refuse an output path that cannot be written (a missing folder, a folder itself, a
    read-only place) before any work is done."""
    folder = path.parent
    if path.is_dir():
        raise BadInput(f"{option}: {str(path)!r} is a folder; give a file name")
    if not folder.is_dir():
        raise BadInput(f"{option}: the folder {str(folder)!r} does not exist")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise BadInput(f"{option}: {str(path)!r} is not writable")


def write_certificate(out: Path | None, certificate: Any) -> None:
    """Write `certificate` (when there is one) to the --out path (when given)."""
    if out is None or certificate is None:
        return
    try:
        out.write_text(certificate.to_json())
    except OSError as err:
        raise BadInput(f"--out: cannot write {str(out)!r}: {err.strerror or err}") from None
