"""The promoter's form in the app (saved, dropped back filled, confirmed, saved with its PDF),
and an issued assessment mailed from the Issue step, again with one click after a failure."""

from __future__ import annotations

import json
import socket

import keyring
import pytest
from aiosmtpd.controller import Controller
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QInputDialog

from tests.core.test_mail import Inbox, MemoryKeyring
from tests.core.test_promoter_form import FILLED, _javascript, _with_root, fill


def _venue_and_promoter(db) -> tuple[str, str, str]:
    code, name = db.execute("SELECT code, name FROM venues ORDER BY id LIMIT 1").fetchone()
    promoter = db.execute("SELECT name FROM promoters ORDER BY id LIMIT 1").fetchone()[0]
    return code, name, promoter


def _drag(window, path, kind=QDropEvent) -> bool:
    """A file dragged over (or dropped on) the window: the events Qt's drag and drop hands the
    window (delivered through its own ``event()``, since offscreen there is no drag to
    start); whether the window took it."""
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(path))])
    event = kind(QPoint(50, 50), Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton,
                 Qt.KeyboardModifier.NoModifier)
    event.setAccepted(False)
    window.event(event)
    return event.isAccepted()


def _drop(window, path) -> None:
    assert _drag(window, path, QDragEnterEvent)
    assert _drag(window, path)


def test_only_a_pdf_may_be_dropped(qtbot, window_for, tmp_path):
    window = window_for("officer")
    assert _drag(window, tmp_path / "form.pdf", QDragEnterEvent)
    assert not _drag(window, tmp_path / "events.csv", QDragEnterEvent)


def _open_form(qtbot, window):
    from ui.submission_form import SubmissionForm

    qtbot.waitUntil(lambda: any(f.isVisible() for f in window.findChildren(SubmissionForm)))
    return next(f for f in window.findChildren(SubmissionForm) if f.isVisible())


def test_a_filled_form_dropped_on_the_window_becomes_a_submission(qtbot, window_for, tmp_path,
                                                                  messages):
    window = window_for("officer")
    db = window.desk.db
    code, _, promoter = _venue_and_promoter(db)
    blank = window.desk.forms.blank(promoter)
    path = tmp_path / "filled.pdf"
    path.write_bytes(fill(blank, FILLED | {"venue": code, "promoter_name": promoter}))
    _drop(window, path)
    form = _open_form(qtbot, window)
    assert form.event_name.text() == "Winter Warehouse"
    assert form.venue_code.text() == code and form.promoter_name.text() == promoter
    assert form.next_day.isChecked() and form.expected_attendance.text() == "350"
    assert form.performers.toPlainText() == "DJ Alpha\nMC Beta"
    assert form.save_button.isEnabled(), form.reason.text()
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    kept = db.execute("SELECT s.event_name FROM submission_forms f JOIN submissions s ON "
                      "s.id = f.submission_id").fetchall()
    assert kept == [("Winter Warehouse",)]


def test_a_venue_not_on_the_desk_is_confirmed_by_the_officer(qtbot, window_for, tmp_path,
                                                            monkeypatch):
    window = window_for("officer")
    code, name, promoter = _venue_and_promoter(window.desk.db)
    asked = []

    def pick(parent, title, text, items, *a, **k):
        asked.append((text, items))
        return items[0], True

    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(pick))
    path = tmp_path / "filled.pdf"
    path.write_bytes(fill(window.desk.forms.blank(),
                          FILLED | {"venue": name[:-1], "promoter_name": promoter}))
    count = "SELECT count(*) FROM venues"
    before = window.desk.db.execute(count).fetchone()[0]
    form = window.import_promoter_form(str(path))
    assert f"'{name[:-1]}'" in asked[0][0] and asked[0][1][0].startswith(code)
    assert form.venue_code.text() == code
    assert window.desk.db.execute(count).fetchone()[0] == before  # none made


def test_a_hostile_pdf_dropped_is_refused_in_a_sentence(qtbot, window_for, tmp_path, messages):
    from ui.submission_form import SubmissionForm

    window = window_for("officer")
    path = tmp_path / "x.pdf"
    path.write_bytes(_with_root(fill(window.desk.forms.blank(), FILLED), "/OpenAction",
                                _javascript()))
    form = window.import_promoter_form(str(path))
    assert form is None and not window.findChildren(SubmissionForm)
    assert any("carries a script" in m for m in messages)


def test_the_menu_saves_a_promoters_form(qtbot, window_for, tmp_path, monkeypatch):
    from ui import main_window

    window = window_for("officer")
    promoter = _venue_and_promoter(window.desk.db)[2]
    monkeypatch.setattr(QInputDialog, "getText",
                        staticmethod(lambda *a, **k: (promoter, True)))
    target = tmp_path / "form.pdf"
    monkeypatch.setattr(main_window, "save_path", lambda *a, **k: str(target))
    assert window.promoter_form() == str(target)
    from pypdf import PdfReader

    assert PdfReader(target).get_fields()["promoter_name"]["/V"] == promoter


@pytest.fixture
def relay(window_for, tmp_path, monkeypatch):
    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    window = window_for("supervisor")
    from tests.ui.conftest import sign_in

    admin = sign_in(window.desk.db, window.desk.path, "admin")
    admin.set_setting("mail_host", "127.0.0.1")
    admin.set_setting("mail_port", port)
    admin.set_setting("mail_security", "none")
    borough = window.desk.db.execute(
        "SELECT v.borough FROM submissions s JOIN venues v ON v.id = s.venue_id WHERE "
        "s.status = 'approved' AND s.assessment_id IS NOT NULL ORDER BY s.starts_at LIMIT 1"
    ).fetchone()[0]
    admin.set_setting("mail_test_addresses", "duty@example.police.uk")  # a training desk
    from eventrisk.deskinfo import desk_file

    data = json.loads(desk_file().read_text(encoding="utf-8"))
    data["borough_mailboxes"] = {borough: "duty@example.police.uk"}
    (tmp_path / "desk.json").write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setenv("EVENTRISK_DESK_JSON", str(tmp_path / "desk.json"))
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    yield window, inbox, admin, port, borough
    keyring.set_keyring(previous)
    controller.stop()


def test_issuing_offers_to_mail_the_borough_and_sends_again_after_a_failure(
        qtbot, relay, monkeypatch, messages):
    from PySide6.QtWidgets import QMessageBox

    from ui import assessment_view

    window, inbox, admin, port, _ = relay
    db = window.desk.db
    sid = db.execute("SELECT id FROM submissions WHERE status = 'approved' AND assessment_id "
                     "IS NOT NULL ORDER BY starts_at LIMIT 1").fetchone()[0]
    view = window.open_assessment(sid)
    monkeypatch.setattr(assessment_view, "save_pdf", lambda *_a: "/x/issued.pdf")
    monkeypatch.setattr(assessment_view, "print_pdf", lambda *_a: None)
    admin.set_setting("mail_port", 1)  # the relay cannot be reached at first
    clicks = []

    def not_sent(box):  # the officer presses Send again once the relay is back
        messages.append(box.text())
        admin.set_setting("mail_port", port)
        again = next(b for b in box.buttons() if "again" in b.text())
        clicks.append(again)
        box.exec = None
        monkeypatch.setattr(box, "clickedButton", lambda: again)
        return 0

    monkeypatch.setattr(QMessageBox, "exec", not_sent)
    qtbot.mouseClick(view.buttons["issue"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(inbox.messages) == 1, timeout=20000)  # sent off the GUI thread
    qtbot.waitUntil(lambda: "Sent the" in window.statusBar().currentMessage())
    assert any("cannot be reached" in m and "stays issued" in m for m in messages)
    assert len(clicks) == 1 and [r for r, _ in inbox.messages] == [["duty@example.police.uk"]]
    actions = [r[0] for r in db.execute("SELECT action FROM audit_log WHERE action LIKE "
                                        "'mail.%' ORDER BY id")]
    assert actions == ["mail.failed", "mail.sent"]
    assert "Sent the issued assessment" in window.statusBar().currentMessage()


def test_a_saved_pack_is_offered_to_its_boroughs_mailbox(qtbot, relay, monkeypatch, messages):
    from datetime import date, timedelta

    window, inbox, admin, port, borough = relay
    pdf, _ = window.desk.render_pack(borough, date.today() - timedelta(days=400),
                                     date.today() + timedelta(days=400))
    window.offer_pack_mail(borough, date.today(), date.today(), pdf)
    qtbot.waitUntil(lambda: len(inbox.messages) == 1, timeout=20000)  # sent off the GUI thread
    assert any("Send the " in m and borough in m for m in messages)
    assert [r for r, _ in inbox.messages] == [["duty@example.police.uk"]]
    assert inbox.messages[0][1]["Subject"].strip().startswith("OFFICIAL-SENSITIVE: borough pack")
