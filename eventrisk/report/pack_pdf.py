"""The borough pack: a cover table of every event in a date range, then each assessment."""

from __future__ import annotations

import io
import json
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from reportlab.platypus import CondPageBreak, PageBreak, Spacer, Table, TableStyle
from sqlite_utils import Database

from eventrisk import audit
from eventrisk.errors import NotFoundError, ValidationError
from eventrisk.model import Grade, Status
from eventrisk.reference import borough_named, canonical_borough
from eventrisk.report.assessment_pdf import assessment_story, compact_story, footer
from eventrisk.report.data import PACK_INCIDENT_ROWS, desk_contact, gather
from eventrisk.report.layout import (
    FRAME_WIDTH,
    GRID,
    HEADED,
    MarkedDocument,
    grade_box_style,
    grade_para,
    markup,
    para,
)
from eventrisk.scoring.service import Cancelled
from eventrisk.settings import is_training
from eventrisk.timeutil import (
    british_datetime,
    british_time,
    from_db,
    local_midnight_utc,
    now_utc,
    to_db,
)

COVER_CHUNK = 35  # rows per cover table: reportlab splits many small tables faster than one


FINAL = ("approved", "issued", "debriefed")  # statuses a supervisor's approval stands behind


def pack_events(db: Database, borough: str, date_from: date, date_to: date,
                include_pending: bool = False) -> list[int]:
    """Ids of the scored, not-cancelled events starting in the range, by start: approved
    (or issued) ones only, unless ``include_pending``."""
    final = "" if include_pending else \
        f"AND s.status IN ({', '.join(repr(x) for x in FINAL)}) "
    rows = db.execute(
        "SELECT s.id FROM submissions s JOIN venues v ON v.id = s.venue_id WHERE v.borough = ? "
        "AND s.starts_at >= ? AND s.starts_at < ? AND s.status != 'cancelled' "
        f"AND s.assessment_id IS NOT NULL {final}ORDER BY s.starts_at, s.id",
        [borough, to_db(local_midnight_utc(date_from)),
         to_db(local_midnight_utc(date_to + timedelta(days=1)))]).fetchall()
    return [r[0] for r in rows]


def render_pack(db: Database, borough: str, date_from: date, date_to: date,
                generated_at=None, progress=None,
                include_pending: bool = False) -> tuple[bytes, int]:
    """The pack as PDF bytes and the number of events in it."""
    name = canonical_borough(borough)
    if name is None:
        raise ValidationError([("borough", f"'{borough}' is not one of the 33 London areas")])
    if date_to < date_from:
        raise ValidationError([("to", "The end date is before the start date")])
    ids = pack_events(db, name, date_from, date_to, include_pending)
    period = f"{british_date_d(date_from)} to {british_date_d(date_to)}"
    if not ids:
        pending = len(pack_events(db, name, date_from, date_to, True))
        hint = (f" ({pending} not yet approved: include them with --include-pending, or "
                "tick \"Include events not yet approved\")") if pending else ""
        raise NotFoundError(f"No approved events in {name} from {period}{hint}; there is no "
                            f"pack to print.")
    generated_at = generated_at or now_utc()
    contact = desk_contact()
    cover = _cover_rows(db, ids)
    # CRITICAL and HIGH first (a CRITICAL must never be the last line of a long cover), then
    # the rest; by start within each.  The pages follow the cover's order.
    order = sorted(range(len(ids)), key=lambda i: (_FIRST.get(cover[i].grade, len(_FIRST)),
                                                   cover[i].start, ids[i]))
    ids, cover = [ids[i] for i in order], [cover[i] for i in order]
    head = audit.head(db)
    story = _cover(name, period, cover, generated_at, head, contact, include_pending)
    rulesets: dict = {}

    def events():
        """Each event's pages, gathered only when the layout reaches it: a pack of 500
        events holds one event's data at a time, not all of them."""
        compact_on_page = False
        for n, sid in enumerate(ids, 1):
            data = gather(db, sid, generated_at, rulesets, contact,
                          incident_rows=PACK_INCIDENT_ROWS)
            if _compact(data):
                # A LOW event with nothing agreed takes half a page: two share one.
                yield [CondPageBreak(HALF_PAGE) if compact_on_page else PageBreak(),
                       *compact_story(data)]
                compact_on_page = not compact_on_page
            else:
                yield [PageBreak(), *assessment_story(data)]
                compact_on_page = False
            if progress and progress(n, len(ids)) is False:
                raise Cancelled()

    versions = ", ".join(sorted({row.ruleset_version for row in cover}))
    buffer = io.BytesIO()
    doc = MarkedDocument(buffer, title=f"Borough pack {name} {period}",
                         footer=footer(generated_at, versions, head),
                         training=is_training(db))
    doc.render(LazyStory(story, events()))
    return buffer.getvalue(), len(ids)


class LazyStory(list):
    """A story that fills itself from a generator of flowable lists as reportlab consumes it
    (reportlab reads ``len``, the first items, deletes and inserts at the front)."""

    BUFFER = 8  # flowables kept ready: about one event ahead of the layout

    def __init__(self, head: list, more) -> None:
        super().__init__(head)
        self._more = more

    def _fill(self) -> None:
        while self._more is not None and list.__len__(self) < self.BUFFER:
            try:
                self.extend(next(self._more))
            except StopIteration:
                self._more = None

    def __len__(self) -> int:
        self._fill()
        return list.__len__(self)

    def __getitem__(self, index):
        self._fill()
        return list.__getitem__(self, index)

    def __bool__(self) -> bool:
        return len(self) > 0


@dataclass(frozen=True)
class CoverRow:
    """What the cover shows of one event (read in one query, not gathered)."""

    reference: str
    event_name: str
    start: datetime
    end: datetime
    attendance: int
    venue_name: str
    grade: Grade
    status: Status
    ruleset_version: str


def _cover_rows(db: Database, ids: list[int]) -> list[CoverRow]:
    rows = {r[0]: r[1:] for r in db.execute(
        "SELECT s.id, s.reference, s.event_name, s.starts_at, s.ends_at, "
        "s.expected_attendance, v.name, coalesce(s.override_grade, a.grade), s.status, "
        "a.ruleset_version FROM submissions s JOIN venues v ON v.id = s.venue_id "
        "JOIN assessments a ON a.id = s.assessment_id WHERE s.id IN (SELECT CAST(value AS "
        "INTEGER) FROM "
        "json_each(?))", [json.dumps(ids)])}
    return [CoverRow(r[0], r[1], from_db(r[2]), from_db(r[3]), r[4], r[5], Grade(r[6]),
                     Status(r[7]), r[8]) for r in (rows[sid] for sid in ids)]


_FIRST = {Grade.CRITICAL: 0, Grade.HIGH: 1}  # grades the cover lists before all others

HALF_PAGE = 330  # points: what a compact LOW assessment needs, with room to spare


def _compact(data) -> bool:
    return data.grade is Grade.LOW and not data.submission.conditions


def british_date_d(day: date) -> str:
    """05/12/2026 for a date."""
    return day.strftime("%d/%m/%Y")


# Share of the width per column, sized so that no heading, start time, grade or reference
# has to break (a test measures them).
_COLUMNS = (("Start", 0.215), ("Ends", 0.068), ("Grade", 0.104), ("Status", 0.13),
            ("Event", 0.1155), ("Venue", 0.1155), ("People", 0.092), ("Reference", 0.16))


def header_cell(text: str):
    """A column heading that never breaks inside a word."""
    return para(text, "header")


def _cover(name, period, reports: list[CoverRow], generated_at, head, contact,
           include_pending) -> list:
    area = borough_named(name)
    policed = "" if area is None else \
        f"{area.police}, {area.policing}" if area.met else f"Policed by the {area.police}"
    grades = Counter(r.grade for r in reports)
    statuses = Counter(r.status for r in reports)
    pending = sum(n for st, n in statuses.items() if st.value not in FINAL)
    story = [para(f"Borough pack: {name}", "title"),
             markup("<b>{policed}</b> · events from <b>{period}</b> · {n} assessments",
                    "body", policed=policed, period=period, n=len(reports)),
             para(f"Made {british_datetime(generated_at)} · audit {head[0]}:{head[1][:20]} · "
                  f"out of hours: {contact.out_of_hours}", "small"),
             Spacer(1, 4),
             para("Grades: " + ", ".join(f"{g.value} {grades[g]}" for g in reversed(list(Grade))
                                         if grades[g]) + ". Status: "
                  + ", ".join(f"{st.label.lower()} {n}" for st, n in sorted(
                      statuses.items(), key=lambda kv: list(Status).index(kv[0]))) + ".",
                  "body")]
    if pending:
        story.append(para(f"{pending} of these events are NOT APPROVED by a supervisor: their "
                          "grades and conditions may change, and each is marked on its page.",
                          "body", bold=True))
    elif not include_pending:
        story.append(para("Approved and issued assessments only.", "small"))
    story.append(para("Listed CRITICAL first, then HIGH, then the rest, each by start time; "
                      "the pages follow in the same order.", "small"))
    story.append(Spacer(1, 6))
    widths = [w * FRAME_WIDTH for _, w in _COLUMNS]
    for start in range(0, len(reports), COVER_CHUNK):
        rows = [[header_cell(h) for h, _ in _COLUMNS]]
        style = [*GRID.getCommands(), *HEADED.getCommands()]
        for i, r in enumerate(reports[start:start + COVER_CHUNK], 1):
            final = r.status.value in FINAL
            rows.append([para(british_datetime(r.start), "cell"), para(british_time(r.end), "cell"),
                         grade_para(r.grade.value, r.grade),
                         para(r.status.label if final else f"{r.status.label} (NOT APPROVED)",
                              "cell" if final else "cellbold"),
                         para(r.event_name, "cell"), para(r.venue_name, "cell"),
                         para(f"{r.attendance:,}", "cell"), para(r.reference, "cell")])
            style += grade_box_style(r.grade, ((2, i), (2, i)), border=False)
        table = Table(rows, colWidths=widths, repeatRows=1)
        table.setStyle(TableStyle(style))
        story.append(table)
    return story
