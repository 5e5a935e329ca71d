"""The scorer: a pure function from a ``FeatureSet`` and a ``Ruleset`` to an ``Assessment``.

Score = the sum of the points of every rule whose condition holds.  Grade = the band the
score reaches, raised to the highest ``min_grade`` among the fired rules.  Confidence (0-1)
says how complete and recent the information is: 70% the share of security answers the
promoter stated, 30% how recent the venue's last debrief is.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from eventrisk.model import EventType, Grade, SearchRegime, Ticketing
from eventrisk.scoring.features import FeatureSet
from eventrisk.scoring.rules import Rule, Ruleset


@dataclass(frozen=True)
class FiredRule:
    """A rule that fired: its points, evidence as printed, and the incidents behind it."""

    id: str
    title: str
    points: int
    evidence: str
    measure: str
    min_grade: str | None
    incident_refs: tuple[str, ...]


@dataclass(frozen=True)
class Assessment:
    """The result of scoring one submission with one ruleset."""

    score: int
    grade: Grade
    band_grade: Grade
    confidence: float
    fired: tuple[FiredRule, ...]
    ruleset_version: str
    ruleset_sha256: str
    guidance: str

    def as_dict(self) -> dict:
        """Plain data for JSON output and storage."""
        data = asdict(self)
        data["grade"] = self.grade.value
        data["band_grade"] = self.band_grade.value
        return data


@dataclass(frozen=True)
class RuleChange:
    """How one rule differs between two assessments (``points_before`` 0 = did not fire)."""

    id: str
    title: str
    points_before: int
    points_after: int

    @property
    def delta(self) -> int:
        return self.points_after - self.points_before


def confidence(values: dict) -> float:
    """How complete (stated answers) and recent (last debrief) the information is, 0 to 1."""
    months = values.get("months_since_last_debrief", 99.0)
    recency = 1.0 if months <= 12 else 0.6 if months <= 24 else 0.3
    return round(0.7 * values.get("information_completeness", 0.0) + 0.3 * recency, 2)


def fired_rules(values: dict, ruleset: Ruleset) -> list[Rule]:
    """The rules whose conditions hold, in ruleset order (the fast inner loop)."""
    return [rule for rule in ruleset.rules if rule.when.test(values)]


def grade_for(score: int, fired: list[Rule], ruleset: Ruleset) -> tuple[Grade, Grade]:
    """(grade, band grade): the band for the score, raised to any fired rule's floor."""
    band = ruleset.band_for(score).grade
    grade = band
    for rule in fired:
        if rule.min_grade is not None and rule.min_grade.rank > grade.rank:
            grade = rule.min_grade
    return grade, band


def quick_grade(values: dict, ruleset: Ruleset) -> tuple[int, Grade]:
    """Score and grade only, without evidence (for bulk impact previews)."""
    fired = fired_rules(values, ruleset)
    score = sum(r.points for r in fired)
    return score, grade_for(score, fired, ruleset)[0]


def history_features_of(rule: Rule) -> frozenset[str]:
    """The history features a rule's condition reads (whose incidents are its evidence)."""
    return rule.evidence_features


# Enumerated feature values as people read them in evidence ("search arch", not "search_arch").
_WORDS = {**{r.value: r.label.lower() for r in SearchRegime}, "unknown": "not stated",
          "not_stated": "not stated",
          **{t.value: t.label.lower() for t in Ticketing},
          **{e.value: e.label.lower() for e in EventType}}
_ENUM_FEATURES = ("search_regime", "ticketing", "event_type")


def readable(values: dict) -> dict:
    """A copy of feature values with enumerations in words, for filling in evidence."""
    fill = dict(values)
    for name in _ENUM_FEATURES:
        if name in fill:
            fill[name] = _WORDS.get(fill[name], fill[name])
    return fill


def render_evidence(rule: Rule, features: FeatureSet,
                    fill: dict | None = None) -> tuple[str, tuple[str, ...]]:
    """The rule's evidence with values and incident references filled in.

    ``fill`` may pass a reusable copy of the values to format from (it gets ``incidents``).
    """
    refs: list[str] = []
    for name in sorted(rule.evidence_features):
        for ref in features.incident_refs.get(name, ()):
            if ref not in refs:
                refs.append(ref)
    fill = readable(features.values) if fill is None else fill
    fill["incidents"] = ", ".join(refs) if refs else "see the venue's history"
    return rule.evidence.format_map(fill), tuple(refs)


# Added to the evidence of a rule that fired on an entry term the promoter did not state.
ASSUMED_NOTE = " (The promoter did not state this; the worst case is assumed.)"


def score(features: FeatureSet, ruleset: Ruleset, fired: list[Rule] | None = None) -> Assessment:
    """Score a submission's features with a ruleset.  Same inputs, same output.

    ``fired`` may pass ``fired_rules(features.values, ruleset)`` already worked out.
    """
    if fired is None:
        fired = fired_rules(features.values, ruleset)
    total = sum(r.points for r in fired)
    grade, band = grade_for(total, fired, ruleset)
    explained = []
    fill = readable(features.values)
    for rule in fired:
        evidence, refs = render_evidence(rule, features, fill)
        if rule.when.features & features.assumed:
            evidence += ASSUMED_NOTE
        explained.append(FiredRule(rule.id, rule.title, rule.points, evidence, rule.measure,
                                   rule.min_grade.value if rule.min_grade else None, refs))
    return Assessment(total, grade, band, confidence(features.values), tuple(explained),
                      ruleset.version, ruleset.sha256, ruleset.guidance(grade))


def compare(before: Assessment, after: Assessment) -> list[RuleChange]:
    """Rule-by-rule difference between two assessments, in a stable order."""
    b = {r.id: r for r in before.fired}
    a = {r.id: r for r in after.fired}
    out = []
    for rule_id in list(b) + [i for i in a if i not in b]:
        pb = b[rule_id].points if rule_id in b else 0
        pa = a[rule_id].points if rule_id in a else 0
        if pb != pa:
            title = (a.get(rule_id) or b[rule_id]).title
            out.append(RuleChange(rule_id, title, pb, pa))
    return out
