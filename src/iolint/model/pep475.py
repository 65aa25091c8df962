"""PEP 475 as data: which calls Python retries itself when a system call fails with EINTR.

Since Python 3.5 most blocking calls retry on EINTR (after running the Python signal handlers,
which may raise and so end the call), so ``except InterruptedError`` around them is dead code.
The exceptions are as important as the rule: closing is never retried (the descriptor may
already be closed, and retrying could close one another thread just opened), ``fcntl.ioctl``
only from 3.14, ``fcntl.fcntl``/``flock``/``lockf`` only from 3.8, and ctypes or C extensions
never. This module is the one place that knows; rules ask :func:`eintr_retry`.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from iolint.model.io_calls import method_name, receiver_of
from iolint.model.kinds import Category
from iolint.model.module import ModuleModel

Version = tuple[int, int]
PEP475 = (3, 5)


@dataclass(frozen=True)
class Retry:
    """When CPython retries a call on EINTR: from ``since`` on (None: never)."""

    since: Version | None
    note: str = ""

    def retried_for(self, target: Version) -> bool:
        """Retried on every Python from ``target`` on (the oldest version the code supports)."""
        return self.since is not None and target >= self.since


_PEP475 = Retry(PEP475, "PEP 475")
_NEVER_CLOSE = Retry(None, "close is never retried: the descriptor may already be closed")

# Module-level functions, by import-resolved name.
FUNCTIONS: dict[str, Retry] = {
    **dict.fromkeys(
        (
            "builtins.open",
            "io.open",
            "os.open",
            "os.read",
            "os.readv",
            "os.write",
            "os.writev",
            "os.pread",
            "os.pwrite",
            "os.fsync",
            "os.fdatasync",
            "os.ftruncate",
            "os.sendfile",
            "os.wait",
            "os.waitpid",
            "os.wait3",
            "os.wait4",
            "os.waitid",
            "select.select",
            "signal.sigtimedwait",
            "signal.sigwaitinfo",
            "time.sleep",
        ),
        _PEP475,
    ),
    "os.close": _NEVER_CLOSE,
    "os.closerange": _NEVER_CLOSE,
    "os.dup2": Retry(None, "dup2 closes its target descriptor first"),
    "fcntl.ioctl": Retry((3, 14), "fcntl.ioctl retries EINTR only since Python 3.14"),
    "fcntl.fcntl": Retry((3, 8), "fcntl.fcntl retries EINTR only since Python 3.8"),
    "fcntl.flock": Retry((3, 8), "fcntl.flock retries EINTR only since Python 3.8"),
    "fcntl.lockf": Retry((3, 8), "fcntl.lockf retries EINTR only since Python 3.8"),
}
# Anything reached through these modules is a C call Python does not wrap.
NEVER_RETRIED_MODULES = ("ctypes.",)

# Methods of socket objects retried by PEP 475 (``connect`` only while the socket blocks: a
# non-blocking ``connect()`` interrupted by a signal raises InterruptedError).
SOCKET_METHODS = frozenset(
    {
        "accept",
        "connect",
        "recv",
        "recvfrom",
        "recvmsg",
        "recv_into",
        "recvfrom_into",
        "send",
        "sendto",
        "sendmsg",
        "sendall",
    }
)
# (constructor, method) pairs of polling objects retried by PEP 475.
POLLER_METHODS = frozenset(
    {
        ("select.poll", "poll"),
        ("select.epoll", "poll"),
        ("select.devpoll", "poll"),
        ("select.kqueue", "control"),
        *(
            (f"selectors.{cls}", "select")
            for cls in (
                "DefaultSelector",
                "SelectSelector",
                "PollSelector",
                "EpollSelector",
                "DevpollSelector",
                "KqueueSelector",
            )
        ),
    }
)


def constructor_of(model: ModuleModel, expr: ast.expr) -> str | None:
    """The qualified name of the call that created ``expr``'s object when every binding of it
    agrees (``sel = selectors.DefaultSelector()``, ``self._ep = select.epoll()``), else None."""
    if isinstance(expr, ast.Call):
        return model.call_qualname(expr)
    values: list[ast.expr | None]
    if isinstance(expr, ast.Name):
        bindings = model.bindings_of(expr.id, expr)
        if not bindings:
            return None
        values = [
            b.value if b.kind in ("assign", "with") and b.index is None else None for b in bindings
        ]
    elif isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name):
        cls = _method_class(model, expr)
        if cls is None:
            return None
        attrs = model.class_attributes(cls).get(expr.attr)
        if not attrs:
            return None
        values = [
            b.value
            for b in attrs
            if not (isinstance(b.value, ast.Constant) and b.value.value is None)
        ]
    else:
        return None
    names = {model.call_qualname(v) if isinstance(v, ast.Call) else None for v in values}
    if len(names) == 1:
        return names.pop()
    return None


def _method_class(model: ModuleModel, attr: ast.Attribute) -> ast.ClassDef | None:
    """The class when ``attr`` is ``self.x`` inside one of its methods."""
    func = model.enclosing_function(attr)
    if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    cls = model.parent(func)
    positional = [*func.args.posonlyargs, *func.args.args]
    if not isinstance(cls, ast.ClassDef) or not positional:
        return None
    if not isinstance(attr.value, ast.Name) or attr.value.id != positional[0].arg:
        return None
    return cls


def eintr_retry(model: ModuleModel, call: ast.Call) -> Retry | None:
    """How Python treats EINTR in ``call``; None when the call is not known to the table
    (a user function, a method of an unknown object): callers must then stay silent."""
    q = model.call_qualname(call)
    if q is not None:
        if q in FUNCTIONS:
            return FUNCTIONS[q]
        if q.startswith(NEVER_RETRIED_MODULES):
            return Retry(None, "ctypes calls are not retried")
        return None
    name = method_name(call)
    receiver = receiver_of(call)
    if name is None or receiver is None:
        return None
    if name == "close" and not call.args:
        return _NEVER_CLOSE
    if name in SOCKET_METHODS:
        kind = model.kind_of(receiver)
        if kind is not None and kind.category is Category.SOCKET:
            return _PEP475
        return None
    ctor = constructor_of(model, receiver)
    if ctor is not None and (ctor, name) in POLLER_METHODS:
        return _PEP475
    return None


def retried_on_eintr(model: ModuleModel, call: ast.Call, target: Version) -> bool | None:
    """True when Python retries ``call`` on EINTR for every version from ``target`` on, False
    when it may not, None when the call is unknown."""
    retry = eintr_retry(model, call)
    return None if retry is None else retry.retried_for(target)


def is_close_call(model: ModuleModel, call: ast.Call) -> bool:
    """``os.close(fd)`` or ``x.close()``."""
    q = model.call_qualname(call)
    if q is not None:
        return q == "os.close"
    return method_name(call) == "close" and not call.args and not call.keywords


__all__ = [
    "FUNCTIONS",
    "PEP475",
    "POLLER_METHODS",
    "SOCKET_METHODS",
    "Retry",
    "constructor_of",
    "eintr_retry",
    "is_close_call",
    "retried_on_eintr",
]
