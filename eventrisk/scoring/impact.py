"""What publishing a draft ruleset would do to the grades of upcoming events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from eventrisk.model import Grade
from eventrisk.scoring.rulebook import active_ruleset
from eventrisk.scoring.rules import Ruleset
from eventrisk.scoring.scorer import quick_grade
from eventrisk.scoring.service import iter_features
from eventrisk.timeutil import now_utc


@dataclass(frozen=True)
class ImpactRow:
    """An upcoming event whose grade would change under the draft."""

    reference: str
    event_name: str
    start: datetime
    grade_before: Grade
    grade_after: Grade
    score_before: int
    score_after: int


@dataclass(frozen=True)
class Impact:
    """What publishing a draft would do to upcoming events."""

    considered: int
    up: tuple[ImpactRow, ...]
    down: tuple[ImpactRow, ...]


def impact(db: Database, draft: Ruleset, now: datetime | None = None) -> Impact:
    """Compare the active ruleset with ``draft`` over upcoming, not-cancelled events."""
    now = now or now_utc()
    current = active_ruleset(db)
    up: list[ImpactRow] = []
    down: list[ImpactRow] = []
    n = 0
    for scored in iter_features(db, "s.starts_at >= :now AND s.status != 'cancelled'", {}, now):
        n += 1
        sb, gb = quick_grade(scored.values, current)
        sa, ga = quick_grade(scored.values, draft)
        if ga != gb:
            sub = scored.submission
            row = ImpactRow(sub.reference, sub.event_name, sub.start, gb, ga, sb, sa)
            (up if ga.rank > gb.rank else down).append(row)
    up.sort(key=lambda r: r.start)
    down.sort(key=lambda r: r.start)
    return Impact(n, tuple(up), tuple(down))
