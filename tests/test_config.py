"""Configuration: ``[tool.iolint]`` discovery (closest wins), every key, command-line overrides,
``--show-settings``, errors (exit 2, naming the key and the file), and the flake8 plugin's
options read from flake8's own configuration files."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import SAFELY_FIXABLE

from iolint.cli import main
from iolint.config import ConfigResolver, target_from_requires_python
from iolint.registry import all_rules, rule_by_code

# IO102 on line 7, IO105 on line 13 (both always reported by default).
BUGGY = SAFELY_FIXABLE
BOTH = ["IO102", "IO105"]

# IO306 only in a function the save-functions pattern names; IO204 only when the target
# Python has PEP 475 (3.5+).
OPTIONS_PROBE = textwrap.dedent(
    """\
    import os


    def export_settings(path, text):
        with open(path, "w") as f:
            f.write(text)


    def pump(fd):
        while True:
            try:
                return os.read(fd, 100)
            except InterruptedError:
                continue
    """
)
needs_io204 = pytest.mark.skipif(rule_by_code("IO204") is None, reason="IO204 not registered")
needs_io306 = pytest.mark.skipif(rule_by_code("IO306") is None, reason="IO306 not registered")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["check", "--no-cache", *args])
    out, err = capsys.readouterr()
    return code, out, err


def findings(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, list[str]]:
    """``{relative path: sorted codes}`` from the JSON output."""
    code, out, err = check(capsys, "--output-format", "json", *args)
    assert code in (0, 1), err
    result: dict[str, list[str]] = {}
    for item in json.loads(out):
        rel = Path(item["filename"]).resolve().relative_to(Path.cwd().resolve()).as_posix()
        result.setdefault(rel, []).append(item["code"])
    return {k: sorted(v) for k, v in result.items()}


def settings(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    code, out, err = check(capsys, "--show-settings", *args)
    assert code == 0, err
    data: dict[str, object] = json.loads(out)
    return data


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


# ----------------------------------------------------------------------------- per-file-ignores


def test_per_file_ignores(
    tree: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(
        tree / "pyproject.toml",
        textwrap.dedent(
            """\
            [tool.iolint.per-file-ignores]
            "tests/*" = ["IO102"]
            "**/test_*.py" = ["IO105"]
            "scripts/*.py" = ["IO1"]
            "legacy.py" = ["IO102", "IO105"]
            """
        ),
    )
    for rel in (
        "app.py",
        "tests/helpers.py",
        "tests/unit/test_x.py",
        "test_root.py",
        "pkg/test_deep.py",
        "scripts/run.py",
        "pkg/legacy.py",
    ):
        write(tree / rel, BUGGY)
    assert findings(capsys, ".") == {
        "app.py": BOTH,
        "tests/helpers.py": ["IO105"],
        "test_root.py": ["IO102"],  # `**/` also matches no directory
        "pkg/test_deep.py": ["IO102"],
        # tests/unit/test_x.py: both patterns; scripts/run.py and pkg/legacy.py: everything
    }
    # Named on the command line from another directory: the patterns stay relative to the
    # configuration's directory.
    (tree / "elsewhere").mkdir()
    monkeypatch.chdir(tree / "elsewhere")
    code, out, _ = check(capsys, "--output-format", "json", str(tree / "tests" / "helpers.py"))
    assert code == 1
    assert [item["code"] for item in json.loads(out)] == ["IO105"]


# ----------------------------------------------------------------------------- excludes


def test_exclude_and_extend_exclude(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(
        tree / "pyproject.toml",
        '[tool.iolint]\nextend-exclude = ["generated", "./.cache/*.py", "docs/*.py"]\n',
    )
    for rel in (
        "app.py",
        "generated/out.py",
        "pkg/generated/deep.py",
        ".cache/c.py",
        "docs/conf.py",
        "docs/sub/x.py",
        ".venv/lib.py",  # a default exclude, kept by extend-exclude
    ):
        write(tree / rel, BUGGY)
    # `docs/*.py` matches docs/sub/x.py too (`*` crosses `/`, as in ruff's globs).
    assert list(findings(capsys, ".")) == ["app.py"]

    # Files named explicitly are linted, unless --force-exclude (what pre-commit passes).
    explicit = ["generated/out.py", ".cache/c.py", "docs/conf.py", ".venv/lib.py"]
    assert sorted(findings(capsys, *explicit)) == sorted(explicit)
    assert findings(capsys, "--force-exclude", *explicit, "app.py") == {"app.py": BOTH}
    # ... and so is an excluded directory named explicitly.
    assert findings(capsys, "--force-exclude", "generated") == {}
    assert findings(capsys, "generated") == {"generated/out.py": BOTH}


def test_exclude_replaces_the_defaults(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tree / "pyproject.toml", '[tool.iolint]\nexclude = ["vendored"]\n')
    write(tree / "vendored" / "v.py", BUGGY)
    write(tree / ".venv" / "lib.py", BUGGY)
    assert list(findings(capsys, ".")) == [".venv/lib.py"]
    assert settings(capsys, ".")["exclude"] == ["vendored"]


def test_force_exclude_from_config_and_gitignore(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(
        tree / "pyproject.toml",
        '[tool.iolint]\nforce-exclude = true\nextend-exclude = ["gen"]\n',
    )
    (tree / ".git").mkdir()
    write(tree / ".gitignore", "build/\n")
    write(tree / "gen" / "g.py", BUGGY)
    write(tree / "build" / "b.py", BUGGY)
    write(tree / "app.py", BUGGY)
    assert list(findings(capsys, ".")) == ["app.py"]
    assert list(findings(capsys, "gen/g.py", "build/b.py", "app.py")) == ["app.py"]


# ----------------------------------------------------------------------------- selection


def test_select_ignore_extend_select(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tree / "app.py", BUGGY)
    # The most specific prefix wins: IO102 beats the IO1 ignore, IO105 does not.
    write(tree / "pyproject.toml", '[tool.iolint]\nignore = ["IO1"]\nextend-select = ["IO102"]\n')
    assert findings(capsys, "app.py") == {"app.py": ["IO102"]}
    # --extend-select adds to the file's, --ignore adds to its ignores.
    assert findings(capsys, "--extend-select", "IO105", "app.py") == {"app.py": BOTH}
    assert findings(capsys, "--ignore", "IO102", "app.py") == {}
    # --select replaces the file's select.
    write(tree / "pyproject.toml", '[tool.iolint]\nselect = ["IO105"]\n')
    assert findings(capsys, "app.py") == {"app.py": ["IO105"]}
    assert findings(capsys, "--select", "IO102", "app.py") == {"app.py": ["IO102"]}


def test_opt_in_rules_need_their_full_code(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    opt_in = [r.code for r in all_rules() if not r.default_enabled]
    if not opt_in:
        pytest.skip("no opt-in rule registered")
    code = opt_in[0]
    write(tree / "app.py", "x = 1\n")
    assert code not in settings(capsys, "app.py")["enabled-rules"]  # type: ignore[operator]
    assert code not in settings(capsys, "--select", code[:3], "app.py")["enabled-rules"]  # type: ignore[operator]
    write(tree / "pyproject.toml", f'[tool.iolint]\nextend-select = ["{code}"]\n')
    enabled = settings(capsys, "app.py")["enabled-rules"]
    assert code in enabled  # type: ignore[operator]
    assert set(enabled) >= {r.code for r in all_rules() if r.default_enabled}  # type: ignore[call-overload]


# ----------------------------------------------------------------------------- target-version


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (">=3.8", (3, 8)),
        ("~=3.10", (3, 10)),
        (">=3.9,<4", (3, 9)),
        ("<4,>=3.11", (3, 11)),
        ("==3.12.*", (3, 12)),
        (">3.9", (3, 10)),
        ("<4", None),
    ],
)
def test_target_from_requires_python(spec: str, expected: tuple[int, int] | None) -> None:
    assert target_from_requires_python(spec) == expected


def test_target_version_sources(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tree / "app.py", "x = 1\n")
    assert settings(capsys, "app.py")["target-version"] == "py39"  # no configuration at all
    # requires-python of the closest pyproject, even without a [tool.iolint] section.
    write(tree / "pyproject.toml", '[project]\nname = "p"\nrequires-python = ">=3.10"\n')
    assert settings(capsys, "app.py")["target-version"] == "py310"
    write(
        tree / "pyproject.toml",
        '[project]\nrequires-python = ">=3.10"\n\n[tool.iolint]\ntarget-version = "py38"\n',
    )
    assert settings(capsys, "app.py")["target-version"] == "py38"
    assert settings(capsys, "--target-version", "py312", "app.py")["target-version"] == "py312"
    assert (
        settings(capsys, "--config", "target-version = 'py311'", "app.py")["target-version"]
        == "py311"
    )


@needs_io204
def test_target_version_changes_findings(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tree / "probe.py", OPTIONS_PROBE)
    assert "IO204" in findings(capsys, "probe.py")["probe.py"]
    assert "IO204" not in findings(capsys, "--target-version", "py34", "probe.py").get(
        "probe.py", []
    )
    write(tree / "pyproject.toml", '[project]\nrequires-python = ">=3.4"\n')
    assert "IO204" not in findings(capsys, "probe.py").get("probe.py", [])


# ----------------------------------------------------------------------------- save-functions


@needs_io306
def test_save_functions(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tree / "probe.py", OPTIONS_PROBE)
    assert "IO306" not in findings(capsys, "probe.py").get("probe.py", [])
    write(tree / "pyproject.toml", "[tool.iolint]\nsave-functions = '^export_'\n")
    assert "IO306" in findings(capsys, "probe.py")["probe.py"]
    assert settings(capsys, "probe.py")["save-functions"] == "^export_"
    # A command-line override wins over the file.
    assert "IO306" not in findings(
        capsys, "--config", "save-functions = '^nothing$'", "probe.py"
    ).get("probe.py", [])


# ----------------------------------------------------------------------------- --config


def test_config_overrides_and_files(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tree / "app.py", BUGGY)
    write(tree / "pyproject.toml", '[tool.iolint]\nselect = ["IO102"]\n')
    assert findings(capsys, "app.py") == {"app.py": ["IO102"]}
    assert findings(capsys, "--config", "select = ['IO105']", "app.py") == {"app.py": ["IO105"]}
    # Several overrides; TOML values of every type.
    shown = settings(
        capsys,
        "--config",
        'extend-exclude = ["gen"]',
        "--config",
        "unsafe-fixes = true",
        "--config",
        'per-file-ignores = {"t/*" = ["IO1"]}',
        "app.py",
    )
    assert shown["extend-exclude"] == ["gen"]
    assert shown["unsafe-fixes"] is True
    assert shown["per-file-ignores"] == {"t/*": ["IO1"]}
    assert shown["select"] == ["IO102"]

    # --config FILE: that file for every path (a standalone iolint.toml has no [tool.iolint]).
    write(tree / "ci" / "iolint.toml", 'select = ["IO105"]\n')
    assert findings(capsys, "--config", "ci/iolint.toml", "app.py") == {"app.py": ["IO105"]}
    shown = settings(capsys, "--config", "ci/iolint.toml", "app.py")
    assert Path(str(shown["config"])).name == "iolint.toml"


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ("selct = ['IO1']", "'selct'"),
        ("select = ['IO999']", "'IO999'"),
        ("target-version = 'python3'", "'target-version'"),
        ("select = [", "select = ["),
        ("no-such-file.toml", "no-such-file.toml"),
    ],
)
def test_bad_override_exits_2(
    override: str, named: str, tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tree / "app.py", BUGGY)
    code, out, err = check(capsys, "--config", override, "app.py")
    assert code == 2
    assert out == ""
    assert named in err and "iolint: error:" in err, err


def test_unknown_key_suggests_the_right_one(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tree / "app.py", BUGGY)
    code, _, err = check(capsys, "--config", "extend-selct = ['IO1']", "app.py")
    assert code == 2 and "did you mean 'extend-select'?" in err


# ----------------------------------------------------------------------------- show-settings


def test_show_settings(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(
        tree / "pyproject.toml",
        textwrap.dedent(
            """\
            [project]
            requires-python = ">=3.11"

            [tool.iolint]
            select = ["IO1"]
            ignore = ["IO103"]
            per-file-ignores = { "tests/*" = ["IO102"] }
            extend-exclude = ["gen"]
            unsafe-fixes = true
            output-format = "github"
            """
        ),
    )
    write(tree / "app.py", BUGGY)
    shown = settings(capsys, "app.py")
    assert Path(str(shown["config"])) == (tree / "pyproject.toml").resolve()
    assert Path(str(shown["root"])) == tree.resolve()
    assert shown["select"] == ["IO1"]
    assert shown["ignore"] == ["IO103"]
    assert shown["per-file-ignores"] == {"tests/*": ["IO102"]}
    assert shown["extend-exclude"] == ["gen"]
    assert shown["target-version"] == "py311"
    assert shown["unsafe-fixes"] is True
    assert shown["output-format"] == "github"
    io1 = sorted(r.code for r in all_rules() if r.code.startswith("IO1") and r.default_enabled)
    assert shown["enabled-rules"] == [c for c in io1 if c != "IO103"]
    # The configured output format is used when the command line gives none.
    code, out, _ = check(capsys, "app.py")
    assert code == 1 and re.match(r"::(error|warning|notice) file=app\.py,line=7,", out), out


# ----------------------------------------------------------------------------- nesting


def test_closest_configuration_wins(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(
        tree / "pyproject.toml",
        '[tool.iolint]\nignore = ["IO102"]\nper-file-ignores = { "sub/*" = ["IO105"] }\n',
    )
    write(tree / "sub" / "pyproject.toml", '[tool.iolint]\nselect = ["IO102"]\n')
    # A pyproject without an iolint section does not stop the search...
    write(tree / "lib" / "pyproject.toml", '[project]\nname = "lib"\n')
    # ... but one that spells the section another way does.
    write(tree / "other" / "pyproject.toml", '[tool]\niolint = { ignore = ["IO105"] }\n')
    for rel in ("a.py", "sub/b.py", "sub/deeper/c.py", "lib/d.py", "other/e.py"):
        write(tree / rel, BUGGY)
    expected = {
        "a.py": ["IO105"],
        "sub/b.py": ["IO102"],  # the root's per-file-ignores do not reach into sub's project
        "sub/deeper/c.py": ["IO102"],
        "lib/d.py": ["IO105"],
        "other/e.py": ["IO102"],
    }
    assert findings(capsys, ".") == expected
    # The same from inside a subdirectory, and file by file.
    assert findings(capsys, *expected) == expected
    shown = settings(capsys, "sub/deeper/c.py")
    assert Path(str(shown["config"])) == (tree / "sub" / "pyproject.toml").resolve()


def test_resolver_caches_per_directory(tree: Path) -> None:
    write(tree / "pyproject.toml", '[tool.iolint]\nselect = ["IO105"]\n')
    resolver = ConfigResolver()
    a = resolver.for_path(write(tree / "x" / "a.py", ""))
    b = resolver.for_path(write(tree / "x" / "y" / "b.py", ""))
    assert a is b
    assert resolver.enabled_codes() == {"IO105"}


# ----------------------------------------------------------------------------- bad files


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ('selct = ["IO1"]', "'selct'"),
        ('select = "IO1"', "'select'"),
        ('select = ["IO999"]', "'select'"),
        ('ignore = ["XYZ"]', "'ignore'"),
        ("extend-select = [1]", "'extend-select'"),
        ('per-file-ignores = ["tests/*"]', "'per-file-ignores'"),
        ('per-file-ignores = { "t/*" = ["IO9"] }', "per-file-ignores.t/*"),
        ('exclude = "build"', "'exclude'"),
        ("extend-exclude = [1]", "'extend-exclude'"),
        ('target-version = "3.8"', "'target-version'"),
        ('save-functions = "(unclosed"', "'save-functions'"),
        ('unsafe-fixes = "yes"', "'unsafe-fixes'"),
        ('output-format = "xml"', "'output-format'"),
        ("select = [", "invalid TOML"),
    ],
)
def test_bad_configuration_names_key_and_file(
    body: str, key: str, tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(tree / "sub" / "pyproject.toml", f"[tool.iolint]\n{body}\n")
    write(tree / "sub" / "app.py", BUGGY)
    code, out, err = check(capsys, "sub/app.py")
    assert code == 2, (out, err)
    assert key in err, err
    assert str(config) in err or str(config.resolve()) in err, err
    # The same through --show-settings.
    assert check(capsys, "--show-settings", "sub")[0] == 2


# ----------------------------------------------------------------------------- flake8


def flake8(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "IO", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def flake8_codes(result: subprocess.CompletedProcess[str]) -> set[str]:
    assert result.returncode in (0, 1), result.stderr
    return {line.split()[1] for line in result.stdout.splitlines()}


@needs_io204
@needs_io306
@pytest.mark.parametrize("config_name", ["setup.cfg", ".flake8", "tox.ini"])
def test_flake8_reads_options_from_its_config(tmp_path: Path, config_name: str) -> None:
    write(tmp_path / "probe.py", OPTIONS_PROBE)
    assert flake8_codes(flake8(tmp_path, "probe.py")) == {"IO204"}
    write(
        tmp_path / config_name,
        "[flake8]\niolint-target-version = py34\niolint-save-functions = ^export_\n",
    )
    assert flake8_codes(flake8(tmp_path, "probe.py")) == {"IO306"}
    # The command line still wins over the file.
    assert flake8_codes(flake8(tmp_path, "--iolint-target-version", "py39", "probe.py")) == {
        "IO204",
        "IO306",
    }


def test_flake8_rejects_a_bad_target_version(tmp_path: Path) -> None:
    write(tmp_path / "app.py", BUGGY)
    write(tmp_path / "setup.cfg", "[flake8]\niolint-target-version = banana\n")
    result = flake8(tmp_path, "app.py")
    assert result.returncode != 0
    assert "iolint-target-version" in result.stderr and "banana" in result.stderr
    assert "IO102" not in result.stdout  # no run with a setting silently dropped


def test_directory_inside_an_ignored_path_is_still_walked(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # As a pyenv install or a scratch virtualenv inside a repository that ignores it: naming
    # the directory lints it (ruff does too) instead of silently finding no files; the
    # .gitignore files inside it still apply.
    (tree / ".git").mkdir()
    write(tree / ".gitignore", "/versions\n")
    write(tree / "versions" / "lib" / "a.py", BUGGY)
    write(tree / "versions" / "lib" / "skip" / "b.py", BUGGY)
    write(tree / "versions" / "lib" / ".gitignore", "skip/\n")
    write(tree / "app.py", BUGGY)
    assert list(findings(capsys, ".")) == ["app.py"]
    assert list(findings(capsys, "versions/lib")) == ["versions/lib/a.py"]
    assert list(findings(capsys, "versions")) == ["versions/lib/a.py"]


# ----------------------------------------------------------------------------- strict mode


def test_strict_from_config_and_command_line(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tree / "app.py", BUGGY)
    assert settings(capsys, "app.py")["strict"] is False
    assert settings(capsys, "--strict", "app.py")["strict"] is True
    write(tree / "pyproject.toml", "[tool.iolint]\nstrict = true\n")
    assert settings(capsys, "app.py")["strict"] is True
    # The command line wins over the file, both ways.
    assert settings(capsys, "--no-strict", "app.py")["strict"] is False
    write(tree / "pyproject.toml", "[tool.iolint]\nstrict = 'yes'\n")
    code, _, err = check(capsys, "app.py")
    assert code == 2
    assert "strict" in err and "pyproject.toml" in err


def test_flake8_strict_option_reaches_the_rules(tmp_path: Path) -> None:
    import argparse

    from iolint.flake8_plugin import Flake8Plugin

    Flake8Plugin.parse_options(argparse.Namespace(iolint_strict=True))
    assert Flake8Plugin._options.strict is True
    Flake8Plugin.parse_options(argparse.Namespace())
    assert Flake8Plugin._options.strict is False
    # And flake8 itself accepts the option (unknown options exit 2 with a usage error).
    (tmp_path / "a.py").write_text("x = 1\n")
    run = subprocess.run(
        [sys.executable, "-m", "flake8", "--iolint-strict", "--select", "IO", "a.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
