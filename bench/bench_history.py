"""History costs by desk size: opening an assessment (read model and what-if ready) at the
busiest and at a typical venue, at 10k, 100k and (when built) 1M events, with a growth column
(1M ÷ 100k).  The 1M desk (5M incidents) is built once on request, as it takes about 11
minutes: ``EVENTRISK_BENCH_1M=1 python bench_history.py``."""

from __future__ import annotations

import os
import statistics
import time

from common import DATA, big_database

from eventrisk.desk import Desk

SIZES = {"10k": dict(venues=150, events=10_000, incidents=50_000),
         "1M": dict(venues=15_000, events=1_000_000, incidents=5_000_000)}


def desk_of(size: str):
    if size == "100k":
        return big_database()
    path = DATA / f"big-{size.lower()}.db"
    if not path.exists():
        if size == "1M" and not os.environ.get("EVENTRISK_BENCH_1M"):
            return None
        scratch = path.with_suffix(".tmp")
        scratch.unlink(missing_ok=True)
        desk = Desk.open(scratch, create=True)
        desk.build_demo(seed=1, **SIZES[size])
        desk.close()
        scratch.rename(path)
    return path


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


def main() -> None:
    rows = {}
    for size in ("10k", "100k", "1M"):
        path = desk_of(size)
        if path is None:
            print(f"{size}: not built (set EVENTRISK_BENCH_1M=1 to build it once)")
            continue
        desk = Desk.open(path)
        desk.sign_in("supervisor", "supervisor-demo")
        busiest = ("SELECT venue_id FROM incidents GROUP BY venue_id ORDER BY count(*) DESC "
                   "LIMIT 1")
        typical = ("SELECT venue_id FROM submissions GROUP BY venue_id ORDER BY count(*) "
                   "LIMIT 1 OFFSET (SELECT count(*) / 2 FROM venues)")
        rows[size] = (open_ms(desk, busiest), open_ms(desk, typical))
        desk.close()
    print(f"{'open an assessment, what-if ready':<40}{'10k':>10}{'100k':>10}{'1M':>10}"
          f"{'growth':>10}   target")
    for i, label in enumerate(("busiest venue", "typical venue")):
        cells = [f"{rows[s][i]:8.0f}ms" if s in rows else f"{'-':>10}" for s in
                 ("10k", "100k", "1M")]
        growth = (f"{rows['1M'][i] / rows['100k'][i]:9.2f}x" if "1M" in rows and "100k" in rows
                  else f"{'-':>10}")
        print(f"{'  ' + label:<40}{''.join(cells)}{growth}   150 ms")


if __name__ == "__main__":
    main()
