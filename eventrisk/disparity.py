"""Disparity by borough and event type: calibration within groups, then error-rate balance.

**Calibration within groups** (read first).  The desk's score-to-trouble curve
(``stats.ScoreCurve``, fitted over every event of the report) gives each event the chance of
trouble its score predicts; a group's *expected* trouble is the sum over its events.  Were the
grades as right in the group as on the whole desk, its *observed* trouble would scatter round
that sum no more than a Poisson count does (a sum of independent yes/no events is less spread
than a Poisson count of the same mean, so the test errs on the side of naming nobody).  O/E
below 1 means the group's events had less trouble than their scores say: **over-graded**;
above 1, **under-graded**.  The interval is the exact (Garwood) Poisson interval of O, divided
by E, at the level that keeps the whole table's chance of naming any group by luck at 5%
(Bonferroni over the groups judged).  A group is named when that interval leaves out 1, which
is exactly when its Bonferroni-adjusted exact p-value is below 0.05.

**Error-rate balance** (read second): the share graded HIGH or above (selection rate), the
false positive rate (HIGH or above among events without trouble), the false negative rate
(below HIGH among events with trouble) and the precision (trouble among HIGH or above), each
against the desk's, with Wilson intervals at the level that covers every group and all four
measures at once (Bonferroni).  A difference is marked, never a finding: when groups' base
rates differ, a calibrated grade *must* give them different error rates.

A group is judged only with ``MIN_GROUP`` events, of which at least ``MIN_EXPECTED`` are
expected to have trouble and ``MIN_EXPECTED`` not; smaller groups are listed as too small to
judge.  ``tests/core/test_disparity.py`` and ``bench/bench_disparity.py`` show by simulation
that the table names an innocent group in at most 5% of runs and a planted one at the demo's
strength in at least 80%.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from eventrisk.model import EventType, Grade
from eventrisk.stats import Rate, ScoreCurve, normal_quantile, poisson_interval, poisson_p

FAMILY_ALPHA = 0.05  # the chance, for the whole table, of naming any group by luck alone
MIN_GROUP = 30  # events a group needs to be judged ...
MIN_EXPECTED = 5.0  # ... and this many expected with trouble, and this many without
MEASURES = ("selection", "false positive rate", "false negative rate", "precision")

DISPARITY_NOTE = (
    "Read calibration first. A grade should mean the same risk wherever it is given: a "
    "group's observed trouble is set against what the desk's own score-to-trouble curve "
    "expects for its events' scores (O/E), and a group is named only when its whole interval "
    "lies on one side of 1. Error rates come second: they show where the cost of a wrong grade "
    "falls (conditions asked of promoters whose night was calm; trouble at events graded "
    "below HIGH). When groups' trouble rates differ, no grading can be calibrated within "
    "every group and also give every group the same false positive and false negative rates "
    "(Kleinberg, Mullainathan and Raghavan 2016; Chouldechova 2017), so unequal error rates "
    "alone do not show unfair grading. A borough is a place, and a place can stand for the "
    "people who live there: a borough named here calls for a look at the rules behind it, not "
    "a conclusion about its residents. The grade also changes policing (patrols, conditions, "
    "licensing visits), and that changes the trouble recorded: more officers record more "
    "incidents, and agreed measures prevent some, so trouble is not measured independently of "
    "the grade.")


@dataclass(frozen=True)
class ErrorRates:
    """Selection rate (HIGH or above), false positive and false negative rates and precision,
    each a ``Rate``; the group's intervals are simultaneous over the table."""

    selection: Rate
    false_positive: Rate
    false_negative: Rate
    precision: Rate


@dataclass(frozen=True)
class GroupRow:
    kind: str  # "borough" or "event type"
    group: str  # as stored ("club_night", "Sutton")
    label: str  # as people read it ("Club night", "Sutton")
    events: int
    high_share: float  # graded HIGH or above
    outcome: Rate  # trouble, 95% Wilson
    comparable: bool  # judged: enough events (see the module's docstring)
    observed: int
    expected: float | None  # trouble the desk's curve expects for these scores
    oe: float | None  # observed ÷ expected
    oe_low: float | None  # simultaneous interval (Bonferroni over the groups judged)
    oe_high: float | None
    p_value: float | None  # exact Poisson, two-sided, Bonferroni-adjusted
    finding: str  # "over-graded", "under-graded" or ""
    by_grade: tuple[Rate, ...] = ()  # trouble per grade, LOW to CRITICAL, 95% Wilson
    errors: ErrorRates | None = None
    differs: tuple[str, ...] = ()  # MEASURES whose interval leaves out the desk's value
    drivers: tuple[tuple[str, float], ...] = ()  # rule, extra points per event vs the rest

    @property
    def name(self) -> str:
        """"Sutton (borough)", "Club night (event type)"."""
        return f"{self.label} ({self.kind})"

    @property
    def oe_text(self) -> str:
        """"0.42 (0.27–0.62)" as the screen and the paper print it; an en dash when the
        group was not judged."""
        if self.oe is None or self.oe_low is None or self.oe_high is None:
            return "–"
        return f"{self.oe:.2f} ({self.oe_low:.2f}–{self.oe_high:.2f})"

    def drivers_text(self, separator: str = ", ") -> str:
        """"door-shortfall +10.1, ..." (extra points per event against the rest)."""
        return separator.join(f"{rule} {points:+.1f}" for rule, points in self.drivers)


@dataclass(frozen=True)
class Disparity:
    """The disparity table and what the reader needs to read it."""

    groups: list[GroupRow]
    desk: ErrorRates | None  # the desk's own rates, 95% Wilson
    desk_by_grade: tuple[Rate, ...]
    judged: int  # groups judged: the family the 5% is shared over
    too_small: list[str]  # "Barnet (borough), 12 events", ...
    note: str  # why nothing could be judged, when nothing could


def label_of(kind: str, group: str) -> str:
    """An event type's label ("Private hire"), a borough's own name."""
    if kind == "event type":
        try:
            return EventType(group).label
        except ValueError:
            return group.replace("_", " ").capitalize()
    return group


def error_rates(selected: np.ndarray, trouble: np.ndarray, z: float | None = None) -> ErrorRates:
    """The four error-rate measures, from whether each event was graded HIGH or above and
    whether it had trouble, with Wilson intervals at ``z`` (95% by default)."""
    kw = {} if z is None else {"z": z}

    def count(mask) -> int:
        return int(np.count_nonzero(mask))
    return ErrorRates(
        Rate.of(count(selected), len(selected), **kw),
        Rate.of(count(selected & ~trouble), count(~trouble), **kw),
        Rate.of(count(~selected & trouble), count(trouble), **kw),
        Rate.of(count(selected & trouble), count(selected), **kw))


def _by_grade(rank: np.ndarray, trouble: np.ndarray) -> tuple[Rate, ...]:
    events = np.bincount(rank, minlength=len(Grade))
    troubled = np.bincount(rank, weights=trouble, minlength=len(Grade))
    return tuple(Rate.of(int(troubled[g.rank]), int(events[g.rank])) for g in Grade)


KEYS: tuple[tuple[str, Callable], ...] = (("borough", lambda e: e.borough),
                                          ("event type", lambda e: e.event_type))


@dataclass(frozen=True)
class Judgement:
    """Observed against expected trouble for each group (arrays indexed by group): what
    ``analyse`` reads, and what the simulations in tests/ and bench/ run many times."""

    events: np.ndarray
    observed: np.ndarray
    expected: np.ndarray
    judged: np.ndarray  # bool: enough events to judge
    p_value: np.ndarray  # two-sided exact Poisson, Bonferroni-adjusted (1 where not judged)
    named: np.ndarray  # -1 over-graded, +1 under-graded, 0 neither

    @property
    def family(self) -> int:
        """The number of groups judged (at least 1)."""
        return max(1, int(self.judged.sum()))


def judge(scores, outcomes, groups: Sequence[np.ndarray], alpha: float = FAMILY_ALPHA,
          chance: np.ndarray | None = None) -> Judgement:
    """O/E for every group of every grouping in ``groups`` (each an array of small integers,
    one per event: borough index, event type index...), all judged as one family.
    ``chance`` is each event's chance of trouble under the desk's curve (fitted here when
    not given)."""
    o = np.asarray(outcomes, dtype=float)
    if chance is None:
        chance = ScoreCurve(scores, o)(scores)
    events, observed, expected = [], [], []
    for index in groups:
        size = int(index.max()) + 1 if len(index) else 0
        events.append(np.bincount(index, minlength=size))
        observed.append(np.bincount(index, weights=o, minlength=size))
        expected.append(np.bincount(index, weights=chance, minlength=size))
    n, obs, exp = (np.concatenate(x) if x else np.zeros(0)
                   for x in (events, observed, expected))
    judged = (n >= MIN_GROUP) & (exp >= MIN_EXPECTED) & (n - exp >= MIN_EXPECTED)
    k = max(1, int(judged.sum()))
    p = np.ones(len(n))
    for g in np.flatnonzero(judged):
        p[g] = min(1.0, k * poisson_p(int(round(obs[g])), float(exp[g])))
    named = np.where(judged & (p < alpha), np.sign(obs - exp), 0).astype(int)
    return Judgement(n, obs.astype(int), exp, judged, p, named)


def analyse(events: Sequence, *, alpha: float = FAMILY_ALPHA) -> Disparity:
    """The disparity table over ``events`` (each with ``score``, ``grade``, ``outcome``,
    ``borough``, ``event_type`` and ``fired``)."""
    groups: list[tuple[str, str, list]] = []
    indices = []
    for kind, key in KEYS:
        members: dict[str, list] = defaultdict(list)
        for e in events:
            members[key(e)].append(e)
        names = sorted(members)
        position = {name: i for i, name in enumerate(names)}
        indices.append(np.array([position[key(e)] for e in events], dtype=int))
        groups += [(kind, name, members[name]) for name in names]
    rank = np.array([e.grade.rank for e in events], dtype=int)
    trouble = np.array([bool(e.outcome) for e in events], dtype=bool)
    selected = rank >= Grade.HIGH.rank
    troubled = int(trouble.sum())
    if not events or troubled in (0, len(events)):
        rows = [_unjudged(kind, name, group) for kind, name, group in groups]
        return Disparity(rows, error_rates(selected, trouble) if events else None,
                         _by_grade(rank, trouble), 0,
                         [r.name + f", {r.events:,} events" for r in rows],
                         "Every event had the same outcome: no group can be judged."
                         if events else "")
    verdict = judge([e.score for e in events], [e.outcome for e in events], indices, alpha)
    k = verdict.family
    desk = error_rates(selected, trouble)
    masks = [index == i for index in indices for i in range(int(index.max()) + 1)]
    z_errors = normal_quantile(1 - alpha / (2 * len(MEASURES) * k))
    rows, too_small = [], []
    desk_points: Counter[str] | None = None
    for g, (kind, name, group) in enumerate(groups):
        if not verdict.judged[g]:
            row = _unjudged(kind, name, group)
            too_small.append(f"{row.name}, {row.events:,} events")
            rows.append(row)
            continue
        observed, e_sum = int(verdict.observed[g]), float(verdict.expected[g])
        low, high = poisson_interval(observed, alpha / k)
        finding = {-1: "over-graded", 1: "under-graded"}.get(int(verdict.named[g]), "")
        mine = masks[g]
        errors = error_rates(selected[mine], trouble[mine], z_errors)
        differs = tuple(m for m, ours, theirs in zip(
            MEASURES, _rates(errors), _rates(desk), strict=True)
            if ours.events and not ours.low <= theirs.rate <= ours.high)
        drivers: tuple[tuple[str, float], ...] = ()
        if finding:
            if desk_points is None:
                desk_points = _points(events)
            drivers = _drivers(group, desk_points, len(events), finding)
        rows.append(GroupRow(kind, name, label_of(kind, name), len(group),
                             errors.selection.rate, Rate.of(observed, len(group)), True,
                             observed, e_sum, observed / e_sum, low / e_sum, high / e_sum,
                             float(verdict.p_value[g]), finding,
                             _by_grade(rank[mine], trouble[mine]), errors, differs, drivers))
    rows.sort(key=lambda r: (not r.comparable, r.finding == "",
                             r.p_value if r.p_value is not None else 1.0, r.kind, r.label))
    return Disparity(rows, desk, _by_grade(rank, trouble), verdict.judged.sum().item(),
                     too_small, "")


def _rates(errors: ErrorRates) -> tuple[Rate, Rate, Rate, Rate]:
    return (errors.selection, errors.false_positive, errors.false_negative, errors.precision)


def _unjudged(kind: str, name: str, group: list) -> GroupRow:
    return GroupRow(kind, name, label_of(kind, name), len(group),
                    sum(e.grade.rank >= Grade.HIGH.rank for e in group) / max(1, len(group)),
                    Rate.of(sum(e.outcome for e in group), len(group)), False,
                    sum(e.outcome for e in group), None, None, None, None, None, "")


def _points(events: Sequence) -> Counter[str]:
    total: Counter[str] = Counter()
    for e in events:
        for rule, pts in e.fired.items():
            total[rule] += pts
    return total


def _drivers(group: list, desk: Counter[str], desk_events: int,
             finding: str) -> tuple[tuple[str, float], ...]:
    """The rules whose points differ most between the group and the rest of the desk (per
    event), in the direction of the finding."""
    ours = _points(group)
    rest = max(1, desk_events - len(group))
    sign = 1 if finding == "over-graded" else -1
    diffs = {r: ours.get(r, 0) / max(1, len(group)) - (desk.get(r, 0) - ours.get(r, 0)) / rest
             for r in set(ours) | set(desk)}
    ranked = sorted((r for r in diffs if sign * diffs[r] > 0),
                    key=lambda r: (-sign * diffs[r], r))
    return tuple((r, round(diffs[r], 1)) for r in ranked[:3] if not math.isclose(diffs[r], 0))


def named(disparity: Disparity) -> list[GroupRow]:
    """The groups the table names (over- or under-graded)."""
    return [g for g in disparity.groups if g.finding]
