"""verify.quadratic (the anchored quadratic bound, exact) and the anchors of certificates."""

import json
import random
from fractions import Fraction as F

import numpy as np
import pytest

from autobound.apps.optimize import minimize
from autobound.verify import check_certificate
from autobound.verify.certificate import Leaf, enclosure_range, load
from autobound.verify.exact import read_number, write_number
from autobound.verify.quadratic import positive_definite, quadratic_lower


def _rational(rng, scale=4):
    return F(rng.randint(-scale * 64, scale * 64), 64)


def test_positive_definite_agrees_with_the_eigenvalues():
    rng = random.Random(1)
    seen = {True: 0, False: 0}
    for _ in range(200):
        n = rng.randint(1, 4)
        A = [[_rational(rng) for _ in range(n)] for _ in range(n)]
        shift = _rational(rng)
        M = [[sum(A[i][k] * A[j][k] for k in range(n)) + (shift if i == j else 0)
              for j in range(n)] for i in range(n)]  # fmt: skip
        eig = np.linalg.eigvalsh(np.array(M, dtype=float))
        if abs(eig).min() < 1e-9:
            continue  # too close to singular for the float reference
        want = bool(eig.min() > 0)
        assert positive_definite(M) is want
        seen[want] += 1
    assert min(seen.values()) >= 30  # both answers are exercised


def test_bound_holds_at_every_point_for_every_choice_of_coefficients():
    rng = random.Random(2)
    checked = 0
    for _ in range(150):
        n = rng.randint(1, 3)
        pairs = lambda: tuple(sorted((_rational(rng, 2), _rational(rng, 2))))  # noqa: E731
        g = [pairs() for _ in range(n)]
        Q = [[pairs() for _ in range(n)] for _ in range(n)]
        for i in range(n):  # a dominant positive diagonal: usually positive definite
            Q[i][i] = (Q[i][i][0] + 3 * n, Q[i][i][1] + 3 * n)
        spans = [(-abs(_rational(rng, 1)) - F(1, 8), abs(_rational(rng, 1))) for _ in range(n)]
        u = [a + (b - a) * F(rng.randint(0, 8), 8) for a, b in spans]
        bound = quadratic_lower(F(1), g, Q, spans, u)
        if bound is None:
            continue
        checked += 1
        for _ in range(20):
            d = [a + (b - a) * F(rng.randint(0, 16), 16) for a, b in spans]
            gc = [s + (t - s) * F(rng.randint(0, 4), 4) for s, t in g]
            Qc = [[s + (t - s) * F(rng.randint(0, 4), 4) for s, t in row] for row in Q]
            value = 1 + sum(gc[j] * d[j] for j in range(n))
            value += sum(Qc[i][j] * d[i] * d[j] for i in range(n) for j in range(n))
            assert bound <= value
    assert checked >= 120


def test_bound_is_the_minimum_of_a_convex_quadratic_at_its_minimizer():
    # 1 + z0 - z1 + z0^2 + z1^2 - z0 z1: minimizer (-1/3, 1/3), minimum 2/3
    Q = [[(F(1), F(1)), (F(-1, 2), F(-1, 2))], [(F(-1, 2), F(-1, 2)), (F(1), F(1))]]
    g = [(F(1), F(1)), (F(-1), F(-1))]
    spans = [(F(-1), F(1))] * 2
    assert quadratic_lower(F(1), g, Q, spans, [F(-1, 3), F(1, 3)]) == F(2, 3)
    assert quadratic_lower(F(1), g, Q, spans, [F(0), F(0)]) < F(2, 3)  # any anchor: weaker
    indefinite = [[(F(1), F(1)), (F(2), F(2))], [(F(2), F(2)), (F(1), F(1))]]
    assert quadratic_lower(F(1), g, indefinite, spans, [F(0), F(0)]) is None


# -- anchors in certificates -------------------------------------------------------------------


@pytest.fixture(scope="module")
def trid():
    # a coupled convex quadratic: term-by-term ranges need many boxes, the anchored bound one
    f = "(x - 1)**2 + (y - 1)**2 + (z - 1)**2 - x*y - y*z"  # min -7 at (3, 4, 3)
    r = minimize(f, [(-9, 9)] * 3, tol=1e-6, variables=["x", "y", "z"])
    assert r.status == "certified" and r.lower <= -7 <= r.upper
    return r


def test_anchored_leaves_check(trid):
    cert = trid.certificate
    assert trid.boxes <= 3 and any(leaf.anchor is not None for leaf in cert.leaves)
    verdict = check_certificate(cert.to_json())
    assert verdict.ok, str(verdict)


def test_a_moved_anchor_is_rejected(trid):
    doc = json.loads(trid.certificate.to_json())
    leaf = next(leaf for leaf in doc["leaves"] if "anchor" in leaf)
    leaf["anchor"] = [write_number(read_number(v) + 1) for v in leaf["anchor"]]
    verdict = check_certificate(json.dumps(doc))
    assert not verdict.ok and "enclosure gives the range" in verdict.reason


def test_anchors_need_version_2_and_degree_2(trid):
    doc = json.loads(trid.certificate.to_json())
    v1 = dict(doc, version=1)
    verdict = check_certificate(json.dumps(v1))
    assert not verdict.ok and "version-1" in verdict.reason
    leaf = Leaf.model_validate(next(leaf for leaf in doc["leaves"] if "anchor" in leaf))
    degree1 = leaf.model_copy(update={"coefficients": leaf.coefficients[:2]})
    with pytest.raises(Exception, match="degree-2"):
        enclosure_range(degree1, 3)
    short = leaf.model_copy(update={"anchor": leaf.anchor[:2]})
    with pytest.raises(Exception, match="anchor has 2 entries"):
        enclosure_range(short, 3)
    assert load(json.dumps(doc)).leaves[0].anchor is not None
