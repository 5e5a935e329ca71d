"""Everything one printed assessment shows, gathered from the database in a few queries."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlite_utils import Database

from eventrisk import audit, incidents, submissions, workflow
from eventrisk.errors import WorkflowError
from eventrisk.model import Grade, Incident, Promoter, Submission, Venue
from eventrisk.paths import resource
from eventrisk.reference import boroughs
from eventrisk.scoring.rulebook import active_ruleset
from eventrisk.scoring.rules import Ruleset, parse_ruleset
from eventrisk.scoring.service import StoredAssessment, latest_assessment
from eventrisk.timeutil import months_before, now_utc, to_db
from eventrisk.venues import get_promoter, get_venue

MAX_INCIDENT_ROWS = 40


@dataclass(frozen=True)
class DeskContact:
    """Who the borough calls."""

    desk_name: str
    phone: str
    email: str
    hours: str


@dataclass(frozen=True)
class ReportData:
    """One assessment as printed."""

    submission: Submission
    venue: Venue
    promoter: Promoter
    command_unit: str
    assessment: StoredAssessment
    grade: Grade  # the grade in force: the supervisor's override if there is one
    guidance: str
    review: workflow.Review | None
    incidents_12m: tuple[Incident, ...]
    incidents_12m_total: int
    monthly: tuple[tuple[str, int], ...]  # (YYYY-MM, count) for the 24 months to the event
    audit_head: str
    contact: DeskContact
    generated_at: datetime


def desk_contact() -> DeskContact:
    """The desk's contact details from ``resources/desk.json``."""
    data = json.loads(resource("desk.json").read_text("utf-8"))
    return DeskContact(data["desk_name"], data["phone"], data["email"], data["hours"])


def _ruleset_for(db: Database, version: str) -> Ruleset:
    row = db.execute("SELECT source FROM rulesets WHERE version = ?", [version]).fetchone()
    return parse_ruleset(row[0], f"ruleset {version}") if row else active_ruleset(db)


def gather(db: Database, submission_id: int, generated_at: datetime | None = None,
           rulesets: dict[str, Ruleset] | None = None,
           contact: DeskContact | None = None) -> ReportData:
    """Collect one assessment for printing; ``WorkflowError`` if it was never scored."""
    sub = submissions.get(db, submission_id)
    stored = latest_assessment(db, submission_id)
    if stored is None:
        raise WorkflowError(f"{sub.reference} has not been scored yet; score it before printing.")
    assert sub.venue_id is not None and sub.promoter_id is not None
    venue = get_venue(db, sub.venue_id)
    assert venue.id is not None
    rulesets = {} if rulesets is None else rulesets
    if stored.ruleset_version not in rulesets:
        rulesets[stored.ruleset_version] = _ruleset_for(db, stored.ruleset_version)
    ruleset = rulesets[stored.ruleset_version]
    override = db.execute("SELECT override_grade FROM submissions WHERE id = ?",
                          [submission_id]).fetchone()[0]
    grade = Grade(override) if override else stored.grade
    until = min(sub.start, generated_at or now_utc())
    year_ago = months_before(until, 12)
    recent = incidents.for_venue(db, venue.id, since=year_ago, until=until,
                                 limit=MAX_INCIDENT_ROWS)
    total = db.execute("SELECT count(*) FROM incidents WHERE venue_id = ? AND occurred_at >= ? "
                       "AND occurred_at < ?",
                       [venue.id, to_db(year_ago), to_db(until)]).fetchone()[0]
    months: list[str] = []
    cursor = months_before(until, 23).replace(day=1)
    while len(months) < 24:
        months.append(cursor.strftime("%Y-%m"))
        cursor = (cursor + timedelta(days=32)).replace(day=1)
    counts = incidents.monthly_counts(db, venue.id, months_before(until, 24), until)
    unit = next((b.command_unit for b in boroughs() if b.name == venue.borough), "")
    return ReportData(
        submission=sub, venue=venue, promoter=get_promoter(db, sub.promoter_id),
        command_unit=unit, assessment=stored, grade=grade, guidance=ruleset.guidance(grade),
        review=workflow.latest_review(db, submission_id), incidents_12m=tuple(recent),
        incidents_12m_total=total, monthly=tuple((m, counts.get(m, 0)) for m in months),
        audit_head=audit.head_hash(db), contact=contact or desk_contact(),
        generated_at=generated_at or now_utc())
