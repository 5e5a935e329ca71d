"""The desk service: the one place through which the app, the command line and any other front
end act on the desk.

Every use case is one method and one write transaction, started with ``BEGIN IMMEDIATE`` so
that a busy desk makes it wait its turn (up to the busy timeout) instead of failing at once.
Inside that transaction, and only there, it:

1. re-reads the signed-in account (role, active, locked, must change password), so a
   supervisor demoted or disabled after signing in can no longer decide anything;
2. checks the version of the record the person saw, for every decision, so a grade that
   moved after they opened it is never approved unseen;
3. moves status only through the transition table (``workflow.TRANSITIONS``), with four eyes
   on approvals and overrides;
4. writes its audit entry, naming the account.

A failure anywhere rolls the whole use case back, so it is always safe to try again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from functools import cached_property
from typing import Any

from eventrisk import audit, settings, submissions, workflow
from eventrisk.desk import readmodel
from eventrisk.desk.accounts import AccountsMixin
from eventrisk.desk.base import DeskBase
from eventrisk.desk.forms import PromoterForms, keep_form
from eventrisk.desk.mail import Mailer
from eventrisk.desk.personal import PersonalDataMixin
from eventrisk.desk.reads import ReadsMixin
from eventrisk.desk.records import RecordsMixin
from eventrisk.desk.work import WorkMixin
from eventrisk.errors import (
    PermissionDenied,
    WorkflowError,
)
from eventrisk.model import Debrief, Grade, Status, Submission, User
from eventrisk.promoter_form import FilledForm
from eventrisk.scoring import service as scoring
from eventrisk.scoring import whatif
from eventrisk.timeutil import to_db
from eventrisk.validation import check_submission

REVIEWED = (Status.IN_REVIEW, Status.APPROVED, Status.ISSUED)


class ConfirmationNeeded(WorkflowError):  # noqa: N818 - a question, not a failure
    """The action would undo a decision; ask the person, then call again with a reason."""


class PromoterDetailsChanged(WorkflowError):  # noqa: N818 - a question, not a failure
    """The form gives a known promoter other contact details (``changes``: field → [stored,
    given]); say so, then call again with ``update_promoter`` to record them (audited)."""

    def __init__(self, message: str, changes: dict[str, list[str]]):
        super().__init__(message)
        self.changes = changes


class PossibleDuplicate(WorkflowError):  # noqa: N818 - a question, not a failure
    """A new submission looks like one already on the desk (``references``); open that one,
    or call again with ``duplicate_ok`` (recorded in the audit trail)."""

    def __init__(self, message: str, references: list[str]):
        super().__init__(message)
        self.references = references


class Desk(AccountsMixin, RecordsMixin, ReadsMixin, PersonalDataMixin, WorkMixin, DeskBase):
    """An open desk database and who is signed in to it: every use case of the desk.

    One ``Desk`` belongs to one thread; a background task takes ``for_worker()``.
    """

    @cached_property
    def forms(self) -> PromoterForms:
        """The promoter's form, out (blank or pre-filled) and back (filled, into a
        submission)."""
        return PromoterForms(self)

    @cached_property
    def mail(self) -> Mailer:
        """Papers out through the force's mail relay, each sending audited."""
        return Mailer(self)

    # ---- submissions ------------------------------------------------------------------------
    def assessment(self, submission_id: int, *,
                   history: bool = True) -> readmodel.AssessmentState:
        """The assessment as it stands, with what this user may do now (and its audit
        history unless ``history`` is False)."""
        user = self.reader()
        return readmodel.load(self.db, submission_id, user, now=self.clock(),
                              history_limit=200 if history else 0)

    def assessment_by_reference(self, reference: str) -> readmodel.AssessmentState:
        """The assessment of the submission with this reference."""
        self.reader()
        sub = submissions.get_by_reference(self.db, reference)
        assert sub.id is not None
        return self.assessment(sub.id)

    def save_submission(self, sub: Submission, *, withdraw_reason: str = "",
                        duplicate_ok: bool = False, update_promoter: bool = False,
                        source_form: FilledForm | None = None) -> readmodel.AssessmentState:
        """Capture a new submission or save edits to one, and score it: one transaction.

        Editing scoring inputs of a reviewed event withdraws its approval: that needs
        ``withdraw_reason`` (else ``ConfirmationNeeded``), is audited with it, and clears any
        override.  Editing only what the scorer does not read leaves the decision standing.
        A new submission from a promoter's ``source_form`` keeps that PDF beside it, and its
        audit entry names the form's SHA-256.
        """
        if sub.id is not None and submissions.is_anonymised(self.db, sub.id):
            raise WorkflowError(f"{sub.reference} was anonymised under the retention schedule; "
                                "it can no longer be edited.")
        check_submission(sub)  # the same limits as the form and files, whoever calls
        with self.use_case("capture") as actor:
            self._promoter_details(actor, sub, update_promoter)
            if sub.id is None:
                same = submissions.duplicates_of(
                    self.db, submissions.resolve_venue_id(self.db, sub.venue_code),
                    to_db(sub.start), sub.event_name)
                if same and not duplicate_ok:
                    raise PossibleDuplicate(
                        f"{', '.join(same)} is already on the desk with the same venue, start "
                        "and name. Open it instead, or save this one anyway.", same)
                detail = ({"duplicate_of": same} if same else {}) | (
                    {"from_form": source_form.sha256} if source_form else {})
                saved = submissions.create(self.db, actor, sub, detail or None)
                assert saved.id is not None
                if source_form is not None:
                    keep_form(self.db, actor, saved.id, source_form, self.clock())
                scoring.score_ids(self.db, actor, [saved.id], now=self.clock())
                return readmodel.load(self.db, saved.id, actor, now=self.clock())
            before = submissions.get(self.db, sub.id)
            self._check_version(before, sub.version)
            if before.status in (Status.CANCELLED, Status.DEBRIEFED):
                raise WorkflowError(f"{before.reference} is {before.status.label.lower()}; it "
                                    "can no longer be edited.")

            changed = submissions.scoring_changes(before, sub)
            reviewed = before.status in REVIEWED
            if changed and reviewed and not withdraw_reason.strip():
                raise ConfirmationNeeded(
                    f"{before.reference} is {before.status.label.lower()}. Changing "
                    f"{_fields(changed)} changes what was graded, so the "
                    f"{_decision_word(before.status)} will be withdrawn and the event "
                    "rescored. Give a reason to go ahead.")
            saved = submissions.update(self.db, actor, replace(
                sub, status=before.status, conditions=sub.conditions or before.conditions))
            assert saved.id is not None
            if changed and reviewed:
                self._withdraw(actor, saved.id, withdraw_reason, changed)
            unscored = self.db.execute("SELECT assessment_id FROM submissions WHERE id = ?",
                                       [saved.id]).fetchone()[0] is None
            if changed or unscored or before.status is Status.RECEIVED:
                scoring.score_ids(self.db, actor, [saved.id], now=self.clock())
            return readmodel.load(self.db, saved.id, actor, now=self.clock())

    def _promoter_details(self, actor: User, sub: Submission, update: bool) -> None:
        """New contact details for a known promoter are never dropped without a word: they
        are confirmed, then recorded on the promoter (versioned, audited)."""
        from eventrisk import venues
        from eventrisk.model import Promoter

        stored = venues.promoter_by_name(self.db, sub.promoter_name)
        if stored is None:
            return
        given = Promoter(sub.promoter_name, sub.promoter_company, sub.promoter_phone,
                         sub.promoter_email)
        changes = venues.contact_changes(stored, given)
        if not changes:
            return
        if not update:
            shown = "; ".join(f"{k}: {old} → {new}" for k, (old, new) in changes.items())
            raise PromoterDetailsChanged(
                f"{stored.name}'s details on the desk differ from these ({shown}). Update "
                "the promoter's details, for this and later events?", changes)
        venues.update_promoter_contacts(self.db, actor.username, stored, changes)

    def _withdraw(self, actor: User, submission_id: int, reason: str,
                  changed: list[str]) -> None:
        scored = self.db.execute(
            "SELECT a.grade, a.score FROM submissions s JOIN assessments a ON "
            "a.id = s.assessment_id WHERE s.id = ?", [submission_id]).fetchone()
        extra: dict[str, Any] = {"override_grade": None}
        if scored is not None:
            extra |= {"grade": scored[0], "grade_rank": Grade(scored[0]).rank}
        workflow.apply(self.db, actor, submission_id, "withdraw", reason=reason,
                       detail={"fields": changed}, extra_sets=extra)

    def score(self, references: list[str]) -> list[readmodel.AssessmentState]:
        """Score the named submissions now; received and returned ones become assessed."""
        with self.use_case("score") as actor:
            ids = []
            for ref in references:
                sub = submissions.get_by_reference(self.db, ref)
                if sub.status is Status.CANCELLED:
                    raise WorkflowError(f"{sub.reference} is cancelled; it is not scored.")
                assert sub.id is not None
                ids.append(sub.id)
            scoring.score_ids(self.db, actor, ids, now=self.clock())
            return [readmodel.load(self.db, i, actor, history_limit=0, now=self.clock())
                    for i in ids]

    def count_rescore_all(self) -> int:
        """How many submissions a rescore of the whole desk would touch."""
        self._fresh_actor("rescore_all")
        return self.db.execute("SELECT count(*) FROM submissions WHERE status != 'cancelled'"
                               ).fetchone()[0]

    def rescore_all(self, *, progress: Callable[[int, int], bool] | None = None,
                    sink: Callable[[scoring.ScoreResult], None] | None = None,
                    parallel_from: int = scoring.PARALLEL_FROM) -> list[scoring.ScoreResult]:
        """Rescore every submission that is not cancelled (supervisors only).

        Grades change; workflow status never does.  Large desks commit in chunks (see
        ``scoring.service.score_where``), each chunk its own write transaction."""
        from eventrisk.desk.restore import doing

        actor = self._fresh_actor("rescore_all")
        with doing(self.db, actor.username, "rescoring"):
            return scoring.score_all(self.db, actor, now=self.clock(), progress=progress,
                                     sink=sink, parallel_from=parallel_from)

    # ---- decisions (each names the version the person saw: DeskBase.decision) -------------
    def _four_eyes(self, actor: User, sub: Submission, verb: str) -> dict:
        """Refuse a decision by whoever captured or last edited the event, or changed any of
        its scoring inputs since it was last approved, unless the desk relaxed four eyes;
        then the audit says so."""
        mine = actor.username in (sub.captured_by, sub.edited_by, *sub.scoring_editors)
        if not mine:
            return {}
        if settings.get(self.db, "four_eyes_relaxed"):
            return {"four_eyes": "relaxed by the desk setting: the decider captured or "
                                 "edited this event"}
        role = ("captured" if actor.username == sub.captured_by else
                "changed a scoring input of" if actor.username in sub.scoring_editors
                else "last edited")
        raise PermissionDenied(f"Four eyes: you {role} {sub.reference}, so another supervisor "
                               f"must {verb} it.")

    def submit_for_review(self, submission_id: int, seen_version: int,
                          comment: str = "") -> readmodel.AssessmentState:
        """Send an assessed (or returned, confirmed) assessment to the supervisors."""
        with self.decision("submit_for_review", submission_id, seen_version) as (actor, sub):
            workflow.submit_for_review(self.db, actor, submission_id, sub.version, comment)
            return readmodel.load(self.db, submission_id, actor, now=self.clock())

    def approve(self, submission_id: int, seen_version: int,
                comment: str = "") -> readmodel.AssessmentState:
        """A supervisor approves the grade they saw."""
        with self.decision("approve", submission_id, seen_version) as (actor, sub):
            detail = self._four_eyes(actor, sub, "approve")
            workflow.approve(self.db, actor, submission_id, comment, detail=detail,
                             expected_version=sub.version)
            return readmodel.load(self.db, submission_id, actor, now=self.clock())

    def return_to_officer(self, submission_id: int, seen_version: int,
                          comment: str) -> readmodel.AssessmentState:
        """A supervisor sends it back with a comment."""
        with self.decision("return", submission_id, seen_version) as (actor, sub):
            workflow.return_to_officer(self.db, actor, submission_id, comment,
                                       expected_version=sub.version)
            return readmodel.load(self.db, submission_id, actor, now=self.clock())

    def override(self, submission_id: int, seen_version: int, grade: Grade,
                 justification: str) -> readmodel.AssessmentState:
        """A supervisor sets another grade, with a written justification."""
        with self.decision("override", submission_id, seen_version) as (actor, sub):
            detail = self._four_eyes(actor, sub, "override")
            workflow.override(self.db, actor, submission_id, grade, justification,
                              expected_version=sub.version, detail=detail)
            return readmodel.load(self.db, submission_id, actor, now=self.clock())

    def cancel(self, submission_id: int, seen_version: int,
               reason: str) -> readmodel.AssessmentState:
        """Cancel the event, with the reason."""
        with self.decision("cancel", submission_id, seen_version) as (actor, sub):
            workflow.cancel(self.db, actor, submission_id, reason, expected_version=sub.version)
            return readmodel.load(self.db, submission_id, actor, now=self.clock())

    def agree_measures(self, submission_id: int, seen_version: int, changes: dict[str, Any], *,
                       withdraw_reason: str = "") -> readmodel.AssessmentState:
        """Record measures agreed with the promoter as conditions, and rescore."""
        self.reader()
        sub = submissions.get(self.db, submission_id)
        variant = whatif.apply_measures(sub, changes)
        new = [whatif.condition_text(k, v) for k, v in changes.items()]
        conditions = tuple(dict.fromkeys(list(sub.conditions) + new))
        return self.save_submission(replace(variant, conditions=conditions,
                                            version=seen_version),
                                    withdraw_reason=withdraw_reason)

    def what_if(self, submission_id: int) -> whatif.WhatIf:
        """A submission ready for live what-if (nothing is saved)."""
        self.reader()
        return whatif.WhatIf(self.db, submission_id, self.clock())

    def render_assessment(self, submission_id: int,
                          generated_at: datetime | None = None) -> bytes:
        """The printed assessment (OFFICIAL-SENSITIVE), from the read model."""
        from eventrisk.report.assessment_pdf import render_assessment

        self.reader()
        return render_assessment(self.db, submission_id, generated_at)

    def render_letter(self, submission_id: int, written_at: datetime | None = None) -> bytes:
        """The letter to the promoter of an approved event (OFFICIAL): the outcome in plain
        words, the agreed conditions, advice, contact and review; nothing sensitive."""
        from eventrisk.deskinfo import load_desk_contact
        from eventrisk.report.letter_pdf import letter_data, render_letter
        from eventrisk.scoring.rulebook import ruleset_by_version

        actor = self.reader()
        state = readmodel.load(self.db, submission_id, actor, history_limit=0)
        desk = load_desk_contact()
        scored_with = ruleset_by_version(self.db, state.snapshot.ruleset_version) \
            if state.snapshot else self.active_ruleset()
        return render_letter(letter_data(state, scored_with, desk, written_at or self.clock(),
                                         desk.letter_shows_grade))

    def issue_letter(self, submission_id: int, pdf: bytes) -> str:
        """Record that this letter went to the promoter (and the venue); its SHA-256."""
        import hashlib

        from eventrisk.report.letter_pdf import LETTER_STATUSES

        digest = hashlib.sha256(pdf).hexdigest()
        with self.use_case("issue") as actor:
            sub = submissions.get(self.db, submission_id)
            if sub.status not in LETTER_STATUSES:
                raise WorkflowError(f"{sub.reference} is {sub.status.label.lower()}: only an "
                                    "approved assessment's letter can be sent.")
            grade = readmodel.load(self.db, submission_id, actor, history_limit=0).grade
            audit.record(self.db, actor.username, "letter.issue", "submission", submission_id,
                         {"sha256": digest, "reference": sub.reference,
                          "grade": grade.value if grade else None}, "")
        return digest

    def issue(self, submission_id: int, seen_version: int, pdf: bytes) -> str:
        """Record that this PDF of an approved assessment went to the borough; its SHA-256."""
        from eventrisk.report.issue import issue

        with self.decision("issue", submission_id, seen_version) as (actor, sub):
            digest = issue(self.db, actor, submission_id, pdf, expected_version=sub.version)
        self._witness(*audit.head(self.db))  # the paper left the desk: so does its head
        return digest

    def record_debrief(self, debrief: Debrief,
                       seen_version: int | None = None) -> Debrief:
        """What happened at a past event; the event becomes debriefed."""
        from eventrisk import incidents

        with self.use_case("record_debrief") as actor:
            return incidents.record_debrief(self.db, actor, debrief, seen_version)


def _fields(names: list[str]) -> str:
    words = [n.replace("_", " ") for n in names]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _decision_word(status: Status) -> str:
    return {Status.IN_REVIEW: "request for review", Status.APPROVED: "approval",
            Status.ISSUED: "approval (and the issued assessment)"}[status]


