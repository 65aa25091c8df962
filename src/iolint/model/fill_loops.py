"""A fill-to-n loop that asks for the whole size on every round.

``while len(buf) < n: buf += sock.recv(n)`` checks the length and accumulates, so no short
read reaches a parser; the defect is the size it asks for. After a short first read the next
``recv(n)`` may return up to ``n`` more bytes: the bytes past ``n`` belong to the next message
on the stream, and the loop swallows them into this one. A correct loop asks for what is left
(``n - len(buf)``, ``min(bufsize, remaining)`` with ``remaining`` shrinking), or keeps the
excess (``buf[n:]`` after the loop).

Only reads the model knows are streams count: a datagram or raw socket hands over whole
messages, and a regular file returns short only at its end, where there is nothing to
over-read (descriptors and raw files of unknown origin are left to strict mode).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from iolint.model.io_calls import OS_READ_BYTES, ReadCall
from iolint.model.kinds import call_arg
from iolint.model.module import ModuleModel
from iolint.model.scopes import FUNCTION_NODES


@dataclass(frozen=True)
class FullSizeRefill:
    """``size`` is asked on every round of the loop that fills ``buffer`` up to ``size``;
    ``stream`` is True when the receiver is known to be a stream (a socket or asyncio
    reader), False for a descriptor or raw file whose origin is unknown."""

    buffer: str
    size: str
    stream: bool


def full_size_refill(model: ModuleModel, read: ReadCall) -> FullSizeRefill | None:
    if not read.returns_bytes:
        return None
    stream = _stream_read(read)
    if stream is None:
        return None
    size = _size(read)
    if size is None:
        return None
    loop = _enclosing_while(model, read.call)
    if loop is None:
        return None
    bound = _fill_bound(loop.test)
    if bound is None:
        return None
    buffer, target = bound
    if ast.dump(target) != ast.dump(size):
        return None  # the size shrinks with what was read, or is a fixed chunk
    if not _grows(loop, buffer) or _keeps_excess(model, loop, buffer):
        return None
    return FullSizeRefill(buffer, ast.unparse(size), stream)


def _stream_read(read: ReadCall) -> bool | None:
    """True for a read from a known stream, False for one from a descriptor or raw file,
    None for anything else (an unknown receiver: nothing is known about its messages)."""
    kind = read.receiver_kind
    if read.label in ("recv()", "loop.sock_recv()"):
        return True if kind is not None and kind.is_stream_socket else None
    if read.label == "StreamReader.read()":
        return True
    if read.label in OS_READ_BYTES or read.label == "raw read()":
        return False
    return None


def _size(read: ReadCall) -> ast.expr | None:
    if read.label in OS_READ_BYTES or read.label == "loop.sock_recv()":
        return call_arg(read.call, 1)
    return call_arg(read.call, 0)


def _enclosing_while(model: ModuleModel, call: ast.Call) -> ast.While | None:
    child: ast.AST = call
    for anc in model.ancestors(call):
        if isinstance(anc, ast.While):
            return anc if any(s is child for s in anc.body) else None
        if isinstance(anc, (*FUNCTION_NODES, ast.ClassDef, ast.For, ast.AsyncFor)):
            return None
        child = anc
    return None


def _fill_bound(test: ast.expr) -> tuple[str, ast.expr] | None:
    """(buffer, target) for ``len(buf) < n``, ``len(buf) != n``, ``n > len(buf)``, also as one
    operand of an ``and``."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        for value in test.values:
            found = _fill_bound(value)
            if found is not None:
                return found
        return None
    if not isinstance(test, ast.Compare) or len(test.ops) != 1:
        return None
    op, left, right = test.ops[0], test.left, test.comparators[0]
    if isinstance(op, (ast.Lt, ast.NotEq)):
        name = _len_of_name(left)
        if name is not None:
            return name, right
    if isinstance(op, (ast.Gt, ast.NotEq)):
        name = _len_of_name(right)
        if name is not None:
            return name, left
    return None


def _len_of_name(node: ast.expr) -> str | None:
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "len"
        and len(node.args) == 1
        and isinstance(node.args[0], ast.Name)
    ):
        return node.args[0].id
    return None


def _grows(loop: ast.While, buffer: str) -> bool:
    """The loop adds to ``buffer``: ``buf += x``, ``buf = buf + x``, ``buf.extend(x)``."""
    for node in ast.walk(loop):
        if (
            isinstance(node, ast.AugAssign)
            and isinstance(node.op, ast.Add)
            and isinstance(node.target, ast.Name)
            and node.target.id == buffer
        ):
            return True
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "extend"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == buffer
        ):
            return True
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == buffer
            and isinstance(node.value, ast.BinOp)
            and isinstance(node.value.op, ast.Add)
            and isinstance(node.value.left, ast.Name)
            and node.value.left.id == buffer
        ):
            return True
    return False


def _keeps_excess(model: ModuleModel, loop: ast.While, buffer: str) -> bool:
    """After the loop the buffer is cut with a lower bound (``rest = buf[n:]``) or its head is
    deleted (``del buf[:n]``): the bytes past ``n`` are kept for the next message."""
    end = (loop.end_lineno or 0, loop.end_col_offset or 0)
    for load in model.scope_of(loop).loads.get(buffer, ()):
        if (load.lineno, load.col_offset) < end:
            continue
        parent = model.parent(load)
        if not isinstance(parent, ast.Subscript) or not isinstance(parent.slice, ast.Slice):
            continue
        if parent.slice.lower is not None or isinstance(parent.ctx, ast.Del):
            return True
    return False
