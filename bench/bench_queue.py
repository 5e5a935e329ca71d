"""The risk queue at 100k and 1M events (issue 14): every sort's first page over upcoming and
over all events, the filters, the page after row 20,000 (keyset), scrolling to row 20,000,
counting, and start to an interactive queue.  Target 150 ms for a first page, 50 ms for a later
one, 1 s to scroll to row 20,000, 1.5 s to start.  The 1M desk comes from bench_growth
(EVENTRISK_BENCH_1M=1 builds it)."""

from __future__ import annotations

import subprocess
import sys
import time

from bench_ui import CHILD
from common import ROOT, desk_of, median_ms

from eventrisk.desk import Desk
from eventrisk.queue import SORT_COLUMNS, QueueFilter


def ms(fn, repeat: int = 5) -> float:
    return median_ms(fn, repeat) * 1000  # median_ms gives seconds


def scroll(desk: Desk, flt: QueueFilter, sort: str) -> tuple[float, float]:
    """Time to page to row 20,000 (200 at a time, as the app does), and the next page."""
    start, after, rows = time.perf_counter(), None, 0
    while rows < 20_000:
        page = desk.queue_page(flt, sort=sort, limit=200, after=after)
        if not page:
            break
        rows += len(page)
        after = page[-1].key
    took = time.perf_counter() - start
    return took * 1000, ms(lambda: desk.queue_page(flt, sort=sort, limit=200, after=after))


def figures(size: str) -> dict[str, float]:
    path = desk_of(size, build=False)
    if path is None:
        return {}
    desk = Desk.open(path)
    desk.sign_in("supervisor", "supervisor-demo")
    out: dict[str, float] = {}
    for upcoming in (True, False):
        scope = "upcoming" if upcoming else "all events"
        flt = QueueFilter(upcoming_only=upcoming)
        worst = max((ms(lambda s=s, f=flt: desk.queue_page(f, sort=s)), s)
                    for s in ("action", *SORT_COLUMNS))
        out[f"first page, slowest of the 11 sorts, {scope}"] = worst[0]
        print(f"{size} {scope}: slowest sort {worst[1]}", flush=True)
    every = QueueFilter(upcoming_only=False)
    for label, flt in (("filter debriefed, all", QueueFilter(upcoming_only=False,
                                                              statuses=("debriefed",))),
                       ("filter HIGH, upcoming", QueueFilter(grades=("HIGH",))),
                       ("search 'warehouse', upcoming", QueueFilter(text="warehouse")),
                       ("search 'warehouse' by venue, all",
                        QueueFilter(text="warehouse", upcoming_only=False)),
                       ("filter borough, all", QueueFilter(borough="Hackney",
                                                           upcoming_only=False))):
        sort = "venue" if "by venue" in label else "action"
        out[f"{label}: first page"] = ms(lambda f=flt, s=sort: desk.queue_page(f, sort=s))
    out["count, all events (capped)"] = ms(lambda: desk.queue_count(every))
    for sort in ("start", "venue", "action"):
        took, after = scroll(desk, every, sort)
        out[f"scroll to row 20,000 by {sort}"] = took
        out[f"  the page after it by {sort}"] = after
    desk.close()
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True,
                   cwd=ROOT.parent, check=True)
    out["start to an interactive queue (own process)"] = (time.perf_counter() - start) * 1000
    return out


def main() -> None:
    table = {size: figures(size) for size in ("100k", "1M")}
    labels = list(dict.fromkeys(k for row in table.values() for k in row))
    print(f"{'(ms)':<52}{'100k':>10}{'1M':>10}{'growth':>9}")
    for label in labels:
        a, b = table["100k"].get(label), table["1M"].get(label)
        cells = "".join(f"{v:10.1f}" if v is not None else f"{'-':>10}" for v in (a, b))
        growth = f"{b / a:8.2f}x" if a and b else ""
        print(f"{label:<52}{cells}{growth}")
    print("targets: first page ≤ 150 ms, a later page ≤ 50 ms, row 20,000 ≤ 1,000 ms, "
          "start ≤ 1,500 ms")


if __name__ == "__main__":
    main()
