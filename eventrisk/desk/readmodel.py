"""The assessment as it stands: one read model for the screen, the printed page and ``--json``.

Whatever shows an assessment reads it from here, so that the grade in force (a supervisor's
override included), its guidance (from the ruleset the snapshot was scored with, not the one
in force today) and the last decision can never disagree between screen and paper.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from eventrisk import audit, settings, submissions, workflow
from eventrisk.model import Grade, Promoter, Status, Submission, User, Venue
from eventrisk.scoring.rulebook import ruleset_by_version
from eventrisk.scoring.service import StoredAssessment, assessment_by_id, latest_assessment
from eventrisk.timeutil import now_utc, to_file
from eventrisk.users import can
from eventrisk.venues import get_promoter, get_venue
from eventrisk.wording import agreed_guidance


@dataclass(frozen=True)
class AssessmentState:
    """One submission with its latest snapshot, the grade in force and who may do what now.

    ``grade`` is the grade in force (the override if a supervisor set one); ``scored_grade``
    is what the rules gave.  ``actions`` are what ``user`` may do at this moment, with role,
    status and four eyes already applied.  ``version`` is what a decision must name.
    """

    submission: Submission
    venue: Venue
    promoter: Promoter
    snapshot: StoredAssessment | None
    grade: Grade | None
    scored_grade: Grade | None
    override: Grade | None
    guidance: str
    review: workflow.Review | None
    history: tuple[audit.AuditEntry, ...]
    actions: frozenset[str]
    training: bool
    four_eyes_blocked: bool  # this user captured or last edited it, so may not decide on it
    borough_action: str = ""  # what the borough should do at the grade in force
    assigned: str = ""  # the name of the officer who looks after it
    # A decided event's snapshot is the one the supervisor decided on; a rescore since then
    # is kept here, beside it, and never changes the grade in force.
    rescored: StoredAssessment | None = None
    # Who changed a scoring input since the last approval (or since capture), by name: none
    # of them may approve or override it.
    scoring_editors: tuple[str, ...] = ()

    @property
    def version(self) -> int:
        return self.submission.version

    @property
    def status(self) -> Status:
        return self.submission.status

    @property
    def guidance_as_agreed(self) -> str:
        """``guidance`` worded to agree with the conditions agreed (a LOW event with agreed
        conditions must not read "No conditions needed beyond the licence")."""
        return agreed_guidance(self.guidance, self.submission.conditions)

    @property
    def borough_action_as_agreed(self) -> str:
        """``borough_action`` worded to agree with the conditions agreed."""
        return agreed_guidance(self.borough_action, self.submission.conditions)

    @property
    def decision_stale(self) -> bool:
        """The event needs a re-review: a rescore since the last approval or override grades
        it differently from the snapshot decided on (or the grade in force moved)."""
        r = self.review
        if r is None or r.decision == "return" or self.grade is None \
                or self.status not in (Status.APPROVED, Status.ISSUED):
            return False
        if self.rescored is not None and self.snapshot is not None \
                and self.rescored.grade != self.snapshot.grade:
            return True
        return r.grade_after != self.grade.value

    def as_json(self) -> dict:
        """Plain data for ``score --json`` and other tools."""
        snap = self.snapshot
        sub = self.submission
        return {
            "reference": sub.reference, "event_name": sub.event_name,
            "start": to_file(sub.start), "status": sub.status.value, "version": sub.version,
            "grade": self.grade.value if self.grade else None,
            "scored_grade": self.scored_grade.value if self.scored_grade else None,
            "override": self.override.value if self.override else None,
            "score": snap.score if snap else None,
            "confidence": snap.confidence if snap else None,
            "ruleset_version": snap.ruleset_version if snap else None,
            "guidance": self.guidance, "borough_action": self.borough_action,
            "fired": [{"id": f.id, "title": f.title, "points": f.points, "evidence": f.evidence,
                       "measure": f.measure, "min_grade": f.min_grade,
                       "incident_refs": list(f.incident_refs)} for f in snap.fired]
            if snap else [],
            "conditions": list(sub.conditions),
            "review": {"decision": self.review.decision, "by": self.review.reviewer,
                       "at": self.review.at, "comment": self.review.comment,
                       "grade_before": self.review.grade_before,
                       "grade_after": self.review.grade_after} if self.review else None,
            "training": self.training,
            "decision_stale": self.decision_stale,
            "rescored": {"score": self.rescored.score, "grade": self.rescored.grade.value,
                         "ruleset_version": self.rescored.ruleset_version}
            if self.rescored else None,
        }


def load(db: Database, submission_id: int, user: User | None = None, *,
         history_limit: int = 200, now: datetime | None = None) -> AssessmentState:
    """The assessment of one submission as it stands, for ``user`` (None: for printing)."""
    sub = submissions.get(db, submission_id)
    assert sub.venue_id is not None and sub.promoter_id is not None
    snapshot = latest_assessment(db, submission_id)
    review = workflow.latest_review(db, submission_id)
    rescored = None
    if (review is not None and review.decision != "return" and review.assessment_id
            and snapshot is not None and snapshot.id != review.assessment_id
            and sub.status.value in workflow.DECIDED):
        decided = assessment_by_id(db, review.assessment_id)
        if decided is not None:
            snapshot, rescored = decided, snapshot
    override_text, assigned = db.execute(
        "SELECT s.override_grade, coalesce(u.display_name, '') FROM submissions s LEFT JOIN "
        "users u ON u.id = s.assigned_to WHERE s.id = ?", [submission_id]).fetchone()
    override = Grade(override_text) if override_text else None
    scored = snapshot.grade if snapshot else None
    grade = override or scored
    guidance = borough_action = ""
    if snapshot is not None and grade is not None:
        scored_with = ruleset_by_version(db, snapshot.ruleset_version)
        guidance = scored_with.guidance(grade)
        borough_action = scored_with.borough_action(grade)
    blocked = four_eyes_blocked(db, user, sub)
    return AssessmentState(
        submission=sub, venue=get_venue(db, sub.venue_id),
        promoter=get_promoter(db, sub.promoter_id), snapshot=snapshot, grade=grade,
        scored_grade=scored, override=override, guidance=guidance,
        borough_action=borough_action,
        review=review, rescored=rescored,
        history=tuple(audit.history(db, "submission", submission_id, history_limit))
        if history_limit else (),
        actions=actions_for(user, sub, snapshot is not None, blocked, now or now_utc()),
        training=settings.is_training(db), four_eyes_blocked=blocked, assigned=assigned,
        scoring_editors=_names(db, sub.scoring_editors))


def _names(db: Database, usernames: tuple[str, ...]) -> tuple[str, ...]:
    """Display names for user names (the user name where there is no account)."""
    if not usernames:
        return ()
    known = dict(db.execute("SELECT username, display_name FROM users WHERE username IN "
                            f"({', '.join('?' for _ in usernames)})", list(usernames)))
    return tuple(sorted(known.get(u, u) for u in usernames))


def four_eyes_blocked(db: Database, user: User | None, sub: Submission) -> bool:
    """This user captured, last edited or changed what was scored since the last review, so
    may not decide on it (unless the desk relaxed four eyes)."""
    if user is None or bool(settings.get(db, "four_eyes_relaxed")):
        return False
    return user.username in (sub.captured_by, sub.edited_by, *sub.scoring_editors)


def actions_for(user: User | None, sub: Submission, scored: bool, four_eyes_blocked: bool,
                now: datetime) -> frozenset[str]:
    """What ``user`` may do with this submission now (the desk service checks it again)."""
    if user is None or not user.active:
        return frozenset()
    status = sub.status
    out = set(workflow.allowed_actions(user, status))
    if not scored:
        out -= {"submit_for_review", "approve", "return", "override", "issue"}
    if four_eyes_blocked:
        out -= {"approve", "override"}
    open_ = status not in (Status.CANCELLED, Status.DEBRIEFED)
    if open_ and can(user, "assign"):
        out.add("assign")
    if open_ and can(user, "capture"):
        out.add("edit")
        if scored:
            out.add("agree_measures")
    if status is not Status.CANCELLED and can(user, "score"):
        out.add("rescore")
    if open_ and sub.start <= now and can(user, "record_debrief"):
        out.add("debrief")
    if scored:
        out.add("preview")
    if scored and status in (Status.APPROVED, Status.ISSUED) and can(user, "issue"):
        out.add("letter")  # the promoter hears the outcome once a supervisor approved it
    return frozenset(out)
