"""The mouse wheel scrolls the form, never the value under the pointer.

Without this, scrolling down a long form turns every combo box, spin box and date the
pointer passes over (12 notches moved an event from Sun 13/12 to Mon 07/12).  A field
changes by wheel only once it has the keyboard focus, as in most desktop software."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractScrollArea, QAbstractSpinBox, QApplication, QComboBox


class WheelGuard(QObject):
    """An application-wide event filter: wheel events over an unfocused field go to the
    scroll area around it instead."""

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt's name
        if event.type() != QEvent.Type.Wheel or not isinstance(
                watched, (QComboBox, QAbstractSpinBox)):
            return False
        if watched.focusPolicy() == Qt.FocusPolicy.WheelFocus:
            watched.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # the wheel does not focus it
        if watched.hasFocus():
            return False
        parent = watched.parentWidget()
        while parent is not None and not isinstance(parent, QAbstractScrollArea):
            parent = parent.parentWidget()
        if parent is not None:
            QCoreApplication.sendEvent(parent.verticalScrollBar(), event)
        return True


def install() -> None:
    """Guard every field of the running application (once)."""
    app = QApplication.instance()
    if app is not None and not app.property("wheelGuard"):
        guard = WheelGuard(app)
        app.installEventFilter(guard)
        app.setProperty("wheelGuard", True)
