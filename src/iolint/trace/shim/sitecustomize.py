"""Put first on PYTHONPATH by ``iolint trace``: start the tracer, then run the
``sitecustomize`` this one hides, if there is one."""

import importlib.util
import os
import sys


def _start() -> None:
    if os.environ.get("IOLINT_TRACE"):
        from iolint.trace.bootstrap import start_from_env

        start_from_env()


def _chain() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    for entry in sys.path:
        if not entry or os.path.abspath(entry) == here:
            continue
        candidate = os.path.join(entry, "sitecustomize.py")
        if os.path.isfile(candidate):
            spec = importlib.util.spec_from_file_location("_iolint_hidden_sitecustomize", candidate)
            if spec is not None and spec.loader is not None:
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
            return


_start()
_chain()
