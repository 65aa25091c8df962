"""Where IO302's and IO307's fsync goes, and the directory fsync of IO303.

The fsync of a written file goes after its last write, in the block that does the writing,
before the file is closed:

- never in a ``finally:`` (it would run after a failed write, hide that error behind its own,
  and skip the ``close()`` after it when it raises);
- never before a wrapping writer (``ZipFile``, ``GzipFile``, ``TarFile``, ``TextIOWrapper``...)
  built over the file has been closed: the wrapper writes its trailer on close, so an fsync
  before it would sync a file without its central directory or checksum;
- never where a handler that swallows ``OSError`` would catch its failure: the fixed code
  would be flagged by IO401, and a failed fsync would go unnoticed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from iolint.edits import fresh_name, stands_alone
from iolint.fixes.cst import Insertion, statement_anchor
from iolint.fixes.imports import first_after_imports
from iolint.fixes.quotes import in_module_style
from iolint.model import ModuleModel
from iolint.model.durability import WrittenFile
from iolint.model.failures import oserror_catchers, swallows
from iolint.model.handlers import reraises

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.Module)
_EXITS = (ast.Return, ast.Raise, ast.Continue, ast.Break)

# Writers that buffer or add a trailer, written only when they are closed.
_WRAPPERS = frozenset(
    {
        "zipfile.ZipFile",
        "gzip.GzipFile",
        "gzip.open",
        "tarfile.open",
        "tarfile.TarFile",
        "tarfile.TarFile.open",
        "bz2.BZ2File",
        "bz2.open",
        "lzma.LZMAFile",
        "lzma.open",
        "io.TextIOWrapper",
        "io.BufferedWriter",
        "codecs.StreamWriter",
        "zstandard.ZstdCompressor.stream_writer",
    }
)


@dataclass(frozen=True)
class SyncPoint:
    """Insert the sync lines before or after ``stmt``."""

    stmt: ast.stmt
    after: bool

    def insertion(self, model: ModuleModel, lines: list[str]) -> Insertion:
        return Insertion(statement_anchor(model, self.stmt), tuple(lines), self.after)


def sync_lines(view: str, is_fd: bool) -> list[str]:
    if is_fd:
        return [f"os.fsync({view})"]
    return [f"{view}.flush()", f"os.fsync({view}.fileno())"]


def in_finally(model: ModuleModel, stmt: ast.stmt) -> bool:
    child: ast.AST = stmt
    for anc in model.ancestors(stmt):
        if isinstance(anc, _SCOPES):
            return False
        if isinstance(anc, ast.Try) and any(s is child for s in anc.finalbody):
            return True
        child = anc
    return False


def swallowed_at(model: ModuleModel, node: ast.AST) -> bool:
    """An ``OSError`` raised at ``node`` may be caught and dropped on its way out."""
    for catcher in oserror_catchers(model, node):
        if catcher.kind in ("unknown", "suppress"):
            return True
        assert catcher.info is not None
        if swallows(model, catcher.info.handler):
            return True
        if not reraises(catcher.info.handler):
            return True  # it does something the fix cannot judge: stay out
    return False


def _usable(model: ModuleModel, point: SyncPoint) -> bool:
    stmt = point.stmt
    if not stands_alone(model, stmt) or in_finally(model, stmt):
        return False
    return not swallowed_at(model, stmt)


def _mentions(expr: ast.AST, var: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == var for n in ast.walk(expr))


def _wraps(model: ModuleModel, call: ast.Call, var: str) -> bool:
    """``call`` builds a writer over the file named ``var``."""
    args = [*call.args, *(k.value for k in call.keywords)]
    if not any(isinstance(a, ast.Name) and a.id == var for a in args):
        return False
    q = model.call_qualname(call) or ""
    if q in _WRAPPERS:
        return True
    # codecs.getwriter("utf-8")(f) and writers the model does not know but that get closed.
    return isinstance(call.func, ast.Call)


def _closes(stmt: ast.stmt, name: str) -> bool:
    """``name.close()`` as a statement of its own."""
    call = stmt.value if isinstance(stmt, ast.Expr) else None
    return (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr == "close"
        and isinstance(call.func.value, ast.Name)
        and call.func.value.id == name
    )


def _statements(stmts: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements in source order, nested ones after the statement that holds them."""
    for s in stmts:
        yield s
        for field in ("body", "orelse", "finalbody"):
            inner = getattr(s, field, None)
            if isinstance(inner, list):
                yield from _statements(inner)
        for h in getattr(s, "handlers", ()):
            yield from _statements(h.body)


def _before_point(flat: list[ast.stmt], point: SyncPoint) -> list[ast.stmt]:
    """The statements that run before the inserted lines (the anchor too, when they go
    after it)."""
    out: list[ast.stmt] = []
    for s in flat:
        if s is point.stmt:
            if point.after:
                out.append(s)
            break
        out.append(s)
    return out


def _open_wrapper(model: ModuleModel, block: list[ast.stmt], var: str, point: SyncPoint) -> bool:
    """A wrapper over ``var`` made in ``block`` may still be open at ``point``."""
    earlier = _before_point(list(_statements(block)), point)
    for s in earlier:
        if isinstance(s, (ast.With, ast.AsyncWith)):
            for item in s.items:
                call = item.context_expr
                if isinstance(call, ast.Call) and _wraps(model, call, var):
                    # Closed when its block ends: fine unless the point is in that block.
                    if any(point.stmt is t for t in _statements(s.body)):
                        return True
        value = s.value if isinstance(s, (ast.Assign, ast.Expr)) else None
        if isinstance(value, ast.Call) and _wraps(model, value, var):
            target = s.targets[0] if isinstance(s, ast.Assign) else None
            if not isinstance(target, ast.Name):
                if (model.call_qualname(value) or "") in _WRAPPERS:
                    return True  # built and dropped: closed whenever it is collected
                continue
            if not any(_closes(t, target.id) for t in earlier):
                return True
    return False


def with_sync_point(
    model: ModuleModel, file: WrittenFile, publish_call: ast.Call | None
) -> SyncPoint | None:
    """For ``with open(...) as f:``: before a publish inside the block, else after the
    block's last statement."""
    w = file.with_stmt
    var = file.with_var
    if not isinstance(w, ast.With) or var is None:
        return None
    own = next((i for i, item in enumerate(w.items) if item.context_expr is file.node), None)
    if own is None:
        return None
    if any(_mentions(item.context_expr, var) for item in w.items[own + 1 :]):
        return None  # `with open(p) as f, ZipFile(f) as z:` closes z after the block's end
    if w.body[0].lineno <= w.lineno:
        return None  # a one-line block
    point: SyncPoint | None = None
    if publish_call is not None and any(a is w for a in model.ancestors(publish_call)):
        stmt = model.statement_of(publish_call)
        if stmt is not None:
            point = SyncPoint(stmt, after=False)
    else:
        last = w.body[-1]
        if not isinstance(last, _EXITS):
            point = SyncPoint(last, after=True)
    if point is None or not _usable(model, point):
        return None
    if _open_wrapper(model, w.body, var, point):
        return None
    return point


def close_sync_point(
    model: ModuleModel, file: WrittenFile, publish_seq: int | None
) -> tuple[SyncPoint, str, bool] | None:
    """For a file closed by ``f.close()``/``os.close(fd)`` in a ``finally:``: at the end of
    that ``try``'s body. Also the view and whether it is a descriptor."""
    close = file.close_event()
    if close is None or not isinstance(close.node, ast.Call) or close.view is None:
        return None
    if publish_seq is not None and close.seq > publish_seq:
        return None
    stmt = model.parent(close.node)
    if not isinstance(stmt, ast.Expr):
        return None
    is_fd = model.call_qualname(close.node) == "os.close"
    try_node = model.parent(stmt)
    if not (isinstance(try_node, ast.Try) and any(s is stmt for s in try_node.finalbody)):
        # A bare close: a flush or fsync inserted before it would raise first and skip the
        # close, leaking the descriptor where the original closed it (its own flush error
        # surfaces from close(), after the descriptor is released). No fix; the message says
        # what to do.
        return None
    last = try_node.body[-1]
    writes = [e for e in file.events if e.kind in ("write", "use")]
    if isinstance(last, _EXITS) or not writes:
        return None
    inside = list(_statements(try_node.body))
    if not all(any(e.node is n for s in inside for n in ast.walk(s)) for e in writes):
        return None  # some writes happen outside the try: not the body that writes
    point = SyncPoint(last, after=True)
    if not _usable(model, point):
        return None
    unit = model.enclosing_function(stmt)
    block = getattr(unit, "body", model.tree.body)
    if _open_wrapper(model, block, close.view, point):
        return None
    return point, close.view, is_fd


_DIR_HELPER = '''\
def {name}(path):
    """Fsync the directory holding ``path``, so that a rename into it
    survives a power failure (POSIX only)."""
    if os.name == "nt":
        return
    try:
        fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    except PermissionError:  # a directory it can write but not read
        return
    try:
        os.fsync(fd)
    except OSError as exc:  # some file systems cannot sync a directory
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise
    finally:
        os.close(fd)
'''

DIR_HELPER_MODULES = ("errno", "os")


def dir_helper_source(name: str) -> str:
    return _DIR_HELPER.format(name=name)


def _existing_dir_helper(model: ModuleModel) -> str | None:
    """A directory-fsync helper an earlier fix added to this module (same text)."""
    for stmt in model.tree.body:
        if isinstance(stmt, ast.FunctionDef) and "fsync_directory" in stmt.name:
            text = model.text_of(stmt).strip()
            if text in (
                dir_helper_source(stmt.name).strip(),
                in_module_style(model, dir_helper_source(stmt.name)).strip(),
            ):
                return stmt.name
    return None


@dataclass(frozen=True)
class DirSync:
    """Statements to insert for a directory fsync after a publish, and the imports the
    helper needs (none when the module already has it)."""

    insertions: tuple[Insertion, ...]
    modules: tuple[str, ...]


def dir_sync_after(model: ModuleModel, publish_stmt: ast.stmt, target: str) -> DirSync | None:
    """A call of the module's directory-fsync helper right after the publish, and the
    helper itself (once per module, after the import block) when it is not there yet. One
    short call keeps deep blocks within the line length and adds no names to the function."""
    point = SyncPoint(publish_stmt, after=True)
    if not _usable(model, point):
        return None
    existing = _existing_dir_helper(model)
    name = existing or fresh_name(model, "_fsync_directory")
    call = point.insertion(model, [f"{name}({target})"])
    if existing is not None:
        return DirSync((call,), ())
    body = model.tree.body
    index = first_after_imports(model)
    top = next((s for s in body if _holds(s, publish_stmt)), None)
    if index >= len(body) or top is None or body.index(top) < index:
        return None
    anchor = body[index]
    helper = Insertion(
        statement_anchor(model, anchor),
        tuple(in_module_style(model, dir_helper_source(name)).splitlines()),
        after=False,
        separate=2,
    )
    return DirSync((helper, call), DIR_HELPER_MODULES)


def _holds(outer: ast.stmt, inner: ast.stmt) -> bool:
    return any(n is inner for n in ast.walk(outer))
