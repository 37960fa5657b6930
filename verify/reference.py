"""Evaluate an :class:`~autobound.graph.ExprGraph` in mpmath: at a point, or over a box.

This is the independent oracle: it reads graphs through :mod:`autobound.graph` and
:mod:`autobound.ops` only and never touches JAX or the enclosure engine.

* :func:`evaluate` computes ``f(x)`` at an exact point in ``mpf`` arithmetic at `prec` bits
  (scoped with ``mp.workprec``; every op rounds to nearest, so the result is accurate to a
  few units in the last of `prec` bits unless an op cancels catastrophically).
* :func:`evaluate_interval` computes an interval that **contains** ``f(x)`` for every ``x`` in
  the box, in ``mpmath.iv`` at `prec` bits, using only the audited iv primitives
  (see :mod:`autobound.verify.rigorous`).

Both share one table of op rules, :data:`_RULES`, keyed by op name and run over numpy
object arrays; what differs between the two is a :class:`_Arith` (the scalar number system).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

import numpy as np
from mpmath import iv, mp

from autobound.errors import DomainError, InvalidArgument, InvalidRegion, ShapeMismatch
from autobound.graph import ExprGraph

from . import rigorous
from .rigorous import DOMAINS, hi, iv_precision, lo

Scalar = Any  # an mpf (point mode) or an ivmpf (interval mode)


# -- scalar functions at a point ------------------------------------------------------------


def _mpf(value: Any) -> Any:
    """An exact number (Fraction, int, float, bool, numpy scalar) as an mpf (Fractions are
    rounded to nearest at the working precision; binary floats are exact)."""
    if isinstance(value, Fraction):
        return mp.mpf(value.numerator) / value.denominator
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return mp.mpf(int(value))
    return mp.mpf(float(value))


def _cbrt(x: Any) -> Any:
    return mp.cbrt(x) if x >= 0 else -mp.cbrt(-x)


def _sigmoid(x: Any) -> Any:
    return 1 / (1 + mp.exp(-x))


def _softplus(x: Any) -> Any:
    # the two forms agree; each avoids a huge exp on its side of 0
    return x + mp.log1p(mp.exp(-x)) if x > 0 else mp.log1p(mp.exp(x))


def _gelu(x: Any) -> Any:
    # x Phi(x) with Phi(x) = erfc(-x/sqrt(2))/2: no cancellation in 1 + erf for x << 0
    return x * mp.erfc(-x / mp.sqrt(2)) / 2


_POINT_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "exp": mp.exp,
    "log": mp.log,
    "log1p": mp.log1p,
    "expm1": mp.expm1,
    "sqrt": mp.sqrt,
    "rsqrt": lambda x: 1 / mp.sqrt(x),
    "cbrt": _cbrt,
    "abs": mp.fabs,
    "sin": mp.sin,
    "cos": mp.cos,
    "tan": mp.tan,
    "atan": mp.atan,
    "asin": mp.asin,
    "acos": mp.acos,
    "asinh": mp.asinh,
    "atanh": mp.atanh,
    "sinh": mp.sinh,
    "cosh": mp.cosh,
    "tanh": mp.tanh,
    "sigmoid": _sigmoid,
    "softplus": _softplus,
    "swish": lambda x: x * _sigmoid(x),
    "gelu": _gelu,
    "erf": mp.erf,
    "relu": lambda x: x if x > 0 else mp.zero,
    "square": lambda x: x * x,
    "leaky_relu": lambda x, alpha: x if x >= 0 else _mpf(alpha) * x,
}


def scalar_function(name: str, params: Mapping[str, Any] | None = None) -> Callable[[Any], Any]:
    """The elementwise op `name` as a function of one mpf (at the current ``mp.prec``);
    raises :class:`DomainError` outside the function's domain."""
    fn = _POINT_FUNCTIONS[name]
    kw = dict(params or {})
    domain = DOMAINS.get(name)

    def phi(x: Any) -> Any:
        if domain is not None and not domain.contains(x, x):
            raise DomainError(f"{name} is defined on {domain}, not at x = {x}")
        return fn(x, **kw)

    return phi


def _point_div(a: Any, b: Any) -> Any:
    if b == 0:
        raise DomainError(f"division by zero ({a} / 0)")
    return a / b


def _is_integer(y: Any) -> bool:
    return bool(mp.isint(y))


def _point_integer_pow(x: Any, n: int) -> Any:
    if n < 0 and x == 0:
        raise DomainError(f"0 ** {n} is undefined")
    return x**n


def _point_pow(x: Any, y: Any) -> Any:
    if _is_integer(y):
        return _point_integer_pow(x, int(y))
    if x > 0:
        return mp.power(x, y)
    if x == 0 and y > 0:
        return mp.zero
    raise DomainError(f"{x} ** {y} is not real (a real power needs a positive base)")


# -- the same over intervals ------------------------------------------------------------------


def _iv_div(a: Any, b: Any) -> Any:
    if 0 in b:
        raise DomainError(f"division by an interval containing 0 ({a} / {b}); split the region")
    return a / b


def _iv_integer_pow(x: Any, n: int) -> Any:
    if n < 0 and 0 in x:
        raise DomainError(f"{x} ** {n}: the interval contains 0")
    return x**n


def _iv_is_integer(y: Any) -> bool:
    return lo(y) == hi(y) and _is_integer(lo(y))


def _iv_pow(x: Any, y: Any) -> Any:
    """x ** y.  An integer exponent uses iv's power (even powers are exact ranges); a point
    exponent uses monotonicity in x (x ** y increases for y > 0, decreases for y < 0);
    otherwise exp(y log x), which needs x > 0."""
    if _iv_is_integer(y):
        return _iv_integer_pow(x, int(lo(y)))
    a, b = lo(x), hi(x)
    if a < 0 or (a == 0 and not lo(y) > 0):
        raise DomainError(f"{x} ** {y} is not real on the whole interval")
    if lo(y) != hi(y):
        return rigorous.iv_exp(y * rigorous.iv_log(x))

    def at(t: Any) -> Any:
        return iv.mpf(0) if t == 0 else rigorous.iv_exp(y * rigorous.iv_log(iv.mpf(t)))

    lo_end, hi_end = (a, b) if lo(y) > 0 else (b, a)
    return iv.mpf([lo(at(lo_end)), hi(at(hi_end))])


def _iv_max(a: Any, b: Any) -> Any:
    return iv.mpf([max(lo(a), lo(b)), max(hi(a), hi(b))])


def _iv_min(a: Any, b: Any) -> Any:
    return iv.mpf([min(lo(a), lo(b)), min(hi(a), hi(b))])


def _point_switch(s: Any, a: Any, b: Any, strict: bool) -> Any:
    return a if (s > 0 if strict else s >= 0) else b


def switch_side(s: Any, strict: bool) -> bool | None:
    """Over an interval s: True where every value passes the test (s > 0, or s >= 0 when not
    `strict`), False where none does, None where the interval decides nothing."""
    if lo(s) > 0 or (not strict and lo(s) >= 0):
        return True
    if hi(s) < 0 or (strict and hi(s) <= 0):
        return False
    return None


def _iv_switch(s: Any, a: Any, b: Any, strict: bool) -> Any:
    """The branch that s decides over the box, else the hull of both."""
    side = switch_side(s, strict)
    if side is None:
        return iv.mpf([min(lo(a), lo(b)), max(hi(a), hi(b))])
    return a if side else b


_POINT_STEPS = {
    "floor": mp.floor,
    "ceil": mp.ceil,
    "trunc": lambda v: mp.floor(v) if v >= 0 else mp.ceil(v),
    "round_even": mp.nint,
    "round_away": lambda v: mp.floor(v + mp.mpf(0.5)) if v >= 0 else -mp.floor(mp.mpf(0.5) - v),
}


def _point_step(u: Any, kind: str) -> Any:
    return _POINT_STEPS[kind](u)


def _iv_step(u: Any, kind: str) -> Any:
    """A non-decreasing step function over an interval: its values at the ends (exact)."""
    g = _POINT_STEPS[kind]
    return iv.mpf([g(lo(u)), g(hi(u))])


def _refuse_step(u: Any, kind: str) -> Any:
    raise DomainError(f"a step function ({kind}) is not supported here")


def _refuse_switch(s: Any, a: Any, b: Any, strict: bool) -> Any:
    raise DomainError("a branch on the sign of an expression (switch) is not supported here")


def _iv_truth(v: Any) -> bool:
    if lo(v) == hi(v):
        return bool(lo(v) != 0)
    if 0 not in v:
        return True
    raise DomainError(f"select predicate {v} is not a known constant")


# -- the number systems ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Arith:
    """A scalar number system for the op rules: how to make constants and do the ops that
    need care (domains, ranges)."""

    const: Callable[[Any], Scalar]
    elementwise: Callable[[str, Mapping[str, Any]], Callable[[Scalar], Scalar]]
    div: Callable[[Scalar, Scalar], Scalar]
    integer_pow: Callable[[Scalar, int], Scalar]
    pow: Callable[[Scalar, Scalar], Scalar]
    max: Callable[[Scalar, Scalar], Scalar]
    min: Callable[[Scalar, Scalar], Scalar]
    truth: Callable[[Scalar], bool]
    switch: Callable[[Scalar, Scalar, Scalar, bool], Scalar] = _refuse_switch
    step: Callable[[Scalar, str], Scalar] = _refuse_step
    x: np.ndarray | None = None


_POINT = _Arith(
    const=_mpf,
    elementwise=scalar_function,
    div=_point_div,
    integer_pow=_point_integer_pow,
    pow=_point_pow,
    max=max,
    min=min,
    truth=lambda v: bool(v != 0),
    switch=_point_switch,
    step=_point_step,
)

_INTERVAL = _Arith(
    const=rigorous.exact,
    elementwise=lambda name, params: lambda X: rigorous.apply(name, X, params),
    div=_iv_div,
    integer_pow=_iv_integer_pow,
    pow=_iv_pow,
    max=_iv_max,
    min=_iv_min,
    truth=_iv_truth,
    switch=_iv_switch,
    step=_iv_step,
)


# -- op rules over object arrays -----------------------------------------------------------------

Rule = Callable[[_Arith, list, Mapping[str, Any], tuple], Any]


def _map(fn: Callable, *arrays: Any) -> Any:
    return np.frompyfunc(fn, len(arrays), 1)(*arrays)


def _constant(ar: _Arith, args: list, p: Mapping, shape: tuple) -> Any:
    value = p["value"]
    if isinstance(value, Fraction):
        return ar.const(value)
    return _map(ar.const, np.asarray(value, dtype=object))


def _elementwise(name: str) -> Rule:
    return lambda ar, args, p, shape: _map(ar.elementwise(name, p), args[0])


def _numpy(fn: Callable) -> Rule:
    """An entrywise rule with numpy broadcasting, through the number type's own operators."""
    return lambda ar, args, p, shape: fn(*args)


def _via(method: str) -> Rule:
    return lambda ar, args, p, shape: _map(getattr(ar, method), *args)


def _broadcast_in_dim(ar: _Arith, args: list, p: Mapping, shape: tuple) -> Any:
    dims = tuple(p["broadcast_dimensions"])
    order = np.argsort(dims)
    arr = args[0].transpose(order)
    expanded = [1] * len(shape)
    for axis, size in zip(sorted(dims), arr.shape, strict=True):
        expanded[axis] = size
    return np.broadcast_to(arr.reshape(expanded), shape)


def _slice(ar: _Arith, args: list, p: Mapping, shape: tuple) -> Any:
    strides = p.get("strides") or (1,) * len(p["start"])
    index = tuple(slice(s, e, k) for s, e, k in zip(p["start"], p["limit"], strides, strict=True))
    return args[0][index]


def _take(ar: _Arith, args: list, p: Mapping, shape: tuple) -> Any:
    return args[0].reshape(-1)[np.asarray(p["indices"], dtype=np.intp)].reshape(shape)


def _select(ar: _Arith, args: list, p: Mapping, shape: tuple) -> Any:
    pred = _map(ar.truth, args[0]).astype(bool)
    return np.where(pred, args[1], args[2])


def _dot_general(ar: _Arith, args: list, p: Mapping, shape: tuple) -> Any:
    """lax.dot_general: output axes are the batch axes, then lhs free axes, then rhs free."""
    lhs, rhs = args
    (lc, rc), (lb, rb) = p["dimension_numbers"]
    lf = [d for d in range(lhs.ndim) if d not in lc and d not in lb]
    rf = [d for d in range(rhs.ndim) if d not in rc and d not in rb]
    size = lambda arr, axes: int(np.prod([arr.shape[d] for d in axes], dtype=np.int64))
    L = lhs.transpose([*lb, *lf, *lc]).reshape(size(lhs, lb), size(lhs, lf), size(lhs, lc))
    R = rhs.transpose([*rb, *rc, *rf]).reshape(size(rhs, rb), size(rhs, rc), size(rhs, rf))
    if L.shape[2] == 0:
        out = np.empty((L.shape[0], L.shape[1], R.shape[2]), dtype=object)
        out[...] = ar.const(0)
    else:
        out = np.matmul(L, R)
    return out.reshape(shape)


def _unbound_param(ar: _Arith, args: list, p: Mapping, shape: tuple) -> Any:
    raise InvalidArgument(
        "the graph has a runtime parameter without a value: bind the parameters first "
        "(ExprGraph.bind_params), as certificates do"
    )


_RULES: dict[str, Rule] = {
    "input": lambda ar, args, p, shape: ar.x,
    "constant": _constant,
    "param": _unbound_param,
    "add": _numpy(operator.add),
    "sub": _numpy(operator.sub),
    "mul": _numpy(operator.mul),
    "neg": _numpy(operator.neg),
    "div": _via("div"),
    "pow": _via("pow"),
    "max": _via("max"),
    "min": _via("min"),
    "integer_pow": lambda ar, args, p, shape: _map(
        lambda v: ar.integer_pow(v, int(p["n"])), args[0]
    ),
    "reshape": lambda ar, args, p, shape: args[0].reshape(shape),
    "transpose": lambda ar, args, p, shape: args[0].transpose(tuple(p["perm"])),
    "broadcast_in_dim": _broadcast_in_dim,
    "slice": _slice,
    "squeeze": lambda ar, args, p, shape: args[0].reshape(shape),
    "take": _take,
    "concatenate": lambda ar, args, p, shape: np.concatenate(args, axis=int(p["dimension"])),
    "reduce_sum": lambda ar, args, p, shape: np.sum(args[0], axis=tuple(p["axes"])),
    "select": _select,
    "switch": lambda ar, args, p, shape: _map(
        lambda s, a, b: ar.switch(s, a, b, bool(p["strict"])), *args
    ),
    "step": lambda ar, args, p, shape: _map(lambda u: ar.step(u, str(p["kind"])), args[0]),
    "convert": lambda ar, args, p, shape: args[0],
    "dot_general": _dot_general,
}


def _register_late() -> None:
    # elementwise ops: one generic rule each; convolution lives in its own module
    from autobound.ops import elementwise_ops

    from .convolution import conv_general_dilated

    for name in elementwise_ops():
        _RULES[name] = _elementwise(name)
    _RULES["conv_general_dilated"] = conv_general_dilated


_register_late()


def _as_array(value: Any, shape: tuple) -> np.ndarray:
    if not isinstance(value, np.ndarray):
        box = np.empty((), dtype=object)
        box[()] = value
        value = box
    if value.shape != shape:
        value = np.broadcast_to(value, shape)
    return value


def _run(graph: ExprGraph, ar: _Arith) -> Any:
    values: dict[int, np.ndarray] = {}
    for node in graph.order():
        args = [values[a] for a in graph.args(node)]
        shape = tuple(graph.shape(node))
        out = _RULES[graph.op(node)](ar, args, graph.params(node), shape)
        values[node] = _as_array(out, shape)
    out = _map(
        lambda v: v if isinstance(v, (mp.mpf, iv.mpf)) else ar.const(v), values[graph.output]
    )
    return out if isinstance(out, np.ndarray) and out.ndim else _as_array(out, ())[()]


def _input_array(graph: ExprGraph, x: Any, what: str) -> np.ndarray:
    arr = np.asarray(x)
    shape = tuple(graph.shape(graph.input))
    if arr.shape != shape:
        raise ShapeMismatch(f"{what} has shape {arr.shape}, the graph's input has shape {shape}")
    if not np.all(np.isfinite(arr.astype(np.float64))):
        raise InvalidRegion(f"{what} must be finite, got {arr!r}")
    return arr


def evaluate(graph: ExprGraph, x: Any, prec: int = 200) -> Any:
    """``f(x)`` at the exact point `x`, in mpf arithmetic at `prec` bits.

    **Arguments:**

    - `graph`: the function; its input node fixes the shape of `x`.
    - `x`: numpy array (or float, for a scalar input) of binary floats, read exactly.
    - `prec`: working precision in bits (scoped; the global mpmath precision is unchanged).

    **Returns:** a numpy object array of mpf of the output's shape, or one mpf for a scalar
    output.  Raises :class:`~autobound.errors.DomainError` where f is undefined at `x`.
    """
    arr = _input_array(graph, x, "x")
    with mp.workprec(prec):
        xs = _map(_mpf, arr.astype(object)) if arr.ndim else _as_array(_mpf(arr[()]), ())
        return _run(graph, replace(_POINT, x=_as_array(xs, arr.shape)))


def evaluate_interval(graph: ExprGraph, box_lo: Any, box_hi: Any, prec: int = 100) -> Any:
    """An interval enclosure of ``f`` over the box ``[box_lo, box_hi]`` in mpmath.iv.

    **Guarantee:** every returned interval contains ``f(x)`` (entrywise) for every ``x`` in
    the box, whatever the rounding; it may be wider than the true range (interval arithmetic
    ignores dependencies between occurrences of x).

    **Arguments:** `box_lo`, `box_hi`: numpy arrays (or floats) of the input's shape with
    ``box_lo <= box_hi`` (object arrays of Fractions are read exactly, rounded outward);
    `prec`: iv precision in bits (restored afterwards).

    **Returns:** a numpy object array of ``mpmath.iv.mpf`` intervals, or one interval for a
    scalar output.  Raises :class:`~autobound.errors.DomainError` when the box reaches
    outside the domain of an op (log of an interval reaching 0, a tan pole, ...).
    """
    a = _input_array(graph, box_lo, "box_lo")
    b = _input_array(graph, box_hi, "box_hi")
    if np.any(a > b):
        raise InvalidRegion(f"box_lo must be <= box_hi, got {a!r} and {b!r}")
    with iv_precision(prec):
        ends = np.stack([a, b], axis=-1).astype(object).reshape(-1, 2)
        xs = np.empty(len(ends), dtype=object)
        xs[:] = [rigorous.span(u, v) for u, v in ends]
        return _run(graph, replace(_INTERVAL, x=xs.reshape(a.shape)))
