"""IO104's fix: ``if not data: break`` right after the read, unless EOF already has a handler.

The inserted ``break`` runs before anything else in the loop sees the empty read, and it skips
the loop's ``else:``. When the code already does something with EOF (an ``else:`` that feeds
EOF to a parser, an emptiness branch without ``break``, a parser that takes ``b""`` as EOF),
the break would skip that handling: a peer hanging up would become a silent success. Then
there is no fix; the finding stays for a person to decide.
"""

from __future__ import annotations

import ast

from iolint.diagnostics import Applicability, Fix
from iolint.edits import indent_unit, insert_after_statement, stands_alone
from iolint.model import ModuleModel
from iolint.model.eof import EofVerdict
from iolint.model.io_calls import method_name
from iolint.model.kinds import is_empty_literal, is_len_of, is_name
from iolint.model.scopes import walk_local

# Parser entry points that take the empty read as "end of input" (``feed(b"")``,
# h11's ``receive_data(b"")``, asyncio protocols' ``data_received``) or are EOF themselves.
_FEEDS = frozenset(
    {
        "feed",
        "feed_data",
        "receive_data",
        "data_received",
        "buffer_updated",
        "decompress",
        "process",
        "parse",
    }
)
_EOF_CALLS = frozenset({"feed_eof", "eof_received"})


def eof_break_fix(model: ModuleModel, verdict: EofVerdict) -> Fix | None:
    stmt = verdict.binding_statement
    name = verdict.result_name
    if stmt is None or name is None or not stands_alone(model, stmt):
        return None
    if not isinstance(stmt, (ast.Assign, ast.AnnAssign)) or verdict.returns_count:
        return None
    if eof_handled_elsewhere(verdict.loop, name):
        return None
    indent = model.source.indentation(model.start(stmt).line)
    step = indent_unit(model, stmt)
    edit = insert_after_statement(model, stmt, [f"if not {name}:", f"{step}break"], indent)
    return Fix(f"Leave the loop at EOF: `if not {name}: break`", Applicability.UNSAFE, (edit,))


def eof_handled_elsewhere(loop: ast.While, name: str) -> bool:
    """Whether the loop already does something with the empty read that a ``break`` placed
    right after the read would skip."""
    if loop.orelse and not _always_true(loop.test):
        return True  # the else clause runs when the loop ends normally: a break skips it
    for node in walk_local(loop.body):
        if isinstance(node, (ast.If, ast.IfExp, ast.While)) and _tests_empty(node.test, name):
            return True
        if isinstance(node, (ast.If, ast.IfExp)) and node.orelse and _tests_data(node.test, name):
            return True  # ``if data: ... else: <the empty read>``
        if isinstance(node, ast.Call):
            meth = method_name(node)
            if meth in _EOF_CALLS and not node.args:
                return True
            if meth in _FEEDS and any(is_name(a, name) for a in node.args):
                return True
    return False


def _always_true(test: ast.expr) -> bool:
    return isinstance(test, ast.Constant) and bool(test.value)


def _tests_empty(test: ast.expr, name: str) -> bool:
    """``not data``, ``data == b""``, ``len(data) == 0``, ``not len(data)``, ``data in (b"",
    ...)``, alone or inside ``and``/``or``."""
    if isinstance(test, ast.BoolOp):
        return any(_tests_empty(v, name) for v in test.values)
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return is_name(test.operand, name) or is_len_of(test.operand, name)
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        left, right, op = test.left, test.comparators[0], test.ops[0]
        for subject, other in ((left, right), (right, left)):
            if is_name(subject, name) and isinstance(op, (ast.Eq, ast.In)):
                if is_empty_literal(other) or (
                    isinstance(other, (ast.Tuple, ast.List, ast.Set))
                    and any(is_empty_literal(e) for e in other.elts)
                ):
                    return True
            if is_len_of(subject, name) and isinstance(op, (ast.Eq, ast.Lt)):
                return isinstance(other, ast.Constant) and other.value in (0, 1)
    return False


def _tests_data(test: ast.expr, name: str) -> bool:
    """``data``, ``data != b""``, ``len(data) > 0``, ``len(data)``: true when data came."""
    if is_name(test, name) or is_len_of(test, name):
        return True
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        left, op = test.left, test.ops[0]
        if is_name(left, name) and isinstance(op, ast.NotEq):
            return is_empty_literal(test.comparators[0])
        if is_len_of(left, name) and isinstance(op, (ast.Gt, ast.NotEq)):
            return is_empty_literal(test.comparators[0]) or literal_zero(test.comparators[0])
    return False


def literal_zero(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value == 0 and not isinstance(node.value, bool)
