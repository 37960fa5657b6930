"""``lax.conv_general_dilated`` over numpy object arrays (mpf or mpmath.iv entries).

Semantics follow XLA's convolution: the lhs is dilated (``lhs_dilation - 1`` zeros between
entries), padded (negative padding crops), and correlated with the kernel dilated by
``rhs_dilation`` at steps ``window_strides``.  With ``feature_group_count = G`` the input
features split into G groups, each seen by ``O/G`` output features; with
``batch_group_count = B`` the lhs batch splits into B groups of ``N/B``, output feature ``o``
using batch group ``o // (O/B)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from autobound.errors import UnsupportedOperation


def _specs(dimension_numbers: Any, ndim: int) -> tuple[tuple[int, ...], ...]:
    """(lhs_spec, rhs_spec, out_spec): for each operand, the axes holding
    (batch or out-feature, feature or in-feature, spatial...), as in ConvDimensionNumbers."""
    if dimension_numbers is None:
        ident = tuple(range(ndim))
        return ident, ident, ident
    lhs, rhs, out = dimension_numbers
    if isinstance(lhs, str):
        spatial = [c for c in rhs if c not in "OI"]
        return (
            (lhs.index("N"), lhs.index("C"), *(lhs.index(c) for c in spatial)),
            (rhs.index("O"), rhs.index("I"), *(rhs.index(c) for c in spatial)),
            (out.index("N"), out.index("C"), *(out.index(c) for c in spatial)),
        )
    return tuple(lhs), tuple(rhs), tuple(out)


def _padding(padding: Any, sizes: Sequence[int], kernel: Sequence[int], strides: Sequence[int]):
    """Explicit (low, high) pairs; the strings ``VALID`` and ``SAME`` as lax reads them."""
    if not isinstance(padding, str):
        return [tuple(int(v) for v in pair) for pair in padding]
    if padding.upper() == "VALID":
        return [(0, 0)] * len(sizes)
    if padding.upper() != "SAME":
        raise UnsupportedOperation("conv_general_dilated", detail=f"padding {padding!r}")
    pads = []
    for n, k, s in zip(sizes, kernel, strides, strict=True):
        total = max((-(-n // s) - 1) * s + k - n, 0)
        pads.append((total // 2, total - total // 2))
    return pads


def _dilate_and_pad(x: np.ndarray, dilation: Sequence[int], pads, zero: Any) -> np.ndarray:
    """Insert ``d - 1`` zeros between entries along each spatial axis, then pad / crop."""
    sizes = [(n - 1) * d + 1 if n else 0 for n, d in zip(x.shape[2:], dilation, strict=True)]
    grown = [max(lo, 0) + n + max(hi, 0) for n, (lo, hi) in zip(sizes, pads, strict=True)]
    out = np.empty(x.shape[:2] + tuple(grown), dtype=object)
    out[...] = zero
    place = tuple(
        slice(max(lo, 0), max(lo, 0) + n, d)
        for n, d, (lo, _) in zip(sizes, dilation, pads, strict=True)
    )
    out[(slice(None), slice(None), *place)] = x
    crop = tuple(
        slice(max(-lo, 0), g - max(-hi, 0)) for g, (lo, hi) in zip(grown, pads, strict=True)
    )
    return out[(slice(None), slice(None), *crop)]


def conv_general_dilated(ar: Any, args: list, p: Mapping[str, Any], shape: tuple) -> np.ndarray:
    """The reference rule for ``conv_general_dilated`` (``ar.const(0)`` supplies the zeros)."""
    lhs, rhs = args
    lhs_spec, rhs_spec, out_spec = _specs(p.get("dimension_numbers"), lhs.ndim)
    lhs, rhs = lhs.transpose(lhs_spec), rhs.transpose(rhs_spec)  # (N, C, ...), (O, I, ...)
    nsp = lhs.ndim - 2
    ones = (1,) * nsp
    strides = tuple(p.get("window_strides") or ones)
    lhs_dil = tuple(p.get("lhs_dilation") or ones)
    rhs_dil = tuple(p.get("rhs_dilation") or ones)
    groups = int(p.get("feature_group_count", 1) or 1)
    batch_groups = int(p.get("batch_group_count", 1) or 1)
    kernel = rhs.shape[2:]
    kernel_span = [(k - 1) * d + 1 for k, d in zip(kernel, rhs_dil, strict=True)]
    dilated = [(n - 1) * d + 1 if n else 0 for n, d in zip(lhs.shape[2:], lhs_dil, strict=True)]
    pads = _padding(p.get("padding", "VALID"), dilated, kernel_span, strides)
    zero = ar.const(0)
    x = _dilate_and_pad(lhs, lhs_dil, pads, zero)

    n_batch, n_in = x.shape[:2]
    n_out, n_in_group = rhs.shape[:2]
    if n_in != n_in_group * groups or n_out % groups or n_out % batch_groups:
        raise UnsupportedOperation(
            "conv_general_dilated",
            detail=f"inconsistent feature groups: lhs {lhs.shape}, rhs {rhs.shape}, G={groups}",
        )
    out_batch = n_batch // batch_groups
    out_sp = [
        max(0, (n - k) // s + 1) for n, k, s in zip(x.shape[2:], kernel_span, strides, strict=True)
    ]
    out = np.empty((out_batch, n_out, *out_sp), dtype=object)
    out[...] = zero
    per_group, per_batch_group = n_out // groups, n_out // batch_groups
    for o in range(n_out):
        g, bg = o // per_group, o // per_batch_group
        xs = x[bg * out_batch : (bg + 1) * out_batch, g * n_in_group : (g + 1) * n_in_group]
        acc = out[:, o]
        for k in np.ndindex(*kernel):
            window = tuple(
                slice(i * d, i * d + (m - 1) * s + 1, s) if m else slice(0, 0)
                for i, d, m, s in zip(k, rhs_dil, out_sp, strides, strict=True)
            )
            patch = xs[(slice(None), slice(None), *window)]  # (batch, in_group, *out_sp)
            acc = acc + np.tensordot(rhs[(o, slice(None), *k)], patch, axes=([0], [1]))
        out[:, o] = acc
    return out.transpose(np.argsort(out_spec)).reshape(shape)
