"""autobound: guaranteed polynomial upper and lower bounds of functions (Taylor enclosures).

```python
import autobound as ab
b = ab.taylor_bounds("1.5*exp(3*x) - 25*x**2", degree=2)(0.5, (0.0, 1.0))
b.coefficients, b.upper(1.0), b.lower(0.0)
```
"""

from autobound.errors import (
    AutoBoundError,
    CertificateError,
    DomainError,
    InvalidArgument,
    InvalidFunction,
    InvalidRegion,
    ParseError,
    ResourceLimit,
    ShapeMismatch,
    UnsupportedOperation,
)

# The JAX engine loads on first use, so that `autobound.verify` (the independent checker)
# can be imported without it.
_LAZY = {
    "Bounder": "autobound.api",
    "TaylorBounds": "autobound.api",
    "compile": "autobound.api",
    "taylor_bounds": "autobound.api",
    "Enclose": "autobound.core",
    "TaylorEnclosure": "autobound.core",
    "check_dtype": "autobound.core",
    "enclose": "autobound.core",
    "ExprGraph": "autobound.graph",
    "Interval": "autobound.interval",
    "compiler_options": "autobound.xla_options",
}


def __getattr__(name: str):
    import importlib

    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name == "poly":
        return importlib.import_module("autobound.poly")
    raise AttributeError(f"module 'autobound' has no attribute {name!r}")


__all__ = [
    "AutoBoundError",
    "Bounder",
    "CertificateError",
    "DomainError",
    "ExprGraph",
    "Interval",
    "InvalidArgument",
    "InvalidFunction",
    "InvalidRegion",
    "ParseError",
    "ResourceLimit",
    "ShapeMismatch",
    "TaylorBounds",
    "TaylorEnclosure",
    "UnsupportedOperation",
    "check_dtype",
    "compiler_options",
    "compile",
    "poly",
    "enclose",
    "Enclose",
    "taylor_bounds",
]
__version__ = "0.1.0"
