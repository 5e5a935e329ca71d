"""The PostgreSQL half of the tests: a server to test against, and fresh desks on it.

``EVENTRISK_TEST_PG`` names the server (a libpq URL of a role that may create databases and
roles); by default the local one CI runs, 127.0.0.1:5432 as ``postgres``.  With no server
there, the PostgreSQL tests are left out with one line saying so, unless
``EVENTRISK_REQUIRE_PG`` is set (as ``.ci/run`` and ``make test-pg`` set it), when they fail.
Each test process makes its own template desk once; each test copies it into a database of
its own (``CREATE DATABASE … TEMPLATE``) and drops it afterwards, so runs never meet.
"""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
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


def drop(name: str) -> None:
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


@contextmanager
def copy_of(source_url: str):
    """A new database copied from the desk at ``source_url`` (no one may be connected to
    it while it is copied): its name."""
    from psycopg.conninfo import conninfo_to_dict

    name = f"er_t_{uuid.uuid4().hex[:12]}"
    with admin() as conn:
        _create(conn, name, conninfo_to_dict(source_url)["dbname"])
    try:
        yield name
    finally:
        drop(name)


@contextmanager
def fresh_desk(empty: bool = False):
    """A new database holding a migrated desk (or nothing, with ``empty``): its name."""
    name = f"er_t_{uuid.uuid4().hex[:12]}"
    with admin() as conn:
        if empty:
            _create(conn, name)
        else:
            _create(conn, name, template())
    try:
        yield name
    finally:
        drop(name)
