"""Growth forms at an end of an integral (verify/tails.py) against mpmath at 40 digits.

The reference integral over the end piece is computed independently: with
``x = end ± ε e^{-s}`` the integral becomes ``ε ∫_0^∞ f(end ± ε e^{-s}) e^{-s} ds``, a smooth
integrand on a half line that mpmath's tanh-sinh quadrature handles to full precision."""

from fractions import Fraction

import mpmath
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from autobound.frontends.sympy_frontend import graph_from_string
from autobound.verify.tails import MAX_WIDTH, TailError, tail_integral

mpmath.mp.dps = 40


def reference(text: str, end: Fraction, width: Fraction, side: str):
    """∫ f over the end piece, in mpmath (the substitution above; f from sympy, whose
    rationals, such as the 1/3 of ``x**(1/3)``, are exact as in the graph).  Away from 0, x is
    formed with s/2.2 + 50 digits so that ``end ± ε e^{-s}`` keeps its distance to the end; the
    half line is cut at s = 2000 (beyond, even t^-0.9 weighs less than e^{-200})."""
    x = sympy.Symbol("x")
    f = sympy.lambdify(x, sympy.sympify(text, rational=True), "mpmath")
    e = mpmath.mpf(width.numerator) / width.denominator
    a = mpmath.mpf(end.numerator) / end.denominator
    sign = 1 if side == "lo" else -1

    def integrand(s):
        with mpmath.workdps(50 if a == 0 else int(50 + s / 2.2)):  # x = ε e^-s is exact at 0
            value = f(a + sign * e * mpmath.exp(-s))
        return value * mpmath.exp(-s)

    return e * mpmath.quad(integrand, [0, 1, 10, 50, 200, 2000])


def check(text: str, end: Fraction, width: Fraction, side: str):
    ends = tail_integral(graph_from_string(text, ["x"]), end, width, side)
    low, high = (mpmath.mpf(q.numerator) / q.denominator for q in ends)  # dyadic: exact
    value = reference(text, end, width, side)
    assert low <= value <= high, (text, float(low), float(value), float(high))
    return low, high, value


# Each kind of rule: logs (m integer, real and negative powers of L), real and negative powers
# of t, exp(c log t), functions of bounded forms, cancellation at a right end, a quotient.
CASES = [
    ("sqrt(x)*log(x)", 0, "lo"),
    ("log(x)**2", 0, "lo"),
    ("log(x)**3*exp(-x)", 0, "lo"),
    ("x**x", 0, "lo"),
    ("x**(-0.9)", 0, "lo"),
    ("x**(1/3)*log(x)", 0, "lo"),
    ("1/log(x)**2", 0, "lo"),
    ("sqrt(-log(x))", 0, "lo"),
    ("sqrt(1 - x**2)", 1, "hi"),
    ("log(1 - x)", 1, "hi"),
    ("1/sqrt(x + x**2)", 0, "lo"),
    ("sin(x)*log(x)/sqrt(x)", 0, "lo"),
    ("cos(x)**x", 0, "lo"),
    ("x**sin(x)", 0, "lo"),
    ("atan(x)*log(x)**2", 0, "lo"),
    ("log(x - 2)/(1 + x)", 2, "lo"),
]


@pytest.mark.parametrize("text, end, side", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("width", [MAX_WIDTH, Fraction(1, 2**20)])
def test_tail_integrals_hold_the_value(text, end, side, width):
    low, high, value = check(text, Fraction(end), width, side)
    # informative, not just finite (functions of bounded forms go through their range, which
    # drops the factor t: sin(x) log(x) / sqrt(x) is bounded by [0, sin ε] log(x) / sqrt(x))
    assert high - low <= 2 * abs(value) + 1e-30


@pytest.mark.parametrize(
    "text", ["exp(-1/x)/x**3", "exp(-(1 - x)/x - 1/x**2)/x**4", "exp(-log(x)**2)/x"]
)
@pytest.mark.parametrize("width", [MAX_WIDTH, Fraction(1, 2**20)])
def test_exp_of_values_tending_to_minus_infinity_decays_like_a_power(text, width):
    """exp(-1/t) and exp(-L^2) vanish faster than any power: bounded by t^6 (times a
    constant), the integrals' true values being as small as 1e-455385."""
    low, high, value = check(text, Fraction(0), width, "lo")
    assert low <= 0 <= high and high - low <= 10 * float(width) ** 2


@pytest.mark.parametrize(
    "text", ["1/(exp(1/x) - 1)", "x**-5/(exp(1/x) - 1)", "1/(1 + exp(log(x)**2))"]
)
@pytest.mark.parametrize("width", [MAX_WIDTH, Fraction(1, 2**20)])
def test_exp_of_values_tending_to_plus_infinity_is_bounded_below(text, width):
    """exp(1/t) and exp(L^2) grow faster than any power: bounded below by [b, inf] t^-12
    (the value itself unbounded), so their reciprocals decay like t^12 (times a constant)."""
    low, high, value = check(text, Fraction(0), width, "lo")
    assert low <= 0 <= high and high - low <= 10 * float(width) ** 2


def test_exact_cases_are_enclosed_to_rounding():
    """Pure t^α log(1/t)^m terms: the integral formula is exact, only rounding remains."""
    for text in ("sqrt(x)*log(x)", "log(x)**2", "x**(-0.5)", "log(1 - x)"):
        end, side = (1, "hi") if "1 - x" in text else (0, "lo")
        low, high, value = check(text, Fraction(end), Fraction(1, 64), side)
        assert high - low <= 1e-20 * abs(value)


@settings(max_examples=40, deadline=None)
@given(
    a=st.fractions(min_value=Fraction(-5, 6), max_value=3, max_denominator=6),
    m=st.integers(0, 3),
    g=st.sampled_from(["exp(-2*x)", "1 + x**2", "cos(x)", "1/(2 + x)", "sqrt(1 + x)"]),
    c=st.sampled_from([1, -3, Fraction(1, 7)]),
    right=st.booleans(),
    k=st.integers(4, 40),
)
def test_power_log_smooth_products_are_enclosed_never_refused(a, m, g, c, right, k):
    """c · t^a · log(t)^m · g(x) with t = |x - end| and smooth positive g, at both ends of
    [0, 1]: the whole class is supported (no refusal) and every enclosure holds the value,
    informatively (sympy may expand the product, whose terms then meet only as intervals)."""
    t = "(1 - x)" if right else "x"
    text = f"({c})*{t}**({a})*log({t})**{m}*{g}"
    width = Fraction(1, 2**k)
    low, high, value = check(text, Fraction(1 if right else 0), width, "hi" if right else "lo")
    assert high - low <= abs(value) + 1e-300


def test_bounded_functions_of_unbounded_values_use_their_global_range():
    """∫_0^ε sin(1/x) dx = ε sin(1/ε) − Ci(1/ε) (its derivative is sin(1/x); both terms
    vanish at 0): inside ε · [−1, 1]."""
    eps = Fraction(1, 64)
    low, high = tail_integral(graph_from_string("sin(1/x)", ["x"]), Fraction(0), eps, "lo")
    e = mpmath.mpf(eps.numerator) / eps.denominator
    value = e * mpmath.sin(1 / e) - mpmath.ci(1 / e)
    assert low <= Fraction(-1, 64) and high >= Fraction(1, 64) and high - low <= 2 * eps * 1.0001
    assert mpmath.mpf(low.numerator) / low.denominator <= value
    assert value <= mpmath.mpf(high.numerator) / high.denominator


@pytest.mark.parametrize(
    "text, words",
    [
        ("1/x", "may not be integrable at the end 0"),
        ("log(x)/x", "may not be integrable"),
        ("log(sin(1/x))", "log of a value that may reach 0"),
        ("sinh(1/x)", "sinh of a value unbounded"),
        ("exp(1/x)", "may not be integrable"),  # bounded below only: [b, inf] t^-12
        ("log(x**2 - x)", "log of a value that may reach 0"),
        ("sqrt(x - 1)", "sqrt"),
    ],
)
def test_what_the_growth_forms_cannot_bound_is_refused_with_the_reason(text, words):
    with pytest.raises(TailError, match=words):
        tail_integral(graph_from_string(text, ["x"]), Fraction(0), Fraction(1, 32), "lo")


def test_pieces_wider_than_the_limit_are_refused():
    with pytest.raises(TailError, match="width"):
        tail_integral(graph_from_string("log(x)", ["x"]), Fraction(0), Fraction(1, 8), "lo")


def test_functions_of_several_variables_are_refused():
    graph = graph_from_string("log(x) + y", ["x", "y"])
    with pytest.raises(TailError, match="one variable"):
        tail_integral(graph, Fraction(0), Fraction(1, 32), "lo")
