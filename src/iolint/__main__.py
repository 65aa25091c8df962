"""Allow ``python -m iolint``."""

import sys

from iolint.cli import main

sys.exit(main())
