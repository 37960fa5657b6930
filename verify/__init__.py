"""Independent checking of enclosures in mpmath (imported as ``autobound.verify``).

Nothing here imports JAX or the enclosure engine: graphs are read through
:mod:`autobound.graph` and :mod:`autobound.ops` only, so a bug in the engine cannot hide
itself from these checks.

- :func:`evaluate` / :func:`evaluate_interval`: a graph at a point (mpf) or over a box
  (rigorous mpmath.iv).
- :func:`crosscheck`: sample a region and compare a Taylor enclosure with f.
- :func:`remainder_range`: the sampled true range of an elementwise remainder ratio.
- :func:`check_certificate`: re-prove a certificate's claim (:mod:`verify.certificate` holds
  the format, :mod:`verify.checker` the checker).
"""

from .certificate import Certificate, load
from .checker import Verdict, check_certificate
from .crosscheck import (
    CrossCheckReport,
    crosscheck,
    enclosure_at,
    remainder_range,
    sample_points,
)
from .reference import evaluate, evaluate_interval

__all__ = [
    "Certificate",
    "CrossCheckReport",
    "Verdict",
    "check_certificate",
    "crosscheck",
    "enclosure_at",
    "evaluate",
    "evaluate_interval",
    "load",
    "remainder_range",
    "sample_points",
]
