"""Verified integration: every enclosure contains the integral computed in mpmath at 40
digits; singular and undefined integrands and unreachable tolerances are reported honestly.

Few compiled programs: one parametrized Python integrand covers the closed forms (new
parameters do not recompile), plus one program per hard integrand."""

import json
import math
import re
from fractions import Fraction

import jax.numpy as jnp
import mpmath
import pytest

from autobound.apps.integrate import _program, integrate
from autobound.errors import DomainError, InvalidArgument, InvalidRegion
from autobound.verify import check_certificate
from autobound.verify.exact import read_number

mpmath.mp.dps = 40


def family(x, p):
    """p0 exp(p1 x) + p2 sin(p3 x) + p4 sqrt(x + p5) + p6 |x - p7|."""
    return (
        p[0] * jnp.exp(p[1] * x)
        + p[2] * jnp.sin(p[3] * x)
        + p[4] * jnp.sqrt(x + p[5])
        + p[6] * jnp.abs(x - p[7])
    )


def family_integral(p, a, b):
    """The closed form of ∫_a^b family(x, p) dx, in mpmath (floats read exactly)."""
    p = [mpmath.mpf(v) for v in p]
    a, b = mpmath.mpf(a), mpmath.mpf(b)
    total = mpmath.mpf(0)
    if p[0]:
        total += p[0] * (mpmath.exp(p[1] * b) - mpmath.exp(p[1] * a)) / p[1]
    if p[2]:
        total += p[2] * (mpmath.cos(p[3] * a) - mpmath.cos(p[3] * b)) / p[3]
    if p[4]:
        total += p[4] * 2 / 3 * ((b + p[5]) ** 1.5 - (a + p[5]) ** 1.5)
    if p[6]:
        total += p[6] * ((b - p[7]) * abs(b - p[7]) - (a - p[7]) * abs(a - p[7])) / 2
    return total


# (params, box, tol): smooth, oscillatory, a sqrt end point (bounded, not analytic), a kink.
# The sqrt shift p5 keeps x + p5 > 0 except in the sqrt(x) case: outward rounding of x + p5
# near -p5 reaches below 0, where sqrt has no enclosure.
FAMILY_CASES = [
    ([1.0, -2.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0], (0.0, 3.0), 1e-7),
    ([0.5, 1.0, 2.0, 25.0, 0.0, 1.5, 0.0, 0.0], (-1.0, 2.0), 1e-6),
    ([0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0], (0.0, 1.0), 1e-6),
    ([0.0, 1.0, 0.0, 1.0, -3.0, 1.5, 2.0, 0.3], (-1.0, 1.0), 1e-6),
]


@pytest.mark.parametrize("params, box, tol", FAMILY_CASES)
def test_closed_form_integrals_are_certified_and_contain_the_exact_value(params, box, tol):
    r = integrate(family, [box], tol=tol, degree=2, params=jnp.array(params))
    exact = family_integral(params, *box)
    assert r.status == "certified", r.message
    assert r.lower <= exact <= r.upper
    assert r.upper - r.lower <= tol and r.pieces >= 1


def test_certificate_of_a_certified_integral_is_accepted_by_the_checker():
    # sqrt(x) + |x - 0.3| on [0, 1]: a degree-0 end piece and a kink; parameters bound as
    # constants in the certificate's graph.
    params = [0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.3]
    r = integrate(
        family, [(0.0, 1.0)], tol=1e-3, degree=2, params=jnp.array(params), certificate=True
    )
    exact = family_integral(params, 0.0, 1.0)
    assert r.status == "certified" and r.certificate is not None
    verdict = check_certificate(r.certificate)
    assert verdict.ok, verdict
    claim = r.certificate.claim  # the enclosure, widened by tol/4 on each side
    assert read_number(claim.lower) <= Fraction(r.lower) and Fraction(r.upper) <= read_number(
        claim.upper
    )
    assert r.lower <= exact <= r.upper


def test_new_parameters_reuse_the_compiled_program():
    # the first call builds the program (or finds it, after other tests of this worker)
    integrate(family, [(0.0, 1.0)], tol=1e-3, degree=2, params=jnp.array(FAMILY_CASES[1][0]))
    before = _program.cache_info()
    integrate(family, [(0.0, 1.0)], tol=1e-3, degree=2, params=jnp.array(FAMILY_CASES[0][0]))
    after = _program.cache_info()
    assert after.misses == before.misses and after.hits == before.hits + 1


def test_box_end_that_is_not_a_double_is_handled_exactly():
    # ∫_{1/3}^{pi} exp(-2x) dx: both ends are enclosed outward and the excess subtracted.
    params = [1.0, -2.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0]
    r = integrate(family, [("1/3", "pi")], tol=1e-8, degree=2, params=jnp.array(params))
    exact = (mpmath.exp(-2 * mpmath.mpf(1) / 3) - mpmath.exp(-2 * mpmath.pi)) / 2
    assert r.status == "certified" and r.lower <= exact <= r.upper


def test_unreachable_tolerance_is_unknown_with_the_best_enclosure():
    params = [0.5, 1.0, 2.0, 25.0, 0.0, 1.5, 0.0, 0.0]
    r = integrate(
        family, [(-1.0, 2.0)], tol=1e-14, degree=2, params=jnp.array(params), max_pieces=300
    )
    exact = family_integral(params, -1.0, 2.0)
    assert r.status == "unknown" and "box budget" in r.message
    assert math.isfinite(r.lower) and math.isfinite(r.upper) and r.upper - r.lower > 1e-14
    assert r.lower <= exact <= r.upper and r.pieces <= 300


def test_oscillatory_integral_over_a_long_range_finishes_and_contains_the_value():
    # Johansson's example: ∫_0^8 sin(x + e^x) dx; the integrand oscillates ~e^8/(2π) times.
    r = integrate("sin(x + exp(x))", [(0, 8)], tol=1e-4, degree=2, time_limit=120)
    with mpmath.workdps(32):  # 0.34740017265724780787951215911989 (Johansson's digits)
        exact = mpmath.quad(lambda x: mpmath.sin(x + mpmath.exp(x)), mpmath.linspace(0, 8, 300))
    assert r.status == "certified", r.message
    assert r.lower <= exact <= r.upper


def test_two_dimensional_integral_contains_the_value():
    # ∫_0^1 ∫_0^2 exp(-x y) dy dx = ∫_0^1 (1 - e^{-2x})/x dx = Ein(2) = E1(2) + γ + ln 2.
    r = integrate("exp(-x*y)", [(0, 1), (0, 2)], variables=["x", "y"], tol=1e-4, degree=2)
    exact = mpmath.e1(2) + mpmath.euler + mpmath.log(2)
    assert r.status == "certified", r.message
    assert r.lower <= exact <= r.upper


def test_non_integrable_end_singularity_is_unknown_and_names_the_piece():
    r = integrate("1/x", [(0, 1)], tol=1e-6, degree=2)
    assert r.status == "unknown"
    assert r.lower == -math.inf and r.upper == math.inf
    assert "x ∈ [0," in r.message and "div" in r.message
    assert "at x = 0: f may not be integrable" in r.message
    # The message's enclosure of the rest of the box holds: ∫_h^1 1/x = -log h
    # (h printed to 6 digits: an error of ~1e-6 relative in h, ~1e-6 in the value).
    h = mpmath.mpf(re.search(r"x ∈ \[0, ([0-9.e+-]+)\]", r.message).group(1))
    low, high = map(
        float, re.search(r"rest of the box lies in \[(\S+), (\S+)\]", r.message).groups()
    )
    assert high - low > 1e-12
    assert low - 1e-5 <= -mpmath.log(h) <= high + 1e-5


# End singularities the growth forms bound (verify/tails.py), with their closed forms: the
# Bailey-Jeyabalan-Li problems 5, 6, 8, the sophomore's dream, an algebraic and a right end.
END_CASES = [
    ("sqrt(x)*log(x)", (0, 1), lambda: mpmath.mpf(-4) / 9),
    ("sqrt(1 - x**2)", (0, 1), lambda: mpmath.pi / 4),
    ("log(x)**2", (0, 1), lambda: mpmath.mpf(2)),
    ("x**x", (0, 1), lambda: mpmath.nsum(lambda n: (-1) ** (n + 1) / n**n, [1, mpmath.inf])),
    ("1/sqrt(x)", (0, 4), lambda: mpmath.mpf(4)),
    (
        "log(2 - x)*exp(x)",
        (1, 2),
        lambda: mpmath.quad(lambda t: mpmath.log(t) * mpmath.exp(2 - t), [0, 1]),
    ),
]


@pytest.mark.parametrize("f, box, value", END_CASES, ids=[c[0] for c in END_CASES])
def test_end_singularities_are_certified_and_their_certificates_check(f, box, value):
    r = integrate(f, [box], tol=1e-7, certificate=True)
    assert r.status == "certified", r.message
    assert r.lower <= value() <= r.upper and r.width <= 1e-7
    tails = [leaf for leaf in r.certificate.leaves if leaf.tail is not None]
    assert tails, "the end piece should be a tail leaf"
    verdict = check_certificate(r.certificate)
    assert verdict, verdict.reason


def test_a_polynomial_below_the_requested_degree_gets_a_certificate():
    """x**2 at degree 4 has three coefficients (the records used to be keyed by the
    enclosure's own degree, and the certificate looked for the requested one)."""
    r = integrate("x**2 - where(x > 1/2, x, 0)", [(0, 1)], tol=1e-8, certificate=True)
    assert r.status == "certified", r.message
    assert r.lower <= 1 / 3 - 3 / 8 <= r.upper
    verdict = check_certificate(r.certificate)
    assert verdict, verdict.reason


def test_an_overflowing_intermediate_is_unknown_not_undefined():
    """exp(1000 x) exp(-1000 x) is 1, but exp(500) overflows at x = 1/2 and the product of
    [M, inf] and a tiny factor has no finite bound: an honest unknown naming the point and
    the cause, not a DomainError."""
    # (a Python function: sympy would simplify the string to 1)
    r = integrate(lambda x: jnp.exp(1000 * x) * jnp.exp(-1000 * x), [(-1, 1)], tol=1e-6)
    assert r.status == "unknown" and r.lower == -math.inf and r.upper == math.inf
    assert "overflows" in r.message and "x = " in r.message


def test_johanssons_sech_example_is_certified_through_overflowing_intermediates():
    """sech^6(1000 (x - 0.6)) = 1/cosh^6: cosh^6 overflows on most of [0, 1] (it is only
    known to be beyond the largest double M there), its reciprocal lies in [0, 1/M]; the
    other terms keep their Taylor forms on the same pieces.  Johansson (2018), section 4."""
    f = "sech(10*(x - 0.2))**2 + sech(100*(x - 0.4))**4 + sech(1000*(x - 0.6))**6"
    r = integrate(f, [(0, 1)], tol=1e-6, certificate=True)
    exact = mpmath.quad(
        lambda x: (
            mpmath.sech(10 * (x - 0.2)) ** 2
            + mpmath.sech(100 * (x - 0.4)) ** 4
            + mpmath.sech(1000 * (x - 0.6)) ** 6
        ),
        [0, 0.2, 0.4, 0.59, 0.6, 0.61, 1],
    )
    assert r.status == "certified", r.message
    assert r.lower <= exact <= r.upper and r.width <= 1e-6
    verdict = check_certificate(r.certificate)
    assert verdict, verdict.reason


def test_integrand_undefined_inside_the_box_is_a_domain_error_naming_the_point():
    with pytest.raises(DomainError, match="x = "):
        integrate("log(x)", [(-1, 1)], tol=1e-6, degree=2)


@pytest.mark.parametrize(
    "box, kwargs, error, words",
    [
        ([(0, math.inf), (0, 1)], {}, InvalidRegion, "one variable only"),
        ([(0, math.nan)], {}, InvalidArgument, "not a finite number"),
        ([(1, 0)], {}, InvalidRegion, "reversed"),
        ([(0, 1)], {"tol": 0}, InvalidArgument, "tol"),
        ([(0, 1)], {"tol": 1e-3, "degree": -1}, InvalidArgument, "degree"),
        ([(0, 1)], {"tol": 1e-3, "max_pieces": 0}, InvalidArgument, "max_pieces"),
        ([(0, 1)], {"tol": 1e-3, "max_batch": 8}, InvalidArgument, "max_batch"),
        ([(0, 1), (0, 1)], {"tol": 1e-3}, InvalidRegion, "variable"),
    ],
)
def test_bad_input_is_named(box, kwargs, error, words):
    with pytest.raises(error, match=words):
        integrate("exp(x)", box, **kwargs)


def test_a_constant_integrand():
    """A constant's enclosures are points, not intervals: the integral is still enclosed."""
    r = integrate("2", [(0, 3)], tol=1e-9)
    assert r.status == "certified" and r.lower <= 6 <= r.upper and r.upper - r.lower <= 1e-9


def test_vector_valued_integrand_is_refused():
    with pytest.raises(InvalidArgument, match="scalar"):
        integrate(lambda x: jnp.concatenate([x[None], 2 * x[None]]), [(0, 1)], tol=1e-3, degree=0)


# Singular ends that are not doubles: constants (BJL 9 and 10 at pi/2, where sympy rewrites
# cos(pi/2 - t) as sin(t)), an algebraic number, an exact rational.
CONSTANT_END_CASES = [
    ("log(cos(x))", (0, "pi/2"), lambda: -mpmath.pi * mpmath.log(2) / 2),
    ("sqrt(tan(x))", (0, "pi/2"), lambda: mpmath.pi * mpmath.sqrt(2) / 2),
    ("1/sqrt(2 - x**2)", (0, "sqrt(2)"), lambda: mpmath.pi / 2),
    ("log(x - 1/3)", ("1/3", 1), lambda: mpmath.mpf(2) / 3 * (mpmath.log(mpmath.mpf(2) / 3) - 1)),
]


@pytest.mark.parametrize(
    "f, box, value", CONSTANT_END_CASES, ids=[c[0] for c in CONSTANT_END_CASES]
)
def test_singular_ends_given_as_constants_are_certified(f, box, value):
    r = integrate(f, [box], tol=1e-7)
    assert r.status == "certified", r.message
    assert r.lower <= value() <= r.upper and r.width <= 1e-7


# Infinite ranges (BJL 11-14 and three more), made finite by sympy's substitution; the new
# integrand's singular end at t = 1 goes through the tail analysis (exp(-x) decays faster
# than any power there, 1/(exp(x) - 1) too).
INFINITE_CASES = [
    ("1/(1 + x**2)", (0, math.inf), lambda: mpmath.pi / 2),
    ("exp(-x)/sqrt(x)", (0, "inf"), lambda: mpmath.sqrt(mpmath.pi)),
    ("exp(-x**2/2)", (0, "oo"), lambda: mpmath.sqrt(mpmath.pi / 2)),
    ("exp(-x)*cos(x)", (0, math.inf), lambda: mpmath.mpf(1) / 2),
    ("exp(-x**2)", ("-inf", "inf"), lambda: mpmath.sqrt(mpmath.pi)),
    ("exp(x)", (-math.inf, 0), lambda: mpmath.mpf(1)),
    # Planck's integral: 1/(e^x - 1) decays through exp of a value tending to +inf
    ("x**3/(exp(x) - 1)", (0, "inf"), lambda: mpmath.pi**4 / 15),
]


@pytest.mark.parametrize("f, box, value", INFINITE_CASES, ids=[c[0] for c in INFINITE_CASES])
def test_infinite_ranges_are_certified(f, box, value):
    r = integrate(f, [box], tol=1e-7)
    assert r.status == "certified", r.message
    assert r.lower <= value() <= r.upper and r.width <= 1e-7
    assert "with x = " in r.message  # the substitution is named


def test_infinite_ranges_of_what_cannot_be_substituted_are_named():
    with pytest.raises(InvalidRegion, match="Python function"):
        integrate(lambda x: jnp.exp(-x), [(0, math.inf)], tol=1e-6)
    r = integrate("1/x", [(1, math.inf)], tol=1e-6)  # diverges: never a finite answer
    assert r.status == "unknown" and r.lower == -math.inf and r.upper == math.inf
    assert "may not be integrable" in r.message


# Interior points where a log argument, a negative power's base or an abs argument
# vanishes: the box is split there (sympy's exact roots), each part's ends analysed.
INTERIOR_CASES = [
    (
        "log(abs(x - pi/4))",
        "pi/4",
        lambda: mpmath.quad(lambda x: mpmath.log(abs(x - mpmath.pi / 4)), [0, mpmath.pi / 4, 1]),
    ),
    (
        "log(abs(x - 1/3))",
        "1/3",
        lambda: sum(w * (mpmath.log(w) - 1) for w in (mpmath.mpf(1) / 3, mpmath.mpf(2) / 3)),
    ),
    (
        "1/sqrt(abs(x**2 - 1/2))",
        "sqrt(2)/2",
        lambda: mpmath.quad(
            lambda x: 1 / mpmath.sqrt(abs(x**2 - mpmath.mpf(1) / 2)), [0, mpmath.sqrt(0.5), 1]
        ),
    ),
]


@pytest.mark.parametrize("f, cut, value", INTERIOR_CASES, ids=[c[0] for c in INTERIOR_CASES])
def test_interior_singular_points_split_the_box(f, cut, value):
    r = integrate(f, [(0, 1)], tol=1e-7, certificate=True)
    assert r.status == "certified", r.message
    assert r.lower <= value() <= r.upper and r.width <= 1e-7
    assert r.message.startswith(f"split at {cut}:") and "no certificate" in r.message
    unsplit = integrate(f, [(0, 1)], tol=1e-7, split=False, max_pieces=2000)
    assert unsplit.status == "unknown" and unsplit.lower == -math.inf  # what the split buys


def test_the_checker_rejects_tampered_tail_leaves():
    r = integrate("sqrt(x)*log(x)", [(0, 1)], tol=1e-6, certificate=True)
    good = json.loads(r.certificate.to_json())
    k = next(i for i, leaf in enumerate(good["leaves"]) if leaf.get("tail"))

    def verdict(change):
        cert = json.loads(json.dumps(good))
        change(cert, cert["leaves"][k])
        return check_certificate(json.dumps(cert))

    def narrower(cert, leaf):  # a tail integral narrower than the growth forms give
        leaf["integral"] = [leaf["integral"][1], leaf["integral"][1]]

    def other_end(cert, leaf):  # the tail end is not the box's end
        leaf["tail"] = "hi"

    def wrong_claim(cert, leaf):  # tails for a bound claim
        cert["claim"] = {"kind": "ge", "value": "-100"}
        leaf["range"] = ["-100", "0"]

    assert check_certificate(json.dumps(good))
    assert "does not give the recorded integral" in verdict(narrower).reason
    assert "not that end of the box" in verdict(other_end).reason
    assert "integral claims only" in verdict(wrong_claim).reason
