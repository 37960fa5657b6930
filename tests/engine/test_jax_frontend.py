"""Tests of the JAX front end: the op set each construct becomes, and the graph's values.

Correctness is checked by evaluating the graph with a small numpy evaluator written here
(independent of the JAX lowering) and comparing with ``f(x)`` at random points.
"""

import math
from fractions import Fraction

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

import autobound
from autobound.errors import AutoBoundError, InvalidFunction, UnsupportedOperation
from autobound.frontends.jax_frontend import graph_from_callable

_erf = np.vectorize(math.erf)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


_ELEMENTWISE = {
    "exp": np.exp,
    "log": np.log,
    "log1p": np.log1p,
    "expm1": np.expm1,
    "sqrt": np.sqrt,
    "rsqrt": lambda x: 1 / np.sqrt(x),
    "cbrt": np.cbrt,
    "abs": np.abs,
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "atan": np.arctan,
    "asin": np.arcsin,
    "acos": np.arccos,
    "asinh": np.arcsinh,
    "atanh": np.arctanh,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "tanh": np.tanh,
    "sigmoid": _sigmoid,
    "softplus": lambda x: np.logaddexp(x, 0),
    "swish": lambda x: x * _sigmoid(x),
    "gelu": lambda x: x * (1 + _erf(x / np.sqrt(2))) / 2,
    "erf": _erf,
    "relu": lambda x: np.maximum(x, 0),
    "square": np.square,
    "neg": np.negative,
    "add": np.add,
    "sub": np.subtract,
    "mul": np.multiply,
    "div": np.divide,
    "pow": np.power,
    "max": np.maximum,
    "min": np.minimum,
}

_STRUCTURAL = {
    "leaky_relu": lambda p, x: np.where(x >= 0, x, float(p["alpha"]) * x),
    "integer_pow": lambda p, x: x ** p["n"],
    "reshape": lambda p, x: np.reshape(x, p["shape"]),
    "transpose": lambda p, x: np.transpose(x, p["perm"]),
    "broadcast_in_dim": lambda p, x: np.asarray(
        lax.broadcast_in_dim(x, p["shape"], p["broadcast_dimensions"])
    ),
    "slice": lambda p, x: np.asarray(lax.slice(x, p["start"], p["limit"], p["strides"])),
    "squeeze": lambda p, x: np.squeeze(x, axis=p["dimensions"]),
    "take": lambda p, x: np.reshape(np.ravel(x)[list(p["indices"])], p["shape"]),
    "concatenate": lambda p, *xs: np.concatenate(xs, axis=p["dimension"]),
    "reduce_sum": lambda p, x: np.sum(x, axis=p["axes"]),
    "select": lambda p, pred, a, b: np.where(pred, a, b),
    "switch": lambda p, s, a, b: np.where(s > 0 if p["strict"] else s >= 0, a, b),
    "step": lambda p, u: {
        "floor": np.floor,
        "ceil": np.ceil,
        "trunc": np.trunc,
        "round_even": np.round,
        "round_away": lambda v: np.sign(v) * np.floor(np.abs(v) + 0.5),
    }[p["kind"]](u),
    "convert": lambda p, x: np.asarray(x, dtype=p["dtype"]),
    "dot_general": lambda p, a, b: np.asarray(lax.dot_general(a, b, p["dimension_numbers"])),
    "conv_general_dilated": lambda p, a, b: np.asarray(lax.conv_general_dilated(a, b, **p)),
}


def evaluate(graph, x):
    """The graph's value at x, op by op in numpy (a test oracle, not library code)."""
    values = {}
    for n in graph.order():
        op, params = graph.op(n), graph.params(n)
        args = [values[a] for a in graph.args(n)]
        if op == "input":
            values[n] = np.asarray(x)
        elif op == "constant":
            v = params["value"]
            values[n] = float(v) if isinstance(v, Fraction) else v
        elif op in _ELEMENTWISE:
            values[n] = _ELEMENTWISE[op](*args)
        else:
            values[n] = _STRUCTURAL[op](params, *args)
        assert np.shape(values[n]) == graph.shape(n), (op, np.shape(values[n]), graph.shape(n))
    return values[graph.output]


def ops_of(graph):
    return {graph.op(n) for n in graph.order()}


@jax.custom_jvp
def _my_exp(x):
    return jnp.exp(x)


_my_exp.defjvp(lambda p, t: (_my_exp(p[0]), t[0] * _my_exp(p[0])))


@jax.custom_vjp
def _my_sin(x):
    return jnp.sin(x)


_my_sin.defvjp(lambda x: (jnp.sin(x), x), lambda r, g: (g * jnp.cos(r),))


@jax.custom_jvp
def relu(x):  # named like jax.nn.relu, but it is not: must be inlined, not mapped
    return jnp.exp(x)


relu.defjvp(lambda p, t: (relu(p[0]), t[0] * relu(p[0])))


def _named_relu(scale: float):
    """A custom_jvp function named relu, ``max(x, 0) + scale atan(x)``: its probes run
    compiled (the numpy probe evaluator has no atan); it is relu only for scale 0."""

    def relu(x):
        return jnp.maximum(x, 0.0) + scale * jnp.arctan(x)

    f = jax.custom_jvp(relu)
    f.defjvp(lambda p, t: (f(p[0]), t[0]))
    return f


_atan_relu, _atan_impostor = _named_relu(0.0), _named_relu(1.0)


def _scaled_relu(scale: float):
    """A custom_jvp function named relu, ``max(x, 0) * c`` with c an array it closes over
    (JAX passes c to the body as a second input): never mapped to relu, whatever c is."""
    c = np.full(2, scale)

    def relu(x):
        return jnp.maximum(x, 0.0) * c

    f = jax.custom_jvp(relu)
    f.defjvp(lambda p, t: (f(p[0]), t[0] * c))
    return f


@pytest.mark.parametrize("scale", [1.0, 2.0])
def test_a_named_body_that_closes_over_arrays_is_inlined(scale):
    graph = graph_from_callable(_scaled_relu(scale), (2,))
    assert ops_of(graph) == {_IN, _C, "max", "mul"}
    x = np.array([-0.5, 1.5])
    np.testing.assert_allclose(evaluate(graph, x), np.maximum(x, 0) * scale)


_W = np.arange(6.0).reshape(2, 3) / 7
_B = np.array([0.5, -1.25])
_MASK = np.array([True, False, True])
_KERNEL = np.array([[[1.0, -2.0, 0.5]], [[0.25, 1.0, 3.0]]])
_IN, _C = "input", "constant"

# (id, f, shape of x, sampling range, expected op set)
CASES = [
    (
        "scalar",
        lambda x: 1.5 * jnp.exp(3 * x) - 25 * x**2,
        (),
        (-1, 1),
        {_IN, _C, "exp", "mul", "integer_pow", "sub"},
    ),
    (
        "index",
        lambda x: jnp.exp(x[0]) * jnp.sin(x[1]),
        (2,),
        (-2, 2),
        {_IN, "slice", "squeeze", "exp", "sin", "mul"},
    ),
    ("affine", lambda x: jnp.dot(_W, x) + _B, (3,), (-2, 2), {_IN, _C, "dot_general", "add"}),
    ("x_at_x", lambda x: x @ x, (3,), (-2, 2), {_IN, "dot_general"}),
    (
        "matrix",
        lambda x: jnp.sum(jnp.tanh(x.T @ _W.T), axis=0),
        (3, 2),
        (-2, 2),
        {_IN, _C, "transpose", "dot_general", "tanh", "reduce_sum"},
    ),
    ("sum_squares", lambda x: jnp.sum(x**2), (4,), (-2, 2), {_IN, "integer_pow", "reduce_sum"}),
    ("norm", jnp.linalg.norm, (3,), (0.5, 2), {_IN, "mul", "reduce_sum", "sqrt"}),
    ("mean", jnp.mean, (3,), (-2, 2), {_IN, _C, "reduce_sum", "div"}),
    ("relu", jax.nn.relu, (3,), (-2, 2), {_IN, "relu"}),
    ("gelu_exact", lambda x: jax.nn.gelu(x, approximate=False), (3,), (-3, 3), {_IN, "gelu"}),
    ("gelu_tanh", jax.nn.gelu, (3,), (-3, 3), {_IN, _C, "integer_pow", "mul", "add", "tanh"}),
    ("softplus", jax.nn.softplus, (3,), (-5, 5), {_IN, "softplus"}),
    ("log_sigmoid", jax.nn.log_sigmoid, (3,), (-5, 5), {_IN, "neg", "softplus"}),
    ("mish", jax.nn.mish, (3,), (-3, 3), {_IN, "softplus", "tanh", "mul"}),
    (
        "logaddexp",
        lambda x: jnp.logaddexp(x[0], x[1]),
        (2,),
        (-3, 3),
        {_IN, "slice", "squeeze", "sub", "softplus", "add"},
    ),
    ("silu", jax.nn.silu, (3,), (-3, 3), {_IN, "swish"}),
    ("x_sigmoid_x", lambda x: x * jax.nn.sigmoid(x), (3,), (-3, 3), {_IN, "swish"}),
    ("sigmoid", jax.nn.sigmoid, (3,), (-3, 3), {_IN, "sigmoid"}),
    ("leaky_relu", jax.nn.leaky_relu, (3,), (-2, 2), {_IN, "leaky_relu"}),
    ("where_relu", lambda x: jnp.where(x > 0, x, 0.0), (3,), (-2, 2), {_IN, _C, "max"}),
    ("where_min", lambda x: jnp.where(1.5 <= x, 1.5, x), (3,), (-2, 2), {_IN, _C, "min"}),
    (
        "maximum",
        lambda x: jnp.maximum(x, 0.25) + jnp.minimum(x, -x),
        (3,),
        (-2, 2),
        {_IN, _C, "max", "min", "neg", "add"},
    ),
    ("clip", lambda x: jnp.clip(x, -1, 1), (3,), (-2, 2), {_IN, _C, "max", "min"}),
    ("where_mask", lambda x: jnp.where(_MASK, x, 2 * x), (3,), (-2, 2), {_IN, _C, "mul", "select"}),
    (
        "where_switch",
        lambda x: jnp.where(x > 0.5, jnp.sin(x), jnp.cos(x)),
        (3,),
        (-2, 2),
        {_IN, _C, "sub", "switch", "sin", "cos"},
    ),
    (
        "where_two_inputs",
        lambda x: jnp.where(x[0] <= x[1], x, -x),
        (2,),
        (-2, 2),
        {_IN, "slice", "squeeze", "sub", "broadcast_in_dim", "neg", "switch"},
    ),
    ("elu", jax.nn.elu, (3,), (-2, 2), {_IN, _C, "sub", "min", "expm1", "mul", "switch"}),
    (
        "sort",
        lambda x: jnp.sort(jnp.sin(3 * x)),
        (5,),
        (-2, 2),
        {_IN, _C, "mul", "sin", "take", "min", "max", "concatenate"},
    ),
    (
        "sort_axis",
        lambda x: jnp.sort(x, axis=0),
        (4, 3),
        (-2, 2),
        {_IN, "take", "min", "max", "reshape", "concatenate"},
    ),
    ("hard_tanh", jax.nn.hard_tanh, (3,), (-2, 2), {_IN, _C, "max", "sub", "switch"}),
    (
        "heaviside",
        lambda x: (x > 0.5).astype(x.dtype) * x,
        (3,),
        (-2, 2),
        {_IN, _C, "sub", "mul", "switch"},
    ),
    ("sign", lambda x: jnp.sign(x - 0.5) * x, (3,), (-2, 2), {_IN, _C, "sub", "mul", "switch"}),
    ("mod", lambda x: jnp.mod(3 * x, -0.7), (3,), (-2, 2), {_IN, _C, "mul", "div", "step", "sub"}),
    ("hypot", lambda x: jnp.hypot(x, 2.0), (3,), (-2, 2), {_IN, _C, "square", "add", "sqrt"}),
    (
        "top_k",
        lambda x: lax.top_k(jnp.sin(3 * x), 2)[0],
        (5,),
        (-2, 2),
        {_IN, _C, "mul", "sin", "take", "min", "max", "concatenate"},
    ),
    (
        "xlogy",
        lambda x: jax.scipy.special.xlogy(x, x + 3.0),
        (3,),
        (-2, 2),
        {_IN, _C, "add", "log", "mul"},
    ),
    ("fmod", lambda x: jnp.fmod(x, 0.3), (3,), (-2, 2), {_IN, _C, "mul", "div", "step", "sub"}),
    (
        "steps",
        lambda x: (
            jnp.floor(x) + jnp.ceil(2 * x) + jnp.round(x) + jax.lax.round(x, 0) + jnp.trunc(x)
        ),
        (3,),
        (-2, 2),
        {_IN, _C, "mul", "add", "step"},
    ),
    (
        "cond",
        lambda x: lax.cond(x[0] > x[1], lambda t: t * 2, lambda t: t - 1, x),
        (3,),
        (-2, 2),
        {_IN, _C, "slice", "squeeze", "sub", "mul", "broadcast_in_dim", "switch"},
    ),
    (
        "stack",
        lambda x: jnp.stack([x, 2 * x])[:, 1:],
        (3,),
        (-2, 2),
        {_IN, _C, "mul", "concatenate", "take", "slice"},
    ),
    (
        "concatenate",
        lambda x: jnp.concatenate([x, jnp.sin(x), _B]),
        (2,),
        (-2, 2),
        {_IN, _C, "sin", "concatenate"},
    ),
    (
        "reverse_slices",
        lambda x: x[1:3] * x[::-1][:2],
        (3,),
        (-2, 2),
        {_IN, "slice", "take", "mul"},
    ),
    (
        "fancy_index",
        lambda x: x[jnp.array([2, 0, -1])] ** 3,
        (3,),
        (-2, 2),
        {_IN, "take", "integer_pow"},
    ),
    (
        "matrix_index",
        lambda x: x[1, :] - x[:, 0].sum(),
        (2, 2),
        (-2, 2),
        {_IN, "slice", "squeeze", "reduce_sum", "sub"},
    ),
    (
        "pad",
        lambda x: jnp.pad(x, (1, 2)) + 1.0,
        (3,),
        (-2, 2),
        {_IN, _C, "concatenate", "take", "add"},
    ),
    (
        "set_item",
        lambda x: jnp.exp(x.at[1].set(5.0)),
        (3,),
        (-2, 2),
        {_IN, _C, "concatenate", "take", "exp"},
    ),
    ("dynamic_slice", lambda x: lax.dynamic_slice(x, (1,), (2,)), (4,), (-2, 2), {_IN, "take"}),
    (
        "split_roll",
        lambda x: jnp.split(x, 2)[1] * jnp.roll(x, 1)[:2],
        (4,),
        (-2, 2),
        {_IN, "take", "slice", "concatenate", "mul"},
    ),
    ("outer", lambda x: x[:, None] * x[None, :], (3,), (-2, 2), {_IN, "broadcast_in_dim", "mul"}),
    (
        "powers",
        lambda x: x**2.5 + x**-1 + 2.0**x + x**x,
        (2,),
        (0.5, 2),
        {_IN, _C, "pow", "integer_pow", "log", "mul", "exp", "add"},
    ),
    (
        "exp2_erfc",
        lambda x: jnp.exp2(x) + jax.scipy.special.erfc(x),
        (2,),
        (-2, 2),
        {_IN, _C, "log", "mul", "exp", "erf", "sub", "add"},
    ),
    (
        "elementwise",
        lambda x: (
            jnp.sqrt(x)
            + lax.rsqrt(x)
            + jnp.cbrt(x)
            + jnp.log1p(x)
            + jnp.expm1(x)
            + jnp.tan(x)
            + jnp.arctan(x)
        ),
        (2,),
        (0.1, 0.9),
        {_IN, "sqrt", "rsqrt", "cbrt", "log1p", "expm1", "tan", "atan", "add"},
    ),
    (
        "inverse_trig",
        lambda x: (
            jnp.arcsin(x) * jnp.arccos(x)
            + jnp.sinh(x) / jnp.cosh(x)
            + jnp.abs(x)
            + jnp.square(x)
            + jnp.log(x + 2)
        ),
        (2,),
        (-0.9, 0.9),
        {_IN, _C, "asin", "acos", "mul", "sinh", "cosh", "div", "abs", "square", "log", "add"},
    ),
    (
        "logsumexp",
        jax.nn.logsumexp,
        (3,),
        (-3, 3),
        {_IN, "take", "max", "broadcast_in_dim", "sub", "exp", "reduce_sum", "abs", "log", "add"},
    ),
    (
        "softmax",
        jax.nn.softmax,
        (3,),
        (-3, 3),
        {_IN, "take", "max", "broadcast_in_dim", "sub", "exp", "reduce_sum", "div"},
    ),
    (
        "max_reduction",
        lambda x: jnp.max(x, axis=1) - jnp.min(x),
        (2, 3),
        (-3, 3),
        {_IN, "take", "max", "min", "sub"},
    ),
    (
        "calls",
        lambda x: jax.jit(jnp.sin)(x) + _my_exp(x) + _my_sin(x) + jax.checkpoint(jnp.cos)(x),
        (2,),
        (-2, 2),
        {_IN, "sin", "exp", "cos", "add"},
    ),
    ("named_impostor", relu, (2,), (-2, 2), {_IN, "exp"}),
    ("named_compiled_probe", _atan_relu, (2,), (-2, 2), {_IN, "relu"}),
    (
        "named_compiled_impostor",
        _atan_impostor,
        (2,),
        (-2, 2),
        {_IN, _C, "max", "atan", "mul", "add"},
    ),
    ("cond_constant", lambda x: lax.cond(True, jnp.sin, jnp.cos, x), (2,), (-2, 2), {_IN, "sin"}),
    (
        "stop_gradient_copy",
        lambda x: lax.stop_gradient(x) * jnp.copy(x),
        (2,),
        (-2, 2),
        {_IN, "mul"},
    ),
    (
        "float32_cast",
        lambda x: jnp.sin(x.astype(jnp.float32)),
        (2,),
        (-2, 2),
        {_IN, "convert", "sin"},
    ),
    ("constant_output", lambda x: jnp.ones(2) * 3.0, (2,), (-2, 2), {_C}),
    (
        "conv",
        lambda x: lax.conv_general_dilated(x, _KERNEL, (1,), "SAME"),
        (1, 1, 5),
        (-2, 2),
        {_IN, _C, "conv_general_dilated"},
    ),
]


@pytest.mark.parametrize(
    ("f", "shape", "box", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_graph_has_expected_ops_and_matches_f_at_random_points(f, shape, box, expected):
    graph = graph_from_callable(f, shape)
    assert ops_of(graph) == expected
    rng = np.random.default_rng(1)
    for _ in range(3):
        x = rng.uniform(*box, size=shape)
        np.testing.assert_allclose(
            evaluate(graph, x), np.asarray(f(jnp.asarray(x))), rtol=1e-12, atol=1e-14
        )


def test_float32_graph_has_float32_nodes():
    graph = graph_from_callable(lambda x: 2 * jnp.sin(x), (3,), dtype="float32")
    assert {graph.nx.nodes[n]["dtype"] for n in graph.order()} == {"float32"}
    x = np.linspace(-1, 1, 3, dtype=np.float32)
    np.testing.assert_allclose(evaluate(graph, x), 2 * np.sin(x), rtol=1e-6)


def test_gelu_pattern_needs_the_exact_constant():
    graph = graph_from_callable(lambda x: 0.5 * x * jax.scipy.special.erfc(-x * 0.7071), (2,))
    assert "gelu" not in ops_of(graph) and "erf" in ops_of(graph)


def test_leaky_relu_keeps_its_slope_exactly():
    graph = graph_from_callable(lambda x: jax.nn.leaky_relu(x, 0.2), (2,))
    (node,) = [n for n in graph.order() if graph.op(n) == "leaky_relu"]
    assert graph.params(node)["alpha"] == Fraction(0.2)


@pytest.mark.parametrize(
    ("f", "name"),
    [
        (lambda x: jnp.arctan2(x, 2.0), "atan2"),
        (lambda x: lax.cummax(x), "cummax"),
        (jax.scipy.special.gammaln, "lgamma"),
        (lambda x: jnp.argsort(x) * 1.0, "sort"),
    ],
    ids=["atan2", "cummax", "lgamma", "argsort"],
)
def test_unsupported_primitive_is_named_with_the_supported_list(f, name):
    with pytest.raises(UnsupportedOperation) as info:
        graph_from_callable(f, (3,))
    assert info.value.op == name
    assert "exp" in info.value.supported and "dot_general" in info.value.supported


@pytest.mark.parametrize(
    "f",
    [
        lambda x: jnp.where(x == 1, jnp.sin(x), jnp.cos(x)),
        lambda x: jnp.where((x > 0) & (x < 1), x, -x),
        lambda x: (x == 0).astype(jnp.float64) * x,
        lambda x: lax.cond(x[0] != 0, jnp.sin, jnp.cos, x),
    ],
    ids=["where_equal", "where_and", "indicator_of_equal", "cond_not_equal"],
)
def test_other_branches_on_the_input_raise(f):
    with pytest.raises(UnsupportedOperation, match="a comparison of the input"):
        graph_from_callable(f, (3,))


def test_sorted_values_are_enclosed_and_long_axes_refused():
    w = jnp.arange(4.0)
    f = lambda x: jnp.sum(jnp.sort(jnp.sin(3 * x)) * w)  # noqa: E731
    x0, lo, hi = jnp.full(4, 0.3), jnp.array([-1.0, 0.0, 0.1, 0.2]), jnp.array([1.0, 0.5, 0.9, 1.5])
    e = autobound.enclose(f, degree=2, rounding="outward")(x0, lo, hi)
    assert bool(e.valid)
    rng = np.random.default_rng(4)
    for _ in range(50):
        x = rng.uniform(np.asarray(lo), np.asarray(hi))
        low, high = autobound.poly.evaluate(e, jnp.asarray(x))
        assert float(low) <= float(f(jnp.asarray(x))) <= float(high)
    with pytest.raises(UnsupportedOperation, match="at most 16"):
        graph_from_callable(jnp.sort, (17,))
    with pytest.raises(UnsupportedOperation, match="top_k.*its indices"):
        graph_from_callable(lambda x: lax.top_k(x, 2)[1] * 1.0, (4,))


@pytest.mark.parametrize("rounding", ["nearest", "outward"])
def test_an_entry_of_log_softmax_is_enclosed(rounding):
    """log_softmax subtracts a (1,)-shaped log-sum from the (3,)-shaped shifted input: the
    difference's higher coefficients kept the (1,) shape, and slicing entry 1 out of them
    failed with a bare TypeError."""
    f = lambda x: -jax.nn.log_softmax(x)[1]  # noqa: E731
    x0, lo, hi = jnp.full(3, 0.45), jnp.array([0.2, 0.1, 0.3]), jnp.array([0.7, 0.9, 0.5])
    e = autobound.enclose(f, degree=2, rounding=rounding)(x0, lo, hi)
    assert bool(e.valid)
    rng = np.random.default_rng(5)
    for _ in range(40):
        x = jnp.asarray(rng.uniform(np.asarray(lo), np.asarray(hi)))
        low, high = autobound.poly.evaluate(e, x)
        assert float(low) <= float(f(x)) + 1e-12 and float(f(x)) <= float(high) + 1e-12


def test_integer_conversion_of_the_input_raises():
    with pytest.raises(UnsupportedOperation, match="convert_element_type"):
        graph_from_callable(lambda x: x.astype(jnp.int32) * 1.0, (3,))


def test_several_outputs_raise():
    with pytest.raises(InvalidFunction, match="single array"):
        graph_from_callable(lambda x: (x, 2 * x), (3,))


def test_bad_dtype_raises():
    with pytest.raises(AutoBoundError, match="dtype"):
        graph_from_callable(jnp.sin, (3,), dtype="int32")


@pytest.mark.parametrize("n", [1, 3])
@pytest.mark.parametrize(
    "f",
    [
        lambda x: jnp.sum(jnp.concatenate([jnp.array([1.0, 2.0]), jnp.exp(x)]) ** 2),
        lambda x: jnp.sum(jnp.where(jnp.arange(x.shape[0]) % 2 == 0, 0.5, jnp.sin(x))),
        lambda x: jnp.sum(jnp.convolve(x, jnp.array([0.25, 0.5, 0.25]), mode="same") ** 2),
    ],
    ids=["concatenate", "select", "convolve"],
)
def test_constant_parts_are_padded_to_the_enclosure_degree(f, n):
    """A constant operand (one coefficient) next to a degree-2 enclosure is padded with zero
    coefficients of shape out + (n,)*i; the padding once used the number of coefficients
    for n and crashed whenever the two differed (and took a convolution's output shape to
    be its operands' broadcast shape)."""
    import autobound as ab

    x0 = np.linspace(0.1, 0.3, n)
    lo_, hi_ = x0 - 0.5, x0 + 0.5
    t = ab.taylor_bounds(f, degree=2, rounding="outward")(x0, (lo_, hi_))
    rng = np.random.default_rng(0)
    for x in rng.uniform(lo_, hi_, size=(20, n)):
        fx = float(f(jnp.asarray(x)))
        assert float(t.lower(x)) - 1e-9 <= fx <= float(t.upper(x)) + 1e-9


@pytest.mark.parametrize(
    "f",
    [
        lambda x: jnp.sum(jnp.cumsum(jnp.exp(x)) ** 2),
        lambda x: jnp.sum(lax.cumsum(x, reverse=True) * jnp.arange(3.0)),
        lambda x: jnp.prod(x),
        lambda x: jnp.prod(jnp.sin(x).reshape(3, 1), axis=0)[0],
    ],
    ids=["cumsum", "cumsum_reverse", "prod", "prod_axis"],
)
def test_scans_and_products_are_enclosed(f):
    """cumsum (a product with a triangular 0/1 matrix) and reduce_prod (a tree of products),
    checked against f in mpmath over the box, outward mode."""
    import autobound as ab
    from autobound.verify import crosscheck
    from tests.strategies import as_numpy

    x0 = np.array([0.2, -0.1, 0.3])
    region = (x0 - 0.5, x0 + 0.5)
    b = ab.taylor_bounds(f, degree=2, rounding="outward")
    t = b(x0, region)
    report = crosscheck(b.graph((3,)), as_numpy(t.coefficients), x0, region, n_points=24)
    assert report.ok, report.violations[:1]
