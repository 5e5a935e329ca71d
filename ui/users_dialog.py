"""Accounts: an administrator adds accounts, resets passwords, changes roles and deactivates
accounts, and sees failed sign-ins and locks.  Every change is a desk use case, audited."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
)

from eventrisk.desk import Desk
from eventrisk.errors import EventRiskError, ValidationError
from eventrisk.model import Role
from eventrisk.timeutil import british_datetime, from_db
from ui.dialogs import settle
from ui.models import Column, ObjectTableModel, table_view


def _state(info) -> str:
    user = info.user
    if not user.active:
        return "deactivated"
    if user.locked:
        return "LOCKED"
    if user.must_change_password:
        return "must choose a password"
    return "active"


class UsersDialog(QDialog):
    """Every account with its state; buttons act on the selected one, the form adds one."""

    def __init__(self, desk: Desk, parent=None):
        super().__init__(parent)
        self.desk = desk
        self.setWindowTitle("Accounts")
        self.resize(760, 560)
        self.model = ObjectTableModel([
            Column("User name", lambda a: a.user.username),
            Column("Name", lambda a: a.user.display_name),
            Column("Role", lambda a: a.user.role.label),
            Column("State", _state),
            Column("Failed sign-ins", lambda a: (
                f"{a.failures} (last {british_datetime(from_db(a.last_failed_at))})"
                if a.failures and a.last_failed_at else "")),
        ], parent=self)
        self.table = table_view(self.model, "usersTable", "Accounts")
        actions = QHBoxLayout()
        self.buttons = {}
        for key, text in (("reset", "&Reset password…"), ("role", "Change &role…"),
                          ("deactivate", "&Deactivate…"), ("activate", "Reac&tivate")):
            button = QPushButton(text, objectName=f"account_{key}")
            button.clicked.connect(lambda _=False, k=key: self._act(k))
            actions.addWidget(button)
            self.buttons[key] = button
        actions.addStretch(1)
        self.username = QLineEdit(accessibleName="User name", objectName="newUsername")
        self.display_name = QLineEdit(accessibleName="Full name", objectName="newDisplayName")
        self.role = QComboBox(accessibleName="Role", objectName="newRole")
        for r in Role:
            self.role.addItem(r.label, r.value)
        self.password = QLineEdit(accessibleName="Temporary password", objectName="newPassword",
                                  echoMode=QLineEdit.EchoMode.Password)
        self.message = QLabel(objectName="usersMessage", wordWrap=True)
        add = QPushButton("&Add account", objectName="addAccount")
        add.clicked.connect(self.add)
        form = QFormLayout()
        form.addRow("User name", self.username)
        form.addRow("Full name", self.display_name)
        form.addRow("Role", self.role)
        form.addRow("Temporary password (8+ characters; they choose their own at first "
                    "sign-in)", self.password)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(actions)
        layout.addWidget(QLabel("<b>Add an account</b>"))
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(add)
        # Enter in the form adds the account; it never presses Reset password (it was the
        # first button, so the dialog's default: Enter reset another user's password).
        settle(self, [self.username, self.display_name, self.role, self.password], add)
        self.refresh()

    def refresh(self) -> None:
        self.model.set_objects(self.desk.accounts())
        self.table.resizeColumnsToContents()

    def _selected(self):
        index = self.table.currentIndex()
        return index.data(ObjectTableModel.ObjectRole) if index.isValid() else None

    def _act(self, key: str) -> None:
        info = self._selected()
        if info is None:
            self.message.setText("Select an account first.")
            return
        name = info.user.username
        try:
            if key == "reset":
                temporary, ok = QInputDialog.getText(
                    self, "Reset password", f"Temporary password for {name} (they must choose "
                    "their own at next sign-in; this also unlocks the account):",
                    QLineEdit.EchoMode.Password)
                if not ok:
                    return
                self.desk.reset_password(name, temporary)
                done = f"Reset the password of {name}; the account is unlocked."
            elif key == "role":
                labels = [r.label for r in Role]
                label, ok = QInputDialog.getItem(self, "Change role", f"New role for {name}:",
                                                 labels, labels.index(info.user.role.label),
                                                 False)
                if not ok:
                    return
                role = next(r for r in Role if r.label == label)
                self.desk.set_account_role(name, role)
                done = f"{name} is now {role.label}."
            elif key == "deactivate":
                reason, ok = QInputDialog.getText(self, "Deactivate account",
                                                  f"Why is {name} being deactivated?")
                if not ok:
                    return
                self.desk.set_account_active(name, False, reason)
                done = f"Deactivated {name}: they can no longer sign in or act."
            else:
                self.desk.set_account_active(name, True)
                done = f"Reactivated {name}."
        except ValidationError as exc:
            self.message.setText("\n".join(m for _, m in exc.problems))
            return
        except EventRiskError as exc:
            QMessageBox.warning(self, "Accounts", str(exc))
            return
        self.message.setText(done)
        self.refresh()

    def add(self) -> None:
        try:
            made = self.desk.create_account(self.username.text(), self.display_name.text(),
                                            Role(self.role.currentData()), self.password.text())
        except ValidationError as exc:
            self.message.setText("\n".join(m for _, m in exc.problems))
            return
        except EventRiskError as exc:
            self.message.setText(str(exc))
            return
        self.message.setText(f"Added {made.display_name} ({made.role.label}); they choose "
                             "their own password at first sign-in.")
        for w in (self.username, self.display_name, self.password):
            w.clear()
        self.refresh()
