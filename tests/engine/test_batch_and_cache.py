"""jit/vmap agree with single calls; graphs compile once per (graph, degree, shape, mode)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import autobound as ab
from autobound.rules.linear import SMALL_PRODUCT


def _as_arrays(c):
    return (np.asarray(c.lo), np.asarray(c.hi)) if isinstance(c, ab.Interval) else (np.asarray(c),)


@pytest.mark.parametrize("rounding", ["nearest", "outward"])
def test_batch_agrees_with_single_calls_scalar(rounding):
    tb = ab.compile("sin(3*x)*exp(-x**2) + softplus(x)", degree=3, rounding=rounding)
    rng = np.random.default_rng(1)
    lo = rng.uniform(-2, 1, 16)
    hi = lo + rng.uniform(0.01, 1, 16)
    x0 = lo + (hi - lo) * rng.uniform(0, 1, 16)
    batch = tb.batch(x0, lo, hi)
    for b in range(16):
        single = tb(x0[b], (lo[b], hi[b])).coefficients
        for cb, cs in zip(batch, single, strict=True):
            for ab_, as_ in zip(_as_arrays(cb), _as_arrays(cs), strict=True):
                np.testing.assert_allclose(ab_[b], as_, rtol=1e-13, atol=1e-300)


def test_batch_agrees_with_single_calls_vector():
    f = lambda x: jnp.exp(x[0]) * jnp.cos(x[1]) + x[2] ** 2  # noqa: E731
    tb = ab.compile(f, degree=2)
    rng = np.random.default_rng(2)
    lo = rng.uniform(-1, 0, (8, 3))
    hi = lo + 0.5
    x0 = (lo + hi) / 2
    batch = tb.batch(x0, lo, hi)
    assert batch[2].lo.shape == (8, 3, 3)
    for b in range(8):
        single = tb(x0[b], (lo[b], hi[b])).coefficients
        np.testing.assert_allclose(batch[1][b], single[1], rtol=1e-13)
        np.testing.assert_allclose(batch[2].hi[b], single[2].hi, rtol=1e-13)


def test_repeated_calls_compile_once():
    from tests.engine.test_core import count_traces

    tb = ab.compile("exp(x)*cos(x) + x**3", degree=2)
    tb(0.1, (0.0, 1.0))
    with count_traces() as traces:
        for x0 in np.linspace(0.0, 1.0, 5):
            tb(x0, (0.0, 1.0))
    assert traces == []


def test_trust_regions_are_sound_and_no_looser():
    f = "exp(sin(4*x)) * tanh(x - 1) + sqrt(1 + x**2)"
    plain = ab.taylor_bounds(f, 2, rounding="outward", trust_regions=False)(0.3, (-1.0, 1.5))
    tight = ab.taylor_bounds(f, degree=2, rounding="outward")(0.3, (-1.0, 1.5))  # the default
    assert float(tight.width()) <= float(plain.width()) * (1 + 1e-12)
    xs = np.linspace(-1, 1.5, 501)
    fx = np.exp(np.sin(4 * xs)) * np.tanh(xs - 1) + np.sqrt(1 + xs**2)
    assert np.all(tight.lower(xs) <= fx + 1e-12) and np.all(fx <= tight.upper(xs) + 1e-12)


@pytest.mark.parametrize(
    "f",
    [
        lambda x: jnp.linalg.norm(x),
        lambda x: jax.nn.logsumexp(x),
        lambda x: jax.nn.softmax(x)[0],
    ],
    ids=["norm", "logsumexp", "softmax"],
)
def test_default_trust_regions_avoid_spurious_domain_errors(f):
    """Without trust regions the Taylor polynomial's range of sum(x**2) (or of a sum of
    exponentials) can dip below 0 and sqrt/log refuse it; with them (the default) a bound comes
    back and holds."""
    x0 = np.array([0.05, -0.1, 0.2])
    lo_, hi_ = x0 - 0.4, x0 + 0.4
    t = ab.taylor_bounds(f, degree=2, rounding="outward")(x0, (lo_, hi_))
    xs = np.random.default_rng(1).uniform(lo_, hi_, size=(40, 3))
    for x in xs:
        fx = float(f(jnp.asarray(x)))
        assert float(t.lower(x)) - 1e-12 <= fx <= float(t.upper(x)) + 1e-12


def test_compiler_options_only_for_outward_and_same_bounds():
    assert ab.compiler_options("nearest") == {}
    opts = ab.compiler_options("outward")
    if jax.default_backend() == "cpu":  # the older CPU emitters, for a known jaxlib
        assert opts in ({}, {"xla_cpu_use_fusion_emitters": False})
    enc = ab.enclose("exp(x)*sin(3*x) + x**2", degree=2, rounding="outward")
    lo = jnp.linspace(-2.0, 1.0, 64)
    hi, x0 = lo + 0.25, lo + 0.1
    plain = jax.jit(jax.vmap(enc))(x0, lo, hi)
    tuned = jax.jit(jax.vmap(enc), compiler_options=opts)(x0, lo, hi)
    for cp, ct in zip(plain.coefficients, tuned.coefficients, strict=True):
        for a, b in zip(_as_arrays(cp), _as_arrays(ct), strict=True):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("rounding", ["nearest", "outward"])
def test_host_call_on_one_box_compiles_with_its_options_and_agrees(rounding):
    """enc(x0, lo, hi) on host values compiles with compiler_options(one_box=True) (the older
    CPU emitters: faster to compile); its bounds are those of the caller's own jax.jit."""
    opts = ab.compiler_options(rounding, one_box=True)
    if jax.default_backend() == "cpu":
        assert opts in ({}, {"xla_cpu_use_fusion_emitters": False})
    f = lambda x: jnp.exp(x) * jnp.sin(3 * x) + jax.nn.softplus(x)  # noqa: E731
    enc = ab.enclose(f, 3, rounding=rounding)
    args = (jnp.float64(0.3), jnp.float64(-0.5), jnp.float64(1.0))
    host = enc(*args)
    traced = jax.jit(enc)(*args)
    for ch, ct in zip(host.coefficients, traced.coefficients, strict=True):
        for a, b in zip(_as_arrays(ch), _as_arrays(ct), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-14, atol=0)


@pytest.mark.parametrize("rows", [3, 64])
def test_nearest_contractions_summed_only_when_small(rows):
    """Nearest mode writes a small dot_general (one box's coefficients) as a summed product
    and keeps dot_general for a larger one (data-sized: the summed form would materialize
    its products); both give the values of the outward enclosure's interval."""
    rng = np.random.default_rng(1)
    W = jnp.asarray(rng.normal(size=(rows, 4)))
    f = lambda x: jnp.sum(jnp.tanh(W @ x))  # noqa: E731
    args = (jnp.full(4, 0.1), jnp.full(4, -0.2), jnp.full(4, 0.3))
    near = ab.enclose(f, 2, rounding="nearest")
    text = jax.jit(near).lower(*args).as_text()
    # W @ x0 forms rows * 4 products: 12 (summed) or 256 (a dot_general)
    assert SMALL_PRODUCT in range(12, 256)
    assert ("stablehlo.dot_general" in text) == (rows == 64)
    out = ab.enclose(f, 2, rounding="outward")(*args)
    for cn, co in zip(near(*args).coefficients, out.coefficients, strict=True):
        lo_n, hi_n = (_as_arrays(cn) * 2)[:2]
        lo_o, hi_o = _as_arrays(co)
        scale = 1e-12 * (1 + np.abs(lo_o) + np.abs(hi_o))
        assert np.all(lo_n >= lo_o - scale) and np.all(hi_n <= hi_o + scale)
