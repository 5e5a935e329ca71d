"""Issuing an assessment: the PDF's SHA-256 is recorded and the status moves to issued."""

from __future__ import annotations

import hashlib

from sqlite_utils import Database

from eventrisk import workflow
from eventrisk.model import User
from eventrisk.timeutil import now_utc, to_db


def issue(db: Database, actor: User, submission_id: int, pdf: bytes,
          expected_version: int | None = None) -> str:
    """Record that ``pdf`` was issued to the borough; returns its SHA-256.  Audited."""
    digest = hashlib.sha256(pdf).hexdigest()
    with db.atomic():
        workflow.apply(db, actor, submission_id, "issue", detail={"sha256": digest},
                       expected_version=expected_version)
        assessment = db.execute("SELECT assessment_id FROM submissions WHERE id = ?",
                                [submission_id]).fetchone()[0]
        db.execute("INSERT INTO issued_documents (submission_id, assessment_id, sha256, issued_at,"
                   " issued_by) VALUES (?, ?, ?, ?, ?)",
                   [submission_id, assessment, digest, to_db(now_utc()), actor.username])
    return digest
