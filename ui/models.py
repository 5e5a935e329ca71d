"""Generic read-only table models for lists that views show (rules, incidents, audit...)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Column:
    """A column: its heading, how to show an object, and optional colours."""

    header: str
    text: Callable[[Any], str]
    background: Callable[[Any], QColor | None] | None = None
    foreground: Callable[[Any], QColor | None] | None = None
    tooltip: Callable[[Any], str] | None = None
    align: int | None = None  # a Qt.AlignmentFlag value, e.g. right for numbers


class ObjectTableModel(QAbstractTableModel):
    """Shows a list of objects, one per row.  With ``fetch_page(offset, limit)`` it loads
    lazily a page at a time (``canFetchMore``/``fetchMore``); ``ObjectRole`` gives the object.
    """

    ObjectRole = Qt.ItemDataRole.UserRole + 1
    SortRole = Qt.ItemDataRole.UserRole + 2
    PAGE = 200

    def __init__(self, columns: Sequence[Column], objects: Sequence[Any] = (),
                 fetch_page: Callable[[int, int], list] | None = None, parent=None):
        super().__init__(parent)
        self.columns = list(columns)
        self._fetch_page = fetch_page
        self._objects: list[Any] = list(objects)
        self._more = fetch_page is not None
        self._fetching = False
        if fetch_page is not None:
            self._objects = fetch_page(0, self.PAGE)
            self._more = len(self._objects) == self.PAGE

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._objects)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section].header
        return None

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008, N802
        return not parent.isValid() and self._more

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008, N802
        if parent.isValid() or not self._more or self._fetch_page is None or self._fetching:
            return
        self._fetching = True  # views may ask again while rows are being inserted
        try:
            more = self._fetch_page(len(self._objects), self.PAGE)
            self._more = len(more) == self.PAGE
            if more:
                start = len(self._objects)
                self.beginInsertRows(QModelIndex(), start, start + len(more) - 1)
                self._objects.extend(more)
                self.endInsertRows()
        finally:
            self._fetching = False

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self._objects):
            return None
        obj = self._objects[index.row()]
        column = self.columns[index.column()]
        if role == self.ObjectRole:
            return obj
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(obj)
        if role == self.SortRole:
            return column.text(obj)
        if role == Qt.ItemDataRole.BackgroundRole and column.background:
            return column.background(obj)
        if role == Qt.ItemDataRole.ForegroundRole and column.foreground:
            return column.foreground(obj)
        if role == Qt.ItemDataRole.ToolTipRole:
            return column.tooltip(obj) if column.tooltip else column.text(obj)
        if role == Qt.ItemDataRole.TextAlignmentRole and column.align is not None:
            return column.align
        return None

    def set_objects(self, objects: Sequence[Any]) -> None:
        """Replace every row."""
        self.beginResetModel()
        self._objects = list(objects)
        self._more = False
        self.endResetModel()

    def reload(self) -> None:
        """Re-read the first page (lazy models only)."""
        if self._fetch_page is None:
            return
        self.beginResetModel()
        self._objects = self._fetch_page(0, self.PAGE)
        self._more = len(self._objects) == self.PAGE
        self.endResetModel()

    def object_at(self, row: int) -> Any:
        """The object shown at ``row``."""
        return self._objects[row]


def table_view(model: QAbstractTableModel | None, name: str, accessible: str, *,
               wrap: bool = False) -> QTableView:
    """A read-only table the way every EventRisk list looks: whole rows selected one at a time,
    no row numbers, the last column filling the width; ``wrap`` lets rows grow to fit text.
    ``accessible`` is what a screen reader calls it (every list must have a name)."""
    view = QTableView(objectName=name, accessibleName=accessible)
    if model is not None:
        view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.verticalHeader().hide()
    view.setTabKeyNavigation(False)  # Tab leaves the list (arrows move in it): no keyboard trap
    view.horizontalHeader().setStretchLastSection(True)
    view.setWordWrap(wrap)
    if wrap:
        view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    view.installEventFilter(_EnterOpens(view))
    return view


class _EnterOpens(QObject):
    """Enter on a list does what a double-click does (open the row), in every list."""

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt's name
        if (event.type() == QEvent.Type.KeyPress
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and isinstance(watched, QTableView) and watched.currentIndex().isValid()):
            watched.doubleClicked.emit(watched.currentIndex())
            return True
        return False
