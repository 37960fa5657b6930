"""JAX front end: a Python function on jnp arrays -> :class:`~autobound.graph.ExprGraph`.

:func:`graph_from_callable` traces `f` with :func:`jax.make_jaxpr` on an abstract input and
walks the jaxpr, one equation at a time, emitting graph nodes.  Only public JAX API is used
(``jax.make_jaxpr``, ``jax.extend.core.Literal``, ``Primitive.bind``).

How values flow through the walk: every jaxpr variable holds either

* a graph node id (an ``int``): a floating value that depends on x;
* a numpy array: a value that does not depend on x.  An equation whose inputs are all
  constant is evaluated eagerly by binding its primitive, so constant subprograms (index
  arithmetic, ``iota``, masks, closed-over arrays) never reach the graph;
* a :class:`_Compare`: a comparison of an x-dependent value, kept symbolic so that the few
  exact piecewise patterns listed below can be recognised; any other use raises.

Call-like primitives (``jit``/``pjit``, ``closed_call``, ``core_call``, ``remat2``/
``checkpoint``, ``custom_jvp_call``, ``custom_vjp_call``/``custom_vjp_call_jaxpr``, and
``cond`` with a constant branch index) are inlined.

Recognised patterns (each is an exact identity, not an approximation):

* ``custom_jvp_call`` named ``relu`` -> ``relu``; named ``logaddexp`` (how ``jax.nn.softplus``,
  ``log_sigmoid`` and ``mish`` are written) -> ``logaddexp(a, b) = b + softplus(a - b)``;
  named ``xlogy`` -> ``x * log(y)``.  A ``jit`` named ``hypot`` -> ``sqrt(x² + y²)``, named
  ``remainder`` (``jnp.mod``) with a constant divisor d -> ``a - d*floor(a/d)``.
  The name is only a hint: the body is evaluated at a few probe points and must agree with
  the claimed function, otherwise it is inlined like any other call.
* ``u * sigmoid(u)`` -> ``swish(u)`` (``jax.nn.silu``/``swish``).
* ``(u * 1/2) * erfc(-u * sqrt(1/2))`` -> ``gelu(u)`` (``jax.nn.gelu(approximate=False)``;
  the constant must be the dtype's own rounding of ``sqrt(1/2)``).
* ``where(u > c, u, c)`` -> ``max(u, c)``, ``where(u > c, c, u)`` -> ``min(u, c)``,
  ``where(u >= 0, u, alpha*u)`` -> ``leaky_relu(u; alpha)`` (``>``/``>=``/``<``/``<=`` and
  either branch order), so ``jnp.where(x > 0, x, 0)`` and ``jax.nn.leaky_relu`` work.
* Finiteness guards: ``is_finite(v)`` is taken as true and ``v != v`` / ``v == v`` as
  false / true.  The graph then differs from `f` only where an intermediate of `f` is
  infinite or NaN, and there the graph's own value is not finite either, so a bound computed
  from the graph is non-finite rather than wrong.  This is what makes ``jax.nn.logsumexp``
  and ``jax.nn.softmax`` traceable.

Any other ``where(lhs <op> rhs, a, b)`` with ``op`` one of ``>``, ``>=``, ``<``, ``<=`` becomes
``switch(lhs − rhs, a, b)`` (:mod:`autobound.rules.piecewise`: the branch the region decides,
else the hull of both), so ``jax.nn.elu``, ``selu``, ``hard_tanh`` and hand-written piecewise
functions work; so does ``lax.cond(lhs <op> rhs, f, g, ...)`` (both branches are pure: it is
the ``where`` of their results) and a comparison converted to a float (a step function,
``switch(s, 1, 0)``).  Any other use of a comparison of an x-dependent value (``==``, ``!=``,
``&`` of comparisons) raises :class:`~autobound.errors.UnsupportedOperation`.
"""

from __future__ import annotations

import inspect
import math
import operator
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any, NamedTuple

import jax
import numpy as np
from jax.extend.core import ClosedJaxpr, Literal, jaxpr_as_fun

from autobound.errors import AutoBoundError, InvalidFunction, ShapeMismatch, UnsupportedOperation
from autobound.function_names import FUNCTION_NAMES
from autobound.graph import ExprGraph

__all__ = ["graph_from_callable"]


class _Compare(NamedTuple):
    """``lhs <op> rhs`` where at least one side depends on x (op: gt, ge, lt, le, eq, ne)."""

    op: str
    lhs: Any
    rhs: Any


class _Unusable(NamedTuple):
    """An output the graph cannot hold (the indices of ``top_k``): an error where it is used."""

    op: str
    detail: str


class _Index(NamedTuple):
    """``int(pred)`` of a comparison `pred` (0 or 1): the index of a ``lax.cond``."""

    pred: _Compare


_COMPARE_ERROR = (
    "a comparison of the input is supported only with >, >=, < or <= (not ==, != or a "
    "combination of comparisons), as the predicate of jnp.where, lax.select or lax.cond, or "
    "converted to a float"
)

# JAX primitive -> elementwise op, from the functions' records (FunctionNames.jax).
_UNARY = {prim: f.name for f in FUNCTION_NAMES.values() for prim in f.jax} | {"neg": "neg"}
_BINARY = {name: name for name in ("add", "sub", "mul", "div", "max", "min")}
_IDENTITY = {"copy", "copy_p", "stop_gradient", "optimization_barrier"}
# Pure data movement: emitted as `take` through the index map of the primitive itself.
_DATA_MOVEMENT = {
    "gather",
    "dynamic_slice",
    "dynamic_update_slice",
    "rev",
    "pad",
    "scatter",
    "split",
    "stack",
}
_CALLS = set(
    "jit pjit closed_call core_call remat remat2 checkpoint custom_jvp_call custom_vjp_call "
    "custom_vjp_call_jaxpr".split()
)
_COMPARISONS = {"gt", "ge", "lt", "le", "eq", "ne"}
_FLIP = {"gt": "lt", "ge": "le", "lt": "gt", "le": "ge", "eq": "eq", "ne": "ne"}


def _logaddexp_node(b: _Builder, x: Any, y: Any) -> int:
    # log(e^x + e^y) = y + softplus(x - y); a constant side goes to the outside.
    if not isinstance(y, np.ndarray) and isinstance(x, np.ndarray):
        x, y = y, x
    shape = np.broadcast_shapes(b.shape(x), b.shape(y))
    if isinstance(y, np.ndarray) and not np.any(y):
        return b.emit("softplus", [x], shape)
    return b.emit("add", [y, b.emit("softplus", [b.emit("sub", [x, y], shape)], shape)], shape)


def _xlogy_node(b: _Builder, x: Any, y: Any) -> int:
    # x log(y): the body's x == 0 guard only matters where log(y) is -inf (y = 0), where the
    # graph's log is flagged instead
    shape = np.broadcast_shapes(b.shape(x), b.shape(y))
    return b.emit("mul", [x, b.emit("log", [y], b.shape(y))], shape)


def _hypot_node(b: _Builder, x: Any, y: Any) -> int:
    # sqrt(x² + y²); the body's guards (an infinite argument, both zero) do not change it
    shape = np.broadcast_shapes(b.shape(x), b.shape(y))
    squares = [b.emit("square", [v], b.shape(v)) for v in (x, y)]
    return b.emit("sqrt", [b.emit("add", squares, shape)], shape)


# custom_jvp name -> (numpy reference used to confirm the body, graph builder).
_NAMED_JVP: dict[str, tuple[Callable, Callable]] = {
    "relu": (lambda a: np.maximum(a, 0), lambda b, a: b.emit("relu", [a], b.shape(a))),
    "logaddexp": (np.logaddexp, _logaddexp_node),
    "xlogy": (lambda x, y: x * np.log(y), _xlogy_node),
}


def _mod_node(b: _Builder, a: Any, d: Any) -> int:
    return _remainder_node(b, a, d, "floor")


def _remainder_node(b: _Builder, a: Any, d: Any, kind: str) -> int:
    """``a - d g(a/d)`` with g the step `kind`: floor for jnp.mod, trunc for lax.rem."""
    shape = np.broadcast_shapes(b.shape(a), b.shape(d))
    q = b.emit("step", [b.emit("div", [a, d], shape)], shape, kind=kind)
    return b.emit("sub", [a, b.emit("mul", [d, q], shape)], shape)


def _varies(ins: list) -> bool:
    return not all(isinstance(v, np.ndarray) for v in ins)


def _constant_divisor(ins: list) -> bool:
    """A dividend that depends on x and a finite, nonzero constant divisor."""
    a, d = ins
    return (
        not isinstance(a, np.ndarray)
        and isinstance(d, np.ndarray)
        and bool(np.all(np.isfinite(d)) and np.all(d != 0))
    )


# jit name -> (numpy reference, graph builder, when the inputs qualify), for functions whose
# jitted body guards or fixes up its result with comparisons (==, or, and)
_NAMED_JIT: dict[str, tuple[Callable, Callable, Callable]] = {
    "hypot": (np.hypot, _hypot_node, _varies),
    # jnp.mod / jnp.remainder: its body fixes the sign of lax.rem by comparing the result
    "remainder": (lambda a, d: a - d * np.floor(a / d), _mod_node, _constant_divisor),
}


def graph_from_callable(
    f: Callable[[jax.Array], jax.Array], x0_shape: tuple[int, ...], dtype: str = "float64"
) -> ExprGraph:
    """Trace `f` and return the :class:`~autobound.graph.ExprGraph` of the function it computes.

    **Arguments:**

    - `f`: a function of one array `x` of shape `x0_shape`, written with ``jax.numpy``,
      ``jax.nn`` and ``jax.lax``, returning one floating array (any shape).
    - `x0_shape`: the shape of `x` (``()`` for a scalar).
    - `dtype`: ``"float64"`` (traced with 64-bit JAX enabled for the call) or ``"float32"``.

    **Returns:** a graph with one ``input`` node of shape `x0_shape` whose output equals
    ``f(x)`` for every finite `x` at which every intermediate value of `f` is finite, up to
    the rounding of `f`'s own floating point evaluation (the graph states the exact math).

    **Raises:** :class:`~autobound.errors.UnsupportedOperation` naming the primitive (and
    listing the supported ones) for anything else, including branches on the value of x.

    ```python
    g = graph_from_callable(lambda x: jnp.exp(x[0]) * jnp.sin(x[1]), (2,))
    ```
    """
    graph, captured = trace_callable(f, x0_shape, dtype)
    if captured:
        raise AutoBoundError(
            "f closes over traced values (it is being traced by jit/vmap): use "
            "autobound.enclose, which takes them as runtime parameters"
        )
    return graph


def trace_callable(
    f: Callable[..., jax.Array],
    x0_shape: tuple[int, ...],
    dtype: str = "float64",
    params: Any = None,
) -> tuple[ExprGraph, list[Any]]:
    """Trace ``f(x)`` (or ``f(x, params)`` when `params` is given) into a graph.

    `params` is a pytree of ``jax.ShapeDtypeStruct`` (or arrays, read for shape only); its
    floating leaves become ``param`` nodes 0, 1, ... in ``jax.tree.leaves`` order: points
    whose values are supplied when the lowered function runs, so the graph depends on their
    shapes only.  Values `f` closes over that are themselves being traced (f built inside a
    function under ``jit``/``vmap``) become further ``param`` nodes; they are returned, in
    index order after the explicit ones, as the second result.  Concrete closed-over arrays
    are exact constants of the graph.
    """
    if str(dtype) not in ("float32", "float64"):
        raise AutoBoundError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
    dtype = str(dtype)
    x0_shape = tuple(int(d) for d in x0_shape)
    x_aval = jax.ShapeDtypeStruct(x0_shape, dtype)
    _check_arity(f, 1 if params is None else 2)
    with jax.enable_x64(dtype == "float64" or jax.config.jax_enable_x64):
        try:
            if params is None:
                closed = jax.make_jaxpr(f)(x_aval)
            else:
                closed = jax.make_jaxpr(f)(x_aval, params)
        except AutoBoundError:
            raise
        except Exception as err:  # noqa: BLE001 - f itself failed: say so, with f's message
            raise _traced_error(err, x_aval) from err
        if len(closed.jaxpr.outvars) != 1:
            raise InvalidFunction(
                f"f must return a single array, it returns {len(closed.jaxpr.outvars)} values"
            )
        builder = _Builder(ExprGraph(dtype))
        x = builder.graph.add_input(x0_shape)
        leaves = [
            builder.graph.add_param(i, v.aval.shape) for i, v in enumerate(closed.jaxpr.invars[1:])
        ]
        builder.first_captured = len(leaves)
        # Constant subprograms are evaluated by binding primitives: concretely, even when the
        # graph is built while a caller's jit is tracing.
        with jax.ensure_compile_time_eval():
            (out,) = builder.run(closed.jaxpr, closed.consts, [x, *leaves])
        builder.graph.set_output(builder.node(out))
    return builder.graph, builder.captured


def _check_arity(f: Callable[..., Any], given: int) -> None:
    """Refuse a function that needs more positional arguments than it will be given
    (``lambda x, y: ...``): autobound calls ``f(x)``, or ``f(x, params)``."""
    try:
        signature = inspect.signature(f)
    except (TypeError, ValueError):  # builtins and other callables without a signature
        return
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    required = [
        p.name
        for p in signature.parameters.values()
        if p.kind in kinds and p.default is inspect.Parameter.empty
    ]
    if len(required) > given:
        call = "f(x)" if given == 1 else "f(x, params)"
        raise InvalidFunction(
            f"f takes {len(required)} required arguments ({', '.join(required)}) but is "
            f"called as {call}, with one array x holding every variable: write a function of "
            "several variables as f(x) using x[0], x[1], ... (and pass x0, lo, hi of shape "
            "(n,)); runtime parameters go in f(x, params)"
        )


_MATCHES: dict[tuple[str, Callable], bool] = {}

# numpy twins of the primitives in the bodies that :data:`_NAMED_JVP` and :data:`_NAMED_JIT`
# recognise, so that probing them compiles nothing (a compiled probe costs 20-100 ms)
_NUMPY_PRIMITIVES: dict[str, Callable] = {
    **{
        p: getattr(np, f)
        for p, f in (
            ("add", "add"),
            ("sub", "subtract"),
            ("mul", "multiply"),
            ("div", "true_divide"),
            ("neg", "negative"),
            ("abs", "abs"),
            ("max", "maximum"),
            ("min", "minimum"),
            ("exp", "exp"),
            ("log", "log"),
            ("log1p", "log1p"),
            ("expm1", "expm1"),
            ("sqrt", "sqrt"),
            ("square", "square"),
            ("rem", "fmod"),
            ("sign", "sign"),
            ("floor", "floor"),
            ("ceil", "ceil"),
            ("tanh", "tanh"),
            ("sin", "sin"),
            ("cos", "cos"),
            ("eq", "equal"),
            ("ne", "not_equal"),
            ("lt", "less"),
            ("le", "less_equal"),
            ("gt", "greater"),
            ("ge", "greater_equal"),
            ("and", "bitwise_and"),
            ("or", "bitwise_or"),
            ("not", "invert"),
            ("is_finite", "isfinite"),
        )
    },
    "select_n": lambda which, *cases: np.choose(np.asarray(which, np.int64), cases),
    "stop_gradient": lambda x: x,
}


def _numpy_run(closed: ClosedJaxpr, args: Sequence[np.ndarray]) -> list[np.ndarray]:
    """`closed` evaluated in numpy (a KeyError for a primitive outside the table)."""
    env: dict[Any, Any] = {}

    def read(v: Any) -> Any:
        return np.asarray(v.val, v.aval.dtype) if isinstance(v, Literal) else env[v]

    for var, val in zip(
        (*closed.jaxpr.constvars, *closed.jaxpr.invars), (*closed.consts, *args), strict=True
    ):
        env[var] = np.asarray(val)
    for eqn in closed.jaxpr.eqns:
        ins = [read(v) for v in eqn.invars]
        name, params = eqn.primitive.name, eqn.params
        if name in _CALLS:
            sub = next(params[k] for k in ("jaxpr", "call_jaxpr", "fun_jaxpr") if k in params)
            sub = sub if isinstance(sub, ClosedJaxpr) else ClosedJaxpr(sub, ())
            outs = _numpy_run(sub, ins)
        elif name == "convert_element_type":
            outs = [ins[0].astype(params["new_dtype"])]
        else:
            with np.errstate(all="ignore"):
                out = np.asarray(_NUMPY_PRIMITIVES[name](*ins))
            outs = [out.astype(eqn.outvars[0].aval.dtype, copy=False)]
        for var, o in zip(eqn.outvars, outs, strict=True):
            env[var] = o
    return [read(v) for v in closed.jaxpr.outvars]


def _body_matches(sub: Any, reference: Callable) -> bool:
    """Whether `sub` computes `reference` at three sets of probe points, evaluated in numpy
    where :data:`_NUMPY_PRIMITIVES` has the body's primitives, else as one compiled program
    (binding the primitives one by one compiled each of them: 0.3 s for softplus's body in a
    fresh process).  Memoised by the body's text and the values of its constants."""
    sub = sub if isinstance(sub, ClosedJaxpr) else ClosedJaxpr(sub, ())
    try:
        consts = tuple((c.dtype.str, c.shape, c.tobytes()) for c in map(np.asarray, sub.consts))
        key = (str(sub.jaxpr), consts, reference)
    except Exception:  # constants without a value here: probe every time
        key = None
    hit = _MATCHES.get(key)
    if hit is not None:
        return hit
    rng = np.random.default_rng(0)
    probes = [
        [np.asarray(3 * rng.standard_normal(v.aval.shape), v.aval.dtype) for v in sub.jaxpr.invars]
        for _ in range(3)
    ]
    try:
        got = [_numpy_run(sub, p)[0] for p in probes]
    except Exception:  # a primitive outside the table (or numpy refuses): compile the body
        try:
            stacked = [np.stack(a) for a in zip(*probes, strict=True)]
            (out,) = jax.jit(jax.vmap(jaxpr_as_fun(sub)))(*stacked)
            got = list(np.asarray(out))
        except Exception:  # a body that cannot run on probes is simply not recognised
            got = None
    ok = got is not None
    for p, g in zip(probes, got or (), strict=False):
        try:
            with np.errstate(all="ignore"):
                want = reference(*p)
        except Exception:  # another arity (arrays the body closes over arrive as inputs)
            ok = False
            break
        ok = ok and bool(np.allclose(g, want, rtol=1e-5, atol=1e-6, equal_nan=True))
    if key is not None:
        _MATCHES[key] = ok
    return ok


def _traced_error(err: Exception, x_aval: Any) -> AutoBoundError:
    """The named error for an exception raised by f while it was traced on `x_aval`."""
    shape = tuple(x_aval.shape)
    what = f"x of shape {shape} ({x_aval.dtype})"
    detail = " ".join(str(err).split())[:300]
    if isinstance(err, IndexError):
        hint = "; with one variable x is a scalar (shape ())" if shape == () else ""
        return ShapeMismatch(f"f indexes x beyond its shape when called with {what}: "
                             f"{detail}{hint}")  # fmt: skip
    if isinstance(err, RecursionError):
        return InvalidFunction(f"f nests too deeply to be traced with {what}")
    return InvalidFunction(
        f"f failed when traced with {what} ({type(err).__name__}: {detail}); f must be a "
        "function of one array x written with jax.numpy, jax.nn and jax.lax"
    )


def _extended(aval: Any) -> bool:
    return jax.dtypes.issubdtype(getattr(aval, "dtype", np.float64), jax.dtypes.extended)


def _supported() -> list[str]:
    return sorted(
        set(_UNARY)
        | set(_BINARY)
        | _IDENTITY
        | _DATA_MOVEMENT
        | _CALLS
        | _COMPARISONS
        | set(_RULES)
        | {"cond", "select_n"}
    )


class _Computed(np.ndarray):
    """A constant that JAX computed in floating point from other constants (``jnp.exp(1.0)``,
    ``jnp.sqrt(2.0) - 1.41``), remembering how: concrete uses (indices, masks, patterns) read
    the float value, while the graph gets the exact math (``exp(1)`` enclosed rigorously),
    not the rounded result taken as exact."""

    recipe: tuple | None = None


_MATH = set(_UNARY) | set(_BINARY) | {"pow", "integer_pow", "exp2", "erfc"}


def _computed(value: np.ndarray, eqn: Any, ins: list[Any]) -> np.ndarray:
    out = np.asarray(value).view(_Computed)
    out.recipe = (eqn, ins)
    return out


_EXACT_ARITHMETIC = {"add": operator.add, "sub": operator.sub, "mul": operator.mul}
_ALWAYS_EXACT = {"neg", "abs", "max", "min"}


def _keeps_recipe(name: str, ins: list[Any], out: np.ndarray) -> bool:
    """Whether a float result computed from constants must keep its exact form: always for
    functions (exp, sqrt, div, ...), for + − × only where rounding changed the result (checked
    in rationals; large arrays are kept as they are), and for anything fed by such a value."""
    if any(getattr(v, "recipe", None) for v in ins):
        return True
    if name in _ALWAYS_EXACT or name not in _MATH:
        return False
    if name not in _EXACT_ARITHMETIC:
        return True
    args = np.broadcast_arrays(*[np.asarray(v, np.float64) for v in ins])
    if out.size > 4096 or not all(np.all(np.isfinite(a)) for a in [*args, out]):
        return True
    op = _EXACT_ARITHMETIC[name]
    return any(
        Fraction(float(r)) != op(*(Fraction(float(a[i])) for a in args))
        for i, r in np.ndenumerate(np.broadcast_to(out, args[0].shape))
    )


class _Builder:
    """Walks jaxprs and emits nodes into one graph."""

    def __init__(self, graph: ExprGraph):
        self.graph = graph
        self.first_captured = 0
        self.captured: list[Any] = []  # traced closed-over values, as params

    def constant_input(self, c: Any) -> Any:
        """A closed-over value: a concrete array, or (traced) a new ``param`` node."""
        if not isinstance(c, jax.core.Tracer):
            return np.asarray(c)
        if not jax.numpy.issubdtype(c.dtype, jax.numpy.floating):
            raise UnsupportedOperation(
                "closure", _supported(), f"a traced {c.dtype} value f closes over"
            )
        self.captured.append(c)
        return self.graph.add_param(self.first_captured + len(self.captured) - 1, c.shape)

    # -- values ---------------------------------------------------------------------------
    def shape(self, v: Any) -> tuple[int, ...]:
        return self.graph.shape(v) if isinstance(v, int) else tuple(np.shape(v))

    def node(self, v: Any) -> int:
        """The graph node of a value; constants become constant nodes."""
        if isinstance(v, int):
            return v
        if isinstance(v, _Unusable):
            raise UnsupportedOperation(v.op, _supported(), v.detail)
        if isinstance(v, (_Compare, _Index)):
            op = v.op if isinstance(v, _Compare) else v.pred.op
            raise UnsupportedOperation(op, _supported(), _COMPARE_ERROR)
        if isinstance(v, _Computed) and v.recipe is not None:
            eqn, ins = v.recipe
            try:
                (out,) = self.symbolic(eqn, [self.node(a) for a in ins])
                return out
            except UnsupportedOperation:  # no graph form: the float value it is
                pass
        arr = np.asarray(v)
        if arr.dtype.kind in "fiub" and not np.all(np.isfinite(arr)):
            raise UnsupportedOperation("constant", (), f"non-finite constant {arr!r}")
        return self.graph.add_constant(arr.astype(self.graph.dtype))

    def emit(self, op: str, args: Sequence[Any], out_shape: Sequence[int], /, **params: Any) -> int:
        nodes = [self.node(a) for a in args]
        # Constants are weakly typed: the result takes the dtype of its non-constant arguments.
        dtypes = [self.graph.nx.nodes[n]["dtype"] for n in nodes if self.graph.op(n) != "constant"]
        dtype = str(np.result_type(*dtypes)) if dtypes else self.graph.dtype
        return self.graph.add(op, nodes, params, tuple(out_shape), dtype)

    def take(self, src: int, index: np.ndarray) -> int:
        """``src.reshape(-1)[index]`` as a node (none when it is the identity)."""
        index = np.asarray(index)
        if index.shape == self.shape(src) and np.array_equal(index.ravel(), np.arange(index.size)):
            return src
        flat = tuple(int(i) for i in index.ravel())
        return self.emit("take", [src], index.shape, indices=flat, shape=tuple(index.shape))

    def const_fraction(self, n: Any) -> Fraction | None:
        """The value of a scalar constant node (or uniform numpy constant), else None."""
        if isinstance(n, _Computed) and n.recipe is not None:
            return None  # a rounded result, not an exact constant
        if isinstance(n, np.ndarray):
            flat = n.ravel()
            return Fraction(float(flat[0])) if flat.size and np.all(flat == flat[0]) else None
        if isinstance(n, int) and self.graph.op(n) == "constant":
            value = self.graph.params(n)["value"]
            return value if isinstance(value, Fraction) else None
        return None

    def split_mul_const(self, n: Any) -> tuple[Fraction, int] | None:
        """``(c, u)`` if node `n` is ``c * u`` or ``u * c`` with c a scalar constant."""
        if not isinstance(n, int) or self.graph.op(n) != "mul":
            return None
        a, b = self.graph.args(n)
        for c, u in ((a, b), (b, a)):
            value = self.const_fraction(c)
            if value is not None and self.graph.op(u) != "constant":
                return value, u
        return None

    # -- walking --------------------------------------------------------------------------
    def run(self, jaxpr: Any, consts: Sequence[Any], args: Sequence[Any]) -> list[Any]:
        env: dict[Any, Any] = {}

        def read(v: Any) -> Any:
            if isinstance(v, Literal):
                return np.asarray(v.val, dtype=v.aval.dtype)
            return env[v]

        for var, c in zip(jaxpr.constvars, consts, strict=True):
            env[var] = self.constant_input(c)
        for var, a in zip(jaxpr.invars, args, strict=True):
            env[var] = a
        for eqn in _live_equations(jaxpr):
            outs = self.equation(eqn, [read(v) for v in eqn.invars])
            for var, o in zip(eqn.outvars, outs, strict=True):
                env[var] = o
        return [read(v) for v in jaxpr.outvars]

    def run_closed(self, sub: Any, args: Sequence[Any]) -> list[Any]:
        if isinstance(sub, ClosedJaxpr):
            return self.run(sub.jaxpr, sub.consts, args)
        return self.run(sub, (), args)

    def equation(self, eqn: Any, ins: list[Any]) -> list[Any]:
        name = eqn.primitive.name
        if any(_extended(v.aval) for v in (*eqn.invars, *eqn.outvars)):
            raise UnsupportedOperation(
                name,
                (),
                "f draws random numbers (jax.random): a bound is about one fixed function; "
                "draw them outside f and pass them in as constants or params",
            )
        if name in _CALLS:
            return self.call(eqn, ins)
        if name == "cond":
            branches = eqn.params["branches"]
            if isinstance(ins[0], _Index) and len(branches) == 2:
                # both branches are pure: cond(x > 0, f, g, x) is where(x > 0, f(x), g(x))
                shapes = [v.aval.shape for v in eqn.outvars]
                if_false = self.run_closed(branches[0], ins[1:])
                if_true = self.run_closed(branches[1], ins[1:])
                return [
                    self.switch(ins[0].pred, t, f, shape)
                    for t, f, shape in zip(if_true, if_false, shapes, strict=True)
                ]
            if not isinstance(ins[0], np.ndarray):
                raise UnsupportedOperation("cond", _supported(), _COMPARE_ERROR)
            index = int(np.clip(ins[0], 0, len(branches) - 1))
            return self.run_closed(branches[index], ins[1:])
        if all(isinstance(v, np.ndarray) for v in ins):
            plain = [np.asarray(v) for v in ins]
            outs = eqn.primitive.bind(*plain, **eqn.params)
            outs = outs if eqn.primitive.multiple_results else [outs]
            outs = [np.asarray(o) for o in outs]
            if len(outs) == 1 and outs[0].dtype.kind == "f" and _keeps_recipe(name, ins, outs[0]):
                return [_computed(outs[0], eqn, ins)]
            return outs
        return self.symbolic(eqn, ins)

    def symbolic(self, eqn: Any, ins: list[Any]) -> list[Any]:
        """The graph nodes of an equation on (some) graph-node inputs."""
        name = eqn.primitive.name
        out_avals = [v.aval for v in eqn.outvars]
        if name in _UNARY:
            return [self.emit(_UNARY[name], ins, out_avals[0].shape)]
        if name in _BINARY:
            return [self.binary(_BINARY[name], ins, out_avals[0].shape)]
        if name in _IDENTITY:
            return list(ins)
        if name in _DATA_MOVEMENT:
            return self.data_movement(eqn, ins)
        if name in _COMPARISONS:
            return [self.compare(name, *ins, shape=out_avals[0].shape)]
        if name == "select_n":
            return [self.select_n(ins[0], ins[1:], out_avals[0].shape)]
        if name == "top_k":
            return [_top_k(self, eqn.params, ins), _Unusable("top_k", "its indices")]
        rule = _RULES.get(name)
        if rule is None:
            detail = _COMPARE_ERROR if any(isinstance(v, _Compare) for v in ins) else ""
            raise UnsupportedOperation(name, _supported(), detail)
        return [rule(self, eqn.params, ins, out_avals[0])]

    def call(self, eqn: Any, ins: list[Any]) -> list[Any]:
        params = eqn.params
        sub = next(params[k] for k in ("jaxpr", "call_jaxpr", "fun_jaxpr") if k in params)
        if eqn.primitive.name == "custom_jvp_call" and not all(
            isinstance(v, np.ndarray) for v in ins
        ):
            named = _NAMED_JVP.get(_function_name(sub))
            if named is not None and _body_matches(sub, named[0]):
                return [named[1](self, *ins)]
        jitted = _NAMED_JIT.get(params.get("name", ""))
        if jitted is not None and jitted[2](ins) and _body_matches(sub, jitted[0]):
            return [jitted[1](self, *ins)]
        return self.run_closed(sub, ins)

    # -- arithmetic with patterns ---------------------------------------------------------
    def binary(self, op: str, ins: list[Any], shape: tuple[int, ...]) -> int:
        a, b = ins
        if op == "mul":
            fused = self.fused_product(a, b)
            if fused is not None:
                return fused
        if op in ("max", "min"):
            # max(v, -inf) = v and min(v, +inf) = v (jax.nn.softmax and logsumexp write these).
            neutral = -np.inf if op == "max" else np.inf
            for c, v in ((a, b), (b, a)):
                if isinstance(c, np.ndarray) and np.all(c == neutral) and self.shape(v) == shape:
                    return self.node(v)
        return self.emit(op, [a, b], shape)

    def fused_product(self, a: Any, b: Any) -> int | None:
        g = self.graph
        for u, v in ((a, b), (b, a)):
            if not (isinstance(u, int) and isinstance(v, int)):
                continue
            if g.op(v) == "sigmoid" and g.args(v) == (u,):
                return self.emit("swish", [u], g.shape(u))
            half = self.split_mul_const(u)
            if half is None or half[0] != Fraction(1, 2) or g.op(v) != "sub":
                continue
            one, erf = g.args(v)
            if self.const_fraction(one) != 1 or g.op(erf) != "erf":
                continue
            scaled = self.split_mul_const(g.args(erf)[0])
            root_half = Fraction(float(np.sqrt(np.asarray(0.5, g.dtype))))
            if scaled is None or scaled[0] != root_half or g.op(scaled[1]) != "neg":
                continue
            if g.args(scaled[1]) == (half[1],):
                return self.emit("gelu", [half[1]], g.shape(half[1]))
        return None

    def compare(self, op: str, a: Any, b: Any, shape: tuple[int, ...]) -> Any:
        if op in ("eq", "ne") and _same(a, b):
            # NaN guards (v != v): false wherever v is not NaN; see the module docstring.
            return np.full(shape, op == "eq")
        return _Compare(op, a, b)

    def select_n(self, which: Any, cases: list[Any], shape: tuple[int, ...]) -> Any:
        if isinstance(which, _Index):
            which = which.pred
        if isinstance(which, _Compare):
            if len(cases) != 2 or which.op in ("eq", "ne"):
                raise UnsupportedOperation("select_n", _supported(), _COMPARE_ERROR)
            matched = self.piecewise(which, cases[1], cases[0], shape)
            return matched if matched is not None else self.switch(which, cases[1], cases[0], shape)
        if not isinstance(which, np.ndarray):
            raise UnsupportedOperation("select_n", _supported(), _COMPARE_ERROR)
        which = which.astype(np.int64)
        if which.ndim == 0 or np.all(which == which.ravel()[0]):
            chosen = cases[int(which.ravel()[0])]
            return chosen if self.shape(chosen) == shape else self.broadcast(chosen, shape)
        result = cases[0]
        for k in range(1, len(cases)):
            mask = which == k
            if np.any(mask):
                pred = self.graph.add("constant", (), {"value": mask}, mask.shape, "bool")
                result = self.emit("select", [pred, cases[k], result], shape)
        return result

    def switch(self, pred: _Compare, a: Any, b: Any, shape: tuple) -> int:
        """``where(lhs <op> rhs, a, b)`` as ``switch(s, a, b)`` on the sign of
        ``s = lhs − rhs`` (``rhs − lhs`` for ``<``, ``<=``)."""
        op, lhs, rhs = pred
        if op in ("lt", "le"):
            lhs, rhs = rhs, lhs
        s = self.emit("sub", [lhs, rhs], np.broadcast_shapes(self.shape(lhs), self.shape(rhs)))
        args = [v if self.shape(v) == shape else self.broadcast(v, shape) for v in (s, a, b)]
        return self.emit("switch", args, shape, strict=op in ("gt", "lt"))

    def flatten(self, v: Any) -> Any:
        if isinstance(v, np.ndarray):
            return np.ravel(v)
        size = (math.prod(self.shape(v)),)
        return v if self.shape(v) == size else self.emit("reshape", [v], size, shape=size)

    def broadcast(self, v: Any, shape: tuple[int, ...]) -> Any:
        if isinstance(v, np.ndarray):
            return np.broadcast_to(v, shape).copy()
        dims = tuple(range(len(shape) - len(self.shape(v)), len(shape)))
        return self.emit("broadcast_in_dim", [v], shape, shape=shape, broadcast_dimensions=dims)

    def piecewise(self, pred: _Compare, if_true: Any, if_false: Any, shape: tuple) -> Any:
        """Exact piecewise patterns ``where(u <op> c, ., .)``; None when there is none."""
        op, u, c = pred
        if isinstance(u, np.ndarray):
            op, u, c = _FLIP[op], c, u
        level = self.const_fraction(c)
        if not isinstance(u, int) or level is None or op in ("eq", "ne"):
            return None
        if self.shape(u) != shape:
            return None
        above, below = (if_true, if_false) if op in ("gt", "ge") else (if_false, if_true)
        threshold = np.asarray(float(level))
        if _same(above, u) and self.const_fraction(below) == level:
            return self.emit("max", [u, threshold], shape)
        if _same(below, u) and self.const_fraction(above) == level:
            return self.emit("min", [u, threshold], shape)
        scaled = self.split_mul_const(below)
        if level == 0 and _same(above, u) and scaled is not None and scaled[1] == u:
            return self.emit("leaky_relu", [u], shape, alpha=scaled[0])
        if level == 0 and self.step_of(above, u) == "floor" and self.step_of(below, u) == "ceil":
            return self.emit("step", [u], shape, kind="trunc")  # how jnp.trunc is written
        return None

    def step_of(self, v: Any, u: Any) -> str | None:
        """The kind of `v` if it is a step node of `u`, else None."""
        if isinstance(v, int) and self.graph.op(v) == "step" and self.graph.args(v) == (u,):
            return self.graph.params(v)["kind"]
        return None

    # -- structure ------------------------------------------------------------------------
    def data_movement(self, eqn: Any, ins: list[Any]) -> list[Any]:
        """Any static data movement as ``take``: run the primitive on an array of indices."""
        parts, index_args, offset = [], list(ins), 0
        for i, var in enumerate(eqn.invars):
            if np.issubdtype(var.aval.dtype, np.inexact):
                size = math.prod(var.aval.shape)
                index_args[i] = np.arange(offset, offset + size, dtype=np.int32).reshape(
                    var.aval.shape
                )
                parts.append(ins[i])
                offset += size
            elif not isinstance(ins[i], np.ndarray):
                raise UnsupportedOperation(
                    eqn.primitive.name, _supported(), "indices that depend on the input"
                )
        outs = eqn.primitive.bind(*index_args, **eqn.params)
        outs = outs if eqn.primitive.multiple_results else [outs]
        if len(parts) == 1:
            src = self.node(parts[0])
        else:
            src = self.emit("concatenate", [self.flatten(p) for p in parts], (offset,), dimension=0)
        results = []
        for out in outs:
            index = np.asarray(out)
            if index.size and (index.min() < 0 or index.max() >= offset):
                raise UnsupportedOperation(
                    eqn.primitive.name, _supported(), "out-of-bounds indices (fill values)"
                )
            results.append(self.take(src, index))
        return results


def _function_name(sub: Any) -> str:
    """The name of the Python function a (closed) jaxpr was traced from, or ``""``."""
    jaxpr = sub.jaxpr if isinstance(sub, ClosedJaxpr) else sub
    return getattr(getattr(jaxpr, "debug_info", None), "func_name", "") or ""


def _same(a: Any, b: Any) -> bool:
    """Whether two values are the same graph node (nodes are hash-consed)."""
    return isinstance(a, int) and isinstance(b, int) and a == b


def _live_equations(jaxpr: Any) -> list[Any]:
    """The equations whose results reach the outputs, in order (dead code is skipped)."""
    needed = {v for v in jaxpr.outvars if not isinstance(v, Literal)}
    live = []
    for eqn in reversed(jaxpr.eqns):
        if any(v in needed for v in eqn.outvars):
            live.append(eqn)
            needed.update(v for v in eqn.invars if not isinstance(v, Literal))
    return live[::-1]


# -- one rule per remaining primitive: (builder, params, inputs, output aval) -> value ----------
def _convert(b: _Builder, params: dict, ins: list, aval: Any) -> Any:
    (a,) = ins
    new = np.dtype(params["new_dtype"])
    if isinstance(a, _Compare) and a.op not in ("eq", "ne"):
        if not np.issubdtype(new, np.floating):
            return _Index(a)  # the index of a lax.cond
        # a step function, 1 where the comparison holds
        step = b.switch(a, np.asarray(1.0), np.asarray(0.0), aval.shape)
        if b.graph.nx.nodes[step]["dtype"] == str(new):
            return step
        return b.graph.add("convert", [step], {"dtype": str(new)}, aval.shape, str(new))
    if not np.issubdtype(new, np.floating):
        if isinstance(a, (_Compare, _Index)):
            raise UnsupportedOperation("convert_element_type", _supported(), _COMPARE_ERROR)
        raise UnsupportedOperation(
            "convert_element_type", _supported(), f"conversion of the input to {new}"
        )
    old = b.graph.nx.nodes[b.node(a)]["dtype"]
    if str(new) == old:
        return a
    return b.graph.add("convert", [b.node(a)], {"dtype": str(new)}, aval.shape, str(new))


def _pow(b: _Builder, params: dict, ins: list, aval: Any) -> Any:
    base, exponent = ins
    if isinstance(exponent, np.ndarray):
        return b.emit("pow", [base, exponent], aval.shape)
    # base**y = exp(y * log(base)); log of a constant base stays a node, so it stays exact.
    log_base = b.emit("log", [base], b.shape(base))
    return b.emit("exp", [b.emit("mul", [exponent, log_base], aval.shape)], aval.shape)


def _exp2(b: _Builder, params: dict, ins: list, aval: Any) -> Any:
    log2 = b.emit("log", [np.asarray(2.0)], ())
    return b.emit("exp", [b.emit("mul", [ins[0], log2], aval.shape)], aval.shape)


def _erfc(b: _Builder, params: dict, ins: list, aval: Any) -> Any:
    return b.emit("sub", [np.asarray(1.0), b.emit("erf", ins, aval.shape)], aval.shape)


def _clamp(b: _Builder, params: dict, ins: list, aval: Any) -> Any:
    lo, x, hi = ins
    return b.emit("min", [b.emit("max", [x, lo], aval.shape), hi], aval.shape)


def _is_finite(b: _Builder, params: dict, ins: list, aval: Any) -> Any:
    return np.ones(aval.shape, dtype=bool)  # a finiteness guard: see the module docstring


def _reduce_extremum(op: str) -> Callable:
    """reduce_max/min/prod as a balanced tree of binary max/min/mul over the reduced axes."""

    def rule(b: _Builder, params: dict, ins: list, aval: Any) -> Any:
        (a,) = ins
        shape = b.shape(a)
        axes = _plain(params["axes"])
        kept = [d for d in range(len(shape)) if d not in axes]
        index = np.arange(math.prod(shape)).reshape(shape).transpose(kept + list(axes))
        index = index.reshape(tuple(aval.shape) + (-1,))
        terms = [b.take(b.node(a), index[..., j]) for j in range(index.shape[-1])]
        while len(terms) > 1:  # a balanced tree keeps the graph shallow
            pairs = [b.emit(op, terms[i : i + 2], aval.shape) for i in range(0, len(terms) - 1, 2)]
            terms = pairs + terms[len(pairs) * 2 :]
        return terms[0]

    return rule


#: Longest axis `sort` handles (its network has n rounds of min/max over about n/2 pairs).
MAX_SORT = 16


def _sort(b: _Builder, params: dict, ins: list, aval: Any) -> Any:
    """Sort along one axis as an odd-even transposition network: n rounds, round r replacing
    each pair (i, i + 1) with i = r mod 2 by (min, max).  The network sorts every input, so
    its value is the sorted array for every x; min and max have their own sharp rules."""
    if len(ins) != 1 or params.get("num_keys", 1) != 1:
        raise UnsupportedOperation("sort", _supported(), "sorting several arrays together")
    (a,) = ins
    shape, axis = b.shape(a), int(params["dimension"])
    n = shape[axis]
    if n > MAX_SORT:
        raise UnsupportedOperation(
            "sort",
            _supported(),
            f"an axis of {n} entries (at most {MAX_SORT}: n rounds of min/max)",
        )
    size = math.prod(shape)
    index = np.moveaxis(np.arange(size).reshape(shape), axis, 0)  # index[i]: entry i of the axis
    current = b.node(a)
    for r in range(n):
        first = np.arange(r % 2, n - 1, 2)
        if not len(first):
            continue
        pair_shape = (len(first),) + index.shape[1:]
        low = b.take(current, index[first])
        high = b.take(current, index[first + 1])
        smaller = b.emit("min", [low, high], pair_shape)
        larger = b.emit("max", [low, high], pair_shape)
        # the new array: the untouched entries, then the minima, then the maxima
        parts = [b.flatten(current), b.flatten(smaller), b.flatten(larger)]
        joined = b.emit("concatenate", parts, (size + 2 * math.prod(pair_shape),), dimension=0)
        moved = index.copy()
        count = math.prod(pair_shape)
        moved[first] = size + np.arange(count).reshape(pair_shape)
        moved[first + 1] = size + count + np.arange(count).reshape(pair_shape)
        current = b.take(joined, np.moveaxis(moved, 0, axis))
    return current


def _step(kind: str) -> Callable:
    """floor, ceil: the step op of that kind."""
    return lambda b, params, ins, aval: b.emit("step", ins, aval.shape, kind=kind)


def _round(b: _Builder, params: dict, ins: list, aval: Any) -> Any:
    method = jax.lax.RoundingMethod(int(params["rounding_method"]))
    kind = "round_even" if method == jax.lax.RoundingMethod.TO_NEAREST_EVEN else "round_away"
    return b.emit("step", ins, aval.shape, kind=kind)


def _top_k(b: _Builder, params: dict, ins: list) -> Any:
    """The k largest entries along an axis, largest first: the end of the sorted axis."""
    (a,) = ins
    shape = b.shape(a)
    axis = int(params.get("axis", len(shape) - 1)) % len(shape)
    ordered = _sort(b, {"dimension": axis}, [a], None)
    index = np.moveaxis(np.arange(math.prod(shape)).reshape(shape), axis, 0)
    return b.take(ordered, np.moveaxis(index[::-1][: int(params["k"])], 0, axis))


def _rem(b: _Builder, params: dict, ins: list, aval: Any) -> Any:
    """lax.rem (jnp.fmod): a - d trunc(a/d)."""
    return _remainder_node(b, *ins, "trunc")


def _sign(b: _Builder, params: dict, ins: list, aval: Any) -> Any:
    """sign(u) = 1 where u > 0, -1 where u < 0, else 0: two switches."""
    (a,) = ins
    zero, shape = np.zeros(b.shape(a)), tuple(aval.shape)
    negative = b.switch(_Compare("lt", a, zero), np.asarray(-1.0), np.asarray(0.0), shape)
    return b.switch(_Compare("gt", a, zero), np.asarray(1.0), negative, shape)


def _cumsum(b: _Builder, params: dict, ins: list, aval: Any) -> Any:
    """cumsum along an axis as a product with a constant triangular matrix (exact 0/1
    weights; the dot rule rounds the sums outward)."""
    (a,) = ins
    shape, axis = b.shape(a), int(params["axis"])
    n = shape[axis]
    tri = np.triu(np.ones((n, n))) if params.get("reverse") else np.tril(np.ones((n, n)))
    rest = shape[:axis] + shape[axis + 1 :]
    dims = (((1,), (axis,)), ((), ()))
    prod = b.emit("dot_general", [tri, a], (n,) + rest, dimension_numbers=dims)
    index = np.moveaxis(np.arange(math.prod(shape)).reshape((n,) + rest), 0, axis)
    return b.take(prod, index)


def _reduce_window_sum(b: _Builder, params: dict, ins: list, aval: Any) -> Any:
    """Window sums (``avg_pool``, ``sum_pool``) as one product with a constant 0/1 matrix:
    column i is the primitive applied to the i-th unit array (exact weights; the dot rule
    rounds the sums outward)."""
    (a,) = ins
    shape = b.shape(a)
    size = math.prod(shape)
    if size * math.prod(aval.shape) > 1 << 24:
        raise UnsupportedOperation(
            "reduce_window_sum", _supported(), f"window sums over {size} entries (too large)"
        )
    eye = np.eye(size, dtype=np.float64).reshape((size, *shape))
    cols = np.stack([np.asarray(jax.lax.reduce_window_sum_p.bind(e, **params)) for e in eye])
    matrix = cols.reshape(size, -1).T  # (outputs, inputs)
    dims = (((1,), (0,)), ((), ()))
    prod = b.emit("dot_general", [matrix, b.flatten(a)], (matrix.shape[0],), dimension_numbers=dims)
    return b.emit("reshape", [prod], tuple(aval.shape), shape=tuple(aval.shape))


_CONV_PARAMS = (
    "window_strides",
    "padding",
    "lhs_dilation",
    "rhs_dilation",
    "dimension_numbers",
    "feature_group_count",
    "batch_group_count",
)
# Primitives that are one op: primitive -> (op, {op parameter: primitive parameter}).
# Parameters not named here (precision, preferred_element_type, sharding) are dropped.
_RENAMED = {
    "integer_pow": ("integer_pow", {"n": "y"}),
    "reduce_sum": ("reduce_sum", {"axes": "axes"}),
    "broadcast_in_dim": (
        "broadcast_in_dim",
        {"shape": "shape", "broadcast_dimensions": "broadcast_dimensions"},
    ),
    "reshape": ("reshape", {"shape": "new_sizes"}),
    "transpose": ("transpose", {"perm": "permutation"}),
    "squeeze": ("squeeze", {"dimensions": "dimensions"}),
    "slice": ("slice", {"start": "start_indices", "limit": "limit_indices", "strides": "strides"}),
    "concatenate": ("concatenate", {"dimension": "dimension"}),
    "dot_general": ("dot_general", {"dimension_numbers": "dimension_numbers"}),
    "conv_general_dilated": ("conv_general_dilated", {k: k for k in _CONV_PARAMS}),
}


def _plain(value: Any) -> Any:
    """Plain Python ints and tuples (named tuples such as ConvDimensionNumbers are kept)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    if type(value) in (list, tuple):
        return tuple(_plain(v) for v in value)
    return value


def _renamed(name: str) -> Callable:
    op, names = _RENAMED[name]

    def rule(b: _Builder, params: dict, ins: list, aval: Any) -> Any:
        kept = {k: _plain(params[v]) for k, v in names.items()}
        if op == "slice" and kept["strides"] is None:
            kept["strides"] = (1,) * len(kept["start"])
        if op == "reshape" and params.get("dimensions") is not None:
            raise UnsupportedOperation("reshape", _supported(), "reshape with dimensions")
        # broadcast_in_dim and reshape may carry dynamic-shape operands after the first.
        args = ins[:1] if op in ("broadcast_in_dim", "reshape") else ins
        return b.emit(op, args, aval.shape, **kept)

    return rule


_RULES: dict[str, Callable] = {
    "convert_element_type": _convert,
    "pow": _pow,
    "exp2": _exp2,
    "erfc": _erfc,
    "clamp": _clamp,
    "is_finite": _is_finite,
    "sort": _sort,
    "floor": _step("floor"),
    "ceil": _step("ceil"),
    "round": _round,
    "sign": _sign,
    "rem": _rem,
    "reduce_max": _reduce_extremum("max"),
    "reduce_min": _reduce_extremum("min"),
    "reduce_prod": _reduce_extremum("mul"),
    "cumsum": _cumsum,
    "reduce_window_sum": _reduce_window_sum,
    **{name: _renamed(name) for name in _RENAMED},
}
