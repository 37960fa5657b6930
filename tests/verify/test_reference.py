"""The mpmath oracle: point values, structural semantics, domains, interval containment."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mpmath import iv, mp

from autobound.errors import DomainError, InvalidRegion, ShapeMismatch
from autobound.graph import ExprGraph
from autobound.ops import OPS, elementwise_ops
from autobound.verify import evaluate, evaluate_interval
from autobound.verify.reference import _POINT_FUNCTIONS, _RULES
from autobound.verify.rigorous import INTERVAL_FUNCTIONS, hi, lo

PREC = 200
TOL = mp.mpf(2) ** -190


def unary(op: str, params: dict | None = None, shape: tuple = ()) -> ExprGraph:
    g = ExprGraph()
    x = g.add_input(shape)
    g.set_output(g.add(op, [x], params))
    return g


def binary(op: str, const, params: dict | None = None) -> ExprGraph:
    """op(x, c) for a scalar input x and an exact constant c."""
    g = ExprGraph()
    x = g.add_input(())
    g.set_output(g.add(op, [x, g.add_constant(const)], params))
    return g


def close(got, want) -> bool:
    return abs(got - want) <= TOL * max(1, abs(want))


def test_every_op_has_a_point_rule_and_an_interval_rule():
    assert set(_RULES) == set(OPS)
    assert set(_POINT_FUNCTIONS) == set(elementwise_ops()) == set(INTERVAL_FUNCTIONS)


# -- elementwise values against closed forms (mpmath at 250 bits for the constants) -----------

with mp.workprec(250):
    E, PI = +mp.e, +mp.pi
    KNOWN = [
        ("exp", 0.0, {}, mp.mpf(1)),
        ("exp", 1.0, {}, E),
        ("log", 2.0, {}, +mp.ln2),
        ("log", 1.0, {}, mp.mpf(0)),
        # log1p(y) = y - y^2/2 + y^3/3 - ...; at y = 2**-70 three terms reach 2**-210 relative
        ("log1p", 2.0**-70, {}, mp.ldexp(1, -70) - mp.ldexp(1, -141) + mp.ldexp(1, -210) / 3),
        # expm1(y) = y + y^2/2 + y^3/6 + ...
        ("expm1", -(2.0**-70), {}, -mp.ldexp(1, -70) + mp.ldexp(1, -141) - mp.ldexp(1, -210) / 6),
        ("sqrt", 0.25, {}, mp.mpf(0.5)),
        ("sqrt", 2.0, {}, +mp.sqrt(2)),
        ("rsqrt", 0.25, {}, mp.mpf(2)),
        ("cbrt", -27.0, {}, mp.mpf(-3)),
        ("cbrt", 0.125, {}, mp.mpf(0.5)),
        ("abs", -2.5, {}, mp.mpf(2.5)),
        ("sin", 0.0, {}, mp.mpf(0)),
        ("cos", 0.0, {}, mp.mpf(1)),
        ("atan", 1.0, {}, PI / 4),
        ("atan", -1.0, {}, -PI / 4),
        ("asin", 0.5, {}, PI / 6),
        ("asin", -1.0, {}, -PI / 2),
        ("acos", 0.5, {}, PI / 3),
        ("acos", -1.0, {}, PI),
        ("asinh", 0.75, {}, mp.log(2)),  # 0.75 + sqrt(0.75**2 + 1) = 2
        ("asinh", -0.75, {}, -mp.log(2)),
        ("atanh", 0.5, {}, mp.log(3) / 2),  # (1 + 0.5)/(1 - 0.5) = 3
        ("atanh", 0.0, {}, mp.mpf(0)),
        ("sinh", 1.0, {}, (E - 1 / E) / 2),
        ("cosh", -1.0, {}, (E + 1 / E) / 2),
        ("tanh", 1.0, {}, (E**2 - 1) / (E**2 + 1)),
        ("sigmoid", 0.0, {}, mp.mpf(0.5)),
        ("sigmoid", 1.0, {}, E / (1 + E)),
        ("softplus", 0.0, {}, +mp.ln2),
        ("softplus", 1.0, {}, mp.log(1 + E)),
        ("softplus", -800.0, {}, mp.log(1 + mp.exp(-800))),
        ("swish", 1.0, {}, E / (1 + E)),
        ("swish", -2.0, {}, -2 / (1 + E**2)),
        ("gelu", 0.0, {}, mp.mpf(0)),
        # gelu(x) = x Phi(x); Phi by quadrature of the normal density, independently of erf
        (
            "gelu",
            1.0,
            {},
            mp.quad(lambda t: mp.exp(-(t**2) / 2), [-mp.inf, 0, 1]) / mp.sqrt(2 * PI),
        ),
        (
            "gelu",
            -30.0,
            {},
            -30 * mp.quad(lambda t: mp.exp(-(t**2) / 2), [-mp.inf, -30]) / mp.sqrt(2 * PI),
        ),
        ("erf", 1.0, {}, 2 / mp.sqrt(PI) * mp.quad(lambda t: mp.exp(-(t**2)), [0, 1])),
        ("erf", -0.5, {}, -2 / mp.sqrt(PI) * mp.quad(lambda t: mp.exp(-(t**2)), [0, 0.5])),
        ("relu", -1.0, {}, mp.mpf(0)),
        ("relu", 2.0, {}, mp.mpf(2)),
        ("leaky_relu", -2.0, {"alpha": Fraction(1, 10)}, mp.mpf(-2) / 10),
        ("leaky_relu", 3.0, {"alpha": 0.01}, mp.mpf(3)),
        ("square", -1.5, {}, mp.mpf(2.25)),
    ]


@pytest.mark.parametrize("op, x, params, want", KNOWN, ids=[f"{k[0]}({k[1]})" for k in KNOWN])
def test_evaluate_matches_closed_form(op, x, params, want):
    got = evaluate(unary(op, params), np.float64(x), prec=PREC)
    assert close(got, want), (got, want)


def test_tan_is_sin_over_cos_and_trig_identity():
    with mp.workprec(PREC):
        t, s, c = (evaluate(unary(op), 1.25) for op in ("tan", "sin", "cos"))
        assert close(t, s / c)
        assert close(s**2 + c**2, mp.mpf(1))


def test_evaluate_covers_every_elementwise_op():
    assert {k[0] for k in KNOWN} | {"tan"} == set(elementwise_ops())


def test_evaluate_does_not_change_global_precision():
    before = mp.prec, iv.prec
    evaluate(unary("exp"), 1.0, prec=333)
    evaluate_interval(unary("exp"), 0.0, 1.0, prec=77)
    assert (mp.prec, iv.prec) == before


with mp.workprec(250):
    ARITH = [
        ("add", 1.5, 0.25, {}, mp.mpf(1.75)),
        ("sub", 1.5, 0.25, {}, mp.mpf(1.25)),
        ("mul", 1.5, Fraction(1, 3), {}, mp.mpf(0.5)),
        ("div", 1.0, 3, {}, mp.mpf(1) / 3),
        ("pow", 2.0, 0.5, {}, mp.sqrt(2)),
        ("pow", -2.0, 3, {}, mp.mpf(-8)),
        ("pow", 0.0, 0.5, {}, mp.mpf(0)),
        ("max", -1.0, 2, {}, mp.mpf(2)),
        ("min", -1.0, 2, {}, mp.mpf(-1)),
    ]


@pytest.mark.parametrize("op, x, c, params, want", ARITH)
def test_arithmetic_values(op, x, c, params, want):
    with mp.workprec(PREC):
        assert close(evaluate(binary(op, c, params), x, prec=PREC), want)


def test_neg_and_integer_pow():
    assert evaluate(unary("neg"), 2.5) == -2.5
    assert evaluate(unary("integer_pow", {"n": 3}), -2.0) == -8
    assert evaluate(unary("integer_pow", {"n": -2}), 4.0) == mp.mpf(1) / 16


# -- domains ----------------------------------------------------------------------------------

POINT_DOMAIN_ERRORS = [
    (unary("log"), 0.0),
    (unary("log"), -1.0),
    (unary("sqrt"), -1e-300),
    (unary("rsqrt"), 0.0),
    (unary("log1p"), -1.0),
    (unary("asin"), 1.5),
    (unary("acos"), -1.0000001),
    (unary("atanh"), 1.0),
    (unary("atanh"), -1.0),
    (binary("div", 0), 1.0),
    (unary("integer_pow", {"n": -1}), 0.0),
    (binary("pow", 0.5), -2.0),
    (binary("pow", -0.5), 0.0),
]


@pytest.mark.parametrize("graph, x", POINT_DOMAIN_ERRORS)
def test_evaluate_raises_domain_error_outside_domain(graph, x):
    with pytest.raises(DomainError):
        evaluate(graph, x)


INTERVAL_DOMAIN_ERRORS = [
    (unary("log"), -1.0, 1.0),
    (unary("log"), 0.0, 1.0),
    (unary("sqrt"), -1e-300, 1.0),
    (unary("asin"), 0.0, 1.0000001),
    (unary("tan"), 1.0, 2.0),  # pi/2 inside
    (unary("integer_pow", {"n": -2}), -1.0, 1.0),
    (binary("pow", 0.5), -1.0, 1.0),
]


@pytest.mark.parametrize("graph, a, b", INTERVAL_DOMAIN_ERRORS)
def test_evaluate_interval_raises_domain_error_outside_domain(graph, a, b):
    with pytest.raises(DomainError):
        evaluate_interval(graph, a, b)


def test_interval_division_by_interval_containing_zero_raises():
    g = ExprGraph()
    x = g.add_input(())
    g.set_output(g.add("div", [g.add_constant(1), x]))
    with pytest.raises(DomainError):
        evaluate_interval(g, -1.0, 1.0)


def test_bad_inputs_are_named():
    with pytest.raises(ShapeMismatch):
        evaluate(unary("exp", shape=(2,)), np.zeros(3))
    with pytest.raises(InvalidRegion):
        evaluate_interval(unary("exp"), 1.0, 0.0)
    with pytest.raises(InvalidRegion):
        evaluate(unary("exp"), np.inf)


# -- structural ops and contractions against numpy / lax on random data ----------------------


def structural(in_shape, op, params, out_shape, extra=()):
    g = ExprGraph()
    x = g.add_input(in_shape)
    args = [x, *(g.add_constant(c) for c in extra)]
    g.set_output(g.add(op, args, params, shape=out_shape))
    return g


def as_float(value) -> np.ndarray:
    return np.asarray(value, dtype=object).astype(np.float64)


RNG = np.random.default_rng(1)
A = RNG.normal(size=(2, 3, 4))
STRUCTURAL = [
    ("reshape", {"shape": (6, 4)}, A.reshape(6, 4)),
    ("transpose", {"perm": (2, 0, 1)}, A.transpose(2, 0, 1)),
    (
        "broadcast_in_dim",
        {"shape": (2, 5, 3, 4), "broadcast_dimensions": (0, 2, 3)},
        np.broadcast_to(A[:, None], (2, 5, 3, 4)),
    ),
    (
        "slice",
        {"start": (0, 1, 0), "limit": (2, 3, 4), "strides": (1, 1, 2)},
        A[0:2, 1:3, 0:4:2],
    ),
    ("slice", {"start": (1, 0, 1), "limit": (2, 3, 3), "strides": None}, A[1:2, 0:3, 1:3]),
    (
        "take",
        {"indices": np.array([[5, 0], [23, 5]]), "shape": (2, 2)},
        A.reshape(-1)[[[5, 0], [23, 5]]],
    ),
    ("reduce_sum", {"axes": (0, 2)}, A.sum(axis=(0, 2))),
    ("reduce_sum", {"axes": (0, 1, 2)}, A.sum()),
    ("convert", {"dtype": "float32"}, A),
]


@pytest.mark.parametrize("op, params, want", STRUCTURAL, ids=[s[0] for s in STRUCTURAL])
def test_structural_op_matches_numpy(op, params, want):
    got = as_float(evaluate(structural(A.shape, op, params, np.shape(want)), A, prec=80))
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-14)


def test_squeeze_and_concatenate_match_numpy():
    b = RNG.normal(size=(3, 1, 2))
    got = evaluate(structural(b.shape, "squeeze", {"dimensions": (1,)}, (3, 2)), b)
    np.testing.assert_array_equal(as_float(got), b[:, 0])
    g = ExprGraph()
    x = g.add_input((3, 2))
    c = g.add_constant(np.ones((3, 1)))
    g.set_output(g.add("concatenate", [x, c, x], {"dimension": 1}, shape=(3, 5)))
    np.testing.assert_array_equal(
        as_float(evaluate(g, b[:, 0])), np.concatenate([b[:, 0], np.ones((3, 1)), b[:, 0]], 1)
    )


def test_select_with_constant_predicate():
    pred = np.array([1.0, 0.0, 1.0])
    g = ExprGraph()
    x = g.add_input((3,))
    g.set_output(g.add("select", [g.add_constant(pred), x, g.add("neg", [x])]))
    v = np.array([1.5, 2.5, -3.0])
    np.testing.assert_array_equal(as_float(evaluate(g, v)), np.where(pred != 0, v, -v))
    box = evaluate_interval(g, v, v + 1)
    assert [float(lo(b)) for b in box] == [1.5, -3.5, -3.0]


DOT = [
    ((3, 4), (4, 5), (((1,), (0,)), ((), ()))),
    ((2, 3, 4), (2, 4, 5), (((2,), (1,)), ((0,), (0,)))),
    ((4, 2, 3), (5, 3, 2), (((2,), (1,)), ((1,), (2,)))),
    ((3,), (3,), (((0,), (0,)), ((), ()))),
    ((3, 2), (4,), (((), ()), ((), ()))),  # outer product
]


@pytest.mark.parametrize("lhs_shape, rhs_shape, dims", DOT)
def test_dot_general_matches_lax(lhs_shape, rhs_shape, dims):
    from jax import lax

    lhs, rhs = RNG.normal(size=lhs_shape), RNG.normal(size=rhs_shape)
    want = np.asarray(lax.dot_general(lhs, rhs, dims))
    g = structural(lhs_shape, "dot_general", {"dimension_numbers": dims}, want.shape, [rhs])
    np.testing.assert_allclose(as_float(evaluate(g, lhs, prec=80)), want, rtol=1e-12, atol=1e-12)


CONV = [
    ((2, 3, 5, 6), (4, 3, 2, 3), dict(window_strides=(1, 1), padding=((0, 0), (0, 0)))),
    (
        (1, 2, 5, 6),
        (3, 2, 2, 3),
        dict(
            window_strides=(2, 1),
            padding=((1, 2), (0, -1)),
            lhs_dilation=(2, 1),
            rhs_dilation=(1, 2),
        ),
    ),
    ((2, 4, 7), (6, 2, 3), dict(window_strides=(2,), padding="SAME", feature_group_count=2)),
    ((4, 3, 7), (6, 3, 3), dict(window_strides=(1,), padding="VALID", batch_group_count=2)),
    (
        (1, 5, 6, 3),
        (2, 3, 3, 4),
        dict(window_strides=(1, 1), padding="SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")),
    ),
]


@pytest.mark.parametrize("lhs_shape, rhs_shape, kw", CONV)
def test_conv_general_dilated_matches_lax(lhs_shape, rhs_shape, kw):
    from jax import lax

    lhs, rhs = RNG.normal(size=lhs_shape), RNG.normal(size=rhs_shape)
    want = np.asarray(lax.conv_general_dilated(lhs, rhs, **kw))
    if isinstance(kw.get("dimension_numbers"), tuple):  # the primitive's own form, too
        kw = {
            **kw,
            "dimension_numbers": lax.conv_dimension_numbers(
                lhs_shape, rhs_shape, kw["dimension_numbers"]
            ),
        }
    g = structural(lhs_shape, "conv_general_dilated", kw, want.shape, [rhs])
    np.testing.assert_allclose(as_float(evaluate(g, lhs, prec=80)), want, rtol=1e-12, atol=1e-12)


def test_broadcast_in_dim_scalar_and_interval_structural_ops():
    g = structural((), "broadcast_in_dim", {"shape": (2, 3), "broadcast_dimensions": ()}, (2, 3))
    assert as_float(evaluate(g, 1.25)).tolist() == [[1.25] * 3] * 2
    box = evaluate_interval(structural(A.shape, "reduce_sum", {"axes": (1,)}, (2, 4)), A, A + 1)
    assert all(
        lo(b) <= s <= hi(b) for b, s in zip(box.ravel(), (A + 0.5).sum(1).ravel(), strict=True)
    )


# -- interval containment ---------------------------------------------------------------------

# (lowest, highest) sampling range per op, inside its domain
RANGES = {
    "log": (1e-3, 50.0),
    "rsqrt": (1e-3, 50.0),
    "sqrt": (0.0, 50.0),
    "log1p": (-0.999, 50.0),
    "asin": (-1.0, 1.0),
    "acos": (-1.0, 1.0),
    "atanh": (-0.999, 0.999),
    "tan": (-1.5, 1.5),
}
PARAMS = {"leaky_relu": {"alpha": 0.1}}


@st.composite
def box_and_points(draw, low: float, high: float):
    a = draw(st.floats(low, high))
    b = draw(st.floats(a, min(high, a + draw(st.sampled_from([1e-9, 0.1, 3.0, 100.0])))))
    ts = draw(st.lists(st.floats(0, 1), min_size=1, max_size=4))
    return a, b, [a, b, *(a + t * (b - a) for t in ts)]


@pytest.mark.parametrize("op", elementwise_ops())
@settings(max_examples=20)
@given(data=st.data())
def test_evaluate_interval_contains_point_values(op, data):
    a, b, xs = data.draw(box_and_points(*RANGES.get(op, (-40.0, 40.0))))
    g = unary(op, PARAMS.get(op))
    box = evaluate_interval(g, a, b, prec=80)
    for x in xs:
        x = min(max(x, a), b)
        v = evaluate(g, x, prec=120)
        assert lo(box) <= v <= hi(box), (op, a, b, x, box, v)


def composite() -> ExprGraph:
    """f(x, y) = max(x * sin(y), exp(-x^2)) / (2 + y^2) - sqrt(x^2 + 1) ** 0.75 + gelu(y)."""
    g = ExprGraph()
    v = g.add_input((2,))
    x = g.add("take", [v], {"indices": np.array([0]), "shape": ()}, shape=())
    y = g.add("take", [v], {"indices": np.array([1]), "shape": ()}, shape=())
    sq = lambda t: g.add("integer_pow", [t], {"n": 2})
    num = g.add(
        "max", [g.add("mul", [x, g.add("sin", [y])]), g.add("exp", [g.add("neg", [sq(x)])])]
    )
    frac = g.add("div", [num, g.add("add", [g.add_constant(2), sq(y)])])
    root = g.add(
        "pow", [g.add("sqrt", [g.add("add", [sq(x), g.add_constant(1)])]), g.add_constant(0.75)]
    )
    g.set_output(g.add("add", [g.add("sub", [frac, root]), g.add("gelu", [y])]))
    return g


@settings(max_examples=25)
@given(data=st.data())
def test_evaluate_interval_contains_composite_function(data):
    a0, b0, xs = data.draw(box_and_points(-5.0, 5.0))
    a1, b1, ys = data.draw(box_and_points(-5.0, 5.0))
    g = composite()
    box = evaluate_interval(g, np.array([a0, a1]), np.array([b0, b1]), prec=60)
    for x in xs:
        for y in ys[:2]:
            v = evaluate(g, np.array([x, y]), prec=100)
            assert lo(box) <= v <= hi(box)


@pytest.mark.parametrize(
    "op, argmin", [("swish", -1.2784645427610738), ("gelu", -0.7517915246935645)]
)
def test_unimodal_minimum_is_enclosed_tightly(op, argmin):
    with mp.workprec(200):
        phi = {"swish": lambda t: t / (1 + mp.exp(-t)), "gelu": lambda t: t * mp.ncdf(t)}[op]
        c = mp.findroot(lambda t: mp.diff(phi, t), argmin)
        true_min = phi(c)
        box = evaluate_interval(unary(op), -3.0, 1.0, prec=100)
        assert lo(box) <= true_min
        assert true_min - lo(box) < mp.mpf(2) ** -95
        assert hi(box) >= phi(mp.mpf(1))


def test_interval_at_a_point_is_tight():
    with mp.workprec(200):
        for op in elementwise_ops():
            a = 0.3 if op not in ("log", "rsqrt") else 1.7
            box = evaluate_interval(unary(op, PARAMS.get(op)), a, a, prec=100)
            v = evaluate(unary(op, PARAMS.get(op)), a, prec=200)
            assert lo(box) <= v <= hi(box)
            assert hi(box) - lo(box) <= mp.mpf(2) ** -95 * max(1, abs(v)), op


def test_verify_modules_import_no_engine_and_no_jax():
    """verify/ is the independent checker: only autobound.graph, .ops and .errors."""
    import ast
    import pathlib

    import autobound.verify

    allowed = {"autobound.graph", "autobound.ops", "autobound.errors"}
    for path in pathlib.Path(autobound.verify.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                assert name.split(".")[0] not in ("jax", "jaxlib"), (path.name, name)
                if name.startswith("autobound"):
                    assert name in allowed, (path.name, name)


@pytest.mark.parametrize(
    "op, a, b",
    [
        # mpmath.iv rounds these the wrong way by a fraction of an ulp at 60 bits: log(1 + eps)
        # lies just above a 60-bit number (eps - eps**2/2 is representable), atan(x) just below x
        ("log", 1.0, 1.000000000000001),
        ("atan", 5.903265016819801e-23, 5.903265016819801e-23),
        ("sin", 5.903265016819801e-23, 5.903265016819801e-23),
        ("tan", 5.903265016819801e-23, 5.903265016819801e-23),
        ("exp", -(2.0**-80), 2.0**-80),
    ],
)
def test_interval_ends_survive_mpmath_directed_rounding_slips(op, a, b):
    g = unary(op)
    for prec in (53, 60, 64, 80):
        box = evaluate_interval(g, a, b, prec=prec)
        for x in (a, b):
            v = evaluate(g, x, prec=300)
            assert lo(box) <= v <= hi(box), (prec, x)


def test_runtime_parameters_must_be_bound_before_the_checker_reads_a_graph():
    """A graph with an unbound ``param`` node is refused by the evaluator and by the
    certificate reader; bound as constants (ExprGraph.bind_params) it evaluates."""
    from autobound.errors import CertificateError, InvalidArgument
    from autobound.verify.graph_json import graph_from_json, graph_to_json

    g = ExprGraph()
    x = g.add_input(())
    g.set_output(g.add("mul", [g.add_param(0, ()), g.add("exp", [x])]))
    with pytest.raises(InvalidArgument, match="bind_params"):
        evaluate(g, Fraction(1, 2))
    with pytest.raises(CertificateError, match="runtime parameter"):
        graph_from_json(graph_to_json(g))
    bound = g.bind_params([np.asarray(3.0)])
    assert abs(evaluate(bound, Fraction(1, 2)) - 3 * mp.exp(mp.mpf(1) / 2)) < 1e-12


def test_exact_points_give_exact_range_ends():
    """The checker's own table: exp over [0, b] starts at exactly 1, sqrt over [a, 1] ends at
    exactly 1, cos never exceeds 1 and cosh never drops below 1, while the ranges still hold
    the exact values at sampled points."""
    from mpmath import iv, mp

    from autobound.verify.rigorous import apply, hi, lo

    X = iv.mpf([0, "0.5"])
    assert lo(apply("exp", X, {})) == 1
    assert hi(apply("sqrt", iv.mpf(["0.25", 1]), {})) == 1
    assert hi(apply("cos", iv.mpf(["-1e-30", "1e-30"]), {})) == 1
    assert lo(apply("cosh", iv.mpf(["-1e-30", "1e-30"]), {})) == 1
    with mp.workdps(40):
        for t in ("0", "1e-20", "0.25", "0.5"):
            assert mp.exp(mp.mpf(t)) in apply("exp", X, {})
