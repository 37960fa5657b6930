"""Boxes as users give them, read exactly: the one place the applications parse box ends.

A box end may be a float, an int, a :class:`~fractions.Fraction`, an exact string
(``"1/3"``, ``"0x1.8p-3"``, ``"10**-7"`` as a number a certificate would hold) or a constant
expression (``"pi/2"``, a sympy number).  Each is read as an exact rational; a constant that
no double holds is enclosed outward (its lower end rounded down, its upper end up, after a
60-digit evaluation widened by 10⁻⁵⁰ relative), so the box the applications work on contains
the one asked for.  :class:`ExactBox` keeps both the exact ends and their double roundings.
"""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction
from typing import Any

import numpy as np

from autobound.errors import AutoBoundError, InvalidArgument, InvalidRegion
from autobound.verify.exact import read_number

__all__ = ["ExactBox", "down", "exact_box", "exact_number", "number_bounds", "up"]


def down(q: Fraction) -> float:
    """The largest double <= q."""
    x = float(q)
    return x if Fraction(x) <= q else math.nextafter(x, -math.inf)


def up(q: Fraction) -> float:
    """The smallest double >= q."""
    x = float(q)
    return x if Fraction(x) >= q else math.nextafter(x, math.inf)


def exact_number(v: Any) -> Fraction:
    """A number given to an application, exactly: floats and Fractions as they are, text and
    ints as a certificate would read them (:func:`autobound.verify.exact.read_number`)."""
    if isinstance(v, bool):
        raise InvalidArgument(f"{v!r} is not a number")
    if isinstance(v, (float, np.floating)):
        if not math.isfinite(v):
            raise InvalidArgument(f"{v!r} is not a finite number")
        return Fraction(float(v))
    if isinstance(v, Fraction):
        return v
    if isinstance(v, (int, np.integer)):
        return Fraction(int(v))
    return read_number(v)


def number_bounds(v: Any) -> tuple[Fraction, Fraction]:
    """A box end as ``(below, above)``: both the number when it is exact, else doubles around
    the constant expression's value."""
    try:
        q = exact_number(v)
        return q, q
    except AutoBoundError:
        if not isinstance(v, str) and not hasattr(v, "free_symbols"):
            raise
    import sympy

    try:
        expr = sympy.sympify(v, rational=True) if isinstance(v, str) else v
    except (sympy.SympifyError, SyntaxError, TypeError, ValueError) as err:
        raise InvalidRegion(f"box end {v!r} is not a number or a constant expression") from err
    if expr.free_symbols or not expr.is_real or not expr.is_finite:
        raise InvalidRegion(f"box end {v!r} is not a real constant (or not finite)")
    approx = Fraction(str(sympy.N(expr, 60)))  # within 1e-58 relative of the true value
    slack = abs(approx) * Fraction(1, 10**50) + Fraction(1, 10**300)
    return Fraction(down(approx - slack)), Fraction(up(approx + slack))


@dataclasses.dataclass(frozen=True)
class ExactBox:
    """A box given by the user, read exactly.

    ``lo``/``hi`` (Fractions) are ends of a box that contains the user's (the ends
    themselves where they are numbers; a constant such as pi/2 is rounded outward);
    ``lo_in``/``hi_in`` are ends of a box inside it (the same numbers, constants rounded
    inward).  ``outer`` and ``inner`` are these as doubles, rounded outward and inward again:
    bounds over ``outer`` hold over the user's box, and points of ``inner`` are points of it.
    """

    lo: tuple[Fraction, ...]
    hi: tuple[Fraction, ...]
    lo_in: tuple[Fraction, ...]
    hi_in: tuple[Fraction, ...]

    @property
    def n(self) -> int:
        return len(self.lo)

    @property
    def outer(self) -> tuple[np.ndarray, np.ndarray]:
        return np.array([down(a) for a in self.lo]), np.array([up(b) for b in self.hi])

    @property
    def inner(self) -> tuple[np.ndarray, np.ndarray]:
        return np.array([up(a) for a in self.lo_in]), np.array([down(b) for b in self.hi_in])


def exact_box(box: Any, n: int | None = None) -> ExactBox:
    """Read a box: one ``(lo, hi)`` pair per variable, ``lo < hi``, finite.

    `n`, when given, is the number of variables the function has; a box with another number
    of sides is an error naming both.
    """
    try:
        pairs = [tuple(side) for side in box]
    except TypeError as err:
        raise InvalidRegion(f"a box is a list of (lo, hi) pairs, got {box!r:.80}") from err
    if not pairs:
        raise InvalidRegion("the box has no sides")
    if any(len(p) != 2 for p in pairs):
        raise InvalidRegion("every side of the box must be a (lo, hi) pair")
    if n is not None and len(pairs) != n:
        raise InvalidRegion(f"the box has {len(pairs)} sides, the function {n} variable(s)")
    lows = [number_bounds(a) for a, _ in pairs]
    highs = [number_bounds(b) for _, b in pairs]
    lo, lo_in = tuple(a for a, _ in lows), tuple(a for _, a in lows)
    hi, hi_in = tuple(b for _, b in highs), tuple(b for b, _ in highs)
    for j, (a, b) in enumerate(zip(lo_in, hi_in, strict=True)):
        if not a < b:
            raise InvalidRegion(
                f"side {j} of the box is empty or reversed: [{float(a):.17g}, {float(b):.17g}] "
                "(needs lo < hi)"
            )
        if max(abs(a), abs(b)) > Fraction(2) ** 1000:
            raise InvalidRegion(f"side {j} of the box is too far out (|end| > 2^1000)")
    return ExactBox(lo, hi, lo_in, hi_in)
