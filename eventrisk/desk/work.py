"""Each person's work: what an officer must do next, what a supervisor must review, and
handing an event to another officer.  Reads check the account like every read; assigning is
a use case (supervisors), versioned and audited."""

from __future__ import annotations

from dataclasses import dataclass

from eventrisk import audit, queue, users
from eventrisk.desk.base import DeskBase
from eventrisk.errors import NotFoundError, ValidationError, WorkflowError
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
class MyWork:
    """An officer's lists: returned to them (first), theirs to assess or submit, and theirs
    waiting for a supervisor."""

    returned: list[Returned]
    to_do: list[QueueRow]
    in_review: list[QueueRow]


class WorkMixin(DeskBase):
    """My work, the review list, and assignment."""

    def my_work(self) -> MyWork:
        """The signed-in person's own events that are not finished with."""
        user = self.reader()

        def rows(*statuses: Status) -> list[QueueRow]:
            flt = QueueFilter(statuses=tuple(s.value for s in statuses),
                              assigned_to=user.id, upcoming_only=False)
            return queue.fetch(self.db, flt, role=user.role, sort="start", limit=LIST_LIMIT)

        returned = []
        for row in rows(Status.RETURNED):
            found = self.db.execute(
                "SELECT r.comment, u.display_name, r.created_at FROM reviews r JOIN users u ON "
                "u.id = r.reviewer_id WHERE r.submission_id = ? AND r.decision = 'return' "
                "ORDER BY r.id DESC LIMIT 1", [row.id]).fetchone()
            returned.append(Returned(row, *(found or ("", "", ""))))
        return MyWork(returned, rows(Status.RECEIVED, Status.ASSESSED),
                      rows(Status.IN_REVIEW))

    def review_list(self) -> list[QueueRow]:
        """Everything waiting for a supervisor's decision, the longest waiting first (by when
        the desk received it), soonest event breaking ties."""
        user = self.reader()
        rows = queue.fetch(self.db, QueueFilter(statuses=(Status.IN_REVIEW.value,),
                                                upcoming_only=False),
                           role=user.role, sort="start", limit=LIST_LIMIT)
        return sorted(rows, key=lambda r: (r.start.timestamp() - r.days_notice * 86400,
                                           r.start, r.id))

    def assignable(self) -> list[tuple[str, str]]:
        """(user name, name) of every active officer and supervisor, for assigning."""
        self.reader()
        return [(u.username, u.display_name) for u in users.list_users(self.db)
                if u.active and u.role in (Role.OFFICER, Role.SUPERVISOR)]

    def assign(self, submission_id: int, seen_version: int, username: str) -> int:
        """Hand an event to an officer (supervisors); versioned and audited.  Returns the
        new version."""
        with self.use_case("assign") as actor:
            row = self.db.execute(
                "SELECT s.version, s.status, s.reference, u.username FROM submissions s LEFT "
                "JOIN users u ON u.id = s.assigned_to WHERE s.id = ?",
                [submission_id]).fetchone()
            if row is None:
                raise NotFoundError(f"There is no submission with id {submission_id}.")
            version, status, reference, before = row
            if version != seen_version:
                from eventrisk.venues import conflict_error

                raise conflict_error(self.db, "submissions", submission_id, "submission")
            if status in (Status.CANCELLED.value, Status.DEBRIEFED.value):
                raise WorkflowError(f"{reference} is {status}; there is nothing left to "
                                    "assign.")
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
            return version + 1
