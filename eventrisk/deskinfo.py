"""The desk's own details (``desk.json``): its name and address for letterheads, who the
borough calls in hours and out of hours, and how a promoter asks for a review.

The shipped ``resources/desk.json`` is an example; a desk points ``EVENTRISK_DESK_JSON`` at its
own copy.  The file is checked when the app starts and before anything is printed, and every
problem names the file and the key."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from eventrisk.errors import RulesError
from eventrisk.paths import desk_copy

_PHONE = re.compile(r"\d[\d ]{6,}\d")
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")


class DeskFileError(RulesError):
    """``desk.json`` is missing, unreadable or incomplete; ``problems`` name file and key."""


@dataclass(frozen=True)
class DeskContact:
    """Who the borough and the promoter call, and the desk's letterhead."""

    desk_name: str
    force: str
    address: str
    phone: str
    email: str
    hours: str
    out_of_hours: str
    review: str
    letter_shows_grade: bool = False  # the promoter's letter names the grade (LOW...CRITICAL)
    # Each borough's duty mailbox, where its issued assessments and packs are mailed.
    mailboxes: dict[str, str] = field(default_factory=dict)


FIELDS = {
    "desk_name": "the desk's name, as it heads letters",
    "force": "the police force the desk belongs to",
    "address": "the desk's postal address, for letterheads",
    "phone": "the desk's telephone number in office hours",
    "email": "the desk's email address",
    "hours": "when the desk answers that number",
    "out_of_hours": "a 24-hour number for when the desk is closed (with a digit in it)",
    "review": "how a promoter asks for a review of the outcome",
}


def desk_file() -> Path:
    """The desk.json in use: ``EVENTRISK_DESK_JSON`` if set, else the shipped one."""
    return desk_copy("EVENTRISK_DESK_JSON", "desk.json")


def load_desk_contact(path: Path | None = None) -> DeskContact:
    """The desk's details, or ``DeskFileError`` listing every problem."""
    path = path or desk_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DeskFileError([f"{path}: no such file (set EVENTRISK_DESK_JSON to the desk's "
                             "own desk.json)"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DeskFileError([f"{path}: cannot be read ({exc})"]) from None
    except json.JSONDecodeError as exc:
        raise DeskFileError([f"{path}:{exc.lineno}: not valid JSON ({exc.msg})"]) from None
    if not isinstance(data, dict):
        raise DeskFileError([f"{path}: must hold one JSON object of desk details"])
    problems = []
    for key, meaning in FIELDS.items():
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{path}: {key}: missing or empty; it is {meaning}")
        elif len(value) > 400:
            problems.append(f"{path}: {key}: longer than 400 characters")
    for key in ("phone", "out_of_hours"):
        value = data.get(key)
        if isinstance(value, str) and value.strip() and not _PHONE.search(value):
            problems.append(f"{path}: {key}: '{value}' holds no telephone number")
    shows = data.get("letter_shows_grade", False)
    if not isinstance(shows, bool):
        problems.append(f"{path}: letter_shows_grade: must be true or false, not {shows!r}")
    mailboxes = _mailboxes(path, data.get("borough_mailboxes", {}), problems)
    if problems:
        raise DeskFileError(problems)
    return DeskContact(**{key: " ".join(data[key].split()) for key in FIELDS},
                       letter_shows_grade=shows, mailboxes=mailboxes)


def _mailboxes(path: Path, given: object, problems: list[str]) -> dict[str, str]:
    """``borough_mailboxes``: each of the 33 areas (by its proper name) to one email address."""
    from eventrisk.reference import canonical_borough

    if not isinstance(given, dict):
        problems.append(f"{path}: borough_mailboxes: must map each borough to its duty "
                        "mailbox, like {\"Hackney\": \"hackney.duty@example.police.uk\"}")
        return {}
    out = {}
    for borough, address in given.items():
        name = canonical_borough(str(borough))
        if name is None:
            problems.append(f"{path}: borough_mailboxes: '{borough}' is not one of the 33 "
                            "London areas")
        elif not isinstance(address, str) or not _EMAIL.match(address.strip()):
            problems.append(f"{path}: borough_mailboxes: {borough}: {address!r} is not an "
                            "email address")
        else:
            out[name] = address.strip()
    return out
