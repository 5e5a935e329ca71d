"""Display helpers shared by views: grade colours and words, dates in British form."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from eventrisk.model import GRADE_COLOURS, Grade

GRADE_TEXT_COLOUR = {Grade.LOW: "#ffffff", Grade.MEDIUM: "#000000", Grade.HIGH: "#000000",
                     Grade.CRITICAL: "#ffffff"}


def grade_colour(grade: Grade | None) -> QColor | None:
    """Background colour for a grade (always shown with the word)."""
    return QColor(GRADE_COLOURS[grade]) if grade else None


def grade_text_colour(grade: Grade | None) -> QColor | None:
    """Readable text colour on the grade's background."""
    return QColor(GRADE_TEXT_COLOUR[grade]) if grade else None


def badge_css(grade: Grade | None) -> str:
    """Style sheet for a grade badge label."""
    if grade is None:
        return "background:#9e9e9e; color:white; border-radius:6px; padding:6px 14px;"
    return (f"background:{GRADE_COLOURS[grade]}; color:{GRADE_TEXT_COLOUR[grade]};"
            " border-radius:6px; padding:6px 14px; font-weight:bold;")


def contrast(a: QColor, b: QColor) -> float:
    """WCAG 2 contrast ratio of two colours (1 to 21)."""
    def luminance(c: QColor) -> float:
        def channel(v: float) -> float:
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
        return (0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF())
                + 0.0722 * channel(c.blueF()))
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


# Message colours: the dark shade on a light palette, the light shade on a dark one, each at
# least 4.5:1 (WCAG AA) against the window and the fields it may sit beside.
ERROR_SHADES = ("#b71c1c", "#ff8a80")
WARNING_SHADES = ("#8a5300", "#ffcc80")


def readable(shades: tuple[str, str], palette: QPalette | None = None) -> str:
    """The shade that reads on this palette's window (the application's by default)."""
    palette = palette or QApplication.palette()
    background = palette.color(QPalette.ColorRole.Window)
    return max(shades, key=lambda shade: contrast(QColor(shade), background))


def error_css() -> str:
    """Style sheet for error text, readable on the palette in use."""
    return f"color:{readable(ERROR_SHADES)};"


def warning_css() -> str:
    """Style sheet for warning text, readable on the palette in use."""
    return f"color:{readable(WARNING_SHADES)};"
# The banner of a training desk: it must never be mistaken for the real one.
TRAINING_CSS = "background:#b71c1c; color:white; font-weight:bold; padding:2px 8px;"
