"""Accounts and desk settings, as use cases of the desk service (administrators, and each
person for their own password)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from eventrisk import audit, recovery, settings, users
from eventrisk.desk import signin
from eventrisk.desk.base import DeskBase
from eventrisk.errors import AuthError, NotFoundError, PermissionDenied, ValidationError
from eventrisk.model import Role, User


@dataclass(frozen=True)
class AccountInfo:
    """An account as the administrator sees it, with its recent failed sign-ins."""

    user: User
    failures: int
    last_failed_at: str | None


class AccountsMixin(DeskBase):
    """Account use cases of ``Desk``."""

    def create_first_admin(self, username: str, display_name: str, password: str) -> User:
        """On a new desk only: create the administrator and sign them in."""
        with self.db.atomic():
            if users.count_users(self.db):
                raise PermissionDenied("This desk already has accounts; sign in instead.")
            made = users.create_user(self.db, None, username, display_name, Role.ADMIN,
                                     password)
        self._user = made
        return made

    def new_recovery_code(self) -> str:
        """A new recovery code for this file desk (administrators), shown once; the old one
        stops working.  ``eventrisk.recovery``."""
        with self.use_case("manage_users") as actor:
            return recovery.make_code(self.db, actor.username)

    @property
    def offers_recovery(self) -> bool:
        """Whether this desk has a recovery code of its own (a file; a server's DBA recovers
        its logins)."""
        from eventrisk import dialect

        return not dialect.of(self.db).server

    RECOVERY_ON_SERVER = recovery.SERVER

    def has_recovery_code(self) -> bool:
        """Whether this desk has a recovery code (a file desk made before them has none)."""
        return recovery.stored_hash(self.db) is not None

    def check_recovery_code_exists(self) -> None:
        """``AuthError`` saying what to do when this desk has no recovery code (before asking
        anyone for one)."""
        if not self.has_recovery_code():
            raise AuthError(recovery.NO_CODE)

    def recover_admin(self, code: str, username: str, new_password: str) -> str:
        """On the machine holding a file desk, with its recovery code: give administrator
        ``username`` a new password, unlocked; returns the next recovery code.  Needs no
        sign-in (nobody may be able to)."""
        return recovery.recover(self.db, code, username, new_password)

    def change_own_password(self, current: str, new: str) -> User:
        """The signed-in person chooses a new password (required after a reset)."""
        if self._user is None:
            raise AuthError("Sign in first.")
        if self._login is not None:
            return self._change_login_password(current, new)
        stored = users.password_hash(self.db, self._user.username) or ""
        if not users.password_matches(stored, current):
            raise ValidationError([("current_password", "Your current password is wrong")])
        if new == current:
            raise ValidationError([("new_password", "Choose a password you have not used "
                                                    "here just now")])
        with self.db.atomic():
            actor = self._fresh_actor(None, allow_password_change=True)
            made = users.set_password(self.db, actor.username, new, must_change=False)
            audit.record(self.db, actor.username, "user.password_change", "user", actor.id,
                         {"password": made})
        self._user = users.find_user(self.db, actor.username)
        assert self._user is not None
        return self._user

    def _change_login_password(self, current: str, new: str) -> User:
        """A person's own login password on a server desk: ``ALTER ROLE`` with the password
        hashed by libpq on this machine (scram-sha-256), so it never crosses in clear."""
        from eventrisk.pg import identity

        problems = users.password_problems(new, "new_password")
        if problems:
            raise ValidationError(problems)
        assert self._login is not None
        known = self._login.get("password")
        if known is not None and current != known:
            raise ValidationError([("current_password", "Your current password is wrong")])
        with self.use_case(None) as actor:
            identity.change_password(self.db, actor.username, new)
            audit.record(self.db, actor.username, "user.password_change", "user", actor.id)
        self._login = {**self._login, "password": new}
        self.db.conn.login = self._login
        return actor

    def accounts(self) -> list[AccountInfo]:
        """Every account, active or not, with failed sign-ins (administrators only)."""
        self._fresh_actor("manage_users")
        if self._login is not None:  # roles are the logins' memberships; no failures here
            from eventrisk.pg import identity

            out = []
            for user in users.list_users(self.db, include_inactive=True):
                role = identity.role_of(self.db, user.username)
                out.append(AccountInfo(replace(user, role=role or user.role,
                                               active=role is not None), 0, None))
            return out
        out = []
        for user in users.list_users(self.db, include_inactive=True):
            count, last = signin.failures(self.db, user.username)
            out.append(AccountInfo(user, count, last))
        return out

    def create_account(self, username: str, display_name: str, role: Role,
                       temporary_password: str) -> User:
        """Add an account; its owner must choose a new password at first sign-in."""
        if self._login is not None:
            return self._add_login(username, display_name, role)
        with self.use_case("manage_users") as actor:
            return users.create_user(self.db, actor, username, display_name, role,
                                     temporary_password, must_change=True)

    def _add_login(self, username: str, display_name: str, role: Role) -> User:
        """On a server desk: give an existing login its desk role and display name (the DBA
        makes the login; its password is the server's, and no temporary one is kept)."""
        from eventrisk.pg import identity

        with self.use_case("manage_users") as actor:
            identity.set_role(self.db, username, role)
            self._display_name(username, display_name, role, rename=True)
            made = self._account(username)
            audit.record(self.db, actor.username, "user.create", "user", made.id,
                         {"username": username, "role": role.value, "login": True})
            return replace(made, role=role)

    def _account(self, username: str) -> User:
        found = users.find_user(self.db, username)
        if found is None:
            raise NotFoundError(f"There is no account called '{username}'.")
        return found

    def _display_name(self, username: str, display_name: str, role: Role, *,
                      rename: bool = False) -> None:
        """A login's row on a server desk: its display name (and the role it holds, for
        showing only), made if the person never signed in here."""
        if self.db.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
            self.db.execute("UPDATE users SET role = ?, active = 1 WHERE username = ?",
                            [role.value, username])
            if rename and display_name.strip():
                self.db.execute("UPDATE users SET display_name = ? WHERE username = ?",
                                [display_name.strip(), username])
            return
        self.db.execute("INSERT INTO users (username, display_name, role, active, created_at) "
                        "VALUES (?, ?, ?, 1, ?)",
                        [username, display_name.strip() or username, role.value,
                         self.clock().strftime("%Y-%m-%dT%H:%M:%SZ")])

    def reset_password(self, username: str, temporary_password: str) -> User:
        """Set a temporary password, unlock the account and clear its failures."""
        if self._login is not None:
            raise PermissionDenied("On this server desk a password is the server's: the DBA "
                                   f"sets it (ALTER ROLE {username} PASSWORD ...), or the "
                                   "directory does; EventRisk keeps none.")
        with self.use_case("manage_users") as actor:
            target = self._account(username)
            made = users.set_password(self.db, username, temporary_password, must_change=True)
            signin.clear(self.db, username)
            audit.record(self.db, actor.username, "user.password_reset", "user", target.id,
                         {"username": username, "was_locked": target.locked,
                          "password": made})
            return self._account(username)

    def set_account_active(self, username: str, active: bool, reason: str = "") -> User:
        """Deactivate (or reactivate) an account; the desk always keeps an administrator."""
        if self._login is not None and active:
            raise ValidationError([("active", "On this server desk an account works again "
                                              "when it is given a desk role")])
        with self.use_case("manage_users") as actor:
            target = self._account(username)
            if not active and target.username == actor.username:
                raise ValidationError([("active", "You cannot deactivate your own account")])
            if self._login is not None:
                from eventrisk.pg import identity

                identity.set_role(self.db, username, None)
            users.set_fields(self.db, username, active=active)
            self._keep_an_admin()
            audit.record(self.db, actor.username,
                         "user.activate" if active else "user.deactivate", "user", target.id,
                         {"username": username}, reason.strip())
            return self._account(username)

    def set_account_role(self, username: str, role: Role, reason: str = "") -> User:
        """Change an account's role; the desk always keeps an administrator."""
        with self.use_case("manage_users") as actor:
            if self._login is not None:  # the login's membership is the role
                from eventrisk.pg import identity

                before = identity.role_of(self.db, username)
                self._display_name(username, username, role)  # while this login may
                identity.set_role(self.db, username, role)
                target = replace(self._account(username), role=before or role)
                self._keep_an_admin()
            else:
                target = self._account(username)
                users.set_fields(self.db, username, role=role.value)
                self._keep_an_admin()
            audit.record(self.db, actor.username, "user.role", "user", target.id,
                         {"username": username, "from": target.role.value, "to": role.value},
                         reason.strip())
            return self._account(username)

    def _keep_an_admin(self) -> None:
        if self._login is not None:
            from eventrisk.pg import identity

            if identity.admins(self.db) == 0:
                raise ValidationError([("role", "The desk must keep at least one login "
                                                "holding eventrisk_admin")])
            return
        if users.count_active_admins(self.db) == 0:
            raise ValidationError([("role", "The desk must keep at least one active "
                                            "administrator")])

    def setting(self, key: str) -> bool | int | str:
        """A desk setting's value."""
        self.reader()
        return settings.get(self.db, key)

    def set_setting(self, key: str, value: bool | int | str) -> None:
        """Change a desk setting (administrators only); audited with the old value."""
        value = settings.check(key, value)
        if key == "witness_file" and value:
            from pathlib import Path

            from eventrisk import witness

            witness.check_location(Path(str(value)), Path(self.path))
        with self.use_case("desk_settings") as actor:
            before = settings.get(self.db, key)
            settings.put(self.db, key, value)
            audit.record(self.db, actor.username, "settings.change", "settings", key,
                         {"from": before, "to": value})
