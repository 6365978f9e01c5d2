"""``python -m tests.reliability [--short] [--only NAME,...]`` and ``python -m tests.reliability soak``."""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import time
from pathlib import Path

from . import fuzz, scenarios, soak
from .harness import Row, Stack, table

SCENARIOS = {
    "reloads": scenarios.reloads,
    "database faults": scenarios.database_faults,
    "worker death": scenarios.worker_death,
    "pool and timeouts": scenarios.pool_limits,
    "hostile input": fuzz.hostile_input,
    "jwt attacks": scenarios.jwt_attacks,
    "bodies": scenarios.bodies,
    "slow clients": scenarios.slow_clients,
    "configuration": scenarios.configuration,
    "logs": scenarios.logs,  # last: reads the logs of every server the others started
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.reliability", description=__doc__)
    parser.add_argument("command", nargs="?", choices=("suite", "soak"), default="suite")
    parser.add_argument("--short", action="store_true", help="the version CI runs (under 5 minutes)")
    parser.add_argument("--only", help="comma-separated scenario names: " + ", ".join(SCENARIOS))
    parser.add_argument("--minutes", type=float, default=30, help="soak: how long (default 30)")
    parser.add_argument("--results", type=Path, default=Path("bench/RESULTS.md"),
                        help="soak: the file whose soak section is replaced with the figures")
    args = parser.parse_args(argv)
    # Stopped from outside (a CI timeout), the suite still stops what it started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory(prefix="pgrestd-reliability-") as tmp:
        stack = Stack(Path(tmp))
        try:
            if args.command == "soak":
                return soak.run(stack, args.minutes, args.results)
            return _suite(stack, args)
        finally:
            stack.close()


def _suite(stack: Stack, args: argparse.Namespace) -> int:
    chosen = [n.strip() for n in args.only.split(",")] if args.only else list(SCENARIOS)
    unknown = [n for n in chosen if n not in SCENARIOS]
    if unknown:
        print(f"unknown scenarios: {unknown}; known: {list(SCENARIOS)}", file=sys.stderr)
        return 2
    rows = []
    for name in chosen:
        row = Row(name)
        started = time.monotonic()
        print(f"-- {name}", flush=True)
        try:
            SCENARIOS[name](stack, row, args.short)
        except Exception as exc:  # a scenario that breaks is a failed verdict, and the rest still run
            row.check(False, f"{type(exc).__name__}: {exc}")
        row.seconds = time.monotonic() - started
        rows.append(row)
        print(table([row]).splitlines()[2], flush=True)
    print()
    print(table(rows))
    failed = [r.name for r in rows if not r.passed]
    print(f"\n{len(rows) - len(failed)} of {len(rows)} scenarios passed" + (f"; failed: {failed}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
