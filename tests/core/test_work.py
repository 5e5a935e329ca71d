"""My work, the review list and assignment (issue 12)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from eventrisk.errors import ConflictError, NotFoundError, PermissionDenied, ValidationError
from eventrisk.queue import QueueFilter
from eventrisk.timeutil import now_utc
from eventrisk.validation import validate_submission
from tests.conftest import event_fields
from tests.core.test_desk_service import capture


def test_an_officers_work_lists_returned_first_with_the_comment(desks):
    officer, sup = desks["capturer"], desks["supervisor"]
    back = capture(officer)
    back = officer.submit_for_review(back.submission.id, back.version)
    sup.return_to_officer(back.submission.id, back.version, "Check the door team numbers")
    waiting = capture(officer)
    waiting = officer.submit_for_review(waiting.submission.id, waiting.version)
    open_ = capture(officer)
    someone_elses = capture(desks["officer"])
    work = officer.my_work()
    assert [(r.row.reference, r.comment, r.by) for r in work.returned] == [
        (back.submission.reference, "Check the door team numbers", "Supervisor")]
    assert [r.reference for r in work.in_review] == [waiting.submission.reference]
    assert [r.reference for r in work.to_do] == [open_.submission.reference]
    everything = {r.reference for r in [*work.to_do, *work.in_review]} | \
        {r.row.reference for r in work.returned}
    assert someone_elses.submission.reference not in everything


def test_the_review_list_puts_the_longest_waiting_first(desks):
    officer, sup = desks["capturer"], desks["supervisor"]
    made = []
    for days_ago in (2, 9, 5):
        received = (now_utc() - timedelta(days=days_ago)).astimezone().replace(tzinfo=None)
        state = officer.save_submission(validate_submission(event_fields(
            event_name=f"Waiting {days_ago}",
            received_at=received.isoformat(timespec="minutes"))))
        made.append(officer.submit_for_review(state.submission.id, state.version))
    order = [r.event_name for r in sup.review_list()]
    assert order == ["Waiting 9", "Waiting 5", "Waiting 2"]


def test_a_supervisor_assigns_an_event_versioned_and_audited(desks, db):
    officer, sup = desks["capturer"], desks["supervisor"]
    state = capture(officer)
    sid = state.submission.id
    with pytest.raises(PermissionDenied):
        officer.assign(sid, state.version, "officer")
    version = sup.assign(sid, state.version, "officer")
    assert version == state.version + 1
    assert [r.reference for r in desks["officer"].my_work().to_do] == [
        state.submission.reference]
    assert officer.my_work().to_do == []
    entry = db.execute("SELECT actor, detail FROM audit_log WHERE action = 'submission.assign'"
                       ).fetchone()
    assert entry[0] == "supervisor" and '"assigned_to": "officer"' in entry[1]
    with pytest.raises(ConflictError):
        sup.assign(sid, state.version, "capturer")  # the version they saw has moved
    with pytest.raises(ValidationError, match="already with"):
        sup.assign(sid, version, "officer")
    with pytest.raises(ValidationError, match="not an active officer"):
        sup.assign(sid, version, "admin")
    queue_row = next(r for r in sup.queue_page(QueueFilter(), limit=50) if r.id == sid)
    assert queue_row.assigned == "Officer"
    assert sup.verify_audit().ok  # the replayed version counts the assignment
    assert sup.assessment(sid).status is state.status  # assigning decides nothing


def test_a_draft_keeps_what_was_typed_and_is_its_officers_alone(desks, db):
    officer, other = desks["capturer"], desks["officer"]
    draft = officer.save_draft({"event_name": "Half Done", "start": "19/12/2026 22:",
                                "expected_attendance": "lots", "notes": "ring back"})
    assert draft.title == "Half Done" and draft.fields["expected_attendance"] == "lots"
    again = officer.save_draft({"event_name": "", "notes": "still to ask"}, draft.id)
    assert again.id == draft.id and again.title == "(no name yet)"
    assert [d.id for d in officer.my_work().drafts] == [draft.id]
    assert officer.draft(draft.id).fields == {"event_name": "", "notes": "still to ask"}
    assert other.drafts() == []
    with pytest.raises(NotFoundError):
        other.draft(draft.id)
    with pytest.raises(NotFoundError):
        other.save_draft({"event_name": "Mine now"}, draft.id)
    other.discard_draft(draft.id)  # not theirs: nothing happens
    assert officer.drafts() != []
    with pytest.raises(ValidationError, match="colour"):
        officer.save_draft({"colour": "red"})
    with pytest.raises(ValidationError, match="longer than"):
        officer.save_draft({"notes": "x" * 20_001})
    officer.discard_draft(draft.id)
    assert officer.drafts() == [] and db.execute("SELECT count(*) FROM drafts").fetchone()[0] == 0


# ---- entry terms not stated (issue 12) -----------------------------------------------------

def test_unstated_entry_terms_score_as_the_worst_and_say_so(desks):
    from eventrisk.scoring.scorer import ASSUMED_NOTE

    officer = desks["capturer"]
    unstated = capture(officer, ticketing="", min_age="", alcohol="")
    stated_worst = capture(officer, ticketing="door_only", min_age="16", alcohol="true")
    stated_safe = capture(officer, ticketing="advance_only", min_age="18", alcohol="false")
    unstated, stated_worst, stated_safe = (s.submission.id for s in
                                           (unstated, stated_worst, stated_safe))
    fired = {sid: {f.id: f for f in officer.assessment(sid).snapshot.fired}
             for sid in (unstated, stated_worst, stated_safe)}
    entry_rules = {"door-only-tickets", "under-18-alcohol"}
    assert entry_rules <= set(fired[unstated]) and entry_rules <= set(fired[stated_worst])
    assert not entry_rules & set(fired[stated_safe])
    for rule in entry_rules:  # the same points as the worst stated answer, and said to be
        assert fired[unstated][rule].points == fired[stated_worst][rule].points
        assert fired[unstated][rule].evidence.endswith(ASSUMED_NOTE)
        assert not fired[stated_worst][rule].evidence.endswith(ASSUMED_NOTE)
    others = set(fired[unstated]) - entry_rules
    assert not any(fired[unstated][r].evidence.endswith(ASSUMED_NOTE) for r in others)
    sub = officer.assessment(unstated).submission
    assert (sub.ticketing, sub.min_age, sub.alcohol) == (None, None, None)
    import io

    from pypdf import PdfReader

    printed = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(
        officer.render_assessment(unstated))).pages).split())
    assert "Ticketing not stated; minimum age not stated; alcohol not stated" in printed
    assert ASSUMED_NOTE.strip() in printed


def test_a_file_may_leave_entry_terms_out(desks, tmp_path):
    """Files written before entry terms could be left unstated still import; blank cells (or
    no column) mean not stated, and export writes them back blank."""
    officer = desks["capturer"]
    source = tmp_path / "events.csv"
    source.write_text(
        "event_name,venue_code,promoter_name,event_type,start,end,expected_attendance,"
        "ticketing,min_age,alcohol\n"
        "Blank Terms,HKN-0001,Lantern Events,club_night,2027-03-06T22:00,2027-03-07T02:00,"
        "200,,,\n", encoding="utf-8")
    assert officer.import_file("submissions", source).created == 1
    sub = next(s for s in (officer.assessment(r.id).submission for r in officer.queue_page(
        QueueFilter(upcoming_only=False), limit=50)) if s.event_name == "Blank Terms")
    assert (sub.ticketing, sub.min_age, sub.alcohol) == (None, None, None)
    out = tmp_path / "out.csv"
    officer.export_file("submissions", out)
    row = next(r for r in out.read_text("utf-8").splitlines() if "Blank Terms" in r)
    header = out.read_text("utf-8").splitlines()[0].split(",")
    cells = dict(zip(header, row.split(","), strict=False))
    assert (cells["ticketing"], cells["min_age"], cells["alcohol"]) == ("", "", "")
