"""One fused program against node-by-node evaluation (``Enclose.batch``) for a batch of boxes.

For each function (degree 2, outward rounding, trust regions, B boxes): the first call
(trace + compile + run) and the warm time per batch of

- **fused**: ``jax.jit(jax.vmap(enc), compiler_options=ab.compiler_options("outward"))``,
  one XLA program for the whole graph (how the applications ran before);
- **staged**: ``enc.batch(x0, lo, hi)``, one small program per composing node and per run of
  cheap nodes between two of them (``autobound/staged.py``), shared between functions.

Each (function, mode) runs in a fresh process (no compiled program is shared across rows,
and no persistent compilation cache is used), so "first call" is what a new user pays.  The
"after" column is the staged first call in a process that has already bounded every other
function of the table: what a session of several problems pays for a new one.

Usage::

    .venv/bin/python benchmarks/bench_staged.py            # B = 256
    .venv/bin/python benchmarks/bench_staged.py --batch 1024
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time

FUNCTIONS = {
    "shubert 2-D": "(cos(2*x + 1) + 2*cos(3*x + 2) + 3*cos(4*x + 3) + 4*cos(5*x + 4)"
    " + 5*cos(6*x + 5))*(cos(2*y + 1) + 2*cos(3*y + 2) + 3*cos(4*y + 3) + 4*cos(5*y + 4)"
    " + 5*cos(6*y + 5))",
    "shekel 4-D": " - ".join(
        f"1/((a - {p})**2 + (b - {q})**2 + (c - {p})**2 + (d - {q})**2 + {c})"
        for p, q, c in ((4, 4, 0.1), (1, 1, 0.2), (8, 8, 0.2), (6, 6, 0.4), (3, 7, 0.4))
    ),
    "michalewicz 2-D": "-sin(x)*sin(x**2/pi)**20 - sin(y)*sin(2*y**2/pi)**20",
    "hartmann-3 3-D": "-(exp(-(3*(a - 0.3689)**2 + 10*(b - 0.117)**2 + 30*(c - 0.2673)**2))"
    " + 1.2*exp(-(0.1*(a - 0.4699)**2 + 10*(b - 0.4387)**2 + 35*(c - 0.747)**2))"
    " + 3*exp(-(3*(a - 0.1091)**2 + 10*(b - 0.8732)**2 + 30*(c - 0.5547)**2))"
    " + 3.2*exp(-(0.1*(a - 0.03815)**2 + 10*(b - 0.5743)**2 + 35*(c - 0.8828)**2)))",
    "hansen p3 1-D": "-(sin(2*x + 1) + 2*sin(3*x + 2) + 3*sin(4*x + 3) + 4*sin(5*x + 4)"
    " + 5*sin(6*x + 5))",
    "readme 1-D": "exp(x)*sin(3*x) + x**2",
}

_WORKER = r"""
import json, sys, time
import jax, jax.numpy as jnp, numpy as np
jax.config.update("jax_enable_x64", True)
import autobound as ab

mode, batch, names, target = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4]

def boxes(enc):
    n = len(enc.variables)
    rng = np.random.default_rng(0)
    shape = (batch,) if n == 1 else (batch, n)
    lo = rng.uniform(0.0, 0.9, shape)
    hi = lo + rng.uniform(0.01, 0.1, shape)
    return jnp.asarray((lo + hi) / 2), jnp.asarray(lo), jnp.asarray(hi)

def measure(f):
    enc = ab.enclose(f, 2, rounding="outward")
    args = boxes(enc)
    if mode == "fused":
        run = jax.jit(jax.vmap(enc), compiler_options=ab.compiler_options("outward"))
        call = lambda: run(*args)
    else:
        call = lambda: enc.batch(*args)
    t = time.perf_counter(); jax.block_until_ready(call()); first = time.perf_counter() - t
    reps, t = 0, time.perf_counter()
    while reps < 5 or time.perf_counter() - t < 1.0:
        jax.block_until_ready(call()); reps += 1
    return first, (time.perf_counter() - t) / reps

for name in names:
    if name != target:
        measure(names[name])
print(json.dumps(measure(names[target])))
"""


def _run(mode: str, batch: int, functions: dict, target: str) -> tuple[float, float]:
    out = subprocess.run(
        [sys.executable, "-c", _WORKER, mode, str(batch), json.dumps(functions), target],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "JAX_COMPILATION_CACHE_DIR": ""},
    )
    return tuple(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--only", nargs="*")
    args = parser.parse_args()
    names = args.only or list(FUNCTIONS)
    print(f"# fused program vs enc.batch, degree 2, outward, B = {args.batch}")
    print(f"# {time.strftime('%Y-%m-%d')}, {platform.machine()}, {os.cpu_count()} cores")
    print()
    print(
        "| function | fused: first s | fused: ms/batch | staged: first s | staged: ms/batch "
        "| staged: first s after the others | first-call ratio | batch ratio |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name in names:
        fused = _run("fused", args.batch, {name: FUNCTIONS[name]}, name)
        staged = _run("staged", args.batch, {name: FUNCTIONS[name]}, name)
        after = _run("staged", args.batch, FUNCTIONS, name)
        print(
            f"| {name} | {fused[0]:.1f} | {fused[1] * 1e3:.2f} | {staged[0]:.1f} | "
            f"{staged[1] * 1e3:.2f} | {after[0]:.1f} | {staged[0] / fused[0]:.2f} | "
            f"{staged[1] / fused[1]:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
