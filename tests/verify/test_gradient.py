"""``verify.gradient``: interval enclosures of f and of its gradient, against mpmath.

The reference values are computed at 70 digits (closed forms for the elementwise
derivatives, ``mp.diff`` for the composites) and a point that seems to lie outside an
enclosure is recomputed at 150 digits before it counts.  The enclosures themselves are
computed at 100 bits, so the tolerance the comparison allows (about 2**-200 relative) cannot
hide a rounding error of the module.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mpmath import mp

from autobound.errors import DomainError
from autobound.frontends.sympy_frontend import graph_from_string
from autobound.graph import ExprGraph
from autobound.ops import elementwise_ops
from autobound.verify.gradient import SLOPES, gradient_interval
from autobound.verify.rigorous import DOMAINS, hi, lo

DIGITS = (70, 150)  # reference precision, and the recheck of an apparent violation


def as_mp(v) -> mp.mpf:
    """An exact number (float, int, Fraction) at the working precision."""
    if isinstance(v, Fraction):
        return mp.mpf(v.numerator) / v.denominator
    return mp.mpf(v)


def contains(enclosure, compute: Callable[[], object], scale: Callable[[], object] = None):
    """Whether every value ``compute()`` returns (an mpf, or a list of them) lies in the
    interval, up to 2**-200 of ``|value|`` (or of ``scale()``, the size of what it was
    computed from).  Returns ``(ok, values)``; a failure at 70 digits is recomputed at 150."""
    for digits in DIGITS:
        with mp.workdps(digits):
            got = compute()
            values = got if isinstance(got, list) else [got]
            size = scale() if scale is not None else 0
            ok = True
            for v in values:
                tol = (abs(v) + size) * mp.ldexp(1, -(mp.prec - 30))
                ok &= bool(lo(enclosure) - tol <= v <= hi(enclosure) + tol)
            if ok:
                return True, got
    return False, got


# -- the table --------------------------------------------------------------------------------


def test_every_elementwise_op_has_a_slope():
    ops = set(elementwise_ops())
    assert ops <= set(SLOPES), f"no interval derivative for {sorted(ops - set(SLOPES))}"
    assert set(SLOPES) <= ops, f"SLOPES names unknown ops {sorted(set(SLOPES) - ops)}"


# -- phi and phi' in mpmath (at the working precision) -----------------------------------------


def _sigmoid(t):
    return 1 / (1 + mp.exp(-t))


def _sigmoid_slope(t):
    e = mp.exp(-abs(t))  # even, no cancellation
    return e / (1 + e) ** 2


def _normal_cdf(t):
    return mp.erfc(-t / mp.sqrt(2)) / 2


def _normal_pdf(t):
    return mp.exp(-(t**2) / 2) / mp.sqrt(2 * mp.pi)


def _real_cbrt(t):
    return mp.cbrt(t) if t >= 0 else -mp.cbrt(-t)


def _kinked(left, right):
    """The derivative of a function with slope `left` for t < 0 and `right` for t > 0; at
    t = 0 both one-sided derivatives (the enclosure must hold their hull)."""
    return lambda t, p: right(p) if t > 0 else left(p) if t < 0 else [left(p), right(p)]


#: op -> (phi(t, params), phi'(t, params))
REFERENCE: dict[str, tuple[Callable, Callable]] = {
    "exp": (lambda t, p: mp.exp(t), lambda t, p: mp.exp(t)),
    "expm1": (lambda t, p: mp.expm1(t), lambda t, p: mp.exp(t)),
    "log": (lambda t, p: mp.log(t), lambda t, p: 1 / t),
    "log1p": (lambda t, p: mp.log1p(t), lambda t, p: 1 / (1 + t)),
    "sqrt": (lambda t, p: mp.sqrt(t), lambda t, p: 1 / (2 * mp.sqrt(t))),
    "rsqrt": (lambda t, p: 1 / mp.sqrt(t), lambda t, p: -1 / (2 * t * mp.sqrt(t))),
    "cbrt": (lambda t, p: _real_cbrt(t), lambda t, p: 1 / (3 * _real_cbrt(t) ** 2)),
    "square": (lambda t, p: t * t, lambda t, p: 2 * t),
    "abs": (lambda t, p: abs(t), _kinked(lambda p: mp.mpf(-1), lambda p: mp.mpf(1))),
    "relu": (lambda t, p: max(t, mp.zero), _kinked(lambda p: mp.mpf(0), lambda p: mp.mpf(1))),
    "leaky_relu": (
        lambda t, p: t if t >= 0 else as_mp(p["alpha"]) * t,
        _kinked(lambda p: as_mp(p["alpha"]), lambda p: mp.mpf(1)),
    ),
    "sin": (lambda t, p: mp.sin(t), lambda t, p: mp.cos(t)),
    "cos": (lambda t, p: mp.cos(t), lambda t, p: -mp.sin(t)),
    "tan": (lambda t, p: mp.tan(t), lambda t, p: 1 / mp.cos(t) ** 2),
    "atan": (lambda t, p: mp.atan(t), lambda t, p: 1 / (1 + t * t)),
    "asin": (lambda t, p: mp.asin(t), lambda t, p: 1 / mp.sqrt(1 - t * t)),
    "acos": (lambda t, p: mp.acos(t), lambda t, p: -1 / mp.sqrt(1 - t * t)),
    "asinh": (lambda t, p: mp.asinh(t), lambda t, p: 1 / mp.sqrt(1 + t * t)),
    "atanh": (lambda t, p: mp.atanh(t), lambda t, p: 1 / ((1 - t) * (1 + t))),
    "sinh": (lambda t, p: mp.sinh(t), lambda t, p: mp.cosh(t)),
    "cosh": (lambda t, p: mp.cosh(t), lambda t, p: mp.sinh(t)),
    "tanh": (lambda t, p: mp.tanh(t), lambda t, p: 1 / mp.cosh(t) ** 2),
    "sigmoid": (lambda t, p: _sigmoid(t), lambda t, p: _sigmoid_slope(t)),
    "softplus": (lambda t, p: mp.log1p(mp.exp(t)), lambda t, p: _sigmoid(t)),
    "swish": (lambda t, p: t * _sigmoid(t), lambda t, p: _sigmoid(t) + t * _sigmoid_slope(t)),
    "gelu": (
        lambda t, p: t * _normal_cdf(t),
        lambda t, p: _normal_cdf(t) + t * _normal_pdf(t),
    ),
    "erf": (lambda t, p: mp.erf(t), lambda t, p: 2 / mp.sqrt(mp.pi) * mp.exp(-t * t)),
}


def test_reference_covers_every_elementwise_op():
    assert set(REFERENCE) == set(elementwise_ops())


SMOOTH_POINTS = [-2.5, -0.75, 0.3, 0.9, 1.4, 7.0]


@pytest.mark.parametrize("op", sorted(REFERENCE))
def test_reference_derivatives_match_numerical_differentiation(op):
    """The oracle itself: the closed-form phi' agrees with mp.diff of phi."""
    phi, dphi = REFERENCE[op]
    params = {"alpha": 0.1}
    low, high = _RANGES.get(op, (-20.0, 20.0))
    with mp.workdps(40):
        for t in SMOOTH_POINTS:
            if not (low < t < high) or t == 0:
                continue
            t = mp.mpf(t)
            want = mp.diff(lambda u: phi(u, params), t)
            assert abs(dphi(t, params) - want) <= mp.mpf(10) ** -30 * max(1, abs(want)), (op, t)


# -- elementwise ops: phi(X) and phi'(X) over intervals -----------------------------------------

# (lowest, highest) left end per op, inside its domain (DOMAINS) and moderate in size
_RANGES = {
    "log": (1e-12, 20.0),
    "rsqrt": (1e-12, 20.0),
    "sqrt": (0.0, 20.0),
    "log1p": (-1 + 2.0**-40, 20.0),
    "asin": (-1.0, 1.0),
    "acos": (-1.0, 1.0),
    "atanh": (-1 + 2.0**-40, 1 - 2.0**-40),
    "tan": (-1.5, 1.5),  # pi/2 > 1.5707
}
# points the left end is drawn towards: kinks, domain ends, places where phi' is unbounded
_SPOTS = {
    "log": (1e-12, 1.0),
    "rsqrt": (1e-12, 1.0),
    "sqrt": (0.0, 1e-300, 1.0),
    "log1p": (-1 + 2.0**-40, -0.5, 0.0),
    "asin": (-1.0, 1.0, 1 - 2.0**-53, 0.0),
    "acos": (-1.0, 1.0, -1 + 2.0**-53, 0.0),
    "atanh": (-1 + 2.0**-40, 1 - 2.0**-40, 0.0, 0.5),
    "tan": (-1.5, 0.0, 1.5),
}
_WIDTHS = st.one_of(
    st.sampled_from([0.0, 1e-300, 1e-12, 1e-6, 0.5, 3.0, 40.0]),
    st.floats(0.0, 2.0),
)


def _unbounded_slope(op: str, a: float, b: float) -> bool:
    """Whether phi' is unbounded on [a, b] (only then may gradient_interval refuse)."""
    if op == "sqrt":
        return a == 0
    if op == "cbrt":
        return a <= 0 <= b
    if op in ("asin", "acos"):
        return a == -1 or b == 1
    return False


@st.composite
def intervals(draw, op: str):
    """``(a, b, points)``: an interval inside the domain of `op` and exact points in it."""
    low, high = _RANGES.get(op, (-20.0, 20.0))
    spots = [s for s in _SPOTS.get(op, (0.0, -1.0, 1.0)) if low <= s <= high]
    a = draw(st.one_of(st.floats(low, high), st.sampled_from(spots)))
    b = min(a + draw(_WIDTHS), high)
    ts = draw(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=3))
    points = [a, b, *(min(max(a + t * (b - a), a), b) for t in ts)]
    if a <= 0 <= b:
        points.append(0.0)
    return a, b, points


def unary(op: str, params: dict | None) -> ExprGraph:
    g = ExprGraph()
    x = g.add_input(())
    g.set_output(g.add(op, [x], params))
    return g


def test_intervals_respect_the_domains():
    for op, domain in DOMAINS.items():
        low, high = _RANGES[op]
        assert domain.contains(low, high), op


@pytest.mark.parametrize("op", sorted(elementwise_ops()))
@settings(max_examples=80)
@given(data=st.data())
def test_elementwise_value_and_slope_enclosures(op, data):
    a, b, points = data.draw(intervals(op), label="a, b, points")
    params = None
    if op == "leaky_relu":
        params = {"alpha": data.draw(st.sampled_from([0.1, Fraction(1, 8), 0.01, 2.0]))}
    phi, dphi = REFERENCE[op]
    g = unary(op, params)
    if _unbounded_slope(op, a, b):
        with pytest.raises(DomainError):
            gradient_interval(g, [a], [b])
        return
    F, (G,) = gradient_interval(g, [a], [b])
    for t in points:
        assert a <= t <= b
        ok, v = contains(F, lambda t=t: phi(as_mp(t), params))
        assert ok, f"{op}({t}) = {v} not in F = {F} over [{a!r}, {b!r}]"
        ok, d = contains(G, lambda t=t: dphi(as_mp(t), params))
        assert ok, f"{op}'({t}) = {d} not in G = {G} over [{a!r}, {b!r}]"


UNBOUNDED = [
    ("sqrt", 0.0, 1.0),
    ("sqrt", 0.0, 0.0),
    ("cbrt", -1.0, 1.0),
    ("cbrt", 0.0, 2.0),
    ("cbrt", -2.0, 0.0),
    ("asin", 0.5, 1.0),
    ("asin", -1.0, -1.0),
    ("acos", -1.0, 0.0),
    ("acos", 1.0, 1.0),
]


@pytest.mark.parametrize("op, a, b", UNBOUNDED)
def test_unbounded_slope_raises_domain_error(op, a, b):
    with pytest.raises(DomainError):
        gradient_interval(unary(op, None), [a], [b])


# -- tightness ----------------------------------------------------------------------------------


def test_exp_slope_is_tight_on_a_narrow_interval():
    F, (G,) = gradient_interval(unary("exp", None), [0], [Fraction(1, 10**6)])
    assert hi(G) - lo(G) < 1e-5
    assert lo(G) <= 1 and hi(G) >= 1
    assert hi(F) - lo(F) < 1e-5


@pytest.mark.parametrize("op", sorted(elementwise_ops()))
def test_point_interval_gives_a_narrow_slope(op):
    """At a = b away from kinks the enclosures have about the working precision."""
    t = 0.625 if op not in ("asin", "acos", "tan") else 0.375
    params = {"alpha": 0.1} if op == "leaky_relu" else None
    F, (G,) = gradient_interval(unary(op, params), [t], [t])
    for enclosure in (F, G):
        assert hi(enclosure) - lo(enclosure) <= 1e-20 * max(1, abs(lo(enclosure))), (op, F, G)


# -- max and min: one argument wins when the ranges do not overlap, else the Clarke hull ------

EXTREMES = [
    # op, box_lo, box_hi, the range of f over the box, its gradient's range
    ("max", [1, 0], [2, 0.5], (1, 2), [(1, 1), (0, 0)]),
    ("max", [0, 1], [0.5, 2], (1, 2), [(0, 0), (1, 1)]),
    ("min", [1, 0], [2, 0.5], (0, 0.5), [(0, 0), (1, 1)]),
    ("min", [0, 1], [0.5, 2], (0, 0.5), [(1, 1), (0, 0)]),
    ("min", [1, 0], [1, 0], (0, 0), [(0, 0), (1, 1)]),
    ("max", [-3, -1], [-2, -1], (-1, -1), [(0, 0), (1, 1)]),
    ("max", [0, 0], [1, 1], (0, 1), [(0, 1), (0, 1)]),
    ("min", [0, 0.5], [1, 2], (0, 1), [(0, 1), (0, 1)]),
]


@pytest.mark.parametrize("op, box_lo, box_hi, value, grad", EXTREMES)
def test_max_and_min_pick_the_right_argument(op, box_lo, box_hi, value, grad):
    F, G = gradient_interval(graph_from_string(f"{op}(x, y)", ["x", "y"]), box_lo, box_hi)
    assert lo(F) <= value[0] and value[1] <= hi(F), (op, box_lo, box_hi, F)
    for j, (g_lo, g_hi) in enumerate(grad):
        assert lo(G[j]) <= g_lo and g_hi <= hi(G[j]), (op, box_lo, box_hi, j, G)


# -- composite functions: every partial derivative over a box -----------------------------------


def _softplus(u):
    return mp.log1p(mp.exp(u))


def _gelu(u):
    return u * _normal_cdf(u)


def _leaky(u, alpha):
    return u if u >= 0 else alpha * u


# (text, variables, f in mpmath, kinks: quantities that vanish where f is not differentiable)
COMPOSITES = [
    (
        "sin(x)*y + sqrt(x**2+1)/(1+y**2) + sigmoid(x*y) + atan(y)",
        "xy",
        lambda x, y: mp.sin(x) * y + mp.sqrt(x**2 + 1) / (1 + y**2) + _sigmoid(x * y) + mp.atan(y),
        lambda x, y: [],
    ),
    (
        "max(x, y) + abs(x - y) * exp(-x)",
        "xy",
        lambda x, y: max(x, y) + abs(x - y) * mp.exp(-x),
        lambda x, y: [x - y],
    ),
    (
        "x**3 - 2*x*y + log1p(y**2)",
        "xy",
        lambda x, y: x**3 - 2 * x * y + mp.log1p(y**2),
        lambda x, y: [],
    ),
    (
        "softplus(x - y) * gelu(y) + erf(x*y)",
        "xy",
        lambda x, y: _softplus(x - y) * _gelu(y) + mp.erf(x * y),
        lambda x, y: [],
    ),
    (
        "tanh(x*y*z) + leaky_relu(x - z, 0.25)*cos(y) + atan(z)/(2 + min(x, y)**2)",
        "xyz",
        lambda x, y, z: (
            mp.tanh(x * y * z)
            + _leaky(x - z, mp.mpf(0.25)) * mp.cos(y)
            + mp.atan(z) / (2 + min(x, y) ** 2)
        ),
        lambda x, y, z: [x - z, x - y],
    ),
    (
        "(1 + x**2 + y**2)**0.75 - exp(sin(x*z))*cbrt(3 + sin(y*z)) + (1 + z**2)**(-2)"
        " - relu(y)*swish(z)",
        "xyz",
        lambda x, y, z: (
            (1 + x**2 + y**2) ** (mp.mpf(3) / 4)
            - mp.exp(mp.sin(x * z)) * mp.cbrt(3 + mp.sin(y * z))
            + (1 + z**2) ** -2
            - max(y, mp.zero) * z * _sigmoid(z)
        ),
        lambda x, y, z: [y],
    ),
    (
        "asin(tanh(x)/2) * acos(sigmoid(z) - 0.5) + log(1 + y**2)*rsqrt(1 + z**2)"
        " + tan(atan(x*y)/2) - sinh(z)*x**2 + cosh(y)/expm1(1 + z**2)",
        "xyz",
        lambda x, y, z: (
            mp.asin(mp.tanh(x) / 2) * mp.acos(_sigmoid(z) - mp.mpf(0.5))
            + mp.log(1 + y**2) / mp.sqrt(1 + z**2)
            + mp.tan(mp.atan(x * y) / 2)
            - mp.sinh(z) * x**2
            + mp.cosh(y) / mp.expm1(1 + z**2)
        ),
        lambda x, y, z: [],
    ),
]

_GRAPHS: dict[str, ExprGraph] = {}


def _graph(text: str, variables: str) -> ExprGraph:
    if text not in _GRAPHS:
        _GRAPHS[text] = graph_from_string(text, list(variables))
    return _GRAPHS[text]


_SIDE = st.one_of(
    st.sampled_from([0.0, 1e-300, 1e-9, 1e-3, 0.1, 1.0]),
    st.floats(0.0, 1.5),
)


@st.composite
def boxes(draw, n: int):
    """``(lo, hi, points)``: a box in [-3, 3]^n and exact points of it (two corners too)."""
    lo_, hi_ = [], []
    for _ in range(n):
        a = draw(st.one_of(st.floats(-3.0, 3.0), st.sampled_from([-1.0, 0.0, 0.5])))
        lo_.append(a)
        hi_.append(min(a + draw(_SIDE), 3.0))
    points = [lo_, hi_]
    for _ in range(draw(st.integers(1, 3))):
        ts = draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n))
        points.append(
            [min(max(a + t * (b - a), a), b) for a, b, t in zip(lo_, hi_, ts, strict=True)]
        )
    return lo_, hi_, points


@pytest.mark.parametrize("text, variables, f, kinks", COMPOSITES, ids=[c[0] for c in COMPOSITES])
@settings(max_examples=60)
@given(data=st.data())
def test_composite_value_and_gradient_enclosures(text, variables, f, kinks, data):
    n = len(variables)
    box_lo, box_hi, points = data.draw(boxes(n), label="box, points")
    F, G = gradient_interval(_graph(text, variables), box_lo, box_hi)
    assert len(G) == n
    for x in points:
        assert all(a <= v <= b for a, v, b in zip(box_lo, x, box_hi, strict=True))
        ok, v = contains(F, lambda x=x: f(*map(as_mp, x)))
        assert ok, f"f({x}) = {v} not in F = {F} over [{box_lo}, {box_hi}]"
        with mp.workdps(30):
            if any(abs(k) < mp.mpf(10) ** -50 for k in kinks(*map(as_mp, x))):
                continue  # f has no partial derivatives there
        for j in range(n):

            def partial(x=x, j=j):
                c = list(map(as_mp, x))

                def along(u):
                    return f(*c[:j], u, *c[j + 1 :])

                return mp.diff(along, c[j])

            ok, d = contains(G[j], partial, scale=lambda x=x: abs(f(*map(as_mp, x))) + 1)
            assert ok, f"d f/d{variables[j]} at {x} = {d} not in G = {G[j]} over box"
