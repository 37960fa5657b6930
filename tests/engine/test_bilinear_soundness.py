"""Networks of dot_general and convolutions: outward enclosures contain the function.

The bilinear rules (:meth:`autobound.interval.Arith.bilinear`, midpoint-radius form with the
rounding error folded into the radius contraction) checked end to end against mpmath at 200
bits, with zero tolerance, on three networks whose weights are the runtime parameters (one
compiled program per network, degree and dtype; hypothesis draws the weights and the boxes):
a dense layer ``w2 · tanh(W1 x + b1)``, a one-dimensional convolution
``Σ tanh(conv(x, k)) · v``, and a quadratic form ``h · (M h)`` of ``h = tanh(W1 x)``
(intervals times intervals).  Weights span many orders of magnitude, boxes are narrow to
wide, in float64 and float32.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mpmath import mp

import autobound as ab
from tests.strategies import (
    EVERYWHERE,
    Domain,
    bounded_refusals,
    checked,
    refused,
    regions,
    soundness_violations,
)

MAX_REFUSED = 0.2
# Box centres within [-3, 3] (widths up to 10): the layers' arguments stay where tanh moves.
AROUND_ZERO = Domain(EVERYWHERE.pieces, (0.0, 1.0, -1.0), typical=3.0)
HIDDEN, INPUTS = 4, 3
LENGTH, FILTERS, WIDTH = 6, 2, 3


def _dense(x, p):
    return jnp.dot(p["w2"], jnp.tanh(p["W1"] @ x + p["b1"]))


def _dense_mp(p):
    W1, b1, w2 = (np.asarray(p[k], dtype=np.float64) for k in ("W1", "b1", "w2"))

    def f(x):
        h = [mp.tanh(sum(mp.mpf(W1[i, j]) * mp.mpf(x[j]) for j in range(INPUTS)) + b1[i])
             for i in range(HIDDEN)]  # fmt: skip
        return sum(mp.mpf(w2[i]) * h[i] for i in range(HIDDEN))

    return f


def _conv(x, p):
    c = jax.lax.conv_general_dilated(x[None, None, :], p["k"], (1,), "VALID")[0]
    return jnp.sum(jnp.tanh(c) * p["v"])


def _conv_mp(p):
    k, v = np.asarray(p["k"], dtype=np.float64), np.asarray(p["v"], dtype=np.float64)
    out = LENGTH - WIDTH + 1

    def f(x):
        total = mp.mpf(0)
        for o in range(FILTERS):
            for i in range(out):
                c = sum(mp.mpf(k[o, 0, t]) * mp.mpf(x[i + t]) for t in range(WIDTH))
                total += mp.tanh(c) * mp.mpf(v[o, i])
        return total

    return f


def _quadratic(x, p):
    h = jnp.tanh(p["W1"] @ x)
    return jnp.dot(h, p["M"] @ h)  # an interval times an interval


def _quadratic_mp(p):
    W1, M = np.asarray(p["W1"], dtype=np.float64), np.asarray(p["M"], dtype=np.float64)

    def f(x):
        h = [mp.tanh(sum(mp.mpf(W1[i, j]) * mp.mpf(x[j]) for j in range(INPUTS)))
             for i in range(HIDDEN)]  # fmt: skip
        return sum(h[i] * mp.mpf(M[i, j]) * h[j] for i in range(HIDDEN) for j in range(HIDDEN))

    return f


NETWORKS = {
    "dense": (_dense, _dense_mp, (INPUTS,), {"W1": (HIDDEN, INPUTS), "b1": (HIDDEN,),
                                             "w2": (HIDDEN,)}),
    "conv": (_conv, _conv_mp, (LENGTH,), {"k": (FILTERS, 1, WIDTH),
                                          "v": (FILTERS, LENGTH - WIDTH + 1)}),
    "quadratic": (_quadratic, _quadratic_mp, (INPUTS,), {"W1": (HIDDEN, INPUTS),
                                                         "M": (HIDDEN, HIDDEN)}),
}  # fmt: skip


@functools.cache
def _encloser(name: str, degree: int, dtype: str) -> ab.Enclose:
    return ab.enclose(NETWORKS[name][0], degree, rounding="outward", dtype=dtype)


def _weights(data, shapes: dict, dtype: str) -> dict:
    """Weights of mixed signs from 2^-20 to 2^8 (and exact zeros), per layer one scale."""
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    out = {}
    for key, shape in shapes.items():
        scale = 2.0 ** data.draw(st.integers(-20, 8), label=f"scale {key}")
        w = rng.standard_normal(shape) * scale
        w = np.where(rng.random(shape) < 0.1, 0.0, w)
        out[key] = jnp.asarray(w.astype(dtype))
    return out


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("degree", [0, 1, 2])
@pytest.mark.parametrize("name", sorted(NETWORKS))
@bounded_refusals(MAX_REFUSED)
@settings(max_examples=6, deadline=None)
@given(data=st.data())
def test_network_enclosure_contains_function(name, degree, dtype, data):
    f, f_mp_of, x_shape, shapes = NETWORKS[name]
    params = _weights(data, shapes, dtype)
    x0, lo, hi = data.draw(regions(AROUND_ZERO, x_shape, dtype), label="box")
    enc = _encloser(name, degree, dtype)
    e = enc(x0, lo, hi, params)
    if not bool(e.valid):
        refused("flagged")
        return
    exact = {k: np.asarray(v, np.float64) for k, v in params.items()}
    bad, n = soundness_violations(f_mp_of(exact), e.coefficients, e.x0, (e.lo, e.hi), 12,
                                  prec=200)  # fmt: skip
    if not n:
        refused("no point could be evaluated")
        return
    checked()
    assert not bad, f"{name}, degree {degree}, {dtype}: {len(bad)} violations, first {bad[0]}"
