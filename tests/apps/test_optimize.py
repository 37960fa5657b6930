"""Verified global minimization: enclosures of the minimum that hold (against mpmath and
published minima), certificates the independent checker accepts, honest budgets and errors."""

from fractions import Fraction

import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from mpmath import mp

from autobound.apps.optimize import minimize
from autobound.errors import DomainError, InvalidArgument, InvalidRegion
from autobound.verify import check_certificate
from autobound.verify.exact import read_number
from tests.strategies import (
    COMPILE_BUDGET,
    as_string,
    bounded_refusals,
    checked,
    expressions,
    mp_function,
    refused,
)

CAMEL = "4*x**2 - 2.1*x**4 + x**6/3 + x*y - 4*y**2 + 4*y**4"
CAMEL_MIN = mp.mpf("-1.0316284534898774")  # Surjanovic-Bingham; at (±0.0898, ∓0.7126)


def camel_mp(x, y):
    x, y = mp.mpf(x), mp.mpf(y)
    return 4 * x**2 - mp.mpf(21) / 10 * x**4 + x**6 / 3 + x * y - 4 * y**2 + 4 * y**4


def test_six_hump_camel_is_certified_within_tol_and_the_checker_agrees():
    r = minimize(CAMEL, box=[(-3, 3), (-2, 2)], tol=1e-6)
    assert r.status == "certified" and r
    assert r.upper - r.lower <= 1e-6
    mp.dps = 30
    assert r.lower <= CAMEL_MIN <= r.upper
    assert camel_mp(*r.argmin) <= r.upper  # the witness's exact value is below upper
    assert -3 <= r.argmin[0] <= 3 and -2 <= r.argmin[1] <= 2
    assert r.boxes < 1000  # no cluster of boxes around the two minimizers
    verdict = check_certificate(r.certificate.to_json())
    assert verdict.ok, verdict.reason
    claim = r.certificate.claim
    assert read_number(claim.lower) == Fraction(r.lower)
    assert read_number(claim.upper) == Fraction(r.upper)


def test_a_budget_gives_unknown_with_bounds_that_still_hold():
    r = minimize(CAMEL, box=[(-3, 3), (-2, 2)], tol=1e-12, max_boxes=40, progress=True)
    assert r.status == "unknown" and not r and r.certificate is None
    assert "budget" in r.message
    assert r.lower <= CAMEL_MIN <= r.upper and r.gap > 1e-12


def test_univariate_problem_of_hansen_jaumard_lu():
    # sin(x) + sin(10x/3) on [2.7, 7.5]: global minimum -1.899599... at x = 5.145735...
    r = minimize("sin(x) + sin(10*x/3)", box=[(2.7, 7.5)], tol=1e-9)
    assert r
    mp.dps = 30
    x = mp.findroot(lambda t: mp.cos(t) + 10 * mp.cos(10 * t / 3) / 3, 5.1457)
    true_min = mp.sin(x) + mp.sin(10 * x / 3)
    assert r.lower <= true_min <= r.upper and r.upper - r.lower <= 1e-9
    assert abs(r.argmin[0] - float(x)) < 1e-4
    assert check_certificate(r.certificate.to_json()).ok


def test_a_jax_function_and_exact_box_ends():
    # the minimum of cos over [-pi/2, pi/2] is 0, at the ends: the box is enclosed outward
    # (it holds the exact ends), the witness lies inside the exact box
    r = minimize(lambda x: jnp.cos(x), box=[("-pi/2", "pi/2")], tol=1e-8)
    assert r and r.lower <= 0 <= r.upper
    lo, hi = (read_number(v) for v in r.certificate.box[0])
    half_pi = Fraction("1.5707963267948966192313216916397514420986")
    assert lo < -half_pi and hi > half_pi
    assert -half_pi <= Fraction(r.argmin[0]) <= half_pi
    assert check_certificate(r.certificate.to_json()).ok


def test_undefined_somewhere_on_the_box_is_a_domain_error():
    with pytest.raises(DomainError, match="undefined at a point of the box"):
        minimize("log(x)", box=[(-1, 1)])


@pytest.mark.parametrize(
    ("f", "box", "kwargs", "error", "match"),
    [
        ("x**2", [(0, 1)], {"tol": 0}, InvalidArgument, "tol must be a positive"),
        ("x**2", [(0, 1)], {"tol": float("nan")}, InvalidArgument, "tol must be a positive"),
        ("x**2", [(1, 0)], {}, InvalidRegion, "empty or reversed"),
        ("x**2", [], {}, InvalidRegion, "no sides"),
        ("x**2", [(0, "inf")], {}, InvalidRegion, "not a real constant"),
        ("x*y", [(0, 1)], {}, InvalidArgument, "1 side"),
        ("x - x + 2", [(0, 1), (0, 1)], {}, InvalidArgument, "no variables .* constant"),
        ("x**2", [(0, 1, 2)], {}, InvalidRegion, "pair"),
        ("x**2", [(0, 1)], {"time_limit": -1}, InvalidArgument, "time_limit"),
    ],
)
def test_bad_input_is_named(f, box, kwargs, error, match):
    with pytest.raises(error, match=match):
        minimize(f, box, **kwargs)


def test_a_constant_function_is_its_own_minimum():
    """f simplifies to a constant (no variable left): every box bounds it alike."""
    r = minimize("x - x + 2", [(-1, 1), (0, 1)], variables=["x", "y"])
    assert r.status == "certified" and r.lower <= 2 <= r.upper and r.upper - r.lower <= 1e-6
    assert check_certificate(r.certificate.to_json()).ok


@bounded_refusals(max_share=0.34, family="minimize")
@settings(max_examples=6)
@given(expressions(1, max_depth=3, max_cost=COMPILE_BUDGET))
def test_random_functions_lower_bound_holds_and_certificates_check(e):
    # Soundness of the enclosure of the minimum: lower <= f(x) in mpmath on a grid, f(argmin)
    # <= upper; a certified result's certificate passes the checker.
    text, names = as_string(e, 1)
    try:
        r = minimize(text, box=[(-1, 1)], tol=1e-4, variables=names, max_boxes=4000)
    except DomainError:
        refused("f is undefined somewhere on the box")
        return
    f = mp_function(e, ())
    mp.dps = 40
    values = []
    for t in np.linspace(-1, 1, 201):
        try:
            values.append(f(t))
        except (ValueError, ZeroDivisionError):
            continue
    assert all(r.lower <= v for v in values)
    if r.argmin:
        assert f(r.argmin[0]) <= r.upper
    if r.status != "certified":
        refused(r.message)
        return
    verdict = check_certificate(r.certificate.to_json())
    assert verdict.ok or "could not confirm" in verdict.reason, str(verdict)
    if verdict.ok:
        checked()
    else:
        refused("the checker's own bounds fell short")


# -- monotonicity ------------------------------------------------------------------------------

STYBLINSKI_TANG_3 = " + ".join(f"(x{i}**4 - 16*x{i}**2 + 5*x{i})/2" for i in range(3))
ST_ARGMIN = mp.mpf("-2.903534027771177")  # per coordinate; 2^3 basins, one global


@pytest.fixture(scope="module")
def styblinski_tang():
    names = [f"x{i}" for i in range(3)]
    # partials from the first box (by default they wait for 2,048: this search is shorter)
    with_test = minimize(STYBLINSKI_TANG_3, [(-5, 5)] * 3, variables=names, monotone_after=0)
    without = minimize(STYBLINSKI_TANG_3, [(-5, 5)] * 3, variables=names, monotonicity=False)
    default = minimize(STYBLINSKI_TANG_3, [(-5, 5)] * 3, variables=names)
    assert default.boxes > 2048 or not any(leaf.monotone for leaf in default.certificate.leaves)
    return with_test, without


def test_monotone_boxes_are_dropped_and_the_minimum_still_holds(styblinski_tang):
    r, plain = styblinski_tang
    mp.dps = 30
    true_min = 3 * (ST_ARGMIN**4 - 16 * ST_ARGMIN**2 + 5 * ST_ARGMIN) / 2
    for result in (r, plain):
        assert result.status == "certified" and result.lower <= true_min <= result.upper
    assert r.boxes * 4 <= plain.boxes  # the test removes most of the search
    leaves = r.certificate.leaves
    assert sum(leaf.monotone is not None for leaf in leaves) >= len(leaves) // 4
    assert not any(leaf.monotone is not None for leaf in plain.certificate.leaves)
    verdict = check_certificate(r.certificate.to_json())
    assert verdict.ok, str(verdict)


def _tampered(cert, change):
    import json

    doc = json.loads(cert.to_json())
    leaf = next(leaf for leaf in doc["leaves"] if "monotone" in leaf)
    doc["leaves"].remove(leaf)
    doc["leaves"].insert(0, leaf)  # checked first: the verdict comes without the others
    change(doc, leaf)
    return check_certificate(json.dumps(doc))


def test_a_monotone_leaf_with_the_wrong_sign_or_side_is_rejected(styblinski_tang):
    cert = styblinski_tang[0].certificate

    def flip(doc, leaf):
        leaf["monotone"]["sign"] *= -1

    verdict = _tampered(cert, flip)
    assert not verdict.ok
    assert "sign" in verdict.reason or "boundary" in verdict.reason

    def to_the_boundary(doc, leaf):  # the side it points to is moved onto the box's end
        j = leaf["monotone"]["variable"]
        end = 0 if leaf["monotone"]["sign"] > 0 else 1
        (leaf["lo"] if end == 0 else leaf["hi"])[j] = doc["box"][j][end]

    verdict = _tampered(cert, to_the_boundary)
    assert not verdict.ok and ("boundary" in verdict.reason or "overlaps" in verdict.reason)

    def every_leaf(doc, leaf):
        for other in doc["leaves"]:
            other["monotone"] = leaf["monotone"]

    verdict = _tampered(cert, every_leaf)
    assert not verdict.ok

    def as_version_1(doc, leaf):
        doc["version"] = 1

    verdict = _tampered(cert, as_version_1)
    assert not verdict.ok and "version-1" in verdict.reason


def test_monotone_leaves_are_refused_for_a_bound_claim(styblinski_tang):
    def as_bound_claim(doc, leaf):
        doc["claim"] = {"kind": "ge", "value": doc["claim"]["lower"]}

    verdict = _tampered(styblinski_tang[0].certificate, as_bound_claim)
    assert not verdict.ok and "min_in claims only" in verdict.reason


def test_no_monotonicity_for_functions_with_kinks():
    # |x| + y/4 on [-1, 1] x [-1, 1]: a kink at x = 0; no partials, so no monotone leaves
    r = minimize("abs(x) + y/4", [(-1, 1), (-1, 1)], variables=["x", "y"], monotone_after=0)
    assert r.status == "certified" and r.lower <= -0.25 <= r.upper
    assert not any(leaf.monotone is not None for leaf in r.certificate.leaves)
    assert check_certificate(r.certificate.to_json()).ok


def test_monotone_leaves_are_refused_for_an_integral_claim(styblinski_tang):
    def as_integral_claim(doc, leaf):
        doc["claim"] = {"kind": "integral_in", "lower": "-1000000", "upper": "1000000"}

    verdict = _tampered(styblinski_tang[0].certificate, as_integral_claim)
    assert not verdict.ok and "min_in claims only" in verdict.reason
