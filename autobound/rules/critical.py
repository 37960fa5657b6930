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
* atan: ``atan^(n) = N_n(x) / (1 + x²)^n``; asin, acos: ``±M_n(x) (1 − x²)^(1/2 − n)``;
  atanh: ``N_n(x) / (1 − x²)^n``; asinh: ``M_n(x) (1 + x²)^(1/2 − n)``.
* powers x^p: ``p(p−1)…(p−n+1) x^(p−n)``: a sign change only at 0 (or none at all);
  exp: none; sinh/cosh: at 0 for every other order.

The roots are isolated exactly by sympy (rational isolating intervals), mapped through the
monotone change of variable in 50-digit arithmetic, widened, and rounded outward to float64:
each returned bracket ``[l, u]`` contains a point where ``phi^(n)`` may change sign, and
``phi^(n)`` has one sign on every interval meeting none of them.

swish = x sigma(x) mixes x and sigma(x) (``swish^(n) = x P_n(s) + n P_{n−1}(s)``), so its roots
are isolated by interval subdivision in mpmath.iv on [−40, 0], each root proved simple by the
next derivative's sign; the rest of the line follows from ``swish(x) = x + swish(−x)`` and a
tail bound checked in rationals (:func:`_swish_tail_ok`).

:func:`critical` adds, for each sign change c of ``phi^(j+1)``, an enclosure of
``phi^(j)(c)/j!`` (mpmath.iv at 60 digits over the bracket), so that the exact range of
``phi^(j)`` over any interval is the hull of its values at the ends and at those points.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cache, partial
from typing import Any

import mpmath
import numpy as np

from autobound.rules.critical_table import TABLE

Brackets = tuple[tuple[float, float], ...]


class _LazySympy:
    """The sympy module, imported on first use (the import takes ~0.45 s): bounds read the
    stored values (:mod:`autobound.rules.critical_table`) and derive, with sympy, only orders
    above the table."""

    def __getattr__(self, name: str):
        import sympy as module

        return getattr(module, name)


sympy = _LazySympy()


@cache
def _x():
    """The variable x of the functions' sympy forms."""
    return sympy.Symbol("x", real=True)


with mpmath.workprec(200):
    # Minimisers of swish(x) = x sigmoid(x) and gelu(x) = x Phi(x): roots of the derivatives.
    _SWISH_ARGMIN = mpmath.findroot(
        lambda x: 1 / (1 + mpmath.exp(-x)) * (1 + x * (1 - 1 / (1 + mpmath.exp(-x)))), -1.28
    )
    _GELU_ARGMIN = mpmath.findroot(lambda x: mpmath.ncdf(x) + x * mpmath.npdf(x), -0.75)
    SWISH_MINIMUM = (_SWISH_ARGMIN, _SWISH_ARGMIN / (1 + mpmath.exp(-_SWISH_ARGMIN)))
    """(argmin, min) of swish, mpmath numbers at 200 bits."""
    GELU_MINIMUM = (_GELU_ARGMIN, _GELU_ARGMIN * mpmath.ncdf(_GELU_ARGMIN))
    """(argmin, min) of gelu, mpmath numbers at 200 bits."""


def _outward(lo: mpmath.mpf, hi: mpmath.mpf) -> tuple[float, float]:
    """A float64 bracket containing [lo, hi] (computed at 50 digits, widened by 1e-40)."""
    margin = mpmath.mpf("1e-40") * (1 + max(abs(lo), abs(hi)))
    return (
        float(np.nextafter(float(lo - margin), -np.inf)),
        float(np.nextafter(float(hi + margin), np.inf)),
    )


def _roots(poly: sympy.Expr, var: sympy.Symbol, lo=None, hi=None) -> list[tuple]:
    """Exact isolating intervals (pairs of Fractions) of the real roots of `poly` (inside
    (lo, hi) if given)."""
    p = sympy.Poly(sympy.expand(poly), var)
    if p.is_zero or p.degree() < 1:
        return []
    out = []
    for (a, b), _mult in p.intervals(eps=sympy.Rational(1, 10**30)):
        if (lo is not None and b <= lo) or (hi is not None and a >= hi):
            continue
        out.append((Fraction(int(a.p), int(a.q)), Fraction(int(b.p), int(b.q))))
    return out


def _mapped(intervals, fn, exact=None) -> Brackets:
    """Brackets of fn(root) for an increasing fn, from exact isolating intervals (Fraction
    pairs).  A root isolated exactly (a == b) whose image `exact(a)` is a known float keeps a
    zero-width bracket (x0 = 0 at a sign change of phi^(k+1) then still splits two monotone
    sides)."""
    out = []
    with mpmath.workdps(50):
        for a, b in intervals:
            v = exact(a) if exact is not None and a == b else None
            out.append((v, v) if v is not None else _outward(fn(_mpf(a)), fn(_mpf(b))))
    return tuple(out)


def _mpf(q: Fraction) -> mpmath.mpf:
    """q at the working precision."""
    return mpmath.mpf(q.numerator) / q.denominator


def _exact_float(r: Fraction) -> float | None:
    """r as a float when r is exactly representable, else None."""
    f = float(r)
    return f if Fraction(f) == r else None


def _logit_exact(r: Fraction) -> float | None:
    return 0.0 if r == Fraction(1, 2) else None


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

    return _mapped(roots, logit, _logit_exact)


def _identity(v):
    return v


def _erf_changes(n: int) -> Brackets:
    x = _x()
    q = sympy.Integer(1)
    for _ in range(n - 1):
        q = sympy.expand(sympy.diff(q, x) - 2 * x * q)
    return _mapped(_roots(q, x), _identity, _exact_float)


def _gelu_changes(n: int) -> Brackets | None:
    if n == 0:  # gelu = x Phi(x) has the sign of x
        return _AT_ZERO
    if n == 1:
        # gelu' = Phi + x phi has exactly one zero, gelu's minimiser: gelu'' = phi (2 − x²), so
        # gelu' falls from 0 on (−inf, −sqrt 2], rises on [−sqrt 2, sqrt 2] to a positive
        # value and stays above its limit 1 after.  The root is known to 200 bits.
        argmin, _minimum = GELU_MINIMUM
        return (_outward(argmin, argmin),)
    x = _x()
    r = [sympy.Integer(1)]
    for _ in range(n - 1):
        r.append(sympy.expand(sympy.diff(r[-1], x) - x * r[-1]))
    return _mapped(_roots(x * r[n - 1] + n * r[n - 2], x), _identity, _exact_float)


def _atan_changes(n: int) -> Brackets:
    x = _x()
    num, _den = sympy.fraction(sympy.together(sympy.diff(1 / (1 + x**2), x, n - 1)))
    return _mapped(_roots(num, x), _identity, _exact_float)


def _asin_changes(n: int) -> Brackets:
    x = _x()
    m = sympy.Integer(1)
    for j in range(1, n):
        m = sympy.expand(sympy.diff(m, x) * (1 - x**2) + (2 * j - 1) * x * m)
    return _mapped(_roots(m, x, -1, 1), _identity, _exact_float)


def _asinh_changes(n: int) -> Brackets:
    # asinh^(n) = M_n(x) (1 + x²)^(1/2 − n), M_1 = 1, M_{j+1} = M_j' (1 + x²) − (2j − 1) x M_j
    x = _x()
    m = sympy.Integer(1)
    for j in range(1, n):
        m = sympy.expand(sympy.diff(m, x) * (1 + x**2) - (2 * j - 1) * x * m)
    return _mapped(_roots(m, x), _identity, _exact_float)


def _atanh_changes(n: int) -> Brackets:
    # atanh^(n) = N_n(x) / (1 − x²)^n on (−1, 1), where the denominator is positive
    x = _x()
    num, _den = sympy.fraction(sympy.together(sympy.diff(1 / (1 - x**2), x, n - 1)))
    return _mapped(_roots(num, x, -1, 1), _identity, _exact_float)


def power_changes(p: Fraction, n: int) -> Brackets:
    """x^p: phi^(n) = p(p−1)…(p−n+1) x^(p−n) changes sign at most at 0, and not at all
    when p − n is an even integer >= 0 (an even power of x: it touches 0 without crossing),
    so that phi^(n−1) is monotone on the whole line (x**17 at degree 4: phi^(4) ~ x^13)."""
    if p.denominator == 1 and p >= n and (p - n) % 2 == 0:
        return ()
    coefficient = 1
    for j in range(n):
        coefficient *= p - j
    return () if coefficient == 0 else ((0.0, 0.0),)


def _changes_at_zero(every_other: int):
    """sinh (every_other=0) and cosh (1): phi^(n) is sinh, zero at 0, when n % 2 == that."""

    def changes(n: int) -> Brackets:
        return ((0.0, 0.0),) if n % 2 == every_other else ()

    return changes


@cache
def _swish_terms(n: int) -> tuple[list[int], list[int]]:
    """swish^(n)(x) = x P_n(s) + n P_{n-1}(s), s = sigmoid(x), P_0 = s: the integer
    coefficients (lowest degree first) of P_n and n P_{n-1}."""
    s = sympy.Symbol("s")
    prev = s if n == 1 else _sigmoid_poly(n - 1)
    coeffs = lambda p: [int(c) for c in reversed(sympy.Poly(p, s).all_coeffs())]  # noqa: E731
    return coeffs(_sigmoid_poly(n)), coeffs(sympy.expand(n * prev))


def _iv_swish(n: int, x):
    """An interval containing swish^(n) over the mpmath.iv interval x."""
    from mpmath import iv

    s = 1 / (1 + iv.exp(-x))
    p, q = _swish_terms(n)
    horner = lambda cs: sum((c * s**i for i, c in enumerate(cs)), iv.mpf(0))  # noqa: E731
    return x * horner(p) + horner(q)


_SWISH_L = 40  # sign changes of swish^(n) are isolated on [−L, L]; beyond, the tails are proved
# The isolation runs in pure-Python interval arithmetic when a degree is first compiled
# (measured: order 6 0.7 s, 7 2 s, 8 5 s, 9 19 s: interval overestimation of P_n near s = 1/2
# forces ever narrower cells).  Higher orders (degree >= 7) use the interval-series test over
# pieces instead.
_SWISH_MAX_ORDER = 8


def _swish_tail_ok(n: int) -> bool:
    """For x <= −L: P_n(s) = s + s² Q_n(s), so swish^(n) = s((x + n) + x s Q_n + n s Q_{n−1})
    with s <= e^−L < 1e−17; it is negative when L (1 − 1e−17 |Q_n|_1) > n (1 + 1e−17 |Q_{n−1}|_1)
    (|·|_1: sum of absolute coefficients), checked here in exact rationals.  For x >= L,
    swish(x) = x + swish(−x) gives swish^(n)(x) = [n = 1] + (−1)^n swish^(n)(−x): the sign is
    fixed too (for n = 1, 1 minus a negative number)."""
    s_max = Fraction(1, 10**17)
    p, q = _swish_terms(n)
    q_over_n = [Fraction(c, n) for c in q]  # = P_{n−1}
    if p[:2] != [0, 1] or q_over_n[:2] != [0, 1]:
        return False
    c_n = sum(abs(c) for c in p[2:])
    c_m = sum(abs(c) for c in q_over_n[2:])
    return _SWISH_L * (1 - s_max * c_n) > n * (1 + s_max * c_m)


def _iv_sign(v) -> int:
    return 1 if v.a > 0 else (-1 if v.b < 0 else 0)


def _isolate(fn, dfn, lo: Fraction, hi: Fraction, width: Fraction) -> list | None:
    """Brackets of the zeros of fn on [lo, hi], proved with interval evaluations: a cell
    whose enclosure of fn excludes 0 holds none; one where the derivative dfn excludes 0
    holds one exactly when fn changes sign across it (then bisected to a narrow bracket).
    None when a cell narrower than 1e-12 still cannot be decided (e.g. a double root)."""
    from mpmath import iv

    def at(v):
        return fn(iv.mpf([v.numerator, v.numerator]) / v.denominator)

    out, stack = [], []
    cut = lo
    while cut < hi:
        stack.append((cut, min(cut + width, hi)))
        cut += width
    stack.reverse()
    while stack:
        a, b = stack.pop()
        cell = iv.mpf(
            [(iv.mpf(a.numerator) / a.denominator).a, (iv.mpf(b.numerator) / b.denominator).b]
        )
        if _iv_sign(fn(cell)) != 0:
            continue
        if _iv_sign(dfn(cell)) == 0:
            if b - a < Fraction(1, 10**12):
                return None
            mid = (a + b) / 2
            stack += [(mid, b), (a, mid)]
            continue
        sa, sb = _iv_sign(at(a)), _iv_sign(at(b))
        if sa == 0 or sb == 0 or sa == sb:
            if sa * sb == 0:  # a zero at a cell end: keep the cell as its bracket
                out.append((a, b))
            continue
        for _ in range(200):  # one simple root in (a, b): bisect
            if b - a <= abs(a) * Fraction(1, 2**60) + Fraction(1, 2**1000):
                break
            mid = (a + b) / 2
            sm = _iv_sign(at(mid))
            if sm == 0:
                break
            a, b = (mid, b) if sm == sa else (a, mid)
        out.append((a, b))
    return out


def _swish_changes(n: int) -> Brackets | None:
    """Sign changes of swish^(n), n >= 1: isolated on [−L, 0] (none lie on (0, inf) for n = 1,
    and for n >= 2 they are symmetric, swish^(n)(−x) = ±swish^(n)(x)), tails proved."""
    from mpmath import iv

    if n > _SWISH_MAX_ORDER or not _swish_tail_ok(n):
        return None
    old = iv.dps
    iv.dps = 30
    try:
        fn, dfn = partial(_iv_swish, n), partial(_iv_swish, n + 1)
        odd = n >= 3 and n % 2 == 1  # then swish^(n) is odd: a zero at 0
        stop = Fraction(-1, 10**6) if odd else Fraction(0)
        found = _isolate(fn, dfn, Fraction(-_SWISH_L), stop, Fraction(1, 4))
        if found is None:
            return None
        if odd:  # 0 is the only zero on [−1e-6, 1e-6] when swish^(n+1) keeps its sign there
            if _iv_sign(dfn(iv.mpf(["-1e-6", "1e-6"]))) == 0:
                return None
            found.append((Fraction(0), Fraction(0)))
    finally:
        iv.dps = old
    if n >= 2:
        found += [(-b, -a) for a, b in found if b < 0]
    return _mapped(sorted(found), _identity, _exact_float)


_AT_ZERO: Brackets = ((0.0, 0.0),)


def at_zero(n: int) -> Brackets:
    """A sign change at 0 for every order (log's pole: phi^(n) is unbounded there)."""
    return _AT_ZERO


def at_minus_one(n: int) -> Brackets:
    """A sign change at -1 for every order (log1p's pole)."""
    return ((-1.0, -1.0),)


def none_(n: int) -> Brackets:
    """No sign change at any order (exp, expm1)."""
    return ()


def softplus_changes(n: int) -> Brackets:
    """softplus^(n) = sigmoid^(n-1)."""
    return _sigmoid_changes(n - 1) if n > 0 else ()


def tanh_changes(n: int) -> Brackets:
    """tanh^(n)(x) = 2^(n+1) sigmoid^(n)(2x); tanh itself changes sign at 0."""
    return _sigmoid_changes(n, scale=2) if n > 0 else _AT_ZERO


def _odd_at_zero(changes):
    """`changes` for n >= 1, and the sign change of an odd increasing phi at 0 for n = 0."""

    def at_order(n: int) -> Brackets | None:
        return changes(n) if n > 0 else _AT_ZERO

    return at_order


def _unknown_at_zero(changes):
    """`changes` for n >= 1; unknown (None) for n = 0 (acos has no sign change, but the
    table never said so)."""

    def at_order(n: int) -> Brackets | None:
        return changes(n) if n > 0 else None

    return at_order


sigmoid_changes = _sigmoid_changes
erf_changes = _odd_at_zero(_erf_changes)
gelu_changes = _gelu_changes
swish_changes = _odd_at_zero(_swish_changes)
atan_changes = _odd_at_zero(_atan_changes)
asin_changes = _odd_at_zero(_asin_changes)
acos_changes = _unknown_at_zero(_asin_changes)
asinh_changes = _odd_at_zero(_asinh_changes)
atanh_changes = _odd_at_zero(_atanh_changes)
sinh_changes = _changes_at_zero(0)
cosh_changes = _changes_at_zero(1)


def cached(changes):
    """`changes` memoised (the exact root isolation runs once per function and order)."""
    return None if changes is None else cache(changes)


# -- values of phi^(j) at the sign changes of phi^(j+1) ----------------------------------------

Critical = tuple[tuple[float, float, float, float], ...]


def _iv_erf(v):
    """erf over the interval v: erf is increasing, mpmath's erf at 60 digits is accurate far
    below the 1e-50 slack."""
    from mpmath import iv

    with mpmath.workdps(70):
        slack = mpmath.mpf("1e-50")
        return iv.mpf([mpmath.erf(v.a) - slack, mpmath.erf(v.b) + slack])


def _iv_range(expr: sympy.Expr, lo: float, hi: float) -> tuple[float, float]:
    """float64 bounds of `expr` over [lo, hi] by mpmath interval arithmetic at 60 digits."""
    from mpmath import iv

    names = {"exp": iv.exp, "log": iv.log, "sqrt": iv.sqrt, "pi": iv.pi, "mpf": iv.mpf}
    names["erf"] = _iv_erf
    fn = sympy.lambdify(_x(), expr, modules=[names, "mpmath"])
    old = iv.dps
    iv.dps = 60
    try:
        v = fn(iv.mpf([lo, hi]))
    finally:
        iv.dps = old
    return _outward(mpmath.mpf(v.a), mpmath.mpf(v.b))


def power_critical(p: Fraction, j: int) -> Critical:
    """x^p: phi^(j+1) changes sign at most at 0, where phi^(j)/j! is 0 (p > j), 1 (p == j)
    or unbounded (p < j)."""
    if not power_changes(p, j + 1):
        return ()
    if p > j:
        value = (0.0, 0.0)
    elif p == j:
        value = (1.0, 1.0)
    else:
        value = (-np.inf, np.inf)
    return ((0.0, 0.0) + value,)


@dataclass(frozen=True, eq=False)
class CriticalPoints:
    """Where the derivatives of one elementwise function phi change sign, and how to enclose
    ``phi^(j)/j!`` there: the critical-point data of a function's record
    (:class:`autobound.rules.functions.FunctionSpec`).

    **Fields:**

    - `changes(n)`: brackets of the sign changes of ``phi^(n)`` (None: unknown for that
      order); derived from `power` when that is given.
    - `form`: phi as a function of the sympy variable x returning a sympy expression in
      exp/log/sqrt/erf of x only, so that mpmath.iv can evaluate its derivatives over a
      bracket (the default source of values); a function, so that sympy is imported only
      when some value is needed.
    - `power`: phi = x^p: sign changes at most at 0, values from :func:`power_critical`.
    - `pole`: the brackets are a pole of phi (log at 0, log1p at -1), never inside a region in
      the domain: the values there are unbounded.
    - `first_value`: phi at its one critical point, when known exactly (gelu: its minimum),
      used for j = 0 instead of an interval evaluation of `form`.
    """

    changes: Callable[[int], Brackets | None] | None = None
    form: Callable[[Any], Any] | None = None
    power: Fraction | None = None
    pole: bool = False
    first_value: mpmath.mpf | None = None

    def brackets(self, n: int) -> Brackets | None:
        """The sign changes of ``phi^(n)`` (see `changes`)."""
        if self.power is not None:
            return power_changes(self.power, n)
        return self.changes(n)

    def values(self, j: int) -> Critical | None:
        """For each point c where ``phi^(j+1)`` may change sign: its bracket ``(l, u)`` and an
        enclosure ``(vlo, vhi)`` of ``phi^(j)(c)/j!`` (float64, outward); memoised."""
        return _values(self, j)


@cache
def _values(points: CriticalPoints, j: int) -> Critical | None:
    brackets = points.brackets(j + 1)
    if brackets is None:
        return None
    if not brackets:
        return ()
    if points.first_value is not None and j == 0:  # the one zero of phi' is known exactly
        v = points.first_value
        return tuple(b + _outward(v, v) for b in brackets)
    if points.power is not None:
        return power_critical(points.power, j)
    if points.pole:  # never inside a region in the domain
        return tuple(b + (-np.inf, np.inf) for b in brackets)
    x = _x()
    expr = sympy.diff(points.form(x), x, j) / sympy.factorial(j)
    return tuple(b + _iv_range(expr, *b) for b in brackets)


def values_of(name: str, points: CriticalPoints, j: int) -> Critical | None:
    """``points.values(j)`` for the function `name`, read from the stored table
    (:mod:`autobound.rules.critical_table`) where it holds ``(name, j)``: deriving a value
    takes sympy (imported on first use, 0.45 s) and 5-30 ms per function and order."""
    key = (name, j)
    return TABLE[key] if key in TABLE else points.values(j)


def critical(name: str, j: int) -> Critical | None:
    """For each point c where ``phi^(j+1)`` may change sign: its bracket ``(l, u)`` and an
    enclosure ``(vlo, vhi)`` of ``phi^(j)(c)/j!`` (float64, outward).  With these the range of
    phi^(j) over any interval is the hull of its values at the ends and at the brackets
    inside.  None where the sign changes are not known."""
    from autobound.rules.functions import FUNCTIONS  # the records build on this module

    spec = FUNCTIONS.get(name)
    return None if spec is None or spec.critical is None else values_of(name, spec.critical, j)


def derive_table(j_max: int, names: Sequence[str] | None = None) -> dict:
    """``(name, j) -> CriticalPoints.values(j)`` derived afresh (sympy, mpmath) for every
    function with critical points (or those in `names`) and every order ``j <= j_max``: the
    contents of :mod:`autobound.rules.critical_table`."""
    from autobound.rules.functions import FUNCTIONS

    return {
        (name, j): _values.__wrapped__(spec.critical, j)
        for name, spec in FUNCTIONS.items()
        if spec.critical is not None and (names is None or name in names)
        for j in range(j_max + 1)
    }


def write_table(j_max: int = 10) -> None:
    """Write :func:`derive_table`'s result as :mod:`autobound.rules.critical_table`."""
    from autobound.rules import critical_table

    def num(v: float) -> str:
        return {np.inf: "INF", -np.inf: "-INF"}.get(v, repr(float(v)))

    def row(values: tuple, indent: str) -> list[str]:
        line = f"{indent}({', '.join(map(num, values))}),"
        if len(line) <= 100:
            return [line]
        return [f"{indent}(", *(f"{indent}    {num(v)}," for v in values), f"{indent}),"]

    doc = critical_table.__doc__.strip("\n")
    lines = [f'"""{doc}\n"""', "", 'INF = float("inf")', f"J_MAX = {j_max}", "TABLE: dict = {"]
    for (name, j), value in derive_table(j_max).items():
        if not value:
            lines.append(f"    ({name!r}, {j}): {value!r},")
            continue
        lines.append(f"    ({name!r}, {j}): (")
        for r in value:
            lines.extend(row(r, "        "))
        lines.append("    ),")
    lines.append("}")
    with open(critical_table.__file__, "w") as out:
        out.write("\n".join(lines) + "\n")


_DERIVED = {"CHANGES": "CHANGES", "_SYMPY_FORMS": "SYMPY_FORMS", "_POWERS": "POWERS"}


def __getattr__(name: str):
    # CHANGES (name -> order -> brackets) and the sympy forms and powers are derived from the
    # functions' records (autobound.rules.functions), which import this module.
    if name in _DERIVED:
        from autobound.rules import functions

        return getattr(functions, _DERIVED[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
