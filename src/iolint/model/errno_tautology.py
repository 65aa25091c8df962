"""Errno tests that cannot be false, and handlers that re-raise EAGAIN because of one.

``if code != errno.EAGAIN or code != errno.EWOULDBLOCK: raise`` reads like "re-raise anything
but EAGAIN", but no value differs from neither of two different numbers: the test is always
true and the handler re-raises the very error it was written to absorb. Where the two names
are one number (EAGAIN and EWOULDBLOCK on Linux and macOS) the test reduces to ``!= EAGAIN``
and happens to work; on Windows (EAGAIN 11, EWOULDBLOCK 10035) it is always true. The right
spellings are ``and`` between the inequalities, or ``not in (EAGAIN, EWOULDBLOCK)``.

The subject of the test is the caught exception's errno (``e.errno``, ``e.args[0]``) or a name
the handler bound from the exception (``code = e.errno``, ``code = error_code_of(e)``).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from iolint.model.module import ModuleModel
from iolint.model.scopes import walk_local

# Pairs of errno names that are one number on Linux (and macOS): a test telling them apart
# is only wrong where they differ.
_ALIASES = (
    frozenset({"EAGAIN", "EWOULDBLOCK"}),
    frozenset({"EDEADLK", "EDEADLOCK"}),
    frozenset({"ENOTSUP", "EOPNOTSUPP"}),
)


@dataclass(frozen=True)
class Tautology:
    """An ``or`` of ``!=`` tests of one errno against two different constants."""

    test: ast.BoolOp
    names: tuple[str, str]

    @property
    def aliases(self) -> bool:
        """The two names are one number on Linux and macOS (always true only elsewhere)."""
        return frozenset(self.names) in _ALIASES


def _errno_constant(model: ModuleModel, node: ast.expr) -> str | None:
    if not isinstance(node, (ast.Name, ast.Attribute)):
        return None
    q = model.qualname(node)
    if q is None or not q.startswith("errno.") or q.count(".") != 1:
        return None
    return q.split(".", 1)[1]


def _mentions(node: ast.AST, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node))


def _errno_subject(handler: ast.ExceptHandler, subject: ast.expr, before: ast.stmt) -> bool:
    """``subject`` holds the caught exception's errno: ``e.errno``, ``e.args[0]``, or a name
    bound earlier in the handler from an expression of the exception."""
    exc = handler.name
    if exc is None:
        return False
    if isinstance(subject, ast.Attribute) and subject.attr == "errno":
        return isinstance(subject.value, ast.Name) and subject.value.id == exc
    if isinstance(subject, ast.Subscript):
        return _mentions(subject.value, exc)
    if not isinstance(subject, ast.Name):
        return False
    for stmt in handler.body:
        if stmt is before:
            break
        if (
            isinstance(stmt, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == subject.id for t in stmt.targets)
            and _mentions(stmt.value, exc)
        ):
            return True
    return False


def _inequality(model: ModuleModel, node: ast.expr) -> tuple[ast.expr, str] | None:
    """``x != errno.NAME`` (either side) -> (x, NAME)."""
    if not (isinstance(node, ast.Compare) and len(node.ops) == 1):
        return None
    if not isinstance(node.ops[0], ast.NotEq):
        return None
    left, right = node.left, node.comparators[0]
    name = _errno_constant(model, right)
    if name is not None:
        return left, name
    name = _errno_constant(model, left)
    return (right, name) if name is not None else None


def errno_tautology(
    model: ModuleModel, handler: ast.ExceptHandler, stmt: ast.If
) -> Tautology | None:
    """The test of ``stmt`` (a statement of ``handler``) is ``x != errno.A or x != errno.B``
    on the caught exception's errno, with A and B different names."""
    test = stmt.test
    if not (isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or)):
        return None
    parts = [_inequality(model, v) for v in test.values]
    found = [p for p in parts if p is not None]
    for i, (subject, name) in enumerate(found):
        for other_subject, other in found[i + 1 :]:
            if name == other or ast.dump(subject) != ast.dump(other_subject):
                continue
            if _errno_subject(handler, subject, stmt):
                return Tautology(test, (name, other))
    return None


def reraised_by_tautology(
    model: ModuleModel, handler: ast.ExceptHandler, errnos: frozenset[str]
) -> Tautology | None:
    """The handler re-raises every error, ``errnos`` included, through an always-true errno
    test naming one of ``errnos``: its statements before that ``if`` only bind names or
    branch on tests that name none of ``errnos`` (``if code is None: raise``)."""
    for stmt in handler.body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.Expr, ast.Pass)):
            continue
        if not isinstance(stmt, ast.If):
            return None
        found = errno_tautology(model, handler, stmt)
        if found is not None:
            raises = bool(stmt.body) and isinstance(stmt.body[-1], ast.Raise)
            return found if raises and set(found.names) & errnos else None
        if any(_errno_constant(model, n) in errnos for n in _names(stmt.test)):
            return None  # an earlier branch may take these errnos elsewhere
        if any(isinstance(n, (ast.Continue, ast.Break, ast.Return)) for n in walk_local(stmt.body)):
            return None
    return None


def _names(node: ast.AST) -> list[ast.expr]:
    return [n for n in ast.walk(node) if isinstance(n, (ast.Name, ast.Attribute))]


__all__ = ["Tautology", "errno_tautology", "reraised_by_tautology"]
