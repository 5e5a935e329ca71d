"""Drafts (issue 12): a half-filled new submission is kept as typed, found under My work,
finished later; closing with unsaved changes offers a draft, discard or cancel."""

from __future__ import annotations

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from ui.main_window import FIXED_TABS


def _answer(monkeypatch, label: str) -> list[str]:
    """The unsaved-changes question answered with the button called ``label``."""
    asked = []

    def exec_(box):
        asked.append(box.text())
        next(b for b in box.buttons() if b.text().replace("&", "") == label).click()
        return 0
    monkeypatch.setattr(QMessageBox, "exec", exec_)
    return asked


def _form(window):
    return next(w for w in QApplication.topLevelWidgets()
                if type(w).__name__ == "SubmissionForm" and w.isVisible())


def test_a_draft_is_kept_as_typed_and_finished_later(qtbot, window_for):
    window = window_for("officer")
    db = window.desk.db
    form = window.new_submission()
    qtbot.keyClicks(form.event_name, "Half Done Night")
    qtbot.keyClicks(form.expected_attendance, "lots")  # not a number yet: a draft keeps it
    qtbot.keyClicks(form.notes, "Ring the promoter about the finish")
    assert not form.save_button.isEnabled()
    qtbot.mouseClick(form.draft_button, Qt.MouseButton.LeftButton)
    assert not form.isVisible()
    assert "Kept as a draft" in window.statusBar().currentMessage()
    assert db.execute("SELECT count(*) FROM submissions WHERE event_name = 'Half Done Night'"
                      ).fetchone()[0] == 0

    window.tabs.setCurrentIndex(FIXED_TABS - 1)
    drafts = window.work.tables["drafts"]
    assert drafts.isVisible() and drafts.model().rowCount() == 1
    drafts.setFocus()
    drafts.selectRow(0)
    qtbot.keyClick(drafts, Qt.Key.Key_Return)
    again = _form(window)
    assert again.event_name.text() == "Half Done Night"
    assert again.expected_attendance.text() == "lots"
    assert again.notes.toPlainText() == "Ring the promoter about the finish"
    assert "draft" in again.windowTitle()

    venue = window.desk.venues_page(limit=1)[0]
    again.expected_attendance.clear()
    qtbot.keyClicks(again.expected_attendance, "120")
    qtbot.keyClicks(again.venue_code, venue.code)
    qtbot.keyClicks(again.promoter_name, "Drafted Events Ltd")
    from tests.ui.test_desk_flow import _state_entry_terms

    _state_entry_terms(qtbot, again)
    from tests.ui.conftest import choose_timing

    again.day.setDate(QDate.currentDate().addDays(20))
    choose_timing(qtbot, again)
    again.validate()
    assert again.save_button.isEnabled(), again.reason.text()
    qtbot.mouseClick(again.save_button, Qt.MouseButton.LeftButton)
    assert db.execute("SELECT count(*) FROM submissions WHERE event_name = 'Half Done Night'"
                      ).fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM drafts").fetchone()[0] == 0  # it became the event
    window.work.refresh()
    assert not window.work.tables["drafts"].isVisibleTo(window.work)


def test_closing_with_unsaved_changes_offers_draft_discard_or_cancel(qtbot, window_for,
                                                                     monkeypatch):
    window = window_for("officer")
    db = window.desk.db
    form = window.new_submission()
    qtbot.keyClicks(form.event_name, "Unsaved Social")
    asked = _answer(monkeypatch, "Cancel")
    form.close()
    assert "Keep it as a draft" in asked[0] and form.isVisible()  # cancelled: still open
    _answer(monkeypatch, "Discard")
    form.close()
    assert not form.isVisible()
    assert db.execute("SELECT count(*) FROM drafts").fetchone()[0] == 0

    form = window.new_submission()
    qtbot.keyClicks(form.event_name, "Kept On Closing")
    _answer(monkeypatch, "Save as draft")
    qtbot.keyClick(form, Qt.Key.Key_Escape)
    assert not form.isVisible()
    assert [d.title for d in window.desk.drafts()] == ["Kept On Closing"]
