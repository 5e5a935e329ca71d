"""The assessment of one submission: grade and reasons, what-if, decisions, printing, history."""

from __future__ import annotations

import ast
import re
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QDate, QDateTime, Qt, QThreadPool, QTime, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from eventrisk.desk import ConfirmationNeeded, Desk
from eventrisk.errors import ValidationError
from eventrisk.fields import SUBMISSION_FIELDS
from eventrisk.model import EventType, Grade, SearchRegime, Status, Ticketing
from eventrisk.scoring import whatif
from eventrisk.scoring.whatif import MEASURES
from eventrisk.timeutil import british_datetime, british_time, from_db, local_to_utc, to_local
from ui.datetime_fields import DateTimeField
from ui.dialogs import ask_reason, confirm, ok_cancel, settle
from ui.errors import show_error
from ui.flow_layout import FlowLayout
from ui.mailing import offer_to_send
from ui.memory import memory_of
from ui.models import Column, ObjectTableModel, table_view
from ui.pdf_preview import PdfPreview, print_pdf, save_pdf
from ui.style import badge_css
from ui.submission_form import SubmissionForm
from ui.worker import Task

ACTION_LABELS = {"submit_for_review": "Submit for &review", "approve": "&Approve",
                 "return": "Ret&urn…", "override": "&Override grade…", "issue": "&Issue…",
                 "cancel": "&Cancel event…", "debrief": "Record &debrief…",
                 "letter": "&Letter to promoter…", "assign": "Assi&gn…"}
# Shown when an assessment is opened from the review list: decide, then the next one.
NEXT_LABELS = {"approve_next": "Approve and ne&xt", "return_next": "Return and &move on…",
               "skip": "S&kip to the next"}


# Decisions that need a written reason: dialog title, prompt, and the desk's use case.  Each
# names the version the person was shown, so a grade that moved meanwhile is never decided.
REASONED = {
    "return": ("Return to the officer", "Comment for the officer",
               lambda desk, s, d: desk.return_to_officer(s.submission.id, s.version, d.text())),
    "override": ("Override the grade and approve", "Justification (required, printed on "
                 "the assessment)",
                 lambda desk, s, d: desk.override(s.submission.id, s.version, d.grade(),
                                                  d.text())),
    "cancel": ("Cancel the event", "Reason",
               lambda desk, s, d: desk.cancel(s.submission.id, s.version, d.text())),
}


class AssessmentView(QWidget):
    """Everything about one submission for the role signed in.  Emits ``changed(id)`` when
    something was saved and ``open_venue(venue_id)``."""

    changed = Signal(int)
    open_venue = Signal(int)
    what_if_ready = Signal()
    next_requested = Signal(int)  # from the review list: this one is done (or skipped)
    decided = Signal(str)  # a decision was recorded: one line naming the event and grade
    notice = Signal(str)  # one line for the status bar (a paper mailed, or why not)

    def __init__(self, desk: Desk, submission_id: int, parent=None):
        super().__init__(parent)
        self.desk, self.submission_id = desk, submission_id
        self.title = QLabel(objectName="assessmentTitle", wordWrap=True)
        self.title.setStyleSheet("font-size:17px; font-weight:bold;")
        self.subtitle = QLabel(objectName="assessmentSubtitle", wordWrap=True)
        self.badge = QLabel(objectName="gradeBadge")
        self.badge.setAccessibleName("Grade")
        self.badge_detail = QLabel(objectName="gradeDetail", wordWrap=True)
        head = QHBoxLayout()
        head.addWidget(self.badge)
        head.addWidget(self.badge_detail, 1)

        self.fired_model = ObjectTableModel([
            Column("Points", lambda f: f"+{f.points}"),
            Column("Rule", lambda f: f.title),
            Column("Evidence", lambda f: f.evidence),
        ], parent=self)
        self.fired = table_view(self.fired_model, "firedRules", "Why this grade: rules that fired",
                                wrap=True)
        self.fired.setColumnWidth(0, 55)
        self.fired.setColumnWidth(1, 230)
        self.fired.doubleClicked.connect(self._open_incidents)
        self.conditions = QLabel(objectName="conditions", wordWrap=True)
        self.decision = QLabel(objectName="decision", wordWrap=True)
        self.four_eyes = QLabel(objectName="fourEyes", wordWrap=True)

        self.actions = FlowLayout()  # wraps onto a second row on a small screen
        self.buttons: dict[str, QPushButton] = {}
        self.reviewing = False  # set when opened from the review list
        for name, text in (("edit", "&Edit…"), ("rescore", "Re&score"),
                           *ACTION_LABELS.items(), *NEXT_LABELS.items(),
                           ("preview", "&Preview / print…"), ("venue", "Ve&nue…")):
            button = QPushButton(text, objectName=f"action_{name}")
            button.clicked.connect(lambda _=False, n=name: self._act(n))
            self.buttons[name] = button
            self.actions.addWidget(button)
        # Ctrl+P on an assessment prints this assessment (the window's Ctrl+P, a borough pack,
        # steps aside while an assessment is in front).
        QShortcut(QKeySequence.StandardKey.Print, self, lambda: self._act("preview"),
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)

        self.audit_model = ObjectTableModel([
            Column("When", lambda e: f"{to_local(from_db(e.at)):%d/%m/%Y %H:%M}"),
            Column("Who", lambda e: e.actor),
            Column("What", lambda e: HISTORY_WORDS.get(e.action, e.action.split(".")[-1]
                                                       .replace("_", " "))),
            Column("Why / detail", lambda e: _short(history_text(e.action, e.detail, e.reason)),
                   tooltip=lambda e: history_text(e.action, e.detail, e.reason)),
        ], parent=self)
        self.audit = table_view(self.audit_model, "auditHistory", "History of this assessment",
                                wrap=True)
        self.audit.setColumnWidth(0, 125)  # a date and time on one line
        self.audit.setColumnWidth(2, 150)

        left = QWidget()
        lv = QVBoxLayout(left)
        lv.addWidget(self.title)
        lv.addWidget(self.subtitle)
        lv.addLayout(head)
        lv.addWidget(QLabel("<b>Why this grade</b> (double-click a row to see its incidents)"))
        lv.addWidget(self.fired, 3)
        lv.addWidget(QLabel("<b>Agreed measures and conditions</b>"))
        lv.addWidget(self.conditions)
        lv.addWidget(QLabel("<b>Supervisor's decision</b>"))
        lv.addWidget(self.decision)
        lv.addWidget(self.four_eyes)
        lv.addLayout(self.actions)
        lv.addWidget(QLabel("<b>History</b>"))
        lv.addWidget(self.audit, 2)

        self.what_if = WhatIfPanel(self)
        self.what_if.agree.clicked.connect(self._agree)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.what_if)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        self.reload()

    # ---- showing -------------------------------------------------------------------------
    def reload(self) -> None:
        """Re-read the assessment as it stands (the same read model the PDF prints)."""
        state = self.desk.assessment(self.submission_id)
        self.state = state
        sub, venue = state.submission, state.venue
        end = to_local(sub.end)
        self.title.setText(f"{sub.reference} · {sub.event_name}")
        self.subtitle.setText(
            f"{venue.name}, {venue.borough} · {british_datetime(sub.start)} to "
            f"{end:%a} {british_time(sub.end)} · {sub.expected_attendance:,} expected "
            f"(capacity {venue.capacity:,}) · status: {sub.status.label}"
            + (f" · looked after by {state.assigned}" if state.assigned else "")
            + (" · scoring inputs changed since the last approval by "
               + ", ".join(state.scoring_editors) if state.scoring_editors else ""))
        snap = state.snapshot
        if snap is None or state.grade is None:
            self.badge.setText("NOT SCORED")
            self.badge.setStyleSheet(badge_css(None))
            self.badge_detail.setText("Press Rescore to grade this submission.")
            self.fired_model.set_objects([])
        else:
            grade = state.grade
            self.grade = grade
            self.badge.setText(grade.value)
            self.badge.setStyleSheet(badge_css(grade) + " font-size:20px;")
            note = (f"Supervisor set {grade.value}; scored {state.scored_grade}. "
                    if state.override else "")
            stale = ("The grade has changed since the supervisor's decision. "
                     if state.decision_stale else "")
            if state.decision_stale and state.rescored is not None:
                stale = (f"Rescored {state.rescored.grade.value} (score "
                         f"{state.rescored.score}) since the supervisor's decision: it needs "
                         "a re-review; the decided grade stays in force until then. ")
            self.badge_detail.setText(
                f"{stale}{note}Score {snap.score} · confidence {snap.confidence:.0%} · rules "
                f"{snap.ruleset_version}\n{state.guidance_as_agreed}")
            self.fired_model.set_objects(list(snap.fired))
        self.conditions.setText("\n".join(f"• {c}" for c in sub.conditions)
                                or "None agreed yet. Use the what-if panel to try measures.")
        review = state.review
        if review is None:
            self.decision.setText("Not reviewed yet.")
        else:
            verb = {"approve": "Approved", "return": "Returned",
                    "override": f"Overridden {review.grade_before} → {review.grade_after}"}
            self.decision.setText(f"{verb.get(review.decision, review.decision)} by "
                                  f"{review.reviewer}, {british_datetime(from_db(review.at))}"
                                  + (f": {review.comment}" if review.comment else ""))
        blocked = (state.four_eyes_blocked and sub.status is Status.IN_REVIEW
                   and self.desk.may("approve"))
        self.four_eyes.setText("Four eyes: you captured or edited this event, or changed a "
                               "scoring input of it since it was last approved, so another "
                               "supervisor must approve it or override its grade."
                               if blocked else "")
        self.four_eyes.setVisible(blocked)
        for name in ACTION_LABELS:
            self.buttons[name].setVisible(name in state.actions)
        reviewing = self.reviewing and sub.status is Status.IN_REVIEW
        self.buttons["approve_next"].setVisible(reviewing and "approve" in state.actions)
        self.buttons["return_next"].setVisible(reviewing and "return" in state.actions)
        self.buttons["skip"].setVisible(self.reviewing)
        self.buttons["edit"].setEnabled("edit" in state.actions)
        self.buttons["rescore"].setEnabled("rescore" in state.actions)
        self.buttons["preview"].setEnabled("preview" in state.actions)
        self.audit_model.set_objects(list(state.history))
        if snap is not None:
            self._load_what_if(state.version, "agree_measures" in state.actions)
        else:
            self.what_if.show_loading("Score the submission first; then measures can be tried.")

    @property
    def sub(self):
        """The submission as last read (from the read model)."""
        return self.state.submission

    @property
    def venue(self):
        """Its venue as last read."""
        return self.state.venue

    def _load_what_if(self, version: int, may_agree: bool) -> None:
        """Read the history the what-if needs on a worker thread (it can take a while at a
        busy venue); the panel says it is loading and binds when it arrives."""
        self.what_if.show_loading()
        desk, sid = self.desk, self.submission_id

        def work(_report):
            worker = desk.for_worker()
            try:
                return worker.what_if(sid)
            finally:
                worker.close()

        task = Task(work)
        self._what_if_task = task  # newest wins: an older load arriving late is ignored

        def arrived(result) -> None:
            try:
                if self._what_if_task is task and self.state.version == version:
                    self.what_if.bind(result, may_agree, self.state.override)
                    self.what_if_ready.emit()
            except RuntimeError:  # the tab was closed while the history was being read
                pass

        def failed(exc: BaseException) -> None:
            try:
                if self._what_if_task is task:
                    self.what_if.show_loading(f"The what-if could not be prepared: {exc}")
            except RuntimeError:
                pass

        task.signals.finished.connect(arrived)
        task.signals.failed.connect(failed)
        QThreadPool.globalInstance().start(task)

    # ---- actions -------------------------------------------------------------------------
    def start_reviewing(self) -> None:
        """Opened from the review list: offer to decide and go on to the next."""
        self.reviewing = True
        self.reload()

    def _act(self, name: str) -> None:
        if name in NEXT_LABELS:
            self._act_and_next(name)
            return
        try:
            done = self._do(name)
        except Exception as exc:  # noqa: BLE001 - one place turns it into a message
            show_error(self, exc)
            self._reload_quietly()
            return
        if done:
            self.reload()
            self._say_decided(name)
            self.changed.emit(self.submission_id)

    def _say_decided(self, name: str) -> None:
        """A decision is never silent: one status line naming the event and its grade."""
        verb = {"approve": "Approved", "return": "Returned to the officer",
                "override": "Overrode the grade and approved", "cancel": "Cancelled"}.get(name)
        if verb is None:
            return
        try:
            state = self.desk.assessment(self.submission_id, history=False)
        except Exception:  # noqa: BLE001 - the decision is recorded; the line is a courtesy
            state = self.state
        sub, grade = state.submission, state.grade
        graded = grade.value if grade is not None else "not scored"
        agreed = len(sub.conditions)
        self.decided.emit(f"{verb} {sub.reference} ({sub.event_name}): {graded}, "
                          + (f"{agreed} agreed condition{'s' if agreed != 1 else ''}."
                             if agreed else "no agreed conditions."))

    def _act_and_next(self, name: str) -> None:
        """Decide (or skip) and ask for the next one in the review list."""
        if name != "skip":
            try:
                done = self._do("approve" if name == "approve_next" else "return")
            except Exception as exc:  # noqa: BLE001 - one place turns it into a message
                show_error(self, exc)
                self._reload_quietly()
                return
            if not done:
                return
            self._say_decided("approve" if name == "approve_next" else "return")
            self.changed.emit(self.submission_id)
        self.next_requested.emit(self.submission_id)

    def _reload_quietly(self) -> None:
        """After a refused action, show the record as it now is (a colleague may have
        changed it)."""
        try:
            self.reload()
        except Exception:  # noqa: BLE001 - the first message is the one that matters
            pass

    def _do(self, name: str) -> bool:
        sid, state = self.submission_id, self.state
        if name == "edit":
            form = SubmissionForm(self.desk, self.sub, self)
            return bool(form.exec())
        if name == "rescore":
            self.desk.score([self.sub.reference])
            return True
        if name == "submit_for_review":
            comment = ""
            if state.status is Status.RETURNED:
                comment, ok = QInputDialog.getText(
                    self, "Send back for review",
                    "Resubmit this returned assessment for review, as it is now? Say what you "
                    "changed or checked (optional):")
                if not ok:
                    return False
            self.desk.submit_for_review(sid, state.version, comment)
            return True
        if name == "approve":
            question = self.desk.approval_question(sid)
            if question and not confirm(self, f"Approve {state.grade.value} with no "
                                        "conditions?", question,
                                        yes=f"Approve {state.grade.value} with none",
                                        no="Cancel"):
                return False
            self.desk.approve(sid, state.version)
            return True
        if name == "assign":
            people = self.desk.assignable()
            names = [f"{display} ({username})" for username, display in people]
            current = next((i for i, (_, d) in enumerate(people) if d == state.assigned), 0)
            chosen, ok = QInputDialog.getItem(self, "Assign", f"Who should look after "
                                              f"{self.sub.reference}?", names, current, False)
            if not ok:
                return False
            self.desk.assign(sid, state.version, people[names.index(chosen)][0])
            return True
        if name in REASONED:
            title, prompt, decide = REASONED[name]
            dialog = ReasonDialog(title, prompt, grades=name == "override",
                                  current=state.grade, parent=self)
            if not dialog.exec():
                return False
            decide(self.desk, state, dialog)
            return True
        if name == "preview":
            pdf = self.desk.render_assessment(sid)
            PdfPreview(pdf, self.sub.reference, f"{self.sub.reference}.pdf", self).exec()
            return False
        if name == "issue":
            pdf = self.desk.render_assessment(sid, for_issue=True)  # says issued, by whom
            path = save_pdf(self, pdf, f"{self.sub.reference}.pdf", memory_of(self.desk))
            if path is None:
                return False
            try:
                digest = self.desk.issue(sid, state.version, pdf)
            except Exception:
                # the file says issued: it must not outlive an issue that was not recorded
                Path(path).unlink(missing_ok=True)
                raise
            QMessageBox.information(self, "Issued", f"Issued {self.sub.reference}; saved to "
                                    f"{path}.\nSHA-256 {digest}")
            self._offer_mail("issued", sid, pdf)
            if QMessageBox.question(self, "Print", "Print it now as well?") == \
                    QMessageBox.StandardButton.Yes:
                print_pdf(self, pdf, self.sub.reference)
            return True
        if name == "letter":
            pdf = self.desk.render_letter(sid)
            path = save_pdf(self, pdf, f"{self.sub.reference}-letter.pdf",
                            memory_of(self.desk))
            if path is None:
                return False
            digest = self.desk.issue_letter(sid, pdf)
            QMessageBox.information(self, "Letter", f"Saved the letter to "
                                    f"{self.state.promoter.name} at {path}, and recorded it as "
                                    f"sent.\nSHA-256 {digest}")
            self._offer_mail("letter", sid, pdf)
            return True
        if name == "debrief":
            from ui.venue_dialog import DebriefDialog

            return bool(DebriefDialog(self.desk, sid, self.sub.reference, self).exec())
        if name == "venue":
            self.open_venue.emit(self.venue.id)
        return False

    def _offer_mail(self, kind: str, sid: int, pdf: bytes) -> bool:
        """Where the desk has a mail relay: offer to send the paper just issued (to the
        borough's duty mailbox, or the letter to the promoter), in the background.  A failure
        says what failed, leaves the paper issued, and sending again is one click.  True when
        the person chose to send."""
        try:
            if self.desk.mail.relay() is None:
                return False
            if kind == "issued":
                mailbox = self.desk.mail.mailbox(self.venue.borough)
                to = f"{self.venue.borough}'s duty mailbox ({mailbox})"
                def send(desk):
                    return desk.mail.send_issued(sid, pdf)
            else:
                if not self.sub.promoter_email:
                    return False
                to = f"{self.sub.promoter_name} ({self.sub.promoter_email})"
                def send(desk):
                    return desk.mail.send_letter(sid, pdf)
        except ValidationError as exc:  # no mailbox for this borough in desk.json
            self.notice.emit(f"Not mailed: {exc.problems[0][1]}.")
            return False
        what = "the issued assessment" if kind == "issued" else "the letter"
        reference = self.sub.reference

        def sent(result) -> None:
            self.notice.emit(f"Sent {what} of {reference} to "
                             f"{', '.join(result.recipients)} (recorded in the audit trail).")

        return offer_to_send(self, self.desk, what, to, send,
                             f"{reference} stays issued; nothing else changed.", sent)

    def _agree(self) -> None:
        changes = self.what_if.changes()
        if not changes:
            return
        reason = ""
        while True:
            try:
                self.desk.agree_measures(self.submission_id, self.state.version, changes,
                                         withdraw_reason=reason)
            except ConfirmationNeeded as exc:
                reason = ask_reason(self, "Withdraw the decision?", str(exc))
                if reason is None:
                    return
                continue
            except Exception as exc:  # noqa: BLE001
                show_error(self, exc)
                self._reload_quietly()
                return
            break
        self.reload()
        self.changed.emit(self.submission_id)

    def _open_incidents(self, index) -> None:
        fired = index.data(ObjectTableModel.ObjectRole)
        refs = fired.incident_refs if fired else None
        if not refs:
            return
        lines = []
        for ref in refs:
            inc = self.desk.incident_by_reference(ref)
            lines.append(f"{inc.reference} · {british_datetime(inc.occurred_at)} · "
                         f"{inc.category.label} · {inc.severity.label} · {inc.location.label}"
                         + (f" · event {inc.event_reference}" if inc.event_reference else "")
                         + (f" · crime ref {inc.crime_reference}" if inc.crime_reference else "")
                         + (" · reported by the venue" if inc.venue_reported else ""))
        QMessageBox.information(self, fired.title, "\n".join(lines))


HISTORY_WORDS = {"assessment.snapshot": "scored", "assessment.baseline": "scored (before "
                 "this release)", "submission.baseline": "on record (before this release)",
                 "submission.import": "imported", "submission.create":
                 "captured", "submission.edit": "edited", "submission.assign": "assigned",
                 "submission.retention": "retention schedule"}


def history_text(action: str, detail: dict, reason: str) -> str:
    """One audit entry in words for the History table (full text in the tooltip)."""
    parts = []
    if action in ("assessment.snapshot", "assessment.baseline"):
        parts.append(f"{detail.get('grade')} (score {detail.get('score')})")
    elif action == "submission.edit":
        parts += [f"{_FIELD_LABELS.get(name, name.replace('_', ' '))}: {_worded(change[0])} → "
                  f"{_worded(change[1])}" for name, change in detail.items()
                  if isinstance(change, list) and len(change) == 2]
    elif action == "submission.assign":
        parts.append(f"{detail.get('assigned_from') or 'nobody'} → {detail.get('assigned_to')}")
    elif "to" in detail:
        moved = f"{detail.get('from', '').replace('_', ' ')} → {detail['to'].replace('_', ' ')}"
        if "grade_after" in detail:
            moved += f"; grade {detail.get('grade_before')} → {detail['grade_after']}"
        elif "grade" in detail:
            moved += f"; grade {detail['grade']}"
        parts.append(moved)
    if reason:
        parts.append(f"“{reason}”")
    return "; ".join(parts)


_FIELD_LABELS = {f.name: f.label for f in SUBMISSION_FIELDS} | {
    "start": "Start", "end": "End", "conditions": "Agreed conditions",
    "performers": "Performers"}


def _worded(value) -> str:
    """A value as the audit trail stored it (Python's str of it), in the desk's words: a
    time as 08/12/2026 00:17, a list as its items, None as not stated."""
    text = str(value).strip()
    if text in ("None", ""):
        return "not stated"
    if text in ("True", "False"):
        return "yes" if text == "True" else "no"
    if text[:1] in "([" and text[-1:] in ")]":
        try:
            items = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            items = None
        if isinstance(items, (list, tuple)):
            return "; ".join(str(i) for i in items) if items else "none"
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        for kind in (EventType, Ticketing, SearchRegime):  # a stored code: its label
            if text in {k.value for k in kind}:
                return kind(text).label
        return text.replace("_", " ") if re.fullmatch(r"[a-z_]+", text) else text
    if when.tzinfo is None:
        return when.strftime("%d/%m/%Y %H:%M")
    return british_datetime(when)


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


class ReasonDialog(QDialog):
    """Asks for a reason (never empty) and, for overrides, the new grade."""

    def __init__(self, title: str, prompt: str, grades: bool = False,
                 current: Grade | None = None, parent=None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.reason = QPlainTextEdit(objectName="reason", accessibleName=prompt)
        self.reason.setTabChangesFocus(True)  # Tab moves on; the keyboard is never trapped
        self.grade_box = QComboBox(objectName="overrideGrade", accessibleName="New grade")
        self.grade_box.addItem("Choose the new grade", "")
        for g in Grade:
            if g is not current:  # overriding to the grade in force is not an override
                self.grade_box.addItem(g.value, g.value)
        self.buttons = ok_cancel(self)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(False)

        def ready() -> None:
            ok.setEnabled(bool(self.text()) and (not grades or bool(
                self.grade_box.currentData())))

        self.reason.textChanged.connect(ready)
        self.grade_box.currentIndexChanged.connect(ready)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):  # Enter is a new line; Ctrl+Enter is OK
            QShortcut(QKeySequence(keys), self, activated=lambda: ok.isEnabled() and ok.click())
        layout = QFormLayout(self)
        if grades:
            ok.setText("Override and &approve")
            layout.addRow(QLabel("An override also approves the event, at the new grade, "
                                 "with its agreed conditions; the justification is printed "
                                 "on the assessment.", wordWrap=True,
                                 objectName="overrideApproves"))
            layout.addRow("Grade in force", QLabel(current.value if current else "not scored",
                                                   objectName="gradeInForce"))
            layout.addRow("New grade", self.grade_box)
        layout.addRow(prompt, self.reason)
        layout.addRow(QLabel("Enter starts a new line; Ctrl+Enter does "
                             f"“{ok.text().replace('&', '')}”.", objectName="reasonKeys"))
        layout.addRow(self.buttons)
        settle(self, [self.grade_box, self.reason] if grades else [self.reason], ok)

    def text(self) -> str:
        return self.reason.toPlainText().strip()

    def grade(self) -> Grade:
        return Grade(self.grade_box.currentData())


class WhatIfPanel(QGroupBox):
    """Measures to try; the grade and the rule-by-rule difference update as you change them."""

    def __init__(self, parent=None):
        super().__init__("What if… (nothing is saved until you record it)", parent)
        self.setObjectName("whatIf")
        self._what_if: whatif.WhatIf | None = None
        self._may_agree = False
        self._override: Grade | None = None
        self._loading = False
        self.attendance = QSpinBox(minimum=1, maximum=100_000, objectName="wi_expected_attendance",
                                   singleStep=50)
        self.attendance.setGroupSeparatorShown(True)
        # "Not stated" is its own answer: never shown as 0 door staff or "No search".
        self.door = QSpinBox(minimum=-1, maximum=500, objectName="wi_door_supervisors")
        self.door.setSpecialValueText("Not stated")
        self.search = QComboBox(objectName="wi_search_regime")
        self.search.addItem("Not stated", "")
        for r in SearchRegime:
            self.search.addItem(r.label, r.value)
        self.capacity_note = QLabel(objectName="wi_capacity", wordWrap=True)
        self.override_note = QLabel(objectName="wi_override", wordWrap=True)
        self.end = DateTimeField(QDateTime(), accessible="Finish", name="wi_end")
        self.ticketing = QComboBox(objectName="wi_ticketing")
        self.ticketing.addItem("Not stated", "")
        for t in Ticketing:
            self.ticketing.addItem(t.label, t.value)
        self.min_age = QSpinBox(minimum=-1, maximum=25, objectName="wi_min_age")
        self.min_age.setSpecialValueText("Not stated")
        self.checks = {f: QCheckBox(objectName=f"wi_{f}") for f in
                       ("id_scanning", "cctv", "dispersal_plan", "medical_cover")}
        labels = {m.field: m.label for m in MEASURES}
        self.inputs = QWidget(objectName="whatIfInputs")  # hidden until the history is in
        form = QFormLayout(self.inputs)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("", self.capacity_note)
        for field, widget in (("expected_attendance", self.attendance),
                              ("door_supervisors", self.door), ("search_regime", self.search),
                              ("end", self.end), ("ticketing", self.ticketing),
                              ("min_age", self.min_age), *self.checks.items()):
            widget.setAccessibleName(labels[field])
            form.addRow(labels[field], widget)
        self.result = QLabel(objectName="whatIfGrade")
        self.result.setAccessibleName("Grade with these measures")
        self.result_detail = QLabel(objectName="whatIfDetail", wordWrap=True)
        self.diff_model = ObjectTableModel([
            Column("Change", lambda c: f"{c.delta:+d}"),
            Column("Rule", lambda c: c.title),
        ])
        self.diff = table_view(self.diff_model, "whatIfDiff", "What-if: how the rules change",
                               wrap=True)
        self.diff.setColumnWidth(0, 60)
        self.reset = QPushButton("Reset")
        self.reset.clicked.connect(self._reset)
        self.agree = QPushButton("Record as agreed measures", objectName="agreeMeasures")
        layout = QVBoxLayout(self)
        layout.addWidget(self.inputs)
        layout.addWidget(self.override_note)
        row = QHBoxLayout()
        row.addWidget(self.result)
        row.addWidget(self.result_detail, 1)
        layout.addLayout(row)
        layout.addWidget(self.diff)
        buttons = QHBoxLayout()
        buttons.addWidget(self.reset)
        buttons.addWidget(self.agree)
        layout.addLayout(buttons)
        for w in (self.door, self.min_age, self.attendance):
            w.valueChanged.connect(self.update_result)
        for w in (self.search, self.ticketing):
            w.currentIndexChanged.connect(self.update_result)
        self.end.dateTimeChanged.connect(self.update_result)
        for c in self.checks.values():
            c.toggled.connect(self.update_result)
        self.setEnabled(False)

    def show_loading(self, text: str = "Reading the venue's and promoter's history…") -> None:
        """Disabled, saying why, until ``bind``."""
        self._what_if = None
        self.setEnabled(False)
        self.inputs.setVisible(False)  # no placeholder values that could be read as the event's
        self.diff_model.set_objects([])
        self.result.setText("")
        self.result.setStyleSheet("")
        self.result_detail.setText(text)

    def bind(self, what_if: whatif.WhatIf, may_agree: bool = True,
             override: Grade | None = None) -> None:
        """Start from the submission as it is; ``may_agree``: this person may record the
        measures (the desk checks again); ``override``: a supervisor's grade in force."""
        self._what_if = what_if
        self._may_agree = may_agree
        self._override = override
        capacity = what_if.venue.capacity
        self.capacity_note.setText(f"The venue is licensed for {capacity:,}.")
        self.override_note.setText(
            f"A supervisor's override ({override.value}) is in force: measures change the "
            "score, and the scored grade, but the override stays until a supervisor changes "
            "it." if override is not None else "")
        self.override_note.setVisible(override is not None)
        self.inputs.setVisible(True)
        self.setEnabled(True)
        self._reset()

    def _reset(self) -> None:
        if self._what_if is None:
            return
        sub = self._what_if.submission
        self._loading = True
        self.attendance.setValue(sub.expected_attendance)
        self.door.setValue(sub.door_supervisors if sub.door_supervisors is not None else -1)
        self.search.setCurrentIndex(self.search.findData(
            sub.search_regime.value if sub.search_regime else ""))
        end = to_local(sub.end)
        self.end.setDateTime(QDateTime(QDate(end.year, end.month, end.day),
                                       QTime(end.hour, end.minute)))
        self.ticketing.setCurrentIndex(self.ticketing.findData(
            sub.ticketing.value if sub.ticketing else ""))
        self.min_age.setValue(sub.min_age if sub.min_age is not None else -1)
        for field, box in self.checks.items():
            box.setChecked(bool(getattr(sub, field)))
        self._loading = False
        self.update_result()

    def changes(self) -> dict:
        """Measures that differ from the submission as saved."""
        if self._what_if is None:
            return {}
        sub = self._what_if.submission
        door = self.door.value()
        search = self.search.currentData()
        ticketing = self.ticketing.currentData()
        proposed = {
            "expected_attendance": self.attendance.value(),
            "door_supervisors": None if door < 0 else door,
            "search_regime": SearchRegime(search) if search else None,
            "end": self._end(),
            "ticketing": Ticketing(ticketing) if ticketing else None,
            "min_age": None if self.min_age.value() < 0 else self.min_age.value(),
            **{f: box.isChecked() for f, box in self.checks.items()},
        }
        current = {"door_supervisors": sub.door_supervisors,
                   "search_regime": sub.search_regime}
        return {k: v for k, v in proposed.items()
                if v != current.get(k, getattr(sub, k)) and
                not (k in self.checks and getattr(sub, k) is None and v is False)}

    def _end(self):
        when = self.end.dateTime()
        if not when.isValid():
            raise ValidationError([("end", f"'{self.end.day.text()} {self.end.at.text()}' is "
                                           "not a finish; type a date like 19/12/2026 and a "
                                           "time like 03:00")])
        return local_to_utc(when.toPython().replace(second=0, microsecond=0))

    def update_result(self, *_args) -> None:
        """Re-grade with the measures shown (pure and fast: no database work)."""
        if self._loading or self._what_if is None:
            return
        try:
            result = self._what_if.try_measures(self.changes())
        except ValidationError as exc:
            self.result_detail.setText("\n".join(m for _, m in exc.problems))
            self.agree.setEnabled(False)
            return
        grade = result.proposed.grade
        self.result.setText(grade.value)
        self.result.setStyleSheet(badge_css(grade))
        delta = result.proposed.score - result.base.score
        self.result_detail.setText(
            f"Score {result.proposed.score} ({delta:+d}) against {result.base.score} now "
            f"({result.base.grade.value})."
            + (f" The override keeps it {self._override.value}." if self._override else ""))
        self.diff_model.set_objects(result.changes)
        self.agree.setEnabled(bool(self.changes()) and self._may_agree)
