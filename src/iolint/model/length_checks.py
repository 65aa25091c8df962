"""Length checks of a read's result that only detect a short read and give up.

``data = sock.recv(n)`` followed by ``if len(data) != n: raise ...`` or
``assert len(data) == n`` checks the length, but the only thing it does with a short read is
fail. On a stream socket a short, non-empty read is ordinary (the rest is in the next TCP
segment), so such a check turns a normal event into an error: it reports the bug instead of
handling it. This module finds those checks; the rule decides where they matter.
"""

from __future__ import annotations

import ast

from iolint.model import ModuleModel
from iolint.model.handlers import statements_give_up
from iolint.model.kinds import is_len_of

# For ``len(data) OP size``: is the short case (len < size) the true branch of the test?
_SHORT_WHEN_TRUE: dict[type[ast.cmpop], bool] = {
    ast.NotEq: True,
    ast.Lt: True,
    ast.Eq: False,
    ast.GtE: False,
}
# The same operators with ``len(data)`` on the right: ``size != len(data)``, ``size > len(...)``.
_SHORT_WHEN_TRUE_SWAPPED: dict[type[ast.cmpop], bool] = {
    ast.NotEq: True,
    ast.Gt: True,
    ast.Eq: False,
    ast.LtE: False,
}


def _short_when_true(
    compare: ast.Compare, name: str, size_text: str, model: ModuleModel
) -> bool | None:
    """Whether ``compare`` is true exactly on a short read of ``name`` (None: not such a test).

    The other side must be the very size that was requested, so EOF tests (``len(d) == 0``,
    ``len(d) < 1``) and checks against some other bound are left alone."""
    if len(compare.ops) != 1:
        return None
    op, left, right = compare.ops[0], compare.left, compare.comparators[0]
    if is_len_of(left, name) and model.text_of(right) == size_text:
        return _SHORT_WHEN_TRUE.get(type(op))
    if is_len_of(right, name) and model.text_of(left) == size_text:
        return _SHORT_WHEN_TRUE_SWAPPED.get(type(op))
    return None


def _test_short_when_true(
    test: ast.expr, name: str, size_text: str, model: ModuleModel
) -> bool | None:
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _test_short_when_true(test.operand, name, size_text, model)
        return None if inner is None else not inner
    if isinstance(test, ast.Compare):
        return _short_when_true(test, name, size_text, model)
    return None


def gives_up_on_short_read(
    model: ModuleModel, name: str, size: ast.expr, after: ast.stmt
) -> ast.stmt | None:
    """The first statement after ``after`` in the same block that tests ``len(name)`` against
    ``size`` and, on a short read, only raises, fails an assertion or closes the connection."""
    parent = model.parent(after)
    if parent is None:
        return None
    size_text = model.text_of(size)
    for field in ("body", "orelse", "finalbody"):
        block = getattr(parent, field, None)
        if not isinstance(block, list) or after not in block:
            continue
        for stmt in block[block.index(after) + 1 :]:
            if isinstance(stmt, ast.Assert):
                if _test_short_when_true(stmt.test, name, size_text, model) is False:
                    return stmt
            elif isinstance(stmt, ast.If):
                short = _test_short_when_true(stmt.test, name, size_text, model)
                branch = stmt.body if short else stmt.orelse
                if short is not None and branch and statements_give_up(branch):
                    return stmt
            if any(
                isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store)
                for n in ast.walk(stmt)
            ):
                return None  # rebound: later checks are about another value
    return None
