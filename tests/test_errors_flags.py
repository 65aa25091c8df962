"""IO4xx (error handling around durability) and IO5xx (open flags): reporting locations,
messages, the shapes fixtures cannot express, and fixes applied and re-linted."""

from __future__ import annotations

import ast
import textwrap

import pytest
from helpers import codes_at, lint

from iolint.diagnostics import Applicability, Diagnostic
from iolint.fix import apply_edits


def _fixed(source: str, code: str) -> tuple[str, list[Diagnostic]]:
    """Apply the fixes of ``code`` to the dedented source; returns the text and the
    diagnostics that carried a fix."""
    text = textwrap.dedent(source)
    found = [d for d in lint(text, [code]) if d.fix is not None]
    edits = [e for d in found for e in d.fix.edits]  # type: ignore[union-attr]
    return apply_edits(text, edits), found


def _fix_round_trip(source: str, code: str) -> str:
    """Fix, check the result parses and re-lints clean for ``code``, and that fixing again
    changes nothing."""
    fixed, found = _fixed(source, code)
    assert found, "expected a fix"
    ast.parse(fixed)
    assert [d for d in lint(fixed, [code])] == []
    again, more = _fixed(fixed, code)
    assert more == [] and again == fixed
    return fixed


# ------------------------------------------------------------------------------- IO401


def test_io401_reports_the_except_clause_header() -> None:
    src = """\
    import os

    def f(fd):
        try:
            os.fsync(fd)
        except OSError:
            pass
    """
    [d] = lint(src, ["IO401"])
    assert (d.start.line, d.start.column) == (6, 4)
    assert (d.end.line, d.end.column) == (6, 18)  # ``except OSError``
    assert "silently lost" in d.message and "re-raise" in d.message
    assert d.fix is None


def test_io401_one_report_per_handler() -> None:
    src = """\
    import os

    def f(a, b):
        try:
            os.fsync(a)
            os.fdatasync(b)
        except OSError:
            pass
    """
    assert codes_at(src, ["IO401"]) == [(7, "IO401")]


def test_io401_suppress_reported_at_the_call() -> None:
    src = """\
    import os
    from contextlib import suppress as ignoring

    def f(fd):
        with open("x") as g, ignoring(OSError):
            os.fsync(fd)
    """
    [d] = lint(src, ["IO401"])
    assert (d.start.line, d.start.column) == (5, 25)
    assert "ignoring(OSError)" in d.message


def test_io401_self_method_helper() -> None:
    src = """\
    import os

    class Journal:
        def _fsync(self, f):
            f.flush()
            os.fsync(f.fileno())

        def append(self, f, record):
            f.write(record)
            try:
                self._fsync(f)
            except Exception:
                pass
    """
    assert codes_at(src, ["IO401"]) == [(12, "IO401")]


@pytest.mark.parametrize(
    "handler",
    [
        "raise",
        "log.error('x'); raise",
        "if e.errno != errno.EINVAL:\n            raise",
        "if e.errno in (errno.EINVAL, errno.EROFS):\n            return\n        raise",
        "sys.exit(1)",
        "return False",
        "self.failed = e",
        "errors.append(e)",
        "os.close(fd)\n        raise",
        "recover_from_journal()",
    ],
)
def test_io401_silent_on_handlers_that_fail_or_hand_on(handler: str) -> None:
    src = f"""\
import errno, logging, os, sys
log = logging.getLogger()

def f(self, fd, errors):
    try:
        os.fsync(fd)
    except OSError as e:
        {handler}
"""
    assert codes_at(src, ["IO401"]) == []


def test_io401_fcntl_full_fsync_swallowed() -> None:
    src = """\
    import fcntl

    def f(fd):
        try:
            fcntl.fcntl(fd, fcntl.F_FULLFSYNC)
        except OSError:
            pass
    """
    [d] = lint(src, ["IO401"])
    assert "F_FULLFSYNC" in d.message


def test_io401_nested_function_is_not_covered() -> None:
    src = """\
    import os

    def f(fd):
        try:
            def later():
                os.fsync(fd)
        except OSError:
            pass
        return later
    """
    assert codes_at(src, ["IO401"]) == []


def test_io401_and_io402_do_not_both_report_a_retry() -> None:
    src = """\
    import os, time

    def f(fd):
        while True:
            try:
                os.fsync(fd)
                return
            except OSError:
                time.sleep(1)
    """
    assert codes_at(src, ["IO401", "IO402"]) == [(6, "IO402")]


# ------------------------------------------------------------------------------- IO402


def test_io402_messages_name_the_mechanism() -> None:
    src = """\
    import fcntl, os
    from tenacity import retry

    @retry
    def a(fd):
        os.fsync(fd)

    def b(fd):
        try:
            fcntl.fcntl(fd, fcntl.F_FULLFSYNC)
        except OSError:
            os.fsync(fd)
    """
    first, second = lint(src, ["IO402"])
    assert "`@retry`" in first.message and "fsyncgate" in first.message
    assert (second.start.line, second.start.column) == (12, 8)
    assert "ENOTSUP/EINVAL" in second.message


def test_io402_decorator_with_swallowing_handler_is_io401() -> None:
    src = """\
    import os
    from tenacity import retry

    @retry
    def a(fd):
        try:
            os.fsync(fd)
        except OSError:
            pass
    """
    assert codes_at(src, ["IO401", "IO402"]) == [(8, "IO401")]


def test_io402_decorator_on_an_outer_function_only() -> None:
    src = """\
    import os
    from tenacity import retry

    @retry
    def outer(fd):
        def inner():
            os.fsync(fd)
        return inner
    """
    assert codes_at(src, ["IO402"]) == []


def test_io402_tenacity_with_unknown_options() -> None:
    src = """\
    import os
    import tenacity

    OPTIONS = {}

    @tenacity.retry(**OPTIONS)
    def a(fd):
        os.fsync(fd)

    @tenacity.retry(retry=tenacity.retry_if_result(lambda r: r is None))
    def b(fd):
        os.fsync(fd)
    """
    assert codes_at(src, ["IO402"]) == []


def test_io402_loop_with_for_else() -> None:
    src = """\
    import os, time

    def f(fd):
        for _ in range(3):
            try:
                os.fsync(fd)
            except OSError:
                time.sleep(1)
            else:
                break
        else:
            raise OSError("fsync keeps failing")
    """
    assert codes_at(src, ["IO402"]) == [(6, "IO402")]


# ------------------------------------------------------------------------------- IO403


def test_io403_reports_the_handler_once() -> None:
    src = """\
    def f(path, data):
        f = open(path, "w")
        f.write(data)
        g = open(path + ".2", "w")
        g.write(data)
        try:
            f.close()
            g.close()
        except OSError:
            pass
    """
    [d] = lint(src, ["IO403"])
    assert d.start.line == 9
    assert "ENOSPC" in d.message and "propagate" in d.message


def test_io403_class_attribute_written_elsewhere_is_not_judged() -> None:
    src = """\
    class Sink:
        def __init__(self, path):
            self.out = open(path, "w")

        def put(self, data):
            self.out.write(data)

        def close(self):
            try:
                self.out.close()
            except OSError:
                pass
    """
    assert codes_at(src, ["IO403"]) == []


# ------------------------------------------------------------------------------- IO404


def test_io404_fix_method_call() -> None:
    fixed = _fix_round_trip(
        """\
        def export(p, x):
            open(p, "w").write(x)  # keep me
        """,
        "IO404",
    )
    assert fixed == textwrap.dedent(
        """\
        def export(p, x):
            with open(p, "w") as f:
                f.write(x)  # keep me
        """
    )


def test_io404_fix_uses_a_name_the_function_does_not_use() -> None:
    fixed = _fix_round_trip(
        """\
        import json

        def dump(f, obj, p):
            json.dump(obj, open(p, "w"))
            return f
        """,
        "IO404",
    )
    assert 'with open(p, "w") as fh:\n        json.dump(obj, fh)\n' in fixed
    assert lint(fixed, ["IO404"]) == []


def test_io404_fix_serializer_is_safe_and_assignment_kept() -> None:
    src = """\
    import json

    def export(p, obj, x):
        json.dump(obj, open(p, "w"))
        n = open(p, "a").write(x)
        return n
    """
    fixed, found = _fixed(src, "IO404")
    assert [d.fix.applicability for d in found] == [Applicability.SAFE] * 2  # type: ignore[union-attr]
    assert '    with open(p, "a") as f:\n        n = f.write(x)\n' in fixed
    ast.parse(fixed)
    assert lint(fixed, ["IO404"]) == []


def test_io404_fix_unsafe_when_something_is_computed_before_opening() -> None:
    src = """\
    import json

    def f(p, build):
        json.dump(build(), open(p, "w"))
    """
    [d] = lint(src, ["IO404"])
    assert d.fix is not None and d.fix.applicability is Applicability.UNSAFE


def test_io404_fix_module_level_fresh_name() -> None:
    fixed = _fix_round_trip(
        """\
        import sys
        f = sys.argv[1]
        open(f, "w").write("x")
        """,
        "IO404",
    )
    assert 'with open(f, "w") as f2:\n    f2.write("x")\n' in fixed


def test_io404_fix_multiline_statement_reindented() -> None:
    fixed = _fix_round_trip(
        """\
        import json

        def export(p, obj):
            json.dump(
                obj,
                open(p, "w"),
                indent=2,
            )
        """,
        "IO404",
    )
    assert fixed.endswith(
        '    with open(p, "w") as f:\n'
        "        json.dump(\n"
        "            obj,\n"
        "            f,\n"
        "            indent=2,\n"
        "        )\n"
    )


def test_io404_fix_keeps_crlf_and_tabs() -> None:
    src = 'def export(p, x):\r\n\topen(p, "w").write(x)\r\n'
    found = [d for d in lint(src, ["IO404"]) if d.fix is not None]
    fixed = apply_edits(src, [e for d in found for e in d.fix.edits])  # type: ignore[union-attr]
    assert fixed == 'def export(p, x):\r\n\twith open(p, "w") as f:\r\n\t\tf.write(x)\r\n'
    assert lint(fixed, ["IO404"]) == []


@pytest.mark.parametrize(
    "line",
    [
        'if x: open(p, "w").write(x)',
        'go = lambda: open(p, "w").write(x)',
        'ok = x and open(p, "w").write(x)',
        'open(p, "w").write(x); done = True',
        '[open(q, "w").write(x) for q in p]',
    ],
)
def test_io404_no_fix_where_the_call_cannot_move(line: str) -> None:
    src = f"def f(p, x):\n    {line}\n"
    found = lint(src, ["IO404"])
    assert [d.code for d in found] == ["IO404"]
    assert found[0].fix is None


def test_io404_no_fix_across_a_multiline_string() -> None:
    src = 'def f(p):\n    open(p, "w").write("""a\nb""")\n'
    [d] = lint(src, ["IO404"])
    assert d.fix is None


# ------------------------------------------------------------------------------- IO501


def test_io501_reports_the_seek() -> None:
    src = """\
    def f(p, line):
        with open(p, "r+") as fh:
            fh.seek(0, 2)
            fh.write(line)
    """
    [d] = lint(src, ["IO501"])
    assert (d.start.line, d.start.column) == (3, 8)
    assert "overwrites" in d.message and 'mode "a"' in d.message
    assert d.fix is None


def test_io501_in_a_loop() -> None:
    src = """\
    def f(p, lines):
        with open(p, "r+") as fh:
            for line in lines:
                fh.seek(0, 2)
                fh.write(line)
    """
    assert codes_at(src, ["IO501"]) == [(4, "IO501")]


# ------------------------------------------------------------------------------- IO502


def test_io502_fix_positional() -> None:
    fixed = _fix_round_trip(
        """\
        import os

        def f(p):
            return os.open(p, os.O_WRONLY | os.O_CREAT)
        """,
        "IO502",
    )
    assert "os.open(p, os.O_WRONLY | os.O_CREAT, 0o666)" in fixed


def test_io502_fix_before_keywords_and_by_keyword() -> None:
    src = """\
    import os

    def f(p, d):
        a = os.open(p, os.O_WRONLY | os.O_CREAT, dir_fd=d)
        b = os.open(path=p, flags=os.O_CREAT | os.O_RDWR)
        return a, b
    """
    fixed, found = _fixed(src, "IO502")
    assert all(d.fix.applicability is Applicability.SAFE for d in found)  # type: ignore[union-attr]
    assert "os.open(p, os.O_WRONLY | os.O_CREAT, 0o666, dir_fd=d)" in fixed
    assert "os.open(path=p, flags=os.O_CREAT | os.O_RDWR, mode=0o666)" in fixed
    ast.parse(fixed)
    assert lint(fixed, ["IO502"]) == []


def test_io502_message() -> None:
    [d] = lint("import os\nos.open('x', os.O_CREAT)\n", ["IO502"])
    assert "0o777" in d.message and "executable" in d.message and "0o666" in d.message


def test_io402_log_writer_loop_fsyncs_the_same_file_again() -> None:
    src = """\
    import logging, os

    log = logging.getLogger()

    def pump(self, queue):
        while True:
            record = queue.get()
            self.journal.write(record)
            self.journal.flush()
            try:
                os.fsync(self.journal.fileno())
            except OSError:
                log.exception("fsync failed")
    """
    [d] = lint(src, ["IO402"])
    assert d.start.line == 11 and "next turn of the loop" in d.message


def test_io502_fix_after_parenthesized_flags() -> None:
    src = """\
    import os

    def create(p):
        a = os.open(p, (os.O_CREAT | os.O_WRONLY))
        b = os.open(
            p,
            (os.O_CREAT
             | os.O_WRONLY),
        )
        c = os.open(p, (os.O_CREAT), dir_fd=3)
        return a, b, c
    """
    fixed = _fix_round_trip(src, "IO502")
    assert "os.open(p, (os.O_CREAT | os.O_WRONLY), 0o666)" in fixed
    assert "| os.O_WRONLY), 0o666,\n" in fixed
    assert "os.open(p, (os.O_CREAT), 0o666, dir_fd=3)" in fixed


def test_io502_no_fix_across_a_comment() -> None:
    src = "import os\nfd = os.open('p', os.O_CREAT  # why\n)\n"
    [d] = lint(src, ["IO502"])
    assert d.fix is None


def test_io502_fix_with_crlf() -> None:
    src = "import os\r\nfd = os.open(\r\n    'p',\r\n    (os.O_CREAT),\r\n)\r\n"
    fixed = _fix_round_trip(src, "IO502")
    assert fixed == "import os\r\nfd = os.open(\r\n    'p',\r\n    (os.O_CREAT), 0o666,\r\n)\r\n"
