"""Live endpoints: a GET with ``Accept: text/event-stream`` becomes a Server-Sent Events stream of changes.

The parts, by the process they run in:

- :mod:`.subscription` (worker): what a stream asks for, planned as the GET it streams, as data.
- :mod:`.gate` (worker): authenticate and plan like a GET, then hand the client's socket over.
- :mod:`.handoff`: the socket and the subscription, from a worker to the stream process.
- :mod:`.stream` (the stream process): every stream in one selectors loop.
- :mod:`.changes` (the stream process): LISTEN, the snapshots, the change log, the reads as each role.
- :mod:`.sse`: the wire format.
- :mod:`.supervisor` (master): starts, restarts and stops the stream process.

Changes come from the capture of ``conf/live.sql``: keys in ``pgrestd_live.changes``, a NOTIFY per
transaction. README, "Live endpoints", says what a client sees.
"""

from __future__ import annotations

__all__: list[str] = []
