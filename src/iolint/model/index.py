"""The project index: what each module of a project exports to the others.

A module's *facts* are what another module can learn from it without reading its code again:
the kinds its functions return (a ``_connect()`` returning ``socket.create_connection(...)``),
its classes with their bases and the kinds of their attributes (a mixin whose ``connect()``
stores a socket in ``self._socket``) and of their methods' results, the functions that fsync
their argument, and the names it imports (so that ``from helpers import *`` and re-exports
resolve). Facts are computed from the module's ``ast`` by the same object model the rules use.

Facts are derived lazily, the first time a linted file's analysis asks about a name of
another module (a call of an imported function, a base class, a star import), so the flake8
plugin, where every file is a separate call, pays only for what each file uses. They are
cached on disk by content hash (``.iolint_cache/index/<sha256>.json``): a module is analyzed
once until its bytes change. The modules a file consulted are recorded with the digests of
their facts in the file's result-cache entry; the entry is used only while each of them still
has those facts, so a change to one module re-lints exactly the files that read its facts
(and a change that leaves its facts alone, like a comment, re-lints nothing).

A file outside any project (no root) still gets its own, module-local facts: the model asks
the index only for names it cannot resolve inside the module.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from iolint.cache_write import write_entry
from iolint.collector import paused_collection
from iolint.model.kinds import Category, ObjKind
from iolint.stdlib_names import in_stdlib

if TYPE_CHECKING:
    from iolint.model.atomic_writers import WriterFacts
    from iolint.model.project_writers import ProjectWriter

INDEX_FORMAT = 7
# The index's entries live in this directory of the result cache (``.iolint_cache``).
INDEX_DIR_NAME = "index"
# A module whose text has none of these words exports no I/O facts: it is not analyzed.
FACT_TRIGGERS = (
    "socket",
    "open(",
    "fsync",
    "fdatasync",
    "Temporary",
    "mkstemp",
    "pipe",
    "channel",
    "Connection",
    "StreamReader",
    "open_connection",
    "RequestHandler",
    "import *",
    "pack(",  # binary record builders: their returned payload may be bounded (returned_bounds)
)


@dataclass(frozen=True)
class KindFact:
    """An :class:`ObjKind` in a form that survives JSON (no ``origin`` node)."""

    category: str
    datagram: bool = False
    raw: bool = False
    mode: str | None = None
    temp: bool = False

    @classmethod
    def of(cls, kind: ObjKind) -> KindFact:
        return cls(kind.category.value, kind.datagram, kind.raw, kind.mode, kind.temp)

    def kind(self) -> ObjKind:
        return ObjKind(Category(self.category), self.datagram, self.raw, self.mode, self.temp)


@dataclass(frozen=True)
class ClassFacts:
    bases: tuple[str, ...] = ()
    attributes: dict[str, KindFact] = field(default_factory=dict)
    methods: dict[str, KindFact] = field(default_factory=dict)


@dataclass(frozen=True)
class CallFact:
    """One call of a class (``Connection(ip, port, self.request)``): how many positional
    arguments and which keywords it passes, whether it unpacks ``*args``/``**kwargs``, and the
    kinds of the arguments the model could tell (keyed by position, or by keyword name)."""

    positional: int = 0
    keywords: tuple[str, ...] = ()
    unpacks: bool = False
    kinds: dict[str, KindFact] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CallFact:
        return cls(
            int(data.get("positional", 0)),
            tuple(str(k) for k in data.get("keywords", ())),
            bool(data.get("unpacks", False)),
            {str(k): KindFact(**v) for k, v in data.get("kinds", {}).items()},
        )


@dataclass(frozen=True)
class ModuleFacts:
    """What module ``name`` exports. ``imports`` maps module-level names to the qualified
    names they import (relative imports made absolute); ``fsyncs`` maps functions to the
    position of the parameter they fsync; ``writes`` maps functions to the position of the
    parameter they open for writing; ``system_temps`` maps functions returning a named temp
    file to whether it is made in the system temp directory (no ``dir=``)."""

    name: str
    imports: dict[str, str] = field(default_factory=dict)
    star_imports: tuple[str, ...] = ()
    functions: dict[str, KindFact] = field(default_factory=dict)
    classes: dict[str, ClassFacts] = field(default_factory=dict)
    fsyncs: dict[str, int] = field(default_factory=dict)
    writes: dict[str, int] = field(default_factory=dict)
    system_temps: dict[str, bool] = field(default_factory=dict)
    # Calls of classes (by the qualified name the call resolves to): what each call site
    # passes to the constructor (model/constructions.py).
    constructions: dict[str, tuple[CallFact, ...]] = field(default_factory=dict)
    # Functions returning a payload bounded by construction: its size in bytes at most
    # (model/returned_bounds.py), so that ``sendall(build_alert())`` in another module is small.
    returned_bounds: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModuleFacts:
        return cls(
            name=str(data["name"]),
            imports={str(k): str(v) for k, v in data["imports"].items()},
            star_imports=tuple(str(m) for m in data["star_imports"]),
            functions={str(k): KindFact(**v) for k, v in data["functions"].items()},
            classes={
                str(k): ClassFacts(
                    tuple(v["bases"]),
                    {str(a): KindFact(**f) for a, f in v["attributes"].items()},
                    {str(m): KindFact(**f) for m, f in v["methods"].items()},
                )
                for k, v in data["classes"].items()
            },
            fsyncs={str(k): int(v) for k, v in data["fsyncs"].items()},
            writes={str(k): int(v) for k, v in data.get("writes", {}).items()},
            system_temps={str(k): bool(v) for k, v in data.get("system_temps", {}).items()},
            constructions={
                str(k): tuple(CallFact.from_json(c) for c in v)
                for k, v in data.get("constructions", {}).items()
            },
            returned_bounds={str(k): int(v) for k, v in data.get("returned_bounds", {}).items()},
        )

    def digest(self) -> str:
        cached = self.__dict__.get("_digest")
        if cached is None:
            text = json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"))
            cached = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
            object.__setattr__(self, "_digest", cached)
        return str(cached)


ABSENT = "absent"
# A dependency on the atomic writers of a package, not on a module: ``@writers:<directory>``.
WRITERS_KEY = "@writers:"


@dataclass(frozen=True)
class LintedModule:
    """The module being linted, offered to the index while it is. A module asks the project
    about its own top-level names (``project_qualname`` gives ``pkg.mod.Name`` for them);
    when the file on disk holds the very text being linted, its facts are derived from the
    tree and scopes already built instead of parsing and indexing the file a second time.
    ``model`` is a ``ModuleModel`` (typed ``Any`` to avoid an import cycle)."""

    text: str
    model: Any

    def built_from(self, text: str, name: str, is_package: bool) -> bool:
        return (
            text == self.text and name == self.model.module and is_package == self.model.is_package
        )


class ProjectFacts:
    """The facts one linted module reads from the rest of its project.

    Lookups are lazy: a module's facts are derived (or loaded from the index's cache) the
    first time the model asks about one of its names, so linting a file costs only what it
    uses. Every module consulted is recorded with the digest of its facts (or ``absent``):
    that list is what the file's cached result depends on (see :meth:`ProjectIndex.current`).
    Built from a fixed ``modules`` table (tests, or a module outside any project) it looks
    nothing else up."""

    def __init__(
        self, modules: dict[str, ModuleFacts] | None = None, index: ProjectIndex | None = None
    ) -> None:
        self.modules: dict[str, ModuleFacts | None] = dict(modules or {})
        self.index = index
        self.consulted: dict[str, str] = {}
        self.linted: LintedModule | None = None

    @contextmanager
    def linting(self, text: str, model: Any) -> Iterator[None]:
        """Offer the model of ``text`` to the index while the rules run on it."""
        self.linted = LintedModule(text, model)
        try:
            yield
        finally:
            self.linted = None

    def _module(self, name: str) -> ModuleFacts | None:
        if in_stdlib(name):
            return None  # a project does not define the standard library's modules
        if name not in self.modules:
            self.modules[name] = self.index.module_facts(name, self.linted) if self.index else None
        facts = self.modules[name]
        if name not in self.consulted and (facts is not None or self.index is not None):
            self.consulted[name] = facts.digest() if facts is not None else ABSENT
        return facts

    def dependencies(self) -> tuple[tuple[str, str], ...]:
        return tuple(sorted(self.consulted.items()))

    def consulted_writers(self, package: Path, digest: str) -> None:
        """The linted file's fixes read the atomic writers of ``package`` (IO306's advice):
        its cached result holds only while they are the same (see :meth:`ProjectIndex.current`)."""
        if self.index is not None:
            self.consulted[f"{WRITERS_KEY}{package}"] = digest

    # ------------------------------------------------------------------ lookups
    def _split(self, qualname: str, depth: int = 0) -> tuple[ModuleFacts, str] | None:
        """The module holding ``qualname`` and the name inside it, following re-exports."""
        parts = qualname.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            module = self._module(".".join(parts[:cut]))
            if module is None:
                continue
            rest = ".".join(parts[cut:])
            head = parts[cut]
            if head not in module.functions and head not in module.classes and depth < 3:
                target = module.imports.get(head)
                if target is not None and target != qualname:
                    tail = ".".join(parts[cut + 1 :])
                    return self._split(f"{target}.{tail}" if tail else target, depth + 1)
            return module, rest
        return None

    def function_kind(self, qualname: str) -> ObjKind | None:
        found = self._split(qualname)
        if found is None:
            return None
        module, name = found
        fact = module.functions.get(name)
        return fact.kind() if fact is not None else None

    def class_facts(self, qualname: str) -> tuple[str, ClassFacts] | None:
        """(the class's own qualified name, its facts)."""
        found = self._split(qualname)
        if found is None:
            return None
        module, name = found
        facts = module.classes.get(name)
        return (f"{module.name}.{name}", facts) if facts is not None else None

    def member_kind(self, class_qualname: str, member: str, *, method: bool) -> ObjKind | None:
        """The kind of an attribute (or of a method's result) of a project class, looked up
        in the class and then its bases, nearest first."""
        seen: set[str] = set()
        pending = [class_qualname]
        while pending:
            current = pending.pop(0)
            if current in seen or len(seen) > 20:
                continue
            seen.add(current)
            found = self.class_facts(current)
            if found is None:
                continue
            _, facts = found
            table = facts.methods if method else facts.attributes
            if member in table:
                return table[member].kind()
            pending.extend(facts.bases)
        return None

    def fsynced_parameter(self, qualname: str) -> int | None:
        found = self._split(qualname)
        if found is None:
            return None
        module, name = found
        return module.fsyncs.get(name)

    def returned_bound(self, qualname: str) -> int | None:
        """The size bound of the payload the project function returns, if it has one."""
        found = self._split(qualname)
        if found is None:
            return None
        module, name = found
        return module.returned_bounds.get(name)

    def written_parameter(self, qualname: str) -> int | None:
        """The position of the parameter the project function opens for writing."""
        found = self._split(qualname)
        if found is None:
            return None
        module, name = found
        return module.writes.get(name)

    def temp_in_system_dir(self, qualname: str) -> bool | None:
        """Whether the named temp file the project function returns is made in the system
        temp directory; None when it returns none (or the index does not know)."""
        found = self._split(qualname)
        if found is None:
            return None
        module, name = found
        return module.system_temps.get(name)

    def construction_sites(self, class_qualname: str, exclude: str) -> Iterator[CallFact] | None:
        """Every call of the class ``class_qualname`` in the project's modules other than
        ``exclude`` (the asking module, which reads its own calls), lazily: a caller that
        stops at the first disagreeing site derives no more modules. None when the project's
        modules cannot be listed (no index, or too many files to read them all)."""
        if self.index is not None and self.index.module_names() is None:
            return None
        return self._sites(class_qualname, exclude)

    def _sites(self, class_qualname: str, exclude: str) -> Iterator[CallFact]:
        # The callers are looked up (every module's text read once) only when a caller of
        # this iterator gets past the asking module's own sites: one of those that passes
        # another kind, or nothing, answers the question.
        short = class_qualname.rsplit(".", 1)[-1]
        for name in self._mentioning(short) or ():
            if name == exclude or _test_module(name):
                continue  # tests build objects with fakes: production callers decide
            module = self._module(name)
            if module is None:
                continue
            for callee, calls in module.constructions.items():
                if callee.rsplit(".", 1)[-1] != short:
                    continue
                found = self.class_facts(callee) if callee != class_qualname else None
                if callee == class_qualname or (found is not None and found[0] == class_qualname):
                    yield from calls

    def _mentioning(self, name: str) -> tuple[str, ...] | None:
        """The project modules that call something spelled ``name`` or derive from it (only
        they can construct or subclass a class of that name), or None when the project's
        modules cannot be listed."""
        if self.index is None:
            return tuple(self.modules)
        return self.index.modules_calling(name)

    def has_subclass(self, class_qualname: str, exclude: str) -> bool:
        """Whether a class of another project module derives from ``class_qualname``."""
        short = class_qualname.rsplit(".", 1)[-1]
        for name in self._mentioning(short) or ():
            module = self._module(name) if name != exclude else None
            for facts in module.classes.values() if module is not None else ():
                for base in facts.bases:
                    if base.rsplit(".", 1)[-1] != short:
                        continue
                    found = self.class_facts(base) if base != class_qualname else None
                    if base == class_qualname or (found is not None and found[0] == class_qualname):
                        return True
        return False

    def star_import(self, modules: Iterable[str], name: str) -> str | None:
        """What ``name`` is in a module that did ``from m import *`` for each of ``modules``."""
        for module_name in modules:
            module = self._module(module_name)
            if module is None:
                continue
            if name in module.imports:
                return module.imports[name]
            if name in module.functions or name in module.classes:
                return f"{module.name}.{name}"
        return None


# ---------------------------------------------------------------------- module names


def _test_module(name: str) -> bool:
    return any(
        part in ("test", "tests", "testing", "conftest")
        or part.startswith("test_")
        or part.endswith("_test")
        for part in name.split(".")
    )


def module_name(path: Path, *, resolved: bool = False) -> tuple[str, bool]:
    """The dotted module name of ``path`` and whether it is a package ``__init__``: the
    path from the first directory above it that is not a package (has no ``__init__.py``).
    ``resolved``: the caller already resolved ``path``."""
    if not resolved:
        path = path.resolve()
    is_package = path.name == "__init__.py"
    parts = [] if is_package else [path.stem]
    directory = path.parent
    while (directory / "__init__.py").exists() and directory.parent != directory:
        parts.append(directory.name)
        directory = directory.parent
    if is_package and not parts:
        parts.append(path.parent.name)
    return ".".join(reversed(parts)), is_package


def absolute_module(current: str, is_package: bool, node: ast.ImportFrom) -> str | None:
    """The absolute module an ``ImportFrom`` names (``from ..util import x`` in ``a.b.c``
    is ``a.util``)."""
    if not node.level:
        return node.module
    package = current.split(".") if is_package else current.split(".")[:-1]
    if node.level - 1 > len(package):
        return None
    base = package[: len(package) - (node.level - 1)]
    if node.module:
        base = [*base, node.module]
    return ".".join(base) if base else None


# ---------------------------------------------------------------------- deriving facts


def derive_facts(
    text: str, path: str, name: str, is_package: bool, built: Any = None
) -> ModuleFacts:
    """The facts of one module, from its source text (empty when it cannot be parsed).
    ``built``: a ``ModuleModel`` of this very text, whose tree and scopes are reused (the
    facts are still those of a model that knows this module only)."""
    from iolint.engine import parse
    from iolint.model.module import ModuleModel
    from iolint.model.source import SourceText

    if not any(word in text for word in FACT_TRIGGERS):
        imports, stars, constructions, bases = _imports_only(
            text, path, name, is_package, None if built is None else built.tree
        )
        classes = {k: ClassFacts(v) for k, v in bases.items()}
        return ModuleFacts(name, imports, stars, classes=classes, constructions=constructions)
    tree = parse(text, path) if built is None else built.tree
    if not isinstance(tree, ast.Module):
        return ModuleFacts(name)
    try:
        model = ModuleModel(
            tree,
            SourceText(text) if built is None else built.source,
            path,
            module=name,
            is_package=is_package,
            scopes=None if built is None else built.scopes,
        )
        return model_facts(model, name, is_package)
    except RecursionError:
        return ModuleFacts(name)


def _imports_only(
    text: str, path: str, name: str, is_package: bool, tree: ast.Module | None = None
) -> tuple[
    dict[str, str], tuple[str, ...], dict[str, tuple[CallFact, ...]], dict[str, tuple[str, ...]]
]:
    """Re-exports matter even in modules without I/O (a package ``__init__`` importing a
    helper): read the import statements only, and the calls of imported classes (call sites
    whose arguments have no known kind, see model/constructions.py)."""
    if "import" not in text:
        return {}, (), {}, {}
    from iolint.engine import parse
    from iolint.model.constructions import unknown_constructions

    parsed = parse(text, path) if tree is None else tree
    if not isinstance(parsed, ast.Module):
        return {}, (), {}, {}
    return (
        *_module_imports(parsed, name, is_package),
        *unknown_constructions(parsed, name, is_package),
    )


def _module_imports(
    tree: ast.Module, name: str, is_package: bool
) -> tuple[dict[str, str], tuple[str, ...]]:
    imports: dict[str, str] = {}
    stars: list[str] = []
    for stmt in tree.body:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.asname:
                    imports[alias.asname] = alias.name
                else:
                    top = alias.name.split(".", 1)[0]
                    imports[top] = top
        elif isinstance(stmt, ast.ImportFrom):
            module = absolute_module(name, is_package, stmt)
            if module is None:
                continue
            for alias in stmt.names:
                if alias.name == "*":
                    stars.append(module)
                else:
                    imports[alias.asname or alias.name] = f"{module}.{alias.name}"
    return imports, tuple(stars)


def model_facts(model: Any, name: str, is_package: bool) -> ModuleFacts:
    """Facts from a built :class:`ModuleModel` (typed ``Any`` to avoid an import cycle)."""
    from iolint.model.effects import returns_system_temp, written_parameter
    from iolint.model.returned_bounds import returned_bound

    imports, stars = _module_imports(model.tree, name, is_package)
    functions: dict[str, KindFact] = {}
    fsyncs: dict[str, int] = {}
    writes: dict[str, int] = {}
    system_temps: dict[str, bool] = {}
    bounds: dict[str, int] = {}
    classes: dict[str, ClassFacts] = {}
    for stmt in model.tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            kind = model.return_kind(stmt)
            if kind is not None:
                functions[stmt.name] = KindFact.of(kind)
                if kind.temp:
                    system_temps[stmt.name] = returns_system_temp(model, stmt)
            position = model.fsynced_parameter(stmt)
            if position is not None:
                fsyncs[stmt.name] = position
            written = written_parameter(model, stmt)
            if written is not None:
                writes[stmt.name] = written
            bound = returned_bound(model, stmt)
            if bound is not None:
                bounds[stmt.name] = bound
        elif isinstance(stmt, ast.ClassDef):
            classes[stmt.name] = _class_facts(model, stmt)
    from iolint.model.constructions import recorded_constructions

    return ModuleFacts(
        name,
        imports,
        stars,
        functions,
        classes,
        fsyncs,
        writes=writes,
        system_temps=system_temps,
        constructions=recorded_constructions(model),
        returned_bounds=bounds,
    )


def _class_facts(model: Any, cls: ast.ClassDef) -> ClassFacts:
    bases = tuple(b for b in (model.class_qualname(base) for base in cls.bases) if b is not None)
    attributes: dict[str, KindFact] = {}
    for attr in model.class_attributes(cls):
        kind = model.own_attribute_kind(cls, attr)
        if kind is not None:
            attributes[attr] = KindFact.of(kind)
    methods: dict[str, KindFact] = {}
    for stmt in cls.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            kind = model.return_kind(stmt)
            if kind is not None:
                methods[stmt.name] = KindFact.of(kind)
    return ClassFacts(bases, attributes, methods)


# ---------------------------------------------------------------------- the index


@cache
def _root_of_directory(directory: Path) -> Path | None:
    markers = ("pyproject.toml", "setup.cfg", "setup.py", ".git", ".hg", ".svn")
    for candidate in (directory, *directory.parents):
        if any((candidate / m).exists() for m in markers):
            return candidate
    return None


def find_root(path: Path, *, resolved: bool = False) -> Path | None:
    """The project root of ``path``: the closest directory above it holding a
    ``pyproject.toml``, a ``setup.cfg``, a ``setup.py`` or a VCS directory. ``resolved``: the
    caller already resolved ``path``."""
    return _root_of_directory((path if resolved else path.resolve()).parent)


@lru_cache(maxsize=16)
def shared_index(root: Path, cache_dir: Path | None) -> ProjectIndex:
    """The index of ``root`` for this process: every file linted here shares it (it only
    grows, and entries are keyed by content, so sharing is safe)."""
    return ProjectIndex(root, cache_dir)


class ProjectIndex:
    """The facts of one project's modules, derived on demand and cached by content hash.

    One instance per process and root; it only grows (facts of files that change get new
    hashes), so sharing it between the files a process lints is safe."""

    def __init__(self, root: Path, cache_dir: Path | None) -> None:
        self.root = root.resolve()
        self.cache_dir = cache_dir
        self._facts: dict[Path, tuple[str, ModuleFacts, tuple[int, int] | None]] = {}
        self._module_files: dict[str, Path | None] = {}
        self._all_modules: tuple[str, ...] | None = None
        self._callers: dict[str, tuple[str, ...]] | None = None
        # The atomic-writer facts of the modules read so far, by file: (stat stamp, facts).
        # Filled only when IO306's fix asks for the project's writers (model/project_writers).
        self.writer_facts: dict[Path, tuple[tuple[int, int], WriterFacts | None]] = {}

    # ------------------------------------------------------------------ files
    def facts_of_file(
        self,
        path: Path,
        data: bytes | None = None,
        *,
        derive: bool = True,
        resolved: bool = False,
        linted: LintedModule | None = None,
    ) -> ModuleFacts | None:
        """The facts of the module in ``path`` (read unless ``data`` is given); with
        ``derive=False`` only what the disk cache already holds. ``resolved``: ``path`` is
        already ``resolve()``d (module_file's paths are). ``linted``: the module being linted,
        whose model is reused when ``path`` holds its text."""
        if not resolved:
            path = path.resolve()
        stamp = _stamp(path) if data is None else None
        known = self._facts.get(path)
        if known is not None and stamp is not None and known[2] == stamp:
            return known[1]  # unchanged since this process last read it
        if data is None:
            try:
                data = path.read_bytes()
            except OSError:
                return None
        digest = hashlib.sha256(data).hexdigest()
        if known is not None and known[0] == digest:
            self._facts[path] = (digest, known[1], stamp)
            return known[1]
        name, is_package = module_name(path)
        facts = self._load(digest, name)
        if facts is None and not derive:
            return None
        if facts is None:
            from iolint.engine import read_text

            text = read_text(data)
            with paused_collection():  # a whole module's model, as when linting a file
                if not isinstance(text, str):
                    facts = ModuleFacts(name)
                else:
                    built = (
                        linted.model
                        if linted is not None and linted.built_from(text, name, is_package)
                        else None
                    )
                    facts = derive_facts(text, str(path), name, is_package, built)
            self._store(digest, facts)
        self._facts[path] = (digest, facts, stamp)
        return facts

    def _entry(self, digest: str, suffix: str = "") -> Path | None:
        return None if self.cache_dir is None else self.cache_dir / f"{digest}{suffix}.json"

    def _load(self, digest: str, name: str, suffix: str = "") -> ModuleFacts | None:
        entry = self._entry(digest, suffix)
        if entry is None:
            return None
        try:
            data = json.loads(entry.read_bytes())
            if data.get("format") != INDEX_FORMAT or data["facts"]["name"] != name:
                return None
            return ModuleFacts.from_json(data["facts"])
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return None

    def _store(self, digest: str, facts: ModuleFacts, suffix: str = "") -> None:
        entry = self._entry(digest, suffix)
        if entry is None:
            return
        payload = json.dumps({"format": INDEX_FORMAT, "facts": facts.to_json()}).encode(
            "utf-8", "surrogatepass"
        )
        write_entry(entry, payload)

    # ------------------------------------------------------------------ modules
    def module_file(self, name: str) -> Path | None:
        """The file of project module ``name`` under the root (also under ``src/``)."""
        if name in self._module_files:
            return self._module_files[name]
        found: Path | None = None
        relative = Path(*name.split("."))
        for base in (self.root, self.root / "src"):
            for candidate in (base / relative.with_suffix(".py"), base / relative / "__init__.py"):
                if candidate.is_file():
                    found = candidate
                    break
            if found is not None:
                break
        # Resolved once here: every linted file that imports the module looks its facts up
        # again, and resolving (realpath) each time cost more than the lookup itself.
        if found is not None:
            found = found.resolve()
        self._module_files[name] = found
        return found

    def module_names(self) -> tuple[str, ...] | None:
        """The dotted names of every module under the root (virtual environments, build
        output and hidden directories left out), or None for a project too large to read
        whole: a question about every call site is then left unanswered."""
        if self._all_modules is None:
            found: list[str] = []
            for path in _python_files(self.root):
                if len(found) >= MAX_PROJECT_MODULES:
                    self._all_modules = ()
                    return None
                found.append(module_name(path)[0])
                self._module_files.setdefault(found[-1], path)
            self._all_modules = tuple(found)
        return self._all_modules or None

    def modules_calling(self, name: str) -> tuple[str, ...] | None:
        """The modules under the root whose text calls something spelled ``name`` (``name(``)
        or names it among a class's bases: only they can construct or subclass a class of
        that name. Read once per process from the files' bytes, so that a question about a
        class's callers derives the facts of those modules only."""
        if self._callers is None:
            names = self.module_names()
            if names is None:
                return None
            callers: dict[str, list[str]] = {}
            for module in names:
                if in_stdlib(module):
                    # ProjectFacts never reads the facts of a module named like the standard
                    # library's, so its calls can answer nothing (as when Lib/ is linted).
                    continue
                path = self._module_files.get(module)
                try:
                    data = path.read_bytes() if path is not None else b""
                except OSError:
                    continue
                spelled = set(_CALLED.findall(data))
                for bases in _CLASS_BASES.findall(data):
                    spelled.update(_WORD.findall(bases))
                for word in spelled:
                    callers.setdefault(word.decode("ascii"), []).append(module)
            self._callers = {k: tuple(v) for k, v in callers.items()}
        return self._callers.get(name, ())

    def module_facts(self, name: str, linted: LintedModule | None = None) -> ModuleFacts | None:
        path = self.module_file(name)
        return None if path is None else self.facts_of_file(path, resolved=True, linted=linted)

    def atomic_writers(self, package: Path) -> tuple[ProjectWriter, ...]:
        """The atomic writers of the modules under ``package`` (a top-level package of this
        project), derived from their code and cached by content; see model/project_writers."""
        from iolint.model.project_writers import writers_in

        return writers_in(self, package)

    def lookups(self) -> ProjectFacts:
        """A fresh, recording view of the project for one linted file."""
        return ProjectFacts(index=self)

    def current(self, dependencies: Iterable[tuple[str, str]]) -> bool:
        """Whether every module a cached result consulted still has the facts it had."""
        for name, digest in dependencies:
            if name.startswith(WRITERS_KEY):
                package = Path(name[len(WRITERS_KEY) :])
                if writers_digest(self.atomic_writers(package)) != digest:
                    return False
                continue
            facts = self.module_facts(name)
            if (facts.digest() if facts is not None else ABSENT) != digest:
                return False
        return True


# What a module's bytes say it calls (``Name(``, ``mod.Name (``: capitalized, as the class
# calls the index records are) and derives from.
# A filter only: ``myName(`` also yields ``Name``, which costs a module read, not a result.
_CALLED = re.compile(rb"([A-Z][A-Za-z0-9_]*)\s*\(")
_CLASS_BASES = re.compile(rb"class\s+\w+\s*\(([^)]*)\)")
_WORD = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")
# Reading every module to answer "who constructs this class" is bounded: beyond this many
# files the question stays unanswered (and the rules silent) rather than slow.
MAX_PROJECT_MODULES = 3000
_SKIPPED_DIRECTORIES = frozenset(
    {"__pycache__", "node_modules", "site-packages", "build", "dist", "venv", "env"}
)


def _python_files(root: Path) -> list[Path]:
    out: list[Path] = []
    pending = [root]
    while pending and len(out) <= MAX_PROJECT_MODULES:
        directory = pending.pop()
        try:
            entries = sorted(directory.iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir():
                if entry.name not in _SKIPPED_DIRECTORIES and not (entry / "pyvenv.cfg").exists():
                    pending.append(entry)
            elif entry.suffix == ".py":
                out.append(entry)
    return out


def writers_digest(writers: Iterable[ProjectWriter]) -> str:
    """What a result that named (or did not name) these writers depends on."""
    text = json.dumps(
        [[w.qualname, str(w.path), w.line, w.shape, str(w.used_at), w.renamer] for w in writers]
    )
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


__all__ = [
    "ABSENT",
    "FACT_TRIGGERS",
    "INDEX_DIR_NAME",
    "WRITERS_KEY",
    "CallFact",
    "ClassFacts",
    "KindFact",
    "ModuleFacts",
    "ProjectFacts",
    "ProjectIndex",
    "absolute_module",
    "derive_facts",
    "find_root",
    "model_facts",
    "module_name",
    "shared_index",
    "writers_digest",
]
