"""Never crash, never hang, never be fooled: hostile and extreme input across the Python API
and the command line.

Every input here gets a named :class:`~autobound.errors.AutoBoundError` (exit code 2 on the
command line, never 70, "this is a bug") or a sound result, within the time stated by its
``timeout`` mark (pytest-timeout fails a test that runs past it instead of hanging the
suite).  Most are refused before anything is compiled, which keeps the file fast; the few
that compute something compile small programs and check the result against exact
arithmetic.  Text that comes from input reaches the terminal inert: control characters
escaped.
"""

from __future__ import annotations

import json
import math
import time
from fractions import Fraction

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from typer.testing import CliRunner

import autobound as ab
from autobound.apps.cli import ExitCode, app
from autobound.apps.cli._common import inert
from autobound.errors import InvalidFunction, ResourceLimit

runner = CliRunner()

ESC = "\x1b"

# -- the Python API: refused up front, each with its class and the words that name it ----


def _nested_sines(n: int):
    def f(x):
        for _ in range(n):
            x = jnp.sin(x)
        return x

    return f


_HUGE_SUM = " + ".join(f"{i}*x^{i % 5}" for i in range(5000))  # 53,887 characters

API_REFUSALS = {
    # exact constants that no float64 holds or that take minutes to compute
    "1e400*x": (lambda: ab.taylor_bounds("1e400*x"), ResourceLimit, "beyond float64"),
    "-1e400 + x": (lambda: ab.taylor_bounds("-1e400 + x"), ResourceLimit, "beyond float64"),
    "x + 2^2^2^2^2": (lambda: ab.taylor_bounds("x + 2^2^2^2^2"), ResourceLimit, "4096 bits"),
    "x + 9^9^9": (lambda: ab.taylor_bounds("x + 9^9^9"), ResourceLimit, "digits"),
    "(1 + 1/10^9)^(10^9)": (
        lambda: ab.taylor_bounds("(1 + 1/10^9)^(10^9)*x"),
        ResourceLimit,
        "exact constant",
    ),
    "0.5^5000*x": (lambda: ab.taylor_bounds("0.5^5000*x"), ResourceLimit, "exact constant"),
    # short literals with huge exact values (Python's int conversion stopped them before,
    # with its own advice); 1e-400 itself is fine (it is enclosed as [0, tiny])
    "1e-999999*x": (lambda: ab.taylor_bounds("1e-999999*x"), ResourceLimit, "exponent beyond"),
    "2.5E+1_000_000*x": (
        lambda: ab.taylor_bounds("2.5E+1_000_000*x"),
        ResourceLimit,
        "exponent beyond",
    ),
    "5000-digit literal": (
        lambda: ab.taylor_bounds("7" * 5000 + "*x"),
        ResourceLimit,
        "5,000 characters",
    ),
    "x^(10^400)": (
        lambda: ab.taylor_bounds("x^(10^400)")(0.5, (0.0, 1.0)),
        ResourceLimit,
        "binomial",
    ),
    "deep nesting": (
        lambda: ab.taylor_bounds("sin(" * 2000 + "x" + ")" * 2000),
        ResourceLimit,
        "nests too deeply",
    ),
    # graphs whose program would take most of an hour to compile (refused before XLA)
    "jnp.sin applied 2,000 times": (
        lambda: ab.enclose(_nested_sines(2000), degree=2)(0.1, 0.0, 0.2),
        ResourceLimit,
        "2,000 elementwise operations",
    ),
    "a 200-term sine series": (
        lambda: ab.taylor_bounds(
            " + ".join(f"sin({i}*x)/{i}" for i in range(1, 201)), rounding="outward"
        )(0.5, (0.0, 1.0)),
        ResourceLimit,
        "MAX_ELEMENTWISE_NODES",
    ),
    # degrees whose program would take minutes to compile (refused when traced, before XLA)
    "degree 50 of exp(x)": (
        lambda: ab.taylor_bounds("exp(x)", degree=50)(0.5, (0.0, 1.0)),
        ResourceLimit,
        "limit of degree 32",
    ),
    "enclose at degree 50": (
        lambda: ab.enclose("exp(x)", degree=50)(0.5, 0.0, 1.0),
        ResourceLimit,
        "degree 50",
    ),
    "degree 17 of sin(x + exp(x))": (
        lambda: ab.enclose("sin(x + exp(x))", degree=17)(0.5, 0.0, 1.0),
        ResourceLimit,
        "MAX_COMPOSITION_COST",
    ),
    "degree 13 of exp(x)*sin(y)": (
        lambda: ab.taylor_bounds("exp(x)*sin(y)", degree=13)(
            np.full(2, 0.5), (np.zeros(2), np.ones(2))
        ),
        ResourceLimit,
        "degree 13 in 2 variables",
    ),
    "degree 11 of exp(x)*sin(y), outward": (
        lambda: ab.taylor_bounds("exp(x)*sin(y)", degree=11, rounding="outward")(
            np.full(2, 0.5), (np.zeros(2), np.ones(2))
        ),
        ResourceLimit,
        "MAX_DEGREE_SEVERAL_VARIABLES['outward']",
    ),
    "degree 8 in 10 variables": (
        lambda: ab.taylor_bounds(lambda x: jnp.sum(jnp.exp(x)), degree=8)(
            np.zeros(10), (-np.ones(10), np.ones(10))
        ),
        ResourceLimit,
        "100,000,000 coefficients",
    ),
    # arguments of the wrong kind
    'dtype="banana"': (
        lambda: ab.taylor_bounds("exp(x)", dtype="banana"),
        ab.InvalidArgument,
        "dtype",
    ),
    'enclose dtype="banana"': (
        lambda: ab.enclose("exp(x)", dtype="banana"),
        ab.InvalidArgument,
        "dtype",
    ),
    'x0="abc"': (
        lambda: ab.taylor_bounds("exp(x)")("abc", (0.0, 1.0)),
        ab.InvalidArgument,
        "x0",
    ),
    'enclose x0="abc"': (
        lambda: ab.enclose("exp(x)")("abc", 0.0, 1.0),
        ab.InvalidArgument,
        "x0",
    ),
    'region ("a", 1)': (
        lambda: ab.taylor_bounds("exp(x)")(0.5, ("a", 1.0)),
        ab.InvalidArgument,
        "region lower end",
    ),
    "region of one number": (
        lambda: ab.taylor_bounds("exp(x)")(0.5, 1.0),
        ab.InvalidRegion,
        "pair",
    ),
    "batch of zero boxes": (
        lambda: ab.Bounder("exp(x)").batch(np.zeros(0), np.zeros(0), np.ones(0)),
        ab.ShapeMismatch,
        "at least one box",
    ),
    'batch x0s="abc"': (
        lambda: ab.Bounder("exp(x)").batch("abc", np.zeros(1), np.ones(1)),
        ab.InvalidArgument,
        "x0s",
    ),
    "batch without a batch axis": (
        lambda: ab.Bounder("exp(x)").batch(0.5, 0.0, 1.0),
        ab.ShapeMismatch,
        "batch axis",
    ),
    "degree 2.5": (lambda: ab.taylor_bounds("exp(x)", degree=2.5), ab.InvalidArgument, ""),
    "rounding up": (
        lambda: ab.taylor_bounds("exp(x)", rounding="up"),
        ab.InvalidArgument,
        "rounding",
    ),
    "variables declared twice": (
        lambda: ab.taylor_bounds("x*y", variables=["x", "x"]),
        ab.ParseError,
        "twice",
    ),
    "an expression that is not text": (
        lambda: ab.taylor_bounds(b"exp(x)")(0.5, (0.0, 1.0)),
        ab.AutoBoundError,
        "",
    ),
    "attribute access": (
        lambda: ab.taylor_bounds("x.__class__"),
        ab.ParseError,
        "not allowed",
    ),
    "a keyword": (lambda: ab.taylor_bounds("lambda: x"), ab.ParseError, "not allowed"),
    "unknown function": (lambda: ab.taylor_bounds("gamma(x)"), ab.UnsupportedOperation, "gamma"),
    "division by zero": (lambda: ab.taylor_bounds("x + 1/0"), ab.ParseError, "finite"),
    # Python functions that cannot be f(x)
    "function of two arguments": (
        lambda: ab.taylor_bounds(lambda x, y: x * y)(0.5, (0.0, 1.0)),
        InvalidFunction,
        "2 required arguments (x, y)",
    ),
    "enclose of a function of two arguments": (
        lambda: ab.enclose(lambda x, y: x * y)(0.5, 0.0, 1.0),
        InvalidFunction,
        "f(x)",
    ),
    "jax.random inside f": (
        lambda: ab.taylor_bounds(lambda x: x + jax.random.normal(jax.random.key(0)))(
            0.5, (0.0, 1.0)
        ),
        ab.UnsupportedOperation,
        "random",
    ),
    "legacy PRNGKey inside f": (
        lambda: ab.taylor_bounds(lambda x: x * jax.random.uniform(jax.random.PRNGKey(1)))(
            0.5, (0.0, 1.0)
        ),
        ab.UnsupportedOperation,
        "random",
    ),
    "x[0] with a scalar x0": (
        lambda: ab.taylor_bounds(lambda x: jnp.exp(x[0]))(0.5, (0.0, 1.0)),
        ab.ShapeMismatch,
        "shape ()",
    ),
    "float(x) inside f": (
        lambda: ab.taylor_bounds(lambda x: jnp.exp(float(x)))(0.5, (0.0, 1.0)),
        InvalidFunction,
        "failed when traced",
    ),
    "f raises": (
        lambda: ab.taylor_bounds(lambda x: (_ for _ in ()).throw(KeyError("boom")))(
            0.5, (0.0, 1.0)
        ),
        InvalidFunction,
        "boom",
    ),
    "f returns two values": (
        lambda: ab.taylor_bounds(lambda x: (x, x))(0.5, (0.0, 1.0)),
        ab.InvalidFunction,
        "single array",
    ),
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", list(API_REFUSALS))
def test_the_api_refuses_bad_input_with_a_named_error(name):
    call, error, words = API_REFUSALS[name]
    start = time.perf_counter()
    with pytest.raises(error) as raised:
        call()
    assert isinstance(raised.value, ab.AutoBoundError)
    assert words in str(raised.value)
    assert len(str(raised.value)) < 600  # named, not echoed whole
    assert time.perf_counter() - start < 30


@pytest.mark.timeout(30)
def test_a_long_bad_expression_is_named_by_its_start_and_length():
    with pytest.raises(ab.ParseError) as raised:
        ab.taylor_bounds("x + " * 3000 + "(")
    message = str(raised.value)
    assert "12,001 characters" in message and len(message) < 400


# -- the Python API: extreme but valid input gets a sound result, quickly --------------------


def _contains_exact(bounds, f, xs) -> None:
    """f(x) (an exact Fraction function) lies in the enclosure at each x, the enclosure
    evaluated in exact rational arithmetic from its float coefficients."""
    x0 = Fraction(float(bounds.x0))
    coefficients = []
    for c in bounds.coefficients:
        if hasattr(c, "lo"):
            coefficients.append((Fraction(float(c.lo)), Fraction(float(c.hi))))
        else:
            coefficients.append((Fraction(float(c)), Fraction(float(c))))
    for x in xs:
        h = Fraction(x) - x0
        terms = [(lo * h**i, hi * h**i) for i, (lo, hi) in enumerate(coefficients)]
        lower = sum(min(t) for t in terms)
        upper = sum(max(t) for t in terms)
        assert lower <= f(Fraction(x)) <= upper, x


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    ("n", "lo", "hi"),
    [(1000, -1.01, 1.0), (10**10, Fraction(9999999999, 10**10), Fraction(10000000001, 10**10))],
)
def test_huge_integer_powers_compile_quickly_and_enclose_the_exact_power(n, lo, hi):
    """x**1000 used to unroll 999 products per power and x**(10^10) never finished tracing;
    repeated squaring makes both a small program."""
    bounder = ab.taylor_bounds(f"x^{n}", degree=2, rounding="outward")
    x0 = float(lo + (hi - lo) / 3)
    bounds = bounder(x0, (float(lo), float(hi)))
    c0 = bounds.coefficients[0]
    exact = Fraction(x0) ** 2 if n == 10**10 else Fraction(x0) ** n
    if n == 1000:
        assert Fraction(float(c0.lo)) <= exact <= Fraction(float(c0.hi))
        points = [lo, hi, -0.5, 0.25, 0.999]
        _contains_exact(bounds, lambda x: x**n, points)
    else:  # (x0)^(10^10) near 1: compare in mpmath
        import mpmath

        with mpmath.workprec(200):
            value = mpmath.mpf(x0) ** n
            assert mpmath.mpf(float(c0.lo)) <= value <= mpmath.mpf(float(c0.hi))


@pytest.mark.timeout(120)
def test_a_5000_term_sum_parses_and_bounds_soundly():
    """The sum used to raise RecursionError, echoing all 83 KB of it."""
    bounds = ab.taylor_bounds(_HUGE_SUM, degree=2, rounding="outward")(0.5, (0.0, 1.0))
    weights = [sum(i for i in range(5000) if i % 5 == p) for p in range(5)]
    _contains_exact(
        bounds,
        lambda x: sum(w * x**p for p, w in enumerate(weights)),
        [Fraction(0), Fraction(1, 3), Fraction(1)],
    )


def test_a_long_sum_parses_to_the_same_expression_as_its_terms():
    import sympy

    from autobound.frontends.sympy_frontend import expr_from_string

    x = sympy.Symbol("x")
    text = " - ".join(f"{i}*sin({i}*x)" for i in range(1, 251)) + " + 2^-3^2"
    expected = sympy.sin(x) - sum(i * sympy.sin(i * x) for i in range(2, 251))
    assert expr_from_string(text) == expected + sympy.Rational(1, 2**9)


def test_exact_constants_at_the_limit_are_kept():
    """The limits refuse only what no float64 holds or what is absurdly long."""
    from autobound.frontends.sympy_frontend import expr_from_string

    assert expr_from_string("2^1000*x") == 2**1000 * __import__("sympy").Symbol("x")
    assert expr_from_string("x + 2^2^2^2") == __import__("sympy").Symbol("x") + 65536
    assert expr_from_string("1^(10^100)*x") == __import__("sympy").Symbol("x")


# -- the command line ------------------------------------------------------------------------


def cli(*args: str, stdin: str | None = None):
    result = runner.invoke(app, list(args), input=stdin)
    assert result.exit_code != ExitCode.INTERNAL_ERROR, result.output
    return result


CLI_REFUSALS = {
    "1e400*x": (["bound", "1e400*x", "--over", "0", "1"], "beyond float64"),
    "x + 2^2^2^2^2": (["bound", "x + 2^2^2^2^2", "--over", "0", "1"], "4096 bits"),
    "x + 9^9^9": (["bound", "x + 9^9^9", "--over", "0", "1"], "digits"),
    "1e-999999*x": (["bound", "1e-999999*x", "--over", "0", "1"], "4096 bits"),
    "reversed --over": (["bound", "x", "--over", "1", "0"], "reversed"),
    "infinite --over": (["bound", "x", "--over", "0", "1e400"], "finite"),
    "nan --over": (["bound", "x", "--over", "nan", "1"], "finite"),
    "empty --variables": (["bound", "x", "--over", "0", "1", "--variables", ",,"], "at least one"),
    "unknown --kind": (["ops", "--kind", "banana"], "--kind must be one of"),
    "--plot into a missing folder": (
        ["bound", "x", "--over", "0", "1", "--plot", "/no/such/dir/p.png"],
        "does not exist",
    ),
    "bound at degree 50": (["bound", "exp(x)", "--over", "0", "1", "-k", "50"], "limit"),
    "crosscheck 1e400*x": (["crosscheck", "1e400*x", "--over", "0", "1"], "beyond float64"),
    "prove into a missing folder": (
        ["prove", "exp(x)", "--over", "0", "1", "--ge", "0", "--out", "/no/such/dir/c.json"],
        "does not exist",
    ),
    "prove with two claims": (
        ["prove", "exp(x)", "--over", "0", "1", "--ge", "0", "--le", "3"],
        "exactly one claim",
    ),
    "check a missing file": (["check", "/no/such/cert.json"], "cannot read"),
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", list(CLI_REFUSALS))
def test_the_cli_refuses_bad_input_with_exit_code_2_and_a_message(name):
    args, words = CLI_REFUSALS[name]
    result = cli(*args)
    assert result.exit_code == ExitCode.BAD_INPUT, result.output
    assert words in result.stderr
    assert "Traceback" not in result.output
    assert result.stderr.startswith("error: ") and len(result.stderr) < 800


@pytest.mark.timeout(30)
def test_prove_checks_the_output_path_before_proving(tmp_path, monkeypatch):
    import autobound.apps.prove as prover

    def never(*args, **kwargs):
        raise AssertionError("the prover ran before the output path was checked")

    monkeypatch.setattr(prover, "prove", never)
    for out in ("/no/such/dir/c.json", str(tmp_path)):  # a missing folder, a folder
        result = cli("prove", "exp(x)", "--over", "0", "1", "--ge", "0", "--out", out)
        assert result.exit_code == ExitCode.BAD_INPUT, result.output
        assert "--out" in result.stderr


# A certificate of exp(x) - 1 - x >= -1e-9 on [-1, 1] (one leaf, written by `autobound prove`,
# accepted by the checker), kept as data so that these tests do not depend on the prover.
_EXP_GRAPH = {
    "dtype": "float64",
    "nodes": [
        {"op": "input", "args": [], "shape": [], "params": {}},
        {"op": "constant", "args": [], "shape": [], "params": {"value": {"$number": "1"}}},
        {"op": "exp", "args": [0], "shape": [], "params": {}},
        {"op": "sub", "args": [2, 1], "shape": [], "params": {}},
        {"op": "sub", "args": [3, 0], "shape": [], "params": {}},
    ],
    "output": 4,
}
_CERTIFICATE = {
    "format": "autobound-certificate",
    "version": 1,
    "expression": {"graph": _EXP_GRAPH, "text": "exp(x) - 1 - x"},
    "variables": ["x"],
    "box": [["-1", "1"]],
    "claim": {"kind": "ge", "value": "-1/1000000000"},
    "leaves": [
        {
            "lo": ["-1"],
            "hi": ["1"],
            "x0": ["0"],
            "coefficients": [
                [["-0x1.1000000000004p-46", "0x1.1000000000004p-46"]],
                [["-0x1.1800000000002p-46", "0x1.1800000000002p-46"]],
                [["0x1.78b56362ceca1p-2", "0x1.6fc2a2c51603dp-1"]],
            ],
            "range": ["-0x1.1400000000003p-45", "0x16fc2a2c51615100000000003p-97"],
        }
    ],
    "prover": {"name": "autobound.apps.prove", "degree": 2, "rounding": "outward"},
}


def _certificate(tmp_path, edit=None) -> str:
    """The path of :data:`_CERTIFICATE` edited by `edit`."""
    doc = json.loads(json.dumps(_CERTIFICATE))
    if edit is not None:
        edit(doc)
    path = tmp_path / "cert.json"
    path.write_text(json.dumps(doc))
    return str(path)


@pytest.mark.timeout(60)
def test_the_certificate_of_these_tests_checks(tmp_path):
    result = cli("check", _certificate(tmp_path))
    assert result.exit_code == ExitCode.OK, result.output
    assert "ok: " in result.stdout


@pytest.mark.timeout(120)
def test_check_output_is_inert_against_terminal_escapes_in_a_certificate(tmp_path):
    """A variable name that clears the screen and prints a green fake "ok" line, and an
    expression text with a right-to-left override, reach the terminal escaped."""
    fake = f"{ESC}[2J{ESC}[H{ESC}[32mok: f >= 0 on the box{ESC}[0m\n{ESC}[8m"

    def edit(doc):
        doc["variables"] = [fake]
        doc["expression"]["text"] = "exp(x)\u202e - 1 - x"
        doc["box"][0][1] = "2"  # and make it wrong: the leaves no longer cover the box

    path = _certificate(tmp_path, edit)
    result = cli("check", path)
    assert result.exit_code == ExitCode.CHECK_FAILED
    for stream in (result.stdout, result.stderr):
        assert ESC not in stream and "\u202e" not in stream
    assert "\\x1b[2J" in result.stdout  # escaped, visible
    lines = result.stdout.splitlines()
    assert lines[-1].startswith("rejected: ")  # no forged line after the verdict
    assert not any(line.startswith("ok") for line in lines)
    verdict = json.loads(cli("check", path, "--json").stdout)  # JSON escapes by itself
    assert verdict["ok"] is False


@pytest.mark.timeout(120)
@pytest.mark.parametrize("where", ["box", "leaf", "claim"])
def test_check_of_a_certificate_with_a_huge_number_is_bad_input(tmp_path, where):
    def edit(doc):
        if where == "box":
            doc["box"][0][0] = "-0x1p20000"
        elif where == "leaf":
            doc["leaves"][0]["coefficients"][2][0][1] = "0x1p20000"
        else:
            doc["claim"]["value"] = "-0x1p20000"

    result = cli("check", _certificate(tmp_path, edit))
    assert result.exit_code in (ExitCode.BAD_INPUT, ExitCode.CHECK_FAILED), result.output


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    "args",
    [
        ["bound", f"x{ESC}[2J", "--over", "0", "1"],
        ["bound", "x", "--over", "0", "1", "--plot", f"/no/such{ESC}[31m/p.png"],
        ["check", f"/no/such/{ESC}]0;title{ESC}\\cert.json"],
        ["bound", "x*y", "--variables", f"x,{ESC}[2Jy", "--over", "0", "1"],
    ],
)
def test_error_messages_are_inert(args):
    result = cli(*args)
    assert result.exit_code == ExitCode.BAD_INPUT, result.output
    assert ESC not in result.stderr and ESC not in result.stdout
    assert "\\x1b" in result.stderr


def test_inert_escapes_every_control_and_format_character_and_nothing_else():
    assert inert("exp(x) + π·y²") == "exp(x) + π·y²"
    assert inert(f"a{ESC}[2Jb\nc\r\td\x7f\x9b") == "a\\x1b[2Jb\\x0ac\\x0d\\x09d\\x7f\\x9b"
    assert inert("x\u202e\u200b\u2028y") == "x\\u202e\\u200b\\u2028y"
    assert inert(12) == "12"


@pytest.mark.timeout(60)
def test_long_expressions_are_not_echoed_whole_by_the_cli():
    result = cli("bound", "x + " * 3000 + "(", "--over", "0", "1")
    assert result.exit_code == ExitCode.BAD_INPUT
    assert "12,001 characters" in result.stderr and len(result.stderr) < 600


@pytest.mark.timeout(60)
def test_crosscheck_of_a_huge_power_passes():
    result = cli("crosscheck", "x^1000", "--over", "-1.01", "1", "--points", "40", "--json")
    assert result.exit_code == ExitCode.OK, result.output
    doc = json.loads(result.stdout)
    assert doc["ok"] and doc["violations"] == 0 and math.isfinite(doc["tightness"])


@pytest.mark.timeout(60)
def test_reprs_are_short_and_name_the_problem():
    """A Bounder of the 83 KB sum and its result print in a line, not as 83 KB or as arrays
    of jax reprs."""
    bounder = ab.Bounder(_HUGE_SUM)
    assert repr(bounder).startswith("Bounder('0*x^0 + 1*x^1") and len(repr(bounder)) < 200
    assert "53,887 characters" in repr(bounder) and "variables=('x',)" in repr(bounder)
    bounds = ab.taylor_bounds("exp(x)*sin(y)")(np.array([0.1, 0.2]), (-np.ones(2), np.ones(2)))
    assert repr(bounds) == (
        "TaylorBounds(variables=('x', 'y'), x0=[0.1, 0.2], region=[[-1., -1.], [1., 1.]], "
        "degree=2, rounding='nearest')"
    )


@pytest.mark.timeout(120)
def test_a_certificate_with_too_many_leaves_is_refused_before_its_leaves_are_read(tmp_path):
    """A million-leaf certificate took 15 minutes and 3 GB to check; beyond the checker's
    leaf limit it is rejected up front, naming the count, the limit and how to raise it."""
    from autobound.verify import check_certificate
    from autobound.verify.certificate import MAX_LEAVES

    def edit(doc):
        # a leaf the validator would reject: proves the refusal comes before validation
        doc["leaves"] = doc["leaves"] * 2 + [{"bogus": True}]

    path = _certificate(tmp_path, edit)
    result = cli("check", path, "--max-leaves", "2")
    assert result.exit_code == ExitCode.CHECK_FAILED
    assert "3 leaves, more than the 2" in result.stdout and "--max-leaves" in result.stdout
    verdict = check_certificate(open(path).read(), max_leaves=2)
    assert not verdict.ok and "more than the 2 " in verdict.reason
    # at the default limit the same file is read (and rejected for its bad leaf, not its size)
    verdict = check_certificate(open(path).read())
    assert not verdict.ok and "leaves" in verdict.reason and "more than" not in verdict.reason
    assert MAX_LEAVES >= 200_000  # the provers' default box budgets fit
    huge = json.loads(open(path).read())
    huge["leaves"] = [{}] * (MAX_LEAVES + 1)
    verdict = check_certificate(huge)
    assert not verdict.ok and f"{MAX_LEAVES + 1:,} leaves" in verdict.reason
