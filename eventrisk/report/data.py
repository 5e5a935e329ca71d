"""Everything one printed assessment shows, gathered from the database in a few queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlite_utils import Database

from eventrisk import audit, incidents, workflow
from eventrisk.deskinfo import DeskContact, load_desk_contact
from eventrisk.errors import WorkflowError
from eventrisk.model import Grade, Incident, Promoter, Submission, Venue
from eventrisk.reference import borough_named
from eventrisk.scoring.service import StoredAssessment
from eventrisk.timeutil import months_before, now_utc, to_db

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


def desk_contact() -> DeskContact:
    """The desk's details from its ``desk.json`` (checked; ``DeskFileError`` if not sound)."""
    return load_desk_contact()


def gather(db: Database, submission_id: int, generated_at: datetime | None = None,
           rulesets: dict | None = None, contact: DeskContact | None = None,
           incident_rows: int = MAX_INCIDENT_ROWS) -> ReportData:
    """Collect one assessment for printing from the read model of the assessment as it
    stands (the same the screen shows); ``WorkflowError`` if it was never scored."""
    from eventrisk.desk import readmodel

    state = readmodel.load(db, submission_id, None, history_limit=0)
    sub = state.submission
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
        guidance=state.guidance, borough_action=state.borough_action, window_from=year_ago,
        review=state.review, incidents_12m=tuple(recent),
        incidents_12m_total=total, monthly=tuple((m, counts.get(m, 0)) for m in months),
        audit_head=audit.head(db), contact=contact or desk_contact(),
        generated_at=generated_at or now_utc(), training=state.training)
