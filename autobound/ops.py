"""The op vocabulary: one registry, one entry per op.

An :class:`OpInfo` says what an op of an :class:`~autobound.graph.ExprGraph` is: its arity,
its kind (which decides how enclosures flow through it) and, for elementwise ops, the
mathematical function it stands for.  The enclosure rules that give each op its meaning on
Taylor enclosures are registered next to their code in :mod:`autobound.rules` via
:func:`register_rule`; :func:`rule_for` looks one up and raises
:class:`~autobound.errors.UnsupportedOperation` (naming the op and listing what is supported)
on a miss.

This module imports neither JAX nor mpmath, so :mod:`autobound.verify` can read graphs
without touching the JAX lowering.

Kinds:

* ``source``: ``input`` (the variable vector x), ``constant`` (exact value in params) and
  ``param`` (a runtime parameter: a point known only when the function is called).
* ``elementwise``: a scalar function applied entrywise (``exp``, ``sin``, ``relu``, ...).
* ``arith``: ``add``, ``sub``, ``mul``, ``div``, ``neg``, ``integer_pow``, ``pow``, ``max``, ``min``
  (entrywise, numpy broadcasting).
* ``linear``: linear in its enclosure argument(s), exact structural maps (``reshape``,
  ``slice``, ``take``, ...) and sums (``reduce_sum``).
* ``bilinear``: ``dot_general``, ``conv_general_dilated``.

Node parameters (``params``) are plain Python values (ints, tuples, strings, Fractions,
numpy arrays for constants).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from autobound.errors import UnsupportedOperation
from autobound.function_names import FUNCTION_NAMES

SOURCE, ELEMENTWISE, ARITH, LINEAR, BILINEAR = (
    "source",
    "elementwise",
    "arith",
    "linear",
    "bilinear",
)


@dataclass(frozen=True)
class OpInfo:
    """Static facts about one op.

    **Fields:**

    - `name`: the op's name in graphs.
    - `arity`: number of arguments, or ``None`` for variadic ops (``concatenate``).
    - `kind`: one of ``source``, ``elementwise``, ``arith``, ``linear``, ``bilinear``.
    - `doc`: the mathematics, e.g. ``"softplus(x) = log(1 + exp(x))"``.
    - `params`: names of the parameters the op requires.
    """

    name: str
    arity: int | None
    kind: str
    doc: str
    params: tuple[str, ...] = ()


OPS: dict[str, OpInfo] = {}


def _def(name: str, arity: int | None, kind: str, doc: str, params: tuple[str, ...] = ()) -> None:
    OPS[name] = OpInfo(name, arity, kind, doc, params)


_def("input", 0, SOURCE, "the input variable x (shape given by the node)")
_def("constant", 0, SOURCE, "an exact constant: params['value'] is a Fraction or numpy array")
_def(
    "param",
    0,
    SOURCE,
    "a runtime parameter: a point whose value is supplied at call time (params['index'])",
    ("index",),
)

# The elementwise ops, from their records (one per function: autobound.rules.functions).
for _f in FUNCTION_NAMES.values():
    _def(_f.name, 1, ELEMENTWISE, _f.doc, _f.params)

_def("add", 2, ARITH, "x + y")
_def("sub", 2, ARITH, "x - y")
_def("mul", 2, ARITH, "x * y")
_def("div", 2, ARITH, "x / y")
_def("neg", 1, ARITH, "-x")
_def("integer_pow", 1, ARITH, "x**n for an integer n", ("n",))
_def("pow", 2, ARITH, "x**y; y constant gives a real power (x > 0 unless y is an integer)")
_def("max", 2, ARITH, "entrywise maximum")
_def("min", 2, ARITH, "entrywise minimum")
_def(
    "step",
    1,
    ARITH,
    "a monotone step function: kind floor, ceil, trunc, round_even (half to even), round_away",
    ("kind",),
)
_def(
    "switch",
    3,
    ARITH,
    "where(s > 0, a, b) (strict) or where(s >= 0, a, b): a branch on the sign of s",
    ("strict",),
)

_def("reshape", 1, LINEAR, "numpy reshape", ("shape",))
_def("transpose", 1, LINEAR, "numpy transpose", ("perm",))
_def(
    "broadcast_in_dim",
    1,
    LINEAR,
    "lax.broadcast_in_dim",
    ("shape", "broadcast_dimensions"),
)
_def("slice", 1, LINEAR, "lax.slice", ("start", "limit", "strides"))
_def("squeeze", 1, LINEAR, "lax.squeeze", ("dimensions",))
_def(
    "take",
    1,
    LINEAR,
    "x.reshape(-1)[indices].reshape(shape): any static gather/index/slice",
    ("indices", "shape"),
)
_def("concatenate", None, LINEAR, "lax.concatenate", ("dimension",))
_def("reduce_sum", 1, LINEAR, "sum over axes", ("axes",))
_def("select", 3, LINEAR, "where(pred, on_true, on_false) with a constant predicate")
_def("convert", 1, LINEAR, "convert_element_type between float dtypes", ("dtype",))

_def(
    "dot_general",
    2,
    BILINEAR,
    "lax.dot_general",
    ("dimension_numbers",),
)
_def(
    "conv_general_dilated",
    2,
    BILINEAR,
    "lax.conv_general_dilated (params: the primitive's own keyword arguments)",
)


def op_info(name: str) -> OpInfo:
    """Return the :class:`OpInfo` of `name`, or raise :class:`UnsupportedOperation`."""
    try:
        return OPS[name]
    except KeyError:
        raise UnsupportedOperation(name, OPS) from None


RULES: dict[str, Callable] = {}


def register_rule(name: str) -> Callable[[Callable], Callable]:
    """Decorator: register the enclosure rule of op `name` (which must be in :data:`OPS`)."""

    def deco(fn: Callable) -> Callable:
        op_info(name)
        RULES[name] = fn
        return fn

    return deco


def rule_for(name: str) -> Callable:
    """The enclosure rule of op `name`; :class:`UnsupportedOperation` lists the supported ops."""
    try:
        return RULES[name]
    except KeyError:
        raise UnsupportedOperation(name, RULES) from None


def elementwise_ops() -> tuple[str, ...]:
    """Names of the elementwise ops, in registry order."""
    return tuple(n for n, o in OPS.items() if o.kind == ELEMENTWISE)
