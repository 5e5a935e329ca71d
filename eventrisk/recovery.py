"""The desk's recovery code: how a file desk gets an administrator back when none can sign in.

- A code of 25 letters and digits (five groups of five, about 124 bits; no 0/O/1/I/L) is
  printed once when the first administrator is created (``eventrisk init --admin``, or the
  first-run screen), and again, new, after each use or when an administrator asks for one.
- Only its argon2 hash is kept, in the settings table under ``recovery_code``; each new code
  is audited with a fingerprint of that hash, so verify notices a hash swapped in by hand.
- ``recover`` checks the code (argon2, outside any transaction), then in one transaction sets
  the administrator's new password, reactivates and unlocks the account, clears its failed
  sign-ins, audits ``user.recover`` and replaces the code, which is single-use.  A wrong code
  is audited too.  The code is the check of local access: it is kept on paper, away from the
  computer, and no sign-in or network path offers it.
- A server desk has no passwords of EventRisk's: its DBA resets a login there.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlite_utils import Database

from eventrisk import audit, dialect, users
from eventrisk.errors import AuthError, NotFoundError, PermissionDenied, ValidationError
from eventrisk.model import Role

KEY = "recovery_code"
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
GROUPS, GROUP = 5, 5
SERVER = ("On a server desk EventRisk keeps no passwords: the database administrator (DBA) "
          "resets the login's password (ALTER ROLE name PASSWORD ...) and unlocks it.")
NO_CODE = ("This desk has no recovery code. An administrator who can still sign in makes one "
           "with 'eventrisk recover --new-code'; without one, restore the last backup.")
WRONG = "That recovery code is wrong (it is on the paper printed when the desk was created)."


def normalised(code: str) -> str:
    """A code as typed, with spaces and dashes dropped and letters in capitals."""
    return "".join(c for c in code.upper() if c.isalnum())


def fingerprint(stored: str) -> str:
    """What the audit trail records of a stored code hash."""
    return hashlib.sha256(stored.encode("utf-8")).hexdigest()


def stored_hash(db: Database) -> str | None:
    row = db.execute("SELECT value FROM settings WHERE key = ?", [KEY]).fetchone()
    return row[0] if row else None


def make_code(db: Database, actor: str) -> str:
    """Replace the desk's recovery code with a new one and return it (shown once).  Call inside
    the use case's transaction."""
    if dialect.of(db).server:
        raise PermissionDenied(SERVER)
    code = "-".join("".join(secrets.choice(ALPHABET) for _ in range(GROUP))
                    for _ in range(GROUPS))
    stored = users.HASHER.hash(normalised(code))
    db.execute("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE "
               "SET value = excluded.value", [KEY, stored])
    audit.record(db, actor, "desk.recovery_code", "settings", KEY,
                 {"fingerprint": fingerprint(stored)})
    return code


def recover(db: Database, code: str, username: str, password: str) -> str:
    """Reset administrator ``username``'s password with the recovery code; returns the new
    code.  ``AuthError`` for a wrong code, ``ValidationError`` for a bad password."""
    if dialect.of(db).server:
        raise PermissionDenied(SERVER)
    problems = users.password_problems(password, "new_password")
    if problems:
        raise ValidationError(problems)
    stored = stored_hash(db)
    if stored is None:
        raise AuthError(NO_CODE)
    if not users.password_matches(stored, normalised(code)):
        with db.atomic():
            audit.record(db, "(recovery)", "desk.recovery_refused", "settings", KEY,
                         {"username": username})
        raise AuthError(WRONG)
    with db.atomic():
        if stored_hash(db) != stored:  # another recovery took this code meanwhile
            raise AuthError(WRONG)
        target = users.find_user(db, username.strip())
        if target is None:
            raise NotFoundError(f"There is no account called '{username.strip()}'.")
        if target.role is not Role.ADMIN:
            raise PermissionDenied(f"{target.username} is not an administrator; the recovery "
                                   "code restores administrators only (who then reset the "
                                   "others).")
        made = users.set_password(db, target.username, password, must_change=False)
        users.set_fields(db, target.username, active=True)
        db.execute("DELETE FROM sign_in_failures WHERE name = ?",
                   [target.username.strip().casefold()])
        audit.record(db, "(recovery)", "user.recover", "user", target.id,
                     {"username": target.username, "was_locked": target.locked,
                      "was_active": target.active,
                      "password": made})
        return make_code(db, "(recovery)")
