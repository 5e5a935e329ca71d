"""The remaining bad inputs of issue 31 (rows 10-12): each is refused with one clear message
naming the field, in a form, a file and the desk service alike."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from eventrisk import users
from eventrisk.errors import ValidationError
from eventrisk.model import Role
from eventrisk.queue import QueueFilter
from eventrisk.timeutil import now_utc
from eventrisk.validation import validate_incident, validate_submission
from tests.conftest import event_fields

RLO = "\u202e"  # right-to-left override: "Night\u202eevil" prints as "Nightlive"


def _problems(excinfo) -> dict[str, str]:
    return excinfo.value.as_dict()


def test_a_performer_may_not_hold_the_list_separator():
    with pytest.raises(ValidationError) as caught:
        validate_submission(event_fields(performers=["DJ A;B", "MC C"]))
    assert _problems(caught) == {"performers": "each entry in Performers (stage names) must "
                                               "not contain ';' (it separates entries in files)"}
    # In a CSV cell the separator is the separator: two performers, as ever.
    assert validate_submission(event_fields(performers="DJ A;B")).performers == ("DJ A", "B")


def test_a_json_performer_with_the_separator_is_refused_naming_the_line(capsys, tmp_path,
                                                                       monkeypatch):
    from tests.conftest import act_as, run_cli

    desk = tmp_path / "desk.db"
    assert run_cli(capsys, "--db", desk, "demo", "--venues", "2", "--events", "3",
                   "--incidents", "1", "--seed", "1")[0] == 0
    act_as(monkeypatch, tmp_path, "officer", "officer-demo")
    code, out, _ = run_cli(capsys, "--db", desk, "export", "submissions", tmp_path / "s.json")
    assert code == 0
    rows = json.loads((tmp_path / "s.json").read_text())
    row = {k: v for k, v in rows[0].items() if k not in ("reference", "status")}
    row["performers"] = ["A;B"]
    (tmp_path / "new.json").write_text(json.dumps([row]))
    code, _, err = run_cli(capsys, "--db", desk, "import", "submissions", tmp_path / "new.json")
    assert code == 2
    assert "performers: each entry in Performers (stage names) must not contain ';'" in err
    assert err.startswith(f"{tmp_path / 'new.json'}:1: ")


@pytest.mark.parametrize("field", ["event_name", "promoter_name", "promoter_company",
                                   "night_contact", "notes"])
def test_bidirectional_controls_are_refused_in_names_and_text(field):
    with pytest.raises(ValidationError) as caught:
        validate_submission(event_fields(**{field: f"Night{RLO}evil"}))
    assert "right-to-left or left-to-right control character" in _problems(caught)[field]


def test_bidirectional_controls_are_refused_in_performers_venues_and_accounts(db, admin):
    with pytest.raises(ValidationError) as caught:
        validate_submission(event_fields(performers=[f"DJ{RLO}x"]))
    assert "right-to-left" in _problems(caught)["performers"]
    from eventrisk.validation import validate_venue

    with pytest.raises(ValidationError) as caught:
        validate_venue({"code": "V-1", "name": f"The {RLO}Room", "borough": "Hackney",
                        "capacity": "100"})
    assert "right-to-left" in _problems(caught)["name"]
    with pytest.raises(ValidationError) as caught:
        users.create_user(db, admin, "newbie", f"Sam{RLO}Evil", Role.OFFICER, "long-password-1")
    assert "right-to-left" in _problems(caught)["display_name"]


def test_plain_right_to_left_text_is_welcome():
    sub = validate_submission(event_fields(event_name="ليلة الموسيقى", notes="שלום"))
    assert sub.event_name == "ليلة الموسيقى"


def _local(days: int) -> str:
    when = (now_utc() + timedelta(days=days)).astimezone().replace(tzinfo=None, second=0,
                                                                     microsecond=0)
    return when.isoformat(timespec="minutes")


def test_received_at_may_not_lie_in_the_future():
    with pytest.raises(ValidationError) as caught:
        validate_submission(event_fields(received_at="2030-01-01T10:00"))
    assert _problems(caught) == {"received_at": "Received is in the future; it records what "
                                                "has already happened"}
    assert validate_submission(event_fields(received_at=_local(-1))).received_at is not None


def test_an_incident_may_not_lie_in_the_future():
    raw = {"venue_code": "HKN-0001", "occurred_at": "2030-06-01T23:00", "category": "disorder",
           "severity": "1", "location": "inside"}
    with pytest.raises(ValidationError) as caught:
        validate_incident(raw)
    assert _problems(caught) == {"occurred_at": "When is in the future; it records what has "
                                                "already happened"}
    assert validate_incident({**raw, "occurred_at": _local(-2)}).occurred_at is not None
    # An event is planned ahead: its start may be in the future, of course.
    assert validate_submission(event_fields(start=_local(30), end=_local(31))).start


def test_an_unknown_queue_sort_is_a_validation_error(db, admin):
    from eventrisk.desk import Desk

    desk = Desk(db, "desk.db")
    desk.sign_in("admin", "admin-password")
    with pytest.raises(ValidationError) as caught:
        desk.queue_page(QueueFilter(), sort="x")
    assert _problems(caught)["sort"].startswith("'x' is not a way to sort the queue; use one "
                                                "of: action, reference, start")
    assert desk.queue_page(QueueFilter(), sort="grade") == []
