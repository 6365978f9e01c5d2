"""The pipeline's worker-level state: one connection pool per worker, however many threads ask at once."""

from __future__ import annotations

import threading
import time

from pgrestd import pipeline
from pgrestd.config import config_from_mapping
from pgrestd.state import ProcessState


class _SlowPool:
    """Stands in for the Executor: opening a pool takes a while, as connecting does."""

    made = 0

    def __init__(self, *args: object, **kwargs: object) -> None:
        time.sleep(0.05)
        type(self).made += 1


def test_concurrent_first_requests_open_one_pool(monkeypatch):
    monkeypatch.setattr(pipeline, "Executor", _SlowPool)
    config = config_from_mapping({"db-uri": "postgresql://x@127.0.0.1:1/x", "db-anon-role": "anon",
                                  "server-worker-class": "gthread", "server-threads": 4})
    pipe = pipeline.Pipeline(config, ProcessState(), workers=1)
    start = threading.Barrier(4)
    seen = []

    def first_request() -> None:
        start.wait()
        seen.append(pipe.executor)

    threads = [threading.Thread(target=first_request) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert _SlowPool.made == 1
    assert len({id(executor) for executor in seen}) == 1
