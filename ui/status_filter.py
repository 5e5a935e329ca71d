"""The queue's status filter: any set of statuses, not one at a time.  A button that opens a
menu of the statuses, each ticked on or off (the menu stays open while ticking, with the mouse
or with Space), and of the usual groups, which set exactly their statuses."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QToolButton

from eventrisk.model import Status

GROUPS = (
    ("Needs the desk (received, assessed, returned)",
     (Status.RECEIVED, Status.ASSESSED, Status.RETURNED)),
    ("Decided (approved, issued)", (Status.APPROVED, Status.ISSUED)),
    ("Open (not cancelled or debriefed)",
     tuple(s for s in Status if s not in (Status.CANCELLED, Status.DEBRIEFED))),
)


class _StayOpen(QMenu):
    """Ticking a status keeps the menu open, so several can be ticked in one go."""

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 - Qt's name
        action = self.activeAction()
        if action is not None and action.isCheckable():
            action.trigger()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event) -> None:  # noqa: N802
        action = self.activeAction()
        if event.key() == Qt.Key.Key_Space and action is not None and action.isCheckable():
            action.trigger()
            return
        super().keyPressEvent(event)


class StatusFilter(QToolButton):
    """Emits ``changed()`` when the chosen statuses change."""

    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent, objectName="statusFilter")
        self.setAccessibleName("Status filter")
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.setMinimumWidth(160)
        menu = _StayOpen(self)
        any_status = menu.addAction("Any status")
        any_status.triggered.connect(lambda: self.set_statuses(()))
        for label, group in GROUPS:
            action = menu.addAction(label)
            action.triggered.connect(lambda _=False, g=group: self.set_statuses(
                tuple(s.value for s in g)))
        menu.addSeparator()
        self.ticks: dict[str, QAction] = {}
        for status in Status:
            action = menu.addAction(status.label)
            action.setCheckable(True)
            action.toggled.connect(self._ticked)
            self.ticks[status.value] = action
        self.setMenu(menu)
        self._quiet = False
        self._show()

    def statuses(self) -> tuple[str, ...]:
        """The statuses ticked, in the desk's order (empty: any status)."""
        return tuple(value for value, action in self.ticks.items() if action.isChecked())

    def set_statuses(self, values: tuple[str, ...] | list[str]) -> None:
        """Tick exactly these statuses (unknown ones are ignored)."""
        before = self.statuses()
        self._quiet = True
        for value, action in self.ticks.items():
            action.setChecked(value in values)
        self._quiet = False
        self._show()
        if self.statuses() != before:
            self.changed.emit()

    def _ticked(self, _on: bool) -> None:
        if not self._quiet:
            self._show()
            self.changed.emit()

    def _show(self) -> None:
        chosen = [Status(v).label for v in self.statuses()]
        group = next((label.split(" (")[0] for label, g in GROUPS
                      if tuple(s.value for s in g) == self.statuses()), None)
        text = ("Any status" if not chosen else group if group
                else chosen[0] if len(chosen) == 1 else f"{len(chosen)} statuses")
        self.setText(text)
        self.setToolTip(", ".join(chosen) if chosen else "Every status but cancelled")
