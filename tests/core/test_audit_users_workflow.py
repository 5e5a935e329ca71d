"""Audit chain, accounts and roles, and the submission workflow."""

import pytest

from eventrisk import audit, submissions, users, workflow
from eventrisk.desk import Desk
from eventrisk.errors import AuthError, PermissionDenied, ValidationError, WorkflowError
from eventrisk.model import Grade, Role, Status
from eventrisk.scoring import service
from tests.conftest import tamper


def test_passwords_are_hashed_with_argon2(db, officer):
    stored = db.execute("SELECT password_hash FROM users WHERE username = 'officer'").fetchone()[0]
    assert stored.startswith("$argon2") and "officer-pass" not in stored
    desk = Desk(db, ":memory:")
    assert desk.sign_in("officer", "officer-pass").role is Role.OFFICER
    with pytest.raises(AuthError, match="user name or password is wrong"):
        desk.sign_in("officer", "wrong")
    with pytest.raises(AuthError, match="user name or password is wrong"):
        desk.sign_in("nobody", "wrong")


def test_the_first_account_must_be_an_admin_and_then_only_admins_add(db):
    with pytest.raises(ValidationError, match="first account must be an administrator"):
        users.create_user(db, None, "o", "O", Role.OFFICER, "password1")
    admin = users.create_user(db, None, "a", "A", Role.ADMIN, "password1")
    officer = users.create_user(db, admin, "o", "O", Role.OFFICER, "password1")
    with pytest.raises(PermissionDenied):
        users.create_user(db, officer, "p", "P", Role.OFFICER, "password1")


def _scored(db, officer, make_submission):
    sub = make_submission()
    service.score_references(db, officer, [sub.reference])
    return sub


def test_the_whole_review_flow(db, officer, supervisor, make_submission):
    sub = _scored(db, officer, make_submission)
    assert workflow.submit_for_review(db, officer, sub.id) is Status.IN_REVIEW
    with pytest.raises(PermissionDenied, match="may not approve"):
        workflow.approve(db, officer, sub.id)
    assert workflow.approve(db, supervisor, sub.id, "Fine") is Status.APPROVED
    review = workflow.latest_review(db, sub.id)
    assert review.decision == "approve" and review.reviewer == "Sam Super"


def test_return_needs_a_comment_and_goes_back_to_the_officer(db, officer, supervisor,
                                                             make_submission):
    sub = _scored(db, officer, make_submission)
    workflow.submit_for_review(db, officer, sub.id)
    with pytest.raises(ValidationError, match="comment is required"):
        workflow.return_to_officer(db, supervisor, sub.id, "   ")
    workflow.return_to_officer(db, supervisor, sub.id, "Check the door team")
    assert submissions.get(db, sub.id).status is Status.RETURNED


def test_override_needs_a_justification_and_sets_the_grade(db, officer, supervisor,
                                                           make_submission):
    sub = _scored(db, officer, make_submission)
    workflow.submit_for_review(db, officer, sub.id)
    with pytest.raises(ValidationError, match="justification is required"):
        workflow.override(db, supervisor, sub.id, Grade.HIGH, "")
    with pytest.raises(PermissionDenied):
        workflow.override(db, officer, sub.id, Grade.HIGH, "because")
    current = Grade(db.execute("SELECT grade FROM submissions WHERE id = ?",
                               [sub.id]).fetchone()[0])
    with pytest.raises(ValidationError, match="already"):
        workflow.override(db, supervisor, sub.id, current, "same grade")
    workflow.override(db, supervisor, sub.id, Grade.HIGH, "Intelligence of a planned fight")
    row = db.execute("SELECT grade, override_grade, status FROM submissions WHERE id = ?",
                     [sub.id]).fetchone()
    assert row == ("HIGH", "HIGH", "approved")
    entry = audit.history(db, "submission", sub.id)[0]
    assert entry.action == "submission.override" and "planned fight" in entry.reason
    # Rescoring keeps the supervisor's grade and adds nothing over the decision.
    service.score_references(db, officer, [sub.reference])
    assert db.execute("SELECT grade FROM submissions WHERE id = ?", [sub.id]).fetchone()[0] == \
        "HIGH"


def test_submitting_needs_a_score_and_the_right_status(db, officer, make_submission):
    sub = make_submission()
    with pytest.raises(WorkflowError):
        workflow.submit_for_review(db, officer, sub.id)
    service.score_references(db, officer, [sub.reference])
    workflow.submit_for_review(db, officer, sub.id)
    with pytest.raises(WorkflowError, match="in review"):
        workflow.submit_for_review(db, officer, sub.id)


def test_allowed_actions_follow_role_and_status(officer, supervisor):
    assert "approve" not in workflow.allowed_actions(officer, Status.IN_REVIEW)
    assert {"approve", "return", "override"} <= set(
        workflow.allowed_actions(supervisor, Status.IN_REVIEW))
    assert workflow.allowed_actions(officer, Status.ASSESSED) == ["submit_for_review", "cancel"]


def test_audit_chain_verifies_and_names_the_first_broken_entry(db, officer, make_submission):
    make_submission()
    make_submission()
    result = audit.verify(db)
    assert result.ok and result.count >= 4
    # Tamper behind the triggers' back, as someone with the file and a SQLite shell could
    # (or the server's owner).
    tamper(db, "UPDATE audit_log SET actor = 'mallory' WHERE id = 3")
    broken = audit.verify(db)
    assert not broken.ok and broken.first_bad == 3 and broken.count == 2
    assert "changed" in broken.problem


def test_audit_chain_detects_a_removed_entry(db, officer, make_submission):
    make_submission()
    make_submission()
    tamper(db, "DELETE FROM audit_log WHERE id = 2")
    broken = audit.verify(db)
    assert broken.first_bad == 3 and "removed" in broken.problem


def test_demo_data_never_goes_into_a_real_desk(db, admin):
    """A desk whose administrator was created for real work refuses demo data; a new
    database takes it and is marked as training data."""
    from eventrisk import settings

    desk = Desk(db, ":memory:")
    desk.sign_in("admin", "admin-password")
    with pytest.raises(PermissionDenied, match="real desk"):
        desk.build_demo(venues=6, events=50, incidents=20, seed=4)
    assert db.execute("SELECT count(*) FROM submissions").fetchone()[0] == 0
    assert not settings.is_training(db)


def test_demo_data_on_a_new_database_is_marked_as_training(tmp_path):
    from eventrisk import settings

    desk = Desk.open(tmp_path / "training.db", create=True)
    summary = desk.build_demo(venues=6, events=50, incidents=20, seed=4)
    assert {u for u, _, _ in summary.users} == {"officer", "supervisor", "admin"}
    assert settings.is_training(desk.db) and audit.verify(desk.db).ok
    # A second helping on the training desk needs its administrator.
    with pytest.raises(AuthError):
        desk.build_demo(venues=2, events=10, incidents=2, seed=5)
    desk.sign_in("admin", "admin-demo")
    desk.build_demo(venues=2, events=10, incidents=2, seed=5)
    desk.close()
