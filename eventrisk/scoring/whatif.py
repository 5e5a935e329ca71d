"""What-if: measures an officer can try, scored live without saving, and the condition each
becomes once agreed."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from eventrisk.errors import ValidationError
from eventrisk.model import SearchRegime, Submission, Ticketing
from eventrisk.scoring import history
from eventrisk.scoring.features import FeatureSet, assumed_features, event_features
from eventrisk.scoring.rulebook import active_ruleset
from eventrisk.scoring.scorer import Assessment, RuleChange, compare, score
from eventrisk.scoring.service import iter_features
from eventrisk.timeutil import british_time, now_utc


@dataclass(frozen=True)
class Measure:
    """A submission field the what-if panel can change, and how it prints as a condition."""

    field: str
    label: str


MEASURES = (
    Measure("expected_attendance", "Attendance (a cap)"),
    Measure("door_supervisors", "SIA door supervisors"),
    Measure("search_regime", "Search regime"),
    Measure("end", "Finish time"),
    Measure("ticketing", "Ticketing"),
    Measure("min_age", "Minimum age"),
    Measure("id_scanning", "ID scanning"),
    Measure("cctv", "CCTV"),
    Measure("dispersal_plan", "Dispersal plan"),
    Measure("medical_cover", "Medical cover"),
)
MEASURE_FIELDS = frozenset(m.field for m in MEASURES)


def apply_measures(sub: Submission, changes: dict[str, Any]) -> Submission:
    """A copy of ``sub`` with the proposed measures; ``ValidationError`` for bad ones."""
    problems = []
    for key, value in changes.items():
        if key not in MEASURE_FIELDS:
            problems.append((key, f"'{key}' is not a measure that can be tried"))
        elif key == "expected_attendance" and (not isinstance(value, int)
                                               or not 1 <= value <= 100_000):
            problems.append((key, "Attendance must be a whole number from 1 to 100,000"))
        elif key == "door_supervisors" and (not isinstance(value, int) or value < 0):
            problems.append((key, "SIA door supervisors must be a whole number, 0 or more"))
        elif key == "min_age" and (not isinstance(value, int) or not 0 <= value <= 25):
            problems.append((key, "Minimum age must be a whole number from 0 to 25"))
        elif key == "end" and (not isinstance(value, datetime) or value <= sub.start):
            problems.append((key, "The finish must be after the start"))
        elif key == "search_regime" and not isinstance(value, SearchRegime):
            problems.append((key, "Choose a search regime"))
        elif key == "ticketing" and not isinstance(value, Ticketing):
            problems.append((key, "Choose how tickets are sold"))
    if problems:
        raise ValidationError(problems)
    return replace(sub, **changes)


def condition_text(field: str, value: Any) -> str:
    """The agreed measure as it prints among the conditions."""
    if field == "expected_attendance":
        return f"No more than {value:,} people admitted, counted on entry."
    if field == "door_supervisors":
        return f"At least {value} SIA door supervisors on duty throughout."
    if field == "search_regime":
        return f"Entry search: {value.label.lower()} for every customer."
    if field == "end":
        return f"The event ends, and music stops, by {british_time(value)}."
    if field == "ticketing":
        return f"Ticketing: {value.label.lower()}."
    if field == "min_age":
        return "Over-18s only; ID checked on entry." if value >= 18 else \
            f"Minimum age {value}; ID checked on entry."
    words = {"id_scanning": "ID scanned on entry for every customer.",
             "cctv": "CCTV in operation, recordings kept for 31 days.",
             "dispersal_plan": "Written dispersal plan agreed with the borough.",
             "medical_cover": "Medical cover on site throughout the event."}
    return words[field] if value else f"No {field.replace('_', ' ')}."


@dataclass(frozen=True)
class WhatIfResult:
    """A proposed set of measures: the new assessment and the difference rule by rule."""

    base: Assessment
    proposed: Assessment
    changes: tuple[RuleChange, ...]


class WhatIf:
    """A submission ready for live what-if: history is read once, then each try is pure."""

    def __init__(self, db: Database, submission_id: int, now: datetime | None = None):
        self.now = now or now_utc()
        self.ruleset = active_ruleset(db)
        scored = next(iter_features(db, "s.id = :id", {"id": submission_id}, self.now))
        self.submission = scored.submission
        self.venue = scored.venue
        self._history = scored.history.values
        self._refs = history.incident_refs(db, scored.history, set(scored.history.values))
        self._as_of = scored.as_of
        self.base = score(FeatureSet(scored.values, self._refs,
                                     assumed_features(scored.submission)), self.ruleset)

    def features_for(self, sub: Submission) -> FeatureSet:
        """The feature set for a variant of the submission."""
        return FeatureSet(event_features(sub, self.venue, self._as_of) | self._history,
                          self._refs, assumed_features(sub))

    def try_measures(self, changes: dict[str, Any]) -> WhatIfResult:
        """Score the submission with ``changes`` applied, without saving anything."""
        variant = apply_measures(self.submission, changes)
        proposed = score(self.features_for(variant), self.ruleset)
        return WhatIfResult(self.base, proposed, tuple(compare(self.base, proposed)))
