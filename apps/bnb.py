"""One branch-and-bound core for the applications that split boxes: minimize, prove, integrate.

Shaped like an optimistix solver: :meth:`BranchAndBound.init` bounds the root box,
:meth:`~BranchAndBound.step` takes the most urgent open boxes, bisects each, bounds all the
halves in **one** batched call and sorts them, and :meth:`~BranchAndBound.terminate` says when
to stop and why (a :class:`Result` whose value is the message a user reads).
:meth:`~BranchAndBound.run` drives the loop, with an optional rich progress line, and returns
a :class:`Solution`.

What a box *means* belongs to the application, a :class:`Search`:

- :meth:`Search.bound` takes a batch of boxes ``lo, hi`` of shape ``(B, n)`` and returns a
  dict of per-box arrays (leading axis B), typically from a jitted ``jax.vmap`` of
  :func:`autobound.enclose` and :func:`autobound.poly.range`.  The core always calls it with
  the same B (padding with copies of a real box), so it compiles once.
- :meth:`Search.classify` sorts boxes: :data:`SPLIT` (keep open, priority `key`: smaller is
  more urgent), :data:`LEAF` (settled, kept with its data for the certificate) or
  :data:`DROP` (settled, nothing to keep).  It is asked again when a box is taken from the
  queue, so a box that a later incumbent settles is never split.
- :meth:`Search.finished` (optional) ends the run early, e.g. when a gap is below a tolerance.

The open boxes live in host arrays (sorting and splitting are cheap next to bounding); the
batch is placed on all JAX devices, split along the box axis (``jax.sharding``), when there
are several, so the bounding runs on every device; over several processes
(``jax.distributed``) every process keeps the same queue, places the shards of its own
devices, reads back all results, and stops when the first process says so.  A box whose
bisection point is not strictly inside it (a side one ulp wide) cannot be split: it is kept
with the leaves and counted as *stuck*, and a run that leaves stuck boxes ends with
:attr:`Result.cannot_split` (never a success: an application that can settle such boxes does
so in `classify`).
"""

from __future__ import annotations

import dataclasses
import enum
import math
import time
from collections.abc import Callable
from typing import Any, Protocol

import jax
import numpy as np
from jax.experimental import multihost_utils

from autobound.errors import InvalidArgument, InvalidRegion

__all__ = [
    "DROP",
    "LEAF",
    "SPLIT",
    "BranchAndBound",
    "Result",
    "Search",
    "Solution",
    "State",
]

SPLIT, LEAF, DROP = 0, 1, 2


class Result(enum.Enum):
    """Why a run stopped.  The value is the message for the user."""

    successful = "every box was settled"
    finished = "the goal was reached"
    max_boxes_reached = "the box budget ran out"
    time_limit_reached = "the time limit was reached"
    cannot_split = "some boxes are too narrow to split further (one ulp wide)"

    @property
    def done(self) -> bool:
        """True when the search ended because it succeeded, not because a budget ran out."""
        return self in (Result.successful, Result.finished)


class Search(Protocol):
    """What an application supplies to :class:`BranchAndBound` (see the module docstring)."""

    def bound(self, lo: np.ndarray, hi: np.ndarray) -> dict[str, np.ndarray]: ...

    def classify(
        self, lo: np.ndarray, hi: np.ndarray, data: dict[str, np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray]: ...


@dataclasses.dataclass
class State:
    """Open boxes (with their data and priority keys), settled leaves, and counters."""

    lo: np.ndarray
    hi: np.ndarray
    key: np.ndarray
    data: dict[str, np.ndarray]
    leaves: list[tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]]
    stuck: int = 0
    boxes: int = 0
    steps: int = 0
    started: float = dataclasses.field(default_factory=time.perf_counter)

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started

    @property
    def open(self) -> int:
        return len(self.key)

    def leaf_arrays(self) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """All settled leaves as ``(lo, hi, data)`` arrays with one row per leaf."""
        if not self.leaves:
            n = self.lo.shape[1]
            return np.zeros((0, n)), np.zeros((0, n)), {}
        lo = np.concatenate([a for a, _, _ in self.leaves])
        hi = np.concatenate([b for _, b, _ in self.leaves])
        keys = self.leaves[0][2].keys()
        data = {k: np.concatenate([d[k] for _, _, d in self.leaves]) for k in keys}
        return lo, hi, data


@dataclasses.dataclass(frozen=True)
class Solution:
    """The end of a run: why it stopped, the final state, and counts for the user."""

    result: Result
    state: State

    @property
    def boxes(self) -> int:
        return self.state.boxes

    @property
    def seconds(self) -> float:
        return self.state.seconds


def _place(a: np.ndarray, sharding: jax.sharding.Sharding) -> jax.Array:
    """The host array `a` (the same in every process) laid out by `sharding`; over several
    processes each contributes the shards of its own devices."""
    if jax.process_count() == 1:
        return jax.device_put(a, sharding)
    return jax.make_array_from_callback(a.shape, sharding, lambda index: a[index])


def _take(data: dict[str, np.ndarray], index: Any) -> dict[str, np.ndarray]:
    return {k: v[index] for k, v in data.items()}


def _concat(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: np.concatenate([a[k], b[k]]) for k in b} if a else b


def _points(a: np.ndarray, b: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Cut points ``a = p_0 < p_1 < ... < p_k = b`` of k equal parts (rounded), one row per
    pair of ends, and whether they are strictly increasing (not where ``b - a`` is a few
    ulps or overflows)."""
    inner = a[:, None] + (b - a)[:, None] * (np.arange(1, k) / k)[None, :]
    p = np.concatenate([a[:, None], inner, b[:, None]], axis=1)
    return p, np.all(np.diff(p, axis=1) > 0, axis=1)


def _cut(lo: np.ndarray, hi: np.ndarray, axis: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each box ``lo[i], hi[i]`` cut into k equal parts along ``axis[i]``, into halves where
    k parts are not strictly increasing in floating point (the caller checked that the
    midpoint is strictly inside).  Neighbouring parts share their cut point exactly.  The
    parts come part by part (all first parts, then all second parts, ...), the k-part boxes
    before the halved ones."""
    rows = np.arange(len(lo))
    a, b = lo[rows, axis], hi[rows, axis]
    p, ok = _points(a, b, k)
    groups = [(ok, p)] if ok.all() else [(ok, p), (~ok, _points(a, b, 2)[0])]
    out_lo, out_hi = [], []
    for chosen, cuts in groups:
        ax, cuts = axis[chosen], cuts[chosen]
        at = np.arange(len(ax))
        for j in range(cuts.shape[1] - 1):
            part_lo, part_hi = lo[chosen].copy(), hi[chosen].copy()
            part_lo[at, ax] = cuts[:, j]
            part_hi[at, ax] = cuts[:, j + 1]
            out_lo.append(part_lo)
            out_hi.append(part_hi)
    return np.concatenate(out_lo), np.concatenate(out_hi)


def _grid(lo: np.ndarray, hi: np.ndarray, most: int) -> tuple[np.ndarray, np.ndarray]:
    """The box ``[lo, hi]`` as a grid of at most `most` equal boxes: ``floor(most**(1/n))``
    parts per side (one where the parts would not be strictly increasing)."""
    n = len(lo)
    k = max(1, int(math.floor(most ** (1 / n) * (1 + 1e-12))))
    sides = []
    for j in range(n):
        p, ok = _points(lo[j : j + 1], hi[j : j + 1], k)
        sides.append(p[0] if ok[0] else np.array([lo[j], hi[j]]))
    starts = np.stack(np.meshgrid(*[c[:-1] for c in sides], indexing="ij"), -1).reshape(-1, n)
    ends = np.stack(np.meshgrid(*[c[1:] for c in sides], indexing="ij"), -1).reshape(-1, n)
    return starts, ends


class BranchAndBound:
    """The loop: bound the root, then repeatedly bisect the most urgent open boxes.

    **Arguments:**

    - `search`: the application (a :class:`Search`).
    - `batch`: boxes bounded per call (halves of ``batch // 2`` boxes per step); rounded up
      to a multiple of the number of JAX devices.
    - `max_boxes`: budget of boxes bounded (the root included).
    - `time_limit`: budget in seconds of search (checked between steps), counted from the
      bounded root: compiling the batched program on the first call is not part of it.
    - `split_axis`: ``(lo, hi) -> axis`` per box; default: where the search's data carry
      intervals ``g_lo``, ``g_hi`` of the partial derivatives, the side of the largest smear
      ``|g_j| · width_j`` (Kearfott), else the widest side relative to the root box.
    - `fill`: fill every batch.  The root becomes a grid of up to `batch` equal boxes (about
      ``batch**(1/n)`` per side) before the first call, and a step that splits ``m`` boxes
      cuts each into ``k = batch // m`` equal parts (at least 2) along its split axis
      instead of halves.  The batch costs the same whether full or padded, so a search that
      must split anyway (integration: every box is split until it is narrow enough) reaches
      its depth in fewer steps; a search that can settle a large box at once (a minimum over
      a box, where the root may already be a leaf) should keep bisecting.
    - `max_batch`: let the batch grow while the queue is deep: a step bounds ``batch``,
      ``4·batch``, ``16·batch``, ... boxes (at most `max_batch`), the largest of these whose
      half the open boxes fill (``size <= 2·open``), so a grown batch is always full of
      halves.  A call's fixed costs (dispatch, host work, a few ms) are then shared by more
      boxes once a search has thousands open, while a small search keeps the small batch.
      Each size traces and compiles its program once, seconds each: growth pays in a
      process that runs many long searches, not in one short run.  Default: `batch` (no
      growth).
    """

    def __init__(
        self,
        search: Search,
        batch: int = 256,
        max_boxes: int = 100_000,
        time_limit: float = math.inf,
        split_axis: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
        fill: bool = False,
        max_batch: int | None = None,
    ):
        if not (isinstance(batch, int) and batch >= 2):
            raise InvalidArgument(f"batch must be an integer >= 2, got {batch!r}")
        if max_batch is not None and not (isinstance(max_batch, int) and max_batch >= batch):
            raise InvalidArgument(
                f"max_batch must be an integer >= batch ({batch}), got {max_batch!r}"
            )
        if not (isinstance(max_boxes, int) and max_boxes >= 1):
            raise InvalidArgument(f"max_boxes must be a positive integer, got {max_boxes!r}")
        if not time_limit > 0:
            raise InvalidArgument(f"time_limit must be positive, got {time_limit!r}")
        devices = jax.device_count()
        self.batch = -(-batch // (2 * devices)) * 2 * devices
        self.max_batch = max(self.batch, max_batch or 0)
        self.search = search
        self.max_boxes = max_boxes
        self.time_limit = time_limit
        self.split_axis = split_axis
        self.fill = fill
        self.bounded = 0
        self._sharding = None
        if devices > 1:
            mesh = jax.sharding.Mesh(np.array(jax.devices()), ("boxes",))
            self._sharding = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec("boxes"))

    # -- bounding a batch --------------------------------------------------------------------

    def _size(self, open_: int) -> int:
        """The batch of a step with `open_` open boxes (see `max_batch`)."""
        size = self.batch
        while 2 * size <= open_ and 4 * size <= self.max_batch:
            size *= 4
        return size

    def _bound(
        self, lo: np.ndarray, hi: np.ndarray, size: int | None = None
    ) -> dict[str, np.ndarray]:
        """The search's bounds of boxes ``lo, hi``, padded to `size` (default: the batch)."""
        m = len(lo)
        self.bounded += m  # boxes bounded so far, padding not counted
        pad = (size or self.batch) - m
        if pad:
            lo = np.concatenate([lo, np.repeat(lo[-1:], pad, 0)])
            hi = np.concatenate([hi, np.repeat(hi[-1:], pad, 0)])
        if self._sharding is not None:
            lo, hi = _place(lo, self._sharding), _place(hi, self._sharding)
        out = self.search.bound(lo, hi)
        if jax.process_count() > 1:  # every process gets every box's result
            out = multihost_utils.process_allgather(out, tiled=True)
        return {k: np.asarray(v)[:m] for k, v in out.items()}

    def _classify(self, state: State, lo, hi, data) -> tuple[np.ndarray, Any]:
        """The search's verdicts (and keys) for the boxes; the leaves are kept."""
        verdict, key = self.search.classify(lo, hi, data)
        verdict = np.asarray(verdict)
        leaf = verdict == LEAF
        if leaf.any():
            state.leaves.append((lo[leaf], hi[leaf], _take(data, leaf)))
        return verdict, key

    def _settle(self, state: State, lo, hi, data) -> None:
        """Classify boxes: leaves and drops are settled, the rest join the queue."""
        verdict, key = self._classify(state, lo, hi, data)
        keep = verdict == SPLIT
        state.lo = np.concatenate([state.lo, lo[keep]])
        state.hi = np.concatenate([state.hi, hi[keep]])
        state.key = np.concatenate([state.key, np.asarray(key, dtype=float)[keep]])
        state.data = _concat(state.data, _take(data, keep))

    # -- the solver interface ----------------------------------------------------------------

    def init(self, lo: Any, hi: Any) -> State:
        """Bound and classify the root box ``[lo, hi]`` (floats, one entry per variable), or
        several roots (arrays of shape ``(m, n)``: boxes with disjoint interiors)."""
        lo = np.atleast_2d(np.asarray(lo, dtype=float))
        hi = np.atleast_2d(np.asarray(hi, dtype=float))
        if lo.shape != hi.shape or len(lo) > self.batch:
            raise InvalidRegion(f"{len(lo)} root boxes: at most the batch size, {self.batch}")
        if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi)) and np.all(lo < hi)):
            raise InvalidRegion(
                "the box needs finite ends with lo < hi on every side, got "
                f"lo = {lo.tolist()}, hi = {hi.tolist()}"
            )
        self._root_width = np.max(hi, axis=0) - np.min(lo, axis=0)
        if self.fill and len(lo) == 1:
            lo, hi = _grid(lo[0], hi[0], min(self.batch, self.max_boxes))
        empty = np.zeros((0, lo.shape[1]))
        data = self._bound(lo, hi)  # compiles the batched program: before the clock starts
        state = State(empty, empty, np.zeros(0), {}, [])
        state.boxes = len(lo)
        self._settle(state, lo, hi, data)
        return state

    def _axes(self, lo: np.ndarray, hi: np.ndarray, data: dict[str, np.ndarray]) -> np.ndarray:
        if self.split_axis is not None:
            return np.asarray(self.split_axis(lo, hi), dtype=int)
        widest = np.argmax((hi - lo) / self._root_width, axis=1)
        if "g_lo" not in data:
            return widest
        # the largest smear |df/dx_j| * width_j (Kearfott), where the gradient is known
        g = np.maximum(np.abs(data["g_lo"]), np.abs(data["g_hi"]))
        smear = g * (hi - lo)
        ok = np.all(np.isfinite(smear), axis=1) & (np.max(smear, axis=1) > 0)
        return np.where(ok, np.argmax(np.where(np.isfinite(smear), smear, 0), axis=1), widest)

    def step(self, state: State) -> State:
        """Take up to ``batch // 2`` most urgent open boxes, re-classify them, bisect those
        still open (or cut them in more parts: `fill`) and bound all the parts in one call
        (a larger batch while many boxes are open: `max_batch`)."""
        size = self._size(state.open)
        take = min(size // 2, state.open, max(1, (self.max_boxes - state.boxes) // 2))
        if take < state.open:
            chosen = np.argpartition(state.key, take - 1)[:take]
        else:
            chosen = np.arange(state.open)
        rest = np.ones(state.open, dtype=bool)
        rest[chosen] = False
        lo, hi, data = state.lo[chosen], state.hi[chosen], _take(state.data, chosen)
        state.lo, state.hi, state.key = state.lo[rest], state.hi[rest], state.key[rest]
        state.data = _take(state.data, rest)
        state.steps += 1

        verdict, _ = self._classify(state, lo, hi, data)
        open_ = verdict == SPLIT
        lo, hi = lo[open_], hi[open_]
        if not len(lo):
            return state
        axis = self._axes(lo, hi, _take(data, open_))
        rows = np.arange(len(lo))
        a, b = lo[rows, axis], hi[rows, axis]
        mid = a + (b - a) / 2
        splittable = (a < mid) & (mid < b)
        if not splittable.all():  # kept with the leaves (a minimum's bound still counts them)
            stuck = ~splittable
            kept = _take(_take(data, open_), stuck)
            state.leaves.append((lo[stuck], hi[stuck], kept))
            state.stuck += int(np.sum(stuck))
        lo, hi, axis = lo[splittable], hi[splittable], axis[splittable]
        if not len(lo):
            return state
        parts = 2
        if self.fill:
            parts = max(2, min(size, self.max_boxes - state.boxes) // len(lo))
        parts_lo, parts_hi = _cut(lo, hi, axis, parts)
        data = self._bound(parts_lo, parts_hi, size)
        state.boxes += len(parts_lo)
        self._settle(state, parts_lo, parts_hi, data)
        return state

    def terminate(self, state: State) -> tuple[bool, Result]:
        """Whether to stop, and why: in a run over several processes, the first process's
        verdict (the others hold the same boxes, but their clocks differ)."""
        stop, result = self._terminate(state)
        if jax.process_count() > 1:
            order = list(Result)
            verdict = np.array([stop, order.index(result)], dtype=np.int64)
            stop, index = multihost_utils.broadcast_one_to_all(verdict).tolist()
            return bool(stop), order[index]
        return stop, result

    def _terminate(self, state: State) -> tuple[bool, Result]:
        finished = getattr(self.search, "finished", None)
        if finished is not None and finished(state):
            return True, Result.finished
        if not state.open:
            return True, Result.cannot_split if state.stuck else Result.successful
        if state.boxes + 2 > self.max_boxes:
            return True, Result.max_boxes_reached
        if state.seconds >= self.time_limit:
            return True, Result.time_limit_reached
        return False, Result.successful

    def run(
        self, lo: Any, hi: Any, progress: bool = False, describe: Callable[[State], str] = None
    ) -> Solution:
        """Run :meth:`init`, then :meth:`step` until :meth:`terminate` says stop.

        With `progress`, a rich status line on stderr (boxes bounded, open boxes, elapsed
        time and ``describe(state)``, e.g. the current bounds); rich shows no animation when
        stderr is not a terminal.
        """
        state = self.init(lo, hi)
        if not progress:
            while True:
                stop, result = self.terminate(state)
                if stop:
                    return Solution(result, state)
                state = self.step(state)
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
        with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("")
            while True:
                stop, result = self.terminate(state)
                line = f"{state.boxes} boxes, {state.open} open"
                if describe is not None:
                    line += f", {describe(state)}"
                bar.update(task, description=line)
                if stop:
                    return Solution(result, state)
                state = self.step(state)
