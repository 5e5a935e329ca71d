"""UI fixtures: a small demo desk opened through the app's own path, offscreen."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def private_settings(tmp_path, monkeypatch):
    """Keep QSettings and logs of test runs out of the user's own folders."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    # Qt reads the settings folder once a process: forget what earlier tests' people left.
    from PySide6.QtCore import QSettings

    QSettings().remove("users")


@pytest.fixture(autouse=True)
def no_unexpected_message_boxes(request, monkeypatch):
    """A modal message box would block an offscreen test run for ever: fail instead.

    Tests that expect messages ask for the ``messages`` fixture, which records them."""
    if "messages" in request.fixturenames:
        return
    from PySide6.QtWidgets import QMessageBox

    def refuse(*args, **_kw):
        text = args[0].text() if args and isinstance(args[0], QMessageBox) else args[2:3]
        raise AssertionError(f"unexpected message box: {text}")

    for name in ("information", "warning", "critical", "question", "about"):
        monkeypatch.setattr(QMessageBox, name, staticmethod(refuse))
    monkeypatch.setattr(QMessageBox, "exec", refuse)


@pytest.fixture(scope="session")
def demo_desk_file(tmp_path_factory):
    """The small training desk, made once per test process (migrating and filling it took a
    tenth of a second a test); each test gets a copy."""
    from eventrisk.desk import Desk

    path = tmp_path_factory.mktemp("demo") / "desk.db"
    made = Desk.open(path, create=True)
    made.build_demo(venues=10, events=90, incidents=60, seed=11)
    made.close()
    return path


@pytest.fixture
def desk(tmp_path, demo_desk_file):
    """A small training desk of its own for the test: (its database connection, its path)."""
    import shutil

    from eventrisk.desk import Desk

    path = tmp_path / "desk.db"
    shutil.copyfile(demo_desk_file, path)
    made = Desk.open(path)
    yield made.db, str(path)
    made.close()


@pytest.fixture
def messages(monkeypatch):
    """Record message boxes instead of blocking on them."""
    from PySide6.QtWidgets import QMessageBox

    shown: list[str] = []

    def record(*args, **_kw):
        shown.append(" ".join(str(a) for a in args[1:]))
        return QMessageBox.StandardButton.Yes

    for name in ("information", "warning", "critical", "question", "about"):
        monkeypatch.setattr(QMessageBox, name, staticmethod(record))
    def answer(box):  # a confirmation (Yes and No) is answered Yes, as question() is
        shown.append(box.text())
        return QMessageBox.StandardButton.Yes if box.button(
            QMessageBox.StandardButton.Yes) is not None else 0

    monkeypatch.setattr(QMessageBox, "exec", answer)
    return shown


def sign_in(db, path, role: str):
    """A desk on the test's own connection, signed in as the demo account for ``role``."""
    from eventrisk.desk import Desk

    signed = Desk(db, str(path))
    signed.sign_in(role, f"{role}-demo")
    return signed


@pytest.fixture
def window_for(qtbot, desk):
    from ui.main_window import MainWindow

    db, path = desk
    made = []

    def make(role: str):
        window = MainWindow(sign_in(db, path, role))
        qtbot.addWidget(window)
        window.show()
        made.append(window)
        return window
    yield make
    for window in made:  # before the database closes under them
        window.close()


def answers_sign_in(qtbot, user: str, password: str):
    """A stand-in for ``LoginDialog.exec`` that types the user and password and signs in."""
    def answer(dialog):
        qtbot.keyClicks(dialog.username, user)
        qtbot.keyClicks(dialog.password, password)
        dialog._accept()
        return dialog.result()
    return answer


def choose_timing(qtbot, form, start: str = "22:00", end: str = "03:00",
                  next_day: bool = True, event_type: str = "club_night") -> None:
    """What the form no longer pre-sets (docs/ui-rules.md), chosen as an officer would: the
    type of event, the times, and whether it finishes the next day (the date is the test's
    own business)."""
    form.event_type.setCurrentIndex(form.event_type.findData(event_type))
    for field, text in ((form.start_time, start), (form.end_time, end)):
        field.clear()
        qtbot.keyClicks(field, text)
        field.editingFinished.emit()
    (form.next_day if next_day else form.same_day).setChecked(True)
