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

**Numbers are exact.**  Every number is a JSON string: a decimal (``"0.1"`` is 1/10), a
rational ``"p/q"``, or a C99 hex float (``"0x1.8p-3"``); integers may also be JSON integers.
JSON floats are refused: readers round them differently.  :func:`write_number` writes binary
floats as their exact decimal expansion.

**Untrusted input.**  Reading never evaluates text: numbers go through :func:`read_number`,
the graph through :func:`graph_from_json` (op names checked against the registry, arguments
must refer to earlier nodes, sizes bounded), the rest through pydantic models.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, JsonValue, StrictInt, StrictStr

from autobound.errors import CertificateError
from autobound.graph import ExprGraph
from autobound.ops import OPS

FORMAT = "autobound-certificate"
VERSION = 1

MAX_NUMBER_CHARS = 2000
MAX_EXPONENT = 1200
MAX_NODES = 20_000
MAX_ARRAY_SIZE = 1_000_000

_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_RATIONAL = re.compile(r"[+-]?\d+/\d+")
_HEX = re.compile(r"[+-]?0[xX]([0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)([pP][+-]?\d+)?")


# -- exact numbers -------------------------------------------------------------------------------


def read_number(value: Any) -> Fraction:
    """The exact rational a certificate number denotes (never rounded).

    Accepts an int, a decimal string (``"-1.25e-3"``), a rational ``"p/q"`` or a hex float
    (``"0x1.8p-3"``); raises :class:`~autobound.errors.CertificateError` for anything else
    (floats, NaN/inf, other text, absurd exponents).
    """
    if isinstance(value, bool):
        raise CertificateError(f"{value!r} is not a number")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        raise CertificateError(
            f'{value!r} is a JSON float; write numbers as exact strings (e.g. "0.1", "1/3")'
        )
    if not isinstance(value, str) or len(value) > MAX_NUMBER_CHARS:
        raise CertificateError(f"{str(value)[:60]!r} is not an exact number")
    text = value.strip()
    if _DECIMAL.fullmatch(text):
        exponent = re.search(r"[eE]([+-]?\d+)$", text)
        if exponent and abs(int(exponent.group(1))) > MAX_EXPONENT:
            raise CertificateError(f"{text[:60]!r}: exponent out of range")
        return Fraction(text)
    if _RATIONAL.fullmatch(text):
        num, den = text.split("/")
        if int(den) == 0:
            raise CertificateError(f"{text[:60]!r}: zero denominator")
        return Fraction(int(num), int(den))
    if _HEX.fullmatch(text):
        return _read_hex(text)
    raise CertificateError(
        f"{text[:60]!r} is not an exact number (a decimal, p/q, or a hex float such as 0x1p-3)"
    )


def _read_hex(text: str) -> Fraction:
    """A C99 hex float read exactly, with any number of hex digits (``float.fromhex`` would
    round to binary64)."""
    sign = -1 if text.startswith("-") else 1
    body = text.lstrip("+-")[2:]
    mantissa, _, exponent = body.lower().partition("p")
    whole, _, frac = mantissa.partition(".")
    exp = int(exponent or 0) - 4 * len(frac)
    if abs(exp) > 4 * MAX_EXPONENT:
        raise CertificateError(f"{text[:60]!r}: exponent out of range")
    return sign * Fraction(int(whole + frac or "0", 16)) * Fraction(2) ** exp


def write_number(value: Any) -> str:
    """An exact string for a finite int, Fraction or binary float: its exact decimal expansion
    when that is short (at most 24 significant characters), else a hex float (``float.hex``
    for binary64 numbers, ``0x<m>p-<k>`` for other dyadic rationals), else ``"p/q"``.
    :func:`read_number` gives back the same value."""
    q = value if isinstance(value, Fraction) else Fraction(value)
    den = q.denominator
    if den == 1:
        return str(q.numerator)
    if den & (den - 1):
        return f"{q.numerator}/{den}"
    text = _exact_decimal(q)
    if len(text.lstrip("-0.")) <= 24:
        return text
    if abs(q) < 2**1024 and Fraction(float(q)) == q:
        return float(q).hex()
    k = den.bit_length() - 1
    return f"{'-' if q < 0 else ''}0x{abs(q.numerator):x}p-{k}"


def _exact_decimal(q: Fraction) -> str:
    k = q.denominator.bit_length() - 1
    digits = str(abs(q.numerator) * 5**k).rjust(k + 1, "0")
    sign = "-" if q < 0 else ""
    if k == 0:
        return sign + digits
    return f"{sign}{digits[:-k]}.{digits[-k:]}".rstrip("0").rstrip(".")


def _check_number(value: str | int) -> str | int:
    read_number(value)
    return value


Number = Annotated[StrictStr | StrictInt, AfterValidator(_check_number)]
Pair = Annotated[list[Number], Field(min_length=2, max_length=2)]  # [lo, hi]


# -- the document --------------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Node(_Model):
    op: StrictStr
    args: list[StrictInt] = []
    shape: list[StrictInt] = []
    params: dict[str, JsonValue] = {}


class Graph(_Model):
    dtype: Literal["float32", "float64"] = "float64"
    nodes: list[Node] = Field(max_length=MAX_NODES)
    output: StrictInt


class Expression(_Model):
    graph: Graph
    text: StrictStr | None = None


class BoundClaim(_Model):
    kind: Literal["ge", "gt", "le", "lt"]
    value: Number


class MinimumClaim(_Model):
    kind: Literal["min_in"]
    lower: Number
    upper: Number
    witness: list[Number]


class IntegralClaim(_Model):
    kind: Literal["integral_in"]
    lower: Number
    upper: Number


Claim = Annotated[BoundClaim | MinimumClaim | IntegralClaim, Field(discriminator="kind")]


class Leaf(_Model):
    lo: list[Number]
    hi: list[Number]
    x0: list[Number]
    coefficients: list[list[Pair]]
    range: Pair | None = None
    integral: Pair | None = None


class Certificate(_Model):
    """A claim about f over a box with the partition and enclosures that prove it."""

    format: Literal["autobound-certificate"] = FORMAT
    version: Literal[1] = VERSION
    expression: Expression
    variables: list[StrictStr]
    box: list[Pair]
    claim: Claim
    leaves: list[Leaf]
    prover: dict[str, JsonValue] = {}

    def to_json(self, indent: int | None = 1) -> str:
        return self.model_dump_json(indent=indent, exclude_none=True)


def _show(value: str | int) -> str:
    """A number for people: as written when short, else its nearest double."""
    text = str(value)
    return text if len(text) <= 20 and "x" not in text else f"{float(read_number(value)):.17g}"


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


def load(source: Any) -> Certificate:
    """Read a certificate from JSON text/bytes, a parsed dict, or a :class:`Certificate`.

    Raises :class:`~autobound.errors.CertificateError` naming the first problem: not JSON, a
    float or NaN, another format or version, a missing or unexpected field.
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
    if source.get("version") != VERSION:
        raise CertificateError(
            f"certificate version {source.get('version')!r} is not supported "
            f"(this checker reads version {VERSION})"
        )
    from pydantic import ValidationError

    try:
        return Certificate.model_validate(source)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise CertificateError(f"{where}: {first['msg']}") from err


# -- the graph -----------------------------------------------------------------------------------


def _encode(value: Any) -> Any:
    """A JSON value for a graph parameter, exact (tagged dicts for non-JSON types)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, Fraction):
        return {"$number": write_number(value)}
    if isinstance(value, (float, np.floating)):
        return {"$number": write_number(float(value))}
    if isinstance(value, np.ndarray):
        kind = "int" if value.dtype.kind in "iub" else "float"
        data = [int(v) if kind == "int" else write_number(float(v)) for v in value.reshape(-1)]
        return {"$array": {"kind": kind, "shape": list(value.shape), "data": data}}
    if isinstance(value, tuple):
        return {"$tuple": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, Mapping):
        return {"$dict": {str(k): _encode(v) for k, v in value.items()}}
    raise CertificateError(f"cannot write a parameter of type {type(value).__name__}")


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) != 1:
        raise CertificateError(f"unknown parameter encoding {str(value)[:60]}")
    ((tag, body),) = value.items()
    if tag == "$number":
        return read_number(body)
    if tag == "$tuple" and isinstance(body, list):
        return tuple(_decode(v) for v in body)
    if tag == "$dict" and isinstance(body, dict):
        return {k: _decode(v) for k, v in body.items()}
    if tag == "$array" and isinstance(body, dict):
        return _decode_array(body)
    raise CertificateError(f"unknown parameter encoding {tag!r}")


def _decode_array(body: Mapping[str, Any]) -> np.ndarray:
    shape, data, kind = body.get("shape"), body.get("data"), body.get("kind")
    if not (isinstance(shape, list) and all(isinstance(s, int) and s >= 0 for s in shape)):
        raise CertificateError("an array needs a shape of non-negative ints")
    size = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if size > MAX_ARRAY_SIZE or not isinstance(data, list) or len(data) != size:
        raise CertificateError(f"array data does not match its shape {shape}")
    if kind == "int":
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in data):
            raise CertificateError("an int array holds ints only")
        return np.array(data, dtype=np.int64).reshape(shape)
    if kind == "float":
        values = [read_number(v) for v in data]
        arr = np.array([float(v) for v in values], dtype=np.float64)
        if any(Fraction(float(a)) != v for a, v in zip(arr, values, strict=True)):
            raise CertificateError("a float array holds binary64 numbers only")
        return arr.reshape(shape)
    raise CertificateError(f"unknown array kind {kind!r}")


def graph_to_json(graph: ExprGraph) -> Graph:
    """The graph as a :class:`Graph` model: nodes renumbered in topological order."""
    order = graph.order()
    index = {node: i for i, node in enumerate(order)}
    nodes = [
        Node(
            op=graph.op(node),
            args=[index[a] for a in graph.args(node)],
            shape=[int(s) for s in graph.shape(node)],
            params={k: _encode(v) for k, v in graph.params(node).items()},
        )
        for node in order
    ]
    return Graph(dtype=graph.dtype, nodes=nodes, output=index[graph.output])


def graph_from_json(data: Graph, names: Sequence[str] = ()) -> ExprGraph:
    """Rebuild an :class:`~autobound.graph.ExprGraph` from its serialized form, checking op
    names, argument references (earlier nodes only: a DAG), one input node and the output."""
    graph = ExprGraph(data.dtype)
    ids: list[int] = []
    for i, node in enumerate(data.nodes):
        if node.op not in OPS:
            raise CertificateError(f"node {i}: unknown op {node.op[:40]!r}")
        if any(not 0 <= a < i for a in node.args):
            raise CertificateError(f"node {i}: arguments must refer to earlier nodes")
        if any(s < 0 for s in node.shape) or np.prod(node.shape, dtype=np.int64) > MAX_ARRAY_SIZE:
            raise CertificateError(f"node {i}: bad shape {node.shape}")
        params = {k: _decode(v) for k, v in node.params.items()}
        shape = tuple(node.shape)
        try:
            if node.op == "input":
                ids.append(graph.add_input(shape, names))
            else:
                args = [ids[a] for a in node.args]
                ids.append(graph.add(node.op, args, params, shape))
        except CertificateError:
            raise
        except Exception as err:  # the registry's own checks: arity, ...
            raise CertificateError(f"node {i} ({node.op}): {err}") from err
    if graph.input is None:
        raise CertificateError("the graph has no input node")
    if not 0 <= data.output < len(ids):
        raise CertificateError(f"output {data.output} is not a node")
    graph.set_output(ids[data.output])
    return graph


_INFIX = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}


def graph_text(graph: ExprGraph, names: Sequence[str] = (), limit: int = 400) -> str:
    """The function a graph denotes, written out (what a checked claim is about): infix for
    arithmetic, ``name(arg)`` for functions, ``x[i]`` (or the variable's name) for entries of
    the input; cut at `limit` characters."""
    shape = tuple(graph.shape(graph.input))
    text: dict[int, str] = {}
    for node in graph.order():
        op, params = graph.op(node), graph.params(node)
        args = [text[a] for a in graph.args(node)]
        if op == "input":
            text[node] = names[0] if names and shape == () else "x"
        elif op == "constant":
            value = params["value"]
            text[node] = str(value) if isinstance(value, Fraction) else f"const{value.shape}"
        elif op == "take" and graph.args(node) == (graph.input,) and len(params["indices"]) == 1:
            i = int(params["indices"][0])
            text[node] = names[i] if i < len(names) else f"x[{i}]"
        elif op in _INFIX:
            text[node] = f"({args[0]} {_INFIX[op]} {args[1]})"
        elif op == "neg":
            text[node] = f"-{args[0]}"
        elif op == "integer_pow":
            text[node] = f"{args[0]}**{params['n']}"
        else:
            extra = [
                str(v) for k, v in params.items() if k != "shape" and not isinstance(v, np.ndarray)
            ]
            text[node] = f"{op}({', '.join(args + extra)})"
        if len(text[node]) > limit:
            text[node] = text[node][:limit] + "..."
    return text[graph.output]


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
    ``Σ C_i[m] · Π_j range(h_j ** e_j)``, where ``e`` counts the m_j."""
    total_lo = total_hi = Fraction(0)
    for c, e, h in _leaf_terms(leaf, n):
        mono = (Fraction(1), Fraction(1))
        for (a, b), k in zip(h, e, strict=True):
            if k:
                mono = _mul(mono, _power_range(a, b, k))
        lo_, hi_ = _mul(c, mono)
        total_lo += lo_
        total_hi += hi_
    return total_lo, total_hi


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
