"""The risk queue as a lazy, SQL-backed Qt table model."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from sqlite_utils import Database

from eventrisk import queue
from eventrisk.model import Role
from eventrisk.timeutil import british_datetime
from ui.style import grade_colour, grade_text_colour

Index = QModelIndex | QPersistentModelIndex


class QueueModel(QAbstractTableModel):
    """Rows of ``queue.fetch``: fetched a page at a time, sorted and filtered in SQL.

    ``data()`` only reads rows already fetched; ``ObjectRole`` gives the ``QueueRow``.
    """

    (COL_REFERENCE, COL_START, COL_EVENT, COL_VENUE, COL_BOROUGH, COL_GRADE, COL_SCORE,
     COL_STATUS, COL_NOTICE, COL_OFFICER) = range(10)
    HEADERS = ("Reference", "Event date", "Event", "Venue", "Borough", "Grade", "Score",
               "Status", "Notice", "Officer")
    SORT_KEYS = ("reference", "start", "event", "venue", "borough", "grade", "score", "status",
                 "notice", "officer")
    ObjectRole = Qt.ItemDataRole.UserRole + 1
    SortRole = Qt.ItemDataRole.UserRole + 2
    PAGE = 200

    def __init__(self, db: Database, role: Role, parent=None):
        super().__init__(parent)
        self._db = db
        self._role = role
        self._filter = queue.QueueFilter()
        self._sort = "action"
        self._descending = False
        self._rows: list[queue.QueueRow] = []
        self._total = 0
        self._fetching = False
        self.refresh()

    # ---- Qt model API -------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008, N802
        return not parent.isValid() and len(self._rows) < self._total

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008, N802
        if parent.isValid() or self._fetching:
            return
        self._fetching = True  # views may ask again while rows are being inserted
        try:
            more = queue.fetch(self._db, self._filter, role=self._role, sort=self._sort,
                               descending=self._descending, offset=len(self._rows),
                               limit=self.PAGE)
            if not more:
                self._total = len(self._rows)
                return
            start = len(self._rows)
            self.beginInsertRows(QModelIndex(), start, start + len(more) - 1)
            self._rows.extend(more)
            self.endInsertRows()
        finally:
            self._fetching = False

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        col = index.column()
        if role == self.ObjectRole:
            return row
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, col)
        if role == self.SortRole:
            return self.SORT_KEYS[col]
        if col == self.COL_GRADE and role == Qt.ItemDataRole.BackgroundRole:
            return grade_colour(row.grade)
        if col == self.COL_GRADE and role == Qt.ItemDataRole.ForegroundRole:
            return grade_text_colour(row.grade)
        if col == self.COL_NOTICE and role == Qt.ItemDataRole.ToolTipRole and row.late:
            return "Received with less than the expected 14 days' notice"
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (self.COL_SCORE,):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        """Sort in SQL; column -1 restores the desk's action order."""
        self._sort = "action" if column < 0 else self.SORT_KEYS[column]
        self._descending = order == Qt.SortOrder.DescendingOrder
        self.refresh()

    # ---- our API ------------------------------------------------------------------------
    def _display(self, row: queue.QueueRow, col: int) -> str:
        if col == self.COL_REFERENCE:
            return row.reference
        if col == self.COL_START:
            return british_datetime(row.start)
        if col == self.COL_EVENT:
            return row.event_name
        if col == self.COL_VENUE:
            return row.venue_name
        if col == self.COL_BOROUGH:
            return row.borough
        if col == self.COL_GRADE:
            return row.grade.value if row.grade else "Not scored"
        if col == self.COL_SCORE:
            return "" if row.score is None else str(row.score)
        if col == self.COL_STATUS:
            return row.status.label
        if col == self.COL_NOTICE:
            return f"{row.days_notice:.0f} days" + ("  LATE" if row.late else "")
        return row.assigned

    def set_filter(self, flt: queue.QueueFilter) -> None:
        """Show what matches ``flt`` (counted and fetched in SQL)."""
        self._filter = flt
        self.refresh()

    def refresh(self) -> None:
        """Re-read the first page from the database."""
        self.beginResetModel()
        self._total = queue.count(self._db, self._filter)
        self._rows = queue.fetch(self._db, self._filter, role=self._role, sort=self._sort,
                                 descending=self._descending, limit=self.PAGE)
        self.endResetModel()

    @property
    def total(self) -> int:
        """How many rows match the filter in all."""
        return self._total

    def row_object(self, row: int) -> queue.QueueRow:
        """The queue row shown at ``row``."""
        return self._rows[row]
