"""Turn raw values (CSV text, JSON values or form input) into model objects, reporting every
problem at once, field by field, in plain English."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, time, timedelta
from enum import Enum
from typing import Any

from eventrisk.errors import ValidationError
from eventrisk.fields import INCIDENT_FIELDS, SUBMISSION_FIELDS, VENUE_FIELDS, Field
from eventrisk.model import Incident, Severity, Status, Submission, Venue
from eventrisk.reference import canonical_borough
from eventrisk.timeutil import TimeParseError, check_range, local_to_utc, now_utc, parse_local

_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}
_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_REFERENCE = re.compile(r"^ER-[0-9]{4}-[0-9]{6}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

Problems = list[tuple[str, str]]


def _blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _int_message(f: Field) -> str:
    if f.minimum == 1:
        return f"{f.label} must be a whole number above 0"
    if f.minimum == 0:
        return f"{f.label} must be a whole number, 0 or more"
    return f"{f.label} must be a whole number"


# Multi-line fields may hold tabs and line breaks; no field may hold other control characters
# (a NUL in a name, a form feed) or a lone surrogate (text no file can hold).
MULTILINE = frozenset({"notes", "description"})
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# Bidirectional controls (embeddings, overrides, isolates, marks) make a name print as
# something else ("evil\u202etxt.pdf" reads "evilfdp.txt"): refused in every field.
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# The list separator in CSV files: an entry holding it would come back as two.
LIST_SEPARATOR = ";"
# Clocks of workstations differ a little; a time further ahead than this is in the future.
CLOCK_SKEW = timedelta(minutes=5)
# Times that record what already happened.
PAST_ONLY = frozenset({"occurred_at", "received_at"})


def _check_text(f: Field, raw: Any) -> None:
    if f.kind == "list" and isinstance(raw, (list, tuple)):
        if not all(isinstance(item, str) for item in raw):
            raise ValueError(f"{f.label} must be a list of text")
        items = raw
    elif isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        raise ValueError(f"{f.label} must be text, not {type(raw).__name__}")
    else:
        items = [str(raw)]
    pattern = _CONTROL if f.name in MULTILINE else _CONTROL_ONE_LINE
    for item in items:
        if pattern.search(item):
            raise ValueError(f"{f.label} holds a control character; type it again as plain "
                             "text")
        if _BIDI.search(item):
            raise ValueError(f"{f.label} holds a right-to-left or left-to-right control "
                             "character, which can make text print as something else; type "
                             "it again as plain text")
        if f.kind == "list" and not isinstance(raw, str) and LIST_SEPARATOR in item:
            raise ValueError(f"each entry in {f.label} must not contain "
                             f"'{LIST_SEPARATOR}' (it separates entries in files)")


def name_problem(label: str, text: str) -> str | None:
    """What is wrong with a one-line name (an account's, say), or None: the same control and
    bidirectional characters as every field refuses."""
    if _CONTROL_ONE_LINE.search(text) or _BIDI.search(text):
        return (f"{label} holds a control or right-to-left/left-to-right character; type it "
                "again as plain text")
    return None


def parse_value(f: Field, raw: Any) -> Any:
    """Parse one raw value for ``f``; raise ``ValueError`` with a plain-English message."""
    if _blank(raw):
        if f.required:
            raise ValueError(f"{f.label} is required")
        return {"bool": False, "list": (), "text": ""}.get(f.kind)
    kind = f.kind
    if kind in ("text", "list") or isinstance(raw, str):
        _check_text(f, raw)
    if kind == "text":
        value = str(raw).strip()
        if len(value) > f.max_length:
            raise ValueError(f"{f.label} must be at most {f.max_length} characters")
        return value
    if kind == "int":
        if isinstance(raw, bool):
            raise ValueError(_int_message(f))
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        if isinstance(raw, str):
            text = raw.strip().replace(",", "")
            if not re.fullmatch(r"-?\d+", text):
                raise ValueError(_int_message(f))
            raw = int(text)
        if not isinstance(raw, int):
            raise ValueError(_int_message(f))
        if f.minimum is not None and raw < f.minimum:
            raise ValueError(_int_message(f))
        if f.maximum is not None and raw > f.maximum:
            raise ValueError(f"{f.label} must be at most {f.maximum:,}")
        return raw
    if kind in ("bool", "optional_bool"):
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(f"{f.label} must be true or false")
    if kind == "datetime":
        if isinstance(raw, datetime):
            try:
                check_range(raw)
                when = raw if raw.tzinfo else local_to_utc(raw)
            except TimeParseError as exc:
                raise ValueError(f"{f.label} {exc}") from None
        else:
            try:
                when = parse_local(str(raw))
            except TimeParseError as exc:
                raise ValueError(f"{f.label} {exc}") from None
        if f.name in PAST_ONLY and when > now_utc() + CLOCK_SKEW:
            raise ValueError(f"{f.label} is in the future; it records what has already "
                             "happened")
        return when
    if kind == "time":
        text = str(raw).strip()
        try:
            return time.fromisoformat(text).strftime("%H:%M")
        except ValueError:
            raise ValueError(f"{f.label} must be a 24-hour time like 03:00") from None
    if kind == "enum":
        return _parse_enum(f, raw)
    if kind == "list":
        items = raw if isinstance(raw, (list, tuple)) else str(raw).split(";")
        values = tuple(str(i).strip() for i in items if str(i).strip())
        for item in values:
            if len(item) > f.max_length:
                raise ValueError(
                    f"each entry in {f.label} must be at most {f.max_length} characters")
        return values
    raise AssertionError(f"unknown field kind {kind}")


def _parse_enum(f: Field, raw: Any) -> Enum:
    assert f.choices is not None
    if f.choices is Severity:
        text = str(raw).strip().lower()
        for s in Severity:
            if text in (str(s.value), s.name.lower()):
                return s
        raise ValueError(f"{f.label} must be 1 (minor), 2 (moderate) or 3 (serious)")
    if isinstance(raw, f.choices):
        return raw
    text = str(raw).strip().lower().replace(" ", "_").replace("-", "_")
    try:
        return f.choices(text)
    except ValueError:
        allowed = ", ".join(c.value for c in f.choices)
        raise ValueError(f"{f.label} must be one of: {allowed}") from None


def parse_fields(fields: tuple[Field, ...], raw: Mapping[str, Any]) -> tuple[dict, Problems]:
    """Parse every declared field of ``raw``; return the values and every problem found."""
    values: dict[str, Any] = {}
    problems: Problems = []
    for f in fields:
        try:
            values[f.name] = parse_value(f, raw.get(f.name))
        except ValueError as exc:
            problems.append((f.name, str(exc)))
    return values, problems


def validate_venue(raw: Mapping[str, Any]) -> Venue:
    """A ``Venue`` from raw values, or ``ValidationError`` listing every problem."""
    values, problems = parse_fields(VENUE_FIELDS, raw)
    if values.get("code") and not _CODE.match(values["code"]):
        problems.append(("code", "Venue code may use only letters, digits, '-' and '_'"))
    if values.get("borough"):
        borough = canonical_borough(values["borough"])
        if borough is None:
            problems.append(("borough", f"'{values['borough']}' is not one of the 33 London areas"))
        else:
            values["borough"] = borough
    if values.get("postcode"):
        pc = " ".join(values["postcode"].upper().split())
        if not _POSTCODE.match(pc):
            problems.append(("postcode", f"'{values['postcode']}' is not a UK postcode"))
        values["postcode"] = pc
    if problems:
        raise ValidationError(problems)
    values["latest_finish"] = values["latest_finish"] or ""
    return Venue(**values)


def check_submission(sub: Submission) -> None:
    """The limits again, on a submission built in code rather than parsed from a form or a
    file (the desk service holds every caller to them)."""
    validate_submission({f.name: getattr(sub, f.name) for f in SUBMISSION_FIELDS})


def validate_submission(raw: Mapping[str, Any]) -> Submission:
    """A ``Submission`` from raw values, or ``ValidationError`` listing every problem."""
    values, problems = parse_fields(SUBMISSION_FIELDS, raw)
    start, end = values.get("start"), values.get("end")
    if start and end and end <= start:
        problems.append(("end", "End must be after start"))
    elif start and end and (end - start).total_seconds() > 72 * 3600:
        problems.append(("end", "End must be within 72 hours of the start"))
    ref = values.get("reference")
    if ref and not _REFERENCE.match(ref):
        problems.append(("reference", "Reference must look like ER-2026-000042"))
    email = values.get("promoter_email")
    if email and not _EMAIL.match(email):
        problems.append(("promoter_email", f"'{email}' is not an email address"))
    if str(values.get("promoter_name") or "").casefold().startswith("anonymised promoter"):
        problems.append(("promoter_name", "That name is kept for promoters anonymised under the "
                                          "retention schedule; give the promoter's own name"))
    if problems:
        raise ValidationError(problems)
    values["status"] = values["status"] or Status.RECEIVED
    return Submission(**values)


def validate_incident(raw: Mapping[str, Any]) -> Incident:
    """An ``Incident`` from raw values, or ``ValidationError`` listing every problem."""
    values, problems = parse_fields(INCIDENT_FIELDS, raw)
    ref = values.get("event_reference")
    if ref and not _REFERENCE.match(ref):
        problems.append(("event_reference", "Linked event must look like ER-2026-000042"))
    if problems:
        raise ValidationError(problems)
    return Incident(**values)

