"""The desk service: one use case, one transaction, checked once.

Workflow without dead ends, four eyes, decisions on the version seen, save-and-score that is
safe to retry, and screen and paper reading one model."""

from __future__ import annotations

import itertools
import sqlite3
from dataclasses import replace
from datetime import timedelta

import pytest
from pypdf import PdfReader

from eventrisk import audit, settings
from eventrisk.desk import ConfirmationNeeded, Desk
from eventrisk.errors import ConflictError, PermissionDenied, ValidationError, WorkflowError
from eventrisk.model import (
    Debrief,
    Grade,
    Incident,
    IncidentCategory,
    Location,
    Role,
    Severity,
    Status,
)
from eventrisk.paths import resource
from eventrisk.scoring.rules import parse_ruleset
from eventrisk.timeutil import now_utc
from eventrisk.validation import validate_submission
from tests.conftest import event_fields
from tests.core.conftest import PASSWORDS  # noqa: E402, F401 - the desks fixture's

_names = itertools.count(1)


def capture(desk: Desk, **overrides):
    """A new event (a name of its own unless given: the same event twice is a duplicate)."""
    overrides.setdefault("event_name", f"Social {next(_names)}")
    return desk.save_submission(validate_submission(event_fields(**overrides)))


def in_review(desks, **overrides):
    state = capture(desks["capturer"], **overrides)
    return desks["capturer"].submit_for_review(state.submission.id, state.version)


# ---- save and score ---------------------------------------------------------------------------

def test_capture_saves_and_scores_in_one_go(desks):
    state = capture(desks["capturer"])
    assert state.status is Status.ASSESSED and state.snapshot is not None
    assert state.submission.captured_by == "capturer" == state.submission.edited_by
    assert {"submit_for_review", "edit", "agree_measures", "cancel"} <= state.actions


def test_a_failure_between_save_and_score_leaves_nothing_and_a_retry_makes_one(desks, db,
                                                                            monkeypatch):
    from eventrisk.scoring import service

    real = service.score_ids
    calls = {"n": 0}

    def locked_once(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise sqlite3.OperationalError("database is locked")
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "score_ids", locked_once)
    sub = validate_submission(event_fields(event_name="Retry Night"))
    from eventrisk.errors import StorageError

    with pytest.raises(StorageError, match="^The desk is busy: .* Your changes are kept; try "
                                           "again.$"):
        desks["officer"].save_submission(sub)
    assert db.execute("SELECT count(*) FROM submissions").fetchone()[0] == 0
    assert not [e for e in audit.history(db, "submission", 1)]
    state = desks["officer"].save_submission(sub)  # pressing Save again
    assert state.snapshot is not None
    assert db.execute("SELECT count(*) FROM submissions WHERE event_name = 'Retry Night'"
                      ).fetchone()[0] == 1
    assert audit.verify(db).ok


@pytest.mark.sqlite_only  # SQLite's BEGIN IMMEDIATE; the server's write lock: test_pg_server
def test_use_cases_start_with_begin_immediate(desks, db):
    """A deferred BEGIN fails at once when another workstation holds the write lock; the
    desk's transactions take the lock first and so wait for it."""
    seen = []
    db.conn.set_trace_callback(seen.append)
    capture(desks["officer"])
    db.conn.set_trace_callback(None)
    begins = [s for s in seen if s.startswith("BEGIN")]
    assert begins and all(s == "BEGIN IMMEDIATE" for s in begins)


# ---- the workflow, with no dead ends ----------------------------------------------------------

def test_a_returned_event_goes_back_to_review_without_changes(desks, db):
    state = in_review(desks)
    sid = state.submission.id
    state = desks["supervisor"].return_to_officer(sid, state.version, "Check the door team")
    assert state.status is Status.RETURNED and "submit_for_review" in \
        desks["capturer"].assessment(sid).actions
    state = desks["capturer"].submit_for_review(sid, state.version, "Checked: 6 is right")
    assert state.status is Status.IN_REVIEW
    entry = audit.history(db, "submission", sid)[0]
    assert entry.action == "submission.submit_for_review" and "Checked" in entry.reason


def test_editing_only_notes_keeps_a_decision_and_is_audited(desks, db):
    state = in_review(desks)
    sid = state.submission.id
    state = desks["supervisor"].approve(sid, state.version)
    edited = desks["capturer"].save_submission(replace(state.submission,
                                                       notes="Promoter rang back"))
    assert edited.status is Status.APPROVED and edited.submission.notes == "Promoter rang back"
    assert edited.snapshot.id == state.snapshot.id  # nothing scored changed: no new snapshot
    entry = audit.history(db, "submission", sid)[0]
    assert entry.action == "submission.edit" and entry.detail["scoring"] == []


@pytest.mark.parametrize("decided", ["in_review", "approved", "overridden", "issued"])
def test_changing_what_was_graded_asks_then_withdraws_the_decision(desks, db, decided):
    state = in_review(desks)
    sid = state.submission.id
    sup = desks["supervisor"]
    if decided == "approved":
        state = sup.approve(sid, state.version)
    elif decided == "overridden":
        new = Grade.CRITICAL if state.grade is not Grade.CRITICAL else Grade.LOW
        state = sup.override(sid, state.version, new, "Intelligence of planned disorder")
    elif decided == "issued":
        state = sup.approve(sid, state.version)
        state = desks["capturer"].issue(sid, state.version, sup.render_assessment(sid))
        state = desks["capturer"].assessment(sid)
    edit = replace(state.submission, expected_attendance=390)
    with pytest.raises(ConfirmationNeeded, match="expected attendance"):
        desks["capturer"].save_submission(edit)
    assert desks["capturer"].assessment(sid).version == state.version  # nothing written
    after = desks["capturer"].save_submission(edit, withdraw_reason="Promoter expects more")
    assert after.status is Status.ASSESSED and after.override is None
    assert after.grade == after.scored_grade and after.submission.expected_attendance == 390
    assert "submit_for_review" in after.actions
    actions = [e.action for e in audit.history(db, "submission", sid)[:3]]
    assert "submission.withdraw" in actions
    withdraw = next(e for e in audit.history(db, "submission", sid)
                    if e.action == "submission.withdraw")
    assert withdraw.reason == "Promoter expects more"
    assert withdraw.detail["fields"] == ["expected_attendance"]


def test_a_debrief_is_a_transition(desks, db):
    start = (now_utc() - timedelta(days=2)).astimezone().replace(tzinfo=None, second=0,
                                                                 microsecond=0)
    state = capture(desks["capturer"], start=start.isoformat(timespec="minutes"),
                    end=(start + timedelta(hours=4)).isoformat(timespec="minutes"))
    sid = state.submission.id
    assert "debrief" in state.actions
    desks["officer"].record_debrief(Debrief(sid, True, 280, 1, "Quiet night"))
    after = desks["officer"].assessment(sid)
    assert after.status is Status.DEBRIEFED and "debrief" not in after.actions
    entry = audit.history(db, "submission", sid)[0]
    assert entry.action == "submission.debrief" and entry.detail["to"] == "debriefed"
    with pytest.raises(WorkflowError):
        desks["officer"].record_debrief(Debrief(sid, True, 280, 1))


def test_rescore_all_changes_grades_never_statuses_and_is_for_supervisors(desks, db, venue):
    received = capture(desks["capturer"])
    returned = in_review(desks)
    desks["supervisor"].return_to_officer(returned.submission.id, returned.version, "No")
    before = dict(db.execute("SELECT id, status FROM submissions").fetchall())
    with pytest.raises(PermissionDenied, match="may not rescore every submission"):
        desks["officer"].rescore_all()
    desks["officer"].record_incident(Incident(
        venue.code, now_utc() - timedelta(days=10), IncidentCategory.FIREARM, Severity.SERIOUS,
        Location.DOOR, description="Shot fired outside"))
    results = desks["supervisor"].rescore_all()
    assert {r.submission_id for r in results} == set(before)
    assert all(r.grade in (Grade.HIGH, Grade.CRITICAL) for r in results)  # the new floor
    assert dict(db.execute("SELECT id, status FROM submissions").fetchall()) == before
    assert received.status is Status.ASSESSED


# ---- decisions on what was seen ---------------------------------------------------------------

def test_a_decision_on_a_stale_version_is_refused_with_who_and_when(desks, venue):
    state = in_review(desks)
    sid = state.submission.id
    desks["officer"].record_incident(Incident(
        venue.code, now_utc() - timedelta(days=10), IncidentCategory.FIREARM, Severity.SERIOUS,
        Location.INSIDE, description="Shot fired inside"))
    desks["officer"].score([state.submission.reference])  # the grade moves under the reviewer
    for decide in (lambda: desks["supervisor"].approve(sid, state.version),
                   lambda: desks["supervisor"].return_to_officer(sid, state.version, "x"),
                   lambda: desks["supervisor"].override(sid, state.version, Grade.LOW, "x"),
                   lambda: desks["supervisor"].cancel(sid, state.version, "x")):
        with pytest.raises(ConflictError, match="changed by officer at .* after you opened it"):
            decide()
    fresh = desks["supervisor"].assessment(sid)
    assert fresh.grade is not state.grade and fresh.status is Status.IN_REVIEW
    assert desks["supervisor"].approve(sid, fresh.version).status is Status.APPROVED


def test_a_decision_must_name_a_version(desks):
    state = in_review(desks)
    with pytest.raises(ValidationError, match="version"):
        desks["supervisor"].approve(state.submission.id, None)


# ---- four eyes --------------------------------------------------------------------------------

def test_four_eyes_for_who_captured_and_who_last_edited(desks, db):
    own = capture(desks["supervisor"])
    own = desks["supervisor"].submit_for_review(own.submission.id, own.version)
    assert own.four_eyes_blocked and "approve" not in own.actions
    with pytest.raises(PermissionDenied, match="Four eyes: you captured"):
        desks["supervisor"].approve(own.submission.id, own.version)
    with pytest.raises(PermissionDenied, match="Four eyes"):
        desks["supervisor"].override(own.submission.id, own.version, Grade.CRITICAL, "why")
    assert desks["supervisor2"].approve(own.submission.id, own.version).status \
        is Status.APPROVED
    theirs = in_review(desks)
    edited = desks["supervisor"].save_submission(replace(theirs.submission, notes="Rang them"))
    with pytest.raises(PermissionDenied, match="you last edited"):
        desks["supervisor"].approve(theirs.submission.id, edited.version)


def test_a_desk_of_one_supervisor_may_relax_four_eyes_and_the_audit_says_so(desks, db):
    with pytest.raises(PermissionDenied):
        desks["supervisor"].set_setting("four_eyes_relaxed", True)
    desks["admin"].set_setting("four_eyes_relaxed", True)
    change = audit.history(db, "settings", "four_eyes_relaxed")[0]
    assert change.actor == "admin" and change.detail == {"from": False, "to": True}
    own = capture(desks["supervisor"])
    own = desks["supervisor"].submit_for_review(own.submission.id, own.version)
    assert "approve" in own.actions
    desks["supervisor"].approve(own.submission.id, own.version)
    entry = audit.history(db, "submission", own.submission.id)[0]
    assert entry.action == "submission.approve" and "relaxed" in entry.detail["four_eyes"]
    with pytest.raises(ValidationError):
        desks["admin"].set_setting("idle_lock_minutes", -5)


# ---- the account as it is now -----------------------------------------------------------------

def test_a_supervisor_disabled_or_demoted_after_signing_in_decides_nothing(desks):
    state = in_review(desks)
    sid = state.submission.id
    desks["admin"].set_account_role("supervisor", Role.OFFICER, "Moved to the desk")
    with pytest.raises(PermissionDenied, match="may not approve"):
        desks["supervisor"].approve(sid, state.version)
    desks["admin"].set_account_active("supervisor2", False, "Left the unit")
    with pytest.raises(PermissionDenied, match="deactivated"):
        desks["supervisor2"].approve(sid, state.version)
    with pytest.raises(PermissionDenied, match="deactivated"):
        desks["supervisor2"].assessment(sid)


def test_the_desk_always_keeps_an_administrator(desks):
    with pytest.raises(ValidationError, match="cannot deactivate your own"):
        desks["admin"].set_account_active("admin", False)
    with pytest.raises(ValidationError, match="at least one active administrator"):
        desks["admin"].set_account_role("admin", Role.SUPERVISOR)


# ---- one read model for screen and paper ------------------------------------------------------

def test_screen_paper_and_json_agree_after_a_new_ruleset_is_published(desks, db):
    state = in_review(desks)
    sid = state.submission.id
    before = state.guidance
    text = resource("rules", "default.toml").read_text("utf-8")
    draft = parse_ruleset(text.replace('version = "2026.2"', 'version = "2027.1"').replace(
        before, "NEW WORDING FOR THIS BAND"), "draft")
    assert draft.guidance(state.grade) == "NEW WORDING FOR THIS BAND"
    desks["supervisor"].publish_rules(draft)
    screen = desks["supervisor"].assessment(sid)
    assert screen.guidance == before and screen.snapshot.ruleset_version == "2026.2"
    pdf = desks["supervisor"].render_assessment(sid)
    import io

    paper = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)
    assert " ".join(before.split()) in paper and "NEW WORDING" not in paper
    assert screen.as_json()["guidance"] == before
    # Overrides are read from the same place by both.
    over = desks["supervisor"].override(sid, screen.version, Grade.CRITICAL
                                        if screen.grade is not Grade.CRITICAL else Grade.LOW,
                                        "Planned disorder")
    pdf = desks["supervisor"].render_assessment(sid)
    paper = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert over.grade.value in paper and "set by supervisor" in paper


def test_training_desk_paper_says_so_on_every_page(tmp_path):
    import io

    desk = Desk.open(tmp_path / "training.db", create=True)
    desk.build_demo(venues=6, events=60, incidents=20, seed=2)
    desk.sign_in("supervisor", "supervisor-demo")
    sid = desk.db.execute("SELECT id FROM submissions WHERE assessment_id IS NOT NULL LIMIT 1"
                          ).fetchone()[0]
    pages = PdfReader(io.BytesIO(desk.render_assessment(sid))).pages
    assert all("TRAINING DATA — NOT FOR OPERATIONAL USE" in p.extract_text() for p in pages)
    assert desk.assessment(sid).training
    desk.close()


def test_score_names_the_snapshot_ruleset_and_refuses_cancelled(desks):
    state = capture(desks["capturer"])
    desks["capturer"].cancel(state.submission.id, state.version, "Promoter withdrew")
    with pytest.raises(WorkflowError, match="cancelled"):
        desks["capturer"].score([state.submission.reference])


def test_settings_are_declared_once_with_defaults(db):
    assert settings.get(db, "four_eyes_relaxed") is False
    assert settings.get(db, "idle_lock_minutes") == 15


# ---- the same event twice -----------------------------------------------------------------------

def test_a_second_copy_of_an_event_is_flagged_and_saving_it_anyway_is_recorded(desks, db):
    first = capture(desks["capturer"], event_name="Winter Social")
    from eventrisk.desk import PossibleDuplicate

    with pytest.raises(PossibleDuplicate) as exc:
        capture(desks["officer"], event_name="  winter   SOCIAL! ")
    assert exc.value.references == [first.submission.reference]
    assert db.execute("SELECT count(*) FROM submissions").fetchone()[0] == 1
    second = desks["officer"].save_submission(validate_submission(event_fields(
        event_name="Winter social")), duplicate_ok=True)
    created = [e for e in audit.history(db, "submission", second.submission.id)
               if e.action == "submission.create"][0]
    assert created.detail["duplicate_of"] == [first.submission.reference]
    desks["capturer"].cancel(first.submission.id, first.version, "Entered twice")
    desks["officer"].cancel(second.submission.id, second.version, "Entered twice")
    capture(desks["officer"], event_name="Winter Social")  # cancelled ones do not count


def test_the_desk_holds_code_to_the_same_limits_as_the_form(desks, db):
    from datetime import UTC, datetime

    good = validate_submission(event_fields(event_name="Limits Night"))
    for bad in (replace(good, start=datetime(999, 6, 1, 21, tzinfo=UTC)),
                replace(good, event_name="Null\x00Night"),
                replace(good, notes="x" * 5000)):
        with pytest.raises(ValidationError):
            desks["officer"].save_submission(bad)
    assert db.execute("SELECT count(*) FROM submissions").fetchone()[0] == 0


def test_new_contact_details_for_a_known_promoter_are_confirmed_then_recorded(desks, db):
    from eventrisk.desk import PromoterDetailsChanged
    from eventrisk.venues import promoter_by_name

    first = capture(desks["capturer"], promoter_phone="07000 111111",
                    promoter_company="Lantern Events Ltd")
    with pytest.raises(PromoterDetailsChanged) as exc:
        capture(desks["officer"], promoter_phone="07000 999999")
    assert exc.value.changes == {"phone": ["07000 111111", "07000 999999"]}
    assert promoter_by_name(db, "Lantern Events").phone == "07000 111111"  # nothing dropped
    second = desks["officer"].save_submission(validate_submission(event_fields(
        event_name="Second Night", promoter_phone="07000 999999")), update_promoter=True)
    promoter = promoter_by_name(db, "lantern events")
    assert promoter.phone == "07000 999999" and promoter.company == "Lantern Events Ltd"
    entry = audit.history(db, "promoter", promoter.id)[0]
    assert entry.action == "promoter.edit" and entry.actor == "officer"
    assert entry.detail["phone"] == ["07000 111111", "07000 999999"]
    # The paper prints the current number, for both events.
    assert desks["officer"].assessment(first.submission.id).promoter.phone == "07000 999999"
    assert second.promoter.phone == "07000 999999"
    capture(desks["officer"], event_name="Third Night")  # blank details keep the stored ones


def test_four_eyes_keeps_out_everyone_who_changed_a_scoring_input_since_the_last_approval(
        desks, db):
    """Issue 31 row 2: a supervisor changes a scoring input of an officer's event (giving the
    withdraw reason), the officer then edits only the notes and resubmits: the supervisor is
    no longer the last editor, yet may not approve or override the grade their edit made.
    The set is carried with the event, shown on the assessment, and starts again at the next
    approval."""
    theirs = in_review(desks)
    sub_id = theirs.submission.id
    changed = desks["supervisor"].save_submission(
        replace(theirs.submission, expected_attendance=theirs.submission.expected_attendance
                + 150, version=theirs.version), withdraw_reason="Venue says more are coming")
    assert changed.submission.scoring_editors == ("supervisor",)
    notes = desks["capturer"].save_submission(replace(changed.submission, notes="Rang them"))
    assert notes.submission.edited_by == "capturer"
    assert notes.submission.scoring_editors == ("supervisor",)  # notes are not scoring
    again = desks["capturer"].submit_for_review(sub_id, notes.version)
    seen = desks["supervisor"].assessment(sub_id)
    assert seen.four_eyes_blocked and {"approve", "override"}.isdisjoint(seen.actions)
    assert seen.scoring_editors == (db.execute(
        "SELECT display_name FROM users WHERE username = 'supervisor'").fetchone()[0],)
    with pytest.raises(PermissionDenied, match="you changed a scoring input of"):
        desks["supervisor"].approve(sub_id, again.version)
    with pytest.raises(PermissionDenied, match="Four eyes"):
        desks["supervisor"].override(sub_id, again.version, Grade.CRITICAL, "why")
    # Another supervisor approves; the set starts again from there.
    done = desks["supervisor2"].approve(sub_id, again.version)
    assert done.status is Status.APPROVED and done.submission.scoring_editors == ()
    assert db.execute("SELECT scoring_editors FROM submissions WHERE id = ?", [sub_id]
                      ).fetchone()[0] == "[]"


@pytest.mark.sqlite_only
def test_m020_works_out_the_scoring_editors_of_existing_events_from_the_trail(desks, db):
    """A desk made before m020: each event's scoring editors since its last approval come
    from its edit entries (only those that changed a scoring input)."""
    from eventrisk import migrations

    edited = in_review(desks)
    desks["supervisor"].save_submission(
        replace(edited.submission, door_supervisors=9, version=edited.version),
        withdraw_reason="More staff")
    noted = capture(desks["capturer"])
    desks["officer"].save_submission(replace(noted.submission, notes="Rang them"))
    approved = in_review(desks)
    changed = desks["supervisor"].save_submission(
        replace(approved.submission, door_supervisors=7, version=approved.version),
        withdraw_reason="Fewer")
    again = desks["capturer"].submit_for_review(approved.submission.id, changed.version)
    desks["supervisor2"].approve(approved.submission.id, again.version)
    db.execute("ALTER TABLE submissions DROP COLUMN scoring_editors")
    migrations.m020_scoring_editors_and_logins(db)
    found = dict(db.execute("SELECT id, scoring_editors FROM submissions"))
    assert found[edited.submission.id] == '["supervisor"]'
    assert found[noted.submission.id] == "[]"  # notes are not a scoring input
    assert found[approved.submission.id] == "[]"  # approved since
