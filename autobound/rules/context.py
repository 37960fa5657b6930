"""What an enclosure rule sees besides its arguments: rounding, region, degree, flags."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import jax.numpy as jnp

from autobound.enclosure import Region
from autobound.interval import Arith


@dataclass
class RuleContext:
    """Per-trace state handed to every rule.

    **Fields:** `A` the arithmetic (rounding mode, dtype); `region` the box ``X − x0``; `k` the
    degree; `arg_consts` the exact constant values of the current node's arguments (None for
    non-constant ones); `arg_ranges` interval ranges of the arguments over the region when
    trust-region propagation is on; `flags` maps an op name to a boolean that is true where the
    op's argument range left its domain.
    """

    A: Arith
    region: Region
    k: int
    arg_consts: tuple = ()
    arg_ranges: tuple | None = None
    flags: dict[str, Any] = field(default_factory=dict)

    def arg_range(self, i: int = 0):
        """The known range of argument i over the region, or None."""
        if self.arg_ranges is None or i >= len(self.arg_ranges):
            return None
        return self.arg_ranges[i]

    def flag(self, name: str, mask: Any) -> None:
        if mask is None:
            return
        hit = jnp.any(mask)
        self.flags[name] = hit if name not in self.flags else (self.flags[name] | hit)
