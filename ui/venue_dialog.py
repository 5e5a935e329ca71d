"""Add or edit a venue, and record an incident or a debrief: small forms validated by the core."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QDate, QDateTime, QTime
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from eventrisk.desk import Desk
from eventrisk.errors import ValidationError
from eventrisk.fields import INCIDENT_FIELDS, VENUE_FIELDS
from eventrisk.model import Debrief, Incident, IncidentCategory, Location, Severity, Venue
from eventrisk.reference import borough_names
from eventrisk.timeutil import to_local
from eventrisk.validation import validate_incident, validate_venue
from ui.datetime_fields import DateTimeField
from ui.dialogs import settle
from ui.errors import show_error
from ui.style import error_css


class _FieldDialog(QDialog):
    """A form whose fields map to core field names, with one error line under the form."""

    def __init__(self, title: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.form = QFormLayout()
        self.fields: list[QWidget] = []
        self.error = QLabel(objectName="dialogError", wordWrap=True)
        self.error.setStyleSheet(error_css())
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def add(self, label: str, widget, name: str):
        widget.setObjectName(name)
        widget.setAccessibleName(label)
        self.form.addRow(label, widget)
        self.fields.append(widget)
        return widget

    def settle(self) -> None:
        """The app's rule (docs/ui-rules.md): the focus starts on the first field that can be
        typed in, Tab goes through the fields and then to Save and Cancel, and Enter saves
        (the buttons were made first, so Tab used to start on Save and a typed space pressed
        Cancel)."""
        save = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        fields = [w for w in self.fields if not getattr(w, "isReadOnly", lambda: False)()]
        settle(self, fields, save)
        if fields:
            QWidget.setTabOrder(fields[-1], save)
            QWidget.setTabOrder(save, cancel)

    def _save(self) -> None:
        try:
            self.save()
        except ValidationError as exc:
            self.error.setText("\n".join(m for _, m in exc.problems))
            return
        except Exception as exc:  # noqa: BLE001 - shown, logged if unexpected
            show_error(self, exc)
            return
        self.accept()

    def save(self) -> None:
        raise NotImplementedError


class VenueDialog(_FieldDialog):
    """Create a venue, or edit one (``venue`` given).  ``venue`` holds the saved venue."""

    def __init__(self, desk: Desk, venue: Venue | None = None, parent=None):
        super().__init__(f"Edit venue {venue.code}" if venue else "New venue", parent)
        self.desk, self.venue, self.original = desk, None, venue
        labels = {f.name: f.label for f in VENUE_FIELDS}
        self.inputs = {}
        for f in VENUE_FIELDS:
            if f.kind == "bool":
                widget = QCheckBox()
            elif f.name == "borough":
                # Chosen, never pre-set: the first borough of the list put venues (and their
                # events) in Barking and Dagenham's pack.
                widget = QComboBox()
                widget.addItem("Choose the borough…", "")
                for name in borough_names():
                    widget.addItem(name, name)
            else:
                widget = QLineEdit(placeholderText=f.help)
            self.inputs[f.name] = self.add(labels[f.name], widget, f.name)
        if venue:
            for name, widget in self.inputs.items():
                value = getattr(venue, name)
                if isinstance(widget, QCheckBox):
                    widget.setChecked(bool(value))
                elif isinstance(widget, QComboBox):
                    widget.setCurrentIndex(max(0, widget.findData(value)))
                else:
                    widget.setText(str(value))
            self.inputs["code"].setReadOnly(True)
        self.settle()

    def save(self) -> None:
        raw = {}
        for name, widget in self.inputs.items():
            if isinstance(widget, QCheckBox):
                raw[name] = widget.isChecked()
            elif isinstance(widget, QComboBox):
                raw[name] = widget.currentData()
            else:
                raw[name] = widget.text()
        if not raw.get("borough"):
            raise ValidationError([("borough", "Choose the borough the venue is in")])
        venue = validate_venue(raw)
        if self.original is not None:
            venue = replace(venue, id=self.original.id, version=self.original.version)
            if venue == self.original:  # Enter on an unchanged venue records nothing
                self.venue = self.original
                return
        self.venue = self.desk.save_venue(venue)


class IncidentDialog(_FieldDialog):
    """Record an incident at a venue, optionally linked to one of its events."""

    def __init__(self, desk: Desk, venue: Venue, event_reference: str = "",
                 incident: Incident | None = None, parent=None):
        super().__init__(f"Correct incident {incident.reference}" if incident
                         else f"New incident at {venue.name}", parent)
        self.desk, self.venue_code = desk, venue.code
        self.original = incident
        self.incident: Incident | None = None
        labels = {f.name: f.label for f in INCIDENT_FIELDS}
        self.when = self.add(labels["occurred_at"], DateTimeField(
            QDateTime.currentDateTime(), accessible=labels["occurred_at"],
            name="occurred_at"), "occurred_at")
        # Nothing is chosen for the officer: one Enter must not record "violence with injury,
        # minor, inside, now" that nobody picked, which counts in the venue's score at once.
        self.category = self.add(labels["category"], QComboBox(), "category")
        self.category.addItem("Choose the category…", None)
        for c in IncidentCategory:
            self.category.addItem(c.label, c.value)
        self.severity = self.add(labels["severity"], QComboBox(), "severity")
        self.severity.addItem("Choose the severity…", None)
        for s in Severity:
            self.severity.addItem(s.label, s.value)
        self.location = self.add(labels["location"], QComboBox(), "location")
        self.location.addItem("Choose where it happened…", None)
        for loc in Location:
            self.location.addItem(loc.label, loc.value)
        self.event = self.add(labels["event_reference"], QLineEdit(event_reference),
                              "event_reference")
        self.crime = self.add(labels["crime_reference"], QLineEdit(), "crime_reference")
        self.reported = self.add(labels["venue_reported"], QCheckBox(), "venue_reported")
        self.description = self.add(labels["description"], QPlainTextEdit(), "description")
        if incident is not None:
            when = to_local(incident.occurred_at)
            self.when.setDateTime(QDateTime(QDate(when.year, when.month, when.day),
                                            QTime(when.hour, when.minute)))
            for combo, value in ((self.category, incident.category.value),
                                 (self.severity, int(incident.severity)),
                                 (self.location, incident.location.value)):
                combo.setCurrentIndex(combo.findData(value))
            self.event.setText(incident.event_reference)
            self.crime.setText(incident.crime_reference)
            self.reported.setChecked(incident.venue_reported)
            self.description.setPlainText(incident.description)
        self.description.setTabChangesFocus(True)
        self.settle()

    def save(self) -> None:
        problems = [(name, f"Choose the {word}") for name, word, combo in (
            ("category", "category", self.category), ("severity", "severity", self.severity),
            ("location", "location", self.location)) if combo.currentData() is None]
        if not self.description.toPlainText().strip():
            problems.append(("description", "Describe what happened"))
        if not self.when.dateTime().isValid():
            problems.append(("occurred_at", "Type when it happened: a date like 19/12/2026 "
                                            "and a time like 23:30"))
        if problems:
            raise ValidationError(problems)
        inc = validate_incident({
            "venue_code": self.venue_code,
            "occurred_at": self.when.dateTime().toPython().isoformat(timespec="minutes"),
            "category": self.category.currentData(), "severity": self.severity.currentData(),
            "location": self.location.currentData(), "event_reference": self.event.text(),
            "crime_reference": self.crime.text(), "venue_reported": self.reported.isChecked(),
            "description": self.description.toPlainText()})
        if self.original is None:
            self.incident = self.desk.record_incident(inc)
        else:
            self.incident = self.desk.correct_incident(replace(
                inc, id=self.original.id, version=self.original.version,
                reference=self.original.reference))


class DebriefDialog(_FieldDialog):
    """Record what happened at a past event."""

    def __init__(self, desk: Desk, submission_id: int, reference: str, parent=None):
        super().__init__(f"Debrief {reference}", parent)
        self.desk, self.submission_id = desk, submission_id
        self.went_ahead = self.add("Went ahead", QCheckBox(checked=True), "went_ahead")
        self.attendance = self.add("Actual attendance (blank if not known)", QLineEdit(),
                                   "actual_attendance")
        self.incidents_noted = self.add("Incidents noted", QSpinBox(maximum=999),
                                        "incidents_noted")
        self.notes = self.add("Notes", QPlainTextEdit(), "notes")
        self.notes.setTabChangesFocus(True)
        self.settle()

    def save(self) -> None:
        text = self.attendance.text().strip()
        if text and not text.isdigit():
            raise ValidationError([("actual_attendance",
                                    "Actual attendance must be a whole number, 0 or more")])
        self.desk.record_debrief(Debrief(
            self.submission_id, self.went_ahead.isChecked(), int(text) if text else None,
            self.incidents_noted.value(), self.notes.toPlainText()))
