"""What an enclosure rule sees besides its arguments: rounding, region, degree, flags."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import jax.numpy as jnp

from autobound.enclosure import Region
from autobound.errors import ResourceLimit
from autobound.interval import Arith

MAX_DEGREE_ONE_VARIABLE = 32
"""Highest degree the engine compiles for a function of one variable.  The program grows
with the degree k (series recurrences and truncated products are unrolled, about k^2
terms): exp(x) at degree 24 took 17 s to trace and compile in outward mode, degree 50 over
2 minutes (2 shared cores).  Raise it to accept longer compiles."""

MAX_DEGREE_SEVERAL_VARIABLES = {"nearest": 12, "outward": 10}
"""Highest degree for a function of several variables, per rounding mode: coefficient i is
a tensor of n^i entries and the products fold every pair of degrees.  exp(x)*sin(y), first
call (trace and compile) on 2 shared cores: nearest 2.3 / 5.9 / 9.5 / 13 s at degree 4 / 8
/ 10 / 12; outward (every product an interval product rounded outward, walls between the
Horner steps: :data:`autobound.rules.smooth.HORNER_WALL_DEGREE`) 4.3 / 13 / 22 s at degree
4 / 8 / 10 (1.4 GB), 43 s and 3.4 GB at degree 12."""

MAX_TOP_COEFFICIENT_ENTRIES = 1 << 24
"""Largest number of entries n^k of the degree-k coefficient (128 MB in float64)."""


MAX_ELEMENTWISE_NODES = 128
"""Most elementwise operations (sin, exp, powers, ...) in one function's graph.  Each one is
a remainder computation of its own (in outward rounding about 2,000 StableHLO ops, about 1 s
of XLA compile on 2 cores, growing linearly: 50 nested sines 52 s, 200 nested sines 248 s),
so a graph of thousands of them (a Python loop applying ``jnp.sin`` 2,000 times) would
compile for most of an hour.  Operations on whole arrays count once however large the
array.  Raise it to accept longer compiles."""


MAX_COMPOSITION_COST = 4 * MAX_ELEMENTWISE_NODES
"""Largest ``elementwise operations × max(k, 2)²`` per function: each composition's program
grows about as k² (its series and truncated products are unrolled).  128 operations at
degree 2, or 2 at degree 16: sin(x + exp(x)) at degree 16 compiles in about 4 minutes in
outward mode; at degree 24 it ran out of 24 GB of memory."""


def check_graph_size(elementwise: int, k: int = 2) -> None:
    """Refuse up front a graph with more elementwise operations than the limits above allow
    at degree `k`."""
    if elementwise > MAX_ELEMENTWISE_NODES:
        raise ResourceLimit(
            f"the function applies {elementwise:,} elementwise operations (sin, exp, powers, "
            f"...), beyond the engine's limit of {MAX_ELEMENTWISE_NODES} per function (each "
            "compiles for about a second): apply them to whole arrays instead of one "
            "number at a time in a Python loop, or raise "
            "autobound.rules.context.MAX_ELEMENTWISE_NODES"
        )
    cost = elementwise * max(k, 2) ** 2
    if cost > MAX_COMPOSITION_COST:
        raise ResourceLimit(
            f"{elementwise} elementwise operation(s) (sin, exp, powers, ...) at degree {k} "
            f"cost {elementwise} x {k}^2 = {cost:,}, beyond the engine's limit of "
            f"{MAX_COMPOSITION_COST} (the program of each grows about as k^2: minutes of "
            "compiling past the limit); use a lower degree, or raise "
            "autobound.rules.context.MAX_COMPOSITION_COST"
        )


def check_cost(n: int, k: int, rounding: str = "nearest") -> None:
    """Refuse up front a degree `k` in `n` variables beyond the limits above, naming the
    limit (a :class:`~autobound.errors.ResourceLimit`)."""
    several = MAX_DEGREE_SEVERAL_VARIABLES[rounding]
    limit = MAX_DEGREE_ONE_VARIABLE if n <= 1 else several
    what = "1 variable" if n <= 1 else f"{n} variables"
    if k > limit:
        name = (
            "MAX_DEGREE_ONE_VARIABLE" if n <= 1 else f"MAX_DEGREE_SEVERAL_VARIABLES[{rounding!r}]"
        )
        raise ResourceLimit(
            f"degree {k} in {what} is beyond the engine's limit of degree {limit} for "
            f"{'one variable' if n <= 1 else f'several variables in {rounding} rounding'} "
            f"(the compiled program grows about as k^2{'' if n <= 1 else ' times n^k'}: "
            f"minutes past the limit); use a lower degree, or raise "
            f"autobound.rules.context.{name}"
        )
    if n > 1 and n**k > MAX_TOP_COEFFICIENT_ENTRIES:
        raise ResourceLimit(
            f"degree {k} in {n} variables needs {n**k:,} coefficients in its top term, beyond "
            f"the limit of {MAX_TOP_COEFFICIENT_ENTRIES:,}: use a lower degree"
        )


@dataclass
class RuleContext:
    """Per-trace state handed to every rule.

    **Fields:** `A` the arithmetic (rounding mode, dtype); `region` the box ``X − x0``; `k` the
    degree; `arg_consts` the exact constant values of the current node's arguments (None for
    non-constant ones); `arg_ranges` interval ranges of the arguments over the region when
    trust-region propagation is on; `flags` maps an op name to a boolean that is true where the
    op's argument range left its domain; `fenced`: the rules put their stages behind
    :func:`~autobound.fence.fence` walls (as :func:`autobound.lower._fenced_nodes`
    decides).
    """

    A: Arith
    region: Region
    k: int
    arg_consts: tuple = ()
    arg_ranges: tuple | None = None
    flags: dict[str, Any] = field(default_factory=dict)
    fenced: bool = False

    def __post_init__(self) -> None:
        check_cost(self.region.n, self.k, self.A.rounding)

    def arg_range(self, i: int = 0):
        """The known range of argument i over the region, or None."""
        if self.arg_ranges is None or i >= len(self.arg_ranges):
            return None
        return self.arg_ranges[i]

    def flag(self, name: str, mask: Any) -> None:
        if mask is None:
            return
        hit = jnp.any(mask) if jnp.ndim(mask) else jnp.asarray(mask)  # no reduce for a scalar
        self.flags[name] = hit if name not in self.flags else (self.flags[name] | hit)
