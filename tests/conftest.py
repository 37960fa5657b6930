"""Shared test configuration: float64 JAX, a persistent compilation cache, and one
deterministic hypothesis profile.

* **Compilation cache.**  Most of the suite's time is XLA compiling the lowered enclosures.
  Compiled programs are kept on disk in ``$AUTOBOUND_JAX_CACHE`` (default
  ``$XDG_CACHE_HOME/autobound/jax-tests``, i.e. ``~/.cache/autobound/jax-tests``: outside the
  repository, so that a fresh clone on the same machine, as CI's, finds it warm).  Set
  ``AUTOBOUND_JAX_CACHE=off`` to compile everything afresh.  The cache key is the program and
  the jax/jaxlib version and flags, so a stale entry is never used for a changed engine: a
  change only turns hits into misses.  A cold cache (a new machine) costs the compile times
  and nothing else.
* **Hypothesis.**  Every run, in CI or not, replays the same examples (``derandomize=True``,
  no example database): a new user sees exactly the examples CI saw, and a test that passes
  in CI passes for them.  Exploration is opt-in: ``AUTOBOUND_HYPOTHESIS=explore`` draws fresh
  examples (and keeps failures in ``.hypothesis/``), ``AUTOBOUND_MAX_EXAMPLES`` raises the
  default example count.  The strategies are bounded so that any draw compiles in seconds
  (see ``tests/strategies.py``).
"""

import os
from pathlib import Path

import jax
import pytest
from hypothesis import HealthCheck, settings

jax.config.update("jax_enable_x64", True)


def _cache_dir() -> str | None:
    where = os.environ.get("AUTOBOUND_JAX_CACHE")
    if where is not None:
        return None if where.strip().lower() in ("", "0", "off", "no", "false") else where
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return str(Path(base) / "autobound" / "jax-tests")


JAX_CACHE_DIR = _cache_dir()
if JAX_CACHE_DIR is not None:
    jax.config.update("jax_compilation_cache_dir", JAX_CACHE_DIR)
    # Cache every program, of any size: the default threshold (1 s) would leave out the many
    # 0.01-1 s compiles that add up, e.g. the ~650 one-primitive programs that the eager
    # (jax.disable_jit) composite property compiles, ~80 ms each; a hit costs milliseconds.
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)


@pytest.fixture
def child_env():
    """``child_env(**extra)``: the environment for a child Python process of a test (this
    process's, plus `extra`), with the suite's compilation cache switched on in the child
    through JAX's own environment variables, so that the programs a child compiles (a
    multi-device or multi-process run) are not compiled afresh on every run."""

    def make(**extra: str) -> dict[str, str]:
        env = dict(os.environ, **extra)
        if JAX_CACHE_DIR is not None:
            env.update(
                JAX_COMPILATION_CACHE_DIR=JAX_CACHE_DIR,
                JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0",
                JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES="-1",
            )
        return env

    return make


# Promotion stays at jax's defaults (tried on this suite):
# - jax_numpy_rank_promotion="raise" breaks the engine itself: its interval arithmetic
#   broadcasts a coefficient of shape (1, 1) against monomials of shape (1,)
#   (autobound/interval.py, mul, from enclosure.enclosure_range), which then raises
#   (first seen in test_jax_frontend's padded-constant tests).
# - jax_numpy_dtype_promotion="strict" passes the engine, front-end, batch, error and CLI
#   tests except one that feeds user-style code (`x.astype(jnp.int32) * 1.0`, int32 times a
#   Python float): strict raises TypePromotionError before the front end can name the
#   unsupported conversion.  Users run with the standard promotion, so the suite does too.

# The first example of a property test pays jit compilation: no per-example deadline.
_EXPLORE = os.environ.get("AUTOBOUND_HYPOTHESIS", "").lower() == "explore"
settings.register_profile(
    "autobound",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    max_examples=int(os.environ.get("AUTOBOUND_MAX_EXAMPLES", "10")),
    # The same examples on every run, everywhere (not only in CI): a draw that fails or takes
    # minutes to compile fails for everyone at once, never for a new user alone.
    derandomize=not _EXPLORE,
    database=None if not _EXPLORE else settings.default.database,
    print_blob=True,
)
settings.load_profile("autobound")


# Refusal counts of the test families (tests.strategies.FAMILIES), summed over xdist workers.
_FAMILY_TOTALS: dict[str, list[float]] = {}


def _add_families(families: dict) -> None:
    for name, (n_checked, n_refused, allowed) in families.items():
        total = _FAMILY_TOTALS.setdefault(name, [0, 0, allowed])
        total[0] += n_checked
        total[1] += n_refused


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """(xdist controller) A worker's family refusal counts."""
    _add_families(getattr(node, "workeroutput", {}).get("autobound_families", {}))


def pytest_sessionfinish(session, exitstatus):
    """Family refusal bounds (tests/strategies.py, bounded_refusals): a worker hands its
    counts to the controller; the controller (or a run without xdist) fails the session when
    a family refused more than its share.

    With AUTOBOUND_POINTS_LOG=path, also append how many points this process (one xdist
    worker) compared with mpmath (``autobound.verify.crosscheck``): the figure quoted in the
    notes."""
    path = os.environ.get("AUTOBOUND_POINTS_LOG")
    if path:
        from autobound.verify.crosscheck import POINTS_CHECKED

        with open(path, "a") as fh:
            fh.write(f"{POINTS_CHECKED[0]}\n")

    from tests.strategies import FAMILIES, family_failures

    if hasattr(session.config, "workeroutput"):
        session.config.workeroutput["autobound_families"] = FAMILIES
        return
    _add_families(FAMILIES)
    failures = family_failures(_FAMILY_TOTALS)
    if failures:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write("\n")
            reporter.write_sep("=", "refusals above the bound (tests/strategies.py)", red=True)
            for line in failures:
                reporter.write_line(line, red=True, bold=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True, scope="module")
def _release_compiled_programs():
    """After each module: drop the in-process compiled programs (JAX's jit caches and the
    staged group programs).  A worker runs hundreds of modules and kept them all: one grew
    past 15 GB and was killed for memory on a 24 GB machine with other jobs running.  A later
    module that needs a program again reloads it from the persistent cache in milliseconds."""
    yield
    import gc

    from autobound import staged

    jax.clear_caches()
    staged.clear_cache()
    gc.collect()


@pytest.fixture(autouse=True)
def _keep_mpmath_precision():
    """A test that sets ``mp.dps`` for its reference values cannot change another's: the
    precision is restored after each test (otherwise it leaks into later tests on the same
    worker, and the order differs between runs of ``pytest -n 2``)."""
    from mpmath import iv, mp

    saved = mp.prec, iv.prec
    yield
    mp.prec, iv.prec = saved
