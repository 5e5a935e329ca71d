"""The borough pack: a cover table of every event in a date range, then each assessment."""

from __future__ import annotations

import io
from datetime import date, timedelta

from reportlab.lib import colors
from reportlab.platypus import PageBreak, Spacer, Table, TableStyle
from sqlite_utils import Database

from eventrisk import audit
from eventrisk.errors import NotFoundError, ValidationError
from eventrisk.model import GRADE_COLOURS, Grade
from eventrisk.reference import canonical_borough
from eventrisk.report.assessment_pdf import assessment_story, footer
from eventrisk.report.data import desk_contact, gather
from eventrisk.report.layout import FRAME_WIDTH, GRID, HEADED, MarkedDocument, markup, para
from eventrisk.scoring.service import Cancelled
from eventrisk.timeutil import british_datetime, british_time, local_midnight_utc, now_utc, to_db

COVER_CHUNK = 35  # rows per cover table: reportlab splits many small tables faster than one


def pack_events(db: Database, borough: str, date_from: date, date_to: date) -> list[int]:
    """Ids of the scored, not-cancelled events starting in the range, by start."""
    rows = db.execute(
        "SELECT s.id FROM submissions s JOIN venues v ON v.id = s.venue_id WHERE v.borough = ? "
        "AND s.starts_at >= ? AND s.starts_at < ? AND s.status != 'cancelled' "
        "AND s.assessment_id IS NOT NULL ORDER BY s.starts_at, s.id",
        [borough, to_db(local_midnight_utc(date_from)),
         to_db(local_midnight_utc(date_to + timedelta(days=1)))]).fetchall()
    return [r[0] for r in rows]


def render_pack(db: Database, borough: str, date_from: date, date_to: date,
                generated_at=None, progress=None) -> tuple[bytes, int]:
    """The pack as PDF bytes and the number of events in it."""
    name = canonical_borough(borough)
    if name is None:
        raise ValidationError([("borough", f"'{borough}' is not one of the 33 London areas")])
    if date_to < date_from:
        raise ValidationError([("to", "The end date is before the start date")])
    ids = pack_events(db, name, date_from, date_to)
    period = f"{british_date_d(date_from)} to {british_date_d(date_to)}"
    if not ids:
        raise NotFoundError(f"No assessed events in {name} from {period}; there is no pack "
                            f"to print.")
    generated_at = generated_at or now_utc()
    contact = desk_contact()
    rulesets: dict = {}
    reports = []
    for n, sid in enumerate(ids, 1):
        reports.append(gather(db, sid, generated_at, rulesets, contact))
        if progress and progress(n, len(ids)) is False:
            raise Cancelled()
    story = [para(f"Borough pack: {name}", "title"),
             markup("Events from <b>{period}</b> · {n} assessments · protective marking "
                    "applies to every page", "body", period=period, n=len(reports)),
             Spacer(1, 8)]
    story += _cover(reports)
    for data in reports:
        story += [PageBreak(), *assessment_story(data)]
    versions = ", ".join(sorted({r.assessment.ruleset_version for r in reports}))
    buffer = io.BytesIO()
    doc = MarkedDocument(buffer, title=f"Borough pack {name} {period}",
                         footer=footer(generated_at, versions, audit.head(db)),
                         training=any(r.training for r in reports))
    doc.render(story)
    return buffer.getvalue(), len(reports)


def british_date_d(day: date) -> str:
    """05/12/2026 for a date."""
    return day.strftime("%d/%m/%Y")


def _cover(reports) -> list:
    header = [para(h, "cellbold") for h in ("Start", "Ends", "Grade", "Event", "Venue",
                                            "People", "Reference")]
    widths = [0.20, 0.07, 0.10, 0.19, 0.19, 0.08, 0.17]
    tables = []
    for start in range(0, len(reports), COVER_CHUNK):
        rows = [header]
        style = [*GRID.getCommands(), *HEADED.getCommands()]
        for i, r in enumerate(reports[start:start + COVER_CHUNK], 1):
            s = r.submission
            rows.append([para(british_datetime(s.start), "cell"), para(british_time(s.end), "cell"),
                         para(r.grade.value, "cellbold"), para(s.event_name, "cell"),
                         para(r.venue.name, "cell"), para(f"{s.expected_attendance:,}", "cell"),
                         para(s.reference, "cell")])
            style.append(("BACKGROUND", (2, i), (2, i), colors.HexColor(GRADE_COLOURS[r.grade])))
            style.append(("TEXTCOLOR", (2, i), (2, i), colors.white))
        table = Table(rows, colWidths=[w * FRAME_WIDTH for w in widths], repeatRows=1)
        table.setStyle(TableStyle(style))
        tables.append(table)
    counts = {g: sum(r.grade is g for r in reports) for g in Grade}
    summary = ", ".join(f"{g.value} {counts[g]}" for g in reversed(list(Grade)))
    return [para(f"Grades: {summary}.", "body"), Spacer(1, 4), *tables]
