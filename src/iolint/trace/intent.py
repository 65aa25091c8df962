"""Whether losing or tearing a file matters: rules.md's durability intent, judged at run time.

Tests put every file in a temporary directory, so the target's directory says nothing here;
the code and the file's name do. Evidence for: the module of the call site fsyncs something
(its authors care), the target's name is a precious kind (configuration, state, database,
journal, index, manifest, keys), or the function is a save function. Evidence against, which
wins over a save function's name: caches, logs, pid files, lock files.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from iolint.trace.sites import Site

_PRECIOUS = re.compile(
    r"(config|settings|state|journal|index|manifest|checkpoint|credential|secret|known_hosts"
    r"|\.(json|toml|ini|cfg|conf|ya?ml|db|sqlite3?|pth|key|pem)$)",
    re.IGNORECASE,
)
_EXPENDABLE = re.compile(r"(cache|\.log(\.\d+)?$|\.pid$|\.lock$|\.pyc$)", re.IGNORECASE)
_SAVE_FUNCTION = re.compile(r"^_*(save|store|persist|write|dump|commit|flush|sync|put|set)")


@dataclass
class IntentJudge:
    strict: bool = False
    _fsyncs: dict[str, bool] = field(default_factory=dict)

    def module_fsyncs(self, path: str) -> bool:
        known = self._fsyncs.get(path)
        if known is None:
            try:
                with open(path, encoding="utf-8", errors="replace") as fh:
                    text = fh.read()
            except OSError:
                text = ""
            known = "fsync" in text or "fdatasync" in text
            self._fsyncs[path] = known
        return known

    def durable(self, site: Site, target: str) -> bool:
        """Whether the save at ``site`` onto ``target`` is meant to survive a crash."""
        if self.strict:
            return True
        name = os.path.basename(target)
        code_says_cache = "cache" in site.function.lower() or "cache" in os.path.basename(site.path)
        if _EXPENDABLE.search(name) or code_says_cache:
            return False
        if self.module_fsyncs(site.path) or _PRECIOUS.search(name):
            return True
        return bool(_SAVE_FUNCTION.match(site.function))
