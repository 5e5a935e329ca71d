"""Signing in: the first account of a new desk (or a training desk of demo data), the
sign-in itself, and choosing a new password when one is due."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from eventrisk.desk import Desk
from eventrisk.errors import AuthError, PermissionDenied, ValidationError
from ui.dialogs import ok_cancel
from ui.style import error_css


def _password_box(name: str) -> QLineEdit:
    return QLineEdit(accessibleName=name, echoMode=QLineEdit.EchoMode.Password)


def _problem_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "\n".join(m for _, m in exc.problems)
    return str(exc)


class FirstRunDialog(QDialog):
    """A new desk: create its administrator, or make it a training desk of demo data.

    After ``exec()`` succeeds, ``training`` says which was chosen; for a real desk the
    administrator is already signed in."""

    def __init__(self, desk: Desk, parent: QWidget | None = None):
        super().__init__(parent)
        self.desk = desk
        self.training = False
        self.recovery_code = ""  # made with the administrator, shown once (file desks)
        self.setWindowTitle("EventRisk: a new desk")
        self.display_name = QLineEdit(accessibleName="Full name")
        self.username = QLineEdit(accessibleName="User name")
        self.password = _password_box("Password")
        self.confirm = _password_box("Confirm password")
        self.error = QLabel(objectName="loginError", wordWrap=True)
        self.error.setStyleSheet(error_css())
        form = QFormLayout()
        form.addRow("&Full name", self.display_name)
        form.addRow("&User name", self.username)
        form.addRow("&Password (8+ characters)", self.password)
        form.addRow("&Confirm password", self.confirm)
        buttons = ok_cancel(self, self._create, ok_text="Create the administrator")
        demo = QPushButton("Make this a &training desk with demo data instead",
                           objectName="trainingDesk")
        demo.clicked.connect(self._training)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(
            "This desk has no accounts yet. For real work, create the administrator account; "
            "it then adds officers and supervisors.", wordWrap=True))
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        layout.addWidget(QLabel(
            "To try EventRisk out, fill this database with invented venues, events and "
            "incidents instead. It is then marked as training data everywhere, printouts "
            "included, and never takes real records.", wordWrap=True))
        layout.addWidget(demo)
        self.setMinimumWidth(500)

    def _create(self) -> None:
        try:
            if self.password.text() != self.confirm.text():
                raise ValidationError([("confirm", "The two passwords differ")])
            self.desk.create_first_admin(self.username.text(), self.display_name.text(),
                                         self.password.text())
        except (ValidationError, PermissionDenied) as exc:
            self.error.setText(_problem_text(exc))
            return
        if self.desk.offers_recovery:
            self.recovery_code = self.desk.new_recovery_code()
        self.accept()

    def _training(self) -> None:
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            self.desk.build_demo()
        except PermissionDenied as exc:
            self.error.setText(str(exc))
            return
        finally:
            QApplication.restoreOverrideCursor()
        self.training = True
        self.accept()


class RecoveryCodeDialog(QDialog):
    """The desk's recovery code, shown once after the administrator is created."""

    def __init__(self, code: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("EventRisk: the desk's recovery code")
        self.code = QLineEdit(code, readOnly=True, accessibleName="Recovery code",
                              objectName="recoveryCode")
        done = QPushButton("I have written it down", objectName="recoveryCodeDone")
        done.clicked.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(
            "Write this code on paper and keep it locked away from this computer. If no "
            "administrator can sign in, 'eventrisk recover' on this computer uses it to give "
            "one a new password. It is not shown again.", wordWrap=True))
        layout.addWidget(self.code)
        layout.addWidget(done)
        self.setMinimumWidth(500)


class LoginDialog(QDialog):
    """User name and password.  On a training desk it lists the demo accounts.

    After ``exec()`` succeeds, the desk has a signed-in user."""

    def __init__(self, desk: Desk, parent: QWidget | None = None, *, title: str = ""):
        super().__init__(parent)
        self.desk = desk
        self.setWindowTitle(title or "EventRisk: sign in")
        self.username = QLineEdit(accessibleName="User name", objectName="loginUser")
        self.password = _password_box("Password")
        self.password.setObjectName("loginPassword")
        self.error = QLabel(objectName="loginError", wordWrap=True)
        self.error.setStyleSheet(error_css())
        form = QFormLayout()
        intro = QLabel("Sign in with your desk account.", wordWrap=True)
        form.addRow("&User name", self.username)
        form.addRow("&Password", self.password)
        demo = desk.demo_sign_ins()
        if demo:
            hint = "\n".join(f"    {u}  /  {p}   ({r})" for u, p, r in demo)
            intro.setText("TRAINING DESK: demo data only.\n\nDemo accounts (user / password):\n"
                          + hint)
        buttons = ok_cancel(self, self._accept, ok_text="Sign in")
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def _accept(self) -> None:
        try:
            self.desk.sign_in(self.username.text(), self.password.text())
        except AuthError as exc:
            self.error.setText(str(exc))
            self.password.selectAll()
            self.password.setFocus()
            return
        self.accept()


class ServerSignInDialog(QDialog):
    """A server desk that wants the person to sign in before it opens: their own login and
    password, which go to the server (libpq) and are never stored.  After ``exec()``
    succeeds, ``desk`` is open and signed in as them."""

    def __init__(self, target: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.target = target
        self.desk: Desk | None = None
        self.setWindowTitle("EventRisk: sign in to the desk's server")
        self.username = QLineEdit(accessibleName="Login", objectName="serverUser")
        self.password = _password_box("Password")
        self.password.setObjectName("serverPassword")
        self.error = QLabel(objectName="serverLoginError", wordWrap=True)
        self.error.setStyleSheet(error_css())
        form = QFormLayout()
        form.addRow("&Login", self.username)
        form.addRow("&Password", self.password)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Sign in with your own login on the desk's server.",
                                wordWrap=True))
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(ok_cancel(self, self._accept, ok_text="Sign in"))

    def _accept(self) -> None:
        from eventrisk.errors import StorageError

        try:
            self.desk = Desk.open_as(self.target, self.username.text(), self.password.text())
        except (AuthError, StorageError) as exc:
            self.error.setText(str(exc))
            self.password.selectAll()
            self.password.setFocus()
            return
        self.accept()


class ChangePasswordDialog(QDialog):
    """The signed-in person chooses a new password (``forced`` after a reset)."""

    def __init__(self, desk: Desk, parent: QWidget | None = None, *, forced: bool = False):
        super().__init__(parent)
        self.desk = desk
        self.setWindowTitle("Choose a new password")
        self.current = _password_box("Current password")
        self.current.setObjectName("currentPassword")
        self.new = _password_box("New password")
        self.new.setObjectName("newPassword")
        self.confirm = _password_box("Confirm new password")
        self.confirm.setObjectName("confirmPassword")
        self.error = QLabel(objectName="passwordError", wordWrap=True)
        self.error.setStyleSheet(error_css())
        form = QFormLayout()
        form.addRow("&Current password", self.current)
        form.addRow("&New password (8+ characters)", self.new)
        form.addRow("C&onfirm new password", self.confirm)
        buttons = ok_cancel(self, self._accept)
        layout = QVBoxLayout(self)
        if forced:
            layout.addWidget(QLabel("Your administrator set a temporary password. Choose your "
                                    "own before you start.", wordWrap=True))
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def _accept(self) -> None:
        try:
            if self.new.text() != self.confirm.text():
                raise ValidationError([("confirm", "The two new passwords differ")])
            self.desk.change_own_password(self.current.text(), self.new.text())
        except (ValidationError, AuthError, PermissionDenied) as exc:
            self.error.setText(_problem_text(exc))
            return
        self.accept()


def sign_in(desk: Desk, parent: QWidget | None = None, *, title: str = "") -> bool:
    """Everything between opening a desk and working on it; False if the person gave up."""
    if desk.needs_first_admin():
        first = FirstRunDialog(desk, parent)
        if not first.exec():
            return False
        if first.recovery_code:
            RecoveryCodeDialog(first.recovery_code, parent).exec()
        if not first.training:
            return True
    if desk.user is None and not LoginDialog(desk, parent, title=title).exec():
        return False
    user = desk.user
    if user is not None and user.must_change_password:
        if not ChangePasswordDialog(desk, parent, forced=True).exec():
            desk.sign_out()
            return False
    return True


class LockDialog(QDialog):
    """The app locked after idle time (or Ctrl+L): the same person's password unlocks it;
    *Sign out* lets someone else sign in.  ``exec()`` returns Accepted once unlocked."""

    SIGN_OUT = 2

    def __init__(self, desk: Desk, username: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.desk, self.username = desk, username
        self.setWindowTitle("EventRisk is locked")
        self.password = _password_box("Password")
        self.password.setObjectName("unlockPassword")
        self.error = QLabel(objectName="unlockError", wordWrap=True)
        self.error.setStyleSheet(error_css())
        buttons = QDialogButtonBox()
        unlock = buttons.addButton("Unlock", QDialogButtonBox.ButtonRole.AcceptRole)
        unlock.setObjectName("unlock")
        out = buttons.addButton("Sign out", QDialogButtonBox.ButtonRole.RejectRole)
        out.setObjectName("lockSignOut")
        buttons.accepted.connect(self._unlock)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"EventRisk was locked to keep the desk's records private. "
                                f"{username}, enter your password to carry on.", wordWrap=True))
        form = QFormLayout()
        form.addRow("&Password", self.password)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def _unlock(self) -> None:
        try:
            self.desk.sign_in(self.username, self.password.text())
        except AuthError as exc:
            self.error.setText(str(exc))
            self.password.clear()
            return
        self.accept()
