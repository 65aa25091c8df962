"""Which functions, methods and classes of one module write a file atomically.

An atomic writer publishes a file by renaming a file that lies beside the target onto the
target: ``os.replace``/``os.rename``/``shutil.move`` (or ``Path.replace``) of a temp file made in
the target's directory (``mkstemp(dir=os.path.dirname(path))``, ``NamedTemporaryFile(dir=...)``),
or of a sibling name (``path + ".lock"``, ``path_to_intermediate(path)``), where the target comes
from the function's parameters (or, for a class, from what ``__init__`` stored). The shapes
projects use are all of this kind: a function (hatch's ``Path.write_atomic``), a context manager
(jupyter_server's ``atomic_writing``, which renames a backup copy back on failure), a class
whose ``close()`` renames (dulwich's ``_GitFile``), and a function that only makes the temp file
beside the target and leaves the rename to its callers (pip's ``adjacent_tmp_file`` with
``replace(f.name, path)``). A function that returns or yields a local writer's result for a
target from its parameters is a writer too (dulwich's ``GitFile``).

A rename alone is not enough: ``os.rename(src, dst)`` of two parameters moves a file, it does
not write one, and ``os.rename(path, path + ".1")`` rotates a log. The facts are read from the
module's ``ast`` only, so they can be cached by the module's content; what needs another module
(a temp file made by an imported function, an imported rename wrapper) is recorded by qualified
name and resolved project-wide (:mod:`iolint.model.project_writers`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

# What renames a file onto another name, replacing it.
RENAMES = frozenset({"os.replace", "os.rename", "os.renames", "shutil.move"})
# Calls that make a temp file; with ``dir=`` beside the target they start an atomic write.
_TEMP_FILES = frozenset(
    {"tempfile.mkstemp", "tempfile.NamedTemporaryFile", "tempfile.mktemp"},
)
# Calls that return the same path in another spelling (the target, not a sibling of it).
_SAME_PATH = frozenset(
    {
        "os.fspath",
        "os.fsencode",
        "os.fsdecode",
        "os.path.realpath",
        "os.path.abspath",
        "os.path.normpath",
        "os.path.expanduser",
        "str",
        "bytes",
        "pathlib.Path",
    }
)
# Project converters of the same spelling kind (ansible's ``to_bytes``): the last name only.
_SAME_PATH_NAMES = frozenset({"to_bytes", "to_text", "to_native", "fspath", "realpath", "abspath"})
_CONTEXT_MANAGERS = frozenset({"contextlib.contextmanager", "contextlib.asynccontextmanager"})
# Methods that finish what the object wrote: a class renaming there is itself the writer
# (dulwich's ``_GitFile.close``); another method renaming (Twisted's ``FilePath.setContent``)
# is a writer method of an object made for the target.
_CLOSING = frozenset({"close", "__exit__", "commit", "flush"})
# How far a value is followed through assignments and ``self`` attributes.
_DEPTH = 6

# Shapes of writers.
FUNCTION = "function"
CONTEXT_MANAGER = "context manager"
CLASS = "class"
METHOD = "method"
TEMP_FILE = "temp file"
# Not a writer: a place that renames a temp file made by ``temp_from`` onto the path it gave it
# (``with adjacent_tmp_file(path) as f: ...`` then ``replace(f.name, path)``).
USE = "use"
# Calls that write (or create) a file; a rename of a file nothing wrote is a move.
_WRITES = frozenset(
    {"io.open", "os.open", "os.fdopen", "shutil.copy", "shutil.copy2", "shutil.copyfile"}
    | _TEMP_FILES
)
_WRITE_METHODS = frozenset({"write", "writelines", "write_text", "write_bytes"})


@dataclass(frozen=True)
class Writer:
    """One atomic writer of a module. ``name`` is ``func``, ``Class`` or ``Class.method``.

    ``temp_from`` and ``renamed_by`` are set when the writer's temp file or its rename comes from
    another module (qualified names): it is a writer only if that callee is a temp-file maker and
    that rename function renames (checked project-wide). A ``temp file`` writer makes the temp
    file beside its target and leaves the rename to its callers: it counts only where some
    caller renames what it made."""

    name: str
    line: int
    shape: str
    temp_from: str = ""
    renamed_by: str = ""


@dataclass(frozen=True)
class WriterFacts:
    """A module's atomic writers, and its functions or names that rename their first argument
    onto their second (jupyter_server's ``replace_file``, pip's ``replace = retry(os.replace)``)."""

    module: str
    writers: tuple[Writer, ...] = ()
    renamers: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "module": self.module,
            "writers": [vars(w) for w in self.writers],
            "renamers": list(self.renamers),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WriterFacts:
        return cls(
            str(data["module"]),
            tuple(Writer(**w) for w in data.get("writers", ())),
            tuple(str(r) for r in data.get("renamers", ())),
        )


# ---------------------------------------------------------------------- name resolution


def _imports(stmts: list[ast.stmt], module: str, is_package: bool) -> dict[str, str]:
    from iolint.model.index import absolute_module

    found: dict[str, str] = {}
    for stmt in stmts:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                top = alias.name.split(".", 1)[0]
                found[alias.asname or top] = alias.name if alias.asname else top
        elif isinstance(stmt, ast.ImportFrom):
            base = absolute_module(module, is_package, stmt)
            for alias in stmt.names:
                if base is not None and alias.name != "*":
                    found[alias.asname or alias.name] = f"{base}.{alias.name}"
    return found


def _dotted(expr: ast.expr) -> str | None:
    parts: list[str] = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if not isinstance(expr, ast.Name):
        return None
    parts.append(expr.id)
    return ".".join(reversed(parts))


@dataclass
class _Scope:
    """One function (with its class, if a method) as the analysis sees it."""

    fn: ast.FunctionDef | ast.AsyncFunctionDef
    imports: dict[str, str]
    module: str
    local_defs: frozenset[str]
    renamers: frozenset[str]
    cls: ast.ClassDef | None = None
    body: _Body | None = None
    # ``self.attr`` -> what ``__init__`` assigned to it, and ``__init__``'s parameters.
    init_attrs: dict[str, list[ast.expr]] = field(default_factory=dict)
    init_params: frozenset[str] = frozenset()
    init_bindings: dict[str, list[ast.expr]] = field(default_factory=dict)
    bindings: dict[str, list[ast.expr]] = field(default_factory=dict)
    params: frozenset[str] = frozenset()
    # ``self`` of a method is a target (hatch's ``Path.write_atomic`` replaces ``self``).
    self_is_target: bool = True
    # Module-level functions that return a name beside their argument.
    sibling_functions: frozenset[str] = frozenset()

    def qualname(self, func: ast.expr) -> str | None:
        dotted = _dotted(func)
        if dotted is None:
            return None
        head, _, rest = dotted.partition(".")
        if head in self.imports:
            target = self.imports[head]
        elif head in self.local_defs:
            target = f"{self.module}.{head}"
        else:
            return dotted if head in ("str", "bytes") else None
        return f"{target}.{rest}" if rest else target

    def in_project(self, qualname: str) -> bool:
        """``qualname`` is in this module's top-level package."""
        return qualname.split(".", 1)[0] == self.module.split(".", 1)[0]

    def is_self(self, expr: ast.expr) -> bool:
        return (
            self.cls is not None
            and isinstance(expr, ast.Name)
            and bool(self.fn.args.args)
            and expr.id == self.fn.args.args[0].arg
        )


def _param_names(fn: ast.FunctionDef | ast.AsyncFunctionDef, method: bool) -> list[str]:
    a = fn.args
    names = [p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs)]
    return names[1:] if method else names


@dataclass
class _Body:
    """What one walk of a function finds (every question below reads this, not the tree)."""

    calls: list[ast.Call]
    bindings: dict[str, list[ast.expr]]
    imports: list[ast.stmt]
    exits: list[ast.Return | ast.Yield]
    withs: list[ast.With | ast.AsyncWith]
    has_yield: bool


def _body(fn: ast.AST, bodies: dict[int, _Body]) -> _Body:
    known = bodies.get(id(fn))
    if known is not None:
        return known
    nodes = list(ast.walk(fn))
    body = _Body(
        [n for n in nodes if isinstance(n, ast.Call)],
        _local_bindings(nodes),
        [n for n in nodes if isinstance(n, (ast.Import, ast.ImportFrom))],
        [n for n in nodes if isinstance(n, (ast.Return, ast.Yield))],
        [n for n in nodes if isinstance(n, (ast.With, ast.AsyncWith))],
        any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in nodes),
    )
    bodies[id(fn)] = body
    return body


def _local_bindings(nodes: list[ast.AST]) -> dict[str, list[ast.expr]]:
    """Name -> the values assigned to it in ``nodes`` (a tuple unpacking binds each name to
    the whole value; a ``with ... as name`` binds it to the context expression)."""
    found: dict[str, list[ast.expr]] = {}

    def bind(target: ast.expr, value: ast.expr) -> None:
        if isinstance(target, ast.Name):
            found.setdefault(target.id, []).append(value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for t in target.elts:
                bind(t, value)

    for node in nodes:
        if isinstance(node, ast.Assign):
            for t in node.targets:
                bind(t, node.value)
        elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
            bind(node.target, node.value)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None:
                    bind(item.optional_vars, item.context_expr)
    return found


# ---------------------------------------------------------------------- paths


class _Paths:
    """What a path expression of one function is, relative to its parameters."""

    def __init__(self, scope: _Scope) -> None:
        self.s = scope
        # (question, node, in __init__) -> answer: a name bound in many places is followed
        # once, and a cycle of assignments (``x = x + 1``) ends at the placeholder.
        self.memo: dict[tuple[str, int, bool], Any] = {}

    def _ask(self, question: str, expr: ast.expr, init: bool, compute: Any, empty: Any) -> Any:
        key = (question, id(expr), init)
        if key in self.memo:
            return self.memo[key]
        self.memo[key] = empty
        answer = compute()
        self.memo[key] = answer
        return answer

    def _values(self, expr: ast.expr, init: bool) -> Iterator[tuple[ast.expr, bool]]:
        """``expr`` followed one step: (value, value is in ``__init__``). Either side of
        ``a or b`` and of ``a if c else b`` may be the value (``os.path.dirname(p) or "."``)."""
        s = self.s
        if isinstance(expr, ast.BoolOp):
            yield from ((v, init) for v in expr.values)
        elif isinstance(expr, ast.IfExp):
            yield from ((v, init) for v in (expr.body, expr.orelse))
        elif isinstance(expr, ast.Name):
            table = s.init_bindings if init else s.bindings
            yield from ((v, init) for v in table.get(expr.id, ()))
        elif isinstance(expr, ast.Attribute):
            base = expr.value
            if (
                isinstance(base, ast.Call)
                and not base.args
                and not base.keywords
                and isinstance(base.func, ast.Attribute)
                and s.is_self(base.func.value)
            ):
                # ``self.asBytesMode().path``: the object in another spelling (a method
                # called without arguments), so its ``path`` is ``self.path``.
                base = base.func.value
            if s.is_self(base):
                yield from ((v, True) for v in s.init_attrs.get(expr.attr, ()))

    def target(self, expr: ast.expr, depth: int = 0, init: bool = False) -> bool:
        """``expr`` is a parameter (or ``self`` of a method, or what ``__init__`` stored from
        its parameter), possibly respelled (``os.fspath(path)``, ``to_bytes(dest)``)."""
        return bool(self._ask("t", expr, init, lambda: self._target(expr, depth, init), False))

    def _target(self, expr: ast.expr, depth: int, init: bool) -> bool:
        s = self.s
        if depth > _DEPTH:
            return False
        if isinstance(expr, ast.Name):
            params = s.init_params if init else s.params
            if expr.id in params or (not init and s.self_is_target and s.is_self(expr)):
                return True
        if isinstance(expr, ast.Call) and expr.args and self._same_path(expr.func):
            return self.target(expr.args[0], depth + 1, init)
        if isinstance(expr, ast.Attribute) and expr.attr == "resolve":
            return self.target(expr.value, depth + 1, init)
        return any(self.target(v, depth + 1, i) for v, i in self._values(expr, init))

    def _same_path(self, func: ast.expr) -> bool:
        q = self.s.qualname(func)
        if q in _SAME_PATH:
            return True
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        return name in _SAME_PATH_NAMES

    def directory_of_target(self, expr: ast.expr, depth: int = 0, init: bool = False) -> bool:
        """``os.path.dirname(target)``, ``target.parent`` (or a name bound to one)."""
        return bool(self._ask("d", expr, init, lambda: self._directory(expr, depth, init), False))

    def _directory(self, expr: ast.expr, depth: int, init: bool) -> bool:
        if depth > _DEPTH:
            return False
        if isinstance(expr, ast.Call) and expr.args:
            q = self.s.qualname(expr.func)
            if q in ("os.path.dirname", "os.path.split") or self._same_path(expr.func):
                return self.target(expr.args[0], 0, init) or (
                    q not in ("os.path.dirname", "os.path.split")
                    and self.directory_of_target(expr.args[0], depth + 1, init)
                )
        if isinstance(expr, ast.Attribute) and expr.attr == "parent":
            return self.target(expr.value, 0, init)
        if isinstance(expr, ast.Subscript):  # os.path.split(path)[0]
            return self.directory_of_target(expr.value, depth + 1, init)
        return any(self.directory_of_target(v, depth + 1, i) for v, i in self._values(expr, init))

    def temp_call(self, call: ast.Call, init: bool = False) -> bool:
        """``mkstemp(dir=<the target's directory>)`` and the like."""
        if self.s.qualname(call.func) not in _TEMP_FILES:
            return False
        return any(
            k.arg == "dir" and self.directory_of_target(k.value, 0, init) for k in call.keywords
        )

    def beside(self, expr: ast.expr, depth: int = 0, init: bool = False) -> str | None:
        """``expr`` names a file beside the target: a temp file made in its directory (or that
        file's ``.name``), or a sibling spelling (``path + ".tmp"``, ``f"{path}.lock"``,
        ``path.with_suffix(...)``, ``intermediate(path)``). Returns ``"temp"``, ``"sibling"``,
        or the qualified name of the project function that made the temp file
        (``with adjacent_tmp_file(path) as f`` ... ``f.name``); None if not beside it."""
        found = self._ask("b", expr, init, lambda: self._beside(expr, depth, init), None)
        return found if isinstance(found, str) else None

    def _beside(self, expr: ast.expr, depth: int, init: bool) -> str | None:
        s = self.s
        if depth > _DEPTH:
            return None
        if isinstance(expr, ast.Attribute) and expr.attr in ("name", "path"):
            return self.beside(expr.value, depth + 1, init)
        if isinstance(expr, ast.Subscript):  # mkstemp(...)[1]
            return self.beside(expr.value, depth + 1, init)
        if isinstance(expr, ast.Call):
            if self.temp_call(expr, init):
                return "temp"
            func = expr.func
            if (
                isinstance(func, ast.Attribute)
                and s.is_self(func.value)
                and (expr.args or expr.keywords)
                and s.cls is not None
                and any(isinstance(f, ast.FunctionDef) and f.name == func.attr for f in s.cls.body)
            ):
                # A path object's ``self.temporarySibling(ext)``: a sibling it makes.
                return "sibling"
            q = s.qualname(expr.func)
            if q is not None and q in _TEMP_FILES:
                return None
            if self._same_path(expr.func) and expr.args:
                return self.beside(expr.args[0], depth + 1, init)
            if q == "typing.cast" and len(expr.args) == 2:
                return self.beside(expr.args[1], depth + 1, init)
            func = expr.func
            if isinstance(func, ast.Attribute) and func.attr in ("with_suffix", "with_name"):
                return "sibling" if self.target(func.value, 0, init) else None
            if q == "os.path.join" and expr.args:
                return "sibling" if self.directory_of_target(expr.args[0], 0, init) else None
            if (
                q is not None
                and s.in_project(q)
                and any(self.target(a, 0, init) for a in expr.args)
            ):
                # A function of this module that names a sibling of its argument
                # (``path_to_intermediate(path)``), or one of another module that may make
                # a temp file beside it (checked project-wide).
                if not q.startswith(f"{s.module}."):
                    return q
                return "sibling" if q[len(s.module) + 1 :] in s.sibling_functions else None
            return None
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, (ast.Add, ast.Mod)):
            parts = [expr.left, expr.right]
            if any(self.target(p, 0, init) for p in parts) and any(
                isinstance(p, (ast.Constant, ast.JoinedStr, ast.Call)) for p in parts
            ):
                return "sibling"
            return None
        if isinstance(expr, ast.JoinedStr):
            values = [v.value for v in expr.values if isinstance(v, ast.FormattedValue)]
            has_text = any(isinstance(v, ast.Constant) for v in expr.values)
            return "sibling" if has_text and any(self.target(v, 0, init) for v in values) else None
        for value, in_init in self._values(expr, init):
            found = self.beside(value, depth + 1, in_init)
            if found is not None:
                return found
        return None


# ---------------------------------------------------------------------- renames


def _rename_pairs(scope: _Scope) -> Iterator[tuple[ast.Call, ast.expr, ast.expr, str]]:
    """Every rename in the function: (call, source, destination, what renames: a stdlib
    name, a rename function of this module, or an imported project name)."""
    calls = scope.body.calls if scope.body is not None else []
    for node in calls:
        func = node.func
        q = scope.qualname(func)
        args = node.args
        if q in RENAMES or (q is not None and q in scope.renamers):
            if len(args) >= 2:
                yield node, args[0], args[1], q
        elif (
            isinstance(func, ast.Attribute)
            and func.attr in ("replace", "rename")
            and len(args) == 1
            and not node.keywords
            and q is None
        ):
            yield node, func.value, args[0], "pathlib.Path.replace"
        elif q is not None and isinstance(func, ast.Name) and len(args) >= 2:
            if scope.in_project(q) and not q.startswith(f"{scope.module}."):
                yield node, args[0], args[1], q  # maybe a rename wrapper: checked project-wide


def _renames_beside(scope: _Scope) -> tuple[str, str] | None:
    """The function renames a file beside its target onto the target: ("", "") when all of it
    is in this module, else (temp_from, renamed_by) to be checked project-wide."""
    paths = _Paths(scope)
    for _call, src, dst, how in _rename_pairs(scope):
        if not paths.target(dst):
            continue
        beside = paths.beside(src)
        if beside is None:
            continue
        temp_from = "" if beside in ("temp", "sibling") else beside
        local = how in RENAMES or how in scope.renamers or how == "pathlib.Path.replace"
        renamed_by = "" if local else how
        return temp_from, renamed_by
    return None


# Calls that write their argument at this position into a file (or copy a file there).
_WRITES_ARG = {
    "os.write": 1,
    "json.dump": 0,
    "pickle.dump": 0,
    "marshal.dump": 0,
    "yaml.dump": 0,
    "yaml.safe_dump": 0,
    "shutil.copy": 0,
    "shutil.copy2": 0,
    "shutil.copyfile": 0,
    "shutil.copyfileobj": 0,
    "shutil.move": 0,
}


def _moves_directories(scope: _Scope) -> bool:
    """The function removes or copies directory trees: what it renames is a directory."""
    calls = scope.body.calls if scope.body is not None else []
    return any(scope.qualname(c.func) in ("shutil.rmtree", "shutil.copytree") for c in calls)


def _target_params(scope: _Scope) -> set[str]:
    """The parameters the function's rename destinations are computed from."""
    found: set[str] = set()
    for _call, _src, dst, _how in _rename_pairs(scope):
        found |= _params_in(scope, dst, set(), 0)
    return found


def _params_in(scope: _Scope, expr: ast.expr, exclude: set[str], depth: int) -> set[str]:
    """The parameters (not in ``exclude``) ``expr`` is computed from, through local names."""
    found: set[str] = set()
    for n in ast.walk(expr):
        if not isinstance(n, ast.Name) or n.id in exclude:
            continue
        if n.id in scope.params:
            found.add(n.id)
        elif depth < 4:
            for value in scope.bindings.get(n.id, ()):
                found |= _params_in(scope, value, exclude, depth + 1)
    return found


def _content_from_caller(scope: _Scope, target: set[str]) -> bool:
    """What the function writes comes from its caller: it hands out a file (``yield``), or
    writes (or copies) a value computed from a parameter other than the target. A function
    that rewrites the target with what it read from it (a search and replace in a file, a
    config patcher) is a transformation, not a writer other code can call."""
    body = scope.body
    if body is None:
        return False
    if body.has_yield:
        return True
    for call in body.calls:
        func = call.func
        position: int | None = None
        if isinstance(func, ast.Attribute) and func.attr in _WRITE_METHODS:
            position = 0
        else:
            position = _WRITES_ARG.get(scope.qualname(func) or "")
        if position is None or len(call.args) <= position:
            continue
        if _params_in(scope, call.args[position], target, 0):
            return True
    return False


def _writes(scope: _Scope, nodes: Iterator[ast.AST]) -> bool:
    """Something in ``nodes`` writes or creates a file, or hands one out (``yield``)."""
    for node in nodes:
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return True
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in _WRITE_METHODS:
            return True
        if isinstance(func, ast.Name) and func.id == "open" and "open" not in scope.imports:
            mode = node.args[1] if len(node.args) > 1 else None
            mode = next((k.value for k in node.keywords if k.arg == "mode"), mode)
            if mode is None:
                continue  # "r"
            if not isinstance(mode, ast.Constant) or set(str(mode.value)) & set("wax+"):
                return True
        elif scope.qualname(func) in _WRITES:
            return True
    return False


def _temp_uses(scope: _Scope) -> Iterator[Writer]:
    """Renames of a file another function made beside a path onto that path: ``with
    maker(path) as f: ...`` then ``rename(f.name, path)``."""
    for call, src, dst, how in _rename_pairs(scope):
        if not (isinstance(src, ast.Attribute) and src.attr == "name"):
            continue
        if not isinstance(src.value, ast.Name):
            continue
        for value in scope.bindings.get(src.value.id, ()):
            if not isinstance(value, ast.Call) or not value.args:
                continue
            maker = scope.qualname(value.func)
            if maker is None or ast.dump(value.args[0]) != ast.dump(dst):
                continue
            local = how in RENAMES or how in scope.renamers or how == "pathlib.Path.replace"
            yield Writer(scope.fn.name, call.lineno, USE, maker, "" if local else how)


def _makes_temp_beside(scope: _Scope) -> bool:
    """The function makes a temp file in its target's directory and hands it (or its name)
    to the caller, by ``yield`` or ``return``."""
    paths = _Paths(scope)
    exits = scope.body.exits if scope.body is not None else []
    return any(n.value is not None and paths.beside(n.value) == "temp" for n in exits)


def _returns_local_writer(scope: _Scope, writers: set[str]) -> bool:
    """``return Writer(path, ...)`` / ``with writer(path) as f: yield f``: a wrapper."""
    paths = _Paths(scope)
    body = scope.body
    if body is None:
        return False
    calls = [n.value for n in body.exits if isinstance(n.value, ast.Call)]
    for node in body.withs if body.has_yield else ():
        if any(isinstance(n, ast.Yield) for n in ast.walk(node)):
            calls.extend(i.context_expr for i in node.items if isinstance(i.context_expr, ast.Call))
    for call in calls:
        func = call.func
        if isinstance(func, ast.Attribute) and scope.cls and scope.is_self(func.value):
            name = f"{scope.cls.name}.{func.attr}"
        elif isinstance(func, ast.Name):
            name = func.id
        else:
            continue
        if name in writers and call.args and paths.target(call.args[0]):
            return True
    return False


# ---------------------------------------------------------------------- the module


def _is_context_manager(scope: _Scope) -> bool:
    return any(
        scope.qualname(d.func if isinstance(d, ast.Call) else d) in _CONTEXT_MANAGERS
        for d in scope.fn.decorator_list
    )


# The scope of module-level code (no function): for resolving names only.
_NO_FUNCTION = ast.FunctionDef(
    name="", args=ast.arguments([], [], None, [], [], None, []), body=[], decorator_list=[]
)


def _module_renamers(
    tree: ast.Module,
    imports: dict[str, str],
    module: str,
    bodies: dict[int, _Body],
    relevant: Callable[[ast.stmt], bool],
) -> set[str]:
    """Module-level names that rename: ``replace = retry(os.replace)``, or a function whose
    body renames its first parameter onto its second."""
    found: set[str] = set()
    defs = frozenset(
        s.name for s in tree.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))
    )
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and relevant(stmt):
            target = stmt.targets[0]
            scope = _Scope(_NO_FUNCTION, imports, module, defs, frozenset())
            refs = {scope.qualname(n) for n in ast.walk(stmt.value) if isinstance(n, ast.expr)}
            if isinstance(target, ast.Name) and refs & RENAMES:
                found.add(target.id)
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            params = _param_names(stmt, False)
            if len(params) < 2 or not relevant(stmt):
                continue
            scope = _Scope(stmt, imports, module, defs, frozenset())
            for node in _body(stmt, bodies).calls:
                if (
                    scope.qualname(node.func) in RENAMES
                    and [getattr(a, "id", None) for a in node.args[:2]] == params[:2]
                ):
                    found.add(stmt.name)
    return found


_InitFacts = tuple[dict[str, list[ast.expr]], frozenset[str], dict[str, list[ast.expr]]]


def _init_facts(cls: ast.ClassDef, bodies: dict[int, _Body]) -> _InitFacts:
    """``self.attr`` -> what ``__init__`` assigned, its parameters, and its local bindings."""
    init = next(
        (s for s in cls.body if isinstance(s, ast.FunctionDef) and s.name == "__init__"), None
    )
    if init is None or not init.args.args:
        return {}, frozenset(), {}
    me = init.args.args[0].arg
    attrs: dict[str, list[ast.expr]] = {}
    nodes = list(ast.walk(init))
    for node in nodes:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if (
                    isinstance(t, ast.Attribute)
                    and isinstance(t.value, ast.Name)
                    and t.value.id == me
                ):
                    attrs.setdefault(t.attr, []).append(node.value)
    return attrs, frozenset(_param_names(init, True)), _local_bindings(nodes)


# Text without which a function holds no rename, no temp file and no call of an imported
# rename function (``str.replace`` takes two arguments): see project_writers._TRIGGER.
RELEVANT = re.compile(
    r"os\.(replace|rename)|shutil\.move|mkstemp|NamedTemporaryFile|mktemp"
    r"|\.(replace|rename)\([^,()]*\)"
    r"|\b\w*(replace|rename)\w*\(|\bmove\w*\(",  # not remove()
)


def module_writers(
    tree: ast.Module, module: str, is_package: bool, text: str | None = None
) -> WriterFacts:
    """The atomic writers of one module (its ``ast``), see the module docstring. With the
    module's ``text``, a function whose own text has no rename and no temp file is not
    analyzed, unless a function that has one calls it (a sibling-name helper, a wrapper)."""
    lines: list[int] | None = None  # where each line starts in ``text``
    if text is not None:
        lines = [0]
        for row in text.splitlines(keepends=True):
            lines.append(lines[-1] + len(row))

    def segment(node: ast.stmt) -> str:
        assert lines is not None and text is not None
        end = min(node.end_lineno or node.lineno, len(lines) - 1)
        return text[lines[node.lineno - 1] : lines[end]]

    def relevant(node: ast.stmt) -> bool:
        return lines is None or RELEVANT.search(segment(node)) is not None

    imports = _imports(tree.body, module, is_package)
    bodies: dict[int, _Body] = {}
    inits: dict[int, _InitFacts] = {}
    local_renamers = _module_renamers(tree, imports, module, bodies, relevant)
    renamers = frozenset(f"{module}.{n}" for n in local_renamers)
    defs = frozenset(
        s.name
        for s in tree.body
        if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    )
    scopes: list[_Scope] = []
    # Functions the relevant ones call by name (``intermediate(path)``, ``_GitFile(...)``).
    called: set[str] = set()
    others: list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, ast.ClassDef | None]] = []
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            members: list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, ast.ClassDef | None]]
            members = [(stmt, None)]
        elif isinstance(stmt, ast.ClassDef):
            members = [
                (item, stmt)
                for item in stmt.body
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
            ]
        else:
            continue
        for fn, cls in members:
            if not relevant(fn):
                others.append((fn, cls))
                continue
            if lines is not None:
                called.update(re.findall(r"\b(\w+)\(", segment(fn)))
            scopes.append(_member_scope(fn, cls, imports, module, defs, renamers, bodies, inits))
    for fn, cls in others:
        if lines is None or fn.name in called or (cls is not None and cls.name in called):
            scopes.append(_member_scope(fn, cls, imports, module, defs, renamers, bodies, inits))
    siblings = frozenset(
        scope.fn.name
        for scope in scopes
        if scope.cls is None
        and scope.body is not None
        and any(
            isinstance(n, ast.Return)
            and n.value is not None
            and _Paths(scope).beside(n.value) == "sibling"
            for n in scope.body.exits
        )
    )
    for scope in scopes:
        scope.sibling_functions = siblings
    writers: dict[str, Writer] = {}
    for scope in scopes:
        found = _renames_beside(scope)
        cls = scope.cls
        whole_class = cls is not None and scope.fn.name != "__init__" and _through_init(scope)
        if found is not None and _moves_directories(scope):
            found = None  # pipx's _install_atomically swaps a directory in: not a file writer
        if found is not None:
            temp_from, renamed_by = found
            if whole_class and cls is not None and scope.fn.name in _CLOSING:
                writes = _writes(scope, ast.walk(cls))  # the object is the file it hands out
            else:
                writes = bool(temp_from) or _content_from_caller(scope, _target_params(scope))
            if not writes:
                continue  # a move, a restore, or a rewrite of what it read from the target
            if whole_class and cls is not None and scope.fn.name in _CLOSING:
                name, line, shape = cls.name, cls.lineno, CLASS
            elif cls is not None:
                name, line, shape = f"{cls.name}.{scope.fn.name}", scope.fn.lineno, METHOD
            else:
                shape = CONTEXT_MANAGER if _is_context_manager(scope) else FUNCTION
                name, line = scope.fn.name, scope.fn.lineno
            writers.setdefault(name, Writer(name, line, shape, temp_from, renamed_by))
        elif _makes_temp_beside(scope):
            name = scope.fn.name if cls is None else f"{cls.name}.{scope.fn.name}"
            writers.setdefault(name, Writer(name, scope.fn.lineno, TEMP_FILE))
    # Wrappers of this module's complete writers, to a fixed point (short chains).
    for _ in range(3):
        complete = {
            n
            for n, w in writers.items()
            if w.shape != TEMP_FILE and not w.temp_from and not w.renamed_by
        }
        added = False
        # A wrapper's own text may have no rename: look at every function that calls one.
        if lines is not None and complete:
            known = {id(sc.fn) for sc in scopes}
            bare = {n.rsplit(".", 1)[-1] + "(" for n in complete}
            for fn, cls in others:
                if id(fn) not in known and any(b in segment(fn) for b in bare):
                    scopes.append(
                        _member_scope(fn, cls, imports, module, defs, renamers, bodies, inits)
                    )
        for scope in scopes:
            cls = scope.cls
            name = scope.fn.name if cls is None else f"{cls.name}.{scope.fn.name}"
            if name in writers or not _returns_local_writer(scope, complete):
                continue
            shape = (
                METHOD
                if cls is not None
                else CONTEXT_MANAGER
                if _is_context_manager(scope)
                else FUNCTION
            )
            writers[name] = Writer(name, scope.fn.lineno, shape)
            added = True
        if not added:
            break
    # Every function, nested ones too (pip's ``_generate_file`` lives inside a function).
    # A function's calls and bindings include its nested functions', so this finds the
    # rename in pip's ``_generate_file`` too (nested in ``_install_wheel``).
    uses: dict[int, Writer] = {}
    for scope in scopes:
        for use in _temp_uses(scope):
            uses.setdefault(use.line, use)
    return WriterFacts(module, (*writers.values(), *uses.values()), tuple(sorted(local_renamers)))


def _member_scope(
    fn: ast.FunctionDef | ast.AsyncFunctionDef,
    cls: ast.ClassDef | None,
    imports: dict[str, str],
    module: str,
    defs: frozenset[str],
    renamers: frozenset[str],
    bodies: dict[int, _Body],
    inits: dict[int, _InitFacts],
) -> _Scope:
    scope = _scope(fn, imports, module, defs, renamers, cls, bodies)
    if cls is not None:
        if id(cls) not in inits:
            inits[id(cls)] = _init_facts(cls, bodies)
        scope.init_attrs, scope.init_params, scope.init_bindings = inits[id(cls)]
    return scope


def _through_init(scope: _Scope) -> bool:
    """The method's rename reaches its target only through ``self.attr`` set by ``__init__``
    (dulwich's ``_GitFile.close``): the class, not the method, is the writer."""
    paths = _Paths(replace(scope, params=frozenset(), self_is_target=False))
    return any(paths.target(dst) for _call, _src, dst, _how in _rename_pairs(scope))


def _scope(
    fn: ast.FunctionDef | ast.AsyncFunctionDef,
    imports: dict[str, str],
    module: str,
    defs: frozenset[str],
    renamers: frozenset[str],
    cls: ast.ClassDef | None,
    bodies: dict[int, _Body],
) -> _Scope:
    body = _body(fn, bodies)
    local_imports = _imports(body.imports, module, False) if body.imports else {}
    scope = _Scope(fn, {**imports, **local_imports}, module, defs, renamers, cls, body)
    scope.bindings = body.bindings
    scope.params = frozenset(_param_names(fn, cls is not None))
    return scope


__all__ = [
    "CLASS",
    "CONTEXT_MANAGER",
    "FUNCTION",
    "METHOD",
    "RENAMES",
    "TEMP_FILE",
    "USE",
    "Writer",
    "WriterFacts",
    "module_writers",
]
