"""Helpers rules use to build fix edits that respect the file's own layout."""

from __future__ import annotations

import ast
import re

from iolint.diagnostics import Edit, Position
from iolint.model import ModuleModel


def replace_node(model: ModuleModel, node: ast.AST, content: str) -> Edit:
    return Edit(model.start(node), model.end(node), content)


def stands_alone(model: ModuleModel, stmt: ast.stmt) -> bool:
    """Whether a statement has its lines to itself (no ``;`` neighbours, not the one-line body
    of a compound statement), so that it can be replaced by several lines."""
    start, end = model.start(stmt), model.end(stmt)
    before = model.source.line(start.line)[: start.column]
    after = model.source.line(end.line)[end.column :]
    if before.strip():
        return False
    after = after.strip()
    return not after or after.startswith("#")


def indent_unit(model: ModuleModel, stmt: ast.stmt) -> str:
    """One level of indentation in the style of the surrounding code."""
    own = model.source.indentation(model.start(stmt).line)
    if "\t" in own:
        return "\t"
    return model.fact(_module_indent_unit)


_BLOCKS = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.If,
    ast.For,
    ast.While,
    ast.With,
    ast.Try,
)


def _module_indent_unit(model: ModuleModel) -> str:
    # Computed once per module: a fix per finding must not walk the whole tree each time
    # (that made files with thousands of findings quadratic).
    for node in ast.walk(model.tree):
        if isinstance(node, _BLOCKS):
            outer = model.source.indentation(node.lineno)
            inner = model.source.indentation(node.body[0].lineno)
            if inner.startswith(outer) and len(inner) > len(outer) and "\t" not in inner:
                return inner[len(outer) :]
    return "    "


def fresh_name(model: ModuleModel, base: str) -> str:
    """A name that appears nowhere in the module, so generated code cannot shadow anything."""
    words = model.fact(_words)
    candidate = base
    n = 1
    while candidate in words:
        n += 1
        candidate = f"{base}{n}"
    return candidate


def _words(model: ModuleModel) -> frozenset[str]:
    # Every maximal run of word characters: ``x in _words`` is ``re.search(rf"\b{x}\b")``
    # on the text, without scanning the whole text once per fix.
    return frozenset(re.findall(r"\w+", model.source.text))


def lines_block(model: ModuleModel, indent: str, lines: list[str]) -> str:
    """Join generated lines with the file's newline; the first line carries no indentation
    because it replaces text that starts after the existing indentation."""
    nl = model.source.newline
    return nl.join((indent + line if i else line) for i, line in enumerate(lines))


def insert_after_statement(
    model: ModuleModel, stmt: ast.stmt, lines: list[str], indent: str
) -> Edit:
    """Insert ``lines`` as new lines right after ``stmt`` (which must stand alone)."""
    end = model.end(stmt)
    line_text = model.source.line(end.line)
    pos = Position(end.line, len(line_text))  # after any trailing comment
    nl = model.source.newline
    content = "".join(nl + indent + line for line in lines)
    return Edit(pos, pos, content)


def insert_before_statement(model: ModuleModel, stmt: ast.stmt, lines: list[str]) -> Edit:
    """Insert ``lines`` before ``stmt`` at its indentation (``stmt`` must stand alone)."""
    start = model.start(stmt)
    indent = model.source.indentation(start.line)
    nl = model.source.newline
    content = "".join(line + nl + indent for line in lines)
    return Edit(start, start, content)
