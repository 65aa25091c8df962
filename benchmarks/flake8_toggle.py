"""Run flake8 with or without the iolint plugin, everything else identical.

    python benchmarks/flake8_toggle.py --with-iolint|--without-iolint [flake8 arguments]

``--without-iolint`` drops iolint's entry point from flake8's plugin discovery, which is what
uninstalling the plugin would do; flake8 has no option for it (``--select`` only filters
reports: every installed plugin still runs on every file). Both modes start through this
script, so they pay the same start-up cost. Worker processes (``-j``) are forked and inherit
the choice.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from flake8.main import cli
from flake8.plugins import finder


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("--with-iolint", "--without-iolint"):
        print(__doc__, file=sys.stderr)
        return 2
    if argv[0] == "--without-iolint":
        discover = finder._find_importlib_plugins

        def without_iolint() -> Iterator[finder.Plugin]:
            return (p for p in discover() if p.package != "iolint")

        finder._find_importlib_plugins = without_iolint
    return cli.main(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
