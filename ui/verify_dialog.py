"""Tools → Verify audit trail…: the same checks as ``eventrisk audit verify``, run in the
background with progress, against an optional backup file and heads typed from printouts."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
)

from eventrisk.desk import Desk
from eventrisk.errors import ValidationError
from eventrisk.formatting import witnesses_text
from eventrisk.verify import Witness
from ui.dialogs import settle
from ui.errors import show_error
from ui.memory import memory_of, open_path
from ui.style import error_css
from ui.worker import run_in_background


class VerifyDialog(QDialog):
    """Heads from printouts (one per line, as printed: ``audit 1234:9f2c…``), an optional
    backup, then *Verify*; the result is shown below, one finding per line."""

    def __init__(self, desk: Desk, parent=None):
        super().__init__(parent)
        self.desk = desk
        self.setWindowTitle("Verify the audit trail")
        self.resize(760, 560)
        self.heads = QPlainTextEdit(objectName="verifyHeads",
                                    accessibleName="Heads printed on documents")
        self.heads.setAccessibleName("Audit heads from printouts")
        self.heads.setPlaceholderText("Optional: the audit head from a printout's footer, one "
                                      "per line, e.g. 1234:9f2c41d07be35a10e1c2")
        self.heads.setTabChangesFocus(True)
        self.heads.setMaximumHeight(80)
        self.backup = QLineEdit(objectName="verifyBackup", accessibleName="Backup file")
        self.backup.setPlaceholderText("Optional: a backup of this desk to compare with")
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.backup, 1)
        row.addWidget(browse)
        self.result = QPlainTextEdit(objectName="verifyResult", readOnly=True,
                                     accessibleName="Verification result")
        self.result.setAccessibleName("Verification result")
        self.verdict = QLabel(objectName="verifyVerdict", wordWrap=True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.run_button = buttons.addButton("&Verify", QDialogButtonBox.ButtonRole.ActionRole)
        self.run_button.setObjectName("runVerify")
        self.run_button.clicked.connect(self.run)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Heads from printouts", self.heads)
        form.addRow("Against a backup", row)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(
            "Checks that no entry of the audit trail was changed, removed or reordered, that "
            "every submission and snapshot agrees with it, and that the heads printed on "
            "issued assessments, packs and backups are still there. It changes nothing.",
            wordWrap=True))
        layout.addLayout(form)
        layout.addWidget(self.verdict)
        layout.addWidget(self.result, 1)
        layout.addWidget(buttons)
        # Enter in the backup field verifies (the title's action); it never closes.
        settle(self, [self.heads, self.backup], self.run_button)

    def _browse(self) -> None:
        path = open_path(self, memory_of(self.desk), "backup", "Backup to compare with",
                         "EventRisk database (*.db)")
        if path:
            self.backup.setText(path)

    def witnesses(self) -> tuple[Witness, ...]:
        """The heads typed in, as printed (``audit N:HASH`` or ``N:HASH``)."""
        out = []
        for line in self.heads.toPlainText().splitlines():
            text = line.strip().removeprefix("audit").strip()
            if text:
                out.append(Witness.parse(text, f"printout head {text[:30]}"))
        return tuple(out)

    def run(self) -> None:
        try:
            expect = self.witnesses()
        except ValidationError as exc:
            self.verdict.setStyleSheet(error_css())
            self.verdict.setText("\n".join(m for _, m in exc.problems))
            return
        against = Path(self.backup.text().strip()) if self.backup.text().strip() else None
        self.run_button.setEnabled(False)
        self.verdict.setText("Verifying…")

        def work(report):
            worker = self.desk.for_worker()
            try:
                return worker.verify_audit(
                    expect=expect, against=against,
                    progress=lambda phase, done, total: report(done, max(total, 1)))
            finally:
                worker.close()

        def failed(exc: BaseException) -> None:
            self.run_button.setEnabled(True)
            show_error(self, exc, self.desk.path)

        run_in_background(self, "Verifying the audit trail…", work, self.show_report, failed)

    def show_report(self, report) -> None:
        """Show a finished verification."""
        self.run_button.setEnabled(True)
        position, digest = report.head
        if report.ok:
            self.verdict.setStyleSheet("font-weight:bold;")
            self.verdict.setText(
                f"The audit trail holds: {report.entries:,} entries (head {position}:"
                f"{digest[:20]}); {report.submissions:,} submissions and {report.snapshots:,}"
                f" snapshots agree with it; {witnesses_text(report.witnesses)}.")
            self.result.setPlainText("")
            return
        self.verdict.setStyleSheet(error_css() + " font-weight:bold;")
        count = len(report.problems) + report.more
        self.verdict.setText(f"The audit trail does NOT hold: {count} problem"
                             f"{'' if count == 1 else 's'}. Nothing was changed; keep this "
                             "database as it is and tell the desk's administrator.")
        more = f"\n… and {report.more} more." if report.more else ""
        self.result.setPlainText("\n".join(report.problems) + more)
