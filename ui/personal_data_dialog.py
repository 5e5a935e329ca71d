"""Retention and personal data (administrators): what the schedule makes due and doing it,
records waiting for a person's decision, and one promoter's details (subject access,
correction, erasure).  Every action is a desk use case; this only shows and asks."""

from __future__ import annotations

from datetime import date
from html import escape

from PySide6.QtCore import QDate, QStringListModel, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from eventrisk.desk import Desk
from eventrisk.errors import EventRiskError, ValidationError
from eventrisk.report.files import write_pdf
from eventrisk.retention import KINDS, Review
from eventrisk.timeutil import british_date, from_db
from ui.datetime_fields import DateField
from ui.dialogs import ok_cancel, settle
from ui.errors import show_error
from ui.memory import memory_of, save_path
from ui.models import Column, ObjectTableModel, table_view
from ui.style import error_css
from ui.worker import run_on_desk

ACTIONS = {"delete": "Delete", "anonymise": "Anonymise", "review": "A person decides"}
_FAILED = object()  # a use case that did not go ahead (already said why)
_NUMBER = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


class _ReasonDialog(QDialog):
    """Asks for a reason (and, to keep a record, the next review date)."""

    def __init__(self, parent, title: str, question: str, *, until: date | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.reason = QPlainTextEdit(objectName="reason", tabChangesFocus=True)
        self.reason.setAccessibleName("Reason")
        self.reason.setFixedHeight(70)
        form = QFormLayout(self)
        form.addRow(QLabel(question, wordWrap=True))
        self.until: DateField | None = None
        if until is not None:
            self.until = DateField(QDate(until.year, until.month, until.day),
                                   accessible="Review again on", name="until")
            form.addRow("Review again on", self.until)
        form.addRow("Reason", self.reason)
        form.addRow(QLabel("Ctrl+Enter does OK.", objectName="reasonKeys"))
        buttons = ok_cancel(self, self._accept)
        self.error = QLabel(objectName="reasonError", wordWrap=True)
        self.error.setStyleSheet(error_css())
        form.addRow(self.error)
        form.addRow(buttons)
        ok = buttons.button(buttons.StandardButton.Ok)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):  # Enter is a new line in the reason
            QShortcut(QKeySequence(keys), self, activated=ok.click)
        settle(self, [w for w in (self.until, self.reason) if w is not None], ok)

    def _accept(self) -> None:
        if self.until is not None and not self.until.date().isValid():
            self.error.setText(f"'{self.until.text()}' is not a date; type it like 19/12/2027.")
            return
        self.accept()

    def until_date(self) -> date:
        assert self.until is not None
        d = self.until.date()
        return date(d.year(), d.month(), d.day())


def _a_year_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


class PersonalDataDialog(QDialog):
    """Three tabs: due now, waiting for a person, one promoter."""

    def __init__(self, desk: Desk, parent=None, db_path: str = ""):
        super().__init__(parent)
        self.desk = desk
        self.db_path = db_path
        self.review: Review | None = None
        self.setWindowTitle("Retention and personal data")
        self.resize(900, 560)
        self.tabs = QTabWidget(objectName="personalTabs")
        self.tabs.addTab(self._due_tab(), "&Due now")
        self.tabs.addTab(self._waiting_tab(), "&Waiting for a person")
        self.tabs.addTab(self._promoter_tab(), "A &promoter")
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(close)
        # No button is Enter's: this dialog has no one action, and "Apply the schedule" (the
        # first button, so once the default) deletes records.
        settle(self, [], None)
        self.refresh()

    # ---- due now --------------------------------------------------------------------------
    def _due_tab(self) -> QWidget:
        self.due_model = ObjectTableModel([
            Column("Kind of record", lambda d: d.rule.label),
            Column("Kept for", lambda d: f"{d.rule.keep_years} "
                                         f"year{'' if d.rule.keep_years == 1 else 's'} after "
                                         f"{KINDS[d.rule.kind].counted_from}"),
            Column("Then", lambda d: ACTIONS[d.rule.action]),
            Column("Due now", lambda d: f"{d.count:,}", align=_NUMBER),
            Column("Kept by a person", lambda d: f"{d.held:,}" if d.held else "",
                   align=_NUMBER),
        ], parent=self)
        self.due_table = table_view(self.due_model, "dueTable",
                                    "What the retention schedule makes due")
        self.schedule_label = QLabel(objectName="scheduleLabel", wordWrap=True)
        self.apply_button = QPushButton("&Apply the schedule…", objectName="applyRetention")
        self.apply_button.clicked.connect(self.apply)
        refresh = QPushButton("&Refresh", objectName="refreshRetention")
        refresh.clicked.connect(self.refresh)
        self.due_message = QLabel(objectName="dueMessage", wordWrap=True)
        self.reasons = QLabel(objectName="scheduleReasons", wordWrap=True)
        row = QHBoxLayout()
        row.addWidget(self.apply_button)
        row.addWidget(refresh)
        row.addStretch(1)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(self.schedule_label)
        layout.addWidget(self.due_table, 1)
        layout.addLayout(row)
        layout.addWidget(self.due_message)
        layout.addWidget(self.reasons)
        return page

    def refresh(self) -> None:
        # Counting what is due reads the whole desk (about a second at 100,000 events).
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            self._refresh()
        finally:
            QApplication.restoreOverrideCursor()

    def _refresh(self) -> None:
        try:
            self.review = self.desk.retention_review()
        except EventRiskError as exc:
            self.review = None
            self.due_model.set_objects([])
            self.apply_button.setEnabled(False)
            self.schedule_label.setText(f"<b>The retention schedule cannot be used.</b> {exc}")
            return
        r = self.review
        self.schedule_label.setText(
            f"Retention schedule {r.schedule.version} ({r.schedule.source_name}), as of "
            f"{british_date(r.now)}. Applying it deletes and anonymises what is due, in one go; "
            "kinds a person decides wait on the next tab.")
        self.due_model.set_objects(list(r.kinds))
        # The words wrap in the two wide columns; the table fits its dialog at any width (at
        # fixed widths it was cut off at 1440).
        header = self.due_table.horizontalHeader()
        for column in range(self.due_model.columnCount()):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch if column < 2
                                        else QHeaderView.ResizeMode.ResizeToContents)
        self.due_table.resizeRowsToContents()
        missing = ("<br><b>Not covered by the schedule:</b> " + escape(", ".join(r.uncovered))
                   + " (add a rule, or list them as kept with a reason)" if r.uncovered else "")
        self.reasons.setText("<b>Why these periods</b>" + "".join(
            f"<br><i>{escape(d.rule.label)}:</i> {escape(d.rule.reason)}" for d in r.kinds)
            + missing)
        automatic = sum(d.count for d in r.kinds if d.automatic)
        self.apply_button.setEnabled(automatic > 0)
        self.apply_button.setToolTip("" if automatic else "Nothing is due for deletion or "
                                                          "anonymisation")
        self.load_items()

    def apply(self) -> None:
        review = self.review
        if review is None:
            return
        lines = "\n".join(f"• {d.rule.label}: {d.count:,} ({ACTIONS[d.rule.action].lower()})"
                          for d in review.kinds if d.automatic and d.count)
        box = QMessageBox(QMessageBox.Icon.Warning, "Apply the retention schedule",
                          f"This will, now and for good:\n{lines}\n\nThe audit entries about "
                          "these records lose their names and notes too (the audit trail "
                          "still verifies). It cannot be undone. Go ahead?",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                          self)
        box.setObjectName("confirmRetention")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        if box.exec() != QMessageBox.StandardButton.Yes:
            return
        def done(result) -> None:
            self.due_message.setText(
                f"Done: {result.total:,} records, and {result.audit_entries:,} audit entries "
                f"about them, anonymised or deleted (audit entry {result.entry}).")
            self.refresh()

        def failed(exc: BaseException) -> None:
            show_error(self, exc, self.db_path)
            self.refresh()

        self.task = run_on_desk(self, self.desk, "Applying the retention schedule…",
                                lambda desk, _report: desk.apply_retention(review), done, failed)

    # ---- waiting for a person -------------------------------------------------------------
    def _waiting_tab(self) -> QWidget:
        self.kind = QComboBox(objectName="waitingKind")
        self.kind.setAccessibleName("Kind of record")
        for key, kind in KINDS.items():
            self.kind.addItem(kind.label, key)
        self.kind.setCurrentIndex(list(KINDS).index("incidents"))
        self.kind.currentIndexChanged.connect(self.load_items)
        self.items_model = ObjectTableModel([
            Column("Record", lambda i: i.key),
            Column("Counted from", lambda i: british_date(from_db(i.when)) if i.when else ""),
            Column("What it is", lambda i: i.summary),
        ], parent=self)
        self.items_table = table_view(self.items_model, "waitingTable",
                                      "Records due, oldest first")
        keep = QPushButton("&Keep until…", objectName="keepRecord")
        keep.clicked.connect(self.keep)
        dispose = QPushButton("D&ispose of…", objectName="disposeRecord")
        dispose.clicked.connect(self.dispose)
        self.items_message = QLabel(objectName="waitingMessage", wordWrap=True)
        row = QHBoxLayout()
        row.addWidget(QLabel("&Kind:", buddy=self.kind))
        row.addWidget(self.kind)
        row.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addWidget(keep)
        buttons.addWidget(dispose)
        buttons.addStretch(1)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addLayout(row)
        layout.addWidget(self.items_table)
        layout.addLayout(buttons)
        layout.addWidget(self.items_message)
        return page

    def load_items(self) -> None:
        kind = self.kind.currentData()
        try:
            items = self.desk.retention_items(kind)
        except EventRiskError as exc:
            self.items_model.set_objects([])
            self.items_message.setText(str(exc))
            return
        self.items_model.set_objects(items)
        self.items_table.resizeColumnsToContents()
        due = next((d.count for d in self.review.kinds if d.rule.kind == kind), len(items)) \
            if self.review is not None else len(items)
        shown = f"; the oldest {len(items):,} are shown" if len(items) < due else ""
        self.items_message.setText(f"{due:,} due{shown}." if items
                                   else "Nothing of this kind is due.")

    def _item(self):
        index = self.items_table.currentIndex()
        if not index.isValid():
            self.items_message.setText("Select a record first.")
            return None
        return index.data(ObjectTableModel.ObjectRole)

    def keep(self) -> None:
        item = self._item()
        if item is None:
            return
        ask = _ReasonDialog(self, "Keep a record", f"Keep {item.key} beyond its retention "
                            "period: when should it be reviewed again, and why is it still "
                            "needed?", until=_a_year_after(self.desk.clock().date()))
        if not ask.exec():
            return
        if self._attempt(lambda: self.desk.keep_record(
                item.kind, item.key, ask.until_date(), ask.reason.toPlainText()),
                self.items_message) is not _FAILED:
            self.refresh()
            self.items_message.setText(f"Kept {item.key} until {ask.until_date():%d/%m/%Y}.")

    def dispose(self) -> None:
        item = self._item()
        if item is None:
            return
        what = KINDS[item.kind].disposal
        ask = _ReasonDialog(self, "Dispose of a record", f"{what.title()} {item.key} now? It "
                            "cannot be undone. Why can it go?")
        if not ask.exec():
            return
        if self._attempt(lambda: self.desk.dispose_record(item.kind, item.key,
                                                          ask.reason.toPlainText()),
                         self.items_message) is not _FAILED:
            self.refresh()
            self.items_message.setText(f"{item.key}: {what}d.")

    def _attempt(self, action, message: QLabel):
        """Run a use case: its result, or ``_FAILED`` after saying why (a missing reason
        beside the list; anything else in one message)."""
        try:
            return action()
        except ValidationError as exc:
            message.setText("\n".join(m for _, m in exc.problems))
        except EventRiskError as exc:
            show_error(self, exc, self.db_path)
        return _FAILED

    # ---- one promoter ---------------------------------------------------------------------
    def _promoter_tab(self) -> QWidget:
        self.promoter_name = QLineEdit(objectName="promoterName",
                                       placeholderText="The promoter's name as held")
        self.promoter_name.setAccessibleName("Promoter's name")
        self.promoter_name.returnPressed.connect(self.find_promoter)
        # Suggestions as the name is typed: it no longer has to be the exact name as held.
        self._promoter_names = QStringListModel(self)
        suggest = QCompleter(self._promoter_names, self)
        suggest.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        suggest.setFilterMode(Qt.MatchFlag.MatchContains)
        suggest.activated.connect(lambda name: (self.promoter_name.setText(name),
                                                self.find_promoter()))
        self.promoter_name.setCompleter(suggest)
        self.promoter_name.textEdited.connect(self._suggest_promoters)
        find = QPushButton("&Find", objectName="findPromoter")
        find.clicked.connect(self.find_promoter)
        self.details = QLabel(objectName="promoterDetails", wordWrap=True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.fields = {}
        form = QFormLayout()
        for key, label in (("company", "Company"), ("phone", "Phone"), ("email", "Email")):
            edit = QLineEdit(objectName=f"promoter_{key}")
            edit.setAccessibleName(label)
            self.fields[key] = edit
            form.addRow(label, edit)
        correct = QPushButton("&Correct these details…", objectName="correctPromoter")
        correct.clicked.connect(self.correct)
        erase = QPushButton("&Erase contact details…", objectName="erasePromoter")
        erase.clicked.connect(self.erase)
        access = QPushButton("&Subject access…", objectName="subjectAccess")
        access.clicked.connect(self.subject_access)
        self.promoter_message = QLabel(objectName="promoterMessage", wordWrap=True)
        search = QHBoxLayout()
        search.addWidget(QLabel("&Name:", buddy=self.promoter_name))
        search.addWidget(self.promoter_name, 1)
        search.addWidget(find)
        buttons = QHBoxLayout()
        for b in (correct, erase, access):
            buttons.addWidget(b)
        buttons.addStretch(1)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addLayout(search)
        layout.addWidget(self.details)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.promoter_message)
        layout.addStretch(1)
        self.found = None
        return page

    def _suggest_promoters(self, text: str) -> None:
        try:
            found = self.desk.promoters_matching(text) if len(text.strip()) >= 2 else []
        except EventRiskError:
            found = []
        self._promoter_names.setStringList([p.name for p in found])

    def find_promoter(self) -> None:
        try:
            self.found = self.desk.promoter(self.promoter_name.text())
        except EventRiskError as exc:
            self.found = None
            self.details.setText("")
            self.promoter_message.setText(str(exc))
            return
        p = self.found
        self.details.setText(f"<b>{p.name}</b> · version {p.version}")
        for key, edit in self.fields.items():
            edit.setText(getattr(p, key))
        self.promoter_message.setText("Change a detail and choose Correct, or erase them all.")

    def _need_promoter(self) -> bool:
        if self.found is None:
            self.promoter_message.setText("Find the promoter first.")
            return False
        return True

    def correct(self) -> None:
        if not self._need_promoter():
            return
        ask = _ReasonDialog(self, "Correct a promoter's details",
                            f"Why are {self.found.name}'s details being corrected?")
        if not ask.exec():
            return
        found = self._attempt(lambda: self.desk.correct_promoter(
            self.found.name, {k: e.text() for k, e in self.fields.items()},
            ask.reason.toPlainText()), self.promoter_message)
        if found is _FAILED:
            return
        self.found = found
        self.find_promoter()
        self.promoter_message.setText(f"Corrected (version {self.found.version}); recorded in "
                                      "the audit trail with your reason.")

    def erase(self) -> None:
        if not self._need_promoter():
            return
        ask = _ReasonDialog(self, "Erase a promoter's contact details",
                            f"Erase {self.found.name}'s company, phone and email, here and in "
                            "the audit trail's copies of them? Their events and name stay. It "
                            "cannot be undone. Why? (Do not repeat the details in the reason.)")
        if not ask.exec():
            return
        count = self._attempt(lambda: self.desk.erase_promoter(self.found.name,
                                                               ask.reason.toPlainText()),
                              self.promoter_message)
        if count is _FAILED:
            return
        self.find_promoter()
        self.promoter_message.setText(f"Erased; {count:,} audit "
                                      f"{'entry' if count == 1 else 'entries'} anonymised with "
                                      "them.")

    def subject_access(self) -> None:
        if not self._need_promoter():
            return
        path = save_path(self, memory_of(self.desk), "subject-access",
                         "Save the subject access pack", f"subject-access-{self.found.id}.zip",
                         "Zip files (*.zip)")
        if not path:
            return
        try:
            access, package = self.desk.subject_access(self.found.name)
            write_pdf(package, path)
        except EventRiskError as exc:
            show_error(self, exc, self.db_path)
            return
        self.promoter_message.setText(
            f"Saved {path}: {len(access.events)} events, {len(access.incidents)} incidents and "
            f"{len(access.audit)} audit entries, third parties redacted; "
            f"{'; '.join(str(w) for w in access.withheld)}. Marked "
            "OFFICIAL-SENSITIVE until your disclosure officer releases it.")
