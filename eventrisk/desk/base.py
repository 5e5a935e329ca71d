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

    # ---- opening and signing in -------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path, *, create: bool = False) -> Self:
        """Open (and migrate) the desk database at ``path``."""
        return cls(open_database(path, create=create), str(path))

    def close(self) -> None:
        self.db.close()

    def for_worker(self) -> Self:
        """The same desk and account on a new connection, for a background thread."""
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
        """A new desk: no account exists yet."""
        return users.count_users(self.db) == 0

    def sign_in(self, name: str, password: str) -> User:
        """Check the password (throttled, see ``signin``) and start a session."""
        self._user = None
        self._user = signin.sign_in(self.db, name, password, self.clock())
        return self._user

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

