"""Outward interval arithmetic against the IEEE 1788 test vectors of ITF1788.

:mod:`tests.data.itf1788` holds the tightest binary64 results of the bare
``minimal_*_test`` cases.  :class:`autobound.interval.Arith` in outward mode is rigorous but
not tightest, so each of our results must **contain** the expected interval; we also check
that it is at most a few ulps wider (in the flush-to-zero range, a few times the smallest
normal number: outward steps there move by ``tiny``, see :mod:`autobound.interval`), and
count how many are exactly tightest.

Cases left out, by our conventions rather than IEEE 1788's:

* empty inputs or results, and inputs with infinite ends (the engine only meets finite
  ranges; a NaN or infinite end means "unknown");
* ``pown`` with n < 0 (the engine's ``Arith.ipow`` is for n >= 0; negative powers are
  ``1 / x**n``, checked through ``div``);
* ``log`` of intervals reaching 0 or below and ``sqrt`` of intervals reaching below 0:
  IEEE 1788 restricts the function to its domain (``log([-1, 1]) = [-inf, 0]``), while the
  engine's rules flag such ranges as domain errors before any kernel is called;
* ``pow`` except a point exponent and a base inside ``[tiny, inf)`` (``ext_pow`` encloses
  ``y**p`` for a constant p and ``y > 0``).
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from fractions import Fraction

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from autobound.interval import Arith, Interval
from autobound.interval import hi as hi_of
from autobound.interval import lo as lo_of
from autobound.rules.kernels import ext, ext_pow, ext_sincos, ext_tan
from autobound.ulp_table import margin
from tests.data.itf1788 import CASES

A = Arith("outward", jnp.float64)
TINY = float(np.finfo(np.float64).tiny)

# op -> our enclosure, as a function of the op's parameter (pown's n, pow's exponent, else
# None) and the input intervals.
OPS = {
    "neg": lambda _, a: A.neg(a),
    "add": lambda _, a, b: A.add(a, b),
    "sub": lambda _, a, b: A.sub(a, b),
    "mul": lambda _, a, b: A.mul(a, b),
    "div": lambda _, a, b: A.div(a, b),
    "recip": lambda _, a: A.div(1, a),
    "sqr": lambda _, a: A.square(a),
    "pown": lambda n, a: A.ipow(a, n),
    "exp": lambda _, a: ext(A, "exp", a),
    "log": lambda _, a: ext(A, "log", a),
    "sqrt": lambda _, a: ext(A, "sqrt", a),
    "atan": lambda _, a: ext(A, "atan", a),
    "tanh": lambda _, a: ext(A, "tanh", a),
    "sin": lambda _, a: ext_sincos(A, a, "sin"),
    "cos": lambda _, a: ext_sincos(A, a, "cos"),
    "tan": lambda _, a: ext_tan(A, a),
    "pow": lambda p, a: ext_pow(A, a, p),
}
# Ops computed by a library kernel: their results carry the kernel's measured margin.
KERNEL_OPS = {"exp", "log", "sqrt", "atan", "tanh", "sin", "cos", "tan", "pow"}


def _finite(pair) -> bool:
    return pair is not None and math.isfinite(pair[0]) and math.isfinite(pair[1])


def _param(case):
    """pown's integer n, pow's (point) exponent, else None."""
    if case["op"] == "pown":
        return case["inputs"][1]
    if case["op"] == "pow":
        return case["inputs"][1][0]
    return None


def _intervals(case) -> list:
    return case["inputs"][:1] if case["op"] in ("pown", "pow") else case["inputs"]


def _taken(case) -> bool:
    op, expected = case["op"], case["expected"]
    if op not in OPS or expected is None or not all(_finite(v) for v in _intervals(case)):
        return False
    a = case["inputs"][0]
    if op == "pown":
        return case["inputs"][1] >= 0
    if op == "log":
        return a[0] > 0  # log of a range reaching <= 0 is a domain error for the rules
    if op == "sqrt":
        return a[0] >= 0  # likewise sqrt of negatives
    if op == "pow":
        p = case["inputs"][1]
        return _finite(p) and p[0] == p[1] and a[0] >= TINY
    return True


TAKEN = [c for c in CASES if _taken(c)]


@functools.cache
def results(mode: str) -> tuple[tuple[float, float], ...]:
    """Our enclosure of every taken case: one call on arrays per (op, parameter), run
    eagerly or under ``jax.jit`` (as the engine runs it)."""
    groups: dict[tuple, list[int]] = {}
    for i, c in enumerate(TAKEN):
        groups.setdefault((c["op"], _param(c)), []).append(i)
    out: dict[int, tuple[float, float]] = {}
    for (op, param), idx in groups.items():
        arity = len(_intervals(TAKEN[idx[0]]))
        args = [
            Interval(jnp.asarray([TAKEN[i]["inputs"][j][0] for i in idx], jnp.float64),
                     jnp.asarray([TAKEN[i]["inputs"][j][1] for i in idx], jnp.float64))
            for j in range(arity)
        ]  # fmt: skip
        fn = functools.partial(OPS[op], param)
        r = (jax.jit(fn) if mode == "jit" else fn)(*args)
        lo, hi = (r.lo, r.hi) if isinstance(r, Interval) else (r, r)
        lo = np.broadcast_to(np.asarray(lo, np.float64), (len(idx),))
        hi = np.broadcast_to(np.asarray(hi, np.float64), (len(idx),))
        # A NaN end means "unknown" (autobound.interval.sanitize: the whole line); outward
        # steps give it on overflow, e.g. the lower end of [MAX, MAX]**2.
        lo, hi = np.where(np.isnan(lo), -np.inf, lo), np.where(np.isnan(hi), np.inf, hi)
        for k, i in enumerate(idx):
            out[i] = (float(lo[k]), float(hi[k]))
    return tuple(out[i] for i in range(len(TAKEN)))


def test_enough_cases_are_taken():
    counts = Counter(c["op"] for c in TAKEN)
    assert set(counts) == set(OPS), counts
    assert len(TAKEN) >= 380, counts


@pytest.mark.parametrize("mode", ["eager", "jit"])
def test_outward_result_contains_tightest_ieee1788_result(mode):
    missed = [
        (c["op"], c["inputs"], c["expected"], ours)
        for c, ours in zip(TAKEN, results(mode), strict=True)
        if not (ours[0] <= c["expected"][0] and c["expected"][1] <= ours[1])
    ]
    assert not missed, missed[:10]


def _ordinal(x: float) -> int:
    """Position of x among the floats (-0.0 and 0.0 share one)."""
    b = int(np.float64(x).view(np.int64))
    return b if b >= 0 else -(b & 0x7FFFFFFFFFFFFFFF)


def _close_enough(case, ours: float, want: float) -> bool:
    """Whether our end lies at most a few ulps beyond `want` (an outward step moves about 2
    ulps, and pown takes one per factor; +-inf counts as the float after +-MAX), or within the
    kernel's measured margin plus a few ``tiny`` (outward steps in the flush-to-zero range
    move by ``tiny``)."""
    op = case["op"]
    steps = 4 + (4 * case["inputs"][1] if op == "pown" else 0)
    if abs(_ordinal(ours) - _ordinal(want)) <= steps:
        return True
    slack = steps * math.ulp(want) + 4 * TINY
    if op in KERNEL_OPS:
        rel, ab = margin(op, "float64")
        slack += 4 * (rel * abs(want) + ab)
    return abs(ours - want) <= slack


def _conventionally_wide(case) -> bool:
    """Cases where our result is wide by design, not by rounding."""
    op, a = case["op"], case["inputs"][-1 if case["op"] in ("div", "recip") else 0]
    if op in ("div", "recip"):
        return a[0] <= 0 <= a[1]  # a divisor containing 0 gives the whole line (rules flag it)
    if op == "log":
        return 0 < a[0] < TINY  # XLA reads a subnormal as 0: the kernel is not used there
    if op == "tan":
        # within ~1e-9 (relative) of a pole the engine assumes the pole is inside
        t = [(v - math.pi / 2) / math.pi for v in a]
        return any(abs(v - round(v)) < 1e-8 for v in t) or math.floor(t[1]) >= math.ceil(t[0])
    return False


def test_outward_results_are_at_most_a_few_ulps_wider_than_tightest():
    tightest, not_tightest, loose = 0, Counter(), []
    for c, (lo, hi) in zip(TAKEN, results("eager"), strict=True):
        if not _finite(c["expected"]):
            continue  # overflow: the exact range is unbounded or beyond MAX
        if _conventionally_wide(c):
            continue
        want_lo, want_hi = c["expected"]
        exact = _ordinal(lo) == _ordinal(want_lo) and _ordinal(hi) == _ordinal(want_hi)
        tightest += exact
        not_tightest[c["op"]] += not exact
        if not (_close_enough(c, lo, want_lo) and _close_enough(c, hi, want_hi)):
            loose.append((c["op"], c["inputs"], c["expected"], (lo, hi)))
    # Outward rounding steps one ulp past every rounded result, even one that rounding to
    # nearest already got exactly right, so few results are tightest; `pytest -s` shows it.
    print(f"\n{tightest} of {sum(tightest + n for n in [0]) + sum(not_tightest.values())} "
          f"finite results exactly tightest; not tightest per op: "
          f"{dict(not_tightest)}")  # fmt: skip
    assert not loose, "\n".join(map(str, loose))


def test_outward_sum_of_nonnegative_terms_stays_nonnegative():
    """Higham's error term must not push a sum of terms >= 0 below 0 (sqrt(sum(x**2)) would
    then be refused as leaving sqrt's domain)."""
    A = Arith("outward", "float64")
    terms = Interval(jnp.array([0.0, 0.0, 1e-3]), jnp.array([0.25, 0.5, 0.75]))
    s = A.sum(terms, 0)
    assert float(s.lo) >= 0.0 and float(s.hi) >= 1.5
    neg = A.sum(Interval(-terms.hi, -terms.lo), 0)
    assert float(neg.hi) <= 0.0 and float(neg.lo) <= -1.5


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("c", [2, 4, -2, -8, 2.0**40, -1])
def test_outward_scaling_by_powers_of_two_is_exact_or_holds_its_overflow(dtype, c):
    """``Arith.mul`` by a Python ``±2^j`` scales each end without a rounding step: the ends
    are the exact products wherever those are finite; an end that overflows past the other
    end is held at ±M (a lower end above M still bounds the exact value from below), one
    that overflows outward stays infinite.  Points, intervals, zeros of both signs,
    infinities and ends near M."""
    A = Arith("outward", dtype)
    big = float(np.finfo(dtype).max)
    rng = np.random.default_rng(abs(int(math.log2(abs(c)))) + len(dtype))
    a = np.concatenate(
        [
            rng.standard_normal(24) * 10.0 ** rng.integers(-30, 30, 24),
            [0.0, -0.0, big, -big, big / 3, -big / 3, np.inf, -np.inf],
        ]
    ).astype(dtype)
    b = np.concatenate([a[:24] + np.abs(rng.standard_normal(24)), a[24:]]).astype(dtype)
    lo_, hi_ = np.minimum(a, b), np.maximum(a, b)
    lo_[-1], hi_[-1] = -np.inf, -np.inf  # a value below -M (an overflowed one)
    for v in (jnp.asarray(lo_), Interval(jnp.asarray(lo_), jnp.asarray(hi_))):
        r = A.mul(c, v)
        assert jax.tree.all(jax.tree.map(lambda x, y: bool(jnp.all(x == y)), r, A.mul(v, c)))
        rlo, rhi = (np.asarray(e, np.float64) for e in (lo_of(r), hi_of(r)))
        ends = (lo_, lo_) if not isinstance(v, Interval) else (lo_, hi_)
        for i in range(len(lo_)):
            e0, e1 = float(ends[0][i]), float(ends[1][i])
            if not (math.isfinite(e0) and math.isfinite(e1)):
                # infinite ends stay infinite, but a lower end of +inf (a value beyond M)
                # is held at M, an upper end of -inf at -M (negation, exact, swaps them)
                ex = sorted(math.copysign(math.inf, e * c) for e in (e0, e1))
                if c != -1:
                    ex = [min(ex[0], big), max(ex[1], -big)]
                assert (rlo[i], rhi[i]) == (ex[0], ex[1]), (i, c)
                continue
            low, high = sorted(Fraction(e) * Fraction(c) for e in (e0, e1))
            if max(abs(low), abs(high)) <= big:
                assert (Fraction(rlo[i]), Fraction(rhi[i])) == (low, high), (i, c)
                continue
            # an overflow: contained, and not the whole line
            assert rlo[i] == -math.inf or Fraction(rlo[i]) <= low, (i, c, rlo[i])
            assert rhi[i] == math.inf or high <= Fraction(rhi[i]), (i, c, rhi[i])
            assert math.isfinite(rlo[i]) or math.isfinite(rhi[i]), (i, c)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("c", [2, 4, -2, -8, 2.0**40])
def test_outward_division_by_powers_of_two_is_exact_or_holds_its_underflow(dtype, c):
    """``Arith.div`` by a Python ``±2^j`` scales each end by ``1/c`` without a rounding
    step: exact wherever the quotient is a normal number or zero; a quotient that underflows
    (flushed to zero by XLA:CPU) is replaced by ∓tiny on the side away from zero, so the
    result still contains it, and a zero of either sign stays sign-definite."""
    A = Arith("outward", dtype)
    fi = np.finfo(dtype)
    tiny = float(fi.tiny)
    rng = np.random.default_rng(abs(int(math.log2(abs(c)))) + 3 * len(dtype))
    mags = np.exp2(rng.uniform(fi.minexp, fi.maxexp - 3, 40))
    a = np.concatenate([mags * rng.choice([-1.0, 1.0], 40), [0.0, -0.0, tiny, -tiny, 3 * tiny]])
    a = a.astype(dtype)
    b = np.concatenate([a[:40] * 2 ** rng.integers(0, 3, 40), a[40:]]).astype(dtype)
    lo_, hi_ = np.minimum(a, b), np.maximum(a, b)
    r = A.div(Interval(jnp.asarray(lo_), jnp.asarray(hi_)), c)
    rlo, rhi = (np.asarray(e, np.float64) for e in (lo_of(r), hi_of(r)))
    for i in range(len(lo_)):
        low, high = sorted(Fraction(float(e)) / Fraction(c) for e in (lo_[i], hi_[i]))
        assert Fraction(rlo[i]) <= low and high <= Fraction(rhi[i]), (i, c)
        for end, exact in ((rlo[i], low), (rhi[i], high)):
            if exact == 0 or abs(exact) >= Fraction(tiny):
                assert Fraction(end) == exact, (i, c, end, exact)  # no widening
            else:
                assert abs(Fraction(end)) <= Fraction(tiny), (i, c, end, exact)
        # sign-definite ends stay so (a lower end without its sign bit proves >= 0)
        if lo_[i] >= 0 and not np.signbit(lo_[i]) and c > 0:
            assert not np.signbit(rlo[i]), (i, c)


def _random_ends(rng: np.random.Generator, size: int) -> np.ndarray:
    """Normal doubles of both signs over the whole exponent range, with exact zeros and
    ones mixed in (the cases where signs and cancellations matter)."""
    mag = np.exp(rng.uniform(np.log(TINY) + 1, np.log(np.finfo(np.float64).max) - 1, size))
    v = np.where(rng.random(size) < 0.5, -mag, mag)
    v = np.where(rng.random(size) < 0.4, rng.integers(-4, 5, size) / 4, v)  # small dyadics
    v = np.where(rng.random(size) < 0.05, 0.0, v)
    return v


@pytest.mark.parametrize("terms", [2, 3, 6])
def test_outward_dot_contains_the_exact_sum_of_products(terms):
    """``Arith.dot`` rounds a sum of interval products once: it must still contain the exact
    sum of the exact product ranges, for magnitudes from tiny to overflow, and stay within
    its error term of it where that is finite."""
    rng = np.random.default_rng(terms)
    m = 4000
    pairs, exact = [], [[Fraction(0), Fraction(0)] for _ in range(m)]
    for _ in range(terms):
        ends = [np.sort(np.stack([_random_ends(rng, m), _random_ends(rng, m)]), axis=0)]
        ends.append(np.sort(np.stack([_random_ends(rng, m), _random_ends(rng, m)]), axis=0))
        point = rng.random(2) < 0.3  # some factors are points
        for j in range(2):
            if point[j]:
                ends[j][1] = ends[j][0]
        x = ends[0][0] if point[0] else Interval(jnp.asarray(ends[0][0]), jnp.asarray(ends[0][1]))
        y = ends[1][0] if point[1] else Interval(jnp.asarray(ends[1][0]), jnp.asarray(ends[1][1]))
        pairs.append((jnp.asarray(x) if point[0] else x, jnp.asarray(y) if point[1] else y))
        for i in range(m):
            ps = [Fraction(a) * Fraction(b) for a in ends[0][:, i] for b in ends[1][:, i]]
            exact[i][0] += min(ps)
            exact[i][1] += max(ps)
    r = A.dot(pairs)
    lo_, hi_ = np.asarray(r.lo), np.asarray(r.hi)
    bad, finite = [], 0
    for i in range(m):
        ok_lo = lo_[i] == -math.inf or (not math.isnan(lo_[i]) and Fraction(lo_[i]) <= exact[i][0])
        ok_hi = hi_[i] == math.inf or (not math.isnan(hi_[i]) and Fraction(hi_[i]) >= exact[i][1])
        if not (ok_lo and ok_hi):
            bad.append((i, exact[i], lo_[i], hi_[i]))
        finite += bool(np.isfinite(lo_[i]) and np.isfinite(hi_[i]))
    assert not bad, bad[:5]
    assert finite > m // 2  # most sums do not overflow: the check is not passed by refusing
    # Tight where finite: within a few times the error term (N + 2) u sum |ends| + 2N tiny.
    for i in range(m):
        if not (np.isfinite(lo_[i]) and np.isfinite(hi_[i])):
            continue
        width = Fraction(hi_[i]) - Fraction(lo_[i]) - (exact[i][1] - exact[i][0])
        scale = sum(abs(v) for v in exact[i]) + 1
        assert width <= Fraction(4 * (terms + 4)) * Fraction(np.finfo(np.float64).eps) * scale * 4


def test_outward_dot_keeps_signs_of_nonnegative_products():
    """A sum of products proved >= 0 term by term stays >= 0 (as :meth:`Arith.add` and
    :meth:`Arith.sum` keep it), and exact factors 0 and 1 are taken as they are."""
    x = Interval(jnp.array([0.0, 0.0]), jnp.array([2.0, 3.0]))
    y = jnp.array([0.5, 0.0])
    r = A.dot([(x, x), (x, y), (x, 1), (0, x)])  # lower ends 0, the sums' error terms > 0
    assert np.all(np.asarray(r.lo) == 0.0)
    assert np.all(np.asarray(r.hi) >= np.array([7.0, 12.0]))
    neg = A.dot([(x, -y), (A.neg(x), 1)])
    assert np.all(np.asarray(neg.hi) == 0.0)


def _bilinear_ends(rng: np.random.Generator, shape, dtype) -> np.ndarray:
    """Normal numbers of both signs whose products of two and sums of a few stay finite
    (exponents up to half the range), down to products that underflow, with exact zeros
    and small dyadics mixed in."""
    fi = np.finfo(dtype)
    top = (fi.maxexp - 4) // 2
    v = np.exp2(rng.uniform(fi.minexp + 1, top, shape)) * rng.choice([-1.0, 1.0], shape)
    v = np.where(rng.random(shape) < 0.3, rng.integers(-4, 5, shape) / 4, v)
    v = np.where(rng.random(shape) < 0.05, 0.0, v)
    return v.astype(dtype)


def _matmul_layout(rng):
    """x @ y: (30, 7) by (7, 20); each output entry's pairs of factor indices."""
    rows, terms, cols = 30, 7, 20

    def pairs(out):
        i, j = out
        return [((i, t), (t, j)) for t in range(terms)]

    return (rows, terms), (terms, cols), lambda x, y: x @ y, terms, pairs


def _conv_layout(rng):
    """A 1-D convolution, 2 channels of 24 samples by 3 filters of width 4 ('VALID')."""
    channels, length, filters, width = 2, 24, 3, 4

    def conv(x, y):
        return jax.lax.conv_general_dilated(x, y, (1,), "VALID")

    def pairs(out):
        _, o, i = out
        return [((0, c, i + t), (o, c, t)) for c in range(channels) for t in range(width)]

    return (1, channels, length), (filters, channels, width), conv, channels * width, pairs


@pytest.mark.parametrize(
    "shapes, dims",
    [
        (((24, 24), (24, 24)), (((1,), (0,)), ((), ()))),
        (((2, 24, 24), (2, 24, 24)), (((2,), (1,)), ((0,), (0,)))),
        (((24, 3, 24), (24, 24)), (((0,), (1,)), ((), ()))),  # contracted axis first
    ],
    ids=["matmul", "batched", "transposed"],
)
def test_cauchy_schwarz_rounding_term_keeps_two_points_contraction_exact(shapes, dims):
    """Two points, float64, a contraction large enough (:func:`_magnitude_pays`) for the
    rounding term to come from :func:`autobound.rules.linear._dot_magnitude` (norms of the
    two sides, an outer product) instead of a second contraction: every entry contains the
    exact ``Σ_t a_t b_t`` (Fractions), over magnitudes from underflowing products to 2^±200
    with exact zeros, and the bound itself is above the exact ``Σ_t |a_t| |b_t|``."""
    from autobound.interval import _magnitude_pays
    from autobound.rules.linear import _dot_magnitude

    rng = np.random.default_rng(len(shapes[0]))
    Ad = Arith("outward", "float64")

    def side(shape):
        v = np.exp2(rng.uniform(-1000, 200, shape)) * rng.choice([-1.0, 1.0], shape)
        v = np.where(rng.random(shape) < 0.5, rng.standard_normal(shape), v)
        return np.where(rng.random(shape) < 0.05, 0.0, v)

    a, b = side(shapes[0]), side(shapes[1])
    f = functools.partial(jax.lax.dot_general, dimension_numbers=dims)
    mag = _dot_magnitude(Ad, dims)
    terms = math.prod(shapes[0][d] for d in dims[0][0])
    c = f(jnp.asarray(a), jnp.asarray(b))
    assert _magnitude_pays(jnp.asarray(a), jnp.asarray(b), c, terms)
    r = Ad.bilinear(f, jnp.asarray(a), jnp.asarray(b), terms, mag)
    bound = np.asarray(mag(jnp.abs(jnp.asarray(a)), jnp.abs(jnp.asarray(b))))
    # the exact contraction, entry by entry, through the same dot_general on object arrays
    fa, fb = (np.vectorize(Fraction, otypes=[object])(v) for v in (a, b))
    exact = _dot_general_exact(fa, fb, dims)
    exact_abs = _dot_general_exact(np.abs(fa), np.abs(fb), dims)
    rlo, rhi = np.asarray(r.lo), np.asarray(r.hi)
    assert np.all(np.isfinite(rlo)) and np.all(np.isfinite(rhi))
    for i in np.ndindex(exact.shape):
        assert Fraction(rlo[i]) <= exact[i] <= Fraction(rhi[i]), i
        assert exact_abs[i] <= Fraction(bound[i]), i


def _dot_general_exact(a: np.ndarray, b: np.ndarray, dims) -> np.ndarray:
    """dot_general of object arrays (exact Fractions): batch axes, then a's free axes, then
    b's free axes, summing over the contracted pairs."""
    (ca, cb), (ba, bb) = dims
    fa = [d for d in range(a.ndim) if d not in ca and d not in ba]
    fb = [d for d in range(b.ndim) if d not in cb and d not in bb]
    at = np.transpose(a, (*ba, *fa, *ca))
    bt = np.transpose(b, (*bb, *fb, *cb))
    nb, nc = len(ba), len(ca)
    at = at.reshape(at.shape[: at.ndim - nc] + (-1,))
    bt = bt.reshape(bt.shape[: bt.ndim - nc] + (-1,))
    batch = at.shape[:nb]
    out = np.empty(batch + at.shape[nb:-1] + bt.shape[nb:-1], dtype=object)
    for i in np.ndindex(out.shape):
        ib, ia, jb = i[:nb], i[nb : nb + len(fa)], i[nb + len(fa) :]
        out[i] = sum(at[ib + ia] * bt[ib + jb], Fraction(0))
    return out


@pytest.mark.parametrize("layout", [_matmul_layout, _conv_layout], ids=["matmul", "conv"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kinds", ["point-point", "point-interval", "interval-point", "both"])
def test_outward_bilinear_contains_the_exact_contraction(layout, dtype, kinds):
    """``Arith.bilinear`` (dot_general, convolutions) in midpoint-radius form, its rounding
    error folded into the radius contractions: every entry contains the exact range of
    ``Σ_t a_t b_t`` over the interval factors (each factor enters an entry once, so the range
    is the sum of the end-product ranges), from products that underflow to ones near the
    top of the range, and is no wider than that range plus a few times its error term."""
    rng = np.random.default_rng(len(kinds) * 7 + len(dtype))
    Ad = Arith("outward", dtype)
    a_shape, b_shape, f, terms, pairs = layout(rng)

    def factor(shape, interval):
        a = _bilinear_ends(rng, shape, dtype)
        if not interval:
            return a, a, jnp.asarray(a)
        b = _bilinear_ends(rng, shape, dtype)
        b = np.where(rng.random(shape) < 0.3, a, b)  # some thin entries
        lo_, hi_ = np.minimum(a, b), np.maximum(a, b)
        return lo_, hi_, Interval(jnp.asarray(lo_), jnp.asarray(hi_))

    ia, ib = kinds in ("interval-point", "both"), kinds in ("point-interval", "both")
    alo, ahi, a = factor(a_shape, ia)
    blo, bhi, b = factor(b_shape, ib)
    r = Ad.bilinear(f, a, b, terms)
    rlo, rhi = np.asarray(lo_of(r), np.float64), np.asarray(hi_of(r), np.float64)
    eps = Fraction(float(np.finfo(dtype).eps))
    tiny = Fraction(float(np.finfo(dtype).tiny))
    bad = []
    for out in np.ndindex(rlo.shape):
        low = high = scale = radius = Fraction(0)
        allowance = 64 * terms * tiny
        for ka, kb in pairs(out):
            ea = (Fraction(float(alo[ka])), Fraction(float(ahi[ka])))
            eb = (Fraction(float(blo[kb])), Fraction(float(bhi[kb])))
            ps = [x * y for x in ea for y in eb]
            low, high, scale = low + min(ps), high + max(ps), scale + max(map(abs, ps))
            (ma, ra), (mb, rb) = ((sum(e) / 2, (e[1] - e[0]) / 2) for e in (ea, eb))
            radius += abs(ma) * rb + ra * abs(mb) + ra * rb  # midpoint-radius form
            allowance += tiny * (abs(ma) + ra + abs(mb) + rb)  # underflowing g|m| as tiny
        lo_, hi_ = rlo[out], rhi[out]
        # nothing overflows here: no refusal passes the test
        assert math.isfinite(lo_) and math.isfinite(hi_), out
        if not (Fraction(lo_) <= low and high <= Fraction(hi_)):
            bad.append((out, float(low), float(high), lo_, hi_))
        excess = (Fraction(hi_) - Fraction(lo_)) - 2 * radius
        assert excess <= 8 * (terms + 4) * eps * scale + allowance, out
    assert not bad, bad[:5]
