"""Writing one cache entry: the result cache and the project index share it."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_entry(path: Path, payload: bytes) -> None:
    """Put ``payload`` at ``path`` atomically (temp file in the same directory, ``os.replace``),
    so that a reader never sees half an entry; failures (full disk, permissions) are ignored.

    No fsync, on purpose: an entry lost or emptied by a power failure is only a miss (an empty
    or torn entry fails to decode and is recomputed), and syncing every entry would make warm
    runs disk-bound."""
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(payload)  # a whole-buffer write on a regular file: never short
        os.replace(tmp, path)  # noqa: IO302
        tmp = None
    except OSError:
        pass
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
