"""What an object is: socket, file descriptor or file object (the catalog's semantic model)."""

from __future__ import annotations

import ast
import enum
from dataclasses import dataclass, field


class Category(str, enum.Enum):
    SOCKET = "socket"
    FD = "fd"
    FILE = "file"
    # An asyncio StreamReader: ``read(n)`` returns at most n bytes (see model/library.py).
    STREAM_READER = "stream reader"


@dataclass(frozen=True)
class ObjKind:
    """A known kind of I/O object.

    ``mode`` and ``buffering`` are set for file objects when they are literals; ``raw`` means an
    unbuffered binary file (``buffering=0`` or ``io.FileIO``) whose ``write`` can be short.
    ``temp`` marks ``tempfile`` objects and ``origin`` is the expression that created it.
    """

    category: Category
    datagram: bool = False
    raw: bool = False
    mode: str | None = None
    temp: bool = False
    origin: ast.AST | None = field(default=None, compare=False)

    @property
    def is_stream_socket(self) -> bool:
        return self.category is Category.SOCKET and not self.datagram


SOCKET = ObjKind(Category.SOCKET)
FD = ObjKind(Category.FD)

# Calls returning a stream socket (``socket.socket`` is special-cased for SOCK_DGRAM).
SOCKET_FACTORIES = frozenset(
    {
        "socket.socket",
        "socket.create_connection",
        "socket.create_server",
        "socket.fromfd",
        "socket.SocketType",
        "ssl.wrap_socket",
        "ssl.SSLSocket",
    }
)
# Calls returning a tuple whose listed items are sockets or fds.
SOCKET_TUPLES = {"socket.socketpair": (0, 1)}
FD_TUPLES = {"os.pipe": (0, 1), "os.pipe2": (0, 1), "pty.openpty": (0, 1), "pty.fork": (1,)}
FD_FACTORIES = frozenset({"os.open", "os.dup", "os.openpty", "os.memfd_create", "os.eventfd"})
FILE_FACTORIES = frozenset({"builtins.open", "io.open", "os.fdopen", "codecs.open"})
TEMP_FILE_FACTORIES = frozenset(
    {"tempfile.NamedTemporaryFile", "tempfile.TemporaryFile", "tempfile.SpooledTemporaryFile"}
)
SOCKET_ANNOTATIONS = frozenset({"socket.socket", "socket.SocketType", "ssl.SSLSocket"})


def literal_str(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def literal_int(node: ast.expr | None) -> int | None:
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int)
        and not isinstance(node.value, bool)
    ):
        return node.value
    return None


def is_name(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def is_len_of(node: ast.AST, name: str) -> bool:
    """``len(name)``."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "len"
        and len(node.args) == 1
        and is_name(node.args[0], name)
    )


def is_empty_literal(node: ast.AST) -> bool:
    """``b""`` or ``""``: what a read returns at EOF."""
    return isinstance(node, ast.Constant) and node.value in (b"", "")


def call_arg(call: ast.Call, position: int, keyword: str | None = None) -> ast.expr | None:
    """The argument passed at ``position`` or as ``keyword``; None when absent or unclear."""
    if keyword is not None:
        for kw in call.keywords:
            if kw.arg == keyword:
                return kw.value
    positional = call.args
    if any(isinstance(a, ast.Starred) for a in positional[: position + 1]):
        return None
    if position < len(positional):
        return positional[position]
    return None


def file_kind(call: ast.Call, *, mode_pos: int, buffering_pos: int, temp: bool) -> ObjKind:
    """Kind of a file object created by an ``open``-like call."""
    mode_node = call_arg(call, mode_pos, "mode")
    mode = literal_str(mode_node) if mode_node is not None else ("w+b" if temp else "r")
    buffering = literal_int(call_arg(call, buffering_pos, "buffering"))
    # ``buffering=0`` is only allowed in binary mode: text mode raises ValueError ("can't have
    # unbuffered text I/O"). So a literal 0 makes the file raw even when the mode is a variable
    # (``open(path, mode, buffering=0)``): if the call returns at all, the file is raw.
    raw = buffering == 0 and (mode is None or "b" in mode)
    return ObjKind(Category.FILE, raw=raw, mode=mode, temp=temp, origin=call)
