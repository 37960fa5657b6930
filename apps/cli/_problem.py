"""The problem ``bound`` and ``crosscheck`` are about: a bounder, its variables, x0 and the
box, read from the command line's words; and the number formats they print."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._common import BadInput, Rounding, interval_words, is_number, listing, parse_variables

__all__ = ["Problem", "num", "problem", "region_text", "shaped"]


def num(v: Any) -> str:
    """A float as Python writes it (shortest round-trip form)."""
    return repr(float(v))


def region_text(names: Sequence[str], lo: Sequence[float], hi: Sequence[float]) -> str:
    """``"x in [0.0, 1.0], y in [-1.0, 1.0]"``."""
    ends = zip(names, lo, hi, strict=True)
    return ", ".join(f"{v} in [{num(a)}, {num(b)}]" for v, a, b in ends)


def shaped(values: list[float]) -> Any:
    """One variable: a scalar; several: a vector."""
    import numpy as np

    return np.asarray(values[0] if len(values) == 1 else values, np.float64)


def parse_interval(text: str) -> tuple[float, float]:
    """The two floats of an ``--over`` value."""
    lo, hi = interval_words(text)
    if not (is_number(lo) and is_number(hi)):
        raise BadInput(f"--over needs two numbers LO HI, got {text!r}")
    return float(lo), float(hi)


Problem = tuple[Any, tuple[str, ...], list[float], list[float], list[float]]


def problem(
    expression: str,
    over: list[str],
    at: list[float] | None,
    variables: str | None,
    degree: int,
    rounding: Rounding,
    trust_regions: bool,
) -> Problem:
    """``(bounder, names, x0, lo, hi)`` from the command line's words (x0 defaults to the
    centre of the box; one --over may serve every variable)."""
    import autobound as ab

    intervals = [parse_interval(text) for text in over]
    bounder = ab.taylor_bounds(
        expression,
        degree=degree,
        variables=parse_variables(variables),
        rounding=rounding.value,
        trust_regions=trust_regions,
        dtype="float64",
    )
    names = tuple(bounder.variables) or ("x",)
    n = len(names)
    if len(intervals) == 1:
        intervals *= n
    if len(intervals) != n:
        raise BadInput(
            f"the expression has {listing(names)} but --over was given {len(over)} times: give "
            "one --over LO HI per variable, in this order, or a single --over for all of them"
        )
    lo = [a for a, _ in intervals]
    hi = [b for _, b in intervals]
    if at:
        if len(at) != n:
            raise BadInput(
                f"the expression has {listing(names)} but --at was given {len(at)} times: give "
                "one --at per variable, in this order, or none (the centre of the box)"
            )
        x0 = list(at)
    else:
        x0 = [a + (b - a) / 2 for a, b in intervals]
    return bounder, names, x0, lo, hi
