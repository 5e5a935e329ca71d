"""The smaller screen defects of issue 33, each as it was met."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDateEdit, QDateTimeEdit

from tests.ui.dialog_catalogue import DIALOGS
from tests.ui.test_desk_flow import _open_first


def test_the_history_shows_words_not_iso_times_field_names_or_tuples():
    from ui.assessment_view import history_text

    text = history_text("submission.edit", {
        "received_at": ["2026-12-08 00:17:03+00:00", "2026-12-09 10:00:00+00:00"],
        "conditions": ["()", "('Search arch', 'Six door staff')"],
        "event_type": ["club_night", "private_hire"], "door_supervisors": ["None", "6"]}, "")
    assert "2026-12-08 00:17:03" not in text and "Tue 08/12/2026 00:17" in text
    assert "('" not in text and "Agreed conditions: none → Search arch; Six door staff" in text
    assert "Event type: Club night → Private hire" in text and "club_night" not in text
    assert "door supervisors: not stated → 6" in text.lower()


def test_an_attendance_edit_does_not_record_the_received_seconds(qtbot, window_for):
    """"received at 00:17:03 → 00:17:00" came with every edit: the form dropped seconds."""
    from ui.submission_form import SubmissionForm

    window = window_for("officer")
    view = _open_first(window, "assessed")
    db = window.desk.db
    db.execute("UPDATE submissions SET received_at = '2026-11-20T00:17:03Z' WHERE id = ?",
               [view.submission_id])
    db.conn.commit()
    view.reload()
    form = SubmissionForm(window.desk, view.sub, view)
    qtbot.addWidget(form)
    form.expected_attendance.setText(str(view.sub.expected_attendance + 1))
    assert form.save(), form.reason.text()
    detail = json.loads(db.execute(
        "SELECT detail FROM audit_log WHERE action = 'submission.edit' ORDER BY id DESC "
        "LIMIT 1").fetchone()[0])
    assert "expected_attendance" in detail and "received_at" not in detail


def test_no_dialog_uses_a_sectioned_date_editor(qtbot, window_for):
    """Received, the what-if finish and the pack dates took five Tabs each, and a stray Up
    moved a pack to 2027: every date is typed in one go."""
    windows: dict = {}
    for name, entry in DIALOGS.items():
        window = windows.get(entry.role) or windows.setdefault(entry.role,
                                                               window_for(entry.role))
        dialog = entry.make(window)
        qtbot.addWidget(dialog)
        assert not dialog.findChildren(QDateTimeEdit), name  # QDateEdit is one too
        if hasattr(dialog, "_dirty"):
            dialog._dirty = False
    window = windows["officer"]
    view = _open_first(window, "assessed")
    assert not view.findChildren(QDateTimeEdit) and not window.queue.findChildren(QDateEdit)


def test_enter_on_an_exact_reference_in_the_queue_search_opens_it(qtbot, window_for):
    window = window_for("officer")
    reference = window.queue.model.row_object(0).reference
    window.find()
    qtbot.keyClicks(window.queue.search, reference)
    qtbot.keyClick(window.queue.search, Qt.Key.Key_Return)
    view = window.tabs.currentWidget()
    assert getattr(view, "sub", None) is not None and view.sub.reference == reference


def test_down_leaves_the_venues_search_for_the_list(qtbot, window_for):
    window = window_for("officer")
    window.tabs.setCurrentWidget(window.venues)
    window.venues.search.setFocus()
    qtbot.waitUntil(window.venues.search.hasFocus, timeout=2000)
    qtbot.keyClick(window.venues.search, Qt.Key.Key_Down)
    assert window.venues.view.hasFocus()
    assert window.venues.view.currentIndex().row() == 0


def test_names_get_the_room_in_the_queue_and_the_venues(qtbot, window_for):
    """Officer and Address took half the width while event and venue names were cut."""
    from ui.queue_model import QueueModel

    window = window_for("officer")  # (at 1440x900: tests/ui/realinput/test_screens.py)
    qtbot.wait(50)
    header = window.queue.table.horizontalHeader()
    assert not header.stretchLastSection() and header.sectionSize(QueueModel.COL_OFFICER) <= 140
    window.tabs.setCurrentWidget(window.venues)
    qtbot.wait(50)
    venues = window.venues.view.horizontalHeader()
    assert not venues.stretchLastSection() and venues.sectionSize(5) <= 280  # the address
    assert venues.sectionResizeMode(1) == venues.ResizeMode.Stretch  # the name takes the room


def test_ctrl_l_locks_from_an_open_form_too(window_for):
    from PySide6.QtGui import QAction

    window = window_for("officer")
    lock = next(a for a in window.findChildren(QAction) if a.text() == "&Lock")
    assert lock.shortcutContext() == Qt.ShortcutContext.ApplicationShortcut


def test_switch_user_does_not_name_the_previous_person_while_signing_in(window_for,
                                                                        monkeypatch):
    from ui import main_window

    window = window_for("officer")
    seen = []
    monkeypatch.setattr(main_window, "sign_in",
                        lambda desk, parent, **k: seen.append(parent.windowTitle()) or False)
    name = window.user.display_name
    window.switch_user()
    assert seen and name not in seen[0]


def test_a_locked_desk_signed_out_keeps_the_owners_new_form_as_a_draft(qtbot, window_for,
                                                                      monkeypatch):
    """The owner's "unsaved changes" prompt let a passer-by choose Discard."""
    from ui import login, main_window

    window = window_for("officer")
    form = window.new_submission()
    qtbot.keyClicks(form.event_name, "Owner's half typed night")
    monkeypatch.setattr(login.LockDialog, "exec", lambda self: 0)  # Sign out
    monkeypatch.setattr(main_window, "sign_in", lambda *a, **k: False)
    window.lock()
    assert not form.isVisible()
    assert window.desk.db.execute("SELECT count(*) FROM drafts WHERE title LIKE "
                                  "'%half typed%'").fetchone()[0] == 1


def test_retention_suggests_promoters_as_the_name_is_typed(qtbot, window_for):
    from ui.personal_data_dialog import PersonalDataDialog

    window = window_for("admin")
    name = window.desk.db.execute("SELECT name FROM promoters ORDER BY id LIMIT 1"
                                  ).fetchone()[0]
    dialog = PersonalDataDialog(window.desk, window)
    qtbot.addWidget(dialog)
    dialog.promoter_name.setText(name[:4])
    dialog.promoter_name.textEdited.emit(name[:4])
    assert name in dialog._promoter_names.stringList()


def test_a_missing_qt_platform_library_is_one_sentence_pointing_to_the_readme(monkeypatch):
    import ctypes

    from ui import app

    def refuse(path, *a, **k):
        raise OSError("libxcb-cursor.so.0: cannot open shared object file: No such file")
    monkeypatch.setattr(ctypes, "CDLL", refuse)
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    message = app.missing_platform_library()
    assert "libxcb-cursor.so.0" in message and "README" in message
    assert "\n" not in message


def test_the_demo_progress_stands_apart_from_the_sign_ins(tmp_path, capsys):
    from tests.conftest import run_cli

    code, out, err = run_cli(capsys, "--db", tmp_path / "t.db", "demo", "--venues", "4",
                             "--events", "20", "--incidents", "5")
    assert code == 0
    assert "\n\nDemo sign-ins" in out and out.startswith("\n")
    assert all(line.startswith("Building the demo:") for line in err.splitlines() if line)


