"""Venues, incidents, files, rules, backups and demo data, as use cases of the desk service."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from eventrisk import audit, importexport, incidents, settings, users, venues
from eventrisk.db import open_database
from eventrisk.desk.base import DeskBase
from eventrisk.errors import OtherDeskError, PermissionDenied, StorageError
from eventrisk.model import Incident, User, Venue
from eventrisk.scoring.rules import Ruleset


class RecordsMixin(DeskBase):
    """Everything but submissions and accounts that the desk writes or produces."""

    # ---- venues and incidents ---------------------------------------------------------------
    def save_venue(self, venue: Venue) -> Venue:
        """Add a venue (new code) or save edits to one read at ``venue.version``."""
        with self.use_case("capture") as actor:
            if venue.id is None:
                return venues.create_venue(self.db, actor, venue)
            return venues.update_venue(self.db, actor, venue)

    def record_incident(self, incident: Incident) -> Incident:
        """Record an incident at a venue; it counts in the venue's history at once."""
        with self.use_case("record_incident") as actor:
            return incidents.create(self.db, actor, incident)

    def correct_incident(self, incident: Incident) -> Incident:
        """Correct an incident read at ``incident.version``; audited field by field."""
        with self.use_case("record_incident") as actor:
            return incidents.update(self.db, actor, incident)

    # ---- files ---------------------------------------------------------------------------
    def import_file(self, kind: str, path: Path, *, with_status: bool = False,
                    no_duplicates: bool = False) -> importexport.ImportResult:
        """Import a whole file or nothing.  New events arrive as received (or cancelled);
        ``with_status`` (administrators, past events only) keeps their recorded status."""
        from eventrisk.desk.restore import doing

        permission = "import_with_status" if with_status else "import"
        self._fresh_actor(permission)
        # Read and checked before the write lock is taken: the lock is held for the writing.
        checked = importexport.check_file(kind, Path(path), with_status=with_status,
                                          now=self.clock())
        with doing(self.db, self.user.username if self.user else "", "importing a file"), \
                self.use_case(permission) as actor:
            return importexport.write_checked(self.db, actor, checked,
                                              no_duplicates=no_duplicates)

    def export_file(self, kind: str, path: Path, *, minimal: bool = False) -> int:
        """Write every record of ``kind`` to a file; returns the count.  ``minimal`` leaves
        out personal contact details, for sending outside the desk."""
        self.reader()
        return importexport.export_file(self.db, kind, Path(path), minimal=minimal)

    # ---- rules ----------------------------------------------------------------------------
    def publish_rules(self, ruleset: Ruleset) -> None:
        """Make ``ruleset`` the one in force (supervisors); existing snapshots keep theirs."""
        from eventrisk.scoring import rulebook

        with self.use_case("publish_rules") as actor:
            rulebook.publish_ruleset(self.db, actor, ruleset)

    def rules_impact(self, draft: Ruleset, now: datetime | None = None):
        """Which upcoming events a draft ruleset would move up or down a grade."""
        from eventrisk.scoring import impact

        self.reader()
        return impact.impact(self.db, draft, now or self.clock())

    # ---- printing ------------------------------------------------------------------------
    def render_pack(self, borough: str, date_from: date, date_to: date,
                    progress: Callable[[int, int], bool] | None = None,
                    generated_at: datetime | None = None,
                    include_pending: bool = False) -> tuple[bytes, int]:
        """A borough pack as PDF bytes, and how many events it holds: approved and issued
        assessments, or with ``include_pending`` every scored event, each marked."""
        from eventrisk.report.pack_pdf import render_pack

        self.reader()
        return render_pack(self.db, borough, date_from, date_to, generated_at=generated_at,
                           progress=progress, include_pending=include_pending)

    # ---- the database ---------------------------------------------------------------------
    def verify_audit(self, *, expect: tuple = (), against: Path | None = None,
                     progress=None):
        """Check the audit trail: its chain, the tables against it, the schema, and the
        witnesses given (``verify.Witness``), a backup, the desk's witness file and the heads
        backups recorded.  Reads only."""
        from eventrisk import verify
        from eventrisk.timeutil import to_db

        self.reader()
        path = settings.get(self.db, "witness_file")
        return verify.verify_desk(self.db, expect=tuple(expect), against=against,
                                  witness_file=Path(str(path)) if path else None,
                                  progress=progress, now=to_db(self.clock()))

    def copy_to(self, target: str | Path, progress=None):
        """Copy this whole desk into a new one at ``target`` (administrators): an empty
        PostgreSQL database whose schema the signed-in connection may create as its owner,
        or a new file.  Every row, snapshot and audit entry, ids and hashes as they are; the
        returned ``move.Moved`` names the rows copied and the shared chain head."""
        from eventrisk import move
        from eventrisk.pg import is_server

        self.reader()
        self._fresh_actor("desk_settings")
        if not is_server(target):
            path = Path(target)
            if path.exists() and path.stat().st_size > 0:
                raise StorageError(f"{path} already exists; a desk is copied only into a new "
                                   "file, so nothing was copied.")
        other = open_database(target, create=True)
        try:
            return move.copy_desk(self.db, other, progress)
        finally:
            other.close()

    def map_logins(self, target: str, *, create: bool = False) -> tuple[list[str], list[str]]:
        """After a copy onto a server: each active account of this desk as a login there
        (administrators; ``eventrisk.pg.identity.map_accounts``).  Returns what was done and
        the DBA's ``CREATE ROLE`` and ``GRANT`` lines for the rest."""
        from eventrisk import users
        from eventrisk.pg import identity

        self._fresh_actor("desk_settings")
        accounts = [(u.username, u.role) for u in users.list_users(self.db)]
        other = open_database(target, create=False)
        try:
            return identity.map_accounts(other, accounts, create=create)
        finally:
            other.close()

    def backup(self, target: str | Path) -> Path:
        """A checked online copy of the database.  The head it copied is recorded in the
        trail and in the witness file, so a later verify finds any cut or rewrite before it."""
        from eventrisk.backup import backup

        self.reader()
        copied, (position, digest) = backup(self.db, target)
        with self.use_case("read") as actor:
            audit.record(self.db, actor.username, "database.backup", "database", "",
                         {"file": copied.name, "position": position, "hash": digest})
            after = audit.head(self.db)
        self._witness(*after)  # the copy's head, and the entry saying it was made
        return copied

    def authorise_restore(self) -> User:
        """The account, if it may replace the desk with a backup (administrators)."""
        actor = self._fresh_actor(None)
        if not users.can(actor, "manage_users"):
            raise PermissionDenied("Only an administrator may restore the desk.")
        return actor

    def restore_from(self, backup: Path, *, other_desk: bool = False):
        """Replace this desk with a checked backup (administrators).  The connection is
        closed for it and opened again after; everyone signs in again.  A backup of another
        desk raises ``OtherDeskError`` unless ``other_desk``."""
        from eventrisk.desk.restore import check_backup, desk_id, leave, restore

        actor = self.authorise_restore()
        theirs, ours = check_backup(Path(backup)), desk_id(self.db)
        if theirs is not None and ours is not None and theirs != ours and not other_desk:
            raise OtherDeskError(Path(backup), theirs, ours)  # asked before anyone is out
        leave(self.db)
        self.db.close()
        try:
            return restore(self.path, Path(backup), actor.username, other_desk=other_desk)
        finally:
            self.db = open_database(self.path, create=False)
            self._user = None

    def _witness(self, position: int, digest: str) -> None:
        """Add a head to the desk's witness file, if it has one."""
        from eventrisk import witness

        path = settings.get(self.db, "witness_file")
        if path:
            witness.append(Path(str(path)), position, digest)

    def build_demo(self, **options):
        """Fill a new database (or a training one) with demo data and mark it as training.

        Never on a real desk: its records must not mix with invented ones."""
        from eventrisk import demo

        fresh = users.count_users(self.db) == 0
        if not fresh:
            if not settings.is_training(self.db):
                raise PermissionDenied(
                    "This is a real desk, not a training database: demo data is only ever "
                    "built into a new database. Use another file (--db) for training.")
            self._fresh_actor("manage_users")
        with self.db.atomic():
            summary = demo.build(self.db, **options)
            settings.mark_training(self.db)
        return summary
