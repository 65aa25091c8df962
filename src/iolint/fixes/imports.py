"""Adding ``import x`` lines the way isort and ruff's ``I`` rules would place them.

A fix that needs ``os`` must not leave the module failing the import-order check its project
runs. The module's top import block is read as sections separated by blank lines (isort's
layout: ``__future__``, standard library, third party, first party); a standard-library module
joins the standard-library section, in alphabetical order among the plain ``import``
statements, which come before the ``from`` imports of the section (isort's default
``force_sort_within_sections = false``). A module without such a section gets one before its
other imports, after the docstring and ``from __future__``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from iolint.diagnostics import Edit, Position
from iolint.model import ModuleModel
from iolint.stdlib_names import in_stdlib


@dataclass(frozen=True)
class _Import:
    stmt: ast.Import | ast.ImportFrom
    module: str  # the first module named, lowercased for comparison
    plain: bool  # ``import x`` rather than ``from x import y``

    @property
    def stdlib(self) -> bool:
        return in_stdlib(self.module)


def _describe(stmt: ast.Import | ast.ImportFrom) -> _Import:
    if isinstance(stmt, ast.Import):
        return _Import(stmt, stmt.names[0].name.lower(), True)
    return _Import(stmt, ("." * stmt.level + (stmt.module or "")).lower(), False)


def _header_end(body: list[ast.stmt]) -> int:
    """Index of the first statement after the docstring."""
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        if isinstance(body[0].value.value, str):
            return 1
    return 0


def _is_dunder_assignment(stmt: ast.stmt) -> bool:
    """``__all__ = [...]``, ``__version__ = "1"``: module dunders, which PEP 8 puts after the
    docstring and before the imports (dulwich, pipx's ``__lazy_modules__``)."""
    targets: list[ast.expr] = []
    if isinstance(stmt, ast.Assign):
        targets = stmt.targets
    elif isinstance(stmt, ast.AnnAssign):
        targets = [stmt.target]
    return bool(targets) and all(
        isinstance(t, ast.Name) and t.id.startswith("__") and t.id.endswith("__") for t in targets
    )


def _sections(model: ModuleModel) -> tuple[list[list[_Import]], int]:
    """The leading import block as blank-line separated sections (``__future__`` excluded),
    and the index of the first top-level statement after the docstring, the future imports
    and the module dunders that precede the imports."""
    body = model.tree.body
    i = _header_end(body)
    while i < len(body) and isinstance(body[i], ast.ImportFrom):
        stmt = body[i]
        assert isinstance(stmt, ast.ImportFrom)
        if stmt.module != "__future__":
            break
        i += 1
    while i < len(body) and _is_dunder_assignment(body[i]):
        i += 1
    first = i
    sections: list[list[_Import]] = []
    previous_end = -1
    while i < len(body) and isinstance(body[i], (ast.Import, ast.ImportFrom)):
        stmt = body[i]
        assert isinstance(stmt, (ast.Import, ast.ImportFrom))
        start = model.start(stmt).line
        blank_between = previous_end >= 0 and any(
            not model.source.line(n).strip() for n in range(previous_end + 1, start)
        )
        if not sections or blank_between:
            sections.append([])
        sections[-1].append(_describe(stmt))
        previous_end = model.end(stmt).line
        i += 1
    return sections, first


def _line_start(line: int) -> Position:
    return Position(line, 0)


def _at_end(model: ModuleModel, text: str) -> Edit:
    """Insert ``text`` at the very end of the module."""
    last = model.source.line_count
    pos = Position(last, len(model.source.line(last)))
    return Edit(pos, pos, text)


def import_edits(model: ModuleModel, modules: list[str]) -> list[Edit]:
    """Edits adding ``import <m>`` for each standard-library module in ``modules``."""
    if not modules:
        return []
    nl = model.source.newline
    sections, first = _sections(model)
    body = model.tree.body
    stdlib = next((s for s in sections if all(i.stdlib for i in s)), None)
    if stdlib is None:
        # A module that does not separate its sections: the one that starts with the
        # standard library.
        stdlib = next((s for s in sections if s[0].stdlib), None)
    # Several new lines at one point are joined into one edit (two insertions at one point
    # would have no defined order).
    at: dict[Position, list[str]] = {}
    if stdlib is None:
        lines = [f"import {m}" for m in sorted(modules)]
        if sections:
            # A new standard-library section before the first section.
            pos = _line_start(model.start(sections[0][0].stmt).line)
            return [Edit(pos, pos, "".join(line + nl for line in lines) + nl)]
        if first > 0:
            # After the docstring and future imports, one blank line apart (isort's layout).
            end = model.end(body[first - 1]).line
            after = model.source.line(end + 1)
            text = nl + "".join(line + nl for line in lines) + (nl if after.strip() else "")
            if end >= model.source.line_count or (
                end + 1 == model.source.line_count and not model.source.text.endswith(("\n", "\r"))
            ):
                return [_at_end(model, nl + text)]
            pos = _line_start(end + 1)
            return [Edit(pos, pos, text)]
        if body:
            node = body[0]
            line = model.start(node).line
            deco = getattr(node, "decorator_list", None)
            if deco:
                line = min(line, *(d.lineno for d in deco))
            gap = nl * (2 if isinstance(node, (ast.FunctionDef, ast.ClassDef)) else 1)
            pos = _line_start(line)
            return [Edit(pos, pos, "".join(s + nl for s in lines) + gap)]
        pos = _at_end(model, "").start
        prefix = nl if model.source.text and not model.source.text.endswith(("\n", "\r")) else ""
        return [Edit(pos, pos, prefix + "".join(s + nl for s in lines))]
    for m in modules:
        pos = _position_in(model, stdlib, m)
        at.setdefault(pos, []).append(f"import {m}")
    return [Edit(p, p, "".join(s + nl for s in sorted(lines))) for p, lines in at.items()]


def _position_in(model: ModuleModel, section: list[_Import], module: str) -> Position:
    """Where ``import module`` goes in a section: before the first plain import that sorts
    after it, else after the last plain import, else before the first ``from`` import."""
    plain = [i for i in section if i.plain]
    for imp in plain:
        if imp.module > module.lower():
            return _line_start(model.start(imp.stmt).line)
    if plain:
        return _line_start(model.end(plain[-1].stmt).line + 1)
    return _line_start(model.start(section[0].stmt).line)


def module_available(model: ModuleModel, name: str, at: ast.AST) -> bool | None:
    """True when ``name`` is the module ``name`` at ``at``; None when it is unbound (an
    import can be added); False when it means something else."""
    bindings = model.bindings_of(name, at)
    if bindings is None:
        return None
    return bool(bindings) and all(b.kind == "import" and b.qualname == name for b in bindings)


def need_modules(model: ModuleModel, at: ast.AST, *modules: str) -> tuple[bool, list[str]]:
    """Whether the modules are usable at ``at`` (possibly after adding imports), and which
    imports to add."""
    missing: list[str] = []
    for m in modules:
        state = module_available(model, m, at)
        if state is False:
            return False, []
        if state is None:
            missing.append(m)
    return True, missing


def first_after_imports(model: ModuleModel) -> int:
    """Index of the first module-level statement after the docstring and the imports: where
    a helper a fix adds goes, so that every fix of the module puts it at the same place."""
    body = model.tree.body
    i = _header_end(body)
    while i < len(body) and (
        isinstance(body[i], (ast.Import, ast.ImportFrom))
        or _is_dunder_assignment(body[i])
        or _imports_only(body[i])
    ):
        i += 1
    return i


def _imports_only(stmt: ast.stmt) -> bool:
    """``if TYPE_CHECKING:`` or ``try: import x / except ImportError:`` holding nothing but
    imports: part of the import block (dulwich's worktree.py imports more after one)."""
    if isinstance(stmt, ast.If):
        parts = [stmt.body, stmt.orelse]
    elif isinstance(stmt, ast.Try):
        parts = [stmt.body, stmt.orelse, *(h.body for h in stmt.handlers)]
    else:
        return False
    return all(
        isinstance(s, (ast.Import, ast.ImportFrom, ast.Pass)) for part in parts for s in part
    )


def unused_after_removal(model: ModuleModel, removed: ast.stmt) -> list[Edit] | None:
    """Edits removing the imports that only ``removed`` used, so that deleting it leaves no
    unused import (pyflakes F401); None when such an import shares its statement with other
    names (the fix would have to rewrite it)."""
    inside = {id(n) for n in ast.walk(removed)}
    edits: list[Edit] = []
    seen: set[int] = set()
    for node in ast.walk(removed):
        if not isinstance(node, ast.Name) or not isinstance(node.ctx, ast.Load):
            continue
        bindings = model.bindings_of(node.id, node) or []
        imports = [b.node for b in bindings if b.kind == "import"]
        if not imports or len(imports) != len(bindings):
            continue
        still_used = any(
            isinstance(n, ast.Name) and n.id == node.id and id(n) not in inside
            for n in ast.walk(model.tree)
        )
        if still_used:
            continue
        for stmt in imports:
            if id(stmt) in seen:
                continue
            seen.add(id(stmt))
            if not isinstance(stmt, (ast.Import, ast.ImportFrom)) or len(stmt.names) != 1:
                return None
            if model.parent(stmt) is not model.tree:
                return None
            start, end = model.start(stmt), model.end(stmt)
            edits.append(Edit(Position(start.line, 0), Position(end.line + 1, 0), ""))
    return edits
