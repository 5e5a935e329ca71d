"""Retention on the 100,000-event desk (issue 17): the review (counts only, as the screen and
`retention review` show it) today and eight years on, and the run eight years on, when every
event, promoter and note is due at once (the worst first run a desk can meet), followed by a
full `audit verify` of the anonymised trail.  Runs on a copy of the scored desk."""

from __future__ import annotations

import shutil
import time
from datetime import timedelta

from common import DATA, big_database, report

from eventrisk.desk import Desk
from eventrisk.timeutil import now_utc


def main() -> None:
    copy = DATA / "retention-100k.db"
    shutil.copy(big_database(scored=True), copy)
    desk = Desk.open(copy)
    desk.sign_in("admin", "admin-demo")
    try:
        start = time.perf_counter()
        desk.retention_review()
        report("review today (counts per kind)", time.perf_counter() - start, 1)
        later = now_utc() + timedelta(days=8 * 366)
        desk.clock = lambda: later
        start = time.perf_counter()
        review = desk.retention_review()
        report("review eight years on", time.perf_counter() - start, 1)
        print("    due: " + ", ".join(f"{d.rule.kind} {d.count:,}" for d in review.kinds))
        start = time.perf_counter()
        done = desk.apply_retention(review)
        report(f"apply: {done.total:,} records, {done.audit_entries:,} audit entries",
               time.perf_counter() - start, 60)
        start = time.perf_counter()
        result = desk.verify_audit()
        report(f"audit verify afterwards ({'OK' if result.ok else 'FAILED'})",
               time.perf_counter() - start)
    finally:
        desk.close()
        copy.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
