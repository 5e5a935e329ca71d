"""The risk queue: what needs a decision, most urgent first, filtered and sorted in SQL."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlite_utils import Database

from eventrisk import dialect
from eventrisk.errors import ValidationError
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
    assigned_to: int | None = None  # a user's id: the events they look after
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
    key: tuple = ()  # its sort key in the order it was fetched: where the next page starts

    @property
    def late(self) -> bool:
        """Received with less than the expected 14 days' notice."""
        return self.days_notice < LATE_NOTICE_DAYS


def _action_rank(role: Role) -> str:
    if role in (Role.SUPERVISOR, Role.ADMIN):
        return ("(CASE status WHEN 'in_review' THEN 0 WHEN 'returned' THEN 1 WHEN 'received' "
                "THEN 1 WHEN 'assessed' THEN 1 ELSE 2 END)")
    return ("(CASE status WHEN 'returned' THEN 0 WHEN 'received' THEN 0 WHEN 'assessed' THEN 0 "
            "WHEN 'in_review' THEN 1 ELSE 2 END)")


# The grade's place in the desk order, most serious first: the grade rank turned round, and an
# event nobody has scored yet (grade_rank -1) taken as CRITICAL until it is, so that it sits
# with the CRITICAL events in start order and never sinks below LOW (docs/queue.md).  Written
# exactly as its indexes are (m023): the query-plan tests fail if they ever part.
UNSCORED_AS = Grade.CRITICAL
GRADE_ORDER = (f"(CASE WHEN grade_rank >= 0 THEN -grade_rank ELSE -{UNSCORED_AS.rank} END)")


# Each sort's leading key, written exactly as its index is (m009), so that SQLite walks the
# index instead of sorting a million rows; the tie-breaks are the start and the id.
SORT_COLUMNS = {
    "reference": "s.reference", "start": "s.starts_at", "event": "s.event_name",
    "venue": "s.sort_venue", "borough": "s.sort_borough", "grade": "s.grade_rank",
    "score": "coalesce(s.score, -1)", "status": "s.status",
    "notice": "(julianday(s.starts_at) - julianday(s.received_at))",
    "officer": "s.sort_officer",
}
BULK_STATUSES = frozenset({"debriefed", "cancelled"})  # most rows of a decade: not selective
COUNT_CAP = 10_000  # beyond this the queue says "10,000+" rather than counting every row


def _terms(sort: str, role: Role) -> list[str]:
    """The ORDER BY terms of a sort, every one in the same direction (so that a page can
    start after a row with one row-value comparison).  An unknown sort is bad input."""
    if sort != "action" and sort not in SORT_COLUMNS:
        known = ", ".join(["action", *SORT_COLUMNS])
        raise ValidationError([("sort", f"'{sort}' is not a way to sort the queue; use one "
                                        f"of: {known}")])
    if sort == "action":
        # What needs this role first, then the highest grade (unscored counted as CRITICAL),
        # then the soonest.
        return [_action_rank(role).replace("status", "s.status"),
                GRADE_ORDER.replace("grade_rank", "s.grade_rank"), "s.starts_at", "s.id"]
    if sort == "start":
        return ["s.starts_at", "s.id"]
    return [SORT_COLUMNS[sort], "s.starts_at", "s.id"]


_FROM = """
FROM submissions s JOIN venues v ON v.id = s.venue_id LEFT JOIN users u ON u.id = s.assigned_to
"""


_REFERENCE_TYPED = re.compile(r"^ER-[0-9]{4}(-[0-9]{0,6})?$")


def _typed_reference(flt: QueueFilter) -> str | None:
    """The search text when it is a reference, whole or being typed (``ER-2026-0001``)."""
    found = _REFERENCE_TYPED.match(flt.text.strip().upper())
    return found.group(0) if found else None


def _common(db: Database, text: str) -> bool:
    """Whether a search matches so many events (1% or more) that walking the sort's index and
    testing each event finds a page sooner than sorting every match.  Estimated from the
    full-text indexes alone, in a few milliseconds."""
    sql = dialect.of(db)
    q = fts_query(text, sql)
    events = db.execute(f"SELECT count(*) FROM ({sql.matching('submissions')}) AS m",
                        [q]).fetchone()[0]
    venues = db.execute(f"SELECT count(*) FROM ({sql.matching('venues')}) AS m",
                        [q]).fetchone()[0]
    total = db.execute("SELECT max(id) FROM submissions").fetchone()[0] or 1
    per_venue = total / max(1, db.execute("SELECT max(id) FROM venues").fetchone()[0] or 1)
    return (events + venues * per_venue) >= 0.01 * total


def _where(flt: QueueFilter, walk_text: bool = False,
           sql: dialect.Dialect = dialect.SQLITE) -> tuple[str, list[object]]:
    clauses: list[str] = []
    params: list[object] = []
    if flt.upcoming_only:
        clauses.append("s.ends_at >= ?")
        params.append(to_db(flt.now))
    if flt.statuses:
        # Debriefed and cancelled events are most of a decade's desk: filtering on them
        # through the status index would mean sorting hundreds of thousands of rows, so the
        # sort's own index is walked instead (unary + keeps SQLite off the status index).
        bulk = not flt.upcoming_only and set(flt.statuses) <= BULK_STATUSES
        clauses.append(f"{sql.plus if bulk else ''}s.status IN "
                       f"({', '.join('?' for _ in flt.statuses)})")
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
    if flt.assigned_to is not None:
        clauses.append("s.assigned_to = ?")
        params.append(flt.assigned_to)
    whole = _typed_reference(flt)
    if whole:  # a reference, whole or being typed: the unique index, not full text
        if len(whole) == 14:
            clauses.append("s.reference = ?")
            params.append(whole)
        else:
            clauses.append(sql.glob("s.reference"))
            params.extend(sql.glob_params(whole + "*"))
    elif flt.text.strip():
        # On the default view the few thousand events not yet over are read first and each is
        # tested against the matches (unary +); over every event, a common word walks the
        # sort's index the same way, and a rare one lets its matches lead.
        plus = sql.plus if flt.upcoming_only or walk_text else ""
        clauses.append(f"({plus}s.id IN ({sql.matching('submissions')}) OR "
                       f"{plus}s.venue_id IN ({sql.matching('venues')}))")
        q = fts_query(flt.text, sql)
        params.extend([q, q])
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def count(db: Database, flt: QueueFilter, cap: int | None = COUNT_CAP) -> int:
    """How many submissions match the filter, counting no further than ``cap`` + 1 (so a
    caller can say "10,000+" without reading 685,000 rows)."""
    where, params = _where(flt, sql=dialect.of(db))
    if cap is None:
        return db.execute(f"SELECT count(*) {_FROM} {where}", params).fetchone()[0]
    return db.execute(f"SELECT count(*) FROM (SELECT 1 {_FROM} {where} LIMIT ?) AS page",
                      [*params, cap + 1]).fetchone()[0]


def fetch(db: Database, flt: QueueFilter, *, role: Role = Role.OFFICER, sort: str = "action",
          descending: bool = False, offset: int = 0, limit: int = 100,
          after: tuple | None = None) -> list[QueueRow]:
    """One page of the queue.  ``sort="action"`` is the desk's default order: what needs this
    role's action first, then the highest grade, then the soonest event.

    ``after``: the ``key`` of the last row of the page before; the page seeks straight to it
    through the sort's index (keyset pagination), where ``offset`` would read every row
    before it."""
    text = flt.text.strip()
    walk = bool(text) and not flt.upcoming_only and not _typed_reference(flt) \
        and _common(db, text)
    sql = dialect.of(db)
    where, params = _where(flt, walk_text=walk, sql=sql)
    terms = _terms(sort, role)
    direction = "DESC" if descending and sort != "action" else "ASC"
    if after is not None:
        where += (" AND " if where else " WHERE ") + \
            f"({', '.join(terms)}) {'<' if direction == 'DESC' else '>'} " \
            f"({', '.join('?' for _ in terms)})"
        params = [*params, *after]
        offset = 0
    # Events not yet over are a few thousand even on a decade's desk: read them through the
    # ends_at index and sort them, rather than walk a sort index across every past event
    # (unary + keeps SQLite from choosing the sort index).
    shown = [(sql.plus + t if flt.upcoming_only else t) for t in terms]
    order = ", ".join(f"{t} {direction}" for t in shown)
    query = (f"SELECT s.id, s.reference, s.event_name, s.starts_at, s.ends_at, v.name, v.borough,"
           f" s.grade, s.score, s.status,"
           f" julianday(s.starts_at) - julianday(s.received_at) AS notice,"
           f" coalesce(u.display_name, '') AS assigned, s.version, {', '.join(terms)}"
           f" {_FROM} {where} ORDER BY {order} LIMIT ? OFFSET ?")
    rows = db.execute(query, [*params, limit, offset]).fetchall()
    return [QueueRow(r[0], r[1], r[2], from_db(r[3]), from_db(r[4]), r[5], r[6],
                     Grade(r[7]) if r[7] else None, r[8], Status(r[9]), round(r[10] or 0, 1),
                     r[11], r[12], tuple(r[13:])) for r in rows]
