"""Does every pass of a read loop raise once the read is at EOF?

A loop that never tests for EOF still leaves at EOF when a statement it runs on every pass
fails on the empty value: ``(ref, name) = line.split(b" ", 1)`` unpacks one item from
``b''``, ``headers["len"]`` looks a key up in the empty dict parsed from ``''``, ``int(line)``
cannot parse ``''``. The exception ends the loop (a truncated input reported as an error),
so the loop does not spin.

Only statements that run on every pass count: the loop body's own simple statements, up to the
first compound statement that may ``continue`` (and skip the rest). In them, only
subexpressions that are always evaluated count (not the right side of ``and``/``or``, not
the branches of a conditional expression, not a comprehension's body or a lambda).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator

# (known, value): whether the expression's value at EOF is known and derived from the read.
Evaluate = Callable[[ast.expr], tuple[bool, object]]

_CONVERSIONS = frozenset({"int", "float"})
# Parsers that raise on empty input, with the position of the input argument:
# json.loads('') raises JSONDecodeError, pickle.loads(b'') EOFError, struct.unpack of a
# non-empty format struct.error, ast.literal_eval('') SyntaxError.
_PARSERS = {
    "json.loads": 0,
    "pickle.loads": 0,
    "marshal.loads": 0,
    "ast.literal_eval": 0,
    "struct.unpack": 1,
    "struct.unpack_from": 1,
}


def raises_every_pass(
    loop: ast.While, evaluate: Evaluate, qualname: Callable[[ast.Call], str | None]
) -> bool:
    """``qualname`` names a call's function (``json.loads``), or None."""
    for stmt in loop.body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Expr)):
            if _statement_raises(stmt, evaluate, qualname):
                return True
            continue
        if _may_continue(stmt):
            return False
    return False


def _statement_raises(
    stmt: ast.stmt, evaluate: Evaluate, qualname: Callable[[ast.Call], str | None]
) -> bool:
    if (
        isinstance(stmt, ast.Assign)
        and len(stmt.targets) == 1
        and isinstance(stmt.targets[0], (ast.Tuple, ast.List))
        and not any(isinstance(e, ast.Starred) for e in stmt.targets[0].elts)
    ):
        known, value = evaluate(stmt.value)
        if known:
            try:
                if len(value) != len(stmt.targets[0].elts):  # type: ignore[arg-type]
                    return True
            except TypeError:
                return False
    value_node = getattr(stmt, "value", None)
    if not isinstance(value_node, ast.expr):
        return False
    return any(_fails(node, evaluate, qualname) for node in _always_evaluated(value_node))


def _parser_fails(node: ast.Call, evaluate: Evaluate, position: int) -> bool:
    if node.keywords or len(node.args) <= position:
        return False
    if any(isinstance(a, ast.Starred) for a in node.args):
        return False
    if position == 1:
        fmt = node.args[0]
        if isinstance(fmt, ast.Constant) and fmt.value in ("", b"", "<", ">", "=", "!", "@"):
            return False  # an empty format unpacks b'' fine
    known, value = evaluate(node.args[position])
    return known and isinstance(value, (str, bytes)) and not value


def _fails(node: ast.expr, evaluate: Evaluate, qualname: Callable[[ast.Call], str | None]) -> bool:
    if isinstance(node, ast.Call):
        q = qualname(node)
        if q in _PARSERS and _parser_fails(node, evaluate, _PARSERS[q]):
            return True
    if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
        if isinstance(node.slice, ast.Slice):
            return False
        known, container = evaluate(node.value)
        if not known or not isinstance(container, (str, bytes, list, tuple, dict)):
            return False
        key_known, key = _constant(node.slice)
        if not key_known:
            return False
        try:
            container[key]  # type: ignore[call-overload,index]
        except (IndexError, KeyError):
            return True
        except TypeError:
            return False
        return False
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _CONVERSIONS
        and len(node.args) == 1
        and not node.keywords
    ):
        known, value = evaluate(node.args[0])
        if known and isinstance(value, (str, bytes)):
            try:
                (int if node.func.id == "int" else float)(value)
            except ValueError:
                return True
    return False


def _constant(node: ast.expr) -> tuple[bool, object]:
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes, int)):
        return True, node.value
    return False, None


def _always_evaluated(expr: ast.expr) -> Iterator[ast.expr]:
    yield expr
    if isinstance(expr, ast.BoolOp):
        yield from _always_evaluated(expr.values[0])
        return
    if isinstance(expr, ast.IfExp):
        yield from _always_evaluated(expr.test)
        return
    if isinstance(expr, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
        yield from _always_evaluated(expr.generators[0].iter)
        return
    if isinstance(expr, ast.Lambda):
        return
    for child in ast.iter_child_nodes(expr):
        if isinstance(child, ast.expr):
            yield from _always_evaluated(child)
        elif isinstance(child, ast.keyword):
            yield from _always_evaluated(child.value)


def _may_continue(stmt: ast.stmt) -> bool:
    """``stmt`` may skip the rest of the pass: a ``continue`` of this loop in it (one inside
    a nested loop continues that loop)."""
    stack: list[ast.AST] = [stmt]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Continue):
            return True
        for child in ast.iter_child_nodes(node):
            if isinstance(
                child, (ast.For, ast.AsyncFor, ast.While, ast.FunctionDef, ast.AsyncFunctionDef)
            ):
                continue
            stack.append(child)
    return False


__all__ = ["raises_every_pass"]
