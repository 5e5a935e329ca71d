"""Foundation benchmarks: demo build, CSV import and paging at 100,000 submissions."""

from __future__ import annotations

import csv
import random

from common import DATA, SCALE, big_database, median_ms, report, timed

from eventrisk import demo, importexport, submissions
from eventrisk.db import open_database
from eventrisk.users import find_user


def bench_demo() -> None:
    path = DATA / "demo-bench.db"
    path.unlink(missing_ok=True)
    db = open_database(path)
    with timed("demo --events 100000 --incidents 500000 (1,500 venues)", 60):
        demo.build(db, seed=1, **SCALE)
    db.close()
    path.unlink()


def bench_import() -> None:
    path = DATA / "import-bench.db"
    path.unlink(missing_ok=True)
    db = open_database(path)
    demo.build(db, venues=200, events=50, incidents=10, seed=2)
    codes = [r[0] for r in db.execute("SELECT code FROM venues")]
    rng = random.Random(3)
    source = DATA / "submissions-10k.csv"
    with source.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["event_name", "venue_code", "promoter_name", "event_type", "start", "end",
                         "expected_attendance", "ticketing", "min_age", "alcohol",
                         "door_supervisors", "search_regime", "cctv", "performers"])
        for i in range(10_000):
            day = 1 + i % 28
            writer.writerow([f"Event {i}", rng.choice(codes), f"Promoter {i % 300}", "club_night",
                             f"2027-02-{day:02d}T22:00", f"2027-02-{day:02d}T23:30",
                             rng.randint(50, 900), "advance_only", 18, "true", 6, "wand", "true",
                             "Nova; Kestrel"])
    with timed("import a 10,000-row submissions CSV", 5):
        importexport.import_file(db, find_user(db, "admin"), "submissions", source)
    db.close()
    path.unlink()


def bench_paging() -> None:
    db = open_database(big_database())
    total = db.execute("SELECT count(*) FROM submissions").fetchone()[0]
    worst = 0.0
    for offset in (0, total // 2, total - 50):
        took = median_ms(lambda o=offset: submissions.page(db, offset=o, limit=50))
        report(f"50-row page of {total:,} submissions at offset {offset:,}", took, 0.020, "ms")
        worst = max(worst, took)


if __name__ == "__main__":
    bench_demo()
    bench_import()
    bench_paging()
