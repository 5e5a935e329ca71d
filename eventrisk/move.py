"""Moving a desk between backends: a file into an empty PostgreSQL database (a desk that
outgrows one workstation), or a server's desk into a new file (a training copy).

Every row is copied as it is, ids included, in one transaction on the target: the audit
trail's entries keep their positions and hashes, the snapshots their packed bytes, so the
chain head is the same on both sides and ``audit verify`` passes on both.  Nothing is
appended to either trail by the copy itself (the head would then differ); the command line
says what was copied and the heads it compared.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlite_utils import Database

from eventrisk import audit, dialect
from eventrisk.errors import StorageError

# Parents before children (foreign keys), the trail last.  Not copied: the migrations'
# own record and the snapshot dictionaries (each side's migrations make them), and which
# workstations have the desk open (each side has its own).
TABLES = ("users", "venues", "promoters", "rulesets", "submissions", "assessments",
          "incidents", "reviews", "debriefs", "issued_documents", "sign_in_failures",
          "settings", "retention_holds", "drafts", "audit_log")
_CHUNK = 5_000

Progress = Callable[[str, int, int], None]


@dataclass
class Moved:
    """What was copied: rows per table, and the chain head on both sides."""

    rows: dict[str, int] = field(default_factory=dict)
    head: tuple[int, str] = (0, audit.GENESIS)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def _columns(db: Database, table: str) -> list[str]:
    if dialect.of(db).server:
        return [r[0] for r in db.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = "
            "'eventrisk' AND table_name = ? ORDER BY ordinal_position", [table])]
    return [r[1] for r in db.execute(f"PRAGMA table_info({table})")]


def _is_empty(db: Database) -> bool:
    return all(db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] == 0 for t in TABLES)


def copy_desk(source: Database, target: Database, progress: Progress | None = None) -> Moved:
    """Copy every record of ``source`` into the empty desk ``target`` (both migrated to this
    release), then check that the target's chain verifies and ends where the source's does.
    All or nothing: on any failure the target is left as empty as it was."""
    tick = progress or (lambda _phase, _done, _total: None)
    checked = audit.verify(source)
    if not checked.ok:
        raise StorageError(f"The desk being copied fails its audit check at entry "
                           f"{checked.first_bad} ({checked.problem}); nothing was copied. "
                           "Run 'eventrisk audit verify' on it first.")
    if not _is_empty(target):
        raise StorageError("The target already holds a desk's records; a desk is copied only "
                           "into an empty one, so nothing was copied.")
    moved = Moved(head=audit.head(source))
    server = dialect.of(target).server
    with target.atomic():
        if server:
            # Row by row, the triggers would count 500,000 incidents as 500,000 changes to
            # their venues' histories (two updates each), and recompute sort keys the rows
            # already carry: switched off for the copy, in its transaction, as the owner.
            for table in TABLES:
                target.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        for table in TABLES:
            theirs = set(_columns(target, table))
            columns = [c for c in _columns(source, table) if c in theirs]
            total = source.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            insert = (f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                      f"({', '.join('?' for _ in columns)})")
            cursor = source.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY 1")
            done = 0
            while rows := cursor.fetchmany(_CHUNK):
                target.conn.executemany(insert, [tuple(r) for r in rows])
                done += len(rows)
                tick(table, done, total)
            moved.rows[table] = done
        # Triggers on the target counted each copied incident and debrief as a change to a
        # venue's or promoter's history; the source's revisions are the true ones (the
        # scores' stamps name them), so they are put back.
        for table in ("venues", "promoters"):
            revisions = source.execute(f"SELECT history_rev, id FROM {table}").fetchall()
            target.conn.executemany(f"UPDATE {table} SET history_rev = ? WHERE id = ?",
                                    [tuple(r) for r in revisions])
        if server:
            _continue_numbering(target)
            for table in TABLES:
                target.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
    head = audit.head(target)
    if head != moved.head:
        raise StorageError(f"The copy's audit trail ends at {head[0]}:{head[1][:20]}, not at "
                           f"{moved.head[0]}:{moved.head[1][:20]} as the original's does.")
    return moved


def _continue_numbering(db: Database) -> None:
    """New rows on the server are numbered on from the copied ones."""
    for table in TABLES:
        if "id" in _columns(db, table) and table not in ("sign_in_failures", "settings",
                                                         "retention_holds"):
            db.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                       f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)")
