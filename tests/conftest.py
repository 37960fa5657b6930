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
    # CI (CI=true) replays the same examples on every run, so that a landing is reproducible;
    # runs elsewhere draw fresh examples and keep exploring.
    derandomize=bool(os.environ.get("CI")),
)
settings.load_profile("autobound")


def pytest_sessionfinish(session, exitstatus):
    """With AUTOBOUND_POINTS_LOG=path, append how many points this process (one xdist worker)
    compared with mpmath (``autobound.verify.crosscheck``): the figure quoted in the notes."""
    path = os.environ.get("AUTOBOUND_POINTS_LOG")
    if path:
        from autobound.verify.crosscheck import POINTS_CHECKED

        with open(path, "a") as fh:
            fh.write(f"{POINTS_CHECKED[0]}\n")
