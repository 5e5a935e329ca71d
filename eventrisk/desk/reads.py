"""What the desk shows: read-only views for the app and the command line.

Each read checks that someone is signed in and still active; none of them writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

from eventrisk import dashboard, incidents, queue, users, venues
from eventrisk.calibration import CalibrationReport, Progress, calibrate
from eventrisk.desk.base import DeskBase
from eventrisk.errors import NotFoundError, ValidationError
from eventrisk.model import Incident, Promoter, Venue
from eventrisk.scoring.rulebook import active_ruleset, stored_ruleset
from eventrisk.scoring.rules import Ruleset, load_ruleset


class ReadsMixin(DeskBase):
    """The read side of ``Desk``."""

    def calibration(self, date_from: date, date_to: date, ruleset: str | None = None,
                    progress: Progress | None = None) -> CalibrationReport:
        """Does the grade mean anything: the calibration, disparity and override report over
        past events from ``date_from`` to ``date_to``, as graded at the time or re-graded
        under ``ruleset`` (a published version, or a draft's ``.toml`` file).  Supervisors
        and administrators."""
        self._fresh_actor("calibration")
        chosen = None
        if ruleset:
            chosen = self._ruleset_named(ruleset)
        if date_to < date_from:
            raise ValidationError([("to", f"The period ends ({date_to:%d/%m/%Y}) before it "
                                          f"starts ({date_from:%d/%m/%Y}).")])
        return calibrate(self.db, date_from, date_to, ruleset=chosen,
                         grading=chosen or active_ruleset(self.db), progress=progress)

    def render_calibration(self, report: CalibrationReport) -> bytes:
        """The calibration report as a PDF (OFFICIAL-SENSITIVE)."""
        from eventrisk.report.calibration_pdf import render_calibration
        from eventrisk.settings import is_training

        self._fresh_actor("calibration")
        return render_calibration(report, training=is_training(self.db))

    def _ruleset_named(self, name: str) -> Ruleset:
        """A draft rules file, or a version this desk knows (stored, or the one in force)."""
        if name.lower().endswith(".toml"):
            return load_ruleset(Path(name))
        active = active_ruleset(self.db)
        found = stored_ruleset(self.db, name) or (active if name == active.version else None)
        if found is None:
            known = [r[0] for r in self.db.execute("SELECT version FROM rulesets ORDER BY id")]
            raise NotFoundError(f"There is no ruleset {name} on this desk; it knows "
                                f"{', '.join(dict.fromkeys([*known, active.version]))}.")
        return found

    def queue_page(self, flt: queue.QueueFilter, *, sort: str = "action",
                   descending: bool = False, offset: int = 0,
                   limit: int = 100, after: tuple | None = None) -> list[queue.QueueRow]:
        """One page of the risk queue, in this user's desk order unless sorted; ``after``
        (the last row's ``key``) seeks to the next page instead of counting past rows."""
        user = self.reader()
        return queue.fetch(self.db, flt, role=user.role, sort=sort, descending=descending,
                           offset=offset, limit=limit, after=after)

    def queue_rows(self, flt: queue.QueueFilter, *, sort: str = "action",
                   descending: bool = False, limit: int | None = None
                   ) -> Iterator[queue.QueueRow]:
        """Every row of the queue in this order (or the first ``limit``), a page at a time
        (keyset: a long list costs its length, not its square)."""
        user = self.reader()
        after, given = None, 0
        while limit is None or given < limit:
            page = queue.fetch(self.db, flt, role=user.role, sort=sort, descending=descending,
                               limit=500 if limit is None else min(500, limit - given),
                               after=after)
            yield from page
            given += len(page)
            if not page or (limit is None and len(page) < 500):
                return
            after = page[-1].key

    def export_queue(self, flt: queue.QueueFilter, path, *, sort: str = "action",
                     descending: bool = False) -> int:
        """The filtered queue, in this order, as CSV (formulas neutralised)."""
        from eventrisk.report.queue_list import write_csv

        return write_csv(self.queue_rows(flt, sort=sort, descending=descending), path)

    def render_queue(self, flt: queue.QueueFilter, *, sort: str = "action",
                     descending: bool = False, sort_label: str = "the desk's order") -> bytes:
        """The filtered queue as a printed list, marked, with the filter in words."""
        from eventrisk.report.queue_list import PRINT_CAP, describe, render_list

        rows = list(self.queue_rows(flt, sort=sort, descending=descending, limit=PRINT_CAP))
        total = queue.count(self.db, flt) if len(rows) == PRINT_CAP else len(rows)
        return render_list(rows, total, describe(flt, sort_label), self.clock(),
                           training=self.training)

    def queue_count(self, flt: queue.QueueFilter) -> int:
        """How many submissions match the filter, up to ``queue.COUNT_CAP`` + 1."""
        self.reader()
        return queue.count(self.db, flt)

    def dashboard(self) -> dashboard.Dashboard:
        """The next seven days at a glance."""
        self.reader()
        return dashboard.build(self.db)

    def venues_page(self, *, offset: int = 0, limit: int = 50, search: str = "",
                    borough: str = "") -> list[Venue]:
        """One page of venues by name."""
        self.reader()
        return venues.list_venues(self.db, offset=offset, limit=limit, search=search,
                                  borough=borough)

    def venue(self, venue_id: int) -> Venue:
        """The venue with this id."""
        self.reader()
        return venues.get_venue(self.db, venue_id)

    def venue_by_code(self, code: str) -> Venue | None:
        """The venue with this code, if any."""
        self.reader()
        return venues.venue_by_code(self.db, code)

    def promoter_named(self, name: str) -> Promoter | None:
        """The promoter with this name (any case), if known."""
        self.reader()
        return venues.promoter_by_name(self.db, name)

    def promoters_matching(self, text: str, limit: int = 20) -> list[Promoter]:
        """Promoters whose names contain ``text``."""
        self.reader()
        return venues.search_promoters(self.db, text, limit)

    def venue_events(self, venue_id: int, *, offset: int = 0, limit: int = 100):
        """A page of a venue's events with grade and debrief."""
        self.reader()
        return incidents.venue_events(self.db, venue_id, offset=offset, limit=limit)

    def venue_incidents(self, venue_id: int, **query) -> list[Incident]:
        """A page of a venue's incidents, newest first (see ``incidents.for_venue``)."""
        self.reader()
        return incidents.for_venue(self.db, venue_id, **query)

    def monthly_incidents(self, venue_id: int, since: datetime,
                          until: datetime) -> dict[str, int]:
        """Incidents per month at a venue."""
        self.reader()
        return incidents.monthly_counts(self.db, venue_id, since, until)

    def incident_by_reference(self, reference: str) -> Incident:
        """The incident with this reference."""
        self.reader()
        return incidents.get_by_reference(self.db, reference)

    def debrief(self, submission_id: int) -> incidents.Debrief | None:
        """The debrief of an event, if recorded."""
        self.reader()
        return incidents.get_debrief(self.db, submission_id)

    def active_ruleset(self) -> Ruleset:
        """The ruleset in force."""
        from eventrisk.scoring.rulebook import active_ruleset

        self.reader()
        return active_ruleset(self.db)

    def demo_sign_ins(self) -> list[tuple[str, str, str]]:
        """(user, password, role) of the demo accounts, on a training desk only: the sign-in
        screen lists them there, and nowhere else says which names exist."""
        from eventrisk import settings
        from eventrisk.demo import DEMO_USERS

        if not settings.is_training(self.db):
            return []
        return [(u, p, r.label) for u, _, r, p in DEMO_USERS
                if users.find_user(self.db, u) is not None]
