"""Where a written file's content and path come from, as evidence about its durability.

A non-atomic rewrite hurts when the file is the only copy of what it holds. It does not when:

- **the content has another durable copy**: it was fetched from a store (``cache.get_x()``,
  ``store.open_object()``) or is handed to one in the same function (``store.write_object``);
  a torn working copy is checked out again from there;
- **the file is a copy of another stream to a path the caller names** (``copyfileobj(src,
  open(dst, "wb"))`` with ``dst`` a parameter): the source stays, the caller owns the path;
- **the file is an output redirection** the user picked: the same function opens the same path
  for append in the other branch (``> file`` / ``>> file``);
- **the file is a private derived copy** under the application's own data directory, built
  anew from other sources on every run and never read back as the only copy;
- **the function is the file's repair routine** (``repair_*``, ``rebuild_*``): it recomputes
  the file from other state, and running it again undoes a crash in the middle;
- **the code is developer tooling**: a module in a ``tools`` directory, or a
  target derived from ``__file__`` by a module that runs as a script (a stub generator
  rewriting its own package's source in a checkout);
- **the file is the status record of a running job** (async job status files): it means
  nothing once the crash that would tear it has killed the job, like a pid file.

Each function returns the reason as a short phrase, or None. They look at one module; the rules
decide whether to stay silent (not in strict mode).
"""

from __future__ import annotations

import ast
import re
from pathlib import PurePath

from iolint.model.module import ModuleModel
from iolint.model.scopes import dotted_name

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)
_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")

# Receivers that hold data durably on their own: object stores, caches of recorded results.
_STORE_WORDS = frozenset({"store", "stores", "cache", "odb", "db", "database", "objects", "lfs"})
_FILE_WORDS = frozenset({"file", "path", "filename", "fname"})
_STORE_GETS = frozenset({"get", "read", "load", "open", "fetch", "lookup", "retrieve"})
_STORE_PUTS = frozenset({"write", "add", "put", "store", "save", "set", "insert"})
# Directory names of developer tooling, not of code that runs on a user's machine.
_TOOL_DIRS = frozenset({"tools", "_tools", "devtools", "dev_tools"})
_DATA_DIR = re.compile(r"(?i)(^|[._])(user_)?data_?dir(ectory)?\b|user_data_path")
_JOB_WORDS = frozenset({"job", "jobs", "jid"})
_STATUS_WORDS = frozenset({"status", "progress"})


def _words(name: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(name)}


def _receiver_words(func: ast.expr) -> tuple[set[str], set[str]]:
    """(words of the receiver chain, words of the method) of ``a.b.method``."""
    if not isinstance(func, ast.Attribute):
        return set(), set()
    receiver = dotted_name(func.value) or ""
    return _words(receiver.replace(".", "_")), _words(func.attr)


def _store_call(call: ast.Call, verbs: frozenset[str]) -> bool:
    """``cache.get_resolution(id)``, ``store.write_object(...)``: a call on a store. A
    ``cache_file.read_text()`` reads a file named after a cache: that file is no other copy."""
    receiver, method = _receiver_words(call.func)
    if receiver & _FILE_WORDS:
        return False
    return bool(receiver & _STORE_WORDS) and bool(method & verbs)


def _names_in(expr: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(expr) if isinstance(n, ast.Name)}


def _with_targets_from_store(fn: ast.AST) -> set[str]:
    """``with store.open_object(oid) as f``: names bound to a store's objects."""
    out: set[str] = set()
    for node in ast.walk(fn):
        if isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                value = item.context_expr
                if (
                    isinstance(value, ast.Call)
                    and _store_call(value, _STORE_GETS)
                    and isinstance(item.optional_vars, ast.Name)
                ):
                    out.add(item.optional_vars.id)
    return out


def stored_elsewhere(fn: ast.AST, payloads: list[ast.expr]) -> str | None:
    """Every payload is a copy of data a store holds: each name in it was fetched from a store
    (``cache.get_resolution(id)``, ``f.read()`` of ``with store.open_object() as f``) or is
    handed to a store in the same function (``store.write_object([content])``, also through an
    object it was put into: ``blob.data = content; object_store.add_object(blob)``)."""
    if not payloads or not isinstance(fn, _DEFS):
        return None
    from_store = _with_targets_from_store(fn)
    fetched: set[str] = set()
    holders: dict[str, set[str]] = {}  # name -> objects it was stored into (``blob``)
    stored: set[str] = set()
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
            if isinstance(target, ast.Name) and isinstance(value, ast.Call):
                func = value.func
                if _store_call(value, _STORE_GETS) or (
                    isinstance(func, ast.Attribute)
                    and isinstance(func.value, ast.Name)
                    and func.value.id in from_store
                ):
                    fetched.add(target.id)
            if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
                for name in _names_in(value):
                    holders.setdefault(name, set()).add(target.value.id)
        if isinstance(node, ast.Call) and _store_call(node, _STORE_PUTS):
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                stored |= _names_in(arg)
    for payload in payloads:
        names = _names_in(payload)
        if not names:
            return None
        for name in names:
            if name in fetched or name in stored or holders.get(name, set()) & stored:
                continue
            return None
    return "its content has another copy in a store it was fetched from or put into"


def _param_names(fn: ast.AST) -> set[str]:
    if not isinstance(fn, _DEFS):
        return set()
    a = fn.args
    names = {x.arg for x in (*a.posonlyargs, *a.args, *a.kwonlyargs)}
    return names - {"self", "cls"}


def _callee_root(model: ModuleModel, name: ast.Name) -> bool:
    """``os`` of ``os.path.expanduser(...)``, ``fspath`` of ``fspath(p)``: a function or
    module the data goes through, not data."""
    node: ast.AST = name
    parent = model.parent(node)
    while isinstance(parent, ast.Attribute):
        node, parent = parent, model.parent(parent)
    return isinstance(parent, ast.Call) and parent.func is node


def _from_params(
    model: ModuleModel, expr: ast.expr, params: set[str], seen: set[int] | None = None
) -> bool:
    """``expr`` is computed from the function's parameters only (``dst``, ``fspath(dst)``,
    ``os.path.expanduser(args[1].lstrip(">"))`` with ``args = line.split()``)."""
    seen = set() if seen is None else seen
    names = [n for n in ast.walk(expr) if isinstance(n, ast.Name)]
    if not names:
        return False
    for name in names:
        if _callee_root(model, name):
            continue
        bindings = model.bindings_of(name.id, name)
        if not bindings:
            return False
        for b in bindings:
            if id(b.node) in seen or b.kind == "import":
                continue
            seen.add(id(b.node))
            if b.kind == "param":
                if name.id not in params:
                    return False
                continue
            if b.value is None or not _from_params(model, b.value, params, seen):
                return False
    return True


def copy_to_caller_path(
    model: ModuleModel, fn: ast.AST, target: ast.expr | None, uses: list[ast.Call]
) -> str | None:
    """``copyfileobj(self.stream, dst)`` where ``dst`` is opened from a path parameter: a copy
    of another stream to wherever the caller says; the source stays."""
    if target is None or not _from_params(model, target, _param_names(fn)):
        return None
    for call in uses:
        name = dotted_name(call.func) or ""
        if name.rsplit(".", 1)[-1] in ("copyfileobj", "copyfile") and call.args:
            source = call.args[0]
            if not any(isinstance(n, ast.Name) and n.id in _param_names(fn) for n in [source]):
                return "a copy of another stream to a path its caller names"
    return None


def redirection(model: ModuleModel, fn: ast.AST, at: ast.Call) -> str | None:
    """``open(name, "w")`` in one branch and ``open(name, "a")`` in the other: the user's
    ``> file`` / ``>> file`` choice, an output redirection to a file they name."""
    if not isinstance(fn, _DEFS) or not at.args:
        return None
    spelling = ast.unparse(at.args[0])
    if not _from_params(model, at.args[0], _param_names(fn)):
        return None
    parent = model.parent(at)
    while parent is not None and not isinstance(parent, ast.If):
        if parent is fn:
            return None
        parent = model.parent(parent)
    if parent is None:
        return None
    for node in ast.walk(parent):
        if (
            isinstance(node, ast.Call)
            and node is not at
            and node.args
            and ast.unparse(node.args[0]) == spelling
            and dotted_name(node.func) in ("open", "io.open")
        ):
            mode = node.args[1] if len(node.args) > 1 else None
            if isinstance(mode, ast.Constant) and isinstance(mode.value, str) and "a" in mode.value:
                return "an output redirection (`>`/`>>`) to a file the user names"
    return None


def _property_return(cls: ast.ClassDef, attr: str) -> ast.expr | None:
    for stmt in cls.body:
        if isinstance(stmt, _DEFS) and stmt.name == attr:
            decorators = {(dotted_name(d) or "").rsplit(".", 1)[-1] for d in stmt.decorator_list}
            if decorators & {"property", "cached_property"}:
                for node in ast.walk(stmt):
                    if isinstance(node, ast.Return) and node.value is not None:
                        return node.value
    return None


def private_data_copy(
    model: ModuleModel, fn: ast.AST, target: ast.expr | None, read_keys: set[str]
) -> str | None:
    """``self.internal_config_file.write_text(...)`` where the property returns a path under
    the application's data directory (``self.env.isolated_data_directory / ...``) and the
    function does not read that file: a private copy generated from other sources on every
    run (a linter config handed to a subprocess), not a file the user keeps."""
    if not isinstance(target, ast.Attribute) or not isinstance(target.value, ast.Name):
        return None
    if target.value.id != "self" or ast.unparse(target) in read_keys:
        return None
    cls = next((a for a in model.ancestors(fn) if isinstance(a, ast.ClassDef)), None)
    if cls is None:
        return None
    seen: set[str] = set()
    attr: str | None = target.attr
    while attr is not None and attr not in seen:
        seen.add(attr)
        value = _property_return(cls, attr)
        if value is None:
            return None
        if _DATA_DIR.search(ast.unparse(value)):
            return "a private copy generated under the application's data directory"
        # ``self.internal_config_file.parent / name``: follow the property it derives from.
        attr = next(
            (
                n.attr
                for n in ast.walk(value)
                if isinstance(n, ast.Attribute)
                and isinstance(n.value, ast.Name)
                and n.value.id == "self"
            ),
            None,
        )
    return None


def developer_tool(model: ModuleModel, target: ast.expr | None, names: set[str]) -> str | None:
    """A module of a ``tools`` directory, or a target derived from ``__file__`` in
    a module that runs as a script: developer tooling writing into a checkout, where version
    control keeps the previous content. ``names`` are the identifiers the target derives
    from."""
    parent = PurePath(model.path).parent.name
    if parent in _TOOL_DIRS:
        return "developer tooling (a tools directory)"
    if target is not None and "__file__" in names and _runs_as_script(model):
        return "developer tooling (rewrites its own package's source)"
    return None


def _runs_as_script(model: ModuleModel) -> bool:
    for stmt in model.tree.body:
        if isinstance(stmt, ast.If) and "__main__" in ast.unparse(stmt.test):
            return True
    return False


def job_status(
    words: set[str], path_words: set[str] | frozenset[str], comment_words: set[str]
) -> str | None:
    """The status record of an asynchronous job (``job_path``, ``self.path`` joined with a
    ``job_id``) in an async runner: a crash that tears it has ended the job it describes.
    "async" may come from the module's name (``async_wrapper.py``); "status" or "progress"
    must describe the target itself (its words or the function's comments), so that a job
    store persisting queued jobs in a ``status.py`` module stays loud."""
    if not words & _JOB_WORDS:
        return None
    own = words | comment_words
    if "async" in own | path_words or own & _STATUS_WORDS:
        return "the status file of a running job (moot once a crash ends the job)"
    return None


_RECOVERY_WORDS = frozenset({"repair", "rebuild", "regenerate", "recreate", "reconstruct"})


def recovery_routine(fn: ast.AST) -> str | None:
    """``repair_worktree()``, ``rebuild_links()``: the function is the recovery procedure for
    the files it rewrites, recomputing them from other state; a crash in the middle is
    undone by running it again."""
    if isinstance(fn, _DEFS) and _words(fn.name) & _RECOVERY_WORDS:
        return "written by a repair routine that recomputes it (rerun it after a crash)"
    return None


def rewrite_against(
    model: ModuleModel,
    fn: ast.AST,
    at: ast.Call,
    target: ast.expr | None,
    calls: list[ast.Call],
    read_keys: set[str],
    precious: bool,
) -> str | None:
    """Why rewriting ``target`` in place at ``at`` loses nothing, from where its content and
    path come from; ``calls`` are the calls that write the file or are handed it (``f.write(x)``,
    ``copyfileobj(src, f)``, ``p.write_text(x)``), ``read_keys`` the paths the function reads.
    A ``precious`` target (a user's configuration, credentials...) is silenced only as a
    private generated copy: a copy or a redirection onto it still tears it."""
    if precious:
        return private_data_copy(model, fn, target, read_keys)
    payloads = [
        c.args[0]
        for c in calls
        if isinstance(c.func, ast.Attribute)
        and c.func.attr in ("write", "write_text", "write_bytes", "writelines")
        and c.args
    ]
    return (
        recovery_routine(fn)
        or stored_elsewhere(fn, payloads)
        or copy_to_caller_path(model, fn, target, calls)
        or redirection(model, fn, at)
        or private_data_copy(model, fn, target, read_keys)
    )


_FORCE_WORDS = frozenset({"force", "forced", "overwrite", "clobber"})


def forced_move(model: ModuleModel, unlink: ast.stmt, source: ast.expr | None) -> str | None:
    """``if os.path.exists(dst) and force: os.remove(dst)`` then ``os.rename(src, dst)``, where
    ``src`` is an existing file the function moves (not one it wrote): ``mv -f``. The caller
    asked for the destination to go, and after a crash in between the data is still under
    the source's name, so the window loses nothing that was to be kept."""
    if source is None:
        return None
    for anc in (unlink, *model.ancestors(unlink)):
        if isinstance(anc, _DEFS):
            return None
        if isinstance(anc, ast.If):
            words: set[str] = set()
            for node in ast.walk(anc.test):
                if isinstance(node, ast.Name):
                    words |= _words(node.id)
                elif isinstance(node, ast.Attribute):
                    words |= _words(node.attr)
            if words & _FORCE_WORDS:
                return "a forced move: the caller asked to overwrite, the source keeps the data"
    return None


def chunk_of_transfer(model: ModuleModel, fn: ast.AST) -> str | None:
    """A helper that every caller in the module calls only under a test of a ``chunk`` number
    (``if chunk == 1: ... else: self._append_chunk(...)``): it appends one piece of a chunked
    upload, a partial file until the last piece arrives, which the sender resends after an
    interruption."""
    if not isinstance(fn, _DEFS):
        return None
    calls = [
        c
        for c in model.calls_named(fn.name)
        if (dotted_name(c.func) or "").rsplit(".", 1)[-1] == fn.name
    ]
    if not calls:
        return None
    for call in calls:
        guarded = False
        for anc in model.ancestors(call):
            if isinstance(anc, _DEFS):
                break
            if isinstance(anc, ast.If) and any(
                isinstance(n, ast.Name) and "chunk" in _words(n.id) for n in ast.walk(anc.test)
            ):
                guarded = True
                break
        if not guarded:
            return None
    return "one chunk of an upload in progress (the sender resends an interrupted upload)"
