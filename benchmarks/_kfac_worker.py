"""K-FAC (kfac-jax) on one exported MLP task; runs in K-FAC's own pinned environment.

Reads ``task.npz`` (``X``, ``Y``, ``W0, b0, W1, b1, ...`` of a tanh MLP, ``kind`` "mse" or
"xent") and writes ``out.json`` with the full-batch loss before and after each step and the
median seconds per step.  Untuned: kfac-jax's adaptive learning rate, momentum and damping
(initial damping 1), as its examples run it.  Called by ``benchmarks/kfac.py``.

    python _kfac_worker.py task.npz steps out.json
"""

import json
import sys
import time

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import kfac_jax  # noqa: E402
import numpy as np  # noqa: E402


def main() -> None:
    path, steps, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    data = np.load(path)
    kind = str(data["kind"])
    layers = len([k for k in data.files if k.startswith("W")])
    params = [
        {"W": jnp.asarray(data[f"W{i}"]), "b": jnp.asarray(data[f"b{i}"])} for i in range(layers)
    ]
    X, Y = jnp.asarray(data["X"]), jnp.asarray(data["Y"])

    def forward(p, x):
        for layer in p[:-1]:
            x = jnp.tanh(x @ layer["W"] + layer["b"])
        return x @ p[-1]["W"] + p[-1]["b"]

    def loss(p, batch):
        x, y = batch
        out = forward(p, x)
        if kind == "mse":  # mean((o - y)^2) = mean over the batch of 2 · ½|o - y|^2
            kfac_jax.register_squared_error_loss(out, y, weight=2.0)
            return jnp.mean(jnp.sum((out - y) ** 2, axis=1))
        kfac_jax.register_softmax_cross_entropy_loss(out, y)
        logits = out
        return jnp.mean(jnp.log(jnp.sum(jnp.exp(logits), axis=1)) - jnp.sum(logits * y, axis=1))

    opt = kfac_jax.Optimizer(
        value_and_grad_func=jax.value_and_grad(loss),
        l2_reg=0.0,
        use_adaptive_learning_rate=True,
        use_adaptive_momentum=True,
        use_adaptive_damping=True,
        initial_damping=1.0,
        multi_device=False,
        num_burnin_steps=0,
    )
    batch = (X, Y)
    rng = jax.random.PRNGKey(0)
    state = opt.init(params, rng, batch)
    losses = [float(loss(params, batch))]
    times = []
    for i in range(steps):
        rng, key = jax.random.split(rng)
        t = time.perf_counter()
        params, state, stats = opt.step(params, state, key, batch=batch, global_step_int=i)
        jax.block_until_ready(params)
        times.append(time.perf_counter() - t)
        losses.append(float(loss(params, batch)))
    with open(out, "w") as fh:
        json.dump({"losses": losses, "seconds_per_step": float(np.median(times[1:]))}, fh)


if __name__ == "__main__":
    main()
