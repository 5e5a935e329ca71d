"""Backing up and restoring a desk on a server with PostgreSQL's own tools.

``pg_dump`` writes the desk's schema in its custom format, from a snapshot this module
exported, so that the audit head read here is exactly the one inside the file.
``pg_restore`` puts such a file back, in one transaction, as the schema's owner.  Both come
with PostgreSQL's client tools; without them a workstation gets one sentence saying what to
install.  Point-in-time recovery and replication are the DBA's (see docs/postgresql.md).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg

from eventrisk import audit
from eventrisk.errors import StorageError
from eventrisk.pg import shown
from eventrisk.pg.connection import SCHEMA, server_error
from eventrisk.privatefiles import create_private, make_private, noted, partial_of


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise StorageError(
            f"{name} is not installed on this workstation, so the desk's server cannot be "
            f"{'backed up' if name == 'pg_dump' else 'restored'} from here. Install "
            "PostgreSQL's client tools (Debian and Ubuntu: postgresql-client; Windows: the "
            "PostgreSQL installer's command-line tools), or ask the server's administrator.")
    return found


def _run(args: list[str], what: str) -> subprocess.CompletedProcess:
    done = subprocess.run(args, capture_output=True, text=True, timeout=3600, check=False)
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["no reason given"])[-1]
        raise StorageError(f"{what} failed: {reason}")
    return done


def dump(target_db: str, target: Path) -> tuple[int, str]:
    """The desk at ``target_db`` into the file ``target`` (custom format, private); returns
    the audit head the file holds."""
    pg_dump = _tool("pg_dump")
    partial = partial_of(target)
    partial.unlink(missing_ok=True)
    with noted(partial):
        return _dump(pg_dump, target_db, target, partial)


def _dump(pg_dump: str, target_db: str, target: Path, partial: Path) -> tuple[int, str]:
    try:
        create_private(partial)  # pg_dump truncates it and keeps its mode
        with psycopg.connect(target_db, autocommit=True,
                             options=f"-c search_path={SCHEMA}") as conn:
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()
            row = conn.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1"
                               ).fetchone()
            head = (row[0], row[1]) if row else (0, audit.GENESIS)
            assert snapshot is not None
            _run([pg_dump, "--format=custom", f"--schema={SCHEMA}", "--no-password",
                  f"--snapshot={snapshot[0]}", f"--file={partial}", f"--dbname={target_db}"],
                 f"The backup of {shown(target_db)}")
            conn.execute("COMMIT")
        make_private(partial)  # a backup holds what the desk holds
        check(partial)
        partial.replace(target)
    except psycopg.Error as exc:
        raise server_error(exc, target_db) from exc
    finally:
        partial.unlink(missing_ok=True)
    return head


def check(path: Path) -> None:
    """A file ``pg_restore`` can read, holding an EventRisk desk."""
    listing = _run([_tool("pg_restore"), "--list", str(path)],
                   f"Reading {path.name} as a server backup").stdout
    if f"TABLE {SCHEMA} audit_log" not in listing:
        raise StorageError(f"{path.name} is a PostgreSQL backup, but not of an EventRisk desk.")


def desk_id(path: Path) -> str | None:
    """The id of the desk a server backup holds (None for a backup made before desks had
    ids)."""
    done = _run([_tool("pg_restore"), "--data-only", f"--schema={SCHEMA}",
                 "--table=desk_identity", "--file=-", str(path)],
                f"Reading {path.name} as a server backup")
    lines = done.stdout.splitlines()
    for number, line in enumerate(lines):
        if line.startswith("COPY ") and "desk_identity" in line and number + 1 < len(lines):
            row = lines[number + 1]
            return row.split("\t")[0] if row != "\\." else None
    return None


def is_dump(path: Path) -> bool:
    """Whether ``path`` is a file in pg_dump's custom format (it starts with PGDMP)."""
    try:
        with open(path, "rb") as handle:
            return handle.read(5) == b"PGDMP"
    except OSError:
        return False


def restore(target_db: str, backup: Path) -> None:
    """Replace the desk's schema on the server with the one in ``backup``, in one
    transaction, as its owner: on any failure the desk is as it was."""
    check(backup)
    pg_restore = _tool("pg_restore")
    # Everything in the schema, but not the schema itself nor its grants: those are the
    # DBA's (docs/postgresql-grants.sql), and the owner may not create schemas.
    listing = _run([pg_restore, "--list", str(backup)], f"Reading {backup.name}").stdout
    wanted = [line for line in listing.splitlines()
              if f" SCHEMA - {SCHEMA} " not in line and f" ACL - SCHEMA {SCHEMA} " not in line]
    with tempfile.TemporaryDirectory(prefix="eventrisk-restore-") as folder:
        contents = Path(folder) / "contents.list"
        contents.write_text("\n".join(wanted) + "\n", encoding="utf-8")
        _run([pg_restore, "--clean", "--if-exists", "--single-transaction", "--exit-on-error",
              "--no-password", "--role=eventrisk_owner", f"--use-list={contents}",
              f"--dbname={target_db}", str(backup)], f"The restore of {shown(target_db)}")
