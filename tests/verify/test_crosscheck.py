"""Cross-checking enclosures: hand-derived enclosures pass, wrong ones are caught."""

from __future__ import annotations

import math

import numpy as np
import pytest
from mpmath import mp

from autobound.graph import ExprGraph
from autobound.verify import crosscheck, enclosure_at, remainder_range, sample_points

E = math.e
UP = math.inf


def exp_graph() -> ExprGraph:
    g = ExprGraph()
    x = g.add_input(())
    g.set_output(g.add("exp", [x]))
    return g


def scalar(v: float) -> np.ndarray:
    return np.array(v, dtype=np.float64)


# exp on [0, 1] around x0 = 0, degree 1: exp(x) = 1 + R(x) x with R(x) = (e**x - 1)/x, which
# increases (its derivative's numerator e**x (x - 1) + 1 is >= 0), from R(0+) = 1 to
# R(1) = e - 1.  So exp(x) in 1 + [1, e - 1] x on [0, 1], with both ends attained.
EXP_SHARP = [scalar(1.0), (scalar(1.0), scalar(np.nextafter(E - 1, UP)))]
REGION01 = (scalar(0.0), scalar(1.0))


def test_correct_exp_enclosure_passes():
    report = crosscheck(exp_graph(), EXP_SHARP, scalar(0.0), REGION01, n_points=60)
    assert report.ok, report.violations[:3]
    assert report.n_points >= 60
    assert report.max_violation == 0
    # mean width (e - 2) * mean|x| over a spread e - 1: a fraction, not a blow-up
    assert 0 < report.tightness < 1


@pytest.mark.parametrize(
    "coefficients",
    [
        # e - 1 rounded down to 1.7 misses f(1) = e
        [scalar(1.0), (scalar(1.0), scalar(1.7))],
        # a lower end above R(0+) = 1 misses the points just right of 0
        [scalar(1.0), (scalar(1.001), scalar(2.0))],
        # a point coefficient misses every x in (0, 1]
        [scalar(1.0), scalar(1.0)],
        # e - 1 rounded to nearest (just below e - 1): f(1) = e lies outside by < 1 ulp
        [scalar(1.0), (scalar(1.0), scalar(np.nextafter(E - 1, 0)))],
    ],
)
def test_wrong_exp_enclosure_is_flagged(coefficients):
    report = crosscheck(exp_graph(), coefficients, scalar(0.0), REGION01, n_points=40)
    assert not report.ok
    assert report.max_violation > 0
    x, fx, lo, hi = report.violations[0]
    assert not lo <= fx <= hi


def test_enclosure_at_uses_the_worst_end_per_sign_of_the_monomial():
    # f(x) in c0 + c1 . dx + [L, U] : dx dx^T with x of shape (2,)
    c0 = scalar(1.0)
    c1 = np.array([2.0, -1.0])
    low = np.array([[1.0, -1.0], [0.0, 2.0]])
    high = np.array([[3.0, 1.0], [0.5, 2.0]])
    x0, x = np.array([0.0, 0.0]), np.array([0.5, -2.0])
    lo, hi = enclosure_at([c0, c1, (low, high)], x0, x, prec=100)
    # dx = (0.5, -2): monomials m = (0.25, -1, -1, 4); linear part 1 + 1 + 2 = 4
    m = [0.25, -1.0, -1.0, 4.0]
    want_lo = 4 + sum(
        a * v if v > 0 else b * v for a, b, v in zip(low.ravel(), high.ravel(), m, strict=True)
    )
    want_hi = 4 + sum(
        b * v if v > 0 else a * v for a, b, v in zip(low.ravel(), high.ravel(), m, strict=True)
    )
    assert lo.shape == hi.shape == ()
    assert (lo[()], hi[()]) == (want_lo, want_hi) == (4 + 0.25 - 1 - 0.5 + 8, 4 + 0.75 + 1 + 0 + 8)


def test_enclosure_at_with_vector_output_and_infinite_coefficients():
    c0 = np.array([1.0, 2.0])
    c1 = (np.array([[-np.inf, 0.0], [1.0, 1.0]]), np.array([[np.inf, 0.0], [1.0, 1.0]]))
    lo, hi = enclosure_at([c0, c1], np.zeros(2), np.array([0.0, 3.0]), prec=60)
    # the unbounded entry multiplies dx_0 = 0: it contributes exactly 0
    assert [float(v) for v in lo] == [1.0, 5.0] and [float(v) for v in hi] == [1.0, 5.0]
    lo, hi = enclosure_at([c0, c1], np.zeros(2), np.array([0.5, 3.0]), prec=60)
    assert lo[0] == -mp.inf and hi[0] == mp.inf and lo[1] == hi[1] == 5.5


def test_enclosure_at_is_exact_for_float_data():
    # 0.1 and 0.3 are binary floats: 0.1 + 0.3 * (2**-60) has no rounding error at 200 bits
    lo, hi = enclosure_at([scalar(0.1), scalar(0.3)], scalar(0.0), scalar(2.0**-60), prec=200)
    with mp.workprec(200):
        assert lo[()] == hi[()] == mp.mpf(0.1) + mp.mpf(0.3) * mp.ldexp(1, -60)


def test_sample_points_cover_corners_center_and_neighbours():
    rng = np.random.default_rng(0)
    x0 = np.array([0.25, -1.0])
    lo, hi = np.array([0.0, -2.0]), np.array([1.0, 0.0])
    pts = sample_points(x0, (lo, hi), 50, rng)
    assert pts.shape[1:] == (2,) and len(pts) >= 50
    assert np.all(pts >= lo) and np.all(pts <= hi)
    rows = {tuple(p) for p in pts}
    for corner in [(0.0, -2.0), (0.0, 0.0), (1.0, -2.0), (1.0, 0.0), (0.25, -1.0), (0.0, -1.0)]:
        assert corner in rows
    assert (np.nextafter(0.25, 1.0), np.nextafter(-1.0, 0.0)) in rows
    assert (np.nextafter(1.0, 0.0), np.nextafter(0.0, -1.0)) in rows


def test_sample_points_scalar_and_many_dimensions():
    pts = sample_points(scalar(0.5), (scalar(0.0), scalar(1.0)), 20, np.random.default_rng(1))
    assert pts.shape == (20,) and {0.0, 0.5, 1.0} <= set(pts.tolist())
    pts = sample_points(
        np.zeros((3, 4)), (-np.ones((3, 4)), np.ones((3, 4))), 10, np.random.default_rng(2)
    )
    assert pts.shape[1:] == (3, 4) and len(pts) >= 64


def test_crosscheck_vector_function_of_a_vector():
    # f(x) = (x0 * x1, x0 + x1) around x0 = (1, 2): exact degree-2 polynomial
    g = ExprGraph()
    v = g.add_input((2,))
    x = g.add("take", [v], {"indices": np.array([0]), "shape": ()}, shape=())
    y = g.add("take", [v], {"indices": np.array([1]), "shape": ()}, shape=())
    prod = g.add(
        "broadcast_in_dim",
        [g.add("mul", [x, y])],
        {"shape": (1,), "broadcast_dimensions": ()},
        shape=(1,),
    )
    total = g.add(
        "broadcast_in_dim",
        [g.add("add", [x, y])],
        {"shape": (1,), "broadcast_dimensions": ()},
        shape=(1,),
    )
    g.set_output(g.add("concatenate", [prod, total], {"dimension": 0}, shape=(2,)))
    c0 = np.array([2.0, 3.0])
    c1 = np.array([[2.0, 1.0], [1.0, 1.0]])
    c2 = np.zeros((2, 2, 2))
    c2[0] = [[0.0, 0.5], [0.5, 0.0]]
    region = (np.array([0.0, 1.0]), np.array([2.0, 3.0]))
    report = crosscheck(g, [c0, c1, c2], np.array([1.0, 2.0]), region, n_points=30)
    assert report.ok and report.tightness < 1e-50  # exact up to rounding the ends to 200 bits
    c2[0] = [[0.0, 0.5], [0.4, 0.0]]
    assert not crosscheck(g, [c0, c1, c2], np.array([1.0, 2.0]), region, n_points=30).ok


def test_remainder_range_of_exp_degree_one():
    # (e**y - 1)/y on (0, 1]: increasing, from 1 (as y -> 0) to e - 1 (see EXP_SHARP above)
    lo, hi = remainder_range("exp", 0.0, 0.0, 1.0, 1)
    assert abs(lo - 1) < 1e-9 and abs(hi - (mp.e - 1)) < 1e-9


def test_remainder_range_of_exp_degree_two():
    # (e**y - 1 - y)/y**2 increases on [-1, 1]: from e**-1 at y = -1 to e - 2 at y = 1
    lo, hi = remainder_range("exp", 0.0, -1.0, 1.0, 2, n=500)
    assert abs(lo - mp.exp(-1)) < 1e-12 and abs(hi - (mp.e - 2)) < 1e-12


def test_remainder_range_approaches_the_derivative_at_an_interior_point():
    # log around 2 on [1, 3], k = 3: R_3 -> log'''(2)/3! = (2/8)/6 = 1/24 near y0; the range
    # must contain it, and contain the end values
    with mp.workprec(120):
        lo, hi = remainder_range("log", 2.0, 1.0, 3.0, 3, n=300)
        ends = [
            (mp.log(y) - mp.log(2) - (y - 2) / 2 + (y - 2) ** 2 / 8) / (y - 2) ** 3
            for y in (mp.mpf(1), mp.mpf(3))
        ]
        assert lo <= mp.mpf(1) / 24 <= hi
        assert lo <= min(ends) + 1e-20 and max(ends) <= hi + 1e-20
        assert abs(lo - min(ends)) < 1e-20 or abs(hi - max(ends)) < 1e-20
