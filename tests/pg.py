"""The PostgreSQL half of the tests: a server to test against, and fresh desks on it.

``EVENTRISK_TEST_PG`` names the server (a libpq URL of a role that may create databases and
roles); by default the local one CI runs, 127.0.0.1:5432 as ``postgres``.  With no server
there, the PostgreSQL tests are left out with one line saying so, unless
``EVENTRISK_REQUIRE_PG`` is set (as ``.ci/run`` and ``make test-pg`` set it), when they fail.
Each test process makes its own template desk once, and each test has a database of its own,
so runs never meet.  A database a test has finished with is emptied, filled again with what
the test's starting desk held, and kept for this process's next test (``_pooled``): copying a
template database costs the server about 0.15 s of CPU, some 80 s over the suite, and
refilling a test desk of a few hundred rows a few milliseconds.  Whatever a test did to the
schema, its grants, triggers or functions, the database is dropped instead.
"""

from __future__ import annotations

import atexit
import os
import uuid
from collections.abc import Callable
from contextlib import contextmanager, suppress
from functools import cache
from pathlib import Path

SERVER = os.environ.get("EVENTRISK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
GRANTS = Path(__file__).resolve().parents[1] / "docs" / "postgresql-grants.sql"
WORKSTATION = "eventrisk_test_workstation"  # a login in eventrisk_desk, as a desk PC has


def required() -> bool:
    return os.environ.get("EVENTRISK_REQUIRE_PG", "") not in ("", "0")


@cache
def unavailable() -> str:
    """Why there is no server to test against ('' when there is one)."""
    import psycopg

    try:
        with psycopg.connect(SERVER, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return ""


def url(dbname: str, user: str | None = None) -> str:
    """The test server's URL for another database (and role)."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    parts = conninfo_to_dict(SERVER)
    parts["dbname"] = dbname
    if user:
        parts["user"] = user
    return make_conninfo(**parts)


def admin():
    import psycopg

    return psycopg.connect(SERVER, autocommit=True)


def workstation(dbname: str):
    """A plain connection as the workstations' login, in the desk's schema, as someone with
    psql on a desk PC has (autocommit: each statement on its own)."""
    import psycopg

    return psycopg.connect(url(dbname, user=WORKSTATION), autocommit=True,
                           options="-c search_path=eventrisk")


def run_grants(dbname: str) -> None:
    """docs/postgresql-grants.sql, as the database's administrator runs it."""
    import psycopg

    with psycopg.connect(url(dbname), autocommit=True) as conn:
        conn.execute(GRANTS.read_text(encoding="utf-8"))


def _create(conn, name: str, template: str = "template0") -> None:
    conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" LOCALE \'C.UTF-8\'')
    # A commit returns before its record reaches the disk: only a crash of the server could
    # tell the difference, and no test crashes it.  (Each of the suite's thousands of commits
    # would otherwise wait on the disk.)
    conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')


def drop(name: str) -> None:
    _forget(name)
    with admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _ensure_workstation(conn) -> None:
    import psycopg

    try:
        conn.execute(f"CREATE ROLE {WORKSTATION} LOGIN IN ROLE eventrisk_desk")
    except (psycopg.errors.DuplicateObject, psycopg.errors.UniqueViolation):
        pass  # another test process made it


@cache
def template() -> str:
    """A desk made as docs/postgresql.md says (grants, init as the owner, grants again),
    once per test process, for tests to copy."""
    from eventrisk.db import open_database

    name = f"er_tmpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with admin() as conn:
        _create(conn, name)
    import atexit

    atexit.register(drop, name)
    run_grants(name)
    open_database(url(name), create=True).close()
    run_grants(name)
    with admin() as conn:
        _ensure_workstation(conn)
    return name


# Everything about the desk's schema that a test could change and emptying the tables would
# not put back: its tables, columns, constraints, triggers (and whether they are enabled),
# functions, grants and owners, and the database's own settings.
_SHAPE = """
SELECT md5(string_agg(x, '|' ORDER BY x)) FROM (
  SELECT 'c ' || c.relname || ' ' || c.relkind::text || ' ' || coalesce(c.relacl::text, '')
         || ' ' || c.relowner::regrole::text
  FROM pg_class c WHERE c.relnamespace = 'eventrisk'::regnamespace
  UNION ALL
  SELECT 'a ' || a.attrelid::regclass::text || ' ' || a.attname || ' '
         || format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull::text
         || ' ' || coalesce(a.attacl::text, '')
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
  WHERE c.relnamespace = 'eventrisk'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT 'k ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
  FROM pg_constraint WHERE connamespace = 'eventrisk'::regnamespace
  UNION ALL
  SELECT 't ' || t.tgrelid::regclass::text || ' ' || t.tgname || ' ' || t.tgenabled::text
         || ' ' || md5(pg_get_triggerdef(t.oid))
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
  WHERE c.relnamespace = 'eventrisk'::regnamespace
  UNION ALL
  SELECT 'p ' || p.oid::regprocedure::text || ' ' || md5(p.prosrc) || ' '
         || coalesce(p.proacl::text, '') || ' ' || p.prosecdef::text || ' '
         || p.proowner::regrole::text
  FROM pg_proc p WHERE p.pronamespace = 'eventrisk'::regnamespace
  UNION ALL
  SELECT 'n ' || coalesce(nspacl::text, '') || ' ' || nspowner::regrole::text
  FROM pg_namespace WHERE nspname = 'eventrisk'
  UNION ALL
  SELECT 'd ' || coalesce(datacl::text, '') FROM pg_database WHERE datname = current_database()
  UNION ALL
  SELECT 's ' || array_to_string(setconfig, ',') FROM pg_db_role_setting
  WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
) AS shape (x)"""


# A desk as a test starts on it: its shape, every table's rows and every sequence's position.
Contents = tuple[str, dict[str, bytes], list[tuple]]


def contents_of(dbname: str) -> Contents:
    """What the database ``dbname`` holds: its shape, every table's rows (COPY's own text,
    byte for byte) and every sequence's position."""
    import psycopg

    with psycopg.connect(url(dbname), autocommit=True) as conn:
        shape = conn.execute(_SHAPE).fetchone()[0]
        tables: dict[str, bytes] = {}
        for (table,) in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = "
                                     "'eventrisk' ORDER BY 1").fetchall():
            with conn.cursor() as cur, cur.copy(f"COPY eventrisk.{table} TO STDOUT") as copy:
                tables[table] = b"".join(bytes(part) for part in copy)
        sequences = conn.execute(
            "SELECT format('%I.%I', schemaname, sequencename), coalesce(last_value, 1), "
            "last_value IS NOT NULL FROM pg_sequences WHERE schemaname = 'eventrisk'"
        ).fetchall()
    return shape, tables, sequences


def _refill(name: str, contents: Contents) -> bool:
    """Make the database ``name`` hold exactly ``contents`` (False, changing nothing, if its
    schema is not the same shape)."""
    import psycopg

    try:
        return _refill_on(_connection(name), name, contents)
    except psycopg.OperationalError:  # the kept connection was lost: once more on a new one
        _forget(name)
        return _refill_on(_connection(name), name, contents)


# A connection kept to each of this process's databases for refilling it: a new one starts
# with nothing cached about the desk's tables and their indexes, and filling them again took
# it three times as long (45 ms rather than 16 for a small demo desk, and 5 ms to connect).
# It is idle between refills, in no transaction, holding no lock.
_KEPT: dict[str, object] = {}


def _connection(name: str):
    import psycopg

    conn = _KEPT.get(name)
    if conn is None or conn.closed:
        conn = _KEPT[name] = psycopg.connect(url(name), autocommit=True)
    return conn


def _forget(name: str) -> None:
    conn = _KEPT.pop(name, None)
    if conn is not None:
        with suppress(Exception):
            conn.close()


def _refill_on(conn, name: str, contents: Contents) -> bool:
    shape, tables, sequences = contents
    # Whatever a test left connected (it could hold locks, or go on writing).
    conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                 "WHERE datname = %s AND pid <> pg_backend_pid()", [name])
    if conn.execute(_SHAPE).fetchone()[0] != shape:
        return False
    with conn.transaction():
        # As the server's superuser: no trigger fires (the immutable tables' included)
        # and no foreign key is checked while the rows are replaced.
        conn.execute("SET LOCAL session_replication_role = replica")
        conn.execute("; ".join(f"DELETE FROM eventrisk.{t}" for t in tables))
        with conn.cursor() as cur:
            for table, rows in tables.items():
                if rows:
                    with cur.copy(f"COPY eventrisk.{table} FROM STDIN") as copy:
                        copy.write(rows)
            if sequences:  # one statement for all: a round trip each cost more
                cur.execute("SELECT " + ", ".join("setval(%s, %s, %s)" for _ in sequences),
                            [v for sequence in sequences for v in sequence])
    return True


_FREE: list[str] = []  # this process's databases, emptied and waiting for a test
_MINE: set[str] = set()


@atexit.register
def _drop_mine() -> None:
    for name in list(_MINE):
        with suppress(Exception):
            drop(name)


@cache
def template_contents() -> Contents:
    return contents_of(template())


def _new_name() -> str:
    return f"er_t_{uuid.uuid4().hex[:12]}"


@cache
def _refillable() -> bool:
    """Refilling needs the server's superuser (no triggers or foreign keys while the rows are
    replaced); with any other role each test gets a fresh copy and drops it, as it did before."""
    with admin() as conn:
        return bool(conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
                                 ).fetchone()[0])


@contextmanager
def _pooled(source: str, contents: Callable[[], Contents]):
    """A database of this process's holding what ``source`` holds (``contents()``): a kept one
    refilled, or a new copy of ``source`` if none is free or fits; kept afterwards."""
    import psycopg

    name = None
    while _FREE and name is None:
        candidate = _FREE.pop()
        try:
            fits = _refill(candidate, contents())
        except psycopg.Error:
            fits = False
        if fits:
            name = candidate
        else:
            _MINE.discard(candidate)
            drop(candidate)
    if name is None:
        name = _new_name()
        _forget(source)  # a template may have no one else connected
        with admin() as conn:
            _create(conn, name, source)
        _MINE.add(name)
    try:
        yield name
    finally:
        _FIXED.pop(name, None)  # what it held as a template is gone with its test
        if _refillable():
            _FREE.append(name)
        else:
            _MINE.discard(name)
            drop(name)


_FIXED: dict[str, Contents] = {}  # contents of templates that no test changes, by name


@contextmanager
def copy_of(source_url: str, fixed: bool = False):
    """A new database holding what the desk at ``source_url`` holds: its name.  With
    ``fixed`` (a module's template, which tests only ever copy) its contents are read once
    in this process rather than for every copy."""
    from psycopg.conninfo import conninfo_to_dict

    source = conninfo_to_dict(source_url)["dbname"]

    def contents() -> Contents:
        if fixed:
            if source not in _FIXED:
                _FIXED[source] = contents_of(source)
            return _FIXED[source]
        return contents_of(source)

    with _pooled(source, cache(contents)) as name:
        yield name


@contextmanager
def fresh_desk(empty: bool = False):
    """A new database holding a migrated desk (or nothing, with ``empty``): its name."""
    if not empty:
        with _pooled(template(), template_contents) as name:
            yield name
        return
    name = _new_name()
    with admin() as conn:
        _create(conn, name)
    try:
        yield name
    finally:
        drop(name)


# ---- people as logins (issue 30) ----------------------------------------------------------------

DESK_GROUPS = {"officer": "eventrisk_officer", "supervisor": "eventrisk_supervisor",
               "admin": "eventrisk_admin"}


@contextmanager
def logins(*roles: str, password: str = "a-Passw0rd!"):
    """Per-person logins for a test, one per role named (``"officer"``, ``"supervisor"``,
    ``"admin"``, or ``""`` for a login with no desk role): their names, unique to this test
    (logins are the whole server's, and other test runs share it), dropped afterwards.  An
    administrator's login gets its role WITH ADMIN OPTION, as the DBA gives the first one."""
    import psycopg

    names = [f"er_p_{uuid.uuid4().hex[:10]}" for _ in roles]
    with admin() as conn:
        for name, role in zip(names, roles, strict=True):
            conn.execute(f"CREATE ROLE {name} LOGIN PASSWORD '{password}'")
            if role:
                conn.execute(f"GRANT {DESK_GROUPS[role]} TO {name}"
                             + (" WITH ADMIN OPTION" if role == "admin" else ""))
            else:
                conn.execute(f"GRANT eventrisk_desk TO {name}")
    try:
        yield names
    finally:
        with admin() as conn:
            for name in names:
                conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE usename = %s", [name])
                with suppress(psycopg.Error):
                    conn.execute(f"DROP ROLE IF EXISTS {name}")


def as_login(dbname: str, login: str):
    """A plain connection as ``login`` in the desk's schema, as someone with psql has
    (autocommit: each statement on its own)."""
    import psycopg

    return psycopg.connect(url(dbname, user=login), autocommit=True,
                           options="-c search_path=eventrisk")
