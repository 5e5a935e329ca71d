"""Online backup of the database with SQLite's backup API, checked afterwards."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlite_utils import Database

from eventrisk import audit, dialect
from eventrisk.db import connect
from eventrisk.errors import StorageError
from eventrisk.privatefiles import create_private, forget_journal, noted, partial_of


def backup(db: Database, target: str | Path) -> tuple[Path, tuple[int, str]]:
    """Copy ``db`` to ``target`` while others may be using it; returns the file and the
    audit head it holds.  A desk file is copied with SQLite's backup API and must pass
    ``PRAGMA integrity_check``; a desk on a server is dumped by ``pg_dump``
    (``eventrisk.pg.dump``).  The copy is written beside the target then renamed."""
    target = Path(target)
    if not target.parent.is_dir():
        raise StorageError(f"The folder {target.parent} does not exist.")
    if target.is_dir():
        raise StorageError(f"{target} is a folder; give the backup a file name, such as "
                           f"{target / 'eventrisk-backup.db'}.")
    if dialect.of(db).server:
        from eventrisk.pg.dump import dump

        return target, dump(db.target, target)  # type: ignore[attr-defined]
    return _copy(db, target), _head_of(target)


def _head_of(copy: Path) -> tuple[int, str]:
    conn = connect(f"{copy.resolve().as_uri()}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    finally:
        conn.close()
    return (row[0], row[1]) if row else (0, audit.GENESIS)


def _copy(db: Database, target: Path) -> Path:
    live = db.execute("PRAGMA database_list").fetchone()[2]
    if live and target.exists() and target.resolve() == Path(live).resolve():
        raise StorageError(f"{target} is the live database itself; a backup must be another "
                           "file, ideally on another disk.")
    partial = partial_of(target)
    partial.unlink(missing_ok=True)
    forget_journal(partial)
    with noted(partial):
        _write_copy(db, target, partial)
    return target


def _write_copy(db: Database, target: Path, partial: Path) -> None:
    try:
        try:
            create_private(partial)  # a backup holds what the desk holds
            dest = connect(str(partial))
            try:
                db.conn.backup(dest, pages=1024)
                status = dest.execute("PRAGMA integrity_check").fetchone()[0]
            finally:
                dest.close()
        except sqlite3.Error as exc:
            raise StorageError(f"The backup to {target} failed: {exc}.") from exc
        except OSError as exc:
            raise StorageError(f"The backup to {target} could not be written "
                               f"({exc.strerror}).") from exc
        if status != "ok":
            raise StorageError(f"The backup copy failed its integrity check ({status}).")
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)  # never leave a half-written copy behind
        forget_journal(partial)
