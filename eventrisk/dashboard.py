"""The supervisor's dashboard: the coming days at a glance, all counted in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlite_utils import Database

from eventrisk import queue
from eventrisk.model import Grade, Role
from eventrisk.timeutil import local_midnight_utc, now_utc, to_db, to_local


@dataclass(frozen=True)
class Dashboard:
    """Counts by borough and grade, and the lists that need attention."""

    first_day: date
    last_day: date
    by_borough: dict[str, dict[str, int]]  # borough -> grade (or "NOT SCORED") -> events
    pending_reviews: list[queue.QueueRow]
    late: list[queue.QueueRow]
    high_risk: list[queue.QueueRow]


def build(db: Database, days: int = 7, limit: int = 100) -> Dashboard:
    """The next ``days`` days from today (London time)."""
    now = now_utc()
    first = to_local(now).date()
    last = first + timedelta(days=days - 1)
    rows = db.execute(
        "SELECT v.borough, coalesce(s.grade, 'NOT SCORED'), count(*) FROM submissions s "
        "JOIN venues v ON v.id = s.venue_id WHERE s.starts_at >= ? AND s.starts_at < ? "
        "AND s.status != 'cancelled' GROUP BY 1, 2",
        [to_db(now), to_db(local_midnight_utc(last + timedelta(days=1)))]).fetchall()
    by_borough: dict[str, dict[str, int]] = {}
    for borough, grade, n in rows:
        by_borough.setdefault(borough, {})[grade] = n
    window: dict[str, Any] = {"date_from": first, "date_to": last, "now": now}
    active = ("received", "assessed", "in_review", "returned", "approved", "issued")
    return Dashboard(
        first, last, by_borough,
        pending_reviews=queue.fetch(db, queue.QueueFilter(statuses=("in_review",), **window),
                                    role=Role.SUPERVISOR, limit=limit),
        late=queue.fetch(db, queue.QueueFilter(late_only=True, statuses=active, **window),
                         sort="start", limit=limit),
        high_risk=queue.fetch(db, queue.QueueFilter(grades=(Grade.CRITICAL.value,
                                                            Grade.HIGH.value),
                                                    statuses=active, **window),
                              sort="grade", descending=True, limit=limit))
