"""The server desk as an insider attacks it (issue 30): each person is their own PostgreSQL
login, and a plain officer login with psql-equivalent SQL cannot raise its rights, rewrite or
wipe any entry, comment or decision, relax four eyes or forge a retention run.  Every attempt
is refused by the server itself, or reported by ``audit verify``; a supervisor login cannot
approve its own work, nor work it changed since the last approval.

The logins are made per test with unique names and dropped afterwards (``tests/pg.py``):
roles are the whole server's, and other test runs use it at the same time."""

from __future__ import annotations

from dataclasses import replace

import psycopg
import pytest

from eventrisk import audit, verify
from eventrisk.db import open_database
from eventrisk.desk import Desk
from eventrisk.errors import PermissionDenied
from eventrisk.model import Role, Status
from eventrisk.validation import validate_submission
from tests import pg
from tests.conftest import event_fields

pytestmark = pytest.mark.pg
PASSWORD = "a-Passw0rd!"


@pytest.fixture
def server():
    """A server desk with demo records (made by the DBA), and a login per person: its
    database's name and the logins by role."""
    with pg.fresh_desk() as name:
        dba = Desk.open(pg.url(name))
        dba.build_demo(venues=8, events=30, incidents=30, seed=4)
        dba.close()
        with pg.logins("officer", "officer", "supervisor", "supervisor", "admin", "") as made:
            people = dict(zip(("officer", "officer2", "supervisor", "supervisor2", "admin",
                               "norole"), made, strict=True))
            yield name, people


def person(name: str, login: str) -> Desk:
    """The desk as ``login`` signs in to it."""
    desk = Desk.open(pg.url(name, user=login))
    desk.sign_in(login, PASSWORD)
    return desk


def capture(desk: Desk, event_name: str):
    code = desk.db.execute("SELECT code FROM venues ORDER BY id LIMIT 1").fetchone()[0]
    return desk.save_submission(validate_submission(event_fields(event_name=event_name,
                                                                 venue_code=code)))


def in_review(desk: Desk, event_name: str):
    state = capture(desk, event_name)
    return desk.submit_for_review(state.submission.id, state.version)


def verified(name: str) -> verify.VerifyReport:
    db = open_database(pg.url(name))
    try:
        return verify.verify_desk(db)
    finally:
        db.close()


def refused(conn, sql: str, params=None) -> str:
    """Run ``sql`` as the connection's login; it must fail.  The server's reason."""
    try:
        conn.execute(sql, params)
    except psycopg.Error as exc:
        return str(exc)
    pytest.fail(f"the server let {conn.info.user} run {sql!r}")


# ---- the desk works with people as logins ----------------------------------------------------

def test_people_sign_in_as_their_logins_and_the_server_names_every_actor(server):
    name, people = server
    officer = person(name, people["officer"])
    assert officer.user.username == people["officer"] and officer.user.role is Role.OFFICER
    assert not officer.may("approve") and officer.logins()
    state = in_review(officer, "Login Night")
    boss = person(name, people["supervisor"])
    assert boss.user.role is Role.SUPERVISOR
    approved = boss.approve(state.submission.id, state.version)
    assert approved.status is Status.APPROVED
    assert approved.submission.captured_by == people["officer"]
    rows = boss.db.execute("SELECT actor, written_by FROM audit_log WHERE entity = "
                           "'submission' AND entity_id = ? ORDER BY id",
                           [str(state.submission.id)]).fetchall()
    assert {r[0] for r in rows} == {people["officer"], people["supervisor"]}
    assert all(actor == login for actor, login in rows)
    review = boss.db.execute("SELECT u.username FROM reviews r JOIN users u ON u.id = "
                             "r.reviewer_id WHERE r.submission_id = ?",
                             [state.submission.id]).fetchone()[0]
    assert review == people["supervisor"]
    # No password hash is kept for a login, and none can be read by one.
    hashes = open_database(pg.url(name))
    assert hashes.execute("SELECT password_hash FROM users WHERE username IN (?, ?)",
                          [people["officer"], people["supervisor"]]).fetchall() == [("",), ("",)]
    hashes.close()
    with pytest.raises(PermissionDenied, match="refused"):
        boss.db.execute("SELECT password_hash FROM users")
    officer.close()
    boss.close()
    report = verified(name)
    assert report.ok, report.problems


def test_a_login_without_a_desk_role_may_not_work_the_desk(server):
    name, people = server
    desk = Desk.open(pg.url(name, user=people["norole"]))
    with pytest.raises(Exception, match="holds no desk role"):
        desk.sign_in(people["norole"], PASSWORD)
    desk.close()
    with pg.as_login(name, people["norole"]) as conn:
        assert conn.execute("SELECT count(*) FROM submissions").fetchone()[0] > 0  # may read
        refused(conn, "INSERT INTO audit_log (at, actor, action, prev_hash, hash) VALUES "
                      "('x', %s, 'x', 'x', 'x')", [people["norole"]])
        refused(conn, "UPDATE submissions SET notes = 'x'")


# ---- a plain officer login with psql ------------------------------------------------------------

# Statements that change, remove or redefine the record or the schema: each refused.
_REFUSED = (
    "UPDATE audit_log SET actor = 'mallory' WHERE id = 1",
    "DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)",
    "TRUNCATE audit_log",
    "UPDATE assessments SET grade = 'LOW'",
    "DELETE FROM assessments",
    "TRUNCATE assessments",
    "UPDATE reviews SET comment = 'rewritten'",
    "DELETE FROM reviews",
    "UPDATE issued_documents SET sha256 = 'x'",
    "DELETE FROM issued_documents",
    "DROP TABLE audit_log",
    "ALTER TABLE audit_log DISABLE TRIGGER USER",
    "ALTER TABLE submissions DISABLE TRIGGER submissions_people",
    "DROP TRIGGER audit_log_immutable ON audit_log",
    "CREATE TABLE notes_of_my_own (x int)",
    "CREATE OR REPLACE FUNCTION eventrisk.desk_role() RETURNS text LANGUAGE sql "
    "RETURN 'admin'",
    "DROP FUNCTION eventrisk.four_eyes_relaxed()",
    "UPDATE eventrisk_migrations SET name = 'x'",
    "DELETE FROM retention_runs",
    "INSERT INTO retention_runs (txid, login, login_role, stamp) VALUES "
    "(pg_current_xact_id(), 'x', 'admin', 'x')",
    "UPDATE identity_since SET entry = 1000000",
    "DELETE FROM submissions",
)


def test_a_plain_officer_login_cannot_change_remove_or_redefine_the_record(server):
    name, people = server
    with pg.as_login(name, people["officer"]) as conn:
        for sql in _REFUSED:
            refused(conn, sql)
    assert verified(name).ok


def test_a_plain_officer_login_cannot_raise_its_rights_or_unlock_the_door(server):
    name, people = server
    me = people["officer"]
    with pg.as_login(name, me) as conn:
        # Self-promotion: neither a row nor a role.
        refused(conn, "UPDATE users SET role = 'admin' WHERE username = 'admin'")
        refused(conn, "INSERT INTO users (username, display_name, role) VALUES "
                      "('x', 'x', 'admin')")
        refused(conn, f"GRANT eventrisk_admin TO {me}")
        refused(conn, f"GRANT eventrisk_supervisor TO {me}")
        refused(conn, "SET ROLE eventrisk_admin")
        refused(conn, f"ALTER ROLE {me} CREATEROLE")
        # The hashes, the throttle and the desk's settings.
        refused(conn, "SELECT password_hash FROM users")
        refused(conn, "SELECT * FROM users")
        refused(conn, "DELETE FROM sign_in_failures")
        refused(conn, "INSERT INTO settings (key, value) VALUES ('four_eyes_relaxed', 'true')")
        refused(conn, "UPDATE settings SET value = 'true' WHERE key = 'four_eyes_relaxed'")
        refused(conn, "INSERT INTO retention_holds (kind, record_id, until, reason, "
                      "decided_by, decided_at) VALUES ('submissions', 1, 'x', 'x', 'x', 'x')")
        refused(conn, "UPDATE rulesets SET active = 0")
        # A temporary table named as a desk table changes nothing the server decides.
        conn.execute("CREATE TEMP TABLE settings (key text, value text)")
        conn.execute("INSERT INTO pg_temp.settings VALUES ('four_eyes_relaxed', 'true')")
        conn.execute("SET search_path = pg_temp, eventrisk")
        assert conn.execute("SELECT eventrisk.four_eyes_relaxed()").fetchone()[0] is False
    officer = person(name, me)
    assert officer.user.role is Role.OFFICER
    with pytest.raises(PermissionDenied):
        officer.retention_review()
    officer.close()
    assert verified(name).ok


def test_a_plain_officer_login_cannot_decide_or_forge_who_did_what(server):
    name, people = server
    me = people["officer"]
    other = person(name, people["officer2"])
    state = in_review(other, "Someone Else's Night")
    other.close()
    sub = state.submission.id
    db = open_database(pg.url(name))
    head = audit.head(db)
    db.close()
    with pg.as_login(name, me) as conn:
        # Decisions are a supervisor's.
        refused(conn, "UPDATE submissions SET status = 'approved' WHERE id = %s", [sub])
        refused(conn, "UPDATE submissions SET override_grade = 'LOW' WHERE id = %s", [sub])
        refused(conn, "UPDATE submissions SET status = 'returned' WHERE id = %s", [sub])
        # Nor round a decision: issued (or debriefed and back) without an approval.
        said = refused(conn, "UPDATE submissions SET status = 'issued' WHERE id = %s", [sub])
        assert "the workflow's moves only" in said
        refused(conn, "INSERT INTO reviews (submission_id, reviewer_id, decision, created_at) "
                      "VALUES (%s, 1, 'approve', 'x')", [sub])
        refused(conn, "INSERT INTO submissions (reference, event_name, venue_id, promoter_id, "
                      "starts_at, ends_at, night, status) SELECT 'ER-2026-900001', 'x', "
                      "venue_id, promoter_id, starts_at, ends_at, night, 'approved' "
                      "FROM submissions WHERE id = %s", [sub])
        # An entry in another's name, or one that does not chain or hash: refused.
        prev = conn.execute("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()[0]
        at = "2026-01-01T00:00:00Z"
        said = refused(conn, "INSERT INTO audit_log (at, actor, action, entity, entity_id, "
                             "detail, reason, prev_hash, hash) VALUES (%s, 'supervisor', 'x', "
                             "'', '', '{}', '', %s, %s)",
                       [at, prev, audit._content_hash(prev, at, "supervisor", "x", "", "",
                                                      "{}", "")])
        assert "must be the login that writes it" in said
        refused(conn, "INSERT INTO audit_log (at, actor, action, prev_hash, hash) VALUES "
                      "('2026-01-01T00:00:00Z', %s, 'x', %s, 'not-the-hash')", [me, prev])
        refused(conn, "INSERT INTO audit_log (at, actor, action, prev_hash, hash) VALUES "
                      "('2026-01-01T00:00:00Z', %s, 'x', %s, 'x')", [me, "0" * 64])
        # Who captured and who changed a scoring input are the server's to say.
        conn.execute("UPDATE submissions SET captured_by = 'someone', scoring_editors = '[]', "
                     "edited_by = 'someone' WHERE id = %s", [sub])
        row = conn.execute("SELECT captured_by, edited_by, scoring_editors FROM submissions "
                           "WHERE id = %s", [sub]).fetchone()
        assert row == (people["officer2"], me, "[]")
        conn.execute("UPDATE submissions SET expected_attendance = expected_attendance + 1 "
                     "WHERE id = %s", [sub])
        assert conn.execute("SELECT scoring_editors FROM submissions WHERE id = %s", [sub]
                            ).fetchone()[0] == f'["{me}"]'
    db = open_database(pg.url(name))
    try:
        assert audit.head(db) == head  # nothing was appended
        # What did get through (two raw updates outside any use case) changed no decision,
        # and the chain holds.
        assert audit.verify(db).ok
    finally:
        db.close()


def test_a_plain_officer_login_cannot_forge_a_retention_run_or_wipe_a_comment(server):
    name, people = server
    me = people["officer"]
    with pg.as_login(name, me) as conn:
        review, comment, sub = conn.execute(
            "SELECT id, comment, submission_id FROM reviews WHERE coalesce(comment, '') != '' "
            "ORDER BY id LIMIT 1").fetchone()
        entry = conn.execute("SELECT max(id) FROM audit_log").fetchone()[0]
        prev, at = conn.execute("SELECT hash, at FROM audit_log ORDER BY id DESC LIMIT 1"
                                ).fetchone()
        # A correctly chained retention.apply entry in its own name: not an administrator's
        # run, so refused.
        fields = [prev, at, me, "retention.apply", "", "", "{}", ""]
        digest = audit._content_hash(*fields)
        refused(conn, "INSERT INTO audit_log (at, actor, action, entity, entity_id, detail, "
                      "reason, prev_hash, hash) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [at, me, "retention.apply", "", "", "{}", "", prev, digest])
        refused(conn, "SELECT begin_retention_run('2026-01-01T00:00:00Z')")
        refused(conn, "SELECT anonymise_audit_entry(1, '{}', '', %s)", [entry])
        refused(conn, "SELECT anonymise_review_comment(%s)", [review])
        # Mark the event anonymised, to wipe its live comment: refused.
        refused(conn, "UPDATE submissions SET anonymised_at = '2026-01-01T00:00:00Z' "
                      "WHERE id = %s", [sub])
        assert conn.execute("SELECT comment FROM reviews WHERE id = %s", [review]
                            ).fetchone()[0] == comment
    assert verified(name).ok


def test_an_administrators_retention_run_anonymises_only_what_it_disposed_of(server):
    name, people = server
    boss = person(name, people["admin"])
    capture(boss, "Not Disposed Of")
    promoter = boss.db.execute("SELECT name FROM promoters WHERE coalesce(phone, '') != '' "
                               "ORDER BY id LIMIT 1").fetchone()[0]
    boss.correct_promoter(promoter, {"phone": "07700 900123"}, "They rang with a new number")
    count = boss.erase_promoter(promoter, "Asked us to")
    assert count > 0
    assert "07700" not in " ".join(r[0] or "" for r in boss.db.execute(
        "SELECT detail FROM audit_log WHERE entity = 'promoter'"))
    run = boss.db.execute("SELECT login, login_role, entry FROM retention_runs").fetchall()
    assert len(run) == 1 and run[0][:2] == (people["admin"], "admin") and run[0][2]
    # Even an administrator's login anonymises nothing outside the run, and inside one only
    # entries about what it disposed of, and only their personal keys.
    other = boss.db.execute("SELECT id FROM audit_log WHERE action = 'submission.create' "
                            "AND redacted_in IS NULL ORDER BY id LIMIT 1").fetchone()[0]
    with pg.as_login(name, people["admin"]) as conn:
        refused(conn, "SELECT anonymise_audit_entry(%s, '{}', '[anonymised]', %s)",
                [other, run[0][2]])
        conn.execute("BEGIN")
        conn.execute("SELECT begin_retention_run('2026-01-01T00:00:00Z')")
        refused(conn, "SELECT anonymise_audit_entry(%s, '{}', '[anonymised]', %s)",
                [other, run[0][2]])
        conn.execute("ROLLBACK")
    boss.close()
    report = verified(name)
    assert report.ok, report.problems


# ---- supervisors and four eyes on the server -------------------------------------------------

def test_a_supervisor_login_cannot_approve_its_own_capture(server):
    name, people = server
    boss = person(name, people["supervisor"])
    own = in_review(boss, "My Own Night")
    with pytest.raises(PermissionDenied, match="Four eyes"):
        boss.approve(own.submission.id, own.version)
    with pg.as_login(name, people["supervisor"]) as conn:
        said = refused(conn, "UPDATE submissions SET status = 'approved', version = version + 1 "
                             "WHERE id = %s", [own.submission.id])
        assert "four eyes" in said
        refused(conn, "INSERT INTO reviews (submission_id, reviewer_id, decision, created_at) "
                      "VALUES (%s, 1, 'approve', 'x')", [own.submission.id])
    other = person(name, people["supervisor2"])
    assert other.approve(own.submission.id, own.version).status is Status.APPROVED
    boss.close()
    other.close()


def test_a_supervisor_login_cannot_approve_after_changing_a_scoring_input(server,
                                                                           monkeypatch):
    """Another officer's capture; the supervisor changes a scoring input; the officer edits
    only the notes and resubmits.  The server refuses the supervisor's approval even when the
    app's own four-eyes check is taken away."""
    name, people = server
    officer = person(name, people["officer"])
    state = in_review(officer, "Resubmitted Night")
    sub_id = state.submission.id
    boss = person(name, people["supervisor"])
    changed = boss.save_submission(
        replace(state.submission, expected_attendance=state.submission.expected_attendance + 99,
                version=state.version), withdraw_reason="The venue rang")
    assert changed.submission.scoring_editors == (people["supervisor"],)
    noted = officer.save_submission(replace(changed.submission, notes="Checked"))
    again = officer.submit_for_review(sub_id, noted.version)
    with pytest.raises(PermissionDenied, match="scoring input"):
        boss.approve(sub_id, again.version)
    monkeypatch.setattr(Desk, "_four_eyes", lambda self, actor, sub, verb: {})
    with pytest.raises(PermissionDenied, match="four eyes"):
        boss.approve(sub_id, again.version)
    assert officer.assessment(sub_id).status is Status.IN_REVIEW
    monkeypatch.undo()
    other = person(name, people["supervisor2"])
    done = other.approve(sub_id, again.version)
    assert done.status is Status.APPROVED and done.submission.scoring_editors == ()
    other.close()
    officer.close()
    boss.close()


# ---- roles are given and taken by administrators -----------------------------------------------

def test_an_administrator_gives_and_takes_desk_roles_without_superuser(server):
    name, people = server
    boss = person(name, people["admin"])
    target = people["officer2"]
    with pg.admin() as conn:
        assert conn.execute("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = %s",
                            [people["admin"]]).fetchone()[0] is False
    boss.set_account_role(target, Role.SUPERVISOR, "Acting up")
    acting = person(name, target)
    assert acting.user.role is Role.SUPERVISOR
    acting.close()
    entry = audit.history(boss.db, "user", boss.db.execute(
        "SELECT id FROM users WHERE username = ?", [target]).fetchone()[0])[0]
    assert entry.action == "user.role" and entry.actor == people["admin"]
    assert entry.detail["from"] == "officer" and entry.detail["to"] == "supervisor"
    boss.set_account_active(target, False, "Left the unit")
    with pytest.raises(Exception, match="holds no desk role"):
        Desk.open(pg.url(name, user=target))
    # A supervisor may not give roles, and the last administrator keeps theirs.
    boss2 = person(name, people["supervisor"])
    with pytest.raises(PermissionDenied):
        boss2.set_account_role(target, Role.ADMIN)
    boss2.close()
    with pytest.raises(Exception, match="at least one login"):
        boss.set_account_role(people["admin"], Role.OFFICER)
    boss.close()
    assert verified(name).ok


# ---- what the owner weakened, audit verify reports ----------------------------------------------

def test_verify_reports_what_got_past_a_weakened_server(server):
    """The owner can switch off any trigger and grant anything; what a login then did is
    reported by plain `audit verify`: an entry in another's name, a retention run the server
    never recorded, and a privilege layout other than the grants script's."""
    name, people = server
    me = people["officer"]
    with psycopg.connect(pg.url(name), autocommit=True) as dba:
        dba.execute("ALTER TABLE eventrisk.audit_log DISABLE TRIGGER audit_log_people")
        dba.execute("GRANT UPDATE ON eventrisk.users TO eventrisk_officer")
        dba.execute("GRANT SELECT ON eventrisk.sign_in_failures TO eventrisk_desk")
    with pg.as_login(name, me) as conn:
        for actor, action in (("supervisor", "submission.approve"), (me, "retention.apply")):
            prev, at = conn.execute("SELECT hash, at FROM audit_log ORDER BY id DESC LIMIT 1"
                                    ).fetchone()
            fields = [prev, at, actor, action, "", "", "{}", ""]
            conn.execute("INSERT INTO audit_log (at, actor, action, entity, entity_id, detail, "
                         "reason, prev_hash, hash) VALUES (%s, %s, %s, '', '', '{}', '', %s, "
                         "%s)", [at, actor, action, prev, audit._content_hash(*fields)])
        forged = conn.execute("SELECT max(id) FROM audit_log").fetchone()[0]
    try:
        report = verified(name)
        problems = " | ".join(report.problems)
        assert not report.ok
        assert f"the actor is not the login that wrote audit entry {forged - 1}" in problems
        assert f"no retention run the server recorded wrote entry {forged}" in problems
        assert "eventrisk_officer may UPDATE users" in problems
        assert "eventrisk_desk may SELECT sign_in_failures" in problems
        assert "audit_log_people, which holds each login to its role, is disabled" in problems
    finally:
        with psycopg.connect(pg.url(name), autocommit=True) as dba:
            dba.execute("REVOKE UPDATE ON eventrisk.users FROM eventrisk_officer")
            dba.execute("REVOKE SELECT ON eventrisk.sign_in_failures FROM eventrisk_desk")


# ---- the command line ------------------------------------------------------------------------

def test_the_command_line_gives_and_takes_roles_as_the_administrators_login(server, capsys,
                                                                            tmp_path):
    from tests.conftest import password_file, run_cli

    name, people = server
    secret = password_file(tmp_path, PASSWORD)
    target = people["officer2"]
    code, out, err = run_cli(capsys, "--db", pg.url(name, user=people["officer"]), "--user",
                             people["officer"], "--password-file", secret, "role", target,
                             "admin")
    assert code == 1 and "may not manage user accounts" in err
    code, out, err = run_cli(capsys, "--db", pg.url(name, user=people["admin"]), "--user",
                             people["admin"], "--password-file", secret, "role", target,
                             "supervisor", "--reason", "Acting up")
    assert code == 0, err
    assert "is now supervisor" in out
    with pg.admin() as conn:
        assert conn.execute("SELECT pg_has_role(%s, 'eventrisk_supervisor', 'MEMBER')",
                            [target]).fetchone()[0]
    code, out, err = run_cli(capsys, "--db", pg.url(name, user=people["admin"]), "--user",
                             people["admin"], "--password-file", secret, "role", target, "none")
    assert code == 0 and "holds no desk role" in out, err
    with pg.admin() as conn:
        assert not conn.execute("SELECT pg_has_role(%s, 'eventrisk_officer', 'MEMBER')",
                                [target]).fetchone()[0]


def test_migrate_maps_each_file_account_to_a_login(tmp_path, capsys, monkeypatch):
    """Onto a server, each active account becomes a login: made where the connection may
    make roles and --create-logins says so, otherwise listed as the DBA's lines."""
    from eventrisk import users
    from tests.conftest import act_as, run_cli

    # Every account's name is this test's own: logins are the whole server's, and the test
    # must make none that another test run could meet (nor leave any behind).
    source = tmp_path / "desk.db"
    desk = Desk.open(source, create=True)
    tag = pg.uuid.uuid4().hex[:8]
    boss = desk.create_first_admin(f"er_m_{tag}_a", "Admin", "admin-Passw0rd")
    wanted = {boss.username: Role.ADMIN, f"er_m_{tag}_o": Role.OFFICER,
              f"er_m_{tag}_s": Role.SUPERVISOR}
    for login, role in wanted.items():
        if role is not Role.ADMIN:
            users.create_user(desk.db, boss, login, login, role, "temporary-1")
    desk.close()
    act_as(monkeypatch, tmp_path, boss.username, "admin-Passw0rd")
    try:
        with pg.fresh_desk() as listed, pg.fresh_desk() as made:
            code, out, err = run_cli(capsys, "migrate", "--from", source, "--to",
                                     pg.url(listed))
            assert code == 0, err
            for login, role in wanted.items():
                assert f'CREATE ROLE "{login}" LOGIN;' in out
                assert f'GRANT eventrisk_{role.value} TO "{login}"' in out
            assert f'GRANT eventrisk_admin TO "{boss.username}" WITH ADMIN OPTION;' in out
            code, out, err = run_cli(capsys, "migrate", "--from", source, "--to",
                                     pg.url(made), "--create-logins")
            assert code == 0, err
            for login, role in wanted.items():
                assert f"{login}: login made, eventrisk_{role.value}" in out
            check = open_database(pg.url(made))
            try:
                assert [check.execute("SELECT eventrisk.desk_role_of(?)", [login]).fetchone()[0]
                        for login in wanted] == [r.value for r in wanted.values()]
            finally:
                check.close()
    finally:
        with pg.admin() as conn:
            for login in wanted:
                conn.execute(f"DROP ROLE IF EXISTS {login}")


def test_the_about_box_says_who_keeps_each_person_to_their_role(server, tmp_path):
    name, people = server
    file_desk = Desk.open(tmp_path / "desk.db", create=True)
    said = file_desk.who_enforces()
    file_desk.close()
    assert "anyone who holds the file" in said.lower() and "belongs on a PostgreSQL server" \
        in said
    desk = person(name, people["officer"])
    assert "the PostgreSQL server enforces their role" in desk.who_enforces()
    desk.close()


# ---- upgrading a desk built with the shared workstation login ---------------------------------

# What a desk made before m020 lacks, taken away from a desk made now (the code that made such
# a desk is gone): m020's column, functions, tables and triggers, and its record; and the old
# grants script's rights for the shared workstation login.
_BEFORE_M020 = """
DROP TABLE eventrisk.retention_run_members, eventrisk.retention_runs, eventrisk.identity_since
  CASCADE;
DROP FUNCTION eventrisk.audit_log_people, eventrisk.submissions_people,
  eventrisk.reviews_people, eventrisk.anonymised_at_guard, eventrisk.editors_with,
  eventrisk.four_eyes_relaxed, eventrisk.begin_retention_run, eventrisk.enrol,
  eventrisk.at_workstation, eventrisk.desk_role, eventrisk.desk_role_of CASCADE;
ALTER TABLE eventrisk.submissions DROP COLUMN scoring_editors;
ALTER TABLE eventrisk.users ALTER COLUMN password_hash DROP DEFAULT;
DELETE FROM eventrisk.eventrisk_migrations WHERE name LIKE 'm020%';
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA eventrisk TO eventrisk_desk;
"""


def test_a_desk_of_the_shared_login_upgrades_in_place():
    """docs/postgresql.md's steps on a desk made before m020: its records and chain stay, the
    scoring editors since each event's last approval are worked out from the trail, the shared
    login may then only read, and each person works as their own login."""
    with pg.fresh_desk() as name:
        dba = Desk.open(pg.url(name))
        dba.build_demo(venues=6, events=20, incidents=10, seed=3)
        # A supervisor changes a scoring input of an officer's event.
        dba.sign_in("officer", "officer-demo")
        sub = capture(dba, "Before The Upgrade").submission.id
        dba.sign_in("supervisor", "supervisor-demo")
        state = dba.assessment(sub)
        dba.save_submission(replace(state.submission, min_age=21, version=state.version))
        head = audit.head(dba.db)
        dba.close()
        with psycopg.connect(pg.url(name), autocommit=True) as conn:
            conn.execute(_BEFORE_M020)
            assert conn.execute("SELECT has_table_privilege('eventrisk_desk', "
                                "'eventrisk.submissions', 'UPDATE')").fetchone()[0]
        # The steps: grants, init as the owner, grants again.
        pg.run_grants(name)
        open_database(pg.url(name), create=True).close()
        pg.run_grants(name)
        db = open_database(pg.url(name))
        try:
            assert audit.head(db) == head and audit.verify(db).ok
            editors = dict(db.execute("SELECT id, scoring_editors FROM submissions"))
            assert editors[sub] == '["supervisor"]'
            assert set(editors.values()) == {"[]", '["supervisor"]'}
            report = verify.verify_desk(db)
            assert report.ok, report.problems
        finally:
            db.close()
        with pg.as_login(name, pg.WORKSTATION) as conn:  # the shared login: read only now
            assert conn.execute("SELECT count(*) FROM submissions").fetchone()[0] == 21
            refused(conn, "UPDATE submissions SET notes = 'x'")
        with pg.logins("officer") as (login,):
            officer = person(name, login)
            saved = capture(officer, "After The Upgrade")
            assert saved.submission.captured_by == login
            officer.close()


def test_the_servers_workflow_moves_are_the_apps():
    from eventrisk.pg import schema
    from eventrisk.workflow import TRANSITIONS

    assert set(schema._MOVES) == {f"{s.value}>{t.target.value}" for t in TRANSITIONS.values()
                                  for s in t.sources if s is not t.target}


def test_the_servers_personal_keys_are_the_apps():
    from eventrisk import anonymise
    from eventrisk.pg import schema

    assert set(schema._PERSONAL_KEYS) == set(anonymise.PERSONAL)


def test_a_grade_changed_behind_the_desks_back_is_reported_by_verify(server):
    """What the server lets an officer write (the working tables), outside any use case, no
    decision's record can hide: verify compares every submission with its trail."""
    name, people = server
    with pg.as_login(name, people["officer"]) as conn:
        ref = conn.execute("UPDATE submissions SET grade = 'LOW', grade_rank = 0 WHERE id = ("
                           "SELECT min(id) FROM submissions WHERE grade <> 'LOW') RETURNING "
                           "reference").fetchone()[0]
    report = verified(name)
    assert not report.ok and any(ref in p and "grade" in p for p in report.problems), \
        report.problems
