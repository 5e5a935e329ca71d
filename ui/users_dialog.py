"""Accounts: an administrator lists and adds officers, supervisors and administrators."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
)
from sqlite_utils import Database

from eventrisk import users
from eventrisk.errors import PermissionDenied, ValidationError
from eventrisk.model import Role, User
from ui.models import Column, ObjectTableModel, table_view


class UsersDialog(QDialog):
    """Lists active accounts; the form below adds one (the core checks the admin role)."""

    def __init__(self, db: Database, admin: User, parent=None):
        super().__init__(parent)
        self.db, self.admin = db, admin
        self.setWindowTitle("Accounts")
        self.resize(560, 480)
        self.model = ObjectTableModel([Column("User name", lambda u: u.username),
                                       Column("Name", lambda u: u.display_name),
                                       Column("Role", lambda u: u.role.label)], parent=self)
        table = table_view(self.model, "usersTable")
        self.username = QLineEdit(accessibleName="User name", objectName="newUsername")
        self.display_name = QLineEdit(accessibleName="Full name", objectName="newDisplayName")
        self.role = QComboBox(accessibleName="Role", objectName="newRole")
        for r in Role:
            self.role.addItem(r.label, r.value)
        self.password = QLineEdit(accessibleName="Password", objectName="newPassword",
                                  echoMode=QLineEdit.EchoMode.Password)
        self.message = QLabel(objectName="usersMessage", wordWrap=True)
        add = QPushButton("&Add account", objectName="addAccount")
        add.clicked.connect(self.add)
        form = QFormLayout()
        form.addRow("User name", self.username)
        form.addRow("Full name", self.display_name)
        form.addRow("Role", self.role)
        form.addRow("Password (8+ characters)", self.password)
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(add)
        self.refresh()

    def refresh(self) -> None:
        self.model.set_objects(users.list_users(self.db))

    def add(self) -> None:
        try:
            made = users.create_user(self.db, self.admin, self.username.text().strip(),
                                     self.display_name.text(), Role(self.role.currentData()),
                                     self.password.text())
        except ValidationError as exc:
            self.message.setText("\n".join(m for _, m in exc.problems))
            return
        except PermissionDenied as exc:
            self.message.setText(str(exc))
            return
        self.message.setText(f"Added {made.display_name} ({made.role.label}).")
        for w in (self.username, self.display_name, self.password):
            w.clear()
        self.refresh()
