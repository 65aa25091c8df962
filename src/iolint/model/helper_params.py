"""Which parameter of a same-module function receives an argument.

``parse_header(sock.recv(8))`` hands the read result to ``parse_header``; what that function
does with its parameter is what the caller does with the data. Only plain functions of the
module (a top-level ``def`` bound once) are followed: their body is the one that runs. Methods
(``self.parse``) could be overridden in a subclass, and names bound twice are ambiguous.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from iolint.model.module import ModuleModel


@dataclass(frozen=True)
class HelperParam:
    """``function``'s parameter ``name`` (its ``arg`` node) receives the argument."""

    function: ast.FunctionDef
    name: str
    arg: ast.arg


def helper_param(model: ModuleModel, call: ast.Call, argument: ast.expr) -> HelperParam | None:
    """The parameter of the module-level function ``call`` invokes that ``argument`` binds."""
    if not isinstance(call.func, ast.Name):
        return None
    bindings = model.module_scope.bindings.get(call.func.id, [])
    if len(bindings) != 1 or not isinstance(bindings[0].node, ast.FunctionDef):
        return None
    func = bindings[0].node
    if model.parent(func) is not model.tree or func.decorator_list:
        return None  # a decorator may wrap the function in something else
    positional = [*func.args.posonlyargs, *func.args.args]
    for index, passed in enumerate(call.args):
        if isinstance(passed, ast.Starred):
            return None
        if passed is argument:
            if index >= len(positional):
                return None
            arg = positional[index]
            return HelperParam(func, arg.arg, arg)
    for keyword in call.keywords:
        if keyword.value is argument and keyword.arg is not None:
            for arg in [*positional, *func.args.kwonlyargs]:
                if arg.arg == keyword.arg:
                    return HelperParam(func, arg.arg, arg)
    return None
