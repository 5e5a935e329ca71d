"""Each person's work: what an officer must do next, what a supervisor must review, and
handing an event to another officer.  Reads check the account like every read; assigning is
a use case (supervisors), versioned and audited."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from eventrisk import audit, queue, submissions, users
from eventrisk.approval import bare_approval_question
from eventrisk.desk import readmodel
from eventrisk.desk.base import DeskBase
from eventrisk.errors import NotFoundError, ValidationError, WorkflowError
from eventrisk.fields import SUBMISSION_FIELDS
from eventrisk.model import Role, Status
from eventrisk.queue import QueueFilter, QueueRow
from eventrisk.timeutil import now_utc, to_db

LIST_LIMIT = 500  # a person's own lists are short; this only bounds a runaway desk


@dataclass(frozen=True)
class Returned:
    """An event a supervisor sent back, with what they said."""

    row: QueueRow
    comment: str
    by: str
    at: str


@dataclass(frozen=True)
class Draft:
    """A half-filled new submission, as its officer left it."""

    id: int
    title: str
    fields: dict[str, str]
    updated_at: str


# What a draft may hold: the submission's fields as typed, and the form's date and times.
DRAFT_KEYS = frozenset({f.name for f in SUBMISSION_FIELDS}
                       | {"day", "start_time", "end_time", "next_day", "min_age_not_stated"})
DRAFT_MAX_CHARS = 20_000


@dataclass(frozen=True)
class MyWork:
    """An officer's lists: returned to them (first), theirs to assess or submit, and theirs
    waiting for a supervisor."""

    returned: list[Returned]
    to_do: list[QueueRow]
    in_review: list[QueueRow]
    drafts: list[Draft] = field(default_factory=list)


class WorkMixin(DeskBase):
    """My work, the review list, and assignment."""

    def my_work(self) -> MyWork:
        """The signed-in person's own events that are not finished with."""
        user = self.reader()

        def rows(*statuses: Status) -> list[QueueRow]:
            flt = QueueFilter(statuses=tuple(s.value for s in statuses),
                              assigned_to=user.id, upcoming_only=False)
            return queue.fetch(self.db, flt, role=user.role, sort="start", limit=LIST_LIMIT)

        back = rows(Status.RETURNED)
        # Each one's latest return, read in one statement for the whole list.
        said = {sid: (comment or "", by or "", at or "") for sid, comment, by, at in
                self.db.execute(
                    "SELECT r.submission_id, r.comment, u.display_name, r.created_at FROM "
                    "reviews r JOIN users u ON u.id = r.reviewer_id WHERE r.id IN (SELECT "
                    "max(id) FROM reviews WHERE decision = 'return' AND submission_id IN "
                    "(SELECT CAST(value AS INTEGER) FROM json_each(?)) GROUP BY submission_id)",
                    [json.dumps([r.id for r in back])])}
        returned = [Returned(row, *said.get(row.id, ("", "", ""))) for row in back]
        return MyWork(returned, rows(Status.RECEIVED, Status.ASSESSED),
                      rows(Status.IN_REVIEW), self._drafts(user.username))

    # ---- drafts ------------------------------------------------------------------------------
    def _drafts(self, username: str) -> list[Draft]:
        return [Draft(i, t, json.loads(f), u) for i, t, f, u in self.db.execute(
            "SELECT id, title, fields, updated_at FROM drafts WHERE username = ? "
            "ORDER BY updated_at DESC, id DESC LIMIT ?", [username, LIST_LIMIT])]

    def drafts(self) -> list[Draft]:
        """The signed-in person's drafts, newest first."""
        return self._drafts(self.reader().username)

    def draft(self, draft_id: int) -> Draft:
        """One of the signed-in person's drafts (nobody else's)."""
        user = self.reader()
        row = self.db.execute("SELECT id, title, fields, updated_at FROM drafts WHERE id = ? "
                              "AND username = ?", [draft_id, user.username]).fetchone()
        if row is None:
            raise NotFoundError("That draft is not one of yours, or it was saved or "
                                "discarded.")
        return Draft(row[0], row[1], json.loads(row[2]), row[3])

    def save_draft(self, fields: dict[str, str], draft_id: int | None = None) -> Draft:
        """Keep a half-filled new submission as it is, unchecked; saving again overwrites
        the same draft."""
        problems = [(k, "is not a field of a submission") for k in sorted(set(fields)
                                                                          - DRAFT_KEYS)]
        problems += [(k, f"is longer than {DRAFT_MAX_CHARS:,} characters")
                     for k, v in fields.items() if len(str(v)) > DRAFT_MAX_CHARS]
        if problems:
            raise ValidationError(problems)
        clean = {k: str(v) for k, v in fields.items()}
        title = clean.get("event_name", "").strip()[:120] or "(no name yet)"
        with self.use_case("capture") as actor:
            stamp = to_db(now_utc())
            if draft_id is None:
                cur = self.db.execute(
                    "INSERT INTO drafts (username, title, fields, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?)", [actor.username, title, json.dumps(clean), stamp,
                                               stamp])
                draft_id = cur.lastrowid
            else:
                cur = self.db.execute(
                    "UPDATE drafts SET title = ?, fields = ?, updated_at = ? WHERE id = ? AND "
                    "username = ?", [title, json.dumps(clean), stamp, draft_id,
                                     actor.username])
                if cur.rowcount == 0:
                    raise NotFoundError("That draft is not one of yours, or it was saved or "
                                        "discarded.")
            assert draft_id is not None
            return Draft(draft_id, title, clean, stamp)

    def discard_draft(self, draft_id: int) -> None:
        """Delete one of the signed-in person's drafts (after it became a submission, or
        when they no longer want it)."""
        with self.use_case("capture") as actor:
            self.db.execute("DELETE FROM drafts WHERE id = ? AND username = ?",
                            [draft_id, actor.username])

    def review_list(self) -> list[QueueRow]:
        """Everything waiting for a supervisor's decision: first those this person may
        decide (four eyes: not the ones they captured or last edited), each part the longest
        waiting first (by when the desk received it), soonest event breaking ties."""
        user = self.reader()
        rows = queue.fetch(self.db, QueueFilter(statuses=(Status.IN_REVIEW.value,),
                                                upcoming_only=False),
                           role=user.role, sort="start", limit=LIST_LIMIT)
        blocked = {r.id for r in rows
                   if readmodel.four_eyes_blocked(self.db, user, submissions.get(self.db, r.id))}
        return sorted(rows, key=lambda r: (r.id in blocked,
                                           r.start.timestamp() - r.days_notice * 86400,
                                           r.start, r.id))

    def approval_question(self, submission_id: int) -> str:
        """What to ask before approving this event ('' when nothing): a HIGH or CRITICAL
        with no agreed conditions is approved only after one confirmation naming the
        grade."""
        state = self.assessment(submission_id, history=False)
        return bare_approval_question(state.submission.reference, state.grade,
                                      state.submission.conditions)

    def assignable(self) -> list[tuple[str, str]]:
        """(user name, name) of every active officer and supervisor, for assigning."""
        self.reader()
        return [(u.username, u.display_name) for u in users.list_users(self.db)
                if u.active and u.role in (Role.OFFICER, Role.SUPERVISOR)]

    def assign(self, submission_id: int, seen_version: int, username: str) -> int:
        """Hand an event to an officer (supervisors); versioned and audited.  Returns the
        new version."""
        with self.decision("assign", submission_id, seen_version) as (actor, sub):
            reference = sub.reference
            if sub.status in (Status.CANCELLED, Status.DEBRIEFED):
                raise WorkflowError(f"{reference} is {sub.status.value}; there is nothing "
                                    "left to assign.")
            before = self.db.execute("SELECT username FROM users WHERE id = (SELECT "
                                     "assigned_to FROM submissions WHERE id = ?)",
                                     [submission_id]).fetchone()
            before = before[0] if before else None
            target = users.find_user(self.db, username)
            if target is None or not target.active or target.role not in (Role.OFFICER,
                                                                          Role.SUPERVISOR):
                raise ValidationError([("officer", f"{username!r} is not an active officer or "
                                                   "supervisor on this desk")])
            if target.username == before:
                raise ValidationError([("officer", f"{reference} is already with "
                                                   f"{target.display_name}")])
            self.db.execute("UPDATE submissions SET assigned_to = ?, version = version + 1, "
                            "updated_at = ?, updated_by = ? WHERE id = ?",
                            [target.id, to_db(now_utc()), actor.username, submission_id])
            audit.record(self.db, actor.username, "submission.assign", "submission",
                         submission_id, {"assigned_from": before, "assigned_to": target.username})
            return sub.version + 1
