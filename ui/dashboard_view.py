"""The dashboard: the next seven days by borough and grade, and what needs attention."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QScrollArea, QTableView, QVBoxLayout, QWidget

from eventrisk.desk import Desk
from eventrisk.timeutil import british_datetime
from ui.charts import BoroughGradeBars
from ui.models import Column, ObjectTableModel, table_view
from ui.style import grade_colour, grade_text_colour

ROW_COLUMNS = [
    Column("Reference", lambda r: r.reference),
    Column("Date", lambda r: british_datetime(r.start)),
    Column("Grade", lambda r: r.grade.value if r.grade else "Not scored",
           background=lambda r: grade_colour(r.grade),
           foreground=lambda r: grade_text_colour(r.grade)),
    Column("Notice", lambda r: f"{r.days_notice:.0f} days"),
    Column("Event", lambda r: r.event_name),
    Column("Venue (borough)", lambda r: f"{r.venue_name} ({r.borough})"),  # takes the rest
]


class DashboardView(QWidget):
    """Refreshes on demand; emits ``open_requested(submission_id)`` on double-click."""

    open_requested = Signal(int)

    def __init__(self, desk: Desk, parent=None):
        super().__init__(parent)
        self.desk = desk
        self.heading = QLabel(objectName="dashboardHeading")
        self.heading.setStyleSheet("font-size:16px; font-weight:bold;")
        self.chart = BoroughGradeBars()
        chart_scroll = QScrollArea(widgetResizable=True)
        chart_scroll.setWidget(self.chart)
        self.tables = {}
        self.views: dict[str, QTableView] = {}
        grid = QGridLayout()
        for i, (key, title) in enumerate((("pending_reviews", "Pending reviews"),
                                          ("high_risk", "CRITICAL and HIGH events"),
                                          ("late", "Late submissions (under 14 days' notice)"))):
            model = ObjectTableModel(ROW_COLUMNS, parent=self)
            view = table_view(model, f"dash_{key}", title)
            view.doubleClicked.connect(
                lambda index: self.open_requested.emit(
                    index.data(ObjectTableModel.ObjectRole).id))
            self.tables[key] = (model, QLabel(f"<b>{title}</b>"), title)
            self.views[key] = view
            grid.addWidget(self.tables[key][1], 0 if i < 2 else 2, i % 2)
            grid.addWidget(view, 1 if i < 2 else 3, i % 2 if i < 2 else 0, 1, 1 if i < 2 else 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(QLabel("Events by grade for each borough (not cancelled):"))
        layout.addWidget(chart_scroll, 2)
        layout.addLayout(grid, 3)
        self.refresh()

    def refresh(self) -> None:
        """Re-count from the database."""
        data = self.desk.dashboard()
        self.heading.setText(f"The next 7 days: {data.first_day:%a %d/%m/%Y} to "
                             f"{data.last_day:%a %d/%m/%Y}")
        self.chart.set_data(data.by_borough)
        for key, (model, label, title) in self.tables.items():
            rows = getattr(data, key)
            model.set_objects(rows)
            label.setText(f"<b>{title}</b>: {len(rows)}")
            self.views[key].resizeColumnsToContents()  # whole references and dates
