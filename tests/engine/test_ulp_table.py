"""Re-measure XLA's CPU kernels against mpmath and check the margins of autobound.ulp_table.

For every (function, dtype) of the table this evaluates the kernel under ``jax.jit`` on a few
thousand points (log grids over the whole domain, random bit patterns, neighbourhoods of special
values, XLA's known bad interval of float64 ``log1p``, floats closest to multiples of pi/2 inside
the trusted domain, subnormal inputs), computes the exact value with mpmath at 128 bits, and
asserts the error model the engine relies on:

    |f(y) - v| <= rel * |v| + abs     for every y in the trusted domain with v finite.

A JAX/XLA upgrade that worsens a kernel makes this fail, naming the function and the input.
The point generator and the reference are those of ``benchmarks/measure_ulp_errors.py``.
"""

from __future__ import annotations

import functools
import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from autobound import ulp_table
from autobound.xla_options import compiler_options

_SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "measure_ulp_errors.py"


def _load_script():
    spec = importlib.util.spec_from_file_location("measure_ulp_errors", _SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


mue = _load_script()

# Fresh random points (the table was measured with seed 0), about this many per kernel.
SEED = 20260101
N_POINTS = 2500
CASES = [(name, dt) for name in mue.KERNELS for dt in mue.DTYPES]


def _in_trusted(y: np.ndarray, name: str, dtype: str) -> np.ndarray:
    lo, hi = ulp_table.trusted_domain(name, dtype)
    return (y >= lo) & (y <= hi)


# The kernels as plain programs compile them, and as batched outward programs do (XLA's
# older CPU fusion emitters, autobound.compiler_options): the margins cover both.
# (The second only where this XLA has such options: the CPU backend.)
OPTIONS = {"default": {}, "batch": compiler_options("outward")}
OPTIONS = {k: v for k, v in OPTIONS.items() if k == "default" or v}


@functools.cache
def _measured(name: str, dtype: str, options: str = "default"):
    """Fresh points (the table was measured with seed 0) and their errors, in the trusted
    domain; float64 log1p's bad interval (jax-ml/jax#39707) sampled densely on top; kernels
    compiled with ``OPTIONS[options]``."""
    mue.COMPILER_OPTIONS.clear()
    mue.COMPILER_OPTIONS.update(OPTIONS[options])
    kernel = mue.KERNELS[name]
    y = mue.points(kernel, dtype, N_POINTS, seed=SEED)
    if name == "log1p":
        rng = np.random.default_rng(SEED)
        y = np.unique(np.concatenate([y, rng.uniform(-0.53, -0.28, 1000).astype(dtype)]))
    y = y[_in_trusted(y.astype(np.float64), name, dtype)]
    try:
        return mue.errors(kernel, dtype, y)
    finally:
        mue.COMPILER_OPTIONS.clear()


@pytest.mark.parametrize("options", list(OPTIONS))
@pytest.mark.parametrize(("name", "dtype"), CASES, ids=[f"{n}-{d}" for n, d in CASES])
def test_kernel_error_within_margin(name: str, dtype: str, options: str) -> None:
    e = _measured(name, dtype, options)
    rel, abs_ = ulp_table.margin(name, dtype)
    finite = np.isfinite(e.v)
    allowed = rel * np.abs(e.v) + abs_
    bad = np.flatnonzero(finite & ~(e.err <= allowed))
    if len(bad):
        i = bad[np.argmax((e.err[bad] - allowed[bad]) / allowed[bad])]
        pytest.fail(
            f"{name} {dtype}: {len(bad)} of {len(e.y)} points break |f-v| <= {rel:.3g}|v| + "
            f"{abs_:.3g}; worst y={e.y[i]!r} ({float(e.y[i]).hex()}): v={e.v[i]!r}, "
            f"exact={e.exact[i]!r}, error {e.err[i]:.3g} ({e.ulp[i]:.3g} ulp)"
        )
    assert finite.sum() > 0.5 * len(e.y)


@pytest.mark.parametrize(("name", "dtype"), CASES, ids=[f"{n}-{d}" for n, d in CASES])
@pytest.mark.parametrize("options", list(OPTIONS))
def test_kernel_nonfinite_only_where_recorded(name: str, dtype: str, options: str) -> None:
    """A non-finite result where f is finite carries no information; the table records the
    smallest |y| where that happens, and an upgrade must not move it closer to 0."""
    e = _measured(name, dtype, options)
    worst = ulp_table.MEASURED[(name, dtype)]["spurious_example"]
    limit = math.inf if worst is None else worst
    bad = e.spurious & (np.abs(e.y) < limit)
    assert not bad.any(), f"{name} {dtype}: non-finite result at y={e.y[bad][:5]!r}"


def test_margins_have_the_documented_headroom() -> None:
    for (name, dtype), m in ulp_table.MEASURED.items():
        rel, abs_ = ulp_table.margin(name, dtype)
        tiny = float(np.finfo(dtype).tiny)
        floor = 2.0**-46 if dtype == "float64" else 2.0**-16
        assert rel >= max(16 * m["max_rel"], floor), (name, dtype)
        assert abs_ >= 4 * max(m["max_abs"], m["subnormal_abs_needed"], tiny), (name, dtype)


def test_every_kernel_of_the_script_is_in_the_table() -> None:
    assert set(ulp_table.MEASURED) == set(CASES)
    for name, dtype in CASES:
        assert ulp_table.margin(name, dtype) == ulp_table.MARGINS[(mue.table_key(name), dtype)]


def test_margin_lookup_accepts_aliases_and_dtypes() -> None:
    assert ulp_table.margin("arctan", np.float32) == ulp_table.margin("atan", "float32")
    assert ulp_table.margin("logistic", np.dtype("float64")) == ulp_table.margin(
        "sigmoid", "float64"
    )
    assert ulp_table.margin("pow(0.5)", "float64") == ulp_table.margin("pow", "float64")
    assert ulp_table.trusted_domain("exp", "float64") == (-math.inf, math.inf)
    lo, hi = ulp_table.trusted_domain("sin", "float64")
    assert lo == -hi and 1e6 < hi < math.inf


def test_margin_lookup_names_the_culprit() -> None:
    with pytest.raises(KeyError, match="lgamma"):
        ulp_table.margin("lgamma", "float64")
    with pytest.raises(KeyError, match="float16"):
        ulp_table.margin("exp", "float16")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_stored_flatness_at_zero_is_measured_again(dtype: str) -> None:
    """The stored kernels flat at 0 (nearest mode calls them on subnormal arguments as they
    are) are exactly those whose results at ±tiny are within tiny of their result at 0 on
    this XLA, every kernel of the functions' records measured afresh."""
    from autobound.rules.functions import KERNELS
    from autobound.rules.kernels import measure_flat_at_zero

    measured = {name for name in KERNELS if measure_flat_at_zero(name, dtype)}
    assert set(ulp_table.FLAT_AT_ZERO[dtype]) == measured
    assert not ulp_table.flat_at_zero("log", dtype) and ulp_table.flat_at_zero("exp", dtype)
    assert ulp_table.flat_at_zero("exp", "float16") is None  # not measured: the engine measures
