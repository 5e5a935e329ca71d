"""The home view: the risk queue with its filters."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate, QEvent, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from eventrisk.desk import Desk
from eventrisk.model import Grade
from eventrisk.queue import QueueFilter
from eventrisk.reference import borough_names
from ui.datetime_fields import DateField
from ui.errors import show_error
from ui.flow_layout import FlowLayout
from ui.memory import memory_of, save_path
from ui.models import table_view
from ui.pdf_preview import PdfPreview
from ui.queue_model import QueueModel
from ui.status_filter import StatusFilter
from ui.worker import run_on_desk

# Columns whose first click puts the most serious first.
MOST_FIRST = (QueueModel.COL_GRADE, QueueModel.COL_SCORE)
# How the event, venue and borough columns share the room the others leave.
OFFICER_WIDTH = 130
NAME_SHARES = {QueueModel.COL_EVENT: 0.36, QueueModel.COL_VENUE: 0.38,
               QueueModel.COL_BOROUGH: 0.26}


class QueueView(QWidget):
    """Filters above a lazy table; emits ``open_requested(submission_id)``."""

    open_requested = Signal(int)

    def __init__(self, desk: Desk, parent=None):
        super().__init__(parent)
        self.desk = desk
        self.model = QueueModel(desk, self)
        self.search = QLineEdit(placeholderText="Search events, references and venues")
        self.search.setAccessibleName("Search the queue")
        self.search.setClearButtonEnabled(True)
        self.status = StatusFilter()  # any set of statuses, and the usual groups
        self.borough = QComboBox(accessibleName="Borough filter")
        self.borough.addItem("Any borough", "")
        for name in borough_names():
            self.borough.addItem(name, name)
        for combo in (self.borough,):  # long entries: the popup shows them whole
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(14)
        self.grade = QComboBox(accessibleName="Grade filter")
        self.grade.addItem("Any grade", "")
        for g in reversed(list(Grade)):
            self.grade.addItem(g.value, g.value)
        self.use_dates = QCheckBox("Dates", accessibleName="Filter by dates")
        # Typed in one go, like every date of the app (a sectioned editor took five Tabs).
        self.date_from = DateField(QDate.currentDate(), accessible="From date",
                                   name="queueFrom")
        self.date_to = DateField(QDate.currentDate().addDays(21), accessible="To date",
                                 name="queueTo")
        for edit in (self.date_from, self.date_to):
            edit.setMaximumWidth(130)
            edit.setEnabled(False)
        self.include_past = QCheckBox("Include past events",
                                      accessibleName="Include past events")
        self.summary = QLabel()
        self.summary.setObjectName("queueSummary")

        # The filters wrap onto a second row on a small screen rather than push the window
        # wider than it.
        self.search.setMinimumWidth(260)
        filter_bar = QWidget(objectName="queueFilters")
        filters = FlowLayout(filter_bar)
        filters.setContentsMargins(0, 0, 0, 0)
        for w in (self.search, self.status, self.borough, self.grade, self.use_dates,
                  self.date_from, QLabel("to"), self.date_to, self.include_past):
            filters.addWidget(w)

        self.table = table_view(self.model, "queueTable", "Risk queue")
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionsMovable(True)
        header.setSortIndicatorShown(True)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        header.sectionClicked.connect(self._header_clicked)
        for col, width in ((QueueModel.COL_REFERENCE, 120), (QueueModel.COL_START, 150),
                           (QueueModel.COL_GRADE, 85), (QueueModel.COL_SCORE, 55),
                           (QueueModel.COL_STATUS, 90), (QueueModel.COL_NOTICE, 95)):
            self.table.setColumnWidth(col, width)
        self._fitted = False  # widths shared out once shown, unless this person set their own
        self._sorted_on = -1  # the column sorted on last (-1: the desk's order)
        self.memory = memory_of(desk)
        restored = self._restore()  # this person's filters, sort and columns
        header.sectionResized.connect(self._remember_columns)
        header.sectionMoved.connect(self._remember_columns)
        self.table.doubleClicked.connect(self._open_index)  # and Enter, as in every list
        self.search.installEventFilter(self)  # Down or Enter goes on to the results

        self.export_button = QPushButton("E&xport this list…", objectName="exportQueue")
        self.export_button.clicked.connect(self.export_list)
        self.print_button = QPushButton("Print this l&ist…", objectName="printQueue")
        self.print_button.clicked.connect(self.print_list)
        bottom = QHBoxLayout()
        bottom.addWidget(self.summary, 1)
        bottom.addWidget(self.export_button)
        bottom.addWidget(self.print_button)

        layout = QVBoxLayout(self)
        layout.addWidget(filter_bar)
        layout.addWidget(self.table)
        layout.addLayout(bottom)

        self._debounce = QTimer(self, singleShot=True, interval=250)
        self._debounce.timeout.connect(self.apply_filters)
        self.search.textChanged.connect(self._debounce.start)
        self.status.changed.connect(self.apply_filters)
        for combo in (self.borough, self.grade):
            combo.currentIndexChanged.connect(self.apply_filters)
        self.use_dates.toggled.connect(self._dates_toggled)
        self.date_from.dateChanged.connect(self.apply_filters)
        self.date_to.dateChanged.connect(self.apply_filters)
        self.include_past.toggled.connect(self.apply_filters)
        if restored:  # the model read the desk's default view; read this person's instead
            self.model.set_filter(self.current_filter())
        self._update_summary()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if not self._fitted:
            self._fitted = True
            self._auto_fit = self.memory is None or self.memory.get("queue/columns") is None
        if self._auto_fit:
            self._fit_columns()

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self._auto_fit and self.isVisible():
            self._fit_columns()  # the names follow the window until the person sets widths

    _auto_fit = False
    _fitting = False

    def _fit_columns(self) -> None:
        """The names share the room the fixed columns leave, so every column shows on a
        1024-pixel screen and none is cramped on a wide one (each can still be resized);
        the officer, last, keeps a name's width (it took half the table while the event's
        and venue's names were cut short)."""
        header = self.table.horizontalHeader()
        self._fitting = True
        try:
            header.setStretchLastSection(False)
            header.resizeSection(QueueModel.COL_OFFICER, OFFICER_WIDTH)
            fixed = sum(header.sectionSize(c) for c in range(self.model.columnCount())
                        if c not in NAME_SHARES)
            room = max(self.table.viewport().width() - fixed - 2, 300)
            for col, share in NAME_SHARES.items():
                header.resizeSection(col, int(room * share))
        finally:
            self._fitting = False

    # ---- remembered per person -----------------------------------------------------------
    def _restore(self) -> bool:
        """Put back what this person left; True if it differs from the desk's default."""
        if self.memory is None:
            return False
        self.status.set_statuses(str(self.memory.get("queue/status", "")).split(","))
        for combo, key in ((self.borough, "borough"), (self.grade, "grade")):
            index = combo.findData(self.memory.get(f"queue/{key}", ""))
            combo.setCurrentIndex(max(index, 0))
        self.include_past.setChecked(self.memory.flag("queue/include_past"))
        state = self.memory.get("queue/columns")
        if state is not None:
            self.table.horizontalHeader().restoreState(state)
        column = int(self.memory.get("queue/sort_column", -1))
        descending = self.memory.flag("queue/sort_descending")
        order = Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
        if 0 <= column < self.model.columnCount():
            self._sorted_on = column
            self.table.horizontalHeader().setSortIndicator(column, order)
            self.model.set_sort(column, order)  # read with the filters, below
        else:
            column = -1
            self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        return (column >= 0 or self.include_past.isChecked()
                or bool(self.status.statuses())
                or any(c.currentIndex() > 0 for c in (self.borough, self.grade)))

    def _remember(self) -> None:
        if self.memory is None:
            return
        self.memory.set("queue/status", ",".join(self.status.statuses()))
        for combo, key in ((self.borough, "borough"), (self.grade, "grade")):
            self.memory.set(f"queue/{key}", combo.currentData())
        self.memory.set_flag("queue/include_past", self.include_past.isChecked())

    def _remember_columns(self, *_args) -> None:
        if self._fitting:
            return
        self._auto_fit = False  # the person set a width (or moved a column): theirs stays
        if self.memory is not None:
            self.memory.set("queue/columns", self.table.horizontalHeader().saveState())

    def _remember_sort(self, column: int, order: Qt.SortOrder) -> None:
        if self.memory is not None:
            self.memory.set("queue/sort_column", column)
            self.memory.set_flag("queue/sort_descending",
                                 order == Qt.SortOrder.DescendingOrder)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802
        if (watched is self.search and event.type() == QEvent.Type.KeyPress
                and event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Return, Qt.Key.Key_Enter)):
            self._debounce.stop()
            self.apply_filters()  # what was typed, searched now rather than in a moment
            self.table.setFocus()
            if self.model.rowCount():
                self.table.selectRow(0)
                first = self.model.row_object(0)
                # Enter on an exact reference opens it, as the status line says.
                if event.key() != Qt.Key.Key_Down and self.model.rowCount() == 1 and \
                        first.reference.lower() == self.search.text().strip().lower():
                    self.open_requested.emit(first.id)
            return True
        return super().eventFilter(watched, event)

    def current_filter(self) -> QueueFilter:
        """The filter the widgets describe."""
        borough, grade = (c.currentData() for c in (self.borough, self.grade))
        dates = self.use_dates.isChecked()
        return QueueFilter(
            statuses=self.status.statuses(), borough=borough,
            grades=(grade,) if grade else (),
            date_from=_date(self.date_from.date()) if dates else None,
            date_to=_date(self.date_to.date()) if dates else None,  # (None if not a date)
            text=self.search.text(), upcoming_only=not self.include_past.isChecked())

    def apply_filters(self) -> None:
        """Re-query with the current filters (and remember them for this person)."""
        self.model.set_filter(self.current_filter())
        self._remember()
        self._update_summary()

    def refresh(self) -> None:
        """Re-read after a change elsewhere, keeping filters and sort."""
        self.model.refresh()
        self._update_summary()

    def _dates_toggled(self, on: bool) -> None:
        self.date_from.setEnabled(on)
        self.date_to.setEnabled(on)
        self.apply_filters()

    def _header_clicked(self, section: int) -> None:
        header = self.table.horizontalHeader()
        order = header.sortIndicatorOrder()
        if section in MOST_FIRST and section != self._sorted_on:
            # Grade and score sort the most serious first; a second click turns it round.
            order = Qt.SortOrder.DescendingOrder
            header.setSortIndicator(section, order)
        self._sorted_on = section
        self.model.sort(section, order)
        self._remember_sort(section, order)

    def reset_order(self) -> None:
        """Back to the desk's order: needs action, grade (unscored as CRITICAL), soonest."""
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self._sorted_on = -1
        self.model.sort(-1)
        self._remember_sort(-1, Qt.SortOrder.AscendingOrder)

    def _update_summary(self) -> None:
        self.summary.setText(f"{self.model.total_text}. Enter or double-click opens one; click "
                             "a column heading to sort.")

    # ---- the list itself, to a file or to paper --------------------------------------------
    def _order(self) -> tuple[str, bool, str]:
        header = self.table.horizontalHeader()
        section = header.sortIndicatorSection()
        if section < 0 or section >= self.model.columnCount():
            return "action", False, ("the desk's order (what needs action, then grade, an "
                                     "unscored event as CRITICAL, then soonest)")
        descending = header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
        name = self.model.headerData(section, Qt.Orientation.Horizontal)
        return (self.model.SORT_KEYS[section], descending,
                f"{name}, {'descending' if descending else 'ascending'}")

    def export_list(self) -> None:
        """The list as filtered and sorted now, every row, to a CSV file."""
        path = save_path(self, self.memory, "export", "Export the risk queue",
                         f"risk-queue-{date.today()}.csv", "CSV (*.csv)")
        if not path:
            return
        flt, (sort, descending, _) = self.current_filter(), self._order()

        def done(count: int) -> None:
            self.summary.setText(f"Exported {count:,} event{'' if count == 1 else 's'} to "
                                 f"{path}.")
        self._task = run_on_desk(self, self.desk, "Exporting the list…",
                                 lambda desk, _report: desk.export_queue(
                                     flt, Path(path), sort=sort, descending=descending),
                                 done, lambda exc: show_error(self, exc))

    def print_list(self) -> None:
        """The list as filtered and sorted now, marked, in a preview that prints or saves."""
        sort, descending, label = self._order()
        flt = self.current_filter()

        def show(pdf: bytes) -> None:
            PdfPreview(pdf, "the risk queue", f"risk-queue-{date.today()}.pdf", self,
                       memory=self.memory).exec()
        # Up to 2,000 rows of paper take a few seconds: laid out off the GUI thread.
        self._task = run_on_desk(self, self.desk, "Laying out the list…",
                                 lambda desk, _report: desk.render_queue(
                                     flt, sort=sort, descending=descending, sort_label=label),
                                 show, lambda exc: show_error(self, exc))

    def _open_index(self, index) -> None:
        row = index.data(QueueModel.ObjectRole)
        if row is not None:
            self.open_requested.emit(row.id)


def _date(qdate: QDate) -> date | None:
    return date(qdate.year(), qdate.month(), qdate.day()) if qdate.isValid() else None
