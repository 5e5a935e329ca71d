"""Report benchmarks: one assessment PDF and a 200-event borough pack."""

from __future__ import annotations

from datetime import timedelta

from common import big_database, median_ms, report, timed

from eventrisk.db import open_database
from eventrisk.report.assessment_pdf import render_assessment
from eventrisk.report.pack_pdf import render_pack
from eventrisk.timeutil import from_db, to_local


def main() -> None:
    db = open_database(big_database(scored=True))
    sid = db.execute("SELECT id FROM submissions WHERE assessment_id IS NOT NULL ORDER BY "
                     "starts_at DESC LIMIT 1").fetchone()[0]
    render_assessment(db, sid)  # fonts registered once per process
    report("one assessment PDF (median of 9)", median_ms(lambda: render_assessment(db, sid), 9),
           0.050, "ms")
    # The borough and fortnight-ish range holding about 200 assessed events.
    borough, first = db.execute(
        "SELECT v.borough, min(s.starts_at) FROM submissions s JOIN venues v ON v.id = "
        "s.venue_id WHERE s.assessment_id IS NOT NULL GROUP BY v.borough ORDER BY count(*) "
        "DESC LIMIT 1").fetchone()
    start = to_local(from_db(first)).date()
    end = start
    while db.execute("SELECT count(*) FROM submissions s JOIN venues v ON v.id = s.venue_id "
                     "WHERE v.borough = ? AND s.starts_at >= ? AND s.starts_at < ? AND "
                     "s.assessment_id IS NOT NULL AND s.status != 'cancelled'",
                     [borough, first, f"{end + timedelta(days=1)}T23:59:59Z"]).fetchone()[0] < 200:
        end += timedelta(days=7)
    with timed(f"borough pack ({borough}, {start} to {end})", 5):
        pdf, count = render_pack(db, borough, start, end)
    print(f"{'':<58} ({count} events, {len(pdf) / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
