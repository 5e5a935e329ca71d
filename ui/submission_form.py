"""The submission form: every section an officer fills in, validated by the core as they type."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from PySide6.QtCore import QDate, QDateTime, QStringListModel, Qt, QTime, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QCompleter,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from eventrisk.desk import ConfirmationNeeded, Desk, PossibleDuplicate, PromoterDetailsChanged
from eventrisk.errors import ValidationError
from eventrisk.fields import SUBMISSION_FIELDS
from eventrisk.formatting import attendance_ratio, percent
from eventrisk.model import EventType, SearchRegime, Submission, Ticketing
from eventrisk.timeutil import to_local
from eventrisk.validation import validate_submission
from ui.datetime_fields import DateField, TimeField
from ui.dialogs import ask_reason, settle
from ui.errors import show_error
from ui.style import error_css
from ui.venue_dialog import VenueDialog

LABELS = {f.name: f.label for f in SUBMISSION_FIELDS}
TRI = (("Not stated", ""), ("Yes", "true"), ("No", "false"))
CHOOSE = "Choose what the promoter stated…"
UNSTATED = "-"  # the promoter did not say: the core gets a blank (None)
# What to say when an entry term is left empty: the scorer must not guess it.
UNCHOSEN = {"event_type": "Choose the type of event",
            "ticketing": "Choose how the promoter sells tickets, or Not stated",
            "min_age": "Type the minimum age the promoter stated (0 for all ages), or tick "
                       "Not stated",
            "alcohol": "Choose whether alcohol is on sale, or Not stated"}


def _combo(name: str, items) -> QComboBox:
    combo = QComboBox(objectName=name, accessibleName=LABELS.get(name, name))
    for text, data in items:
        combo.addItem(text, data)
    return combo


class SubmissionForm(QDialog):
    """Create or edit a submission.  Emits ``saved(submission_id)`` after it is saved and
    scored."""

    saved = Signal(int)
    open_existing = Signal(str)  # the reference of a submission it duplicates
    drafted = Signal(int)  # kept as a draft (its id)

    def __init__(self, desk: Desk, submission: Submission | None = None, parent=None):
        super().__init__(parent)
        self.desk, self.original = desk, submission
        self.setWindowTitle(f"Edit {submission.reference}" if submission else "New submission")
        self.resize(760, 820)
        self.errors: dict[str, QLabel] = {}
        self._dirty = False

        body = QWidget()
        layout = QVBoxLayout(body)
        # Event
        self.event_name = self._line("event_name")
        # Nothing the scorer reads is pre-set (docs/ui-rules.md): the type, the date and
        # the times start empty and must be chosen.
        self.event_type = _combo("event_type", [("Choose the type of event…", "")]
                                 + [(t.label, t.value) for t in EventType])
        # Received is when the submission came in: now, for one typed as it arrives (typed in
        # one go like the event's date; the seconds of a stored time are kept unless changed).
        now = QDateTime.currentDateTime()
        self._received_kept: datetime | None = None
        self.received_day = DateField(now.date(), accessible="Received on",
                                      name="received_day")
        self.received_time = TimeField(now.time(), accessible="Received at",
                                       name="received_time")
        received = QWidget(objectName="received_at")
        rl = QHBoxLayout(received)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.received_day)
        rl.addWidget(QLabel("at"))
        rl.addWidget(self.received_time)
        rl.addStretch(1)
        layout.addWidget(self._section("Event", [("event_name", self.event_name),
                                                 ("event_type", self.event_type),
                                                 ("received_at", received)]))
        # Venue
        self.venue_code = self._line("venue_code")
        self.venue_code.setPlaceholderText("Type a venue name or code")
        self._venue_list = QStringListModel(self)
        completer = QCompleter(self._venue_list, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.activated.connect(self._venue_chosen)
        self.venue_code.setCompleter(completer)
        self.venue_code.textEdited.connect(self._search_venues)
        self.venue_info = QLabel(objectName="venueInfo", wordWrap=True)
        new_venue = QPushButton("New venue…", objectName="newVenue")
        new_venue.clicked.connect(self._new_venue)
        row = QWidget()
        hl = QHBoxLayout(row)
        hl.setContentsMargins(0, 0, 0, 0)
        hl.addWidget(self.venue_code, 1)
        hl.addWidget(new_venue)
        layout.addWidget(self._section("Venue", [("venue_code", row),
                                                 ("", self.venue_info)]))
        # Promoter
        self.promoter_name = self._line("promoter_name")
        self.promoter_company = self._line("promoter_company")
        self.promoter_phone = self._line("promoter_phone")
        self.promoter_email = self._line("promoter_email")
        self.night_contact = self._line("night_contact")
        self.night_contact.setPlaceholderText("Name and mobile of the promoter's person on site")
        self._promoters = QStringListModel(self)
        pc = QCompleter(self._promoters, self)
        pc.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.promoter_name.setCompleter(pc)
        self.promoter_name.textEdited.connect(self._search_promoters)
        # A known promoter's stored details come with the name; the officer corrects them.
        self._filled: dict[QLineEdit, str] = {}
        self.promoter_name.textChanged.connect(self._fill_promoter)
        layout.addWidget(self._section("Promoter", [
            ("promoter_name", self.promoter_name), ("promoter_company", self.promoter_company),
            ("promoter_phone", self.promoter_phone), ("promoter_email", self.promoter_email),
            ("night_contact", self.night_contact)]))
        # Timing
        # Typed in one go (19/12/2026, 23:00); Up and Down step a day or a quarter hour.
        self.day = DateField(QDate(), accessible="Event date", name="day")
        self.start_time = TimeField(QTime(), accessible="Start time", name="start_time")
        self.end_time = TimeField(QTime(), accessible="End time", name="end_time")
        # Whether it ends after midnight is chosen, never assumed: neither is ticked at first.
        self.same_day = QRadioButton("Finishes the same day", objectName="same_day")
        self.next_day = QRadioButton("Finishes next day", objectName="next_day")
        self._ends = QButtonGroup(self)
        self._ends.addButton(self.same_day)
        self._ends.addButton(self.next_day)
        times = QWidget()
        tl = QHBoxLayout(times)
        tl.setContentsMargins(0, 0, 0, 0)
        for w in (QLabel("from"), self.start_time, QLabel("to"), self.end_time, self.same_day,
                  self.next_day):
            tl.addWidget(w)
        tl.addStretch(1)
        layout.addWidget(self._section("Timing", [("start", self.day), ("end", times)]))
        # Attendance
        self.expected_attendance = self._line("expected_attendance")
        layout.addWidget(self._section("Attendance", [("expected_attendance",
                                                       self.expected_attendance)]))
        # Entry and ticketing
        # Nothing the scorer reads is assumed: entry terms start empty until the officer puts
        # in what the promoter stated (a pre-set 18 or "alcohol: yes" was saved unnoticed).
        self.ticketing = _combo("ticketing", [(CHOOSE, ""), ("Not stated (scored as door only)",
                                                             UNSTATED)]
                                + [(t.label, t.value) for t in Ticketing])
        self.min_age = self._line("min_age")
        self.min_age.setPlaceholderText("As stated: 18, or 0 for all ages")
        self.min_age_unstated = QCheckBox("Not stated (scored as under-18s admitted)",
                                          objectName="min_age_not_stated")
        self.min_age_unstated.toggled.connect(self._min_age_unstated)
        age = QWidget()
        age_row = QHBoxLayout(age)
        age_row.setContentsMargins(0, 0, 0, 0)
        age_row.addWidget(self.min_age, 1)
        age_row.addWidget(self.min_age_unstated)
        self.alcohol = _combo("alcohol", ((CHOOSE, ""), ("Not stated (scored as on sale)",
                                                         UNSTATED),
                                          ("Yes", "true"), ("No", "false")))
        self.id_scanning = _combo("id_scanning", TRI)
        layout.addWidget(self._section("Entry and ticketing", [
            ("ticketing", self.ticketing), ("min_age", age), ("alcohol", self.alcohol),
            ("id_scanning", self.id_scanning)]))
        # Security
        self.door_supervisors = self._line("door_supervisors")
        self.door_supervisors.setPlaceholderText("Blank if not stated")
        self.search_regime = _combo("search_regime", [("Not stated", "")]
                                    + [(r.label, r.value) for r in SearchRegime])
        self.cctv = _combo("cctv", TRI)
        layout.addWidget(self._section("Security", [
            ("door_supervisors", self.door_supervisors), ("search_regime", self.search_regime),
            ("cctv", self.cctv)]))
        # Welfare and dispersal
        self.dispersal_plan = _combo("dispersal_plan", TRI)
        self.medical_cover = _combo("medical_cover", TRI)
        layout.addWidget(self._section("Welfare and dispersal", [
            ("dispersal_plan", self.dispersal_plan), ("medical_cover", self.medical_cover)]))
        # Performers and notes
        self.performers = QPlainTextEdit(objectName="performers",
                                         accessibleName="Performers (stage names)")
        self.performers.setPlaceholderText("Stage names only, one per line. No personal details.")
        self.performers.setTabChangesFocus(True)
        self.performers.setFixedHeight(70)
        self.notes = QPlainTextEdit(objectName="notes", accessibleName="Notes")
        self.notes.setTabChangesFocus(True)
        self.notes.setFixedHeight(80)
        layout.addWidget(self._section("Performers", [("performers", self.performers)]))
        layout.addWidget(self._section("Notes", [("notes", self.notes)]))

        scroll = QScrollArea(widgetResizable=True)
        scroll.setWidget(body)
        self.reason = QLabel(objectName="saveReason", wordWrap=True)
        self.reason.setStyleSheet(error_css())
        self.draft_id: int | None = None  # the draft this form was opened from or saved as
        self.source_form = None  # a promoter's filled form this submission comes from
        self.draft_button = QPushButton("Save as &draft", objectName="draftButton")
        self.draft_button.setToolTip("Keep it as it is, unchecked, to finish later (My work)")
        self.draft_button.clicked.connect(self.save_draft)
        self.draft_button.setVisible(submission is None)  # drafts are of new submissions
        self.save_button = QPushButton("&Save and score", objectName="saveButton")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(self.reason, 1)
        buttons.addWidget(close)
        buttons.addWidget(self.draft_button)
        buttons.addWidget(self.save_button)
        outer = QVBoxLayout(self)
        outer.addWidget(scroll)
        outer.addLayout(buttons)
        QShortcut(QKeySequence.StandardKey.Save, self, self.save)

        if submission:
            self._load(submission)
        for w in self.findChildren(QLineEdit):
            w.textChanged.connect(self._changed)
        for w in self.findChildren(QComboBox):
            w.currentIndexChanged.connect(self._changed)
        for w in self.findChildren(QPlainTextEdit):
            w.textChanged.connect(self._changed)
        self.day.dateChanged.connect(self._changed)
        for t in (self.start_time, self.end_time):
            t.timeChanged.connect(self._changed)
        self.received_day.dateChanged.connect(self._changed)
        self.received_time.timeChanged.connect(self._changed)
        self.next_day.toggled.connect(self._changed)
        self.same_day.toggled.connect(self._changed)
        self._dirty = False
        self.validate()
        settle(self, [self.event_name], self.save_button)

    # ---- building ------------------------------------------------------------------------
    def _line(self, name: str) -> QLineEdit:
        return QLineEdit(objectName=name, accessibleName=LABELS.get(name, name))

    def _section(self, title: str, rows) -> QGroupBox:
        box = QGroupBox(title)
        form = QFormLayout(box)
        for name, widget in rows:
            label = LABELS.get(name, "") if name not in ("start", "end") else \
                {"start": "Date", "end": "Times"}[name]
            if name == "received_at":
                label = "Received"
            holder = QWidget()
            v = QVBoxLayout(holder)
            v.setContentsMargins(0, 0, 0, 0)
            v.setSpacing(1)
            v.addWidget(widget)
            if name:
                error = QLabel(objectName=f"error_{name}", wordWrap=True)
                error.setStyleSheet(error_css() + " font-size:11px;")
                error.hide()
                v.addWidget(error)
                self.errors[name] = error
            form.addRow(label, holder)
        return box

    # ---- values --------------------------------------------------------------------------
    def raw(self) -> dict:
        """The form's values as the core's raw field values (a date or time that is not one
        goes through as typed, so the core names the field)."""
        day, start_at, end_at = (self.day.date(), self.start_time.time(), self.end_time.time())
        if day.isValid() and start_at.isValid():
            start_text = datetime.combine(day.toPython(), start_at.toPython()).isoformat(
                timespec="minutes")
        else:
            start_text = f"{self.day.text()} {self.start_time.text()}"
        if day.isValid() and end_at.isValid():
            end_day = day.toPython() + timedelta(days=1) if self.next_day.isChecked() \
                else day.toPython()
            end_text = datetime.combine(end_day, end_at.toPython()).isoformat(
                timespec="minutes")
        else:
            end_text = f"{self.day.text()} {self.end_time.text()}"
        received_day, received_time = self.received_day.date(), self.received_time.time()
        if received_day.isValid() and received_time.isValid():
            received = datetime.combine(received_day.toPython(), received_time.toPython())
            kept = self._received_kept
            if kept is not None and kept.replace(second=0, microsecond=0) == received:
                received = kept  # unchanged: the stored time, seconds and all
            received_text = received.isoformat() if received is kept else \
                received.isoformat(timespec="minutes")
        else:
            received_text = f"{self.received_day.text()} {self.received_time.text()}"
        return {
            "reference": self.original.reference if self.original else "",
            "event_name": self.event_name.text(), "event_type": self.event_type.currentData(),
            "venue_code": self.venue_code.text().split(" — ")[0].strip(),
            "promoter_name": self.promoter_name.text(),
            "promoter_company": self.promoter_company.text(),
            "promoter_phone": self.promoter_phone.text(),
            "promoter_email": self.promoter_email.text(),
            "night_contact": self.night_contact.text(),
            "start": start_text, "end": end_text,
            "expected_attendance": self.expected_attendance.text(),
            "ticketing": _stated(self.ticketing.currentData()),
            "min_age": "" if self.min_age_unstated.isChecked() else self.min_age.text(),
            "alcohol": _stated(self.alcohol.currentData()),
            "id_scanning": self.id_scanning.currentData(),
            "door_supervisors": self.door_supervisors.text(),
            "search_regime": self.search_regime.currentData(),
            "cctv": self.cctv.currentData(), "dispersal_plan": self.dispersal_plan.currentData(),
            "medical_cover": self.medical_cover.currentData(),
            "performers": self.performers.toPlainText().replace("\n", ";"),
            "received_at": received_text,
            "notes": self.notes.toPlainText(),
        }

    def validate(self) -> Submission | None:
        """Show the core's messages beside each field; enable Save only when all is well."""
        problems: dict[str, str] = {}
        sub = None
        try:
            sub = validate_submission(self.raw())
        except ValidationError as exc:
            problems = exc.as_dict()
        for name, message in UNCHOSEN.items():
            widget = getattr(self, name)
            empty = not (widget.text().strip() or self.min_age_unstated.isChecked()
                         if isinstance(widget, QLineEdit) else widget.currentData())
            if empty:
                problems[name] = message
        # What was typed in the date and time fields, in the form's own words.
        if not self.day.date().isValid():
            problems["start"] = (f"'{self.day.text()}' is not a date; type it like 19/12/2026"
                                 if self.day.text().strip() else "Type the event's date, "
                                 "like 19/12/2026")
        elif not self.start_time.time().isValid():
            problems["start"] = (f"'{self.start_time.text()}' is not a time; type the start "
                                 "like 22:00")
        elif not self.start_time.text().strip():
            problems["start"] = "Type the start time, like 22:00"
        if not self.end_time.text().strip():
            problems["end"] = "Type the end time, like 03:00"
        elif not self.end_time.time().isValid():
            problems["end"] = f"'{self.end_time.text()}' is not a time; type the end like 03:00"
        elif not (self.same_day.isChecked() or self.next_day.isChecked()):
            problems["end"] = ("Choose “Finishes the same day” or “Finishes next day” (after "
                               "midnight)")
        if not (self.received_day.date().isValid() and self.received_time.time().isValid()):
            problems["received_at"] = (f"'{self.received_day.text()} "
                                       f"{self.received_time.text()}' is not a date and time; "
                                       "type it like 19/12/2026 and 14:30")
        code = self.venue_code.text().split(" — ")[0].strip()
        venue = self.desk.venue_by_code(code) if code else None
        if code and venue is None:
            problems.setdefault("venue_code", f"There is no venue with code '{code}'; pick one "
                                              "from the list or add a new venue")
        self.venue_info.setText(f"{venue.name}, {venue.borough}; licensed capacity "
                                f"{venue.capacity:,}; latest finish "
                                f"{venue.latest_finish or 'not known'}" if venue else "")
        if "end" in problems and not self.next_day.isChecked():
            problems["end"] += " (tick “Finishes next day” if it ends after midnight)"
        warnings = {}
        if venue is not None and sub is not None and sub.expected_attendance > venue.capacity:
            warnings["expected_attendance"] = (
                f"Warning: {sub.expected_attendance:,} expected is over the licensed capacity "
                f"of {venue.capacity:,} "
                f"({percent(attendance_ratio(sub.expected_attendance, venue.capacity))}); "
                "check it with the promoter (it can still be saved, and scores as "
                "over capacity)")
        for name, label in self.errors.items():
            message = problems.get(name, "") or warnings.get(name, "")
            label.setText(message)
            label.setVisible(bool(message))
        self.save_button.setEnabled(not problems)
        if problems:
            first = next(iter(problems.values()))
            more = f" and {len(problems) - 1} more" if len(problems) > 1 else ""
            self.reason.setText(f"Cannot save yet: {first}{more}.")
        else:
            self.reason.setText("")
        return sub if not problems else None

    def _changed(self, *_args) -> None:
        self._dirty = True
        self.validate()

    def _load(self, sub: Submission) -> None:
        start, end = to_local(sub.start), to_local(sub.end)
        self.event_name.setText(sub.event_name)
        _select(self.event_type, sub.event_type.value)
        self.venue_code.setText(sub.venue_code)
        self.promoter_name.setText(sub.promoter_name)
        self.promoter_company.setText(sub.promoter_company)
        self.promoter_phone.setText(sub.promoter_phone)
        self.promoter_email.setText(sub.promoter_email)
        self.night_contact.setText(sub.night_contact)
        self.day.setDate(QDate(start.year, start.month, start.day))
        self.start_time.setTime(QTime(start.hour, start.minute))
        self.end_time.setTime(QTime(end.hour, end.minute))
        (self.next_day if end.date() > start.date() else self.same_day).setChecked(True)
        self.expected_attendance.setText(str(sub.expected_attendance))
        _select(self.ticketing, sub.ticketing.value if sub.ticketing else UNSTATED)
        self.min_age_unstated.setChecked(sub.min_age is None)
        self.min_age.setText("" if sub.min_age is None else str(sub.min_age))
        _select(self.alcohol, UNSTATED if sub.alcohol is None else
                "true" if sub.alcohol else "false")
        for combo, value in ((self.id_scanning, sub.id_scanning), (self.cctv, sub.cctv),
                             (self.dispersal_plan, sub.dispersal_plan),
                             (self.medical_cover, sub.medical_cover)):
            _select(combo, "" if value is None else ("true" if value else "false"))
        self.door_supervisors.setText("" if sub.door_supervisors is None
                                      else str(sub.door_supervisors))
        _select(self.search_regime, sub.search_regime.value if sub.search_regime else "")
        self.performers.setPlainText("\n".join(sub.performers))
        self.notes.setPlainText(sub.notes)
        if sub.received_at:
            r = to_local(sub.received_at)
            self._received_kept = r.replace(tzinfo=None)
            self.received_day.setDate(QDate(r.year, r.month, r.day))
            self.received_time.setTime(QTime(r.hour, r.minute))

    # ---- lookups -------------------------------------------------------------------------
    def _search_venues(self, text: str) -> None:
        found = self.desk.venues_page(search=text, limit=20) if len(text) >= 2 else []
        self._venue_list.setStringList([f"{v.code} — {v.name} ({v.borough})" for v in found])

    def _venue_chosen(self, text: str) -> None:
        self.venue_code.setText(text.split(" — ")[0])

    def _search_promoters(self, text: str) -> None:
        found = self.desk.promoters_matching(text) if len(text) >= 2 else []
        self._promoters.setStringList([p.name for p in found])

    def _fill_promoter(self, *_args) -> None:
        """Fill blank contact fields from the promoter the name matches; take back what was
        filled (and not since changed) when the name no longer matches."""
        name = self.promoter_name.text().strip()
        known = self.desk.promoter_named(name) if len(name) >= 2 else None
        for field, stored in ((self.promoter_company, known.company if known else ""),
                              (self.promoter_phone, known.phone if known else ""),
                              (self.promoter_email, known.email if known else "")):
            filled = self._filled.get(field)
            if filled is not None and field.text() == filled:
                field.setText(stored)
                self._filled[field] = stored
            elif not field.text().strip() and stored:
                field.setText(stored)
                self._filled[field] = stored

    def _new_venue(self) -> None:
        dialog = VenueDialog(self.desk, parent=self)
        if dialog.exec() and dialog.venue:
            self.venue_code.setText(dialog.venue.code)

    # ---- saving --------------------------------------------------------------------------
    def save(self) -> bool:
        """Save (create or update) and score; returns True on success."""
        sub = self.validate()
        if sub is None:
            return False
        if self.original is not None:
            sub = replace(sub, id=self.original.id, version=self.original.version,
                          status=self.original.status, conditions=self.original.conditions)
        reason = ""
        duplicate_ok = update_promoter = False
        while True:
            try:  # saving and scoring are one transaction: a failure leaves nothing behind
                state = self.desk.save_submission(sub, withdraw_reason=reason,
                                                  source_form=self.source_form,
                                                  duplicate_ok=duplicate_ok,
                                                  update_promoter=update_promoter)
            except PromoterDetailsChanged as exc:
                if QMessageBox.question(self, "The promoter's details", str(exc)) != \
                        QMessageBox.StandardButton.Yes:
                    return False
                update_promoter = True
                continue
            except ConfirmationNeeded as exc:
                reason = ask_reason(self, "Withdraw the decision?", str(exc))
                if reason is None:
                    return False
                continue
            except PossibleDuplicate as exc:
                choice = self._ask_duplicate(exc)
                if choice == "save":
                    duplicate_ok = True
                    continue
                if choice == "open":
                    self.open_existing.emit(exc.references[0])
                    self._dirty = False
                    self.reject()
                return False
            except Exception as exc:  # noqa: BLE001 - shown, logged if unexpected
                show_error(self, exc)
                return False
            break
        saved = state.submission
        self.original = saved
        self._dirty = False
        if self.draft_id is not None:  # the draft became a submission
            try:
                self.desk.discard_draft(self.draft_id)
            except Exception:  # noqa: BLE001 - the submission is saved; the draft can wait
                pass
            self.draft_id = None
        self.setWindowTitle(f"Edit {saved.reference}")
        self.saved.emit(saved.id)
        self.accept()
        return True

    def _ask_duplicate(self, exc: PossibleDuplicate) -> str:
        """'open', 'save' or '' (cancel): the officer decides, the desk records it."""
        box = QMessageBox(QMessageBox.Icon.Question, "Already on the desk?", str(exc),
                          parent=self)
        box.setObjectName("duplicateBox")
        opened = box.addButton(f"Open {exc.references[0]}", QMessageBox.ButtonRole.AcceptRole)
        anyway = box.addButton("Save anyway", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        clicked = box.clickedButton()
        return "open" if clicked is opened else "save" if clicked is anyway else ""

    # ---- drafts --------------------------------------------------------------------------
    _DRAFT_TEXTS = ("event_name", "venue_code", "promoter_name", "promoter_company",
                    "promoter_phone", "promoter_email", "night_contact", "expected_attendance",
                    "min_age", "door_supervisors")
    _DRAFT_CHOICES = ("event_type", "ticketing", "alcohol", "id_scanning", "search_regime",
                      "cctv", "dispersal_plan", "medical_cover")

    def _min_age_unstated(self, on: bool) -> None:
        if on:
            self.min_age.clear()
        self.min_age.setEnabled(not on)

    def draft_fields(self) -> dict[str, str]:
        """Everything as typed, checked or not."""
        out = {name: getattr(self, name).text() for name in self._DRAFT_TEXTS}
        out["min_age_not_stated"] = "true" if self.min_age_unstated.isChecked() else "false"
        out |= {name: getattr(self, name).currentData() or "" for name in self._DRAFT_CHOICES}
        out |= {"day": self.day.text(), "start_time": self.start_time.text(),
                "end_time": self.end_time.text(),
                "next_day": "true" if self.next_day.isChecked() else
                "false" if self.same_day.isChecked() else "",
                "received_at": self._received_text(),
                "performers": self.performers.toPlainText(), "notes": self.notes.toPlainText()}
        return out

    def load_draft(self, draft) -> None:
        """Put a draft back as it was left."""
        fields = draft.fields
        for name in self._DRAFT_TEXTS:
            getattr(self, name).setText(fields.get(name, ""))
        for name in self._DRAFT_CHOICES:
            _select(getattr(self, name), fields.get(name, ""))
        for field_, name in ((self.day, "day"), (self.start_time, "start_time"),
                             (self.end_time, "end_time")):
            if name in fields:
                field_.setText(fields[name])
        ends = fields.get("next_day", "")
        if ends in ("true", "false"):
            (self.next_day if ends == "true" else self.same_day).setChecked(True)
        self.min_age_unstated.setChecked(fields.get("min_age_not_stated") == "true")
        received = QDateTime.fromString(fields.get("received_at", ""), "yyyy-MM-ddTHH:mm")
        if received.isValid():
            self.received_day.setDate(received.date())
            self.received_time.setTime(received.time())
        self.performers.setPlainText(fields.get("performers", ""))
        self.notes.setPlainText(fields.get("notes", ""))
        self.draft_id = draft.id
        self.setWindowTitle(f"New submission (draft: {draft.title})")
        self._dirty = False
        self.validate()

    def load_promoter_form(self, reading, venue_code: str, promoter_name: str) -> None:
        """Fill every field from a promoter's filled form (``desk.forms.read``), as the
        promoter wrote it, with the venue and promoter the officer confirmed; saving keeps
        the form's PDF with the submission."""
        fields, written = reading.fields, reading.form.values
        for name in ("event_name", "promoter_company", "promoter_phone", "promoter_email",
                     "night_contact", "expected_attendance", "min_age", "door_supervisors"):
            getattr(self, name).setText(fields.get(name, ""))
        self.venue_code.setText(venue_code)
        self.promoter_name.setText(promoter_name)
        _select(self.event_type, fields.get("event_type", ""))
        _select(self.ticketing, fields.get("ticketing") or UNSTATED)
        _select(self.alcohol, fields.get("alcohol") or UNSTATED)
        for name in ("id_scanning", "cctv", "dispersal_plan", "medical_cover",
                     "search_regime"):
            _select(getattr(self, name), fields.get(name, ""))
        self.min_age_unstated.setChecked(not fields.get("min_age"))
        self.day.setText(written.get("start_date", ""))
        self.start_time.setText(written.get("start_time", ""))
        self.end_time.setText(written.get("end_time", ""))
        start, end = fields.get("start", ""), fields.get("end", "")
        if start[:10] and end[:10]:
            days = (datetime.fromisoformat(end[:10]) - datetime.fromisoformat(start[:10])).days
            if days in (0, 1):
                (self.next_day if days == 1 else self.same_day).setChecked(True)
        self.performers.setPlainText(written.get("performers", ""))
        self.source_form = reading.form
        self.setWindowTitle(f"New submission (from the promoter's form, SHA-256 "
                            f"{reading.sha256[:12]}…)")
        self._dirty = True
        self.validate()

    def _received_text(self) -> str:
        day, at = self.received_day.date(), self.received_time.time()
        if day.isValid() and at.isValid():
            return QDateTime(day, at).toString("yyyy-MM-ddTHH:mm")
        return ""

    def put_away(self) -> None:
        """Close without asking anyone (the desk is being locked and signed out): a new
        submission is kept as a draft of its owner, who is still signed in; an edit's unsaved
        changes are dropped, since whoever is at the keyboard now may not decide them."""
        if self._dirty and self.original is None:
            try:
                self._keep_as_draft()
            except Exception:  # noqa: BLE001 - closing must always work
                pass
        self._dirty = False
        self.close()

    def _keep_as_draft(self) -> bool:
        try:
            draft = self.desk.save_draft(self.draft_fields(), self.draft_id)
        except Exception as exc:  # noqa: BLE001 - one clear message
            show_error(self, exc)
            return False
        self.draft_id = draft.id
        self.drafted.emit(draft.id)
        return True

    def save_draft(self) -> bool:
        """Keep the form as it is, unchecked, and close it; True if it was kept."""
        if not self._keep_as_draft():
            return False
        self._dirty = False
        self.close()
        return True

    def closeEvent(self, event) -> None:  # noqa: N802
        if self._dirty and self.original is None:
            box = QMessageBox(QMessageBox.Icon.Question, "Unsaved changes",
                              "This new submission is not saved. Keep it as a draft to finish "
                              "later, or discard it?", parent=self)
            box.setObjectName("unsavedBox")
            keep = box.addButton("Save as &draft", QMessageBox.ButtonRole.AcceptRole)
            # Its own key: Alt+D is Save as draft (the two once shared it).
            drop = box.addButton("Disca&rd", QMessageBox.ButtonRole.DestructiveRole)
            box.addButton(QMessageBox.StandardButton.Cancel)
            box.setDefaultButton(keep)
            box.exec()
            clicked = box.clickedButton()
            if clicked is keep:
                self._dirty = False
                if not self._keep_as_draft():
                    event.ignore()
                    return
            elif clicked is not drop:
                event.ignore()
                return
            event.accept()
            return
        if self._dirty:
            answer = QMessageBox.question(
                self, "Unsaved changes", "Save the changes to this submission?",
                QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                | QMessageBox.StandardButton.Cancel)
            if answer == QMessageBox.StandardButton.Cancel:
                event.ignore()
                return
            if answer == QMessageBox.StandardButton.Save and not self.save():
                event.ignore()
                return
        event.accept()

    def reject(self) -> None:
        self.close()


def _stated(data: str) -> str:
    """A choice as the core takes it: Not stated is a blank."""
    return "" if data == UNSTATED else data


def _select(combo: QComboBox, data: str) -> None:
    index = combo.findData(data)
    if index >= 0:
        combo.setCurrentIndex(index)



