"""autobound.poly.quadratic_lower against exact rational arithmetic.

The bound must lie below the enclosure's lower polynomial at every point of the box (checked
exactly at sampled points and at the anchor), match the exact relaxation of
``verify.quadratic`` at the same anchor (the checker's recomputation), and reach the
quadratic's minimum where it is convex with its minimizer in the box.
"""

import itertools
from fractions import Fraction as F

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import autobound as ab
from autobound import poly
from autobound.errors import InvalidArgument
from autobound.interval import Interval
from autobound.verify.quadratic import quadratic_lower as exact_quadratic_lower

jax.config.update("jax_enable_x64", True)

_BATCHED = jax.jit(jax.vmap(poly.quadratic_lower))


def _random(rng, n, convex, count=40):
    """`count` degree-2 enclosures in n variables: interval c0, c1, c2 (c2 = A Aᵀ + noise
    when `convex`, an indefinite random matrix otherwise), boxes around x0."""
    rows = []
    for _ in range(count):
        lo = rng.uniform(-2, 1, n)
        hi = lo + rng.uniform(0.01, 2, n)
        x0 = lo + (hi - lo) * rng.uniform(0, 1, n)
        c0 = rng.normal()
        g = rng.normal(size=n) * 3
        if convex:
            A = rng.normal(size=(n, n))
            Q = A @ A.T + 0.1 * np.eye(n)
        else:
            Q = rng.normal(size=(n, n))
        wid = lambda a, s: a + rng.uniform(0, s, a.shape)  # noqa: E731
        rows.append((x0, lo, hi, (c0, c0 + 1e-3), (g, wid(g, 1e-3)), (Q, wid(Q, 1e-2))))
    stack = lambda k, j=None: jnp.asarray(  # noqa: E731
        np.stack([r[k] if j is None else r[k][j] for r in rows])
    )
    e = poly.as_enclosure(
        [Interval(stack(3, 0), stack(3, 1)), Interval(stack(4, 0), stack(4, 1)),
         Interval(stack(5, 0), stack(5, 1))],
        stack(0), stack(1), stack(2), rounding="outward",
    )  # fmt: skip
    return e, rows


def _exact_lower_poly(row, x):
    """The enclosure's lower polynomial at x, exactly."""
    x0, _, _, (c_lo, _), (g_lo, g_hi), (Q_lo, Q_hi) = row
    z = [F(float(v)) - F(float(c)) for v, c in zip(x, x0, strict=True)]
    total = F(c_lo)
    for j, zj in enumerate(z):
        total += min(F(g_lo[j]) * zj, F(g_hi[j]) * zj)
    for i, j in itertools.product(range(len(z)), repeat=2):
        m = z[i] * z[j]
        total += min(F(Q_lo[i, j]) * m, F(Q_hi[i, j]) * m)
    return total


def _exact_at_anchor(row, u):
    x0, lo, hi, (c_lo, _), (g_lo, g_hi), (Q_lo, Q_hi) = row
    n = len(x0)
    spans = [(F(a) - F(c), F(b) - F(c)) for a, b, c in zip(lo, hi, x0, strict=True)]
    g = [(F(a), F(b)) for a, b in zip(g_lo, g_hi, strict=True)]
    Q = [[(F(Q_lo[i, j]), F(Q_hi[i, j])) for j in range(n)] for i in range(n)]
    return exact_quadratic_lower(F(c_lo), g, Q, spans, [F(float(v)) for v in u])


@pytest.mark.parametrize("n,convex", [(1, True), (3, True), (3, False), (5, True)])
def test_bound_lies_below_the_lower_polynomial(n, convex):
    rng = np.random.default_rng(n + 10 * convex)
    e, rows = _random(rng, n, convex)
    low, anchor = _BATCHED(e)
    finite = 0
    for k, row in enumerate(rows):
        bound = float(low[k])
        x0, lo, hi = row[:3]
        if not np.isfinite(bound):
            continue
        finite += 1
        xs = [lo, hi, x0, x0 + np.asarray(anchor[k])]
        xs += list(lo + (hi - lo) * rng.uniform(0, 1, (20, n)))
        corners = itertools.product(*zip(lo, hi, strict=True)) if n <= 3 else ()
        for x in [*xs, *map(np.array, corners)]:
            assert F(bound) <= _exact_lower_poly(row, np.clip(x, lo, hi)), (k, x)
        # the checker's exact recomputation at the same anchor is at least as good, up to
        # the float relaxation's rounding (its midpoints are floats, the checker's exact)
        exact = _exact_at_anchor(row, anchor[k])
        assert exact is not None and exact >= F(bound) - F(1e-9) * (1 + abs(F(bound)))
    if convex:
        assert finite == len(rows)  # never refuses a positive definite quadratic part
    else:
        assert finite < len(rows)  # an indefinite one is refused (-inf), not bounded wrongly


def test_convex_quadratic_with_its_minimizer_inside_is_bounded_by_its_minimum():
    # q(z) = 1 + g.z + z'Qz with Q positive definite: min 1 - g'Q^{-1}g/4 at -Q^{-1}g/2
    Q = np.array([[2.0, -1.0, 0.0], [-1.0, 2.0, -1.0], [0.0, -1.0, 2.0]])
    g = np.array([1.0, -2.0, 0.5])
    e = ab.poly.as_enclosure(
        [jnp.asarray(1.0), jnp.asarray(g), jnp.asarray(Q)],
        jnp.zeros(3), -10 * jnp.ones(3), 10 * jnp.ones(3), rounding="outward",
    )  # fmt: skip
    low, u = poly.quadratic_lower(e)
    z = np.linalg.solve(Q, -g / 2)
    exact_min = F(1) + sum(F(float(g[j])) * F(float(z[j])) for j in range(3)) / 2
    assert float(low) <= float(exact_min) + 1e-12
    assert float(low) >= float(exact_min) - 1e-9
    np.testing.assert_allclose(u, z, rtol=1e-12)
    # term by term, the same enclosure is far looser
    assert float(poly.range(e).lo) < float(low) - 10


def test_engine_enclosure_of_a_coupled_quadratic():
    f = "(x - 1)**2 + (y - 1)**2 + (z - 1)**2 - x*y - y*z"  # Trid in 3-D: min -7 at (3, 4, 3)
    enc = ab.enclose(f, 2, rounding="outward", variables=["x", "y", "z"])
    e = enc(jnp.zeros(3), -9 * jnp.ones(3), 9 * jnp.ones(3))
    low, _ = poly.quadratic_lower(e)
    assert -7 - 1e-9 <= float(low) <= -7


def test_needs_degree_two_and_a_scalar_output():
    e = ab.poly.as_enclosure([jnp.asarray(1.0), jnp.ones(2)], jnp.zeros(2), -jnp.ones(2),
                             jnp.ones(2))  # fmt: skip
    with pytest.raises(InvalidArgument, match="degree-2"):
        poly.quadratic_lower(e)
