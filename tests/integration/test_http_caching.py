"""ETags, conditional requests and Link headers (server-etag-enabled, server-link-headers-enabled).

Over HTTP against a real pgrestd on its own copy of the demo database: GET and HEAD carry a strong
ETag, If-None-Match gives 304, If-Match and If-None-Match on PATCH, PUT and DELETE hold the write
to the representation a GET of the same URL returns (412 otherwise, nothing written), two writers
holding the same ETag cannot both win, and reads link their pages and related relations.
"""

from __future__ import annotations

import threading
import time

import jwt
import psycopg
import pytest
import requests

from tests.support import DEMO_SQL

DATABASE = "http_caching"


@pytest.fixture(scope="module")
def api(pgrestd_server_factory, demo_settings):
    settings = {k: v for k, v in demo_settings.items() if k != "db-uri"}
    settings.update({"server-etag-enabled": True, "server-link-headers-enabled": True, "server-workers": 3})
    return pgrestd_server_factory(DEMO_SQL, settings, database=DATABASE, user="authenticator",
                                  password="authenticator")


@pytest.fixture(scope="module")
def auth(demo_settings) -> dict[str, str]:
    token = jwt.encode({"role": "web_user", "sub": "alice", "exp": int(time.time()) + 3600},
                       str(demo_settings["jwt-secret"]), algorithm="HS256")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture()
def sql(cluster):
    def run(query: str, params: tuple | None = None) -> list[tuple]:
        with psycopg.connect(cluster.uri(dbname=DATABASE), autocommit=True) as conn:
            cur = conn.execute(query, params)
            return cur.fetchall() if cur.description else []
    return run


def etag_of(api, path: str, **headers: str) -> str:
    r = requests.get(api.url + path, headers=headers)
    assert r.status_code == 200, r.text
    return r.headers["ETag"]


# -- ETag and If-None-Match ---------------------------------------------------------------


def test_get_carries_a_strong_etag_that_follows_the_body(api):
    first = requests.get(api.url + "/films?select=id,title&order=id")
    again = requests.get(api.url + "/films?select=id,title&order=id")
    assert first.status_code == 200
    tag = first.headers["ETag"]
    assert tag.startswith('"') and tag.endswith('"') and not tag.startswith("W/")
    assert again.headers["ETag"] == tag
    assert requests.get(api.url + "/films?select=id,title&order=id.desc").headers["ETag"] != tag
    csv = requests.get(api.url + "/films?select=id,title&order=id", headers={"Accept": "text/csv"})
    assert csv.headers["ETag"] != tag  # another media type is another representation


def test_vary_names_every_header_that_changes_the_body(api):
    vary = {v.strip() for v in requests.get(api.url + "/films?limit=1").headers["Vary"].split(",")}
    assert {"Accept", "Prefer", "Range", "Accept-Profile", "Authorization"} <= vary


def test_head_has_the_get_etag_and_no_body(api):
    get = requests.get(api.url + "/directors?order=id")
    head = requests.head(api.url + "/directors?order=id")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["ETag"] == get.headers["ETag"]
    assert int(head.headers["Content-Length"]) == len(get.content)


@pytest.mark.parametrize("form", ["{tag}", 'W/{tag}', '"other", {tag}', "*"])
def test_if_none_match_gives_304(api, form):
    path = "/films?select=title&order=id&limit=3"
    ok = requests.get(api.url + path)
    tag = ok.headers["ETag"]
    r = requests.get(api.url + path, headers={"If-None-Match": form.format(tag=tag)})
    assert r.status_code == 304
    assert r.content == b""
    assert r.headers["ETag"] == tag
    assert r.headers["Vary"] == ok.headers["Vary"]
    assert "Content-Type" not in r.headers and "Content-Range" not in r.headers


def test_if_none_match_with_another_tag_is_served(api):
    r = requests.get(api.url + "/films?select=title&limit=1", headers={"If-None-Match": '"nope", W/"x"'})
    assert r.status_code == 200 and r.json()


def test_rpc_and_root_have_etags(api):
    call = requests.get(api.url + "/rpc/films_by_year?year=1999")
    assert call.status_code == 200 and call.headers["ETag"]
    assert requests.get(api.url + "/rpc/films_by_year?year=1999",
                        headers={"If-None-Match": call.headers["ETag"]}).status_code == 304
    root = requests.get(api.url + "/")
    assert requests.get(api.url + "/", headers={"If-None-Match": root.headers["ETag"]}).status_code == 304


def test_if_match_on_get_that_fails_is_412(api):
    r = requests.get(api.url + "/films?limit=1", headers={"If-Match": '"stale"'})
    assert r.status_code == 412
    assert r.json()["code"] == "PGRST412"


def test_a_write_changes_the_etag(api, auth, sql):
    path = "/actors?id=eq.1"
    tag = etag_of(api, path)
    r = requests.patch(api.url + path, json={"born": "1967-10-06"}, headers=auth)
    assert r.status_code == 204, r.text
    assert requests.get(api.url + path, headers={"If-None-Match": tag}).status_code == 200
    sql("UPDATE api.actors SET born = '1967-10-05' WHERE id = 1")


def test_errors_are_not_conditional(api):
    r = requests.get(api.url + "/nope", headers={"If-None-Match": "*"})
    assert r.status_code == 404 and "ETag" not in r.headers


# -- conditional writes -----------------------------------------------------------------------


def test_patch_with_the_current_etag_writes(api, auth, sql):
    path = "/actors?id=eq.2&select=id,name"
    tag = etag_of(api, path)
    r = requests.patch(api.url + path, json={"name": "Carrie-Anne Moss (I)"},
                       headers={**auth, "If-Match": tag, "Prefer": "return=representation"})
    assert r.status_code == 200, r.text
    assert r.json() == [{"id": 2, "name": "Carrie-Anne Moss (I)"}]
    # The old tag is stale now: nothing is written and the answer is 412.
    stale = requests.patch(api.url + path, json={"name": "Someone Else"}, headers={**auth, "If-Match": tag})
    assert stale.status_code == 412
    assert stale.json()["code"] == "PGRST412"
    assert sql("SELECT name FROM api.actors WHERE id = 2") == [("Carrie-Anne Moss (I)",)]
    sql("UPDATE api.actors SET name = 'Carrie-Anne Moss' WHERE id = 2")


def test_etag_of_another_select_or_media_type_does_not_match(api, auth, sql):
    tag = etag_of(api, "/actors?id=eq.3&select=name")
    r = requests.patch(api.url + "/actors?id=eq.3&select=id,name", json={"born": "1974-11-12"},
                       headers={**auth, "If-Match": tag})
    assert r.status_code == 412
    csv_tag = etag_of(api, "/actors?id=eq.3", Accept="text/csv")
    r = requests.patch(api.url + "/actors?id=eq.3", json={"born": "1974-11-12"}, headers={**auth, "If-Match": csv_tag})
    assert r.status_code == 412
    assert sql("SELECT born::text FROM api.actors WHERE id = 3") == [("1974-11-11",)]


def test_weak_tags_never_match_if_match(api, auth):
    tag = etag_of(api, "/actors?id=eq.3")
    r = requests.delete(api.url + "/actors?id=eq.3", headers={**auth, "If-Match": "W/" + tag})
    assert r.status_code == 412


def test_delete_with_a_stale_etag_deletes_nothing(api, auth, sql):
    sql("INSERT INTO api.actors (id, name) VALUES (900, 'Delete Me') ON CONFLICT DO NOTHING")
    path = "/actors?id=eq.900"
    tag = etag_of(api, path)
    sql("UPDATE api.actors SET born = '2000-01-01' WHERE id = 900")
    r = requests.delete(api.url + path, headers={**auth, "If-Match": tag})
    assert r.status_code == 412
    assert sql("SELECT count(*) FROM api.actors WHERE id = 900") == [(1,)]
    r = requests.delete(api.url + path, headers={**auth, "If-Match": etag_of(api, path)})
    assert r.status_code == 204
    assert sql("SELECT count(*) FROM api.actors WHERE id = 900") == [(0,)]


def test_star_conditions_on_put(api, auth, sql):
    path = "/actors?id=eq.901"
    row = {"id": 901, "name": "Created Once", "born": None}
    assert requests.put(api.url + path, json=row, headers={**auth, "If-Match": "*"}).status_code == 412
    assert sql("SELECT count(*) FROM api.actors WHERE id = 901") == [(0,)]
    created = requests.put(api.url + path, json=row, headers={**auth, "If-None-Match": "*"})
    assert created.status_code in (200, 201, 204), created.text
    again = requests.put(api.url + path, json={**row, "name": "Created Twice"}, headers={**auth, "If-None-Match": "*"})
    assert again.status_code == 412
    updated = requests.put(api.url + path, json={**row, "name": "Updated"}, headers={**auth, "If-Match": "*"})
    assert updated.status_code in (200, 204), updated.text
    assert sql("SELECT name FROM api.actors WHERE id = 901") == [("Updated",)]
    sql("DELETE FROM api.actors WHERE id = 901")


def test_without_conditions_writes_are_unchanged(api, auth, sql):
    r = requests.patch(api.url + "/actors?id=eq.4", json={"born": "1950-01-01"}, headers=auth)
    assert r.status_code == 204
    sql("UPDATE api.actors SET born = (SELECT born FROM api.actors WHERE id = 4) WHERE id = 4")


def test_two_writers_with_the_same_etag_one_wins(api, auth, sql):
    """Both read the same ETag; the writes overlap (a trigger holds the first one in the database),
    and exactly one gets through: the other gets 412 and its change is nowhere."""
    sql("""
        CREATE OR REPLACE FUNCTION api.slow_update() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_sleep(1); RETURN NEW; END $$;
        CREATE TRIGGER slow_update BEFORE UPDATE ON api.actors FOR EACH ROW
            WHEN (NEW.name LIKE 'Writer %') EXECUTE FUNCTION api.slow_update();
    """)
    try:
        path = "/actors?id=eq.5&select=id,name"
        tag = etag_of(api, path)
        results: dict[str, requests.Response] = {}
        start = threading.Barrier(2)

        def write(name: str) -> None:
            start.wait()
            results[name] = requests.patch(api.url + path, json={"name": name}, headers={**auth, "If-Match": tag})

        writers = [threading.Thread(target=write, args=(f"Writer {n}",)) for n in "AB"]
        for t in writers:
            t.start()
        for t in writers:
            t.join(30)
        statuses = sorted(r.status_code for r in results.values())
        assert statuses == [204, 412], {n: (r.status_code, r.text) for n, r in results.items()}
        winner = next(n for n, r in results.items() if r.status_code == 204)
        assert sql("SELECT name FROM api.actors WHERE id = 5") == [(winner,)]
        loser = next(r for r in results.values() if r.status_code == 412)
        assert loser.json()["code"] == "PGRST412"
        # Both passed the check on the same snapshot; the second write met the first's row (40001).
        assert loser.json()["details"] == "The representation changed while the write was checked"
    finally:
        sql("DROP TRIGGER slow_update ON api.actors; DROP FUNCTION api.slow_update()")


# -- Link headers -----------------------------------------------------------------------------------


def test_pages_are_linked(api):
    r = requests.get(api.url + "/films?select=id&order=id&limit=2&offset=2", headers={"Prefer": "count=exact"})
    assert r.status_code == 206
    total = int(r.headers["Content-Range"].split("/")[1])
    links = r.links
    assert links["first"]["url"] == "/films?select=id&order=id&limit=2&offset=0"
    assert links["prev"]["url"] == "/films?select=id&order=id&limit=2&offset=0"
    assert links["next"]["url"] == "/films?select=id&order=id&limit=2&offset=4"
    assert links["last"]["url"] == f"/films?select=id&order=id&limit=2&offset={(total - 1) // 2 * 2}"
    # Following them walks every row exactly once.
    seen, url = [], links["first"]["url"]
    while url:
        page = requests.get(api.url + url)
        seen += [row["id"] for row in page.json()]
        url = page.links.get("next", {}).get("url")
    assert seen == sorted(seen) and len(seen) == total


def test_without_a_total_next_follows_a_full_page(api):
    r = requests.get(api.url + "/films?select=id&order=id&limit=3")
    assert set(r.links) >= {"first", "next"} and "last" not in r.links and "prev" not in r.links
    last = requests.get(api.url + "/films?select=id&order=id&limit=3&offset=1000")
    assert "next" not in last.links


def test_range_header_pages_link_with_limit_and_offset(api):
    r = requests.get(api.url + "/directors?select=id&order=id", headers={"Range": "2-3"})
    assert r.links["prev"]["url"] == "/directors?select=id&order=id&limit=2&offset=0"


def test_related_relations_are_linked(api):
    r = requests.get(api.url + "/films?select=id&limit=1")
    related = {title: link for title, link in _related(r).items()}
    assert related["directors"]["url"] == "/directors"
    assert related["directors"]["cardinality"] == "to-one"
    assert related["roles"]["cardinality"] == "to-many"
    assert "actors" in related  # many-to-many through roles


def test_rpc_pages_are_linked(api):
    r = requests.get(api.url + "/rpc/films_by_year?year=1999&limit=1&order=id")
    assert r.status_code == 200
    assert "first" in r.links


def test_features_off_send_neither(demo_server):
    r = requests.get(demo_server.url + "/films?limit=2", headers={"If-None-Match": "*"})
    assert r.status_code == 200
    assert "ETag" not in r.headers and "Link" not in r.headers
    assert r.headers["Vary"] == "Accept, Prefer, Range"


def _related(response: requests.Response) -> dict[str, dict[str, str]]:
    """The rel="related" members of the Link header, by title (requests keys links by rel only)."""
    found = {}
    for part in requests.utils.parse_header_links(response.headers["Link"]):
        if part.get("rel") == "related":
            found[part["title"]] = part
    return found
