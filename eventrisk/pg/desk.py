"""Opening a desk on a PostgreSQL server, and making one (``eventrisk init`` as the owner)."""

from __future__ import annotations

import psycopg

from eventrisk.errors import PermissionDenied, StorageError
from eventrisk.pg import schema, shown
from eventrisk.pg.connection import SCHEMA, PgDatabase, connect, server_error

OWNER = "eventrisk_owner"  # owns the schema and every object in it (docs/postgresql-grants.sql)
DESK = "eventrisk_desk"  # the workstations' group: no DDL, no UPDATE or DELETE on the records
# Collations under which text sorts by code point, as SQLite compares it: the queue and
# every list then order the same on both backends.
_BYTEWISE = {"C", "POSIX", "C.UTF-8", "C.utf8", "ucs_basic"}


def open_server(target: str, *, create: bool, timeout: float,
                login: dict | None = None) -> PgDatabase:
    """Open the desk at ``target``; with ``create`` (``eventrisk init``), make or bring its
    schema up to date as the owner role first.  ``login``: a person's ``user`` and
    ``password`` for libpq (``eventrisk.pg.identity``)."""
    raw = connect(target, timeout=timeout, **(login or {}))
    db = PgDatabase(raw, target, timeout, login)
    try:
        if create:
            _initialise(db)
        done = schema.applied(db)
        if not done:
            raise StorageError(f"The desk's server {shown(target)} has no EventRisk desk yet; "
                               "its owner runs 'eventrisk init' there first (see "
                               "docs/postgresql.md).")
        known = {name for name, _ in schema.MIGRATIONS}
        newer = sorted(set(done) - known)
        if newer:
            raise StorageError(f"The desk on {shown(target)} was made by a newer EventRisk (it "
                               f"has {newer[-1]}); update this workstation first. Nothing was "
                               "changed.")
        if schema.missing(done):
            raise StorageError(f"The desk on {shown(target)} needs an update this workstation "
                               "may not make; its owner runs 'eventrisk init' there with this "
                               "release.")
    except psycopg.Error as exc:
        db.close()
        raise server_error(exc, target) from exc
    except PermissionDenied as exc:
        db.close()
        raise StorageError(f"The desk's server {shown(target)} refused this login: it holds no "
                           "desk role there (an administrator gives one: eventrisk role NAME "
                           "officer).") from exc
    except BaseException:
        db.close()
        raise
    return db


def _initialise(db: PgDatabase) -> None:
    from eventrisk.timeutil import now_utc, to_db

    found = db.execute("SELECT datcollate FROM pg_database WHERE datname = current_database()"
                       ).fetchone()
    collation = found[0] if found else ""
    if collation not in _BYTEWISE:
        raise StorageError(
            f"The database sorts text by the {collation} locale, so lists would come out in "
            "another order than on a desk file. Create it with LOCALE 'C.UTF-8' TEMPLATE "
            "template0, as docs/postgresql-grants.sql does.")
    has_owner = db.execute("SELECT pg_has_role(current_user, ?, 'MEMBER') FROM pg_roles "
                           "WHERE rolname = ?", [OWNER, OWNER]).fetchone()
    if not has_owner or not has_owner[0]:
        raise StorageError(f"'eventrisk init' on a server runs as a member of the role {OWNER}, "
                           "which owns the desk's tables; run docs/postgresql-grants.sql as "
                           "the database's administrator first, and connect as its owner.")
    owner_of = db.execute("SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = "
                          "?", [SCHEMA]).fetchone()
    if owner_of is None or owner_of[0] != OWNER:
        raise StorageError(f"The schema {SCHEMA} must exist and belong to {OWNER}; run "
                           "docs/postgresql-grants.sql as the database's administrator "
                           "first.")
    db.execute(f"SET ROLE {OWNER}")
    try:
        schema.apply(db, to_db(now_utc()))
    finally:
        db.execute("RESET ROLE")
