"""SafeRate (autobound.apps.mm): full-batch steps never raise the loss, the certified decrease
holds for the exact loss (mpmath, 50 digits), one compilation per run, optax.chain and
optimistix, the tasks, the training loop, and named errors for bad input.

Compile budget: two tanh-MLP update programs (float64, float32) and a few polynomial ones."""

import warnings

import jax
import jax.numpy as jnp
import mpmath
import numpy as np
import optax
import pytest

import autobound as ab
from autobound.apps import mm
from autobound.apps.mm import tasks

TRACE_EVENT = "/jax/core/compile/jaxpr_trace_duration"


class _Traces:
    """Counts jaxpr traces (each compilation of a jitted function starts with one)."""

    def __enter__(self):
        self.count = 0

        def listener(event, duration, **kwargs):
            if event == TRACE_EVENT:
                self.count += 1

        self._listener = listener
        jax.monitoring.register_event_duration_secs_listener(listener)
        return self

    def __exit__(self, *exc):
        jax.monitoring.unregister_event_duration_listener(self._listener)


def _mlp_problem(dtype):
    """A one-hidden-layer tanh regression (32 points, 3 inputs, 6 units), data as numpy."""
    rng = np.random.RandomState(3)
    X = rng.standard_normal((32, 3))
    Y = np.sin(X[:, 0]) + 0.5 * X[:, 1] * X[:, 2]
    w = {"W": rng.standard_normal((3, 6)) / 2, "b": np.zeros(6), "a": rng.standard_normal(6) / 3}
    w = jax.tree.map(lambda a: jnp.asarray(a, dtype), w)
    Xj, Yj = jnp.asarray(X, dtype), jnp.asarray(Y, dtype)

    def loss_fn(p):
        return jnp.mean((jnp.tanh(Xj @ p["W"] + p["b"]) @ p["a"] - Yj) ** 2)

    def exact_loss(p):
        """The same loss in 50-digit mpmath on the float data (p: dict of mpf arrays)."""
        total = mpmath.mpf(0)
        for i in range(X.shape[0]):
            x = [mpmath.mpf(float(Xj[i, k])) for k in range(3)]
            out = mpmath.mpf(0)
            for j in range(6):
                z = sum(x[k] * p["W"][k][j] for k in range(3)) + p["b"][j]
                out += mpmath.tanh(z) * p["a"][j]
            total += (out - mpmath.mpf(float(Yj[i]))) ** 2
        return total / X.shape[0]

    return loss_fn, w, exact_loss


def _to_mp(tree):
    return jax.tree.map(
        lambda a: np.vectorize(lambda t: mpmath.mpf(float(t)), otypes=[object])(np.asarray(a)), tree
    )


def _make_step(loss_fn, opt):
    @jax.jit
    def step(params, state):
        value, grad = jax.value_and_grad(loss_fn)(params)
        updates, state = opt.update(grad, state, params, value=value, grad=grad, value_fn=loss_fn)
        return optax.apply_updates(params, updates), updates, state, value, grad

    return step


def _assert_non_increasing(losses, dtype):
    """Each computed loss is at most the previous one (up to the rounding of computing it:
    a few ulps of the loss, since the certified decrease is about the exact loss)."""
    losses = np.asarray(losses, np.float64)
    tol = 8 * np.finfo(dtype).eps * np.abs(losses[:-1])
    assert np.all(np.diff(losses) <= tol), np.diff(losses)


@pytest.mark.parametrize(
    ("dtype", "bound"), [("float64", None), ("float32", None), ("float32", "float64")]
)
def test_safe_rate_full_batch_loss_never_increases_and_certified_decrease_is_exact(dtype, bound):
    loss_fn, params, exact_loss = _mlp_problem(dtype)
    opt = mm.safe_rate(dtype=bound)
    state = opt.init(params)
    step = _make_step(loss_fn, opt)
    params, *_, state, _, _ = step(params, state)  # compiles once
    # float32 params bounded in float64: float64 step sizes, float32 updates and params
    assert state.info.step_size.dtype == jnp.dtype(bound or dtype)
    assert {leaf.dtype for leaf in jax.tree.leaves(params)} == {jnp.dtype(dtype)}
    records = []
    with _Traces() as traces:
        for _ in range(12):
            new, _, state, value, grad = step(params, state)
            records.append((params, grad, state.info, value))
            params = new
    assert traces.count == 0  # the whole run reuses one compiled update
    losses = [float(r[3]) for r in records] + [float(loss_fn(params))]
    infos = [r[2] for r in records]
    checked = 0
    for w, grad, info, _ in records[:3]:
        if bool(info.certified):
            # Exact check of f(w + eta v) <= f(w) - delta at the exact point of the line
            # (the update is eta * v rounded; the certificate is for eta * v itself).
            with mpmath.workdps(50):
                eta = mpmath.mpf(float(info.step_size))
                w_mp, v_mp = _to_mp(w), _to_mp(jax.tree.map(lambda g: -g, grad))
                moved = {k: w_mp[k] + eta * v_mp[k] for k in w_mp}
            with mpmath.workdps(50):
                drop = exact_loss(w_mp) - exact_loss(moved)
            assert drop >= mpmath.mpf(float(info.certified_decrease)) > 0
            checked += 1
    assert checked == 3
    _assert_non_increasing(losses, dtype)
    assert losses[-1] < 0.5 * losses[0]
    steps = np.array([float(i.step_size) for i in infos])
    eta_max = np.array([float(i.eta_max) for i in infos])
    decrease = np.array([float(i.certified_decrease) for i in infos])
    assert np.all((steps >= 0) & (steps <= eta_max)) and np.any(steps > 0)
    # certified decrease <= actual decrease of the computed loss, up to its rounding
    actual = -np.diff(losses)
    assert np.all(decrease <= actual + 8 * np.finfo(dtype).eps * np.abs(losses[:-1]))
    # the trust-region rule: doubled after a certified step at the end of the region, halved
    # after a certified interior step
    for i, (a, b) in enumerate(zip(infos, infos[1:], strict=False)):
        if bool(a.certified):
            at_edge = float(a.step_size) == float(a.eta_max)
            assert float(b.eta_max) == float(a.eta_max) * (2 if at_edge else 0.5), i


def test_float32_params_bounded_in_float64_certify_what_float32_cannot():
    """Near a least-squares minimum the possible decrease (~1e-7 of the loss) is below the
    rounding error of the loss in float32: float32 arithmetic refuses the step, float64
    arithmetic on the same float32 weights certifies it, and the decrease holds exactly."""
    rng = np.random.RandomState(0)
    X = rng.standard_normal((64, 4)).astype(np.float32)
    y = (X @ rng.standard_normal(4) + rng.standard_normal(64)).astype(np.float32)
    best = np.linalg.lstsq(X.astype(np.float64), y.astype(np.float64), rcond=None)[0]
    w = jnp.asarray(best + 3e-4 * rng.standard_normal(4), jnp.float32)
    Xj, yj = jnp.asarray(X), jnp.asarray(y)

    def loss_fn(p):
        return jnp.mean((Xj @ p - yj) ** 2)

    grad = jax.grad(loss_fn)(w)
    infos = {}
    for bound in (None, "float64"):
        opt = mm.safe_rate(dtype=bound, warn=False)
        updates, state = opt.update(grad, opt.init(w), w, value_fn=loss_fn)
        assert updates.dtype == jnp.float32
        infos[bound] = state.info
    assert not bool(infos[None].certified) and float(infos[None].step_size) == 0
    info = infos["float64"]
    assert bool(info.certified) and float(info.certified_decrease) > 0

    def exact(p):
        rows = (sum(mpmath.mpf(float(X[i, k])) * p[k] for k in range(4)) for i in range(64))
        return sum((r - mpmath.mpf(float(y[i]))) ** 2 for i, r in enumerate(rows)) / 64

    with mpmath.workdps(50):
        w_mp = [mpmath.mpf(float(t)) for t in w]
        eta = mpmath.mpf(float(info.step_size))
        moved = [a - eta * mpmath.mpf(float(g)) for a, g in zip(w_mp, grad, strict=True)]
        assert exact(w_mp) - exact(moved) >= mpmath.mpf(float(info.certified_decrease))


def test_upper_minimizer_degree_two_cases():
    """Closed forms: vertex inside, vertex clipped, concave (boundary), no descent (zero);
    the top coefficient enters through its upper end."""
    from autobound.apps.mm.majorizer import upper_minimizer

    M = jnp.asarray(1.0)
    iv = ab.Interval

    def eta(c1, c2lo, c2hi):
        return float(upper_minimizer((iv(0.0, 0.0), iv(c1, c1), iv(c2lo, c2hi)), M))

    assert eta(-1.0, -5.0, 2.0) == 0.25  # -b / (2 c2.hi), not c2.lo
    assert eta(-4.0, 0.0, 1.0) == 1.0  # vertex at 2, clipped to the region
    assert eta(-1.0, -3.0, -1.0) == 1.0  # concave upper polynomial: the boundary
    assert eta(0.5, 0.0, 1.0) == 0.0  # no certified descent: no step
    # degree 3 on the grid: U = -eta + eta^3 has its minimum at 1/sqrt(3)
    e3 = float(upper_minimizer((0.0, jnp.asarray(-1.0), jnp.asarray(0.0), iv(0.0, 1.0)), M))
    assert abs(e3 - 3**-0.5) <= 1 / 256


def _least_squares(dtype="float64"):
    return tasks.teacher_mlp(depth=0, samples=32, dtype=dtype)


def test_safe_rate_in_chain_with_adam_direction_and_as_optimistix_minimiser():
    import optimistix as optx

    loss_fn, params = _least_squares()
    start = float(loss_fn(params))
    for opt, factor in (
        (optax.chain(optax.clip_by_global_norm(10.0), mm.safe_rate()), 1e-3),
        (mm.safe_rate(direction="adam"), 0.1),
    ):
        state = opt.init(params)
        step = _make_step(loss_fn, opt)
        p, losses = params, []
        for _ in range(15):
            p, _, state, value, _ = step(p, state)
            losses.append(float(value))
        losses.append(float(loss_fn(p)))
        _assert_non_increasing(losses, "float64")
        assert losses[-1] < factor * start
    solver = optx.OptaxMinimiser(mm.safe_rate(), rtol=1e-12, atol=1e-12)
    sol = optx.minimise(lambda y, args: loss_fn(y), solver, params, max_steps=60, throw=False)
    assert float(loss_fn(sol.value)) < 1e-6 * start


def test_fit_records_history_and_train_runs_by_name():
    loss_fn, params = _least_squares()
    h = mm.fit(loss_fn, params, steps=20, progress=False)
    assert h.losses.shape == (21,) and h.times.shape == h.step_sizes.shape == (20,)
    _assert_non_increasing(h.losses, "float64")
    assert h.losses[-1] < 1e-6 * h.losses[0]
    assert np.all(h.step_sizes <= h.eta_max) and np.all(np.diff(h.times) >= 0)
    assert np.all(h.certified_decrease[h.step_sizes > 0] > 0)
    g = mm.train("teacher-mlp", depth=0, optimizer="gd", learning_rate=0.1, steps=5, progress=False)
    assert np.all(np.isnan(g.step_sizes)) and g.losses[-1] < g.losses[0]
    with pytest.raises(ab.InvalidArgument, match="needs a learning rate"):
        mm.train("teacher-mlp", depth=0, optimizer="adam", steps=5)
    with pytest.raises(ab.InvalidArgument, match="unknown task"):
        mm.train("mnist", steps=5)
    with pytest.raises(ab.InvalidArgument, match="unknown optimizer"):
        mm.train("teacher-mlp", depth=0, optimizer="sgdx", steps=5)


def test_tasks_are_finite_scalar_losses_in_both_dtypes():
    for name, fn in tasks.TASKS.items():
        for dtype in ("float64", "float32"):
            loss_fn, params = fn(dtype=dtype)
            value, grad = jax.jit(jax.value_and_grad(loss_fn))(params)
            assert value.shape == () and value.dtype == jnp.dtype(dtype), name
            assert np.isfinite(value) and value > 0, name
            assert all(np.all(np.isfinite(g)) for g in jax.tree.leaves(grad)), name
            assert {leaf.dtype for leaf in jax.tree.leaves(params)} == {jnp.dtype(dtype)}


def test_tasks_take_any_spelling_of_their_dtype_and_name_the_two_allowed():
    for spelling in (jnp.float32, np.float32, np.dtype("float32"), "f4"):
        _, params = tasks.teacher_mlp(depth=0, samples=8, dtype=spelling)
        assert {leaf.dtype for leaf in jax.tree.leaves(params)} == {jnp.dtype("float32")}
    for bad in ("float16", jnp.int32, "double-ish", object()):
        with pytest.raises(ab.InvalidArgument, match="'float32' or 'float64'"):
            tasks.teacher_mlp(depth=0, samples=8, dtype=bad)


def test_tasks_on_float32_data_accept_float64_weights_as_a_line_search_tries_them():
    """optax's zoom line search evaluates float32 tasks at float64 points under x64: every
    task promotes like ``@`` (the convolution used to raise a dtype error)."""
    for name, fn in tasks.TASKS.items():
        loss_fn, params = fn(dtype="float32")
        wide = jax.tree.map(lambda a: a.astype(jnp.float64), params)
        assert np.isfinite(float(loss_fn(wide))), name


def test_cnn_digits_safe_rate_steps_decrease_the_loss():
    """The LeNet-style CNN (conv_general_dilated, tanh, reshape-mean pooling, dense): the
    engine bounds it, five SafeRate steps are certified and never raise the loss."""
    loss_fn, params = tasks.cnn_digits(samples=64)
    assert sum(a.size for a in jax.tree.leaves(params)) == 666
    h = mm.fit(loss_fn, params, 5, mm.safe_rate(), progress=False)
    _assert_non_increasing(h.losses, "float64")
    assert h.losses[-1] < 0.97 * h.losses[0]
    assert np.all(h.step_sizes > 0) and np.all(h.certified_decrease > 0)


def test_networks_with_where_activations_and_softmax_cross_entropy_train():
    """elu and hard_tanh are written with jnp.where (a switch node), log_softmax with
    stack/reduce_max: SafeRate bounds them and its steps never raise the loss."""
    rng = np.random.default_rng(3)
    x = jnp.asarray(rng.normal(size=(48, 4)))
    y = jnp.asarray(rng.integers(0, 3, size=48))
    params = [jnp.asarray(rng.normal(size=(4, 8)) / 2), jnp.asarray(rng.normal(size=(8, 3)) / 3)]

    def loss_fn(p):
        h = jax.nn.hard_tanh(jax.nn.elu(x @ p[0]))
        logits = jax.nn.log_softmax(h @ p[1])
        return -jnp.mean(jnp.take_along_axis(logits, y[:, None], axis=1))

    h = mm.fit(loss_fn, params, 8, mm.safe_rate(), progress=False)
    _assert_non_increasing(h.losses, "float64")
    assert h.losses[-1] < h.losses[0]
    assert np.sum(h.step_sizes > 0) >= 4 and np.all(h.certified_decrease[h.step_sizes > 0] > 0)


def test_oscillator_residual_matches_autodiff_derivatives():
    """The hand-written u', u'' of the trial solution agree with jax.jvp."""
    omega, zeta = 3.0, 0.1
    loss_fn, p = tasks.oscillator(points=9, omega=omega, zeta=zeta)

    def u(t):
        return 1 + t * t * (jnp.tanh(t * p["w"] + p["b"]) @ p["a"])

    def du(t):
        return jax.jvp(u, (t,), (1.0,))[1]

    def ddu(t):
        return jax.jvp(du, (t,), (1.0,))[1]

    ts = jnp.linspace(0.0, 2.0, 9)
    res = jnp.array([ddu(t) + 2 * zeta * omega * du(t) + omega**2 * u(t) for t in ts])
    np.testing.assert_allclose(float(loss_fn(p)), float(jnp.mean(res**2)), rtol=1e-12)


def test_teacher_task_has_zero_minimum_at_the_teacher():
    """Training the student's weights onto the teacher's (same seed stream) gives loss 0."""
    loss_fn, student = tasks.teacher_mlp(depth=2, gain=3.0)
    rng = np.random.RandomState(0)
    rng.standard_normal((64, 4))
    teacher = tasks._dense_init(rng, [4, 8, 8, 1], 3.0)
    assert float(loss_fn(jax.tree.map(jnp.asarray, teacher))) < 1e-28
    assert float(loss_fn(student)) > 1e-2


def test_bad_input_gives_named_errors():
    loss_fn, params = _least_squares()
    opt = mm.safe_rate()
    state = opt.init(params)
    grad = jax.grad(loss_fn)(params)
    with pytest.raises(ab.InvalidArgument, match="value_fn"):
        opt.update(grad, state, params)
    with pytest.raises(ab.ShapeMismatch, match="scalar"):
        opt.update(grad, state, params, value_fn=lambda p: jnp.stack([loss_fn(p)] * 2))
    bad = jax.tree.map(lambda a: a.at[0].set(jnp.nan), params)
    with pytest.raises(ab.DomainError, match=r"params\[0\]\['W'\].*NaN"):
        opt.update(grad, state, bad, value_fn=loss_fn)
    with pytest.raises(ab.DomainError, match="NaN"):
        mm.fit(loss_fn, bad, steps=2)
    mixed = [{"W": params[0]["W"], "b": params[0]["b"].astype(jnp.float32)}]
    with pytest.raises(ab.InvalidArgument, match="float32 or all float64"):
        opt.init(mixed)
    with pytest.raises(ab.InvalidArgument, match="dtype='float32'"):
        mm.safe_rate(dtype="float32").init(params)
    with pytest.raises(ab.InvalidArgument, match="'float32' or 'float64'"):
        mm.safe_rate(dtype="int8")
    with pytest.raises(ab.InvalidArgument, match="direction"):
        mm.safe_rate(direction="newton")
    with pytest.raises(ab.UnsupportedOperation, match="lgamma"):
        lgamma = jax.scipy.special.gammaln
        opt.update(grad, state, params, value_fn=lambda p: jnp.sum(lgamma(1 + p[0]["W"] ** 2)))


def test_nan_params_inside_jit_give_a_zero_step_and_a_warning():
    loss_fn, params = _least_squares()
    opt = mm.safe_rate()
    state = opt.init(params)
    step = _make_step(loss_fn, opt)
    bad = jax.tree.map(lambda a: a.at[0].set(jnp.nan), params)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        _, updates, new_state, _, _ = step(bad, state)
        jax.effects_barrier()
    assert all(np.all(np.asarray(u) == 0) for u in jax.tree.leaves(updates))
    assert not bool(new_state.info.certified) and not bool(new_state.info.finite)
    assert float(new_state.eta_max) == 0.5 * float(state.eta_max)
    assert any(issubclass(w.category, mm.UncertifiedStepWarning) for w in seen)


def test_fit_warns_from_the_host_and_compiles_its_step_without_a_host_callback(monkeypatch):
    """h(eta) = log(1 - eta) leaves log's domain at eta_max = 1: the first step is zero with a
    warning, the second (on [0, 1/2]) is certified.  The warning comes from fit's loop (one
    per uncertified step), not from a callback in the program: JAX does not keep programs
    with host callbacks in its persistent compilation cache."""

    def no_callback(*args, **kwargs):
        raise AssertionError("fit's step traced a host callback")

    monkeypatch.setattr(jax.debug, "callback", no_callback)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        h = mm.fit(lambda p: jnp.log(p["w"]), {"w": jnp.asarray(1.0)}, 2, progress=False)
    uncertified = [w for w in seen if issubclass(w.category, mm.UncertifiedStepWarning)]
    assert len(uncertified) == 1 and "with ends 1.0 " in str(uncertified[0].message)
    assert h.step_sizes[0] == 0 and h.step_sizes[1] > 0 and h.eta_max[1] == 0.5
    assert h.losses[2] < h.losses[0]


def test_safe_combination_per_group_steps_certified_exactly():
    """Linear regression with the weights and the bias as two groups: each step's certified
    decrease holds for the exact loss (rational arithmetic on the float data), the loss never
    increases, and the groups get their own step sizes."""
    from fractions import Fraction

    rng = np.random.RandomState(5)
    X, Y = rng.standard_normal((16, 3)), rng.standard_normal(16) + 2.0
    Xj, Yj = jnp.asarray(X), jnp.asarray(Y)
    params = {"W": jnp.zeros(3), "b": jnp.zeros(())}

    def loss_fn(p):
        return jnp.mean((Xj @ p["W"] + p["b"] - Yj) ** 2)

    def exact(W, b):
        """The loss in rational arithmetic (W: 3 Fractions, b: a Fraction)."""
        rows = [
            sum(Fraction(float(X[i, k])) * W[k] for k in range(3)) + b - Fraction(float(Y[i]))
            for i in range(16)
        ]
        return sum(r * r for r in rows) / 16

    def fr(a):
        return [Fraction(float(t)) for t in np.ravel(a)]

    opt = mm.safe_combination(groups="leaf")
    state = opt.init(params)
    assert state.eta_max.shape == (2,)
    step = _make_step(loss_fn, opt)
    losses, sizes = [], []
    for t in range(10):
        new, updates, state, value, grad = step(params, state)
        info = state.info
        losses.append(float(value))
        sizes.append(np.asarray(info.step_sizes))
        if t < 3:
            assert bool(info.certified)
            eta_w, eta_b = fr(info.step_sizes)
            W, g = fr(params["W"]), fr(grad["W"])
            (b,), (gb,) = fr(params["b"]), fr(grad["b"])
            drop = exact(W, b) - exact(
                [w - eta_w * d for w, d in zip(W, g, strict=True)], b - eta_b * gb
            )
            assert drop >= Fraction(float(info.certified_decrease)) > 0
        params = new
    losses.append(float(loss_fn(params)))
    _assert_non_increasing(losses, "float64")
    assert losses[-1] < 0.1 * losses[0]
    sizes = np.array(sizes)
    assert np.any(sizes[:, 0] != sizes[:, 1])
    # float32 weights and data bounded in float64: float32 updates, the same exact guarantee
    X, Y = X.astype(np.float32), Y.astype(np.float32)
    X32, Y32 = jnp.asarray(X), jnp.asarray(Y)
    p32 = {"W": jnp.zeros(3, jnp.float32), "b": jnp.zeros((), jnp.float32)}

    def loss32(p):
        return jnp.mean((X32 @ p["W"] + p["b"] - Y32) ** 2)

    opt = mm.safe_combination(groups="leaf", dtype="float64")
    grad = jax.grad(loss32)(p32)
    updates, state = opt.update(grad, opt.init(p32), p32, value_fn=loss32)
    assert {u.dtype for u in jax.tree.leaves(updates)} == {jnp.dtype("float32")}
    info = state.info
    assert bool(info.certified) and info.step_sizes.dtype == jnp.float64
    eta_w, eta_b = fr(info.step_sizes)
    W, g = fr(p32["W"]), fr(grad["W"])
    (b,), (gb,) = fr(p32["b"]), fr(grad["b"])
    drop = exact(W, b) - exact([w - eta_w * d for w, d in zip(W, g, strict=True)], b - eta_b * gb)
    assert drop >= Fraction(float(info.certified_decrease)) > 0


def test_mini_batch_step_never_raises_its_batch_loss_and_reuses_one_program():
    """value_fn built inside jit from the batch (traced data become runtime parameters of the
    enclosure): each step does not raise its own batch's loss; new batches do not recompile."""
    rng = np.random.RandomState(7)
    X, Y = rng.standard_normal((64, 3)), rng.standard_normal(64)
    params = {"W": jnp.zeros(3), "b": jnp.zeros(())}

    def batch_loss(p, xb, yb):
        return jnp.mean((xb @ p["W"] + p["b"] - yb) ** 2)

    opt = mm.safe_rate(degree=3)  # degree 3: the grid minimizer of the upper cubic

    @jax.jit
    def step(p, state, xb, yb):
        value_fn = lambda q: batch_loss(q, xb, yb)  # noqa: E731
        value, grad = jax.value_and_grad(value_fn)(p)
        updates, state = opt.update(grad, state, p, value=value, grad=grad, value_fn=value_fn)
        new = optax.apply_updates(p, updates)
        return new, state, value, value_fn(new)

    state = opt.init(params)
    batches = [(jnp.asarray(X[i : i + 8]), jnp.asarray(Y[i : i + 8])) for i in range(0, 64, 8)]
    params, state, *_ = step(params, state, *batches[0])
    with _Traces() as traces:
        pairs = []
        for xb, yb in batches[1:]:
            params, state, before, after = step(params, state, xb, yb)
            pairs.append((float(before), float(after), float(state.info.certified_decrease)))
    assert traces.count == 0
    for before, after, certified in pairs:
        assert after <= before - certified + 8 * np.finfo(np.float64).eps * before
    assert sum(certified > 0 for *_, certified in pairs) >= 5
