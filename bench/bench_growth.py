"""How cost grows with the desk (issue 18), at 10k, 100k and 1M events (5 incidents each).

For each size: building the demo desk (time and peak memory, in a child process), opening
the busiest and a typical assessment with the what-if ready, ``score --all`` and the same again
with nothing changed (time and peak memory, the command in a fresh process), and importing
100,000 incidents from a CSV file against the full-schema floor (sqlite-utils ``insert_all`` of
the same rows into a copy of the same desk: every index and trigger in place).  At 100k the
500,000-incident import is measured against its floor too.

The growth column is 1M ÷ 100k; the data grows 10×, so anything above 10 is flagged.
The 1M desk takes about ten minutes to build: it is built only with EVENTRISK_BENCH_1M=1
(then kept in ``bench/.data``)."""

from __future__ import annotations

import csv
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import DATA, PEAK_KB, ROOT, build_figures, desk_of, signed_in_env
from sqlite_utils import Database

from eventrisk.desk import Desk
from eventrisk.timeutil import to_db, to_file

SIZES = ("10k", "100k", "1M")


def open_ms(desk: Desk, venue_sql: str) -> float:
    sid = desk.db.execute(f"SELECT max(id) FROM submissions WHERE venue_id = ({venue_sql}) "
                          "AND status != 'cancelled'").fetchone()[0]
    times = []
    for _ in range(7):
        start = time.perf_counter()
        desk.assessment(sid)
        desk.what_if(sid)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def opening(path: Path) -> tuple[float, float]:
    desk = Desk.open(path)
    desk.sign_in("supervisor", "supervisor-demo")
    busiest = ("SELECT venue_id FROM incidents GROUP BY venue_id ORDER BY count(*) DESC "
               "LIMIT 1")
    typical = ("SELECT venue_id FROM submissions GROUP BY venue_id ORDER BY count(*) "
               "LIMIT 1 OFFSET (SELECT count(*) / 2 FROM venues)")
    try:
        return open_ms(desk, busiest), open_ms(desk, typical)
    finally:
        desk.close()


def run_measured(command: list[str]) -> tuple[float, str]:
    """Wall time and output of a command in its own process."""
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT.parent,
                          env=signed_in_env())
    if done.returncode:
        raise RuntimeError(f"{command} failed: {done.stderr.strip()[-400:]}")
    return time.perf_counter() - start, done.stdout.strip()


def scoring(path: Path) -> tuple[float, float, float]:
    """score --all on a copy: full time, peak MB, and the again ÷ full ratio."""
    copy = DATA / f"score-{path.name}"
    shutil.copy(path, copy)
    # The larger of the two processes' peaks: the writing one's own (PEAK_KB), and the
    # worker's, which prepares the other share (a child it has waited for by the time it
    # prints; its ru_maxrss is at least the writer's size when it started, never more than
    # the writer's own peak, so the larger of the two is right).
    command = [sys.executable, "-c", "import resource, sys; from eventrisk.cli import main\n"
               + PEAK_KB + "code = main(sys.argv[1:])\n"
               "print('peak', max(peak_kb(), "
               "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
               "sys.exit(code)", "--db", str(copy), "score", "--all"]
    try:
        full, out = run_measured(command)
        peak_mb = int(out.rsplit("peak", 1)[1]) / 1024
        again, _ = run_measured(command)
    finally:
        copy.unlink(missing_ok=True)
    return full, peak_mb, again / full


def incidents_csv(path: Path, count: int, seed: int = 5) -> tuple[Path, list[tuple]]:
    """A CSV of ``count`` incidents at the desk's venues, and the same rows as the floor
    would insert them."""
    db = Database(path)
    codes = db.execute("SELECT id, code FROM venues").fetchall()
    db.close()
    rng = random.Random(seed)
    source = DATA / f"incidents-{count}.csv"
    rows = []
    base = datetime(2024, 1, 1, 22, tzinfo=UTC)
    with source.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["reference", "venue_code", "occurred_at", "category", "severity",
                         "location", "crime_reference", "description", "venue_reported"])
        for i in range(count):
            venue_id, code = rng.choice(codes)
            when = base + timedelta(minutes=rng.randint(0, 60 * 24 * 700))
            category = rng.choice(("knife", "disorder", "violence_with_injury"))
            severity, location = rng.randint(1, 3), rng.choice(("inside", "door"))
            ref = f"BENCH-{i:07d}"
            writer.writerow([ref, code, to_file(when), category, severity, location,
                             f"CAD{i}", "Fight in the queue", "false"])
            rows.append({"reference": ref, "venue_id": venue_id, "occurred_at": to_db(when),
                         "category": category, "severity": severity, "location": location,
                         "crime_reference": f"CAD{i}", "description": "Fight in the queue",
                         "venue_reported": 0, "created_at": to_db(when), "created_by": "bench",
                         "updated_at": to_db(when), "updated_by": "bench"})
    return source, rows


def importing(path: Path, count: int) -> tuple[float, float]:
    """The import command's time and the floor's, each on its own copy of the desk."""
    source, rows = incidents_csv(path, count)
    copy = DATA / f"import-{path.name}"
    try:
        shutil.copy(path, copy)
        start = time.perf_counter()
        db = Database(copy)
        with db.conn:
            db["incidents"].insert_all(rows, batch_size=10_000)
        floor = time.perf_counter() - start
        db.close()
        shutil.copy(path, copy)
        took, _ = run_measured([sys.executable, "-m", "eventrisk", "--db", str(copy),
                                   "import", "incidents", str(source)])
    finally:
        copy.unlink(missing_ok=True)
        source.unlink(missing_ok=True)
    return took, floor


def main() -> None:
    built = os.environ.get("EVENTRISK_BENCH_1M")
    figures: dict[str, dict[str, float]] = {}
    for size in SIZES:
        path = desk_of(size, build=size != "1M" or bool(built))
        if path is None:
            print(f"{size}: not built (EVENTRISK_BENCH_1M=1 builds it once, in about 10 min)")
            continue
        row: dict[str, float] = {}
        made = build_figures(size)
        if made:
            row["demo build (s)"] = made["seconds"]
            row["demo build peak (MB)"] = made["peak_mb"]
        row["open busiest assessment (ms)"], row["open typical assessment (ms)"] = \
            opening(path)
        full, peak, ratio = scoring(path)
        row["score --all (s)"], row["score --all peak (MB)"] = full, peak
        row["score --all again ÷ full"] = ratio
        took, floor = importing(path, 100_000)
        row["import 100k incidents (s)"], row["  ÷ insert_all floor"] = took, took / floor
        if size == "100k":
            took, floor = importing(path, 500_000)
            row["import 500k incidents (s)"], row["  500k ÷ insert_all floor"] = \
                took, took / floor
        figures[size] = row
        print(f"{size}: " + ", ".join(f"{k} {v:.2f}" for k, v in row.items()), flush=True)
    labels = list(dict.fromkeys(k for row in figures.values() for k in row))
    print(f"\n{'':<34}" + "".join(f"{s:>10}" for s in SIZES) + f"{'growth':>10}")
    for label in labels:
        cells = [figures.get(s, {}).get(label) for s in SIZES]
        text = "".join(f"{c:10.2f}" if c is not None else f"{'-':>10}" for c in cells)
        growth = ""
        if cells[1] and cells[2]:
            g = cells[2] / cells[1]
            growth = f"{g:9.2f}x" + ("  FASTER THAN THE DATA" if g > 10 else "")
        print(f"{label:<34}{text}{growth}")
    print("targets: open ≤ 150 ms; again ÷ full ≤ 0.20; import ÷ floor ≤ 3; demo 100k ≤ 60 s, "
          "1M ≤ 600 s in bounded memory")


if __name__ == "__main__":
    main()
