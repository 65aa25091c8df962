"""``read()`` to the end on a text stream: a TypeError on a non-blocking descriptor.

``TextIOWrapper.read()`` with no size asks the buffered layer for everything up to EOF. On a
non-blocking descriptor with nothing ready the raw read returns None, the buffered layer
passes it on, and the text layer fails to decode it: ``TypeError`` (measured on CPython 3.8
to 3.13), not ``BlockingIOError`` and not an empty string. With some data ready it returns
that data, so the crash comes only when the program is faster than its input. A sized read
(``read(10)``) returns ``''`` instead, which IO202 judges by its use.
"""

from __future__ import annotations

import ast

from iolint.model.module import ModuleModel

# The standard text streams (their ``.buffer`` is binary).
_TEXT_STD_STREAMS = frozenset({"sys.stdin"})


def _to_end(call: ast.Call) -> bool:
    """No size, or a size of -1 or None: read until EOF."""
    if call.keywords:
        return False
    if not call.args:
        return True
    if len(call.args) != 1:
        return False
    arg = call.args[0]
    if isinstance(arg, ast.Constant):
        return arg.value is None
    return (
        isinstance(arg, ast.UnaryOp)
        and isinstance(arg.op, ast.USub)
        and isinstance(arg.operand, ast.Constant)
        and arg.operand.value == 1
    )


def reads_text_to_end(model: ModuleModel, call: ast.Call, receiver: ast.expr) -> bool:
    """``call`` is ``receiver.read()`` to the end and ``receiver`` is a text stream:
    ``sys.stdin``, or a file opened with a literal mode without ``b``."""
    if not _to_end(call):
        return False
    if model.qualname(receiver) in _TEXT_STD_STREAMS:
        return True
    kind = model.kind_of(receiver)
    return kind is not None and kind.mode is not None and "b" not in kind.mode and not kind.raw
