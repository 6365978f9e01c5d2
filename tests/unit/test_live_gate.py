"""Which requests become live streams (pgrestd.live.gate.wants_stream): Accept's preference decides."""

from __future__ import annotations

import pytest

from pgrestd.live.gate import wants_stream


@pytest.mark.parametrize("accept, streams", [
    ("text/event-stream", True),
    ("Text/Event-Stream", True),
    ("text/event-stream, application/json", True),
    ("application/json;q=0.5, text/event-stream", True),
    ("application/json, text/event-stream", False),  # JSON is preferred: an ordinary GET
    ("text/event-stream;q=0.1, application/json", False),
    ("text/event-stream;q=0", False),
    ("application/json", False),
    (None, False),
])
def test_accept_preference_decides(accept, streams):
    headers = {} if accept is None else {"accept": accept}
    assert wants_stream("GET", headers) is streams


def test_only_get_streams():
    assert not wants_stream("POST", {"accept": "text/event-stream"})
    assert not wants_stream("HEAD", {"accept": "text/event-stream"})
