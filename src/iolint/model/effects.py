"""Effects of project functions on the files their callers name (durability, across functions).

The durability pass (:mod:`iolint.model.durability`) follows one function. Real saves are
split: a helper returns the temp file (``f = _tempfile(name)``, ``with self._mktemp() as fp``),
another function writes the path it is given (``merge_ini_files(files, TEMP_FILE)``), a
method of the class renames what another method wrote (``os.rename(self.temp_file, ...)``),
and a two-line wrapper renames for every save of the module (``def _replace(src, dst):
os.rename(src, dst)``). This module answers, for one call or one publish, what the code it
cannot see into does:

- :func:`helper_temp_file`: the call returns a ``tempfile`` file object made by a project
  helper, and where (the helper's ``dir=``, or the system temp directory);
- :func:`written_parameter`: the position of the parameter a function opens for writing
  (a function of this module, or of another module through the project index);
- :func:`temp_attribute`: ``self.attr`` holds a name made by ``mkstemp``/``mktemp`` in a
  method of the class (the file another method of the class wrote);
- :func:`publish_wrapper`: a function whose rename moves its own parameters and that writes
  nothing itself: it publishes for its callers;
- :func:`fsyncs_file_data`: the module fsyncs the data of files (not only directories): its
  authors want durable saves.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from iolint.model.kinds import Category, call_arg, literal_str
from iolint.model.module import ModuleModel
from iolint.model.scopes import walk_local

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)
_OPENERS = frozenset({"builtins.open", "io.open", "codecs.open"})
_TEMP_NAME_CALLS = frozenset({"tempfile.mkstemp", "tempfile.mktemp"})
_DATA_FSYNCS = frozenset({"os.fsync", "os.fdatasync"})


@dataclass(frozen=True)
class HelperTemp:
    """A temp file object returned by a project helper.

    ``call`` is where the temp file is made: the ``tempfile`` call inside a helper of this
    module, or the helper's call here when the helper lives in another module. ``dir`` is the
    helper's ``dir=`` argument when it is in this module; ``system_dir`` says whether the file
    lands in the system temp directory."""

    call: ast.Call
    api: str
    mode: str | None
    dir: ast.expr | None
    system_dir: bool
    raw: bool


def _params(func: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    return [a.arg for a in (*func.args.posonlyargs, *func.args.args)]


def _is_method(model: ModuleModel, func: ast.AST) -> bool:
    return isinstance(model.parent(func), ast.ClassDef)


def _only_param(model: ModuleModel, expr: ast.expr, func: ast.AST) -> str | None:
    """The parameter ``expr`` names, when the name is never rebound in ``func``."""
    if not isinstance(expr, ast.Name) or not isinstance(func, _DEFS):
        return None
    if expr.id not in _params(func):
        return None
    bindings = model.bindings_of(expr.id, expr) or []
    if not bindings or any(b.kind != "param" for b in bindings):
        return None
    return expr.id


# ---------------------------------------------------------------------- helper temp files


def _system_dir(model: ModuleModel, call: ast.Call, dir_pos: int) -> tuple[ast.expr | None, bool]:
    if any(isinstance(a, ast.Starred) for a in call.args) or any(
        k.arg is None for k in call.keywords
    ):
        return None, False  # ``**kwargs`` may carry ``dir=``
    d = call_arg(call, dir_pos, "dir")
    if d is None or (isinstance(d, ast.Constant) and d.value is None):
        return d, True
    if literal_str(d) in ("/tmp", "/var/tmp"):
        return d, True
    if isinstance(d, ast.Call) and model.call_qualname(d) == "tempfile.gettempdir":
        return d, True
    return d, False


def helper_temp_file(model: ModuleModel, call: ast.Call) -> HelperTemp | None:
    """``_tempfile(name)`` / ``self._mktemp()`` returning ``tempfile.NamedTemporaryFile(...)``
    (in this module, or in another one through the index)."""
    local = model.local_callee(call.func)
    project_name: str | None = None
    if local is None:
        if model.project is None:
            return None
        project_name = model.call_qualname(call) or model.project_qualname(call.func)
        if project_name is None:
            return None
    kind = model.kind_of(call)
    if kind is None or kind.category is not Category.FILE or not kind.temp:
        return None
    origin = kind.origin
    if isinstance(origin, ast.Call) and origin is not call and local is not None:
        q = model.call_qualname(origin) or "tempfile"
        if q != "tempfile.NamedTemporaryFile":
            return None  # TemporaryFile/SpooledTemporaryFile have no name to publish
        d, system = _system_dir(model, origin, 6)
        return HelperTemp(origin, q, kind.mode, d, system, kind.raw)
    if project_name is not None and model.project is not None:
        in_system = model.project.temp_in_system_dir(project_name)
        if in_system is None:
            return None
        return HelperTemp(call, project_name, kind.mode, None, in_system, kind.raw)
    return None


def returns_system_temp(model: ModuleModel, func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """For the index: ``func`` returns a named temp file made in the system temp directory."""
    kind = model.return_kind(func)
    if kind is None or not kind.temp or not isinstance(kind.origin, ast.Call):
        return False
    if model.call_qualname(kind.origin) != "tempfile.NamedTemporaryFile":
        return False
    return _system_dir(model, kind.origin, 6)[1]


# ---------------------------------------------------------------------- written parameters


def _opened_for_writing(model: ModuleModel, call: ast.Call) -> ast.expr | None:
    """The path a call opens for writing (``open(p, "w")``, ``p.open("a")``,
    ``p.write_text(...)``, ``os.open(p, O_CREAT...)``), else None."""
    q = model.call_qualname(call)
    if q in _OPENERS:
        mode = literal_str(call_arg(call, 1, "mode"))
        # "r+" updates a file that exists (borg's safe_unlink truncates one before removing
        # it): only modes that create or replace the content say "writes this path".
        if mode is not None and any(ch in mode for ch in "wax"):
            return call_arg(call, 0, "file")
        return None
    if q == "os.open":
        flags = call_arg(call, 1, "flags")
        if flags is not None and model.mentions(flags, "os.O_CREAT"):
            return call_arg(call, 0, "path")
        return None
    func = call.func
    if q is None and isinstance(func, ast.Attribute):
        if func.attr in ("write_text", "write_bytes") and len(call.args) <= 1:
            return func.value
        if func.attr == "open" and len(call.args) <= 1:
            mode = literal_str(call_arg(call, 0, "mode"))
            if mode is not None and any(ch in mode for ch in "wax"):
                return func.value
    return None


def _written_parameters(model: ModuleModel) -> dict[ast.AST, int | None]:
    """Per-module memo of :func:`written_parameter` (a helper is called many times)."""
    return {}


def written_parameter(model: ModuleModel, func: ast.AST) -> int | None:
    """The position (``self`` counted) of the parameter ``func`` opens for writing, when the
    function writes that path whatever else it does."""
    memo = model.fact(_written_parameters)
    if func not in memo:
        memo[func] = _written_parameter(model, func)
    return memo[func]


def _opening_scopes(model: ModuleModel) -> frozenset[ast.AST]:
    """The functions (and other scopes) with a call spelled like one :func:`_opened_for_writing`
    knows: every opener is ``open`` (builtin, ``io``, ``codecs``, ``os``, ``Path.open``),
    ``write_text`` or ``write_bytes``. A function outside this set opens nothing for writing
    and need not be walked (helpers are asked about for every call they receive)."""
    return frozenset(
        model.scope_of(c).node for c in model.calls_named("open", "write_text", "write_bytes")
    )


def _written_parameter(model: ModuleModel, func: ast.AST) -> int | None:
    if not isinstance(func, _DEFS) or func not in model.fact(_opening_scopes):
        return None
    params = _params(func)
    for node in walk_local(func.body):
        if not isinstance(node, ast.Call):
            continue
        path = _opened_for_writing(model, node)
        name = _only_param(model, path, func) if path is not None else None
        if name is not None:
            return params.index(name)
    return None


# Calls a file object may be handed to without being synced: stdlib serializers and ``print``.
_PLAIN_WRITERS = frozenset(
    {"builtins.print", "json.dump", "pickle.dump", "marshal.dump", "shutil.copyfileobj"}
)
# Methods of the file object that write or close it and sync nothing.
_PLAIN_METHODS = frozenset({"write", "writelines", "close", "seek", "truncate", "tell"})


def _syncs_anything(func: ast.AST) -> bool:
    """A call spelled like a sync (``os.fsync``, ``f.flush_and_sync()``, ``self._sync(f)``),
    anywhere in ``func``: what it syncs is not followed."""
    for node in walk_local(func.body):  # type: ignore[attr-defined]
        if isinstance(node, ast.Call):
            f = node.func
            name = (
                f.attr
                if isinstance(f, ast.Attribute)
                else (f.id if isinstance(f, ast.Name) else "")
            )
            low = name.lower()
            if "sync" in low and "async" not in low:
                return True
    return False


def _file_object_name(model: ModuleModel, opener: ast.Call) -> str | None:
    """The local name the opened file object is bound to (``with open(p) as f``,
    ``f = open(p)``); ``""`` when the opener writes by itself (``p.write_text(x)``) or its
    object is used on the spot (``open(p, "w").write(x)``); None when the object goes
    anywhere else (returned, stored, passed on)."""
    func = opener.func
    if isinstance(func, ast.Attribute) and func.attr in ("write_text", "write_bytes"):
        return ""
    parent = model.parent(opener)
    if isinstance(parent, ast.withitem):
        var = parent.optional_vars
        if var is None:
            return ""
        return var.id if isinstance(var, ast.Name) else None
    if isinstance(parent, ast.Assign) and len(parent.targets) == 1:
        target = parent.targets[0]
        return target.id if isinstance(target, ast.Name) else None
    if isinstance(parent, ast.Attribute) and parent.attr in _PLAIN_METHODS:
        return ""
    return None


def _plain_use(model: ModuleModel, use: ast.Name) -> bool:
    """``f.write(x)``, ``f.close()``, ``json.dump(obj, f)``, ``print(x, file=f)``."""
    parent = model.parent(use)
    if isinstance(parent, ast.Attribute) and parent.attr in _PLAIN_METHODS:
        call = model.parent(parent)
        return isinstance(call, ast.Call) and call.func is parent
    if isinstance(parent, ast.keyword):
        parent = model.parent(parent)
    return isinstance(parent, ast.Call) and model.call_qualname(parent) in _PLAIN_WRITERS


def written_parameter_sync(model: ModuleModel, func: ast.AST) -> str:
    """Whether ``func`` (a function of this module that writes its parameter, see
    :func:`written_parameter`) syncs that file: ``"synced"`` when it calls ``os.fsync`` or
    ``os.fdatasync``; ``"unsynced"`` when it visibly syncs nothing (it calls nothing named like
    a sync, and the file object it opens is only written, closed or handed to a stdlib
    serializer), so that a caller renaming the path into place publishes unsynced data as if
    it had written the file itself; ``"unknown"`` otherwise (the file goes to code passed in,
    is returned, or a sync-named helper is called)."""
    if not isinstance(func, _DEFS) or written_parameter(model, func) is None:
        return "unknown"
    calls = [n for n in walk_local(func.body) if isinstance(n, ast.Call)]
    if any(model.call_qualname(c) in _DATA_FSYNCS for c in calls):
        return "synced"
    if _syncs_anything(func):
        return "unknown"
    for node in calls:
        if _opened_for_writing(model, node) is None:
            continue
        if model.call_qualname(node) == "os.open":
            return "unknown"  # a descriptor: written and synced through other names
        name = _file_object_name(model, node)
        if name is None:
            return "unknown"
        if not name:
            continue
        if len(model.bindings_of(name, node) or []) != 1:
            return "unknown"
        for use in walk_local(func.body):
            if isinstance(use, ast.Name) and use.id == name and isinstance(use.ctx, ast.Load):
                if not _plain_use(model, use):
                    return "unknown"
    return "unsynced"


def written_argument(model: ModuleModel, call: ast.Call) -> ast.expr | None:
    """The argument of ``call`` that the called project function opens for writing."""
    local = model.local_callee(call.func)
    if local is not None:
        position = written_parameter(model, local)
        if position is None:
            return None
        if _is_method(model, local) and isinstance(call.func, ast.Attribute):
            position -= 1  # ``self.write_to(path)``: ``self`` is not in ``call.args``
        names = _params(local)  # type: ignore[arg-type]
        keyword = names[position + (1 if _is_method(model, local) else 0)]
        return call_arg(call, position, keyword) if position >= 0 else None
    if model.project is None:
        return None
    q = model.call_qualname(call) or model.project_qualname(call.func)
    if q is None:
        return None
    position = model.project.written_parameter(q)
    return call_arg(call, position) if position is not None else None


# ---------------------------------------------------------------------- temp attributes


def _temp_name_value(model: ModuleModel, value: ast.expr | None, depth: int = 0) -> bool:
    """``value`` is a name made by ``mkstemp``/``mktemp`` (directly or through a local)."""
    if value is None or depth > 3:
        return False
    if isinstance(value, ast.Call) and model.call_qualname(value) in _TEMP_NAME_CALLS:
        return True
    if isinstance(value, ast.Name):
        for b in model.bindings_of(value.id, value) or ():
            if b.kind != "assign":
                continue
            v = b.value
            if isinstance(v, ast.Call) and model.call_qualname(v) == "tempfile.mkstemp":
                if b.index == 1:
                    return True
                continue
            if b.index is None and _temp_name_value(model, v, depth + 1):
                return True
    return False


def temp_attribute(model: ModuleModel, expr: ast.expr) -> bool:
    """``self.temp_file`` in a method, where a method of the class (or of a base class of
    this module) stores a name made by ``mkstemp``/``mktemp`` in that attribute."""
    if not isinstance(expr, ast.Attribute) or not isinstance(expr.value, ast.Name):
        return False
    cls, self_name = model._enclosing_method_class(expr)
    if cls is None or expr.value.id != self_name:
        return False
    for current in model._local_class_chain(cls):
        for b in model.class_attributes(current).get(expr.attr, []):
            if _temp_name_value(model, b.value):
                return True
    return False


# ---------------------------------------------------------------------- publish wrappers


def publish_alias(model: ModuleModel, func: ast.expr) -> str | None:
    """``replace = os.replace`` (with ``os.rename`` as the fallback where it is missing, and
    perhaps a ``def replace`` for Windows): the call publishes. ``os.replace`` when any
    binding assigns it, else ``os.rename``; None unless every assignment is one of them."""
    if not isinstance(func, ast.Name):
        return None
    bindings = model.bindings_of(func.id, func) or []
    assigned = [b for b in bindings if b.kind != "def"]
    if not assigned or any(b.kind != "assign" or b.value is None for b in assigned):
        return None
    names = {model.qualname(b.value) for b in assigned if b.value is not None}
    if not names <= {"os.replace", "os.rename"}:
        return None
    return "os.replace" if "os.replace" in names else "os.rename"


def publish_wrapper(model: ModuleModel, func: ast.AST, source: ast.expr, target: ast.expr) -> bool:
    """``def _replace_atomic(src, dst): os.rename(src, dst)``: a thin wrapper (its body is the
    rename, after a docstring) named as the atomic publish step, that moves its own parameters:
    what it publishes was written, and fsynced, by its callers. Functions that do more (a
    ``link``/``unlink`` fallback, an existence check) or are not named so say nothing about
    their callers' intent."""
    if not isinstance(func, _DEFS) or "atomic" not in func.name.lower():
        return False
    body = [
        s
        for s in func.body
        if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
        and not isinstance(s, ast.Pass)
    ]
    if len(body) != 1 or not isinstance(body[0], (ast.Expr, ast.Return)):
        return False
    return (
        _only_param(model, source, func) is not None
        and _only_param(model, target, func) is not None
    )


def wrapper_calls(
    model: ModuleModel, func: ast.AST, source: ast.expr, target: ast.expr
) -> list[tuple[ast.Call, ast.expr | None, ast.expr | None]]:
    """The calls of the publish wrapper ``func`` in this module, with the arguments they
    pass as its source and target (None where the model cannot tell)."""
    if not isinstance(func, _DEFS):
        return []
    params = _params(func)
    offset = 1 if _is_method(model, func) else 0
    out: list[tuple[ast.Call, ast.expr | None, ast.expr | None]] = []
    for call in model.calls_named(func.name):
        if model.local_callee(call.func) is not func:
            continue
        args = []
        for expr in (source, target):
            position = params.index(expr.id) - offset  # type: ignore[attr-defined]
            args.append(call_arg(call, position, expr.id) if position >= 0 else None)  # type: ignore[attr-defined]
        out.append((call, args[0], args[1]))
    return out


def fsyncs_file_data(model: ModuleModel) -> bool:
    """The module fsyncs the data of a file object (``os.fsync(f.fileno())``, also through
    ``getattr(f, "fileobj", f).fileno()``): its saves are meant to be durable. Descriptors
    opened on directories do not count."""
    for call in model.calls_named("fsync", "fdatasync"):
        if model.call_qualname(call) not in _DATA_FSYNCS or not call.args:
            continue
        fd = call.args[0]
        if isinstance(fd, ast.Call) and isinstance(fd.func, ast.Attribute):
            if fd.func.attr == "fileno":
                return True
    return False
