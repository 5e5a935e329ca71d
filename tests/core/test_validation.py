"""Validation reports every problem at once, field by field, in plain English."""

from dataclasses import replace

import pytest

from eventrisk.errors import ValidationError
from eventrisk.model import SearchRegime, Ticketing
from eventrisk.validation import validate_incident, validate_submission, validate_venue
from tests.conftest import event_fields

VENUE = {"code": "HKN-0001", "name": "The Arches", "address": "1 Mare Street",
         "postcode": "e8 1aa", "borough": "hackney", "capacity": "400"}


def problems(exc: ValidationError) -> dict[str, str]:
    return exc.value.as_dict()


@pytest.mark.parametrize("field, value, message", [
    ("expected_attendance", "0", "Expected attendance must be a whole number above 0"),
    ("expected_attendance", "lots", "Expected attendance must be a whole number above 0"),
    ("expected_attendance", "2.5", "Expected attendance must be a whole number above 0"),
    ("event_name", "", "Event name is required"),
    ("event_type", "rave", "Event type must be one of"),
    ("ticketing", "sometimes", "Ticketing must be one of"),
    ("start", "next friday", "Start must be a date and time"),
    ("start", "2026-03-29T01:30", "does not exist in London"),
    ("min_age", "-1", "Minimum age must be a whole number, 0 or more"),
    ("alcohol", "maybe", "Alcohol on sale must be true or false"),
    ("door_supervisors", "-2", "SIA door supervisors must be a whole number, 0 or more"),
    ("promoter_email", "not-an-email", "is not an email address"),
    ("reference", "ABC", "Reference must look like ER-2026-000042"),
], ids=lambda v: str(v)[:24])
def test_one_bad_submission_field(field, value, message):
    with pytest.raises(ValidationError) as exc:
        validate_submission(event_fields(**{field: value}))
    assert message in problems(exc)[field]


def test_end_must_be_after_start():
    with pytest.raises(ValidationError) as exc:
        validate_submission(event_fields(start="2026-12-05T22:00", end="2026-12-05T21:00"))
    assert problems(exc) == {"end": "End must be after start"}


def test_every_problem_is_reported_at_once():
    with pytest.raises(ValidationError) as exc:
        validate_submission(event_fields(event_name="", expected_attendance="0", ticketing="x"))
    assert set(problems(exc)) == {"event_name", "expected_attendance", "ticketing"}


def test_unstated_security_answers_stay_unknown():
    sub = validate_submission(event_fields(door_supervisors="", search_regime="", cctv=""))
    assert sub.door_supervisors is None and sub.search_regime is None and sub.cctv is None


def test_values_are_parsed_into_the_model():
    sub = validate_submission(event_fields(ticketing="door_only", search_regime="wand",
                                           performers="Nova; Kestrel & Finch"))
    assert sub.ticketing is Ticketing.DOOR_ONLY
    assert sub.search_regime is SearchRegime.WAND
    assert sub.performers == ("Nova", "Kestrel & Finch")


def test_venue_borough_and_postcode_are_normalised():
    venue = validate_venue(VENUE)
    assert venue.borough == "Hackney"
    assert venue.postcode == "E8 1AA"


@pytest.mark.parametrize("field, value, message", [
    ("borough", "Gotham", "is not one of the 33 London areas"),
    ("postcode", "12345", "is not a UK postcode"),
    ("capacity", "0", "Licensed capacity must be a whole number above 0"),
    ("code", "bad code!", "may use only letters"),
    ("latest_finish", "3am", "must be a 24-hour time"),
])
def test_bad_venue_fields(field, value, message):
    with pytest.raises(ValidationError) as exc:
        validate_venue(VENUE | {field: value})
    assert message in problems(exc)[field]


def test_incident_severity_accepts_numbers_and_words():
    base = {"venue_code": "HKN-0001", "occurred_at": "2026-05-01T23:00", "category": "knife",
            "location": "door"}
    assert validate_incident(base | {"severity": "3"}).severity == 3
    assert validate_incident(base | {"severity": "minor"}).severity == 1
    with pytest.raises(ValidationError) as exc:
        validate_incident(base | {"severity": "9", "category": "shouting"})
    assert set(problems(exc)) == {"severity", "category"}


# ---- values that once poisoned the desk ----------------------------------------------------------

@pytest.mark.parametrize("start", ["0999-06-01T22:00", "0001-01-01T00:30", "1999-12-31T22:00",
                                   "2101-01-01T22:00"])
def test_dates_outside_2000_to_2100_are_refused(start):
    from tests.conftest import event_fields

    end = start[:11] + "23:30"
    with pytest.raises(ValidationError) as exc:
        validate_submission(event_fields(start=start, end=end))
    assert exc.value.as_dict()["start"] == "Start must be between 01/01/2000 and 31/12/2100"


def test_stored_times_always_have_four_digit_years():
    from datetime import UTC, datetime

    from eventrisk.timeutil import from_db, to_db

    early = datetime(999, 6, 1, 22, 0, tzinfo=UTC)
    assert to_db(early) == "0999-06-01T22:00:00Z" and from_db(to_db(early)) == early


def test_references_count_as_numbers_and_a_full_year_is_a_clear_error(db, officer, venue,
                                                                      make_submission):
    from eventrisk import submissions
    from eventrisk.timeutil import now_utc

    year = now_utc().year
    make_submission(reference=f"ER-{year}-000001")
    make_submission(reference=f"ER-{year}-000002")
    assert submissions.next_reference(db, year) == f"ER-{year}-000003"
    # Numbers far ahead never come from outside (test_references); a desk can still fill a
    # year, written here directly.
    sub = validate_submission(event_fields())
    for number in (99, 100):
        submissions.insert(db, replace(sub, reference=f"ER-{year}-{number:06d}"), venue.id,
                           1, "officer")
    assert submissions.next_reference(db, year) == f"ER-{year}-000101"
    submissions.insert(db, replace(sub, reference=f"ER-{year}-999999"), venue.id, 1, "officer")
    with pytest.raises(ValidationError, match=f"Every reference of {year} is taken"):
        submissions.next_reference(db, year)
    with pytest.raises(ValidationError, match="Every reference"):
        make_submission()  # never ER-YYYY-1000000, never a UNIQUE failure
    assert submissions.next_reference(db, year + 1) == f"ER-{year + 1}-000001"


def test_a_reference_with_other_digits_is_refused():
    from tests.conftest import event_fields

    with pytest.raises(ValidationError, match="must look like ER-2026-000042"):
        validate_submission(event_fields(reference="ER-2026-٠٠٠٠٤٢"))


def test_entry_terms_may_be_left_not_stated():
    """Blank ticketing, minimum age and alcohol mean the promoter did not say (None), never a
    default; the scorer assumes the worst for them and says so."""
    sub = validate_submission(event_fields(ticketing="", min_age="", alcohol=""))
    assert (sub.ticketing, sub.min_age, sub.alcohol) == (None, None, None)
