"""IO4xx: error handling around durability (swallowed and retried fsync, swallowed close,
writers left to the garbage collector)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from iolint.diagnostics import Applicability, Diagnostic, Fix
from iolint.edits import fresh_name, indent_unit, replace_node, stands_alone
from iolint.model import ModuleModel
from iolint.model.consequence import defers_close_errors
from iolint.model.failures import (
    Catcher,
    Retry,
    fsync_error_facts,
    fsync_label,
    in_handler_body,
    is_error_fsync,
    oserror_catchers,
    swallows,
)
from iolint.model.handlers import reraises
from iolint.model.io_calls import receiver_of
from iolint.model.kinds import call_arg
from iolint.model.scopes import walk_local
from iolint.model.writes import (
    STREAM_SINKS,
    fd_writes_in_function,
    file_writes_in_function,
    known_file,
    writable_mode,
)
from iolint.rules.base import Rule, RuleContext

FSYNC_TRIGGERS = ("*sync*(", "FSYNC")


def _first_swallower(model: ModuleModel, call: ast.Call) -> Catcher | None:
    """The catcher that swallows an ``OSError`` raised at ``call``, if the first catchers on
    its way out either swallow it or re-raise it (an unknown handler ends the search)."""
    for catcher in oserror_catchers(model, call):
        if catcher.kind == "unknown":
            return None
        if catcher.kind == "suppress":
            return catcher
        assert catcher.info is not None
        handler = catcher.info.handler
        if swallows(model, handler):
            return catcher
        if not reraises(handler):
            return None  # it does something the model does not judge
    return None


def _report_node(catcher: Catcher) -> tuple[ast.AST, ast.AST]:
    """Start and end nodes of a catcher's report: the ``except ...`` header, or the
    ``suppress(...)`` call."""
    node = catcher.node
    if isinstance(node, ast.ExceptHandler):
        return node, node.type or node
    return node, node


# ------------------------------------------------------------------------------- IO401


class FsyncErrorSwallowed(Rule):
    code = "IO401"
    severity = "error"
    name = "fsync-error-swallowed"
    summary = "An fsync failure is caught and ignored, so the program goes on over lost data."
    fix_applicability = Applicability.DISPLAY_ONLY
    triggers = FSYNC_TRIGGERS

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        model = ctx.model
        facts = model.fact(fsync_error_facts)
        reported: set[int] = set()
        for call in facts.fsyncs:
            catcher = _first_swallower(model, call)
            if catcher is None or id(catcher.node) in reported:
                continue
            if catcher.node in facts.retry_handlers:
                continue  # IO402 reports the retry, the more specific bug
            reported.add(id(catcher.node))
            label = fsync_label(model, call)
            where = (
                f"`{model.text_of(catcher.node)}` around `{label}`"
                if catcher.kind == "suppress"
                else f"this handler swallows errors of `{label}`"
            )
            message = (
                f"{where}: after a failed fsync the kernel may have dropped the unwritten "
                "pages and marked them clean, so the data is silently lost while the program "
                "carries on; re-raise (ignore only errno EINVAL, ENOTSUP/EOPNOTSUPP, EROFS)"
            )
            start, end = _report_node(catcher)
            yield self.diagnostic(ctx, start, message, end_node=end)


# ------------------------------------------------------------------------------- IO402


class FsyncRetried(Rule):
    code = "IO402"
    severity = "error"
    name = "fsync-retried"
    summary = "An fsync is retried after it failed, which can report success over lost data."
    fix_applicability = Applicability.DISPLAY_ONLY
    triggers = FSYNC_TRIGGERS

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        model = ctx.model
        for retry in model.fact(fsync_error_facts).retries:
            yield self.diagnostic(ctx, retry.call, self._message(model, retry))

    @staticmethod
    def _message(model: ModuleModel, retry: Retry) -> str:
        label = fsync_label(model, retry.call)
        tail = (
            "Linux may have dropped the dirty pages and marked them clean, so the retry "
            '"succeeds" over lost data (PostgreSQL\'s fsyncgate); fail instead and rewrite '
            "from a durable copy"
        )
        if retry.how == "fallback":
            first = fsync_label(model, retry.first)
            return (
                f"`{label}` runs after `{first}` failed with any error: after a failed fsync "
                f"{tail}; fall back only on errno ENOTSUP/EINVAL and re-raise the rest"
            )
        if retry.how == "decorator":
            return f"`{label}` is retried by `{retry.decorator}` when it fails: {tail}"
        return f"`{label}` runs again on the next turn of the loop after it failed: {tail}"


# ------------------------------------------------------------------------------- IO403


def _written_close(model: ModuleModel, call: ast.Call) -> tuple[str, list[ast.Call]] | None:
    """``f.close()`` of a file written in the function, or ``os.close(fd)`` of a written fd:
    the spelling of the call and the writes, else None."""
    q = model.call_qualname(call)
    if q == "os.close":
        fd = call_arg(call, 0, "fd")
        if fd is None or len(call.args) != 1:
            return None
        writes = fd_writes_in_function(model, fd)
        return ("os.close()", writes) if writes else None
    func = call.func
    if q is not None or not isinstance(func, ast.Attribute) or call.args or call.keywords:
        return None
    kind = known_file(model, func.value)
    if kind is None or not writable_mode(kind.mode):
        return None
    writes = file_writes_in_function(model, func.value, kind)
    return (f"{model.text_of(func.value)}.close()", writes) if writes else None


def _guarded_body(model: ModuleModel, catcher: Catcher) -> list[ast.stmt]:
    """The statements whose errors the catcher receives."""
    if catcher.info is not None:
        return list(catcher.info.try_node.body)
    node = model.parent(catcher.node)
    while node is not None and not isinstance(node, (ast.With, ast.AsyncWith)):
        node = model.parent(node)
    return list(node.body) if node is not None else []


def _covers_fsync(model: ModuleModel, catcher: Catcher) -> bool:
    """The catcher also guards an fsync: IO401 (or IO402) judges it."""
    body = _guarded_body(model, catcher)
    return any(isinstance(n, ast.Call) and is_error_fsync(model, n) for n in walk_local(body))


def _inside(model: ModuleModel, node: ast.AST, body: list[ast.stmt]) -> bool:
    ids = {id(s) for s in body}
    return any(id(a) in ids for a in (node, *model.ancestors(node)))


class CloseErrorSwallowed(Rule):
    code = "IO403"
    name = "close-error-swallowed"
    summary = "The error of closing a written file is swallowed, hiding write failures."
    fix_applicability = Applicability.DISPLAY_ONLY
    triggers = ("close(",)
    # It reports an ``except`` handler or a ``suppress(...)`` in the closing function: a file
    # with neither cannot swallow the error.
    also_triggers = ("except", "suppress")

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        model = ctx.model
        reported: set[int] = set()
        for call in model.calls_named("close"):
            found = _written_close(model, call)
            if found is None or in_handler_body(model, call):
                continue  # on an error path, the first error is the one that matters
            label, writes = found
            closed = call_arg(call, 0, "fd") if label == "os.close()" else receiver_of(call)
            if closed is not None and not defers_close_errors(model, closed):
                continue  # a pipe, FIFO, socket or O_NONBLOCK descriptor defers no error
            catcher = _first_swallower(model, call)
            if catcher is None or id(catcher.node) in reported or _covers_fsync(model, catcher):
                continue
            guarded = _guarded_body(model, catcher)
            if all(_inside(model, w, guarded) for w in writes):
                # The writes fail into the same handler: a deliberate best-effort write (a
                # cache, a probe), whose close is no different from its writes.
                continue
            reported.add(id(catcher.node))
            message = (
                f"the error of `{label}` is swallowed here, but a written file reports "
                "deferred write errors at close (ENOSPC, EDQUOT, EIO on NFS): the data is lost "
                "without a trace; let the error propagate"
            )
            start, end = _report_node(catcher)
            yield self.diagnostic(ctx, start, message, end_node=end)


# ------------------------------------------------------------------------------- IO404

_OPENERS = frozenset({"builtins.open", "io.open", "codecs.open", "os.fdopen"})
_FIXABLE_STATEMENTS = (ast.Expr, ast.Assign, ast.Return)
_NAME_CANDIDATES = ("f", "fh", "out", "stream")
_NEWLINES = re.compile(r"\r\n|\r|\n")


def _is_simple(node: ast.AST | None) -> bool:
    """Evaluating it again, or later, cannot change anything: names, constants, attributes
    and containers of those."""
    if node is None or isinstance(node, (ast.Name, ast.Constant)):
        return True
    if isinstance(node, ast.Attribute):
        return _is_simple(node.value)
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return all(_is_simple(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(_is_simple(k) for k in node.keys) and all(_is_simple(v) for v in node.values)
    if isinstance(node, ast.keyword):
        return _is_simple(node.value)
    if isinstance(node, ast.Starred):
        return _is_simple(node.value)
    return False


def _unclosed_use(model: ModuleModel, call: ast.Call) -> str | None:
    """How a writable ``open(...)`` result is used without being bound: the consumer's
    spelling, else None."""
    parent = model.parent(call)
    if isinstance(parent, ast.Attribute) and parent.value is call:
        grand = model.parent(parent)
        if (
            isinstance(grand, ast.Call)
            and grand.func is parent
            and parent.attr in ("write", "writelines")
        ):
            return f".{parent.attr}()"
        return None
    consumer = parent
    keyword = None
    if isinstance(parent, ast.keyword):
        keyword = parent.arg
        consumer = model.parent(parent)
    if not isinstance(consumer, ast.Call) or consumer.func is call:
        return None
    q = model.call_qualname(consumer)
    if q == "builtins.print":
        return "print()" if keyword == "file" else None
    if q in STREAM_SINKS:
        position, name = STREAM_SINKS[q]
        if call_arg(consumer, position, name) is call:
            return f"{model.text_of(consumer.func)}()"
    return None


def _is_devnull(model: ModuleModel, path: ast.expr | None) -> bool:
    """Output thrown away on purpose: nothing to lose."""
    if path is None:
        return False
    return model.qualname(path) == "os.devnull" or (
        isinstance(path, ast.Constant) and path.value == "/dev/null"
    )


class UnclosedWriter(Rule):
    code = "IO404"
    name = "unclosed-writer"
    summary = "A file opened for writing is used in an expression and never closed explicitly."
    fix_applicability = Applicability.SAFE
    triggers = ("open(", "fdopen(")

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        model = ctx.model
        for call in model.calls_named("open", "fdopen"):
            kind = model.kind_of(call)
            if kind is None or kind.temp or not writable_mode(kind.mode):
                continue
            q = model.call_qualname(call)
            if q is not None and q not in _OPENERS:
                continue
            use = _unclosed_use(model, call)
            if use is None or _is_devnull(model, call_arg(call, 0, "file")):
                continue
            message = (
                f"this file opened for writing goes straight into `{use}` and is never closed: "
                "buffered data is flushed by the garbage collector, which swallows errors such "
                "as ENOSPC, so a full disk leaves a truncated file without a trace; write in a "
                "`with` block"
            )
            yield self.diagnostic(ctx, call, message, self._fix(model, call))

    def _fix(self, model: ModuleModel, call: ast.Call) -> Fix | None:
        stmt = model.statement_of(call)
        if not isinstance(stmt, _FIXABLE_STATEMENTS) or not stands_alone(model, stmt):
            return None
        if isinstance(stmt, ast.Assign) and not all(isinstance(t, ast.Name) for t in stmt.targets):
            return None
        safe = self._evaluated_before_is_simple(model, call, stmt)
        if safe is None:
            return None
        multiline = model.start(stmt).line != model.end(stmt).line
        if multiline and any(
            isinstance(n, (ast.Constant, ast.JoinedStr))
            and getattr(n, "lineno", 0) != getattr(n, "end_lineno", 0)
            for n in ast.walk(stmt)
        ):
            return None  # re-indenting would change a multi-line string
        name = self._name(model, stmt)
        source = model.source
        base = source.offset(model.start(stmt))
        a = source.offset(model.start(call)) - base
        b = source.offset(model.end(call)) - base
        text = model.text_of(stmt)
        body = text[:a] + name + text[b:]
        indent = source.indentation(model.start(stmt).line)
        step = indent_unit(model, stmt)
        nl = source.newline
        lines = _NEWLINES.split(body)
        content = f"with {model.text_of(call)} as {name}:{nl}{indent}{step}{lines[0]}"
        content += "".join(nl + (step + line if line.strip() else line) for line in lines[1:])
        return Fix(
            f"Write in a `with` block: `with {model.text_of(call.func)}(...) as {name}:`",
            Applicability.SAFE if safe else Applicability.UNSAFE,
            (replace_node(model, stmt, content),),
        )

    @staticmethod
    def _evaluated_before_is_simple(
        model: ModuleModel, call: ast.Call, stmt: ast.stmt
    ) -> bool | None:
        """Whether everything the statement evaluates before the ``open`` call is simple
        (then opening first changes nothing); None when the call sits somewhere the rewrite
        cannot move it from (a lambda, a comprehension, a conditional branch)."""
        simple = True
        child: ast.AST = call
        node = model.parent(call)
        while node is not None and node is not stmt:
            if isinstance(node, ast.Call):
                if child is not node.func:
                    simple = simple and _is_simple(node.func)
                    for arg in [*node.args, *node.keywords]:
                        if arg is child:
                            break
                        simple = simple and _is_simple(arg)
            elif not isinstance(node, (ast.Attribute, ast.keyword)):
                return None
            child, node = node, model.parent(node)
        if node is None:
            return None
        return simple

    @staticmethod
    def _name(model: ModuleModel, stmt: ast.stmt) -> str:
        """``f`` unless the function already mentions it; at module or class level a name
        that appears nowhere in the module."""
        func = model.enclosing_function(stmt)
        if isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)) and not isinstance(
            model.parent(stmt), ast.ClassDef
        ):
            text = model.text_of(func)
            for candidate in _NAME_CANDIDATES:
                if not re.search(rf"\b{candidate}\b", text):
                    return candidate
        return fresh_name(model, "f")


__all__ = [
    "CloseErrorSwallowed",
    "FsyncErrorSwallowed",
    "FsyncRetried",
    "UnclosedWriter",
]
