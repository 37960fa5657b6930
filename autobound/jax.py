"""Drop-in replacement for the reference implementation's ``autobound.jax`` entry point.

```python
import autobound.jax as abj
abj.taylor_bounds(lambda x: jnp.exp(x[0]) * jnp.sin(x[1]), max_degree=2)(x0, (lo, hi))
```
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from autobound.api import TaylorBounds
from autobound.api import taylor_bounds as _taylor_bounds

__all__ = ["TaylorBounds", "taylor_bounds"]


def taylor_bounds(
    f: Callable[[Any], Any], max_degree: int, propagate_trust_regions: bool = False
) -> Callable[[Any, tuple[Any, Any]], TaylorBounds]:
    """Return ``bound(x0, (lo, hi)) -> TaylorBounds`` such that ``bound.coefficients`` is a
    degree-`max_degree` Taylor enclosure g with ``f(x) ∈ g(x − x0)`` for all lo <= x <= hi.

    Same signature and result fields (``f``, ``x0``, ``x_trust_region``, ``coefficients``,
    ``lower``, ``upper``, ``final_interval``) as the reference implementation; rounding is to
    nearest as there.  For sound outward rounding use :func:`autobound.taylor_bounds`.
    """
    return _taylor_bounds(f, degree=max_degree, trust_regions=propagate_trust_regions)
