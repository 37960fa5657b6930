"""One record per smooth elementwise function: everything the engine knows about it.

A :class:`FunctionSpec` holds a function's Taylor series, domain, library kernel (with its
range data and ulp-table key) and critical-point data; its names, doc and front-end aliases
are its :class:`~autobound.function_names.FunctionNames` entry (kept in a JAX-free module so
that :mod:`autobound.ops` and :mod:`verify` can read them).  The tables the rest of the engine
reads are derived from :data:`FUNCTIONS`:

* :data:`ELEMENTWISE` (``name -> Elementwise``, what the generic sharp routine of
  :mod:`autobound.rules.elementwise` reads; one rule per entry in :mod:`autobound.rules.smooth`);
* :data:`KERNELS` (``kernel name -> Kernel``, :func:`autobound.rules.kernels.ext` by name);
* :data:`CHANGES`, :data:`SYMPY_FORMS`, :data:`POWERS` (:mod:`autobound.rules.critical`);
* from the :class:`~autobound.function_names.FunctionNames` entries: the elementwise ops of
  ``ops.OPS``, the JAX front end's primitive table and the sympy front end's names.

The piecewise-linear functions (abs, relu, leaky_relu) have names only; their rules are in
:mod:`autobound.rules.piecewise`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from functools import partial

import jax
import mpmath
import numpy as np

from autobound.function_names import FUNCTION_NAMES, FunctionNames
from autobound.interval import Arith, Interval, Value, hi, is_interval, lo
from autobound.rules import critical as C
from autobound.rules import series as S
from autobound.rules.critical import CriticalPoints, sympy  # sympy: imported on first use
from autobound.rules.elementwise import (
    Elementwise,
    below,
    identity_series,
    ipow_remainder,
    ipow_series,
    pow_series,
)
from autobound.rules.kernels import (
    CONSTANTS,
    PI,
    Kernel,
    Periodic,
    ext,
    poles_inside,
    real_const,
    unimodal_range,
)

__all__ = ["CHANGES", "ELEMENTWISE", "FUNCTIONS", "KERNELS", "FunctionSpec"]


@dataclass(frozen=True)
class FunctionSpec:
    """A smooth elementwise function phi, described for the engine.

    **Fields:**

    - `name`: the op name; its doc and aliases (JAX primitives, string and sympy names) are
      ``FUNCTION_NAMES[name]`` (:mod:`autobound.function_names`).
    - `series(A, y, K)`: the Taylor coefficients ``[phi(y), phi'(y), ..., phi^(K)(y)/K!]`` at a
      point y, or enclosures of their ranges over an interval y
      (:mod:`autobound.rules.series`).
    - `outside(A, Y)`: boolean mask where Y reaches outside the domain (None: defined
      everywhere); the domain flag is named after the op.
    - `kernel`: how to enclose phi from its library kernel (:class:`Kernel`: the jnp function,
      direction, global range, odd sign, unimodal argmin/min, periodic extrema, poles; its
      `name` is the key of the measured error margin in :mod:`autobound.ulp_table`); None
      when phi has no kernel of its own (swish, gelu: their series build on others').
    - `critical`: where the derivatives change sign and phi^(j)/j! there
      (:class:`CriticalPoints`: a changes function with a sympy form, or a power exponent, or
      a pole); None: not known (derivative ranges then come from interval series over
      pieces).
    - `remainder(A, y0, H, k)`: optional direct enclosure of the remainder ratio (polynomials).
    - `pieces`: sub-intervals per side for the interval series (1 where the series over an
      interval is already exact: sin and cos).

    **Adding a function** (e.g. asinh):

    1. its names: a :class:`FunctionNames` entry in
       ``autobound.function_names.FUNCTION_NAMES`` (name, doc, JAX primitive, string and
       sympy names), which makes it an op of :mod:`autobound.ops` and known to both front
       ends;
    2. its mathematics: one :class:`FunctionSpec` in :data:`FUNCTIONS` below, with a series
       function written from :mod:`autobound.rules.series` (kernels of other functions by
       name through :func:`_ext`), the domain test, the kernel, and if known the critical
       points (a changes function in :mod:`autobound.rules.critical` plus a sympy form),
       then the stored critical table regenerated (``critical.write_table()``: the tests
       re-derive it and want every function's orders);
    3. if it has a kernel: its margins in :mod:`autobound.ulp_table`, measured by
       ``benchmarks/measure_ulp_errors.py``; and the independent checker's own tables in
       ``verify/`` (kept apart on purpose).

    The rule, the ops entry, the front-end aliases and the kernel and critical tables follow.
    """

    name: str
    series: Callable[[Arith, Value, int], list]
    outside: Callable[[Arith, Interval], object] | None = None
    kernel: Kernel | None = None
    critical: CriticalPoints | None = None
    remainder: Callable | None = None
    pieces: int = 24  # enough for tan near its poles (tested in test_tightness)

    @property
    def names(self) -> FunctionNames:
        return FUNCTION_NAMES[self.name]

    @property
    def elementwise(self) -> Elementwise:
        """What the generic sharp routine reads."""
        return Elementwise(
            self.name,
            self.series,
            self.outside,
            self.remainder,
            None if self.critical is None else partial(C.values_of, self.name, self.critical),
            self.pieces,
            # negative powers (rsqrt) take huge arguments to tiny values: see Elementwise
            range_fallback=self.critical is not None
            and self.critical.power is not None
            and self.critical.power < 0,
        )


# -- series ------------------------------------------------------------------------------


def _ext(A: Arith, name: str, y: Value) -> Value:
    """Range of the function with kernel `name` over y (:func:`ext`)."""
    return ext(A, KERNELS[name], y)


def _sq(A: Arith, v: list) -> list:
    """Series of v**2 (the constant term is an exact square)."""
    return [S.sq_term(A, v, n) for n in range(len(v))]


def _one_plus(A, v, sign=1):
    w = [A.mul(sign, c) for c in v]
    w[0] = A.add(1, w[0])
    return w


def _exp_series(A, y, K):
    return S.s_exp(A, identity_series(A, y, K), _ext(A, "exp", y))


def _log_series(A, y, K):
    return S.s_log(A, identity_series(A, y, K), _ext(A, "log", y))


def _log1p_series(A, y, K):
    u = identity_series(A, y, K)
    u[0] = A.add(1, y)
    return S.s_log(A, u, _ext(A, "log1p", y))


def _expm1_series(A, y, K):
    return [_ext(A, "expm1", y)] + _exp_series(A, y, K)[1:]


def _sincos_series(A, y, K):
    u = identity_series(A, y, K)
    return S.s_sincos(A, u, _ext(A, "sin", y), _ext(A, "cos", y))


def _sin_series(A, y, K):
    return _sincos_series(A, y, K)[0]


def _cos_series(A, y, K):
    return _sincos_series(A, y, K)[1]


def _sinh_series(A, y, K):
    return S.s_sincos(A, identity_series(A, y, K), _ext(A, "sinh", y), _ext(A, "cosh", y), True)[0]


def _cosh_series(A, y, K):
    return S.s_sincos(A, identity_series(A, y, K), _ext(A, "sinh", y), _ext(A, "cosh", y), True)[1]


def _one_plus_square(sign: int):
    """G(v) = 1 + sign·v² (tan: +1, tanh: −1), term m of its series."""

    def g_term(A, v, m):
        t = A.mul(sign, S.sq_term(A, v, m))
        return A.add(1, t) if m == 0 else t

    return g_term


def _logistic(A, v, m):
    """G(v) = v − v² (sigmoid), term m of its series."""
    return A.sub(v[m], S.sq_term(A, v, m))


def _ode_series(kernel: str, g_term):
    """phi' = G(phi), phi(y) from `kernel`; `g_term(A, v, m)`: term m of G(v)'s series."""

    def series(A, y, K):
        return S.s_ode(
            A, identity_series(A, y, K), _ext(A, kernel, y), lambda v, m: g_term(A, v, m)
        )

    return series


_tan_series = _ode_series("tan", _one_plus_square(1))
_tanh_series = _ode_series("tanh", _one_plus_square(-1))
_sigmoid_series = _ode_series("sigmoid", _logistic)


def _atan_like(name, square_sign):
    """atan (phi' = 1/(1 + u²), square_sign 1) and atanh (1/(1 − u²), −1)."""

    def series(A, y, K):
        if K == 0:
            return [_ext(A, name, y)]
        u = identity_series(A, y, K)
        one = [A.const(1)] + [A.const(0)] * (K - 1)
        g = S.s_div(A, one, _one_plus(A, _sq(A, u[:K]), square_sign))
        return S.integrate(A, _ext(A, name, y), u, g)

    return series


def _asin_like(name, sign, square_sign=-1):
    """asin, acos (phi' = ±(1 − u²)^(−1/2)) and asinh ((1 + u²)^(−1/2), square_sign 1)."""

    def series(A, y, K):
        if K == 0:
            return [_ext(A, name, y)]
        u = identity_series(A, y, K)
        w = _one_plus(A, _sq(A, u[:K]), square_sign)
        g = S.s_pow(A, w, Fraction(-1, 2), _ext(A, "rsqrt", w[0]))
        return S.integrate(A, _ext(A, name, y), u, [A.mul(sign, c) for c in g])

    return series


def _erf_of(A, u, e0):
    """erf of a series u given e0 = erf(u_0): erf' = 2/sqrt(pi) exp(−u^2)."""
    v = [A.neg(c) for c in _sq(A, u[:-1])] if len(u) > 1 else []
    g = S.s_exp(A, v, _ext(A, "exp", v[0])) if v else []
    c = real_const(A, CONSTANTS["2/sqrt(pi)"])
    return S.integrate(A, e0, u, [A.mul(c, t) for t in g])


def _erf_series(A, y, K):
    return _erf_of(A, identity_series(A, y, K), _ext(A, "erf", y))


def _softplus_series(A, y, K):
    u = identity_series(A, y, K)
    g = _sigmoid_series(A, y, K - 1) if K > 0 else []
    return S.integrate(A, _ext(A, "softplus", y), u, g)


def _unimodal_product(point_fn, product_series, minimum):
    """Series of a product x·F(x) whose constant term over an interval is tightened with the
    function's unimodal range (`minimum`: its argmin and minimum, mpmath numbers)."""

    def series(A, y, K):
        s = product_series(A, y, K)
        if is_interval(y):
            rng = unimodal_range(A, y, point_fn(A, y.lo), point_fn(A, y.hi), *minimum)
            s[0] = A.intersect(rng, s[0])
        else:
            s[0] = point_fn(A, y)
        return s

    return series


def _swish_point(A, y):
    return A.mul(y, _ext(A, "sigmoid", y))


def _swish_product(A, y, K):
    return S.s_mul(A, identity_series(A, y, K), _sigmoid_series(A, y, K))


def _phi_series(A, u):
    """Series of the normal CDF Phi(u) = (1 + erf(u/sqrt 2)) / 2."""
    r = real_const(A, CONSTANTS["1/sqrt2"])
    v = [A.mul(r, c) for c in u]
    e = _erf_of(A, v, _ext(A, "erf", v[0]))
    half = A.const(Fraction(1, 2))
    out = [A.mul(half, c) for c in e]
    if A.outward or is_interval(v[0]):
        out[0] = A.add(half, out[0])
    else:  # (1 + erf(v)) / 2 cancels for v << 0: erfc(−v) / 2 keeps the relative accuracy
        out[0] = 0.5 * jax.lax.erfc(-v[0])
    return out


def _gelu_point(A, y):
    return A.mul(y, _phi_series(A, [y])[0])


def _gelu_product(A, y, K):
    u = identity_series(A, y, K)
    return S.s_mul(A, u, _phi_series(A, u))


# -- domains -----------------------------------------------------------------------------


def _unit_outside(A, Y):
    return (lo(Y) < -1) | (hi(Y) > 1)


def _open_unit_outside(A, Y):
    return (lo(Y) <= -1) | (hi(Y) >= 1)


_TAN_POLES = Periodic(PI / 2, PI, 3.2)


def _tan_outside(A, Y):
    return poles_inside(A, Y, _TAN_POLES)


def _softplus(y):
    return jax.nn.softplus(y)


# -- the records ---------------------------------------------------------------------------

_TWO_PI = 2 * PI
_F = FunctionSpec
_K = Kernel
_CP = CriticalPoints
_INF = np.inf

FUNCTIONS: dict[str, FunctionSpec] = {
    f.name: f
    for f in [
        _F("exp", _exp_series,
           kernel=_K("exp", jax.numpy.exp, 1, (0.0, _INF), exact=((0.0, 1.0),)),
           critical=_CP(C.none_, lambda x: sympy.exp(x))),
        _F("log", _log_series, below(0, True),
           kernel=_K("log", jax.numpy.log, 1, exact=((1.0, 0.0),)),
           critical=_CP(C.at_zero, lambda x: sympy.log(x), pole=True)),
        _F("log1p", _log1p_series, below(-1, True),
           kernel=_K("log1p", jax.numpy.log1p, 1, odd_sign=True),
           critical=_CP(C.at_minus_one, lambda x: sympy.log(1 + x), pole=True)),
        _F("expm1", _expm1_series,
           kernel=_K("expm1", jax.numpy.expm1, 1, (-1.0, _INF), odd_sign=True),
           critical=_CP(C.none_, lambda x: sympy.exp(x) - 1)),
        _F("sqrt", pow_series("sqrt", Fraction(1, 2)), below(0, False),
           kernel=_K("sqrt", jax.numpy.sqrt, 1, (0.0, _INF), exact=((0.0, 0.0), (1.0, 1.0))),
           critical=_CP(power=Fraction(1, 2))),
        _F("rsqrt", pow_series("rsqrt", Fraction(-1, 2)), below(0, True),
           kernel=_K("rsqrt", jax.lax.rsqrt, -1, (0.0, _INF), exact=((1.0, 1.0),)),
           critical=_CP(power=Fraction(-1, 2))),
        _F("cbrt", pow_series("cbrt", Fraction(1, 3)),
           kernel=_K("cbrt", jax.numpy.cbrt, 1, odd_sign=True),
           critical=_CP(power=Fraction(1, 3))),
        _F("sin", _sin_series, pieces=1,
           kernel=_K("sin", jax.numpy.sin, 0, (-1.0, 1.0),
                     maxima=Periodic(PI / 2, _TWO_PI, 6.0),
                     minima=Periodic(-PI / 2, _TWO_PI, 6.0), exact=((0.0, 0.0),))),
        _F("cos", _cos_series, pieces=1,
           kernel=_K("cos", jax.numpy.cos, 0, (-1.0, 1.0),
                     maxima=Periodic(mpmath.mpf(0), _TWO_PI, 6.0),
                     minima=Periodic(PI, _TWO_PI, 6.0), exact=((0.0, 1.0),))),
        _F("tan", _tan_series, _tan_outside,
           kernel=_K("tan", jax.numpy.tan, 1, poles=_TAN_POLES, exact=((0.0, 0.0),))),
        _F("atan", _atan_like("atan", 1),
           kernel=_K("atan", jax.numpy.arctan, 1, (-2.0, 2.0), odd_sign=True),
           critical=_CP(C.atan_changes, lambda x: sympy.atan(x))),
        _F("asin", _asin_like("asin", 1), _unit_outside,
           kernel=_K("asin", jax.numpy.arcsin, 1, (-2.0, 2.0), odd_sign=True),
           critical=_CP(C.asin_changes, lambda x: sympy.asin(x))),
        _F("acos", _asin_like("acos", -1), _unit_outside,
           kernel=_K("acos", jax.numpy.arccos, -1, (0.0, 4.0), exact=((1.0, 0.0),)),
           critical=_CP(C.acos_changes, lambda x: sympy.acos(x))),
        _F("asinh", _asin_like("asinh", 1, 1),
           kernel=_K("asinh", jax.numpy.arcsinh, 1, odd_sign=True, exact=((0.0, 0.0),)),
           critical=_CP(C.asinh_changes, lambda x: sympy.log(x + sympy.sqrt(x**2 + 1)))),
        _F("atanh", _atan_like("atanh", -1), _open_unit_outside,
           kernel=_K("atanh", jax.numpy.arctanh, 1, odd_sign=True, exact=((0.0, 0.0),)),
           critical=_CP(C.atanh_changes, lambda x: sympy.log((1 + x) / (1 - x)) / 2)),
        _F("sinh", _sinh_series,
           kernel=_K("sinh", jax.numpy.sinh, 1, odd_sign=True),
           critical=_CP(C.sinh_changes, lambda x: (sympy.exp(x) - sympy.exp(-x)) / 2)),
        _F("cosh", _cosh_series,
           kernel=_K("cosh", jax.numpy.cosh, 0, (1.0, _INF), mpmath.mpf(0), mpmath.mpf(1),
                     exact=((0.0, 1.0),)),
           critical=_CP(C.cosh_changes, lambda x: (sympy.exp(x) + sympy.exp(-x)) / 2)),
        _F("tanh", _tanh_series,
           kernel=_K("tanh", jax.numpy.tanh, 1, (-1.0, 1.0), odd_sign=True),
           critical=_CP(C.tanh_changes, lambda x: 2 / (1 + sympy.exp(-2 * x)) - 1)),
        _F("sigmoid", _sigmoid_series,
           kernel=_K("sigmoid", jax.nn.sigmoid, 1, (0.0, 1.0), exact=((0.0, 0.5),)),
           critical=_CP(C.sigmoid_changes, lambda x: 1 / (1 + sympy.exp(-x)))),
        _F("softplus", _softplus_series,
           kernel=_K("softplus", _softplus, 1, (0.0, _INF)),
           critical=_CP(C.softplus_changes, lambda x: sympy.log(1 + sympy.exp(x)))),
        _F("swish", _unimodal_product(_swish_point, _swish_product, C.SWISH_MINIMUM),
           critical=_CP(C.swish_changes, lambda x: x / (1 + sympy.exp(-x)))),
        _F("gelu", _unimodal_product(_gelu_point, _gelu_product, C.GELU_MINIMUM),
           critical=_CP(C.gelu_changes, lambda x: x * (1 + sympy.erf(x / sympy.sqrt(2))) / 2,
                        first_value=C.GELU_MINIMUM[1])),
        _F("erf", _erf_series,
           kernel=_K("erf", jax.lax.erf, 1, (-1.0, 1.0), odd_sign=True),
           critical=_CP(C.erf_changes, lambda x: sympy.erf(x))),
        _F("square", ipow_series(2), remainder=ipow_remainder(2),
           critical=_CP(power=Fraction(2))),
    ]
}  # fmt: skip
"""Every smooth elementwise function, in registry order."""

_unnamed = set(FUNCTIONS) - set(FUNCTION_NAMES)
if _unnamed:
    raise ImportError(f"functions without a FunctionNames entry: {sorted(_unnamed)}")

ELEMENTWISE: dict[str, Elementwise] = {f.name: f.elementwise for f in FUNCTIONS.values()}
"""Per op name, what the generic sharp routine reads."""

KERNELS: dict[str, Kernel] = {
    f.kernel.name: f.kernel for f in FUNCTIONS.values() if f.kernel is not None
}
"""Per kernel name, how to enclose its function (read by :func:`autobound.rules.kernels.ext`)."""

CHANGES = {f.name: f.critical.brackets for f in FUNCTIONS.values() if f.critical is not None}
"""Per function name: order n -> brackets of the sign changes of phi^(n) (None: unknown)."""
SYMPY_FORMS = {
    f.name: f.critical.form
    for f in FUNCTIONS.values()
    if f.critical is not None and f.critical.form is not None
}
"""Per function name: its form, a function of the sympy variable x (see CriticalPoints)."""
POWERS = {
    f.name: f.critical.power
    for f in FUNCTIONS.values()
    if f.critical is not None and f.critical.power is not None
}
