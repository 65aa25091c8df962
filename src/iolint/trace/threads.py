"""Work handed to a thread pool keeps the call site of the code that handed it over.

``asyncio.to_thread(os.replace, ...)`` and aiofiles run the real I/O in an executor thread,
whose stack holds no project frame: the operation would be attributed to nobody and ignored.
Wrapping ``ThreadPoolExecutor.submit`` lets the worker inherit the submitter's project site.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from iolint.trace.patching import Patcher
from iolint.trace.sites import SiteFinder


def install(patcher: Patcher, finder: SiteFinder) -> None:
    def make(orig: Callable[..., Future[Any]]) -> Callable[..., Future[Any]]:
        def submit(self: ThreadPoolExecutor, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
            site, in_test = finder.find(sys._getframe(1))
            if site is None:
                return orig(self, fn, *args, **kwargs)

            def run(*a: Any, **k: Any) -> Any:
                with finder.inheriting(site, in_test):
                    return fn(*a, **k)

            return orig(self, run, *args, **kwargs)

        submit.__wrapped__ = orig  # type: ignore[attr-defined]
        return submit

    patcher.patch(ThreadPoolExecutor, "submit", make)
