"""Rigorous interval enclosures of the elementwise functions, built on audited mpmath.iv parts.

The audited parts are mpmath.iv's ``+ - * / **`` (correctly rounded, outward) and its
``exp``, ``log``, ``sqrt``, ``sin``, ``cos``, ``tan``, ``atan2`` and ``pi``, the latter used
only through :func:`_trusted` wrappers (``iv_exp``, ...) because mpmath's directed rounding
of transcendental functions can be off by a fraction of an ulp in the wrong direction
(LIBRARIES.md section 2 calls them rigorous; see :func:`_trusted` for the measured failures).
iv's own ``erf``, ``expm1``, ``log1p`` ... run series on intervals with no truncation bound
and are never used.  Every other function here is built from the audited parts and described
by data, one entry per function in :data:`INTERVAL_FUNCTIONS`:

* a **point enclosure** ``pt(x)``: a rigorous interval holding ``phi(x)`` at an exact mpf
  point ``x``, evaluated at ``iv.prec + 30`` bits and rounded outward back to ``iv.prec``;
  cancellation-prone formulas (``expm1``, ``log1p``, ``erf``/``erfc``) raise their own
  working precision by the number of bits they are known to lose;
* a **shape**: increasing, decreasing, even (increasing on x >= 0), or unimodal with a
  rigorously enclosed minimum (``swish``, ``gelu``); the range over ``[a, b]`` then follows
  from point enclosures at the ends (and at the minimum);
* a **domain**: an interval that reaches outside it raises
  :class:`~autobound.errors.DomainError`.

Guarantee: with ``iv.prec = p``, ``INTERVAL_FUNCTIONS[name](X, params)`` returns an interval
containing ``phi(x)`` for every real ``x`` in ``X`` (the ends of ``X`` included).  Precision is
changed only inside :func:`iv_precision` blocks, which restore it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any

from mpmath import iv, libmp, mp

from autobound.errors import DomainError

_GUARD = 30  # extra bits for every point enclosure
_LOG2E = 1.4426950408889634  # bits lost per unit of t**2 in the erf series (rounded up below)

Interval = Any  # mpmath.ctx_iv.ivmpf
PointEnclosure = Callable[[Any], Interval]


@contextmanager
def iv_precision(prec: int) -> Iterator[None]:
    """Run a block with ``iv.prec = prec`` and restore the previous precision afterwards."""
    old = iv.prec
    iv.prec = prec
    try:
        yield
    finally:
        iv.prec = old


def lo(v: Interval) -> Any:
    """Lower end of an interval, as an mpf."""
    return mp.make_mpf(v._mpi_[0])


def hi(v: Interval) -> Any:
    """Upper end of an interval, as an mpf."""
    return mp.make_mpf(v._mpi_[1])


def fraction(v: Any) -> Fraction | None:
    """An mpf as an exact Fraction (None for ±inf or NaN)."""
    if not mp.isfinite(v):
        return None
    sign, man, exp_, _ = mp.mpf(v)._mpf_
    return (-1) ** sign * Fraction(man) * Fraction(2) ** exp_


def hull(*vs: Interval) -> Interval:
    """The smallest interval containing all of `vs`."""
    return iv.mpf([min(lo(v) for v in vs), max(hi(v) for v in vs)])


def exact(value: Any) -> Interval:
    """An interval holding an exact number (Fraction, int, float, numpy scalar)."""
    if isinstance(value, Fraction):
        return iv.mpf(value.numerator) / iv.mpf(value.denominator)
    if isinstance(value, int):
        return iv.mpf(value)
    return iv.mpf(float(value))


def span(a: Any, b: Any) -> Interval:
    """The interval [a, b] for exact numbers a <= b (each end rounded outward)."""
    return iv.mpf([lo(exact(a)), hi(exact(b))])


def _round_out(v: Interval, prec: int) -> Interval:
    a = libmp.mpf_pos(v._mpi_[0], prec, libmp.round_floor)
    b = libmp.mpf_pos(v._mpi_[1], prec, libmp.round_ceiling)
    return iv.mpf([mp.make_mpf(a), mp.make_mpf(b)])


_TRUST_BITS = 20  # extra bits mpmath's elementary functions run with
_MARGIN_BITS = 16  # then each end moves out by 2**-(prec + 16) of its own magnitude


def _trusted(fn: Callable[..., Interval]) -> Callable[..., Interval]:
    """Make an mpmath.iv elementary function safe to the last bit.

    mpmath's elementary functions are accurate to a few units in the last place, but their
    directed rounding is not reliable: they round an approximation carrying a few guard bits,
    and when the true value lies within those bits of a representable number the rounding can
    go the wrong way.  Measured (mpmath 1.3): at 60 bits ``iv_log(1 + 5*2**-52)`` has an upper
    end *below* log(1 + 5*2**-52), and ``iv_atan2(x, 1)`` for ``x = 5.9e-23`` returns
    ``[x, x]`` although atan(x) < x.  So the function runs at ``prec + 20`` bits and each end
    moves outward by ``2**-(prec + 16)`` of its magnitude (65536 ulps at the working
    precision), then rounds outward to ``prec``.  Exact zeros (log(1), sin(0)) stay exact.
    """

    def safe(*args: Any) -> Interval:
        prec = iv.prec
        with iv_precision(prec + _TRUST_BITS):
            v = fn(*args)
        a, b = v._mpi_
        shift = -(prec + _MARGIN_BITS)
        a = libmp.mpf_sub(a, libmp.mpf_shift(libmp.mpf_abs(a), shift), prec, libmp.round_floor)
        b = libmp.mpf_add(b, libmp.mpf_shift(libmp.mpf_abs(b), shift), prec, libmp.round_ceiling)
        return iv.mpf([mp.make_mpf(a), mp.make_mpf(b)])

    return safe


iv_exp = _trusted(iv.exp)
iv_log = _trusted(iv.log)
iv_sqrt = _trusted(iv.sqrt)
iv_sin = _trusted(iv.sin)
iv_cos = _trusted(iv.cos)
iv_tan = _trusted(iv.tan)
iv_atan2 = _trusted(iv.atan2)
iv_pi = _trusted(lambda: +iv.pi)


def _at(pt: PointEnclosure, x: Any, guard: int = _GUARD) -> Interval:
    """`pt` at the exact point `x`, with `guard` extra bits, rounded outward to ``iv.prec``."""
    prec = iv.prec
    with iv_precision(prec + guard):
        v = pt(x)
    return _round_out(v, prec)


def _point(x: Any) -> Interval:
    return iv.mpf(x)


def _neg(x: Any) -> Any:
    """-x exactly (mpf negation would round to ``mp.prec``)."""
    return mp.make_mpf(libmp.mpf_neg(x._mpf_))


def _mid(v: Interval) -> Any:
    return (lo(v) + hi(v)) / 2


def _neg_odd(pt: PointEnclosure) -> PointEnclosure:
    """Extend a point enclosure valid for x >= 0 to all x by oddness: phi(-x) = -phi(x)."""
    return lambda x: -pt(_neg(x)) if x < 0 else pt(x)


# -- cancellation-free building blocks (point enclosures) ---------------------------------


def _expm1_pt(x: Any) -> Interval:
    """exp(x) - 1.  Tiny |x|: exp(x) - 1 = x + x**2/2 * e**xi with 0 < e**xi < 2, so the value
    is in x + [0, x**2].  Otherwise exp(x) - 1 at extra precision: the subtraction loses at
    most -mag(x) bits."""
    if x == 0:
        return iv.mpf(0)
    if mp.mag(x) < -iv.prec:
        return _point(x) + iv.mpf([0, 1]) * _point(x) ** 2
    with iv_precision(iv.prec + max(0, -mp.mag(x)) + 10):
        return iv_exp(_point(x)) - 1


def _log1p_pt(y: Any) -> Interval:
    """log(1 + y), y > -1.  Tiny |y| (|y| <= 1/2 suffices): y - y**2/2 <= log1p(y) <= y for
    y >= 0 (alternating series), and y - y**2 <= log1p(y) <= y - y**2/2 for y < 0 (all terms
    negative, tail sum_{m>=3} |y|**m/m <= y**2/2).  Otherwise log(1 + y) with 1 + y exact."""
    if y == 0:
        return iv.mpf(0)
    if mp.mag(y) < -iv.prec:
        Y = _point(y)
        if y > 0:
            return iv.mpf([lo(Y - Y**2 / 2), hi(Y)])
        return iv.mpf([lo(Y - Y**2), hi(Y - Y**2 / 2)])
    with iv_precision(iv.prec + max(0, -mp.mag(y)) + 10):
        return iv_log(1 + _point(y))


def _log1p_of(Y: Interval) -> Interval:
    """log1p over an interval (it is increasing)."""
    return iv.mpf([lo(_log1p_pt(lo(Y))), hi(_log1p_pt(hi(Y)))])


def _erf_asymptotic_ok(t: Any) -> bool:
    # the asymptotic series of erfc at t reaches relative accuracy about exp(-t**2)
    return t * t > (iv.prec + 10) * math.log(2)


def _bits(v: Any) -> int:
    return int(mp.ceil(v))


def _erf_series(t: Any) -> Interval:
    """erf(t) = 2/sqrt(pi) sum_n (-1)**n t**(2n+1) / (n! (2n+1)).  Once n + 1 >= t**2 the terms
    decrease, so the tail after N terms lies within [-term_N, term_N] (alternating series)."""
    T = _point(t)
    a = T  # t**(2n+1) / n!
    total = iv.mpf(0)
    t2 = t * t
    eps = mp.ldexp(1, -(iv.prec + 10))
    n = 0
    while True:
        term = a / (2 * n + 1)
        if n + 1 >= t2 and hi(term) < eps * lo(T):
            break
        total = total + term if n % 2 == 0 else total - term
        n += 1
        a = a * T**2 / n
    total = total + iv.mpf([-1, 1]) * hi(term)
    return total * 2 / iv_sqrt(iv_pi())


def _erfc_asymptotic(t: Any) -> Interval:
    """erfc(t), t > 0, from e**(t**2) erfc(t) = 2/sqrt(pi) int_0^inf e**(-2ts) e**(-s**2) ds.
    Expanding e**(-u) to N terms leaves a remainder of sign (-1)**N bounded by u**N/N!, so
    (termwise integration) e**(t**2) erfc(t) = 2/sqrt(pi) [sum_{m<N} T_m + theta T_N] with
    T_m = (-1)**m (2m)! / (m! (2t)**(2m+1)) and theta in [0, 1]."""
    T = _point(t)
    term = 1 / (2 * T)
    total = iv.mpf(0)
    eps = mp.ldexp(1, -(iv.prec + 10))
    first = hi(term)
    m = 0
    while hi(abs(term)) >= eps * first and 2 * m + 1 < 2 * t * t:
        total += term
        term = -term * (2 * m + 1) / (2 * T**2)
        m += 1
    total += iv.mpf([0, 1]) * term
    return total * 2 / iv_sqrt(iv_pi()) * iv_exp(-(T**2))


def _erf_pt(t: Any) -> Interval:
    if t < 0:
        return -_erf_pt(_neg(t))
    if t == 0:
        return iv.mpf(0)
    if _erf_asymptotic_ok(t):
        return 1 - _erfc_asymptotic(t)
    # the terms grow to about e**(t**2) before they shrink: carry those bits
    with iv_precision(iv.prec + _bits(_LOG2E * t * t) + 10):
        return _erf_series(t)


def _erfc_pt(t: Any) -> Interval:
    if t <= 0:
        return 1 + _erf_pt(_neg(t))
    if _erf_asymptotic_ok(t):
        return _erfc_asymptotic(t)
    # 1 - erf(t) cancels another t**2 * log2(e) bits
    with iv_precision(iv.prec + _bits(2 * _LOG2E * t * t) + 20):
        return 1 - _erf_series(t)


def _erfc_of(T: Interval) -> Interval:
    """erfc over an interval (it is decreasing)."""
    return iv.mpf([lo(_erfc_pt(hi(T))), hi(_erfc_pt(lo(T)))])


def _ncdf(X: Interval) -> Interval:
    """Phi(x) = erfc(-x / sqrt(2)) / 2, over an interval."""
    return _erfc_of(-X / iv_sqrt(2)) / 2


# -- point enclosures of the functions ------------------------------------------------------


def _sinh_pos(x: Any) -> Interval:
    E = _expm1_pt(x)  # sinh = (e**x - e**-x)/2 = (E + E/(E+1))/2, no cancellation for x >= 0
    return (E + E / (E + 1)) / 2


def _tanh_pos(x: Any) -> Interval:
    E = _expm1_pt(mp.ldexp(x, 1))  # tanh = E/(E+2), E = expm1(2x) >= 0
    return E / (E + 2)


def _cbrt_pos(x: Any) -> Interval:
    return iv.mpf(0) if x == 0 else iv_exp(iv_log(_point(x)) / 3)


def _asin_pt(x: Any) -> Interval:
    X = _point(x)
    return iv_atan2(X, iv_sqrt((1 - X) * (1 + X)))


def _acos_pt(x: Any) -> Interval:
    X = _point(x)
    return iv_atan2(iv_sqrt((1 - X) * (1 + X)), X)


def _asinh_pos(x: Any) -> Interval:
    # log(x + sqrt(x**2 + 1)) = log1p(x + x**2 / (1 + sqrt(x**2 + 1))), no cancellation for x >= 0
    X = _point(x)
    return _log1p_of(X + X * X / (1 + iv_sqrt(X * X + 1)))


def _atanh_pos(x: Any) -> Interval:
    # log((1 + x)/(1 - x))/2 = log1p(2x/(1 - x))/2, no cancellation for 0 <= x < 1
    X = _point(x)
    return _log1p_of(2 * X / (1 - X)) / 2


def _sigmoid_of(X: Interval) -> Interval:
    return 1 / (1 + iv_exp(-X))


def _softplus_pt(x: Any) -> Interval:
    # log(1 + e**x) for x <= 0; x + log(1 + e**-x) for x > 0 (no overflow, no cancellation)
    if x <= 0:
        return _log1p_of(iv_exp(_point(x)))
    return _point(x) + _log1p_of(iv_exp(-_point(x)))


def _swish_pt(x: Any) -> Interval:
    return _point(x) * _sigmoid_of(_point(x))


def _swish_slope(X: Interval) -> Interval:
    """swish'(x) = s (1 + x (1 - s)), s = sigmoid(x), over an interval."""
    return _sigmoid_of(X) * (1 + X * _sigmoid_of(-X))


def _gelu_pt(x: Any) -> Interval:
    return _point(x) * _ncdf(_point(x))


def _gelu_slope(X: Interval) -> Interval:
    """gelu'(x) = Phi(x) + x exp(-x**2/2) / sqrt(2 pi), over an interval."""
    return _ncdf(X) + X * iv_exp(-(X**2) / 2) / iv_sqrt(2 * iv_pi())


# -- shapes: how a range over [a, b] follows from point enclosures --------------------------


def _increasing(pt: PointEnclosure) -> Callable[[Interval], Interval]:
    return lambda X: iv.mpf([lo(_at(pt, lo(X))), hi(_at(pt, hi(X)))])


def _decreasing(pt: PointEnclosure) -> Callable[[Interval], Interval]:
    return lambda X: iv.mpf([lo(_at(pt, hi(X))), hi(_at(pt, lo(X)))])


def _even(pt: PointEnclosure) -> Callable[[Interval], Interval]:
    """phi(-x) = phi(x), increasing on x >= 0: minimum at 0 when [a, b] straddles it."""

    def f(X: Interval) -> Interval:
        a, b = lo(X), hi(X)
        if a >= 0:
            return _increasing(pt)(X)
        if b <= 0:
            return _increasing(pt)(-X)
        return iv.mpf([lo(_at(pt, mp.zero)), max(hi(_at(pt, _neg(a))), hi(_at(pt, b)))])

    return f


@dataclass(frozen=True)
class _Minimum:
    """phi decreases on (-inf, x*] and increases on [x*, inf), x* in [left, right]; the
    minimum value phi(x*) lies in `value`."""

    left: Any
    right: Any
    value: Interval


_UNIMODAL: dict[str, tuple[PointEnclosure, Callable[[Interval], Interval], float]] = {
    # name: (point enclosure, slope over an interval, starting guess for the minimizer)
    "swish": (_swish_pt, _swish_slope, -1.2785),
    "gelu": (_gelu_pt, _gelu_slope, -0.7518),
}


@lru_cache(maxsize=64)
def _minimum(name: str, prec: int) -> _Minimum:
    """Enclose the minimum of a unimodal function at precision `prec`.

    The minimizer c is found by root finding on phi' in mp at ``prec + 40`` bits; with
    ``delta = 2**-(prec//2 + 8)`` the slopes at c - delta and c + delta are checked to be
    certainly negative and positive, so the (unique) critical point x* lies in
    ``B = [c - delta, c + delta]``.  By the mean value theorem
    ``phi(c) - M delta <= phi(x*) <= phi(c)`` with ``M >= sup |phi'(B)|`` (from the slope
    enclosure over B; since phi'(x*) = 0, M = O(delta) and the margin M delta = O(2**-prec)).
    """
    pt, slope, guess = _UNIMODAL[name]
    with iv_precision(prec + 40), mp.workprec(prec + 40):
        c = mp.findroot(lambda y: _mid(slope(iv.mpf(y))), guess)
        c = mp.mpf(c)
        delta = mp.ldexp(1, -(prec // 2 + 8))
        left, right = c - delta, c + delta  # exact at this precision
        if not (hi(slope(iv.mpf(left))) < 0 < lo(slope(iv.mpf(right)))):
            raise ArithmeticError(f"could not bracket the minimizer of {name} at {c}")
        s = slope(iv.mpf([left, right]))
        M = max(abs(lo(s)), abs(hi(s)))
        fc = pt(c)
        value = iv.mpf([lo(iv.mpf(lo(fc)) - iv.mpf(M) * delta), hi(fc)])
    return _Minimum(left, right, _round_out(value, prec))


def _unimodal(name: str) -> Callable[[Interval], Interval]:
    pt = _UNIMODAL[name][0]

    def f(X: Interval) -> Interval:
        m = _minimum(name, iv.prec)
        a, b = lo(X), hi(X)
        if b <= m.left:
            return _decreasing(pt)(X)
        if a >= m.right:
            return _increasing(pt)(X)
        # quasi-convex: the maximum over [a, b] is at an end
        return iv.mpf([lo(m.value), max(hi(_at(pt, a)), hi(_at(pt, b)))])

    return f


def _relu(X: Interval) -> Interval:
    return iv.mpf([max(lo(X), mp.zero), max(hi(X), mp.zero)])


def _abs(X: Interval) -> Interval:
    a, b = lo(X), hi(X)
    if a >= 0:
        return X
    if b <= 0:
        return -X
    return iv.mpf([0, max(_neg(a), b)])


def _leaky_relu(X: Interval, params: Mapping[str, Any]) -> Interval:
    """Piecewise linear with a kink at 0: the extremes are at a, b and (if inside) 0."""
    alpha = exact(params["alpha"])
    a, b = lo(X), hi(X)
    parts = [_point(v) if v >= 0 else alpha * _point(v) for v in (a, b)]
    if a < 0 < b:
        parts.append(iv.mpf(0))
    return hull(*parts)


def _tan(X: Interval) -> Interval:
    v = iv_tan(X)
    if not (mp.isfinite(lo(v)) and mp.isfinite(hi(v))):
        raise DomainError(f"tan has a pole in the interval {X}; split the region")
    return v


# -- domains and the table -------------------------------------------------------------------


@dataclass(frozen=True)
class Domain:
    """The real interval where a function is defined; `open_lo`/`open_hi` exclude the ends."""

    lo: float = -math.inf
    hi: float = math.inf
    open_lo: bool = False
    open_hi: bool = False

    def contains(self, a: Any, b: Any) -> bool:
        """Whether [a, b] lies in the domain."""
        above = a > self.lo if self.open_lo else a >= self.lo
        below = b < self.hi if self.open_hi else b <= self.hi
        return bool(above and below)

    def __str__(self) -> str:
        return f"{'(' if self.open_lo else '['}{self.lo}, {self.hi}{')' if self.open_hi else ']'}"


DOMAINS: dict[str, Domain] = {
    "log": Domain(0, open_lo=True),
    "log1p": Domain(-1, open_lo=True),
    "sqrt": Domain(0),
    "rsqrt": Domain(0, open_lo=True),
    "asin": Domain(-1, 1),
    "acos": Domain(-1, 1),
    "atanh": Domain(-1, 1, open_lo=True, open_hi=True),
}


def _plain(fn: Callable[[Interval], Interval]) -> Callable[[Interval, Mapping], Interval]:
    return lambda X, params: fn(X)


def _exact_ends(
    fn: Callable[[Interval], Interval], points: tuple[tuple[int, int], ...]
) -> Callable[[Interval], Interval]:
    """An increasing `fn` with ``fn(p) = v`` exactly for each pair ``(p, v)`` of `points`
    (exp(0) = 1): an end of X at such a p gives that end of the range exactly, instead of the
    margin the trusted kernels add (so that exp(x) - 1 is >= 0 on [0, 1], a sign the kink
    rules and contact leaves need)."""

    def f(X: Interval) -> Interval:
        v = fn(X)
        a, b, vl, vh = lo(X), hi(X), lo(v), hi(v)
        for p, value in points:
            if a == p:
                vl = max(vl, mp.mpf(value))
            if b == p:
                vh = min(vh, mp.mpf(value))
        return iv.mpf([vl, vh])

    return f


def _clamped(fn: Callable[[Interval], Interval], low: Any, high: Any) -> Callable:
    """`fn` with its range cut to the function's global bounds [low, high] (cos <= 1)."""

    def f(X: Interval) -> Interval:
        v = fn(X)
        return iv.mpf([max(lo(v), mp.mpf(low)), min(hi(v), mp.mpf(high))])

    return f


INTERVAL_FUNCTIONS: dict[str, Callable[[Interval, Mapping[str, Any]], Interval]] = {
    "exp": _plain(_exact_ends(iv_exp, ((0, 1),))),
    "log": _plain(iv_log),
    "sqrt": _plain(_exact_ends(iv_sqrt, ((1, 1),))),
    "sin": _plain(iv_sin),
    "cos": _plain(_clamped(iv_cos, -1, 1)),
    "tan": _plain(_tan),
    "square": _plain(lambda X: X**2),
    "log1p": _plain(_increasing(_log1p_pt)),
    "expm1": _plain(_increasing(_expm1_pt)),
    "rsqrt": _plain(_decreasing(lambda x: 1 / iv_sqrt(_point(x)))),
    "cbrt": _plain(_increasing(_neg_odd(_cbrt_pos))),
    "atan": _plain(_increasing(lambda x: iv_atan2(_point(x), 1))),
    "asin": _plain(_increasing(_asin_pt)),
    "acos": _plain(_decreasing(_acos_pt)),
    "asinh": _plain(_increasing(_neg_odd(_asinh_pos))),
    "atanh": _plain(_increasing(_neg_odd(_atanh_pos))),
    "sinh": _plain(_increasing(_neg_odd(_sinh_pos))),
    "cosh": _plain(
        _clamped(_even(lambda x: (iv_exp(_point(x)) + iv_exp(-_point(x))) / 2), 1, mp.inf)
    ),
    "tanh": _plain(_increasing(_neg_odd(_tanh_pos))),
    "sigmoid": _plain(_increasing(lambda x: _sigmoid_of(_point(x)))),
    "softplus": _plain(_increasing(_softplus_pt)),
    "erf": _plain(_increasing(_erf_pt)),
    "swish": _plain(_unimodal("swish")),
    "gelu": _plain(_unimodal("gelu")),
    "relu": _plain(_relu),
    "abs": _plain(_abs),
    "leaky_relu": _leaky_relu,
}


def apply(name: str, X: Interval, params: Mapping[str, Any]) -> Interval:
    """``phi_name`` over the interval `X` (at ``iv.prec``), after checking the domain."""
    a, b = lo(X), hi(X)
    if not (mp.isfinite(a) and mp.isfinite(b)):
        raise DomainError(f"{name} of the unbounded interval {X}")
    domain = DOMAINS.get(name)
    if domain is not None and not domain.contains(a, b):
        raise DomainError(f"{name} is defined on {domain}, the interval {X} leaves it")
    return INTERVAL_FUNCTIONS[name](X, params)
