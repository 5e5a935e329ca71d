"""The risk queue as a lazy, SQL-backed Qt table model."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt

from eventrisk.desk import Desk
from eventrisk.queue import COUNT_CAP, QueueFilter, QueueRow
from eventrisk.timeutil import british_datetime
from ui.models import Column, ObjectTableModel
from ui.style import grade_colour, grade_text_colour

Index = QModelIndex | QPersistentModelIndex
RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

COLUMNS = (
    Column("Reference", lambda r: r.reference),
    Column("Event date", lambda r: british_datetime(r.start)),
    Column("Event", lambda r: r.event_name),
    Column("Venue", lambda r: r.venue_name),
    Column("Borough", lambda r: r.borough),
    Column("Grade", lambda r: r.grade.value if r.grade else "Not scored",
           background=lambda r: grade_colour(r.grade),
           foreground=lambda r: grade_text_colour(r.grade)),
    Column("Score", lambda r: "" if r.score is None else str(r.score), align=RIGHT),
    Column("Status", lambda r: r.status.label),
    Column("Notice", lambda r: f"{r.days_notice:.0f} days" + ("  LATE" if r.late else ""),
           tooltip=lambda r: "Received with less than the expected 14 days' notice"
           if r.late else f"Received {r.days_notice:.0f} days before the event"),
    Column("Officer", lambda r: r.assigned),
)


class QueueModel(ObjectTableModel):
    """Rows of ``queue.fetch``: fetched a page at a time, sorted and filtered in SQL.

    ``data()`` only reads rows already fetched; ``ObjectRole`` gives the ``QueueRow`` and
    ``SortRole`` the SQL sort key of the column.
    """

    (COL_REFERENCE, COL_START, COL_EVENT, COL_VENUE, COL_BOROUGH, COL_GRADE, COL_SCORE,
     COL_STATUS, COL_NOTICE, COL_OFFICER) = range(10)
    SORT_KEYS = ("reference", "start", "event", "venue", "borough", "grade", "score", "status",
                 "notice", "officer")

    def __init__(self, desk: Desk, parent=None):
        self._desk = desk
        self._filter = QueueFilter()
        self._sort = "action"
        self._descending = False
        self._total = desk.queue_count(self._filter)
        super().__init__(COLUMNS, fetch_page=self._page, parent=parent)

    def _page(self, offset: int, limit: int) -> list[QueueRow]:
        # The next page seeks from the last row's sort key (keyset pagination): scrolling to
        # row 20,000 costs what the first page costs, a hundred times, not a growing OFFSET.
        after = self.object_at(offset - 1).key if 0 < offset <= self.rowCount() else None
        return self._desk.queue_page(self._filter, sort=self._sort,
                                     descending=self._descending,
                                     offset=0 if after is not None else offset, limit=limit,
                                     after=after)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if role == self.SortRole and index.isValid():
            return self.SORT_KEYS[index.column()]
        return super().data(index, role)

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        """Sort in SQL; column -1 restores the desk's action order."""
        self.set_sort(column, order)
        self.reload()  # the same rows in another order: no need to count them again

    def set_sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        """Choose the order for the next read, without reading."""
        self._sort = "action" if column < 0 else self.SORT_KEYS[column]
        self._descending = order == Qt.SortOrder.DescendingOrder

    def set_filter(self, flt: QueueFilter) -> None:
        """Show what matches ``flt`` (counted and fetched in SQL)."""
        self._filter = flt
        self.refresh()

    def refresh(self) -> None:
        """Re-count and re-read the first page from the database."""
        self._total = self._desk.queue_count(self._filter)
        self.reload()

    @property
    def total(self) -> int:
        """How many rows match the filter in all (counted up to ``COUNT_CAP`` + 1)."""
        return self._total

    @property
    def total_text(self) -> str:
        """"1,234 events match" or, past the cap, "10,000+ events match"."""
        if self._total > COUNT_CAP:
            return f"{COUNT_CAP:,}+ events match"
        n = self._total
        return f"{n:,} event{'' if n == 1 else 's'} match{'es' if n == 1 else ''}"

    def row_object(self, row: int) -> QueueRow:
        """The queue row shown at ``row``."""
        return self.object_at(row)
