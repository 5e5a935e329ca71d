"""Import and export: all-or-nothing, file:line: field: message, and lossless round trips."""

import json
from datetime import UTC, datetime

import pytest

from eventrisk import importexport
from eventrisk.db import open_database
from eventrisk.errors import ImportFileError

VENUES_CSV = """code,name,address,postcode,borough,capacity,licence_number,latest_finish,has_cctv,has_search_arch,has_id_scanner
HKN-1,The Arches,1 Mare Street,E8 1AA,Hackney,400,LN/1,03:00,true,false,true
SWK-1,"Tom & Jerry's <Basement>",2 Old Kent Road,SE1 5AA,Southwark,150,,,false,false,false
"""

SUBS_CSV = """reference,event_name,venue_code,promoter_name,event_type,start,end,expected_attendance,ticketing,min_age,alcohol,door_supervisors,search_regime,cctv,performers
,Winter Social,HKN-1,Lantern Events,club_night,2026-12-05T22:00,2026-12-06T03:00,300,advance_only,18,true,4,search_arch,true,Nova; Kestrel
,Zoë's Łódź Night,SWK-1,Blue Door Live,concert,2026-10-24T22:00,2026-10-25T04:00,120,door_only,0,false,,,,
"""


@pytest.fixture
def actor(admin):
    return admin


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_venues_and_submissions(db, tmp_path, actor):
    result = importexport.import_file(db, actor, "venues", write(tmp_path, "v.csv", VENUES_CSV))
    assert (result.created, result.updated) == (2, 0)
    result = importexport.import_file(db, actor, "submissions", write(tmp_path, "s.csv", SUBS_CSV))
    assert result.created == 2
    row = db.execute("SELECT event_name, door_supervisors, search_regime FROM submissions "
                     "WHERE event_name LIKE 'Zo%'").fetchone()
    assert row == ("Zoë's Łódź Night", None, None)
    assert db.execute("SELECT count(*) FROM promoters").fetchone()[0] == 2


def test_one_bad_row_writes_nothing_and_every_bad_row_is_named(db, tmp_path, actor):
    importexport.import_file(db, actor, "venues", write(tmp_path, "v.csv", VENUES_CSV))
    bad = SUBS_CSV + (",Bad,NOPE-9,X,club_night,2026-12-05T22:00,2026-12-05T21:00,0,advance_only,"
                      "18,true,,,,\n")
    path = write(tmp_path, "s.csv", bad)
    with pytest.raises(ImportFileError) as exc:
        importexport.import_file(db, actor, "submissions", path)
    assert f"{path}:4: expected_attendance: Expected attendance must be a whole number above 0" \
        in exc.value.lines
    assert f"{path}:4: end: End must be after start" in exc.value.lines
    assert db.execute("SELECT count(*) FROM submissions").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM promoters").fetchone()[0] == 0


def test_unknown_venue_code_is_reported_on_its_line(db, tmp_path, actor):
    path = write(tmp_path, "s.csv", SUBS_CSV)
    with pytest.raises(ImportFileError) as exc:
        importexport.import_file(db, actor, "submissions", path)
    assert exc.value.lines[0] == f"{path}:2: venue_code: there is no venue with code 'HKN-1'"
    assert len(exc.value.lines) == 2


def test_unknown_columns_are_refused(db, tmp_path, actor):
    path = write(tmp_path, "v.csv", "code,name,music_genre\nA,B,C\n")
    with pytest.raises(ImportFileError, match="v.csv:1: music_genre: unknown column"):
        importexport.import_file(db, actor, "venues", path)


def test_json_errors_name_the_line_of_the_record(db, tmp_path, actor):
    venues = [{"code": "A-1", "name": "A", "address": "1 Road", "postcode": "E8 1AA",
               "borough": "Hackney", "capacity": 100},
              {"code": "B-1", "name": "B", "address": "1 Road", "postcode": "E8 1AA",
               "borough": "Atlantis", "capacity": 100}]
    path = write(tmp_path, "v.json", json.dumps(venues, indent=2))
    with pytest.raises(ImportFileError) as exc:
        importexport.import_file(db, actor, "venues", path)
    assert exc.value.lines == [f"{path}:10: borough: 'Atlantis' is not one of the 33 London areas"]


@pytest.mark.parametrize("name, text, message", [
    ("x.txt", "", "must end in .csv or .json"),
    ("x.json", "{not json", "not valid JSON"),
    ("x.csv", "", "the file is empty"),
])
def test_unreadable_files(db, tmp_path, actor, name, text, message):
    with pytest.raises(ImportFileError, match=message):
        importexport.import_file(db, actor, "venues", write(tmp_path, name, text))


def test_a_duplicate_within_the_file_is_reported(db, tmp_path, actor):
    path = write(tmp_path, "v.csv", VENUES_CSV + VENUES_CSV.splitlines()[1] + "\n")
    with pytest.raises(ImportFileError, match="v.csv:4: code: HKN-1 is also on line 2"):
        importexport.import_file(db, actor, "venues", path)


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_then_import_into_an_empty_database_gives_the_same_records(tmp_path, actor, fmt):
    from eventrisk import demo

    source = open_database(tmp_path / "a.db")
    demo.build(source, venues=8, events=60, incidents=40, seed=3)
    target = open_database(tmp_path / "b.db")
    for kind in ("venues", "submissions", "incidents"):
        importexport.export_file(source, kind, tmp_path / f"{kind}.{fmt}")
        # Statuses travel only for past events; seen from 2100 every demo event is past.
        importexport.import_file(target, actor, kind, tmp_path / f"{kind}.{fmt}",
                                 with_status=True, now=datetime(2100, 1, 1, tzinfo=UTC))
    for kind in ("venues", "submissions", "incidents"):
        importexport.export_file(target, kind, tmp_path / f"{kind}-again.{fmt}")
        assert (tmp_path / f"{kind}.{fmt}").read_text("utf-8") == \
            (tmp_path / f"{kind}-again.{fmt}").read_text("utf-8"), kind


def test_the_desk_reads_and_checks_the_file_before_it_takes_the_write_lock(db, tmp_path, admin,
                                                                          monkeypatch):
    """Issue 31 item 6: an import is all-or-nothing, so its write cannot be split; the lock is
    held only for the writing, never while a big file is read and checked."""
    from eventrisk.desk import Desk

    desk = Desk(db, str(tmp_path / "desk.db"))
    desk.sign_in("admin", "admin-password")
    desk.import_file("venues", write(tmp_path, "v.csv", VENUES_CSV))
    seen: list[bool] = []
    real_read, real_check = importexport.read_records, importexport._VALIDATORS["submissions"]

    def reading(*args, **kw):
        seen.append(db.conn.in_transaction)
        yield from real_read(*args, **kw)

    def checking(raw):
        seen.append(db.conn.in_transaction)
        return real_check(raw)

    monkeypatch.setattr(importexport, "read_records", reading)
    monkeypatch.setitem(importexport._VALIDATORS, "submissions", checking)
    result = desk.import_file("submissions", write(tmp_path, "s.csv", SUBS_CSV))
    assert result.created == 2
    assert seen == [False, False, False]  # the read and both rows' checks, outside it
    seen.clear()
    bad = SUBS_CSV.replace("300,advance_only", "many,advance_only")
    with pytest.raises(ImportFileError, match=r"s2.csv:2: expected_attendance"):
        desk.import_file("submissions", write(tmp_path, "s2.csv", bad))
    assert seen == [False, False, False]
    assert db.execute("SELECT count(*) FROM submissions").fetchone()[0] == 2
