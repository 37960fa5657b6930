"""Sharper Jensen-type bounds: guaranteed bounds on ``E[f(X)]`` from the support and a few
moments of X (Streeter & Dillon, arXiv 2212.11429, "sharper Jensen").

For X on ``[a, b]`` with known moments, a degree-k Taylor enclosure of f at ``x_0`` (the mean,
as a float) over the support,

$$ f(x) \\in \\sum_{i<k} c_i (x-x_0)^i + [l_k, u_k] (x-x_0)^k \\qquad (x \\in [a, b]), $$

gives, with $W = X - x_0$ and $g(X) \\in [l_k, u_k]$ the remainder factor,

$$ E f(X) \\in \\sum_{i<k} c_i\\, E[W^i] + E[g(X) W^k]. $$

The moments $E[W^i]$ follow exactly from the given ones ($E[W] = \\mu - x_0$ is 0 when the
mean is a float).  For the last term write $P = E[(W^k)^+]$, $N = E[(W^k)^-]$; since
$\\min(l W^k, u W^k) = l (W^k)^+ - u (W^k)^-$,

$$ l P - u N \\le E[g(X) W^k] \\le u P - l N. $$

When $E[W^k]$ is known ($P - N = E[W^k]$) this is
$[E W^k u - (u-l) P,\\; E W^k l + (u-l) P]$ and only an upper bound on P is needed: for even
k, $P = E[W^k]$ exactly and the term is $[l_k, u_k] \\cdot E[W^k]$.  Otherwise P and N are
bounded from the support and the known moments (each bound below is a pointwise majorant
whose expectation is known):

- chord: $(w^k)^+$ is convex on $[-\\alpha, \\beta]$ ($\\alpha = x_0 - a$,
  $\\beta = b - x_0$), so it lies below its chord, whose mean is
  $\\frac{(\\beta - \\delta)\\,(w^k)^+(-\\alpha) + (\\alpha + \\delta)\\,(w^k)^+(\\beta)}
  {\\alpha + \\beta}$ with $\\delta = E[W]$ (and likewise for $(w^k)^-$);
- a known even moment $j < k$: $(w^k)^+ \\le \\beta^{k-j} w^j$ and
  $(w^k)^- \\le \\alpha^{k-j} w^j$ (for even k, $w^k \\le \\max(\\alpha,\\beta)^{k-j} w^j$);
- for k = 1: $E|W| \\le \\sqrt{E W^2}$, so $P = (E|W| + \\delta)/2$.

Unknown intermediate moments $E[W^i]$, $i < k$, lie in $[-N_i, P_i]$ (even i: at least
$(E W^2)^{i/2}$, Lyapunov).  Everything is exact rational arithmetic on the engine's float
coefficients (enclosure in outward rounding, valid for the real f); only the final ends are
rounded outward to floats.

The moments are checked: the support finite with $a < b$, the mean in it, and the moment
sequence that of some distribution on ``[a, b]`` (the Hausdorff conditions: Hankel and
localizing matrices positive semidefinite; for mean and variance this is
$0 \\le \\sigma^2 \\le (\\mu - a)(b - \\mu)$, Bhatia–Davis).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from autobound import enclose
from autobound.apps.box import down, exact_number, up
from autobound.apps.precision import in_float64
from autobound.errors import AutoBoundError, DomainError, InvalidArgument, InvalidRegion
from autobound.interval import is_interval

__all__ = ["JensenBounds", "jensen_bounds"]


@dataclass(frozen=True)
class JensenBounds:
    """Guaranteed bounds on ``E[f(X)]`` for every X on `support` with the given moments.

    `lower`, `upper`: floats with ``lower <= E f(X) <= upper``.  `classical`: ``f(mean)``
    enclosed (the classical Jensen bound ``f(E X) <= E f(X)`` for convex f).  The exact
    rational ends and the terms of the derivation are kept for :meth:`proof`.
    """

    lower: float
    upper: float
    classical: tuple[float, float]
    degree: int
    support: tuple[Fraction, Fraction]
    mean: Fraction
    x0: Fraction = field(repr=False)
    moments: dict[int, Fraction] = field(repr=False)
    coefficients: tuple[tuple[Fraction, Fraction], ...] = field(repr=False)
    terms: tuple[tuple[str, Fraction, Fraction], ...] = field(repr=False)
    expression: str = ""

    def proof(self) -> str:
        """A LaTeX derivation of ``lower <= E f(X) <= upper``."""
        a, b = self.support
        k = self.degree
        lines = [
            r"\begin{aligned}",
            rf"&\text{{For }} X \in [{_tex(a)}, {_tex(b)}],\ "
            rf"E[X] = {_tex(self.mean)},\ W = X - x_0,\ x_0 = {_tex(self.x0)}: \\",
            r"&\text{known } E[W^i]:\ "
            + r",\ ".join(rf"E[W^{{{i}}}] = {_tex(m)}" for i, m in sorted(self.moments.items()))
            + r" \\",
            rf"&f(x) \in {_poly_tex(self.coefficients)} \quad (x \in [{_tex(a)}, {_tex(b)}])"
            rf" \quad\text{{(degree-{k} Taylor enclosure, outward rounding)}} \\",
            rf"&E f(X) \in \sum_{{i<{k}}} c_i E[W^i] + E[g(X) W^{{{k}}}],\quad g(X) \in [l, u] \\",
        ]
        for name, lo, hi in self.terms:
            lines.append(rf"&{name} \in [{_tex_float(lo, -1)}, {_tex_float(hi, 1)}] \\")
        lines.append(
            rf"&\Rightarrow\ {_tex_float(Fraction(self.lower), -1)} \le E f(X) \le "
            rf"{_tex_float(Fraction(self.upper), 1)}"
        )
        lo, hi = self.classical
        lines.append(
            rf"\\ &\text{{classical Jensen (convex f): }} E f(X) \ge f(E X) \in "
            rf"[{_tex_float(Fraction(lo), -1)}, {_tex_float(Fraction(hi), 1)}]"
        )
        lines.append(r"\end{aligned}")
        return "\n".join(lines)


# -- exact numbers -------------------------------------------------------------------------


def _exact(name: str, v: Any) -> Fraction:
    """`v` as an exact rational (floats exactly, text as a certificate reads it), or
    InvalidArgument naming `name`."""
    try:
        return exact_number(v)
    except AutoBoundError as err:
        raise InvalidArgument(f"{name} must be a finite number, got {v!r} ({err})") from None


def _sqrt_up(q: Fraction) -> Fraction:
    """A rational >= sqrt(q) (q >= 0), within about 2**-60 relative."""
    p, d = q.numerator, q.denominator
    s = 2**64
    return Fraction(math.isqrt(p * d * s * s) + 1, d * s)


# -- validation ----------------------------------------------------------------------------


def _support(support: Any) -> tuple[Fraction, Fraction]:
    try:
        a, b = support
    except (TypeError, ValueError):
        raise InvalidRegion(f"support must be a pair (a, b), got {support!r}") from None
    for name, v in (("a", a), ("b", b)):
        if isinstance(v, (int, float, np.number)) and not math.isfinite(float(v)):
            raise InvalidRegion(
                f"support end {name} = {v!r} is not finite: only bounded supports [a, b] are "
                "supported (the bound uses a Taylor enclosure over the whole support)"
            )
    a, b = _exact("support end a", a), _exact("support end b", b)
    if not a < b:
        raise InvalidRegion(f"support must have a < b, got a = {a}, b = {b}")
    return a, b


def _central_moments(
    mean: Any, variance: Any, moments: Sequence[Any] | None
) -> tuple[Fraction, dict[int, Fraction]]:
    """The mean and the known central moments ``{i: E[(X - mean)^i]}`` (i >= 2)."""
    if moments is not None:
        if mean is not None or variance is not None:
            raise InvalidArgument("give either mean (and variance) or moments, not both")
        raw = [_exact(f"moments[{i}]", m) for i, m in enumerate(moments)]
        if not raw:
            raise InvalidArgument("moments must hold at least E[X] (moments = [E X, E X^2, ...])")
        mu = raw[0]
        full = [Fraction(1)] + raw
        central = {
            n: sum(math.comb(n, j) * full[j] * (-mu) ** (n - j) for j in range(n + 1))
            for n in range(2, len(full))
        }
        return mu, central
    if mean is None:
        raise InvalidArgument("the mean is required: pass mean= (and variance=) or moments=")
    mu = _exact("mean", mean)
    central = {}
    if variance is not None:
        central[2] = _exact("variance", variance)
    return mu, central


def _is_psd(m: list[list[Fraction]]) -> bool:
    """Exact: a symmetric rational matrix is PSD iff every principal minor is >= 0."""
    n = len(m)
    for r in range(1, n + 1):
        for rows in itertools.combinations(range(n), r):
            if _det([[m[i][j] for j in rows] for i in rows]) < 0:
                return False
    return True


def _det(m: list[list[Fraction]]) -> Fraction:
    m = [row[:] for row in m]
    n, det = len(m), Fraction(1)
    for c in range(n):
        p = next((r for r in range(c, n) if m[r][c] != 0), None)
        if p is None:
            return Fraction(0)
        if p != c:
            m[c], m[p] = m[p], m[c]
            det = -det
        det *= m[c][c]
        for r in range(c + 1, n):
            t = m[r][c] / m[c][c]
            m[r] = [x - t * y for x, y in zip(m[r], m[c], strict=True)]
    return det


def _check_feasible(a: Fraction, b: Fraction, mu: Fraction, central: dict[int, Fraction]) -> None:
    """InvalidArgument naming the first violated condition, unless some distribution on
    ``[a, b]`` has mean `mu` and the central moments `central` (Hausdorff conditions)."""
    if not a <= mu <= b:
        raise InvalidArgument(f"the mean {mu} is outside the support [{a}, {b}]")
    if 2 in central:
        s2, bd = central[2], (mu - a) * (b - mu)
        if s2 < 0:
            raise InvalidArgument(f"the variance must be >= 0, got {s2}")
        if s2 > bd:
            raise InvalidArgument(
                f"no distribution on [{a}, {b}] with mean {mu} has variance {s2}: the largest "
                f"possible is (mean - a)(b - mean) = {bd} (Bhatia-Davis inequality)"
            )
    n = max(central, default=1)
    if n <= 2:
        return
    missing = [i for i in range(2, n + 1) if i not in central]
    if missing:
        raise InvalidArgument(f"moments must be consecutive; missing orders {missing}")
    # Moments of Z = X - mu on [alpha, beta] = [a - mu, b - mu].
    s = [Fraction(1), Fraction(0)] + [central[i] for i in range(2, n + 1)]
    lo, hi = a - mu, b - mu
    m = n // 2
    if n % 2 == 0:
        checks = [
            ("Hankel matrix [E Z^(i+j)]", [[s[i + j] for j in range(m + 1)] for i in range(m + 1)]),
            (
                "localizing matrix [E (b-X)(X-a) Z^(i+j)]",
                [
                    [(lo + hi) * s[i + j + 1] - lo * hi * s[i + j] - s[i + j + 2] for j in range(m)]
                    for i in range(m)
                ],
            ),
        ]
    else:
        checks = [
            (
                "localizing matrix [E (X-a) Z^(i+j)]",
                [[s[i + j + 1] - lo * s[i + j] for j in range(m + 1)] for i in range(m + 1)],
            ),
            (
                "localizing matrix [E (b-X) Z^(i+j)]",
                [[hi * s[i + j] - s[i + j + 1] for j in range(m + 1)] for i in range(m + 1)],
            ),
        ]
    for name, mat in checks:
        if not _is_psd(mat):
            raise InvalidArgument(
                f"no distribution on [{a}, {b}] has these moments (mean {mu}, central moments "
                f"{[str(central[i]) for i in range(2, n + 1)]}): the {name}, Z = X - mean, is "
                "not positive semidefinite (Hausdorff moment conditions)"
            )


# -- the bound -----------------------------------------------------------------------------


def _moments_about(x0: Fraction, mu: Fraction, central: dict[int, Fraction]) -> dict:
    """Known ``E[(X - x0)^i]`` from the central moments: binomial shift by ``mu - x0``."""
    d = mu - x0
    c = {0: Fraction(1), 1: Fraction(0), **central}
    n = max(c)
    return {
        i: sum(math.comb(i, j) * c[j] * d ** (i - j) for j in range(i + 1)) for i in range(n + 1)
    }


def _part_bounds(k: int, alpha: Fraction, beta: Fraction, M: dict) -> tuple[Fraction, Fraction]:
    """Upper bounds ``(P̄, N̄)`` on ``P = E[(W^k)^+]``, ``N = E[(W^k)^-]`` for W on
    ``[-alpha, beta]`` with the known moments M (see the module docstring)."""
    d = M[1]
    span = alpha + beta

    def chord(g_left: Fraction, g_right: Fraction) -> Fraction:
        return ((beta - d) * g_left + (alpha + d) * g_right) / span

    left = (-alpha) ** k
    P = chord(max(left, Fraction(0)), beta**k)
    N = chord(max(-left, Fraction(0)), Fraction(0))
    r = max(alpha, beta)
    for j in range(2, k, 2):
        if j in M:
            if k % 2 == 0:
                P = min(P, r ** (k - j) * M[j])
            else:
                P, N = min(P, beta ** (k - j) * M[j]), min(N, alpha ** (k - j) * M[j])
    if k == 1 and 2 in M:
        P = min(P, (_sqrt_up(M[2]) + d) / 2)
        N = min(N, (_sqrt_up(M[2]) - d) / 2)
    if k in M:  # P - N = E[W^k]
        P, N = min(P, M[k] + N), min(N, P - M[k])
    return max(P, Fraction(0)), max(N, Fraction(0))


def _moment_range(i: int, alpha: Fraction, beta: Fraction, M: dict) -> tuple[Fraction, Fraction]:
    """An interval holding ``E[W^i]``."""
    if i in M:
        return M[i], M[i]
    P, N = _part_bounds(i, alpha, beta, M)
    low = -N
    if i % 2 == 0 and 2 in M:
        low = max(low, M[2] ** (i // 2))
    return low, P


def _remainder_term(
    lo: Fraction, hi: Fraction, k: int, alpha: Fraction, beta: Fraction, M: dict
) -> tuple[Fraction, Fraction]:
    """An interval holding ``E[g(X) W^k]`` for every g with values in ``[lo, hi]``."""
    P, N = _part_bounds(k, alpha, beta, M)
    if k in M:
        m = M[k]
        return hi * m - (hi - lo) * P, lo * m + (hi - lo) * P
    return min(lo * P, Fraction(0)) - max(hi * N, Fraction(0)), max(hi * P, Fraction(0)) - min(
        lo * N, Fraction(0)
    )


def _ends(c: Any) -> tuple[Fraction, Fraction]:
    lo, hi = (c.lo, c.hi) if is_interval(c) else (c, c)
    lo, hi = float(np.asarray(lo)), float(np.asarray(hi))
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError
    return Fraction(lo), Fraction(hi)


@in_float64
def jensen_bounds(
    f: Any,
    support: tuple[Any, Any],
    mean: Any = None,
    variance: Any = None,
    *,
    moments: Sequence[Any] | None = None,
    degree: int = 2,
) -> JensenBounds:
    """Guaranteed bounds on ``E[f(X)]`` over every distribution of X on `support` with the
    given moments (the sharper Jensen inequality; math in the module docstring).

    **Arguments:**

    - `f`: a function of one variable: a string (``"log(1 + exp(x))"``), a sympy expression or
      a Python function of ``jax.numpy`` scalars.
    - `support`: ``(a, b)``, finite, ``a < b``.
    - `mean`, `variance`: E[X] and Var[X]; or `moments` = ``[E X, E X^2, ..., E X^n]`` (raw
      moments).  Numbers may be ints, floats, Fractions or decimal strings (read exactly).
    - `degree`: k >= 1 of the Taylor enclosure of f at the mean (default 2: the bound
      ``f(mu) + f'(mu)·0 + [l, u]·variance``).

    **Returns:** a :class:`JensenBounds`; ``lower <= E f(X) <= upper`` for every such X.

    **Raises:** InvalidRegion (support), InvalidArgument (moments that no distribution on
    the support has, naming the condition), DomainError (f not defined or not finite on the
    support).
    """
    if not isinstance(degree, (int, np.integer)) or isinstance(degree, bool) or degree < 1:
        raise InvalidArgument(f"degree must be an integer >= 1, got {degree!r}")
    a, b = _support(support)
    mu, central = _central_moments(mean, variance, moments)
    _check_feasible(a, b, mu, central)
    enc = enclose(f, degree=int(degree), rounding="outward")
    e = enc(float(mu), down(a), up(b))
    try:
        coeffs = tuple(_ends(c) for c in e.coefficients)
        if not bool(np.asarray(e.valid)):
            raise ValueError
    except ValueError:
        bad = sorted(k for k, v in e.flags.items() if bool(np.asarray(v)))
        raise DomainError(
            f"f has no finite Taylor enclosure over the support [{a}, {b}]"
            + (f" (flags: {', '.join(bad)})" if bad else "")
            + ": f is not defined, or not finite, somewhere on it"
        ) from None
    x0 = Fraction(float(np.asarray(e.x0)))
    alpha, beta = x0 - a, b - x0
    M = _moments_about(x0, mu, central)
    k = int(degree)
    terms, low, high = [], Fraction(0), Fraction(0)
    for i, (cl, ch) in enumerate(coeffs[:-1]):
        ml, mh = _moment_range(i, alpha, beta, M)
        products = [cl * ml, cl * mh, ch * ml, ch * mh]
        tl, th = min(products), max(products)
        terms.append((rf"c_{{{i}}} E[W^{{{i}}}]", tl, th))
        low, high = low + tl, high + th
    rl, rh = _remainder_term(*coeffs[-1], k, alpha, beta, M)
    terms.append((rf"E[g(X) W^{{{k}}}]", rl, rh))
    low, high = low + rl, high + rh
    # f(mu) for the classical bound: the enclosure at x = mu.
    d = mu - x0
    cls = [Fraction(0), Fraction(0)]
    for i, (cl, ch) in enumerate(coeffs):
        p = d**i
        cls[0] += min(cl * p, ch * p)
        cls[1] += max(cl * p, ch * p)
    return JensenBounds(
        lower=down(low),
        upper=up(high),
        classical=(down(cls[0]), up(cls[1])),
        degree=k,
        support=(a, b),
        mean=mu,
        x0=x0,
        moments={i: m for i, m in M.items() if i >= 1},
        coefficients=coeffs,
        terms=tuple(terms),
        expression=f if isinstance(f, str) else getattr(f, "__name__", str(f)),
    )


# -- LaTeX -----------------------------------------------------------------------------------


def _tex(q: Fraction) -> str:
    if q.denominator == 1:
        return str(q.numerator)
    f = float(q)
    if Fraction(f) == q:
        return repr(f)
    return rf"\tfrac{{{q.numerator}}}{{{q.denominator}}}"


def _tex_float(q: Fraction, direction: int) -> str:
    """`q` as a 10-digit decimal, rounded down (-1), up (1) or to nearest (0)."""
    if direction == 0:
        return f"{float(q):.10g}"
    s = f"{float(q):.10g}"
    v = Fraction(s)
    step = Fraction(10) ** (math.floor(math.log10(abs(float(q)))) - 9) if q else Fraction(0)
    if direction < 0 and v > q:
        v -= step
    if direction > 0 and v < q:
        v += step
    return f"{float(v):.10g}" if Fraction(f"{float(v):.10g}") == v else str(float(v))


def _poly_tex(coeffs: tuple[tuple[Fraction, Fraction], ...]) -> str:
    parts = []
    for i, (lo, hi) in enumerate(coeffs):
        c = _tex_float(lo, 0) if lo == hi else rf"[{_tex_float(lo, -1)}, {_tex_float(hi, 1)}]"
        parts.append(c if i == 0 else c + (r"(x - x_0)" if i == 1 else rf"(x - x_0)^{{{i}}}"))
    return " + ".join(parts)
