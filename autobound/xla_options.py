"""XLA compile options for outward-rounding programs over many entries, on the CPU.

XLA:CPU's newer fusion emitters turn the long select/min/max chains of outward interval
arithmetic into large fusions that run as scalar loops: on the README example at B = 10⁴
boxes, two such fusions take 60 % of the time.  Its older emitters vectorize them: the
batched outward program runs 2.8× faster, a SafeRate step on a teacher MLP (one outward
bound of the loss along a line, over 256 data points) 4.7× faster, and both compile 15-35 %
faster (``docs/benchmarks.md``).  Round-to-nearest programs and single scalar calls do not
gain (nearest batches run about 2× slower), so the options are offered for outward programs
only, per program, leaving the user's other programs alone::

    jax.jit(jax.vmap(enc), compiler_options=autobound.compiler_options("outward"))
    jax.jit(train_step, compiler_options=autobound.compiler_options("outward"))

The engine's kernel error margins hold under both emitters: ``tests/engine/test_ulp_table.py``
re-measures the kernels with and without these options.
"""

from __future__ import annotations

import functools
from typing import Any

import jax

__all__ = ["compiler_options"]

_LEGACY_EMITTERS = {"xla_cpu_use_fusion_emitters": False}


# jaxlib releases whose XLA is known to take the option (checked when a release is added:
# tests/engine/test_ulp_table.py compiles with it).  Newer releases get no options until then,
# rather than a compile error should XLA drop the flag.
_KNOWN_JAXLIB = ((0, 9), (0, 10))


@functools.cache
def _accepted(backend: str) -> bool:
    """Whether the option applies: the CPU backend of a jaxlib known to take it."""
    import jaxlib

    release = tuple(int(p) for p in jaxlib.__version__.split(".")[:2])
    return backend == "cpu" and release in _KNOWN_JAXLIB


def compiler_options(rounding: str = "outward") -> dict[str, Any]:
    """Options for ``jax.jit(..., compiler_options=...)`` of a program that runs enclosures
    in `rounding` mode over many entries (a vmapped batch of boxes, a loss over a dataset) on
    the default backend: the older CPU fusion emitters for
    outward rounding on the CPU, nothing otherwise (other backends, nearest mode, an XLA
    that no longer knows the option)."""
    if rounding != "outward" or not _accepted(jax.default_backend()):
        return {}
    return dict(_LEGACY_EMITTERS)
