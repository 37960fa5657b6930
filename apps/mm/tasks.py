"""Small training problems generated locally (no downloads) for the MM optimizers and baselines.

Each task is a function returning a :class:`Task` ``(loss_fn, params)``: `loss_fn(params)` is a
scalar full-batch loss written in plain ``jax.numpy`` (it closes over its data, which become
exact constants of the engine's program), `params` the initial weights, in the dtype asked for.
The sizes are chosen so that the engine bounds a line through the loss in milliseconds
(measured in ``benchmarks/optimizers.py``); :data:`TASKS` maps the names used by the
benchmark and the command line to the functions.

- :func:`teacher_mlp`: MSE regression onto a random teacher network of the student's own
  architecture (tanh, `depth` hidden layers; depth 0 is linear least squares), so the minimum
  is exactly 0; ``gain`` sets how nonlinear the teacher is (1: moderate, 3: saturating).
- :func:`logistic_digits`, :func:`mlp_digits`: softmax cross-entropy on scikit-learn's 8×8
  digits (bundled with scikit-learn), linear and one tanh hidden layer.
- :func:`cnn_digits`: a small LeNet-style convolutional network (3×3 convolutions, tanh, 2×2
  average pooling, a dense layer to the 10 classes) with the same cross-entropy on the digits.
- :func:`oscillator`: a neural trial solution of the damped oscillator
  $u'' + 2\\zeta\\omega u' + \\omega^2 u = 0$, $u(0) = 1$, $u'(0) = 0$ (a physics-informed
  residual loss).

The softmax cross-entropy is written as $\\log \\sum_j e^{z_j} - z_y$ without the usual
max-shift: the shift (``jax.nn.logsumexp``) is a non-smooth max whose enclosure is wide where
logits tie (all of them, at zero weights), which stalls a bound-driven step; the logits of these
tasks stay far from overflow.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

import autobound as ab
from autobound.errors import InvalidArgument

__all__ = [
    "TASKS",
    "Task",
    "cnn_digits",
    "logistic_digits",
    "make_task",
    "mlp_digits",
    "oscillator",
]


class Task(NamedTuple):
    """A full-batch training problem: ``loss_fn(params) -> scalar`` and the initial params."""

    loss_fn: Callable[[Any], jax.Array]
    params: Any


def _check_dtype(dtype: Any) -> np.dtype:
    """`dtype` (a name, numpy or JAX dtype or scalar type) as float32 or float64."""
    return np.dtype(ab.check_dtype(dtype))


def _dense_init(rng: np.random.RandomState, sizes: list[int], gain: float) -> list[dict]:
    return [
        {
            "W": gain * rng.standard_normal((a, b)) / np.sqrt(a),
            "b": 0.1 * gain * rng.standard_normal(b),
        }
        for a, b in zip(sizes[:-1], sizes[1:], strict=True)
    ]


def _mlp(layers: list[dict], x: jax.Array) -> jax.Array:
    for layer in layers[:-1]:
        x = jnp.tanh(x @ layer["W"] + layer["b"])
    return x @ layers[-1]["W"] + layers[-1]["b"]


def _as(dt: np.dtype, tree: Any) -> Any:
    return jax.tree.map(lambda a: jnp.asarray(a, dt), tree)


def teacher_mlp(
    depth: int = 1,
    *,
    width: int = 8,
    inputs: int = 4,
    samples: int = 64,
    gain: float = 1.0,
    dtype: str = "float64",
    seed: int = 0,
) -> Task:
    """MSE of a student tanh MLP against a random teacher of the same shape (minimum 0).

    $L(w) = \\frac1n \\sum_i (s_w(x_i) - t(x_i))^2$ with $x_i \\sim N(0, I)$, teacher weights
    $\\sim$ `gain` $\\cdot N(0, 1/\\text{fan-in})$, student weights from another seed with gain 1.
    """
    dt = _check_dtype(dtype)
    if not isinstance(depth, int) or depth < 0:
        raise InvalidArgument(f"depth must be an integer >= 0, got {depth!r}")
    rng = np.random.RandomState(seed)
    sizes = [inputs] + [width] * depth + [1]
    x = rng.standard_normal((samples, inputs))
    teacher = _dense_init(rng, sizes, gain)
    y = np.asarray(_mlp(_as(np.dtype("float64"), teacher), jnp.asarray(x)))[:, 0]
    student = _dense_init(np.random.RandomState(seed + 1), sizes, 1.0)
    X, Y = jnp.asarray(x, dt), jnp.asarray(y, dt)

    def loss_fn(params: list[dict]) -> jax.Array:
        return jnp.mean((_mlp(params, X)[:, 0] - Y) ** 2)

    return Task(loss_fn, _as(dt, student))


def _digits(samples: int, dt: np.dtype) -> tuple[jax.Array, jax.Array]:
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x, y = x[:samples] / 16.0, y[:samples]
    return jnp.asarray(x, dt), jnp.asarray(np.eye(10)[y], dt)


def _cross_entropy(logits: jax.Array, onehot: jax.Array) -> jax.Array:
    return jnp.mean(jnp.log(jnp.sum(jnp.exp(logits), axis=1)) - jnp.sum(logits * onehot, axis=1))


def logistic_digits(*, samples: int = 256, dtype: str = "float64", seed: int = 0) -> Task:
    """Multinomial logistic regression on the first `samples` 8×8 digits (pixels / 16)."""
    dt = _check_dtype(dtype)
    X, Y = _digits(samples, dt)
    del seed  # convex: the start is zero weights

    def loss_fn(params: dict) -> jax.Array:
        return _cross_entropy(X @ params["W"] + params["b"], Y)

    return Task(loss_fn, _as(dt, {"W": np.zeros((64, 10)), "b": np.zeros(10)}))


def mlp_digits(
    *, hidden: int = 16, samples: int = 256, dtype: str = "float64", seed: int = 0
) -> Task:
    """A one-hidden-layer tanh MLP (64-`hidden`-10) with softmax cross-entropy on the digits."""
    dt = _check_dtype(dtype)
    X, Y = _digits(samples, dt)
    params = _dense_init(np.random.RandomState(seed), [64, hidden, 10], 1.0)

    def loss_fn(params: list[dict]) -> jax.Array:
        return _cross_entropy(_mlp(params, X), Y)

    return Task(loss_fn, _as(dt, params))


def _conv_init(rng: np.random.RandomState, shape: tuple[int, ...]) -> dict:
    """A 3×3 (HWIO) convolution kernel with fan-in scaling and a zero bias."""
    fan_in = shape[0] * shape[1] * shape[2]
    return {"W": rng.standard_normal(shape) / np.sqrt(fan_in), "b": np.zeros(shape[-1])}


def _conv_tanh_pool(layer: dict, x: jax.Array) -> jax.Array:
    """``tanh(conv3x3(x) + b)`` with 'SAME' padding (NHWC), then 2×2 average pooling.

    Both operands in their common dtype, as ``@`` promotes (a line search may try float64
    weights on float32 data: optax's zoom does with ``jax_enable_x64``)."""
    dt = jnp.result_type(x, layer["W"])
    z = jax.lax.conv_general_dilated(
        x.astype(dt),
        layer["W"].astype(dt),
        (1, 1),
        "SAME",
        dimension_numbers=("NHWC", "HWIO", "NHWC"),
    )
    a = jnp.tanh(z + layer["b"])
    n, h, w, c = a.shape
    return a.reshape(n, h // 2, 2, w // 2, 2, c).mean(axis=(2, 4))


def cnn_digits(
    *,
    channels: tuple[int, int] = (4, 8),
    samples: int = 256,
    dtype: str = "float64",
    seed: int = 0,
) -> Task:
    """A LeNet-style CNN with softmax cross-entropy on the first `samples` 8×8 digits.

    Two blocks of a 3×3 convolution ('SAME' padding, `channels` output channels), tanh and
    2×2 average pooling (8×8 -> 4×4 -> 2×2), then a dense layer from the flattened
    2·2·`channels[1]` features to the 10 classes: 666 parameters with the default channels.
    """
    dt = _check_dtype(dtype)
    X, Y = _digits(samples, dt)
    images = X.reshape(-1, 8, 8, 1)
    c1, c2 = channels
    rng = np.random.RandomState(seed)
    params = {
        "conv1": _conv_init(rng, (3, 3, 1, c1)),
        "conv2": _conv_init(rng, (3, 3, c1, c2)),
        "dense": _dense_init(rng, [4 * c2, 10], 1.0)[0],
    }

    def loss_fn(p: dict) -> jax.Array:
        h = _conv_tanh_pool(p["conv2"], _conv_tanh_pool(p["conv1"], images))
        logits = h.reshape(h.shape[0], -1) @ p["dense"]["W"] + p["dense"]["b"]
        return _cross_entropy(logits, Y)

    return Task(loss_fn, _as(dt, params))


def oscillator(
    *,
    hidden: int = 8,
    points: int = 32,
    omega: float = 3.0,
    zeta: float = 0.1,
    horizon: float = 2.0,
    dtype: str = "float64",
    seed: int = 0,
) -> Task:
    """Residual loss of the trial solution $u(t) = 1 + t^2 N(t)$ of a damped oscillator.

    $N(t) = \\sum_j a_j \\tanh(w_j t + b_j)$; $u$ meets $u(0) = 1$, $u'(0) = 0$ by construction
    and the loss is the mean squared residual $u'' + 2\\zeta\\omega u' + \\omega^2 u$ at
    `points` collocation points on $[0, T]$.  With $s = \\tanh(w t + b)$:
    $N' = \\sum a w (1 - s^2)$, $N'' = \\sum a w^2 (-2 s (1 - s^2))$,
    $u' = 2tN + t^2 N'$, $u'' = 2N + 4tN' + t^2 N''$ (written out, so the loss is plain
    jax.numpy).
    """
    dt = _check_dtype(dtype)
    rng = np.random.RandomState(seed)
    t = jnp.asarray(np.linspace(0.0, horizon, points), dt)[:, None]
    params = {
        "a": 0.5 * rng.standard_normal(hidden),
        "w": rng.standard_normal(hidden),
        "b": rng.standard_normal(hidden),
    }
    c1, c0 = 2 * zeta * omega, omega**2

    def loss_fn(p: dict) -> jax.Array:
        s = jnp.tanh(t * p["w"] + p["b"])
        ds = 1 - s * s
        n0 = s @ p["a"]
        n1 = ds @ (p["a"] * p["w"])
        n2 = (-2 * s * ds) @ (p["a"] * p["w"] * p["w"])
        tt = t[:, 0]
        u = 1 + tt * tt * n0
        du = 2 * tt * n0 + tt * tt * n1
        ddu = 2 * n0 + 4 * tt * n1 + tt * tt * n2
        return jnp.mean((ddu + c1 * du + c0 * u) ** 2)

    return Task(loss_fn, _as(dt, params))


#: Task names (as the benchmark and the command line spell them) -> functions.
TASKS: dict[str, Callable[..., Task]] = {
    "teacher-mlp": teacher_mlp,
    "logistic-digits": logistic_digits,
    "mlp-digits": mlp_digits,
    "cnn-digits": cnn_digits,
    "oscillator": oscillator,
}


def make_task(name: str, *, depth: int | None = None, dtype: str = "float64", **options) -> Task:
    """The task called `name` (a key of :data:`TASKS`); `depth` only for ``teacher-mlp``."""
    if name not in TASKS:
        raise InvalidArgument(f"unknown task {name!r}; tasks: {', '.join(TASKS)}")
    if depth is not None:
        if name != "teacher-mlp":
            raise InvalidArgument(f"depth applies to 'teacher-mlp' only, not {name!r}")
        options["depth"] = depth
    return TASKS[name](dtype=dtype, **options)
