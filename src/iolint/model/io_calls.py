"""Which calls transfer data, on what, and what they return.

Rules of every family ask the same questions ("is this a read from a socket?", "does this
return a byte count?"); the answers live here once.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from iolint.model.callbacks import datagram_callback_parameter
from iolint.model.kinds import Category, ObjKind, call_arg, literal_int
from iolint.model.library import EXECUTOR_FUNCTIONS, EXECUTOR_METHODS, SHORT_READS
from iolint.model.module import ModuleModel

# os functions returning the number of bytes transferred, which may be short.
OS_WRITE_COUNT = frozenset(
    {
        "os.write",
        "os.pwrite",
        "os.writev",
        "os.pwritev",
        "os.sendfile",
        "os.splice",
        "os.copy_file_range",
    }
)
# os functions returning bytes that may be fewer than asked, b"" at EOF.
OS_READ_BYTES = frozenset({"os.read", "os.pread"})
# Descriptors whose reads are always whole (8 bytes per read): not short-read candidates.
WHOLE_READ_FDS = frozenset({"os.eventfd", "os.timerfd_create"})
SOCKET_READ_METHODS = frozenset({"recv", "recv_into", "recvfrom", "recvfrom_into", "recvmsg"})
SOCKET_SEND_METHODS = frozenset({"send", "sendall", "sendto", "sendmsg", "sendfile"})
# Every method or function name a short read may be spelled with (for ``calls_named``).
READ_CALL_NAMES = ("read", "pread", "recv", "recv_into", "readinto", *sorted(SHORT_READS))


@dataclass(frozen=True)
class ReadCall:
    """A call that reads from a descriptor, socket or raw file.

    ``returns_bytes`` is False for the ``*_into`` forms, which return a count and fill
    ``buffer``. ``label`` names the call in messages.
    """

    call: ast.Call
    label: str
    returns_bytes: bool
    buffer: ast.expr | None
    receiver: ast.expr | None
    receiver_kind: ObjKind | None


def receiver_of(call: ast.Call) -> ast.expr | None:
    return call.func.value if isinstance(call.func, ast.Attribute) else None


def method_name(call: ast.Call) -> str | None:
    return call.func.attr if isinstance(call.func, ast.Attribute) else None


def is_socket_like_read(model: ModuleModel, call: ast.Call) -> bool:
    """``x.recv(n)``/``x.recv_into(buf, ...)`` on a stream socket, or on a receiver of unknown
    type when a size is given (the catalog treats those as socket-like for EOF/short reads)."""
    name = method_name(call)
    if name not in ("recv", "recv_into"):
        return False
    receiver = receiver_of(call)
    assert receiver is not None
    if model.qualname(receiver) is not None:  # a module attribute, not an object
        return False
    kind = model.kind_of(receiver)
    if kind is not None:
        return kind.category is Category.SOCKET and not kind.datagram
    if isinstance(receiver, ast.Name) and datagram_callback_parameter(model, receiver):
        return False  # an event-loop callback handed a datagram socket
    if name == "recv":
        return bool(call.args) and not isinstance(call.args[0], ast.Starred)
    return len(call.args) >= 2 or any(k.arg == "nbytes" for k in call.keywords)


def classify_read(model: ModuleModel, call: ast.Call) -> ReadCall | None:
    """A read whose result can be short or empty at EOF, or None."""
    q = model.call_qualname(call)
    if q in OS_READ_BYTES:
        fd = call_arg(call, 0)
        fd_kind = model.kind_of(fd) if fd is not None else None
        if fd_kind is not None and isinstance(fd_kind.origin, ast.Call):
            if model.call_qualname(fd_kind.origin) in WHOLE_READ_FDS:
                return None
        return ReadCall(call, q, True, None, fd, fd_kind)
    if q is not None:
        return None
    name = method_name(call)
    receiver = receiver_of(call)
    if name is None or receiver is None:
        return _wrapped_read(model, call) if isinstance(call.func, ast.Name) else None
    if name in ("recv", "recv_into") and is_socket_like_read(model, call):
        into = name == "recv_into"
        return ReadCall(
            call,
            f"{name}()",
            not into,
            call_arg(call, 0, "buffer") if into else None,
            receiver,
            model.kind_of(receiver),
        )
    library = SHORT_READS.get(name)
    if library is not None:
        read = _library_read(model, call, library.label, library.receiver, library.size_position)
        if read is not None:
            return read
    if name in ("read", "readinto"):
        kind = model.kind_of(receiver)
        if kind is not None and kind.category is Category.FILE and kind.raw:
            if name == "read" and not call.args:
                return None  # read() with no size reads to EOF
            return ReadCall(
                call,
                f"raw {name}()",
                name == "read",
                call_arg(call, 0) if name == "readinto" else None,
                receiver,
                kind,
            )
    return _wrapped_read(model, call)


def read_wrapper_names(model: ModuleModel) -> tuple[str, ...]:
    """Names of this module's thin read wrappers (see :func:`_wrapped_read`)."""
    return model.fact(_read_wrappers)


def _read_wrappers(model: ModuleModel) -> tuple[str, ...]:
    names = []
    for node in model.nodes(ast.FunctionDef, ast.AsyncFunctionDef):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _wrapper_body(model, node):
            names.append(node.name)
    return tuple(sorted(set(names)))


def _wrapper_body(model: ModuleModel, func: ast.AST) -> tuple[ReadCall, int] | None:
    """``def recv(self, n): return self.sock.recv(n)``: the read it returns and the position
    (among the call's arguments, ``self`` excluded) of the parameter that gives its size."""
    if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    body = [
        s for s in func.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
    ]
    if len(body) != 1 or not isinstance(body[0], ast.Return):
        return None
    inner = body[0].value
    if not isinstance(inner, ast.Call):
        return None
    read = classify_read(model, inner)
    if read is None or not read.returns_bytes or not inner.args:
        return None
    # The size: os.read(fd, n)/os.pread(fd, n, offset) take it second, recv(n)/read(n) first.
    size = call_arg(inner, 1) if read.label.startswith("os.") else inner.args[0]
    params = [a.arg for a in [*func.args.posonlyargs, *func.args.args]]
    if isinstance(model.parent(func), ast.ClassDef):
        params = params[1:]
    if not isinstance(size, ast.Name) or size.id not in params:
        return None
    return read, params.index(size.id)


def _wrapped_read(model: ModuleModel, call: ast.Call) -> ReadCall | None:
    """A call of a thin wrapper around a short read, in this module: its result is as short
    as the read it returns (``self._recv(4)`` where ``_recv`` returns ``self.sock.recv(n)``)."""
    callee = model.local_callee(call.func)
    found = _wrapper_body(model, callee) if callee is not None else None
    if found is None:
        return None
    _, position = found
    if position >= len(call.args) or any(isinstance(a, ast.Starred) for a in call.args):
        return None
    # Its result is the read's: ``recv_exact()`` ... named after the wrapper at the call.
    return ReadCall(call, f"{getattr(callee, 'name', 'wrapper')}()", True, None, None, None)


def _library_read(
    model: ModuleModel, call: ast.Call, label: str, receiver_rule: str, size_position: int
) -> ReadCall | None:
    """A short read from the library table (``await loop.sock_recv(sock, n)``,
    ``await reader.read(n)`` on an asyncio StreamReader), sized and awaited."""
    if not isinstance(model.parent(call), ast.Await):
        return None
    size = call_arg(call, size_position)
    if size is None or isinstance(size, ast.Starred):
        return None
    receiver = receiver_of(call)
    if receiver_rule == "stream reader":
        kind = model.kind_of(receiver) if receiver is not None else None
        if kind is None or kind.category is not Category.STREAM_READER:
            return None
        return ReadCall(call, label, True, None, receiver, kind)
    sock = call_arg(call, 0)
    return ReadCall(call, label, True, None, sock, model.kind_of(sock) if sock else None)


def executor_target(model: ModuleModel, call: ast.Call) -> ast.Call | None:
    """What an executor call runs, as a call: ``loop.run_in_executor(None, os.write, fd, b)``
    and ``asyncio.to_thread(os.write, fd, b)`` run ``os.write(fd, b)`` and return its result.
    The returned call is synthetic (not in the tree): its parts are the real argument nodes,
    so names in it resolve as usual."""
    q = model.call_qualname(call)
    executor = EXECUTOR_FUNCTIONS.get(q) if q is not None else None
    name = method_name(call)
    if executor is None and q is None and name is not None:
        executor = EXECUTOR_METHODS.get(name)
    if executor is None or call.keywords:
        return None
    args = call.args
    position = executor.function_position
    if len(args) <= position or any(isinstance(a, ast.Starred) for a in args):
        return None
    target = ast.Call(func=args[position], args=list(args[position + 1 :]), keywords=[])
    return ast.copy_location(target, call)


def write_count_call(model: ModuleModel, call: ast.Call) -> tuple[str, ast.expr | None] | None:
    """A call returning a possibly short byte count: (label, payload expression)."""
    q = model.call_qualname(call)
    if q in OS_WRITE_COUNT:
        payload = (
            call_arg(call, 1) if q in ("os.write", "os.pwrite", "os.writev", "os.pwritev") else None
        )
        return q, payload
    if q is None and method_name(call) == "write":
        receiver = receiver_of(call)
        assert receiver is not None
        kind = model.kind_of(receiver)
        if kind is not None and kind.category is Category.FILE and kind.raw:
            return "raw write()", call_arg(call, 0)
    return None


def stream_socket_send(model: ModuleModel, call: ast.Call) -> ObjKind | None:
    """``sock.send``/``sock.sendmsg`` on a known stream socket: its kind, else None."""
    if method_name(call) not in ("send", "sendmsg"):
        return None
    receiver = receiver_of(call)
    assert receiver is not None
    kind = model.kind_of(receiver)
    if kind is not None and kind.is_stream_socket:
        return kind
    return None


def is_bytes_literal_of_len(node: ast.expr | None, max_len: int) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, bytes)
        and len(node.value) <= max_len
    )


def _slice_width(s: ast.expr) -> int | None:
    """How many items ``x[s]`` has at most, for a slice with literal bounds or of the form
    ``i:i + n``; None when unknown."""
    if not isinstance(s, ast.Slice) or s.step is not None:
        return None
    lower = 0 if s.lower is None else literal_int(s.lower)
    upper = None if s.upper is None else literal_int(s.upper)
    if lower is not None and upper is not None and lower >= 0 and upper >= 0:
        return max(upper - lower, 0)
    up = s.upper
    if (
        isinstance(up, ast.BinOp)
        and isinstance(up.op, ast.Add)
        and s.lower is not None
        and ast.dump(up.left) == ast.dump(s.lower)
    ):
        return literal_int(up.right)
    return None


def is_single_byte(model: ModuleModel, node: ast.expr | None, depth: int = 0) -> bool:
    """A payload of at most one byte, which a write transfers whole or not at all: a literal
    (``b"\\0"``), ``chr(4).encode()``, ``str(1).encode()``, ``bytes([n])``, ``n.to_bytes(1)``,
    a one-item slice (``buf[0:1]``, ``bytes(buf[i:i + 1])``), or a terminal control character
    ``termios.tcgetattr(fd)[6][termios.VEOF]``."""
    if node is None:
        return False
    if is_bytes_literal_of_len(node, 1):
        return True
    if isinstance(node, ast.Name) and depth < 3:
        # ``char = termios.tcgetattr(fd)[6][termios.VEOF]`` then ``os.write(fd, char)``
        bindings = model.bindings_of(node.id, node) or []
        return bool(bindings) and all(
            b.kind == "assign" and b.index is None and is_single_byte(model, b.value, depth + 1)
            for b in bindings
        )
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "encode" and not node.keywords:
            inner = func.value
            # chr(<ascii>) / str(<digit>) encode to one byte in every ASCII-compatible codec.
            if isinstance(inner, ast.Call) and len(inner.args) == 1 and not inner.keywords:
                q = model.call_qualname(inner)
                value = literal_int(inner.args[0])
                if q == "builtins.chr" and value is not None and 0 <= value < 128:
                    return True
                if q == "builtins.str" and value is not None and 0 <= value <= 9:
                    return True
            literal = inner.value if isinstance(inner, ast.Constant) else None
            return isinstance(literal, str) and len(literal) <= 1 and literal.isascii()
        q = model.call_qualname(node)
        if q in ("builtins.bytes", "builtins.bytearray") and len(node.args) == 1:
            arg = node.args[0]
            if isinstance(arg, (ast.List, ast.Tuple)):
                return len(arg.elts) <= 1
            # bytes(buf[0:1]): a copy of a one-byte payload
            return is_single_byte(model, arg, depth + 1)
        if isinstance(func, ast.Attribute) and func.attr == "to_bytes" and node.args:
            return literal_int(node.args[0]) == 1
    if isinstance(node, ast.Subscript) and _slice_width(node.slice) in (0, 1):
        # pending[0:1], data[:1], buf[i:i + 1]: at most one item of a bytes-like payload
        return True
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Subscript):
        # tcgetattr(fd)[6] is the cc array; each of its items is a one-byte bytes object.
        cc = node.value
        return (
            isinstance(cc.value, ast.Call)
            and model.call_qualname(cc.value) == "termios.tcgetattr"
            and literal_int(cc.slice) == 6
        )
    return False


def mentions_msg_waitall(model: ModuleModel, call: ast.Call) -> bool:
    flags = call_arg(call, 1, "flags")
    return flags is not None and model.mentions(flags, "socket.MSG_WAITALL")


__all__ = [
    "OS_READ_BYTES",
    "OS_WRITE_COUNT",
    "READ_CALL_NAMES",
    "SOCKET_READ_METHODS",
    "SOCKET_SEND_METHODS",
    "ReadCall",
    "classify_read",
    "executor_target",
    "is_bytes_literal_of_len",
    "is_single_byte",
    "is_socket_like_read",
    "literal_int",
    "mentions_msg_waitall",
    "method_name",
    "read_wrapper_names",
    "receiver_of",
    "stream_socket_send",
    "write_count_call",
]
