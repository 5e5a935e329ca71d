"""Subject access: every record the desk holds about one named promoter, with third parties
redacted, as one readable PDF and one JSON file in a zip.

Gathered in one place (``gather``) and nowhere else, so the PDF and the JSON cannot disagree:

- the promoter's details as held;
- every event they submitted, with its outcome (status, grade in force, agreed conditions,
  debrief), anonymised events included as what is left of them;
- the incidents linked to those events (date, category, severity; not the description);
- every audit entry about the promoter or their events.

Redacted, and said so in the document (``REDACTIONS``): other promoters' details (an event moved
from another promoter), officers' and supervisors' names (shown by role), incident descriptions
and crime references (they describe other people), and the desk's scoring evidence beyond the
grade (it names incident references and other events).
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import asdict, dataclass, field
from datetime import datetime

from sqlite_utils import Database

from eventrisk import venues
from eventrisk.errors import NotFoundError
from eventrisk.model import IncidentCategory, Role, Severity, Status
from eventrisk.timeutil import from_db, to_db

OTHER_PROMOTER = "[another promoter: redacted]"
WITHHELD = "[withheld: s.45(4) DPA 2018]"
WITHHELD_REASONS = ("submission.override", "submission.return", "submission.withdraw")
REDACTIONS = (
    "Officers' and supervisors' names are replaced by their role.",
    "Where an event passed between promoters, the other promoter's details are redacted.",
    "Incident descriptions and crime references are left out: they describe other people. "
    "Each incident's date, category and severity are shown.",
    "The scoring evidence behind each grade is left out: it names other events and "
    "incidents. The grade, the score and the conditions agreed are shown.",
    "Supervisors' reasons for overriding, returning or withdrawing an assessment are withheld "
    "under section 45(4) of the Data Protection Act 2018: they may reveal police intelligence. "
    "Each decision itself is shown.",
    "Records anonymised under the desk's retention schedule show only what is kept "
    "(\"[anonymised]\").",
)


@dataclass(frozen=True)
class Event:
    reference: str
    event_name: str
    venue: str
    borough: str
    start: str
    status: str
    grade: str | None
    score: int | None
    conditions: list[str]
    outcome: str
    anonymised: bool


@dataclass(frozen=True)
class IncidentLine:
    reference: str
    event_reference: str
    occurred_at: str
    category: str
    severity: str


@dataclass(frozen=True)
class AuditLine:
    position: int
    at: str
    by: str  # a role, never a name
    action: str
    about: str
    detail: dict
    reason: str


@dataclass(frozen=True)
class SubjectAccess:
    generated_at: str
    promoter: dict
    events: list[Event]
    incidents: list[IncidentLine]
    audit: list[AuditLine]
    drafts: list[dict] = field(default_factory=list)  # unsubmitted forms naming them
    redactions: tuple[str, ...] = REDACTIONS
    promoter_id: int = 0  # the desk's own number for them (for its audit; not in the pack)

    def to_json(self) -> dict:
        return {"generated_at": self.generated_at, "promoter": self.promoter,
                "events": [asdict(e) for e in self.events],
                "incidents": [asdict(i) for i in self.incidents],
                "audit": [asdict(a) for a in self.audit],
                "drafts": self.drafts,
                "redactions": list(self.redactions)}


def gather(db: Database, name: str, now: datetime) -> SubjectAccess:
    """Everything held about the promoter called ``name`` (any case)."""
    promoter = venues.promoter_by_name(db, name)
    if promoter is None or promoter.id is None:
        raise NotFoundError(f"There is no promoter called {name!r} on the desk (an anonymised "
                            "promoter is no longer findable by name).")
    row = db.execute("SELECT version, updated_at, anonymised_at FROM promoters WHERE id = ?",
                     [promoter.id]).fetchone()
    details = {"name": promoter.name, "company": promoter.company, "phone": promoter.phone,
               "email": promoter.email, "version": row[0], "last_changed": row[1],
               "anonymised_at": row[2]}
    events = _events(db, promoter.id)
    ids = [e[0] for e in events]
    roles = {u: Role(r).label for u, r in db.execute("SELECT username, role FROM users")}
    names = {d: roles[u] for u, d in db.execute("SELECT username, display_name FROM users")}
    return SubjectAccess(to_db(now), details, [e[1] for e in events],
                         _incidents(db, ids),
                         _audit(db, promoter.id, ids, promoter.name, roles | names),
                         _drafts(db, promoter.name), promoter_id=promoter.id)


def _drafts(db: Database, name: str) -> list[dict]:
    """Officers' unsubmitted drafts that name the promoter: what they typed about them."""
    out = []
    for title, fields, saved in db.execute(
            "SELECT title, fields, updated_at FROM drafts WHERE trim(json_extract(fields, "
            "'$.promoter_name')) = ? COLLATE NOCASE ORDER BY id", [name.strip()]):
        held = json.loads(fields or "{}")
        out.append({"event": title, "last_saved": saved,
                    **{k: held[k] for k in ("promoter_company", "promoter_phone",
                                            "promoter_email") if held.get(k)}})
    return out


def _events(db: Database, promoter_id: int) -> list[tuple[int, Event]]:
    out = []
    for (sid, ref, event_name, venue, borough, start, status, grade, score, conditions,
         anonymised, went_ahead, attendance, noted) in db.execute(
            "SELECT s.id, s.reference, s.event_name, v.name, v.borough, s.starts_at, s.status,"
            " s.grade, s.score, s.conditions, s.anonymised_at, d.went_ahead, "
            "d.actual_attendance, d.incidents_noted FROM submissions s "
            "JOIN venues v ON v.id = s.venue_id LEFT JOIN debriefs d ON d.submission_id = s.id"
            " WHERE s.promoter_id = ? ORDER BY s.starts_at, s.id", [promoter_id]):
        if went_ahead is None:
            outcome = "No debrief recorded"
        elif not went_ahead:
            outcome = "Did not go ahead"
        else:
            counted = f"{attendance:,} attended" if attendance is not None else \
                "attendance not recorded"
            outcome = f"Went ahead; {counted}; {noted} incidents noted"
        out.append((sid, Event(ref, event_name, venue, borough, start,
                               Status(status).label, grade, score,
                               json.loads(conditions or "[]"), outcome, anonymised is not None)))
    return out


def _incidents(db: Database, ids: list[int]) -> list[IncidentLine]:
    return [IncidentLine(ref, event_ref, at, IncidentCategory(cat).label,
                         Severity(sev).label)
            for ref, event_ref, at, cat, sev in db.execute(
                "SELECT i.reference, s.reference, i.occurred_at, i.category, i.severity "
                "FROM incidents i JOIN submissions s ON s.id = i.submission_id "
                "WHERE i.submission_id IN (SELECT CAST(value AS INTEGER) FROM json_each(?)) "
                "ORDER BY i.occurred_at, i.id", [json.dumps(ids)])]


_PROMOTER_KEYS = ("promoter_name", "promoter_company", "promoter_phone", "promoter_email")


def _audit(db: Database, promoter_id: int, ids: list[int], name: str,
           people: dict[str, str]) -> list[AuditLine]:
    refs = dict(db.execute("SELECT CAST(id AS TEXT), reference FROM submissions WHERE id IN "
                           "(SELECT CAST(value AS INTEGER) FROM json_each(?))",
                           [json.dumps(ids)]).fetchall())
    out = []
    for position, at, actor, action, entity, entity_id, detail, reason in db.execute(
            "SELECT id, at, actor, action, entity, entity_id, detail, reason FROM audit_log "
            "WHERE (entity = 'promoter' AND entity_id = ?) OR (entity = 'submission' AND "
            "entity_id IN (SELECT CAST(value AS TEXT) FROM json_each(?))) ORDER BY id",
            [str(promoter_id), json.dumps(ids)]):
        about = "your details" if entity == "promoter" else refs.get(entity_id, entity_id)
        data = json.loads(detail or "{}")
        if reason and action in WITHHELD_REASONS:
            reason = WITHHELD
        out.append(AuditLine(position, at, _role(actor, people), action, about,
                             _scrub(data if isinstance(data, dict) else {}, name, people),
                             reason or ""))
    return out


def _role(actor: str, people: dict[str, str]) -> str:
    if actor in people:
        return people[actor]
    return "EventRisk" if actor.startswith("(") or actor == "migration" else "Desk staff"


def _scrub(detail: dict, name: str, people: dict[str, str]) -> dict:
    """Officers by role; another promoter's side of a change of promoter redacted."""
    other_sides: set[int] = set()
    moved = detail.get("promoter_name")
    if isinstance(moved, list):
        other_sides = {i for i, v in enumerate(moved)
                       if str(v).casefold() != name.casefold()}
    out = {}
    for key, value in detail.items():
        if key in _PROMOTER_KEYS and isinstance(value, list) and other_sides:
            value = [OTHER_PROMOTER if i in other_sides else v for i, v in enumerate(value)]
        out[key] = _people(value, people)
    return out


def _people(value, people: dict[str, str]):
    if isinstance(value, str):
        return people.get(value, value)
    if isinstance(value, list):
        return [_people(v, people) for v in value]
    if isinstance(value, dict):
        return {k: _people(v, people) for k, v in value.items()}
    return value


def package(access: SubjectAccess, pdf: bytes) -> bytes:
    """The zip a requester receives: the PDF and the same records as JSON."""
    out = io.BytesIO()
    stamp = from_db(access.generated_at).timetuple()[:6]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for filename, data in (("subject-access.pdf", pdf),
                               ("subject-access.json",
                                json.dumps(access.to_json(), ensure_ascii=False,
                                           indent=1).encode("utf-8"))):
            info = zipfile.ZipInfo(filename, date_time=stamp)  # type: ignore[arg-type]
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return out.getvalue()
