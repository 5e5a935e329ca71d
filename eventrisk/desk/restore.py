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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlite_utils import Database

from eventrisk import audit, dialect
from eventrisk.db import connect, open_database
from eventrisk.errors import OtherDeskError, PermissionDenied, StorageError
from eventrisk.privatefiles import (
    PART_SUFFIX,
    create_private,
    forget_journal,
    fsync_file,
    fsync_folder,
    noted,
)
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


@contextmanager
def doing(db: Database, username: str, what: str) -> Iterator[None]:
    """Say, in a transaction of its own, what this workstation is doing at length
    ("rescoring"), so that a save kept waiting meanwhile names who and why
    (``eventrisk.db.busy_sentence``); unsaid when the work ends.  A server's saves never
    wait on bulk work (it commits a batch at a time): nothing is said there."""
    if dialect.of(db).server or db.conn.in_transaction:
        yield
        return
    me = workstation_id()
    with db.atomic():
        existed = db.execute("SELECT 1 FROM workstations WHERE id = ?", [me]).fetchone()
        db.execute("INSERT INTO workstations (id, host, pid, username, seen_at, doing) VALUES "
                   "(?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET doing = excluded.doing, "
                   "seen_at = excluded.seen_at",
                   [me, socket.gethostname(), os.getpid(), username, to_db(now_utc()), what])
    try:
        yield
    finally:
        try:
            with db.atomic():
                if existed:
                    db.execute("UPDATE workstations SET doing = NULL WHERE id = ?", [me])
                else:  # a command line's run: not a workstation that has the desk open
                    db.execute("DELETE FROM workstations WHERE id = ?", [me])
        except sqlite3.Error:
            pass  # a desk that failed meanwhile: the note goes stale in half an hour


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


def desk_id(db: Database) -> str | None:
    """The desk's id (m018): written when it was made and carried in its backups."""
    row = db.execute("SELECT id FROM desk_identity LIMIT 1").fetchone()
    return row[0] if row else None


def check_backup(backup: Path) -> str | None:
    """A backup that can replace the desk: a desk file whose integrity and audit chain hold,
    or a server backup (pg_dump's custom format) of an EventRisk desk.  Returns the id of
    the desk it is a backup of (None for a server backup made before desks had ids)."""
    from eventrisk.pg import dump

    if dump.is_dump(backup):
        dump.check(backup)
        return dump.desk_id(backup)
    return _check_file(backup)


def _check_file(backup: Path) -> str | None:
    """A sound EventRisk backup with an unbroken audit chain (its desk id), or
    ``StorageError``."""
    if not backup.is_file():
        raise StorageError(f"There is no backup file at {backup}.")
    _integrity(backup, backup)
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
        _chain_holds(copy, backup)
        return desk_id(copy)
    finally:
        copy.close()
        shutil.rmtree(folder, ignore_errors=True)


def _integrity(path: Path, named: Path) -> None:
    try:
        conn = connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            status = conn.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise StorageError(f"{named} is not a readable database ({exc}).") from exc
    if status != "ok":
        raise StorageError(f"{named} fails SQLite's integrity check ({status}); choose "
                           "another backup.")


def _chain_holds(db: Database, named: Path) -> None:
    report = Report()
    if not check_chain(db, report, lambda *_: None):
        raise StorageError(f"{named}'s audit trail is broken ({report.problems[0]}); "
                           "choose another backup.")


def _copy(source: Path, target: Path) -> None:
    """A consistent copy of a database file, with SQLite's backup API, reading only; the
    copy is private."""
    create_private(target)
    src = connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    dest = connect(str(target))
    try:
        src.backup(dest, pages=COPY_PAGES, progress=_copied)
    finally:
        src.close()
        dest.close()


# Pages copied at a time (128 KB of 4 KB pages): the copy is a run of short steps, each
# holding the backup's read lock briefly (and each a moment the crash suite kills at).
COPY_PAGES = 32


def _copied(status: int, remaining: int, total: int) -> None:
    """SQLite's backup reports each step here (nothing to do: a place a test can stop)."""


def restore(live: str | Path, backup: Path, username: str, *, force_absent: bool = False,
            other_desk: bool = False) -> Restored:
    """Replace the desk at ``live`` with ``backup`` (``username`` must be an administrator,
    checked by the caller's sign-in).  The replaced file is kept beside it.

    A backup of another desk is refused unless ``other_desk``.  On a file, the live path
    holds the old desk or the new one at every moment, whenever the process is killed: the
    backup is copied beside the live file (``NAME.restoring.part``), migrated and checked
    there (integrity, schema, audit chain), the restore is written into its trail, it is
    forced to the disk, and then one atomic rename puts it in place.  The replaced file is
    kept under another name by a hard link made just before the rename (or, where the disk
    has no hard links, a copy)."""
    from eventrisk.pg import is_server

    if is_server(live):
        return _restore_server(str(live), Path(backup), username, force_absent, other_desk)
    live, backup = Path(live), Path(backup)
    if live.exists() and backup.resolve() == live.resolve():
        raise StorageError("That is the live database itself; choose a backup file.")
    theirs = check_backup(backup)
    ours = _ready_to_replace(live, force_absent) if live.exists() else None
    if ours is not None and theirs != ours and not other_desk:
        raise OtherDeskError(backup, str(theirs), ours)
    _forget_stray_asides(live)
    staged = live.with_name(live.name + ".restoring" + PART_SUFFIX)
    staged.unlink(missing_ok=True)
    forget_journal(staged)
    aside = None
    with noted(staged):
        try:
            name = _aside_name(live) if live.exists() else None
            head = _stage(staged, backup, username, theirs, ours, name)
            fsync_file(staged)
            if name is not None:
                aside = _keep_aside(live, name)
            os.replace(staged, live)  # the one step that changes what the live path holds
            fsync_folder(live.parent)
        except (OSError, sqlite3.Error) as exc:
            if aside is not None and live.exists() and os.path.samefile(aside, live):
                aside.unlink(missing_ok=True)  # the rename never happened
            raise StorageError(f"The restore failed ({exc}); the desk is as it was.") from exc
        finally:
            staged.unlink(missing_ok=True)
            forget_journal(staged)
    return Restored(backup, aside, head)


def _ready_to_replace(live: Path, force_absent: bool) -> str | None:
    """The live desk's id, once nobody else is in it (None for a desk too damaged to
    open: exactly what a restore is for)."""
    try:
        current = open_database(live, create=False)
    except StorageError:
        return None
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
        return desk_id(current)
    finally:
        current.close()


def _stage(staged: Path, backup: Path, username: str, theirs: str | None, ours: str | None,
           aside: Path | None) -> tuple[int, str]:
    """The backup, copied to ``staged``, migrated, checked, with the restore in its trail;
    returns the trail's head."""
    _copy(backup, staged)
    db = open_database(staged, create=False)  # migrates, as the live desk would be
    try:
        _chain_holds(db, backup)
        backup_head = audit.head(db)
        with db.atomic():
            audit.record(db, username, "database.restore", "database", "",
                         {"from": backup.name, "backup_head": list(backup_head),
                          "kept_aside": aside.name if aside else None,
                          "desk_id": theirs, "replaced_desk_id": ours,
                          "other_desk": bool(ours is not None and theirs != ours)})
        head = audit.head(db)
    finally:
        db.close()
    _integrity(staged, backup)
    return head


def _aside_name(live: Path) -> Path:
    """A timestamped name for the replaced file that no earlier restore has taken."""
    stem = f"{live.name}.replaced-{now_utc().strftime('%Y%m%d-%H%M%S')}"
    aside, n = live.with_name(stem), 1
    while aside.exists():
        n += 1
        aside = live.with_name(f"{stem}-{n}")
    return aside


def _keep_aside(live: Path, aside: Path) -> Path:
    """The live file also under the name ``aside``, the live path untouched."""
    try:
        os.link(live, aside)
    except OSError:  # a disk without hard links: a copy, checked like any other
        partial = aside.with_name(aside.name + PART_SUFFIX)
        with noted(partial):
            try:
                _copy(live, partial)
                fsync_file(partial)
                partial.replace(aside)
            finally:
                partial.unlink(missing_ok=True)
    return aside


def _forget_stray_asides(live: Path) -> None:
    """A restore killed between keeping the old file aside and the rename leaves a second
    name for the live file itself: not a copy of anything, so it goes."""
    if not live.exists():
        return
    for other in live.parent.glob(f"{live.name}.replaced-*"):
        try:
            if os.path.samefile(other, live):
                other.unlink()
        except OSError:
            continue


def _restore_server(target: str, backup: Path, username: str, force_absent: bool,
                    other_desk: bool = False) -> Restored:
    """Replace the desk on a server with a backup pg_dump made, by pg_restore in one
    transaction (``eventrisk.pg.dump``).  There is no file to keep aside: the server's own
    backups and point-in-time recovery are its administrator's."""
    from eventrisk.pg import dump

    if not dump.is_dump(backup):
        raise StorageError(f"{backup.name} is not a backup of a desk on a server; a desk file "
                           "goes onto a server with 'eventrisk migrate'.")
    dump.check(backup)
    theirs = dump.desk_id(backup)
    current = open_database(target, create=False)
    try:
        present = others_present(current)
        ours = desk_id(current)
    finally:
        current.close()
    if present and not force_absent:
        raise PermissionDenied("Other workstations have this desk open: " + "; ".join(present)
                               + ". Ask them to close EventRisk, then restore.")
    if theirs is not None and ours is not None and theirs != ours and not other_desk:
        raise OtherDeskError(backup, theirs, ours)
    dump.restore(target, backup)
    db = open_database(target, create=False)
    try:
        report = Report()
        intact = check_chain(db, report, lambda *_: None)
        backup_head = audit.head(db)
        with db.atomic():
            audit.record(db, username, "database.restore", "database", "",
                         {"from": backup.name, "backup_head": list(backup_head),
                          "kept_aside": None, "desk_id": theirs, "replaced_desk_id": ours,
                          "other_desk": bool(theirs and ours and theirs != ours)})
        head = audit.head(db)
    finally:
        db.close()
    if not intact:
        raise StorageError(f"The desk was restored from {backup.name}, but its audit trail is "
                           f"broken ({report.problems[0]}); run 'eventrisk audit verify'.")
    return Restored(backup, None, head)


def restore_desk(live: str | Path, backup: Path, name: str, password: str, *,
                 other_desk: bool = False) -> Restored:
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
    return restore(live, backup, actor.username, other_desk=other_desk)
