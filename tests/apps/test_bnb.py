"""The branch-and-bound core on searches written in plain numpy (no engine): what it settles,
how it splits, when it stops."""

import math
import subprocess
import sys

import numpy as np
import pytest

from autobound.apps.bnb import DROP, LEAF, SPLIT, BranchAndBound, Result
from autobound.errors import InvalidArgument, InvalidRegion


class Cover:
    """Settle boxes narrower than `width`; count what the core asks."""

    def __init__(self, width: float):
        self.width, self.bounded, self.classified = width, 0, 0

    def bound(self, lo, hi):
        self.bounded += 1
        return {"width": np.max(hi - lo, axis=1), "centre": (lo + hi) / 2}

    def classify(self, lo, hi, data):
        self.classified += len(lo)
        done = data["width"] <= self.width
        return np.where(done, LEAF, SPLIT), -data["width"]


def volume(lo, hi):
    return float(np.sum(np.prod(hi - lo, axis=1)))


def test_leaves_partition_the_box_and_every_call_has_one_batch_size():
    search = Cover(0.25)
    sizes = []
    bound = search.bound
    search.bound = lambda lo, hi: (sizes.append(len(lo)), bound(lo, hi))[1]
    solver = BranchAndBound(search, batch=16)
    solution = solver.run([0.0, -1.0], [1.0, 1.0])  # relative sides: halved in turn
    assert solution.result is Result.successful and solution.result.done
    lo, hi, data = solution.state.leaf_arrays()
    assert len(lo) == 8 * 8  # side 2 reaches 0.25 after side 1 has too: 8 x 8 leaves
    assert volume(lo, hi) == pytest.approx(2.0, abs=0)
    assert np.all(np.max(hi - lo, axis=1) <= 0.25)
    assert set(sizes) == {16}  # padded: one compiled program for a jitted search
    assert solution.boxes == 1 + 2 * (8 * 8 - 1)  # a binary tree with 64 leaves


def test_fill_cuts_in_equal_parts_that_partition_the_box_in_fewer_calls():
    plain = BranchAndBound(Cover(1 / 200), batch=16).run([0.0], [1.0])
    search = Cover(1 / 200)
    filled = BranchAndBound(search, batch=16, fill=True).run([0.0], [1.0])
    assert filled.result is Result.successful
    lo, hi, _ = filled.state.leaf_arrays()
    order = np.argsort(lo[:, 0])
    lo, hi = lo[order, 0], hi[order, 0]
    # the parts tile [0, 1]: each starts exactly where the one before ends
    assert lo[0] == 0.0 and hi[-1] == 1.0 and np.array_equal(lo[1:], hi[:-1])
    assert np.all(hi - lo <= 1 / 200)
    # the root is 16 parts; 16 open parts are each cut in 16 // 16 = 1 -> 2; ...
    assert search.bounded < plain.state.steps + 1
    # in two variables the root is a 4 x 4 grid of equal boxes (16 ** (1/2) per side)
    grid = BranchAndBound(Cover(1.0), batch=16, fill=True).run([0.0, 0.0], [2.0, 4.0])
    glo, ghi, _ = grid.state.leaf_arrays()
    assert len(glo) == 16 and grid.boxes == 16
    assert set(ghi[:, 0] - glo[:, 0]) == {0.5} and set(ghi[:, 1] - glo[:, 1]) == {1.0}
    assert volume(glo, ghi) == 8.0


def test_max_batch_grows_the_batch_only_while_halves_fill_it():
    def run(**kwargs):
        search = Cover(1 / 5000)
        sizes = []
        bound = search.bound
        search.bound = lambda lo, hi: (sizes.append(len(lo)), bound(lo, hi))[1]
        solution = BranchAndBound(search, batch=16, fill=True, **kwargs).run([0.0], [1.0])
        return solution, sizes

    fixed, fixed_sizes = run()
    grown, sizes = run(max_batch=256)
    assert set(fixed_sizes) == {16} and set(sizes) == {16, 64, 256}  # 16 * 4**j only
    assert grown.result is Result.successful and len(sizes) < len(fixed_sizes)
    lo, hi, _ = grown.state.leaf_arrays()
    order = np.argsort(lo[:, 0])
    lo, hi = lo[order, 0], hi[order, 0]
    assert lo[0] == 0.0 and hi[-1] == 1.0 and np.array_equal(lo[1:], hi[:-1])
    assert np.all(hi - lo <= 1 / 5000)
    # a grown batch is full of halves: never more pieces than the plain run needs
    # (8192 leaves of 1/8192 either way: the parts are cut in halves, not in more parts)
    assert len(lo) == len(fixed.state.leaf_arrays()[0]) == 8192


def test_fill_halves_a_box_too_narrow_for_its_parts():
    a = 1.0
    b = a + 4 * math.ulp(a)  # four ulps: 16 equal parts would repeat points; halves do not
    solution = BranchAndBound(Cover(0.0), batch=16, fill=True).run([a], [b])
    assert solution.result is Result.cannot_split  # down to one-ulp parts, none lost
    lo, hi, _ = solution.state.leaf_arrays()
    assert sorted(lo[:, 0].tolist()) == [a + j * math.ulp(a) for j in range(4)]
    assert np.all(hi[:, 0] - lo[:, 0] == math.ulp(a))


def test_drops_are_not_kept_and_splits_follow_the_widest_relative_side():
    class Once(Cover):
        def classify(self, lo, hi, data):
            self.classified += 1
            verdict = SPLIT if self.classified <= 2 else LEAF  # the root, and its pop
            keep = np.where(data["centre"][:, 0] > 0.5, DROP, verdict)
            return keep, -data["width"]

    solution = BranchAndBound(Once(0.0), batch=4).run([0.0, 0.0], [1.0, 100.0])
    lo, hi, _ = solution.state.leaf_arrays()
    # relative to the root both sides are 1: the first (not the absolutely wider) is halved,
    # and the half with its centre beyond 0.5 is dropped, not kept
    assert lo.tolist() == [[0.0, 0.0]] and hi.tolist() == [[0.5, 100.0]]


def test_budgets_end_the_run_with_the_right_result():
    search = Cover(1e-9)
    solution = BranchAndBound(search, batch=8, max_boxes=40).run([0.0], [1.0])
    assert solution.result is Result.max_boxes_reached and not solution.result.done
    assert solution.boxes <= 40
    solution = BranchAndBound(Cover(1e-9), batch=8, time_limit=1e-9).run([0.0], [1.0])
    assert solution.result is Result.time_limit_reached


def test_a_box_one_ulp_wide_is_stuck_not_split_forever():
    a = 1.0
    b = math.nextafter(a, 2.0)
    solution = BranchAndBound(Cover(0.0), batch=4).run([a], [b])
    assert solution.result is Result.cannot_split
    assert solution.state.stuck == 1 and solution.boxes == 1
    assert len(solution.state.leaf_arrays()[0]) == 1  # kept, not lost


def test_a_queued_box_is_classified_again_when_taken():
    # the classifier settles everything once it has seen 3 batches: queued boxes must not be
    # split after that
    class Late(Cover):
        calls = 0

        def classify(self, lo, hi, data):
            self.calls += 1
            verdict, key = super().classify(lo, hi, data)
            return (np.full(len(lo), LEAF) if self.calls > 3 else verdict), key

    search = Late(1e-9)
    solution = BranchAndBound(search, batch=4).run([0.0], [1.0])
    assert solution.result is Result.successful
    # classify calls: the root, its pop, the halves; the halves settle when popped
    assert search.bounded == 2 and len(solution.state.leaf_arrays()[0]) == 2


def test_finished_stops_early():
    class Enough(Cover):
        def finished(self, state):
            return state.boxes >= 7

    solution = BranchAndBound(Enough(1e-9), batch=2).run([0.0], [1.0])
    assert solution.result is Result.finished and solution.boxes == 7


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [({"batch": 1}, InvalidArgument), ({"max_boxes": 0}, InvalidArgument),
     ({"time_limit": 0}, InvalidArgument), ({"batch": 16, "max_batch": 8}, InvalidArgument),
     ({"max_batch": 2.5}, InvalidArgument)],
)  # fmt: skip
def test_bad_settings_are_named(kwargs, error):
    with pytest.raises(error):
        BranchAndBound(Cover(0.1), **kwargs)


@pytest.mark.parametrize(
    ("lo", "hi"), [([1.0], [0.0]), ([0.0], [math.inf]), ([math.nan], [1.0]), ([0.0], [0.0])]
)
def test_bad_boxes_are_named(lo, hi):
    with pytest.raises(InvalidRegion, match="lo < hi"):
        BranchAndBound(Cover(0.1)).init(lo, hi)


def test_batches_are_sharded_over_all_devices(child_env):
    # 8 host devices: the batch is laid out along the box axis over all of them, and the
    # result is the same as on one device
    code = r"""
import numpy as np, jax, jax.numpy as jnp
from autobound.apps.bnb import BranchAndBound, LEAF, SPLIT
seen = []
class S:
    def bound(self, lo, hi):
        seen.append(len(lo.sharding.device_set))
        w = jax.jit(lambda l, h: jnp.max(h - l, axis=1))(lo, hi)
        return {"width": w}
    def classify(self, lo, hi, d):
        return np.where(d["width"] <= 0.125, LEAF, SPLIT), -d["width"]
sol = BranchAndBound(S(), batch=4).run([0.0, 0.0], [1.0, 1.0])
lo, hi, _ = sol.state.leaf_arrays()
print(jax.device_count(), set(seen), len(lo), float(np.sum(np.prod(hi - lo, axis=1))))
"""
    env = child_env(XLA_FLAGS="--xla_force_host_platform_device_count=8", JAX_PLATFORMS="cpu")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["8", "{8}", "64", "1.0"]


_TWO_PROCESSES = r"""
import sys, jax
jax.config.update("jax_enable_x64", True)
jax.distributed.initialize(sys.argv[1], num_processes=2, process_id=int(sys.argv[2]))
from autobound.apps.optimize import minimize
r = minimize(sys.argv[3], box=[(-2, 2), (-1, 1)], tol=1e-6, monotone_after=0)
print(jax.process_count(), jax.device_count(), r.status, r.boxes, r.lower.hex(), r.upper.hex())
"""


def test_a_run_over_two_processes_is_the_run_on_one(child_env):
    """jax.distributed over two processes with two devices each: every batch is laid out over
    the four devices, each process reads back all results, the first process's clock decides
    when to stop; the search is the one a single process makes."""
    import socket

    from autobound.apps.optimize import minimize

    f = "4*x**2 - 2.1*x**4 + x**6/3 + x*y - 4*y**2 + 4*y**4"
    with socket.socket() as s:
        s.bind(("localhost", 0))
        address = f"localhost:{s.getsockname()[1]}"
    env = child_env(XLA_FLAGS="--xla_force_host_platform_device_count=2", JAX_PLATFORMS="cpu")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _TWO_PROCESSES, address, str(i), f],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for i in range(2)
    ]
    outs = [p.communicate(timeout=600) for p in procs]
    for p, (_, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err[-2000:]
    one = minimize(f, box=[(-2, 2), (-1, 1)], tol=1e-6, monotone_after=0)  # with partials
    expected = f"2 4 certified {one.boxes} {one.lower.hex()} {one.upper.hex()}"
    assert [out.strip().splitlines()[-1] for out, _ in outs] == [expected, expected]
