"""Event submissions: create, read, versioned update and paging."""

from __future__ import annotations

import json
import re
from dataclasses import fields as dc_fields
from dataclasses import replace

from sqlite_utils import Database

from eventrisk import audit, dialect
from eventrisk.errors import NotFoundError, ValidationError
from eventrisk.model import (
    EventType,
    Promoter,
    SearchRegime,
    Status,
    Submission,
    Ticketing,
    User,
)
from eventrisk.timeutil import from_db, night_of, now_utc, to_db
from eventrisk.users import require
from eventrisk.venues import conflict_error, match_or_create_promoter, venue_by_code

SELECT = """
SELECT s.*, v.code AS venue_code, p.name AS promoter_name, p.company AS promoter_company,
       p.phone AS promoter_phone, p.email AS promoter_email
FROM submissions s JOIN venues v ON v.id = s.venue_id JOIN promoters p ON p.id = s.promoter_id
"""

# Columns a person edits; a change to any of these is audited field by field.
EDITABLE = ("event_name", "event_type", "start", "end", "expected_attendance", "ticketing",
            "min_age", "alcohol", "door_supervisors", "search_regime", "cctv", "id_scanning",
            "dispersal_plan", "medical_cover", "performers", "notes", "conditions",
            "venue_code", "promoter_name", "received_at", "night_contact")

# The fields the scorer reads (directly, or through the venue's and promoter's history).
# Editing any of these changes the grade, so a reviewed assessment no longer stands;
# editing only the others (names, notes, performers, contact details) leaves it standing.
SCORING_FIELDS = ("venue_code", "promoter_name", "event_type", "start", "end",
                  "expected_attendance", "ticketing", "min_age", "alcohol", "door_supervisors",
                  "search_regime", "cctv", "id_scanning", "dispersal_plan", "medical_cover",
                  "received_at")


def scoring_changes(before: Submission, after: Submission) -> list[str]:
    """The scoring fields that differ between two versions of a submission."""
    out = []
    for name in SCORING_FIELDS:
        old, new = getattr(before, name), getattr(after, name)
        if name in ("venue_code", "promoter_name"):
            old, new = old.strip().casefold(), new.strip().casefold()
        if name == "received_at" and new is None:
            continue  # not given: kept as it was
        if old != new:
            out.append(name)
    return out


def _opt_bool(value: int | None) -> bool | None:
    return None if value is None else bool(value)


def _db_bool(value: bool | None) -> int | None:
    return None if value is None else int(value)


def from_row(row: dict) -> Submission:
    """A ``Submission`` from a row of ``SELECT``."""
    return Submission(
        event_name=row["event_name"], venue_code=row["venue_code"],
        promoter_name=row["promoter_name"], event_type=EventType(row["event_type"]),
        start=from_db(row["starts_at"]), end=from_db(row["ends_at"]),
        expected_attendance=row["expected_attendance"],
        ticketing=Ticketing(row["ticketing"]) if row["ticketing"] else None,
        min_age=row["min_age"], alcohol=_opt_bool(row["alcohol"]),
        door_supervisors=row["door_supervisors"],
        search_regime=SearchRegime(row["search_regime"]) if row["search_regime"] else None,
        cctv=_opt_bool(row["cctv"]), id_scanning=_opt_bool(row["id_scanning"]),
        dispersal_plan=_opt_bool(row["dispersal_plan"]),
        medical_cover=_opt_bool(row["medical_cover"]),
        performers=tuple(json.loads(row["performers"] or "[]")),
        received_at=from_db(row["received_at"]) if row["received_at"] else None,
        notes=row["notes"] or "", reference=row["reference"], status=Status(row["status"]),
        conditions=tuple(json.loads(row["conditions"] or "[]")),
        promoter_company=row["promoter_company"] or "",
        promoter_phone=row["promoter_phone"] or "", promoter_email=row["promoter_email"] or "",
        night_contact=row["night_contact"] or "",
        id=row["id"], venue_id=row["venue_id"], promoter_id=row["promoter_id"],
        version=row["version"], captured_by=row["captured_by"] or "",
        edited_by=row["edited_by"] or "",
        scoring_editors=tuple(json.loads(row.get("scoring_editors") or "[]")),
    )


def editors_text(editors) -> str:
    """The stored form of a set of scoring editors: a sorted JSON list (as the server's
    trigger writes it)."""
    return json.dumps(sorted(set(editors)), separators=(",", ":"), ensure_ascii=False)


def to_row(sub: Submission) -> dict:
    """Column values for the event's own fields (not ids, status or version)."""
    return {
        "event_name": sub.event_name, "event_type": sub.event_type.value,
        "starts_at": to_db(sub.start), "ends_at": to_db(sub.end),
        "night": night_of(sub.start).isoformat(),
        "expected_attendance": sub.expected_attendance,
        "ticketing": sub.ticketing.value if sub.ticketing else None,
        "min_age": sub.min_age, "alcohol": _db_bool(sub.alcohol),
        "door_supervisors": sub.door_supervisors,
        "search_regime": sub.search_regime.value if sub.search_regime else None,
        "cctv": _db_bool(sub.cctv), "id_scanning": _db_bool(sub.id_scanning),
        "dispersal_plan": _db_bool(sub.dispersal_plan),
        "medical_cover": _db_bool(sub.medical_cover),
        "performers": json.dumps(list(sub.performers), ensure_ascii=False),
        "notes": sub.notes, "conditions": json.dumps(list(sub.conditions), ensure_ascii=False),
        "night_contact": sub.night_contact,
    }


LAST_NUMBER = 999_999  # references keep their form: ER-YYYY-NNNNNN


def last_number(db: Database, year: int) -> int:
    """The greatest number of ``year``'s references on the desk (0 for none)."""
    sql = dialect.of(db)
    # Exactly six digits each: the greatest as text is the greatest number, and the index on
    # reference hands it over from its end.
    row = db.execute(
        "SELECT max(reference) FROM submissions WHERE " + sql.glob("reference"),
        sql.glob_params(f"ER-{year:04d}-[0-9][0-9][0-9][0-9][0-9][0-9]")).fetchone()
    return int(row[0][8:]) if row[0] else 0


def foreign_reference(db: Database, sub: Submission, limits: dict[int, int] | None = None
                      ) -> str | None:
    """Why a reference brought in with a record (an import) is not the desk's own, or None.

    The desk numbers its own events, ER-YYYY-NNNNNN, one after another each year: a reference
    is its own only with the year of the event's start or of its receipt, and a number no
    greater than the year's limit (``limits``: for a file, the year's last number before it
    plus the references of that year it brings, in any order; for one record, the next).
    Anything else is refused rather than kept: a number far ahead would make the year's
    counter jump (ER-2026-999999 would end 2026's captures)."""
    reference = sub.reference or ""
    if not REFERENCE.match(reference):
        return f"{reference} is not a reference of this desk (ER-YYYY-NNNNNN)"
    year, number = int(reference[3:7]), int(reference[8:])
    years = {sub.start.year} | ({sub.received_at.year} if sub.received_at else set())
    if year not in years:
        return (f"{reference} is numbered for {year}, but the event starts in "
                f"{sub.start.year}; leave the reference empty and the desk numbers it")
    last = last_number(db, year)
    if number > (limits or {}).get(year, last + 1):
        return (f"{reference} would skip ahead of the desk's numbering (the next of {year} "
                f"is ER-{year}-{last + 1:06d}); leave the reference empty and the desk "
                "numbers it")
    return None


REFERENCE = re.compile(r"^ER-\d{4}-\d{6}$")


def next_reference(db: Database, year: int) -> str:
    """The next free ER-YYYY-NNNNNN reference for ``year``, counted as a number (as text,
    ER-2026-1000000 would sort below ER-2026-999999)."""
    number = last_number(db, year) + 1
    if number > LAST_NUMBER:
        raise ValidationError([("reference", f"Every reference of {year} is taken (up to "
                                             f"ER-{year}-{LAST_NUMBER}); an imported file may "
                                             "have used the last ones. Ask the administrator.")])
    return f"ER-{year:04d}-{number:06d}"


def resolve_venue_id(db: Database, code: str) -> int:
    """Id of the venue with ``code``; ``ValidationError`` on venue_code if there is none."""
    venue = venue_by_code(db, code)
    if venue is None:
        raise ValidationError([("venue_code", f"There is no venue with code '{code}'")])
    assert venue.id is not None
    return venue.id


def insert(db: Database, sub: Submission, venue_id: int, promoter_id: int, actor: str) -> int:
    """Insert without auditing (bulk paths audit the batch once).  Returns the new id."""
    now = to_db(now_utc())
    reference = sub.reference or next_reference(db, now_utc().year)
    row = to_row(sub) | {
        "reference": reference, "venue_id": venue_id, "promoter_id": promoter_id,
        "received_at": to_db(sub.received_at) if sub.received_at else now,
        "status": sub.status.value, "version": 1, "created_at": now, "updated_at": now,
        "updated_by": actor, "captured_by": actor, "edited_by": actor,
    }
    cols = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    new_id = db.execute(f"INSERT INTO submissions ({cols}) VALUES ({marks})",
                        list(row.values())).lastrowid
    assert new_id is not None
    return new_id


def create(db: Database, actor: User, sub: Submission,
           audit_detail: dict | None = None) -> Submission:
    """Save a new submission, matching or creating its promoter.  Audited (with
    ``audit_detail`` added to the entry)."""
    require(actor, "capture")
    with db.atomic():
        if sub.reference and exists(db, sub.reference):
            raise ValidationError([("reference", f"{sub.reference} already exists")])
        if sub.reference and (problem := foreign_reference(db, sub)):
            raise ValidationError([("reference", problem)])
        venue_id = resolve_venue_id(db, sub.venue_code)
        promoter_id = match_or_create_promoter(db, _promoter_of(sub), actor.username)
        new_id = insert(db, replace(sub, status=Status.RECEIVED), venue_id, promoter_id,
                        actor.username)
        if actor.id is not None:  # the officer who captures it looks after it
            db.execute("UPDATE submissions SET assigned_to = ? WHERE id = ?", [actor.id, new_id])
        saved = get(db, new_id)
        audit.record(db, actor.username, "submission.create", "submission", new_id,
                     {"reference": saved.reference, "event_name": saved.event_name,
                      **(audit_detail or {})})
    return saved


def is_anonymised(db: Database, submission_id: int) -> bool:
    """Whether a retention run anonymised this submission."""
    row = db.execute("SELECT anonymised_at FROM submissions WHERE id = ?",
                     [submission_id]).fetchone()
    return row is not None and row[0] is not None


def normalised_name(name: str) -> str:
    """An event name for spotting duplicates: case, punctuation and spacing ignored."""
    return " ".join("".join(c if c.isalnum() else " " for c in name.casefold()).split())


def duplicates_of(db: Database, venue_id: int, starts_at: str, event_name: str) -> list[str]:
    """References of live submissions at the same venue and start with the same name."""
    wanted = normalised_name(event_name)
    return [ref for ref, name in db.execute(
        "SELECT reference, event_name FROM submissions WHERE venue_id = ? AND starts_at = ? "
        "AND status != 'cancelled' ORDER BY id", [venue_id, starts_at])
        if normalised_name(name) == wanted]


def update(db: Database, actor: User, sub: Submission) -> Submission:
    """Save edits to a submission read at ``sub.version``; ``ConflictError`` if stale.

    Its workflow status is left alone: the desk service decides what an edit means for a
    reviewed assessment."""
    require(actor, "capture")
    assert sub.id is not None
    with db.atomic():
        before = get(db, sub.id)
        venue_id = resolve_venue_id(db, sub.venue_code)
        promoter_id = match_or_create_promoter(db, _promoter_of(sub), actor.username)
        row = to_row(sub) | {"venue_id": venue_id, "promoter_id": promoter_id,
                             "edited_by": actor.username}
        changed_scoring = scoring_changes(before, sub)
        if changed_scoring:
            row["scoring_editors"] = editors_text({*before.scoring_editors, actor.username})
        if sub.received_at is not None:
            row["received_at"] = to_db(sub.received_at)
        sets = ", ".join(f"{k} = ?" for k in row)
        cur = db.execute(
            f"UPDATE submissions SET {sets}, version = version + 1, updated_at = ?, "
            "updated_by = ? WHERE id = ? AND version = ?",
            [*row.values(), to_db(now_utc()), actor.username, sub.id, sub.version])
        if cur.rowcount == 0:
            raise conflict_error(db, "submissions", sub.id, "submission")
        changed = diff(before, sub)
        audit.record(db, actor.username, "submission.edit", "submission", sub.id,
                     {**changed, "scoring": changed_scoring})
    return get(db, sub.id)


def diff(before: Submission, after: Submission) -> dict[str, list]:
    """Edited fields as ``{field: [before, after]}``, for the audit log."""
    out = {}
    for f in dc_fields(Submission):
        if f.name == "received_at" and after.received_at is None:
            continue
        if f.name in EDITABLE and getattr(before, f.name) != getattr(after, f.name):
            out[f.name] = [str(getattr(before, f.name)), str(getattr(after, f.name))]
    return out


def _promoter_of(sub: Submission) -> Promoter:
    return Promoter(name=sub.promoter_name, company=sub.promoter_company,
                    phone=sub.promoter_phone, email=sub.promoter_email)


def exists(db: Database, reference: str) -> bool:
    """Whether a submission has this reference."""
    return db.execute("SELECT 1 FROM submissions WHERE reference = ?",
                      [reference]).fetchone() is not None


def get(db: Database, submission_id: int) -> Submission:
    """The submission with this id."""
    rows = list(db.query(SELECT + " WHERE s.id = ?", [submission_id]))
    if not rows:
        raise NotFoundError(f"There is no submission with id {submission_id}.")
    return from_row(rows[0])


def get_by_reference(db: Database, reference: str) -> Submission:
    """The submission with this reference, e.g. ER-2026-000042."""
    rows = list(db.query(SELECT + " WHERE s.reference = ?", [reference.strip().upper()]))
    if not rows:
        raise NotFoundError(f"There is no submission with reference {reference}.")
    return from_row(rows[0])


def page(db: Database, *, offset: int = 0, limit: int = 50) -> list[Submission]:
    """One page of submissions, newest event first (served by the starts_at index)."""
    # Page over the covering starts_at index alone, then join only the rows on the page.
    return [from_row(r) for r in db.query(
        SELECT + " WHERE s.id IN (SELECT id FROM submissions ORDER BY starts_at DESC, id DESC"
        " LIMIT ? OFFSET ?) ORDER BY s.starts_at DESC, s.id DESC", [limit, offset])]


def iter_all(db: Database, batch: int = 2000):
    """Every submission, in id order, fetched a batch at a time (for export)."""
    last = 0
    while True:
        rows = list(db.query(SELECT + " WHERE s.id > ? ORDER BY s.id LIMIT ?", [last, batch]))
        if not rows:
            return
        for row in rows:
            yield from_row(row)
        last = rows[-1]["id"]
