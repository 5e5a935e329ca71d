"""Subject access: every record the desk holds about one named promoter, as one readable PDF
and one JSON file in a zip, built from a positive list of what may go to them.

Gathered in one place (``gather``) and nowhere else, so the PDF and the JSON cannot disagree.
Only what is listed here goes out; everything else held is withheld and counted, and the
document says how many of what (``Withheld``):

- the promoter's details as held (``DISCLOSED_COLUMNS``);
- every event they submitted, with its outcome (status, grade in force, agreed conditions,
  debrief figures), anonymised events included as what is left of them;
- the incidents linked to those events: date, category and severity only;
- the audit entries about them or their events whose action is in ``SHOWN_ACTIONS``, with only
  the detail keys in ``SHOWN_KEYS`` (what they told the desk, statuses and grades) and never a
  reason; entries of any other action (returns, overrides, withdrawals, assignments, police
  notes) are withheld whole.

Withheld: officers' notes, debrief notes and contacts for the night; review, return, resubmit
and override comments and every other reason typed into the trail; incident descriptions and
crime references (they name victims, suspects and witnesses); the scoring evidence; officers'
names (shown by role); another promoter's details where an event passed between promoters.
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

# The stored columns that may go to the data subject; ``gather`` reads no other personal
# column (the test of issue 32 puts a canary in every one it does not list).
DISCLOSED_COLUMNS = frozenset({
    "promoters.name", "promoters.company", "promoters.phone", "promoters.email",
    "submissions.event_name", "submissions.conditions", "drafts.title",
    "drafts.fields",  # only the promoter's company, phone and email typed in a draft
})

# Audit entries shown to the subject, by action: what happened to their details and their
# events that they were, or could be, told.  Entries of any other action are withheld whole.
SHOWN_ACTIONS = frozenset({
    "submission.create", "submission.import", "submission.edit", "submission.assess",
    "submission.submit_for_review", "submission.approve", "submission.issue",
    "submission.cancel", "submission.debrief", "submission.retention", "letter.issue",
    "promoter.edit", "promoter.erase", "promoter.retention", "promoter.subject_access",
})

# Detail keys shown in those entries: their own details, the facts of the event they gave,
# statuses, grades and counts.  Any other key (notes, contacts for the night, four-eyes notes,
# scoring internals, anything added later) is left out of the entry and counted.
SHOWN_KEYS = frozenset({
    "from", "to", "status", "grade", "score", "events", "audit_entries", "anonymised",
    "deleted", "event_name", "venue_code", "start", "end", "event_type",
    "expected_attendance", "ticketing", "min_age", "alcohol", "door_supervisors",
    "search_regime", "cctv", "id_scanning", "dispersal_plan", "medical_cover", "performers",
    "received_at", "conditions", "promoter_name", "promoter_company", "promoter_phone",
    "promoter_email", "name", "company", "phone", "email",
})

REDACTIONS = (
    "This document holds only what the law requires the desk to give you: your details, your "
    "events and their outcomes, and what the desk recorded doing with them. What is left out "
    "is counted under \"Withheld\".",
    "Officers' and supervisors' names are replaced by their role.",
    "Where an event passed between promoters, the other promoter's details are redacted.",
    "Police notes, debrief notes and contacts for the night are withheld: they may name other "
    "people or reveal police intelligence (section 45(4) of the Data Protection Act 2018).",
    "Comments and reasons written with decisions (returning, resubmitting, approving or "
    "overriding an assessment, and any other reason in the audit trail) are withheld under "
    "section 45(4): they may reveal intelligence or its sources. The outcome of each of your "
    "events is shown.",
    "Incident descriptions and crime references are left out: they describe other people. "
    "Each incident's date, category and severity are shown.",
    "The scoring evidence behind each grade is left out: it names other events and "
    "incidents. The grade, the score and the conditions agreed are shown.",
    "Records anonymised under the desk's retention schedule show only what is kept "
    "(\"[anonymised]\").",
)


@dataclass(frozen=True)
class Withheld:
    """How many of one kind of record or text were held but not disclosed (``what`` says it
    for any number but one, ``one`` for one)."""

    count: int
    what: str
    one: str = ""

    def __str__(self) -> str:
        return f"{self.count:,} {self.one if self.count == 1 and self.one else self.what}"


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
    detail: dict  # only ``SHOWN_KEYS``; an entry's reason is never shown


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
    withheld: list[Withheld] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"generated_at": self.generated_at, "promoter": self.promoter,
                "events": [asdict(e) for e in self.events],
                "incidents": [asdict(i) for i in self.incidents],
                "audit": [asdict(a) for a in self.audit],
                "drafts": self.drafts,
                "withheld": [asdict(w) for w in self.withheld],
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
    audit, withheld_whole, shown_in_part = _audit(db, promoter.id, ids, promoter.name,
                                                  roles | names)
    return SubjectAccess(to_db(now), details, [e[1] for e in events],
                         _incidents(db, ids), audit,
                         _drafts(db, promoter.name), promoter_id=promoter.id,
                         withheld=_withheld(db, ids, withheld_whole, shown_in_part))


def _withheld(db: Database, ids: list[int], whole: int, in_part: int) -> list[Withheld]:
    """What was held about the promoter's events but not disclosed, counted."""
    events = json.dumps(ids)
    of_events = "IN (SELECT CAST(value AS INTEGER) FROM json_each(?))"
    counts = [
        (whole, "audit entries withheld: police notes and decisions",
         "audit entry withheld: police notes and decisions"),
        (in_part, "audit entries shown in part: the notes, comments or reasons in them withheld",
         "audit entry shown in part: the notes, comments or reasons in it withheld"),
        (db.execute(f"SELECT count(*) FROM submissions WHERE id {of_events} AND "
                    "(coalesce(notes, '') != '' OR coalesce(night_contact, '') != '')",
                    [events]).fetchone()[0],
         "events' police notes and contacts for the night withheld",
         "event's police notes and contact for the night withheld"),
        (db.execute(f"SELECT count(*) FROM debriefs WHERE submission_id {of_events} AND "
                    "coalesce(notes, '') != ''", [events]).fetchone()[0],
         "debriefs' notes withheld", "debrief's notes withheld"),
        (db.execute(f"SELECT count(*) FROM reviews WHERE submission_id {of_events} AND "
                    "coalesce(comment, '') != ''", [events]).fetchone()[0],
         "review comments withheld", "review comment withheld"),
        (db.execute(f"SELECT count(*) FROM incidents WHERE submission_id {of_events} AND "
                    "(coalesce(description, '') != '' OR coalesce(crime_reference, '') != '')",
                    [events]).fetchone()[0],
         "incidents' descriptions and crime references withheld",
         "incident's description and crime reference withheld"),
    ]
    return [Withheld(n, what, one) for n, what, one in counts
            if n or what.startswith("audit entries withheld")]


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
           people: dict[str, str]) -> tuple[list[AuditLine], int, int]:
    """The entries shown (``SHOWN_ACTIONS``, keys in ``SHOWN_KEYS``, no reason), how many were
    withheld whole, and how many were shown with something left out."""
    refs = dict(db.execute("SELECT CAST(id AS TEXT), reference FROM submissions WHERE id IN "
                           "(SELECT CAST(value AS INTEGER) FROM json_each(?))",
                           [json.dumps(ids)]).fetchall())
    out = []
    whole = in_part = 0
    for position, at, actor, action, entity, entity_id, detail, reason in db.execute(
            "SELECT id, at, actor, action, entity, entity_id, detail, reason FROM audit_log "
            "WHERE (entity = 'promoter' AND entity_id = ?) OR (entity = 'submission' AND "
            "entity_id IN (SELECT CAST(value AS TEXT) FROM json_each(?))) ORDER BY id",
            [str(promoter_id), json.dumps(ids)]):
        try:
            data = json.loads(detail or "{}")
        except ValueError:
            data = None
        if action not in SHOWN_ACTIONS or not isinstance(data, dict):
            whole += 1
            continue
        shown = {k: v for k, v in data.items() if k in SHOWN_KEYS}
        if data and not shown:  # it only held what is withheld (notes, say)
            whole += 1
            continue
        if (reason or "").strip() or any(_words(v) for k, v in data.items()
                                          if k not in SHOWN_KEYS):
            in_part += 1
        about = "your details" if entity == "promoter" else refs.get(entity_id, entity_id)
        out.append(AuditLine(position, at, _role(actor, people), action, about,
                             _scrub(shown, name, people)))
    return out, whole, in_part


def _words(value) -> bool:
    """Whether a withheld value holds any text (a flag or a number is not worth counting)."""
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | tuple):
        return any(_words(v) for v in value)
    if isinstance(value, dict):
        return any(_words(v) for v in value.values())
    return False


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
