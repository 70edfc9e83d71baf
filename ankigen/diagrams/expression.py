"""A formula in x for `plot function`: whitelisted text parsed by sympy into an expression (and
its derivative), and evaluated with numpy on the x values of a plot.

Text is scanned before sympy sees it, so only numbers, `x`, operators, parentheses, commas and
the allowed functions and constants reach sympy's evaluator; constant powers too large to compute
are refused before evaluation.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ankigen.diagrams.model import Params

if TYPE_CHECKING:
    import numpy as np
    import sympy  # type: ignore[import-untyped, unused-ignore]

MAX_LENGTH = 200
MAX_NUMBER_LENGTH = 20
MAX_EXPONENT = 1000  # a constant exponent beyond this is a typo or an attempt to exhaust memory
SAMPLES = 601
# fmt: off
FUNCTIONS = (
    "exp", "log", "sqrt", "sin", "cos", "tan", "sinh", "cosh", "tanh", "asin", "acos", "atan",
    "Abs", "Max", "Min", "Heaviside", "erf", "sign",
)
# fmt: on
CONSTANTS = ("x", "pi", "E")
ALLOWED = frozenset(FUNCTIONS + CONSTANTS)
_TOKEN = re.compile(
    r"(?P<space>[ \t]+)"
    r"|(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>\*\*|[-+*/^(),])",
    re.ASCII,
)


class FormulaError(ValueError):
    """A formula that is refused, with the 0-based character offset of the offence."""

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.offset = offset


def scan(text: str) -> None:
    """Refuse text that is not numbers, allowed names, operators, parentheses and commas.

    This runs before sympy sees the text, so nothing else (attributes, indexing, strings,
    lambdas, dunders, statements) can reach the evaluator.
    """
    text = text.replace("\n", " ")
    if not text.strip():
        raise FormulaError("the formula is empty")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"the formula is {len(text)} characters long; at most {MAX_LENGTH}")
    position, previous = 0, ""
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            char = text[position]
            raise FormulaError(
                f"{char!r} is not allowed in a formula (use numbers, x, "
                "+ - * / ** ^, parentheses and the allowed functions)",
                position,
            )
        kind, token = match.lastgroup, match.group()
        if kind == "name" and token not in ALLOWED:
            raise FormulaError(
                f"name {token!r} is not allowed (allowed: {', '.join(CONSTANTS + FUNCTIONS)})",
                position,
            )
        if kind == "name" and previous == "number":
            raise FormulaError(f"write a * between the number and {token!r}", position)
        if kind == "number" and len(token) > MAX_NUMBER_LENGTH:
            raise FormulaError(f"the number {token[:10]}... is too long", position)
        if kind != "space":
            previous = kind or ""
        position = match.end()


@functools.lru_cache(maxsize=512)
def analyse(text: str, derivative: bool) -> tuple[sympy.Expr, sympy.Expr | None]:
    """The formula and (if asked) its derivative in x; FormulaError for anything refused."""
    import sympy
    from sympy.parsing.sympy_parser import (  # type: ignore[import-untyped, unused-ignore]
        auto_number,
        convert_xor,
        parse_expr,
    )

    text = text.replace("\n", " ").strip()  # a long formula may be folded over lines
    scan(text)
    x = sympy.Symbol("x", real=True)
    names: dict[str, Any] = {name: getattr(sympy, name) for name in FUNCTIONS + CONSTANTS[1:]}

    def parse(evaluate: bool) -> Any:
        # Only the names the scanner allowed, and no builtins, are visible to sympy's eval.
        known = {
            "Integer": sympy.Integer,
            "Float": sympy.Float,
            "Rational": sympy.Rational,
            "Add": sympy.Add,
            "Mul": sympy.Mul,
            "Pow": sympy.Pow,
            "__builtins__": {},
        }
        return parse_expr(
            text,
            local_dict={**names, "x": x},
            global_dict=known,
            transformations=(auto_number, convert_xor),
            evaluate=evaluate,
        )

    try:
        _check_powers(parse(evaluate=False))
        expr = parse(evaluate=True)
    except FormulaError:
        raise
    except Exception as err:  # sympy raises many kinds for malformed text
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise FormulaError(f"the formula does not parse ({reason})") from None
    if not isinstance(expr, sympy.Expr) or expr.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise FormulaError("the formula is undefined or infinite (a division by zero?)")
    if expr.has(sympy.I):
        raise FormulaError("the formula has imaginary values")
    return expr, (sympy.diff(expr, x) if derivative else None)


def _check_powers(tree: Any) -> None:
    """Refuse constant powers whose exact value would take sympy too long to compute."""
    import sympy

    for node in sympy.preorder_traversal(tree):
        if not node.is_Pow or node.exp.free_symbols:
            continue
        exponent = _approx(node.exp)
        if math.isnan(exponent):
            raise FormulaError(f"the exponent {node.exp} has no real value")
        if math.isinf(exponent) or abs(exponent) > MAX_EXPONENT:
            raise FormulaError(f"the exponent {node.exp} is too large (at most {MAX_EXPONENT})")
        if not node.base.free_symbols and math.isinf(_approx(node)):
            raise FormulaError(f"the number {node} is too large")


_MATH: dict[str, Callable[..., float]] = {
    "exp": math.exp,
    "log": math.log,
    "sqrt": math.sqrt,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "sinh": math.sinh,
    "cosh": math.cosh,
    "tanh": math.tanh,
    "asin": math.asin,
    "acos": math.acos,
    "atan": math.atan,
    "Abs": abs,
    "Max": max,
    "Min": min,
    "erf": math.erf,
    "Heaviside": lambda v: float(v > 0),
    "sign": lambda v: float(v > 0) - float(v < 0),
}


def _approx(node: Any) -> float:
    """Estimate a constant unevaluated expression in floats (inf when it overflows)."""
    try:
        if node.is_Number or node.is_NumberSymbol:
            return float(node)
        args = [_approx(arg) for arg in node.args]
        if node.is_Add:
            return sum(args)
        if node.is_Mul:
            return math.prod(args)
        if node.is_Pow:
            return math.pow(args[0], args[1])
        function = _MATH.get(type(node).__name__)
        return float(function(*args)) if function else math.nan
    except OverflowError:
        return math.inf
    except (ValueError, TypeError, ZeroDivisionError):
        return math.nan


def values(expr: sympy.Expr, xs: np.ndarray) -> np.ndarray:
    """Evaluate a checked expression on `xs` with numpy; undefined points become NaN."""
    import numpy as np

    with np.errstate(all="ignore"):
        ys = np.asarray(_numeric(expr)(xs))
    ys = np.broadcast_to(ys, xs.shape)
    if np.iscomplexobj(ys):
        ys = np.where(np.abs(ys.imag) <= 1e-12, ys.real, np.nan)
    ys = np.array(ys, dtype=float)
    ys[~np.isfinite(ys)] = np.nan
    return ys


@functools.lru_cache(maxsize=512)
def _numeric(expr: sympy.Expr) -> Any:
    """Compile a checked expression with lambdify (numpy, plus erf and DiracDelta)."""
    import numpy as np
    import sympy

    extras = {
        "erf": np.vectorize(math.erf, otypes=[float]),
        # sympy's own printing of these goes through Piecewise and simplify: seconds per formula
        "Heaviside": lambda v, at_zero=0.5: np.heaviside(v, at_zero),
        "DiracDelta": lambda v, *order: np.where(v == 0, np.nan, 0.0),
    }
    return sympy.lambdify(sympy.Symbol("x", real=True), expr, modules=[extras, "numpy"])


def somewhere_finite(expr: sympy.Expr, span: list[float]) -> bool:
    """Whether the expression has at least one finite value on the sampled range."""
    import numpy as np

    return bool(np.isfinite(values(expr, samples({"range": span}))).any())


def samples(params: Params) -> np.ndarray:
    """The x values at which a plot is evaluated."""
    import numpy as np

    low, high = params["range"]
    return np.linspace(float(low), float(high), SAMPLES)
