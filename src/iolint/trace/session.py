"""The per-test bookkeeping of the pytest plugin, registered only when tracing is on."""

from __future__ import annotations

import os
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import pytest

from iolint.trace import bootstrap
from iolint.trace.findings import TraceFinding, render, unique
from iolint.trace.tracer import Tracer


class TracePlugin:
    def __init__(self, config: pytest.Config, tracer: Tracer, owned: bool = True) -> None:
        self.config = config
        self.tracer = tracer
        self.owned = owned
        self.failure: BaseException | None = None
        self.session_findings: list[TraceFinding] = []

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.tracer.start()

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if self.owned:
            self.tracer.stop()

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> bool:
        from _pytest.runner import runtestprotocol

        item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
        self.failure = None
        self.tracer.begin(item.nodeid)
        check = _crash_check(item)
        recorder = self.tracer.recorder
        if recorder is not None:
            recorder.record_crash_points = check is not None
        reports = runtestprotocol(item, nextitem=nextitem, log=False)
        failure = self.failure
        found = self.tracer.end()
        if check is not None and recorder is not None and failure is None:
            found += self.tracer.check_crash_states(recorder.crash_points, check, item.nodeid)
        found += self.tracer.failure_findings(failure, item.nodeid)
        suspects = self.tracer.suspects(failure, item.nodeid)
        if suspects and self._passes_without_faults(item, nextitem):
            found += suspects
        self.session_findings.extend(found)
        if found:
            text = "\n".join(f"{f.code} {f.site.short()}: {f.message}" for f in found)
            reports[-1].sections.append(("iolint trace findings", text))
        for report in reports:
            item.ihook.pytest_runtest_logreport(report=report)
        item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
        return True

    def _passes_without_faults(self, item: pytest.Item, nextitem: pytest.Item | None) -> bool:
        """Run the test again with no faults injected: whether it passes then."""
        from _pytest.runner import runtestprotocol

        init = getattr(item, "_initrequest", None)
        if callable(init):
            init()
        self.tracer.begin(item.nodeid, faults=False)
        try:
            reports = runtestprotocol(item, nextitem=nextitem, log=False)
        finally:
            self.tracer.end()
        return all(r.passed or r.skipped for r in reports)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, Any, None]:
        outcome = yield
        report = outcome.get_result()
        if report.failed and call.excinfo is not None:
            if self.failure is None:
                self.failure = call.excinfo.value
            note = self.tracer.annotation()
            if note:
                report.sections.append(("iolint trace: injected faults", note))

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        findings = unique(self.session_findings)
        if not findings:
            return
        terminalreporter.section("iolint trace")
        terminalreporter.write(render(findings, "concise"))
        terminalreporter.write_line(f"Found {len(findings)} I/O bug(s) at run time.")

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        findings = unique(self.session_findings)
        path = self.config.getoption("io_report")
        if path:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(render(findings, "json"))
        if not self.owned:
            bootstrap.hand_over(self.session_findings)
        if findings and session.exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def __repr__(self) -> str:  # shown by `pytest --trace-config`
        return f"<iolint trace plugin pid={os.getpid()}>"


def _crash_check(item: pytest.Item) -> Callable[[Path], Any] | None:
    marker = item.get_closest_marker("crash_consistent")
    if marker is None:
        return None
    check = marker.kwargs.get("check", marker.args[0] if marker.args else None)
    if not callable(check):
        raise pytest.UsageError(f"{item.nodeid}: crash_consistent needs check=<function>")
    return check  # type: ignore[no-any-return]
