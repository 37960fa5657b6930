"""The pure core: `ab.enclose` inside jit, vmap, scan and an optax-style update; runtime
parameters never recompile; flags instead of exceptions; the reference's jit(vmap) idiom."""

import contextlib
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import autobound as ab
import autobound.jax as abj

TRACE_EVENT = "/jax/core/compile/jaxpr_trace_duration"


@contextlib.contextmanager
def count_traces():
    """Counts JAX's jaxpr-trace events (each compilation of a jitted function starts with
    one; a cached program records none) through the public jax.monitoring hooks."""
    seen = []

    def listener(event, duration, **kwargs):
        if event == TRACE_EVENT:
            seen.append(event)

    jax.monitoring.register_event_duration_secs_listener(listener)
    try:
        yield seen
    finally:
        jax.monitoring.unregister_event_duration_listener(listener)


def _mlp_loss(w, batch):
    X, Y = batch
    return jnp.mean((jnp.tanh(X @ w["W1"] + w["b1"]) @ w["w2"] - Y) ** 2)


def _problem(seed=0, n=32, d=3, hidden=8):
    k1, k2, k3 = jax.random.split(jax.random.PRNGKey(seed), 3)
    X = jax.random.normal(k1, (n, d))
    Y = jnp.sin(X[:, 0])
    w = {
        "W1": 0.5 * jax.random.normal(k2, (d, hidden)),
        "b1": jnp.zeros(hidden),
        "w2": 0.3 * jax.random.normal(k3, (hidden,)),
    }
    return w, (X, Y)


def _along(eta, p):
    moved = jax.tree.map(lambda a, d: a + eta * d, p["w"], p["v"])
    return _mlp_loss(moved, p["batch"])


LINE = ab.enclose(_along, degree=2, rounding="outward")
LINE_JIT = jax.jit(LINE)


def _coeff_ends(c):
    return (c.lo, c.hi) if isinstance(c, ab.Interval) else (c, c)


def test_params_are_runtime_inputs_compiled_once():
    w, batch = _problem()
    v = jax.tree.map(lambda a: -0.1 * a, w)
    LINE_JIT(0.0, 0.0, 1.0, {"w": w, "v": v, "batch": batch})  # compiles
    weights = [jax.tree.map(lambda a, s=s: a * (1 + 0.1 * s), w) for s in range(4)]
    with count_traces() as traces:
        results = [LINE_JIT(0.0, 0.0, 0.5, {"w": w_s, "v": v, "batch": batch}) for w_s in weights]
    assert traces == []
    for w_s, e in zip(weights, results, strict=True):
        p = {"w": w_s, "v": v, "batch": batch}
        # the enclosure holds along the line (h is evaluated in float64: 1e-12 of slack)
        for eta in np.linspace(0.0, 0.5, 11):
            val = ab.poly.evaluate(e, jnp.asarray(eta))
            h = float(_along(eta, p))
            assert float(val.lo) - 1e-12 <= h <= float(val.hi) + 1e-12


def test_a_concrete_zero_expansion_point_keeps_the_line_exact_and_sound():
    """Inside a jitted function, an x0 given as a concrete 0 gets a program in which
    products with x0 vanish exactly (a line search's ``w + eta·v`` keeps w and v as points
    in outward mode): no wider than with a traced 0 anywhere and narrower in the constant
    term, still containing h, traced once for any params; a concrete nonzero x0 is not
    taken for 0."""
    w, batch = _problem(3)
    v = jax.tree.map(lambda a: -0.2 * a, w)
    p = {"w": w, "v": v, "batch": batch}
    at_zero = jax.jit(lambda p: LINE(np.zeros(()), 0.0, 0.5, p))
    traced = jax.jit(lambda p, x0: LINE(x0, 0.0, 0.5, p))
    e, t = at_zero(p), traced(p, 0.0)
    widths = [np.asarray(hi - lo) for lo, hi in (_coeff_ends(c) for c in e.coefficients)]
    traced_widths = [np.asarray(hi - lo) for lo, hi in (_coeff_ends(c) for c in t.coefficients)]
    for a, b in zip(widths, traced_widths, strict=True):
        assert np.all(a <= b)
    assert np.all(widths[0] < traced_widths[0])
    for eta in np.linspace(0.0, 0.5, 11):
        val = ab.poly.evaluate(e, jnp.asarray(eta))
        h = float(_along(eta, p))
        assert float(val.lo) - 1e-12 <= h <= float(val.hi) + 1e-12
    with count_traces() as traces:
        again = at_zero({"w": jax.tree.map(lambda a: 1.1 * a, w), "v": v, "batch": batch})
    assert traces == [] and np.all(np.isfinite(np.asarray(again.coefficients[0].hi)))
    # (XLA folds the constant x0 into the program: equal up to rounding, not bit for bit)
    quarter = jax.jit(lambda p: LINE(np.float64(0.25), 0.0, 0.5, p))(p)
    for a, b in zip(quarter.coefficients, traced(p, 0.25).coefficients, strict=True):
        for ea, eb in zip(_coeff_ends(a), _coeff_ends(b), strict=True):
            np.testing.assert_allclose(np.asarray(ea), np.asarray(eb), rtol=1e-12)


def test_params_give_the_same_enclosure_as_closed_over_constants():
    w, batch = _problem(1)
    v = jax.tree.map(lambda a: 0.05 * a, w)
    p = {"w": w, "v": v, "batch": batch}
    e = LINE_JIT(0.0, 0.0, 0.3, p)
    closed = ab.enclose(lambda eta: _along(eta, p), degree=2, rounding="outward")(0.0, 0.0, 0.3)
    # constants fold in floating point where parameters go through enclosure arithmetic:
    # the two agree up to rounding
    for a, b in zip(e.coefficients, closed.coefficients, strict=True):
        for ea, eb in zip(_coeff_ends(a), _coeff_ends(b), strict=True):
            np.testing.assert_allclose(np.asarray(ea), np.asarray(eb), rtol=1e-10)


def test_enclose_inside_jit_vmap_and_scan_closing_over_traced_values():
    w, batch = _problem(2)
    v = jax.tree.map(lambda a: -0.1 * a, w)

    @jax.jit
    def bound_at(w):  # f is built inside jit and closes over traced weights
        enc = ab.enclose(
            lambda eta: _mlp_loss(jax.tree.map(lambda a, d: a + eta * d, w, v), batch), degree=2
        )
        return enc(0.0, 0.0, 0.5).coefficients

    direct = LINE_JIT(0.0, 0.0, 0.5, {"w": w, "v": v, "batch": batch}).coefficients
    got = bound_at(w)
    np.testing.assert_allclose(got[1], np.asarray(_coeff_ends(direct[1])[0]), rtol=1e-9)

    def step(carry, scale):
        e = LINE(0.0, 0.0, 0.5, {"w": jax.tree.map(lambda a: a * scale, w), "v": v, "batch": batch})
        return carry + e.coefficients[2].hi, e.coefficients[0]

    total, c0 = jax.lax.scan(step, 0.0, jnp.array([1.0, 1.1, 0.9]))
    assert np.isfinite(total) and c0.lo.shape == (3,)


def test_optax_style_update_compiles_once_and_never_raises_the_loss():
    """A plain MM step inside a jitted update: minimise the upper quadratic on [0, eta_max]."""
    w, batch = _problem(3)

    @jax.jit
    def update(w):
        g = jax.grad(_mlp_loss)(w, batch)
        v = jax.tree.map(lambda a: -a, g)
        e = LINE(0.0, 0.0, 1.0, {"w": w, "v": v, "batch": batch})
        c0, c1, c2 = (_coeff_ends(c) for c in e.coefficients)
        # upper bound c0 + c1 eta + c2 eta^2 on [0, 1]; its minimiser
        eta = jnp.clip(-c1[1] / (2 * c2[1]), 0.0, 1.0)
        eta = jnp.where(c2[1] > 0, eta, 1.0)
        return jax.tree.map(lambda a, d: a + eta * d, w, v)

    w = update(w)
    losses = [float(_mlp_loss(w, batch))]
    with count_traces() as traces:
        for _ in range(5):
            w = update(w)
            losses.append(float(_mlp_loss(w, batch)))
    assert traces == []
    assert all(b <= a * (1 + 1e-12) for a, b in zip(losses, losses[1:], strict=False))
    assert losses[-1] < losses[0]


def test_reference_idiom_jit_vmap_of_taylor_bounds():
    tb = abj.taylor_bounds(lambda x: jnp.exp(x[0]) * jnp.sin(x[1]), 2)
    rng = np.random.default_rng(0)
    x0s = jnp.asarray(rng.uniform(-1, 1, (6, 2)))
    out = jax.jit(jax.vmap(tb))(x0s, (x0s - 0.25, x0s + 0.25))
    assert out.coefficients[2].lo.shape == (6, 2, 2)
    for b in range(6):
        single = tb(x0s[b], (x0s[b] - 0.25, x0s[b] + 0.25))
        np.testing.assert_allclose(out.coefficients[1][b], single.coefficients[1], rtol=1e-13)
        x = x0s[b] + 0.2
        fx = float(jnp.exp(x[0]) * jnp.sin(x[1]))
        assert single.lower(x) - 1e-12 <= fx <= single.upper(x) + 1e-12


def test_x0_outside_the_region_is_enclosed_over_the_hull_as_in_the_reference():
    tb = abj.taylor_bounds(jnp.exp, 2)
    out = tb(jnp.asarray(2.0), (jnp.asarray(0.0), jnp.asarray(1.0)))
    assert float(out.x_trust_region[0]) == 0.0 and float(out.x_trust_region[1]) == 2.0
    for x in np.linspace(0.0, 2.0, 9):
        assert out.lower(x) - 1e-12 <= np.exp(x) <= out.upper(x) + 1e-12


def test_nan_params_and_boxes_flag_and_void_the_bound():
    w, batch = _problem(4)
    v = jax.tree.map(lambda a: -0.1 * a, w)
    bad_w = dict(w, b1=w["b1"].at[0].set(jnp.nan))
    e = LINE_JIT(0.0, 0.0, 1.0, {"w": bad_w, "v": v, "batch": batch})
    assert bool(e.flags["input"]) and not bool(e.valid)
    assert not np.isfinite(np.asarray(e.coefficients[2].hi))
    enc = ab.enclose("log(x)", degree=2)
    batched = jax.jit(jax.vmap(enc))
    e = batched(
        jnp.array([1.0, 1.0, jnp.nan, 0.5]),
        jnp.array([0.5, 2.0, 0.5, -1.0]),
        jnp.array([2.0, 1.0, 2.0, 1.0]),
    )
    np.testing.assert_array_equal(np.asarray(e.flags["input"]), [False, True, True, False])
    np.testing.assert_array_equal(np.asarray(e.flags["log"])[[0, 3]], [False, True])
    np.testing.assert_array_equal(np.asarray(e.valid), [True, False, False, False])
    hi2 = np.asarray(e.coefficients[2].hi)
    assert np.isfinite(hi2[0]) and not np.any(np.isfinite(hi2[1:3]))
    with pytest.raises(ab.DomainError, match="log"):
        ab.taylor_bounds("log(x)")(0.5, (-1.0, 1.0))


def test_params_with_another_structure_or_shape_are_named_errors():
    enc = ab.enclose(lambda x, p: jnp.exp(p["a"] * x) + p["b"] @ p["b"], degree=1)
    enc(0.0, 0.0, 1.0, {"a": 1.0, "b": jnp.ones(3)})
    with pytest.raises(ab.ShapeMismatch, match=r"params\['b'\].*\(4,\)"):
        enc(0.0, 0.0, 1.0, {"a": 1.0, "b": jnp.ones(4)})
    with pytest.raises(ab.ShapeMismatch, match="structure"):
        enc(0.0, 0.0, 1.0, {"a": 1.0})
    with pytest.raises(ab.InvalidArgument, match=r"params\['c'\].*str"):
        ab.enclose(lambda x, p: x, degree=1)(0.0, 0.0, 1.0, {"c": "text"})
    with pytest.raises(ab.InvalidArgument, match=r"params\[.n.\] has dtype int"):
        ab.enclose(lambda x, p: x, degree=1)(0.0, 0.0, 1.0, {"n": jnp.arange(3)})
    with pytest.raises(ab.InvalidArgument, match="no parameters"):
        ab.enclose("exp(x)", degree=1)(0.0, 0.0, 1.0, {"a": 1.0})
    with pytest.raises(ab.InvalidArgument, match="x0 must be a number"):
        ab.enclose("exp(x)", degree=1)("abc", 0.0, 1.0)


def test_batch_sizes_share_one_compilation_per_bucket():
    tb = ab.taylor_bounds("exp(x)*cos(x) + x**3", degree=2)
    tb.batch(np.full(3, 0.5), np.zeros(3), np.ones(3))
    with count_traces() as traces:
        for n in (1, 2, 5, 7, 8):
            out = tb.batch(np.full(n, 0.5), np.zeros(n), np.ones(n))
            assert out[2].lo.shape == (n,)
        for x0 in np.linspace(0.0, 1.0, 4):
            tb(x0, (0.0, 1.0))
    # one bucket (8) for all batches; single calls share one program
    assert len(traces) <= 1
    with pytest.raises(ab.ShapeMismatch, match="at least one box"):
        tb.batch(np.zeros(0), np.zeros(0), np.zeros(0))


def test_float32_enclosure_of_float64_box_is_rounded_outward():
    enc = ab.enclose("exp(x)", degree=1, dtype="float32", rounding="outward")
    lo, hi = 0.1, 0.7  # not float32 numbers
    e = enc(0.4, lo, hi)
    assert e.lo.dtype == jnp.float32
    assert float(e.lo) <= lo and float(e.hi) >= hi


def test_sharded_boxes_keep_their_sharding(child_env):
    """On 8 host devices, boxes sharded over a mesh stay sharded through jit(vmap(enc))."""
    code = textwrap.dedent(
        """
        import jax, jax.numpy as jnp, numpy as np
        jax.config.update("jax_enable_x64", True)
        from jax.sharding import Mesh, NamedSharding, PartitionSpec as P
        import autobound as ab
        mesh = Mesh(np.array(jax.devices()), ("boxes",))
        s = NamedSharding(mesh, P("boxes"))
        x0 = jax.device_put(jnp.linspace(-1.0, 1.0, 64), s)
        enc = jax.jit(jax.vmap(ab.enclose("exp(x)*sin(x)", degree=2, rounding="outward")))
        e = enc(x0, x0 - 0.1, x0 + 0.1)
        assert len(jax.devices()) == 8
        assert e.coefficients[2].hi.sharding.is_equivalent_to(s, 1), e.coefficients[2].hi.sharding
        single = enc(np.asarray(x0), np.asarray(x0) - 0.1, np.asarray(x0) + 0.1)
        np.testing.assert_array_equal(np.asarray(e.coefficients[2].hi),
                                      np.asarray(single.coefficients[2].hi))
        print("ok")
        """
    )
    env = child_env(XLA_FLAGS="--xla_force_host_platform_device_count=8", JAX_PLATFORMS="cpu")
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600
    )
    assert out.returncode == 0 and out.stdout.strip().endswith("ok"), out.stderr[-3000:]


def test_outward_rounding_refuses_a_backend_whose_kernels_were_not_measured(monkeypatch):
    monkeypatch.setattr(jax, "default_backend", lambda: "gpu")
    with pytest.raises(ab.InvalidArgument, match="'gpu'.*not measured"):
        ab.enclose("exp(x)", rounding="outward")
    ab.enclose("exp(x)", rounding="nearest")  # nearest mode promises no more than the kernels


def test_avg_pool_reduce_window_sum_is_supported_and_sound():
    from jax import lax

    def f(x):
        pooled = lax.reduce_window(x, 0.0, lax.add, (2, 2), (2, 2), "VALID") / 4
        return jnp.sum(jnp.tanh(pooled) * pooled)

    x0 = jnp.arange(16.0).reshape(4, 4) / 16 - 0.4
    e = ab.enclose(f, degree=2, rounding="outward")(x0, x0 - 0.05, x0 + 0.05)
    rng = np.random.default_rng(0)
    for _ in range(8):
        x = x0 + rng.uniform(-0.05, 0.05, x0.shape)
        val = ab.poly.evaluate(e, x)
        assert float(val.lo) - 1e-12 <= float(f(x)) <= float(val.hi) + 1e-12


def test_taylor_bounds_reads_a_plain_pair_coefficient_as_an_interval():
    t = ab.TaylorBounds(None, jnp.asarray(0.5), (0.0, 1.0), (1.0, 2.0, (0.5, 1.5)), 2)
    assert isinstance(t.coefficients[2], ab.Interval)
    assert float(t.lower(1.0)) == 1.0 + 2.0 * 0.5 + 0.5 * 0.25
    assert float(t.upper(1.0)) == 1.0 + 2.0 * 0.5 + 1.5 * 0.25
    with pytest.raises(ab.InvalidArgument, match="coefficient 1 is a tuple of 3"):
        ab.TaylorBounds(None, jnp.asarray(0.5), (0.0, 1.0), (1.0, (1.0, 2.0, 3.0)), 1)


def test_bind_params_turns_parameters_into_exact_constants():
    """How a certificate records a parametric function: the parameters become constants, and
    the bound graph encloses the same function (as its own enclosure shows)."""
    from autobound.frontends.jax_frontend import trace_callable

    def f(x, p):
        return jnp.exp(p["a"] * x) + jnp.sum(p["b"] * x)

    p = {"a": jnp.asarray(0.75), "b": jnp.asarray([1.0, -2.0, 0.5])}
    avals = jax.tree.map(lambda a: jax.ShapeDtypeStruct(a.shape, a.dtype), p)
    graph, captured = trace_callable(f, (), "float64", avals)
    assert captured == [] and sorted(graph.param_nodes()) == [0, 1]
    bound = graph.bind_params(jax.tree.leaves(p))
    assert not bound.param_nodes()
    with_params = ab.enclose(f, 2, rounding="outward")(0.1, -0.5, 0.5, p)
    constants = ab.enclose(bound, 2, rounding="outward")(0.1, -0.5, 0.5)
    for a, b in zip(with_params.coefficients, constants.coefficients, strict=True):
        for ea, eb in zip(_coeff_ends(a), _coeff_ends(b), strict=True):
            np.testing.assert_allclose(np.asarray(ea), np.asarray(eb), rtol=1e-12)


def test_host_layer_names_non_numeric_inputs():
    tb = ab.taylor_bounds("exp(x)")
    with pytest.raises(ab.InvalidArgument, match="x0 must be a number"):
        tb("abc", (0.0, 1.0))
    with pytest.raises(ab.InvalidArgument, match="region upper end must be a number"):
        tb(0.5, (0.0, "one"))


def _chained(x, p):
    return jnp.sin(jnp.exp(p * x)) + jnp.cos(x) ** 2


def test_composition_is_fenced_so_fusion_does_not_copy_the_remainder():
    """The power rule's sharp remainder behind a chained elementwise node (sin(x)**20, whose
    argument sin(x) carries interval coefficients) is computed once, not copied by XLA's
    fusion into every coefficient product of the composition: without the fences in
    ``compose`` the optimized program of 8 boxes had 162k instructions (25 s to compile),
    with them 19k (6 s)."""
    enc = ab.enclose("sin(x)**20", degree=2, rounding="outward")
    x = jnp.linspace(0.0, 1.0, 8)
    compiled = jax.jit(jax.vmap(enc)).lower(x, x - 0.1, x + 0.1).compile()
    assert compiled.as_text().count(" = ") < 60_000
    e = compiled(x, x - 0.1, x + 0.1)
    assert bool(jnp.all(e.valid))


def test_a_single_outward_node_is_fenced_so_each_end_does_not_recompute_the_remainder():
    """One elementwise node (the README example) is fenced as well: without the fences XLA
    copied the exp rule's sharp remainder into the fused loops of each coefficient's lower
    and upper ends (8,036 instructions for 8 boxes at 183ac3b, against 5,464 fenced; its
    batches of 10^4 boxes ran 27 % faster fenced)."""
    enc = ab.enclose("1.5*exp(3*x) - 25*x**2", degree=2, rounding="outward")
    x = jnp.linspace(0.0, 1.0, 8)
    lowered = jax.jit(jax.vmap(enc)).lower(x, x - 0.1, x + 0.1)
    assert "stablehlo.case" in lowered.as_text()
    assert lowered.compile().as_text().count(" = ") < 6_800


def test_nearest_mode_fences_array_nodes_and_leaves_single_scalar_nodes_alone():
    """Nearest mode fences a node with several entries per box (an MLP's hidden layer: its
    batch ran 191 -> 72 ms fenced at 10^4 boxes) and leaves the README example's one scalar
    node unfenced (fenced, its batch ran 25 % slower); the values agree with outward mode."""
    w = jnp.linspace(-1.0, 1.0, 12).reshape(3, 4)

    def mlp(x):
        return jnp.sum(jax.nn.softplus(w @ x))

    def lowered(f, x0):
        enc = ab.enclose(f, degree=2)
        x = jnp.stack([x0] * 4)
        return jax.jit(jax.vmap(enc)).lower(x, x - 0.5, x + 0.5).as_text()

    assert "stablehlo.case" in lowered(mlp, jnp.zeros(4))
    assert "stablehlo.case" not in lowered(lambda x: 1.5 * jnp.exp(3 * x) - 25 * x**2, 0.5)
    near = ab.enclose(mlp, degree=2)(jnp.zeros(4), -jnp.ones(4), jnp.ones(4))
    out = ab.enclose(mlp, degree=2, rounding="outward")(jnp.zeros(4), -jnp.ones(4), jnp.ones(4))
    for cn, co in zip(near.coefficients, out.coefficients, strict=True):
        mid = cn if not isinstance(cn, ab.Interval) else (cn.lo + cn.hi) / 2
        co = co if isinstance(co, ab.Interval) else ab.Interval(co, co)
        assert bool(jnp.all(co.lo <= mid + 1e-9)) and bool(jnp.all(mid - 1e-9 <= co.hi))


def test_outward_fences_keep_values_gradients_and_nan_handling():
    """Outward programs with chained elementwise nodes sit behind conditionals (the fusion
    fences of autobound.lower): present under jit and vmap, invisible in the values,
    transparent to derivatives, and a NaN expansion point still gives no finite bound."""
    enc = ab.enclose(_chained, degree=2, rounding="outward")
    near = ab.enclose(_chained, degree=2, rounding="nearest")
    hlo = jax.jit(jax.vmap(enc, in_axes=(0, 0, 0, None))).lower(
        jnp.zeros(4), jnp.zeros(4) - 1, jnp.ones(4), 1.0
    )
    assert "stablehlo.case" in hlo.as_text()  # the fences survive vmap as conditionals
    e = enc(0.5, 0.0, 1.0, 1.0)
    n = near(0.5, 0.0, 1.0, 1.0)
    for ce, cn in zip(e.coefficients, n.coefficients, strict=True):
        lo_, hi_ = (ce.lo, ce.hi) if isinstance(ce, ab.Interval) else (ce, ce)
        mid = cn if not isinstance(cn, ab.Interval) else (cn.lo + cn.hi) / 2
        assert lo_ <= mid + 1e-12 and mid - 1e-12 <= hi_
    top = lambda p: enc(0.5, 0.0, 1.0, p).coefficients[2].hi  # noqa: E731
    h = 1e-6
    fd = (top(1.0 + h) - top(1.0 - h)) / (2 * h)
    assert abs(jax.grad(top)(1.0) - fd) < 1e-6
    bad = jax.jit(jax.vmap(enc, in_axes=(0, 0, 0, None)))(
        jnp.array([0.5, jnp.nan]), jnp.zeros(2), jnp.ones(2), 1.0
    )
    assert not bool(bad.valid[1]) and bool(bad.valid[0])
    top2 = bad.coefficients[2]
    assert np.isfinite(top2.lo[0]) and not np.isfinite(top2.lo[1])
