"""iolint: a static analyzer for I/O misuse in Python code."""

__version__ = "0.1.0"
