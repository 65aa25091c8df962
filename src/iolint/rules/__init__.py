"""Rule families. Every module here that defines :class:`~iolint.rules.base.Rule` subclasses
with a ``code`` is picked up by :mod:`iolint.registry`; adding a rule touches nothing else."""
