"""The risk queue: what needs a decision, most urgent first, filtered and sorted in SQL."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlite_utils import Database

from eventrisk.model import Grade, Role, Status
from eventrisk.timeutil import from_db, local_midnight_utc, now_utc, to_db
from eventrisk.venues import fts_query

LATE_NOTICE_DAYS = 14


@dataclass(frozen=True)
class QueueFilter:
    """What the queue shows.  Empty values mean "any"."""

    statuses: tuple[str, ...] = ()
    borough: str = ""
    grades: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    text: str = ""
    upcoming_only: bool = True
    late_only: bool = False
    now: datetime = field(default_factory=now_utc)


@dataclass(frozen=True)
class QueueRow:
    """One line of the queue, ready to show."""

    id: int
    reference: str
    event_name: str
    start: datetime
    end: datetime
    venue_name: str
    borough: str
    grade: Grade | None
    score: int | None
    status: Status
    days_notice: float
    assigned: str
    version: int

    @property
    def late(self) -> bool:
        """Received with less than the expected 14 days' notice."""
        return self.days_notice < LATE_NOTICE_DAYS


def _action_rank(role: Role) -> str:
    if role in (Role.SUPERVISOR, Role.ADMIN):
        return ("CASE s.status WHEN 'in_review' THEN 0 WHEN 'returned' THEN 1 WHEN 'received' "
                "THEN 1 WHEN 'assessed' THEN 1 ELSE 2 END")
    return ("CASE s.status WHEN 'returned' THEN 0 WHEN 'received' THEN 0 WHEN 'assessed' THEN 0 "
            "WHEN 'in_review' THEN 1 ELSE 2 END")


SORT_COLUMNS = {
    "reference": "s.reference", "start": "s.starts_at", "event": "s.event_name",
    "venue": "v.name", "borough": "v.borough", "grade": "s.grade_rank", "score": "s.score",
    "status": "s.status", "notice": "notice", "officer": "assigned",
}

_FROM = """
FROM submissions s JOIN venues v ON v.id = s.venue_id LEFT JOIN users u ON u.id = s.assigned_to
"""


_REFERENCE_TYPED = re.compile(r"^ER-[0-9]{4}(-[0-9]{0,6})?$")


def _where(flt: QueueFilter) -> tuple[str, list[object]]:
    clauses: list[str] = []
    params: list[object] = []
    if flt.upcoming_only:
        clauses.append("s.ends_at >= ?")
        params.append(to_db(flt.now))
    if flt.statuses:
        clauses.append(f"s.status IN ({', '.join('?' for _ in flt.statuses)})")
        params.extend(flt.statuses)
    else:  # a cancelled event needs nothing from anyone: shown only when asked for
        clauses.append("s.status != 'cancelled'")
    if flt.borough:
        clauses.append("v.borough = ?")
        params.append(flt.borough)
    if flt.grades:
        clauses.append(f"s.grade IN ({', '.join('?' for _ in flt.grades)})")
        params.extend(flt.grades)
    if flt.date_from:
        clauses.append("s.starts_at >= ?")
        params.append(to_db(local_midnight_utc(flt.date_from)))
    if flt.date_to:
        clauses.append("s.starts_at < ?")
        params.append(to_db(local_midnight_utc(flt.date_to + timedelta(days=1))))
    if flt.late_only:
        clauses.append("julianday(s.starts_at) - julianday(s.received_at) < ?")
        params.append(LATE_NOTICE_DAYS)
    reference = _REFERENCE_TYPED.match(flt.text.strip().upper())
    if reference:  # a reference, whole or being typed: the unique index, not full text
        whole = reference.group(0)
        if len(whole) == 14:
            clauses.append("s.reference = ?")
            params.append(whole)
        else:
            clauses.append("s.reference GLOB ?")
            params.append(whole + "*")
    elif flt.text.strip():
        clauses.append("(s.id IN (SELECT rowid FROM submissions_fts WHERE submissions_fts MATCH ?)"
                       " OR s.venue_id IN (SELECT rowid FROM venues_fts WHERE venues_fts MATCH ?))")
        q = fts_query(flt.text)
        params.extend([q, q])
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def count(db: Database, flt: QueueFilter) -> int:
    """How many submissions match the filter."""
    where, params = _where(flt)
    return db.execute(f"SELECT count(*) {_FROM} {where}", params).fetchone()[0]


def fetch(db: Database, flt: QueueFilter, *, role: Role = Role.OFFICER, sort: str = "action",
          descending: bool = False, offset: int = 0, limit: int = 100) -> list[QueueRow]:
    """One page of the queue.  ``sort="action"`` is the desk's default order: what needs this
    role's action first, then the highest grade, then the soonest event."""
    where, params = _where(flt)
    if sort == "action":
        order = f"{_action_rank(role)}, s.grade_rank DESC, s.starts_at, s.id"
    else:
        column = SORT_COLUMNS[sort]
        direction = "DESC" if descending else "ASC"
        order = f"{column} {direction}, s.starts_at, s.id"
    sql = (f"SELECT s.id, s.reference, s.event_name, s.starts_at, s.ends_at, v.name, v.borough,"
           f" s.grade, s.score, s.status,"
           f" julianday(s.starts_at) - julianday(s.received_at) AS notice,"
           f" coalesce(u.display_name, '') AS assigned, s.version {_FROM} {where}"
           f" ORDER BY {order} LIMIT ? OFFSET ?")
    rows = db.execute(sql, [*params, limit, offset]).fetchall()
    return [QueueRow(r[0], r[1], r[2], from_db(r[3]), from_db(r[4]), r[5], r[6],
                     Grade(r[7]) if r[7] else None, r[8], Status(r[9]), round(r[10] or 0, 1),
                     r[11], r[12]) for r in rows]
