"""The result cache: hits equal misses, never stale, never fatal, safe to share."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest

import iolint.runner as runner
from iolint.cache import CACHE_DIR_NAME, CachedResult, ResultCache
from iolint.cli import main
from iolint.config import Settings
from iolint.diagnostics import ParseError
from iolint.runner import process_path

BUGGY = "import os\n\n\ndef f(fd, data):\n    os.write(fd, data)\n"
FIXTURES = Path(__file__).parent / "fixtures"


def _settings(root: Path, **kw: object) -> Settings:
    return Settings(root=root, **kw)  # type: ignore[arg-type]


def _cache(root: Path) -> ResultCache:
    cache = ResultCache.for_root(root)
    assert cache is not None
    return cache


def _no_lint(*args: object, **kw: object) -> object:
    raise AssertionError("linted although the cache holds the result")


def test_cache_directory_is_tagged_and_ignored(tmp_path: Path) -> None:
    cache = _cache(tmp_path)
    assert cache.directory == tmp_path / CACHE_DIR_NAME
    tag = (cache.directory / "CACHEDIR.TAG").read_text()
    assert tag.startswith("Signature: 8a477f597d28d172789f06886806bc55")
    assert (cache.directory / ".gitignore").read_text().splitlines()[-1] == "*"


def test_hit_equals_miss_and_skips_linting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "m.py"
    src.write_text(BUGGY)
    settings, cache = _settings(tmp_path), _cache(tmp_path)
    cold = process_path(src, settings, cache=cache)
    assert [d.code for d in cold.diagnostics] == ["IO101"]
    assert cold.diagnostics[0].fix is not None
    monkeypatch.setattr(runner, "lint_source", _no_lint)
    warm = process_path(src, settings, cache=cache)
    assert warm == cold
    assert warm.source == cold.source
    assert warm.diagnostics[0].fix == cold.diagnostics[0].fix


def test_every_fixture_round_trips(tmp_path: Path) -> None:
    cache = _cache(tmp_path)
    for path in sorted(FIXTURES.glob("IO*.py")):
        settings = _settings(tmp_path, extend_select=("IO308",))
        cold = process_path(path, settings, cache=cache)
        warm = runner.cached_result(path, settings, cache)
        assert warm is not None, path
        assert (warm.diagnostics, warm.parse_error) == (cold.diagnostics, cold.parse_error)
        assert [d.severity for d in warm.diagnostics] == [d.severity for d in cold.diagnostics]


def test_changed_content_is_never_served_stale(tmp_path: Path) -> None:
    src = tmp_path / "m.py"
    src.write_text(BUGGY)
    settings, cache = _settings(tmp_path), _cache(tmp_path)
    assert process_path(src, settings, cache=cache).diagnostics
    src.write_text(BUGGY.replace("os.write(fd, data)", "n = os.write(fd, data)\n    return n"))
    assert process_path(src, settings, cache=cache).diagnostics == ()


def test_settings_are_part_of_the_key(tmp_path: Path) -> None:
    src = tmp_path / "m.py"
    src.write_text(BUGGY)
    cache = _cache(tmp_path)
    assert process_path(src, _settings(tmp_path), cache=cache).diagnostics
    assert process_path(src, _settings(tmp_path, ignore=("IO101",)), cache=cache).diagnostics == ()
    per_file = _settings(tmp_path, per_file_ignores=(("m.py", ("IO1",)),))
    assert process_path(src, per_file, cache=cache).diagnostics == ()
    assert process_path(src, _settings(tmp_path), cache=cache).diagnostics


def test_code_fingerprint_is_part_of_the_key(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    a = ResultCache(tmp_path, "code-a").key(b"x = 1\n", "m.py", settings, frozenset({"IO101"}))
    b = ResultCache(tmp_path, "code-b").key(b"x = 1\n", "m.py", settings, frozenset({"IO101"}))
    assert a != b


@pytest.mark.parametrize(
    "garbage",
    [b"", b"{", b"\xff\xfe", b"[]", b'{"format": 1}', b'{"format": 1, "key": "KEY"}', b"null"],
)
def test_corrupt_entries_are_misses(tmp_path: Path, garbage: bytes) -> None:
    src = tmp_path / "m.py"
    src.write_text(BUGGY)
    settings, cache = _settings(tmp_path), _cache(tmp_path)
    cold = process_path(src, settings, cache=cache)
    (entry,) = cache.directory.glob("*.json")
    entry.write_bytes(garbage.replace(b"KEY", entry.stem.encode()))
    assert process_path(src, settings, cache=cache) == cold
    # ...and the entry is rewritten whole.
    assert json.loads(entry.read_bytes())["key"] == entry.stem


def test_entry_under_another_key_is_a_miss(tmp_path: Path) -> None:
    cache = _cache(tmp_path)
    cache.put("a" * 64, CachedResult((), ParseError("boom", 3, 4)))
    (cache.directory / ("a" * 64 + ".json")).rename(cache.directory / ("b" * 64 + ".json"))
    assert cache.get("b" * 64) is None
    cache.put("c" * 64, CachedResult((), ParseError("boom", 3, 4)))
    assert cache.get("c" * 64) == CachedResult((), ParseError("boom", 3, 4))


def test_unusable_cache_directory_is_not_fatal(tmp_path: Path) -> None:
    (tmp_path / CACHE_DIR_NAME).write_text("a file where the directory should be")
    assert ResultCache.for_root(tmp_path) is None
    src = tmp_path / "m.py"
    src.write_text(BUGGY)
    code = main(["check", "--exit-zero", "-q", str(src)])
    assert code == 0


def test_failed_write_leaves_no_temp_file(tmp_path: Path) -> None:
    cache = _cache(tmp_path)
    # The destination is a directory: os.replace fails, the temporary file must go.
    (cache.directory / ("d" * 64 + ".json")).mkdir()
    cache.put("d" * 64, CachedResult((), None))
    assert not list(cache.directory.glob(".tmp-*"))


def _writer(args: tuple[str, int]) -> bool:
    directory, n = args
    cache = ResultCache(Path(directory), "code")
    for i in range(n):
        cache.put("e" * 64, CachedResult((), ParseError(f"msg {i % 3}", 1, 0)))
        got = cache.get("e" * 64)
        if got is None or got.parse_error is None:
            return False
    return True


def test_concurrent_writers_never_expose_a_partial_entry(tmp_path: Path) -> None:
    cache = _cache(tmp_path)
    with multiprocessing.get_context().Pool(3) as pool:
        assert all(pool.map(_writer, [(str(cache.directory), 100)] * 3))
    assert not list(cache.directory.glob(".tmp-*"))


def test_cli_uses_the_project_cache_and_no_cache_skips_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.iolint]\n")
    (tmp_path / "m.py").write_text(BUGGY)
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--no-cache", "--output-format", "json", "m.py"]) == 1
    uncached = capsys.readouterr().out
    assert not (tmp_path / CACHE_DIR_NAME).exists()
    assert main(["check", "--output-format", "json", "m.py"]) == 1
    cold = capsys.readouterr().out
    assert len(list((tmp_path / CACHE_DIR_NAME).glob("*.json"))) == 1
    monkeypatch.setattr(runner, "lint_source", _no_lint)
    assert main(["check", "--output-format", "json", "m.py"]) == 1
    assert capsys.readouterr().out == cold == uncached
