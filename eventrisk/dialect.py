"""The few places where one SQL text cannot serve both backends, named once each.

Everything else is written once: PostgreSQL desks carry SQLite's functions (``julianday``,
``strftime``, ``group_concat`` …, see ``eventrisk.pg.schema``), and both accept standard
SQL.  What remains is syntax with no common form: SQLite's full-text ``MATCH`` and
PostgreSQL's ``@@``, SQLite's unary ``+`` (a hint that keeps its planner off an index, an
error on text in PostgreSQL), the temporary schema's name, and the row id of a temporary
table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Dialect:
    name: str
    plus: str  # SQLite's "not through this column's index" hint; nothing on PostgreSQL
    temp: str  # the temporary schema, as a prefix of a table name
    rowid: str  # a temporary table's row id (PostgreSQL's carry an ``id`` column instead)

    @property
    def server(self) -> bool:
        return self.name == "postgresql"

    def matching(self, table: str) -> str:
        """A subquery of the ids of ``table``'s rows whose searched words match one ``?``
        (given ``search_words(text)``)."""
        if self.server:
            return f"SELECT id FROM {table} WHERE {WORDS[table]} @@ to_tsquery('simple', ?)"
        return f"SELECT rowid FROM {table}_fts WHERE {table}_fts MATCH ?"

    def drop_temp(self, tables: tuple[str, ...]) -> list[str]:
        """Statements that drop these temporary tables if they exist (one on the server, where
        each statement is a round trip; SQLite drops one table a statement)."""
        if self.server:
            return ["DROP TABLE IF EXISTS " + ", ".join(f"pg_temp.{t}" for t in tables)]
        return [f"DROP TABLE IF EXISTS temp.{t}" for t in tables]

    def temp_index(self, table: str, columns: str) -> str:
        """An index on a temporary table; on the server also one on its ``id``, which
        stands in for SQLite's rowid there."""
        if self.server:
            return (f"CREATE INDEX ON pg_temp.{table} ({columns}); "
                    f"CREATE INDEX ON pg_temp.{table} (id)")
        return f"CREATE INDEX temp.{table}_k ON {table}({columns})"

    def glob(self, column: str) -> str:
        """``column`` matches a glob pattern of ``*`` and ``[…]`` classes, given as the
        parameters ``glob_params`` makes of it."""
        if self.server:  # the literal start as a range the index can seek, then the pattern
            return f"({column} >= ? AND {column} < ? AND {column} ~ ?)"
        return f"{column} GLOB ?"

    def glob_params(self, pattern: str) -> list[str]:
        """The parameters of ``glob`` for ``pattern``: SQLite's GLOB has no counterpart on
        the server, which gets the pattern's literal start as a range (text sorts by code
        point there, m001) and a regular expression."""
        if not self.server:
            return [pattern]
        parts = re.split(r"(\[[^\]]*\]|\*)", pattern)
        regex = "".join(".*" if p == "*" else p if p.startswith("[") else re.escape(p)
                        for p in parts)
        start = parts[0]
        return [start, start + "\U0010ffff", "^" + regex + "$"]

    def search_words(self, words: list[str]) -> str:
        """Typed words as this backend's full-text query: every word must appear, and the
        last one (still being typed) may be the start of a word."""
        if self.server:
            # split as words() splits the text: letters and digits, an underscore between
            parts = [p for w in words for p in re.findall(r"[^\W_]+", w.lower())]
            if not parts:
                return ""  # an empty query, which matches nothing
            return " & ".join([*parts[:-1], parts[-1] + ":*"])
        if not words:
            return '""'
        return " ".join([*(f'"{w}"' for w in words[:-1]), f'"{words[-1]}"*'])


# What each searchable table's words are made of on PostgreSQL (its GIN index, m001).
WORDS = {
    "venues": "words(name || ' ' || code || ' ' || coalesce(address, ''))",
    "submissions": "words(event_name || ' ' || reference)",
}

SQLITE = Dialect("sqlite", plus="+", temp="temp.", rowid="rowid")
POSTGRESQL = Dialect("postgresql", plus="", temp="pg_temp.", rowid="id")


def of(db: object) -> Dialect:
    """The dialect of an open desk (an SQLite ``Database`` unless it says otherwise)."""
    return getattr(db, "dialect", SQLITE)
