"""Is "no data ready" (None) taken for EOF?

A buffered or raw file over a non-blocking descriptor returns None from ``read(n)`` when
nothing is there, and ``b''`` only at EOF. Code driven by a selector mostly reads when data
is there, but a wake-up without data is normal (another reader drained the pipe, a spurious
``poll`` wake-up, a signal): then ``if not chunk: sel.unregister(f)`` stops watching a stream
whose writer is still alive, and its output is lost or the caller waits forever. A test that
tells the two apart (``chunk is None`` first, or ``chunk == b''``) is right, and so is an
empty-read branch that only leaves the loop (a drain that goes back to waiting).
"""

from __future__ import annotations

import ast

from iolint.model.io_calls import method_name
from iolint.model.module import ModuleModel
from iolint.model.scopes import walk_local

# Calls that stop reading the stream for good: the branch treats it as ended.
_DROPS_STREAM = frozenset({"unregister", "remove_reader", "close"})


def _bound_name(model: ModuleModel, call: ast.Call) -> tuple[str, ast.stmt] | None:
    parent = model.parent(call)
    if (
        isinstance(parent, ast.Assign)
        and parent.value is call
        and len(parent.targets) == 1
        and isinstance(parent.targets[0], ast.Name)
    ):
        return parent.targets[0].id, parent
    return None


def _drops_stream(stmts: list[ast.stmt]) -> bool:
    if stmts and isinstance(stmts[-1], ast.Raise):
        return True
    return any(
        isinstance(n, ast.Call) and method_name(n) in _DROPS_STREAM for n in walk_local(stmts)
    )


def none_taken_for_eof(model: ModuleModel, call: ast.Call) -> ast.If | None:
    """The ``if`` that tests the read's result for truth and, on the empty side, drops the
    stream (unregisters it, closes it, raises), when no ``is None`` test comes first."""
    bound = _bound_name(model, call)
    if bound is None:
        return None
    name, stmt = bound
    for use in model.uses_after(name, stmt):
        parent = model.parent(use)
        if isinstance(parent, ast.Compare):
            # ``chunk is None`` / ``chunk == b''``: the two cases are told apart.
            return None
        if isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.Not):
            test = model.parent(parent)
            if isinstance(test, ast.If) and test.test is parent:
                return test if _drops_stream(test.body) else None
            return None
        if isinstance(parent, ast.If) and parent.test is use:
            return parent if _drops_stream(parent.orelse) else None
    return None


__all__ = ["none_taken_for_eof"]
