"""autobound.poly: evaluate / range / integral / width of Taylor enclosures, checked exactly.

The references are exact rational sums over the float coefficients and box (Fractions); the
integral's reference splits the box into orthants around x0 (where every monomial has one
sign), which is a different route from the module's positive/negative-part products.  In
outward mode every result must contain the exact value; in nearest mode it must be close.
Each structure (shapes, degree, rounding) compiles once: all boxes of a structure go through
one ``jax.jit(jax.vmap(...))``.
"""

import itertools
import math
from fractions import Fraction as F

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest

import autobound as ab
from autobound import poly
from autobound.errors import InvalidArgument, ShapeMismatch
from autobound.interval import Interval

jax.config.update("jax_enable_x64", True)

ROUNDINGS = ["nearest", "outward"]


def _everything(e, xs):
    return poly.evaluate(e, xs), poly.range(e), poly.integral(e), poly.width(e)


_BATCHED = jax.jit(jax.vmap(_everything))


# -- random enclosures -------------------------------------------------------------------------

BOX_KINDS = ["inside", "at_lo", "at_hi", "corner", "straddle", "x0_zero", "zero", "flat", "tiny"]


def _box(rng, n, kind):
    lo = rng.uniform(-2.0, 1.0, n)
    hi = lo + rng.uniform(0.05, 1.5, n)
    if kind in ("straddle", "x0_zero"):
        lo, hi = -rng.uniform(0.1, 1.5, n), rng.uniform(0.1, 1.5, n)
    if kind == "tiny":
        hi = lo + rng.uniform(1e-10, 1e-8, n)
    x0 = lo + (hi - lo) * rng.uniform(0.0, 1.0, n)
    if kind == "at_lo":
        x0 = lo.copy()
    elif kind == "at_hi":
        x0 = hi.copy()
    elif kind == "corner":
        x0 = np.where(rng.uniform(size=n) < 0.5, lo, hi)
    elif kind == "x0_zero":
        x0 = np.zeros(n)
    elif kind == "zero":
        lo, hi = x0.copy(), x0.copy()
    elif kind == "flat":
        lo[0] = hi[0] = x0[0]
    return x0, lo, hi


def _random_batch(rng, x_shape, degree, out, rounding, points=5):
    """len(BOX_KINDS) enclosures of one structure stacked on a leading axis, points x in
    each box, and the same data as float64 numpy for the exact references."""
    n = max(1, math.prod(x_shape))
    interval_degrees = {degree, min(1, degree)}  # the last and degree 1 (or 0) are intervals
    boxes, coeffs, xs = [], [], []
    for kind in BOX_KINDS:
        x0, lo, hi = _box(rng, n, kind)
        boxes.append((x0, lo, hi))
        cs = []
        for i in range(degree + 1):
            a = rng.normal(size=out + (n,) * i) * 10.0 ** rng.uniform(-1, 1)
            b = a + rng.uniform(0.0, 0.5, a.shape) if i in interval_degrees else a
            cs.append((a, b))
        coeffs.append(cs)
        t = rng.uniform(0.0, 1.0, (points - 3, n))
        xs.append(np.stack([lo, hi, x0, *(lo + (hi - lo) * t)]))
    stack = lambda vs, shape: jnp.asarray(np.stack([v.reshape(shape) for v in vs]))  # noqa: E731
    cs = []
    for i in range(degree + 1):
        shape = out + x_shape * i
        a = stack([c[i][0] for c in coeffs], shape)
        b = stack([c[i][1] for c in coeffs], shape)
        cs.append(Interval(a, b) if i in interval_degrees else a)
    e = poly.as_enclosure(
        cs, *(stack([b[j] for b in boxes], x_shape) for j in range(3)), rounding=rounding
    )
    xs_j = stack(xs, (points,) + x_shape)
    return e, xs_j, boxes, coeffs, np.stack(xs)


# -- exact references --------------------------------------------------------------------------


def _terms(cs, n, o):
    """(exponent vector, a, b) per multi-index of every degree, output entry o, as Fractions."""
    for i, (a, b) in enumerate(cs):
        a, b = a.reshape(-1, n**i)[o], b.reshape(-1, n**i)[o]
        for t, m in enumerate(itertools.product(range(n), repeat=i)):
            yield [m.count(j) for j in range(n)], F(float(a[t])), F(float(b[t]))


def _mono(z, e):
    return math.prod((zj**k for zj, k in zip(z, e, strict=True)), start=F(1))


def _power_range(s, t, k):
    ends = (s**k, t**k)
    if k and k % 2 == 0 and s < 0 < t:
        return F(0), max(ends)
    return min(ends), max(ends)


def exact_evaluate(cs, x0, x, n, o):
    z = [F(float(v)) - F(float(c)) for v, c in zip(x, x0, strict=True)]
    lo = hi = F(0)
    for e, a, b in _terms(cs, n, o):
        m = _mono(z, e)
        lo, hi = lo + min(a * m, b * m), hi + max(a * m, b * m)
    return lo, hi


def exact_range(cs, box, n, o):
    x0, lo_, hi_ = ([F(float(v)) for v in w] for w in box)
    zs = [(s - c, t - c) for s, t, c in zip(lo_, hi_, x0, strict=True)]
    lo = hi = F(0)
    for e, a, b in _terms(cs, n, o):
        rlo, rhi = F(1), F(1)
        for (s, t), k in zip(zs, e, strict=True):
            plo, phi = _power_range(s, t, k)
            ps = (rlo * plo, rlo * phi, rhi * plo, rhi * phi)
            rlo, rhi = min(ps), max(ps)
        ps = (a * rlo, a * rhi, b * rlo, b * rhi)
        lo, hi = lo + min(ps), hi + max(ps)
    return lo, hi


def exact_integral(cs, box, n, o):
    """∫ lower and ∫ upper over the box, orthant by orthant around x0 (a monomial keeps one
    sign on each orthant, so min(a m, b m) is a polynomial there)."""
    x0, lo_, hi_ = ([F(float(v)) for v in w] for w in box)
    sides = [((s - c, F(0)), (F(0), t - c)) for s, t, c in zip(lo_, hi_, x0, strict=True)]
    terms = list(_terms(cs, n, o))
    lo = hi = F(0)
    for orthant in itertools.product((0, 1), repeat=n):
        pieces = [sides[j][orthant[j]] for j in range(n)]
        for e, a, b in terms:
            integral = math.prod(
                (
                    (t ** (k + 1) - s ** (k + 1)) / (k + 1)
                    for (s, t), k in zip(pieces, e, strict=True)
                ),
                start=F(1),
            )
            negative = sum(k for k, side in zip(e, orthant, strict=True) if side == 0) % 2
            lo += (b if negative else a) * integral
            hi += (a if negative else b) * integral
    return lo, hi


def exact_width(cs, box, n, o):
    x0, lo_, hi_ = ([F(float(v)) for v in w] for w in box)
    r = [max(c - s, t - c) for s, t, c in zip(lo_, hi_, x0, strict=True)]
    return sum(((b - a) * _mono(r, e) for e, a, b in _terms(cs, n, o)), start=F(0))


def _scale(cs, box, n, o):
    """Σ max(|a|, |b|) · max |z^m| over the box: the size rounding errors are measured by."""
    x0, lo_, hi_ = ([F(float(v)) for v in w] for w in box)
    r = [max(c - s, t - c) for s, t, c in zip(lo_, hi_, x0, strict=True)]
    return sum((max(abs(a), abs(b)) * _mono(r, e) for e, a, b in _terms(cs, n, o)), start=F(0))


def _assert_encloses(lo, hi, exact, scale, outward, rel=1e-10):
    """[lo, hi] contains exact (outward), and both ends are within rel·scale of it."""
    lo, hi = F(float(lo)), F(float(hi))
    if outward:
        assert lo <= exact[0] and hi >= exact[1], (float(lo), float(hi), exact)
    slack = F(rel) * scale + F(1e-290)
    assert abs(lo - exact[0]) <= slack and abs(hi - exact[1]) <= slack, (lo, hi, exact)


# -- random enclosures against the exact references --------------------------------------------

STRUCTURES = [  # (x_shape, degree, out_shape)
    ((), 4, ()),
    ((1,), 0, (2,)),
    ((2,), 3, ()),
    ((3,), 2, (2,)),
    ((3,), 1, ()),
]


@pytest.mark.parametrize("rounding", ROUNDINGS)
@pytest.mark.parametrize("x_shape,degree,out", STRUCTURES)
def test_random_enclosures_match_exact_values(x_shape, degree, out, rounding):
    rng = np.random.default_rng(sum(map(ord, repr((x_shape, degree, out)))))
    e, xs, boxes, coeffs, xs_np = _random_batch(rng, x_shape, degree, out, rounding)
    got = jax.device_get(_BATCHED(e, xs))
    n, outward = max(1, math.prod(x_shape)), rounding == "outward"
    nB, nO = len(boxes), max(1, math.prod(out))
    (v_lo, v_hi), (r_lo, r_hi), (i_lo, i_hi) = (
        (r.lo.reshape(nB, -1, nO), r.hi.reshape(nB, -1, nO)) for r in got[:3]
    )
    wid = got[3].reshape(nB, nO)
    for b, (box, cs) in enumerate(zip(boxes, coeffs, strict=True)):
        vol = math.prod(
            (F(float(t)) - F(float(s)) for s, t in zip(*box[1:], strict=True)), start=F(1)
        )
        for o in range(nO):
            scale = _scale(cs, box, n, o)
            for p, x in enumerate(xs_np[b]):
                exact = exact_evaluate(cs, box[0], x, n, o)
                _assert_encloses(v_lo[b, p, o], v_hi[b, p, o], exact, scale, outward)
                if outward:  # the values at points of the box lie in the range
                    assert (
                        F(float(r_lo[b, 0, o])) <= exact[0] <= exact[1] <= F(float(r_hi[b, 0, o]))
                    )
            exact = exact_range(cs, box, n, o)
            _assert_encloses(r_lo[b, 0, o], r_hi[b, 0, o], exact, scale, outward)
            exact = exact_integral(cs, box, n, o)
            _assert_encloses(i_lo[b, 0, o], i_hi[b, 0, o], exact, scale * vol, outward)
            w, exact = F(float(wid[b, o])), exact_width(cs, box, n, o)
            assert w >= exact or not outward
            assert abs(w - exact) <= F(1e-10) * scale + F(1e-290)


def test_orthant_reference_agrees_with_the_certificate_formula():
    """The test's integral reference (orthants) equals the checker's positive/negative-part
    formula (verify.certificate.enclosure_integral), exactly, on a straddling box."""
    from verify.certificate import Leaf, enclosure_integral

    rng = np.random.default_rng(7)
    n, degree = 2, 3
    x0, lo, hi = _box(rng, n, "straddle")
    cs = []
    for i in range(degree + 1):
        a = rng.normal(size=(n,) * i)
        cs.append((a, a + rng.uniform(0, 0.5, a.shape)))
    leaf = Leaf(
        lo=[float(v).hex() for v in lo],
        hi=[float(v).hex() for v in hi],
        x0=[float(v).hex() for v in x0],
        coefficients=[
            [[float(s).hex(), float(t).hex()] for s, t in zip(a.ravel(), b.ravel(), strict=True)]
            for a, b in cs
        ],
    )
    assert enclosure_integral(leaf, n) == exact_integral(cs, (x0, lo, hi), n, 0)


# -- enclosures from the engine ----------------------------------------------------------------

_EXP_SIN = ab.enclose("exp(x)*sin(y)", degree=2, rounding="outward")
_TRACES = []


@jax.jit
@jax.vmap
def _exp_sin(x0, lo, hi, xs):
    _TRACES.append(None)
    e = _EXP_SIN(x0, lo, hi)
    return poly.range(e), poly.evaluate(e, xs), poly.width(e)


def _exp_sin_boxes(rng, count=12):
    kinds = ["straddle", "corner", "inside", "at_lo", "zero", "x0_zero"]
    boxes = [_box(rng, 2, kinds[i % len(kinds)]) for i in range(count)]
    x0, lo, hi = (np.stack([b[j] for b in boxes]) for j in range(3))
    xs = lo[:, None] + (hi - lo)[:, None] * rng.uniform(0, 1, (count, 20, 2))
    return x0, lo, hi, xs


def test_range_and_values_contain_exp_sin_and_compile_once():
    rng = np.random.default_rng(3)
    for _ in range(2):  # two batches of new boxes: one trace of the vmapped program
        x0, lo, hi, xs = _exp_sin_boxes(rng)
        r, v, w = jax.device_get(_exp_sin(x0, lo, hi, xs))
        with mp.workdps(40):
            for b in range(len(x0)):
                assert 0 <= w[b] < 10.0
                for p in range(xs.shape[1]):
                    x, y = (mp.mpf(float(c)) for c in xs[b, p])
                    f = mp.exp(x) * mp.sin(y)
                    assert r.lo[b] <= f <= r.hi[b]
                    assert v.lo[b, p] <= f <= v.hi[b, p]
                    # width bounds the exact upper − lower (evaluate adds its own rounding)
                    assert v.hi[b, p] - v.lo[b, p] <= w[b] + 1e-13 * (1 + abs(v.hi[b, p]))
    assert len(_TRACES) == 1


def test_vmap_agrees_with_single_calls():
    """The batched program of one random structure (compiled above) against one-box calls."""
    rng = np.random.default_rng(17)
    e, xs, *_ = _random_batch(rng, (3,), 2, (2,), "nearest")
    batched = jax.device_get(_BATCHED(e, xs))
    for b in range(len(BOX_KINDS)):
        one = jax.tree.map(lambda a, b=b: a[b], e)
        single = jax.device_get(_everything(one, xs[b]))
        for got, want in zip(jax.tree.leaves(batched), jax.tree.leaves(single), strict=True):
            np.testing.assert_allclose(got[b], want, rtol=1e-14, atol=1e-300)


def test_integral_of_exp_contains_the_true_value_and_is_tight():
    enc = ab.enclose("exp(x)", degree=4, rounding="outward")
    exact = mp.e - 1
    # box 0: all of [0, 1] around 0.5; boxes 1..32: a partition of [0, 1] (one program)
    edges = np.linspace(0.0, 1.0, 33)
    lo, hi = np.concatenate([[0.0], edges[:-1]]), np.concatenate([[1.0], edges[1:]])
    got = jax.device_get(
        jax.jit(jax.vmap(lambda x0, lo, hi: poly.integral(enc(x0, lo, hi))))((lo + hi) / 2, lo, hi)
    )
    with mp.workdps(40):
        assert got.lo[0] <= exact <= got.hi[0] and got.hi[0] - got.lo[0] < 1e-3
        total_lo = sum(F(float(v)) for v in got.lo[1:])
        total_hi = sum(F(float(v)) for v in got.hi[1:])
        assert mp.mpf(total_lo.numerator) / total_lo.denominator <= exact
        assert exact <= mp.mpf(total_hi.numerator) / total_hi.denominator
    assert total_hi - total_lo < F(1e-9)


def test_void_enclosure_gives_the_whole_line():
    e = ab.enclose("log(x)", degree=1)(0.5, -1.0, 1.0)  # the box leaves log's domain
    assert not bool(e.valid)
    for r in (poly.range(e), poly.integral(e)):
        assert float(r.lo) == -np.inf and float(r.hi) == np.inf


# -- rounding and the host class ---------------------------------------------------------------


def test_outward_encloses_where_nearest_rounds():
    """Point coefficients: nearest returns one float, which misses the exact (non-float)
    value; outward always contains it."""
    rng = np.random.default_rng(11)
    cs = [jnp.asarray(rng.normal(size=(2,) * i)) for i in range(3)]
    cs[-1] = Interval(cs[-1], cs[-1] + 0.25)
    x0, lo, hi = np.array([0.1, -0.3]), np.array([-0.7, -0.9]), np.array([0.3, 0.2])
    xs = lo + (hi - lo) * rng.uniform(0, 1, (40, 2))
    ref = [
        (np.asarray(c.lo), np.asarray(c.hi))
        if isinstance(c, Interval)
        else (np.asarray(c), np.asarray(c))
        for c in cs
    ]
    missed = 0
    for rounding in ROUNDINGS:
        e = poly.as_enclosure(cs, x0, lo, hi, rounding)
        v = jax.device_get(poly.evaluate(e, jnp.asarray(xs)))
        integ = jax.device_get(poly.integral(e))
        checks = [(v.lo[p], v.hi[p], exact_evaluate(ref, x0, xs[p], 2, 0)) for p in range(40)]
        checks.append((integ.lo, integ.hi, exact_integral(ref, (x0, lo, hi), 2, 0)))
        for a, b, (s, t) in checks:
            inside = F(float(a)) <= s and t <= F(float(b))
            if rounding == "outward":
                assert inside
            else:
                missed += not inside
    assert missed > 0


def test_taylor_bounds_and_as_enclosure_use_the_same_layout():
    bounder = ab.taylor_bounds("exp(x)*sin(y)", degree=2)
    tb = bounder(np.array([0.1, 0.2]), ([-0.4, 0.0], [0.5, 1.0]))
    xs = np.array([[0.0, 0.5], [-0.4, 1.0], [0.5, 0.0]])
    got = poly.evaluate(tb, xs)
    want = tb(xs)
    np.testing.assert_allclose(got.lo, want.lo, rtol=1e-13)
    np.testing.assert_allclose(got.hi, want.hi, rtol=1e-13)
    np.testing.assert_allclose(poly.width(tb), tb.width(), rtol=1e-13)
    e = poly.as_enclosure(tb.coefficients, tb.x0, *tb.x_trust_region, tb.rounding)
    assert isinstance(e, ab.TaylorEnclosure)
    np.testing.assert_array_equal(poly.range(e).lo, poly.range(tb).lo)


def test_errors():
    e = poly.as_enclosure((jnp.ones(()), jnp.ones((2,))), jnp.zeros(2), -1.0, 1.0)
    with pytest.raises(ShapeMismatch):
        poly.evaluate(e, jnp.zeros(3))
    with pytest.raises(ShapeMismatch):
        poly.range(poly.as_enclosure((jnp.ones(()), jnp.ones((3,))), jnp.zeros(2), -1.0, 1.0))
    with pytest.raises(InvalidArgument):
        poly.as_enclosure((jnp.ones(()),), 0.0, -1.0, 1.0, rounding="up")
    with pytest.raises(InvalidArgument):
        poly.range(object())
