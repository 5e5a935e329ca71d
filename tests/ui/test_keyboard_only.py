"""A whole event from capture to a printed, approved assessment with the keyboard alone
(issue 12): capture, score, what-if, record measures, submit, sign in as the supervisor,
approve, print to PDF.  No mouse event is sent; the only stand-in is the operating system's
file dialog, which answers with a path."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QWidget

from eventrisk.model import Status

ALT, CTRL = Qt.KeyboardModifier.AltModifier, Qt.KeyboardModifier.ControlModifier


class _MouseCounter(QObject):
    """Counts mouse button presses anywhere in the application."""

    def __init__(self):
        super().__init__()
        self.presses = 0

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt's name
        if event.type() in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonDblClick):
            self.presses += 1
        return False


def _tab_to(qtbot, start: QWidget, target: QWidget, limit: int = 120) -> None:
    """Press Tab until ``target`` has the focus, as a keyboard user would."""
    for _ in range(limit):
        if target.hasFocus():
            return
        focused = QApplication.focusWidget() or start
        qtbot.keyClick(focused, Qt.Key.Key_Tab)
    raise AssertionError(f"Tab never reached {target.objectName() or target}")


def _type_into(qtbot, widget: QWidget, text: str) -> None:
    qtbot.keyClick(widget, Qt.Key.Key_A, CTRL)  # replace what is there
    qtbot.keyClicks(widget, text)


def _in_next_modal(qtbot, act) -> None:
    """Run ``act(dialog)`` inside the next modal dialog, once it is up."""
    def later():
        modal = QApplication.activeModalWidget()
        if modal is None:
            QTimer.singleShot(20, later)
            return
        modal.activateWindow()  # the window system gives a new dialog the focus
        qtbot.waitUntil(modal.isActiveWindow, timeout=3000)
        act(modal)
    QTimer.singleShot(0, later)


def test_capture_to_printed_approval_with_the_keyboard_alone(qtbot, window_for, monkeypatch,
                                                              tmp_path):
    window = window_for("officer")
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    venue = window.desk.venues_page(limit=1)[0]
    mouse = _MouseCounter()
    QApplication.instance().installEventFilter(mouse)

    # Capture: Ctrl+N, fields in tab order, Ctrl+S saves and scores.
    qtbot.keyClick(window.queue.table, Qt.Key.Key_N, CTRL)
    form = next(w for w in QApplication.topLevelWidgets()
                if type(w).__name__ == "SubmissionForm" and w.isVisible())
    form.activateWindow()
    qtbot.waitUntil(form.isActiveWindow, timeout=3000)
    qtbot.waitUntil(form.event_name.hasFocus, timeout=3000)
    qtbot.keyClicks(form.event_name, "Keyboard Night")
    _tab_to(qtbot, form.event_name, form.event_type)  # nothing is chosen for the officer
    while form.event_type.currentData() != "club_night":
        qtbot.keyClick(form.event_type, Qt.Key.Key_Down)
    _tab_to(qtbot, form.event_type, form.venue_code)
    qtbot.keyClicks(form.venue_code, venue.code)
    _tab_to(qtbot, form.venue_code, form.promoter_name)
    qtbot.keyClicks(form.promoter_name, "Tabitha Keys Promotions")
    _tab_to(qtbot, form.promoter_name, form.day)
    day = window.desk.clock().date() + timedelta(days=30)
    qtbot.keyClicks(form.day, f"{day:%d/%m/%Y}")
    _tab_to(qtbot, form.day, form.start_time)
    qtbot.keyClicks(form.start_time, "22:00")
    _tab_to(qtbot, form.start_time, form.end_time)
    qtbot.keyClicks(form.end_time, "03:00")
    _tab_to(qtbot, form.end_time, form.same_day)  # Tab stops once on the pair
    qtbot.keyClick(form.same_day, Qt.Key.Key_Right)
    qtbot.keyClick(form.next_day, Qt.Key.Key_Space)  # it finishes after midnight
    assert form.next_day.isChecked()
    _tab_to(qtbot, form.next_day, form.expected_attendance)
    qtbot.keyClicks(form.expected_attendance, str(min(venue.capacity, 250)))
    # Entry terms as the promoter stated them: arrows choose, Tab moves on.
    _tab_to(qtbot, form.expected_attendance, form.ticketing)
    while form.ticketing.currentData() != "advance_only":
        qtbot.keyClick(form.ticketing, Qt.Key.Key_Down)
    _tab_to(qtbot, form.ticketing, form.min_age)
    qtbot.keyClicks(form.min_age, "18")
    _tab_to(qtbot, form.min_age, form.alcohol)
    while form.alcohol.currentData() != "true":
        qtbot.keyClick(form.alcohol, Qt.Key.Key_Down)
    _tab_to(qtbot, form.alcohol, form.door_supervisors)
    qtbot.keyClicks(form.door_supervisors, "2")
    qtbot.keyClick(form.door_supervisors, Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: not form.isVisible(), timeout=10000)
    view = window.tabs.currentWidget()
    assert view.sub.event_name == "Keyboard Night" and view.state.snapshot is not None
    scored = view.state.snapshot.score

    # What-if, then record the measures as agreed: Tab there, type, Tab to the button, Space.
    qtbot.waitUntil(lambda: view.what_if._what_if is not None, timeout=10000)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    view.buttons["edit"].setFocus(Qt.FocusReason.TabFocusReason)  # where Tab starts in the tab
    _tab_to(qtbot, view.buttons["edit"], view.what_if.door)
    _type_into(qtbot, view.what_if.door, "8")
    qtbot.waitUntil(lambda: view.what_if.agree.isEnabled(), timeout=3000)
    _tab_to(qtbot, view.what_if.door, view.what_if.agree)
    qtbot.keyClick(view.what_if.agree, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: view.sub.door_supervisors == 8, timeout=5000)
    assert view.state.snapshot.score <= scored

    # Submit for review: Alt+R.
    qtbot.keyClick(view, Qt.Key.Key_R, ALT)
    qtbot.waitUntil(lambda: view.state.status is Status.IN_REVIEW, timeout=5000)
    reference = view.sub.reference

    # Switch user from the File menu (Alt+F, S), signing in with the keyboard.
    def sign_in(dialog):
        assert dialog.username.hasFocus()
        qtbot.keyClicks(dialog.username, "supervisor")
        qtbot.keyClick(dialog.username, Qt.Key.Key_Tab)
        assert dialog.password.hasFocus()
        qtbot.keyClicks(dialog.password, "supervisor-demo")
        qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    _in_next_modal(qtbot, sign_in)
    qtbot.keyClick(window, Qt.Key.Key_F, ALT)
    menu = QApplication.activePopupWidget()
    assert menu is not None
    qtbot.keyClick(menu, Qt.Key.Key_S)
    qtbot.waitUntil(lambda: window.desk.user is not None
                    and window.desk.user.username == "supervisor", timeout=10000)

    # Find it (Ctrl+F, the reference, Enter, Enter) and approve it (Alt+A).
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    qtbot.keyClick(window.queue.table, Qt.Key.Key_F, CTRL)
    qtbot.keyClicks(window.queue.search, reference)
    qtbot.keyClick(window.queue.search, Qt.Key.Key_Return)
    qtbot.keyClick(window.queue.table, Qt.Key.Key_Return)
    view = window.tabs.currentWidget()
    assert view.sub.reference == reference
    qtbot.keyClick(view, Qt.Key.Key_A, ALT)
    qtbot.waitUntil(lambda: view.state.status is Status.APPROVED, timeout=5000)

    # Print to PDF: Ctrl+P shows the preview; Alt+S saves it; Escape closes it.
    target = tmp_path / f"{reference}.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(target), "")))

    def save_and_close(preview):
        qtbot.keyClick(preview, Qt.Key.Key_S, ALT)
        qtbot.keyClick(preview, Qt.Key.Key_Escape)
    _in_next_modal(qtbot, save_and_close)
    qtbot.keyClick(view.fired, Qt.Key.Key_P, CTRL)
    qtbot.waitUntil(target.exists, timeout=10000)
    assert target.read_bytes().startswith(b"%PDF")
    QApplication.instance().removeEventFilter(mouse)
    assert mouse.presses == 0
