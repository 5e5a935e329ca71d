"""The first start: a desk file on this computer, or the desk's server that several
workstations share; the server is remembered without any password."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QDialogButtonBox

from ui.app import SERVER_SETTING, DatabaseLocationDialog


def _ok(dialog):
    return dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)


def test_a_file_is_the_default_and_the_server_is_one_choice_away(qtbot, tmp_path):
    dialog = DatabaseLocationDialog(tmp_path / "desk.db")
    qtbot.addWidget(dialog)
    assert dialog.on_file.isChecked() and _ok(dialog).text() == "Create the database"
    qtbot.keyClicks(dialog.server, "postgresql://desk-server/eventrisk")
    assert dialog.on_server.isChecked() and _ok(dialog).text() == "Connect"
    qtbot.keyClicks(dialog.path, "x")
    assert dialog.on_file.isChecked()
    qtbot.mouseClick(_ok(dialog), Qt.MouseButton.LeftButton)
    assert dialog.result() == dialog.DialogCode.Accepted
    assert str(dialog.chosen()).endswith("desk.dbx")


@pytest.mark.parametrize("typed, says", [
    ("desk-server", "not a server's address"),
    ("postgresql://desk:hunter2@desk-server/eventrisk", "Take the password out"),
    ("postgresql://postgres@127.0.0.1:1/eventrisk", "cannot be reached"),
])
def test_a_server_that_will_not_do_is_named_and_the_dialog_stays(qtbot, tmp_path, typed, says):
    dialog = DatabaseLocationDialog(tmp_path / "desk.db")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.server, typed)
    qtbot.mouseClick(_ok(dialog), Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and dialog.problem.isVisible()
    assert says in dialog.problem.text() and "hunter2" not in dialog.problem.text()


@pytest.mark.pg
def test_a_desk_on_the_server_is_accepted_and_remembered_without_a_password(qtbot, tmp_path):
    from tests import pg

    with pg.fresh_desk() as name:
        dialog = DatabaseLocationDialog(tmp_path / "desk.db")
        qtbot.addWidget(dialog)
        qtbot.keyClicks(dialog.server, pg.url(name))
        qtbot.mouseClick(_ok(dialog), Qt.MouseButton.LeftButton)
        assert dialog.result() == dialog.DialogCode.Accepted and not dialog.problem.isVisible()
        assert str(dialog.chosen()) == pg.url(name)
    assert QSettings().value(SERVER_SETTING, "") == ""  # run() saves it, not the dialog


def test_the_app_program_opens_the_desk_named_by_db(monkeypatch, tmp_path):
    """`eventrisk-app --db PATH` (the gui-scripts entry point) opens that desk."""
    import ui.app

    opened = []
    monkeypatch.setattr(ui.app, "run", lambda path: opened.append(path) or 0)
    assert ui.app.main(["--db", str(tmp_path / "x.db")]) == 0
    assert opened == [tmp_path / "x.db"]
