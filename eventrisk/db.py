"""Opening the database, and turning SQLite's failures into one clear sentence."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Generator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database

from eventrisk.errors import StorageError
from eventrisk.migrations import MIGRATIONS, known_names
from eventrisk.privatefiles import create_private

BUSY_TIMEOUT_SECONDS = 5.0


def busy_timeout() -> float:
    """Seconds to wait for another writer: ``EVENTRISK_BUSY_TIMEOUT`` or 5."""
    try:
        return float(os.environ.get("EVENTRISK_BUSY_TIMEOUT", BUSY_TIMEOUT_SECONDS))
    except ValueError:
        return BUSY_TIMEOUT_SECONDS


class DeskDatabase(Database):
    """A sqlite-utils ``Database`` whose outermost ``atomic()`` starts with ``BEGIN IMMEDIATE``.

    A deferred ``BEGIN`` takes its write lock only at the first write; if another workstation
    holds it then, SQLite answers "database is locked" at once, without waiting, because
    waiting could deadlock.  Taking the write lock at the start makes every use case wait its
    turn for up to the busy timeout instead.  Nested blocks are savepoints, as before.
    """

    @contextmanager
    def atomic(self) -> Generator[Database, None, None]:
        if self.conn.in_transaction:
            with super().atomic():
                yield self
            return
        self.conn.execute("BEGIN IMMEDIATE")
        with committed(lambda: self.conn.execute("COMMIT"), self.rollback):
            yield self


@contextmanager
def committed(commit: Callable[[], object], rollback: Callable[[], object]
              ) -> Generator[None, None, None]:
    """The body of a transaction already begun: committed if it ends normally, rolled back
    if it (or the commit) fails."""
    try:
        yield
    except BaseException:
        rollback()
        raise
    else:
        try:
            commit()
        except BaseException:
            rollback()
            raise


def connect(target: str, *, uri: bool = False, timeout: float = BUSY_TIMEOUT_SECONDS
            ) -> sqlite3.Connection:
    """Every SQLite connection EventRisk opens: with ``secure_delete`` on, so that what is
    deleted or overwritten (an erased phone number, an anonymised event name) is overwritten
    with zeros in the file, not left readable in its free space and in the backups copied
    from it.  SQLite builds differ in their default; this makes it the same everywhere."""
    conn = sqlite3.connect(target, uri=uri, timeout=timeout)
    conn.execute("PRAGMA secure_delete = ON")
    return conn


def open_database(path: str | Path, *, create: bool = True) -> Database:
    """Open (creating if asked) and migrate the EventRisk database at ``path``.

    Journal mode is DELETE, SQLite's classic rollback journal, not WAL: a desk may keep the
    file on a shared folder that several workstations open, and WAL's shared-memory index
    only works when every process is on the same machine.  Writers are serialised by file
    locks and wait up to ``busy_timeout()`` seconds for each other.
    """
    from eventrisk.pg import is_server

    if is_server(path):
        from eventrisk.pg.desk import open_server

        # The same calls as a sqlite-utils Database, for the part of it the core uses
        # (eventrisk.pg.connection); typed as one so that the core is written once.
        return open_server(str(path), create=create,  # type: ignore[return-value]
                           timeout=busy_timeout())
    path = Path(path)
    new_file = False
    if path.name != ":memory:":
        if not path.parent.is_dir():
            raise StorageError(f"The folder {path.parent} does not exist, so the database "
                               f"{path.name} cannot be opened there.")
        if not create and not path.exists():
            raise StorageError(f"There is no database at {path}; run 'eventrisk init' first.")
        if path.is_dir():
            raise StorageError(f"{path} is a folder, not a database file.")
        if not create and path.stat().st_size == 0:
            raise StorageError(f"{path} is an empty file, not an EventRisk database; "
                               "'eventrisk init' makes a new desk there.")
        new_file = not path.exists()
    try:
        if new_file:
            _private(path)  # before SQLite creates it with the umask's mode
        conn = connect(str(path), timeout=busy_timeout())
        db = DeskDatabase(conn)
        _check_ours(db, path)
        db.execute("PRAGMA foreign_keys = ON")
        # History features build temporary running totals; keep them in memory, and give
        # SQLite a 64 MB page cache instead of 2 MB for a database of a decade's events.
        db.execute("PRAGMA temp_store = MEMORY")
        db.execute("PRAGMA cache_size = -65536")
        if db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "delete":
            db.execute("PRAGMA journal_mode = DELETE")
        if MIGRATIONS.pending(db):
            MIGRATIONS.apply(db)
    except sqlite3.Error as exc:
        raise storage_error(exc, path) from exc
    return db


def _private(path: Path) -> None:
    """Readable and writable by its owner only (POSIX): it holds password hashes and
    OFFICIAL-SENSITIVE records.  On Windows the share's permissions decide (see README)."""
    try:
        create_private(path)
    except OSError:
        pass  # a share that does not keep POSIX modes


def _check_ours(db: Database, path: Path) -> None:
    """Refuse another program's SQLite file, and one made by a newer EventRisk."""
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not tables:
        return  # a new desk
    applied: set[str] = set()
    if "_sqlite_migrations" in tables:
        applied = {r[0] for r in db.execute(
            "SELECT name FROM _sqlite_migrations WHERE migration_set = 'eventrisk'")}
    if "m001_initial" not in applied:
        shown = ", ".join(sorted(tables)[:5])
        raise StorageError(f"{path} is an SQLite database of another program (it holds "
                           f"{shown}), not an EventRisk desk; EventRisk has not changed it.")
    newer = sorted(applied - known_names())
    if newer:
        raise StorageError(f"{path} was made by a newer EventRisk (it has {newer[-1]}); update "
                           "this workstation before opening it. Nothing was changed.")


_ENVIRONMENT = (
    ("locked", "The database {path} is busy or locked by another workstation or program; "
               "try again in a moment."),
    ("busy", "The database {path} is busy or locked by another workstation or program; "
             "try again in a moment."),
    ("readonly", "The database {path} is read-only, so nothing could be saved; ask for write "
                 "access or work on a copy."),
    ("read-only", "The database {path} is read-only, so nothing could be saved; ask for write "
                  "access or work on a copy."),
    ("not a database", "The file {path} is not an EventRisk database or is damaged; restore it "
                       "from a backup."),
    ("malformed", "The database {path} is damaged; restore it from a backup."),
    ("unable to open", "The database {path} cannot be opened; check the file and its folder's "
                       "permissions."),
    ("disk is full", "The disk holding {path} is full; nothing was saved."),
    ("disk i/o", "The disk holding {path} failed while reading or writing; nothing was saved."),
)


def is_environment_failure(exc: BaseException) -> bool:
    """True for database errors caused by the file, the server, the network or the machine
    rather than by our code."""
    import psycopg

    if isinstance(exc, psycopg.Error):
        from eventrisk.pg.connection import is_environment_failure as server_failure

        return server_failure(exc)
    if not isinstance(exc, sqlite3.Error):
        return False
    msg = str(exc).lower()
    return any(key in msg for key, _ in _ENVIRONMENT)


def storage_error(exc: Exception, path: str | Path) -> StorageError:
    """One sentence for a database failure caused by the environment, naming the file (or
    the server, without its password)."""
    import psycopg

    if isinstance(exc, psycopg.Error):
        from eventrisk.pg.connection import server_error

        return server_error(exc, str(path))
    msg = str(exc).lower()
    if ("locked" in msg or "busy" in msg) and isinstance(exc, sqlite3.OperationalError):
        return StorageError(busy_sentence(path))
    for key, text in _ENVIRONMENT:
        if key in msg:
            return StorageError(text.format(path=path))
    return StorageError(f"The database {path} reported an error: {exc}.")


# How recently a workstation must have said what it is doing for a busy message to name it.
DOING_FRESH_MINUTES = 30


def busy_sentence(path: str | Path) -> str:
    """One sentence for a save that waited the whole busy timeout for another writer: who is
    holding the desk and doing what, when a workstation said so before starting long work
    (``eventrisk.desk.restore.doing``)."""
    who = None
    if str(path) not in ("", ":memory:", "in use") and Path(path).is_file():
        try:
            conn = connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=0.5)
            try:
                row = conn.execute(
                    "SELECT username, host, doing FROM workstations WHERE doing IS NOT NULL "
                    "AND seen_at >= strftime('%Y-%m-%dT%H:%M:%SZ', 'now', ?) "
                    "ORDER BY seen_at DESC LIMIT 1", [f"-{DOING_FRESH_MINUTES} minutes"]
                ).fetchone()
            finally:
                conn.close()
            if row is not None:
                who = f"{row[0] or 'someone'} on {row[1]} is {row[2]}"
        except sqlite3.Error:
            who = None  # the writer is committing this very moment: no name, same advice
    return (f"The desk is busy: {who or 'another workstation is saving'}. Your changes are "
            "kept; try again.")


def db_path(db: Database) -> str:
    """The file behind an open database (or the server's connection text)."""
    if hasattr(db, "target"):
        return db.target
    row = db.execute("PRAGMA database_list").fetchone()
    return row[2] or ":memory:"
