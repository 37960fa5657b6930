"""``verify.hessian``: interval enclosures of f, its gradient and its Hessian, against mpmath,
and the second-order forms built on them.

As in ``test_gradient.py``, the reference values are computed at 70 digits (closed forms for
the elementwise second derivatives, ``mp.diff`` at 60 digits for the composites) and a point
that seems to lie outside an enclosure is recomputed at 150 digits before it counts; the
enclosures are computed at 100 bits.  The second-order forms are checked exactly: their inputs
have binary-float ends, the sampled values are Fractions and the bounds are compared as
Fractions, with no tolerance at all.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from itertools import product

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from mpmath import iv, mp

from autobound.errors import DomainError
from autobound.frontends.sympy_frontend import graph_from_string
from autobound.graph import ExprGraph
from autobound.ops import elementwise_ops
from autobound.verify.hessian import (
    CURVATURES,
    hessian_interval,
    second_order_bounds,
    second_order_integral,
)
from autobound.verify.reference import evaluate_interval
from autobound.verify.rigorous import exact, hi, iv_precision, lo
from tests.verify.test_gradient import (
    _RANGES,
    _SPOTS,
    _WIDTHS,
    REFERENCE,
    SMOOTH_POINTS,
    _gelu,
    _normal_pdf,
    _real_cbrt,
    _sigmoid,
    _sigmoid_slope,
    _softplus,
    as_mp,
    unary,
)

DIGITS = (70, 150)  # reference precision, and the recheck of an apparent violation
DIFF_DIGITS = (60, 150)  # the same for mp.diff of the composites


def contains(
    enclosure,
    compute: Callable[[], object],
    scale: Callable[[], object] | None = None,
    digits: tuple[int, ...] = DIGITS,
):
    """Whether the value ``compute()`` returns lies in the interval, up to ``2**-(prec - 30)``
    of ``|value|`` (plus ``scale()``, the size of what it was computed from).  Returns
    ``(ok, value)``; a failure at the first precision is recomputed at the next."""
    for d in digits:
        with mp.workdps(d):
            v = compute()
            size = scale() if scale is not None else 0
            tol = (abs(v) + size) * mp.ldexp(1, -(mp.prec - 30))
            if lo(enclosure) - tol <= v <= hi(enclosure) + tol:
                return True, v
    return False, v


def q(v) -> Fraction:
    """An mpf (or an exact number) as an exact Fraction."""
    if isinstance(v, (Fraction, int)):
        return Fraction(v)
    if isinstance(v, float):
        return Fraction(v)
    assert isinstance(v, mp.mpf) and mp.isfinite(v), v  # read exactly, not rounded to mp.prec
    sign, man, e, _ = v._mpf_
    return (-1) ** sign * Fraction(int(man)) * Fraction(2) ** int(e)


# -- the table --------------------------------------------------------------------------------


def test_every_elementwise_op_has_a_curvature():
    ops = set(elementwise_ops())
    assert ops <= set(CURVATURES), f"no interval 2nd derivative for {sorted(ops - set(CURVATURES))}"
    assert set(CURVATURES) <= ops, f"CURVATURES names unknown ops {sorted(set(CURVATURES) - ops)}"


# -- phi'' in mpmath (at the working precision) ------------------------------------------------

KINKED = ("abs", "relu", "leaky_relu")


def _flat(t, p):
    """phi'' of a piecewise-linear op away from its kink (at t = 0 there is none)."""
    return mp.zero


#: op -> phi''(t, params); phi and phi' are test_gradient.REFERENCE
SECOND: dict[str, Callable] = {
    "exp": lambda t, p: mp.exp(t),
    "expm1": lambda t, p: mp.exp(t),
    "log": lambda t, p: -1 / t**2,
    "log1p": lambda t, p: -1 / (1 + t) ** 2,
    "sqrt": lambda t, p: -1 / (4 * t * mp.sqrt(t)),
    "rsqrt": lambda t, p: 3 / (4 * t**2 * mp.sqrt(t)),
    "cbrt": lambda t, p: -2 * _real_cbrt(t) / (9 * t**2),
    "square": lambda t, p: mp.mpf(2),
    "abs": _flat,
    "relu": _flat,
    "leaky_relu": _flat,
    "sin": lambda t, p: -mp.sin(t),
    "cos": lambda t, p: -mp.cos(t),
    "tan": lambda t, p: 2 * mp.tan(t) / mp.cos(t) ** 2,
    "atan": lambda t, p: -2 * t / (1 + t * t) ** 2,
    "asin": lambda t, p: t / ((1 - t) * (1 + t)) ** mp.mpf(1.5),
    "acos": lambda t, p: -t / ((1 - t) * (1 + t)) ** mp.mpf(1.5),
    "asinh": lambda t, p: -t / (1 + t * t) ** mp.mpf(1.5),
    "atanh": lambda t, p: 2 * t / ((1 - t) * (1 + t)) ** 2,
    "sinh": lambda t, p: mp.sinh(t),
    "cosh": lambda t, p: mp.cosh(t),
    "tanh": lambda t, p: -2 * mp.tanh(t) / mp.cosh(t) ** 2,
    # s (1 - s) (1 - 2 s) with 1 - 2 s = -tanh(t/2): no cancellation
    "sigmoid": lambda t, p: -_sigmoid_slope(t) * mp.tanh(t / 2),
    "softplus": lambda t, p: _sigmoid_slope(t),
    "swish": lambda t, p: _sigmoid_slope(t) * (2 - t * mp.tanh(t / 2)),
    "gelu": lambda t, p: _normal_pdf(t) * (2 - t * t),
    "erf": lambda t, p: -4 * t * mp.exp(-t * t) / mp.sqrt(mp.pi),
}


def test_second_derivatives_cover_every_elementwise_op():
    assert set(SECOND) == set(elementwise_ops()) == set(REFERENCE)


@pytest.mark.parametrize("op", sorted(SECOND))
def test_reference_second_derivatives_match_numerical_differentiation(op):
    """The oracle itself: the closed-form phi'' agrees with mp.diff(phi, t, 2)."""
    phi, _ = REFERENCE[op]
    params = {"alpha": 0.1}
    low, high = _RANGES.get(op, (-20.0, 20.0))
    with mp.workdps(40):
        for t in SMOOTH_POINTS:
            if not (low < t < high) or t == 0:
                continue
            t = mp.mpf(t)
            want = mp.diff(lambda u: phi(u, params), t, 2)
            got = SECOND[op](t, params)
            assert abs(got - want) <= mp.mpf(10) ** -25 * max(1, abs(want)), (op, t, got, want)


# -- elementwise ops: phi(X), phi'(X) and phi''(X) over intervals -------------------------------


def _no_curvature(op: str, a: float, b: float) -> bool:
    """Whether phi'' is unbounded or undefined somewhere on [a, b] (only then may
    hessian_interval refuse)."""
    if op == "sqrt":
        return a == 0
    if op == "cbrt" or op in KINKED:
        return a <= 0 <= b
    if op in ("asin", "acos"):
        return a == -1 or b == 1
    return False


def _singular(op: str, t: float) -> bool:
    """Whether phi' or phi'' does not exist at t (only phi itself is compared there)."""
    if op in ("sqrt", "cbrt", *KINKED):
        return t == 0
    if op in ("asin", "acos"):
        return abs(t) == 1
    return False


_POINT_COUNT = st.lists(st.floats(0.0, 1.0), min_size=1, max_size=3)


@st.composite
def intervals(draw, op: str):
    """``(a, b, points)``: an interval inside the domain of `op` (on one side of the kink for
    abs/relu/leaky_relu, touching it now and then) and exact points in it."""
    if op in KINKED:
        start = draw(st.one_of(st.floats(0.0, 20.0), st.sampled_from([0.0, 1e-300, 1e-9, 1.0])))
        a, b = start, min(start + draw(_WIDTHS), 20.0)
        if draw(st.booleans()):
            a, b = -b, -a
    else:
        low, high = _RANGES.get(op, (-20.0, 20.0))
        spots = [s for s in _SPOTS.get(op, (0.0, -1.0, 1.0)) if low <= s <= high]
        a = draw(st.one_of(st.floats(low, high), st.sampled_from(spots)))
        b = min(a + draw(_WIDTHS), high)
    ts = draw(_POINT_COUNT)
    points = [a, b, *(min(max(a + t * (b - a), a), b) for t in ts)]
    if a <= 0 <= b:
        points.append(0.0)
    return a, b, points


_ALPHAS = st.sampled_from([0.1, Fraction(1, 8), 0.01, 2.0])


@pytest.mark.parametrize("op", sorted(elementwise_ops()))
@settings(max_examples=80)
@given(data=st.data())
def test_elementwise_value_slope_and_curvature_enclosures(op, data):
    a, b, points = data.draw(intervals(op), label="a, b, points")
    params = {"alpha": data.draw(_ALPHAS, label="alpha")} if op == "leaky_relu" else None
    phi, dphi = REFERENCE[op]
    d2phi = SECOND[op]
    g = unary(op, params)
    try:
        F, (G,), ((H,),) = hessian_interval(g, [a], [b])
    except DomainError:
        assert _no_curvature(op, a, b), f"{op} refused [{a!r}, {b!r}], phi'' is bounded there"
        return
    for t in points:
        assert a <= t <= b
        where = f"over [{a!r}, {b!r}] (params {params})"
        ok, v = contains(F, lambda t=t: phi(as_mp(t), params))
        assert ok, f"{op}({t}) = {v} not in F = {F} {where}"
        if _singular(op, t):
            continue
        ok, d = contains(G, lambda t=t: dphi(as_mp(t), params))
        assert ok, f"{op}'({t}) = {d} not in G = {G} {where}"
        ok, d2 = contains(H, lambda t=t: d2phi(as_mp(t), params))
        assert ok, f"{op}''({t}) = {d2} not in H = {H} {where}"


@pytest.mark.parametrize("op", KINKED)
@settings(max_examples=30)
@given(
    a=st.one_of(st.floats(-20.0, -1e-300), st.sampled_from([-1e-300, -1e-9, -1.0])),
    b=st.one_of(st.floats(1e-300, 20.0), st.sampled_from([1e-300, 1e-9, 1.0])),
    alpha=_ALPHAS,
)
def test_kink_strictly_inside_raises_domain_error(op, a, b, alpha):
    params = {"alpha": alpha} if op == "leaky_relu" else None
    with pytest.raises(DomainError):
        hessian_interval(unary(op, params), [a], [b])


NO_CURVATURE = [
    ("sqrt", 0.0, 1.0),
    ("sqrt", 0.0, 0.0),
    ("sqrt", 0.0, 1e-300),
    ("rsqrt", 0.0, 2.0),
    ("log", 0.0, 1.0),
    ("log1p", -1.0, 0.0),
    ("cbrt", -1.0, 1.0),
    ("cbrt", 0.0, 2.0),
    ("cbrt", -2.0, 0.0),
    ("cbrt", 0.0, 0.0),
    ("asin", 0.5, 1.0),
    ("asin", -1.0, -1.0),
    ("acos", -1.0, 0.0),
    ("acos", 1.0, 1.0),
    ("abs", -1.0, 1.0),
    ("abs", 0.0, 0.0),
    ("relu", -0.5, 2.0),
    ("relu", -1e-300, 1e-300),
    ("leaky_relu", -3.0, 1e-9),
]


@pytest.mark.parametrize("op, a, b", NO_CURVATURE)
def test_missing_second_derivative_raises_domain_error(op, a, b):
    params = {"alpha": 0.1} if op == "leaky_relu" else None
    with pytest.raises(DomainError):
        hessian_interval(unary(op, params), [a], [b])


COMPOSITE_REFUSALS = [
    # text, variables, box_lo, box_hi: a second derivative that is missing or unbounded
    ("max(x, y)", "xy", [0, 0.5], [1, 2]),
    ("min(x, 2*y) + x", "xy", [0, 0], [1, 1]),
    ("abs(x - y) + y**2", "xy", [0, 0], [1, 1]),
    ("relu(x*y - 1)", "xy", [0, 0], [2, 2]),
    ("x**0.75 + y", "xy", [0, 0], [1, 1]),
    ("sqrt(x) * exp(y)", "xy", [0, -1], [1, 1]),
    ("cbrt(x - y)", "xy", [0, 0], [1, 1]),
    ("x**y", "xy", [0, 1], [1, 2]),
]


@pytest.mark.parametrize("text, variables, box_lo, box_hi", COMPOSITE_REFUSALS)
def test_composite_without_second_derivative_raises_domain_error(text, variables, box_lo, box_hi):
    with pytest.raises(DomainError):
        hessian_interval(graph_from_string(text, list(variables)), box_lo, box_hi)


# -- tightness ----------------------------------------------------------------------------------


def test_exp_curvature_is_tight_on_a_narrow_interval():
    F, (G,), ((H,),) = hessian_interval(unary("exp", None), [0], [Fraction(1, 10**6)])
    assert lo(H) <= 1 <= hi(H)
    assert hi(H) - lo(H) < 1e-5
    assert hi(G) - lo(G) < 1e-5 and hi(F) - lo(F) < 1e-5


@pytest.mark.parametrize("op", sorted(elementwise_ops()))
def test_point_interval_gives_a_narrow_curvature(op):
    """At a = b away from kinks the enclosures have about the working precision."""
    t = 0.625 if op not in ("asin", "acos", "tan") else 0.375
    params = {"alpha": 0.1} if op == "leaky_relu" else None
    F, (G,), ((H,),) = hessian_interval(unary(op, params), [t], [t])
    for enclosure in (F, G, H):
        assert hi(enclosure) - lo(enclosure) <= 1e-20 * max(1, abs(lo(enclosure))), (op, F, G, H)
    ok, d2 = contains(H, lambda: SECOND[op](mp.mpf(t), params))
    assert ok, (op, d2, H)


# -- composite functions: every second partial derivative over a box ----------------------------


def _max_apart(x, y):
    return max(x, 2 + y)


# (text, variables, f in mpmath, where boxes lie: "any" in [-3, 3]^n, "positive" in
# [0.25, 3.5]^n, "apart" boxes on which the arguments of max do not cross)
COMPOSITES = [
    (
        "sin(x)*y + sqrt(x**2+1)/(1+y**2) + sigmoid(x*y) + atan(y)",
        "xy",
        lambda x, y: mp.sin(x) * y + mp.sqrt(x**2 + 1) / (1 + y**2) + _sigmoid(x * y) + mp.atan(y),
        "any",
    ),
    (
        "x**3 - 2*x*y + log1p(y**2) + exp(-x*y)",
        "xy",
        lambda x, y: x**3 - 2 * x * y + mp.log1p(y**2) + mp.exp(-x * y),
        "any",
    ),
    (
        "softplus(x - y) * gelu(y) + erf(x*y) + tanh(x)*cosh(y)",
        "xy",
        lambda x, y: _softplus(x - y) * _gelu(y) + mp.erf(x * y) + mp.tanh(x) * mp.cosh(y),
        "any",
    ),
    (
        "x**0.75 * y / (1 + z**2) + log(x + y) * sqrt(z) - z / (x + y*z) + cbrt(x*y*z)",
        "xyz",
        lambda x, y, z: (
            x ** (mp.mpf(3) / 4) * y / (1 + z**2)
            + mp.log(x + y) * mp.sqrt(z)
            - z / (x + y * z)
            + mp.cbrt(x * y * z)
        ),
        "positive",
    ),
    ("max(x, 2 + y)", "xy", _max_apart, "apart"),
]

_GRAPHS: dict[str, ExprGraph] = {}


def _graph(text: str, variables: str) -> ExprGraph:
    if text not in _GRAPHS:
        _GRAPHS[text] = graph_from_string(text, list(variables))
    return _GRAPHS[text]


_SIDE = st.one_of(
    st.sampled_from([0.0, 1e-300, 1e-9, 1e-3, 0.1]),
    st.floats(0.0, 0.75),
)


def _points(draw, lo_: list, hi_: list) -> list:
    points = [lo_, hi_]
    for _ in range(draw(st.integers(1, 2))):
        ts = draw(st.lists(st.floats(0.0, 1.0), min_size=len(lo_), max_size=len(lo_)))
        points.append(
            [min(max(a + t * (b - a), a), b) for a, b, t in zip(lo_, hi_, ts, strict=True)]
        )
    return points


@st.composite
def boxes(draw, n: int, where: str):
    """``(lo, hi, points)``: a small box and exact points of it (two corners too)."""
    low, high, spots = (
        (0.25, 3.0, [0.25, 1.0]) if where == "positive" else (-3.0, 3.0, [-1.0, 0.0, 0.5])
    )
    lo_, hi_ = [], []
    for _ in range(n):
        a = draw(st.one_of(st.floats(low, high), st.sampled_from(spots)))
        lo_.append(a)
        hi_.append(a + draw(_SIDE))
    if where == "apart":  # move y so that 2 + y lies above or below x, a gap away
        gap = draw(st.sampled_from([1e-9, 1e-3, 0.5]))
        side = hi_[1] - lo_[1]
        if draw(st.booleans()):
            lo_[1] = hi_[0] - 2 + gap
        else:
            lo_[1] = lo_[0] - 2 - gap - side
        hi_[1] = lo_[1] + side
        x_lo, x_hi, y_lo, y_hi = map(Fraction, (lo_[0], hi_[0], lo_[1], hi_[1]))
        assume(x_hi < 2 + y_lo or 2 + y_hi < x_lo)
    return lo_, hi_, _points(draw, lo_, hi_)


def _partial(f: Callable, x: list, orders: tuple[int, ...]) -> Callable[[], object]:
    """The partial derivative of the given orders at x, by mp.diff at the working precision."""
    return lambda: mp.diff(f, tuple(map(as_mp, x)), orders)


@pytest.mark.parametrize("text, variables, f, where", COMPOSITES, ids=[c[0] for c in COMPOSITES])
@settings(max_examples=50)
@given(data=st.data())
def test_composite_value_gradient_and_hessian_enclosures(text, variables, f, where, data):
    n = len(variables)
    box_lo, box_hi, points = data.draw(boxes(n, where), label="box, points")
    F, G, H = hessian_interval(_graph(text, variables), box_lo, box_hi)
    assert len(G) == n and len(H) == n and all(len(row) == n for row in H)
    for x in points:
        assert all(a <= v <= b for a, v, b in zip(box_lo, x, box_hi, strict=True))
        size = lambda x=x: abs(f(*map(as_mp, x))) + 1  # noqa: E731
        ok, v = contains(F, lambda x=x: f(*map(as_mp, x)))
        assert ok, f"f({x}) = {v} not in F = {F} over [{box_lo}, {box_hi}]"
        for j in range(n):
            orders = tuple(int(k == j) for k in range(n))
            ok, d = contains(G[j], _partial(f, x, orders), size, DIFF_DIGITS)
            assert ok, f"df/d{variables[j]} at {x} = {d} not in G = {G[j]} over box"
        for i in range(n):
            for j in range(i, n):
                orders = tuple(int(k == i) + int(k == j) for k in range(n))
                want = _partial(f, x, orders)
                for entry in (H[i][j], H[j][i]):
                    ok, d = contains(entry, want, size, DIFF_DIGITS)
                    name = f"d2f/d{variables[i]}d{variables[j]}"
                    assert ok, f"{name} at {x} = {d} not in H = {entry} over [{box_lo}, {box_hi}]"


# -- second_order_bounds: f(c) + g.d + 1/2 d'Hd over the box of d -------------------------------

_END = st.one_of(st.sampled_from([0.0, 1.0, -2.5]), st.floats(-4.0, 4.0))
_NARROW = st.one_of(st.sampled_from([0.0, 0.0, 1e-300, 1e-12]), st.floats(0.0, 0.5))


@st.composite
def narrow_intervals(draw):
    """A point or narrow interval with binary-float ends (exact at any iv precision)."""
    a = draw(_END)
    return iv.mpf([a, a + draw(_NARROW)])


def _span_end(kind: str, sign: int):
    if kind == "float":
        magnitude = st.one_of(st.sampled_from([0.0, 1e-9, 1.0]), st.floats(0.0, 3.0))
        return magnitude.map(lambda m: sign * m)
    return st.builds(
        lambda k, d: sign * Fraction(k, d),
        st.integers(0, 30),
        st.sampled_from([1, 3, 7, 10, 64]),
    )


def _inside(v, t: Fraction) -> Fraction:
    """The point of the interval v at the fraction t of its width (exactly)."""
    a, b = q(lo(v)), q(hi(v))
    return a + t * (b - a)


_WHERE = st.one_of(st.sampled_from([Fraction(0), Fraction(1)]), st.fractions(0, 1))


@pytest.mark.parametrize("kind", ["float", "fraction"])
@pytest.mark.parametrize("n", [1, 2])
@settings(max_examples=150)
@given(data=st.data())
def test_second_order_bounds_contain_the_quadratic(n, kind, data):
    f_c = data.draw(narrow_intervals(), label="f_c")
    g_c = [data.draw(narrow_intervals(), label=f"g_{j}") for j in range(n)]
    hess = [[None] * n for _ in range(n)]
    for i in range(n):
        for j in range(i, n):
            hess[i][j] = hess[j][i] = data.draw(narrow_intervals(), label=f"H_{i}{j}")
    spans = [
        (data.draw(_span_end(kind, -1), label="lo"), data.draw(_span_end(kind, 1), label="hi"))
        for _ in range(n)
    ]
    prec = data.draw(st.sampled_from([53, 100]), label="prec")
    with iv_precision(prec):
        lower, upper = second_order_bounds(f_c, g_c, hess, spans)
    lower, upper = q(lower), q(upper)
    for _ in range(4):
        f = _inside(f_c, data.draw(_WHERE))
        g = [_inside(v, data.draw(_WHERE)) for v in g_c]
        h = [[Fraction(0)] * n for _ in range(n)]
        for i in range(n):
            for j in range(i, n):
                h[i][j] = h[j][i] = _inside(hess[i][j], data.draw(_WHERE))
        ds = [[Fraction(a) + data.draw(_WHERE) * (Fraction(b) - Fraction(a)) for a, b in spans]]
        ds += [list(map(Fraction, corner)) for corner in product(*spans)]
        # the vertex of each coordinate's parabola, clamped to its span
        ds.append(
            [
                min(max(-g[j] / h[j][j], Fraction(a)), Fraction(b)) if h[j][j] else Fraction(0)
                for j, (a, b) in enumerate(spans)
            ]
        )
        for d in ds:
            value = f + sum(g[j] * d[j] for j in range(n))
            value += sum(h[i][j] * d[i] * d[j] for i in range(n) for j in range(n)) / 2
            assert lower <= value <= upper, (
                f"q(d={[float(x) for x in d]}) = {float(value)} not in "
                f"[{float(lower)}, {float(upper)}] (f={f}, g={g}, H={h})"
            )


def test_second_order_bounds_convex_vertex_inside_the_span():
    # 1 - d + d**2 on [-1, 3]: its minimum 3/4 at the vertex d = 1/2, its maximum 7 at d = 3
    lower, upper = second_order_bounds(iv.mpf(1), [iv.mpf(-1)], [[iv.mpf(2)]], [(-1.0, 3.0)])
    assert lower <= 0.75 and 0.75 - lower <= 1e-15
    assert upper >= 7 and upper - 7 <= 1e-14


def test_second_order_bounds_convex_vertex_outside_the_span():
    # -d + d**2 on [-1, 1/4]: decreasing there, its minimum -3/16 at d = 1/4 (vertex at 1/2)
    lower, upper = second_order_bounds(iv.mpf(0), [iv.mpf(-1)], [[iv.mpf(2)]], [(-1.0, 0.25)])
    assert lower <= -0.1875 and -0.1875 - lower <= 1e-15
    assert upper >= 2 and upper - 2 <= 1e-14


def test_second_order_bounds_concave():
    # d - d**2 on [-1, 2]: its maximum 1/4 at the vertex d = 1/2, its minimum -2 at both ends
    lower, upper = second_order_bounds(iv.mpf(0), [iv.mpf(1)], [[iv.mpf(-2)]], [(-1.0, 2.0)])
    assert upper >= 0.25 and upper - 0.25 <= 1e-15
    assert lower <= -2 and -2 - lower <= 1e-14


def test_second_order_bounds_with_fraction_spans():
    """The checker passes its spans as Fractions (x - c of Fraction boxes)."""
    with iv_precision(100):
        lower, upper = second_order_bounds(
            iv.mpf(1), [iv.mpf(-1)], [[iv.mpf(2)]], [(Fraction(-1), Fraction(3))]
        )
    assert lower <= 0.75 and 0.75 - lower <= 1e-25
    assert upper >= 7 and upper - 7 <= 1e-25


# -- second_order_integral: the integral over a box from its centre ------------------------------

#: a quadratic polynomial, {exponents: coefficient}, and its (constant) Hessian
QUADRATICS = [
    (
        "1 + 2*x - 3*y + x**2 - x*y + y**2/2",
        "xy",
        {(0, 0): 1, (1, 0): 2, (0, 1): -3, (2, 0): 1, (1, 1): -1, (0, 2): Fraction(1, 2)},
    ),
    (
        "x*z - 3*y*z + 2*y**2 - z**2/4 + x - 5",
        "xyz",
        {
            (1, 0, 1): 1,
            (0, 1, 1): -3,
            (0, 2, 0): 2,
            (0, 0, 2): Fraction(-1, 4),
            (1, 0, 0): 1,
            (0, 0, 0): -5,
        },
    ),
]


def _hessian_of(poly: dict, n: int) -> list[list[Fraction]]:
    h = [[Fraction(0)] * n for _ in range(n)]
    for powers, c in poly.items():
        for i in range(n):
            for j in range(n):
                if i == j and powers[i] == 2:
                    h[i][j] += 2 * Fraction(c)
                elif i != j and powers[i] == powers[j] == 1:
                    h[i][j] += Fraction(c)
    return h


def _integral_of(poly: dict, box_lo: list, box_hi: list) -> Fraction:
    total = Fraction(0)
    for powers, c in poly.items():
        term = Fraction(c)
        for k, a, b in zip(powers, box_lo, box_hi, strict=True):
            a, b = Fraction(a), Fraction(b)
            term *= (b ** (k + 1) - a ** (k + 1)) / (k + 1)
        total += term
    return total


def _draw_box(data, n: int, side):
    """A box in [-3, 3]**n plus sides drawn from `side`: (lo, hi, widths, centre, volume),
    the last three exact."""
    box_lo = [data.draw(st.floats(-3.0, 3.0), label="lo") for _ in range(n)]
    box_hi = [a + data.draw(side, label="width") for a in box_lo]
    widths = [Fraction(b) - Fraction(a) for a, b in zip(box_lo, box_hi, strict=True)]
    centre = [(Fraction(a) + Fraction(b)) / 2 for a, b in zip(box_lo, box_hi, strict=True)]
    return box_lo, box_hi, widths, centre, math.prod(widths, start=Fraction(1))


def _value_of(poly: dict, x: list) -> Fraction:
    total = Fraction(0)
    for powers, c in poly.items():
        term = Fraction(c)
        for k, v in zip(powers, x, strict=True):
            term *= Fraction(v) ** k
        total += term
    return total


@pytest.mark.parametrize("text, variables, poly", QUADRATICS, ids=[p[0] for p in QUADRATICS])
@settings(max_examples=25)
@given(data=st.data())
def test_second_order_integral_is_exact_for_quadratics(text, variables, poly, data):
    n = len(variables)
    box_lo, box_hi, widths, centre, volume = _draw_box(data, n, st.floats(0.0, 2.0))
    want = _integral_of(poly, box_lo, box_hi)
    # the module's own Hessian of a quadratic is the constant one, as point intervals
    _, _, hess = hessian_interval(_graph(text, variables), box_lo, box_hi)
    expected = _hessian_of(poly, n)
    for i in range(n):
        for j in range(n):
            assert q(lo(hess[i][j])) == q(hi(hess[i][j])) == expected[i][j], (i, j, hess)
    with iv_precision(100):
        f_c = exact(_value_of(poly, centre))
        points = [[exact(v) for v in row] for row in expected]
        got = second_order_integral(f_c, points, widths, volume)
    assert q(lo(got)) <= want <= q(hi(got)), (got, float(want))
    assert hi(got) - lo(got) <= 1e-25 * (1 + abs(want)), got


_EXP_SIDE = st.one_of(st.sampled_from([1e-6, 1e-3, 0.1, 0.5]), st.floats(1e-6, 0.5))
EXPONENTIALS = [
    ("exp(x)", "x", lambda x: mp.exp(x)),
    ("exp(x - y/2)", "xy", lambda x, y: mp.exp(x - y / 2)),
    ("exp(x*y)", "xy", lambda x, y: mp.exp(x * y)),
]


@pytest.mark.parametrize("text, variables, f", EXPONENTIALS, ids=[e[0] for e in EXPONENTIALS])
@settings(max_examples=15)
@given(data=st.data())
def test_second_order_integral_of_exp(text, variables, f, data):
    n = len(variables)
    box_lo, box_hi, widths, centre, volume = _draw_box(data, n, _EXP_SIDE)
    assume(all(b > a for a, b in zip(box_lo, box_hi, strict=True)))
    graph = _graph(text, variables)
    F_c, _, _ = hessian_interval(graph, centre, centre)
    _, _, hess = hessian_interval(graph, box_lo, box_hi)
    got = second_order_integral(F_c, hess, widths, volume)
    with mp.workdps(30):
        want = mp.quad(f, *([a, b] for a, b in zip(box_lo, box_hi, strict=True)))
        tol = abs(want) * mp.mpf(10) ** -25
        assert lo(got) - tol <= want <= hi(got) + tol, (got, want, box_lo, box_hi)
    ends = (box_lo, box_hi) if n > 1 else (box_lo[0], box_hi[0])  # a scalar input for n = 1
    natural = evaluate_interval(graph, *ends)
    assert q(hi(got)) - q(lo(got)) < volume * (q(hi(natural)) - q(lo(natural))), (got, natural)
