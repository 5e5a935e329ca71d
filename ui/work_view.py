"""My work: what the signed-in person should do next.  An officer sees the events a supervisor
returned to them (first, with the comment), their events to assess and submit, and those
waiting for a supervisor.  A supervisor sees everything waiting for review, the longest
waiting first, and can work through it with Approve and next / Return and next."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from eventrisk.desk import Desk
from eventrisk.timeutil import british_date, british_datetime, from_db
from ui.models import Column, ObjectTableModel, table_view

RETURNED = QColor("#fff3cd")  # a pale amber row, with the word "Returned" and the comment


def _rows(extra: list[Column] | None = None, of=lambda item: item, **colours) -> list[Column]:
    """The usual columns of a queue row (``of`` finds the row in a list's item)."""
    return [Column("Reference", lambda i: of(i).reference, **colours),
            Column("Event", lambda i: of(i).event_name, **colours),
            Column("Start", lambda i: british_datetime(of(i).start), **colours),
            Column("Venue", lambda i: f"{of(i).venue_name} ({of(i).borough})", **colours),
            Column("Grade", lambda i: of(i).grade.value if of(i).grade else "Not scored",
                   **colours),
            *(extra or [])]


class WorkView(QWidget):
    """Emits ``open_requested(id)``, and ``review_requested(id)`` to open one in review
    mode."""

    open_requested = Signal(int)
    review_requested = Signal(int)
    draft_requested = Signal(int)

    def __init__(self, desk: Desk, parent=None):
        super().__init__(parent)
        self.desk = desk
        layout = QVBoxLayout(self)
        self.reviewer = desk.may("approve")
        self.tables = {}
        self.titles: dict[str, tuple[QLabel, str]] = {}
        if self.reviewer:
            self.review_model = ObjectTableModel(_rows([
                Column("Officer", lambda r: r.assigned),
                Column("Received", lambda r: british_date(
                    r.start - timedelta(days=r.days_notice)))]), parent=self)
            table = table_view(self.review_model, "reviewList",
                               "Waiting for your review, longest waiting first")
            table.doubleClicked.connect(lambda i: self.review_requested.emit(
                i.data(ObjectTableModel.ObjectRole).id))
            self.start = QPushButton("Start &reviewing", objectName="startReviewing")
            self.start.clicked.connect(self.start_reviewing)
            layout.addWidget(QLabel("<b>Waiting for your review</b> (those you may decide "
                                    "first, then those another supervisor must decide; "
                                    "longest waiting first; "
                                    "Enter opens one with Approve and next)"))
            layout.addWidget(table, 4)
            layout.addWidget(self.start)
            self.tables["review"] = table
        # Returned events stand out: a pale amber row, dark text, and the comment in words.
        amber = {"background": lambda _i: RETURNED, "foreground": lambda _i: QColor("#000000")}
        self.returned_model = ObjectTableModel(_rows([
            Column("Supervisor's comment", lambda r: f"“{r.comment}” ({r.by})" if r.by
                   else r.comment, **amber)], of=lambda r: r.row, **amber), parent=self)
        self.todo_model = ObjectTableModel(_rows([Column("Status",
                                                         lambda r: r.status.label)]),
                                           parent=self)
        self.waiting_model = ObjectTableModel(_rows(), parent=self)
        self.drafts_model = ObjectTableModel([
            Column("Draft", lambda d: d.title),
            Column("Venue", lambda d: d.fields.get("venue_code", "")),
            Column("Date", lambda d: d.fields.get("day", "")),
            Column("Last saved", lambda d: british_datetime(from_db(d.updated_at)))],
            parent=self)
        for key, model, title in (
                ("drafts", self.drafts_model, "Your drafts (not yet submitted)"),
                ("returned", self.returned_model, "Returned to you"),
                ("todo", self.todo_model, "Yours to assess and submit"),
                ("waiting", self.waiting_model, "Yours waiting for a supervisor")):
            table = table_view(model, f"work_{key}", title)
            table.doubleClicked.connect(lambda i, k=key: self._open(k, i))
            label = QLabel(f"<b>{title}</b>", objectName=f"work_{key}_title")
            layout.addWidget(label)
            layout.addWidget(table, 1)
            self.tables[key] = table
            self.titles[key] = (label, title)
        layout.addStretch(0)
        self.refresh()

    def _open(self, key: str, index) -> None:
        item = index.data(ObjectTableModel.ObjectRole)
        if key == "drafts":
            self.draft_requested.emit(item.id)
            return
        row = item.row if key == "returned" else item
        self.open_requested.emit(row.id)

    def refresh(self) -> None:
        work = self.desk.my_work()
        self.returned_model.set_objects(work.returned)
        self.todo_model.set_objects(work.to_do)
        self.waiting_model.set_objects(work.in_review)
        self.drafts_model.set_objects(work.drafts)
        if self.reviewer:
            self.review_model.set_objects(self.desk.review_list())
            self.start.setEnabled(self.review_model.rowCount() > 0)
        for key, table in self.tables.items():
            table.resizeColumnsToContents()
            if key in self.titles:  # an empty list is a line saying so, not an empty box
                label, title = self.titles[key]
                empty = table.model().rowCount() == 0
                label.setText(f"<b>{title}</b>" + (": none" if empty else ""))
                table.setVisible(not empty)

    def next_for_review(self, after: int | None = None) -> int | None:
        """The next event waiting for review (after ``after`` when it was skipped)."""
        rows = self.desk.review_list()
        ids = [r.id for r in rows]
        if after is not None and after in ids:
            later = ids[ids.index(after) + 1:]
            return later[0] if later else None
        return ids[0] if ids else None

    def start_reviewing(self) -> None:
        first = self.next_for_review()
        if first is not None:
            self.review_requested.emit(first)
