"""The facts behind IO104's readline() source and IO202's selector keys, one at a time:
which receivers are files or pipes (and of which line type), which regular expressions are
constant enough to be matched on the empty line, and which objects ``key.fileobj`` can be."""

from __future__ import annotations

import ast
import textwrap

from iolint.model.line_streams import line_stream
from iolint.model.module import ModuleModel
from iolint.model.regex_eof import match_method, match_on, regex_match_call
from iolint.model.selector_keys import selector_fileobjs
from iolint.model.source import SourceText


def _model(source: str) -> ModuleModel:
    text = textwrap.dedent(source)
    return ModuleModel(ast.parse(text), SourceText(text), "snippet.py")


def _in_order(calls: object) -> list[ast.Call]:
    return sorted(calls, key=lambda c: (c.lineno, c.col_offset))  # type: ignore[call-overload]


def _receivers(model: ModuleModel) -> list[ast.expr]:
    out = []
    for call in _in_order(model.calls_named("readline")):
        assert isinstance(call.func, ast.Attribute)
        out.append(call.func.value)
    return out


def _streams(source: str) -> list[tuple[str, bool | None] | None]:
    model = _model(source)
    found = [line_stream(model, r) for r in _receivers(model)]
    return [(s.label, s.text) if s is not None else None for s in found]


def test_standard_input_and_files_have_their_line_type() -> None:
    assert _streams(
        """
        import io, sys
        sys.stdin.readline()
        sys.stdin.buffer.readline()
        def f(p):
            with open(p, "rb") as b:
                b.readline()
            t = io.open(p)
            t.readline()
        """
    ) == [("sys.stdin", True), ("sys.stdin.buffer", False), ("a file", False), ("a file", True)]


def test_popen_pipes_are_bytes_unless_text_is_asked_for() -> None:
    assert _streams(
        """
        import subprocess
        def f(argv, opts):
            a = subprocess.Popen(argv, stdout=subprocess.PIPE)
            a.stdout.readline()
            b = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
            b.stdout.readline()
            c = subprocess.Popen(argv, stdout=subprocess.PIPE, encoding="utf-8")
            c.stderr.readline()
            d = subprocess.Popen(argv, **opts)
            d.stdout.readline()
        """
    ) == [("a.stdout", False), ("b.stdout", True), ("c.stderr", True), ("d.stdout", None)]


def test_a_parameter_is_a_stream_when_every_call_passes_one() -> None:
    assert _streams(
        """
        import sys
        def pump(stream):
            stream.readline()
        def main(path):
            pump(sys.stdin)
            with open(path) as f:
                pump(stream=f)
        """
    ) == [("a file or sys.stdin", True)]


def test_a_parameter_stays_unknown_otherwise() -> None:
    assert _streams(
        """
        import sys
        def mixed(stream):
            stream.readline()
        def uncalled(stream):
            stream.readline()
        def passed_around(stream):
            stream.readline()
        def defaulted(stream=None):
            stream.readline()
        class Reader:
            def method(self, stream):
                stream.readline()
        def main(other, callbacks):
            mixed(sys.stdin)
            mixed(other)
            passed_around(sys.stdin)
            callbacks.append(passed_around)
            defaulted()
            Reader().method(sys.stdin)
        """
    ) == [None, None, None, None, None]


def test_annotations_name_a_file() -> None:
    assert _streams(
        """
        import io
        from typing import IO, BinaryIO, TextIO
        def a(f: IO[bytes]): f.readline()
        def b(f: TextIO): f.readline()
        def c(f: io.BufferedReader): f.readline()
        def d(f: IO): f.readline()
        def e(f: BinaryIO): f.readline()
        """
    ) == [
        ("a file", False),
        ("a file", True),
        ("a file", False),
        ("a file", None),
        ("a file", False),
    ]


def _regex_results(source: str, subject: object) -> list[object]:
    model = _model(source)
    out: list[object] = []
    for call in _in_order(model.calls):
        found = regex_match_call(model, call)
        if found is None:
            if model.call_qualname(call) != "re.compile":
                out.append("unknown")
            continue
        pattern, _ = found
        computed, result = match_on(pattern, match_method(model, call), subject)
        out.append(result is not None if computed else "type error")
    return out


def test_constant_patterns_are_matched_on_the_empty_line() -> None:
    source = """
        import re
        HEADER = r"^(INFO|ERROR) "
        BLANK = re.compile(r"\\s*$")
        JOINED = "^" + "END"
        def f(line, pattern):
            re.match(HEADER, line)
            BLANK.match(line)
            re.search(JOINED, line, re.I | re.M)
            re.fullmatch(pattern, line)
            local = "x"
            re.match(local, line)
        """
    assert _regex_results(source, "") == [False, True, False, "unknown", "unknown"]
    assert _regex_results(source, b"")[:3] == ["type error", "type error", "type error"]


def test_a_rebound_module_name_is_not_a_constant() -> None:
    source = """
        import re
        PATTERN = "^A"
        def configure(p):
            global PATTERN
            PATTERN = p
        def f(line):
            re.match(PATTERN, line)
        """
    assert _regex_results(source, "") == ["unknown"]


def _fileobjs(source: str) -> list[list[str]]:
    model = _model(source)
    out = []
    for call in _in_order(model.calls_named("read")):
        assert isinstance(call.func, ast.Attribute)
        found = selector_fileobjs(model, call.func.value)
        out.append(sorted(ast.unparse(e) for e in found))
    return out


def test_key_fileobj_is_what_the_same_selector_registered() -> None:
    assert _fileobjs(
        """
        import selectors
        def f(a, b, c):
            sel = selectors.DefaultSelector()
            other = selectors.DefaultSelector()
            sel.register(a, selectors.EVENT_READ)
            sel.register(b, selectors.EVENT_READ)
            other.register(c, selectors.EVENT_READ)
            events = sel.select()
            for key, _ in events:
                key.fileobj.read(10)
            for key2, _ in other.select(1):
                key2.fileobj.read(10)
        class Pump:
            def __init__(self, pipe):
                self._sel = selectors.DefaultSelector()
                self._sel.register(pipe, selectors.EVENT_READ)
            def run(self):
                for key, _ in self._sel.select():
                    key.fileobj.read(10)
        """
    ) == [["a", "b"], ["c"], ["pipe"]]


def test_key_of_unknown_origin_has_no_fileobjs() -> None:
    assert _fileobjs(
        """
        import selectors
        def f(keys, a):
            sel = selectors.DefaultSelector()
            sel.register(a, selectors.EVENT_READ)
            for key, _ in keys:
                key.fileobj.read(10)
            key = sel.get_key(a)
            key.fileobj.read(10)
        """
    ) == [[], []]
