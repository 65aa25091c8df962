"""The per-run shortcuts of file discovery give exactly what the slow spellings give:
``ResolvedPaths.resolve`` is ``Path.resolve``, and ``Settings.is_excluded`` (one regex for the
name-only patterns) is ``matches`` tried pattern by pattern."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from iolint.config import DEFAULT_EXCLUDE, Settings
from iolint.resolved import ResolvedPaths


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_resolve_is_path_resolve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = tmp_path / "real"
    (real / "pkg").mkdir(parents=True)
    (real / "pkg" / "mod.py").write_text("")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "target.py").write_text("")
    (tmp_path / "linkdir").symlink_to(real)
    (real / "pkg" / "linked.py").symlink_to(tmp_path / "elsewhere" / "target.py")
    (real / "pkg" / "dangling.py").symlink_to(tmp_path / "missing.py")
    monkeypatch.chdir(real)
    candidates = [
        real / "pkg" / "mod.py",
        tmp_path / "linkdir" / "pkg" / "mod.py",  # through a linked directory
        real / "pkg" / "linked.py",  # a linked file resolves to its target's directory
        real / "pkg" / "dangling.py",
        real / "pkg" / "absent.py",
        real / "pkg" / ".." / "pkg" / "mod.py",
        tmp_path / "linkdir" / "..",
        Path("pkg") / "mod.py",  # relative to the working directory
        Path("."),
        Path("pkg"),
    ]
    paths = ResolvedPaths()
    for _ in range(2):  # the second time from what the first remembered
        for p in candidates:
            assert paths.resolve(p) == p.resolve(), p


@pytest.mark.parametrize(
    "patterns",
    [
        DEFAULT_EXCLUDE,
        ("*.pyi", "gen_*.py", "./build/", "[ab]*.py", "docs/*", "**/migrations", "vendored"),
        (),
    ],
)
def test_is_excluded_is_matches_per_pattern(tmp_path: Path, patterns: tuple[str, ...]) -> None:
    settings = Settings(exclude=patterns, extend_exclude=("extra*",), root=tmp_path)
    names = [
        "mod.py",
        "stub.pyi",
        "gen_x.py",
        "a.py",
        "c.py",
        ".venv",
        "node_modules",
        "extra_mod.py",
        "build",
        "migrations",
        "vendored",
        "site-packages",
    ]
    for parent in (tmp_path, tmp_path / "docs", tmp_path / "pkg" / "migrations"):
        for name in names:
            path = parent / name
            expected = any(
                settings.matches(path, p) for p in (*settings.exclude, *settings.extend_exclude)
            )
            assert settings.is_excluded(path) == expected, path
