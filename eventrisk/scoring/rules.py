"""Loading and checking rulesets (TOML): bands, rules and their conditions.

A condition is a string ``"feature op value"`` (op one of ``>= > <= < == != in not_in``), or a
table ``{ all = [...] }`` / ``{ any = [...] }`` of conditions.  Every feature must be in the
catalogue and every value must fit the feature's type; anything else is rejected with the
file, the rule id and the reason.
"""

from __future__ import annotations

import hashlib
import operator
import re
import string
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from eventrisk.errors import RulesError
from eventrisk.fairness import banned_terms_in
from eventrisk.model import Grade
from eventrisk.paths import resource
from eventrisk.scoring.catalogue import CATALOGUE, HISTORY_FEATURES, Feature

HISTORY_SET = frozenset(HISTORY_FEATURES)

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    ">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt,
    "==": operator.eq, "!=": operator.ne,
    "in": lambda a, b: a in b, "not_in": lambda a, b: a not in b,
}
_COND = re.compile(r"^\s*([a-z0-9_]+)\s*(>=|<=|==|!=|>|<|not_in|in)\s*(.+?)\s*$")
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,40}$")


@dataclass(frozen=True)
class Band:
    """A grade and the lowest score that reaches it, with what the desk should do."""

    grade: Grade
    min_score: int
    guidance: str  # what the desk does at this grade
    borough_action: str = ""  # what the borough should do, printed on page 1 of the paper


@dataclass(frozen=True)
class Condition:
    """A compiled condition: ``test(values)`` and the features it reads."""

    text: str
    features: frozenset[str]
    test: Callable[[dict], bool]


@dataclass(frozen=True)
class Rule:
    """One rule of a ruleset."""

    id: str
    title: str
    when: Condition
    points: int
    evidence: str
    measure: str
    rationale: str
    min_grade: Grade | None = None
    # History features the condition reads: their incidents are the rule's evidence.
    evidence_features: frozenset[str] = field(default=frozenset(), compare=False)
    # The measure worded for the promoter's letter (fixed text; none for the desk's own steps).
    advice: str = ""


@dataclass(frozen=True)
class Ruleset:
    """A versioned ruleset: bands from LOW upward, and rules in file order."""

    version: str
    title: str
    bands: tuple[Band, ...]
    rules: tuple[Rule, ...]
    sha256: str
    source: str
    # The grade mix the desk aims for: at most this share of events at each grade or above.
    target_mix: tuple[tuple[Grade, float], ...] = ()

    @property
    def targets(self) -> dict[Grade, float]:
        """The target mix by grade (at most this share at the grade or above)."""
        return dict(self.target_mix)

    def band_for(self, score: int) -> Band:
        """The highest band whose ``min_score`` the score reaches."""
        chosen = self.bands[0]
        for band in self.bands:
            if score >= band.min_score:
                chosen = band
        return chosen

    def guidance(self, grade: Grade) -> str:
        """The action guidance printed with a grade."""
        return self._guidance[grade]

    def borough_action(self, grade: Grade) -> str:
        """What the borough should do at this grade (the guidance, for a ruleset published
        before bands said)."""
        band = next(b for b in self.bands if b.grade is grade)
        return band.borough_action or band.guidance

    @cached_property
    def _guidance(self) -> dict[Grade, str]:
        return {b.grade: b.guidance for b in self.bands}

    def rule(self, rule_id: str) -> Rule:
        """The rule with this id."""
        return next(r for r in self.rules if r.id == rule_id)


def _literal(feature: Feature, text: Any, where: str) -> Any:
    """A condition's value, converted to the feature's type, or ``RulesError``."""
    if isinstance(text, str):
        raw = text.strip()
        if raw.startswith("[") and raw.endswith("]"):
            return tuple(_literal(feature, part, where) for part in raw[1:-1].split(",")
                         if part.strip())
        raw = raw.strip("'\"")
    else:
        raw = text
    if isinstance(raw, list):
        return tuple(_literal(feature, part, where) for part in raw)
    if feature.type == "bool":
        if raw in (True, False):
            return raw
        if str(raw).lower() in ("true", "false"):
            return str(raw).lower() == "true"
        raise ValueError(f"{where}: {feature.name} is true/false, not {raw!r}")
    if feature.type in ("number", "count"):
        try:
            return float(raw)
        except (TypeError, ValueError):
            raise ValueError(f"{where}: {feature.name} is a number, not {raw!r}") from None
    if str(raw) not in feature.choices:
        raise ValueError(f"{where}: {feature.name} is one of {', '.join(feature.choices)}; "
                         f"{raw!r} is not")
    return str(raw)


def _chain(tests: list[Callable[[dict], bool]], conjunction: bool) -> Callable[[dict], bool]:
    """Combine tests with short-circuit and/or (a closure chain: the scorer's inner loop)."""
    test = tests[0]
    for nxt in tests[1:]:
        if conjunction:
            test = (lambda a, b: lambda v: a(v) and b(v))(test, nxt)
        else:
            test = (lambda a, b: lambda v: a(v) or b(v))(test, nxt)
    return test


def compile_condition(spec: Any, where: str) -> Condition:
    """Compile a condition from its TOML form; ``ValueError`` says what is wrong."""
    if isinstance(spec, dict):
        keys = set(spec)
        if keys == {"all"} or keys == {"any"}:
            key = keys.pop()
            parts = spec[key]
            if not isinstance(parts, list) or not parts:
                raise ValueError(f"{where}: '{key}' needs a non-empty list of conditions")
            subs = tuple(compile_condition(p, where) for p in parts)
            text = f" {key.upper() if key == 'all' else 'OR'} ".join(s.text for s in subs)
            return Condition(f"({text})" if len(subs) > 1 else text,
                             frozenset().union(*(s.features for s in subs)),
                             _chain([s.test for s in subs], key == "all"))
        if keys == {"feature", "op", "value"}:
            spec = f"{spec['feature']} {spec['op']} {spec['value']}"
        else:
            raise ValueError(f"{where}: a condition table needs 'all' or 'any' "
                             f"(or feature, op and value), not {sorted(keys)}")
    if not isinstance(spec, str):
        raise ValueError(f"{where}: a condition must be text like \"capacity >= 500\"")
    match = _COND.match(spec.replace(" not in ", " not_in "))
    if not match:
        raise ValueError(f"{where}: cannot read condition {spec!r}; write it like "
                         f"\"attendance_ratio >= 0.9\"")
    name, op, value_text = match.groups()
    feature = CATALOGUE.get(name)
    if feature is None:
        raise ValueError(f"{where}: '{name}' is not a feature in the catalogue")
    value = _literal(feature, value_text, where)
    if op in ("in", "not_in") and not isinstance(value, tuple):
        raise ValueError(f"{where}: '{op}' needs a list like [none, bag_search]")
    if feature.type in ("bool", "enum") and op not in ("==", "!=", "in", "not_in"):
        raise ValueError(f"{where}: {name} can only be compared with ==, !=, in or not_in")
    fn = _OPS[op]
    if isinstance(value, tuple):
        value = frozenset(value)
    def test(values: dict, n: str = name, op: Callable = fn, x: Any = value) -> bool:
        return op(values[n], x)

    return Condition(spec.strip(), frozenset({name}), test)


def _sample(feature: Feature) -> Any:
    return {"bool": True, "enum": feature.choices[0] if feature.choices else ""}.get(
        feature.type, 1.5)


def _check_template(template: str, where: str) -> None:
    fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    for name in fields:
        if name != "incidents" and name not in CATALOGUE:
            raise ValueError(f"{where}: evidence uses {{{name}}}, which is not a feature")
    sample = {n: _sample(f) for n, f in CATALOGUE.items()} | {"incidents": "INC-0000001"}
    try:
        template.format(**sample)
    except (ValueError, KeyError, IndexError) as exc:
        raise ValueError(f"{where}: evidence template cannot be filled in ({exc})") from None


def _grade(text: Any, where: str) -> Grade:
    try:
        return Grade(str(text).upper())
    except ValueError:
        raise ValueError(f"{where}: grade must be LOW, MEDIUM, HIGH or CRITICAL, "
                         f"not {text!r}") from None


def parse_ruleset(source: str, name: str = "rules", *, stored: bool = False) -> Ruleset:
    """Parse and check TOML text; ``RulesError`` lists every problem as ``name: rule: why``.

    ``stored``: a ruleset already published on this desk, read back.  It was checked when it
    was published; one from before bands had a ``borough_action`` prints its guidance there."""
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError([f"{name}: not valid TOML ({exc})"]) from None
    problems: list[str] = []
    version = str(data.get("version", "")).strip()
    if not version:
        problems.append(f"{name}: the ruleset needs a version")
    bands: list[Band] = []
    for i, raw in enumerate(data.get("bands", []), 1):
        where = f"{name}: band {i}"
        try:
            bands.append(Band(_grade(raw.get("grade"), where), int(raw["min_score"]),
                              str(raw.get("guidance", "")).strip(),
                              str(raw.get("borough_action", "")).strip()))
        except (KeyError, TypeError, ValueError) as exc:
            problems.append(str(exc) if isinstance(exc, ValueError) and where in str(exc)
                            else f"{where}: needs grade, min_score and guidance")
    if [b.grade for b in bands] != list(Grade):
        problems.append(f"{name}: bands must be LOW, MEDIUM, HIGH and CRITICAL, in that order")
    elif bands[0].min_score != 0 or any(a.min_score >= b.min_score
                                        for a, b in zip(bands, bands[1:], strict=False)):
        problems.append(f"{name}: band scores must start at 0 and rise with each grade")
    for b in bands:
        if not b.guidance:
            problems.append(f"{name}: band {b.grade}: needs action guidance")
        if not b.borough_action and not stored:
            problems.append(f"{name}: band {b.grade}: needs a borough_action (what the borough "
                            "should do at this grade, printed on page 1 of the assessment)")
    target_mix = _target_mix(data.get("target_mix", {}), name, problems)
    rules: list[Rule] = []
    seen: set[str] = set()
    raw_rules = data.get("rules", [])
    if not raw_rules:
        problems.append(f"{name}: the ruleset has no rules")
    for i, raw in enumerate(raw_rules, 1):
        rule_id = str(raw.get("id", f"#{i}"))
        where = f"{name}: rule {rule_id}"
        try:
            rules.append(_parse_rule(raw, rule_id, where, seen))
        except ValueError as exc:
            problems.append(str(exc))
    if problems:
        raise RulesError(problems)
    digest = hashlib.sha256(source.encode("utf-8")).hexdigest()
    return Ruleset(version, str(data.get("title", "")), tuple(bands), tuple(rules), digest,
                   source, target_mix)


def _target_mix(raw: Any, name: str, problems: list[str]) -> tuple[tuple[Grade, float], ...]:
    """``[target_mix]``: for MEDIUM, HIGH or CRITICAL, the largest share of events the desk
    wants at that grade or above (0 to 1), shrinking as the grade rises."""
    if not isinstance(raw, dict):
        problems.append(f"{name}: target_mix must be a table of grade = share")
        return ()
    out: list[tuple[Grade, float]] = []
    for key, value in raw.items():
        where = f"{name}: target_mix {key}"
        try:
            grade = _grade(key, where)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        if grade is Grade.LOW:
            problems.append(f"{where}: every event is LOW or above; set MEDIUM, HIGH or "
                            "CRITICAL")
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
            problems.append(f"{where}: must be a share above 0 and at most 1 (0.1 for 10%), "
                            f"not {value!r}")
            continue
        out.append((grade, float(value)))
    out.sort(key=lambda pair: pair[0].rank)
    for (g1, s1), (g2, s2) in zip(out, out[1:], strict=False):
        if s2 > s1:
            problems.append(f"{name}: target_mix {g2.value} ({s2:g}) cannot exceed "
                            f"{g1.value} ({s1:g}): it counts events at {g2.value} or above")
    return tuple(out)


_RULE_KEYS = {"id", "title", "when", "points", "evidence", "measure", "rationale", "min_grade",
              "advice"}


def _parse_rule(raw: dict, rule_id: str, where: str, seen: set[str]) -> Rule:
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise ValueError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    if not _ID.match(rule_id):
        raise ValueError(f"{where}: id must start with a letter and use letters, digits, - or _")
    if rule_id in seen:
        raise ValueError(f"{where}: the id is used twice")
    seen.add(rule_id)
    for key in ("title", "when", "evidence", "measure", "rationale"):
        if not raw.get(key):
            raise ValueError(f"{where}: needs '{key}'")
    points = raw.get("points")
    if not isinstance(points, int) or isinstance(points, bool) or not 0 <= points <= 100:
        raise ValueError(f"{where}: points must be a whole number from 0 to 100")
    text = " ".join(str(raw.get(k, "")) for k in ("id", "title", "evidence", "measure",
                                                   "rationale", "advice"))
    advice = raw.get("advice", "")
    if not isinstance(advice, str):
        raise ValueError(f"{where}: advice must be text")
    if "{" in advice:
        raise ValueError(f"{where}: advice is fixed wording for the promoter's letter; it "
                         "cannot fill in evidence")
    banned = banned_terms_in(text)
    if banned:
        raise ValueError(f"{where}: mentions {', '.join(banned)}; rules may only use evidence "
                         f"about the event and recorded history")
    when = compile_condition(raw["when"], where)
    _check_template(raw["evidence"], where)
    min_grade = _grade(raw["min_grade"], where) if raw.get("min_grade") else None
    return Rule(rule_id, raw["title"].strip(), when, points, raw["evidence"].strip(),
                raw["measure"].strip(), raw["rationale"].strip(), min_grade,
                when.features & HISTORY_SET, advice.strip())


def load_ruleset(path: str | Path) -> Ruleset:
    """Read and check a rules file; errors name the file."""
    path = Path(path)
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RulesError([f"{path}: no such file"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesError([f"{path}: cannot be read ({exc})"]) from None
    return parsed(source, str(path))


@lru_cache(maxsize=16)
def parsed(source: str, name: str, stored: bool = False) -> Ruleset:
    """``parse_ruleset``, kept: parsing is a pure function of the text and a Ruleset cannot
    change, so the shipped rules (read for every new desk and every default score) and each
    published ruleset are parsed once per process."""
    return parse_ruleset(source, name, stored=stored)


def default_ruleset() -> Ruleset:
    """The ruleset shipped in ``resources/rules/default.toml``."""
    return load_ruleset(resource("rules", "default.toml"))
