"""IO3xx: durability and atomic replacement.

Every rule reads the per-function facts of :mod:`iolint.model.durability`. One bug, one
diagnostic: a publish is either unsynced (IO302) or synced without its directory (IO303), never
both; a save function's file is either overwritten in place (IO306) or left unsynced (IO307).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from iolint.diagnostics import Applicability, Diagnostic, Edit, Fix
from iolint.edits import insert_before_statement, stands_alone
from iolint.model import ModuleModel
from iolint.model.absent_callers import callers_checked_absent
from iolint.model.branches import OnePerTarget
from iolint.model.class_state import rewrites_class_state
from iolint.model.copied_sources import copied_into
from iolint.model.cross_device import exdev_falls_back
from iolint.model.durability import (
    DARWIN,
    FunctionFacts,
    Publish,
    WrittenFile,
    durability_facts,
    fresh_path,
    in_temp_directory,
    is_device_path,
    looks_temporary,
    reachable_platforms,
)
from iolint.model.effects import (
    fsyncs_file_data,
    publish_wrapper,
    temp_attribute,
    wrapper_calls,
    written_parameter_sync,
)
from iolint.model.fsync import is_fsync_call
from iolint.model.held_files import held_file
from iolint.model.intent import intent_of, next_free_name
from iolint.model.kinds import Category, call_arg
from iolint.model.platform import (
    checked_absent,
    gone_before,
    handles_exists_error,
    may_run_on_windows,
    only_before,
    reserved_temp_name,
    windows_only,
)
from iolint.model.provenance import chunk_of_transfer, forced_move, rewrite_against
from iolint.model.scopes import walk_local
from iolint.model.staged_copy import copy_target_expendable, fallback_of_rename
from iolint.rules.base import Rule, RuleContext

if TYPE_CHECKING:
    from iolint.fixes.cst import Insertion
    from iolint.fixes.fsync import DirSync

# The fix builders (iolint.fixes.*) are imported inside the functions that build a fix, not
# here: a file without a fixable finding, and every run served from the cache, never needs
# them (a lint-only start-up imports the rules but no fix module).

PUBLISH_TRIGGERS = ("rename(", "replace(", "move(")
# IO302 and IO303 judge the publish of a file the same function opened or created (see
# ``WrittenFile`` in model/durability.py: open, os.open, fdopen, Path.open, write_text,
# write_bytes, mkstemp, NamedTemporaryFile), so a file must also name one of these; without
# this, every ``str.replace(`` in a file sent it through parse and model (a sixth of the
# standard library's files). Plain words rather than call syntax, so that a file created
# through a helper named like ``open_temp(`` still qualifies.
FILE_CREATION_TRIGGERS = ("open", "mkstemp", "Temporary", "write_")


def _facts(ctx: RuleContext) -> tuple[FunctionFacts, ...]:
    return ctx.model.fact(durability_facts).functions


_DUMP_FUNCTION = re.compile(r"(?i)(^|_)dump($|_)")


def _is_save_function(ctx: RuleContext, fn: FunctionFacts) -> bool:
    if not fn.is_function:
        return False
    if ctx.options.save_function_pattern().search(fn.name):
        return True
    if _dumps_state(ctx, fn):
        return True
    # Tests write and read back fixture files all the time: not saves.
    return not fn.name.startswith("test") and fn.reads_and_writes_same_path()


def _dumps_state(ctx: RuleContext, fn: FunctionFacts) -> bool:
    """``dump()``/``dump_state()`` writing a file the intent model calls precious (a state
    file, a checkpoint, a configuration): a save by another name."""
    if not _DUMP_FUNCTION.search(fn.name):
        return False
    for file in fn.files:
        if file.written and file.path is not None and file.temp is None:
            intent = intent_of(ctx.model, file.node, file.path)
            if intent.precious is not None and intent.against is None:
                return True
    return False


def _not_worth_it(
    ctx: RuleContext,
    at: ast.AST,
    target: ast.expr | None,
    *scratch: ast.expr,
    synced: bool = False,
    every_save: bool = False,
) -> bool:
    """Losing or tearing ``target`` would not hurt (a cache, a temp directory, test code...,
    see :mod:`iolint.model.intent`): silent unless strict. ``scratch`` are the temp names the
    data came from, which say nothing about the target; ``synced``: the function fsyncs that
    data before publishing it; ``every_save``: the defect fails every save (EXDEV,
    FileExistsError), so that the file is a cache is no excuse."""
    exclude: set[str] = set()
    own = set() if target is None else {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    inside = set() if target is None else {ast.unparse(n) for n in ast.walk(target)}
    for expr in scratch:
        names = {n.id for n in ast.walk(expr) if isinstance(n, ast.Name)}
        exclude.add(ast.unparse(expr))
        # ``tmp[:-4]`` is derived from the temp name: its ``tmp`` says nothing; ``final`` in
        # ``final + ".part"`` is the target's own name and stays evidence.
        exclude |= names if ast.unparse(expr) in inside else names - own
    intent = intent_of(ctx.model, at, target, frozenset(exclude), synced, every_save)
    return intent.silent(ctx.options.strict)


def _file_not_worth_it(ctx: RuleContext, fn: FunctionFacts, file: WrittenFile) -> bool:
    """:func:`_not_worth_it` for a written file: judged by where it is published, if it is."""
    publishes = fn.publishes_of(file)
    if publishes:
        return all(_not_worth_it(ctx, p.call, p.target, p.source) for p in publishes)
    return _not_worth_it(ctx, file.node, file.path)


def _label(model: ModuleModel, node: ast.AST | None, limit: int = 40) -> str:
    text = model.text_of(node) if node is not None else "the file"
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _callee(model: ModuleModel, call: ast.Call) -> str:
    return _label(model, call.func, 30)


def _simple(expr: ast.expr | None) -> bool:
    """A name, an attribute chain or a string literal: cheap and safe to evaluate again."""
    if isinstance(expr, ast.Name):
        return True
    if isinstance(expr, ast.Attribute):
        return _simple(expr.value)
    return isinstance(expr, ast.Constant) and isinstance(expr.value, str)


# ---------------------------------------------------------------------------- fixes


def _fix(
    message: str,
    applicability: Applicability,
    model: ModuleModel,
    edits: list[Edit],
    imports: list[str],
) -> Fix:
    from iolint.fixes.imports import import_edits

    return Fix(message, applicability, tuple(edits) + tuple(import_edits(model, imports)))


def _statements_fix(
    message: str, model: ModuleModel, insertions: list[Insertion], imports: list[str]
) -> Fix | None:
    """An unsafe fix that inserts statements (with libcst) and imports (in sort order)."""
    from iolint.fixes.cst import insert_statements
    from iolint.fixes.imports import import_edits

    edits = insert_statements(model, insertions, import_edits(model, imports))
    return None if edits is None else Fix(message, Applicability.UNSAFE, tuple(edits))


def _module_imports(
    model: ModuleModel, *needs: tuple[ast.AST, tuple[str, ...]]
) -> list[str] | None:
    """The imports to add so that each module is usable where it is needed; None when a
    name means something else there."""
    from iolint.fixes.imports import need_modules as _need_modules

    missing: list[str] = []
    for at, modules in needs:
        ok, more = _need_modules(model, at, *modules)
        if not ok:
            return None
        missing += [m for m in more if m not in missing]
    return missing


# ---------------------------------------------------------------------------- shared facts


def _window_sync(fn: FunctionFacts, p: Publish) -> str | None:
    """How the published file's data is synced between its last write and the publish:
    ``file`` (an fsync of that file), ``global``/``unknown`` (os.sync, an fsync of a descriptor
    the model cannot name), ``none``; None when the publish is not of a file written here."""
    file = p.file
    if file is None or not file.written:
        return None
    last = file.last_write(p.seq)
    if last is None:
        return None
    if any(last.seq < e.seq < p.seq and e.kind in ("fsync", "maybe_fsync") for e in file.events):
        return "file"
    for s in fn.syncs_between(last.seq, p.seq):
        if s.scope in ("global", "unknown"):
            return s.scope
    return "none"


def _written_publish(p: Publish) -> bool:
    return p.file is not None and p.file.written and p.file.last_write(p.seq) is not None


def _written_by_callee(file: WrittenFile | None) -> bool:
    """The path is written by a project function it is passed to (model/effects.py): the
    model sees that it is written, not how (nor whether that function syncs it)."""
    return file is not None and file.api == "call.write"


def _callee_sync(model: ModuleModel, file: WrittenFile | None) -> str | None:
    """How the project function that writes the published path syncs it (None when the
    caller writes it itself): ``"unsynced"`` for a helper of this module that only writes
    and closes the file (ansible's ``_save_ssh_host_keys(tmp_name)`` before
    ``os.rename(tmp_name, keyfile)``): the publish is as unsynced as if the caller had written
    it; ``"synced"`` for one that fsyncs; ``"unknown"`` for one in another module, or one that
    hands its file to code it does not know (``dump(obj, f)`` with ``dump`` a parameter) or
    calls a helper named like a sync."""
    if not _written_by_callee(file):
        return None
    assert file is not None
    callee = model.local_callee(file.node.func) if isinstance(file.node, ast.Call) else None
    return "unknown" if callee is None else written_parameter_sync(model, callee)


def _flush_fsync_fix(
    model: ModuleModel, file: WrittenFile, publish: Publish | None, dir_target: ast.expr | None
) -> Fix | None:
    """IO302's and IO307's fix: flush and fsync ``file`` after its last write and before it
    is closed (and before ``publish``); with ``dir_target``, also fsync that target's
    directory after the publish, the fix IO303 would ask for next."""
    from iolint.fixes.fsync import close_sync_point, sync_lines, with_sync_point
    from iolint.fixes.imports import first_after_imports

    anchor = publish.call if publish is not None else file.node
    if file.with_stmt is not None and file.with_var is not None:
        point = with_sync_point(model, file, publish.call if publish is not None else None)
        lines = sync_lines(file.with_var, False) if point is not None else []
    else:
        found = close_sync_point(model, file, publish.seq if publish is not None else None)
        if found is None:
            return None
        point, view, is_fd = found
        lines = sync_lines(view, is_fd)
    if point is None:
        return None
    if _flushed_after_last_write(file, publish):
        # ``f.flush()`` is already there (dulwich's lfs.py): a second one adds nothing.
        lines = [line for line in lines if not line.endswith(".flush()")]
    insertions = [point.insertion(model, lines)]
    needs: list[tuple[ast.AST, tuple[str, ...]]] = [(anchor, ("os",))]
    message = "Flush and fsync the file before it is closed"
    if dir_target is not None and publish is not None:
        dir_sync = _dir_sync(model, publish, dir_target)
        if dir_sync is not None:
            insertions += dir_sync.insertions
            needs.append((model.tree.body[first_after_imports(model)], dir_sync.modules))
            message += ", and fsync its directory after the rename (skipped on Windows)"
    imports = _module_imports(model, *needs)
    if imports is None:
        return None
    return _statements_fix(message, model, insertions, imports)


def _flushed_after_last_write(file: WrittenFile, publish: Publish | None) -> bool:
    """The file is flushed after its last write (and before ``publish``)."""
    close = file.close_event()
    bound = publish.seq if publish is not None else close.seq if close is not None else None
    if bound is None:
        bound = max((e.seq for e in file.events), default=0) + 1
    last = file.last_write(bound)
    return last is not None and any(
        e.kind == "flush" and last.seq < e.seq < bound for e in file.events
    )


def _dir_sync(model: ModuleModel, p: Publish, target: ast.expr) -> DirSync | None:
    """The directory fsync right after the publish's statement."""
    from iolint.fixes.fsync import dir_sync_after

    stmt = model.parent(p.call)
    if not isinstance(stmt, ast.Expr) or not stands_alone(model, stmt):
        return None
    if p.api == "shutil.move" or not _simple(target):
        return None  # move() into a directory puts the file one level further down
    return dir_sync_after(model, stmt, model.text_of(target))


# ---------------------------------------------------------------------------- IO301


class FsyncWithoutFlush(Rule):
    code = "IO301"
    severity = "error"
    name = "fsync-without-flush"
    summary = "`os.fsync()` of a buffered file whose latest writes were never flushed."
    fix_applicability = Applicability.SAFE
    triggers = ("fsync", "fdatasync")

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        model = ctx.model
        reported: set[ast.Call] = set()
        for fn in _facts(ctx):
            for s in fn.syncs:
                if s.file is None or s.maybe:
                    continue
                q = model.call_qualname(s.call)
                if q not in ("os.fsync", "os.fdatasync"):
                    continue
                before = [e for e in s.file.events if e.seq < s.seq]
                if not before:
                    continue
                last = before[-1]
                if last.kind != "write" or not last.buffered:
                    continue
                view = last.view
                name = f"`{view}`" if view else "the file object"
                message = (
                    f"`{q}()` runs while {name} may still hold the latest writes in its "
                    "user-space buffer, so they are not synced: after a power failure the file "
                    f"can be empty; call `{view or 'f'}.flush()` right before the fsync"
                )
                reported.add(s.call)
                yield self.diagnostic(ctx, s.call, message, self._fix(model, s.call, view))
        # The file of a class or of a factory, written by other code (model/held_files.py).
        for call in model.calls_named("fsync", "fdatasync"):
            q = model.call_qualname(call)
            if call in reported or q not in ("os.fsync", "os.fdatasync"):
                continue
            held = held_file(model, call)
            if held is None:
                continue
            message = (
                f"`{q}()` runs before `{held.view}` is flushed: the writes made through it "
                "elsewhere may still sit in its user-space buffer and are not synced, so "
                f"after a power failure the file can be empty; call `{held.view}.flush()` "
                "right before the fsync"
            )
            yield self.diagnostic(ctx, call, message, self._fix(model, call, held.view))

    def _fix(self, model: ModuleModel, call: ast.Call, view: str | None) -> Fix | None:
        stmt = model.parent(call)
        if view is None or not isinstance(stmt, ast.Expr) or not stands_alone(model, stmt):
            return None
        return Fix(
            f"Insert `{view}.flush()` before the fsync",
            Applicability.SAFE,
            (insert_before_statement(model, stmt, [f"{view}.flush()"]),),
        )


# ---------------------------------------------------------------------------- IO302


class PublishWithoutFsync(Rule):
    code = "IO302"
    severity = "error"
    name = "publish-without-fsync"
    summary = "A file is renamed into place before its data was fsynced."
    fix_applicability = Applicability.UNSAFE
    triggers = PUBLISH_TRIGGERS
    also_triggers = FILE_CREATION_TRIGGERS

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        model = ctx.model
        once = OnePerTarget(model)
        for fn in _facts(ctx):
            for p in fn.publishes:
                if _window_sync(fn, p) != "none":
                    continue
                writer_sync = _callee_sync(model, p.file)
                if writer_sync == "synced":
                    continue
                if writer_sync == "unknown" and not ctx.options.strict:
                    continue  # the writer may sync in ways the model does not see
                if _not_worth_it(ctx, p.call, p.target, p.source):
                    continue
                if not once.first(p.target, p.call):
                    continue
                src, api = _label(model, p.source), _callee(model, p.call)
                writer = p.file.node if p.file is not None and _written_by_callee(p.file) else None
                where = "the file"
                if isinstance(writer, ast.Call):  # a helper of this module writes it
                    where = f"the file in `{_callee(model, writer)}()`"
                message = (
                    f"`{api}()` publishes `{src}` before its data is fsynced: after a power "
                    "failure the target can be empty or truncated (delayed allocation); flush "
                    f"and `os.fsync()` {where} before closing and publishing it"
                )
                yield self.diagnostic(ctx, p.call, message, self._fix(model, fn, p))

    def _fix(self, model: ModuleModel, fn: FunctionFacts, p: Publish) -> Fix | None:
        assert p.file is not None
        # Once the file is fsynced the function intends durability, and IO303 would ask for
        # the directory fsync on the next pass: one fix makes both changes, so the first
        # report counts everything --fix will do.
        wants_dir_sync = not _dir_synced_after(fn, p) and _dir_sync_expected(model, fn, p)
        return _flush_fsync_fix(model, p.file, p, p.target if wants_dir_sync else None)


# ---------------------------------------------------------------------------- IO303


def _dir_synced_after(fn: FunctionFacts, p: Publish) -> bool:
    return any(s.seq > p.seq and (p.file is None or s.file is not p.file) for s in fn.syncs)


def _synced_by_callers(model: ModuleModel, fn: FunctionFacts) -> bool:
    """A caller in this module syncs (presumably the directory) after calling ``fn``: one
    directory fsync for several replaced files is a legitimate design."""
    for call in model.calls_named(fn.name):
        func = call.func
        if not (
            (isinstance(func, ast.Name) and func.id == fn.name)
            or (isinstance(func, ast.Attribute) and func.attr == fn.name)
        ):
            continue
        unit = model.enclosing_function(call)
        if unit is None or unit is fn.node:
            continue
        after = (call.end_lineno or 0, call.end_col_offset or 0)
        for node in walk_local(unit.body):  # type: ignore[attr-defined]
            if isinstance(node, ast.Call) and (node.lineno, node.col_offset) >= after:
                name = (
                    node.func.attr
                    if isinstance(node.func, ast.Attribute)
                    else (node.func.id if isinstance(node.func, ast.Name) else "")
                )
                if is_fsync_call(model, node) or ("sync" in name.lower() and "async" not in name):
                    return True
    return False


def _dir_sync_expected(model: ModuleModel, fn: FunctionFacts, p: Publish) -> bool:
    """The publish may run on POSIX and no caller syncs after calling the function. IO303's
    check and IO302's fix (which adds the directory fsync IO303 would ask for next) share it."""
    if windows_only(model, p.call):
        return False
    return not _synced_by_callers(model, fn)


def _publishes_for_fsyncing_callers(model: ModuleModel, fn: FunctionFacts, p: Publish) -> bool:
    """``def _replace_atomic(src, dst): os.rename(src, dst)`` in a module that fsyncs its
    files' data: the wrapper is the publish step of the module's durable saves, and the data
    it moves was fsynced by its callers."""
    return (
        not fn.files
        and publish_wrapper(model, fn.node, p.source, p.target)
        and model.fact(fsyncs_file_data)
    )


def _callers_not_worth_it(ctx: RuleContext, fn: FunctionFacts, p: Publish) -> bool:
    """A publish wrapper's target is whatever its callers pass: judged at each call of the
    module (a wrapper that only ever publishes cache entries is not worth a finding)."""
    calls = wrapper_calls(ctx.model, fn.node, p.source, p.target)
    if not calls:
        return _not_worth_it(ctx, p.call, p.target, p.source)
    return all(
        target is not None and _not_worth_it(ctx, call, target, *([src] if src else []))
        for call, src, target in calls
    )


class PublishWithoutDirFsync(Rule):
    code = "IO303"
    severity = "error"
    name = "publish-without-dir-fsync"
    summary = "A durable replace that never fsyncs the destination directory."
    fix_applicability = Applicability.UNSAFE
    triggers = PUBLISH_TRIGGERS
    also_triggers = FILE_CREATION_TRIGGERS

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        model = ctx.model
        once = OnePerTarget(model)
        for fn in _facts(ctx):
            for p in fn.publishes:
                if _dir_synced_after(fn, p):
                    continue
                for_callers = _window_sync(fn, p) != "file"
                if for_callers and not _publishes_for_fsyncing_callers(model, fn, p):
                    continue
                if not _dir_sync_expected(model, fn, p):
                    continue
                if (
                    _callers_not_worth_it(ctx, fn, p)
                    if for_callers
                    else _not_worth_it(ctx, p.call, p.target, p.source, synced=True)
                ):
                    continue
                if not once.first(p.target, p.call):
                    continue
                api, target = _callee(model, p.call), _label(model, p.target)
                message = (
                    f"the file is fsynced but the directory entry `{api}()` creates is not: "
                    f"after a power failure `{target}` can still be the old file or missing; "
                    "fsync the destination directory after the rename (POSIX)"
                )
                yield self.diagnostic(ctx, p.call, message, self._fix(model, p))

    def _fix(self, model: ModuleModel, p: Publish) -> Fix | None:
        from iolint.fixes.imports import first_after_imports

        if _synced_only_under_condition(model, p):
            return None  # the directory fsync belongs under the same condition: advice only
        dir_sync = _dir_sync(model, p, p.target)
        if dir_sync is None:
            return None
        at = model.tree.body[first_after_imports(model)]
        imports = _module_imports(model, (at, dir_sync.modules))
        if imports is None:
            return None
        return _statements_fix(
            "Fsync the destination directory after the rename (skipped on Windows)",
            model,
            list(dir_sync.insertions),
            imports,
        )


def _synced_only_under_condition(model: ModuleModel, p: Publish) -> bool:
    """Every fsync of the published file sits under an ``if`` the publish is not under
    (``if sync: os.fsync(fd)`` then ``os.rename(...)``): the function is durable only when
    asked, and a directory fsync added unconditionally would run (and could fail, in a
    directory it cannot open) on every call, where the caller asked for none."""
    if p.file is None:
        return False
    syncs = [e.node for e in p.file.events if e.kind == "fsync" and e.seq < p.seq]
    if not syncs:
        return False
    around = {id(a) for a in model.ancestors(p.call)}
    return all(
        any(isinstance(a, ast.If) and id(a) not in around for a in model.ancestors(node))
        for node in syncs
    )


# ---------------------------------------------------------------------------- IO304


class TempFileOtherDirectory(Rule):
    code = "IO304"
    severity = "error"
    name = "temp-file-other-directory"
    summary = "A temp file made in the system temp directory is renamed onto its target."
    fix_applicability = Applicability.SAFE
    # A publish too: the temp file may come from a helper in another module.
    triggers = ("mkstemp", "NamedTemporaryFile", "mktemp", "urlretrieve", *PUBLISH_TRIGGERS)
    # Every temp file it knows is made by one of these (TemporaryDirectory, NamedTemporaryFile,
    # mkdtemp...), in this module unless an imported project helper made it: a module that
    # names none of them and can read no project facts has nothing to report (``.replace(``
    # alone is mostly a string's).
    own_facts_triggers = ("mkstemp", "mktemp", "mkdtemp", "Temporary", "urlretrieve")

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        model = ctx.model
        for fn in _facts(ctx):
            seen: set[ast.Call] = set()
            for p in fn.publishes:
                file = p.file
                if file is None or file.temp is None or not file.temp.system_dir:
                    continue
                origin = file.temp
                if origin.call in seen:
                    continue
                if p.target is not None and in_temp_directory(model, p.target) is not None:
                    continue  # renamed within a temporary directory: one file system
                seen.add(origin.call)
                # A copy that is not atomic only hurts a target worth keeping (a wheel moved
                # into ``dist/`` is rebuilt): see :mod:`iolint.model.intent`. A rename that
                # fails with EXDEV fails every save, a cache's too.
                crashes = p.api != "shutil.move" and not exdev_falls_back(model, p.call)
                if _not_worth_it(ctx, p.call, p.target, p.source, every_save=crashes):
                    continue
                api, target = _callee(model, p.call), _label(model, p.target)
                temp = _callee(model, origin.call)
                if p.api == "shutil.move":
                    outcome = "`shutil.move()` then silently falls back to a non-atomic copy"
                else:
                    outcome = f"`{api}()` then fails with EXDEV (invalid cross-device link)"
                where = f"with `dir=os.path.dirname({target})`"
                if origin.api == "urllib.request.urlretrieve":
                    where = "by passing `filename=` a name in the target's directory"
                message = (
                    f"`{temp}()` creates the file in the system temp directory, often another "
                    f"file system than `{target}`: {outcome}; create it next to the target "
                    f"{where}"
                )
                yield self.diagnostic(ctx, origin.call, message, self._fix(model, p, origin.call))

    def _fix(self, model: ModuleModel, p: Publish, call: ast.Call) -> Fix | None:
        from iolint.fixes.imports import need_modules as _need_modules
        from iolint.fixes.paths import temp_dir_argument

        if model.call_qualname(call) not in ("tempfile.NamedTemporaryFile", "tempfile.mkstemp"):
            return None  # a project helper makes the file: its ``dir=`` is not ours to add
        if model.enclosing_function(call) is not model.enclosing_function(p.call):
            return None  # the target is not a name where the helper creates the file
        target = p.target
        if not isinstance(target, (ast.Name, ast.Attribute)) or not _simple(target):
            return None
        if not _bound_before(model, target, call):
            return None
        ok, imports = _need_modules(model, call, "os")
        if not ok:
            return None
        value = temp_dir_argument(model, call, target)
        if value is None:
            return None
        existing = next((k for k in call.keywords if k.arg == "dir"), None)
        dir_pos = 6 if call_qualname_is_named_temp(model, call) else 2
        if existing is None and len(call.args) > dir_pos:
            return None  # ``dir`` given positionally: a keyword too would be a TypeError
        if existing is not None:
            edit = Edit(model.start(existing.value), model.end(existing.value), value)
        else:
            args = [*call.args, *call.keywords]
            if args:
                last = max(args, key=lambda a: (model.end(a).line, model.end(a).column))
                pos = model.end(last)
                edit = Edit(pos, pos, f", dir={value}")
            else:
                end = model.end(call)
                pos = type(end)(end.line, end.column - 1)
                edit = Edit(pos, pos, f"dir={value}")
        return _fix(
            "Create the temp file in the target's directory",
            Applicability.SAFE,
            model,
            [edit],
            imports,
        )


def call_qualname_is_named_temp(model: ModuleModel, call: ast.Call) -> bool:
    return model.call_qualname(call) == "tempfile.NamedTemporaryFile"


def _bound_before(model: ModuleModel, expr: ast.expr, at: ast.AST) -> bool:
    """Every binding of the expression's base name precedes ``at``, so it can move there."""
    while isinstance(expr, ast.Attribute):
        expr = expr.value
    if not isinstance(expr, ast.Name):
        return False
    bindings = model.bindings_of(expr.id, at)
    if not bindings:
        return False
    here = (getattr(at, "lineno", 0), getattr(at, "col_offset", 0))
    scope = model.scope_of(at)
    for b in bindings:
        if b.kind == "param" or model.scope_of(b.node) is not scope:
            continue
        end = (getattr(b.node, "end_lineno", 0) or 0, getattr(b.node, "end_col_offset", 0) or 0)
        if end > here:
            return False
    return True


# ---------------------------------------------------------------------------- IO305


def _unlink_before(model: ModuleModel, fn: FunctionFacts, p: Publish) -> ast.stmt | None:
    """The statement right before the rename's statement, when it only removes the target
    (bare, under an ``if``, in a ``try`` that ignores errors, or under ``suppress``)."""
    stmt = model.statement_of(p.call)
    parent = model.parent(stmt) if stmt is not None else None
    if stmt is None or parent is None:
        return None
    target = ast.unparse(p.target)
    for body in _bodies_of(parent):
        for i, s in enumerate(body):
            if s is stmt and i > 0:
                prev = body[i - 1]
                inner = _only_statement(prev)
                if inner is None or not isinstance(inner, ast.Expr):
                    return None
                for u in fn.unlinks:
                    if u.call is inner.value and ast.unparse(u.path) == target:
                        return prev
                return None
    return None


def _bodies_of(node: ast.AST) -> Iterator[list[ast.stmt]]:
    for name in ("body", "orelse", "finalbody"):
        value = getattr(node, name, None)
        if isinstance(value, list):
            yield value
    for h in getattr(node, "handlers", ()):
        yield h.body


def _only_statement(s: ast.stmt) -> ast.stmt | None:
    if isinstance(s, ast.Expr):
        return s
    if isinstance(s, ast.If) and not s.orelse and len(s.body) == 1:
        return s.body[0]
    if isinstance(s, ast.With) and len(s.body) == 1:
        return s.body[0]
    if isinstance(s, ast.Try) and len(s.body) == 1 and not s.orelse and not s.finalbody:
        if all(all(isinstance(b, ast.Pass) for b in h.body) for h in s.handlers):
            return s.body[0]
    return None


def _forced_move(ctx: RuleContext, p: Publish, unlink: ast.stmt) -> bool:
    """``mv -f`` of a file the function did not write (see
    :func:`iolint.model.provenance.forced_move`): silent unless strict."""
    if ctx.options.strict or _written_publish(p) or p.source is None:
        return False
    if looks_temporary(ctx.model, p.source):
        return False
    return forced_move(ctx.model, unlink, p.source) is not None


def _publishes_saved_data(model: ModuleModel, p: Publish) -> bool:
    """The rename publishes data the program wrote (a save, not a move of a file it found):
    a file written in the function; a temp-named path that a project function wrote; a
    name that another method of the class made with ``mkstemp``/``mktemp``; a staging name
    the function filled with ``shutil.copy`` (model/copied_sources.py)."""
    if _written_publish(p):
        return not _written_by_callee(p.file) or looks_temporary(model, p.source)
    return temp_attribute(model, p.source) or copied_into(model, p.call, p.source)


class RenameNotReplace(Rule):
    code = "IO305"
    severity = "error"
    name = "rename-not-replace"
    summary = "`os.rename()` onto a file that may exist, or after removing the target."
    fix_applicability = Applicability.SAFE
    triggers = ("rename(",)

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        model = ctx.model
        once = OnePerTarget(model)
        for fn in _facts(ctx):
            for p in fn.publishes:
                if p.api not in ("os.rename", "path.rename"):
                    continue
                # FileExistsError on Windows fails every save whatever the file is worth (a
                # cache's too); a removal before the rename only risks the file's content.
                if _not_worth_it(ctx, p.call, p.target, p.source, every_save=True):
                    continue
                if not once.first(p.target, p.call):
                    continue
                if reserved_temp_name(model, p.target):
                    continue  # mkstemp, close, remove, rename onto it: a name, not a file
                if only_before(model, p.call, (3, 3)):
                    continue  # no os.replace() before Python 3.3: nothing else to advise
                api, target = _callee(model, p.call), _label(model, p.target)
                unlink = _unlink_before(model, fn, p)
                if unlink is not None and _forced_move(ctx, p, unlink):
                    continue
                if unlink is not None and _not_worth_it(ctx, p.call, p.target, p.source):
                    continue
                if unlink is not None:
                    message = (
                        f"`{target}` is removed before `{api}()`: a crash in between leaves no "
                        "file at all; drop the removal and use `os.replace()`, which overwrites "
                        "atomically on every platform"
                    )
                elif (
                    _publishes_saved_data(model, p)
                    and may_run_on_windows(model, p.call, strict=ctx.options.strict)
                    and not gone_before(model, p.call, p.target)
                    and not handles_exists_error(model, p.call)
                    and (ctx.options.strict or not checked_absent(model, p.call, p.target))
                    and (ctx.options.strict or not callers_checked_absent(model, p.call, p.target))
                ):
                    message = (
                        f"`{api}()` raises FileExistsError on Windows when `{target}` exists; "
                        "use `os.replace()` (`Path.replace()`), which overwrites atomically "
                        "on every platform"
                    )
                else:
                    continue
                yield self.diagnostic(ctx, p.call, message, self._fix(model, p, unlink))

    def _fix(self, model: ModuleModel, p: Publish, unlink: ast.stmt | None) -> Fix | None:
        from iolint.fixes.imports import module_available as _module_available
        from iolint.fixes.imports import unused_after_removal

        func = p.call.func
        if not isinstance(func, ast.Attribute):
            return None
        if p.api == "os.rename" and _module_available(model, "os", p.call) is not True:
            return None
        end = model.end(func)
        edits = [Edit(type(end)(end.line, end.column - len("rename")), end, "replace")]
        if unlink is not None:
            stmt = model.statement_of(p.call)
            assert stmt is not None
            if not stands_alone(model, unlink) or not stands_alone(model, stmt):
                return None
            start = model.start(unlink)
            edits.append(
                Edit(type(start)(start.line, 0), type(start)(model.end(unlink).line + 1, 0), "")
            )
            # An import only the removed statement used goes too (no new pyflakes F401).
            unused = unused_after_removal(model, unlink)
            if unused is None:
                return None
            edits += unused
        what = "`replace()`" + (" and remove the unlink before it" if unlink is not None else "")
        return Fix(f"Use {what}", Applicability.SAFE, tuple(edits))


# ---------------------------------------------------------------------------- IO306


def _unlinked_before(fn: FunctionFacts, file: WrittenFile) -> bool:
    """The path was removed earlier in the function: the write creates a new file (the removal
    opens its own window, which IO305's wording covers)."""
    keys = file.path_keys
    return any(u.seq < file.seq and ast.unparse(u.path) in keys for u in fn.unlinks)


def _published(fn: FunctionFacts, file: WrittenFile) -> bool:
    return bool(fn.publishes_of(file))


def _inplace_candidate(ctx: RuleContext, fn: FunctionFacts, file: WrittenFile) -> bool:
    model = ctx.model
    if file.temp is not None or _published(fn, file) or file.path is None:
        return False
    if _written_by_callee(file):
        return False  # the callee's own write is judged where it is
    if looks_temporary(model, file.path) or is_device_path(model, file.path):
        return False
    if _passed_for_publishing(model, fn, file):
        return False
    if _is_descriptor(model, file.path) or _creates_missing(model, file):
        return False
    return file.written or file.truncates


def _is_descriptor(model: ModuleModel, path: ast.expr) -> bool:
    """``open(fd, "wb")`` wraps a descriptor that is already open: nothing is truncated."""
    kind = model.kind_of(path)
    return kind is not None and kind.category is Category.FD


_EXISTS_FUNCS = frozenset({"os.path.exists", "os.path.isfile", "os.path.lexists"})


def _existence_test(model: ModuleModel, test: ast.expr, path: ast.expr) -> bool | None:
    """True for ``exists(path)``, False for ``not exists(path)`` (also ``path.exists()``,
    ``path.is_file()``), None for any other test."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _existence_test(model, test.operand, path)
        return None if inner is None else not inner
    if not isinstance(test, ast.Call) or len(test.args) > 1:
        return None
    wanted = ast.dump(path)
    if model.call_qualname(test) in _EXISTS_FUNCS and test.args:
        return True if ast.dump(test.args[0]) == wanted else None
    func = test.func
    if isinstance(func, ast.Attribute) and func.attr in ("exists", "is_file") and not test.args:
        return True if ast.dump(func.value) == wanted else None
    return None


def _always_leaves(body: list[ast.stmt]) -> bool:
    """The statements never fall through (they end in ``raise``/``return``)."""
    if not body:
        return False
    last = body[-1]
    if isinstance(last, (ast.Raise, ast.Return)):
        return True
    if isinstance(last, (ast.With, ast.AsyncWith)):
        return _always_leaves(last.body)
    if isinstance(last, ast.If):
        return _always_leaves(last.body) and _always_leaves(last.orelse)
    return False


def _creates_missing(model: ModuleModel, file: WrittenFile) -> bool:
    return file.path is not None and _creates_missing_at(model, file.node, file.path)


def _creates_missing_at(model: ModuleModel, node: ast.Call, path: ast.expr) -> bool:
    """The write at ``node`` only runs when the file does not exist yet, so there is nothing
    to lose: under ``if not os.path.exists(path):``, or right after a ``try`` that leaves
    whenever the file could be read and catches FileNotFoundError."""
    child: ast.AST = node
    for anc in model.ancestors(node):
        if isinstance(anc, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            break
        if isinstance(anc, ast.If):
            exists = _existence_test(model, anc.test, path)
            if exists is not None:
                in_body = any(child is s for s in anc.body)
                if in_body != exists:  # body of `not exists(p)`, or else of `exists(p)`
                    return True
        child = anc
    stmt = model.statement_of(node)
    parent = model.parent(stmt) if stmt is not None else None
    for field_name in ("body", "orelse", "finalbody"):
        siblings = getattr(parent, field_name, None)
        if not isinstance(siblings, list) or stmt not in siblings:
            continue
        index = siblings.index(stmt)
        # The statement before, over asserts and docstring-like expressions that do no I/O.
        before = None
        for candidate in reversed(siblings[:index]):
            if isinstance(candidate, (ast.Assert, ast.Pass)) or (
                isinstance(candidate, ast.Expr) and isinstance(candidate.value, ast.Constant)
            ):
                continue
            before = candidate
            break
        if isinstance(before, ast.Try) and (
            _always_leaves(before.body) or _always_leaves(before.orelse)
        ):
            for handler in before.handlers:
                names = {model.qualname(t) for t in _handler_types(handler)}
                if names & {"builtins.FileNotFoundError"}:
                    return True
    return False


def _handler_types(handler: ast.ExceptHandler) -> list[ast.expr]:
    if handler.type is None:
        return []
    if isinstance(handler.type, ast.Tuple):
        return list(handler.type.elts)
    return [handler.type]


def _passed_for_publishing(model: ModuleModel, fn: FunctionFacts, file: WrittenFile) -> bool:
    """The path is a parameter and a caller in this module passes a temp path or publishes
    what it passed: the function writes a temp file for its caller."""
    node = fn.node
    if not isinstance(file.path, ast.Name) or not isinstance(
        node, (ast.FunctionDef, ast.AsyncFunctionDef)
    ):
        return False
    params = [a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)]
    if file.path.id not in params:
        return False
    bindings = model.bindings_of(file.path.id, file.path) or []
    if any(b.kind != "param" for b in bindings):
        return False
    index = params.index(file.path.id)
    is_method = isinstance(model.parent(node), ast.ClassDef)
    facts = model.fact(durability_facts)
    for call in model.calls_named(fn.name):
        arg = call_arg(call, index - (1 if is_method else 0), file.path.id)
        if arg is None:
            continue
        if looks_temporary(model, arg):
            return True
        unit = model.enclosing_function(call)
        caller = next((f for f in facts.functions if f.node is unit), None)
        if caller is not None and any(
            ast.unparse(p.source) == ast.unparse(arg) for p in caller.publishes
        ):
            return True
    return False


def _derived_copy(ctx: RuleContext, fn: FunctionFacts, file: WrittenFile) -> bool:
    """The rewritten file is a copy of data kept elsewhere (see
    :mod:`iolint.model.provenance`): silent unless strict."""
    if ctx.options.strict:
        return False
    calls = [file.node] + [
        e.node for e in file.events if e.kind in ("write", "use") and isinstance(e.node, ast.Call)
    ]
    precious = intent_of(ctx.model, file.node, file.path).precious is not None
    reason = rewrite_against(
        ctx.model, fn.node, file.node, file.path, calls, set(fn.read_paths), precious
    )
    return reason is not None


class NonAtomicOverwrite(Rule):
    code = "IO306"
    severity = "error"
    name = "non-atomic-overwrite"
    summary = "A save function truncates and rewrites its file in place."
    fix_applicability = Applicability.UNSAFE
    triggers = ("open(", "fdopen(", "write_text(", "write_bytes(", "NamedTemporaryFile(")

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        model = ctx.model
        once = OnePerTarget(model)
        for fn in _facts(ctx):
            if fn.copies:  # empty for nearly every function
                yield from self._staged_copies(ctx, fn, once)
            # A method may also save by rewriting the file another method of its class
            # loads (``rewrites_class_state``): it is judged file by file below.
            save = _is_save_function(ctx, fn)
            if not save and not (fn.files and fn.is_function):
                continue
            by_name = bool(ctx.options.save_function_pattern().search(fn.name))
            for file in fn.files:
                if not file.truncates or fresh_path(model, file.path):
                    continue
                if not save and not rewrites_class_state(model, fn, file):
                    continue
                if next_free_name(model, file.path) or _unlinked_before(fn, file):
                    continue
                if not _inplace_candidate(ctx, fn, file):
                    continue
                if _not_worth_it(ctx, file.node, file.path) or _derived_copy(ctx, fn, file):
                    continue
                if (
                    not by_name
                    and not fn.rewrites_what_it_read(file)
                    and not rewrites_class_state(model, fn, file)
                ):
                    # A save by read-modify-write: only the file it read and rewrites is the
                    # saved state; other files it writes (a new WHEEL beside it) are not.
                    continue
                if not once.first(file.path, file.node):
                    continue
                path = _label(model, file.path)
                message = (
                    f"`{fn.name}()` truncates `{path}` and rewrites it in place: a crash or "
                    "power failure mid-write leaves it empty or half-written; write a temp "
                    "file in the same directory, fsync it and `os.replace()` it onto the target"
                )
                from iolint.fixes.atomic import atomic_rewrite_fix

                yield self.diagnostic(ctx, file.node, message, atomic_rewrite_fix(model, file))

    def _staged_copies(
        self, ctx: RuleContext, fn: FunctionFacts, once: OnePerTarget
    ) -> Iterator[Diagnostic]:
        """``shutil.copy(tmp, dst)`` of a temp file the function wrote (see
        :mod:`iolint.model.staged_copy`): the copy rewrites ``dst`` in place."""
        model = ctx.model
        if fn.name.startswith("test"):
            return
        for copy in fn.copies:
            target = copy.target
            if copy_target_expendable(model, copy) or fallback_of_rename(model, fn, copy):
                continue
            if next_free_name(model, target):
                continue
            if any(
                u.seq < copy.seq and ast.unparse(u.path) == ast.unparse(target) for u in fn.unlinks
            ):
                continue  # removed first: the copy creates a new file
            if _creates_missing_at(model, copy.call, target):
                continue
            if _not_worth_it(ctx, copy.call, target, copy.call.args[0]):
                continue
            if not once.first(target, copy.call):
                continue
            func = model.call_qualname(copy.call) or "shutil.copy"
            message = (
                f"`{fn.name}()` writes a temp file and copies it onto `{_label(model, target)}` "
                f"with `{func}()`, which truncates and rewrites the target in place: a crash or "
                "power failure mid-copy leaves it empty or half-written; write the temp file "
                "in the target's directory, fsync it and `os.replace()` it onto the target"
            )
            yield self.diagnostic(ctx, copy.call, message)


# ---------------------------------------------------------------------------- IO307


class UnsyncedSave(Rule):
    code = "IO307"
    severity = "error"
    name = "unsynced-save"
    summary = "A save function appends to or creates a file and closes it without fsync."
    fix_applicability = Applicability.UNSAFE
    triggers = ("open(", "fdopen(")

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        model = ctx.model
        once = OnePerTarget(model)
        for fn in _facts(ctx):
            if not _is_save_function(ctx, fn):
                continue
            for file in fn.files:
                if file.temp is not None or _published(fn, file) or file.api == "path.write":
                    continue
                if _written_by_callee(file):
                    continue
                if is_device_path(model, file.path) or looks_temporary(model, file.path):
                    continue
                fresh = file.truncates and fresh_path(model, file.path)
                if not (file.appends or file.exclusive or fresh) or not file.written:
                    continue
                close = file.close_event()
                if close is None:
                    continue
                synced = any(
                    e.kind in ("fsync", "maybe_fsync") and e.seq < close.seq for e in file.events
                ) or any(
                    s.scope in ("global", "unknown") for s in fn.syncs_between(file.seq, close.seq)
                )
                if synced or _not_worth_it(ctx, file.node, file.path):
                    continue
                if file.appends and not ctx.options.strict and chunk_of_transfer(model, fn.node):
                    continue
                if not once.first(file.path, file.node):
                    continue
                how = "appends to" if file.appends else "creates"
                message = (
                    f"`{fn.name}()` {how} `{_label(model, file.path)}` and closes it without "
                    "fsync: the data can vanish after a power failure although the save "
                    "returned; flush and `os.fsync()` the file before it is closed"
                )
                yield self.diagnostic(ctx, file.node, message, self._fix(model, file))

    def _fix(self, model: ModuleModel, file: WrittenFile) -> Fix | None:
        return _flush_fsync_fix(model, file, None, None)


# ---------------------------------------------------------------------------- IO308


class MacosFsyncIsNotFull(Rule):
    code = "IO308"
    severity = "note"
    name = "macos-fsync-is-not-full"
    summary = "On macOS `os.fsync()` does not flush the drive cache; `F_FULLFSYNC` does."
    fix_applicability = Applicability.DISPLAY_ONLY
    default_enabled = False
    triggers = ("fsync",)

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        model = ctx.model
        for call in model.calls_named("fsync"):
            if model.call_qualname(call) != "os.fsync":
                continue
            if DARWIN not in reachable_platforms(model, call):
                continue
            unit = model.enclosing_function(call) or model.statement_of(call)
            if unit is not None and "F_FULLFSYNC" in model.text_of(unit):
                continue
            message = (
                "on macOS `os.fsync()` does not flush the drive's write cache, so the data "
                "can still be lost on power failure; use `fcntl.fcntl(fd, fcntl.F_FULLFSYNC)` "
                "there and fall back to `os.fsync()` only on ENOTSUP/EINVAL"
            )
            yield self.diagnostic(ctx, call, message)


# ---------------------------------------------------------------------------- IO309


class GlobalSync(Rule):
    code = "IO309"
    name = "global-sync"
    summary = "`os.sync()` flushes every file system of the machine to persist one file."
    fix_applicability = Applicability.DISPLAY_ONLY
    triggers = ("sync(",)

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for fn in _facts(ctx):
            for s in fn.syncs:
                if s.scope != "global":
                    continue
                written = [f for f in fn.files if f.written and f.seq < s.seq]
                if not written or all(_file_not_worth_it(ctx, fn, f) for f in written):
                    continue
                message = (
                    "`os.sync()` writes back every file system of the machine to persist a file "
                    "written here: slow on a busy host, and POSIX lets it return before the "
                    "data is on disk; fsync the file and its directory instead"
                )
                yield self.diagnostic(ctx, s.call, message)
