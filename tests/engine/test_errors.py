"""Bad input raises a clear project error naming the culprit, never a wrong number."""

import jax.numpy as jnp
import numpy as np
import pytest

import autobound as ab


def test_unsupported_function_in_string_names_it_and_lists_supported():
    with pytest.raises(ab.UnsupportedOperation) as e:
        ab.taylor_bounds("gamma(x)")
    assert "gamma" in str(e.value) and "exp" in str(e.value)


def test_unsupported_primitive_in_callable_names_it():
    tb = ab.taylor_bounds(lambda x: jnp.arctan2(x, 2.0))
    with pytest.raises(ab.UnsupportedOperation) as e:
        tb(0.5, (0.0, 1.0))
    assert "atan2" in str(e.value)


@pytest.mark.parametrize(
    "x0,region,msg",
    [
        (2.0, (0.0, 1.0), "outside"),
        (0.5, (1.0, 0.0), "reversed"),
        (float("nan"), (0.0, 1.0), "finite"),
        (0.5, (0.0, float("inf")), "finite"),
        (0.5, (float("nan"), 1.0), "finite"),
        (0.5, 1.0, "pair"),
    ],
)
def test_invalid_region_raises(x0, region, msg):
    with pytest.raises(ab.InvalidRegion, match=msg):
        ab.taylor_bounds("exp(x)")(x0, region)


@pytest.mark.parametrize(("dtype", "x0"), [("float64", 1e-310), ("float32", 1e-40)])
def test_x0_below_the_smallest_normal_number_raises(dtype, x0):
    with pytest.raises(ab.InvalidRegion, match=f"smallest normal {dtype}"):
        ab.taylor_bounds("exp(x)", dtype=dtype)(x0, (0.0, 1.0))


def test_shape_mismatch_between_x0_and_variables():
    tb = ab.taylor_bounds("exp(x)*sin(y)")
    with pytest.raises(ab.ShapeMismatch):
        tb(0.5, (0.0, 1.0))
    with pytest.raises(ab.ShapeMismatch):
        tb(np.array([0.1, 0.2]), (np.zeros(3), np.ones(3)))


def test_unknown_variable_in_string():
    with pytest.raises(ab.ParseError, match="z"):
        ab.taylor_bounds("exp(x) + z", variables=["x"])


@pytest.mark.parametrize("degree", [-1, 1.5, "2"])
def test_bad_degree(degree):
    with pytest.raises(ab.InvalidArgument):
        ab.taylor_bounds("exp(x)", degree=degree)


def test_bad_rounding_mode():
    with pytest.raises(ab.InvalidArgument, match="rounding"):
        ab.taylor_bounds("exp(x)", rounding="up")


@pytest.mark.parametrize(
    "expr,region",
    [
        ("log(x)", (-1.0, 1.0)),
        ("log(x)", (0.0, 1.0)),
        ("sqrt(x)", (-1.0, 1.0)),
        ("asin(x)", (0.0, 2.0)),
        ("acos(2*x)", (0.0, 1.0)),
        ("1/x", (-1.0, 1.0)),
        ("tan(x)", (1.0, 2.0)),
        ("log(1 - x)", (0.0, 1.5)),
    ],
)
@pytest.mark.parametrize("degree", [0, 2])
def test_domain_error_when_region_leaves_domain(expr, region, degree):
    x0 = 0.5 * (region[0] + region[1])
    with pytest.raises(ab.DomainError):
        ab.taylor_bounds(expr, degree=degree)(x0, region)


def test_domain_error_when_x0_sits_where_the_function_has_no_derivative():
    assert ab.taylor_bounds("sqrt(x)", degree=0)(0.0, (0.0, 1.0)).coefficients  # fine
    with pytest.raises(ab.DomainError, match="no derivatives"):
        ab.taylor_bounds("sqrt(x)", degree=2)(0.0, (0.0, 1.0))


def test_batch_reports_domain_flags_instead_of_raising():
    tb = ab.taylor_bounds("log(x)", degree=2, rounding="outward")
    coeffs, flags = tb.batch(
        np.array([0.5, 0.5]), np.array([0.1, -0.1]), np.array([1.0, 1.0]), return_flags=True
    )
    assert list(np.asarray(flags["log"])) == [False, True]
    last = coeffs[2]
    assert np.isfinite(last.lo[0]) and not np.isfinite(last.lo[1]) or not np.isfinite(last.hi[1])
