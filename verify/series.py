"""Taylor coefficients of a one-variable function, exactly at a point or enclosed over an
interval: the checker's own means for leaves where f touches the claimed bound.

A :class:`Series` is a truncated Taylor series ``s_0 + s_1 z + ... + s_K z^K`` whose
coefficients live in one of two number systems:

- **exact** (:class:`fractions.Fraction`): the coefficients ``f^(i)(t)/i!`` at a rational
  point t, where every elementary function meets an argument at which its value is rational
  (``exp(0) = 1``, ``log(1) = 0``, ``sin(0) = 0``, ``sqrt(9/4) = 3/2``, ...); elsewhere
  :func:`exact_taylor` raises :class:`~autobound.errors.DomainError` ("no exact value").
- **interval** (``mpmath.iv``): run on the series ``X + z`` of an interval X, coefficient i
  encloses ``f^(i)(ξ)/i!`` for every ξ in X (each recurrence below holds pointwise, and
  interval arithmetic is inclusion monotone), so with exact zeros ``f^(i)(t) = 0`` for
  ``i < k`` Taylor's theorem gives, for x in X,

      f(x) = f^(k)(ξ)/k! · (x − t)^k ∈ S_k · (x − t)^k.

The elementary functions use the classical recurrences of Taylor-mode arithmetic (Moore,
*Methods and Applications of Interval Analysis*, ch. 3): for ``e = exp(u)``,
``e_k = (1/k) Σ_{j=1}^{k} j u_j e_{k−j}``; for ``l = log(u)``,
``l_k = (u_k − (1/k) Σ_{j=1}^{k−1} j l_j u_{k−j}) / u_0``; sin and cos (and sinh, cosh) as a
pair; ``sqrt`` from ``r² = u``; ``u^p`` from ``u P' = p P u'``; tan and tanh from
``t' = (1 ± t²) u'``; atan, atanh, asin, acos and asinh by integrating ``u'/(1 ± u²)``,
``±u'/sqrt(1 − u²)`` and ``u'/sqrt(1 + u²)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from fractions import Fraction
from typing import Any

import numpy as np
from mpmath import iv

from autobound.errors import DomainError
from autobound.graph import ExprGraph

from . import rigorous
from .reference import _Arith, _run
from .rigorous import hi, iv_precision, lo

__all__ = ["Series", "exact_taylor", "interval_taylor"]


class _Exact:
    """Fractions; elementary functions only where their value is rational.  `side` (+1, -1)
    asks for the one-sided series at t from the right or the left (0: two-sided), which
    differ where an argument of abs vanishes at t."""

    def __init__(self, side: int = 0):
        self.side = side

    @staticmethod
    def num(q: Any) -> Fraction:
        if isinstance(q, Fraction):
            return q
        if isinstance(q, (bool, np.bool_)):
            return Fraction(int(q))
        if isinstance(q, (int, np.integer)):
            return Fraction(int(q))
        v = float(q)
        if not math.isfinite(v):
            raise DomainError(f"the constant {v!r} is not finite")
        return Fraction(v)

    @staticmethod
    def div(a: Fraction, b: Fraction) -> Fraction:
        if b == 0:
            raise DomainError("division by zero")
        return a / b

    @staticmethod
    def sign(a: Fraction) -> int:
        return (a > 0) - (a < 0)

    @staticmethod
    def value(name: str, a: Fraction) -> Fraction:
        zero_at_zero = {"expm1", "log1p", "sin", "tan", "atan", "asin", "asinh", "atanh"}
        zero_at_zero |= {"sinh", "tanh"}
        if name == "sigmoid" and a == 0:
            return Fraction(1, 2)
        if name in zero_at_zero and a == 0:
            return Fraction(0)
        if name in ("exp", "cos", "cosh") and a == 0:
            return Fraction(1)
        if name == "log" and a == 1:
            return Fraction(0)
        if name in ("sqrt", "cbrt"):
            root = _rational_root(a, 2 if name == "sqrt" else 3)
            if root is not None:
                return root
        raise DomainError(f"no exact value of {name} at {a}")

    @staticmethod
    def power(a: Fraction, p: Fraction) -> Fraction:
        if p.denominator == 1:
            if a == 0 and p < 0:
                raise DomainError("0 to a negative power")
            return a ** int(p)
        root = _rational_root(a, p.denominator) if a > 0 else None
        if root is None:
            raise DomainError(f"no exact value of {a} ** {p}")
        return root**p.numerator


class _Interval:
    """mpmath.iv intervals through the checker's audited interval functions."""

    @staticmethod
    def num(q: Any) -> Any:
        return q if isinstance(q, iv.mpf) else rigorous.exact(q)

    @staticmethod
    def div(a: Any, b: Any) -> Any:
        if lo(b) <= 0 <= hi(b):
            raise DomainError(f"division by an interval holding 0: {b}")
        return a / b

    @staticmethod
    def sign(a: Any) -> int:
        return 1 if lo(a) > 0 else (-1 if hi(a) < 0 else 0)

    @staticmethod
    def value(name: str, a: Any) -> Any:
        return rigorous.apply(name, a, {})

    @staticmethod
    def power(a: Any, p: Any) -> Any:
        if lo(a) <= 0:
            raise DomainError(f"a non-integer power of an interval reaching 0: {a}")
        return rigorous.iv_exp(p * rigorous.iv_log(a))


def _rational_root(a: Fraction, n: int) -> Fraction | None:
    """The rational r with r**n == a, or None."""
    if a < 0:
        if n % 2 == 0:
            return None
        r = _rational_root(-a, n)
        return -r if r is not None else None

    def iroot(m: int) -> int | None:
        r = round(m ** (1.0 / n)) if m < 2**1000 else int(math.isqrt(m))
        for c in (r - 1, r, r + 1):
            if c >= 0 and c**n == m:
                return c
        return None

    p, q = iroot(a.numerator), iroot(a.denominator)
    return Fraction(p, q) if p is not None and q is not None else None


class Series:
    """A truncated Taylor series (coefficients `c`) in the number system `ring`."""

    __slots__ = ("c", "ring")

    def __init__(self, c: Sequence[Any], ring: Any):
        self.c = list(c)
        self.ring = ring

    @property
    def order(self) -> int:
        return len(self.c) - 1

    def _other(self, other: Any) -> Series:
        if isinstance(other, Series):
            return other
        return Series([self.ring.num(other)] + [self.ring.num(0)] * self.order, self.ring)

    def __add__(self, other: Any) -> Series:
        o = self._other(other)
        return Series([a + b for a, b in zip(self.c, o.c, strict=True)], self.ring)

    __radd__ = __add__

    def __neg__(self) -> Series:
        return Series([-a for a in self.c], self.ring)

    def __sub__(self, other: Any) -> Series:
        return self + (-self._other(other))

    def __rsub__(self, other: Any) -> Series:
        return self._other(other) - self

    def __mul__(self, other: Any) -> Series:
        o = self._other(other)
        K = self.order
        return Series(
            [
                sum((self.c[j] * o.c[k - j] for j in range(k + 1)), self.ring.num(0))
                for k in range(K + 1)
            ],
            self.ring,
        )

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> Series:
        o = self._other(other)
        q: list[Any] = []
        for k in range(self.order + 1):
            acc = self.c[k] - sum((o.c[j] * q[k - j] for j in range(1, k + 1)), self.ring.num(0))
            q.append(self.ring.div(acc, o.c[0]))
        return Series(q, self.ring)

    def derivative(self) -> list[Any]:
        """Coefficients of u' (one order fewer)."""
        return [(k + 1) * self.c[k + 1] for k in range(self.order)]

    def integrate(self, v: Sequence[Any], value: Any) -> Series:
        """The series with constant term `value` whose derivative has coefficients v."""
        return Series(
            [value] + [v[k - 1] * self.ring.num(Fraction(1, k)) for k in range(1, self.order + 1)],
            self.ring,
        )


def _ode(u: Series, base: Any, rate: Callable[[list[Any], int], Any]) -> Series:
    """The series y with y_0 = base and y' = w u', where ``rate(y, m)`` gives w_m from
    y_0..y_m: ``y_k = (1/k) Σ_{j=1}^{k} j u_j w_{k−j}``."""
    R = u.ring
    y, w = [base], []
    for k in range(1, u.order + 1):
        w.append(rate(y, k - 1))
        y.append(
            sum((j * u.c[j] * w[k - j] for j in range(1, k + 1)), R.num(0)) * R.num(Fraction(1, k))
        )
    return Series(y, R)


def _pair(u: Series, s0: Any, c0: Any, sign: int) -> tuple[Series, Series]:
    """(sin, cos) of u (sign −1) or (sinh, cosh) (sign +1) from their values at u_0."""
    R = u.ring
    s, c = [s0], [c0]
    for k in range(1, u.order + 1):
        f = R.num(Fraction(1, k))
        s.append(sum((j * u.c[j] * c[k - j] for j in range(1, k + 1)), R.num(0)) * f)
        c.append(sign * sum((j * u.c[j] * s[k - j] for j in range(1, k + 1)), R.num(0)) * f)
    return Series(s, R), Series(c, R)


def _power(u: Series, p: Any, base: Any) -> Series:
    """u**p from ``u P' = p P u'``:
    ``P_k = (1/(k u_0)) Σ_{j=1}^{k} (p j − (k − j)) u_j P_{k−j}``."""
    R = u.ring
    P = [base]
    for k in range(1, u.order + 1):
        acc = sum(((p * j - (k - j)) * u.c[j] * P[k - j] for j in range(1, k + 1)), R.num(0))
        P.append(R.div(acc, k * u.c[0]))
    return Series(P, R)


def _function(name: str, u: Series, params: Any = None) -> Series:
    params = params or {}
    R, u0 = u.ring, u.c[0]
    one = R.num(1)
    if name == "exp":
        return _ode(u, R.value("exp", u0), lambda y, m: y[m])
    if name == "expm1":
        e = _ode(u, R.value("expm1", u0) + one, lambda y, m: y[m])
        return Series([e.c[0] - one, *e.c[1:]], R)
    if name in ("log", "log1p"):
        v = u if name == "log" else u + one
        return v.integrate((Series(v.derivative() + [R.num(0)], R) / v).c[:-1], R.value(name, u0))
    if name in ("sqrt", "cbrt"):
        return _power(u, R.num(Fraction(1, 2 if name == "sqrt" else 3)), R.value(name, u0))
    if name in ("sin", "cos", "sinh", "cosh"):
        circular = name in ("sin", "cos")
        s0 = R.value("sin" if circular else "sinh", u0)
        c0 = R.value("cos" if circular else "cosh", u0)
        s, c = _pair(u, s0, c0, -1 if circular else 1)
        return s if name in ("sin", "sinh") else c
    if name in ("tan", "tanh"):
        sign = 1 if name == "tan" else -1
        return _ode(
            u,
            R.value(name, u0),
            lambda y, m: (
                (one if m == 0 else R.num(0))
                + sign * sum((y[i] * y[m - i] for i in range(m + 1)), R.num(0))
            ),
        )
    if name in ("atan", "atanh", "asin", "acos", "asinh"):
        du = Series(u.derivative() + [R.num(0)], R)
        if name == "atan":
            rate = du / (u * u + one)  # (the series first: iv numbers do not defer)
        elif name == "atanh":
            rate = du / (-(u * u) + one)
        elif name == "asinh":
            rate = du / _function("sqrt", u * u + one)
        else:
            root = _function("sqrt", -(u * u) + one)
            rate = (du / root) * (1 if name == "asin" else -1)
        return u.integrate(rate.c[:-1], R.value(name, u0))
    if name == "abs":
        return u if _sign(u) > 0 else -u
    if name == "square":
        return u * u
    if name == "rsqrt":
        return _power(u, R.num(Fraction(-1, 2)), R.div(one, R.value("sqrt", u0)))
    if name == "sigmoid":  # s' = s (1 - s) u'
        return _ode(
            u,
            R.value("sigmoid", u0),
            lambda y, m: y[m] - sum((y[i] * y[m - i] for i in range(m + 1)), R.num(0)),
        )
    if name == "softplus":  # softplus' = sigmoid
        s = _function("sigmoid", u)
        du = u.derivative()
        rate = [sum((s.c[i] * du[m - i] for i in range(m + 1)), R.num(0)) for m in range(u.order)]
        return u.integrate(rate, R.value("softplus", u0))
    if name == "swish":
        return u * _function("sigmoid", u)
    if name in ("relu", "leaky_relu"):
        sign = _sign(u)
        if sign > 0:
            return u
        slope = R.num(params.get("alpha", 0)) if name == "leaky_relu" else R.num(0)
        return u * slope
    raise DomainError(f"no series rule for {name}")


def _sign(u: Series) -> int:
    """The sign of u on the whole interval (interval series), or near t on the series' side
    (exact series); DomainError when it may change."""
    R, u0 = u.ring, u.c[0]
    sign = R.sign(u0)
    if sign == 0 and isinstance(R, _Interval) and (lo(u0) == 0 or hi(u0) == 0):
        sign = 1 if lo(u0) == 0 else -1  # u >= 0 (or <= 0) on the whole interval
    if sign == 0 and isinstance(R, _Exact) and R.side:
        j = next((j for j in range(1, u.order + 1) if u.c[j] != 0), None)
        if j is None:
            return 1  # u = O(z^(K+1)): every branch has the same (zero) coefficients
        sign = R.sign(u.c[j]) * R.side**j
    if sign == 0:
        raise DomainError("a kink where the argument may change sign")
    return sign


def _integer_pow(u: Series, n: int) -> Series:
    if n < 0:
        return u._other(1) / _integer_pow(u, -n)
    out, base = u._other(1), u
    while n:
        if n & 1:
            out = out * base
        base, n = base * base, n >> 1
    return out


def _pow(u: Series, y: Series) -> Series:
    R = u.ring
    if any(
        R.sign(c) != 0 or (isinstance(R, _Interval) and not (lo(c) == hi(c) == 0)) for c in y.c[1:]
    ):
        raise DomainError("x ** y with a variable exponent has no series rule here")
    p = y.c[0]
    if isinstance(R, _Exact) and p.denominator == 1:
        return _integer_pow(u, int(p))
    if isinstance(R, _Interval) and lo(p) == hi(p) and float(lo(p)).is_integer():
        return _integer_pow(u, int(float(lo(p))))
    return _power(u, p, R.power(u.c[0], p))


def _refuse(what: str) -> Callable[..., Any]:
    def rule(*args: Any) -> Any:
        raise DomainError(f"no series rule for {what}")

    return rule


def _arith(ring: Any, K: int) -> _Arith:
    def const(v: Any) -> Series:
        if isinstance(v, Series):
            return v
        return Series([ring.num(v)] + [ring.num(0)] * K, ring)

    return _Arith(
        const=const,
        elementwise=lambda name, params: lambda u: _function(name, const(u), params),
        div=lambda a, b: const(a) / const(b),
        integer_pow=lambda u, n: _integer_pow(const(u), int(n)),
        pow=lambda u, y: _pow(const(u), const(y)),
        max=_refuse("max"),
        min=_refuse("min"),
        truth=_refuse("a comparison"),
    )


def _taylor(graph: ExprGraph, ring: Any, start: Any, K: int) -> list[Any]:
    if (
        tuple(graph.shape(graph.input)) not in ((), (1,))
        or math.prod(graph.shape(graph.output)) != 1
    ):
        raise DomainError("series bounds are for functions of one variable with one output")
    one, zero = ring.num(1), ring.num(0)
    x = Series([start, one] + [zero] * (K - 1), ring) if K else Series([start], ring)
    numbers = _arith(ring, K)
    xs = np.empty(graph.shape(graph.input), dtype=object)
    xs[...] = x
    out = _run(graph, replace(numbers, x=xs))
    if isinstance(out, np.ndarray):
        out = out.reshape(-1)[0]
    return numbers.const(out).c


def exact_taylor(graph: ExprGraph, t: Fraction, K: int, side: int = 0) -> list[Fraction]:
    """``f^(i)(t)/i!`` for ``i = 0..K``, exactly; DomainError where a value is not rational
    (or not defined).  ``side = ±1``: the one-sided derivatives from the right / left."""
    return _taylor(graph, _Exact(side), Fraction(t), K)


def interval_taylor(
    graph: ExprGraph, a: Fraction, b: Fraction, K: int, prec: int = 80
) -> list[Any]:
    """Intervals holding ``f^(i)(ξ)/i!`` for every ξ in [a, b], ``i = 0..K`` (mpmath.iv)."""
    with iv_precision(prec):
        return _taylor(graph, _Interval(), rigorous.span(a, b), K)
