"""Forward-mode interval derivatives: ``f`` and its gradient over a box, in mpmath.iv.

The certificate checker's own first-order bound.  Each number is a :class:`Dual`, a pair
``(V, G)`` where ``V`` encloses the value of a subexpression over the box and ``G[j]``
encloses its partial derivative in ``x_j`` over the box.  The chain rule with interval
factors is sound: ``(u v)' = u' V_v + V_u v'`` holds pointwise, and every factor is
replaced by an interval holding it at every point of the box.  For ``max``/``min``/``abs``/
``relu`` at a kink the derivative is the hull of the one-sided ones (the Clarke gradient),
for which Lebourg's mean value theorem still gives

    f(x) ∈ f(c) + Σ_j G_j (x_j − c_j)    for all x, c in the box.

Derivatives of the elementwise functions are written through the audited interval functions
of :mod:`verify.rigorous` (``exp' = exp``, ``atan' = 1/(1+x²)``, ...).  Where a derivative is
unbounded on the box (``sqrt`` at 0) :func:`gradient_interval` raises
:class:`~autobound.errors.DomainError` and the caller falls back to the value bound alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from mpmath import iv, mp

from autobound.errors import DomainError
from autobound.graph import ExprGraph

from . import rigorous
from .reference import (
    _INTERVAL,
    _Arith,
    _iv_div,
    _iv_integer_pow,
    _iv_is_integer,
    _iv_pow,
    _iv_step,
    _run,
    switch_side,
)
from .rigorous import exact, hi, iv_precision, lo, span

Interval = Any


class Dual:
    """A value enclosure and the enclosures of its partial derivatives (a tuple)."""

    __slots__ = ("g", "v")

    def __init__(self, v: Interval, g: tuple[Interval, ...]):
        self.v = v
        self.g = g

    @staticmethod
    def lift(value: Any, n: int) -> Dual:
        if isinstance(value, Dual):
            return value
        v = value if isinstance(value, iv.mpf) else exact(value)
        return Dual(v, (iv.mpf(0),) * n)

    def _other(self, other: Any) -> Dual:
        return Dual.lift(other, len(self.g))

    def __add__(self, other: Any) -> Dual:
        o = self._other(other)
        return Dual(self.v + o.v, tuple(a + b for a, b in zip(self.g, o.g, strict=True)))

    __radd__ = __add__

    def __neg__(self) -> Dual:
        return Dual(-self.v, tuple(-a for a in self.g))

    def __sub__(self, other: Any) -> Dual:
        return self + (-self._other(other))

    def __rsub__(self, other: Any) -> Dual:
        return self._other(other) - self

    def __mul__(self, other: Any) -> Dual:
        o = self._other(other)
        g = tuple(a * o.v + self.v * b for a, b in zip(self.g, o.g, strict=True))
        return Dual(self.v * o.v, g)

    __rmul__ = __mul__

    def scaled(self, value: Interval, slope: Interval) -> Dual:
        """``phi(self)`` given ``value`` = phi(V) and ``slope`` ⊇ phi'(V) (chain rule)."""
        return Dual(value, tuple(slope * a for a in self.g))


def _hull(a: Interval, b: Interval) -> Interval:
    return iv.mpf([min(lo(a), lo(b)), max(hi(a), hi(b))])


def _sign_hull(X: Interval, below: Any, above: Any) -> Interval:
    """The derivative of a function with slope `below` for x < 0 and `above` for x > 0."""
    if lo(X) > 0:
        return iv.mpf(above)
    if hi(X) < 0:
        return iv.mpf(below)
    return _hull(iv.mpf(below), iv.mpf(above))


def _one_minus_square(S: Interval) -> Interval:
    return 1 - _iv_integer_pow(S, 2)


def _sigmoid_slope(X: Interval) -> Interval:
    s = rigorous.apply("sigmoid", X, {})
    # s (1 - s) over s in [a, b] lies in [a (1 - b), b (1 - a)] (both factors are positive)
    a, b = iv.mpf(lo(s)), iv.mpf(hi(s))
    return iv.mpf([lo(a * (1 - b)), hi(b * (1 - a))])


#: phi'(X) for every elementwise op, as an interval over the interval X.
SLOPES: dict[str, Callable[[Interval, Mapping[str, Any]], Interval]] = {
    "exp": lambda X, p: rigorous.apply("exp", X, p),
    "expm1": lambda X, p: rigorous.apply("exp", X, p),
    "log": lambda X, p: _iv_div(iv.mpf(1), X),
    "log1p": lambda X, p: _iv_div(iv.mpf(1), 1 + X),
    "sqrt": lambda X, p: _iv_div(iv.mpf(1), 2 * rigorous.apply("sqrt", X, p)),
    "rsqrt": lambda X, p: _iv_div(-rigorous.apply("rsqrt", X, p), 2 * X),
    "cbrt": lambda X, p: _iv_div(iv.mpf(1), 3 * _iv_integer_pow(rigorous.apply("cbrt", X, p), 2)),
    "square": lambda X, p: 2 * X,
    "abs": lambda X, p: _sign_hull(X, -1, 1),
    "relu": lambda X, p: _sign_hull(X, 0, 1),
    "leaky_relu": lambda X, p: _sign_hull(X, exact(p["alpha"]), 1),
    "sin": lambda X, p: rigorous.apply("cos", X, p),
    "cos": lambda X, p: -rigorous.apply("sin", X, p),
    "tan": lambda X, p: 1 + _iv_integer_pow(rigorous.apply("tan", X, p), 2),
    "atan": lambda X, p: _iv_div(iv.mpf(1), 1 + _iv_integer_pow(X, 2)),
    "asin": lambda X, p: _iv_div(iv.mpf(1), rigorous.apply("sqrt", 1 - _iv_integer_pow(X, 2), p)),
    "acos": lambda X, p: -_iv_div(iv.mpf(1), rigorous.apply("sqrt", 1 - _iv_integer_pow(X, 2), p)),
    "asinh": lambda X, p: _iv_div(iv.mpf(1), rigorous.apply("sqrt", 1 + _iv_integer_pow(X, 2), p)),
    "atanh": lambda X, p: _iv_div(iv.mpf(1), 1 - _iv_integer_pow(X, 2)),
    "sinh": lambda X, p: rigorous.apply("cosh", X, p),
    "cosh": lambda X, p: rigorous.apply("sinh", X, p),
    "tanh": lambda X, p: _one_minus_square(rigorous.apply("tanh", X, p)),
    "sigmoid": lambda X, p: _sigmoid_slope(X),
    "softplus": lambda X, p: rigorous.apply("sigmoid", X, p),
    "swish": lambda X, p: rigorous._swish_slope(X),
    "gelu": lambda X, p: rigorous._gelu_slope(X),
    "erf": lambda X, p: (
        2 * rigorous.iv_exp(-_iv_integer_pow(X, 2)) / rigorous.iv_sqrt(rigorous.iv_pi())
    ),
}


def _elementwise(name: str, params: Mapping[str, Any]) -> Callable[[Dual], Dual]:
    if name not in SLOPES:
        raise DomainError(f"no interval derivative for {name!r}")

    def phi(u: Dual) -> Dual:
        slope = SLOPES[name](u.v, params)
        if not all(mp.isfinite(end) for end in (lo(slope), hi(slope))):
            raise DomainError(f"the derivative of {name} is unbounded on {u.v}")
        return u.scaled(rigorous.apply(name, u.v, params), slope)

    return phi


def _div(a: Dual, b: Dual) -> Dual:
    q = _iv_div(a.v, b.v)
    return Dual(q, tuple(_iv_div(da - q * db, b.v) for da, db in zip(a.g, b.g, strict=True)))


def _integer_pow(u: Dual, n: int) -> Dual:
    if n == 0:
        return Dual.lift(1, len(u.g))
    slope = n * _iv_integer_pow(u.v, n - 1) if n != 1 else iv.mpf(1)
    return u.scaled(_iv_integer_pow(u.v, n), slope)


def _pow(u: Dual, y: Dual) -> Dual:
    if all(lo(d) == hi(d) == 0 for d in y.g) and _iv_is_integer(y.v):
        return _integer_pow(u, int(lo(y.v)))
    value = _iv_pow(u.v, y.v)
    if lo(u.v) <= 0:
        raise DomainError(f"the derivative of x ** y is unbounded on {u.v}")
    log_u = rigorous.iv_log(u.v)
    g = tuple(
        value * (dy * log_u + _iv_div(y.v * du, u.v)) for du, dy in zip(u.g, y.g, strict=True)
    )
    return Dual(value, g)


def _extreme(pick_max: bool) -> Callable[[Dual, Dual], Dual]:
    def rule(a: Dual, b: Dual) -> Dual:
        if hi(a.v) <= lo(b.v):  # a <= b on the whole box
            return b if pick_max else a
        if hi(b.v) <= lo(a.v):
            return a if pick_max else b
        value = (_INTERVAL.max if pick_max else _INTERVAL.min)(a.v, b.v)
        return Dual(value, tuple(_hull(p, q) for p, q in zip(a.g, b.g, strict=True)))

    return rule


def decided_switch(s: Any, a: Any, b: Any, strict: bool) -> Any:
    """switch on derivative objects (the value interval is ``.v``): the branch the box
    decides; a test the box does not decide is refused (the derivative may jump there)."""
    side = switch_side(s.v, strict)
    if side is None:
        raise DomainError(
            f"a branch (switch) on an expression with range {s.v}, which the box does not "
            "decide: no derivative bound across it; split the box"
        )
    return a if side else b


def decided_step(u: Any, kind: str) -> Any:
    """A step function on derivative objects (value interval ``.v``): a constant with zero
    derivatives where it has no jump on the box, else refused (its derivative is a jump)."""
    value = _iv_step(u.v, kind)
    if lo(value) != hi(value):
        raise DomainError(f"a step ({kind}) jumps inside {u.v}: no derivative bound; split the box")
    return type(u).lift(value, len(u.g))


def _arith(n: int) -> _Arith:
    return _Arith(
        const=lambda v: Dual.lift(v, n),
        elementwise=_elementwise,
        div=_div,
        integer_pow=_integer_pow,
        pow=_pow,
        max=_extreme(True),
        min=_extreme(False),
        truth=lambda d: _INTERVAL.truth(d.v),
        switch=decided_switch,
        step=decided_step,
    )


def unit(j: int, n: int) -> tuple[Interval, ...]:
    """The derivative of input j with respect to the n inputs: the j-th unit vector."""
    return tuple(iv.mpf(1 if k == j else 0) for k in range(n))


def forward_scalar(
    graph: ExprGraph,
    box_lo: Sequence[Any],
    box_hi: Sequence[Any],
    prec: int,
    variable: Callable[[Interval, int, int], Any],
    arith: Callable[[int], _Arith],
) -> Any:
    """f over the box in a forward-mode number system: input j is ``variable(X_j, j, n)``
    (X_j its side as an interval), ``arith(n)`` gives the rules.  Returns the scalar output
    as a number of that system (lifted if it is a constant)."""
    shape = tuple(graph.shape(graph.input))
    n = math.prod(shape)
    with iv_precision(prec):
        xs = np.empty(n, dtype=object)
        for j, (a, b) in enumerate(zip(box_lo, box_hi, strict=True)):
            xs[j] = variable(span(a, b), j, n)
        numbers = arith(n)
        out = _run(graph, replace(numbers, x=xs.reshape(shape)))
        if isinstance(out, np.ndarray):
            if out.size != 1:
                raise DomainError("forward-mode bounds need a scalar-output function")
            out = out.reshape(-1)[0]
        return numbers.const(out)


def gradient_interval(
    graph: ExprGraph, box_lo: Sequence[Any], box_hi: Sequence[Any], prec: int = 100
) -> tuple[Interval, list[Interval]]:
    """Enclosures of ``f`` and of ``∂f/∂x_j`` over the box (a scalar-output graph).

    `box_lo`/`box_hi` are exact numbers (Fractions, ints, floats) per input entry in C order.
    Returns ``(F, [G_0, ..., G_{n-1}])`` as ``mpmath.iv`` intervals.  Raises
    :class:`~autobound.errors.DomainError` where f or a derivative is unbounded on the box.
    """
    out = forward_scalar(graph, box_lo, box_hi, prec, lambda X, j, n: Dual(X, unit(j, n)), _arith)
    return out.v, list(out.g)
