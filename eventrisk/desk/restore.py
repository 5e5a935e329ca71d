"""Restoring a desk from a backup, and the heartbeat that tells a restore who is still in.

A restore replaces the whole database file, so it must not happen under anyone's feet: the
desk's app writes a heartbeat every minute, and a restore refuses while another workstation
has written one recently.  The backup is checked first (SQLite's integrity check and the
audit trail's chain), the file it replaces is kept aside under a timestamped name, and the
restore is written into the restored trail."""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlite_utils import Database

from eventrisk import audit
from eventrisk.db import open_database
from eventrisk.errors import PermissionDenied, StorageError
from eventrisk.timeutil import british_datetime, from_db, now_utc, to_db
from eventrisk.verify import Report, check_chain

# A workstation that has not written for this long has gone (closed, crashed or switched off).
ABSENT_AFTER = timedelta(minutes=3)


def workstation_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def heartbeat(db: Database, username: str) -> None:
    """Say that this workstation has the desk open (call about once a minute)."""
    with db.atomic():
        db.execute("INSERT INTO workstations (id, host, pid, username, seen_at) VALUES "
                   "(?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET username = excluded.username,"
                   " seen_at = excluded.seen_at",
                   [workstation_id(), socket.gethostname(), os.getpid(), username,
                    to_db(now_utc())])


def leave(db: Database) -> None:
    """This workstation closed the desk."""
    with db.atomic():
        db.execute("DELETE FROM workstations WHERE id = ?", [workstation_id()])


def others_present(db: Database) -> list[str]:
    """Other workstations seen recently, as 'user on host (time)'."""
    since = to_db(now_utc() - ABSENT_AFTER)
    return [f"{user or 'someone'} on {host} (last seen {british_datetime(from_db(seen))})"
            for host, user, seen in db.execute(
                "SELECT host, username, seen_at FROM workstations WHERE seen_at >= ? AND id != ?"
                " ORDER BY seen_at DESC", [since, workstation_id()])]


@dataclass(frozen=True)
class Restored:
    """What a restore did."""

    restored_from: Path
    kept_aside: Path | None
    head: tuple[int, str]


def check_backup(backup: Path) -> None:
    """A backup that can replace the desk: a desk file whose integrity and audit chain hold,
    or a server backup (pg_dump's custom format) of an EventRisk desk."""
    from eventrisk.pg import dump

    if dump.is_dump(backup):
        dump.check(backup)
        return
    _check_file(backup)


def _check_file(backup: Path) -> None:
    """A sound EventRisk backup with an unbroken audit chain, or ``StorageError``."""
    if not backup.is_file():
        raise StorageError(f"There is no backup file at {backup}.")
    try:
        conn = sqlite3.connect(f"{backup.resolve().as_uri()}?mode=ro", uri=True)
        try:
            status = conn.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise StorageError(f"{backup} is not a readable database ({exc}).") from exc
    if status != "ok":
        raise StorageError(f"{backup} fails SQLite's integrity check ({status}); choose "
                           "another backup.")
    # Opening migrates; never the backup itself, only a scratch copy of it.
    folder = Path(tempfile.mkdtemp(prefix="eventrisk-restore-"))
    scratch = folder / "check.db"
    try:
        _copy(backup, scratch)
        copy = open_database(scratch, create=False)  # refuses another program's file, a newer
    except (OSError, sqlite3.Error) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise StorageError(f"{backup} could not be read ({exc}).") from exc
    except StorageError:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    try:
        report = Report()
        if not check_chain(copy, report, lambda *_: None):
            raise StorageError(f"{backup}'s audit trail is broken ({report.problems[0]}); "
                               "choose another backup.")
    finally:
        copy.close()
        shutil.rmtree(folder, ignore_errors=True)


def _copy(source: Path, target: Path) -> None:
    """A consistent copy of a database file, with SQLite's backup API, reading only."""
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    dest = sqlite3.connect(target)
    try:
        src.backup(dest)
    finally:
        src.close()
        dest.close()


def restore(live: str | Path, backup: Path, username: str, *, force_absent: bool = False
            ) -> Restored:
    """Replace the desk at ``live`` with ``backup`` (``username`` must be an administrator,
    checked by the caller's sign-in).  The replaced file is kept beside it."""
    from eventrisk.pg import is_server

    if is_server(live):
        return _restore_server(str(live), Path(backup), username, force_absent)
    live, backup = Path(live), Path(backup)
    if live.exists() and backup.resolve() == live.resolve():
        raise StorageError("That is the live database itself; choose a backup file.")
    check_backup(backup)
    aside = None
    if live.exists():
        try:
            current = open_database(live, create=False)
        except StorageError:
            current = None  # a damaged desk: exactly what a restore is for
        if current is not None:
            try:
                present = others_present(current)
                if present and not force_absent:
                    raise PermissionDenied(
                        "Other workstations have this desk open: " + "; ".join(present)
                        + ". Ask them to close EventRisk, then restore.")
                try:  # nobody may be in the middle of writing either
                    current.conn.execute("BEGIN EXCLUSIVE")
                    current.conn.execute("ROLLBACK")
                except sqlite3.OperationalError as exc:
                    raise PermissionDenied("Another program is using the database right now; "
                                           "close EventRisk everywhere, then restore.") from exc
            finally:
                current.close()
        stamp = now_utc().strftime("%Y%m%d-%H%M%S")
        aside = live.with_name(f"{live.name}.replaced-{stamp}")
        live.replace(aside)
    partial = live.with_name(live.name + ".part")
    try:
        _copy(backup, partial)
        if os.name == "posix":
            os.chmod(partial, 0o600)
        partial.replace(live)
    except (OSError, sqlite3.Error) as exc:
        partial.unlink(missing_ok=True)
        if aside is not None and not live.exists():
            aside.replace(live)  # put the desk back as it was
        raise StorageError(f"The restore failed ({exc}); the desk is as it was.") from exc
    db = open_database(live, create=False)
    try:
        backup_head = audit.head(db)
        with db.atomic():
            audit.record(db, username, "database.restore", "database", "",
                         {"from": backup.name, "backup_head": list(backup_head),
                          "kept_aside": aside.name if aside else None})
        head = audit.head(db)
    finally:
        db.close()
    return Restored(backup, aside, head)


def _restore_server(target: str, backup: Path, username: str, force_absent: bool
                    ) -> Restored:
    """Replace the desk on a server with a backup pg_dump made, by pg_restore in one
    transaction (``eventrisk.pg.dump``).  There is no file to keep aside: the server's own
    backups and point-in-time recovery are its administrator's."""
    from eventrisk.pg import dump

    if not dump.is_dump(backup):
        raise StorageError(f"{backup.name} is not a backup of a desk on a server; a desk file "
                           "goes onto a server with 'eventrisk migrate'.")
    dump.check(backup)
    current = open_database(target, create=False)
    try:
        present = others_present(current)
    finally:
        current.close()
    if present and not force_absent:
        raise PermissionDenied("Other workstations have this desk open: " + "; ".join(present)
                               + ". Ask them to close EventRisk, then restore.")
    dump.restore(target, backup)
    db = open_database(target, create=False)
    try:
        report = Report()
        intact = check_chain(db, report, lambda *_: None)
        backup_head = audit.head(db)
        with db.atomic():
            audit.record(db, username, "database.restore", "database", "",
                         {"from": backup.name, "backup_head": list(backup_head),
                          "kept_aside": None})
        head = audit.head(db)
    finally:
        db.close()
    if not intact:
        raise StorageError(f"The desk was restored from {backup.name}, but its audit trail is "
                           f"broken ({report.problems[0]}); run 'eventrisk audit verify'.")
    return Restored(backup, None, head)


def restore_desk(live: str | Path, backup: Path, name: str, password: str) -> Restored:
    """Sign in as an administrator, then restore: with the live desk's accounts, or, when the
    live desk is too damaged to open, with the backup's (signed in on a scratch copy)."""
    from eventrisk.desk.service import Desk

    check_backup(backup)
    folder = None
    try:
        desk = Desk.open(live)
    except StorageError:
        from eventrisk.pg import is_server

        if is_server(live):
            raise  # a server that cannot be reached: its accounts are all there is
        folder = Path(tempfile.mkdtemp(prefix="eventrisk-restore-"))
        _copy(backup, folder / "accounts.db")
        desk = Desk.open(folder / "accounts.db")
    try:
        desk.sign_in(name, password)
        actor = desk.authorise_restore()
    finally:
        desk.close()
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
    return restore(live, backup, actor.username)
