"""The feature catalogue: every value a rule may test, with its type, unit and meaning.

This is the scorer's whole vocabulary.  The rules loader rejects any name not declared here,
and ``tests/core/test_fairness.py`` checks that nothing here describes music genre or style,
ethnicity, nationality, religion or audience demographics, or a proxy for them.
"""

from __future__ import annotations

from dataclasses import dataclass

from eventrisk.model import EventType, SearchRegime, Ticketing


@dataclass(frozen=True)
class Feature:
    """One feature: ``type`` is number, count, bool or enum (then ``choices`` lists values)."""

    name: str
    type: str
    unit: str
    description: str
    group: str
    choices: tuple[str, ...] = ()
    window_months: int = 0  # history features: how far back they look
    categories: tuple[str, ...] = ()  # history features: which incident categories count


WINDOWS = (6, 12, 24)

# Incident kinds the history features are split by, and the categories each counts.
INCIDENT_KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "violence": ("violent incidents of any kind",
                 ("violence_with_injury", "violence_without_injury", "knife", "firearm",
                  "sexual_offence", "disorder")),
    "injury": ("violence with injury", ("violence_with_injury",)),
    "knife": ("knife incidents", ("knife",)),
    "firearm": ("firearm incidents", ("firearm",)),
    "sexual": ("sexual offences", ("sexual_offence",)),
    "disorder": ("disorder", ("disorder",)),
    "drugs": ("drugs supply", ("drugs_supply",)),
}

SEVERITY_WEIGHT = {1: 0.5, 2: 1.0, 3: 2.0}
LOCATION_WEIGHT = {"inside": 1.0, "door": 1.0, "outside_nearby": 0.5}
WEIGHTING = ("each incident counts its severity weight (minor 0.5, moderate 1, serious 2) "
             "times its location weight (inside or at the door 1, outside nearby 0.5)")


def _event_features() -> list[Feature]:
    e = "event"
    return [
        Feature("expected_attendance", "count", "people", "Expected attendance stated by the "
                "promoter", e),
        Feature("capacity", "count", "people", "The venue's licensed capacity", e),
        Feature("attendance_ratio", "number", "ratio", "Expected attendance divided by "
                "licensed capacity (1.0 = full)", e),
        Feature("duration_hours", "number", "hours", "Time from start to end, in real hours "
                "(right across midnight and clock changes)", e),
        Feature("hours_after_midnight", "number", "hours", "Real hours the event runs past "
                "the midnight after it starts", e),
        Feature("finish_after_licence_hours", "number", "hours", "Hours the end is later than "
                "the venue's latest licensed finish (0 if within it or not known)", e),
        Feature("door_supervisors_required", "count", "people", "SIA door supervisors the "
                "common condition asks for: 2 for the first 100, then 1 per further 100 or "
                "part of 100", e),
        Feature("door_supervisors_provided", "count", "people", "SIA door supervisors the "
                "promoter will provide (0 if not stated)", e),
        Feature("door_supervisor_shortfall", "count", "people", "Required minus provided door "
                "supervisors, never below 0", e),
        Feature("search_regime", "enum", "", "Entry search regime ('unknown' if not stated)",
                e, tuple(r.value for r in SearchRegime) + ("unknown",)),
        Feature("search_strength", "count", "level", "Search regime as a level: 0 none or "
                "unknown, 1 bag search, 2 pat-down, 3 wand, 4 search arch", e),
        Feature("ticketing", "enum", "", "How tickets are sold (not_stated if the promoter "
                "did not say)", e, (*(t.value for t in Ticketing), "not_stated")),
        Feature("door_only_ticketing", "bool", "", "Tickets are sold only on the door", e),
        Feature("event_type", "enum", "", "Kind of event", e, tuple(t.value for t in EventType)),
        Feature("under_18_entry", "bool", "", "People under 18 may enter", e),
        Feature("under_18_with_alcohol", "bool", "", "Under-18 entry while alcohol is on sale", e),
        Feature("alcohol", "bool", "", "Alcohol is on sale", e),
        Feature("id_scanning", "bool", "", "ID scanning at entry (false if not stated)", e),
        Feature("cctv", "bool", "", "CCTV in operation, by the promoter or the venue", e),
        Feature("dispersal_plan", "bool", "", "A written dispersal plan (false if not stated)",
                e),
        Feature("medical_cover", "bool", "", "Medical cover on site (false if not stated)", e),
        Feature("days_notice", "number", "days", "Days between receiving the submission and "
                "the start (14 expected)", e),
        Feature("information_completeness", "number", "ratio", "Share of the security and "
                "welfare answers the promoter actually stated", e),
    ]


def _history_features() -> list[Feature]:
    out = []
    for kind, (words, cats) in INCIDENT_KINDS.items():
        for months in WINDOWS:
            out.append(Feature(f"venue_{kind}_{months}m", "number", "weighted incidents",
                               f"Weighted {words} at the venue in the {months} months before "
                               f"the assessment; {WEIGHTING}", "venue history",
                               window_months=months, categories=cats))
            out.append(Feature(f"venue_{kind}_{months}m_count", "count", "incidents",
                               f"Number of {words} at the venue in the {months} months before "
                               f"the assessment", "venue history", window_months=months,
                               categories=cats))
    out += [
        Feature("venue_incidents_12m_count", "count", "incidents", "All recorded incidents at "
                "the venue in the last 12 months", "venue history", window_months=12,
                categories=("violence_with_injury", "violence_without_injury", "knife",
                            "firearm", "sexual_offence", "drugs_supply", "disorder", "other")),
        Feature("promoter_incidents_24m_count", "count", "incidents", "Incidents linked to the "
                "promoter's previous events in the last 24 months", "promoter history",
                window_months=24),
        Feature("promoter_incidents_24m", "number", "weighted incidents", "Weighted incidents "
                f"linked to the promoter's previous events in the last 24 months; {WEIGHTING}",
                "promoter history", window_months=24),
        Feature("last_debrief_incidents", "count", "incidents", "Incidents noted at the debrief "
                "of the venue's most recent debriefed event (0 if none)", "venue history"),
        Feature("last_debrief_had_incidents", "bool", "", "The venue's most recent debrief "
                "recorded incidents", "venue history"),
        Feature("months_since_last_debrief", "number", "months", "Months since the venue's most "
                "recent debriefed event (99 if none)", "venue history"),
        Feature("same_night_borough_events", "count", "events", "Other events on the same "
                "night in the same borough", "borough"),
    ]
    return out


CATALOGUE: dict[str, Feature] = {f.name: f for f in _event_features() + _history_features()}

HISTORY_FEATURES = tuple(n for n, f in CATALOGUE.items() if f.group != "event")
