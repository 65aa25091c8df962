"""The pytest plugin (entry point ``pytest11``/``iolint``).

Inert unless an option is given: without ``--io-faults``/``--io-durability`` (or the
environment ``iolint trace`` sets) this module only adds its options; nothing is wrapped, no
audit hook is added and no per-test hook is registered.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from iolint.trace.tracer import TraceOptions

# Set by `iolint trace` for the processes it runs (see iolint.trace.bootstrap).
_COMMAND_ENV = "IOLINT_TRACE"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("iolint", "iolint trace: confirm I/O bugs at run time")
    group.addoption(
        "--io-faults",
        default=None,
        metavar="KINDS",
        help="inject I/O faults while tests run: short (partial reads and writes), eagain "
        "(BlockingIOError on non-blocking descriptors); comma separated",
    )
    group.addoption("--io-seed", type=int, default=0, metavar="N", help="seed for --io-faults")
    group.addoption(
        "--io-durability",
        action="store_true",
        default=False,
        help="record file-system operations and report saves that are not durable",
    )
    group.addoption(
        "--io-strict",
        action="store_true",
        default=False,
        help="also report saves whose durability the code does not ask for",
    )
    group.addoption(
        "--io-report", default=None, metavar="FILE", help="write the findings as iolint's JSON"
    )


def _options(config: pytest.Config) -> TraceOptions:
    from iolint.trace.tracer import TraceOptions, parse_faults

    faults = config.getoption("io_faults")
    try:
        kinds = parse_faults(faults) if faults else frozenset()
    except ValueError as exc:
        raise pytest.UsageError(f"--io-faults: {exc}") from None
    return TraceOptions(
        faults=kinds,
        seed=config.getoption("io_seed"),
        durability=config.getoption("io_durability"),
        strict=config.getoption("io_strict"),
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "crash_consistent(check): with --io-durability, call check(directory) on each crash "
        "state the test's saves allow (see iolint's docs/trace.md)",
    )
    # Inert unless asked: the tracer's modules are not even imported otherwise.
    traced_command = bool(os.environ.get(_COMMAND_ENV))
    if not traced_command and not (
        config.getoption("io_faults") or config.getoption("io_durability")
    ):
        return
    from iolint.trace import bootstrap
    from iolint.trace.session import TracePlugin
    from iolint.trace.tracer import Tracer

    options = _options(config)
    # Under `iolint trace -- pytest ...` the command's tracer is already running: use it, so
    # that its findings come per test too.
    outer = bootstrap.active_tracer()
    if outer is not None:
        config.pluginmanager.register(TracePlugin(config, outer, owned=False), "iolint-trace")
    elif options.enabled:
        config.pluginmanager.register(TracePlugin(config, Tracer(options)), "iolint-trace")
