"""My work and Review: the returned event stands out with its comment, a supervisor works
through the review list with Approve and next, and assigns events (issue 12)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QDialog, QInputDialog

from ui.assessment_view import AssessmentView, ReasonDialog
from ui.main_window import FIXED_TABS


def _in_review(window, at_least: int = 1) -> list[int]:
    """What waits for review, after an officer sends more until there are ``at_least``."""
    from tests.ui.conftest import sign_in

    officer = sign_in(window.desk.db, window.db_path, "officer")
    spare = [r[0] for r in window.desk.db.execute(
        "SELECT id FROM submissions WHERE status = 'assessed' AND assessment_id IS NOT NULL "
        "AND ends_at > strftime('%Y-%m-%dT%H:%M:%SZ', 'now') ORDER BY id")]
    while len(window.desk.review_list()) < at_least and spare:
        sid = spare.pop()
        officer.submit_for_review(sid, officer.assessment(sid).version)
    window.refresh()
    return [r.id for r in window.desk.review_list()]


def test_a_supervisor_works_through_the_review_list_with_the_keyboard(qtbot, window_for,
                                                                      monkeypatch):
    window = window_for("supervisor")
    db = window.desk.db
    waiting = _in_review(window, 3)
    assert len(waiting) >= 3
    assert window.tabs.tabText(FIXED_TABS - 1) == "Review"
    window.tabs.setCurrentIndex(FIXED_TABS - 1)
    assert window.work.review_model.rowCount() == len(waiting)
    qtbot.mouseClick(window.work.start, Qt.MouseButton.LeftButton)
    view = window.tabs.currentWidget()
    assert isinstance(view, AssessmentView) and view.submission_id == waiting[0]
    assert view.buttons["approve_next"].isVisible() and view.buttons["skip"].isVisible()

    view.buttons["approve_next"].setFocus()
    qtbot.keyClick(view.buttons["approve_next"], Qt.Key.Key_Space)
    status = db.execute("SELECT status FROM submissions WHERE id = ?", [waiting[0]]).fetchone()
    assert status[0] == "approved"
    view = window.tabs.currentWidget()
    assert view.submission_id == waiting[1] and view.reviewing
    assert window._find_tab("assessment", waiting[0]) < 0  # the decided one was closed

    view.buttons["skip"].setFocus()
    qtbot.keyClick(view.buttons["skip"], Qt.Key.Key_Space)
    view = window.tabs.currentWidget()
    assert view.submission_id == waiting[2]
    assert db.execute("SELECT status FROM submissions WHERE id = ?",
                      [waiting[1]]).fetchone()[0] == "in_review"  # skipped: not decided

    def answer(dialog):
        qtbot.keyClicks(dialog.reason, "Check the door team")
        return QDialog.DialogCode.Accepted
    monkeypatch.setattr(ReasonDialog, "exec", answer)
    view.buttons["return_next"].setFocus()
    qtbot.keyClick(view.buttons["return_next"], Qt.Key.Key_Space)
    row = db.execute("SELECT s.status, r.comment FROM submissions s JOIN reviews r ON "
                     "r.submission_id = s.id WHERE s.id = ? ORDER BY r.id DESC",
                     [waiting[2]]).fetchone()
    assert row == ("returned", "Check the door team")


def test_the_end_of_the_list_says_so(qtbot, window_for):
    window = window_for("supervisor")
    db = window.desk.db
    keep = _in_review(window)[0]
    db.execute("UPDATE submissions SET status = 'assessed' WHERE status = 'in_review' AND "
               "id != ?", [keep])
    db.conn.commit()
    window.refresh()
    view = window.review(keep)
    qtbot.mouseClick(view.buttons["skip"], Qt.MouseButton.LeftButton)
    assert window.tabs.currentWidget() is window.work
    assert "Nothing else is waiting" in window.statusBar().currentMessage()


def test_an_officer_sees_what_came_back_first_with_the_comment(qtbot, window_for):
    from tests.ui.conftest import sign_in

    window = window_for("officer")
    db = window.desk.db
    officer = window.desk
    sid = next(r.id for r in [*officer.my_work().to_do, *officer.my_work().in_review]
               if officer.assessment(r.id).snapshot is not None)
    state = officer.assessment(sid)
    if state.status.value != "in_review":
        state = officer.submit_for_review(sid, state.version)
    supervisor = sign_in(db, window.db_path, "supervisor")
    supervisor.return_to_officer(sid, state.version, "Ring the promoter about the queue")
    window.refresh()
    window.tabs.setCurrentIndex(FIXED_TABS - 1)
    assert window.tabs.tabText(FIXED_TABS - 1) == "My work"
    model = window.work.returned_model
    row = next(r for r in range(model.rowCount()) if model.object_at(r).row.id == sid)
    comment = model.index(row, model.columnCount() - 1).data()
    assert "Ring the promoter about the queue" in comment and "Sam Patel" in comment
    assert model.index(row, 0).data(Qt.ItemDataRole.BackgroundRole) == QColor("#fff3cd")
    table = window.work.tables["returned"]
    table.setFocus()
    table.selectRow(row)
    qtbot.keyClick(table, Qt.Key.Key_Return)
    assert window.tabs.currentWidget().submission_id == sid


def test_a_supervisor_assigns_an_event_from_the_assessment(qtbot, window_for, monkeypatch):
    window = window_for("supervisor")
    sid = _in_review(window)[0]
    view = window.open_assessment(sid)
    assert view.buttons["assign"].isVisible()
    people = window.desk.assignable()
    target = next(p for p in people if p[1] != view.state.assigned)

    def choose(parent, title, label, items, current, editable):
        return next(i for i in items if i.endswith(f"({target[0]})")), True
    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(choose))
    view.buttons["assign"].setFocus()
    qtbot.keyClick(view.buttons["assign"], Qt.Key.Key_Space)
    assert f"looked after by {target[1]}" in view.subtitle.text()
    assert window.desk.db.execute("SELECT u.username FROM submissions s JOIN users u ON "
                                  "u.id = s.assigned_to WHERE s.id = ?",
                                  [sid]).fetchone()[0] == target[0]
