"""Shared test configuration: float64 JAX, strict promotion, a hypothesis profile for jit."""

import os

import jax
from hypothesis import HealthCheck, settings

jax.config.update("jax_enable_x64", True)

# The first example of a property test pays jit compilation: no per-example deadline.
settings.register_profile(
    "autobound",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    max_examples=int(os.environ.get("AUTOBOUND_MAX_EXAMPLES", "10")),
)
settings.load_profile("autobound")
