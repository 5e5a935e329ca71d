"""Files the desk writes: private to their owner whatever the umask, and never left half-written.

Every file EventRisk writes (PDFs, letters, packs, queue lists, exports, subject-access zips,
backups, the desk file itself, the log) holds OFFICIAL-SENSITIVE or personal data, so each is
created with mode 0600: ``os.open`` with that mode, then ``chmod`` again because a umask can
only take bits away and a file that already existed keeps its own.  On Windows there are no
modes; the file inherits its folder's access list (see README: keep desk files in a folder
only their owner can open).

A file is written under a temporary name beside the real one (``NAME.part``) and renamed into
place when complete.  A process killed before the rename leaves that temporary file behind,
so each one is first noted in the user's data folder (``partial-files/``, one small note per
file naming the writer's process); ``sweep()``, run at the start of every command and of the
app, removes the temporary files of writers that are no longer running.
"""

from __future__ import annotations

import contextlib
import os
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path

from eventrisk.paths import user_data_dir

PRIVATE_MODE = 0o600
PART_SUFFIX = ".part"


def make_private(path: str | Path) -> None:
    """Readable and writable by the owner only (POSIX; a share that keeps no modes is left
    as it is)."""
    if os.name == "posix":
        with contextlib.suppress(OSError):
            os.chmod(path, PRIVATE_MODE)


def create_private(path: str | Path) -> None:
    """Create ``path`` empty and private if it does not exist, before anything (SQLite, say)
    opens it with the umask's mode."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | getattr(os, "O_BINARY", 0), PRIVATE_MODE)
    os.close(fd)
    make_private(path)


def open_private(path: str | Path, mode: str = "wb", **kwargs):
    """``open(path, mode)`` for writing a new private file (truncated if it exists)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags, PRIVATE_MODE)
    try:
        if os.name == "posix":
            os.fchmod(fd, PRIVATE_MODE)
        return os.fdopen(fd, mode, **kwargs)
    except BaseException:
        os.close(fd)
        raise


def is_private(path: str | Path) -> bool:
    """Whether nobody but the owner may read or write ``path`` (always True off POSIX)."""
    if os.name != "posix":
        return True
    return stat.S_IMODE(os.stat(path).st_mode) & 0o077 == 0


def fsync_file(path: str | Path) -> None:
    """Force a file's bytes to the disk."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_folder(path: str | Path) -> None:
    """Force a folder's entries (a rename into it) to the disk (POSIX; Windows has no way)."""
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _notes() -> Path:
    return user_data_dir() / "partial-files"


@contextlib.contextmanager
def noted(partial: Path) -> Iterator[Path]:
    """While the block runs, ``partial`` is noted as this process's temporary file; the note
    goes when the block ends (the block removes or renames the file itself)."""
    folder = _notes()
    note = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        note = folder / f"{os.getpid()}-{uuid.uuid4().hex}"
        with open_private(note, "w", encoding="utf-8") as out:
            out.write(str(partial.resolve()))
    except OSError:
        note = None  # a user folder that cannot be written: the file is simply not noted
    try:
        yield partial
    finally:
        if note is not None:
            note.unlink(missing_ok=True)


def sweep() -> list[Path]:
    """Remove the temporary files of writers that were killed; returns those removed."""
    removed: list[Path] = []
    try:
        notes = list(_notes().iterdir())
    except OSError:
        return removed
    for note in notes:
        pid_text = note.name.split("-", 1)[0]
        if not pid_text.isdigit() or _running(int(pid_text)):
            continue
        try:
            partial = Path(note.read_text(encoding="utf-8").strip())
            if partial.name.endswith(PART_SUFFIX) and partial.is_file():
                partial.unlink()
                removed.append(partial)
            forget_journal(partial)
            note.unlink(missing_ok=True)
        except OSError:
            continue
    return removed


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name != "posix":
        return True  # no safe check without a library: a note is left, never a live file
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's process
    return True


def forget_journal(partial: Path) -> None:
    """Remove the rollback journal SQLite may have left beside a temporary database: a
    stale hot journal would be played back into the next file made under that name."""
    Path(f"{partial}-journal").unlink(missing_ok=True)


def partial_of(path: Path) -> Path:
    """The temporary name ``path`` is written under."""
    return path.with_name(path.name + PART_SUFFIX)


def write_private(path: str | Path, data: bytes) -> None:
    """Write ``data`` to a private ``path``, under the temporary name first; ``OSError`` if
    the folder or the disk fails (nothing is left behind)."""
    path = Path(path)
    with noted(partial_of(path)) as tmp:
        try:
            with open_private(tmp) as out:
                out.write(data)
            tmp.replace(path)
            make_private(path)
        finally:
            tmp.unlink(missing_ok=True)
