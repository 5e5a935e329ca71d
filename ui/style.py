"""Display helpers shared by views: grade colours and words, dates in British form."""

from __future__ import annotations

from PySide6.QtGui import QColor

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


# Error text: dark red on the light palette (7.1:1 on white).
ERROR_CSS = "color:#b71c1c;"
# The banner of a training desk: it must never be mistaken for the real one.
TRAINING_CSS = "background:#b71c1c; color:white; font-weight:bold; padding:2px 8px;"
