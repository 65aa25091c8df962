"""Exception handlers: what they catch, which errno values they test, whether they re-raise.

Shared by the non-blocking rules (``BlockingIOError``, EAGAIN, EINTR) and the error-handling
rules (swallowed fsync and close errors).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from iolint.model.module import ModuleModel
from iolint.model.scopes import walk_local

# Names that mean OSError since Python 3.3 (PEP 3151).
OSERROR_ALIASES = frozenset(
    {"OSError", "IOError", "EnvironmentError", "socket.error", "select.error", "os.error"}
)
# Parents of each OSError subclass the rules care about.
_PARENTS: dict[str, tuple[str, ...]] = {
    "BlockingIOError": ("OSError", "Exception", "BaseException"),
    "InterruptedError": ("OSError", "Exception", "BaseException"),
    "ChildProcessError": ("OSError", "Exception", "BaseException"),
    "ConnectionError": ("OSError", "Exception", "BaseException"),
    "BrokenPipeError": ("ConnectionError", "OSError", "Exception", "BaseException"),
    "TimeoutError": ("OSError", "Exception", "BaseException"),
    "FileNotFoundError": ("OSError", "Exception", "BaseException"),
    "OSError": ("Exception", "BaseException"),
    "EOFError": ("Exception", "BaseException"),
    "TypeError": ("Exception", "BaseException"),
    "Exception": ("BaseException",),
    "BaseException": (),
}


def normalize_exception(name: str) -> str:
    """``builtins.IOError`` -> ``OSError``; ``socket.timeout`` -> ``TimeoutError`` (3.10+)."""
    if name.startswith("builtins."):
        name = name[len("builtins.") :]
    if name in OSERROR_ALIASES:
        return "OSError"
    if name == "socket.timeout":
        return "TimeoutError"
    return name


@dataclass(frozen=True)
class HandlerInfo:
    """One ``except`` clause, resolved.

    ``caught`` holds normalized exception names, or is None for a bare ``except:`` (which
    catches everything). ``unresolved`` is True when a caught type could not be resolved (a
    project exception class, a tuple built at run time): rules stay silent about those.
    """

    handler: ast.ExceptHandler
    try_node: ast.Try
    caught: frozenset[str] | None
    unresolved: bool

    def catches(self, exception: str) -> bool:
        """Whether an exception of type ``exception`` raised in the try body lands here."""
        if self.caught is None:
            return True
        exception = normalize_exception(exception)
        family = {exception, *_PARENTS.get(exception, ())}
        return bool(self.caught & family)

    def catches_exactly(self, *names: str) -> bool:
        return self.caught is not None and self.caught <= {normalize_exception(n) for n in names}


def handler_info(model: ModuleModel, handler: ast.ExceptHandler, try_node: ast.Try) -> HandlerInfo:
    if handler.type is None:
        return HandlerInfo(handler, try_node, None, False)
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    caught: set[str] = set()
    unresolved = False
    for t in types:
        q = model.qualname(t)
        if q is None:
            unresolved = True
            continue
        caught.add(normalize_exception(q))
    return HandlerInfo(handler, try_node, frozenset(caught), unresolved)


def covering_handlers(model: ModuleModel, node: ast.AST) -> Iterator[HandlerInfo]:
    """The handlers that an exception raised at ``node`` may reach, innermost ``try`` first,
    within the enclosing function."""
    for try_node in model.enclosing_trys(node):
        for handler in try_node.handlers:
            yield handler_info(model, handler, try_node)


def enclosing_handler(model: ModuleModel, node: ast.AST) -> HandlerInfo | None:
    """The ``except`` clause whose body contains ``node``, if any (innermost)."""
    for anc in model.ancestors(node):
        if isinstance(anc, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            return None
        if isinstance(anc, ast.ExceptHandler):
            try_node = model.parent(anc)
            if isinstance(try_node, ast.Try):
                return handler_info(model, anc, try_node)
    return None


def reraises(handler: ast.ExceptHandler) -> bool:
    """The handler body raises (bare ``raise``, ``raise X from e``, any new exception)."""
    return any(isinstance(n, ast.Raise) for n in walk_local(handler.body))


def gives_up(handler: ast.ExceptHandler) -> bool:
    """The handler abandons the work instead of recovering (see :func:`statements_give_up`).
    Catching an error this way reports it; it does not make it impossible."""
    return statements_give_up(handler.body)


def statements_give_up(stmts: list[ast.stmt]) -> bool:
    """The block abandons the work: it ends by raising (a new error such as "broken frame",
    or the same one again), or it closes or shuts down a connection."""
    body = [s for s in stmts if not isinstance(s, ast.Pass)]
    if body and isinstance(body[-1], ast.Raise):
        return True
    return any(
        isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr in ("close", "shutdown")
        for n in walk_local(body)
    )


def errno_names_tested(model: ModuleModel, handler: ast.ExceptHandler) -> frozenset[str]:
    """errno constants the handler compares its exception's ``errno`` with
    (``e.errno == errno.EAGAIN``, ``e.errno in (errno.EAGAIN, errno.EWOULDBLOCK)``,
    ``e.args[0] != EINTR``)."""
    found: set[str] = set()
    for node in walk_local(handler.body):
        if not isinstance(node, ast.Compare):
            continue
        operands = [node.left, *node.comparators]
        if not any(_is_errno_access(o, handler.name) for o in operands):
            continue
        for o in operands:
            for leaf in ast.walk(o):
                if isinstance(leaf, (ast.Name, ast.Attribute)):
                    q = model.qualname(leaf)
                    if q is not None and q.startswith("errno.") and q.count(".") == 1:
                        found.add(q.split(".", 1)[1])
    return frozenset(found)


def _is_errno_access(node: ast.expr, exc_name: str | None) -> bool:
    if isinstance(node, ast.Attribute) and node.attr == "errno":
        return exc_name is None or (isinstance(node.value, ast.Name) and node.value.id == exc_name)
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute):
        return node.value.attr == "args"
    return False
