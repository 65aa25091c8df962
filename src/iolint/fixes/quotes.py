"""Helpers a fix adds follow the module's quote style.

A project formatted with single quotes (ruff ``quote-style = "single"``, pre-commit's
``double-quote-string-fixer``) fails its own checks when a fix brings in a helper written with
double quotes. The module's plain string literals say which style it keeps; docstrings stay
triple double quotes, as every formatter leaves them.
"""

from __future__ import annotations

import ast
import re

from iolint.model import ModuleModel

# A module shows its style once it has a few plain string literals, most of them one way.
_MIN_LITERALS = 5
_SHARE = 0.8

# A one-line double-quoted literal (with an optional prefix) holding no quote or backslash.
_DOUBLE = re.compile(r"""(?<![\w"'])([rRbBfFuU]{0,2})"([^"'\\\n]*)"(?!")""")


def _quote_of(model: ModuleModel, node: ast.expr) -> str | None:
    text = model.text_of(node).lstrip("rRbBfFuU")
    if text[:3] in ('"""', "'''") or not text:
        return None
    return text[0] if text[0] in "\"'" else None


def prefers_single_quotes(model: ModuleModel) -> bool:
    """Most of the module's one-line string literals use single quotes."""
    single = double = 0
    for node in model.nodes(ast.Constant, ast.JoinedStr):
        if isinstance(node, ast.Constant) and not isinstance(node.value, (str, bytes)):
            continue
        if isinstance(model.parent(node), ast.JoinedStr):
            continue  # a part of an f-string, not a literal of its own
        quote = _quote_of(model, node)
        if quote == "'":
            single += 1
        elif quote == '"':
            double += 1
    total = single + double
    return total >= _MIN_LITERALS and single >= _SHARE * total


def in_module_style(model: ModuleModel, source: str) -> str:
    """``source`` (a helper a fix adds) with its one-line string literals in the quote
    style of ``model``'s module."""
    if not prefers_single_quotes(model):
        return source
    return "\n".join(
        line if '"""' in line else _DOUBLE.sub(r"\1'\2'", line) for line in source.split("\n")
    )
