"""Issue 31 in the app: a save kept waiting by another workstation's long work says who and
keeps the form's edits (item 6); restoring another desk's backup asks a second question and
the trail says so (item 5)."""

from __future__ import annotations

import sqlite3

from PySide6.QtCore import Qt

from eventrisk import submissions
from eventrisk.timeutil import now_utc, to_db


def test_a_save_kept_waiting_says_who_and_the_form_keeps_its_edits(qtbot, window_for, desk,
                                                                  messages):
    db, path = desk
    window = window_for("officer")
    sid = db.execute("SELECT id FROM submissions WHERE status IN ('received', 'assessed') "
                     "AND starts_at > ? ORDER BY id LIMIT 1", [to_db(now_utc())]).fetchone()[0]
    from ui.submission_form import SubmissionForm

    form = SubmissionForm(window.desk, submissions.get(db, sid), window)
    form.show()
    form.event_name.clear()
    qtbot.keyClicks(form.event_name, "Edited While Busy")
    window.desk.db.conn.execute("PRAGMA busy_timeout = 200")  # not the five seconds
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("INSERT INTO workstations (id, host, pid, username, seen_at, doing) VALUES "
                   "('desk-7:41', 'desk-7', 41, 'supervisor', ?, 'rescoring')",
                   [to_db(now_utc())])
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("UPDATE venues SET capacity = capacity WHERE id = 1")
    try:
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert messages[-1] == ("The desk is busy: supervisor on desk-7 is rescoring. Your "
                            "changes are kept; try again.")
    assert form.isVisible() and form.event_name.text() == "Edited While Busy"
    with qtbot.waitSignal(form.saved):  # and trying again saves them
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert submissions.get(db, sid).event_name == "Edited While Busy"


def test_restoring_another_desks_backup_asks_again_and_is_recorded(qtbot, window_for,
                                                                  tmp_path, monkeypatch,
                                                                  messages):
    from PySide6.QtWidgets import QFileDialog

    from eventrisk import audit
    from eventrisk.desk import Desk
    from tests.ui.conftest import answers_sign_in
    from ui import login

    other = Desk.open(tmp_path / "other.db", create=True)
    other.build_demo(venues=2, events=4, incidents=1, seed=2)
    other.sign_in("admin", "admin-demo")
    other.backup(tmp_path / "other-backup.db")
    other.close()
    window = window_for("admin")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(
        lambda *a, **k: (str(tmp_path / "other-backup.db"), "")))
    monkeypatch.setattr(login.LoginDialog, "exec", answers_sign_in(qtbot, "admin", "admin-demo"))
    window.restore_backup()
    assert any("is a backup of another desk" in m and "Replace this desk with the other "
               "desk's records all the same?" in m for m in messages)
    assert any("was restored from" in m for m in messages)
    last = audit.history(window.desk.db, "database", "")[0]
    assert last.action == "database.restore" and last.detail["other_desk"] is True
