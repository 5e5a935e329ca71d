"""Online backup of the database with SQLite's backup API, checked afterwards."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlite_utils import Database

from eventrisk.errors import StorageError


def backup(db: Database, target: str | Path) -> Path:
    """Copy ``db`` to ``target`` while others may be using it; the copy must pass
    ``PRAGMA integrity_check``.  The copy is written beside the target then renamed."""
    target = Path(target)
    if not target.parent.is_dir():
        raise StorageError(f"The folder {target.parent} does not exist.")
    partial = target.with_name(target.name + ".part")
    partial.unlink(missing_ok=True)
    try:
        dest = sqlite3.connect(str(partial))
        try:
            db.conn.backup(dest, pages=1024)
            status = dest.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            dest.close()
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise StorageError(f"The backup to {target} failed: {exc}.") from exc
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise StorageError(f"The backup to {target} could not be written ({exc.strerror}).") \
            from exc
    if status != "ok":
        partial.unlink(missing_ok=True)
        raise StorageError(f"The backup copy failed its integrity check ({status}).")
    partial.replace(target)
    return target
