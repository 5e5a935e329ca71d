"""Sign-in, rules, printing, background work and error messages."""

import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QPushButton

from eventrisk import users
from eventrisk.desk import Desk
from eventrisk.errors import PermissionDenied
from eventrisk.model import Role
from eventrisk.paths import resource
from eventrisk.queue import QueueFilter
from eventrisk.report.assessment_pdf import render_assessment
from tests.ui.conftest import answers_sign_in, sign_in
from ui.errors import message_for
from ui.login import FirstRunDialog, LoginDialog, RecoveryCodeDialog
from ui.pdf_preview import PdfPreview
from ui.rules_view import RulesView


def test_first_run_creates_the_administrator(qtbot, tmp_path):
    desk = Desk.open(tmp_path / "new.db", create=True)
    dialog = FirstRunDialog(desk)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.display_name, "Desk Admin")
    qtbot.keyClicks(dialog.username, "admin")
    qtbot.keyClicks(dialog.password, "long-password")
    qtbot.keyClicks(dialog.confirm, "different-one")
    dialog._create()
    assert "differ" in dialog.error.text() and users.count_users(desk.db) == 0
    dialog.confirm.clear()
    qtbot.keyClicks(dialog.confirm, "long-password")
    dialog._create()
    assert desk.user is not None and desk.user.role.value == "admin" and not desk.training
    # The desk's recovery code is made with the administrator and shown once.
    assert re.fullmatch(r"[A-Z0-9]{5}(-[A-Z0-9]{5}){4}", dialog.recovery_code)
    assert desk.has_recovery_code()
    shown = RecoveryCodeDialog(dialog.recovery_code)
    qtbot.addWidget(shown)
    assert shown.code.text() == dialog.recovery_code and shown.code.isReadOnly()
    desk.close()


def test_first_run_can_make_a_training_desk_instead(qtbot, tmp_path):
    desk = Desk.open(tmp_path / "new.db", create=True)
    dialog = FirstRunDialog(desk)
    qtbot.addWidget(dialog)
    qtbot.mouseClick(dialog.findChild(QPushButton, "trainingDesk"), Qt.MouseButton.LeftButton)
    assert dialog.training and desk.training and desk.user is None
    login = LoginDialog(desk)
    qtbot.addWidget(login)
    assert "TRAINING DESK" in login.findChildren(QLabel)[0].text()
    desk.close()


def test_sign_in_lists_demo_users_only_on_a_training_desk(qtbot, desk, tmp_path):
    db, path = desk
    dialog = LoginDialog(Desk(db, path))
    qtbot.addWidget(dialog)
    assert any("supervisor-demo" in label.text() for label in dialog.findChildren(QLabel))
    qtbot.keyClicks(dialog.username, "officer")
    qtbot.keyClicks(dialog.password, "nope")
    dialog._accept()
    assert dialog.desk.user is None and "wrong" in dialog.error.text()
    dialog.password.clear()
    qtbot.keyClicks(dialog.password, "officer-demo")
    dialog._accept()
    assert dialog.desk.user.username == "officer"
    real = Desk.open(tmp_path / "real.db", create=True)
    real.create_first_admin("officer", "Not a demo", "officer-demo")
    other = LoginDialog(real)
    qtbot.addWidget(other)
    assert not any("officer-demo" in label.text() for label in other.findChildren(QLabel))
    real.close()


def test_rules_view_shows_draft_problems_then_publishes(qtbot, desk, tmp_path, messages):
    db, path = desk
    view = RulesView(sign_in(db, path, "supervisor"))
    qtbot.addWidget(view)
    text = resource("rules", "default.toml").read_text()
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace('"capacity >= 500"', '"audience_age >= 18"'))
    view.load_draft(str(bad))
    assert "'audience_age' is not a feature" in view.report.toPlainText()
    assert not view.publish.isEnabled()
    good = tmp_path / "good.toml"
    good.write_text(text.replace('version = "2026.2"', 'version = "2026.9"'))
    view.load_draft(str(good))
    assert view.publish.isEnabled()
    qtbot.mouseClick(view.publish, Qt.MouseButton.LeftButton)
    assert "Published 2026.9" in view.report.toPlainText()
    assert db.execute("SELECT version FROM rulesets WHERE active = 1").fetchone()[0] == "2026.9"


def test_officers_cannot_publish_rules(qtbot, desk):
    db, path = desk
    view = RulesView(sign_in(db, path, "officer"))
    qtbot.addWidget(view)
    assert view.publish.isHidden()


def test_impact_preview_runs_in_the_background(qtbot, desk, tmp_path):
    db, path = desk
    view = RulesView(sign_in(db, path, "supervisor"))
    qtbot.addWidget(view)
    draft = tmp_path / "draft.toml"
    draft.write_text(resource("rules", "default.toml").read_text().replace(
        'version = "2026.2"', 'version = "2027.1"').replace("min_score = 60", "min_score = 1"))
    view.load_draft(str(draft))
    view._impact()
    qtbot.waitUntil(lambda: "would move up" in view.report.toPlainText(), timeout=10000)


def test_rescore_all_asks_with_the_count_runs_in_the_background_and_keeps_statuses(
        qtbot, window_for, messages):
    window = window_for("supervisor")
    db = window.desk.db
    before = db.execute("SELECT id, status FROM submissions ORDER BY id").fetchall()
    window.rescore_all()
    count = db.execute("SELECT count(*) FROM submissions WHERE status != 'cancelled'"
                       ).fetchone()[0]
    assert f"Rescore all {count:,} submissions" in messages[0]
    qtbot.waitUntil(lambda: "Rescored" in window.statusBar().currentMessage(), timeout=20000)
    assert db.execute("SELECT id, status FROM submissions ORDER BY id").fetchall() == before


def test_an_officer_may_not_rescore_the_whole_desk(qtbot, window_for, messages):
    window = window_for("officer")
    assert not next(a for a in window.findChildren(QAction)
                    if a.text() == "&Rescore all…").isEnabled()
    window.rescore_all()  # even when reached another way, the desk refuses it
    assert "may not rescore every submission" in messages[0]


def test_preview_shows_every_page(qtbot, desk):
    db, _ = desk
    sid = db.execute("SELECT id FROM submissions WHERE assessment_id IS NOT NULL LIMIT 1"
                     ).fetchone()[0]
    pdf = render_assessment(db, sid)
    preview = PdfPreview(pdf, "x", "x.pdf")
    qtbot.addWidget(preview)
    import io

    from pypdf import PdfReader

    assert len(preview.pages) == len(PdfReader(io.BytesIO(pdf)).pages) >= 1
    assert preview.pages[0].width() > 500


def test_unexpected_errors_show_no_traceback(tmp_path):
    title, text = message_for(KeyError("boom"))
    assert title == "Unexpected problem" and "Traceback" not in text and "eventrisk.log" in text
    import sqlite3

    title, text = message_for(sqlite3.OperationalError("database is locked"), "/x/desk.db")
    assert text == ("The desk is busy: another workstation is saving. Your changes are kept; "
                    "try again.")


def test_venue_view_filters_incidents_and_records_a_debrief(qtbot, window_for, monkeypatch):
    from ui import venue_view

    window = window_for("officer")
    db = window.desk.db
    venue_id, sid, ref = db.execute(
        "SELECT s.venue_id, s.id, s.reference FROM submissions s LEFT JOIN debriefs d ON "
        "d.submission_id = s.id WHERE d.id IS NULL AND s.status IN ('issued', 'approved') AND "
        "s.starts_at < strftime('%Y-%m-%dT%H:%M:%SZ', 'now') LIMIT 1").fetchone()
    view = window.open_venue(venue_id)
    view.period.setCurrentIndex(view.period.findData(0))
    everything = view.incident_model.rowCount()
    view.kind.setCurrentIndex(view.kind.findData("knife"))
    assert all(view.incident_model.object_at(i).category.value == "knife"
               for i in range(view.incident_model.rowCount()))
    assert view.incident_model.rowCount() <= everything
    row = next(i for i in range(view.event_model.rowCount())
               if view.event_model.object_at(i).id == sid)
    view.event_view.selectRow(row)

    def fill_and_save(dialog):
        dialog.incidents_noted.setValue(2)
        dialog._save()
        return 1

    monkeypatch.setattr(venue_view.DebriefDialog, "exec", fill_and_save)
    view._debrief()
    assert db.execute("SELECT incidents_noted FROM debriefs WHERE submission_id = ?",
                      [sid]).fetchone()[0] == 2
    assert ref


def test_an_admin_adds_an_account_and_an_officer_cannot(qtbot, desk):
    from ui.users_dialog import UsersDialog

    db, path = desk
    dialog = UsersDialog(sign_in(db, path, "admin"))
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.username, "jo")
    qtbot.keyClicks(dialog.display_name, "Jo Bloggs")
    qtbot.keyClicks(dialog.password, "short")
    dialog.add()
    assert "at least 8 characters" in dialog.message.text()
    qtbot.keyClicks(dialog.password, "-but-longer")
    dialog.add()
    jo = Desk(db, path)
    assert jo.sign_in("jo", "short-but-longer").must_change_password
    with pytest.raises(PermissionDenied, match="Choose a new password"):
        jo.queue_page(QueueFilter())
    officer = sign_in(db, path, "officer")
    with pytest.raises(PermissionDenied, match="may not manage user accounts"):
        UsersDialog(officer)
    with pytest.raises(PermissionDenied, match="may not manage user accounts"):
        officer.create_account("sneaky", "Sneaky", Role.ADMIN, "password123")


# ---- the session: training marks, lock, switch user, accounts, settings --------------------

def test_a_training_desk_says_so_in_the_title_and_status_bar(qtbot, window_for):
    window = window_for("officer")
    assert "TRAINING DATA" in window.windowTitle()
    banner = window.findChild(QLabel, "trainingBanner")
    assert banner is not None and "NOT FOR OPERATIONAL USE" in banner.text()


def test_idle_time_locks_the_window_until_the_same_password(qtbot, window_for, monkeypatch):
    from ui import login, main_window

    window = window_for("officer")
    seen = {}

    def unlock(dialog):
        seen["hidden"] = not window.centralWidget().isVisible()
        qtbot.keyClicks(dialog.password, "wrong-one")
        dialog._unlock()
        seen["error"] = dialog.error.text()
        qtbot.keyClicks(dialog.password, "officer-demo")
        dialog._unlock()
        return dialog.result()

    monkeypatch.setattr(login.LockDialog, "exec", unlock)
    monkeypatch.setattr(main_window.LockDialog, "exec", unlock)
    form = window.new_submission()  # a half-typed form is open when the officer walks away
    qtbot.keyClicks(form.event_name, "Half typed")
    original = unlock

    def unlock_and_look(dialog):
        seen["form hidden"] = not form.isVisible()
        return original(dialog)

    monkeypatch.setattr(main_window.LockDialog, "exec", unlock_and_look)
    window.idle_timer.setInterval(50)
    window.idle_timer.start()
    qtbot.waitUntil(lambda: "hidden" in seen, timeout=3000)
    assert seen["hidden"] and seen["form hidden"] and "wrong" in seen["error"]
    assert window.centralWidget().isVisible() and window.desk.user.username == "officer"
    assert form.isVisible() and form.event_name.text() == "Half typed"  # back as it was
    form._dirty = False
    form.close()


def test_a_key_press_keeps_the_window_unlocked(qtbot, window_for):
    window = window_for("officer")
    locks = []
    window.idle_timer.timeout.disconnect()
    window.idle_timer.timeout.connect(lambda: locks.append("locked"))  # never a modal here
    window.idle_timer.setInterval(2000)
    window.idle_timer.start()
    for _ in range(4):
        qtbot.wait(300)
        qtbot.keyClick(window.queue.search, Qt.Key.Key_A)
        assert window.idle_timer.remainingTime() > 1500  # each key press starts it again
    assert locks == []


def test_switch_user_rebuilds_the_window_for_the_new_account(qtbot, window_for, monkeypatch):
    from ui import login

    window = window_for("officer")
    from ui.main_window import FIXED_TABS

    window.open_assessment(window.queue.model.row_object(0).id)
    assert window.tabs.count() == FIXED_TABS + 1

    monkeypatch.setattr(login.LoginDialog, "exec",
                        answers_sign_in(qtbot, "supervisor", "supervisor-demo"))
    assert window.switch_user()
    assert window.tabs.count() == FIXED_TABS  # the officer's open records went with them
    assert window.tabs.tabText(FIXED_TABS - 1) == "Review"  # a supervisor's work
    assert "Sam Patel" in window.windowTitle()
    assert next(a for a in window.findChildren(QAction)
                if a.text() == "&Rescore all…").isEnabled()


def test_an_admin_resets_deactivates_and_changes_roles(qtbot, desk, monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    from ui.users_dialog import UsersDialog

    db, path = desk
    dialog = UsersDialog(sign_in(db, path, "admin"))
    qtbot.addWidget(dialog)
    row = next(i for i in range(dialog.model.rowCount())
               if dialog.model.object_at(i).user.username == "officer")
    dialog.table.selectRow(row)
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(
        lambda *a, **k: ("temporary-5", True)))
    dialog._act("reset")
    assert "unlocked" in dialog.message.text()
    assert users.find_user(db, "officer").must_change_password
    dialog.table.selectRow(row)
    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(lambda *a, **k: ("Supervisor",
                                                                               True)))
    dialog._act("role")
    assert users.find_user(db, "officer").role is Role.SUPERVISOR
    dialog.table.selectRow(row)
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("Left", True)))
    dialog._act("deactivate")
    assert not users.find_user(db, "officer").active
    state = dialog.model.object_at(row)
    assert state.user.username == "officer" and not state.user.active


def test_desk_settings_are_for_administrators(qtbot, desk):
    from ui.settings_dialog import SettingsDialog

    db, path = desk
    admin = sign_in(db, path, "admin")
    dialog = SettingsDialog(admin)
    qtbot.addWidget(dialog)
    dialog.inputs["idle_lock_minutes"].setValue(5)
    dialog.inputs["four_eyes_relaxed"].setChecked(True)
    dialog._save()
    assert admin.setting("idle_lock_minutes") == 5 and admin.setting("four_eyes_relaxed")
    with pytest.raises(PermissionDenied):
        sign_in(db, path, "supervisor").set_setting("idle_lock_minutes", 1)


def test_verify_the_audit_trail_from_the_app(qtbot, desk, tmp_path):
    from ui.verify_dialog import VerifyDialog

    db, path = desk
    supervisor = sign_in(db, path, "supervisor")
    supervisor.backup(tmp_path / "backup.db")
    dialog = VerifyDialog(supervisor)
    qtbot.addWidget(dialog)
    from eventrisk import audit

    position, digest = audit.head(db)
    qtbot.keyClicks(dialog.heads, f"audit {position}:{digest[:20]}")
    dialog.backup.setText(str(tmp_path / "backup.db"))
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "holds" in dialog.verdict.text(), timeout=20000)
    # the typed head, the backup file, and the head the backup recorded in the trail
    assert "3 witnesses hold" in dialog.verdict.text()
    dialog.heads.setPlainText(f"{position + 50}:{digest[:20]}")
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "does NOT hold" in dialog.verdict.text(), timeout=20000)
    assert f"entry {position + 50} is gone" in dialog.result.toPlainText()
    dialog.heads.setPlainText("12:nothex")
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    assert "16 or more hex characters" in dialog.verdict.text()


def test_an_administrator_restores_from_the_app(qtbot, window_for, tmp_path, monkeypatch,
                                                messages):
    from PySide6.QtWidgets import QFileDialog

    from ui import login

    window = window_for("admin")
    window.desk.backup(tmp_path / "backup.db")
    window.desk.set_setting("idle_lock_minutes", 9)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(
        lambda *a, **k: (str(tmp_path / "backup.db"), "")))

    monkeypatch.setattr(login.LoginDialog, "exec", answers_sign_in(qtbot, "admin", "admin-demo"))
    window.restore_backup()
    assert any("Replace the whole desk" in m for m in messages)
    assert any("was restored from" in m for m in messages)
    assert window.desk.setting("idle_lock_minutes") == 15
    assert list(tmp_path.glob("desk.db.replaced-*"))


def test_one_enter_does_not_record_an_incident_nobody_chose(qtbot, desk):
    from ui.venue_dialog import IncidentDialog

    db, path = desk
    officer = sign_in(db, path, "officer")
    venue = officer.venues_page(limit=1)[0]
    before = db.execute("SELECT count(*) FROM incidents").fetchone()[0]
    dialog = IncidentDialog(officer, venue)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    assert dialog.isVisible() and "Choose the category" in dialog.error.text()
    assert "Describe what happened" in dialog.error.text()
    for combo in (dialog.category, dialog.severity, dialog.location):
        combo.setCurrentIndex(1)
    qtbot.keyClicks(dialog.description, "Fight in the queue, two arrests")
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Save),
                     Qt.MouseButton.LeftButton)
    assert db.execute("SELECT count(*) FROM incidents").fetchone()[0] == before + 1


def test_the_app_will_not_start_on_a_broken_desk_file(qtbot, tmp_path, monkeypatch, messages):
    import json

    from eventrisk.desk import Desk
    from eventrisk.paths import resource
    from ui import app

    path = tmp_path / "desk.db"
    Desk.open(path, create=True).close()
    broken = tmp_path / "mine.json"
    data = json.loads(resource("desk.json").read_text("utf-8")) | {"out_of_hours": "later"}
    broken.write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setenv("EVENTRISK_DESK_JSON", str(broken))
    monkeypatch.setattr(app, "sign_in", lambda desk: pytest.fail("it went on to sign in"))
    import sys

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # run() sets its own: put it back
    assert app.run(path) == 1
    assert any("out_of_hours: 'later' holds no telephone number" in m for m in messages)


def test_the_preview_zooms_and_goes_to_a_page_from_the_keyboard(qtbot, desk):
    from PySide6.QtGui import QKeySequence

    db, _ = desk
    sid = db.execute("SELECT id FROM submissions WHERE assessment_id IS NOT NULL AND grade IN "
                     "('HIGH', 'CRITICAL') LIMIT 1").fetchone()[0]
    preview = PdfPreview(render_assessment(db, sid), "x", "x.pdf")
    qtbot.addWidget(preview)
    preview.show()
    preview.activateWindow()  # shortcuts go to the active window
    qtbot.waitUntil(preview.isActiveWindow, timeout=3000)
    assert len(preview.pages) >= 2 and preview.page_box.suffix() == f" of {len(preview.pages)}"
    width = preview.labels[0].pixmap().width()
    assert preview.zoom_label.text() == "140%"
    qtbot.keyClick(preview, QKeySequence(QKeySequence.StandardKey.ZoomIn)[0].key(),
                   QKeySequence(QKeySequence.StandardKey.ZoomIn)[0].keyboardModifiers())
    assert preview.labels[0].pixmap().width() > width
    qtbot.mouseClick(preview.findChild(QPushButton, "zoomOut"), Qt.MouseButton.LeftButton)
    qtbot.mouseClick(preview.findChild(QPushButton, "zoomOut"), Qt.MouseButton.LeftButton)
    assert preview.labels[0].pixmap().width() < width
    preview.resize(900, 700)
    qtbot.keyClick(preview, Qt.Key.Key_PageDown)
    assert preview.page_box.value() == 2
    assert preview.scroll.verticalScrollBar().value() == preview.labels[1].y() or \
        preview.scroll.verticalScrollBar().value() == preview.scroll.verticalScrollBar().maximum()


def test_a_server_that_wants_a_password_is_signed_in_to_first(qtbot, monkeypatch):
    """The desk's server asks each person for their own login before it opens: the dialog
    hands the name and password to the desk (libpq), says the server's refusal in one
    sentence, and keeps the desk it opened."""
    from eventrisk.errors import AuthError
    from ui.login import ServerSignInDialog

    tried = []
    opened = object()

    def open_as(target, name, password):
        tried.append((target, name, password))
        if password != "right-one":
            raise AuthError(f"The server refused the sign-in of {name}: the name or password "
                            "is wrong, or the login may not connect.")
        return opened

    monkeypatch.setattr(Desk, "open_as", staticmethod(open_as))
    dialog = ServerSignInDialog("service=desk")
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.username, "a_smith")
    qtbot.keyClicks(dialog.password, "guess")
    dialog._accept()
    assert dialog.desk is None and "refused the sign-in of a_smith" in dialog.error.text()
    dialog.password.clear()
    qtbot.keyClicks(dialog.password, "right-one")
    dialog._accept()
    assert dialog.desk is opened and tried[-1] == ("service=desk", "a_smith", "right-one")
