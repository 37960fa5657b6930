"""Sympy / string front end: syntax, exact numbers, variable order, op mapping, errors."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy

from autobound.errors import ParseError, ResourceLimit, UnsupportedOperation
from autobound.frontends.sympy_frontend import (
    MAX_NESTING,
    SUPPORTED_FUNCTIONS,
    expr_from_string,
    graph_from_string,
    graph_from_sympy,
    variables_of,
)
from autobound.graph import ExprGraph, optimize
from autobound.ops import elementwise_ops
from tests.engine.test_graph import evaluate_graph


def ops_of(graph: ExprGraph) -> list[str]:
    return [graph.op(n) for n in graph]


def constants_of(graph: ExprGraph) -> set:
    return {graph.params(n)["value"] for n in graph if graph.op(n) == "constant"}


def out(graph: ExprGraph) -> tuple[str, dict]:
    return graph.op(graph.output), graph.params(graph.output)


# -- syntax -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "loose, strict",
    [
        ("2x^2 + 3x y", "2*x**2 + 3*x*y"),
        ("sin x", "sin(x)"),
        ("exp(x)sin(y)", "exp(x)*sin(y)"),
        ("2(x+1)y", "2*(x+1)*y"),
        ("x^y^2", "x**(y**2)"),
        ("sin^2(x) + cos(x)^2", "sin(x)**2 + cos(x)**2"),
        ("sin^2 x", "sin(x)**2"),
        ("xy", "x*y"),  # declared one-letter variables: a run of them is their product
    ],
)
def test_implicit_multiplication_and_xor_power_read_as_written(loose, strict):
    v = ["x", "y"]
    assert graph_from_string(loose, v).key() == graph_from_string(strict, v).key()


def test_multi_letter_names_are_single_variables_when_not_declared():
    g = graph_from_string("rate*x1 + xy")
    assert g.input_names == ("rate", "x1", "xy")


# -- exact numbers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, value",
    [
        ("0.1*x", Fraction(1, 10)),
        ("x + 1.25", Fraction(5, 4)),
        ("1e-3 x", Fraction(1, 1000)),
        ("x^0.5e1", None),  # 0.5e1 = 5 exactly: an integer power
        ("x/3", Fraction(1, 3)),
        ("1e-400*x", Fraction(1, 10**400)),  # below float64's range, still exact
        ("2.5e-3_0*x", Fraction(25, 10**31)),  # digit groups in the exponent
    ],
)
def test_decimals_in_strings_are_exact_fractions(text, value):
    g = graph_from_string(text)
    consts = constants_of(g)
    assert all(type(v) is Fraction for v in consts)
    if value is None:
        assert out(g) == ("integer_pow", {"n": 5})
    else:
        assert value in consts


def test_sympy_floats_read_as_their_decimal():
    x = sympy.Symbol("x")
    g = graph_from_sympy(sympy.Float(0.1) * x + sympy.Float("0.3", 30))
    assert constants_of(g) == {Fraction(1, 10), Fraction(3, 10)}


def test_rationals_are_exact():
    x = sympy.Symbol("x")
    g = graph_from_sympy(sympy.Rational(2, 7) * x)
    assert constants_of(g) == {Fraction(2, 7)}


# -- variables ----------------------------------------------------------------------------


def test_one_variable_is_the_scalar_input():
    g = graph_from_string("exp(t)")
    assert g.input_names == ("t",) and g.shape(g.input) == ()
    assert g.args(g.output) == (g.input,)


def test_default_variable_order_is_by_name_with_numbers_compared_as_numbers():
    g = graph_from_string("x10 + x2 + b")
    assert g.input_names == ("b", "x2", "x10") and g.shape(g.input) == (3,)
    assert [str(s) for s in variables_of("y + x")] == ["x", "y"]


def test_declared_variable_order_sets_the_take_indices():
    g = graph_from_string("x - y", variables=["y", "x"])
    assert g.input_names == ("y", "x") and g.shape(g.input) == (2,)
    x_node, y_node = g.args(g.output)
    assert g.op(x_node) == g.op(y_node) == "take"
    assert g.params(x_node)["indices"] == (1,) and g.params(y_node)["indices"] == (0,)
    assert g.shape(x_node) == ()
    assert evaluate_graph(g, [5.0, 2.0]) == -3.0  # x=2, y=5


def test_declared_symbols_and_unused_variables():
    x, y, z = sympy.symbols("x y z")
    g = graph_from_sympy(x * y, variables=[z, y, x])
    assert g.input_names == ("z", "y", "x")
    assert evaluate_graph(g, [100.0, 3.0, 4.0]) == 12.0
    g = graph_from_string("x", variables=[x, y])
    assert g.shape(g.input) == (2,)
    g = graph_from_string("x - y", variables="y, x")
    assert g.input_names == ("y", "x")
    g = graph_from_string("x - y", variables=(name for name in "yx"))
    assert g.input_names == ("y", "x")


# -- mapping ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, op, params",
    [
        ("x - y", "sub", {}),
        ("x - 3y", "sub", {}),
        ("-x - y", "sub", {}),
        ("x/y^2", "mul", {}),
        ("y^-3", "integer_pow", {"n": -3}),
        ("1/x", "div", {}),
        ("x^2", "square", {}),
        ("x^3", "integer_pow", {"n": 3}),
        ("sqrt(x)", "sqrt", {}),
        ("1/sqrt(x)", "rsqrt", {}),
        ("x^(1/3)", "pow", {}),
        ("cbrt(x)", "cbrt", {}),
        ("x^y", "exp", {}),
        ("max(x, y, 0)", "max", {}),
        ("min(x, y)", "min", {}),
        ("log(x, 2)", "div", {}),
        ("ln(x)", "log", {}),
        ("arctan(x)", "atan", {}),
        ("abs(x)", "abs", {}),
        ("silu(x)", "swish", {}),
        ("leaky_relu(x)", "leaky_relu", {"alpha": Fraction(1, 100)}),
        ("leaky_relu(x, 0.2)", "leaky_relu", {"alpha": Fraction(1, 5)}),
        *[(f"{f}(x)", f, {}) for f in sorted(set(elementwise_ops()) - {"leaky_relu", "abs"})],
    ],
)
def test_output_op(text, op, params):
    assert out(graph_from_string(text, variables=["x", "y"])) == (op, params)


def test_real_power_keeps_its_exact_exponent_and_sympy_cbrt_is_a_power():
    g = graph_from_string("x^(1/3)")
    assert g.params(g.args(g.output)[1])["value"] == Fraction(1, 3)
    x = sympy.Symbol("x")
    assert out(graph_from_sympy(sympy.cbrt(x)))[0] == "pow"


def test_variable_exponent_is_exp_of_y_log_x():
    g = graph_from_string("x^y")
    assert ops_of(g)[-3:] == ["log", "mul", "exp"]
    assert evaluate_graph(g, [1.5, 2.5]) == pytest.approx(1.5**2.5, rel=1e-15)


def test_pi_and_e_are_exact_subgraphs():
    g = graph_from_string("pi")
    assert ops_of(g) == ["constant", "constant", "atan", "mul"]  # the input is not used
    assert evaluate_graph(g, 0.0) == pytest.approx(3.141592653589793, rel=1e-15)
    g = graph_from_string("E*x")
    assert "exp" in ops_of(g) and constants_of(g) == {Fraction(1)}


@pytest.mark.parametrize(
    "text",
    [
        "1.5*exp(3*x) - 25*x**2",
        "sigmoid(x)*softplus(-x) + swish(x) - gelu(x)",
        "log1p(x) + expm1(x) + erf(x) + tanh(x)",
        "atan(x) + asin(x/2) + acos(x/3) + sinh(x) + cosh(x)",
        "sqrt(x) - 1/sqrt(x) + x^(2/3) + cbrt(x) + x^-3",
        "sec(x) + csc(x) + cot(x) + asinh(x) + acosh(x+1) + atanh(x/2)",
        "exp2(x) + log2(x) + log10(x) + hypot(x, 2)",
        "max(x, 0.3) - min(x, 0.5) + abs(x - 0.6) + relu(x - 0.5)",
        "log(x, 3) + 2^x + x^x + pi*E",
    ],
)
def test_graph_computes_the_expression(text):
    g = graph_from_string(text)
    expr = expr_from_string(text)
    (x,) = variables_of(expr)
    named = {
        "sigmoid": lambda t: 1 / (1 + sympy.exp(-t)),
        "softplus": lambda t: sympy.log(1 + sympy.exp(t)),
        "swish": lambda t: t / (1 + sympy.exp(-t)),
        "gelu": lambda t: t * (1 + sympy.erf(t / sympy.sqrt(2))) / 2,
        "log1p": lambda t: sympy.log(1 + t),
        "expm1": lambda t: sympy.exp(t) - 1,
        "cbrt": lambda t: sympy.root(t, 3),
        "exp2": lambda t: 2**t,
        "log2": lambda t: sympy.log(t, 2),
        "log10": lambda t: sympy.log(t, 10),
        "hypot": lambda s, t: sympy.sqrt(s**2 + t**2),
        "relu": lambda t: sympy.Max(t, 0),
    }
    expr = expr.replace(
        lambda e: e.func.__name__ in named, lambda e: named[e.func.__name__](*e.args)
    )
    for value in (0.35, 0.55, 0.8):
        expected = float(expr.evalf(30, subs={x: sympy.Float(value, 30)}))
        assert evaluate_graph(g, value) == pytest.approx(expected, rel=1e-12)


def test_optimized_string_graph_uses_the_sharp_ops():
    g = optimize(graph_from_string("log(1 + exp(x)) + x/(1 + exp(-x)) + max(x, 0)"))
    assert {"softplus", "swish", "relu"} <= set(ops_of(g))
    assert not {"log", "exp", "div", "max"} & set(ops_of(g))


def test_repeated_subexpressions_are_one_node():
    g = graph_from_string("sin(x*y) + exp(sin(x*y)) * sin(x*y)")
    assert ops_of(g).count("sin") == 1 and ops_of(g).count("mul") == 2


# -- errors -------------------------------------------------------------------------------


def test_unknown_variable_is_a_parse_error_naming_it():
    with pytest.raises(ParseError, match=r"unknown variables? z.*declared variables: x, y"):
        graph_from_string("x + y*z", variables=["x", "y"])
    with pytest.raises(ParseError, match="unknown variable"):
        graph_from_sympy(sympy.Symbol("w") + 1, variables=["x"])


@pytest.mark.parametrize("text", ["x +* ", "x + )", "(x", "x, y", "x >= 0", "", "2 +"])
def test_unparseable_text_is_a_parse_error(text):
    with pytest.raises(ParseError, match="cannot parse|not a single"):
        graph_from_string(text)


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_an_empty_expression_is_named_as_empty(text):
    with pytest.raises(ParseError, match="the expression is empty"):
        graph_from_string(text)


def test_nesting_is_read_up_to_its_limit_and_refused_beyond_it_before_parsing():
    def nested(depth: int) -> str:
        return "sin(" * depth + "x" + ")" * depth

    expr = expr_from_string(nested(MAX_NESTING))
    assert sympy.count_ops(expr) == MAX_NESTING
    # Refused from the tokens: 2,000 levels used to keep sympy's transformations busy for
    # seconds before Python's recursion limit stopped them.
    for depth in (MAX_NESTING + 1, 2000):
        with pytest.raises(ResourceLimit, match=f"more than {MAX_NESTING} levels deep"):
            expr_from_string(nested(depth))
    # Parentheses that open and close again do not add up.
    assert expr_from_string(" + ".join([nested(MAX_NESTING // 2)] * 3)) == 3 * expr_from_string(
        nested(MAX_NESTING // 2)
    )


@pytest.mark.parametrize("text", ["x.real", "x[0]", "lambda: 1", "_x + 1", "x if x else 1"])
def test_python_syntax_beyond_arithmetic_is_rejected(text):
    with pytest.raises(ParseError):
        graph_from_string(text)


def test_a_code_payload_is_rejected_and_never_runs(tmp_path):
    marker = tmp_path / "ran"
    payload = f"__import__('pathlib').Path({str(marker)!r}).touch() + x"
    with pytest.raises(ParseError):
        graph_from_string(payload)
    assert not marker.exists()


@pytest.mark.parametrize("text, name", [("gamma(x)", "gamma"), ("besselj(0, x)", "besselj")])
def test_unsupported_function_names_it_and_lists_the_supported(text, name):
    with pytest.raises(UnsupportedOperation, match=rf"unsupported operation '{name}'") as err:
        graph_from_string(text)
    assert err.value.op == name
    assert set(elementwise_ops()) <= set(err.value.supported)
    assert set(err.value.supported) == set(SUPPORTED_FUNCTIONS)


def test_an_undeclared_name_called_like_a_function_is_reported_as_a_function():
    with pytest.raises(UnsupportedOperation, match=r"if x is a variable, write x\*"):
        graph_from_string("x(y+1)")
    g = graph_from_string("x(y+1)", variables=["x", "y"])
    assert evaluate_graph(g, [2.0, 3.0]) == 8.0


def test_unsupported_sympy_function_names_it():
    x = sympy.Symbol("x")
    with pytest.raises(UnsupportedOperation, match="gamma"):
        graph_from_sympy(sympy.gamma(x))
    with pytest.raises(UnsupportedOperation, match="EulerGamma"):
        graph_from_sympy(sympy.EulerGamma * x)


def test_non_finite_and_wrong_arity_are_parse_errors():
    x = sympy.Symbol("x")
    with pytest.raises(ParseError, match="finite"):
        graph_from_sympy(x + sympy.oo)
    with pytest.raises(ParseError, match="argument"):
        graph_from_string("sigmoid(x, x)")


def test_a_list_of_expressions_is_one_graph_with_a_vector_output():
    import autobound as ab

    x, y = sympy.symbols("x y")
    f = sympy.exp(x * y) + sympy.sin(x)
    parts = [sympy.diff(f, v) for v in (x, y)]
    graph = graph_from_sympy(parts, [x, y])
    assert graph.shape(graph.output) == (2,)
    # exp(x*y) appears in both partials: one node
    assert sum(graph.op(n) == "exp" for n in graph.nx.nodes) == 1
    e = ab.enclose(graph, 0, rounding="outward")(np.array([0.5, 0.25]), [0.4, 0.2], [0.6, 0.3])
    lo, hi = np.asarray(e.coefficients[0].lo), np.asarray(e.coefficients[0].hi)
    for px in (0.4, 0.5, 0.6):
        for py in (0.2, 0.3):
            want = [float(p.subs({x: px, y: py})) for p in parts]
            assert np.all(lo <= want) and np.all(want <= hi)
    with pytest.raises(ParseError):
        graph_from_sympy([], [x])
