"""Scopes, bindings and reads, collected in one walk of the ``ast`` tree.

The model is deliberately flow-insensitive for object kinds (a name has one kind if all its
bindings agree) and source-ordered for value flow (the uses of a value are the reads of its name
after the binding and before the next rebinding). Both choices err towards silence: a name bound
to different things has no kind, and rules stay quiet about it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Callable

ScopeNode = ast.AST  # Module, FunctionDef, AsyncFunctionDef, Lambda, ClassDef

FUNCTION_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
SCOPE_NODES = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


@dataclass(eq=False)
class Binding:
    """One place where a name is bound.

    ``kind`` is one of ``assign``, ``with``, ``walrus``, ``import``, ``param``, ``def``,
    ``augassign``, ``annotation`` (annotated, no value) or ``other`` (for targets, except
    names, match captures, deletions: anything whose value the model does not follow).
    """

    name: str
    kind: str
    node: ast.AST
    value: ast.expr | None = None
    index: int | None = None
    qualname: str | None = None
    annotation: ast.expr | None = None


@dataclass(eq=False)
class Scope:
    node: ScopeNode
    parent: Scope | None
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    loads: dict[str, list[ast.Name]] = field(default_factory=dict)
    children: list[Scope] = field(default_factory=list)
    declared_global: set[str] = field(default_factory=set)

    @property
    def is_function(self) -> bool:
        return isinstance(self.node, FUNCTION_NODES)

    @property
    def is_class(self) -> bool:
        return isinstance(self.node, ast.ClassDef)

    def bind(self, binding: Binding) -> None:
        self.bindings.setdefault(binding.name, []).append(binding)

    def lookup_scope(self, name: str) -> Scope | None:
        """The scope whose binding of ``name`` a read in this scope sees (LEGB)."""
        scope: Scope | None = self
        first = True
        while scope is not None:
            # Class bodies are not visible from the functions nested in them.
            if (first or not scope.is_class) and name in scope.bindings:
                return scope
            first = False
            scope = scope.parent
        return None

    def iter_descendants(self) -> list[Scope]:
        out: list[Scope] = []
        stack = [self]
        while stack:
            s = stack.pop()
            out.append(s)
            stack.extend(s.children)
        return out

    def is_read(self, name: str) -> bool:
        """Whether ``name`` is read in this scope or in a scope nested in it."""
        return any(name in s.loads for s in self.iter_descendants())


def dotted_name(expr: ast.AST | None) -> str | None:
    """The spelling of a name or attribute chain (``f``, ``self._tmp``, ``socket.socket``),
    else None."""
    parts: list[str] = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if isinstance(expr, ast.Name):
        parts.append(expr.id)
        return ".".join(reversed(parts))
    return None


def walk_local(nodes: Iterable[ast.AST]) -> Iterator[ast.AST]:
    """Every node under ``nodes`` (themselves included) without entering nested functions,
    lambdas or classes: what runs in the enclosing scope."""
    stack = list(nodes)
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, (*FUNCTION_NODES, ast.ClassDef)):
                stack.append(child)


def _target_bindings(
    target: ast.expr, kind: str, node: ast.AST, value: ast.expr | None
) -> list[Binding]:
    if isinstance(target, ast.Name):
        return [Binding(target.id, kind, node, value)]
    if isinstance(target, (ast.Tuple, ast.List)):
        out: list[Binding] = []
        plain = all(isinstance(e, ast.Name) for e in target.elts)
        for i, elt in enumerate(target.elts):
            if plain and isinstance(elt, ast.Name):
                out.append(Binding(elt.id, kind, node, value, index=i))
            else:
                out.extend(_target_bindings(_unstar(elt), "other", node, None))
        return out
    if isinstance(target, ast.Starred):
        return _target_bindings(target.value, "other", node, None)
    return []


def _unstar(e: ast.expr) -> ast.expr:
    return e.value if isinstance(e, ast.Starred) else e


@dataclass
class ScopeIndex:
    """Everything the single walk records."""

    module_scope: Scope
    scope_of_node: dict[ast.AST, Scope]
    parents: dict[ast.AST, ast.AST]
    calls: list[ast.Call]
    calls_by_name: dict[str, list[ast.Call]]
    # Every node by its exact type, in visiting order (ModuleModel.nodes): recorded during
    # the walk, which already knows each node's type, instead of in a second pass.
    by_type: dict[type, list[ast.AST]]


def _import_bindings(node: ast.Import | ast.ImportFrom) -> list[Binding]:
    out: list[Binding] = []
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                out.append(Binding(alias.asname, "import", node, qualname=alias.name))
            else:
                top = alias.name.split(".", 1)[0]
                out.append(Binding(top, "import", node, qualname=top))
        return out
    if node.level:  # relative imports name project modules, never the stdlib
        for alias in node.names:
            out.append(Binding(alias.asname or alias.name, "other", node))
        return out
    module = node.module or ""
    for alias in node.names:
        if alias.name == "*":
            continue
        out.append(
            Binding(alias.asname or alias.name, "import", node, qualname=f"{module}.{alias.name}")
        )
    return out


def _bind_arguments(scope: Scope, args: ast.arguments) -> None:
    all_args = [*args.posonlyargs, *args.args]
    if args.vararg:
        all_args.append(args.vararg)
    all_args.extend(args.kwonlyargs)
    if args.kwarg:
        all_args.append(args.kwarg)
    for a in all_args:
        scope.bind(Binding(a.arg, "param", a, annotation=a.annotation))


# Operator and context nodes (``Load``, ``Add``, ``Eq``...) are shared singletons in CPython's
# trees, and only these fields hold them: recording a parent or a scope for them would be
# meaningless, and skipping them saves about a third of the visits.
_SINGLETON_FIELDS = frozenset({"ctx", "op", "ops"})

# ast.MatchAs / MatchStar / MatchMapping exist from Python 3.10 on.
_MATCH_CAPTURES: frozenset[type] = frozenset(
    t for t in (getattr(ast, n, None) for n in ("MatchAs", "MatchStar", "MatchMapping")) if t
)

# The fields of each node type that may hold child nodes, in ``_fields`` order (the order
# ``ast.iter_child_nodes`` uses) without the singleton ones, computed once per type.
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def _child_fields(t: type) -> tuple[str, ...]:
    fields = _CHILD_FIELDS.get(t)
    if fields is None:
        fields = tuple(f for f in getattr(t, "_fields", ()) if f not in _SINGLETON_FIELDS)
        _CHILD_FIELDS[t] = fields
    return fields


def build_index(tree: ast.Module) -> ScopeIndex:
    module_scope = Scope(tree, None)
    scope_of_node: dict[ast.AST, Scope] = {}
    parents: dict[ast.AST, ast.AST] = {}
    calls: list[ast.Call] = []
    calls_by_name: dict[str, list[ast.Call]] = {}
    by_type: dict[type, list[ast.AST]] = {}
    of_type = by_type.get

    # This loop visits every node of every file the rules look at, so it dispatches on the
    # exact node type (``ast.parse`` creates no subclasses) with the commonest types first.
    Name, Attribute, Call, Constant = ast.Name, ast.Attribute, ast.Call, ast.Constant
    Load = ast.Load
    defs = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    binders = _BINDERS
    child_fields = _CHILD_FIELDS
    AST = ast.AST

    # Each stack item: (node, scope the node is evaluated in).
    stack: list[tuple[ast.AST, Scope]] = [(tree, module_scope)]
    pop = stack.pop
    append = stack.append
    while stack:
        node, scope = pop()
        t = type(node)
        if node not in scope_of_node:  # defaults are reached twice (their def and arguments)
            same = of_type(t)
            if same is None:
                by_type[t] = same = []
            same.append(node)
        scope_of_node[node] = scope

        if t is Name:
            if type(node.ctx) is Load:  # type: ignore[attr-defined]
                scope.loads.setdefault(node.id, []).append(node)  # type: ignore[attr-defined,arg-type]
            continue  # a Name's only child is its (singleton) context
        if t is Constant:
            continue  # no child nodes
        if t is Attribute:
            child = node.value  # type: ignore[attr-defined]
            parents[child] = node
            append((child, scope))
            continue
        if t is Call:
            calls.append(node)  # type: ignore[arg-type]
            f = node.func  # type: ignore[attr-defined]
            ft = type(f)
            fname = f.attr if ft is Attribute else f.id if ft is Name else None
            if fname is not None:
                calls_by_name.setdefault(fname, []).append(node)  # type: ignore[arg-type]
            # func, args, keywords: the order of ``Call._fields``.
            parents[f] = node
            append((f, scope))
            for child in node.args:  # type: ignore[attr-defined]
                parents[child] = node
                append((child, scope))
            for child in node.keywords:  # type: ignore[attr-defined]
                parents[child] = node
                append((child, scope))
            continue
        if t in defs:
            _visit_def(node, scope, stack, parents)  # type: ignore[arg-type]
            continue
        if t is ast.Lambda:
            _visit_lambda(node, scope, stack, parents)  # type: ignore[arg-type]
            continue
        binder = binders.get(t)
        if binder is not None:
            binder(node, scope)
        elif t in _MATCH_CAPTURES:
            name = getattr(node, "name", None)
            if isinstance(name, str):
                scope.bind(Binding(name, "other", node))
        # ``ast.iter_child_nodes`` inlined (same order), without the singleton leaves.
        for field_name in child_fields.get(t) or _child_fields(t):
            value = getattr(node, field_name, None)
            if type(value) is list:
                for item in value:
                    if isinstance(item, AST):
                        parents[item] = node
                        append((item, scope))
            elif isinstance(value, AST):
                parents[value] = node
                append((value, scope))

    return ScopeIndex(module_scope, scope_of_node, parents, calls, calls_by_name, by_type)


def _visit_def(
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef,
    scope: Scope,
    stack: list[tuple[ast.AST, Scope]],
    parents: dict[ast.AST, ast.AST],
) -> None:
    scope.bind(Binding(node.name, "def", node))
    inner = Scope(node, scope)
    scope.children.append(inner)
    # Decorators, defaults, bases and annotations run in the enclosing scope.
    outer_parts: list[ast.AST] = list(node.decorator_list)
    if isinstance(node, ast.ClassDef):
        outer_parts += [*node.bases, *node.keywords]
    else:
        outer_parts += [*node.args.defaults, *(d for d in node.args.kw_defaults if d)]
        if node.returns:
            outer_parts.append(node.returns)
        _bind_arguments(inner, node.args)
    for part in outer_parts:
        parents[part] = node
        stack.append((part, scope))
    inner_parts: list[ast.AST] = list(node.body)
    if not isinstance(node, ast.ClassDef):
        inner_parts.append(node.args)
    for part in inner_parts:
        parents[part] = node
        stack.append((part, inner))


def _visit_lambda(
    node: ast.Lambda,
    scope: Scope,
    stack: list[tuple[ast.AST, Scope]],
    parents: dict[ast.AST, ast.AST],
) -> None:
    inner = Scope(node, scope)
    scope.children.append(inner)
    _bind_arguments(inner, node.args)
    for part in [*node.args.defaults, *(d for d in node.args.kw_defaults if d)]:
        parents[part] = node
        stack.append((part, scope))
    parents[node.body] = node
    parents[node.args] = node
    stack.append((node.body, inner))
    stack.append((node.args, inner))


# Bindings made by statements and expressions, by node type.
def _bind_assign(node: ast.AST, scope: Scope) -> None:
    assert isinstance(node, ast.Assign)
    for t in node.targets:
        for b in _target_bindings(t, "assign", node, node.value):
            scope.bind(b)


def _bind_annassign(node: ast.AST, scope: Scope) -> None:
    assert isinstance(node, ast.AnnAssign)
    if isinstance(node.target, ast.Name):
        kind = "assign" if node.value is not None else "annotation"
        scope.bind(Binding(node.target.id, kind, node, node.value, annotation=node.annotation))


def _bind_augassign(node: ast.AST, scope: Scope) -> None:
    assert isinstance(node, ast.AugAssign)
    if isinstance(node.target, ast.Name):
        scope.bind(Binding(node.target.id, "augassign", node, node.value))


def _bind_for(node: ast.AST, scope: Scope) -> None:
    assert isinstance(node, (ast.For, ast.AsyncFor))
    for b in _target_bindings(node.target, "other", node, None):
        scope.bind(b)


def _bind_with(node: ast.AST, scope: Scope) -> None:
    assert isinstance(node, (ast.With, ast.AsyncWith))
    for item in node.items:
        if item.optional_vars is not None:
            for b in _target_bindings(item.optional_vars, "with", item, item.context_expr):
                scope.bind(b)


def _bind_walrus(node: ast.AST, scope: Scope) -> None:
    assert isinstance(node, ast.NamedExpr)
    if isinstance(node.target, ast.Name):
        # PEP 572: a walrus in a comprehension binds in the enclosing function; the
        # model does not give comprehensions scopes, so this is already right.
        scope.bind(Binding(node.target.id, "walrus", node, node.value))


def _bind_import(node: ast.AST, scope: Scope) -> None:
    assert isinstance(node, (ast.Import, ast.ImportFrom))
    for b in _import_bindings(node):
        scope.bind(b)


def _bind_except(node: ast.AST, scope: Scope) -> None:
    assert isinstance(node, ast.ExceptHandler)
    if node.name:
        scope.bind(Binding(node.name, "other", node))


def _bind_comprehension(node: ast.AST, scope: Scope) -> None:
    assert isinstance(node, ast.comprehension)
    # Comprehension variables live in their own scope; binding them as unknown here
    # keeps an outer name of the same spelling from lending them its kind.
    for b in _target_bindings(node.target, "other", node, None):
        scope.bind(b)


def _bind_global(node: ast.AST, scope: Scope) -> None:
    assert isinstance(node, (ast.Global, ast.Nonlocal))
    scope.declared_global.update(node.names)


def _bind_delete(node: ast.AST, scope: Scope) -> None:
    assert isinstance(node, ast.Delete)
    for t in node.targets:
        if isinstance(t, ast.Name):
            scope.bind(Binding(t.id, "other", node))


_BINDERS: dict[type, Callable[[ast.AST, Scope], None]] = {
    ast.Assign: _bind_assign,
    ast.AnnAssign: _bind_annassign,
    ast.AugAssign: _bind_augassign,
    ast.For: _bind_for,
    ast.AsyncFor: _bind_for,
    ast.With: _bind_with,
    ast.AsyncWith: _bind_with,
    ast.NamedExpr: _bind_walrus,
    ast.Import: _bind_import,
    ast.ImportFrom: _bind_import,
    ast.ExceptHandler: _bind_except,
    ast.comprehension: _bind_comprehension,
    ast.Global: _bind_global,
    ast.Nonlocal: _bind_global,
    ast.Delete: _bind_delete,
}
