"""The inequality prover on classic inequalities of the kind MetiTarski's benchmark holds (box
hypotheses, one or two variables, elementary functions), tight and not, each with a false
variant; every proof is re-checked by the independent checker.

A problem is *tight* when ``f - c`` reaches 0 on the box (usually at an end or an excluded
point).  The false variants move the bound past the true extremum (or flip the claim), so
each must come back ``disproved`` with a counterexample.  The table gives the status, the
time (the first call includes compilation), the boxes, the certificate's version and the
checker's verdict, then counts per class.

Usage::

    .venv/bin/python benchmarks/prove.py              # all problems (minutes: compilation)
    .venv/bin/python benchmarks/prove.py --quick
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import time

import jax

jax.config.update("jax_enable_x64", True)

from autobound.apps.prove import prove  # noqa: E402
from autobound.verify import check_certificate  # noqa: E402

# name: (f, box, claim, c, options, tight)
TRUE = {
    "exp_ge_1_plus_x": ("exp(x) - 1 - x", [(-1, 1)], "ge", 0, {}, True),
    "exp_taylor3": ("exp(x) - 1 - x - x**2/2 - x**3/6", [(0, 2)], "ge", 0, {}, True),
    "exp_neg": ("exp(-x) - 1 + x", [(0, 5)], "ge", 0, {}, True),
    "x_minus_sin": ("x - sin(x)", [(0, 1)], "gt", 0, {"open_ends": [(True, False)]}, True),
    "sin_taylor3": ("sin(x) - x + x**3/6", [(0, 2)], "ge", 0, {}, True),
    "cos_taylor2": ("cos(x) - 1 + x**2/2", [(-3, 3)], "ge", 0, {}, True),
    "cos_taylor4": ("1 - x**2/2 + x**4/24 - cos(x)", [(-2, 2)], "ge", 0, {}, True),
    "log1p_le_x": ("x - log(1 + x)", [(0, 3)], "ge", 0, {}, True),
    "log1p_ge": ("log(1 + x) - x/(1 + x)", [(0, 3)], "ge", 0, {}, True),
    "log_le_x_minus_1": ("x - 1 - log(x)", [("1/10", 5)], "ge", 0, {}, True),
    "sqrt_le": ("1 + x/2 - sqrt(1 + x)", [(0, 3)], "ge", 0, {}, True),
    "tan_gt_x": ("tan(x) - x", [(0, "3/2")], "gt", 0, {"open_ends": [(True, False)]}, True),
    "atan_lt_x": ("x - atan(x)", [(0, 10)], "gt", 0, {"open_ends": [(True, False)]}, True),
    "atan_ge": ("atan(x) - x/(1 + x**2)", [(0, 3)], "ge", 0, {}, True),
    "sinh_ge_x": ("sinh(x) - x", [(0, 4)], "ge", 0, {}, True),
    "cosh_ge": ("cosh(x) - 1 - x**2/2", [(-3, 3)], "ge", 0, {}, True),
    "tanh_le_x": ("x - tanh(x)", [(0, 4)], "ge", 0, {}, True),
    "abs_exp": (
        "7*abs(x)/4 - abs(exp(x) - 1)",
        [(-1, 1)],
        "gt",
        0,
        {"exclude": [{"x": 0}], "open_ends": [(True, True)]},
        True,
    ),  # fmt: skip
    "jordan": ("sin(x) - 2*x/pi", [(0, "pi/2")], "ge", 0, {}, True),
    "two_var_exp": ("exp(x + y) - 1 - x - y", [(-1, 1), (-1, 1)], "ge", 0, {}, True),
    "exp_gt_sq": ("exp(x) - x**2", [(0, 3)], "gt", 0, {}, False),
    "sin_cos": ("sin(x) + cos(x)", [(0, 1)], "ge", 1, {}, True),
    "log_sqrt": ("sqrt(x) - log(x)", [("1/2", 10)], "gt", 0, {}, False),
    "sigmoid": ("sigmoid(x) - 1/2 - x/5", [(0, 1)], "ge", 0, {}, True),
    "exp_sin": ("exp(sin(x)) - 1 - sin(x)", [(-2, 2)], "ge", 0, {}, True),
    "two_var_poly": (
        "x**2 + y**2 - 2*x*y*cos(1/10)",
        [(-1, 1), (-1, 1)],
        "ge",
        "-1/1000",
        {},
        False,
    ),  # fmt: skip
}
QUICK = ["exp_ge_1_plus_x", "x_minus_sin", "log1p_le_x", "exp_gt_sq"]


def false_variant(problem):
    """The claim made false: a bound 1/10 past the extremum for ge/le claims."""
    f, box, claim, c, options, tight = problem
    from fractions import Fraction

    value = Fraction(str(c)) if not isinstance(c, str) else Fraction(c)
    moved = value + Fraction(1, 10) if claim in ("ge", "gt") else value - Fraction(1, 10)
    if not tight:  # a non-tight claim: its minimum is well above c; flip the claim instead
        claim = {"ge": "lt", "gt": "le", "le": "gt", "lt": "ge"}[claim]
        moved = value
    return f, box, claim, str(moved), options, tight


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--time-limit", type=float, default=20.0)
    parser.add_argument("--only", nargs="*", help="these problems only")
    args = parser.parse_args()
    names = args.only or (QUICK if args.quick else list(TRUE))
    print(f"# inequality prover, time limit {args.time_limit:g} s per problem")
    print(f"# {datetime.date.today()}, {platform.machine()}, {os.cpu_count()} cores, "
          f"jax {jax.__version__}")  # fmt: skip
    print()
    print("| problem | tight | claim | status | s | boxes | certificate | checker |")
    print("|---|---|---|---|---|---|---|---|")
    counts: dict[tuple[str, bool], list[int]] = {}
    for name in names:
        for truth, problem in (("true", TRUE[name]), ("false", false_variant(TRUE[name]))):
            f, box, claim, c, options, tight = problem
            t0 = time.perf_counter()
            try:
                p = prove(f, box, claim, c, time_limit=args.time_limit, **options)
                status, boxes = p.status, p.boxes
            except Exception as err:  # noqa: BLE001 - a benchmark reports every failure
                status, boxes, p = f"error: {type(err).__name__}", 0, None
            seconds = time.perf_counter() - t0
            verdict, version = "-", "-"
            if p is not None and p.certificate is not None:
                version = f"v{p.certificate.version}"
                verdict = "ok" if check_certificate(p.certificate.to_json()).ok else "REJECTED"
            good = (status == "proved" and verdict == "ok") if truth == "true" else (
                status == "disproved"
            )  # fmt: skip
            key = (truth, tight)
            counts.setdefault(key, [0, 0])
            counts[key][0] += good
            counts[key][1] += 1
            print(f"| {name} ({truth}) | {'yes' if tight else 'no'} | {claim} {c} | {status} | "
                  f"{seconds:.1f} | {boxes} | {version} | {verdict} |")  # fmt: skip
    print()
    for (truth, tight), (good, total) in sorted(counts.items()):
        what = "proved and checked" if truth == "true" else "disproved"
        print(f"{truth} claims, {'tight' if tight else 'not tight'}: {good} of {total} {what}")


if __name__ == "__main__":
    main()
