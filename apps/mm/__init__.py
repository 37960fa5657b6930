"""Hyperparameter-free majorization-minimization optimizers (optax transformations).

```python
from autobound.apps import mm
opt = mm.safe_rate()       # no learning rate: each step minimizes a proven upper bound
opt = mm.safe_combination(groups="layer")   # one certified step size per layer
history = mm.fit(loss_fn, params, steps=100)
history = mm.train("teacher-mlp", depth=2, optimizer="safe-rate", steps=100)
```
"""

from autobound.apps.mm import tasks
from autobound.apps.mm.combination import (
    SafeCombinationInfo,
    SafeCombinationState,
    safe_combination,
)
from autobound.apps.mm.fit import OPTIMIZERS, History, fit, make_optimizer, train
from autobound.apps.mm.safe_rate import (
    SafeRateInfo,
    SafeRateState,
    UncertifiedStepWarning,
    safe_rate,
)
from autobound.apps.mm.tasks import TASKS, Task, make_task

__all__ = [
    "OPTIMIZERS",
    "TASKS",
    "History",
    "SafeCombinationInfo",
    "SafeCombinationState",
    "SafeRateInfo",
    "SafeRateState",
    "Task",
    "UncertifiedStepWarning",
    "fit",
    "make_optimizer",
    "make_task",
    "safe_combination",
    "safe_rate",
    "tasks",
    "train",
]
