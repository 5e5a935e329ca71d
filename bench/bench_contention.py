"""How long an officer's save waits while `eventrisk score --all` rescores the desk (issue 31).

Real processes on one desk file: a supervisor runs `score --all`; meanwhile an officer's
process saves an edit to an event every 50 ms (the desk service's own save: BEGIN IMMEDIATE,
waiting up to the busy timeout for the write lock).  Prints the rescore's time, how many saves
were made, their median and worst wait, and any that failed.  A save must wait well under
the busy timeout (5 s): the rescore commits in short transactions.

    python bench/bench_contention.py [--size 10k|100k|1M] [--events N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from common import ROOT, copy_of, desk_of, report, signed_in_env

SAVER = """
import json, sqlite3, sys, time
from dataclasses import replace
from pathlib import Path
from eventrisk.desk import Desk
from eventrisk.errors import EventRiskError
path, stop, out = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
desk = Desk.open(path)
desk.sign_in("officer", "officer-demo")
refs = [r[0] for r in desk.db.execute(
    "SELECT id FROM submissions WHERE status IN ('received', 'assessed', 'returned') "
    "AND starts_at > strftime('%Y-%m-%dT%H:%M:%SZ', 'now') ORDER BY id LIMIT 50")]
waits, failures, n = [], [], 0
while not stop.exists():
    sid = refs[n % len(refs)]
    n += 1
    try:
        state = desk.assessment(sid)
        start = time.perf_counter()
        desk.save_submission(replace(state.submission, notes=f"call back {n}"))
        waits.append(time.perf_counter() - start)
    except (EventRiskError, sqlite3.Error) as exc:  # a raw "database is locked" on main
        failures.append(f"{type(exc).__name__}: {exc}")
    time.sleep(0.05)
json.dump({"waits": waits, "failures": failures}, open(out, "w"))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="10k", help="10k, 100k or 1M (built once, cached)")
    args = parser.parse_args()
    desk = copy_of(desk_of(args.size), f"contention-{args.size}.db")
    stop = desk.with_suffix(".stop")
    stop.unlink(missing_ok=True)
    out = desk.with_suffix(".waits.json")
    env = {**os.environ, "PYTHONPATH": str(ROOT.parent)}
    saver = subprocess.Popen([sys.executable, "-c", SAVER, str(desk), str(stop), str(out)],
                             env=env)
    time.sleep(2.0)  # the saver is signed in and saving
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "eventrisk", "--db", str(desk), "score",
                           "--all"], env={**env, **signed_in_env("supervisor")},
                          capture_output=True, text=True, check=False)
    took = time.perf_counter() - start
    stop.touch()
    saver.wait(timeout=120)
    figures = json.loads(out.read_text())
    waits = figures["waits"]
    print(f"score --all on the {args.size} desk: exit {done.returncode} "
          f"{done.stderr.strip()[:200]}")
    report(f"score --all ({args.size})", took)
    print(f"{'saves made during it':<58} {len(waits):10d}")
    print(f"{'saves refused (busy)':<58} {len(figures['failures']):10d}")
    for failure in figures["failures"][:3]:
        print("   ", failure)
    if waits:
        report("median wait of a save", statistics.median(waits), unit="ms")
        report("worst wait of a save", max(waits), target=1.0, unit="ms")
    for path in (desk, stop, out):
        path.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
