"""The rule interface: a rule is one class with its code, name, message and check."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from iolint.diagnostics import Applicability, Diagnostic, Fix
from iolint.model import ModuleModel

DEFAULT_SAVE_FUNCTIONS = (
    r"(^|_)(save|persist|store|commit|checkpoint|snapshot|"
    r"write_(state|config|settings|lock|index|db|manifest|metadata))($|_)"
)


@dataclass(frozen=True)
class RuleOptions:
    """Settings that change what rules detect (the same in the CLI and the flake8 plugin)."""

    target_version: tuple[int, int] = (3, 9)
    save_functions: str = DEFAULT_SAVE_FUNCTIONS
    # Strict mode reports findings that are true but judged harmless in their context (a
    # cache that may be lost, a small write to a fresh pipe, POSIX-only code): the "When
    # iolint stays silent" section of each rule page lists what it brings back.
    strict: bool = False

    def save_function_pattern(self) -> re.Pattern[str]:
        return re.compile(self.save_functions, re.IGNORECASE)


@dataclass(frozen=True)
class RuleContext:
    model: ModuleModel
    options: RuleOptions


class Rule:
    """Base class of every rule.

    Subclasses set the class attributes and implement :meth:`check`. ``triggers`` are words of
    which a file must contain at least one for the rule to possibly fire: files without any
    trigger of any enabled rule are not parsed at all. ``also_triggers``, when set, is a second
    such list the file must match too (a rename *and* a file written: ``.replace(`` alone is
    mostly ``str.replace``). ``own_facts_triggers``, when set, is one more such list that only
    applies when the module can read no project facts (no project index, or it imports only
    standard-library modules): what the rule looks for must then be spelled in the file itself
    (IO304's temp file may come from a project helper in another module, which only the index
    can show).
    """

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    fix_applicability: ClassVar[Applicability | None] = None
    severity: ClassVar[str] = "warning"
    default_enabled: ClassVar[bool] = True
    triggers: ClassVar[tuple[str, ...]] = ()
    also_triggers: ClassVar[tuple[str, ...]] = ()
    own_facts_triggers: ClassVar[tuple[str, ...]] = ()

    def check(self, ctx: RuleContext) -> Iterable[Diagnostic]:
        raise NotImplementedError

    def diagnostic(
        self,
        ctx: RuleContext,
        node: ast.AST,
        message: str,
        fix: Fix | None = None,
        *,
        end_node: ast.AST | None = None,
    ) -> Diagnostic:
        model = ctx.model
        return Diagnostic(
            code=self.code,
            name=self.name,
            message=message,
            start=model.start(node),
            end=model.end(end_node or node),
            fix=fix,
            severity=self.severity,
        )
