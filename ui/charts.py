"""Small painted charts (the Essentials wheel has no QtCharts): bars per month, and events
per borough stacked by grade."""

from __future__ import annotations

import math

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


class RateChart(QWidget):
    """Outcome rates with their 95% intervals: bars per grade, or points joined by a line
    (score deciles).  ``set_data([(label, rate, low, high, colour), ...])``."""

    def __init__(self, title: str, line: bool = False, parent=None):
        super().__init__(parent)
        self.title, self.line = title, line
        self.setAccessibleName(title)
        self.data: list[tuple[str, float, float, float, QColor]] = []
        self.setMinimumHeight(170)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(420, 180)

    def set_data(self, data: list[tuple[str, float, float, float, QColor]]) -> None:
        self.data = data
        self.setToolTip("\n".join(f"{label}: {rate:.1%} (95% interval {low:.1%} to {high:.1%})"
                                  for label, rate, low, high, _ in data))
        self.update()

    def paintEvent(self, _event) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h = self.width(), self.height()
        left, bottom, top = 40, 22, 24
        p.drawText(4, 14, self.title)
        if not self.data:
            p.end()
            return
        peak = max(0.05, max(high for _, _, _, high, _ in self.data))
        scale = (h - bottom - top) / peak
        step = 0.05 if peak <= 0.25 else 0.1 if peak <= 0.6 else 0.2
        p.setPen(QColor("#bbb"))
        tick = 0.0
        while tick <= peak + 1e-9:
            y = h - bottom - tick * scale
            p.drawLine(left, int(y), w - 6, int(y))
            p.drawText(QRectF(0, y - 8, left - 4, 16),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                       f"{tick:.0%}")
            tick += step
        slot = (w - left - 6) / len(self.data)
        previous = None
        for i, (label, rate, low, high, colour) in enumerate(self.data):
            x = left + slot * (i + 0.5)
            y = h - bottom - rate * scale
            if self.line:
                p.setPen(QColor("#3f6e9c"))
                if previous:
                    p.drawLine(int(previous[0]), int(previous[1]), int(x), int(y))
                p.setBrush(QColor("#3f6e9c"))
                p.drawEllipse(QRectF(x - 3, y - 3, 6, 6))
                previous = (x, y)
            else:
                p.fillRect(QRectF(x - slot * 0.3, y, slot * 0.6, rate * scale), colour)
            p.setPen(QColor("#111"))
            for a, b in ((low, high),):
                p.drawLine(int(x), int(h - bottom - a * scale), int(x), int(h - bottom - b * scale))
            for v in (low, high):
                p.drawLine(int(x - 4), int(h - bottom - v * scale), int(x + 4),
                           int(h - bottom - v * scale))
            p.drawText(QRectF(x - slot / 2, h - bottom + 2, slot, 16),
                       Qt.AlignmentFlag.AlignCenter, label)
        p.end()


class RatioChart(QWidget):
    """Each group's trouble seen ÷ expected with its interval on a log scale around 1 (red:
    over-graded, graded harder than its trouble justifies; blue: under-graded).
    ``set_data([(name, ratio, low, high, finding), ...])``."""

    ROW = 18

    def __init__(self, title: str, parent=None):
        super().__init__(parent)
        self.title = title
        self.setAccessibleName(title)
        self.data: list[tuple[str, float, float | None, float | None, str]] = []

    def set_data(self, data) -> None:
        self.data = data
        self.setMinimumHeight(44 + self.ROW * max(1, len(data)))
        self.setToolTip("\n".join(
            f"{name}: {ratio:.2f}" + (f" ({low:.2f} to {high:.2f})" if low is not None else "")
            + (f", {finding}" if finding else "") for name, ratio, low, high, finding in data))
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(420, 44 + self.ROW * max(1, len(self.data)))

    def paintEvent(self, _event) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.drawText(4, 14, self.title)
        left, right = 170, self.width() - 10
        lo, hi = 0.25, 4.0

        def at(v: float) -> float:
            v = min(hi, max(lo, v))
            return left + (math.log(v) - math.log(lo)) / (math.log(hi) - math.log(lo)) * \
                (right - left)
        bottom = 26 + self.ROW * len(self.data)
        for tick in (0.25, 0.5, 1, 2, 4):
            p.setPen(QColor("#111" if tick == 1 else "#bbb"))
            p.drawLine(int(at(tick)), 22, int(at(tick)), bottom)
            p.drawText(QRectF(at(tick) - 20, bottom + 2, 40, 14), Qt.AlignmentFlag.AlignCenter,
                       f"{tick:g}")
        for row, (name, ratio, low, high, finding) in enumerate(self.data):
            y = 26 + row * self.ROW + self.ROW / 2
            colour = QColor("#b71c1c" if finding == "over-graded" else
                            "#1f5fa8" if finding else "#777")
            p.setPen(QColor("#222"))
            p.drawText(QRectF(4, y - 8, left - 10, 16),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                       name + (" ▲" if finding == "over-graded" else " ▼" if finding else ""))
            p.setPen(colour)
            if low is not None and high is not None:
                p.drawLine(int(at(low)), int(y), int(at(high)), int(y))
            p.setBrush(colour)
            p.drawEllipse(QRectF(at(ratio) - 3.5, y - 3.5, 7, 7))
        p.end()
