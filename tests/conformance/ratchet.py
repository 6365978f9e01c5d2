"""Runs PostgREST's conformance suite against pgrestd and enforces the ratchet.

Every case id in ``passing.txt`` must keep passing; newly passing cases are
reported (``--update`` adds them to the list).  The list only grows.

    python tests/conformance/ratchet.py --suite ../shared/conformance [--update] [--only SPEC]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PASSING = HERE / "passing.txt"


def read_list(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [line.rstrip("\n") for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--suite", default=str(ROOT.parent / "shared" / "conformance"))
    ap.add_argument("--report", default=str(ROOT / "conformance-report.json"))
    ap.add_argument("--update", action="store_true", help="add newly passing cases to passing.txt")
    ap.add_argument("--only", action="append", default=[], help="run only these specs (passed to run.py)")
    args = ap.parse_args()

    suite = Path(args.suite)
    if not (suite / "run.py").exists():
        print(f"conformance: no suite at {suite}; nothing to check")
        return 0
    pgrestd = Path(sys.executable).with_name("pgrestd")
    cmd = [sys.executable, str(suite / "run.py"), "--server-cmd", f"{pgrestd} {{config}}",
           "--report", args.report]
    for spec in args.only:
        cmd += ["--only", spec]
    log_path = Path(args.report).with_suffix(".log")
    with open(log_path, "w") as log:
        proc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ))
    if proc.returncode == 2 or not Path(args.report).exists():
        print(f"conformance: the suite could not run (exit {proc.returncode}); see {log_path}")
        print(log_path.read_text()[-3000:])
        return 1

    report = json.loads(Path(args.report).read_text(encoding="utf-8"))
    outcome = {c["id"]: c["outcome"] for c in report["cases"]}
    reasons = {c["id"]: c.get("reason") or json.dumps(c.get("diff"))[:300] for c in report["cases"]}
    listed = read_list(PASSING)
    ran_all = not args.only
    regressed = [cid for cid in listed if outcome.get(cid, "missing" if ran_all else "not run") not in
                 ("passed", "not run")]
    passing_now = sorted(cid for cid, o in outcome.items() if o == "passed")
    new = sorted(set(passing_now) - set(listed))

    per_spec: Counter[str] = Counter()
    for c in report["cases"]:
        if c["outcome"] == "passed":
            per_spec[c["spec"]] += 1
    print("conformance cases passing per spec:")
    for spec, n in sorted(per_spec.items()):
        print(f"  {spec:<50} {n}")
    s = report["summary"]
    print(f"conformance: {s['passed']} of {s['passed'] + s['failed']} cases pass "
          f"({s['skipped']} skipped); {len(listed)} listed in passing.txt")

    if args.update and new:
        PASSING.write_text("\n".join(sorted(set(listed) | set(new))) + "\n", encoding="utf-8")
        print(f"conformance: added {len(new)} newly passing cases to {PASSING.relative_to(ROOT)}")
    elif new:
        print(f"conformance: {len(new)} passing cases are not listed yet (run with --update to add them)")
    if regressed:
        print(f"conformance: {len(regressed)} listed cases no longer pass:")
        for cid in regressed:
            print(f"  {cid}: {outcome.get(cid)} {reasons.get(cid, '')}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
