"""XLA compile options for outward-rounding programs over many entries, on the CPU.

XLA:CPU's newer fusion emitters fill a fusion whose arrays have a small minor dimension
(under ``vmap``: ``[B, 2]``, ``[B, 3]``, or the var axes ``[B, n, n]`` of a Taylor coefficient
in n = 2 or 3 variables) element by element, calling outlined per-element functions from the
loop: it runs scalar.  The engine's elementwise rules no longer stack such axes, so a plain
``jax.jit(jax.vmap(enc))`` is the fast path for one-variable bounds (the README batch: 1.4 ms
plain, 1.9 ms with these options, B = 10⁴) and for an MM step (12-22 vs 13-40 gradient-step
equivalents).  Programs that still have such axes run faster under the older emitters that
these options select: the batched integration program (1-D at degree 4: 1.29 -> 0.35 s for a
whole integral; 2-D at degree 2: 1.2 -> 0.2 s; ``apps/integrate.py`` uses them) and the
batched box programs of minimize and prove (``apps/boxbound.py``; Michalewicz in 2-D compiled
for 230 s and ran seconds per batch without them).  Measure per program; nearest-mode programs
do not gain::

    jax.jit(jax.vmap(enc), compiler_options=autobound.compiler_options("outward"))

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
