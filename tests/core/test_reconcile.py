"""Every table that carries a decision or a right is reconciled with its audit entries, and
anonymising cannot launder history (issue 31 row 1, issue 30's laundering on a file).

Each attack is made as a careful insider with the file would: where a trigger stands in the
way it is dropped and put back exactly as it was, so the schema check cannot see it; plain
``audit verify`` must still name the damage.  The laundering attacks are also tried as issue 30
describes them, without dropping anything: the triggers of m017 refuse them."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from eventrisk import anonymise, audit, canonical
from eventrisk.desk import Desk
from eventrisk.model import Grade
from eventrisk.timeutil import now_utc, to_db
from eventrisk.verify import verify_desk


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A training desk with each kind of decision (approve, return, override), an issued
    assessment, a changed setting and a locked account."""
    path = tmp_path_factory.mktemp("reconcile") / "desk.db"
    desk = Desk.open(path, create=True)
    desk.build_demo(venues=6, events=80, incidents=30, seed=7)
    desk.sign_in("officer", "officer-demo")
    for sid, in desk.db.execute("SELECT id FROM submissions WHERE status = 'assessed'"
                                ).fetchall():
        desk.submit_for_review(sid, desk.assessment(sid).version)
    desk.sign_in("supervisor", "supervisor-demo")
    waiting = [r[0] for r in desk.db.execute(
        "SELECT id FROM submissions WHERE status = 'in_review' AND coalesce(captured_by, '') "
        "!= 'supervisor' ORDER BY id")]
    assert len(waiting) >= 3
    state = desk.approve(waiting[0], desk.assessment(waiting[0]).version, "Agreed")
    desk.issue(waiting[0], state.version, desk.render_assessment(waiting[0]))
    desk.return_to_officer(waiting[1], desk.assessment(waiting[1]).version, "Check the doors")
    grade = desk.assessment(waiting[2]).grade
    desk.override(waiting[2], desk.assessment(waiting[2]).version,
                  Grade.CRITICAL if grade is not Grade.CRITICAL else Grade.HIGH,
                  "Known dispute between the two crews on the bill")
    desk.sign_in("admin", "admin-demo")
    desk.set_setting("idle_lock_minutes", 30)
    desk.close()
    return path


@pytest.fixture
def desk_file(template, tmp_path):
    path = tmp_path / "desk.db"
    shutil.copy(template, path)
    return path


def tamper(path: Path, *statements: str | tuple[str, list],
           tables: tuple[str, ...] = ()) -> None:
    """Run ``statements`` (SQL, or SQL and its parameters) with every trigger on ``tables``
    dropped, then put each back exactly as it was."""
    conn = sqlite3.connect(path)
    saved = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND "
                         "tbl_name IN (SELECT value FROM json_each(?))",
                         [json.dumps(tables)]).fetchall()
    for name, _ in saved:
        conn.execute(f"DROP TRIGGER {name}")
    for statement in statements:
        conn.execute(*((statement,) if isinstance(statement, str) else statement))
    for _, sql in saved:
        conn.execute(sql)
    conn.commit()
    conn.close()


def problems(path: Path) -> list[str]:
    desk = Desk.open(path)
    try:
        return verify_desk(desk.db).problems
    finally:
        desk.close()


def test_the_untouched_desk_reconciles(desk_file):
    desk = Desk.open(desk_file)
    report = verify_desk(desk.db)
    desk.close()
    assert report.ok, report.problems
    assert report.reviews >= 3 and report.issued == 1 and report.accounts == 3


# ---- issue 31, row 1: each caught by plain verify ------------------------------------------

ROW_1 = {
    "issued sha256 changed": (
        ["UPDATE issued_documents SET sha256 = 'ab' || substr(sha256, 3)"],
        ("issued_documents",), "issued document 1 has SHA-256 ab"),
    "forged issued document": (
        ["INSERT INTO issued_documents (submission_id, assessment_id, sha256, issued_at, "
         "issued_by) SELECT id, assessment_id, '" + "f" * 64 + "', '2026-01-01T00:00:00Z', "
         "'supervisor' FROM submissions WHERE status = 'approved' ORDER BY id LIMIT 1"],
        (), "has no audit entry recording its issue"),
    "issued document deleted": (
        ["DELETE FROM issued_documents"], ("issued_documents",),
        "records an issued document of"),
    "review comment edited": (
        ["UPDATE reviews SET comment = 'Approved after a call with the DPS' WHERE comment = "
         "'Known dispute between the two crews on the bill'"], ("reviews",),
        "its comment differs from the one its entry"),
    "review reviewer changed": (
        ["UPDATE reviews SET reviewer_id = (SELECT id FROM users WHERE username = 'admin') "
         "WHERE comment = 'Agreed'"], ("reviews",), "names admin as reviewer"),
    "review decision changed": (
        ["UPDATE reviews SET decision = 'approve' WHERE decision = 'return'"], ("reviews",),
        "is a decision to approve but its entry"),
    "forged review": (
        ["INSERT INTO reviews (submission_id, assessment_id, reviewer_id, decision, comment, "
         "grade_before, grade_after, created_at) SELECT submission_id, assessment_id, "
         "reviewer_id, 'approve', 'fine', grade_before, grade_before, created_at FROM reviews "
         "WHERE decision = 'return'"], (), "has no audit entry (added outside EventRisk)"),
    "review deleted": (
        ["DELETE FROM reviews WHERE decision = 'override'"], ("reviews",),
        "(submission.override by supervisor) has no review row"),
    "officer made admin": (
        ["UPDATE users SET role = 'admin' WHERE username = 'officer'"], (),
        "account officer: role is admin in the table but officer by its audit trail"),
    "account deactivated by hand": (
        ["UPDATE users SET active = 0 WHERE username = 'supervisor'"], (),
        "account supervisor: active is 0 in the table but 1"),
    "account forged": (
        ["INSERT INTO users (username, display_name, role, password_hash, active, created_at) "
         "VALUES ('mallory', 'Mallory', 'admin', 'x', 1, '2026-01-01T00:00:00Z')"], (),
        "account mallory: no audit entry records its creation"),
    "admin's password hash swapped": (
        ["UPDATE users SET password_hash = (SELECT password_hash FROM users WHERE username = "
         "'officer') WHERE username = 'admin'"], (),
        "account admin: its password hash is not the one entry"),
    "four eyes relaxed": (
        ["INSERT INTO settings (key, value) VALUES ('four_eyes_relaxed', 'true')"], (),
        "setting four_eyes_relaxed: is true but no audit entry records a change of it"),
    "setting changed again": (
        ["UPDATE settings SET value = '0' WHERE key = 'idle_lock_minutes'"], (),
        "setting idle_lock_minutes: is 0 but its last change"),
    "training marker removed": (
        ["DELETE FROM settings WHERE key = 'training'"], (),
        "no longer marked so"),
}


@pytest.mark.parametrize("statements, tables, finding", ROW_1.values(), ids=ROW_1.keys())
def test_row_1_is_caught_by_plain_verify(desk_file, statements, tables, finding):
    tamper(desk_file, *statements, tables=tables)
    found = problems(desk_file)
    assert any(finding in p for p in found), found


def test_a_locked_account_unlocked_by_hand_is_caught(desk_file):
    desk = Desk.open(desk_file)
    for _ in range(10):
        try:
            desk.sign_in("officer", "wrong password")
        except Exception:  # noqa: BLE001 - the throttle answers with AuthError
            pass
        desk.db.execute("UPDATE sign_in_failures SET last_failed_at = '2000-01-01T00:00:00Z'")
        desk.db.conn.commit()
    assert desk.db.execute("SELECT locked FROM users WHERE username = 'officer'"
                           ).fetchone()[0] == 1
    assert verify_desk(desk.db).ok
    desk.close()
    tamper(desk_file, "UPDATE users SET locked = 0 WHERE username = 'officer'",
           "DELETE FROM sign_in_failures")
    assert "account officer: locked is 0 in the table but 1 by its audit trail" \
        in problems(desk_file)


# ---- issue 30's laundering, on a file ------------------------------------------------------

def _override_entry(conn: sqlite3.Connection) -> tuple:
    return conn.execute(f"SELECT {audit.ENTRY_COLUMNS} FROM audit_log WHERE action = "
                        "'submission.override'").fetchone()


def _forge_run(conn: sqlite3.Connection, target: tuple, reason: str) -> int:
    """Append a correctly chained retention.apply whose members' digest is computed over the
    override entry as it will look, and return its position."""
    detail, _ = anonymise.redacted(target[6], target[7])
    member = (*target[:6], detail, reason, *target[8:10])
    head_id, head_hash = conn.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1"
                                      ).fetchone()
    at = "2026-12-01T00:00:00Z"
    run = canonical.dumps({"actions": {}, "anonymised_entries": 1, "counts": {},
                           "members_digest": anonymise.members_digest([member]),
                           "schedule": "1"})
    run_detail = audit.detail_text(json.loads(run))
    digest = hashlib.sha256(audit.canonical(head_hash, at, "admin", "retention.apply", "", "",
                                            run_detail, "")).hexdigest()
    conn.execute("INSERT INTO audit_log (at, actor, action, entity, entity_id, detail, reason, "
                 "prev_hash, hash) VALUES (?, 'admin', 'retention.apply', '', '', ?, '', ?, ?)",
                 [at, run_detail, head_hash, digest])
    return head_id + 1


@pytest.mark.parametrize("reason", ["Grade raised on the DPS's own advice", "[anonymised]"],
                         ids=["justification rewritten", "justification anonymised"])
def test_history_rewritten_is_refused_and_caught(desk_file, reason):
    conn = sqlite3.connect(desk_file)
    target = _override_entry(conn)
    run = _forge_run(conn, target, reason)
    conn.commit()
    detail, _ = anonymise.redacted(target[6], target[7])
    rewrite = ("UPDATE audit_log SET redacted_in = ?, detail = ?, reason = ? WHERE id = ?",
               [run, detail, reason, target[0]])
    if reason == anonymise.MARK:  # the placeholder passes the trigger
        conn.execute(*rewrite)
        conn.commit()
        conn.close()
    else:
        with pytest.raises(sqlite3.IntegrityError, match="immutable"):
            conn.execute(*rewrite)  # refused as issue 30 tried it, no trigger dropped
        conn.close()
        tamper(desk_file, rewrite, tables=("audit_log",))  # the careful insider
    found = problems(desk_file)
    assert not any(p.startswith("schema:") for p in found), found
    assert any(f"was anonymised by run {run}, which did not dispose of submission "
               f"{target[5]}" in p for p in found), found
    assert any("its comment differs from the one its entry" in p for p in found), found
    if reason != anonymise.MARK:
        assert any(f"entry {target[0]}: its reason was rewritten" in p for p in found), found


def test_a_live_comment_wiped_is_refused_and_caught(desk_file):
    conn = sqlite3.connect(desk_file)
    sid = conn.execute("SELECT submission_id FROM reviews WHERE decision = 'override'"
                       ).fetchone()[0]
    # As issue 30: mark the event anonymised, wipe the comment, unmark it.
    conn.execute("UPDATE submissions SET anonymised_at = '2026-12-01T00:00:00Z' WHERE id = ?",
                 [sid])
    conn.execute("UPDATE reviews SET comment = '[anonymised]' WHERE submission_id = ?", [sid])
    with pytest.raises(sqlite3.IntegrityError, match="stays anonymised"):
        conn.execute("UPDATE submissions SET anonymised_at = NULL WHERE id = ?", [sid])
    conn.commit()
    ref = conn.execute("SELECT reference FROM submissions WHERE id = ?", [sid]).fetchone()[0]
    conn.close()
    found = problems(desk_file)
    assert f"{ref}: marked anonymised, but no retention run anonymised it (changed outside " \
           "EventRisk)" in found
    assert any("its comment was anonymised but its entry" in p for p in found), found
    # Without the marker the trigger refuses the wipe itself.
    other = sqlite3.connect(desk_file)
    with pytest.raises(sqlite3.IntegrityError, match="immutable"):
        other.execute("UPDATE reviews SET comment = '[anonymised]' WHERE decision = 'return'")
    other.close()
    # The careful insider who drops the triggers and unmarks the event is still caught.
    tamper(desk_file, "UPDATE submissions SET anonymised_at = NULL",
           tables=("submissions", "reviews"))
    found = problems(desk_file)
    assert any("its comment was anonymised but its entry" in p for p in found), found


def test_a_forged_run_over_a_whole_live_event_is_caught(desk_file):
    """The insider goes all the way: a run that anonymises a coming event (its retention
    entry, its row, its comments and entries), consistently chained.  The event had not taken
    place, so no schedule can have made it due."""
    conn = sqlite3.connect(desk_file)
    sid, ref = conn.execute("SELECT s.id, s.reference FROM submissions s JOIN reviews r ON "
                            "r.submission_id = s.id WHERE r.decision = 'override' AND "
                            "s.starts_at > strftime('%Y-%m-%dT%H:%M:%SZ', 'now')").fetchone()
    conn.close()
    desk = Desk.open(desk_file)
    desk.sign_in("admin", "admin-demo")
    work = anonymise.Work(desk.db, "admin", to_db(now_utc()))
    with desk.db.atomic():
        work.dispose("submissions", "anonymise", [sid])
        work.finish("retention.apply", {"schedule": "1"})
    desk.close()
    found = problems(desk_file)
    assert any(f"anonymised {ref}, which was not due" in p for p in found), found


def test_a_broken_schedule_file_leaves_verify_working(desk_file, tmp_path, monkeypatch):
    """Verify reads the schedule in use to judge each retention run; a broken schedule file
    means nothing is known of its periods (the run is judged by the rest), never a crash."""
    conn = sqlite3.connect(desk_file)
    sid = conn.execute("SELECT id FROM submissions WHERE starts_at < "
                       "strftime('%Y-%m-%dT%H:%M:%SZ', 'now') ORDER BY starts_at").fetchone()[0]
    conn.close()
    desk = Desk.open(desk_file)
    desk.sign_in("admin", "admin-demo")
    work = anonymise.Work(desk.db, "admin", to_db(now_utc()))
    with desk.db.atomic():
        work.dispose("submissions", "anonymise", [sid])
        work.finish("retention.apply", {"schedule": "1"})
    desk.close()
    bad = tmp_path / "retention.toml"
    bad.write_text("this is [not toml", encoding="utf-8")
    monkeypatch.setenv("EVENTRISK_RETENTION", str(bad))
    assert isinstance(problems(desk_file), list)  # judged, not crashed
