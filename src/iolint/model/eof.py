"""Does a read loop ever leave at EOF?

The question is answered by evaluating every way out of the innermost ``while`` loop around a
read as if the read had just returned EOF (``b''``, or a count of 0 for ``*_into``):

* a way out whose condition holds at EOF (``if not data: break``, ``while data:``,
  ``if len(data) < size: return``) handles EOF;
* a way out whose condition cannot change at EOF (``while True``, ``while len(buf) < n`` when
  ``buf`` only grows by what was read, ``if b"\\n" in buf: break``, ``except BlockingIOError``)
  does not: at EOF the loop keeps reading ``b''`` forever;
* anything the evaluator cannot decide (a call, an attribute such as ``self.running``, an
  ``except OSError`` that may be the pty's EIO at EOF) makes the whole loop undecided, and the
  rule stays silent.
"""

from __future__ import annotations

import ast
import enum
from dataclasses import dataclass, field
from typing import Callable

from iolint.model.derived_names import derived_names
from iolint.model.eof_quiet import BROAD_EXCEPTIONS, quiet_at_eof
from iolint.model.eof_raises import raises_every_pass
from iolint.model.io_calls import ReadCall
from iolint.model.kinds import Category
from iolint.model.module import ModuleModel
from iolint.model.readiness import read_stream, readable_list, ready_at_eof
from iolint.model.regex_eof import match_method, match_on, regex_match_call
from iolint.model.scopes import walk_local

# Handlers that never run because of EOF: catching them is not a way out at EOF.
NON_EOF_EXCEPTIONS = frozenset(
    {
        "BlockingIOError",
        "InterruptedError",
        "TimeoutError",
        "socket.timeout",
        "EOFError",
        "KeyboardInterrupt",
        "ssl.SSLWantReadError",
        "ssl.SSLWantWriteError",
    }
)
# What a socket or an asyncio stream raises when the connection fails, never at a clean EOF
# (``recv``/``StreamReader.read`` return b'' then). Unlike ``os.read`` on a pty, whose EOF
# is EIO, catching these is not a way out at EOF for a socket-like read.
CONNECTION_ERRORS = frozenset(
    {
        "OSError",
        "IOError",
        "socket.error",
        "select.error",
        "ConnectionError",
        "ConnectionResetError",
        "ConnectionAbortedError",
        "BrokenPipeError",
    }
)
_EXIT_CALLS = frozenset({"sys.exit", "os._exit", "builtins.exit", "builtins.quit", "os.abort"})
_SAFE_METHODS = frozenset(
    {
        "strip",
        "rstrip",
        "lstrip",
        "decode",
        "lower",
        "upper",
        "startswith",
        "endswith",
        "find",
        "count",
        "split",
    }
)


class Truth(enum.Enum):
    DATA_TRUE = "true because of what was read"
    CONST_TRUE = "always true"
    FALSE = "false at EOF"
    STATIC = "unchanged by an empty read"
    UNKNOWN = "cannot tell"


class Exit(enum.Enum):
    AT_EOF = 1
    NOT_AT_EOF = 2
    UNDECIDED = 3


@dataclass(frozen=True)
class _Val:
    kind: str  # "known", "static", "unknown"
    value: object = None
    data: bool = False


_STATIC = _Val("static")
_UNKNOWN = _Val("unknown")


@dataclass(frozen=True)
class EofVerdict:
    """A loop that does not leave at EOF."""

    loop: ast.While
    result_name: str | None
    binding_statement: ast.stmt | None
    returns_count: bool
    wrong_sentinel: str | None
    # EOF tested as ``data == 0`` (never true for bytes): the root cause IO105 reports.
    bytes_compared_with_zero: bool = False


@dataclass
class _LoopFacts:
    model: ModuleModel
    read: ReadCall
    loop: ast.While
    result_name: str | None
    eof_value: object
    static_names: set[str]
    varying_names: set[str]
    wrong_sentinel: list[str] = field(default_factory=list)
    bytes_compared_with_zero: bool = False
    # The read wrapped in ``.strip()``/``.decode()`` calls (the read itself when it is not),
    # and the value that expression and the name bound to it have at EOF.
    wrapped: ast.expr | None = None
    wrapped_value: object = None
    # Targets of ``for`` loops inside the read loop, with what they iterate over: over a
    # collection that an empty read leaves alone they take the same values on every pass.
    for_targets: dict[str, ast.expr] = field(default_factory=dict)
    # Names bound once per pass from what was read (``m = re.match(HEADER, line)``): at EOF
    # every pass binds them to the same value, computed from their expression.
    derived: dict[str, ast.expr] = field(default_factory=dict)
    _deriving: set[str] = field(default_factory=set)
    # Locals that only grow by what was read (``buf += data``, ``sink.write(data)``): an empty
    # read leaves them as they are, and once data has arrived they are never empty again.
    growing: set[str] = field(default_factory=set)
    # Names bound in the loop to a ``select`` readable list holding the read's own stream:
    # at EOF the stream is readable on every pass, so each is a non-empty list then.
    ready_names: set[str] = field(default_factory=set)
    # Set while the guards of the loop's exits are evaluated: the EOF that matters is the one
    # that comes in the middle of a message, after some data was read.
    after_data: bool = False


def _walk_loop(loop: ast.While) -> list[ast.AST]:
    return list(walk_local([loop.test, *loop.body]))


def _contains(node: ast.AST, target: ast.AST) -> bool:
    return any(n is target for n in ast.walk(node))


# Methods that map an empty read to an empty value: ``recv(n).strip()`` is still b'' at EOF.
_EMPTY_PRESERVING = frozenset({"strip", "rstrip", "lstrip", "decode", "lower", "upper"})


def _wrapped_read(model: ModuleModel, call: ast.Call, eof_value: object) -> tuple[ast.expr, object]:
    """The outermost expression of ``read(...).strip().decode()``-like chains, and its value
    at EOF (method arguments must be constants, so the value is computed here)."""
    expr: ast.expr = call
    value = eof_value
    awaited = model.parent(call)
    if isinstance(awaited, ast.Await):
        expr = awaited  # ``(await reader.read(n)).decode()``
    while True:
        attr = model.parent(expr)
        outer = model.parent(attr) if attr is not None else None
        if not (
            isinstance(attr, ast.Attribute)
            and attr.value is expr
            and attr.attr in _EMPTY_PRESERVING
            and isinstance(outer, ast.Call)
            and outer.func is attr
            and all(isinstance(a, ast.Constant) for a in outer.args)
            and all(k.arg is not None and isinstance(k.value, ast.Constant) for k in outer.keywords)
        ):
            return expr, value
        args = [a.value for a in outer.args if isinstance(a, ast.Constant)]
        kwargs = {
            str(k.arg): k.value.value for k in outer.keywords if isinstance(k.value, ast.Constant)
        }
        try:
            value = getattr(value, attr.attr)(*args, **kwargs)
        except Exception:
            return expr, value
        expr = outer


def _result_binding(model: ModuleModel, call: ast.expr) -> tuple[str | None, ast.stmt | None]:
    parent = model.parent(call)
    if isinstance(parent, ast.Assign) and parent.value is call and len(parent.targets) == 1:
        target = parent.targets[0]
        if isinstance(target, ast.Name):
            return target.id, parent
    if (
        isinstance(parent, ast.AnnAssign)
        and parent.value is call
        and isinstance(parent.target, ast.Name)
    ):
        return parent.target.id, parent
    if isinstance(parent, ast.NamedExpr) and isinstance(parent.target, ast.Name):
        return parent.target.id, model.statement_of(parent)
    return None, None


def _collect_names(facts: _LoopFacts, nodes: list[ast.AST]) -> None:
    """Split the names the loop changes into accumulators of what was read, which an empty
    read leaves unchanged (``buf += data``, ``buf.extend(data)``, ``n -= len(data)``), and
    names that vary for any other reason."""
    call, name = facts.read.call, facts.result_name

    def is_read_value(expr: ast.AST | None) -> bool:
        if expr is None:
            return False
        if expr is call or expr is facts.wrapped:
            return True
        if name is not None and isinstance(expr, ast.Name) and expr.id == name:
            return True
        # len(data) adds 0 at EOF
        return (
            isinstance(expr, ast.Call)
            and isinstance(expr.func, ast.Name)
            and expr.func.id == "len"
            and len(expr.args) == 1
            and is_read_value(expr.args[0])
        )

    accumulating: set[ast.AST] = set()  # the Name nodes written by accumulating statements
    accumulators: set[str] = set()
    growing: set[str] = set()
    changed: set[str] = set()
    for node in nodes:
        if (
            isinstance(node, ast.AugAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(node.op, (ast.Add, ast.Sub))
            and is_read_value(node.value)
        ):
            accumulators.add(node.target.id)
            accumulating.add(node.target)
            if isinstance(node.op, ast.Add):
                growing.add(node.target.id)
        elif _advances_by_read(node, is_read_value):
            # ``view = view[n:]`` with the count just read: an empty read advances nothing.
            target = node.targets[0]  # type: ignore[attr-defined]
            accumulators.add(target.id)
            accumulating.add(target)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            changed.add(node.name)
        elif isinstance(node, (ast.Subscript, ast.Attribute)) and isinstance(
            node.ctx, (ast.Store, ast.Del)
        ):
            # ``del sources[i]``, ``state[k] = v``, ``self.done = True``: the object changes.
            base = node.value
            while isinstance(base, (ast.Subscript, ast.Attribute)):
                base = base.value
            if isinstance(base, ast.Name):
                changed.add(base.id)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
        ):
            owner = node.func.value.id
            if (
                node.func.attr in ("extend", "write")
                and len(node.args) == 1
                and is_read_value(node.args[0])
            ):
                # A sink handed the chunk: ``write(b"")`` adds nothing, and the chunk is not
                # tested by being passed on.
                accumulators.add(owner)
                growing.add(owner)
            elif node.func.attr not in _SAFE_METHODS and node.func.attr not in (
                "getvalue",
                "hex",
                "tobytes",
            ):
                changed.add(owner)  # any other method call may mutate the object
    for_targets: dict[str, ast.expr] = {}
    for_target_nodes: set[ast.AST] = set()
    for node in nodes:
        if isinstance(node, (ast.For, ast.AsyncFor)) and isinstance(node.target, ast.Name):
            for_targets[node.target.id] = node.iter
            for_target_nodes.add(node.target)
    for node in nodes:
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            if node not in accumulating:
                changed.add(node.id)
                if node not in for_target_nodes:
                    for_targets.pop(node.id, None)  # bound elsewhere too: not a plain cycle
    facts.for_targets = {
        target: iterable
        for target, iterable in for_targets.items()
        if target != name and not _names_in(iterable) & (changed | {target})
    }
    if name is not None:
        accumulators.discard(name)
        changed.discard(name)
    facts.static_names = accumulators - changed
    facts.growing = growing & facts.static_names
    facts.varying_names = changed
    facts.derived = derived_names(facts.model, facts.loop, facts.read.call, name, nodes)


def _advances_by_read(node: ast.AST, is_read_value: Callable[[ast.AST | None], bool]) -> bool:
    """``x = x[n:]`` where ``n`` is what was read (a count of 0 at EOF)."""
    if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
        return False
    target, value = node.targets[0], node.value
    return (
        isinstance(target, ast.Name)
        and isinstance(value, ast.Subscript)
        and isinstance(value.value, ast.Name)
        and value.value.id == target.id
        and isinstance(value.slice, ast.Slice)
        and value.slice.upper is None
        and value.slice.step is None
        and is_read_value(value.slice.lower)
    )


def _eval(facts: _LoopFacts, expr: ast.AST) -> _Val:
    model = facts.model
    if expr is facts.read.call or (isinstance(expr, ast.Await) and expr.value is facts.read.call):
        return _Val("known", facts.eof_value, True)
    if isinstance(expr, ast.Constant):
        return _Val("known", expr.value, False)
    if isinstance(expr, ast.NamedExpr):
        return _eval(facts, expr.value)
    if isinstance(expr, ast.Name):
        if expr.id == facts.result_name:
            return _Val("known", facts.wrapped_value, True)
        if expr.id in facts.static_names:
            return _STATIC
        if expr.id in facts.ready_names:
            return _Val("known", [facts.read.receiver], True)
        if expr.id in facts.for_targets:
            # ``for stop in stop_words: if buf.endswith(stop): return``: each pass of the read
            # loop tries the same values, so the name is as static as what it iterates over.
            over = _eval(facts, facts.for_targets[expr.id])
            if over.kind == "static" or (over.kind == "known" and not over.data):
                return _STATIC
            return _UNKNOWN
        if expr.id in facts.derived and expr.id not in facts._deriving:
            facts._deriving.add(expr.id)
            try:
                return _eval(facts, facts.derived[expr.id])
            finally:
                facts._deriving.discard(expr.id)
        if expr.id in facts.varying_names:
            return _UNKNOWN
        return _STATIC if _loop_invariant_local(model, expr) else _UNKNOWN
    if isinstance(expr, ast.Attribute):
        # ``sink.written_count`` of a local sink that only receives the chunks: an empty read
        # leaves every attribute of it as it was.
        return _STATIC if _grown_sink(facts, expr.value) else _UNKNOWN
    if isinstance(expr, ast.UnaryOp):
        if facts.after_data and isinstance(expr.op, ast.Not) and _grown(facts, expr.operand):
            return _Val("known", False, False)  # ``not buf``: data has been read
        v = _eval(facts, expr.operand)
        if v.kind != "known":
            return v
        try:
            if isinstance(expr.op, ast.Not):
                return _Val("known", not v.value, v.data)
            if isinstance(expr.op, ast.USub):
                return _Val("known", -v.value, v.data)  # type: ignore[operator]
        except TypeError:
            return _UNKNOWN
        return _UNKNOWN
    if isinstance(expr, ast.BoolOp):
        return _eval_boolop(facts, expr)
    if isinstance(expr, ast.Compare):
        return _eval_compare(facts, expr)
    if isinstance(expr, ast.BinOp):
        left, right = _eval(facts, expr.left), _eval(facts, expr.right)
        return _combine(left, right, lambda a, b: _binop(expr.op, a, b))
    if isinstance(expr, ast.Call):
        return _eval_call(facts, expr)
    if isinstance(expr, ast.Subscript):
        if readable_list(model, expr, read_stream(facts.read)):
            return _Val("known", [facts.read.receiver], True)
        return _eval_subscript(facts, expr)
    if isinstance(expr, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
        return _eval_comprehension(facts, expr)
    if isinstance(expr, (ast.Tuple, ast.List)):
        items = [_eval(facts, e) for e in expr.elts]
        if all(i.kind == "known" and not i.data for i in items):
            return _Val("known", tuple(i.value for i in items), False)
        return _UNKNOWN if any(i.kind == "unknown" for i in items) else _STATIC
    return _UNKNOWN


def _evaluated_from_read(facts: _LoopFacts, expr: ast.expr) -> tuple[bool, object]:
    value = _eval(facts, expr)
    return value.kind == "known" and value.data, value.value


def _eval_comprehension(facts: _LoopFacts, expr: ast.expr) -> _Val:
    """A comprehension over what was read, empty at EOF, is empty (its body never runs)."""
    assert isinstance(expr, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp))
    if len(expr.generators) != 1 or isinstance(expr, ast.GeneratorExp):
        return _UNKNOWN
    over = _eval(facts, expr.generators[0].iter)
    if over.kind != "known" or not over.data:
        return _UNKNOWN
    try:
        empty = len(over.value) == 0  # type: ignore[arg-type]
    except TypeError:
        return _UNKNOWN
    if not empty:
        return _UNKNOWN
    made: object = (
        [] if isinstance(expr, ast.ListComp) else set() if isinstance(expr, ast.SetComp) else {}
    )
    return _Val("known", made, True)


def _names_in(expr: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(expr) if isinstance(n, ast.Name)}


def _eval_subscript(facts: _LoopFacts, expr: ast.Subscript) -> _Val:
    """``data[-1:]`` with constant bounds: computed on what was read (``b''[-1:]`` is
    ``b''``); on an unchanged value it is unchanged."""
    index = expr.slice
    parts = [index.lower, index.upper, index.step] if isinstance(index, ast.Slice) else [index]
    bounds = [_eval(facts, p) if p is not None else _Val("known", None) for p in parts]
    if not all(b.kind == "known" and not b.data for b in bounds):
        return _UNKNOWN
    value = _eval(facts, expr.value)
    if value.kind != "known":
        return value
    key = slice(*(b.value for b in bounds)) if isinstance(index, ast.Slice) else bounds[0].value
    try:
        return _Val("known", value.value[key], value.data)  # type: ignore[index]
    except Exception:
        return _UNKNOWN  # ``b''[0]`` raises: a way out this evaluator does not follow


def _binop(op: ast.operator, a: object, b: object) -> object:
    if isinstance(op, ast.Add):
        return a + b  # type: ignore[operator]
    if isinstance(op, ast.Sub):
        return a - b  # type: ignore[operator]
    if isinstance(op, ast.Mult) and isinstance(a, int) and isinstance(b, int):
        return a * b
    raise TypeError("unsupported")


def _combine(left: _Val, right: _Val, compute: object) -> _Val:
    kinds = {left.kind, right.kind}
    if "unknown" in kinds:
        return _UNKNOWN
    if kinds == {"known"}:
        try:
            return _Val("known", compute(left.value, right.value), left.data or right.data)  # type: ignore[operator]
        except Exception:
            return _UNKNOWN
    # static mixed with what was read: cannot tell (``len(data) < chunk_size``)
    if any(v.kind == "known" and v.data for v in (left, right)):
        return _UNKNOWN
    return _STATIC


def _grown_sink(facts: _LoopFacts, expr: ast.expr) -> bool:
    """A local that only grows by what was read and is not the method's own object (whose
    attributes other methods and threads change)."""
    if not (isinstance(expr, ast.Name) and expr.id in facts.growing):
        return False
    if not _loop_invariant_local(facts.model, expr):
        return False
    func = facts.model.scope_of(expr).node
    if isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)) and isinstance(
        facts.model.parent(func), ast.ClassDef
    ):
        params = [*func.args.posonlyargs, *func.args.args]
        if params and params[0].arg == expr.id:
            return False
    return True


def _grown(facts: _LoopFacts, expr: ast.expr) -> bool:
    """``buf``, ``len(buf)`` or ``sink.count`` of a local that only grows by what was read:
    empty or zero only before any data arrived."""
    if (
        isinstance(expr, ast.Call)
        and isinstance(expr.func, ast.Name)
        and expr.func.id == "len"
        and len(expr.args) == 1
        and not expr.keywords
    ):
        expr = expr.args[0]
    if isinstance(expr, ast.Attribute):
        return _grown_sink(facts, expr.value)
    return _grown_sink(facts, expr)


def _nothing_read_yet(facts: _LoopFacts, expr: ast.Compare) -> bool:
    """``buf == b""``, ``len(buf) == 0``, ``sink.count == 0``: true only before the first
    data, so false at an EOF that comes after some."""
    if not facts.after_data or len(expr.ops) != 1 or not isinstance(expr.ops[0], ast.Eq):
        return False
    left, right = expr.left, expr.comparators[0]
    for side, other in ((left, right), (right, left)):
        if (
            isinstance(other, ast.Constant)
            and other.value in (0, b"", "")
            and type(other.value) is not bool
            and _grown(facts, side)
        ):
            return True
    return False


def _eval_compare(facts: _LoopFacts, expr: ast.Compare) -> _Val:
    if _nothing_read_yet(facts, expr):
        return _Val("known", False, False)
    operands = [expr.left, *expr.comparators]
    values = [_eval(facts, o) for o in operands]
    # EOF tested against None: os.read/recv never return None at EOF.
    for op, a, b, va, vb in zip(expr.ops, operands, operands[1:], values, values[1:]):
        if isinstance(op, (ast.Is, ast.IsNot, ast.Eq, ast.NotEq)):
            for side, other in ((va, b), (vb, a)):
                if (
                    side.kind == "known"
                    and side.data
                    and isinstance(other, ast.Constant)
                    and other.value is None
                ):
                    facts.wrong_sentinel.append("`is None`")
                if (
                    side.kind == "known"
                    and side.data
                    and isinstance(side.value, bytes)
                    and isinstance(other, ast.Constant)
                    and isinstance(other.value, str)
                    and isinstance(op, (ast.Eq, ast.NotEq))
                ):
                    # ``chunk == ''``: bytes never equal a str (Python 2's EOF test).
                    facts.wrong_sentinel.append(
                        f"`== {other.value!r}` (a str, never equal to bytes)"
                    )
                if (
                    side.kind == "known"
                    and side.data
                    and isinstance(side.value, bytes)
                    and isinstance(other, ast.Constant)
                    and type(other.value) is int
                    and other.value == 0
                ):
                    # ``data == 0``: IO105 reports this comparison, and its fix (``not data``)
                    # is the missing EOF test.
                    facts.bytes_compared_with_zero = True
    result: _Val = _Val("known", True, False)
    for op, va, vb in zip(expr.ops, values, values[1:]):
        step = _combine(va, vb, lambda a, b, op=op: _compare(op, a, b))
        if step.kind == "known" and not step.value:
            return _Val("known", False, step.data or result.data)
        if step.kind != "known":
            result = step if result.kind == "known" or step.kind == "unknown" else result
        else:
            result = (
                _Val("known", True, step.data or result.data) if result.kind == "known" else result
            )
    return result


def _compare(op: ast.cmpop, a: object, b: object) -> bool:
    if isinstance(op, ast.Eq):
        return bool(a == b)
    if isinstance(op, ast.NotEq):
        return bool(a != b)
    if isinstance(op, ast.Is):
        return a is b
    if isinstance(op, ast.IsNot):
        return a is not b
    if isinstance(op, ast.Lt):
        return bool(a < b)  # type: ignore[operator]
    if isinstance(op, ast.LtE):
        return bool(a <= b)  # type: ignore[operator]
    if isinstance(op, ast.Gt):
        return bool(a > b)  # type: ignore[operator]
    if isinstance(op, ast.GtE):
        return bool(a >= b)  # type: ignore[operator]
    if isinstance(op, ast.In):
        return a in b  # type: ignore[operator]
    if isinstance(op, ast.NotIn):
        return a not in b  # type: ignore[operator]
    raise TypeError("unsupported")


def _eval_boolop(facts: _LoopFacts, expr: ast.BoolOp) -> _Val:
    truths = [_truth(_eval(facts, v)) for v in expr.values]
    is_or = isinstance(expr.op, ast.Or)
    decisive = (Truth.DATA_TRUE, Truth.CONST_TRUE) if is_or else (Truth.FALSE,)
    for t in truths:
        if t in decisive:
            return _Val("known", is_or, t is Truth.DATA_TRUE or not is_or)
    if Truth.UNKNOWN in truths:
        return _UNKNOWN
    if Truth.STATIC in truths:
        if any(t is Truth.DATA_TRUE for t in truths):
            return _UNKNOWN
        return _STATIC
    return _Val("known", not is_or, any(t is Truth.DATA_TRUE for t in truths))


def _eval_call(facts: _LoopFacts, expr: ast.Call) -> _Val:
    func = expr.func
    regex = regex_match_call(facts.model, expr)
    if regex is not None:
        pattern, subject_expr = regex
        subject = _eval(facts, subject_expr)
        if subject.kind != "known":
            return subject
        computed, result = match_on(pattern, match_method(facts.model, expr), subject.value)
        return _Val("known", result, subject.data) if computed else _UNKNOWN
    if (
        isinstance(func, ast.Name)
        and func.id in ("dict", "list", "tuple", "set")
        and len(expr.args) == 1
        and not expr.keywords
        and facts.model.qualname(func) == f"builtins.{func.id}"
    ):
        # ``dict(pairs)`` of pairs parsed from the empty read: an empty container.
        v = _eval(facts, expr.args[0])
        if v.kind != "known" or not v.data:
            return _UNKNOWN if v.kind != "static" else v
        try:
            return _Val(
                "known",
                {"dict": dict, "list": list, "tuple": tuple, "set": set}[func.id](v.value),
                True,
            )
        except Exception:
            return _UNKNOWN
    if (
        isinstance(func, ast.Name)
        and func.id in ("len", "bool")
        and len(expr.args) == 1
        and not expr.keywords
    ):
        if facts.model.qualname(func) != f"builtins.{func.id}":
            return _UNKNOWN
        v = _eval(facts, expr.args[0])
        if v.kind != "known":
            return v
        try:
            return _Val("known", len(v.value) if func.id == "len" else bool(v.value), v.data)  # type: ignore[arg-type]
        except TypeError:
            return _UNKNOWN
    if isinstance(func, ast.Attribute) and func.attr in _SAFE_METHODS and not expr.keywords:
        v = _eval(facts, func.value)
        args = [_eval(facts, a) for a in expr.args]
        if v.kind == "known" and v.data and all(a.kind == "known" and not a.data for a in args):
            try:
                return _Val("known", getattr(v.value, func.attr)(*(a.value for a in args)), True)
            except Exception:
                return _UNKNOWN
        if v.kind == "static" and all(a.kind != "unknown" for a in args):
            return _STATIC
    return _UNKNOWN


def _truth(v: _Val) -> Truth:
    if v.kind == "static":
        return Truth.STATIC
    if v.kind == "unknown":
        return Truth.UNKNOWN
    try:
        truthy = bool(v.value)
    except Exception:
        return Truth.UNKNOWN
    if not truthy:
        return Truth.FALSE
    return Truth.DATA_TRUE if v.data else Truth.CONST_TRUE


def _loop_invariant_local(model: ModuleModel, name: ast.Name) -> bool:
    """A function-local name: nothing outside the function (another thread, a signal handler,
    a closure without ``nonlocal``) can change it while the loop runs."""
    scope = model.scope_of(name)
    if not scope.is_function:
        return False
    owner = scope.lookup_scope(name.id)
    if owner is not scope or name.id in scope.declared_global:
        return False
    return not any(name.id in s.declared_global for s in scope.iter_descendants())


def _handler_names(model: ModuleModel, handler: ast.ExceptHandler) -> list[str] | None:
    if handler.type is None:
        return None
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    out = []
    for t in types:
        q = model.qualname(t)
        if q is None:
            return None
        out.append(q[len("builtins.") :] if q.startswith("builtins.") else q)
    return out


def _exit_nodes(facts: _LoopFacts) -> list[ast.AST]:
    model, loop = facts.model, facts.loop
    exits: list[ast.AST] = []
    for node in _walk_loop(loop):
        if isinstance(node, ast.Break):
            loops = model.enclosing_loops(node)
            if loops and loops[0] is loop:
                exits.append(node)
        elif isinstance(node, (ast.Return, ast.Raise)) or (
            isinstance(node, ast.Call) and model.call_qualname(node) in _EXIT_CALLS
        ):
            exits.append(node)
    return exits


def _guard_truths(facts: _LoopFacts, exit_node: ast.AST) -> list[Truth]:
    model = facts.model
    truths: list[Truth] = []
    child = exit_node
    for anc in model.ancestors(exit_node):
        if anc is facts.loop:
            break
        if isinstance(anc, ast.If):
            facts.after_data = True
            try:
                test = _truth(_eval(facts, anc.test))
            finally:
                facts.after_data = False
            if any(child is s for s in anc.body):
                truths.append(test)
            elif any(child is s for s in anc.orelse):
                truths.append(_negate(test))
        elif isinstance(anc, ast.ExceptHandler):
            names = _handler_names(model, anc)
            if _broad_but_quiet(facts, anc, names):
                truths.append(Truth.FALSE)
            elif names is not None and all(_not_raised_at_eof(facts.read, n) for n in names):
                truths.append(Truth.FALSE)
                try_node = model.parent(anc)
                if (
                    "EOFError" in names
                    and try_node is not None
                    and _contains(try_node, facts.read.call)
                ):
                    facts.wrong_sentinel.append("`except EOFError`")
            else:
                truths.append(Truth.UNKNOWN)
        elif type(anc).__name__ in ("Match", "match_case"):
            truths.append(Truth.UNKNOWN)
        child = anc
    return truths


def _broad_but_quiet(
    facts: _LoopFacts, handler: ast.ExceptHandler, names: list[str] | None
) -> bool:
    """A bare ``except:`` or ``except Exception`` around a socket read whose ``try`` body
    raises nothing on ``b''``: a clean close reaches it on no path (model/eof_quiet.py)."""
    if not _socket_like(facts.read):
        return False
    if names is not None and not all(
        n in BROAD_EXCEPTIONS or _not_raised_at_eof(facts.read, n) for n in names
    ):
        return False
    try_node = facts.model.parent(handler)
    return (
        isinstance(try_node, ast.Try)
        and any(_contains(s, facts.read.call) for s in try_node.body)
        and quiet_at_eof(try_node, facts.read.call)
    )


def _socket_like(read: ReadCall) -> bool:
    """A read known to be from a socket or an asyncio stream. A ``recv`` on an object of
    unknown type may wrap a pty, whose EOF is EIO."""
    kind = read.receiver_kind
    return read.label == "loop.sock_recv()" or (
        kind is not None and kind.category in (Category.SOCKET, Category.STREAM_READER)
    )


def _not_raised_at_eof(read: ReadCall, exception: str) -> bool:
    return exception in NON_EOF_EXCEPTIONS or (
        exception in CONNECTION_ERRORS and _socket_like(read)
    )


def _off_eof_path(model: ModuleModel, read: ReadCall, loop: ast.While, node: ast.Await) -> bool:
    """An ``await`` that does not run on a pass where the read returned EOF: the read's own,
    or one in a handler of an exception the read does not raise at EOF (a reconnect after a
    connection error). The other awaits hand control to the event loop and are not judged."""
    if node.value is read.call:
        # Only a stream says b"" at EOF alone: ``loop.sock_recv`` on a socket of unknown type
        # may read datagrams, where an empty one is a message.
        kind = read.receiver_kind
        return kind is not None and (
            kind.category is Category.STREAM_READER
            or (kind.category is Category.SOCKET and not kind.datagram)
        )
    for anc in model.ancestors(node):
        if anc is loop:
            return False
        if isinstance(anc, ast.ExceptHandler):
            names = _handler_names(model, anc)
            return names is not None and all(_not_raised_at_eof(read, n) for n in names)
    return False


def _negate(t: Truth) -> Truth:
    if t in (Truth.DATA_TRUE, Truth.CONST_TRUE):
        return Truth.FALSE
    if t is Truth.FALSE:
        return Truth.DATA_TRUE
    return t


def _classify(truths: list[Truth]) -> Exit:
    if Truth.FALSE in truths:
        return Exit.NOT_AT_EOF
    if Truth.UNKNOWN in truths:
        return Exit.UNDECIDED
    if Truth.DATA_TRUE in truths:
        return Exit.UNDECIDED if Truth.STATIC in truths else Exit.AT_EOF
    return Exit.NOT_AT_EOF if Truth.STATIC in truths else Exit.AT_EOF


def _test_truth(facts: _LoopFacts) -> Truth:
    """The loop's own test as a way out: it leaves when the test is false."""
    # Data from a negated test: a false test at EOF means the loop leaves.
    v = _truth(_eval(facts, facts.loop.test))
    if v is Truth.FALSE:
        # Only a test that reads (or tests what was read) makes this an EOF exit.
        return Truth.DATA_TRUE if _mentions_read(facts, facts.loop.test) else Truth.CONST_TRUE
    if v in (Truth.DATA_TRUE, Truth.CONST_TRUE):
        return Truth.FALSE
    return v


def _mentions_read(facts: _LoopFacts, expr: ast.AST) -> bool:
    for n in ast.walk(expr):
        if n is facts.read.call or (isinstance(n, ast.Name) and n.id == facts.result_name):
            return True
    return False


def _accepted_in_loop(model: ModuleModel, read: ReadCall, loop: ast.While) -> bool:
    """The read's receiver is bound in the loop from ``accept()`` (``conn, addr =
    server.accept()``): a server loop. At EOF the connection is done with, and the next pass
    waits in ``accept()`` for another one; it never reads the ended connection again."""
    receiver = read.receiver
    if not isinstance(receiver, ast.Name):
        return False
    bindings = model.bindings_of(receiver.id, receiver)
    if not bindings:
        return False
    for b in bindings:
        value = b.value
        if isinstance(value, ast.Await):
            value = value.value
        if not (
            b.kind == "assign"
            and isinstance(value, ast.Call)
            and isinstance(value.func, ast.Attribute)
            and value.func.attr == "accept"
            and b.index in (None, 0)
            and any(a is loop for a in model.ancestors(b.node))
        ):
            return False
    return True


def analyze_eof(
    model: ModuleModel, read: ReadCall, *, eof_value: object = None
) -> EofVerdict | None:
    """The verdict for a read that sits in a loop which never leaves at EOF, else None.
    ``eof_value`` is what the read returns at EOF when it is not ``b''`` (or 0 for the
    ``*_into`` forms): ``''`` for a text stream's ``readline()``."""
    loops = model.enclosing_loops(read.call)
    if not loops or not isinstance(loops[0], ast.While):
        return None
    loop = loops[0]
    if _accepted_in_loop(model, read, loop):
        return None  # each pass reads a new connection and blocks in accept() first
    nodes = _walk_loop(loop)
    if any(
        isinstance(n, (ast.Yield, ast.YieldFrom))
        or (isinstance(n, ast.Await) and not _off_eof_path(model, read, loop, n))
        for n in nodes
    ):
        return None  # the consumer drives a generator; an event loop drives a coroutine
    if eof_value is None:
        eof_value = b"" if read.returns_bytes else 0
    wrapped, wrapped_value = _wrapped_read(model, read.call, eof_value)
    name, stmt = _result_binding(model, wrapped)
    facts = _LoopFacts(
        model,
        read,
        loop,
        name,
        eof_value,
        set(),
        set(),
        wrapped=wrapped,
        wrapped_value=wrapped_value,
    )
    _collect_names(facts, nodes)
    facts.ready_names = ready_at_eof(model, loop, read_stream(read)) - {name}

    outcomes = [_classify([_test_truth(facts)])]
    outcomes.extend(_classify(_guard_truths(facts, e)) for e in _exit_nodes(facts))
    if any(o is not Exit.NOT_AT_EOF for o in outcomes):
        return None
    if raises_every_pass(loop, lambda expr: _evaluated_from_read(facts, expr), model.call_qualname):
        return None  # a truncated input fails loudly (``a, b = b"".split(b" ", 1)``)
    return EofVerdict(
        loop,
        name,
        # ``if not data: break`` after ``data = recv(n).strip()`` would also leave on a blank
        # line: offer the fix only when the name holds the read itself.
        stmt
        if wrapped is read.call or (isinstance(wrapped, ast.Await) and wrapped.value is read.call)
        else None,
        not read.returns_bytes,
        facts.wrong_sentinel[0] if facts.wrong_sentinel else None,
        facts.bytes_compared_with_zero,
    )
