"""The one place the desktop app turns errors into messages; details go to the log file."""

from __future__ import annotations

import logging

from PySide6.QtWidgets import QMessageBox, QWidget

from eventrisk.db import is_environment_failure, storage_error
from eventrisk.errors import EventRiskError, ImportFileError, RulesError, ValidationError
from eventrisk.logfile import log_to_file
from eventrisk.paths import user_log_dir

log = logging.getLogger("eventrisk.ui")


def message_for(exc: BaseException, db_path: str = "") -> tuple[str, str]:
    """(title, text) for an error, in plain words."""
    if isinstance(exc, ImportFileError):
        lines = exc.lines
        more = f"\n… and {len(lines) - 12} more problems." if len(lines) > 12 else ""
        return "Nothing was imported", "\n".join(lines[:12]) + more
    if isinstance(exc, RulesError):
        return "The rules file has problems", "\n".join(exc.problems)
    if isinstance(exc, ValidationError):
        return "Please check", "\n".join(m for _, m in exc.problems)
    if isinstance(exc, EventRiskError):
        return "EventRisk", str(exc)
    if is_environment_failure(exc):
        return "Database problem", str(storage_error(exc, db_path or "in use"))
    log_to_file()
    log.error("unexpected error", exc_info=(type(exc), exc, exc.__traceback__))
    return ("Unexpected problem", "EventRisk hit an unexpected problem. Nothing half-done "
            f"was saved. The details are in {user_log_dir() / 'eventrisk.log'}.")


def show_error(parent: QWidget | None, exc: BaseException, db_path: str = "") -> None:
    """Show one clear message for ``exc``."""
    title, text = message_for(exc, db_path)
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok,
                      parent)
    box.setObjectName("errorBox")
    box.exec()
