"""Rigorous integrals over an end piece where f is singular or beyond interval arithmetic.

Near an end ``a`` of a one-variable integral, write ``x = a + t`` (left end) or ``x = a - t``
(right end) with ``t ∈ (0, ε]`` and ``L = L(t) = -log t``.  Every value of the graph is bounded
by a **growth form**, a finite sum

$$ v(t) \\in \\sum_k W_k \\, t^{\\alpha_k} L^{m_k} \\qquad (0 < t \\le \\varepsilon), $$

with rational exponents and interval coefficients ``W_k`` (mpmath.iv).  Sums and products act
on the terms exactly (so ``1 - (1 - t)^2 = 2t - t^2`` keeps its cancellation); an op that needs
one scale first **collapses** the form onto its dominant term (smallest α, then largest m):
every other term is ``t^α L^m · (t^δ L^μ)`` with ``δ > 0``, or ``δ = 0, μ < 0``, and the factor
``t^δ L^μ`` lies in ``[0, s]`` on ``(0, ε]``, ``s`` its supremum (:meth:`Tail.sup`).  Then

- ``log v = -α L + m log L + log W``, with ``log L ∈ L · [0, log L_ε / L_ε]`` (``log L / L``
  decreases for ``L ≥ e``; ``L_ε = -log ε``): needs ``W > 0``;
- ``v^p = t^{αp} L^{mp} W^p`` (sqrt, rsqrt, cbrt, real and negative powers, quotients);
- ``exp v``: the terms in ``L^m`` with ``0 < m ≤ 1`` give a coefficient ``C ⊆ [c^-, c^+]`` of
  ``L``, and ``exp(cL) = t^{-c} ⊆ t^{-c^+} [0, 1]``; the bounded terms B go through the
  mean-value form below: ``exp v ∈ t^{-c^+} · [0, 1] · exp B``;
- ``exp v`` of a v tending to −∞ (``exp(−1/t)``): a power ``t^6`` times a constant
  (:func:`_exp_decay`); of a v tending to +∞ (``exp(1/t)``), a lower bound only,
  ``[b, ∞] · t^{-12}`` (:func:`_exp_growth`), so that ``1/(e^{1/t} − 1)`` decays like
  ``t^{12}`` (``x^3/(e^x − 1)`` over ``[0, ∞)``);
- any other function g of a bounded form v: the mean-value form
  ``g(c) + (v − c) · g'(range)`` (c the midpoint of v's constant term), so that
  ``sin(t) ∈ t · cos([0, ε])`` keeps its factor t, or g over the form's range where v is
  constant; of an unbounded form, its global range where it has one (sin, cos,
  tanh, erf, atan, sigmoid: so ``sin(1/x)`` is bounded by 1).

Finally ``f ∈ W t^α L^m`` with ``α > -1`` gives ``∫_0^ε f ∈ W · J``, where
``J = ∫_0^ε t^α L^m dt = ε^{β} ∫_0^∞ e^{-βs} (L_ε + s)^m ds`` (``t = ε e^{-s}``, ``β = α + 1``),
exactly ``ε^β Σ_j C(m, j) L_ε^{m-j} j! / β^{j+1}`` for an integer ``m ≥ 0``, bracketed by
the neighbouring integers for other ``m > 0`` and by Bernoulli's inequality for ``m < 0``.
So ``∫ √x log x`` over ``(0, ε]`` is enclosed to rounding, and ``x^x = exp(x log x)``,
``log(x)^2``, ``√(1 - x^2)`` at 1 or ``1/√x`` are handled alike.  Constants of the graph
stay exact rationals through ``+ − ×`` (so ``1/7 − x/7`` at ``x = 1 − t`` is exactly
``t/7``).  What the arithmetic cannot bound (``sinh(1/x)``, ``log(sin(1/x))``) or show
integrable (``1/x``; ``exp(1/x)``, bounded below only) raises :class:`TailError` with the
reason.

This module is trusted code of the checker (mpmath.iv with the audited primitives only); the
integration app calls it for its end pieces and the checker calls it again for each tail leaf.
"""

from __future__ import annotations

import math
from dataclasses import replace
from fractions import Fraction
from typing import Any, Literal

import numpy as np
from mpmath import iv, mp

from autobound.errors import DomainError
from autobound.graph import ExprGraph

from . import rigorous
from .gradient import SLOPES
from .reference import _INTERVAL, _iv_pow, _iv_truth, _refuse_step, _refuse_switch, _run
from .rigorous import exact, fraction, hi, iv_exp, iv_log, iv_precision, lo

__all__ = ["MAX_WIDTH", "TailError", "tail_integral"]

#: The widest end piece analysed: ``ε ≤ 1/16`` keeps ``L_ε = -log ε ≥ 2.77 > e``.
MAX_WIDTH = Fraction(1, 16)
#: Terms kept per form; beyond, the most decaying ones are folded into the next.
MAX_TERMS = 6

Key = tuple[Fraction, Fraction]  # (alpha, m)


class TailError(Exception):
    """The growth arithmetic cannot bound f on the end piece (the reason is the message)."""


class Tail:
    """The end piece ``t ∈ (0, ε]``: ε, ``L_ε = -log ε`` (an interval) and the factor bounds."""

    def __init__(self, eps: Fraction):
        self.eps = eps
        self.log_eps = iv_log(exact(eps))  # log ε < 0
        self.L = -self.log_eps
        if not lo(self.L) > mp.e:
            raise TailError(f"the end piece is too wide (width {float(eps):.3g} > 1/16)")
        self.log_L = iv_log(self.L)

    def power(self, delta: Fraction, mu: Fraction) -> Any:
        """An interval holding ``ε^δ L_ε^μ``."""
        return iv_exp(exact(delta) * self.log_eps + exact(mu) * self.log_L)

    def sup(self, delta: Fraction, mu: Fraction) -> Any:
        """An upper bound of ``t^δ L^μ`` on ``(0, ε]`` for ``δ > 0``, or ``δ = 0, μ < 0``.

        ``d/dt log(t^δ L^μ) = (δ - μ/L)/t``: the factor increases on ``(0, ε]`` when
        ``μ ≤ δ L_ε`` (then its supremum is its value at ε), else its global maximum over
        ``(0, 1)``, ``(μ / (eδ))^μ`` at ``L = μ/δ``, bounds it."""
        if delta == 0 or mu <= 0 or mu <= delta * fraction(lo(self.L)):
            return hi(self.power(delta, mu))
        q = exact(mu) / (exact(delta) * iv_exp(iv.mpf(1)))
        return hi(iv_exp(exact(mu) * iv_log(q)))

    def factor(self, delta: Fraction, mu: Fraction) -> Any:
        """The range ``[0, s]`` of the decaying factor ``t^δ L^μ`` (``[1, 1]`` for (0, 0))."""
        if delta == 0 and mu == 0:
            return iv.mpf(1)
        if delta < 0 or (delta == 0 and mu > 0):
            raise AssertionError("not a decaying factor")
        return iv.mpf([0, self.sup(delta, mu)])


#: Exact rational coefficients are kept while their numerators and denominators stay short.
MAX_BITS = 512


def _iv(w: Any) -> Any:
    """A coefficient (an exact Fraction or an interval) as an interval."""
    return exact(w) if isinstance(w, Fraction) else w


def _is_zero(w: Any) -> bool:
    return w == 0 if isinstance(w, Fraction) else lo(w) == 0 and hi(w) == 0


def _exact_or_interval(q: Fraction) -> Any:
    if max(abs(q.numerator).bit_length(), q.denominator.bit_length()) > MAX_BITS:
        return exact(q)
    return q


def _plus(a: Any, b: Any) -> Any:
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return _exact_or_interval(a + b)
    return _iv(a) + _iv(b)


def _times(a: Any, b: Any) -> Any:
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return _exact_or_interval(a * b)
    return _iv(a) * _iv(b)


def _bounded(key: Key) -> bool:
    alpha, m = key
    return alpha > 0 or (alpha == 0 and m <= 0)


def _order(key: Key) -> tuple[Fraction, Fraction]:
    return key[0], -key[1]  # dominant first: smallest alpha, then largest m


class Form:
    """``Σ_k W_k t^{α_k} L^{m_k}`` on the tail (see the module docstring); a coefficient is an
    interval, or an exact Fraction while it comes from exact rationals by + − ×."""

    __slots__ = ("rational", "tail", "terms")

    def __init__(self, tail: Tail, terms: dict[Key, Any], rational: Fraction | None = None):
        self.tail = tail
        self.rational = rational  # the exact value of a constant of the graph, if any
        self.terms = {k: w for k, w in terms.items() if not _is_zero(w)}
        if len(self.terms) > MAX_TERMS:
            self._fold()

    def _fold(self) -> None:
        keys = sorted(self.terms, key=_order)
        target, rest = keys[MAX_TERMS - 1], keys[MAX_TERMS:]
        w = self.terms[target]
        for k in rest:
            w = _iv(w) + _iv(self.terms.pop(k)) * self.tail.factor(
                k[0] - target[0], k[1] - target[1]
            )
        self.terms[target] = w

    def _lift(self, other: Any) -> Form:
        if isinstance(other, Form):
            return other
        if isinstance(other, (int, np.integer)) and not isinstance(other, bool):
            other = Fraction(int(other))
        return constant(self.tail, other if isinstance(other, (iv.mpf, Fraction)) else exact(other))

    def __add__(self, other: Any) -> Form:
        terms = dict(self.terms)
        for k, w in self._lift(other).terms.items():
            terms[k] = _plus(terms[k], w) if k in terms else w
        return Form(self.tail, terms)

    __radd__ = __add__

    def __neg__(self) -> Form:
        negated = None if self.rational is None else -self.rational
        return Form(self.tail, {k: -w for k, w in self.terms.items()}, negated)

    def __sub__(self, other: Any) -> Form:
        return self + (-self._lift(other))

    def __rsub__(self, other: Any) -> Form:
        return self._lift(other) + (-self)

    def __mul__(self, other: Any) -> Form:
        terms: dict[Key, Any] = {}
        for (a1, m1), w1 in self.terms.items():
            for (a2, m2), w2 in self._lift(other).terms.items():
                k = (a1 + a2, m1 + m2)
                w = _times(w1, w2)
                terms[k] = _plus(terms[k], w) if k in terms else w
        return Form(self.tail, terms)

    __rmul__ = __mul__

    def collapse(self) -> tuple[Fraction, Fraction, Any]:
        """``(α, m, W)`` with ``v ∈ W t^α L^m`` on the tail (the dominant term's scale)."""
        if not self.terms:
            return Fraction(0), Fraction(0), iv.mpf(0)
        keys = sorted(self.terms, key=_order)
        alpha, m = keys[0]
        w = self.terms[keys[0]]
        for k in keys[1:]:
            w = _iv(w) + _iv(self.terms[k]) * self.tail.factor(k[0] - alpha, k[1] - m)
        return alpha, m, _iv(w)

    def range(self) -> Any | None:
        """An interval holding v on the whole tail, or None where a term is unbounded."""
        if not all(_bounded(k) for k in self.terms):
            return None
        total = iv.mpf(0)
        for (alpha, m), w in self.terms.items():
            total = total + _iv(w) * self.tail.factor(alpha, m)
        return total

    def constant_value(self) -> Any | None:
        if not self.terms:
            return iv.mpf(0)
        if set(self.terms) == {(Fraction(0), Fraction(0))}:
            return _iv(self.terms[Fraction(0), Fraction(0)])
        return None

    def __repr__(self) -> str:
        body = " + ".join(f"{w} t^{a} L^{m}" for (a, m), w in sorted(self.terms.items()))
        return f"Form({body or '0'})"


def constant(tail: Tail, w: Any) -> Form:
    return Form(tail, {(Fraction(0), Fraction(0)): w})


def _graph_constant(tail: Tail, value: Any) -> Form:
    """A constant of the graph, kept as an exact Fraction (1/7 − 1/7 = 0, not an interval)."""
    if isinstance(value, (Fraction, int, float, np.integer, np.floating)):
        if not isinstance(value, bool) and math.isfinite(value):
            q = (
                Fraction(value)
                if isinstance(value, Fraction)
                else Fraction(value.item() if isinstance(value, np.generic) else value)
            )
            return Form(tail, {(Fraction(0), Fraction(0)): q}, q)
    return constant(tail, exact(value))


def _power(v: Form, p: Fraction, w_power) -> Form:
    alpha, m, w = v.collapse()
    return Form(v.tail, {(alpha * p, m * p): w_power(w)})


def _log(v: Form) -> Form:
    alpha, m, w = v.collapse()
    if not lo(w) > 0:
        raise DomainError(f"log of a value that may reach 0 or below near the end ({w})")
    tail = v.tail
    c = hi(tail.log_L / lo(tail.L))  # log L / L <= log L_eps / L_eps for L >= L_eps >= e
    one = (Fraction(0), Fraction(1))
    coef = exact(-alpha) + exact(m) * iv.mpf([0, c])
    return Form(tail, {one: coef, (Fraction(0), Fraction(0)): iv_log(w)})


def _exp(v: Form) -> Form:
    tail = v.tail
    bounded, slope = {}, iv.mpf(0)
    for (alpha, m), w in v.terms.items():
        if _bounded((alpha, m)):
            bounded[alpha, m] = w
        elif alpha == 0 and 0 < m <= 1:  # L^m = L · L^(m - 1), L^(m-1) in (0, L_eps^(m-1)]
            slope = slope + _iv(w) * tail.factor(Fraction(0), m - 1)
        else:
            return _exp_decay(v)
    scale = _via_range("exp", {})(Form(tail, bounded))  # exp of the bounded part
    if not mp.isfinite(hi(slope)):
        raise TailError("exp of a value whose growth has no finite bound at the end")
    top = fraction(hi(slope))  # exp(cL) = t^-c <= t^-top (0 < t < 1), a rational exponent
    spread = iv.mpf(1) if lo(slope) == hi(slope) else iv.mpf([0, 1])
    return Form(tail, {(-top, Fraction(0)): spread}) * scale


#: The power of t that ``exp`` of a value tending to -∞ is bounded by (:func:`_exp_decay`).
DECAY_POWER = 6
#: The power of 1/t that ``exp`` of a value tending to +∞ is bounded below by: its
#: reciprocal then decays like t^12, enough for x^5/(e^x - 1) over [0, ∞) after the
#: substitution (its Jacobian costs t^-2).
GROWTH_POWER = 12


def _exp_decay(v: Form) -> Form:
    """``exp v`` where v grows without bound: only a v tending to -∞ is bounded, by a power.

    With ``v ≤ −c y``, ``y = t^α L^m`` (the collapsed form, ``c = −sup W > 0``):

    - ``α < 0``: ``e^{−cy} ≤ (q/(ce))^q y^{−q}`` for every ``q > 0`` (the maximum of
      ``y^q e^{−cy}``); with ``q = P/(−α)`` (P = :data:`DECAY_POWER`),
      ``exp v ∈ [0, (q/(ce))^q] t^P L^{−mq}``;
    - ``α = 0, m > 1``: ``L^m ≥ L · L_ε^{m−1}``, so ``e^{−cL^m} ≤ t^{c L_ε^{m−1}} ≤ t^p`` for a
      rational ``p ≤ c L_ε^{m−1}``.
    """
    tail = v.tail
    alpha, m, w = v.collapse()
    if lo(w) > 0:
        return _exp_growth(tail, alpha, m, iv.mpf(lo(w)))
    if not hi(w) < 0:
        raise TailError(f"exp of a value growing like t^{alpha} log(1/t)^{m} at the end")
    c = iv.mpf(-hi(w))  # v <= -c y pointwise, c > 0 exactly representable
    if alpha < 0:
        q = Fraction(DECAY_POWER) / -alpha
        log_bound = exact(q) * (iv_log(exact(q) / c) - 1)
        bound = iv.mpf([0, hi(iv_exp(log_bound))])
        return Form(tail, {(Fraction(DECAY_POWER), -m * q): bound})
    rate = c * iv_exp(exact(m - 1) * iv_log(iv.mpf(lo(tail.L))))
    p = fraction(lo(rate))
    p = Fraction(math.floor(p * 64), 64)  # a short rational below c L_eps^(m-1)
    return Form(tail, {(p, Fraction(0)): iv.mpf([0, 1])})


def _exp_growth(tail: Tail, alpha: Fraction, m: Fraction, c: Any) -> Form:
    """``exp v`` of a v tending to +∞, ``v ≥ c y`` with ``y = t^α L^m``, ``c > 0``: only a
    lower bound of its growth, as a form whose coefficient is ``[b, ∞]`` (so that a
    quotient by it decays, as ``1/(e^{1/t} − 1)``; the value itself has no finite bound).

    - ``α < 0``: ``e^{cy} ≥ (cy)^n / n!`` for the integer ``n = ⌈P/(−α)⌉`` (P =
      :data:`GROWTH_POWER`): ``exp v ∈ [c^n/n!, ∞] · t^{αn} L^{mn}``;
    - ``α = 0, m > 1``: ``L^m ≥ L · L_ε^{m−1}``, so ``e^{cL^m} ≥ t^{−c L_ε^{m−1}} ≥ t^{−p}``
      for a rational ``0 < p ≤ c L_ε^{m−1}``: ``exp v ∈ [1, ∞] · t^{−p}``.
    """
    if alpha < 0:
        n = math.ceil(Fraction(GROWTH_POWER) / -alpha)
        low = c**n / exact(math.factorial(n))
        return Form(tail, {(alpha * n, m * n): iv.mpf([lo(low), mp.inf])})
    rate = c * iv_exp(exact(m - 1) * iv_log(iv.mpf(lo(tail.L))))
    p = Fraction(math.floor(fraction(lo(rate)) * 64), 64)  # a short rational below the rate
    if not p > 0:
        raise TailError(f"exp of a value growing like log(1/t)^{m} too slowly at the end")
    return Form(tail, {(-p, Fraction(0)): iv.mpf([1, mp.inf])})


def _global_range(name: str) -> Any | None:
    """The range of a bounded function over the whole real line (None if unbounded)."""
    match name:
        case "sin" | "cos" | "tanh" | "erf":
            return iv.mpf([-1, 1])
        case "sigmoid":
            return iv.mpf([0, 1])
        case "atan":
            half_pi = rigorous.iv_pi() / 2
            return iv.mpf([-hi(half_pi), hi(half_pi)])
    return None


def _via_range(name: str, params: Any) -> Any:
    """A function g of a bounded form v: where v varies (terms beyond the constant one), the
    mean-value form ``g(v) ∈ g(c) + (v − c) · g'(R)`` (c the midpoint of v's constant term, R
    the hull of v's range and c; g' from :data:`verify.gradient.SLOPES`, Clarke hulls at
    kinks), which keeps the decay of ``v − c`` (``sin(t) ∈ t · cos([0, ε])``); else g over
    v's range.  Of an unbounded v: g's global range where g is bounded (``sin(1/x)``)."""

    def f(v: Form) -> Form:
        r = v.range()
        if r is None:
            whole = _global_range(name)
            if whole is None:
                raise TailError(f"{name} of a value unbounded at the end ({v!r})")
            return constant(v.tail, whole)
        value = constant(v.tail, rigorous.apply(name, r, params))
        c = v.constant_value()
        if c is not None or name not in SLOPES:
            return value
        zero = (Fraction(0), Fraction(0))
        mid = iv.mpf(rigorous._mid(_iv(v.terms[zero]))) if zero in v.terms else iv.mpf(0)
        slope = SLOPES[name](rigorous.hull(r, mid), params)
        if not (mp.isfinite(lo(slope)) and mp.isfinite(hi(slope))):
            return value
        return constant(v.tail, rigorous.apply(name, mid, params)) + (v - mid) * slope

    return f


def _elementwise(name: str, params: Any) -> Any:
    match name:
        case "log":
            return _log
        case "exp":
            return _exp
        case "sqrt":
            return lambda v: _power(v, Fraction(1, 2), lambda w: rigorous.apply("sqrt", w, {}))
        case "rsqrt":
            return lambda v: _power(v, Fraction(-1, 2), lambda w: rigorous.apply("rsqrt", w, {}))
        case "cbrt":
            return lambda v: _power(v, Fraction(1, 3), lambda w: rigorous.apply("cbrt", w, {}))
        case "abs":
            return lambda v: _power(v, Fraction(1), lambda w: rigorous.apply("abs", w, {}))
        case "square":
            return lambda v: v * v
    return _via_range(name, params)


def _reciprocal(v: Form) -> Form:
    return _power(v, Fraction(-1), lambda w: _INTERVAL.div(iv.mpf(1), w))


def _integer_pow(v: Form, n: int) -> Form:
    if n < 0:
        return _reciprocal(_integer_pow(v, -n))
    out, base = constant(v.tail, iv.mpf(1)), v
    while n:
        if n & 1:
            out = out * base
        n >>= 1
        if n:
            base = base * base
    return out


def _pow(v: Form, y: Form) -> Form:
    """``v ** y``: a constant exponent p (exact in the graph) scales the exponents by p;
    otherwise ``exp(y log v)``."""
    q = y.rational
    if q is not None:
        if q.denominator == 1:
            return _integer_pow(v, int(q))
        p = y.constant_value()
        return _power(v, q, lambda w: _positive_power(w, q, p))
    return _exp(y * _log(v))


def _positive_power(w: Any, q: Fraction, p: Any) -> Any:
    """``w ** q`` for an exact non-integer q (p an interval holding it): needs ``w >= 0``
    (``w > 0`` for q < 0)."""
    if not (lo(w) > 0 or (lo(w) == 0 and q > 0)):
        raise DomainError(f"a real power {q} of a value that may reach {lo(w)} near the end")
    if lo(p) == hi(p):
        return _iv_pow(w, p)
    values = [iv.mpf(0) if e == 0 else iv_exp(p * iv_log(iv.mpf(e))) for e in (lo(w), hi(w))]
    return rigorous.hull(*values)


def _extreme(name: str) -> Any:
    def f(a: Form, b: Form) -> Form:
        ra, rb = a.range(), b.range()
        if ra is None or rb is None:
            raise TailError(f"{name} of values unbounded at the end")
        return constant(a.tail, getattr(_INTERVAL, name)(ra, rb))

    return f


def _truth(v: Form) -> bool:
    c = v.constant_value()
    if c is None:
        raise TailError("a select whose predicate varies near the end")
    return _iv_truth(c)


def _integral_J(tail: Tail, alpha: Fraction, m: Fraction) -> Any:
    """An interval holding ``J = ∫_0^ε t^α L^m dt`` (``α > -1``), see the module docstring."""
    beta = alpha + 1
    scale = iv_exp(exact(beta) * tail.log_eps)  # ε^β

    def K(n: int) -> Any:  # ∫_0^∞ e^{-βs} (L_ε + s)^n ds
        total = iv.mpf(0)
        for j in range(n + 1):
            total = total + math.comb(n, j) * tail.L ** (n - j) * math.factorial(j) / (
                exact(beta) ** (j + 1)
            )
        return total

    if m < 0:  # L_ε^m (1 + m s/L_ε) <= (L_ε + s)^m <= L_ε^m (Bernoulli; decreasing in s)
        first = scale * iv_exp(exact(m) * tail.log_L) / exact(beta)
        lower = first * (1 + exact(m) / (tail.L * exact(beta)))
        return iv.mpf([max(lo(lower), 0), hi(first)])
    if m.denominator == 1:
        return scale * K(int(m))
    n = math.floor(m)
    low = scale * K(n) * iv_exp(exact(m - n) * tail.log_L)
    high = scale * K(n + 1) * iv_exp(exact(m - n - 1) * tail.log_L)
    return iv.mpf([lo(low), hi(high)])


def _check_graph(graph: ExprGraph) -> None:
    if math.prod(graph.shape(graph.input)) != 1 or math.prod(graph.shape(graph.output)) != 1:
        raise TailError("end pieces are analysed for functions of one variable with one output")


def tail_integral(
    graph: ExprGraph,
    end: Fraction,
    width: Fraction,
    side: Literal["lo", "hi"],
    prec: int = 80,
    width_hi: Fraction | None = None,
) -> tuple[Fraction, Fraction]:
    """Exact bounds (computed in mpmath.iv at `prec` bits) on ``∫ f`` over the end piece
    ``[end, end + width]`` (`side` ``"lo"``: `end` is the piece's lower end) or
    ``[end - width, end]`` (``"hi"``), f bounded by growth forms in ``t = |x - end|``.

    With `width_hi`, the piece's width is only known to lie in ``[width, width_hi]``: the
    forms are built on ``(0, width_hi]`` and the integral of ``t^α L^m`` (increasing in the
    width) is taken between the two.

    **Raises:** :class:`TailError` (with the reason) where the growth arithmetic cannot bound
    f or cannot show it integrable (``α ≤ -1``); a DomainError becomes a TailError too.
    """
    _check_graph(graph)
    width_hi = width if width_hi is None else width_hi
    if not (0 < width <= width_hi <= MAX_WIDTH):
        raise TailError(f"the end piece must have a width in (0, 1/16], got {float(width_hi):.3g}")
    with iv_precision(prec):
        tail = Tail(width_hi)
        x = constant(tail, Fraction(end)) + Form(
            tail, {(Fraction(1), Fraction(0)): Fraction(1 if side == "lo" else -1)}
        )
        arith = replace(
            _INTERVAL,
            const=lambda value: value if isinstance(value, Form) else _graph_constant(tail, value),
            elementwise=_elementwise,
            div=lambda a, b: a * _reciprocal(b),
            integer_pow=_integer_pow,
            pow=_pow,
            max=_extreme("max"),
            min=_extreme("min"),
            truth=_truth,
            switch=_refuse_switch,
            step=_refuse_step,
            x=_as_input(x, tuple(graph.shape(graph.input))),
        )
        try:
            out = _run(graph, arith)
        except DomainError as err:
            raise TailError(str(err)) from None
        except (ZeroDivisionError, ValueError, OverflowError) as err:
            raise TailError(f"{type(err).__name__}: {err}") from None
        value = out.reshape(-1)[0] if hasattr(out, "reshape") else out
        alpha, m, w = value.collapse()
        if alpha <= -1:
            raise TailError(
                f"f may not be integrable at the end {float(end):.17g}: bounded only by "
                f"t^{alpha} log(1/t)^{m} (needs an exponent > -1)"
            )
        J = _integral_J(tail, alpha, m)
        if width_hi != width:
            J = rigorous.hull(_integral_J(Tail(width), alpha, m), J)
        result = w * J
        if not (mp.isfinite(lo(result)) and mp.isfinite(hi(result))):
            raise TailError(f"no finite bound of f near the end {float(end):.17g}")
        return fraction(lo(result)), fraction(hi(result))


def _as_input(x: Form, shape: tuple) -> Any:
    arr = np.empty(shape, dtype=object)
    arr.reshape(-1)[0] = x
    return arr
