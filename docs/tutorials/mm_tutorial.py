"""Tutorial: train a small network with a step size that comes with a proof.

Run it with ``python docs/tutorials/mm_tutorial.py`` (about a minute on a laptop CPU, most of
it compiling the engine's bound of the loss).  It trains a one-hidden-layer tanh network on a
regression problem with ``mm.safe_rate()``, with no learning rate, and shows what the state
records at every step.
"""

# %% Setup: float64 JAX, a loss written in plain jax.numpy.
import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

from autobound.apps import mm  # noqa: E402

rng = np.random.RandomState(0)
X = jnp.asarray(rng.standard_normal((64, 2)))
Y = jnp.sin(2 * X[:, 0]) * jnp.cos(X[:, 1])
params = {
    "W": jnp.asarray(rng.standard_normal((2, 8)) / 2),
    "b": jnp.zeros(8),
    "a": jnp.asarray(rng.standard_normal(8) / 3),
}


def loss_fn(p):
    return jnp.mean((jnp.tanh(X @ p["W"] + p["b"]) @ p["a"] - Y) ** 2)


# %% The optimizer: an optax transformation that needs the loss itself (value_fn).
opt = mm.safe_rate()
state = opt.init(params)


@jax.jit
def step(params, state):
    loss, grads = jax.value_and_grad(loss_fn)(params)
    updates, state = opt.update(grads, state, params, value=loss, grad=grads, value_fn=loss_fn)
    return optax.apply_updates(params, updates), state, loss


# %% Train: each step's certified decrease is a proven lower bound on how much the exact loss
# fell; the computed loss never goes up.
previous = None
for t in range(40):
    params, state, loss = step(params, state)
    info = state.info
    if t % 8 == 0:
        print(
            f"step {t:2d}  loss {float(loss):.6f}  eta {float(info.step_size):.3f}  "
            f"eta_max {float(info.eta_max):.3f}  "
            f"certified decrease {float(info.certified_decrease):.2e}"
        )
    assert previous is None or float(loss) <= previous
    previous = float(loss)
print("final loss", float(loss_fn(params)))

# %% The same with a training loop and a progress bar, against Adam at one learning rate.
history = mm.fit(loss_fn, params, steps=40)
adam = mm.fit(loss_fn, params, steps=40, optimizer=optax.adam(1e-2))
print("safe_rate, 40 more steps:", history.losses[-1], " adam(1e-2):", adam.losses[-1])
