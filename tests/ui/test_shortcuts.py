"""Help → Keyboard shortcuts lists what the keys do, read from the actions themselves."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence

from ui.shortcuts_dialog import ShortcutsDialog, shortcuts


def _rows(window):
    return {(s.action, s.where): s.keys for s in shortcuts(window)}


def test_every_menu_shortcut_is_listed_with_its_keys(qtbot, window_for):
    window = window_for("supervisor")
    rows = _rows(window)
    for action in window.findChildren(QAction):
        if action.parent() is window and action.shortcuts() and action.text():
            name = action.text().replace("&", "").rstrip("…")
            listed = [keys for (a, _), keys in rows.items() if a == name]
            assert listed, name
            key = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            assert any(key in keys for keys in listed), (name, key, listed)
    assert rows[("Rescore all", "Tools menu")] == "Alt+T, R"


def test_a_new_action_appears_without_editing_the_list(qtbot, window_for):
    window = window_for("officer")
    extra = QAction("&Zap the widget", window)
    extra.setShortcut(QKeySequence("Ctrl+Shift+Z"))
    window.menuBar().actions()[0].menu().addAction(extra)
    rows = _rows(window)
    assert "Ctrl+Shift+Z" in rows[("Zap the widget", "File menu")]
    assert "Alt+F, Z" in rows[("Zap the widget", "File menu")]


def test_an_open_assessment_adds_its_buttons(qtbot, window_for):
    window = window_for("supervisor")
    sid = window.desk.db.execute("SELECT id FROM submissions WHERE status = 'in_review' "
                                 "LIMIT 1").fetchone()[0]
    view = window.open_assessment(sid)
    reference = view.sub.reference
    rows = _rows(window)
    assert rows[("Return", reference)] == "Alt+U"


def test_the_dialog_opens_from_the_help_menu_by_keyboard(qtbot, window_for, monkeypatch):
    window = window_for("officer")
    shown = []
    monkeypatch.setattr(ShortcutsDialog, "exec", lambda self: shown.append(self) or 0)
    window.activateWindow()  # shortcuts go to the active window
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    window.queue.table.setFocus()
    qtbot.keyClick(window.queue.table, Qt.Key.Key_Slash, Qt.KeyboardModifier.ControlModifier)
    assert shown and shown[0].model.rowCount() > 20
    assert shown[0].table.accessibleName() == "Keyboard shortcuts"
