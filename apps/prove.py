"""A simple prover over the engine: bisect a box until Taylor enclosures prove a claim, and
write what they proved as a certificate that :func:`autobound.verify.check_certificate`
re-checks on its own.

Claims: ``f >= c`` / ``f > c`` / ``f <= c`` / ``f < c`` on a box (:func:`prove`), the global
minimum in an interval of width about `tol` (:func:`certify_minimum`), and the integral in an
interval of width about `tol` (:func:`certify_integral`).  Every leaf's enclosure is computed
in outward rounding (valid for the real function), many leaves per jitted call.  The full
branch-and-bound prover (smarter splitting, counterexample search) is its own issue.
"""

from __future__ import annotations

import functools
import heapq
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

import numpy as np

from autobound.api import Bounder, taylor_bounds
from autobound.apps.box import down as _down
from autobound.apps.box import exact_box, exact_number
from autobound.apps.box import up as _up
from autobound.errors import InvalidArgument
from autobound.interval import is_interval
from autobound.verify.certificate import (
    BoundClaim,
    Certificate,
    Expression,
    IntegralClaim,
    Leaf,
    MinimumClaim,
    box_volume,
    enclosure_integral,
    enclosure_range,
)
from autobound.verify.exact import read_number, write_number
from autobound.verify.graph_json import graph_to_json

Box = tuple[tuple[Fraction, ...], tuple[Fraction, ...]]
Status = Literal["proved", "disproved", "unknown"]


@dataclass(frozen=True)
class Proof:
    """A prover's outcome: ``proved`` (with a certificate), ``disproved`` (with a point where
    the claim fails, shown by an enclosure of f there), or ``unknown`` (budget spent)."""

    status: Status
    certificate: Certificate | None
    counterexample: tuple[float, ...] | None
    boxes: int
    message: str

    def __bool__(self) -> bool:
        return self.status == "proved"


@functools.lru_cache(maxsize=32)
def _cached_bounder(f: Any, degree: int, variables: tuple[str, ...] | None) -> Bounder:
    return taylor_bounds(f, degree, variables, rounding="outward")


def _bounder(f: Any, degree: int, variables: tuple[str, ...] | None) -> Bounder:
    """The engine for f; for a string (immutable, unlike a closure's captured arrays) kept
    across calls, with its jit cache."""
    if isinstance(f, str):
        return _cached_bounder(f, degree, variables)
    return taylor_bounds(f, degree, variables, rounding="outward")


class _Engine:
    """Enclosures of f over many exact boxes, one batched jitted call per chunk."""

    def __init__(
        self,
        f: Any,
        box: Sequence[Sequence[Any]],
        degree: int,
        variables: Any,
        chunk: int,
        max_boxes: int,
    ):
        if max_boxes < 1 or chunk < 1:
            raise InvalidArgument("max_boxes and chunk must be positive")
        self.bounder = _bounder(f, degree, tuple(variables) if variables is not None else None)
        exact = exact_box(box)
        lo_, hi_ = exact.lo, exact.hi
        self.box: Box = (lo_, hi_)
        self.n = len(lo_)
        names = self.bounder.variables  # strings and sympy: x is () for one variable, else (n,)
        if names and len(names) != self.n:
            raise InvalidArgument(
                f"the box has {self.n} sides, f has {len(names)} variable(s): {', '.join(names)}"
            )
        self.shape = () if self.n == 1 else (self.n,)
        self.graph = self.bounder.graph(self.shape)
        self.variables = list(self.bounder.variables) or [f"x{j}" for j in range(self.n)]
        self.boxes = 0
        self.chunk = chunk

    def leaves(self, boxes: list[Box]) -> list[Leaf | None]:
        """A :class:`Leaf` (no record yet) per box, None where the enclosure is not finite."""
        size = self.chunk  # one batch size: one compilation
        los = np.array([[_down(a) for a in b[0]] for b in boxes])
        his = np.array([[_up(a) for a in b[1]] for b in boxes])
        x0s = (los + his) / 2
        pad = lambda a: np.concatenate([a, np.repeat(a[-1:], size - len(a), 0)])  # noqa: E731
        shaped = lambda a: pad(a).reshape((size, *self.shape))  # noqa: E731
        coeffs = self.bounder.batch(shaped(x0s), shaped(los), shaped(his))
        self.boxes += len(boxes)
        ends = []
        for c in coeffs:
            lo_, hi_ = (c.lo, c.hi) if is_interval(c) else (c, c)
            ends.append((np.asarray(lo_).reshape(size, -1), np.asarray(hi_).reshape(size, -1)))
        out: list[Leaf | None] = []
        for k, (box, x0) in enumerate(zip(boxes, x0s, strict=False)):
            x0 = [Fraction(float(v)) for v in x0]
            finite = all(np.all(np.isfinite(a[k])) and np.all(np.isfinite(b[k])) for a, b in ends)
            inside = all(s <= v <= t for v, s, t in zip(x0, *box, strict=True))
            if not (finite and inside):
                out.append(None)
                continue
            out.append(
                Leaf(
                    lo=[write_number(v) for v in box[0]],
                    hi=[write_number(v) for v in box[1]],
                    x0=[write_number(v) for v in x0],
                    coefficients=[
                        [
                            [write_number(float(p)), write_number(float(q))]
                            for p, q in zip(a[k], b[k], strict=True)
                        ]
                        for a, b in ends
                    ],
                )
            )
        return out

    def proof(self, claim: Any, leaves: list[Leaf], degree: int) -> Proof:
        """The ``proved`` outcome: the certificate of `claim` with the done leaves."""
        certificate = Certificate(
            expression=Expression(graph=graph_to_json(self.graph), text=_text(self.bounder.f)),
            variables=self.variables,
            box=[[write_number(a), write_number(b)] for a, b in zip(*self.box, strict=True)],
            claim=claim,
            leaves=leaves,
            prover={"name": "autobound.apps.prove", "degree": degree, "rounding": "outward"},
        )
        return Proof("proved", certificate, None, self.boxes, "proved")


def _text(f: Any) -> str | None:
    return f if isinstance(f, str) else (str(f) if not callable(f) else None)


def _halves(box: Box) -> tuple[Box, Box]:
    a, b = box
    j = max(range(len(a)), key=lambda k: b[k] - a[k])
    mid = Fraction(float((a[j] + b[j]) / 2))
    if not a[j] < mid < b[j]:
        mid = (a[j] + b[j]) / 2
    return (a, (*b[:j], mid, *b[j + 1 :])), ((*a[:j], mid, *a[j + 1 :]), b)


class _Disproved(Exception):
    def __init__(self, leaf: Leaf):
        super().__init__("counterexample")
        self.leaf = leaf


def _run(
    engine: _Engine, score: Callable[[Leaf, Box], Leaf | float], max_boxes: int, chunk: int
) -> tuple[list[Leaf], Proof | None]:
    """Bisect boxes until `score` accepts them or the budget is spent.

    `score(leaf, box)` returns the finished leaf (with its record) when the leaf is done, else
    a priority (higher splits first).  Returns the done leaves and, when boxes are left open,
    the ``unknown`` :class:`Proof` to give back.
    """
    done: list[Leaf] = []
    open_: list[tuple[float, int, Box]] = [(0.0, 0, engine.box)]
    tie = 0
    while open_ and engine.boxes < max_boxes:
        take = [heapq.heappop(open_)[2] for _ in range(min(chunk, len(open_)))]
        for box, leaf in zip(take, engine.leaves(take), strict=True):
            result = math.inf if leaf is None else score(leaf, box)
            if isinstance(result, Leaf):
                done.append(result)
                continue
            for half in _halves(box):
                tie += 1
                heapq.heappush(open_, (-result, tie, half))
    if open_:
        count = engine.boxes
        return done, Proof("unknown", None, None, count, f"{len(open_)} boxes left after {count}")
    return done, None


def prove(
    f: Any,
    box: Sequence[Sequence[Any]],
    claim: Literal["ge", "gt", "le", "lt"] = "ge",
    value: Any = 0,
    degree: int = 2,
    variables: Sequence[str] | None = None,
    max_boxes: int = 20_000,
    chunk: int = 256,
) -> Proof:
    """Prove ``f >= value`` (or ``>``, ``<=``, ``<``, by `claim`) for every x in `box`.

    `box` is one ``(lo, hi)`` per variable (floats, ints, Fractions, exact strings such as
    ``"1/3"``, or constants such as ``"pi/2"``, rounded outward to doubles); a Python function
    of ``jax.numpy`` arrays gets x of shape ``()`` for one variable, ``(n,)`` for n.  Returns
    a :class:`Proof` whose certificate the independent checker accepts.
    """
    if claim not in ("ge", "gt", "le", "lt"):
        raise InvalidArgument(f"claim must be 'ge', 'gt', 'le' or 'lt', got {claim!r}")
    engine = _Engine(f, box, degree, variables, chunk, max_boxes)
    c = exact_number(value)
    upper = claim in ("le", "lt")
    holds = {
        "ge": lambda r: r[0] >= c,
        "gt": lambda r: r[0] > c,
        "le": lambda r: r[1] <= c,
        "lt": lambda r: r[1] < c,
    }[claim]

    def score(leaf: Leaf, box: Box) -> Leaf | float:
        r = enclosure_range(leaf, engine.n)
        if holds(r):
            return _with(leaf, range=r)
        ((c_lo, c_hi),) = leaf.coefficients[0]
        if (read_number(c_lo) > c) if upper else (read_number(c_hi) < c):
            raise _Disproved(leaf)  # f(x0) itself breaks the claim
        return float(r[1] - c) if upper else float(c - r[0])

    try:
        leaves, unknown = _run(engine, score, max_boxes, chunk)
    except _Disproved as found:
        x = tuple(float(read_number(v)) for v in found.leaf.x0)
        return Proof("disproved", None, x, engine.boxes, f"the claim fails at x = {x}")
    kind = BoundClaim(kind=claim, value=write_number(c))
    return unknown if unknown is not None else engine.proof(kind, leaves, degree)


def _positive(tol: float) -> None:
    if not tol > 0:
        raise InvalidArgument(f"tol must be positive, got {tol!r}")


def _with(leaf: Leaf, **records: tuple[Fraction, Fraction]) -> Leaf:
    pairs = {k: [write_number(a), write_number(b)] for k, (a, b) in records.items()}
    return leaf.model_copy(update=pairs)


def certify_minimum(
    f: Any,
    box: Sequence[Sequence[Any]],
    tol: float = 1e-6,
    degree: int = 2,
    variables: Sequence[str] | None = None,
    max_boxes: int = 20_000,
    chunk: int = 256,
) -> Proof:
    """Enclose ``min f`` over `box` in ``[l, u]`` with ``u - l <= tol`` (about): u is f at a
    witness point (an upper end of its enclosure), l the least lower bound over the leaves,
    lowered by tol/4 to leave the checker room."""
    _positive(tol)
    engine = _Engine(f, box, degree, variables, chunk, max_boxes)
    best = [math.inf, None]
    lows: list[Fraction] = []

    def score(leaf: Leaf, box: Box) -> Leaf | float:
        ((_, c_hi),) = leaf.coefficients[0]
        if read_number(c_hi) < best[0]:
            best[:] = [read_number(c_hi), leaf.x0]
        r = enclosure_range(leaf, engine.n)
        if r[0] < best[0] - Fraction(tol) / 2:
            return float(best[0] - r[0])
        lows.append(r[0])
        return _with(leaf, range=r)

    leaves, unknown = _run(engine, score, max_boxes, chunk)
    if unknown is not None:  # (a Proof is falsy unless proved)
        return unknown
    low = min(lows) - Fraction(tol) / 4
    claim = MinimumClaim(
        kind="min_in", lower=write_number(_down(low)), upper=write_number(best[0]), witness=best[1]
    )
    return engine.proof(claim, leaves, degree)


def certify_integral(
    f: Any,
    box: Sequence[Sequence[Any]],
    tol: float = 1e-6,
    degree: int = 3,
    variables: Sequence[str] | None = None,
    max_boxes: int = 20_000,
    chunk: int = 256,
) -> Proof:
    """Enclose ``∫_box f`` in an interval of width about `tol`: leaves are split until each
    leaf's enclosure integral is narrower than ``tol/2`` times its share of the volume."""
    _positive(tol)
    engine = _Engine(f, box, degree, variables, chunk, max_boxes)
    volume = box_volume(engine.box)
    total = [Fraction(0), Fraction(0)]

    def score(leaf: Leaf, box: Box) -> Leaf | float:
        lo_, hi_ = enclosure_integral(leaf, engine.n)
        share = box_volume(box) / volume
        width = float(hi_ - lo_)
        if width > tol / 2 * share:
            return width / share
        total[0], total[1] = total[0] + lo_, total[1] + hi_
        return _with(leaf, integral=(lo_, hi_))

    leaves, unknown = _run(engine, score, max_boxes, chunk)
    if unknown is not None:  # (a Proof is falsy unless proved)
        return unknown
    total_lo, total_hi = total
    slack = Fraction(tol) / 4
    claim = IntegralClaim(
        kind="integral_in",
        lower=write_number(_down(total_lo - slack)),
        upper=write_number(_up(total_hi + slack)),
    )
    return engine.proof(claim, leaves, degree)
