"""All venues, searchable; opens a venue's history."""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget

from eventrisk.desk import Desk
from ui.models import Column, ObjectTableModel, table_view
from ui.venue_dialog import VenueDialog


class VenuesList(QWidget):
    """Emits ``open_requested(venue_id)``."""

    open_requested = Signal(int)

    def __init__(self, desk: Desk, parent=None):
        super().__init__(parent)
        self.desk = desk
        self.search = QLineEdit(placeholderText="Search venues by name, code or address",
                                accessibleName="Search venues", clearButtonEnabled=True)
        new = QPushButton("&New venue…")
        new.clicked.connect(self._new)
        self.view = table_view(None, "venuesTable", "Venues")
        self.view.doubleClicked.connect(
            lambda i: self.open_requested.emit(i.data(ObjectTableModel.ObjectRole).id))
        row = QHBoxLayout()
        row.addWidget(self.search, 1)
        row.addWidget(new)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.view)
        self._timer = QTimer(self, singleShot=True, interval=250)
        self._timer.timeout.connect(self.refresh)
        self.search.textChanged.connect(self._timer.start)
        self.refresh()

    def refresh(self) -> None:
        text = self.search.text()
        self.model = ObjectTableModel([
            Column("Code", lambda v: v.code), Column("Name", lambda v: v.name),
            Column("Borough", lambda v: v.borough),
            Column("Capacity", lambda v: f"{v.capacity:,}"),
            Column("Latest finish", lambda v: v.latest_finish),
            Column("Address", lambda v: f"{v.address}, {v.postcode}"),
        ], fetch_page=lambda off, lim: self.desk.venues_page(offset=off, limit=lim,
                                                             search=text), parent=self)
        self.view.setModel(self.model)

    def _new(self) -> None:
        dialog = VenueDialog(self.desk, parent=self)
        if dialog.exec() and dialog.venue:
            self.refresh()
            self.open_requested.emit(dialog.venue.id)
