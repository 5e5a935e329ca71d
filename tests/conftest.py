"""Shared fixtures: real databases built through the app's own open-and-migrate path."""

from __future__ import annotations

import hashlib
import sqlite3
from contextlib import closing, contextmanager
from datetime import datetime, timedelta
from functools import cache

import pytest

from eventrisk import submissions, users, venues
from eventrisk.db import DeskDatabase, open_database
from eventrisk.model import Role, Submission, Venue
from eventrisk.timeutil import local_to_utc, now_utc
from eventrisk.validation import validate_submission


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashing():
    """Argon2 at production cost takes a tenth of a second a hash, and tests make hundreds
    (a demo desk alone makes three accounts): every test, and every desk a module or session
    builds, hashes cheaply from the start.  Hashes carry their own parameters, so anything
    hashed here verifies anywhere.  The tests of production hashing swap it back in."""
    from argon2 import PasswordHasher

    saved = users.HASHER
    users.HASHER = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    yield
    users.HASHER = saved


@cache
def _migrated() -> DeskDatabase:
    """One empty desk, migrated once per test process by the app's own path, that every
    fresh test desk is copied from (SQLite's backup: a millisecond, where migrating takes a
    twentieth of a second)."""
    return open_database(":memory:")


def memory_desk() -> DeskDatabase:
    """A new in-memory desk (a property test makes one per example)."""
    conn = sqlite3.connect(":memory:")
    _migrated().conn.backup(conn)
    db = DeskDatabase(conn)
    db.execute("PRAGMA foreign_keys = ON")  # per connection, as open_database sets it
    return db


@pytest.fixture
def desk_path(request, tmp_path):
    """Where the test's desk is: a file, or a database on the PostgreSQL test server."""
    if getattr(request, "param", "sqlite") == "postgresql":
        from tests import pg

        with pg.fresh_desk() as name:
            yield pg.url(name)
        return
    with closing(sqlite3.connect(tmp_path / "desk.db")) as conn:
        _migrated().conn.backup(conn)
    yield str(tmp_path / "desk.db")


@pytest.fixture
def db(desk_path):
    database = open_database(desk_path)
    yield database
    database.close()


@pytest.fixture
def admin(db):
    return users.create_user(db, None, "admin", "Desk Admin", Role.ADMIN, "admin-password")


@pytest.fixture
def officer(db, admin):
    return users.create_user(db, admin, "officer", "Alex Officer", Role.OFFICER, "officer-pass")


@pytest.fixture
def supervisor(db, admin):
    return users.create_user(db, admin, "supervisor", "Sam Super", Role.SUPERVISOR, "super-pass")


@pytest.fixture
def venue(db, admin) -> Venue:
    return venues.create_venue(db, admin, Venue(
        code="HKN-0001", name="The Canal Arches", address="1 Mare Street", postcode="E8 1AA",
        borough="Hackney", capacity=400, latest_finish="03:00"))


def event_fields(**overrides) -> dict:
    """Raw form values for a valid upcoming event, as an officer would type them."""
    start = (now_utc() + timedelta(days=20)).astimezone().replace(
        hour=22, minute=0, second=0, microsecond=0, tzinfo=None)
    fields = {
        "event_name": "Winter Social", "venue_code": "HKN-0001", "promoter_name": "Lantern Events",
        "event_type": "club_night", "start": start.isoformat(timespec="minutes"),
        "end": (start + timedelta(hours=4)).isoformat(timespec="minutes"),
        "expected_attendance": "300", "ticketing": "advance_only", "min_age": "18",
        "alcohol": "true", "door_supervisors": "6", "search_regime": "search_arch",
        "cctv": "true", "id_scanning": "true", "dispersal_plan": "true", "medical_cover": "true",
    }
    fields.update(overrides)
    return fields


@pytest.fixture
def make_submission(db, officer, venue):
    def make(**overrides) -> Submission:
        return submissions.create(db, officer, validate_submission(event_fields(**overrides)))
    return make


def london(text: str) -> datetime:
    """A London wall-clock time as an aware UTC datetime."""
    return local_to_utc(datetime.fromisoformat(text))


def run_cli(capsys, *args) -> tuple[int, str, str]:
    """Run ``eventrisk`` in-process: (exit status, stdout, stderr)."""
    from eventrisk.cli import main

    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def password_file(folder, password: str, mode: int = 0o600):
    """A file holding ``password`` on its first line, private unless ``mode`` says not."""
    path = folder / f"pw-{hashlib.sha256(password.encode()).hexdigest()[:12]}"
    path.write_text(password + "\n", encoding="utf-8")
    path.chmod(mode)
    return path


def act_as(monkeypatch, folder, user: str, password: str):
    """Make the command line sign in as ``user``, with a private password file in
    ``folder``; returns the file."""
    secret = password_file(folder, password)
    monkeypatch.setenv("EVENTRISK_USER", user)
    monkeypatch.setenv("EVENTRISK_PASSWORD_FILE", str(secret))
    return secret



# ---- both backends ------------------------------------------------------------------------
# Every test that uses a desk (the ``desk_path`` fixture, through ``db`` and the rest) runs
# on a file and on the PostgreSQL test server, unless it is marked ``sqlite_only`` (tests about
# files: backups, journals, permissions, SQLite's own planner and triggers).

def pytest_generate_tests(metafunc):
    if "desk_path" in metafunc.fixturenames:
        backends = ["sqlite"]
        if not metafunc.definition.get_closest_marker("sqlite_only"):
            backends.append(pytest.param("postgresql", marks=pytest.mark.pg))
        metafunc.parametrize("desk_path", backends, indirect=True)


def pytest_collection_modifyitems(config, items):
    from tests import pg

    # A test marked sqlite_only whose desk comes from a fixture of both backends.
    planner = [i for i in items if i.get_closest_marker("sqlite_only")
               and "postgresql" in getattr(getattr(i, "callspec", None), "params", {}).values()]
    if planner:
        config.hook.pytest_deselected(items=planner)
        items[:] = [i for i in items if i not in planner]
    _leave_out_real_input_without_x(config, items)
    wanted = [i for i in items if i.get_closest_marker("pg")]
    if not wanted:
        return
    why = pg.unavailable()
    if not why:
        return
    config.hook.pytest_deselected(items=wanted)
    items[:] = [i for i in items if not i.get_closest_marker("pg")]


def _leave_out_real_input_without_x(config, items) -> None:
    """The real-input tests (tests/ui/realinput) need Xvfb, xdotool and openbox: without
    them they are left out, and the report header says so in one line."""
    from tests.ui.realinput import harness

    real = [i for i in items if "realinput" in i.nodeid.split("::")[0]]
    if real and harness.unavailable() and not harness.required():
        config.hook.pytest_deselected(items=real)
        items[:] = [i for i in items if i not in real]


def pytest_sessionstart(session):
    from tests import pg
    from tests.ui.realinput import harness

    if harness.required() and harness.unavailable():
        pytest.exit(f"EVENTRISK_REQUIRE_XVFB is set, but the real-input tests cannot run: "
                    f"{harness.unavailable()}", returncode=3)

    if pg.required() and pg.unavailable():
        pytest.exit(f"EVENTRISK_REQUIRE_PG is set, but the PostgreSQL test server {pg.SERVER} "
                    f"cannot be reached: {pg.unavailable()}", returncode=3)


def pytest_report_header(config):
    from tests import pg
    from tests.ui.realinput import harness

    lines = []
    if harness.unavailable():
        lines.append(f"Real input: {harness.unavailable()}, so tests/ui/realinput is left out "
                     "(install them as .ci/run does; see docs/ui-rules.md).")
    why = pg.unavailable()
    if lines:
        return lines + ([f"PostgreSQL: {pg.SERVER}"] if not why else
                        [] if pg.required() else
                        [f"PostgreSQL: no server at {pg.SERVER} ({why}), so the PostgreSQL "
                         "half is left out; start one (or set EVENTRISK_TEST_PG) and run "
                         "'make test-pg'."])
    if why and not pg.required():
        return (f"PostgreSQL: no server at {pg.SERVER} ({why}), so the PostgreSQL half is "
                "left out; start one (or set EVENTRISK_TEST_PG) and run 'make test-pg'.")
    return f"PostgreSQL: {pg.SERVER}" if not why else None


# ---- what an insider can do, on either backend ---------------------------------------------

# The errors a database raises when a trigger or a grant refuses a change.
def refused_errors() -> tuple[type[BaseException], ...]:
    import psycopg

    return (sqlite3.DatabaseError, psycopg.errors.IntegrityConstraintViolation,
            psycopg.errors.InsufficientPrivilege)


def tamper(db, sql: str, params=()) -> None:
    """Change the records behind the triggers' back, as an insider can: with the file and a
    SQLite shell (drop the triggers, change, put them back), or as the server's owner
    (disable them, change, enable)."""
    if getattr(db, "dialect", None) is not None and db.dialect.server:
        tables = ("audit_log", "reviews", "assessments", "issued_documents")
        for table in tables:
            db.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        try:
            db.execute(sql, list(params) or None)
        finally:
            for table in tables:
                db.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        return
    triggers = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND "
                          "(name LIKE '%_no_update' OR name LIKE '%_no_delete')").fetchall()
    for name, _ in triggers:
        db.execute(f"DROP TRIGGER {name}")
    db.execute(sql, params)
    for _, text in triggers:
        db.execute(text)
    db.conn.commit()


def columns_of(db) -> dict[str, set[str]]:
    """Every table's columns, on either backend."""
    if getattr(db, "dialect", None) is not None and db.dialect.server:
        out: dict[str, set[str]] = {}
        for table, column in db.execute(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = 'eventrisk'"):
            out.setdefault(table, set()).add(column)
        return out
    return {t: set(db[t].columns_dict) for t in db.table_names()}


@contextmanager
def hold_write_lock(path):
    """Another workstation in the middle of a change: it holds the desk's write lock (the
    file's, or the server's advisory lock) until the block ends."""
    from eventrisk.pg import is_server

    if is_server(path):
        import psycopg

        from eventrisk.pg.connection import WRITE_LOCK

        with psycopg.connect(str(path)) as holder:
            holder.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK])
            yield
            holder.rollback()
        return
    holder = sqlite3.connect(path)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        holder.rollback()
        holder.close()


@pytest.fixture
def copy_desk(tmp_path):
    """``copy_desk(source, name)``: a copy of a desk for this test, a file in its folder or a
    database on the server, gone afterwards.  (No one may have the source open on a server.)"""
    import shutil
    from contextlib import ExitStack

    from eventrisk.pg import is_server

    with ExitStack() as stack:
        def copy(source, name: str) -> str:
            if is_server(source):
                from tests import pg

                return pg.url(stack.enter_context(pg.copy_of(str(source))))
            target = tmp_path / name
            shutil.copy(source, target)
            return str(target)
        yield copy



# A module-scoped desk on each backend: ``@pytest.fixture(scope="module", params=BACKENDS)``,
# then ``with module_desk(request, tmp_path_factory) as path:``.
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)]


@contextmanager
def module_desk(request, tmp_path_factory):
    """An empty migrated desk for a module's tests: a file, or a database on the test server
    dropped when the block ends."""
    if request.param == "postgresql":
        from tests import pg

        with pg.fresh_desk() as name:
            yield pg.url(name)
        return
    yield str(tmp_path_factory.mktemp("desk") / "desk.db")
