"""Papers out through the force's mail relay (``desk.mail``): an issued assessment to its
borough's duty mailbox, a pack to its borough, a letter to the promoter.

Only what the desk has recorded goes: an assessment whose SHA-256 is among its issues, a
letter whose SHA-256 is among its letters.  What was sent, to whom, when and with which
SHA-256 is an audit entry; so is a failure, which leaves the paper issued and is sent again
with the same call.  A training desk sends only to the test addresses an administrator set.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from eventrisk import audit, settings, submissions
from eventrisk.deskinfo import load_desk_contact
from eventrisk.errors import PermissionDenied, ValidationError, WorkflowError
from eventrisk.mail import MailError, Relay, message, relay_password, send, store_password
from eventrisk.model import Status
from eventrisk.report.layout import MARKING
from eventrisk.timeutil import british_date, to_local

if TYPE_CHECKING:
    from eventrisk.desk.service import Desk

__all__ = ["MailError", "Mailer", "Sent"]


@dataclass(frozen=True)
class Sent:
    """A message the relay took: to whom, with which attachment."""

    recipients: tuple[str, ...]
    subject: str
    sha256: str


class Mailer:
    """``desk.mail``: the relay as set, and sending the desk's papers through it."""

    def __init__(self, desk: Desk) -> None:
        self._desk = desk

    # ---- the relay ---------------------------------------------------------------------------
    def relay(self) -> Relay | None:
        """The relay an administrator set (None: the desk sends no mail)."""
        db = self._desk.db
        self._desk.reader()
        host = str(settings.get(db, "mail_host"))
        if not host:
            return None
        return Relay(host, int(settings.get(db, "mail_port")),
                     str(settings.get(db, "mail_security")),
                     str(settings.get(db, "mail_username")),
                     str(settings.get(db, "mail_sender")) or load_desk_contact().email)

    def set_password(self, password: str) -> None:
        """Keep the relay's password in this computer's keyring (administrators); audited,
        without the password."""
        relay = self._relay()
        if not relay.username:
            raise ValidationError([("mail_username", "The relay has no user name set, so it "
                                                     "needs no password")])
        if not password:
            raise ValidationError([("password", "Give the relay's password")])
        with self._desk.use_case("desk_settings") as actor:
            store_password(relay, password)
            audit.record(self._desk.db, actor.username, "mail.password", "settings",
                         "mail_host", {"relay": str(relay), "user": relay.username}, "")

    def mailbox(self, borough: str) -> str:
        """The borough's duty mailbox from desk.json (``ValidationError`` when none)."""
        address = load_desk_contact().mailboxes.get(borough)
        if not address:
            raise ValidationError([("borough", f"desk.json gives no duty mailbox for "
                                               f"{borough} (borough_mailboxes)")])
        return address

    # ---- sending -----------------------------------------------------------------------------
    def send_issued(self, submission_id: int, pdf: bytes) -> Sent:
        """The issued assessment ``pdf`` to its borough's duty mailbox."""
        desk = self._desk
        desk.reader()
        digest = hashlib.sha256(pdf).hexdigest()
        sub = submissions.get(desk.db, submission_id)
        issued = desk.db.execute("SELECT 1 FROM issued_documents WHERE submission_id = ? AND "
                                 "sha256 = ?", [submission_id, digest]).fetchone()
        if sub.status not in (Status.ISSUED, Status.DEBRIEFED) or issued is None:
            raise WorkflowError(f"That PDF is not an issued assessment of {sub.reference}; "
                                "only the document recorded at its issue is mailed.")
        borough = _borough(desk, sub.venue_code)
        subject = (f"{MARKING}: event risk assessment {sub.reference}, {sub.event_name}, "
                   f"{british_date(to_local(sub.start))}")
        body = (f"The Promoters Desk's assessment of {sub.reference} ({sub.event_name}, "
                f"{british_date(to_local(sub.start))}) for {borough} is attached, as "
                f"issued.\n\nIts SHA-256 is {digest}.\n\nThis message is marked {MARKING}: "
                "handle it accordingly.\n")
        return self._send("issued", sub.reference, [self.mailbox(borough)], subject, body,
                          f"{sub.reference}-assessment.pdf", pdf, submission_id)

    def send_letter(self, submission_id: int, pdf: bytes) -> Sent:
        """The promoter's letter ``pdf`` (as recorded when it was sent) to their email."""
        desk = self._desk
        desk.reader()
        digest = hashlib.sha256(pdf).hexdigest()
        sub = submissions.get(desk.db, submission_id)
        recorded = desk.db.execute(
            "SELECT 1 FROM audit_log WHERE action = 'letter.issue' AND entity = 'submission' "
            "AND entity_id = ? AND detail LIKE ?", [str(submission_id), f'%"{digest}"%']
        ).fetchone()
        if recorded is None:
            raise WorkflowError(f"That PDF is not a letter recorded for {sub.reference}; "
                                "write the letter first ('eventrisk letter').")
        if not sub.promoter_email:
            raise ValidationError([("promoter_email", f"{sub.promoter_name} has no email "
                                                      "address on the desk")])
        subject = f"OFFICIAL: your event {sub.event_name} on {british_date(to_local(sub.start))}"
        body = (f"Dear {sub.promoter_name},\n\nPlease find attached the Promoters Desk's "
                f"letter about {sub.event_name} ({sub.reference}).\n\nPromoters Desk\n")
        return self._send("letter", sub.reference, [sub.promoter_email], subject, body,
                          f"{sub.reference}-letter.pdf", pdf, submission_id)

    def send_pack(self, borough: str, date_from: date, date_to: date, pdf: bytes) -> Sent:
        """A borough pack ``pdf`` to the borough's duty mailbox."""
        self._desk.reader()
        span = f"{date_from:%d/%m/%Y} to {date_to:%d/%m/%Y}"
        subject = f"{MARKING}: borough pack for {borough}, {span}"
        body = (f"The Promoters Desk's pack of events in {borough} from {span} is attached."
                f"\n\nThis message is marked {MARKING}: handle it accordingly.\n")
        name = f"pack-{borough.replace(' ', '-')}-{date_from.isoformat()}.pdf"
        return self._send("pack", borough, [self.mailbox(borough)], subject, body, name, pdf,
                          None)

    # ---- the one way out ---------------------------------------------------------------------
    def _relay(self) -> Relay:
        relay = self.relay()
        if relay is None:
            raise MailError("No mail relay is set; an administrator sets one in Desk settings "
                            "(or 'eventrisk mail relay').")
        return relay

    def _send(self, kind: str, about: str, recipients: list[str], subject: str, body: str,
              filename: str, pdf: bytes, submission_id: int | None) -> Sent:
        desk = self._desk
        relay = self._relay()
        if desk.training:
            allowed = {a.strip().casefold() for a in
                       str(settings.get(desk.db, "mail_test_addresses")).split(",") if a.strip()}
            outside = [r for r in recipients if r.casefold() not in allowed]
            if outside:
                raise PermissionDenied(
                    f"This is a training desk: it sends only to the test addresses an "
                    f"administrator has set, and {', '.join(outside)} is not one. Nothing "
                    "was sent.")
        password = relay_password(relay)
        digest = hashlib.sha256(pdf).hexdigest()
        detail = {"kind": kind, "about": about, "to": recipients, "subject": subject,
                  "sha256": digest, "relay": str(relay)}
        entity = ("submission", str(submission_id)) if submission_id else ("pack", about)
        try:
            send(relay, message(relay.sender, recipients, subject, body, filename, pdf),
                 password)
        except MailError as exc:
            with desk.use_case("issue") as actor:
                audit.record(desk.db, actor.username, "mail.failed", *entity,
                             detail | {"error": str(exc)}, "")
            raise
        with desk.use_case("issue") as actor:
            audit.record(desk.db, actor.username, "mail.sent", *entity, detail, "")
        return Sent(tuple(recipients), subject, digest)


def _borough(desk: Desk, venue_code: str) -> str:
    row = desk.db.execute("SELECT borough FROM venues WHERE code = ?", [venue_code]).fetchone()
    return row[0]
