"""Starting the desktop app: first run, sign-in, the main window; errors never show a
traceback."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
)

from eventrisk.desk import Desk
from eventrisk.deskinfo import DeskFileError, load_desk_contact
from eventrisk.errors import StorageError
from eventrisk.logfile import log_to_file
from eventrisk.paths import default_db_path
from ui.dialogs import ok_cancel
from ui.errors import message_for, show_error
from ui.login import sign_in
from ui.main_window import MainWindow
from ui.style import warning_css

NETWORK_WARNING = (
    "Several workstations can share one database file on a shared folder. EventRisk uses "
    "SQLite's rollback journal, which works there, but it relies on the network file system's "
    "locking: use a proper Windows/SMB share (not a sync folder such as OneDrive or Dropbox), "
    "and keep backups.")


class DatabaseLocationDialog(QDialog):
    """Where the desk's database should live, on the very first start."""

    def __init__(self, suggested: Path, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Welcome to EventRisk")
        self.path = QLineEdit(str(suggested), accessibleName="Database file")
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._browse)
        self.warning = QLabel(NETWORK_WARNING, wordWrap=True, objectName="networkWarning")
        self.warning.setStyleSheet(warning_css())
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        buttons = ok_cancel(self, ok_text="Create the database")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("There is no EventRisk database yet. Choose where it lives. The "
                                "suggested place is private to you on this computer.",
                                wordWrap=True))
        layout.addLayout(row)
        layout.addWidget(self.warning)
        layout.addWidget(buttons)

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Database file", self.path.text(),
                                              "EventRisk database (*.db)")
        if path:
            self.path.setText(path)

    def chosen(self) -> Path:
        return Path(self.path.text()).expanduser()


def run(db_path: Path) -> int:
    """Open the desktop app on ``db_path`` (offering a first-run set-up if it is missing)."""
    log_to_file()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    QCoreApplication.setOrganizationName("PromotersDesk")
    QCoreApplication.setApplicationName("EventRisk")

    def excepthook(kind, exc, tb):  # the user never sees a traceback
        show_error(None, exc.with_traceback(tb))

    sys.excepthook = excepthook
    explicit = Path(db_path)
    if not explicit.exists():
        first = DatabaseLocationDialog(explicit)
        if not first.exec():
            return 0
        explicit = first.chosen()
        explicit.parent.mkdir(parents=True, exist_ok=True)
    try:
        desk = Desk.open(explicit, create=True)
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


def main() -> int:
    """Entry point for the frozen app."""
    return run(default_db_path())
