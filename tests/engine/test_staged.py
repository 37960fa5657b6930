"""`Enclose.batch`: node-by-node evaluation gives exactly `jax.vmap(enc)`'s enclosures, and
its compiled programs are shared between functions."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import autobound as ab
from autobound.errors import InvalidArgument, ShapeMismatch
from tests.engine.test_core import count_traces


def _boxes(n: int, size: int = 6, seed: int = 0, low: float = -2.0, high: float = 2.0):
    rng = np.random.default_rng(seed)
    shape = (size,) if n == 1 else (size, n)
    lo = rng.uniform(low, high, shape)
    hi = lo + rng.uniform(0.0, 1.0, shape)
    return (lo + hi) / 2, lo, hi


def _assert_same(a: ab.TaylorEnclosure, b: ab.TaylorEnclosure) -> None:
    """Bitwise equal in outward mode (the same operations, explicitly rounded, compiled with
    the same options: see `_fused`); in nearest mode XLA may fold constants of the fused
    program that are inputs of the staged ones, so values may differ in the last bit."""
    assert jax.tree.structure(a) == jax.tree.structure(b)
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        if a.rounding == "outward" or not np.issubdtype(np.asarray(x).dtype, np.floating):
            np.testing.assert_array_equal(np.asarray(x), np.asarray(y))
        else:
            np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=1e-12, atol=1e-14)


def _fused(enc: ab.Enclose, *args):
    """`jax.vmap(enc)` compiled as the staged programs are (the kernels of XLA:CPU's two
    fusion emitters may differ in the last bit; the margins hold for both)."""
    options = ab.compiler_options(enc.rounding)
    in_axes = (0, 0, 0, None)[: len(args)]
    return jax.jit(jax.vmap(enc, in_axes=in_axes), compiler_options=options)(*args)


CASES = [
    ("exp(x)*sin(3*x) + x**2", 2),
    ("sqrt(1 + x**2) - atan(x)/(2 + cos(x))", 3),
    ("sin(x)**20 + x**5", 2),
    ("cos(2*x + 1)*cos(3*y + 2) + exp(-(x - y)**2)", 2),
    ("-1/((a - 1)**2 + (b - 2)**2 + 0.1) + tanh(a*b)", 2),
    ("x*log(1 + x**2) + abs(x - 1/3)", 0),
    ("x", 2),  # no step at all: the output is the input
    ("x - x + 2", 2),  # a constant: the same enclosure for every box
    ("(x - 1)**2 + (y + 2)**2 + sin(x)**2", 2),  # squares of affine and of composed args
]


@pytest.mark.parametrize("rounding", ["outward", "nearest"])
@pytest.mark.parametrize("f,degree", CASES)
def test_batch_equals_vmap(f, degree, rounding):
    enc = ab.enclose(f, degree, rounding=rounding)
    x0, lo, hi = _boxes(len(enc.variables) or 1)  # a constant takes one number per box
    staged = enc.batch(x0, lo, hi)
    fused = _fused(enc, x0, lo, hi)
    _assert_same(staged, fused)
    assert bool(jnp.all(staged.valid))


def test_domain_and_input_flags_as_vmap():
    enc = ab.enclose("log(x) + sqrt(x)", 2, rounding="outward")
    lo = np.array([0.5, -1.0, 1.0, np.nan])
    hi = np.array([1.5, 0.5, 2.0, 1.0])
    x0 = np.array([1.0, 0.0, 1.5, 0.5])
    staged = enc.batch(x0, lo, hi)
    fused = _fused(enc, x0, lo, hi)
    _assert_same(staged, fused)
    assert staged.valid.tolist() == [True, False, True, False]
    assert bool(staged.flags["log"][1]) and bool(staged.flags["input"][3])


def _model(x, p):
    return p["a"] * jnp.sin(x) + jnp.exp(p["b"] * x)


def test_params_are_shared_inputs_and_never_retrace():
    enc = ab.enclose(_model, 2, rounding="outward")
    x0, lo, hi = _boxes(1)
    params = {"a": jnp.asarray(2.0), "b": jnp.asarray(-0.5)}
    staged = enc.batch(x0, lo, hi, params)
    fused = _fused(enc, x0, lo, hi, params)
    _assert_same(staged, fused)
    with count_traces() as traces:
        again = enc.batch(x0, lo, hi, {"a": jnp.asarray(-1.0), "b": jnp.asarray(0.25)})
    assert traces == []
    assert not np.array_equal(again.coefficients[0].lo, staged.coefficients[0].lo)
    with pytest.raises(ShapeMismatch, match="params"):
        enc.batch(x0, lo, hi, {"a": jnp.ones(2), "b": jnp.asarray(0.0)})


def test_programs_are_shared_between_functions():
    """A function that differs from an earlier one only in its constants compiles nothing:
    the programs of its nodes are keyed by op and shapes, not by the function."""
    x0, lo, hi = _boxes(2, size=5, seed=3)
    first = ab.enclose("2*cos(3*x + 1) + x*y", 2, rounding="outward")
    first.batch(x0, lo, hi)
    second = ab.enclose("5*cos(6*x + 5) + x*y", 2, rounding="outward")
    with count_traces() as traces:
        e = second.batch(x0, lo, hi)
    assert traces == []
    fused = _fused(second, x0, lo, hi)
    _assert_same(e, fused)


def test_batch_refuses_traced_values_and_bad_shapes():
    enc = ab.enclose("exp(x)*y", 2)
    x0, lo, hi = _boxes(2, size=3)
    with pytest.raises(InvalidArgument, match="inside jit"):
        jax.jit(lambda a, b, c: enc.batch(a, b, c).coefficients[0])(x0, lo, hi)
    with pytest.raises(ShapeMismatch, match="variables"):
        enc.batch(x0[:, :1], lo[:, :1], hi[:, :1])
    with pytest.raises(ShapeMismatch, match="lo has shape"):
        enc.batch(x0, lo[:2], hi)
    with pytest.raises(ShapeMismatch, match="batch axis"):
        ab.enclose("exp(x)", 2).batch(0.0, -1.0, 1.0)


def test_traced_programs_are_kept_on_disk_and_read_back_without_tracing(tmp_path, monkeypatch):
    """With JAX's compilation cache on, each staged program's traced form is written once;
    after the process forgets it (as a new process would), it is read back instead of traced
    (no rule runs), with bit-identical results; an unreadable entry is traced again."""
    from autobound import kept, staged

    runs = []
    apply_step = staged.apply_step
    monkeypatch.setattr(staged, "apply_step", lambda *a: (runs.append(1), apply_step(*a))[1])
    folder = tmp_path / kept.FOLDER  # the suite's own cache folder stays as it is
    monkeypatch.setattr(kept, "_folder", lambda: folder)
    x0, lo, hi = _boxes(1, size=4, seed=7)
    f = "tanh(2*x + 0.5)*exp(-x**2) + x**3"

    def fresh():
        staged.clear_cache()  # what a new process starts without
        runs.clear()
        return ab.enclose(f, 2, rounding="outward").batch(x0, lo, hi)

    first = fresh()
    traced = len(runs)
    entries = sorted(folder.glob("*.stablehlo"))
    assert traced > 0 and len(entries) >= 3  # prologue, a group per composing node, epilogue
    again = fresh()
    assert runs == []  # read back: no rule ran
    _assert_same(first, again)
    for entry in entries:  # damaged entries: traced and written again, same results
        entry.write_bytes(b"not a program")
    repaired = fresh()
    assert len(runs) == traced
    _assert_same(first, repaired)
    assert all(entry.read_bytes() != b"not a program" for entry in entries)
    monkeypatch.setattr(kept, "_folder", lambda: None)  # no cache folder: plain programs
    _assert_same(first, fresh())
    assert len(runs) == traced


def test_kept_keys_write_descriptions_canonically():
    from fractions import Fraction

    from autobound.kept import canonical

    assert canonical(("pow", (None, Fraction(1, 3)), 2.5, True)) == canonical(
        ("pow", (None, Fraction(1, 3)), 2.5, True)
    )
    assert canonical((Fraction(1, 3),)) != canonical((Fraction(2, 6) + Fraction(1, 10**9),))
    assert canonical((0.1,)) != canonical((0.1 + 2**-56,))  # floats exactly (hex)
    assert canonical({"b": 1, "a": 2}) == canonical({"a": 2, "b": 1})
    assert canonical(np.arange(3.0)) != canonical(np.arange(3.0) + 1)
    assert canonical(object()) is None and canonical((1, object())) is None  # no key: not kept
