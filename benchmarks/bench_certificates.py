"""What certificates cost: the simple prover (engine) and the independent checker (mpmath).

For a fixed set of true claims (bounds, a global minimum, an integral; one and two
variables) prints a Markdown table: leaves in the certificate, boxes the prover bounded, its
time (the first call includes jit compilation, reported separately), the certificate's size,
the checker's time and the boxes it bounded (its own bisections included), and the verdict.

Usage (about a minute)::

    .venv/bin/python benchmarks/bench_certificates.py > benchmarks/results/certificates.txt
"""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
import time
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)

from autobound.apps.prove import certify_integral, certify_minimum, prove  # noqa: E402
from autobound.verify import check_certificate  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

CLAIMS = [
    ("exp(x) - 1 - x >= -1e-9 on [-1, 1]", prove, ("exp(x) - 1 - x", [(-1, 1)], "ge", "-1e-9")),
    ("sin(x) - x + x^3/6 >= -1e-12 on [0, 2]", prove,
     ("sin(x) - x + x**3/6", [(0, 2)], "ge", "-1e-12")),
    ("log(1+x) - x <= 1e-12 on [0, 3]", prove, ("log(1 + x) - x", [(0, 3)], "le", "1e-12")),
    ("softplus(x) - relu(x) > 0 on [-3, 3]", prove, ("softplus(x) - relu(x)", [(-3, 3)], "gt", 0)),
    ("x^2 + y^2 - 2xy cos(0.1) >= -1e-6 on [-1, 1]^2", prove,
     ("x**2 + y**2 - 2*x*y*cos(0.1)", [(-1, 1), (-1, 1)], "ge", "-1e-6")),
    ("sigmoid(x*y) + x^2 - y >= -1.6 on [-2, 2]^2", prove,
     ("sigmoid(x*y) + x**2 - y", [(-2, 2), (-2, 2)], "ge", "-1.6")),
    ("sigmoid(x*y) + x^2 - y >= -1.2 on [-2, 2]^2 (false)", prove,
     ("sigmoid(x*y) + x**2 - y", [(-2, 2), (-2, 2)], "ge", "-1.2")),
    ("min x^4 - 3x^2 + x on [-2, 2], tol 1e-4", certify_minimum,
     ("x**4 - 3*x**2 + x", [(-2, 2)], 1e-4)),
    ("min (x-0.3)^2 + (y+0.2)^2 + 1 on [-1, 1]^2, tol 1e-3", certify_minimum,
     ("(x - 0.3)**2 + (y + 0.2)**2 + 1", [(-1, 1), (-1, 1)], 1e-3)),
    ("integral of exp(-x^2) on [0, 3], tol 1e-5", certify_integral,
     ("exp(-x**2)", [(0, 3)], 1e-5)),
]  # fmt: skip


def _header() -> str:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return (
        f"# {datetime.date.today()}  commit {commit}  python {platform.python_version()}  "
        f"jax {jax.__version__}  {platform.processor() or platform.machine()}  "
        f"{os.cpu_count()} cpus\n"
        "# .venv/bin/python benchmarks/bench_certificates.py"
    )


def main() -> None:
    print(_header())
    print()
    print("| claim | status | leaves | prover boxes | prove s (first call) | size KB "
          "| check s | checker boxes | verdict |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for label, fn, args in CLAIMS:
        start = time.perf_counter()
        fn(*args, max_boxes=20)  # compiles (the engine is cached per function and degree)
        compile_s = time.perf_counter() - start
        start = time.perf_counter()
        proof = fn(*args)
        prove_s = time.perf_counter() - start
        if proof.certificate is None:
            print(
                f"| {label} | {proof.status} | - | {proof.boxes} | {prove_s:.2f} | - | - | - | - |"
            )
            continue
        text = proof.certificate.to_json(indent=None)
        start = time.perf_counter()
        verdict = check_certificate(text)
        check_s = time.perf_counter() - start
        print(
            f"| {label} | {proof.status} | {len(proof.certificate.leaves)} | {proof.boxes} "
            f"| {prove_s:.2f} ({compile_s + prove_s:.1f}) | {len(text) / 1024:.0f} "
            f"| {check_s:.2f} | {verdict.boxes} | {'ok' if verdict.ok else verdict.reason} |"
        )


if __name__ == "__main__":
    main()
