"""Users, roles and sign-in (argon2), and the single place that says who may do what."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlite_utils import Database

from eventrisk import audit
from eventrisk.errors import AuthError, PermissionDenied, ValidationError
from eventrisk.model import Role, User
from eventrisk.timeutil import now_utc, to_db
from eventrisk.validation import name_problem

# argon2id with argon2-cffi's defaults (RFC 9106 low-memory: 3 passes over 64 MiB, 4 lanes).
# Tests replace it with a cheap one through a single fixture; one test checks these figures.
HASHER = PasswordHasher()
MIN_PASSWORD = 8

# What each role may do.  The core checks this on every action; the UI only mirrors it.
PERMISSIONS: dict[str, frozenset[Role]] = {
    "capture": frozenset({Role.OFFICER, Role.SUPERVISOR, Role.ADMIN}),
    "score": frozenset({Role.OFFICER, Role.SUPERVISOR, Role.ADMIN}),
    "submit_for_review": frozenset({Role.OFFICER, Role.SUPERVISOR, Role.ADMIN}),
    "record_debrief": frozenset({Role.OFFICER, Role.SUPERVISOR, Role.ADMIN}),
    "record_incident": frozenset({Role.OFFICER, Role.SUPERVISOR, Role.ADMIN}),
    "approve": frozenset({Role.SUPERVISOR, Role.ADMIN}),
    "return": frozenset({Role.SUPERVISOR, Role.ADMIN}),
    "override": frozenset({Role.SUPERVISOR, Role.ADMIN}),
    "issue": frozenset({Role.OFFICER, Role.SUPERVISOR, Role.ADMIN}),
    "cancel": frozenset({Role.OFFICER, Role.SUPERVISOR, Role.ADMIN}),
    "publish_rules": frozenset({Role.SUPERVISOR, Role.ADMIN}),
    "import": frozenset({Role.OFFICER, Role.SUPERVISOR, Role.ADMIN}),
    "manage_users": frozenset({Role.ADMIN}),
    "import_with_status": frozenset({Role.ADMIN}),
    "rescore_all": frozenset({Role.SUPERVISOR, Role.ADMIN}),
    "calibration": frozenset({Role.SUPERVISOR, Role.ADMIN}),
    "desk_settings": frozenset({Role.ADMIN}),
    "personal_data": frozenset({Role.ADMIN}),
    "assign": frozenset({Role.SUPERVISOR, Role.ADMIN}),
    "read": frozenset({Role.OFFICER, Role.SUPERVISOR, Role.ADMIN}),
}

ACTION_WORDS = {
    "approve": "approve an assessment",
    "return": "return an assessment",
    "override": "override a grade",
    "publish_rules": "publish a ruleset",
    "manage_users": "manage user accounts",
    "import_with_status": "import events with their workflow status",
    "rescore_all": "rescore every submission",
    "calibration": "see the calibration and disparity report",
    "desk_settings": "change the desk's settings",
    "personal_data": "manage personal data (retention, subject access, erasure)",
    "assign": "assign events to officers",
}


def can(user: User, action: str) -> bool:
    """Whether ``user`` may take ``action`` (a key of ``PERMISSIONS``)."""
    return user.active and user.role in PERMISSIONS[action]


def require(user: User, action: str) -> None:
    """Raise ``PermissionDenied`` unless ``user`` may take ``action``."""
    if not can(user, action):
        words = ACTION_WORDS.get(action, action.replace("_", " "))
        raise PermissionDenied(f"{user.display_name} ({user.role.label}) may not {words}.")


# An account's columns, never its password hash (which a server desk's logins may not read).
COLUMNS = "id, username, display_name, role, active, must_change_password, locked"


def _row_to_user(row: dict) -> User:
    return User(username=row["username"], display_name=row["display_name"],
                role=Role(row["role"]), id=row["id"], active=bool(row["active"]),
                must_change_password=bool(row.get("must_change_password")),
                locked=bool(row.get("locked")))


def password_problems(password: str, field: str = "password") -> list[tuple[str, str]]:
    """What is wrong with a new password (nothing: an empty list)."""
    if len(password) < MIN_PASSWORD:
        return [(field, f"Password must be at least {MIN_PASSWORD} characters")]
    if password != password.strip():
        return [(field, "Password must not start or end with a space")]
    return []


def count_users(db: Database) -> int:
    """How many accounts exist (0 means first run)."""
    return db.execute("SELECT count(*) FROM users").fetchone()[0]


def create_user(db: Database, actor: User | None, username: str, display_name: str,
                role: Role, password: str, *, must_change: bool = False) -> User:
    """Add an account.  Only an admin may, except for the very first account.

    ``must_change``: the person must choose their own password at first sign-in."""
    problems = []
    username = username.strip()
    if not username:
        problems.append(("username", "User name is required"))
    elif not all(c.isalnum() or c in "._-" for c in username) or len(username) > 40:
        problems.append(("username", "User name: up to 40 letters, digits, '.', '_' or '-'"))
    if not display_name.strip():
        problems.append(("display_name", "Name is required"))
    elif (problem := name_problem("Name", display_name)) is not None:
        problems.append(("display_name", problem))
    problems += password_problems(password)
    if problems:
        raise ValidationError(problems)
    hashed = HASHER.hash(password)
    with db.atomic():
        first = count_users(db) == 0
        if not first:
            if actor is None:
                raise PermissionDenied("Only an administrator may add accounts.")
            require(actor, "manage_users")
        elif role is not Role.ADMIN:
            raise ValidationError([("role", "The first account must be an administrator")])
        if db.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
            raise ValidationError([("username", f"User name '{username}' is already taken")])
        cur = db.execute(
            "INSERT INTO users (username, display_name, role, password_hash, active, created_at,"
            " must_change_password) VALUES (?, ?, ?, ?, 1, ?, ?)",
            [username, display_name.strip(), role.value, hashed,
             to_db(now_utc()), int(must_change)],
        )
        who = actor.username if actor else username
        audit.record(db, who, "user.create", "user", cur.lastrowid,
                     {"username": username, "role": role.value,
                      "must_change_password": must_change,
                      "password": fingerprint(hashed)})
    return get_user(db, username)


def get_user(db: Database, username: str) -> User:
    """The account named ``username``."""
    rows = list(db.query(f"SELECT {COLUMNS} FROM users WHERE username = ?", [username]))
    if not rows:
        raise AuthError(f"There is no user called '{username}'.")
    return _row_to_user(rows[0])


def find_user(db: Database, username: str) -> User | None:
    """The account named ``username``, or None."""
    rows = list(db.query(f"SELECT {COLUMNS} FROM users WHERE username = ?", [username]))
    return _row_to_user(rows[0]) if rows else None


def list_users(db: Database, *, include_inactive: bool = False) -> list[User]:
    """Accounts by name (a desk has tens, never thousands); active ones unless asked."""
    where = "" if include_inactive else "WHERE active = 1 "
    return [_row_to_user(r) for r in db.query(
        f"SELECT {COLUMNS} FROM users {where}ORDER BY display_name LIMIT 500")]


def password_matches(stored_hash: str, password: str) -> bool:
    """Whether ``password`` matches an argon2 hash (never raises on a bad hash)."""
    try:
        return HASHER.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def fingerprint(stored_hash: str) -> str:
    """The SHA-256 of a stored hash, as an account's password entries record it (verify names
    a hash swapped in by hand; the salted hash cannot be rebuilt from it)."""
    import hashlib

    return hashlib.sha256(stored_hash.encode("utf-8")).hexdigest()


def password_hash(db: Database, username: str) -> str | None:
    """The stored hash of an account (for sign-in only)."""
    row = db.execute("SELECT password_hash FROM users WHERE username = ?", [username]).fetchone()
    return row[0] if row else None


def set_password(db: Database, username: str, password: str, *, must_change: bool) -> str:
    """Store a new password (checked first); clears any lock.  Not audited here: returns the
    new hash's ``fingerprint`` for the caller's entry."""
    problems = password_problems(password)
    if problems:
        raise ValidationError(problems)
    hashed = HASHER.hash(password)
    db.execute("UPDATE users SET password_hash = ?, must_change_password = ?, locked = 0 "
               "WHERE username = ?", [hashed, int(must_change), username])
    return fingerprint(hashed)


def set_fields(db: Database, username: str, **values: object) -> None:
    """Change an account's role, active or locked flag.  Not audited here."""
    allowed = {"role", "active", "locked"}
    assert set(values) <= allowed, values
    sets = ", ".join(f"{k} = ?" for k in values)
    db.execute(f"UPDATE users SET {sets} WHERE username = ?",
               [*(int(v) if isinstance(v, bool) else v for v in values.values()), username])


def count_active_admins(db: Database) -> int:
    """Active administrators (the desk must always keep one)."""
    return db.execute("SELECT count(*) FROM users WHERE role = 'admin' AND active = 1 "
                      "AND locked = 0").fetchone()[0]
