"""Drop-in replacement for the reference implementation's ``autobound.jax`` entry point.

```python
import autobound.jax as abj
tb = abj.taylor_bounds(lambda x: jnp.exp(x[0]) * jnp.sin(x[1]), max_degree=2)
tb(x0, (lo, hi))                          # a TaylorBounds
jax.jit(jax.vmap(tb))(x0s, (los, his))    # the reference's idiom: one program for all boxes
```
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax

from autobound.api import TaylorBounds, domain_error
from autobound.core import INPUT_FLAG, Enclose
from autobound.errors import InvalidRegion

__all__ = ["TaylorBounds", "taylor_bounds"]


def taylor_bounds(
    f: Callable[[Any], Any], max_degree: int, propagate_trust_regions: bool = False
) -> Callable[[Any, tuple[Any, Any]], TaylorBounds]:
    """Return ``bound(x0, (lo, hi)) -> TaylorBounds`` such that ``bound.coefficients`` is a
    degree-`max_degree` Taylor enclosure g with ``f(x) ∈ g(x − x0)`` for all lo <= x <= hi.

    Same signature and result fields (``f``, ``x0``, ``x_trust_region``, ``coefficients``,
    ``lower``, ``upper``, ``final_interval``) as the reference implementation; rounding is to
    nearest as there.  `bound` is a pure JAX function: ``jax.jit(jax.vmap(bound))`` works.
    As in the reference, x0 may lie outside ``[lo, hi]``: the enclosure then holds over the
    hull of the region and x0, which ``x_trust_region`` reports.  Called on concrete values,
    a region that leaves f's domain raises :class:`~autobound.errors.DomainError`; under a
    JAX transformation the result's ``flags`` say so and the coefficients are not finite.
    For sound outward rounding use :func:`autobound.enclose` or :func:`autobound.taylor_bounds`.
    """
    enc = Enclose(f, max_degree, trust_regions=propagate_trust_regions)

    def bound(x0: Any, x_trust_region: tuple[Any, Any]) -> TaylorBounds:
        try:
            lo, hi = x_trust_region
        except (TypeError, ValueError):
            raise InvalidRegion(
                f"x_trust_region must be a pair (lo, hi), got {x_trust_region!r}"
            ) from None
        e = enc(x0, lo, hi)
        result = TaylorBounds(
            f, e.x0, (e.lo, e.hi), e.coefficients, enc.degree, "nearest", (), e.flags
        )
        if not any(isinstance(v, jax.core.Tracer) for v in jax.tree.leaves(e.flags)):
            if bool(e.flags[INPUT_FLAG]):
                raise InvalidRegion(
                    f"x0 and the region must be finite with lo <= hi: {x0}, ({lo}, {hi})"
                )
            bad = sorted(k for k, v in jax.device_get(e.flags).items() if bool(v))
            if bad:
                raise domain_error(bad, lo, hi)
        return result

    return bound
