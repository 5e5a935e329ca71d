"""The app's one rule for defaults (docs/ui-rules.md), walked over every dialog:

- a field the scorer reads, or that decides where paper goes, starts empty;
- the focus starts on the first field;
- Enter does the action the dialog's title names, and never a destructive one;
- a destructive or bulk confirmation defaults to No or Cancel.

tests/ui/realinput presses the real keys; these check the same dialogs in-process."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QPushButton

import ui
from tests.ui.dialog_catalogue import DESTRUCTIVE, DIALOGS


def _dialog_classes() -> set[str]:
    found = set()
    for info in pkgutil.iter_modules(ui.__path__):
        module = importlib.import_module(f"ui.{info.name}")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, QDialog) and cls.__module__ == module.__name__ \
                    and not name.startswith("_Field"):
                found.add(name)
    return found


def test_the_catalogue_holds_every_dialog_of_the_app():
    assert _dialog_classes() <= set(DIALOGS), _dialog_classes() - set(DIALOGS)


@pytest.fixture
def opened(qtbot, window_for):
    made = []

    def open_(name: str):
        entry = DIALOGS[name]
        window = window_for(entry.role)
        dialog = entry.make(window)
        qtbot.addWidget(dialog)
        dialog.show()
        dialog.activateWindow()
        qtbot.waitUntil(dialog.isActiveWindow, timeout=3000)
        made.append(dialog)
        return entry, dialog
    yield open_
    for dialog in made:
        if hasattr(dialog, "_dirty"):
            dialog._dirty = False
        dialog.done(0)


@pytest.mark.parametrize("name", sorted(DIALOGS))
def test_every_dialog_starts_on_its_first_field_and_enter_is_its_named_action(opened, name):
    entry, dialog = opened(name)
    first = entry.first(dialog)
    focused = QApplication.focusWidget()
    if first is not None:
        assert focused is first or first.isAncestorOf(focused) or \
            first.focusProxy() is focused, f"{name}: the focus is on {focused!r}"
    defaults = [b for b in dialog.findChildren(QPushButton) if b.isDefault()]
    automatic = [b.text() for b in dialog.findChildren(QPushButton)
                 if b.autoDefault() and b.isVisibleTo(dialog)]
    assert automatic == [], f"{name}: a focused {automatic} would take Enter"
    action = entry.action(dialog)
    assert defaults == ([action] if action is not None else []), \
        f"{name}: Enter presses {[b.text() for b in defaults]}"
    for button in defaults:
        assert not any(w in button.text().replace("&", "").lower() for w in DESTRUCTIVE), \
            f"{name}: Enter would {button.text()}"


@pytest.mark.parametrize("name", sorted(n for n, e in DIALOGS.items() if e.text))
def test_enter_in_a_text_field_presses_the_named_action_and_nothing_else(qtbot, opened, name):
    entry, dialog = opened(name)
    action = entry.action(dialog)
    field = entry.text(dialog)
    pressed: list[str] = []
    for button in dialog.findChildren(QPushButton):  # which button, not what it then does
        try:
            button.clicked.disconnect()
        except (RuntimeError, TypeError):
            pass
        button.clicked.connect(lambda *_a, b=button: pressed.append(b.text()))
    closed: list[int] = []
    dialog.finished.connect(closed.append)
    dialog.rejected.connect(lambda: closed.append(-1))
    field.setFocus()
    ready = action is not None and action.isEnabled()
    expected = [action.text()] if ready else []
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert pressed == expected, \
        f"{name}: Enter pressed {pressed}"
    assert -1 not in closed, f"{name}: Enter cancelled the dialog"


@pytest.mark.parametrize("name", sorted(n for n, e in DIALOGS.items() if e.scorer_fields))
def test_what_the_scorer_reads_or_where_paper_goes_starts_empty(opened, name):
    entry, dialog = opened(name)
    chosen = {field: empty for field, empty in entry.scorer_fields(dialog).items() if not empty}
    assert chosen == {}, f"{name} starts with {sorted(chosen)} chosen"


def _asked(monkeypatch) -> list[QMessageBox]:
    boxes: list[QMessageBox] = []

    def record(box):
        boxes.append(box)
        return box.defaultButton() and box.standardButton(box.defaultButton())
    monkeypatch.setattr(QMessageBox, "exec", record)
    return boxes


def test_restore_and_rescore_all_ask_with_no_as_the_default(window_for, tmp_path, monkeypatch):
    """Enter on "Replace the whole desk with the backup?" restored the desk."""
    from ui import main_window

    window = window_for("admin")
    window.desk.backup(tmp_path / "backup.db")
    monkeypatch.setattr(main_window, "open_path", lambda *a, **k: str(tmp_path / "backup.db"))
    restored: list = []
    monkeypatch.setattr(window.desk, "restore_from", lambda *a: restored.append(a))
    boxes = _asked(monkeypatch)
    window.restore_backup()
    assert "Replace the whole desk" in boxes[0].text()
    assert boxes[0].defaultButton() is boxes[0].button(QMessageBox.StandardButton.No)
    assert boxes[0].escapeButton() is boxes[0].button(QMessageBox.StandardButton.No)
    assert restored == []  # Enter, on the default, did nothing

    supervisor = window_for("supervisor")
    started: list = []
    monkeypatch.setattr(supervisor, "_background", lambda *a: started.append(a))
    supervisor.rescore_all()
    assert boxes[1].text().startswith("Rescore all")
    assert boxes[1].defaultButton() is boxes[1].button(QMessageBox.StandardButton.No)
    assert started == []


def test_every_menu_letter_is_used_once_a_menu(window_for):
    """Borough pack and Change my password both answered Alt+F, P."""
    import re

    window = window_for("admin")
    for menu in window.menuBar().findChildren(__import__("PySide6.QtWidgets",
                                                          fromlist=["QMenu"]).QMenu):
        letters = [m[1].lower() for a in menu.actions()
                   if (m := re.search(r"&(\w)", a.text()))]
        assert len(letters) == len(set(letters)), f"{menu.title()}: {sorted(letters)}"


def test_save_as_draft_and_discard_have_their_own_keys(qtbot, window_for, monkeypatch):
    """Alt+D kept a draft that was meant to be discarded."""
    import re

    window = window_for("officer")
    form = window.new_submission()
    qtbot.keyClicks(form.event_name, "Half typed")
    seen = {}

    def record(box):
        seen.update({b.text(): box.buttonRole(b) for b in box.buttons()})
        return 0
    monkeypatch.setattr(QMessageBox, "exec", record)
    form.close()
    letters = [m[1].lower() for t in seen if (m := re.search(r"&(\w)", t))]
    assert len(letters) == len(set(letters)) and len(letters) >= 2, seen
    form._dirty = False
    form.close()
