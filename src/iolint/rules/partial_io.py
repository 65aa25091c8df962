"""IO1xx: partial transfers, EOF and C-style checks."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from iolint.diagnostics import Applicability, Diagnostic, Edit, Fix
from iolint.edits import (
    fresh_name,
    indent_unit,
    insert_after_statement,
    lines_block,
    replace_node,
    stands_alone,
)
from iolint.model import ModuleModel
from iolint.model.eof import EofVerdict, analyze_eof
from iolint.model.io_calls import (
    classify_read,
    is_bytes_literal_of_len,
    mentions_msg_waitall,
    method_name,
    receiver_of,
    stream_socket_send,
    write_count_call,
)
from iolint.model.kinds import Category, call_arg, literal_int
from iolint.rules.base import Rule, RuleContext

READ_TRIGGERS = ("read", "recv")


def _simple_expr(node: ast.expr | None) -> bool:
    """Cheap to evaluate again and free of side effects: names, attributes, constants and
    ``x.fileno()``."""
    if isinstance(node, (ast.Name, ast.Constant)):
        return True
    if isinstance(node, ast.Attribute):
        return _simple_expr(node.value)
    if isinstance(node, ast.Call):
        return (
            method_name(node) == "fileno"
            and not node.args
            and not node.keywords
            and _simple_expr(receiver_of(node))
        )
    return False


class UncheckedWriteCount(Rule):
    code = "IO101"
    name = "unchecked-write-count"
    summary = "The byte count returned by a low-level write is discarded; a short write loses the rest."
    fix_applicability = Applicability.UNSAFE
    triggers = ("write", "sendfile", "splice", "copy_file_range")

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        model = ctx.model
        for call in model.calls_named(
            "write", "pwrite", "writev", "pwritev", "sendfile", "splice", "copy_file_range"
        ):
            found = write_count_call(model, call)
            if found is None or not model.is_discarded(call):
                continue
            label, payload = found
            # A single wake-up byte (self-pipe trick) is written whole or not at all.
            if is_bytes_literal_of_len(payload, 1):
                continue
            message = (
                f"`{label}` may write fewer bytes than given (signals, pipes, sockets, full "
                "disks) and the count it returns is discarded, so the rest is silently lost; "
                "loop until everything is written"
            )
            yield self.diagnostic(ctx, call, message, self._fix(model, call, label))

    def _fix(self, model: ModuleModel, call: ast.Call, label: str) -> Fix | None:
        stmt = model.parent(call)
        if not isinstance(stmt, ast.Expr) or not stands_alone(model, stmt) or call.keywords:
            return None
        if label == "os.write" and len(call.args) == 2:
            target, payload = call.args
        elif label == "raw write()" and len(call.args) == 1:
            target, payload = receiver_of(call), call.args[0]
        else:
            return None
        if not _simple_expr(target) or isinstance(payload, ast.Starred):
            return None
        view = fresh_name(model, "_pending")
        indent = model.source.indentation(model.start(stmt).line)
        step = indent_unit(model, stmt)
        func = model.text_of(call.func)
        if label == "os.write":
            advance = f"{func}({model.text_of(target)}, {view})"  # type: ignore[arg-type]
        else:
            advance = f"{func}({view})"
        lines = [
            f"{view} = memoryview({model.text_of(payload)})",
            f"while {view}:",
            f"{step}{view} = {view}[{advance}:]",
        ]
        return Fix(
            "Write everything with a loop over a memoryview",
            Applicability.UNSAFE,
            (replace_node(model, stmt, lines_block(model, indent, lines)),),
        )


class UncheckedSendCount(Rule):
    code = "IO102"
    name = "unchecked-send-count"
    summary = "`socket.send()` may send only part of the data and its count is discarded."
    fix_applicability = Applicability.SAFE
    triggers = ("send",)

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        model = ctx.model
        may_be_nonblocking = _module_may_use_nonblocking(model)
        for call in model.calls_named("send", "sendmsg"):
            kind = stream_socket_send(model, call)
            if kind is None or not model.is_discarded(call):
                continue
            meth = method_name(call)
            fix = None
            if meth == "send" and isinstance(call.func, ast.Attribute):
                end = model.end(call.func)
                start = type(end)(end.line, end.column - len("send"))
                created_here = isinstance(kind.origin, ast.Call)
                safe = created_here and not may_be_nonblocking
                fix = Fix(
                    "Use `sendall()`, which loops until every byte is sent",
                    Applicability.SAFE if safe else Applicability.UNSAFE,
                    (Edit(start, end, "sendall"),),
                )
            message = (
                f"`{meth}()` on a stream socket may send only part of the data and the count "
                "it returns is discarded, so the rest is lost under load; use `sendall()`"
            )
            yield self.diagnostic(ctx, call, message, fix)


def _module_may_use_nonblocking(model: ModuleModel) -> bool:
    """Whether any socket in the module may be non-blocking or have a timeout, in which case
    ``sendall`` can raise after sending an unknown amount: the ``sendall`` fix is then unsafe."""
    text = model.source.text
    return any(
        word in text
        for word in ("setblocking", "settimeout", "SOCK_NONBLOCK", "set_blocking", "O_NONBLOCK", "selectors", "asyncio")
    )


# ------------------------------------------------------------------------------- IO103


def _is_struct_sink(model: ModuleModel, call: ast.Call, arg: ast.AST) -> bool:
    q = model.call_qualname(call)
    if q in ("struct.unpack", "struct.unpack_from", "struct.iter_unpack"):
        return len(call.args) >= 2 and call.args[1] is arg
    if q == "builtins.int.from_bytes":
        return bool(call.args) and call.args[0] is arg
    meth = method_name(call)
    if meth in ("unpack", "unpack_from") and call.args and call.args[0] is arg:
        receiver = receiver_of(call)
        return receiver is not None and _is_struct_instance(model, receiver)
    return False


def _is_struct_instance(model: ModuleModel, expr: ast.expr) -> bool:
    if isinstance(expr, ast.Call):
        return model.call_qualname(expr) == "struct.Struct"
    if isinstance(expr, ast.Name):
        bindings = model.bindings_of(expr.id, expr)
        return bool(bindings) and all(
            b.kind == "assign" and b.value is not None and b.index is None and _is_struct_instance(model, b.value)
            for b in bindings or ()
        )
    if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name):
        # Class-level constants: ``HEADER = struct.Struct(">I")`` used as ``self.HEADER``.
        for cls in (n for n in ast.walk(model.tree) if isinstance(n, ast.ClassDef)):
            for stmt in cls.body:
                if (
                    isinstance(stmt, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == expr.attr for t in stmt.targets)
                    and isinstance(stmt.value, ast.Call)
                    and model.call_qualname(stmt.value) == "struct.Struct"
                ):
                    return True
    return False


def _fixed_subscript(node: ast.AST, value: ast.AST) -> str | None:
    """``x[3]`` -> "index", ``x[2:6]`` -> "slice" when bounds are literals, else None."""
    if not isinstance(node, ast.Subscript) or node.value is not value or not isinstance(node.ctx, ast.Load):
        return None
    s = node.slice
    if literal_int(s) is not None or (
        isinstance(s, ast.UnaryOp) and isinstance(s.op, ast.USub) and literal_int(s.operand) is not None
    ):
        return "index"
    if isinstance(s, ast.Slice) and s.step is None and (s.lower or s.upper):
        bounds = [b for b in (s.lower, s.upper) if b is not None]
        if all(literal_int(b) is not None for b in bounds):
            return "slice"
    return None


def _sink(model: ModuleModel, value: ast.expr) -> str | None:
    """How ``value`` (a read result or its name) is used as if it had a fixed length."""
    parent = model.parent(value)
    if isinstance(parent, ast.Call) and _is_struct_sink(model, parent, value):
        return f"`{model.text_of(parent.func)}()`"
    sub = _fixed_subscript(parent, value) if parent is not None else None
    if sub == "index":
        return "a fixed index"
    if sub == "slice":
        return "a fixed slice"
    if isinstance(parent, ast.Assign) and parent.value is value:
        if any(isinstance(t, (ast.Tuple, ast.List)) for t in parent.targets):
            return "fixed-size unpacking"
    return None


def _guarded(model: ModuleModel, name: str, bind: ast.AST, use: ast.Name, sink: str) -> bool:
    """A length check of ``name`` between its binding and ``use`` (source order)."""
    scope = model.scope_of(use)
    lo = (getattr(bind, "lineno", 0), getattr(bind, "col_offset", 0))
    hi = (use.lineno, use.col_offset)
    for load in scope.loads.get(name, ()):
        key = (load.lineno, load.col_offset)
        if not lo < key < hi or load is use:
            continue
        parent = model.parent(load)
        if isinstance(parent, ast.Call) and isinstance(parent.func, ast.Name) and parent.func.id == "len":
            return True
        if isinstance(parent, ast.Compare):
            return True
        if sink == "a fixed index" and _in_test(model, load):
            return True
    return False


def _in_test(model: ModuleModel, node: ast.AST) -> bool:
    child = node
    for anc in model.ancestors(node):
        if isinstance(anc, (ast.If, ast.While, ast.Assert, ast.IfExp)) and anc.test is child:
            return True
        if not isinstance(anc, (ast.UnaryOp, ast.BoolOp)):
            return False
        child = anc
    return False


class ShortReadAssumed(Rule):
    code = "IO103"
    name = "short-read-assumed"
    summary = "A read's result is used as if it always had the requested length."
    fix_applicability = Applicability.DISPLAY_ONLY
    triggers = READ_TRIGGERS

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        model = ctx.model
        for call in model.calls_named("read", "pread", "recv", "recv_into", "readinto"):
            read = classify_read(model, call)
            if read is None or (method_name(call) == "recv" and mentions_msg_waitall(model, call)):
                continue
            sink = self._sink_of(model, read.call, read.returns_bytes, read.buffer)
            if sink is None:
                continue
            message = (
                f"`{read.label}` can return fewer bytes than requested (and b'' at EOF), but "
                f"its result reaches {sink} with no length check; read in a loop until you "
                "have exactly n bytes and raise EOFError on b''"
            )
            yield self.diagnostic(ctx, call, message)

    def _sink_of(
        self, model: ModuleModel, call: ast.Call, returns_bytes: bool, buffer: ast.expr | None
    ) -> str | None:
        if not returns_bytes:
            # recv_into(buf)/readinto(buf) whose count is thrown away, then buf decoded.
            if buffer is None or not isinstance(buffer, ast.Name):
                return None
            stmt = model.parent(call)
            if not isinstance(stmt, ast.Expr):
                return None
            for use in model.uses_after(buffer.id, stmt):
                sink = _sink(model, use)
                if sink is not None and sink.startswith("`"):
                    return sink
            return None
        sink = _sink(model, call)
        if sink is not None:
            return sink
        parent = model.parent(call)
        if isinstance(parent, (ast.Assign, ast.NamedExpr)):
            targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
            if len(targets) != 1 or not isinstance(targets[0], ast.Name):
                return None
            name = targets[0].id
            for use in model.uses_after(name, parent):
                sink = _sink(model, use)
                if sink is not None and not _guarded(model, name, parent, use, sink):
                    return sink
        return None


# ------------------------------------------------------------------------------- IO104


class EofNotHandled(Rule):
    code = "IO104"
    name = "eof-not-handled"
    summary = "A read loop never tests for EOF (b''), so it spins forever once the peer is gone."
    fix_applicability = Applicability.UNSAFE
    triggers = READ_TRIGGERS

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        model = ctx.model
        for call in model.calls_named("read", "pread", "recv", "recv_into", "readinto"):
            read = classify_read(model, call)
            if read is None:
                continue
            verdict = analyze_eof(model, read)
            if verdict is None:
                continue
            if verdict.wrong_sentinel:
                message = (
                    f"`{read.label}` signals EOF by returning b'' (never None, never raising "
                    f"EOFError), so the {verdict.wrong_sentinel} test never sees EOF and the "
                    "loop spins forever at 100% CPU; test `if not data: break`"
                )
            else:
                message = (
                    f"this loop calls `{read.label}` but nothing tests its result for EOF "
                    "(b''); once the other end closes it spins forever at 100% CPU; add "
                    "`if not data: break`"
                )
            yield self.diagnostic(ctx, call, message, self._fix(model, verdict))

    def _fix(self, model: ModuleModel, verdict: EofVerdict) -> Fix | None:
        stmt = verdict.binding_statement
        name = verdict.result_name
        if stmt is None or name is None or not stands_alone(model, stmt):
            return None
        if not isinstance(stmt, ast.Assign) or verdict.returns_count:
            return None
        indent = model.source.indentation(model.start(stmt).line)
        step = indent_unit(model, stmt)
        edit = insert_after_statement(model, stmt, [f"if not {name}:", f"{step}break"], indent)
        return Fix(f"Leave the loop at EOF: `if not {name}: break`", Applicability.UNSAFE, (edit,))


# ------------------------------------------------------------------------------- IO105

_C_RESULT_CALLS = frozenset({"os.read", "os.pread", "os.write", "os.pwrite", "os.open", "os.lseek"})


def _negative_one(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and literal_int(node.operand) == 1
    ) or literal_int(node) == -1


def _zero(node: ast.expr) -> bool:
    return literal_int(node) == 0


def _io_result(model: ModuleModel, expr: ast.expr, at: ast.AST) -> tuple[str, bool] | None:
    """(label, returns_bytes) when ``expr`` is the result of an os/socket call, directly or
    through the latest binding of a name before ``at``."""
    if isinstance(expr, ast.Call):
        q = model.call_qualname(expr)
        if q in _C_RESULT_CALLS:
            return q, q in ("os.read", "os.pread")
        read = classify_read(model, expr)
        if read is not None:
            return read.label, read.returns_bytes
        if stream_socket_send(model, expr) is not None or (
            method_name(expr) in ("send", "sendto", "sendmsg")
            and (k := model.kind_of(receiver_of(expr))) is not None  # type: ignore[arg-type]
            and k.category is Category.SOCKET
        ):
            return f"{method_name(expr)}()", False
        return None
    if isinstance(expr, ast.Name):
        scope = model.scope_of(expr)
        owner = scope.lookup_scope(expr.id)
        if owner is not scope:
            return None
        before = [
            b
            for b in scope.bindings.get(expr.id, ())
            if (getattr(b.node, "lineno", 0), getattr(b.node, "col_offset", 0)) < (expr.lineno, expr.col_offset)
        ]
        if not before:
            return None
        latest = max(before, key=lambda b: (getattr(b.node, "lineno", 0), getattr(b.node, "col_offset", 0)))
        if latest.kind in ("assign", "walrus") and latest.index is None and isinstance(latest.value, ast.Call):
            return _io_result(model, latest.value, at)
    return None


class CStyleErrorCheck(Rule):
    code = "IO105"
    name = "c-style-error-check"
    summary = "An I/O result is checked like C's -1 error return, or bytes are compared with 0."
    fix_applicability = Applicability.SAFE
    triggers = ("read", "write", "send", "recv", "open", "lseek")

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        model = ctx.model
        for node in ast.walk(model.tree):
            if not isinstance(node, ast.Compare) or len(node.ops) != 1:
                continue
            left, op, right = node.left, node.ops[0], node.comparators[0]
            for subject, other, flipped in ((left, right, False), (right, left, True)):
                found = _io_result(model, subject, node)
                if found is None:
                    continue
                label, returns_bytes = found
                d = self._check_one(ctx, node, subject, other, op, flipped, label, returns_bytes)
                if d is not None:
                    yield d
                    break

    def _check_one(
        self,
        ctx: RuleContext,
        node: ast.Compare,
        subject: ast.expr,
        other: ast.expr,
        op: ast.cmpop,
        flipped: bool,
        label: str,
        returns_bytes: bool,
    ) -> Diagnostic | None:
        model = ctx.model
        if flipped:
            op = {ast.Lt: ast.Gt(), ast.Gt: ast.Lt(), ast.LtE: ast.GtE(), ast.GtE: ast.LtE()}.get(type(op), op)
        negative = (_negative_one(other) and isinstance(op, (ast.Eq, ast.NotEq, ast.LtE, ast.Gt))) or (
            _zero(other) and isinstance(op, (ast.Lt, ast.GtE))
        )
        if negative:
            message = (
                f"`{label}` never returns -1 or a negative number: Python raises OSError "
                "instead, so this check is dead and the error goes unhandled here; catch "
                "OSError (or a subclass) around the call"
            )
            return self.diagnostic(ctx, node, message)
        if returns_bytes and _zero(other) and isinstance(op, (ast.Eq, ast.NotEq, ast.Is, ast.IsNot)):
            never = isinstance(op, (ast.Eq, ast.Is))
            message = (
                f"`{label}` returns bytes, and b'' at EOF, never the integer 0: this "
                f"comparison is always {'False' if never else 'True'}; test `not data` for EOF"
            )
            fix = None
            if isinstance(op, ast.Eq):
                fix = Fix(
                    "Test emptiness with `not`",
                    Applicability.SAFE,
                    (replace_node(model, node, f"not {model.text_of(subject)}"),),
                )
            return self.diagnostic(ctx, node, message, fix)
        return None


__all__ = [
    "CStyleErrorCheck",
    "EofNotHandled",
    "ShortReadAssumed",
    "UncheckedSendCount",
    "UncheckedWriteCount",
    "call_arg",
]
