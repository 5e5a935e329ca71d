"""Band starts that meet the ruleset's target mix, found by re-grading as the scorer grades.

A grade is the band the score reaches, raised to the highest ``min_grade`` (floor) among the
rules that fired, and a supervisor's override stands whatever the bands say.  So the share of
events at a grade *or above* under a band start ``b`` is

    (overridden events held at that grade or above
     + events a fired rule's floor puts there
     + the other events scoring ``b`` or more) ÷ all events,

which depends on that grade's start alone.  The suggestion is, for each grade with a target,
the lowest whole start at which that share is no more than the target (where floors and
overrides alone exceed the target, the start stays as it is); starts are then kept strictly
rising.  The events are then re-graded under the suggested bands and the mix is
checked: within ``TOLERANCE`` of each target, or the row says why not: the floor rules (and
overrides) that alone put more events there than the target allows, or events tied at one
score that a band can only take or leave together.

The floors are those of the ruleset the bands are suggested for (its rules, by id, that fired
on each event), because that is the ruleset the new bands would be published with.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from eventrisk.model import Grade
from eventrisk.scoring.rules import Ruleset

TOLERANCE = 0.01  # one percentage point


@dataclass(frozen=True)
class MixRow:
    grade: str
    share: float  # as graded in the report
    target: float | None  # at most this share at this grade or above
    at_or_above: float
    current_min_score: int
    suggested_min_score: int | None
    # Re-graded under the suggested bands (floors applied, overrides held as they are):
    suggested_share: float | None = None
    suggested_at_or_above: float | None = None
    meets_target: bool | None = None  # within one percentage point of the target
    why_not: str = ""


def floor_of(fired: dict, floors: dict[str, Grade]) -> Grade:
    """The highest floor among the rules that fired (LOW when none sets one)."""
    grade = Grade.LOW
    for rule in fired:
        floor = floors.get(rule)
        if floor is not None and floor.rank > grade.rank:
            grade = floor
    return grade


def regrade(score: float, floor: Grade, starts: dict[Grade, int]) -> Grade:
    """The grade under band ``starts``, raised to ``floor``."""
    band = Grade.LOW
    for g in Grade:
        if score >= starts[g]:
            band = g
    return band if band.rank >= floor.rank else floor


def suggest(events: Sequence, grading: Ruleset, held: dict[int, Grade]) -> list[MixRow]:
    """The mix table: each band's share now, its target, and the suggested start with the mix
    it gives.  ``events`` have ``sid``, ``score``, ``grade`` and ``fired``; ``held`` maps the
    overridden events to the grade their override holds."""
    n = len(events)
    floors = {r.id: r.min_grade for r in grading.rules if r.min_grade is not None}
    floor = {e.sid: floor_of(e.fired, floors) for e in events}
    free = [e for e in events if e.sid not in held]
    targets = grading.targets
    current = {b.grade: b.min_score for b in grading.bands}
    starts: dict[Grade, int] = {Grade.LOW: 0}
    reasons: dict[Grade, str] = {}
    for g in list(Grade)[1:]:
        target = targets.get(g)
        if target is None:
            starts[g] = max(current[g], starts[list(Grade)[g.rank - 1]] + 1)
            continue
        fixed = sum(h.rank >= g.rank for h in held.values()) + \
            sum(floor[e.sid].rank >= g.rank for e in free)
        by_score = sorted((e.score for e in free if floor[e.sid].rank < g.rank), reverse=True)
        allowed = math.floor(target * n + 1e-9) - fixed
        if allowed < 0:  # no start can meet it: the band stays where it is
            start = current[g]
            reasons[g] = _floors_text(g, events, free, floor, floors, held, n, target)
        elif allowed >= len(by_score):
            start = 1
        else:
            start = int(by_score[allowed]) + 1
        starts[g] = max(start, starts[list(Grade)[g.rank - 1]] + 1)
    after = Counter(held.get(e.sid) or regrade(e.score, floor[e.sid], starts) for e in events)
    now = Counter(e.grade for e in events)
    rows = []
    for band in grading.bands:
        g = band.grade
        target = targets.get(g)
        at_or_above = sum(now[x] for x in Grade if x.rank >= g.rank) / n
        suggested_above = sum(after[x] for x in Grade if x.rank >= g.rank) / n
        meets = None if target is None else abs(suggested_above - target) <= TOLERANCE + 1e-12
        why = ""
        if meets is False and target is not None:
            why = reasons.get(g) or _ties_text(g, events, free, floor, starts, n, target)
        rows.append(MixRow(g.value, now[g] / n, target, at_or_above, band.min_score,
                           starts[g] if target is not None and g is not Grade.LOW else None,
                           after[g] / n, suggested_above, meets, why))
    return rows


def _floors_text(g: Grade, events, free, floor, floors, held, n: int, target: float) -> str:
    counts: Counter[str] = Counter()
    for e in free:
        for rule in e.fired:
            if floors.get(rule) is not None and floors[rule].rank >= g.rank:
                counts[rule] += 1
    pinned = sum(floor[e.sid].rank >= g.rank for e in free)
    kept = sum(h.rank >= g.rank for h in held.values())
    parts = [f"{rule} ({count:,} events)" for rule, count in counts.most_common()]
    text = (f"Floor rules alone put {pinned / n:.1%} of events at {g.value} or above, "
            f"against a target of at most {target:.0%}")
    text += (": " + ", ".join(parts)) if parts else ""
    if kept:
        text += f"; overrides hold {kept / n:.1%} there"
    return text + ". No band start can meet the target while these rules set a minimum grade."


def _ties_text(g: Grade, events, free, floor, starts, n: int, target: float) -> str:
    below = [e.score for e in free if floor[e.sid].rank < g.rank and e.score < starts[g]]
    if not below:
        return (f"Every event already reaches {g.value} or above by its floor or override, "
                "or by any start the other bands leave.")
    tied = max(below)
    count = sum(e.score == tied for e in free if floor[e.sid].rank < g.rank)
    return (f"{count:,} events share the score {tied:g}: a band starting at {tied:g} would "
            f"put more than {target:.0%} at {g.value} or above, one point higher leaves them "
            "out together.")
