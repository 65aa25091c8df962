"""Where an ``OSError`` raised at a call lands, and what the code there does with it.

The facts behind the IO4xx rules: which ``except`` clause or ``contextlib.suppress`` catches an
error first, whether that handler swallows it (its body does nothing that fails or hands the
error on), whether it goes back to the failed call (a retry loop, a retry decorator, a fallback
fsync), and which fsync calls the error rules consider.

Everything here errs towards silence: a handler type the model cannot resolve, a handler body
doing something it does not understand, or a loop whose iterations may touch other objects
makes the answer "unknown", and rules report nothing.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from iolint.model.fsync import is_direct_fsync, is_fsync_call
from iolint.model.handlers import (
    HandlerInfo,
    errno_names_tested,
    handler_info,
    normalize_exception,
    reraises,
)
from iolint.model.kinds import call_arg
from iolint.model.module import ModuleModel
from iolint.model.scopes import FUNCTION_NODES, dotted_name, walk_local

# errno values that honestly mean "this file or file system cannot do that here": ignoring
# them loses nothing (domain.md). EBADF is what some platforms return for a directory fsync.
NOT_SUPPORTED_ERRNOS = frozenset({"EINVAL", "ENOTSUP", "EOPNOTSUPP", "EROFS", "EBADF"})
# Codes a retry may legitimately test for: the "not supported" ones, and EINTR/EAGAIN, which
# are IO2xx's business (PEP 475 retries EINTR itself; fsync does not raise EAGAIN).
_NOT_DATA_LOSS_ERRNOS = NOT_SUPPORTED_ERRNOS | {"EINTR", "EAGAIN", "EWOULDBLOCK"}
_CATCHES_OSERROR = frozenset({"OSError", "Exception", "BaseException"})
_SCOPES = (*FUNCTION_NODES, ast.ClassDef)

# Calls that only report a problem (the error is still lost afterwards).
_LOG_METHODS = frozenset(
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log"}
)
_REPORTING = frozenset(
    {
        "builtins.print",
        "warnings.warn",
        "traceback.print_exc",
        "traceback.print_exception",
        "sys.stderr.write",
        "sys.stdout.write",
    }
)
# Calls that only release resources.
_CLEANUP = frozenset({"os.close", "os.unlink", "os.remove", "os.rmdir", "shutil.rmtree"})
_CLEANUP_METHODS = frozenset({"close", "unlink", "cleanup"})
_EXITS = frozenset({"sys.exit", "os._exit", "os.abort", "builtins.exit", "builtins.quit"})


# ----------------------------------------------------------------------------- catchers


@dataclass(frozen=True)
class Catcher:
    """One place an ``OSError`` may land.

    ``kind`` is ``handler`` (``info`` is set), ``suppress`` (``node`` is the
    ``contextlib.suppress(...)`` call) or ``unknown`` (a handler or ``suppress`` whose types
    the model cannot resolve: it may catch the error or not).
    """

    kind: str
    node: ast.AST
    info: HandlerInfo | None = None


def _catches_oserror(model: ModuleModel, types: list[ast.expr]) -> bool | None:
    """Whether exception types catch a plain ``OSError``; None when one is unresolved."""
    unresolved = False
    for t in types:
        q = model.qualname(t)
        if q is None:
            unresolved = True
        elif normalize_exception(q) in _CATCHES_OSERROR:
            return True
    return None if unresolved else False


def exception_types(expr: ast.expr | None) -> list[ast.expr]:
    if expr is None:
        return []
    return list(expr.elts) if isinstance(expr, ast.Tuple) else [expr]


def _suppress_catcher(model: ModuleModel, with_node: ast.With | ast.AsyncWith) -> Catcher | None:
    for item in with_node.items:
        expr = item.context_expr
        if isinstance(expr, ast.Call) and model.call_qualname(expr) == "contextlib.suppress":
            if any(isinstance(a, ast.Starred) for a in expr.args):
                return Catcher("unknown", expr)
            verdict = _catches_oserror(model, list(expr.args))
            if verdict is None:
                return Catcher("unknown", expr)
            if verdict:
                return Catcher("suppress", expr)
    return None


def oserror_catchers(model: ModuleModel, node: ast.AST) -> Iterator[Catcher]:
    """The catchers an ``OSError`` raised at ``node`` meets on its way out of the function,
    innermost first: per enclosing ``try`` the first handler that catches it, and every
    ``with contextlib.suppress(...)`` that does. Callers stop at the first one unless it
    re-raises."""
    child: ast.AST = node
    for anc in model.ancestors(node):
        if isinstance(anc, _SCOPES):
            return
        if isinstance(anc, ast.Try) and any(s is child for s in anc.body):
            for handler in anc.handlers:
                info = handler_info(model, handler, anc)
                if info.catches("OSError"):
                    yield Catcher("handler", handler, info)
                    break
                if info.unresolved:
                    yield Catcher("unknown", handler, info)
                    break
        elif _is_try_star(anc) and any(s is child for s in getattr(anc, "body", ())):
            yield Catcher("unknown", anc)  # except* splits groups: not modelled
        elif isinstance(anc, (ast.With, ast.AsyncWith)) and any(s is child for s in anc.body):
            found = _suppress_catcher(model, anc)
            if found is not None:
                yield found
        child = anc


def _is_try_star(node: ast.AST) -> bool:
    return type(node).__name__ == "TryStar"


def in_handler_body(model: ModuleModel, node: ast.AST) -> bool:
    """Whether ``node`` runs in an ``except`` clause (an error path) of its function."""
    for anc in model.ancestors(node):
        if isinstance(anc, _SCOPES):
            return False
        if isinstance(anc, ast.ExceptHandler):
            return True
    return False


# ----------------------------------------------------------------------------- handler bodies


def _is_reporting_call(model: ModuleModel, call: ast.Call) -> bool:
    q = model.call_qualname(call)
    if q in _REPORTING or (q is not None and q.startswith("logging.")):
        return True
    func = call.func
    return q is None and isinstance(func, ast.Attribute) and func.attr in _LOG_METHODS


def _is_cleanup_call(model: ModuleModel, call: ast.Call) -> bool:
    q = model.call_qualname(call)
    if q in _CLEANUP:
        return True
    func = call.func
    return q is None and isinstance(func, ast.Attribute) and func.attr in _CLEANUP_METHODS


def _harmless_call(model: ModuleModel, call: ast.Call, exc_name: str | None, retry: bool) -> bool:
    if not (_is_reporting_call(model, call) or _is_cleanup_call(model, call)):
        if not (retry and model.call_qualname(call) == "time.sleep"):
            return False
    # The caught exception handed to a cleanup call (or anything but a report) escapes.
    if exc_name is not None and not _is_reporting_call(model, call):
        return not any(isinstance(n, ast.Name) and n.id == exc_name for n in ast.walk(call))
    return True


def _harmless_statement(
    model: ModuleModel, stmt: ast.stmt, exc_name: str | None, retry: bool
) -> bool:
    if isinstance(stmt, (ast.Pass, ast.Continue, ast.Break)):
        return True
    if isinstance(stmt, ast.Expr):
        value = stmt.value
        if isinstance(value, ast.Constant):
            return True  # a comment-like string or ``...``
        return isinstance(value, ast.Call) and _harmless_call(model, value, exc_name, retry)
    if isinstance(stmt, ast.Return):
        return stmt.value is None or (
            isinstance(stmt.value, ast.Constant) and stmt.value.value is None
        )
    if isinstance(stmt, ast.If):
        return harmless_block(model, stmt.body, exc_name, retry) and harmless_block(
            model, stmt.orelse, exc_name, retry
        )
    if retry:
        # A retry loop's bookkeeping: counting attempts, a conditional give-up.
        if isinstance(stmt, ast.Raise):
            return True
        if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, (ast.Name, ast.Attribute)):
            return not any(isinstance(n, ast.Call) for n in ast.walk(stmt.value))
    return False


def harmless_block(
    model: ModuleModel, stmts: list[ast.stmt], exc_name: str | None, retry: bool = False
) -> bool:
    return all(_harmless_statement(model, s, exc_name, retry) for s in stmts)


def swallows(model: ModuleModel, handler: ast.ExceptHandler) -> bool:
    """The handler's body only passes, logs, cleans up or leaves the block: the error it caught
    is gone. A body that raises, exits, returns a value, stores or hands on the exception, or
    calls anything else is not judged (it may report the failure another way)."""
    return harmless_block(model, handler.body, handler.name)


def always_exits(stmts: list[ast.stmt]) -> bool:
    """Control never falls off the end of ``stmts`` (raise, return, break or exit on every
    path the model follows)."""
    if not stmts:
        return False
    last = stmts[-1]
    if isinstance(last, (ast.Raise, ast.Return, ast.Break)):
        return True
    if isinstance(last, ast.Expr) and isinstance(last.value, ast.Call):
        return False
    if isinstance(last, ast.If):
        return always_exits(last.body) and always_exits(last.orelse)
    return False


def _is_exit_call(model: ModuleModel, node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and model.call_qualname(node) in _EXITS


def loop_continues(handler: ast.ExceptHandler) -> bool:
    """A ``continue`` of the loop around the handler (not of a loop nested in it)."""
    stack: list[ast.AST] = list(handler.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Continue):
            return True
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, (*_SCOPES, ast.For, ast.AsyncFor, ast.While)):
                stack.append(child)
    return False


# ----------------------------------------------------------------------------- fsync calls


def _callee_name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def is_error_fsync(model: ModuleModel, call: ast.Call) -> bool:
    """An fsync whose failure means lost data: ``os.fsync``, ``os.fdatasync``,
    ``fcntl(fd, F_FULLFSYNC)``, or a same-module helper named like one (``sync_dir``,
    ``_fsync``). ``os.sync()`` cannot fail; a broad function that syncs somewhere deep inside
    (``save()``) is a different decision: its caller may rightly log and carry on after an
    atomic save failed, since the old file is intact."""
    if is_direct_fsync(model, call):
        return model.call_qualname(call) != "os.sync"
    name = _callee_name(call)
    return name is not None and "sync" in name.lower() and is_fsync_call(model, call)


def fsync_label(model: ModuleModel, call: ast.Call) -> str:
    q = model.call_qualname(call)
    if q == "fcntl.fcntl":
        return "fcntl(F_FULLFSYNC)"
    return q or f"{model.text_of(call.func)}()"


# ----------------------------------------------------------------------------- retries


@dataclass(frozen=True)
class Retry:
    """An fsync executed again after an fsync failed.

    ``how`` is ``loop``, ``decorator`` or ``fallback``; ``first`` is the fsync that failed
    (the same call for loops and decorators) and ``handler`` the clause that sends control back.
    """

    call: ast.Call
    how: str
    first: ast.Call
    handler: ast.ExceptHandler | None = None
    decorator: str | None = None


@dataclass(frozen=True)
class FsyncErrorFacts:
    fsyncs: tuple[ast.Call, ...]
    retries: tuple[Retry, ...]

    @property
    def retry_handlers(self) -> frozenset[ast.ExceptHandler]:
        return frozenset(r.handler for r in self.retries if r.handler is not None)


def fsync_error_facts(model: ModuleModel) -> FsyncErrorFacts:
    """Computed once per module (``model.fact(fsync_error_facts)``)."""
    fsyncs = tuple(
        c
        for c in model.calls
        if (_callee_name(c) or "") == "fcntl" or "sync" in (_callee_name(c) or "").lower()
        if is_error_fsync(model, c)
    )
    retries: list[Retry] = []
    seen: set[int] = set()
    for call in fsyncs:
        for retry in _retries_of(model, call):
            if id(retry.call) not in seen:
                seen.add(id(retry.call))
                retries.append(retry)
    return FsyncErrorFacts(fsyncs, tuple(retries))


def _retries_of(model: ModuleModel, call: ast.Call) -> Iterator[Retry]:
    first = next(oserror_catchers(model, call), None)
    if first is not None and first.kind == "handler":
        assert first.info is not None
        handler = first.info.handler
        tested = errno_names_tested(model, handler)
        fallbacks = [
            n
            for n in walk_local(handler.body)
            if isinstance(n, ast.Call) and is_error_fsync(model, n)
        ]
        if fallbacks:
            if not (tested and tested <= NOT_SUPPORTED_ERRNOS):
                for fb in fallbacks:
                    yield Retry(fb, "fallback", call, handler)
            return
        if _loop_retry(model, call, first.info) and not (
            tested and tested <= _NOT_DATA_LOSS_ERRNOS
        ):
            yield Retry(call, "loop", call, handler)
            return
    decorator = _retrying_decorator(model, call)
    if decorator is not None and _escapes_function(model, call):
        yield Retry(call, "decorator", call, decorator=decorator)


def _loop_retry(model: ModuleModel, call: ast.Call, info: HandlerInfo) -> bool:
    """The handler goes back to the top of a loop that runs the same fsync again."""
    handler, try_node = info.handler, info.try_node
    loops = model.enclosing_loops(try_node)
    if not loops:
        return False
    loop = loops[0]
    if not harmless_block(model, handler.body, handler.name, retry=True):
        return False  # it does something else first (recovery from a durable copy?)
    if any(_is_exit_call(model, n) for n in walk_local(handler.body)):
        return False
    if not loop_continues(handler):
        if always_exits(handler.body) or _exits_after(model, try_node, loop):
            return False
    return _same_object_each_turn(model, call, loop)


def _exits_after(model: ModuleModel, stmt: ast.stmt, loop: ast.stmt) -> bool:
    """Whether anything between ``stmt`` and the end of ``loop``'s body may leave the loop."""
    node: ast.AST = stmt
    while node is not loop:
        parent = model.parent(node)
        if parent is None:
            return True
        for field in ("body", "orelse", "finalbody", "handlers"):
            block = getattr(parent, field, None)
            if isinstance(block, list) and any(s is node for s in block):
                index = next(i for i, s in enumerate(block) if s is node)
                following = block[index + 1 :]
                if any(
                    isinstance(n, (ast.Break, ast.Return, ast.Raise)) or _is_exit_call(model, n)
                    for n in walk_local(following)
                ):
                    return True
        node = parent
    return False


_REOPENS = frozenset({"os.open", "builtins.open", "io.open", "os.fdopen"})


def _stores_in(loop: ast.stmt) -> dict[str, list[ast.AST]]:
    """Names and attribute chains assigned inside ``loop`` (its target included), with the
    statements that assign them."""
    out: dict[str, list[ast.AST]] = {}

    def add(target: ast.AST, stmt: ast.AST) -> None:
        if isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                add(elt, stmt)
        elif isinstance(target, ast.Starred):
            add(target.value, stmt)
        else:
            key = dotted_name(target)
            if key is not None:
                out.setdefault(key, []).append(stmt)

    for node in walk_local([loop]):
        if isinstance(node, ast.Assign):
            for t in node.targets:
                add(t, node)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.NamedExpr, ast.For, ast.AsyncFor)):
            add(node.target, node)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None:
                    add(item.optional_vars, item)
    return out


def _truncates(model: ModuleModel, opener: ast.Call) -> bool:
    """``os.open(..., O_TRUNC)`` or ``open(..., "w")``: everything is written again."""
    q = model.call_qualname(opener)
    if q == "os.open":
        flags = call_arg(opener, 1, "flags")
        return flags is not None and model.mentions(flags, "os.O_TRUNC")
    mode = call_arg(opener, 1, "mode")
    return isinstance(mode, ast.Constant) and isinstance(mode.value, str) and "w" in mode.value


def _same_object_each_turn(model: ModuleModel, call: ast.Call, loop: ast.stmt) -> bool:
    """The fsync syncs the same file on every turn of ``loop``: its operands are names and
    attributes (and ``x.fileno()``) that the loop does not rebind, or rebinds only by
    re-opening the same path without truncating it (which still syncs the old, lost pages).
    A loop that iterates over files, or rewrites the whole file before each fsync, is not a
    retry."""
    stores = _stores_in(loop)
    for arg in [*call.args, *(k.value for k in call.keywords)]:
        for node in ast.walk(arg):
            if isinstance(node, ast.Call):
                func = node.func
                if not (
                    isinstance(func, ast.Attribute) and func.attr == "fileno" and not node.args
                ):
                    return False  # another call may return another object each time
            key = dotted_name(node) if isinstance(node, (ast.Name, ast.Attribute)) else None
            if key is None:
                continue
            for stmt in stores.get(key, ()):
                value = stmt.value if isinstance(stmt, ast.Assign) else None
                if not (isinstance(value, ast.Call) and model.call_qualname(value) in _REOPENS):
                    return False
                if _truncates(model, value):
                    return False
                path_names = {
                    dotted_name(n)
                    for a in value.args[:1]
                    for n in ast.walk(a)
                    if isinstance(n, (ast.Name, ast.Attribute))
                }
                if any(k in stores for k in path_names if k is not None):
                    return False
    return True


def _escapes_function(model: ModuleModel, call: ast.Call) -> bool:
    """An ``OSError`` from ``call`` leaves its function (possibly through re-raising
    handlers)."""
    for catcher in oserror_catchers(model, call):
        if catcher.kind != "handler":
            return False
        assert catcher.info is not None
        if not reraises(catcher.info.handler):
            return False
    return True


def _retrying_decorator(model: ModuleModel, call: ast.Call) -> str | None:
    func = model.enclosing_function(call)
    if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    for dec in func.decorator_list:
        name = retry_decorator_name(model, dec)
        if name is not None:
            return name
    return None


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def retry_decorator_name(model: ModuleModel, dec: ast.expr) -> str | None:
    """``@tenacity.retry``, ``@backoff.on_exception(...)``, ``@retrying.retry`` that retry on
    ``OSError``: the spelling to show, else None (unknown predicates stay silent)."""
    deco_call = dec if isinstance(dec, ast.Call) else None
    target = deco_call.func if deco_call is not None else dec
    q = model.qualname(target)
    label = f"@{model.text_of(target)}"
    if q == "tenacity.retry":
        if deco_call is None:
            return label
        if any(k.arg is None for k in deco_call.keywords):
            return None  # ``**options``: unknown predicate
        predicate = _keyword(deco_call, "retry")
        if predicate is None:
            return label  # retries on every exception
        if (
            isinstance(predicate, ast.Call)
            and model.call_qualname(predicate) == "tenacity.retry_if_exception_type"
        ):
            if not predicate.args and not predicate.keywords:
                return label
            types = exception_types(call_arg(predicate, 0, "exception_types"))
            return label if _catches_oserror(model, types) else None
        return None
    if q == "backoff.on_exception" and deco_call is not None:
        types = exception_types(call_arg(deco_call, 1, "exception"))
        return label if types and _catches_oserror(model, types) else None
    if q == "retrying.retry":
        if deco_call is not None and any(
            k.arg in ("retry_on_exception", "retry_on_result") or k.arg is None
            for k in deco_call.keywords
        ):
            return None
        return label
    return None
