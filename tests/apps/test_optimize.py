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
