"""List options given more than once add up, as in ruff (``ruff check --select F401 --select
E702`` reports both rules; so do repeated ``--ignore``, ``--extend-select``, ``--exclude`` and
``--extend-exclude``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iolint.cli import main

# IO101 in one file, IO102 in another, under three directories.
WRITE = "import os\n\ndef f(fd, d):\n    os.write(fd, d)\n"
SEND = "import socket\n\ndef f(d):\n    s = socket.socket()\n    s.send(d)\n"


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for directory in ("a", "b", "c"):
        (tmp_path / directory).mkdir()
        (tmp_path / directory / "w.py").write_text(WRITE)
        (tmp_path / directory / "s.py").write_text(SEND)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def findings(capsys: pytest.CaptureFixture[str], *args: str) -> set[tuple[str, str]]:
    main(["check", "--no-cache", "--jobs", "1", "--output-format", "json", *args])
    out = json.loads(capsys.readouterr().out)
    return {(Path(i["filename"]).parent.name, i["code"]) for i in out}


def settings(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    assert main(["check", "--show-settings", *args, "."]) == 0
    result: dict[str, object] = json.loads(capsys.readouterr().out)
    return result


def test_select_twice_selects_both(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    got = findings(capsys, "--select", "IO101", "--select", "IO102", "a")
    assert got == {("a", "IO101"), ("a", "IO102")}
    assert findings(capsys, "--select", "IO101", "a") == {("a", "IO101")}


def test_ignore_twice_ignores_both(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert findings(capsys, "--ignore", "IO101", "--ignore", "IO102", "a") == set()
    assert findings(capsys, "--ignore", "IO101", "a") == {("a", "IO102")}


def test_extend_select_twice(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    got = findings(
        capsys, "--select", "IO3", "--extend-select", "IO101", "--extend-select", "IO102"
    )
    assert {code for _, code in got} == {"IO101", "IO102"}


def test_exclude_and_extend_exclude_twice(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert {d for d, _ in findings(capsys, "--extend-exclude", "a", "--extend-exclude", "b")} == {
        "c"
    }
    # Commas and repetition mix.
    assert findings(capsys, "--extend-exclude", "a,b", "--extend-exclude", "c") == set()
    assert {d for d, _ in findings(capsys, "--exclude", "a", "--exclude", "c")} == {"b"}


def test_config_overrides_accumulate(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    got = settings(
        capsys,
        "--config",
        "extend-exclude = ['a']",
        "--config",
        "extend-exclude = ['b']",
        "--extend-exclude",
        "c",
        "--config",
        "extend-ignore = ['IO101']",
        "--ignore",
        "IO102",
        "--config",
        "per-file-ignores = { 'a/*' = ['IO3'] }",
        "--config",
        "per-file-ignores = { 'b/*' = ['IO4'] }",
    )
    assert got["extend-exclude"] == ["a", "b", "c"]
    assert got["ignore"] == ["IO101", "IO102"]
    assert got["per-file-ignores"] == {"a/*": ["IO3"], "b/*": ["IO4"]}


def test_config_key_given_twice_takes_the_last(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    got = settings(capsys, "--config", "select = ['IO1']", "--config", "select = ['IO3']")
    assert got["select"] == ["IO3"]
    got = settings(
        capsys, "--config", "target-version = 'py38'", "--config", "target-version = 'py311'"
    )
    assert got["target-version"] == "py311"


def test_extend_select_adds_to_the_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pyproject.toml").write_text('[tool.iolint]\nextend-select = ["IO308"]\n')
    got = settings(capsys, "--extend-select", "IO1", "--extend-select", "IO2")
    assert got["extend-select"] == ["IO308", "IO1", "IO2"]
