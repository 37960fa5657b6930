"""The applications compute in float64 even where the user's JAX runs in 32 bits."""

import jax

from autobound.apps.integrate import integrate
from autobound.apps.optimize import minimize


def test_minimize_settles_below_float32_resolution_with_x64_off():
    # f is about 1 near its minimum: float32 resolves it to 1.2e-7 only, so a 1e-10
    # tolerance settles only if the search runs in float64
    with jax.enable_x64(False):
        r = minimize("(x - 1/3)**2 + 1", [(0, 1)], tol=1e-10, time_limit=30)
        assert not jax.config.jax_enable_x64  # the user's setting is untouched
    assert r.status == "certified"
    assert r.lower <= 1 <= r.upper and r.upper - r.lower <= 1e-10


def test_integrate_reaches_float64_tolerances_with_x64_off():
    with jax.enable_x64(False):
        r = integrate("exp(x)", [(0, 1)], tol=1e-12, time_limit=30)
    e_minus_1 = 1.718281828459045
    assert r.status == "certified"
    assert r.lower <= e_minus_1 <= r.upper and r.upper - r.lower <= 1e-12
