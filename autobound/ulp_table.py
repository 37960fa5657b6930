"""Measured accuracy of XLA's CPU kernels, and the margins the engine widens their results by.

**Guarantee.**  For a function ``fn`` and a dtype, :func:`margin` returns ``(rel, abs)`` such
that for every representable input ``y`` in the function's domain and inside
:func:`trusted_domain` ``(fn, dtype)``, if the kernel's result ``v`` (the jnp/lax call below,
under ``jax.jit``, on the CPU, on an array of any shape) is finite, then the exact value obeys

    |f(y) - v| <= rel * |v| + abs.

The engine encloses ``f(y)`` by ``[v - rel|v| - abs, v + rel|v| + abs]`` (ends rounded
outward).  Two things the margin does **not** cover, which the engine must handle itself:

* **Non-finite results carry no information.**  ``v = +-inf`` or NaN is returned where the
  exact value is finite: ``log`` / ``rsqrt`` of a subnormal input (XLA reads subnormal inputs
  as zero: ``-inf`` / ``+inf``), and float32 ``sinh`` / ``cosh`` for ``|y| >= 89.41598510742188``
  (exact value ``3.4028e38``, still finite).  Treat such a result as "anything in the range of
  f" (e.g. ``[-inf, inf]``), never as the interval ``[v, v]``.
* **Outside the trusted domain** the kernel is not used: ``sin`` / ``cos`` / ``tan`` in
  float64 reduce their argument with too few bits of pi beyond about ``2**39``-``2**40``
  (1e5 ulp off at the floats nearest to multiples of pi/2, relative error unbounded near
  zeros), and ``log``, ``rsqrt`` and ``pow`` mishandle subnormal inputs (float32 ``log`` on a
  small array reads any subnormal as ``2**-150`` and returns -103.97; ``pow`` reads it as
  ``2**-150`` / ``2**-1075``, so ``y**-0.5`` is up to 2**12 times too large).  There the
  engine uses the function's range (``[-1, 1]`` for sin and cos, the whole line for tan) or
  monotonicity (``y**p`` for ``0 < y < tiny`` lies between ``0`` and ``tiny**p``).

**The kernels** (names as in :mod:`autobound.ops`): ``exp`` = ``jnp.exp``, ``log`` =
``jnp.log``, ``log1p``, ``expm1``, ``sqrt``, ``rsqrt`` = ``lax.rsqrt``, ``cbrt``, ``sin``,
``cos``, ``tan``, ``atan`` = ``jnp.arctan``, ``asin``, ``acos``, ``asinh`` = ``jnp.arcsinh``,
``atanh`` = ``jnp.arctanh``, ``sinh``, ``cosh``, ``tanh``,
``sigmoid`` = ``jax.nn.sigmoid`` (``lax.logistic``), ``softplus`` = ``jax.nn.softplus``,
``erf`` = ``lax.erf``, and ``pow`` = ``jnp.power(y, p)`` for ``y > 0`` and a constant or
traced real exponent ``p``.  The exponent is rounded to the dtype first: the kernel computes
``y ** fl(p)``, and that is what the margin is about (``fl(1/3)`` in float32 is
``0.3333333432674408``; an engine that means ``y ** (1/3)`` must enclose the difference).
``pow`` was measured for p in {0.5, -0.5, 1/3, -1/3, 1.5, -2.5, 2.7, 0.1, 0.01, 7.3, -11.9}:
all within 0.51 ulp, with no growth in ``|p|``, so one margin serves every exponent.

**Measurement** (``MEASURED``): on 2026-11-24, jax/jaxlib 0.10.2, numpy 2.4.6, mpmath 1.3.0,
Python 3.11.7, CPU "AMD EPYC" (Zen 4, AVX-512, 2 cores, KVM), by

    .venv/bin/python benchmarks/measure_ulp_errors.py \\
        --json benchmarks/results/ulp_errors.json --python

(~150,000 points per function and dtype, 3-6 minutes on 2 cores; ``asinh`` and ``atanh`` were
added on 2026-12-07 with the same versions on an Intel Xeon, ``--only asinh atanh``, 10 s):
log-spaced grids over the whole
domain, random bit patterns, dense ranges, ``+-k`` ulp neighbourhoods of special values
(0, +-1, domain ends, overflow / underflow / saturation thresholds, float64 ``log1p``'s bad
interval (-0.53, -0.28)), the floats nearest to multiples of pi/2 in every binade, and
subnormal inputs; the exact values from mpmath at 128 bits.  XLA's kernels have several code
paths (the vectorized body of a loop, its remainder and small arrays, 0-d arrays) that give
different results, chosen by the array's shape and the element's position, so every point
was evaluated sorted, shifted, in two random orders, in 7-element arrays, reshaped to
``(-1, 10, 3)`` and (a sample) as 0-d arrays; the worst result counts.  Fields:

* ``max_rel`` / ``max_ulp`` / ``worst_input``: over results with ``|v| >= 2**p * tiny``
  (p = 24 or 53 significand bits, tiny = the smallest normal number);
* ``max_abs`` / ``worst_abs_input``: ``|f(y) - v|`` over results below that (XLA flushes
  subnormal results to zero, so only an absolute error makes sense there);
* ``subnormal_max_abs``: ``|f(y) - v|`` over subnormal inputs inside the trusted domain;
  ``subnormal_abs_needed``: the part of it that ``rel * |v|`` does not cover (charged to abs:
  ``sqrt`` and ``cbrt`` give 0 for a subnormal ``y``, ``cbrt`` in float32 even a negative
  number for a positive one); ``subnormal_daz``: every subnormal input gave ``v(0)``;
* ``spurious_nonfinite`` / ``spurious_example``: count and smallest ``|y|`` of non-finite
  results where ``|f(y)|`` is at most the largest finite number;
* ``beyond_trusted_max_ulp``: the worst error seen outside the trusted domain.

**Margins** (``MARGINS``): ``rel = max(16 * max_rel, 2**-46)`` in float64 and
``max(16 * max_rel, 2**-16)`` in float32; ``abs = 4 * max(max_abs, subnormal_abs_needed,
tiny)``; both rounded up to powers of two; for ``pow``, the largest over the exponents.
``tests/engine/test_ulp_table.py`` re-measures a fresh sample against these margins, so a
JAX upgrade that worsens a kernel fails there; rerun the script and update this file then.

**Notable measurements:** float64 ``log1p`` 129 ulp near -0.414 (jax-ml/jax#39707), and
through it float64 ``atanh`` 125 ulp near 0.414;
float64 ``sinh``/``cosh`` 496 ulp near ``|y| = 709`` (the error grows linearly in ``|y|``);
float32 ``sinh``/``cosh`` 24 ulp; float32 ``atan`` 5.3 ulp and float64 ``atan`` 3.2 ulp on
the remainder/small-array path only (in float32 it returns ``x`` for ``|x| < 1e-3``);
float32 ``exp`` 5.5 ulp near overflow (vectorized loop body only; 0.5 ulp in small
arrays) and ``expm1`` 5.5 ulp; float32 ``erf`` 4.7 ulp, ``tanh`` 4.0 ulp.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["MARGINS", "MEASURED", "TRUSTED_DOMAIN", "margin", "trusted_domain"]

# fmt: off
# ---- generated by: benchmarks/measure_ulp_errors.py --from-json benchmarks/results/ulp_errors.json
MEASURED = {
    ('exp', 'float32'): dict(
        max_rel=3.2557050805438403e-07, max_abs=1.1754907056089184e-38, max_ulp=5.4599580665315,
        points=139318, worst_input=88.7224349975586, worst_abs_input=-87.3365478515625,
        subnormal_max_abs=1.1754943508222875e-38, subnormal_abs_needed=0.0, subnormal_daz=True,
        subnormal_nonfinite=0, spurious_nonfinite=0, spurious_example=None,
        beyond_trusted_max_ulp=0.0,
    ),
    ('exp', 'float64'): dict(
        max_rel=2.2996814221211133e-16, max_abs=2.2250738585070097e-308,
        max_ulp=1.4806595762323265, points=138771, worst_input=338.61324925893643,
        worst_abs_input=-708.3964185322642, subnormal_max_abs=0.0, subnormal_abs_needed=0.0,
        subnormal_daz=True, subnormal_nonfinite=0, spurious_nonfinite=0, spurious_example=None,
        beyond_trusted_max_ulp=0.0,
    ),
    ('log', 'float32'): dict(
        max_rel=1.1920032675732682e-07, max_abs=0.0, max_ulp=1.0715003037062052, points=102066,
        worst_input=1.0647292137145996, worst_abs_input=1.0, subnormal_max_abs=0.0,
        subnormal_abs_needed=0.0, subnormal_daz=False, subnormal_nonfinite=0, spurious_nonfinite=0,
        spurious_example=None, beyond_trusted_max_ulp=2180452.390830502,
    ),
    ('log', 'float64'): dict(
        max_rel=1.1102230246251562e-16, max_abs=0.0, max_ulp=0.515395048500859, points=115046,
        worst_input=0.9999999999999998, worst_abs_input=1.0, subnormal_max_abs=0.0,
        subnormal_abs_needed=0.0, subnormal_daz=True, subnormal_nonfinite=1575,
        spurious_nonfinite=0, spurious_example=None, beyond_trusted_max_ulp=0.0,
    ),
    ('log1p', 'float32'): dict(
        max_rel=1.785025697448762e-07, max_abs=1.9408138936066404e-62, max_ulp=2.3514305079704827,
        points=143414, worst_input=-0.4151168763637543, worst_abs_input=-1.9701847206081232e-31,
        subnormal_max_abs=1.1754942106924411e-38, subnormal_abs_needed=1.1754942106924411e-38,
        subnormal_daz=True, subnormal_nonfinite=0, spurious_nonfinite=0, spurious_example=None,
        beyond_trusted_max_ulp=0.0,
    ),
    ('log1p', 'float64'): dict(
        max_rel=2.6734166569551683e-14, max_abs=0.0, max_ulp=128.77982060458663, points=145468,
        worst_input=-0.4142135623730936, worst_abs_input=-1.9754433643246184e-292,
        subnormal_max_abs=2.225073858507201e-308, subnormal_abs_needed=2.225073858507201e-308,
        subnormal_daz=True, subnormal_nonfinite=0, spurious_nonfinite=0, spurious_example=None,
        beyond_trusted_max_ulp=0.0,
    ),
    ('expm1', 'float32'): dict(
        max_rel=3.294402191569097e-07, max_abs=1.9408138936066404e-62, max_ulp=5.4599580665315,
        points=139275, worst_input=0.010431215167045593, worst_abs_input=-1.9701847206081232e-31,
        subnormal_max_abs=6.908934844075556e-77, subnormal_abs_needed=0.0, subnormal_daz=False,
        subnormal_nonfinite=0, spurious_nonfinite=0, spurious_example=None,
        beyond_trusted_max_ulp=0.0,
    ),
    ('expm1', 'float64'): dict(
        max_rel=5.489006635914383e-16, max_abs=0.0, max_ulp=3.675475068851753, points=138765,
        worst_input=3.163813591623478e-05, worst_abs_input=-1.9754433643246184e-292,
        subnormal_max_abs=0.0, subnormal_abs_needed=0.0, subnormal_daz=False,
        subnormal_nonfinite=0, spurious_nonfinite=0, spurious_example=None,
        beyond_trusted_max_ulp=0.0,
    ),
    ('sqrt', 'float32'): dict(
        max_rel=5.960464299903389e-08, max_abs=0.0, max_ulp=0.4999999925494192, points=115899,
        worst_input=1.0000001192092896, worst_abs_input=0.0,
        subnormal_max_abs=1.0842021078620172e-19, subnormal_abs_needed=1.0842021078620172e-19,
        subnormal_daz=True, subnormal_nonfinite=0, spurious_nonfinite=0, spurious_example=None,
        beyond_trusted_max_ulp=0.0,
    ),
    ('sqrt', 'float64'): dict(
        max_rel=1.1102230246251565e-16, max_abs=0.0, max_ulp=0.5, points=116179,
        worst_input=1.0000000000000002, worst_abs_input=0.0,
        subnormal_max_abs=1.4916681462400412e-154, subnormal_abs_needed=1.4916681462400412e-154,
        subnormal_daz=True, subnormal_nonfinite=0, spurious_nonfinite=0, spurious_example=None,
        beyond_trusted_max_ulp=0.0,
    ),
    ('rsqrt', 'float32'): dict(
        max_rel=1.5818346723248961e-07, max_abs=0.0, max_ulp=1.4940466444140779, points=114251,
        worst_input=0.7888120412826538, worst_abs_input=math.nan, subnormal_max_abs=0.0,
        subnormal_abs_needed=0.0, subnormal_daz=True, subnormal_nonfinite=1647,
        spurious_nonfinite=0, spurious_example=None, beyond_trusted_max_ulp=0.0,
    ),
    ('rsqrt', 'float64'): dict(
        max_rel=1.4635148224903135e-16, max_abs=0.0, max_ulp=1.0630324857878812, points=114603,
        worst_input=1.1621942953055738e-16, worst_abs_input=math.nan, subnormal_max_abs=0.0,
        subnormal_abs_needed=0.0, subnormal_daz=True, subnormal_nonfinite=1575,
        spurious_nonfinite=0, spurious_example=None, beyond_trusted_max_ulp=0.0,
    ),
    ('cbrt', 'float32'): dict(
        max_rel=9.112032776078231e-08, max_abs=0.0, max_ulp=0.9068391802952185, points=166486,
        worst_input=1.0449868440628052, worst_abs_input=0.0,
        subnormal_max_abs=2.279331837624013e-13, subnormal_abs_needed=2.27933175224844e-13,
        subnormal_daz=False, subnormal_nonfinite=0, spurious_nonfinite=0, spurious_example=None,
        beyond_trusted_max_ulp=0.0,
    ),
    ('cbrt', 'float64'): dict(
        max_rel=5.304881649713007e-16, max_abs=0.0, max_ulp=2.988572295654693, points=167044,
        worst_input=5.073881521873338e-127, worst_abs_input=0.0,
        subnormal_max_abs=2.8126442852362615e-103, subnormal_abs_needed=2.8126442852362615e-103,
        subnormal_daz=True, subnormal_nonfinite=0, spurious_nonfinite=0, spurious_example=None,
        beyond_trusted_max_ulp=0.0,
    ),
    ('sin', 'float32'): dict(
        max_rel=6.266648992596236e-08, max_abs=0.0, max_ulp=0.5589195937754531, points=177678,
        worst_input=-9506418.0, worst_abs_input=-1.9701847206081232e-31, subnormal_max_abs=0.0,
        subnormal_abs_needed=0.0, subnormal_daz=False, subnormal_nonfinite=0, spurious_nonfinite=0,
        spurious_example=None, beyond_trusted_max_ulp=0.0,
    ),
    ('sin', 'float64'): dict(
        max_rel=2.24996145320204e-16, max_abs=0.0, max_ulp=1.984271627597428, points=120996,
        worst_input=-115689413.36222704, worst_abs_input=-1.9754433643246184e-292,
        subnormal_max_abs=0.0, subnormal_abs_needed=0.0, subnormal_daz=False,
        subnormal_nonfinite=0, spurious_nonfinite=0, spurious_example=None,
        beyond_trusted_max_ulp=102825.29606336654,
    ),
    ('cos', 'float32'): dict(
        max_rel=6.311708720398846e-08, max_abs=0.0, max_ulp=0.5597266775376161, points=177678,
        worst_input=1.0462777614593506, worst_abs_input=math.nan, subnormal_max_abs=0.0,
        subnormal_abs_needed=0.0, subnormal_daz=True, subnormal_nonfinite=0, spurious_nonfinite=0,
        spurious_example=None, beyond_trusted_max_ulp=0.0,
    ),
    ('cos', 'float64'): dict(
        max_rel=1.110313600450862e-16, max_abs=0.0, max_ulp=0.5607411479493573, points=120913,
        worst_input=-651.7534504600251, worst_abs_input=math.nan, subnormal_max_abs=0.0,
        subnormal_abs_needed=0.0, subnormal_daz=True, subnormal_nonfinite=0, spurious_nonfinite=0,
        spurious_example=None, beyond_trusted_max_ulp=136920.755591586,
    ),
    ('tan', 'float32'): dict(
        max_rel=8.526680985442269e-08, max_abs=0.0, max_ulp=1.3591471213004718, points=178004,
        worst_input=155.50881958007812, worst_abs_input=-1.9701847206081232e-31,
        subnormal_max_abs=0.0, subnormal_abs_needed=0.0, subnormal_daz=False,
        subnormal_nonfinite=0, spurious_nonfinite=0, spurious_example=None,
        beyond_trusted_max_ulp=0.0,
    ),
    ('tan', 'float64'): dict(
        max_rel=2.24996145320204e-16, max_abs=0.0, max_ulp=1.984271627597428, points=121355,
        worst_input=-115689413.36222704, worst_abs_input=-1.9754433643246184e-292,
        subnormal_max_abs=0.0, subnormal_abs_needed=0.0, subnormal_daz=False,
        subnormal_nonfinite=0, spurious_nonfinite=0, spurious_example=None,
        beyond_trusted_max_ulp=143269.89727577323,
    ),
    ('atan', 'float32'): dict(
        max_rel=3.3152590839361143e-07, max_abs=0.0, max_ulp=5.3333302815776, points=166171,
        worst_input=-0.0009972854750230908, worst_abs_input=-1.9701847206081232e-31,
        subnormal_max_abs=0.0, subnormal_abs_needed=0.0, subnormal_daz=False,
        subnormal_nonfinite=0, spurious_nonfinite=0, spurious_example=None,
        beyond_trusted_max_ulp=0.0,
    ),
    ('atan', 'float64'): dict(
        max_rel=4.625031874960553e-16, max_abs=0.0, max_ulp=3.1886803174202347, points=166603,
        worst_input=0.9608438059613145, worst_abs_input=-1.9754433643246184e-292,
        subnormal_max_abs=2.161878230727742e-308, subnormal_abs_needed=2.161878230727742e-308,
        subnormal_daz=False, subnormal_nonfinite=0, spurious_nonfinite=0, spurious_example=None,
        beyond_trusted_max_ulp=0.0,
    ),
    ('asin', 'float32'): dict(
        max_rel=1.461849334772583e-07, max_abs=2.3440025281506836e-38, max_ulp=2.0796222948958256,
        points=107252, worst_input=0.03181028366088867, worst_abs_input=-2.3440025281506836e-38,
        subnormal_max_abs=1.1754942106924411e-38, subnormal_abs_needed=1.1754942106924411e-38,
        subnormal_daz=True, subnormal_nonfinite=0, spurious_nonfinite=0, spurious_example=None,
        beyond_trusted_max_ulp=0.0,
    ),
    ('asin', 'float64'): dict(
        max_rel=2.1612850709397035e-16, max_abs=4.4033878461604183e-308,
        max_ulp=1.3997818195432554, points=123408, worst_input=0.002040913244334553,
        worst_abs_input=-4.4033878461604183e-308, subnormal_max_abs=2.225073858507201e-308,
        subnormal_abs_needed=2.225073858507201e-308, subnormal_daz=True, subnormal_nonfinite=0,
        spurious_nonfinite=0, spurious_example=None, beyond_trusted_max_ulp=0.0,
    ),
    ('acos', 'float32'): dict(
        max_rel=1.880806399398246e-07, max_abs=0.0, max_ulp=1.783095585012017, points=107252,
        worst_input=0.991218626499176, worst_abs_input=1.0,
        subnormal_max_abs=7.549789954891882e-08, subnormal_abs_needed=0.0, subnormal_daz=False,
        subnormal_nonfinite=0, spurious_nonfinite=0, spurious_example=None,
        beyond_trusted_max_ulp=0.0,
    ),
    ('acos', 'float64'): dict(
        max_rel=2.636460638942042e-16, max_abs=0.0, max_ulp=1.363505709331929, points=123408,
        worst_input=0.9980223506015325, worst_abs_input=1.0,
        subnormal_max_abs=6.123233995736766e-17, subnormal_abs_needed=0.0, subnormal_daz=True,
        subnormal_nonfinite=0, spurious_nonfinite=0, spurious_example=None,
        beyond_trusted_max_ulp=0.0,
    ),
    ('asinh', 'float32'): dict(
        max_rel=2.1599178739143554e-07, max_abs=0.0, max_ulp=2.8595127463003958, points=166829,
        worst_input=0.38970232009887695, worst_abs_input=-1.9701847206081232e-31,
        subnormal_max_abs=1.1754942106924411e-38, subnormal_abs_needed=1.1754942106924411e-38,
        subnormal_daz=True, subnormal_nonfinite=0, spurious_nonfinite=0, spurious_example=None,
        beyond_trusted_max_ulp=0.0,
    ),
    ('asinh', 'float64'): dict(
        max_rel=3.4221899595776525e-16, max_abs=0.0, max_ulp=2.3236065580877714, points=167483,
        worst_input=-0.36131175668211846, worst_abs_input=-1.9754433643246184e-292,
        subnormal_max_abs=2.225073858507201e-308, subnormal_abs_needed=2.225073858507201e-308,
        subnormal_daz=True, subnormal_nonfinite=0, spurious_nonfinite=0, spurious_example=None,
        beyond_trusted_max_ulp=0.0,
    ),
    ('atanh', 'float32'): dict(
        max_rel=1.7071758636740617e-07, max_abs=0.0, max_ulp=2.622087890138529, points=110157,
        worst_input=0.42799851298332214, worst_abs_input=-1.9701847206081232e-31,
        subnormal_max_abs=1.1754942106924411e-38, subnormal_abs_needed=1.1754942106924411e-38,
        subnormal_daz=True, subnormal_nonfinite=0, spurious_nonfinite=0, spurious_example=None,
        beyond_trusted_max_ulp=0.0,
    ),
    ('atanh', 'float64'): dict(
        max_rel=1.572595807031598e-14, max_abs=0.0, max_ulp=124.71525589235037, points=124254,
        worst_input=0.413837648118329, worst_abs_input=-1.9754433643246184e-292,
        subnormal_max_abs=2.225073858507201e-308, subnormal_abs_needed=2.225073858507201e-308,
        subnormal_daz=True, subnormal_nonfinite=0, spurious_nonfinite=0, spurious_example=None,
        beyond_trusted_max_ulp=0.0,
    ),
    ('sinh', 'float32'): dict(
        max_rel=1.4979736085159422e-06, max_abs=0.0, max_ulp=24.44155151436276, points=112236,
        worst_input=-71.09394073486328, worst_abs_input=-1.9701847206081232e-31,
        subnormal_max_abs=1.1754942106924411e-38, subnormal_abs_needed=1.1754942106924411e-38,
        subnormal_daz=True, subnormal_nonfinite=0, spurious_nonfinite=2,
        spurious_example=89.41598510742188, beyond_trusted_max_ulp=0.0,
    ),
    ('sinh', 'float64'): dict(
        max_rel=5.520424956745918e-14, max_abs=0.0, max_ulp=495.8943153498687, points=110657,
        worst_input=-709.436139303104, worst_abs_input=-1.9754433643246184e-292,
        subnormal_max_abs=2.225073858507201e-308, subnormal_abs_needed=2.225073858507201e-308,
        subnormal_daz=True, subnormal_nonfinite=0, spurious_nonfinite=0, spurious_example=None,
        beyond_trusted_max_ulp=0.0,
    ),
    ('cosh', 'float32'): dict(
        max_rel=1.4979736085159422e-06, max_abs=0.0, max_ulp=24.44155151436276, points=112236,
        worst_input=-71.09394073486328, worst_abs_input=math.nan, subnormal_max_abs=0.0,
        subnormal_abs_needed=0.0, subnormal_daz=True, subnormal_nonfinite=0, spurious_nonfinite=2,
        spurious_example=89.41598510742188, beyond_trusted_max_ulp=0.0,
    ),
    ('cosh', 'float64'): dict(
        max_rel=5.520424956745918e-14, max_abs=0.0, max_ulp=495.8943153498687, points=110657,
        worst_input=-709.436139303104, worst_abs_input=math.nan, subnormal_max_abs=0.0,
        subnormal_abs_needed=0.0, subnormal_daz=True, subnormal_nonfinite=0, spurious_nonfinite=0,
        spurious_example=None, beyond_trusted_max_ulp=0.0,
    ),
    ('tanh', 'float32'): dict(
        max_rel=2.4315203581634756e-07, max_abs=0.0, max_ulp=4.013062347313399, points=166830,
        worst_input=-0.01699785515666008, worst_abs_input=-1.9701847206081232e-31,
        subnormal_max_abs=0.0, subnormal_abs_needed=0.0, subnormal_daz=False,
        subnormal_nonfinite=0, spurious_nonfinite=0, spurious_example=None,
        beyond_trusted_max_ulp=0.0,
    ),
    ('tanh', 'float64'): dict(
        max_rel=7.686508070125535e-16, max_abs=0.0, max_ulp=6.499615717081888, points=167492,
        worst_input=-19.999494076830455, worst_abs_input=-1.9754433643246184e-292,
        subnormal_max_abs=2.225073858507201e-308, subnormal_abs_needed=2.225073858507201e-308,
        subnormal_daz=True, subnormal_nonfinite=0, spurious_nonfinite=0, spurious_example=None,
        beyond_trusted_max_ulp=0.0,
    ),
    ('sigmoid', 'float32'): dict(
        max_rel=1.2023292451312055e-07, max_abs=1.4345891869421955e-38, max_ulp=1.9877516485926983,
        points=166668, worst_input=-25.99577522277832, worst_abs_input=-70.99420166015625,
        subnormal_max_abs=2.938735877055719e-39, subnormal_abs_needed=0.0, subnormal_daz=True,
        subnormal_nonfinite=0, spurious_nonfinite=0, spurious_example=None,
        beyond_trusted_max_ulp=0.0,
    ),
    ('sigmoid', 'float64'): dict(
        max_rel=2.657875175434738e-16, max_abs=2.490524828452026e-308, max_ulp=2.0446939540640963,
        points=167269, worst_input=-136.902353321276, worst_abs_input=-671.7875549078287,
        subnormal_max_abs=0.0, subnormal_abs_needed=0.0, subnormal_daz=True, subnormal_nonfinite=0,
        spurious_nonfinite=0, spurious_example=None, beyond_trusted_max_ulp=0.0,
    ),
    ('softplus', 'float32'): dict(
        max_rel=2.181273986059295e-07, max_abs=1.1754907056089184e-38, max_ulp=2.5452280576018342,
        points=166833, worst_input=-0.8773645162582397, worst_abs_input=-87.3365478515625,
        subnormal_max_abs=1.904654299957768e-09, subnormal_abs_needed=0.0, subnormal_daz=True,
        subnormal_nonfinite=0, spurious_nonfinite=0, spurious_example=None,
        beyond_trusted_max_ulp=0.0,
    ),
    ('softplus', 'float64'): dict(
        max_rel=2.9422803102244933e-16, max_abs=2.2250738585070097e-308, max_ulp=2.631017162037062,
        points=167492, worst_input=-0.44196179116743, worst_abs_input=-708.3964185322642,
        subnormal_max_abs=2.3190468138462996e-17, subnormal_abs_needed=0.0, subnormal_daz=True,
        subnormal_nonfinite=0, spurious_nonfinite=0, spurious_example=None,
        beyond_trusted_max_ulp=0.0,
    ),
    ('erf', 'float32'): dict(
        max_rel=2.8163625471685043e-07, max_abs=1.5433805644610335e-38, max_ulp=4.72507058899809,
        points=168445, worst_input=3.8016858100891113, worst_abs_input=-1.6619016880513015e-31,
        subnormal_max_abs=1.3264031783867337e-38, subnormal_abs_needed=1.3264031783867337e-38,
        subnormal_daz=True, subnormal_nonfinite=0, spurious_nonfinite=0, spurious_example=None,
        beyond_trusted_max_ulp=0.0,
    ),
    ('erf', 'float64'): dict(
        max_rel=1.5957274315439123e-16, max_abs=1.143396535397608e-308, max_ulp=1.0637980184622247,
        points=169682, worst_input=0.0008885294202559421, worst_abs_input=-1.7635617847538352e-292,
        subnormal_max_abs=2.510726987188354e-308, subnormal_abs_needed=2.510726987188354e-308,
        subnormal_daz=True, subnormal_nonfinite=0, spurious_nonfinite=0, spurious_example=None,
        beyond_trusted_max_ulp=0.0,
    ),
    ('pow(0.5)', 'float32'): dict(
        max_rel=5.960464299903389e-08, max_abs=0.0, max_ulp=0.5012323632784628, points=97530,
        worst_input=1.0000001192092896, worst_abs_input=math.nan, subnormal_max_abs=0.0,
        subnormal_abs_needed=0.0, subnormal_daz=True, subnormal_nonfinite=0, spurious_nonfinite=0,
        spurious_example=None, beyond_trusted_max_ulp=16777214.99999997,
    ),
    ('pow(0.5)', 'float64'): dict(
        max_rel=1.1102230246251565e-16, max_abs=0.0, max_ulp=0.5034623402723555, points=114383,
        worst_input=1.0000000000000002, worst_abs_input=math.nan, subnormal_max_abs=0.0,
        subnormal_abs_needed=0.0, subnormal_daz=True, subnormal_nonfinite=0, spurious_nonfinite=0,
        spurious_example=None, beyond_trusted_max_ulp=9007199254740991.0,
    ),
    ('pow(-0.5)', 'float32'): dict(
        max_rel=5.96046323408937e-08, max_abs=0.0, max_ulp=0.5013713992975289, points=97530,
        worst_input=0.9999998807907104, worst_abs_input=math.nan, subnormal_max_abs=0.0,
        subnormal_abs_needed=0.0, subnormal_daz=False, subnormal_nonfinite=0, spurious_nonfinite=0,
        spurious_example=None, beyond_trusted_max_ulp=34351349759.5,
    ),
    ('pow(-0.5)', 'float64'): dict(
        max_rel=1.1102230246647342e-16, max_abs=0.0, max_ulp=0.5028116331296961, points=114383,
        worst_input=2.059023035787e-84, worst_abs_input=math.nan, subnormal_max_abs=0.0,
        subnormal_abs_needed=0.0, subnormal_daz=False, subnormal_nonfinite=0, spurious_nonfinite=0,
        spurious_example=None, beyond_trusted_max_ulp=4.27419817996905e+23,
    ),
    ('pow(0.3333333333333333)', 'float32'): dict(
        max_rel=5.943493043307619e-08, max_abs=0.0, max_ulp=0.5014383138245818, points=97530,
        worst_input=1.0022789239883423, worst_abs_input=math.nan, subnormal_max_abs=0.0,
        subnormal_abs_needed=0.0, subnormal_daz=False, subnormal_nonfinite=0, spurious_nonfinite=0,
        spurious_example=None, beyond_trusted_max_ulp=16711664.843655638,
    ),
    ('pow(0.3333333333333333)', 'float64'): dict(
        max_rel=1.1100755602886057e-16, max_abs=0.0, max_ulp=0.5044084863725742, points=114383,
        worst_input=1.0000086144835783, worst_abs_input=math.nan, subnormal_max_abs=0.0,
        subnormal_abs_needed=0.0, subnormal_daz=False, subnormal_nonfinite=0, spurious_nonfinite=0,
        spurious_example=None, beyond_trusted_max_ulp=9006886581197261.0,
    ),
    ('pow(1.5)', 'float32'): dict(
        max_rel=5.9604625235470156e-08, max_abs=1.1754942457249042e-38, max_ulp=0.5014199070950092,
        points=88280, worst_input=1.0000001192092896, worst_abs_input=5.169878520307632e-26,
        subnormal_max_abs=0.0, subnormal_abs_needed=0.0, subnormal_daz=True, subnormal_nonfinite=0,
        spurious_nonfinite=0, spurious_example=None, beyond_trusted_max_ulp=9.094945391426072e-13,
    ),
    ('pow(1.5)', 'float64'): dict(
        max_rel=1.1102230246251558e-16, max_abs=2.225073858507136e-308, max_ulp=0.5038974373834255,
        points=105266, worst_input=1.0000000000000002, worst_abs_input=7.910967875272048e-206,
        subnormal_max_abs=0.0, subnormal_abs_needed=0.0, subnormal_daz=True, subnormal_nonfinite=0,
        spurious_nonfinite=0, spurious_example=None, beyond_trusted_max_ulp=0.0,
    ),
    ('pow(-2.5)', 'float32'): dict(
        max_rel=5.9604561286637914e-08, max_abs=1.175494248970645e-38, max_ulp=0.5014439275478908,
        points=81214, worst_input=0.9999998807907104, worst_abs_input=1485633885306880.0,
        subnormal_max_abs=0.0, subnormal_abs_needed=0.0, subnormal_daz=True,
        subnormal_nonfinite=1647, spurious_nonfinite=0, spurious_example=None,
        beyond_trusted_max_ulp=0.0,
    ),
    ('pow(-2.5)', 'float64'): dict(
        max_rel=1.1123816360871404e-16, max_abs=2.225073858507201e-308, max_ulp=0.5042006012469791,
        points=97922, worst_input=0.99885722229959, worst_abs_input=1.1509652920012321e+123,
        subnormal_max_abs=0.0, subnormal_abs_needed=0.0, subnormal_daz=True,
        subnormal_nonfinite=1575, spurious_nonfinite=0, spurious_example=None,
        beyond_trusted_max_ulp=0.0,
    ),
    ('pow(2.7)', 'float32'): dict(
        max_rel=5.960370153133245e-08, max_abs=1.1754940997074613e-38, max_ulp=0.5015103814710392,
        points=79906, worst_input=1.0000005960464478, worst_abs_input=8.95228190216828e-15,
        subnormal_max_abs=0.0, subnormal_abs_needed=0.0, subnormal_daz=True, subnormal_nonfinite=0,
        spurious_nonfinite=0, spurious_example=None, beyond_trusted_max_ulp=2.7737216771957164e-58,
    ),
    ('pow(2.7)', 'float64'): dict(
        max_rel=1.1102230246251228e-16, max_abs=2.22507385850707e-308, max_ulp=0.5047433962412466,
        points=96830, worst_input=1.000000000000001, worst_abs_input=1.1338928365946237e-114,
        subnormal_max_abs=0.0, subnormal_abs_needed=0.0, subnormal_daz=True, subnormal_nonfinite=0,
        spurious_nonfinite=0, spurious_example=None, beyond_trusted_max_ulp=0.0,
    ),
    ('pow(0.1)', 'float32'): dict(
        max_rel=5.9604629676363313e-08, max_abs=0.0, max_ulp=0.5013652273585678, points=97530,
        worst_input=1.0000005960464478, worst_abs_input=math.nan, subnormal_max_abs=0.0,
        subnormal_abs_needed=0.0, subnormal_daz=False, subnormal_nonfinite=0, spurious_nonfinite=0,
        spurious_example=None, beyond_trusted_max_ulp=12582798.493920479,
    ),
    ('pow(0.1)', 'float64'): dict(
        max_rel=1.110223024625156e-16, max_abs=0.0, max_ulp=0.5049728821103975, points=114383,
        worst_input=1.000000000000001, worst_abs_input=math.nan, subnormal_max_abs=0.0,
        subnormal_abs_needed=0.0, subnormal_daz=False, subnormal_nonfinite=0, spurious_nonfinite=0,
        spurious_example=None, beyond_trusted_max_ulp=8567490200927922.0,
    ),
    ('pow(0.01)', 'float32'): dict(
        max_rel=5.9604467584495094e-08, max_abs=0.0, max_ulp=0.5013135521675386, points=97530,
        worst_input=1.0000059604644775, worst_abs_input=math.nan, subnormal_max_abs=0.0,
        subnormal_abs_needed=0.0, subnormal_daz=False, subnormal_nonfinite=0, spurious_nonfinite=0,
        spurious_example=None, beyond_trusted_max_ulp=2147167.660039943,
    ),
    ('pow(0.01)', 'float64'): dict(
        max_rel=1.1102552898697304e-16, max_abs=0.0, max_ulp=0.5051511539545717, points=114383,
        worst_input=1.0655558461136507, worst_abs_input=math.nan, subnormal_max_abs=0.0,
        subnormal_abs_needed=0.0, subnormal_daz=False, subnormal_nonfinite=0, spurious_nonfinite=0,
        spurious_example=None, beyond_trusted_max_ulp=2377557239235913.0,
    ),
    ('pow(-0.3333333333333333)', 'float32'): dict(
        max_rel=5.9604628788179726e-08, max_abs=0.0, max_ulp=0.5015592539704843, points=97530,
        worst_input=0.9999998211860657, worst_abs_input=math.nan, subnormal_max_abs=0.0,
        subnormal_abs_needed=0.0, subnormal_daz=False, subnormal_nonfinite=0, spurious_nonfinite=0,
        spurious_example=None, beyond_trusted_max_ulp=2139097336.3886178,
    ),
    ('pow(-0.3333333333333333)', 'float64'): dict(
        max_rel=1.110223024625156e-16, max_abs=0.0, max_ulp=0.5037443984712432, points=114383,
        worst_input=0.9999999999999997, worst_abs_input=math.nan, subnormal_max_abs=0.0,
        subnormal_abs_needed=0.0, subnormal_daz=False, subnormal_nonfinite=0, spurious_nonfinite=0,
        spurious_example=None, beyond_trusted_max_ulp=1.4874450852525643e+21,
    ),
    ('pow(7.3)', 'float32'): dict(
        max_rel=5.959609875126723e-08, max_abs=1.1754941037514158e-38, max_ulp=0.5014058007828491,
        points=73336, worst_input=1.0000005960464478, worst_abs_input=6.370007213263307e-06,
        subnormal_max_abs=0.0, subnormal_abs_needed=0.0, subnormal_daz=True, subnormal_nonfinite=0,
        spurious_nonfinite=0, spurious_example=None, beyond_trusted_max_ulp=9.248509132366678e-233,
    ),
    ('pow(7.3)', 'float64'): dict(
        max_rel=1.1102230246248659e-16, max_abs=2.2250738585072004e-308,
        max_ulp=0.5051865244190737, points=90316, worst_input=1.000000000000001,
        worst_abs_input=7.174648137343046e-43, subnormal_max_abs=0.0, subnormal_abs_needed=0.0,
        subnormal_daz=True, subnormal_nonfinite=0, spurious_nonfinite=0, spurious_example=None,
        beyond_trusted_max_ulp=0.0,
    ),
    ('pow(-11.9)', 'float32'): dict(
        max_rel=5.957717709241961e-08, max_abs=1.1754932980643609e-38, max_ulp=0.5015169395789413,
        points=68175, worst_input=0.9999994039535522, worst_abs_input=1539.4888916015625,
        subnormal_max_abs=0.0, subnormal_abs_needed=0.0, subnormal_daz=True,
        subnormal_nonfinite=1647, spurious_nonfinite=0, spurious_example=None,
        beyond_trusted_max_ulp=0.0,
    ),
    ('pow(-11.9)', 'float64'): dict(
        max_rel=1.1102230246241917e-16, max_abs=2.2250738585072004e-308,
        max_ulp=0.5051220675454241, points=89055, worst_input=0.9999999999999989,
        worst_abs_input=7.131228189470381e+25, subnormal_max_abs=0.0, subnormal_abs_needed=0.0,
        subnormal_daz=True, subnormal_nonfinite=1575, spurious_nonfinite=0, spurious_example=None,
        beyond_trusted_max_ulp=0.0,
    ),
}
MARGINS = {
    ('exp', 'float32'): (2.0**-16, 2.0**-124),
    ('exp', 'float64'): (2.0**-46, 2.0**-1020),
    ('log', 'float32'): (2.0**-16, 2.0**-124),
    ('log', 'float64'): (2.0**-46, 2.0**-1020),
    ('log1p', 'float32'): (2.0**-16, 2.0**-124),
    ('log1p', 'float64'): (2.0**-41, 2.0**-1020),
    ('expm1', 'float32'): (2.0**-16, 2.0**-124),
    ('expm1', 'float64'): (2.0**-46, 2.0**-1020),
    ('sqrt', 'float32'): (2.0**-16, 2.0**-61),
    ('sqrt', 'float64'): (2.0**-46, 2.0**-509),
    ('rsqrt', 'float32'): (2.0**-16, 2.0**-124),
    ('rsqrt', 'float64'): (2.0**-46, 2.0**-1020),
    ('cbrt', 'float32'): (2.0**-16, 2.0**-39),
    ('cbrt', 'float64'): (2.0**-46, 2.0**-338),
    ('sin', 'float32'): (2.0**-16, 2.0**-124),
    ('sin', 'float64'): (2.0**-46, 2.0**-1020),
    ('cos', 'float32'): (2.0**-16, 2.0**-124),
    ('cos', 'float64'): (2.0**-46, 2.0**-1020),
    ('tan', 'float32'): (2.0**-16, 2.0**-124),
    ('tan', 'float64'): (2.0**-46, 2.0**-1020),
    ('atan', 'float32'): (2.0**-16, 2.0**-124),
    ('atan', 'float64'): (2.0**-46, 2.0**-1020),
    ('asin', 'float32'): (2.0**-16, 2.0**-123),
    ('asin', 'float64'): (2.0**-46, 2.0**-1019),
    ('acos', 'float32'): (2.0**-16, 2.0**-124),
    ('acos', 'float64'): (2.0**-46, 2.0**-1020),
    ('asinh', 'float32'): (2.0**-16, 2.0**-124),
    ('asinh', 'float64'): (2.0**-46, 2.0**-1020),
    ('atanh', 'float32'): (2.0**-16, 2.0**-124),
    ('atanh', 'float64'): (2.0**-41, 2.0**-1020),
    ('sinh', 'float32'): (2.0**-15, 2.0**-124),
    ('sinh', 'float64'): (2.0**-40, 2.0**-1020),
    ('cosh', 'float32'): (2.0**-15, 2.0**-124),
    ('cosh', 'float64'): (2.0**-40, 2.0**-1020),
    ('tanh', 'float32'): (2.0**-16, 2.0**-124),
    ('tanh', 'float64'): (2.0**-46, 2.0**-1020),
    ('sigmoid', 'float32'): (2.0**-16, 2.0**-123),
    ('sigmoid', 'float64'): (2.0**-46, 2.0**-1019),
    ('softplus', 'float32'): (2.0**-16, 2.0**-124),
    ('softplus', 'float64'): (2.0**-46, 2.0**-1020),
    ('erf', 'float32'): (2.0**-16, 2.0**-123),
    ('erf', 'float64'): (2.0**-46, 2.0**-1019),
    ('pow', 'float32'): (2.0**-16, 2.0**-124),
    ('pow', 'float64'): (2.0**-46, 2.0**-1020),
}
TRUSTED_DOMAIN = {
    ('log', 'float32'): (2.0**-126, math.inf),
    ('log', 'float64'): (2.0**-1022, math.inf),
    ('rsqrt', 'float32'): (2.0**-126, math.inf),
    ('rsqrt', 'float64'): (2.0**-1022, math.inf),
    ('sin', 'float64'): (-2.0**40, 2.0**40),
    ('cos', 'float64'): (-2.0**39, 2.0**39),
    ('tan', 'float64'): (-2.0**39, 2.0**39),
    ('pow', 'float32'): (2.0**-126, math.inf),
    ('pow', 'float64'): (2.0**-1022, math.inf),
}
# ---- end of generated block ----
# fmt: on

#: The kernels whose results at ``±tiny`` (the smallest normal number) differ from their
#: result at 0 by at most ``tiny``, per dtype: in nearest mode a subnormal argument, which XLA
#: reads as 0, then needs no care (exp, sin, tanh, ...; not log, sqrt or erf).  Measured by
#: :func:`autobound.rules.kernels.measure_flat_at_zero` and re-measured for every kernel by
#: ``tests/engine/test_ulp_table.py``; stored so that a first bound needs no eager kernel call.
FLAT_AT_ZERO = {
    "float64": frozenset(
        {"acos", "asin", "asinh", "atan", "atanh", "cos", "cosh", "exp", "expm1", "log1p",
         "sigmoid", "sin", "sinh", "softplus", "tan", "tanh"}
    ),
    "float32": frozenset(
        {"asin", "asinh", "atan", "atanh", "cos", "cosh", "exp", "expm1", "log1p", "sigmoid",
         "sin", "sinh", "softplus", "tan", "tanh"}
    ),
}  # fmt: skip

_ALIASES = {
    "arctan": "atan",
    "arcsin": "asin",
    "arccos": "acos",
    "arcsinh": "asinh",
    "arctanh": "atanh",
    "logistic": "sigmoid",
    "power": "pow",
}


def _key(fn: str, dtype) -> tuple[str, str]:
    name = fn.strip()
    if name.startswith("pow(") or name.startswith("power("):
        name = "pow"
    name = _ALIASES.get(name, name)
    try:
        dt = np.dtype(dtype).name
    except TypeError:
        dt = str(dtype)
    return name, dt


def margin(fn: str, dtype) -> tuple[float, float]:
    """``(rel, abs)`` such that ``|f(y) - v| <= rel*|v| + abs`` for the kernel's finite results
    ``v`` inside :func:`trusted_domain` (see the module docstring for the exact statement).

    `fn` is an op name of :mod:`autobound.ops` (``"exp"``, ``"atan"``, ``"pow"``; the jnp
    spellings ``"arctan"``, ``"power"``, ``"logistic"`` and ``"pow(0.5)"`` are accepted);
    `dtype` is ``"float32"``/``"float64"`` or a numpy/JAX dtype.  Raises ``KeyError`` naming
    the function and dtype when the pair was not measured."""
    key = _key(fn, dtype)
    try:
        return MARGINS[key]
    except KeyError:
        known = sorted({k[0] for k in MARGINS})
        dtypes = sorted({k[1] for k in MARGINS})
        raise KeyError(
            f"no measured ulp margin for function {key[0]!r} in dtype {key[1]!r}; "
            f"measured functions: {', '.join(known)}; dtypes: {', '.join(dtypes)}"
        ) from None


def trusted_domain(fn: str, dtype) -> tuple[float, float]:
    """Closed interval ``(lo, hi)`` of inputs on which the kernel's results may be used with
    :func:`margin`; ``(-inf, inf)`` for kernels trusted on their whole domain."""
    key = _key(fn, dtype)
    margin(fn, dtype)  # validates the pair
    return TRUSTED_DOMAIN.get(key, (-math.inf, math.inf))


def flat_at_zero(fn: str, dtype) -> bool | None:
    """Whether the kernel `fn` is flat at 0 in `dtype` (:data:`FLAT_AT_ZERO`); None for a
    dtype that was not measured."""
    name, dt = _key(fn, dtype)
    table = FLAT_AT_ZERO.get(dt)
    return None if table is None else name in table
