"""Time to a first bound in a fresh process: ours against the reference implementation.

Each measurement is its own Python process (nothing imported, nothing compiled, no persistent
compilation cache), run one after another, never two at once:

* **import**: ``import jax`` + ``import autobound`` (ours imports the engine's modules lazily,
  on first use of ``autobound.enclose``);
* **first bound**: building the bound function and its first ``jax.jit`` call on one box,
  degree 2, returning the coefficients (ours: ``enclose(f, 2, rounding=...)``, which imports
  the engine's modules; the reference: ``taylor_bounds(f, 2)``): trace, compile and run;
* **again**: the same for a second function of the same kind in the same process (the engine
  imported, its caches warm), i.e. what each new function costs once a process is running;
* **host**: a third function through each package's host API, ``taylor_bounds(f, 2)(x0, (lo,
  hi)).coefficients`` without ``jax.jit`` (ours compiles one program, with the options of
  ``autobound.compiler_options(rounding, one_box=True)``; the reference runs op by op).

The functions are the engine benchmark's three timed cases (``bench_engine.py``).  Prints a
markdown table of medians over ``--repeat`` processes; ratios are ours / reference (< 1: ours
faster).

```bash
.venv/bin/python benchmarks/first_call.py            # ~2 minutes on 2 cores
```
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

REF_PYTHON = os.environ.get("AUTOBOUND_REF_PYTHON", "/work/refvenv/bin/python")
CASES = ("ref_example", "softplus_sigmoid", "mlp_softplus")


def _functions(jax, jnp, np):
    rng = np.random.default_rng(0)
    w1 = jnp.asarray(rng.normal(size=(12, 4)) / 2)
    b1 = jnp.asarray(rng.normal(size=12) / 2)
    w2 = jnp.asarray(rng.normal(size=12) / 3)
    sp, sg = jax.nn.softplus, jax.nn.sigmoid
    return {  # name -> (f, a second and a third function of the same kind, x0, lo, hi)
        "ref_example": (
            lambda x: 1.5 * jnp.exp(3 * x) - 25 * x**2,
            lambda x: 0.5 * jnp.exp(2 * x) - 3 * x**2,
            lambda x: 2.5 * jnp.exp(x) - 7 * x**2,
            0.5,
            0.0,
            1.0,
        ),
        "softplus_sigmoid": (
            lambda x: sp(2 * x - 1) * sg(x),
            lambda x: sp(x + 1) * sg(3 * x),
            lambda x: sp(3 * x) * sg(x - 1),
            0.25,
            -1.0,
            1.5,
        ),
        "mlp_softplus": (
            lambda x: jnp.dot(w2, sp(jnp.matmul(w1, x) + b1)),
            lambda x: jnp.dot(w2, sp(jnp.matmul(w1, x) - b1)),
            lambda x: jnp.dot(-w2, sp(jnp.matmul(w1, x) + 2 * b1)),
            [0.1, -0.1, 0.2, 0.0],
            [-0.4] * 4,
            [0.6] * 4,
        ),
    }


def worker(impl: str, case: str, rounding: str) -> None:
    """One fresh process: prints ``import_s first_s again_s``."""
    t0 = time.perf_counter()
    import jax
    import jax.numpy as jnp
    import numpy as np

    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_enable_compilation_cache", False)
    if impl == "ours":
        import autobound as ab
    else:
        from autobound.jax import taylor_bounds
    t_import = time.perf_counter() - t0
    f, g, h, *box = _functions(jax, jnp, np)[case]
    x0, lo, hi = (jnp.asarray(np.asarray(v, np.float64)) for v in box)

    def first(fn) -> float:
        t = time.perf_counter()
        if impl == "ours":
            enc = ab.enclose(fn, degree=2, rounding=rounding)
            call = jax.jit(lambda a, b, c: enc(a, b, c).coefficients)
        else:
            call = jax.jit(lambda a, b, c: taylor_bounds(fn, 2)(a, (b, c)).coefficients)
        jax.block_until_ready(call(x0, lo, hi))
        return time.perf_counter() - t

    def host(fn) -> float:
        t = time.perf_counter()
        if impl == "ours":
            out = ab.taylor_bounds(fn, degree=2, rounding=rounding)(x0, (lo, hi)).coefficients
        else:
            out = taylor_bounds(fn, 2)(x0, (lo, hi)).coefficients
        jax.block_until_ready(out)
        return time.perf_counter() - t

    print(f"{t_import:.4f} {first(f):.4f} {first(g):.4f} {host(h):.4f}")


def measure(python: str, impl: str, case: str, rounding: str) -> list[float]:
    out = subprocess.run(
        [python, __file__, "--worker", impl, case, rounding],
        capture_output=True,
        text=True,
        check=True,
    )
    return [float(v) for v in out.stdout.split()]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="fresh processes per measurement")
    ap.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(*args.worker)
        return 0
    impls = [("ours nearest", sys.executable, "ours", "nearest")]
    impls.append(("ours outward", sys.executable, "ours", "outward"))
    has_ref = os.path.exists(REF_PYTHON)
    if has_ref:
        impls.append(("reference", REF_PYTHON, "ref", "nearest"))
    rows = []
    for case in CASES:
        runs: dict[str, list[list[float]]] = {label: [] for label, *_ in impls}
        for _ in range(args.repeat):  # interleaved: each round runs every implementation
            for label, python, impl, rounding in impls:
                runs[label].append(measure(python, impl, case, rounding))
        med = {k: [statistics.median(r[i] for r in v) for i in range(4)] for k, v in runs.items()}
        rows.append((case, med))
    head = (
        "| case | | import s | first bound s | again s | host s "
        "| first / ref | again / ref | host / ref |"
    )
    print(head + "\n|---|---|---|---|---|---|---|---|---|")
    for case, med in rows:
        ref = med.get("reference")
        for label, (imp, first, again, host) in med.items():
            ratios = (
                f"{first / ref[1]:.2f} | {again / ref[2]:.2f} | {host / ref[3]:.2f}"
                if ref and label != "reference"
                else "- | - | -"
            )
            print(
                f"| {case} | {label} | {imp:.2f} | {first:.2f} | {again:.3f} | {host:.3f} "
                f"| {ratios} |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
