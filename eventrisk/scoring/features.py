"""Event features: pure functions of a submission, its venue and the assessment time.

History features (incidents, debriefs, other events) come from ``history.py``; together they
make a ``FeatureSet``, the only input the scorer sees.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from eventrisk.formatting import attendance_ratio
from eventrisk.model import SEARCH_STRENGTH, Submission, Ticketing, Venue
from eventrisk.timeutil import TimeParseError, local_midnight_utc, local_to_utc, night_of


@dataclass(frozen=True)
class FeatureSet:
    """Feature values by name, plus the incident references behind history features."""

    values: dict[str, float | int | bool | str]
    incident_refs: dict[str, tuple[str, ...]] = field(default_factory=dict)
    assumed: frozenset[str] = frozenset()  # scored as the worst case: not stated


def door_supervisors_required(attendance: int) -> int:
    """2 SIA door supervisors for the first 100 customers, then 1 per further 100 or part."""
    if attendance <= 0:
        return 0
    return 2 + math.ceil(max(0, attendance - 100) / 100)


def hours_after_midnight(start: datetime, end: datetime) -> float:
    """Real hours the event is open after the midnight that follows its night's evening."""
    midnight = local_midnight_utc(night_of(start) + timedelta(days=1))
    open_from = max(start, midnight)
    return max(0.0, (end - open_from).total_seconds() / 3600)


def licensed_finish(start: datetime, latest_finish: str) -> datetime | None:
    """The instant of the venue's latest licensed finish for the night of ``start``."""
    if not latest_finish:
        return None
    return _licensed_finish(night_of(start), latest_finish)


@lru_cache(maxsize=65536)
def _licensed_finish(night: date, latest_finish: str) -> datetime:
    hhmm = time.fromisoformat(latest_finish)
    day = night + timedelta(days=1) if hhmm < time(12, 0) else night
    naive = datetime.combine(day, hhmm)
    try:
        return local_to_utc(naive)
    except TimeParseError:  # inside the spring-forward gap: the hour after it
        return local_to_utc(naive + timedelta(hours=1))


_STATED = ("door_supervisors", "search_regime", "cctv", "id_scanning", "dispersal_plan",
           "medical_cover")

NOT_STATED = "not_stated"
# The features an unstated entry term makes the scorer assume the worst for.
ASSUMED = {"ticketing": frozenset({"ticketing", "door_only_ticketing"}),
           "min_age": frozenset({"under_18_entry", "under_18_with_alcohol"}),
           "alcohol": frozenset({"alcohol", "under_18_with_alcohol"})}


def assumed_features(sub: Submission) -> frozenset[str]:
    """Features scored on an assumption because the promoter did not state an entry term."""
    out: frozenset[str] = frozenset()
    for name, features in ASSUMED.items():
        if getattr(sub, name) is None:
            out |= features
    return out


def event_features(sub: Submission, venue: Venue, as_of: datetime) -> dict:
    """Every event feature of the catalogue for ``sub`` at ``venue``."""
    required = door_supervisors_required(sub.expected_attendance)
    provided = sub.door_supervisors or 0
    finish = licensed_finish(sub.start, venue.latest_finish)
    received = sub.received_at or as_of
    # An entry term the promoter did not state is scored as its worst case (ASSUMED says
    # which features that touches, so the evidence can say it was assumed).
    under_18 = sub.min_age is None or sub.min_age < 18
    alcohol = True if sub.alcohol is None else sub.alcohol
    regime = sub.search_regime.value if sub.search_regime else "unknown"
    stated = sum(getattr(sub, name) is not None for name in _STATED)
    return {
        "expected_attendance": sub.expected_attendance,
        "capacity": venue.capacity,
        "attendance_ratio": attendance_ratio(sub.expected_attendance, venue.capacity),
        "duration_hours": round((sub.end - sub.start).total_seconds() / 3600, 2),
        "hours_after_midnight": round(hours_after_midnight(sub.start, sub.end), 2),
        "finish_after_licence_hours": round(
            max(0.0, (sub.end - finish).total_seconds() / 3600) if finish else 0.0, 2),
        "door_supervisors_required": required,
        "door_supervisors_provided": provided,
        "door_supervisor_shortfall": max(0, required - provided),
        "search_regime": regime,
        "search_strength": SEARCH_STRENGTH[sub.search_regime] if sub.search_regime else 0,
        "ticketing": sub.ticketing.value if sub.ticketing else NOT_STATED,
        "door_only_ticketing": sub.ticketing in (Ticketing.DOOR_ONLY, None),
        "event_type": sub.event_type.value,
        "under_18_entry": under_18,
        "under_18_with_alcohol": under_18 and alcohol,
        "alcohol": alcohol,
        "id_scanning": bool(sub.id_scanning if sub.id_scanning is not None
                            else venue.has_id_scanner),
        "cctv": bool(sub.cctv if sub.cctv is not None else venue.has_cctv),
        "dispersal_plan": bool(sub.dispersal_plan),
        "medical_cover": bool(sub.medical_cover),
        "days_notice": round((sub.start - received).total_seconds() / 86400, 1),
        "information_completeness": round(stated / len(_STATED), 3),
    }
