"""desk.json: every problem named by file and key, checked before anything is printed."""

from __future__ import annotations

import json

import pytest

from eventrisk.deskinfo import DeskFileError, load_desk_contact
from eventrisk.paths import resource


def _shipped() -> dict:
    return json.loads(resource("desk.json").read_text("utf-8"))


def test_the_shipped_file_loads():
    contact = load_desk_contact(resource("desk.json"))
    assert contact.out_of_hours and contact.review and contact.letter_shows_grade is False


@pytest.mark.parametrize("change, problem", [
    ({"out_of_hours": None}, "out_of_hours: missing or empty"),
    ({"out_of_hours": "ask the duty inspector"}, "out_of_hours: 'ask the duty inspector' holds "
                                                 "no telephone number"),
    ({"phone": ""}, "phone: missing or empty"),
    ({"review": 3}, "review: missing or empty"),
    ({"letter_shows_grade": "yes"}, "letter_shows_grade: must be true or false"),
    ({"address": "x" * 401}, "address: longer than 400 characters"),
])
def test_each_problem_names_the_file_and_the_key(tmp_path, change, problem):
    data = _shipped() | change
    data = {k: v for k, v in data.items() if v is not None}
    path = tmp_path / "desk.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(DeskFileError) as caught:
        load_desk_contact(path)
    assert any(p.startswith(str(path)) and problem in p for p in caught.value.problems), \
        caught.value.problems


@pytest.mark.parametrize("text, problem", [("{not json", ":1: not valid JSON"),
                                           ("[1, 2]", "must hold one JSON object")])
def test_a_broken_file_is_named(tmp_path, text, problem):
    path = tmp_path / "desk.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DeskFileError) as caught:
        load_desk_contact(path)
    assert problem in caught.value.problems[0]


def test_printing_stops_at_a_broken_desk_file_with_one_line_per_problem(tmp_path, capsys,
                                                                         monkeypatch):
    from tests.conftest import act_as, run_cli

    path = tmp_path / "desk.db"
    assert run_cli(capsys, "--db", path, "demo", "--events", "60")[0] == 0
    broken = tmp_path / "mine.json"
    broken.write_text(json.dumps(_shipped() | {"out_of_hours": ""}), encoding="utf-8")
    monkeypatch.setenv("EVENTRISK_DESK_JSON", str(broken))
    act_as(monkeypatch, tmp_path, "officer", "officer-demo")
    code, out, err = run_cli(capsys, "--db", path, "report", "ER-2026-000001", "-o",
                             tmp_path / "x.pdf")
    assert code == 2 and f"{broken}: out_of_hours: missing or empty" in err
    assert "Traceback" not in err and not (tmp_path / "x.pdf").exists()
