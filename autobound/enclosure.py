"""Taylor enclosures and their arithmetic.

A degree-k Taylor enclosure of f at x0 over the box X is a tuple of coefficients
``(c_0, ..., c_k)`` such that

    f(x) ∈ Σ_{i<=k} c_i · (x − x0)^{⊗i}    for all x ∈ X,

where ``c_i`` has shape ``out + (n,)*i`` (n = the number of input entries; the trailing i axes
are contracted with i copies of ``z = x − x0``) and may be a point or an
:class:`~autobound.interval.Interval` (then the right side is the set of all such sums).
Usually only ``c_k`` is an interval; in outward rounding mode every coefficient that carries
rounding error is one.

Products truncate at degree k: a term ``a_i b_j`` with ``i + j > k`` is folded into degree k
by replacing ``e = i + j − k`` of its factors of z by the exact range of the monomials
``z^{⊗e}`` over the box (:meth:`Region.monomials`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import reduce
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from autobound.interval import Arith, Interval, Value, is_interval, lo, shape_of, tree_map


class Expansion(NamedTuple):
    """``f(x) ∈ Σ_i coeffs[i] · (x − x0)^{⊗i}`` for all x in the region (a JAX pytree)."""

    coeffs: tuple

    @property
    def degree(self) -> int:
        return len(self.coeffs) - 1

    @property
    def out_shape(self) -> tuple[int, ...]:
        return shape_of(self.coeffs[0])


class Region:
    """The box ``Z = X − x0`` (flattened to n entries) and the ranges of its monomials.

    Created once per traced call; monomial ranges are computed lazily and cached.
    """

    def __init__(self, arith: Arith, z: Interval, degree: int):
        self.A = arith
        self.z = z
        self.n = int(shape_of(z)[0])
        self.degree = degree
        self.eye = None  # x's linear coefficient, once built (identity): entries 0 and 1
        self._mono: dict[int, Interval] = {}

    def monomials(self, e: int) -> Interval:
        """Interval tensor of shape ``(n,)*e`` holding the exact range over the box of each
        monomial ``z_{v1} ⋯ z_{ve}`` (repeated variables are powers, so ``z_v**2 >= 0``)."""
        if e in self._mono:
            return self._mono[e]
        A, n = self.A, self.n
        if e == 1:
            r = self.z
        elif n == 1:  # one variable: the range of z**e
            r = tree_map(lambda a: a.reshape((1,) * e), A.ipow(self.z, e))
        else:
            # For each multi-index: the first occurrence of each variable carries its power,
            # later occurrences contribute the factor 1.
            idx = np.indices((n,) * e).reshape(e, -1).T
            powers = np.zeros_like(idx)
            for t, row in enumerate(idx):
                for j, v in enumerate(row):
                    if v not in row[:j]:
                        powers[t, j] = int(np.sum(row == v))
            pw = [A.ipow(self.z, p) for p in range(e + 1)]
            plo = jnp.stack([jnp.broadcast_to(lo(p), (n,)) for p in pw])
            phi = jnp.stack([jnp.broadcast_to(p.hi if is_interval(p) else p, (n,)) for p in pw])
            factors = [
                Interval(plo[powers[:, j], idx[:, j]], phi[powers[:, j], idx[:, j]])
                for j in range(e)
            ]
            r = reduce(A.mul, factors)
            r = tree_map(lambda a: a.reshape((n,) * e), r)
        if not is_interval(r):
            r = Interval(r, r)
        self._mono[e] = r
        return r


def reshaped(a: jax.Array, shape: tuple[int, ...]) -> jax.Array:
    """`a` reshaped to `shape`; `a` itself if it has that shape (no op in the program)."""
    return a if tuple(jnp.shape(a)) == tuple(shape) else jnp.reshape(a, shape)


def _expand(c: Value, ndim: int, before: int, after: int) -> Value:
    """Insert `after` unit axes at the end of `c` and `before` unit axes before its last
    `ndim - out` var axes (used to lay out outer products over var axes)."""

    def f(a):
        shp = a.shape
        out, var = shp[: len(shp) - ndim], shp[len(shp) - ndim :]
        return reshaped(a, out + (1,) * before + var + (1,) * after)

    return tree_map(f, c)


def contract_tail(A: Arith, c: Value, r: Interval, e: int) -> Value:
    """``Σ_{last e axes} c · r``: replace e trailing factors of z by their range `r`."""
    if e == 0:
        return c
    prod = A.mul(c, r)
    nd = len(shape_of(prod))
    return A.sum(prod, tuple(range(nd - e, nd)))


def enclosure_range(A: Arith, region: Region, enc: Expansion) -> Value:
    """An interval containing f(x) for all x in the box."""
    acc = enc.coeffs[0]
    for i, c in enumerate(enc.coeffs[1:], start=1):
        acc = A.add(acc, contract_tail(A, c, region.monomials(i), i))
    return acc


def truncate(A: Arith, region: Region, enc: Expansion, k: int) -> Expansion:
    """Fold coefficients of degree > k into degree k."""
    if enc.degree <= k:
        return enc
    cs = list(enc.coeffs[: k + 1])
    for m in range(k + 1, enc.degree + 1):
        cs[k] = A.add(cs[k], contract_tail(A, enc.coeffs[m], region.monomials(m - k), m - k))
    return Expansion(tuple(cs))


def constant(value: Value) -> Expansion:
    return Expansion((value,))


def identity(
    x0: jax.Array, z: Interval, k: int, A: Arith, region: Region, zero: bool = False
) -> Expansion:
    """The enclosure of x itself: ``x = x0 + I·z`` (exact), or its range when k = 0.

    `zero`: x0 is known to be 0 in every entry when the program is built (registered with
    :meth:`Arith.known_zero`: products with it vanish exactly).  The linear coefficient I,
    with entries 0 and 1, is kept as ``region.eye``: products with it are exact
    (:func:`mul`)."""
    if zero:
        A.known_zero(x0)
    shape = x0.shape
    n = region.n
    if k == 0:
        return Expansion((A.add(x0, tree_map(lambda a: a.reshape(shape), z)),))
    eye = jnp.asarray(np.eye(n, dtype=x0.dtype).reshape(shape + (n,)))  # a constant
    region.eye = eye
    return Expansion((x0, eye))


def add(A: Arith, a: Expansion, b: Expansion) -> Expansion:
    n = max(len(a.coeffs), len(b.coeffs))
    cs = []
    for i in range(n):
        if i >= len(a.coeffs):
            cs.append(b.coeffs[i])
        elif i >= len(b.coeffs):
            cs.append(a.coeffs[i])
        else:
            cs.append(A.add(a.coeffs[i], b.coeffs[i]))
    return Expansion(tuple(cs))


def neg(A: Arith, a: Expansion) -> Expansion:
    return Expansion(tuple(A.neg(c) for c in a.coeffs))


def sub(A: Arith, a: Expansion, b: Expansion) -> Expansion:
    return add(A, a, neg(A, b))


def broadcast_out(enc: Expansion, shape: tuple[int, ...]) -> Expansion:
    """Broadcast the output part of each coefficient to `shape` (numpy rules).  Each
    coefficient is checked on its own: a sum of a (3,)-shaped affine enclosure and a
    (1,)-shaped one keeps the (1,)-shaped higher coefficients of the second."""
    shape = tuple(shape)

    def g(a, i):
        if not hasattr(a, "shape") or a.ndim < i:  # a number or scalar broadcasts by itself
            return a
        out, var = tuple(a.shape[: a.ndim - i]), tuple(a.shape[a.ndim - i :])
        if out == shape:
            return a
        a = reshaped(a, (1,) * (len(shape) - len(out)) + out + var)
        return jnp.broadcast_to(a, shape + var)

    return Expansion(tuple(tree_map(lambda a, i=i: g(a, i), c) for i, c in enumerate(enc.coeffs)))


def _products(A, region, k, a, b, pair, shape, total=None):
    """Σ_{i,j} pair(a_i, b_j) z^{⊗(i+j)} truncated at degree k (see module docstring);
    `shape`: the output shape (for the zero coefficients no product reaches).  The terms of
    each degree are summed by ``total(terms)`` (default: :meth:`Arith.add` one by one)."""
    deg = min(a.degree + b.degree, k)
    terms: list[list] = [[] for _ in range(deg + 1)]
    for i, ai in enumerate(a.coeffs):
        for j, bj in enumerate(b.coeffs):
            if ai is None or bj is None or A.is_zero(ai) or A.is_zero(bj):
                continue  # an exact zero coefficient
            e = max(i + j - k, 0)
            bj_ = contract_tail(A, bj, region.monomials(e), e) if e else bj
            terms[i + j - e].append(pair(ai, bj_, i, j - e))
    total = total or (lambda ts: reduce(A.add, ts))
    out = [total(ts) if ts else 0 for ts in terms]
    dtype = next(lo(c).dtype for c in a.coeffs + b.coeffs if c is not None)
    out = [
        A.known_zero(jnp.zeros(shape + (region.n,) * m, dtype)) if isinstance(c, int) else c
        for m, c in enumerate(out)
    ]
    return Expansion(tuple(out))


def _out_shape(enc: Expansion) -> tuple[int, ...]:
    for i, c in enumerate(enc.coeffs):
        if c is not None:
            shp = shape_of(c)
            return tuple(shp[: len(shp) - i])
    raise ValueError("enclosure without coefficients")


def mul(A: Arith, region: Region, k: int, a: Expansion, b: Expansion):
    """Entrywise product of two enclosures with equal output shapes."""
    if len(a.coeffs) == 1 and len(b.coeffs) == 1:
        return Expansion((A.mul(a.coeffs[0], b.coeffs[0]),))

    def pair(x, y, i, j):  # the factors of one term, laid out for their outer product
        xe, ye = _expand(x, i, 0, j), _expand(y, j, i, 0)
        # x's linear coefficient has entries 0 and 1: a product with it is exact
        if x is region.eye:
            return tree_map(lambda t: xe * t, ye), 1
        if y is region.eye:
            return tree_map(lambda t: t * ye, xe), 1
        return xe, ye

    shape = np.broadcast_shapes(_out_shape(a), _out_shape(b))
    return _products(A, region, k, a, b, pair, shape, A.dot)


def _over_var_axes(f, c: Value, nvar: int) -> Value:
    """Apply `f` (a map on output-shaped arrays) to each slice of the trailing `nvar` axes."""
    if nvar == 0:
        return f(c)
    shp = c.shape
    out, var = shp[: len(shp) - nvar], shp[len(shp) - nvar :]
    flat = jnp.moveaxis(c.reshape(out + (math.prod(var),)), -1, 0)
    res = jax.vmap(f)(flat)
    return jnp.moveaxis(res, 0, -1).reshape(res.shape[1:] + var)


def linear_map(A: Arith, f, enc: Expansion) -> Expansion:
    """Apply an exact linear map (a reshape, slice, gather, broadcast, transpose, ...) that
    only moves or copies entries: interval ends map separately."""
    cs = []
    for i, c in enumerate(enc.coeffs):
        cs.append(tree_map(lambda a, i=i: _over_var_axes(f, a, i), c))
    return Expansion(tuple(cs))


def sum_axes(A: Arith, enc: Expansion, axes: tuple[int, ...]) -> Expansion:
    """Sum over output axes (rounded outward in outward mode)."""
    return Expansion(tuple(A.sum(c, axes) for c in enc.coeffs))


def bilinear(
    A: Arith, region: Region, k: int, f, m: int, a: Expansion, b: Expansion, magnitude=None
) -> Expansion:
    """``f(a, b)`` for a bilinear map `f` of output-shaped arrays summing `m` products
    (dot_general, convolution); either side may be constant (one coefficient).  `magnitude`:
    an optional cheap upper bound of `f` on non-negative arrays (:meth:`Arith.bilinear`)."""

    def over_var_axes(h, i, j):
        def g(xa, ya):
            def over_x(ys):
                return _over_var_axes(lambda xs: h(xs, ys), xa, i)

            return _over_var_axes(over_x, ya, j)

        return g

    def pair(x, y, i, j):
        mag = over_var_axes(magnitude, i, j) if magnitude is not None else None
        return A.bilinear(over_var_axes(f, i, j), x, y, m, mag)

    dtype = next(lo(c).dtype for c in a.coeffs + b.coeffs if c is not None)
    shape = jax.eval_shape(
        f, jax.ShapeDtypeStruct(_out_shape(a), dtype), jax.ShapeDtypeStruct(_out_shape(b), dtype)
    ).shape
    return _products(A, region, k, a, b, pair, shape)


def horner(
    A: Arith,
    region: Region,
    k: int,
    phis: list[Value],
    rem: Value,
    w: Expansion,
    wall: Callable[[Expansion], Expansion] | None = None,
) -> Expansion:
    """``Σ_{j<k} phis[j] w^j + rem · w^k`` evaluated as a Horner scheme in enclosure
    arithmetic (truncated at degree k).  `wall`, if given, is applied to the partial sum
    after each step but the last (:func:`autobound.fence.fence`)."""
    acc = constant(rem)
    for step, phi in enumerate(reversed(phis)):
        if wall is not None and step > 0:
            acc = wall(acc)
        prod = mul(A, region, k, acc, w)
        if w.coeffs[0] is None and len(prod.coeffs) > 1:
            # w's constant term is an exact zero, so is prod's: phi is the new one as it is
            shape = shape_of(prod.coeffs[0])
            c0 = tree_map(lambda a, shape=shape: jnp.broadcast_to(a, shape), phi)
            acc = Expansion((c0, *prod.coeffs[1:]))
        else:
            acc = add(A, prod, constant(phi))
    return acc


def aligned(encs, n: int) -> list[list[Value]]:
    """The coefficients of `encs` row by row, padded to one length with zeros (coefficient i
    has shape out + (n,)*i for n variables); a row is all intervals if any entry is one."""
    length = max(len(e.coeffs) for e in encs)
    rows = []
    for i in range(length):
        row = []
        for e in encs:
            if i < len(e.coeffs):
                row.append(e.coeffs[i])
            else:
                c0 = lo(e.coeffs[0])
                row.append(jnp.zeros(c0.shape + (n,) * i, c0.dtype))
        if any(is_interval(c) for c in row):
            row = [c if is_interval(c) else Interval(c, c) for c in row]
        rows.append(row)
    return rows


def select(A: Arith, n: int, mask, a: Expansion, b: Expansion) -> Expansion:
    """Entrywise `a` where `mask` (shape out) holds, else `b`."""
    cs = []
    for i, (ca, cb) in enumerate(aligned([a, b], n)):
        cs.append(A.where(mask.reshape(mask.shape + (1,) * i), ca, cb))
    return Expansion(tuple(cs))
