"""Personal data as use cases of the desk service (administrators only): the retention run,
decisions on records under review, subject access, and correcting or erasing a promoter's
details.  Each is one transaction and is audited; see ``eventrisk.retention`` and
``eventrisk.anonymise``."""

from __future__ import annotations

from datetime import date

from eventrisk import anonymise, audit, retention, subject_access, venues
from eventrisk.desk.base import DeskBase
from eventrisk.errors import NotFoundError, ValidationError, WorkflowError
from eventrisk.model import Promoter


class ScheduleChanged(WorkflowError):  # noqa: N818 - a question, not a failure
    """What is due differs from what the person confirmed (the schedule, or the desk, moved
    since they looked): show the new review and ask again."""


class PersonalDataMixin(DeskBase):
    """Retention, subject access, rectification and erasure."""

    def retention_schedule(self) -> retention.Schedule:
        """The schedule in force (``EVENTRISK_RETENTION`` or the shipped file), checked."""
        return retention.load_schedule()

    def retention_review(self) -> retention.Review:
        """What a retention run would do now, per kind; writes nothing."""
        self._fresh_actor("personal_data")
        return retention.due(self.db, self.retention_schedule(), self.clock())

    def retention_items(self, kind: str, *, limit: int = 500) -> list[retention.Item]:
        """The records of one kind that are due (for ``review`` kinds: waiting for a person),
        oldest first."""
        self._fresh_actor("personal_data")
        return retention.items(self.db, self.retention_schedule(), self.clock(), kind,
                               limit=limit)

    def apply_retention(self, seen: retention.Review, *,
                        chunk: int = retention.CHUNK) -> retention.Applied:
        """Do every automatic action that is due, as confirmed: ``seen`` is the review the
        person confirmed; if anything due has changed since, nothing is done
        (``ScheduleChanged``).  At most ``chunk`` records a transaction, each chunk a
        complete run of its own (its own audit entry), so that others can save between
        chunks; stopped between chunks, the runs done stand and running again does the
        rest."""
        from eventrisk.desk.restore import doing

        with doing(self.db, self.user.username if self.user else "",
                   "applying the retention schedule"):
            with self.use_case("personal_data") as actor:
                schedule = self.retention_schedule()
                now = self.clock()
                current = retention.due(self.db, schedule, now)
                if _counts(current) != _counts(seen) or \
                        schedule.sha256 != seen.schedule.sha256:
                    raise ScheduleChanged("What is due has changed since you looked (another "
                                          "run, new records or a changed schedule); nothing "
                                          "was done. Look at the new figures and confirm "
                                          "again.")
                done = retention.apply(self.db, actor, schedule, now, limit=chunk)
            while done.more:
                with self.use_case("personal_data") as actor:
                    done.add(retention.apply(self.db, actor, schedule, now, limit=chunk))
            return done

    def keep_record(self, kind: str, key: str, until: date, reason: str) -> retention.Item:
        """Keep a due record until a later review date, with a reason (audited)."""
        with self.use_case("personal_data") as actor:
            return retention.keep(self.db, actor, self.retention_schedule(), self.clock(),
                                  kind, key, until, reason)

    def dispose_record(self, kind: str, key: str, reason: str) -> retention.Item:
        """Dispose of one due record now (its kind's disposal), with a reason (audited)."""
        with self.use_case("personal_data") as actor:
            return retention.dispose(self.db, actor, self.retention_schedule(), self.clock(),
                                     kind, key, reason)

    # ---- one promoter ------------------------------------------------------------------------
    def promoter(self, name: str) -> Promoter:
        """A promoter's details as held (administrators)."""
        self._fresh_actor("personal_data")
        found = venues.promoter_by_name(self.db, name)
        if found is None:
            raise NotFoundError(f"There is no promoter called {name!r} on the desk.")
        return found

    def subject_access(self, name: str) -> tuple[subject_access.SubjectAccess, bytes]:
        """Everything held about a promoter, and the zip (PDF and JSON) to give them.
        Audited: who asked for it is a record too."""
        from eventrisk.deskinfo import load_desk_contact
        from eventrisk.report.subject_access_pdf import render_subject_access

        desk = load_desk_contact()
        with self.use_case("personal_data") as actor:
            access = subject_access.gather(self.db, name, self.clock())
            pdf = render_subject_access(access, desk_name=desk.desk_name,
                                        training=self.training)
            package = subject_access.package(access, pdf)
            audit.record(self.db, actor.username, "promoter.subject_access", "promoter",
                         access.promoter_id, {"events": len(access.events),
                                       "audit_entries": len(access.audit)})
            return access, package

    def correct_promoter(self, name: str, changes: dict[str, str], reason: str) -> Promoter:
        """Correct a promoter's company, phone or email (rectification), with a reason."""
        if not reason.strip():
            raise ValidationError([("reason", "Say why the details are being corrected")])
        unknown = set(changes) - {"company", "phone", "email"}
        if unknown:
            raise ValidationError([(k, "Only company, phone and email can be corrected here")
                                   for k in sorted(unknown)])
        with self.use_case("personal_data") as actor:
            stored = venues.promoter_by_name(self.db, name)
            if stored is None:
                raise NotFoundError(f"There is no promoter called {name!r} on the desk.")
            diff = {k: [getattr(stored, k), v.strip()] for k, v in changes.items()
                    if v.strip() != getattr(stored, k)}
            if not diff:
                raise ValidationError([("details", "These are the details already held")])
            venues.update_promoter_contacts(self.db, actor.username, stored, diff,
                                            reason=reason.strip())
            found = venues.promoter_by_name(self.db, name)
            assert found is not None
            return found

    def erase_promoter(self, name: str, reason: str) -> int:
        """Erase a promoter's contact details now (on request, or when the desk has no lawful
        reason to keep them): company, phone and email go, and the free text of the audit
        entries that held them, exactly as a retention run would.  The name stays: their
        events still need a promoter.  Returns the audit entries anonymised."""
        if not reason.strip():
            raise ValidationError([("reason", "Say why the promoter is erased")])
        with self.use_case("personal_data") as actor:
            stored = venues.promoter_by_name(self.db, name)
            if stored is None or stored.id is None:
                raise NotFoundError(f"There is no promoter called {name!r} on the desk.")
            work = anonymise.Work(self.db, actor.username, _stamp(self))
            work.dispose("promoter_contacts", "delete", [stored.id])
            count, _ = work.finish("promoter.erase", {"record": f"P-{stored.id:06d}"},
                                   reason.strip(), entity="promoter", entity_id=stored.id)
            return count


def _counts(review: retention.Review) -> dict[str, int]:
    return {d.rule.kind: d.count for d in review.kinds if d.automatic}


def _stamp(desk: DeskBase) -> str:
    from eventrisk.timeutil import to_db

    return to_db(desk.clock())
