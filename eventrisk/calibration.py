"""Does the grade mean anything?  Calibration of grades against what happened, a disparity
check across boroughs and event types, and the overrides, for supervisors.

**Outcomes are defined once, here** (``_outcome_sql``).  A past event (it has ended, was not
cancelled, and has a snapshot) had trouble of a severity when an incident of that severity was
linked to it, or was linked to no event and recorded at its venue from its start to
``OUTCOME_AFTER`` after its end, and was not already an input of the snapshot graded
(recorded before its ``as_of``).  The grade measured is the one "as graded at the time"
(``_as_graded_sql``): the decision's snapshot, or the last one before the start.
The main outcome, used for the rates, the AUC and the disparity check, is *any
moderate or serious incident* (severity ``SERIOUS_FROM`` or more).  What the debrief noted
(whether it went ahead, how many incidents) is reported beside it, not mixed into it.

**What the report reads** (and nothing else; a test holds it to this list): the event's
reference, times, status, type, venue, grade in force and snapshot; the venue's borough; the
snapshot's score, grade, rules fired and (to re-grade under another ruleset) features; the
time, venue, severity and link of incidents; the debrief's went-ahead and incident count;
the supervisors' override decisions and their written justifications.  No protected
characteristic exists in EventRisk's data, and none is used, inferred or proxied: the groups
compared are boroughs and event types, which is where policing decisions are made and what
the desk can act on.

Statistics: the AUC (Mann-Whitney, ties counted half) is written out here and its interval
resamples with numpy's seeded generator; Wilson intervals and the exact tests are in
``eventrisk.stats``.  The disparity analysis is ``eventrisk.disparity``, the band suggestion
``eventrisk.bands``.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
from sqlite_utils import Database

from eventrisk import snapshots
from eventrisk.bands import MixRow, suggest
from eventrisk.disparity import DISPARITY_NOTE, ErrorRates, GroupRow, analyse
from eventrisk.model import Grade
from eventrisk.scoring.rules import Ruleset
from eventrisk.scoring.scorer import fired_rules, grade_for
from eventrisk.stats import Z95, Rate, wilson  # noqa: F401 - Z95 and wilson re-exported
from eventrisk.timeutil import local_to_utc, now_utc, to_db

OUTCOME_AFTER = timedelta(hours=2)  # an incident at the venue from the start to this long
# after the end counts for the event (see ``_outcome_sql``)
SERIOUS_FROM = 2  # severities 2 (moderate) and 3 (serious) make the main outcome
BOOTSTRAP = 1000  # resamples for the interval of the AUC
SEED = 20261130
MIN_GROUP = 30  # a rule needs this many events with it and without it for a verdict

NO_PROTECTED = (
    "No protected characteristic is used or inferred. EventRisk holds nothing about music "
    "genre or style, ethnicity, nationality, religion or audience demographics, and performers "
    "are stage names only. The groups compared here are boroughs and event types: where "
    "policing decisions fall, and what the desk can change.")

Progress = Callable[[str, int, int], None]
# The report's steps, in order, as ``progress(step, done, total)`` names them.
STEPS = {"outcomes": "Reading events and their outcomes", "rules": "Grades and rules",
         "figures": "Rates, AUC, deciles, mix and disparity", "overrides": "Overrides"}


# ---- statistics ---------------------------------------------------------------------------------

def _auc_from_counts(pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """AUC from counts of positives and negatives per distinct score, in rising score order.
    Works on one row or on a matrix of resamples (one per row)."""
    neg_below = np.cumsum(neg, axis=-1) - neg
    wins = (pos * (neg_below + 0.5 * neg)).sum(axis=-1)
    pairs = pos.sum(axis=-1) * neg.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(pairs > 0, wins / np.maximum(pairs, 1), np.nan)


def auc(scores: list[float], outcomes: list[bool]) -> float | None:
    """The probability that an event with the outcome scored higher than one without
    (ties count half); None without both kinds of event."""
    pos, neg = _score_counts(scores, outcomes)[1:]
    value = float(_auc_from_counts(pos, neg))
    return None if math.isnan(value) else value


def _score_counts(scores, outcomes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    s = np.asarray(scores, dtype=float)
    o = np.asarray(outcomes, dtype=bool)
    levels, index = np.unique(s, return_inverse=True)
    pos = np.bincount(index, weights=o, minlength=len(levels))
    neg = np.bincount(index, weights=~o, minlength=len(levels))
    return levels, pos, neg


def auc_interval(scores, outcomes, resamples: int = BOOTSTRAP,
                 seed: int = SEED) -> tuple[float, float] | None:
    """A percentile bootstrap interval for the AUC (events resampled with replacement,
    seeded, so the same data always gives the same interval)."""
    _, pos, neg = _score_counts(scores, outcomes)
    n = int(pos.sum() + neg.sum())
    if n == 0 or pos.sum() == 0 or neg.sum() == 0:
        return None
    cells = np.concatenate([pos, neg]) / n
    draws = np.random.default_rng(seed).multinomial(n, cells, size=resamples)
    k = len(pos)
    values = _auc_from_counts(draws[:, :k], draws[:, k:])
    values = values[~np.isnan(values)]
    return float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))


# ---- the report -------------------------------------------------------------------------------

@dataclass(frozen=True)
class GradeRow:
    grade: str
    share: float
    outcome: Rate
    any_incident: Rate
    debrief_noted: Rate  # among debriefed events: the debrief noted one or more incidents


@dataclass(frozen=True)
class DecileRow:
    decile: int
    min_score: float
    max_score: float
    mean_score: float
    outcome: Rate


@dataclass(frozen=True)
class RuleRow:
    rule: str
    title: str
    points: int
    fired: int
    share: float
    with_rule: Rate
    without_rule: Rate
    verdict: str


@dataclass(frozen=True)
class OverrideRow:
    reference: str
    starts: str
    supervisor: str
    before: str
    after: str
    direction: str
    justification: str
    outcome: bool


@dataclass
class CalibrationReport:
    """Every figure of the calibration report (the PDF and ``--json`` print this)."""

    date_from: str
    date_to: str
    basis: str  # "as graded at the time" or "ruleset V"
    generated_at: str
    events: int
    not_scored: int
    outcome_definition: str
    grades: list[GradeRow]
    rates_rise: bool
    rise_note: str
    auc: float | None
    auc_low: float | None
    auc_high: float | None
    deciles: list[DecileRow]
    rules: list[RuleRow]
    mix: list[MixRow]
    disparity: list[GroupRow]
    overrides_by: list[tuple[str, str, int]]  # supervisor, direction, count
    overridden: Rate | None
    not_overridden: Rate | None
    override_list: list[OverrideRow]
    protected_note: str = NO_PROTECTED
    notes: list[str] = field(default_factory=list)
    # The disparity analysis beside ``disparity`` (see eventrisk.disparity):
    desk_errors: ErrorRates | None = None  # the desk's selection, FPR, FNR and precision
    desk_by_grade: list[Rate] = field(default_factory=list)  # the desk's trouble per grade
    disparity_judged: int = 0  # groups judged: the family the 5% is shared over
    disparity_too_small: list[str] = field(default_factory=list)
    disparity_note: str = DISPARITY_NOTE

    def to_json(self) -> dict:
        return asdict(self)

    @property
    def empty_headline(self) -> str:
        """What the screen and the paper say when no event could be measured."""
        if self.not_scored:
            return (f"{self.not_scored:,} past events in this period have never been scored, "
                    "so none can be measured yet: score them first (see the note).")
        return "No past events in this period have ended: there is nothing to calibrate."


@dataclass
class _Event:
    sid: int
    reference: str
    starts: str
    event_type: str
    borough: str
    score: float
    grade: Grade  # as graded: in force (override included), or under the chosen ruleset
    fired: dict[str, int]  # rule id -> points
    outcome: bool
    any_incident: bool
    debriefed: bool
    noted: bool


def outcome_definition() -> str:
    hours_after = int(OUTCOME_AFTER.total_seconds() // 3600)
    return (f"Trouble: a moderate or serious incident (severity {SERIOUS_FROM} or more) linked "
            f"to the event, or linked to no event and recorded at its venue from its start "
            f"to {hours_after} h after its end; never one the grade's snapshot already "
            "counted (recorded before the time it was scored as of).")


def _bound(day: date) -> str:
    return to_db(local_to_utc(datetime.combine(day, datetime.min.time())))


def _as_graded_sql() -> tuple[str, str]:
    """The snapshot and grade "as graded at the time", as SQL over submission ``s``: the
    snapshot the last approval or override was made on, and its grade (an override's
    included); for an event never decided, the last snapshot made before its start (or,
    scored only later, its first), at the grade that snapshot gave.  A rescore or a late
    incident adds snapshots but moves neither (issue 32)."""
    decision = ("(SELECT r.{column} FROM reviews r WHERE r.submission_id = s.id AND "
                "r.decision IN ('approve', 'override') ORDER BY r.id DESC LIMIT 1)")
    snapshot = (f"coalesce({decision.format(column='assessment_id')}, "
                "(SELECT a.id FROM assessments a WHERE a.submission_id = s.id AND "
                "a.created_at <= s.starts_at ORDER BY a.id DESC LIMIT 1), "
                "(SELECT min(a.id) FROM assessments a WHERE a.submission_id = s.id))")
    return snapshot, decision.format(column="grade_after")


def _outcome_sql() -> tuple[str, str]:
    """The incidents that make an event's outcome, as two severity masks over ``e`` (the
    event with ``as_of``, the time its graded snapshot was scored as of): those linked to
    it, and those linked to no event at its venue from its start to ``OUTCOME_AFTER`` after
    its end.  Neither counts an incident from before ``as_of``: the snapshot's features
    already read it (no overlap of inputs and outcome).  An incident the desk linked to
    another event at the venue is that event's, never this one's."""
    after = f"+{int(OUTCOME_AFTER.total_seconds())} seconds"
    iso = "'%Y-%m-%dT%H:%M:%SZ'"
    # A bit per severity seen: linked incidents by the event's id, nearby ones by an index
    # seek on (venue, time).
    mask = "total(DISTINCT 1 << CAST(i.severity AS INTEGER))"
    linked = (f"(SELECT {mask} FROM incidents i WHERE i.submission_id = e.id "
              "AND i.occurred_at >= e.as_of)")
    nearby = (f"(SELECT {mask} FROM incidents i WHERE i.venue_id = e.venue_id "
              "AND i.submission_id IS NULL AND i.occurred_at >= e.starts_at "
              "AND i.occurred_at >= e.as_of "
              f"AND i.occurred_at <= strftime({iso}, e.ends_at, '{after}'))")
    return linked, nearby


def _events_sql() -> str:
    snapshot, decided = _as_graded_sql()
    linked, nearby = _outcome_sql()
    return f"""
        WITH g AS (
            SELECT s.id, s.reference, s.starts_at, s.ends_at, s.event_type, s.venue_id,
                   {snapshot} AS aid, {decided} AS decided
            FROM submissions s
            WHERE s.starts_at >= :lo AND s.starts_at < :hi AND s.ends_at < :now
              AND s.status != 'cancelled'),
        e AS (SELECT g.*, coalesce(a.as_of, '') AS as_of, a.score, a.grade
              FROM g JOIN assessments a ON a.id = g.aid)
        SELECT e.id, e.reference, e.starts_at, e.event_type, v.borough, e.decided,
               e.score, e.grade, e.aid, d.submission_id IS NOT NULL,
               coalesce(d.incidents_noted, 0), {linked}, {nearby}
        FROM e
        JOIN venues v ON v.id = e.venue_id
        LEFT JOIN debriefs d ON d.submission_id = e.id
        ORDER BY e.id"""


def calibrate(db: Database, date_from: date, date_to: date, *, ruleset: Ruleset | None = None,
              grading: Ruleset, progress: Progress | None = None,
              now: datetime | None = None) -> CalibrationReport:
    """The report over past events that started from ``date_from`` to ``date_to``
    (inclusive).  With ``ruleset``, each event is re-graded from its stored features under
    it; without, as graded at the time (its snapshot in force and the grade in force,
    overrides included).  ``grading`` is the ruleset whose bands and target mix the
    suggestion is made for (the one in force, or ``ruleset``)."""
    tick = progress or (lambda _step, _done, _total: None)
    now = now or now_utc()
    params = {"lo": _bound(date_from), "hi": _bound(date_to + timedelta(days=1)),
              "now": to_db(now)}
    tick("outcomes", 0, len(STEPS))
    rows = db.execute(_events_sql(), params).fetchall()
    not_scored, entered_late = _unscored(db, params)
    tick("rules", 1, len(STEPS))
    events, incomplete = _graded(db, rows, ruleset)
    tick("figures", 2, len(STEPS))
    titles = _rule_titles(ruleset or grading)
    report = CalibrationReport(
        date_from=date_from.isoformat(), date_to=date_to.isoformat(),
        basis=f"ruleset {ruleset.version}" if ruleset else "as graded at the time",
        generated_at=to_db(now), events=len(events), not_scored=not_scored,
        outcome_definition=outcome_definition(), grades=[], rates_rise=True, rise_note="",
        auc=None, auc_low=None, auc_high=None, deciles=[], rules=[], mix=[], disparity=[],
        overrides_by=[], overridden=None, not_overridden=None, override_list=[])
    if incomplete:
        report.notes.append(f"{incomplete} snapshots lack features that ruleset "
                            f"{ruleset.version if ruleset else ''} reads (they were scored "
                            "before those features existed); rules reading them stay quiet "
                            "for those events.")
    if not_scored:
        report.notes.append(unscored_note(not_scored, entered_late))
    if events:
        _grades(report, events)
        scores = [e.score for e in events]
        outcomes = [e.outcome for e in events]
        report.auc = auc(scores, outcomes)
        interval = auc_interval(scores, outcomes)
        if interval:
            report.auc_low, report.auc_high = interval
        report.deciles = _deciles(events)
        report.rules = _rules(events, titles, ruleset)
        _disparity(report, events)
    tick("overrides", 3, len(STEPS))
    held = _overrides(db, report, events, params)
    if events:
        report.mix = suggest(events, grading, held if ruleset else {
            e.sid: e.grade for e in events if e.sid in held})
    tick("done", len(STEPS), len(STEPS))
    return report


def _graded(db: Database, rows: list, ruleset: Ruleset | None) -> tuple[list[_Event], int]:
    ids = [r[8] for r in rows]
    fired: dict[int, dict[str, int]] = defaultdict(dict)
    features: dict[int, dict] = {}
    for start in range(0, len(ids), 50_000):
        for aid, packed, plain_inputs, plain_features, plain_fired in db.execute(
                "SELECT id, packed, inputs, features, fired FROM assessments WHERE id IN "
                "(SELECT CAST(value AS INTEGER) FROM json_each(?))",
                [json.dumps(ids[start:start + 50_000])]):
            _, feature_text, fired_text = snapshots.texts(db, packed, plain_inputs,
                                                          plain_features, plain_fired)
            if ruleset is None:
                fired[aid] = {f["id"]: f["points"] for f in json.loads(fired_text or "[]")}
            else:
                features[aid] = json.loads(feature_text or "{}")
    out = []
    incomplete = 0
    for (sid, ref, starts, event_type, borough, in_force, score, scored_grade, aid, debriefed,
         noted, linked, nearby) in rows:
        mask = int(linked or 0) | int(nearby or 0)
        outcome = any(mask & (1 << s) for s in range(SERIOUS_FROM, 4))
        if ruleset is None:
            grade = Grade(in_force) if in_force else Grade(scored_grade)
            rules = fired.get(aid, {})
        else:
            values = features[aid]
            try:
                hits = fired_rules(values, ruleset)
            except KeyError:  # a snapshot from before a feature existed: its rules stay quiet
                hits = [r for r in ruleset.rules
                        if r.when.features <= values.keys() and r.when.test(values)]
                incomplete += 1
            score = sum(r.points for r in hits)
            grade = grade_for(score, hits, ruleset)[0]
            rules = {r.id: r.points for r in hits}
        out.append(_Event(sid, ref, starts, event_type, borough, float(score), grade, rules,
                          outcome, mask != 0, bool(debriefed), bool(noted)))
    return out, incomplete


def _unscored(db: Database, params: dict) -> tuple[int, int]:
    """Past events in the period never scored, and how many of them were entered on the desk
    only after they had started."""
    row = db.execute(
        "SELECT count(*), coalesce(sum(CASE WHEN s.created_at > s.starts_at THEN 1 ELSE 0 END),"
        " 0) FROM submissions s WHERE s.starts_at >= :lo AND s.starts_at < :hi AND "
        "s.ends_at < :now AND s.status != 'cancelled' AND NOT EXISTS (SELECT 1 FROM "
        "assessments a WHERE a.submission_id = s.id)", params).fetchone()
    return int(row[0]), int(row[1])


def unscored_note(not_scored: int, entered_late: int) -> str:
    """How many past events are left out for want of a snapshot, and why."""
    def were(n: int) -> str:
        return f"{n:,} {'was' if n == 1 else 'were'}"
    why = []
    if entered_late:
        why.append(f"{were(entered_late)} entered on the desk after they had started "
                   "(imported or recorded late)")
    if not_scored - entered_late:
        why.append(f"{were(not_scored - entered_late)} never scored before they took place")
    return (f"{not_scored:,} past events in the period have no snapshot, so no grade to "
            f"measure, and are left out: {' and '.join(why)}. Rescore all (Tools menu, or "
            "eventrisk score --all) scores each as of its start; events already graded keep "
            "their grade.")


def _rule_titles(ruleset: Ruleset) -> dict[str, tuple[str, int]]:
    return {r.id: (r.title, r.points) for r in ruleset.rules}


def _grades(report: CalibrationReport, events: list[_Event]) -> None:
    by: dict[Grade, list[_Event]] = defaultdict(list)
    for e in events:
        by[e.grade].append(e)
    rows = []
    for g in Grade:
        group = by.get(g, [])
        debriefed = [e for e in group if e.debriefed]
        rows.append(GradeRow(g.value, len(group) / len(events),
                             Rate.of(sum(e.outcome for e in group), len(group)),
                             Rate.of(sum(e.any_incident for e in group), len(group)),
                             Rate.of(sum(e.noted for e in debriefed), len(debriefed))))
    report.grades = rows
    present = [r for r in rows if r.outcome.events]
    falls = [(a, b) for a, b in zip(present, present[1:], strict=False)
             if b.outcome.rate <= a.outcome.rate]
    report.rates_rise = not falls
    if falls:
        report.rise_note = "; ".join(
            f"{b.grade} events had trouble no more often than {a.grade} events "
            f"({b.outcome.rate:.1%} against {a.outcome.rate:.1%})" for a, b in falls) + \
            ". The grade does not order the risk there: look at the rules below."
    else:
        report.rise_note = "The outcome rate rises with every grade."


def _deciles(events: list[_Event]) -> list[DecileRow]:
    ordered = sorted(events, key=lambda e: (e.score, e.sid))
    parts = np.array_split(np.arange(len(ordered)), min(10, len(ordered)))
    out = []
    for n, part in enumerate(parts, 1):
        group = [ordered[i] for i in part]
        scores = [e.score for e in group]
        out.append(DecileRow(n, min(scores), max(scores), sum(scores) / len(scores),
                             Rate.of(sum(e.outcome for e in group), len(group))))
    return out


def _rules(events: list[_Event], titles: dict[str, tuple[str, int]],
           ruleset: Ruleset | None) -> list[RuleRow]:
    counts: Counter[str] = Counter()
    hits: Counter[str] = Counter()
    points: dict[str, int] = {}
    for e in events:
        for rule, pts in e.fired.items():
            counts[rule] += 1
            hits[rule] += e.outcome
            points[rule] = pts
    total, total_hits = len(events), sum(e.outcome for e in events)
    ids = list(titles) if ruleset else sorted(counts, key=lambda r: -counts[r])
    for rule in counts:
        if rule not in ids:
            ids.append(rule)
    out = []
    for rule in ids:
        n, k = counts.get(rule, 0), hits.get(rule, 0)
        with_rule, without = Rate.of(k, n), Rate.of(total_hits - k, total - n)
        title, pts = titles.get(rule, (rule, points.get(rule, 0)))
        if n == 0:
            verdict = "never fired"
        elif n < MIN_GROUP or total - n < MIN_GROUP:
            verdict = "too few events to say"
        elif with_rule.low > without.high:
            verdict = "predicts trouble"
        elif with_rule.high < without.low:
            verdict = "fires on calmer events"
        else:
            verdict = "no evidence it predicts trouble"
        out.append(RuleRow(rule, title, points.get(rule, pts), n, n / total, with_rule,
                           without, verdict))
    return out


def _disparity(report: CalibrationReport, events: list[_Event]) -> None:
    found = analyse(events)
    report.disparity = found.groups
    report.desk_errors = found.desk
    report.desk_by_grade = list(found.desk_by_grade)
    report.disparity_judged = found.judged
    report.disparity_too_small = found.too_small
    if found.note:
        report.notes.append(found.note)


def _overrides(db: Database, report: CalibrationReport, events: list[_Event],
               params: dict) -> dict[int, Grade]:
    """Fill in the overrides; return each overridden event's latest override grade."""
    ranks = {g.value: g.rank for g in Grade}
    outcome_of = {e.sid: e.outcome for e in events}
    rows = db.execute(
        """SELECT s.id, s.reference, s.starts_at, u.display_name, r.grade_before, r.grade_after,
                  r.comment
           FROM reviews r JOIN submissions s ON s.id = r.submission_id
           JOIN users u ON u.id = r.reviewer_id
           WHERE r.decision = 'override' AND s.starts_at >= :lo AND s.starts_at < :hi
             AND s.ends_at < :now AND s.status != 'cancelled'
           ORDER BY s.starts_at, r.id""", params).fetchall()
    counts: Counter[tuple[str, str]] = Counter()
    overridden: dict[int, Grade] = {}
    for sid, ref, starts, who, before, after, comment in rows:
        direction = ("up" if ranks.get(after, 0) > ranks.get(before, 0) else
                     "down" if ranks.get(after, 0) < ranks.get(before, 0) else "same")
        counts[(who, direction)] += 1
        if after in ranks:
            overridden[sid] = Grade(after)
        report.override_list.append(OverrideRow(ref, starts, who, before, after, direction,
                                                comment or "", outcome_of.get(sid, False)))
    report.overrides_by = [(who, d, n) for (who, d), n in sorted(counts.items())]
    scored = [e for e in events if e.sid in overridden]
    others = [e for e in events if e.sid not in overridden]
    report.overridden = Rate.of(sum(e.outcome for e in scored), len(scored))
    report.not_overridden = Rate.of(sum(e.outcome for e in others), len(others))
    return overridden
