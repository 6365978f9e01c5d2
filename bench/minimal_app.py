"""The ceiling of our stack: Falcon + psycopg under the same Gunicorn settings, no parsing or planning.

For each workload it sends exactly the statements pgrestd sends (captured by
``bench/run.py`` from pgrestd's own planner into ``BENCH_STATEMENTS``), the
same way: BEGIN, settings, statement and COMMIT pipelined in one round trip,
the body fetched as bytes.  Only the primary key varies, taken from the URL.
"""

from __future__ import annotations

import os
from typing import Any

import falcon
import orjson
import psycopg_pool
from psycopg import pq
from psycopg.adapt import Loader
from psycopg.types.json import Json, Jsonb


class _TextAsBytes(Loader):
    format = pq.Format.BINARY

    def load(self, data: Any) -> bytes:
        return bytes(data)


def _configure(conn: Any) -> None:
    # As pgrestd's executor: text and json bodies arrive as bytes.
    for name in ("text", "json", "jsonb"):
        conn.adapters.register_loader(name, _TextAsBytes)


with open(os.environ["BENCH_STATEMENTS"], "rb") as f:
    WORKLOADS = orjson.loads(f.read())

_pool: psycopg_pool.ConnectionPool | None = None


def _raw(body: bytes) -> bytes:
    return body


def pool() -> psycopg_pool.ConnectionPool:
    global _pool
    if _pool is None:
        _pool = psycopg_pool.ConnectionPool(
            os.environ["BENCH_DB_URI"], min_size=1, max_size=int(os.environ.get("BENCH_POOL", "4")),
            kwargs={"autocommit": True, "prepare_threshold": 5}, configure=_configure, open=True)
    return _pool


class Sink:
    def __call__(self, req: falcon.Request, resp: falcon.Response, **_: Any) -> None:
        w = WORKLOADS[req.path.strip("/")]
        main_params = list(w["main_params"])
        if w["body_type"] is not None:
            # The request body, bound as the one JSON parameter pgrestd binds.
            wrap = Jsonb if w["body_type"] == "jsonb" else Json
            main_params[w["key_index"]] = wrap(req.bounded_stream.read(), dumps=_raw)
        elif w["key_index"] is not None:
            # "id=eq.N": the value pgrestd would bind, without any parsing.
            main_params[w["key_index"]] = req.query_string.rpartition(".")[2]
        with pool().connection() as conn:
            with conn.pipeline():
                conn.execute(w["begin"], prepare=False)
                conn.execute(w["settings_sql"], w["settings_params"])
                cur = conn.cursor(binary=True)
                cur.execute(w["main_sql"], main_params, binary=True)
                conn.execute(w["commit"], prepare=False)
                row = cur.fetchone()
        if w["body_type"] is not None:
            resp.status = 201
            return
        resp.content_type = "application/json; charset=utf-8"
        resp.data = row[w["body_column"]]


application = falcon.App()
application.add_sink(Sink(), prefix="/")
