"""The majorizer of a loss along a line, and the step that minimizes it.

For a loss $f$, weights $w$ and a direction $v$, let $h(\\eta) = f(w + \\eta v)$.  The engine
(:func:`autobound.enclose`, outward rounding) returns coefficients with

$$ h(\\eta) \\in c_0 + c_1 \\eta + \\dots + c_k \\eta^k \\quad \\text{for all } \\eta \\in
[0, \\bar\\eta], $$

where each $c_i$ is an interval $[c_i^-, c_i^+]$ (or a point).  Because $\\eta \\ge 0$ on the
trust region, every power $\\eta^i$ is non-negative and the largest value of $c_i \\eta^i$ is
$c_i^+ \\eta^i$: the **upper polynomial**

$$ U(\\eta) = c_0^+ + c_1^+ \\eta + \\dots + c_k^+ \\eta^k \\ \\ge\\ h(\\eta) $$

lies above $h$ on the whole trust region.  In particular the top (remainder) coefficient
enters through its upper end $c_k^+$, whatever its sign.  This module builds the line
function once per loss (its weights and direction are runtime parameters, so one compiled
program serves a whole run), picks the minimizer of $U$ on $[0, \\bar\\eta]$ and evaluates
the guarantee with :func:`autobound.poly.evaluate` in the enclosure's rounding mode.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

import autobound as ab

__all__ = [
    "LineBound",
    "bound_step",
    "certify",
    "line_enclosure",
    "lower_end",
    "minimize_quadratic",
    "upper_end",
    "upper_minimizer",
]

#: Points of the grid on which upper polynomials of degree > 2 are minimized.
GRID_POINTS = 257

_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _along(value_fn: Callable[[Any], jax.Array]) -> Callable[[jax.Array, Any], jax.Array]:
    def line(eta: jax.Array, p: Any) -> jax.Array:
        return value_fn(jax.tree.map(lambda w, d: w + eta * d, p["w"], p["v"]))

    return line


def _across(value_fn: Callable, treedef: Any, groups: tuple[int, ...]) -> Callable:
    def combination(eta: jax.Array, p: Any) -> jax.Array:
        moved = [w + eta[g] * d for w, d, g in zip(p["w"], p["v"], groups, strict=True)]
        return value_fn(jax.tree.unflatten(treedef, moved))

    return combination


def _cached(value_fn: Callable, key: tuple, build: Callable[[], ab.Enclose]) -> ab.Enclose:
    try:
        per_fn = _CACHE.setdefault(value_fn, {})
    except TypeError:  # not weakly referenceable: build afresh (one trace per call)
        per_fn = {}
    enc = per_fn.get(key)
    if enc is None:
        enc = per_fn[key] = build()
    return enc


def line_enclosure(value_fn: Callable, degree: int, rounding: str, dtype: str) -> ab.Enclose:
    """The engine's ``enc(eta0, lo, hi, {"w": w, "v": v})`` for ``h(eta) = value_fn(w + eta v)``.

    One :class:`autobound.Enclose` per (loss, degree, rounding, dtype), kept while `value_fn`
    lives, so that calling the update outside ``jit`` does not trace the loss again.
    """
    return _cached(
        value_fn,
        ("line", degree, rounding, dtype),
        lambda: ab.enclose(_along(value_fn), degree, rounding=rounding, dtype=dtype),
    )


def box_enclosure(
    value_fn: Callable, treedef: Any, groups: tuple[int, ...], rounding: str, dtype: str
) -> ab.Enclose:
    """``enc(eta0, lo, hi, {"w": leaves, "v": leaves})`` for
    $F(\\eta) = f(w + \\sum_g \\eta_g v_g)$, where leaf i of the params moves with
    ``eta[groups[i]]`` (degree 2; cached as :func:`line_enclosure`)."""
    return _cached(
        value_fn,
        ("box", treedef, groups, rounding, dtype),
        lambda: ab.enclose(_across(value_fn, treedef, groups), 2, rounding=rounding, dtype=dtype),
    )


def upper_end(c: Any) -> jax.Array:
    """The upper end of a coefficient (an Interval or a point array)."""
    return c.hi if isinstance(c, ab.Interval) else c


def lower_end(c: Any) -> jax.Array:
    """The lower end of a coefficient (an Interval or a point array)."""
    return c.lo if isinstance(c, ab.Interval) else c


def minimize_quadratic(b: jax.Array, a: jax.Array, eta_max: jax.Array) -> jax.Array:
    """The minimizer of $b\\eta + a\\eta^2$ on $[0, \\bar\\eta]$ (elementwise), exactly:

    - $b \\ge 0$: $\\eta = 0$ (with $a > 0$ the function does not fall from 0; with
      $a \\le 0$ and $b \\ge 0$ it may fall only through a concave tail, which a step never
      relies on: no step);
    - $b < 0$, $a > 0$: $\\min(-b / (2a), \\bar\\eta)$ (the vertex, clipped);
    - $b < 0$, $a \\le 0$: the function decreases on the whole region, $\\bar\\eta$.
    """
    zero = jnp.zeros_like(eta_max)
    vertex = jnp.where(a > 0, -b / (2 * jnp.where(a > 0, a, 1)), eta_max)
    return jnp.where(b < 0, jnp.clip(vertex, zero, eta_max), zero)


def upper_minimizer(coefficients: tuple, eta_max: jax.Array) -> jax.Array:
    """A minimizer of $U(\\eta) = \\sum_{i \\ge 1} c_i^+ \\eta^i$ on $[0, \\bar\\eta]$.

    Degree 2: exactly, :func:`minimize_quadratic` with $b = c_1^+$, $a = c_2^+$.  Degree > 2:
    the best point of a uniform grid of ``GRID_POINTS`` points on $[0, \\bar\\eta]$ (not the
    exact minimizer; the guarantee does not depend on it, since the bound is evaluated
    rigorously at the point chosen).  Degree 1: $\\bar\\eta$ if $c_1^+ < 0$, else 0.
    """
    hi = [upper_end(c) for c in coefficients]
    dt = eta_max.dtype
    zero = jnp.zeros((), dt)
    if len(hi) == 2:
        return jnp.where(hi[1] < 0, eta_max, zero)
    if len(hi) == 3:
        return minimize_quadratic(hi[1], hi[2], eta_max)
    grid = jnp.linspace(zero, eta_max, GRID_POINTS, dtype=dt)
    values = sum(h * grid**i for i, h in enumerate(hi) if i >= 1)
    values = jnp.where(jnp.isnan(values), jnp.inf, values)
    return grid[jnp.argmin(values)]


class LineBound(NamedTuple):
    """The chosen step and what the enclosure guarantees about it.

    - `step_size`: $\\eta$, 0 where nothing could be certified;
    - `certified_decrease`: a lower bound on $h(0) - h(\\eta)$ (exact real loss), 0 where the
      step is 0;
    - `certified`: the enclosure was valid (no flags, finite) and proves a decrease $> 0$;
    - `at_boundary`: the enclosure is finite and the minimizer of $U$ is the end
      $\\eta = \\bar\\eta > 0$ (certified or not: a region too short to prove a decrease
      larger than the width of $c_0$ must grow, not shrink);
    - `finite`: the enclosure was valid and its bound at $\\eta$ finite (false: the loss
      could not be bounded on this region at all).
    """

    step_size: jax.Array
    certified_decrease: jax.Array
    certified: jax.Array
    at_boundary: jax.Array
    finite: jax.Array


def bound_step(enc: ab.Enclose, w: Any, v: Any, eta_max: jax.Array) -> LineBound:
    """Enclose $h$ on $[0, \\bar\\eta]$, minimize its upper polynomial, certify the step.

    The certified decrease is $c_0^- - \\overline{U(\\eta)}$ rounded down, where
    $\\overline{U(\\eta)}$ is the upper end of :func:`autobound.poly.evaluate` at $\\eta$
    (rounded outward in outward mode) and $c_0^- \\le h(0)$.  A step is taken only when the
    enclosure is valid and this number is finite and positive; otherwise the step is 0.
    """
    # a concrete 0 (not a traced one) as the expansion point: the engine then keeps
    # w + 0·v exact
    zero = np.zeros((), eta_max.dtype)
    e = enc(zero, zero, eta_max, {"w": w, "v": v})
    eta = upper_minimizer(e.coefficients, eta_max)
    decrease, certified, finite = certify(e, eta)
    return LineBound(
        step_size=jnp.where(certified, eta, zero),
        certified_decrease=jnp.where(certified, decrease, zero),
        certified=certified,
        at_boundary=finite & (eta > 0) & (eta >= eta_max),
        finite=finite,
    )


def certify(e: ab.TaylorEnclosure, eta: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    """``(decrease, certified, finite)`` for the point `eta` of the enclosure's box.

    `decrease` $= c_0^- - \\overline{U(\\eta)}$ rounded down, with $\\overline{U(\\eta)}$
    the upper end of :func:`autobound.poly.evaluate` (outward rounded in outward mode): a
    lower bound on $F(0) - F(\\eta)$.  `certified`: the enclosure is valid, `decrease` is
    finite and positive and the step is not zero; `finite`: valid and finite.
    """
    dt = eta.dtype
    upper = ab.poly.evaluate(e, eta).hi
    decrease = lower_end(e.coefficients[0]) - upper
    decrease = jnp.nextafter(decrease, jnp.asarray(-jnp.inf, dt))  # rounded down
    finite = e.valid & jnp.isfinite(decrease)
    return decrease, finite & (decrease > 0) & jnp.any(eta > 0), finite
