"""The tracer: fault injection and durability recording, switched on and off per test."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from iolint.trace import crash, threads
from iolint.trace.crash import CrashPoint
from iolint.trace.durability import DurabilityRecorder
from iolint.trace.faults import Fault, FaultInjector
from iolint.trace.findings import TraceFinding
from iolint.trace.intent import IntentJudge
from iolint.trace.patching import Patcher
from iolint.trace.sites import SiteFinder

FAULT_KINDS = ("short", "eagain")


@dataclass(frozen=True)
class TraceOptions:
    faults: frozenset[str] = frozenset()
    seed: int = 0
    durability: bool = False
    strict: bool = False

    @property
    def enabled(self) -> bool:
        return bool(self.faults) or self.durability


def parse_faults(value: str) -> frozenset[str]:
    kinds = frozenset(k.strip() for k in value.split(",") if k.strip())
    unknown = kinds - set(FAULT_KINDS)
    if unknown:
        raise ValueError(
            f"unknown fault kind {sorted(unknown)[0]!r} (choose from {', '.join(FAULT_KINDS)})"
        )
    return kinds


@dataclass
class Tracer:
    options: TraceOptions
    finder: SiteFinder = field(default_factory=SiteFinder)
    injector: FaultInjector | None = None
    recorder: DurabilityRecorder | None = None
    findings: list[TraceFinding] = field(default_factory=list)
    running: bool = False
    _patcher: Patcher = field(default_factory=Patcher)

    def start(self) -> None:
        if self.running:
            return
        threads.install(self._patcher, self.finder)
        if self.options.faults:
            self.injector = FaultInjector(
                self.finder, self.options.faults, self.options.seed, self.options.strict
            )
            self.injector.install()
        if self.options.durability:
            judge = IntentJudge(strict=self.options.strict)
            self.recorder = DurabilityRecorder(self.finder, judge)
            self.recorder.install()
        self.running = True

    def stop(self) -> None:
        self._patcher.restore()
        if self.injector is not None:
            self.injector.uninstall()
        if self.recorder is not None:
            self.recorder.uninstall()
        self.running = False

    def begin(self, context: str, faults: bool = True) -> None:
        if self.injector is not None:
            self.injector.begin(context)
            self.injector.enabled = faults
        if self.recorder is not None:
            self.recorder.begin(context)

    def end(self) -> list[TraceFinding]:
        """The findings of the test that just ended (also kept for the session's report)."""
        found: list[TraceFinding] = []
        if self.injector is not None:
            found.extend(self.injector.end())
        if self.recorder is not None:
            found.extend(self.recorder.end())
        self.findings.extend(found)
        return found

    def check_crash_states(
        self, points: list[CrashPoint], check: Callable[[Path], Any], context: str
    ) -> list[TraceFinding]:
        """Findings for the crash states in which ``check`` fails; nothing is injected or
        recorded meanwhile."""
        if self.injector is not None:
            self.injector.enabled = False
        try:
            found = crash.check_states(crash.states(points), check, context)
        finally:
            if self.injector is not None:
                self.injector.enabled = True
        self.findings.extend(found)
        return found

    def faults(self) -> list[Fault]:
        return list(self.injector.faults) if self.injector is not None else []

    def annotation(self) -> str:
        """The faults injected in the current test, last first, for a failure's report."""
        faults = self.faults()
        if not faults:
            return ""
        lines = [f.describe() for f in reversed(faults[-10:])]
        more = len(faults) - 10
        head = "iolint trace injected, most recent first:"
        return "\n".join([head, *("  " + s for s in lines)] + ([f"  ... {more} more"] * (more > 0)))

    def failure_findings(self, exc: BaseException | None, context: str) -> list[TraceFinding]:
        """IO201 when the failure is a BlockingIOError iolint injected (certain by identity)."""
        if exc is None:
            return []
        chain = _chain(exc)
        out = []
        for f in self.faults():
            if f.kind == "eagain" and any(e is f.error for e in chain):
                out.append(
                    TraceFinding(
                        "IO201",
                        f"{f.call} on a non-blocking descriptor raised BlockingIOError, as it "
                        "does when no data or buffer space is ready, and nothing caught it: "
                        "handle it and wait for readiness",
                        f.site,
                        context,
                    )
                )
        return out

    def suspects(self, exc: BaseException | None, context: str) -> list[TraceFinding]:
        """IO103 candidates: the short read most likely behind a failure. They are findings
        only once a run without short reads passes (the caller reruns)."""
        if exc is None:
            return []
        reads = [f for f in self.faults() if f.kind == "short-read"]
        if not reads:
            return []
        frames = set()
        for e in _chain(exc):
            tb: TracebackType | None = e.__traceback__
            while tb is not None:
                code = tb.tb_frame.f_code
                frames.add((code.co_filename, code.co_name))
                tb = tb.tb_next
        on_stack = [f for f in reads if (f.site.path, f.site.function) in frames]
        culprit = (on_stack or reads)[-1]
        return [
            TraceFinding(
                "IO103",
                f"{culprit.call} {culprit.result} (a short read injected by iolint trace) and "
                f"the code failed with {type(exc).__name__}: {exc}; the same run without short "
                "reads passes: read in a loop until all bytes arrived",
                culprit.site,
                context,
            )
        ]


def _chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in out:
        out.append(cur)
        cur = cur.__cause__ or cur.__context__
    return out
