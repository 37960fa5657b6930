"""Prove or disprove ``f >= c`` (``>``, ``<=``, ``<``) on a box, with a certificate that
:func:`autobound.verify.check_certificate` re-proves without the engine.

Branch and bound (:mod:`autobound.apps.bnb`) over the box: each box gets a degree-2 Taylor
enclosure of f at its centre in outward rounding (:mod:`autobound.apps.boxbound`); a box is
settled when the enclosure's range over it satisfies the claim; a box centre where f,
enclosed in outward rounding, breaks the claim is a counterexample (then the claim is
``disproved``).

**Tight claims.**  Where ``g = f - c`` touches 0 at a point t that is a box end or an
excluded point (``exp(x) >= 1 + x`` at 0, ``x - sin(x) > 0`` on ``(0, 1]``), no range bound
of a box holding t proves the claim (its lower end is at most ``g(t) = 0``, minus rounding).
One-variable claims are then proved near t by its **order of contact** k: the Taylor
coefficients ``g^(i)(t)/i!``, ``i < k``, are exactly 0 (computed in rational arithmetic by
:func:`autobound.verify.series.exact_taylor`, where the elementary functions take rational
values: exp(0) = 1, log(1) = 0, ...), so on a leaf ``[t, t + h]`` the degree-k enclosure at t
reads ``g(x) ∈ C_k (x − t)^k``, and the claim holds there when ``C_k`` has the right sign
(strictly for ``>``/``<``, where t must be excluded or an open end of the box).  Such leaves
go into a version-2 certificate with their contact order, which the checker re-derives by its
own means.

Box ends, excluded points and the bound c may be exact strings or constants (``"pi/2"``,
``"10**-7"``); see :mod:`autobound.apps.box`.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any, Literal

import jax
import jax.numpy as jnp
import numpy as np

import autobound as ab
from autobound.apps import boxbound
from autobound.apps.bnb import DROP, LEAF, SPLIT, BranchAndBound, State
from autobound.apps.box import ExactBox, exact_box, exact_number, number_bounds
from autobound.apps.boxbound import program
from autobound.apps.precision import in_float64
from autobound.errors import AutoBoundError, DomainError, InvalidArgument, InvalidRegion
from autobound.interval import Interval
from autobound.verify.certificate import (
    BoundClaim,
    Certificate,
    Contact,
    Leaf,
)
from autobound.verify.exact import write_number
from autobound.verify.series import exact_taylor, interval_taylor

__all__ = ["Proof", "certify_integral", "certify_minimum", "prove"]

Status = Literal["proved", "disproved", "unknown"]
Claim = Literal["ge", "gt", "le", "lt"]
MAX_CONTACT_ORDER = 8


@dataclasses.dataclass(frozen=True)
class Proof:
    """A prover's outcome: ``proved`` (with a certificate), ``disproved`` (with a point of
    the claim's domain where f, enclosed in outward rounding, breaks the claim), or
    ``unknown`` (a budget ran out; `message` says which)."""

    status: Status
    certificate: Certificate | None
    counterexample: tuple[float, ...] | None
    boxes: int
    message: str
    seconds: float = 0.0

    def __bool__(self) -> bool:
        return self.status == "proved"

    def __repr__(self) -> str:
        return f"Proof({self.status}: {self.message}; {self.boxes} boxes, {self.seconds:.2f} s)"


def _ends(v: Any) -> tuple[Any, Any]:
    return (v.lo, v.hi) if isinstance(v, Interval) else (v, v)


class _Prove:
    """The :class:`~autobound.apps.bnb.Search` of :func:`prove`."""

    def __init__(self, f, box: ExactBox, claim: Claim, c: Fraction, degree, variables, excluded,
                 open_ends):  # fmt: skip
        self.box, self.claim, self.c = box, claim, c
        self.upper = claim in ("le", "lt")
        self.strict = claim in ("gt", "lt")
        self.program = program(f, degree, variables, box.n)
        self.variables = self.program.variables
        self.inner_lo, self.inner_hi = box.inner
        self.excluded = excluded  # exact points (tuples of Fractions)
        self.open_ends = open_ends
        self.counterexample: np.ndarray | None = None
        self.contacts: dict[tuple[Fraction, int], int] = {}
        self._contact_programs: dict[int, Any] = {}
        self.contact_leaves: list[Leaf] = []
        self.batch = 2
        if abs(c) > Fraction(2) ** 1000:
            raise InvalidArgument("the claim's bound is beyond 2**1000 in magnitude")
        self.c_float = float(c)

    # -- the claim on numbers ----------------------------------------------------------------

    def holds(self, lower: np.ndarray, upper: np.ndarray, claim: Claim | None = None) -> np.ndarray:
        """Whether values in [lower, upper] satisfy `claim` (default: the claim), entrywise;
        floats are compared exactly with the exact c."""
        claim = claim or self.claim
        c, upper_side = self.c, claim in ("le", "lt")
        test = {
            "ge": lambda lo_, hi_: Fraction(lo_) >= c,
            "gt": lambda lo_, hi_: Fraction(lo_) > c,
            "le": lambda lo_, hi_: Fraction(hi_) <= c,
            "lt": lambda lo_, hi_: Fraction(hi_) < c,
        }[claim]
        finite = np.isfinite(lower) & np.isfinite(upper)
        near = (upper >= self.c_float) if upper_side else (lower <= self.c_float)
        out = ~near & finite
        for k in np.flatnonzero(near & finite):
            out[k] = test(float(lower[k]), float(upper[k]))
        return out

    def breaks(self, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
        """Whether values known to lie in [lower, upper] break the claim."""
        return self.holds(
            lower, upper, {"ge": "lt", "gt": "le", "le": "gt", "lt": "ge"}[self.claim]
        )

    # -- contacts ------------------------------------------------------------------------------

    def find_contacts(self, interior: Sequence[Fraction] = ()) -> None:
        """Points t where ``g = f - c`` vanishes exactly, with the order of g's first
        non-vanishing one-sided Taylor coefficient there, per side (+1: leaves [t, t + h],
        -1: leaves [t - h, t]).  Candidates: box ends that are exact, excluded points, and
        the `interior` points (exact zeros of g found by a local search).  A zero where the
        claim is made and strict, or a point where g breaks the claim exactly, is a
        counterexample."""
        if self.box.n != 1:
            return
        lo, hi = self.box.lo[0], self.box.hi[0]
        sides: dict[Fraction, tuple[int, ...]] = {}
        if lo == self.box.lo_in[0]:
            sides[lo] = (1,)
        if hi == self.box.hi_in[0]:
            sides[hi] = (-1,)
        for t in [p[0] for p in self.excluded] + list(interior):
            sides[t] = tuple(s for s in (1, -1) if (s > 0 and t < hi) or (s < 0 and t > lo))
        graph = self.program.enc.graph(self.program.shape)
        for t, directions in sides.items():
            for side in directions:
                order = self._order(graph, t, side)
                if order is None:
                    continue
                if order == 0:  # g(t) != 0: a counterexample where it breaks the claim
                    continue
                if self.strict and self._in_domain(t):
                    self.counterexample = np.array([float(t)])  # g(t) = 0: not strict
                    return
                self.contacts[(t, side)] = order

    def _order(self, graph: Any, t: Fraction, side: int) -> int | None:
        """The index of g's first non-zero exact Taylor coefficient at t (one-sided), 0 when
        g(t) != 0 (recording a counterexample if g(t) breaks the claim), None if unknown."""
        try:
            coefficients = exact_taylor(graph, t, 0, side)
        except DomainError:
            return None
        coefficients[0] -= self.c
        if coefficients[0] != 0:
            if self._in_domain(t) and self._breaks_exactly(coefficients[0]):
                self.counterexample = np.array([float(t)])
            return 0
        for k in range(1, MAX_CONTACT_ORDER + 1):
            try:
                coefficients = exact_taylor(graph, t, k, side)
            except DomainError:
                return None
            if coefficients[k] != 0:
                return k
        return None

    def _breaks_exactly(self, g: Fraction) -> bool:
        return {"ge": g < 0, "gt": g <= 0, "le": g > 0, "lt": g >= 0}[self.claim]

    def _in_domain(self, t: Fraction) -> bool:
        """Whether the claim is made at the point t (1-D): not excluded, not an open end."""
        if (t,) in self.excluded:
            return False
        if t == self.box.lo[0] and self.open_ends[0][0]:
            return False
        if t == self.box.hi[0] and self.open_ends[0][1]:
            return False
        return True

    def _contact_leaf(self, lo: float, hi: float) -> Leaf | None:
        """A leaf [lo, hi] proved by its contact at an end, or None."""
        for at, end, side in (("lo", lo, 1), ("hi", hi, -1)):
            t = Fraction(end)
            k = self.contacts.get((t, side))
            if k is None:
                continue
            e = self.contact_program(k)(jnp.asarray(end), jnp.asarray(lo), jnp.asarray(hi))
            if not bool(e.valid) or float(e.lo) != lo or float(e.hi) != hi:
                continue
            top_lo, top_hi = (float(v) for v in _ends(e.coefficients[k]))
            want = (-1 if self.upper else 1) * (1 if at == "lo" or k % 2 == 0 else -1)
            if self.strict:
                ok = top_lo > 0 if want > 0 else top_hi < 0
            else:
                ok = top_lo >= 0 if want > 0 else top_hi <= 0
            if not ok or not self._checkable(at, k, lo, hi, want):
                continue
            coefficients = [
                [[write_number(float(a)), write_number(float(b))]]
                for a, b in map(_ends, e.coefficients)
            ]
            outer_lo, outer_hi = self.box.outer  # sides on the float rounding: exact ends
            leaf_lo = self.box.lo[0] if lo == outer_lo[0] else Fraction(lo)
            leaf_hi = self.box.hi[0] if hi == outer_hi[0] else Fraction(hi)
            return Leaf(
                lo=[write_number(leaf_lo)], hi=[write_number(leaf_hi)], x0=[write_number(end)],
                coefficients=coefficients, contact=Contact(at=at, order=k),
            )  # fmt: skip
        return None

    def contact_program(self, k: int) -> Any:
        """The jitted degree-k outward enclosure of one box at a given point (one per k)."""
        enc = self._contact_programs.get(k)
        if enc is None:
            e = ab.enclose(self.program.enc.f, k, rounding="outward",
                           variables=self.program.enc.variables or None)  # fmt: skip
            enc = self._contact_programs[k] = jax.jit(lambda t_, a, b, e=e: e(t_, a, b))
        return enc

    def _checkable(self, at: str, k: int, lo: float, hi: float, want: int) -> bool:
        """Whether the checker's own interval Taylor coefficient over the leaf
        (:func:`autobound.verify.series.interval_taylor`, looser than the engine's) also has
        the sign: if not, the leaf is split further rather than certified in vain."""
        graph = self.program.enc.graph(self.program.shape)
        try:
            S = interval_taylor(graph, Fraction(lo), Fraction(hi), k)[k]
        except DomainError:
            return False
        a, b = float(S.a), float(S.b)
        if self.strict:
            return a > 0 if want > 0 else b < 0
        return a >= 0 if want > 0 else b <= 0

    # -- the search ----------------------------------------------------------------------------

    def bound(self, lo: np.ndarray, hi: np.ndarray) -> dict[str, np.ndarray]:
        return self.program.bound(lo, hi)

    def _inside(self, x: np.ndarray) -> np.ndarray:
        """Whether the points (rows) are points of the claim's domain: in the box, not at an
        open end, not excluded."""
        open_lo = np.array([e[0] for e in self.open_ends])
        open_hi = np.array([e[1] for e in self.open_ends])
        above = np.where(open_lo, x > self.inner_lo, x >= self.inner_lo)
        below = np.where(open_hi, x < self.inner_hi, x <= self.inner_hi)
        inside = np.all(above & below, axis=-1)
        for p in self.excluded:
            inside &= ~np.all(x == np.array([float(v) for v in p]), axis=-1)
        return inside

    def classify(self, lo, hi, data):
        if self.counterexample is not None:
            return np.full(len(lo), DROP), np.zeros(len(lo))
        undefined = data["undefined"] & self._inside(data["x0"])
        if np.any(undefined):
            x = data["x0"][int(np.argmax(undefined))]
            where = ", ".join(f"{v} = {t:.17g}" for v, t in zip(self.variables, x, strict=True))
            raise DomainError(f"f is undefined at a point of the box ({where})")
        bad = self.breaks(data["f_x0_lo"], data["f_x0"]) & self._inside(data["x0"])
        if np.any(bad):
            self.counterexample = data["x0"][int(np.argmax(bad))]
            return np.full(len(lo), DROP), np.zeros(len(lo))
        verdict = np.where(self.holds(data["lower"], data["upper"]), LEAF, SPLIT)
        if self.contacts:
            for k in np.flatnonzero(verdict == SPLIT):
                leaf = self._contact_leaf(float(lo[k, 0]), float(hi[k, 0]))
                if leaf is not None:
                    self.contact_leaves.append(leaf)
                    verdict[k] = DROP  # kept in contact_leaves
        slack = data["upper"] - self.c_float if self.upper else self.c_float - data["lower"]
        return verdict, -slack

    def finished(self, state: State) -> bool:
        return self.counterexample is not None

    def describe(self, state: State) -> str:
        return f"{len(self.contact_leaves)} contact leaves"

    # -- the certificate -----------------------------------------------------------------------

    def certificate(self, state: State) -> Certificate:
        lo, hi, data = state.leaf_arrays()
        leaves = self.contact_leaves + boxbound.leaves(self.box, lo, hi, data)
        v2 = bool(self.contact_leaves or self.excluded or any(map(any, self.open_ends)))
        v2 = v2 or any(leaf.anchor is not None for leaf in leaves)
        extra = {}
        if v2:
            extra = {
                "excluded": [[write_number(v) for v in p] for p in self.excluded],
                "open_ends": [list(e) for e in self.open_ends],
            }
        return Certificate(
            version=2 if v2 else 1,
            **boxbound.certificate_fields(self.program, self.box),
            claim=BoundClaim(kind=self.claim, value=write_number(self.c)),
            leaves=leaves,
            prover={"name": "autobound.apps.prove", "rounding": "outward"},
            **extra,
        )  # fmt: skip


def _points(exclude: Any, names: Sequence[str], n: int) -> list[tuple[Fraction, ...]]:
    """Excluded points as exact tuples: each a mapping name -> value, or a sequence."""
    out = []
    for p in exclude or ():
        if isinstance(p, Mapping):
            unknown = set(p) - set(names)
            if unknown or len(p) != n:
                raise InvalidArgument(
                    f"an excluded point names every variable ({', '.join(names)}) once, got "
                    f"{', '.join(map(str, p))}"
                )
            p = [p[v] for v in names]
        elif not isinstance(p, (list, tuple)):
            p = [p]
        if len(p) != n:
            raise InvalidArgument(f"an excluded point has {n} coordinate(s), got {len(p)}")
        out.append(tuple(exact_number(v) for v in p))
    return out


def _local_minima(search: _Prove, starts: int = 9) -> list[tuple[np.ndarray, float]]:
    """Local minima ``(x, value)`` of g = f - c (of -g for le/lt) in the box: L-BFGS-B
    (scipy) in round-to-nearest from a grid of starts (one variable) or from the centre and
    the points a quarter of the way to each face (several), with the engine's degree-1
    enclosure at a point as value and gradient."""
    import scipy.optimize

    sign = -1.0 if search.upper else 1.0
    lo, hi = search.inner_lo, search.inner_hi

    def fun(x):
        v, g = search.program.value_and_grad(jnp.asarray(x))
        v, g = sign * (float(v) - search.c_float), sign * np.asarray(g, dtype=float)
        return (v, g) if math.isfinite(v) and np.all(np.isfinite(g)) else (math.inf, 0 * g)

    if len(lo) == 1:
        points = [np.array([x]) for x in np.linspace(lo[0], hi[0], starts)]
    else:
        centre = lo + (hi - lo) / 2
        points = [centre]
        for j in range(len(lo)):
            for side in (-1, 1):
                p = centre.copy()
                p[j] += side * (hi[j] - lo[j]) / 4
                points.append(p)
    out = []
    for x in points:
        try:
            r = scipy.optimize.minimize(fun, x, jac=True, method="L-BFGS-B",
                                        bounds=list(zip(lo, hi, strict=True)))  # fmt: skip
        except (ValueError, FloatingPointError):
            continue
        if math.isfinite(r.fun):
            out.append((np.clip(np.asarray(r.x, dtype=float), lo, hi), float(r.fun)))
    return out


def _counterexample(search: _Prove, points: list[np.ndarray]) -> None:
    """The first of the points where f, enclosed in outward rounding, breaks the claim
    (and the claim is made there) becomes the counterexample."""
    if not points:
        return
    x = np.stack(points)
    pad = np.concatenate([x, np.repeat(x[-1:], search.batch - len(x) % search.batch, 0)])
    for k in range(0, len(x), search.batch):  # the batch size the program was compiled for
        chunk = pad[k : k + search.batch]
        data = {key: np.asarray(v) for key, v in search.bound(chunk, chunk).items()}
        bad = search.breaks(data["f_x0_lo"], data["f_x0"]) & search._inside(data["x0"])
        bad[len(x) - k :] = False
        if np.any(bad):
            search.counterexample = data["x0"][int(np.argmax(bad))]
            return


def _zero_candidates(search: _Prove, minima: list[tuple[np.ndarray, float]]) -> list[Fraction]:
    """Rational points inside the box (one variable) where ``g = f - c`` may vanish exactly:
    the simplest rational neighbours (continued-fraction approximations with small
    denominators) of local minima of |g| near 0, kept where g is exactly 0 there."""
    graph = search.program.enc.graph(search.program.shape)
    found: set[Fraction] = set()
    for x, value in minima:
        if abs(value) >= 1e-6:
            continue
        for d in (1, 2, 3, 4, 6, 8, 10, 12, 16, 100):
            q = Fraction(float(x[0])).limit_denominator(d)
            if not (search.box.lo_in[0] < q < search.box.hi_in[0]) or q in found:
                continue
            for side in (0, 1):
                try:
                    if exact_taylor(graph, q, 0, side)[0] == search.c:
                        found.add(q)
                        break
                except DomainError:
                    continue
    return sorted(found)


def _bound_value(value: Any, claim: Claim) -> Fraction:
    """c exactly; a constant such as ``"pi/2"`` rounded to a double on the side that makes
    the claim proved stronger (up for ge/gt, down for le/lt)."""
    try:
        return exact_number(value)
    except AutoBoundError:
        pass
    below, above = number_bounds(value)
    return above if claim in ("ge", "gt") else below


@in_float64
def prove(
    f: Any,
    box: Sequence[Sequence[Any]],
    claim: Claim = "ge",
    value: Any = 0,
    *,
    exclude: Sequence[Any] = (),
    open_ends: Sequence[Sequence[bool]] | None = None,
    degree: int = 2,
    variables: Sequence[str] | None = None,
    time_limit: float = 60.0,
    max_boxes: int = 200_000,
    batch: int = 256,
    progress: bool = False,
) -> Proof:
    """Prove ``f >= value`` (or ``>``, ``<=``, ``<``, by `claim`) for every x in `box`, except
    the `exclude` points and the open ends.

    **Arguments:**

    - `f`: a string, a sympy expression or a Python function of ``jax.numpy`` arrays (x of
      shape ``()`` for one variable, ``(n,)`` for n).
    - `box`: one ``(lo, hi)`` per variable (numbers, exact strings such as ``"1/3"``,
      constants such as ``"pi/2"``, enclosed outward).
    - `claim`, `value`: the claim ``f (claim) value``; value exact as box ends are.
    - `exclude`: points where the claim is not made: ``{"x": 0}`` or ``(0,)`` per point.
    - `open_ends`: per side ``(lo_open, hi_open)``: ends where the claim is not made.
    - `degree`: the Taylor degree of the box bounds.
    - `time_limit`, `max_boxes`: budgets (``unknown`` when spent); `batch`: boxes per
      engine call; `progress`: a status line on stderr.

    **Returns:** a :class:`Proof`.  ``proved`` comes with a certificate that
    :func:`autobound.verify.check_certificate` accepts (version 2 where it uses contacts,
    excluded points or open ends); ``disproved`` with a counterexample in the claim's domain.
    """
    started = time.perf_counter()
    if claim not in ("ge", "gt", "le", "lt"):
        raise InvalidArgument(f"claim must be 'ge', 'gt', 'le' or 'lt', got {claim!r}")
    exact = exact_box(box)
    c = _bound_value(value, claim)
    n = exact.n
    ends = [tuple(map(bool, e)) for e in (open_ends or [(False, False)] * n)]
    if len(ends) != n or any(len(e) != 2 for e in ends):
        raise InvalidArgument(f"open_ends needs one (lo_open, hi_open) pair per side ({n})")
    search = _Prove(f, exact, claim, c, degree, variables, [], ends)
    search.excluded = _points(exclude, search.variables, n)
    for p in search.excluded:
        if not all(a <= v <= b for v, a, b in zip(p, exact.lo_in, exact.hi_in, strict=True)):
            raise InvalidRegion(f"the excluded point {tuple(map(float, p))} lies outside the box")
    solver = BranchAndBound(search, batch=batch, max_boxes=max_boxes, time_limit=time_limit)
    search.batch = solver.batch
    minima = _local_minima(search)
    _counterexample(search, [x for x, value in minima if value < 0])
    interior = _zero_candidates(search, minima) if n == 1 else []
    if search.counterexample is None:
        search.find_contacts(interior)
    for k in sorted(set(search.contacts.values())):  # compiled before the timed search
        t = float(exact.lo[0])
        search.contact_program(k)(jnp.asarray(t), jnp.asarray(t), jnp.asarray(t))
    lo, hi = exact.outer
    cut_points = {p[0] for p in search.excluded} | {t for t, _ in search.contacts}
    if search.counterexample is None and n == 1 and cut_points:
        # excluded points and contacts become ends of the boxes the search starts from
        cuts = sorted({float(t) for t in cut_points} - {float(lo[0]), float(hi[0])})
        edges = [float(lo[0]), *cuts, float(hi[0])]
        lo = np.array(edges[:-1])[:, None]
        hi = np.array(edges[1:])[:, None]
    solution = None
    if search.counterexample is None:
        solution = solver.run(lo, hi, progress=progress, describe=search.describe)
    seconds = time.perf_counter() - started
    boxes = solution.boxes if solution is not None else 0
    if search.counterexample is not None:
        x = tuple(float(v) for v in np.ravel(search.counterexample))
        shown = ", ".join(f"{v} = {t!r}" for v, t in zip(search.variables, x, strict=True))
        return Proof("disproved", None, x, boxes, f"the claim fails at {shown}", seconds)
    if not solution.result.done:
        left = solution.state.open
        return Proof("unknown", None, None, boxes, f"{solution.result.value}; {left} boxes open",
                     seconds)  # fmt: skip
    return Proof("proved", search.certificate(solution.state), None, boxes, "proved", seconds)


# -- minimum and integral certificates (the applications that make them) -----------------------


def certify_minimum(f: Any, box: Sequence[Sequence[Any]], tol: float = 1e-6, **options) -> Proof:
    """:func:`autobound.apps.optimize.minimize` with a :class:`Proof` as its outcome."""
    from autobound.apps.optimize import minimize

    r = minimize(f, box, tol, **options)
    status = "proved" if r.status == "certified" else "unknown"
    return Proof(status, r.certificate, None, r.boxes, r.message, r.seconds)


def certify_integral(f: Any, box: Sequence[Sequence[Any]], tol: float = 1e-6, **options) -> Proof:
    """:func:`autobound.apps.integrate.integrate` with a :class:`Proof` (and certificate)."""
    from autobound.apps.integrate import integrate

    r = integrate(f, box, tol, certificate=True, **options)
    status = "proved" if r.status == "certified" and r.certificate is not None else "unknown"
    return Proof(status, r.certificate, None, r.pieces, r.message, r.seconds)
