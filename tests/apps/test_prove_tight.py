"""Tight claims: f - c touches 0 at a box end, an excluded point or inside the box.  The prover
proves them by the order of contact, the checker re-proves that by its own means, and a
tampered version-2 certificate is rejected."""

import copy
import json

import pytest
from mpmath import mp

from autobound.apps.prove import prove
from autobound.errors import InvalidArgument, InvalidRegion
from autobound.verify import check_certificate
from autobound.verify.exact import read_number

TIGHT = {
    # interior contact of order 2 at 0 (found by the local search)
    "exp_ge": ("exp(x) - 1 - x", [(-1, 1)], "ge", 0, {}),
    # contact of order 3 at the open end 0
    "x_minus_sin": ("x - sin(x)", [(0, 1)], "gt", 0, {"open_ends": [(True, False)]}),
    # an upper claim, contact of order 2 at the end 0
    "log_le": ("log(1 + x) - x", [(0, 2)], "le", 0, {}),
    # order 4, interior: leaves near 0 shrink until the checker's own bound has the sign
    "cos_ge": ("cos(x) - 1 + x**2/2", [(-2, 2)], "ge", 0, {}),
    # an excluded point with contacts on both sides
    "square_gt": ("x**2", [(-1, 1)], "gt", 0, {"exclude": [{"x": 0}]}),
    # kinks at the excluded contact point: abs(x) and abs(exp(x) - 1) both turn at 0 (the
    # engine and the checker must know exp(0) - 1 = 0 exactly to take each side's branch)
    "abs_exp": (
        "7*abs(x)/4 - abs(exp(x) - 1)",
        [(-1, 1)],
        "gt",
        0,
        {"exclude": [{"x": 0}], "open_ends": [(True, True)]},
    ),
}


@pytest.fixture(scope="module")
def proofs():
    return {k: prove(f, box, claim, v, **kw) for k, (f, box, claim, v, kw) in TIGHT.items()}


@pytest.mark.parametrize("name", sorted(TIGHT))
def test_tight_claims_are_proved_with_contacts_and_the_checker_agrees(proofs, name):
    p = proofs[name]
    assert p.status == "proved", p.message
    cert = p.certificate
    assert cert.version == 2
    assert any(leaf.contact is not None for leaf in cert.leaves)
    verdict = check_certificate(cert.to_json())
    assert verdict.ok, verdict.reason


def test_a_strict_claim_at_a_closed_zero_is_disproved_at_that_point():
    p = prove("x - sin(x)", [(0, 1)], "gt", 0)
    assert p.status == "disproved" and p.counterexample == (0.0,)


def test_a_false_tight_claim_is_disproved_with_a_point_checked_in_mpmath():
    p = prove("exp(x) - 1 - x - x**2/2", [(-1, 1)], "ge", 0)
    assert p.status == "disproved"
    (x,) = p.counterexample
    mp.dps = 50
    assert -1 <= x <= 1
    assert mp.exp(x) - 1 - x - mp.mpf(x) ** 2 / 2 < 0


def _tampered(proof, change):
    doc = json.loads(proof.certificate.to_json())
    doc = copy.deepcopy(doc)
    change(doc)
    return check_certificate(json.dumps(doc))


def _contact_leaf(doc):
    return next(leaf for leaf in doc["leaves"] if leaf.get("contact"))


def test_a_changed_contact_order_is_rejected(proofs):
    for delta in (-1, 1):

        def change(doc, delta=delta):
            leaf = _contact_leaf(doc)
            leaf["contact"]["order"] += delta

        verdict = _tampered(proofs["exp_ge"], change)
        assert not verdict.ok


def test_a_contact_moved_to_the_other_end_is_rejected(proofs):
    def change(doc):
        leaf = _contact_leaf(doc)
        leaf["contact"]["at"] = "hi" if leaf["contact"]["at"] == "lo" else "lo"

    assert not _tampered(proofs["exp_ge"], change).ok


def test_a_closed_open_end_is_rejected(proofs):
    def change(doc):
        doc["open_ends"] = [[False, False]]

    verdict = _tampered(proofs["x_minus_sin"], change)
    assert not verdict.ok and "not left out" in verdict.reason


def test_a_moved_excluded_point_is_rejected(proofs):
    def change(doc):
        doc["excluded"] = [["1/2"]]

    verdict = _tampered(proofs["square_gt"], change)
    assert not verdict.ok and "not left out" in verdict.reason


def test_a_version_1_certificate_cannot_carry_contacts(proofs):
    def change(doc):
        doc["version"] = 1
        doc.pop("excluded", None)
        doc.pop("open_ends", None)

    verdict = _tampered(proofs["exp_ge"], change)
    assert not verdict.ok and "version-1" in verdict.reason


def test_a_contact_on_a_claim_with_slack_lowered_to_zero_is_rejected(proofs):
    # the claim value is part of what must vanish exactly: c = -1/10 does not touch f there
    def change(doc):
        doc["claim"]["value"] = "-1/10"

    verdict = _tampered(proofs["exp_ge"], change)
    assert not verdict.ok and "does not vanish" in verdict.reason


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"exclude": [{"x": 3}]}, InvalidRegion, "outside the box"),
        ({"exclude": [{"y": 0}]}, InvalidArgument, "names every variable"),
        ({"open_ends": [(True, False), (False, False)]}, InvalidArgument, "one .lo_open"),
        ({"exclude": [(0, 1)]}, InvalidArgument, "1 coordinate"),
    ],
)
def test_bad_exclusions_are_named(kwargs, error, match):
    with pytest.raises(error, match=match):
        prove("x**2", [(-1, 1)], "gt", 0, **kwargs)


def test_excluded_points_are_exact_in_the_certificate(proofs):
    cert = proofs["square_gt"].certificate
    assert [[read_number(v) for v in p] for p in cert.excluded] == [[0]]


def test_a_claim_false_only_in_a_narrow_dip_is_disproved_by_the_local_search():
    # 1 + x^2 - 1.001 exp(-100 (x - 0.3)^2) - 0.09 is below 0 only on (0.2927, 0.3013),
    # between box centres; the local search finds the dip
    # (three boxes could not reach it by bisection: the dip is found before the search)
    p = prove("1 + x**2 - 1.001*exp(-100*(x - 0.3)**2) - 0.09", [(-1, 1)], "ge", 0, max_boxes=3)
    assert p.status == "disproved"
    (x,) = p.counterexample
    mp.dps = 40
    x = mp.mpf(x)
    assert 1 + x**2 - mp.mpf("1.001") * mp.exp(-100 * (x - mp.mpf("0.3")) ** 2) - mp.mpf("0.09") < 0
