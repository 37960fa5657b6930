"""autobound: guaranteed polynomial upper and lower bounds of functions (Taylor enclosures).

```python
import autobound as ab
b = ab.taylor_bounds("1.5*exp(3*x) - 25*x**2", degree=2)(0.5, (0.0, 1.0))
b.coefficients, b.upper(1.0), b.lower(0.0)
```
"""

from autobound.api import Bounder, TaylorBounds, compile, taylor_bounds
from autobound.enclosure import TaylorEnclosure
from autobound.errors import (
    AutoBoundError,
    CertificateError,
    DomainError,
    InvalidArgument,
    InvalidRegion,
    ParseError,
    ShapeMismatch,
    UnsupportedOperation,
)
from autobound.graph import ExprGraph
from autobound.interval import Interval

__all__ = [
    "AutoBoundError",
    "Bounder",
    "CertificateError",
    "DomainError",
    "ExprGraph",
    "Interval",
    "InvalidArgument",
    "InvalidRegion",
    "ParseError",
    "ShapeMismatch",
    "TaylorBounds",
    "TaylorEnclosure",
    "UnsupportedOperation",
    "compile",
    "taylor_bounds",
]
__version__ = "0.1.0"
