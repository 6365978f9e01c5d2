"""postgrest-js (npm ``@supabase/postgrest-js``) against a real pgrestd, run with node.

The cases live in js/cases.mjs; js/run.mjs runs them against the server URL it is given and prints a
JSON line per case. Each case is one pytest test here (the names are read from cases.mjs), failing with
the message the case reported. node_modules is installed with ``npm ci`` from js/package-lock.json when
it is missing or holds other versions; the tests are skipped only when node or npm cannot be found, or
the packages cannot be installed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.support import node_with_packages, tail

JS_DIR = Path(__file__).resolve().parent / "js"
CASES_FILE = JS_DIR / "cases.mjs"
DATABASE = "clients_js"
MIN_NODE = 18  # global fetch; Debian 12's nodejs is 18.20

# Cases that fail because pgrestd answers differently from PostgREST: name -> reason. Each is
# xfail(strict=True), so that fixing pgrestd makes the test fail until its entry is removed.
XFAIL: dict[str, str] = {}


def case_names() -> list[str]:
    names = re.findall(r'^test\("((?:[^"\\]|\\.)+)"', CASES_FILE.read_text(), flags=re.MULTILINE)
    assert len(names) == len(set(names)), "duplicate case names in cases.mjs"
    return names


def _params() -> list:
    return [
        pytest.param(
            name,
            id=name.replace(" ", "_"),
            marks=[pytest.mark.xfail(strict=True, reason=XFAIL[name])] if name in XFAIL else [],
        )
        for name in case_names()
    ]


@pytest.fixture(scope="module")
def js_results(demo_api_factory) -> dict[str, dict]:
    """Every case's reported line, by name, from one run of run.mjs."""
    node = node_with_packages(JS_DIR, "the postgrest-js tests", min_node=MIN_NODE)
    api = demo_api_factory(DATABASE)
    env = dict(
        os.environ,
        PGRESTD_TOKEN_ALICE=api.token("alice"),
        PGRESTD_TOKEN_BOB=api.token("bob"),
        PGRESTD_TOKEN_EXPIRED=api.token("alice", expires_in=-60),
    )
    cmd = [node, str(JS_DIR / "run.mjs"), api.url]
    try:
        done = subprocess.run(
            cmd, cwd=JS_DIR, capture_output=True, text=True, timeout=300, env=env, check=False
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{' '.join(cmd)} did not finish within 300 s:\n{exc.stdout}\n{exc.stderr}")
    results: dict[str, dict] = {}
    summary = None
    for line in done.stdout.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue  # anything else a case printed
        if isinstance(record, dict) and "case" in record:
            results[record["case"]] = record
        elif isinstance(record, dict) and "summary" in record:
            summary = record["summary"]
    if summary is None:
        pytest.fail(
            f"{' '.join(cmd)} exited {done.returncode} without its summary line:\n"
            f"{tail(done.stdout, 40)}\n{tail(done.stderr, 40)}"
        )
    return results


def test_every_case_is_collected(js_results):
    assert sorted(js_results) == sorted(case_names())


@pytest.mark.parametrize("case", _params())
def test_postgrest_js(js_results, case):
    result = js_results.get(case)
    if result is None:
        pytest.fail(f"case {case!r} reported nothing")
    if not result["ok"]:
        pytest.fail(f"postgrest-js case {case!r} failed:\n{result['message']}", pytrace=False)
