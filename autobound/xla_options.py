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
do not gain.  A program of one box called from the host compiles 1.3-2.3x faster under them in
either mode (``compiler_options(rounding, one_box=True)``, used by ``enc(x0, lo, hi)`` on host
values)::

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


def compiler_options(rounding: str = "outward", one_box: bool = False) -> dict[str, Any]:
    """Options for ``jax.jit(..., compiler_options=...)`` of a program that runs enclosures
    in `rounding` mode over many entries (a vmapped batch of boxes, a loss over a dataset) on
    the default backend: the older CPU fusion emitters for
    outward rounding on the CPU, nothing otherwise (other backends, nearest mode, an XLA
    that no longer knows the option).

    `one_box`: for a program of one box called from the host (``enc(x0, lo, hi)`` on concrete
    values, the host layer, the CLI), where compiling is most of the time: the older emitters
    in both modes.  They compile it 1.3-2.3x faster and run it at about the same speed;
    fresh processes, one box, compile / call (2026-12-07): the README example nearest 0.178 /
    0.085 s, 11.9 / 11.1 µs; outward 0.672 / 0.452 s, 30.5 / 29.5 µs; softplus(2x-1)
    sigmoid(x) nearest 0.448 / 0.221 s; the engine benchmark's MLP nearest 0.389 / 0.296 s,
    28 / 40 µs; sin(x + e^x) at degree 4 nearest 0.821 / 0.356 s, 27 / 35 µs."""
    if (rounding != "outward" and not one_box) or not _accepted(jax.default_backend()):
        return {}
    return dict(_LEGACY_EMITTERS)
