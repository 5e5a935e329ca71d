"""Pieces every dialog of the app shares, and the app's one rule for defaults
(docs/ui-rules.md): the focus starts on the first field, Enter does the action the dialog's
title names and never a destructive one, and a destructive or bulk confirmation defaults to
No.  Every window also opens within the screen it is on."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QRect, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDialog,
    QDialogButtonBox,
    QInputDialog,
    QMessageBox,
    QPushButton,
    QWidget,
)


def ok_cancel(dialog: QDialog, on_ok: Callable[[], object] | None = None,
              ok_text: str = "") -> QDialogButtonBox:
    """OK and Cancel: OK runs ``on_ok`` (the dialog's own accept unless given) and may be
    worded as what it does; Cancel closes the dialog.  OK is what Enter does."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                               | QDialogButtonBox.StandardButton.Cancel)
    ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
    if ok_text:
        ok.setText(ok_text)
    buttons.accepted.connect(on_ok or dialog.accept)
    buttons.rejected.connect(dialog.reject)
    for button in buttons.buttons():
        button.setAutoDefault(False)
    ok.setDefault(True)
    return buttons


def settle(dialog: QDialog, fields: list[QWidget], action: QPushButton | None) -> None:
    """The rule for one dialog: Tab goes through ``fields`` in order; the focus starts on
    the first field; Enter anywhere presses ``action`` (the dialog's named action) and no
    other button ever becomes the default (a focused Cancel or Reset pressed by Enter closed
    or reset things nobody chose)."""
    for button in dialog.findChildren(QPushButton):
        button.setAutoDefault(False)
        button.setDefault(False)
    if action is not None:
        action.setDefault(True)
    for before, after in zip(fields, fields[1:], strict=False):
        QWidget.setTabOrder(before, after)
    if fields:
        dialog.setProperty("firstField", fields[0].objectName())
        fields[0].setFocus()


def confirm(parent: QWidget | None, title: str, text: str, *, yes: str = "",
            no: str = "") -> bool:
    """Ask before a destructive or bulk action: No is the default, so Enter (or Escape)
    does nothing; True only if the person chose Yes."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, text,
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, parent)
    box.setObjectName("confirmBox")
    if yes:
        box.button(QMessageBox.StandardButton.Yes).setText(yes)
    if no:
        box.button(QMessageBox.StandardButton.No).setText(no)
    box.setDefaultButton(QMessageBox.StandardButton.No)
    box.setEscapeButton(QMessageBox.StandardButton.No)
    return box.exec() == QMessageBox.StandardButton.Yes


def ask_reason(parent: QWidget | None, title: str, prompt: str) -> str | None:
    """A reason that may not be empty: Enter on an empty one says so and asks again (it
    used to cancel silently); None only when the person cancels."""
    label = prompt
    while True:
        text, ok = QInputDialog.getText(parent, title, label)
        if not ok:
            return None
        if text.strip():
            return text.strip()
        label = prompt + "\n\nA reason is required: type one, or Cancel."


# ---- windows within the screen -----------------------------------------------------------
def available(widget: QWidget) -> QRect:
    """The part of the widget's screen (or the main screen) that windows may use."""
    screen = widget.screen() if widget.screen() is not None else \
        QGuiApplication.primaryScreen()
    return screen.availableGeometry() if screen is not None else QRect(0, 0, 1024, 700)


def clamp(window: QWidget) -> None:
    """Move and shrink a top-level window so that it lies wholly within the available area
    of its screen, frame included (a remembered 1360x860 on a 1024x700 screen, a preview of
    900x1000 at 1440x900)."""
    area = available(window)
    frame = window.frameGeometry()
    extra_w = max(0, frame.width() - window.width())
    extra_h = max(0, frame.height() - window.height())
    if not (extra_w or extra_h) and QGuiApplication.platformName() not in ("offscreen",
                                                                          "minimal"):
        # Not framed yet (the window manager adds its title bar after showing): leave room.
        extra_w, extra_h = FRAME_ALLOWANCE
    width = min(window.width(), area.width() - extra_w)
    height = min(window.height(), area.height() - extra_h)
    if (width, height) != (window.width(), window.height()):
        window.resize(max(width, 100), max(height, 100))
    frame = window.frameGeometry()
    x = min(max(frame.x(), area.x()), area.right() - frame.width() + 1)
    y = min(max(frame.y(), area.y()), area.bottom() - frame.height() + 1)
    if (x, y) != (frame.x(), frame.y()):
        window.move(max(x, area.x()), max(y, area.y()))


FRAME_ALLOWANCE = (8, 36)  # a window manager's border and title bar, before they are known


class _ScreenFit(QObject):
    """Every top-level window of the app is clamped to its screen as it is shown, and again
    as the window manager frames and places it."""

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt's name
        kind = event.type()
        if kind not in (QEvent.Type.Show, QEvent.Type.Move) or not isinstance(
                watched, QWidget) or not watched.isWindow() or isinstance(
                watched, QAbstractButton) or watched.windowType() not in (
                Qt.WindowType.Dialog, Qt.WindowType.Window):
            return False
        if kind == QEvent.Type.Show:
            clamp(watched)
            watched.setProperty("screenFitMoves", 3)
            QTimer.singleShot(0, watched, lambda w=watched: _clamp_if_alive(w))
        elif watched.property("screenFitMoves"):
            # The window manager's placement: within the screen, frame and all.
            watched.setProperty("screenFitMoves", int(watched.property("screenFitMoves")) - 1)
            QTimer.singleShot(0, watched, lambda w=watched: _clamp_if_alive(w))
        return False


def _clamp_if_alive(window: QWidget) -> None:
    try:
        if window.isVisible():
            clamp(window)
    except RuntimeError:  # deleted meanwhile
        pass


def install_screen_fit() -> None:
    """Clamp every window of the running application to its screen (once)."""
    app = QApplication.instance()
    if app is not None and not app.property("screenFit"):
        app.installEventFilter(_ScreenFit(app))
        app.setProperty("screenFit", True)
