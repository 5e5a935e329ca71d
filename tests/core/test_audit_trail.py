"""An audit trail that proves itself: each tampering found by someone with the database file
open in sqlite3 is caught, by verify alone or by verify with a witness.

Each attack here drops the immutability triggers, changes the file and puts the triggers
back exactly as they were, as a careful insider would; only the trigger attack leaves them
out.  (All about a desk file.  On a server the workstations cannot do any of this:
test_pg_server; its owner's tampering is caught as in test_retention and
test_audit_users_workflow, which run on both.)"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from eventrisk import audit
from eventrisk.desk import Desk
from eventrisk.migrations import _IMMUTABLE
from eventrisk.model import Grade
from eventrisk.verify import Witness, verify_desk

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A training desk with scoring, decisions, an issued assessment and a backup."""
    folder = tmp_path_factory.mktemp("audit")
    path = folder / "desk.db"
    desk = Desk.open(path, create=True)
    desk.build_demo(venues=8, events=200, incidents=60, seed=5)
    desk.sign_in("supervisor", "supervisor-demo")
    desk.rescore_all()
    sid = desk.db.execute("SELECT id FROM submissions WHERE status = 'in_review' LIMIT 1"
                          ).fetchone()[0]
    state = desk.approve(sid, desk.assessment(sid).version)
    desk.backup(folder / "backup.db")
    pdf = desk.render_assessment(sid)
    desk.issue(sid, state.version, pdf)  # the newest entry: the assessment left the desk
    desk.close()
    yield path, pdf, folder / "backup.db"


@pytest.fixture
def desk_file(template, tmp_path):
    path = tmp_path / "desk.db"
    shutil.copy(template[0], path)
    return path


def tamper(path: Path, *statements: str, keep_triggers_out: bool = False) -> None:
    conn = sqlite3.connect(path)
    for table in ("audit_log", "assessments"):
        conn.execute(f"DROP TRIGGER {table}_no_update")
        conn.execute(f"DROP TRIGGER {table}_no_delete")
    for sql in statements:
        conn.execute(sql)
    if not keep_triggers_out:
        for table in ("audit_log", "assessments"):
            conn.executescript(_IMMUTABLE.format(table=table))
    conn.commit()
    conn.close()


def check(path: Path, **witnesses) -> list[str]:
    desk = Desk.open(path)
    try:
        return verify_desk(desk.db, **witnesses).problems
    finally:
        desk.close()


def head_on_paper(pdf: bytes) -> Witness:
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    match = re.search(r"audit (\d+):([0-9a-f]{20})", text)
    assert match, "the footer prints the audit position and head"
    return Witness.parse(f"{match[1]}:{match[2]}", "the printed assessment")


def recompute_from(conn: sqlite3.Connection, start: int) -> None:
    """Recompute every hash from entry ``start`` on, as someone who read the code would."""
    prev = conn.execute("SELECT hash FROM audit_log WHERE id = ?", [start - 1]).fetchone()
    prev = prev[0] if prev else audit.GENESIS
    rows = conn.execute("SELECT id, at, actor, action, entity, entity_id, detail, reason FROM "
                        "audit_log WHERE id >= ? ORDER BY id", [start]).fetchall()
    for entry_id, *fields in rows:
        digest = hashlib.sha256(audit.canonical(prev, *fields)).hexdigest()
        conn.execute("UPDATE audit_log SET prev_hash = ?, hash = ? WHERE id = ?",
                     [prev, digest, entry_id])
        prev = digest


def test_an_untouched_desk_verifies(desk_file, template):
    _, pdf, backup = template
    assert check(desk_file, expect=(head_on_paper(pdf),), against=backup) == []


# ---- the tamperings the old verify missed -------------------------------------------------------

def test_cutting_the_newest_twenty_entries_is_caught_by_the_printed_head(desk_file, template):
    _, pdf, backup = template
    tamper(desk_file, "DELETE FROM audit_log WHERE id > (SELECT max(id) - 20 FROM audit_log)")
    printed = head_on_paper(pdf)
    problems = check(desk_file, expect=(printed,))
    assert any(f"entry {printed.position} is gone" in p for p in problems), problems
    assert any("history was cut" in p for p in check(desk_file, against=backup))


def test_cutting_the_newest_entry_is_caught_by_verify_alone(desk_file):
    """The newest entry issued an assessment: without it the table and the trail disagree."""
    tamper(desk_file, "DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)")
    problems = check(desk_file)
    assert any("status is issued in the table but approved by its audit trail" in p
               for p in problems), problems


def test_removing_every_entry_is_caught_by_verify_alone(desk_file):
    tamper(desk_file, "DELETE FROM audit_log")
    problems = check(desk_file)
    assert any("no audit entry records how it entered the desk" in p for p in problems)
    assert any("snapshots in the table but 0 in the audit trail" in p for p in problems)


def test_renumbering_entries_is_caught(desk_file):
    tamper(desk_file, "UPDATE audit_log SET id = id + 1000000")
    assert any("entry 1 is missing" in p for p in check(desk_file))


def test_a_forged_approval_with_a_correct_hash_is_caught(desk_file):
    conn = sqlite3.connect(desk_file)
    sid = conn.execute("SELECT id FROM submissions WHERE status = 'in_review' LIMIT 1"
                       ).fetchone()[0]
    conn.close()
    desk = Desk.open(desk_file)
    # The forger appends through the real recipe, so the chain itself is perfect.
    audit.record(desk.db, "supervisor", "submission.approve", "submission", sid,
                 {"from": "in_review", "to": "approved", "grade": "LOW"}, "")
    desk.db.conn.commit()
    assert audit.verify(desk.db).ok
    desk.close()
    problems = check(desk_file)
    assert any("status is in_review in the table but approved by its audit trail" in p
               for p in problems), problems


def test_editing_an_entry_and_recomputing_every_later_hash_is_caught_by_a_witness(
        desk_file, template):
    _, pdf, backup = template
    conn = sqlite3.connect(desk_file)
    for table in ("audit_log",):
        conn.execute(f"DROP TRIGGER {table}_no_update")
    conn.execute("UPDATE audit_log SET actor = 'mallory' WHERE id = 30")
    recompute_from(conn, 30)
    conn.executescript(_IMMUTABLE.format(table="audit_log"))
    conn.commit()
    conn.close()
    desk = Desk.open(desk_file)
    assert audit.verify(desk.db).ok  # the chain alone is fooled
    desk.close()
    assert any("no longer has hash" in p for p in check(desk_file,
                                                         expect=(head_on_paper(pdf),)))
    assert any("entry 30 differs from the backup" in p for p in check(desk_file,
                                                                       against=backup))
    # The head the backup recorded in the trail was rewritten too, but not the backup file.
    assert any("backup recorded at entry" in p for p in check(desk_file))


def test_dropping_the_immutability_triggers_is_caught(desk_file):
    tamper(desk_file, keep_triggers_out=True)
    problems = check(desk_file)
    assert "schema: trigger audit_log_no_update is missing (the migrations made it)" in problems
    assert "schema: trigger assessments_no_delete is missing (the migrations made it)" \
        in problems


@pytest.mark.parametrize("column, value, finding", [
    ("status", "'issued'", "status is issued in the table"),
    ("grade", "'LOW'", "grade is LOW in the table"),
])
def test_direct_updates_to_submissions_are_caught(desk_file, column, value, finding):
    conn = sqlite3.connect(desk_file)
    ref = conn.execute("SELECT reference FROM submissions WHERE status = 'in_review' AND grade "
                       "!= 'LOW' LIMIT 1").fetchone()[0]
    conn.execute(f"UPDATE submissions SET {column} = {value} WHERE reference = ?", [ref])
    conn.commit()
    conn.close()
    problems = check(desk_file)
    assert any(p.startswith(ref) and finding in p for p in problems), problems


def test_direct_updates_to_snapshots_are_caught(desk_file):
    from eventrisk import snapshots
    from eventrisk.db import open_database

    db = open_database(desk_file)
    aid, packed = next((aid, packed) for aid, packed in db.execute(
        "SELECT id, packed FROM assessments ORDER BY id") if snapshots.unpack(db, packed)[2]
        != "[]")
    inputs, features, fired = snapshots.unpack(db, packed)
    # An insider with the file can repack a snapshot: the dictionary is in the database.
    lighter = snapshots.pack(db, inputs, features, json.dumps(json.loads(fired)[1:]))
    db.close()
    tamper(desk_file, f"UPDATE assessments SET score = score - 10 WHERE id = {aid}")
    problems = check(desk_file)
    assert any(f"snapshot {aid}: score is" in p for p in problems), problems
    shutil.copy(desk_file, desk_file.with_name("second.db"))
    tamper(desk_file.with_name("second.db"),
           f"UPDATE assessments SET score = score + 10, packed = X'{lighter.hex()}' "
           f"WHERE id = {aid}")
    assert any(f"snapshot {aid}: its stored inputs, features or fired rules were changed" in p
               for p in check(desk_file.with_name("second.db")))
    # Bytes that do not unpack, in each format: deflate, zstd cut short, a zstd frame that
    # claims 4 GB of text, and a version no dictionary has.
    forged = b"\x02" + bytes.fromhex("28b52ffd") + b"\xa0" + ((1 << 32) - 1).to_bytes(4, "little")
    for n, blob in enumerate((b"\x01\xde\xad\xbe\xef", packed[:len(packed) // 2],
                              forged, b"\x09" + packed[1:])):
        damaged = desk_file.with_name(f"damaged-{n}.db")
        shutil.copy(desk_file, damaged)
        tamper(damaged, f"UPDATE assessments SET packed = X'{blob.hex()}' WHERE id = {aid}")
        assert any(f"snapshot {aid}: its stored snapshot cannot be read (damaged)" in p
                   for p in check(damaged)), blob


def test_null_and_empty_text_hash_differently(desk_file):
    tamper(desk_file, "UPDATE audit_log SET entity = NULL WHERE id = (SELECT min(id) FROM "
                      "audit_log WHERE entity = '')")
    assert any("was changed after it was written" in p for p in check(desk_file))


# ---- and those it already caught, still caught ---------------------------------------------------

@pytest.mark.parametrize("statements, finding", [
    (["UPDATE audit_log SET reason = 'edited' WHERE id = 12"], "entry 12 (submission"),
    (["UPDATE audit_log SET at = '2020-01-01T00:00:00Z' WHERE id = 12"], "entry 12"),
    (["DELETE FROM audit_log WHERE id = 12"], "entry 12 is missing"),
    (["UPDATE audit_log SET id = -1 WHERE id = 12", "UPDATE audit_log SET id = 12 WHERE id = 13",
      "UPDATE audit_log SET id = 13 WHERE id = -1"], "entry 12 does not follow"),
], ids=["content", "time", "middle row", "reorder"])
def test_edits_deletions_and_reordering_in_the_middle(desk_file, statements, finding):
    tamper(desk_file, *statements)
    assert any(finding in p for p in check(desk_file)), check(desk_file)


# ---- witnesses -------------------------------------------------------------------------------

def test_the_witness_file_catches_a_cut(tmp_path):
    desk = Desk.open(tmp_path / "desk.db", create=True)
    desk.build_demo(venues=4, events=30, incidents=10, seed=3)
    desk.sign_in("admin", "admin-demo")
    witness = tmp_path / "witness" / "desk.witness"
    witness.parent.mkdir()
    with pytest.raises(Exception, match="outside the database's folder"):
        desk.set_setting("witness_file", str(tmp_path / "beside.witness"))
    desk.set_setting("witness_file", str(witness))
    desk.backup(tmp_path / "witness" / "copy.db")
    line = witness.read_text().split()
    position = int(line[0])
    assert desk.verify_audit().ok and oct(witness.stat().st_mode & 0o777) == "0o600"
    desk.close()
    tamper(tmp_path / "desk.db", f"DELETE FROM audit_log WHERE id >= {position - 2}")
    desk = Desk.open(tmp_path / "desk.db")
    desk.sign_in("admin", "admin-demo")
    report = desk.verify_audit()
    assert any(f"{witness}:1" in p and "is gone" in p for p in report.problems)
    desk.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_single_change_deletion_or_insertion_is_caught_with_a_witness_at_the_end(
        data, template, tmp_path_factory):
    path = tmp_path_factory.mktemp("prop") / "desk.db"
    shutil.copy(template[0], path)
    conn = sqlite3.connect(path)
    last, last_hash = conn.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1"
                                   ).fetchone()
    conn.close()
    target = data.draw(st.integers(1, last), label="entry")
    kind = data.draw(st.sampled_from(["change", "delete", "insert"]), label="kind")
    column = data.draw(st.sampled_from(["at", "actor", "action", "entity", "entity_id",
                                        "detail", "reason"]), label="column")
    statement = {
        "change": f"UPDATE audit_log SET {column} = coalesce({column}, '') || 'x' "
                  f"WHERE id = {target}",
        "delete": f"DELETE FROM audit_log WHERE id = {target}",
        "insert": f"INSERT INTO audit_log (at, actor, action, entity, entity_id, detail, "
                  f"reason, prev_hash, hash) SELECT at, actor, action, entity, entity_id, "
                  f"detail, reason, prev_hash, hash FROM audit_log WHERE id = {target}",
    }[kind]
    tamper(path, statement)
    assert check(path, expect=(Witness(last, last_hash, "the last printout"),)) != []


def test_the_standard_library_script_verifies_the_same_chain(desk_file, template):
    """docs/verify_audit.py re-implements the documented hashed form with nothing but the
    standard library; it agrees with EventRisk on a sound trail and on a broken one."""
    script = ROOT / "docs" / "verify_audit.py"
    _, pdf, _ = template
    printed = head_on_paper(pdf)
    ok = subprocess.run([sys.executable, "-I", str(script), str(desk_file), "--expect",
                         f"{printed.position}:{printed.prefix}"], capture_output=True, text=True)
    assert ok.returncode == 0 and ok.stdout.startswith("OK"), ok.stderr
    tamper(desk_file, "UPDATE audit_log SET entity = NULL WHERE id = 7")
    broken = subprocess.run([sys.executable, "-I", str(script), str(desk_file)],
                            capture_output=True, text=True)
    assert broken.returncode == 1 and "entry 7" in broken.stdout + broken.stderr


def test_cli_verify_with_expect_and_against(desk_file, template, tmp_path, capsys,
                                            monkeypatch):
    from eventrisk.cli import main

    _, pdf, backup = template
    secret = tmp_path / "pw"
    secret.write_text("supervisor-demo\n")
    secret.chmod(0o600)
    monkeypatch.setenv("EVENTRISK_USER", "supervisor")
    monkeypatch.setenv("EVENTRISK_PASSWORD_FILE", str(secret))
    printed = head_on_paper(pdf)
    head = f"{printed.position}:{printed.prefix[:16]}"
    assert main(["--db", str(desk_file), "audit", "verify", "--quiet", "--expect", head,
                 "--against", str(backup)]) == 0
    assert capsys.readouterr().out.startswith("OK: ")
    tamper(desk_file, f"DELETE FROM audit_log WHERE id >= {printed.position}")
    assert main(["--db", str(desk_file), "audit", "verify", "--quiet", "--expect", head]) == 1
    err = capsys.readouterr().err
    assert f"entry {printed.position} is gone" in err and "changed nothing" in err
    assert main(["--db", str(desk_file), "audit", "verify", "--expect", "12:abc"]) == 2
    assert "16 or more hex characters" in capsys.readouterr().err


def test_the_grade_stays_reconciled_through_override_and_withdrawal(tmp_path):
    from dataclasses import replace

    desk = Desk.open(tmp_path / "desk.db", create=True)
    desk.build_demo(venues=4, events=100, incidents=20, seed=8)
    desk.sign_in("supervisor", "supervisor-demo")
    sid = desk.db.execute("SELECT id FROM submissions WHERE status = 'in_review' LIMIT 1"
                          ).fetchone()[0]
    state = desk.assessment(sid)
    state = desk.override(sid, state.version, Grade.CRITICAL if state.grade is not
                          Grade.CRITICAL else Grade.LOW, "Intelligence")
    officer = Desk(desk.db, desk.path)
    officer.sign_in("officer", "officer-demo")
    officer.save_submission(replace(state.submission, expected_attendance=state.submission
                                    .expected_attendance + 5), withdraw_reason="More expected")
    assert desk.verify_audit().ok, desk.verify_audit().problems
    desk.close()


def test_a_value_from_before_the_limits_still_opens_and_is_named(desk_file):
    conn = sqlite3.connect(desk_file)
    ref = conn.execute("SELECT reference FROM submissions WHERE status = 'received' LIMIT 1"
                       ).fetchone()[0]
    conn.execute("UPDATE submissions SET starts_at = '999-06-01T22:01:15Z' WHERE reference = ?",
                 [ref])
    conn.commit()
    conn.close()
    desk = Desk.open(desk_file)
    desk.sign_in("supervisor", "supervisor-demo")
    from eventrisk.queue import QueueFilter

    desk.queue_page(QueueFilter(upcoming_only=False), limit=500)  # the desk still opens
    problems = desk.verify_audit().problems
    assert any(p.startswith(ref) and "start 999-06-01T22:01:15Z is outside" in p
               for p in problems), problems
    desk.close()
