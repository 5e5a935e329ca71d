"""Small painted charts (the Essentials wheel has no QtCharts): bars per month, and events
per borough stacked by grade."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

from eventrisk.model import GRADE_COLOURS, Grade

UNSCORED = "NOT SCORED"
STACK_ORDER = [g.value for g in reversed(list(Grade))] + [UNSCORED]
COLOURS = {**{g.value: QColor(c) for g, c in GRADE_COLOURS.items()}, UNSCORED: QColor("#9e9e9e")}


class MonthlyBars(QWidget):
    """Incidents per month: ``set_data([(\"2026-01\", 3), ...])``."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("monthlyChart")
        self.setAccessibleName("Incidents per month, last 24 months")
        self.data: list[tuple[str, int]] = []
        self.setMinimumHeight(140)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(600, 150)

    def set_data(self, data: list[tuple[str, int]]) -> None:
        self.data = data
        self.setToolTip("\n".join(f"{m}: {n}" for m, n in data if n))
        self.update()

    def paintEvent(self, _event) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h = self.width(), self.height()
        left, bottom, top = 30, 22, 18
        p.drawText(left, 13, "Incidents per month at the venue, last 24 months")
        if not self.data:
            return
        peak = max(1, max(n for _, n in self.data))
        slot = (w - left - 8) / len(self.data)
        p.setPen(QColor("#777"))
        p.drawLine(left, h - bottom, w - 8, h - bottom)
        p.drawText(2, top + 10, str(peak))
        for i, (month, n) in enumerate(self.data):
            bar = (h - bottom - top) * n / peak
            rect = QRectF(left + i * slot + 2, h - bottom - bar, slot - 4, bar)
            p.fillRect(rect, QColor("#5b7fa6"))
            if i % 3 == 0:
                p.drawText(QRectF(left + i * slot - 10, h - bottom + 2, slot + 20, 16),
                           Qt.AlignmentFlag.AlignCenter, f"{month[5:7]}/{month[2:4]}")
        p.end()


class BoroughGradeBars(QWidget):
    """Horizontal bars, one per borough, stacked by grade, with a legend (word and colour)."""

    ROW = 20

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("boroughChart")
        self.setAccessibleName("Events by grade for each borough")
        self.data: dict[str, dict[str, int]] = {}

    def set_data(self, data: dict[str, dict[str, int]]) -> None:
        self.data = dict(sorted(data.items(), key=lambda kv: -sum(kv[1].values())))
        self.setMinimumHeight(40 + self.ROW * max(1, len(self.data)))
        self.setToolTip("\n".join(
            f"{b}: " + ", ".join(f"{g} {n}" for g, n in counts.items())
            for b, counts in self.data.items()))
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(600, 40 + self.ROW * max(1, len(self.data)))

    def paintEvent(self, _event) -> None:  # noqa: N802
        p = QPainter(self)
        label_w = 170
        x = 4
        for grade in STACK_ORDER:  # legend
            p.fillRect(QRectF(x, 4, 12, 12), COLOURS[grade])
            p.drawText(x + 16, 15, grade.title() if grade == UNSCORED else grade)
            x += 30 + p.fontMetrics().horizontalAdvance(grade)
        if not self.data:
            p.drawText(4, 40, "No events in the next 7 days.")
            p.end()
            return
        peak = max(sum(c.values()) for c in self.data.values())
        scale = (self.width() - label_w - 40) / max(1, peak)
        for row, (borough, counts) in enumerate(self.data.items()):
            y = 26 + row * self.ROW
            p.setPen(QColor("#222"))
            p.drawText(QRectF(4, y, label_w - 8, self.ROW - 2),
                       Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, borough)
            x = label_w
            for grade in STACK_ORDER:
                n = counts.get(grade, 0)
                if n:
                    p.fillRect(QRectF(x, y + 2, n * scale, self.ROW - 5), COLOURS[grade])
                    x += n * scale
            p.drawText(int(x) + 4, y + self.ROW - 6, str(sum(counts.values())))
        p.end()
