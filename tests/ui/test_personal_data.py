"""Tools → Retention and personal data: what is due and applying it, records waiting for a
person, and one promoter's details, driven as an administrator would."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog, QMessageBox

from eventrisk.retention import KINDS
from eventrisk.timeutil import now_utc
from ui.personal_data_dialog import PersonalDataDialog, _ReasonDialog


def _action(window, text):
    return next(a for a in window.findChildren(QAction) if a.text() == text)


def test_only_administrators_see_it_enabled(qtbot, window_for):
    assert not _action(window_for("supervisor"), "Retention and personal &data…").isEnabled()
    assert _action(window_for("admin"), "Retention and personal &data…").isEnabled()


def _dialog(qtbot, window, years: int = 0) -> PersonalDataDialog:
    later = now_utc() + timedelta(days=366 * years)
    window.desk.clock = lambda: later
    dialog = PersonalDataDialog(window.desk, window, window.db_path)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _answer(monkeypatch, qtbot, reason: str, accept: bool = True):
    """Reason dialogs answered by typing, as a person would."""
    def exec_(self):
        qtbot.keyClicks(self.reason, reason)
        return QDialog.DialogCode.Accepted if accept else QDialog.DialogCode.Rejected
    monkeypatch.setattr(_ReasonDialog, "exec", exec_)


def test_nothing_due_today_and_apply_is_off(qtbot, window_for):
    dialog = _dialog(qtbot, window_for("admin"))
    assert dialog.due_model.rowCount() == len(KINDS)
    assert [dialog.due_model.index(r, 3).data() for r in range(5)] == ["0"] * 5
    assert not dialog.apply_button.isEnabled()
    assert "2026.1" in dialog.schedule_label.text()


def test_apply_asks_then_does_it_in_the_background(qtbot, window_for, monkeypatch):
    window = window_for("admin")
    db = window.desk.db
    dialog = _dialog(qtbot, window, years=8)
    assert dialog.apply_button.isEnabled()
    asked = []

    def confirm(box):
        asked.append(box.text())
        return QMessageBox.StandardButton.Cancel if len(asked) == 1 else \
            QMessageBox.StandardButton.Yes
    monkeypatch.setattr(QMessageBox, "exec", confirm)
    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    assert "cannot be undone" in asked[0] and "Submissions and their snapshots" in asked[0]
    assert db.execute("SELECT count(*) FROM submissions WHERE anonymised_at IS NOT NULL"
                      ).fetchone()[0] == 0  # cancelled: nothing
    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.due_message.text().startswith("Done"), timeout=20000)
    past = db.execute("SELECT count(*) FROM submissions WHERE anonymised_at IS NULL").fetchone()
    assert past[0] == 0
    assert not dialog.apply_button.isEnabled()
    assert window.desk.verify_audit().ok


def test_keep_and_dispose_what_waits_for_a_person(qtbot, window_for, monkeypatch):
    window = window_for("admin")
    db = window.desk.db
    dialog = _dialog(qtbot, window, years=7)
    dialog.tabs.setCurrentIndex(1)
    total = dialog.items_model.rowCount()
    assert total > 0 and dialog.kind.currentData() == "incidents"
    table = dialog.items_table
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_Down)
    first = table.currentIndex().data()
    _answer(monkeypatch, qtbot, "Linked to an open investigation")
    qtbot.mouseClick(dialog.findChild(type(dialog.apply_button), "keepRecord"),
                     Qt.MouseButton.LeftButton)
    assert dialog.items_model.rowCount() == total - 1
    assert f"Kept {first}" in dialog.items_message.text()
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_Down)
    second = table.currentIndex().data()
    _answer(monkeypatch, qtbot, "No longer needed")
    qtbot.mouseClick(dialog.findChild(type(dialog.apply_button), "disposeRecord"),
                     Qt.MouseButton.LeftButton)
    assert dialog.items_model.rowCount() == total - 2
    description = db.execute("SELECT description FROM incidents WHERE reference = ?",
                             [second]).fetchone()[0]
    assert description == "[anonymised]"
    _answer(monkeypatch, qtbot, "   ")  # a reason is required: said beside the list
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_Down)
    qtbot.mouseClick(dialog.findChild(type(dialog.apply_button), "disposeRecord"),
                     Qt.MouseButton.LeftButton)
    assert "Say why" in dialog.items_message.text()
    assert dialog.items_model.rowCount() == total - 2


def test_a_promoter_found_corrected_and_their_subject_access_saved(qtbot, window_for,
                                                                   monkeypatch, tmp_path):
    window = window_for("admin")
    db = window.desk.db
    name = db.execute("SELECT name FROM promoters ORDER BY id LIMIT 1").fetchone()[0]
    dialog = _dialog(qtbot, window)
    dialog.tabs.setCurrentIndex(2)
    qtbot.keyClicks(dialog.promoter_name, name.lower())
    qtbot.keyClick(dialog.promoter_name, Qt.Key.Key_Return)
    assert name in dialog.details.text()
    phone = dialog.fields["phone"]
    phone.selectAll()
    qtbot.keyClicks(phone, "020 7946 0123")
    _answer(monkeypatch, qtbot, "Promoter rang with a new number")
    qtbot.mouseClick(dialog.findChild(type(dialog.apply_button), "correctPromoter"),
                     Qt.MouseButton.LeftButton)
    assert db.execute("SELECT phone FROM promoters WHERE name = ?", [name]).fetchone()[0] == \
        "020 7946 0123"
    assert "Corrected (version 2)" in dialog.promoter_message.text()
    target = tmp_path / "sar.zip"
    from PySide6.QtWidgets import QFileDialog
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(target), "")))
    qtbot.mouseClick(dialog.findChild(type(dialog.apply_button), "subjectAccess"),
                     Qt.MouseButton.LeftButton)
    data = json.loads(zipfile.ZipFile(io.BytesIO(target.read_bytes())).read(
        "subject-access.json"))
    assert data["promoter"]["phone"] == "020 7946 0123"
    message = dialog.promoter_message.text()
    assert "Saved" in message
    withheld = data["withheld"][0]
    assert withheld["what"] == "audit entries withheld: police notes and decisions"
    assert f"{withheld['count']} audit entr" in message and "withheld" in message
