"""The certificate format: exact numbers, the serialized graph, what an enclosure implies."""

import json
import math
from fractions import Fraction
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autobound.api import taylor_bounds
from autobound.errors import CertificateError
from autobound.frontends.sympy_frontend import graph_from_string
from autobound.verify import evaluate
from autobound.verify.certificate import (
    Certificate,
    Leaf,
    enclosure_integral,
    enclosure_range,
)
from autobound.verify.exact import read_number, write_number
from autobound.verify.graph_json import graph_from_json, graph_text, graph_to_json

# -- exact numbers -----------------------------------------------------------------------------


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_every_double_is_written_exactly(x):
    assert read_number(write_number(x)) == Fraction(x)


@given(st.fractions(max_denominator=10**30), st.integers(-1100, 1100))
def test_rationals_are_written_exactly(q, k):
    value = q * Fraction(2) ** k
    assert read_number(write_number(value)) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0.1", Fraction(1, 10)),  # a decimal means what it says, not the nearest double
        (" -3/4 ", Fraction(-3, 4)),
        ("0x1.8p-3", Fraction(3, 16)),
        ("0x1.00000000000000000001p0", 1 + Fraction(1, 2**80)),  # longer than a double
        ("+5", Fraction(5)),
        ("1e-5", Fraction(1, 10**5)),
        (7, Fraction(7)),
    ],
)
def test_numbers_are_read_exactly(text, value):
    assert read_number(text) == value


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        (0.1, "JSON float"),
        (True, "not a number"),
        ("nan", "not an exact number"),
        ("inf", "not an exact number"),
        ("1/0", "zero denominator"),
        ("1e999999999", "exponent out of range"),
        ("0x1p99999999", "exponent out of range"),
        ("pi/2", "not an exact number"),
        ("__import__('os').getcwd()", "not an exact number"),
        ("1" * 5000, "not an exact number"),
    ],
)
def test_inexact_or_foreign_numbers_are_refused(bad, words):
    with pytest.raises(CertificateError, match=words):
        read_number(bad)


# -- the graph ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "names", "point"),
    [
        ("1.5*exp(3*x) - 25*x**2", None, [0.3]),
        ("sin(x)*y + sqrt(x**2 + 1)/(1 + y**2) + sigmoid(x*y)", ("x", "y"), [0.2, -0.7]),
        ("max(x, 1 - x) + abs(x - 1/3) + x**(-2) + leaky_relu(x - 1)", None, [0.6]),
    ],
)
def test_graph_round_trips_through_json(text, names, point):
    graph = graph_from_string(text, names)
    data = json.loads(graph_to_json(graph).model_dump_json())
    back = graph_from_json(type(graph_to_json(graph)).model_validate(data), names or ())
    assert back.key() == graph.key()
    x = np.array(point) if len(point) > 1 else point[0]
    assert evaluate(back, x) == evaluate(graph, x)


def test_graph_of_a_jax_function_with_weights_round_trips():
    w = np.linspace(-1, 1, 6).reshape(3, 2) / 3

    def mlp(x):
        return jnp.sum(jnp.tanh(w @ x + 0.1) ** 2)

    graph = taylor_bounds(mlp, 1).graph((2,))
    back = graph_from_json(graph_to_json(graph))
    assert back.key() == graph.key()
    x = np.array([0.3, -0.2])
    assert evaluate(back, x) == evaluate(graph, x)


def test_graph_reader_refuses_unknown_ops_and_forward_references():
    graph = graph_to_json(graph_from_string("exp(x)"))
    nodes = [n.model_dump() for n in graph.nodes]
    unknown = [*nodes[:-1], {**nodes[-1], "op": "__import__('os').system('true')"}]
    with pytest.raises(CertificateError, match="unknown op"):
        graph_from_json(type(graph).model_validate({**graph.model_dump(), "nodes": unknown}))
    huge = [{**nodes[0], "shape": [2**40, 2**40]}, nodes[1]]  # int64 product would wrap to 0
    with pytest.raises(CertificateError, match="bad shape"):
        graph_from_json(type(graph).model_validate({**graph.model_dump(), "nodes": huge}))
    forward = [{**nodes[0]}, {**nodes[1], "args": [5]}]
    with pytest.raises(CertificateError, match="earlier nodes"):
        graph_from_json(type(graph).model_validate({**graph.model_dump(), "nodes": forward}))


# -- what an enclosure implies -----------------------------------------------------------------

exact = st.fractions(min_value=-4, max_value=4, max_denominator=64)


@st.composite
def leaves(draw, n):
    lo = [draw(exact) for _ in range(n)]
    hi = [a + draw(st.fractions(min_value=Fraction(1, 64), max_value=2, max_denominator=64))
          for a in lo]  # fmt: skip
    x0 = [a + (b - a) * draw(st.sampled_from([0, Fraction(1, 3), Fraction(1, 2), 1]))
          for a, b in zip(lo, hi, strict=True)]  # fmt: skip
    degree = draw(st.integers(0, 3))
    coefficients = []
    for i in range(degree + 1):
        row = []
        for _ in range(n**i):
            a, w = draw(exact), draw(st.sampled_from([0, Fraction(1, 8), 1]))
            row.append([write_number(a), write_number(a + w)])
        coefficients.append(row)
    as_text = lambda v: [write_number(u) for u in v]  # noqa: E731
    return Leaf(lo=as_text(lo), hi=as_text(hi), x0=as_text(x0), coefficients=coefficients)


def _enclosure_at(leaf: Leaf, x: list[Fraction]) -> tuple[Fraction, Fraction]:
    """Interval arithmetic at a point, term by term (the format's meaning), exactly."""
    n = len(x)
    h = [xi - read_number(c) for xi, c in zip(x, leaf.x0, strict=True)]
    lo = hi = Fraction(0)
    for degree, row in enumerate(leaf.coefficients):
        for flat, (a, b) in enumerate(row):
            mono, k = Fraction(1), flat
            for _ in range(degree):
                k, j = divmod(k, n)
                mono *= h[j]
            ends = (read_number(a) * mono, read_number(b) * mono)
            lo, hi = lo + min(ends), hi + max(ends)
    return lo, hi


@given(st.integers(1, 2).flatmap(lambda n: leaves(n)), st.data())
def test_enclosure_range_holds_the_enclosure_at_every_point(leaf, data):
    n = len(leaf.lo)
    got_lo, got_hi = enclosure_range(leaf, n)
    corners = [[read_number(leaf.lo[j]) if (c >> j) & 1 else read_number(leaf.hi[j])
                for j in range(n)] for c in range(2**n)]  # fmt: skip
    t = st.fractions(0, 1, max_denominator=50)
    sides = [(read_number(a), read_number(b)) for a, b in zip(leaf.lo, leaf.hi, strict=True)]
    inner = [[a + (b - a) * data.draw(t) for a, b in sides] for _ in range(5)]
    for x in corners + inner + [[read_number(v) for v in leaf.x0]]:
        lo, hi = _enclosure_at(leaf, x)
        assert got_lo <= lo and hi <= got_hi


def test_enclosure_range_of_a_point_polynomial_is_sharp_in_one_variable():
    # 1 + 2h - h^2 on h in [-1, 2]: term ranges [1, 1] + [-2, 4] + [-4, 0]
    leaf = Leaf(
        lo=["-1"], hi=["2"], x0=["0"], coefficients=[[["1", "1"]], [["2", "2"]], [["-1", "-1"]]]
    )
    assert enclosure_range(leaf, 1) == (Fraction(-5), Fraction(5))


@given(leaves(1))
def test_enclosure_integral_is_the_integral_of_the_lower_and_upper_functions(leaf):
    # In one variable the lower function is a polynomial on each side of x0: for h >= 0 every
    # h^i >= 0 picks c_lo; for h < 0 odd powers pick c_hi.  Integrate both pieces exactly.
    a, b, c = (read_number(v) for v in (leaf.lo[0], leaf.hi[0], leaf.x0[0]))
    ends = [[(read_number(p), read_number(q))] for ((p, q),) in leaf.coefficients]

    def piece(lo_h, hi_h, side, upper):
        total = Fraction(0)
        for i, ((p, q),) in enumerate(ends):
            pick_hi = upper if (side > 0 or i % 2 == 0) else not upper
            coef = q if pick_hi else p
            total += coef * (hi_h ** (i + 1) - lo_h ** (i + 1)) / (i + 1)
        return total

    want_lo = piece(a - c, Fraction(0), -1, False) + piece(Fraction(0), b - c, 1, False)
    want_hi = piece(a - c, Fraction(0), -1, True) + piece(Fraction(0), b - c, 1, True)
    assert enclosure_integral(leaf, 1) == (want_lo, want_hi)


def test_enclosure_integral_in_two_variables_matches_a_hand_computation():
    # f in [1, 1] + [0, 1] * h0 * h1 over h0, h1 in [-1, 1]: the product is positive on two
    # quadrants (integral 1/2) and negative on two (integral -1/2); area 4.
    leaf = Leaf(lo=["-1", "-1"], hi=["1", "1"], x0=["0", "0"],
                coefficients=[[["1", "1"]], [["0", "0"], ["0", "0"]],
                              [["0", "0"], ["0", "1"], ["0", "0"], ["0", "0"]]])  # fmt: skip
    assert enclosure_integral(leaf, 2) == (
        Fraction(4) - Fraction(1, 2),
        Fraction(4) + Fraction(1, 2),
    )


def test_schema_file_matches_the_models():
    path = Path(__file__).parents[2] / "docs" / "certificate.schema.json"
    assert json.loads(path.read_text()) == Certificate.model_json_schema(), (
        "regenerate docs/certificate.schema.json (see docs/certificates.md)"
    )


def test_write_number_prefers_short_decimals():
    assert write_number(0.5) == "0.5"
    assert write_number(-3) == "-3"
    assert write_number(Fraction(1, 3)) == "1/3"
    assert write_number(0.1).startswith("0x")  # its exact decimal has 55 digits
    assert read_number(write_number(math.pi)) == Fraction(math.pi)


def test_graph_text_says_what_function_a_certificate_is_about():
    graph = graph_from_string("sin(x)*y + leaky_relu(x - 1, 0.1) + y**-2", ("x", "y"))
    assert graph_text(graph, ("x", "y")) == "((y**-2 + (y * sin(x))) + leaky_relu((x - 1), 1/10))"
    assert graph_text(graph_from_string("exp(x) - 1"), ("t",)) == "(exp(t) - 1)"
