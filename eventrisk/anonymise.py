"""Anonymising records and the free text of their audit entries, without breaking the chain.

What goes, per kind (what stays is what history features and calibration read):

- a promoter: company, phone and email; with ``anonymise`` also the name, which becomes
  "Anonymised promoter P-000042" (their events keep the link, so the promoter-history
  features of later events stay exactly as scored);
- notes: a submission's notes and contact for the night, and its debrief's notes;
- a submission: also its event name, performers and the supervisors' review comments; the
  venue, times, scoring inputs, grade, snapshots and outcome stay;
- an incident: its description and crime reference; category, severity, place and time stay.

**Audit entries.**  Each entry's hash covers its full text, so its text cannot change without
breaking the chain; but an entry about an anonymised record must not keep the names and notes
the record lost.  So a run anonymises such entries *as a whole, once*: every personal value in
the detail (``PERSONAL``) and the reason become "[anonymised]", the structural values (status,
version, grade, digest...) stay, and the entry's ``hash`` and ``prev_hash`` are left exactly as
they were, so every later entry, every printed head and every witness still holds.  The run
then appends its own entry, whose detail records how many entries it anonymised and the
SHA-256 of their new content (``members_digest``), and marks each of them ``redacted_in`` that
entry.  Verification checks an anonymised entry's link to the entry before it, and checks its
content against the digest in the run's entry, which is itself hash-checked in the chain.  A
trigger refuses any other change to an audit row.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from sqlite_utils import Database

from eventrisk import audit, canonical, dialect
from eventrisk.model import IncidentCategory

MARK = "[anonymised]"

# Detail keys whose values are names, contact details or free text, wherever they appear
# (a created record's fields, an edit's [before, after], a promoter's change of details).
PERSONAL = frozenset({
    "event_name", "performers", "notes", "night_contact", "conditions",
    "promoter_name", "promoter_company", "promoter_phone", "promoter_email",
    "name", "company", "phone", "email", "description", "crime_reference", "comment",
})
NOTE_KEYS = frozenset({"notes", "night_contact"})

ENTITY = {"promoter_contacts": "promoter", "notes": "submission", "submissions": "submission",
          "incidents": "incident", "drafts": "draft"}

# Each kind's due records as (id, key, at, summary); ``:cutoff`` is the stored time before
# which its period has run out.
_DUE = {
    "promoter_contacts": """
        SELECT p.id, p.name AS key, coalesce(l.last, p.updated_at) AS at,
               trim(coalesce(p.company, '') || ' ' || coalesce(p.phone, '') || ' ' ||
                    coalesce(p.email, '')) AS summary
        FROM promoters p LEFT JOIN (SELECT promoter_id, max(starts_at) AS last FROM submissions
                                    GROUP BY promoter_id) l ON l.promoter_id = p.id
        WHERE p.anonymised_at IS NULL AND coalesce(l.last, p.updated_at) < :cutoff {contacts}""",
    "notes": """
        SELECT s.id, s.reference AS key, s.starts_at AS at, s.event_name AS summary
        FROM submissions s
        WHERE s.starts_at < :cutoff AND (coalesce(s.notes, '') != ''
              OR coalesce(s.night_contact, '') != ''
              OR EXISTS (SELECT 1 FROM debriefs d WHERE d.submission_id = s.id
                         AND coalesce(d.notes, '') != ''))""",
    "submissions": """
        SELECT s.id, s.reference AS key, s.starts_at AS at, s.event_name AS summary
        FROM submissions s WHERE s.starts_at < :cutoff AND s.anonymised_at IS NULL""",
    "drafts": """
        SELECT d.id, 'D-' || d.id AS key, d.updated_at AS at,
               d.title || ' (' || d.username || ')' AS summary
        FROM drafts d WHERE d.updated_at < :cutoff""",
    "incidents": """
        SELECT i.id, i.reference AS key, i.occurred_at AS at,
               {category} || ' at ' || v.code AS summary
        FROM incidents i JOIN venues v ON v.id = i.venue_id
        WHERE i.occurred_at < :cutoff AND i.anonymised_at IS NULL""",
}


# An incident's category as people read it, in SQL (the review list shows it).
_CATEGORY_WORDS = ("(CASE i.category " + " ".join(
    f"WHEN '{c.value}' THEN '{c.label.replace(chr(39), chr(39) * 2)}'" for c in IncidentCategory)
    + " ELSE i.category END)")


def due_sql(kind: str, action: str, cutoff: str) -> tuple[str, dict]:
    """The query of one kind's due records, and its parameters."""
    contacts = ""
    if kind == "promoter_contacts" and action == "delete":
        contacts = ("AND (coalesce(p.company, '') != '' OR coalesce(p.phone, '') != '' "
                    "OR coalesce(p.email, '') != '')")
    return _DUE[kind].format(contacts=contacts, category=_CATEGORY_WORDS), {"cutoff": cutoff}


def redacted(detail: str | None, reason: str | None) -> tuple[str, str]:
    """An audit entry's detail and reason with every personal value anonymised."""
    try:
        data = json.loads(detail or "{}")
    except ValueError:
        data = {"text": MARK}
    if not isinstance(data, dict):
        data = {"value": MARK}
    out = {k: (MARK if k in PERSONAL and v not in (None, "", [], {}) else v)
           for k, v in data.items()}
    return (audit.detail_text(out),
            MARK if (reason or "").strip() else (reason or ""))


def members_digest(rows: list[tuple]) -> str:
    """The SHA-256 over anonymised entries as stored: ``[id, at, actor, action, entity,
    entity_id, detail, reason, prev_hash, hash]`` per entry, JSON without spaces, in id
    order, one per line (docs/audit-trail.md; re-implemented in docs/verify_audit.py)."""
    text = "\n".join(canonical.dumps(list(r)) for r in sorted(rows, key=lambda r: r[0]))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _chunks(ids: list[int], size: int = 5_000):
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


@dataclass
class Work:
    """One run's changes: records disposed of now, audit entries anonymised at ``finish``."""

    db: Database
    actor: str
    stamp: str
    # (entity, entity_ids, only entries holding these keys, or None for every entry)
    _targets: list[tuple[str, list[int], frozenset[str] | None]] = field(default_factory=list)
    _entries: list[tuple] = field(default_factory=list)

    def __post_init__(self) -> None:
        # On a server the run is recorded by the server before it changes anything: only
        # inside it, opened by an administrator's login, may records be marked anonymised
        # and their entries and comments anonymised (eventrisk.pg.schema, m020).
        if self.server:
            self.db.execute("SELECT begin_retention_run(?)", [self.stamp])

    @property
    def server(self) -> bool:
        return dialect.of(self.db).server

    def dispose(self, kind: str, action: str, ids: list[int]) -> None:
        if not ids:
            return
        if kind == "promoter_contacts":
            self._promoters(ids, rename=action == "anonymise")
        elif kind == "notes":
            self._notes(ids)
        elif kind == "submissions":
            self._submissions(ids)
        elif kind == "incidents":
            self._incidents(ids)
        elif kind == "drafts":
            for chunk in _chunks(ids):  # never audited: a draft is not a record of the desk
                self.db.execute("DELETE FROM drafts WHERE id IN (SELECT CAST(value AS INTEGER) "
                                "FROM "
                                "json_each(?))", [json.dumps(chunk)])
        else:
            raise ValueError(kind)

    def _bump(self, table: str, entity: str, ids: list[int], detail: dict) -> None:
        for chunk in _chunks(ids):
            self.db.execute(f"UPDATE {table} SET version = version + 1, updated_at = ?, "
                            "updated_by = ? WHERE id IN (SELECT CAST(value AS INTEGER) FROM "
                            "json_each(?))",
                            [self.stamp, self.actor, json.dumps(chunk)])
        audit.record_many(self.db, [(self.actor, f"{entity}.retention", entity, i, detail, "")
                                    for i in ids])

    def _promoters(self, ids: list[int], *, rename: bool) -> None:
        for chunk in _chunks(ids):
            self.db.execute(
                "UPDATE promoters SET company = '', phone = '', email = '' "
                + (", name = printf('Anonymised promoter P-%06d', id), anonymised_at = :at "
                   if rename else "")
                + "WHERE id IN (SELECT CAST(value AS INTEGER) FROM json_each(:ids))",
                {"at": self.stamp, "ids": json.dumps(chunk)})
        self._bump("promoters", "promoter", ids,
                   {"anonymised": True} if rename else {"deleted": ["company", "phone", "email"]})
        self._targets.append(("promoter", ids, None))
        # Their events' edit entries may carry the old details too.
        events = [r[0] for chunk in _chunks(ids) for r in self.db.execute(
            "SELECT id FROM submissions WHERE promoter_id IN (SELECT CAST(value AS INTEGER) "
            "FROM json_each(?))",
            [json.dumps(chunk)])]
        self._targets.append(("submission", events,
                              frozenset({"promoter_name", "promoter_company", "promoter_phone",
                                         "promoter_email"})))

    def _notes(self, ids: list[int]) -> None:
        for chunk in _chunks(ids):
            self.db.execute("UPDATE submissions SET notes = '', night_contact = '' "
                            "WHERE id IN (SELECT CAST(value AS INTEGER) FROM json_each(?))",
                            [json.dumps(chunk)])
            self.db.execute("UPDATE debriefs SET notes = '' WHERE coalesce(notes, '') != '' "
                            "AND submission_id IN (SELECT CAST(value AS INTEGER) FROM "
                            "json_each(?))",
                            [json.dumps(chunk)])
        self._bump("submissions", "submission", ids,
                   {"deleted": ["notes", "night_contact", "debrief notes"]})
        self._targets.append(("submission", ids, NOTE_KEYS))

    def _submissions(self, ids: list[int]) -> None:
        for chunk in _chunks(ids):
            marks = {"ids": json.dumps(chunk), "at": self.stamp, "mark": MARK}
            self.db.execute("UPDATE submissions SET event_name = :mark, performers = '[]', "
                            "notes = '', night_contact = '', anonymised_at = :at "
                            "WHERE id IN (SELECT CAST(value AS INTEGER) FROM "
                            "json_each(:ids))", marks)
            self.db.execute("UPDATE debriefs SET notes = '' WHERE coalesce(notes, '') != '' "
                            "AND submission_id IN (SELECT CAST(value AS INTEGER) FROM "
                            "json_each(:ids))", marks)
            # On a server the workstations may not UPDATE reviews: a function with the
            # owner's rights does just this (eventrisk.pg.schema, m011).
            change = ("SELECT anonymise_review_comment(id) FROM reviews" if self.server else
                      "UPDATE reviews SET comment = :mark")
            self.db.execute(f"{change} WHERE coalesce(comment, '') NOT IN ('', :mark) AND "
                            "submission_id IN (SELECT CAST(value AS INTEGER) FROM "
                            "json_each(:ids))", marks)
        self._bump("submissions", "submission", ids, {"anonymised": True})
        self._targets.append(("submission", ids, None))

    def _incidents(self, ids: list[int]) -> None:
        for chunk in _chunks(ids):
            self.db.execute("UPDATE incidents SET description = ?, crime_reference = '', "
                            "anonymised_at = ? WHERE id IN (SELECT CAST(value AS INTEGER) FROM "
                            "json_each(?))",
                            [MARK, self.stamp, json.dumps(chunk)])
        self._bump("incidents", "incident", ids, {"anonymised": True})
        self._targets.append(("incident", ids, None))

    def _collect(self) -> dict[int, tuple]:
        """Entries about the disposed records still holding personal text: id → new row."""
        found: dict[int, tuple] = {}
        for entity, ids, keys in self._targets:
            for chunk in _chunks(ids):
                for row in self.db.execute(
                        "SELECT id, at, actor, action, entity, entity_id, detail, reason, "
                        "prev_hash, hash FROM audit_log WHERE entity = ? AND redacted_in IS NULL"
                        " AND entity_id IN (SELECT CAST(value AS TEXT) FROM json_each(?))",
                        [entity, json.dumps(chunk)]):
                    if row[0] in found:
                        continue
                    if keys is not None:
                        held = json.loads(row[6] or "{}")
                        if not isinstance(held, dict) or not keys & held.keys():
                            continue
                    detail, reason = redacted(row[6], row[7])
                    if (detail, reason) != (row[6], row[7] or ""):
                        found[row[0]] = (*row[:6], detail, reason, *row[8:])
        return found

    def finish(self, action: str, detail: dict, reason: str = "", *, entity: str = "",
               entity_id: object = "") -> tuple[int, int]:
        """Anonymise the entries about what was disposed of, and append the run's own entry
        (``action``, with ``detail``, the moment it was made as of, and the members' digest:
        verify checks each record it anonymised was due by then).  Returns (entries anonymised,
        the run entry's position)."""
        members = self._collect()
        rows = list(members.values())
        audit.record(self.db, self.actor, action, entity, entity_id,
                     {**detail, "as_of": self.stamp, "anonymised_entries": len(rows),
                      "members_digest": members_digest(rows) if rows else None}, reason)
        position = audit.head(self.db)[0]
        change = ("SELECT anonymise_audit_entry(CAST(? AS BIGINT), ?, ?, ?)" if self.server else
                  "UPDATE audit_log SET redacted_in = ?, detail = ?, reason = ? WHERE id = ?")
        if self.server:
            self.db.conn.executemany(change, [(r[0], r[6], r[7], position) for r in rows])
        else:
            self.db.conn.executemany(change, [(position, r[6], r[7], r[0]) for r in rows])
            forget_searched_words(self.db)
        return len(rows), position


def forget_searched_words(db: Database) -> None:
    """Merge the full-text index of events into one segment.  Anonymising an event name only
    adds a delete marker to the index: the old words stay in the index's older segments
    until a merge drops them, readable in the file's bytes.  'optimize' merges every
    segment now (the pages it frees are zeroed: ``eventrisk.db.connect``).  A desk file
    only: on a server the index is a GIN expression index, and dead row versions are the
    server's VACUUM's (docs/postgresql.md)."""
    db.execute("INSERT INTO submissions_fts (submissions_fts) VALUES ('optimize')")
