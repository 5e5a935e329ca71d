"""The append-only audit log: every change of state and every edit, hash-chained.

Each entry stores the hash of the entry before it and the SHA-256 of its own content
(which includes that previous hash), so removing, editing or reordering any entry breaks
the chain from that point on.  SQL triggers also refuse UPDATE and DELETE on the table.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from eventrisk.canonical import dumps as canonical_json
from eventrisk.timeutil import now_utc, to_db

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditEntry:
    """One audit log row as shown to people."""

    id: int
    at: str
    actor: str
    action: str
    entity: str
    entity_id: str
    detail: dict
    reason: str


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of walking the chain: ``first_bad`` is the id of the first broken entry."""

    ok: bool
    count: int
    first_bad: int | None = None
    problem: str = ""


# The hashed form of an entry, documented in docs/audit-trail.md and re-implemented with the
# standard library alone in docs/verify_audit.py: a JSON array of these eight values in this
# order, UTF-8, no spaces, non-ASCII characters as themselves, SQL NULL as JSON null (so NULL
# and '' hash differently).  Its SHA-256 in lower-case hex is the entry's hash.
HASHED_FIELDS = ("prev_hash", "at", "actor", "action", "entity", "entity_id", "detail",
                 "reason")


def canonical(prev_hash: str | None, at: str | None, actor: str | None, action: str | None,
              entity: str | None, entity_id: str | None, detail: str | None,
              reason: str | None) -> bytes:
    """The exact bytes an entry's hash is taken over."""
    return canonical_json([prev_hash, at, actor, action, entity, entity_id, detail,
                           reason]).encode("utf-8")


def _content_hash(*fields: str | None) -> str:
    return hashlib.sha256(canonical(*fields)).hexdigest()


def head(db: Database) -> tuple[int, str]:
    """(position, hash) of the newest entry: (0, genesis) for an empty log."""
    row = db.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    return (row[0], row[1]) if row else (0, GENESIS)


def head_hash(db: Database) -> str:
    """The hash of the newest entry (the genesis hash for an empty log)."""
    return head(db)[1]


# What json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str) builds for every
# call, made once: the same bytes, a third faster.
_DETAIL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=str)


def detail_text(detail: dict | None) -> str:
    """An entry's detail as stored (and hashed): keys sorted, non-ASCII as itself."""
    return _DETAIL.encode(detail or {})


def snapshot_detail(assessment: int, digest: str, grade: str, score: int) -> str:
    """``detail_text`` of a snapshot's entry, written out directly: the same bytes for its
    integers, hex digest and grade name, in a ninth of the time (0.2 µs against 1.8: a bulk
    rescore writes one per snapshot, in the process that every other waits on)."""
    return (f'{{"assessment": {assessment}, "digest": "{digest}", "grade": "{grade}", '
            f'"score": {score}}}')


def record(db: Database, actor: str, action: str, entity: str = "", entity_id: Any = "",
           detail: dict | None = None, reason: str = "") -> str:
    """Append one entry; call inside the transaction that makes the change.  Returns its hash."""
    return record_many(db, [(actor, action, entity, entity_id, detail, reason)])[-1]


def record_many(db: Database, entries: list[tuple[str, str, str, Any, dict | str | None, str]]
                ) -> list[str]:
    """Append several entries in order, in one statement (bulk paths: one per snapshot or
    imported row).  Each is ``(actor, action, entity, entity_id, detail, reason)``; a detail
    already written as ``detail_text`` writes it (``snapshot_detail``) is taken as it is."""
    at = to_db(now_utc())
    prev = head_hash(db)
    rows, hashes = [], []
    for actor, action, entity, entity_id, detail, reason in entries:
        text = detail if isinstance(detail, str) else detail_text(detail)
        fields = (prev, at, actor, action, entity or "", str(entity_id), text,
                  (reason or "").strip())
        digest = _content_hash(*fields)
        rows.append((*fields[1:], prev, digest))
        hashes.append(digest)
        prev = digest
    db.conn.executemany(
        "INSERT INTO audit_log (at, actor, action, entity, entity_id, detail, reason, prev_hash,"
        " hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return hashes


# Runs that may anonymise earlier entries (``eventrisk.anonymise``); a trigger lets nothing
# else change an entry.
ANONYMISING = ("retention.apply", "retention.dispose", "promoter.erase")

ENTRY_COLUMNS = ("id, at, actor, action, entity, entity_id, detail, reason, prev_hash, hash, "
                 "redacted_in")


@dataclass
class Anonymised:
    """Anonymised entries met on a walk of the chain, checked at the end against the runs
    that anonymised them: each run's entry records how many and the digest of their content
    (``eventrisk.anonymise.members_digest``)."""

    members: dict[int, list[tuple]] = field(default_factory=dict)
    runs: dict[int, tuple[str, dict]] = field(default_factory=dict)

    def see(self, row: tuple) -> bool:
        """Note a row (as ``ENTRY_COLUMNS``); True if it is anonymised, so its content is
        checked here rather than by its hash."""
        if row[3] in ANONYMISING:
            try:
                detail = json.loads(row[6] or "{}")
            except ValueError:
                detail = {}
            self.runs[row[0]] = (row[3], detail if isinstance(detail, dict) else {})
        if row[10] is None:
            return False
        self.members.setdefault(row[10], []).append(tuple(row[:10]))
        return True

    def problems(self) -> list[tuple[int, str]]:
        """(entry, what is wrong) for every anonymised entry that no run accounts for."""
        from eventrisk.anonymise import members_digest

        out = []
        for run, rows in sorted(self.members.items()):
            first = min(r[0] for r in rows)
            if run not in self.runs or run <= first:
                out.append((first, f"it was anonymised, but entry {run} is not a retention "
                                   "run after it (changed outside EventRisk)"))
                continue
            detail = self.runs[run][1]
            if detail.get("anonymised_entries") != len(rows) or \
                    detail.get("members_digest") != members_digest(rows):
                out.append((first, f"the entries anonymised by entry {run} were changed "
                                   "afterwards (their content no longer matches its digest)"))
        for run, (_, detail) in sorted(self.runs.items()):
            if detail.get("anonymised_entries") and run not in self.members:
                out.append((run, f"entry {run} anonymised {detail['anonymised_entries']} "
                                 "entries, which are no longer marked as such"))
        return out


def verify(db: Database) -> VerifyResult:
    """Walk the whole chain in order, streaming rows, and report the first break (the chain
    alone; ``eventrisk.verify`` adds positions, the tables and witnesses).  An anonymised
    entry keeps its hash and its link; its content is checked against the run that
    anonymised it."""
    prev = GENESIS
    count = 0
    anonymised = Anonymised()
    for row in db.execute(f"SELECT {ENTRY_COLUMNS} FROM audit_log ORDER BY id"):
        entry_id, at, actor, action, entity, entity_id, detail, reason, prev_hash, digest = \
            row[:10]
        if prev_hash != prev:
            return VerifyResult(False, count, entry_id,
                                "it does not follow the entry before it (an entry was removed "
                                "or reordered)")
        if not anonymised.see(row) and digest != _content_hash(
                prev_hash, at, actor, action, entity, entity_id, detail, reason):
            return VerifyResult(False, count, entry_id, "its content was changed after it was "
                                                         "written")
        prev = digest
        count += 1
    for entry_id, problem in anonymised.problems():
        return VerifyResult(False, count, entry_id, problem)
    return VerifyResult(True, count)


def history(db: Database, entity: str, entity_id: Any, limit: int = 200) -> list[AuditEntry]:
    """Newest-first audit entries for one record."""
    rows = db.execute(
        "SELECT id, at, actor, action, entity, entity_id, detail, reason FROM audit_log "
        "WHERE entity = ? AND entity_id = ? ORDER BY id DESC LIMIT ?",
        [entity, str(entity_id), limit],
    ).fetchall()
    return [AuditEntry(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6] or "{}"), r[7] or "")
            for r in rows]
