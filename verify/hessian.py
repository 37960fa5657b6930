"""Second-order forward mode in mpmath.iv: ``f``, its gradient and its Hessian over a box.

Each number is a :class:`Jet` ``(V, G, H)``: enclosures over the box of a subexpression, its
partial derivatives and its second partial derivatives.  The rules are the chain and product
rules with interval factors (sound pointwise, as in :mod:`verify.gradient`):

    (u v)_ij = u_ij v + u_i v_j + u_j v_i + u v_ij,
    phi(u)_ij = phi''(u) u_i u_j + phi'(u) u_ij.

Second derivatives must exist on the whole box: a kink of ``abs``/``relu``/``max`` inside it,
or a second derivative that is unbounded there (``sqrt`` at 0), raises
:class:`~autobound.errors.DomainError`, and the checker falls back to first order.  With them,
for every x and c in the box (Taylor's theorem with the Lagrange remainder along the segment),

    f(x) ∈ f(c) + ∇f(c)·(x − c) + ½ (x − c)ᵀ H (x − c).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from typing import Any

import numpy as np
from mpmath import iv, mp

from autobound.errors import DomainError
from autobound.graph import ExprGraph

from . import rigorous
from .gradient import SLOPES, decided_step, decided_switch, forward_scalar, unit
from .quadratic import quadratic_lower, relaxation
from .reference import _INTERVAL, _Arith, _iv_div, _iv_integer_pow, _iv_is_integer, _iv_pow
from .rigorous import exact, fraction, hi, lo, span

Interval = Any


class Jet:
    """Value, gradient (tuple) and Hessian (tuple of tuples) enclosures."""

    __slots__ = ("g", "h", "v")

    def __init__(self, v: Interval, g: tuple, h: tuple):
        self.v, self.g, self.h = v, g, h

    @staticmethod
    def lift(value: Any, n: int) -> Jet:
        if isinstance(value, Jet):
            return value
        v = value if isinstance(value, iv.mpf) else exact(value)
        zero = iv.mpf(0)
        return Jet(v, (zero,) * n, ((zero,) * n,) * n)

    def _other(self, other: Any) -> Jet:
        return Jet.lift(other, len(self.g))

    def __add__(self, other: Any) -> Jet:
        o = self._other(other)
        return Jet(
            self.v + o.v,
            tuple(a + b for a, b in zip(self.g, o.g, strict=True)),
            tuple(
                tuple(a + b for a, b in zip(r, s, strict=True))
                for r, s in zip(self.h, o.h, strict=True)
            ),
        )

    __radd__ = __add__

    def __neg__(self) -> Jet:
        return Jet(-self.v, tuple(-a for a in self.g), tuple(tuple(-a for a in r) for r in self.h))

    def __sub__(self, other: Any) -> Jet:
        return self + (-self._other(other))

    def __rsub__(self, other: Any) -> Jet:
        return self._other(other) - self

    def __mul__(self, other: Any) -> Jet:
        o, n = self._other(other), len(self.g)
        g = tuple(self.g[i] * o.v + self.v * o.g[i] for i in range(n))
        h = tuple(
            tuple(
                self.h[i][j] * o.v + self.g[i] * o.g[j] + self.g[j] * o.g[i] + self.v * o.h[i][j]
                for j in range(n)
            )
            for i in range(n)
        )
        return Jet(self.v * o.v, g, h)

    __rmul__ = __mul__

    def compose(self, value: Interval, slope: Interval, curvature: Interval) -> Jet:
        """``phi(self)`` given phi(V), phi'(V) and phi''(V) enclosures."""
        for what, end in (("first", slope), ("second", curvature)):
            if not (mp.isfinite(lo(end)) and mp.isfinite(hi(end))):
                raise DomainError(f"a {what} derivative is unbounded on {self.v}")
        n = len(self.g)
        g = tuple(slope * a for a in self.g)
        h = tuple(
            tuple(curvature * self.g[i] * self.g[j] + slope * self.h[i][j] for j in range(n))
            for i in range(n)
        )
        return Jet(value, g, h)


def _smooth_at(X: Interval, name: str) -> Interval:
    """phi'' = 0 for the piecewise-linear ops, away from their kink at 0."""
    if lo(X) > 0 or hi(X) < 0:
        return iv.mpf(0)
    raise DomainError(f"{name} has no second derivative on {X} (its kink at 0)")


def _apply(name: str, X: Interval) -> Interval:
    return rigorous.apply(name, X, {})


def _sq(X: Interval) -> Interval:
    return _iv_integer_pow(X, 2)


def _sigmoid_curvature(X: Interval) -> Interval:
    # sigmoid'' = s (1 - s) (1 - 2 s); with s(1-s) = sigmoid'(x) enclosed by SLOPES
    return SLOPES["sigmoid"](X, {}) * (1 - 2 * _apply("sigmoid", X))


def _one_minus_x2(X: Interval) -> Interval:
    return 1 - _sq(X)


#: phi''(X) for every elementwise op, as an interval over the interval X.
CURVATURES: dict[str, Callable[[Interval, Mapping[str, Any]], Interval]] = {
    "exp": lambda X, p: _apply("exp", X),
    "expm1": lambda X, p: _apply("exp", X),
    "log": lambda X, p: -_iv_div(iv.mpf(1), _sq(X)),
    "log1p": lambda X, p: -_iv_div(iv.mpf(1), _sq(1 + X)),
    "sqrt": lambda X, p: -_iv_div(iv.mpf(1), 4 * X * _apply("sqrt", X)),
    "rsqrt": lambda X, p: _iv_div(3 * _apply("rsqrt", X), 4 * _sq(X)),
    "cbrt": lambda X, p: -_iv_div(2 * _apply("cbrt", X), 9 * _sq(X)),
    "square": lambda X, p: iv.mpf(2),
    "abs": lambda X, p: _smooth_at(X, "abs"),
    "relu": lambda X, p: _smooth_at(X, "relu"),
    "leaky_relu": lambda X, p: _smooth_at(X, "leaky_relu"),
    "sin": lambda X, p: -_apply("sin", X),
    "cos": lambda X, p: -_apply("cos", X),
    "tan": lambda X, p: 2 * _apply("tan", X) * (1 + _sq(_apply("tan", X))),
    "atan": lambda X, p: -_iv_div(2 * X, _sq(1 + _sq(X))),
    "asin": lambda X, p: _iv_div(X, _one_minus_x2(X) * _apply("sqrt", _one_minus_x2(X))),
    "acos": lambda X, p: -_iv_div(X, _one_minus_x2(X) * _apply("sqrt", _one_minus_x2(X))),
    "asinh": lambda X, p: -_iv_div(X, (1 + _sq(X)) * _apply("sqrt", 1 + _sq(X))),
    "atanh": lambda X, p: _iv_div(2 * X, _sq(_one_minus_x2(X))),
    "sinh": lambda X, p: _apply("sinh", X),
    "cosh": lambda X, p: _apply("cosh", X),
    "tanh": lambda X, p: -2 * _apply("tanh", X) * (1 - _sq(_apply("tanh", X))),
    "sigmoid": lambda X, p: _sigmoid_curvature(X),
    "softplus": lambda X, p: SLOPES["sigmoid"](X, {}),
    # swish'' = s(1-s) (2 + x (1 - 2 s)), s = sigmoid(x)
    "swish": lambda X, p: SLOPES["sigmoid"](X, {}) * (2 + X * (1 - 2 * _apply("sigmoid", X))),
    # gelu'' = pdf(x) (2 - x**2), pdf(x) = exp(-x**2/2) / sqrt(2 pi)
    "gelu": lambda X, p: (
        rigorous.iv_exp(-_sq(X) / 2) / rigorous.iv_sqrt(2 * rigorous.iv_pi()) * (2 - _sq(X))
    ),
    "erf": lambda X, p: -4 * X * rigorous.iv_exp(-_sq(X)) / rigorous.iv_sqrt(rigorous.iv_pi()),
}


def _elementwise(name: str, params: Mapping[str, Any]) -> Callable[[Jet], Jet]:
    if name not in CURVATURES:
        raise DomainError(f"no interval second derivative for {name!r}")

    def phi(u: Jet) -> Jet:
        X = u.v
        slope, curvature = SLOPES[name](X, params), CURVATURES[name](X, params)
        return u.compose(rigorous.apply(name, X, params), slope, curvature)

    return phi


def _reciprocal(u: Jet) -> Jet:
    r = _iv_div(iv.mpf(1), u.v)
    return u.compose(r, -_sq(r), 2 * r * _sq(r))


def _integer_pow(u: Jet, n: int) -> Jet:
    if n == 0:
        return Jet.lift(1, len(u.g))
    if n == 1:
        return u
    X = u.v
    slope = n * _iv_integer_pow(X, n - 1)
    curvature = n * (n - 1) * (_iv_integer_pow(X, n - 2) if n != 2 else iv.mpf(1))
    return u.compose(_iv_integer_pow(X, n), slope, curvature)


def _pow(u: Jet, y: Jet) -> Jet:
    constant = all(lo(d) == hi(d) == 0 for d in y.g) and lo(y.v) == hi(y.v)
    if constant and _iv_is_integer(y.v):
        return _integer_pow(u, int(lo(y.v)))
    if lo(u.v) <= 0:
        raise DomainError(f"the derivatives of x ** y are unbounded or undefined on {u.v}")
    if constant:  # x**p, p real: p x**(p-1), p (p-1) x**(p-2)
        p = y.v
        slope = p * _iv_pow(u.v, p - 1)
        return u.compose(_iv_pow(u.v, p), slope, p * (p - 1) * _iv_pow(u.v, p - 2))
    return _elementwise("exp", {})(y * _elementwise("log", {})(u))


def _extreme(pick_max: bool) -> Callable[[Jet, Jet], Jet]:
    def rule(a: Jet, b: Jet) -> Jet:
        if hi(a.v) <= lo(b.v):
            return b if pick_max else a
        if hi(b.v) <= lo(a.v):
            return a if pick_max else b
        raise DomainError("max/min has no second derivative where its arguments cross")

    return rule


def _arith(n: int) -> _Arith:
    return _Arith(
        const=lambda v: Jet.lift(v, n),
        elementwise=_elementwise,
        div=lambda a, b: a * _reciprocal(b),
        integer_pow=_integer_pow,
        pow=_pow,
        max=_extreme(True),
        min=_extreme(False),
        truth=lambda d: _INTERVAL.truth(d.v),
        switch=decided_switch,
        step=decided_step,
    )


def hessian_interval(
    graph: ExprGraph, box_lo: Sequence[Any], box_hi: Sequence[Any], prec: int = 100
) -> tuple[Interval, list[Interval], list[list[Interval]]]:
    """Enclosures of f, ∂f/∂x_j and ∂²f/∂x_i∂x_j over the box (a scalar-output graph).

    `box_lo`/`box_hi`: exact numbers per input entry in C order.  Returns ``(F, G, H)``.
    Raises :class:`~autobound.errors.DomainError` where a second derivative does not exist or
    is unbounded somewhere on the box.
    """

    def variable(X: Interval, j: int, n: int) -> Jet:
        return Jet(X, unit(j, n), ((iv.mpf(0),) * n,) * n)

    out = forward_scalar(graph, box_lo, box_hi, prec, variable, _arith)
    return out.v, list(out.g), [list(r) for r in out.h]


# -- the second-order forms --------------------------------------------------------------------


def _half_min(g: Interval, h: Interval, end: Any) -> Any:
    """A lower bound of ``g d + h d**2 / 2`` over d between 0 and `end` (g, h intervals; the
    lower end of g·d is g_lo·d for d >= 0 and g_hi·d for d <= 0, of h·d²/2 it is h_lo·d²/2)."""
    slope = iv.mpf(lo(g)) if end >= 0 else iv.mpf(hi(g))
    curv = iv.mpf(lo(h))
    d = exact(end)
    candidates = [mp.zero, lo(slope * d + curv * d * d / 2)]
    if lo(curv) > 0:  # convex: the vertex value lower-bounds the parabola everywhere
        vertex = -slope / curv
        left, right = exact(min(0, end)), exact(max(0, end))
        if not (hi(vertex) < lo(left) or lo(vertex) > hi(right)):
            candidates.append(lo(-slope * slope / (2 * curv)))
    return min(candidates)


def second_order_bounds(
    f_c: Interval, g_c: Sequence[Interval], hess: Sequence[Sequence[Interval]], spans: Sequence
) -> tuple[Any, Any]:
    """(lower, upper) bounds of ``f(c) + g·d + ½ dᵀ H d`` over the box ``d ∈ spans`` (spans:
    ``(lo_j, hi_j)`` of x_j − c_j, exact, lo_j <= 0 <= hi_j): per coordinate the parabola in d_j
    exactly (its vertex where convex), cross terms by interval arithmetic."""
    n = len(g_c)
    low, high = iv.mpf(lo(f_c)), iv.mpf(hi(f_c))
    for j, (a, b) in enumerate(spans):
        g, h = g_c[j], hess[j][j]
        low = low + min(_half_min(g, h, a), _half_min(g, h, b))
        high = high - min(_half_min(-g, -h, a), _half_min(-g, -h, b))
    for i in range(n):
        for j in range(i + 1, n):
            cross = hess[i][j] * span(*spans[i]) * span(*spans[j])
            low, high = low + lo(cross), high + hi(cross)
    return lo(low), hi(high)


def anchored_lower(
    f_c: Interval, g_c: Sequence[Interval], hess: Sequence[Sequence[Interval]], spans: Sequence
) -> Fraction | None:
    """A lower bound of ``f(c) + g·d + ½ dᵀ H d`` over the box ``d ∈ spans`` from the whole
    quadratic (:func:`verify.quadratic.quadratic_lower`, exact), anchored at the minimizer of
    its relaxation found in floating point and clipped to the box (any anchor is sound).
    None where some end is not finite or the relaxation is not positive definite."""
    ends = [lo(f_c)] + [e(v) for v in g_c for e in (lo, hi)]
    ends += [e(v) for row in hess for v in row for e in (lo, hi)]
    exact_ends = [fraction(v) for v in ends]
    if any(v is None for v in exact_ends):
        return None
    n = len(g_c)
    c_lo, rest = exact_ends[0], exact_ends[1:]
    g = [(rest[2 * j], rest[2 * j + 1]) for j in range(n)]
    flat = rest[2 * n :]
    Q = [[(flat[2 * (i * n + j)] / 2, flat[2 * (i * n + j) + 1] / 2) for j in range(n)]
         for i in range(n)]  # fmt: skip
    spans = [(Fraction(a), Fraction(b)) for a, b in spans]
    ell, M, _ = relaxation(g, Q, spans)
    try:
        u = np.linalg.solve(np.array(M, dtype=float), -np.array(ell, dtype=float) / 2)
    except np.linalg.LinAlgError:
        return None
    if not np.all(np.isfinite(u)):
        return None
    anchor = [min(max(Fraction(float(v)), a), b) for v, (a, b) in zip(u, spans, strict=True)]
    return quadratic_lower(c_lo, g, Q, spans, anchor)


def second_order_integral(
    f_c: Interval, hess: Sequence[Sequence[Interval]], widths: Sequence, volume: Any
) -> Interval:
    """An enclosure of ∫ f over a box of the given side widths from its centre c:
    ``vol · (f(c) + Σ_j H_jj w_j²/24 ± Σ_{i<j} wid(H_ij) w_i w_j / 32)`` (the linear term
    integrates to 0; ∫ d_j² = vol w_j²/12; d_i d_j has positive and negative parts of
    vol w_i w_j / 32 each)."""
    n = len(widths)
    total = f_c
    spread = iv.mpf(0)
    for j in range(n):
        total = total + hess[j][j] * exact(widths[j]) ** 2 / 24
        for i in range(j):
            width = iv.mpf(hi(hess[i][j])) - iv.mpf(lo(hess[i][j]))
            spread = spread + width * exact(widths[i]) * exact(widths[j]) / 32
    return exact(volume) * (total + iv.mpf([-hi(spread), hi(spread)]))
