"""The desk's witness file: an append-only text file, kept outside the database's folder,
with a line ``N HASH time`` for the audit head at each backup and each issued document.

Whoever can rewrite the database cannot reach back into a file kept elsewhere (an
administrator's folder, a write-once share), so ``eventrisk audit verify`` finds a rewritten
or cut trail by comparing it with these lines.
"""

from __future__ import annotations

import os
from pathlib import Path

from eventrisk.errors import StorageError
from eventrisk.timeutil import now_utc, to_db


def append(path: Path, position: int, digest: str) -> None:
    """Add one line, flushed to the disk; the file is created readable by its owner only."""
    line = f"{position} {digest} {to_db(now_utc())}\n"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise StorageError(f"The witness file {path} could not be written ({exc.strerror}); "
                           "the action itself was saved.") from exc


def check_location(path: Path, database: Path) -> None:
    """A witness beside the database proves nothing: refuse the database's own folder."""
    if not path.is_absolute():
        raise StorageError(f"The witness file must be given with its full path, not {path}.")
    if not path.parent.is_dir():
        raise StorageError(f"The folder {path.parent} for the witness file does not exist.")
    if database.name != ":memory:" and path.parent.resolve() == database.parent.resolve():
        raise StorageError("Keep the witness file outside the database's folder; whoever can "
                           "change the database there could change the witness too.")
