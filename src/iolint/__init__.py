"""iolint: a static analyzer for I/O misuse in Python code.

PYTEST_DONT_REWRITE: ``iolint trace -- pytest`` imports iolint before pytest starts; pytest
would warn that it cannot rewrite the asserts of its ``pytest11`` plugin's package.
"""

__version__ = "0.1.0"
