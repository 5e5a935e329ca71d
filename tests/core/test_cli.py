"""The command line: each contract command on good and bad input, and the environment failing."""

import json
import os
import sqlite3

import pytest
from pypdf import PdfReader

from eventrisk import __version__
from eventrisk.cli import main
from eventrisk.db import open_database
from eventrisk.pg import is_server
from tests.conftest import (
    BACKENDS,
    act_as,
    hold_write_lock,
    module_desk,
    password_file,
    tamper,
)


@pytest.fixture(autouse=True)
def signed_in(tmp_path, monkeypatch):
    """Commands act as the demo supervisor unless a test says otherwise."""
    act_as(monkeypatch, tmp_path, "supervisor", "supervisor-demo")
    monkeypatch.delenv("EVENTRISK_DB", raising=False)


@pytest.fixture(scope="module", params=BACKENDS)
def demo_desk(request, tmp_path_factory):
    """The demo desk the commands below work on, made once per backend by the command line
    (a second a test on the server, when each test made its own); each test gets a copy."""
    with module_desk(request, tmp_path_factory) as path:
        assert main(["--db", str(path), "demo", "--venues", "12", "--events", "120",
                     "--incidents", "80", "--seed", "7"]) == 0
        yield path


@pytest.fixture
def desk(demo_desk, copy_desk):
    return copy_desk(demo_desk, "desk.db")


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def upcoming(capsys, desk):
    code, out, _ = run(capsys, "--db", desk, "queue", "--json")
    assert code == 0
    return json.loads(out)


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert __version__ in capsys.readouterr().out


def test_init_creates_and_migrates(capsys, tmp_path):
    code, out, _ = run(capsys, "--db", tmp_path / "new.db", "init")
    assert code == 0 and "Database ready" in out
    assert (tmp_path / "new.db").exists()


def test_database_from_the_environment(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("EVENTRISK_DB", str(tmp_path / "env.db"))
    assert run(capsys, "init")[0] == 0
    assert (tmp_path / "env.db").exists()


def test_demo_prints_the_sign_ins_and_fills_every_status(capsys, desk):
    db = open_database(desk)
    statuses = {r[0] for r in db.execute("SELECT DISTINCT status FROM submissions")}
    users = db.execute("SELECT count(*) FROM users").fetchone()[0]
    db.close()
    assert {"received", "assessed", "in_review", "returned", "approved", "issued", "debriefed",
            "cancelled"} <= statuses
    assert users == 3


def test_demo_is_deterministic_with_a_seed(tmp_path, capsys):
    dumps = []
    for name in ("a", "b"):
        path = tmp_path / f"{name}.db"
        assert main(["--db", str(path), "demo", "--events", "60", "--incidents", "30",
                     "--venues", "8", "--seed", "5"]) == 0
        assert main(["--db", str(path), "export", "submissions", str(tmp_path / f"{name}.csv")]) \
            == 0
        dumps.append((tmp_path / f"{name}.csv").read_text())
    capsys.readouterr()
    assert dumps[0] == dumps[1]


def test_queue_lists_upcoming_events_needing_action_first(capsys, desk, tmp_path,
                                                         monkeypatch):
    rows = upcoming(capsys, desk)  # the supervisor's desk order: reviews first
    assert rows
    reviews = [r["status"] == "in_review" for r in rows]
    assert any(reviews) and reviews == sorted(reviews, reverse=True)
    act_as(monkeypatch, tmp_path, "officer", "officer-demo")
    rows = upcoming(capsys, desk)
    needs = [r["status"] in ("received", "returned", "assessed") for r in rows]
    assert any(needs) and needs == sorted(needs, reverse=True)  # officer's queue: action first
    code, out, _ = run(capsys, "--db", desk, "queue")
    assert code == 0 and rows[0]["reference"] in out


def test_score_named_and_all(capsys, desk):
    ref = upcoming(capsys, desk)[0]["reference"]
    code, out, _ = run(capsys, "--db", desk, "score", ref, "--json")
    [item] = json.loads(out)
    assert code == 0 and item["reference"] == ref and item["grade"] in (
        "LOW", "MEDIUM", "HIGH", "CRITICAL")
    assert all(f["evidence"] for f in item["fired"])
    code, out, _ = run(capsys, "--db", desk, "score", "--all", "--json")
    graded = {i["reference"] for i in json.loads(out)}
    assert {r["reference"] for r in upcoming(capsys, desk) if r["status"] != "cancelled"} <= graded
    code, out, _ = run(capsys, "--db", desk, "score", "--all")
    assert code == 0 and out.startswith("Scored ")


@pytest.mark.parametrize("args, message", [
    (["score"], "Name one or more references, or use --all"),
    (["score", "ER-2099-999999"], "no submission with reference ER-2099-999999"),
    (["report", "ER-2099-999999", "-o", "x.pdf"], "no submission with reference"),
    (["pack", "--borough", "Gotham", "--from", "2026-01-01", "--to", "2026-01-02", "-o", "x.pdf"],
     "'Gotham' is not one of the 33 London areas"),
])
def test_bad_arguments_get_one_clear_message(capsys, desk, args, message):
    code, out, err = run(capsys, "--db", desk, *args)
    assert code in (1, 2) and message in err and "Traceback" not in err


def test_export_then_import_into_a_new_desk(capsys, desk, tmp_path):
    """Venues travel freely; events arrive as received, so a desk's live statuses do not
    travel by file (an administrator may keep past events' statuses with --with-status)."""
    target = tmp_path / "copy.db"
    code, out, _ = run(capsys, "--db", target, "init", "--admin", "boss")
    assert code == 0 and "administrator boss created" in out
    for kind in ("venues", "submissions"):
        assert run(capsys, "--db", desk, "export", kind, tmp_path / f"{kind}.json")[0] == 0
    code, out, _ = run(capsys, "--db", target, "--user", "boss", "import", "venues",
                       tmp_path / "venues.json")
    assert code == 0 and out.startswith("Imported 12 venues")
    code, _, err = run(capsys, "--db", target, "--user", "boss", "import", "submissions",
                       tmp_path / "submissions.json")
    assert code == 2 and "status: 'issued' cannot be imported" in err
    code, _, err = run(capsys, "--db", target, "--user", "boss", "import", "submissions",
                       tmp_path / "submissions.json", "--with-status")
    assert code == 2 and "only an event that has already started may be imported as" in err
    assert "'issued' cannot" not in err
    copy = open_database(target)
    assert copy.execute("SELECT count(*) FROM submissions").fetchone()[0] == 0
    copy.close()


def test_import_bad_file_exits_2_with_file_line_field(capsys, desk, tmp_path):
    bad = tmp_path / "v.csv"
    bad.write_text("code,name,address,postcode,borough,capacity\nX-1,A,1 Road,E8 1AA,Hackney,"
                   "many\n")
    code, _, err = run(capsys, "--db", desk, "import", "venues", bad)
    assert code == 2
    assert err.strip() == f"{bad}:2: capacity: Licensed capacity must be a whole number above 0"


def test_report_writes_a_pdf(capsys, desk, tmp_path):
    ref = next(r["reference"] for r in upcoming(capsys, desk) if r["grade"])
    code, out, _ = run(capsys, "--db", desk, "report", ref, "-o", tmp_path / "a.pdf")
    assert code == 0
    text = "".join(p.extract_text() for p in PdfReader(tmp_path / "a.pdf").pages)
    assert ref in text and "OFFICIAL-SENSITIVE" in text


def test_report_on_an_unscored_submission_says_so(capsys, desk, tmp_path):
    ref = next(r["reference"] for r in upcoming(capsys, desk) if not r["grade"])
    code, _, err = run(capsys, "--db", desk, "report", ref, "-o", tmp_path / "a.pdf")
    assert code == 1 and "has not been scored yet" in err


def test_pack_with_no_events_is_a_clear_message(capsys, desk, tmp_path):
    code, _, err = run(capsys, "--db", desk, "pack", "--borough", "Camden", "--from",
                       "2001-01-01", "--to", "2001-01-02", "-o", tmp_path / "p.pdf")
    assert code == 1 and "there is no pack to print" in err
    assert not (tmp_path / "p.pdf").exists()


def test_rules_check_and_impact(capsys, desk, tmp_path):
    from eventrisk.paths import resource

    default = resource("rules", "default.toml")
    code, out, _ = run(capsys, "rules", "check", default)
    assert code == 0 and "OK" in out
    draft = tmp_path / "draft.toml"
    draft.write_text(default.read_text().replace('version = "2026.2"', 'version = "2027.1"')
                     .replace("min_score = 60", "min_score = 5"))
    code, out, _ = run(capsys, "--db", desk, "rules", "impact", draft)
    assert code == 0 and "would move up a grade" in out and "Up   ER-" in out
    bad = tmp_path / "bad.toml"
    bad.write_text(default.read_text().replace('"capacity >= 500"', '"crowd_origin >= 500"'))
    code, _, err = run(capsys, "rules", "check", bad)
    assert code == 2
    assert f"{bad}: rule large-venue: 'crowd_origin' is not a feature in the catalogue" in err


def test_audit_verify_ok_and_broken(capsys, desk):
    code, out, _ = run(capsys, "--db", desk, "audit", "verify")
    assert code == 0 and out.startswith("OK: ")
    db = open_database(desk)
    tamper(db, "UPDATE audit_log SET reason = 'edited' WHERE id = 5")
    db.close()
    code, _, err = run(capsys, "--db", desk, "audit", "verify")
    assert code == 1 and "entry 5 (submission.import by demo) was changed" in err


@pytest.mark.sqlite_only  # the copy is a desk file (a server's: test_pg_server)
def test_backup_is_a_sound_copy(capsys, desk, tmp_path):
    code, _, _ = run(capsys, "--db", desk, "backup", tmp_path / "copy.db")
    assert code == 0
    copy = sqlite3.connect(tmp_path / "copy.db")
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("SELECT count(*) FROM submissions").fetchone()[0] == 120
    code, _, err = run(capsys, "--db", desk, "backup", tmp_path / "missing" / "copy.db")
    assert code == 1 and "does not exist" in err


def test_missing_folder(capsys, tmp_path):
    code, _, err = run(capsys, "--db", tmp_path / "no" / "desk.db", "queue")
    assert code == 1 and "does not exist" in err and "Traceback" not in err


def test_corrupt_database(capsys, tmp_path):
    bad = tmp_path / "desk.db"
    bad.write_bytes(os.urandom(4096))
    code, _, err = run(capsys, "--db", bad, "queue")
    assert code == 1 and "not an EventRisk database or is damaged" in err


def test_locked_database(capsys, desk, tmp_path, monkeypatch):
    monkeypatch.setenv("EVENTRISK_BUSY_TIMEOUT", "0.2")
    with hold_write_lock(desk):
        code, _, err = run(capsys, "--db", desk, "score", "--all")
    busy = ("is busy with another workstation's change" if is_server(desk) else
            "The desk is busy: another workstation is saving. Your changes are kept; try "
            "again.")
    assert code == 1 and busy in err and "Traceback" not in err


def test_read_only_database(capsys, desk, monkeypatch):
    """As root a chmod does not stop writes, so make SQLite itself refuse them."""
    import eventrisk.desk.base as base

    def read_only(path, create=True):  # a standby server, or a file SQLite may not write
        db = open_database(path, create=create)
        db.execute("SET default_transaction_read_only = on" if is_server(path) else
                   "PRAGMA query_only = ON")
        return db

    monkeypatch.setattr(base, "open_database", read_only)
    code, _, err = run(capsys, "--db", desk, "score", "--all")
    refused = ("is read-only just now (a standby?); nothing was saved" if is_server(desk) else
               "is read-only, so nothing could be saved")
    assert code == 1 and refused in err
    code, out, _ = run(capsys, "--db", desk, "queue")  # reading still works
    assert code == 0


@pytest.mark.sqlite_only  # a file's permissions
@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_file(capsys, desk):
    desk.chmod(0o444)
    code, _, err = run(capsys, "--db", desk, "score", "--all")
    assert code == 1 and "read-only" in err


# ---- signing in ---------------------------------------------------------------------------

def test_every_desk_command_needs_an_account(capsys, desk, monkeypatch):
    monkeypatch.delenv("EVENTRISK_USER")
    for args in (["queue"], ["export", "venues", "x.csv"], ["audit", "verify"],
                 ["score", "--all"], ["backup", "copy.db"]):
        code, _, err = run(capsys, "--db", desk, *args)
        assert code == 1 and "Sign in to use the desk: give --user NAME" in err, args


def test_a_password_file_others_can_read_is_refused_by_name(capsys, desk, tmp_path):
    loose = password_file(tmp_path, "supervisor-demo", mode=0o644)
    code, _, err = run(capsys, "--db", desk, "--user", "supervisor", "--password-file", loose,
                       "queue")
    assert code == 1 and str(loose) in err and "can be read by other people" in err
    loose.chmod(0o600)
    assert run(capsys, "--db", desk, "--user", "supervisor", "--password-file", loose,
               "queue")[0] == 0


def test_no_password_and_no_terminal_is_a_clear_message(capsys, desk, monkeypatch):
    monkeypatch.delenv("EVENTRISK_PASSWORD_FILE")
    code, _, err = run(capsys, "--db", desk, "--user", "supervisor", "queue")
    assert code == 1 and "No password: give --password-file FILE" in err


def test_a_wrong_password_is_refused(capsys, desk, tmp_path):
    code, _, err = run(capsys, "--db", desk, "--user", "supervisor", "--password-file",
                       password_file(tmp_path, "not-it"), "queue")
    assert code == 1 and "user name or password is wrong" in err


def test_audit_entries_name_the_account_that_acted(capsys, desk, tmp_path):
    from eventrisk.paths import resource

    draft = tmp_path / "draft.toml"
    draft.write_text(resource("rules", "default.toml").read_text().replace(
        'version = "2026.2"', 'version = "2027.2"'))
    assert run(capsys, "--db", desk, "rules", "publish", draft)[0] == 0
    db = open_database(desk)
    actor = db.execute("SELECT actor FROM audit_log WHERE action = 'ruleset.publish'"
                       ).fetchone()[0]
    assert actor == "supervisor"
    assert not db.execute("SELECT 1 FROM audit_log WHERE actor LIKE 'cli:%'").fetchone()
    db.close()


def test_an_officer_cannot_publish_rules_or_rescore_the_desk(capsys, desk, tmp_path,
                                                             monkeypatch):
    from eventrisk.paths import resource

    act_as(monkeypatch, tmp_path, "officer", "officer-demo")
    code, _, err = run(capsys, "--db", desk, "rules", "publish", resource("rules",
                                                                          "default.toml"))
    assert code == 1 and "may not publish a ruleset" in err
    code, _, err = run(capsys, "--db", desk, "score", "--all")
    assert code == 1 and "may not rescore every submission" in err


def test_init_creates_the_first_administrator_once(capsys, tmp_path, monkeypatch):
    path = tmp_path / "real.db"
    monkeypatch.setenv("EVENTRISK_PASSWORD_FILE", str(password_file(tmp_path, "chief-pass-1")))
    code, out, _ = run(capsys, "--db", path, "init", "--admin", "chief")
    assert code == 0 and "administrator chief created" in out
    code, _, err = run(capsys, "--db", path, "init", "--admin", "another")
    assert code == 1 and "already has accounts" in err
    code, out, _ = run(capsys, "--db", path, "--user", "chief", "init")
    assert code == 0 and "Database ready" in out
    code, _, err = run(capsys, "--db", path, "--user", "chief", "demo")
    assert code == 1 and "real desk" in err
    db = open_database(path)
    assert db.execute("SELECT count(*) FROM submissions").fetchone()[0] == 0
    db.close()


def test_a_temporary_password_must_be_changed_first(capsys, desk, tmp_path, monkeypatch):
    from eventrisk.desk import Desk
    from eventrisk.model import Role

    boss = Desk.open(desk)
    boss.sign_in("admin", "admin-demo")
    boss.create_account("jo", "Jo Bloggs", Role.OFFICER, "temporary-1")
    boss.close()
    monkeypatch.setenv("EVENTRISK_PASSWORD_FILE", str(password_file(tmp_path, "temporary-1")))
    code, _, err = run(capsys, "--db", desk, "--user", "jo", "queue")
    assert code == 1 and "must choose a new password" in err and "password" in err
    monkeypatch.setenv("EVENTRISK_NEW_PASSWORD_FILE",
                       str(password_file(tmp_path, "jo-own-password")))
    code, out, _ = run(capsys, "--db", desk, "--user", "jo", "password")
    assert code == 0 and "Password changed for jo" in out
    monkeypatch.setenv("EVENTRISK_PASSWORD_FILE",
                       str(password_file(tmp_path, "jo-own-password")))
    assert run(capsys, "--db", desk, "--user", "jo", "queue")[0] == 0


def test_an_imported_status_cannot_skip_review(capsys, desk, tmp_path, monkeypatch):
    csv = tmp_path / "s.csv"
    csv.write_text("event_name,venue_code,promoter_name,event_type,start,end,"
                   "expected_attendance,ticketing,min_age,alcohol,status\n"
                   f"Skip The Queue,{_a_venue(desk)},Lantern Events,club_night,2099-03-02T22:00,"
                   "2099-03-03T02:00,200,advance_only,18,true,issued\n")
    before = _count(desk)
    code, _, err = run(capsys, "--db", desk, "import", "submissions", csv)
    assert code == 2 and f"{csv}:2: status: 'issued' cannot be imported" in err
    code, _, err = run(capsys, "--db", desk, "import", "submissions", csv, "--with-status")
    assert code == 1 and "may not import events with their workflow status" in err
    act_as(monkeypatch, tmp_path, "admin", "admin-demo")
    code, _, err = run(capsys, "--db", desk, "import", "submissions", csv, "--with-status")
    assert code == 2 and "only an event that has already started" in err
    assert _count(desk) == before
    csv.write_text(csv.read_text().replace("2099-03-02", "2020-03-02").replace("2099-03-03",
                                                                              "2020-03-03"))
    code, out, _ = run(capsys, "--db", desk, "import", "submissions", csv, "--with-status")
    assert code == 0 and _count(desk) == before + 1
    db = open_database(desk)
    detail = db.execute("SELECT detail, actor FROM audit_log WHERE action = "
                        "'import.submissions' ORDER BY id DESC").fetchone()
    assert json.loads(detail[0])["with_status"] is True and detail[1] == "admin"
    db.close()


def _a_venue(path):
    db = open_database(path)
    code = db.execute("SELECT code FROM venues LIMIT 1").fetchone()[0]
    db.close()
    return code


def _count(path):
    db = open_database(path)
    n = db.execute("SELECT count(*) FROM submissions").fetchone()[0]
    db.close()
    return n


def test_without_the_desktop_app_installed_gui_says_so(tmp_path, monkeypatch, capsys):
    """A command-line-only install (no entry point for the app) refuses 'gui' in a sentence."""
    from eventrisk import cli

    monkeypatch.setattr(cli, "entry_points", lambda group: [])
    assert cli.main(["--db", str(tmp_path / "desk.db"), "gui"]) == 1
    assert "desktop app is not installed" in capsys.readouterr().err
