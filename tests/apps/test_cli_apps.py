"""The application commands: minimize, integrate, jensen, train (JSON output, exit codes,
certificates that check, bad input as exit 2)."""

import json

import pytest
from mpmath import mp
from typer.testing import CliRunner

from autobound.apps.cli import app
from autobound.verify import check_certificate

runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args))


def test_minimize_certifies_and_writes_a_certificate_that_checks(tmp_path):
    out = tmp_path / "min.json"
    r = run("minimize", "x**4 - 3*x**2 + x", "--over", "-2", "2", "--tol", "1e-8",
            "--out", str(out), "--json")  # fmt: skip
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output.strip().splitlines()[-1])
    assert doc["status"] == "certified" and doc["upper"] - doc["lower"] <= 1e-8
    mp.dps = 30
    x = mp.findroot(lambda t: 4 * t**3 - 6 * t + 1, -1.3)
    assert doc["lower"] <= x**4 - 3 * x**2 + x <= doc["upper"]
    assert check_certificate(out.read_text()).ok


def test_minimize_plot_and_budget(tmp_path):
    png = tmp_path / "boxes.png"
    r = run("minimize", "(x - 1/3)**2 + (y + 1/4)**2", "--over", "-1", "1", "--over", "-1", "1",
            "--tol", "1e-6", "--plot", str(png))  # fmt: skip
    assert r.exit_code == 0, r.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    r = run("minimize", "4*x**2 - 2.1*x**4 + x**6/3 + x*y - 4*y**2 + 4*y**4", "--over", "-3",
            "3", "--over", "-2", "2", "--tol", "1e-12", "--max-boxes", "8", "--json")  # fmt: skip
    assert r.exit_code == 4
    assert json.loads(r.output.strip().splitlines()[-1])["status"] == "unknown"


def test_integrate_encloses_a_closed_form():
    r = run("integrate", "exp(-x**2)", "--over", "0", "1", "--tol", "1e-8", "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output.strip().splitlines()[-1])
    mp.dps = 30
    exact = mp.sqrt(mp.pi) / 2 * mp.erf(1)
    assert doc["lower"] <= exact <= doc["upper"] and doc["upper"] - doc["lower"] <= 1e-8


def test_jensen_bounds_hold_for_a_two_point_distribution():
    r = run("jensen", "exp(x)", "--support", "-1", "2", "--mean", "0.5", "--variance", "0.5",
            "--json")  # fmt: skip
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    # X in {0.5 - d, 0.5 + d} with probability 1/2 each: mean 0.5, variance d^2 = 0.5
    mp.dps = 30
    d = mp.sqrt(mp.mpf(1) / 2)
    value = (mp.exp(mp.mpf(1) / 2 - d) + mp.exp(mp.mpf(1) / 2 + d)) / 2
    assert doc["lower"] <= value <= doc["upper"]
    assert doc["lower"] > doc["classical"][1]  # sharper than f(E X) for this convex f


def test_train_decreases_the_loss():
    r = run("train", "--task", "teacher-mlp", "--depth", "1", "--steps", "5", "--json")
    assert r.exit_code == 0, r.output
    losses = json.loads(r.output.strip().splitlines()[-1])["losses"]
    assert len(losses) == 6 and all(b <= a for a, b in zip(losses, losses[1:], strict=False))
    assert losses[-1] < losses[0]


@pytest.mark.parametrize(
    "args",
    [
        ("minimize", "x**2", "--over", "1", "0"),
        ("minimize", "x**2", "--over", "0", "1", "--plot", "/no/such/dir/p.png"),
        ("integrate", "x", "--over", "0", "1", "--tol", "-1"),
        ("jensen", "exp(x)", "--support", "-1", "2", "--mean", "3"),
        ("train", "--task", "no-such-task", "--steps", "1"),
    ],
)
def test_bad_input_is_exit_2(args):
    r = run(*args)
    assert r.exit_code == 2, r.output


def test_prove_open_box_and_excluded_point_write_v2_certificates(tmp_path):
    out = tmp_path / "p.json"
    r = run("prove", "x - sin(x)", "--over", "0", "1", "--gt", "0", "--open", "--out", str(out))
    assert r.exit_code == 0, r.output
    assert json.loads(out.read_text())["version"] == 2
    assert check_certificate(out.read_text()).ok
    r = run("prove", "x**2", "--over", "-1", "1", "--gt", "0", "--exclude", "x=0", "--out",
            str(out))  # fmt: skip
    assert r.exit_code == 0, r.output
    assert check_certificate(out.read_text()).ok
    r = run("prove", "x**2", "--over", "-1", "1", "--gt", "0", "--exclude", "x")
    assert r.exit_code == 2


def test_minimize_plot_draws_monotone_leaves(tmp_path):
    # monotone leaves have no range: they are drawn grey, not read as bounds
    from autobound.apps.cli.minimize import _plot
    from autobound.apps.optimize import minimize

    f = "(x**4 - 16*x**2 + 5*x)/2 + (y**4 - 16*y**2 + 5*y)/2"
    r = minimize(f, [(-5, 5), (-5, 5)], variables=["x", "y"], monotone_after=0)
    assert any(leaf.monotone for leaf in r.certificate.leaves)
    png = tmp_path / "boxes.png"
    _plot(r, png, 2)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("command", ["integrate", "minimize"])
def test_help_shows_the_interval_rich_would_read_as_markup(command):
    r = run(command, "--help")
    assert r.exit_code == 0 and "[lower, upper]" in " ".join(r.output.split())


def test_integrate_an_infinite_range_from_the_command_line():
    r = run("integrate", "exp(-x**2)", "--over", "-inf", "inf", "--tol", "1e-6", "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output.strip().splitlines()[-1])
    mp.dps = 30
    assert doc["status"] == "certified" and doc["lower"] <= mp.sqrt(mp.pi) <= doc["upper"]
