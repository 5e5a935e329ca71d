"""The dashboard's counts, venue event history, and issuing an assessment."""

import hashlib

import pytest

from eventrisk import audit, dashboard, incidents, submissions, workflow
from eventrisk.errors import WorkflowError
from eventrisk.model import Status
from eventrisk.report.assessment_pdf import render_assessment
from eventrisk.report.issue import issue
from eventrisk.scoring import service


def _approved(db, officer, supervisor, make_submission):
    sub = make_submission()
    service.score_references(db, officer, [sub.reference])
    workflow.submit_for_review(db, officer, sub.id)
    workflow.approve(db, supervisor, sub.id)
    return sub


def test_issuing_records_the_pdf_hash_and_moves_to_issued(db, officer, supervisor,
                                                          make_submission):
    sub = _approved(db, officer, supervisor, make_submission)
    pdf = render_assessment(db, sub.id)
    digest = issue(db, officer, sub.id, pdf)
    assert digest == hashlib.sha256(pdf).hexdigest()
    assert submissions.get(db, sub.id).status is Status.ISSUED
    row = db.execute("SELECT sha256, issued_by FROM issued_documents WHERE submission_id = ?",
                     [sub.id]).fetchone()
    assert row == (digest, "officer")
    entry = audit.history(db, "submission", sub.id)[0]
    assert entry.action == "submission.issue" and entry.detail["sha256"] == digest


def test_only_approved_assessments_can_be_issued(db, officer, make_submission):
    sub = make_submission()
    service.score_references(db, officer, [sub.reference])
    with pytest.raises(WorkflowError):
        issue(db, officer, sub.id, b"%PDF-1.4")
    assert db.execute("SELECT count(*) FROM issued_documents").fetchone()[0] == 0


def test_dashboard_counts_the_next_seven_days(db, officer, supervisor, make_submission):
    from datetime import timedelta

    from eventrisk.timeutil import now_utc, to_local

    soon = to_local(now_utc() + timedelta(days=2)).replace(hour=21, minute=0, tzinfo=None)
    start = soon.isoformat(timespec="minutes")
    end = (soon + timedelta(hours=3)).isoformat(timespec="minutes")
    a = make_submission(start=start, end=end, door_supervisors="0", search_regime="none")
    make_submission(start=start, end=end)
    later = make_submission()  # 20 days away: not on the dashboard
    service.score_references(db, officer, [a.reference, later.reference])
    workflow.submit_for_review(db, officer, a.id)
    board = dashboard.build(db)
    assert sum(board.by_borough["Hackney"].values()) == 2
    assert board.by_borough["Hackney"].get("NOT SCORED") == 1
    assert [r.reference for r in board.pending_reviews] == [a.reference]
    assert all(r.reference != later.reference for r in board.late + board.high_risk)
    assert a.reference in {r.reference for r in board.late}  # received 2 days before it


def test_venue_events_show_grades_debriefs_and_linked_incidents(db, officer, make_submission):
    from datetime import timedelta

    from eventrisk.incidents import Debrief
    from tests.core.test_scoring import add_incident

    past = make_submission(start="2026-01-10T22:00", end="2026-01-11T02:00")
    add_incident(db, officer, past.start + timedelta(hours=1), event_reference=past.reference)
    incidents.record_debrief(db, officer, Debrief(past.id, True, 280, 1, "Quiet night"))
    future = make_submission()
    service.score_references(db, officer, [future.reference])
    rows = incidents.venue_events(db, past.venue_id)
    assert [r.reference for r in rows] == [future.reference, past.reference]
    assert rows[0].grade and rows[0].went_ahead is None
    assert (rows[1].went_ahead, rows[1].incidents_noted, rows[1].linked_incidents) == (True, 1, 1)
    with pytest.raises(WorkflowError, match="only after it has started"):
        incidents.record_debrief(db, officer, Debrief(future.id, True, 1, 0))
