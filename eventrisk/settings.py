"""The desk's own settings, stored in the database so that every workstation shares them.

Declared once here with their type, default and meaning; only an administrator changes them
(through the desk service, audited).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from eventrisk.errors import ValidationError


@dataclass(frozen=True)
class Setting:
    """One desk setting: its type, default, and what it means."""

    key: str
    type: type
    default: bool | int | str
    label: str
    description: str
    minimum: int = 0
    maximum: int = 0
    choices: tuple[str, ...] = ()  # a text setting that must be one of these


SETTINGS: dict[str, Setting] = {s.key: s for s in (
    Setting("four_eyes_relaxed", bool, False, "Relax four eyes",
            "Let a supervisor approve or override an event they captured or last edited. "
            "Only for a desk with a single supervisor; every such decision is marked in the "
            "audit trail."),
    Setting("idle_lock_minutes", int, 15, "Lock after idle minutes",
            "Lock the app after this many minutes without a key press or click (0: never).",
            minimum=0, maximum=240),
    Setting("witness_file", str, "", "Witness file",
            "Full path of a text file outside the database's folder (an administrator's "
            "folder or a write-once share) where each backup and each issued document adds "
            "the audit head; verify checks the trail against it. Empty: none.",
            maximum=500),
    # The force's mail relay, through which issued papers go to borough duty mailboxes and
    # letters to promoters.  A password, if the relay needs one, is kept in the operating
    # system's keyring (``eventrisk mail password``), never here.
    Setting("mail_host", str, "", "Mail relay",
            "Host name of the force's SMTP relay. Empty: the desk sends no mail.", maximum=200),
    Setting("mail_port", int, 587, "Mail relay port",
            "587 for STARTTLS, 465 for TLS, 25 for a relay inside the network.",
            minimum=1, maximum=65535),
    Setting("mail_security", str, "starttls", "Mail relay security",
            "starttls (the usual), tls (from the first byte), or none (a relay on a trusted "
            "network only).", maximum=10, choices=("starttls", "tls", "none")),
    Setting("mail_username", str, "", "Mail relay user name",
            "The account the desk signs in to the relay as. Empty: the relay needs no "
            "sign-in.", maximum=200),
    Setting("mail_sender", str, "", "Mail sent from",
            "The desk's address mail is sent from. Empty: the email in desk.json.",
            maximum=200),
    Setting("mail_test_addresses", str, "", "Test addresses",
            "On a training desk, the only addresses mail may go to, separated by commas "
            "(nothing is sent from a training desk to anyone else).", maximum=1000),
)}

# Set once, when demo data is built into a new database; never by a person.
TRAINING_KEY = "training"


def get(db: Database, key: str) -> bool | int | str:
    """The value of a setting (its default when never set)."""
    setting = SETTINGS[key]
    row = db.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
    if row is None:
        return setting.default
    return parse_value(setting, row[0])


def parse_value(setting: Setting, text: str) -> bool | int | str:
    """A stored value read as the setting's type (``ValueError`` if it cannot be)."""
    if setting.type is bool:
        return text == "true"
    if setting.type is str:
        return text
    return int(text)


def check(key: str, value: object) -> bool | int | str:
    """The value, checked against the setting's type and range; ``ValidationError`` if not."""
    if key not in SETTINGS:
        raise ValidationError([(key, f"'{key}' is not a desk setting")])
    setting = SETTINGS[key]
    if setting.type is bool:
        if not isinstance(value, bool):
            raise ValidationError([(key, f"{setting.label} must be true or false")])
        return value
    if setting.type is str:
        if not isinstance(value, str) or len(value) > setting.maximum or any(
                ord(c) < 32 for c in value):
            raise ValidationError([(key, f"{setting.label} must be text of at most "
                                         f"{setting.maximum} characters, on one line")])
        if setting.choices and value.strip() not in setting.choices:
            raise ValidationError([(key, f"{setting.label} must be one of "
                                         f"{', '.join(setting.choices)}")])
        return value.strip()
    if isinstance(value, bool) or not isinstance(value, int) \
            or not setting.minimum <= value <= setting.maximum:
        raise ValidationError([(key, f"{setting.label} must be a whole number from "
                                     f"{setting.minimum} to {setting.maximum}")])
    return value


def put(db: Database, key: str, value: bool | int | str) -> None:
    """Store a checked value (call inside the use case's transaction)."""
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    db.execute("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE "
               "SET value = excluded.value", [key, text])


def is_training(db: Database) -> bool:
    """Whether this database holds demo (training) data."""
    row = db.execute("SELECT value FROM settings WHERE key = ?", [TRAINING_KEY]).fetchone()
    return row is not None and row[0] == "true"


def mark_training(db: Database) -> None:
    """Mark the database as a training desk (demo data only)."""
    db.execute("INSERT INTO settings (key, value) VALUES (?, 'true') ON CONFLICT(key) DO "
               "UPDATE SET value = 'true'", [TRAINING_KEY])
