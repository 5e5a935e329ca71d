"""Scoring stored submissions: history windows, snapshots, what-if, rulesets and impact."""

from dataclasses import replace
from datetime import timedelta

import pytest

from eventrisk import incidents, submissions
from eventrisk.errors import PermissionDenied, RulesError
from eventrisk.model import Grade, Incident, IncidentCategory, Location, SearchRegime, Severity
from eventrisk.scoring import impact as impact_of
from eventrisk.scoring import rulebook, service, whatif
from eventrisk.scoring.features import door_supervisors_required
from eventrisk.scoring.rules import default_ruleset, parse_ruleset
from eventrisk.timeutil import now_utc


def add_incident(db, user, when, category=IncidentCategory.KNIFE, severity=Severity.SERIOUS,
                 location=Location.INSIDE, venue_code="HKN-0001", event_reference=""):
    return incidents.create(db, user, Incident(venue_code=venue_code, occurred_at=when,
                                               category=category, severity=severity,
                                               location=location,
                                               event_reference=event_reference))


def features_of(db, sub, now):
    return next(service.iter_features(db, "s.id = :id", {"id": sub.id}, now)).values


@pytest.mark.parametrize("attendance, required", [(1, 2), (100, 2), (101, 3), (200, 3),
                                                  (201, 4), (1000, 11)])
def test_door_supervisors_required(attendance, required):
    assert door_supervisors_required(attendance) == required


def test_history_windows_count_incidents_before_the_assessment(db, officer, make_submission):
    now = now_utc()
    sub = make_submission()
    add_incident(db, officer, now - timedelta(days=30))                  # all windows
    add_incident(db, officer, now - timedelta(days=200))                 # 12 and 24 months
    add_incident(db, officer, now - timedelta(days=500), severity=Severity.MINOR,
                 location=Location.OUTSIDE_NEARBY)                       # 24 months only
    add_incident(db, officer, now - timedelta(days=800))                 # too old
    add_incident(db, officer, now + timedelta(days=1))                   # after the assessment
    values = features_of(db, sub, now)
    assert values["venue_knife_6m_count"] == 1
    assert values["venue_knife_12m_count"] == 2
    assert values["venue_knife_24m_count"] == 3
    assert values["venue_knife_12m"] == 4.0          # serious inside counts 2 each
    assert values["venue_knife_24m"] == 4.25         # + minor (0.5) outside (x0.5)
    assert values["venue_violence_24m_count"] == 3
    assert values["venue_firearm_24m_count"] == 0


def test_past_events_are_scored_as_of_their_start(db, officer, make_submission):
    now = now_utc()
    sub = make_submission()
    add_incident(db, officer, sub.start - timedelta(days=10))
    add_incident(db, officer, sub.start - timedelta(hours=1))
    later = sub.start + timedelta(days=30)
    add_incident(db, officer, sub.start + timedelta(days=2))  # after the event
    assert features_of(db, sub, later)["venue_knife_6m_count"] == 2
    assert features_of(db, sub, now)["venue_knife_6m_count"] == 0


def test_promoter_history_and_same_night_events(db, officer, make_submission):
    past = make_submission(start="2026-01-10T22:00", end="2026-01-11T02:00")
    add_incident(db, officer, past.start + timedelta(hours=1), event_reference=past.reference)
    add_incident(db, officer, past.start + timedelta(hours=2), event_reference=past.reference)
    sub = make_submission()
    make_submission(start=sub.start.astimezone().strftime("%Y-%m-%dT%H:%M"))
    values = features_of(db, sub, now_utc())
    assert values["promoter_incidents_24m_count"] == 2
    assert values["same_night_borough_events"] == 1


def test_scoring_stores_an_immutable_snapshot_and_marks_assessed(db, officer, make_submission):
    sub = make_submission(door_supervisors="1")
    [result] = service.score_references(db, officer, [sub.reference])
    assert result.stored
    assert "door-shortfall" in {f.id for f in result.assessment.fired}
    assert submissions.get(db, sub.id).status.value == "assessed"
    stored = service.latest_assessment(db, sub.id)
    assert stored.grade is result.assessment.grade
    assert stored.features["door_supervisor_shortfall"] == 3  # 4 required for 300
    # Rescoring unchanged inputs adds nothing; a change adds a snapshot, keeping the first.
    [again] = service.score_references(db, officer, [sub.reference])
    assert not again.stored
    submissions.update(db, officer, replace(submissions.get(db, sub.id), door_supervisors=3))
    [third] = service.score_references(db, officer, [sub.reference])
    assert third.stored
    assert db.execute("SELECT count(*) FROM assessments WHERE submission_id = ?",
                      [sub.id]).fetchone()[0] == 2


def test_evidence_names_the_incidents(db, officer, make_submission):
    sub = make_submission()
    inc = add_incident(db, officer, now_utc() - timedelta(days=20))
    [result] = service.score_references(db, officer, [sub.reference])
    knife = next(f for f in result.assessment.fired if f.id == "venue-knife-12m")
    assert inc.reference in knife.evidence
    assert knife.incident_refs == (inc.reference,)


def test_what_if_lowers_the_grade_and_explains_each_rule(db, officer, make_submission):
    sub = make_submission(door_supervisors="0", search_regime="none", ticketing="door_only",
                          expected_attendance="390")
    what_if = whatif.WhatIf(db, sub.id)
    result = what_if.try_measures({"door_supervisors": 8, "search_regime": SearchRegime.WAND,
                                   "end": sub.start + timedelta(hours=2)})
    assert result.proposed.score < result.base.score
    changed = {c.id: c.delta for c in result.changes}
    assert changed["door-shortfall"] == -15 and changed["no-search"] == -10
    assert submissions.get(db, sub.id).door_supervisors == 0  # nothing saved


def test_agreed_measures_become_conditions(db, tmp_path, officer, make_submission):
    from eventrisk.desk import Desk

    sub = make_submission(door_supervisors="1")
    desk = Desk(db, str(tmp_path / "desk.db"))
    desk.sign_in("officer", "officer-pass")
    [before] = desk.score([sub.reference])
    state = desk.agree_measures(sub.id, before.version, {"door_supervisors": 6})
    assert state.submission.door_supervisors == 6
    assert state.submission.conditions == ("At least 6 SIA door supervisors on duty "
                                           "throughout.",)
    assert state.snapshot.id != before.snapshot.id
    assert state.snapshot.score < before.snapshot.score


def test_publishing_rules_is_for_supervisors_and_audited(db, officer, supervisor):
    draft = replace(default_ruleset(), version="2026.2", sha256="x" * 64)
    with pytest.raises(PermissionDenied):
        rulebook.publish_ruleset(db, officer, draft)
    rulebook.publish_ruleset(db, supervisor, draft)
    assert db.execute("SELECT version FROM rulesets WHERE active = 1").fetchone()[0] == "2026.2"
    assert db.execute("SELECT count(*) FROM audit_log WHERE action = 'ruleset.publish'"
                      ).fetchone()[0] == 1
    with pytest.raises(RulesError, match="already published with different rules"):
        rulebook.publish_ruleset(db, supervisor, replace(draft, sha256="y" * 64))


def test_impact_lists_events_that_would_change_grade(db, officer, make_submission):
    sub = make_submission(door_supervisors="0")
    base = default_ruleset()
    harsher = parse_ruleset(base.source.replace('version = "2026.2"', 'version = "t2"').replace(
        'id = "door-shortfall"\ntitle = "Fewer SIA door supervisors than the common condition"\n'
        'when = "door_supervisor_shortfall >= 1"\npoints = 15',
        'id = "door-shortfall"\ntitle = "Fewer SIA door supervisors than the common condition"\n'
        'when = "door_supervisor_shortfall >= 1"\npoints = 60'), "draft.toml")
    result = impact_of.impact(db, harsher)
    assert result.considered == 1
    assert [r.reference for r in result.up] == [sub.reference]
    assert result.up[0].grade_after.rank > result.up[0].grade_before.rank
    assert result.down == ()


def test_firearm_floor_applies_through_the_database(db, officer, make_submission):
    sub = make_submission()
    add_incident(db, officer, now_utc() - timedelta(days=40), category=IncidentCategory.FIREARM)
    [result] = service.score_references(db, officer, [sub.reference])
    assert result.assessment.grade.rank >= Grade.HIGH.rank


def test_correcting_an_incident_is_versioned_audited_and_rescored(db, officer, supervisor,
                                                                 make_submission):
    from eventrisk.errors import ConflictError

    sub = make_submission()
    inc = add_incident(db, officer, now_utc() - timedelta(days=20))
    [before] = service.score_references(db, officer, [sub.reference])
    assert "venue-knife-12m" in {f.id for f in before.assessment.fired}
    fixed = incidents.update(db, supervisor, replace(inc, category=IncidentCategory.OTHER))
    assert fixed.version == inc.version + 1 and fixed.reference == inc.reference
    with pytest.raises(ConflictError, match="changed by supervisor"):
        incidents.update(db, officer, replace(inc, description="stale edit"))
    [after] = service.score_references(db, officer, [sub.reference])
    assert "venue-knife-12m" not in {f.id for f in after.assessment.fired}
    entry = db.execute("SELECT detail FROM audit_log WHERE action = 'incident.edit'").fetchone()
    assert '"category": ["knife", "other"]' in entry[0]


def test_history_read_over_its_own_span_equals_history_read_with_the_whole_desk(tmp_path):
    """Each event's windows read only the incidents they can reach; computed alone (a span of
    two years) or among every event on the desk (a span of all of them), the values agree."""
    from eventrisk.desk import Desk
    from eventrisk.scoring import history
    from eventrisk.timeutil import now_utc

    desk = Desk.open(tmp_path / "d.db", create=True)
    desk.build_demo(venues=5, events=300, incidents=900, seed=13)
    now = now_utc()
    # Incidents exactly on one event's window edges: in at 24, 12 and 6 months back, out at
    # the assessment time itself.
    probe = desk.db.execute("SELECT max(id) FROM submissions WHERE status != 'cancelled'"
                            ).fetchone()[0]
    [before] = history.compute(desk.db, "s.id = :id", {"id": probe}, now)
    for n, (edge, category, severity, location) in enumerate((
            (24, "knife", 3, "door"), (12, "firearm", 2, "outside_nearby"),
            (6, "violence_with_injury", 1, "inside"), (0, "disorder", 3, "inside"))):
        desk.db.execute(
            "INSERT INTO incidents (reference, venue_id, occurred_at, category, severity, "
            "location) VALUES (?, ?, ?, ?, ?, ?)",
            [f"EDGE-{n}", before.venue_id, before.bounds[edge], category, severity, location])
    together = {h.submission_id: h.values for h in history.compute(desk.db, "1", {}, now)}
    assert together[probe]["venue_incidents_12m_count"] == \
        before.values["venue_incidents_12m_count"] + 2
    assert together[probe]["venue_violence_24m_count"] == \
        before.values["venue_violence_24m_count"] + 3  # knife, firearm, injury: not disorder
    assert together[probe]["venue_violence_6m"] == before.values["venue_violence_6m"] + 0.5
    ids = sorted(together)[::7] + [probe]
    for sid in ids:
        [alone] = history.compute(desk.db, "s.id = :id", {"id": sid}, now)
        assert alone.values == together[sid], sid
    assert any(v["venue_incidents_12m_count"] for v in together.values())
    desk.close()


def test_a_rescore_builds_evidence_only_where_something_changed(tmp_path, monkeypatch):
    from eventrisk.desk import Desk
    from eventrisk.scoring import service as scoring

    desk = Desk.open(tmp_path / "d.db", create=True)
    desk.build_demo(venues=4, events=120, incidents=80, seed=17)
    desk.sign_in("supervisor", "supervisor-demo")
    first = desk.rescore_all()
    explained: list[int] = []
    real = scoring.explain_many
    monkeypatch.setattr(scoring, "explain_many", lambda db, batch, rules: explained.extend(
        s.submission.id for s in batch) or real(db, batch, rules))
    again = desk.rescore_all()
    assert explained == [] and not any(r.stored for r in again)
    assert {(r.submission_id, r.grade, r.score) for r in again} == \
        {(r.submission_id, r.grade, r.score) for r in first}
    assert all(r.assessment is None for r in again)  # the stored snapshots stand
    sid = desk.db.execute("SELECT id FROM submissions WHERE status = 'assessed' LIMIT 1"
                          ).fetchone()[0]
    desk.save_submission(replace(desk.assessment(sid).submission, expected_attendance=5))
    explained.clear()
    desk.rescore_all()
    assert explained == []  # saving already rescored it; nothing else moved
    assert desk.verify_audit().ok
    desk.close()


@pytest.mark.sqlite_only  # SQLite's query planner
def test_an_evidence_look_up_takes_the_newest_incidents_straight_off_the_index(db):
    """The newest eight incidents of a venue's window, ties on the time broken by id, are read
    backwards off one index and the look-up stops there: no temporary tree sorting a
    window's incidents (m016)."""
    from eventrisk.scoring import history

    lookups = ("(SELECT 0 AS i, 'venue' AS kind, 1 AS k, '2020-01-01' AS t_from, "
               "'2030-01-01' AS t_to, ',knife,' AS categories)")
    plan = " ".join(r[3] for r in db.execute(
        "EXPLAIN QUERY PLAN " + history._REFS_SQL["venue"].format(lookups=lookups), ["\x1f"]))
    assert "COVERING INDEX idx_incidents_venue_time_id" in plan, plan
    assert "TEMP B-TREE" not in plan, plan
