"""Every default rule fires, or stays quiet, at each side of its boundary; the loader rejects
what is not in the catalogue, naming the file, the rule and the reason."""

import pytest

from eventrisk.errors import RulesError
from eventrisk.model import Grade
from eventrisk.scoring.catalogue import CATALOGUE
from eventrisk.scoring.features import FeatureSet
from eventrisk.scoring.rules import default_ruleset, parse_ruleset
from eventrisk.scoring.scorer import fired_rules, score

RULESET = default_ruleset()

# An event that fires no default rule.
QUIET = {
    "expected_attendance": 150, "capacity": 300, "attendance_ratio": 0.5, "duration_hours": 4,
    "hours_after_midnight": 0.0, "finish_after_licence_hours": 0.0,
    "door_supervisors_required": 3, "door_supervisors_provided": 3,
    "door_supervisor_shortfall": 0, "search_regime": "search_arch", "search_strength": 4,
    "ticketing": "advance_only", "door_only_ticketing": False, "event_type": "club_night",
    "under_18_entry": False, "under_18_with_alcohol": False, "alcohol": True,
    "id_scanning": True, "cctv": True, "dispersal_plan": True, "medical_cover": True,
    "days_notice": 20.0, "information_completeness": 1.0,
    "promoter_incidents_24m_count": 0, "promoter_incidents_24m": 0.0,
    "last_debrief_incidents": 0, "last_debrief_had_incidents": False,
    "months_since_last_debrief": 3.0, "same_night_borough_events": 0,
    "venue_incidents_12m_count": 0,
}
for _name, _feature in CATALOGUE.items():  # history not listed above: none recorded
    QUIET.setdefault(_name, False if _feature.type == "bool" else 0)

# rule id, values at the firing side of the boundary, values just on the quiet side
CASES = [
    ("over-capacity", {"attendance_ratio": 1.0}, {"attendance_ratio": 0.99}),
    ("near-capacity", {"attendance_ratio": 0.9}, {"attendance_ratio": 0.89}),
    ("near-capacity", {"attendance_ratio": 0.99}, {"attendance_ratio": 1.0}),
    ("large-venue", {"capacity": 500}, {"capacity": 499}),
    ("very-large-venue", {"capacity": 1500}, {"capacity": 1499}),
    ("late-finish", {"hours_after_midnight": 2.0}, {"hours_after_midnight": 1.99}),
    ("very-late-finish", {"hours_after_midnight": 4.0}, {"hours_after_midnight": 3.99}),
    ("beyond-licence", {"finish_after_licence_hours": 0.01}, {"finish_after_licence_hours": 0}),
    ("door-shortfall", {"door_supervisor_shortfall": 1}, {"door_supervisor_shortfall": 0}),
    ("door-shortfall-severe", {"door_supervisor_shortfall": 3, "door_supervisors_required": 6},
     {"door_supervisor_shortfall": 2, "door_supervisors_required": 6}),
    ("door-shortfall-severe", {"door_supervisor_shortfall": 3, "door_supervisors_required": 6},
     {"door_supervisor_shortfall": 3, "door_supervisors_required": 5}),
    ("no-search", {"search_regime": "none"}, {"search_regime": "bag_search"}),
    ("no-search", {"search_regime": "unknown"}, {"search_regime": "wand"}),
    ("weak-search-with-weapons", {"search_strength": 2, "venue_knife_12m_count": 1},
     {"search_strength": 3, "venue_knife_12m_count": 1}),
    ("weak-search-with-weapons", {"search_strength": 2, "venue_firearm_24m_count": 1},
     {"search_strength": 2, "venue_firearm_24m_count": 0}),
    ("door-only-tickets", {"door_only_ticketing": True}, {"door_only_ticketing": False}),
    ("no-id-scanning-large", {"id_scanning": False, "expected_attendance": 500},
     {"id_scanning": False, "expected_attendance": 499}),
    ("under-18-alcohol", {"under_18_with_alcohol": True}, {"under_18_with_alcohol": False}),
    ("no-cctv", {"cctv": False}, {"cctv": True}),
    ("no-dispersal-plan", {"dispersal_plan": False, "expected_attendance": 300},
     {"dispersal_plan": False, "expected_attendance": 299}),
    ("no-medical-cover", {"medical_cover": False, "expected_attendance": 500},
     {"medical_cover": True, "expected_attendance": 500}),
    ("short-notice", {"days_notice": 13.9}, {"days_notice": 14.0}),
    ("very-short-notice", {"days_notice": 2.9}, {"days_notice": 3.0}),
    ("venue-violence-12m", {"venue_violence_12m": 2.0}, {"venue_violence_12m": 1.5}),
    ("venue-violence-12m-high", {"venue_violence_12m": 8.0}, {"venue_violence_12m": 7.5}),
    ("venue-recent-violence", {"venue_injury_6m_count": 1}, {"venue_injury_6m_count": 0}),
    ("venue-knife-12m", {"venue_knife_12m_count": 1}, {"venue_knife_12m_count": 0}),
    ("venue-firearm-6m", {"venue_firearm_6m_count": 1}, {"venue_firearm_6m_count": 0}),
    ("venue-firearm-24m", {"venue_firearm_24m_count": 1}, {"venue_firearm_24m_count": 0}),
    ("venue-sexual-12m", {"venue_sexual_12m_count": 1}, {"venue_sexual_12m_count": 0}),
    ("venue-drugs-12m", {"venue_drugs_12m_count": 2}, {"venue_drugs_12m_count": 1}),
    ("promoter-history", {"promoter_incidents_24m_count": 2},
     {"promoter_incidents_24m_count": 1}),
    ("promoter-history-repeated", {"promoter_incidents_24m": 6.0},
     {"promoter_incidents_24m": 5.5}),
    ("last-debrief-incidents", {"last_debrief_had_incidents": True, "last_debrief_incidents": 2},
     {"last_debrief_had_incidents": False}),
    ("busy-night", {"same_night_borough_events": 3}, {"same_night_borough_events": 2}),
]


def _fired_ids(values):
    return {r.id for r in fired_rules(values, RULESET)}


def test_the_quiet_event_fires_nothing():
    assert _fired_ids(QUIET) == set()


def test_every_default_rule_has_a_boundary_case():
    assert {c[0] for c in CASES} == {r.id for r in RULESET.rules}


@pytest.mark.parametrize("rule_id, fires, quiet", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_rule_boundary(rule_id, fires, quiet):
    assert rule_id in _fired_ids(QUIET | fires)
    assert rule_id not in _fired_ids(QUIET | quiet)


def test_every_default_rule_renders_its_evidence_and_has_a_rationale():
    for rule in RULESET.rules:
        values = QUIET | {n: 1 for n in rule.when.features if isinstance(QUIET[n], int)}
        text = rule.evidence.format(**values, incidents="INC-0000001")
        assert "{" not in text and rule.rationale and rule.measure


def test_min_grade_sets_a_floor():
    result = score(FeatureSet(QUIET | {"venue_firearm_6m_count": 1, "venue_firearm_24m_count": 1}),
                   RULESET)
    assert result.band_grade is Grade.LOW  # 30 + 10 + 10 (weak search) points
    assert result.score < RULESET.bands[2].min_score
    assert result.grade is Grade.HIGH


def test_bands_map_scores_to_grades():
    assert [RULESET.band_for(s).grade for s in (0, 59, 60, 94, 95, 129, 130, 300)] == [
        Grade.LOW, Grade.LOW, Grade.MEDIUM, Grade.MEDIUM, Grade.HIGH, Grade.HIGH,
        Grade.CRITICAL, Grade.CRITICAL]


MINIMAL = """
version = "t1"
[[bands]]
grade = "LOW"
min_score = 0
guidance = "advice"
borough_action = "borough advice"
[[bands]]
grade = "MEDIUM"
min_score = 10
guidance = "conditions"
borough_action = "borough conditions"
[[bands]]
grade = "HIGH"
min_score = 20
guidance = "visit"
borough_action = "borough visit"
[[bands]]
grade = "CRITICAL"
min_score = 30
guidance = "objection"
borough_action = "borough objection"
[[rules]]
id = "{id}"
title = "{title}"
when = {when}
points = {points}
evidence = "{evidence}"
measure = "m"
rationale = "r"
"""


def rules_text(**kw):
    base = {"id": "r1", "title": "Big", "when": '"capacity >= 500"', "points": 5,
            "evidence": "Capacity {capacity}."}
    return MINIMAL.format(**(base | kw))


def test_a_minimal_ruleset_loads():
    rs = parse_ruleset(rules_text(), "draft.toml")
    assert rs.version == "t1" and len(rs.rules) == 1 and len(rs.sha256) == 64


@pytest.mark.parametrize("change, message", [
    ({"when": '"music_style == 3"'}, "draft.toml: rule r1: 'music_style' is not a feature"),
    ({"when": '"capacity >= big"'}, "capacity is a number"),
    ({"when": '"search_regime >= wand"'}, "can only be compared with"),
    ({"when": '"search_regime == lasers"'}, "'lasers' is not"),
    ({"when": '"capacity is large"'}, "cannot read condition"),
    ({"when": '{ every = ["capacity >= 1"] }'}, "needs 'all' or 'any'"),
    ({"points": "-5"}, "points must be a whole number from 0 to 100"),
    ({"evidence": "Size {audience_size}."}, "evidence uses {audience_size}"),
    ({"evidence": "Size {capacity:%%%}."}, "cannot be filled in"),
    ({"title": "Genre of the night"}, "mentions genre"),
    ({"id": "9bad id"}, "id must start with a letter"),
], ids=lambda v: str(v)[:30])
def test_the_loader_rejects_bad_rules_naming_file_rule_and_reason(change, message):
    with pytest.raises(RulesError) as exc:
        parse_ruleset(rules_text(**change), "draft.toml")
    assert any(message in p for p in exc.value.problems), exc.value.problems
    assert all(p.startswith("draft.toml") for p in exc.value.problems)


def test_bands_out_of_order_are_rejected():
    text = rules_text().replace("min_score = 20", "min_score = 5")
    with pytest.raises(RulesError, match="band scores must start at 0 and rise"):
        parse_ruleset(text, "draft.toml")


def test_not_toml_is_rejected():
    with pytest.raises(RulesError, match="draft.toml: not valid TOML"):
        parse_ruleset("version = ", "draft.toml")


@pytest.mark.parametrize("table, problem", [
    ("[target_mix]\nHIGH = 1.5", "target_mix HIGH: must be a share above 0 and at most 1"),
    ("[target_mix]\nHIGH = 0", "target_mix HIGH: must be a share above 0"),
    ("[target_mix]\nHIGH = true", "target_mix HIGH: must be a share"),
    ("[target_mix]\nLOW = 0.5", "target_mix LOW: every event is LOW or above"),
    ("[target_mix]\nSEVERE = 0.1", "grade must be LOW, MEDIUM, HIGH or CRITICAL"),
    ("[target_mix]\nHIGH = 0.1\nCRITICAL = 0.2", "target_mix CRITICAL (0.2) cannot exceed HIGH"),
    ("target_mix = 0.1", "target_mix must be a table"),
])
def test_a_bad_target_mix_is_named(table, problem):
    source = default_ruleset().source.replace("[target_mix]\nMEDIUM = 0.45\nHIGH = 0.15\n"
                                              "CRITICAL = 0.04\n", table + "\n")
    assert source != default_ruleset().source
    with pytest.raises(RulesError) as caught:
        parse_ruleset(source, "draft.toml")
    assert any(problem in p and p.startswith("draft.toml") for p in caught.value.problems), \
        caught.value.problems


def test_the_shipped_target_mix_is_read():
    assert {g.value: s for g, s in default_ruleset().target_mix} == {
        "MEDIUM": 0.45, "HIGH": 0.15, "CRITICAL": 0.04}


def test_every_band_needs_a_borough_action_but_a_stored_ruleset_from_before_loads():
    bare = rules_text().replace('borough_action = "borough visit"\n', "")
    with pytest.raises(RulesError) as caught:
        parse_ruleset(bare, "draft.toml")
    assert caught.value.problems == ["draft.toml: band HIGH: needs a borough_action (what the "
                                     "borough should do at this grade, printed on page 1 of the "
                                     "assessment)"]
    old = parse_ruleset(bare, "ruleset t1", stored=True)  # published before bands said
    assert old.borough_action(Grade.HIGH) == "visit"  # its guidance stands in
    assert parse_ruleset(rules_text()).borough_action(Grade.HIGH) == "borough visit"


@pytest.mark.parametrize("advice, problem", [
    ('"Bring {door_supervisors} staff"', "advice is fixed wording"),
    ("3", "advice must be text"),
])
def test_advice_is_fixed_text_for_the_promoter(advice, problem):
    text = rules_text().replace('rationale = "r"', f'rationale = "r"\nadvice = {advice}')
    with pytest.raises(RulesError) as caught:
        parse_ruleset(text, "draft.toml")
    assert any(problem in p for p in caught.value.problems), caught.value.problems


def test_advice_is_held_to_the_fairness_vocabulary_too():
    from eventrisk.fairness import BANNED_TERMS

    word = sorted(BANNED_TERMS)[0]
    text = rules_text().replace('rationale = "r"', f'rationale = "r"\nadvice = "No {word} acts"')
    with pytest.raises(RulesError, match="mentions"):
        parse_ruleset(text, "draft.toml")
