"""Linear restrictions on coefficients written as text: ``"city = strong"``, ``"a + b = 0"``, ``"2*a - b = 1"``.

A restriction is a linear expression of the model's terms on each side of one ``=`` (none means ``= 0``).
Term names are matched as the model writes them, however they look (``post:city_x_rich``,
``village_type::A``, ``i(village_type, ref='C')``), the longest first; the remaining text may hold numbers,
``+``, ``-``, ``*``, ``/`` and parentheses. Anything else — a name that is not a term, a product of two terms —
is an error that lists the model's terms.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence

import numpy as np

_PLACEHOLDER = "__term{}__"


class _Linear(ast.NodeVisitor):
    """Evaluate an expression tree into (coefficients over terms, constant)."""

    def __init__(self, size: int, text: str, names: Sequence[str]) -> None:
        self.size, self.text, self.names = size, text, names

    def error(self, why: str) -> ValueError:
        return ValueError(f"restriction {self.text!r}: {why}; the model's terms are: {', '.join(self.names)}")

    def evaluate(self, node: ast.AST) -> tuple[np.ndarray, float]:
        if isinstance(node, ast.Expression):
            return self.evaluate(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
            return np.zeros(self.size), float(node.value)
        if isinstance(node, ast.Name):
            match = re.fullmatch(r"__term(\d+)__", node.id)
            if not match:
                raise self.error(f"{node.id!r} is not a term of the model")
            vector = np.zeros(self.size)
            vector[int(match.group(1))] = 1.0
            return vector, 0.0
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            vector, constant = self.evaluate(node.operand)
            sign = -1.0 if isinstance(node.op, ast.USub) else 1.0
            return sign * vector, sign * constant
        if isinstance(node, ast.BinOp):
            left, right = self.evaluate(node.left), self.evaluate(node.right)
            if isinstance(node.op, ast.Add):
                return left[0] + right[0], left[1] + right[1]
            if isinstance(node.op, ast.Sub):
                return left[0] - right[0], left[1] - right[1]
            if isinstance(node.op, ast.Mult):
                if left[0].any() and right[0].any():
                    raise self.error("a product of two terms is not linear")
                return (left[0] * right[1] + right[0] * left[1], left[1] * right[1])
            if isinstance(node.op, ast.Div):
                if right[0].any() or right[1] == 0:
                    raise self.error("division by a term or by zero")
                return left[0] / right[1], left[1] / right[1]
        raise self.error("only numbers, terms, +, -, *, / and parentheses are allowed")


def parse_restrictions(hypotheses: str | Sequence[str], names: Sequence[str]) -> tuple[np.ndarray, np.ndarray, str]:
    """Turn restriction strings into the matrix R, the right-hand side r and a readable hypothesis.

    Parameters
    ----------
    hypotheses : str or sequence of str
        One restriction or several, each ``"lhs = rhs"`` or an expression meaning ``expression = 0`` (a plain
        term name tests that the coefficient is zero).
    names : sequence of str
        The model's terms, in the order of its coefficients.

    Returns
    -------
    restriction : ndarray (q, k)
    value : ndarray (q,)
    hypothesis : str

    Examples
    --------
    >>> R, r, text = parse_restrictions(["city = strong", "post:city + 2*rich = 1"], ["city", "strong", "post:city",
    ...                                                                             "rich"])
    >>> R.tolist(), r.tolist(), text
    ([[1.0, -1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 2.0]], [0.0, 1.0], 'city = strong; post:city + 2*rich = 1')
    """
    items = [hypotheses] if isinstance(hypotheses, str) else list(hypotheses)
    if not items:
        raise ValueError("give at least one restriction or term to test")
    names = list(names)
    order = sorted(range(len(names)), key=lambda j: -len(names[j]))
    rows, values, readable = [], [], []
    for text in items:
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"a restriction must be non-empty text, got {text!r}")
        substituted = text
        for j in order:  # longest names first, so that 'post:city' is not read as 'post' ':' 'city'
            substituted = substituted.replace(names[j], f" {_PLACEHOLDER.format(j)} ")
        if substituted.count("=") > 1 or "==" in substituted:  # a term may hold '=' itself (ref='C')
            raise ValueError(f"restriction {text!r}: write one '=' (e.g. 'a = b' or 'a + b = 0')")
        readable.append(text.strip() if "=" in substituted else f"{text.strip()} = 0")
        sides = substituted.split("=") if "=" in substituted else [substituted, "0"]
        evaluator = _Linear(len(names), text, names)
        parsed = []
        for side in sides:
            try:
                tree = ast.parse(side.strip() or "0", mode="eval")
            except SyntaxError as exc:
                raise evaluator.error(f"cannot read {side.strip()!r}") from exc
            parsed.append(evaluator.evaluate(tree))
        (left, left_constant), (right, right_constant) = parsed
        row = left - right
        if not row.any():
            raise evaluator.error("it names no term")
        rows.append(row)
        values.append(right_constant - left_constant)
    return np.vstack(rows), np.array(values), "; ".join(readable)
