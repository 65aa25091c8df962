"""IO201 and a parting notice: a few bytes sent once to the peer on a path that raises right
after (a TLS alert before the handshake fails). The bound of the payload may come from a record
builder in another module of the project, through the index's ``returned_bounds`` fact."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iolint.cli import main
from iolint.model.index import ProjectIndex

RECORDS = """\
import struct

ALERT_LEVEL_FATAL = 2


def build_alert(description, major=3, minor=3):
    body = struct.pack(">BB", ALERT_LEVEL_FATAL, description)
    return struct.pack(">BBBH", 0x15, major, minor, len(body)) + body


def build_record(payload):
    return struct.pack(">BBBH", 0x17, 3, 3, len(payload)) + payload


async def build_later(description):
    return struct.pack(">BB", 2, description)
"""

CONNECTION = """\
import socket

from .records import build_alert, build_record


class TLSConnection:
    def __init__(self, sock):
        self.socket = sock
        self.socket.setblocking(False)

    def reject(self, reason):
        alert = build_alert(48)
        self.socket.sendall(alert)
        self.socket.close()
        raise ConnectionError(reason)

    def reject_with_details(self, reason, details):
        self.socket.sendall(build_record(details))
        self.socket.close()
        raise ConnectionError(reason)

    def warn(self):
        self.socket.sendall(build_alert(90))
        return True

    def reject_all(self, reasons):
        for reason in reasons:
            self.socket.sendall(build_alert(48))
        raise ConnectionError(reasons)
"""


def _findings(root: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> set[int]:
    capsys.readouterr()
    main(["check", "--exit-zero", "--jobs", "1", "--output-format", "json", *extra, str(root)])
    out = json.loads(capsys.readouterr().out)
    return {
        f["location"]["row"]
        for f in out
        if f["code"] == "IO201" and Path(f["filename"]).name == "connection.py"
    }


def _package(root: Path) -> Path:
    (root / "pyproject.toml").write_text("[project]\nname = 'fixture'\n")
    (root / "pkg").mkdir()
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "records.py").write_text(RECORDS)
    (root / "pkg" / "connection.py").write_text(CONNECTION)
    return root


def test_the_index_records_which_functions_return_a_bounded_payload(tmp_path: Path) -> None:
    root = _package(tmp_path)
    facts = ProjectIndex(root, None).facts_of_file(root / "pkg" / "records.py")
    assert facts is not None
    # 5-byte header + 2-byte body; the record of a caller's payload and a coroutine have none.
    assert facts.returned_bounds == {"build_alert": 7}


def test_an_alert_built_in_another_module_then_a_raise_is_silent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _package(tmp_path)
    found = _findings(root, capsys, "--no-cache")
    assert 13 not in found  # the 7-byte alert, then close and raise
    assert 18 in found  # an unbounded record before the raise: it may not fit
    assert 23 in found  # a small payload on a path that goes on: the caller does not expect it
    assert 28 in found  # the same alert on every turn of a loop


def test_strict_mode_reports_the_parting_notice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _package(tmp_path)
    assert 13 in _findings(root, capsys, "--no-cache", "--strict")
