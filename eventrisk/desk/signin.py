"""Signing in: a password check that cannot be hammered and does not give names away.

- Failures are counted per name typed (whether or not such an account exists).  From the
  ``THROTTLE_FROM``-th failure each attempt must wait twice as long as the last
  (1 s, 2 s, 4 s ... up to ``MAX_DELAY``); at ``LOCK_AFTER`` the name is locked and only an
  administrator can unlock the account (by resetting its password).  The desk's last active
  administrator is throttled but never locked: nobody could unlock the desk; should none be
  left (a desk locked before this rule), ``eventrisk recover`` brings one back.
- An unknown name is checked against a dummy hash made with the same argon2 parameters, so
  it costs the same time as a known one.
- The slow argon2 check runs outside any transaction: a sign-in never holds the desk's write
  lock while it hashes.
"""

from __future__ import annotations

import math
from datetime import datetime
from functools import lru_cache

from sqlite_utils import Database

from eventrisk import audit, dialect, users
from eventrisk.errors import AuthError
from eventrisk.model import Role, User
from eventrisk.timeutil import from_db, to_db

THROTTLE_FROM = 3
LOCK_AFTER = 10
MAX_DELAY = 300

WRONG = "The user name or password is wrong."
NO_ADMIN = ("No administrator can sign in now: on the computer that holds the desk file, run "
            "'eventrisk recover' with the recovery code printed when the desk was created.")
NO_ADMIN_SERVER = ("No administrator can sign in now: the database administrator (DBA) "
                   "resets an administrator's login on the server.")
LOCKED = ("This account is locked after {n} failed sign-ins in a row; an administrator "
          "can unlock it by resetting its password.")


def delay_after(failures: int) -> int:
    """Seconds a name must wait after ``failures`` failures in a row."""
    if failures < THROTTLE_FROM:
        return 0
    return min(2 ** (failures - THROTTLE_FROM), MAX_DELAY)


@lru_cache(maxsize=4)
def _dummy_hash(params: tuple) -> str:
    return users.HASHER.hash("not a password anyone has")


def _key(name: str) -> str:
    return name.strip().casefold()


def failures(db: Database, name: str) -> tuple[int, str | None]:
    """How many failures in a row a name has, and when the last was (stored time)."""
    row = db.execute("SELECT failures, last_failed_at FROM sign_in_failures WHERE name = ?",
                     [_key(name)]).fetchone()
    return (row[0], row[1]) if row else (0, None)


def _last_admin(db: Database, account: User | None) -> bool:
    """Whether ``account`` is the desk's only active, unlocked administrator: it is throttled,
    never locked, or nobody could unlock the desk."""
    return (account is not None and account.role is Role.ADMIN and account.active
            and not account.locked and users.count_active_admins(db) <= 1)


def _locked(db: Database, account: User | None, count: int) -> AuthError:
    message = LOCKED.format(n=max(count, LOCK_AFTER))
    if account is not None and account.role is Role.ADMIN and \
            users.count_active_admins(db) == 0:
        message += " " + (NO_ADMIN_SERVER if dialect.of(db).server else NO_ADMIN)
    return AuthError(message)


def sign_in(db: Database, name: str, password: str, now: datetime) -> User:
    """The account if ``password`` is right; ``AuthError`` with one plain sentence if not."""
    name = name.strip()
    count, last = failures(db, name)
    account = users.find_user(db, name)
    last_admin = _last_admin(db, account)
    if (count >= LOCK_AFTER and not last_admin) or (account is not None and account.locked):
        raise _locked(db, account, count)
    if last is not None:
        wait = delay_after(count) - (now - from_db(last)).total_seconds()
        if wait > 0:
            raise AuthError(f"Too many failed sign-ins for this name; wait {math.ceil(wait)} "
                            "seconds and try again.")
    stored = users.password_hash(db, name) if account is not None else None
    params = (users.HASHER.time_cost, users.HASHER.memory_cost, users.HASHER.parallelism)
    matches = users.password_matches(stored or _dummy_hash(params), password)
    if matches and account is not None:
        if count:  # only then write: a read-only desk can still be signed in to and read
            with db.atomic():
                db.execute("DELETE FROM sign_in_failures WHERE name = ?", [_key(name)])
        if not account.active:
            raise AuthError("This account has been deactivated; ask an administrator.")
        return account
    with db.atomic():
        count, _ = failures(db, name)
        count += 1
        db.execute("INSERT INTO sign_in_failures (name, failures, last_failed_at) VALUES "
                   "(?, ?, ?) ON CONFLICT(name) DO UPDATE SET failures = excluded.failures, "
                   "last_failed_at = excluded.last_failed_at", [_key(name), count, to_db(now)])
        if account is not None:
            audit.record(db, "(sign-in)", "user.sign_in_failed", "user", account.id,
                         {"failures": count})
            if count >= LOCK_AFTER and not last_admin:
                users.set_fields(db, account.username, locked=True)
                audit.record(db, "(sign-in)", "user.locked", "user", account.id,
                             {"failures": count})
    if count >= LOCK_AFTER and not last_admin:
        raise _locked(db, account, count)
    raise AuthError(WRONG)


def clear(db: Database, name: str) -> None:
    """Forget a name's failures (an administrator reset its password)."""
    db.execute("DELETE FROM sign_in_failures WHERE name = ?", [_key(name)])
