"""What the child process offers the real-input tests: the app's main window on a small
training desk, and helpers to find where widgets are on the screen."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRect, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDialog,
    QMessageBox,
    QScrollArea,
    QWidget,
)


def _scrolled(widget: QWidget) -> bool:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QScrollArea):
            return True
        parent = parent.parentWidget()
    return False


def namespace(folder: Path) -> dict:
    from eventrisk.desk import Desk

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "desk.db"
    if not path.exists():
        made = Desk.open(path, create=True)
        made.build_demo(venues=10, events=90, incidents=60, seed=11)
        made.close()
    ns: dict = {"desk_path": path, "windows": []}

    def window_as(role: str):
        """The app's main window, signed in as the demo account for ``role``."""
        from ui.main_window import MainWindow

        close_all()
        desk = Desk.open(path)
        desk.sign_in(role, f"{role}-demo")
        window = MainWindow(desk)
        window.show()
        window.raise_()
        window.activateWindow()
        from PySide6.QtTest import QTest

        QTest.qWaitForWindowActive(window, 5000)  # before anything opens over it
        ns["windows"].append(window)
        ns["window"] = window
        return window

    def close_all() -> None:
        """Every window and question closed, nothing asked."""
        for _ in range(20):
            modal = QApplication.activeModalWidget()
            if modal is None:
                break
            if isinstance(modal, QMessageBox):
                modal.done(QMessageBox.StandardButton.Cancel)
            else:
                modal.done(0)
        for widget in QApplication.topLevelWidgets():
            if widget.isVisible() and widget not in ns["windows"]:
                if hasattr(widget, "_dirty"):
                    widget._dirty = False
                widget.close()
        for window in ns["windows"]:
            desk = window.desk
            window.close()
            window.deleteLater()
            desk.close()
        ns["windows"].clear()

    def later(what, delay: int = 0) -> None:
        """Run soon, in the event loop (a dialog's exec must not hold up the answer)."""
        QTimer.singleShot(delay, (lambda: exec(what, ns)) if isinstance(what, str) else what)

    def centre(widget: QWidget) -> list[int]:
        point = widget.mapToGlobal(widget.rect().center())
        return [point.x(), point.y()]

    def under_pointer(widget: QWidget) -> bool:
        """Whether the X pointer is over the widget (or a part of it) now."""
        from PySide6.QtGui import QCursor

        found = QApplication.widgetAt(QCursor.pos())
        return found is not None and (found is widget or widget.isAncestorOf(found))

    def reveal(widget: QWidget) -> None:
        """Scroll the form so that the widget is well inside its view."""
        parent = widget.parentWidget()
        while parent is not None and not isinstance(parent, QScrollArea):
            parent = parent.parentWidget()
        if parent is not None:
            parent.ensureWidgetVisible(widget, 50, 200)

    def scroll_value(widget: QWidget) -> int:
        parent = widget.parentWidget()
        while parent is not None and not isinstance(parent, QScrollArea):
            parent = parent.parentWidget()
        return parent.verticalScrollBar().value() if parent is not None else -1

    def active() -> QWidget | None:
        """The window that has the keyboard (where xdotool's keys go)."""
        return QApplication.activeWindow()

    def bring_out(widget: QWidget) -> None:
        """Show the tab a field is on, so that it can have the focus."""
        from PySide6.QtWidgets import QTabWidget

        parent = widget.parentWidget()
        while parent is not None:
            if isinstance(parent, QTabWidget):
                for i in range(parent.count()):
                    if parent.widget(i).isAncestorOf(widget):
                        parent.setCurrentIndex(i)
            parent = parent.parentWidget()

    def spy(button: QAbstractButton) -> list:
        clicks: list = []
        button.clicked.connect(lambda *_: clicks.append(button.text()))
        return clicks

    def screen_area() -> QRect:
        return QGuiApplication.primaryScreen().availableGeometry()

    def off_screen_buttons(window: QWidget) -> list[str]:
        """The buttons of a window not wholly on the screen, or hidden by the window's own
        edge (a dialog taller than the screen)."""
        area = screen_area()
        visible = QRect(window.mapToGlobal(window.rect().topLeft()), window.size())
        problems = []
        for button in window.findChildren(QAbstractButton):
            if not button.isVisible() or button.window() is not window or _scrolled(button):
                continue  # in a scrolling part, a button is reached by scrolling
            if button.metaObject().className() in ("QToolButton",) and not button.text():
                continue
            place = QRect(button.mapToGlobal(button.rect().topLeft()), button.size())
            if not (area.contains(place) and visible.contains(place)):
                problems.append(f"{button.text() or button.objectName()} at "
                                f"{place.getRect()} outside {area.getRect()}")
        return problems

    def grab(path: str) -> None:
        QGuiApplication.primaryScreen().grabWindow(0).save(path)

    def settle_events(ms: int = 150) -> None:
        from PySide6.QtTest import QTest

        QTest.qWait(ms)

    ns.update(window_as=window_as, close_all=close_all, later=later, centre=centre,
              reveal=reveal, under_pointer=under_pointer, bring_out=bring_out, scroll_value=scroll_value, active=active, spy=spy,
              screen_area=screen_area, off_screen_buttons=off_screen_buttons, grab=grab,
              settle_events=settle_events, QApplication=QApplication, QDialog=QDialog,
              QMessageBox=QMessageBox)
    return ns
