"""Sharper Jensen bounds: they hold for distributions with the given moments (computed in
mpmath at 50 digits), beat the classical f(E X) for convex f, and bad moments are named."""

from fractions import Fraction

import mpmath
import pytest

from autobound.apps.jensen import jensen_bounds
from autobound.errors import DomainError, InvalidArgument, InvalidRegion

mpmath.mp.dps = 50

FUNCTIONS = {
    "log(1 + exp(x))": lambda x: mpmath.log(1 + mpmath.exp(x)),
    "exp(x)": mpmath.exp,
    "-log(x)": lambda x: -mpmath.log(x),
    "sin(x)": mpmath.sin,
}
# (support, mean, variance); -log(x) gets a positive support.
CASES = {
    "log(1 + exp(x))": ((-1, 2), 0.3, 0.2),
    "exp(x)": ((-1, 2), 0.3, 1.5),
    "-log(x)": ((0.25, 3), 1.0, 0.4),
    "sin(x)": ((-2, 3), 0.5, 1.0),
}


def _distributions(a, b, mu, s2):
    """Discrete distributions [(point, mass)] on [a, b] with mean mu and variance s2 exactly
    (up to mpmath's 50 digits): two-point ones with one point at an end, or a chosen spread,
    and the three-point one on {a, mu, b}."""
    a, b, mu, s2 = (
        mpmath.mpf(Fraction(v).numerator) / Fraction(v).denominator for v in (a, b, mu, s2)
    )
    out = []
    for p in (s2 / (s2 + (b - mu) ** 2), (mu - a) ** 2 / (s2 + (mu - a) ** 2), mpmath.mpf(1) / 2):
        # mass p at mu + s*sqrt((1-p)/p), 1-p at mu - s*sqrt(p/(1-p)).
        s = mpmath.sqrt(s2)
        hi, lo = mu + s * mpmath.sqrt((1 - p) / p), mu - s * mpmath.sqrt(p / (1 - p))
        if a <= lo and hi <= b:
            out.append([(hi, p), (lo, 1 - p)])
    pa, pb = s2 / ((mu - a) * (b - a)), s2 / ((b - mu) * (b - a))
    out.append([(a, pa), (b, pb), (mu, 1 - pa - pb)])
    for d in out:
        m = sum(w * x for x, w in d)
        v = sum(w * (x - m) ** 2 for x, w in d)
        assert abs(m - mu) < 1e-40 and abs(v - s2) < 1e-40 and all(w >= 0 for _, w in d)
    return out


def _expect(d, g):
    return sum(w * g(x) for x, w in d)


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_bound_contains_expectation_of_every_sampled_distribution_with_the_moments(name):
    support, mu, s2 = CASES[name]
    degrees = (1, 2, 3) if name in ("log(1 + exp(x))", "sin(x)") else (2,)
    dists = _distributions(*support, mu, s2)
    assert len(dists) >= 3
    for k in degrees:
        j = jensen_bounds(name, support=support, mean=mu, variance=s2, degree=k)
        assert j.lower <= j.upper
        for d in dists:
            v = _expect(d, FUNCTIONS[name])
            assert j.lower <= v <= j.upper, (name, k, d, v, j.lower, j.upper)


@pytest.mark.parametrize("name", ["log(1 + exp(x))", "exp(x)", "-log(x)"])
def test_lower_bound_is_strictly_sharper_than_classical_jensen_for_convex_f(name):
    support, mu, s2 = CASES[name]
    j = jensen_bounds(name, support=support, mean=mu, variance=s2)
    f_mu = FUNCTIONS[name](mpmath.mpf(mu))
    assert j.classical[0] <= f_mu <= j.classical[1]
    assert j.lower > j.classical[1] >= f_mu  # classical: f(mean) enclosed, exactly where it can be
    # With zero variance X = mu: the bound collapses onto f(mu).
    j0 = jensen_bounds(name, support=support, mean=mu, variance=0)
    assert j0.lower <= f_mu <= j0.upper and j0.upper - j0.lower < 1e-12


def test_higher_moments_from_a_distribution_are_used_and_contain_its_expectation():
    # A three-point distribution with rational points and masses: its raw moments exactly.
    d = [
        (Fraction(-1), Fraction(1, 5)),
        (Fraction(1, 2), Fraction(1, 2)),
        (Fraction(2), Fraction(3, 10)),
    ]
    raw = [sum(w * x**i for x, w in d) for i in range(1, 5)]
    md = [
        (mpmath.mpf(x.numerator) / x.denominator, mpmath.mpf(w.numerator) / w.denominator)
        for x, w in d
    ]
    for name in ("exp(x)", "sin(x)"):
        v = _expect(md, FUNCTIONS[name])
        j2 = jensen_bounds(name, support=(-1, 2), moments=raw[:2])
        j4 = jensen_bounds(name, support=(-1, 2), moments=raw, degree=4)
        assert j2.lower <= v <= j2.upper and j4.lower <= v <= j4.upper
        assert j4.upper - j4.lower < j2.upper - j2.lower  # more moments, a tighter bound
    # Mean and variance as decimal strings (read exactly; the mean is not a float here).
    jd = jensen_bounds("exp(x)", support=("-1", "2"), mean="0.3", variance="0.2")
    for dist in _distributions(-1, 2, Fraction("0.3"), Fraction("0.2")):
        assert jd.lower <= _expect(dist, mpmath.exp) <= jd.upper


def test_proof_is_latex_with_the_enclosure_and_the_final_bounds():
    j = jensen_bounds("log(1 + exp(x))", support=(-1, 2), mean=0.3, variance=0.2)
    text = j.proof()
    assert text.startswith(r"\begin{aligned}") and text.endswith(r"\end{aligned}")
    assert "E[g(X) W^{2}]" in text and "(x - x_0)^{2}" in text and r"\le E f(X) \le" in text


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        (dict(support=(0, float("inf")), mean=1, variance=1), InvalidRegion, "not finite"),
        (dict(support=(2, 1), mean=1.5, variance=0.1), InvalidRegion, "a < b"),
        (dict(support=(0, 1), mean=1.5, variance=0.1), InvalidArgument, "outside the support"),
        (dict(support=(0, 1), mean=0.5, variance=-0.1), InvalidArgument, ">= 0"),
        (dict(support=(0, 1), mean=0.5, variance=0.3), InvalidArgument, "Bhatia-Davis"),
        # central 4th moment 0.01 < variance**2 = 0.04: the Hankel matrix is not PSD.
        (dict(support=(-1, 1), moments=[0, 0.2, 0, 0.01]), InvalidArgument, "Hankel"),
        (
            dict(support=(-1, 1), mean=0, variance=0.1, moments=[0, 0.1]),
            InvalidArgument,
            "not both",
        ),
        (dict(support=(-1, 1), variance=0.1), InvalidArgument, "mean is required"),
        (dict(support=(-1, 1), mean=0, variance=0.1, degree=0), InvalidArgument, "degree"),
        (dict(support=(-1, 1), mean="zero", variance=0.1), InvalidArgument, "mean"),
    ],
)
def test_bad_input_names_the_violated_condition(kwargs, error, words):
    with pytest.raises(error, match=words):
        jensen_bounds("exp(x)", **kwargs)


def test_function_undefined_on_the_support_is_a_domain_error():
    with pytest.raises(DomainError, match="support"):
        jensen_bounds("-log(x)", support=(-1, 1), mean=0.5, variance=0.1)
