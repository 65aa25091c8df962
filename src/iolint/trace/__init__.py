"""``iolint trace``: confirm I/O bugs at run time, in the project's own tests or any command.

Nothing in this package runs, wraps or hooks anything on import: the pytest plugin and the
command switch a :class:`~iolint.trace.tracer.Tracer` on only when asked to.
"""
