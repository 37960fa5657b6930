"""The simple prover: proves, disproves or gives up, and its certificates check."""

import math
import os
from fractions import Fraction

import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autobound.api import taylor_bounds
from autobound.apps.prove import certify_minimum, prove
from autobound.errors import AutoBoundError, InvalidArgument, InvalidRegion
from autobound.frontends.sympy_frontend import graph_from_string
from autobound.verify import check_certificate, evaluate
from autobound.verify.exact import read_number, write_number
from tests.strategies import (
    COMPILE_BUDGET,
    as_string,
    bounded_refusals,
    checked,
    expressions,
    refused,
)

# At most this share of the random functions may end without a checked proof (the engine
# refused the box or gave no finite bound, the prover ran out of boxes, or the checker's own
# bounds fell short): a prover or engine that gave up on everything must fail.
MAX_NOT_CHECKED = 0.34


def test_a_jax_function_of_two_variables_is_proved_and_checked():
    def f(x):
        return jnp.exp(x[0] * x[1]) - 1 - x[0] * x[1] + 0.01

    proof = prove(f, [(-1, 1), (-0.5, 0.5)], "gt", 0)
    assert proof.status == "proved" and proof.counterexample is None
    assert check_certificate(proof.certificate).ok
    assert proof.certificate.expression.text is None  # a callable has no source text


def test_a_false_claim_is_disproved_at_a_point_where_it_fails():
    proof = prove("x*y - 0.2", [(0, 1), (0, 1)], "ge", 0)
    assert proof.status == "disproved" and proof.certificate is None
    x = np.array(proof.counterexample)
    assert evaluate(graph_from_string("x*y - 0.2", ("x", "y")), x) < 0


def test_a_claim_without_slack_runs_out_of_boxes():
    # sin(x) + 1 > 0 fails only at -pi/2, which no float hits: neither proved nor disproved
    proof = prove("sin(x) + 1", [(-2, 2)], "gt", 0, max_boxes=300)
    assert proof.status == "unknown" and not proof
    assert "budget ran out" in proof.message and "boxes open" in proof.message


def test_upper_claims_and_exact_box_ends():
    proof = prove("log(1 + x) - x", [("1/10", "3")], "lt", "0")
    assert proof
    cert = proof.certificate
    assert read_number(cert.box[0][0]) == Fraction(1, 10)  # the box is kept exactly
    assert min(read_number(leaf.lo[0]) for leaf in cert.leaves) == Fraction(1, 10)
    assert check_certificate(cert).ok


def test_a_minimum_in_two_variables():
    proof = certify_minimum("(x - 0.3)**2 + (y + 0.2)**2 + 1", [(-1, 1), (-1, 1)], tol=1e-3)
    claim = proof.certificate.claim
    lo, hi = read_number(claim.lower), read_number(claim.upper)
    assert lo <= 1 <= hi and hi - lo <= 1.5e-3
    assert check_certificate(proof.certificate).ok


@pytest.mark.parametrize(
    ("box", "error", "words"),
    [
        ([(1, 0)], InvalidRegion, "lo < hi"),
        ([(0, 1), (0, 1)], InvalidArgument, "2 side\\(s\\), f has the variables x"),
        ([("0", "x + 1")], InvalidRegion, "not a real constant"),
        ([("0", "import os")], InvalidRegion, "not a number or a constant expression"),
    ],
)
def test_bad_boxes_are_refused(box, error, words):
    with pytest.raises(error, match=words):
        prove("exp(x)", box, "ge", 0)


def test_bad_arguments_are_refused():
    with pytest.raises(InvalidArgument, match="claim must be"):
        prove("exp(x)", [(0, 1)], "geq", 0)
    with pytest.raises(InvalidArgument, match="tol must be a positive"):
        certify_minimum("exp(x)", [(0, 1)], tol=0)
    with pytest.raises(InvalidArgument, match="max_boxes"):
        prove("exp(x)", [(0, 1)], "ge", 0, max_boxes=0)


@bounded_refusals(MAX_NOT_CHECKED)
@settings(max_examples=int(os.environ.get("AUTOBOUND_PROVE_EXAMPLES", "6")))
@given(
    st.integers(1, 2).flatmap(
        lambda n: st.tuples(st.just(n), expressions(n, max_depth=3, max_cost=COMPILE_BUDGET))
    )
)
def test_prover_and_checker_agree_on_random_functions(n_and_e):
    # A claim with room (1 below the engine's range over the box) on a random tree: the prover
    # proves it at once and the checker accepts.  A rejection may only be the checker's own
    # bounds falling short (never inconsistent records, an enclosure missing f(x0), a graph
    # that does not read back): those would be bugs in the prover, the engine or the format.
    n, e = n_and_e
    text, names = as_string(e, n)
    box = [(-1, 1)] + [("-1/2", "3/4")] * (n - 1)
    try:
        whole = taylor_bounds(text, 2, names, rounding="outward")
        x0 = 0.0 if n == 1 else np.array([0.0, 0.125])
        lo = -1.0 if n == 1 else np.array([-1.0, -0.5])
        hi = 1.0 if n == 1 else np.array([1.0, 0.75])
        low = float(np.min(whole(x0, (lo, hi)).lower(np.stack([lo, hi, x0]))))
    except AutoBoundError:
        refused("the engine refuses the box")
        return  # (a domain error): nothing to prove
    if not np.isfinite(low) or abs(low) > 1e6:
        refused("no finite bound")
        return
    value = write_number(math.floor(low) - 1)
    proof = prove(text, box, "ge", value, variables=names, max_boxes=512)
    assert proof.status in ("proved", "unknown"), proof.message
    if proof.status == "proved":
        verdict = check_certificate(proof.certificate.to_json())
        assert verdict.ok or "could not confirm" in verdict.reason, str(verdict)
        if verdict.ok:
            checked()
        else:
            refused("the checker's bounds fell short")
    else:
        refused("prover ran out of boxes")


def test_irrational_box_ends_are_rounded_outward():
    proof = prove("cos(x)", [("-pi/2", "pi/2")], "ge", "-1e-9")
    assert proof
    lo, hi = (read_number(v) for v in proof.certificate.box[0])
    half_pi = Fraction("1.5707963267948966192313216916397514420986")  # 40 digits
    assert lo < -half_pi and hi > half_pi  # the double nearest pi/2 is below it: not enough
    assert hi - half_pi < 1e-15 and -half_pi - lo < 1e-15
    assert check_certificate(proof.certificate).ok
