"""Hyperparameter-free majorization-minimization optimizers (optax transformations).

```python
from autobound.apps import mm
opt = mm.safe_rate()       # no learning rate: each step minimizes a proven upper bound
history = mm.fit(loss_fn, params, steps=100)
```
"""

from autobound.apps.mm.safe_rate import (
    SafeRateInfo,
    SafeRateState,
    UncertifiedStepWarning,
    safe_rate,
)

__all__ = ["SafeRateInfo", "SafeRateState", "UncertifiedStepWarning", "safe_rate"]
