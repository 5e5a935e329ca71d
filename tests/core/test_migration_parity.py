"""Both backends declare the same migrations, tables and columns: checked without a server.

The SQLite history is applied to a database in memory; the PostgreSQL history is read from
the statements its steps would send (recorded, never run), and its tables and columns are
worked out from their CREATE TABLE and ALTER TABLE statements.  The server test that compares
two live desks still runs where there is a server; this one guards every run, so a migration
written for one backend alone fails on any machine.
"""

from __future__ import annotations

import re

import pytest

from eventrisk.db import open_database
from eventrisk.pg import schema
from tests.conftest import columns_of

# Tables only one backend has by its nature: SQLite's own and its full-text index; the server's
# record of its migrations (SQLite's is _sqlite_migrations) and of the retention runs its
# logins made (m020: a file has no logins).
SQLITE_ONLY = re.compile(r"^_sqlite|_fts")
SERVER_ONLY = set(schema.SERVER_ONLY)
# Columns only the server has, with the reason: written_by is stamped by the server from the
# login that wrote the entry (a file has no logins).
SERVER_COLUMNS = {("audit_log", "written_by")}


class Recorder:
    """Stands in for a server desk and keeps every statement a migration step sends."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def executescript(self, sql: str) -> None:
        self.statements.append(sql)

    def execute(self, sql: str, params=None):  # noqa: ARG002 - the parameters are data
        self.statements.append(sql)
        return self


def _statements(sql: str) -> list[str]:
    """SQL split into statements, with comments and dollar-quoted bodies (functions) taken
    out first, since they hold semicolons of their own."""
    sql = re.sub(r"\$(\w*)\$.*?\$\1\$", "''", sql, flags=re.S)
    sql = re.sub(r"--[^\n]*", "", sql)
    return [s.strip() for s in sql.split(";") if s.strip()]


def _top_level_parts(text: str) -> list[str]:
    """``text`` split at the commas that are not inside parentheses."""
    parts, depth, current = [], 0, []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


CONSTRAINTS = ("primary", "unique", "foreign", "check", "constraint", "exclude")


def server_columns(statements: list[str]) -> dict[str, set[str]]:
    """The tables and columns the server's migrations leave, read from their DDL."""
    tables: dict[str, set[str]] = {}
    for sql in statements:
        for statement in _statements(sql):
            text = " ".join(statement.split())
            created = re.match(r"(?i)create table (?:if not exists )?(?:\S+\.)?(\w+) \((.*)\)",
                               text)
            if created:
                name, body = created.group(1).lower(), created.group(2)
                tables[name] = {part.split()[0].strip('"').lower()
                                for part in _top_level_parts(body)
                                if part.split()[0].lower() not in CONSTRAINTS}
                continue
            dropped = re.match(r"(?i)drop table (?:if exists )?(?:\S+\.)?(\w+)", text)
            if dropped:
                tables.pop(dropped.group(1).lower(), None)
                continue
            altered = re.match(r"(?i)alter table (?:only )?(?:if exists )?(?:\S+\.)?(\w+) (.*)",
                               text)
            if not altered:
                continue
            name = altered.group(1).lower()
            renamed = re.match(r"(?i)rename to (\w+)$", altered.group(2))
            if renamed:
                tables[renamed.group(1).lower()] = tables.pop(name)
                continue
            for clause in _top_level_parts(altered.group(2)):
                words = clause.split()
                lowered = [w.lower() for w in words]
                if lowered[:2] == ["add", "column"]:
                    rest = words[2:]
                    if [w.lower() for w in rest[:3]] == ["if", "not", "exists"]:
                        rest = rest[3:]
                    tables[name].add(rest[0].strip('"').lower())
                elif lowered[:2] == ["drop", "column"]:
                    rest = words[2:]
                    if [w.lower() for w in rest[:2]] == ["if", "exists"]:
                        rest = rest[2:]
                    tables[name].discard(rest[0].strip('"').lower())
                elif lowered[:2] == ["rename", "column"]:
                    tables[name].discard(words[2].strip('"').lower())
                    tables[name].add(words[4].strip('"').lower())
    return tables


def _recorded() -> list[str]:
    recorder = Recorder()
    for _, step in schema.MIGRATIONS:
        step(recorder)
    return recorder.statements


@pytest.fixture(scope="module")
def file_desk():
    db = open_database(":memory:")
    yield db
    db.close()


def test_both_backends_declare_the_same_migrations_in_the_same_order(file_desk):
    ours = [r[0] for r in file_desk.execute("SELECT name FROM _sqlite_migrations ORDER BY id")]
    assert [name for name, _ in schema.MIGRATIONS] == ours


def test_both_backends_end_with_the_same_tables_and_columns(file_desk):
    ours = {t: c for t, c in columns_of(file_desk).items() if not SQLITE_ONLY.search(t)}
    theirs = {t: c for t, c in server_columns(_recorded()).items() if t not in SERVER_ONLY}
    for table, column in SERVER_COLUMNS:
        theirs[table].discard(column)
    missing_on_server = {t: sorted(ours[t] - theirs.get(t, set())) for t in ours
                         if ours[t] - theirs.get(t, set())}
    missing_on_file = {t: sorted(theirs[t] - ours.get(t, set())) for t in theirs
                       if theirs[t] - ours.get(t, set())}
    assert (missing_on_server, missing_on_file) == ({}, {})


def test_the_reader_sees_a_column_one_backend_forgot():
    """The check itself: a column added on the server alone, or dropped, is seen."""
    statements = _recorded()
    base = server_columns(statements)
    more = server_columns([*statements, "ALTER TABLE venues ADD COLUMN IF NOT EXISTS extra "
                                        "text, ADD COLUMN other bigint;"])
    assert more["venues"] - base["venues"] == {"extra", "other"}
    fewer = server_columns([*statements, "ALTER TABLE venues DROP COLUMN night_contact"])
    assert base["venues"] - fewer["venues"] == {"night_contact"}
    body = server_columns(["CREATE TABLE t (a text, b numeric(3, 1), PRIMARY KEY (a, b), "
                           "CHECK (b > 0));"])
    assert body == {"t": {"a", "b"}}
