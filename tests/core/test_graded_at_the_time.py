"""The grade the desk acted on is part of the record (issue 32, items 1 and 2).

A rescore (a new ruleset, a late incident) never changes the grade in force of an event that
has started, or of a decided one; an upcoming decided event gets the new snapshot beside its
decision, marked for re-review.  The calibration of a past period measures the decisions the
desk took, and does not move.  A fresh demo desk has such a past from the start."""

from datetime import date, timedelta

import pytest

from eventrisk import calibration, demo, workflow
from eventrisk.db import open_database
from eventrisk.desk import readmodel
from eventrisk.model import Grade
from eventrisk.scoring import service
from eventrisk.scoring.rulebook import active_ruleset, publish_ruleset
from eventrisk.scoring.rules import default_ruleset, parsed
from eventrisk.timeutil import now_utc, to_db
from eventrisk.users import find_user
from eventrisk.verify import reconcile_submissions
from tests.conftest import BACKENDS, module_desk

NOW = now_utc()
PERIOD = (NOW.date() - timedelta(days=400), NOW.date() - timedelta(days=1))


@pytest.fixture(scope="module", params=BACKENDS)
def demo_desk(request, tmp_path_factory):
    with module_desk(request, tmp_path_factory) as path:
        db = open_database(path)
        demo.build(db, venues=8, events=200, incidents=300, seed=5)
        db.close()
        yield path


def harsh_ruleset():
    """The default rules with bands that make almost every event CRITICAL."""
    source = default_ruleset().source.replace('version = "2026.2"', 'version = "2099.1"')
    for old, new in (("min_score = 60", "min_score = 1"), ("min_score = 95", "min_score = 2"),
                     ("min_score = 130", "min_score = 3")):
        source = source.replace(old, new)
    return parsed(source, "harsh")


def _figures(db):
    # The band suggestions are made for the default bands each time (the ruleset in force
    # changes below, and with it the bands a suggestion is compared with).
    report = calibration.calibrate(db, *PERIOD, grading=default_ruleset(), now=NOW)
    data = report.to_json()
    data.pop("generated_at")
    return data


def _in_force(db):
    return db.execute("SELECT id, assessment_id, grade, score, override_grade FROM submissions "
                      "WHERE starts_at <= ? ORDER BY id", [to_db(NOW)]).fetchall()


def test_a_new_ruleset_and_a_late_incident_leave_the_past_as_graded(demo_desk, copy_desk):
    path = copy_desk(demo_desk, "desk.db")
    db = open_database(path)
    supervisor = find_user(db, "supervisor")
    before, in_force = _figures(db), _in_force(db)
    assert before["events"] > 150 and before["not_scored"] == 0
    publish_ruleset(db, supervisor, harsh_ruleset())
    results = service.score_all(db, supervisor, now=NOW)
    assert any(r.grade is Grade.CRITICAL and r.stored for r in results)  # the rules did bite
    # A late incident: a knife at a past event's venue a week before it, recorded now.
    venue, start = db.execute("SELECT venue_id, starts_at FROM submissions WHERE starts_at < ? "
                              "AND status = 'debriefed' ORDER BY starts_at DESC LIMIT 1",
                              [to_db(NOW)]).fetchone()
    db.execute("INSERT INTO incidents (reference, venue_id, occurred_at, category, severity, "
               "location) VALUES ('INC-LATE', ?, strftime('%Y-%m-%dT%H:%M:%SZ', ?, '-7 days'), "
               "'knife', 3, 'inside')", [venue, start])
    db.conn.commit()
    service.score_all(db, supervisor, now=NOW)
    assert _in_force(db) == in_force  # no started event's grade or snapshot moved
    assert _figures(db) == before  # and the calibration of the period did not move
    db.close()


def test_a_past_rescored_before_this_rule_still_measures_the_decisions(demo_desk, copy_desk,
                                                                      monkeypatch):
    """A desk whose rescores moved its past events' grades (as every rescore did before issue
    32) still measures what the desk decided, from the decisions' own snapshots."""
    path = copy_desk(demo_desk, "desk.db")
    db = open_database(path)
    supervisor = find_user(db, "supervisor")
    before, in_force = _figures(db), _in_force(db)
    monkeypatch.setattr(service, "_held", lambda known, started: [])
    monkeypatch.setattr(workflow, "DECIDED", frozenset())
    publish_ruleset(db, supervisor, harsh_ruleset())
    service.score_all(db, supervisor, now=NOW)
    assert _in_force(db) != in_force  # the old way: the past was re-graded
    assert _figures(db) == before
    db.close()


def test_an_upcoming_decided_event_keeps_its_grade_and_is_marked_for_re_review(demo_desk,
                                                                             copy_desk):
    path = copy_desk(demo_desk, "desk.db")
    db = open_database(path)
    supervisor = find_user(db, "supervisor")
    decided = db.execute("SELECT s.id, s.grade, s.assessment_id, s.version FROM submissions s "
                         "WHERE s.status IN ('approved', 'issued') AND s.starts_at > ? AND "
                         "s.grade != 'CRITICAL' ORDER BY s.id", [to_db(NOW)]).fetchall()
    assert decided
    undecided = db.execute("SELECT id FROM submissions WHERE status = 'assessed' AND "
                           "starts_at > ? AND grade != 'CRITICAL' LIMIT 1",
                           [to_db(NOW)]).fetchone()[0]
    publish_ruleset(db, supervisor, harsh_ruleset())
    service.score_all(db, supervisor, now=NOW)
    for sid, grade, aid, _version in decided:
        state = readmodel.load(db, sid)
        review = workflow.latest_review(db, sid)
        assert state.grade.value == grade  # the decided grade stays in force
        assert db.execute("SELECT grade FROM submissions WHERE id = ?", [sid]).fetchone()[0] \
            == grade  # in the queue too
        assert state.snapshot.id == review.assessment_id == aid  # the decision's snapshot
        assert state.rescored is not None and state.rescored.grade is Grade.CRITICAL
        assert state.decision_stale
        assert state.as_json()["rescored"]["grade"] == "CRITICAL"
    # An event no supervisor has decided on takes the new grade.
    assert readmodel.load(db, undecided).grade is Grade.CRITICAL
    # The audit trail replays to the same grades (verify knows the rule too).
    report = _reconciled(db)
    assert not [p for p in report.problems if "grade" in p], report.problems
    db.close()


def _reconciled(db):
    from eventrisk.verify import Report

    report = Report()
    reconcile_submissions(db, report, lambda *_: None)
    return report


def test_a_fresh_demo_has_a_past_the_desk_decided(demo_desk):
    db = open_database(demo_desk)
    rows = db.execute(
        "SELECT s.status, r.decision, a.as_of, s.starts_at, a.ruleset_version, s.grade, "
        "r.grade_after FROM submissions s LEFT JOIN reviews r ON r.id = (SELECT max(r2.id) FROM "
        "reviews r2 WHERE r2.submission_id = s.id) LEFT JOIN assessments a ON "
        "a.id = r.assessment_id WHERE s.starts_at < ?", [to_db(NOW)]).fetchall()
    live = [r for r in rows if r[0] != "cancelled"]
    assert {r[0] for r in live} == {"approved", "issued", "debriefed"}
    assert all(r[1] in ("approve", "override") for r in live)
    assert {r[1] for r in live} == {"approve", "override"}
    assert all(r[5] == r[6] for r in live)  # the grade in force is the one decided
    version = default_ruleset().version
    assert all(r[4] == version for r in live)
    # Scored as of the decision, days before the event, never after it started.
    lead = [(date.fromisoformat(r[3][:10]) - date.fromisoformat(r[2][:10])).days for r in live]
    assert min(lead) >= 0 and max(lead) >= 7 and sum(lead) / len(lead) > 3
    assert db.execute("SELECT count(*) FROM reviews WHERE decision = 'return'").fetchone()[0]
    report = calibration.calibrate(db, *PERIOD, grading=active_ruleset(db), now=NOW)
    assert report.not_scored == 0 and report.events > 150
    assert report.auc is not None and report.overrides_by
    assert not _reconciled(db).problems
    db.close()
    # The whole trail holds: chain, submissions, snapshots, reviews against their entries.
    from eventrisk.desk import Desk

    desk = Desk.open(demo_desk)
    try:
        desk.sign_in("admin", "admin-demo")
        report = desk.verify_audit()
    finally:
        desk.close()
    assert report.ok, report.problems


def _unscored_copies(db, year_shift: str, late: int, early: int) -> list[int]:
    """Copies of a past debriefed event with no snapshot: ``late`` entered after they had
    started, ``early`` before (as an import with their status, or a desk that never scored)."""
    made = []
    for n in range(late + early):
        created = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')" if n < late else "s.received_at"
        db.execute(
            "INSERT INTO submissions (reference, event_name, venue_id, promoter_id, event_type,"
            " starts_at, ends_at, night, status, received_at, created_at) SELECT ?, "
            "s.event_name, s.venue_id, s.promoter_id, s.event_type, strftime("
            f"'%Y-%m-%dT%H:%M:%SZ', s.starts_at, ?), strftime('%Y-%m-%dT%H:%M:%SZ', s.ends_at,"
            f" ?), s.night, ?, s.received_at, {created} FROM submissions s WHERE "
            "s.status = 'debriefed' ORDER BY s.id LIMIT 1",
            [f"ER-1999-{len(year_shift)}{n:05d}", year_shift, year_shift,
             "debriefed" if n else "approved"])
        made.append(db.execute("SELECT max(id) FROM submissions").fetchone()[0])
    db.conn.commit()
    return made


def test_unscored_past_events_are_counted_with_why_never_nothing_to_calibrate(demo_desk,
                                                                             copy_desk):
    import io

    from pypdf import PdfReader

    from eventrisk.report.calibration_pdf import render_calibration

    path = copy_desk(demo_desk, "desk.db")
    db = open_database(path)
    _unscored_copies(db, "+0 days", late=2, early=1)
    report = calibration.calibrate(db, *PERIOD, grading=default_ruleset(), now=NOW)
    assert report.not_scored == 3 and report.events > 150
    note = next(n for n in report.notes if "no snapshot" in n)
    assert note.startswith("3 past events") and "2 were entered on the desk after they had " \
        "started" in note and "1 was never scored before they took place" in note
    # A period where every past event is unscored: the headline says so, on screen and paper.
    made = _unscored_copies(db, "-2000 days", late=0, early=4)
    start = db.execute("SELECT min(starts_at) FROM submissions WHERE id IN (?, ?, ?, ?)",
                       made).fetchone()[0]
    day = date.fromisoformat(start[:10])
    old = calibration.calibrate(db, day - timedelta(days=30), day + timedelta(days=30),
                                grading=default_ruleset(), now=NOW)
    assert old.events == 0 and old.not_scored == 4
    assert "4 past events in this period have never been scored" in old.empty_headline
    assert "nothing to calibrate" not in old.empty_headline
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(
        render_calibration(old))).pages)
    assert "4 past events in this period have never been scored" in " ".join(text.split())
    db.close()


def test_the_letter_refusal_names_what_is_missing(demo_desk, copy_desk):
    from eventrisk.errors import WorkflowError
    from eventrisk.report.letter_pdf import letter_data, letter_refusal

    path = copy_desk(demo_desk, "desk.db")
    db = open_database(path)
    [approved] = _unscored_copies(db, "+0 days", late=1, early=0)
    state = readmodel.load(db, approved)
    refusal = letter_refusal(state)
    assert "is approved but has never been scored" in refusal
    assert "only once a supervisor has approved" not in refusal  # it is approved
    with pytest.raises(WorkflowError, match="never been scored"):
        letter_data(state, default_ruleset(), None, NOW)
    received = db.execute("SELECT id FROM submissions WHERE status = 'received' LIMIT 1"
                          ).fetchone()[0]
    assert "only once a supervisor has approved" in letter_refusal(readmodel.load(db, received))
    issued = db.execute("SELECT id FROM submissions WHERE status = 'issued' LIMIT 1"
                        ).fetchone()[0]
    assert letter_refusal(readmodel.load(db, issued)) == ""
    db.close()
