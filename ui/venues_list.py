"""All venues, searchable; opens a venue's history."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

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
        self.search.installEventFilter(self)  # Down or Enter goes on to the results
        self.refresh()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt's name
        if watched is self.search and event.type() == QEvent.Type.KeyPress and event.key() in (
                Qt.Key.Key_Down, Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if self._timer.isActive():
                self._timer.stop()
                self.refresh()  # what was typed, searched now
            self.view.setFocus()
            if self.model.rowCount():
                self.view.selectRow(0)
            return True
        return super().eventFilter(watched, event)

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
        # The venue's name gets the room; the address no longer takes half the table.
        header = self.view.horizontalHeader()
        header.setStretchLastSection(False)
        for column in range(self.model.columnCount()):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch if column == 1
                                        else QHeaderView.ResizeMode.Interactive)
        for column, width in ((0, 90), (2, 170), (3, 80), (4, 100), (5, 280)):
            header.resizeSection(column, width)

    def _new(self) -> None:
        dialog = VenueDialog(self.desk, parent=self)
        if dialog.exec() and dialog.venue:
            self.refresh()
            self.open_requested.emit(dialog.venue.id)
