"""IO306's fix: turn ``with open(target, "w") as f:`` (or a ``target.write_text(data)``
statement) into an atomic, durable rewrite.

The rewrite is a call to a context manager that writes a temp file beside the target and
replaces the target only when the block succeeds. Only the callee of the ``with`` changes
(``open`` becomes the helper), so the block's body, its comments and its layout stay as they
were, and ``return``/``break`` inside the block commit the file just as they closed it before.

The helper is the module's own when it has one of that shape (a ``@contextmanager`` that takes
the path and ``mode`` and yields the file), else it is added once to the module, right after
the import block; a second rewrite in the module then calls it. What it keeps, and what it
cannot keep, is documented on the rule page (``rules/IO306.md``, "Fix safety"):

- the content, and the ``mode``/``encoding``/``newline``/``errors``/``buffering`` arguments:
  they are passed on to ``open()`` of the temp file's descriptor;
- the permission bits of an existing target (the temp file is created with them and chmod-ed,
  since the umask may have cleared some); a new target gets ``0o666 & ~umask`` like ``open()``;
- the owner and group, where the process may set them (root; or its own uid and one of its
  groups), else the writer's;
- a symlinked target stays a symlink: the link's real path is what gets replaced;
- a target that is not a regular file (``/dev/null``, ``/dev/stdout``, a FIFO) is written in
  place as before, never replaced by a regular file;
- a target the caller may not write still raises ``PermissionError``, as ``open()`` did;
- on any failure (the block, flush, fsync, replace) the temp file is removed, the error
  re-raised and the old file left intact; the descriptor is closed by ``with``.
It cannot keep an owner the process may not give away (a non-root writer of another user's
file), hard links (the other names keep the old content), ACLs, extended attributes and
security labels.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from iolint.diagnostics import Applicability, Edit, Fix
from iolint.edits import fresh_name, indent_unit, stands_alone
from iolint.fixes.cst import Insertion, insert_statements, statement_anchor
from iolint.fixes.imports import first_after_imports, import_edits, need_modules
from iolint.fixes.quotes import in_module_style
from iolint.model import ModuleModel
from iolint.model.durability import WrittenFile, durability_facts

if TYPE_CHECKING:
    from iolint.model.project_writers import ProjectWriter

HELPER_MODULES = ("contextlib", "errno", "os", "stat")

# Keyword arguments of open() that make sense for a descriptor the helper opened itself.
_PASSABLE = frozenset({"mode", "buffering", "encoding", "errors", "newline"})

_HELPER = '''\
@contextlib.contextmanager
def {name}(path, mode="w", *args, **kwargs):
    """Write ``path`` through a temp file beside it, fsynced, then replace it.

    On any error the temp file is removed and the old file kept. The mode
    bits (and owner, where allowed) are kept; a symlink is followed.
    """
    real = os.path.realpath(path)
    try:
        old = os.stat(real)
    except FileNotFoundError:
        old = None
    if old is not None and not stat.S_ISREG(old.st_mode):
        # A device or a FIFO (/dev/null, /dev/stdout) is written, not replaced.
        with open(path, mode, *args, **kwargs) as f:
            yield f
        return
    perms = None if old is None else old.st_mode & 0o777
    if perms is not None and not os.access(real, os.W_OK):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)
    suffix = f".{{os.urandom(6).hex()}}.tmp"
    tmp = real + (os.fsencode(suffix) if isinstance(real, bytes) else suffix)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(tmp, flags, 0o666 if perms is None else perms)
    try:
        with open(fd, mode, *args, **kwargs) as f:
            if old is not None:
                if hasattr(os, "chown"):
                    with contextlib.suppress(OSError):  # where allowed
                        os.chown(tmp, old.st_uid, old.st_gid)
                os.chmod(tmp, perms)  # the umask may have cleared some
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, real)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if os.name == "nt":
        return
    try:
        dir_fd = os.open(os.path.dirname(real), os.O_RDONLY)
    except PermissionError:  # a directory it can write but not read
        return
    try:
        os.fsync(dir_fd)
    except OSError as exc:  # some file systems cannot sync a directory
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise
    finally:
        os.close(dir_fd)
'''


def helper_source(name: str) -> str:
    return _HELPER.format(name=name)


@dataclass(frozen=True)
class AtomicWriters:
    """The module's atomic writers: one the fix can call as ``with name(path, mode, ...)``
    (None if none), and the names of the others."""

    callable_name: str | None
    other_names: tuple[str, ...]


def _is_contextmanager(model: ModuleModel, fn: ast.FunctionDef) -> bool:
    return any(
        model.qualname(d) == "contextlib.contextmanager"
        or (isinstance(d, ast.Name) and d.id == "contextmanager")
        for d in fn.decorator_list
    )


def _open_like_signature(fn: ast.FunctionDef) -> bool:
    """``(path, mode=..., *args, **kwargs)``: takes what ``open()`` takes."""
    a = fn.args
    params = [*a.posonlyargs, *a.args]
    return (
        len(params) >= 2
        and params[1].arg == "mode"
        and a.vararg is not None
        and a.kwarg is not None
        and len(a.defaults) >= len(params) - 1
    )


def atomic_writers(model: ModuleModel) -> AtomicWriters:
    """Module-level functions that write a file, fsync it and publish it (the durability
    model's facts), split by whether the fix can call them in place of ``open``."""
    usable: str | None = None
    others: list[str] = []
    for facts in model.fact(durability_facts).functions:
        fn = facts.node
        if not isinstance(fn, ast.FunctionDef) or model.parent(fn) is not model.tree:
            continue
        params = {a.arg for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs)}
        durable = [p for p in facts.publishes if any(s.seq < p.seq for s in facts.syncs)]
        # A writer of its own file (``save_state(self)``) is not a helper for others: the
        # target must come from a parameter.
        if not any(_derived_from(model, p.target, params) for p in durable):
            continue
        yields = any(isinstance(n, ast.Yield) for n in ast.walk(fn))
        if _is_contextmanager(model, fn) and yields and _open_like_signature(fn):
            usable = usable or fn.name
        else:
            others.append(fn.name)
    return AtomicWriters(usable, tuple(others))


def project_writers(model: ModuleModel) -> tuple[ProjectWriter, ...]:
    """The atomic writers of the project this module belongs to (every module of its
    top-level package, model/project_writers.py), best first; () outside a package.
    Imported here: only a finding this fix reaches pays for the project's writers."""
    from iolint.model.index import shared_index, writers_digest
    from iolint.model.project_writers import in_skipped_dir, package_dir

    path = Path(model.path)
    if not path.is_file():
        return ()
    package = package_dir(path, model.module, model.is_package)
    if package is None or in_skipped_dir(package, path):
        return ()  # vendored code (pip/_vendor/...) is another project's, tests are not code
    index = model.project.index if model.project is not None else None
    if index is None or not package.resolve().is_relative_to(index.root):
        index = shared_index(package.parent, None)
    found = index.atomic_writers(package)
    if model.project is not None:
        # A cached result of this file is stale once the package's writers change.
        model.project.consulted_writers(package, writers_digest(found))
    return tuple(w for w in found if _reachable(model, w))


def _reachable(model: ModuleModel, writer: ProjectWriter) -> bool:
    """A method writer needs an object of its class: it counts only in a module that names
    the class or already calls the method (ansible's ``AnsibleModule.atomic_move`` in its
    modules, not in its controller code; hatch's ``Path.write_atomic``)."""
    from iolint.model.atomic_writers import METHOD

    if writer.shape != METHOD:
        return True
    cls, method = writer.qualname.rsplit(".", 2)[-2:]
    for node in model.nodes(ast.Name, ast.Attribute, ast.Import, ast.ImportFrom):
        if isinstance(node, ast.Name) and node.id == cls:
            return True
        if isinstance(node, ast.Attribute) and node.attr in (cls, method):
            return True
        if isinstance(node, (ast.Import, ast.ImportFrom)) and any(
            a.name.rsplit(".", 1)[-1] == cls for a in node.names
        ):
            return True
    return False


def _where(writer: ProjectWriter, model: ModuleModel, at: tuple[Path, int] | None = None) -> str:
    """``path:line`` of a writer (or of ``at``), relative to the project root."""
    from iolint.model.project_writers import package_dir

    file, line = at if at is not None else (writer.path, writer.line)
    index = model.project.index if model.project is not None else None
    package = package_dir(Path(model.path), model.module, model.is_package)
    for base in (index.root if index is not None else None, package and package.parent):
        if base is not None and file.is_relative_to(base):
            return f"{file.relative_to(base).as_posix()}:{line}"
    return f"{file.as_posix()}:{line}"


def project_writer_advice(model: ModuleModel, writers: tuple[ProjectWriter, ...]) -> str:
    """What IO306's advice says: the project's best writer, where it is, how it is used."""
    from iolint.model.atomic_writers import TEMP_FILE

    best = writers[0]
    text = (
        f"Write through this project's own atomic writer, not an inline copy: "
        f"`{best.qualname}` ({_where(best, model)})"
    )
    if best.shape == TEMP_FILE and best.used_at is not None:
        renamer = best.renamer.rsplit(".", 1)[-1]
        text += (
            f" for the temp file beside the target, then `{renamer}(f.name, target)`, "
            f"as {_where(best, model, best.used_at)} does"
        )
    # Private helpers are named only when nothing public is (dulwich's ``GitFile`` returns
    # its ``_GitFile``).
    rest = [w for w in writers[1:] if best.private or not w.private]
    others = [f"`{w.qualname}`" for w in rest[:2]]
    if others:
        more = len(rest) - len(others)
        text += "; also " + ", ".join(others) + (f" and {more} more" if more > 0 else "")
    return text


def _derived_from(model: ModuleModel, expr: ast.expr, params: set[str]) -> bool:
    """``expr`` is computed from one of ``params`` (directly or through one local)."""
    for n in ast.walk(expr):
        if not isinstance(n, ast.Name):
            continue
        if n.id in params:
            return True
        for b in model.bindings_of(n.id, n) or ():
            if b.value is not None and any(
                isinstance(m, ast.Name) and m.id in params for m in ast.walk(b.value)
            ):
                return True
    return False


def _top_level(model: ModuleModel, node: ast.AST) -> ast.stmt | None:
    for anc in (node, *model.ancestors(node)):
        if model.parent(anc) is model.tree and isinstance(anc, ast.stmt):
            return anc
    return None


def _etc_path(model: ModuleModel, path: ast.expr) -> bool:
    """The target is spelled under ``/etc``: owner, group and labels matter there. Names are
    followed through their assignments, a module constant too (pipx's ``config_file =
    _GLOBAL_PATH_FILE``, ``Path("/etc/profile.d/pipx.sh")``)."""
    values: list[ast.AST] = [path]
    seen: set[int] = set()
    i = 0
    while i < len(values) and i < 32:
        for n in ast.walk(values[i]):
            if isinstance(n, ast.Name) and id(n) not in seen:
                seen.add(id(n))
                values += [b.value for b in model.bindings_of(n.id, n) or () if b.value]
        i += 1
    for value in values:
        for n in ast.walk(value):
            if isinstance(n, ast.Constant) and isinstance(n.value, (str, bytes)):
                text = n.value.decode("latin-1") if isinstance(n.value, bytes) else n.value
                if text == "/etc" or text.startswith("/etc/"):
                    return True
    return False


def _configured_under_etc(model: ModuleModel, path: ast.expr) -> bool:
    """The target comes from outside the function (an attribute such as ``self.dest``, or a
    parameter) in a module whose configuration defaults to a directory under ``/etc`` (an
    ansible module's ``reposdir=dict(default='/etc/yum.repos.d')``): it is a system file."""
    if not isinstance(path, (ast.Attribute, ast.Name)):
        return False
    defaults: list[ast.expr] = []
    for node in model.nodes(ast.Call, ast.Dict, ast.FunctionDef, ast.AsyncFunctionDef):
        if isinstance(node, ast.Call):
            defaults += [k.value for k in node.keywords if k.arg == "default"]
        elif isinstance(node, ast.Dict):
            defaults += [
                v
                for k, v in zip(node.keys, node.values)
                if isinstance(k, ast.Constant) and k.value == "default"
            ]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            defaults += [*node.args.defaults, *(d for d in node.args.kw_defaults if d)]
    return any(
        isinstance(d, ast.Constant)
        and isinstance(d.value, str)
        and (d.value == "/etc" or d.value.startswith("/etc/"))
        for d in defaults
    )


def _passes_path_to_io(model: ModuleModel, body: list[ast.stmt], path: ast.expr) -> bool:
    """The block opens, stats or reads the target itself: it would see the old file where it
    saw the truncated one."""
    wanted = ast.dump(path)
    for node in (n for s in body for n in ast.walk(s)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and ast.dump(func.value) == wanted:
            return True  # path.read_text(), path.stat(), ...
        args = [*node.args, *(k.value for k in node.keywords)]
        if any(ast.dump(a) == wanted for a in args):
            q = model.call_qualname(node) or ""
            if q.split(".")[0] in ("builtins", "io", "os", "shutil", "pathlib"):
                return True
    return False


def _uses_name_attribute(body: list[ast.stmt], var: str) -> bool:
    """``f.name`` is the path for ``open(path)``, the descriptor for the temp file."""
    return any(
        isinstance(n, ast.Attribute)
        and n.attr == "name"
        and isinstance(n.value, ast.Name)
        and n.value.id == var
        for s in body
        for n in ast.walk(s)
    )


def _call_fits(model: ModuleModel, call: ast.Call) -> bool:
    """``open(target, "w"...)``: a literal truncating mode and only arguments the helper
    passes on (no ``closefd``/``opener``, no ``*args``)."""
    mode: ast.expr | None = call.args[1] if len(call.args) > 1 else None
    if len(call.args) > 5 or any(isinstance(a, ast.Starred) for a in call.args):
        return False
    for k in call.keywords:
        if k.arg not in _PASSABLE:
            return False
        if k.arg == "mode":
            mode = k.value
    if not isinstance(mode, ast.Constant) or not isinstance(mode.value, str):
        return False
    return "w" in mode.value and not set(mode.value) & set("axr")


@dataclass(frozen=True)
class _Site:
    """Where the fix writes through the helper: the statement (for where the helper can go)
    and the edits that call the helper named ``name`` there."""

    stmt: ast.stmt
    path: ast.expr
    edits: Callable[[str], list[Edit]]


def _with_site(model: ModuleModel, file: WrittenFile) -> _Site | None:
    """``with open(target, "w"...) as f:``: ``open`` becomes the helper."""
    w = file.with_stmt
    call = file.node
    if not isinstance(w, ast.With) or not any(item.context_expr is call for item in w.items):
        return None
    item = next(i for i in w.items if i.context_expr is call)
    var = item.optional_vars
    if not isinstance(var, ast.Name) or file.api != "open" or file.path is None:
        return None
    if model.call_qualname(call) not in ("builtins.open", "io.open"):
        return None
    if not call.args or call.args[0] is not file.path or not _call_fits(model, call):
        return None
    if _uses_name_attribute(w.body, var.id) or _passes_path_to_io(model, w.body, file.path):
        return None
    if any(model.start(use) > model.end(w) for use in model.uses_after(var.id, item)):
        return None
    func = call.func
    return _Site(w, file.path, lambda name: [Edit(model.start(func), model.end(func), name)])


_PATH_WRITE_ARGS = {"write_text": ("encoding", "errors", "newline"), "write_bytes": ()}


def _path_write_site(model: ModuleModel, file: WrittenFile) -> _Site | None:
    """``target.write_text(data, ...)`` as a statement: a ``with`` block of the helper that
    writes ``data`` (the count it returned was not used)."""
    call = file.node
    func = call.func
    if file.api != "path.write" or not isinstance(func, ast.Attribute):
        return None
    names = _PATH_WRITE_ARGS.get(func.attr)
    stmt = model.parent(call)
    if names is None or not isinstance(stmt, ast.Expr) or not stands_alone(model, stmt):
        return None
    if not _simple_path(func.value) or any(isinstance(a, ast.Starred) for a in call.args):
        return None
    data = call.args[0] if call.args else None
    options: list[tuple[str, ast.expr]] = list(zip(names, call.args[1:]))
    if len(call.args) > 1 + len(names):
        return None
    for k in call.keywords:
        if k.arg == "data" and data is None:
            data = k.value
        elif k.arg in names:
            options.append((k.arg, k.value))
        else:
            return None
    if data is None:
        return None
    mode = "w" if func.attr == "write_text" else "wb"
    target, data_text = model.text_of(func.value), model.text_of(data)
    extra = "".join(f", {k}={model.text_of(v)}" for k, v in options)
    f = _free_in_function(model, stmt, "f")
    indent = model.source.indentation(model.start(stmt).line)
    nl = model.source.newline

    def edits(name: str) -> list[Edit]:
        text = (
            f'with {name}({target}, "{mode}"{extra}) as {f}:'
            f"{nl}{indent}{indent_unit(model, stmt)}{f}.write({data_text})"
        )
        return [Edit(model.start(stmt), model.end(stmt), text)]

    return _Site(stmt, func.value, edits)


def _free_in_function(model: ModuleModel, stmt: ast.stmt, base: str) -> str:
    """A name no code of the enclosing function mentions (the whole module at top level)."""
    unit = model.enclosing_function(stmt)
    if unit is None:
        return fresh_name(model, base)
    taken = {n.id for n in ast.walk(unit) if isinstance(n, ast.Name)}
    taken |= {a.arg for a in ast.walk(unit) if isinstance(a, ast.arg)}
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}{n}"
    return name


def _simple_path(expr: ast.expr) -> bool:
    """A name or attribute chain: evaluated once, as before."""
    while isinstance(expr, ast.Attribute):
        expr = expr.value
    return isinstance(expr, ast.Name)


def atomic_rewrite_fix(model: ModuleModel, file: WrittenFile) -> Fix | None:
    """The IO306 fix for ``file``, or None when it cannot keep the block's behaviour."""
    site = _with_site(model, file) or _path_write_site(model, file)
    if site is None:
        return None
    writers = atomic_writers(model)
    if writers.callable_name is None and writers.other_names:
        # An inline copy beside the project's own writer would be wrong; calling it needs a
        # change this fix cannot derive (its arguments differ from open()'s).
        names = ", ".join(f"`{n}()`" for n in writers.other_names)
        return Fix(
            f"Write through this module's atomic writer ({names}) instead",
            Applicability.DISPLAY_ONLY,
            (),
        )
    if writers.callable_name is None:
        elsewhere = project_writers(model)
        if elsewhere:
            # The project writes atomically with its own machinery (a GitFile-style lock-file
            # writer, an adjacent_tmp_file, a write_atomic method): an inline copy beside it
            # is wrong, and calling it needs its own conventions (its arguments, the modes
            # and encodings it supports), so the fix is advice that names it.
            return Fix(project_writer_advice(model, elsewhere), Applicability.DISPLAY_ONLY, ())
    under_etc = _etc_path(model, site.path) or _configured_under_etc(model, site.path)
    applicability = Applicability.DISPLAY_ONLY if under_etc else Applicability.UNSAFE
    if writers.callable_name is not None:
        name = writers.callable_name
        return Fix(
            f"Write through `{name}()`: a temp file beside the target, fsynced and replaced",
            applicability,
            tuple(site.edits(name)),
        )
    edits = _with_new_helper(model, site)
    if edits is None:
        return None
    return Fix(
        "Write a temp file beside the target (mode kept, symlink followed), fsync it and "
        "replace the target; the temp file is removed if anything fails",
        applicability,
        tuple(edits),
    )


def _with_new_helper(model: ModuleModel, site: _Site) -> list[Edit] | None:
    body = model.tree.body
    index = first_after_imports(model)
    top = _top_level(model, site.stmt)
    if index >= len(body) or top is None or body.index(top) < index:
        return None
    anchor = body[index]
    ok, imports = need_modules(model, anchor, *HELPER_MODULES)
    if not ok or model.bindings_of("open", anchor) is not None:
        return None  # the helper's open() would be the module's own
    name = fresh_name(model, "_atomic_write")
    lines = tuple(in_module_style(model, helper_source(name)).splitlines())
    return insert_statements(
        model,
        [Insertion(statement_anchor(model, anchor), lines, after=False, separate=2)],
        [*site.edits(name), *import_edits(model, imports)],
    )
