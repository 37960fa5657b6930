"""The applications compute in float64, whatever the user's global JAX setting.

Their results are guarantees whose width is the point: a verified minimum, a proof or an
integral enclosed in float32 is about 10⁹ times wider than in float64 (a minimization whose
tolerance lies below float32's resolution never settles).  :func:`in_float64` runs an entry
point under ``jax.enable_x64(True)``, a context: the user's own JAX code keeps its setting.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import jax

__all__ = ["in_float64"]

P = ParamSpec("P")
R = TypeVar("R")


def in_float64(fn: Callable[P, R]) -> Callable[P, R]:
    """`fn` run with JAX's 64-bit mode on (and restored afterwards)."""

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with jax.enable_x64(True):
            return fn(*args, **kwargs)

    return run
