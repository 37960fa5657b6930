"""Public API: :func:`taylor_bounds`, :class:`Bounder`, :class:`TaylorBounds`.

```python
import autobound as ab
b = ab.taylor_bounds("1.5*exp(3*x) - 25*x**2", degree=2)(0.5, (0.0, 1.0))
b.coefficients   # (0.47253..., -4.83240..., Interval(lo=-5.5549..., hi=28.2878...))
```

The guarantee: for every x in the region ``[lo, hi]`` (entrywise),

$$ f(x) \\in \\sum_{i \\le k} c_i \\, (x - x_0)^{\\otimes i}, $$

with interval coefficients read as sets.  With ``rounding="outward"`` this holds for the exact
real f (up to the kernel error margins measured in :mod:`autobound.ulp_table`); with
``rounding="nearest"`` (the reference implementation's behaviour) floating-point rounding may
move the bounds by a few ulps.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from autobound.core import INPUT_FLAG, Enclose, host_array
from autobound.errors import DomainError, InvalidArgument, InvalidRegion, ShapeMismatch
from autobound.graph import ExprGraph
from autobound.interval import Interval, is_interval, round_outward_to

__all__ = ["Bounder", "TaylorBounds", "compile", "taylor_bounds"]


@dataclass(frozen=True)
class TaylorBounds:
    """A Taylor enclosure of f at x0, valid over ``x_trust_region = (lo, hi)``.

    ``coefficients[i]`` has shape ``out_shape + x0.shape * i``; an interval coefficient is an
    :class:`~autobound.interval.Interval` ``(lo, hi)``.  For all x in the region,
    ``lower(x) <= f(x) <= upper(x)``.

    **Fields:** `f` (the bounded function, if callable), `x0`, `x_trust_region`,
    `coefficients`, `degree`, `rounding`, `variables`, `flags` (the domain flags of
    :class:`autobound.TaylorEnclosure`; empty when the host layer already raised on them).
    A JAX pytree (f, degree, rounding and variables are static), so functions returning it
    can be jitted and vmapped.
    """

    f: Any
    x0: jax.Array
    x_trust_region: tuple[jax.Array, jax.Array]
    coefficients: tuple
    degree: int
    rounding: str = "nearest"
    variables: tuple[str, ...] = field(default=())
    flags: dict[str, jax.Array] = field(default_factory=dict)

    def __post_init__(self):
        # The reference implementation writes an interval coefficient as a plain (lo, hi)
        # tuple: read it as an Interval rather than as an array of two numbers.
        coefficients = tuple(
            Interval(*c) if type(c) in (tuple, list) and len(c) == 2 else c
            for c in self.coefficients
        )
        for i, c in enumerate(coefficients):
            if type(c) in (tuple, list):
                raise InvalidArgument(
                    f"coefficient {i} is a {type(c).__name__} of {len(c)} items: give an array "
                    "or an interval (lo, hi)"
                )
        object.__setattr__(self, "coefficients", coefficients)

    @property
    def region(self) -> tuple[jax.Array, jax.Array]:
        return self.x_trust_region

    def __repr__(self) -> str:
        lo_, hi_ = self.x_trust_region
        names = f"variables={self.variables!r}, " if self.variables else ""
        raised = sorted(k for k, v in self.flags.items() if _concrete_true(v))
        flags = f", domain flags: {', '.join(raised)}" if raised else ""
        return (
            f"TaylorBounds({names}x0={_brief(self.x0)}, region=[{_brief(lo_)}, {_brief(hi_)}], "
            f"degree={self.degree}, rounding={self.rounding!r}{flags})"
        )

    def __call__(self, x: Any) -> Interval:
        """The enclosure evaluated at x: an interval ``(lower(x), upper(x))``.

        `x` has shape ``batch + x0.shape``; the result has shape ``batch + out_shape``.
        Rigorous in outward mode (:func:`autobound.poly.evaluate`).
        """
        from autobound import poly

        v = poly.evaluate(self, np.asarray(x, np.float64))
        return Interval(np.asarray(v.lo), np.asarray(v.hi))

    def lower(self, x: Any) -> np.ndarray:
        """The lower bound polynomial at x (see :meth:`__call__`)."""
        return self(x).lo

    def upper(self, x: Any) -> np.ndarray:
        """The upper bound polynomial at x (see :meth:`__call__`)."""
        return self(x).hi

    def final_interval(self) -> tuple[jax.Array, jax.Array]:
        """The last coefficient as an interval (a trivial one if it is a point)."""
        c = self.coefficients[-1]
        return (c.lo, c.hi) if is_interval(c) else (c, c)

    def width(self) -> np.ndarray:
        """An upper bound on ``max_x upper(x) − lower(x)`` over the region (per output;
        :func:`autobound.poly.width`)."""
        from autobound import poly

        return np.asarray(poly.width(self))

    def to_sympy(self, symbols: Sequence[Any] | None = None):
        """The enclosure as a sympy expression (scalar output); interval coefficients become
        ``sympy.AccumBounds``."""
        import sympy

        x0 = np.asarray(self.x0, np.float64)
        n = max(1, x0.size)
        if symbols is None:
            names = self.variables or (("x",) if x0.ndim == 0 else tuple(f"x{i}" for i in range(n)))
            symbols = sympy.symbols(names, real=True)
            symbols = symbols if isinstance(symbols, tuple) else (symbols,)
        z = [s - sympy.Float(float(v), 17) for s, v in zip(symbols, x0.reshape(-1), strict=True)]
        terms = []
        for i, c in enumerate(self.coefficients):
            clo = np.asarray(c.lo if is_interval(c) else c, np.float64)
            chi = np.asarray(c.hi if is_interval(c) else c, np.float64)
            if clo.size != n**i:
                raise InvalidArgument("to_sympy supports scalar outputs only")
            for idx in np.ndindex(*((n,) * i)):
                flat = np.ravel_multi_index(idx, (n,) * i) if i else 0
                a, b = float(clo.reshape(-1)[flat]), float(chi.reshape(-1)[flat])
                coef = (
                    sympy.Float(a, 17)
                    if a == b
                    else sympy.AccumBounds(sympy.Float(a, 17), sympy.Float(b, 17))
                )
                if a == b == 0.0:
                    continue
                counts = {v: idx.count(v) for v in sorted(set(idx))}
                factors = [z[v] ** c if c > 1 else z[v] for v, c in counts.items()]
                terms.append(sympy.Mul(coef, *factors, evaluate=False) if factors else coef)
        return sympy.Add(*terms, evaluate=False) if terms else sympy.Integer(0)

    def plot(self, path: str | None = None, num: int = 400, ax: Any = None):
        """Plot f (when it can be evaluated), the upper and the lower bound over the region
        (scalar input and output only).  Writes `path` if given; returns the figure."""
        import matplotlib

        if path is not None:
            matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        if (
            np.ndim(self.x0) != 0
            or np.size(self.coefficients[0]) != 1
            and not is_interval(self.coefficients[0])
        ):
            raise InvalidArgument("plot needs a scalar input and a scalar output")
        lo_, hi_ = (float(v) for v in self.x_trust_region)
        xs = np.linspace(lo_, hi_, num)
        b = self(xs)
        fig = None
        if ax is None:
            fig, ax = plt.subplots(figsize=(6, 4))
        if self.f is not None:
            try:
                ys = np.asarray(self.f(xs), np.float64)
                ax.plot(xs, ys, color="black", label="f(x)")
            except Exception:  # noqa: BLE001 - plotting f is a courtesy
                pass
        ax.plot(xs, b.hi, color="tab:red", label="upper bound")
        ax.plot(xs, b.lo, color="tab:blue", label="lower bound")
        ax.axvline(float(self.x0), color="gray", lw=0.5, ls=":")
        ax.set_xlabel("x")
        ax.set_title(f"degree-{self.degree} Taylor enclosure at x0={float(self.x0):g}")
        ax.legend()
        if path is not None:
            (fig or ax.figure).savefig(path, dpi=120, bbox_inches="tight")
        return fig or ax.figure

    def as_dict(self) -> dict:
        """A JSON-ready description: coefficients as nested lists, intervals as [lo, hi]."""

        def tolist(c):
            if is_interval(c):
                return {"lo": np.asarray(c.lo).tolist(), "hi": np.asarray(c.hi).tolist()}
            return np.asarray(c).tolist()

        return {
            "x0": np.asarray(self.x0).tolist(),
            "region": [np.asarray(v).tolist() for v in self.x_trust_region],
            "degree": self.degree,
            "rounding": self.rounding,
            "coefficients": [tolist(c) for c in self.coefficients],
        }


jax.tree_util.register_dataclass(
    TaylorBounds,
    data_fields=["x0", "x_trust_region", "coefficients", "flags"],
    meta_fields=["f", "degree", "rounding", "variables"],
)


def domain_error(bad: Sequence[str], lo_: Any, hi_: Any) -> DomainError:
    """The error for the flags `bad` raised over the region ``[lo_, hi_]``."""
    return DomainError(
        f"over the region [{lo_}, {hi_}] the argument of {', '.join(bad)} leaves the "
        "function's domain (e.g. log of values <= 0, sqrt of negatives, asin outside "
        "[-1, 1], division by a range containing 0), or at x0 it sits where the "
        "function has no derivatives (sqrt at 0 with degree >= 1): no finite bound "
        "exists; shrink the region or move x0"
    )


class Bounder:
    """A function prepared for bounding: graph built once, jitted once per input shape.

    Call it as ``bounder(x0, (lo, hi))`` for a :class:`TaylorBounds`, or
    ``bounder.batch(x0s, los, his)`` for many boxes in one vmapped call.
    """

    def __init__(
        self,
        f: Any,
        degree: int = 2,
        variables: Sequence[Any] | None = None,
        rounding: str = "nearest",
        trust_regions: bool = True,
        dtype: str | None = None,
    ):
        self._enc = Enclose(
            f,
            degree,
            rounding=rounding,
            dtype=dtype,
            variables=variables,
            trust_regions=trust_regions,
        )
        self.f = f
        self.degree = self._enc.degree
        self.rounding = rounding
        self.trust_regions = self._enc.trust_regions
        self.dtype = self._enc.dtype
        self.variables: tuple[str, ...] = self._enc.variables
        self._evaluator: Callable | None = self.f if self._enc.x_shape is None else None
        self._batched = jax.jit(jax.vmap(self._enc))
        self._values: Enclose | None = None  # degree 0, for plots of f through its graph

    def __repr__(self) -> str:
        f = (
            self.f
            if isinstance(self.f, str)
            else getattr(self.f, "__name__", type(self.f).__name__)
        )
        f = f if len(str(f)) <= 60 else f"{str(f)[:50]}... ({len(str(f)):,} characters)"
        names = f"variables={self.variables!r}, " if self.variables else ""
        return (
            f"Bounder({f!r}, {names}degree={self.degree}, rounding={self.rounding!r}, "
            f"dtype={str(self.dtype)!r})"
        )

    @property
    def enclose(self) -> Enclose:
        """The pure function under this host layer (see :func:`autobound.enclose`)."""
        return self._enc

    def graph(self, x_shape: tuple[int, ...] = ()) -> ExprGraph:
        """The (optimized) expression graph for inputs of shape `x_shape`."""
        return self._enc.graph(tuple(x_shape))

    def _inputs(self, x0: Any, region: Any, batch: bool = False):
        x0 = host_array("x0", x0)
        try:
            lo_, hi_ = region
        except (TypeError, ValueError):
            raise InvalidRegion(f"region must be a pair (lo, hi), got {region!r}") from None
        lo_, hi_ = host_array("region lower end", lo_), host_array("region upper end", hi_)
        lo_ = np.broadcast_to(lo_, x0.shape) if lo_.ndim == 0 else lo_
        hi_ = np.broadcast_to(hi_, x0.shape) if hi_.ndim == 0 else hi_
        if lo_.shape != x0.shape or hi_.shape != x0.shape:
            raise ShapeMismatch(
                f"x0 has shape {x0.shape} but the region ends have shapes {lo_.shape} and "
                f"{hi_.shape}"
            )
        for name, v in (("x0", x0), ("region lower end", lo_), ("region upper end", hi_)):
            if not np.all(np.isfinite(v)):
                raise InvalidRegion(f"{name} must be finite, got {v}")
        if np.any(lo_ > hi_):
            i = _first(lo_ > hi_)
            raise InvalidRegion(
                f"empty or reversed region: lo={_number(lo_, i)} > hi={_number(hi_, i)}"
                f"{_entry(x0, i)}"
            )
        if np.any(x0 < lo_) or np.any(x0 > hi_):
            i = _first((x0 < lo_) | (x0 > hi_))
            raise InvalidRegion(
                f"x0={_number(x0, i)} lies outside the region [{_number(lo_, i)}, "
                f"{_number(hi_, i)}]{_entry(x0, i)}"
            )
        dt = np.dtype(self.dtype)
        tiny = np.finfo(dt).tiny
        if np.any((x0 != 0) & (np.abs(x0) < tiny)):
            raise InvalidRegion(
                f"x0 has entries below the smallest normal {np.dtype(self.dtype).name} number "
                f"({tiny}) in magnitude, which XLA on CPU flushes to zero: {x0}; use 0 or a "
                "larger number"
            )
        x0c = x0.astype(dt)
        # Round the region outward to the dtype so that it still contains the user's box.
        loc, hic = round_outward_to(dt, lo_, hi_)
        # XLA on CPU flushes subnormals to zero, which would cut a region end such as
        # -5e-324 to 0: round subnormal ends outward to the smallest normal number (or to 0).
        tiny_dt = dt.type(np.finfo(dt).tiny)
        loc = np.where((loc != 0) & (np.abs(loc) < tiny_dt), np.where(loc < 0, -tiny_dt, 0), loc)
        hic = np.where((hic != 0) & (np.abs(hic) < tiny_dt), np.where(hic > 0, tiny_dt, 0), hic)
        x0c = np.clip(x0c, loc, hic)
        return x0c, loc.astype(dt), hic.astype(dt)

    def __call__(self, x0: Any, region: Any) -> TaylorBounds:
        """The degree-k Taylor enclosure of f at x0, valid for x in ``region = (lo, hi)``.

        Raises :class:`~autobound.errors.InvalidRegion`, :class:`ShapeMismatch`, or
        :class:`DomainError` (the region reaches outside the domain of an op).
        """
        x0, lo_, hi_ = self._inputs(x0, region)
        x_shape = self._enc.input_shape(x0.shape)
        e = self._enc(x0, lo_, hi_)
        bad = sorted(k for k, v in jax.device_get(e.flags).items() if bool(v))
        if bad:
            raise domain_error(bad, lo_, hi_)
        return TaylorBounds(
            self._evaluator or _graph_evaluator(self, x_shape),
            e.x0,
            (e.lo, e.hi),
            e.coefficients,
            self.degree,
            self.rounding,
            self.variables,
        )

    def batch(self, x0s: Any, los: Any, his: Any, return_flags: bool = False):
        """Coefficients for many boxes in one jitted, vmapped call.

        `x0s`, `los`, `his` have shape ``(B,) + x_shape``; the result is the coefficient tuple
        with a leading batch axis.  Boxes whose range leaves an op's domain get non-finite
        coefficients; ``return_flags=True`` also returns ``{op: bool[B]}`` naming them.
        """
        x0s = host_array("x0s", x0s)
        los, his = host_array("los", los), host_array("his", his)
        if x0s.ndim == 0:
            raise ShapeMismatch("batch needs a leading batch axis")
        if los.shape != x0s.shape or his.shape != x0s.shape:
            raise ShapeMismatch(
                f"x0s {x0s.shape}, los {los.shape} and his {his.shape} must have one shape"
            )
        n = x0s.shape[0]
        if n == 0:
            raise ShapeMismatch("batch needs at least one box (got a batch of size 0)")
        x0c, loc, hic = self._inputs(x0s, (los, his))
        self._enc.input_shape(x0c.shape[1:])
        size = _bucket(n)
        pad = [(0, size - n)] + [(0, 0)] * (x0c.ndim - 1)
        e = self._batched(*(np.pad(v, pad, mode="edge") for v in (x0c, loc, hic)))
        # sliced on the host: a device slice per batch size would be a program per size
        coeffs, flags = jax.tree.map(lambda a: np.asarray(a)[:n], (e.coefficients, e.flags))
        flags.pop(INPUT_FLAG)
        return (coeffs, flags) if return_flags else coeffs


def _first(mask: np.ndarray) -> tuple[int, ...]:
    """The index of the first true entry of `mask`."""
    return tuple(int(i) for i in np.argwhere(mask)[0])


def _number(a: np.ndarray, i: tuple[int, ...]) -> str:
    return f"{float(a[i]):.17g}"


def _entry(x0: np.ndarray, i: tuple[int, ...]) -> str:
    """``" (in entry 1)"`` for several variables, nothing for one."""
    return f" (in entry {', '.join(map(str, i))} of {x0.size})" if x0.ndim else ""


def _brief(v: Any) -> str:
    """A short text of an array for a repr: its numbers when few and concrete, else its
    shape and dtype (a tracer under jit has no numbers)."""
    try:
        a = np.asarray(v)
    except Exception:  # noqa: BLE001 - a tracer, or anything numpy cannot read
        return f"<{getattr(v, 'shape', '?')} {getattr(v, 'dtype', '')}>"
    if a.size > 6:
        return f"<array {a.shape} {a.dtype}>"
    return np.array2string(a, precision=6, separator=", ") if a.ndim else f"{float(a):.6g}"


def _concrete_true(v: Any) -> bool:
    try:
        return bool(np.any(np.asarray(v)))
    except Exception:  # noqa: BLE001 - traced: unknown here
        return False


def _bucket(n: int) -> int:
    """Batch sizes are padded to powers of two (at least 8), so a new batch size compiles
    only when it crosses one."""
    return max(8, 1 << (n - 1).bit_length())


def _graph_evaluator(bounder: Bounder, x_shape: tuple[int, ...]):
    """f at many points through the graph itself (degree 0, zero-width boxes), for plots;
    lowered on first use."""

    def f(xs):
        if bounder._values is None:
            values = Enclose(bounder.graph(x_shape), 0, rounding="nearest", dtype=bounder.dtype)
            bounder._values = jax.jit(jax.vmap(values))
        xs = jnp.asarray(np.asarray(xs, bounder.dtype).reshape((-1,) + x_shape))
        (c0,) = bounder._values(xs, xs, xs).coefficients
        return np.asarray(c0.lo if is_interval(c0) else c0)

    return f


def taylor_bounds(
    f: Any,
    degree: int = 2,
    variables: Sequence[Any] | None = None,
    rounding: str = "nearest",
    trust_regions: bool = True,
    dtype: str | None = None,
) -> Bounder:
    """Prepare `f` for Taylor bounds of the given degree.

    **Arguments:**

    - `f`: a sympy expression, a string such as ``"exp(x)*sin(y)"``, a Python function of one
      ``jax.numpy`` array, or an :class:`~autobound.graph.ExprGraph`.
    - `degree`: k >= 0, the degree of the enclosure (coefficient k is an interval).
    - `variables`: order of the variables for sympy/string input (default: by name); the input
      x0 then has shape ``(len(variables),)``, or ``()`` for a single variable.
    - `rounding`: ``"nearest"`` (plain floating point, as the reference implementation) or
      ``"outward"`` (every coefficient that may carry rounding error is an interval rounded
      outward; the bound holds for the exact real function).
    - `trust_regions`: also propagate interval ranges through the graph and intersect them with
      the ranges implied by the enclosures (default; tighter, and no spurious domain errors
      when a Taylor polynomial's range overshoots the true one, as sqrt(sum(x**2)) near 0).
    - `dtype`: ``"float32"`` or ``"float64"`` (default: float64 when JAX x64 is enabled).

    **Returns:** a :class:`Bounder`; ``bounder(x0, (lo, hi))`` gives a :class:`TaylorBounds`.
    """
    return Bounder(f, degree, variables, rounding, trust_regions, dtype)


compile = taylor_bounds  # noqa: A001 - the public name `ab.compile` of the design
