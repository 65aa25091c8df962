"""Constructor parameters whose kind comes from every call site in the project
(model/constructions.py): fixture projects of a few modules, linted through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import write_project as _project

from iolint.cli import main
from iolint.model.index import ProjectIndex

PEER = """\
class Peer:
    def __init__(self, name, link, greeting=None):
        self.name = name
        self.link = link

    def push(self, frame):
        self.link.send(frame)

    def drop(self):
        self.link.close()
"""

# A stream-socket request handler builds the Peer from the accepted connection.
HANDLER = """\
import socketserver

from pkg.peer import Peer


class Handler(socketserver.BaseRequestHandler):
    def setup(self):
        self.peer = Peer(self.client_address, self.request)
"""

# The same, passing the socket by keyword from a function that connects.
CONNECTOR = """\
import socket

from pkg.peer import Peer


def dial(address):
    return Peer(address, link=socket.create_connection(address))
"""

# A datagram handler: ``self.request`` is a (data, socket) tuple there, not a stream.
DATAGRAM_HANDLER = """\
import socketserver

from pkg.peer import Peer


class Handler(socketserver.DatagramRequestHandler):
    def setup(self):
        self.peer = Peer(self.client_address, self.request)
"""

# A caller that passes something the model cannot tell: the call sites disagree.
UNKNOWN_CALLER = """\
from pkg.peer import Peer


def replay(recorder):
    return Peer("replay", recorder)
"""

# A caller that builds the Peer with *args: what reaches ``link`` is unknown.
UNPACKING_CALLER = """\
from pkg.peer import Peer


def rebuild(args):
    return Peer(*args)
"""

# A subclass reaches Peer.__init__ through super() with its own arguments.
SUBCLASS = """\
from pkg.peer import Peer


class LoggedPeer(Peer):
    def __init__(self, name, transport):
        super().__init__(name, transport)
"""

# Tests build peers with fakes: production callers decide the kind.
TEST_MODULE = """\
from pkg.peer import Peer


def test_push():
    Peer("x", FakeLink()).push(b"frame")


class FakeLink:
    def send(self, data):
        return len(data)
"""


def _peer_findings(root: Path, capsys: pytest.CaptureFixture[str]) -> set[tuple[int, str]]:
    capsys.readouterr()
    main(["check", "--exit-zero", "--no-cache", "--output-format", "json", str(root)])
    out = json.loads(capsys.readouterr().out)
    return {(f["location"]["row"], f["code"]) for f in out if Path(f["filename"]).name == "peer.py"}


def test_socket_passed_by_every_caller_reaches_the_attribute(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(
        tmp_path,
        {"pkg/peer.py": PEER, "pkg/handler.py": HANDLER, "pkg/connector.py": CONNECTOR},
    )
    assert _peer_findings(root, capsys) == {(7, "IO102")}


def test_test_modules_do_not_count_as_callers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(
        tmp_path,
        {"pkg/peer.py": PEER, "pkg/handler.py": HANDLER, "tests/test_peer.py": TEST_MODULE},
    )
    assert _peer_findings(root, capsys) == {(7, "IO102")}


@pytest.mark.parametrize(
    "other",
    [DATAGRAM_HANDLER, UNKNOWN_CALLER, UNPACKING_CALLER, SUBCLASS],
    ids=["datagram-handler", "unknown-argument", "unpacking", "subclass"],
)
def test_callers_that_disagree_leave_the_parameter_unknown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], other: str
) -> None:
    root = _project(
        tmp_path, {"pkg/peer.py": PEER, "pkg/handler.py": HANDLER, "pkg/other.py": other}
    )
    assert _peer_findings(root, capsys) == set()


def test_no_caller_at_all_says_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _project(tmp_path, {"pkg/peer.py": PEER})
    assert _peer_findings(root, capsys) == set()


def test_a_parameter_left_to_its_default_is_not_the_socket(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    peer = PEER.replace("self.link = link", "self.link = greeting")
    root = _project(tmp_path, {"pkg/peer.py": peer, "pkg/handler.py": HANDLER})
    assert _peer_findings(root, capsys) == set()


def test_call_sites_are_recorded_in_the_index_facts(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        {"pkg/peer.py": PEER, "pkg/handler.py": HANDLER, "pkg/other.py": UNKNOWN_CALLER},
    )
    index = ProjectIndex(root, None)
    handler = index.module_facts("pkg.handler")
    other = index.module_facts("pkg.other")  # no I/O word: read without a model
    assert handler is not None and other is not None
    (site,) = handler.constructions["pkg.peer.Peer"]
    assert site.positional == 2 and site.kinds["1"].category == "socket"
    (unknown,) = other.constructions["pkg.peer.Peer"]
    assert unknown.positional == 2 and not unknown.kinds
