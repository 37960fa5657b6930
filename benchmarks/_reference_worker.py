"""Run the reference implementation (google/autobound 0.1.7) for ``bench_engine.py``.

The reference breaks on the JAX version we use, so it lives in its own virtual environment and
runs in this separate process.  ``bench_engine.py`` starts it once
(``/work/refvenv/bin/python benchmarks/_reference_worker.py``) and talks to it in JSON lines:
one request per line on stdin, one answer per line on stdout.  Requests:

- ``{"cmd": "info"}``: Python, JAX and autobound versions.
- ``{"cmd": "bounds", "case": CASE, "degree": k, "tr": bool}``: the coefficients of
  ``taylor_bounds(f, k, propagate_trust_regions=tr)(x0, (lo, hi))``.
- ``{"cmd": "prepare_boxes", "case": CASE, "boxes": NPZ, "sizes": [B, ..], ..}``: degree-2
  bounds of the case as ``jax.jit`` of one box and ``jax.jit(jax.vmap(..))`` over the first B
  boxes of the npz file (:meth:`_measure.Timed.prepare_boxes`): first calls, op counts,
  coefficients.
- ``{"cmd": "prepare_mm", "problem": NPZ, "activation": .., "eta_max": ..}``: the MM case
  (:meth:`_measure.Timed.prepare_mm`): ``jax.jit`` of a function of the parameters that builds
  ``taylor_bounds(h, 2)`` with h closing over them and calls it, as a user of the reference
  would; and ``jax.jit(jax.value_and_grad(loss))``.
- ``{"cmd": "time", "what": NAME, "target_s": t}``: CPU (and wall) seconds per call of a
  prepared callable (:func:`_measure.cpu_per_call`).
- ``{"cmd": "breadth", "items": [ITEM, ...]}``: for each item, the coefficients of the
  reference's degree-2 bound, or the error it raises.

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
import traceback
from types import SimpleNamespace

import numpy as np
from _measure import Timed, coefficients_to_json, mlp_loss, mm_h, mm_params


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


def _short_error(e: BaseException) -> str:
    first = str(e).strip().splitlines()[0] if str(e).strip() else ""
    return f"{type(e).__name__}: {first}"[:160]


class Worker:
    def __init__(self):
        import jax

        jax.config.update("jax_enable_x64", True)
        jax.config.update("jax_enable_compilation_cache", False)  # first calls compile
        import autobound.jax as ref

        self.jax = jax
        self.ref = ref
        self.m = jnp_namespace()
        self.timed = Timed()

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
        return f, *(np.asarray(case[k], np.float64) for k in ("x0", "lo", "hi"))

    def bounds(self, req):
        f, x0, lo, hi = self._case(req["case"])
        try:
            b = self.ref.taylor_bounds(f, req["degree"], propagate_trust_regions=req["tr"])
            coefficients = self.jax.block_until_ready(b(x0, (lo, hi)).coefficients)
        except Exception as e:  # noqa: BLE001 - reported as a table entry
            return {"error": _short_error(e)}
        return {"coefficients": coefficients_to_json(coefficients)}

    def _box_fn(self, f, degree: int):
        """``fn(x0, lo, hi)``: the coefficients of ``taylor_bounds(f, degree)`` on the box."""
        taylor_bounds = self.ref.taylor_bounds

        def fn(a, b, c):
            return taylor_bounds(f, degree)(a, (b, c)).coefficients

        return fn

    def ops(self, req):
        """StableHLO op counts of ``taylor_bounds(f, degree)`` on the case's box."""
        from _measure import op_counts

        f, x0, lo, hi = self._case(req["case"])
        try:
            return op_counts(self._box_fn(f, req["degree"]), x0, lo, hi)
        except Exception as e:  # noqa: BLE001 - reported as a table entry
            return {"error": _short_error(e)}

    def prepare_boxes(self, req):
        f, x0, lo, hi = self._case(req["case"])
        boxes = dict(np.load(req["boxes"]))
        return self.timed.prepare_boxes(
            "ref",
            self._box_fn(f, 2),
            lambda out: out,
            (x0, lo, hi),
            boxes,
            req["sizes"],
            req["max_call_s"],
            req["skip_call_s"],
        )

    def prepare_mm(self, req):
        params, params2 = mm_params(dict(np.load(req["problem"])))
        loss = mlp_loss(req["activation"])
        h, eta_max = mm_h(loss), req["eta_max"]
        taylor_bounds = self.ref.taylor_bounds

        def bound(p):  # h closes over p: the reference traces h anew for each p
            return taylor_bounds(lambda eta: h(eta, p), 2)(0.0, (0.0, eta_max)).coefficients

        return self.timed.prepare_mm(
            "ref",
            lambda p: (bound, (p,), lambda out: out),
            params,
            params2,
            loss,
            params["w"],
            params["batch"],
        )

    def time(self, req):
        return self.timed.time(req["what"], req["target_s"])

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
                results.append({"coefficients": coefficients_to_json(coefficients)})
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
