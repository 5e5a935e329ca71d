"""What ``audit verify`` checks of a desk's schema on a server.

On a file, verify compares every table, index and trigger with what the migrations make,
because anyone who can write the file can change them.  On a server the workstations cannot
change the schema at all; what remains to check is that the owner has not weakened it: the
migrations applied are this release's, the triggers that keep records immutable are there and
enabled, and the workstations' group may not change or remove those records, nor create
anything.
"""

from __future__ import annotations

from eventrisk.pg import schema
from eventrisk.pg.connection import SCHEMA

APPEND_ONLY = ("audit_log", "assessments", "reviews", "issued_documents")
DESK_ROLE = "eventrisk_desk"


def check_server_schema(db) -> list[str]:
    out = []
    done = schema.applied(db)
    if set(done) != {name for name, _ in schema.MIGRATIONS}:
        out.append("the record of applied migrations differs from this EventRisk's")
    for table in APPEND_ONLY:
        row = db.execute(
            "SELECT t.tgenabled FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? "
            "AND c.relname = ? AND t.tgname = ?", [SCHEMA, table, f"{table}_immutable"]
        ).fetchone()
        if row is None:
            out.append(f"the trigger that keeps {table} unchangeable is missing")
        elif row[0] != "O":
            out.append(f"the trigger that keeps {table} unchangeable is disabled")
    role = db.execute("SELECT 1 FROM pg_roles WHERE rolname = ?", [DESK_ROLE]).fetchone()
    if role is None:
        out.append(f"the workstations' role {DESK_ROLE} does not exist; run "
                   "docs/postgresql-grants.sql")
        return out
    if db.execute("SELECT has_schema_privilege(?, ?, 'CREATE')", [DESK_ROLE, SCHEMA]
                  ).fetchone()[0]:
        out.append(f"the workstations' role {DESK_ROLE} may create objects in the desk's "
                   "schema")
    for table in APPEND_ONLY:
        for right in ("UPDATE", "DELETE", "TRUNCATE"):
            if db.execute("SELECT has_table_privilege(?, ?, ?)",
                          [DESK_ROLE, f"{SCHEMA}.{table}", right]).fetchone()[0]:
                out.append(f"the workstations' role {DESK_ROLE} may {right} {table}")
    return out


# ---- people as logins (m020, docs/postgresql-grants.sql) -------------------------------------

PEOPLE = ("eventrisk_officer", "eventrisk_supervisor", "eventrisk_admin")
ROLE_CHAIN = (("eventrisk_desk", "eventrisk_officer", False),
              ("eventrisk_officer", "eventrisk_supervisor", False),
              ("eventrisk_supervisor", "eventrisk_admin", True),
              ("eventrisk_officer", "eventrisk_admin", True))
PEOPLE_TRIGGERS = (("audit_log", "audit_log_people"), ("submissions", "submissions_people"),
                   ("reviews", "reviews_people"), ("promoters", "promoters_anonymised_at"),
                   ("submissions", "submissions_anonymised_at"),
                   ("incidents", "incidents_anonymised_at"))
RUN_ACTIONS = ("retention.apply", "retention.dispose", "promoter.erase")
ADMIN_FUNCTIONS = ("anonymise_audit_entry", "anonymise_review_comment", "begin_retention_run")
ADMIN_TABLES = ("settings", "retention_holds")
READ_ONLY = ("eventrisk_migrations", "snapshot_dictionaries", "retention_runs",
             "retention_run_members", "identity_since")
_SHOWN = 5  # entries named per finding; the rest are counted


def _named(ids: list, what: str) -> str:
    more = f" and {len(ids) - _SHOWN} more" if len(ids) > _SHOWN else ""
    return f"{what} {', '.join(str(i) for i in ids[:_SHOWN])}{more}"


def check_server_identity(db) -> list[str]:
    """What verify checks of a server desk whose people are its logins: each entry's actor
    is the login that wrote it, each retention run was recorded by the server for an
    administrator's login and anonymised only what it disposed of, and the roles and
    privileges are those docs/postgresql-grants.sql gives."""
    out = []
    roles = {r[0] for r in db.execute("SELECT rolname FROM pg_roles WHERE rolname IN "
                                      "(?, ?, ?, ?)", [DESK_ROLE, *PEOPLE])}
    if roles != {DESK_ROLE, *PEOPLE}:
        return [f"the desk roles {', '.join(sorted({DESK_ROLE, *PEOPLE} - roles))} do not "
                "exist; run docs/postgresql-grants.sql"]
    since = db.execute("SELECT max(entry) FROM identity_since").fetchone()[0] or 0
    people = "(SELECT rolname FROM pg_roles WHERE NOT rolsuper AND pg_has_role(oid, " \
             "'eventrisk_desk', 'MEMBER'))"
    wrong = [r[0] for r in db.execute(
        f"SELECT id FROM audit_log WHERE id > ? AND actor <> written_by AND written_by IN "
        f"{people} ORDER BY id", [since])]
    if wrong:
        out.append(_named(wrong, "the actor is not the login that wrote audit entry"))
    runs = {r[0]: r[1:] for r in db.execute(
        "SELECT entry, login, login_role FROM retention_runs WHERE entry IS NOT NULL")}
    unrecorded, not_admin = [], []
    for entry, writer in db.execute(
            f"SELECT id, written_by FROM audit_log WHERE id > ? AND action IN "
            f"({', '.join('?' for _ in RUN_ACTIONS)}) ORDER BY id", [since, *RUN_ACTIONS]):
        run = runs.get(entry)
        if run is None or run[0] != writer:
            unrecorded.append(entry)
        elif run[1] != "admin" and db.execute(f"SELECT ? IN {people}", [writer]).fetchone()[0]:
            not_admin.append(entry)
    if unrecorded:
        out.append(_named(unrecorded, "no retention run the server recorded wrote entry"))
    if not_admin:
        out.append(_named(not_admin, "a login that is not an administrator's wrote the "
                                     "retention run of entry"))
    uncovered = [r[0] for r in db.execute(
        "SELECT a.id FROM audit_log a WHERE a.redacted_in > ? AND NOT EXISTS ("
        " SELECT 1 FROM retention_runs r JOIN retention_run_members m ON m.run = r.id"
        " WHERE r.entry = a.redacted_in AND ((m.entity = a.entity AND m.entity_id = a.entity_id)"
        "  OR (a.entity = 'submission' AND m.entity = 'promoter' AND m.entity_id = ("
        "   SELECT CAST(s.promoter_id AS TEXT) FROM submissions s"
        "   WHERE CAST(s.id AS TEXT) = a.entity_id)))) ORDER BY a.id", [since])]
    if uncovered:
        out.append(_named(uncovered, "a retention run anonymised entry") + ", about a record "
                   "it did not dispose of")
    for entity, table in (("submission", "submissions"), ("promoter", "promoters"),
                          ("incident", "incidents")):
        kept = [r[0] for r in db.execute(
            f"SELECT DISTINCT CAST(a.entity_id AS BIGINT) FROM audit_log a JOIN {table} t ON "
            "CAST(t.id AS TEXT) = a.entity_id WHERE a.id > ? AND a.action = ? AND "
            "a.detail LIKE '%\"anonymised\": true%' AND t.anonymised_at IS NULL ORDER BY 1",
            [since, f"{entity}.retention"])]
        if kept:
            out.append(_named(kept, f"a retention run anonymised {table} that are not marked "
                                    "anonymised:"))
    return out + _privileges(db)


def _privileges(db) -> list[str]:
    """The layout of docs/postgresql-grants.sql, as the server reports it."""
    out = []
    for group, member, admin in ROLE_CHAIN:
        row = db.execute("SELECT bool_or(m.admin_option) FROM pg_auth_members m WHERE "
                         "m.roleid = CAST(? AS regrole) AND m.member = CAST(? AS regrole)",
                         [group, member]).fetchone()
        if row[0] is None:
            out.append(f"{member} is not a member of {group}")
        elif admin and not row[0]:
            out.append(f"{member} may not grant {group} (no ADMIN OPTION)")
    for role in (DESK_ROLE, *PEOPLE):
        if db.execute("SELECT rolsuper OR rolcreaterole OR rolcreatedb OR rolbypassrls FROM "
                      "pg_roles WHERE rolname = ?", [role]).fetchone()[0]:
            out.append(f"{role} has server-wide rights (superuser, CREATEROLE, CREATEDB or "
                       "BYPASSRLS)")

    def may(role: str, obj: str, right: str, column: str | None = None) -> bool:
        if column:
            return db.execute("SELECT has_column_privilege(?, ?, ?, ?)",
                              [role, f"{SCHEMA}.{obj}", column, right]).fetchone()[0]
        if right == "ANY UPDATE":
            return db.execute("SELECT has_any_column_privilege(?, ?, 'UPDATE')",
                              [role, f"{SCHEMA}.{obj}"]).fetchone()[0]
        return db.execute("SELECT has_table_privilege(?, ?, ?)",
                          [role, f"{SCHEMA}.{obj}", right]).fetchone()[0]

    tables = {r[0] for r in db.execute("SELECT tablename FROM pg_tables WHERE schemaname = ?",
                                       [SCHEMA])}
    for role in (DESK_ROLE, *PEOPLE):
        admin = role == "eventrisk_admin"
        deciders = role in ("eventrisk_supervisor", "eventrisk_admin")
        for right in ("SELECT", "INSERT", "UPDATE"):
            if may(role, "users", right, "password_hash"):
                out.append(f"{role} may {right} users' password hashes")
        if may(role, "users", "ANY UPDATE") and not admin:
            out.append(f"{role} may UPDATE users")
        for right in ("SELECT", "INSERT", "UPDATE", "DELETE"):
            if may(role, "sign_in_failures", right):
                out.append(f"{role} may {right} sign_in_failures")
        for table in ADMIN_TABLES:
            for right in ("INSERT", "UPDATE", "DELETE"):
                if may(role, table, right) and not admin:
                    out.append(f"{role} may {right} {table}")
        for right in ("INSERT", "UPDATE"):
            if may(role, "rulesets", right) and not deciders:
                out.append(f"{role} may {right} rulesets")
        for table in (*APPEND_ONLY, *READ_ONLY):
            if table not in tables:
                continue
            for right in ("UPDATE", "DELETE", "TRUNCATE") + (
                    ("INSERT",) if table in READ_ONLY else ()):
                if may(role, table, right):
                    out.append(f"{role} may {right} {table}")
        for name in ADMIN_FUNCTIONS:
            for (signature,) in db.execute(
                    "SELECT CAST(p.oid AS regprocedure) FROM pg_proc p JOIN pg_namespace n ON "
                    "n.oid = p.pronamespace WHERE n.nspname = ? AND p.proname = ?",
                    [SCHEMA, name]).fetchall():
                if not admin and db.execute("SELECT has_function_privilege(?, ?, 'EXECUTE')",
                                            [role, str(signature)]).fetchone()[0]:
                    out.append(f"{role} may run {name}")
        if db.execute("SELECT has_schema_privilege(?, ?, 'CREATE')", [role, SCHEMA]
                      ).fetchone()[0]:
            out.append(f"{role} may create objects in the desk's schema")
    for table, trigger in PEOPLE_TRIGGERS:
        row = db.execute(
            "SELECT t.tgenabled FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? "
            "AND c.relname = ? AND t.tgname = ?", [SCHEMA, table, trigger]).fetchone()
        if row is None:
            out.append(f"the trigger {trigger}, which holds each login to its role, is missing")
        elif row[0] != "O":
            out.append(f"the trigger {trigger}, which holds each login to its role, is "
                       "disabled")
    return out
