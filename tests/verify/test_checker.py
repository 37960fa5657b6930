"""The certificate checker: accepts what the prover proved, rejects every tampered or malformed
certificate with a verdict that names the problem, and never runs certificate text."""

import copy
import json
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autobound.apps.prove import certify_integral, certify_minimum, prove
from autobound.errors import DomainError
from autobound.frontends.sympy_frontend import graph_from_string
from autobound.verify import check_certificate, evaluate_interval
from autobound.verify.certificate import (
    Leaf,
    enclosure_integral,
    enclosure_range,
)
from autobound.verify.exact import read_number, write_number
from autobound.verify.graph_json import graph_to_json
from autobound.verify.rigorous import iv_precision
from tests.strategies import as_string, bounded_refusals, checked, expressions, refused

# -- true claims, proved by the simple prover, accepted by the checker ---------------------------

CLAIMS = {
    "exp_ge": ("exp(x) - 1 - x", [(-1, 1)], "ge", "-1e-9"),
    "sin_taylor_ge": ("sin(x) - x + x**3/6", [(0, 2)], "ge", "-1e-12"),
    "log1p_le": ("log(1 + x) - x", [(0, 3)], "le", "1e-12"),
    "sigmoid_lt": ("sigmoid(x) - 1", [(-5, 5)], "lt", "0"),
    # min 1/100 at (0, 1/10): the quadratic bound proves -1/4 on one leaf, this takes splits
    "two_variables_ge": ("x**2 + y**2 - x*y + sin(x*y)", [(-1, 1), ("1/10", 1)], "ge", "1/200"),
    "softplus_gt": ("softplus(x) - relu(x)", [(-3, 3)], "gt", "0"),
    "exact_ends": ("atan(x) - x/(1 + x**2/3)", [("1/3", "7/10")], "le", "1/100"),
    # the natural extension of x - x**2/2 on [0.1, 1] reaches below 0 (log's domain): the
    # checker bisects instead of failing
    "domain_split": ("log(x - x**2/2) + 10", [("0.1", 1)], "ge", 0),
}


@pytest.fixture(scope="module")
def proofs():
    return {name: prove(f, box, kind, value) for name, (f, box, kind, value) in CLAIMS.items()}


@pytest.fixture(scope="module")
def minimum():
    return certify_minimum("x**4 - 3*x**2 + x", [(-2, 2)], tol=1e-4)


@pytest.fixture(scope="module")
def integral():
    return certify_integral("exp(-x**2)", [(0, 3)], tol=1e-5)


@pytest.mark.parametrize("name", sorted(CLAIMS))
def test_checker_accepts_what_the_prover_proved(proofs, name):
    proof = proofs[name]
    assert proof.status == "proved", proof.message
    verdict = check_certificate(proof.certificate.to_json())
    assert verdict.ok, str(verdict)
    assert verdict.leaves == len(proof.certificate.leaves)


def test_progress_reports_every_leaf_in_order(proofs):
    cert = proofs["two_variables_ge"].certificate
    seen = []
    verdict = check_certificate(cert.to_json(), progress=lambda *a: seen.append(a))
    assert verdict.ok
    n = len(cert.leaves)
    assert seen[0][0] == "reading the certificate"
    assert seen[1] == ("checking that the leaves cover the box", 0, n)
    assert [d for stage, d, t in seen[2:]] == list(range(n))
    assert all(stage == "checking the leaves" and t == n for stage, _, t in seen[2:])


def test_checker_accepts_a_certified_minimum(minimum):
    assert minimum.status == "proved"
    claim = minimum.certificate.claim
    lo, hi = read_number(claim.lower), read_number(claim.upper)
    # the true minimum of x^4 - 3x^2 + x on [-2, 2] is at x = -1.30084... (f = -3.51391...)
    assert lo <= Fraction(-3.513905) and hi >= Fraction(-3.5139055) and hi - lo < 1e-4
    assert check_certificate(minimum.certificate).ok


def test_checker_accepts_a_certified_integral(integral):
    claim = integral.certificate.claim
    lo, hi = read_number(claim.lower), read_number(claim.upper)
    true = math.sqrt(math.pi) / 2 * math.erf(3)
    assert lo <= true <= hi and hi - lo < 2e-5
    verdict = check_certificate(integral.certificate, max_splits=64)
    assert verdict.ok, str(verdict)


# -- tampering -------------------------------------------------------------------------------


def _doc(proof) -> dict:
    return json.loads(proof.certificate.to_json())


def _rejected(doc, *words, **kwargs):
    verdict = check_certificate(json.dumps(doc), **kwargs)
    assert not verdict.ok
    for word in words:
        assert word in verdict.reason, verdict.reason
    return verdict


def _nudged(text: str, direction: float) -> str:
    return write_number(np.nextafter(float(read_number(text)), direction))


def test_a_coefficient_nudged_one_ulp_is_rejected(proofs):
    # A leaf records exactly what its enclosure implies, so weakening any coefficient end by
    # one ulp (lower end down, upper end up) that loosens the implied range is caught.  (A
    # nudge that tightens the enclosure is not a forgery the records can show: the checker's
    # own bounds stand behind the claim then, see test_a_false_claim_...)
    caught = 0
    for name in ("exp_ge", "two_variables_ge", "softplus_gt"):
        doc = _doc(proofs[name])
        n = len(doc["box"])
        for index in sorted({0, len(doc["leaves"]) // 2, len(doc["leaves"]) - 1}):
            leaf = doc["leaves"][index]
            for degree, row in enumerate(leaf["coefficients"]):
                for entry in range(len(row)):
                    for end, direction in ((0, -np.inf), (1, np.inf)):
                        tampered = copy.deepcopy(doc)
                        t_leaf = tampered["leaves"][index]
                        pair = t_leaf["coefficients"][degree][entry]
                        pair[end] = _nudged(pair[end], direction)
                        low, high = enclosure_range(Leaf.model_validate(t_leaf), n)
                        rec_lo, rec_hi = (read_number(v) for v in leaf["range"])
                        if low >= rec_lo and high <= rec_hi:
                            # this end does not reach the range (e.g. c_lo * h**2), or the
                            # anchored quadratic bound of a degree-2 leaf (verify.quadratic,
                            # not monotone in the coefficients) still implies the record
                            continue
                        _rejected(tampered, "enclosure gives the range")
                        caught += 1
            assert caught >= 2  # both ends of the constant term always reach the range
    assert caught >= 12


def test_a_forged_constant_term_is_caught_at_x0(proofs):
    # Shift the constant term and the recorded range up together (consistent records): the
    # claim still holds, but the enclosure no longer contains f(x0).
    doc = _doc(proofs["exp_ge"])
    leaf = doc["leaves"][0]
    shift = Fraction(1, 10**6)
    for pair in (leaf["coefficients"][0][0], leaf["range"]):
        pair[:] = [write_number(read_number(v) + shift) for v in pair]
    _rejected(doc, "misses f(x0)")


def test_a_dropped_leaf_is_rejected(proofs):
    doc = _doc(proofs["two_variables_ge"])
    assert len(doc["leaves"]) > 1
    del doc["leaves"][len(doc["leaves"]) // 2]
    _rejected(doc, "do not cover the box")


def test_a_widened_box_is_rejected(proofs):
    doc = _doc(proofs["exp_ge"])
    doc["box"][0][1] = "1.5"
    _rejected(doc, "do not cover the box")


def test_a_leaf_reaching_outside_the_box_is_rejected(proofs):
    doc = _doc(proofs["sin_taylor_ge"])
    doc["leaves"][-1]["hi"] = ["2.5"]
    _rejected(doc, "outside the box")


def test_overlapping_leaves_are_rejected(proofs):
    doc = _doc(proofs["sin_taylor_ge"])
    doc["leaves"].append(copy.deepcopy(doc["leaves"][0]))
    _rejected(doc, "overlaps")


@pytest.mark.parametrize(
    "name, value",
    [
        # false: f(0) = 0
        ("exp_ge", "1e-3"),
        # true (the maximum is sigmoid(5) - 1 = -0.006692850924284732...) but beyond what the
        # enclosure shows (its range ends at -0.00669285092427018..., from outward rounding)
        ("sigmoid_lt", "-0.00669285092428"),
    ],
)
def test_a_tightened_claim_constant_is_rejected(proofs, name, value):
    doc = _doc(proofs[name])
    doc["claim"]["value"] = value
    _rejected(doc, "does not imply the claim")
    # moving the record's range end there too breaks its consistency
    doc["leaves"][0]["range"][0 if doc["claim"]["kind"] == "ge" else 1] = value
    _rejected(doc, "enclosure gives the range")


def test_a_lowered_claim_constant_is_still_proved(proofs):
    doc = _doc(proofs["exp_ge"])
    doc["claim"]["value"] = "-1/1000"
    assert check_certificate(json.dumps(doc)).ok


def test_a_false_claim_with_consistent_records_is_refuted_by_the_checkers_own_bounds():
    # f = x**2 - 1/100 on [-1, 1] with a made-up enclosure that claims f >= 0: the records are
    # consistent (range [0, 1] from C0 = [0, 0], C2 = [1, 1]), x0 = 1/2 ... but f(1/10) < 0.
    doc = _hand_made("x**2 - 1/100", [["-1", "1"]], {"kind": "ge", "value": "0"})
    doc["leaves"][0].update(
        x0=["0"], coefficients=[[["-1/100", "-1/100"]], [["0", "0"]], [["1", "1"]]],
        range=["0", "1"],
    )  # fmt: skip
    _rejected(doc, "enclosure gives the range")  # the range of that enclosure starts at -1/100
    doc["leaves"][0]["coefficients"][0] = [["0", "0"]]  # now consistent, but misses f(0)
    _rejected(doc, "misses f(x0)")
    # a false enclosure (the linear term dropped) whose records and x0 value are consistent:
    # f(1/2) = 6/25 is right, the range [6/25, 6/25 + 9/4] follows, the claim follows ... and
    # the checker's own bounds refuse it (f(0) = -1/100)
    doc["leaves"][0]["x0"] = ["1/2"]
    tiny = Fraction(1, 10**20)  # f(x0) is enclosed, not exact: C0 needs some width
    doc["leaves"][0]["coefficients"] = [
        [[write_number(Fraction(6, 25) - tiny), write_number(Fraction(6, 25) + tiny)]],
        [["0", "0"]],
        [["1", "1"]],
    ]
    doc["leaves"][0]["range"] = [
        write_number(Fraction(6, 25) - tiny),
        write_number(Fraction(249, 100) + tiny),
    ]
    _rejected(doc, "could not confirm")


def test_min_claim_tampering_is_rejected(minimum):
    doc = _doc(minimum)
    lowered = copy.deepcopy(doc)
    lowered["claim"]["upper"] = write_number(
        read_number(doc["claim"]["upper"]) - Fraction(1, 10**6)
    )
    _rejected(lowered, "witness")
    raised = copy.deepcopy(doc)
    raised["claim"]["lower"] = write_number(read_number(doc["claim"]["upper"]))
    _rejected(raised, "does not imply the claim")
    outside = copy.deepcopy(doc)
    outside["claim"]["witness"] = ["3"]
    _rejected(outside, "witness lies outside")


def test_integral_claim_tampering_is_rejected(integral):
    doc = _doc(integral)
    narrowed = copy.deepcopy(doc)
    narrowed["claim"]["lower"] = narrowed["claim"]["upper"]
    _rejected(narrowed, "not inside the claimed")
    # A forger lowers every degree-2 coefficient (a false enclosure; f(x0) is untouched) and
    # rewrites the records to match: only the checker's own integral can object.
    forged = copy.deepcopy(doc)
    for leaf in forged["leaves"]:
        leaf["coefficients"][2][0] = [
            write_number(read_number(v) - 10**6) for v in leaf["coefficients"][2][0]
        ]
        got = enclosure_integral(Leaf.model_validate(leaf), 1)
        leaf["integral"] = [write_number(v) for v in got]
    total = sum(read_number(leaf["integral"][1]) for leaf in forged["leaves"])
    true = math.sqrt(math.pi) / 2 * math.erf(3)
    assert total < true - 0.01  # the forged records claim a smaller integral
    forged["claim"]["lower"] = write_number(-(10**9))
    forged["claim"]["upper"] = write_number(total)
    # A forgery is never confirmed, so the check spends its whole bisection budget on it: a
    # small one (4 per leaf; 64, the default, takes half a minute here), with which the
    # genuine certificate still checks.
    assert check_certificate(json.dumps(doc), max_splits=4).ok
    _rejected(forged, "own integral bounds", max_splits=4)


def test_the_checker_gives_up_within_its_split_budget():
    # 1 - cos(x) - x**2/2 + x**4/24 = x**6/720 - ... >= -1e-30 is true with almost no slack at
    # 0; a consistent certificate for it cannot be confirmed by interval bounds in 8 splits.
    doc = _hand_made(
        "1 - cos(x) - x**2/2 + x**4/24", [["-1", "1"]], {"kind": "ge", "value": "-1e-30"}
    )
    zero = [["0", "0"]]
    doc["leaves"][0].update(
        x0=["0"], coefficients=[[["-1e-40", "1e-40"]], *[zero] * 5, [["0", "1/720"]]],
        range=["-1e-40", write_number(Fraction(1, 720) + Fraction(1, 10**40))],
    )  # fmt: skip
    verdict = _rejected(doc, "could not confirm", max_splits=8)
    assert verdict.leaf == 0


# -- malformed and hostile input ------------------------------------------------------------


def _box_arrays(lo, hi, n):
    shape = () if n == 1 else (n,)
    return (np.array(v, dtype=object).reshape(shape) for v in (lo, hi))


def _graph_doc(text: str, names=None) -> dict:
    return json.loads(graph_to_json(graph_from_string(text, names)).model_dump_json())


def _hand_made(f: str, box, claim) -> dict:
    return {
        "format": "autobound-certificate",
        "version": 1,
        "expression": {"graph": _graph_doc(f)},
        "variables": ["x"],
        "box": box,
        "claim": claim,
        "leaves": [
            {"lo": [box[0][0]], "hi": [box[0][1]], "x0": ["0"], "coefficients": [[["0", "0"]]]}
        ],
    }


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (lambda d: d.update(version=3), "version 3 is not supported"),
        (lambda d: d.update(format="something-else"), "not an autobound-certificate"),
        (lambda d: d.pop("claim"), "claim"),
        (lambda d: d.update(extra="field"), "extra"),
        (lambda d: d["claim"].update(kind="approximately"), "claim"),
        (lambda d: d["box"][0].reverse(), "box is empty or reversed"),
        (lambda d: d["leaves"][0].update(x0=["5"]), "x0 lies outside the leaf"),
        (lambda d: d["leaves"][0].update(lo=["0", "1"]), "entries for 1 variables"),
        (lambda d: d["leaves"][0]["coefficients"].append([["0", "0"], ["0", "0"]]), "expected 1"),
        (lambda d: d.update(leaves=[]), "no leaves"),
        (lambda d: d["leaves"][0]["coefficients"][2].__setitem__(0, ["2", "1"]), "is reversed"),
        (lambda d: d["expression"]["graph"].update(output=99), "not a node"),
        (lambda d: d["expression"]["graph"]["nodes"][0].update(op="input2"), "unknown op"),
        (lambda d: d["leaves"][0].update(range=["0", "x"]), "not an exact number"),
    ],
)
def test_malformed_certificates_get_a_verdict_naming_the_problem(edit, words):
    doc = _hand_made("x**2", [["-1", "1"]], {"kind": "ge", "value": "-1"})
    doc["leaves"][0]["coefficients"] = [[["0", "0"]], [["0", "0"]], [["1", "1"]]]
    doc["leaves"][0]["range"] = ["0", "1"]
    assert check_certificate(json.dumps(doc)).ok  # the unedited document is fine
    edit(doc)
    _rejected(doc, words)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("not json", "not valid JSON"),
        ("[1, 2]", "a JSON object"),
        ('{"format": "autobound-certificate", "version": 1, "box": [[-1, 1.5]]}', "JSON float"),
        ('{"format": "autobound-certificate", "version": 1, "box": [[NaN, 1]]}', "NaN"),
        ("[" * 100_000, "malformed"),
    ],
)
def test_unreadable_documents_get_a_verdict(text, words):
    _rejected_text = check_certificate(text)
    assert not _rejected_text.ok and words in _rejected_text.reason, _rejected_text.reason


def test_certificate_text_is_never_executed(tmp_path):
    marker = tmp_path / "pwned"
    payload = f"__import__('os').system('touch {marker}')"
    doc = _hand_made("x**2", [["-1", "1"]], {"kind": "ge", "value": "-1"})
    doc["leaves"][0].update(
        coefficients=[[["0", "0"]], [["0", "0"]], [["1", "1"]]], range=["0", "1"]
    )
    doc["expression"]["text"] = payload  # for people only: the checker does not read it
    assert check_certificate(json.dumps(doc)).ok
    for place in ("op", "number", "variable", "param"):
        hostile = copy.deepcopy(doc)
        nodes = hostile["expression"]["graph"]["nodes"]
        if place == "op":
            nodes[-1]["op"] = payload
        elif place == "number":
            hostile["claim"]["value"] = payload
        elif place == "variable":
            hostile["variables"] = [payload]
        else:
            nodes[-1]["params"] = {"n": {"$number": payload}}
        verdict = check_certificate(json.dumps(hostile))
        assert not marker.exists()
        assert place == "variable" or not verdict.ok
    assert not marker.exists()


def test_verdict_reads_well():
    verdict = check_certificate("{}")
    assert str(verdict).startswith("rejected: ") and not verdict
    assert json.loads(verdict.to_json())["ok"] is False


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.text(max_size=6)
    | st.sampled_from(["0", "1/3", "-1e-9", "0x1p-3", "exp", "input", "$number"]),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)  # fmt: skip


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*prefix, i))


@settings(max_examples=60)
@given(st.data())
def test_any_mutation_gets_a_verdict_never_an_exception(data):
    doc = _hand_made("exp(x)", [["-1", "1"]], {"kind": "ge", "value": "-1"})
    coefficients = [[["0.99", "1.01"]], [["1", "1"]], [["0", "1"]]]
    doc["leaves"][0].update(coefficients=coefficients, range=["-1/100", "301/100"])
    assert check_certificate(json.dumps(doc)).ok
    paths = list(_paths(doc))[1:]
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(paths))
        target = doc
        try:
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = data.draw(json_values)
        except (IndexError, TypeError, KeyError):
            continue  # an earlier mutation removed the path
    verdict = check_certificate(json.dumps(doc), max_splits=4)
    assert isinstance(verdict.ok, bool) and (verdict.ok or verdict.reason)


# -- soundness of the checker: a forged certificate never makes a false claim pass -------------


@bounded_refusals(0.2)
@settings(max_examples=25)
@given(
    st.integers(1, 2).flatmap(lambda n: st.tuples(st.just(n), expressions(n, max_depth=3))),
    st.data(),
)
def test_forged_consistent_certificates_never_pass_a_false_claim(n_and_e, data):
    # The forger's best shot: one leaf, expansion point x0 at the centre, constant term the
    # true f(x0) (so the x0 check passes) and every other coefficient 0 (so the records say
    # min f = f(x0)).  That claim is false unless x0 minimizes f; whenever the checker says ok,
    # no sampled point may break the claim.  A checker that rejected everything would pass
    # that, so the same records must also prove a claim the natural interval extension proves;
    # an example where that control cannot run (f(x0) or the natural extension fails) counts
    # as refused, and at most 20% may be.
    from mpmath import mp

    n, e = n_and_e
    text, names = as_string(e, n)
    ends = st.tuples(st.integers(-30, 30), st.integers(-30, 30)).filter(lambda t: t[0] != t[1])
    sides = [sorted(data.draw(ends)) for _ in range(n)]
    lo = [Fraction(a, 10) for a, _ in sides]
    hi = [Fraction(b, 10) for _, b in sides]
    x0 = [(a + b) / 2 for a, b in zip(lo, hi, strict=True)]
    f = lambda x: e.mp([mp.mpf(v.numerator) / v.denominator for v in x])  # noqa: E731
    with mp.workdps(50):
        try:
            fx0 = f(x0)
        except (ArithmeticError, ValueError):
            refused("f(x0) fails in mpmath")
            return
        if not mp.isfinite(fx0) or abs(fx0) > 1e12:
            refused("f(x0) is not finite or above 1e12")
            return
    c_lo = Fraction(np.nextafter(float(fx0), -np.inf))
    c_hi = Fraction(np.nextafter(float(fx0), np.inf))
    zero = ["0", "0"]
    doc = {
        "format": "autobound-certificate",
        "version": 1,
        "expression": {"graph": _graph_doc(text, names)},
        "variables": names,
        "box": [[write_number(a), write_number(b)] for a, b in zip(lo, hi, strict=True)],
        "claim": {"kind": "ge", "value": write_number(c_lo)},
        "leaves": [{
            "lo": [write_number(a) for a in lo], "hi": [write_number(b) for b in hi],
            "x0": [write_number(c) for c in x0],
            "coefficients": [[[write_number(c_lo), write_number(c_hi)]], [zero] * n, [zero] * n**2],
            "range": [write_number(c_lo), write_number(c_hi)],
        }],
    }  # fmt: skip
    # The same records with a claim the natural interval extension already proves must pass
    # (so the rejections below are not the checker refusing everything).
    try:
        with iv_precision(80):
            natural = evaluate_interval(graph_from_string(text, names), *_box_arrays(lo, hi, n))
        claim = min(Fraction(*float(natural.a).as_integer_ratio()), c_lo) - 1
    except (DomainError, ArithmeticError, ValueError, OverflowError):
        claim = None
    if claim is not None:
        doc["claim"]["value"] = write_number(claim)
        verdict = check_certificate(json.dumps(doc), max_splits=0)
        assert verdict.ok, str(verdict)
        doc["claim"]["value"] = write_number(c_lo)
        checked()
    else:
        refused("no natural-extension claim for the control")
    verdict = check_certificate(json.dumps(doc), max_splits=16)
    if not verdict.ok:
        return
    rng = np.random.default_rng(0)
    with mp.workdps(50):
        for t in rng.random((200, n)):
            x = [a + (b - a) * Fraction(float(u)) for a, b, u in zip(lo, hi, t, strict=True)]
            try:
                value = f(x)
            except (ArithmeticError, ValueError):
                continue
            assert value >= mp.mpf(float(c_lo)), (
                f"checker accepted f >= {float(c_lo)} but f({x}) = {value}"
            )


def test_the_checker_runs_without_jax(tmp_path):
    # The trusted base must not load the engine: import and run it in a fresh interpreter,
    # through the API and through `autobound check`, and look at what got imported.
    import subprocess
    import sys

    doc = _hand_made("x**2", [["-1", "1"]], {"kind": "ge", "value": "-1"})
    doc["leaves"][0].update(
        coefficients=[[["0", "0"]], [["0", "0"]], [["1", "1"]]], range=["0", "1"]
    )
    path = tmp_path / "cert.json"
    path.write_text(json.dumps(doc))
    script = f"""
import sys
from autobound.verify import check_certificate
assert check_certificate(open({str(path)!r}).read()).ok
from typer.testing import CliRunner
from autobound.apps.cli import app
result = CliRunner().invoke(app, ["check", {str(path)!r}])
assert result.exit_code == 0, result.output
loaded = [m for m in sys.modules if m.split(".")[0] in ("jax", "jaxlib")
          or m in ("autobound.api", "autobound.lower", "autobound.enclosure")]
assert not loaded, loaded
"""
    subprocess.run([sys.executable, "-c", script], check=True)


def test_numbers_beyond_float64_in_a_verdict_are_shown_not_raised(proofs):
    # a range record beyond float64's range: the verdict names it (it used to raise
    # OverflowError from float() while writing the message)
    doc = _doc(proofs["exp_ge"])
    doc["leaves"][0]["range"] = ["0x1p19990", "0x1p20000"]
    verdict = _rejected(doc, "not the recorded")
    assert len(verdict.reason) < 400
