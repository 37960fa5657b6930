"""What a Taylor enclosure says: its value at points, its range, integral and width over its box.

A degree-k Taylor enclosure (:class:`~autobound.core.TaylorEnclosure`) states that for every x
in the box ``B = [lo, hi]`` (which contains x0),

$$ f(x) \\in \\sum_{i \\le k} c_i \\, z^{\\otimes i}, \\qquad z = x - x_0, $$

where the trailing i axes of ``c_i`` (shape ``out_shape + x_shape * i``) are contracted with i
copies of the flattened z, and an interval coefficient ``[a, b]`` is read as a set: entry by
entry, the right side is ``Σ_m [min(a_m z^m, b_m z^m), max(a_m z^m, b_m z^m)]`` over the
multi-indices m (``z^m = z_{m_1} ⋯ z_{m_i}``).  This module is the one place that turns that
layout into numbers:

- :func:`evaluate`: the right side at points x, as an :class:`~autobound.interval.Interval`
  ``(lower(x), upper(x))``;
- :func:`range`: an interval holding f(x) for every x in the box;
- :func:`integral`: an interval holding ``∫_B f(x) dx``;
- :func:`width`: an upper bound on ``max_{x ∈ B} upper(x) − lower(x)``.

Every function takes one box (batches go through ``jax.vmap``), is jitted (one compilation
per structure: the degree, the shapes, the dtype and the rounding mode) and can be traced into
a caller's ``jit``/``vmap``/``scan``.  With ``rounding="outward"`` each operation is rounded
outward (:class:`~autobound.interval.Arith`), so every result contains the exact real value
for the exact real coefficients and box; with ``"nearest"`` the same formulas run in plain
floating point and may miss it by a few ulps.  A result end that is NaN (void coefficients:
see ``TaylorEnclosure.flags``; or ``0 · inf``) becomes the whole line.

The enclosure may be a :class:`~autobound.core.TaylorEnclosure` or any object with
`coefficients`, `x0`, `rounding` and either `lo`/`hi` or ``x_trust_region = (lo, hi)`` (as
:class:`autobound.api.TaylorBounds`); :func:`as_enclosure` builds one from its parts.  The box
ends and x0 are taken as given: subnormal entries (which XLA on CPU reads as 0) should already
be flushed, as :func:`autobound.enclose` does.
"""

from __future__ import annotations

import builtins
import math
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from autobound import enclosure as E
from autobound import interval as iv
from autobound.core import TaylorEnclosure
from autobound.errors import InvalidArgument, ShapeMismatch
from autobound.interval import Arith, Interval, as_interval, down, up

__all__ = ["as_enclosure", "evaluate", "integral", "quadratic_lower", "range", "width"]

_irange = builtins.range  # `range` below is this module's function


# -- the enclosure in flat layout --------------------------------------------------------------


def as_enclosure(
    coefficients: Any, x0: Any, lo: Any, hi: Any, rounding: str = "nearest"
) -> TaylorEnclosure:
    """A :class:`~autobound.core.TaylorEnclosure` from its parts (no flags set).

    **Arguments:**

    - `coefficients`: a sequence ``(c_0, ..., c_k)``; ``c_i`` is an array or an
      :class:`~autobound.interval.Interval` of shape ``out_shape + x_shape * i``.
    - `x0`: the expansion point, shape ``x_shape``.
    - `lo`, `hi`: the box (shape ``x_shape``, or scalars broadcast to it), with
      ``lo <= x0 <= hi``.
    - `rounding`: ``"nearest"`` or ``"outward"``: the arithmetic of this module's functions.

    **Returns:** the enclosure, for :func:`evaluate`, :func:`range`, :func:`integral` and
    :func:`width`.  Shapes are checked there, when the functions are traced.
    """
    if rounding not in ("nearest", "outward"):
        raise InvalidArgument(f"rounding must be 'nearest' or 'outward', got {rounding!r}")
    coefficients = tuple(c if iv.is_interval(c) else jnp.asarray(c) for c in coefficients)
    if not coefficients:
        raise InvalidArgument("an enclosure needs at least the coefficient c_0")
    x0 = jnp.asarray(x0)
    lo, hi = jnp.asarray(lo), jnp.asarray(hi)
    if lo.shape not in ((), x0.shape) or hi.shape not in ((), x0.shape):
        raise ShapeMismatch(
            f"x0 has shape {x0.shape} but the box ends have shapes {lo.shape} and {hi.shape}"
        )
    lo, hi = jnp.broadcast_to(lo, x0.shape), jnp.broadcast_to(hi, x0.shape)
    return TaylorEnclosure(coefficients, x0, lo, hi, {}, rounding)


def _coerce(e: Any) -> TaylorEnclosure:
    """`e` as a TaylorEnclosure (a pytree the jitted functions accept)."""
    if isinstance(e, TaylorEnclosure):
        return e
    if hasattr(e, "lo") and hasattr(e, "hi"):
        lo, hi = e.lo, e.hi
    elif hasattr(e, "x_trust_region"):
        lo, hi = e.x_trust_region
    else:
        raise InvalidArgument(
            f"expected a TaylorEnclosure or an object with coefficients, x0, rounding and "
            f"lo/hi or x_trust_region; got {type(e).__name__}"
        )
    return as_enclosure(e.coefficients, e.x0, lo, hi, getattr(e, "rounding", "nearest"))


class _Flat(NamedTuple):
    """The enclosure with x flattened to n entries: ``coeffs[i]`` has shape
    ``out + (n,) * i``; `x0`, `lo`, `hi` have shape ``(n,)``."""

    A: Arith
    coeffs: tuple
    x0: jax.Array
    lo: jax.Array
    hi: jax.Array
    out: tuple[int, ...]
    n: int
    x_shape: tuple[int, ...]


def _flat(e: TaylorEnclosure) -> _Flat:
    coeffs = e.coefficients
    dtype = jnp.result_type(*(iv.lo(c) for c in coeffs), e.x0, e.lo, e.hi)
    if not jnp.issubdtype(dtype, jnp.floating):
        dtype = jnp.result_type(float)
    A = Arith(e.rounding, dtype)
    x_shape = tuple(jnp.shape(e.x0))
    n = max(1, math.prod(x_shape))
    out = tuple(iv.shape_of(coeffs[0]))
    flat = []
    for i, c in enumerate(coeffs):
        want = out + x_shape * i
        if tuple(iv.shape_of(c)) != want:
            raise ShapeMismatch(
                f"coefficient {i} has shape {tuple(iv.shape_of(c))}, expected {want} "
                f"(out_shape {out} + x_shape {x_shape} * {i})"
            )
        flat.append(iv.tree_map(lambda a, i=i: jnp.asarray(a, dtype).reshape(out + (n,) * i), c))

    def box(v):
        return jnp.broadcast_to(jnp.asarray(v, dtype), x_shape).reshape(n)

    return _Flat(A, tuple(flat), box(e.x0), box(e.lo), box(e.hi), out, n, x_shape)


# -- rounding helpers --------------------------------------------------------------------------


def _sub(A: Arith, a: Any, b: jax.Array) -> Any:
    """``a − b`` (a may be an interval): a point in nearest mode, in outward mode an interval
    containing the exact difference (``down``/``up`` also cover results flushed to zero)."""
    if not A.outward:
        return a - b if not iv.is_interval(a) else Interval(a.lo - b, a.hi - b)
    return Interval(down(iv.lo(a) - b), up(iv.hi(a) - b))


def _nonneg(v: Any) -> Interval:
    """An interval for a quantity known to be >= 0: its lower end clipped at 0."""
    v = as_interval(v)
    return Interval(jnp.maximum(v.lo, 0.0), v.hi)


def _unit(v: Interval) -> Interval:
    """An interval for a quantity known to lie in [0, 1], cut to [0, 1] (an unbounded or NaN
    end, from a quotient by [0, ...] or 0/0, becomes 0 or 1)."""
    return Interval(
        jnp.where(v.lo >= 0.0, jnp.minimum(v.lo, 1.0), 0.0),
        jnp.where(v.hi <= 1.0, jnp.maximum(v.hi, 0.0), 1.0),
    )


def _finish(v: Any) -> Interval:
    """The result as an Interval, NaN ends (unknown values) made the whole line."""
    return iv.sanitize(as_interval(v))


def _point_x(A: Arith, x: jax.Array) -> Any:
    """Points x in the arithmetic's dtype: a wider float that the dtype cannot hold becomes
    the enclosing interval of its two neighbours in outward mode (rounded to nearest else)."""
    if not jnp.issubdtype(x.dtype, jnp.floating):
        return x.astype(A.dtype)
    if jnp.finfo(x.dtype).bits <= jnp.finfo(A.dtype).bits:
        return x.astype(A.dtype)
    narrow = x.astype(A.dtype)
    if not A.outward:
        return narrow
    back = narrow.astype(x.dtype)
    return Interval(
        jnp.where(back > x, jnp.nextafter(narrow, jnp.asarray(-jnp.inf, A.dtype)), narrow),
        jnp.where(back < x, jnp.nextafter(narrow, jnp.asarray(jnp.inf, A.dtype)), narrow),
    )


def _box_offsets(p: _Flat) -> tuple[Interval, Interval]:
    """``(α, β)``: intervals (shape (n,)) holding ``x0 − lo >= 0`` and ``hi − x0 >= 0``."""
    return _nonneg(_sub(p.A, p.x0, p.lo)), _nonneg(_sub(p.A, p.hi, p.x0))


class _NonNeg:
    """Arithmetic on intervals of nonnegative reals (ends >= 0): sums, products and quotients
    are monotone there, so the lower end is computed from lower ends and rounded down, the
    upper end from upper ends and rounded up (in outward mode; plain in nearest mode)."""

    def __init__(self, A: Arith):
        self.outward = A.outward

    def _round(self, lo: jax.Array, hi: jax.Array) -> Interval:
        if not self.outward:
            return Interval(lo, hi)
        return Interval(jnp.maximum(down(lo), 0.0), up(hi))

    def add(self, a: Interval, b: Interval) -> Interval:
        return self._round(a.lo + b.lo, a.hi + b.hi)

    def mul(self, a: Interval, b: Interval) -> Interval:
        return self._round(a.lo * b.lo, a.hi * b.hi)

    def div(self, a: Interval, b: Interval | int) -> Interval:
        """``a / b``; a divisor whose lower end is 0 gives an upper end of +inf (or NaN)."""
        if isinstance(b, int):
            return self._round(a.lo / b, a.hi / b)
        return self._round(a.lo / b.hi, a.hi / b.lo)

    def pow(self, a: Interval, j: int) -> Interval:
        r = a
        for _ in _irange(j - 1):
            r = self.mul(r, a)
        return r

    def product(self, v: Interval) -> Interval:
        """The product of the entries of a vector, by pairwise products (log2(n) rounds)."""
        while v.lo.shape[0] > 1:
            if v.lo.shape[0] % 2:
                v = iv.tree_map(lambda a: jnp.concatenate([a, jnp.ones((1,), a.dtype)]), v)
            v = self.mul(iv.tree_map(lambda a: a[0::2], v), iv.tree_map(lambda a: a[1::2], v))
        return iv.tree_map(lambda a: a[0], v)


def _first_occurrences(n: int, i: int) -> tuple[np.ndarray, np.ndarray]:
    """For the n**i multi-indices of degree i (C order): the variable at each position and the
    power it carries there (its count in the multi-index at its first position, 0 at later
    positions), so that ``z^m = Π_j z_{idx[t, j]} ** power[t, j]``."""
    idx = np.indices((n,) * i).reshape(i, -1).T
    power = np.zeros_like(idx)
    for j in _irange(i):
        same = idx == idx[:, j : j + 1]  # (n**i, i): positions holding the same variable
        first = ~np.any(same[:, :j], axis=1)
        power[:, j] = np.where(first, same.sum(axis=1), 0)
    return idx, power


def _stacked_first_occurrences(n: int, degrees: Any, k: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_first_occurrences` for the given degrees (each >= 1) stacked in that order:
    ``Σ n**i`` rows of k positions (positions past a row's degree: variable 0, power 0)."""
    idx, power = [np.zeros((0, k), int)], [np.zeros((0, k), int)]
    for i in degrees:
        t, w = _first_occurrences(n, i)
        idx.append(np.pad(t, ((0, 0), (0, k - i))))
        power.append(np.pad(w, ((0, 0), (0, k - i))))
    return np.concatenate(idx), np.concatenate(power)


# -- evaluate ----------------------------------------------------------------------------------


def _contract_first(a: jax.Array, b: jax.Array) -> jax.Array:
    return jnp.einsum("mv,Bv->Bm", a, b, precision=jax.lax.Precision.HIGHEST)


def _contract_next(a: jax.Array, b: jax.Array) -> jax.Array:
    return jnp.einsum("Bmv,Bv->Bm", a, b, precision=jax.lax.Precision.HIGHEST)


def _evaluate(e: TaylorEnclosure, x: Any) -> Interval:
    p = _flat(e)
    A, n = p.A, p.n
    x = jnp.asarray(x)
    nb = x.ndim - len(p.x_shape)
    if nb < 0 or tuple(x.shape[nb:]) != p.x_shape:
        raise ShapeMismatch(
            f"x has shape {x.shape}; expected batch axes followed by x_shape {p.x_shape}"
        )
    batch = tuple(x.shape[:nb])
    nB = math.prod(batch)
    z = _sub(A, _point_x(A, x.reshape(nB, n)), p.x0)  # (B, n)
    outsize = math.prod(p.out)
    total = iv.tree_map(lambda a: jnp.broadcast_to(a.reshape(outsize), (nB, outsize)), p.coeffs[0])
    for i, c in enumerate(p.coeffs[1:], start=1):
        # c · z^{⊗i} as i contractions of the last axis with z (each a sum of n products).
        t = A.bilinear(
            _contract_first, iv.tree_map(lambda a: a.reshape(-1, n), c), z, n
        )  # (B, outsize * n**(i-1))
        for _ in _irange(i - 1):
            t = A.bilinear(_contract_next, iv.tree_map(lambda a: a.reshape(nB, -1, n), t), z, n)
        total = A.add(total, t)
    return _finish(iv.tree_map(lambda a: a.reshape(batch + p.out), total))


_evaluate_jit = jax.jit(_evaluate)


def evaluate(e: Any, x: Any) -> Interval:
    """The enclosure at points x: ``(lower(x), upper(x))`` per output entry.

    $$ \\mathrm{lower}(x) = \\sum_i \\sum_m \\min(a_{i,m} z^m, b_{i,m} z^m), \\quad
       \\mathrm{upper}(x) = \\sum_i \\sum_m \\max(a_{i,m} z^m, b_{i,m} z^m), $$

    with ``z = x − x0``, ``[a_{i,m}, b_{i,m}]`` the entry m of ``c_i`` (``a = b`` for a point
    coefficient) and ``z^m = z_{m_1} ⋯ z_{m_i}``, computed as i successive contractions of
    ``c_i`` with z.  For x in the box, ``lower(x) <= f(x) <= upper(x)``; outside the box the
    polynomials are still evaluated but bound nothing.

    **Arguments:**

    - `e`: the enclosure (a :class:`~autobound.core.TaylorEnclosure`, or see
      :func:`as_enclosure`).
    - `x`: shape ``batch + x_shape`` (any number of leading batch axes).

    **Returns:** an :class:`~autobound.interval.Interval` of shape ``batch + out_shape``.  In
    outward mode it contains the exact ``[lower(x), upper(x)]`` (z and every product and sum
    rounded outward; a float x wider than the enclosure's dtype is enclosed, not rounded).
    """
    return _evaluate_jit(_coerce(e), x)


# -- range -------------------------------------------------------------------------------------


def _range(e: TaylorEnclosure) -> Interval:
    p = _flat(e)
    A = p.A
    z = Interval(
        jnp.minimum(iv.lo(_sub(A, p.lo, p.x0)), 0.0), jnp.maximum(iv.hi(_sub(A, p.hi, p.x0)), 0.0)
    )
    region = E.Region(A, z, len(p.coeffs) - 1)
    return _finish(E.enclosure_range(A, region, E.Expansion(p.coeffs)))


_range_jit = jax.jit(_range)


def range(e: Any) -> Interval:  # noqa: A001 - the natural name; builtins.range is kept as _irange
    """An interval containing f(x) for every x in the box, per output entry.

    $$ \\sum_i \\sum_m c_{i,m} \\cdot R(z^m), \\qquad
       R(z^m) = \\Big\\{ \\prod_j z_j^{e_j} : z \\in B - x_0 \\Big\\} $$

    in interval arithmetic, where e counts the occurrences of each variable in m and
    ``R(z^m)`` is the exact range of the monomial over the box (the product of the ranges of
    the powers ``z_j^{e_j}``, even powers >= 0; see
    :meth:`autobound.enclosure.Region.monomials`).  This is the term-by-term bound of the
    enclosure, the one the certificate checker recomputes exactly
    (``verify.certificate.enclosure_range``).

    **Arguments:**

    - `e`: the enclosure.

    **Returns:** an :class:`~autobound.interval.Interval` of shape ``out_shape``; in outward
    mode it contains the exact term-by-term sum, hence f(x) for every x in the box.
    """
    return _range_jit(_coerce(e))


# -- quadratic lower bound ---------------------------------------------------------------------


def _quadratic_lower(e: TaylorEnclosure) -> tuple[jax.Array, jax.Array]:
    p = _flat(e)
    A, n = p.A, p.n
    if len(p.coeffs) != 3 or p.out != ():
        raise InvalidArgument(
            f"quadratic_lower needs a degree-2 enclosure of a scalar function, got degree "
            f"{len(p.coeffs) - 1} and out_shape {p.out}"
        )
    lo_, hi_ = iv.lo, iv.hi
    z_lo = jnp.minimum(lo_(_sub(A, p.lo, p.x0)), 0.0)
    z_hi = jnp.maximum(hi_(_sub(A, p.hi, p.x0)), 0.0)
    D = jnp.maximum(-z_lo, z_hi)  # |z_j| <= D_j on the box
    c, g, Q = (as_interval(v) for v in p.coeffs)
    up_ = lambda v: hi_(v)  # noqa: E731 - the upper end of an outward result

    def spread(w: Any, m: Any) -> Any:  # max(m - lo w, hi w - m), rounded up
        return jnp.maximum(up_(A.sub(w.hi, m)), up_(A.sub(m, w.lo)))

    # the relaxation q >= lo c - penalty + l.z + z'Mz (verify.quadratic.relaxation)
    ell = A.midpoint(g)
    S = A.add(Q, Interval(Q.lo.T, Q.hi.T))  # Q_ij + Q_ji
    eye = jnp.eye(n, dtype=bool)
    M = jnp.where(eye, Q.lo, A.midpoint(S) / 2)
    DD = up_(A.mul(D[:, None], D[None, :]))
    pair = jnp.where(eye, 0.0, up_(A.mul(spread(S, 2 * M), DD)))
    penalty = A.add(up_(A.sum(A.mul(spread(g, ell), D), 0)), up(up_(A.sum(pair, (0, 1))) / 2))
    # anchor u: the minimizer of l.z + z'Mz, clipped to the box; M = LL' + R with L the
    # Cholesky factor of M (slightly shifted down, so that M itself is safely definite)
    L = jnp.linalg.cholesky(M - 1e-14 * jnp.diag(jnp.abs(jnp.diag(M))))
    u = jax.scipy.linalg.cho_solve((L, True), -ell / 2)
    u = jnp.clip(jnp.where(jnp.isfinite(u), u, 0.0), z_lo, z_hi)
    Mu = A.sum(A.mul(M, u[None, :]), 1)
    phi = A.sum(A.mul(u, A.add(ell, Mu)), 0)  # l.u + u'Mu
    r = A.add(ell, A.mul(2.0, Mu))
    E = jnp.maximum(up_(A.sub(z_hi, u)), up_(A.sub(u, z_lo)))
    r_abs = jnp.maximum(jnp.abs(lo_(r)), jnp.abs(hi_(r)))
    slack = up_(A.sum(A.mul(r_abs, E), 0))
    R = A.sub(M, A.sum(A.mul(L[:, None, :], L[None, :, :]), 2))  # M - LL'
    R_abs = jnp.maximum(jnp.abs(lo_(R)), jnp.abs(hi_(R)))
    curve = up_(A.sum(A.mul(R_abs, up_(A.mul(E[:, None], E[None, :]))), (0, 1)))
    total = A.sub(A.add(lo_(c), lo_(phi)), A.add(A.add(penalty, slack), curve))
    low = lo_(total)
    low = jnp.where(jnp.isnan(low) | jnp.any(jnp.isnan(L)), -jnp.inf, low)
    return low, u.reshape(p.x_shape)


_quadratic_lower_jit = jax.jit(_quadratic_lower)


def quadratic_lower(e: Any) -> tuple[jax.Array, jax.Array]:
    """A lower bound of a degree-2 enclosure over its box from its quadratic part, and the
    anchor it is expanded at.

    With ``z = x − x0`` and ``D_j = max |z_j|`` on the box, the lower polynomial satisfies

    $$ \\mathrm{lower}(x) \\ge \\underline{c_0} - P + \\ell \\cdot z + z^\\top M z, $$

    where ℓ is a point of ``c_1``, ``M_jj = lo (c_2)_jj``, ``M_ij`` the midpoint of
    ``((c_2)_ij + (c_2)_ji) / 2`` and P the radii times D.  Writing ``z = u + e`` and
    ``M = L Lᵀ + R`` (L the Cholesky factor of M),

    $$ \\ell \\cdot z + z^\\top M z \\ge \\varphi(u) - \\sum_j |r_j| E_j
       - \\sum_{ij} |R_{ij}| E_i E_j, \\qquad r = \\ell + 2 M u, $$

    with ``E_j`` bounding ``|e_j|`` on the box; u is the minimizer of ``ℓ·z + zᵀMz``
    clipped to the box.  Where M is positive definite and that minimizer lies in the box
    the bound is the quadratic's minimum: its error is of second order in the box's width
    near a minimizer of f, where :func:`range` (term by term) loses to first order.  The
    certificate checker recomputes it exactly from the anchor (``verify.quadratic``).

    **Arguments:**

    - `e`: a degree-2 enclosure of a scalar function.

    **Returns:** ``(lower, u)``: lower of shape ``()`` (``-inf`` where M is not positive
    definite or a coefficient is void; in outward mode a bound for the exact reals), and
    the anchor u (shape ``x_shape``; the offset from x0).
    """
    return _quadratic_lower_jit(_coerce(e))


# -- integral ----------------------------------------------------------------------------------


def _integral(e: TaylorEnclosure) -> Interval:
    p = _flat(e)
    A, n = p.A, p.n
    k = len(p.coeffs) - 1
    alpha, beta = _box_offsets(p)
    nn = _NonNeg(A)
    vol = nn.product(_nonneg(_sub(A, p.hi, p.lo)))
    # Means over [−α, β] of the positive and negative parts of h**j, for j = 0..k:
    # ∫_0^β h^j dh = β^{j+1}/(j+1) and ∫_{−α}^0 |h|^j dh = α^{j+1}/(j+1), divided by α + β,
    # written with θ_β = β/(α+β), θ_α = α/(α+β) in [0, 1] (no underflow of β^{j+1}).
    span = nn.add(alpha, beta)
    theta_b, theta_a = _unit(nn.div(beta, span)), _unit(nn.div(alpha, span))
    one, zero = jnp.ones((n,), A.dtype), jnp.zeros((n,), A.dtype)
    pos, neg = [Interval(one, one)], [Interval(zero, zero)]
    for j in _irange(1, k + 1):
        right = nn.mul(nn.pow(beta, j), theta_b)
        left = nn.mul(nn.pow(alpha, j), theta_a)
        if j % 2 == 0:
            pos.append(nn.div(nn.add(right, left), j + 1))
            neg.append(Interval(zero, zero))
        else:
            pos.append(nn.div(right, j + 1))
            neg.append(nn.div(left, j + 1))
    plo, phi = jnp.stack([v.lo for v in pos]), jnp.stack([v.hi for v in pos])
    qlo, qhi = jnp.stack([v.lo for v in neg]), jnp.stack([v.hi for v in neg])
    # mean_B f ∈ Σ_i Σ_m [a P̄_m − b N̄_m, b P̄_m − a N̄_m]: P̄_m, N̄_m the means of the positive
    # and negative parts of z^m, products over its variables of the one-variable means
    # (a product is positive where both factors are, or both are negative).
    # All multi-indices of degrees 1..k in one vector (positions past a degree carry power 0,
    # the factor (1, 0)).
    total = as_interval(p.coeffs[0])
    if k:
        idx, power = _stacked_first_occurrences(n, _irange(1, k + 1), k)
        m = idx.shape[0]
        P = Interval(jnp.ones((m,), A.dtype), jnp.ones((m,), A.dtype))
        N = Interval(jnp.zeros((m,), A.dtype), jnp.zeros((m,), A.dtype))
        for j in _irange(k):
            pj = Interval(plo[power[:, j], idx[:, j]], phi[power[:, j], idx[:, j]])
            qj = Interval(qlo[power[:, j], idx[:, j]], qhi[power[:, j], idx[:, j]])
            P, N = nn.add(nn.mul(P, pj), nn.mul(N, qj)), nn.add(nn.mul(P, qj), nn.mul(N, pj))
        a, b = (
            jnp.concatenate([end(c).reshape(p.out + (-1,)) for c in p.coeffs[1:]], axis=-1)
            for end in (iv.lo, iv.hi)
        )
        low = iv.lo(A.sub(A.mul(a, P), A.mul(b, N)))
        high = iv.hi(A.sub(A.mul(b, P), A.mul(a, N)))
        total = A.add(total, A.sum(Interval(low, high), -1))
    return _finish(A.mul(total, vol))


_integral_jit = jax.jit(_integral)


def integral(e: Any) -> Interval:
    """An interval containing ``∫_B f(x) dx`` over the box B, per output entry.

    Each monomial is integrated exactly, coordinate by coordinate.  On ``[−α, β]``
    (``α = x0 − lo``, ``β = hi − x0``, both >= 0) the power ``h^j`` has positive part
    integral ``β^{j+1}/(j+1)`` (plus ``α^{j+1}/(j+1)`` for even j) and negative part
    integral ``α^{j+1}/(j+1)`` for odd j; a monomial's positive and negative parts
    ``P_m``, ``N_m`` follow by products over its variables (``P ← P p + N q``,
    ``N ← P q + N p``), and the variables it lacks contribute their widths.  An interval
    coefficient ``[a, b]`` gives ``∫ min(a z^m, b z^m) = a P_m − b N_m`` and
    ``∫ max(a z^m, b z^m) = b P_m − a N_m``, so

    $$ \\int_B f \\in \\Big[ \\sum_{i,m} a_{i,m} P_m - b_{i,m} N_m,\\;
       \\sum_{i,m} b_{i,m} P_m - a_{i,m} N_m \\Big]. $$

    It is computed as ``vol(B)`` times the same sums over means (``P_m / vol(B)``, ...), so
    no power of a small width underflows.  The same bound as the certificate checker's
    ``verify.certificate.enclosure_integral``.

    **Arguments:**

    - `e`: the enclosure.

    **Returns:** an :class:`~autobound.interval.Interval` of shape ``out_shape``; in outward
    mode it contains the exact value of the bound above, hence the integral of f.  A
    zero-width box gives (about) 0.
    """
    return _integral_jit(_coerce(e))


# -- width -------------------------------------------------------------------------------------


def _width(e: TaylorEnclosure) -> jax.Array:
    p = _flat(e)
    A, n = p.A, p.n
    k = len(p.coeffs) - 1
    total = jnp.zeros(p.out, A.dtype)
    c0 = p.coeffs[0]
    if iv.is_interval(c0):
        total = iv.hi(A.sub(c0.hi, c0.lo))
    degrees = [i for i, c in enumerate(p.coeffs) if i and iv.is_interval(c)]
    if degrees:
        # |z^m| <= Π_j r_j^{e_j} (r_j >= max |z_j| on the box) for the multi-indices m of the
        # interval coefficients of degree >= 1, all in one vector.
        alpha, beta = _box_offsets(p)
        nn = _NonNeg(A)
        r = Interval(jnp.maximum(alpha.lo, beta.lo), jnp.maximum(alpha.hi, beta.hi))
        one = jnp.ones((n,), A.dtype)
        table = jnp.stack([one] + [nn.pow(r, j).hi for j in _irange(1, k + 1)])  # (k+1, n)
        idx, power = _stacked_first_occurrences(n, degrees, k)
        bound = Interval(jnp.ones(idx.shape[:1], A.dtype), jnp.ones(idx.shape[:1], A.dtype))
        for j in _irange(k):
            factor = table[power[:, j], idx[:, j]]
            bound = nn.mul(bound, Interval(factor, factor))
        w = jnp.concatenate(
            [iv.hi(A.sub(p.coeffs[i].hi, p.coeffs[i].lo)).reshape(p.out + (-1,)) for i in degrees],
            axis=-1,
        )
        total = iv.hi(A.add(total, iv.hi(A.sum(A.mul(w, bound.hi), -1))))
    return jnp.where(jnp.isnan(total), jnp.inf, total)


_width_jit = jax.jit(_width)


def width(e: Any) -> jax.Array:
    """An upper bound on ``max_{x ∈ B} upper(x) − lower(x)``, per output entry.

    ``upper(x) − lower(x) = Σ_{i,m} (b_{i,m} − a_{i,m}) |z^m|`` and ``|z^m| <= Π_j r_j^{e_j}``
    with ``r_j = max(x0_j − lo_j, hi_j − x0_j)``, so the bound is

    $$ \\sum_i (b_i - a_i) \\cdot r^{\\otimes i}, $$

    over the interval coefficients only (a point coefficient adds no width).

    **Arguments:**

    - `e`: the enclosure.

    **Returns:** an array of shape ``out_shape`` (>= 0; ``inf`` where a coefficient is
    unbounded); in outward mode rounded up, so it bounds the exact width.
    """
    return _width_jit(_coerce(e))
