"""Everything one printed assessment shows, gathered from the database in a few queries."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlite_utils import Database

from eventrisk import audit, incidents, workflow
from eventrisk.deskinfo import DeskContact, load_desk_contact
from eventrisk.errors import WorkflowError
from eventrisk.model import Grade, Incident, Promoter, Status, Submission, Venue
from eventrisk.reference import borough_named
from eventrisk.scoring.service import StoredAssessment
from eventrisk.timeutil import from_db, months_before, now_utc, to_db

MAX_INCIDENT_ROWS = 40
PACK_INCIDENT_ROWS = 12  # a pack lists the newest dozen; the full list is one click away


@dataclass(frozen=True)
class ReportData:
    """One assessment as printed."""

    submission: Submission
    venue: Venue
    promoter: Promoter
    policing: str  # the Met's BCU, or the force of the area (the City of London Police)
    assessment: StoredAssessment
    grade: Grade  # the grade in force: the supervisor's override if there is one
    guidance: str  # what the desk does at this grade
    borough_action: str  # what the borough should do at this grade
    review: workflow.Review | None
    incidents_12m: tuple[Incident, ...]
    incidents_12m_total: int
    monthly: tuple[tuple[str, int], ...]  # (YYYY-MM, count) for the 24 months to the event
    audit_head: tuple[int, str]  # (position, hash) of the newest audit entry
    contact: DeskContact
    generated_at: datetime
    window_from: datetime  # the incident table covers [window_from, the event's start)
    training: bool = False  # a demo desk: every page says so
    override: workflow.Review | None = None  # the supervisor's override behind the grade
    issued: tuple[str, datetime] | None = None  # who issued it to the borough, and when


def desk_contact() -> DeskContact:
    """The desk's details from its ``desk.json`` (checked; ``DeskFileError`` if not sound)."""
    return load_desk_contact()


def gather(db: Database, submission_id: int, generated_at: datetime | None = None,
           rulesets: dict | None = None, contact: DeskContact | None = None,
           incident_rows: int = MAX_INCIDENT_ROWS,
           issuing: tuple[str, datetime] | None = None) -> ReportData:
    """Collect one assessment for printing from the read model of the assessment as it
    stands (the same the screen shows); ``WorkflowError`` if it was never scored.

    ``issuing`` (who, when) is for the copy made to be issued: it is made just before the
    issue step records it, and must already say what it is, issued, by whom and when."""
    from eventrisk.desk import readmodel

    state = readmodel.load(db, submission_id, None, history_limit=0)
    sub = state.submission
    issued = issuing
    if issuing is not None:
        sub = replace(sub, status=Status.ISSUED)
    elif sub.status in (Status.ISSUED, Status.DEBRIEFED):
        issued = _last_issue(db, submission_id)
    stored = state.snapshot
    if stored is None or state.grade is None:
        raise WorkflowError(f"{sub.reference} has not been scored yet; score it before printing.")
    venue = state.venue
    assert venue.id is not None
    # Exactly the 12 calendar months before the event starts, whenever it is printed.
    until = sub.start
    year_ago = months_before(until, 12)
    recent = incidents.for_venue(db, venue.id, since=year_ago, until=until,
                                 limit=incident_rows)
    total = db.execute("SELECT count(*) FROM incidents WHERE venue_id = ? AND occurred_at >= ? "
                       "AND occurred_at < ?",
                       [venue.id, to_db(year_ago), to_db(until)]).fetchone()[0]
    months: list[str] = []
    cursor = months_before(until, 23).replace(day=1)
    while len(months) < 24:
        months.append(cursor.strftime("%Y-%m"))
        cursor = (cursor + timedelta(days=32)).replace(day=1)
    counts = incidents.monthly_counts(db, venue.id, months_before(until, 24), until)
    area = borough_named(venue.borough)
    return ReportData(
        submission=sub, venue=venue, promoter=state.promoter,
        policing=area.policing if area else "", assessment=stored, grade=state.grade,
        guidance=state.guidance_as_agreed, borough_action=state.borough_action_as_agreed,
        window_from=year_ago,
        review=state.review, incidents_12m=tuple(recent),
        incidents_12m_total=total, monthly=tuple((m, counts.get(m, 0)) for m in months),
        audit_head=audit.head(db), contact=contact or desk_contact(),
        generated_at=generated_at or now_utc(), training=state.training,
        override=workflow.latest_review(db, submission_id, "override")
        if state.override is not None else None,
        issued=issued)


def _last_issue(db: Database, submission_id: int) -> tuple[str, datetime] | None:
    """Who last issued the assessment to the borough (their name as the desk knows it) and
    when."""
    row = db.execute("SELECT coalesce(u.display_name, d.issued_by), d.issued_at FROM "
                     "issued_documents d LEFT JOIN users u ON u.username = d.issued_by "
                     "WHERE d.submission_id = ? ORDER BY d.id DESC LIMIT 1",
                     [submission_id]).fetchone()
    return (row[0], from_db(row[1])) if row else None
