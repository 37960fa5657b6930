"""A lower bound of a quadratic with interval coefficients over a box, in exact rationals.

For ``q(d) = C + G·d + Σ_ij Q_ij d_i d_j`` (C, G, Q intervals, read as sets as in an
enclosure) over the box ``d ∈ [a, b]`` (``a <= 0 <= b``), let ``D_j = max(−a_j, b_j)``,
``ℓ = mid G`` and M the symmetric matrix with ``M_ii = lo Q_ii`` and, for ``i ≠ j``,
``M_ij = mid(Q_ij + Q_ji) / 2`` (both rounded to a grid: see :func:`relaxation`).  Then for
every d in the box and every choice of the coefficients

    q(d) >= lo C − Σ_j rad(G_j) D_j − Σ_{i<j} rad(Q_ij + Q_ji) D_i D_j + ℓ·d + dᵀ M d,

and, writing ``d = u + e`` for any anchor u (``e_j`` within ``E_j = max(b_j − u_j, u_j −
a_j)`` of 0),

    ℓ·d + dᵀ M d = φ(u) + r·e + eᵀ M e >= φ(u) − Σ_j |r_j| E_j,   r = ℓ + 2 M u,

where ``eᵀ M e >= 0`` needs M positive definite (checked exactly, by Gaussian elimination:
every pivot > 0).  With u at the minimizer of ``ℓ·d + dᵀ M d`` (clipped to the box) the bound
is the quadratic's minimum where that lies in the box: the second-order bound that term-by-
term ranges miss (their error is first order in the box's width near a minimizer, where the
linear and quadratic terms cancel).  Any u gives a valid bound; the prover records the one it
used (``Leaf.anchor``) and the checker recomputes the bound with it here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

Pair = tuple[Fraction, Fraction]

__all__ = ["positive_definite", "quadratic_lower", "relaxation"]


def relaxation(
    g: Sequence[Pair], Q: Sequence[Sequence[Pair]], spans: Sequence[Pair]
) -> tuple[list[Fraction], list[list[Fraction]], Fraction]:
    """(ℓ, M, penalty) of the module docstring: ``q(d) >= lo C − penalty + ℓ·d + dᵀ M d``.

    M's entries are multiples of a unit ``2^(e − 60)`` (``2^e`` about the largest of them):
    ``M_ii`` is ``lo Q_ii`` rounded down, ``M_ij`` the midpoint rounded to nearest, and the
    penalty of a pair is ``max(hi S_ij − 2 M_ij, 2 M_ij − lo S_ij) D_i D_j`` with ``S_ij =
    Q_ij + Q_ji`` (valid for any M_ij).  Small integers keep the exact elimination fast
    where an entry is a tiny rounding residue (a subnormal end has a denominator of 2^1074)."""
    n = len(g)
    D = [max(-a, b) for a, b in spans]
    ell = [(s + t) / 2 for s, t in g]
    penalty = sum(((t - s) / 2 * d for (s, t), d in zip(g, D, strict=True)), Fraction(0))
    S = {(i, j): (Q[i][j][0] + Q[j][i][0], Q[i][j][1] + Q[j][i][1])
         for i in range(n) for j in range(i + 1, n)}  # fmt: skip
    scale = max([abs(Q[i][i][0]) for i in range(n)] + [abs(a + b) / 4 for a, b in S.values()])
    if not scale:
        scale = Fraction(1)
    unit = Fraction(2) ** (scale.numerator.bit_length() - scale.denominator.bit_length() - 60)
    M = [[Fraction(0)] * n for _ in range(n)]
    for i in range(n):
        M[i][i] = math.floor(Q[i][i][0] / unit) * unit
        for j in range(i + 1, n):
            s_lo, s_hi = S[i, j]
            M[i][j] = M[j][i] = round((s_lo + s_hi) / 4 / unit) * unit
            penalty += max(s_hi - 2 * M[i][j], 2 * M[i][j] - s_lo) * D[i] * D[j]
    return ell, M, penalty


def positive_definite(M: Sequence[Sequence[Fraction]]) -> bool:
    """Whether the symmetric rational matrix M is positive definite: Sylvester's criterion,
    every leading principal minor > 0, by fraction-free (Bareiss) elimination of the integer
    matrix ``den · M`` (after step k the pivot is the (k+1)-th leading minor of ``den · M``)."""
    n = len(M)
    den = math.lcm(*(q.denominator for row in M for q in row))
    A = [[q.numerator * (den // q.denominator) for q in row] for row in M]
    previous = 1
    for k in range(n):
        if A[k][k] <= 0:
            return False
        for i in range(k + 1, n):
            for j in range(k + 1, n):
                A[i][j] = (A[i][j] * A[k][k] - A[i][k] * A[k][j]) // previous
        previous = A[k][k]
    return True


def quadratic_lower(
    c_lo: Fraction,
    g: Sequence[Pair],
    Q: Sequence[Sequence[Pair]],
    spans: Sequence[Pair],
    u: Sequence[Fraction],
) -> Fraction | None:
    """The module docstring's lower bound of q over the box, anchored at u (None where M is
    not positive definite: then the bound does not hold as stated)."""
    ell, M, penalty = relaxation(g, Q, spans)
    if not positive_definite(M):
        return None
    n = len(ell)
    Mu = [sum((M[j][k] * u[k] for k in range(n)), Fraction(0)) for j in range(n)]
    phi = sum((u[j] * (ell[j] + Mu[j]) for j in range(n)), Fraction(0))
    slack = Fraction(0)
    for j, (a, b) in enumerate(spans):
        r = ell[j] + 2 * Mu[j]
        slack += abs(r) * max(b - u[j], u[j] - a)
    return c_lo - penalty + phi - slack
