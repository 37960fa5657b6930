"""Sympy expressions and strings -> :class:`~autobound.graph.ExprGraph`.

The graph computes exactly the function the expression denotes, over the reals:

* numbers stay exact: sympy ``Integer``/``Rational`` become ``Fraction`` constants, a decimal
  in a string (``"0.1"``) is read as the exact decimal ``1/10``, and a sympy ``Float`` as the
  shortest decimal that rounds to it (``Float(0.1)`` -> ``1/10``);
* constants such as ``pi`` and ``E`` become exact subgraphs (``4*atan(1)``, ``exp(1)``) that
  the engine encloses later with rigorous rounding; nothing is rounded here;
* ``x**(1/3)`` keeps sympy's meaning (the principal branch, defined for ``x > 0``), while an
  explicit ``cbrt(x)`` in a string is the real cube root.

Variables are ordered by ``variables=`` or else by name (natural order: ``x2`` before
``x10``).  One variable gives an input node of shape ``()``; ``n`` variables give an input of
shape ``(n,)`` and each variable is a ``take`` of it.
"""

from __future__ import annotations

import functools
import io
import keyword
import math
import re
import sys
import tokenize
from collections.abc import Callable, Iterable, Sequence
from fractions import Fraction
from typing import Any

import sympy
from sympy.core.function import Application, AppliedUndef
from sympy.parsing.sympy_parser import (
    convert_xor,
    function_exponentiation,
    implicit_application,
    implicit_multiplication,
    parse_expr,
    rationalize,
    split_symbols_custom,
    standard_transformations,
)

from autobound.errors import (
    MAX_CONSTANT_BITS,
    AutoBoundError,
    ParseError,
    ResourceLimit,
    UnsupportedOperation,
    shown,
)
from autobound.function_names import FUNCTION_NAMES, FunctionNames
from autobound.graph import ExprGraph

__all__ = [
    "SUPPORTED_FUNCTIONS",
    "expr_from_string",
    "graph_from_string",
    "graph_from_sympy",
    "variables_of",
]

Variables = Iterable[sympy.Symbol | str] | str | None

# Functions sympy lacks (or would rewrite, as it does cbrt(x) -> x**(1/3)) stay undefined
# sympy Functions, so that they parse and reach the graph under their own name.  The
# elementwise functions' names come from their records (FunctionNames.strings and .sympy).
_UNDEFINED = "exp2 log2 log10 hypot".split()


def _sympy_function(f: FunctionNames, name: str) -> Any:
    return getattr(sympy, f.sympy) if f.sympy is not None else sympy.Function(name)


def _where(cond: Any, if_true: Any, if_false: Any) -> sympy.Piecewise:
    """``where(x < 1, x**2, 2*x - 1)`` in strings: ``Piecewise((if_true, cond), (if_false,
    True))``."""
    return sympy.Piecewise((if_true, cond), (if_false, True))


_USER_NAMES: dict[str, Any] = {
    **{name: sympy.Function(name) for name in _UNDEFINED},
    **{n: _sympy_function(f, n) for f in FUNCTION_NAMES.values() for n in f.user_names},
    "sec": sympy.sec,
    "csc": sympy.csc,
    "cot": sympy.cot,
    "sech": sympy.sech,
    "csch": sympy.csch,
    "coth": sympy.coth,
    "acosh": sympy.acosh,
    "arccosh": sympy.acosh,
    "max": sympy.Max,
    "Max": sympy.Max,
    "min": sympy.Min,
    "Min": sympy.Min,
    "where": _where,
    "floor": sympy.floor,
    "ceil": sympy.ceiling,
    "ceiling": sympy.ceiling,
    "frac": sympy.frac,
    "pi": sympy.pi,
    "π": sympy.pi,
    "E": sympy.E,
}

# What the generated parser code may name: sympy's number and symbol constructors, no builtins.
_PARSER_GLOBALS = {
    "Symbol": sympy.Symbol,
    "Function": sympy.Function,
    "Integer": sympy.Integer,
    "Float": sympy.Float,
    "Rational": sympy.Rational,
    "Number": sympy.Number,
}

# What parse_expr(..., evaluate=False) writes besides (the unevaluated operators).
_UNEVALUATED_GLOBALS = {
    "Add": sympy.Add,
    "Mul": sympy.Mul,
    "Pow": sympy.Pow,
    **{name: getattr(sympy, name) for name in ("Lt", "Le", "Gt", "Ge")},
}

_ALLOWED_OPS = frozenset({"+", "-", "*", "/", "**", "^", "(", ")", ",", "<", ">", "<=", ">="})
_LAYOUT_TOKENS = frozenset({tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER})

MAX_NESTING = 150
"""Parentheses nested deeper than this are refused before parsing: Python's parser stops at
200 levels, and past that sympy's token transformations recurse for seconds (2,000 levels:
10 s) before running out of stack."""

_DEFAULT_LEAKY_SLOPE = Fraction(1, 100)  # jax.nn.leaky_relu's default negative_slope


# -- public functions ---------------------------------------------------------------------


def expr_from_string(text: str, variables: Variables = None) -> sympy.Expr:
    """Parse `text` into a sympy expression, numbers exact.

    Accepted: numbers (decimals read exactly), names, ``+ - * / ** ^ ( ) ,``, implicit
    multiplication (``2x``, ``x y``, ``2(x+1)``, ``exp(x)sin(y)``), implicit application
    (``sin x``), the functions of :data:`SUPPORTED_FUNCTIONS`, and ``where(u < v, a, b)``
    (``<``, ``<=``, ``>``, ``>=``: a sympy ``Piecewise``).  Anything else (attribute
    access, indexing, keywords, names starting with ``_``) is rejected before sympy sees the
    text, and the parser runs without Python builtins.

    A multi-letter name is one variable (``rate``), except that with `variables` given a
    name made only of declared one-letter variables is their product (``xy`` -> ``x*y``).

    **Raises:** :class:`~autobound.errors.ParseError` for text that cannot be read or, when
    `variables` is given, names a variable not among them.
    """
    if not isinstance(text, str):
        raise ParseError(f"expected an expression string, got {type(text).__name__}")
    listed = _as_list(variables)
    try:  # expressions are immutable: a text read once is read again from the cache
        return _parsed(text, None if listed is None else tuple(listed))
    except TypeError:  # an unhashable variable
        return _parse(text, listed)


@functools.lru_cache(maxsize=256)
def _parsed(text: str, variables: tuple[sympy.Symbol | str, ...] | None) -> sympy.Expr:
    return _parse(text, None if variables is None else list(variables))


def _parse(text: str, variables: list[sympy.Symbol | str] | None) -> sympy.Expr:
    """:func:`expr_from_string` without the cache."""
    if not text.strip():
        raise ParseError(f"cannot parse {shown(text)}: the expression is empty")
    tokens = _checked_tokens(text)
    declared = None if variables is None else _variable_names(variables)
    local = dict(_USER_NAMES)
    # A name called like a function that we do not know stays a function (so that it is
    # reported as unsupported), not a variable times a parenthesis as implicit
    # multiplication would have it.
    for tok, nxt in zip(tokens, tokens[1:], strict=False):
        if tok.type == tokenize.NAME and nxt.string == "(" and tok.string not in local:
            local[tok.string] = sympy.Function(tok.string)
    if declared is not None:
        given = {str(v): v for v in variables if isinstance(v, sympy.Symbol)}
        local.update({name: given.get(name, sympy.Symbol(name)) for name in declared})
    letters = set() if declared is None else {name for name in declared if len(name) == 1}

    def splittable(name: str) -> bool:
        return len(name) > 1 and all(ch in letters for ch in name)

    transformations = standard_transformations + (
        convert_xor,
        split_symbols_custom(splittable),
        implicit_multiplication,
        implicit_application,
        function_exponentiation,
        rationalize,
    )

    def parse(piece: str) -> Any:
        def run(evaluate: bool) -> Any:
            return parse_expr(
                piece,
                local_dict=local,
                global_dict={
                    "__builtins__": {},
                    **_PARSER_GLOBALS,
                    **({} if evaluate else _UNEVALUATED_GLOBALS),
                },
                transformations=transformations,
                evaluate=evaluate,
            )

        # Sympy computes exact numbers as it parses (9^9^9 has 3.7e8 digits): read the
        # text unevaluated first and refuse a constant too long to compute.
        _check_exact_sizes(run(False))
        return run(True)

    try:
        # A long sum is parsed in chunks of terms: Python's parser nests a + b + c + ...
        # one level per term and gives up past about a thousand.
        pieces = _sum_chunks(text.strip(), tokens)
        expr = parse(text) if pieces is None else sympy.Add(*(parse(p) for p in pieces))
    except AutoBoundError:
        raise
    except RecursionError:
        raise ResourceLimit(
            f"cannot parse {shown(text)}: it nests too deeply for the parser (Python's "
            f"recursion limit, {sys.getrecursionlimit()}); a long sum of terms is fine"
        ) from None
    except Exception as err:  # sympy raises SyntaxError, TypeError, TokenError, ...
        raise ParseError(f"cannot parse {shown(text)}: {_short(err)}") from None
    if not isinstance(expr, sympy.Expr):
        raise ParseError(
            f"{shown(text)} is not a single real expression (got {shown(str(expr), 60)})"
        )
    if declared is not None:
        _check_known(expr, declared, text)
    return expr


def graph_from_string(text: str, variables: Variables = None, dtype: str = "float64") -> ExprGraph:
    """The :class:`~autobound.graph.ExprGraph` of the expression `text`.

    See :func:`expr_from_string` for the syntax and :func:`graph_from_sympy` for the graph.

    **Example:**

    ```python
    >>> g = graph_from_string("1.5 exp(3x) - 25x^2")
    >>> g.input_names, g.shape(g.input)
    (('x',), ())
    ```

    **Raises:** :class:`~autobound.errors.ParseError` (unreadable text, unknown variable),
    :class:`~autobound.errors.UnsupportedOperation` (a function with no enclosure rule).
    """
    variables = _as_list(variables)
    expr = expr_from_string(text, variables)
    return graph_from_sympy(expr, variables, dtype)


def graph_from_sympy(
    expr: sympy.Expr | str | int | float | Fraction,
    variables: Variables = None,
    dtype: str = "float64",
) -> ExprGraph:
    """The :class:`~autobound.graph.ExprGraph` computing the real function `expr` denotes.

    **Arguments:**

    - `expr`: a sympy expression (a string is parsed with :func:`expr_from_string`), or a
      list of them: the graph's output is then the vector of their values, shape ``(m,)``.
    - `variables`: the variables in input order, as Symbols or names (or one string of
      names separated by spaces or commas); default: the free symbols of `expr` by name.
      A variable may be absent from `expr`.
    - `dtype`: the graph's float dtype.

    The input node has shape ``()`` for one variable (or none) and ``(n,)`` for `n`.

    **Raises:** :class:`~autobound.errors.ParseError` when `expr` uses a symbol not in
    `variables` or is not a finite real expression;
    :class:`~autobound.errors.UnsupportedOperation` naming a function with no rule.
    """
    if isinstance(expr, (list, tuple)):
        return _vector_graph(expr, variables, dtype)
    if isinstance(expr, str):
        return graph_from_string(expr, variables, dtype)
    if isinstance(expr, Fraction):
        expr = sympy.Rational(expr.numerator, expr.denominator)
    try:
        expr = sympy.sympify(expr, strict=True)
    except sympy.SympifyError as err:
        raise ParseError(f"cannot read {expr!r} as a sympy expression: {err}") from None
    if not isinstance(expr, sympy.Expr):
        raise ParseError(f"{expr!r} is not a single real expression")
    variables = _as_list(variables)
    if variables is None:
        names = tuple(str(s) for s in variables_of(expr))
    else:
        names = _variable_names(variables)
        _check_known(expr, names, str(expr))
    graph = ExprGraph(dtype=dtype)
    x = graph.add_input(() if len(names) <= 1 else (len(names),), names)
    node = _Converter(graph, x, names).node(expr)
    graph.set_output(node)
    return graph


def _vector_graph(exprs: Sequence[Any], variables: Variables, dtype: str) -> ExprGraph:
    """One graph for several sympy expressions, output of shape ``(len(exprs),)``; equal
    subexpressions are one node (a gradient's partials share most of their work)."""
    if not exprs:
        raise ParseError("an empty list of expressions")
    try:
        exprs = [sympy.sympify(e, strict=True) for e in exprs]
    except sympy.SympifyError as err:
        raise ParseError(f"cannot read an entry as a sympy expression: {err}") from None
    if not all(isinstance(e, sympy.Expr) for e in exprs):
        raise ParseError("every entry must be a single real expression")
    variables = _as_list(variables)
    if variables is None:
        symbols = set().union(*(e.free_symbols for e in exprs))
        names = tuple(sorted((str(s) for s in symbols), key=_natural_key))
    else:
        names = _variable_names(variables)
        for e in exprs:
            _check_known(e, names, str(e))
    graph = ExprGraph(dtype=dtype)
    x = graph.add_input(() if len(names) <= 1 else (len(names),), names)
    converter = _Converter(graph, x, names)
    flat = [graph.add("reshape", [converter.node(e)], {"shape": (1,)}, (1,), dtype) for e in exprs]
    graph.set_output(graph.add("concatenate", flat, {"dimension": 0}, (len(flat),), dtype))
    return graph


def variables_of(expr: sympy.Expr | str) -> tuple[sympy.Symbol, ...]:
    """The free symbols of `expr` (a string is parsed first) in the default input order.

    The order is by name, comparing runs of digits as numbers: ``x2`` comes before ``x10``.
    """
    if isinstance(expr, str):
        expr = expr_from_string(expr)
    return tuple(sorted(expr.free_symbols, key=lambda s: _natural_key(str(s))))


# -- parsing helpers ----------------------------------------------------------------------


_CHUNK_TERMS = 100


def _sum_chunks(text: str, tokens: list[tokenize.TokenInfo]) -> list[str] | None:
    """`text` (as tokenized) cut at binary ``+``/``-`` outside parentheses into pieces of
    :data:`_CHUNK_TERMS` terms, each piece starting with its sign; None when the sum is
    shorter than that (parsed whole).  A sign is binary when it follows a number, a name or
    a closing parenthesis."""
    starts = [0]
    offset = 0
    for line in text.splitlines(keepends=True):
        offset += len(line)
        starts.append(offset)
    cuts, depth, previous = [], 0, None
    for tok in tokens:
        if tok.type in _LAYOUT_TOKENS:
            continue
        if tok.string == "(":
            depth += 1
        elif tok.string == ")":
            depth -= 1
        elif tok.string in "+-" and depth == 0 and previous is not None:
            if previous.type in (tokenize.NAME, tokenize.NUMBER) or previous.string == ")":
                cuts.append(starts[tok.start[0] - 1] + tok.start[1])
        previous = tok
    if len(cuts) < _CHUNK_TERMS:
        return None
    ends = [0, *cuts[_CHUNK_TERMS - 1 :: _CHUNK_TERMS], len(text)]
    return [text[a:b] for a, b in zip(ends, ends[1:], strict=False) if text[a:b].strip()]


def _short(err: Exception) -> str:
    """An exception's message on one line, cut to 200 characters."""
    text = " ".join(str(err).split())
    return text if len(text) <= 200 else text[:200] + "..."


_MAX_CONSTANT_DIGITS = int(MAX_CONSTANT_BITS * math.log10(2))
_CONSTANT_LIMIT = (
    f"exact constants are limited to {MAX_CONSTANT_BITS} bits ({_MAX_CONSTANT_DIGITS:,} digits)"
)
_MAX_NUMBER_CHARS = _MAX_CONSTANT_DIGITS + 40  # digits, point, exponent
_DECIMAL_EXPONENT = re.compile(r"[eE]([+-]?[0-9_]+)$")


def _check_exact_sizes(expr: Any) -> None:
    """Refuse an unevaluated expression whose exact rational constants would exceed
    :data:`~autobound.errors.MAX_CONSTANT_BITS` bits once sympy evaluates them.

    The size of an exact rational is estimated bottom-up in bits (numerator or denominator):
    an integer or rational its own; a sum or product at most the sum of its terms' (plus one
    per term); ``b**e`` with b rational and e an integer about ``bits(b)·|e|`` (1 when b is
    0 or ±1).  Parts with symbols or transcendental constants are not rational and stay
    symbolic in sympy; their exponents are still checked.  Iterative: deep sums are fine.
    """
    if not isinstance(expr, sympy.Basic):
        return
    bits: dict[sympy.Basic, float | None] = {}  # None: not an exact rational
    stack: list[tuple[sympy.Basic, bool]] = [(expr, False)]
    while stack:
        node, ready = stack.pop()
        if node in bits:
            continue
        if not ready:
            stack.append((node, True))
            stack.extend((a, False) for a in node.args if a not in bits)
            continue
        bits[node] = size = _node_bits(node, [bits.get(a) for a in node.args])
        if size is not None and size > MAX_CONSTANT_BITS:
            raise ResourceLimit(
                f"the exact constant {shown(str(node), 60)} would have about "
                f"{size * math.log10(2):,.0f} digits: {_CONSTANT_LIMIT}"
            )


def _node_bits(node: sympy.Basic, args: list[float | None]) -> float | None:
    if isinstance(node, sympy.Rational):
        p, q = abs(int(node.p)), int(node.q)
        return max(math.log2(p) if p else 0.0, math.log2(q), 1.0)
    if isinstance(node, sympy.Float):
        return 64.0
    if isinstance(node, (sympy.Add, sympy.Mul)):
        if any(a is None for a in args):
            return None
        return sum(args) + len(args)
    if isinstance(node, sympy.Pow) and args[0] is not None and args[1] is not None:
        base, exponent = node.args
        value = _small_value(exponent)
        if value is None or not value.is_integer():
            return None  # a root: not rational, or as long as its base
        if _small_value(base) in (0.0, 1.0, -1.0):
            return 1.0
        return args[0] * abs(value)
    return None


def _small_value(expr: sympy.Basic) -> float | None:
    """The float value of an exact rational expression already checked to be small enough
    to compute (inf when beyond the float range), None when it is not a real number."""
    try:
        value = expr.doit() if not expr.is_Number else expr
        return float(value) if value.is_real else None
    except OverflowError:
        return math.inf
    except (TypeError, ValueError):
        return None


def _natural_key(name: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name))


def _checked_tokens(text: str) -> list[tokenize.TokenInfo]:
    """The tokens of `text`; any token a real expression does not need is rejected."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text.strip()).readline))
    except (tokenize.TokenError, SyntaxError) as err:
        raise ParseError(f"cannot parse {shown(text)}: {_short(err)}") from None
    depth = 0
    for tok in tokens:
        if tok.type in _LAYOUT_TOKENS:
            continue
        if tok.type == tokenize.OP and tok.string in ("(", ")"):
            depth += 1 if tok.string == "(" else -1
            if depth > MAX_NESTING:
                raise ResourceLimit(
                    f"cannot parse {shown(text)}: it nests too deeply (parentheses more "
                    f"than {MAX_NESTING} levels deep); a long sum of terms is fine"
                )
        if tok.type == tokenize.NUMBER and tok.string[-1] not in "jJ":
            # 1e999999 is short, but its exact value has a million digits
            decimal = tok.string[:2].lower() not in ("0x", "0o", "0b")
            exponent = _DECIMAL_EXPONENT.search(tok.string) if decimal else None
            if exponent and abs(int(exponent.group(1))) > _MAX_NUMBER_CHARS:
                raise ResourceLimit(
                    f"the number {shown(tok.string, 40)} in {shown(text)} has a decimal "
                    f"exponent beyond {_MAX_NUMBER_CHARS:,}: {_CONSTANT_LIMIT}"
                )
            if len(tok.string) > _MAX_NUMBER_CHARS:
                raise ResourceLimit(
                    f"a number of {len(tok.string):,} characters in {shown(text)}: "
                    f"{_CONSTANT_LIMIT}"
                )
            continue
        if tok.type == tokenize.NAME and not tok.string.startswith("_"):
            if not keyword.iskeyword(tok.string):
                continue
        if tok.type == tokenize.OP and tok.string in _ALLOWED_OPS:
            continue
        raise ParseError(
            f"cannot parse {shown(text)}: {tok.string!r} is not allowed in an expression "
            "(use numbers, names, + - * / ** ^, parentheses, and < > <= >= inside where)"
        )
    return tokens


def _as_list(variables: Variables) -> list[sympy.Symbol | str] | None:
    """Variables as a list; a string is a list of names separated by spaces or commas."""
    if variables is None:
        return None
    if isinstance(variables, str):
        return variables.replace(",", " ").split()
    return list(variables)


def _variable_names(variables: Iterable[sympy.Symbol | str]) -> tuple[str, ...]:
    names = []
    for v in variables:
        if not isinstance(v, (str, sympy.Symbol)):
            raise ParseError(f"a variable must be a sympy Symbol or a name, got {v!r}")
        names.append(str(v))
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ParseError(f"variables declared twice: {', '.join(duplicates)}")
    return tuple(names)


def _check_known(expr: sympy.Expr, names: Sequence[str], text: str) -> None:
    unknown = sorted({str(s) for s in expr.free_symbols} - set(names), key=_natural_key)
    if unknown:
        raise ParseError(
            f"unknown variable{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} in "
            f"{shown(text)}; declared variables: {', '.join(names) or '(none)'}"
        )


def _decimal_fraction(value: sympy.Float) -> Fraction:
    """The decimal a Float was most likely written as (its shortest round-tripping form)."""
    if not value.is_finite:
        raise ParseError(f"{value} is not a finite real number")
    if value._prec == 53:
        return Fraction(repr(float(value)))
    return Fraction(str(value))


# -- conversion ---------------------------------------------------------------------------


class _Converter:
    """Turns sympy subexpressions into graph nodes (memoized per subexpression)."""

    def __init__(self, graph: ExprGraph, x: int, names: Sequence[str]):
        self.g = graph
        self.x = x
        self.index = {name: i for i, name in enumerate(names)}
        self.memo: dict[sympy.Basic, int] = {}

    def node(self, expr: sympy.Basic) -> int:
        if expr not in self.memo:
            for cls in type(expr).__mro__:
                if cls in _TYPE_RULES:
                    self.memo[expr] = _TYPE_RULES[cls](self, expr)
                    break
            else:
                raise UnsupportedOperation(type(expr).__name__, SUPPORTED_FUNCTIONS)
        return self.memo[expr]

    def add(self, op: str, *args: int, **params: Any) -> int:
        return self.g.add(op, args, params)

    def const(self, value: Fraction | int) -> int:
        return self.g.add_constant(Fraction(value))

    def chain(self, op: str, nodes: Sequence[int]) -> int:
        acc = nodes[0]
        for n in nodes[1:]:
            acc = self.add(op, acc, n)
        return acc


def _symbol(c: _Converter, expr: sympy.Symbol) -> int:
    name = str(expr)
    if name not in c.index:
        raise ParseError(f"unknown variable {name}")
    if len(c.index) == 1:
        return c.x
    return c.g.add("take", [c.x], {"indices": (c.index[name],), "shape": ()}, shape=())


def _rational(c: _Converter, expr: sympy.Rational) -> int:
    return c.const(Fraction(int(expr.p), int(expr.q)))


def _float(c: _Converter, expr: sympy.Float) -> int:
    return c.const(_decimal_fraction(expr))


def _not_finite(c: _Converter, expr: sympy.Number) -> int:
    raise ParseError(
        f"the expression evaluates to {expr}, which is not a finite real number "
        "(a division by zero such as 1/0, or an infinite constant)"
    )


def _number_symbol(c: _Converter, expr: sympy.NumberSymbol) -> int:
    if expr == sympy.pi:
        return c.add("mul", c.const(4), c.add("atan", c.const(1)))
    if expr == sympy.E:
        return c.add("exp", c.const(1))
    closed = expr.rewrite(sympy.sqrt)  # e.g. GoldenRatio -> 1/2 + sqrt(5)/2
    if closed != expr:
        return c.node(closed)
    raise UnsupportedOperation(str(expr), SUPPORTED_FUNCTIONS, "no exact closed form")


def _add(c: _Converter, expr: sympy.Add) -> int:
    plus, minus = [], []
    for term in expr.args:
        coeff, _ = term.as_coeff_Mul()
        (minus if coeff.is_negative else plus).append(term)
    if plus:
        acc = c.chain("add", [c.node(t) for t in plus])
    else:
        acc = c.add("neg", c.node(-minus.pop(0)))
    for term in minus:
        acc = c.add("sub", acc, c.node(-term))
    return acc


def _product(c: _Converter, factors: Sequence[sympy.Expr]) -> int:
    """The node of a product of factors, reciprocals (power −1) going to a denominator; other
    negative integer powers stay factors with their own sharp rule (1/square(x) would lose
    the pole's structure and be refused near 0)."""
    num, den = [], []
    for f in factors:
        if isinstance(f, sympy.Pow) and f.exp == -1:
            den.append(c.node(f.base))
        else:
            num.append(c.node(f))
    top = c.chain("mul", num) if num else c.const(1)
    return c.add("div", top, c.chain("mul", den)) if den else top


def _mul(c: _Converter, expr: sympy.Mul) -> int:
    coeff, rest = expr.as_coeff_Mul()
    factors = list(sympy.Mul.make_args(rest))
    if coeff == -1:
        return c.add("neg", _product(c, factors))
    if coeff != 1:
        factors.insert(0, coeff)
    return _product(c, factors)


def _pow(c: _Converter, expr: sympy.Pow) -> int:
    base, e = expr.base, expr.exp
    if e.is_Float:
        q = _decimal_fraction(e)
        e = sympy.Rational(q.numerator, q.denominator)
    if e.is_Integer:
        n = int(e)
        if n == -1:
            return _product(c, [expr])
        return c.add("square", c.node(base)) if n == 2 else c.add("integer_pow", c.node(base), n=n)
    if e == sympy.Rational(1, 2):
        return c.add("sqrt", c.node(base))
    if e == sympy.Rational(-1, 2):
        return c.add("rsqrt", c.node(base))
    if not e.free_symbols:  # a constant exponent: a real power, base > 0
        return c.add("pow", c.node(base), c.node(e))
    return c.add("exp", c.add("mul", c.node(e), c.add("log", c.node(base))))


def _function(c: _Converter, expr: sympy.Expr) -> int:
    name = expr.func.__name__
    try:
        arity, rule = _FUNCTION_RULES[name]
    except KeyError:
        detail = ""
        if isinstance(expr, AppliedUndef):
            detail = f"unknown function; if {name} is a variable, write {name}*(...)"
        raise UnsupportedOperation(name, SUPPORTED_FUNCTIONS, detail) from None
    args = expr.args
    if arity is not None and len(args) not in arity:
        want = " or ".join(str(a) for a in sorted(arity))
        raise ParseError(f"{name} takes {want} argument(s), got {len(args)} in {expr}")
    return rule(c, args)


def _comparison(c: _Converter, expr: Any) -> int:
    raise ParseError(
        f"a comparison ({expr}) is only allowed as the condition of where(...) or Piecewise"
    )


_TYPE_RULES: dict[type, Callable[[_Converter, Any], int]] = {
    sympy.Symbol: _symbol,
    sympy.Rational: _rational,
    sympy.Float: _float,
    sympy.Number: _not_finite,  # oo, -oo, zoo, nan: every finite real Number is caught above
    sympy.core.numbers.ComplexInfinity: _not_finite,  # 1/0
    sympy.core.numbers.NaN: _not_finite,
    sympy.NumberSymbol: _number_symbol,
    sympy.Add: _add,
    sympy.Mul: _mul,
    sympy.Pow: _pow,
    Application: _function,  # applied functions: exp(x), Max(x, y), sigmoid(x), ...
    sympy.core.relational.Relational: _comparison,
    sympy.logic.boolalg.Boolean: _comparison,
}


def _elementwise(op: str) -> Callable[[_Converter, tuple], int]:
    return lambda c, args: c.add(op, c.node(args[0]))


def _log(c: _Converter, args: tuple) -> int:
    if len(args) == 1:
        return c.add("log", c.node(args[0]))
    return c.add("div", c.add("log", c.node(args[0])), c.add("log", c.node(args[1])))


def _log_base(base: int) -> Callable[[_Converter, tuple], int]:
    return lambda c, args: c.add("div", c.add("log", c.node(args[0])), c.add("log", c.const(base)))


def _exp2(c: _Converter, args: tuple) -> int:
    return c.add("exp", c.add("mul", c.node(args[0]), c.add("log", c.const(2))))


def _hypot(c: _Converter, args: tuple) -> int:
    x, y = (c.add("square", c.node(a)) for a in args)
    return c.add("sqrt", c.add("add", x, y))


def _leaky_relu(c: _Converter, args: tuple) -> int:
    alpha = _DEFAULT_LEAKY_SLOPE
    if len(args) == 2:
        slope = args[1]
        if slope.is_Float:
            alpha = _decimal_fraction(slope)
        elif slope.is_Rational:
            alpha = Fraction(int(slope.p), int(slope.q))
        else:
            raise ParseError(f"leaky_relu's slope must be a number, got {slope}")
    return c.g.add("leaky_relu", [c.node(args[0])], {"alpha": alpha})


def _reciprocal_of(op: str) -> Callable[[_Converter, tuple], int]:
    return lambda c, args: c.add("div", c.const(1), c.add(op, c.node(args[0])))


def _quotient_of(top: str, bottom: str) -> Callable[[_Converter, tuple], int]:
    def rule(c: _Converter, args: tuple) -> int:
        u = c.node(args[0])
        return c.add("div", c.add(top, u), c.add(bottom, u))

    return rule


# acosh by its logarithmic identity (exact; sound, not sharp; asinh and atanh are ops).
def _acosh(c: _Converter, args: tuple) -> int:
    x = args[0]
    return c.node(sympy.log(x + sympy.sqrt(x**2 - 1), evaluate=False))


_RELATIONS = {  # relation -> (lhs − rhs or rhs − lhs is the switch's s, strict)
    sympy.StrictGreaterThan: (False, True),
    sympy.GreaterThan: (False, False),
    sympy.StrictLessThan: (True, True),
    sympy.LessThan: (True, False),
}


def _piecewise(c: _Converter, args: tuple) -> int:
    """``Piecewise((a, u > v), ..., (b, True))`` as nested ``switch`` nodes on ``u − v``."""
    *branches, (last, otherwise) = args
    if otherwise is not sympy.true:
        raise ParseError(
            "a Piecewise must end with a branch (expr, True): f has to be defined everywhere"
        )
    acc = c.node(last)
    for expr, cond in reversed(branches):
        if cond is sympy.true:
            acc = c.node(expr)
            continue
        if type(cond) not in _RELATIONS:
            raise ParseError(
                f"a Piecewise condition must be one comparison with >, >=, < or <=, got {cond}"
            )
        flip, strict = _RELATIONS[type(cond)]
        u, v = (cond.rhs, cond.lhs) if flip else (cond.lhs, cond.rhs)
        s = c.add("sub", c.node(u), c.node(v))
        acc = c.g.add("switch", [s, c.node(expr), acc], {"strict": strict})
    return acc


def _step(kind: str) -> Callable[[_Converter, tuple], int]:
    return lambda c, args: c.g.add("step", [c.node(args[0])], {"kind": kind})


def _chain(op: str) -> Callable[[_Converter, tuple], int]:
    return lambda c, args: c.chain(op, [c.node(a) for a in args])


_ONE = frozenset({1})
# sympy function name -> elementwise op (FunctionNames.heads); Cbrt is
# sympy.codegen.cfunctions.Cbrt, the real cube root of C.
_UNARY_OPS = {head: f.name for f in FUNCTION_NAMES.values() for head in f.heads}

# name of the sympy function (class name, or an undefined Function's name)
#   -> (accepted argument counts, None = any; rule)
_FUNCTION_RULES: dict[str, tuple[frozenset[int] | None, Callable[[_Converter, tuple], int]]] = {
    **{name: (_ONE, _elementwise(op)) for name, op in _UNARY_OPS.items()},
    "log": (frozenset({1, 2}), _log),
    "log2": (_ONE, _log_base(2)),
    "log10": (_ONE, _log_base(10)),
    "exp2": (_ONE, _exp2),
    "hypot": (frozenset({2}), _hypot),
    "leaky_relu": (frozenset({1, 2}), _leaky_relu),
    "sec": (_ONE, _reciprocal_of("cos")),
    "csc": (_ONE, _reciprocal_of("sin")),
    "cot": (_ONE, _quotient_of("cos", "sin")),
    "sech": (_ONE, _reciprocal_of("cosh")),
    "csch": (_ONE, _reciprocal_of("sinh")),
    "coth": (_ONE, _quotient_of("cosh", "sinh")),
    "acosh": (_ONE, _acosh),
    "Piecewise": (None, _piecewise),
    "floor": (_ONE, _step("floor")),
    "ceiling": (_ONE, _step("ceil")),
    "frac": (_ONE, lambda c, args: c.node(args[0] - sympy.floor(args[0]))),
    "Max": (None, _chain("max")),
    "Min": (None, _chain("min")),
}

SUPPORTED_FUNCTIONS: tuple[str, ...] = tuple(
    sorted((set(_USER_NAMES) - {"pi", "π", "E"}) | set(_FUNCTION_RULES) | {"sqrt"})
)
"""Function names the front end accepts (in strings, and as sympy function names)."""
