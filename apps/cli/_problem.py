"""The problem ``bound`` and ``crosscheck`` are about: a bounder, its variables, x0 and the
box, read from the command line's words; and the number formats they print."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from fractions import Fraction
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


# Numbers, pi, e, sqrt and arithmetic with at most one power: the text goes to sympy's parser,
# which evaluates.
_CONSTANT = re.compile(r"(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+|pi|e|sqrt|[+\-*/^() ])+")


def constant(word: str, up: bool) -> float:
    """A number (``0.5``) or a constant expression (``-pi/2``, ``2^-10``, ``sqrt(2)``) as a
    float rounded down (or `up`), so that a box built from such ends contains the exact one,
    as ``prove`` reads its box."""
    if is_number(word):
        return float(word)
    import sympy
    from sympy.parsing.sympy_parser import (
        convert_xor,
        parse_expr,
        rationalize,
        standard_transformations,
    )

    powers = word.count("^") + word.count("**")  # pi^pi^pi^pi would not finish evaluating
    if len(word) > 100 or powers > 1 or not _CONSTANT.fullmatch(word):
        raise BadInput(f"--over: {word!r} is not a number or a constant such as pi/2")
    try:
        value = parse_expr(
            word,
            local_dict={"pi": sympy.pi, "e": sympy.E, "sqrt": sympy.sqrt},
            global_dict={
                "__builtins__": {},
                "Integer": sympy.Integer,
                "Rational": sympy.Rational,
                "Float": sympy.Float,
            },
            transformations=standard_transformations + (convert_xor, rationalize),
        )
        if value.free_symbols or not value.is_real or not value.is_finite:
            raise ValueError
        exact = value.is_Rational
        approx = (
            Fraction(int(value.p), int(value.q)) if exact else Fraction(str(sympy.N(value, 40)))
        )
    except Exception:  # noqa: BLE001 - any unreadable word is the same bad input
        raise BadInput(f"--over: {word!r} is not a number or a constant such as pi/2") from None
    # An irrational constant's approx is within a relative 1e-39 of it: step past it by more,
    # then round the float in the same direction.
    slack = 0 if exact else abs(approx) * Fraction(1, 10**35) + Fraction(1, 10**320)
    target = approx + slack if up else approx - slack
    near = float(target)
    if (Fraction(near) < target) if up else (Fraction(near) > target):
        near = math.nextafter(near, math.inf if up else -math.inf)
    return near


def parse_interval(text: str) -> tuple[float, float]:
    """The two ends of an ``--over`` value, numbers or constants rounded outward."""
    lo, hi = interval_words(text)
    return constant(lo, up=False), constant(hi, up=True)


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
