"""IO2xx: non-blocking I/O and signals."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from iolint.diagnostics import Applicability, Diagnostic, Edit, Fix, Position
from iolint.model import ModuleModel
from iolint.model.call_flags import dontwait_call
from iolint.model.consequence import expects_exception, in_test_code, parting_notice
from iolint.model.errno_tautology import Tautology, reraised_by_tautology
from iolint.model.handlers import covering_handlers, handler_info
from iolint.model.io_calls import method_name, receiver_of
from iolint.model.kinds import Category, call_arg, literal_int
from iolint.model.nonblocking import (
    EAGAIN_ERRNOS,
    EINTR_ERRNOS,
    ErrnoPath,
    NonblockingFacts,
    dominates,
    errno_path,
    key_of,
    leaves_loop,
    nonblocking_facts,
    only_retries,
    tests_liveness,
)
from iolint.model.none_as_eof import none_taken_for_eof
from iolint.model.pep475 import PEP475, eintr_retry, is_close_call
from iolint.model.platform import may_run_on_windows
from iolint.model.scopes import walk_local
from iolint.model.selector_keys import selector_fileobjs
from iolint.model.text_reads import reads_text_to_end
from iolint.model.timeout_zero import may_be_nonblocking
from iolint.model.windows_eagain import eagain_only_test
from iolint.rules.base import Rule, RuleContext

NONBLOCKING_TRIGGERS = (
    "setblocking",
    "set_blocking",
    "settimeout",
    "O_NONBLOCK",
    "O_NDELAY",
    "SOCK_NONBLOCK",
)
SOCKET_IO_METHODS = frozenset(
    {
        "recv",
        "recv_into",
        "recvfrom",
        "recvfrom_into",
        "recvmsg",
        "send",
        "sendto",
        "sendmsg",
        "sendall",
        "accept",
    }
)
_SSL_WANT = frozenset({"ssl.SSLWantReadError", "ssl.SSLWantWriteError", "ssl.SSLError"})


def _handlers(model: ModuleModel) -> Iterator[ast.ExceptHandler]:
    yield from model.nodes(ast.ExceptHandler)


def _suppressed(model: ModuleModel, node: ast.AST, exception: str) -> bool:
    """``node`` runs under ``with contextlib.suppress(...)`` of ``exception`` or a parent."""
    for anc in model.ancestors(node):
        if isinstance(anc, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            return False
        if not isinstance(anc, (ast.With, ast.AsyncWith)):
            continue
        for item in anc.items:
            ctx = item.context_expr
            if isinstance(ctx, ast.Call) and model.call_qualname(ctx) == "contextlib.suppress":
                for arg in ctx.args:
                    q = model.qualname(arg)
                    if q is None:
                        return True  # unknown: may be a parent
                    name = q[len("builtins.") :] if q.startswith("builtins.") else q
                    if name in (exception, "OSError", "IOError", "Exception", "BaseException"):
                        return True
    return False


def _caught_here(model: ModuleModel, node: ast.AST, exception: str) -> bool:
    """An exception raised at ``node`` may be caught in this function (unresolved handler
    types count: a project tuple may hold OSError; SSL's want-read/write errors are what a
    non-blocking SSL socket raises instead)."""
    for h in covering_handlers(model, node):
        if h.unresolved or h.catches(exception):
            return True
        if h.caught is not None and h.caught & _SSL_WANT:
            return True
    return _suppressed(model, node, exception)


def _io_target(model: ModuleModel, call: ast.Call) -> tuple[str, ast.expr, str] | None:
    """(label, descriptor expression, what) for a read/write/send/recv/accept that raises
    BlockingIOError on a non-blocking descriptor."""
    q = model.call_qualname(call)
    if q in ("os.read", "os.write"):
        fd = call_arg(call, 0)
        return (q, fd, "descriptor") if fd is not None else None
    if q is not None:
        return None
    name = method_name(call)
    receiver = receiver_of(call)
    if name not in SOCKET_IO_METHODS or receiver is None:
        return None
    kind = model.kind_of(receiver)
    if kind is not None and kind.category is not Category.SOCKET:
        return None
    return f"{name}()", receiver, "socket"


def _empty_transfer(model: ModuleModel, call: ast.Call) -> bool:
    """``recv(0)``, ``os.read(fd, 0)``, ``recv_into(bytearray())``: return at once, never raise."""
    q = model.call_qualname(call)
    size = call_arg(call, 1) if q == "os.read" else call_arg(call, 0)
    if size is None:
        return False
    if literal_int(size) == 0:
        return True
    return (
        method_name(call) == "recv_into"
        and isinstance(size, ast.Call)
        and model.call_qualname(size) == "builtins.bytearray"
        and not size.args
    )


_WHEN = {
    "os.read": "no data is ready",
    "os.write": "the pipe or buffer is full",
    "accept()": "no connection is pending",
}


def _when(label: str) -> str:
    if label in _WHEN:
        return _WHEN[label]
    return "no data is ready" if label.startswith("recv") else "the send buffer is full"


class BlockingIOErrorUnhandled(Rule):
    code = "IO201"
    severity = "error"
    name = "blocking-io-error-unhandled"
    summary = "I/O on a non-blocking descriptor with no handler for BlockingIOError."
    fix_applicability = Applicability.DISPLAY_ONLY
    # EAGAIN/EWOULDBLOCK: a handler written for them on a socket of unknown state, whose
    # errno test re-raises them anyway (see _reraised_eagain).
    triggers = (*NONBLOCKING_TRIGGERS, "MSG_DONTWAIT", "EAGAIN", "EWOULDBLOCK")

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        model = ctx.model
        facts = model.fact(nonblocking_facts)
        tautologies = _Tautologies(model)
        for call in model.calls_named("read", "write", *sorted(SOCKET_IO_METHODS)):
            found = _io_target(model, call)
            if found is None:
                continue
            label, target, what = found
            if _empty_transfer(model, call) or expects_exception(model, call):
                continue  # nothing to wait for, or a test that wants it to raise
            # ``sock.recv(n, MSG_DONTWAIT)`` is non-blocking whatever the socket's state.
            subject = f"`{label}` on a non-blocking {what}"
            if what == "socket" and dontwait_call(model, call):
                subject = f"`{label}` with MSG_DONTWAIT"
            elif not facts.is_nonblocking(target, call):
                if what == "socket" and tautologies.present and not facts.is_registered(target):
                    taut = _reraised_eagain(model, call, target)
                    if taut is not None:
                        message = _tautology_message(model, label, what, taut, known=False)
                        yield self.diagnostic(ctx, call, message)
                continue
            if facts.is_registered(target):
                continue
            if tautologies.present:
                taut = _reraised_eagain(model, call, target, known=True)
                if taut is not None:
                    message = _tautology_message(model, label, what, taut, known=True)
                    yield self.diagnostic(ctx, call, message)
                    continue
            if what == "socket":
                eagain_only = _eagain_only(model, call)
                if eagain_only is not None:
                    yield self.diagnostic(
                        ctx, call, _eagain_only_message(model, label, eagain_only)
                    )
                    continue
            func = model.enclosing_function(call)
            if facts.readiness_driven(func) or _caught_here(model, call, "BlockingIOError"):
                continue
            if facts.handled_by_callers(func):
                continue
            if not ctx.options.strict and in_test_code(model, call):
                continue  # the exception fails the test, which reports it: no crash
            if not ctx.options.strict and parting_notice(model, call):
                continue  # a few bytes to the peer on a path that raises anyway
            message = (
                f"{subject} raises BlockingIOError when {_when(label)}, "
                "and nothing here catches it, so the program crashes; catch BlockingIOError and "
                "wait for readiness (`selectors`) before retrying"
            )
            yield self.diagnostic(ctx, call, message)


class _Tautologies:
    """Whether the module has an ``except`` clause with an ``or`` of ``!=`` tests in an ``if``
    of its body, the shape of an always-true errno test: computed once, on first ask, so that
    modules without one pay a scan of their handlers' statements and no more."""

    def __init__(self, model: ModuleModel) -> None:
        self._model = model
        self._present: bool | None = None

    @property
    def present(self) -> bool:
        if self._present is None:
            self._present = any(
                isinstance(s, ast.If)
                and isinstance(s.test, ast.BoolOp)
                and isinstance(s.test.op, ast.Or)
                for h in _handlers(self._model)
                for s in h.body
            )
        return self._present


def _reraised_eagain(
    model: ModuleModel, call: ast.Call, target: ast.expr, *, known: bool = False
) -> Tautology | None:
    """The first handler around ``call`` that catches BlockingIOError was written for EAGAIN
    but re-raises it through an always-true errno test, and the descriptor is non-blocking
    (``known``) or may be (its function or class tests or sets the non-blocking state).
    Callers' handlers and the function's own wait do not matter: the wait is the one the
    handler meant to reach."""
    unresolved: ast.Try | None = None
    for h in covering_handlers(model, call):
        if h.unresolved:
            # A type the model cannot name (``SSLWantWriteError`` from a star import) listed
            # before a handler of the same ``try`` that catches BlockingIOError: the author
            # meant that later handler to receive it. Across ``try`` statements, it may.
            if unresolved is not None and unresolved is not h.try_node:
                return None
            unresolved = h.try_node
            continue
        if not h.catches("BlockingIOError"):
            continue
        if unresolved is not None and unresolved is not h.try_node:
            return None
        found = reraised_by_tautology(model, h.handler, EAGAIN_ERRNOS)
        if found is None or not (known or may_be_nonblocking(model, target)):
            return None
        return found
    return None


def _eagain_only(model: ModuleModel, call: ast.Call) -> ast.expr | None:
    """The first handler around a socket call that catches BlockingIOError re-raises every
    errno but EAGAIN, and the code may run on Windows, where a socket's would-block errno is
    EWOULDBLOCK (WSAEWOULDBLOCK), a different number (model/windows_eagain.py)."""
    for h in covering_handlers(model, call):
        if h.unresolved:
            return None
        if not h.catches("BlockingIOError"):
            continue
        test = eagain_only_test(model, h.handler)
        return test if test is not None and may_run_on_windows(model, call) else None
    return None


def _eagain_only_message(model: ModuleModel, label: str, test: ast.expr) -> str:
    return (
        f"`{label}` on a non-blocking socket raises BlockingIOError when {_when(label)}; on "
        "Windows its errno is WSAEWOULDBLOCK (`errno.EWOULDBLOCK`, 10035), not `EAGAIN` (11), "
        f"so `{model.text_of(test)}` re-raises it and the program fails there; test "
        "`errno.EWOULDBLOCK` as well, or catch BlockingIOError"
    )


def _tautology_message(
    model: ModuleModel, label: str, what: str, found: Tautology, *, known: bool
) -> str:
    first, second = found.names
    where = (
        f"where {first} and {second} are different numbers (Windows)"
        if found.aliases
        else "whatever the errno"
    )
    return (
        f"`{label}` on a {'non-blocking' if known else 'possibly non-blocking'} {what} raises "
        f"BlockingIOError when {_when(label)}, and the handler written for it re-raises it: "
        f"`{model.text_of(found.test)}` is always true {where}, since no value equals both; "
        "join the tests with `and` (or use `not in (...)`) so that the handler takes EAGAIN"
    )


# ------------------------------------------------------------------------------- IO202

_FILE_OPENERS = frozenset({"os.fdopen", "builtins.open", "io.open", "io.FileIO"})
_BYTES_SINK_METHODS = frozenset(
    {"write", "extend", "sendall", "send", "feed", "unpack", "unpack_from"}
)
_BYTES_SINK_FUNCTIONS = frozenset(
    {
        "builtins.len",
        "builtins.bytes",
        "builtins.bytearray",
        "builtins.memoryview",
        "struct.unpack",
        "struct.unpack_from",
        "builtins.int.from_bytes",
    }
)
_STREAM_ATTRS = ("stdin", "stdout", "stderr")


def _nonblocking_file(
    facts: NonblockingFacts, receiver: ast.expr, at: ast.AST
) -> tuple[bool, bool]:
    """(is a file object over a non-blocking descriptor, is raw)."""
    model = facts.model
    kind = model.kind_of(receiver)
    raw = kind is not None and kind.raw
    key = key_of(model, receiver)
    if key is not None and facts.key_is_nonblocking(key, at):
        file_like = (
            key.kind == "std"
            or (kind is not None and kind.category is Category.FILE)
            or key.path.rsplit(".", 1)[-1] in _STREAM_ATTRS
            or facts.nonblocking_via_fileno(key)
        )
        if file_like:
            return True, raw
    if kind is not None and kind.category is Category.FILE and isinstance(kind.origin, ast.Call):
        origin = kind.origin
        if model.call_qualname(origin) in _FILE_OPENERS:
            fd = call_arg(origin, 0)
            if fd is not None and facts.is_nonblocking(fd, origin):
                return True, raw
    return False, raw


def _text_read_unwaited(
    model: ModuleModel, facts: NonblockingFacts, call: ast.Call, receiver: ast.expr
) -> bool:
    """``read()`` to the end on a text stream over a non-blocking descriptor
    (model/text_reads.py), with no readiness wait that runs before it on every path and no
    handler of TypeError around it."""
    if not reads_text_to_end(model, call, receiver):
        return False
    func = model.enclosing_function(call)
    if func is None:
        return False
    if facts.readiness_driven(func) and not facts.function_waits(func, readiness=True):
        return False  # a callback or a coroutine: the event loop waits for it
    if any(
        facts.is_wait(n, readiness=True) and dominates(model, n, call)
        for n in walk_local(getattr(func, "body", []))
    ):
        return False
    return not any(h.catches("TypeError") for h in covering_handlers(model, call))


def _in_test(model: ModuleModel, node: ast.AST) -> ast.AST | None:
    """The ``if``/``while``/``assert``/conditional whose test ``node`` is (through ``not``,
    ``and``/``or``, ``bool()``), else None."""
    child = node
    for anc in model.ancestors(node):
        if isinstance(anc, (ast.If, ast.While, ast.IfExp, ast.Assert)) and anc.test is child:
            return anc
        if isinstance(anc, ast.UnaryOp) and isinstance(anc.op, ast.Not):
            child = anc
            continue
        if isinstance(anc, ast.BoolOp):
            child = anc
            continue
        if (
            isinstance(anc, ast.Call)
            and isinstance(anc.func, ast.Name)
            and anc.func.id == "bool"
            and anc.args
            and anc.args[0] is child
        ):
            child = anc
            continue
        return None
    return None


def _none_compared(model: ModuleModel, node: ast.AST) -> bool:
    parent = model.parent(node)
    return isinstance(parent, ast.Compare) and any(
        isinstance(o, ast.Constant) and o.value is None for o in (parent.left, *parent.comparators)
    )


def _unsafe_use(model: ModuleModel, node: ast.expr, as_count: bool) -> str | None:
    """How ``node`` (a result that may be None) is used as bytes or as an int, if it is."""
    parent = model.parent(node)
    if isinstance(parent, ast.BinOp):
        return "a number in arithmetic" if as_count else "bytes in an operation"
    if isinstance(parent, ast.AugAssign) and parent.value is node:
        return "a number in arithmetic" if as_count else "bytes in an operation"
    if isinstance(parent, ast.Attribute) and parent.value is node:
        return f"an object (`.{parent.attr}`)"
    if isinstance(parent, ast.Compare):
        ordering = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)
        if as_count and any(isinstance(op, ordering) for op in parent.ops):
            return "a number in a comparison"
        if not as_count and any(
            isinstance(op, (ast.In, ast.NotIn)) and c is node
            for op, c in zip(parent.ops, parent.comparators)
        ):
            return "bytes in an `in` test"
        return None
    if as_count:
        return None
    if isinstance(parent, ast.Subscript) and parent.value is node:
        return "bytes (indexed)"
    if isinstance(parent, (ast.For, ast.comprehension)) and parent.iter is node:
        return "bytes (iterated)"
    if isinstance(parent, ast.Call) and any(a is node for a in parent.args):
        q = model.call_qualname(parent)
        if q in _BYTES_SINK_FUNCTIONS:
            return f"bytes (`{q.rsplit('.', 1)[-1]}()`)"
        if q is None and method_name(parent) in _BYTES_SINK_METHODS:
            return f"bytes (`.{method_name(parent)}()`)"
    return None


def _result_name(model: ModuleModel, call: ast.Call) -> tuple[str, ast.AST] | None:
    parent = model.parent(call)
    if (
        isinstance(parent, ast.Assign)
        and len(parent.targets) == 1
        and isinstance(parent.targets[0], ast.Name)
    ):
        return parent.targets[0].id, parent
    if (
        isinstance(parent, ast.AnnAssign)
        and isinstance(parent.target, ast.Name)
        and parent.value is call
    ):
        return parent.target.id, parent
    if isinstance(parent, ast.NamedExpr) and isinstance(parent.target, ast.Name):
        return parent.target.id, parent
    return None


def _none_unsafe(model: ModuleModel, call: ast.Call, as_count: bool) -> str | None:
    """The first use of ``call``'s result that breaks on None, with no None (or truth) test of
    the result before it."""
    direct = _unsafe_use(model, call, as_count)
    if direct is not None:
        return direct
    bound = _result_name(model, call)
    if bound is None:
        return None
    name, stmt = bound
    for use in model.uses_after(name, stmt):
        if _none_compared(model, use) or _in_test(model, use) is not None:
            return None
        found = _unsafe_use(model, use, as_count)
        if found is not None:
            return found
    return None


def _is_empty_literal(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value in (b"", "")


def _leaves(stmts: list[ast.stmt]) -> bool:
    return leaves_loop(stmts)


def _in_async(model: ModuleModel, node: ast.AST) -> bool:
    return any(isinstance(a, ast.AsyncFunctionDef) for a in model.ancestors(node))


_GIVE_UP_CALLS = frozenset({"close", "terminate", "kill"})


def _gives_up(model: ModuleModel, stmts: list[ast.stmt]) -> bool:
    """The branch taken on an empty line gives the stream up: it raises (and no handler of
    the function asks whether the child still lives before acting on it), or it closes,
    terminates or kills, with no such question asked first."""
    if tests_liveness(model, stmts):
        return False
    if stmts and isinstance(stmts[-1], ast.Raise):
        return not any(
            tests_liveness(model, h.handler.body) for h in covering_handlers(model, stmts[-1])
        )
    return any(
        isinstance(n, ast.Call) and (method_name(n) or "").lstrip("_") in _GIVE_UP_CALLS
        for n in walk_local(stmts)
    )


def _eof_test(model: ModuleModel, node: ast.expr, *, giving_up: bool = False) -> bool:
    """``node`` is tested for emptiness in a way that ends a loop or the function
    (``if not line: break``, ``while line:``, ``if line == b"": return``); with
    ``giving_up``, only an ``if`` whose leaving branch gives the stream up."""
    parent = model.parent(node)
    subject: ast.AST = node
    if isinstance(parent, ast.Compare) and len(parent.ops) == 1:
        other = parent.comparators[0] if parent.left is node else parent.left
        if not _is_empty_literal(other) or not isinstance(parent.ops[0], (ast.Eq, ast.NotEq)):
            return False
        subject = parent
    elif (
        isinstance(parent, ast.Call)
        and isinstance(parent.func, ast.Name)
        and parent.func.id == "len"
        and isinstance(model.parent(parent), ast.Compare)
    ):
        subject = model.parent(parent)  # type: ignore[assignment]
    test = _in_test(model, subject)
    if isinstance(test, ast.While):
        return not giving_up
    if isinstance(test, ast.If):
        if giving_up:
            return _gives_up(model, test.body) or _gives_up(model, test.orelse)
        return _leaves(test.body) or _leaves(test.orelse)
    return False


class NonblockingNoneResult(Rule):
    code = "IO202"
    severity = "error"
    name = "nonblocking-none-result"
    summary = "A file object over a non-blocking descriptor returns None (or b'') when not ready."
    fix_applicability = Applicability.DISPLAY_ONLY
    triggers = NONBLOCKING_TRIGGERS

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        model = ctx.model
        facts = model.fact(nonblocking_facts)
        for call in model.calls_named("read", "read1", "readinto", "write", "readline"):
            meth = method_name(call)
            receiver = receiver_of(call)
            if meth is None or receiver is None:
                continue
            is_nb, raw = _nonblocking_file(facts, receiver, call)
            if not is_nb:
                # ``key.fileobj.read(n)``: the key's file object is one the code registered.
                is_nb = any(
                    _nonblocking_file(facts, registered, call)[0]
                    for registered in selector_fileobjs(model, receiver)
                )
            if not is_nb:
                continue
            if meth == "read" and _text_read_unwaited(model, facts, call, receiver):
                yield self.diagnostic(ctx, call, self._text_read_message())
                continue
            if facts.readiness_driven(model.enclosing_function(call)):
                if meth in ("read", "read1", "readinto"):
                    dropping = none_taken_for_eof(model, call)
                    if dropping is not None:
                        yield self.diagnostic(ctx, call, self._none_as_eof_message(meth))
                        continue
                # One wait, then a loop of readlines that takes the empty line for a dead
                # peer: the wait covered the first line only.
                if (
                    meth == "readline"
                    and not _in_async(model, call)
                    and facts.reads_past_readiness(call)
                    and self._readline_eof(model, call, giving_up=True)
                ):
                    yield self.diagnostic(ctx, call, self._readline_message())
                continue
            if meth == "readline":
                if self._readline_eof(model, call):
                    yield self.diagnostic(ctx, call, self._readline_message())
                continue
            if meth in ("readinto", "write") and not raw:
                continue  # buffered writers raise BlockingIOError instead (IO201's business)
            use = _none_unsafe(model, call, as_count=meth != "read" and meth != "read1")
            if use is None:
                continue
            message = (
                f"`{meth}()` on a file over a non-blocking descriptor returns None when "
                f"{'no data is ready' if meth.startswith('read') else 'the pipe is full'}, "
                f"but its result is used as {use} with no `is None` test, so it crashes with "
                "TypeError; test `is None` and wait for readiness (`selectors`)"
            )
            yield self.diagnostic(ctx, call, message)
        # iter(f.readline, b"") stops at the first b"", which a non-blocking file returns
        # whenever no data is ready.
        for call in model.calls_named("iter"):
            if model.call_qualname(call) != "builtins.iter" or len(call.args) != 2:
                continue
            func, sentinel = call.args
            if not (
                isinstance(func, ast.Attribute)
                and func.attr == "readline"
                and _is_empty_literal(sentinel)
            ):
                continue
            is_nb, _ = _nonblocking_file(facts, func.value, call)
            if is_nb and not facts.readiness_driven(model.enclosing_function(call)):
                yield self.diagnostic(ctx, func, self._readline_message())

    @staticmethod
    def _text_read_message() -> str:
        return (
            "`read()` to the end on a text stream over a non-blocking descriptor raises "
            "TypeError when no data is ready (the buffer below returns None, which the text "
            "layer cannot decode), and nothing here catches it; wait for readiness on every "
            "path first, or read the descriptor with `os.read` and handle BlockingIOError"
        )

    @staticmethod
    def _none_as_eof_message(meth: str) -> str:
        return (
            f"`{meth}()` on a file over a non-blocking descriptor returns None when the wait "
            "woke up with no data ready, and b'' only at EOF; the truth test after it takes "
            "None for EOF and drops a stream whose writer is still alive (output lost, or a "
            "hang); test `is None` (wait again) apart from `== b''` (EOF)"
        )

    @staticmethod
    def _readline_message() -> str:
        return (
            "`readline()` on a file over a non-blocking descriptor returns an empty line when "
            "no data is ready, exactly as at EOF, so this EOF test ends early while the other "
            "side is still alive; wait for readiness (`selectors`) before reading"
        )

    @staticmethod
    def _readline_eof(model: ModuleModel, call: ast.Call, *, giving_up: bool = False) -> bool:
        """The line is tested for emptiness as EOF; with ``giving_up``, only a test whose
        branch gives the stream up (raises "peer died", closes, terminates): a drain loop
        that breaks on the empty line and goes back to waiting is right."""
        if _eof_test(model, call, giving_up=giving_up):
            return True
        bound = _result_name(model, call)
        if bound is None:
            return False
        name, stmt = bound
        return any(
            _eof_test(model, use, giving_up=giving_up) for use in model.uses_after(name, stmt)
        )


# ------------------------------------------------------------------------------- IO203


def _straight_back(stmts: list[ast.stmt]) -> bool:
    """Nothing but ``pass``/``continue`` and call-free bookkeeping."""
    for s in stmts:
        if isinstance(s, (ast.Pass, ast.Continue)):
            continue
        if isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant):
            continue
        if isinstance(s, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and not any(
            isinstance(n, (ast.Call, ast.Await)) for n in ast.walk(s)
        ):
            continue
        return False
    return True


def _eagain_path(model: ModuleModel, handler: ast.ExceptHandler) -> ErrnoPath | None:
    return errno_path(model, handler, "BlockingIOError", EAGAIN_ERRNOS)


class EagainBusyLoop(Rule):
    code = "IO203"
    name = "eagain-busy-loop"
    summary = "A loop retries at once on BlockingIOError/EAGAIN without waiting: a CPU spin."
    fix_applicability = Applicability.DISPLAY_ONLY
    # The non-blocking triggers: a broad handler (``except OSError: pass``) around I/O on a
    # descriptor the module makes non-blocking (see _broad_catch).
    triggers = ("BlockingIOError", "EAGAIN", "EWOULDBLOCK", *NONBLOCKING_TRIGGERS)

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        model = ctx.model
        facts = model.fact(nonblocking_facts)
        for handler in _handlers(model):
            path = _eagain_path(model, handler)
            broad: ast.Call | None = None
            if path is None:
                broad = _broad_catch(model, facts, handler)
                if broad is None:
                    continue
                path = ErrnoPath(handler, list(handler.body), None, [], EAGAIN_ERRNOS, True)
            if leaves_loop(path.statements) or not _straight_back(path.statements):
                continue
            try_node = model.parent(handler)
            if not isinstance(try_node, ast.Try) or not _does_io(model, try_node):
                continue  # an unknown helper may wait itself (a socket with a timeout does)
            loops = model.enclosing_loops(try_node)
            if not loops or not isinstance(loops[0], ast.While):
                continue  # a ``for`` loop over events from a wait, or no loop at all
            loop = loops[0]
            if any(
                facts.is_wait(n) and not _nonblocking_io(model, facts, n)
                for n in walk_local(_retry_path(loop, try_node, path))
            ):
                continue
            if _bounded_retry(loop, path.statements):
                continue
            if broad is not None:
                yield self.diagnostic(ctx, handler, _broad_message(model, handler, broad))
                continue
            what = "`except BlockingIOError`" if path.branch is None else "EAGAIN branch"
            message = (
                f"this {what} goes straight back into a loop that never waits, so it retries "
                "at once and spins at 100% CPU until the descriptor is ready; wait for "
                "readiness (`selectors`/`select`) or do other work before retrying"
            )
            yield self.diagnostic(ctx, handler, message)


def _broad_catch(
    model: ModuleModel, facts: NonblockingFacts, handler: ast.ExceptHandler
) -> ast.Call | None:
    """A handler that catches BlockingIOError only through a broad class (``OSError`` and its
    aliases such as ``socket.error``, ``Exception``, a bare ``except``), does nothing but go
    back into the loop, around I/O on a descriptor the module provably made non-blocking at
    that call: the I/O call. A descriptor of unknown or blocking state stays silent: there
    the handler swallows real errors, but nothing says it ever sees EAGAIN."""
    if not _straight_back(handler.body) or not model.enclosing_loops(handler):
        return None  # the cheap tests first: most handlers log, raise or leave
    try_node = model.parent(handler)
    if not isinstance(try_node, ast.Try):
        return None
    info = handler_info(model, handler, try_node)
    if info.unresolved or not info.catches("BlockingIOError"):
        return None
    for node in walk_local(try_node.body):
        if not isinstance(node, ast.Call):
            continue
        found = _io_target(model, node)
        if found is None or _empty_transfer(model, node):
            continue
        if facts.is_nonblocking(found[1], node) and not facts.is_registered(found[1]):
            return node
    return None


def _nonblocking_io(model: ModuleModel, facts: NonblockingFacts, node: ast.AST) -> bool:
    """``node`` is I/O on a descriptor provably non-blocking there: it never waits, whatever a
    same-named function of the module does (``self.sock.recv(n)`` is not ``self.recv(n)``)."""
    if not isinstance(node, ast.Call):
        return False
    found = _io_target(model, node)
    return found is not None and facts.is_nonblocking(found[1], node)


def _broad_message(model: ModuleModel, handler: ast.ExceptHandler, call: ast.Call) -> str:
    label, _, what = _io_target(model, call) or ("I/O", None, "descriptor")
    caught = "bare `except:`" if handler.type is None else f"`except {model.text_of(handler.type)}`"
    return (
        f"`{label}` on this non-blocking {what} raises BlockingIOError when {_when(label)}; "
        f"this {caught} takes it, and every real error with it, and goes straight back into a "
        "loop that never waits, so it retries at once and spins at 100% CPU; catch "
        "BlockingIOError alone and wait for readiness (`selectors`/`select`) before retrying"
    )


_OS_IO = frozenset(
    {
        "os.read",
        "os.write",
        "os.readv",
        "os.writev",
        "os.pread",
        "os.pwrite",
        "os.sendfile",
        "os.splice",
    }
)
_IO_METHODS = SOCKET_IO_METHODS | {
    "connect",
    "read",
    "read1",
    "readinto",
    "readline",
    "write",
    "flush",
}


def _does_io(model: ModuleModel, try_node: ast.Try) -> bool:
    """The try body calls something that raises BlockingIOError on a non-blocking descriptor."""
    for node in walk_local(try_node.body):
        if isinstance(node, ast.Call):
            q = model.call_qualname(node)
            if q in _OS_IO or (q is None and method_name(node) in _IO_METHODS):
                return True
    return False


def _retry_path(loop: ast.While, try_node: ast.Try, path: ErrnoPath) -> list[ast.AST]:
    """What runs between the EAGAIN and the next attempt. After a ``continue`` that is the
    handler, the loop test and the statements before the ``try`` (in the loop body and in
    the blocks around the ``try``): a wait elsewhere in the loop, on the branch taken when
    data came (``else: time.sleep(1)`` after ``if buf:``), does not slow the retries.
    A handler that falls through may reach any statement of the loop."""
    statements: list[ast.stmt] = list(path.statements)
    if not statements or not isinstance(statements[-1], ast.Continue):
        return [loop.test, *loop.body]
    out: list[ast.AST] = [*statements, loop.test]
    child: ast.AST = try_node
    for block_owner in _blocks_up_to(loop, try_node):
        for body in (getattr(block_owner, f, None) for f in ("body", "orelse", "finalbody")):
            if isinstance(body, list) and any(s is child for s in body):
                out.extend(body[: next(i for i, s in enumerate(body) if s is child)])
        child = block_owner
    return out


def _blocks_up_to(loop: ast.While, node: ast.AST) -> list[ast.AST]:
    """The statements from ``node``'s parent up to ``loop`` (inclusive), innermost first."""
    chain: list[ast.AST] = []

    def find(current: ast.AST, trail: list[ast.AST]) -> bool:
        for child in ast.iter_child_nodes(current):
            if child is node:
                chain.extend(reversed([*trail, current]))
                return True
            if isinstance(child, (ast.stmt, ast.excepthandler)) and find(child, [*trail, current]):
                return True
        return False

    find(loop, [])
    return chain


def _bounded_retry(loop: ast.While, stmts: list[ast.stmt]) -> bool:
    """The handler counts attempts that the loop test limits (``retries += 1``)."""
    tested = {n.id for n in ast.walk(loop.test) if isinstance(n, ast.Name)}
    for s in stmts:
        targets = s.targets if isinstance(s, ast.Assign) else [getattr(s, "target", None)]
        if any(isinstance(t, ast.Name) and t.id in tested for t in targets):
            return True
    return False


# ------------------------------------------------------------------------------- IO204

_PURE_BUILTINS = frozenset(
    {
        "len",
        "bytes",
        "bytearray",
        "memoryview",
        "int",
        "str",
        "float",
        "bool",
        "min",
        "max",
        "abs",
        "isinstance",
        "range",
        "enumerate",
        "zip",
        "list",
        "tuple",
        "dict",
        "set",
        "sorted",
        "reversed",
        "sum",
        "any",
        "all",
        "repr",
        "hex",
        "ord",
        "chr",
        "divmod",
        "hasattr",
    }
)
_PURE_METHODS = frozenset(
    {
        "decode",
        "encode",
        "join",
        "split",
        "rsplit",
        "splitlines",
        "strip",
        "lstrip",
        "rstrip",
        "startswith",
        "endswith",
        "append",
        "extend",
        "find",
        "rfind",
        "index",
        "count",
        "replace",
        "lower",
        "upper",
        "format",
        "tobytes",
        "hex",
        "fileno",
        "items",
        "keys",
        "values",
        "copy",
        "partition",
        "rpartition",
    }
)


def _retried_calls(ctx: RuleContext, try_node: ast.Try) -> list[ast.Call] | None:
    """The calls of the try body that Python retries on EINTR for the target version, when
    every other call there is one that cannot raise InterruptedError; else None."""
    model = ctx.model
    facts = model.fact(nonblocking_facts)
    retried: list[ast.Call] = []
    for node in walk_local(try_node.body):
        if isinstance(node, (ast.Await, ast.Yield, ast.YieldFrom)):
            return None
        if not isinstance(node, ast.Call):
            continue
        retry = eintr_retry(model, node)
        if retry is not None:
            if not retry.retried_for(ctx.options.target_version):
                return None
            receiver = receiver_of(node)
            if (
                method_name(node) == "connect"
                and receiver is not None
                and facts.is_nonblocking(receiver, node)
            ):
                return None  # a non-blocking connect() raises InterruptedError
            retried.append(node)
            continue
        q = model.call_qualname(node)
        if q is not None and q.startswith("builtins.") and q[len("builtins.") :] in _PURE_BUILTINS:
            continue
        if q is None and method_name(node) in _PURE_METHODS:
            continue
        return None
    return retried or None


def _is_reraise(stmts: list[ast.stmt], exc_name: str | None) -> bool:
    if len(stmts) != 1 or not isinstance(stmts[0], ast.Raise) or stmts[0].cause is not None:
        return False
    exc = stmts[0].exc
    return exc is None or (isinstance(exc, ast.Name) and exc.id == exc_name)


class RedundantEintrRetry(Rule):
    code = "IO204"
    severity = "note"
    name = "redundant-eintr-retry"
    summary = "An InterruptedError/EINTR retry around calls Python already retries (PEP 475)."
    fix_applicability = Applicability.SAFE
    triggers = ("InterruptedError", "EINTR")

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        model = ctx.model
        if ctx.options.target_version < PEP475:
            return
        for handler in _handlers(model):
            path = errno_path(model, handler, "InterruptedError", EINTR_ERRNOS)
            if path is None or path.mixed or not only_retries(path.statements):
                continue
            try_node = model.parent(handler)
            if not isinstance(try_node, ast.Try) or not model.enclosing_loops(try_node):
                continue
            calls = _retried_calls(ctx, try_node)
            if calls is None:
                continue
            names = sorted({_call_label(model, c) for c in calls})
            shown = ", ".join(f"`{n}`" for n in names[:3]) + (" ..." if len(names) > 3 else "")
            message = (
                f"since Python 3.5 (PEP 475) {shown} {'retries' if len(names) == 1 else 'retry'} "
                "EINTR itself, so InterruptedError never reaches this handler and the retry is "
                "dead code; remove it"
            )
            fix = (
                None
                if _on_a_parameter(model, calls)
                else _remove_handler_fix(model, path, try_node)
            )
            yield self.diagnostic(ctx, handler, message, fix)


def _on_a_parameter(model: ModuleModel, calls: list[ast.Call]) -> bool:
    """A retried method is called on a parameter: the caller may hand in any object with that
    method (a gevent or eventlet socket, a test double raising EINTR), for which the retry is
    not dead. The finding holds for the stdlib's objects; removing the retry is not safe for
    the others (a project's own test of the retry failed after the fix), so no fix."""
    for call in calls:
        func = call.func
        if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)):
            continue
        unit = model.enclosing_function(call)
        if not isinstance(unit, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        args = unit.args
        params = [*args.posonlyargs, *args.args, *args.kwonlyargs]
        if any(a.arg == func.value.id for a in params):
            return True
    return False


def _call_label(model: ModuleModel, call: ast.Call) -> str:
    q = model.call_qualname(call)
    if q is not None:
        return q[len("builtins.") :] if q.startswith("builtins.") else q
    return f"{method_name(call)}()"


# ---------------------------------------------------------------- IO204 fix helpers


def _multiline_literal(stmts: list[ast.stmt]) -> bool:
    for node in walk_local(stmts):
        if isinstance(node, (ast.Constant, ast.JoinedStr)) and isinstance(
            getattr(node, "value", ""), (str, bytes)
        ):
            if node.lineno != node.end_lineno:
                return True
    return False


def _starts_line(model: ModuleModel, node: ast.AST) -> bool:
    start = model.start(node)
    return not model.source.line(start.line)[: start.column].strip()


def _dedented(model: ModuleModel, stmts: list[ast.stmt], indent: str) -> str | None:
    """The source lines of ``stmts`` re-indented from their own indentation to ``indent``;
    the first line without indentation (it replaces text after existing indentation)."""
    if not stmts or not _starts_line(model, stmts[0]) or _multiline_literal(stmts):
        return None
    first, last = stmts[0].lineno, stmts[-1].end_lineno or stmts[-1].lineno
    own = model.source.indentation(first)
    if not own.startswith(indent) or own == indent:
        return None
    lines: list[str] = []
    for lineno in range(first, last + 1):
        text = model.source.line(lineno)
        if not text.strip():
            lines.append("")
        elif text.startswith(own):
            lines.append(indent + text[len(own) :])
        else:
            return None  # a continuation line indented less than the block
    lines[0] = lines[0][len(indent) :]
    return model.source.newline.join(lines)


def _statement_end(model: ModuleModel, stmt: ast.stmt) -> Position:
    """The end of ``stmt``, extended over a trailing comment on its last line."""
    end = model.end(stmt)
    line = model.source.line(end.line)
    rest = line[end.column :].strip()
    if not rest or rest.startswith("#"):
        return Position(end.line, len(line))
    return end


def _replace_with_block(model: ModuleModel, stmt: ast.stmt, *blocks: list[ast.stmt]) -> Edit | None:
    """Replace ``stmt`` with the statement lists ``blocks``, one after the other."""
    if not _starts_line(model, stmt):
        return None
    indent = model.source.indentation(model.start(stmt).line)
    parts: list[str] = []
    for block in blocks:
        if not block:
            continue
        text = _dedented(model, block, indent)
        if text is None:
            return None
        parts.append(text)
    if not parts:
        return None
    return Edit(
        model.start(stmt), _statement_end(model, stmt), (model.source.newline + indent).join(parts)
    )


def _loop_exits(stmts: list[ast.stmt]) -> list[ast.AST]:
    """``break``/``continue`` statements in ``stmts`` that act on the loop around them."""
    out: list[ast.AST] = []
    stack: list[ast.AST] = list(stmts)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Break, ast.Continue)):
            out.append(node)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.For, ast.AsyncFor, ast.While)):
                stack.extend(child.orelse)  # the else clause belongs to the outer loop
                continue
            if not isinstance(
                child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
            ):
                stack.append(child)
    return out


def _always_true(test: ast.expr) -> bool:
    return isinstance(test, ast.Constant) and bool(test.value) and test.value is not Ellipsis


def _unwrappable_loop(
    model: ModuleModel, try_node: ast.Try
) -> tuple[ast.While, list[ast.stmt]] | None:
    """``while True: try: <body ending in return/raise/break> except ...`` where the loop
    exists only for the retry: (loop, statements that replace it)."""
    loop = model.parent(try_node)
    if not isinstance(loop, ast.While) or loop.body != [try_node] or loop.orelse:
        return None
    if (
        not _always_true(loop.test)
        or try_node.orelse
        or try_node.finalbody
        or len(try_node.handlers) != 1
    ):
        return None
    body = list(try_node.body)
    last = body[-1]
    if not isinstance(last, (ast.Return, ast.Raise, ast.Break)):
        return None
    if any(e is not last for e in _loop_exits(body)):
        return None
    if isinstance(last, ast.Break):
        body = body[:-1]
    return (loop, body) if body else None


def _remove_handler_fix(model: ModuleModel, path: ErrnoPath, try_node: ast.Try) -> Fix | None:
    handler = path.handler
    if path.branch is not None and not _is_reraise(path.other, handler.name):
        return None  # other errnos are handled differently: the handler must stay
    edit: Edit | None
    message = "Remove the dead InterruptedError handler"
    if len(try_node.handlers) > 1 or try_node.finalbody:
        if len(try_node.handlers) == 1 and try_node.orelse:
            return None  # try/else/finally without except is not valid Python
        edit = _delete_lines(model, handler)
    else:
        unwrap = _unwrappable_loop(model, try_node)
        if unwrap is not None:
            loop, body = unwrap
            edit = _replace_with_block(model, loop, body)
            message = "Remove the dead InterruptedError handler and the retry loop"
        else:
            edit = _replace_with_block(model, try_node, try_node.body, try_node.orelse)
    if edit is None:
        return None
    return Fix(message, Applicability.SAFE, (edit,))


def _delete_lines(model: ModuleModel, handler: ast.ExceptHandler) -> Edit | None:
    if not _starts_line(model, handler):
        return None
    first = handler.lineno
    last = handler.end_lineno or handler.lineno
    if last < model.source.line_count:
        return Edit(Position(first, 0), Position(last + 1, 0), "")
    if first < 2:
        return None
    prev = first - 1
    return Edit(
        Position(prev, len(model.source.line(prev))),
        Position(last, len(model.source.line(last))),
        "",
    )


# ------------------------------------------------------------------------------- IO205


class CloseRetriedOnEintr(Rule):
    code = "IO205"
    name = "close-retried-on-eintr"
    summary = "`close()` retried after EINTR may close a descriptor another thread reused."
    fix_applicability = Applicability.DISPLAY_ONLY
    triggers = ("InterruptedError", "EINTR")

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        model = ctx.model
        for handler in _handlers(model):
            path = errno_path(model, handler, "InterruptedError", EINTR_ERRNOS)
            if path is None:
                continue
            try_node = model.parent(handler)
            if not isinstance(try_node, ast.Try):
                continue
            closes = [
                n
                for n in walk_local(try_node.body)
                if isinstance(n, ast.Call) and is_close_call(model, n)
            ]
            if not closes:
                continue
            in_loop = bool(model.enclosing_loops(try_node)) and not leaves_loop(path.statements)
            closes_again = any(
                isinstance(n, ast.Call) and is_close_call(model, n)
                for n in walk_local(path.statements)
            )
            if not (in_loop or closes_again):
                continue
            label = _call_label(model, closes[0])
            message = (
                f"`{label}` is retried after EINTR, but the descriptor is already released when "
                "close is interrupted, and the retry may close one another thread has just "
                "opened; never retry close: call it once and ignore EINTR"
            )
            yield self.diagnostic(ctx, handler, message)


# ------------------------------------------------------------------------------- IO206

_CONSUMING_METHODS = frozenset(
    {"read", "read1", "readline", "recv", "get_nowait", "popleft", "pop"}
)


def _consumer(model: ModuleModel, payload: ast.expr) -> ast.Call | None:
    """A call inside ``payload`` that takes data from a source (``src.read(n)``,
    ``next(it)``, ``queue.get()``), unless its value is also kept (walrus)."""
    for node in ast.walk(payload):
        if isinstance(node, ast.NamedExpr):
            return None
    for node in ast.walk(payload):
        if not isinstance(node, ast.Call):
            continue
        q = model.call_qualname(node)
        if q == "builtins.next":
            return node
        if q is not None:
            continue
        name = method_name(node)
        if name in _CONSUMING_METHODS:
            return node
        if (
            name == "get"
            and not node.args
            and not any(k.arg not in ("block", "timeout") for k in node.keywords)
        ):
            return node
    return None


def _write_payload(model: ModuleModel, call: ast.Call) -> ast.expr | None:
    q = model.call_qualname(call)
    if q in ("os.write", "os.pwrite"):
        return call_arg(call, 1)
    if q is None and method_name(call) in ("write", "send", "sendall", "sendto"):
        return call_arg(call, 0)
    return None


class PayloadLostOnEagain(Rule):
    code = "IO206"
    severity = "error"
    name = "payload-lost-on-eagain"
    summary = "Data consumed inside a write that can raise BlockingIOError is lost on retry."
    fix_applicability = Applicability.DISPLAY_ONLY
    triggers = ("BlockingIOError", "EAGAIN", "EWOULDBLOCK")

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        model = ctx.model
        for handler in _handlers(model):
            path = _eagain_path(model, handler)
            if path is None or leaves_loop(path.statements):
                continue
            try_node = model.parent(handler)
            if not isinstance(try_node, ast.Try) or not model.enclosing_loops(try_node):
                continue
            for node in walk_local(try_node.body):
                if not isinstance(node, ast.Call):
                    continue
                payload = _write_payload(model, node)
                if payload is None:
                    continue
                source = _consumer(model, payload)
                if source is None:
                    continue
                message = (
                    f"`{model.text_of(source)}` consumes data in the same expression as this "
                    "write; when the write raises BlockingIOError and the loop retries, that "
                    "data is gone for good; read it into a variable before the `try`"
                )
                yield self.diagnostic(ctx, node, message)


__all__ = [
    "BlockingIOErrorUnhandled",
    "CloseRetriedOnEintr",
    "EagainBusyLoop",
    "NonblockingNoneResult",
    "PayloadLostOnEagain",
    "RedundantEintrRetry",
]
