"""Comments about cleaning up after a failed save, which say nothing about its durability.

The durability intent (``model/intent.py``) takes a comment of the writing function that says
"best effort", "not durable"... as the author's word that the file may be lost. A comment speaks
about the statements around it, though, and a save's ``except`` handler or ``finally`` block
often has one about *its own* work::

    try:
        tmp.write_text(data)
        os.replace(tmp, final)
    except OSError:
        # Best-effort cleanup of the orphan temp file
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise

There "best effort" is about the removal of the temp file; the save itself fails loudly. Such
a block is **cleanup**: a handler that re-raises, or a ``finally`` block that removes or closes
files. Its comment lines are no evidence about a write or publish outside it.

A block that holds the write or publish being judged, or an fsync, stays evidence
(``except OSError:  # best effort: no fsync on this file system``), and so does a handler that
swallows the failure, cleanup or not (``except OSError: pass  # saving is best effort``): it
says the whole save may fail, and with it the file may be lost.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from iolint.model.fsync import is_fsync_call
from iolint.model.module import ModuleModel
from iolint.model.scopes import dotted_name

# ``try``/``except*`` (3.11) too, where the running Python has it.
_TRY_NODES: tuple[type, ...] = (ast.Try, *((ast.TryStar,) if hasattr(ast, "TryStar") else ()))
# Calls that undo or release what a failed save left behind.
_CLEANUP_CALLS = frozenset({"unlink", "remove", "rmtree", "removedirs", "rmdir", "close"})


def cleanup_comment_lines(model: ModuleModel, fn: ast.AST, at: ast.AST) -> frozenset[int]:
    """Line numbers in ``fn`` whose comments belong to a cleanup block that does not hold
    ``at`` (the write or publish being judged) nor any fsync."""
    out: set[int] = set()
    for node in ast.walk(fn):
        if not isinstance(node, _TRY_NODES):
            continue
        for first, last, body, always in _blocks(node):
            if _holds(body, at) or _syncs(model, body):
                continue
            # A ``finally`` block runs on success too: cleanup when it removes or closes.
            cleanup = _cleans_up(body) if always else _raises(body)
            if cleanup:
                out.update(range(first, last + 1))
    return frozenset(out)


def _blocks(node: ast.AST) -> Iterator[tuple[int, int, list[ast.stmt], bool]]:
    """``(first line, last line, statements, is finally)`` of each handler and of the
    ``finally`` block, the ``except``/``finally`` line and comments before the first statement
    included."""
    handlers: list[ast.ExceptHandler] = getattr(node, "handlers", [])
    orelse: list[ast.stmt] = getattr(node, "orelse", [])
    body: list[ast.stmt] = getattr(node, "body", [])
    finalbody: list[ast.stmt] = getattr(node, "finalbody", [])
    for handler in handlers:
        yield handler.lineno, handler.end_lineno or handler.lineno, handler.body, False
    if finalbody:
        before: list[ast.stmt] | list[ast.ExceptHandler] = handlers[-1:] or orelse[-1:] or body[-1:]
        first = (before[0].end_lineno or before[0].lineno) + 1
        last = finalbody[-1].end_lineno or finalbody[-1].lineno
        yield first, last, finalbody, True


def _walk(body: list[ast.stmt]) -> Iterator[ast.AST]:
    for stmt in body:
        yield from ast.walk(stmt)


def _holds(body: list[ast.stmt], at: ast.AST) -> bool:
    return any(n is at for n in _walk(body))


def _syncs(model: ModuleModel, body: list[ast.stmt]) -> bool:
    return any(isinstance(n, ast.Call) and is_fsync_call(model, n) for n in _walk(body))


def _raises(body: list[ast.stmt]) -> bool:
    return any(isinstance(n, ast.Raise) for n in _walk(body))


def _cleans_up(body: list[ast.stmt]) -> bool:
    for n in _walk(body):
        if isinstance(n, ast.Call):
            # The called name alone: ``Path(tmp).unlink()`` has no dotted spelling.
            func = n.func
            name = func.attr if isinstance(func, ast.Attribute) else dotted_name(func)
            if name in _CLEANUP_CALLS:
                return True
    return False
