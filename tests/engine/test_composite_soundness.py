"""Random expressions: outward enclosures contain the function, with zero tolerance.

Trees of depth <= 4 over the supported ops (:func:`tests.strategies.expressions`: defined on
the whole real line, so every region is inside the domain), with 1 to 3 variables, degree
0-4, both front ends (the string through sympy, the callable through the jaxpr), with and
without trust regions, in float64 and (a third of the time) float32.  The oracle is the
tree itself evaluated in mpmath at 200 bits (re-checked at 800 before a miss counts), never
the engine's graph: so the front ends and the graph rewrites are checked as well as the
rules.

Jit compilation of a fresh random tree takes seconds to minutes, so the main property runs
the engine eagerly (``jax.disable_jit()``: the same XLA kernels, op by op); a few small trees
are also run through the compiled path.  A :class:`~autobound.DomainError` (the engine's
range of an argument overestimated, e.g. ``log(1 + u**2)`` where the range of the Taylor
polynomial of ``u**2`` dips below -1) is a refusal, not a failure; but each property counts
its refusals (:func:`tests.strategies.bounded_refusals`) and fails when more than
:data:`MAX_REFUSED` of its boxes were refused, so an engine that refused everything fails.
"""

from __future__ import annotations

import os
from fractions import Fraction

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mpmath import mp

import autobound as ab
from tests.strategies import (
    COMPILE_BUDGET,
    DEGREES,
    EVERYWHERE,
    Domain,
    Expr,
    as_callable,
    as_string,
    bounded_refusals,
    checked,
    expressions,
    mp_function,
    refused,
    regions,
    soundness_violations,
)

# Examples of the eager property (each runs a fresh tree); raise it for a longer hunt.
EXAMPLES = int(os.environ.get("AUTOBOUND_COMPOSITE_EXAMPLES", "12"))
# Region centres within [-3, 3]: nested exp/sinh of wider ones are mostly infinite.
AROUND_ZERO = Domain(EVERYWHERE.pieces, (0.0, 1.0, -1.0), typical=3.0)
# At most this share of the boxes of a property may be refused (DomainError).
MAX_REFUSED = 0.2


@st.composite
def problems(draw, max_depth: int = 4, max_cost: float | None = None):
    """``(expr, x_shape, front, elementwise)``: a tree and how to hand it to the engine
    (`max_cost`: see :func:`tests.strategies.compile_cost`)."""
    x_shape = draw(st.sampled_from([(), (2,), (3,)]), label="x_shape")
    n = 1 if x_shape == () else x_shape[0]
    front = draw(st.sampled_from(["string", "callable"]), label="front end")
    elementwise = front == "callable" and n > 1 and draw(st.booleans(), label="elementwise")
    e = draw(expressions(1 if elementwise else n, max_depth, max_cost=max_cost),
             label="expression")  # fmt: skip
    return e, x_shape, front, elementwise


def make_bounder(e, x_shape, front, elementwise, degree, trust_regions, dtype):
    n = 1 if x_shape == () else x_shape[0]
    if front == "string":
        text, names = as_string(e, n)
        f = text
    else:
        f, names = as_callable(e, x_shape, elementwise), None
    return ab.taylor_bounds(f, degree, variables=names, rounding="outward",
                            trust_regions=trust_regions, dtype=dtype)  # fmt: skip


def check(problem, degree, trust_regions, boxes, seed, dtype="float64", n_points=16):
    e, x_shape, front, elementwise = problem
    b = make_bounder(e, x_shape, front, elementwise, degree, trust_regions, dtype)
    f_mp = mp_function(e, x_shape, elementwise)
    for x0, lo, hi in boxes:
        try:
            t = b(x0, (lo, hi))
        except ab.DomainError:
            refused("an argument's range left its domain")
            continue
        bad, n_checked = soundness_violations(f_mp, t.coefficients, t.x0, t.region, n_points,
                                              prec=200, seed=seed)  # fmt: skip
        if n_checked:
            checked()
        else:
            refused("no point could be evaluated (mpmath overflow)")
        assert not bad, (
            f"{e} ({front}{', elementwise' if elementwise else ''}, {dtype}), degree {degree}, "
            f"trust_regions={trust_regions}, x0={x0!r}, region=({lo!r}, {hi!r}): "
            f"{len(bad)} violations, first {bad[0]}; coefficients {t.coefficients}"
        )


@bounded_refusals(MAX_REFUSED)
@settings(max_examples=EXAMPLES)
@given(
    problem=problems(),
    degree=DEGREES,
    trust_regions=st.booleans(),
    dtype=st.sampled_from(["float64", "float64", "float32"]),
    data=st.data(),
    seed=st.integers(0, 2**16),
)
def test_random_expression_enclosure_contains_function_in_outward_mode(
    problem, degree, trust_regions, dtype, data, seed
):
    x_shape = problem[1]
    boxes = [data.draw(regions(AROUND_ZERO, x_shape, dtype), label=f"box {i}") for i in range(2)]
    with jax.disable_jit():
        check(problem, degree, trust_regions, boxes, seed, dtype)


@bounded_refusals(MAX_REFUSED)
@settings(max_examples=5)
@given(
    # depth 2 (one template over the variables) is within the budget already; the budget
    # keeps it so if the depth is raised
    problem=problems(max_depth=2, max_cost=COMPILE_BUDGET),
    degree=st.integers(0, 2),
    data=st.data(),
    seed=st.integers(0, 2**16),
)
def test_random_expression_enclosure_contains_function_when_compiled(problem, degree, data, seed):
    x_shape = problem[1]
    boxes = [data.draw(regions(AROUND_ZERO, x_shape), label=f"box {i}") for i in range(3)]
    check(problem, degree, False, boxes, seed)


def test_strategy_renders_one_tree_three_ways_consistently():
    # sin(x0) * (x1 + 1/2) at (0.5, 2): the string, the callable and the mpmath forms agree.
    x0, x1 = Expr("var", value=0), Expr("var", value=1)
    half = Expr("const", value=Fraction(1, 2))
    e = Expr("mul", (Expr("sin", (x0,)), Expr("add", (x1, half))))
    text, names = as_string(e, 2)
    assert (text, names) == ("(sin(x0))*((x1) + ((0.5)))", ["x0", "x1"])
    x = np.array([0.5, 2.0])
    want = np.sin(0.5) * 2.5
    assert np.isclose(float(as_callable(e, (2,))(x)), want, rtol=1e-15)
    assert np.isclose(float(mp_function(e, (2,))(x)), want, rtol=1e-15)


@pytest.mark.parametrize(
    ("f", "exact"),
    [
        # e - fl(e) = 1.4456e-16 is folded to fl(e) - fl(e) rounded differently: 4.44e-16
        (lambda x: x + (jnp.exp(1.0) - 2.718281828459045),
         lambda: mp.e - mp.mpf(2.718281828459045)),
        # sqrt(2) - fl(sqrt(2)) = -9.67e-17 is folded to 0
        (lambda x: x + (jnp.sqrt(2.0) - 1.4142135623730951),
         lambda: mp.sqrt(2) - mp.mpf(1.4142135623730951)),
        # found by the property above: libm errors of cos, acos, sigmoid add up to 2 ulps
        (lambda x: x + jnp.cos(jnp.arccos(jax.nn.sigmoid(0.5) - 0.5)),
         lambda: 1 / (1 + mp.exp(-mp.mpf(0.5))) - mp.mpf(0.5)),
    ],
    ids=["exp", "sqrt", "cos_acos_sigmoid"],
)  # fmt: skip
def test_callable_constant_subexpression_is_enclosed(f, exact):
    # x + c at x0 = 0 over [0, 0], degree 0: the outward enclosure must contain the real c.
    c = ab.taylor_bounds(f, 0, rounding="outward")(0.0, (0.0, 0.0)).coefficients[0]
    with mp.workprec(200):
        assert float(c.lo) <= exact() <= float(c.hi)
