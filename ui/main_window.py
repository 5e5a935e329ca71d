"""The main window: the queue at home, tabs for dashboard, venues, rules and open records."""

from __future__ import annotations

import html
from datetime import date
from pathlib import Path

from PySide6.QtCore import QByteArray, QDate, QEvent, QSettings, Qt, QThreadPool, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QTabWidget,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
)

from eventrisk import __version__
from eventrisk.desk import Desk
from eventrisk.desk.restore import check_backup
from eventrisk.errors import OtherDeskError
from eventrisk.fields import KINDS, minimal_note
from eventrisk.model import User
from eventrisk.paths import resource
from eventrisk.pg import is_server, shown
from eventrisk.reference import borough_names
from eventrisk.report.files import write_pdf
from ui import wheel
from ui.accountability_view import AccountabilityView
from ui.assessment_view import AssessmentView
from ui.dashboard_view import DashboardView
from ui.datetime_fields import DateField
from ui.dialogs import clamp, confirm, install_screen_fit, ok_cancel, settle
from ui.errors import message_for, show_error
from ui.login import ChangePasswordDialog, LockDialog, sign_in
from ui.mailing import offer_to_send
from ui.memory import memory_of, open_path, save_path
from ui.personal_data_dialog import PersonalDataDialog
from ui.queue_view import QueueView
from ui.rules_view import RulesView
from ui.settings_dialog import SettingsDialog
from ui.shortcuts_dialog import ShortcutsDialog
from ui.style import TRAINING_CSS, error_css
from ui.submission_form import SubmissionForm
from ui.users_dialog import UsersDialog
from ui.venue_view import VenueView
from ui.venues_list import VenuesList
from ui.verify_dialog import VerifyDialog
from ui.work_view import WorkView
from ui.worker import Task, run_on_desk


class MainWindow(QMainWindow):
    """Holds the desk (and so who is signed in); everything else is in the views.

    Signing out, switching user and the idle lock all go through ``sign_in``; the views are
    rebuilt for whoever signs in next."""

    def __init__(self, desk: Desk):
        super().__init__()
        self.desk = desk
        self.db_path = desk.path
        self.setAcceptDrops(True)  # a promoter's filled form, dropped on the window
        self.idle_timer = QTimer(self, singleShot=True)
        self.idle_timer.timeout.connect(self.lock)
        # Tell other workstations this desk is open here (a restore waits for everyone).
        self.heartbeat_timer = QTimer(self, interval=60_000)
        self.heartbeat_timer.timeout.connect(self._heartbeat)
        self.heartbeat_timer.start()
        self._heartbeat()
        self._locked = False
        QApplication.instance().installEventFilter(self)
        wheel.install()
        install_screen_fit()
        self._build()
        self._reopen_tabs()
        settings = QSettings()
        self.restoreGeometry(settings.value("main/geometry", QByteArray()))
        self.restoreState(settings.value("main/state", QByteArray()))
        if self.geometry().width() < 800:
            self.resize(1360, 860)
        clamp(self)  # remembered on a bigger screen: within this one

    @property
    def user(self) -> User:
        assert self.desk.user is not None
        return self.desk.user

    def _build(self) -> None:
        """The views, menus and status bar for the account signed in now."""
        user = self.user
        training = self.desk.training
        self.setWindowTitle(f"EventRisk: Promoters Desk ({user.display_name})"
                            + (" — TRAINING DATA, NOT FOR OPERATIONAL USE" if training else ""))
        self.tabs = Tabs(objectName="mainTabs", tabsClosable=True, documentMode=True)
        self.tabs.tabCloseRequested.connect(self._close_tab)
        self.tabs.currentChanged.connect(self._print_means_this_tab)
        self.queue = QueueView(self.desk)
        self.dashboard = DashboardView(self.desk)
        self.venues = VenuesList(self.desk)
        self.rules = RulesView(self.desk)
        self.work = WorkView(self.desk)
        self.work.open_requested.connect(self.open_assessment)
        self.work.review_requested.connect(self.review)
        self.work.draft_requested.connect(self.open_draft)
        for widget, title in ((self.queue, "Risk queue"), (self.dashboard, "Dashboard"),
                              (self.venues, "Venues"), (self.rules, "Rules"),
                              (self.work, "Review" if self.work.reviewer else "My work")):
            self.tabs.addTab(widget, title)
            self.tabs.tabBar().setTabButton(self.tabs.count() - 1,
                                            self.tabs.tabBar().ButtonPosition.RightSide, None)
        old = self.centralWidget()
        self.setCentralWidget(self.tabs)
        if old is not None:
            old.deleteLater()
        self.queue.open_requested.connect(self.open_assessment)
        self.dashboard.open_requested.connect(self.open_assessment)
        self.venues.open_requested.connect(self.open_venue)
        self.menuBar().clear()
        for action in getattr(self, "_actions", []):  # the last account's menus go with it
            action.setParent(None)
            action.deleteLater()
        self._actions: list[QAction] = []
        if getattr(self, "toolbar", None) is not None:
            self.removeToolBar(self.toolbar)
            self.toolbar.deleteLater()
        self._build_actions()
        for widget in getattr(self, "_status_widgets", []):
            self.statusBar().removeWidget(widget)
            widget.deleteLater()
        status = QLabel(f"Signed in as {user.display_name} ({user.role.label}) · "
                        f"Database: {shown(self.desk.path)}", objectName="statusUser")
        self._status_widgets = [status]
        if training:
            banner = QLabel("TRAINING DATA — NOT FOR OPERATIONAL USE", objectName="trainingBanner")
            banner.setStyleSheet(TRAINING_CSS)
            self.statusBar().addPermanentWidget(banner)
            self._status_widgets.append(banner)
        self.statusBar().addPermanentWidget(status)
        self._restart_idle_timer()

    def _print_means_this_tab(self, _index: int = -1) -> None:
        """Ctrl+P prints the assessment in front; elsewhere it makes a borough pack."""
        pack = getattr(self, "pack_action", None)
        if pack is not None:
            on_assessment = isinstance(self.tabs.currentWidget(), AssessmentView)
            pack.setShortcut(QKeySequence() if on_assessment
                             else QKeySequence(QKeySequence.StandardKey.Print))

    def _heartbeat(self) -> None:
        """Written on a worker thread: a colleague's long rescore holding the write lock must
        not freeze this window while the heartbeat waits its turn."""
        desk = self.desk

        def beat(_report) -> None:
            worker = desk.for_worker()
            try:
                worker.heartbeat()
            finally:
                worker.close()

        task = Task(beat)  # a busy or read-only desk only skips a beat: failures are dropped
        QThreadPool.globalInstance().start(task)

    # ---- idle lock, sign out, switch user --------------------------------------------------
    def _restart_idle_timer(self) -> None:
        try:
            minutes = int(self.desk.setting("idle_lock_minutes"))
        except Exception:  # noqa: BLE001 - a locked database must not stop the window
            minutes = 15
        self.idle_timer.stop()
        if minutes > 0:
            self.idle_timer.setInterval(minutes * 60_000)
            self.idle_timer.start()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt's name
        if event.type() in (QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress,
                            QEvent.Type.Wheel) and not self._locked \
                and self.idle_timer.interval() > 0 and self.idle_timer.isActive():
            self.idle_timer.start()
        return super().eventFilter(watched, event)

    def lock(self) -> bool:
        """Hide the desk until the same person signs in again (or someone else does after
        signing them out).  Returns True once unlocked."""
        if self._locked or self.desk.user is None:
            return False
        self._locked = True
        self.centralWidget().setVisible(False)
        # Nothing of the desk stays on screen: an open form is hidden (and comes back as it
        # was); a question left open is cancelled, so nothing is decided unseen.
        modal = QApplication.activeModalWidget()
        while isinstance(modal, QDialog) and modal is not self:
            modal.reject()
            modal = QApplication.activeModalWidget()
        hidden = [w for w in QApplication.topLevelWidgets()
                  if w.isVisible() and w is not self and isinstance(w, QDialog)]
        for widget in hidden:
            widget.hide()
        name = self.user.username
        try:
            dialog = LockDialog(self.desk, name, self)
            result = dialog.exec()
        finally:
            self._locked = False
        if result == QDialog.DialogCode.Accepted:
            self.centralWidget().setVisible(True)
            for widget in hidden:
                widget.show()
            self._restart_idle_timer()
            return True
        for widget in hidden:  # the owner's unsaved work is kept, never offered to discard
            if isinstance(widget, SubmissionForm):
                widget.put_away()
            else:
                widget.close()
        return self.switch_user()

    def sign_out(self) -> None:
        """Sign out and offer the sign-in again; closing it quits."""
        self.switch_user()

    # ---- open tabs, kept per person if they ask ---------------------------------------------
    def _set_reopen(self, on: bool) -> None:
        memory = memory_of(self.desk)
        if memory is not None:
            memory.set_flag("tabs/reopen", on)

    def _remember_tabs(self) -> None:
        """The records open now, for next time (only if this person asked for it)."""
        memory = memory_of(self.desk)
        if memory is None:
            return
        keys = []
        if memory.flag("tabs/reopen"):
            for i in range(FIXED_TABS, self.tabs.count()):
                key = getattr(self.tabs.widget(i), "tab_key", None)
                if key and key[0] in ("assessment", "venue"):
                    keys.append(f"{key[0]}:{key[1]}")
        memory.set("tabs/open", ",".join(keys))

    def _reopen_tabs(self) -> None:
        """The records this person had open, if they asked for them back."""
        memory = memory_of(self.desk)
        if memory is None or not memory.flag("tabs/reopen"):
            return
        for text in str(memory.get("tabs/open", "")).split(","):
            kind, _, key = text.partition(":")
            if not key.isdigit():
                continue
            try:  # a record gone since (or no longer this person's to see) is left out
                if kind == "assessment":
                    self.desk.assessment(int(key), history=False)
                    self.open_assessment(int(key))
                elif kind == "venue":
                    self.desk.venue(int(key))
                    self.open_venue(int(key))
            except Exception:  # noqa: BLE001 - reopening is a convenience, never an error
                continue
        self.tabs.setCurrentIndex(0)

    def switch_user(self) -> bool:
        """Close everything of the current account and sign in again (anyone)."""
        self._remember_tabs()
        self.idle_timer.stop()
        for i in range(self.tabs.count() - 1, FIXED_TABS - 1, -1):
            self._close_tab(i)
        self.desk.sign_out()
        self.setWindowTitle("EventRisk: Promoters Desk (nobody signed in)")
        self.centralWidget().setVisible(False)
        if not sign_in(self.desk, self, title="EventRisk: sign in"):
            self.close()
            return False
        self._build()
        self.centralWidget().setVisible(True)
        self._reopen_tabs()
        return True

    def change_password(self) -> None:
        if ChangePasswordDialog(self.desk, self).exec():
            self.statusBar().showMessage("Your password was changed.", 10000)

    # ---- menus ---------------------------------------------------------------------------
    def _action(self, menu, text: str, slot, shortcut=None, toolbar: bool = False) -> QAction:
        action = QAction(text, self)
        self._actions.append(action)
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
        self._action(file, "Promoter's for&m…", self.promoter_form)
        self._action(file, "Import a promoter's fille&d form…", self.import_promoter_form)
        self._action(file, "&Export…", self.export_file)
        self.pack_action = self._action(file, "Borough &pack…", self.borough_pack,
                                        QKeySequence.StandardKey.Print, toolbar=True)
        self._action(file, "&Back up the database…", self.backup)
        restore = self._action(file, "&Restore from a backup…", self.restore_backup)
        restore.setEnabled(self.desk.may("manage_users"))
        file.addSeparator()
        lock = self._action(file, "&Lock", self.lock, "Ctrl+L")
        # Ctrl+L locks from an open form too (a form is a window of its own).
        lock.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self._action(file, "&Switch user…", self.switch_user)
        self._action(file, "Sign &out", self.sign_out)
        self._action(file, "Change my pass&word…", self.change_password)
        file.addSeparator()
        self._action(file, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        view = bar.addMenu("&View")
        for i, name in enumerate(("Risk queue", "Dashboard", "Venues", "Rules",
                                  "My work / Review")):
            self._action(view, name, lambda _=False, i=i: self.tabs.setCurrentIndex(i),
                         f"Ctrl+{i + 1}")
        view.addSeparator()
        self._action(view, "&Close this tab", self.close_current_tab,
                     QKeySequence.StandardKey.Close)
        self._action(view, "&Find in the queue", self.find, QKeySequence.StandardKey.Find,
                     toolbar=True)
        self._action(view, "&Refresh", self.refresh, QKeySequence.StandardKey.Refresh,
                     toolbar=True)
        self._action(view, "Queue in &desk order", self.queue.reset_order)
        self.reopen_action = self._action(view, "Reopen my &tabs next time",
                                          self._set_reopen)
        self.reopen_action.setCheckable(True)
        memory = memory_of(self.desk)
        self.reopen_action.setChecked(memory is not None and memory.flag("tabs/reopen"))
        tools = bar.addMenu("&Tools")
        rescore = self._action(tools, "&Rescore all…", self.rescore_all, toolbar=True)
        rescore.setEnabled(self.desk.may("rescore_all"))
        accounts = self._action(tools, "&Accounts…", lambda: UsersDialog(self.desk,
                                                                        self).exec())
        accounts.setEnabled(self.desk.may("manage_users"))
        desk_settings = self._action(tools, "Desk &settings…",
                                     lambda: SettingsDialog(self.desk, self).exec())
        desk_settings.setEnabled(self.desk.may("desk_settings"))
        self._action(tools, "&Verify audit trail…", lambda: VerifyDialog(self.desk,
                                                                        self).exec())
        accountability = self._action(tools, "A&ccountability: does the grade mean "
                                      "anything?…", self.open_accountability)
        accountability.setEnabled(self.desk.may("calibration"))
        personal = self._action(tools, "Retention and personal &data…",
                                lambda: PersonalDataDialog(self.desk, self,
                                                           self.db_path).exec())
        personal.setEnabled(self.desk.may("personal_data"))
        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&User guide", self.user_guide,
                     QKeySequence.StandardKey.HelpContents)
        self._action(help_menu, "&Keyboard shortcuts", self.show_shortcuts, "Ctrl+/")
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
                view = AssessmentView(self.desk, submission_id)
            except Exception as exc:  # noqa: BLE001
                show_error(self, exc, self.db_path)
                return None
            view.tab_key = ("assessment", submission_id)
            view.changed.connect(lambda _id: self.refresh())
            view.decided.connect(self._say_decided)
            view.notice.connect(lambda line: self.statusBar().showMessage(line, 15000))
            view.open_venue.connect(self.open_venue)
            index = self.tabs.addTab(view, view.sub.reference)
        self.tabs.setCurrentIndex(index)
        return self.tabs.widget(index)

    def open_reference(self, reference: str) -> None:
        """Open the assessment of the submission with this reference."""
        try:
            state = self.desk.assessment_by_reference(reference)
        except Exception as exc:  # noqa: BLE001
            show_error(self, exc, self.db_path)
            return
        assert state.submission.id is not None
        self.open_assessment(state.submission.id)

    def open_accountability(self) -> AccountabilityView | None:
        """Open (or bring forward) the calibration and disparity view (supervisors)."""
        if not self.desk.may("calibration"):
            return None
        index = self._find_tab("accountability", 0)
        if index < 0:
            view = AccountabilityView(self.desk)
            view.tab_key = ("accountability", 0)
            index = self.tabs.addTab(view, "Accountability")
        self.tabs.setCurrentIndex(index)
        return self.tabs.widget(index)

    def open_venue(self, venue_id: int) -> VenueView | None:
        """Open (or bring forward) a venue's tab."""
        index = self._find_tab("venue", venue_id)
        if index < 0:
            view = VenueView(self.desk, venue_id)
            view.tab_key = ("venue", venue_id)
            view.open_requested.connect(self.open_assessment)
            view.changed.connect(self.refresh)
            index = self.tabs.addTab(view, view.venue.name)
        self.tabs.setCurrentIndex(index)
        return self.tabs.widget(index)

    def close_current_tab(self) -> None:
        """Ctrl+W: close the record in front (the fixed tabs stay)."""
        self._close_tab(self.tabs.currentIndex())

    def _close_tab(self, index: int) -> None:
        if index >= FIXED_TABS:
            widget = self.tabs.widget(index)
            self.tabs.removeTab(index)
            widget.deleteLater()

    # ---- commands ------------------------------------------------------------------------
    def new_submission(self) -> SubmissionForm:
        form = SubmissionForm(self.desk, parent=self)
        form.saved.connect(lambda sid: (self.refresh(), self.open_assessment(sid)))
        form.open_existing.connect(self.open_reference)
        form.drafted.connect(lambda _id: (self.work.refresh(), self.statusBar().showMessage(
            "Kept as a draft: finish it from My work.", 10000)))
        form.show()
        return form

    def open_draft(self, draft_id: int) -> SubmissionForm | None:
        """A draft back in the form, as it was left."""
        try:
            draft = self.desk.draft(draft_id)
        except Exception as exc:  # noqa: BLE001
            show_error(self, exc, self.db_path)
            self.work.refresh()
            return None
        form = self.new_submission()
        form.load_draft(draft)
        return form

    def refresh(self) -> None:
        self.queue.refresh()
        self.dashboard.refresh()
        self.work.refresh()

    def review(self, submission_id: int) -> AssessmentView | None:
        """Open an assessment from the review list, with Approve and next."""
        view = self.open_assessment(submission_id)
        if view is not None:
            view.start_reviewing()
            view.next_requested.connect(self._next_for_review)
        return view

    def _next_for_review(self, done_id: int) -> None:
        """One decided (or skipped): close it and open the next waiting, or say none is."""
        index = self._find_tab("assessment", done_id)
        if index >= 0:
            self._close_tab(index)
        self.work.refresh()
        following = self.work.next_for_review(after=done_id)
        if following is None or following == done_id:
            self.tabs.setCurrentWidget(self.work)
            self.statusBar().showMessage(" ".join(filter(None, (
                self._last_decision, "Nothing else is waiting for review."))), 15000)
            return
        self.review(following)

    _last_decision = ""

    def _say_decided(self, line: str) -> None:
        self._last_decision = line
        self.statusBar().showMessage(line, 15000)

    def find(self) -> None:
        self.tabs.setCurrentIndex(0)
        self.queue.search.setFocus()
        self.queue.search.selectAll()

    def _background(self, label: str, work, done) -> None:
        path = self.db_path
        run_on_desk(self, self.desk, label, work, done, lambda exc: show_error(self, exc, path))

    def rescore_all(self) -> None:
        try:
            count = self.desk.count_rescore_all()
        except Exception as exc:  # noqa: BLE001 - refused for officers, with the reason
            show_error(self, exc, self.db_path)
            return
        if not confirm(self, "Rescore all", f"Rescore all {count:,} submissions that are not "
                       "cancelled with the ruleset in force? Grades of events not yet started "
                       "or decided may change (a decided one is marked for re-review "
                       "instead); no workflow status will, and everything is recorded under "
                       "your name.", yes="Rescore all", no="Cancel"):
            return

        def work(desk, report):
            counts = {"n": 0, "stored": 0}

            def tally(result):
                counts["n"] += 1
                counts["stored"] += result.stored

            desk.rescore_all(progress=report, sink=tally)
            return counts

        def done(counts):
            self.refresh()
            self.statusBar().showMessage(f"Rescored {counts['n']:,} submissions; "
                                         f"{counts['stored']:,} new assessments.", 10000)

        self._background("Rescoring every submission…", work, done)

    def import_file(self) -> None:
        kinds = list(KINDS)
        if self.desk.may("import_with_status"):
            kinds.append(PAST_WITH_STATUS)
        choice, ok = QInputDialog.getItem(self, "Import", "What does the file hold?", kinds, 1,
                                          False)
        if not ok:
            return
        with_status = choice == PAST_WITH_STATUS
        kind = "submissions" if with_status else choice
        path = open_path(self, memory_of(self.desk), "import", f"Import {kind}",
                         "CSV or JSON (*.csv *.json)")
        if not path:
            return
        def done(result):
            self.refresh()
            self.venues.refresh()
            warned = ("\n\nPossible duplicates, imported as asked:\n"
                      + "\n".join(result.warnings[:10])) if result.warnings else ""
            QMessageBox.information(self, "Imported", f"Imported {result.created} {kind}"
                                    + (f", updated {result.updated}" if result.updated else "")
                                    + f" from {Path(path).name}." + warned)

        self._background(f"Importing {kind}…",
                         lambda desk, _r: desk.import_file(kind, Path(path),
                                                           with_status=with_status),
                         done)

    # ---- the promoter's form ---------------------------------------------------------------
    def promoter_form(self) -> str | None:
        """Save the fillable form for a promoter, blank or pre-filled for one on the desk."""
        name, ok = QInputDialog.getText(
            self, "Promoter's form", "Pre-fill it for a promoter on the desk (their name, "
            "company, contacts and venues), or leave it empty for a blank form:")
        if not ok:
            return None
        try:
            pdf = self.desk.forms.blank(name.strip() or None)
        except Exception as exc:  # noqa: BLE001 - one clear message
            show_error(self, exc, self.db_path)
            return None
        suggested = f"submission-form-{name.strip() or 'blank'}.pdf".replace(" ", "-")
        path = save_path(self, memory_of(self.desk), "pdf", "Save the promoter's form",
                         suggested, "PDF files (*.pdf)")
        if not path:
            return None
        try:
            write_pdf(pdf, path)
        except Exception as exc:  # noqa: BLE001
            show_error(self, exc, self.db_path)
            return None
        self.statusBar().showMessage(f"Saved the promoter's form to {path}: send it to the "
                                     "promoter, and import it when it comes back filled in.",
                                     15000)
        return path

    def import_promoter_form(self, path: str | None = None) -> SubmissionForm | None:
        """A promoter's filled form into New submission: every field filled, each checked as
        if typed; a venue or promoter not on the desk is confirmed by the officer first."""
        if not path:
            path = open_path(self, memory_of(self.desk), "import",
                             "Import a promoter's filled form", "PDF files (*.pdf)")
            if not path:
                return None
        try:
            data = Path(path).read_bytes()
            reading = self.desk.forms.read(data, Path(path).name)
        except OSError as exc:
            QMessageBox.warning(self, "Import a promoter's form",
                                f"{path} cannot be read ({exc.strerror}).")
            return None
        except Exception as exc:  # noqa: BLE001 - a hostile or foreign PDF: one sentence
            show_error(self, exc, self.db_path)
            return None
        venue = self._confirm_match("venue", reading.venue)
        promoter = self._confirm_match("promoter", reading.promoter)
        if venue is None or promoter is None:
            return None
        form = self.new_submission()
        form.load_promoter_form(reading, venue, promoter)
        return form

    def _confirm_match(self, what: str, match) -> str | None:
        """The name to use for a venue or promoter the form gave: the desk's own when it is
        on the desk, else the one the officer picks; None if they cancel."""
        if match.confirmed or not match.typed:
            return match.exact
        if not match.candidates:
            if what == "venue":
                QMessageBox.information(
                    self, "Venue not on the desk", f"The form names the venue "
                    f"'{match.typed}', and no venue on the desk is like it. Choose the venue "
                    "in the form, or add it there as a new venue.")
                return ""
            return match.typed  # a new promoter, as the form shows before saving
        new = ("None of these: choose the venue in the form" if what == "venue"
               else f"A new promoter: {match.typed}")
        shown = [label for _, label in match.candidates]
        chosen, ok = QInputDialog.getItem(
            self, f"Which {what}?", f"The form names the {what} '{match.typed}', which is not "
            f"on the desk. Is it one of these?", [*shown, new], 0, False)
        if not ok:
            return None
        if chosen == new:
            return "" if what == "venue" else match.typed
        return match.candidates[shown.index(chosen)][0]

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if self._dropped_pdf(event) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt's name
        path = self._dropped_pdf(event)
        if path is not None:
            event.acceptProposedAction()
            QTimer.singleShot(0, lambda: self.import_promoter_form(path))

    @staticmethod
    def _dropped_pdf(event) -> str | None:
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        if len(urls) == 1 and urls[0].isLocalFile() and \
                urls[0].toLocalFile().lower().endswith(".pdf"):
            return urls[0].toLocalFile()
        return None

    def export_file(self) -> None:
        kind, ok = QInputDialog.getItem(self, "Export", "What to export?",
                                        list(KINDS), 1, False)
        if not ok:
            return
        scopes = ["Everything (for use on the desk)",
                  "Without contact details, notes, incident descriptions or crime "
                  "references (to send outside the desk)"]
        scope, ok = QInputDialog.getItem(self, "Export", "What to include?", scopes, 0, False)
        if not ok:
            return
        minimal = scope == scopes[1]
        path = save_path(self, memory_of(self.desk), "export", f"Export {kind}",
                         f"{kind}.csv", "CSV (*.csv);;JSON (*.json)")
        if not path:
            return
        extra = f" {minimal_note(kind)}" if minimal else ""
        self._background(f"Exporting {kind}…",
                         lambda desk, _r: desk.export_file(kind, Path(path), minimal=minimal),
                         lambda n: self.statusBar().showMessage(
                             f"Exported {n:,} {kind} to {path}{extra}.", 10000))

    def borough_pack(self) -> None:
        dialog = PackDialog(self)
        if not dialog.exec():
            return
        borough, start, end, pending = dialog.values()

        def done(result):
            pdf, count = result
            name = f"pack-{borough.replace(' ', '-')}-{start}.pdf"
            path = save_path(self, memory_of(self.desk), "pdf", "Save the borough pack", name,
                             "PDF files (*.pdf)")
            if path:
                write_pdf(pdf, path)
                self.statusBar().showMessage(f"Saved a pack of {count} event"
                                             f"{'' if count == 1 else 's'} to {path}.",
                                             10000)
                self.offer_pack_mail(borough, start, end, pdf)

        self._background(f"Building the {borough} pack…",
                         lambda desk, report: desk.render_pack(borough, start, end,
                                                               progress=report,
                                                               include_pending=pending), done)

    def offer_pack_mail(self, borough: str, start: date, end: date, pdf: bytes) -> None:
        """Where the desk has a mail relay and the borough a duty mailbox: offer to send the
        pack there (a failure offers Send again)."""
        try:
            if self.desk.mail.relay() is None:
                return
            mailbox = self.desk.mail.mailbox(borough)
        except Exception as exc:  # noqa: BLE001 - no mailbox for it: say so, send nothing
            self.statusBar().showMessage(f"Not mailed: {message_for(exc)[1]}", 15000)
            return
        offer_to_send(self, self.desk, f"the {borough} pack", f"{borough}'s duty mailbox "
                      f"({mailbox})", lambda desk: desk.mail.send_pack(borough, start, end, pdf),
                      "The saved pack is unchanged.",
                      lambda _sent: self.statusBar().showMessage(
                          f"Sent the {borough} pack to {mailbox} (recorded in the audit "
                          "trail).", 15000))

    def backup(self) -> None:
        server = is_server(self.db_path)
        path = save_path(self, memory_of(self.desk), "backup", "Back up the database",
                         f"eventrisk-backup-{date.today()}.{'backup' if server else 'db'}",
                         "PostgreSQL backup (*.backup)" if server else "SQLite database (*.db)")
        if not path:
            return
        try:
            self.desk.backup(path)
        except Exception as exc:  # noqa: BLE001
            show_error(self, exc, self.db_path)
            return
        QMessageBox.information(self, "Backed up", f"Backed up to {path}; " + (
            "pg_dump wrote it and pg_restore read it back." if server else
            "the copy passed SQLite's integrity check."))

    def restore_backup(self) -> None:
        """Replace the whole desk with a checked backup (administrators)."""
        server = is_server(self.db_path)
        path = open_path(self, memory_of(self.desk), "backup", "Restore from a backup",
                         "PostgreSQL backup (*.backup)" if server else
                         "EventRisk database (*.db)")
        if not path:
            return
        try:
            check_backup(Path(path))
        except Exception as exc:  # noqa: BLE001
            show_error(self, exc, self.db_path)
            return
        if not confirm(
                self, "Restore the desk",
                f"Replace the whole desk with the backup {path}? Everything recorded since "
                "that backup " + ("is gone from the desk's server (the server's own backups "
                                  "still hold it)" if server else
                                  "is set aside (the current file is kept beside the desk, "
                                  "renamed)") + ". Everyone else must have closed EventRisk.",
                yes="Replace the desk", no="Cancel"):
            return
        for i in range(self.tabs.count() - 1, FIXED_TABS - 1, -1):
            self._close_tab(i)
        self.heartbeat_timer.stop()
        QThreadPool.globalInstance().waitForDone(10_000)  # no background work on the old file
        try:
            try:
                done = self.desk.restore_from(Path(path))  # the desk decides who may
            except OtherDeskError as other:
                if QMessageBox.warning(
                        self, "A backup of another desk",
                        f"{Path(path).name} is a backup of another desk (desk id "
                        f"{other.theirs}), not of this one ({other.ours}). Replace this desk "
                        "with the other desk's records all the same? The audit trail will say "
                        "so.", QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                        QMessageBox.StandardButton.No) != QMessageBox.StandardButton.Yes:
                    self.heartbeat_timer.start()
                    if self.desk.user is None:
                        self.switch_user()
                    return
                done = self.desk.restore_from(Path(path), other_desk=True)
        except Exception as exc:  # noqa: BLE001 - the desk is as it was
            self.heartbeat_timer.start()
            show_error(self, exc, self.db_path)
            if self.desk.user is None:
                self.switch_user()
            return
        self.heartbeat_timer.start()
        QMessageBox.information(self, "Restored", f"The desk was restored from {path}; the "
                                f"replaced file is kept as {done.kept_aside}. Sign in again.")
        self.switch_user()

    def user_guide(self) -> None:
        dialog = QDialog(self)
        dialog.setWindowTitle("EventRisk user guide")
        dialog.resize(900, 800)
        browser = QTextBrowser(openExternalLinks=True, accessibleName="User guide")
        guide = resource("README.md")
        if not guide.exists():
            guide = Path(__file__).resolve().parent.parent / "README.md"
        browser.setSearchPaths([str(guide.parent)])
        browser.setMarkdown(guide.read_text("utf-8") if guide.exists()
                            else "The user guide is not installed with this copy.")
        QVBoxLayout(dialog).addWidget(browser)
        dialog.exec()

    def show_shortcuts(self) -> None:
        ShortcutsDialog(self).exec()

    def about(self) -> None:
        ruleset = self.desk.active_ruleset()
        QMessageBox.about(self, "About EventRisk",
                          f"<b>EventRisk</b> {__version__}<br>Rules in force: {ruleset.version}"
                          f"<br>Database: {shown(self.db_path)}"
                          + ("<br><b>Training desk: demo data only.</b>" if self.desk.training
                             else "") + "<br><br>Risk assessment of promoted "
                          "events from evidence about the event and recorded history only."
                          f"<br><br>{html.escape(self.desk.who_enforces())}")

    def closeEvent(self, event) -> None:  # noqa: N802
        try:
            self._remember_tabs()
        except Exception:  # noqa: BLE001 - closing must always work
            pass
        QApplication.instance().removeEventFilter(self)
        self.idle_timer.stop()
        self.heartbeat_timer.stop()
        try:
            self.desk.leave()
        except Exception:  # noqa: BLE001 - closing must always work
            pass
        settings = QSettings()
        settings.setValue("main/geometry", self.saveGeometry())
        settings.setValue("main/state", self.saveState())
        for timer in self.findChildren(QTimer):  # pending debounced searches die with us
            timer.stop()
        super().closeEvent(event)


PAST_WITH_STATUS = "past submissions, keeping their status (administrators)"
FIXED_TABS = 5  # queue, dashboard, venues, rules, and my work or review


class Tabs(QTabWidget):
    """The main tabs, whose close and scroll buttons a screen reader can name."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        for button in self.tabBar().findChildren(QToolButton):
            button.setAccessibleName({"ScrollLeftButton": "Earlier tabs",
                                      "ScrollRightButton": "Later tabs"}.get(
                button.objectName(), "Scroll the tabs"))

    def tabInserted(self, index: int) -> None:  # noqa: N802 - Qt's name
        super().tabInserted(index)
        button = self.tabBar().tabButton(index, self.tabBar().ButtonPosition.RightSide)
        if button is not None:
            button.setAccessibleName(f"Close {self.tabText(index)}")


class PackDialog(QDialog):
    """Borough and dates for a borough pack.  The borough starts unchosen: a pack made for a
    borough nobody picked goes to the wrong duty officer."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Borough pack")
        self.borough = QComboBox(accessibleName="Borough", objectName="packBorough")
        self.borough.addItem("Choose the borough…", "")
        for name in borough_names():
            self.borough.addItem(name, name)
        today = QDate.currentDate()
        friday = today.addDays((5 - today.dayOfWeek()) % 7)
        # Typed in one go; Up and Down step a day (a stray Up moved a sectioned editor's
        # year to 2027).
        self.start = DateField(friday, accessible="From", name="packFrom")
        self.end = DateField(friday.addDays(2), accessible="To", name="packTo")
        self.error = QLabel(objectName="packError", wordWrap=True)
        self.error.setStyleSheet(error_css())
        buttons = ok_cancel(self, self._accept, ok_text="Make the pack")
        form = QFormLayout(self)
        form.addRow("&Borough", self.borough)
        form.addRow("&From", self.start)
        form.addRow("&To", self.end)
        self.pending = QCheckBox("&Include events not yet approved (each marked NOT APPROVED)",
                                 objectName="includePending")
        form.addRow(self.pending)
        form.addRow(self.error)
        form.addRow(buttons)
        settle(self, [self.borough, self.start, self.end, self.pending],
               buttons.button(buttons.StandardButton.Ok))

    def problem(self) -> str:
        """What stops the pack being made ('' if nothing)."""
        if not self.borough.currentData():
            return "Choose the borough the pack is for."
        start, end = self.start.date(), self.end.date()
        if not start.isValid():
            return f"'{self.start.text()}' is not a date; type the first day like 19/12/2026."
        if not end.isValid():
            return f"'{self.end.text()}' is not a date; type the last day like 21/12/2026."
        if end < start:
            return "The last day is before the first."
        return ""

    def _accept(self) -> None:
        problem = self.problem()
        self.error.setText(problem)
        if not problem:
            self.accept()

    def values(self) -> tuple[str, date, date, bool]:
        return (self.borough.currentData(), self.start.date().toPython(),
                self.end.date().toPython(), self.pending.isChecked())
