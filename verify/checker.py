"""The certificate checker: re-prove a certificate's claim in mpmath interval arithmetic.

This is the trusted base, so it is short.  It never runs the JAX engine and never evaluates
certificate text (see :mod:`verify.certificate`).  For a certificate over a box B with leaves
L_1..L_m it checks, in order:

1. **Cover.**  Every leaf lies in B, has ``lo < hi`` and holds its ``x0``; leaf interiors are
   pairwise disjoint and the leaf volumes add up to vol(B) exactly.  (A finite union of closed
   boxes inside B with disjoint interiors and full total volume is B itself.)
2. **The prover's step, per leaf** (exact rational arithmetic): the leaf's enclosure implies
   what the leaf records (:func:`~verify.certificate.enclosure_range` or
   ``enclosure_integral``), and the record implies the claim on the leaf; the enclosure's
   constant term holds ``f(x0)``.
3. **The checker's own proof, per leaf**: bounds on f over the leaf by its own means, the
   natural interval extension and the mean-value form

       f(x) ∈ f(c) + Σ_j G_j (x_j − c_j),   G_j ⊇ ∂f/∂x_j over the leaf,

   with c_j at the end of the leaf that makes each term one-signed when G_j is (for a lower
   bound: c_j = lo_j where G_j >= 0, c_j = hi_j where G_j <= 0), else at x0; and, where f
   is twice differentiable on the leaf, the second-order form (:mod:`verify.hessian`)

       f(x) ∈ f(c) + ∇f(c)·(x − c) + ½ (x − c)ᵀ H (x − c),   H ⊇ ∇²f over the leaf,

   each tried only when the previous one is not enough.  Then the leaf is bisected across
   the side of the largest smear ``|G_k| · width_k`` (the widest where G is unbounded), from
   a budget of ``max_splits`` per leaf shared by all leaves.  Integrals add, per piece, the
   integrated mean-value and second-order forms (:meth:`_Bounds.integral`), bisecting the
   widest piece.

The claim holds when every step passes; the :class:`Verdict` names the first failure.  Step 3
is what the verdict rests on: the enclosure is the prover's witness (a sharp Taylor remainder
is beyond plain interval methods to re-derive), so a forged enclosure cannot make a false claim
pass; steps 1-2 make every number in the document mean what it says.
"""

from __future__ import annotations

import heapq
import json
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from mpmath import iv, mp

from autobound.errors import AutoBoundError, CertificateError, DomainError
from autobound.graph import ExprGraph

from .certificate import (
    MAX_LEAVES,
    BoundClaim,
    Certificate,
    IntegralClaim,
    Leaf,
    MinimumClaim,
    box_volume,
    claim_text,
    enclosure_integral,
    enclosure_range,
    load,
)
from .exact import read_number
from .gradient import gradient_interval
from .graph_json import graph_from_json, graph_text
from .hessian import (
    anchored_lower,
    hessian_interval,
    second_order_bounds,
    second_order_integral,
)
from .reference import evaluate_interval
from .rigorous import exact, hi, iv_precision, lo, span
from .series import exact_taylor, interval_taylor
from .tails import TailError, tail_integral

Box = tuple[list[Fraction], list[Fraction]]

# The gradient is a refinement: where it is unbounded or an op has no interval derivative,
# the natural extension alone bounds the box.
_NO_GRADIENT = (DomainError, ArithmeticError, ValueError)


@dataclass(frozen=True)
class Verdict:
    """The checker's answer: ``ok``, and otherwise the first problem and the leaf it is in."""

    ok: bool
    claim: str
    reason: str = ""
    function: str = ""
    leaf: int | None = None
    leaves: int = 0
    boxes: int = 0

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        if self.ok:
            return f"ok: {self.claim} ({self.leaves} leaves, {self.boxes} boxes bounded)"
        where = f"leaf {self.leaf}: " if self.leaf is not None else ""
        return f"rejected: {where}{self.reason}"

    def to_json(self) -> str:
        return json.dumps(self.__dict__)


class _Reject(Exception):
    def __init__(self, reason: str, leaf: int | None = None):
        super().__init__(reason)
        self.reason, self.leaf = reason, leaf


# -- own bounds --------------------------------------------------------------------------------


class _Bounds:
    """The checker's own enclosures of f over boxes (graph fixed, counted)."""

    def __init__(self, graph: ExprGraph, prec: int):
        self.graph, self.prec, self.boxes = graph, prec, 0
        self.shape = tuple(graph.shape(graph.input))

    def _value(self, a: Sequence[Fraction], b: Sequence[Fraction], prec: int | None = None):
        arr = lambda v: np.array(list(v), dtype=object).reshape(self.shape)  # noqa: E731
        out = evaluate_interval(self.graph, arr(a), arr(b), prec=prec or self.prec)
        return out.reshape(-1)[0] if isinstance(out, np.ndarray) else out

    def at(self, x: Sequence[Fraction], prec: int | None = None) -> Any:
        """An enclosure of f(x) at the exact point x (at `prec` bits, default the checker's)."""
        return self._value(x, x, prec)

    def integral(self, box: Box) -> Any:
        """An enclosure of ∫ f over the box: vol · F(box) intersected with the integrated
        forms at the centre c: mean-value ``vol · (f(c) ± Σ_j wid(G_j) w_j / 8)`` (the mean of
        ``max(d, 0)`` over a side of width w centred at 0 is w/8) and, where f is twice
        differentiable on the box, second order (:func:`~verify.hessian.second_order_integral`).
        One Hessian pass gives G as well; the gradient pass runs only where it fails."""
        self.boxes += 1
        a, b = box
        vol = exact(box_volume(box))
        natural = vol * self._natural(a, b)
        try:
            _, grads, hess = hessian_interval(self.graph, a, b, prec=self.prec)
        except _NO_GRADIENT:
            hess = None
            try:
                _, grads = gradient_interval(self.graph, a, b, prec=self.prec)
            except _NO_GRADIENT:
                return natural
        centre = [(s + t) / 2 for s, t in zip(a, b, strict=True)]
        try:
            f_c = self.at(centre)
        except (DomainError, ArithmeticError):
            return natural
        spread = iv.mpf(0)
        for g, s, t in zip(grads, a, b, strict=True):
            spread = spread + (iv.mpf(hi(g)) - iv.mpf(lo(g))) * exact(t - s) / 8
        best = _meet(natural, vol * (f_c + iv.mpf([-hi(spread), hi(spread)])))
        if hess is None:
            return best
        widths = [t - s for s, t in zip(a, b, strict=True)]
        return _meet(best, second_order_integral(f_c, hess, widths, box_volume(box)))

    def _natural(self, a: Sequence[Fraction], b: Sequence[Fraction]) -> Any:
        """The natural interval extension; unbounded where an op leaves its domain on the box
        (interval overestimation can do that where f itself is fine: bisection may help)."""
        try:
            return self._value(a, b)
        except (DomainError, ArithmeticError):
            return iv.mpf([-mp.inf, mp.inf])

    def over(self, box: Box, x0: Sequence[Fraction], enough=lambda low, high: False):
        """(lower, upper, G) for f over the box: the best bounds of the natural extension,
        the mean-value form and the second-order form (see the module docstring), tried in
        that order until `enough(lower, upper)`, and the interval gradient G over the box
        where the mean-value form computed it (else None)."""
        self.boxes += 1
        a, b = box
        natural = self._natural(a, b)
        low, high = lo(natural), hi(natural)
        if enough(low, high):
            return low, high, None
        try:
            _, grads = gradient_interval(self.graph, a, b, prec=self.prec)
            low, high = self._mean_value(box, x0, grads, low, high)
        except _NO_GRADIENT:
            return low, high, None
        if enough(low, high):
            return low, high, grads
        try:
            return (*self._second_order(box, x0, low, high), grads)
        except _NO_GRADIENT:
            return low, high, grads

    def _second_order(self, box: Box, x0: Sequence[Fraction], low: Any, high: Any):
        a, b = box
        centre = [c if s <= c <= t else (s + t) / 2 for s, t, c in zip(a, b, x0, strict=True)]
        _, _, hess = hessian_interval(self.graph, a, b, prec=self.prec)
        _, g_c = gradient_interval(self.graph, centre, centre, prec=self.prec)
        spans = [(s - c, t - c) for s, t, c in zip(a, b, centre, strict=True)]
        with iv_precision(self.prec):
            f_c = self.at(centre)
            s_low, s_high = second_order_bounds(f_c, g_c, hess, spans)
        if not (mp.isnan(s_low) or mp.isnan(s_high)):
            low, high = max(low, s_low), min(high, s_high)
        if len(a) > 1:  # the whole quadratic where it is positive definite (cross terms)
            q = anchored_lower(f_c, g_c, hess, spans)
            if q is not None and q > _q(low):
                low = lo(exact(q))
        return low, high

    def _mean_value(self, box: Box, x0: Sequence[Fraction], grads: list, low: Any, high: Any):
        a, b = box
        with iv_precision(self.prec):
            for sign in (1, -1):
                centre = []
                for g, s, t, c in zip(grads, a, b, x0, strict=True):
                    if lo(g) >= 0:
                        centre.append(s if sign > 0 else t)
                    elif hi(g) <= 0:
                        centre.append(t if sign > 0 else s)
                    else:
                        centre.append(c if s <= c <= t else (s + t) / 2)
                total = self.at(centre)
                for g, s, t, c in zip(grads, a, b, centre, strict=True):
                    total = total + g * span(s - c, t - c)
                if mp.isnan(lo(total)) or mp.isnan(hi(total)):
                    continue
                if sign > 0:
                    low = max(low, lo(total))
                else:
                    high = min(high, hi(total))
        return low, high


def _show(v: Any) -> str:
    """A number for a verdict: its nearest double, or the exact value where no double holds
    it (a certificate may hold numbers beyond float64's range)."""
    try:
        return repr(float(v))
    except OverflowError:
        q = Fraction(v)
        sign = "-" if q < 0 else ""
        return f"{sign}2^{abs(q.numerator).bit_length() - q.denominator.bit_length()} (about)"


def _meet(a: Any, b: Any) -> Any:
    return iv.mpf([max(lo(a), lo(b)), min(hi(a), hi(b))])


def _q(v: Any) -> Fraction | float:
    """An mpf as an exact Fraction (±inf as a float), for exact comparisons."""
    if mp.isnan(v):
        raise _Reject("a bound came out as NaN")
    if mp.isinf(v):
        return -math.inf if v < 0 else math.inf
    sign, man, exp, _ = v._mpf_
    return (-1) ** sign * Fraction(man) * Fraction(2) ** exp


def _halves(box: Box, j: int | None = None) -> tuple[Box, Box]:
    """The two halves of the box across side j (default: the widest)."""
    a, b = box
    if j is None:
        j = max(range(len(a)), key=lambda k: b[k] - a[k])
    mid = (a[j] + b[j]) / 2
    return (a, [*b[:j], mid, *b[j + 1 :]]), ([*a[:j], mid, *a[j + 1 :]], b)


def _smear_side(box: Box, grads: Sequence | None) -> int | None:
    """The side k with the largest ``|G_k| · width_k`` over the box (Kearfott's smear: where
    bisection shrinks the bounds most), None where the gradient G is not bounded."""
    if grads is None:
        return None
    a, b = box
    smear = [max(abs(lo(g)), abs(hi(g))) * (t - s) for g, s, t in zip(grads, a, b, strict=True)]
    if not all(mp.isfinite(v) for v in smear):
        return None
    return max(range(len(smear)), key=smear.__getitem__)


class _Splits:
    """The bisections left to the whole check: ``max_splits`` per leaf, shared, so that a
    large leaf may take more than a small one that needs none."""

    def __init__(self, total: int):
        self.total, self.left = total, total

    def take(self) -> bool:
        if self.left <= 0:
            return False
        self.left -= 1
        return True


def _prove_bound(
    bounds: _Bounds, box: Box, x0: list[Fraction], test, splits: _Splits, refuted=None
) -> str:
    """Bisect until ``test(lower, upper)`` holds on every piece; '' on success, else why not
    (at once where ``refuted(lower, upper)``: the claim fails on the whole piece)."""
    stack = [box]
    while stack:
        piece = stack.pop()
        low, high, grads = bounds.over(piece, x0, test)
        if test(low, high):
            continue
        if refuted is not None and refuted(low, high):
            return f"own bounds [{_show(low)}, {_show(high)}]: the claim fails on a piece"
        if not splits.take():
            return (
                f"own bounds [{_show(low)}, {_show(high)}] on a piece, with all "
                f"{splits.total} bisections of the check spent"
            )
        stack.extend(_halves(piece, _smear_side(piece, grads)))
    return ""


# -- the steps ---------------------------------------------------------------------------------


def _numbers(values: Sequence[Any], n: int, what: str, leaf: int | None = None) -> list[Fraction]:
    if len(values) != n:
        raise _Reject(f"{what} has {len(values)} entries for {n} variables", leaf)
    return [read_number(v) for v in values]


def _check_cover(box: Box, leaves: list[Box]) -> None:
    a, b = box
    for i, (lo_, hi_) in enumerate(leaves):
        if any(p >= q for p, q in zip(lo_, hi_, strict=True)):
            raise _Reject("the leaf is empty or reversed (needs lo < hi)", i)
        if any(p < s or q > t for p, q, s, t in zip(lo_, hi_, a, b, strict=True)):
            raise _Reject("the leaf reaches outside the box", i)
    # sweep along the axis where the leaves' lower ends differ most (pairs that overlap on it
    # are compared); bisection trees make that nearly linear
    axis = max(range(len(a)), key=lambda k: len({leaf[0][k] for leaf in leaves}))
    order = sorted(range(len(leaves)), key=lambda i: leaves[i][0][axis])
    for pos, i in enumerate(order):
        for j in order[pos + 1 :]:
            if leaves[j][0][axis] >= leaves[i][1][axis]:
                break
            if all(
                max(p, r) < min(q, s) for p, q, r, s in zip(*leaves[i], *leaves[j], strict=True)
            ):
                raise _Reject(f"the leaf overlaps leaf {j}", i)
    if sum((box_volume(leaf) for leaf in leaves), Fraction(0)) != box_volume(box):
        raise _Reject("the leaves do not cover the box (their volumes fall short of it)")


def _check_x0(bounds: _Bounds, leaf: Leaf, x0: list[Fraction], index: int) -> None:
    c_lo, c_hi = (read_number(v) for v in leaf.coefficients[0][0])
    for prec in (bounds.prec, 4 * bounds.prec):
        try:
            value = bounds.at(x0, prec)
        except (DomainError, ZeroDivisionError) as err:
            raise _Reject(f"f is undefined at x0: {err}", index) from err
        if _q(lo(value)) >= c_lo and _q(hi(value)) <= c_hi:
            return
        if _q(hi(value)) < c_lo or _q(lo(value)) > c_hi:
            break
    raise _Reject(f"the enclosure's constant term [{c_lo}, {c_hi}] misses f(x0) = {value}", index)


def _leaf_box(leaf: Leaf, n: int, i: int) -> tuple[Box, list[Fraction]]:
    box = (_numbers(leaf.lo, n, "lo", i), _numbers(leaf.hi, n, "hi", i))
    x0 = _numbers(leaf.x0, n, "x0", i)
    if any(not (s <= c <= t) for s, t, c in zip(*box, x0, strict=True)):
        raise _Reject("x0 lies outside the leaf", i)
    if leaf.monotone is not None or leaf.tail is not None:
        return box, x0
    if not leaf.coefficients or len(leaf.coefficients[0]) != 1:
        raise _Reject("the enclosure needs a constant term", i)
    return box, x0


def _check_bound_leaf(bounds, claim, leaf: Leaf, box, x0, i: int, splits: _Splits) -> None:
    n = len(x0)
    if isinstance(claim, BoundClaim):
        c, upper_side = read_number(claim.value), claim.kind in ("le", "lt")
        strict = claim.kind in ("gt", "lt")
    else:
        c, upper_side, strict = read_number(claim.lower), False, False
    if leaf.range is None:
        raise _Reject("the leaf records no range", i)
    rec_lo, rec_hi = (read_number(v) for v in leaf.range)
    got_lo, got_hi = enclosure_range(leaf, n)
    if got_lo < rec_lo or got_hi > rec_hi:
        raise _Reject(
            f"the enclosure gives the range [{_show(got_lo)}, {_show(got_hi)}], "
            f"not the recorded [{_show(rec_lo)}, {_show(rec_hi)}]",
            i,
        )
    if upper_side:
        good = (lambda v: v < c) if strict else (lambda v: v <= c)
        recorded, test = rec_hi, lambda low, high: good(_q(high))
        refuted = lambda low, high: not good(_q(low))  # noqa: E731 - f above c on the piece
    else:
        good = (lambda v: v > c) if strict else (lambda v: v >= c)
        recorded, test = rec_lo, lambda low, high: good(_q(low))
        refuted = lambda low, high: not good(_q(high))  # noqa: E731
    if not good(recorded):
        raise _Reject(f"the recorded range [{rec_lo}, {rec_hi}] does not imply the claim", i)
    _check_x0(bounds, leaf, x0, i)
    why = _prove_bound(bounds, box, x0, test, splits, refuted)
    if why:
        raise _Reject(f"the checker could not confirm the claim on this leaf ({why})", i)


def _own_integral(
    bounds: _Bounds,
    boxes: list[Box],
    lower: Fraction,
    upper: Fraction,
    budget: int,
    fixed: tuple[Fraction, Fraction] = (Fraction(0), Fraction(0)),
) -> tuple[Fraction, Fraction]:
    """Bounds on ∫ f over the union of the boxes plus `fixed` (the tails' own bounds): the
    sum of :meth:`_Bounds.integral` over pieces (ends added exactly), bisecting the piece
    with the widest enclosure until the sum lies in ``[lower, upper]`` or `budget`
    bisections are spent."""
    heap, (total_lo, total_hi), tie = [], fixed, 0

    def add(piece: Box) -> None:
        nonlocal total_lo, total_hi, tie
        value = bounds.integral(piece)
        a, b = _q(lo(value)), _q(hi(value))
        total_lo, total_hi = total_lo + a, total_hi + b
        tie += 1
        heapq.heappush(
            heap, (-float(b - a) if math.isfinite(b - a) else -math.inf, tie, piece, a, b)
        )

    for box in boxes:
        add(box)
    while heap and budget > 0 and not (total_lo >= lower and total_hi <= upper):
        _, _, piece, a, b = heapq.heappop(heap)
        total_lo, total_hi = total_lo - a, total_hi - b
        for half in _halves(piece):
            add(half)
        budget -= 1
    return total_lo, total_hi


def _tail_integral(bounds: _Bounds, leaf: Leaf, box: Box, whole: Box, i: int):
    """(v2) The checker's bounds on ∫ f over a tail leaf: the leaf's `tail` end must be that
    end of the (one-dimensional) box; :func:`verify.tails.tail_integral` bounds the rest."""
    if len(box[0]) != 1:
        raise _Reject("tail leaves are for functions of one variable", i)
    side = 0 if leaf.tail == "lo" else 1
    if box[side][0] != whole[side][0]:
        raise _Reject(f"the tail end ({leaf.tail}) of the leaf is not that end of the box", i)
    try:
        return tail_integral(
            bounds.graph, box[side][0], box[1][0] - box[0][0], leaf.tail, prec=bounds.prec
        )
    except TailError as err:
        raise _Reject(f"the tail's integral could not be bounded: {err}", i) from None


def _check_integral(bounds, claim: IntegralClaim, leaves, boxes, whole, max_splits: int) -> None:
    lower, upper = read_number(claim.lower), read_number(claim.upper)
    total_lo = total_hi = Fraction(0)
    tails, pieces = [Fraction(0), Fraction(0)], []
    for i, (leaf, (box, x0)) in enumerate(zip(leaves, boxes, strict=True)):
        if leaf.integral is None:
            raise _Reject("the leaf records no integral", i)
        rec = [read_number(v) for v in leaf.integral]
        if leaf.tail is not None:
            got = _tail_integral(bounds, leaf, box, whole, i)
            tails = [tails[0] + got[0], tails[1] + got[1]]
        else:
            got = enclosure_integral(leaf, len(x0))
            _check_x0(bounds, leaf, x0, i)
            pieces.append(box)
        if got[0] < rec[0] or got[1] > rec[1]:
            raise _Reject("the enclosure does not give the recorded integral", i)
        total_lo, total_hi = total_lo + rec[0], total_hi + rec[1]
    if total_lo < lower or total_hi > upper:
        raise _Reject(
            f"the leaves' integrals add up to [{_show(total_lo)}, {_show(total_hi)}], "
            f"not inside the claimed [{lower}, {upper}]"
        )
    with iv_precision(bounds.prec):
        budget = max_splits * len(boxes)
        own = _own_integral(bounds, pieces, lower, upper, budget, tuple(tails))
    if not (own[0] >= lower and own[1] <= upper):
        raise _Reject(
            f"the checker's own integral bounds [{_show(own[0])}, {_show(own[1])}] "
            f"(after {budget} bisections) do not confirm the claim"
        )


def _check_excluded(cert: Certificate, box: Box, n: int) -> dict[str, Any]:
    """(v2) The excluded points (each in the box) and the open ends (one pair per side)."""
    points = [_numbers(p, n, "an excluded point") for p in cert.excluded]
    if any(not all(s <= v <= t for s, t, v in zip(*box, p, strict=True)) for p in points):
        raise _Reject("an excluded point lies outside the box")
    if cert.open_ends and len(cert.open_ends) != n:
        raise _Reject(f"open_ends has {len(cert.open_ends)} entries for {n} variables")
    return {"points": points, "open": [list(e) for e in cert.open_ends] or [[False, False]] * n}


def _check_contact_leaf(
    graph: ExprGraph, claim: BoundClaim, leaf: Leaf, box: Box, x0, excluded, whole: Box, i: int,
    prec: int,
) -> None:  # fmt: skip
    """(v2) A leaf whose end t is a zero of ``g = f − c`` of order k: the checker's own exact
    Taylor coefficients of g at t vanish below k (:func:`verify.series.exact_taylor`), and
    its own interval Taylor coefficient S ⊇ g^(k)(ξ)/k! over the leaf has the sign that makes
    ``g(x) = S·(x − t)^k`` satisfy the claim (strictly away from t for gt/lt, where t must
    then be excluded or an open end of the box)."""
    if len(x0) != 1:
        raise _Reject("a contact leaf must be one-dimensional", i)
    k, at = leaf.contact.order, leaf.contact.at
    t = box[0][0] if at == "lo" else box[1][0]
    c = read_number(claim.value)
    strict = claim.kind in ("gt", "lt")
    if x0[0] != t or len(leaf.coefficients) != k + 1:
        raise _Reject(f"a contact leaf is expanded at its end {at} to degree {k}", i)
    if strict and not (
        [t] in excluded["points"]
        or (t == whole[0][0] and excluded["open"][0][0])
        or (t == whole[1][0] and excluded["open"][0][1])
    ):
        raise _Reject("a strict claim touches its bound at a point that is not left out", i)
    try:
        exact_coefficients = exact_taylor(graph, t, k - 1, side=1 if at == "lo" else -1)
    except DomainError as err:
        raise _Reject(
            f"the checker cannot compute f's Taylor coefficients at t exactly: {err}", i
        ) from err
    exact_coefficients[0] -= c
    if any(v != 0 for v in exact_coefficients):
        raise _Reject(f"f - c does not vanish to order {k} at t = {t}", i)
    # the sign the top term must have: g >= 0 (ge, gt) or <= 0; (x - t)^k has sign (-1)^k at lo
    want = (1 if claim.kind in ("ge", "gt") else -1) * (1 if at == "lo" or k % 2 == 0 else -1)
    top_lo, top_hi = (read_number(v) for v in leaf.coefficients[k][0])
    prover_ok = top_lo > 0 if want > 0 else top_hi < 0
    if not strict:
        prover_ok = top_lo >= 0 if want > 0 else top_hi <= 0
    if not prover_ok:
        raise _Reject(f"the enclosure's degree-{k} coefficient does not have the needed sign", i)
    try:
        S = interval_taylor(graph, box[0][0], box[1][0], k, prec)[k]
    except DomainError as err:
        raise _Reject(f"the checker's own Taylor bound failed on the leaf: {err}", i) from err
    own = _q(lo(S)) > 0 if want > 0 else _q(hi(S)) < 0
    if not strict:
        own = _q(lo(S)) >= 0 if want > 0 else _q(hi(S)) <= 0
    if not own:
        raise _Reject(f"the checker's own degree-{k} Taylor coefficient {S} lacks the sign", i)


def _partial_mean_value(
    graph: ExprGraph, a: Sequence, b: Sequence, j: int, prec: int
) -> tuple[Any, int | None]:
    """∂f/∂x_j over the box [a, b] by its mean-value form at the centre c,
    ``∂_j f(c) + Σ_k H_jk (x_k − c_k)`` (H the interval Hessian over the box; the whole line
    where f is not twice differentiable there), and the side k whose term is widest (the
    one to bisect)."""
    try:
        _, _, hess = hessian_interval(graph, a, b, prec=prec)
        c = [(s + t) / 2 for s, t in zip(a, b, strict=True)]
        _, g_c = gradient_interval(graph, c, c, prec=prec)
    except _NO_GRADIENT:
        return iv.mpf([-mp.inf, mp.inf]), None
    total, widths = g_c[j], []
    for k, (s, t, m) in enumerate(zip(a, b, c, strict=True)):
        term = hess[j][k] * span(s - m, t - m)
        total = total + term
        widths.append(hi(term) - lo(term))
    return total, max(range(len(widths)), key=widths.__getitem__)


def _check_monotone_leaf(
    graph: ExprGraph, claim: Any, leaf: Leaf, box: Box, whole: Box, i: int, prec: int,
    splits: _Splits,
) -> None:  # fmt: skip
    """(v2) A leaf without a minimizer: along x_j, ∂f/∂x_j > 0 on the leaf (the checker's own
    interval gradient, :func:`verify.gradient.gradient_interval`, on pieces of the leaf) and
    the leaf's lower end in x_j lies strictly inside the box (sign -1: < 0 and the upper
    end).  Then no point x of the leaf minimizes f over the box: f is continuous on the box
    (every op has a derivative rule, and f is bounded on every other leaf), so a minimizer
    exists; at x, f decreases along -x_j (Lebourg's mean value theorem with the Clarke
    gradient, which the interval gradient contains at kinks), and x − δ e_j stays in the box."""
    j, sign = leaf.monotone.variable, leaf.monotone.sign  # (min_in only: checked by _check)
    if j >= len(box[0]):
        raise _Reject(f"the monotone leaf names variable {j} of {len(box[0])}", i)
    inside = box[0][j] > whole[0][j] if sign > 0 else box[1][j] < whole[1][j]
    if not inside:
        raise _Reject("the monotone leaf's side in its variable is on the box's boundary", i)
    stack = [box]
    while stack:
        a, b = stack.pop()
        try:
            _, grads = gradient_interval(graph, a, b, prec=prec)
        except _NO_GRADIENT as err:
            raise _Reject(f"the checker's gradient failed on the monotone leaf: {err}", i) from err
        g, axis = grads[j], None
        if not ((_q(lo(g)) > 0) if sign > 0 else (_q(hi(g)) < 0)):
            form, axis = _partial_mean_value(graph, a, b, j, prec)
            g = _meet(g, form)
        if (_q(lo(g)) > 0) if sign > 0 else (_q(hi(g)) < 0):
            continue
        if (_q(hi(g)) <= 0) if sign > 0 else (_q(lo(g)) >= 0):
            raise _Reject(f"df/dx{j} = {g} on a piece of the leaf: not of sign {sign}", i)
        if not splits.take():
            raise _Reject(
                f"the checker's own bound of df/dx{j} on the leaf, {g}, does not have sign {sign}",
                i,
            )
        stack.extend(_halves((a, b), axis))  # across the side that widens the form most


Progress = Callable[[str, int, int], None] | None
"""A callback ``progress(stage, done, total)`` for long checks (a display, a log line)."""


def _check(
    cert: Certificate, graph: ExprGraph, prec: int, max_splits: int, progress: Progress = None
) -> tuple[int, int]:
    shape = tuple(graph.shape(graph.input))
    n = math.prod(shape)
    if len(cert.box) != n or len(cert.variables) not in (0, n):
        raise _Reject(f"the box has {len(cert.box)} sides, the function {n} variables")
    if math.prod(graph.shape(graph.output)) != 1:
        raise _Reject("the function must have one output")
    box = ([read_number(a) for a, _ in cert.box], [read_number(b) for _, b in cert.box])
    if any(a >= b for a, b in zip(*box, strict=True)):
        raise _Reject("the box is empty or reversed (needs lo < hi on every side)")
    if not cert.leaves:
        raise _Reject("the certificate has no leaves")
    boxes = [_leaf_box(leaf, n, i) for i, leaf in enumerate(cert.leaves)]
    if progress:
        progress("checking that the leaves cover the box", 0, len(boxes))
    _check_cover(box, [b for b, _ in boxes])
    bounds = _Bounds(graph, prec)
    claim = cert.claim
    excluded = _check_excluded(cert, box, n)
    if any(leaf.contact is not None for leaf in cert.leaves) and not isinstance(claim, BoundClaim):
        raise _Reject("contacts are for bound claims (ge, gt, le, lt) only")
    monotone = [leaf.monotone is not None for leaf in cert.leaves]
    if any(monotone) and not isinstance(claim, MinimumClaim):
        raise _Reject("monotone leaves are for min_in claims only")
    if all(monotone):
        raise _Reject("every leaf is monotone: no leaf bounds the minimum")
    if any(leaf.tail is not None for leaf in cert.leaves) and not isinstance(claim, IntegralClaim):
        raise _Reject("tail leaves are for integral claims only")
    if isinstance(claim, IntegralClaim):
        _check_integral(bounds, claim, cert.leaves, boxes, box, max_splits)
    else:
        splits = _Splits(max_splits * len(boxes))
        for i, (leaf, (leaf_box, x0)) in enumerate(zip(cert.leaves, boxes, strict=True)):
            if progress:
                progress("checking the leaves", i, len(boxes))
            if leaf.monotone is not None:
                _check_monotone_leaf(graph, claim, leaf, leaf_box, box, i, prec, splits)
            elif leaf.contact is not None:
                _check_x0(bounds, leaf, x0, i)
                _check_contact_leaf(graph, claim, leaf, leaf_box, x0, excluded, box, i, prec)
            else:
                _check_bound_leaf(bounds, claim, leaf, leaf_box, x0, i, splits)
    if isinstance(claim, MinimumClaim):
        w = _numbers(claim.witness, n, "the witness")
        if any(not (s <= v <= t) for s, t, v in zip(*box, w, strict=True)):
            raise _Reject("the witness lies outside the box")
        if read_number(claim.lower) > read_number(claim.upper):
            raise _Reject("the claimed interval for the minimum is reversed")
        value = bounds.at(w)
        if not _q(hi(value)) <= read_number(claim.upper):
            raise _Reject(f"f(witness) = {value} is not <= the claimed upper end {claim.upper}")
    return len(cert.leaves), bounds.boxes


def check_certificate(
    source: Any,
    prec: int = 80,
    max_splits: int = 64,
    progress: Progress = None,
    max_leaves: int = MAX_LEAVES,
) -> Verdict:
    """Check a certificate; never raises on bad input, the verdict names the problem.

    **Arguments:**

    - `source`: a :class:`~verify.certificate.Certificate`, its JSON text, a parsed dict, or a
      path (``os.PathLike``) to a JSON file.
    - `prec`: mpmath.iv working precision in bits.
    - `max_splits`: how many times the checker may bisect a leaf when its own bounds are too
      loose, on average: ``max_splits`` times the number of leaves, shared (for integrals,
      the widest piece first).
    - `progress`: called as ``progress(stage, done, total)`` before each leaf (and with the
      stage's name before reading and covering), so that a long check can show where it is.
    - `max_leaves`: a certificate with more leaves is rejected before its leaves are read
      (:data:`~verify.certificate.MAX_LEAVES` by default).

    **Returns:** a :class:`Verdict`; ``bool(verdict)`` is True when the claim is proved.
    """
    label, function = "the claim", ""
    try:
        if isinstance(source, os.PathLike):
            source = Path(source).read_bytes()
        if progress:
            progress("reading the certificate", 0, 0)
        cert = load(source, max_leaves)
        label = claim_text(cert.claim)
        graph = graph_from_json(cert.expression.graph, cert.variables)
        function = graph_text(graph, cert.variables)
        with iv_precision(prec):
            leaves, boxes = _check(cert, graph, prec, max_splits, progress)
        return Verdict(True, label, function=function, leaves=leaves, boxes=boxes)
    except _Reject as err:
        return Verdict(False, label, err.reason, function, err.leaf)
    except (CertificateError, DomainError) as err:
        return Verdict(False, label, str(err), function)
    except (AutoBoundError, ValueError, TypeError, KeyError, IndexError, OSError) as err:
        reason = f"malformed certificate ({type(err).__name__}: {err})"
        return Verdict(False, label, reason, function)
    except RecursionError:
        return Verdict(False, label, "malformed certificate (nested too deeply)", function)
    except MemoryError:
        return Verdict(False, label, "the certificate is too large to check here", function)
