"""How long an officer's save waits while an import or a retention run writes the desk
(issue 31 item 6).

Real processes on one desk file (the 10k demo desk): an officer's process saves an edit every
50 ms (``bench_contention.SAVER``) while, in turn,

- `eventrisk import incidents` writes a file of 10,000 and then one of 50,000 new incidents
  (the desk's own incidents, exported with their references cleared).  An import is all or
  nothing (the interface contract), so its write is one transaction: it reads and checks the
  file first, then holds the lock for the writing alone; the figure printed is how long that
  is.
- a retention run eight years on, when every event, promoter and note is due at once (a chunk
  of ``retention.CHUNK`` records a transaction).

Prints, for each, its time, the time the import spent reading and checking (outside the
lock), and the officer's median and worst wait (opening the event and saving it).  Saves
must wait well under the busy timeout (5 s).

    python bench/bench_contention_bulk.py
"""

from __future__ import annotations

import csv
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench_contention import SAVER as SAVE_ONLY
from common import DATA, ROOT, copy_of, desk_of, report, signed_in_env

from eventrisk import importexport
from eventrisk.desk import Desk

# The officer's wait counts from opening the event (a read waits too while a big transaction
# writes its pages to the file) to the save's commit.
SAVER = SAVE_ONLY.replace("""        state = desk.assessment(sid)
        start = time.perf_counter()
""", """        start = time.perf_counter()
        state = desk.assessment(sid)
""")
assert SAVER != SAVE_ONLY

RETAIN = """
import sys, time
from datetime import timedelta
from eventrisk.desk import Desk
from eventrisk.timeutil import now_utc
desk = Desk.open(sys.argv[1])
desk.sign_in("admin", "admin-demo")
later = now_utc() + timedelta(days=8 * 366)
desk.clock = lambda: later
from eventrisk.desk.personal import ScheduleChanged
time.sleep(4.0)  # the officer's saver has written a note on each of its events once
start = time.perf_counter()
for attempt in range(20):  # the officer's saves change what is due: look again, confirm
    try:
        done = desk.apply_retention(desk.retention_review())
        break
    except ScheduleChanged:
        continue
print(f"{time.perf_counter() - start:.2f} s, {done.total} records, {len(done.entries)} runs, "
      f"{attempt + 1} confirmations")
"""


def incidents_file(desk: Path, rows: int) -> Path:
    """``rows`` new incidents: the desk's own, exported, their references cleared."""
    whole = DATA / "incidents-all.csv"
    if not whole.exists():
        d = Desk.open(desk)
        d.sign_in("admin", "admin-demo")
        d.export_file("incidents", whole)
        d.close()
    out = DATA / f"incidents-{rows}.csv"
    with whole.open(encoding="utf-8", newline="") as src, \
            out.open("w", encoding="utf-8", newline="") as dst:
        reader = csv.DictReader(src)
        assert reader.fieldnames is not None
        writer = csv.DictWriter(dst, reader.fieldnames)
        writer.writeheader()
        for n, row in enumerate(reader):
            if n >= rows:
                break
            writer.writerow({**row, "reference": ""})
    return out


def while_saving(desk: Path, label: str, command: list[str], env: dict) -> None:
    stop, out = desk.with_suffix(".stop"), desk.with_suffix(".waits.json")
    stop.unlink(missing_ok=True)
    saver = subprocess.Popen([sys.executable, "-c", SAVER, str(desk), str(stop), str(out)],
                             env=env)
    time.sleep(2.0)  # the saver is signed in and saving
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    took = time.perf_counter() - start
    stop.touch()
    saver.wait(timeout=120)
    figures = json.loads(out.read_text())
    waits = figures["waits"]
    print(f"{label}: exit {done.returncode} {done.stdout.strip()[-160:]} "
          f"{done.stderr.strip()[:200]}")
    report(f"{label}", took)
    print(f"{'saves made during it':<58} {len(waits):10d}")
    print(f"{'saves refused (busy, or the event anonymised)':<58} {len(figures['failures']):10d}")
    for failure in figures["failures"][:3]:
        print("   ", failure)
    if waits:
        report("median wait of a save", statistics.median(waits), unit="ms")
        report("worst wait of a save", max(waits), target=1.0, unit="ms")
    for path in (stop, out):
        path.unlink(missing_ok=True)


def main() -> None:
    base = desk_of("10k")
    assert base is not None
    env = {**os.environ, "PYTHONPATH": str(ROOT.parent)}
    admin = {**env, **signed_in_env("admin")}
    for rows in (10_000, 50_000):
        source = incidents_file(base, rows)
        start = time.perf_counter()
        importexport.check_file("incidents", source)
        report(f"import {rows:,}: reading and checking (outside the lock)",
               time.perf_counter() - start)
        desk = copy_of(base, "contention-bulk.db")
        while_saving(desk, f"import of {rows:,} incidents",
                     [sys.executable, "-m", "eventrisk", "--db", str(desk), "import",
                      "incidents", str(source)], admin)
        desk.unlink()
    desk = copy_of(base, "contention-bulk.db")
    while_saving(desk, "retention run, everything due",
                 [sys.executable, "-c", RETAIN, str(desk)], env)
    desk.unlink()


if __name__ == "__main__":
    main()
