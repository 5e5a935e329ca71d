"""Files that once crashed the import (exit 3) or slipped through: each is now either read
exactly or refused with ``file:line: field: message`` and exit 2, writing nothing."""

from __future__ import annotations

import csv
import io
import json

import pytest

from eventrisk.desk import Desk
from tests.conftest import act_as, run_cli

HEADER = ("event_name,venue_code,promoter_name,event_type,start,end,expected_attendance,"
          "ticketing,min_age,alcohol,notes")
ROW = "{name},{code},Lantern Events,club_night,2099-03-02T22:00,2099-03-03T02:00,200,"\
      "advance_only,18,true,{notes}"


@pytest.fixture
def desk_file(desk_path, tmp_path, monkeypatch):
    path = desk_path
    desk = Desk.open(path, create=True)
    desk.build_demo(venues=3, events=10, incidents=5, seed=1)
    code = desk.db.execute("SELECT code FROM venues ORDER BY id LIMIT 1").fetchone()[0]
    desk.close()
    act_as(monkeypatch, tmp_path, "officer", "officer-demo")
    return path, code


def count(path):
    desk = Desk.open(path)
    n = desk.db.execute("SELECT count(*) FROM submissions").fetchone()[0]
    desk.close()
    return n


def write(tmp_path, name, data):
    target = tmp_path / name
    if isinstance(data, str):
        data = data.encode("utf-8")
    target.write_bytes(data)
    return target


def refused(capsys, desk_file, path, *expected):
    db, _ = desk_file
    before = count(db)
    code, _, err = run_cli(capsys, "--db", db, "import", "submissions", path)
    assert code == 2 and "Traceback" not in err, err
    for text in expected:
        assert text in err, err
    assert count(db) == before
    return err


def test_a_cell_over_131072_characters_is_a_field_error(capsys, desk_file, tmp_path):
    _, code = desk_file
    path = write(tmp_path, "long.csv", HEADER + "\n" + ROW.format(name="x" * 200_000, code=code,
                                                                  notes="") + "\n")
    refused(capsys, desk_file, path, f"{path}:2: event_name: Event name must be at most")


def test_the_kind_key_is_looked_up_at_the_top_level_only(capsys, desk_file, tmp_path):
    _, code = desk_file
    record = {"event_name": "Nested Night", "venue_code": code, "promoter_name": "Lantern",
              "event_type": "club_night", "start": "2099-03-02T22:00",
              "end": "2099-03-03T02:00", "expected_attendance": 200,
              "ticketing": "advance_only", "min_age": 18, "alcohol": True}
    text = json.dumps({"meta": {"submissions": []}, "submissions": [record]}, indent=1)
    path = write(tmp_path, "nested.json", text)
    db, _ = desk_file
    before = count(db)
    code_, out, err = run_cli(capsys, "--db", db, "import", "submissions", path)
    assert code_ == 0, err
    assert count(db) == before + 1
    bad = write(tmp_path, "nested-bad.json", text.replace('"expected_attendance": 200',
                                                          '"expected_attendance": -1'))
    line = next(n for n, t in enumerate(bad.read_text().splitlines(), 1)
                if '"event_name": "Nested Night"' in t) - 1
    refused(capsys, desk_file, bad, f"{bad}:{line}: expected_attendance:")


def test_deeply_nested_json_is_refused_not_a_crash(capsys, desk_file, tmp_path):
    path = write(tmp_path, "deep.json", "[" * 100_000)
    refused(capsys, desk_file, path, f"{path}:1: the JSON is nested more than")


@pytest.mark.parametrize("text, expected", [
    (HEADER + ",notes\n", ":1: notes: the column appears twice"),
    (HEADER + "\n" + ROW + ",extra\n", ":2: the row has 12 cells but the header names 11"),
    (HEADER + "\n" + ROW.replace("{name}", "A\x00B") + "\n", ":2: event_name: Event name holds "
     "a control character"),
], ids=["duplicate header", "extra cell", "NUL in a name"])
def test_silently_accepted_shapes_are_refused(capsys, desk_file, tmp_path, text, expected):
    _, code = desk_file
    path = write(tmp_path, "bad.csv", text.replace("{code}", code).replace("{notes}", "")
                 .replace("{name}", "Night"))
    refused(capsys, desk_file, path, f"{path}{expected}")


def test_objects_where_text_belongs_are_refused(capsys, desk_file, tmp_path):
    _, code = desk_file
    record = {"event_name": {"not": "text"}, "venue_code": code, "promoter_name": ["a"],
              "event_type": "club_night", "start": "2099-03-02T22:00",
              "end": "2099-03-03T02:00", "expected_attendance": 200,
              "ticketing": "advance_only", "min_age": 18, "alcohol": True}
    path = write(tmp_path, "objects.json", json.dumps([record]))
    refused(capsys, desk_file, path, "event_name: Event name must be text, not dict",
            "promoter_name: Promoter must be text, not list")


def test_encodings(capsys, desk_file, tmp_path):
    db, code = desk_file
    text = HEADER + "\n" + ROW.format(name="Zoë's Łódź Night", code=code, notes="") + "\n"
    with_bom = write(tmp_path, "utf16.csv", text.encode("utf-16"))
    assert run_cli(capsys, "--db", db, "import", "submissions", with_bom)[0] == 0
    no_bom = write(tmp_path, "utf16le.csv", text.encode("utf-16-le"))
    refused(capsys, desk_file, no_bom, f"{no_bom}:1: the file is not UTF-8 text (it looks "
                                       "like UTF-16 without a byte-order mark)")
    latin = write(tmp_path, "latin.csv", text.encode("latin-1", "replace"))
    refused(capsys, desk_file, latin, f"{latin}:2: the file is not UTF-8 text")


def test_file_level_errors_name_the_file_and_a_line(capsys, desk_file, tmp_path):
    empty = write(tmp_path, "empty.csv", "")
    refused(capsys, desk_file, empty, f"{empty}:1: the file is empty")
    wrong = write(tmp_path, "notes.txt", "x")
    refused(capsys, desk_file, wrong, f"{wrong}:1: the file must end in .csv or .json")


def test_line_numbers_count_blank_lines_and_line_separators_stay_in_their_cell(
        capsys, desk_file, tmp_path):
    _, code = desk_file
    good = ROW.format(name="Night\u2028Two", code=code, notes="one\u2029two")
    bad = ROW.format(name="Bad", code=code, notes="").replace(",200,", ",-5,")
    path = write(tmp_path, "blank.csv", HEADER + "\n\n" + good + "\n\n" + bad + "\n")
    err = refused(capsys, desk_file, path, f"{path}:5: expected_attendance:")
    assert err.count("\n") == 1, err  # one problem, not a dozen bogus ones
    for odd in ("\x85", "\x0c"):  # NEL and form feed: one clear error, on their own line
        row = ROW.format(name=f"Night{odd}Two", code=code, notes="")
        path = write(tmp_path, "odd.csv", HEADER + "\n\n" + row + "\n")
        err = refused(capsys, desk_file, path, f"{path}:3: event_name: Event name holds a "
                                               "control character")
        assert err.count("\n") == 1, err


def test_export_neutralises_formulas_and_round_trips_exactly(capsys, desk_file, tmp_path):
    db, code = desk_file
    names = ["=HYPERLINK(\"http://x\")", "@SUM(A1)", "+cmd|' /C calc'!A0", "-2+3",
             "'=already quoted", "Night\u2028Two"]
    rows = []
    for n in names:  # the name cell quoted as the csv module quotes it
        cell = io.StringIO()
        csv.writer(cell).writerow([n])
        rows.append(ROW.format(name=cell.getvalue().rstrip("\r\n"), code=code,
                               notes="note\u2028line"))
    source = write(tmp_path, "in.csv", HEADER + "\n" + "\n".join(rows) + "\n")
    assert run_cli(capsys, "--db", db, "import", "submissions", source)[0] == 0, capsys
    out = tmp_path / "out.csv"
    assert run_cli(capsys, "--db", db, "export", "submissions", out)[0] == 0
    exported = out.read_text("utf-8")
    for cell in ("'=HYPERLINK", "'@SUM", "'+cmd", "'-2+3", "'=already"):
        assert cell in exported, cell
    # A typed cell '=... is read as a spreadsheet shows it: without the apostrophe.
    names = [n[1:] if n.startswith("'=") else n for n in names]
    desk = Desk.open(db)
    stored = {r[0] for r in desk.db.execute("SELECT event_name FROM submissions")}
    desk.close()
    assert set(names) <= stored  # what was typed is what was stored
    from eventrisk.importexport import read_records

    again = {r["event_name"] for _, r in read_records(out, "submissions")}
    assert set(names) <= again  # and what export wrote reads back the same


def test_import_warns_of_possible_duplicates_or_refuses_them(capsys, desk_file, tmp_path):
    db, code = desk_file
    row = ROW.format(name="Same Night", code=code, notes="")
    path = write(tmp_path, "dup.csv", HEADER + "\n" + row + "\n" + row.replace(
        "Same Night", "same night!") + "\n")
    code_, out, err = run_cli(capsys, "--db", db, "import", "submissions", path)
    assert code_ == 0 and out.startswith("Imported 2 submissions")
    assert f"{path}:3: event_name: warning: looks like line 2" in err
    before = count(db)
    again = write(tmp_path, "again.csv", HEADER + "\n" + row + "\n")
    code_, _, err = run_cli(capsys, "--db", db, "import", "submissions", again, "--no-duplicates")
    assert code_ == 2 and f"{again}:2: event_name: looks like ER-" in err
    assert count(db) == before
