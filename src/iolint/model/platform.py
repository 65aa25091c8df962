"""Platform facts: where a piece of code can run, and what a rename target can be.

``os.rename`` overwrites atomically on POSIX and only Windows raises ``FileExistsError``, so
IO305's Windows finding needs code that may run there; POSIX advice (IO502's mode bits, a
directory fsync for IO303) means nothing in Windows-only code. The guards around a node are
read by :func:`iolint.model.durability.reachable_platforms`; this module adds what the whole
module says (a POSIX-only import, ``os.fork``, a Windows-only import), functions only called
under a Windows guard, and what happened to a rename target earlier in its function.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from iolint.model.durability import ALL_PLATFORMS, WINDOWS, reachable_platforms
from iolint.model.kinds import call_arg
from iolint.model.module import ModuleModel
from iolint.model.scopes import walk_local

# Importing one of these unconditionally makes the module POSIX-only.
POSIX_ONLY_MODULES = frozenset({"fcntl", "pwd", "grp", "termios", "pty", "resource", "tty"})
WINDOWS_ONLY_MODULES = frozenset({"msvcrt", "winreg", "_winapi", "winsound", "win32api"})
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)
_TEMP_NAME_CALLS = frozenset({"tempfile.mkstemp", "tempfile.mktemp"})


@dataclass(frozen=True)
class ModulePlatform:
    # Unconditional top-level imports of POSIX-only modules, or a call of ``os.fork``.
    posix_only: bool
    # ``os.name == "nt"``-style tests, or Windows-only imports anywhere: written for both.
    windows_aware: bool
    # Unconditional top-level imports of Windows-only modules.
    windows_only: bool


def unconditional_imports(model: ModuleModel) -> set[str]:
    """Modules imported by top-level statements (not inside ``try``/``if``)."""
    found: set[str] = set()
    for stmt in model.tree.body:
        if isinstance(stmt, ast.Import):
            found |= {a.name.split(".")[0] for a in stmt.names}
        elif isinstance(stmt, ast.ImportFrom) and stmt.module and not stmt.level:
            found.add(stmt.module.split(".")[0])
    return found


def _all_imports(model: ModuleModel) -> set[str]:
    found: set[str] = set()
    for node in model.nodes(ast.Import, ast.ImportFrom):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def _tests_windows(model: ModuleModel) -> bool:
    from iolint.model.durability import platform_test

    for node in model.nodes(ast.Compare, ast.Call):
        true, false = platform_test(model, node)
        if WINDOWS in true and len(true) == 1:
            return True
        # ``if os.name == "posix": ... else: ...``: the ``else`` is the Windows branch.
        parent = model.parent(node)
        if false == {WINDOWS} and isinstance(parent, (ast.If, ast.IfExp)) and parent.orelse:
            if parent.test is node:
                return True
    return False


def module_platform(model: ModuleModel) -> ModulePlatform:
    top = unconditional_imports(model)
    forks = any(model.call_qualname(c) == "os.fork" for c in model.calls_named("fork"))
    return ModulePlatform(
        posix_only=bool(top & POSIX_ONLY_MODULES) or forks,
        windows_aware=bool(_all_imports(model) & WINDOWS_ONLY_MODULES) or _tests_windows(model),
        windows_only=bool(top & WINDOWS_ONLY_MODULES),
    )


def may_run_on_windows(model: ModuleModel, node: ast.AST, *, strict: bool = False) -> bool:
    """``node`` can run on Windows: no POSIX guard around it, and the module is not POSIX-only
    (a module that tests for Windows is written for both, whatever it imports). A guard is
    certain; a POSIX-only import is an inference, which ``strict`` does not trust."""
    if WINDOWS not in reachable_platforms(model, node):
        return False
    facts = model.fact(module_platform)
    return strict or facts.windows_aware or not facts.posix_only


def windows_only(model: ModuleModel, node: ast.AST, depth: int = 0) -> bool:
    """``node`` runs only on Windows: under a Windows guard, in a module that imports a
    Windows-only module unconditionally, or in a function called only from such places."""
    if model.fact(module_platform).windows_only:
        return True
    if reachable_platforms(model, node) <= {WINDOWS}:
        return True
    if depth > 3:
        return False
    fn = next((a for a in model.ancestors(node) if isinstance(a, _DEFS)), None)
    if fn is None:
        return False
    calls = [
        c
        for c in model.calls_named(fn.name)
        if (isinstance(c.func, ast.Name) and c.func.id == fn.name)
        or (isinstance(c.func, ast.Attribute) and c.func.attr == fn.name)
    ]
    return bool(calls) and all(windows_only(model, c, depth + 1) for c in calls)


# ---------------------------------------------------------------------------- rename targets


def _key(expr: ast.expr | None) -> str | None:
    if expr is None:
        return None
    if isinstance(expr, ast.Call) and len(expr.args) == 1 and not expr.keywords:
        func = expr.func
        if isinstance(func, ast.Name) and func.id in ("str", "Path"):
            return _key(expr.args[0])
    return ast.unparse(expr)


def _removed_or_moved(model: ModuleModel, call: ast.Call) -> ast.expr | None:
    """The path a call removes or renames away (``os.remove(p)``, ``p.unlink()``,
    ``os.rename(p, q)``, ``shutil.move(p, q)``, ``p.rename(q)``)."""
    q = model.call_qualname(call)
    if q in ("os.remove", "os.unlink"):
        return call_arg(call, 0, "path")
    if q in ("os.rename", "os.replace", "shutil.move"):
        return call_arg(call, 0, "src")
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in ("unlink", "rename", "replace"):
        if func.attr == "unlink" and not call.args:
            return func.value
        if func.attr in ("rename", "replace") and len(call.args) == 1:
            if model.is_path_expr(func.value):
                return func.value
    return None


def gone_before(model: ModuleModel, publish: ast.Call, target: ast.expr) -> bool:
    """The target of ``publish`` was removed or renamed away earlier in the same function,
    outside any platform guard (then it cannot exist when the rename runs), or it is a name
    reserved with ``mkstemp``/``mktemp`` by this function (the temp-name reservation idiom)."""
    fn = next((a for a in model.ancestors(publish) if isinstance(a, _DEFS)), None)
    if fn is None:
        return False
    wanted = _key(target)
    here = (publish.lineno, publish.col_offset)
    for node in walk_local(fn.body):
        if not isinstance(node, ast.Call) or (node.lineno, node.col_offset) >= here:
            continue
        path = _removed_or_moved(model, node)
        if path is not None and _key(path) == wanted and node is not publish:
            if (
                WINDOWS in reachable_platforms(model, node)
                and reachable_platforms(model, node) >= reachable_platforms(model, publish)
                and not _skippable(model, node, publish, wanted)
            ):
                return True
    return reserved_temp_name(model, target)


def _in_body(model: ModuleModel, branch: ast.If, node: ast.AST) -> bool:
    ids = set(map(id, model.ancestors(node)))
    return any(id(s) in ids or s is node for s in branch.body)


def _skippable(
    model: ModuleModel, removal: ast.Call, publish: ast.Call, wanted: str | None
) -> bool:
    """The removal sits under an ``if`` the rename does not share, whose test is neither about
    the platform nor about the target's existence: ``if backup and target.exists(): rename
    it away`` leaves the target in place when ``backup`` is false, so the rename still meets
    it. ``if os.path.exists(target): os.remove(target)`` and ``if os.name == "nt": ...``
    leave no existing target on Windows whichever way they go."""
    from iolint.model.durability import platform_test

    inside = set(map(id, model.ancestors(publish)))
    for anc in model.ancestors(removal):
        if isinstance(anc, _DEFS):
            return False
        if not isinstance(anc, ast.If):
            continue
        if id(anc) in inside and _in_body(model, anc, removal) == _in_body(model, anc, publish):
            continue  # the rename runs in the same branch: it only runs where the removal did
        test = anc.test.operand if isinstance(anc.test, ast.UnaryOp) else anc.test
        tested = _exists_of(model, test)
        if tested is not None and _key(tested) == wanted:
            continue
        if platform_test(model, anc.test) != (ALL_PLATFORMS, ALL_PLATFORMS):
            continue
        return True
    return False


def reserved_temp_name(model: ModuleModel, target: ast.expr) -> bool:
    """``fd, name = mkstemp(...)`` / ``name = mktemp()``: the target is a name the function
    made unique itself, not a file that may already exist."""
    if not isinstance(target, ast.Name):
        return False
    for b in model.bindings_of(target.id, target) or ():
        value = b.value
        if isinstance(value, ast.Call) and model.call_qualname(value) in _TEMP_NAME_CALLS:
            return True
    return False


_EXISTS_CALLS = frozenset({"os.path.exists", "os.path.lexists", "os.path.isfile"})


def checked_absent(model: ModuleModel, publish: ast.Call, target: ast.expr) -> bool:
    """The rename runs only where a test just found the target absent: in the ``else`` of
    ``if os.path.exists(target)`` or the body of ``if not os.path.exists(target)`` (or
    ``target.exists()``). Only a concurrent writer creating it in between can make Windows
    raise, and code written this way handles the file that is already there."""
    wanted = _key(target)
    child: ast.AST = publish
    for anc in model.ancestors(publish):
        if isinstance(anc, _DEFS):
            return False
        if isinstance(anc, ast.If):
            test, negated = anc.test, False
            if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
                test, negated = test.operand, True
            tested = _exists_of(model, test)
            if tested is not None and _key(tested) == wanted:
                in_body = any(child is s for s in anc.body)
                return in_body if negated else not in_body
        child = anc
    return False


def _exists_of(model: ModuleModel, test: ast.expr) -> ast.expr | None:
    """The path ``test`` checks for existence, or None."""
    if not isinstance(test, ast.Call):
        return None
    if model.call_qualname(test) in _EXISTS_CALLS:
        return call_arg(test, 0, "path")
    func = test.func
    if isinstance(func, ast.Attribute) and func.attr in ("exists", "is_file") and not test.args:
        return func.value
    return None


def handles_exists_error(model: ModuleModel, publish: ast.Call) -> bool:
    """The rename runs in a ``try`` whose handler catches ``FileExistsError``: the Windows
    case is handled (``try: os.rename(a, b) except FileExistsError: os.replace(a, b)``)."""
    child: ast.AST = publish
    for anc in model.ancestors(publish):
        if isinstance(anc, (*_DEFS, ast.Lambda, ast.ClassDef)):
            return False
        if isinstance(anc, ast.Try) and any(child is s for s in anc.body):
            for handler in anc.handlers:
                types = (
                    handler.type.elts
                    if isinstance(handler.type, ast.Tuple)
                    else [handler.type]
                    if handler.type is not None
                    else []
                )
                if any(model.qualname(t) == "builtins.FileExistsError" for t in types):
                    return True
        child = anc
    return False


def _version_subject(model: ModuleModel, expr: ast.expr) -> int | None:
    """How many leading version parts ``expr`` is: ``sys.version_info`` (all),
    ``sys.version_info[0]`` / ``.major`` (1)."""
    if model.qualname(expr) == "sys.version_info":
        return 0
    if isinstance(expr, ast.Subscript) and model.qualname(expr.value) == "sys.version_info":
        index = expr.slice
        if isinstance(index, ast.Constant) and index.value == 0:
            return 1
    if isinstance(expr, ast.Attribute) and expr.attr == "major":
        if model.qualname(expr.value) == "sys.version_info":
            return 1
    return None


def _version_literal(expr: ast.expr) -> tuple[int, ...] | None:
    if isinstance(expr, ast.Constant) and isinstance(expr.value, int):
        return (expr.value,)
    if isinstance(expr, ast.Tuple) and all(
        isinstance(e, ast.Constant) and isinstance(e.value, int) for e in expr.elts
    ):
        return tuple(e.value for e in expr.elts)  # type: ignore[attr-defined]
    return None


def _branch_before(
    model: ModuleModel, test: ast.expr, in_body: bool, bound: tuple[int, ...]
) -> bool:
    """The branch of ``if test`` (body or else) runs only on Pythons older than ``bound``."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _branch_before(model, test.operand, not in_body, bound)
    if not isinstance(test, ast.Compare) or len(test.ops) != 1:
        return False
    parts = _version_subject(model, test.left)
    value = _version_literal(test.comparators[0])
    if parts is None or value is None:
        return False
    op = test.ops[0]
    # Reduce to "the branch holds exactly when version < v" or "version <= v".
    if isinstance(op, (ast.GtE, ast.Gt)) and not in_body:
        strict = isinstance(op, ast.GtE)  # not (version >= v) is version < v
    elif isinstance(op, (ast.Lt, ast.LtE)) and in_body:
        strict = isinstance(op, ast.Lt)
    elif isinstance(op, ast.Eq) and in_body and parts == 1:
        strict = False  # version[0] == 2
    else:
        return False
    if parts == 1:
        # ``major < 3`` is ``version < (3,)``; ``major <= 2`` is ``version < (3,)`` too.
        upper = (value[0],) if strict else (value[0] + 1,)
        return upper <= bound
    return value <= bound if strict else value < bound


def only_before(model: ModuleModel, node: ast.AST, bound: tuple[int, ...]) -> bool:
    """``node`` runs only on Pythons older than ``bound`` (``(3, 3)``): in the ``else`` of
    ``if sys.version_info >= (3, 3)`` or the body of ``if sys.version_info[0] == 2``. Advice
    that needs a newer API (``os.replace``) cannot be followed there."""
    child: ast.AST = node
    for anc in model.ancestors(node):
        if isinstance(anc, ast.If):
            in_body = any(child is s for s in anc.body)
            in_else = any(child is s for s in anc.orelse)
            if (in_body or in_else) and _branch_before(model, anc.test, in_body, bound):
                return True
        child = anc
    return False
