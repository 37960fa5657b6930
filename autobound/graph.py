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
import math
import os
from collections.abc import Callable, Iterator, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from autobound.errors import MAX_CONSTANT_BITS, AutoBoundError, ResourceLimit
from autobound.ops import OPS, op_info

_FLOAT64_MAX = Fraction(np.finfo(np.float64).max)


def magnitude(q: Fraction) -> str:
    """``"about 1e+400"``: the size of a (possibly huge) exact number, without converting it
    to a float or to its full decimal string."""
    if q == 0:
        return "0"
    exp10 = math.log10(abs(q.numerator)) - math.log10(q.denominator)
    whole = math.floor(exp10)
    sign = "-" if q < 0 else ""
    return f"about {sign}{10 ** (exp10 - whole):.3g}e{whole:+d}"


def _check_constant(value: Fraction) -> None:
    """Refuse an exact constant no float64 can hold or too long to compute with."""
    bits = max(value.numerator.bit_length(), value.denominator.bit_length())
    if bits > MAX_CONSTANT_BITS:
        raise ResourceLimit(
            f"an exact constant of {magnitude(value)} with {bits:,}-bit numerator or "
            f"denominator: exact constants are limited to {MAX_CONSTANT_BITS} bits "
            f"({int(MAX_CONSTANT_BITS * math.log10(2)):,} digits)"
        )
    if abs(value) > _FLOAT64_MAX:
        raise ResourceLimit(
            f"the constant {magnitude(value)} lies beyond float64's range (largest finite "
            f"value about 1.8e+308)"
        )


def freeze(value: Any) -> Any:
    """A hashable key for a parameter value (numpy arrays by dtype, shape and bytes)."""
    if isinstance(value, np.ndarray):
        return ("ndarray", value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, np.generic):
        return ("npscalar", value.dtype.str, value.tobytes())
    if isinstance(value, dict):
        return tuple(sorted((k, freeze(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
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
        if op == "constant" and isinstance((params or {}).get("value"), Fraction):
            _check_constant(params["value"])
        if info.arity is not None and len(args) != info.arity:
            raise AutoBoundError(f"op {op!r} takes {info.arity} arguments, got {len(args)}")
        params = dict(params or {})
        if shape is None:
            shape = tuple(np.broadcast_shapes(*(self.shape(a) for a in args))) if args else ()
        dtype = dtype or self.dtype
        key = (op, freeze(params), tuple(shape), dtype, args)
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

    def add_param(self, index: int, shape: tuple[int, ...], dtype: str | None = None) -> int:
        """Add (or find) runtime parameter `index`: a point value of the given shape, supplied
        when the lowered function is called (never bounded over the box, never folded)."""
        return self.add("param", (), {"index": int(index)}, tuple(shape), dtype or self.dtype)

    def param_nodes(self) -> dict[int, int]:
        """Reachable ``param`` nodes by parameter index."""
        return {self.params(n)["index"]: n for n in self.order() if self.op(n) == "param"}

    def bind_params(self, values: Sequence[Any]) -> ExprGraph:
        """A copy in which parameter i is the exact constant ``values[i]`` (how a certificate
        records the parameters a bound was computed with: the checker reads constants)."""

        def bind(b: _Builder, args: tuple[int, ...], params: dict[str, Any]) -> int:
            value = np.asarray(values[params["index"]], dtype=b.g.dtype)
            shape = np.shape(value)
            return b.g.add_constant(value, shape)

        return _rebuild(self, {"param": [bind]})

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
            item = (d["op"], freeze(d["params"]), d["shape"], d["dtype"])
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
        if d["op"] == "param":
            return f"p{d['params']['index']}"
        extra = {k: v for k, v in d["params"].items() if not isinstance(v, np.ndarray)}
        return d["op"] + (f" {extra}" if extra else "")

    def __repr__(self) -> str:
        lines = []
        for n in self.order():
            args = ", ".join(f"%{a}" for a in self.args(n))
            lines.append(f"%{n} = {self.label(n)}({args}) : {self.shape(n)}")
        return "ExprGraph(\n  " + "\n  ".join(lines) + f"\n  output %{self.output}\n)"

    # -- inspection -----------------------------------------------------------------------
    def dtype_of(self, node: int) -> str:
        return self.nx.nodes[node]["dtype"]

    def optimize(self) -> ExprGraph:
        """A new, equivalent graph after all passes (see :func:`optimize`)."""
        return optimize(self)

    def to_dot(self) -> str:
        """The reachable graph as Graphviz DOT text (arguments point at their users).

        The input node is an ellipse, the output is drawn with a double border, and edges
        into ops of several arguments carry the argument positions.
        """
        lines = [
            "digraph ExprGraph {",
            "  rankdir=BT;",
            '  node [shape=box, fontname="monospace"];',
        ]
        order = self.order()
        for n in order:
            attrs = [f'label="{_dot_escape(self.label(n))}"']
            if n == self.input:
                attrs.append("shape=ellipse")
            if n == self.output:
                attrs.append("peripheries=2")
            lines.append(f"  n{n} [{', '.join(attrs)}];")
        for n in order:
            for a in dict.fromkeys(self.args(n)):
                edge = f"  n{a} -> n{n}"
                if len(self.args(n)) > 1:
                    pos = ",".join(str(p) for p in self.nx.edges[a, n]["pos"])
                    edge += f' [label="{pos}"]'
                lines.append(edge + ";")
        lines.append("}")
        return "\n".join(lines) + "\n"

    def text(self, ascii_only: bool = False) -> str:
        """A tree view from the output down to the input (``networkx.write_network_text``).

        A node shared by several users is expanded once; later occurrences show ``...``.
        """
        tree = nx.DiGraph()
        for n in reversed(self.order()):
            tree.add_node(n, label=f"%{n} {self.label(n)}")
            for a in self.args(n):
                tree.add_edge(n, a)
        lines: list[str] = []
        nx.write_network_text(
            tree, path=lines.append, sources=[self.output], ascii_only=ascii_only, end=""
        )
        return "\n".join(lines)

    def draw(self, path: str | os.PathLike[str], dpi: int = 100) -> Path:
        """Draw the reachable graph with matplotlib (Agg) into `path` (format from its suffix).

        Nodes are placed in layers by ``networkx.topological_generations``: inputs and
        constants on the left, the output on the right.
        """
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        sub = nx.DiGraph(self.nx.subgraph(self.order()))
        layers = list(nx.topological_generations(sub))
        for depth, layer in enumerate(layers):
            for n in layer:
                sub.nodes[n]["layer"] = depth
        pos = nx.multipartite_layout(sub, subset_key="layer")
        width = max(len(layer) for layer in layers)
        fig = Figure(figsize=(max(4.0, 1.8 * len(layers)), max(3.0, 1.0 * width)))
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        colors = [
            "#f4b183" if n == self.output else "#c9daf8" if n == self.input else "#eeeeee"
            for n in sub
        ]
        nx.draw_networkx(
            sub,
            pos,
            ax=ax,
            labels={n: self.label(n) for n in sub},
            node_color=colors,
            node_shape="s",
            node_size=900,
            font_size=8,
            arrows=True,
        )
        ax.set_axis_off()
        fig.tight_layout()
        fig.savefig(path, dpi=dpi)
        return Path(path)


def _dot_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


# -- passes -------------------------------------------------------------------------------
#
# Every pass rebuilds the reachable graph into a NEW ExprGraph, node by node in topological
# order, through ExprGraph.add: hash-consing then merges equal subexpressions (CSE).  A pass
# is a table of rules keyed by op name; a rule sees the node about to be added, with its
# arguments already rebuilt (so already simplified), and returns an equivalent node or None.
# Rules build their result through _Builder.emit, so the result is simplified in turn.

Rule = Callable[["_Builder", tuple[int, ...], dict[str, Any]], "int | None"]

_COMMUTATIVE = frozenset({"add", "mul", "max", "min"})
_MAX_FOLD_BITS = 4096  # exact powers of constants larger than this stay unevaluated


class _Builder:
    def __init__(self, graph: ExprGraph, rules: dict[str, list[Rule]]):
        self.g = graph
        self.rules = rules

    def const(self, node: int) -> Fraction | None:
        """The exact value of a scalar rational constant node, else None."""
        if self.g.op(node) != "constant":
            return None
        value = self.g.params(node)["value"]
        return value if isinstance(value, Fraction) else None

    def emit(
        self,
        op: str,
        args: Sequence[int] = (),
        params: dict[str, Any] | None = None,
        shape: tuple[int, ...] | None = None,
        dtype: str | None = None,
    ) -> int:
        g = self.g
        args = tuple(args)
        params = dict(params or {})
        if op in _COMMUTATIVE:
            # constants first, then by id: x*y and y*x become one node
            args = tuple(sorted(args, key=lambda a: (self.const(a) is None, a)))
        if shape is None:
            shape = tuple(np.broadcast_shapes(*(g.shape(a) for a in args))) if args else ()
        if dtype is None:
            # as in JAX, constants are weakly typed: the other arguments decide the dtype
            dtypes = [g.dtype_of(a) for a in args if g.op(a) != "constant"]
            dtype = str(np.result_type(*dtypes)) if dtypes else g.dtype
        for rule in self.rules.get(op, ()):
            new = rule(self, args, params)
            # a rule may only replace a node by one of the same shape and dtype
            if new is not None and g.shape(new) == shape and g.dtype_of(new) == dtype:
                return new
        return g.add(op, args, params, shape, dtype)

    def constant(self, value: Fraction) -> int:
        return self.g.add_constant(value)


def _rebuild(graph: ExprGraph, rules: dict[str, list[Rule]]) -> ExprGraph:
    new = ExprGraph(dtype=graph.dtype)
    builder = _Builder(new, rules)
    mapping: dict[int, int] = {}
    if graph.input is not None:
        mapping[graph.input] = new.add_input(graph.shape(graph.input), graph.input_names)
    for n in graph.order():
        if n in mapping:
            continue
        d = graph.nx.nodes[n]
        args = tuple(mapping[a] for a in d["args"])
        mapping[n] = builder.emit(d["op"], args, d["params"], d["shape"], d["dtype"])
    new.set_output(mapping[graph.output])
    return new


def _to_fixed_point(graph: ExprGraph, rules: dict[str, list[Rule]]) -> ExprGraph:
    key = graph.key()
    for _ in range(32):
        graph = _rebuild(graph, rules)
        new_key = graph.key()
        if new_key == key:
            break
        key = new_key
    # rules may leave dead intermediate nodes behind: one plain rebuild drops them
    return _rebuild(graph, {})


def cse(graph: ExprGraph) -> ExprGraph:
    """A copy of the reachable graph with equal subexpressions merged (no other change)."""
    return _rebuild(graph, {})


def fold_constants(graph: ExprGraph) -> ExprGraph:
    """Exact constant folding and identities, to a fixed point (see :data:`FOLD_RULES`).

    Only rational arithmetic is folded, exactly (``Fraction``): ``add sub mul div neg
    integer_pow``, ``pow`` with an integer exponent, ``max min abs square relu``.  Functions
    such as ``exp(1)`` or ``sqrt(2)`` stay in the graph, to be enclosed later with rigorous
    rounding.  Identities: ``x+0, x-0, 0-x, x*1, x*(-1), x/1, x/(-1), x**1, -(-x), c1*(c2*x)``.
    Nothing is folded that could hide a domain error (``0*log(x)`` stays).
    """
    return _to_fixed_point(graph, FOLD_RULES)


def rewrite(graph: ExprGraph) -> ExprGraph:
    """Rewrite patterns into single ops with sharper enclosures (see :data:`REWRITE_RULES`)."""
    return _to_fixed_point(graph, REWRITE_RULES)


def optimize(graph: ExprGraph) -> ExprGraph:
    """A new graph computing the same function: CSE, exact folding and rewrites, to a fixed point.

    The result is mathematically equal to `graph` wherever `graph` is defined (the rewrites
    may only widen the domain, e.g. ``sqrt(x**2) -> abs(x)``); it is rebuilt in topological
    order, so equal subexpressions are one node.

    **Example:**

    ```python
    >>> from autobound.frontends.sympy_frontend import graph_from_string
    >>> g = optimize(graph_from_string("log(1 + exp(x)) + x*x"))
    >>> [g.op(n) for n in g]
    ['input', 'square', 'softplus', 'add']
    ```
    """
    rules = {op: FOLD_RULES.get(op, []) + REWRITE_RULES.get(op, []) for op in OPS}
    return _to_fixed_point(graph, rules)


# -- exact folding rules ------------------------------------------------------------------


def _exact_pow(base: Fraction, n: int) -> Fraction | None:
    if base == 0 and n < 0:
        return None
    bits = max(base.numerator.bit_length(), base.denominator.bit_length()) * abs(n)
    return base**n if bits <= _MAX_FOLD_BITS else None


def _fold_binary(fn: Callable[[Fraction, Fraction], Fraction | None]) -> Rule:
    def rule(b: _Builder, args: tuple[int, ...], params: dict[str, Any]) -> int | None:
        x, y = (b.const(a) for a in args)
        if x is None or y is None:
            return None
        value = fn(x, y)
        return None if value is None else b.constant(value)

    return rule


def _fold_unary(fn: Callable[[Fraction], Fraction | None]) -> Rule:
    def rule(b: _Builder, args: tuple[int, ...], params: dict[str, Any]) -> int | None:
        x = b.const(args[0])
        value = None if x is None else fn(x)
        return None if value is None else b.constant(value)

    return rule


def _fold_integer_pow(b: _Builder, args: tuple[int, ...], params: dict[str, Any]) -> int | None:
    x = b.const(args[0])
    value = None if x is None else _exact_pow(x, int(params["n"]))
    return None if value is None else b.constant(value)


def _pow_of_constants(x: Fraction, y: Fraction) -> Fraction | None:
    return _exact_pow(x, int(y)) if y.denominator == 1 else None


def _add_identity(b: _Builder, args: tuple[int, ...], params: dict[str, Any]) -> int | None:
    x, y = args
    if b.const(x) == 0:
        return y
    if b.const(y) == 0:
        return x
    return None


def _sub_identity(b: _Builder, args: tuple[int, ...], params: dict[str, Any]) -> int | None:
    x, y = args
    if b.const(y) == 0:
        return x
    if b.const(x) == 0:
        return b.emit("neg", [y])
    return None


def _mul_identity(b: _Builder, args: tuple[int, ...], params: dict[str, Any]) -> int | None:
    for c, other in (args, args[::-1]):
        value = b.const(c)
        if value == 1:
            return other
        if value == -1:
            return b.emit("neg", [other])
        if value is not None and b.g.op(other) == "mul":
            # c1 * (c2 * x) -> (c1*c2) * x
            inner = [b.const(a) for a in b.g.args(other)]
            for i, inner_value in enumerate(inner):
                if inner_value is not None:
                    rest = b.g.args(other)[1 - i]
                    return b.emit("mul", [b.constant(value * inner_value), rest])
    return None


def _div_identity(b: _Builder, args: tuple[int, ...], params: dict[str, Any]) -> int | None:
    x, y = args
    if b.const(y) == 1:
        return x
    if b.const(y) == -1:
        return b.emit("neg", [x])
    return None


def _neg_neg(b: _Builder, args: tuple[int, ...], params: dict[str, Any]) -> int | None:
    (x,) = args
    return b.g.args(x)[0] if b.g.op(x) == "neg" else None


def _pow_one(b: _Builder, args: tuple[int, ...], params: dict[str, Any]) -> int | None:
    return args[0] if int(params["n"]) == 1 else None


def _pow_identity(b: _Builder, args: tuple[int, ...], params: dict[str, Any]) -> int | None:
    return args[0] if b.const(args[1]) == 1 else None


FOLD_RULES: dict[str, list[Rule]] = {
    "add": [_fold_binary(lambda x, y: x + y), _add_identity],
    "sub": [_fold_binary(lambda x, y: x - y), _sub_identity],
    "mul": [_fold_binary(lambda x, y: x * y), _mul_identity],
    "div": [_fold_binary(lambda x, y: x / y if y != 0 else None), _div_identity],
    "neg": [_fold_unary(lambda x: -x), _neg_neg],
    "integer_pow": [_fold_integer_pow, _pow_one],
    "pow": [_fold_binary(_pow_of_constants), _pow_identity],
    "max": [_fold_binary(max)],
    "min": [_fold_binary(min)],
    "abs": [_fold_unary(abs)],
    "square": [_fold_unary(lambda x: x * x)],
    "relu": [_fold_unary(lambda x: max(x, Fraction(0)))],
}
"""Exact folding rules of :func:`fold_constants`, keyed by op name."""


# -- tightness rewrites -------------------------------------------------------------------


def _match(b: _Builder, node: int, op: str) -> tuple[int, ...] | None:
    """The arguments of `node` if it is an `op` node, else None."""
    return b.g.args(node) if b.g.op(node) == op else None


def _negated(b: _Builder, node: int) -> int | None:
    """u if `node` is ``neg(u)`` or ``mul(-1, u)``, else None."""
    if b.g.op(node) == "neg":
        return b.g.args(node)[0]
    if b.g.op(node) == "mul":
        x, y = b.g.args(node)
        if b.const(x) == -1:
            return y
        if b.const(y) == -1:
            return x
    return None


def _one_plus(b: _Builder, node: int) -> int | None:
    """t if `node` is ``1 + t`` or ``t + 1``, else None."""
    args = _match(b, node, "add")
    if args is None:
        return None
    if b.const(args[0]) == 1:
        return args[1]
    if b.const(args[1]) == 1:
        return args[0]
    return None


def _one_plus_exp_neg(b: _Builder, node: int) -> int | None:
    """u if `node` is ``1 + exp(-u)``, else None."""
    t = _one_plus(b, node)
    inner = None if t is None else _match(b, t, "exp")
    return None if inner is None else _negated(b, inner[0])


def _log1p_exp(b: _Builder, node: int) -> int | None:
    """u if `node` is ``1 + exp(u)``, else None."""
    t = _one_plus(b, node)
    inner = None if t is None else _match(b, t, "exp")
    return None if inner is None else inner[0]


def _mul_rewrite(b: _Builder, args: tuple[int, ...], params: dict[str, Any]) -> int | None:
    x, y = args
    if x == y:
        return b.emit("square", [x])
    for u, s in (args, args[::-1]):
        sig = _match(b, s, "sigmoid")
        if sig is None:
            continue
        if sig == (u,):
            return b.emit("swish", sig)
        # (c*u) * sigmoid(u) -> c * swish(u)
        scaled = _match(b, u, "mul")
        c = None if scaled is None or sig[0] not in scaled else _other_constant(b, scaled, sig[0])
        if c is not None:
            return b.emit("mul", [c, b.emit("swish", sig)])
    return None


def _other_constant(b: _Builder, args: tuple[int, ...], node: int) -> int | None:
    """The constant node among the two `args` of a node whose other argument is `node`."""
    other = args[1] if args[0] == node else args[0]
    return other if b.const(other) is not None else None


def _integer_pow_rewrite(b: _Builder, args: tuple[int, ...], params: dict[str, Any]) -> int | None:
    n = int(params["n"])
    if n == 2:
        return b.emit("square", args)
    if n == -1 and (u := _one_plus_exp_neg(b, args[0])) is not None:
        return b.emit("sigmoid", [u])
    return None


def _pow_rewrite(b: _Builder, args: tuple[int, ...], params: dict[str, Any]) -> int | None:
    x, y = args
    c = b.const(y)
    if c is None:
        return None
    if c.denominator == 1:
        return b.emit("integer_pow", [x], {"n": int(c)})
    if c == Fraction(1, 2):
        return b.emit("sqrt", [x])
    if c == Fraction(-1, 2):
        return b.emit("rsqrt", [x])
    return None


def _log_rewrite(b: _Builder, args: tuple[int, ...], params: dict[str, Any]) -> int | None:
    (x,) = args
    if (u := _log1p_exp(b, x)) is not None:
        return b.emit("softplus", [u])
    if (inner := _match(b, x, "exp")) is not None:
        return inner[0]
    return None


def _log1p_rewrite(b: _Builder, args: tuple[int, ...], params: dict[str, Any]) -> int | None:
    inner = _match(b, args[0], "exp")
    return None if inner is None else b.emit("softplus", inner)


def _div_rewrite(b: _Builder, args: tuple[int, ...], params: dict[str, Any]) -> int | None:
    x, y = args
    u = _one_plus_exp_neg(b, y)
    if u is None:
        return None
    if b.const(x) == 1:
        return b.emit("sigmoid", [u])
    # x / (1 + exp(-u)) -> x * sigmoid(u), which is swish(u) when x is u
    return b.emit("mul", [x, b.emit("sigmoid", [u])])


def _max_rewrite(b: _Builder, args: tuple[int, ...], params: dict[str, Any]) -> int | None:
    for u, v in (args, args[::-1]):
        if b.const(v) == 0:
            return b.emit("relu", [u])
        # max(u, a*u) with 0 < a < 1 is leaky_relu(u; alpha=a)
        scaled = _match(b, v, "mul")
        c = None if scaled is None or u not in scaled else _other_constant(b, scaled, u)
        if c is not None:
            alpha = b.const(c)
            if 0 < alpha < 1:
                return b.emit("leaky_relu", [u], {"alpha": alpha})
    return None


def _add_of_neg(b: _Builder, args: tuple[int, ...], params: dict[str, Any]) -> int | None:
    for u, v in (args, args[::-1]):
        if b.g.op(v) == "neg":
            return b.emit("sub", [u, b.g.args(v)[0]])
    return None


def _sub_of_neg(b: _Builder, args: tuple[int, ...], params: dict[str, Any]) -> int | None:
    x, y = args
    return b.emit("add", [x, b.g.args(y)[0]]) if b.g.op(y) == "neg" else None


def _sqrt_of_square(b: _Builder, args: tuple[int, ...], params: dict[str, Any]) -> int | None:
    inner = _match(b, args[0], "square")
    return None if inner is None else b.emit("abs", inner)


REWRITE_RULES: dict[str, list[Rule]] = {
    "mul": [_mul_rewrite],
    "integer_pow": [_integer_pow_rewrite],
    "pow": [_pow_rewrite],
    "log": [_log_rewrite],
    "log1p": [_log1p_rewrite],
    "div": [_div_rewrite],
    "max": [_max_rewrite],
    "add": [_add_of_neg],
    "sub": [_sub_of_neg],
    "sqrt": [_sqrt_of_square],
}
"""Rewrites of :func:`rewrite`, keyed by op name: ``x*x -> square(x)``, ``x**2 -> square``,
``pow(x, n) -> integer_pow``, ``pow(x, ±1/2) -> sqrt/rsqrt``, ``log(1+exp(u))`` and
``log1p(exp(u)) -> softplus(u)``, ``1/(1+exp(-u))`` and ``(1+exp(-u))**-1 -> sigmoid(u)``,
``u*sigmoid(u)``, ``(c*u)*sigmoid(u)`` and ``u/(1+exp(-u)) -> swish(u)`` (``x/(1+exp(-u))
-> x*sigmoid(u)``), ``max(u, 0) -> relu(u)``,
``max(u, a*u) -> leaky_relu(u)`` (0 < a < 1), ``log(exp(u)) -> u``, ``sqrt(u**2) -> abs(u)``,
``a + (-b) -> a - b``, ``a - (-b) -> a + b``."""
