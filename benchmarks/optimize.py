"""Verified global minimization on test functions from the literature, against a plain
natural-interval branch and bound (python-flint's Arb balls) in the same run.

Problems: box-constrained test functions of the Surjanovic-Bingham virtual library (2-6
variables) and univariate problems of Hansen, Jaumard and Lu (1992), with their published
minima.  For each, ``autobound.apps.optimize.minimize`` to an absolute tolerance (default
1e-6) within a time limit; the table gives the status, the boxes bounded, the time (with and
without the first call's compilation: a second run of the same problem reuses the compiled
programs), whether the enclosure holds the published minimum, and the checker's verdict on
the certificate (optional, slow for many leaves).  The plain baseline bisects the box with
the least natural interval lower bound (Arb, 53 bits) until the gap is below the tolerance or
its box budget is spent.

Usage::

    .venv/bin/python benchmarks/optimize.py                 # all problems, tol 1e-6
    .venv/bin/python benchmarks/optimize.py --quick          # a few problems
    .venv/bin/python benchmarks/optimize.py --check --only camel6
"""

from __future__ import annotations

import argparse
import datetime
import heapq
import math
import os
import platform
import time

import jax

jax.config.update("jax_enable_x64", True)

import sympy  # noqa: E402
from mpmath import mp  # noqa: E402

from autobound.apps.optimize import minimize  # noqa: E402
from autobound.verify import check_certificate  # noqa: E402

# name: (expression, box, published minimum)
PROBLEMS: dict[str, tuple[str, list[tuple[float, float]], str]] = {
    "branin": (
        "(y - 5.1/(4*pi**2)*x**2 + 5/pi*x - 6)**2 + 10*(1 - 1/(8*pi))*cos(x) + 10",
        [(-5, 10), (0, 15)],
        "0.397887357729738",
    ),
    "camel6": (
        "4*x**2 - 2.1*x**4 + x**6/3 + x*y - 4*y**2 + 4*y**4",
        [(-3, 3), (-2, 2)],
        "-1.031628453489877",
    ),
    "camel3": ("2*x**2 - 1.05*x**4 + x**6/6 + x*y + y**2", [(-5, 5), (-5, 5)], "0"),
    "rosenbrock2": ("100*(y - x**2)**2 + (1 - x)**2", [(-5, 10), (-5, 10)], "0"),
    "beale": (
        "(1.5 - x + x*y)**2 + (2.25 - x + x*y**2)**2 + (2.625 - x + x*y**3)**2",
        [(-4.5, 4.5), (-4.5, 4.5)],
        "0",
    ),
    "goldstein_price": (
        "(1 + (x + y + 1)**2*(19 - 14*x + 3*x**2 - 14*y + 6*x*y + 3*y**2))"
        "*(30 + (2*x - 3*y)**2*(18 - 32*x + 12*x**2 + 48*y - 36*x*y + 27*y**2))",
        [(-2, 2), (-2, 2)],
        "3",
    ),
    "booth": ("(x + 2*y - 7)**2 + (2*x + y - 5)**2", [(-10, 10), (-10, 10)], "0"),
    "matyas": ("0.26*(x**2 + y**2) - 0.48*x*y", [(-10, 10), (-10, 10)], "0"),
    "levy2": (
        "sin(pi*(1 + (x - 1)/4))**2 + ((x - 1)/4)**2*(1 + 10*sin(pi*(1 + (x - 1)/4) + 1)**2)"
        " + ((y - 1)/4)**2*(1 + sin(2*pi*(1 + (y - 1)/4))**2)",
        [(-10, 10), (-10, 10)],
        "0",
    ),
    "griewank2": (
        "(x**2 + y**2)/4000 - cos(x)*cos(y/sqrt(2)) + 1",
        [(-600, 600), (-600, 600)],
        "0",
    ),
    "rastrigin2": (
        "20 + x**2 - 10*cos(2*pi*x) + y**2 - 10*cos(2*pi*y)",
        [(-5.12, 5.12), (-5.12, 5.12)],
        "0",
    ),
    "ackley2": (
        "-20*exp(-0.2*sqrt(0.5*(x**2 + y**2))) - exp(0.5*(cos(2*pi*x) + cos(2*pi*y))) + E + 20",
        [(-32.768, 32.768), (-32.768, 32.768)],
        "0",
    ),
    "schwefel2": (
        "837.9658 - x*sin(sqrt(abs(x))) - y*sin(sqrt(abs(y)))",  # 418.9829*d, as published
        [(-500, 500), (-500, 500)],
        "0.0000254551325874504",  # f(420.96874...) with that constant (the library says 0)
    ),
    "shubert": (
        "(cos(2*x + 1) + 2*cos(3*x + 2) + 3*cos(4*x + 3) + 4*cos(5*x + 4) + 5*cos(6*x + 5))"
        "*(cos(2*y + 1) + 2*cos(3*y + 2) + 3*cos(4*y + 3) + 4*cos(5*y + 4) + 5*cos(6*y + 5))",
        [(-10, 10), (-10, 10)],
        "-186.7309088310240",
    ),
    "michalewicz2": (
        "-sin(x)*sin(x**2/pi)**20 - sin(y)*sin(2*y**2/pi)**20",
        [(0, "pi"), (0, "pi")],
        "-1.801303410098554",
    ),
    "styblinski_tang2": (
        "(x**4 - 16*x**2 + 5*x + y**4 - 16*y**2 + 5*y)/2",
        [(-5, 5), (-5, 5)],
        "-78.33233140754282",
    ),
    "hartmann3": (
        "-(1.0*exp(-(3*(a - 0.3689)**2 + 10*(b - 0.117)**2 + 30*(c - 0.2673)**2))"
        " + 1.2*exp(-(0.1*(a - 0.4699)**2 + 10*(b - 0.4387)**2 + 35*(c - 0.747)**2))"
        " + 3.0*exp(-(3*(a - 0.1091)**2 + 10*(b - 0.8732)**2 + 30*(c - 0.5547)**2))"
        " + 3.2*exp(-(0.1*(a - 0.03815)**2 + 10*(b - 0.5743)**2 + 35*(c - 0.8828)**2)))",
        [(0, 1)] * 3,
        "-3.86278214782076",
    ),
    "shekel4_5": (
        " - 1/((a - 4)**2 + (b - 4)**2 + (c - 4)**2 + (d - 4)**2 + 0.1)"
        " - 1/((a - 1)**2 + (b - 1)**2 + (c - 1)**2 + (d - 1)**2 + 0.2)"
        " - 1/((a - 8)**2 + (b - 8)**2 + (c - 8)**2 + (d - 8)**2 + 0.2)"
        " - 1/((a - 6)**2 + (b - 6)**2 + (c - 6)**2 + (d - 6)**2 + 0.4)"
        " - 1/((a - 3)**2 + (b - 7)**2 + (c - 3)**2 + (d - 7)**2 + 0.4)",
        [(0, 10)] * 4,
        "-10.15319967905823",
    ),
    # more variables (Surjanovic-Bingham, d = 4-10)
    "rosenbrock4": (
        " + ".join(f"100*(x{i + 1} - x{i}**2)**2 + (x{i} - 1)**2" for i in range(3)),
        [(-5, 10)] * 4,
        "0",
    ),
    "zakharov5": (
        " + ".join(f"x{i}**2" for i in range(5))
        + " + ("
        + " + ".join(f"{(i + 1) / 2}*x{i}" for i in range(5))
        + ")**2 + ("
        + " + ".join(f"{(i + 1) / 2}*x{i}" for i in range(5))
        + ")**4",
        [(-5, 10)] * 5,
        "0",
    ),
    "rastrigin5": (
        "50 + " + " + ".join(f"x{i}**2 - 10*cos(2*pi*x{i})" for i in range(5)),
        [(-5.12, 5.12)] * 5,
        "0",
    ),
    "styblinski_tang5": (
        "(" + " + ".join(f"x{i}**4 - 16*x{i}**2 + 5*x{i}" for i in range(5)) + ")/2",
        [(-5, 5)] * 5,
        "-195.8308285188571",
    ),
    "levy5": (
        "sin(pi*(1 + (x0 - 1)/4))**2"
        + "".join(
            f" + ((x{i} - 1)/4)**2*(1 + 10*sin(pi*(1 + (x{i} - 1)/4) + 1)**2)" for i in range(4)
        )
        + " + ((x4 - 1)/4)**2*(1 + sin(2*pi*(1 + (x4 - 1)/4))**2)",
        [(-10, 10)] * 5,
        "0",
    ),
    "hartmann6": (
        "-("
        + " + ".join(
            f"{a}*exp(-(" + " + ".join(f"{A[j]}*(x{j} - {P[j]})**2" for j in range(6)) + "))"
            for a, A, P in (
                (1.0, (10, 3, 17, 3.5, 1.7, 8), (0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886)),
                (1.2, (0.05, 10, 17, 0.1, 8, 14), (0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991)),
                (3.0, (3, 3.5, 1.7, 10, 17, 8), (0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650)),
                (3.2, (17, 8, 0.05, 10, 0.1, 14), (0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381)),
            )
        )
        + ")",
        [(0, 1)] * 6,
        "-3.32236801141551",
    ),
    "rastrigin10": (
        "100 + " + " + ".join(f"x{i}**2 - 10*cos(2*pi*x{i})" for i in range(10)),
        [(-5.12, 5.12)] * 10,
        "0",
    ),
    "dixon_price10": (
        "(x0 - 1)**2 + " + " + ".join(f"{i + 1}*(2*x{i}**2 - x{i - 1})**2" for i in range(1, 10)),
        [(-10, 10)] * 10,
        "0",
    ),
    "trid10": (
        " + ".join(f"(x{i} - 1)**2" for i in range(10))
        + " - ("
        + " + ".join(f"x{i}*x{i - 1}" for i in range(1, 10))
        + ")",
        [(-100, 100)] * 10,
        "-210",
    ),
    "styblinski_tang10": (
        "(" + " + ".join(f"x{i}**4 - 16*x{i}**2 + 5*x{i}" for i in range(10)) + ")/2",
        [(-5, 5)] * 10,
        "-391.6616570377142",
    ),
    # more of the library (non-smooth, needle-shaped, plateaus; minima refined in mpmath)
    "bukin6": (
        "100*sqrt(abs(y - 0.01*x**2)) + 0.01*abs(x + 10)",
        [(-15, -5), (-3, 3)],
        "0",
    ),
    "eggholder": (
        "-(y + 47)*sin(sqrt(abs(y + x/2 + 47))) - x*sin(sqrt(abs(x - (y + 47))))",
        [(-512, 512), (-512, 512)],
        "-959.6406627208508",
    ),
    "cross_in_tray": (
        "-0.0001*(abs(sin(x)*sin(y)*exp(abs(100 - sqrt(x**2 + y**2)/pi))) + 1)**0.1",
        [(-10, 10), (-10, 10)],
        "-2.062611870822738",
    ),
    "drop_wave": (
        "-(1 + cos(12*sqrt(x**2 + y**2)))/(0.5*(x**2 + y**2) + 2)",
        [(-5.12, 5.12), (-5.12, 5.12)],
        "-1",
    ),
    "holder_table": (
        "-abs(sin(x)*cos(y)*exp(abs(1 - sqrt(x**2 + y**2)/pi)))",
        [(-10, 10), (-10, 10)],
        "-19.20850256788673",
    ),
    "schaffer2": (
        "0.5 + (sin(x**2 - y**2)**2 - 0.5)/(1 + 0.001*(x**2 + y**2))**2",
        [(-100, 100), (-100, 100)],
        "0",
    ),
    "easom": ("-cos(x)*cos(y)*exp(-(x - pi)**2 - (y - pi)**2)", [(-100, 100), (-100, 100)], "-1"),
    "mccormick": (
        "sin(x + y) + (x - y)**2 - 1.5*x + 2.5*y + 1",
        [(-1.5, 4), (-3, 4)],
        "-1.913222954981036",
    ),
    "colville": (
        "100*(a**2 - b)**2 + (a - 1)**2 + (c - 1)**2 + 90*(c**2 - d)**2"
        " + 10.1*((b - 1)**2 + (d - 1)**2) + 19.8*(b - 1)*(d - 1)",
        [(-10, 10)] * 4,
        "0",
    ),
    "powell4": (
        "(a + 10*b)**2 + 5*(c - d)**2 + (b - 2*c)**4 + 10*(a - d)**4",
        [(-4, 5)] * 4,
        "0",
    ),
    "perm4": (
        " + ".join(
            "("
            + " + ".join(f"({j} + 10)*(x{j - 1}**{i} - 1/{j}**{i})" for j in range(1, 5))
            + ")**2"
            for i in range(1, 5)
        ),
        [(-4, 4)] * 4,
        "0",
    ),
    "sum_squares8": (" + ".join(f"{i + 1}*x{i}**2" for i in range(8)), [(-10, 10)] * 8, "0"),
    "griewank8": (
        " + ".join(f"x{i}**2/4000" for i in range(8))
        + " - "
        + "*".join(f"cos(x{i}/sqrt({i + 1}))" for i in range(8))
        + " + 1",
        [(-600, 600)] * 8,
        "0",
    ),
    "ackley5": (
        "-20*exp(-0.2*sqrt(("
        + " + ".join(f"x{i}**2" for i in range(5))
        + ")/5)) - exp(("
        + " + ".join(f"cos(2*pi*x{i})" for i in range(5))
        + ")/5) + 20 + E",
        [(-32.768, 32.768)] * 5,
        "0",
    ),
    "hansen_p2": ("sin(x) + sin(10*x/3)", [(2.7, 7.5)], "-1.899599349152113"),
    "hansen_p3": (
        "-(sin(2*x + 1) + 2*sin(3*x + 2) + 3*sin(4*x + 3) + 4*sin(5*x + 4) + 5*sin(6*x + 5))",
        [(-10, 10)],
        "-12.03124944216714",
    ),
    "hansen_p4": ("-(16*x**2 - 24*x + 5)*exp(-x)", [(1.9, 3.9)], "-3.850450708800220"),
    "hansen_p6": ("-(x + sin(x))*exp(-x**2)", [(-10, 10)], "-0.8242393984760767"),
    "hansen_p10": ("-x*sin(x)", [(0, 10)], "-7.916727371587256"),
    "hansen_p13": ("-x**(2/3) - (1 - x**2)**(1/3)", [(0.001, 0.99)], "-1.587401051968199"),
    "hansen_p15": ("(x**2 - 5*x + 6)/(x**2 + 1)", [(-5, 5)], "-0.03553390593273762"),
    "hansen_p20": ("-(x - sin(x))*exp(-x**2)", [(-10, 10)], "-0.06349052893785179"),
}
QUICK = ["camel6", "branin", "hansen_p2", "hartmann3"]


def plain_interval_bnb(expr: str, box, tol: float, max_boxes: int, seconds: float):
    """Natural interval extension in Arb, best-first bisection: (lower, upper, boxes, s)."""
    import flint

    syms = sorted(sympy.sympify(expr).free_symbols, key=lambda s: s.name)

    def arb(name):
        return lambda v: getattr(v if isinstance(v, flint.arb) else flint.arb(v), name)()

    functions = {k: arb(k) for k in ("sin", "cos", "exp", "sqrt", "log")}
    functions.update(Abs=abs, pi=flint.arb.pi(), E=flint.arb(1).exp())
    f = sympy.lambdify(syms, sympy.sympify(expr), modules=[functions])
    ends = [(float(sympy.sympify(a)), float(sympy.sympify(b))) for a, b in box]

    def ball(a, b):
        return flint.arb((flint.arb(a) + flint.arb(b)) / 2, (b - a) / 2)

    def low(bx):
        v = f(*[ball(a, b) for a, b in bx])
        return float(v.lower()) if v.is_finite() else -math.inf

    def point(bx):
        v = f(*[flint.arb((a + b) / 2) for a, b in bx])
        return float(v.upper()) if v.is_finite() else math.inf

    start = time.perf_counter()
    best, boxes = point(ends), 1
    heap = [(low(ends), 0, ends)]
    tie = 0
    while heap and boxes < max_boxes and time.perf_counter() - start < seconds:
        lb, _, bx = heapq.heappop(heap)
        if best - lb <= tol:
            heapq.heappush(heap, (lb, tie, bx))
            break
        j = max(range(len(bx)), key=lambda k: bx[k][1] - bx[k][0])
        a, b = bx[j]
        for half in ((a, (a + b) / 2), ((a + b) / 2, b)):
            child = [*bx[:j], half, *bx[j + 1 :]]
            boxes += 1
            best = min(best, point(child))
            tie += 1
            heapq.heappush(heap, (low(child), tie, child))
    lower = heap[0][0] if heap else best
    return lower, best, boxes, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tol", type=float, default=1e-6)
    parser.add_argument("--time-limit", type=float, default=20.0)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--check", action="store_true", help="run the certificate checker")
    parser.add_argument("--baseline-boxes", type=int, default=100_000)
    args = parser.parse_args()
    names = args.only or (QUICK if args.quick else list(PROBLEMS))
    print(f"# verified global minimization, tol {args.tol:g}, time limit {args.time_limit:g} s")
    print(f"# {datetime.date.today()}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, jax {jax.__version__}")  # fmt: skip
    print()
    print("| problem | n | status | lower | upper | published in | boxes | s (1st run) | s (2nd) "
          "| check | plain IA: boxes | plain IA: gap | plain IA: s |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    certified = 0
    for name in names:
        expr, box, published = PROBLEMS[name]
        mp.dps = 30
        t0 = time.perf_counter()
        try:
            r = minimize(
                expr, box, tol=args.tol, time_limit=args.time_limit, certificate=args.check
            )
        except Exception as err:  # noqa: BLE001 - a benchmark reports every failure
            print(f"| {name} | {len(box)} | error: {type(err).__name__}: {str(err)[:60]} |"
                  + " |" * 10)  # fmt: skip
            continue
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        minimize(expr, box, tol=args.tol, time_limit=args.time_limit, certificate=False)
        second = time.perf_counter() - t0
        holds = (
            r.lower <= mp.mpf(published) + mp.mpf("1e-12")
            and mp.mpf(published) - mp.mpf("1e-12") <= r.upper
        )
        verdict = "-"
        if args.check and r.certificate is not None:
            verdict = "ok" if check_certificate(r.certificate.to_json()).ok else "REJECTED"
        certified += r.status == "certified"
        lb, ub, boxes, secs = plain_interval_bnb(
            expr, box, args.tol, args.baseline_boxes, args.time_limit
        )
        print(f"| {name} | {len(box)} | {r.status} | {r.lower:.12g} | {r.upper:.12g} | "
              f"{'yes' if holds else 'NO'} | {r.boxes} | {first:.2f} | {second:.2f} | {verdict} "
              f"| {boxes} | {ub - lb:.2g} | {secs:.2f} |")  # fmt: skip
    print()
    print(f"certified: {certified} of {len(names)}")


if __name__ == "__main__":
    main()
