"""Non-blocking facts: which descriptors are non-blocking where, and what waits for readiness.

A descriptor is non-blocking after ``os.set_blocking(x, False)``, ``x.setblocking(False)``,
``x.settimeout(0)``, ``fcntl(x, F_SETFL, ... | O_NONBLOCK)``, or when it was created so
(``os.open(..., O_NONBLOCK)``, ``os.pipe2(O_NONBLOCK)``, ``socket.socket(..., SOCK_NONBLOCK)``).
Facts are keyed by *binding*: a name local to one function (or the module), an attribute
``self.x`` of one class, or a standard stream (``sys.stdin``) within one function. ``x`` and
``x.fileno()`` are the same descriptor.

Within one function the model is source-ordered: the last event before a call decides, and it
counts only when it dominates the call (it sits earlier in a statement list that contains the
call), so a ``setblocking(False)`` in one branch proves nothing about another. For ``self.x`` the
catalog's rule applies: non-blocking anywhere in the class, unless the class also makes it
blocking again, or the calling method itself changes it first.

The module also answers the questions that decide whether non-blocking I/O is driven by
readiness (a ``select``/``selectors``/``poll`` wait, a callback registered with a selector or
an event loop), and how an ``except`` clause treats one errno (its "path").
"""

from __future__ import annotations

import ast
import enum
import re
from dataclasses import dataclass, field
from functools import cached_property

from iolint.model.fd_aliases import aliased_attribute_descriptor, aliased_descriptor
from iolint.model.handlers import covering_handlers, handler_info
from iolint.model.io_calls import method_name, receiver_of
from iolint.model.kinds import call_arg, literal_int
from iolint.model.module import ModuleModel
from iolint.model.pep475 import constructor_of
from iolint.model.scopes import Scope, walk_local
from iolint.model.wrapped_args import argument_for, constructions, stored_params

STD_STREAMS = {
    "sys.stdin": "sys.stdin",
    "sys.stdout": "sys.stdout",
    "sys.stderr": "sys.stderr",
    "sys.__stdin__": "sys.stdin",
    "sys.__stdout__": "sys.stdout",
    "sys.__stderr__": "sys.stderr",
}
_NONBLOCK_FLAGS = ("os.O_NONBLOCK", "os.O_NDELAY")
# Methods that hand a descriptor to a readiness loop: I/O on it is driven by readiness.
REGISTER_METHODS = frozenset(
    {
        "register",
        "modify",
        "add_reader",
        "add_writer",
        "sock_recv",
        "sock_recv_into",
        "sock_recvfrom",
        "sock_recvfrom_into",
        "sock_sendall",
        "sock_sendto",
        "sock_sendfile",
        "sock_accept",
        "sock_connect",
        "connect_read_pipe",
        "connect_write_pipe",
    }
)
_WAIT_FUNCTIONS = frozenset(
    {
        "select.select",
        "time.sleep",
        "signal.pause",
        "signal.sigwaitinfo",
        "signal.sigtimedwait",
        "asyncio.sleep",
        "asyncio.wait",
        "asyncio.wait_for",
    }
)
_WAIT_METHODS = frozenset({"select", "poll", "wait", "wait_for", "sleep"})
_READINESS_FUNCTIONS = frozenset({"select.select", "asyncio.wait", "asyncio.wait_for"})
_READINESS_METHODS = frozenset({"select", "poll"})
_READINESS_NAME = re.compile(
    r"wait_?(for_?)?(read|writ|ready|io|fd|sock|event)|readable|writable|select|poll", re.I
)
# Methods an event loop in another module calls when a descriptor is ready (asyncore's
# ``handle_read``, ``_read_ready``, ``on_readable``, ``data_received``).
_CALLBACK_NAME = re.compile(
    r"^_*(handle|on|do)_?(read|write|accept|recv|send|input|output|event)|"
    r"_(read|write|accept)_?ready$|^_*(readable|writable)$|_received$",
    re.IGNORECASE,
)
# User helpers whose name says they wait (``self._wait_writable()``, ``wait_for_data()``).
_WAIT_NAME = re.compile(r"wait|sleep|select|poll|ready|idle|pause|backoff", re.IGNORECASE)


class State(enum.Enum):
    NONBLOCKING = "non-blocking"
    BLOCKING = "blocking"  # explicitly blocking again, or set to a value we cannot read
    RESET = "rebound"  # the binding now holds another object


@dataclass(frozen=True)
class Key:
    """One descriptor binding: ``kind`` is ``local`` (a name, or a dotted path from a local
    name, in ``owner`` = a function or module node), ``attr`` (``self.path`` in the class
    ``owner``), ``std`` (a standard stream, within the function ``owner``) or ``fd`` (a
    literal 0/1/2 within ``owner``)."""

    kind: str
    owner: ast.AST
    path: str


@dataclass(frozen=True)
class Event:
    node: ast.AST  # the call or the binding statement
    state: State
    function: ast.AST | None  # the function (or None at module level) it happens in
    via_fileno: bool = False  # the descriptor was named as ``x.fileno()``


def _pos(node: ast.AST) -> tuple[int, int]:
    return (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))


def _bool_literal(node: ast.expr | None) -> bool | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, (bool, int)):
        return bool(node.value)
    return None


def flag_state(model: ModuleModel, expr: ast.expr, flags: tuple[str, ...]) -> State | None:
    """Whether a flags expression sets one of ``flags`` (``a | O_NONBLOCK``), clears it
    (``a & ~O_NONBLOCK``), or does not mention it (None)."""
    for node in ast.walk(expr):
        if not isinstance(node, (ast.Name, ast.Attribute)):
            continue
        if model.qualname(node) not in flags:
            continue
        cleared = False
        for anc in model.ancestors(node):
            if isinstance(anc, ast.UnaryOp) and isinstance(anc.op, ast.Invert):
                cleared = True
            if anc is expr:
                break
        return State.BLOCKING if cleared else State.NONBLOCKING
    return None


def _creates_nonblocking(model: ModuleModel, value: ast.expr | None, index: int | None) -> bool:
    """``value`` (item ``index`` of it) is a descriptor created non-blocking."""
    if not isinstance(value, ast.Call):
        return False
    q = model.call_qualname(value)
    if q == "os.open" and index is None:
        flags = call_arg(value, 1, "flags")
        return flags is not None and flag_state(model, flags, _NONBLOCK_FLAGS) is State.NONBLOCKING
    if q == "os.pipe2" and index in (0, 1):
        flags = call_arg(value, 0, "flags")
        return flags is not None and flag_state(model, flags, _NONBLOCK_FLAGS) is State.NONBLOCKING
    if (q == "socket.socket" and index is None) or (q == "socket.socketpair" and index in (0, 1)):
        kind = call_arg(value, 1, "type")
        return (
            kind is not None
            and flag_state(model, kind, ("socket.SOCK_NONBLOCK",)) is State.NONBLOCKING
        )
    return False


def _self_class(model: ModuleModel, name: ast.Name) -> ast.ClassDef | None:
    """The class when ``name`` is the ``self`` parameter of one of its methods."""
    func = model.enclosing_function(name)
    if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    cls = model.parent(func)
    if not isinstance(cls, ast.ClassDef):
        return None
    for d in func.decorator_list:
        if isinstance(d, ast.Name) and d.id in ("staticmethod", "classmethod"):
            return None
    positional = [*func.args.posonlyargs, *func.args.args]
    if not positional or positional[0].arg != name.id:
        return None
    if model.scope_of(name).lookup_scope(name.id) is not model.scope_of(name):
        return None
    return cls


def _unwrap(model: ModuleModel, expr: ast.expr) -> tuple[ast.expr, bool]:
    """``x.fileno()`` -> (x, True); ``sys.stdin.buffer`` -> ``sys.stdin``."""
    via_fileno = False
    while True:
        if (
            isinstance(expr, ast.Call)
            and method_name(expr) == "fileno"
            and not expr.args
            and not expr.keywords
        ):
            expr = receiver_of(expr)  # type: ignore[assignment]
            via_fileno = True
            continue
        if isinstance(expr, ast.Attribute) and expr.attr in ("buffer", "raw"):
            inner = model.qualname(expr.value)
            if inner in STD_STREAMS:
                expr = expr.value
                continue
        return expr, via_fileno


def _class_of(model: ModuleModel, node: ast.AST) -> ast.ClassDef | None:
    return next((a for a in model.ancestors(node) if isinstance(a, ast.ClassDef)), None)


def _scope_owner(model: ModuleModel, node: ast.AST) -> ast.AST:
    scope = model.scope_of(node)
    return scope.node


def key_of(model: ModuleModel, expr: ast.expr) -> Key | None:
    """The binding whose descriptor ``expr`` denotes, or None when it is not trackable."""
    expr, _ = _unwrap(model, expr)
    owner = _scope_owner(model, expr)
    if isinstance(owner, ast.ClassDef):
        return None
    value = literal_int(expr)
    if value in (0, 1, 2):
        return Key("fd", owner, str(value))
    if isinstance(expr, (ast.Name, ast.Attribute)):
        q = model.qualname(expr)
        if q in STD_STREAMS:
            return Key("std", owner, STD_STREAMS[q])
        if q is not None:
            return None
    parts: list[str] = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if len(parts) > 3:
        return None
    parts.reverse()
    if isinstance(expr, ast.Subscript):
        # ``self._procs[name].stdout``: any value of a container the class holds.
        held = _held_container(model, expr)
        return Key("attr", held[0], ".".join([held[1], *parts])) if held else None
    if not isinstance(expr, ast.Name):
        return None
    alias = _container_alias(model, expr)
    if alias is not None:
        # ``proc = self._procs[name]``, then ``proc.stdout``: the object from the container.
        return Key("attr", alias[0], ".".join([alias[1], *parts]))
    if parts:
        cls = _self_class(model, expr)
        if cls is not None:
            return Key("attr", cls, ".".join(parts))
    scope = model.scope_of(expr)
    if scope.lookup_scope(expr.id) is not scope or expr.id in scope.declared_global:
        return None
    return Key("local", owner, ".".join([expr.id, *parts]))


def _held_container(model: ModuleModel, expr: ast.Subscript) -> tuple[ast.ClassDef, str] | None:
    """(the class, ``"<attr>[]"``) when ``expr`` is ``self.<attr>[<any key>]``: the values of
    a container held by the class, taken as one object whatever the key (the state that one
    of them gets in one method, every value read elsewhere has: they are made the same way)."""
    container = expr.value
    if not (isinstance(container, ast.Attribute) and isinstance(container.value, ast.Name)):
        return None
    cls = _self_class(model, container.value)
    return (cls, f"{container.attr}[]") if cls is not None else None


def _container_alias(model: ModuleModel, name: ast.Name) -> tuple[ast.ClassDef, str] | None:
    """A local name whose every binding in its function is ``name = self.<attr>[key]``."""
    scope = model.scope_of(name)
    if scope.lookup_scope(name.id) is not scope or not scope.is_function:
        return None
    bindings = scope.bindings.get(name.id, [])
    found: set[tuple[int, str]] = set()
    result: tuple[ast.ClassDef, str] | None = None
    for b in bindings:
        if b.kind != "assign" or b.index is not None or not isinstance(b.value, ast.Subscript):
            return None
        held = _held_container(model, b.value)
        if held is None:
            return None
        found.add((id(held[0]), held[1]))
        result = held
    return result if len(found) == 1 else None


def _stored_into_containers(model: ModuleModel, key: Key | None, after: ast.AST) -> list[Key]:
    """Keys ``self.<attr>[]`` of the containers that local ``key`` is stored into
    (``self.<attr>[k] = name``) later in the same function."""
    if key is None or key.kind != "local" or "." in key.path or isinstance(key.owner, ast.Module):
        return []
    found: list[Key] = []
    for node in walk_local(getattr(key.owner, "body", [])):
        if not (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Name)
            and node.value.id == key.path
            and _pos(node) > _pos(after)
        ):
            continue
        for target in node.targets:
            if isinstance(target, ast.Subscript):
                held = _held_container(model, target)
                if held is not None:
                    found.append(Key("attr", held[0], held[1]))
    return found


def _blocking_argument(node: ast.expr | None, timeout: bool) -> State:
    """The state set by ``setblocking(node)`` (or ``settimeout(node)`` when ``timeout``)."""
    if timeout:
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, (int, float))
            and not isinstance(node.value, bool)
        ):
            return State.NONBLOCKING if node.value == 0 else State.BLOCKING
        return State.BLOCKING
    flag = _bool_literal(node)
    if flag is None:
        return State.BLOCKING  # unknown: not provably non-blocking
    return State.BLOCKING if flag else State.NONBLOCKING


def _fcntl_state(model: ModuleModel, call: ast.Call) -> State | None:
    cmd = call_arg(call, 1)
    arg = call_arg(call, 2)
    if cmd is None or model.qualname(cmd) != "fcntl.F_SETFL" or arg is None:
        return None
    state = flag_state(model, arg, _NONBLOCK_FLAGS)
    if state is not None:
        return state
    if isinstance(arg, ast.Name):
        # flags = fcntl(fd, F_GETFL); flags |= os.O_NONBLOCK; fcntl(fd, F_SETFL, flags)
        states = set()
        for b in model.bindings_of(arg.id, arg) or ():
            if b.value is not None:
                s = flag_state(model, b.value, _NONBLOCK_FLAGS)
                if s is not None:
                    states.add(s)
        if len(states) == 1:
            return states.pop()
    return State.BLOCKING


@dataclass
class NonblockingFacts:
    model: ModuleModel
    events: dict[Key, list[Event]] = field(default_factory=dict)
    registered: set[Key] = field(default_factory=set)
    callbacks: set[str] = field(default_factory=set)
    _cache: dict[Key, list[Event]] = field(default_factory=dict)

    # ------------------------------------------------------------------ building
    def _add(self, key: Key | None, event: Event) -> None:
        if key is not None:
            self.events.setdefault(key, []).append(event)

    def _collect(self) -> None:
        model = self.model
        for call in model.calls_named("setblocking", "settimeout", "set_blocking", "fcntl"):
            q = model.call_qualname(call)
            func = model.enclosing_function(call)
            target: ast.expr | None = None
            state: State | None = None
            if q == "os.set_blocking":
                target = call_arg(call, 0)
                state = _blocking_argument(call_arg(call, 1, "blocking"), timeout=False)
            elif q == "fcntl.fcntl":
                target = call_arg(call, 0)
                state = _fcntl_state(model, call)
            elif (
                q is None
                and method_name(call) in ("setblocking", "settimeout")
                and len(call.args) == 1
            ):
                target = receiver_of(call)
                state = _blocking_argument(call.args[0], timeout=method_name(call) == "settimeout")
            if target is None or state is None:
                continue
            _, via_fileno = _unwrap(model, target)
            key = key_of(model, target)
            self._add(key, Event(call, state, func, via_fileno))
            alias = aliased_descriptor(model, target, call)
            if alias is not None:
                # ``fd = self.proc.stdout.fileno()``, then ``fcntl(fd, F_SETFL, ...)``.
                self._add(key_of(model, alias), Event(call, state, func, True))
            std_alias = aliased_attribute_descriptor(model, target)
            held = key_of(model, std_alias) if std_alias is not None else None
            cls = _class_of(model, call)
            if held is not None and held.kind == "std" and cls is not None:
                # ``self.fd = sys.stdin.fileno()``, then ``fcntl(self.fd, ...)``: the stream's
                # state for every method of the class, as for ``self.<attr>``.
                self._add(Key("std", cls, held.path), Event(call, state, func, True))
            for held in _stored_into_containers(model, key, call):
                # ``sock.setblocking(False)`` then ``self.socks[k] = sock``: every value of
                # that container has the state, as for pipes kept in ``self._procs[k]``.
                self._add(held, Event(call, state, func, via_fileno))
        self._collect_wrapped()
        for call in model.calls:
            name = method_name(call)
            if name in REGISTER_METHODS and call.args:
                key = key_of(model, call.args[0])
                if key is not None:
                    self.registered.add(key)
                for arg in (*call.args[1:], *(k.value for k in call.keywords)):
                    if isinstance(arg, ast.Name):
                        self.callbacks.add(arg.id)
                    elif isinstance(arg, ast.Attribute):
                        self.callbacks.add(arg.attr)
            for kw in call.keywords:
                if kw.arg == "sock":
                    key = key_of(model, kw.value)
                    if key is not None:
                        self.registered.add(key)

    def _collect_wrapped(self) -> None:
        """A class that only ever makes ``self.<attr>`` non-blocking, where ``__init__`` stored
        its argument as ``self.<attr>``, makes the object passed at ``Cls(obj)`` non-blocking
        (a buffered wrapper calling ``self.socket.setblocking(0)`` on the caller's socket)."""
        model = self.model
        for key, events in list(self.events.items()):
            if key.kind != "attr" or not isinstance(key.owner, ast.ClassDef):
                continue
            if not events or any(e.state is not State.NONBLOCKING for e in events):
                continue
            for param in stored_params(key.owner):
                if param.attr != key.path:
                    continue
                for call in constructions(model, key.owner):
                    arg = argument_for(call, param)
                    if arg is not None:
                        event = Event(call, State.NONBLOCKING, model.enclosing_function(call))
                        self._add(key_of(model, arg), event)

    def _binding_events(self, key: Key) -> list[Event]:
        """Creation and rebinding of the descriptor's binding, as events."""
        model = self.model
        root, _, rest = key.path.partition(".")
        out: list[Event] = []
        if key.kind == "local":
            scope = self._scopes.get(key.owner)
            for b in scope.bindings.get(root, ()) if scope is not None else ():
                nb = not rest and _creates_nonblocking(model, b.value, b.index)
                func = key.owner if not isinstance(key.owner, ast.Module) else None
                # ``with ... as x`` binds before its body runs: the event is the context
                # expression, which the statement's body follows.
                where = b.value if b.kind == "with" and b.value is not None else b.node
                node = where if b.kind == "with" else (model.statement_of(b.node) or b.node)
                out.append(Event(node, State.NONBLOCKING if nb else State.RESET, func))
        elif key.kind == "attr" and isinstance(key.owner, ast.ClassDef):
            for b in model.class_attributes(key.owner).get(root, ()):
                nb = not rest and _creates_nonblocking(model, b.value, b.index)
                out.append(
                    Event(
                        b.node,
                        State.NONBLOCKING if nb else State.RESET,
                        model.enclosing_function(b.node),
                    )
                )
        return out

    def _events(self, key: Key) -> list[Event]:
        """Every event of ``key`` in source order."""
        cache = self._cache
        if key not in cache:
            cache[key] = sorted(
                [*self.events.get(key, ()), *self._binding_events(key)], key=lambda e: _pos(e.node)
            )
        return cache[key]

    @cached_property
    def _scopes(self) -> dict[ast.AST, Scope]:
        return {s.node: s for s in self.model.module_scope.iter_descendants()}

    # ------------------------------------------------------------------ queries
    def is_nonblocking(self, expr: ast.expr, at: ast.AST) -> bool:
        """Whether the descriptor ``expr`` is provably non-blocking at ``at``."""
        key = key_of(self.model, expr)
        return key is not None and self.key_is_nonblocking(key, at)

    def key_is_nonblocking(self, key: Key, at: ast.AST) -> bool:
        events = self._events(key)
        if key.kind == "std" and not events and not isinstance(key.owner, ast.ClassDef):
            # Set through a class attribute that holds the stream's descriptor.
            cls = _class_of(self.model, at)
            return cls is not None and self.key_is_nonblocking(Key("std", cls, key.path), at)
        if not any(e.state is State.NONBLOCKING for e in events):
            return False
        if key.kind not in ("attr", "std") or not isinstance(key.owner, ast.ClassDef):
            return self._ordered(events, at)
        func = self.model.enclosing_function(at)
        own = [e for e in events if e.function is func and func is not None]
        if own:
            return self._ordered(own, at)
        # Test methods each start from a fresh fixture: one test making the attribute
        # non-blocking says nothing about the others.
        sources = [e for e in events if not _is_test_method(e.function)]
        return any(e.state is State.NONBLOCKING for e in sources) and not any(
            e.state is State.BLOCKING for e in events
        )

    def nonblocking_via_fileno(self, key: Key) -> bool:
        """Some event named the descriptor as ``x.fileno()``: ``x`` is an object with a
        descriptor (a file object, not a bare fd number)."""
        return any(e.via_fileno for e in self._events(key))

    def _ordered(self, events: list[Event], at: ast.AST) -> bool:
        before = [e for e in events if _pos(e.node) < _pos(at) and not _contains(e.node, at)]
        if not before:
            return False
        latest = before[-1]
        return latest.state is State.NONBLOCKING and dominates(self.model, latest.node, at)

    def is_registered(self, expr: ast.expr) -> bool:
        key = key_of(self.model, expr)
        return key is not None and key in self.registered

    # ------------------------------------------------------------------ readiness
    def readiness_driven(self, func: ast.AST | None) -> bool:
        """Code that only runs when the descriptor is ready, or under an event loop: an
        ``async def``, a function that waits for readiness (``select``, ``sel.select()``,
        ``poll``), or a callback handed to a selector or loop. Sleeping is not readiness."""
        if func is None:
            return self.function_waits(self.model.tree, readiness=True)
        if isinstance(func, ast.AsyncFunctionDef):
            return True
        for anc in self.model.ancestors(func):
            if isinstance(anc, ast.AsyncFunctionDef):
                return True
        name = getattr(func, "name", None)
        if name is not None and (name in self.callbacks or _CALLBACK_NAME.search(name)):
            return True
        return self.function_waits(func, readiness=True)

    def reads_past_readiness(self, read: ast.AST) -> bool:
        """``read`` repeats in a loop that does not wait for readiness itself: a ``select``
        before the loop covers its first pass only, the next ones read whatever is there,
        which is nothing once the data is drained."""
        loops = self.model.enclosing_loops(read)
        if not loops or not isinstance(loops[0], (ast.While, ast.For)):
            return False
        loop = loops[0]
        return not any(
            self.is_wait(n, readiness=True)
            for n in walk_local(
                [loop.test if isinstance(loop, ast.While) else loop.iter, *loop.body]
            )
        )

    def function_waits(self, func: ast.AST, *, readiness: bool = False) -> bool:
        return self._waits(func, 0, readiness)

    def _waits(self, func: ast.AST, depth: int, readiness: bool) -> bool:
        body = getattr(func, "body", [])
        nodes = body if isinstance(body, list) else [body]
        return any(self.is_wait(n, depth, readiness=readiness) for n in walk_local(nodes))

    def is_wait(self, node: ast.AST, depth: int = 0, *, readiness: bool = False) -> bool:
        """A node that waits: an ``await``, ``select.select``, ``sel.select()``, ``poll()``,
        a helper whose name says it waits for I/O, a module function whose body waits; unless
        ``readiness`` is asked for, also ``time.sleep``, ``Event.wait``, ``queue.get(timeout=)``
        and helpers named after sleeping or backing off."""
        model = self.model
        if isinstance(node, (ast.Await, ast.AsyncFor, ast.AsyncWith)):
            return True
        if not isinstance(node, ast.Call):
            return False
        q = model.call_qualname(node)
        if q is not None:
            return q in (_READINESS_FUNCTIONS if readiness else _WAIT_FUNCTIONS)
        name = method_name(node)
        if name is None and isinstance(node.func, ast.Name):
            name = node.func.id
        if name is None:
            return False
        if name == "poll" and (_returncode_test(model, node) or _popen_poll(model, node)):
            return False  # ``proc.poll() is None``: a subprocess's exit status, no wait
        if name in (_READINESS_METHODS if readiness else _WAIT_METHODS):
            return True
        receiver = receiver_of(node)
        if (
            name == "control"
            and receiver is not None
            and constructor_of(model, receiver) == "select.kqueue"
        ):
            return True
        if (
            not readiness
            and name in ("get", "put")
            and any(k.arg in ("timeout", "block") for k in node.keywords)
        ):
            return True
        if (_READINESS_NAME if readiness else _WAIT_NAME).search(name):
            return True
        if depth < 2:
            for target in self._functions_named(name):
                if self._waits(target, depth + 1, readiness):
                    return True
        return False

    def _functions_named(self, name: str) -> list[ast.AST]:
        return self._function_table.get(name, [])

    @cached_property
    def _function_table(self) -> dict[str, list[ast.AST]]:
        table: dict[str, list[ast.AST]] = {}
        # From the model's node index, not another walk of the whole tree (whether a function
        # waits does not depend on the order of same-named functions: any of them may).
        functions: list[ast.FunctionDef | ast.AsyncFunctionDef] = [
            *self.model.nodes(ast.FunctionDef),
            *self.model.nodes(ast.AsyncFunctionDef),
        ]
        for node in functions:
            table.setdefault(node.name, []).append(node)
        return table

    def handled_by_callers(self, func: ast.AST | None, exception: str = "BlockingIOError") -> bool:
        """Every call of ``func`` in this module (there is at least one) sits in a ``try`` that
        catches ``exception`` and does not re-raise it: one caller that lets it through (or
        catches it only to log and ``raise`` again) still crashes on it."""
        name = getattr(func, "name", None)
        if name is None:
            return False
        calls = [
            c
            for c in self.model.calls_named(name)
            if not (c is func or _contains(func, c))  # type: ignore[arg-type]
        ]
        return bool(calls) and all(
            any(
                (h.unresolved or h.catches(exception)) and not _reraises(h.handler)
                for h in covering_handlers(self.model, call)
            )
            for call in calls
        )


def _reraises(handler: ast.ExceptHandler) -> bool:
    """The handler's body ends with a bare ``raise``: the caught error propagates."""
    body = [s for s in handler.body if not isinstance(s, ast.Pass)]
    return bool(body) and isinstance(body[-1], ast.Raise) and body[-1].exc is None


def _is_test_method(func: ast.AST | None) -> bool:
    return isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)) and func.name.startswith(
        "test"
    )


def nonblocking_facts(model: ModuleModel) -> NonblockingFacts:
    """The non-blocking facts of a module (use with ``model.fact(nonblocking_facts)``)."""
    facts = NonblockingFacts(model)
    facts._collect()
    return facts


def _contains(container: ast.AST, node: ast.AST) -> bool:
    return any(n is node for n in ast.walk(container))


def dominates(model: ModuleModel, event: ast.AST, at: ast.AST) -> bool:
    """``event``'s statement runs before ``at`` whenever ``at`` runs: it sits earlier in a
    statement list that contains ``at`` (or ``at`` is in the body of the ``with`` it heads)."""
    stmt = model.statement_of(event)
    if stmt is None:
        return False
    if isinstance(stmt, (ast.With, ast.AsyncWith)) and any(_contains(s, at) for s in stmt.body):
        return True
    stmt = posix_guarded(model, stmt)
    parent = model.parent(stmt)
    if parent is None:
        return False
    for _, value in ast.iter_fields(parent):
        if isinstance(value, list) and any(s is stmt for s in value):
            index = next(i for i, s in enumerate(value) if s is stmt)
            return any(s is at or _contains(s, at) for s in value[index + 1 :])
    return False


def posix_guarded(model: ModuleModel, stmt: ast.stmt) -> ast.stmt:
    """The ``if`` around ``stmt`` when its test holds on every POSIX system (``if os.name ==
    "posix":``), repeatedly: the flag and descriptor calls made there (``fcntl``) exist only
    on POSIX, so wherever they run at all the guarded statement runs as if unguarded."""
    from iolint.model.durability import POSIX, platform_test

    while True:
        parent = model.parent(stmt)
        if not (isinstance(parent, ast.If) and any(s is stmt for s in parent.body)):
            return stmt
        true, false = platform_test(model, parent.test)
        if not (true >= POSIX and not (POSIX & false)):
            return stmt
        stmt = parent


# ----------------------------------------------------------------------------- handlers


def _is_errno_access(node: ast.expr, exc_name: str | None) -> bool:
    if isinstance(node, ast.Attribute) and node.attr == "errno":
        return (
            exc_name is not None and isinstance(node.value, ast.Name) and node.value.id == exc_name
        )
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "args"
    ):
        return (
            exc_name is not None
            and isinstance(node.value.value, ast.Name)
            and node.value.value.id == exc_name
            and literal_int(node.slice) == 0
        )
    return False


def _errno_constants(model: ModuleModel, node: ast.expr) -> frozenset[str] | None:
    items = node.elts if isinstance(node, (ast.Tuple, ast.List, ast.Set)) else [node]
    names: set[str] = set()
    for item in items:
        q = model.qualname(item) if isinstance(item, (ast.Name, ast.Attribute)) else None
        if q is None or not q.startswith("errno.") or q.count(".") != 1:
            return None
        names.add(q.split(".", 1)[1])
    return frozenset(names)


def errno_test(
    model: ModuleModel, test: ast.expr, exc_name: str | None
) -> tuple[frozenset[str], bool] | None:
    """``e.errno == errno.EINTR`` -> ({"EINTR"}, True); ``e.errno not in (EAGAIN, ...)`` ->
    ({"EAGAIN", ...}, False); ``or`` of equalities and ``and`` of inequalities combine."""
    if isinstance(test, ast.BoolOp):
        parts = [errno_test(model, v, exc_name) for v in test.values]
        if any(p is None for p in parts):
            return None
        want = isinstance(test.op, ast.Or)
        if any(p[1] is not want for p in parts):  # type: ignore[index]
            return None
        return frozenset().union(*(p[0] for p in parts)), want  # type: ignore[index]
    if not isinstance(test, ast.Compare) or len(test.ops) != 1:
        return None
    left, op, right = test.left, test.ops[0], test.comparators[0]
    if _is_errno_access(right, exc_name) and isinstance(op, (ast.Eq, ast.NotEq)):
        left, right = right, left
    if not _is_errno_access(left, exc_name):
        return None
    names = _errno_constants(model, right)
    if not names:
        return None
    if isinstance(op, (ast.Eq, ast.In)):
        return names, True
    if isinstance(op, (ast.NotEq, ast.NotIn)):
        return names, False
    return None


def _jumps(stmts: list[ast.stmt]) -> bool:
    return bool(stmts) and isinstance(stmts[-1], (ast.Continue, ast.Break, ast.Return, ast.Raise))


@dataclass(frozen=True)
class ErrnoPath:
    """What an ``except`` clause does for one error.

    ``statements`` run for it (in order); ``branch`` is the ``if`` testing errno (None when the
    handler catches the exception class itself); ``other`` is what runs for every other errno
    (only for errno branches); ``errnos`` are the errno names the branch tests; ``mixed`` is
    True when the clause also catches other exception classes or tests other errnos."""

    handler: ast.ExceptHandler
    statements: list[ast.stmt]
    branch: ast.If | None
    other: list[ast.stmt]
    errnos: frozenset[str]
    mixed: bool


def errno_path(
    model: ModuleModel,
    handler: ast.ExceptHandler,
    exception: str,
    errnos: frozenset[str],
) -> ErrnoPath | None:
    """How ``handler`` treats ``exception`` (e.g. InterruptedError), which is the OSError with
    one of ``errnos``: by catching the class itself, or by catching a parent and testing
    ``e.errno`` against those names in its first statement. None when it does neither."""
    try_node = model.parent(handler)
    if not isinstance(try_node, ast.Try):
        return None
    info = handler_info(model, handler, try_node)
    if info.unresolved or info.caught is None:
        return None
    if exception in info.caught:
        return ErrnoPath(handler, list(handler.body), None, [], errnos, len(info.caught) > 1)
    if not info.catches(exception) or not handler.body or not isinstance(handler.body[0], ast.If):
        return None
    branch = handler.body[0]
    found = errno_test(model, branch.test, handler.name)
    if found is None:
        return None
    names, positive = found
    if not names & errnos:
        return None
    rest = handler.body[1:]
    if positive:
        taken = list(branch.body) + ([] if _jumps(branch.body) else rest)
        other = list(branch.orelse) + ([] if _jumps(branch.orelse) else rest)
    else:
        taken = list(branch.orelse) + ([] if _jumps(branch.orelse) else rest)
        other = list(branch.body) + ([] if _jumps(branch.body) else rest)
    mixed = not names <= errnos or (len(info.caught) > 1 and not info.caught <= {"OSError"})
    return ErrnoPath(handler, taken, branch, other, names, mixed)


def leaves_loop(stmts: list[ast.stmt]) -> bool:
    """The statements break, return or raise (anywhere, outside nested loops for break)."""
    for node in walk_local(stmts):
        if isinstance(node, (ast.Return, ast.Raise)):
            return True
        if isinstance(node, ast.Break) and not _in_inner_loop(stmts, node):
            return True
    return False


def _in_inner_loop(stmts: list[ast.stmt], target: ast.AST) -> bool:
    for node in walk_local(stmts):
        if isinstance(node, (ast.For, ast.While, ast.AsyncFor)) and node is not target:
            if any(n is target for n in walk_local(node.body)):
                return True
    return False


def only_retries(stmts: list[ast.stmt]) -> bool:
    """``pass``/``continue`` only (an empty list falls through)."""
    return all(isinstance(s, (ast.Pass, ast.Continue)) for s in stmts)


EAGAIN_ERRNOS = frozenset({"EAGAIN", "EWOULDBLOCK"})
EINTR_ERRNOS = frozenset({"EINTR"})


__all__ = [
    "EAGAIN_ERRNOS",
    "EINTR_ERRNOS",
    "ErrnoPath",
    "Event",
    "Key",
    "NonblockingFacts",
    "State",
    "dominates",
    "errno_path",
    "errno_test",
    "flag_state",
    "key_of",
    "leaves_loop",
    "nonblocking_facts",
    "only_retries",
]


def _returncode_test(model: ModuleModel, call: ast.Call) -> bool:
    """``x.poll() is None`` / ``is not None`` with no argument: ``Popen.poll()`` returns the
    exit status or None at once; a ``select.poll`` object's ``poll()`` returns a list."""
    parent = model.parent(call)
    return (
        not call.args
        and isinstance(parent, ast.Compare)
        and all(isinstance(op, (ast.Is, ast.IsNot)) for op in parent.ops)
        and any(
            isinstance(c, ast.Constant) and c.value is None
            for c in [parent.left, *parent.comparators]
        )
    )


def _popen_poll(model: ModuleModel, call: ast.Call) -> bool:
    """``proc.poll()`` on a ``subprocess.Popen`` (every binding of ``proc`` agrees): it returns
    the exit status or None at once and waits for nothing, however its result is tested."""
    receiver = receiver_of(call)
    return receiver is not None and constructor_of(model, receiver) == "subprocess.Popen"


def tests_liveness(model: ModuleModel, stmts: list[ast.stmt]) -> bool:
    """``stmts`` ask whether the child process is still there (``proc.poll() is None``,
    ``proc.returncode``) before concluding anything from an empty read."""
    for node in walk_local(stmts):
        if (
            isinstance(node, ast.Call)
            and method_name(node) == "poll"
            and _returncode_test(model, node)
        ):
            return True
        if isinstance(node, ast.Attribute) and node.attr == "returncode":
            return True
    return False
