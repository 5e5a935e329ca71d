"""Every dialog of the app, as the tests of the defaults rule (docs/ui-rules.md) open it:
who opens it, how it is made, its first field, the button Enter must press (its named
action; None where the dialog has none) and a text field to press Enter in.

A test checks that every QDialog subclass in ui/ is listed here, so a new dialog cannot
escape the rule.  Used in-process (offscreen) and by the real-input child process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import QDialogButtonBox, QPushButton, QWidget


@dataclass(frozen=True)
class Entry:
    role: str
    make: Callable  # (main window) -> the dialog, not yet shown
    first: Callable  # (dialog) -> the widget the focus starts on
    action: Callable  # (dialog) -> the button Enter presses, or None
    text: Callable | None = None  # (dialog) -> a one-line text field, or None
    scorer_fields: Callable | None = None  # (dialog) -> {name: is empty} for chosen fields


def _ok(box) -> QPushButton:
    return box.button(QDialogButtonBox.StandardButton.Ok)


def _buttons(dialog) -> QDialogButtonBox:
    return dialog.findChild(QDialogButtonBox)


def _named(dialog, name: str) -> QWidget:
    return dialog.findChild(QWidget, name)


def _pdf(window) -> bytes:
    sid = window.desk.db.execute("SELECT id FROM submissions WHERE assessment_id IS NOT NULL "
                                 "LIMIT 1").fetchone()[0]
    return window.desk.render_assessment(sid)


def _first_venue(window):
    return window.desk.venues_page(limit=1)[0]


def _first_past(window) -> tuple[int, str]:
    return window.desk.db.execute("SELECT id, reference FROM submissions ORDER BY starts_at "
                                  "LIMIT 1").fetchone()


def _make(kind: str):
    def make(window):
        from ui import (
            app,
            assessment_view,
            login,
            main_window,
            pdf_preview,
            personal_data_dialog,
            settings_dialog,
            shortcuts_dialog,
            submission_form,
            users_dialog,
            venue_dialog,
            verify_dialog,
        )

        desk = window.desk
        return {
            "DatabaseLocationDialog": lambda: app.DatabaseLocationDialog(
                Path("/nonexistent/desk.db"), window),
            "FirstRunDialog": lambda: login.FirstRunDialog(desk, window),
            "LoginDialog": lambda: login.LoginDialog(desk, window),
            "RecoveryCodeDialog": lambda: login.RecoveryCodeDialog("ABCD-EFGH-JKLM", window),
            "ServerSignInDialog": lambda: login.ServerSignInDialog(
                "postgresql://desk-server.invalid/eventrisk", window),
            "ChangePasswordDialog": lambda: login.ChangePasswordDialog(desk, window),
            "LockDialog": lambda: login.LockDialog(desk, desk.user.username, window),
            "PackDialog": lambda: main_window.PackDialog(window),
            "PdfPreview": lambda: pdf_preview.PdfPreview(_pdf(window), "a test", "t.pdf",
                                                         window),
            "_ReasonDialog": lambda: personal_data_dialog._ReasonDialog(
                window, "Keep a record", "Keep it?", until=__import__("datetime").date(
                    2030, 1, 1)),
            "PersonalDataDialog": lambda: personal_data_dialog.PersonalDataDialog(desk, window),
            "SettingsDialog": lambda: settings_dialog.SettingsDialog(desk, window),
            "ShortcutsDialog": lambda: shortcuts_dialog.ShortcutsDialog(window),
            "SubmissionForm": lambda: submission_form.SubmissionForm(desk, parent=window),
            "UsersDialog": lambda: users_dialog.UsersDialog(desk, window),
            "VenueDialog": lambda: venue_dialog.VenueDialog(desk, parent=window),
            "EditVenue": lambda: venue_dialog.VenueDialog(desk, _first_venue(window),
                                                          parent=window),
            "IncidentDialog": lambda: venue_dialog.IncidentDialog(desk, _first_venue(window),
                                                                  parent=window),
            "DebriefDialog": lambda: venue_dialog.DebriefDialog(desk, *_first_past(window),
                                                                parent=window),
            "VerifyDialog": lambda: verify_dialog.VerifyDialog(desk, window),
            "ReasonDialog": lambda: assessment_view.ReasonDialog(
                "Override the grade and approve", "Justification", grades=True, parent=window),
            "ReturnDialog": lambda: assessment_view.ReasonDialog(
                "Return to the officer", "Comment for the officer", parent=window),
        }[kind]()
    return make


def _save(dialog) -> QPushButton:
    return dialog.buttons.button(QDialogButtonBox.StandardButton.Save)


DIALOGS: dict[str, Entry] = {
    "DatabaseLocationDialog": Entry("admin", _make("DatabaseLocationDialog"),
                                    lambda d: d.on_file, lambda d: _ok(d.buttons),
                                    lambda d: d.path),
    "FirstRunDialog": Entry("admin", _make("FirstRunDialog"), lambda d: d.display_name,
                            lambda d: _ok(_buttons(d)), lambda d: d.display_name),
    "LoginDialog": Entry("admin", _make("LoginDialog"), lambda d: d.username,
                         lambda d: _ok(_buttons(d)), lambda d: d.username),
    "RecoveryCodeDialog": Entry("admin", _make("RecoveryCodeDialog"), lambda d: d.code,
                                lambda d: _named(d, "recoveryCodeDone"), lambda d: d.code),
    "ServerSignInDialog": Entry("officer", _make("ServerSignInDialog"), lambda d: d.username,
                                lambda d: _ok(_buttons(d)), lambda d: d.username),
    "ChangePasswordDialog": Entry("admin", _make("ChangePasswordDialog"), lambda d: d.current,
                                  lambda d: _ok(_buttons(d)), lambda d: d.current),
    "LockDialog": Entry("admin", _make("LockDialog"), lambda d: d.password,
                        lambda d: _named(d, "unlock"), lambda d: d.password),
    "PackDialog": Entry("supervisor", _make("PackDialog"), lambda d: d.borough,
                        lambda d: _ok(_buttons(d)), lambda d: d.start,
                        lambda d: {"borough": not d.borough.currentData()}),
    "PdfPreview": Entry("officer", _make("PdfPreview"), lambda d: d.page_box, lambda d: None),
    "_ReasonDialog": Entry("admin", _make("_ReasonDialog"), lambda d: d.until,
                           lambda d: _ok(_buttons(d)), lambda d: d.until),
    "PersonalDataDialog": Entry("admin", _make("PersonalDataDialog"), lambda d: None,
                                lambda d: None, lambda d: d.promoter_name),
    "SettingsDialog": Entry("admin", _make("SettingsDialog"),
                            lambda d: next(iter(d.inputs.values())),
                            lambda d: _ok(_buttons(d)),
                            lambda d: next(w for w in d.inputs.values()
                                           if type(w).__name__ == "QLineEdit")),
    "ShortcutsDialog": Entry("officer", _make("ShortcutsDialog"), lambda d: d.table,
                             lambda d: None),
    "SubmissionForm": Entry("officer", _make("SubmissionForm"), lambda d: d.event_name,
                            lambda d: d.save_button, lambda d: d.event_name,
                            lambda d: {"event_type": not d.event_type.currentData(),
                                       "day": not d.day.text(),
                                       "start_time": not d.start_time.text(),
                                       "end_time": not d.end_time.text(),
                                       "finishes": not (d.next_day.isChecked()
                                                        or d.same_day.isChecked())}),
    "UsersDialog": Entry("admin", _make("UsersDialog"), lambda d: d.username,
                         lambda d: _named(d, "addAccount"), lambda d: d.display_name),
    "VenueDialog": Entry("officer", _make("VenueDialog"), lambda d: d.inputs["code"], _save,
                         lambda d: d.inputs["name"],
                         lambda d: {"borough": not d.inputs["borough"].currentData()}),
    "EditVenue": Entry("officer", _make("EditVenue"), lambda d: d.inputs["name"], _save,
                       lambda d: d.inputs["name"]),
    "IncidentDialog": Entry("officer", _make("IncidentDialog"), lambda d: d.when.day,
                            _save, lambda d: d.crime,
                            lambda d: {"category": d.category.currentData() is None,
                                       "severity": d.severity.currentData() is None,
                                       "location": d.location.currentData() is None}),
    "DebriefDialog": Entry("officer", _make("DebriefDialog"), lambda d: d.went_ahead, _save,
                           lambda d: d.attendance),
    "VerifyDialog": Entry("admin", _make("VerifyDialog"), lambda d: d.heads,
                          lambda d: d.run_button, lambda d: d.backup),
    "ReasonDialog": Entry("supervisor", _make("ReasonDialog"), lambda d: d.grade_box,
                          lambda d: _ok(d.buttons)),
    "ReturnDialog": Entry("supervisor", _make("ReturnDialog"), lambda d: d.reason,
                          lambda d: _ok(d.buttons)),
}

# Words no default button may carry: Enter must never do these.
DESTRUCTIVE = ("cancel", "close", "discard", "delete", "erase", "remove", "reset", "restore",
               "deactivate", "sign out", "apply the schedule", "dispose")
