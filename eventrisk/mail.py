"""Sending a paper through the force's mail relay: one message, a short plain-text body, the
PDF attached, the protective marking in the subject.

The relay is the force's own (SMTP with STARTTLS or TLS); its password, if it needs one, lives
in the operating system's keyring (``keyring``), never in a file or the database.  Every
failure becomes one sentence naming the relay and what went wrong.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from eventrisk.errors import EventRiskError

KEYRING_SERVICE = "EventRisk mail relay"
TIMEOUT = 30  # seconds to wait for the relay at each step


class MailError(EventRiskError):
    """A message could not be sent (or the relay is not set up): one sentence saying why."""


@dataclass(frozen=True)
class Relay:
    """The force's SMTP relay, as an administrator set it."""

    host: str
    port: int
    security: str  # starttls, tls or none
    username: str = ""
    sender: str = ""

    @property
    def keyring_user(self) -> str:
        """The name the relay's password is kept under in the keyring."""
        return f"{self.username}@{self.host}"

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


def relay_password(relay: Relay) -> str | None:
    """The relay's password from the keyring (None when the relay needs no sign-in)."""
    if not relay.username:
        return None
    import keyring
    from keyring.errors import KeyringError

    try:
        password = keyring.get_password(KEYRING_SERVICE, relay.keyring_user)
    except KeyringError as exc:
        raise MailError(f"The keyring holding the mail relay's password could not be read "
                        f"({exc}); an administrator can set it again with 'eventrisk mail "
                        "password'.") from None
    if password is None:
        raise MailError(f"No password for {relay.username} at the mail relay {relay} is kept "
                        "on this computer; an administrator sets it with 'eventrisk mail "
                        "password' (it goes in the system keyring).")
    return password


def store_password(relay: Relay, password: str) -> None:
    """Keep the relay's password in the operating system's keyring."""
    import keyring
    from keyring.errors import KeyringError

    try:
        keyring.set_password(KEYRING_SERVICE, relay.keyring_user, password)
    except KeyringError as exc:
        raise MailError(f"This computer's keyring could not keep the password ({exc}); "
                        "EventRisk never stores it anywhere else.") from None


def message(sender: str, recipients: list[str], subject: str, body: str, filename: str,
            pdf: bytes) -> EmailMessage:
    """One message: plain text, the PDF attached."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    msg.set_content(body)
    msg.add_attachment(pdf, maintype="application", subtype="pdf", filename=filename)
    return msg


def send(relay: Relay, msg: EmailMessage, password: str | None) -> None:
    """Hand ``msg`` to the relay, or raise ``MailError`` saying what failed."""
    context = ssl.create_default_context()
    try:
        if relay.security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(relay.host, relay.port, timeout=TIMEOUT,
                                                    context=context)
        else:
            client = smtplib.SMTP(relay.host, relay.port, timeout=TIMEOUT)
        with client:
            if relay.security == "starttls":
                client.starttls(context=context)
            if password is not None:
                client.login(relay.username, password)
            refused = client.send_message(msg)
    except smtplib.SMTPAuthenticationError:
        raise MailError(f"The mail relay {relay} refused the sign-in as {relay.username}; "
                        "check the user name and the password kept for it.") from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise MailError(f"The mail relay {relay} refused every recipient "
                        f"({', '.join(exc.recipients)}).") from None
    except smtplib.SMTPNotSupportedError:
        raise MailError(f"The mail relay {relay} does not offer STARTTLS; ask for its TLS "
                        "port, or set the security to tls.") from None
    except (smtplib.SMTPException, ssl.SSLError) as exc:
        raise MailError(f"The mail relay {relay} did not take the message ({exc}).") from None
    except TimeoutError:
        raise MailError(f"The mail relay {relay} did not answer within {TIMEOUT} s.") from None
    except OSError as exc:
        raise MailError(f"The mail relay {relay} cannot be reached "
                        f"({exc.strerror or exc}).") from None
    if refused:
        raise MailError(f"The mail relay {relay} refused {', '.join(refused)}; the message "
                        "went to the others.")
