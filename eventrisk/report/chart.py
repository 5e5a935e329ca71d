"""The venue's incidents per month, drawn with reportlab graphics."""

from __future__ import annotations

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors

from eventrisk.report.layout import FONT, GREY


def monthly_chart(monthly: tuple[tuple[str, int], ...], width: float,
                  height: float = 95) -> Drawing:
    """A bar per month, labelled every third month as MM/YY."""
    drawing = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y = 28, 22
    chart.width, chart.height = width - 40, height - 34
    values = [count for _, count in monthly]
    chart.data = [values or [0]]
    top = max(values + [1])
    step = max(1, -(-top // 4))
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = step * 4
    chart.valueAxis.valueStep = step
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 6.5
    chart.categoryAxis.categoryNames = [
        f"{m[5:7]}/{m[2:4]}" if i % 3 == 0 else "" for i, (m, _) in enumerate(monthly)]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 6.5
    chart.bars[0].fillColor = colors.HexColor("#5b7fa6")
    chart.bars[0].strokeColor = None
    drawing.add(chart)
    drawing.add(String(28, height - 8,
                       "Incidents per month at the venue, 24 months before the event",
                       fontName=FONT, fontSize=7.5, fillColor=GREY))
    return drawing
