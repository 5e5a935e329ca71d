"""Calibration: the statistics against known values, a synthetic desk whose true rates are
known, an over-grading borough the disparity check must name, the outcome window at its
edges, and the fields the report may read."""

from __future__ import annotations

import json
import random
import sqlite3
from datetime import date, datetime, timedelta

import pytest

from eventrisk.calibration import (
    OUTCOME_AFTER,
    auc,
    auc_interval,
    calibrate,
    wilson,
)
from eventrisk.db import open_database
from eventrisk.model import Grade
from eventrisk.scoring.rules import default_ruleset, parse_ruleset
from eventrisk.timeutil import to_db

NOW = datetime.fromisoformat("2026-11-01T12:00:00+00:00")
TRUE_RATE = {Grade.LOW: 0.05, Grade.MEDIUM: 0.12, Grade.HIGH: 0.25, Grade.CRITICAL: 0.45}
SCORE = {Grade.LOW: 10, Grade.MEDIUM: 70, Grade.HIGH: 100, Grade.CRITICAL: 140}


# ---- the statistics ----------------------------------------------------------------------------

@pytest.mark.parametrize("k, n, low, high", [
    (5, 10, 0.2366, 0.7634),  # the textbook example (Newcombe 1998, Agresti & Coull 1998)
    (0, 10, 0.0, 0.2775),
    (10, 10, 0.7225, 1.0),
    (81, 263, 0.2553, 0.3662),
])
def test_wilson_matches_published_values(k, n, low, high):
    got = wilson(k, n)
    assert got == pytest.approx((low, high), abs=5e-4)


def test_auc_matches_known_values():
    # scikit-learn's documented example: roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    assert auc([0.1, 0.4, 0.35, 0.8], [False, False, True, True]) == pytest.approx(0.75)
    assert auc([1, 2, 3, 4], [False, False, True, True]) == 1.0
    assert auc([1, 2, 3, 4], [True, True, False, False]) == 0.0
    assert auc([5, 5, 5, 5], [True, False, True, False]) == 0.5  # ties count half
    assert auc([1, 2], [True, True]) is None  # nothing to rank against


def test_auc_interval_is_seeded_and_brackets_the_estimate():
    rng = random.Random(1)
    scores = [rng.randint(0, 100) for _ in range(3000)]
    outcomes = [rng.random() < 0.05 + s / 250 for s in scores]
    first, again = auc_interval(scores, outcomes), auc_interval(scores, outcomes)
    assert first == again
    estimate = auc(scores, outcomes)
    assert first[0] < estimate < first[1] and first[1] - first[0] < 0.1


# ---- synthetic desks --------------------------------------------------------------------------

def _desk(tmp_path, *, events_per_grade=1500, unfair=0, overrides=0, seed=3):
    """Past events with a known trouble rate per grade.  ``unfair`` Sutton events are really
    LOW-risk, but a door rule worth 90 points makes them HIGH."""
    db = open_database(tmp_path / "synthetic.db")
    rng = random.Random(seed)
    db.execute("INSERT INTO users (username, display_name, role, password_hash, active) VALUES "
               "('boss', 'Pat Boss', 'supervisor', 'x', 1)")
    for code, borough in (("HKN-1", "Hackney"), ("CMD-1", "Camden"), ("SUT-1", "Sutton")):
        db.execute("INSERT INTO venues (code, name, borough, capacity) VALUES (?, ?, ?, 500)",
                   [code, f"Venue {code}", borough])
    db.execute("INSERT INTO promoters (name) VALUES ('Synthetic Promotions')")
    plan = [(g, rng.choice((1, 2))) for g in Grade for _ in range(events_per_grade)]
    plan += [(Grade.LOW, 3)] * unfair
    start = datetime.fromisoformat("2019-01-03T21:00:00+00:00")
    rows: dict[str, list] = {table: [] for table in _INSERT}
    for n, (grade, venue) in enumerate(plan):
        _event(rows, rng, n, grade, venue, start + timedelta(hours=8 * n), overrides)
    with db.atomic():  # written a table at a time: 20,000 events a test took seconds row by row
        for table, sql in _INSERT.items():
            db.conn.executemany(sql, rows[table])
    return db


# A new desk's first submission and assessment have the id 1, so event n's are n + 1.
_INSERT = {
    "submissions": "INSERT INTO submissions (id, reference, event_name, venue_id, promoter_id, "
                   "event_type, starts_at, ends_at, night, status, grade) VALUES (?, ?, 'Night',"
                   " ?, 1, ?, ?, ?, ?, 'debriefed', ?)",
    "assessments": "INSERT INTO assessments (id, submission_id, created_at, as_of, "
                   "ruleset_version, score, grade, fired, features) VALUES (?, ?, ?, ?, "
                   "'synthetic', ?, ?, ?, '{}')",
    "pointers": "UPDATE submissions SET assessment_id = ? WHERE id = ?",
    "incidents": "INSERT INTO incidents (reference, venue_id, occurred_at, category, severity, "
                 "location, submission_id) VALUES (?, ?, ?, 'disorder', ?, 'inside', ?)",
    "debriefs": "INSERT INTO debriefs (submission_id, went_ahead, incidents_noted) VALUES "
                "(?, 1, ?)",
    "reviews": "INSERT INTO reviews (submission_id, reviewer_id, decision, comment, grade_before,"
               " grade_after, created_at) VALUES (?, 1, 'override', ?, ?, ?, ?)",
}


AS_OF = timedelta(days=3)  # each event is scored three days before it


def _event(rows, rng, n, grade, venue, when, overrides):
    rules = [{"id": "history", "points": SCORE[grade]}]
    graded, score = grade, SCORE[grade]
    if venue == 3:
        rules.append({"id": "door", "points": 90})
        graded, score = Grade.HIGH, SCORE[grade] + 90
    sid = aid = n + 1
    rows["submissions"].append(
        [sid, f"ER-2025-{n:06d}", venue, "club_night" if n % 3 else "concert", to_db(when),
         to_db(when + timedelta(hours=4)), when.date().isoformat(), graded.value])
    rows["assessments"].append([aid, sid, to_db(when - AS_OF), to_db(when - AS_OF), score,
                                graded.value, json.dumps(rules)])
    rows["pointers"].append([aid, sid])
    trouble = rng.random() < TRUE_RATE[grade]
    if trouble:
        rows["incidents"].append([f"INC-{n}", venue, to_db(when + timedelta(hours=1)),
                                  rng.choice((2, 3)), sid])
    elif rng.random() < 0.3:  # minor trouble does not count
        rows["incidents"].append([f"INC-{n}", venue, to_db(when + timedelta(hours=1)), 1, sid])
    rows["debriefs"].append([sid, int(trouble)])
    if n % 30 == 0 and n // 30 < overrides:
        after = Grade.LOW if graded.rank >= Grade.HIGH.rank else Grade.CRITICAL
        rows["reviews"].append([sid, f"Justification {n}", graded.value, after.value,
                                to_db(when)])


def _report(db, **kw):
    return calibrate(db, date(2018, 1, 1), date(2026, 12, 31), grading=default_ruleset(),
                     now=NOW, **kw)


def test_the_report_recovers_known_rates_within_their_intervals(tmp_path):
    """95% intervals hold the true rate about 95% of the time: over five desks (20 grades)
    at least 17 must, and every one must be inside its 99.9% interval."""
    inside = 0
    for seed in range(1, 6):
        folder = tmp_path / str(seed)
        folder.mkdir()
        report = _report(_desk(folder, events_per_grade=1000, seed=seed))
        assert report.events == 4000
        for row in report.grades:
            true = TRUE_RATE[Grade(row.grade)]
            inside += row.outcome.low <= true <= row.outcome.high
            wide = wilson(row.outcome.with_outcome, row.outcome.events, z=3.29)
            assert wide[0] <= true <= wide[1], (seed, row)
        assert report.rates_rise and "rises with every grade" in report.rise_note
        assert 0.6 < report.auc < 0.85 and report.auc_low < report.auc < report.auc_high
        deciles = [d.outcome.rate for d in report.deciles]
        assert deciles[-1] > deciles[0] * 4
        assert [d.outcome.events for d in report.deciles] == [400] * 10
        assert not [g for g in report.disparity if g.finding]  # nobody over- or under-graded
    assert inside >= 17


def test_rates_that_fall_with_the_grade_are_called_out(tmp_path):
    db = _desk(tmp_path, events_per_grade=400)
    # A supervisor overrode every CRITICAL to LOW, and 400 LOW to CRITICAL.
    swap = ("INSERT INTO reviews (submission_id, reviewer_id, decision, comment, grade_before,"
            " grade_after, created_at) SELECT id, 1, 'override', 'swap', grade, ?, starts_at "
            "FROM submissions WHERE id IN (SELECT id FROM submissions WHERE grade = ? "
            "ORDER BY id LIMIT 400)")
    db.execute(swap, ["LOW", "CRITICAL"])
    db.execute(swap, ["CRITICAL", "LOW"])
    report = _report(db)
    assert not report.rates_rise
    assert "no more often than" in report.rise_note


def test_the_disparity_check_names_the_over_grading_borough_and_its_rule(tmp_path):
    report = _report(_desk(tmp_path, events_per_grade=800, unfair=600))
    named = [g for g in report.disparity if g.finding]
    assert named[0].group == "Sutton" and named[0].finding == "over-graded"
    assert named[0].oe_high < 1 and named[0].p_value < 0.05
    assert named[0].drivers[0][0] == "door"
    door = next(r for r in report.rules if r.rule == "door")
    assert door.verdict == "fires on calmer events"


def test_rule_by_rule_under_a_chosen_ruleset(tmp_path):
    db = _desk(tmp_path, events_per_grade=300)
    features = {"attendance_ratio": 1.2}
    db.execute("DROP TRIGGER assessments_no_update")
    db.execute("UPDATE assessments SET features = ? WHERE id % 2 = 0", [json.dumps(features)])
    db.execute("UPDATE assessments SET features = '{\"attendance_ratio\": 0.5}' WHERE id % 2 = 1")
    source = default_ruleset().source
    report = _report(db, ruleset=parse_ruleset(source.replace('version = "2026.2"',
                                                              'version = "draft"'), "draft"))
    assert report.basis == "ruleset draft"
    over = next(r for r in report.rules if r.rule == "over-capacity")
    assert over.fired == 600 and over.points == 25
    assert any(r.verdict == "never fired" for r in report.rules)
    mix = {m.grade: m for m in report.mix}
    assert mix["HIGH"].target == 0.15 and mix["MEDIUM"].suggested_min_score is not None


def test_suggested_band_starts_meet_the_target_mix_or_say_why(tmp_path):
    """Four scores, a quarter of the events each: no start can put 15% at HIGH or above,
    since a band takes or leaves the events tied at a score together, and the row says so."""
    report = _report(_desk(tmp_path, events_per_grade=500))
    scores = sorted(SCORE[g] for g in Grade for _ in range(500))
    for m in report.mix:
        if m.suggested_min_score is None:
            continue
        reaching = sum(s >= m.suggested_min_score for s in scores) / len(scores)
        assert reaching <= m.target and reaching == m.suggested_at_or_above
        assert m.meets_target == (abs(reaching - m.target) <= 0.01)
        assert m.meets_target or "share the score" in m.why_not
    medium = next(m for m in report.mix if m.grade == "MEDIUM")
    assert medium.suggested_at_or_above == 0.25 and not medium.meets_target  # 75%, or 25%


def test_re_graded_under_a_ruleset_the_mix_holds_overrides(tmp_path):
    """Under --ruleset every event is re-graded from its features (these have none, so every
    score is 0), but a supervisor's override stands: the suggested mix keeps them."""
    report = _report(_desk(tmp_path, events_per_grade=300, overrides=40),
                     ruleset=default_ruleset())
    raised = sum(1 for o in report.override_list if o.after == "CRITICAL")
    assert raised > 5
    critical = next(m for m in report.mix if m.grade == "CRITICAL")
    assert critical.suggested_at_or_above == pytest.approx(raised / report.events)
    # The rest tie at 0: a band takes them all or none, and the row says so.
    assert not critical.meets_target and "share the score 0" in critical.why_not


def test_overrides_by_supervisor_direction_and_outcome(tmp_path):
    report = _report(_desk(tmp_path, events_per_grade=300, overrides=40))
    assert {(who, d) for who, d, _ in report.overrides_by} == {("Pat Boss", "up"),
                                                               ("Pat Boss", "down")}
    assert sum(n for *_, n in report.overrides_by) == 40
    assert report.overridden.events == 40 and report.not_overridden.events == 1160
    assert report.override_list[0].justification == "Justification 0"


def test_the_outcome_window_runs_from_the_start_to_two_hours_after(tmp_path):
    """Unlinked incidents at the venue count from the start (not before it: an event scored
    as of its start has already counted those as inputs) to 2 h after the end; one the desk
    linked to another event at the venue never counts; one linked to this event counts
    whenever it happened after the time the snapshot was scored as of."""
    assert OUTCOME_AFTER == timedelta(hours=2)
    db = _desk(tmp_path, events_per_grade=1)
    db.execute("DELETE FROM incidents")
    first = db.execute("SELECT id, venue_id, starts_at, ends_at FROM submissions ORDER BY id "
                       "LIMIT 1").fetchone()
    other = db.execute("SELECT id FROM submissions WHERE id != ? ORDER BY id LIMIT 1",
                       [first[0]]).fetchone()[0]
    start = datetime.fromisoformat(first[2].replace("Z", "+00:00"))
    end = datetime.fromisoformat(first[3].replace("Z", "+00:00"))
    as_of = start - AS_OF
    second = timedelta(seconds=1)
    cases = [(start, first[1], None, True),
             (start - second, first[1], None, False),  # the hour before: an input, not trouble
             (start - timedelta(minutes=30), first[1], None, False),
             (end + OUTCOME_AFTER, first[1], None, True),
             (end + OUTCOME_AFTER + second, first[1], None, False),
             (start + timedelta(hours=1), first[1], other, False),  # another event's
             (start - timedelta(hours=1), first[1], first[0], True),  # linked, after as_of
             (as_of, first[1], first[0], True),
             (as_of - second, first[1], first[0], False),  # linked, but already an input
             (start + timedelta(hours=1), 3 - (first[1] == 2), None, False)]  # another venue
    for when, venue, link, counts in cases:
        db.execute("DELETE FROM incidents")
        db.execute("INSERT INTO incidents (reference, venue_id, occurred_at, category, severity,"
                   " location, submission_id) VALUES ('INC-W', ?, ?, 'knife', 3, 'inside', ?)",
                   [venue, to_db(when), link])
        report = _report(db)
        grade = next(g for g in report.grades if g.grade == "LOW")
        assert (grade.outcome.with_outcome == 1) is counts, (when, venue, link)


ALLOWED_READS = {
    "submissions": {"id", "reference", "starts_at", "ends_at", "status", "event_type",
                    "venue_id", "assessment_id", "created_at"},
    "venues": {"id", "borough"},
    # The snapshot: one packed blob (or, before m010 ran, its three texts).
    "assessments": {"id", "submission_id", "created_at", "as_of", "score", "grade", "packed",
                    "inputs", "fired", "features"},
    "incidents": {"submission_id", "venue_id", "occurred_at", "severity"},
    "debriefs": {"submission_id", "went_ahead", "incidents_noted"},
    "reviews": {"id", "submission_id", "reviewer_id", "decision", "comment", "grade_before",
                "grade_after", "assessment_id"},
    "users": {"id", "display_name"},
}


@pytest.mark.parametrize("chosen", [False, True], ids=["as graded", "under a ruleset"])
def test_the_report_reads_only_the_documented_fields(tmp_path, chosen):
    db = _desk(tmp_path, events_per_grade=50, unfair=50, overrides=5)
    reads: set[tuple[str, str]] = set()

    def watch(action, table, column, _db, _trigger):
        if action == sqlite3.SQLITE_READ and table and column:
            reads.add((table, column))
        return sqlite3.SQLITE_OK
    db.conn.set_authorizer(watch)
    _report(db, ruleset=default_ruleset() if chosen else None)
    db.conn.set_authorizer(None)
    ours = {(t, c) for t, c in reads if t in ALLOWED_READS or not t.startswith(("json_",
                                                                               "sqlite_"))}
    assert ours, "the authorizer saw nothing"
    outside = {(t, c) for t, c in ours if c not in ALLOWED_READS.get(t, set())}
    assert not outside


# ---- the command --------------------------------------------------------------------------------

@pytest.fixture
def demo_desk(desk_path, tmp_path, capsys, monkeypatch):
    from tests.conftest import act_as, run_cli

    path = desk_path
    assert run_cli(capsys, "--db", path, "demo", "--events", "400", "--incidents", "600")[0] == 0
    act_as(monkeypatch, tmp_path, "supervisor", "supervisor-demo")
    assert run_cli(capsys, "--db", path, "score", "--all", "--yes")[0] == 0
    return path


def test_the_command_prints_every_figure_as_json_and_a_marked_pdf(demo_desk, capsys, tmp_path):
    from pypdf import PdfReader

    from tests.conftest import run_cli

    code, out, err = run_cli(capsys, "--db", demo_desk, "calibration", "--from", "2000-01-01",
                             "--to", date.today().isoformat(), "--json")
    assert code == 0 and "[1/4]" in err  # progress on stderr, the figures alone on stdout
    data = json.loads(out)
    assert 0.5 < data["auc"] < 1 and data["events"] > 300
    assert {"grades", "deciles", "rules", "mix", "disparity", "overrides_by",
            "outcome_definition", "protected_note"} <= data.keys()
    target = tmp_path / "cal.pdf"
    code, out, _ = run_cli(capsys, "--db", demo_desk, "calibration", "--from", "2000-01-01",
                           "--to", date.today().isoformat(), "-o", target)
    assert code == 0 and f"AUC {data['auc']:.3f}" in out
    text = "".join(p.extract_text() for p in PdfReader(target).pages)
    assert "OFFICIAL-SENSITIVE" in text and "TRAINING DATA" in text
    assert f"AUC {data['auc']:.3f}" in text  # paper and --json agree
    assert {"desk_errors", "desk_by_grade", "disparity_judged", "disparity_too_small",
            "disparity_note"} <= data.keys()
    for row in data["disparity"]:
        assert {"label", "observed", "expected", "oe", "oe_low", "oe_high", "p_value",
                "by_grade", "errors", "differs", "comparable", "finding"} <= row.keys()
    flat = " ".join(text.split())
    assert "Calibration within groups (read first)" in flat
    assert "Error-rate balance (read second)" in flat
    assert "calibrated within every group and also give every group the same false" in flat
    assert "can stand for the people who live there" in flat
    assert "changes the trouble recorded" in flat
    assert "club_night" not in text and "private_hire" not in text


def test_the_command_refuses_officers_and_names_bad_input(demo_desk, capsys, monkeypatch,
                                                           tmp_path):
    from tests.conftest import act_as, run_cli

    code, _, err = run_cli(capsys, "--db", demo_desk, "calibration", "--from", "2026-01-01",
                           "--to", "2025-01-01", "--json")
    assert code != 0 and "before it starts" in err and "Traceback" not in err
    code, _, err = run_cli(capsys, "--db", demo_desk, "calibration", "--from", "2026-01-01",
                           "--to", "2026-02-01", "--ruleset", "1999.9", "--json")
    assert code != 0 and "no ruleset 1999.9" in err
    officer = tmp_path / "officer"
    officer.mkdir()
    act_as(monkeypatch, officer, "officer", "officer-demo")
    code, _, err = run_cli(capsys, "--db", demo_desk, "calibration", "--from", "2026-01-01",
                           "--to", "2026-02-01", "--json")
    assert code != 0 and "calibration" in err and "Traceback" not in err


def test_a_trainer_sees_the_planted_borough_named_on_the_default_demo(desk_path, tmp_path,
                                                                     capsys, monkeypatch):
    """The default demo, as a trainer makes it: the disparity check names the stewarded
    borough over-graded, with the door rule behind it, and no other borough."""
    from eventrisk import demo
    from tests.conftest import act_as, run_cli

    assert run_cli(capsys, "--db", desk_path, "demo")[0] == 0
    act_as(monkeypatch, tmp_path, "supervisor", "supervisor-demo")
    assert run_cli(capsys, "--db", desk_path, "score", "--all", "--yes")[0] == 0
    code, out, _ = run_cli(capsys, "--db", desk_path, "calibration", "--from", "2000-01-01",
                           "--to", date.today().isoformat(), "--json")
    assert code == 0
    named = [g for g in json.loads(out)["disparity"] if g["finding"]]
    assert [(g["group"], g["finding"]) for g in named if g["kind"] == "borough"] == [
        (demo.OVERGRADED_BOROUGH, "over-graded")]
    assert named[0]["group"] == demo.OVERGRADED_BOROUGH
    assert named[0]["events"] >= 100
    assert named[0]["drivers"][0][0] == "door-shortfall"
