"""Starting the desktop app: first run, sign-in, the main window; errors never show a
traceback."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
)

from eventrisk.desk import Desk, SignInNeededError
from eventrisk.deskinfo import DeskFileError, load_desk_contact
from eventrisk.errors import StorageError
from eventrisk.logfile import log_to_file
from eventrisk.paths import default_db_path
from eventrisk.pg import is_server, shown
from eventrisk.privatefiles import sweep
from ui.dialogs import ok_cancel
from ui.errors import message_for, show_error
from ui.login import sign_in
from ui.main_window import MainWindow
from ui.style import warning_css

NETWORK_WARNING = (
    "A file on a shared folder can serve a few workstations, but it relies on the network's "
    "file locking (use a proper Windows/SMB share, never OneDrive or Dropbox), and anyone who "
    "can write the file can change it. For a desk of several workstations, connect to the "
    "desk's server below.")

SERVER_HELP = (
    "Ask your IT team for the desk's server. Write it as postgresql://server/database, or as "
    "service=name if they have set up a PostgreSQL service file. EventRisk never stores a "
    "password: it reads yours from your PostgreSQL password file (pgpass), as IT sets it up.")
SERVER_SETTING = "desk/server"


class DatabaseLocationDialog(QDialog):
    """Where the desk's database is, on the very first start: a file on this computer (or a
    shared folder), or the desk's server that several workstations share."""

    def __init__(self, suggested: Path, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Welcome to EventRisk")
        self.on_file = QRadioButton("Create a database file on this computer",
                                    objectName="chooseFile", checked=True)
        self.on_server = QRadioButton("Connect to the desk's server (several workstations)",
                                      objectName="chooseServer")
        self.path = QLineEdit(str(suggested), accessibleName="Database file")
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._browse)
        self.warning = QLabel(NETWORK_WARNING, wordWrap=True, objectName="networkWarning")
        self.warning.setStyleSheet(warning_css())
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        self.server = QLineEdit(accessibleName="The desk's server", objectName="serverField",
                                placeholderText="postgresql://desk-server/eventrisk")
        self.problem = QLabel("", wordWrap=True, objectName="serverProblem")
        self.problem.setStyleSheet(warning_css())
        self.problem.hide()
        self.buttons = ok_cancel(self, ok_text="Create the database")
        self.buttons.accepted.disconnect()
        self.buttons.accepted.connect(self._check)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("There is no EventRisk database yet. Create one on this "
                                "computer (the suggested place is private to you), or connect "
                                "to the server your desk shares.", wordWrap=True))
        layout.addWidget(self.on_file)
        layout.addLayout(row)
        layout.addWidget(self.warning)
        layout.addWidget(self.on_server)
        layout.addWidget(self.server)
        layout.addWidget(QLabel(SERVER_HELP, wordWrap=True))
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.server.textEdited.connect(lambda _: self.on_server.setChecked(True))
        self.path.textEdited.connect(lambda _: self.on_file.setChecked(True))
        self.on_server.toggled.connect(self._chosen_kind)

    def _chosen_kind(self, server: bool) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Connect" if server else "Create the database")
        if server:
            self.server.setFocus()

    def _check(self) -> None:
        """Accept a file at once; a server only once it answers as a desk."""
        if not self.on_server.isChecked():
            self.accept()
            return
        text = self.server.text().strip()
        problem = ""
        if not is_server(text):
            problem = ("That is not a server's address: write postgresql://server/database "
                       "or service=name.")
        elif shown(text) != text:
            problem = ("Take the password out: EventRisk keeps this address, and never a "
                       "password. Put the password in your PostgreSQL password file instead.")
        else:
            try:
                Desk.open(text).close()
            except SignInNeededError:
                pass  # it answers, and wants each person's own login: asked for next
            except StorageError as exc:
                problem = str(exc)
        self.problem.setText(problem)
        self.problem.setVisible(bool(problem))
        if not problem:
            self.accept()

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Database file", self.path.text(),
                                              "EventRisk database (*.db)")
        if path:
            self.path.setText(path)

    def chosen(self) -> Path | str:
        if self.on_server.isChecked():
            return default_db_path(self.server.text().strip())
        return Path(self.path.text()).expanduser()


def run(db_path: Path | str) -> int:
    """Open the desktop app on ``db_path`` (offering a first-run set-up if it is missing)."""
    log_to_file()
    sweep()  # the half-written files of a run that was killed
    app = QApplication.instance() or QApplication(sys.argv[:1])
    QCoreApplication.setOrganizationName("PromotersDesk")
    QCoreApplication.setApplicationName("EventRisk")

    def excepthook(kind, exc, tb):  # the user never sees a traceback
        show_error(None, exc.with_traceback(tb))

    sys.excepthook = excepthook
    explicit = db_path
    saved = QSettings().value(SERVER_SETTING, "")
    if saved and not is_server(explicit) and not Path(explicit).exists() \
            and Path(explicit) == default_db_path():
        explicit = default_db_path(str(saved))  # the desk's server, chosen at first start
    if not is_server(explicit) and not Path(explicit).exists():
        first = DatabaseLocationDialog(Path(explicit))
        if not first.exec():
            return 0
        explicit = first.chosen()
        if is_server(explicit):
            QSettings().setValue(SERVER_SETTING, str(explicit))
        else:
            Path(explicit).parent.mkdir(parents=True, exist_ok=True)
    try:
        # A workstation never makes or upgrades a desk on a server: its owner does.
        desk = Desk.open(explicit, create=not is_server(explicit))
    except SignInNeededError:  # the server asks each person for their own login first
        from ui.login import ServerSignInDialog

        dialog = ServerSignInDialog(str(explicit))
        if not dialog.exec() or dialog.desk is None:
            return 0
        desk = dialog.desk
    except StorageError as exc:
        QMessageBox.critical(None, "EventRisk cannot start", message_for(exc)[1])
        return 1
    try:
        load_desk_contact()  # every page printed names who to call: check it before work
    except DeskFileError as exc:
        QMessageBox.critical(None, "EventRisk cannot start",
                             "The desk's details file is not right:\n\n"
                             + "\n".join(exc.problems)
                             + "\n\nCorrect it (or point EVENTRISK_DESK_JSON at the desk's "
                               "own copy) and start EventRisk again.")
        desk.close()
        return 1
    if not sign_in(desk):
        return 0
    window = MainWindow(desk)
    window.show()
    return app.exec()


def main(argv: list[str] | None = None) -> int:
    """The desktop app on its own (``eventrisk-app``, and the frozen app): ``--db`` or
    ``EVENTRISK_DB`` picks the desk, as on the command line."""
    import argparse

    parser = argparse.ArgumentParser(prog="eventrisk-app", description="The EventRisk desk.")
    parser.add_argument("--db", dest="desk", metavar="PATH|URL",
                        help="the desk: a file or postgresql://…")
    args = parser.parse_args(argv)
    return run(default_db_path(args.desk))
