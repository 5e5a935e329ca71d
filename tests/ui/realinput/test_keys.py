"""Real key presses (xdotool through the X server) on the dialogs: the venue dialog's
keyboard path, Enter in every dialog with a text field, and the destructive confirmations
(hazards 3 and 4)."""

from __future__ import annotations

import pytest

from tests.ui.dialog_catalogue import DIALOGS


def test_new_venue_from_the_keyboard_code_tab_and_a_name_with_a_space(app):
    """The focus started on Save: the code went nowhere, Tab went to Cancel, and the space
    in the name pressed it; the rest of the typing landed in the submission form."""
    app.run("window = window_as('officer'); form = window.new_submission()")
    app.wait_for("active() is form")
    app.run("later('form._new_venue()')")
    app.wait_for("type(active()).__name__ == 'VenueDialog'")
    app.run("venue = active()")
    app.type("TST-0099")
    app.keys("Tab")
    app.type("The Test Arches")
    assert app.get("venue.isVisible()")
    assert app.get("venue.inputs['code'].text()") == "TST-0099"
    assert app.get("venue.inputs['name'].text()") == "The Test Arches"
    assert app.get("[form.promoter_name.text(), form.start_time.text(), "
                   "form.event_name.text()]") == ["", "", ""]
    app.keys("Return")  # Save: refused, with the reasons, since the rest is not filled in
    assert app.get("venue.isVisible()")
    assert "borough" in app.get("venue.error.text()").lower()
    app.keys("Escape")
    app.wait_for("not venue.isVisible()")


def test_enter_right_after_opening_edit_venue_records_nothing(app):
    app.run("window = window_as('officer'); v = window.desk.venues_page(limit=1)[0]\n"
            "from ui.venue_dialog import VenueDialog\n"
            "edit = VenueDialog(window.desk, v, parent=window)\n"
            "before = window.desk.db.execute('SELECT count(*) FROM audit_log').fetchone()[0]\n"
            "later(edit.exec)")
    app.wait_for("active() is edit")
    app.keys("Return")
    app.wait_for("not edit.isVisible()")
    assert app.get("window.desk.db.execute('SELECT count(*) FROM audit_log').fetchone()[0]"
                   " == before")


TEXT_DIALOGS = sorted(n for n, e in DIALOGS.items() if e.text)


@pytest.mark.parametrize("name", TEXT_DIALOGS)
def test_enter_in_every_dialog_with_a_text_field_presses_its_named_action(app, name):
    app.run(f"from tests.ui.dialog_catalogue import DIALOGS\n"
            f"entry = DIALOGS[{name!r}]\n"
            f"window = window_as(entry.role)\n"
            f"dialog = entry.make(window)\n"
            f"pressed = []\n"
            f"for b in dialog.findChildren(__import__('PySide6.QtWidgets', "
            f"fromlist=['QPushButton']).QPushButton):\n"
            f"    try:\n"
            f"        b.clicked.disconnect()\n"
            f"    except (RuntimeError, TypeError):\n"
            f"        pass\n"
            f"    b.clicked.connect(lambda *_, b=b: pressed.append(b.text()))\n"
            f"action = entry.action(dialog)\n"
            f"expected = [action.text()] if action is not None and action.isEnabled() else []\n"
            f"later(dialog.exec)")
    app.wait_for("active() is dialog")
    app.run("bring_out(entry.text(dialog)); entry.text(dialog).setFocus()")
    app.wait_for("entry.text(dialog).hasFocus() or entry.text(dialog).isAncestorOf("
                 "QApplication.focusWidget())")
    app.keys("Return")
    assert app.get("pressed") == app.get("expected")
    assert app.get("dialog.isVisible()"), f"Enter closed {name}"
    app.run("dialog._dirty = False if hasattr(dialog, '_dirty') else None; dialog.done(0)")


def _confirm(app, start: str) -> None:
    app.run(f"later({start!r})")
    app.wait_for("isinstance(active(), QMessageBox)")
    app.run("box = active()")


def test_enter_on_restore_the_desk_does_not_restore(app, tmp_path):
    app.run(f"window = window_as('admin')\n"
            f"window.desk.backup({str(tmp_path / 'backup.db')!r})\n"
            f"import ui.main_window as mw\n"
            f"mw.open_path = lambda *a, **k: {str(tmp_path / 'backup.db')!r}\n"
            f"restored = []\n"
            f"window.desk.restore_from = lambda *a: restored.append(a)")
    _confirm(app, "window.restore_backup()")
    assert "Replace the whole desk" in app.get("box.text()")
    app.keys("Return")
    app.wait_for("not box.isVisible()")
    assert app.get("restored") == []


def test_enter_on_rescore_all_does_not_rescore(app):
    app.run("window = window_as('supervisor'); started = []\n"
            "window._background = lambda *a: started.append(a)")
    _confirm(app, "window.rescore_all()")
    assert app.get("box.text()").startswith("Rescore all")
    app.keys("Return")
    app.wait_for("not box.isVisible()")
    assert app.get("started") == []


def test_enter_on_an_empty_withdrawal_reason_asks_again(app):
    """An empty reason with Enter silently cancelled "Withdraw the decision?"."""
    app.run("from ui.dialogs import ask_reason\nanswers = []\n"
            "later(lambda: answers.append(ask_reason(window_as('officer'), "
            "'Withdraw the decision?', 'Why?')))")
    app.wait_for("type(active()).__name__ == 'QInputDialog'")
    app.keys("Return")
    app.wait_for("type(active()).__name__ == 'QInputDialog' and 'required' in "
                 "active().labelText()")
    assert app.get("answers") == []
    app.type("Promoter moved the date")
    app.keys("Return")
    app.wait_for("answers")
    assert app.get("answers") == ["Promoter moved the date"]


def test_escape_on_the_lock_screen_does_not_sign_out(app):
    app.run("window = window_as('officer'); form = window.new_submission()\n"
            "form.event_name.setText('Half typed night')\n"
            "locked = []\n"
            "later(lambda: locked.append(window.lock()))")
    app.wait_for("type(active()).__name__ == 'LockDialog'")
    app.keys("Escape")
    assert app.get("type(active()).__name__") == "LockDialog"
    assert app.get("window.desk.user is not None")
    app.type("officer-demo")
    app.keys("Return")
    app.wait_for("locked == [True]")
    assert app.get("form.isVisible() and form.event_name.text()") == "Half typed night"


def test_ctrl_l_locks_while_a_form_is_open(app):
    """Ctrl+L did nothing while a form (a window of its own) had the keyboard."""
    app.run("window = window_as('officer'); form = window.new_submission()")
    app.wait_for("active() is form")
    app.keys("ctrl+l")
    app.wait_for("type(active()).__name__ == 'LockDialog'")
    assert not app.get("form.isVisible()")  # nothing of the desk stays on screen
    app.type("officer-demo")
    app.keys("Return")
    app.wait_for("form.isVisible()")
