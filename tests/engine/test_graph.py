"""ExprGraph passes (CSE, exact folding, rewrites) and inspection (DOT, text, drawing)."""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction

import numpy as np
import pytest

from autobound.graph import ExprGraph, cse, fold_constants, optimize, rewrite

# -- a small float64 evaluator, independent of the passes, to check they keep the function --

_UNARY: dict[str, Callable[[float], float]] = {
    "exp": math.exp,
    "log": math.log,
    "log1p": math.log1p,
    "expm1": math.expm1,
    "sqrt": math.sqrt,
    "rsqrt": lambda x: 1 / math.sqrt(x),
    "cbrt": lambda x: math.copysign(abs(x) ** (1 / 3), x),
    "abs": abs,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "atan": math.atan,
    "asin": math.asin,
    "acos": math.acos,
    "asinh": math.asinh,
    "atanh": math.atanh,
    "sinh": math.sinh,
    "cosh": math.cosh,
    "tanh": math.tanh,
    "erf": math.erf,
    "sigmoid": lambda x: 1 / (1 + math.exp(-x)),
    "softplus": lambda x: math.log1p(math.exp(x)),
    "swish": lambda x: x / (1 + math.exp(-x)),
    "gelu": lambda x: x * (1 + math.erf(x / math.sqrt(2))) / 2,
    "relu": lambda x: max(x, 0.0),
    "square": lambda x: x * x,
    "neg": lambda x: -x,
}
_BINARY: dict[str, Callable[[float, float], float]] = {
    "add": lambda x, y: x + y,
    "sub": lambda x, y: x - y,
    "mul": lambda x, y: x * y,
    "div": lambda x, y: x / y,
    "pow": lambda x, y: x**y,
    "max": max,
    "min": min,
}


def evaluate_graph(graph: ExprGraph, x: float | list[float]) -> float:
    """The float64 value of a scalar-output graph at x (scalar or vector input)."""
    values: dict[int, float] = {}
    for n in graph.order():
        op, params, args = graph.op(n), graph.params(n), [values[a] for a in graph.args(n)]
        if op == "input":
            values[n] = x
        elif op == "constant":
            values[n] = float(params["value"])
        elif op == "take":
            values[n] = x[params["indices"][0]]
        elif op == "integer_pow":
            values[n] = args[0] ** params["n"]
        elif op == "leaky_relu":
            values[n] = args[0] if args[0] >= 0 else float(params["alpha"]) * args[0]
        elif op in _UNARY:
            values[n] = _UNARY[op](args[0])
        else:
            values[n] = _BINARY[op](*args)
    return values[graph.output]


def scalar_graph(build: Callable[[ExprGraph, int], int]) -> ExprGraph:
    """A graph of one scalar input x whose output is build(g, x)."""
    g = ExprGraph()
    x = g.add_input((), ("x",))
    g.set_output(build(g, x))
    return g


def ops_of(graph: ExprGraph) -> list[str]:
    return [graph.op(n) for n in graph]


def c(g: ExprGraph, value: int | Fraction) -> int:
    return g.add_constant(value)


def one_plus_exp_neg(g: ExprGraph, u: int) -> int:
    return g.add("add", [c(g, 1), g.add("exp", [g.add("neg", [u])])])


# -- CSE ----------------------------------------------------------------------------------


def test_hash_consing_returns_the_same_node_for_an_equal_subexpression():
    g = ExprGraph()
    x = g.add_input(())
    e1 = g.add("exp", [g.add("sin", [x])])
    e2 = g.add("exp", [g.add("sin", [x])])
    assert e1 == e2
    g.set_output(g.add("add", [e1, e2]))
    assert ops_of(g) == ["input", "sin", "exp", "add"]


def test_cse_merges_commutative_duplicates_and_drops_dead_nodes():
    g = ExprGraph()
    x = g.add_input((2,), ("x", "y"))
    a = g.add("take", [x], {"indices": (0,), "shape": ()}, shape=())
    b = g.add("take", [x], {"indices": (1,), "shape": ()}, shape=())
    g.add("cos", [a])  # unreachable from the output
    g.set_output(g.add("sub", [g.add("mul", [a, b]), g.add("mul", [b, a])]))
    assert len(g.nx) == 7
    merged = cse(g)
    assert len(merged.nx) == len(merged) == 5  # input, two takes, one mul, sub
    assert ops_of(merged).count("mul") == 1
    assert "cos" not in ops_of(merged)


def test_optimize_returns_a_new_graph_and_leaves_the_original_alone():
    g = scalar_graph(lambda g, x: g.add("mul", [x, x]))
    key = g.key()
    new = optimize(g)
    assert new is not g
    assert g.key() == key and ops_of(g) == ["input", "mul"]
    assert ops_of(new) == ["input", "square"]
    assert new.input_names == ("x",) and new.dtype == g.dtype
    assert g.optimize().key() == new.key()


# -- exact folding ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "op, args, params, expected",
    [
        ("add", (Fraction(1, 3), Fraction(1, 6)), {}, Fraction(1, 2)),
        ("sub", (Fraction(1, 10), Fraction(3, 10)), {}, Fraction(-1, 5)),
        ("mul", (Fraction(2, 3), Fraction(9, 4)), {}, Fraction(3, 2)),
        ("div", (Fraction(1), Fraction(3)), {}, Fraction(1, 3)),
        ("neg", (Fraction(5, 7),), {}, Fraction(-5, 7)),
        ("integer_pow", (Fraction(2, 3),), {"n": -2}, Fraction(9, 4)),
        ("pow", (Fraction(2), Fraction(10)), {}, Fraction(1024)),
        ("pow", (Fraction(1, 2), Fraction(-3)), {}, Fraction(8)),
        ("max", (Fraction(1, 3), Fraction(1, 4)), {}, Fraction(1, 3)),
        ("min", (Fraction(1, 3), Fraction(1, 4)), {}, Fraction(1, 4)),
        ("square", (Fraction(-3, 2),), {}, Fraction(9, 4)),
    ],
)
def test_fold_constants_is_exact_rational_arithmetic(op, args, params, expected):
    g = ExprGraph()
    g.add_input(())
    g.set_output(g.add(op, [g.add_constant(a) for a in args], params))
    folded = fold_constants(g)
    (out,) = [n for n in folded if folded.op(n) != "input"]
    value = folded.params(out)["value"]
    assert folded.op(out) == "constant" and type(value) is Fraction and value == expected


def test_fold_constants_folds_nested_arithmetic_to_one_exact_constant():
    # (1/10 + 2/10) * 10 - 3 == 0 exactly (it is not 0 in binary floating point)
    def build(g, x):
        s = g.add("add", [c(g, Fraction(1, 10)), c(g, Fraction(2, 10))])
        zero = g.add("sub", [g.add("mul", [s, c(g, 10)]), c(g, 3)])
        return g.add("add", [x, zero])

    assert ops_of(fold_constants(scalar_graph(build))) == ["input"]


@pytest.mark.parametrize("op", ["exp", "log", "sin", "sqrt", "atan", "erf"])
def test_fold_constants_leaves_transcendental_functions_of_constants(op):
    g = scalar_graph(lambda g, x: g.add("mul", [x, g.add(op, [c(g, 2)])]))
    assert op in ops_of(optimize(g))


def test_fold_constants_does_not_divide_by_zero_or_fold_a_domain_error_away():
    g = scalar_graph(lambda g, x: g.add("add", [g.add("div", [c(g, 1), c(g, 0)]), x]))
    assert "div" in ops_of(optimize(g))
    g = scalar_graph(lambda g, x: g.add("mul", [c(g, 0), g.add("log", [x])]))
    assert "log" in ops_of(optimize(g))


@pytest.mark.parametrize(
    "name, build, expected_ops",
    [
        ("neg(neg(x))", lambda g, x: g.add("neg", [g.add("neg", [x])]), ["input"]),
        ("x*1", lambda g, x: g.add("mul", [x, c(g, 1)]), ["input"]),
        ("1*x", lambda g, x: g.add("mul", [c(g, 1), x]), ["input"]),
        ("x+0", lambda g, x: g.add("add", [x, c(g, 0)]), ["input"]),
        ("0+x", lambda g, x: g.add("add", [c(g, 0), x]), ["input"]),
        ("x-0", lambda g, x: g.add("sub", [x, c(g, 0)]), ["input"]),
        ("x/1", lambda g, x: g.add("div", [x, c(g, 1)]), ["input"]),
        ("x**1", lambda g, x: g.add("integer_pow", [x], {"n": 1}), ["input"]),
        ("pow(x,1)", lambda g, x: g.add("pow", [x, c(g, 1)]), ["input"]),
        ("0-x", lambda g, x: g.add("sub", [c(g, 0), x]), ["input", "neg"]),
        ("-1*x", lambda g, x: g.add("mul", [c(g, -1), x]), ["input", "neg"]),
        (
            "2*(3*x)",
            lambda g, x: g.add("mul", [c(g, 2), g.add("mul", [c(g, 3), x])]),
            ["input", "constant", "mul"],
        ),
        (
            "-(-(-(-x)))",
            lambda g, x: g.add("neg", [g.add("neg", [g.add("neg", [g.add("neg", [x])])])]),
            ["input"],
        ),
    ],
)
def test_fold_constants_applies_identities(name, build, expected_ops):
    assert sorted(ops_of(fold_constants(scalar_graph(build)))) == sorted(expected_ops)


def test_reassociated_constant_is_the_exact_product():
    g = scalar_graph(lambda g, x: g.add("mul", [c(g, Fraction(2, 3)), g.add("mul", [x, c(g, 6)])]))
    folded = fold_constants(g)
    consts = [folded.params(n)["value"] for n in folded if folded.op(n) == "constant"]
    assert consts == [Fraction(4)]


def test_identity_folding_keeps_shapes():
    g = ExprGraph()
    x = g.add_input((3,))
    g.set_output(g.add("mul", [c(g, 1), x]))
    assert ops_of(optimize(g)) == ["input"]
    # adding an array of zeros to a scalar broadcasts: it must not be dropped
    g = ExprGraph()
    x = g.add_input(())
    g.set_output(g.add("add", [x, g.add_constant(np.zeros(3))]))
    new = optimize(g)
    assert new.shape(new.output) == (3,) and "add" in ops_of(new)


# -- rewrites -----------------------------------------------------------------------------


def _sigmoid_patterns():
    def exp_neg_mul(g, u, left):
        minus_one = c(g, -1)
        return g.add("exp", [g.add("mul", [minus_one, u] if left else [u, minus_one])])

    return [
        ("1/(1+exp(-u))", lambda g, u: g.add("div", [c(g, 1), one_plus_exp_neg(g, u)])),
        (
            "1/(exp(-u)+1)",
            lambda g, u: g.add(
                "div", [c(g, 1), g.add("add", [g.add("exp", [g.add("neg", [u])]), c(g, 1)])]
            ),
        ),
        (
            "1/(1+exp(-1*u))",
            lambda g, u: g.add("div", [c(g, 1), g.add("add", [c(g, 1), exp_neg_mul(g, u, True)])]),
        ),
        (
            "1/(1+exp(u*-1))",
            lambda g, u: g.add("div", [c(g, 1), g.add("add", [c(g, 1), exp_neg_mul(g, u, False)])]),
        ),
        ("(1+exp(-u))**-1", lambda g, u: g.add("integer_pow", [one_plus_exp_neg(g, u)], {"n": -1})),
        ("pow(1+exp(-u),-1)", lambda g, u: g.add("pow", [one_plus_exp_neg(g, u), c(g, -1)])),
    ]


REWRITES = [
    ("x*x", lambda g, x: g.add("mul", [x, x]), "square"),
    ("integer_pow(x,2)", lambda g, x: g.add("integer_pow", [x], {"n": 2}), "square"),
    ("pow(x,2)", lambda g, x: g.add("pow", [x, c(g, 2)]), "square"),
    ("pow(x,1/2)", lambda g, x: g.add("pow", [x, c(g, Fraction(1, 2))]), "sqrt"),
    ("pow(x,-1/2)", lambda g, x: g.add("pow", [x, c(g, Fraction(-1, 2))]), "rsqrt"),
    (
        "log(1+exp(u))",
        lambda g, u: g.add("log", [g.add("add", [c(g, 1), g.add("exp", [u])])]),
        "softplus",
    ),
    (
        "log(exp(u)+1)",
        lambda g, u: g.add("log", [g.add("add", [g.add("exp", [u]), c(g, 1)])]),
        "softplus",
    ),
    ("log1p(exp(u))", lambda g, u: g.add("log1p", [g.add("exp", [u])]), "softplus"),
    *[(name, build, "sigmoid") for name, build in _sigmoid_patterns()],
    ("u*sigmoid(u)", lambda g, u: g.add("mul", [u, g.add("sigmoid", [u])]), "swish"),
    ("sigmoid(u)*u", lambda g, u: g.add("mul", [g.add("sigmoid", [u]), u]), "swish"),
    ("u/(1+exp(-u))", lambda g, u: g.add("div", [u, one_plus_exp_neg(g, u)]), "swish"),
    (
        "u*(1/(1+exp(-u)))",
        lambda g, u: g.add("mul", [u, g.add("div", [c(g, 1), one_plus_exp_neg(g, u)])]),
        "swish",
    ),
    ("max(u,0)", lambda g, u: g.add("max", [u, c(g, 0)]), "relu"),
    ("max(0,u)", lambda g, u: g.add("max", [c(g, 0), u]), "relu"),
    (
        "max(u,u/10)",
        lambda g, u: g.add("max", [u, g.add("mul", [c(g, Fraction(1, 10)), u])]),
        "leaky_relu",
    ),
    ("sqrt(x*x)", lambda g, x: g.add("sqrt", [g.add("mul", [x, x])]), "abs"),
]


@pytest.mark.parametrize("name, build, op", REWRITES, ids=[r[0] for r in REWRITES])
def test_rewrite_fires_and_keeps_the_function(name, build, op):
    g = scalar_graph(build)
    new = optimize(g)
    assert ops_of(new) == ["input", op]
    assert ops_of(rewrite(g))[-1] == op  # the rewrite pass alone does it too
    for x in (-1.7, -0.3, 0.4, 2.5):
        if op in ("sqrt", "rsqrt") and x <= 0:
            continue
        assert evaluate_graph(new, x) == pytest.approx(evaluate_graph(g, x), rel=1e-14)


def test_pow_with_integer_exponent_becomes_integer_pow():
    g = scalar_graph(lambda g, x: g.add("pow", [x, c(g, 3)]))
    new = optimize(g)
    assert ops_of(new) == ["input", "integer_pow"]
    assert new.params(new.output) == {"n": 3}


def test_leaky_relu_rewrite_carries_the_exact_slope():
    g = scalar_graph(lambda g, u: g.add("max", [g.add("mul", [u, c(g, Fraction(1, 5))]), u]))
    new = optimize(g)
    assert new.params(new.output) == {"alpha": Fraction(1, 5)}
    # a slope outside (0, 1) is not a leaky relu
    g = scalar_graph(lambda g, u: g.add("max", [g.add("mul", [u, c(g, 2)]), u]))
    assert "leaky_relu" not in ops_of(optimize(g))


def test_sub_stays_and_negated_terms_become_sub():
    g = ExprGraph()
    x = g.add_input((2,), ("x", "y"))
    a = g.add("take", [x], {"indices": (0,), "shape": ()}, shape=())
    b = g.add("take", [x], {"indices": (1,), "shape": ()}, shape=())
    g.set_output(g.add("sub", [a, b]))
    assert ops_of(optimize(g))[-1] == "sub"
    g.set_output(g.add("add", [a, g.add("neg", [b])]))
    assert ops_of(optimize(g))[-1] == "sub" and "neg" not in ops_of(optimize(g))


def test_rewrites_apply_to_a_fixed_point_through_nested_patterns():
    # log(1 + exp((x*x) * sigmoid(x*x))) -> softplus(swish(square(x)))
    def build(g, x):
        sq = g.add("mul", [x, x])
        return g.add(
            "log",
            [g.add("add", [c(g, 1), g.add("exp", [g.add("mul", [sq, g.add("sigmoid", [sq])])])])],
        )

    g = scalar_graph(build)
    new = optimize(g)
    assert ops_of(new) == ["input", "square", "swish", "softplus"]
    assert optimize(new).key() == new.key()
    for x in (-1.2, 0.3, 0.9):
        assert evaluate_graph(new, x) == pytest.approx(evaluate_graph(g, x), rel=1e-14)


def test_rewrites_apply_to_vector_inputs():
    g = ExprGraph()
    x = g.add_input((3,))
    g.set_output(g.add("log1p", [g.add("exp", [g.add("mul", [x, x])])]))
    new = optimize(g)
    assert ops_of(new) == ["input", "square", "softplus"]
    assert new.shape(new.output) == (3,)


def test_rewrites_keep_the_dtype_of_converted_values():
    g = ExprGraph("float64")
    x = g.add_input(())
    x32 = g.add("convert", [x], {"dtype": "float32"}, dtype="float32")
    g.set_output(
        g.add("mul", [g.add("mul", [x32, x32], dtype="float32"), c(g, 1)], dtype="float32")
    )
    new = optimize(g)
    assert ops_of(new) == ["input", "convert", "square"]
    assert new.dtype_of(new.output) == "float32"


# -- inspection ---------------------------------------------------------------------------


def _example_graph() -> ExprGraph:
    g = ExprGraph()
    x = g.add_input((2,), ("x", "y"))
    a = g.add("take", [x], {"indices": (0,), "shape": ()}, shape=())
    b = g.add("take", [x], {"indices": (1,), "shape": ()}, shape=())
    g.set_output(g.add("sub", [g.add("exp", [a]), g.add("mul", [c(g, Fraction(1, 3)), b])]))
    return g


def test_to_dot_has_every_node_label_and_argument_edge():
    g = _example_graph()
    dot = g.to_dot()
    assert dot.startswith("digraph ExprGraph {") and dot.rstrip().endswith("}")
    for n in g:
        assert f'n{n} [label="{g.label(n)}"' in dot
        for a in g.args(n):
            assert f"n{a} -> n{n}" in dot
    assert 'label="1/3"' in dot and 'label="x[x,y]", shape=ellipse' in dot
    assert f'n{g.output} [label="sub", peripheries=2]' in dot


def test_text_is_a_tree_from_the_output_down():
    g = _example_graph()
    lines = g.text().splitlines()
    assert "sub" in lines[0] and f"%{g.output}" in lines[0]
    body = "\n".join(lines)
    for label in ("exp", "mul", "1/3", "x[x,y]"):
        assert label in body
    assert g.text(ascii_only=True).isascii()


def test_draw_writes_a_png(tmp_path):
    path = _example_graph().draw(tmp_path / "graph.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
