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


def _content_hash(prev_hash: str, at: str, actor: str, action: str, entity: str,
                  entity_id: str, detail: str, reason: str) -> str:
    payload = json.dumps([prev_hash, at, actor, action, entity, entity_id, detail, reason],
                         ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def head_hash(db: Database) -> str:
    """The hash of the newest entry (the genesis hash for an empty log)."""
    row = db.execute("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    return row[0] if row else GENESIS


def record(db: Database, actor: str, action: str, entity: str = "", entity_id: Any = "",
           detail: dict | None = None, reason: str = "") -> str:
    """Append one entry; call inside the transaction that makes the change.  Returns its hash."""
    at = to_db(now_utc())
    detail_text = json.dumps(detail or {}, ensure_ascii=False, sort_keys=True, default=str)
    prev = head_hash(db)
    digest = _content_hash(prev, at, actor, action, entity, str(entity_id), detail_text, reason)
    db.execute(
        "INSERT INTO audit_log (at, actor, action, entity, entity_id, detail, reason, prev_hash,"
        " hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [at, actor, action, entity, str(entity_id), detail_text, reason, prev, digest],
    )
    return digest


def verify(db: Database) -> VerifyResult:
    """Walk the whole chain in order, streaming rows, and report the first break."""
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
        expected = _content_hash(prev_hash, at, actor, action, entity or "", entity_id or "",
                                 detail or "{}", reason or "")
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
