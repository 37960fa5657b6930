"""StableHLO op counts of our degree-2 bound of every engine benchmark case, ours (nearest,
outward) beside the reference's, without timing anything (about a minute).

    .venv/bin/python benchmarks/op_counts.py            # ours and the reference
    .venv/bin/python benchmarks/op_counts.py --ref-python ''   # ours only

Counted as in ``bench_engine.py``: lines of ``jax.jit(fn).lower(x0, lo, hi).as_text()`` that
assign a ``stablehlo.`` op, constants included, each private function once."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import bench_engine as be  # noqa: E402
from _measure import op_counts  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ref-python", default=be.DEFAULT_REF_PYTHON)
    ap.add_argument("--degree", type=int, default=2)
    args = ap.parse_args(argv)
    jax, ab = be._ours()
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=be.HERE
    ).stdout.strip()
    print(f"# op_counts.py, degree {args.degree}, ours @ {commit}, jax {jax.__version__}")
    ref = be.Reference(args.ref_python) if args.ref_python else None
    rows = []
    for case in be.CASES:
        f = be.ours_function(case)
        x0, lo, hi = case.arrays()
        row = [case.name]
        for rounding in ("nearest", "outward"):
            enc = ab.enclose(f, degree=args.degree, rounding=rounding)
            row.append(op_counts(enc, x0, lo, hi)["ops"])
        r = ref.ask("ops", case=case.spec(), degree=args.degree) if ref else {}
        row.append(r["ops"] if "ops" in r else "fails: " + r.get("error", "-").split(":")[0])
        row.append(f"{row[1] / row[3]:.2f}" if "ops" in r else "-")
        rows.append(row)
    print(be.md_table(["case", "nearest", "outward", "reference", "nearest/ref"], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
