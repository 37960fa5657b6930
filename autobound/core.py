"""The engine as a pure JAX function: :func:`enclose` and the :class:`TaylorEnclosure` pytree.

```python
import autobound as ab, jax
enc = ab.enclose("exp(x) * sin(3*x)", degree=2, rounding="outward")
e = enc(0.5, 0.0, 1.0)                        # a TaylorEnclosure: coefficients, x0, lo, hi, flags
batched = jax.jit(jax.vmap(enc))              # any JAX transformation applies
```

For every x in the box ``[lo, hi]`` (entrywise),

$$ f(x) \\in \\sum_{i \\le k} c_i \\, (x - x_0)^{\\otimes i}, $$

with interval coefficients read as sets; with ``rounding="outward"`` this holds for the exact
real f (the library kernels widened by their measured error margins), with ``"nearest"`` up to
a few ulps of floating-point rounding.

The function returned by :func:`enclose` does no host work: no validation that needs values,
no device-to-host copies, no Python branching on values.  Problems with the values (a box
that leaves an op's domain, NaN or infinite inputs, a reversed box) travel as boolean flags in
the result, and the coefficients are then not finite; the host layer
(:func:`autobound.taylor_bounds`) turns flags into exceptions.  Everything the program depends
on is structural (the function, the degree, the rounding, the shapes and dtypes of x and of
the parameters), so new values never recompile.
"""

from __future__ import annotations

import dataclasses
import sys
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from autobound.errors import InvalidArgument, ShapeMismatch
from autobound.graph import ExprGraph, optimize
from autobound.interval import round_outward_to
from autobound.lower import lower, prepare_box, void_where
from autobound.staged import Staged
from autobound.xla_options import compiler_options

__all__ = ["Enclose", "TaylorEnclosure", "enclose"]

#: Flag set when x0, lo, hi or a parameter is not finite, or lo > hi somewhere.
INPUT_FLAG = "input"


@dataclasses.dataclass(frozen=True)
class TaylorEnclosure:
    """A degree-k Taylor enclosure of f at `x0`, valid for every x with ``lo <= x <= hi``.

    ``coefficients[i]`` has shape ``out_shape + x0.shape * i`` and is an array or an
    :class:`~autobound.interval.Interval`; `flags` maps a name (an op, or ``"input"``) to a
    boolean that is true where the enclosure is void (the box leaves that op's domain, or
    the input was not finite): the coefficients are then not finite.  A JAX pytree (the
    rounding mode is static), so it passes through ``jit``, ``vmap`` and ``scan``.
    """

    coefficients: tuple
    x0: jax.Array
    lo: jax.Array
    hi: jax.Array
    flags: dict[str, jax.Array]
    rounding: str = "nearest"

    @property
    def degree(self) -> int:
        return len(self.coefficients) - 1

    @property
    def region(self) -> tuple[jax.Array, jax.Array]:
        """``(lo, hi)``: the box over which the enclosure holds."""
        return self.lo, self.hi

    @property
    def valid(self) -> jax.Array:
        """True where no flag is set (the enclosure holds and is finite where f is)."""
        ok = jnp.asarray(True)
        for v in self.flags.values():
            ok = ok & ~v
        return ok


jax.tree_util.register_dataclass(
    TaylorEnclosure,
    data_fields=["coefficients", "x0", "lo", "hi", "flags"],
    meta_fields=["rounding"],
)


def _default_dtype() -> str:
    return "float64" if jax.config.jax_enable_x64 else "float32"


def check_dtype(dtype: Any) -> str:
    """``"float32"`` or ``"float64"`` for `dtype` (a name, a numpy or JAX dtype, a scalar type),
    the engine's two dtypes; InvalidArgument for any other, or for float64 without 64-bit JAX
    (``jax_enable_x64``)."""
    try:
        name = str(jnp.dtype(dtype))
    except TypeError:
        raise InvalidArgument(f"dtype must be 'float32' or 'float64', got {dtype!r}") from None
    if name not in ("float32", "float64"):
        raise InvalidArgument(f"dtype must be 'float32' or 'float64', got {dtype!r}")
    if name == "float64" and not jax.config.jax_enable_x64:
        raise InvalidArgument(
            "float64 bounds need 64-bit JAX: call jax.config.update('jax_enable_x64', True) "
            "before using autobound (or pass dtype='float32')"
        )
    return name


def _is_sympy(f: Any) -> bool:
    # a sympy object exists only once sympy is imported: no need to import it (0.45 s) here
    sympy = sys.modules.get("sympy")
    return sympy is not None and isinstance(f, sympy.Basic)


def _leaf_name(path: Sequence[Any]) -> str:
    return "params" + "".join(str(k) for k in path)


class Enclose:
    """``enc(x0, lo, hi[, params]) -> TaylorEnclosure``: a pure JAX function of its inputs.

    Built by :func:`enclose`.  Calling it traces the program once per input structure
    (shape of x; structure, shapes and dtypes of `params`) and reuses the compiled program
    for every new value; inside ``jit``/``vmap`` it is traced into the caller's program.
    Compiled programs are kept in a small per-object cache (:meth:`clear_cache`).
    """

    def __init__(
        self,
        f: Any,
        degree: int = 2,
        *,
        rounding: str = "nearest",
        dtype: str | None = None,
        variables: Sequence[Any] | None = None,
        trust_regions: bool = True,
        cache_size: int = 16,
    ):
        if not isinstance(degree, (int, np.integer)) or isinstance(degree, bool) or degree < 0:
            raise InvalidArgument(f"degree must be an integer >= 0, got {degree!r}")
        if rounding not in ("nearest", "outward"):
            raise InvalidArgument(f"rounding must be 'nearest' or 'outward', got {rounding!r}")
        if rounding == "outward" and jax.default_backend() != "cpu":
            raise InvalidArgument(
                "rounding='outward' rests on the error margins of XLA's CPU kernels, measured "
                "in autobound/ulp_table.py; the default JAX backend here is "
                f"{jax.default_backend()!r}, whose kernels were not measured: use "
                "rounding='nearest', or run on the CPU (JAX_PLATFORMS=cpu)"
            )
        self.f = f
        self.degree = int(degree)
        self.rounding = rounding
        self.trust_regions = bool(trust_regions)
        self.dtype = check_dtype(dtype or _default_dtype())
        self.variables: tuple[str, ...] = ()
        self._cache: OrderedDict[tuple, tuple[ExprGraph, Callable]] = OrderedDict()
        self._staged: OrderedDict[tuple, Staged] = OrderedDict()
        self._cache_size = int(cache_size)
        self._params_signature: tuple | None = None
        self._fixed: ExprGraph | None = None
        if isinstance(f, ExprGraph):
            self._fixed = optimize(f)
        elif isinstance(f, str) or _is_sympy(f):
            from autobound.frontends.sympy_frontend import graph_from_string, graph_from_sympy

            build = graph_from_string if isinstance(f, str) else graph_from_sympy
            self._fixed = optimize(build(f, variables=variables, dtype=self.dtype))
        elif not callable(f):
            raise InvalidArgument(
                "f must be a string, a sympy expression, an ExprGraph or a Python function of "
                f"jax.numpy arrays, got {type(f).__name__}"
            )
        if self._fixed is not None:
            self.variables = tuple(self._fixed.input_names)
        self._jitted = jax.jit(self._trace)
        # called from the host on one box: compiling is most of the time (xla_options)
        self._jitted_host = jax.jit(
            self._trace, compiler_options=compiler_options(self.rounding, one_box=True)
        )

    # -- structure ----------------------------------------------------------------------
    @property
    def x_shape(self) -> tuple[int, ...] | None:
        """The shape of x for string/sympy/graph functions (None: any, for callables)."""
        if self._fixed is None:
            return None
        return self._fixed.shape(self._fixed.input)

    def input_shape(self, x0_shape: tuple[int, ...]) -> tuple[int, ...]:
        """The shape of x for an x0 of shape `x0_shape`, or ShapeMismatch naming both."""
        want = self.x_shape
        if want is not None and tuple(x0_shape) != want:
            names = ", ".join(self.variables) or "x"
            raise ShapeMismatch(
                f"x0 has shape {tuple(x0_shape)} but the function's variables ({names}) need "
                f"shape {want}"
            )
        return tuple(x0_shape)

    def _params_avals(self, params: Any) -> tuple[list, Any, tuple]:
        leaves_with_path, treedef = jax.tree_util.tree_flatten_with_path(params)
        leaves, avals = [], []
        for path, leaf in leaves_with_path:
            if not hasattr(leaf, "dtype") and not isinstance(leaf, (int, float)):
                raise InvalidArgument(
                    f"{_leaf_name(path)} is a {type(leaf).__name__}, not an array: every "
                    "leaf of params must be a floating array or a Python float"
                )
            if isinstance(leaf, (int, float)) and not isinstance(leaf, bool):
                leaf = jnp.asarray(leaf, self.dtype)
            if not jnp.issubdtype(leaf.dtype, jnp.floating):
                raise InvalidArgument(
                    f"{_leaf_name(path)} has dtype {leaf.dtype}: parameters must be floating "
                    "arrays (pass integer data such as labels as floats, e.g. one-hot, or "
                    "close over it as a constant)"
                )
            leaves.append(leaf)
            avals.append(jax.ShapeDtypeStruct(jnp.shape(leaf), leaf.dtype))
        names = tuple(_leaf_name(p) for p, _ in leaves_with_path)
        return leaves, treedef, (tuple(avals), names)

    def _check_params_signature(self, treedef: Any, signature: tuple) -> None:
        avals, names = signature
        key = (treedef, tuple((a.shape, str(a.dtype)) for a in avals))
        if self._params_signature is None:
            self._params_signature = (key, names)
            return
        (old_tree, old_avals), old_names = self._params_signature
        if old_tree != treedef:
            raise ShapeMismatch(
                f"params changed structure: the first call had {old_tree}, this one has "
                f"{treedef}; a new structure needs a new autobound.enclose(...)"
            )
        for name, (shape, dt), (shape0, dt0) in zip(names, key[1], old_avals, strict=True):
            if (shape, dt) != (shape0, dt0):
                raise ShapeMismatch(
                    f"{name} has shape {shape} and dtype {dt}, but {shape0} and {dt0} in the "
                    "first call; parameters keep their shapes and dtypes across calls (a new "
                    "one needs a new autobound.enclose(...))"
                )

    def _program(
        self,
        x_shape: tuple[int, ...],
        params: Any,
        treedef: Any,
        avals: tuple,
        zero_x0: bool = False,
    ):
        """The graph and its lowered function for this structure (cached), plus the traced
        values f closes over (then nothing is cached: they belong to the caller's trace).
        `zero_x0`: the program for an expansion point known to be 0 (see :meth:`_trace`)."""
        key = (x_shape, treedef, tuple((a.shape, str(a.dtype)) for a in avals), zero_x0)
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            return hit[0], hit[1], []
        if self._fixed is not None:
            graph, captured = self._fixed, []
        else:
            from autobound.frontends.jax_frontend import trace_callable

            tree = None if params is None else jax.tree_util.tree_unflatten(treedef, avals)
            graph, captured = trace_callable(self.f, x_shape, self.dtype, tree)
            graph = optimize(graph)
        fn = lower(
            graph, self.degree, x_shape, self.dtype, self.rounding, self.trust_regions, zero_x0
        )
        if not captured:
            self._cache[key] = (graph, fn)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return graph, fn, captured

    def graph(self, x_shape: tuple[int, ...] = (), params: Any = None) -> ExprGraph:
        """The optimized expression graph for inputs of shape `x_shape` (and `params`)."""
        if self._fixed is not None:
            return self._fixed
        leaves, treedef, (avals, _) = self._params_avals(params)
        return self._program(tuple(x_shape), params, treedef, avals)[0]

    def clear_cache(self) -> None:
        """Forget the traced graphs and compiled programs (they are rebuilt on demand).

        The programs of :meth:`batch`'s groups of nodes are shared by every function and
        kept apart (at most 1024): :func:`autobound.staged.clear_cache` forgets them."""
        self._cache.clear()
        self._staged.clear()
        self._jitted.clear_cache()
        self._jitted_host.clear_cache()

    # -- the pure function -------------------------------------------------------------
    def __call__(self, x0: Any, lo: Any, hi: Any, params: Any = None) -> TaylorEnclosure:
        """The enclosure at `x0` valid over ``[lo, hi]`` (see :func:`enclose`).

        Called on concrete values, it runs one compiled program; called on traced values
        (inside ``jit``, ``vmap``, ``scan``, ...) it is traced into the caller's program.
        """
        if any(isinstance(v, jax.core.Tracer) for v in jax.tree.leaves((x0, lo, hi, params))):
            return self._trace(x0, lo, hi, params)
        x0, lo, hi = self._host_box(x0, lo, hi)
        if params is not None:
            self._params_avals(params)  # named errors before jit sees a bad leaf
        # concrete values inside a caller's trace (f closes over traced values): the call
        # is a nested jit, which takes no compiler options
        jitted = self._jitted_host if _top_level() else self._jitted
        return jitted(x0, lo, hi, params)

    def _host_box(self, x0: Any, lo: Any, hi: Any) -> tuple[Any, Any, Any]:
        """Host numbers in the engine's dtype, the box rounded outward, before JAX would
        round them to nearest (JAX arrays pass as they are)."""
        dt = np.dtype(self.dtype)
        x0 = x0 if isinstance(x0, jax.Array) else host_array("x0", x0).astype(dt)
        if not isinstance(lo, jax.Array):
            lo = round_outward_to(dt, host_array("lo", lo), host_array("lo", lo))[0]
        if not isinstance(hi, jax.Array):
            hi = round_outward_to(dt, host_array("hi", hi), host_array("hi", hi))[1]
        return x0, lo, hi

    def _checked_params(self, params: Any) -> tuple[list, Any, tuple]:
        """The leaves, tree and avals of `params`, refused for a string or sympy f and
        checked against the first call's structure (errors name the leaf)."""
        if self._fixed is not None and params is not None:
            raise InvalidArgument(
                "params are for Python functions f(x, params); a string or sympy function has "
                "no parameters"
            )
        leaves, treedef, (avals, names) = self._params_avals(params)
        if params is not None:
            self._check_params_signature(treedef, (avals, names))
        return leaves, treedef, avals

    def batch(self, x0: Any, lo: Any, hi: Any, params: Any = None) -> TaylorEnclosure:
        """The enclosures of a batch of boxes (leading axis of `x0`, `lo`, `hi`; `params`
        shared by all), equal to ``jax.vmap(enc, in_axes=(0, 0, 0, None))``'s, computed
        node by node (:mod:`autobound.staged`).

        Each composing node, and each run of cheap nodes between them, runs a small compiled
        program that depends only on its ops and shapes, so programs are shared between
        functions: a new function compiles little (the applications' branch and bound:
        seconds instead of tens of seconds on its first call), at the price of a dispatch per
        program and call.  For host-driven loops over large batches; inside ``jit`` use
        ``jax.vmap(enc)``.
        """
        if any(isinstance(v, jax.core.Tracer) for v in jax.tree.leaves((x0, lo, hi, params))):
            raise InvalidArgument(
                "Enclose.batch runs from the host, one program per node; inside jit, vmap "
                "or grad use jax.vmap(enc) instead"
            )
        x0, lo, hi = (jnp.asarray(v) for v in self._host_box(x0, lo, hi))
        if x0.ndim == 0:
            raise ShapeMismatch("x0 has no batch axis: Enclose.batch takes a leading axis")
        x_shape = self.input_shape(tuple(x0.shape[1:]))
        for name, v in (("lo", lo), ("hi", hi)):
            if v.shape != x0.shape:
                raise ShapeMismatch(f"{name} has shape {v.shape}, x0 has shape {x0.shape}")
        leaves, treedef, avals = self._checked_params(params)
        key = ("staged", x_shape, treedef, tuple((a.shape, str(a.dtype)) for a in avals))
        staged = self._staged.get(key)
        if staged is None:
            graph = self._program(x_shape, params, treedef, avals)[0]
            staged = Staged(
                graph, self.degree, x_shape, self.dtype, self.rounding, self.trust_regions
            )
            self._staged[key] = staged
            while len(self._staged) > self._cache_size:
                self._staged.popitem(last=False)
        coeffs, flags, (x0c, loc, hic, bad) = staged(x0, lo, hi, *leaves)
        return TaylorEnclosure(coeffs, x0c, loc, hic, {INPUT_FLAG: bad, **flags}, self.rounding)

    def _trace(self, x0: Any, lo: Any, hi: Any, params: Any = None) -> TaylorEnclosure:
        """The enclosure traced into the current program.  An x0 that is concrete there and
        0 in every entry (``enc(0.0, lo, hi, params)`` inside a jitted line search, the
        applications' MM steps) gets a program of its own, in which products with x0 vanish
        exactly: ``w + eta·v`` at eta0 = 0 keeps w and v as points in outward mode, where
        a traced 0 would round both into intervals."""
        dt = jnp.dtype(self.dtype)
        zero_x0 = _concrete_zero(x0)
        x0 = jnp.asarray(x0)
        lo, hi = jnp.asarray(lo), jnp.asarray(hi)
        x_shape = self.input_shape(tuple(x0.shape))
        for name, v in (("lo", lo), ("hi", hi)):
            if v.shape not in ((), x_shape):
                raise ShapeMismatch(f"{name} has shape {v.shape}, x0 has shape {x_shape}")
        leaves, treedef, avals = self._checked_params(params)
        graph, fn, captured = self._program(x_shape, params, treedef, avals, zero_x0)
        x0c, loc, hic, bad = prepare_box(x0, lo, hi, x_shape, dt, tuple(leaves))
        coeffs, flags = fn(x0c, loc, hic, *leaves, *captured)
        flags = {INPUT_FLAG: bad, **flags}
        coeffs = tuple(void_where(bad, c) for c in coeffs)
        return TaylorEnclosure(coeffs, x0c, loc, hic, flags, self.rounding)


def _concrete_zero(x0: Any) -> bool:
    """Whether `x0` is a concrete value (not traced) that is 0 in every entry."""
    if isinstance(x0, jax.core.Tracer):
        return False
    try:
        return bool(np.all(np.asarray(x0) == 0))
    except (TypeError, ValueError):
        return False


def _top_level() -> bool:
    """Whether no JAX transformation is tracing (a jit called now is a top-level one).  Reads
    JAX's trace state; where this JAX lacks the function, False (the plain jit is always
    valid)."""
    from jax._src import core as jax_core

    clean = getattr(jax_core, "trace_state_clean", None)
    return bool(clean()) if clean is not None else False


def host_array(name: str, v: Any) -> np.ndarray:
    """`v` as a float64 numpy array, or an InvalidArgument naming `name`."""
    try:
        return np.asarray(v, np.float64)
    except (TypeError, ValueError):
        raise InvalidArgument(
            f"{name} must be a number or an array of numbers, got {v!r}"
        ) from None


def enclose(f: Any, degree: int = 2, **options: Any) -> Enclose:
    """The engine as a pure JAX function: ``enc(x0, lo, hi[, params]) -> TaylorEnclosure``.

    **Arguments:**

    - `f`: a string (``"exp(x)*sin(y)"``), a sympy expression, an
      :class:`~autobound.graph.ExprGraph`, or a Python function ``f(x)`` or ``f(x, params)``
      on ``jax.numpy`` arrays (one array x; `params` any pytree of floating arrays).
    - `degree`: k >= 0; coefficient k is an interval.

    **Options** (keyword only, as :class:`Enclose` takes them):

    - `rounding`: ``"nearest"`` (plain floating point, as the reference implementation) or
      ``"outward"`` (every coefficient that may carry rounding error is an interval rounded
      outward; the enclosure holds for the exact real function).
    - `dtype`: ``"float32"`` or ``"float64"`` (default: float64 when JAX x64 is enabled).
    - `variables`: the order of the variables of a string or sympy function (default: by
      name); x then has shape ``(len(variables),)``, or ``()`` for one variable.
    - `trust_regions`: also propagate interval ranges through the graph (tighter, and no
      spurious domain flags where a Taylor polynomial overshoots the true range).

    **Returns:** an :class:`Enclose`.  ``enc(x0, lo, hi, params)`` is a pure function: the
    leaves of `params` are runtime inputs (points; the enclosure is over x only), so new
    values never recompile, and ``jax.jit(jax.vmap(enc, in_axes=(0, 0, 0, None)))`` bounds
    many boxes in one program.  Arrays that f closes over are exact constants of the
    program, unless f is built under ``jit``/``vmap`` and closes over traced values: those are
    parameters too.  The enclosure holds over the hull of ``[lo, hi]`` and x0 (reported as
    the result's ``lo``/``hi``, rounded outward to the dtype).

    ```python
    >>> e = ab.enclose("exp(x)", degree=2)(0.0, -1.0, 1.0)
    >>> e.coefficients[:2], e.flags["input"]
    ```
    """
    return Enclose(f, degree, **options)
