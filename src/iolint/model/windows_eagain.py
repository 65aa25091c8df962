"""Handlers that take EAGAIN but not EWOULDBLOCK, on a socket.

A non-blocking socket that would block fails with ``EWOULDBLOCK``. POSIX lets it be
``EAGAIN`` or ``EWOULDBLOCK`` and Linux and macOS make them one number, but on Windows Python
reports Winsock's ``WSAEWOULDBLOCK``: ``errno.EWOULDBLOCK`` is 10035 there and
``errno.EAGAIN`` is 11. A handler that re-raises every errno but ``EAGAIN``
(``if e.errno != errno.EAGAIN: raise``) therefore re-raises the very ``BlockingIOError`` it
was written for on Windows. ``EWOULDBLOCK`` alone is right everywhere for a socket.
"""

from __future__ import annotations

import ast

from iolint.model.module import ModuleModel


def _errno_name(model: ModuleModel, node: ast.expr) -> str | None:
    q = model.qualname(node) if isinstance(node, (ast.Name, ast.Attribute)) else None
    if q is None or not q.startswith("errno.") or q.count(".") != 1:
        return None
    return q.split(".", 1)[1]


def _subject_is_errno(handler: ast.ExceptHandler, subject: ast.expr) -> bool:
    """``e.errno`` or ``e.args[0]`` of the caught exception ``e``."""
    exc = handler.name
    if exc is None:
        return False
    if isinstance(subject, ast.Attribute) and subject.attr == "errno":
        return isinstance(subject.value, ast.Name) and subject.value.id == exc
    return (
        isinstance(subject, ast.Subscript)
        and isinstance(subject.value, ast.Attribute)
        and subject.value.attr == "args"
        and isinstance(subject.value.value, ast.Name)
        and subject.value.value.id == exc
        and isinstance(subject.slice, ast.Constant)
        and subject.slice.value == 0
    )


def _spared(model: ModuleModel, handler: ast.ExceptHandler, test: ast.expr) -> set[str] | None:
    """The errno names a re-raising test lets through: ``e.errno != errno.A`` -> {A},
    ``e.errno not in (errno.A, errno.B)`` -> {A, B}; None for any other test."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return None
    op, left, right = test.ops[0], test.left, test.comparators[0]
    if isinstance(op, ast.NotEq):
        for subject, constant in ((left, right), (right, left)):
            name = _errno_name(model, constant)
            if name is not None and _subject_is_errno(handler, subject):
                return {name}
        return None
    if isinstance(op, ast.NotIn) and isinstance(right, (ast.Tuple, ast.List, ast.Set)):
        if not _subject_is_errno(handler, left):
            return None
        names = {_errno_name(model, e) for e in right.elts}
        if None in names:
            return None  # a constant the model cannot name may be EWOULDBLOCK's number
        return {n for n in names if n is not None}
    return None


def eagain_only_test(model: ModuleModel, handler: ast.ExceptHandler) -> ast.expr | None:
    """The test of the handler's first statement that re-raises every errno except a set
    holding ``EAGAIN`` but not ``EWOULDBLOCK``, when nothing before it branches."""
    for stmt in handler.body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.Expr, ast.Pass)):
            continue
        if not isinstance(stmt, ast.If):
            return None
        spared = _spared(model, handler, stmt.test)
        if spared is None or "EAGAIN" not in spared or "EWOULDBLOCK" in spared:
            return None
        if not (stmt.body and isinstance(stmt.body[-1], ast.Raise)):
            return None
        return stmt.test
    return None
