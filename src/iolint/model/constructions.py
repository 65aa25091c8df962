"""What a class is constructed with, from its call sites across the project.

``Connection(ip, port, self.request)`` in a request handler tells the module that defines
``Connection`` that its ``__init__`` receives a stream socket as ``socket``, and so that
``self.socket = socket`` is one. The fact is taken only when every call site the project
index sees agrees: each passes the parameter, each with the same known kind, none unpacks
``*args``/``**kwargs``, and no project class derives from this one (a subclass reaches
``__init__`` through ``super()``, with arguments nobody recorded). One call site that passes
something else, or nothing, leaves the parameter unknown and the rules silent.

Each module records its calls of classes (a callee whose last name is capitalized, outside
the standard library) in its index facts: the positional count, the keywords, and the kinds
of the arguments its own model can tell.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterable
from typing import TYPE_CHECKING

from iolint.model.index import CallFact, KindFact, absolute_module
from iolint.model.kinds import ObjKind
from iolint.stdlib_names import in_stdlib

if TYPE_CHECKING:
    from iolint.model.module import ModuleModel


def _is_class_callee(qualname: str | None) -> bool:
    if not qualname or qualname.startswith("builtins."):
        return False
    return not in_stdlib(qualname) and qualname.rsplit(".", 1)[-1][:1].isupper()


def _shape(call: ast.Call) -> tuple[int, tuple[str, ...], bool]:
    positional = 0
    unpacks = False
    for a in call.args:
        if isinstance(a, ast.Starred):
            unpacks = True
            break
        positional += 1
    keywords = tuple(k.arg for k in call.keywords if k.arg is not None)
    unpacks = unpacks or any(k.arg is None for k in call.keywords)
    return positional, keywords, unpacks


def recorded_constructions(model: ModuleModel) -> dict[str, tuple[CallFact, ...]]:
    """This module's calls of classes, with the kinds of their arguments."""
    found: dict[str, list[CallFact]] = {}
    for call in model.calls:
        callee = model.project_qualname(call.func)
        if _is_class_callee(callee):
            found.setdefault(str(callee), []).append(_site(model, call))
    return {k: tuple(v) for k, v in found.items()}


def _site(model: ModuleModel, call: ast.Call) -> CallFact:
    positional, keywords, unpacks = _shape(call)
    kinds: dict[str, KindFact] = {}
    for i, arg in enumerate(call.args[:positional]):
        kind = model.kind_of(arg)
        if kind is not None:
            kinds[str(i)] = KindFact.of(kind)
    for keyword in call.keywords:
        if keyword.arg is not None:
            kind = model.kind_of(keyword.value)
            if kind is not None:
                kinds[keyword.arg] = KindFact.of(kind)
    return CallFact(positional, keywords, unpacks, kinds)


def unknown_constructions(
    tree: ast.Module, name: str, is_package: bool
) -> tuple[dict[str, tuple[CallFact, ...]], dict[str, tuple[str, ...]]]:
    """The class calls of a module without I/O (no model built for it): their arguments have
    no known kind, but they count as call sites that disagree. And the bases of its classes:
    a subclass reaches the base's ``__init__`` through ``super()``."""
    imported: dict[str, str] = {}
    local: set[str] = set()
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom):
            module = absolute_module(name, is_package, stmt)
            for alias in stmt.names:
                if module is not None and alias.name != "*":
                    imported[alias.asname or alias.name] = f"{module}.{alias.name}"
        elif isinstance(stmt, ast.Import):
            for alias in stmt.names:
                imported[alias.asname or alias.name.split(".", 1)[0]] = (
                    alias.name if alias.asname else alias.name.split(".", 1)[0]
                )
        elif isinstance(stmt, ast.ClassDef):
            local.add(stmt.name)
    found: dict[str, list[CallFact]] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        callee = _static_name(node.func, imported, local, name)
        if _is_class_callee(callee):
            positional, keywords, unpacks = _shape(node)
            found.setdefault(str(callee), []).append(CallFact(positional, keywords, unpacks))
    bases = {
        stmt.name: tuple(
            b for b in (_static_name(base, imported, local, name) for base in stmt.bases) if b
        )
        for stmt in tree.body
        if isinstance(stmt, ast.ClassDef)
    }
    return {k: tuple(v) for k, v in found.items()}, bases


def _static_name(func: ast.expr, imported: dict[str, str], local: set[str], module: str) -> str:
    parts: list[str] = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if not isinstance(func, ast.Name):
        return ""
    head = imported.get(func.id) or (f"{module}.{func.id}" if func.id in local else "")
    return ".".join([head, *reversed(parts)]) if head else ""


# ---------------------------------------------------------------------- parameter kinds


def _in_progress(model: ModuleModel) -> set[tuple[int, str]]:
    return set()


def constructor_parameter_kind(model: ModuleModel, param: ast.arg) -> ObjKind | None:
    """The kind every call site of the class passes for ``param`` of its ``__init__``."""
    arguments = model.parent(param)
    func = model.parent(arguments) if arguments is not None else None
    cls = model.parent(func) if func is not None else None
    if model.project is None:
        # Only a project has call sites to ask (and deriving a module's own facts for the
        # index must not read other modules).
        return None
    if not (
        isinstance(func, ast.FunctionDef)
        and func.name == "__init__"
        and isinstance(cls, ast.ClassDef)
        and any(cls is s for s in model.tree.body)
        and isinstance(arguments, ast.arguments)
    ):
        return None
    positional = [a.arg for a in [*arguments.posonlyargs, *arguments.args]][1:]
    keyword_only = [a.arg for a in arguments.kwonlyargs]
    if param.arg not in positional and param.arg not in keyword_only:
        return None  # ``self``, ``*args``, ``**kwargs``
    position = positional.index(param.arg) if param.arg in positional else None
    key = (id(func), param.arg)
    busy = model.fact(_in_progress)
    if key in busy:
        return None  # a call site passes the parameter on to another instance
    busy.add(key)
    try:
        qualname = f"{model.module}.{cls.name}"
        if _subclassed_here(model, cls):
            return None
        local = _local_sites(model, qualname)
        elsewhere = model.project.construction_sites(qualname, model.module)
        if elsewhere is None:
            return None
        agreed = _agreed(itertools.chain(local, elsewhere), position, param.arg)
        if agreed is None or model.project.has_subclass(qualname, model.module):
            return None
        return agreed
    finally:
        busy.discard(key)


def _local_sites(model: ModuleModel, qualname: str) -> list[CallFact]:
    sites: list[CallFact] = []
    short = qualname.rsplit(".", 1)[-1]
    for call in model.calls_named(short):
        if model.project_qualname(call.func) == qualname:
            sites.append(_site(model, call))
    return sites


def _local_base_names(model: ModuleModel) -> frozenset[str]:
    return frozenset(
        b.id for stmt in model.nodes(ast.ClassDef) for b in stmt.bases if isinstance(b, ast.Name)
    )


def _subclassed_here(model: ModuleModel, cls: ast.ClassDef) -> bool:
    return cls.name in model.fact(_local_base_names)


def _agreed(sites: Iterable[CallFact], position: int | None, name: str) -> ObjKind | None:
    """The one kind every site passes for the parameter; None at the first site that passes
    another, passes nothing or unpacks (the remaining sites are not looked at)."""
    agreed: KindFact | None = None
    for site in sites:
        if site.unpacks:
            return None
        if position is not None and position < site.positional:
            fact = site.kinds.get(str(position))
        elif name in site.keywords:
            fact = site.kinds.get(name)
        else:
            return None  # not passed: the default (usually None) reaches the attribute
        if fact is None or (agreed is not None and fact != agreed):
            return None
        agreed = fact
    return agreed.kind() if agreed is not None else None
