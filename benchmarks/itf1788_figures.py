"""How tight outward interval arithmetic is on the ITF1788 (IEEE 1788) test vectors.

Runs the cases of ``tests/data/itf1788.py`` through the code path of
``tests/engine/test_interval_itf1788.py`` (its ``TAKEN`` cases and ``results()``: one call per
op and parameter on arrays, eagerly and under ``jax.jit``) and prints a Markdown table, per op:

- ``ITF1788``: cases in the data; ``run``: those the test takes (finite non-empty inputs,
  ``pown`` with n >= 0, ...; the test's docstring says what it leaves out and why);
- ``contained``: results containing the tightest binary64 result (must be all);
- ``tightest``: results equal to it at both ends (-0.0 and 0.0 count as equal);
- ``fallback``: results that are the engine's give-up answer, not a rounding of the range
  (see :func:`is_fallback`: a divisor containing 0, tan near a pole, overflow, log of a
  subnormal); left out of the next two columns;
- ``max ulps``: the largest outward excess of an end whose tightest value is normal or
  infinite, in binary64 ulps: the number of ``numpy.nextafter`` steps from the tightest end
  out to ours, i.e. the difference of the doubles' integer representations, which orders
  +-inf one step beyond +-MAX (so an infinite tightest end, contained only by the same
  infinity, adds 0, and an outward step from MAX to inf is 1 ulp);
- ``max near 0 (tiny)``: the same for ends whose tightest value is 0 or subnormal, in units of
  the smallest normal number ``tiny``: XLA flushes subnormals to zero, so outward steps there
  move by ``tiny`` (2**52 ulps of the subnormal range);
- ``jit``: under ``jax.jit``, results containing the tightest one / results that differ from
  the eager ones (the other columns are for the eager run, the one the test's width check uses).

Usage (a few seconds)::

    .venv/bin/python benchmarks/itf1788_figures.py > benchmarks/results/itf1788.txt
"""

from __future__ import annotations

import datetime
import math
import os
import platform
import subprocess
import sys
from collections import Counter
from pathlib import Path

import jax
import numpy as np

jax.config.update("jax_enable_x64", True)  # before the test module builds its Arith

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autobound.rules.kernels import KERNELS  # noqa: E402
from tests.data.itf1788 import CASES  # noqa: E402
from tests.engine.test_interval_itf1788 import TAKEN, TINY, _ordinal, results  # noqa: E402

Pair = tuple[float, float]
MAX = float(np.finfo(np.float64).max)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    git = ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]
    commit = subprocess.run(git, capture_output=True, text=True).stdout.strip()
    return (
        f"machine: {cpu} ({platform.machine()}), {os.cpu_count()} cores; python "
        f"{platform.python_version()}, jax {jax.__version__} ({jax.default_backend()}), numpy "
        f"{np.__version__}; autobound @ {commit} (working tree)"
    )


def is_fallback(op: str, ours: Pair, want: Pair) -> bool:
    """Whether `ours` is the engine's give-up answer rather than a rounding of the range: an
    infinite end where the tightest end is finite, except +inf for MAX and -inf for -MAX (an
    outward step from MAX overflows to inf, the float after it: one ulp, not a fallback); or the
    function's whole range where that is not the tightest result."""
    lost_end = any(
        math.isinf(o) and not math.isinf(w) and w != math.copysign(MAX, o)
        for o, w in zip(ours, want, strict=True)
    )
    whole_range = op in KERNELS and ours == KERNELS[op].clamp and ours != tuple(want)
    return lost_end or whole_range


def excess(ours: Pair, want: Pair) -> tuple[int, float]:
    """(ulps, tinies): the largest outward excess of an end of `ours` over `want`, in ulps for
    ends whose tightest value is normal or infinite, in units of ``tiny`` for 0 or subnormal."""
    ulps, tinies = 0, 0.0
    for o, w, out in ((ours[0], want[0], -1), (ours[1], want[1], 1)):
        if abs(w) < TINY:
            tinies = max(tinies, out * (o - w) / TINY)
        else:
            ulps = max(ulps, out * (_ordinal(o) - _ordinal(w)))
    return ulps, tinies


def table() -> list[list[str]]:
    eager, jitted = results("eager"), results("jit")
    rows: dict[str, Counter] = {}
    for op in dict.fromkeys(c["op"] for c in CASES):  # in the data's order
        rows[op] = Counter(cases=sum(c["op"] == op for c in CASES))
    for c, ours, ours_jit in zip(TAKEN, eager, jitted, strict=True):
        want, r = c["expected"], rows[c["op"]]
        r["run"] += 1
        r["contained"] += ours[0] <= want[0] and want[1] <= ours[1]
        r["jit contained"] += ours_jit[0] <= want[0] and want[1] <= ours_jit[1]
        r["jit differs"] += ours_jit != ours
        r["tightest"] += all(_ordinal(o) == _ordinal(w) for o, w in zip(ours, want, strict=True))
        if is_fallback(c["op"], ours, want):
            r["fallback"] += 1
            continue
        ulps, tinies = excess(ours, want)
        r["ulps"] = max(r["ulps"], ulps)
        r["tinies"] = max(r["tinies"], tinies)
    total = Counter()
    for r in rows.values():
        for k, v in r.items():
            total[k] = max(total[k], v) if k in ("ulps", "tinies") else total[k] + v
    rows["total"] = total
    return [
        [op, *(str(r[k]) for k in ("cases", "run", "contained", "tightest", "fallback", "ulps")),
         f"{r['tinies']:g}", f"{r['jit contained']} / {r['jit differs']}"]
        for op, r in rows.items()
    ]  # fmt: skip


def markdown(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(x) for x in col) for col in zip(header, *rows, strict=True)]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(x.ljust(w) for x, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule, *map(line, rows)])


def main() -> int:
    date = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    print(f"# {' '.join([os.path.relpath(sys.executable), *sys.argv])}   ({date})")
    print(machine())
    print()
    header = ["op", "ITF1788", "run", "contained", "tightest", "fallback", "max ulps",
              "max near 0 (tiny)", "jit: contained / differs"]  # fmt: skip
    print(markdown(header, table()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
