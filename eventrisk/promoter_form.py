"""The promoter's own submission form: its fields, declared once from the desk's, and reading a
filled copy back into the values an officer would have typed.

The form asks for what the desk's New submission asks of a promoter, with the same choices,
limits and help (``fields.SUBMISSION_FIELDS``), and nothing about genre, style or audience.
Reading is defensive: a PDF is bad input from outside the force, so it is size-limited, never
decrypted, refused when it carries a script or an automatic action, and refused when it is not
this desk's form.  Nothing in a PDF is ever run.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import Enum

from eventrisk.errors import FormError
from eventrisk.fields import SUBMISSION_FIELDS, Field

FORM_ID = "eventrisk-promoter-form-1"  # the hidden field's value that marks this desk's form
ID_FIELD = "eventrisk_form"
CHOOSE = "Choose one"
NOT_STATED = "Not stated"
YES, NO = "Yes", "No"
VENUE_PROMPT = "Type the venue, or pick one you have used"
MAX_BYTES = 5_000_000
MAX_PAGES = 10
MAX_FIELDS = 120

log = logging.getLogger(__name__)
__all__ = ["FORM_FIELDS", "FilledForm", "FormError", "desk_values", "read_form"]


@dataclass(frozen=True)
class FormField:
    """One field of the printed form: its PDF name, label, help, and how it is filled in.

    ``kind``: text, multiline, choice (``options``, first one means blank), date, time.
    ``desk`` names the submission field it feeds.
    """

    name: str
    label: str
    kind: str
    desk: str
    options: tuple[str, ...] = ()
    help: str = ""
    max_length: int = 200
    required: bool = False


_BY_NAME = {f.name: f for f in SUBMISSION_FIELDS}
# Desk fields that are the desk's own business, never the promoter's.
DESK_ONLY = {"reference", "received_at", "notes", "status", "conditions", "venue_code"}


def _choice(f: Field) -> tuple[str, ...]:
    assert f.choices is not None
    first = CHOOSE if f.required else NOT_STATED
    return (first, *(getattr(c, "label", str(c.value)) for c in f.choices))


def _from_desk(name: str, **changes: str) -> FormField:
    f = _BY_NAME[name]
    kind = "choice" if f.kind == "enum" else "text"
    options = _choice(f) if f.kind == "enum" else ()
    if f.kind == "optional_bool":
        kind, options = "choice", (NOT_STATED, YES, NO)
    return FormField(name, changes.get("label", f.label), kind, name, options,
                     changes.get("help", f.help), f.max_length, f.required)


FORM_FIELDS: tuple[FormField, ...] = (
    _from_desk("event_name"),
    FormField("venue", "Venue", "venue", "venue_code", required=True, max_length=200,
              help="The venue's name (and postcode) as licensed, or the desk's venue code"),
    _from_desk("promoter_name", label="Promoter (your name)"),
    _from_desk("promoter_company"),
    _from_desk("promoter_phone"),
    _from_desk("promoter_email"),
    _from_desk("night_contact"),
    _from_desk("event_type"),
    FormField("start_date", "Start date", "date", "start", required=True, max_length=10,
              help="DD/MM/YYYY"),
    FormField("start_time", "Start time", "time", "start", required=True, max_length=5,
              help="24-hour, HH:MM, London time"),
    FormField("end_date", "End date", "date", "end", required=True, max_length=10,
              help="DD/MM/YYYY: the next day if the event runs past midnight"),
    FormField("end_time", "End time", "time", "end", required=True, max_length=5,
              help="24-hour, HH:MM, London time"),
    _from_desk("expected_attendance", help="How many people you expect, at most"),
    _from_desk("ticketing", help="Leave 'Not stated' if undecided (scored as door only)"),
    _from_desk("min_age", help="0 for all ages; blank if undecided (scored as under-18s "
                               "admitted)"),
    _from_desk("alcohol", help="'Not stated' is scored as on sale"),
    _from_desk("door_supervisors", label="SIA door supervisors (number)",
               help="Blank if not yet known"),
    _from_desk("search_regime"),
    _from_desk("cctv"),
    _from_desk("id_scanning"),
    _from_desk("dispersal_plan"),
    _from_desk("medical_cover"),
    FormField("performers", "Performers", "multiline", "performers", max_length=2000,
              help="Stage names only, one a line: no real names, addresses or dates of "
                   "birth"),
)
FORM_NAMES = {f.name for f in FORM_FIELDS}


@dataclass(frozen=True)
class FilledForm:
    """What a filled form said: the raw field values, their SHA-256 and the file's bytes."""

    values: dict[str, str]
    sha256: str
    data: bytes = field(repr=False)


def _label_to_value(choices: type[Enum], label: str) -> str | None:
    for c in choices:
        shown = getattr(c, "label", str(c.value))
        if label.strip().casefold() in (shown.casefold(), str(c.value).casefold()):
            return str(c.value)
    return None


def _date(text: str) -> date | None:
    text = text.strip()
    for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d.%m.%Y", "%d-%m-%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _time(text: str) -> time | None:
    match = re.fullmatch(r"\s*(\d{1,2})[:.h]?(\d{2})\s*", text)
    if not match:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2))
    if hours > 23 or minutes > 59:
        return None
    return time(hours, minutes)


def desk_values(values: dict[str, str]) -> tuple[dict[str, object], list[tuple[str, str]]]:
    """The form's values as the desk's submission fields (as an officer would type them),
    and the problems found in turning them so (desk field name, message).

    ``venue_code`` is left to the caller, who matches the ``venue`` text against the desk.
    """
    raw: dict[str, object] = {}
    problems: list[tuple[str, str]] = []
    for f in FORM_FIELDS:
        text = (values.get(f.name) or "").strip()
        if len(text) > f.max_length:
            problems.append((f.desk, f"{f.label} is longer than {f.max_length} characters"))
            continue
        if f.kind == "choice":
            desk_field = _BY_NAME[f.desk]
            if text in ("", CHOOSE, NOT_STATED):
                raw[f.desk] = ""
            elif desk_field.kind == "optional_bool":
                if text not in (YES, NO):
                    problems.append((f.desk, f"{f.label}: '{text}' is not one of Yes, No or "
                                             "Not stated"))
                raw[f.desk] = "true" if text == YES else "false"
            else:
                assert desk_field.choices is not None
                value = _label_to_value(desk_field.choices, text)
                if value is None:
                    problems.append((f.desk, f"{f.label}: '{text}' is not one of the form's "
                                             "choices"))
                raw[f.desk] = value or ""
        elif f.kind == "multiline":
            raw[f.desk] = [line.strip() for line in text.splitlines() if line.strip()]
        elif f.kind in ("date", "time", "venue"):
            continue  # put together below
        else:
            raw[f.desk] = text
    for which in ("start", "end"):
        day_text = (values.get(f"{which}_date") or "").strip()
        clock_text = (values.get(f"{which}_time") or "").strip()
        day, clock = _date(day_text), _time(clock_text)
        if not day_text or not clock_text:
            raw[which] = ""  # the desk says it is required
        elif day is None:
            problems.append((which, f"{which.capitalize()} date '{day_text}' is not a date "
                                    "like 05/12/2026"))
        elif clock is None:
            problems.append((which, f"{which.capitalize()} time '{clock_text}' is not a "
                                    "24-hour time like 22:00"))
        else:
            raw[which] = datetime.combine(day, clock).isoformat(timespec="minutes")
    return raw, problems


def read_form(data: bytes, name: str = "the file") -> FilledForm:
    """The values of a filled promoter's form, or ``FormError`` saying in one sentence why the
    file cannot be taken.  Reads only: no script, action or embedded file is ever run."""
    if len(data) > MAX_BYTES:
        raise FormError(f"{name} is {len(data) / 1e6:.1f} MB; a promoter's form is well under "
                        f"{MAX_BYTES // 1_000_000} MB, so this is not one.")
    if not data.lstrip()[:5].startswith(b"%PDF-"):
        raise FormError(f"{name} is not a PDF file.")
    try:
        values = _read_fields(data, name)
    except FormError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure on hostile bytes is bad input
        log.info("unreadable form %s: %r", name, exc)
        raise FormError(f"{name} is damaged or incomplete and cannot be read as a form; ask "
                        "the promoter to send it again.") from None
    return FilledForm(values, hashlib.sha256(data).hexdigest(), data)


_ACTIONS = {"/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/ResetForm", "/Rendition",
            "/GoToR", "/GoToE", "/URI"}


def _scripted(reader) -> bool:
    """Whether the document carries a script, an automatic or triggered action, or an embedded
    file anywhere a reader would find it (the catalogue, its names, its pages and fields)."""
    root = reader.trailer["/Root"]
    names = root.get("/Names") or {}
    if "/OpenAction" in root or "/AA" in root or "/JavaScript" in names \
            or "/EmbeddedFiles" in names:
        return True
    for page in reader.pages:
        if "/AA" in page:
            return True
        for ref in page.get("/Annots") or []:
            annot = ref.get_object()
            action = annot.get("/A")
            if "/AA" in annot or annot.get("/Subtype") in ("/FileAttachment", "/RichMedia"):
                return True
            if action is not None and action.get_object().get("/S") in _ACTIONS:
                return True
    return False


def _read_fields(data: bytes, name: str) -> dict[str, str]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted:
        raise FormError(f"{name} is password-protected; ask the promoter to save it without "
                        "a password.")
    if len(reader.pages) > MAX_PAGES:
        raise FormError(f"{name} has {len(reader.pages)} pages; the promoter's form has two, "
                        "so this is not one.")
    if _scripted(reader):
        raise FormError(f"{name} carries a script, an embedded file or an action; the desk "
                        "does not open such files. Ask the promoter for the desk's own form, "
                        "filled in and saved.")
    fields = reader.get_fields() or {}
    if len(fields) > MAX_FIELDS:
        raise FormError(f"{name} has {len(fields)} form fields; this is not the desk's form.")
    marker = fields.get(ID_FIELD)
    if marker is None or str(marker.get("/V", "")) != FORM_ID:
        raise FormError(f"{name} is not the Promoters Desk's submission form (made with "
                        "'eventrisk form'); ask the promoter to fill in that form.")
    values: dict[str, str] = {}
    for key, entry in fields.items():
        if key not in FORM_NAMES:
            continue
        value = entry.get("/V", "")
        if isinstance(value, list):
            value = "\n".join(str(v) for v in value)
        values[key] = str(value) if value is not None else ""
    return values
