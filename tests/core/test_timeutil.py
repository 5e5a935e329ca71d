"""London time: storage, clock changes, British display."""

from datetime import datetime

import pytest

from eventrisk.scoring.features import hours_after_midnight
from eventrisk.timeutil import (
    TimeParseError,
    british_date,
    british_time,
    from_db,
    night_of,
    parse_local,
    to_db,
    to_file,
)


@pytest.mark.parametrize("start, end, hours", [
    ("2026-10-24T22:00", "2026-10-25T04:00", 7),   # clocks go back: an extra hour
    ("2026-03-28T22:00", "2026-03-29T04:00", 5),   # clocks go forward: an hour lost
    ("2026-12-05T22:00", "2026-12-06T04:00", 6),
    ("2026-07-04T20:00", "2026-07-04T23:30", 3.5),
], ids=["autumn", "spring", "winter", "summer"])
def test_duration_is_real_hours_across_clock_changes(start, end, hours):
    assert (parse_local(end) - parse_local(start)).total_seconds() / 3600 == hours


def test_hours_after_midnight_counts_real_hours_on_the_autumn_night():
    start, end = parse_local("2026-10-24T22:00"), parse_local("2026-10-25T04:00")
    assert hours_after_midnight(start, end) == 5  # 00:00 BST to 04:00 GMT


def test_hours_after_midnight_for_an_event_starting_after_midnight():
    start, end = parse_local("2026-12-06T01:00"), parse_local("2026-12-06T05:00")
    assert night_of(start).isoformat() == "2026-12-05"
    assert hours_after_midnight(start, end) == 4


def test_a_time_skipped_in_spring_is_rejected():
    with pytest.raises(TimeParseError, match="does not exist"):
        parse_local("2026-03-29T01:30")


def test_stored_form_round_trips_and_sorts():
    dt = parse_local("2026-12-05T22:00")
    assert to_db(dt) == "2026-12-05T22:00:00Z"
    assert from_db(to_db(dt)) == dt
    summer = parse_local("2026-07-05T22:00")
    assert to_db(summer) == "2026-07-05T21:00:00Z"


def test_files_use_local_time_and_an_offset_only_when_the_hour_repeats():
    assert to_file(parse_local("2026-12-05T22:00")) == "2026-12-05T22:00"
    second = parse_local("2026-10-25T01:30+00:00")  # the second 01:30, in GMT
    assert to_file(second) == "2026-10-25T01:30+00:00"
    assert parse_local(to_file(second)) == second


def test_british_display():
    dt = parse_local("2026-12-05T22:00")
    assert british_date(dt) == "05/12/2026"
    assert british_time(dt) == "22:00"


def test_naive_datetime_is_taken_as_london():
    assert parse_local("2026-07-01T12:00") == datetime.fromisoformat("2026-07-01T11:00+00:00")
