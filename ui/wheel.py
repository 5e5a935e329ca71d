"""The mouse wheel scrolls the form, never the value under the pointer.

Without this, scrolling down a long form turns every combo box, spin box and date the
pointer passes over (12 notches moved an event from Sun 13/12 to Mon 07/12; with real input
Ticketing became "Not stated (scored as door only)").  A field changes by wheel only once it
has the keyboard focus, as in most desktop software.

Qt gives a ``WheelFocus`` widget the focus *before* any event filter sees the wheel event, so
checking ``hasFocus()`` in a filter is too late for such a widget: every choice field is
made ``StrongFocus`` (Tab and click focus it, the wheel does not) when it is first polished,
which is before it can be shown and so before any wheel can reach it.  Then a wheel over an
unfocused field goes to the scroll area around it instead."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QSlider,
    QWidget,
)

GUARDED = (QComboBox, QAbstractSpinBox, QSlider)


def guard(widget: QWidget) -> None:
    """Make one field take focus by Tab or click only, never by the wheel."""
    if widget.focusPolicy() == Qt.FocusPolicy.WheelFocus:
        widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)


class WheelGuard(QObject):
    """An application-wide event filter: every choice field is made StrongFocus as it is
    polished, and wheel events over an unfocused one go to the scroll area around it."""

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt's name
        kind = event.type()
        if kind == QEvent.Type.Polish:
            if isinstance(watched, GUARDED):
                guard(watched)
            return False
        if kind != QEvent.Type.Wheel or not isinstance(watched, GUARDED):
            return False
        guard(watched)
        if watched.hasFocus():
            return False
        parent = watched.parentWidget()
        while parent is not None and not isinstance(parent, QAbstractScrollArea):
            parent = parent.parentWidget()
        if parent is not None:
            QCoreApplication.sendEvent(parent.verticalScrollBar(), event)
        return True


def install() -> None:
    """Guard every field of the running application (once); fields that exist already are
    guarded now, every later one as it is polished."""
    app = QApplication.instance()
    if app is not None and not app.property("wheelGuard"):
        keeper = WheelGuard(app)
        app.installEventFilter(keeper)
        app.setProperty("wheelGuard", True)
        for widget in app.allWidgets():
            if isinstance(widget, GUARDED):
                guard(widget)
