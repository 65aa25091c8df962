"""The project index: facts that cross modules (model/index.py), in small fixture projects
written to a temporary directory, linted through the CLI and the flake8 plugin."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from iolint.cache import ResultCache
from iolint.cli import main
from iolint.config import ConfigResolver
from iolint.model.index import (
    LintedModule,
    ModuleFacts,
    ProjectIndex,
    derive_facts,
    module_name,
)
from iolint.model.module import ModuleModel
from iolint.model.source import SourceText
from iolint.runner import cached_result

MIXIN = """\
import socket


class SocketMixin:
    def connect(self, address):
        self._socket = socket.create_connection(address)

    def open_probe(self, address):
        return socket.create_connection(address)
"""

DATAGRAM_MIXIN = """\
import socket


class SocketMixin:
    def connect(self, address):
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.connect(address)

    def open_probe(self, address):
        return socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
"""

CLIENT = """\
from .connection import SocketMixin


class Instrument(SocketMixin):
    def write(self, command):
        self._socket.send(command.encode())

    def probe(self, address, payload):
        sock = self.open_probe(address)
        sock.send(payload)

    def write_all(self, command):
        self._socket.sendall(command.encode())
"""

HELPERS = """\
import socket


def open_link(address):
    return socket.create_connection(address)


def open_raw(path):
    return open(path, "wb", buffering=0)


def open_buffered(path):
    return open(path, "wb")


def sync_file(f):
    f.flush()
    os.fsync(getattr(f, "fileobj", f).fileno())
"""

USER = """\
from pkg.helpers import open_buffered, open_link, open_raw


def ship(address, lines):
    link = open_link(address)
    for line in lines:
        link.send(line)


def dump(path, data):
    f = open_raw(path)
    f.write(data)
    f.close()


def dump_buffered(path, data):
    f = open_buffered(path)
    f.write(data)
    f.close()
"""

STAR_BASE = """\
import socket
import struct
"""

STAR_USER = """\
from pkg.base import *


def request(s: socket.socket, payload):
    s.send(payload)
"""

UNRELATED = """\
import os


def pump(fd, data):
    os.write(fd, data)
"""


def _project(root: Path, files: dict[str, str]) -> Path:
    (root / "pyproject.toml").write_text("[project]\nname = 'fixture'\n")
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _findings(
    root: Path, capsys: pytest.CaptureFixture[str], *extra: str
) -> set[tuple[str, int, str]]:
    capsys.readouterr()
    main(["check", "--exit-zero", "--jobs", "1", "--output-format", "json", *extra, str(root)])
    out = json.loads(capsys.readouterr().out)
    return {(Path(f["filename"]).name, f["location"]["row"], f["code"]) for f in out}


def _package(root: Path, files: dict[str, str]) -> Path:
    return _project(root, {"pkg/__init__.py": "", **files})


def test_mixin_in_another_module_gives_its_attributes_and_methods(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _package(tmp_path, {"pkg/connection.py": MIXIN, "pkg/client.py": CLIENT})
    found = _findings(root, capsys, "--no-cache")
    assert ("client.py", 6, "IO102") in found  # self._socket from the mixin's connect()
    assert ("client.py", 10, "IO102") in found  # the result of the mixin's open_probe()
    assert not any(line == 13 for name, line, _ in found if name == "client.py")


def test_datagram_mixin_stays_silent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _package(tmp_path, {"pkg/connection.py": DATAGRAM_MIXIN, "pkg/client.py": CLIENT})
    found = _findings(root, capsys, "--no-cache")
    assert not [f for f in found if f[0] == "client.py"]


DECLARED_MIXIN = """\
import socket


class SocketMixin:
    def __init__(self):
        self._socket: socket.socket

    def connect(self, address):
        self._socket = socket.create_connection(address)

    def open_probe(self, address):
        return socket.create_connection(address)
"""

DECLARED_ONLY_MIXIN = """\
import socket
from typing import Any


class SocketMixin:
    def __init__(self, transport: Any):
        self._socket: Any

    def open_probe(self, address):
        return socket.create_connection(address)
"""


def test_a_bare_declaration_in_a_mixin_leaves_the_kind_to_its_assignments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _package(tmp_path, {"pkg/connection.py": DECLARED_MIXIN, "pkg/client.py": CLIENT})
    found = _findings(root, capsys, "--no-cache")
    assert ("client.py", 6, "IO102") in found  # assigned in connect(), declared in __init__


def test_a_declaration_never_assigned_stays_unknown_across_modules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _package(tmp_path, {"pkg/connection.py": DECLARED_ONLY_MIXIN, "pkg/client.py": CLIENT})
    found = _findings(root, capsys, "--no-cache")
    assert ("client.py", 6, "IO102") not in found
    assert ("client.py", 10, "IO102") in found  # the rest of the mixin still counts


def test_helper_module_returning_sockets_and_raw_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _package(tmp_path, {"pkg/helpers.py": HELPERS, "pkg/user.py": USER})
    found = {f for f in _findings(root, capsys, "--no-cache") if f[0] == "user.py"}
    assert found == {("user.py", 7, "IO102"), ("user.py", 12, "IO101")}


def test_star_import_of_a_project_module(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _package(tmp_path, {"pkg/base.py": STAR_BASE, "pkg/user.py": STAR_USER})
    found = _findings(root, capsys, "--no-cache")
    assert ("user.py", 5, "IO102") in found


def test_helper_that_fsyncs_its_argument_is_a_fact(tmp_path: Path) -> None:
    root = _package(tmp_path, {"pkg/helpers.py": "import os\n" + HELPERS})
    index = ProjectIndex(root, None)
    facts = index.module_facts("pkg.helpers")
    assert facts is not None
    assert facts.fsyncs == {"sync_file": 0}
    assert set(facts.functions) == {"open_link", "open_raw", "open_buffered"}
    assert facts.functions["open_raw"].raw and not facts.functions["open_buffered"].raw


def test_module_names_follow_packages(tmp_path: Path) -> None:
    _package(tmp_path, {"pkg/sub/__init__.py": "", "pkg/sub/mod.py": ""})
    assert module_name(tmp_path / "pkg" / "sub" / "mod.py") == ("pkg.sub.mod", False)
    assert module_name(tmp_path / "pkg" / "sub" / "__init__.py") == ("pkg.sub", True)


def test_a_change_to_a_module_reaches_exactly_its_dependents(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _package(
        tmp_path,
        {
            "pkg/connection.py": MIXIN,
            "pkg/client.py": CLIENT,
            "pkg/unrelated.py": UNRELATED,
        },
    )
    assert ("client.py", 6, "IO102") in _findings(root, capsys)  # fills both caches
    cache = ResultCache.for_root(root)
    assert cache is not None
    assert list((cache.directory / "index").glob("*.json"))
    client, unrelated = root / "pkg" / "client.py", root / "pkg" / "unrelated.py"
    settings = ConfigResolver().for_path(client)
    assert cached_result(client, settings, cache) is not None
    assert cached_result(unrelated, settings, cache) is not None

    (root / "pkg" / "connection.py").write_text(DATAGRAM_MIXIN)
    # The client read the mixin's facts: its entry no longer holds. The other file did not.
    assert cached_result(client, settings, cache) is None
    assert cached_result(unrelated, settings, cache) is not None
    found = _findings(root, capsys)
    assert not [f for f in found if f[0] == "client.py"]
    assert ("unrelated.py", 5, "IO101") in found
    # A change that leaves the mixin's facts as they were keeps the client's entry valid.
    (root / "pkg" / "connection.py").write_text(DATAGRAM_MIXIN + "\n# a comment\n")
    assert cached_result(client, settings, cache) is not None


def test_module_outside_any_project_lints_with_its_own_facts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # No pyproject.toml, setup.cfg or VCS directory above: the mixin in the same module
    # still counts.
    (tmp_path / "alone.py").write_text(MIXIN + "\n\n" + CLIENT.split("\n", 2)[2])
    found = _findings(tmp_path / "alone.py", capsys, "--no-cache")
    assert {(n, c) for n, _, c in found} == {("alone.py", "IO102")}
    assert len(found) == 2


def test_flake8_plugin_reads_the_same_index(tmp_path: Path) -> None:
    root = _package(tmp_path, {"pkg/connection.py": MIXIN, "pkg/client.py": CLIENT})
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "IO", "pkg/client.py"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "pkg/client.py:6:9: IO102" in proc.stdout, proc.stdout + proc.stderr
    assert (root / ".iolint_cache" / "index").is_dir()


# ---- durability facts across modules (model/effects.py) ----

TEMP_HELPERS = """\
import os
import tempfile


def scratch_file(name):
    return tempfile.NamedTemporaryFile("w", prefix=os.path.basename(name), delete=False)


def sibling_file(name):
    return tempfile.NamedTemporaryFile("w", dir=os.path.dirname(name), delete=False)


def render(lines, target):
    with open(target, "w") as out:
        out.writelines(lines)
"""

TEMP_USER = """\
import os

from pkg.tempfiles import render, scratch_file, sibling_file


def save_notes(path, text):
    f = scratch_file(path)
    f.write(text)
    f.close()
    os.replace(f.name, path)


def save_notes_nearby(path, text):
    f = sibling_file(path)
    f.write(text)
    f.close()
    os.replace(f.name, path)


def refresh_settings(path, lines):
    tmp = path + ".tmp"
    render(lines, tmp)
    os.rename(tmp, path)
"""


def test_helper_module_facts_say_which_parameter_is_written_and_where_temps_go(
    tmp_path: Path,
) -> None:
    root = _package(tmp_path, {"pkg/tempfiles.py": TEMP_HELPERS})
    facts = ProjectIndex(root, None).facts_of_file(root / "pkg" / "tempfiles.py")
    assert facts is not None
    assert facts.writes == {"render": 1}
    assert facts.system_temps == {"scratch_file": True, "sibling_file": False}


def test_temp_files_and_writes_of_a_helper_module_reach_the_durability_rules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _package(tmp_path, {"pkg/tempfiles.py": TEMP_HELPERS, "pkg/user.py": TEMP_USER})
    found = {f for f in _findings(root, capsys, "--no-cache") if f[0] == "user.py"}
    # The helper's temp file is made in the system temp directory: reported at its call
    # here (the helper's own line is in another module). The sibling one is not.
    assert ("user.py", 7, "IO304") in found
    assert not any(line in range(13, 18) and code == "IO304" for _, line, code in found)
    # The temp-named path the helper wrote is renamed: FileExistsError on Windows.
    assert ("user.py", 23, "IO305") in found


def test_an_index_entry_written_before_the_newer_facts_still_loads() -> None:
    # Entries written before the durability facts, the constructor kinds and the bounded
    # returns existed have no "writes"/"system_temps"/"constructions"/"returned_bounds".
    old = {
        "name": "pkg.old",
        "imports": {},
        "star_imports": [],
        "functions": {},
        "classes": {},
        "fsyncs": {"sync_file": 0},
    }
    facts = ModuleFacts.from_json(old)
    assert facts.fsyncs == {"sync_file": 0}
    assert facts.writes == {} and facts.system_temps == {}
    assert facts.constructions == {} and facts.returned_bounds == {}


def _model_of(path: Path, text: str, name: str) -> ModuleModel:
    return ModuleModel(ast.parse(text), SourceText(text), str(path), module=name)


RE_EXPORTS = """\
from pkg.tempfiles import render as publish


class Report(publish.Base):
    pass


def build():
    return Report(publish())
"""


@pytest.mark.parametrize(("name", "text"), [("tempfiles", TEMP_HELPERS), ("exports", RE_EXPORTS)])
def test_the_linted_module_own_facts_come_from_its_model_without_a_second_parse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, text: str
) -> None:
    # A module asks the project about its own top-level names; while it is linted, its
    # facts are derived from the tree and scopes already built, and they are the facts
    # the file gives on its own (one module with I/O facts, one with re-exports only).
    root = _package(tmp_path, {"pkg/tempfiles.py": TEMP_HELPERS, f"pkg/{name}.py": text})
    path = root / "pkg" / f"{name}.py"
    expected = ProjectIndex(root, None).facts_of_file(path)
    assert expected is not None
    linted = LintedModule(text, _model_of(path, text, f"pkg.{name}"))

    def no_parse(*args: object) -> None:
        raise AssertionError("the linted module was parsed again")

    monkeypatch.setattr("iolint.engine.parse", no_parse)
    facts = ProjectIndex(root, None).facts_of_file(path, linted=linted)
    assert facts is not None and facts.to_json() == expected.to_json()


def test_an_unsaved_text_leaves_the_module_facts_to_the_file_on_disk(tmp_path: Path) -> None:
    # The language server lints the editor's buffer: the facts of the module the project
    # sees are still those of the file on disk, as for every other module.
    root = _package(tmp_path, {"pkg/tempfiles.py": TEMP_HELPERS})
    path = root / "pkg" / "tempfiles.py"
    edited = TEMP_HELPERS + "\n\ndef sync_file(f):\n    os.fsync(f.fileno())\n"
    linted = LintedModule(edited, _model_of(path, edited, "pkg.tempfiles"))
    facts = ProjectIndex(root, None).facts_of_file(path, linted=linted)
    assert facts is not None and facts.fsyncs == {}
    # ... where the buffer's own facts would have had the helper it adds.
    assert derive_facts(edited, str(path), "pkg.tempfiles", False).fsyncs == {"sync_file": 0}
