"""Report benchmarks (issue 13): one assessment against a plain-platypus floor with the same
content, built side by side in this run, and a 200-event borough pack (≤ 5 s)."""

from __future__ import annotations

import io
import time
from datetime import timedelta

from common import big_database, median_ms, report
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table

from eventrisk.db import open_database
from eventrisk.report.assessment_pdf import render_assessment
from eventrisk.report.chart import monthly_chart
from eventrisk.report.data import gather
from eventrisk.report.pack_pdf import render_pack
from eventrisk.timeutil import british_datetime, from_db, to_local


def floor(db, sid) -> bytes:
    """The same content (gathered the same way) as bare platypus: default styles, plain
    tables, the same chart; no marking, no page furniture."""
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4).build(floor_story(db, sid))
    return out.getvalue()


def floor_story(db, sid, incident_rows: int = 40) -> list:
    data = gather(db, sid, incident_rows=incident_rows)
    styles = getSampleStyleSheet()
    body, head = styles["BodyText"], styles["Heading2"]
    sub, venue = data.submission, data.venue
    story = [Paragraph("Event risk assessment", styles["Title"]),
             Table([[k, Paragraph(v, body)] for k, v in (
                 ("Event", sub.event_name), ("Venue", f"{venue.name}, {venue.address}"),
                 ("When", british_datetime(sub.start)),
                 ("Attendance", f"{sub.expected_attendance} of {venue.capacity}"))]),
             Paragraph(f"{data.grade.value}: {data.borough_action}", head),
             Paragraph("Agreed conditions", head),
             *[Paragraph(c, body) for c in sub.conditions or ("No conditions agreed.",)],
             Paragraph("Who to call now", head),
             Table([[data.contact.desk_name, data.contact.phone],
                    ["Out of hours", Paragraph(data.contact.out_of_hours, body)]]),
             Paragraph("Why this grade", head),
             Table([[f"+{f.points}", Paragraph(f.title, body), Paragraph(f.evidence, body)]
                    for f in data.assessment.fired] or [["", "", ""]]),
             Paragraph("The submission", head),
             Table([[k, Paragraph(v, body)] for k, v in (
                 ("Promoter", f"{data.promoter.name}, {data.promoter.company}, "
                              f"{data.promoter.phone}, {data.promoter.email}"),
                 ("Entry", f"{sub.ticketing.label}; minimum age {sub.min_age}; alcohol "
                           f"{sub.alcohol}; search {sub.search_regime}"),
                 ("Security", f"SIA door supervisors: {sub.door_supervisors}; CCTV {sub.cctv}"),
                 ("Welfare", f"Dispersal plan {sub.dispersal_plan}; medical {sub.medical_cover}"),
                 ("Performers", "; ".join(sub.performers)))]),
             Paragraph("Supervisor's decision", head),
             Paragraph(f"{data.review.decision} by {data.review.reviewer}: {data.review.comment}"
                       if data.review else "Not yet reviewed by a supervisor.", body),
             Paragraph("Suggested, not agreed", head),
             *[Paragraph(f.measure, body) for f in data.assessment.fired],
             monthly_chart(data.monthly, 480),
             Table([[british_datetime(i.occurred_at), i.reference, i.category.label,
                     i.severity.label] for i in data.incidents_12m] or [["", "", "", ""]])]
    return story


def pack_floor(db, ids: list[int]) -> bytes:
    """A plain-platypus pack of the same events: a cover table, then each floor story."""
    from reportlab.platypus import PageBreak

    styles = getSampleStyleSheet()
    rows = [[str(sid)] for sid in ids]
    story: list = [Paragraph("Borough pack", styles["Title"]), Table(rows)]
    for sid in ids:
        story += [PageBreak(), *floor_story(db, sid, incident_rows=12)]
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4).build(story)
    return out.getvalue()


def main() -> None:
    db = open_database(big_database(scored=True))
    # The busiest venue's latest event: the fullest page the desk prints.
    sid = db.execute("SELECT max(s.id) FROM submissions s WHERE s.assessment_id IS NOT NULL AND "
                     "s.venue_id = (SELECT venue_id FROM incidents GROUP BY venue_id ORDER BY "
                     "count(*) DESC LIMIT 1)").fetchone()[0]
    render_assessment(db, sid)  # fonts registered once per process
    floor(db, sid)
    ours = median_ms(lambda: render_assessment(db, sid), 9)
    plain = median_ms(lambda: floor(db, sid), 9)
    report("one assessment PDF, busiest venue (median of 9)", ours, 0.050, "ms")
    report("  plain-platypus floor, same content (median of 9)", plain, None, "ms")
    print(f"{'  assessment ÷ floor':<58} {ours / plain:10.2f}      target 2")
    start = time.perf_counter()
    gather(db, sid)
    report("  gathering its data", time.perf_counter() - start, 0.010, "ms")
    # The borough and range holding about 200 approved or issued events.
    borough, first = db.execute(
        "SELECT v.borough, min(s.starts_at) FROM submissions s JOIN venues v ON v.id = "
        "s.venue_id WHERE s.assessment_id IS NOT NULL AND s.status IN ('approved', 'issued', "
        "'debriefed') GROUP BY v.borough ORDER BY count(*) DESC LIMIT 1").fetchone()
    start_day = to_local(from_db(first)).date()
    end = start_day
    while db.execute("SELECT count(*) FROM submissions s JOIN venues v ON v.id = s.venue_id "
                     "WHERE v.borough = ? AND s.starts_at >= ? AND s.starts_at < ? AND "
                     "s.assessment_id IS NOT NULL AND s.status IN ('approved', 'issued', "
                     "'debriefed')", [borough, first, f"{end + timedelta(days=1)}T23:59:59Z"]
                     ).fetchone()[0] < 200:
        end += timedelta(days=7)
    start = time.perf_counter()
    pdf, count = render_pack(db, borough, start_day, end)
    took = time.perf_counter() - start
    report(f"borough pack ({borough}, {start_day} to {end})", took, 5)
    from eventrisk.report.pack_pdf import pack_events

    ids = pack_events(db, borough, start_day, end)
    start = time.perf_counter()
    pack_floor(db, ids)
    plain = time.perf_counter() - start
    report("  plain-platypus pack floor, same events", plain)
    print(f"{'  pack ÷ floor':<58} {took / plain:10.2f}      target 1.3")
    from pypdf import PdfReader

    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    print(f"{'':<58} ({count} events, {pages} pages, {pages / count:.2f} per event, "
          f"{len(pdf) / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
