"""Where the derivatives of the elementwise functions change sign, proved once in exact arithmetic.

The sharp remainder (Streeter & Dillon 2022, Thm. 3) needs ``phi^(k)`` monotone on each side
of the expansion point, i.e. ``phi^(k+1)`` of one sign there.  An interval series of
``phi^(k+1)`` over the side can prove that only when it does not overestimate much; for the
logistic family, erf, atan, gelu and asin it often cannot at degree 3-4.  Their derivatives
have a known form, a polynomial P times a positive factor:

* sigmoid: ``sigma^(n)(x) = P_n(sigma(x))`` with ``P_1(s) = s − s²``, ``P_{n+1} = P_n'·(s − s²)``;
  sigma is increasing, so sign changes sit at ``logit(s)`` for the roots s of P_n in (0, 1).
  softplus^(n) = sigma^(n−1), tanh^(n)(x) = 2^(n+1) sigma^(n)(2x).
* erf: ``erf^(n) = (2/sqrt(pi)) q_n(x) exp(−x²)``, ``q_1 = 1``, ``q_{n+1} = q_n' − 2x q_n``.
* gelu = x Phi(x): for n >= 2, ``gelu^(n) = (x r_{n−1} + n r_{n−2}) phi(x)`` with
  ``phi^(m) = r_m phi``, ``r_0 = 1``, ``r_{m+1} = r_m' − x r_m``.
* atan: ``atan^(n) = N_n(x) / (1 + x²)^n``; asin, acos: ``±M_n(x) (1 − x²)^(1/2 − n)``.
* powers x^p: ``p(p−1)…(p−n+1) x^(p−n)``: a sign change only at 0 (or none at all);
  exp: none; sinh/cosh: at 0 for every other order.

The roots are isolated exactly by sympy (rational isolating intervals), mapped through the
monotone change of variable in 50-digit arithmetic, widened, and rounded outward to float64:
each returned bracket ``[l, u]`` contains a point where ``phi^(n)`` may change sign, and
``phi^(n)`` has one sign on every interval meeting none of them.
"""

from __future__ import annotations

from fractions import Fraction
from functools import cache

import mpmath
import numpy as np
import sympy

Brackets = tuple[tuple[float, float], ...]

_X = sympy.Symbol("x", real=True)
_ISOLATION_EPS = sympy.Rational(1, 10**30)


def _outward(lo: mpmath.mpf, hi: mpmath.mpf) -> tuple[float, float]:
    """A float64 bracket containing [lo, hi] (computed at 50 digits, widened by 1e-40)."""
    margin = mpmath.mpf("1e-40") * (1 + max(abs(lo), abs(hi)))
    return (
        float(np.nextafter(float(lo - margin), -np.inf)),
        float(np.nextafter(float(hi + margin), np.inf)),
    )


def _roots(poly: sympy.Expr, var: sympy.Symbol, lo=None, hi=None) -> list[tuple]:
    """Exact isolating intervals of the real roots of `poly` (inside (lo, hi) if given)."""
    p = sympy.Poly(sympy.expand(poly), var)
    if p.is_zero or p.degree() < 1:
        return []
    out = []
    for (a, b), _mult in p.intervals(eps=_ISOLATION_EPS):
        if (lo is not None and b <= lo) or (hi is not None and a >= hi):
            continue
        out.append((a, b))
    return out


def _mapped(intervals, fn) -> Brackets:
    """Brackets of fn(root) for an increasing fn, from exact isolating intervals."""
    with mpmath.workdps(50):
        return tuple(
            _outward(fn(mpmath.mpf(a.p) / a.q), fn(mpmath.mpf(b.p) / b.q)) for a, b in intervals
        )


@cache
def _sigmoid_poly(n: int) -> sympy.Expr:
    s = sympy.Symbol("s")
    p = s - s**2
    for _ in range(n - 1):
        p = sympy.expand(sympy.diff(p, s) * (s - s**2))
    return p


def _sigmoid_changes(n: int, scale=1) -> Brackets:
    if n == 0:
        return ()
    s = sympy.Symbol("s")
    # P_n has roots at s = 0 and s = 1 (x = ∓inf); keep those strictly inside (0, 1).
    roots = _roots(_sigmoid_poly(n), s, 0, 1)
    if any(a <= 0 or b >= 1 for a, b in roots):
        raise ArithmeticError("an isolating interval reaches s = 0 or 1")

    def logit(v):
        return mpmath.log(v / (1 - v)) / scale

    return _mapped(roots, logit)


def _identity(v):
    return v


def _erf_changes(n: int) -> Brackets:
    q = sympy.Integer(1)
    for _ in range(n - 1):
        q = sympy.expand(sympy.diff(q, _X) - 2 * _X * q)
    return _mapped(_roots(q, _X), _identity)


def _gelu_changes(n: int) -> Brackets | None:
    if n < 2:
        return None  # gelu' = Phi + x phi is not of this form; the interval test decides
    r = [sympy.Integer(1)]
    for _ in range(n - 1):
        r.append(sympy.expand(sympy.diff(r[-1], _X) - _X * r[-1]))
    return _mapped(_roots(_X * r[n - 1] + n * r[n - 2], _X), _identity)


def _atan_changes(n: int) -> Brackets:
    num, _den = sympy.fraction(sympy.together(sympy.diff(1 / (1 + _X**2), _X, n - 1)))
    return _mapped(_roots(num, _X), _identity)


def _asin_changes(n: int) -> Brackets:
    m = sympy.Integer(1)
    for j in range(1, n):
        m = sympy.expand(sympy.diff(m, _X) * (1 - _X**2) + (2 * j - 1) * _X * m)
    return _mapped(_roots(m, _X, -1, 1), _identity)


def power_changes(p: Fraction, n: int) -> Brackets:
    """x^p: phi^(n) = p(p−1)…(p−n+1) x^(p−n) changes sign at most at 0."""
    coefficient = 1
    for j in range(n):
        coefficient *= p - j
    return () if coefficient == 0 else ((0.0, 0.0),)


def _changes_at_zero(every_other: int):
    """sinh (every_other=0) and cosh (1): phi^(n) is sinh, zero at 0, when n % 2 == that."""

    def changes(n: int) -> Brackets:
        return ((0.0, 0.0),) if n % 2 == every_other else ()

    return changes


def _none(n: int) -> Brackets:
    return ()


_AT_ZERO: Brackets = ((0.0, 0.0),)

CHANGES = {
    "exp": _none,
    "expm1": _none,
    "log": lambda n: _AT_ZERO,
    "log1p": lambda n: ((-1.0, -1.0),),
    "sqrt": lambda n: power_changes(Fraction(1, 2), n),
    "rsqrt": lambda n: power_changes(Fraction(-1, 2), n),
    "cbrt": lambda n: power_changes(Fraction(1, 3), n),
    "sinh": _changes_at_zero(0),
    "cosh": _changes_at_zero(1),
    "sigmoid": _sigmoid_changes,
    "softplus": lambda n: _sigmoid_changes(n - 1) if n > 0 else (),
    "tanh": lambda n: _sigmoid_changes(n, scale=2) if n > 0 else _AT_ZERO,
    "erf": lambda n: _erf_changes(n) if n > 0 else _AT_ZERO,
    "gelu": _gelu_changes,
    "atan": lambda n: _atan_changes(n) if n > 0 else _AT_ZERO,
    "asin": lambda n: _asin_changes(n) if n > 0 else _AT_ZERO,
    "acos": lambda n: _asin_changes(n) if n > 0 else None,
}
"""Per function name: order n -> brackets of the sign changes of phi^(n) (None: unknown)."""


def cached(changes):
    """`changes` memoised (the exact root isolation runs once per function and order)."""
    return None if changes is None else cache(changes)
