"""The domain model: enumerations and frozen dataclasses for venues, promoters, submissions,
incidents and users.

Nothing here records music genre or style, ethnicity, nationality, religion or any audience
demographic; performers are stage names only.  ``tests/core/test_fairness.py`` holds this.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum, StrEnum


class Choice(StrEnum):
    """An enumeration stored and written in snake_case, with a label for people."""

    label: str

    def __new__(cls, value: str, label: str = ""):
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.label = label or value.replace("_", " ").capitalize()
        return obj

    def __str__(self) -> str:
        return self.value


class Role(Choice):
    OFFICER = ("officer", "Desk officer")
    SUPERVISOR = ("supervisor", "Supervisor")
    ADMIN = ("admin", "Administrator")


class Status(Choice):
    RECEIVED = ("received", "Received")
    ASSESSED = ("assessed", "Assessed")
    IN_REVIEW = ("in_review", "In review")
    RETURNED = ("returned", "Returned")
    APPROVED = ("approved", "Approved")
    ISSUED = ("issued", "Issued")
    DEBRIEFED = ("debriefed", "Debriefed")
    CANCELLED = ("cancelled", "Cancelled")


class EventType(Choice):
    CLUB_NIGHT = ("club_night", "Club night")
    CONCERT = ("concert", "Concert / live performance")
    PRIVATE_HIRE = ("private_hire", "Private hire")
    DAY_EVENT = ("day_event", "Daytime event")
    FESTIVAL = ("festival", "Festival / outdoor event")
    OTHER = ("other", "Other")


class Ticketing(Choice):
    ADVANCE_ONLY = ("advance_only", "Advance tickets only")
    ADVANCE_AND_DOOR = ("advance_and_door", "Advance and on the door")
    DOOR_ONLY = ("door_only", "On the door only")
    FREE_ENTRY = ("free_entry", "Free entry")


class SearchRegime(Choice):
    """Ordered from weakest to strongest."""

    NONE = ("none", "No search")
    BAG_SEARCH = ("bag_search", "Bag search")
    PAT_DOWN = ("pat_down", "Bag search and pat-down")
    WAND = ("wand", "Hand-held metal detector (wand)")
    SEARCH_ARCH = ("search_arch", "Walk-through search arch")


SEARCH_STRENGTH = {r: i for i, r in enumerate(SearchRegime)}


class IncidentCategory(Choice):
    VIOLENCE_WITH_INJURY = ("violence_with_injury", "Violence with injury")
    VIOLENCE_WITHOUT_INJURY = ("violence_without_injury", "Violence without injury")
    KNIFE = ("knife", "Knife / bladed article")
    FIREARM = ("firearm", "Firearm")
    SEXUAL_OFFENCE = ("sexual_offence", "Sexual offence")
    DRUGS_SUPPLY = ("drugs_supply", "Drugs supply")
    DISORDER = ("disorder", "Disorder")
    OTHER = ("other", "Other")


VIOLENT_CATEGORIES = frozenset(
    {
        IncidentCategory.VIOLENCE_WITH_INJURY,
        IncidentCategory.VIOLENCE_WITHOUT_INJURY,
        IncidentCategory.KNIFE,
        IncidentCategory.FIREARM,
        IncidentCategory.SEXUAL_OFFENCE,
        IncidentCategory.DISORDER,
    }
)


class Location(Choice):
    INSIDE = ("inside", "Inside the venue")
    DOOR = ("door", "At the door")
    OUTSIDE_NEARBY = ("outside_nearby", "Outside, nearby")


class Severity(int, Enum):
    """How serious an incident was; weights history features."""

    MINOR = 1
    MODERATE = 2
    SERIOUS = 3

    @property
    def label(self) -> str:
        return self.name.capitalize()


class Grade(StrEnum):
    """Risk grades, lowest first; compare with ``rank``."""

    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"

    @property
    def rank(self) -> int:
        return _GRADE_RANK[self]

    @property
    def label(self) -> str:
        return self.value

    def __str__(self) -> str:
        return self.value


_GRADE_RANK = {g: i for i, g in enumerate(Grade)}

# Grade colours: always shown beside the word, never alone.
GRADE_COLOURS = {
    Grade.LOW: "#2e7d32",
    Grade.MEDIUM: "#f9a825",
    Grade.HIGH: "#ef6c00",
    Grade.CRITICAL: "#c62828",
}


@dataclass(frozen=True)
class Venue:
    """A licensed premises."""

    code: str
    name: str
    address: str
    postcode: str
    borough: str
    capacity: int
    licence_number: str = ""
    latest_finish: str = ""  # HH:MM local, "" if not known
    has_cctv: bool = False
    has_search_arch: bool = False
    has_id_scanner: bool = False
    night_contact: str = ""  # the licence holder or DPS on the night: name and phone
    id: int | None = None
    version: int = 1


@dataclass(frozen=True)
class Promoter:
    """A promoter: minimal contact details, kept only as long as needed."""

    name: str
    company: str = ""
    phone: str = ""
    email: str = ""
    id: int | None = None
    version: int = 1


@dataclass(frozen=True)
class Submission:
    """One event submission.  Unknown security answers are ``None`` and lower confidence."""

    event_name: str
    venue_code: str
    promoter_name: str
    event_type: EventType
    start: datetime
    end: datetime
    expected_attendance: int
    ticketing: Ticketing | None  # None: the promoter did not say (the worst is assumed)
    min_age: int | None
    alcohol: bool | None
    door_supervisors: int | None = None
    search_regime: SearchRegime | None = None
    cctv: bool | None = None
    id_scanning: bool | None = None
    dispersal_plan: bool | None = None
    medical_cover: bool | None = None
    performers: tuple[str, ...] = ()
    received_at: datetime | None = None
    notes: str = ""
    reference: str = ""
    status: Status = Status.RECEIVED
    conditions: tuple[str, ...] = ()
    promoter_company: str = ""
    promoter_phone: str = ""
    promoter_email: str = ""
    night_contact: str = ""  # the promoter's person on site on the night: name and mobile
    id: int | None = None
    venue_id: int | None = None
    promoter_id: int | None = None
    version: int = 1
    captured_by: str = ""  # user name of the officer who captured it (four eyes)
    edited_by: str = ""  # user name of whoever last changed what it says (four eyes)
    # Who changed a scoring input since it was last approved (or since capture): none of
    # them may approve or override it (four eyes over all the work since the last review).
    scoring_editors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Incident:
    """A recorded incident at or near a venue, optionally linked to an event."""

    venue_code: str
    occurred_at: datetime
    category: IncidentCategory
    severity: Severity
    location: Location
    reference: str = ""
    event_reference: str = ""
    crime_reference: str = ""
    description: str = ""
    venue_reported: bool = False
    id: int | None = None
    venue_id: int | None = None
    version: int = 1


@dataclass(frozen=True)
class User:
    """Someone who signs in.  ``role`` decides what the core lets them do."""

    username: str
    display_name: str
    role: Role
    id: int | None = None
    active: bool = True
    must_change_password: bool = False
    locked: bool = False

    @property
    def is_supervisor(self) -> bool:
        return self.role in (Role.SUPERVISOR, Role.ADMIN)


@dataclass(frozen=True)
class Debrief:
    """What happened at an event, recorded after it."""

    submission_id: int
    went_ahead: bool
    actual_attendance: int | None
    incidents_noted: int
    notes: str = ""
    recorded_at: datetime | None = None
    recorded_by: str = ""
