"""The certificate format: a claim about a function over a box, with the prover's working.

A certificate is a JSON document (``format: "autobound-certificate"``, ``version: 1``):

- ``expression``: the function as a serialized :class:`~autobound.graph.ExprGraph` (nodes in
  topological order, each ``{op, args, shape, params}``; ``text`` is for people only and is
  never read by the checker);
- ``variables`` and ``box``: one ``[lo, hi]`` per variable, with ``lo < hi``;
- ``claim``: ``{"kind": "ge"|"gt"|"le"|"lt", "value": c}`` (``f >= c`` ... on the box),
  ``{"kind": "min_in", "lower": l, "upper": u, "witness": [...]}`` (the minimum of f over the
  box lies in ``[l, u]``; ``f(witness) <= u``), or ``{"kind": "integral_in", "lower": l,
  "upper": u}``;
- ``leaves``: a partition of the box into boxes, each with the Taylor enclosure the prover
  used: ``x0`` and ``coefficients[i]``, the ``n**i`` interval coefficients of degree i
  (C order over the multi-index), meaning

      f(x) ∈ Σ_i Σ_m C_i[m] · Π_j (x − x0)_{m_j}    (interval arithmetic at each x),

  and what the prover concluded from it: ``range`` (an enclosure of f over the leaf) or
  ``integral`` (of f over the leaf), both computed by :func:`enclosure_range` /
  :func:`enclosure_integral` below, exactly.

**Numbers are exact** (:mod:`verify.exact`): JSON strings holding a decimal, ``p/q`` or a hex
float; JSON floats are refused.

**Untrusted input.**  Reading never evaluates text: numbers go through
:func:`~verify.exact.read_number`, the graph through :func:`~verify.graph_json.graph_from_json`,
the rest through pydantic models.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, JsonValue, StrictBool, StrictInt, StrictStr

from autobound.errors import CertificateError

from .exact import read_number
from .graph_json import Graph, StrictModel
from .quadratic import quadratic_lower

FORMAT = "autobound-certificate"
VERSION = 2
VERSIONS = (1, 2)
MAX_LEAVES = 250_000
"""The most leaves :func:`load` reads unless told otherwise: the provers write at most 200,000
by default, and the checker spends about 1 to 2 ms per leaf in mpmath (a certificate of a
million leaves would take half an hour and gigabytes of memory to read)."""


def _check_number(value: str | int) -> str | int:
    read_number(value)
    return value


Number = Annotated[StrictStr | StrictInt, AfterValidator(_check_number)]
Pair = Annotated[list[Number], Field(min_length=2, max_length=2)]  # [lo, hi]


class Expression(StrictModel):
    graph: Graph
    text: StrictStr | None = None


class BoundClaim(StrictModel):
    kind: Literal["ge", "gt", "le", "lt"]
    value: Number


class MinimumClaim(StrictModel):
    kind: Literal["min_in"]
    lower: Number
    upper: Number
    witness: list[Number]


class IntegralClaim(StrictModel):
    kind: Literal["integral_in"]
    lower: Number
    upper: Number


Claim = Annotated[BoundClaim | MinimumClaim | IntegralClaim, Field(discriminator="kind")]


class Contact(StrictModel):
    """(v2) The leaf's end `at` (of its one variable) is a point t where ``f - c`` has a zero
    of order `order`: ``f^(i)(t) = c·[i = 0]`` exactly for ``i < order``."""

    at: Literal["lo", "hi"]
    order: Annotated[StrictInt, Field(ge=1, le=12)]


class Monotone(StrictModel):
    """(v2, min_in claims) f is strictly monotone on the leaf along `variable`: ∂f/∂x_j > 0
    (`sign` 1, and the leaf's lower end in x_j lies inside the box) or < 0 (`sign` -1, its
    upper end inside), so the leaf holds no minimizer of f over the box."""

    variable: Annotated[StrictInt, Field(ge=0)]
    sign: Literal[1, -1]


class Leaf(StrictModel):
    lo: list[Number]
    hi: list[Number]
    x0: list[Number]
    coefficients: list[list[Pair]]
    range: Pair | None = None
    integral: Pair | None = None
    contact: Contact | None = None
    # v2: the offset u from x0 at which the degree-2 enclosure's quadratic bound is anchored
    # (verify.quadratic); the recorded range may use that bound
    anchor: list[Number] | None = None
    # v2: the leaf holds no minimizer (min_in claims; no coefficients needed)
    monotone: Monotone | None = None
    # v2: (integral claims, one variable) the leaf's end `tail` is an end of the box where f
    # may be singular; its integral is bounded by growth forms (verify.tails), no coefficients
    tail: Literal["lo", "hi"] | None = None


class Certificate(StrictModel):
    """A claim about f over a box with the partition and enclosures that prove it."""

    format: Literal["autobound-certificate"] = FORMAT
    version: Literal[1, 2] = VERSION
    expression: Expression
    variables: list[StrictStr]
    box: list[Pair]
    claim: Claim
    leaves: list[Leaf]
    prover: dict[str, JsonValue] = {}
    # v2: points where the claim is not made, and box ends left out (per side: [lo, hi])
    excluded: list[list[Number]] = []
    open_ends: list[Annotated[list[StrictBool], Field(min_length=2, max_length=2)]] = []

    def to_json(self, indent: int | None = 1) -> str:
        return self.model_dump_json(indent=indent, exclude_none=True)


def _show(value: str | int) -> str:
    """A number for people: as written when short, else its nearest double."""
    text = str(value)
    return text if len(text) <= 20 and "x" not in text else f"{float(read_number(value)):.17g}"


def box_volume(box: tuple[Sequence[Fraction], Sequence[Fraction]]) -> Fraction:
    """The exact volume of a box given as (lower ends, upper ends)."""
    return math.prod((t - s for s, t in zip(*box, strict=True)), start=Fraction(1))


def claim_text(claim: Any) -> str:
    """The claim in words, e.g. ``f >= 0 on the box`` or ``min f lies in [l, u]``."""
    if isinstance(claim, BoundClaim):
        sign = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}[claim.kind]
        return f"f {sign} {_show(claim.value)} on the box"
    kind = "min f" if isinstance(claim, MinimumClaim) else "the integral of f"
    return f"{kind} lies in [{_show(claim.lower)}, {_show(claim.upper)}]"


def _reject_float(text: str) -> Any:
    raise CertificateError(
        f'{text} is a JSON float; write numbers as exact strings (e.g. "0.1", "1/3")'
    )


def _reject_constant(text: str) -> Any:
    raise CertificateError(f"{text} is not a number a certificate may hold")


def load(source: Any, max_leaves: int = MAX_LEAVES) -> Certificate:
    """Read a certificate from JSON text/bytes, a parsed dict, or a :class:`Certificate`.

    Raises :class:`~autobound.errors.CertificateError` naming the first problem: not JSON, a
    float or NaN, another format or version, a missing or unexpected field, more than
    `max_leaves` leaves (counted before the leaves are validated, the costly part of reading).
    """
    if isinstance(source, Certificate):
        return source
    if isinstance(source, (str, bytes, bytearray)):
        try:
            source = json.loads(source, parse_float=_reject_float, parse_constant=_reject_constant)
        except json.JSONDecodeError as err:
            raise CertificateError(f"not valid JSON: {err}") from err
    if not isinstance(source, Mapping):
        raise CertificateError("a certificate is a JSON object")
    if source.get("format") != FORMAT:
        raise CertificateError(f"not an {FORMAT} document (format = {source.get('format')!r})")
    if source.get("version") not in VERSIONS:
        raise CertificateError(
            f"certificate version {source.get('version')!r} is not supported "
            f"(this checker reads versions {', '.join(map(str, VERSIONS))})"
        )
    leaves = source.get("leaves")
    if isinstance(leaves, list) and len(leaves) > max_leaves:
        minutes = len(leaves) * 1.5e-3 / 60
        takes = f"about {minutes:,.0f} minutes" if minutes >= 1 else "under a minute"
        raise CertificateError(
            f"the certificate has {len(leaves):,} leaves, more than the {max_leaves:,} this "
            f"checker reads unless told otherwise (checking takes about 1 to 2 ms per leaf: "
            f"{takes} here); raise the limit with max_leaves "
            f"(autobound check --max-leaves) to check it anyway"
        )
    if source.get("version") == 1:
        contacts = isinstance(leaves, list) and any(
            isinstance(leaf, Mapping)
            and any(leaf.get(k) is not None for k in ("contact", "anchor", "monotone"))
            for leaf in leaves
        )
        if source.get("excluded") or source.get("open_ends") or contacts:
            raise CertificateError(
                "a version-1 certificate has no excluded points, open ends, contacts, anchors "
                "or monotone leaves"
            )
    from pydantic import ValidationError

    try:
        return Certificate.model_validate(source)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise CertificateError(f"{where}: {first['msg']}") from err


# -- what a leaf's enclosure implies (exact rational arithmetic) ---------------------------------


def _mul(a: tuple[Fraction, Fraction], b: tuple[Fraction, Fraction]):
    products = (a[0] * b[0], a[0] * b[1], a[1] * b[0], a[1] * b[1])
    return min(products), max(products)


def _power_range(a: Fraction, b: Fraction, e: int) -> tuple[Fraction, Fraction]:
    """The exact range of h**e over [a, b]."""
    ends = (a**e, b**e)
    if e % 2 == 0 and a < 0 < b:
        return Fraction(0), max(ends)
    return min(ends), max(ends)


def _power_integral(a: Fraction, b: Fraction, e: int) -> tuple[Fraction, Fraction]:
    """(∫ max(h**e, 0), ∫ max(-h**e, 0)) over [a, b], exactly."""

    def antider(t: Fraction) -> Fraction:
        return t ** (e + 1) / (e + 1)

    if e % 2 == 0 or a >= 0:
        return antider(b) - antider(a), Fraction(0)
    if b <= 0:
        return Fraction(0), antider(a) - antider(b)
    return antider(b), antider(a)  # odd e: ∫_0^b h^e and ∫_a^0 (-h^e) = a^(e+1)/(e+1)


def _exponents(flat: int, degree: int, n: int) -> list[int]:
    e = [0] * n
    for _ in range(degree):
        flat, j = divmod(flat, n)
        e[j] += 1
    return e


def _leaf_terms(leaf: Leaf, n: int):
    """(coefficient interval, exponent vector, [(a_j, b_j)] of h = x - x0) per term."""
    x0 = [read_number(v) for v in leaf.x0]
    h = [
        (read_number(a) - c, read_number(b) - c)
        for a, b, c in zip(leaf.lo, leaf.hi, x0, strict=True)
    ]
    for degree, coefficients in enumerate(leaf.coefficients):
        if len(coefficients) != n**degree:
            raise CertificateError(
                f"degree-{degree} coefficients: expected {n**degree} entries, got "
                f"{len(coefficients)}"
            )
        for flat, (c_lo, c_hi) in enumerate(coefficients):
            c = (read_number(c_lo), read_number(c_hi))
            if c[0] > c[1]:
                raise CertificateError(f"coefficient interval [{c_lo}, {c_hi}] is reversed")
            yield c, _exponents(flat, degree, n), h


def enclosure_range(leaf: Leaf, n: int) -> tuple[Fraction, Fraction]:
    """The range of the leaf's enclosure over the leaf, term by term, exactly:
    ``Σ C_i[m] · Π_j range(h_j ** e_j)``, where ``e`` counts the m_j.  (v2) A degree-2 leaf
    with an ``anchor`` u: the lower end is the better of that and the quadratic bound
    anchored at u (:func:`verify.quadratic.quadratic_lower`)."""
    total_lo = total_hi = Fraction(0)
    terms = list(_leaf_terms(leaf, n))
    powers: dict[tuple[int, int], tuple[Fraction, Fraction]] = {}
    for c, e, h in terms:
        mono = (Fraction(1), Fraction(1))
        for j, k in enumerate(e):
            if k:
                if (j, k) not in powers:
                    powers[j, k] = _power_range(*h[j], k)
                mono = _mul(mono, powers[j, k])
        lo_, hi_ = _mul(c, mono)
        total_lo += lo_
        total_hi += hi_
    if leaf.anchor is not None:
        q = _anchored_lower(leaf, n, terms)
        if q is not None:
            total_lo = max(total_lo, q)
    return total_lo, total_hi


def _anchored_lower(leaf: Leaf, n: int, terms: list) -> Fraction | None:
    if len(leaf.coefficients) != 3:
        raise CertificateError("an anchor is for degree-2 enclosures only")
    if len(leaf.anchor) != n:
        raise CertificateError(f"the anchor has {len(leaf.anchor)} entries for {n} variables")
    spans = terms[0][2]
    c = [t[0] for t in terms]  # the terms in order: degree 0, 1 (n), 2 (n*n, C order)
    Q = [c[1 + n + i * n : 1 + n + (i + 1) * n] for i in range(n)]
    u = [read_number(v) for v in leaf.anchor]
    return quadratic_lower(c[0][0], c[1 : 1 + n], Q, spans, u)


def enclosure_integral(leaf: Leaf, n: int) -> tuple[Fraction, Fraction]:
    """Bounds on the integral of f over the leaf from its enclosure, exactly: a term
    ``C · mono`` contributes ``[c_lo P − c_hi N, c_hi P − c_lo N]`` where P and N are the
    integrals of the positive and negative parts of the monomial (products over coordinates)."""
    total_lo = total_hi = Fraction(0)
    for (c_lo, c_hi), e, h in _leaf_terms(leaf, n):
        pos, neg = Fraction(1), Fraction(0)
        for (a, b), k in zip(h, e, strict=True):
            p, q = _power_integral(a, b, k)
            pos, neg = pos * p + neg * q, pos * q + neg * p
        total_lo += c_lo * pos - c_hi * neg
        total_hi += c_hi * pos - c_lo * neg
    return total_lo, total_hi
