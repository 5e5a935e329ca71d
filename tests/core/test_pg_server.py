"""The PostgreSQL server as a desk's home: made as its owner, enforcing what the app
promises against the workstations' own role, and a desk moved onto it and back with its
audit chain intact.  (The rest of the core suite runs on both backends through the
``desk_path`` fixture; these are about the server itself.)"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import psycopg
import pytest

from eventrisk import audit, move, verify
from eventrisk.db import open_database
from eventrisk.desk import Desk
from eventrisk.errors import StorageError
from eventrisk.pg import is_server, schema, shown
from eventrisk.validation import validate_submission
from tests import pg
from tests.conftest import event_fields, run_cli
from tests.core import workstations

pytestmark = pytest.mark.pg
CTX = workstations.CTX


@pytest.fixture
def server_desk():
    """A migrated, empty desk on the test server: its name."""
    with pg.fresh_desk() as name:
        yield name


def test_a_workstation_opens_only_a_desk_made_by_its_own_release(server_desk):
    """A desk a newer release has changed, or one waiting for this release's update: each is
    refused in a sentence saying who does what, and nothing is changed."""
    url = pg.url(server_desk)
    latest = schema.MIGRATIONS[-1][0]
    for change, refused in (
            ("INSERT INTO eventrisk.eventrisk_migrations VALUES ('m099_from_the_future', "
             "'2030-01-01T00:00:00Z')", "made by a newer EventRisk \\(it has m099"),
            ("DELETE FROM eventrisk.eventrisk_migrations WHERE name = 'm099_from_the_future'; "
             f"DELETE FROM eventrisk.eventrisk_migrations WHERE name = '{latest}'",
             "needs an update this workstation may not make")):
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(change)
            before = conn.execute("SELECT name FROM eventrisk.eventrisk_migrations ORDER BY 1"
                                  ).fetchall()
            with pytest.raises(StorageError, match=refused):
                open_database(url, create=False)
            assert conn.execute("SELECT name FROM eventrisk.eventrisk_migrations ORDER BY 1"
                                ).fetchall() == before


def _working_desk(url: str) -> Desk:
    """A desk with an administrator, an officer and a supervisor, signed in as the officer."""
    desk = Desk.open(url, create=True)
    desk.build_demo(venues=10, events=60, incidents=80, seed=5)
    desk.sign_in("officer", "officer-demo")
    return desk


def _as_person(server_desk: str, login: str) -> Desk:
    """The desk opened and signed in to as a person's own login (tests/pg.py ``logins``)."""
    desk = Desk.open(pg.url(server_desk, user=login))
    desk.sign_in(login, "a-Passw0rd!")
    return desk


def _capture(desk: Desk, name: str):
    """Save and score a new event called ``name`` at the desk's first venue."""
    code = desk.db.execute("SELECT code FROM venues ORDER BY id LIMIT 1").fetchone()[0]
    return desk.save_submission(validate_submission(event_fields(event_name=name,
                                                                 venue_code=code)))


# ---- naming the server -----------------------------------------------------------------------

@pytest.mark.parametrize("text, server", [
    ("postgresql://desk-server/eventrisk", True), ("postgres://u@h:5433/d", True),
    ("service=promoters-desk", True), ("host=10.0.0.5 dbname=eventrisk", True),
    ("/srv/share/desk.db", False), ("C:\\Desk\\desk.db", False), ("desk.db", False),
    ("service.db", False)])
def test_one_setting_names_a_file_or_a_server(text, server):
    assert is_server(text) is server


def test_a_password_in_the_url_is_never_shown():
    assert "s3cret" not in shown("postgresql://desk:s3cret@host/eventrisk")
    assert "s3cret" not in shown("host=h dbname=d password=s3cret")


def test_an_unreachable_server_is_one_sentence_naming_it_without_its_password():
    with pytest.raises(StorageError) as caught:
        open_database("postgresql://desk:s3cret@127.0.0.1:1/eventrisk")
    text = str(caught.value)
    assert "127.0.0.1" in text and "s3cret" not in text and "cannot be reached" in text


# ---- made by its owner ------------------------------------------------------------------------

def test_init_makes_every_object_as_the_owner_role():
    with pg.fresh_desk(empty=True) as name:
        pg.run_grants(name)
        open_database(pg.url(name), create=True).close()
        with psycopg.connect(pg.url(name)) as conn:
            owners = {r[0] for r in conn.execute(
                "SELECT tableowner FROM pg_tables WHERE schemaname = 'eventrisk'")}
            functions = {r[0] for r in conn.execute(
                "SELECT pg_get_userbyid(p.proowner) FROM pg_proc p JOIN pg_namespace n "
                "ON n.oid = p.pronamespace WHERE n.nspname = 'eventrisk'")}
        assert owners == {"eventrisk_owner"} and functions == {"eventrisk_owner"}


def test_init_before_the_grants_script_says_to_run_it_and_makes_nothing():
    with pg.fresh_desk(empty=True) as name:
        with psycopg.connect(pg.url(name), autocommit=True) as conn:
            conn.execute("DROP SCHEMA IF EXISTS eventrisk CASCADE")
        with pytest.raises(StorageError, match="postgresql-grants.sql"):
            open_database(pg.url(name), create=True)
        with psycopg.connect(pg.url(name)) as conn:
            assert conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname NOT IN "
                                "('pg_catalog', 'information_schema')").fetchone()[0] == 0


def test_a_workstation_cannot_open_a_desk_that_was_never_made():
    with pg.fresh_desk(empty=True) as name:
        pg.run_grants(name)
        with pytest.raises(StorageError, match="eventrisk init"):
            open_database(pg.url(name), create=False)


# ---- the server enforces the rules ------------------------------------------------------------

def test_the_workstation_role_works_the_desk_but_cannot_touch_the_record(server_desk):
    url = pg.url(server_desk)
    _working_desk(url).close()
    with pg.logins("officer", "supervisor") as (officer_login, boss_login):
        # Everything a desk officer and a supervisor do, each as their own login.
        officer = _as_person(server_desk, officer_login)
        state = _capture(officer, "Server Social")
        state = officer.submit_for_review(state.submission.id, state.version)
        boss = _as_person(server_desk, boss_login)
        approved = boss.approve(state.submission.id, state.version)
        assert approved.status.value == "approved"
        officer.close()
        boss.close()
        # And nothing of the record can be changed, removed or redefined by either login,
        # nor by the old shared workstation login.
        for login in (officer_login, boss_login, pg.WORKSTATION):
            _nothing_of_the_record_changes(server_desk, login)
    check = open_database(url)
    try:
        assert audit.verify(check).ok
        assert verify.verify_desk(check).ok
    finally:
        check.close()


def _nothing_of_the_record_changes(server_desk: str, login: str) -> None:
    refused = []
    with pg.as_login(server_desk, login) as conn:
        for sql in ("UPDATE audit_log SET actor = 'mallory' WHERE id = 1",
                    "DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)",
                    "TRUNCATE audit_log",
                    "UPDATE assessments SET grade = 'LOW'",
                    "DELETE FROM assessments",
                    "UPDATE reviews SET comment = 'rewritten'",
                    "DELETE FROM issued_documents",
                    "DROP TABLE audit_log",
                    "ALTER TABLE audit_log DISABLE TRIGGER USER",
                    "DROP TRIGGER audit_log_immutable ON audit_log",
                    "CREATE TABLE notes_of_my_own (x int)",
                    "CREATE FUNCTION eventrisk.julianday(t text) RETURNS float8 "
                    "LANGUAGE sql RETURN 0",
                    "UPDATE eventrisk_migrations SET name = 'x'"):
            try:
                conn.execute(sql)
            except psycopg.errors.InsufficientPrivilege:
                refused.append(sql)
            except psycopg.Error as exc:
                pytest.fail(f"{sql!r} failed otherwise: {exc}")
            else:
                pytest.fail(f"the server let the workstation role run {sql!r}")
    assert len(refused) == 13


def test_retention_anonymises_the_trail_from_a_workstation_only_through_the_owners_functions(
        server_desk):
    url = pg.url(server_desk)
    _working_desk(url).close()
    with pg.workstation(server_desk) as conn:  # the old shared login: no such right at all
        entry = conn.execute("SELECT max(id) FROM audit_log").fetchone()[0]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT anonymise_audit_entry(1, '{}', '', %s)", [entry])
    with psycopg.connect(url, autocommit=True) as conn:  # even the DBA, outside a run
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="retention run"):
            conn.execute("SELECT eventrisk.anonymise_audit_entry(1, '{}', '', %s)", [entry])


def test_verify_names_a_server_schema_its_owner_weakened(server_desk):
    url = pg.url(server_desk)
    _working_desk(url).close()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ALTER TABLE eventrisk.assessments DISABLE TRIGGER assessments_immutable")
        conn.execute("GRANT UPDATE ON eventrisk.audit_log TO eventrisk_desk")
    db = open_database(url)
    try:
        problems = " ".join(verify.verify_desk(db).problems)
    finally:
        db.close()
    assert "keeps assessments unchangeable is disabled" in problems
    assert "eventrisk_desk may UPDATE audit_log" in problems


# ---- concurrency done the server's way ----------------------------------------------------------

def test_many_workstations_writing_at_once_keep_one_linear_chain(server_desk):
    url = pg.url(server_desk)
    _working_desk(url).close()
    before = open_database(url)
    entries_before = before.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    events_before = before.execute("SELECT count(*) FROM submissions").fetchone()[0]
    before.close()
    out = CTX.Queue()
    procs = [CTX.Process(target=workstations.capture_many,
                         args=(url, "officer", "officer-demo", event_fields(), 8, out))
             for _ in range(4)]
    for proc in procs:
        proc.start()
    results = [out.get(timeout=120) for _ in procs]
    for proc in procs:
        proc.join(60)
        assert proc.exitcode == 0
    assert sorted(results) == ["saved 8"] * 4, results
    db = open_database(url)
    try:
        assert db.execute("SELECT count(*) FROM submissions").fetchone()[0] == events_before + 32
        # Each save is its event's creation and its first snapshot, in the trail in order.
        assert db.execute("SELECT count(*) FROM audit_log").fetchone()[0] > entries_before + 32
        result = audit.verify(db)
        assert result.ok, result.problem
        ids = [r[0] for r in db.execute("SELECT id FROM audit_log ORDER BY id")]
        assert ids == list(range(1, len(ids) + 1))  # no gap: no entry was lost or cut
    finally:
        db.close()


# ---- moving a desk --------------------------------------------------------------------------------

def test_a_file_desk_moves_to_the_server_and_back_with_every_record_and_its_chain(tmp_path,
                                                                                server_desk):
    source = tmp_path / "desk.db"
    desk = Desk.open(source, create=True)
    desk.build_demo(venues=12, events=250, incidents=300, seed=9)
    desk.sign_in("admin", "admin-demo")
    url = pg.url(server_desk)
    moved = desk.copy_to(url)
    assert moved.rows["submissions"] == 250 and moved.rows["audit_log"] == moved.head[0]
    server = Desk.open(url)
    server.sign_in("admin", "admin-demo")
    assert server.verify_audit().ok and desk.verify_audit().ok
    assert audit.head(server.db) == audit.head(desk.db) == moved.head
    for table in move.TABLES:
        theirs = server.db.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
        ours = desk.db.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
        assert len(theirs) == len(ours), table
    # The two backends compute every feature alike: both rescored at one moment make the
    # same snapshot of every event, digest for digest.
    moment = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    server.clock = desk.clock = lambda: moment
    server.rescore_all()
    desk.rescore_all()
    digests = "SELECT s.reference, a.digest FROM submissions s JOIN assessments a ON " \
              "a.id = s.assessment_id ORDER BY s.reference"
    ours = desk.db.execute(digests).fetchall()
    assert len(ours) > 200 and server.db.execute(digests).fetchall() == ours
    # And back into a file, for a training copy.
    copy = tmp_path / "training.db"
    back = server.copy_to(copy)
    assert back.head == audit.head(server.db)
    server.close()
    desk.close()
    again = Desk.open(copy)
    again.sign_in("admin", "admin-demo")
    assert again.verify_audit().ok
    again.close()


def test_a_desk_is_copied_only_into_an_empty_one(tmp_path, server_desk):
    url = pg.url(server_desk)
    _working_desk(url).close()
    source = tmp_path / "desk.db"
    desk = Desk.open(source, create=True)
    desk.build_demo(venues=10, events=20, incidents=10, seed=2)
    desk.sign_in("admin", "admin-demo")
    with pytest.raises(StorageError, match="only into an empty one"):
        desk.copy_to(url)
    existing = tmp_path / "exists.db"
    existing.write_bytes(b"x")
    with pytest.raises(StorageError, match="already exists"):
        desk.copy_to(existing)
    desk.close()


def test_migrate_on_the_command_line(tmp_path, server_desk, capsys, monkeypatch):
    from tests.conftest import act_as

    source = tmp_path / "desk.db"
    desk = Desk.open(source, create=True)
    desk.build_demo(venues=10, events=30, incidents=20, seed=3)
    head = audit.head(desk.db)
    desk.close()
    act_as(monkeypatch, tmp_path, "officer", "officer-demo")
    code, _, err = run_cli(capsys, "migrate", "--from", source, "--to", pg.url(server_desk))
    assert code == 1 and "may not" in err  # only an administrator moves a desk
    act_as(monkeypatch, tmp_path, "admin", "admin-demo")
    code, out, err = run_cli(capsys, "migrate", "--from", source, "--to", pg.url(server_desk))
    assert code == 0, err
    assert f"{head[0]}:{head[1][:20]}" in out and "30 submissions" in out
    code, out, err = run_cli(capsys, "--db", pg.url(server_desk), "audit", "verify")
    assert code == 0 and f"head {head[0]}:{head[1][:20]}" in out, err
    code, out, err = run_cli(capsys, "--db", pg.url(server_desk), "queue", "--json",
                             "--include-past")
    assert code == 0 and len(json.loads(out)) == 30


# ---- backup and restore with PostgreSQL's tools -------------------------------------------------

def test_a_server_desk_is_backed_up_by_pg_dump_and_restored_by_pg_restore(tmp_path,
                                                                         server_desk):
    url = pg.url(server_desk)
    desk = _working_desk(url)
    desk.sign_out()
    desk.sign_in("admin", "admin-demo")
    target = tmp_path / "desk.backup"
    desk.backup(target)
    assert target.read_bytes()[:5] == b"PGDMP" and (target.stat().st_mode & 0o077) == 0
    recorded = desk.db.execute("SELECT detail FROM audit_log WHERE action = 'database.backup'"
                               ).fetchone()[0]
    held = json.loads(recorded)
    # Work done after the backup ...
    events = desk.db.execute("SELECT count(*) FROM submissions").fetchone()[0]
    _capture(desk, "After The Backup")
    # ... is gone once it is restored, and the restore itself is in the restored trail.
    done = desk.restore_from(target)
    assert done.kept_aside is None
    desk.sign_in("admin", "admin-demo")
    assert desk.db.execute("SELECT count(*) FROM submissions").fetchone()[0] == events
    last = desk.db.execute("SELECT action, detail FROM audit_log ORDER BY id DESC LIMIT 1"
                           ).fetchone()
    assert last[0] == "database.restore"
    assert json.loads(last[1])["backup_head"] == [held["position"], held["hash"]]
    assert desk.verify_audit().ok
    # The workstations keep exactly their rights: the grants came back with the tables.
    with pg.workstation(server_desk) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM audit_log")
    desk.close()


def test_without_the_client_tools_a_backup_says_what_to_install(tmp_path, server_desk,
                                                               monkeypatch):
    desk = _working_desk(pg.url(server_desk))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(StorageError, match="pg_dump is not installed.*postgresql-client"):
        desk.backup(tmp_path / "desk.backup")
    assert not list(tmp_path.glob("desk.backup*"))
    desk.close()


def test_a_parallel_rescore_on_the_server_makes_the_snapshots_one_process_makes_on_a_file(
        tmp_path, server_desk, monkeypatch):
    from eventrisk import demo
    from eventrisk.scoring import service
    from eventrisk.users import find_user

    moment = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
    source = tmp_path / "desk.db"
    db = open_database(source)
    demo.build(db, venues=12, events=240, incidents=160, seed=9)
    admin = Desk(db, str(source))
    admin.sign_in("admin", "admin-demo")
    admin.copy_to(pg.url(server_desk))
    service.score_all(db, find_user(db, "supervisor"), now=moment)
    monkeypatch.setattr(service, "CHUNK", 37)  # many chunks, each shared with the worker
    server = open_database(pg.url(server_desk))
    results = service.score_all(server, find_user(server, "supervisor"), now=moment,
                                parallel_from=1)
    query = ("SELECT s.reference, s.status, s.grade, a.digest FROM submissions s "
             "JOIN assessments a ON a.id = s.assessment_id ORDER BY s.reference")
    try:
        assert len(results) > 200
        assert server.execute(query).fetchall() == db.execute(query).fetchall()
        assert audit.verify(server).ok
    finally:
        server.close()
        db.close()


def test_the_queue_search_finds_the_same_events_on_both_backends(tmp_path, server_desk):
    from eventrisk.queue import QueueFilter

    source = tmp_path / "desk.db"
    desk = Desk.open(source, create=True)
    desk.build_demo(venues=15, events=300, incidents=50, seed=12)
    desk.sign_in("officer", "officer-demo")
    code = desk.db.execute("SELECT code FROM venues ORDER BY id LIMIT 1").fetchone()[0]
    for name in ("Zoë's Birthday Night", "Rock'n'Roll All-Nighter", "ABC-123 Launch Party",
                 "under_score social", "Warehouse 2026"):
        desk.save_submission(validate_submission(event_fields(event_name=name,
                                                              venue_code=code)))
    desk.sign_out()
    desk.sign_in("admin", "admin-demo")
    desk.copy_to(pg.url(server_desk))
    server = Desk.open(pg.url(server_desk))
    server.sign_in("officer", "officer-demo")
    desk.sign_out()
    desk.sign_in("officer", "officer-demo")
    words = {w for (n,) in desk.db.execute("SELECT name FROM venues") for w in n.split()}
    queries = ["zoë", "Zoë's", "rock n roll", "all-night", "abc 123", "ABC-12", "under",
               "score", "warehouse 2026", "ware", "the", "ER-2026", "ER-2026-00001", "ER",
               "'", "%", "_", "night party", *sorted(words)[:12]]
    found_any = 0
    for text in queries:
        for upcoming in (True, False):
            flt = QueueFilter(text=text, upcoming_only=upcoming)
            ours = [r.reference for r in desk.queue_page(flt, limit=500)]
            theirs = [r.reference for r in server.queue_page(flt, limit=500)]
            assert theirs == ours, (text, upcoming)
            assert server.queue_count(flt) == desk.queue_count(flt), text
            found_any += bool(ours)
    assert found_any > 20  # the corpus is searched, not just missed on both sides
    server.close()
    desk.close()


def test_a_dropped_connection_fails_one_action_in_a_sentence_and_the_next_reconnects(
        server_desk):
    from eventrisk.db import is_environment_failure, storage_error
    from eventrisk.queue import QueueFilter

    url = pg.url(server_desk)
    desk = _working_desk(url)
    desk.queue_page(QueueFilter())
    pid = desk.db.execute("SELECT pg_backend_pid()").fetchone()[0]
    with pg.admin() as admin:  # the server restarts, or the network drops the line
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    with pytest.raises(psycopg.OperationalError) as caught:
        desk.queue_page(QueueFilter())
    assert is_environment_failure(caught.value)
    said = str(storage_error(caught.value, url))
    assert said.startswith("The desk's server") and "\n" not in said
    assert not desk.db.conn.in_transaction
    # The next action connects again, as the same person, with nothing lost.
    assert desk.queue_page(QueueFilter())
    state = _capture(desk, "After The Drop")
    assert state.submission.id and desk.db.execute("SELECT pg_backend_pid()").fetchone()[0] != pid
    assert audit.verify(desk.db).ok
    desk.close()


def test_both_backends_end_their_migrations_with_the_same_tables_and_columns(server_desk):
    from tests.conftest import columns_of

    file_desk = open_database(":memory:")
    server = open_database(pg.url(server_desk))
    try:
        ours = {t: c for t, c in columns_of(file_desk).items()
                if not t.startswith("_sqlite") and "_fts" not in t}
        theirs = {t: c for t, c in columns_of(server).items() if t not in schema.SERVER_ONLY}
        theirs["audit_log"] = theirs["audit_log"] - {"written_by"}  # the server's own stamp
        assert theirs == ours
        assert schema.applied(server) == sorted(
            r[0] for r in file_desk.execute("SELECT name FROM _sqlite_migrations"))
    finally:
        server.close()
        file_desk.close()


def test_the_server_stamps_each_entry_with_the_login_that_wrote_it(server_desk):
    _working_desk(pg.url(server_desk)).close()
    with pg.logins("officer") as (login,):
        desk = _as_person(server_desk, login)
        _capture(desk, "Stamped")
        last = desk.db.execute("SELECT actor, written_by FROM audit_log ORDER BY id DESC "
                               "LIMIT 1").fetchone()
        desk.close()
        assert last == (login, login)
    with psycopg.connect(pg.url(server_desk), autocommit=True) as conn:
        conn.execute("BEGIN")
        conn.execute("INSERT INTO eventrisk.audit_log (at, actor, action, prev_hash, hash, "
                     "written_by) VALUES ('x', 'x', 'x', 'x', 'x', 'someone_else')")
        claimed = conn.execute("SELECT written_by FROM eventrisk.audit_log ORDER BY id DESC "
                               "LIMIT 1").fetchone()[0]
        conn.execute("ROLLBACK")
        assert claimed == conn.info.user  # not for the writer to choose


def test_a_workstation_cannot_blank_a_supervisors_comment_outside_a_retention_run(
        server_desk):
    url = pg.url(server_desk)
    _working_desk(url).close()
    with pg.workstation(server_desk) as conn:
        review, comment = conn.execute(
            "SELECT id, comment FROM reviews WHERE coalesce(comment, '') != '' ORDER BY id "
            "LIMIT 1").fetchone()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT anonymise_review_comment(%s)", [review])
        after = conn.execute("SELECT comment FROM reviews WHERE id = %s", [review]).fetchone()
    assert after[0] == comment  # not a retention run's: nothing changed


def test_a_test_database_is_put_back_exactly_or_dropped():
    """The suite keeps a finished test's database for the next test (tests/pg.py): it must
    then hold exactly the starting desk, ids included, and a database whose schema a test
    changed must be dropped rather than handed on."""
    from eventrisk import users
    from eventrisk.model import Role

    def ids_after_one_more_user(name):
        db = open_database(pg.url(name))
        user = users.create_user(db, None, "someone", "Someone", Role.ADMIN, "a-password")
        db.close()
        return user.id

    with pg.fresh_desk() as first:
        first_id = ids_after_one_more_user(first)
        db = open_database(pg.url(first))
        db.execute("INSERT INTO settings (key, value) VALUES ('idle_lock_minutes', '7')")
        db.close()
    with pg.fresh_desk() as second:
        assert second == first  # the same database, put back
        assert pg.contents_of(second) == pg.template_contents()
        assert ids_after_one_more_user(second) == first_id
        with psycopg.connect(pg.url(second), autocommit=True) as conn:
            conn.execute("ALTER TABLE eventrisk.audit_log DISABLE TRIGGER USER")
    with pg.fresh_desk() as third:
        assert third != second
        with pg.admin() as conn:
            assert conn.execute("SELECT count(*) FROM pg_database WHERE datname = %s",
                                [second]).fetchone()[0] == 0
        assert pg.contents_of(third) == pg.template_contents()
