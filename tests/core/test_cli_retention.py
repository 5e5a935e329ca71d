"""The personal-data commands: retention check/review/apply/list/keep/dispose, subject-access,
promoter show/correct/erase, and export --minimal."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest

from eventrisk.cli import main
from eventrisk.db import open_database
from eventrisk.paths import resource
from eventrisk.retention import KINDS
from tests.conftest import act_as

OLD_EVENTS = (
    "event_name,venue_code,promoter_name,promoter_phone,promoter_email,night_contact,event_type,"
    "start,end,expected_attendance,ticketing,min_age,alcohol,notes,status\n"
    "Old Night,{venue},Ada Oldpromoter,07700 900001,ada@old.example,Dee 07700 900002,"
    "club_night,2018-03-02T22:00,2018-03-03T02:00,200,advance_only,18,true,Rang twice,"
    "debriefed\n"
    "Recent Night,{venue},Bea Newpromoter,07700 900003,bea@new.example,,club_night,"
    "2023-06-02T22:00,2023-06-03T02:00,200,advance_only,18,true,Fine,debriefed\n")


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def desk(desk_path, tmp_path, capsys, monkeypatch):
    """A demo desk with two imported past events: one of 2018, one of 2023."""
    act_as(monkeypatch, tmp_path, "admin", "admin-demo")
    monkeypatch.delenv("EVENTRISK_DB", raising=False)
    path = desk_path
    assert main(["--db", str(path), "demo", "--venues", "8", "--events", "60",
                 "--incidents", "30", "--seed", "5"]) == 0
    capsys.readouterr()
    db = open_database(path)
    venue = db.execute("SELECT code FROM venues ORDER BY id LIMIT 1").fetchone()[0]
    db.close()
    source = tmp_path / "old.csv"
    source.write_text(OLD_EVENTS.format(venue=venue), encoding="utf-8")
    assert main(["--db", str(path), "import", "submissions", str(source), "--with-status"]) == 0
    capsys.readouterr()
    return path


def test_check_reads_a_schedule_without_a_desk_and_names_the_bad_line(capsys, tmp_path):
    code, out, _ = run(capsys, "retention", "check")
    assert code == 0 and "OK, version 2026.1" in out and "7 years after the event" in out
    bad = tmp_path / "retention.toml"
    bad.write_text(resource("retention.toml").read_text("utf-8").replace(
        "keep_years = 7", "keep_years = 700"), encoding="utf-8")
    code, _, err = run(capsys, "retention", "check", bad)
    line = next(i for i, t in enumerate(bad.read_text().splitlines(), 1) if "700" in t)
    assert code == 2 and err.startswith(f"{bad}:{line}: submissions.keep_years")
    assert "Traceback" not in err


def test_review_writes_nothing_and_apply_needs_a_yes(capsys, desk):
    code, out, _ = run(capsys, "--db", desk, "retention", "review", "--json")
    due = {k["kind"]: k["due"] for k in json.loads(out)["kinds"]}
    assert code == 0 and due == {"promoter_contacts": 1, "notes": 2, "submissions": 1,
                                 "incidents": 0, "drafts": 0, "venue_contacts": 0,
                                 "review_comments": 0, "sign_in_failures": 0,
                                 "workstations": 0}
    code, _, err = run(capsys, "--db", desk, "retention", "apply")
    assert code == 2 and "--yes" in err
    code, out, _ = run(capsys, "--db", desk, "retention", "review", "--json")
    assert {k["kind"]: k["due"] for k in json.loads(out)["kinds"]} == due  # nothing done
    code, out, _ = run(capsys, "--db", desk, "retention", "apply", "--yes")
    assert code == 0 and "submissions and their snapshots 1" in out
    code, out, _ = run(capsys, "--db", desk, "retention", "review")
    assert code == 0 and out.count(": 0 due") == len(KINDS)
    code, out, _ = run(capsys, "--db", desk, "audit", "verify", "--quiet")
    assert code == 0, out


def test_only_an_administrator_may(capsys, desk, tmp_path, monkeypatch):
    act_as(monkeypatch, tmp_path, "supervisor", "supervisor-demo")
    for args in (("retention", "review"), ("subject-access", "--promoter", "Ada Oldpromoter",
                                           "-o", tmp_path / "x.zip"),
                 ("promoter", "erase", "Ada Oldpromoter", "--reason", "asked")):
        code, _, err = run(capsys, "--db", desk, *args)
        assert code == 1 and "may not manage personal data" in err
    assert not (tmp_path / "x.zip").exists()


def test_subject_access_writes_the_zip(capsys, desk, tmp_path):
    target = tmp_path / "ada.zip"
    code, out, _ = run(capsys, "--db", desk, "subject-access", "--promoter", "ada oldpromoter",
                       "-o", target)
    assert code == 0 and "1 events" in out
    data = json.loads(zipfile.ZipFile(target).read("subject-access.json"))
    assert data["promoter"]["email"] == "ada@old.example"
    assert [e["event_name"] for e in data["events"]] == ["Old Night"]
    code, _, err = run(capsys, "--db", desk, "subject-access", "--promoter", "Nobody", "-o",
                       tmp_path / "n.zip")
    assert code == 1 and "no promoter called 'Nobody'" in err


def test_correct_and_erase_a_promoter(capsys, desk):
    code, out, _ = run(capsys, "--db", desk, "promoter", "correct", "Bea Newpromoter",
                       "--phone", "020 7946 0000", "--reason", "Rang with a new number")
    assert code == 0 and "version 2" in out
    code, out, _ = run(capsys, "--db", desk, "promoter", "show", "Bea Newpromoter")
    assert "Phone: 020 7946 0000" in out
    code, out, _ = run(capsys, "--db", desk, "promoter", "erase", "Bea Newpromoter",
                       "--reason", "Asked to be erased")
    assert code == 0 and "1 audit entry anonymised" in out
    code, out, _ = run(capsys, "--db", desk, "promoter", "show", "Bea Newpromoter")
    assert "Phone: —" in out and "Email: —" in out
    code, out, _ = run(capsys, "--db", desk, "audit", "verify", "--quiet")
    assert code == 0


def test_list_keep_and_dispose(capsys, desk, tmp_path):
    code, out, _ = run(capsys, "--db", desk, "retention", "list", "notes")
    refs = [line.split()[0] for line in out.splitlines()]
    assert code == 0 and len(refs) == 2
    code, out, _ = run(capsys, "--db", desk, "retention", "keep", "notes", refs[0],
                       "--until", "2099-01-01", "--reason", "Complaint still open")
    assert code == 0 and "Kept" in out
    code, out, _ = run(capsys, "--db", desk, "retention", "list", "notes")
    assert [line.split()[0] for line in out.splitlines()] == refs[1:]
    code, out, _ = run(capsys, "--db", desk, "retention", "dispose", "notes", refs[1],
                       "--reason", "Not needed")
    assert code == 0 and "deleted" in out
    code, out, _ = run(capsys, "--db", desk, "retention", "list", "notes")
    assert "Nothing of this kind is due" in out


def test_a_minimal_export_leaves_out_personal_contacts(capsys, desk, tmp_path):
    full, minimal = tmp_path / "full.csv", tmp_path / "minimal.csv"
    assert run(capsys, "--db", desk, "export", "submissions", full)[0] == 0
    code, out, _ = run(capsys, "--db", desk, "export", "submissions", minimal, "--minimal")
    assert code == 0
    assert ("without contact details or notes (left out: promoter_phone, promoter_email, "
            "night_contact, notes)") in out
    wide = next(csv.reader(io.StringIO(full.read_text("utf-8"))))
    narrow = next(csv.reader(io.StringIO(minimal.read_text("utf-8"))))
    assert set(wide) - set(narrow) == {"promoter_phone", "promoter_email", "night_contact",
                                       "notes"}
    text = minimal.read_text("utf-8")
    assert "ada@old.example" not in text and "07700 900001" not in text
    assert "Dee 07700 900002" not in text and "Old Night" in text
    assert "Rang twice" in full.read_text("utf-8") and "Rang twice" not in text


INFORMANT = "Jonah Canary-Informant"


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_a_minimal_export_leaves_out_notes_descriptions_and_crime_references(
        capsys, desk, tmp_path, suffix):
    db = open_database(desk)
    venue = db.execute("SELECT code FROM venues ORDER BY id LIMIT 1").fetchone()[0]
    db.close()
    source = tmp_path / "incidents.csv"
    source.write_text(
        "reference,venue_code,occurred_at,category,severity,location,crime_reference,"
        "description\n"
        f"INC-CANARY-1,{venue},2024-05-04T23:30,violence_with_injury,serious,door,"
        f"CR-{INFORMANT},Victim named by {INFORMANT}\n", encoding="utf-8")
    assert run(capsys, "--db", desk, "import", "incidents", source)[0] == 0
    for kind, canaries, said in (
            ("incidents", (f"CR-{INFORMANT}", f"Victim named by {INFORMANT}"),
             "without crime references or incident descriptions (left out: crime_reference, "
             "description)"),
            ("submissions", ("Rang twice",), "notes"),
            ("venues", (), "without contact details (left out: night_contact)")):
        full, minimal = tmp_path / f"{kind}{suffix}", tmp_path / f"{kind}-minimal{suffix}"
        assert run(capsys, "--db", desk, "export", kind, full)[0] == 0
        code, out, _ = run(capsys, "--db", desk, "export", kind, minimal, "--minimal")
        assert code == 0 and said in out.splitlines()[0]
        for canary in canaries:
            assert canary in full.read_text("utf-8")
            assert canary not in minimal.read_text("utf-8")
        if suffix == ".json":
            rows = json.loads(minimal.read_text("utf-8"))
            assert rows and not {"notes", "description", "crime_reference",
                                 "night_contact"} & set(rows[0])
