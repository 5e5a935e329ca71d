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
