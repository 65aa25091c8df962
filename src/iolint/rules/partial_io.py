"""IO1xx: partial transfers, EOF and C-style checks."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator

from iolint.diagnostics import Applicability, Diagnostic, Edit, Fix
from iolint.edits import replace_node
from iolint.model import ModuleModel
from iolint.model.consequence import (
    best_effort_diagnostic,
    eof_handed_to_parser,
    expects_exception,
    fills_buffer,
    in_test_code,
    message_oriented,
    payload_bound,
    small_write_once,
    truth_guarded,
)
from iolint.model.eof import EofVerdict, analyze_eof
from iolint.model.fill_loops import FullSizeRefill, full_size_refill
from iolint.model.handlers import covering_handlers, gives_up
from iolint.model.helper_params import helper_param
from iolint.model.io_calls import (
    READ_CALL_NAMES,
    ReadCall,
    classify_read,
    executor_target,
    is_single_byte,
    mentions_msg_waitall,
    method_name,
    read_wrapper_names,
    receiver_of,
    stream_socket_send,
    write_count_call,
)
from iolint.model.kinds import Category, call_arg, literal_int
from iolint.model.length_checks import gives_up_on_short_read
from iolint.model.library import TIMED_SOCKET_OF_OBJECT
from iolint.model.line_streams import line_stream, literal_line_type, tests_empty_line
from iolint.model.nonblocking import nonblocking_facts
from iolint.model.readiness import drains_until_idle
from iolint.model.write_offsets import replaced_offset
from iolint.rules.base import Rule, RuleContext

READ_TRIGGERS = ("read(", "pread(", "readinto(", "recv(", "recv_into(")


class UncheckedWriteCount(Rule):
    code = "IO101"
    severity = "error"
    name = "unchecked-write-count"
    summary = (
        "The byte count returned by a low-level write is discarded; a short write loses the rest."
    )
    fix_applicability = Applicability.UNSAFE
    triggers = (
        "write(",
        "pwrite(",
        "writev(",
        "pwritev(",
        "sendfile(",
        "splice(",
        "copy_file_range(",
        "run_in_executor(",
        "to_thread(",
        "run_sync(",
    )

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        model = ctx.model
        direct = model.calls_named(
            "write", "pwrite", "writev", "pwritev", "sendfile", "splice", "copy_file_range"
        )
        through_executors = model.calls_named("run_in_executor", "to_thread", "run_sync")
        for call, target in [*((c, c) for c in direct), *_executor_calls(model, through_executors)]:
            found = write_count_call(model, target)
            if found is None:
                continue
            label, payload = found
            if not model.is_discarded(call):
                if target is call:
                    offset = replaced_offset(model, call, payload)
                    if offset is not None:
                        yield self.diagnostic(ctx, call, _replaced_offset_message(label, offset))
                continue
            dest = receiver_of(call) if label == "raw write()" else call_arg(call, 0)
            # A single wake-up byte (self-pipe trick) is written whole or not at all, and a
            # message-oriented descriptor (tun/tap, datagram) takes a write whole or fails.
            if _never_short(model, payload, dest) or expects_exception(model, call):
                continue
            if not ctx.options.strict and _harmless_here(model, call, dest, payload):
                continue
            message = (
                f"`{label}` may write fewer bytes than given (signals, pipes, sockets, full "
                "disks) and the count it returns is discarded, so the rest is silently lost; "
                "loop until everything is written"
            )
            if target is not call:
                message = f"{message} (the executor returns that count)"
            fix = self._fix(model, call, label, dest) if target is call else None
            yield self.diagnostic(ctx, call, message, fix)

    def _fix(
        self, model: ModuleModel, call: ast.Call, label: str, dest: ast.expr | None
    ) -> Fix | None:
        # A loop over a non-blocking descriptor cannot wait: after a short write the next
        # write raises BlockingIOError, where the code dropped the tail and went on (a pty
        # bridge whose ``except OSError`` then closes the session). It needs a readiness
        # wait, which is not ours to invent: advice only.
        if dest is not None and model.fact(nonblocking_facts).is_nonblocking(dest, call):
            return None
        # Imported when a fix is built: lint-only runs without findings need no fix module.
        from iolint.fixes.write_all import write_all_fix

        return write_all_fix(model, call, label)


def _replaced_offset_message(label: str, offset: str) -> str:
    return (
        f"`{label}` returns the count of this call only, but it replaces the offset "
        f"`{offset}` instead of adding to it: after a short write the loop writes from the "
        f"wrong place (bytes already written go out again) or never ends; use "
        f"`{offset} += ...`"
    )


def _executor_calls(
    model: ModuleModel, calls: Iterable[ast.Call]
) -> Iterator[tuple[ast.Call, ast.Call]]:
    """(executor call, the call it runs) for ``run_in_executor``/``to_thread``/``run_sync``."""
    for call in calls:
        target = executor_target(model, call)
        if target is not None:
            yield call, target


class UncheckedSendCount(Rule):
    code = "IO102"
    severity = "error"
    name = "unchecked-send-count"
    summary = "`socket.send()` may send only part of the data and its count is discarded."
    fix_applicability = Applicability.SAFE
    triggers = ("send(", "sendmsg(")

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        model = ctx.model
        may_be_nonblocking = _module_may_use_nonblocking(model)
        for call in model.calls_named("send", "sendmsg"):
            kind = stream_socket_send(model, call)
            if kind is None or not model.is_discarded(call) or expects_exception(model, call):
                continue
            # One byte (a wake-up or handshake token) is sent whole or not at all.
            payload = call_arg(call, 0)
            dest = receiver_of(call)
            if _never_short(model, payload, dest):
                continue
            if not ctx.options.strict and _harmless_here(model, call, dest, payload):
                continue
            meth = method_name(call)
            fix = None
            if meth == "send" and isinstance(call.func, ast.Attribute):
                end = model.end(call.func)
                start = type(end)(end.line, end.column - len("send"))
                created_here = isinstance(kind.origin, ast.Call)
                safe = (
                    created_here
                    and not may_be_nonblocking
                    and not _created_with_timeout(model, kind.origin)  # type: ignore[arg-type]
                )
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


def _never_short(model: ModuleModel, payload: ast.expr | None, dest: ast.expr | None) -> bool:
    """At most one byte (``bytes`` or ``str``), or a descriptor that takes each write whole."""
    if is_single_byte(model, payload):
        return True
    bound = payload_bound(model, payload)
    return (bound is not None and bound <= 1) or message_oriented(model, dest)


def _harmless_here(
    model: ModuleModel, call: ast.Call, dest: ast.expr | None, payload: ast.expr | None
) -> bool:
    """A short write is possible but costs nothing here (reported in strict mode): a small
    payload written once to ``dest``, a diagnostic's last words, junk filling a buffer, a
    test (a short write there fails the test, which reports it)."""
    return (
        small_write_once(model, call, dest, payload)
        or in_test_code(model, call)
        or best_effort_diagnostic(model, call, dest, payload)
        or fills_buffer(model, call)
    )


def _module_may_use_nonblocking(model: ModuleModel) -> bool:
    """Whether any socket in the module may be non-blocking or have a timeout, in which case
    ``sendall`` can raise after sending an unknown amount: the ``sendall`` fix is then unsafe."""
    text = model.source.text
    return any(
        word in text
        for word in (
            "setblocking",
            "settimeout",
            "SOCK_NONBLOCK",
            "set_blocking",
            "O_NONBLOCK",
            "selectors",
            "asyncio",
            "setdefaulttimeout",
        )
    )


def _created_with_timeout(model: ModuleModel, origin: ast.Call) -> bool:
    """``create_connection(addr, 5)``/``(addr, timeout=5)``: on a timeout ``sendall`` raises
    with an unknown amount sent."""
    if any(k.arg == "timeout" for k in origin.keywords):
        return True
    if isinstance(origin.func, ast.Attribute):
        # A library's socket with a timeout of its own (adafruit ``get_socket``).
        maker = model.created_by(origin.func.value)
        if (maker, origin.func.attr) in TIMED_SOCKET_OF_OBJECT:
            return True
    q = model.call_qualname(origin)
    return q == "socket.create_connection" and len(origin.args) >= 2


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
            b.kind == "assign"
            and b.value is not None
            and b.index is None
            and _is_struct_instance(model, b.value)
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
    """``x[3]`` -> "index"; ``x[4:8]``/``x[4:]`` -> "slice" (literal bounds that skip a fixed
    prefix); ``x[:4]``/``x[0:4]`` -> "prefix"; else None.

    A prefix slice alone assumes nothing (it is whatever arrived, cut to at most k bytes: a
    preview, a magic-number test); it matters only when it is decoded as a fixed-size record.
    """
    if (
        not isinstance(node, ast.Subscript)
        or node.value is not value
        or not isinstance(node.ctx, ast.Load)
    ):
        return None
    s = node.slice
    if literal_int(s) is not None or (
        isinstance(s, ast.UnaryOp)
        and isinstance(s.op, ast.USub)
        and literal_int(s.operand) is not None
    ):
        return "index"
    if isinstance(s, ast.Slice) and s.step is None and (s.lower or s.upper):
        bounds = [b for b in (s.lower, s.upper) if b is not None]
        if not all(literal_int(b) is not None for b in bounds):
            return None
        lower = literal_int(s.lower) if s.lower is not None else 0
        return "slice" if lower is not None and lower > 0 else "prefix"
    return None


# What each kind of sink raises on a short buffer; a handler for it shows the author expects
# short input there (int.from_bytes raises nothing: it silently decodes a smaller number).
_SINK_ERRORS = {
    "struct": frozenset({"struct.error"}),
    "a fixed index": frozenset({"IndexError"}),
    "fixed-size unpacking": frozenset({"ValueError"}),
}


def _sink(model: ModuleModel, value: ast.expr) -> str | None:
    """How ``value`` (a read result or its name) is used as if it had a fixed length."""
    parent = model.parent(value)
    if isinstance(parent, ast.Call) and _is_struct_sink(model, parent, value):
        return f"`{model.text_of(parent.func)}()`"
    sub = _fixed_subscript(parent, value) if parent is not None else None
    if sub in ("slice", "prefix") and parent is not None:
        # ``struct.unpack(">I", data[:4])``: the slice is decoded as a fixed-size record.
        outer = model.parent(parent)
        if isinstance(outer, ast.Call) and _is_struct_sink(model, outer, parent):
            return f"`{model.text_of(outer.func)}()`"
    if sub == "index":
        return "a fixed index"
    if sub == "slice":
        return "a fixed slice"
    if isinstance(parent, ast.Assign) and parent.value is value:
        if any(isinstance(t, (ast.Tuple, ast.List)) for t in parent.targets):
            return "fixed-size unpacking"
    return None


# Reads that come back short in the middle of a healthy stream (a TCP segment boundary), not
# only at its end: for them, turning the decoding error into "broken frame" is the bug.
_MID_STREAM_READS = frozenset({"recv()", "recv_into()", "loop.sock_recv()", "StreamReader.read()"})


def _sink_error_handled(
    model: ModuleModel, use: ast.AST, sink: str, read: ReadCall | None = None
) -> bool:
    """The sink sits in a ``try`` that names the very error a short buffer raises there (a
    broad ``except Exception`` says nothing about short reads). For a socket read, a handler
    that gives up (raises "broken PDU", closes the connection) does not count: a short read
    there is an ordinary event that the code takes for a corrupt peer."""
    errors = _SINK_ERRORS.get("struct" if sink.startswith("`") else sink)
    if errors is None:
        return False
    mid_stream = read is not None and read.label in _MID_STREAM_READS
    return any(
        info.caught is not None
        and bool(info.caught & errors)
        and not (mid_stream and gives_up(info.handler))
        for info in covering_handlers(model, use)
    )


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
        if (
            isinstance(parent, ast.Call)
            and isinstance(parent.func, ast.Name)
            and parent.func.id == "len"
        ):
            return True
        if isinstance(parent, ast.Compare) and not _emptiness_test(parent):
            return True
        if sink == "a fixed index" and _in_test(model, load):
            return True
    return False


def _emptiness_test(compare: ast.Compare) -> bool:
    """``data == b""`` / ``data != b""``: EOF is told apart, a short read is not."""
    return all(isinstance(op, (ast.Eq, ast.NotEq)) for op in compare.ops) and any(
        isinstance(c, ast.Constant) and c.value in (b"", "")
        for c in [compare.left, *compare.comparators]
    )


def _in_test(model: ModuleModel, node: ast.AST) -> bool:
    child = node
    for anc in model.ancestors(node):
        if isinstance(anc, (ast.If, ast.While, ast.Assert, ast.IfExp)) and anc.test is child:
            return True
        if not isinstance(anc, (ast.UnaryOp, ast.BoolOp)):
            return False
        child = anc
    return False


_FAILS_ON_SHORT = "a length check that only fails"


def _requested_size(read: ReadCall) -> ast.expr | None:
    if read.label == "loop.sock_recv()":
        return call_arg(read.call, 1, "nbytes")
    return call_arg(read.call, 0)


def _fails_on_short(model: ModuleModel, read: ReadCall, name: str, bind: ast.AST) -> bool:
    """``data = sock.recv(n)`` then ``if len(data) != n: raise`` (or ``assert len(data) == n``).
    On a stream socket a short read is an ordinary event, so a check that only gives up on it
    is the bug, not its handling. A regular file is short only at its end, where failing is
    right: only mid-stream reads count."""
    if read.label not in _MID_STREAM_READS or not isinstance(bind, ast.Assign):
        return False
    size = _requested_size(read)
    if size is None:
        return False
    return gives_up_on_short_read(model, name, size, bind) is not None


class ShortReadAssumed(Rule):
    code = "IO103"
    severity = "error"
    name = "short-read-assumed"
    summary = "A read's result is used as if it always had the requested length."
    fix_applicability = Applicability.DISPLAY_ONLY
    triggers = READ_TRIGGERS

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        model = ctx.model
        for call in model.calls_named(*READ_CALL_NAMES, *read_wrapper_names(model)):
            read = classify_read(model, call)
            if read is None or (method_name(call) == "recv" and mentions_msg_waitall(model, call)):
                continue
            if expects_exception(model, call) or message_oriented(model, read.receiver):
                continue  # a datagram or raw socket hands over whole messages
            sink = self._sink_of(model, read)
            if sink is None:
                refill = full_size_refill(model, read)
                if refill is not None and (refill.stream or ctx.options.strict):
                    yield self.diagnostic(ctx, call, _refill_message(read.label, refill))
                continue
            remedy = (
                "read in a loop until you have exactly n bytes and raise EOFError on b''"
                if read.label != "StreamReader.read()"
                else "use `readexactly(n)`, which raises IncompleteReadError at EOF"
            )
            if sink == _FAILS_ON_SHORT:
                message = (
                    f"`{read.label}` can return fewer bytes than requested while the rest is "
                    f"still on its way, but a short result only fails the length check that "
                    f"follows; {remedy}"
                )
            else:
                message = (
                    f"`{read.label}` can return fewer bytes than requested (and b'' at EOF), "
                    f"but its result reaches {sink} with no length check; {remedy}"
                )
            yield self.diagnostic(ctx, call, message)

    def _sink_of(self, model: ModuleModel, read: ReadCall) -> str | None:
        call, buffer = read.call, read.buffer
        if not read.returns_bytes:
            # recv_into(buf)/readinto(buf) whose count is thrown away, then buf decoded.
            if buffer is None or not isinstance(buffer, ast.Name):
                return None
            stmt = model.parent(call)
            if not isinstance(stmt, ast.Expr):
                return None
            for use in model.uses_after(buffer.id, stmt):
                sink = _sink(model, use)
                if (
                    sink is not None
                    and sink.startswith("`")
                    and not _sink_error_handled(model, use, sink, read)
                ):
                    return sink
            return None
        value: ast.expr = call
        if isinstance(model.parent(call), ast.Await):
            value = model.parent(call)  # type: ignore[assignment]
        sink = _sink(model, value)
        if sink is not None:
            return None if _sink_error_handled(model, value, sink, read) else sink
        sink = _helper_sink(model, value, read)
        if sink is not None:
            return sink
        parent = model.parent(value)
        if isinstance(parent, (ast.Assign, ast.NamedExpr)):
            targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
            if len(targets) != 1 or not isinstance(targets[0], ast.Name):
                return None
            name = targets[0].id
            if _fails_on_short(model, read, name, parent):
                return _FAILS_ON_SHORT
            return self._first_unguarded(model, read, name, parent)
        concatenated = _prefixed(model, value)
        if concatenated is not None:
            # ``header = sync + sock.recv(6)``: the fields past the prefix are as short as
            # the read.
            # Only decodes of a fixed size count there: an index or an open slice may fall
            # in the prefix, or take whatever arrived (a checksum over the rest).
            return self._first_unguarded(model, read, *concatenated, sized_only=True)
        return None

    def _first_unguarded(
        self,
        model: ModuleModel,
        read: ReadCall,
        name: str,
        parent: ast.AST,
        *,
        sized_only: bool = False,
    ) -> str | None:
        """The first fixed-size use of ``name`` (bound to the read's data at ``parent``)
        with no length check before it."""
        for use in model.uses_after(name, parent):
            sink = _sink(model, use)
            if sized_only and sink is not None and not _sized_decode(model, use, sink):
                sink = None
            handled = sink is not None and _sink_error_handled(model, use, sink, read)
            if sink is None:
                sink = _helper_sink(model, use, read, sized_only=sized_only)
            if (
                sink is not None
                and not handled
                and not _guarded(model, name, parent, use, sink)
                and not truth_guarded(model, use, name)
            ):
                return sink
        return None


def _sized_decode(model: ModuleModel, use: ast.AST, sink: str) -> bool:
    """A decode that needs a fixed number of bytes: ``struct``, ``int.from_bytes``, tuple
    unpacking, or a slice with both bounds (``data[4:8]``)."""
    if sink == "a fixed index":
        return False
    if sink == "a fixed slice":
        sub = model.parent(use)
        return (
            isinstance(sub, ast.Subscript)
            and isinstance(sub.slice, ast.Slice)
            and (sub.slice.upper is not None)
        )
    return True


def _prefixed(model: ModuleModel, value: ast.expr) -> tuple[str, ast.Assign] | None:
    """``header = sync + sock.recv(6)``: the name a prefix plus the read is bound to, and the
    binding. Not an accumulation (``buf = buf + sock.recv(n)``), whose loop checks the
    length as it goes."""
    concat = model.parent(value)
    if not (
        isinstance(concat, ast.BinOp) and isinstance(concat.op, ast.Add) and concat.right is value
    ):
        return None
    assign = model.parent(concat)
    if not isinstance(assign, ast.Assign) or assign.value is not concat:
        return None
    if len(assign.targets) != 1 or not isinstance(assign.targets[0], ast.Name):
        return None
    name = assign.targets[0].id
    if any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(concat.left)):
        return None
    return name, assign


def _helper_sink(
    model: ModuleModel, value: ast.expr, read: ReadCall, *, sized_only: bool = False
) -> str | None:
    """``parse_header(data)``: a function of the module that decodes its parameter at a fixed
    size with no length check of its own (one level deep)."""
    call = model.parent(value)
    if not isinstance(call, ast.Call):
        return None
    param = helper_param(model, call, value)
    if param is None:
        return None
    for use in model.uses_after(param.name, param.arg):
        sink = _sink(model, use)
        if (
            sink is not None
            and (not sized_only or _sized_decode(model, use, sink))
            and not _guarded(model, param.name, param.arg, use, sink)
            and not truth_guarded(model, use, param.name)
            and not _sink_error_handled(model, use, sink, read)
        ):
            return f"`{param.function.name}()`, which decodes it with {sink}"
    return None


def _refill_message(label: str, refill: FullSizeRefill) -> str:
    return (
        f"`{label}` asks for `{refill.size}` bytes, the whole size, on every round of a loop "
        f"that fills `{refill.buffer}` up to `{refill.size}`: after a short read it can return "
        f"bytes past the end of this message, which the loop swallows; ask for what is left "
        f"(`{refill.size} - len({refill.buffer})`)"
    )


# ------------------------------------------------------------------------------- IO104


class EofNotHandled(Rule):
    code = "IO104"
    severity = "error"
    name = "eof-not-handled"
    summary = "A read loop never tests for EOF (b''), so it spins forever once the peer is gone."
    fix_applicability = Applicability.UNSAFE
    triggers = (*READ_TRIGGERS, "readline(")

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        model = ctx.model
        for call in model.calls_named(*READ_CALL_NAMES, *read_wrapper_names(model)):
            read = classify_read(model, call)
            if read is None or expects_exception(model, call):
                continue
            if (
                read.returns_bytes
                and isinstance(model.parent(call), ast.Expr)
                and not drains_until_idle(model, read)
            ):
                # The bytes are thrown away: a drain (``os.read(r, n)`` to keep a pipe from
                # filling) whose loop is driven by something else, not a consumer of data.
                # One that stops when ``select`` finds the stream idle is judged: at EOF
                # the stream stays readable.
                continue
            verdict = analyze_eof(model, read)
            if verdict is None or verdict.bytes_compared_with_zero:
                # One bug, one diagnostic: ``if data == 0: break`` is reported by IO105,
                # whose fix turns it into the EOF test this loop lacks.
                continue
            if eof_handed_to_parser(model, verdict.loop, read.call, verdict.result_name):
                continue  # the parser is told the input ended, and ends the loop itself
            if isinstance(model.parent(call), ast.Expr):
                message = (
                    f"this loop drains `{read.label}` until `select` finds the stream idle, "
                    "but once the other end closes the stream stays readable and the read "
                    "returns b'' on every call: it spins forever at 100% CPU; leave the "
                    "loop on the empty read"
                )
            elif verdict.wrong_sentinel:
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
        yield from self._line_reads(ctx)

    def _line_reads(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        """``readline()`` on a file or pipe: an empty line forever at EOF. A receiver of
        unknown kind is reported in strict mode only."""
        model = ctx.model
        for call in model.calls_named("readline"):
            receiver = receiver_of(call)
            if receiver is None or call.keywords or len(call.args) > 1:
                continue
            stream = line_stream(model, receiver)
            if stream is None and not ctx.options.strict:
                continue
            if expects_exception(model, call):
                continue
            kind = model.kind_of(receiver) if stream is not None else None
            read = ReadCall(call, "readline()", True, None, receiver, kind)
            text = stream.text if stream is not None else None
            if text is None:
                text = literal_line_type(model, call)
            empties: tuple[object, ...] = ("",) if text else (b"",) if text is False else ("", b"")
            verdicts = [analyze_eof(model, read, eof_value=empty) for empty in empties]
            verdict = verdicts[0]
            # With the line type unknown, the loop must miss EOF for both: ``line == ""`` is
            # a right EOF test on a text stream whatever it would be on a binary one.
            if verdict is None or any(v is None for v in verdicts):
                continue
            if verdict.bytes_compared_with_zero:
                continue
            if not verdict.wrong_sentinel and tests_empty_line(verdict.loop, verdict.result_name):
                continue  # a follower of a growing file waits on the empty line on purpose
            empty = "''" if text else "b''" if text is False else "an empty line"
            where = f" on {stream.label}" if stream is not None else ""
            if verdict.wrong_sentinel:
                message = (
                    f"`readline()`{where} signals EOF by returning {empty} (never None, never "
                    f"raising EOFError), so the {verdict.wrong_sentinel} test never sees EOF "
                    "and the loop spins forever at 100% CPU; test `if not line: break`"
                )
            else:
                message = (
                    f"this loop calls `readline()`{where}, which returns {empty} at EOF on "
                    "every call, but no way out of the loop holds for the empty line; at EOF "
                    "it spins forever at 100% CPU; add `if not line: break`"
                )
            yield self.diagnostic(ctx, call, message, self._fix(model, verdict))

    def _fix(self, model: ModuleModel, verdict: EofVerdict) -> Fix | None:
        from iolint.fixes.eof_break import eof_break_fix

        return eof_break_fix(model, verdict)


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


def _io_result(model: ModuleModel, expr: ast.expr) -> tuple[str, bool] | None:
    """(label, returns_bytes) when ``expr`` surely is the result of an os/socket call: the call
    itself, or a local name every binding of which is such a call (``fd = -1`` as the code's own
    "not opened" sentinel, or any other binding, makes the name's value unknown)."""
    if isinstance(expr, ast.Call):
        q = model.call_qualname(expr)
        if q in _C_RESULT_CALLS:
            return q, q in ("os.read", "os.pread")
        read = classify_read(model, expr)
        if read is not None:
            # An unknown receiver's recv(n) is socket-like for EOF and short reads only: what
            # it returns is not known well enough to call a comparison dead.
            if read.receiver_kind is None and not read.label.startswith("os."):
                return None
            return read.label, read.returns_bytes
        if method_name(expr) in ("send", "sendto", "sendmsg"):
            receiver = receiver_of(expr)
            kind = model.kind_of(receiver) if receiver is not None else None
            if kind is not None and kind.category is Category.SOCKET:
                return f"{method_name(expr)}()", False
        return None
    if isinstance(expr, ast.Name):
        scope = model.scope_of(expr)
        if (
            not scope.is_function
            or scope.lookup_scope(expr.id) is not scope
            or expr.id in scope.declared_global
        ):
            return None
        results = set()
        for b in scope.bindings.get(expr.id, ()):
            if (
                b.kind not in ("assign", "walrus")
                or b.index is not None
                or not isinstance(b.value, ast.Call)
            ):
                return None
            found = _io_result(model, b.value)
            if found is None:
                return None
            results.add(found)
        return results.pop() if len(results) == 1 else None
    return None


def _used_as_truth_value(model: ModuleModel, node: ast.expr) -> bool:
    """Only the truth of ``node`` matters: the test of ``if``/``while``/``assert``/a conditional
    expression, or an operand of ``not``/``and``/``or`` that is itself used so."""
    parent = model.parent(node)
    if isinstance(parent, (ast.If, ast.While, ast.IfExp, ast.Assert)):
        return parent.test is node
    if isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.Not):
        return True
    if isinstance(parent, ast.BoolOp):
        return _used_as_truth_value(model, parent)
    return False


class CStyleErrorCheck(Rule):
    code = "IO105"
    name = "c-style-error-check"
    summary = "An I/O result is checked like C's -1 error return, or bytes are compared with 0."
    fix_applicability = Applicability.SAFE
    triggers = (
        *READ_TRIGGERS,
        "write(",
        "pwrite(",
        "send(",
        "sendto(",
        "sendmsg(",
        "open(",
        "lseek(",
    )

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        model = ctx.model
        for node in model.nodes(ast.Compare):
            if len(node.ops) != 1:
                continue
            left, op, right = node.left, node.ops[0], node.comparators[0]
            for subject, other, flipped in ((left, right, False), (right, left, True)):
                found = _io_result(model, subject)
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
            op = {ast.Lt: ast.Gt(), ast.Gt: ast.Lt(), ast.LtE: ast.GtE(), ast.GtE: ast.LtE()}.get(
                type(op), op
            )
        negative = (
            _negative_one(other) and isinstance(op, (ast.Eq, ast.NotEq, ast.LtE, ast.Gt))
        ) or (_zero(other) and isinstance(op, (ast.Lt, ast.GtE)))
        if negative:
            message = (
                f"`{label}` never returns -1 or a negative number: Python raises OSError "
                "instead, so this check is dead and the error goes unhandled here; catch "
                "OSError (or a subclass) around the call"
            )
            return self.diagnostic(ctx, node, message)
        if (
            returns_bytes
            and _zero(other)
            and isinstance(op, (ast.Eq, ast.NotEq, ast.Is, ast.IsNot))
        ):
            never = isinstance(op, (ast.Eq, ast.Is))
            message = (
                f"`{label}` returns bytes, and b'' at EOF, never the integer 0: this "
                f"comparison is always {'False' if never else 'True'}; test `not data` for EOF"
            )
            fix = None
            subject_text = model.text_of(subject)
            if never:
                fix = Fix(
                    "Test emptiness with `not`",
                    Applicability.SAFE,
                    (replace_node(model, node, f"not {subject_text}"),),
                )
            elif _used_as_truth_value(model, node):
                # ``data != 0`` where only its truth matters: ``data`` is the intended test.
                fix = Fix(
                    "Test the bytes' truth value",
                    Applicability.SAFE,
                    (replace_node(model, node, subject_text),),
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
