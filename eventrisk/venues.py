"""Venues and promoters: lookup, paging, search, create and versioned update."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import asdict

from sqlite_utils import Database

from eventrisk import audit, dialect
from eventrisk.errors import ConflictError, NotFoundError, ValidationError
from eventrisk.model import Promoter, User, Venue
from eventrisk.timeutil import british_datetime, from_db, now_utc, to_db
from eventrisk.users import require

_VENUE_COLUMNS = ("code", "name", "address", "postcode", "borough", "capacity",
                  "licence_number", "latest_finish", "has_cctv", "has_search_arch",
                  "has_id_scanner", "night_contact")


def venue_from_row(row: dict) -> Venue:
    """A ``Venue`` from a ``venues`` row."""
    return Venue(code=row["code"], name=row["name"], address=row["address"] or "",
                 postcode=row["postcode"] or "", borough=row["borough"],
                 capacity=row["capacity"], licence_number=row["licence_number"] or "",
                 latest_finish=row["latest_finish"] or "", has_cctv=bool(row["has_cctv"]),
                 has_search_arch=bool(row["has_search_arch"]),
                 has_id_scanner=bool(row["has_id_scanner"]),
                 night_contact=row["night_contact"] or "", id=row["id"],
                 version=row["version"])


def venue_row(venue: Venue) -> dict:
    """The column values for a venue."""
    data = asdict(venue)
    return {k: (int(v) if isinstance(v, bool) else v) for k, v in data.items()
            if k in _VENUE_COLUMNS}


def get_venue(db: Database, venue_id: int) -> Venue:
    """The venue with this id."""
    rows = list(db.query("SELECT * FROM venues WHERE id = ?", [venue_id]))
    if not rows:
        raise NotFoundError(f"There is no venue with id {venue_id}.")
    return venue_from_row(rows[0])


def venues_by_id(db: Database, ids: Iterable[int]) -> dict[int, Venue]:
    """The venues with these ids, by id, read in one query (unknown ids are left out)."""
    return {row["id"]: venue_from_row(row) for row in db.query(
        "SELECT * FROM venues WHERE id IN (SELECT CAST(value AS INTEGER) FROM json_each(?))",
        [json.dumps(sorted(set(ids)))])}


def venue_by_code(db: Database, code: str) -> Venue | None:
    """The venue with this code, or None."""
    rows = list(db.query("SELECT * FROM venues WHERE code = ? COLLATE NOCASE", [plain(code)]))
    return venue_from_row(rows[0]) if rows else None


def insert_venue(db: Database, venue: Venue, actor: str) -> int:
    """Insert without auditing (bulk paths audit once for the batch)."""
    row = venue_row(venue) | {"updated_at": to_db(now_utc()), "updated_by": actor, "version": 1}
    cols = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    new_id = db.execute(f"INSERT INTO venues ({cols}) VALUES ({marks})",
                        list(row.values())).lastrowid
    assert new_id is not None
    return new_id


def create_venue(db: Database, actor: User, venue: Venue) -> Venue:
    """Add a venue; its code must be new."""
    require(actor, "capture")
    with db.atomic():
        if venue_by_code(db, venue.code):
            raise ValidationError([("code", f"A venue with code {venue.code} already exists")])
        venue_id = insert_venue(db, venue, actor.username)
        audit.record(db, actor.username, "venue.create", "venue", venue_id, venue_row(venue))
    return get_venue(db, venue_id)


def update_venue(db: Database, actor: User, venue: Venue) -> Venue:
    """Save an edited venue read at ``venue.version``; ``ConflictError`` if it changed since."""
    require(actor, "capture")
    assert venue.id is not None
    with db.atomic():
        before = get_venue(db, venue.id)
        row = venue_row(venue)
        sets = ", ".join(f"{k} = ?" for k in row)
        cur = db.execute(
            f"UPDATE venues SET {sets}, version = version + 1, updated_at = ?, updated_by = ? "
            "WHERE id = ? AND version = ?",
            [*row.values(), to_db(now_utc()), actor.username, venue.id, venue.version],
        )
        if cur.rowcount == 0:
            raise conflict_error(db, "venues", venue.id, "venue")
        changed = {k: [getattr(before, k), getattr(venue, k)] for k in row
                   if getattr(before, k) != getattr(venue, k)}
        audit.record(db, actor.username, "venue.edit", "venue", venue.id, changed)
    return get_venue(db, venue.id)


def conflict_error(db: Database, table: str, row_id: int, noun: str,
                   name: str = "") -> ConflictError:
    """Someone else changed the row after it was read: who and when (``name`` says which
    record, e.g. its reference; otherwise "This <noun>")."""
    row = db.execute(f"SELECT updated_by, updated_at FROM {table} WHERE id = ?",
                     [row_id]).fetchone()
    subject = name or f"This {noun}"
    if row is None:
        return ConflictError(f"{subject} was deleted by someone else.")
    when = british_datetime(from_db(row[1])) if row[1] else "an unknown time"
    return ConflictError(f"{subject} was changed by {row[0]} at {when} after you opened it "
                         "(edited, rescored or decided); nothing was saved. Reopen it to see "
                         "the change, then act again.")


def list_venues(db: Database, *, offset: int = 0, limit: int = 50, search: str = "",
                borough: str = "") -> list[Venue]:
    """One page of venues by name, optionally full-text searched and filtered by borough."""
    where, params = [], []
    if search:
        words = dialect.of(db)
        where.append(f"id IN ({words.matching('venues')})")
        params.append(fts_query(search, words))
    if borough:
        where.append("borough = ?")
        params.append(borough)
    sql = "SELECT * FROM venues"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY name, id LIMIT ? OFFSET ?"
    return [venue_from_row(r) for r in db.query(sql, [*params, limit, offset])]


def plain(text: str) -> str:
    """Typed search text without what no database text can hold (a lone surrogate pasted in
    from a broken file, a NUL)."""
    return "".join(c for c in text if not ("\ud800" <= c <= "\udfff" or c == "\0"))


def fts_query(text: str, sql: dialect.Dialect = dialect.SQLITE) -> str:
    """User text as a safe full-text prefix query: every word must appear."""
    # as the unicode61 tokenizer splits: ER-2026-1 is 3 words.  Only the last word is a
    # prefix (it is the one still being typed): a finished "ER" must not match every row.
    return sql.search_words(re.findall(r"\w+", plain(text)))


def promoter_from_row(row: dict) -> Promoter:
    """A ``Promoter`` from a ``promoters`` row."""
    return Promoter(name=row["name"], company=row["company"] or "", phone=row["phone"] or "",
                    email=row["email"] or "", id=row["id"], version=row["version"])


def get_promoter(db: Database, promoter_id: int) -> Promoter:
    """The promoter with this id."""
    rows = list(db.query("SELECT * FROM promoters WHERE id = ?", [promoter_id]))
    if not rows:
        raise NotFoundError(f"There is no promoter with id {promoter_id}.")
    return promoter_from_row(rows[0])


def match_or_create_promoter(db: Database, promoter: Promoter, actor: str) -> int:
    """Id of the promoter with this name (any case), created if new; fills blank contacts."""
    row = db.execute("SELECT id, company, phone, email FROM promoters WHERE name = ? "
                     "COLLATE NOCASE", [promoter.name]).fetchone()
    if row is None:
        new_id = db.execute(
            "INSERT INTO promoters (name, company, phone, email, version, updated_at, updated_by)"
            " VALUES (?, ?, ?, ?, 1, ?, ?)",
            [promoter.name, promoter.company, promoter.phone, promoter.email,
             to_db(now_utc()), actor]).lastrowid
        assert new_id is not None
        return new_id
    updates = {k: getattr(promoter, k) for k, old in zip(("company", "phone", "email"), row[1:],
                                                          strict=True)
               if getattr(promoter, k) and not old}
    if updates:
        sets = ", ".join(f"{k} = ?" for k in updates)
        db.execute(f"UPDATE promoters SET {sets}, version = version + 1 WHERE id = ?",
                   [*updates.values(), row[0]])
    return row[0]


def promoter_by_name(db: Database, name: str) -> Promoter | None:
    """The promoter with this name (any case), or None."""
    rows = list(db.query("SELECT * FROM promoters WHERE name = ? COLLATE NOCASE",
                         [plain(name).strip()]))
    return promoter_from_row(rows[0]) if rows else None


def contact_changes(stored: Promoter, given: Promoter) -> dict[str, list[str]]:
    """Contact details given that differ from stored ones (a blank given keeps the stored)."""
    return {k: [getattr(stored, k), getattr(given, k)] for k in ("company", "phone", "email")
            if getattr(given, k) and getattr(given, k) != getattr(stored, k)
            and getattr(stored, k)}


def update_promoter_contacts(db: Database, actor: str, promoter: Promoter,
                             changes: dict[str, list[str]], reason: str = "") -> None:
    """New contact details for a promoter: versioned and audited (who, from what, to what)."""
    assert promoter.id is not None
    sets = ", ".join(f"{k} = ?" for k in changes)
    db.execute(f"UPDATE promoters SET {sets}, version = version + 1, updated_at = ?, "
               "updated_by = ? WHERE id = ?",
               [*(new for _, new in changes.values()), to_db(now_utc()), actor, promoter.id])
    audit.record(db, actor, "promoter.edit", "promoter", promoter.id,
                 {"name": promoter.name, **changes}, reason)


def search_promoters(db: Database, text: str, limit: int = 20) -> list[Promoter]:
    """Promoters whose name starts with or contains ``text``."""
    return [promoter_from_row(r) for r in db.query(
        "SELECT * FROM promoters WHERE name LIKE ? ORDER BY name LIMIT ?",
        [f"%{plain(text)}%", limit])]

