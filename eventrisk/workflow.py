"""The life of a submission: who may move it from which status to which, with the audit trail.

``received → assessed → in_review → approved → issued → debriefed``, with side exits
``returned`` (a supervisor sends it back with a comment) and ``cancelled``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlite_utils import Database

from eventrisk import audit
from eventrisk.errors import NotFoundError, ValidationError, WorkflowError
from eventrisk.model import Grade, Status, User
from eventrisk.timeutil import now_utc, to_db
from eventrisk.users import can, require
from eventrisk.venues import conflict_error

S = Status


@dataclass(frozen=True)
class Transition:
    """An action: the permission it needs, the statuses it starts from, where it ends."""

    permission: str
    sources: frozenset[Status]
    target: Status
    needs_reason: bool = False


TRANSITIONS: dict[str, Transition] = {
    "assess": Transition("score", frozenset({S.RECEIVED, S.ASSESSED, S.RETURNED}), S.ASSESSED),
    # A returned assessment goes back to review once the officer confirms it, changed or not.
    "submit_for_review": Transition("submit_for_review", frozenset({S.ASSESSED, S.RETURNED}),
                                    S.IN_REVIEW),
    "approve": Transition("approve", frozenset({S.IN_REVIEW}), S.APPROVED),
    "return": Transition("return", frozenset({S.IN_REVIEW}), S.RETURNED, needs_reason=True),
    "override": Transition("override", frozenset({S.IN_REVIEW, S.APPROVED}), S.APPROVED,
                           needs_reason=True),
    "issue": Transition("issue", frozenset({S.APPROVED, S.ISSUED}), S.ISSUED),
    "cancel": Transition("cancel", frozenset(set(S) - {S.CANCELLED, S.DEBRIEFED}), S.CANCELLED,
                         needs_reason=True),
    # Scoring inputs of a reviewed event changed: the decision no longer stands.
    "withdraw": Transition("capture", frozenset({S.IN_REVIEW, S.APPROVED, S.ISSUED}), S.ASSESSED,
                           needs_reason=True),
    "debrief": Transition("record_debrief",
                          frozenset(set(S) - {S.CANCELLED, S.DEBRIEFED}), S.DEBRIEFED),
}

# Actions the service takes itself rather than offering as buttons.
INTERNAL = frozenset({"assess", "withdraw", "debrief"})

# Statuses in which a supervisor's decision is in force: a rescore never changes their grade
# (it records its snapshot beside the decision; see ``scoring.service``).
DECIDED = frozenset({S.APPROVED.value, S.ISSUED.value, S.DEBRIEFED.value})

# Statuses that need someone to do something, for the risk queue.
NEEDS_ACTION = {S.RECEIVED, S.RETURNED, S.ASSESSED, S.IN_REVIEW}

_REASON_FIELD = {"return": "comment", "override": "justification", "cancel": "reason",
                 "withdraw": "reason"}


def allowed_actions(user: User, status: Status) -> list[str]:
    """The actions this user could take on a submission in ``status`` (for the UI)."""
    return [name for name, t in TRANSITIONS.items()
            if name not in INTERNAL and status in t.sources and can(user, t.permission)]


def apply(db: Database, actor: User, submission_id: int, action: str, *, reason: str = "",
          detail: dict | None = None, expected_version: int | None = None,
          extra_sets: dict | None = None) -> Status:
    """Move a submission by ``action``; checks role, status, version and reason.  Audited.

    Call inside a transaction when other rows change with it; it opens its own otherwise.
    """
    t = TRANSITIONS[action]
    require(actor, t.permission)
    if t.needs_reason and not reason.strip():
        field = _REASON_FIELD[action]
        raise ValidationError([(field, f"A {field} is required to {action} an assessment")])
    with db.atomic():
        row = db.execute("SELECT status, version FROM submissions WHERE id = ?",
                         [submission_id]).fetchone()
        if row is None:
            raise NotFoundError(f"There is no submission with id {submission_id}.")
        current = Status(row[0])
        # What the user saw comes first: a decision on a stale view is refused as such.
        if expected_version is not None and row[1] != expected_version:
            raise conflict_error(db, "submissions", submission_id, "submission")
        if current not in t.sources:
            raise WorkflowError(
                f"Cannot {action.replace('_', ' ')} a submission that is {current.label.lower()}.")
        sets = {"status": t.target.value, **(extra_sets or {})}
        assignments = ", ".join(f"{k} = ?" for k in sets)
        db.execute(f"UPDATE submissions SET {assignments}, version = version + 1, updated_at = ?,"
                   " updated_by = ? WHERE id = ?",
                   [*sets.values(), to_db(now_utc()), actor.username, submission_id])
        audit.record(db, actor.username, f"submission.{action}", "submission", submission_id,
                     {"from": current.value, "to": t.target.value, **(detail or {})},
                     reason.strip())
    return t.target


def apply_many(db: Database, actor: User, submission_ids: list[int], action: str, *,
               reason: str = "", detail: dict | None = None,
               details: dict[int, dict] | None = None) -> None:
    """``apply`` to many submissions at once, for bulk paths (the demo's past): the same
    checks, row changes and audit entries, written a statement at a time; and for
    ``approve`` and ``return`` the same review rows, each naming its snapshot in force.
    ``details`` adds to one submission's audit detail."""
    t = TRANSITIONS[action]
    require(actor, t.permission)
    if t.needs_reason and not reason.strip():
        field = _REASON_FIELD[action]
        raise ValidationError([(field, f"A {field} is required to {action} an assessment")])
    if not submission_ids:
        return
    with db.atomic():
        # The snapshot in force is the latest (a rescore always points the event at its new
        # one): read by key, not searched for, as a big transaction's new rows have no
        # statistics on the server yet.
        chosen = json.dumps(submission_ids)
        found = {sid: rest for sid, *rest in db.execute(
            "SELECT s.id, s.status, a.id, a.grade FROM submissions s LEFT JOIN assessments a "
            "ON a.id = s.assessment_id WHERE s.id IN (SELECT CAST(value AS INTEGER) FROM "
            "json_each(?))", [chosen])}
        for sid in submission_ids:
            if sid not in found:
                raise NotFoundError(f"There is no submission with id {sid}.")
            current = Status(found[sid][0])
            if current not in t.sources:
                raise WorkflowError(f"Cannot {action.replace('_', ' ')} a submission that is "
                                    f"{current.label.lower()}.")
            if action in ("approve", "return") and found[sid][1] is None:
                raise WorkflowError("Score the submission before it is reviewed.")
        stamp = to_db(now_utc())
        # An approval starts a new review, as ``approve`` does: no scoring editors yet.
        editors = ", scoring_editors = '[]'" if action == "approve" else ""
        db.execute(f"UPDATE submissions SET status = ?, version = version + 1, updated_at = ?, "
                   f"updated_by = ?{editors} WHERE id IN (SELECT CAST(value AS INTEGER) FROM "
                   "json_each(?))", [t.target.value, stamp, actor.username, chosen])
        extra = (lambda sid: {"grade": found[sid][2]}) if action == "approve" else \
            (lambda sid: {})
        audit.record_many(db, [
            (actor.username, f"submission.{action}", "submission", sid,
             {"from": found[sid][0], "to": t.target.value, **extra(sid), **(detail or {}),
              **(details or {}).get(sid, {})},
             reason.strip()) for sid in submission_ids])
        if action in ("approve", "return"):
            db.conn.executemany(
                "INSERT INTO reviews (submission_id, assessment_id, reviewer_id, decision, "
                "comment, grade_before, grade_after, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(sid, found[sid][1], actor.id, action, reason.strip(), found[sid][2],
                  found[sid][2], stamp) for sid in submission_ids])


def _latest_assessment(db: Database, submission_id: int) -> tuple[int, str]:
    row = db.execute("SELECT id, grade FROM assessments WHERE submission_id = ? ORDER BY id DESC"
                     " LIMIT 1", [submission_id]).fetchone()
    if row is None:
        raise WorkflowError("Score the submission before it is reviewed.")
    return row[0], row[1]


def _review(db: Database, actor: User, submission_id: int, decision: str, comment: str,
            grade_before: str, grade_after: str) -> None:
    assessment_id, _ = _latest_assessment(db, submission_id)
    db.execute("INSERT INTO reviews (submission_id, assessment_id, reviewer_id, decision, comment,"
               " grade_before, grade_after, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
               [submission_id, assessment_id, actor.id, decision, comment, grade_before,
                grade_after, to_db(now_utc())])


def submit_for_review(db: Database, actor: User, submission_id: int,
                      expected_version: int | None = None, comment: str = "") -> Status:
    """An officer sends a scored submission to the supervisors' queue."""
    with db.atomic():
        _latest_assessment(db, submission_id)
        return apply(db, actor, submission_id, "submit_for_review", reason=comment,
                     expected_version=expected_version)


def approve(db: Database, actor: User, submission_id: int, comment: str = "", *,
            expected_version: int | None = None, detail: dict | None = None) -> Status:
    """A supervisor approves the grade as assessed."""
    with db.atomic():
        _, grade = _latest_assessment(db, submission_id)
        target = apply(db, actor, submission_id, "approve", reason=comment,
                       detail={"grade": grade, **(detail or {})},
                       expected_version=expected_version,
                       extra_sets={"scoring_editors": "[]"})  # a new review starts
        _review(db, actor, submission_id, "approve", comment, grade, grade)
    return target


def return_to_officer(db: Database, actor: User, submission_id: int, comment: str, *,
                      expected_version: int | None = None) -> Status:
    """A supervisor sends the assessment back with a comment (required)."""
    with db.atomic():
        _, grade = _latest_assessment(db, submission_id)
        target = apply(db, actor, submission_id, "return", reason=comment,
                       expected_version=expected_version)
        _review(db, actor, submission_id, "return", comment, grade, grade)
    return target


def override(db: Database, actor: User, submission_id: int, grade: Grade,
             justification: str, *, expected_version: int | None = None,
             detail: dict | None = None) -> Status:
    """A supervisor sets a different grade, with a written justification (required)."""
    with db.atomic():
        _, before = _latest_assessment(db, submission_id)
        current = db.execute("SELECT grade FROM submissions WHERE id = ?",
                             [submission_id]).fetchone()[0]
        if grade.value == current:
            raise ValidationError([("grade", f"The grade is already {grade.value}; approve it "
                                             "instead, with a comment if needed")])
        target = apply(db, actor, submission_id, "override", reason=justification,
                       detail={"grade_before": before, "grade_after": grade.value,
                               **(detail or {})},
                       expected_version=expected_version,
                       extra_sets={"override_grade": grade.value, "grade": grade.value,
                                   "grade_rank": grade.rank, "scoring_editors": "[]"})
        _review(db, actor, submission_id, "override", justification, before, grade.value)
    return target


def cancel(db: Database, actor: User, submission_id: int, reason: str, *,
           expected_version: int | None = None) -> Status:
    """Cancel an event (the promoter withdrew it, the venue refused, ...)."""
    return apply(db, actor, submission_id, "cancel", reason=reason,
                 expected_version=expected_version)


@dataclass(frozen=True)
class Review:
    """A supervisor's decision as shown on screen and on paper."""

    decision: str
    reviewer: str
    at: str
    comment: str
    grade_before: str
    grade_after: str
    assessment_id: int | None = None  # the snapshot decided on (never replaced)


def latest_review(db: Database, submission_id: int,
                  decision: str | None = None) -> Review | None:
    """The newest decision on a submission (of that ``decision`` only, when given), with the
    reviewer's name."""
    only = "" if decision is None else " AND r.decision = ?"
    row = db.execute(
        "SELECT r.decision, u.display_name, r.created_at, r.comment, r.grade_before,"
        " r.grade_after, r.assessment_id FROM reviews r JOIN users u ON u.id = r.reviewer_id"
        f" WHERE r.submission_id = ?{only} ORDER BY r.id DESC LIMIT 1",
        [submission_id] + ([] if decision is None else [decision])).fetchone()
    return Review(*row) if row else None
