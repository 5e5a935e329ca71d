"""Papers out through a real SMTP server on loopback: the recipients, the marking in the
subject, the attachment's hash, the audit entry; failures said in a sentence and sent again;
a training desk sends only to its test addresses; the password lives in the keyring."""

from __future__ import annotations

import email
import hashlib
import json
import socket
from datetime import date, timedelta
from email import policy

import keyring
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from keyring.backend import KeyringBackend

from eventrisk import settings
from eventrisk.errors import PermissionDenied, WorkflowError
from eventrisk.mail import KEYRING_SERVICE, MailError
from eventrisk.validation import validate_submission
from tests.conftest import event_fields

MAILBOX = "hackney.duty@example.police.uk"


class MemoryKeyring(KeyringBackend):
    """A keyring held in memory, as the operating system's would hold it."""

    priority = 1  # type: ignore[assignment]

    def __init__(self):
        super().__init__()
        self.kept: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.kept.get((service, username))

    def set_password(self, service, username, password):
        self.kept[(service, username)] = password

    def delete_password(self, service, username):
        self.kept.pop((service, username), None)


class Inbox:
    """An SMTP server's handler that keeps every message it is given."""

    def __init__(self):
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        parsed = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"


@pytest.fixture
def relay(desks):
    """A real SMTP server on loopback, set as the desk's relay (signing in as 'desk')."""
    inbox = Inbox()

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"desk" and auth_data.password == b"relay-secret"
        return AuthResult(success=ok, handled=False)

    with socket.socket() as probe:  # a free port on loopback
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=authenticate,
                            auth_require_tls=False)
    controller.start()
    admin = desks["admin"]
    admin.set_setting("mail_host", "127.0.0.1")
    admin.set_setting("mail_port", port)
    admin.set_setting("mail_security", "none")
    admin.set_setting("mail_username", "desk")
    kept = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(kept)
    admin.mail.set_password("relay-secret")
    yield inbox, controller, kept
    keyring.set_keyring(previous)
    controller.stop()


@pytest.fixture
def mailboxes(tmp_path, monkeypatch):
    from eventrisk.deskinfo import desk_file

    data = json.loads(desk_file().read_text(encoding="utf-8"))
    data["borough_mailboxes"] = {"Hackney": MAILBOX}
    path = tmp_path / "desk.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setenv("EVENTRISK_DESK_JSON", str(path))


def _issued(desks) -> tuple[int, bytes]:
    officer, sup = desks["capturer"], desks["supervisor"]
    state = officer.save_submission(validate_submission(event_fields()))
    sid = state.submission.id
    state = officer.submit_for_review(sid, state.version)
    state = sup.approve(sid, state.version)
    pdf = sup.render_assessment(sid)
    officer.issue(sid, state.version, pdf)
    return sid, pdf


def _audit(desk, action):
    rows = desk.db.execute("SELECT actor, detail FROM audit_log WHERE action = ? ORDER BY id",
                           [action]).fetchall()
    return [(actor, json.loads(detail)) for actor, detail in rows]


def test_an_issued_assessment_reaches_the_boroughs_mailbox_with_its_hash(desks, relay,
                                                                           mailboxes):
    inbox, _, _ = relay
    sid, pdf = _issued(desks)
    sent = desks["capturer"].mail.send_issued(sid, pdf)
    [(recipients, msg)] = inbox.messages
    assert recipients == [MAILBOX]
    assert msg["Subject"].startswith("OFFICIAL-SENSITIVE: event risk assessment ER-")
    [attachment] = list(msg.iter_attachments())
    body = attachment.get_content()
    assert hashlib.sha256(body).hexdigest() == hashlib.sha256(pdf).hexdigest() == sent.sha256
    assert msg.get_body(("plain",)).get_content().count(sent.sha256) == 1
    [(actor, detail)] = _audit(desks["capturer"], "mail.sent")
    assert actor == "capturer" and detail["to"] == [MAILBOX] and detail["sha256"] == sent.sha256


def test_only_the_document_recorded_at_issue_is_mailed(desks, relay, mailboxes):
    sid, pdf = _issued(desks)
    with pytest.raises(WorkflowError, match="not an issued assessment"):
        desks["capturer"].mail.send_issued(sid, pdf + b"%tampered")
    assert relay[0].messages == []


def test_a_failure_leaves_it_issued_says_why_and_sending_again_works(desks, relay, mailboxes):
    inbox, controller, _ = relay
    sid, pdf = _issued(desks)
    port = desks["admin"].setting("mail_port")
    desks["admin"].set_setting("mail_port", 1)  # nothing listens there
    with pytest.raises(MailError, match="cannot be reached"):
        desks["capturer"].mail.send_issued(sid, pdf)
    assert desks["capturer"].assessment(sid).submission.status.value == "issued"
    [(_, failed)] = _audit(desks["capturer"], "mail.failed")
    assert "cannot be reached" in failed["error"]
    desks["admin"].set_setting("mail_port", port)
    desks["capturer"].mail.send_issued(sid, pdf)  # the same call again
    assert len(inbox.messages) == 1 and len(_audit(desks["capturer"], "mail.sent")) == 1


def test_a_wrong_relay_password_is_said_in_a_sentence(desks, relay, mailboxes):
    inbox, _, kept = relay
    sid, pdf = _issued(desks)
    kept.kept[(KEYRING_SERVICE, next(iter(kept.kept))[1])] = "wrong"
    with pytest.raises(MailError, match="refused the sign-in as desk"):
        desks["capturer"].mail.send_issued(sid, pdf)
    assert inbox.messages == []


def test_the_password_is_kept_in_the_keyring_never_in_the_database(desks, relay):
    _, _, kept = relay
    assert list(kept.kept.values()) == ["relay-secret"]
    db = desks["admin"].db
    for table in ("settings", "audit_log"):
        text = " ".join(str(v) for row in db.execute(f"SELECT * FROM {table}") for v in row)
        assert "relay-secret" not in text
    with pytest.raises(PermissionDenied):
        desks["capturer"].mail.set_password("mine")


def test_a_pack_goes_to_its_borough_and_a_letter_to_the_promoter(desks, relay, mailboxes):
    inbox, _, _ = relay
    desk = desks["capturer"]
    state = desk.save_submission(validate_submission(event_fields(
        promoter_email="bookings@lantern.example")))
    sid = state.submission.id
    state = desk.submit_for_review(sid, state.version)
    desks["supervisor"].approve(sid, state.version)
    letter = desk.render_letter(sid)
    with pytest.raises(WorkflowError, match="write the letter first"):
        desk.mail.send_letter(sid, letter)
    desk.issue_letter(sid, letter)
    desk.mail.send_letter(sid, letter)
    span = (date.today(), date.today() + timedelta(days=30))
    pack, _ = desk.render_pack("Hackney", *span)
    desk.mail.send_pack("Hackney", *span, pack)
    assert [r for r, _ in inbox.messages] == [["bookings@lantern.example"], [MAILBOX]]
    assert inbox.messages[0][1]["Subject"].strip().startswith("OFFICIAL: ")
    assert inbox.messages[1][1]["Subject"].strip().startswith("OFFICIAL-SENSITIVE: borough pack")


def test_a_training_desk_sends_only_to_its_test_addresses(desks, relay, mailboxes):
    inbox, _, _ = relay
    sid, pdf = _issued(desks)
    desk = desks["capturer"]
    with desk.db.atomic():
        settings.mark_training(desk.db)
    with pytest.raises(PermissionDenied, match="training desk"):
        desk.mail.send_issued(sid, pdf)
    assert inbox.messages == []
    desks["admin"].set_setting("mail_test_addresses", f"trainer@example.org, {MAILBOX}")
    desk.mail.send_issued(sid, pdf)
    assert len(inbox.messages) == 1


def test_a_borough_with_no_mailbox_is_named(desks, relay):
    sid, pdf = _issued(desks)
    from eventrisk.errors import ValidationError

    with pytest.raises(ValidationError, match="no duty mailbox for Hackney"):
        desks["capturer"].mail.send_issued(sid, pdf)


def test_desk_json_mailboxes_are_checked(tmp_path):
    from eventrisk.deskinfo import DeskFileError, desk_file, load_desk_contact

    data = json.loads(desk_file().read_text(encoding="utf-8"))
    data["borough_mailboxes"] = {"Atlantis": "a@b.example", "hackney": "not an address"}
    path = tmp_path / "desk.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(DeskFileError) as bad:
        load_desk_contact(path)
    assert len(bad.value.problems) == 2
    assert "Atlantis" in bad.value.problems[0] and "not an email" in bad.value.problems[1]


@pytest.mark.sqlite_only
def test_the_command_line_sets_the_relay_and_sends(desks, relay, mailboxes, tmp_path,
                                                   monkeypatch, capsys):
    import io

    from tests.conftest import act_as, run_cli

    inbox, _, kept = relay
    sid, pdf = _issued(desks)
    path = desks["admin"].path
    act_as(monkeypatch, tmp_path, "admin", "admin-password")
    code, out, err = run_cli(capsys, "--db", path, "mail", "relay", "--security", "tls")
    assert code == 0 and "(tls) as desk" in out
    with pytest.raises(SystemExit) as bad:  # argparse refuses it, naming the choices
        run_cli(capsys, "--db", path, "mail", "relay", "--security", "sometimes")
    assert bad.value.code == 2 and "starttls" in capsys.readouterr().err
    run_cli(capsys, "--db", path, "mail", "relay", "--security", "none")
    monkeypatch.setattr("sys.stdin", io.StringIO("new-secret\n"))
    code, out, err = run_cli(capsys, "--db", path, "mail", "password")
    assert code == 0 and "new-secret" in kept.kept.values()
    kept.kept[next(iter(kept.kept))] = "relay-secret"
    (tmp_path / "issued.pdf").write_bytes(pdf)
    reference = desks["admin"].assessment(sid).submission.reference
    act_as(monkeypatch, tmp_path, "officer", "officer-pass")
    code, out, err = run_cli(capsys, "--db", path, "mail", "send", "issued",
                             tmp_path / "issued.pdf", "--ref", reference)
    assert code == 0, err
    assert MAILBOX in out and len(inbox.messages) == 1
    run_cli(capsys, "--db", path, "mail", "relay")
    desks["admin"].set_setting("mail_port", 1)
    code, out, err = run_cli(capsys, "--db", path, "mail", "send", "issued",
                             tmp_path / "issued.pdf", "--ref", reference)
    assert code == 1 and "cannot be reached" in err and "Traceback" not in err
