"""A venue: its details, incident history with a chart, and its events with debriefs."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from eventrisk.desk import Desk
from eventrisk.errors import WorkflowError
from eventrisk.model import IncidentCategory
from eventrisk.timeutil import british_datetime, months_before, now_utc
from ui.charts import MonthlyBars
from ui.errors import show_error
from ui.models import Column, ObjectTableModel, table_view
from ui.venue_dialog import DebriefDialog, IncidentDialog, VenueDialog

PERIODS = (("Last 12 months", 12), ("Last 24 months", 24), ("Last 6 months", 6),
           ("All time", 0))


class VenueView(QWidget):
    """Emits ``open_requested(submission_id)`` and ``changed()`` after an edit."""

    open_requested = Signal(int)
    changed = Signal()

    def __init__(self, desk: Desk, venue_id: int, parent=None):
        super().__init__(parent)
        self.desk, self.venue_id = desk, venue_id
        self.title = QLabel(objectName="venueTitle", wordWrap=True)
        self.title.setStyleSheet("font-size:17px; font-weight:bold;")
        self.details = QLabel(objectName="venueDetails", wordWrap=True)
        edit = QPushButton("&Edit venue…")
        edit.clicked.connect(self._edit)
        self.chart = MonthlyBars()

        self.kind = QComboBox(objectName="incidentKind", accessibleName="Incident kind")
        self.kind.addItem("All kinds", "")
        for c in IncidentCategory:
            self.kind.addItem(c.label, c.value)
        self.period = QComboBox(objectName="incidentPeriod", accessibleName="Period")
        for text, months in PERIODS:
            self.period.addItem(text, months)
        add = QPushButton("&Add incident…", objectName="addIncident")
        add.clicked.connect(self._add_incident)
        self.incident_model = ObjectTableModel(self._incident_columns(), parent=self)
        self.incident_view = table_view(self.incident_model, "venueIncidents",
                                        "Incidents at this venue")
        self.incident_view.doubleClicked.connect(self._edit_incident)

        self.event_model = ObjectTableModel([
            Column("Reference", lambda e: e.reference),
            Column("Date", lambda e: british_datetime(e.start)),
            Column("Event", lambda e: e.event_name),
            Column("Grade", lambda e: e.grade or ""),
            Column("Status", lambda e: e.status.replace("_", " ")),
            Column("Debrief", lambda e: "" if e.went_ahead is None else (
                ("went ahead" if e.went_ahead else "did not go ahead")
                + f"; {e.incidents_noted} incidents noted")),
            Column("Linked incidents", lambda e: str(e.linked_incidents)),
        ], fetch_page=lambda off, lim: self.desk.venue_events(self.venue_id,
                                                              offset=off, limit=lim), parent=self)
        self.event_view = table_view(self.event_model, "venueEvents", "Events at this venue")
        self.event_view.doubleClicked.connect(
            lambda i: self.open_requested.emit(i.data(ObjectTableModel.ObjectRole).id))
        debrief = QPushButton("Record &debrief…", objectName="recordDebrief")
        debrief.clicked.connect(self._debrief)

        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(edit)
        filters = QHBoxLayout()
        filters.addWidget(QLabel("<b>Incidents</b> (double-click to correct)"))
        filters.addWidget(self.kind)
        filters.addWidget(self.period)
        filters.addStretch(1)
        filters.addWidget(add)
        inc = QWidget()
        il = QVBoxLayout(inc)
        il.addLayout(filters)
        il.addWidget(self.incident_view)
        ev = QWidget()
        el = QVBoxLayout(ev)
        row = QHBoxLayout()
        row.addWidget(QLabel("<b>Events</b> (double-click to open)"))
        row.addStretch(1)
        row.addWidget(debrief)
        el.addLayout(row)
        el.addWidget(self.event_view)
        split = QSplitter()
        split.addWidget(inc)
        split.addWidget(ev)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.details)
        layout.addWidget(self.chart)
        layout.addWidget(split, 1)
        self.kind.currentIndexChanged.connect(self._filter_incidents)
        self.period.currentIndexChanged.connect(self._filter_incidents)
        self.reload()

    def _incident_columns(self):
        return [Column("When", lambda i: british_datetime(i.occurred_at)),
                Column("Reference", lambda i: i.reference),
                Column("Category", lambda i: i.category.label),
                Column("Severity", lambda i: i.severity.label),
                Column("Where", lambda i: i.location.label),
                Column("Event", lambda i: i.event_reference),
                Column("Crime ref", lambda i: i.crime_reference),
                Column("Venue reported", lambda i: "yes" if i.venue_reported else "")]

    def reload(self) -> None:
        """Re-read everything about the venue."""
        v = self.desk.venue(self.venue_id)
        self.venue = v
        self.title.setText(f"{v.name} ({v.code})")
        facilities = [n for n, on in (("CCTV", v.has_cctv), ("search arch", v.has_search_arch),
                                      ("ID scanner", v.has_id_scanner)) if on]
        self.details.setText(
            f"{v.address}, {v.postcode} · {v.borough} · licensed capacity {v.capacity:,} · "
            f"licence {v.licence_number or 'not recorded'} · latest finish "
            f"{v.latest_finish or 'not recorded'} · facilities: "
            f"{', '.join(facilities) or 'none recorded'} · on the night: "
            f"{v.night_contact or 'no contact recorded'}")
        now = now_utc()
        months = []
        cursor = months_before(now, 23).replace(day=1)
        while len(months) < 24:
            months.append(cursor.strftime("%Y-%m"))
            cursor = (cursor + timedelta(days=32)).replace(day=1)
        counts = self.desk.monthly_incidents(self.venue_id, months_before(now, 24), now)
        self.chart.set_data([(m, counts.get(m, 0)) for m in months])
        self._filter_incidents()
        self.event_model.reload()
        self.event_view.resizeColumnsToContents()

    def _filter_incidents(self) -> None:
        kind = self.kind.currentData()
        months = self.period.currentData()
        since = months_before(now_utc(), months) if months else None
        cats = (kind,) if kind else ()
        self.incident_model = ObjectTableModel(
            self._incident_columns(),
            fetch_page=lambda off, lim: self.desk.venue_incidents(
                self.venue_id, since=since, categories=cats, offset=off, limit=lim),
            parent=self)
        self.incident_view.setModel(self.incident_model)
        self.incident_view.resizeColumnsToContents()

    def _edit(self) -> None:
        if VenueDialog(self.desk, self.venue, self).exec():
            self.reload()
            self.changed.emit()

    def _add_incident(self) -> None:
        if IncidentDialog(self.desk, self.venue, parent=self).exec():
            self.reload()
            self.changed.emit()

    def _edit_incident(self, index) -> None:
        incident = index.data(ObjectTableModel.ObjectRole)
        if IncidentDialog(self.desk, self.venue, incident=incident,
                          parent=self).exec():
            self.reload()
            self.changed.emit()

    def _debrief(self) -> None:
        index = self.event_view.currentIndex()
        if not index.isValid():
            show_error(self, WorkflowError("Select the past event to debrief first."))
            return
        event = index.data(ObjectTableModel.ObjectRole)
        if DebriefDialog(self.desk, event.id, event.reference, self).exec():
            self.reload()
            self.changed.emit()

