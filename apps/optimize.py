"""Verified global minimization over a box: branch and bound on Taylor enclosures.

:func:`minimize` encloses ``m = min_{x ∈ B} f(x)`` in ``[lower, upper]``:

- **upper**: ``f(p)`` at good points p of the box (box centres, and the ends of a local
  search from the best of them), each enclosed in outward rounding, so ``f(p) <= upper``
  holds for the exact real f; the best p is :attr:`Minimum.argmin`.
- **lower**: for each box b of a partition of B, a degree-k Taylor enclosure of f at the
  centre of b (``autobound.enclose(..., rounding="outward")``) and its range over b
  (:func:`autobound.poly.range`): ``f(x) >= L_b`` on b, so ``m >= min_b L_b``.

Branch and bound (:mod:`autobound.apps.bnb`) bisects the box with the least ``L_b`` first; a
box is settled when ``L_b >= upper − tol/2`` (it cannot hold a value more than tol/2 below
the best one found).  The run is ``certified`` when every box is settled: then
``upper − lower <= tol``, with ``lower = min_b L_b − tol/4`` (the slack lets the independent
checker re-prove each leaf with its own, looser, means).  Degree 2 at box centres gives
lower bounds whose error shrinks like the square of the box width near a minimizer, so the
boxes around it stay few (no cluster of thousands of tiny boxes).

The certificate (:class:`autobound.verify.certificate.Certificate`, claim ``min_in``) lists
every settled box with its enclosure; :func:`autobound.verify.check_certificate` re-proves
``f >= lower`` on each and ``f(argmin) <= upper`` in mpmath without the engine.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any, Literal

import jax
import jax.numpy as jnp
import numpy as np

from autobound.apps import boxbound
from autobound.apps.bnb import LEAF, SPLIT, BranchAndBound, Result, State
from autobound.apps.box import ExactBox, down, exact_box
from autobound.apps.boxbound import program
from autobound.apps.precision import in_float64
from autobound.errors import DomainError, InvalidArgument
from autobound.verify.certificate import Certificate, MinimumClaim
from autobound.verify.exact import write_number

__all__ = ["Minimum", "minimize"]

Status = Literal["certified", "unknown"]


@dataclasses.dataclass(frozen=True)
class Minimum:
    """The outcome of :func:`minimize`.

    ``lower <= min f <= upper`` always holds (for the exact real f over the box as given);
    `status` is ``"certified"`` when ``upper - lower <= tol`` was reached with every box
    settled, ``"unknown"`` when a budget ran out first (`message` says which, and the
    bounds are then the best found).  `argmin` is a point of the box with ``f(argmin) <=
    upper``.  `certificate` (certified runs only) passes
    :func:`autobound.verify.check_certificate`; it is written on first access (exact
    rationals for every leaf: seconds for tens of thousands of leaves), so a run whose
    certificate nobody reads does not pay for it.
    """

    status: Status
    lower: float
    upper: float
    argmin: tuple[float, ...]
    boxes: int
    seconds: float
    message: str
    write: Callable[[], Certificate] | None = dataclasses.field(default=None, repr=False)

    @functools.cached_property
    def certificate(self) -> Certificate | None:
        """The certificate of a certified run (None otherwise), written once when first read."""
        return None if self.write is None else self.write()

    @property
    def gap(self) -> float:
        return self.upper - self.lower

    def __bool__(self) -> bool:
        return self.status == "certified"

    def __repr__(self) -> str:
        return (
            f"Minimum({self.status}: min f in [{self.lower!r}, {self.upper!r}], "
            f"argmin={self.argmin}, {self.boxes} boxes, {self.seconds:.2f} s)"
        )


class _Minimize:
    """The :class:`~autobound.apps.bnb.Search` of :func:`minimize`."""

    def __init__(
        self,
        f: Any,
        box: ExactBox,
        tol: float,
        degree: int,
        variables: Any,
        monotonicity: bool,
        monotone_after: int,
    ):
        self.box, self.tol, self.degree = box, tol, degree
        self.program = program(f, degree, variables, box.n)
        self.variables = self.program.variables
        self.inner_lo, self.inner_hi = box.inner
        self.best = math.inf
        self.argmin: np.ndarray | None = None
        self.polished, self.max_polish = 0, 8
        self.batch = 2  # set to the solver's batch size by minimize
        self.monotonicity = monotonicity
        self.partials_on = False
        self.solver: BranchAndBound | None = None  # set by minimize
        self.partials_after = int(monotone_after)
        self.outer_lo, self.outer_hi = box.outer

    def bound(self, lo: np.ndarray, hi: np.ndarray) -> dict[str, np.ndarray]:
        data = self.program.bound(lo, hi)
        if not self.monotonicity:
            return data
        data = dict(data)
        known = self._partials_now()
        if known:
            data["g_lo"], data["g_hi"] = self.program.slopes(lo, hi)
        else:  # unknown: no box is monotone, bisection takes the widest side
            data["g_lo"], data["g_hi"] = _unknown(lo)
        data["g_known"] = _known(lo, known)
        return data

    def _partials_now(self) -> bool:
        """Whether to enclose the partial derivatives from now on: once the solver has
        bounded `partials_after` boxes (the same count in every process of a run over
        several), and never for a Python f or one with kinks.
        Their programs take seconds to compile (about as long as f's), which a search of a
        few batches never earns back."""
        bounded = self.solver.bounded if self.solver is not None else 0
        if not self.partials_on and bounded >= self.partials_after:
            self.partials_on = self.program.partials is not None
        return self.partials_on

    # -- deciding ----------------------------------------------------------------------------

    def _inside(self, x: np.ndarray) -> np.ndarray:
        return np.all((x >= self.inner_lo) & (x <= self.inner_hi), axis=-1)

    def offer(self, x: np.ndarray, f_hi: np.ndarray) -> None:
        """Take the best of the points x (rows) with proven upper values f_hi as incumbent."""
        f_hi = np.where(self._inside(x), f_hi, np.inf)
        if len(f_hi) and np.min(f_hi) < self.best:
            k = int(np.argmin(f_hi))
            self.best, self.argmin = float(f_hi[k]), np.array(x[k])

    def classify(self, lo, hi, data):
        undefined = data["undefined"]
        if np.any(undefined):
            x = data["x0"][int(np.argmax(undefined))]
            where = ", ".join(f"{v} = {t:.17g}" for v, t in zip(self.variables, x, strict=True))
            raise DomainError(f"f is undefined at a point of the box ({where})")
        before = self.best
        self.offer(data["x0"], data["f_x0"])
        if self.best < before - self.tol and self.polished < self.max_polish:
            self.polished += 1
            self.polish(self.argmin)
        lower = np.array(data["lower"])
        settled = lower >= self.best - self.tol / 2
        if "g_lo" in data:
            if self.partials_on:  # boxes bounded before the partials were switched on
                self._fill_partials(lo, hi, data)
            variable, sign = self.monotone(lo, hi, data["g_lo"], data["g_hi"])
            drop = ~settled & (variable >= 0)
            data["monotone"] = np.where(drop, variable, -1)
            data["sign"] = sign
            lower[drop] = np.inf  # no minimizer in the box: it does not bound the minimum
            data["lower"] = lower
            settled |= drop
        return np.where(settled, LEAF, SPLIT), lower

    def _fill_partials(self, lo: np.ndarray, hi: np.ndarray, data: dict) -> None:
        """Enclose the partials on the boxes whose data has none yet (in place)."""
        missing = np.flatnonzero(~data["g_known"])
        if not len(missing):
            return
        g_lo, g_hi = np.array(data["g_lo"]), np.array(data["g_hi"])
        for start in range(0, len(missing), self.batch):
            rows = missing[start : start + self.batch]
            pad = self.batch - len(rows)  # the batch size the programs were compiled for
            a = np.concatenate([lo[rows], np.repeat(lo[rows[-1:]], pad, 0)])
            b = np.concatenate([hi[rows], np.repeat(hi[rows[-1:]], pad, 0)])
            s_lo, s_hi = self.program.slopes(a, b)
            g_lo[rows], g_hi[rows] = np.asarray(s_lo)[: len(rows)], np.asarray(s_hi)[: len(rows)]
        data["g_lo"], data["g_hi"] = g_lo, g_hi
        data["g_known"] = np.ones(len(lo), bool)

    def monotone(self, lo, hi, g_lo, g_hi) -> tuple[np.ndarray, np.ndarray]:
        """Per box, a variable j along which f is strictly monotone on the box, towards a
        side of the box inside the search box (-1 where there is none), and the sign of
        ∂f/∂x_j there.  Such a box holds no minimizer of f over the search box: at a point
        x of it, ∂f/∂x_j > 0 and x_j > lo_j of the search box (< 0, < hi_j), so f is smaller
        a little way along -x_j (+x_j) inside the search box."""
        up = (g_lo > 0) & (lo > self.outer_lo)
        down_ = (g_hi < 0) & (hi < self.outer_hi)
        either = up | down_
        variable = np.where(either.any(axis=1), np.argmax(either, axis=1), -1)
        rows = np.arange(len(lo))
        sign = np.where(up[rows, np.maximum(variable, 0)], 1, -1)
        return variable, sign

    def finished(self, state: State) -> bool:
        return bool(state.open) and bool(np.min(state.key) >= self.best - self.tol / 2)

    def describe(self, state: State) -> str:
        low = self.lower(state)
        return f"min f in [{low:.10g}, {self.best:.10g}], gap {self.best - low:.3g}"

    def lower(self, state: State) -> float:
        lows = [np.min(state.key)] if state.open else []
        lows += [np.min(d["lower"]) for _, _, d in state.leaves]
        # monotone leaves count +inf: at least one box holds a minimizer (at most `best`)
        return min(float(min(lows)), self.best) if lows else -math.inf

    # -- local search for good points --------------------------------------------------------

    def polish(self, start: np.ndarray) -> None:
        """A local minimization (L-BFGS-B within the box) from `start`; its end point, with
        f enclosed there in outward rounding, is offered as an incumbent."""
        import scipy.optimize

        def fun(x):
            v, g = self.program.value_and_grad(jnp.asarray(x))
            v, g = float(v), np.asarray(g, dtype=float)
            if not (math.isfinite(v) and np.all(np.isfinite(g))):
                return math.inf, np.zeros_like(g)
            return v, g

        bounds = list(zip(self.inner_lo, self.inner_hi, strict=True))
        try:
            res = scipy.optimize.minimize(
                fun, start, jac=True, method="L-BFGS-B", bounds=bounds, options={"maxiter": 200}
            )
        except (ValueError, FloatingPointError):
            return
        x = np.clip(np.asarray(res.x, dtype=float), self.inner_lo, self.inner_hi)[None]
        # f(x) enclosed in outward rounding: the batch program on the one-point box [x, x]
        pad = np.repeat(x, self.batch, 0)  # the batch size the program was compiled for
        self.offer(x, self.bound(pad, pad)["f_x0"][:1])

    # -- the certificate ---------------------------------------------------------------------

    def certificate(self, lo, hi, data, lower: float) -> Certificate:
        leaves = boxbound.leaves(self.box, lo, hi, data)
        claim = MinimumClaim(
            kind="min_in",
            lower=write_number(lower),
            upper=write_number(self.best),
            witness=[write_number(float(v)) for v in self.argmin],
        )
        return Certificate(
            **boxbound.certificate_fields(self.program, self.box),
            claim=claim,
            leaves=leaves,
            prover={
                "name": "autobound.apps.optimize",
                "degree": self.degree,
                "rounding": "outward",
            },
        )


@jax.jit
def _unknown(lo: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Partial derivatives not enclosed: (-inf, inf) per side of each box (laid out as lo)."""
    return jnp.full_like(lo, -jnp.inf), jnp.full_like(lo, jnp.inf)


@functools.partial(jax.jit, static_argnums=1)
def _known(lo: jax.Array, known: bool) -> jax.Array:
    """Whether the partials were enclosed, per box (laid out as lo's boxes)."""
    return jnp.full_like(lo[:, 0], known, dtype=bool)


@in_float64
def minimize(
    f: Any,
    box: Sequence[Sequence[Any]],
    tol: float = 1e-6,
    *,
    variables: Sequence[Any] | None = None,
    degree: int = 2,
    time_limit: float = 60.0,
    max_boxes: int = 200_000,
    batch: int = 256,
    certificate: bool = True,
    progress: bool = False,
    monotonicity: bool = True,
    monotone_after: int = 2048,
) -> Minimum:
    """Certify the global minimum of f over a box to an absolute tolerance.

    **Arguments:**

    - `f`: a string (``"x**2 + sin(3*y)"``), a sympy expression, or a Python function of
      ``jax.numpy`` arrays (x of shape ``()`` for one variable, ``(n,)`` for n).
    - `box`: one ``(lo, hi)`` per variable; ends may be exact strings or constants
      (``"pi/2"``), enclosed outward (see :mod:`autobound.apps.box`).
    - `tol`: the absolute width ``upper - lower`` to reach.
    - `variables`: the order of the box's sides for a string or sympy f (default: by name).
    - `degree`: the Taylor degree of the lower bounds (2 is the best trade-off mostly).
    - `time_limit`, `max_boxes`: budgets; when one runs out the result is ``"unknown"``
      with the bounds found so far.
    - `batch`: boxes bounded per engine call (one compilation per batch size).
    - `certificate`: build the certificate (costs a little time and memory per box).
    - `progress`: a rich status line on stderr.
    - `monotonicity`: drop boxes where a partial derivative of f keeps one sign towards a
      side inside the box (they hold no minimizer); for strings and sympy expressions made
      of smooth functions (sympy differentiates them, the engine encloses the partials).
    - `monotone_after`: boxes bounded before the partials are switched on (their programs
      take seconds to compile, which short searches never earn back; 0: from the start).

    **Returns:** a :class:`Minimum`.  Raises :class:`~autobound.errors.DomainError` when f
    is undefined at a point of the box.
    """
    if not (isinstance(tol, (int, float)) and math.isfinite(tol) and tol > 0):
        raise InvalidArgument(f"tol must be a positive number, got {tol!r}")
    started = time.perf_counter()
    exact = exact_box(box)
    search = _Minimize(f, exact, float(tol), degree, variables, monotonicity, monotone_after)
    solver = BranchAndBound(search, batch=batch, max_boxes=max_boxes, time_limit=time_limit)
    search.batch, search.solver = solver.batch, solver
    lo, hi = exact.outer
    search.polish(lo + (hi - lo) / 2)
    solution = solver.run(lo, hi, progress=progress, describe=search.describe)
    state = solution.state
    if search.argmin is None:
        return Minimum(
            "unknown",
            -math.inf,
            math.inf,
            (),
            state.boxes,
            time.perf_counter() - started,
            "no point of the box had a finite value of f",
        )
    lower = search.lower(state)
    result = solution.result
    if result.done and lower >= search.best - search.tol / 2:
        lower_claim = down(Fraction(lower) - Fraction(search.tol) / 4)
        write = None
        if certificate:
            if state.open:  # every open box is settled too: gap <= tol
                state.leaves.append((state.lo, state.hi, state.data))
            leaf_lo, leaf_hi, leaf_data = state.leaf_arrays()
            write = in_float64(
                functools.partial(search.certificate, leaf_lo, leaf_hi, leaf_data, lower_claim)
            )
        return Minimum(
            "certified",
            lower_claim,
            search.best,
            tuple(map(float, search.argmin)),
            state.boxes,
            time.perf_counter() - started,
            "certified",
            write,
        )
    message = f"{result.value} (gap {search.best - lower:.3g} > tol {search.tol:g})"
    if result is Result.finished or result is Result.successful:
        message = f"stopped with gap {search.best - lower:.3g}"
    return Minimum(
        "unknown",
        lower,
        search.best,
        tuple(map(float, search.argmin)),
        state.boxes,
        time.perf_counter() - started,
        message,
    )
