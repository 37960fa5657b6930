"""Verified integration against Arb (python-flint's rigorous ``acb.integral``) and mpmath.quad.

Per integral (Johansson's "Numerical integration in arbitrary-precision ball arithmetic" and
the Bailey-Jeyabalan-Li test problems, plus a few with kinks and non-analytic end points),
at the same tolerance ``tol`` (the width of the enclosure; Arb is asked for radius tol/2):

- **ours**: :func:`autobound.apps.integrate.integrate` at each degree of ``--degrees``: status,
  width, pieces, the first call's time (compilation included) and a second call's (the
  compiled program reused), and whether the enclosure contains the reference value (it must);
- **Arb**: ``acb.integral`` at 53 bits: median time of repeated calls, width (2 · radius of
  the real part), or "no finite" where it returns no finite enclosure;
- **mpmath.quad** (15 digits, not rigorous): median time and its actual error.

The reference is a closed form or mpmath.quad at 40 digits split at the integrand's kinks.

    .venv/bin/python benchmarks/integrate.py            # every integral, tol 1e-8, degree 4
    .venv/bin/python benchmarks/integrate.py --quick    # a subset, tol 1e-6
    .venv/bin/python benchmarks/integrate.py --degrees 2 4 6 --names exp-x2 bjl1

Writes ``benchmarks/results/integrate.txt`` (``integrate_quick.txt`` with ``--quick``).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jax

jax.config.update("jax_enable_x64", True)

import flint  # noqa: E402
import mpmath  # noqa: E402
from flint import acb, arb  # noqa: E402

from autobound.apps.integrate import integrate  # noqa: E402

mp = mpmath.mp


@dataclass(frozen=True)
class Case:
    name: str
    expr: str
    box: list[tuple[Any, Any]]
    arb_f: Any  # (x, analytic) -> acb, or None (no Arb integrand: 2-D, or an infinite range)
    mp_f: Any  # mpmath function (of one or two variables)
    reference: Any  # () -> mpf at the current precision
    note: str = ""


def _abs_poly_reference():
    p = [1, 10, 19, -6, -6]
    roots = sorted(r.real for r in mpmath.polyroots(p, extraprec=100) if abs(r.imag) < 1e-30)
    pts = [mpmath.mpf(-1)] + [r for r in roots if -1 < r < 1] + [mpmath.mpf(1)]
    return mpmath.quad(lambda x: abs(mpmath.polyval(p, x)) * mpmath.exp(x), pts)


CASES = [
    Case(
        "sin(x+e^x)",
        "sin(x + exp(x))",
        [(0, 8)],
        lambda x, a: (x + x.exp()).sin(),
        lambda x: mpmath.sin(x + mpmath.exp(x)),
        lambda: mpmath.quad(lambda x: mpmath.sin(x + mpmath.exp(x)), mpmath.linspace(0, 8, 400)),
        "oscillatory (Johansson)",
    ),
    Case(
        "sech",
        "sech(10*(x - 0.2))**2 + sech(100*(x - 0.4))**4 + sech(1000*(x - 0.6))**6",
        [(0, 1)],
        lambda x, a: (
            1 / (10 * (x - 0.2)).cosh() ** 2
            + 1 / (100 * (x - 0.4)).cosh() ** 4
            + 1 / (1000 * (x - 0.6)).cosh() ** 6
        ),
        lambda x: (
            mpmath.sech(10 * (x - 0.2)) ** 2
            + mpmath.sech(100 * (x - 0.4)) ** 4
            + mpmath.sech(1000 * (x - 0.6)) ** 6
        ),
        lambda: mpmath.quad(
            lambda x: (
                mpmath.sech(10 * (x - 0.2)) ** 2
                + mpmath.sech(100 * (x - 0.4)) ** 4
                + mpmath.sech(1000 * (x - 0.6)) ** 6
            ),
            [0, 0.2, 0.39, 0.4, 0.41, 0.59, 0.6, 0.61, 1],
        ),
        "peaks of three widths (Johansson)",
    ),
    Case(
        "exp-x2",
        "exp(-x**2)",
        [(0, 3)],
        lambda x, a: (-(x**2)).exp(),
        lambda x: mpmath.exp(-(x**2)),
        lambda: mpmath.sqrt(mpmath.pi) / 2 * mpmath.erf(3),
        "smooth",
    ),
    Case(
        "runge",
        "1/(1 + 25*x**2)",
        [(-1, 1)],
        lambda x, a: 1 / (1 + 25 * x**2),
        lambda x: 1 / (1 + 25 * x**2),
        lambda: 2 * mpmath.atan(5) / 5,
        "poles near the path",
    ),
    Case(
        "bjl1",
        "x*log(1 + x)",
        [(0, 1)],
        lambda x, a: x * (1 + x).log(analytic=a),
        lambda x: x * mpmath.log(1 + x),
        lambda: mpmath.mpf(1) / 4,
        "BJL 1",
    ),
    Case(
        "bjl2",
        "x**2*atan(x)",
        [(0, 1)],
        lambda x, a: x**2 * x.atan(),
        lambda x: x**2 * mpmath.atan(x),
        lambda: (mpmath.pi - 2 + 2 * mpmath.log(2)) / 12,
        "BJL 2",
    ),
    Case(
        "bjl3",
        "exp(x)*cos(x)",
        [(0, "pi/2")],
        lambda x, a: x.exp() * x.cos(),
        lambda x: mpmath.exp(x) * mpmath.cos(x),
        lambda: (mpmath.exp(mpmath.pi / 2) - 1) / 2,
        "BJL 3 (an end that is not a double)",
    ),
    Case(
        "bjl4",
        "atan(sqrt(2 + x**2))/((1 + x**2)*sqrt(2 + x**2))",
        [(0, 1)],
        lambda x, a: (
            (2 + x**2).sqrt(analytic=a).atan() / ((1 + x**2) * (2 + x**2).sqrt(analytic=a))
        ),
        lambda x: mpmath.atan(mpmath.sqrt(2 + x**2)) / ((1 + x**2) * mpmath.sqrt(2 + x**2)),
        lambda: 5 * mpmath.pi**2 / 96,
        "BJL 4",
    ),
    Case(
        "sqrt",
        "sqrt(x)",
        [(0, 1)],
        lambda x, a: x.sqrt(analytic=a),
        mpmath.sqrt,
        lambda: mpmath.mpf(2) / 3,
        "non-analytic end",
    ),
    Case(
        "abs-poly",
        "abs(x**4 + 10*x**3 + 19*x**2 - 6*x - 6)*exp(x)",
        [(-1, 1)],
        lambda x, a: (x**4 + 10 * x**3 + 19 * x**2 - 6 * x - 6).real_abs(analytic=a) * x.exp(),
        lambda x: abs(x**4 + 10 * x**3 + 19 * x**2 - 6 * x - 6) * mpmath.exp(x),
        _abs_poly_reference,
        "kinks (Johansson)",
    ),
    Case(
        "bjl6",
        "sqrt(1 - x**2)",
        [(0, 1)],
        lambda x, a: (1 - x**2).sqrt(analytic=a),
        lambda x: mpmath.sqrt(1 - x**2),
        lambda: mpmath.pi / 4,
        "BJL 6, non-analytic end",
    ),
    Case(
        "bjl5",
        "sqrt(x)*log(x)",
        [(0, 1)],
        lambda x, a: x.sqrt(analytic=a) * x.log(analytic=a),
        lambda x: mpmath.sqrt(x) * mpmath.log(x),
        lambda: -mpmath.mpf(4) / 9,
        "BJL 5, log end point",
    ),
    Case(
        "bjl8",
        "log(x)**2",
        [(0, 1)],
        lambda x, a: x.log(analytic=a) ** 2,
        lambda x: mpmath.log(x) ** 2,
        lambda: mpmath.mpf(2),
        "BJL 8, unbounded end",
    ),
    Case(
        "x^x",
        "x**x",
        [(0, 1)],
        lambda x, a: x.pow(x, analytic=a),
        lambda x: x**x,
        lambda: mpmath.nsum(lambda n: (-1) ** (n + 1) * n ** (-n), [1, mpmath.inf]),
        "sophomore's dream",
    ),
    Case(
        "bjl7",
        "sqrt(x)/sqrt(1 - x**2)",
        [(0, 1)],
        lambda x, a: x.sqrt(analytic=a) / (1 - x**2).sqrt(analytic=a),
        lambda x: mpmath.sqrt(x) / mpmath.sqrt(1 - x**2),
        lambda: 2 * mpmath.sqrt(mpmath.pi) * mpmath.gamma(0.75) / mpmath.gamma(0.25),
        "BJL 7, unbounded end",
    ),
    Case(
        "bjl9",
        "log(cos(x))",
        [(0, "pi/2")],
        lambda x, a: x.cos().log(analytic=a),
        lambda x: mpmath.log(mpmath.cos(x)),
        lambda: -mpmath.pi * mpmath.log(2) / 2,
        "BJL 9, log end at pi/2",
    ),
    Case(
        "bjl10",
        "sqrt(tan(x))",
        [(0, "pi/2")],
        lambda x, a: x.tan().sqrt(analytic=a),
        lambda x: mpmath.sqrt(mpmath.tan(x)),
        lambda: mpmath.pi * mpmath.sqrt(2) / 2,
        "BJL 10, unbounded end at pi/2",
    ),
    Case(
        "bjl11",
        "1/(1 + x**2)",
        [(0, "inf")],
        None,
        lambda x: 1 / (1 + x**2),
        lambda: mpmath.pi / 2,
        "BJL 11, infinite range",
    ),
    Case(
        "bjl12",
        "exp(-x)/sqrt(x)",
        [(0, "inf")],
        None,
        lambda x: mpmath.exp(-x) / mpmath.sqrt(x),
        lambda: mpmath.sqrt(mpmath.pi),
        "BJL 12, infinite range, unbounded end",
    ),
    Case(
        "bjl13",
        "exp(-x**2/2)",
        [(0, "inf")],
        None,
        lambda x: mpmath.exp(-(x**2) / 2),
        lambda: mpmath.sqrt(mpmath.pi / 2),
        "BJL 13, infinite range",
    ),
    Case(
        "bjl14",
        "exp(-x)*cos(x)",
        [(0, "inf")],
        None,
        lambda x: mpmath.exp(-x) * mpmath.cos(x),
        lambda: mpmath.mpf(1) / 2,
        "BJL 14, infinite range",
    ),
    Case(
        "exp(-xy) 2-D",
        "exp(-x*y)",
        [(0, 1), (0, 2)],
        None,
        lambda x, y: mpmath.exp(-x * y),
        lambda: mpmath.e1(2) + mpmath.euler + mpmath.log(2),
        "2-D",
    ),
]
QUICK = ["sin(x+e^x)", "exp-x2", "bjl1", "sqrt", "abs-poly", "bjl5", "exp(-xy) 2-D"]


def _median_time(fn, min_total=0.2, max_runs=20) -> tuple[float, Any]:
    times, out = [], None
    while len(times) < max_runs and sum(times) < min_total:
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def _arb(case: Case, tol: float) -> tuple[str, str]:
    if case.arb_f is None:
        return "n/a", "n/a"
    a, b = case.box[0]
    ends = [arb.pi() / 2 if v == "pi/2" else arb(v) for v in (a, b)]

    def run():
        try:
            return acb.integral(
                case.arb_f, ends[0], ends[1], abs_tol=arb(tol / 2), rel_tol=arb(tol / 2)
            )
        except Exception as err:  # noqa: BLE001 - Arb's errors are reported, not raised
            return err

    t, r = _median_time(run)
    if isinstance(r, Exception) or not r.real.rad().is_finite() or not r.real.mid().is_finite():
        return f"{t * 1e3:.3f}", "no finite"
    return f"{t * 1e3:.3f}", f"{2 * float(r.real.rad()):.1e}"


def _mpmath(case: Case, ref: Any) -> tuple[str, str]:
    with mpmath.workdps(15):
        ends = {"pi/2": mpmath.pi / 2, "inf": mpmath.inf}
        box = [
            [ends.get(v, v) if isinstance(v, str) else mpmath.mpf(v) for v in side]
            for side in case.box
        ]

        def run():
            try:
                return mpmath.quad(case.mp_f, *box)
            except Exception as err:  # noqa: BLE001
                return err

        t, v = _median_time(run)
    if isinstance(v, Exception):
        return f"{t * 1e3:.2f}", "failed"
    return f"{t * 1e3:.2f}", f"{float(abs(v - ref)):.1e}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a subset at tol 1e-6")
    parser.add_argument("--tol", type=float, default=None)
    parser.add_argument("--degrees", type=int, nargs="+", default=[4])
    parser.add_argument("--names", nargs="+", default=None)
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument("--batch", type=int, default=256, help="pieces per compiled call")
    parser.add_argument(
        "--max-batch",
        type=int,
        default=None,
        help="let the batch grow to this (integrate's max_batch)",
    )
    args = parser.parse_args()
    tol = args.tol or (1e-6 if args.quick else 1e-8)
    names = args.names or (QUICK if args.quick else [c.name for c in CASES])
    cases = [c for c in CASES if c.name in names]

    lines = []
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    lines.append("command: python benchmarks/integrate.py " + " ".join(sys.argv[1:]))
    lines.append(
        f"commit: {commit}; jax {jax.__version__}, python-flint {flint.__version__}, mpmath "
        f"{mpmath.__version__}; {platform.machine()}, machine of 2 cores shared with other jobs"
    )
    lines.append(
        f"tol = {tol:g} (width of the enclosure); times in ms; ours: first call includes "
        "compilation, second call reuses it; ✓ = the enclosure contains the reference"
    )
    head = "| integral | kind | "
    for k in args.degrees:
        head += f"deg {k} status | width | pieces | first ms | second ms | ✓ | "
    head += "Arb ms | Arb width | mpmath ms | mpmath error |"
    lines.append(head)
    lines.append("|" + "---|" * (head.count("|") - 1))
    print("\n".join(lines), flush=True)
    missed = []
    ratios: dict[int, list[float]] = {k: [] for k in args.degrees}  # warm ours / Arb
    for case in cases:
        with mpmath.workdps(40):
            ref = case.reference()
        row = f"| {case.name} | {case.note} | "
        seconds: dict[int, float] = {}
        for k in args.degrees:
            t = time.perf_counter()
            options = dict(
                tol=tol,
                degree=k,
                time_limit=args.time_limit,
                batch=args.batch,
                max_batch=args.max_batch,
            )
            r = integrate(case.expr, case.box, **options)
            first = time.perf_counter() - t
            t = time.perf_counter()
            r2 = integrate(case.expr, case.box, **options)
            second = time.perf_counter() - t
            if r2.status == "certified":
                seconds[k] = second
            with mpmath.workdps(40):
                ok = all(x.lower <= ref <= x.upper for x in (r, r2))
            if not ok:
                missed.append((case.name, k))
            width = f"{r2.upper - r2.lower:.1e}" if r2.status == "certified" else r2.message[:40]
            row += (
                f"{r2.status} | {width} | {r2.pieces} | {first * 1e3:.0f} | {second * 1e3:.1f} | "
                f"{'✓' if ok else '✗'} | "
            )
        arb_t, arb_w = _arb(case, tol)
        if arb_w not in ("n/a", "no finite"):
            for k, warm in seconds.items():
                ratios[k].append(warm * 1e3 / float(arb_t))
        mp_t, mp_e = _mpmath(case, ref)
        row += f"{arb_t} | {arb_w} | {mp_t} | {mp_e} |"
        lines.append(row)
        print(row, flush=True)
    lines.append(
        "enclosures missing the reference: " + (", ".join(map(str, missed)) if missed else "none")
    )
    summary = [lines[-1]] + [  # the target: within 10x Arb's time
        f"degree {k}, warm time over Arb's where both enclose finitely ({len(rs)} integrals): "
        f"median {statistics.median(rs):.0f}x, from {min(rs):.0f}x to {max(rs):.0f}x; "
        f"within 10x: {sum(r <= 10 for r in rs)}"
        for k, rs in ratios.items()
        if rs
    ]
    lines.extend(summary[1:])
    print("\n".join(summary))
    out = (
        Path(__file__).parent
        / "results"
        / ("integrate_quick.txt" if args.quick else "integrate.txt")
    )
    if args.names is None and args.tol is None and args.batch == 256 and not args.max_batch:
        out.write_text("\n".join(lines) + "\n")
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
