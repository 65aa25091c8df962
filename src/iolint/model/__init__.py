"""The semantic model shared by every rule: facts derived once per module."""

from iolint.model.module import ModuleModel

__all__ = ["ModuleModel"]
