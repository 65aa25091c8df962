"""Starting the tracer inside a traced command (``iolint trace -- CMD``).

The command runs with ``shim/`` first on ``PYTHONPATH``: its ``sitecustomize`` calls
:func:`start_from_env`, which reads the options from ``IOLINT_TRACE`` (JSON), traces the whole
process and, at exit, writes what it found to ``<out>/<pid>.json`` for ``iolint trace`` to
read. Child Python processes inherit the variable and report on their own.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import threading
from typing import Any

from iolint.trace.findings import TraceFinding
from iolint.trace.tracer import TraceOptions, Tracer

ENV = "IOLINT_TRACE"
COMMAND_CONTEXT = "the traced command"

# The one tracer of a traced process, handed from sitecustomize to the pytest plugin when the
# command is a pytest run. A process has one interpreter and so at most one such tracer.
_ACTIVE: list[Tracer] = []


def active_tracer() -> Tracer | None:
    return _ACTIVE[0] if _ACTIVE else None


def hand_over(findings: list[TraceFinding]) -> None:
    """Findings made outside the tracer's own bookkeeping (failure analysis per test)."""
    if _ACTIVE:
        _ACTIVE[0].findings.extend(findings)


def start_from_env() -> None:
    raw = os.environ.get(ENV)
    if not raw or _ACTIVE:
        return
    config = json.loads(raw)
    options = TraceOptions(
        faults=frozenset(config.get("faults", ())),
        seed=int(config.get("seed", 0)),
        durability=bool(config.get("durability", False)),
        strict=bool(config.get("strict", False)),
    )
    tracer = Tracer(options)
    tracer.start()
    tracer.begin(COMMAND_CONTEXT)
    _ACTIVE.append(tracer)
    failure: list[BaseException] = []
    _watch_uncaught(failure)
    atexit.register(_finish, tracer, str(config["out"]), failure)


def _watch_uncaught(failure: list[BaseException]) -> None:
    previous = sys.excepthook

    def excepthook(kind: Any, value: BaseException, tb: Any) -> None:
        failure.append(value)
        previous(kind, value, tb)

    sys.excepthook = excepthook
    previous_thread = threading.excepthook

    def thread_excepthook(args: Any) -> None:
        if args.exc_value is not None:
            failure.append(args.exc_value)
        previous_thread(args)

    threading.excepthook = thread_excepthook


def _finish(tracer: Tracer, out: str, failure: list[BaseException]) -> None:
    exc = failure[0] if failure else None
    tracer.end()
    findings = tracer.findings + tracer.failure_findings(exc, COMMAND_CONTEXT)
    suspects = tracer.suspects(exc, COMMAND_CONTEXT)
    tracer.stop()
    payload = {
        "findings": [f.to_json() for f in findings],
        "suspects": [f.to_json() for f in suspects],
        "failed": exc is not None,
    }
    # Read by the parent once every process has exited; a process killed while writing leaves
    # a torn file, which the parent skips.
    with open(os.path.join(out, f"{os.getpid()}.json"), "x", encoding="utf-8") as fh:
        json.dump(payload, fh)
