"""Rules for arithmetic, linear and bilinear ops.

Sums and differences act coefficient-wise; products go through
:func:`autobound.enclosure.mul` (truncation with folding); division by an enclosure is
multiplication by its reciprocal (the integer power −1, a sharp elementwise rule).  Exact
structural maps (reshape, slice, gather, ...) move interval ends independently; sums and
bilinear maps (dot_general, convolution) round outward with a priori error bounds.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from autobound import enclosure as E
from autobound.errors import UnsupportedOperation
from autobound.interval import Interval, hi, is_interval, lo, shape_of, tree_map, up
from autobound.ops import register_rule
from autobound.rules.context import RuleContext
from autobound.rules.smooth import power
from autobound.ulp_table import margin


@register_rule("add")
def _add(ctx: RuleContext, a, b):
    return E.add(ctx.A, a, b)


@register_rule("sub")
def _sub(ctx: RuleContext, a, b):
    return E.sub(ctx.A, a, b)


@register_rule("neg")
def _neg(ctx: RuleContext, a):
    return E.neg(ctx.A, a)


@register_rule("mul")
def _mul(ctx: RuleContext, a, b):
    return E.mul(ctx.A, ctx.region, ctx.k, a, b)


@register_rule("div")
def _div(ctx: RuleContext, a, b):
    A = ctx.A
    if len(b.coeffs) == 1:
        d = b.coeffs[0]
        if is_interval(d) and ctx.arg_range(1) is not None:
            d = A.intersect(d, ctx.arg_range(1))
        ctx.flag("div", (lo(d) <= 0) & (hi(d) >= 0))
        cs = []
        for i, c in enumerate(a.coeffs):
            di = tree_map(lambda t, i=i: t.reshape(t.shape + (1,) * i), d)
            cs.append(A.div(c, di))
        return E.Expansion(tuple(cs))
    return E.mul(A, ctx.region, ctx.k, a, power(ctx, b, -1, arg=1))


def _def_structural(name, make):
    @register_rule(name)
    def rule(ctx: RuleContext, a, **params):
        return E.linear_map(ctx.A, make(**params), a)


_def_structural("reshape", lambda shape: lambda t: jnp.reshape(t, shape))
_def_structural("transpose", lambda perm: lambda t: jnp.transpose(t, perm))
_def_structural(
    "broadcast_in_dim",
    lambda shape, broadcast_dimensions: (
        lambda t: jax.lax.broadcast_in_dim(t, shape, broadcast_dimensions)
    ),
)
_def_structural(
    "slice",
    lambda start, limit, strides=None: lambda t: jax.lax.slice(t, start, limit, strides),
)
_def_structural("squeeze", lambda dimensions: lambda t: jax.lax.squeeze(t, dimensions))
_def_structural(
    "take",
    lambda indices, shape: lambda t: jnp.reshape(t, (-1,))[np.asarray(indices, int)].reshape(shape),
)


@register_rule("convert")
def _convert(ctx: RuleContext, a, *, dtype):
    if jnp.dtype(dtype) != ctx.A.dtype:
        raise UnsupportedOperation(
            "convert", detail=f"mixed precision: {ctx.A.dtype} -> {dtype}; bound in one dtype"
        )
    return a


@register_rule("reduce_sum")
def _reduce_sum(ctx: RuleContext, a, *, axes):
    return E.sum_axes(ctx.A, a, tuple(axes))


@register_rule("concatenate")
def _concatenate(ctx: RuleContext, *args, dimension):
    cs = []
    for row in E.aligned(args, ctx.region.n):
        if is_interval(row[0]):
            cs.append(
                Interval(
                    jnp.concatenate([c.lo for c in row], dimension),
                    jnp.concatenate([c.hi for c in row], dimension),
                )
            )
        else:
            cs.append(jnp.concatenate(row, dimension))
    return E.Expansion(tuple(cs))


@register_rule("select")
def _select(ctx: RuleContext, pred, on_true, on_false):
    if len(pred.coeffs) != 1 or is_interval(pred.coeffs[0]):
        raise UnsupportedOperation("select", detail="the predicate must not depend on x")
    return E.select(ctx.A, ctx.region.n, pred.coeffs[0] != 0, on_true, on_false)


def _bilinear_rule(name, make, size, magnitude=None):
    """Register the rule of bilinear op `name`: ``make(A, **params)`` builds the map,
    ``size(shape_a, shape_b, **params)`` counts its products per entry, and
    ``magnitude(A, **params)``, if given, a cheap bound of the map on non-negative arrays
    (see :meth:`autobound.interval.Arith.bilinear`)."""

    @register_rule(name)
    def rule(ctx: RuleContext, a, b, **params):
        f = make(ctx.A, **params)
        mag = magnitude(ctx.A, **params) if magnitude is not None else None
        m = size(shape_of(a.coeffs[0]), shape_of(b.coeffs[0]), **params)
        if len(a.coeffs) == 1 and len(b.coeffs) == 1:
            return E.constant(ctx.A.bilinear(f, a.coeffs[0], b.coeffs[0], m, mag))
        return E.bilinear(ctx.A, ctx.region, ctx.k, f, m, a, b, mag)


def _dot_size(sa, sb, dimension_numbers, **_):
    (ca, _cb), _ = dimension_numbers
    return max(1, math.prod(sa[d] for d in ca))


#: Nearest mode writes a ``dot_general`` as a broadcast product summed over the contracted
#: axes when it contracts at most this many terms and forms at most this many products (see
#: :func:`_dot_make`).
SMALL_CONTRACTION, SMALL_PRODUCT = 32, 128


def _dot_by_sum(x, y, dimension_numbers):
    """``dot_general(x, y)`` as a broadcast product summed over the contracted axes."""
    (cx, cy), (bx, by) = dimension_numbers
    fx = [d for d in range(x.ndim) if d not in cx and d not in bx]
    fy = [d for d in range(y.ndim) if d not in cy and d not in by]
    xt = jnp.transpose(x, (*bx, *fx, *cx))
    yt = jnp.transpose(y, (*by, *fy, *cy))
    nb, nfx, nfy, nc = len(bx), len(fx), len(fy), len(cx)
    xt = xt.reshape(xt.shape[: nb + nfx] + (1,) * nfy + xt.shape[nb + nfx :])
    yt = yt.reshape(yt.shape[:nb] + (1,) * nfx + yt.shape[nb:])
    return jnp.sum(xt * yt, axis=tuple(range(-nc, 0))) if nc else xt * yt


def _products(sx, sy, dimension_numbers) -> int:
    """How many scalar products ``dot_general`` of arrays of shapes `sx`, `sy` forms."""
    (_cx, cy), (_bx, by) = dimension_numbers
    free_y = math.prod(d for i, d in enumerate(sy) if i not in cy and i not in by)
    return math.prod(sx) * free_y


def _dot_make(A, dimension_numbers, **_):
    """``dot_general``; in nearest mode a small one (at most :data:`SMALL_CONTRACTION` terms
    per entry and :data:`SMALL_PRODUCT` products: one box's coefficients) is a broadcast
    product summed over the contracted axes, which XLA fuses into one loop.  Under ``vmap``
    a dot_general of a batch of such coefficients ([B, 12, 4, 4] interval coefficients of the
    engine benchmark's MLP) ran as transposes of the whole batch plus a GEMM (B = 10^4:
    66-84 -> 59-65 ms).  Larger ones keep dot_general: unbatched, the summed form
    materializes its products (the MM line bound of a 64-16-10 MLP on 256 digits, 40,960
    products: one SafeRate step 1.75 -> 1.1-1.3 ms with dot_general; a 32×8 by 8 contraction,
    256 products, 0.44-0.48 -> 0.34-0.36 ms).  Outward mode keeps dot_general: its error
    terms need more products per coefficient, and summed products ran 35-50 % slower there."""

    def f(x, y):
        small = _dot_size(x.shape, y.shape, dimension_numbers) <= SMALL_CONTRACTION
        if (
            not A.outward
            and small
            and _products(x.shape, y.shape, dimension_numbers) <= SMALL_PRODUCT
        ):
            return _dot_by_sum(x, y, dimension_numbers)
        return jax.lax.dot_general(x, y, dimension_numbers)

    return f


def _dot_magnitude(A, dimension_numbers, **_):
    """For x, y >= 0: an upper bound of every entry of ``dot_general(x, y)``, rounding
    included, by Cauchy–Schwarz: ``Σ_t x_t y_t <= ‖x‖₂ ‖y‖₂`` over the contracted axes, an
    outer product of the two sides' norms (``m (n_x + n_y) + n_x n_y`` operations instead of
    ``m n_x n_y``).  Typically 1.2-1.6x the contraction itself (2/π for independent normal
    entries).  A side whose squares overflow (entries above about 1e154 in float64, 1.8e19
    in float32) gives +inf there."""
    (cx, cy), (bx, by) = dimension_numbers

    def mag(x, y):
        nx, ny = _norm_up(x, cx), _norm_up(y, cy)
        # the batch axes' places once the contracted ones are gone
        kept_bx = tuple(d - sum(c < d for c in cx) for d in bx)
        kept_by = tuple(d - sum(c < d for c in cy) for d in by)
        return up(jax.lax.dot_general(nx, ny, (((), ()), (kept_bx, kept_by))))

    return mag


def _norm_up(x: jax.Array, axes) -> jax.Array:
    """An upper bound of the Euclidean norm of the non-negative `x` over `axes`.

    The computed sum s of the computed squares (each within u of x², or flushed below tiny)
    satisfies ``Σ x² <= s (1 + (m + 2) eps) + 3m·tiny`` for m terms in any summation order
    (Higham, *Accuracy and Stability of Numerical Algorithms*, Thm 4.4), with each step
    rounded up; the square root is widened by the sqrt kernel's measured margin."""
    fi = jnp.finfo(x.dtype)
    m = math.prod(x.shape[d] for d in axes)
    s = jnp.sum(x * x, axis=tuple(axes))
    bound = up(up(s * (1 + (m + 2) * float(fi.eps))) + 3 * m * float(fi.tiny))
    rel, abs_ = margin("sqrt", x.dtype)
    r = jnp.sqrt(bound)
    return up(r + up(rel * r + abs_))


_bilinear_rule("dot_general", _dot_make, _dot_size, _dot_magnitude)


def _conv_make(A, **params):
    return lambda x, y: jax.lax.conv_general_dilated(x, y, **params)


def _conv_size(sa, sb, dimension_numbers=None, **_):
    out_dim = dimension_numbers.rhs_spec[0] if dimension_numbers is not None else 0
    return max(1, math.prod(sb) // sb[out_dim])


_bilinear_rule("conv_general_dilated", _conv_make, _conv_size)
