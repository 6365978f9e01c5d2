"""Process-wide state shared from the Gunicorn master to its workers by fork.

The master sets the configuration and the catalog snapshot before it forks;
workers inherit them copy-on-write.  ``database_up`` lives in an anonymous
shared memory page so that the master's connection watcher can tell every
worker, old or new, whether PostgreSQL is reachable, and that it came back.
"""

from __future__ import annotations

import mmap
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .catalog import Catalog
    from .config import Config

__all__ = ["STATE", "ProcessState"]


class ProcessState:
    __slots__ = ("config", "catalog", "catalog_error", "_flags")

    def __init__(self) -> None:
        self.config: Config | None = None
        self.catalog: Catalog | None = None
        self.catalog_error: str | None = None
        # One shared byte: 1 while the database answers, 0 while it does not.
        self._flags = mmap.mmap(-1, mmap.PAGESIZE, flags=mmap.MAP_SHARED | mmap.MAP_ANONYMOUS)
        self._flags[0] = 1

    @property
    def database_up(self) -> bool:
        return self._flags[0] == 1

    @database_up.setter
    def database_up(self, up: bool) -> None:
        self._flags[0] = 1 if up else 0

    @property
    def database_epoch(self) -> int:
        """Counts (modulo 256) the database's returns: a worker that sees it change checks its pool."""
        return self._flags[1]

    def database_returned(self) -> None:
        self._flags[1] = (self._flags[1] + 1) % 256


STATE = ProcessState()
