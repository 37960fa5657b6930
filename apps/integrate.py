"""Verified integration: an interval that contains ``∫_B f(x) dx`` over a box B.

The box is cut into pieces by adaptive bisection (:class:`~autobound.apps.bnb.BranchAndBound`:
the piece whose integral enclosure is widest is split first, many pieces per step).  On a
piece ``P`` each encloser of degree k gives, in outward rounding (valid for the real f),

$$ f(x) \\in \\sum_{i<k} c_i (x - x_0)^{\\otimes i} + I_k (x - x_0)^{\\otimes k}
   \\quad (x \\in P) \\;\\Rightarrow\\; \\int_P f \\in \\texttt{poly.integral}(e), $$

the enclosure polynomials integrated exactly (:func:`autobound.poly.integral`).  Every degree
in `degree` bounds every piece in the same jitted, vmapped call and the enclosures are
intersected: a high degree wins on small smooth pieces, degree 0 (the range of f times the
volume) on wide or rough ones and next to non-analytic points (``sqrt(x)`` or ``abs(x)``:
the range over an end piece stays finite, so shrinking it shrinks its share).  The piece
enclosures are summed on the host with ``math.fsum`` (correctly rounded) and then moved one
ulp outward, so ``lower <= Σ_P ∫_P f <= upper`` exactly.

A piece whose enclosures are all void (the engine's flags) or infinite is split like any
other.  If f has no finite enclosure even at the piece's midpoint, f is not defined there: a
:class:`~autobound.errors.DomainError` naming the point.  In one variable, a void piece at
an end of the box (at most 1/16 wide) is bounded by growth forms near that end
(:mod:`autobound.verify.tails`: ``sqrt(x) log(x)``, ``log(x)^2``, ``x^x``, ``1/sqrt(x)`` at
0, ``log(cos(x))`` at pi/2); a one-variable box of a string or sympy f is first split at the
interior points where a log argument, a negative or fractional power's base or an abs
argument vanishes (sympy's exact roots, :func:`_interior_points`), and an infinite range
is made finite by a substitution (:func:`_compactified`).  If a void piece gets narrower
than ``2^-40`` of the box (``1/x`` at 0, which is not integrable), the
result is ``unknown`` with infinite ends and a message naming the piece, the enclosure of
the integral over the rest, and why the end-point analysis failed.  Never a finite wrong
answer.

Box ends that are not doubles (``"1/3"``, ``"pi"``) are handled exactly: the pieces cover the
box with ends rounded outward, and the integral over the excess ``U`` (thin slabs) is
subtracted as ``R · vol(U)`` with R the range of f over those slabs (for a constant such as
pi, known only between two doubles, ``vol(U)`` is an interval); a tail piece at such an end
integrates up to the end itself instead.

With ``certificate=True`` a certified result also carries a certificate (one leaf per piece,
its enclosure and integral) that :func:`autobound.verify.check_certificate` re-checks on its
own.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal

import jax
import jax.numpy as jnp
import numpy as np
import sympy

from autobound import compiler_options, enclose, poly
from autobound.apps.bnb import LEAF, SPLIT, BranchAndBound, Result
from autobound.apps.box import down, exact_box, exact_number, up
from autobound.apps.boxbound import centred, doubled
from autobound.apps.precision import in_float64
from autobound.errors import AutoBoundError, DomainError, InvalidArgument, InvalidRegion
from autobound.frontends.sympy_frontend import expr_from_string, graph_from_sympy
from autobound.interval import hi as iv_hi
from autobound.interval import lo as iv_lo
from autobound.verify.certificate import (
    Certificate,
    Expression,
    IntegralClaim,
    Leaf,
    enclosure_integral,
)
from autobound.verify.exact import write_number
from autobound.verify.graph_json import graph_to_json
from autobound.verify.tails import MAX_WIDTH, TailError, tail_integral

__all__ = ["Integral", "integrate"]

#: A void piece narrower than this share of the box side ends the run (unknown).
SINGULAR_DEPTH = 40


@dataclass(frozen=True)
class Integral:
    """The outcome of :func:`integrate`: ``lower <= ∫_B f <= upper``, always.

    `status` is ``"certified"`` when ``upper - lower <= tol``, else ``"unknown"`` (a budget
    ran out, or f could not be bounded somewhere: see `message`; the ends are then the best
    enclosure found, possibly infinite).  `pieces`: the pieces bounded; `seconds`: wall time,
    compilation included (unlike the `time_limit`).
    """

    status: Literal["certified", "unknown"]
    lower: float
    upper: float
    pieces: int
    seconds: float
    message: str
    tol: float
    certificate: Certificate | None = field(default=None, repr=False)

    @property
    def width(self) -> float:
        return self.upper - self.lower

    def __contains__(self, value: Any) -> bool:
        return self.lower <= value <= self.upper


def _sum_down(values: np.ndarray) -> float:
    """A double <= the exact sum of `values` (``-inf`` if any is not finite)."""
    if not np.all(np.isfinite(values)):
        return -math.inf
    return math.nextafter(math.fsum(values.tolist()), -math.inf)


def _sum_up(values: np.ndarray) -> float:
    return -_sum_down(-values)


class _Program:
    """The compiled bounding of a batch of pieces for one integrand, degrees and dimension
    (built once per such combination: see :func:`_program`)."""

    def __init__(self, f: Any, degrees: tuple[int, ...], variables: Any, n: int):
        self.encs = [enclose(f, degree=k, rounding="outward", variables=variables) for k in degrees]
        self.point = self.encs[0]  # degree 0
        names = self.point.variables
        if names and len(names) != n:
            raise InvalidRegion(
                f"the box has {n} side(s), f has {len(names)} variable(s): {', '.join(names)}"
            )
        self.variables = list(names) or (["x"] if n == 1 else [f"x{j}" for j in range(n)])
        self.shape = () if n == 1 else (n,)

    def batch(
        self, lo: Any, hi: Any, params: Any, certificate: bool = False
    ) -> dict[str, jax.Array]:
        """Bounds for a batch of pieces ``lo``, ``hi`` (B, n): the intersected integral
        enclosure, the range of f (degree 0), the flags of void enclosures, and whether f is
        void at the midpoint; with `certificate`, also each enclosure's coefficients, width
        and expansion point.  The enclosures run node by node
        (:meth:`autobound.core.Enclose.batch`), so a new integrand compiles little."""
        x0, lo, hi = centred(lo, hi, self.shape)
        # degree 0 over the piece and at its midpoint, in one call
        both = self.point.batch(*doubled(x0, lo, hi), params)
        encs = tuple(enc.batch(x0, lo, hi, params) for enc in self.encs[1:])
        return _records(both, encs, lo, hi, certificate)


@functools.partial(jax.jit, static_argnums=4, compiler_options=compiler_options("outward"))
def _records(
    both: Any, encs: tuple, lo: jax.Array, hi: jax.Array, certificate: bool
) -> dict[str, jax.Array]:
    """:func:`_record` of each piece; `both` is the degree-0 batch of
    :func:`~autobound.apps.boxbound.doubled` (at the midpoints, then over the pieces)."""
    half = len(lo)
    p = jax.tree.map(lambda a: a[:half], both)
    zero = jax.tree.map(lambda a: a[half:], both)
    record = functools.partial(_record, certificate=certificate)
    return jax.vmap(record)((zero, *encs), p, lo, hi)


def _record(
    encs: tuple, p: Any, lo: jax.Array, hi: jax.Array, certificate: bool
) -> dict[str, jax.Array]:
    """One piece's record from its enclosures `encs` (degree 0 first) over the piece and the
    degree-0 enclosure `p` at its midpoint; what only a certificate reads (coefficients,
    widths, expansion point) only with `certificate`: a run without one neither computes
    nor copies it to the host, round after round."""
    low, high = jnp.asarray(-jnp.inf), jnp.asarray(jnp.inf)
    flags: dict[str, jax.Array] = {}
    out: dict[str, jax.Array] = {}
    for position, e in enumerate(encs):
        i = poly.integral(e)
        # Valid, finite, and over exactly this piece (a subnormal end widened by the
        # engine would make neighbouring pieces overlap).
        ok = e.valid & jnp.isfinite(i.lo) & jnp.isfinite(i.hi)
        ok = ok & jnp.all(e.lo == lo) & jnp.all(e.hi == hi)
        low = jnp.maximum(low, jnp.where(ok, i.lo, -jnp.inf))
        high = jnp.minimum(high, jnp.where(ok, i.hi, jnp.inf))
        # This enclosure's width and its coefficients (flattened, one output per entry: a
        # concatenation into a short vector per piece would be a small minor axis under
        # vmap, which XLA:CPU's fusion emitters fill element by element), for certificates;
        # keyed by the position of the requested degree (x**2 at degree 4 has 3 coefficients).
        if certificate:
            out[f"width_{position}"] = jnp.where(ok, i.hi - i.lo, jnp.inf)
            for end, part in (("lo", iv_lo), ("hi", iv_hi)):
                flat = [v for c in e.coefficients for v in part(c).reshape(-1)]
                out.update({f"coef_{end}_{position}_{j}": v for j, v in enumerate(flat)})
        for name, v in e.flags.items():
            flags[name] = flags.get(name, False) | v
    # (a point where f is a constant: its ends are the point)
    c_lo, c_hi = iv_lo(encs[0].coefficients[0]), iv_hi(encs[0].coefficients[0])
    rok = encs[0].valid & jnp.isfinite(c_lo) & jnp.isfinite(c_hi)
    p_lo, p_hi = iv_lo(p.coefficients[0]), iv_hi(p.coefficients[0])
    return {
        "lo": low,
        "hi": high,
        "range_lo": jnp.where(rok, c_lo, -jnp.inf),
        "range_hi": jnp.where(rok, c_hi, jnp.inf),
        "point_void": ~p.valid,  # flagged at the midpoint: f is undefined there
        "point_infinite": p.valid & ~(jnp.isfinite(p_lo) & jnp.isfinite(p_hi)),
        **({"x0": encs[-1].x0.reshape(-1)} if certificate else {}),
        **out,
        **{"flag_" + k: v for k, v in flags.items()},
    }


@functools.lru_cache(maxsize=16)
def _program(f: Any, degrees: tuple[int, ...], variables: Any, n: int) -> _Program:
    """One :class:`_Program` per (f, degrees, variables, n): repeated integrals of the same f
    (new boxes, tolerances or `params`) reuse its compiled code."""
    return _Program(f, degrees, variables, n)


class _Pieces:
    """The integration :class:`~autobound.apps.bnb.Search`: bound pieces, split the widest."""

    def __init__(
        self, program: _Program, params: Any, n: int, tol: float, certificate: bool = False
    ):
        self.program = program
        self.certificate = certificate
        self.params = params
        self.variables = program.variables
        self.n = n
        self.tol = tol
        self.root_width: np.ndarray | None = None
        self.undefined_at: np.ndarray | None = None
        self.infinite_at: np.ndarray | None = None  # defined, but no finite value there
        self.singular: tuple[np.ndarray, np.ndarray, list[str]] | None = None
        self.ends: tuple[_End | None, _End | None] = (None, None)
        self.tail_failure: str | None = None
        self._graph: Any = None
        self._tail_memo: dict[tuple[float, float], tuple[float, float] | None] = {}
        self._leaf_sum = 0.0
        self._leaf_seen = 0

    def graph(self) -> Any:
        """The integrand's graph, parameters bound (for tails and certificates)."""
        if self._graph is None:
            graph = self.program.point.graph(self.program.shape, self.params)
            if self.params is not None:
                graph = graph.bind_params(jax.tree_util.tree_leaves(self.params))
            self._graph = graph
        return self._graph

    # -- the Search protocol ----------------------------------------------------------------

    def bound(self, lo: np.ndarray, hi: np.ndarray) -> dict[str, np.ndarray]:
        out = self.program.batch(lo, hi, self.params, self.certificate)
        data = {k: np.asarray(v) for k, v in out.items()}
        if data["lo"].shape != (len(lo),):
            raise InvalidArgument("f must have one (scalar) output to be integrated")
        data["tail"] = np.zeros(len(lo), np.int8)
        if self.n == 1 and not np.all(np.isfinite(data["lo"]) & np.isfinite(data["hi"])):
            data["lo"], data["hi"] = data["lo"].copy(), data["hi"].copy()
            self._tails(lo[:, 0], hi[:, 0], data)
        return data

    def _tails(self, lo: np.ndarray, hi: np.ndarray, data: dict[str, np.ndarray]) -> None:
        """Void pieces at an end of the box, at most 1/16 wide: the integral over the piece
        from :func:`autobound.verify.tails.tail_integral` (growth forms near the end; see
        :func:`_end_tails`), rounded outward to doubles; ``data["tail"]`` is -1 (lower end)
        or 1 (upper end)."""
        void = ~(np.isfinite(data["lo"]) & np.isfinite(data["hi"]))
        for r in np.flatnonzero(void):
            a, b = float(lo[r]), float(hi[r])
            if not Fraction(b) - Fraction(a) <= MAX_WIDTH:
                continue
            for sign, end in ((-1, self.ends[0]), (1, self.ends[1])):
                if end is None or (a if sign < 0 else b) != end.edge:
                    continue
                if (a, b) not in self._tail_memo:  # batches are padded with repeated pieces
                    try:
                        value = end.integral(a, b)
                        self._tail_memo[a, b] = (down(value[0]), up(value[1]))
                    except TailError as err:
                        self._tail_memo[a, b] = None
                        self.tail_failure = f"at {self.variables[0]} = {end.label}: {err}"
                if self._tail_memo[a, b] is None:
                    continue
                data["lo"][r], data["hi"][r] = self._tail_memo[a, b]
                data["tail"][r] = sign
                break

    def split_axis(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        return np.argmax((hi - lo) / self.root_width, axis=1)

    def classify(
        self, lo: np.ndarray, hi: np.ndarray, data: dict[str, np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray]:
        width = data["hi"] - data["lo"]
        width = np.where(np.isnan(width), np.inf, width)
        share = np.prod((hi - lo) / self.root_width, axis=1)
        verdict = np.full(len(lo), SPLIT)
        verdict[width <= self.tol * share / 2] = LEAF
        rows = np.arange(len(lo))
        axis = self.split_axis(lo, hi)
        a, b = lo[rows, axis], hi[rows, axis]
        mid = a + (b - a) / 2
        verdict[~((a < mid) & (mid < b))] = LEAF  # one ulp wide: kept as it is
        void = ~np.isfinite(width)
        undefined = void & data["point_void"]
        if undefined.any() and self.undefined_at is None:
            k = int(np.argmax(undefined))
            self.undefined_at = lo[k] + (hi[k] - lo[k]) / 2
        infinite = void & data["point_infinite"] & ~data["point_void"]
        if infinite.any() and self.infinite_at is None:
            k = int(np.argmax(infinite))
            self.infinite_at = lo[k] + (hi[k] - lo[k]) / 2
        narrow = void & np.all((hi - lo) < self.root_width * 2.0**-SINGULAR_DEPTH, axis=1)
        if narrow.any() and self.singular is None:
            k = int(np.argmax(narrow))
            flags = sorted(
                key[5:] for key in data if key.startswith("flag_") and bool(data[key][k])
            )
            self.singular = (lo[k], hi[k], flags)
        verdict[undefined | infinite | narrow] = LEAF
        return verdict, -width

    def finished(self, state: Any) -> bool:
        if any(v is not None for v in (self.undefined_at, self.infinite_at, self.singular)):
            return True
        new = state.leaves[self._leaf_seen :]
        self._leaf_seen = len(state.leaves)
        self._leaf_sum += sum(float(np.sum(d["hi"] - d["lo"])) for _, _, d in new)
        total = self._leaf_sum + float(np.sum(-state.key))
        return total <= self.tol * (1 - 1e-9)


def _infinite(v: Any) -> bool:
    """An infinite box end: ±inf as a number, or the text "inf", "-inf", "oo", "-oo"."""
    if isinstance(v, (int, float, np.number)) and not isinstance(v, bool):
        return math.isinf(float(v))  # NaN is not infinite: exact_box names it
    if isinstance(v, str):
        return v.strip().lower().lstrip("+-") in ("inf", "oo", "infinity")
    return isinstance(v, sympy.Basic) and v in (sympy.oo, -sympy.oo)


def _sign(v: Any) -> int:
    if isinstance(v, str):
        return -1 if v.strip().startswith("-") else 1
    return -1 if v < 0 else 1


def _compactified(
    f: Any, sides: list[tuple[Any, Any]], variables: Any
) -> tuple[Any, list[tuple[Any, Any]], list[str], str]:
    """An integral over an infinite range of one variable as one over a finite one:
    ``[a, ∞)`` by ``x = a + t/(1 − t)``, ``(−∞, b]`` by ``x = b − t/(1 − t)`` (t ∈ [0, 1],
    ``dx = dt/(1 − t)^2``), ``(−∞, ∞)`` by ``x = t/(1 − t^2)`` (t ∈ [−1, 1],
    ``dx = (1 + t^2)/(1 − t^2)^2 dt``); sympy writes the new integrand, whose ends at
    ``t = ±1`` the tail analysis takes (``exp(−x)`` becomes ``exp(1 − 1/s)/s^2`` at
    ``s = 1 − t``).  Returns ``(g, sides, variables, note)``."""
    if len(sides) != 1:
        raise InvalidRegion(
            "infinite ends are supported for integrals of one variable only; substitute a "
            "finite range (e.g. x = t/(1-t)) in the others"
        )
    if not (isinstance(f, str) or isinstance(f, sympy.Basic)):
        raise InvalidRegion(
            "an infinite end needs f as a string or sympy expression (the range is made finite "
            "by a substitution); for a Python function substitute a finite range yourself "
            "(e.g. x = t/(1-t), dx = dt/(1-t)^2)"
        )
    expr = expr_from_string(f, variables) if isinstance(f, str) else sympy.sympify(f)
    names = [str(v) for v in variables] if variables is not None else None
    symbols = sorted(expr.free_symbols, key=lambda s: s.name)
    if len(symbols) > 1 or (names and symbols and symbols[0].name != names[0]):
        raise InvalidRegion(f"the box has 1 side, the function variables {symbols}")
    x = symbols[0] if symbols else sympy.Symbol(names[0] if names else "x")
    t = sympy.Symbol("t" if x.name != "t" else "u", real=True)
    lo, hi = sides[0]
    lo_inf, hi_inf = _infinite(lo), _infinite(hi)
    if (lo_inf and _sign(lo) > 0) or (hi_inf and _sign(hi) < 0):
        raise InvalidRegion(f"the side [{lo}, {hi}] is empty or reversed")

    def read(v: Any) -> Any:  # exactly: a float end is its binary value, not a nearby rational
        if isinstance(v, str) or isinstance(v, sympy.Basic):
            return sympy.sympify(v, rational=True)
        q = exact_number(v)
        return sympy.Rational(q.numerator, q.denominator)

    if lo_inf and hi_inf:
        sub, jac, new = t / (1 - t**2), (1 + t**2) / (1 - t**2) ** 2, (-1, 1)
        how = f"{x} = {t}/(1 - {t}^2)"
    elif hi_inf:
        sub, jac, new = read(lo) + t / (1 - t), 1 / (1 - t) ** 2, (0, 1)
        how = f"{x} = {lo} + {t}/(1 - {t})"
    else:
        sub, jac, new = read(hi) - t / (1 - t), 1 / (1 - t) ** 2, (0, 1)
        how = f"{x} = {hi} - {t}/(1 - {t})"
    g = expr.subs(x, sub) * jac
    return g, [new], [t.name], f"integrated over {t} in [{new[0]}, {new[1]}] with {how}"


#: At most this many interior cut points; polynomials of higher degree are not solved.
MAX_CUTS, MAX_CUT_DEGREE = 16, 8


def _zeros_of(u: Any, x: Any) -> list[Any]:
    """The real roots of u in x where u is (a power or abs of) a polynomial of degree at most
    8 with rational coefficients, or at most 2 with real constant ones (``x - pi``); []
    otherwise (never solves anything harder)."""
    while isinstance(u, (sympy.Abs, sympy.Pow)) and not (
        isinstance(u, sympy.Pow) and not u.exp.is_positive
    ):
        u = u.args[0]
    try:
        poly = sympy.Poly(u, x)
    except sympy.PolynomialError:
        return []
    coefficients = poly.all_coeffs()
    if 1 <= poly.degree() <= MAX_CUT_DEGREE and all(c.is_rational for c in coefficients):
        return list(sympy.real_roots(poly))
    if 1 <= poly.degree() <= 2 and all(c.is_number and c.is_real for c in coefficients):
        return [r for r in sympy.roots(poly) if r.is_real]  # closed forms (x - pi: pi)
    return []


def _interior_points(f: Any, variables: Any, exact: Any) -> list[Any]:
    """Points strictly inside a one-variable box where f may be singular or kinked (see
    :func:`integrate`'s `split`), as exact sympy numbers in increasing order."""
    if exact.n != 1 or not (isinstance(f, str) or isinstance(f, sympy.Basic)):
        return []
    try:
        expr = expr_from_string(f, variables) if isinstance(f, str) else sympy.sympify(f)
    except (AutoBoundError, sympy.SympifyError):
        return []
    symbols = list(expr.free_symbols)
    if len(symbols) != 1:
        return []
    (x,) = symbols
    found: set[Any] = set()
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, (sympy.log, sympy.Abs)):
            found.update(_zeros_of(node.args[0], x))
        elif isinstance(node, sympy.Pow) and not (node.exp.is_integer and node.exp.is_positive):
            found.update(_zeros_of(node.base, x))
        if len(found) > MAX_CUTS:
            return []
    inside = []
    for p in found:
        value = Fraction(str(sympy.N(p, 40)))
        if exact.lo_in[0] < value < exact.hi_in[0]:
            inside.append((value, p))
    return [p for _, p in sorted(inside, key=lambda vp: vp[0])]


def _split(
    f: Any, side: tuple[Any, Any], cuts: list[Any], tol: float, options: dict, note: str
) -> Integral:
    """∫ over the box as the sum over its parts between the cut points (each with its share
    of `tol` by width, its own budget); ends of the parts are exact (``1/3``, ``sqrt(2)/2``)."""
    ends = [side[0], *(str(p) if p.is_Rational else p for p in cuts), side[1]]
    sides = list(zip(ends, ends[1:], strict=False))
    widths = [float(sympy.N(sympy.sympify(b) - sympy.sympify(a))) for a, b in sides]
    total = sum(widths)
    parts = [
        integrate(f, [part], tol * w / total, split=False, **options)
        for part, w in zip(sides, widths, strict=True)
    ]
    lower = _sum_down(np.array([p.lower for p in parts]))
    upper = _sum_up(np.array([p.upper for p in parts]))
    status = (
        "certified"
        if all(p.status == "certified" for p in parts) and upper - lower <= tol
        else "unknown"
    )
    where = ", ".join(str(p) for p in cuts)
    message = f"split at {where}: " + "; ".join(
        f"[{a}, {b}]: {p.message}" for (a, b), p in zip(sides, parts, strict=True)
    )
    if note:
        message += f" ({note})"
    return Integral(
        status=status,
        lower=lower,
        upper=upper,
        pieces=sum(p.pieces for p in parts),
        seconds=sum(p.seconds for p in parts),
        message=message,
        tol=float(tol),
    )


@dataclass(frozen=True)
class _End:
    """An end of a one-variable box where a void end piece may be a tail: `edge` is the
    outer double; `integral(a, b)` bounds ∫ f over the end piece [a, b] up to the true end
    (a pair of Fractions), or raises TailError; `label` names the end in messages."""

    edge: float
    integral: Any
    label: str


def _end_tails(
    f: Any, search: _Pieces, side: tuple[Any, Any], exact: Any, edges: tuple[float, float]
) -> tuple[_End | None, _End | None]:
    """The tail analysis at each end of a one-variable box.

    - An end that is a number (a double, or exact as ``1/3``): growth forms of f's own graph
      in ``x = end ± t``; the tail's integral starts at the number itself.
    - An end given as a constant (``pi/2``) of a string or sympy f: sympy substitutes
      ``x = e ∓ t`` (and simplifies on its own: ``cos(pi/2 - t) = sin(t)``), the growth forms
      run on that graph with the width ``|e − a|`` known within ~1e-50 (bracketed); the
      tail's integral then stops at e itself.  Python functions get no tail there.
    """
    out: list[_End | None] = []
    for k, (given, end, inner, edge) in enumerate(
        zip(side, (exact.lo[0], exact.hi[0]), (exact.lo_in[0], exact.hi_in[0]), edges, strict=True)
    ):
        name = "lo" if k == 0 else "hi"
        if end == inner:  # a number, exact: the tail runs from it (past the outer edge)

            def integral(a: float, b: float, end: Fraction = end, name: str = name) -> Any:
                width = Fraction(b) - end if name == "lo" else end - Fraction(a)
                return tail_integral(search.graph(), end, width, name)

            label = f"{float(end):.17g}" if end == Fraction(float(end)) else str(end)
            out.append(_End(float(edge), integral, label))
        elif end != inner and (isinstance(f, str) or isinstance(f, sympy.Basic)):
            out.append(_constant_end(f, search, given, name, float(edge)))
        else:
            out.append(None)
    return out[0], out[1]


def _constant_end(f: Any, search: _Pieces, given: Any, name: str, edge: float) -> _End | None:
    try:
        expr = expr_from_string(f, search.variables) if isinstance(f, str) else f
        e = sympy.sympify(given, rational=True) if isinstance(given, str) else given
        approx = Fraction(str(sympy.N(e, 60)))
    except (AutoBoundError, sympy.SympifyError, TypeError, ValueError):
        return None
    slack = abs(approx) * Fraction(1, 10**50) + Fraction(1, 10**300)
    e_lo, e_hi = approx - slack, approx + slack
    (x,) = [s for s in expr.free_symbols if s.name == search.variables[0]] or [None]
    t = sympy.Symbol("t", positive=True)
    g = expr if x is None else expr.subs(x, e + t if name == "lo" else e - t)
    graphs: list[Any] = []

    def integral(a: float, b: float) -> tuple[Fraction, Fraction]:
        if name == "hi":
            w_lo, w_hi = e_lo - Fraction(a), e_hi - Fraction(a)
        else:
            w_lo, w_hi = Fraction(b) - e_hi, Fraction(b) - e_lo
        if not w_lo > 0:
            raise TailError("the end piece is narrower than the uncertainty of the end")
        if not graphs:  # as sympy leaves it, then expanded (2 - (√2 - t)^2 = 2√2 t - t^2)
            for form in dict.fromkeys([g, sympy.expand(g)]):
                try:
                    graphs.append(graph_from_sympy(form, [t]))
                except AutoBoundError as err:
                    why = TailError(f"f(x) with x = {given} ∓ t has no graph: {err}")
        if not graphs:
            raise why
        for graph in graphs:
            try:
                return tail_integral(graph, Fraction(0), w_lo, "lo", width_hi=w_hi)
            except TailError as err:
                why = err
        raise why

    return _End(edge, integral, str(given))


def _check_degrees(degree: Any) -> tuple[int, ...]:
    degrees = (degree,) if isinstance(degree, (int, np.integer)) else tuple(degree)
    if not degrees or not all(
        isinstance(k, (int, np.integer)) and not isinstance(k, bool) and k >= 0 for k in degrees
    ):
        raise InvalidArgument(f"degree must be an integer >= 0 or a tuple of them, got {degree!r}")
    return tuple(sorted({0} | {int(k) for k in degrees}))


def _fmt_box(lo: np.ndarray, hi: np.ndarray, names: list[str]) -> str:
    return " × ".join(
        f"{v} ∈ [{a:.6g}, {b:.6g}]" for v, a, b in zip(names, lo.tolist(), hi.tolist(), strict=True)
    )


@in_float64
def integrate(
    f: Any,
    box: Sequence[Sequence[Any]],
    tol: float = 1e-8,
    *,
    variables: Sequence[Any] | None = None,
    degree: int | Sequence[int] = 4,
    params: Any = None,
    time_limit: float = 60.0,
    max_pieces: int = 200_000,
    batch: int = 256,
    max_batch: int | None = None,
    progress: bool = False,
    certificate: bool = False,
    split: bool = True,
) -> Integral:
    """An interval ``[lower, upper]`` containing ``∫_box f``, narrower than `tol` if the
    budget allows (math in the module docstring).

    **Arguments:**

    - `f`: a string (``"sin(x + exp(x))"``), a sympy expression, or a Python function of a
      ``jax.numpy`` array x (shape ``()`` for one variable, ``(n,)`` for n).
    - `box`: one ``(lo, hi)`` pair per variable, finite (numbers, Fractions, exact strings such
      as ``"1/3"``, or constants such as ``"pi"``).
    - `tol`: the target width ``upper - lower`` (> 0).
    - `variables`: the order of the variables of a string or sympy f (default: by name).
    - `degree`: the Taylor degree, or several, tried on every piece (their enclosures are
      intersected); degree 0 (the range of f) is always among them, and bounds the pieces
      where f is bounded but not smooth.  Each degree compiles its own enclosure once
      (seconds; more for higher degrees), reused by later calls with the same string or
      sympy f, or the same Python f when `params` is given.
    - `params`: for a Python ``f(x, params)``: a pytree of float arrays, a runtime input
      (new values do not recompile).
    - `time_limit` (seconds, compilation not included), `max_pieces`: the budget.
    - `batch`: pieces bounded per call (one compiled program per batch size).
    - `max_batch` (default: `batch`, no growth): while at least ``2 * batch`` pieces wait to
      be split, calls bound ``4 * batch``, then ``16 * batch`` pieces, up to `max_batch`
      (:class:`~autobound.apps.bnb.BranchAndBound`).  Each new size traces and compiles
      its programs once (seconds), so it pays for repeated long integrals in one process:
      ``sin(x + exp(x))`` on [0, 8] at ``tol=1e-8``, ``max_batch=4096``, takes 0.14 s
      instead of 0.53 s from its second call on, but 19 s instead of 7 s for the first.
    - `progress`: a status line on stderr.
    - `split`: for one variable and a string or sympy f, first cut the box at the points
      inside it where an argument of log, a base of a negative or fractional power, or an
      argument of abs vanishes, when sympy finds them as real roots of polynomials
      (``log(abs(x - 1/3))`` at 1/3): each part's singular ends then get the end-point
      analysis (no certificate for a split box).
    - `certificate`: for a certified result over a box with double ends, also write a
      certificate (`result.certificate`) of the enclosure widened by ``tol/4`` on each side,
      for :func:`autobound.verify.check_certificate` (one leaf per piece).

    **Returns:** an :class:`Integral`.  ``lower <= ∫ f <= upper`` holds whatever the status.

    **Raises:** InvalidRegion (an empty or reversed side; an infinite end of a Python f or
    in several variables: one variable of a string or sympy f is made finite by a
    substitution, see :func:`_compactified`), InvalidArgument (tol, degree, budget),
    DomainError (f not defined at a point of the box, named).
    """
    if not (isinstance(tol, (int, float)) and not isinstance(tol, bool) and tol > 0):
        raise InvalidArgument(f"tol must be a positive number, got {tol!r}")
    if not math.isfinite(tol):
        raise InvalidArgument(f"tol must be finite, got {tol!r}")
    if not (isinstance(time_limit, (int, float)) and time_limit > 0):
        raise InvalidArgument(
            f"time_limit must be a positive number of seconds, got {time_limit!r}"
        )
    if not (isinstance(max_pieces, int) and max_pieces >= 1):
        raise InvalidArgument(f"max_pieces must be a positive integer, got {max_pieces!r}")
    degrees = _check_degrees(degree)
    try:
        sides = [tuple(side) for side in box]
    except TypeError:
        raise InvalidRegion(f"box must be a list of (lo, hi) pairs, got {box!r:.80}") from None
    note = ""
    if any(_infinite(v) for side in sides for v in side):
        f, sides, variables, note = _compactified(f, sides, variables)
    exact = exact_box(sides)
    cuts = _interior_points(f, variables, exact) if split else []
    if cuts:
        options = dict(
            variables=variables,
            degree=degree,
            params=params,
            time_limit=time_limit,
            max_pieces=max_pieces,
            batch=batch,
            max_batch=max_batch,
            progress=progress,
        )
        result = _split(f, sides[0], cuts, tol, options, note)
        if certificate and result.status == "certified":
            result = dataclasses.replace(
                result, message=result.message + "; no certificate: the box was split"
            )
        return result
    outer_lo, outer_hi = exact.outer
    # Reused across calls: strings and sympy expressions (immutable), and Python functions
    # given `params` (their data is the runtime input).  A Python function without params
    # may close over arrays that change between calls (a compiled program would keep the old
    # values), so it gets a fresh program.
    try:
        reuse = isinstance(f, str) or params is not None or not callable(f)
        key = (f, degrees, None if variables is None else tuple(variables), exact.n)
        program = _program(*key) if reuse else _Program(f, degrees, variables, exact.n)
    except TypeError:  # unhashable f or variables: no reuse
        program = _Program(f, degrees, variables, exact.n)
    search = _Pieces(program, params, exact.n, float(tol), certificate)
    search.root_width = outer_hi - outer_lo
    if exact.n == 1:
        search.ends = _end_tails(f, search, sides[0], exact, (outer_lo[0], outer_hi[0]))
    bnb = BranchAndBound(
        search,
        batch=batch,
        max_boxes=max_pieces,
        time_limit=time_limit,
        split_axis=search.split_axis,
        fill=True,
        max_batch=max_batch,
    )
    started = time.perf_counter()
    solution = bnb.run(outer_lo, outer_hi, progress=progress)
    state = solution.state
    if search.undefined_at is not None:
        raise DomainError(
            f"the integrand is not defined at {_fmt_point(search.undefined_at, search.variables)}"
        )
    leaf_lo, leaf_hi, leaf_data = state.leaf_arrays()
    lows = np.concatenate([leaf_data.get("lo", np.zeros(0)), state.data.get("lo", np.zeros(0))])
    highs = np.concatenate([leaf_data.get("hi", np.zeros(0)), state.data.get("hi", np.zeros(0))])
    tails = np.concatenate(
        [leaf_data.get("tail", np.zeros(0)), state.data.get("tail", np.zeros(0))]
    )
    covered = {int(v) for v in np.unique(tails) if v}  # ends whose last piece is a tail
    excess = _excess(search, bnb, exact, outer_lo, outer_hi, covered)
    lower = _sum_down(np.append(lows, -excess[1]))
    upper = _sum_up(np.append(highs, -excess[0]))
    names = search.variables
    if search.infinite_at is not None:
        message = (
            f"f has no finite enclosure even at the point "
            f"{_fmt_point(search.infinite_at, names)}, where the engine finds it defined: an "
            "intermediate value overflows double precision there and what follows it cannot "
            "bring it back (exp(1000)*exp(-1000) is 1, but exp(1000) is only known to be beyond "
            "1.8e308); write f so that no intermediate overflows"
        )
        lower, upper, status = -math.inf, math.inf, "unknown"
    elif search.singular is not None:
        a, b, flags = search.singular
        void = np.isinf(lows) | np.isinf(highs)
        rest = (_sum_down(lows[~void]), _sum_up(highs[~void]))
        message = (
            f"no finite enclosure of f on {_fmt_box(a, b, names)}"
            + (f" (flags: {', '.join(flags)})" if flags else "")
            + ": f is unbounded there or the engine cannot bound it; the integral over the "
            f"rest of the box lies in [{rest[0]:.17g}, {rest[1]:.17g}]"
        )
        if search.tail_failure is not None:
            message += f"; the end-point analysis failed {search.tail_failure}"
        lower, upper = -math.inf, math.inf
        status = "unknown"
    elif upper - lower <= tol:
        status = "certified"
        message = f"certified: width {upper - lower:.3g} <= tol {tol:.3g}"
    else:
        status = "unknown"
        why = solution.result.value
        if solution.result in (Result.successful, Result.cannot_split):
            why = "some pieces are too narrow to split further (one ulp wide)"
        message = f"not certified: width {upper - lower:.3g} > tol {tol:.3g}: {why}"
        void = ~(np.isfinite(lows) & np.isfinite(highs))
        if void.any():
            k = int(np.argmax(void))
            where = np.concatenate([leaf_lo, state.lo])[k], np.concatenate([leaf_hi, state.hi])[k]
            message += (
                f"; f has no finite enclosure on {int(void.sum())} piece(s), e.g. "
                f"{_fmt_box(*where, names)} (unbounded there, or beyond the engine)"
            )
    cert = None
    if certificate and status == "certified":
        ends = zip((*outer_lo, *outer_hi), (*exact.lo, *exact.hi), strict=True)
        if any(Fraction(float(v)) != e for v, e in ends):
            message += "; no certificate: the box ends are not all doubles"
        else:
            pieces = (
                np.concatenate([leaf_lo, state.lo]),
                np.concatenate([leaf_hi, state.hi]),
                {
                    k: np.concatenate([d[k] for d in (leaf_data, state.data) if d])
                    for k in (leaf_data or state.data)
                },
            )
            cert = _certificate(f, search, exact, pieces, tol / 4)
    if note:
        message += f" ({note})"
    return Integral(
        status=status,
        lower=lower,
        upper=upper,
        pieces=state.boxes,
        seconds=time.perf_counter() - started,
        message=message,
        tol=float(tol),
        certificate=cert,
    )


def _certificate(
    f: Any, search: _Pieces, exact: Any, pieces: tuple[np.ndarray, np.ndarray, dict], slack: float
) -> Certificate:
    """A certificate of ``∫ f ∈ [lower − slack, upper + slack]`` for
    :func:`autobound.verify.check_certificate`: one leaf per piece with the enclosure (of
    the degree whose integral is narrowest there) and its integral computed exactly by the
    checker's own formula.  The slack leaves room for the checker's independent (second
    order) bounds to confirm the claim."""
    program, n = search.program, search.n
    lo, hi, data = pieces
    positions = range(len(program.encs))
    best = np.argmin(np.stack([data[f"width_{p}"] for p in positions]), axis=0)
    leaves, total_lo, total_hi = [], Fraction(0), Fraction(0)
    for r in range(len(lo)):
        if data["tail"][r]:  # an end piece bounded by growth forms: the checker redoes it
            record = {
                "lo": [write_number(float(lo[r][0]))],
                "hi": [write_number(float(hi[r][0]))],
                "x0": [write_number(float(data["x0"][r][0]))],
                "coefficients": [],
                "tail": "lo" if data["tail"][r] < 0 else "hi",
            }
            got = (Fraction(float(data["lo"][r])), Fraction(float(data["hi"][r])))
            total_lo, total_hi = total_lo + got[0], total_hi + got[1]
            leaves.append(Leaf(**record, integral=[write_number(got[0]), write_number(got[1])]))
            continue
        p = best[r]
        m = sum(1 for key in data if key.startswith(f"coef_lo_{p}_"))
        d = next(d for d in range(m) if sum(n**i for i in range(d + 1)) == m)  # its degree
        flat = [(data[f"coef_lo_{p}_{j}"][r], data[f"coef_hi_{p}_{j}"][r]) for j in range(m)]
        coefficients, start = [], 0
        for i in range(d + 1):
            size = n**i
            coefficients.append(
                [
                    [write_number(float(p)), write_number(float(q))]
                    for p, q in flat[start : start + size]
                ]
            )
            start += size
        record = {
            "lo": [write_number(float(v)) for v in lo[r]],
            "hi": [write_number(float(v)) for v in hi[r]],
            "x0": [write_number(float(v)) for v in data["x0"][r]],
            "coefficients": coefficients,
        }
        got = enclosure_integral(Leaf(**record), n)
        total_lo, total_hi = total_lo + got[0], total_hi + got[1]
        leaves.append(Leaf(**record, integral=[write_number(got[0]), write_number(got[1])]))
    graph = search.graph()
    claim = IntegralClaim(
        kind="integral_in",
        lower=write_number(down(total_lo - Fraction(slack))),
        upper=write_number(up(total_hi + Fraction(slack))),
    )
    return Certificate(
        expression=Expression(graph=graph_to_json(graph), text=f if isinstance(f, str) else None),
        variables=program.variables,
        box=[[write_number(p), write_number(q)] for p, q in zip(exact.lo, exact.hi, strict=True)],
        claim=claim,
        leaves=leaves,
        prover={
            "name": "autobound.apps.integrate",
            "degree": max(e.degree for e in program.encs),
            "rounding": "outward",
        },
    )


def _fmt_point(x: np.ndarray, names: list[str]) -> str:
    return ", ".join(f"{v} = {a:.17g}" for v, a in zip(names, np.ravel(x).tolist(), strict=True))


def _excess(
    search: _Pieces,
    bnb: BranchAndBound,
    exact: Any,
    outer_lo: np.ndarray,
    outer_hi: np.ndarray,
    covered: set[int] = frozenset(),
) -> tuple[float, float]:
    """An interval holding ``∫_U f``, U = the outer (double) box minus the user's box:
    ``R · vol(U)``, R the hull of the ranges of f over slabs that cover U.

    An end given as a number ``e`` that is not a double: the slab runs from the outer edge to
    the first double past ``e``.  An end given as a constant (``pi/2``), known only to lie
    between the doubles ``lo_in``/``hi_in`` and ``lo``/``hi`` of :class:`ExactBox`: the slab
    runs from the outer edge to the inner double, and ``vol(U)`` is only known to lie in
    ``[vol(outer) − Π(hi − lo), vol(outer) − Π(hi_in − lo_in)]``.  A side in `covered`
    (-1 the lower end, 1 the upper; one variable) ends in a tail piece whose integral stops
    at the end itself: no slab there, and that end counts as the outer edge."""
    slabs = []
    ends = [list(exact.lo), list(exact.hi), list(exact.lo_in), list(exact.hi_in)]
    for j in range(exact.n):
        sides = (
            (exact.lo[j], exact.lo_in[j], outer_lo[j], 1),
            (exact.hi[j], exact.hi_in[j], outer_hi[j], -1),
        )
        for end, inner, edge, inward in sides:
            if -inward in covered:
                k = 0 if inward > 0 else 1
                ends[k][j] = ends[k + 2][j] = Fraction(float(edge))
                continue
            if end == inner == Fraction(float(edge)):
                continue  # a double: no slab
            if end == inner:  # a number: the first double past it
                cut = float(edge)
                while (Fraction(cut) < end) if inward > 0 else (Fraction(cut) > end):
                    cut = math.nextafter(cut, inward * math.inf)
            else:  # a constant: the inner double
                cut = float(inner)
            s_lo, s_hi = outer_lo.copy(), outer_hi.copy()
            if inward > 0:
                s_hi[j] = cut
            else:
                s_lo[j] = cut
            slabs.append((s_lo, s_hi))
    if not slabs:
        return 0.0, 0.0
    lo = np.stack([s[0] for s in slabs])
    hi = np.stack([s[1] for s in slabs])
    pad = bnb.batch - len(lo)  # the batch size of the run: no new compilation
    data = search.bound(
        np.concatenate([lo, lo[:1].repeat(pad, 0)]), np.concatenate([hi, hi[:1].repeat(pad, 0)])
    )
    r_lo, r_hi = float(np.min(data["range_lo"])), float(np.max(data["range_hi"]))
    if not (math.isfinite(r_lo) and math.isfinite(r_hi)):
        return -math.inf, math.inf
    outer_vol = math.prod(
        Fraction(b) - Fraction(a) for a, b in zip(outer_lo, outer_hi, strict=True)
    )
    largest = math.prod(b - a for a, b in zip(ends[0], ends[1], strict=True))
    smallest = math.prod(b - a for a, b in zip(ends[2], ends[3], strict=True))
    vols = (outer_vol - largest, outer_vol - smallest)  # 0 <= vol(U) within these, exactly
    ends = [Fraction(r) * v for r in (r_lo, r_hi) for v in vols]
    return down(min(ends)), up(max(ends))
