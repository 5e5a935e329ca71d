"""The append-only audit log: every change of state and every edit, hash-chained.

Each entry stores the hash of the entry before it and the SHA-256 of its own content
(which includes that previous hash), so removing, editing or reordering any entry breaks
the chain from that point on.  SQL triggers also refuse UPDATE and DELETE on the table.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

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
    return json.dumps([prev_hash, at, actor, action, entity, entity_id, detail, reason],
                      ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _content_hash(*fields: str | None) -> str:
    return hashlib.sha256(canonical(*fields)).hexdigest()


def head(db: Database) -> tuple[int, str]:
    """(position, hash) of the newest entry: (0, genesis) for an empty log."""
    row = db.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    return (row[0], row[1]) if row else (0, GENESIS)


def head_hash(db: Database) -> str:
    """The hash of the newest entry (the genesis hash for an empty log)."""
    return head(db)[1]


def _detail_text(detail: dict | None) -> str:
    return json.dumps(detail or {}, ensure_ascii=False, sort_keys=True, default=str)


def record(db: Database, actor: str, action: str, entity: str = "", entity_id: Any = "",
           detail: dict | None = None, reason: str = "") -> str:
    """Append one entry; call inside the transaction that makes the change.  Returns its hash."""
    return record_many(db, [(actor, action, entity, entity_id, detail, reason)])[-1]


def record_many(db: Database, entries: list[tuple[str, str, str, Any, dict | None, str]]
                ) -> list[str]:
    """Append several entries in order, in one statement (bulk paths: one per snapshot or
    imported row).  Each is ``(actor, action, entity, entity_id, detail, reason)``."""
    at = to_db(now_utc())
    prev = head_hash(db)
    rows, hashes = [], []
    for actor, action, entity, entity_id, detail, reason in entries:
        fields = (prev, at, actor, action, entity or "", str(entity_id), _detail_text(detail),
                  (reason or "").strip())
        digest = _content_hash(*fields)
        rows.append((*fields[1:], prev, digest))
        hashes.append(digest)
        prev = digest
    db.conn.executemany(
        "INSERT INTO audit_log (at, actor, action, entity, entity_id, detail, reason, prev_hash,"
        " hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return hashes


def verify(db: Database) -> VerifyResult:
    """Walk the whole chain in order, streaming rows, and report the first break (the chain
    alone; ``eventrisk.verify`` adds positions, the tables and witnesses)."""
    prev = GENESIS
    count = 0
    cursor = db.execute(
        "SELECT id, at, actor, action, entity, entity_id, detail, reason, prev_hash, hash "
        "FROM audit_log ORDER BY id"
    )
    for row in cursor:
        entry_id, at, actor, action, entity, entity_id, detail, reason, prev_hash, digest = row
        if prev_hash != prev:
            return VerifyResult(False, count, entry_id,
                                "it does not follow the entry before it (an entry was removed "
                                "or reordered)")
        expected = _content_hash(prev_hash, at, actor, action, entity, entity_id, detail,
                                 reason)
        if expected != digest:
            return VerifyResult(False, count, entry_id, "its content was changed after it was "
                                                         "written")
        prev = digest
        count += 1
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
