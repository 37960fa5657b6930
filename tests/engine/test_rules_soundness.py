"""Every op's enclosure rule contains the function: one table line per op, zero tolerance.

Each line of :data:`LINES` is ``(op, domain of each argument, callable, string)``, in the
style of jax's ``jet_test``.  For every line a hypothesis test
``test_<op>_enclosure_contains_function_in_outward_mode`` draws a degree 0-4, a front end
(the callable or the string), and a region inside the op's domain: widths from 1e-8 to 10,
``x0`` at an end or inside, regions pushed towards the domain's *spots* (edges such as log
near 0+ and asin near +-1, large arguments such as exp near 700, tan next to its poles).  The
outward-rounded enclosure must contain ``f(x)``, computed by the independent checker
(:func:`autobound.verify.crosscheck`, mpmath at 200 bits, re-checked at 400) at the region's
ends, at ``x0`` and its one-ulp neighbours, and at random points: **no** violation, no eps.

Nearest mode (the reference implementation's plain floating point) is not rigorous: there a
violation is allowed, but only by a few ulps of the magnitude of the polynomial's terms.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from autobound.verify import crosscheck
from hypothesis import given, settings
from hypothesis import strategies as st

import autobound as ab
from autobound.ops import elementwise_ops
from tests.strategies import DEGREES, Domain, as_numpy, regions

PI = math.pi
POLE = 1e-7  # regions stop this far from a pole of tan (closer, the engine flags the pole)


@dataclass(frozen=True)
class Line:
    """One op under test: `domains` has one :class:`Domain` per argument; `fn` takes a jnp
    scalar (one argument) or a vector of the arguments; `text` names them x, y."""

    op: str
    domains: tuple[Domain, ...]
    fn: Callable
    text: str

    @property
    def name(self) -> str:
        return self.op


def D(lo: float, hi: float, *spots: float, typical: float = 10.0) -> tuple[Domain, ...]:
    return (Domain(((lo, hi),), spots, typical),)


BIG = 1e300
REALS = D(-BIG, BIG, 0.0, 1e8, -1e8, 1e300)
NONZERO = Domain(((-1e100, -1e-100), (1e-100, 1e100)), (1e-8, -1e-8, 1.0, -1.0, 1e-100))
TAN = Domain(((-PI / 2 + POLE, PI / 2 - POLE), (PI / 2 + POLE, 3 * PI / 2 - POLE)),
             (PI / 2 - POLE, -PI / 2 + POLE, PI / 2 + POLE, 0.0, PI))  # fmt: skip

LINES = [
    Line("exp", D(-800, 800, 0.0, 700.0, 709.7, -700.0, -745.0), jnp.exp, "exp(x)"),
    Line("log", D(1e-300, BIG, 1e-300, 1e-8, 1.0, 1e300), jnp.log, "log(x)"),
    Line("log1p", D(-1 + 2**-52, BIG, -1 + 2**-52, -0.41, 0.0, 1e300), jnp.log1p, "log1p(x)"),
    Line("expm1", D(-800, 800, 0.0, -1e-10, 700.0, -40.0), jnp.expm1, "expm1(x)"),
    Line("sqrt", D(0.0, BIG, 0.0, 1e-300, 1.0, 1e300), jnp.sqrt, "sqrt(x)"),
    Line("rsqrt", D(1e-300, BIG, 1e-300, 1e-8, 1.0), jax.lax.rsqrt, "rsqrt(x)"),
    Line("cbrt", REALS, jnp.cbrt, "cbrt(x)"),
    Line("abs", REALS, jnp.abs, "abs(x)"),
    Line("sin", D(-1e15, 1e15, 0.0, PI / 2, PI, 1e5, 1e12, -1e12), jnp.sin, "sin(x)"),
    Line("cos", D(-1e15, 1e15, 0.0, PI / 2, PI, 1e5, 1e12, -1e12), jnp.cos, "cos(x)"),
    Line("tan", (TAN,), jnp.tan, "tan(x)"),
    Line("atan", REALS, jnp.arctan, "atan(x)"),
    Line("asin", D(-1.0, 1.0, -1.0, 1.0, 1 - 1e-12, 0.0), jnp.arcsin, "asin(x)"),
    Line("acos", D(-1.0, 1.0, -1.0, 1.0, -1 + 1e-12, 0.0), jnp.arccos, "acos(x)"),
    Line("sinh", D(-720, 720, 0.0, 709.0, -710.4), jnp.sinh, "sinh(x)"),
    Line("cosh", D(-720, 720, 0.0, 709.0, -710.4), jnp.cosh, "cosh(x)"),
    Line("tanh", D(-BIG, BIG, 0.0, 20.0, -20.0, 400.0), jnp.tanh, "tanh(x)"),
    Line("sigmoid", D(-BIG, BIG, 0.0, 40.0, -40.0, -745.0, 750.0), jax.nn.sigmoid, "sigmoid(x)"),
    Line("softplus", D(-BIG, BIG, 0.0, 40.0, -40.0, 750.0, -750.0), jax.nn.softplus,
         "softplus(x)"),
    Line("swish", D(-BIG, BIG, 0.0, -1.2785, 40.0, -40.0, -750.0), jax.nn.swish, "swish(x)"),
    Line("gelu", D(-BIG, BIG, 0.0, -0.7518, 10.0, -10.0, -40.0),
         lambda x: jax.nn.gelu(x, approximate=False), "gelu(x)"),
    Line("erf", D(-BIG, BIG, 0.0, 6.0, -6.0, 30.0), jax.lax.erf, "erf(x)"),
    Line("relu", REALS, jax.nn.relu, "relu(x)"),
    Line("leaky_relu", REALS, lambda x: jax.nn.leaky_relu(x, 0.125), "leaky_relu(x, 0.125)"),
    Line("square", D(-BIG, BIG, 0.0, 1e150, -1e150), jnp.square, "square(x)"),
    Line("pow3", D(-BIG, BIG, 0.0, 1e100, -1e-100), lambda x: x**3, "x**3"),
    Line("pow_minus2", (NONZERO,), lambda x: x**-2, "x**(-2)"),
    Line("pow5", D(-BIG, BIG, 0.0, 1e60, -1.0), lambda x: x**5, "x**5"),
    Line("pow0_5", D(0.0, BIG, 0.0, 1e-300, 1.0), lambda x: x**0.5, "x**0.5"),
    Line("pow1_7", D(0.0, 1e100, 0.0, 1e-300, 1.0, 1e100), lambda x: x**1.7, "x**1.7"),
    Line("pow_minus1_3", D(1e-100, 1e100, 1e-100, 1e-8, 1.0), lambda x: x**-1.3, "x**(-1.3)"),
    Line("max", REALS * 2, lambda x: jnp.maximum(x[0], x[1]), "max(x, y)"),
    Line("min", REALS * 2, lambda x: jnp.minimum(x[0], x[1]), "min(x, y)"),
    Line("div", (REALS[0], NONZERO), lambda x: x[0] / x[1], "x/y"),
]  # fmt: skip

BY_NAME = {line.name: line for line in LINES}


def test_table_covers_every_elementwise_op():
    assert set(elementwise_ops()) <= set(BY_NAME)


_BOUNDERS: dict[tuple, ab.Bounder] = {}


def bounder(line: Line, front: str, degree: int, rounding: str, dtype: str = "float64"):
    """One Bounder per configuration, so that hypothesis examples reuse its compilation."""
    key = (line.name, front, degree, rounding, dtype)
    if key not in _BOUNDERS:
        names = ["x"] if len(line.domains) == 1 else ["x", "y"]
        f = line.text if front == "string" else line.fn
        _BOUNDERS[key] = ab.taylor_bounds(
            f, degree, variables=names if front == "string" else None, rounding=rounding,
            dtype=dtype,
        )  # fmt: skip
    return _BOUNDERS[key]


def bound_and_check(line: Line, data, rounding: str, dtype: str = "float64",
                    domains: tuple[Domain, ...] | None = None):
    """Draw a configuration, bound, and cross-check; returns ``(bounds, report)``."""
    degree = data.draw(DEGREES, label="degree")
    front = data.draw(st.sampled_from(["callable", "string"]), label="front end")
    x0, lo, hi = data.draw(regions(domains or line.domains), label="x0, lo, hi")
    seed = data.draw(st.integers(0, 2**16), label="seed")
    b = bounder(line, front, degree, rounding, dtype)
    t = b(x0, (lo, hi))
    # The engine rounds the region outward to the dtype and x0 to it: check what it claims.
    x0e = np.asarray(t.x0, np.float64)
    region = tuple(np.asarray(v, np.float64) for v in t.region)
    report = crosscheck(b.graph(x0e.shape), as_numpy(t.coefficients), x0e, region,
                        n_points=32, prec=200, seed=seed)  # fmt: skip
    return t, report


def _describe(line: Line, t, report) -> str:
    x, fx, lo, hi = report.violations[0]
    return (
        f"{line.op}: degree {t.degree}, x0={np.asarray(t.x0)!r}, region="
        f"({np.asarray(t.region[0])!r}, {np.asarray(t.region[1])!r}), x={x!r}: f(x)={fx} not in "
        f"[{lo}, {hi}]; coefficients {t.coefficients}; {report}"
    )


def _outward_test(line: Line):
    @given(data=st.data())
    def test(data):
        t, report = bound_and_check(line, data, "outward")
        assert report.ok, _describe(line, t, report)

    test.__name__ = f"test_{line.name}_enclosure_contains_function_in_outward_mode"
    test.__doc__ = f"{line.op}: outward enclosures contain the function, with no tolerance."
    return test


for _line in LINES:
    _t = _outward_test(_line)
    globals()[_t.__name__] = _t
del _line, _t


# -- float32 --------------------------------------------------------------------------------------

F32 = 3.4e38
FLOAT32_DOMAINS = {
    "exp": D(-110.0, 100.0, 0.0, 88.0, 88.7, -87.0, -103.0),
    "log": D(1.2e-38, F32, 1.2e-38, 1e-8, 1.0, 3e38),
    "sin": D(-1e7, 1e7, 0.0, PI / 2, 1e5),
    "tanh": D(-F32, F32, 0.0, 9.0, -9.0),
    "sqrt": D(0.0, F32, 0.0, 1.2e-38, 1.0),
    "gelu": D(-F32, F32, 0.0, -0.7518, 10.0, -10.0),
    "pow1_7": D(0.0, 1e20, 0.0, 1.0),
    "div": (Domain(((-1e18, 1e18),)), Domain(((-1e18, -1e-18), (1e-18, 1e18)), (1e-8, 1.0))),
}


@pytest.mark.parametrize("name", sorted(FLOAT32_DOMAINS))
@settings(max_examples=25)
@given(data=st.data())
def test_float32_enclosure_contains_function_in_outward_mode(name, data):
    line = BY_NAME[name]
    t, report = bound_and_check(line, data, "outward", "float32", FLOAT32_DOMAINS[name])
    assert report.ok, _describe(line, t, report)


# -- nearest mode: not rigorous, but only by a few ulps -------------------------------------------

NEAREST_ULPS = 16


def _term_magnitude(t, x: np.ndarray) -> float:
    """``|f(x0)| + sum_i |c_i| |x - x0|^i``: the size of what floating point rounds."""
    dx = np.abs(np.asarray(x, np.float64) - np.asarray(t.x0, np.float64)).reshape(-1)
    total, mono = 0.0, np.ones(1)
    for i, c in enumerate(as_numpy(t.coefficients)):
        if i:
            mono = np.multiply.outer(mono, dx).reshape(-1)
        mag = np.maximum(np.abs(c[0]), np.abs(c[1])) if isinstance(c, tuple) else np.abs(c)
        total += float(np.sum(mag.reshape(-1) * mono))
    return total


@pytest.mark.parametrize("name", sorted(BY_NAME))
@settings(max_examples=20)
@given(data=st.data())
def test_nearest_mode_violations_are_at_most_a_few_ulps(name, data):
    line = BY_NAME[name]
    t, report = bound_and_check(line, data, "nearest")
    eps = float(np.finfo(np.float64).eps)
    for x, fx, lo, hi in report.violations:
        excess = float(max(lo - fx, fx - hi))
        scale = max(_term_magnitude(t, x), float(abs(fx)), np.finfo(np.float64).tiny)
        assert excess <= NEAREST_ULPS * eps * scale, _describe(line, t, report)
