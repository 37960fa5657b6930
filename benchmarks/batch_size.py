"""How SafeRate's step size varies with the batch size, next to the linear and square-root rules.

SafeRate (gradient direction, outward rounding, no tuning) trains on mini-batches drawn
without replacement from the 1,797 8×8 digits (scikit-learn's copy): ``value_fn`` is the
batch's own loss, so each step provably does not raise *that batch's* loss.  For each batch
size B (1, 8, 64, 512 and the full set) the same initial weights and `--steps` steps; the
table reports the median step size η* (the minimizer of the batch loss's upper polynomial
along ``v = −g_B``, i.e. SGD's learning rate for that step) over the second half of the run,
the share of steps refused (no certified decrease), and the full-batch loss at the end.

The scaling rules from the literature: for SGD the best learning rate grows about linearly
with B while B is below the gradient-noise scale (Goyal et al. 2017; McCandlish et al. 2018),
for Adam about as sqrt(B) (Malladi et al. 2022).  The fitted exponent is the least-squares
slope of log η* against log B over the mini-batch sizes (1 to 512).

    .venv/bin/python benchmarks/batch_size.py            # 200 steps; writes results/batch_size.txt
    .venv/bin/python benchmarks/batch_size.py --steps 50 # a quick look (prints only)
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

from autobound.apps import mm  # noqa: E402
from autobound.apps.mm.tasks import _cross_entropy, _dense_init, _digits, _mlp  # noqa: E402

SIZES = (1, 8, 64, 512, None)  # None: the full set


def _models(dt: str) -> dict[str, tuple]:
    """name -> (loss(params, x, y), initial params)."""
    logistic = {"W": jnp.zeros((64, 10), dt), "b": jnp.zeros(10, dt)}
    mlp = jax.tree.map(
        lambda a: jnp.asarray(a, dt), _dense_init(np.random.RandomState(0), [64, 16, 10], 1.0)
    )
    return {
        "logistic digits": (lambda p, x, y: _cross_entropy(x @ p["W"] + p["b"], y), logistic),
        "mlp digits": (lambda p, x, y: _cross_entropy(_mlp(p, x), y), mlp),
    }


def run(loss, params, X, Y, batch, steps, seed=0) -> dict:
    """SafeRate on mini-batches of `batch` (None: full batch) for `steps` steps."""
    opt = mm.safe_rate()

    @jax.jit
    def step(p, s, xb, yb):
        f = lambda q: loss(q, xb, yb)  # noqa: E731 - the batch's own loss
        value, grad = jax.value_and_grad(f)(p)
        updates, s = opt.update(grad, s, p, value=value, grad=grad, value_fn=f)
        return optax.apply_updates(p, updates), s

    rng = np.random.default_rng(seed)
    state = opt.init(params)
    sizes, certified = [], []
    n = len(X)
    for _ in range(steps):
        if batch is None:
            xb, yb = X, Y
        else:
            idx = rng.choice(n, batch, replace=False)
            xb, yb = X[idx], Y[idx]
        params, state = step(params, state, xb, yb)
        sizes.append(float(state.info.step_size))
        certified.append(bool(state.info.certified))
    half = np.asarray(sizes[steps // 2 :])
    ok = np.asarray(certified[steps // 2 :])
    return {
        "eta": float(np.median(half[ok])) if ok.any() else float("nan"),
        "refused": 1 - float(np.mean(certified)),
        "loss": float(loss(params, X, Y)),
    }


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=200)
    args = ap.parse_args(argv)
    X, Y = _digits(1797, np.dtype("float64"))
    lines = [
        "| model | B | median η* (2nd half) | η*(B) / η*(1) | linear rule B | sqrt rule √B "
        "| refused steps | full-batch loss after |",
        "|---|---|---|---|---|---|---|---|",
    ]
    fits = []
    for name, (loss, params) in _models("float64").items():
        rows = [(b, run(loss, params, X, Y, b, args.steps)) for b in SIZES]
        base = rows[0][1]["eta"]
        for b, r in rows:
            size = len(X) if b is None else b
            label = f"{size} (full)" if b is None else str(size)
            lines.append(
                f"| {name} | {label} | {r['eta']:.3g} | {r['eta'] / base:.3g} | {size} | "
                f"{np.sqrt(size):.3g} | {r['refused']:.0%} | {r['loss']:.3g} |"
            )
            print(lines[-1], file=sys.stderr, flush=True)
        mini = [(b, r["eta"]) for b, r in rows if b is not None and np.isfinite(r["eta"])]
        slope = np.polyfit(np.log([b for b, _ in mini]), np.log([e for _, e in mini]), 1)[0]
        fits.append(f"{name}: η* ∝ B^{slope:.2f} over B = 1..512 (linear rule: 1, sqrt rule: 0.5)")
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    cmd = "python benchmarks/batch_size.py " + " ".join(argv if argv is not None else sys.argv[1:])
    out = "\n".join(
        [
            f"command: {cmd.strip()}",
            f"commit: {commit}; jax {jax.__version__}, optax {optax.__version__}; "
            f"{platform.machine()}, float64, {args.steps} steps per run, seed 0",
            *lines,
            "",
            *fits,
        ]
    )
    print(out)
    if args.steps == 200:
        (Path(__file__).parent / "results" / "batch_size.txt").write_text(out + "\n")


if __name__ == "__main__":
    main()
