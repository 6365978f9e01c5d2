"""EXPLAIN wrapping of application/vnd.pgrst.plan and the Server-Timing value."""

from __future__ import annotations

from pgrestd.response import server_timing
from pgrestd import media as mt
from pgrestd.sql.read import explain_statement


def test_explain_text_by_default():
    assert explain_statement(mt.plan(), "SELECT 1") == "EXPLAIN (FORMAT TEXT) SELECT 1"


def test_explain_json_with_options_in_postgrest_order():
    media = mt.plan(mt.JSON, "json", ("wal", "analyze", "verbose"))
    assert explain_statement(media, "SELECT 1") == "EXPLAIN (FORMAT JSON, ANALYZE, VERBOSE, WAL) SELECT 1"


def test_plan_content_type_names_its_for_type():
    media = mt.decode_media_type('application/vnd.pgrst.plan+json; for="application/vnd.pgrst.object"; options=buffers')
    assert media.content_type_header == (
        'application/vnd.pgrst.plan+json; for="application/vnd.pgrst.object+json"; options=buffers; charset=utf-8')


def test_server_timing_in_milliseconds_with_one_decimal():
    assert server_timing([("jwt", 0.0004), ("parse", 0.0123), ("response", 1.5)]) == \
        "jwt;dur=0.4, parse;dur=12.3, response;dur=1500.0"
