"""Every file and form field, declared once: name, label, kind, whether required, and help.

Validation, CSV/JSON columns, the submission form and the user guide all read from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from eventrisk.model import (
    EventType,
    IncidentCategory,
    Location,
    SearchRegime,
    Severity,
    Status,
    Ticketing,
)


@dataclass(frozen=True)
class Field:
    """One field of a record as it appears in files and forms.

    ``kind`` is one of text, int, bool, datetime, enum, time, list.  ``optional_bool`` fields
    may be left blank to mean "not stated".
    """

    name: str
    label: str
    kind: str
    required: bool = False
    choices: type[Enum] | None = None
    minimum: int | None = None
    maximum: int | None = None
    max_length: int = 200
    help: str = ""


VENUE_FIELDS: tuple[Field, ...] = (
    Field("code", "Venue code", "text", True, max_length=20,
          help="Short unique code, e.g. HKN-001"),
    Field("name", "Venue name", "text", True),
    Field("address", "Address", "text", True, max_length=300),
    Field("postcode", "Postcode", "text", True, max_length=10),
    Field("borough", "Borough", "text", True, help="One of the 33 London areas"),
    Field("capacity", "Licensed capacity", "int", True, minimum=1, maximum=100_000),
    Field("licence_number", "Licence number", "text", max_length=40),
    Field("latest_finish", "Latest licensed finish", "time", help="24-hour time, e.g. 03:00"),
    Field("has_cctv", "Venue has CCTV", "bool"),
    Field("has_search_arch", "Venue has a search arch", "bool"),
    Field("has_id_scanner", "Venue has an ID scanner", "bool"),
    Field("night_contact", "Contact at the venue on the night", "text", max_length=120,
          help="Premises licence holder or DPS: name and phone"),
)

SUBMISSION_FIELDS: tuple[Field, ...] = (
    Field("reference", "Reference", "text", max_length=20,
          help="ER-YYYY-NNNNNN; left blank, one is given"),
    Field("event_name", "Event name", "text", True),
    Field("venue_code", "Venue", "text", True, max_length=20),
    Field("promoter_name", "Promoter", "text", True),
    Field("promoter_company", "Promoter company", "text"),
    Field("promoter_phone", "Promoter phone", "text", max_length=30),
    Field("promoter_email", "Promoter email", "text", max_length=120),
    Field("night_contact", "Promoter's contact on the night", "text", max_length=120,
          help="The promoter's person on site: name and mobile"),
    Field("event_type", "Event type", "enum", True, EventType),
    Field("start", "Start", "datetime", True, help="London local time, e.g. 2026-12-05T22:00"),
    Field("end", "End", "datetime", True, help="London local time; must be after the start"),
    Field("expected_attendance", "Expected attendance", "int", True, minimum=1, maximum=100_000),
    # Entry terms: blank when the promoter did not say; the scorer then assumes the worst
    # and says so beside each rule it fires.
    Field("ticketing", "Ticketing", "enum", choices=Ticketing,
          help="Blank if not stated (scored as door only)"),
    Field("min_age", "Minimum age", "int", minimum=0, maximum=25,
          help="0 for all ages; blank if not stated (scored as under-18s admitted)"),
    Field("alcohol", "Alcohol on sale", "optional_bool",
          help="Blank if not stated (scored as on sale)"),
    Field("door_supervisors", "SIA door supervisors", "int", minimum=0, maximum=1000,
          help="Blank if not stated"),
    Field("search_regime", "Search regime", "enum", choices=SearchRegime,
          help="Blank if not stated"),
    Field("cctv", "CCTV in operation", "optional_bool"),
    Field("id_scanning", "ID scanning", "optional_bool"),
    Field("dispersal_plan", "Dispersal plan", "optional_bool"),
    Field("medical_cover", "Medical cover", "optional_bool"),
    Field("performers", "Performers (stage names)", "list", max_length=80,
          help="Stage names only; separated by ';' in CSV"),
    Field("received_at", "Received", "datetime", help="Blank means now"),
    Field("notes", "Notes", "text", max_length=4000),
    Field("status", "Status", "enum", choices=Status, help="Blank means received"),
    Field("conditions", "Agreed measures", "list", max_length=300,
          help="Conditions agreed with the promoter; separated by ';' in CSV"),
)

INCIDENT_FIELDS: tuple[Field, ...] = (
    Field("reference", "Incident reference", "text", max_length=30,
          help="Left blank, one is given"),
    Field("venue_code", "Venue", "text", True, max_length=20),
    Field("occurred_at", "When", "datetime", True),
    Field("category", "Category", "enum", True, IncidentCategory),
    Field("severity", "Severity", "enum", True, Severity, help="1 minor, 2 moderate, 3 serious"),
    Field("location", "Location", "enum", True, Location),
    Field("event_reference", "Linked event", "text", max_length=20),
    Field("crime_reference", "Crime reference", "text", max_length=40),
    Field("description", "Description", "text", max_length=2000),
    Field("venue_reported", "Reported by the venue", "bool"),
)

FIELDS_BY_KIND = {"venues": VENUE_FIELDS, "submissions": SUBMISSION_FIELDS,
                  "incidents": INCIDENT_FIELDS}


def field_names(fields: tuple[Field, ...]) -> list[str]:
    """Column names in file order."""
    return [f.name for f in fields]

# What can be imported and exported, in the order people are asked.
KINDS = ("venues", "submissions", "incidents")


# Left out of a ``minimal`` export, for anything sent outside the desk (minimisation):
# personal contact details (issue 17), and the free text that names people (issue 32):
# officers' notes, and incident descriptions and crime references naming victims and suspects.
MINIMAL_LEFT_OUT = {"promoter_phone": "contact details", "promoter_email": "contact details",
                    "night_contact": "contact details", "notes": "notes",
                    "description": "incident descriptions",
                    "crime_reference": "crime references"}


def minimal_fields(kind: str) -> tuple[str, ...]:
    """The columns of ``kind`` a minimal export leaves out, in file order."""
    return tuple(f.name for f in FIELDS_BY_KIND[kind] if f.name in MINIMAL_LEFT_OUT)


def minimal_note(kind: str) -> str:
    """What a minimal export of ``kind`` leaves out, for the line that reports it: "without
    contact details or notes (left out: promoter_phone, ...)"."""
    left = minimal_fields(kind)
    words = list(dict.fromkeys(MINIMAL_LEFT_OUT[n] for n in left))
    said = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]
    return f"without {said} (left out: {', '.join(left)})"
