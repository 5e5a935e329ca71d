"""Sign-in, and creating the administrator on a first run."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
)
from sqlite_utils import Database

from eventrisk import users
from eventrisk.demo import DEMO_USERS
from eventrisk.errors import AuthError, ValidationError
from eventrisk.model import Role, User


class LoginDialog(QDialog):
    """Asks for user name and password; on an empty database, creates the admin instead.

    After ``exec()`` succeeds, ``user`` holds who signed in.
    """

    def __init__(self, db: Database, parent=None):
        super().__init__(parent)
        self.db = db
        self.user: User | None = None
        self.first_run = users.count_users(db) == 0
        self.setWindowTitle("EventRisk: create the administrator" if self.first_run
                            else "EventRisk: sign in")
        self.username = QLineEdit(accessibleName="User name")
        self.password = QLineEdit(accessibleName="Password", echoMode=QLineEdit.EchoMode.Password)
        self.error = QLabel(objectName="loginError", wordWrap=True)
        self.error.setStyleSheet("color:#b71c1c;")
        form = QFormLayout()
        intro = QLabel(wordWrap=True)
        if self.first_run:
            intro.setText("This desk has no accounts yet. Create the administrator account; "
                          "it can then add officers and supervisors.")
            self.display_name = QLineEdit(accessibleName="Full name")
            self.confirm = QLineEdit(accessibleName="Confirm password",
                                     echoMode=QLineEdit.EchoMode.Password)
            form.addRow("&Full name", self.display_name)
            form.addRow("&User name", self.username)
            form.addRow("&Password (8+ characters)", self.password)
            form.addRow("&Confirm password", self.confirm)
        else:
            intro.setText("Sign in with your desk account.")
            form.addRow("&User name", self.username)
            form.addRow("&Password", self.password)
            demo = [u for u in DEMO_USERS if _exists(db, u[0])]
            if demo:
                hint = "\n".join(f"    {u}  /  {p}   ({r.label})" for u, _, r, p in demo)
                intro.setText(intro.text() + f"\n\nDemo accounts (user / password):\n{hint}")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(
            "Create account" if self.first_run else "Sign in")
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def _accept(self) -> None:
        try:
            if self.first_run:
                if self.password.text() != self.confirm.text():
                    raise ValidationError([("confirm", "The two passwords differ")])
                self.user = users.create_user(self.db, None, self.username.text().strip(),
                                              self.display_name.text(), Role.ADMIN,
                                              self.password.text())
            else:
                self.user = users.authenticate(self.db, self.username.text().strip(),
                                               self.password.text())
        except (AuthError, ValidationError) as exc:
            self.error.setText("\n".join(m for _, m in exc.problems)
                               if isinstance(exc, ValidationError) else str(exc))
            self.password.selectAll()
            self.password.setFocus()
            return
        self.accept()


def _exists(db: Database, username: str) -> bool:
    try:
        users.get_user(db, username)
    except AuthError:
        return False
    return True
