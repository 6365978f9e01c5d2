"""The reliability suite: faults, hostile input and load against real PostgreSQL and pgrestd processes.

``make reliability`` (``python -m tests.reliability``) runs every scenario and
prints one table; ``--short`` is the version CI runs; ``soak`` is the
30-minute run behind ``make soak``.
"""
