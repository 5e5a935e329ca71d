"""The desk service's foundation: the open database, the session, and the one way in to
every use case (``use_case``: ``BEGIN IMMEDIATE`` and the current account checked)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Self

from sqlite_utils import Database

from eventrisk import settings, submissions, users
from eventrisk.db import busy_sentence, open_database
from eventrisk.desk import signin
from eventrisk.errors import AuthError, PermissionDenied, StorageError, ValidationError
from eventrisk.model import Submission, User
from eventrisk.timeutil import now_utc
from eventrisk.venues import conflict_error


class DeskBase:
    """An open desk database and who is signed in to it."""

    def __init__(self, db: Database, path: str, *, clock: Callable[[], datetime] = now_utc):
        self.db = db
        self.path = path
        self.clock = clock
        self._user: User | None = None
        # On a server desk where people sign in as their own logins: the login's user and
        # password for libpq (in memory only, for a worker's connection and reconnecting).
        self._login: dict | None = None

    # ---- opening and signing in -------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path, *, create: bool = False) -> Self:
        """Open (and migrate) the desk database at ``path``."""
        return cls(open_database(path, create=create), str(path))

    @classmethod
    def open_as(cls, target: str, name: str, password: str) -> Self:
        """Open a server desk as the person's own login and sign them in: ``name`` and
        ``password`` go to libpq, and the server's authentication decides."""
        import psycopg

        from eventrisk.db import busy_timeout
        from eventrisk.pg import identity
        from eventrisk.pg.desk import open_server

        login = {"user": name.strip(), "password": password or None}
        try:
            db = open_server(target, create=False, timeout=busy_timeout(), login=login)
        except StorageError as exc:
            if isinstance(exc.__cause__, psycopg.OperationalError):
                raise identity.auth_error(exc.__cause__, name.strip()) from None
            raise
        desk = cls(db, target)  # type: ignore[arg-type]
        desk._login = login
        desk.sign_in(name, password)
        return desk

    def close(self) -> None:
        self.db.close()

    def for_worker(self) -> Self:
        """The same desk and account on a new connection, for a background thread."""
        if self._login is not None:
            from eventrisk.db import busy_timeout
            from eventrisk.pg.desk import open_server

            other = type(self)(open_server(self.path, create=False, timeout=busy_timeout(),
                                           login=self._login), self.path)  # type: ignore[arg-type]
            other._login = self._login
        else:
            other = type(self).open(self.path)
        other._user = self._user
        other.clock = self.clock
        return other

    @property
    def user(self) -> User | None:
        """Who is signed in (as of sign-in; use cases re-read the account)."""
        return self._user

    @property
    def training(self) -> bool:
        """Whether this is a training desk of demo data."""
        return settings.is_training(self.db)

    def may(self, permission: str) -> bool:
        """Whether the signed-in account's role allows this (for showing buttons; every use
        case checks again against the account as it is then)."""
        return self._user is not None and users.can(self._user, permission)

    def needs_first_admin(self) -> bool:
        """A new desk: no account exists yet (never on a server desk whose people are its
        logins: the DBA makes the first administrator's login)."""
        if self.logins():
            return False
        return users.count_users(self.db) == 0

    def logins(self) -> bool:
        """Whether people sign in to this desk as their own server logins (a server desk
        opened by a workstation's login, not by the DBA: ``eventrisk.pg.identity``)."""
        if self._login is not None:
            return True
        from eventrisk import dialect

        if not dialect.of(self.db).server:
            return False
        from eventrisk.pg import identity

        return identity.kind(self.db) != identity.OWNER

    def who_enforces(self) -> str:
        """One sentence for the About box: what keeps each person to their role here."""
        from eventrisk import dialect

        if not dialect.of(self.db).server:
            return ("This desk is a file. Anyone who holds the file can change it, so its "
                    "accounts and roles are kept by EventRisk alone. A desk shared by several "
                    "people belongs on a PostgreSQL server, where the server itself enforces "
                    "each person's role.")
        if self.logins():
            return ("Each person signs in to this server desk as their own login, and the "
                    "PostgreSQL server enforces their role, whatever a workstation sends.")
        return ("Connected as the server's administrator or the desk's owner: the desk's own "
                "accounts apply here. Workstations connect as each person's own login.")

    def server_login(self) -> str | None:
        """The login this server desk is connected as, where people are logins."""
        if not self.logins():
            return None
        from eventrisk.pg import identity

        return identity.login(self.db)

    def sign_in(self, name: str, password: str) -> User:
        """Check the password (throttled, see ``signin``) and start a session.  On a server
        desk whose people are its logins, the name and password go to libpq: the desk
        connects again as that login unless it is connected as it already."""
        self._user = None
        if self.logins():
            self._user = self._sign_in_login(name.strip(), password)
        else:
            self._user = signin.sign_in(self.db, name, password, self.clock())
        return self._user

    def _sign_in_login(self, name: str, password: str) -> User:
        import psycopg

        from eventrisk.db import busy_timeout
        from eventrisk.errors import StorageError
        from eventrisk.pg import identity
        from eventrisk.pg.desk import open_server

        if not name:
            raise AuthError("Give your login's name to sign in.")
        if name != identity.login(self.db) or (self._login is not None and password
                                               and password != self._login.get("password")):
            login = {"user": name, "password": password or None}
            try:
                db = open_server(self.path, create=False, timeout=busy_timeout(), login=login)
            except StorageError as exc:
                cause = exc.__cause__
                if isinstance(cause, psycopg.OperationalError):
                    raise identity.auth_error(cause, name) from None
                raise
            self.db.close()
            self.db = db  # type: ignore[assignment]
            self._login = login
        elif self._login is None:
            self._login = {"user": name, "password": None}
        if identity.kind(self.db) != identity.PERSON:
            raise AuthError(f"The login {name} holds no desk role on this server; an "
                            "administrator gives one (eventrisk role NAME officer).")
        return identity.person(self.db)

    def sign_out(self) -> None:
        self._user = None

    def heartbeat(self) -> None:
        """This workstation has the desk open (the app calls it every minute); a restore
        refuses while others have."""
        from eventrisk.desk.restore import heartbeat

        heartbeat(self.db, self._user.username if self._user else "")

    def leave(self) -> None:
        """This workstation closes the desk."""
        from eventrisk.desk.restore import leave

        leave(self.db)

    # ---- the one way in ---------------------------------------------------------------------
    def _fresh_actor(self, permission: str | None, *, allow_password_change: bool = False
                     ) -> User:
        if self._user is None:
            raise AuthError("Sign in first.")
        if self._login is not None:  # the server says who this is and what they may do
            from eventrisk.pg import identity

            actor = identity.person(self.db)
            if actor.username != self._user.username:
                raise PermissionDenied("This desk is connected as another login now; sign in "
                                       "again.")
            if permission is not None:
                users.require(actor, permission)
            self._user = actor
            return actor
        actor = users.find_user(self.db, self._user.username)
        if actor is None or not actor.active:
            raise PermissionDenied(f"The account {self._user.username} has been deactivated; "
                                   "nothing was saved.")
        if actor.locked:
            raise PermissionDenied(f"The account {actor.username} is locked; nothing was saved.")
        if actor.must_change_password and not allow_password_change:
            raise PermissionDenied("Choose a new password before you work on the desk "
                                   "(your administrator set a temporary one).")
        if permission is not None:
            users.require(actor, permission)
        self._user = actor
        return actor

    @contextmanager
    def use_case(self, permission: str | None) -> Iterator[User]:
        """One use case: ``BEGIN IMMEDIATE``, the current account checked, commit or roll
        back.  Yields the account as it is now.  A file desk that stays locked by another
        writer past the busy timeout is one sentence naming who holds it and what they said
        they were doing (``eventrisk.db.busy_sentence``), in the app's every form alike."""
        try:
            with self.db.atomic():
                yield self._fresh_actor(permission)
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc).lower() or "busy" in str(exc).lower():
                raise StorageError(busy_sentence(self.path)) from exc
            raise

    # ---- decisions (each names the version the person saw) ---------------------------------
    def _check_version(self, sub: Submission, seen_version: int | None) -> None:
        if seen_version is None:
            raise ValidationError([("version", "A decision must name the version of the "
                                               "assessment that was seen")])
        if sub.version != seen_version:
            assert sub.id is not None
            raise conflict_error(self.db, "submissions", sub.id, "submission", sub.reference)

    @contextmanager
    def decision(self, permission: str, submission_id: int,
                 seen_version: int | None) -> Iterator[tuple[User, Submission]]:
        """A decision's use case: the submission as it is, checked against what was seen."""
        with self.use_case(permission) as actor:
            sub = submissions.get(self.db, submission_id)
            self._check_version(sub, seen_version)
            yield actor, sub

    def reader(self) -> User:
        """The account for a read (signed in, still active)."""
        return self._fresh_actor("read")

