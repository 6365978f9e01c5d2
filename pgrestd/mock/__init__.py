"""``pgrestd mock``: the same API over generated data, in a scratch database that is dropped at exit."""

from __future__ import annotations

from .fill import FillReport
from .scratch import MockError
from .session import DEFAULT_ROWS, RowCounts, mock_database

__all__ = ["DEFAULT_ROWS", "FillReport", "MockError", "RowCounts", "mock_database"]
