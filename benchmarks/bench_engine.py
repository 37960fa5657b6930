"""The engine against the reference implementation (google/autobound 0.1.7), side by side in
one run: program size, speed, the MM use case, tightness, soundness and breadth.

Both implementations bound the same functions, written once as expressions in ``x`` and a
namespace ``m`` of elementwise functions (see :data:`CASES`) and built with ``jax.numpy`` on both
sides (with mpmath for exact values).  Ours runs in this process; the reference, which needs an
older JAX, runs in its own virtual environment as one subprocess
(``benchmarks/_reference_worker.py``) that this script starts and drives, so that timings of the
two alternate on the same machine.  The measuring code is one module, ``_measure.py``, that both
processes import and run under their own JAX.

Tables (Markdown on stdout, also written to ``--txt``; raw numbers to ``--json``):

1. **Program size, first call, width** (degree 2, one box, speed cases).  StableHLO ops of
   ``jax.jit(fn).lower(x0, lo, hi).as_text()``: the lines that assign a ``stablehlo.`` op
   (constants included, each private function once; "inlined" counts each ``call`` as its
   callee's ops).  First call: wall and CPU seconds of the first ``jax.jit(fn)`` call (tracing,
   and for ours building the graph, plus XLA compile; the XLA part from ``jax.monitoring``).
   ``W = sum_i width(c_i) . r^{(x) i}``, ``r = max(|lo - x0|, |hi - x0|)``.
2. **Speed.**  CPU time (``time.process_time``: user + system, all threads) per call of the
   jitted single-box function (µs) and of ``jax.jit(jax.vmap(fn))`` over B boxes (bounds per
   CPU second), inputs already on the device.  Each quantity: the minimum over 5 chunks of the
   mean per call (``--target`` CPU seconds in all); ``--rounds`` rounds alternate ours nearest,
   ours outward and the reference quantity by quantity; tables show medians over rounds, and
   ratios are medians of per-round ratios.  A batch call slower than 2 s is timed once; a size
   whose estimate from the previous size exceeds 60 s is skipped.
3. **MM** (majorization-minimization step).  One degree-2 bound of
   ``h(eta) = loss(w + eta v)`` on ``eta in [0, 1]`` at ``eta0 = 0``, for an MSE loss of a
   one-hidden-layer softplus MLP (d inputs, 32 hidden units, 256 data points: P = 32 d + 65
   parameters, 993, 9985 and 100001), divided by the time of one
   ``jax.jit(jax.value_and_grad(loss))(w, batch)`` under the same JAX (CPU time, rounds as in 2).
   Ours is ``jax.jit(autobound.enclose(h, degree=2))(0, 0, 1, params)`` with the parameters a
   runtime input; the reference ``jax.jit`` of a function of the parameters that builds
   ``taylor_bounds(h, 2)`` with h closing over them and calls it.  "2nd call": the same bound
   with new weight values, and whether JAX traced or compiled again.
4. **Tightness**: W ours / W reference (< 1: ours tighter) for ``rounding="nearest"`` and
   ``"outward"``, without and with trust regions (against the reference without and with
   ``propagate_trust_regions``); ``sampled``: the same for the largest ``upper - lower`` over
   the sample points.
5. **Soundness.**  At x0, the box corners and random points of the region (``--points``), f is
   evaluated exactly (mpmath, 50 digits) and compared with each enclosure's lower and upper
   polynomials (float64, re-checked in exact rational arithmetic when close); misses in ulps.
6. **Breadth.**  Which functions and JAX primitives each implementation bounds at degree 2
   (finite coefficients that contain f at sampled points; ours with ``rounding="nearest"``).

Until ``autobound.enclose`` exists, tables 1-3 measure ours through today's API: the jitted
``(x0, lo, hi) -> (coefficients, flags)`` of ``autobound.taylor_bounds(f, 2)`` (``Bounder._fn``),
built before the first call (its graph capture is then not in the first-call times of table 1;
in the MM case it is: h closes over the parameters, so new parameters make a new bound
function).  The header of the output says which API was measured.

Usage::

    .venv/bin/python benchmarks/bench_engine.py --quick     # ~2 minutes
    .venv/bin/python benchmarks/bench_engine.py             # ~15-25 minutes
    .venv/bin/python benchmarks/bench_engine.py --only speed mm

The reference runs from ``--ref-python`` (default ``$AUTOBOUND_REF_PYTHON`` or
``/work/refvenv/bin/python``), a virtual environment made with::

    PYENV_VERSION=3.12.1 python3.12 -m venv /work/refvenv
    /work/refvenv/bin/pip install jax==0.7.0 jaxlib==0.7.0 typing_extensions
    /work/refvenv/bin/pip install --no-deps autobound==0.1.7
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _measure import (  # noqa: E402
    Timed,
    mlp_loss,
    mm_h,
    mm_parameter_count,
    mm_params,
    mm_problem,
)
from _reference_worker import jnp_namespace, make_function  # noqa: E402

RESULTS = HERE / "results"
DEFAULT_REF_PYTHON = os.environ.get("AUTOBOUND_REF_PYTHON", "/work/refvenv/bin/python")
MAX_CALL_S = 2.0  # a batch call slower than this (CPU s) is timed once, not in rounds
SKIP_CALL_S = 60.0  # a batch size estimated slower than this is skipped
MM = {"hidden": 32, "points": 256, "activation": "softplus", "eta_max": 1.0}


# --------------------------------------------------------------------------- the functions


@dataclass(frozen=True)
class Case:
    """A function (``lambda x: src``), an expansion point x0 and a region [lo, hi]."""

    name: str
    src: str
    x0: float | list
    lo: float | list
    hi: float | list
    params: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return int(np.size(self.x0))

    def spec(self) -> dict:
        return {"src": self.src, "params": self.params, "x0": self.x0, "lo": self.lo, "hi": self.hi}

    def arrays(self):
        return tuple(np.asarray(v, np.float64) for v in (self.x0, self.lo, self.hi))


def _mlp_params(n: int, hidden: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    return {
        "W1": (rng.normal(size=(hidden, n)) / 2).tolist(),
        "b1": (rng.normal(size=hidden) / 2).tolist(),
        "w2": (rng.normal(size=hidden) / 3).tolist(),
    }


CASES = [
    # The reference implementation's README example.
    Case("ref_example", "1.5 * m.exp(3 * x) - 25 * x**2", 0.5, 0.0, 1.0),
    Case("softplus_sigmoid", "m.softplus(2 * x - 1) * m.sigmoid(x)", 0.25, -1.0, 1.5),
    Case("swish_sigmoid", "m.swish(2 * x) - m.sigmoid(x) ** 2", 0.0, -1.0, 1.0),
    Case("exp_log", "m.exp(x) * m.log(1 + x**2)", 0.25, -0.5, 1.0),
    Case("sqrt_rational", "m.sqrt(1 + x**2) / (2 + x) + m.exp(-(x**2))", 0.0, -1.0, 1.0),
    # Two inputs, mixed through dot products (the reference cannot index x[0]).
    Case(
        "two_input",
        "m.exp(m.dot(a, x)) * m.sigmoid(m.dot(a, x) * m.dot(b, x)) - m.log(1 + m.dot(b, x) ** 2)",
        [0.1, -0.2],
        [-0.5, -0.5],
        [0.5, 0.5],
        {"a": [1.0, 0.5], "b": [-0.5, 1.0]},
    ),
    Case(
        "mlp_softplus",
        "m.dot(w2, m.softplus(m.matmul(W1, x) + b1))",
        [0.1, -0.1, 0.2, 0.0],
        [-0.4] * 4,
        [0.6] * 4,
        _mlp_params(4, 12, 0),
    ),
    Case(
        "mlp_swish",
        "m.dot(w2, m.swish(m.matmul(W1, x) + b1))",
        [0.0, 0.1, -0.1, 0.2],
        [-0.5] * 4,
        [0.5] * 4,
        _mlp_params(4, 8, 1),
    ),
]


@dataclass(frozen=True)
class Mode:
    """What a run covers.  Compiling our bound functions (1-40 s each on a shared 2-core
    machine) dominates the run time."""

    cases: tuple | None  # tightness cases (None: all)
    degrees: tuple  # tightness degrees
    variant_degrees: dict  # our variant -> degrees it runs at (missing: all)
    speed_cases: tuple | None  # cases of tables 1-2 (None: all)
    sizes: tuple  # batch sizes B
    mm_inputs: tuple  # input dimensions d of the MM case's MLP
    target_s: float  # CPU seconds per timed quantity and round
    breadth: tuple | None  # breadth entries (None: all)


MODES = {
    "quick": Mode(
        ("ref_example",),
        (2,),
        {"nearest": (2,), "outward": (2,), "nearest+TR": (), "outward+TR": ()},
        ("ref_example",),
        (10_000, 100_000),
        (29,),
        0.1,
        ("exp", "sin", "softplus", "relu", "x[0] (indexing)", "dot (matrix)", "max (reduce)"),
    ),
    "full": Mode(
        None,
        (1, 2, 3, 4),
        {"outward": (2,), "outward+TR": ()},
        ("ref_example", "softplus_sigmoid", "mlp_softplus"),
        (10_000, 100_000),
        (29, 310, 3123),
        0.3,
        None,
    ),
    "extended": Mode(None, (1, 2, 3, 4), {}, None, (10_000, 100_000), (29, 310, 3123), 0.3, None),
}

# Breadth: (name, expression in x with jnp / jax / lax / jss (jax.scipy.special), input size).
# Scalar inputs range over [0.2, 0.7] (inside every domain), vectors over [0.2, 0.7]^3.
BREADTH = [
    ("exp", "jnp.exp(x)", 0),
    ("log", "jnp.log(x)", 0),
    ("log1p", "jnp.log1p(x)", 0),
    ("expm1", "jnp.expm1(x)", 0),
    ("sqrt", "jnp.sqrt(x)", 0),
    ("rsqrt", "lax.rsqrt(x)", 0),
    ("cbrt", "jnp.cbrt(x)", 0),
    ("sin", "jnp.sin(x)", 0),
    ("cos", "jnp.cos(x)", 0),
    ("tan", "jnp.tan(x)", 0),
    ("tanh", "jnp.tanh(x)", 0),
    ("atan", "jnp.arctan(x)", 0),
    ("asin", "jnp.arcsin(x)", 0),
    ("acos", "jnp.arccos(x)", 0),
    ("sinh", "jnp.sinh(x)", 0),
    ("cosh", "jnp.cosh(x)", 0),
    ("asinh", "jnp.arcsinh(x)", 0),
    ("atanh", "jnp.arctanh(x)", 0),
    ("erf", "jss.erf(x)", 0),
    ("sigmoid", "jax.nn.sigmoid(x)", 0),
    ("softplus", "jax.nn.softplus(x)", 0),
    ("swish", "jax.nn.swish(x)", 0),
    ("gelu (tanh)", "jax.nn.gelu(x)", 0),
    ("gelu (erf)", "jax.nn.gelu(x, approximate=False)", 0),
    ("relu", "jax.nn.relu(x - 0.4)", 0),
    ("leaky_relu", "jax.nn.leaky_relu(x - 0.4)", 0),
    ("elu", "jax.nn.elu(x - 0.4)", 0),
    ("log_sigmoid", "jax.nn.log_sigmoid(x)", 0),
    ("abs", "jnp.abs(x - 0.4)", 0),
    ("square", "jnp.square(x)", 0),
    ("x**3 (integer_pow)", "x**3", 0),
    ("x**-2", "x**-2", 0),
    ("x**2.5 (pow)", "x**2.5", 0),
    ("2**x", "2.0**x", 0),
    ("1/x", "1 / x", 0),
    ("maximum", "jnp.maximum(x, 0.4)", 0),
    ("minimum", "jnp.minimum(x, 0.4)", 0),
    ("where", "jnp.where(x > 0.4, x, x**2)", 0),
    ("clip", "jnp.clip(x, 0.3, 0.6)", 0),
    ("x[0] (indexing)", "x[0] * x[1]", 3),
    ("sum", "jnp.sum(x**2)", 3),
    ("dot (matrix)", "jnp.sum(jnp.dot(jnp.arange(6.0).reshape(2, 3), x))", 3),
    ("x @ x", "x @ x", 3),
    ("mean", "jnp.mean(jnp.exp(x))", 3),
    ("prod", "jnp.prod(x)", 3),
    ("max (reduce)", "jnp.max(x)", 3),
    ("concatenate", "jnp.sum(jnp.concatenate([x, x**2]))", 3),
    ("reshape+transpose", "jnp.sum(jnp.reshape(x, (3, 1)).T * x)", 3),
    ("cumsum", "jnp.sum(jnp.cumsum(x))", 3),
    ("norm", "jnp.linalg.norm(x)", 3),
    ("logsumexp", "jss.logsumexp(x)", 3),
    ("softmax", "jax.nn.softmax(x)[0]", 3),
    ("sort", "jnp.sum(jnp.sort(x) * jnp.arange(3.0))", 3),
    ("convolve", "jnp.sum(jnp.convolve(x, jnp.array([1.0, -2.0])) ** 2)", 3),
]


def breadth_item(src: str, n: int) -> dict:
    if n == 0:
        return {"src": src, "x0": 0.4, "lo": 0.2, "hi": 0.7, "degree": 2}
    return {"src": src, "x0": [0.4, 0.5, 0.3], "lo": [0.2] * n, "hi": [0.7] * n, "degree": 2}


# --------------------------------------------------------------------------- exact values


def mp_namespace() -> SimpleNamespace:
    """The ``m`` namespace of case expressions in mpmath, elementwise on object arrays."""
    import mpmath as mp

    def v(fn):
        return np.vectorize(fn, otypes=[object])

    return SimpleNamespace(
        exp=v(mp.exp),
        log=v(mp.log),
        sqrt=v(mp.sqrt),
        sigmoid=v(lambda t: 1 / (1 + mp.exp(-t))),
        softplus=v(lambda t: mp.log1p(mp.exp(t))),
        swish=v(lambda t: t / (1 + mp.exp(-t))),
        dot=np.dot,
        matmul=np.matmul,
        sum=np.sum,
    )


def exact_values(case: Case, points: np.ndarray) -> list:
    """f at each point in mpmath (50 digits), the parameters read as float64 numbers."""
    import mpmath as mp

    mp.mp.dps = 50
    to_mp = np.vectorize(mp.mpf, otypes=[object])
    f = make_function(
        case.src, case.params, mp_namespace(), array=lambda v: to_mp(np.asarray(v, np.float64))
    )
    out = []
    for p in points:
        x = mp.mpf(float(p[0])) if np.ndim(case.x0) == 0 else to_mp(p)
        out.append(mp.mpf(np.asarray(f(x), dtype=object).reshape(()).item()))
    return out


def _mp_fraction(v) -> Fraction:
    sign, man, exp, _ = v._mpf_  # man_exp drops the sign
    return (-1) ** sign * Fraction(int(man)) * Fraction(2) ** int(exp)


def sample_points(case: Case, count: int, seed: int = 0) -> np.ndarray:
    """x0, the corners of the region, then uniform random points: `count` rows of size n."""
    x0, lo, hi = (a.reshape(-1) for a in case.arrays())
    corners = [
        np.where(np.array(bits, bool), hi, lo) for bits in itertools.product((0, 1), repeat=case.n)
    ]
    rng = np.random.default_rng(seed)
    rest = rng.uniform(lo, hi, size=(max(0, count - 1 - len(corners)), case.n))
    return np.vstack([x0[None], np.array(corners), rest])[:count]


# --------------------------------------------------------------------------- enclosures


def as_pairs(coefficients, n: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Coefficients (ours, or the worker's JSON) as (lo, hi) float64 arrays of shape (n**i,)."""
    out = []
    for i, c in enumerate(coefficients):
        if isinstance(c, dict):
            lo, hi = c["lo"], c["hi"]
        elif hasattr(c, "lo") and hasattr(c, "hi"):
            lo, hi = c.lo, c.hi
        else:
            lo = hi = c
        out.append(
            (np.asarray(lo, np.float64).reshape(n**i), np.asarray(hi, np.float64).reshape(n**i))
        )
    return out


def width_bound(pairs, x0, lo, hi) -> float:
    """``sum_i width(c_i) . r^{(x) i}``: a bound on max(upper - lower) over the region."""
    r = np.maximum(np.abs(lo - x0), np.abs(hi - x0)).reshape(-1)
    total, rk = 0.0, np.ones(1)
    for i, (clo, chi) in enumerate(pairs):
        if i:
            rk = np.kron(rk, r)
        total += float(np.dot(chi - clo, rk))
    return total


def _monomials(z: np.ndarray, degree: int) -> list[np.ndarray]:
    """``z^{(x) i}`` flattened, i = 0..degree, for rows of z (shape (P, n))."""
    mono = [np.ones((z.shape[0], 1))]
    for _ in range(degree):
        mono.append((mono[-1][:, :, None] * z[:, None, :]).reshape(z.shape[0], -1))
    return mono


def evaluate_pairs(pairs, x0: np.ndarray, points: np.ndarray):
    """lower, upper and the sum of |terms| at each point (float64, round to nearest)."""
    z = points - x0.reshape(1, -1)
    lower = np.zeros(len(points))
    upper = np.zeros(len(points))
    mag = np.zeros(len(points))
    for (clo, chi), m in zip(pairs, _monomials(z, len(pairs) - 1), strict=True):
        a, b = clo[None] * m, chi[None] * m
        lower += np.minimum(a, b).sum(axis=1)
        upper += np.maximum(a, b).sum(axis=1)
        mag += np.maximum(np.abs(a), np.abs(b)).sum(axis=1)
    return lower, upper, mag


def exact_pair_bounds(pairs, x0: np.ndarray, point: np.ndarray) -> tuple[Fraction, Fraction]:
    """lower and upper at one point in exact rational arithmetic."""
    z = [Fraction(float(p)) - Fraction(float(c)) for p, c in zip(point, x0, strict=True)]
    lower = upper = Fraction(0)
    mono = [Fraction(1)]
    for i, (clo, chi) in enumerate(pairs):
        if i:
            mono = [a * b for a in mono for b in z]
        for a, b, m in zip(clo, chi, mono, strict=True):
            ta, tb = Fraction(float(a)) * m, Fraction(float(b)) * m
            lower += min(ta, tb)
            upper += max(ta, tb)
    return lower, upper


def count_misses(pairs, x0: np.ndarray, points: np.ndarray, f_exact: list) -> dict:
    """Points where the exact f lies outside [lower, upper]; the largest miss in ulps of f."""
    lower, upper, mag = evaluate_pairs(pairs, x0, points)
    if not (np.all(np.isfinite(lower)) and np.all(np.isfinite(upper))):
        return {"misses": 0, "max_ulp": 0.0, "nonfinite": True}
    misses, worst = 0, 0.0
    for j, fv in enumerate(f_exact):
        ff = float(fv)
        tol = 64 * np.finfo(np.float64).eps * (mag[j] + abs(ff)) + 1e-300
        below, above = lower[j] - ff, ff - upper[j]
        if max(below, above) < -tol:
            continue  # clearly inside
        if max(below, above) > tol:
            gap = max(below, above)
        else:
            lo_x, hi_x = exact_pair_bounds(pairs, x0, points[j])
            fx = _mp_fraction(fv)
            gap_x = max(lo_x - fx, fx - hi_x)
            # f is known to ~1e-50 relative: smaller gaps are not misses we can tell apart.
            if gap_x <= abs(fx) * Fraction(1, 10**45):
                continue
            gap = float(gap_x)
        misses += 1
        ulp = float(np.spacing(abs(ff))) if ff != 0 else float(np.finfo(np.float64).tiny)
        worst = max(worst, gap / ulp)
    return {"misses": misses, "max_ulp": worst}


def contains_samples(pairs, x0: np.ndarray, points: np.ndarray, values: np.ndarray) -> str:
    """Breadth check: finite coefficients whose bounds contain float64 f at the points."""
    lower, upper, _ = evaluate_pairs(pairs, x0, points)
    if not (np.all(np.isfinite(lower)) and np.all(np.isfinite(upper))):
        return "non-finite"
    tol = 1e-9 * (1 + np.abs(values))
    bad = int(np.sum((values < lower - tol) | (values > upper + tol)))
    return "ok" if bad == 0 else f"WRONG ({bad}/{len(points)} outside)"


# --------------------------------------------------------------------------- the reference


class Reference:
    """The reference implementation, driven in a subprocess (``_reference_worker.py``)."""

    def __init__(self, python: str):
        self._stderr = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen(
            [python, str(HERE / "_reference_worker.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            bufsize=1,
            cwd=str(HERE),
            env={**os.environ, "PYTHONPATH": ""},
        )

    def ask(self, cmd: str, **kw) -> dict:
        self.proc.stdin.write(json.dumps({"cmd": cmd, **kw}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            self._stderr.seek(0)
            raise RuntimeError("reference worker died:\n" + self._stderr.read()[-3000:])
        return json.loads(line)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)


# --------------------------------------------------------------------------- ours


def _ours():
    import jax

    jax.config.update("jax_enable_x64", True)
    # First calls must compile: no persistent cache (the tests may set one up).
    jax.config.update("jax_enable_compilation_cache", False)
    import autobound as ab

    return jax, ab


def has_enclose() -> bool:
    return hasattr(_ours()[1], "enclose")


def ours_function(case: Case):
    return make_function(case.src, case.params, jnp_namespace())


def ours_bounds(case: Case, degree: int, rounding: str, tr: bool):
    """Coefficients of the public call ``taylor_bounds(f, degree, ...)(x0, (lo, hi))``."""
    jax, ab = _ours()
    x0, lo, hi = case.arrays()
    b = ab.taylor_bounds(ours_function(case), degree=degree, rounding=rounding, trust_regions=tr)
    return jax.block_until_ready(b(x0, (lo, hi)).coefficients)


def _first_out(out):
    return out[0]


def ours_box_fn(f, rounding: str, case_x0):
    """``(fn, coefficients)``: our degree-2 bound of `f` as ``fn(x0, lo, hi)``, to be jitted and
    vmapped, and how to read the coefficient tuple from its result."""
    _, ab = _ours()
    if has_enclose():
        return ab.enclose(f, degree=2, rounding=rounding), lambda out: out.coefficients

    # Today's API, built here, outside any trace (see ours_mm_make).
    return ab.taylor_bounds(f, 2, rounding=rounding)._fn(tuple(np.shape(case_x0))), _first_out


def ours_mm_make(h, eta_max: float):
    """``make(params) -> (fn, args, coefficients)`` for :meth:`_measure.Timed.prepare_mm`: the
    bound of ``eta -> h(eta, params)`` on ``[0, eta_max]`` at 0 is ``jax.jit(fn)(*args)``."""
    _, ab = _ours()
    if has_enclose():
        enc = ab.enclose(h, degree=2)
        return lambda p: (enc, (0.0, 0.0, eta_max, p), lambda out: out.coefficients)

    # Today's API: h closes over p, so new parameters make a new function.  Built outside
    # jax.jit: at f0b5fb0, the same Bounder built inside a jitted function gave this MM bound
    # an interval first coefficient and a 24x wider W (its arrays then arrive as tracers).
    def make(p):
        return ab.taylor_bounds(lambda eta: h(eta, p), 2)._fn(()), (0.0, 0.0, eta_max), _first_out

    return make


# --------------------------------------------------------------------------- tightness


VARIANTS = [  # (label, rounding, trust regions, reference label it is compared with)
    ("nearest", "nearest", False, "ref"),
    ("outward", "outward", False, "ref"),
    ("nearest+TR", "nearest", True, "ref+TR"),
    ("outward+TR", "outward", True, "ref+TR"),
]


def run_tightness(
    cases, degrees, variant_degrees: dict, ref: Reference | None, points: int, log
) -> list[dict]:
    rows = []
    for case in cases:
        x0, lo, hi = case.arrays()
        pts = sample_points(case, points)
        f_exact = exact_values(case, pts)
        for k in degrees:
            row = {"case": case.name, "degree": k, "points": len(pts), "impl": {}}
            impls = {}
            if ref is not None:
                for label, tr in (("ref", False), ("ref+TR", True)):
                    ans = ref.ask("bounds", case=case.spec(), degree=k, tr=tr)
                    impls[label] = ans
            for label, rounding, tr, _ in VARIANTS:
                if k not in variant_degrees[label]:
                    continue
                try:
                    impls[label] = {"coefficients": ours_bounds(case, k, rounding, tr)}
                except Exception as e:  # noqa: BLE001 - reported in the table
                    impls[label] = {"error": f"{type(e).__name__}: {e}"[:160]}
            for label, ans in impls.items():
                if "error" in ans:
                    row["impl"][label] = {"error": ans["error"]}
                    continue
                pairs = as_pairs(ans["coefficients"], case.n)
                lower, upper, _ = evaluate_pairs(pairs, x0.reshape(-1), pts)
                row["impl"][label] = {
                    "W": width_bound(pairs, x0, lo, hi),
                    "W_final": width_bound(
                        [(0 * a, 0 * b) for a, b in pairs[:-1]] + [pairs[-1]], x0, lo, hi
                    ),
                    "sampled_width": float(np.max(upper - lower)),
                    **count_misses(pairs, x0.reshape(-1), pts, f_exact),
                }
            rows.append(row)
            log(
                f"tightness {case.name} k={k}: "
                + ", ".join(
                    f"{lab} W={v.get('W', float('nan')):.4g}" for lab, v in row["impl"].items()
                )
            )
    return rows


# --------------------------------------------------------------------------- speed


def make_boxes(case: Case, size: int, seed: int = 1) -> dict[str, np.ndarray]:
    """`size` boxes inside the case's region: centre x0, half-width 2-10% of the region's."""
    x0, lo, hi = (np.broadcast_to(a, np.shape(case.x0)) for a in case.arrays())
    rng = np.random.default_rng(seed)
    shape = (size,) + x0.shape
    half = (hi - lo) / 2 * rng.uniform(0.02, 0.1, size=shape)
    centre = rng.uniform(lo + half, hi - half)
    return {"x0": centre, "lo": centre - half, "hi": centre + half}


def _median(xs):
    return statistics.median(xs) if xs else float("nan")


def time_rounds(names: list[str], ours: Timed, ref: Reference | None, rounds: int, target_s):
    """``{name: {"cpu": [..], "wall": [..]}}``, the names taken in turn in each round; names
    starting with ``ref/`` are timed by the reference worker, the others here."""
    times = {n: {"cpu": [], "wall": []} for n in names}
    for _ in range(rounds):
        for name in names:
            if name.startswith("ref/"):
                t = ref.ask("time", what=name, target_s=target_s)
            else:
                t = ours.time(name, target_s)
            times[name]["cpu"].append(t["cpu"])
            times[name]["wall"].append(t["wall"])
    return times


def run_speed(cases, sizes, ref: Reference | None, rounds: int, target_s: float, log):
    """Tables 1-2: per case, ours (nearest, outward) and the reference at degree 2."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases:
            boxes = make_boxes(case, max(sizes))
            box_file = os.path.join(tmp, f"{case.name}.npz")
            np.savez(box_file, **boxes)
            ours = Timed()
            row: dict = {"case": case.name, "impl": {}}
            for rounding in ("nearest", "outward"):
                fn, coefficients = ours_box_fn(ours_function(case), rounding, case.x0)
                # the whole TaylorEnclosure (coefficients, region, flags), and the coefficients
                # alone: the reference's outputs, so the same arrays are written
                alone = lambda *a, fn=fn, coefficients=coefficients: coefficients(fn(*a))  # noqa: E731
                for label, f, read in (
                    (rounding, fn, coefficients),
                    (f"{rounding}-c", alone, lambda out: out),
                ):
                    row["impl"][label] = ours.prepare_boxes(
                        label,
                        f,
                        read,
                        case.arrays(),
                        boxes,
                        list(sizes),
                        MAX_CALL_S,
                        SKIP_CALL_S,
                    )
                log(f"speed {case.name}: ours {rounding} prepared")
            if ref is not None:
                ans = ref.ask(
                    "prepare_boxes",
                    case=case.spec(),
                    boxes=box_file,
                    sizes=list(sizes),
                    max_call_s=MAX_CALL_S,
                    skip_call_s=SKIP_CALL_S,
                )
                row["impl"]["ref"] = ans
                if "error" in ans:
                    log(f"speed {case.name}: reference failed: {ans['error']}")
            names = [
                f"{impl}/{q}"
                for q in ("single", *map(str, sizes))
                for impl in row["impl"]
                if f"{impl}/{q}" in row["impl"][impl].get("timed", ())
            ]
            row["times"] = time_rounds(names, ours, ref, rounds, target_s)
            for rec in row["impl"].values():
                if "coefficients" in rec:
                    rec["W"] = width_bound(as_pairs(rec["coefficients"], case.n), *case.arrays())
            rows.append(row)
            log(
                f"speed {case.name}: "
                + ", ".join(f"{n}={_median(t['cpu']) * 1e6:.4g}µs" for n, t in row["times"].items())
            )
    return rows


def run_mm(inputs: list[int], ref: Reference | None, rounds: int, target_s: float, log):
    """Table 3: the MM case for each input dimension d."""
    loss = mlp_loss(MM["activation"])
    h = mm_h(loss)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for d in inputs:
            flat = mm_problem(d, MM["hidden"], MM["points"])
            problem = os.path.join(tmp, f"mm{d}.npz")
            np.savez(problem, **flat)
            params, params2 = mm_params(flat)
            row: dict = {"P": mm_parameter_count(d, MM["hidden"]), "inputs": d, "impl": {}}
            ours = Timed()
            try:
                # One enclose per problem: its parameters keep their shapes across calls.
                make = ours_mm_make(h, MM["eta_max"])
                row["impl"]["ours"] = ours.prepare_mm(
                    "ours", make, params, params2, loss, params["w"], params["batch"]
                )
            except Exception as e:  # noqa: BLE001 - reported in the table
                row["impl"]["ours"] = {"error": f"{type(e).__name__}: {e}"[:300]}
            log(f"mm P={row['P']}: ours prepared")
            if ref is not None:
                row["impl"]["ref"] = ref.ask(
                    "prepare_mm",
                    problem=problem,
                    activation=MM["activation"],
                    eta_max=MM["eta_max"],
                )
            names = [
                f"{impl}/{q}"
                for impl in row["impl"]
                for q in ("bound", "vg")
                if "error" not in row["impl"][impl]
            ]
            row["times"] = time_rounds(names, ours, ref, rounds, target_s)
            for rec in row["impl"].values():
                if "coefficients" in rec:
                    rec["W"] = width_bound(as_pairs(rec["coefficients"], 1), 0.0, 0.0, 1.0)
            rows.append(row)
            log(
                f"mm P={row['P']}: "
                + ", ".join(f"{n}={_median(t['cpu']) * 1e3:.4g}ms" for n, t in row["times"].items())
            )
    return rows


# --------------------------------------------------------------------------- breadth


def run_breadth(items, ref: Reference | None, log) -> list[dict]:
    jax, ab = _ours()
    import jax.numpy as jnp
    import jax.scipy.special as jss

    scope = {"jnp": jnp, "jax": jax, "lax": jax.lax, "jss": jss, "np": np}
    specs = [breadth_item(src, n) for _, src, n in items]
    ref_results = (
        ref.ask("breadth", items=specs)["results"]
        if ref is not None
        else [{"error": "reference not run"}] * len(items)
    )
    rows = []
    for (name, src, n), spec, ref_ans in zip(items, specs, ref_results, strict=True):
        f = eval("lambda x: " + src, scope)  # noqa: S307 - expressions written above
        x0 = np.asarray(spec["x0"], np.float64)
        lo, hi = (np.broadcast_to(np.asarray(spec[e], np.float64), x0.shape) for e in ("lo", "hi"))
        rng = np.random.default_rng(2)
        pts = rng.uniform(lo.reshape(-1), hi.reshape(-1), size=(50, max(1, n)))
        values = np.array([float(f(jnp.asarray(p.reshape(x0.shape)))) for p in pts])
        size = max(1, n)
        row = {"name": name, "src": src}
        for rounding in ("nearest",):  # the drop-in's mode, as the reference
            try:
                b = ab.compile(f, degree=2, rounding=rounding)
                c = b(x0, (lo, hi)).coefficients
                row[rounding] = contains_samples(as_pairs(c, size), x0.reshape(-1), pts, values)
            except Exception as e:  # noqa: BLE001 - a failure is a table entry
                row[rounding] = f"FAIL: {type(e).__name__}: {str(e).splitlines()[0][:300]}"
        if "error" in ref_ans:
            row["reference"] = f"FAIL: {ref_ans['error']}"
        else:
            row["reference"] = contains_samples(
                as_pairs(ref_ans["coefficients"], size), x0.reshape(-1), pts, values
            )
        rows.append(row)
        log(f"breadth {name}: ours {row['nearest']}; ref {row['reference']}")
    return rows


# --------------------------------------------------------------------------- tables


def md_table(header: list[str], rows: list[list]) -> str:
    cells = [[str(c) for c in r] for r in rows]
    widths = [
        max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(header)
    ]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in cells
    ]
    return "\n".join([line, sep, *body])


def _g(v, digits=3) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return f"{v:.{digits}g}"


def _short_error(msg: str, limit: int = 60) -> str:
    """An error message cut for a table cell (the JSON keeps it whole)."""
    m = re.search(r"the argument of (\w+) leaves", msg)
    if m:
        return f"{msg.split(':')[0]}: {m.group(1)} argument leaves its domain"
    msg = re.split(r"; | \(", msg)[0]
    return msg if len(msg) <= limit else msg[: limit - 3] + "..."


def _geomean(xs):
    xs = [x for x in xs if x and np.isfinite(x) and x > 0]
    return math.exp(sum(map(math.log, xs)) / len(xs)) if xs else float("nan")


def _width_cell(v: dict) -> str:
    if "error" in v:
        return v["error"].split(":")[0]
    if "W" in v and not np.isfinite(v["W"]):
        return "NaN"
    return _g(v.get("W"))


def tightness_table(rows) -> str:
    header = [
        "case",
        "k",
        "ref W",
        "ref+TR W",
        "nearest/ref",
        "outward/ref",
        "nearest+TR/ref+TR",
        "outward+TR/ref+TR",
        "sampled nearest/ref",
    ]
    out, ratios = [], {lab: [] for lab, *_ in VARIANTS}
    ratios["sampled"] = []
    for r in rows:
        im = r["impl"]
        line = [
            r["case"],
            r["degree"],
            _width_cell(im.get("ref", {})),
            _width_cell(im.get("ref+TR", {})),
        ]
        for lab, _, _, against in VARIANTS:
            ours, theirs = im.get(lab, {}), im.get(against, {})
            if "W" in ours and "W" in theirs and theirs["W"] > 0:
                q = ours["W"] / theirs["W"]
                ratios[lab].append(q)
                line.append(_g(q))
            elif "error" in ours:
                line.append(ours["error"].split(":")[0])
            elif ours and theirs:
                line.append(f"ref {_width_cell(theirs)}")
            else:
                line.append("-")
        if "sampled_width" in im.get("nearest", {}) and "sampled_width" in im.get("ref", {}):
            q = im["nearest"]["sampled_width"] / im["ref"]["sampled_width"]
            ratios["sampled"].append(q)
            line.append(_g(q))
        else:
            line.append("-")
        out.append(line)
    out.append(
        [
            "geometric mean",
            "",
            "",
            "",
            *(_g(_geomean(ratios[lab])) for lab, *_ in VARIANTS),
            _g(_geomean(ratios["sampled"])),
        ]
    )
    return md_table(header, out)


def soundness_table(rows) -> str:
    """Per case: misses / points checked, summed over the degrees each variant ran at."""
    labels = ["ref", "ref+TR"] + [lab for lab, *_ in VARIANTS]
    header = (
        ["case", "degrees"]
        + [f"{lab}: misses/points" for lab in labels]
        + [
            "max miss ref (ulp)",
            "max miss nearest (ulp)",
        ]
    )
    by_case: dict = {}
    for r in rows:
        by_case.setdefault(r["case"], []).append(r)
    out = []
    totals = {lab: [0, 0] for lab in labels}
    for case, rs in by_case.items():
        line = [case, ",".join(str(r["degree"]) for r in rs)]
        for lab in labels:
            got = [
                (r["impl"][lab], r["points"])
                for r in rs
                if "misses" in r["impl"].get(lab, {}) and not r["impl"][lab].get("nonfinite")
            ]
            nans = sum(bool(r["impl"].get(lab, {}).get("nonfinite")) for r in rs)
            misses, points = sum(g["misses"] for g, _ in got), sum(p for _, p in got)
            totals[lab][0] += misses
            totals[lab][1] += points
            cell = f"{misses}/{points}" if points else "-"
            line.append(cell + (f" (+{nans} NaN bound)" if nans else ""))
        for lab in ("ref", "nearest"):
            got = [r["impl"].get(lab, {}).get("max_ulp", 0.0) for r in rs]
            line.append(_g(max(got), 2))
        out.append(line)
    out.append(["total", "", *(f"{m}/{p}" if p else "-" for m, p in totals.values()), "", ""])
    return md_table(header, out)


def _per_round(times: dict, num: str, den: str) -> float:
    """Median over rounds of the CPU-time ratio times[num] / times[den] (same round)."""
    a, b = times.get(num, {}).get("cpu", []), times.get(den, {}).get("cpu", [])
    if not a or not b:
        return float("nan")
    return _median([x / y for x, y in zip(a, b, strict=True)])


def _call_s(row: dict, impl: str, q: str) -> tuple[float, str]:
    """CPU seconds per call of quantity q ("single" or a batch size), and a note."""
    name = f"{impl}/{q}"
    if name in row["times"]:
        return _median(row["times"][name]["cpu"]), ""
    rec = row["impl"].get(impl, {})
    if "error" in rec:
        return float("nan"), "error"
    b = rec.get("batch", {}).get(q, {})
    if "once" in b:
        return b["once"], " (1 call)"
    if "skipped" in b:
        return float("nan"), f"skipped (est. {b['skipped']:.0f} s)"
    return float("nan"), ""


def _first(first: dict | None) -> str:
    """A first call as "wall (CPU)" seconds."""
    return f"{first['wall']:.2g} ({first['cpu']:.2g})" if first else "-"


def _slash(values, digits=3) -> str:
    return " / ".join(_g(v, digits) for v in values)


def size_table(rows) -> str:
    header = [
        "case",
        "StableHLO ops: nearest / outward / ref",
        "inlined",
        "ops nearest/ref",
        "first call s, wall (CPU): nearest / outward / ref",
        "of which XLA compile, wall s",
        "W: nearest / outward / ref",
    ]
    impls = ("nearest", "outward", "ref")
    out = []
    for r in rows:
        im = {k: r["impl"].get(k, {}) for k in impls}
        ops = [im[k].get("ops", {}).get("ops") for k in impls]
        out.append(
            [
                r["case"],
                " / ".join(str(v) if v is not None else "-" for v in ops),
                " / ".join(str(im[k].get("ops", {}).get("ops_inlined", "-")) for k in impls),
                _g(ops[0] / ops[2]) if ops[0] and ops[2] else "-",
                " / ".join(_first(im[k].get("first")) for k in impls),
                _slash([im[k].get("first", {}).get("compile_s") for k in impls], 2),
                _slash([im[k].get("W") for k in impls], 4),
            ]
        )
    return md_table(header, out)


SPEED_IMPLS = ("nearest", "outward", "nearest-c", "outward-c")


def speed_table(rows, sizes) -> str:
    header = [
        "case",
        "quantity",
        "ours nearest",
        "ours outward",
        "ours nearest, coefficients",
        "ours outward, coefficients",
        "reference",
        "speed nearest/ref",
        "speed outward/ref",
        "coefficients only: nearest/ref",
        "coefficients only: outward/ref",
    ]
    out = []
    for r in rows:
        for q in ("single", *map(str, sizes)):
            per = 1 if q == "single" else int(q)
            cells, secs = [], {}
            for impl in (*SPEED_IMPLS, "ref"):
                s, note = _call_s(r, impl, q)
                secs[impl] = s
                if q == "single":
                    value = _g(s * 1e6)
                else:
                    value = _g(per / s) if np.isfinite(s) else "-"
                cells.append(value + note if np.isfinite(s) else note or "-")
            ratios = []
            for impl in SPEED_IMPLS:
                if not np.isfinite(secs[impl]):
                    ratios.append(np.nan)
                    continue
                q_round = _per_round(r["times"], f"ref/{q}", f"{impl}/{q}")
                ratios.append(q_round if np.isfinite(q_round) else secs["ref"] / secs[impl])
            label = "1 call (µs)" if q == "single" else f"B={per} (bounds/s)"
            out.append([r["case"], label, *cells, *(_g(v) for v in ratios)])
    return md_table(header, out)


def mm_table(rows) -> str:
    header = [
        "P",
        "impl",
        "bound (ms)",
        "value_and_grad (ms)",
        "bound / v&g",
        "first call s, wall (CPU); XLA compile",
        "2nd call, new weights: traced / compiled (s, wall (CPU))",
        "StableHLO ops: bound / v&g",
        "W",
    ]
    out = []
    for r in rows:
        ratio = {}
        for impl, name in (("ours", "ours"), ("ref", "reference")):
            rec = r["impl"].get(impl)
            if rec is None:
                continue
            if "error" in rec:
                out.append([r["P"], name, rec["error"][:60], "", "", "", "", "", ""])
                continue
            t = r["times"]
            ratio[impl] = _per_round(t, f"{impl}/bound", f"{impl}/vg")
            first, second = rec["first"], rec["second"]
            out.append(
                [
                    r["P"],
                    name,
                    _g(_median(t[f"{impl}/bound"]["cpu"]) * 1e3),
                    _g(_median(t[f"{impl}/vg"]["cpu"]) * 1e3),
                    _g(ratio[impl]),
                    f"{_first(first)}; {first['compile_s']:.2g}",
                    f"{'yes' if second['traces'] else 'no'} / "
                    f"{'yes' if second['compiles'] else 'no'} ({_first(second)})",
                    f"{rec['ops']['ops']} / {rec['vg_ops']['ops']}",
                    _g(rec.get("W"), 5),
                ]
            )
        if len(ratio) == 2:
            out.append([r["P"], "ours ÷ ref", "", "", _g(ratio["ours"] / ratio["ref"]), *[""] * 4])
    return md_table(header, out)


def breadth_table(rows) -> str:
    header = ["function", "expression", "ours", "reference 0.1.7"]

    def cell(v: str) -> str:
        return "FAIL: " + _short_error(v[6:]) if v.startswith("FAIL: ") else v

    out = [[r["name"], f"`{r['src']}`", cell(r["nearest"]), cell(r["reference"])] for r in rows]
    n_ok = [sum(r[c] == "ok" for r in rows) for c in ("nearest", "reference")]
    out.append(["**supported**", "", f"{n_ok[0]}/{len(rows)}", f"{n_ok[1]}/{len(rows)}"])
    return md_table(header, out)


# --------------------------------------------------------------------------- main


def machine_info(ref: Reference | None) -> dict:
    import jax

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass

    def git(*cmd: str) -> str:
        try:
            return subprocess.run(
                ["git", *cmd], cwd=HERE, capture_output=True, text=True, check=False
            ).stdout.rstrip()
        except OSError:
            return ""

    commit = git("rev-parse", "--short", "HEAD")
    # Engine files changed since that commit (the run measures the working tree).
    dirty = git("status", "--porcelain", "--", "../autobound").splitlines()
    import importlib.metadata

    info = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "jax": jax.__version__,
        "jaxlib": importlib.metadata.version("jaxlib"),
        "git_commit": commit,
        "engine_changes": [d[3:] for d in dirty],
        "enclose": has_enclose(),
        "ours_path": str(Path(_ours()[1].__file__).resolve().parent),
    }
    if ref is not None:
        info["reference"] = ref.ask("info")
    return info


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="a subset, ~2-3 minutes")
    ap.add_argument("--extended", action="store_true", help="every variant and speed case")
    ap.add_argument(
        "--ref-python",
        default=DEFAULT_REF_PYTHON,
        help="Python of the reference's virtual environment ('' to skip it)",
    )
    sections_all = ["speed", "mm", "tightness", "breadth"]
    ap.add_argument("--only", nargs="*", default=None, choices=sections_all, help="sections")
    ap.add_argument("--cases", nargs="*", default=None, help="tightness case names")
    ap.add_argument("--speed-cases", nargs="*", default=None, help="speed case names")
    ap.add_argument("--degrees", nargs="*", type=int, default=None, help="tightness degrees")
    ap.add_argument("--sizes", nargs="*", type=int, default=None, help="batch sizes B")
    ap.add_argument("--mm-inputs", nargs="*", type=int, default=None, help="MM input dims d")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--target", type=float, default=None, help="CPU s per timed quantity")
    ap.add_argument("--points", type=int, default=200, help="soundness sample points")
    ap.add_argument("--json", default=None, help="default benchmarks/results/engine[_mode].json")
    ap.add_argument("--txt", default=None, help="default benchmarks/results/engine[_mode].txt")
    ap.add_argument("--from-json", default=None, help="print the tables of a saved run")
    args = ap.parse_args(argv)
    if args.from_json:
        print(report(json.loads(Path(args.from_json).read_text())))
        return 0

    mode = "quick" if args.quick else "extended" if args.extended else "full"
    m = MODES[mode]
    names = args.cases or m.cases or [c.name for c in CASES]
    cases = [c for c in CASES if c.name in names]
    speed_names = args.speed_cases or m.speed_cases or [c.name for c in CASES]
    speed_cases = [c for c in CASES if c.name in speed_names]
    degrees = args.degrees or list(m.degrees)
    variant_degrees = {lab: list(m.variant_degrees.get(lab, degrees)) for lab, *_ in VARIANTS}
    if args.degrees:  # explicit degrees: every variant at each
        variant_degrees = dict.fromkeys(variant_degrees, degrees)
    sizes = args.sizes or list(m.sizes)
    mm_inputs = args.mm_inputs or list(m.mm_inputs)
    target = args.target or m.target_s
    sections = args.only or sections_all
    breadth_items = [b for b in BREADTH if m.breadth is None or b[0] in m.breadth]

    t0 = time.perf_counter()

    def log(msg: str) -> None:
        print(f"[{time.perf_counter() - t0:6.1f}s] {msg}", file=sys.stderr, flush=True)

    ref = None
    if args.ref_python:
        if Path(args.ref_python).exists():
            ref = Reference(args.ref_python)
        else:
            log(f"reference Python {args.ref_python} not found: reference columns left empty")
    _ours()
    result: dict = {
        "mode": mode,
        "command": " ".join(
            [
                *(
                    [f"PYTHONPATH={os.environ['PYTHONPATH']}"]
                    if os.environ.get("PYTHONPATH")
                    else []
                ),
                ".venv/bin/python",
                "benchmarks/bench_engine.py",
                *sys.argv[1:],
            ]
        )
        if argv is None
        else None,
        "machine": machine_info(ref),
        "settings": {
            "cases": names,
            "degrees": degrees,
            "variant_degrees": variant_degrees,
            "speed_cases": speed_names,
            "sizes": sizes,
            "mm": {**MM, "inputs": mm_inputs},
            "rounds": args.rounds,
            "target_s": target,
            "points": args.points,
        },
        "cases": {c.name: c.spec() for c in cases},
    }
    RESULTS.mkdir(exist_ok=True)
    stem = "engine" if mode == "full" else f"engine_{mode}"
    json_path = Path(args.json or RESULTS / f"{stem}.json")
    txt_path = Path(args.txt or RESULTS / f"{stem}.txt")

    def write() -> str:
        """Write what has been measured so far (a run that is stopped keeps its sections)."""
        result["elapsed_s"] = time.perf_counter() - t0
        text = report(result)
        json_path.write_text(json.dumps(result, indent=1, default=_json_default) + "\n")
        txt_path.write_text(text + "\n")
        return text

    try:
        # Speed first, so that first calls compile what nothing has compiled before.
        if "speed" in sections:
            result["speed"] = run_speed(speed_cases, sizes, ref, args.rounds, target, log)
            write()
        if "mm" in sections:
            result["mm"] = run_mm(mm_inputs, ref, args.rounds, target, log)
            write()
        if "tightness" in sections:
            result["tightness"] = run_tightness(
                cases, degrees, variant_degrees, ref, args.points, log
            )
            write()
        if "breadth" in sections:
            result["breadth"] = run_breadth(breadth_items, ref, log)
    finally:
        if ref is not None:
            ref.close()
    print(write())
    log(f"wrote {json_path} and {txt_path}")
    return 0


def report(result: dict) -> str:
    """The tables of a run, as Markdown."""
    s = result["settings"]
    m = result["machine"]
    parts = [
        f"# bench_engine.py ({result['mode']}), {m['date']}",
        *([f"command: {result['command']}"] if result.get("command") else []),
        f"machine: {m['cpu']}, {m['cores']} cores; python {m['python']}, jax {m['jax']}, "
        f"jaxlib {m['jaxlib']}, "
        + (
            f"autobound (ours) from {m['ours_path']} (checkout @ {m['git_commit']})"
            if m.get("ours_path", str(HERE.parent / "autobound")) != str(HERE.parent / "autobound")
            else f"autobound (ours) @ {m['git_commit']}"
            + (
                f" + uncommitted changes to {', '.join(m['engine_changes'])}"
                if m["engine_changes"]
                else ""
            )
        ),
        "ours measured through: "
        + (
            "autobound.enclose"
            if m["enclose"]
            else "autobound.taylor_bounds(f, 2)._fn (autobound.enclose not present)"
        ),
    ]
    if "reference" in m:
        r = m["reference"]
        parts.append(
            f"reference: autobound {r['autobound']} on python {r['python']}, "
            f"jax {r['jax']}, jaxlib {r['jaxlib']}"
        )
    timing = (
        f"CPU time (user + system), min of 5 chunks per quantity, median of {s['rounds']} "
        f"interleaved rounds of {s['target_s']} s"
    )
    if "speed" in result:
        parts += [
            "",
            "## Program size, first call, width (degree 2, one box; ops of "
            "jax.jit(fn).lower(x0, lo, hi).as_text())",
            "",
            size_table(result["speed"]),
            "",
            f"## Speed: jax.jit(fn) per call and jax.jit(jax.vmap(fn)) over B boxes ({timing}; "
            "speed ratio = reference time / our time, > 1: ours faster)",
            "",
            speed_table(result["speed"], s["sizes"]),
        ]
    if "mm" in result:
        mm = s["mm"]
        parts += [
            "",
            f"## MM: one degree-2 bound of h(eta) = loss(w + eta v) on [0, {mm['eta_max']}] / "
            f"one jax.jit(jax.value_and_grad(loss)); MSE loss, {mm['activation']} MLP with "
            f"{mm['hidden']} hidden units, {mm['points']} points ({timing})",
            "",
            mm_table(result["mm"]),
        ]
    if "tightness" in result:
        parts += [
            "",
            "## Tightness: W ours / W reference (< 1: ours tighter)",
            "",
            tightness_table(result["tightness"]),
            "",
            f"## Soundness: points where exact f is outside the bounds "
            f"({s['points']} points per case and degree)",
            "",
            soundness_table(result["tightness"]),
        ]
    if "breadth" in result:
        parts += [
            "",
            "## Breadth: bounds at degree 2 that contain f at 50 sampled points",
            "",
            breadth_table(result["breadth"]),
        ]
    parts += ["", f"elapsed: {result['elapsed_s']:.0f} s"]
    return "\n".join(parts)


def _json_default(o):
    if isinstance(o, np.ndarray | np.generic):
        return np.asarray(o).tolist()
    return str(o)


if __name__ == "__main__":
    sys.exit(main())
