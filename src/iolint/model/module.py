"""ModuleModel: the facts about one module that rules query."""

from __future__ import annotations

import ast
import builtins
from collections import deque
from collections.abc import Iterator
from functools import cached_property
from typing import Callable, TypeVar, cast

from iolint.diagnostics import Position
from iolint.model.addrinfo import addrinfo_type
from iolint.model.constructions import constructor_parameter_kind
from iolint.model.index import ProjectFacts, absolute_module
from iolint.model.kinds import (
    FD,
    FD_FACTORIES,
    FD_TUPLES,
    FILE_FACTORIES,
    SOCKET,
    SOCKET_ANNOTATIONS,
    SOCKET_FACTORIES,
    SOCKET_TUPLES,
    TEMP_FILE_FACTORIES,
    Category,
    ObjKind,
    call_arg,
    file_kind,
    literal_int,
)
from iolint.model.library import (
    DATAGRAM_HANDLERS,
    HANDLER_SOCKET_ATTRIBUTES,
    SOCKET_OF_OBJECT,
    STREAM_READER_TUPLES,
    STREAM_READER_TYPES,
    STREAM_SOCKET_FACTORIES,
    STREAM_SOCKET_FACTORY_METHODS,
)
from iolint.model.scopes import (
    FUNCTION_NODES,
    Binding,
    Scope,
    ScopeIndex,
    build_index,
    dotted_name,
    walk_local,
)
from iolint.model.source import SourceText
from iolint.model.unread import unread_after

_BUILTIN_NAMES = frozenset(dir(builtins))
T = TypeVar("T")
N = TypeVar("N", bound=ast.AST)
_LOOPS = (ast.For, ast.AsyncFor, ast.While)


def _pos_key(node: ast.AST) -> tuple[int, int]:
    return (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))


class ModuleModel:
    """Semantic facts of one module, computed once and shared by every rule."""

    def __init__(
        self,
        tree: ast.Module,
        source: SourceText,
        path: str = "<stdin>",
        *,
        module: str | None = None,
        is_package: bool = False,
        project: ProjectFacts | None = None,
        scopes: ScopeIndex | None = None,
    ) -> None:
        self.tree = tree
        self.source = source
        self.path = path
        # The module's dotted name and the facts of the project modules it imports
        # (model/index.py); without them the model knows this module only.
        self.module = module or "__main__"
        self.is_package = is_package
        self.project = project
        self._returns_in_progress: set[int] = set()
        self._kinds: dict[ast.AST, ObjKind | None] = {}
        # ``scopes``: the index another model built from this very tree (it is read-only).
        index = scopes if scopes is not None else build_index(tree)
        self.scopes = index
        self.module_scope = index.module_scope
        self._scope_of = index.scope_of_node
        self.parents = index.parents
        self.calls = index.calls
        self._calls_by_name = index.calls_by_name
        self._facts: dict[Callable[[ModuleModel], object], object] = {}
        self._class_attributes: dict[ast.ClassDef, dict[str, list[Binding]]] = {}
        self._by_type = index.by_type

    def fact(self, factory: Callable[[ModuleModel], T]) -> T:
        """A derived fact, computed by ``factory(model)`` once per module and shared by every
        rule that asks for it (the extension point for family-specific facts)."""
        if factory not in self._facts:
            self._facts[factory] = factory(self)
        return self._facts[factory]  # type: ignore[return-value]

    # ----------------------------------------------------------------- positions
    def start(self, node: ast.AST) -> Position:
        line = getattr(node, "lineno", 1)
        return Position(line, self.source.char_column(line, getattr(node, "col_offset", 0)))

    def end(self, node: ast.AST) -> Position:
        line = cast(int, getattr(node, "end_lineno", None) or getattr(node, "lineno", 1))
        col: int | None = getattr(node, "end_col_offset", None)
        if col is None:
            return self.start(node)
        return Position(line, self.source.char_column(line, col))

    def text_of(self, node: ast.AST) -> str:
        return self.source.text[
            self.source.offset(self.start(node)) : self.source.offset(self.end(node))
        ]

    # ----------------------------------------------------------------- structure
    def calls_named(self, *names: str) -> Iterator[ast.Call]:
        """Calls whose callee is a name or attribute spelled like one of ``names``, or a name
        imported under an alias of one (``from os import write as w``)."""
        for n in names:
            yield from self._calls_by_name.get(n, ())
            for alias in self._import_aliases.get(n, ()):
                yield from self._calls_by_name.get(alias, ())

    @cached_property
    def _import_aliases(self) -> dict[str, set[str]]:
        aliases: dict[str, set[str]] = {}
        for scope in self.module_scope.iter_descendants():
            for name, bindings in scope.bindings.items():
                for b in bindings:
                    if b.kind == "import" and b.qualname:
                        leaf = b.qualname.rsplit(".", 1)[-1]
                        if leaf != name:
                            aliases.setdefault(leaf, set()).add(name)
        return aliases

    def nodes(self, *types: type[N]) -> list[N]:
        """Every node of the given exact types (``model.nodes(ast.Compare)``), from the index
        the model already built: much cheaper than another ``ast.walk(model.tree)``. Nodes
        come in the index's visiting order, not source order; operator and context nodes
        (``ast.Add``, ``ast.Load``) are not indexed."""
        out: list[N] = []
        for t in types:
            out.extend(self._by_type.get(t, ()))  # type: ignore[arg-type]
        return out

    def scope_of(self, node: ast.AST) -> Scope:
        scope = self._scope_of.get(node)
        if scope is not None:
            return scope
        for anc in self.ancestors(node):
            if anc in self._scope_of:
                return self._scope_of[anc]
        return self.module_scope

    def parent(self, node: ast.AST) -> ast.AST | None:
        return self.parents.get(node)

    def ancestors(self, node: ast.AST) -> Iterator[ast.AST]:
        cur = self.parents.get(node)
        while cur is not None:
            yield cur
            cur = self.parents.get(cur)

    def enclosing_function(self, node: ast.AST) -> ast.AST | None:
        for anc in self.ancestors(node):
            if isinstance(anc, FUNCTION_NODES):
                return anc
        return None

    def statement_of(self, node: ast.AST) -> ast.stmt | None:
        if isinstance(node, ast.stmt):
            return node
        for anc in self.ancestors(node):
            if isinstance(anc, ast.stmt):
                return anc
        return None

    def enclosing_loops(self, node: ast.AST) -> list[ast.stmt]:
        """Loops around ``node`` (innermost first) whose body contains it, within its function.

        A node in a loop's ``else`` clause or in a ``for`` loop's iterable is not in the loop.
        """
        out: list[ast.stmt] = []
        child = node
        for anc in self.ancestors(node):
            if isinstance(anc, (*FUNCTION_NODES, ast.ClassDef)):
                break
            if (isinstance(anc, _LOOPS) and _in_list(child, anc.body)) or (
                isinstance(anc, ast.While) and child is anc.test
            ):
                out.append(anc)
            child = anc
        return out

    def enclosing_trys(self, node: ast.AST) -> list[ast.Try]:
        """``try`` statements (innermost first) whose *body* contains ``node``."""
        out: list[ast.Try] = []
        child = node
        for anc in self.ancestors(node):
            if isinstance(anc, (*FUNCTION_NODES, ast.ClassDef)):
                break
            if isinstance(anc, ast.Try) and _in_list(child, anc.body):
                out.append(anc)
            child = anc
        return out

    def is_discarded(self, call: ast.Call) -> bool:
        """The value of ``call`` is dropped: an expression statement, or bound to a name that
        is never read (``_`` counts as deliberately used)."""
        parent = self.parents.get(call)
        if isinstance(parent, ast.Await):
            call_expr: ast.AST = parent
            parent = self.parents.get(parent)
        else:
            call_expr = call
        if isinstance(parent, ast.Expr):
            return True
        if (
            isinstance(parent, ast.Assign)
            and parent.value is call_expr
            and len(parent.targets) == 1
        ):
            target = parent.targets[0]
            if isinstance(target, ast.Name) and target.id != "_":
                scope = self.scope_of(parent)
                if not scope.is_function or target.id in scope.declared_global:
                    return False
                if not scope.is_read(target.id) and "locals" not in scope.loads:
                    return True
                return self._only_logged(target.id, parent) or self._unread_here(target.id, parent)
        if (
            isinstance(parent, ast.AugAssign)
            and parent.value is call_expr
            and isinstance(parent.op, ast.Add)
            and isinstance(parent.target, ast.Name)
        ):
            return self._summed_without_resend(call, parent.target.id, parent)
        return False

    def _only_logged(self, name: str, binding: ast.stmt) -> bool:
        """A count bound to ``name`` whose every later read is an argument of a logging call:
        nobody acts on a short count. Only in straight-line
        code: in a loop an earlier read may see it on the next round, and a nested function
        may read it at any time."""
        scope = self.scope_of(binding)
        if self.enclosing_loops(binding) or any(
            name in child.loads for child in scope.iter_descendants() if child is not scope
        ):
            return False
        uses = self.uses_after(name, binding)
        return bool(uses) and all(self._in_logging_call(use) for use in uses)

    def _unread_here(self, name: str, binding: ast.stmt) -> bool:
        """This binding's value is never read (``sent = sock.send(x)``, then ``return 1``),
        though the name is read elsewhere in the function (see model/unread.py)."""
        scope = self.scope_of(binding)
        if any(name in child.loads for child in scope.iter_descendants() if child is not scope):
            return False
        return unread_after(self, name, binding, self._in_logging_call)

    def _in_logging_call(self, node: ast.AST) -> bool:
        for anc in self.ancestors(node):
            if isinstance(anc, ast.stmt):
                return False
            if isinstance(anc, ast.Call):
                if self.call_qualname(anc) == "builtins.print":
                    return True
                func = anc.func
                if isinstance(func, ast.Attribute) and func.attr in _LOG_METHODS:
                    receiver = (dotted_name(func.value) or "").lower()
                    if "log" in receiver:
                        return True
        return False

    def _summed_without_resend(self, call: ast.Call, name: str, aug: ast.AugAssign) -> bool:
        """``sent += sock.send(chunk)`` in a loop over chunks, where the payload does not
        depend on ``sent`` (the unsent tail of each chunk is never sent again) and ``sent`` is
        never compared with anything but zero (a sum checked against the length would detect
        the loss)."""
        if not self.enclosing_loops(aug) or any(
            isinstance(n, ast.Name) and n.id == name for arg in call.args for n in ast.walk(arg)
        ):
            return False
        scope = self.scope_of(aug)
        for load in scope.loads.get(name, ()):
            compare = self.parents.get(load)
            if isinstance(compare, ast.Compare):
                others = [compare.left, *compare.comparators]
                if any(o is not load and literal_int(o) != 0 for o in others):
                    return False
        return True

    # ----------------------------------------------------------------- names
    def bindings_of(self, name: str, at: ast.AST) -> list[Binding] | None:
        """The bindings a read of ``name`` at ``at`` may see; None when unbound (a builtin)."""
        scope = self.scope_of(at)
        owner = scope.lookup_scope(name)
        if owner is None:
            return None
        if name in owner.declared_global:
            return []  # bound elsewhere: unknown
        return owner.bindings[name]

    def qualname(self, expr: ast.AST) -> str | None:
        """The dotted stdlib name an expression refers to through imports, or None.

        ``w`` after ``from os import write as w`` is ``os.write``; a name bound in any other way
        (assignment, def, parameter) is not the stdlib one.
        """
        if isinstance(expr, ast.Name):
            bindings = self.bindings_of(expr.id, expr)
            if bindings is None:
                if expr.id in _BUILTIN_NAMES:
                    return f"builtins.{expr.id}"
                # ``from helpers import *``: what the project module exports under that name
                if self.project is not None and self._star_imports:
                    return self.project.star_import(self._star_imports, expr.id)
                return None
            names = {b.qualname if b.kind == "import" else None for b in bindings}
            if len(names) == 1:
                return names.pop()
            return None
        if isinstance(expr, ast.Attribute):
            base = self.qualname(expr.value)
            return f"{base}.{expr.attr}" if base else None
        return None

    @cached_property
    def _star_imports(self) -> tuple[str, ...]:
        return tuple(
            m
            for stmt in self.tree.body
            if isinstance(stmt, ast.ImportFrom) and any(a.name == "*" for a in stmt.names)
            for m in [absolute_module(self.module, self.is_package, stmt)]
            if m is not None
        )

    def project_qualname(self, expr: ast.AST) -> str | None:
        """The qualified name of a project definition: what :meth:`qualname` gives through
        absolute imports, a relative import made absolute, or this module's own top-level
        function or class (``pkg.mod.helper``)."""
        q = self.qualname(expr)
        if q is not None or not isinstance(expr, ast.Name):
            return q
        bindings = self.bindings_of(expr.id, expr) or []
        if len(bindings) != 1:
            return None
        node = bindings[0].node
        if isinstance(node, ast.ImportFrom) and node.level:
            base = absolute_module(self.module, self.is_package, node)
            for alias in node.names:
                if (alias.asname or alias.name) == expr.id and base is not None:
                    return f"{base}.{alias.name}"
            return None
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if self.scope_of(node) is self.module_scope or node in self.tree.body:
                return f"{self.module}.{node.name}"
        return None

    def class_qualname(self, base: ast.expr) -> str | None:
        return self.project_qualname(base)

    def call_qualname(self, call: ast.Call) -> str | None:
        return self.qualname(call.func)

    def is_qualname(self, expr: ast.AST, *names: str) -> bool:
        q = self.qualname(expr)
        return q is not None and q in names

    def mentions(self, expr: ast.AST, qualname: str) -> bool:
        """Whether ``expr`` contains a reference to ``qualname`` (e.g. a flag in ``A | B``)."""
        short = qualname.rsplit(".", 1)[-1]
        for node in ast.walk(expr):
            if isinstance(node, (ast.Name, ast.Attribute)):
                spelled = node.id if isinstance(node, ast.Name) else node.attr
                if spelled == short and self.qualname(node) == qualname:
                    return True
        return False

    # ----------------------------------------------------------------- kinds
    def kind_of(self, expr: ast.AST) -> ObjKind | None:
        """The I/O object an expression evaluates to, when the model can prove it."""
        return self._kind(expr, frozenset())

    def _kind(self, expr: ast.AST, seen: frozenset[int]) -> ObjKind | None:
        if id(expr) in seen:
            return None
        if expr in self._kinds:
            return self._kinds[expr]
        found = self._kind_uncached(expr, seen | {id(expr)})
        # One answer per expression: without it, chains of names bound to calls on names
        # (``v = v.strip()`` ...) are re-derived along every path, exponentially.
        self._kinds[expr] = found
        return found

    def _kind_uncached(self, expr: ast.AST, seen: frozenset[int]) -> ObjKind | None:
        if isinstance(expr, ast.Name):
            bindings = self.bindings_of(expr.id, expr)
            if not bindings:
                return None
            bindings = _bound(bindings)
            dominating = self._dominating_binding(expr, bindings)
            if dominating is not None:
                return self._binding_kind(dominating, seen)
            return self._agree([self._binding_kind(b, seen) for b in _informative(bindings)])
        if isinstance(expr, ast.Attribute):
            return self._attribute_kind(expr, seen)
        if isinstance(expr, ast.Call):
            return self._call_kind(expr, None, seen)
        if isinstance(expr, ast.Subscript):
            index = literal_int(expr.slice)
            if index is not None and isinstance(expr.value, ast.Call):
                return self._call_kind(expr.value, index, seen)
            return None
        if isinstance(expr, ast.Await):
            return None
        value = literal_int(expr) if isinstance(expr, ast.expr) else None
        if value in (0, 1, 2):
            return ObjKind(Category.FD, origin=expr)
        return None

    def _dominating_binding(self, use: ast.Name, bindings: list[Binding]) -> Binding | None:
        """The plain assignment that every path to ``use`` passes last, when one exists in
        straight-line code: a ``name = value`` statement earlier in the same block as ``use``
        (or in a block around it), with no other binding of the name between the two. Then
        the name's other bindings (in other branches: ``sock`` a datagram socket under
        ``if udp:``, a stream socket under ``else:``) cannot reach this read."""
        statements = {id(b.node): b for b in bindings if b.kind == "assign" and b.index is None}
        if not statements or len(bindings) < 2:
            return None
        child: ast.AST = use
        for anc in self.ancestors(use):
            if isinstance(anc, (*FUNCTION_NODES, ast.ClassDef, ast.Module)):
                return None
            for body in _bodies_holding(anc, child):
                position = next(i for i, s in enumerate(body) if s is child)
                for stmt in reversed(body[:position]):
                    found = statements.get(id(stmt))
                    if found is not None:
                        return found
                    if any(self._inside(o.node, stmt) or o.node is stmt for o in bindings):
                        return None  # another binding in between, maybe conditional
                if isinstance(anc, _LOOPS) and any(self._inside(b.node, anc) for b in bindings):
                    return None  # a later binding in the loop may flow back to the top
            child = anc
        return None

    @staticmethod
    def _agree(kinds: list[ObjKind | None]) -> ObjKind | None:
        if not kinds or any(k is None for k in kinds):
            return None
        first = kinds[0]
        return first if all(k == first for k in kinds) else None

    def _binding_kind(self, b: Binding, seen: frozenset[int]) -> ObjKind | None:
        if b.kind == "param":
            return self._param_kind(b)
        if b.kind in ("assign", "with", "walrus") and b.value is not None:
            annotated = self._annotation_kind(b.annotation)
            if annotated is not None:
                return annotated
            if b.kind == "with" and isinstance(b.value, ast.Call):
                # ``with socket.socket() as s`` / ``with open(p) as f``: the context manager
                # of these objects returns the object itself.
                return self._call_kind(b.value, b.index, seen)
            value = b.value
            if b.index is not None and isinstance(value, ast.Await):
                # ``reader, writer = await asyncio.open_connection(...)``
                value = value.value
            if b.index is not None:
                if isinstance(value, ast.Call):
                    return self._call_kind(value, b.index, seen)
                return None
            return self._kind(b.value, seen)
        if b.kind == "annotation":
            return self._annotation_kind(b.annotation)
        return None

    def _param_kind(self, b: Binding) -> ObjKind | None:
        annotated = self._annotation_kind(b.annotation)
        if annotated is not None:
            return annotated
        if b.name == "fd" or b.name.endswith("_fd"):
            return FD
        if isinstance(b.node, ast.arg):
            # ``Connection(ip, port, self.request)`` everywhere the class is built.
            return constructor_parameter_kind(self, b.node)
        return None

    def _annotation_kind(self, annotation: ast.expr | None) -> ObjKind | None:
        """The kind an annotation names: a socket, an asyncio stream reader or a raw file,
        also inside ``Optional[...]``, ``Union[..., None]`` and ``X | None`` (the object may be
        absent, but when it is there it is that)."""
        if annotation is None:
            return None
        members = _union_members(annotation)
        if len(members) != 1:
            return None
        only = members[0]
        if self._annotation_is_socket(only):
            return SOCKET
        q = self.qualname(only)
        if q in STREAM_READER_TYPES:
            return ObjKind(Category.STREAM_READER)
        if q == "io.FileIO":
            # ``f: io.FileIO``: an unbuffered binary file, whose ``write`` can be short (the
            # buffered ``io.BufferedWriter`` and ``BinaryIO`` write all or raise).
            return ObjKind(Category.FILE, raw=True)
        return None

    def _annotation_is_socket(self, annotation: ast.expr) -> bool:
        if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
            try:
                parsed = ast.parse(annotation.value, mode="eval").body
            except SyntaxError:
                return False
            # A string annotation is resolved against the module's imports.
            return dotted_name(parsed) in _string_socket_names(self)
        return self.qualname(annotation) in SOCKET_ANNOTATIONS

    def _call_kind(self, call: ast.Call, index: int | None, seen: frozenset[int]) -> ObjKind | None:
        q = self.call_qualname(call)
        func = call.func
        if index is None:
            if q in ("socket.socket", "socket.fromfd"):
                return ObjKind(Category.SOCKET, datagram=self._is_datagram(call), origin=call)
            if q in SOCKET_FACTORIES or q in STREAM_SOCKET_FACTORIES:
                return ObjKind(Category.SOCKET, origin=call)
            if q in FD_FACTORIES:
                return ObjKind(Category.FD, origin=call)
            if q in FILE_FACTORIES:
                mode_pos = 1
                return file_kind(call, mode_pos=mode_pos, buffering_pos=2, temp=False)
            if q == "io.FileIO":
                return ObjKind(Category.FILE, raw=True, mode="rb", origin=call)
            if q in TEMP_FILE_FACTORIES:
                return file_kind(call, mode_pos=0, buffering_pos=1, temp=True)
            if q is not None and self.project is not None:
                found = self.project.function_kind(q)
                if found is not None:
                    return found
            local = self._local_callee(func)
            if local is not None:
                return self._return_kind(local, seen)
            if q is None and self.project is not None:
                pq = self.project_qualname(func)
                if pq is not None:
                    return self.project.function_kind(pq)
            inherited = self._inherited_method_kind(func)
            if inherited is not None:
                return inherited
            if isinstance(func, ast.Attribute) and q is None:
                if func.attr == "fileno" and not call.args:
                    return ObjKind(Category.FD, origin=call)
                if func.attr == "wrap_socket" and call.args:
                    # ``ctx.wrap_socket(sock)`` keeps the wrapped socket's kind.
                    return self._kind(call.args[0], seen)
                if func.attr == "dup":
                    return self._kind(func.value, seen)  # only here: it can be costly
                if func.attr == "open" and (
                    self.is_path_expr(func.value) or _raw_open_keywords(call)
                ):
                    # ``Path.open(mode, buffering=0)`` is raw whatever produced the Path.
                    return file_kind(call, mode_pos=0, buffering_pos=1, temp=False)
                if func.attr in STREAM_SOCKET_FACTORY_METHODS:
                    return ObjKind(Category.SOCKET, origin=call)
                maker = self._created_by(func.value)
                if maker is not None and (maker, func.attr) in SOCKET_OF_OBJECT:
                    return ObjKind(Category.SOCKET, origin=call)
            return None
        if q in SOCKET_TUPLES and index in SOCKET_TUPLES[q]:
            return ObjKind(Category.SOCKET, origin=call)
        if q in FD_TUPLES and index in FD_TUPLES[q]:
            return ObjKind(Category.FD, origin=call)
        if q in STREAM_READER_TUPLES and index in STREAM_READER_TUPLES[q]:
            return ObjKind(Category.STREAM_READER, origin=call)
        if (
            index == 0
            and isinstance(func, ast.Attribute)
            and func.attr == "accept"
            and not call.args
        ):
            receiver = self._kind(func.value, seen)
            if receiver is not None and receiver.category is Category.SOCKET:
                return ObjKind(Category.SOCKET, origin=call)
        return None

    def created_by(self, expr: ast.expr) -> str | None:
        """The qualified name of the call that made ``expr``'s object (see ``_created_by``)."""
        return self._created_by(expr)

    def _created_by(self, expr: ast.expr) -> str | None:
        """The qualified name of the call that made ``expr``'s object, when every binding
        of the name (or of ``self.<attr>``) agrees: ``self.tn = telnetlib.Telnet(host)``."""
        if isinstance(expr, ast.Call):
            return self.call_qualname(expr)
        values: list[ast.expr | None] = []
        if isinstance(expr, ast.Name):
            bindings = self.bindings_of(expr.id, expr) or []
            values = [b.value if b.kind == "assign" and b.index is None else None for b in bindings]
        elif isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name):
            cls, self_name = self._enclosing_method_class(expr)
            if cls is None or expr.value.id != self_name:
                return None
            values = [b.value for b in _informative(self.class_attributes(cls).get(expr.attr, []))]
        makers = {self.call_qualname(v) if isinstance(v, ast.Call) else None for v in values}
        return makers.pop() if len(makers) == 1 else None

    # ----------------------------------------------------------------- functions
    def return_kind(self, func: ast.FunctionDef | ast.AsyncFunctionDef) -> ObjKind | None:
        """The kind every ``return`` of ``func`` gives (or its return annotation names)."""
        return self._return_kind(func, frozenset())

    def _return_kind(self, func: ast.AST, seen: frozenset[int]) -> ObjKind | None:
        if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return None
        annotated = self._annotation_kind(func.returns)
        if annotated is not None:
            return annotated
        if id(func) in self._returns_in_progress:
            return None  # recursion
        values = self._returns.get(func)
        # Only names, attributes, calls and subscripts can evaluate to an I/O object: a
        # function that also returns a constant, a tuple or a computed value has no kind.
        if not values or not all(isinstance(v, _OBJECT_EXPRESSIONS) for v in values):
            return None
        self._returns_in_progress.add(id(func))
        try:
            return self._agree([self._kind(v, seen) for v in values])
        finally:
            self._returns_in_progress.discard(id(func))

    @cached_property
    def _returns(self) -> dict[ast.AST, list[ast.expr]]:
        """The values each function returns, from one pass over the module's ``return``
        statements; generators (which return a generator, not the value) are left out."""
        out: dict[ast.AST, list[ast.expr]] = {}
        for node in self.nodes(ast.Return):
            func = self.enclosing_function(node)
            if func is not None and isinstance(node, ast.Return):
                out.setdefault(func, []).append(
                    node.value if node.value is not None else ast.Constant(None)
                )
        for gen in self.nodes(ast.Yield, ast.YieldFrom):
            out.pop(self.enclosing_function(gen), None)  # type: ignore[arg-type]
        return out

    def local_callee(self, func: ast.expr) -> ast.AST | None:
        """The ``def`` a call of ``func`` runs, when it is in this module (see below)."""
        return self._local_callee(func)

    def _local_callee(self, func: ast.expr) -> ast.AST | None:
        """The function a call runs when the model can name it in this module: a top-level
        ``def`` called by name, or ``self.method()`` of the enclosing class or of a base
        class defined in this module."""
        if isinstance(func, ast.Name):
            bindings = self.bindings_of(func.id, func) or []
            if len(bindings) == 1 and isinstance(
                bindings[0].node, (ast.FunctionDef, ast.AsyncFunctionDef)
            ):
                return bindings[0].node
            return None
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            cls, self_name = self._enclosing_method_class(func)
            if cls is None or func.value.id != self_name:
                return None
            for current in self._local_class_chain(cls):
                for stmt in current.body:
                    if (
                        isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))
                        and stmt.name == func.attr
                    ):
                        return stmt if not _is_static(stmt) else None
        return None

    def _local_class_chain(self, cls: ast.ClassDef) -> list[ast.ClassDef]:
        """``cls`` and its bases defined in this module, nearest first."""
        out: list[ast.ClassDef] = []
        pending = [cls]
        while pending and len(out) < 20:
            current = pending.pop(0)
            if any(current is c for c in out):
                continue
            out.append(current)
            for base in current.bases:
                if isinstance(base, ast.Name):
                    local = self._module_class(base.id)
                    if local is not None:
                        pending.append(local)
        return out

    def _project_bases(self, cls: ast.ClassDef) -> list[str]:
        """Qualified names of the bases of ``cls`` (and of its local bases) that live in
        other modules of the project."""
        out: list[str] = []
        for current in self._local_class_chain(cls):
            for base in current.bases:
                if isinstance(base, ast.Name) and self._module_class(base.id) is not None:
                    continue
                q = self.project_qualname(base)
                if q is not None:
                    out.append(q)
        return out

    def _inherited_method_kind(self, func: ast.expr) -> ObjKind | None:
        """``self.connect()`` where ``connect`` comes from a base class in another module."""
        if self.project is None or not isinstance(func, ast.Attribute):
            return None
        if not isinstance(func.value, ast.Name):
            return None
        cls, self_name = self._enclosing_method_class(func)
        if cls is None or func.value.id != self_name:
            return None
        for base in self._project_bases(cls):
            found = self.project.member_kind(base, func.attr, method=True)
            if found is not None:
                return found
        return None

    def fsynced_parameter(self, func: ast.FunctionDef | ast.AsyncFunctionDef) -> int | None:
        """The position of the parameter ``func`` fsyncs (``os.fsync(f.fileno())``,
        ``os.fsync(fd)``, ``os.fsync(getattr(f, "fileobj", f).fileno())``), else None."""
        params = [a.arg for a in [*func.args.posonlyargs, *func.args.args]]
        for node in walk_local(func.body):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            if self.call_qualname(node) not in ("os.fsync", "os.fdatasync"):
                continue
            target = node.args[0]
            if (
                isinstance(target, ast.Call)
                and isinstance(target.func, ast.Attribute)
                and target.func.attr == "fileno"
            ):
                target = target.func.value
            if isinstance(target, ast.Call) and self.call_qualname(target) == "builtins.getattr":
                target = target.args[-1] if target.args else target
            if isinstance(target, ast.Name) and target.id in params:
                return params.index(target.id)
        return None

    def _is_datagram(self, call: ast.Call) -> bool:
        """Whether the socket may be message-oriented: created with ``SOCK_DGRAM``,
        ``SOCK_RAW`` or ``SOCK_SEQPACKET``, or with a type the model cannot read (a variable,
        ``*args``, or ``fileno=`` whose type the kernel reports). Stream rules stay silent
        about those."""
        q = self.call_qualname(call)
        position = 2 if q == "socket.fromfd" else 1
        if q == "socket.socket" and call.args and not isinstance(call.args[0], ast.Constant):
            # ``socket.socket(*entry[:3])`` from ``getaddrinfo(..., type=SOCK_STREAM)``.
            asked = addrinfo_type(self, call)
            if asked is not None:
                return not self._names_stream_type(asked)
        if any(isinstance(a, ast.Starred) for a in call.args) or any(
            k.arg is None for k in call.keywords
        ):
            return True
        type_arg = call_arg(call, position, "type")
        if type_arg is None:
            # socket.socket(fileno=fd) takes its type from the descriptor
            return q == "socket.fromfd" or call_arg(call, 3, "fileno") is not None
        return not self._names_stream_type(type_arg)

    def _names_stream_type(self, type_arg: ast.expr) -> bool:
        """``SOCK_STREAM`` (possibly with flags such as ``SOCK_CLOEXEC``), no message type."""
        if any(
            self.mentions(type_arg, f"socket.{name}")
            for name in ("SOCK_DGRAM", "SOCK_RAW", "SOCK_SEQPACKET")
        ):
            return False
        return self.mentions(type_arg, "socket.SOCK_STREAM")

    def is_path_expr(self, expr: ast.expr, _seen: frozenset[int] = frozenset()) -> bool:
        """Whether ``expr`` is a ``pathlib.Path`` (a call, ``p / "x"``, or a name bound only
        to those). ``_seen`` stops cycles such as ``p = p / "x"``."""
        if id(expr) in _seen:
            return False
        seen = _seen | {id(expr)}
        if isinstance(expr, ast.Call):
            return self.call_qualname(expr) in (
                "pathlib.Path",
                "pathlib.PurePath",
                "pathlib.PosixPath",
            )
        if isinstance(expr, ast.Name):
            bindings = self.bindings_of(expr.id, expr) or []
            return bool(bindings) and all(
                b.kind == "assign"
                and b.value is not None
                and b.index is None
                and self.is_path_expr(b.value, seen)
                for b in bindings
            )
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Div):
            return self.is_path_expr(expr.left, seen)
        return False

    # ----------------------------------------------------------------- classes
    def _attribute_kind(self, expr: ast.Attribute, seen: frozenset[int]) -> ObjKind | None:
        cls, self_name = self._enclosing_method_class(expr)
        if cls is None or not isinstance(expr.value, ast.Name) or expr.value.id != self_name:
            return None
        values = self.class_attributes(cls).get(expr.attr)
        if not values:
            if expr.attr in self._handler_socket_attributes(cls):
                return ObjKind(Category.SOCKET)
            return self._base_attribute_kind(cls, expr.attr, seen)
        # ``self.sock = ctx.wrap_socket(self.sock)`` keeps the kind of the other bindings.
        values = [b for b in values if not _rewraps(b, expr.attr)] or values
        return self._agree([self._binding_kind(b, seen) for b in _informative(values)])

    def own_attribute_kind(self, cls: ast.ClassDef, attr: str) -> ObjKind | None:
        """The kind of ``self.<attr>`` from the assignments in ``cls`` itself."""
        values = _informative(self.class_attributes(cls).get(attr, []))
        if not values or not all(
            isinstance(b.value, _OBJECT_EXPRESSIONS) or b.annotation is not None for b in values
        ):
            return None
        return self._agree([self._binding_kind(b, frozenset()) for b in values])

    def _base_attribute_kind(
        self, cls: ast.ClassDef, attr: str, seen: frozenset[int]
    ) -> ObjKind | None:
        """``self.<attr>`` assigned in a base class or mixin: in this module, or in another
        module of the project (from the index)."""
        for base in self._local_class_chain(cls)[1:]:
            values = self.class_attributes(base).get(attr)
            if values:
                return self._agree([self._binding_kind(b, seen) for b in _informative(values)])
        if self.project is not None:
            for q in self._project_bases(cls):
                found = self.project.member_kind(q, attr, method=False)
                if found is not None:
                    return found
        return None

    def _handler_socket_attributes(self, cls: ast.ClassDef) -> frozenset[str]:
        """Attributes a request-handler base class fills with the connected stream socket
        (``self.request`` of a ``socketserver.BaseRequestHandler``), following bases
        defined in this module."""
        names: set[str] = set()
        seen: set[int] = set()
        pending = [cls]
        while pending:
            current = pending.pop()
            if id(current) in seen:
                continue
            seen.add(id(current))
            for base in current.bases:
                q = self.qualname(base)
                if q in DATAGRAM_HANDLERS:
                    return frozenset()
                if q in HANDLER_SOCKET_ATTRIBUTES:
                    names |= HANDLER_SOCKET_ATTRIBUTES[q]
                elif isinstance(base, ast.Name):
                    local = self._module_class(base.id)
                    if local is not None:
                        pending.append(local)
        return frozenset(names)

    def _module_class(self, name: str) -> ast.ClassDef | None:
        bindings = self.module_scope.bindings.get(name, [])
        if len(bindings) == 1 and isinstance(bindings[0].node, ast.ClassDef):
            return bindings[0].node
        return None

    def _enclosing_method_class(self, node: ast.AST) -> tuple[ast.ClassDef | None, str | None]:
        func = self.enclosing_function(node)
        while func is not None and not isinstance(func, ast.Lambda):
            parent = self.parents.get(func)
            if isinstance(parent, ast.ClassDef):
                args = func.args  # type: ignore[attr-defined]
                positional = [*args.posonlyargs, *args.args]
                if not positional or _is_static(func):
                    return None, None
                return parent, positional[0].arg
            func = self.enclosing_function(func)
        return None, None

    def class_attributes(self, cls: ast.ClassDef) -> dict[str, list[Binding]]:
        """Every ``self.attr = value`` in the methods of ``cls`` and every class-level
        annotation, so that ``self.sock`` in one method sees its creation in ``__init__``.
        Computed per class on first use: most modules never ask, and those that do ask about
        few of their classes."""
        found = self._class_attributes.get(cls)
        if found is None:
            found = self._class_attributes[cls] = _class_attribute_bindings(cls)
        return found

    # ----------------------------------------------------------------- value flow
    def uses_after(self, name: str, binding_node: ast.AST) -> list[ast.Name]:
        """Reads of ``name`` after ``binding_node`` in source order, before the next rebinding,
        in the same scope."""
        scope = self.scope_of(binding_node)
        start = _end_key(binding_node)
        rebinds = sorted(
            _pos_key(b.node)
            for b in scope.bindings.get(name, ())
            if _pos_key(b.node) > _pos_key(binding_node)
        )
        stop = rebinds[0] if rebinds else None
        out = []
        for load in scope.loads.get(name, ()):
            key = _pos_key(load)
            if key < start:
                continue
            if stop is not None and key >= stop and not self._inside(load, binding_node):
                continue
            out.append(load)
        return sorted(out, key=_pos_key)

    def _inside(self, node: ast.AST, container: ast.AST) -> bool:
        return any(a is container for a in self.ancestors(node))


def _rewraps(binding: Binding, attr: str) -> bool:
    """``self.<attr> = <x>.wrap_socket(self.<attr>, ...)``: the attribute wrapped in SSL."""
    value = binding.value
    if not isinstance(value, ast.Call) or not value.args:
        return False
    name = dotted_name(value.func) or ""
    first = value.args[0]
    return (
        name.rsplit(".", 1)[-1] == "wrap_socket"
        and isinstance(first, ast.Attribute)
        and first.attr == attr
        and isinstance(first.value, ast.Name)
    )


_OBJECT_EXPRESSIONS = (ast.Name, ast.Attribute, ast.Call, ast.Subscript)

_LOG_METHODS = frozenset(
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "log", "trace"}
)


def _raw_open_keywords(call: ast.Call) -> bool:
    """``x.open("wb", buffering=0)``: the signature of ``open`` itself (``Path.open``), with a
    literal binary mode and unbuffered I/O; no other common ``open`` method takes
    ``buffering``."""
    mode = call.args[0] if call.args else None
    for kw in call.keywords:
        if kw.arg == "mode":
            mode = kw.value
    buffering = next((kw.value for kw in call.keywords if kw.arg == "buffering"), None)
    return (
        isinstance(mode, ast.Constant)
        and isinstance(mode.value, str)
        and "b" in mode.value
        and literal_int(buffering) == 0
    )


def _union_members(annotation: ast.expr) -> list[ast.expr]:
    """The non-None members of ``Optional[X]``, ``Union[X, None]``, ``X | None``; else
    ``[annotation]``."""
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return _union_members(annotation.left) + _union_members(annotation.right)
    if isinstance(annotation, ast.Constant) and annotation.value is None:
        return []
    if isinstance(annotation, ast.Subscript):
        head = dotted_name(annotation.value) or ""
        if head.rsplit(".", 1)[-1] in ("Optional", "Union"):
            items = (
                annotation.slice.elts
                if isinstance(annotation.slice, ast.Tuple)
                else [annotation.slice]
            )
            return [m for item in items for m in _union_members(item)]
    return [annotation]


def _bodies_holding(node: ast.AST, child: ast.AST) -> list[list[ast.stmt]]:
    """The statement lists of ``node`` that contain ``child`` itself."""
    out = []
    for name in ("body", "orelse", "finalbody"):
        value = getattr(node, name, None)
        if isinstance(value, list) and any(s is child for s in value):
            out.append(value)
    return out


def _informative(bindings: list[Binding]) -> list[Binding]:
    """Drop ``x = None`` placeholders: ``self.sock = None`` in ``__init__`` and the real socket
    assigned in ``connect()`` describe one socket attribute. Bare declarations go too
    (``self.sock: socket.socket`` with no value) when the name is bound elsewhere: they bind
    nothing, and the assignments say what the object is."""
    return _bound(
        [
            b
            for b in bindings
            if not (
                b.kind == "assign" and isinstance(b.value, ast.Constant) and b.value.value is None
            )
        ]
    )


def _bare_declaration(binding: Binding) -> bool:
    """``x: T`` or ``self.x: T`` without a value: an annotation that binds nothing."""
    return isinstance(binding.node, ast.AnnAssign) and binding.node.value is None


def _bound(bindings: list[Binding]) -> list[Binding]:
    """``bindings`` without bare declarations, unless declarations are all there is (a
    class-level ``sock: socket.socket`` field filled by a dataclass constructor)."""
    bound = [b for b in bindings if not _bare_declaration(b)]
    return bound or bindings


def _end_key(node: ast.AST) -> tuple[int, int]:
    return (getattr(node, "end_lineno", 0) or 0, getattr(node, "end_col_offset", 0) or 0)


def _in_list(node: ast.AST, body: list[ast.stmt]) -> bool:
    return any(node is s for s in body)


def _is_static(func: ast.AST) -> bool:
    for d in getattr(func, "decorator_list", ()):
        if isinstance(d, ast.Name) and d.id in ("staticmethod", "classmethod"):
            return True
    return False


def _class_attribute_bindings(cls: ast.ClassDef) -> dict[str, list[Binding]]:
    attrs: dict[str, list[Binding]] = {}
    for stmt in cls.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            kind = "assign" if stmt.value is not None else "annotation"
            attrs.setdefault(stmt.target.id, []).append(
                Binding(stmt.target.id, kind, stmt, stmt.value, annotation=stmt.annotation)
            )
    for method in cls.body:
        if not isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)) or _is_static(method):
            continue
        positional = [*method.args.posonlyargs, *method.args.args]
        if not positional:
            continue
        self_name = positional[0].arg
        for node in _statements_bfs(method):
            for target, value, annotation in _attribute_stores(node):
                if (
                    isinstance(target, ast.Attribute)
                    and isinstance(target.value, ast.Name)
                    and target.value.id == self_name
                ):
                    kind = "assign" if value is not None else "other"
                    attrs.setdefault(target.attr, []).append(
                        Binding(target.attr, kind, node, value, annotation=annotation)
                    )
    return attrs


# Nodes that hold statements (``ast.match_case`` exists from Python 3.10 on).
_MATCH_CASE: tuple[type, ...] = (ast.match_case,) if hasattr(ast, "match_case") else ()
_STATEMENT_HOLDERS: tuple[type, ...] = (ast.stmt, ast.excepthandler, *_MATCH_CASE)


def _statements_bfs(root: ast.AST) -> Iterator[ast.AST]:
    """``ast.walk(root)`` restricted to statements (and the handlers and match cases between
    them), in the same order: expressions hold no statements, so pruning them keeps the
    breadth-first order of everything else, at a fraction of the cost."""
    queue: deque[ast.AST] = deque([root])
    holders = _STATEMENT_HOLDERS
    while queue:
        node = queue.popleft()
        yield node
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                items: list[ast.AST] = value
                queue.extend([item for item in items if isinstance(item, holders)])


def _attribute_stores(node: ast.AST) -> list[tuple[ast.expr, ast.expr | None, ast.expr | None]]:
    if isinstance(node, ast.Assign):
        return [(t, node.value, None) for t in node.targets]
    if isinstance(node, ast.AnnAssign):
        return [(node.target, node.value, node.annotation)]
    if isinstance(node, ast.AugAssign):
        return [(node.target, None, None)]
    if isinstance(node, (ast.With, ast.AsyncWith)):
        return [(i.optional_vars, None, None) for i in node.items if i.optional_vars is not None]
    if isinstance(node, (ast.For, ast.AsyncFor)):
        return [(node.target, None, None)]
    return []


def _string_socket_names(model: ModuleModel) -> set[str]:
    """Spellings of ``socket.socket`` valid in this module, for string annotations."""
    names = {"socket.socket", "socket.SocketType", "ssl.SSLSocket"}
    for b_list in model.module_scope.bindings.values():
        for b in b_list:
            if b.kind == "import" and b.qualname in SOCKET_ANNOTATIONS:
                names.add(b.name)
            elif b.kind == "import" and b.qualname in ("socket", "ssl"):
                names.add(f"{b.name}.socket" if b.qualname == "socket" else f"{b.name}.SSLSocket")
    return names
