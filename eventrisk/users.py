"""Users, roles and sign-in (argon2), and the single place that says who may do what."""

from __future__ import annotations

import getpass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlite_utils import Database

from eventrisk import audit
from eventrisk.errors import AuthError, PermissionDenied, ValidationError
from eventrisk.model import Role, User
from eventrisk.timeutil import now_utc, to_db

_HASHER = PasswordHasher()

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
}

ACTION_WORDS = {
    "approve": "approve an assessment",
    "return": "return an assessment",
    "override": "override a grade",
    "publish_rules": "publish a ruleset",
    "manage_users": "manage user accounts",
}


def can(user: User, action: str) -> bool:
    """Whether ``user`` may take ``action`` (a key of ``PERMISSIONS``)."""
    return user.active and user.role in PERMISSIONS[action]


def require(user: User, action: str) -> None:
    """Raise ``PermissionDenied`` unless ``user`` may take ``action``."""
    if not can(user, action):
        words = ACTION_WORDS.get(action, action.replace("_", " "))
        raise PermissionDenied(f"{user.display_name} ({user.role.label}) may not {words}.")


def system_user() -> User:
    """The actor for command-line work: the operating-system user, with admin rights."""
    try:
        name = getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        name = "unknown"
    return User(username=f"cli:{name}", display_name=f"Command line ({name})", role=Role.ADMIN)


def _row_to_user(row: dict) -> User:
    return User(username=row["username"], display_name=row["display_name"],
                role=Role(row["role"]), id=row["id"], active=bool(row["active"]))


def count_users(db: Database) -> int:
    """How many accounts exist (0 means first run)."""
    return db.execute("SELECT count(*) FROM users").fetchone()[0]


def create_user(db: Database, actor: User | None, username: str, display_name: str,
                role: Role, password: str) -> User:
    """Add an account.  Only an admin may, except for the very first account."""
    problems = []
    if not username.strip():
        problems.append(("username", "User name is required"))
    if not display_name.strip():
        problems.append(("display_name", "Name is required"))
    if len(password) < 8:
        problems.append(("password", "Password must be at least 8 characters"))
    if problems:
        raise ValidationError(problems)
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
            "INSERT INTO users (username, display_name, role, password_hash, active, created_at)"
            " VALUES (?, ?, ?, ?, 1, ?)",
            [username.strip(), display_name.strip(), role.value, _HASHER.hash(password),
             to_db(now_utc())],
        )
        who = actor.username if actor else username
        audit.record(db, who, "user.create", "user", cur.lastrowid,
                     {"username": username, "role": role.value})
    return get_user(db, username)


def get_user(db: Database, username: str) -> User:
    """The account named ``username``."""
    rows = list(db.query("SELECT * FROM users WHERE username = ?", [username]))
    if not rows:
        raise AuthError(f"There is no user called '{username}'.")
    return _row_to_user(rows[0])


def list_users(db: Database) -> list[User]:
    """Active accounts, by name (a desk has tens, never thousands)."""
    return [_row_to_user(r) for r in db.query(
        "SELECT * FROM users WHERE active = 1 ORDER BY display_name LIMIT 500")]


def authenticate(db: Database, username: str, password: str) -> User:
    """The user if the password matches; ``AuthError`` otherwise (same message either way)."""
    rows = list(db.query("SELECT * FROM users WHERE username = ? AND active = 1", [username]))
    if rows:
        try:
            _HASHER.verify(rows[0]["password_hash"], password)
            return _row_to_user(rows[0])
        except (VerificationError, InvalidHashError):
            pass
    raise AuthError("The user name or password is wrong.")
