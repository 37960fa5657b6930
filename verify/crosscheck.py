r"""Check a Taylor enclosure against high-precision values of f, without the engine.

An enclosure is plain data: ``coefficients[i]`` is a numpy array ``C_i`` (a point
coefficient) or a pair ``(lo, hi)`` of arrays (an interval coefficient), of shape
``out_shape + x_shape * i``.  It claims

$$ f(x) \in \sum_i C_i \, (x - x_0)^{\otimes i} \quad \text{for every } x \in \text{region}, $$

where the trailing ``x_shape * i`` axes of ``C_i`` contract with ``i`` copies of ``x - x0``
and an interval coefficient stands for every array between its ends.

:func:`crosscheck` samples the region (:func:`sample_points`), evaluates ``f`` exactly-ish
with :func:`~autobound.verify.reference.evaluate` and the polynomial set exactly
(:func:`enclosure_at`, rational arithmetic), and reports every violation.
:func:`remainder_range` samples the true range of an elementwise function's remainder
ratio, the yardstick for how sharp an enclosure rule is.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
from mpmath import libmp, mp

from autobound.graph import ExprGraph

from .reference import evaluate, scalar_function

_MAX_CORNERS = 64


# -- the polynomial set at a point ------------------------------------------------------------


def _fractions(arr: np.ndarray) -> np.ndarray:
    """Finite entries as exact Fractions, infinite ones as 0 (they are tracked separately)."""
    arr = np.asarray(arr, dtype=np.float64)
    finite = np.where(np.isfinite(arr), arr, 0.0)
    return np.frompyfunc(Fraction, 1, 1)(finite.astype(object)).astype(object)


def _mpf_round(q: Fraction | float, prec: int, rounding: str) -> Any:
    if isinstance(q, float):  # an infinity
        return mp.mpf(q)
    return mp.make_mpf(libmp.from_rational(q.numerator, q.denominator, prec, rounding))


def _coefficient_ends(c: Any, out_size: int, n: int, i: int) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = (c, c) if isinstance(c, np.ndarray) or np.isscalar(c) else c
    lo = np.asarray(lo, dtype=np.float64).reshape(out_size, n**i)
    hi = np.asarray(hi, dtype=np.float64).reshape(out_size, n**i)
    return lo, hi


def enclosure_at(
    coefficients: Sequence[Any], x0: Any, x: Any, prec: int = 200
) -> tuple[np.ndarray, np.ndarray]:
    """The set ``{sum_i C_i (x - x0)^i : C_i in its interval}`` at one point `x`.

    Computed exactly in rational arithmetic: for a monomial ``m`` the term ``[lo, hi] * m``
    ranges over ``[lo m, hi m]`` when ``m >= 0`` and ``[hi m, lo m]`` when ``m < 0``; a zero
    monomial contributes 0 even against an infinite coefficient.  The ends are then rounded
    outward to `prec` bits (lower down, upper up).

    **Returns:** ``(lo, hi)``, numpy object arrays of mpf of the output's shape (``-inf`` /
    ``+inf`` where the enclosure is unbounded).
    """
    x0 = np.asarray(x0, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    c0 = coefficients[0]
    out_shape = np.shape(c0 if isinstance(c0, np.ndarray) or np.isscalar(c0) else c0[0])
    out_size = int(np.prod(out_shape, dtype=np.int64))
    n = x.size
    dx = [
        Fraction(float(b)) - Fraction(float(a)) for a, b in zip(x0.ravel(), x.ravel(), strict=True)
    ]
    total_lo = np.zeros(out_size, dtype=object)
    total_hi = np.zeros(out_size, dtype=object)
    neg_inf = np.zeros(out_size, dtype=bool)
    pos_inf = np.zeros(out_size, dtype=bool)
    monomial = np.array([Fraction(1)], dtype=object)
    for i, c in enumerate(coefficients):
        if i:
            monomial = np.multiply.outer(monomial, np.array(dx, dtype=object)).reshape(-1)
        lo, hi = _coefficient_ends(c, out_size, n, i)
        pos, neg = monomial > 0, monomial < 0
        # an interval term's lower end takes lo where m > 0 and hi where m < 0
        low = np.where(pos, lo, np.where(neg, hi, 0.0))
        high = np.where(pos, hi, np.where(neg, lo, 0.0))
        signed = np.where(neg, -1.0, 1.0)
        neg_inf |= np.any(np.isneginf(low * signed) | np.isnan(low), axis=1)
        pos_inf |= np.any(np.isposinf(high * signed) | np.isnan(high), axis=1)
        total_lo = total_lo + _fractions(low).dot(monomial)
        total_hi = total_hi + _fractions(high).dot(monomial)
    lo_out = [float("-inf") if f else q for q, f in zip(total_lo, neg_inf, strict=True)]
    hi_out = [float("inf") if f else q for q, f in zip(total_hi, pos_inf, strict=True)]
    lo_arr = np.array([_mpf_round(q, prec, libmp.round_floor) for q in lo_out], dtype=object)
    hi_arr = np.array([_mpf_round(q, prec, libmp.round_ceiling) for q in hi_out], dtype=object)
    return lo_arr.reshape(out_shape), hi_arr.reshape(out_shape)


# -- where to look ------------------------------------------------------------------------------


def sample_points(x0: Any, region: tuple[Any, Any], n: int, rng: np.random.Generator) -> np.ndarray:
    """Points of the box ``region = (lo, hi)`` where enclosures tend to fail, then random ones.

    In order: the corners (all when there are at most 64, else 64 random ones), `x0`, `x0`
    with one coordinate moved to each end, points one ulp from `x0` and from the corners
    (towards the inside), and uniform random points up to `n` in all (the structured points
    are always kept, even beyond `n`).  Every point lies in the box; duplicates are dropped.

    **Returns:** an array of shape ``(m,) + x0.shape``.
    """
    x0 = np.asarray(x0, dtype=np.float64)
    lo = np.broadcast_to(np.asarray(region[0], dtype=np.float64), x0.shape).ravel()
    hi = np.broadcast_to(np.asarray(region[1], dtype=np.float64), x0.shape).ravel()
    c = x0.ravel()
    d = c.size
    if 2**d <= _MAX_CORNERS:
        corners = [
            np.where(np.array(bits, dtype=bool), hi, lo)
            for bits in itertools.product((0, 1), repeat=d)
        ]
    else:
        corners = [np.where(rng.random(d) < 0.5, lo, hi) for _ in range(_MAX_CORNERS)]
    points = [*corners, c.copy()]
    for j in range(d):
        for end in (lo, hi):
            p = c.copy()
            p[j] = end[j]
            points.append(p)
    near = [np.nextafter(c, hi), np.nextafter(c, lo)]
    for corner in corners:
        near.append(np.nextafter(corner, c))
    for _ in range(4):
        near.append(np.nextafter(c, np.where(rng.random(d) < 0.5, lo, hi)))
        step = rng.uniform(-1, 1, d) * (hi - lo) * 2.0 ** rng.integers(-40, -10, d)
        near.append(c + step)
    points += near
    arr = np.clip(np.array(points), lo, hi)
    _, first = np.unique(arr, axis=0, return_index=True)
    arr = arr[np.sort(first)]
    extra = lo + rng.random((max(n - len(arr), 0), d)) * (hi - lo)
    return np.concatenate([arr, np.clip(extra, lo, hi)]).reshape((-1,) + x0.shape)


# -- the check ----------------------------------------------------------------------------------


@dataclass
class CrossCheckReport:
    """Outcome of :func:`crosscheck`.

    **Fields:**

    - `n_points`: how many points were checked.
    - `violations`: ``(x, f(x), lo, hi)`` for every point where some output entry of ``f(x)``
      lies outside the enclosure ``[lo, hi]`` (arrays of mpf, or mpf for scalar outputs).
    - `max_violation`: the largest distance from ``f(x)`` to ``[lo, hi]`` seen (0 if none).
    - `tightness`: mean width of the enclosure over the points divided by the spread
      (max - min) of f over them, averaged over output entries; 1 would mean as wide as the
      function's own variation.  ``inf`` for a constant f with a non-degenerate enclosure.
    """

    n_points: int
    violations: list[tuple[Any, Any, Any, Any]] = field(default_factory=list)
    max_violation: float = 0.0
    tightness: float = float("nan")

    @property
    def ok(self) -> bool:
        return not self.violations

    def __str__(self) -> str:
        verdict = "ok" if self.ok else f"{len(self.violations)} VIOLATIONS"
        return (
            f"crosscheck: {verdict} at {self.n_points} points; max violation "
            f"{self.max_violation:.3g}; tightness {self.tightness:.3g}"
        )


def _excess(fx: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    return np.array(
        [
            max(a - v, v - b, mp.zero)
            for v, a, b in zip(fx.ravel(), lo.ravel(), hi.ravel(), strict=True)
        ],
        dtype=object,
    )


POINTS_CHECKED = [0]  # running total of points compared by crosscheck in this process


def crosscheck(
    graph: ExprGraph,
    coefficients: Sequence[Any],
    x0: Any,
    region: tuple[Any, Any],
    n_points: int = 200,
    prec: int = 200,
    seed: int = 0,
) -> CrossCheckReport:
    """Sample the region and compare ``f(x)`` with the enclosure's set at each point.

    ``f(x)`` is evaluated at `prec` bits; a point where ``f(x)`` seems outside the enclosure
    by less than ``2**-(prec - 20)`` relative is re-evaluated at twice the precision before it
    counts, so rounding in the oracle never makes a violation.  Raises
    :class:`~autobound.errors.DomainError` if f is undefined at a sampled point.
    """
    rng = np.random.default_rng(seed)
    points = sample_points(x0, region, n_points, rng)
    report = CrossCheckReport(n_points=len(points))
    POINTS_CHECKED[0] += len(points)
    values, widths = [], []
    for x in points:
        with mp.workprec(prec):
            fx = np.asarray(evaluate(graph, x, prec), dtype=object)
            lo, hi = enclosure_at(coefficients, x0, x, prec)
            excess = _excess(fx, lo, hi)
            scale = mp.ldexp(1, -(prec - 20)) * max((abs(v) for v in fx.ravel()), default=1)
            if any(e > 0 for e in excess) and max(excess) <= scale:
                fx = np.asarray(evaluate(graph, x, 2 * prec), dtype=object)
                excess = _excess(fx, lo, hi)
        if any(e > 0 for e in excess):
            unwrap = (lambda v: v[()]) if fx.ndim == 0 else (lambda v: v)
            report.violations.append((x, unwrap(fx), unwrap(lo), unwrap(hi)))
            report.max_violation = max(report.max_violation, float(max(excess)))
        values.append([float(v) for v in fx.ravel()])
        widths.append([float(b - a) for a, b in zip(lo.ravel(), hi.ravel(), strict=True)])
    report.tightness = _tightness(np.array(values), np.array(widths))
    return report


def _tightness(values: np.ndarray, widths: np.ndarray) -> float:
    spread = values.max(axis=0) - values.min(axis=0)
    mean_width = widths.mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(spread > 0, mean_width / spread, np.where(mean_width > 0, np.inf, 0.0))
    return float(ratio.mean())


# -- sharpness yardstick for elementwise rules ----------------------------------------------------


def remainder_range(
    fn_name: str,
    y0: Any,
    a: Any,
    b: Any,
    k: int,
    prec: int = 100,
    n: int = 2000,
    params: Mapping[str, Any] | None = None,
) -> tuple[Any, Any]:
    r"""Sampled range of the remainder ratio of ``phi = fn_name`` around `y0` over ``[a, b]``.

    $$ R_k(y) = \frac{\phi(y) - \sum_{i<k} \phi^{(i)}(y_0) (y - y_0)^i / i!}{(y - y_0)^k} $$

    sampled at `n` evenly spaced points, at ``a`` and ``b``, and at points approaching `y0`
    geometrically (down to ``2**-60 (b - a)`` away), where ``R_k`` tends to
    ``phi^(k)(y0)/k!`` for smooth phi.  ``y = y0`` itself is skipped.  Derivatives come from
    ``mpmath.taylor`` and everything runs at ``prec + 60 k + 40`` bits, enough that the
    cancellation near `y0` leaves `prec` good bits.

    **Returns:** ``(min, max)`` of the samples, as mpf.  A sampled range is an inner
    approximation of the true range: a sound enclosure rule must contain it.
    """
    phi = scalar_function(fn_name, params)
    wp = prec + 60 * k + 40
    with mp.workprec(wp):
        y0, a, b = mp.mpf(y0), mp.mpf(a), mp.mpf(b)
        coeffs = mp.taylor(phi, y0, k - 1) if k > 0 else []
        ys = [a, b, *mp.linspace(a, b, n)]
        for j in range(1, 61):
            step = (b - a) * mp.ldexp(1, -j)
            ys += [y0 - step, y0 + step]
        values = []
        for y in ys:
            if y == y0 or not a <= y <= b:
                continue
            h = y - y0
            poly = mp.fsum(c * h**i for i, c in enumerate(coeffs))
            values.append((phi(y) - poly) / h**k)
        return min(values), max(values)
