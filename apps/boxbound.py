"""Batched Taylor bounds of f over boxes, shared by :mod:`~autobound.apps.optimize` and
:mod:`~autobound.apps.prove`: the enclosures run node by node
(:meth:`autobound.core.Enclose.batch`), so their compiled programs serve every f of a run.

For each box ``[lo, hi]`` (a row of a batch) :attr:`Program.bound` returns the degree-k
outward enclosure of f at the centre x0 (its coefficients, flattened per degree, as
``c{i}_lo``/``c{i}_hi``), f's range over the box (``lower``, ``upper``: the better of the
enclosure's range, :func:`autobound.poly.range`, and the degree-0 enclosure ``r0_lo``,
``r0_hi``, which holds where the degree-k one is void, e.g. at sqrt(0); ``use0`` says which;
∓inf where neither holds), and f(x0) enclosed in outward rounding (``f_x0_lo``, ``f_x0``;
``undefined`` where f is not defined at x0).
:attr:`Program.value_and_grad` gives f and its gradient at a point in round-to-nearest, for
local searches.
"""

from __future__ import annotations

import functools
from fractions import Fraction
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import autobound as ab
from autobound.apps.box import ExactBox
from autobound.errors import InvalidArgument
from autobound.interval import Interval
from autobound.verify.certificate import Expression, Leaf, Monotone, enclosure_range
from autobound.verify.exact import write_number
from autobound.verify.graph_json import graph_to_json

__all__ = ["Program", "centred", "certificate_fields", "doubled", "leaves", "program"]


def _ends(v: Any) -> tuple[jax.Array, jax.Array]:
    return (v.lo, v.hi) if isinstance(v, Interval) else (v, v)


class Program:
    """The compiled pieces for one f, degree and number of variables: the batched bounding
    of boxes and the value-and-gradient of the local search (see :func:`_program`)."""

    def __init__(self, f: Any, degree: int, variables: Any, n: int):
        self.degree, self.n = degree, n
        self.shape = () if n == 1 else (n,)
        self.enc = ab.enclose(f, degree, rounding="outward", variables=variables)
        self.point = ab.enclose(f, 0, rounding="outward", variables=variables)
        if self.enc.x_shape is not None and self.enc.x_shape != self.shape:
            names = ", ".join(self.enc.variables)
            what = (
                f"the variables {names}"
                if names
                else "no variables (it is a constant): name the box's sides with variables=[...]"
            )
            raise InvalidArgument(f"the box has {n} side(s), f has {what}")
        self.variables = list(self.enc.variables) or [f"x{j}" for j in range(n)]
        grad = ab.enclose(f, 1, variables=variables)
        self.value_and_grad = jax.jit(lambda x: _value_and_grad(grad, x.reshape(self.shape)))
        self._partials: Any = False  # built on first use (slopes)

    @property
    def partials(self) -> Any | None:
        """A degree-1 outward enclosure of the gradient of f (sympy's partials, one graph,
        for a string or sympy f made of smooth functions only), or None where there is none:
        the monotonicity test of :mod:`~autobound.apps.optimize` needs it."""
        if self._partials is False:
            self._partials = _partials(self.enc.f, self.variables)
        return self._partials

    def slopes(self, lo: Any, hi: Any) -> tuple[jax.Array, jax.Array]:
        """Intervals ``[g_lo, g_hi]`` (each (B, n)) holding ∂f/∂x_j over each box (from the
        range of a degree-1 enclosure of the partial at the centre); ∓inf where unknown."""
        x0, lo, hi = centred(lo, hi, self.shape)
        return _range_of(self.partials.batch(x0, lo, hi))

    def bound(self, lo: Any, hi: Any) -> dict[str, jax.Array]:
        """The per-box record (module docstring) for boxes ``lo``, ``hi`` of shape (B, n).

        The enclosures run node by node (:meth:`autobound.core.Enclose.batch`): their
        compiled programs are shared by every function of the run, so a new function
        compiles in seconds (Shubert in 2-D: 3.1 s, against 13.8 s for one fused program);
        the fused program's batches run 1-2.7x as fast, which matters less than the compile
        for runs of at most a few hundred batches."""
        x0, lo, hi = centred(lo, hi, self.shape)
        e = self.enc.batch(x0, lo, hi)
        # degree 0 in one call for both: f at the centre, and f's range over the box (an
        # interval evaluation: it holds where the degree-k enclosure is void, sqrt or a kink
        # at a point of the box, and may be tighter)
        both = self.point.batch(*doubled(x0, lo, hi))
        return _records(e, both)


_NONSMOOTH = ("Abs", "sign", "Heaviside", "Max", "Min", "floor", "ceiling", "frac",
              "Piecewise", "Derivative", "Subs", "DiracDelta", "Mod", "re", "im")  # fmt: skip


def _partials(f: Any, names: list[str]) -> Any | None:
    """The enclosure of :attr:`Program.partials` (None: f is a Python function, or not
    smooth, or a partial derivative has a function the engine does not enclose)."""
    import sympy

    from autobound.errors import AutoBoundError
    from autobound.frontends.sympy_frontend import expr_from_string, graph_from_sympy

    if not (isinstance(f, str) or isinstance(f, sympy.Basic)):
        return None
    try:
        expr = expr_from_string(f, names) if isinstance(f, str) else f
        symbols = {str(v): v for v in expr.free_symbols}

        def smooth(e: Any) -> bool:
            return not any(type(a).__name__ in _NONSMOOTH for a in sympy.preorder_traversal(e))

        if not smooth(expr):
            return None
        parts = [sympy.diff(expr, symbols[v]) if v in symbols else sympy.Integer(0) for v in names]
        if not all(map(smooth, parts)):
            return None
        graph = graph_from_sympy(parts, names)  # one graph: the partials share their work
        enc = ab.enclose(graph, 1, rounding="outward")
    except (AutoBoundError, ValueError, TypeError, AttributeError):
        return None
    return enc


@jax.jit
def _range_of(e: Any) -> tuple[jax.Array, jax.Array]:
    """(B, n) ends of the range of each box's enclosure of the n partials; ∓inf where void."""
    r = jax.vmap(ab.poly.range)(e)
    ok = e.valid.reshape(len(r.lo), -1)
    return jnp.where(ok, r.lo, -jnp.inf), jnp.where(ok, r.hi, jnp.inf)


@functools.partial(jax.jit, static_argnums=2)
def centred(lo: Any, hi: Any, shape: tuple[int, ...]) -> tuple[jax.Array, ...]:
    """The centres x0 of boxes ``lo``, ``hi`` (B, n) and the three in shape ``(B,) + shape``
    (one program: host arrays go in without eager conversions)."""
    lo, hi = jnp.asarray(lo), jnp.asarray(hi)
    shaped = (lo.shape[0], *shape)
    return (lo + (hi - lo) / 2).reshape(shaped), lo.reshape(shaped), hi.reshape(shaped)


@jax.jit
def doubled(x0: jax.Array, lo: jax.Array, hi: jax.Array) -> tuple[jax.Array, ...]:
    """The boxes ``[x0, x0]`` then ``[lo, hi]``, centred at x0, as one batch of 2B (both
    degree-0 enclosures, at the centre and over the box, from one engine call)."""
    cat = lambda a, b: jnp.concatenate([a, b])  # noqa: E731
    return cat(x0, x0), cat(x0, lo), cat(x0, hi)


@jax.jit
def _records(e: Any, both: Any) -> dict[str, jax.Array]:
    """:func:`_record` of each box; `both` is the degree-0 batch of :func:`doubled`."""
    half = len(e.x0)
    p = jax.tree.map(lambda a: a[:half], both)
    whole = jax.tree.map(lambda a: a[half:], both)
    return jax.vmap(_record)(e, p, whole)


def _record(e: Any, p: Any, whole: Any) -> dict[str, jax.Array]:
    """One box's record from its degree-k enclosure `e` at the centre, the degree-0
    enclosure `p` of f at the centre and `whole` of f over the box."""
    r = ab.poly.range(e)
    f_lo, f_hi = _ends(p.coefficients[0])
    ok = e.valid
    r0_lo, r0_hi = _ends(whole.coefficients[0])
    # one ulp wider (still an enclosure): the checker's own f(x0), in mpmath at its
    # precision, must fit in it where the range's end is f(x0) itself (cos(0) = 1)
    r0_lo = jnp.where(whole.valid, jnp.nextafter(r0_lo, -jnp.inf), -jnp.inf)
    r0_hi = jnp.where(whole.valid, jnp.nextafter(r0_hi, jnp.inf), jnp.inf)
    lower, upper = jnp.where(ok, r.lo, -jnp.inf), jnp.where(ok, r.hi, jnp.inf)
    useq = jnp.zeros((), bool)
    u = jnp.zeros(e.x0.size, e.x0.dtype)
    if len(e.coefficients) == 3:  # degree 2: the quadratic bound where it is better
        q, u = ab.poly.quadratic_lower(e)
        useq = ok & (q > lower)
        lower = jnp.where(useq, q, lower)
        u = u.reshape(-1)
    out = {
        "lower": jnp.maximum(lower, r0_lo),
        "upper": jnp.minimum(upper, r0_hi),
        "use0": (r0_lo > lower) | ((r0_lo == lower) & (r0_hi < upper)),
        "useq": useq,
        "anchor": u,
        "r0_lo": r0_lo,
        "r0_hi": r0_hi,
        "x0": e.x0.reshape(-1),
        "f_x0": jnp.where(p.valid, f_hi, jnp.inf),
        "f_x0_lo": jnp.where(p.valid, f_lo, -jnp.inf),
        "undefined": ~p.valid,
    }
    for i, c in enumerate(e.coefficients):
        c_lo, c_hi = _ends(c)
        out[f"c{i}_lo"], out[f"c{i}_hi"] = c_lo.reshape(-1), c_hi.reshape(-1)
    return out


def _value_and_grad(grad: Any, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    """f(x) and its gradient (round to nearest) from a degree-1 enclosure at the point x."""
    e = grad(x, x, x)
    v_lo, v_hi = _ends(e.coefficients[0])  # a point, or a degenerate interval after a switch
    value = v_lo + (v_hi - v_lo) / 2
    if len(e.coefficients) < 2:  # f does not depend on x
        return value, jnp.zeros(x.size, x.dtype)
    g_lo, g_hi = _ends(e.coefficients[1])  # the top coefficient: an interval (a point here)
    return value, (g_lo + (g_hi - g_lo) / 2).reshape(-1)


@functools.lru_cache(maxsize=8)
def _cached_program(f: Any, degree: int, variables: Any, n: int) -> Program:
    return Program(f, degree, variables, n)


def program(f: Any, degree: int, variables: Any, n: int) -> Program:
    """The program for f: kept across calls for strings and sympy expressions (immutable),
    so minimizing the same f again compiles nothing; built anew for Python functions (their
    closures may hold arrays that change)."""
    key_vars = tuple(variables) if variables is not None else None
    if isinstance(f, str) or hasattr(f, "free_symbols"):
        return _cached_program(f, degree, key_vars, n)
    return Program(f, degree, key_vars, n)


def leaves(
    box: ExactBox, lo: np.ndarray, hi: np.ndarray, data: dict[str, np.ndarray]
) -> list[Leaf]:
    """Certificate leaves for settled boxes (rows of `lo`, `hi`, `data` from
    :meth:`Program.bound`): each with its enclosure and, as its ``range`` record, exactly
    what the enclosure implies over the leaf (:func:`autobound.verify.certificate.
    enclosure_range`, so that every number in the certificate means what it says).  Sides
    on the double rounding of the box (``box.outer``) are moved onto the exact box ends:
    the enclosure, valid over the larger float box, holds over the smaller leaf."""
    outer_lo, outer_hi = box.outer
    degree = sum(k.startswith("c") and k.endswith("_lo") for k in data)
    out = []
    monotone = data.get("monotone", np.full(len(lo), -1))
    for k in range(len(lo)):
        ends_lo = [
            a if v == p else Fraction(float(v))
            for v, p, a in zip(lo[k], outer_lo, box.lo, strict=True)
        ]
        ends_hi = [
            b if v == p else Fraction(float(v))
            for v, p, b in zip(hi[k], outer_hi, box.hi, strict=True)
        ]
        where = {
            "lo": [write_number(v) for v in ends_lo],
            "hi": [write_number(v) for v in ends_hi],
            "x0": [write_number(float(v)) for v in data["x0"][k]],
        }
        if monotone[k] >= 0:  # no minimizer in the leaf: f is monotone along a variable
            sign = int(data["sign"][k])
            out.append(Leaf(**where, coefficients=[],
                            monotone=Monotone(variable=int(monotone[k]), sign=sign)))  # fmt: skip
            continue
        if data["use0"][k]:  # the leaf's bound is f's range by degree 0: that enclosure
            coefficients = [[[write_number(float(data["r0_lo"][k])),
                              write_number(float(data["r0_hi"][k]))]]]  # fmt: skip
        else:
            coefficients = [
                [
                    [write_number(float(a)), write_number(float(b))]
                    for a, b in zip(data[f"c{i}_lo"][k], data[f"c{i}_hi"][k], strict=True)
                ]
                for i in range(degree)
            ]
        anchor = None
        if data["useq"][k] and not data["use0"][k]:
            anchor = [write_number(float(v)) for v in data["anchor"][k]]
        leaf = Leaf(**where, coefficients=coefficients, anchor=anchor)
        low, high = enclosure_range(leaf, box.n)
        out.append(leaf.model_copy(update={"range": [write_number(low), write_number(high)]}))
    return out


def certificate_fields(program: Program, box: ExactBox) -> dict[str, Any]:
    """What every certificate of f over the box records: the expression (its graph, and its
    text for people), the variables and the box's exact ends."""
    f = program.enc.f
    text = f if isinstance(f, str) else (str(f) if not callable(f) else None)
    graph = program.enc.graph(program.shape)
    return {
        "expression": Expression(graph=graph_to_json(graph), text=text),
        "variables": program.variables,
        "box": [[write_number(a), write_number(b)] for a, b in zip(box.lo, box.hi, strict=True)],
    }
