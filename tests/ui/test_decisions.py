"""A decision is never silent (issue 33, hazard 6): approving a HIGH or CRITICAL with nothing
agreed asks once, naming the grade; every decision leaves a status line naming the event and
its grade; the override dialog says it also approves; the review list puts first what this
supervisor may decide."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from eventrisk.approval import bare_approval_question
from eventrisk.model import Grade
from tests.ui.test_work_view import _in_review


@pytest.mark.parametrize(("grade", "conditions", "asks"), [
    (Grade.CRITICAL, (), True), (Grade.HIGH, (" ",), True), (Grade.HIGH, ("Search arch",), False),
    (Grade.MEDIUM, (), False), (Grade.LOW, (), False), (None, (), False)])
def test_the_bare_approval_question_names_the_grade(grade, conditions, asks):
    question = bare_approval_question("ER-2026-000001", grade, conditions)
    assert bool(question) == asks
    if asks:
        assert f"graded {grade.value}" in question and "no agreed conditions" in question


def _critical_with_nothing_agreed(window) -> int:
    sid = _in_review(window)[0]
    db = window.desk.db
    db.execute("UPDATE submissions SET grade = 'CRITICAL', override_grade = 'CRITICAL', "
               "conditions = ? WHERE id = ?", [json.dumps([]), sid])
    db.conn.commit()
    return sid


def _boxes(monkeypatch, answer):
    asked: list[QMessageBox] = []

    def record(box):
        asked.append(box)
        assert box.defaultButton() is box.button(QMessageBox.StandardButton.No)
        return answer
    monkeypatch.setattr(QMessageBox, "exec", record)
    return asked


def test_approve_and_next_on_a_critical_with_nothing_agreed_asks_first(qtbot, window_for,
                                                                       monkeypatch):
    """Alt+X approved a CRITICAL with "None agreed yet": no warning, no message."""
    window = window_for("supervisor")
    sid = _critical_with_nothing_agreed(window)
    view = window.review(sid)
    asked = _boxes(monkeypatch, QMessageBox.StandardButton.No)
    view.buttons["approve_next"].setFocus()
    qtbot.keyClick(view.buttons["approve_next"], Qt.Key.Key_Space)
    assert len(asked) == 1 and "graded CRITICAL" in asked[0].text()
    status = window.desk.db.execute("SELECT status FROM submissions WHERE id = ?",
                                    [sid]).fetchone()[0]
    assert status == "in_review"  # No (the default) approved nothing

    asked = _boxes(monkeypatch, QMessageBox.StandardButton.Yes)
    view.buttons["approve_next"].setFocus()
    qtbot.keyClick(view.buttons["approve_next"], Qt.Key.Key_Space)
    assert len(asked) == 1
    reference, status = window.desk.db.execute("SELECT reference, status FROM submissions "
                                               "WHERE id = ?", [sid]).fetchone()
    assert status == "approved"
    line = window.statusBar().currentMessage()
    assert f"Approved {reference}" in line and "CRITICAL" in line and "no agreed conditions" \
        in line


def test_every_decision_leaves_a_status_line_naming_event_and_grade(qtbot, window_for,
                                                                    monkeypatch):
    from ui.assessment_view import ReasonDialog

    window = window_for("supervisor")
    sid = _in_review(window)[0]
    view = window.open_assessment(sid)
    reference = view.sub.reference

    def answer(dialog):
        dialog.reason.setPlainText("Ring the promoter about the door team")
        return 1
    monkeypatch.setattr(ReasonDialog, "exec", answer)
    qtbot.mouseClick(view.buttons["return"], Qt.MouseButton.LeftButton)
    line = window.statusBar().currentMessage()
    assert line.startswith(f"Returned to the officer {reference}")
    assert view.state.grade.value in line


def test_the_override_dialog_says_it_also_approves(qtbot):
    from PySide6.QtWidgets import QLabel

    from ui.assessment_view import REASONED, ReasonDialog

    title, prompt, _ = REASONED["override"]
    dialog = ReasonDialog(title, prompt, grades=True, current=Grade.HIGH)
    qtbot.addWidget(dialog)
    assert title == "Override the grade and approve"
    note = dialog.findChild(QLabel, "overrideApproves")
    assert note is not None and "also approves" in note.text()
    ok = dialog.buttons.button(dialog.buttons.StandardButton.Ok)
    assert ok.text().replace("&", "") == "Override and approve"


def test_the_review_list_puts_first_what_this_supervisor_may_decide(window_for):
    """The first item could be one this supervisor captured or edited (four eyes)."""
    window = window_for("supervisor")
    waiting = _in_review(window, 3)
    first = waiting[0]
    db = window.desk.db
    db.execute("UPDATE submissions SET edited_by = 'supervisor' WHERE id = ?", [first])
    db.conn.commit()
    order = [r.id for r in window.desk.review_list()]
    assert order[-1] == first and order[:-1] == waiting[1:]
    assert window.work.next_for_review() != first
