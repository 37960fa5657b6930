"""The `autobound` command line: output, JSON, plots, several variables, exit codes."""

import json
import math
import subprocess
import sys

import pytest
from typer.testing import CliRunner

import autobound as ab
from autobound.apps.cli import ExitCode, app

runner = CliRunner()

REFERENCE = "1.5*exp(3*x) - 25*x**2"
REFERENCE_ARGS = ["bound", REFERENCE, "--at", "0.5", "--over", "0", "1", "--degree", "2"]

# Hand-derived: f(x) = 1.5 e^{3x} - 25 x^2 at x0 = 1/2, region [0, 1].
#   c0 = f(1/2)  = 1.5 e^{1.5} - 6.25
#   c1 = f'(1/2) = 4.5 e^{1.5} - 25
# f''' = 40.5 e^{3x} > 0, so the remainder ratio R(x) = (f(x) - c0 - c1 (x - 1/2)) / (x - 1/2)^2
# is increasing and the sharp degree-2 interval is [R(0), R(1)]  (both ends at |x - x0| = 1/2).
C0 = 1.5 * math.exp(1.5) - 6.25
C1 = 4.5 * math.exp(1.5) - 25
R_LO = (1.5 - C0 + 0.5 * C1) / 0.25
R_HI = (1.5 * math.exp(3) - 25 - C0 - 0.5 * C1) / 0.25


def invoke(*args: str):
    return runner.invoke(app, list(args))


def bound_json(*args: str) -> dict:
    result = invoke("bound", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_reference_example_prints_its_coefficients_and_polynomial():
    result = invoke(*REFERENCE_ARGS)
    assert result.exit_code == 0, result.output
    out = result.stdout
    # The published reference values, (0.47253323, -4.8324013, [-5.5549355, 28.287888]),
    # agree with these to float32 precision.
    for shown in ("0.47253", "-4.83239", "-5.55493", "28.28788"):
        assert shown in out
    assert "AccumBounds" in out  # the polynomial in sympy form
    assert "x in [0.0, 1.0]" in out
    assert "rounding: nearest" in out
    assert "note: rounding nearest" in out and "--rounding outward" in out  # not rigorous
    assert result.stderr == ""


def test_an_expression_that_starts_with_a_minus_is_the_expression_not_an_option():
    doc = bound_json("-x**2 + 1", "--over", "0", "1")
    assert doc["expression"] == "-x**2 + 1" and doc["coefficients"] == [0.75, -1.0, -1.0]
    # anywhere among the options, and a constant too
    assert bound_json("--over", "-1", "1", "-5")["coefficients"] == [-5.0]
    # an option's value that starts with a minus stays that option's value
    result = invoke("prove", "x**2", "--over", "-1", "1", "--ge", "-1e-9")
    assert result.exit_code == ExitCode.OK and "proved: x**2 >= -1e-9" in result.stdout
    # an unknown long option is still named as one
    result = invoke("bound", "x", "--ovr", "0", "1")
    assert result.exit_code == 2 and "No such option: --ovr" in result.output


def test_outward_output_has_no_note_and_json_says_which_is_rigorous():
    result = invoke(*REFERENCE_ARGS, "--rounding", "outward")
    assert result.exit_code == 0, result.output
    assert "note:" not in result.stdout
    assert bound_json(*REFERENCE_ARGS[1:])["rigorous"] is False
    assert bound_json(*REFERENCE_ARGS[1:], "--rounding", "outward")["rigorous"] is True


def test_reference_example_json_holds_the_hand_derived_values():
    doc = bound_json(*REFERENCE_ARGS[1:])
    c0, c1, c2 = doc["coefficients"]
    assert c0 == pytest.approx(C0, rel=1e-13)
    assert c1 == pytest.approx(C1, rel=1e-13)
    assert c2["lo"] == pytest.approx(R_LO, rel=1e-12)
    assert c2["hi"] == pytest.approx(R_HI, rel=1e-12)


def test_json_matches_the_python_api():
    doc = bound_json(*REFERENCE_ARGS[1:], "--rounding", "outward")
    api = ab.taylor_bounds(REFERENCE, degree=2, rounding="outward")(0.5, (0.0, 1.0))
    assert doc.pop("expression") == REFERENCE
    assert doc.pop("variables") == ["x"]
    assert doc.pop("width") == float(api.width())
    assert doc.pop("rigorous") is True
    assert doc == json.loads(json.dumps(api.as_dict()))


def test_outward_rounding_contains_nearest_coefficients():
    nearest = bound_json(*REFERENCE_ARGS[1:])["coefficients"][2]
    outward = bound_json(*REFERENCE_ARGS[1:], "--rounding", "outward")["coefficients"][2]
    assert outward["lo"] <= nearest["lo"] and nearest["hi"] <= outward["hi"]


def test_plot_writes_a_png(tmp_path):
    path = tmp_path / "bounds.png"
    result = invoke(*REFERENCE_ARGS, "--plot", str(path))
    assert result.exit_code == 0, result.output
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "plot written to" in result.stdout


def test_several_variables_take_one_at_and_one_over_each():
    args = ["exp(x)*sin(y)", "--at", "0.1", "--at", "0.2", "--over", "-1", "1", "--over", "-1", "1"]
    doc = bound_json(*args)
    assert doc["variables"] == ["x", "y"]
    assert doc["x0"] == [0.1, 0.2]
    assert doc["region"] == [[-1.0, -1.0], [1.0, 1.0]]
    c0, c1, _ = doc["coefficients"]
    assert c0 == pytest.approx(math.exp(0.1) * math.sin(0.2), rel=1e-13)
    assert c1 == pytest.approx([c0, math.exp(0.1) * math.cos(0.2)], rel=1e-13)
    table = invoke("bound", *args)
    assert table.exit_code == 0, table.output
    assert "(x - 0.1)*(y - 0.2)" in table.stdout


def test_one_over_serves_every_variable_and_x0_defaults_to_the_centre():
    doc = bound_json("x*y + z", "--over", "-1,3", "--variables", "z,y,x")
    assert doc["variables"] == ["z", "y", "x"]
    assert doc["x0"] == [1.0, 1.0, 1.0]
    assert doc["region"] == [[-1.0] * 3, [3.0] * 3]
    assert doc["coefficients"][1] == [1.0, 1.0, 1.0]  # d/dz, d/dy, d/dx at (1, 1, 1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x**2", "--over", "1", "0"], "reversed region"),
        (["x**2", "--at", "2", "--over", "0", "1"], "outside the region"),
        (["foo(x)", "--over", "0", "1"], "unsupported operation 'foo'"),
        (["log(x)", "--over", "0", "1"], "argument of log leaves the function's domain"),
        (["x+", "--over", "0", "1"], "cannot parse"),
        (["x", "--over", "0", "a"], "is not a number or a constant"),
        (["x*y", "--over", "0", "1", "--over", "0", "1", "--over", "0", "1"], "one --over"),
        (["x*y", "--at", "0.5", "--over", "0", "1"], "one --at per variable"),
        (["x*y", "--over", "0", "1", "--plot", "p.png"], "one variable"),
    ],
)
def test_bad_input_exits_2_with_a_message_and_no_traceback(args, message):
    result = invoke("bound", *args)
    assert result.exit_code == ExitCode.BAD_INPUT == 2
    assert message in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.output


def test_unknown_function_lists_the_supported_ones():
    result = invoke("bound", "foo(x)", "--over", "0", "1")
    assert "supported:" in result.stderr and "exp" in result.stderr


def test_bad_option_values_exit_2():
    assert invoke("bound", "x", "--over", "0", "1", "--degree", "-1").exit_code == 2
    assert invoke("bound", "x", "--over", "0", "1", "--rounding", "up").exit_code == 2
    assert invoke("bound", "x").exit_code == 2  # --over is required


def test_internal_errors_get_their_own_exit_code(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(ab, "taylor_bounds", broken)
    result = invoke(*REFERENCE_ARGS)
    assert result.exit_code == ExitCode.INTERNAL_ERROR
    assert "internal error" in result.stderr and "boom" in result.stderr


def test_ops_lists_supported_functions():
    result = invoke("ops")
    assert result.exit_code == 0, result.output
    for name in ("exp", "sin", "relu", "dot_general"):
        assert name in result.stdout
    listed = json.loads(invoke("ops", "--kind", "elementwise", "--json").stdout)
    names = {row["name"] for row in listed}
    assert {"exp", "sin", "relu"} <= names and "add" not in names


def test_ops_lists_the_rules_in_a_fresh_process():
    """The rules register on import: the command must import them itself (it listed none
    when nothing else had imported the engine in the process)."""
    done = subprocess.run(
        [sys.executable, "-m", "autobound", "ops", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    names = {row["name"] for row in json.loads(done.stdout)}
    assert {"exp", "sigmoid", "dot_general", "max"} <= names


def test_console_script_module_runs():
    """`python -m autobound` runs the apps' command line without the engine importing it."""
    done = subprocess.run(
        [sys.executable, "-m", "autobound", "--version"], capture_output=True, text=True
    )
    assert done.returncode == 0 and done.stdout.startswith("autobound "), done.stderr
    script = "import autobound, sys; assert 'autobound.apps.cli' not in sys.modules"
    subprocess.run([sys.executable, "-c", script], check=True)


def test_crosscheck_passes_a_sound_bound():
    result = invoke(
        "crosscheck", "sigmoid(3*x) * log1p(x^2)", "--at", "0.2", "--over", "-1", "1",
        "--degree", "3", "--points", "60", "--json",
    )  # fmt: skip
    assert result.exit_code == ExitCode.OK, result.output
    doc = json.loads(result.stdout)
    assert doc["ok"] and doc["violations"] == 0 and doc["points"] >= 60
    assert doc["rounding"] == "outward"  # the default of crosscheck: a check wants a proof
    assert 0 < doc["tightness"] < math.inf


def test_crosscheck_reports_a_wrong_bound_with_exit_status_1(monkeypatch):
    """A bounder whose constant term is off by 1e-9 (as a buggy rule would be) is caught."""
    import dataclasses

    real = ab.taylor_bounds

    class Shifted:
        def __init__(self, bounder):
            self._b = bounder
            self.variables = bounder.variables
            self.graph = bounder.graph

        def __call__(self, x0, region):
            t = self._b(x0, region)
            c0 = t.coefficients[0]
            return dataclasses.replace(t, coefficients=(c0 + 1e-9,) + tuple(t.coefficients[1:]))

    monkeypatch.setattr(ab, "taylor_bounds", lambda *a, **k: Shifted(real(*a, **k)))
    result = invoke(
        "crosscheck", "exp(x)", "--over", "0", "1", "--rounding", "nearest", "--points", "20"
    )
    assert result.exit_code == ExitCode.CHECK_FAILED, result.output
    assert "VIOLATIONS" in result.stdout and "not in" in result.stdout


# -- prove and check ----------------------------------------------------------------------------


def test_prove_writes_a_certificate_that_check_accepts(tmp_path):
    cert = tmp_path / "cert.json"
    result = invoke(
        "prove", "exp(x) - 1 - x", "--over", "-1", "1", "--ge", "-1e-9", "-o", str(cert)
    )
    assert result.exit_code == ExitCode.OK, result.output
    assert "proved" in result.stdout and cert.exists()
    result = invoke("check", str(cert))
    assert result.exit_code == ExitCode.OK, result.output
    assert "f = ((exp(x) - 1) - x)" in result.stdout  # what was checked, from the graph
    assert "ok: f >= " in result.stdout
    verdict = json.loads(invoke("check", str(cert), "--json").stdout)
    assert verdict["ok"] is True and verdict["leaves"] >= 1
    piped = runner.invoke(app, ["check", "-"], input=cert.read_text())
    assert piped.exit_code == ExitCode.OK and "ok: " in piped.stdout


def test_check_rejects_a_tampered_certificate_with_exit_code_1(tmp_path):
    cert = tmp_path / "cert.json"
    invoke("prove", "x**2 + y**2", "--over", "-1", "1", "--over", "-1", "1", "--ge", "-1e-9",
           "-o", str(cert))  # fmt: skip
    doc = json.loads(cert.read_text())
    doc["box"][1][1] = "2"  # widen the box
    cert.write_text(json.dumps(doc))
    result = invoke("check", str(cert))
    assert result.exit_code == ExitCode.CHECK_FAILED
    assert "do not cover the box" in result.stdout


def test_check_of_a_missing_file_is_bad_input(tmp_path):
    result = invoke("check", str(tmp_path / "absent.json"))
    assert result.exit_code == ExitCode.BAD_INPUT
    assert "cannot read" in result.stderr


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["x*y - 0.2", "--over", "0", "1", "--over", "0", "1", "--ge", "0"], ExitCode.DISPROVED,
         "disproved"),
        (["sin(x) + 1", "--over", "-2", "2", "--gt", "0", "--max-boxes", "100"], ExitCode.UNKNOWN,
         "unknown"),
        (["exp(x)", "--over", "0", "1", "--ge", "0", "--le", "3"], ExitCode.BAD_INPUT,
         "exactly one claim"),
        (["exp(x)", "--over", "1", "0", "--ge", "0"], ExitCode.BAD_INPUT, "lo < hi"),
    ],
)  # fmt: skip
def test_prove_exit_codes(args, code, words):
    result = invoke("prove", *args)
    assert result.exit_code == code, result.output
    assert words in result.output


def test_prove_json_output():
    result = invoke("prove", "1 + x**2", "--over", "-1", "1", "--gt", "0", "--json")
    doc = json.loads(result.stdout)
    assert doc["status"] == "proved" and doc["leaves"] >= 1 and doc["certificate"] is None


@pytest.mark.parametrize(
    "over", [["-pi/2", "pi/2"], ["-pi/2 pi/2"], ["-π/2", "π/2"], ["[-pi/2, pi/2]"]]
)
def test_over_takes_constants_rounded_outward(over):
    """`--over -pi/2 pi/2` reads as `prove` reads it: each end a constant, the box rounded
    outward so that it contains the exact one."""
    from fractions import Fraction

    import mpmath

    doc = bound_json("sin(x)", "--over", *over)
    lo, hi = doc["region"]
    with mpmath.workdps(40):
        half_pi = mpmath.pi / 2
        assert mpmath.mpf(Fraction(hi).numerator) / Fraction(hi).denominator > half_pi
        assert mpmath.mpf(Fraction(lo).numerator) / Fraction(lo).denominator < -half_pi
    assert hi == math.nextafter(math.pi / 2, math.inf)  # one float past it, not more


def test_pi_in_an_expression_and_exact_rational_ends():
    doc = bound_json("sin(π*x)", "--over", "1/3", "2^-1")
    assert doc["region"] == [1 / 3, 0.5]  # the float 1/3 is below 1/3; 1/2 is exact
    assert doc["coefficients"][0] == pytest.approx(math.sin(math.pi * doc["x0"]), rel=1e-15)


@pytest.mark.parametrize("end", ["().__class__", "abc", "x", "1/0", "pi^pi^pi^pi^pi"])
def test_over_refuses_what_is_not_a_constant(end):
    result = invoke("bound", "x", "--over", "0", end)
    assert result.exit_code == ExitCode.BAD_INPUT, result.output
    assert "--over" in result.stderr
