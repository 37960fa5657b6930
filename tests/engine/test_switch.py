"""Branches on the sign of an expression: ``jnp.where(u > v, a, b)``, sympy ``Piecewise`` and
``where(...)`` in strings become a ``switch`` node (:mod:`autobound.rules.piecewise`); floor,
ceil, trunc and round a ``step`` node.

Where the region decides the test the enclosure is that branch's own; elsewhere it is the
coefficientwise hull of both.  Soundness over random regions is in
``tests/engine/test_rules_soundness.py`` (the ``switch`` and ``switch_le`` lines); here: the
two cases exactly, the three front ends agreeing, the checker's twins and the errors.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy

import autobound as ab
from autobound.errors import DomainError, ParseError
from autobound.frontends.sympy_frontend import graph_from_string
from autobound.interval import hi, lo
from autobound.verify import check_certificate
from autobound.verify.gradient import gradient_interval
from autobound.verify.reference import evaluate, evaluate_interval


def coefficient_ends(e):
    """``[(lower, upper)]`` of each coefficient of a one-variable enclosure."""
    return [(float(lo(c)), float(hi(c))) for c in e.coefficients]


@pytest.mark.parametrize("rounding", ["nearest", "outward"])
def test_a_decided_test_gives_that_branch_exactly(rounding):
    where = ab.enclose(lambda x: jnp.where(x > 1, jnp.exp(x), x**3), degree=3, rounding=rounding)
    exp = ab.enclose(jnp.exp, degree=3, rounding=rounding)
    cube = ab.enclose(lambda x: x**3, degree=3, rounding=rounding)
    above, below = (1.75, 1.5, 2.0), (0.0, -1.0, 0.75)
    assert coefficient_ends(where(*above)) == coefficient_ends(exp(*above))
    assert coefficient_ends(where(*below)) == coefficient_ends(cube(*below))


@pytest.mark.parametrize("rounding", ["nearest", "outward"])
def test_an_undecided_test_gives_the_hull_of_both_branches(rounding):
    box = (1.0, 0.5, 1.5)  # x = 1 switches inside
    where = ab.enclose(lambda x: jnp.where(x > 1, jnp.exp(x), x**3), degree=2, rounding=rounding)
    e = where(*box)
    assert bool(e.valid)
    for branch in (jnp.exp, lambda x: x**3):
        b = ab.enclose(branch, degree=2, rounding=rounding)(*box)
        for (h_lo, h_hi), (b_lo, b_hi) in zip(
            coefficient_ends(e), coefficient_ends(b), strict=True
        ):
            assert h_lo <= b_lo and b_hi <= h_hi
    # and the polynomial bounds hold on both sides of the switch
    for x in np.linspace(0.5, 1.5, 41):
        low, high = ab.poly.evaluate(e, jnp.asarray(x))
        fx = np.exp(x) if x > 1 else x**3
        assert float(low) <= fx <= float(high)


def test_strict_and_non_strict_tests_differ_only_at_contact():
    # s = x - 1 over [1, 2]: s >= 0 is decided (the exp branch), s > 0 is not (x = 1 is a point
    # of the other branch).
    ge = ab.enclose(lambda x: jnp.where(x >= 1, jnp.exp(x), x**3), degree=2, rounding="nearest")
    gt = ab.enclose(lambda x: jnp.where(x > 1, jnp.exp(x), x**3), degree=2, rounding="nearest")
    exp = ab.enclose(jnp.exp, degree=2, rounding="nearest")
    box = (1.5, 1.0, 2.0)
    assert coefficient_ends(ge(*box)) == coefficient_ends(exp(*box))
    lo0, hi0 = coefficient_ends(gt(*box))[0]
    assert (lo0, hi0) == (1.5**3, float(np.exp(1.5)))  # the hull of both branches at x0


def test_the_three_front_ends_give_the_same_enclosure():
    x = sympy.Symbol("x", real=True)
    fs = [
        lambda t: jnp.where(t < 0.25, t**2, 1 - jnp.exp(-t)),
        "where(x < 1/4, x**2, 1 - exp(-x))",
        sympy.Piecewise((x**2, x < sympy.Rational(1, 4)), (1 - sympy.exp(-x), True)),
    ]
    got = [
        coefficient_ends(ab.enclose(f, degree=2, rounding="outward")(0.0, -0.5, 0.5)) for f in fs
    ]
    assert got[0] == got[1] == got[2]


def test_nested_where_and_piecewise_with_several_branches():
    x = sympy.Symbol("x", real=True)
    pw = sympy.Piecewise((-1, x < -1), (x, x <= 1), (1, True))  # hard tanh
    text = "where(x < -1, -1, where(x <= 1, x, 1))"
    for f in (pw, text, jax.nn.hard_tanh):
        enc = ab.enclose(f, degree=2, rounding="outward")
        for box in [(0.0, -0.5, 0.5), (2.0, 1.5, 3.0), (0.0, -2.0, 2.0)]:
            e = enc(*box)
            for t in np.linspace(box[1], box[2], 21):
                low, high = ab.poly.evaluate(e, jnp.asarray(t))
                assert float(low) <= np.clip(t, -1, 1) <= float(high)


@pytest.mark.parametrize(
    "f",
    [jax.nn.elu, jax.nn.selu, jax.nn.celu, jax.nn.hard_tanh, jax.nn.sparse_plus],
    ids=["elu", "selu", "celu", "hard_tanh", "sparse_plus"],
)
def test_activations_written_with_where_are_bounded(f):
    e = ab.enclose(f, degree=2, rounding="outward")(0.1, -2.0, 1.5)
    assert bool(e.valid)
    for t in np.linspace(-2.0, 1.5, 36):
        low, high = ab.poly.evaluate(e, jnp.asarray(t))
        assert float(low) <= float(f(t)) <= float(high)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("x < 1", "not a single real expression"),
        ("exp(x < 1)", "only allowed as the condition"),
        ("where(x == 1, x, 0)", "'==' is not allowed"),
        ("where(x < 1 < 2, x, 0)", "cannot parse"),
    ],
)
def test_comparisons_outside_where_are_refused(text, match):
    with pytest.raises(ParseError, match=match):
        graph_from_string(text)


def test_piecewise_needs_a_default_branch_and_plain_comparisons():
    x = sympy.Symbol("x", real=True)
    with pytest.raises(ParseError, match=r"end with a branch \(expr, True\)"):
        ab.enclose(sympy.Piecewise((x, x > 0)), degree=1)
    with pytest.raises(ParseError, match="one comparison"):
        ab.enclose(sympy.Piecewise((x, (x > 0) & (x < 1)), (0, True)), degree=1)


def test_the_checker_evaluates_a_switch_on_its_own():
    graph = graph_from_string("where(x > 1, exp(x), x**3)")
    assert float(evaluate(graph, 2.0)) == pytest.approx(np.exp(2.0), rel=1e-15)
    assert float(evaluate(graph, 1.0)) == 1.0  # strict: x = 1 takes the other branch
    decided = evaluate_interval(graph, 1.5, 2.0)
    assert float(decided.a) <= np.exp(1.5) * (1 + 1e-15)
    assert float(decided.b) >= np.exp(2.0) * (1 - 1e-15)
    assert float(decided.a) > 4  # the x**3 branch (at most 3.375 there) is not in it
    both = evaluate_interval(graph, 0.5, 1.5)
    assert float(both.a) <= 0.125 and float(both.b) >= np.exp(1.5)
    # derivatives: a decided test takes its branch, an undecided one is refused
    value, grad = gradient_interval(graph, [1.5], [2.0])
    assert float(grad[0].a) >= np.exp(1.5) * (1 - 1e-12)
    with pytest.raises(DomainError, match="does not decide"):
        gradient_interval(graph, [0.5], [1.5])


def test_a_proof_with_where_is_rechecked_by_the_checker():
    from autobound.apps.prove import prove

    proof = prove("where(x < 1, x**2, 2*x - 1) - x + 1", [(-2, 3)], "gt", 0)
    assert proof.status == "proved"
    assert check_certificate(proof.certificate).ok


# -- steps: floor, ceil, trunc, round --------------------------------------------------------


@pytest.mark.parametrize("rounding", ["nearest", "outward"])
def test_a_step_is_its_constant_between_jumps_and_spans_the_jump_across_one(rounding):
    f = ab.enclose(lambda x: jnp.floor(3 * x), degree=2, rounding=rounding)
    assert coefficient_ends(f(0.5, 0.4, 0.6)) == [(1.0, 1.0)]  # 3x in [1.2, 1.8]
    assert coefficient_ends(f(0.3, 0.2, 0.4)) == [(0.0, 1.0)]  # 3x in [0.6, 1.2]
    r = ab.enclose(lambda x: jnp.round(x), degree=2, rounding=rounding)
    assert coefficient_ends(r(2.5, 2.5, 2.5)) == [(2.0, 2.0)]  # half to even
    away = ab.enclose(lambda x: jax.lax.round(x, 0), degree=2, rounding=rounding)
    assert coefficient_ends(away(2.5, 2.5, 2.5)) == [(3.0, 3.0)]


@pytest.mark.parametrize(
    "f",
    [
        lambda x: jnp.round(2 * x) * jnp.exp(-x),
        lambda x: jnp.trunc(x - 0.5) + jax.lax.round(x, 0),
        lambda x: jnp.ceil(x) - jnp.floor(x),
        lambda x: jnp.mod(x, 0.7) * jnp.exp(-x) + jnp.fmod(x, 0.3),
    ],
    ids=["round", "trunc_round_away", "ceil_minus_floor", "mod_fmod"],
)
def test_steps_are_enclosed_on_both_sides_of_their_jumps(f):
    for box in [(0.5, 0.2, 0.7), (1.0, 0.5, 1.5), (0.0, -1.25, 1.25), (2.5, 2.5, 2.5)]:
        e = ab.enclose(f, degree=2, rounding="outward")(*box)
        assert bool(e.valid)
        for t in np.linspace(box[1], box[2], 41):
            low, high = ab.poly.evaluate(e, jnp.asarray(t))
            assert float(low) <= float(f(t)) <= float(high), (box, t)


def test_an_integral_of_a_step_is_certified_and_the_checker_agrees():
    from autobound.apps.integrate import integrate

    r = integrate("floor(3*x) + x", [(0, 2)], tol=1e-8, certificate=True)
    assert r.status == "certified" and r.lower <= 7 <= r.upper
    verdict = check_certificate(r.certificate)
    assert verdict, verdict.reason
    graph = graph_from_string("frac(x)")
    assert float(evaluate(graph, 2.75)) == 0.75
    assert (
        float(evaluate_interval(graph, 0.25, 0.5).a),
        float(evaluate_interval(graph, 0.25, 0.5).b),
    ) == (0.25, 0.5)
