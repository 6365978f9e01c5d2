"""``make soak``: half the measured throughput for 30 minutes; errors and memory growth after warm-up."""

from __future__ import annotations

import re
import time
from pathlib import Path

from .harness import Load, Row, Stack, rss_kib, table, workers

_BEGIN, _END = "<!-- soak: begin -->", "<!-- soak: end -->"


def run(stack: Stack, minutes: float, results: Path) -> int:
    server = stack.server()
    with Load(server.url, threads=6) as probe:
        time.sleep(20)
    capacity = probe.sent / 20
    rate = capacity / 2
    duration = minutes * 60
    warm_up = min(300.0, duration / 6)
    assert server.proc is not None
    pids = [server.proc.pid, *sorted(workers(server))]
    samples: list[tuple[float, dict[int, int]]] = []
    row = Row(f"soak {minutes:g} min")
    started = time.monotonic()
    with Load(server.url, threads=6, rate=rate) as load:
        load.keep_timeline = False
        while time.monotonic() - started < duration:
            time.sleep(min(30.0, max(0.0, duration - (time.monotonic() - started))))
            samples.append((time.monotonic() - started, {pid: rss_kib(pid) for pid in pids if Path(f"/proc/{pid}").exists()}))
    elapsed = time.monotonic() - started
    base = next(s for t, s in samples if t >= warm_up)
    end = samples[-1][1]
    growth = {pid: (end.get(pid, 0) - base[pid]) / base[pid] * 100 for pid in base}
    row.sent, row.failures = load.sent, load.failures
    row.seconds = elapsed
    row.check(not load.failures, f"failed: {dict(load.failures)} e.g. {load.examples}")
    row.check(sorted(workers(server)) == pids[1:], "a worker was replaced during the soak")
    row.check(all(g < 5 for g in growth.values()), f"RSS growth over 5 %: {growth}")
    row.timings += [f"{load.sent / elapsed:.0f} req/s of {capacity:.0f} measured",
                    f"slowest {load.slowest:.2f}s"]
    lines = ["| process | RSS after warm-up (MiB) | RSS at the end (MiB) | growth |", "|---|---|---|---|"]
    for pid in base:
        what = "master" if pid == pids[0] else f"worker {pid}"
        lines.append(f"| {what} | {base[pid] / 1024:.1f} | {end.get(pid, 0) / 1024:.1f} | {growth[pid]:+.2f} % |")
    report = "\n".join([
        f"Soak ({time.strftime('%Y-%m-%d')}, `make soak`): {minutes:g} minutes at half the measured throughput "
        f"({load.sent / elapsed:.0f} of {capacity:.0f} req/s; reads, a function call and authenticated inserts), "
        f"3 sync workers; warm-up {warm_up / 60:.0f} min.", "",
        table([row]), "", *lines])
    print(report)
    _record(results, report)
    return 0 if row.passed else 1


def _record(results: Path, report: str) -> None:
    text = results.read_text() if results.exists() else ""
    section = f"{_BEGIN}\n## Soak\n\n{report}\n{_END}"
    if _BEGIN in text:
        text = re.sub(re.escape(_BEGIN) + ".*?" + re.escape(_END), lambda _: section, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    results.write_text(text)
