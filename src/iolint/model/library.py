"""Library knowledge: stdlib and third-party APIs whose transfers can be partial.

One table per question the object model asks, so that teaching iolint a new API is one line
here and one fixture case. Everything below is a fact about the library, checked against its
documentation:

- ``ssl.SSLSocket.send`` and ``recv`` behave like a socket's: partial.
- paramiko: ``Transport.open_channel``/``open_session`` and ``SSHClient.invoke_shell`` return
  a ``Channel``, whose ``send`` "returns the number of bytes sent ... applications are
  responsible for checking that all data has been sent" and whose ``recv(n)`` returns up to
  ``n`` bytes, ``b""`` once the channel is closed (``sendall`` exists and loops).
- pyOpenSSL: ``OpenSSL.SSL.Connection.send`` returns the count written; ``sendall`` loops.
- asyncio: ``loop.sock_recv(sock, n)`` and ``StreamReader.read(n)`` return at most ``n``
  bytes as soon as any are available (``b""`` at EOF); ``StreamReader.readexactly(n)`` is the
  fix. ``loop.sock_sendall``, transports and ``StreamWriter.drain()`` write everything.
- telnetlib: ``Telnet.get_socket()`` returns the connected TCP socket.
- adafruit_connection_manager: ``ConnectionManager.get_socket(host, port, proto)`` (the manager
  also comes from ``get_connection_manager(pool)``) resolves the address with ``SOCK_STREAM``
  and returns the connected socket of the pool: TCP, or TLS when ``is_ssl``.
- socketserver: in a ``BaseRequestHandler`` of a TCP server, ``self.request`` is the
  connected stream socket; ``StreamRequestHandler`` also names it ``self.connection``. (On a
  UDP server ``self.request`` is a ``(data, socket)`` tuple, which has no ``send``/``recv``,
  so a ``self.request.send(...)`` call only exists on stream handlers.)
- executors call what they are given: ``loop.run_in_executor(executor, f, *args)``,
  ``asyncio.to_thread(f, *args)``, ``anyio.to_thread.run_sync(f, *args)``,
  ``trio.to_thread.run_sync(f, *args)`` return what ``f(*args)`` returns.
"""

from __future__ import annotations

from dataclasses import dataclass

# Calls (by qualified name, through imports) that return an object with socket semantics:
# ``send`` may be partial, ``recv(n)`` may be short and returns b"" at EOF.
STREAM_SOCKET_FACTORIES: dict[str, str] = {
    "ssl.SSLSocket": "an SSL socket sends and receives like the socket it wraps",
    "OpenSSL.SSL.Connection": "pyOpenSSL: Connection.send returns the count written",
    "paramiko.Channel": "paramiko: Channel.send returns the count sent",
    "paramiko.channel.Channel": "paramiko: Channel.send returns the count sent",
}

# Methods that return a paramiko Channel whatever object they are called on: the names are
# paramiko's own and no stdlib object has them.
STREAM_SOCKET_FACTORY_METHODS: dict[str, str] = {
    "open_channel": "paramiko Transport.open_channel returns a Channel",
    "open_session": "paramiko Transport.open_session returns a Channel",
    "invoke_shell": "paramiko SSHClient.invoke_shell returns a Channel",
}

_ADAFRUIT_SOCKET = "adafruit_connection_manager: get_socket() connects a SOCK_STREAM socket"

# (Constructor, method) pairs: the method returns the stream socket of an object made by the
# constructor.
SOCKET_OF_OBJECT: dict[tuple[str, str], str] = {
    ("telnetlib.Telnet", "get_socket"): "telnetlib: Telnet.get_socket() is the TCP socket",
    # ConnectionManager.get_socket resolves with getaddrinfo(host, port, 0, SOCK_STREAM) and
    # connects: a TCP (or TLS) socket of the CircuitPython socket pool, whose send is partial.
    ("adafruit_connection_manager.ConnectionManager", "get_socket"): _ADAFRUIT_SOCKET,
    ("adafruit_connection_manager.get_connection_manager", "get_socket"): _ADAFRUIT_SOCKET,
}

# Of those, the sockets the library gives a timeout of its own (``get_socket(...,
# timeout=1)`` by default): ``sendall`` can then raise after sending an unknown part.
TIMED_SOCKET_OF_OBJECT = frozenset(
    {
        ("adafruit_connection_manager.ConnectionManager", "get_socket"),
        ("adafruit_connection_manager.get_connection_manager", "get_socket"),
    }
)

# Calls whose annotations or results name an asyncio stream reader.
STREAM_READER_TYPES = frozenset({"asyncio.StreamReader", "asyncio.streams.StreamReader"})
# Awaited calls returning a tuple: {item index: "reader"}.
STREAM_READER_TUPLES: dict[str, tuple[int, ...]] = {
    "asyncio.open_connection": (0,),
    "asyncio.open_unix_connection": (0,),
    "asyncio.streams.open_connection": (0,),
}


@dataclass(frozen=True)
class ShortRead:
    """A read method whose result may be shorter than asked.

    ``size_position`` is the argument that carries the requested size (a call without it
    reads to EOF and is not short); ``receiver`` is "stream reader" when the method only has
    these semantics on an asyncio ``StreamReader``, "any" when its name alone says it;
    ``fix`` names what reads exactly ``n`` bytes.
    """

    method: str
    size_position: int
    receiver: str
    label: str
    fix: str


SHORT_READS: dict[str, ShortRead] = {
    "sock_recv": ShortRead("sock_recv", 1, "any", "loop.sock_recv()", "a loop until n bytes"),
    "read": ShortRead("read", 0, "stream reader", "StreamReader.read()", "readexactly(n)"),
}

# Base classes whose instances carry a connected stream socket in an attribute.
HANDLER_SOCKET_ATTRIBUTES: dict[str, frozenset[str]] = {
    "socketserver.BaseRequestHandler": frozenset({"request"}),
    "socketserver.StreamRequestHandler": frozenset({"request", "connection"}),
    "SocketServer.BaseRequestHandler": frozenset({"request"}),
    "SocketServer.StreamRequestHandler": frozenset({"request", "connection"}),
}
# Handlers of datagram servers: ``self.request`` is a tuple there.
DATAGRAM_HANDLERS = frozenset(
    {"socketserver.DatagramRequestHandler", "SocketServer.DatagramRequestHandler"}
)


@dataclass(frozen=True)
class Executor:
    """A call that runs ``args[function_position](*args[function_position + 1:])``."""

    function_position: int


# By qualified name (module functions) ...
EXECUTOR_FUNCTIONS: dict[str, Executor] = {
    "asyncio.to_thread": Executor(0),
    "anyio.to_thread.run_sync": Executor(0),
    "trio.to_thread.run_sync": Executor(0),
}
# ... and by method name on an event loop of unknown type.
EXECUTOR_METHODS: dict[str, Executor] = {"run_in_executor": Executor(1)}

__all__ = [
    "DATAGRAM_HANDLERS",
    "EXECUTOR_FUNCTIONS",
    "EXECUTOR_METHODS",
    "HANDLER_SOCKET_ATTRIBUTES",
    "SHORT_READS",
    "SOCKET_OF_OBJECT",
    "STREAM_READER_TUPLES",
    "STREAM_READER_TYPES",
    "STREAM_SOCKET_FACTORIES",
    "STREAM_SOCKET_FACTORY_METHODS",
    "Executor",
    "ShortRead",
]
