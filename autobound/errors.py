"""One exception hierarchy for the toolkit.

Every error a user can cause derives from :class:`AutoBoundError`; the message names the
culprit and, where there is one, the fix.  The inner engine trusts its inputs: validation
happens once, at the public entry points.
"""

from __future__ import annotations

from collections.abc import Iterable


class AutoBoundError(Exception):
    """Base class of every error raised by autobound."""


class UnsupportedOperation(AutoBoundError, NotImplementedError):
    """A function or JAX primitive that has no enclosure rule."""

    def __init__(self, op: str, supported: Iterable[str] = (), detail: str = ""):
        self.op = op
        self.supported = tuple(sorted(supported))
        msg = f"unsupported operation {op!r}"
        if detail:
            msg += f" ({detail})"
        if self.supported:
            msg += "; supported: " + ", ".join(self.supported)
        super().__init__(msg)


class InvalidRegion(AutoBoundError, ValueError):
    """A region that is empty, reversed, not finite, or does not contain x0."""


class ShapeMismatch(AutoBoundError, ValueError):
    """x0, the region ends and the declared variables do not agree in shape."""


class DomainError(AutoBoundError, ValueError):
    """The function is not defined (or not finite) on part of the region."""


class ParseError(AutoBoundError, ValueError):
    """An expression string that cannot be read, or names unknown variables."""


class CertificateError(AutoBoundError, ValueError):
    """A certificate that does not check."""


class InvalidArgument(AutoBoundError, ValueError):
    """An argument of the wrong kind or value (negative degree, unknown rounding mode, ...)."""


class InvalidFunction(InvalidArgument):
    """A Python function that cannot be traced as ``f(x)`` (or ``f(x, params)``): it takes
    other arguments, or fails on an array of x's shape."""


class ResourceLimit(AutoBoundError, ValueError):
    """A well-formed input refused up front because its cost would exceed a stated limit: an
    exact constant too large to hold, an integer power beyond the supported exponents, an
    expression nested too deeply.  The message names the limit."""


MAX_CONSTANT_BITS = 4096
"""Exact constants (numerator and denominator) are limited to this many bits (1233 digits)."""


def shown(text: str, limit: int = 80) -> str:
    """`text` quoted for a message, cut to about `limit` characters: long inputs are named by
    their start and length, not echoed whole."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[: limit - 20]!r}... ({len(text):,} characters)"
