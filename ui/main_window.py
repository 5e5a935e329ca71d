"""The main window: the queue at home, tabs for dashboard, venues, rules and open records."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import QByteArray, QDate, QSettings, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
)
from sqlite_utils import Database

from eventrisk import __version__, importexport
from eventrisk.backup import backup
from eventrisk.db import open_database
from eventrisk.model import User
from eventrisk.paths import resource
from eventrisk.reference import borough_names
from eventrisk.report.assessment_pdf import write_pdf
from eventrisk.report.pack_pdf import render_pack
from eventrisk.scoring import rulebook, service
from eventrisk.users import can
from ui.assessment_view import AssessmentView
from ui.dashboard_view import DashboardView
from ui.errors import show_error
from ui.queue_view import QueueView
from ui.rules_view import RulesView
from ui.submission_form import SubmissionForm
from ui.users_dialog import UsersDialog
from ui.venue_view import VenueView
from ui.venues_list import VenuesList
from ui.worker import run_in_background


class MainWindow(QMainWindow):
    """Holds the signed-in user and the database; everything else is in the views."""

    def __init__(self, db: Database, db_path: str, user: User):
        super().__init__()
        self.db, self.db_path, self.user = db, db_path, user
        self.setWindowTitle(f"EventRisk: Promoters Desk ({user.display_name})")
        self.tabs = QTabWidget(objectName="mainTabs", tabsClosable=True, documentMode=True)
        self.tabs.tabCloseRequested.connect(self._close_tab)
        self.queue = QueueView(db, user.role)
        self.dashboard = DashboardView(db)
        self.venues = VenuesList(db, user)
        self.rules = RulesView(db, db_path, user)
        for widget, title in ((self.queue, "Risk queue"), (self.dashboard, "Dashboard"),
                              (self.venues, "Venues"), (self.rules, "Rules")):
            self.tabs.addTab(widget, title)
            self.tabs.tabBar().setTabButton(self.tabs.count() - 1,
                                            self.tabs.tabBar().ButtonPosition.RightSide, None)
        self.setCentralWidget(self.tabs)
        self.queue.open_requested.connect(self.open_assessment)
        self.dashboard.open_requested.connect(self.open_assessment)
        self.venues.open_requested.connect(self.open_venue)
        self._build_actions()
        status = QLabel(f"Signed in as {user.display_name} ({user.role.label}) · "
                        f"Database: {db_path}", objectName="statusUser")
        self.statusBar().addPermanentWidget(status)
        settings = QSettings()
        self.restoreGeometry(settings.value("main/geometry", QByteArray()))
        self.restoreState(settings.value("main/state", QByteArray()))
        if self.geometry().width() < 800:
            self.resize(1360, 860)

    # ---- menus ---------------------------------------------------------------------------
    def _action(self, menu, text: str, slot, shortcut=None, toolbar: bool = False) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        if toolbar:
            self.toolbar.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.toolbar = self.addToolBar("Main")
        self.toolbar.setObjectName("mainToolbar")
        bar = self.menuBar()
        file = bar.addMenu("&File")
        self.new_action = self._action(file, "&New submission…", self.new_submission,
                                       QKeySequence.StandardKey.New, toolbar=True)
        file.addSeparator()
        self._action(file, "&Import…", self.import_file)
        self._action(file, "&Export…", self.export_file)
        self._action(file, "Borough &pack…", self.borough_pack, QKeySequence.StandardKey.Print,
                     toolbar=True)
        self._action(file, "&Back up the database…", self.backup)
        file.addSeparator()
        self._action(file, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        view = bar.addMenu("&View")
        for i, name in enumerate(("Risk queue", "Dashboard", "Venues", "Rules")):
            self._action(view, name, lambda _=False, i=i: self.tabs.setCurrentIndex(i),
                         f"Ctrl+{i + 1}")
        view.addSeparator()
        self._action(view, "&Find in the queue", self.find, QKeySequence.StandardKey.Find,
                     toolbar=True)
        self._action(view, "&Refresh", self.refresh, QKeySequence.StandardKey.Refresh,
                     toolbar=True)
        self._action(view, "Queue in &desk order", self.queue.reset_order)
        tools = bar.addMenu("&Tools")
        self._action(tools, "&Rescore all…", self.rescore_all, toolbar=True)
        accounts = self._action(tools, "&Accounts…", lambda: UsersDialog(self.db, self.user,
                                                                        self).exec())
        accounts.setEnabled(can(self.user, "manage_users"))
        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&User guide", self.user_guide,
                     QKeySequence.StandardKey.HelpContents)
        self._action(help_menu, "&About EventRisk", self.about)

    # ---- opening records -----------------------------------------------------------------
    def _find_tab(self, kind: str, key: int) -> int:
        for i in range(self.tabs.count()):
            w = self.tabs.widget(i)
            if getattr(w, "tab_key", None) == (kind, key):
                return i
        return -1

    def open_assessment(self, submission_id: int) -> AssessmentView | None:
        """Open (or bring forward) a submission's assessment tab."""
        index = self._find_tab("assessment", submission_id)
        if index < 0:
            try:
                view = AssessmentView(self.db, self.user, submission_id)
            except Exception as exc:  # noqa: BLE001
                show_error(self, exc, self.db_path)
                return None
            view.tab_key = ("assessment", submission_id)
            view.changed.connect(lambda _id: self.refresh())
            view.open_venue.connect(self.open_venue)
            index = self.tabs.addTab(view, view.sub.reference)
        self.tabs.setCurrentIndex(index)
        return self.tabs.widget(index)

    def open_venue(self, venue_id: int) -> VenueView | None:
        """Open (or bring forward) a venue's tab."""
        index = self._find_tab("venue", venue_id)
        if index < 0:
            view = VenueView(self.db, self.user, venue_id)
            view.tab_key = ("venue", venue_id)
            view.open_requested.connect(self.open_assessment)
            view.changed.connect(self.refresh)
            index = self.tabs.addTab(view, view.venue.name)
        self.tabs.setCurrentIndex(index)
        return self.tabs.widget(index)

    def _close_tab(self, index: int) -> None:
        if index >= 4:
            widget = self.tabs.widget(index)
            self.tabs.removeTab(index)
            widget.deleteLater()

    # ---- commands ------------------------------------------------------------------------
    def new_submission(self) -> SubmissionForm:
        form = SubmissionForm(self.db, self.user, parent=self)
        form.saved.connect(lambda sid: (self.refresh(), self.open_assessment(sid)))
        form.show()
        return form

    def refresh(self) -> None:
        self.queue.refresh()
        self.dashboard.refresh()

    def find(self) -> None:
        self.tabs.setCurrentIndex(0)
        self.queue.search.setFocus()
        self.queue.search.selectAll()

    def _background(self, label: str, work, done) -> None:
        path = self.db_path

        def run(report):
            db = open_database(path)
            try:
                return work(db, report)
            finally:
                db.close()

        run_in_background(self, label, run, done, lambda exc: show_error(self, exc, path))

    def rescore_all(self) -> None:
        user = self.user

        def work(db, report):
            counts = {"n": 0, "stored": 0}

            def tally(result):
                counts["n"] += 1
                counts["stored"] += result.stored

            service.score_all(db, user, progress=report, sink=tally)
            return counts

        def done(counts):
            self.refresh()
            self.statusBar().showMessage(f"Rescored {counts['n']:,} submissions; "
                                         f"{counts['stored']:,} new assessments.", 10000)

        self._background("Rescoring every submission…", work, done)

    def import_file(self) -> None:
        kind, ok = QInputDialog.getItem(self, "Import", "What does the file hold?",
                                        list(importexport.KINDS), 1, False)
        if not ok:
            return
        path, _ = QFileDialog.getOpenFileName(self, f"Import {kind}", "",
                                              "CSV or JSON (*.csv *.json)")
        if not path:
            return
        user = self.user

        def done(result):
            self.refresh()
            self.venues.refresh()
            QMessageBox.information(self, "Imported", f"Imported {result.created} {kind}"
                                    + (f", updated {result.updated}" if result.updated else "")
                                    + f" from {Path(path).name}.")

        self._background(f"Importing {kind}…",
                         lambda db, _r: importexport.import_file(db, user, kind, Path(path)),
                         done)

    def export_file(self) -> None:
        kind, ok = QInputDialog.getItem(self, "Export", "What to export?",
                                        list(importexport.KINDS), 1, False)
        if not ok:
            return
        path, _ = QFileDialog.getSaveFileName(self, f"Export {kind}", f"{kind}.csv",
                                              "CSV (*.csv);;JSON (*.json)")
        if not path:
            return
        self._background(f"Exporting {kind}…",
                         lambda db, _r: importexport.export_file(db, kind, Path(path)),
                         lambda n: self.statusBar().showMessage(
                             f"Exported {n:,} {kind} to {path}.", 10000))

    def borough_pack(self) -> None:
        dialog = PackDialog(self)
        if not dialog.exec():
            return
        borough, start, end = dialog.values()

        def done(result):
            pdf, count = result
            name = f"pack-{borough.replace(' ', '-')}-{start}.pdf"
            path, _ = QFileDialog.getSaveFileName(self, "Save the borough pack", name,
                                                  "PDF files (*.pdf)")
            if path:
                write_pdf(pdf, path)
                self.statusBar().showMessage(f"Saved a pack of {count} events to {path}.",
                                             10000)

        self._background(f"Building the {borough} pack…",
                         lambda db, report: render_pack(db, borough, start, end,
                                                        progress=report), done)

    def backup(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Back up the database",
                                              f"eventrisk-backup-{date.today()}.db",
                                              "SQLite database (*.db)")
        if not path:
            return
        try:
            backup(self.db, path)
        except Exception as exc:  # noqa: BLE001
            show_error(self, exc, self.db_path)
            return
        QMessageBox.information(self, "Backed up", f"Backed up to {path}; the copy passed "
                                "SQLite's integrity check.")

    def user_guide(self) -> None:
        dialog = QDialog(self)
        dialog.setWindowTitle("EventRisk user guide")
        dialog.resize(900, 800)
        browser = QTextBrowser(openExternalLinks=True)
        guide = resource("README.md")
        if not guide.exists():
            guide = Path(__file__).resolve().parent.parent / "README.md"
        browser.setSearchPaths([str(guide.parent)])
        browser.setMarkdown(guide.read_text("utf-8") if guide.exists()
                            else "The user guide is not installed with this copy.")
        QVBoxLayout(dialog).addWidget(browser)
        dialog.exec()

    def about(self) -> None:
        ruleset = rulebook.active_ruleset(self.db)
        QMessageBox.about(self, "About EventRisk",
                          f"<b>EventRisk</b> {__version__}<br>Rules in force: {ruleset.version}"
                          f"<br>Database: {self.db_path}<br><br>Risk assessment of promoted "
                          "events from evidence about the event and recorded history only.")

    def closeEvent(self, event) -> None:  # noqa: N802
        settings = QSettings()
        settings.setValue("main/geometry", self.saveGeometry())
        settings.setValue("main/state", self.saveState())
        for timer in self.findChildren(QTimer):  # pending debounced searches die with us
            timer.stop()
        super().closeEvent(event)


class PackDialog(QDialog):
    """Borough and dates for a borough pack."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Borough pack")
        self.borough = QComboBox(accessibleName="Borough")
        self.borough.addItems(borough_names())
        today = QDate.currentDate()
        friday = today.addDays((5 - today.dayOfWeek()) % 7)
        self.start = QDateEdit(friday, calendarPopup=True, accessibleName="From")
        self.end = QDateEdit(friday.addDays(2), calendarPopup=True, accessibleName="To")
        for e in (self.start, self.end):
            e.setDisplayFormat("ddd dd/MM/yyyy")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Borough", self.borough)
        form.addRow("From", self.start)
        form.addRow("To", self.end)
        form.addRow(buttons)

    def values(self) -> tuple[str, date, date]:
        return (self.borough.currentText(), self.start.date().toPython(),
                self.end.date().toPython())



