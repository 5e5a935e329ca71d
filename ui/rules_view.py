"""Rules: the ruleset in force, and (for supervisors) checking, previewing and publishing a
draft."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from eventrisk.desk import Desk
from eventrisk.errors import RulesError
from eventrisk.scoring.rules import Ruleset, load_ruleset
from eventrisk.timeutil import british_datetime
from ui.errors import show_error
from ui.memory import memory_of, open_path
from ui.models import Column, ObjectTableModel, table_view
from ui.worker import run_in_background

RULE_COLUMNS = [
    Column("Id", lambda r: r.id), Column("Points", lambda r: str(r.points)),
    Column("Floor", lambda r: r.min_grade.value if r.min_grade else ""),
    Column("Title", lambda r: r.title), Column("When", lambda r: r.when.text),
    Column("Why (rationale)", lambda r: r.rationale),
]


class RulesView(QWidget):
    """Shows the active ruleset; a supervisor can load a draft, see its problems or its
    impact on upcoming events, and publish it."""

    def __init__(self, desk: Desk, parent=None):
        super().__init__(parent)
        self.desk = desk
        self.draft: Ruleset | None = None
        self.heading = QLabel(objectName="rulesHeading", wordWrap=True)
        self.bands = QLabel(objectName="rulesBands", wordWrap=True)
        self.model = ObjectTableModel(RULE_COLUMNS, parent=self)
        self.table = table_view(self.model, "rulesTable", "Rules in force")
        self.table.setColumnWidth(3, 260)
        self.table.setColumnWidth(4, 260)
        load = QPushButton("&Load draft…", objectName="loadDraft")
        load.clicked.connect(self._load)
        self.impact_button = QPushButton("Preview &impact", objectName="previewImpact",
                                         enabled=False)
        self.impact_button.clicked.connect(self._impact)
        self.publish = QPushButton("&Publish draft", objectName="publishDraft", enabled=False)
        self.publish.clicked.connect(self._publish)
        may = desk.may("publish_rules")
        for b in (load, self.impact_button, self.publish):
            b.setVisible(may)
        self.report = QPlainTextEdit(objectName="draftReport", readOnly=True,
                                     accessibleName="Draft ruleset: what would change")
        self.report.setMaximumHeight(200)
        self.report.setVisible(may)
        buttons = QHBoxLayout()
        for b in (load, self.impact_button, self.publish):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.bands)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.report)
        self.show_ruleset(desk.active_ruleset(), "In force")

    def show_ruleset(self, ruleset: Ruleset, label: str) -> None:
        self.heading.setText(f"<b>{label}: {ruleset.title or 'ruleset'} {ruleset.version}</b> "
                             f"· {len(ruleset.rules)} rules · SHA-256 {ruleset.sha256[:16]}")
        target = ", ".join(f"at most {share:.0%} {grade.value} or above"
                           for grade, share in ruleset.target_mix)
        self.bands.setText("<br>".join(
            f"<b>{b.grade.value}</b> from {b.min_score}: {b.guidance} "
            f"<i>Borough: {b.borough_action or b.guidance}</i>" for b in ruleset.bands)
                           + (f"<br>Target mix: {target} (see Tools → Accountability)."
                              if target else ""))
        self.model.set_objects(ruleset.rules)

    def _load(self) -> None:
        path = open_path(self, memory_of(self.desk), "rules", "Load a draft ruleset",
                         "Rules files (*.toml)")
        if path:
            self.load_draft(path)

    def load_draft(self, path: str) -> None:
        """Check a draft; show its problems, or show it ready to preview and publish."""
        self.draft = None
        try:
            draft = load_ruleset(path)
        except RulesError as exc:
            self.report.setPlainText("This draft cannot be used:\n" + "\n".join(exc.problems))
            self.impact_button.setEnabled(False)
            self.publish.setEnabled(False)
            return
        self.draft = draft
        self.show_ruleset(draft, "Draft")
        self.report.setPlainText(f"{path}: OK, version {draft.version}. Preview its impact "
                                 "before publishing.")
        self.impact_button.setEnabled(True)
        self.publish.setEnabled(True)

    def _impact(self) -> None:
        draft, path = self.draft, self.desk.path
        if draft is None:
            return

        def work(_report):
            worker = self.desk.for_worker()
            try:
                return worker.rules_impact(draft)
            finally:
                worker.close()

        run_in_background(self, "Comparing grades of upcoming events…", work, self._show_impact,
                          lambda exc: show_error(self, exc, path))

    def _show_impact(self, result) -> None:
        lines = [f"Over {result.considered} upcoming events: {len(result.up)} would move up a "
                 f"grade and {len(result.down)} down."]
        for label, rows in (("UP", result.up), ("DOWN", result.down)):
            for r in rows[:200]:
                lines.append(f"{label:<5}{r.reference}  {british_datetime(r.start)}  "
                             f"{r.grade_before.value} → {r.grade_after.value}  {r.event_name}")
        self.report.setPlainText("\n".join(lines))

    def _publish(self) -> None:
        if self.draft is None:
            return
        if QMessageBox.question(self, "Publish ruleset",
                                f"Publish {self.draft.version}? New assessments will use it; "
                                "existing ones keep theirs.") != QMessageBox.StandardButton.Yes:
            return
        try:
            self.desk.publish_rules(self.draft)
        except Exception as exc:  # noqa: BLE001
            show_error(self, exc, self.desk.path)
            return
        self.report.setPlainText(f"Published {self.draft.version}.")
        self.draft = None
        self.publish.setEnabled(False)
        self.impact_button.setEnabled(False)
        self.show_ruleset(self.desk.active_ruleset(), "In force")
