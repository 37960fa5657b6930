"""Hypothesis strategies shared by the test rooms, and the zero-tolerance soundness check.

* :func:`regions`: a box ``[lo, hi]`` and an expansion point ``x0`` in it, for scalar or
  vector inputs, each coordinate inside a :class:`Domain`.  Widths are log-uniform from
  ``1e-8`` to ``10`` (plus exact zero); ``x0`` sits at an end, the middle, or anywhere inside.
  A domain lists *spots* (its edges, large arguments, points near poles) that regions are
  drawn towards, because that is where enclosures break.
* :func:`expressions`: a random expression tree (:class:`Expr`) of supported ops, defined on
  the whole real line (``log`` and ``sqrt`` appear as ``log(1 + u**2)``, ``sqrt(2 + sin(u))``,
  ...), rendered from the same tree as a string for the sympy front end (:meth:`Expr.text`),
  as a Python function on ``jax.numpy`` arrays (:meth:`Expr.jax`), and as an mpmath function
  (:meth:`Expr.mp`), the oracle.  Every constant is dyadic, hence exact in both front ends.
* :func:`soundness_violations`: the points where ``f(x)``, evaluated in mpmath at >= 170 bits,
  lies outside the enclosure computed exactly by :func:`autobound.verify.enclosure_at`.
"""

from __future__ import annotations

import functools
import math
import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import event
from hypothesis import strategies as st
from mpmath import mp

from autobound.verify import enclosure_at, sample_points

DEGREES = st.integers(0, 4)
X_SHAPES = st.sampled_from([(), (2,), (3,)])

# -- regions ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Domain:
    """Where one coordinate of a region may lie.

    **Fields:**

    - `pieces`: closed float intervals; a region lies inside one of them (several pieces for
      functions with poles, e.g. ``x**-2`` or ``tan``).
    - `spots`: points that regions are drawn towards (clipped into the chosen piece).
    - `typical`: region centres are otherwise uniform in ``[-typical, typical]`` (clipped).
    - `max_width`: widths above it are cut to it.
    """

    pieces: tuple[tuple[float, float], ...] = ((-1e300, 1e300),)
    spots: tuple[float, ...] = (0.0,)
    typical: float = 10.0
    max_width: float = 10.0


EVERYWHERE = Domain()


class Region(tuple):
    """``(x0, lo, hi)`` as float64 numpy arrays of one shape."""

    __slots__ = ()

    def __new__(cls, x0: np.ndarray, lo: np.ndarray, hi: np.ndarray):
        return super().__new__(cls, (x0, lo, hi))

    x0 = property(lambda self: self[0])
    lo = property(lambda self: self[1])
    hi = property(lambda self: self[2])


_WIDTHS = st.one_of(
    st.just(0.0),
    st.floats(-8.0, 1.0).map(lambda e: 10.0**e),
    st.sampled_from([1e-8, 10.0]),
)
_PLACES = st.one_of(st.sampled_from([0.0, 1.0, 0.5]), st.floats(0.0, 1.0))


@st.composite
def _coordinate(draw, domain: Domain, tiny: float) -> tuple[float, float, float]:
    a, b = draw(st.sampled_from(domain.pieces))
    spots = [min(max(s, a), b) for s in domain.spots]
    lo_c, hi_c = max(a, -domain.typical), min(b, domain.typical)
    centres = [st.floats(lo_c, hi_c)] if lo_c <= hi_c else []
    if spots:
        centres.append(st.sampled_from(spots))
    centre = draw(st.one_of(*centres)) if centres else a
    width = min(draw(_WIDTHS), domain.max_width)
    t = draw(_PLACES)
    lo = min(max(centre - t * width, a), b)
    hi = min(max(lo + width, lo), b)
    s = draw(_PLACES)
    x0 = min(max(lo + s * (hi - lo), lo), hi)
    if 0 < abs(x0) < tiny:
        # The API rejects a subnormal x0 (XLA on CPU flushes it to zero): use 0, which lies
        # in the piece whenever a subnormal does (pieces do not end at subnormal numbers).
        x0, lo, hi = 0.0, min(lo, 0.0), max(hi, 0.0)
    return x0, lo, hi


@st.composite
def regions(
    draw,
    domains: Domain | Sequence[Domain] = EVERYWHERE,
    shape: tuple = (),
    dtype: str = "float64",
) -> Region:
    """A :class:`Region` of the given shape; `domains` is one :class:`Domain` for every
    coordinate or a sequence of one per coordinate (then ``shape`` is ``(len(domains),)``
    unless there is exactly one).  ``x0`` is never subnormal in `dtype`."""
    if isinstance(domains, Domain):
        per = [domains] * max(1, math.prod(shape))
    else:
        per = list(domains)
        shape = () if len(per) == 1 else (len(per),)
    tiny = float(np.finfo(dtype).tiny)
    coords = [draw(_coordinate(d, tiny)) for d in per]
    x0, lo, hi = (np.array([c[i] for c in coords], np.float64).reshape(shape) for i in range(3))
    return Region(x0, lo, hi)


# -- random expressions -------------------------------------------------------------------------


class Overflow(ArithmeticError):
    """An intermediate too large for mpmath to exponentiate cheaply (the point is skipped)."""


def _exp_guard(u):
    if u > 1e8:
        raise Overflow(f"exp of {u}")
    return u


def _sigmoid(u):
    return 1 / (1 + mp.exp(_exp_guard(-u)))


def _softplus(u):
    return u + mp.log1p(mp.exp(-u)) if u > 0 else mp.log1p(mp.exp(_exp_guard(u)))


@dataclass(frozen=True)
class Template:
    """One node kind: how it reads as text, as jax.numpy code, and in mpmath."""

    arity: int
    text: Callable[..., str]
    jax: Callable[..., Any]
    mp: Callable[..., Any]


def _t1(text: str, jfn: Callable, mfn: Callable) -> Template:
    return Template(1, lambda a: text.format(a=a), jfn, mfn)


def _t2(text: str, jfn: Callable, mfn: Callable) -> Template:
    return Template(2, lambda a, b: text.format(a=a, b=b), jfn, mfn)


# Every template is defined on the whole real line, so any tree is; arguments of log, sqrt,
# asin, ... are kept well inside their domains (e.g. 1 + u**2 >= 1, |tanh(u)/2| < 1/2).
TEMPLATES: dict[str, Template] = {
    "add": _t2("({a}) + ({b})", lambda a, b: a + b, lambda a, b: a + b),
    "sub": _t2("({a}) - ({b})", lambda a, b: a - b, lambda a, b: a - b),
    "mul": _t2("({a})*({b})", lambda a, b: a * b, lambda a, b: a * b),
    "div": _t2("({a})/(1 + ({b})**2)", lambda a, b: a / (1 + b**2), lambda a, b: a / (1 + b**2)),
    "max": _t2("max({a}, {b})", jnp.maximum, max),
    "min": _t2("min({a}, {b})", jnp.minimum, min),
    "scale": _t1("-1.5*({a})", lambda a: -1.5 * a, lambda a: -1.5 * a),
    "shift": _t1("({a}) + 0.25", lambda a: a + 0.25, lambda a: a + mp.mpf(0.25)),
    "exp": _t1("exp({a})", jnp.exp, lambda a: mp.exp(_exp_guard(a))),
    "expm1": _t1("expm1({a})", jnp.expm1, lambda a: mp.expm1(_exp_guard(a))),
    "sinh": _t1("sinh({a})", jnp.sinh, lambda a: mp.sinh(_exp_guard(abs(a)) * mp.sign(a))),
    "cosh": _t1("cosh({a})", jnp.cosh, lambda a: mp.cosh(_exp_guard(abs(a)))),
    "sin": _t1("sin({a})", jnp.sin, mp.sin),
    "cos": _t1("cos({a})", jnp.cos, mp.cos),
    "atan": _t1("atan({a})", jnp.arctan, mp.atan),
    "tanh": _t1("tanh({a})", jnp.tanh, mp.tanh),
    "sigmoid": _t1("sigmoid({a})", jax.nn.sigmoid, _sigmoid),
    "softplus": _t1("softplus({a})", jax.nn.softplus, _softplus),
    "swish": _t1("swish({a})", jax.nn.swish, lambda a: a * _sigmoid(a)),
    "gelu": _t1(
        "gelu({a})",
        lambda a: jax.nn.gelu(a, approximate=False),
        lambda a: a * mp.erfc(-a / mp.sqrt(2)) / 2,
    ),
    "erf": _t1("erf({a})", jax.lax.erf, mp.erf),
    "relu": _t1("relu({a})", jax.nn.relu, lambda a: max(a, mp.zero)),
    "leaky_relu": _t1(
        "leaky_relu({a}, 0.125)",
        lambda a: jax.nn.leaky_relu(a, 0.125),
        lambda a: a if a >= 0 else a / 8,
    ),
    "abs": _t1("abs({a})", jnp.abs, abs),
    "square": _t1("square({a})", jnp.square, lambda a: a * a),
    "cube": _t1("({a})**3", lambda a: a**3, lambda a: a**3),
    "cbrt": _t1("cbrt({a})", jnp.cbrt, lambda a: mp.cbrt(a) if a >= 0 else -mp.cbrt(-a)),
    "log": _t1("log(1 + ({a})**2)", lambda a: jnp.log(1 + a**2), lambda a: mp.log(1 + a * a)),
    "log1p": _t1("log1p(({a})**2)", lambda a: jnp.log1p(a**2), lambda a: mp.log1p(a * a)),
    "sqrt": _t1("sqrt(2 + sin({a}))", lambda a: jnp.sqrt(2 + jnp.sin(a)),
                lambda a: mp.sqrt(2 + mp.sin(a))),
    "rsqrt": _t1("rsqrt(1 + ({a})**2)", lambda a: jax.lax.rsqrt(1 + a**2),
                 lambda a: 1 / mp.sqrt(1 + a * a)),
    "asin": _t1("asin(tanh({a})/2)", lambda a: jnp.arcsin(jnp.tanh(a) / 2),
                lambda a: mp.asin(mp.tanh(a) / 2)),
    "acos": _t1("acos(sigmoid({a}) - 0.5)", lambda a: jnp.arccos(jax.nn.sigmoid(a) - 0.5),
                lambda a: mp.acos(_sigmoid(a) - mp.mpf(0.5))),
    "asinh": _t1("asinh({a})", jnp.arcsinh, mp.asinh),
    "atanh": _t1("atanh(tanh({a})/2)", lambda a: jnp.arctanh(jnp.tanh(a) / 2),
                 lambda a: mp.atanh(mp.tanh(a) / 2)),
    "tan": _t1("tan(atan({a})/2)", lambda a: jnp.tan(jnp.arctan(a) / 2),
               lambda a: mp.tan(mp.atan(a) / 2)),
    "inv_square": _t1("(1 + ({a})**2)**(-2)", lambda a: (1 + a**2) ** -2,
                      lambda a: (1 + a * a) ** -2),
    "real_pow": _t1("(1 + ({a})**2)**0.75", lambda a: (1 + a**2) ** 0.75,
                    lambda a: mp.power(1 + a * a, mp.mpf(0.75))),
}  # fmt: skip

_CONSTANTS = (Fraction(1, 2), Fraction(-3, 2), Fraction(2), Fraction(3), Fraction(-1, 4))


@dataclass(frozen=True)
class Expr:
    """A node of a random expression: ``kind`` is ``"var"`` (``value`` = the variable's index),
    ``"const"`` (``value`` = a dyadic Fraction), or a key of :data:`TEMPLATES`."""

    kind: str
    args: tuple[Expr, ...] = ()
    value: Any = None

    def __str__(self) -> str:
        return self.text(tuple(f"x{i}" for i in range(8)))

    @property
    def depth(self) -> int:
        return 1 + max((a.depth for a in self.args), default=0)

    def variables(self) -> set[int]:
        if self.kind == "var":
            return {self.value}
        return set().union(*(a.variables() for a in self.args)) if self.args else set()

    def text(self, names: Sequence[str]) -> str:
        """The expression as a string for the sympy front end."""
        if self.kind == "var":
            return names[self.value]
        if self.kind == "const":
            return f"({float(self.value)!r})"
        return TEMPLATES[self.kind].text(*(a.text(names) for a in self.args))

    def jax(self, xs: Sequence[Any]) -> Any:
        """The expression on jax arrays, ``xs[i]`` standing for variable i."""
        if self.kind == "var":
            return xs[self.value]
        if self.kind == "const":
            return float(self.value)
        return TEMPLATES[self.kind].jax(*(a.jax(xs) for a in self.args))

    def mp(self, xs: Sequence[Any]) -> Any:
        """The expression in mpmath at the working precision (raises :class:`Overflow`)."""
        if self.kind == "var":
            return xs[self.value]
        if self.kind == "const":
            return mp.mpf(self.value.numerator) / self.value.denominator
        return TEMPLATES[self.kind].mp(*(a.mp(xs) for a in self.args))


# -- what a tree costs to compile ---------------------------------------------------------------
#
# XLA compile time of a lowered enclosure grows fast with the tree: a template applied to a
# variable compiles in the time below, but every level of nesting under a template multiplies
# its share by about NESTING (degree 2, outward: sin(x) 2.5 s, sin(sin(x)) 5.4 s,
# sin(sin(sin(x))) 15.6 s; tan(atan(x)/2) 11 s, tan(atan(max(1/2, x))/2) about 40 s, and over
# 6 minutes on a loaded CI machine, where it hit the timeout).  The figures are CPU seconds of
# one compile of the template on a variable (binary ones on two variables), degree 2,
# outward rounding, measured on the 2-core CI machine; they only need to be right in order
# of magnitude.  :func:`expressions` with ``max_cost`` keeps every draw under a budget of such
# seconds, so that any draw of a compiled property compiles in seconds.

COMPILE_COST: dict[str, float] = {
    "add": 0.2, "sub": 0.2, "mul": 0.3, "div": 6.0, "max": 1.0, "min": 1.2, "scale": 0.3,
    "shift": 0.2, "exp": 1.0, "expm1": 1.1, "sinh": 1.6, "cosh": 1.4, "sin": 2.5, "cos": 2.0,
    "atan": 1.6, "tanh": 2.2, "sigmoid": 1.5, "softplus": 1.7, "swish": 1.5, "gelu": 2.6,
    "erf": 1.7, "relu": 0.7, "leaky_relu": 0.6, "abs": 0.6, "square": 0.3, "cube": 1.2,
    "cbrt": 1.3, "log": 2.7, "log1p": 2.6, "sqrt": 3.7, "rsqrt": 3.6, "asin": 6.5, "acos": 6.5,
    "asinh": 6.5, "atanh": 4.0,
    "tan": 11.0, "inv_square": 3.0, "real_pow": 3.0,
}  # fmt: skip
NESTING = 2.5
# The budget of the compiled properties: one template of any kind on the variables, or a few
# light ones nested (exp(exp(x)) 3.5, sin(sin(x)) 8.75), never a heavy one over a nested tree.
COMPILE_BUDGET = 12.0


def compile_cost(e: Expr) -> float:
    """The estimated compile time of `e` in CPU seconds (degree 2, outward): each template's
    :data:`COMPILE_COST` times :data:`NESTING` per level of templates below it."""

    def walk(node: Expr) -> tuple[float, int]:
        if not node.args:
            return 0.0, 0
        parts = [walk(a) for a in node.args]
        height = 1 + max(h for _, h in parts)
        return sum(c for c, _ in parts) + COMPILE_COST[node.kind] * NESTING ** (height - 1), height

    return walk(e)[0]


def _height(e: Expr) -> int:
    return 1 + max((_height(a) for a in e.args), default=-1) if e.args else 0


def _cut(e: Expr) -> Expr:
    """`e` with its deepest template (one whose arguments are all leaves) replaced by one of
    its variables (variable 0 if it has none): lowers the nesting where it is deepest."""
    if all(not a.args for a in e.args):
        return Expr("var", value=min(e.variables(), default=0))
    deepest = max(range(len(e.args)), key=lambda i: _height(e.args[i]))
    args = list(e.args)
    args[deepest] = _cut(args[deepest])
    return Expr(e.kind, tuple(args))


@st.composite
def expressions(
    draw,
    n_vars: int = 1,
    max_depth: int = 4,
    kinds: Sequence[str] | None = None,
    constant_subtrees: bool = True,
    max_cost: float | None = None,
):
    """A random :class:`Expr` of depth <= `max_depth` in variables ``0..n_vars-1``, using at
    least one of them.  With ``constant_subtrees=False`` every op node depends on a variable
    (constants appear only as leaves beside one).  With `max_cost`, :func:`compile_cost` of
    the tree is at most `max_cost`: templates dearer than that alone are not drawn, and the
    deepest templates of a dearer tree are cut back to variables until it fits."""
    names = sorted(kinds or TEMPLATES)
    if max_cost is not None:
        names = [k for k in names if COMPILE_COST[k] <= max_cost]

    def var() -> Expr:
        return Expr("var", value=draw(st.integers(0, n_vars - 1)))

    def node(depth: int) -> Expr:
        if depth <= 1 or draw(st.integers(0, 3)) == 0:
            if draw(st.integers(0, 3)) == 0:
                return Expr("const", value=draw(st.sampled_from(_CONSTANTS)))
            return var()
        kind = draw(st.sampled_from(names))
        args = [node(depth - 1) for _ in range(TEMPLATES[kind].arity)]
        if not constant_subtrees and not any(a.variables() for a in args):
            args[-1] = var()
        return Expr(kind, tuple(args))

    e = node(max_depth)
    if not e.variables():
        e = Expr("add", (e, var()))
    while max_cost is not None and compile_cost(e) > max_cost:
        e = _cut(e)
    return e


def variable_names(n_vars: int) -> tuple[str, ...]:
    return ("x",) if n_vars == 1 else tuple(f"x{i}" for i in range(n_vars))


def as_string(e: Expr, n_vars: int) -> tuple[str, list[str]]:
    """``(text, variables)`` for ``ab.taylor_bounds(text, variables=variables)``."""
    names = variable_names(n_vars)
    return e.text(names), list(names)


def as_callable(e: Expr, x_shape: tuple, elementwise: bool = False) -> Callable:
    """A function of one jnp array of shape `x_shape`: the scalar expression in its entries,
    or (`elementwise`, single-variable trees) the expression applied to every entry."""
    if elementwise or x_shape == ():
        return lambda x: e.jax([x])
    n = x_shape[0]
    return lambda x: e.jax([x[i] for i in range(n)])


def mp_function(e: Expr, x_shape: tuple, elementwise: bool = False) -> Callable:
    """``x (float64 array) -> f(x)`` in mpmath: an mpf, or a list of mpf for `elementwise`."""
    if elementwise:
        return lambda x: [e.mp([mp.mpf(float(v))]) for v in np.ravel(x)]
    if x_shape == ():
        return lambda x: e.mp([mp.mpf(float(x))])
    return lambda x: e.mp([mp.mpf(float(v)) for v in np.ravel(x)])


# -- the soundness check ------------------------------------------------------------------------


def as_numpy(coefficients: Sequence[Any]) -> list[Any]:
    """Engine coefficients (arrays, :class:`~autobound.interval.Interval`) in the plain form
    :mod:`autobound.verify` reads: float64 arrays and ``(lo, hi)`` pairs of them."""
    out = []
    for c in coefficients:
        if isinstance(c, tuple):
            out.append((np.asarray(c[0], np.float64), np.asarray(c[1], np.float64)))
        else:
            out.append(np.asarray(c, np.float64))
    return out


@dataclass
class Violation:
    x: np.ndarray
    fx: Any
    lo: Any
    hi: Any

    def __str__(self) -> str:
        return f"x={self.x!r}: f(x)={self.fx} not in [{self.lo}, {self.hi}]"


def soundness_violations(
    f_mp: Callable[[np.ndarray], Any],
    coefficients: Sequence[Any],
    x0: Any,
    region: tuple[Any, Any],
    n_points: int = 24,
    prec: int = 200,
    seed: int = 0,
) -> tuple[list[Violation], int]:
    """Points of the region where ``f(x)`` lies outside the enclosure: zero tolerance.

    The points are those of :func:`autobound.verify.sample_points` (corners, ``x0``, its
    one-ulp neighbours, random points).  ``f(x)`` is computed at `prec` bits (>= 170) and a
    point that seems to violate is recomputed at ``4 * prec`` bits before it counts; points
    where an intermediate overflows mpmath's cheap range (:class:`Overflow`) are skipped.

    **Returns:** ``(violations, n_checked)``.
    """
    assert prec >= 170
    coefficients = as_numpy(coefficients)
    x0 = np.asarray(x0, np.float64)
    rng = np.random.default_rng(seed)
    points = sample_points(x0, (np.asarray(region[0]), np.asarray(region[1])), n_points, rng)
    bad, checked = [], 0
    for x in points:
        lo, hi = enclosure_at(coefficients, x0, x, 4 * prec)
        try:
            for p in (prec, 4 * prec):
                with mp.workprec(p):
                    fx = np.asarray(f_mp(x), dtype=object).reshape(np.shape(lo))
                outside = [
                    not (a <= v <= b)
                    for v, a, b in zip(fx.ravel(), lo.ravel(), hi.ravel(), strict=True)
                ]
                if not any(outside):
                    break
        except Overflow:
            continue
        checked += 1
        if any(outside):
            bad.append(Violation(x, fx, lo, hi))
    return bad, checked


# -- refusals -----------------------------------------------------------------------------------


class RefusalTally:
    """How many examples of one property test were checked and how many were refused.

    A soundness property that accepts "the engine refused" (a :class:`~autobound.DomainError`,
    a non-finite bound, a prover that gave up) as a pass would also pass for an engine that
    refuses everything.  :func:`bounded_refusals` counts both outcomes over all the examples
    of one run of a test and fails the test when more than `max_share` of them were refused
    (or none was checked).
    """

    def __init__(self, name: str, max_share: float):
        self.name = name
        self.max_share = max_share
        self.checked = 0
        self.reasons: Counter[str] = Counter()

    @property
    def refused(self) -> int:
        return sum(self.reasons.values())

    def verify(self) -> None:
        total = self.checked + self.refused
        share = self.refused / total if total else 1.0
        log = os.environ.get("AUTOBOUND_REFUSALS_LOG")
        if log:
            with open(log, "a") as fh:
                fh.write(f"{self.name}\t{self.checked}\t{self.refused}\t{dict(self.reasons)}\n")
        assert self.checked > 0 and share <= self.max_share, (
            f"{self.name}: {self.refused} of {total} examples refused ({share:.0%}, at most "
            f"{self.max_share:.0%} allowed): {dict(self.reasons)}"
        )


_TALLIES: list[RefusalTally] = []

# Refusals summed over a family of tests (e.g. the outward property of every op), in this
# process: family -> [checked, refused, allowed share].  tests/conftest.py sums them over the
# xdist workers and fails the session when a family with at least FAMILY_MIN_EXAMPLES
# examples refused more than its share.  Per test, with 6-12 examples, a share near 20% is
# noise (sqrt refuses x0 = 0 at degree >= 1 by design: 2 of 8 draws, 25%, in one test), so
# the tests themselves carry a looser bound and the family the tight one.
FAMILIES: dict[str, list[float]] = {}
FAMILY_MIN_EXAMPLES = 50


def bounded_refusals(
    max_share: float = 0.2, family: str | None = None, family_share: float = 0.2
) -> Callable:
    """Decorate a hypothesis test (above ``@settings``/``@given``, below parametrize marks):
    its examples call :func:`checked` or :func:`refused`, and the test fails when more than
    `max_share` of them were refused.  With `family`, its counts are also added to the
    family's, which may refuse at most `family_share` over a whole run (:data:`FAMILIES`).
    The examples are derandomized (tests/conftest.py), so the counts are the same on every
    run of an unchanged engine."""

    def decorate(test: Callable) -> Callable:
        @functools.wraps(test)
        def run(*args: Any, **kwargs: Any) -> None:
            params = ",".join(f"{v}" for _, v in sorted(kwargs.items()))
            tally = RefusalTally(f"{run.__name__}[{params}]" if params else run.__name__,
                                 max_share)  # fmt: skip
            _TALLIES.append(tally)
            try:
                test(*args, **kwargs)
            finally:
                _TALLIES.pop()
            if family is not None:
                counts = FAMILIES.setdefault(family, [0, 0, family_share])
                counts[0] += tally.checked
                counts[1] += tally.refused
            tally.verify()

        return run

    return decorate


def family_failures(families: dict[str, list[float]]) -> list[str]:
    """What is wrong with summed family counts (:data:`FAMILIES`), one line per family."""
    out = []
    for name, (n_checked, n_refused, allowed) in sorted(families.items()):
        total = n_checked + n_refused
        if total >= FAMILY_MIN_EXAMPLES and n_refused > allowed * total:
            out.append(f"{name}: {n_refused:g} of {total:g} examples refused "
                       f"({n_refused / total:.1%}, at most {allowed:.0%} allowed)")  # fmt: skip
    return out


def checked() -> None:
    """The current example checked its property (see :func:`bounded_refusals`)."""
    if _TALLIES:
        _TALLIES[-1].checked += 1


def refused(why: str) -> None:
    """The current example checked nothing: the engine (or the oracle) refused it."""
    event(f"refused: {why}")
    if _TALLIES:
        _TALLIES[-1].reasons[why] += 1
