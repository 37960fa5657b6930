"""The checker's own Taylor coefficients (verify/series.py) against mpmath's: exact at rational
points where they are rational, enclosing ``f^(i)(ξ)/i!`` over intervals."""

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mpmath import mp

from autobound.errors import DomainError
from autobound.frontends.sympy_frontend import graph_from_string
from autobound.verify.rigorous import hi, lo
from autobound.verify.series import exact_taylor, interval_taylor
from tests.strategies import as_string, bounded_refusals, checked, expressions, refused

EXACT = [
    # f, t, coefficients f^(i)(t)/i! for i = 0..5
    ("exp(x) - 1 - x", 0, ["0", "0", "1/2", "1/6", "1/24", "1/120"]),
    ("x - sin(x)", 0, ["0", "0", "0", "1/6", "0", "-1/120"]),
    ("log(1 + x)", 0, ["0", "1", "-1/2", "1/3", "-1/4", "1/5"]),
    ("log(x)", 1, ["0", "1", "-1/2", "1/3", "-1/4", "1/5"]),
    ("tan(x)", 0, ["0", "1", "0", "1/3", "0", "2/15"]),
    ("atan(x)", 0, ["0", "1", "0", "-1/3", "0", "1/5"]),
    ("asin(x)", 0, ["0", "1", "0", "1/6", "0", "3/40"]),
    ("tanh(x)", 0, ["0", "1", "0", "-1/3", "0", "2/15"]),
    ("cosh(x)", 0, ["1", "0", "1/2", "0", "1/24", "0"]),
    ("sqrt(x)", "9/4", ["3/2", "1/3", "-1/27", "2/243", "-5/2187", "14/19683"]),
    ("1/(1 - x)", "1/2", ["2", "4", "8", "16", "32", "64"]),
    ("x**3 - 2*x", 1, ["-1", "1", "3", "1", "0", "0"]),
]


@pytest.mark.parametrize(("f", "t", "want"), EXACT)
def test_exact_coefficients_are_the_rational_taylor_coefficients(f, t, want):
    got = exact_taylor(graph_from_string(f, variables=["x"]), Fraction(t), 5)
    assert got == [Fraction(w) for w in want]


@pytest.mark.parametrize(("f", "t"), [("exp(x)", 1), ("sin(x)", "1/2"), ("sqrt(x)", 2),
                                      ("abs(x)", 0), ("acos(x)", 0)])  # fmt: skip
def test_no_exact_value_is_a_domain_error_not_a_guess(f, t):
    with pytest.raises(DomainError):
        exact_taylor(graph_from_string(f, variables=["x"]), Fraction(t), 2)


def test_abs_one_sided_series_follow_the_side():
    g = graph_from_string("abs(x) + abs(exp(x) - 1)", variables=["x"])
    assert exact_taylor(g, Fraction(0), 2, side=1) == [0, 2, Fraction(1, 2)]
    assert exact_taylor(g, Fraction(0), 2, side=-1) == [0, -2, Fraction(-1, 2)]


def _mp_coefficients(f, t, K):
    return [c for c in mp.taylor(f, t, K)]


@bounded_refusals(max_share=0.4, family="series")
@settings(max_examples=30)
@given(expressions(1, max_depth=3), st.fractions(-1, 1, max_denominator=8), st.integers(0, 4))
def test_interval_coefficients_enclose_the_derivatives_on_the_interval(e, a, K):
    # S_i over [a, a + 1/4] holds f^(i)(ξ)/i! at sample points ξ (mpmath, 50 digits)
    text, names = as_string(e, 1)
    graph = graph_from_string(text, variables=names)
    b = a + Fraction(1, 4)
    try:
        S = interval_taylor(graph, a, b, K, prec=120)
    except DomainError:
        refused("no series over the interval")
        return
    mp.dps = 50
    for xi in (a, (a + b) / 2, b, a + (b - a) / 7):
        try:
            want = _mp_coefficients(lambda v: e.mp([v]), mp.mpf(xi.numerator) / xi.denominator, K)
        except (ValueError, ZeroDivisionError):
            continue
        for s, w in zip(S, want, strict=True):
            if mp.isfinite(w):
                assert lo(s) - mp.mpf("1e-30") <= w <= hi(s) + mp.mpf("1e-30"), (text, xi, s, w)
    checked()


@given(expressions(1, max_depth=3), st.sampled_from([0, 1]))
@settings(max_examples=30)
def test_exact_coefficients_agree_with_mpmath_where_they_exist(e, t):
    text, names = as_string(e, 1)
    graph = graph_from_string(text, variables=names)
    try:
        got = exact_taylor(graph, Fraction(t), 3)
    except DomainError:
        return  # no rational value somewhere: the checker refuses, which is sound
    mp.dps = 50
    want = _mp_coefficients(lambda v: e.mp([v]), mp.mpf(t), 3)
    for q, w in zip(got, want, strict=True):
        assert abs(mp.mpf(q.numerator) / q.denominator - w) <= mp.mpf("1e-25") * (1 + abs(w))
