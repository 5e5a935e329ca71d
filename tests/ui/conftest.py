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


@pytest.fixture
def desk(tmp_path):
    from eventrisk import demo
    from eventrisk.db import open_database

    path = tmp_path / "desk.db"
    db = open_database(path)
    demo.build(db, venues=10, events=90, incidents=60, seed=11)
    yield db, str(path)
    db.close()


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
    monkeypatch.setattr(QMessageBox, "exec", lambda self: shown.append(self.text()) or 0)
    return shown


def sign_in(db, role: str):
    from eventrisk import users

    return users.authenticate(db, role, f"{role}-demo")


@pytest.fixture
def window_for(qtbot, desk):
    from ui.main_window import MainWindow

    db, path = desk
    made = []

    def make(role: str):
        window = MainWindow(db, path, sign_in(db, role))
        qtbot.addWidget(window)
        window.show()
        made.append(window)
        return window
    yield make
    for window in made:  # before the database closes under them
        window.close()
