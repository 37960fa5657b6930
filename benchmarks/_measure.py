"""Measurement code shared by ``bench_engine.py`` (ours, in its process) and
``_reference_worker.py`` (the reference, in its own venv and JAX): both sides are measured by
the same functions, each under its own JAX.

- :func:`stablehlo_op_counts`: StableHLO ops of ``jax.jit(fn).lower(*args).as_text()``.
- :func:`cpu_per_call`: CPU time (``time.process_time``: user + system, all threads) per call.
- :class:`Timed`: prepares the timed callables of one implementation (first call, op counts,
  coefficients) and times them by name, so that the driver can alternate the two processes.
- :func:`mlp_loss` and :func:`mm_h`: the MM case's loss and ``h(eta) = loss(w + eta v)``.

Imports JAX lazily and neither our package nor the reference.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import numpy as np

# An op assignment: "%3 = stablehlo.add ...", "%0:2 = stablehlo.while ...",
# '%4 = "stablehlo.scatter"(...)', "%cst = stablehlo.constant ...".
_OP = re.compile(r'^\s*%[\w#:, %]*=\s*"?stablehlo\.', re.M)
_FUNC = re.compile(r"^  func\.func (?:public |private )?@([\w.$-]+)", re.M)
_CALL = re.compile(r"\bcall @([\w.$-]+)\(")


def stablehlo_op_counts(text: str) -> dict:
    """``ops``: the lines of a StableHLO module that assign the result of a ``stablehlo.`` op
    (constants included; each private function counted once).  ``ops_inlined``: the same with
    every ``call`` replaced by the callee's count, i.e. the ops one evaluation runs through."""
    starts = [(m.start(), m.group(1)) for m in _FUNC.finditer(text)]
    bodies = {
        name: text[pos : starts[i + 1][0] if i + 1 < len(starts) else len(text)]
        for i, (pos, name) in enumerate(starts)
    }
    own = {name: len(_OP.findall(body)) for name, body in bodies.items()}
    calls = {name: _CALL.findall(body) for name, body in bodies.items()}
    memo: dict[str, int] = {}

    def inlined(name: str) -> int:
        if name not in memo:
            memo[name] = own.get(name, 0) + sum(inlined(c) for c in calls.get(name, ()))
        return memo[name]

    return {"ops": len(_OP.findall(text)), "ops_inlined": inlined("main") if "main" in own else 0}


def op_counts(fn: Callable, *args) -> dict:
    """:func:`stablehlo_op_counts` of ``jax.jit(fn)`` lowered at `args` (a fresh jit)."""
    import jax

    return stablehlo_op_counts(jax.jit(fn).lower(*args).as_text())


def cpu_per_call(call: Callable[[], Any], target_s: float, chunks: int = 5) -> dict:
    """Seconds per call of `call` (already warm): the minimum over `chunks` chunks of the mean
    per call, in CPU time (``cpu``) and wall time (``wall``); the chunks share `target_s`
    seconds of CPU time."""
    start = time.process_time()
    call()
    once = max(time.process_time() - start, 1e-7)
    per_chunk = max(1, int(target_s / chunks / once))
    cpu, wall = [], []
    for _ in range(chunks):
        c0, w0 = time.process_time(), time.perf_counter()
        for _ in range(per_chunk):
            call()
        cpu.append((time.process_time() - c0) / per_chunk)
        wall.append((time.perf_counter() - w0) / per_chunk)
    return {"cpu": min(cpu), "wall": min(wall), "calls": per_chunk * chunks}


class CompileWatch:
    """Counts JAX traces and XLA compiles (and their seconds) inside a ``with`` block, through
    ``jax.monitoring`` events."""

    _active: list = []
    _registered = False

    def __enter__(self):
        import jax.monitoring

        if not CompileWatch._registered:
            jax.monitoring.register_event_duration_secs_listener(CompileWatch._listen)
            CompileWatch._registered = True
        self.traces = self.compiles = 0
        self.compile_s = 0.0
        CompileWatch._active.append(self)
        self.cpu0, self.wall0 = time.process_time(), time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.cpu = time.process_time() - self.cpu0
        self.wall = time.perf_counter() - self.wall0
        CompileWatch._active.remove(self)

    @staticmethod
    def _listen(name: str, secs: float, **_kw) -> None:
        for w in CompileWatch._active:
            if name.endswith("jaxpr_trace_duration"):
                w.traces += 1
            elif name.endswith("backend_compile_duration"):
                w.compiles += 1
                w.compile_s += secs

    def report(self) -> dict:
        return {
            "wall": self.wall,
            "cpu": self.cpu,
            "compile_s": self.compile_s,
            "compiles": self.compiles,
            "traces": self.traces,
        }


def coefficients_to_json(coefficients) -> list:
    """A coefficient tuple (arrays, ``(lo, hi)`` pairs or objects with ``.lo``/``.hi``) as
    JSON: a list of arrays or ``{"lo", "hi"}``."""
    out = []
    for c in coefficients:
        if isinstance(c, tuple) or (hasattr(c, "lo") and hasattr(c, "hi")):
            lo, hi = (c[0], c[1]) if isinstance(c, tuple) else (c.lo, c.hi)
            out.append(
                {
                    "lo": np.asarray(lo, np.float64).tolist(),
                    "hi": np.asarray(hi, np.float64).tolist(),
                }
            )
        else:
            out.append(np.asarray(c, np.float64).tolist())
    return out


class Timed:
    """The timed calls of one implementation, prepared once and then timed by name."""

    def __init__(self):
        self.calls: dict[str, Callable[[], Any]] = {}

    def time(self, name: str, target_s: float) -> dict:
        return cpu_per_call(self.calls[name], target_s)

    def prepare_boxes(
        self,
        label: str,
        fn: Callable,
        coefficients: Callable,
        box: tuple,
        boxes: dict,
        sizes: list[int],
        max_call_s: float,
        skip_call_s: float,
    ) -> dict:
        """``fn(x0, lo, hi)`` on one box (``jax.jit(fn)``) and on the first B of `boxes` for each
        B in `sizes` (``jax.jit(jax.vmap(fn))``).  Names the calls ``label/single`` and
        ``label/B``; returns their first calls, the single program's op counts and its
        coefficients.  A batch call slower than `max_call_s` is timed once here (``once``), one
        estimated above `skip_call_s` from the previous size is skipped."""
        import jax

        out: dict = {"batch": {}}
        single = jax.jit(fn)
        args = tuple(jax.device_put(np.asarray(a, np.float64)) for a in box)
        with CompileWatch() as w:
            result = jax.block_until_ready(single(*args))
        out["first"] = w.report()
        out["coefficients"] = coefficients_to_json(coefficients(result))
        out["ops"] = op_counts(fn, *args)
        self.calls[f"{label}/single"] = lambda: jax.block_until_ready(single(*args))
        out["timed"] = [f"{label}/single"]
        prev = None
        for size in sizes:
            rec: dict = {}
            out["batch"][str(size)] = rec
            if prev is not None and prev[1] * size / prev[0] > skip_call_s:
                rec["skipped"] = prev[1] * size / prev[0]
                continue
            batched = jax.jit(jax.vmap(fn))
            bargs = tuple(
                jax.device_put(np.ascontiguousarray(boxes[n][:size], np.float64))
                for n in ("x0", "lo", "hi")
            )
            with CompileWatch() as w:
                jax.block_until_ready(batched(*bargs))
            rec["first"] = w.report()
            call = lambda batched=batched, bargs=bargs: jax.block_until_ready(batched(*bargs))  # noqa: E731
            c0 = time.process_time()
            call()
            once = time.process_time() - c0
            prev = (size, once)
            if once > max_call_s:
                rec["once"] = once
            else:
                self.calls[f"{label}/{size}"] = call
                out["timed"].append(f"{label}/{size}")
        return out

    def prepare_mm(
        self,
        label: str,
        make: Callable[[Any], tuple[Callable, tuple, Callable]],
        params: Any,
        params2: Any,
        loss: Callable,
        w: Any,
        batch: Any,
    ) -> dict:
        """The MM case.  ``make(params) -> (fn, args, coefficients)``: the bound is
        ``jax.jit(fn)(*args)`` (one jit per distinct `fn`, so that a runtime-parameter API keeps
        its compiled program), its coefficients ``coefficients(result)``.  Times the first call,
        and a second one with new parameter values `params2` (does it trace or compile again?);
        names the calls ``label/bound`` and ``label/vg`` (``jax.jit(jax.value_and_grad(loss))(w,
        batch)``)."""
        import jax

        jits: dict = {}

        def bound_call(p):
            fn, args, coefficients = make(p)
            if fn not in jits:
                jits[fn] = jax.jit(fn)
            g = jits[fn]
            return (lambda: jax.block_until_ready(g(*args))), fn, args, coefficients

        out: dict = {}
        with CompileWatch() as watch:
            call, fn, args, coefficients = bound_call(params)
            result = call()
        out["first"] = watch.report()
        out["coefficients"] = coefficients_to_json(coefficients(result))
        self.calls[f"{label}/bound"] = call
        with CompileWatch() as watch:
            bound_call(params2)[0]()
        out["second"] = watch.report()
        out["ops"] = op_counts(fn, *args)
        vg = jax.jit(jax.value_and_grad(loss))
        w, batch = jax.device_put(w), jax.device_put(batch)
        with CompileWatch() as watch:
            jax.block_until_ready(vg(w, batch))
        out["vg_first"] = watch.report()
        out["vg_ops"] = op_counts(jax.value_and_grad(loss), w, batch)
        self.calls[f"{label}/vg"] = lambda: jax.block_until_ready(vg(w, batch))
        out["timed"] = [f"{label}/bound", f"{label}/vg"]
        return out


# --------------------------------------------------------------------------- the MM case


def mlp_loss(activation: str = "softplus") -> Callable:
    """``loss(w, (X, Y)) = mean((act(X W1 + b1) w2 + b2 - Y)^2)``, one hidden layer."""
    import jax
    import jax.numpy as jnp

    act = {"softplus": jax.nn.softplus, "tanh": jnp.tanh}[activation]

    def loss(w, batch):
        X, Y = batch
        pred = act(X @ w["W1"] + w["b1"]) @ w["w2"] + w["b2"]
        return jnp.mean((pred - Y) ** 2)

    return loss


def mm_h(loss: Callable) -> Callable:
    """``h(eta, p) = loss(p["w"] + eta p["v"], p["batch"])``: the MM step's function of eta."""
    import jax

    def h(eta, p):
        return loss(jax.tree.map(lambda a, d: a + eta * d, p["w"], p["v"]), p["batch"])

    return h


def mm_problem(inputs: int, hidden: int, points: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Data, weights w, direction v and perturbed weights w2 (for the second call), as flat
    numpy arrays named ``X, Y, w.W1, .., v.W1, .., w2.W1, ..``."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(points, inputs))
    teacher = rng.normal(size=inputs) / np.sqrt(inputs)
    Y = np.sin(X @ teacher) + 0.1 * rng.normal(size=points)

    def weights(scale: float) -> dict:
        return {
            "W1": scale * rng.normal(size=(inputs, hidden)) / np.sqrt(inputs),
            "b1": scale * 0.1 * rng.normal(size=hidden),
            "w2": scale * rng.normal(size=hidden) / np.sqrt(hidden),
            "b2": scale * 0.1 * rng.normal(size=()),
        }

    w, v = weights(1.0), weights(0.1)
    noise = weights(1.0)
    w2 = {k: w[k] + 0.01 * noise[k] for k in w}
    flat = {"X": X, "Y": Y}
    for prefix, d in (("w", w), ("v", v), ("w2", w2)):
        flat.update({f"{prefix}.{k}": np.asarray(a, np.float64) for k, a in d.items()})
    return flat


def mm_params(flat: dict) -> tuple[dict, dict]:
    """``(params, params2)`` for ``mm_h`` from :func:`mm_problem`'s arrays (as JAX arrays):
    ``{"w", "v", "batch"}``, and the same with the perturbed weights."""
    import jax.numpy as jnp

    def group(prefix):
        return {
            k.split(".", 1)[1]: jnp.asarray(a)
            for k, a in flat.items()
            if k.startswith(prefix + ".")
        }

    batch = (jnp.asarray(flat["X"]), jnp.asarray(flat["Y"]))
    v = group("v")
    return {"w": group("w"), "v": v, "batch": batch}, {"w": group("w2"), "v": v, "batch": batch}


def mm_parameter_count(inputs: int, hidden: int) -> int:
    return inputs * hidden + 2 * hidden + 1
