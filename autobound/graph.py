"""ExprGraph: a function as a DAG of ops (a :class:`networkx.DiGraph`).

Each node is an int carrying ``op`` (a name from :mod:`autobound.ops`), ``params`` (a dict of
plain values), ``shape`` (tuple) and ``dtype`` (``"float32"``/``"float64"``), and ``args``, the
ordered tuple of argument nodes.  An edge ``u -> v`` exists when ``u`` is an argument of
``v``; its ``pos`` attribute is the tuple of argument positions (``x*x`` has one edge with
``pos=(0, 1)``, since a DiGraph has no parallel edges).

Nodes are hash-consed: adding a node equal to an existing one (same op, params, shape, dtype
and args) returns the existing id, so common subexpressions are shared by construction.
A graph has exactly one ``input`` node (the variable vector x, of any shape) and one output.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from fractions import Fraction
from typing import Any

import networkx as nx
import numpy as np

from autobound.errors import AutoBoundError
from autobound.ops import op_info


def _freeze(value: Any) -> Any:
    """A hashable key for a parameter value (numpy arrays by dtype, shape and bytes)."""
    if isinstance(value, np.ndarray):
        return ("ndarray", value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, np.generic):
        return ("npscalar", value.dtype.str, value.tobytes())
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, float):
        return ("float", value.hex())
    return value


class ExprGraph:
    """A DAG of ops with one input node and one output node.

    **Example:**

    ```python
    g = ExprGraph()
    x = g.add_input(())
    y = g.add("exp", [g.add("mul", [g.add_constant(3), x])])
    g.set_output(y)
    ```
    """

    def __init__(self, dtype: str = "float64"):
        self.nx = nx.DiGraph()
        self.dtype = dtype
        self.input: int | None = None
        self.output: int | None = None
        self.input_names: tuple[str, ...] = ()
        self._memo: dict[Any, int] = {}

    # -- construction -------------------------------------------------------------------
    def add(
        self,
        op: str,
        args: Sequence[int] = (),
        params: dict[str, Any] | None = None,
        shape: tuple[int, ...] | None = None,
        dtype: str | None = None,
    ) -> int:
        """Add (or find) the node ``op(*args; **params)`` and return its id.

        `shape` defaults to the numpy broadcast of the argument shapes (right for
        elementwise and arithmetic ops); structural ops must pass it.
        """
        info = op_info(op)
        args = tuple(int(a) for a in args)
        if info.arity is not None and len(args) != info.arity:
            raise AutoBoundError(f"op {op!r} takes {info.arity} arguments, got {len(args)}")
        params = dict(params or {})
        if shape is None:
            shape = tuple(np.broadcast_shapes(*(self.shape(a) for a in args))) if args else ()
        dtype = dtype or self.dtype
        key = (op, _freeze(params), tuple(shape), dtype, args)
        if op != "input" and key in self._memo:
            return self._memo[key]
        node = len(self.nx)
        self.nx.add_node(node, op=op, params=params, shape=tuple(shape), dtype=dtype, args=args)
        for pos, a in enumerate(args):
            if self.nx.has_edge(a, node):
                self.nx.edges[a, node]["pos"] += (pos,)
            else:
                self.nx.add_edge(a, node, pos=(pos,))
        self._memo[key] = node
        return node

    def add_input(self, shape: tuple[int, ...], names: Sequence[str] = ()) -> int:
        """Add the single input node x of the given shape (`names`: one per entry, optional)."""
        if self.input is not None:
            raise AutoBoundError("an ExprGraph has exactly one input node")
        self.input = self.add("input", (), {}, tuple(shape))
        self.input_names = tuple(names)
        return self.input

    def add_constant(self, value: Any, shape: tuple[int, ...] | None = None) -> int:
        """Add an exact constant: an int/Fraction (kept exact) or an array of floats."""
        if isinstance(value, (int, Fraction)) and not isinstance(value, bool):
            return self.add("constant", (), {"value": Fraction(value)}, ())
        arr = np.asarray(value, dtype=self.dtype)
        if shape is not None:
            arr = np.broadcast_to(arr, shape)
        if arr.ndim == 0:
            return self.add("constant", (), {"value": Fraction(float(arr))}, ())
        return self.add("constant", (), {"value": np.array(arr)}, arr.shape)

    def set_output(self, node: int) -> None:
        self.output = int(node)

    # -- reading ------------------------------------------------------------------------
    def op(self, node: int) -> str:
        return self.nx.nodes[node]["op"]

    def params(self, node: int) -> dict[str, Any]:
        return self.nx.nodes[node]["params"]

    def shape(self, node: int) -> tuple[int, ...]:
        return self.nx.nodes[node]["shape"]

    def args(self, node: int) -> tuple[int, ...]:
        return self.nx.nodes[node]["args"]

    def order(self) -> list[int]:
        """Nodes the output depends on, arguments before users (a topological order)."""
        assert self.output is not None, "graph has no output"
        needed = nx.ancestors(self.nx, self.output) | {self.output}
        return [n for n in nx.topological_sort(self.nx) if n in needed]

    def __iter__(self) -> Iterator[int]:
        return iter(self.order())

    def __len__(self) -> int:
        return len(self.order())

    def key(self) -> str:
        """A digest of the reachable graph: equal graphs have equal keys (used for caching)."""
        renum = {}
        h = hashlib.sha256()
        for n in self.order():
            renum[n] = len(renum)
            d = self.nx.nodes[n]
            item = (d["op"], _freeze(d["params"]), d["shape"], d["dtype"])
            h.update(repr((item, tuple(renum[a] for a in d["args"]))).encode())
        return h.hexdigest()

    def uses_input(self, node: int) -> bool:
        """Whether `node` depends on the input variable."""
        return self.input is not None and (
            node == self.input or nx.has_path(self.nx, self.input, node)
        )

    def label(self, node: int) -> str:
        d = self.nx.nodes[node]
        if d["op"] == "constant":
            v = d["params"]["value"]
            return str(v) if isinstance(v, Fraction) else f"const{tuple(v.shape)}"
        if d["op"] == "input":
            return "x" if not self.input_names else "x[" + ",".join(self.input_names) + "]"
        extra = {k: v for k, v in d["params"].items() if not isinstance(v, np.ndarray)}
        return d["op"] + (f" {extra}" if extra else "")

    def __repr__(self) -> str:
        lines = []
        for n in self.order():
            args = ", ".join(f"%{a}" for a in self.args(n))
            lines.append(f"%{n} = {self.label(n)}({args}) : {self.shape(n)}")
        return "ExprGraph(\n  " + "\n  ".join(lines) + f"\n  output %{self.output}\n)"
