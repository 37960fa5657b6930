"""The names of the elementwise functions: the part of their records that needs no JAX.

Each elementwise function has one record of its mathematics,
:class:`autobound.rules.functions.FunctionSpec` (series, domain, kernel, critical points),
which carries one :class:`FunctionNames`: its op name and doc, and the names the front ends
read it under.  These live here, in a module that imports neither JAX, mpmath nor sympy, so
that :mod:`autobound.ops` (read by :mod:`verify` without the JAX lowering) and the front ends
can derive their tables from them.  :data:`FUNCTION_NAMES` lists them in registry order; the
derived tables are ``ops.OPS`` (the elementwise entries), ``jax_frontend._UNARY`` and
``sympy_frontend._USER_NAMES`` / ``_UNARY_OPS``.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FUNCTION_NAMES", "FunctionNames"]


@dataclass(frozen=True)
class FunctionNames:
    """How an elementwise function is named, documented and recognised.

    **Fields:**

    - `name`: the op name in graphs (``"sigmoid"``).
    - `doc`: the mathematics, with the domain (``"1 / (1 + exp(-x))"``).
    - `params`: names of the op's parameters (``("alpha",)`` for leaky_relu).
    - `jax`: JAX primitives that are this op (``("logistic",)`` for sigmoid); empty when JAX
      has no such primitive (softplus, gelu, ... are traced through their bodies).
    - `strings`: names a user may write in a string expression (``("atan", "arctan")``);
      default ``(name,)``.
    - `sympy`: the sympy function those names stand for (an attribute of :mod:`sympy`:
      ``"atan"``, ``"Abs"``), or None when sympy has none (or would rewrite it, as it does
      ``cbrt(x)`` into ``x**(1/3)``): then each string name is an undefined sympy Function of
      that name and reaches the graph under it.
    - `sympy_heads`: names of the sympy function classes converted to this op (default: the
      class of `sympy`, or the `strings` for an undefined function); ``()`` where the sympy
      front end has a rule of its own (log with a base, leaky_relu with a slope).
    """

    name: str
    doc: str
    params: tuple[str, ...] = ()
    jax: tuple[str, ...] = ()
    strings: tuple[str, ...] | None = None
    sympy: str | None = None
    sympy_heads: tuple[str, ...] | None = None

    @property
    def user_names(self) -> tuple[str, ...]:
        return self.strings if self.strings is not None else (self.name,)

    @property
    def heads(self) -> tuple[str, ...]:
        if self.sympy_heads is not None:
            return self.sympy_heads
        return (self.sympy,) if self.sympy is not None else self.user_names


_F = FunctionNames

FUNCTION_NAMES: dict[str, FunctionNames] = {
    f.name: f
    for f in [
        _F("exp", "exp(x)", jax=("exp",), sympy="exp"),
        _F("log", "natural logarithm, x > 0", jax=("log",), strings=("log", "ln"), sympy="log",
           sympy_heads=()),
        _F("log1p", "log(1 + x), x > -1", jax=("log1p",)),
        _F("expm1", "exp(x) - 1", jax=("expm1",)),
        _F("sqrt", "sqrt(x), x >= 0", jax=("sqrt",), sympy="sqrt", sympy_heads=("Sqrt",)),
        _F("rsqrt", "1/sqrt(x), x > 0", jax=("rsqrt",)),
        _F("cbrt", "real cube root", jax=("cbrt",), sympy_heads=("cbrt", "Cbrt")),
        _F("abs", "|x|", jax=("abs",), strings=("abs", "Abs"), sympy="Abs"),
        _F("sin", "sin(x)", jax=("sin",), sympy="sin"),
        _F("cos", "cos(x)", jax=("cos",), sympy="cos"),
        _F("tan", "tan(x), x not at a pole", jax=("tan",), sympy="tan"),
        _F("atan", "arctan(x)", jax=("atan",), strings=("atan", "arctan"), sympy="atan"),
        _F("asin", "arcsin(x), -1 <= x <= 1", jax=("asin",), strings=("asin", "arcsin"),
           sympy="asin"),
        _F("acos", "arccos(x), -1 <= x <= 1", jax=("acos",), strings=("acos", "arccos"),
           sympy="acos"),
        _F("asinh", "arsinh(x) = log(x + sqrt(x**2 + 1))", jax=("asinh",),
           strings=("asinh", "arcsinh"), sympy="asinh"),
        _F("atanh", "artanh(x) = log((1 + x)/(1 - x))/2, -1 < x < 1", jax=("atanh",),
           strings=("atanh", "arctanh"), sympy="atanh"),
        _F("sinh", "sinh(x)", jax=("sinh",), sympy="sinh"),
        _F("cosh", "cosh(x)", jax=("cosh",), sympy="cosh"),
        _F("tanh", "tanh(x)", jax=("tanh",), sympy="tanh"),
        _F("sigmoid", "1 / (1 + exp(-x))", jax=("logistic",)),
        _F("softplus", "log(1 + exp(x))"),
        _F("swish", "x * sigmoid(x) (also called silu)", strings=("swish", "silu")),
        _F("gelu", "x * (1 + erf(x / sqrt(2))) / 2 (exact, erf form)"),
        _F("erf", "2/sqrt(pi) * integral_0^x exp(-t^2) dt", jax=("erf",), sympy="erf"),
        _F("relu", "max(x, 0)"),
        _F("square", "x**2", jax=("square",)),
        _F("leaky_relu", "x if x >= 0 else alpha*x", ("alpha",), sympy_heads=()),
    ]
}  # fmt: skip
"""Every elementwise op's names, in registry order (:func:`autobound.ops.elementwise_ops`)."""
