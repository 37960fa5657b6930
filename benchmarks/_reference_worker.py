"""Run the reference implementation (google/autobound 0.1.7) for ``bench_engine.py``.

The reference breaks on the JAX version we use, so it lives in its own virtual environment and
runs in this separate process.  ``bench_engine.py`` starts it once
(``/work/refvenv/bin/python benchmarks/_reference_worker.py``) and talks to it in JSON lines:
one request per line on stdin, one answer per line on stdout.  Requests:

- ``{"cmd": "info"}``: Python, JAX and autobound versions.
- ``{"cmd": "bounds", "case": CASE, "degree": k, "tr": bool}``: the coefficients of
  ``taylor_bounds(f, k, propagate_trust_regions=tr)(x0, (lo, hi))`` and the time of that first
  (eager) call.
- ``{"cmd": "prepare", "case": CASE, "degree": k, "boxes": NPZ, "sizes": [B, ...]}``: build the
  timed callables (eager call, ``jax.jit`` of one call, ``jax.jit(jax.vmap(...))`` over the first
  B boxes of the npz file), run each once and report the first-call (compile) times, or why
  jitting failed.
- ``{"cmd": "time", "what": NAME, "target_s": t}``: seconds per call of a prepared callable,
  averaged over as many calls as fit in ``t`` seconds.
- ``{"cmd": "breadth", "items": [ITEM, ...]}``: for each item, whether the reference bounds it
  (finite coefficients that contain f at sampled points), or the error it raises.

A CASE is ``{"src": EXPR, "params": {name: list}, "x0": .., "lo": .., "hi": ..}``; EXPR is a
Python expression in ``x``, the parameters and ``m``, a namespace of elementwise functions
(``m.exp``, ``m.softplus``, ``m.dot``, ...).  :func:`make_function` builds f from it with
``jax.numpy`` (here and in ``bench_engine.py``, which imports this module without running it);
``bench_engine.py`` also builds it with mpmath for exact values.

This file imports neither our package nor the reference at module level.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from types import SimpleNamespace

import numpy as np


def jnp_namespace() -> SimpleNamespace:
    """The ``m`` namespace of case expressions, in ``jax.numpy``."""
    import jax
    import jax.numpy as jnp

    return SimpleNamespace(
        exp=jnp.exp,
        log=jnp.log,
        sqrt=jnp.sqrt,
        sigmoid=jax.nn.sigmoid,
        softplus=jax.nn.softplus,
        swish=jax.nn.swish,
        dot=jnp.dot,
        matmul=jnp.matmul,
        sum=jnp.sum,
    )


def make_function(src: str, params: dict, m: SimpleNamespace, array=None):
    """``lambda x: <src>`` with the parameters (as arrays made by `array`) and `m` in scope."""
    if array is None:
        import jax.numpy as jnp

        def array(v):
            return jnp.asarray(np.asarray(v, np.float64))

    scope = {"m": m, **{k: array(v) for k, v in params.items()}}
    return eval("lambda x: " + src, scope)  # noqa: S307 - expressions written in bench_engine


def time_per_call(fn, target_s: float) -> float:
    """Seconds per call of `fn` (already warm), averaged over the calls that fit in target_s."""
    calls = 0
    start = time.perf_counter()
    while True:
        fn()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= target_s:
            return elapsed / calls


def _short_error(e: BaseException) -> str:
    first = str(e).strip().splitlines()[0] if str(e).strip() else ""
    return f"{type(e).__name__}: {first}"[:160]


def _coefficients_to_json(coefficients) -> list:
    out = []
    for c in coefficients:
        if isinstance(c, tuple):
            out.append(
                {
                    "lo": np.asarray(c[0], np.float64).tolist(),
                    "hi": np.asarray(c[1], np.float64).tolist(),
                }
            )
        else:
            out.append(np.asarray(c, np.float64).tolist())
    return out


class Worker:
    def __init__(self):
        import jax

        jax.config.update("jax_enable_x64", True)
        import autobound.jax as ref

        self.jax = jax
        self.ref = ref
        self.m = jnp_namespace()
        self.timed: dict = {}

    def info(self, _req):
        import importlib.metadata

        return {
            "python": sys.version.split()[0],
            "jax": self.jax.__version__,
            "jaxlib": importlib.metadata.version("jaxlib"),
            "autobound": importlib.metadata.version("autobound"),
        }

    def _case(self, case):
        f = make_function(case["src"], case["params"], self.m)
        x0 = np.asarray(case["x0"], np.float64)
        lo = np.asarray(case["lo"], np.float64)
        hi = np.asarray(case["hi"], np.float64)
        return f, x0, lo, hi

    def bounds(self, req):
        f, x0, lo, hi = self._case(req["case"])
        jax = self.jax
        try:
            start = time.perf_counter()
            b = self.ref.taylor_bounds(f, req["degree"], propagate_trust_regions=req["tr"])
            coefficients = jax.block_until_ready(b(x0, (lo, hi)).coefficients)
            first_s = time.perf_counter() - start
        except Exception as e:  # noqa: BLE001 - reported as a table entry
            return {"error": _short_error(e)}
        return {"coefficients": _coefficients_to_json(coefficients), "first_s": first_s}

    def prepare(self, req):
        jax = self.jax
        f, x0, lo, hi = self._case(req["case"])
        k = req["degree"]
        bound = self.ref.taylor_bounds(f, k)
        self.timed = {}
        out: dict = {}

        def eager():
            return jax.block_until_ready(bound(x0, (lo, hi)).coefficients)

        start = time.perf_counter()
        eager()
        out["eager_first_s"] = time.perf_counter() - start
        self.timed["eager"] = eager

        one = jax.jit(lambda a, b, c: self.ref.taylor_bounds(f, k)(a, (b, c)).coefficients)
        try:
            start = time.perf_counter()
            jax.block_until_ready(one(x0, lo, hi))
            out["jit_first_s"] = time.perf_counter() - start
            self.timed["jit"] = lambda: jax.block_until_ready(one(x0, lo, hi))
        except Exception as e:  # noqa: BLE001 - the reference cannot always be jitted
            out["jit_error"] = _short_error(e)

        boxes = np.load(req["boxes"])
        many = jax.jit(
            jax.vmap(lambda a, b, c: self.ref.taylor_bounds(f, k)(a, (b, c)).coefficients)
        )
        for size in req["sizes"]:
            args = tuple(np.ascontiguousarray(boxes[n][:size]) for n in ("x0", "lo", "hi"))
            try:
                start = time.perf_counter()
                jax.block_until_ready(many(*args))
                out[f"batch{size}_first_s"] = time.perf_counter() - start
                self.timed[f"batch{size}"] = lambda args=args: jax.block_until_ready(many(*args))
            except Exception as e:  # noqa: BLE001 - reported; bench_engine falls back to a loop
                out["batch_error"] = _short_error(e)
                break
        return out

    def time(self, req):
        return {"s": time_per_call(self.timed[req["what"]], req["target_s"])}

    def breadth(self, req):
        jax = self.jax
        import jax.numpy as jnp
        import jax.scipy.special as jss

        scope = {"jnp": jnp, "jax": jax, "lax": jax.lax, "jss": jss, "np": np}
        results = []
        for item in req["items"]:
            try:
                f = eval("lambda x: " + item["src"], scope)  # noqa: S307
                x0 = np.asarray(item["x0"], np.float64)
                lo = np.asarray(item["lo"], np.float64)
                hi = np.asarray(item["hi"], np.float64)
                tb = self.ref.taylor_bounds(f, item["degree"])(x0, (lo, hi))
                coefficients = jax.block_until_ready(tb.coefficients)
                results.append({"coefficients": _coefficients_to_json(coefficients)})
            except Exception as e:  # noqa: BLE001 - a failure is a table entry
                results.append({"error": _short_error(e)})
        return {"results": results}


def main() -> None:
    worker = Worker()
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        try:
            answer = getattr(worker, req["cmd"])(req)
        except Exception as e:  # noqa: BLE001 - the parent prints it
            answer = {"error": _short_error(e), "traceback": traceback.format_exc()}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
