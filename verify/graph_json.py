"""The expression of a certificate: an :class:`~autobound.graph.ExprGraph` as JSON, and back.

Nodes are written in topological order as ``{op, args, shape, params}``; parameters that JSON
cannot hold exactly are tagged: ``{"$number": "1/3"}``, ``{"$tuple": [...]}``, ``{"$dict":
{...}}``, ``{"$array": {"kind": "float"|"int", "shape": [...], "data": [...]}}``.  Reading
checks op names against the registry, lets arguments refer to earlier nodes only (so the
graph is a DAG) and bounds sizes; it never evaluates text.  :func:`graph_text` writes the
function out for people, from the graph itself.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, JsonValue, StrictInt, StrictStr

from autobound.errors import CertificateError
from autobound.graph import ExprGraph
from autobound.ops import OPS

from .exact import read_number, write_number

MAX_NODES = 20_000
MAX_ARRAY_SIZE = 1_000_000


class StrictModel(BaseModel):
    """The base of the certificate models: no extra fields, no coercion, immutable."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Node(StrictModel):
    op: StrictStr
    args: list[StrictInt] = []
    shape: list[StrictInt] = []
    params: dict[str, JsonValue] = {}


class Graph(StrictModel):
    dtype: Literal["float32", "float64"] = "float64"
    nodes: list[Node] = Field(max_length=MAX_NODES)
    output: StrictInt


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
    size = math.prod(shape)  # Python ints: no overflow
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
    """The graph as a :class:`Graph` model: nodes renumbered in topological order.  The
    input node is always written, first, even when f does not depend on x (a constant)."""
    order = graph.order()
    if graph.input is not None and graph.input not in order:
        order = [graph.input, *order]
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
        if node.op == "param":
            raise CertificateError(
                f"node {i}: a runtime parameter without a value (a certificate records "
                "parameters as exact constants)"
            )
        if any(not 0 <= a < i for a in node.args):
            raise CertificateError(f"node {i}: arguments must refer to earlier nodes")
        if any(s < 0 for s in node.shape) or math.prod(node.shape) > MAX_ARRAY_SIZE:
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
