"""Who is at a server desk: the PostgreSQL login, and its desk role.

On a server desk each person signs in as their own login (``docs/postgresql.md``): the
password goes to libpq and the server's own authentication (``scram-sha-256``, ``ldap``,
``gss``) decides; EventRisk never stores it.  The person's desk role is their membership of
``eventrisk_officer``, ``eventrisk_supervisor`` or ``eventrisk_admin``, read from the server
at every use case, and the ``users`` table holds their display name only.  Administrators
give and take those roles with ``GRANT`` and ``REVOKE``, through the ADMIN OPTION the grants
script gives ``eventrisk_admin``.

Three kinds of connection:

- ``PERSON``: a login with a desk role.  The triggers of m020 hold it to that role.
- ``NO_ROLE``: a workstation login (in ``eventrisk_desk``) with no desk role, such as the
  shared login of an older desk: it may read, and signing in connects again as the person.
- ``OWNER``: the server's superuser or the schema's owner (the DBA, ``eventrisk init`` and
  ``migrate``, and the test suite).  The server cannot hold such a login to anything, so the
  desk's own accounts apply as on a file.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from eventrisk.errors import AuthError, PermissionDenied, ValidationError
from eventrisk.model import Role, User

PERSON, NO_ROLE, OWNER = "person", "no_role", "owner"
DESK_ROLES = {Role.OFFICER: "eventrisk_officer", Role.SUPERVISOR: "eventrisk_supervisor",
              Role.ADMIN: "eventrisk_admin"}


def kind(db) -> str:
    """Which kind of connection ``db`` is (``PERSON``, ``NO_ROLE`` or ``OWNER``)."""
    role, desk = db.execute("SELECT eventrisk.desk_role(), eventrisk.at_workstation()"
                            ).fetchone()
    return PERSON if role else NO_ROLE if desk else OWNER


def login(db) -> str:
    return db.execute("SELECT session_user").fetchone()[0]


def person(db) -> User:
    """The signed-in person as the server knows them now: their login, the role their
    membership gives, their display name (made on first sign-in)."""
    name, role = db.execute("SELECT session_user, eventrisk.desk_role()").fetchone()
    if role is None:
        raise PermissionDenied(f"The login {name} holds no desk role on this server now; an "
                               "administrator gives one (eventrisk role NAME officer).")
    row = db.execute("SELECT id, display_name FROM users WHERE username = ?", [name]
                     ).fetchone()
    if row is None:
        with db.atomic():
            db.execute("SELECT eventrisk.enrol(?)", [name])
        row = db.execute("SELECT id, display_name FROM users WHERE username = ?", [name]
                         ).fetchone()
    return User(username=name, display_name=row[1], role=Role(role), id=row[0], active=True)


def role_of(db, name: str) -> Role | None:
    found = db.execute("SELECT eventrisk.desk_role_of(?)", [name]).fetchone()[0]
    return Role(found) if found else None


def is_login(db, name: str) -> bool:
    return db.execute("SELECT 1 FROM pg_roles WHERE rolname = ? AND rolcanlogin", [name]
                      ).fetchone() is not None


def admins(db) -> int:
    """This desk's people (logins with a display name here) who hold eventrisk_admin: the
    desk must keep one.  (Roles are the whole server's; the desk counts its own people.)"""
    return db.execute("SELECT count(*) FROM users u JOIN pg_roles r ON r.rolname = u.username "
                      "WHERE r.rolcanlogin AND eventrisk.desk_role_of(u.username) = 'admin'"
                      ).fetchone()[0]


def set_role(db, name: str, role: Role | None) -> None:
    """Give ``name`` exactly ``role`` (None: no desk role), by GRANT and REVOKE as the
    signed-in administrator (ADMIN OPTION; no superuser, no CREATEROLE).  In the caller's
    transaction; the server refuses what this login may not grant."""
    if not is_login(db, name):
        raise ValidationError([("username", f"There is no login {name} on this server; the "
                                            f"DBA makes it first: CREATE ROLE {name} LOGIN;")])
    who = sql.Identifier(name)
    try:
        for each, group in DESK_ROLES.items():
            held = db.execute("SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = "
                              "m.roleid JOIN pg_roles p ON p.oid = m.member WHERE g.rolname = ? "
                              "AND p.rolname = ?", [group, name]).fetchone() is not None
            if each is role and not held:
                grant = sql.SQL("GRANT {} TO {}").format(sql.Identifier(group), who)
                if role is Role.ADMIN:
                    grant += sql.SQL(" WITH ADMIN OPTION")
                db.execute(grant.as_string(db.conn.raw))
            elif each is not role and held:
                db.execute(sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(group), who)
                           .as_string(db.conn.raw))
    except psycopg.errors.InsufficientPrivilege as exc:
        raise PermissionDenied(f"The server refused to change {name}'s desk role: "
                               f"{str(exc).strip().splitlines()[0]}") from exc


def create_role_lines(name: str, role: Role) -> list[str]:
    """What the DBA runs to make a login for the person ``name`` with ``role``."""
    grant = f"GRANT {DESK_ROLES[role]} TO {name}" + (
        " WITH ADMIN OPTION" if role is Role.ADMIN else "")
    return [f"CREATE ROLE {name} LOGIN;", f"{grant};"]


def auth_error(exc: psycopg.Error, name: str) -> AuthError:
    """A failed connection as a person, in one sentence (the server's words kept short)."""
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    if "password" in text.lower() or "authentication" in text.lower():
        return AuthError(f"The server refused the sign-in of {name}: the name or password is "
                         "wrong, or the login may not connect.")
    return AuthError(f"The server refused the sign-in of {name}: {text}")


def change_password(db, name: str, new: str) -> None:
    """``ALTER ROLE`` the signed-in login's own password, hashed here by libpq with the
    server's scheme (scram-sha-256): the server never sees it in clear, nor any log."""
    raw = db.conn.raw
    hashed = raw.pgconn.encrypt_password(new.encode("utf-8"), name.encode("utf-8"))
    db.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(
        sql.Identifier(name), sql.Literal(hashed.decode("ascii"))).as_string(raw))


def map_accounts(db, accounts: list[tuple[str, Role]], *, create: bool
                 ) -> tuple[list[str], list[str]]:
    """Each file account as a login of the server desk ``db`` (connected as the DBA or the
    owner, as ``eventrisk migrate`` is): an existing login is given the account's desk role
    where this connection may grant it; a missing one is made (no password: the force's
    pg_hba.conf decides how it signs in) only with ``create`` and where this connection may
    create roles.  Returns what was done, and the statements left for the DBA."""
    done, for_dba = [], []
    raw = db.conn.raw
    may_create = db.execute("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = "
                            "current_user").fetchone()[0]
    for name, role in accounts:
        shown_name = sql.Identifier(name).as_string(raw)
        lines = create_role_lines(shown_name, role)
        if not is_login(db, name):
            if not (create and may_create):
                for_dba += lines
                continue
            with db.atomic():
                db.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(name))
                           .as_string(raw))
                set_role(db, name, role)
            done.append(f"{name}: login made, {DESK_ROLES[role]}")
            continue
        if role_of(db, name) is role:
            done.append(f"{name}: login exists, already {DESK_ROLES[role]}")
            continue
        try:
            with db.atomic():
                set_role(db, name, role)
        except PermissionDenied:
            for_dba += lines[1:]
            continue
        done.append(f"{name}: login exists, given {DESK_ROLES[role]}")
    return done, for_dba
