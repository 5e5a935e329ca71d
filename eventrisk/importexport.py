"""Import and export of venues, submissions and incidents as CSV or JSON.

Import is all-or-nothing: every row is checked first, every problem is reported as
``file:line: field: message``, and only a clean file is written, in one transaction.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from eventrisk import audit, incidents, submissions
from eventrisk.errors import ImportFileError, ValidationError
from eventrisk.fields import FIELDS_BY_KIND, KINDS, Field, field_names
from eventrisk.model import Incident, Promoter, Status, Submission, User, Venue
from eventrisk.timeutil import now_utc, to_file
from eventrisk.users import require
from eventrisk.validation import validate_incident, validate_submission, validate_venue
from eventrisk.venues import (
    insert_venue,
    match_or_create_promoter,
    venue_by_code,
    venue_from_row,
    venue_row,
)

_VALIDATORS = {"venues": validate_venue, "submissions": validate_submission,
               "incidents": validate_incident}


@dataclass(frozen=True)
class ImportResult:
    """How many records an import created and updated."""

    kind: str
    created: int
    updated: int = 0


def _file_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".json"):
        raise ImportFileError([f"{path}: the file must end in .csv or .json"])
    return suffix[1:]


def read_records(path: Path, kind: str) -> Iterator[tuple[int, dict]]:
    """Yield ``(line, raw record)`` from a CSV or JSON file; unreadable files raise."""
    fmt = _file_format(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ImportFileError([f"{path}: no such file"]) from None
    except UnicodeDecodeError:
        raise ImportFileError([f"{path}: the file is not UTF-8 text"]) from None
    except OSError as exc:
        raise ImportFileError([f"{path}: cannot be read ({exc.strerror})"]) from None
    if fmt == "csv":
        yield from _read_csv(path, text, kind)
    else:
        yield from _read_json(path, text, kind)


def _read_csv(path: Path, text: str, kind: str) -> Iterator[tuple[int, dict]]:
    reader = csv.DictReader(text.splitlines(keepends=True))
    header = reader.fieldnames or []
    known = set(field_names(FIELDS_BY_KIND[kind]))
    unknown = [h for h in header if h not in known]
    if not header:
        raise ImportFileError([f"{path}:1: the file is empty"])
    if unknown:
        raise ImportFileError([f"{path}:1: {h}: unknown column for {kind}" for h in unknown])
    line = 1
    for row in reader:
        yield line + 1, row
        line = reader.line_num


def _read_json(path: Path, text: str, kind: str) -> Iterator[tuple[int, dict]]:
    decoder = json.JSONDecoder()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFileError([f"{path}:{exc.lineno}: not valid JSON ({exc.msg})"]) from None
    if isinstance(data, dict) and isinstance(data.get(kind), list):
        data = data[kind]
    if not isinstance(data, list):
        raise ImportFileError([f"{path}:1: expected a JSON list of {kind}"])
    # Find where each top-level item starts so that errors can name its line.
    opening = text.find(f'"{kind}"') if text.lstrip().startswith("{") else 0
    pos = text.index("[", opening) + 1
    line, counted = 1, 0
    known = set(field_names(FIELDS_BY_KIND[kind]))
    for item in data:
        while text[pos] in " \t\r\n,":
            pos += 1
        line += text.count("\n", counted, pos)
        counted = pos
        _, pos = decoder.raw_decode(text, pos)
        if not isinstance(item, dict):
            raise ImportFileError([f"{path}:{line}: expected an object"])
        unknown = [k for k in item if k not in known]
        if unknown:
            raise ImportFileError([f"{path}:{line}: {k}: unknown field for {kind}"
                                   for k in unknown])
        yield line, item


def import_file(db: Database, actor: User, kind: str, path: Path, *,
                with_status: bool = False, now: datetime | None = None) -> ImportResult:
    """Check every record of ``path`` then write them all in one transaction, or none.

    Submissions arrive as received or cancelled.  With ``with_status`` (administrators only)
    events that have already started keep the status the file gives them."""
    require(actor, "import_with_status" if with_status else "import")
    if kind not in KINDS:
        raise ImportFileError([f"{path}: cannot import '{kind}'; choose one of {', '.join(KINDS)}"])
    path = Path(path)
    validate = _VALIDATORS[kind]
    records: list[tuple[int, Any]] = []
    errors: list[str] = []
    for line, raw in read_records(path, kind):
        try:
            records.append((line, validate(raw)))
        except ValidationError as exc:
            errors.extend(f"{path}:{line}: {f}: {m}" for f, m in exc.problems)
    if not records and not errors:
        raise ImportFileError([f"{path}: the file holds no {kind}"])
    writer = {"venues": _write_venues, "submissions": _write_submissions,
              "incidents": _write_incidents}[kind]
    if kind == "submissions":
        errors += _status_problems(path, records, with_status, now or now_utc())
    with db.atomic():
        created, updated = writer(db, actor, path, records, errors)
        if errors:
            raise ImportFileError(errors)  # rolls the whole transaction back
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        audit.record(db, actor.username, f"import.{kind}", kind, "",
                     {"file": path.name, "sha256": digest, "created": created,
                      "updated": updated, "with_status": with_status})
    return ImportResult(kind, created, updated)


# An event enters the desk's workflow at the start: nobody approves it by writing a file.
IMPORTABLE_STATUSES = (Status.RECEIVED, Status.CANCELLED)


def _status_problems(path: Path, records: list[tuple[int, Any]], with_status: bool,
                     now: datetime) -> list[str]:
    out = []
    for line, sub in records:
        if sub.status in IMPORTABLE_STATUSES:
            continue
        if not with_status:
            out.append(f"{path}:{line}: status: '{sub.status.value}' cannot be imported; new "
                       "events arrive as received (or cancelled) and go through review. An "
                       "administrator may keep past events' statuses with --with-status")
        elif sub.start > now:
            out.append(f"{path}:{line}: status: only an event that has already started may be "
                       f"imported as {sub.status.value}")
    return out


def _write_venues(db, actor, path, records, errors) -> tuple[int, int]:
    created = updated = 0
    seen: dict[str, int] = {}
    for line, venue in records:
        key = venue.code.casefold()
        if key in seen:
            errors.append(f"{path}:{line}: code: {venue.code} is also on line {seen[key]}")
            continue
        seen[key] = line
        existing = venue_by_code(db, venue.code)
        if existing is None:
            insert_venue(db, venue, actor.username)
            created += 1
        else:
            row = venue_row(venue)
            sets = ", ".join(f"{k} = ?" for k in row)
            db.execute(f"UPDATE venues SET {sets}, version = version + 1 WHERE id = ?",
                       [*row.values(), existing.id])
            updated += 1
    return created, updated


def _write_submissions(db, actor, path, records, errors) -> tuple[int, int]:
    venue_ids: dict[str, int | None] = {}
    promoter_ids: dict[str, int] = {}
    seen: dict[str, int] = {}
    created = 0
    created_rows: list = []
    for line, sub in records:
        code = sub.venue_code.casefold()
        if code not in venue_ids:
            venue = venue_by_code(db, sub.venue_code)
            venue_ids[code] = venue.id if venue else None
        venue_id = venue_ids[code]
        if venue_id is None:
            errors.append(f"{path}:{line}: venue_code: there is no venue with code "
                          f"'{sub.venue_code}'")
            continue
        if sub.reference:
            if sub.reference in seen:
                errors.append(f"{path}:{line}: reference: {sub.reference} is also on line "
                              f"{seen[sub.reference]}")
                continue
            seen[sub.reference] = line
            if submissions.exists(db, sub.reference):
                errors.append(f"{path}:{line}: reference: {sub.reference} already exists")
                continue
        if errors:
            continue  # keep checking, but write nothing more
        pkey = sub.promoter_name.casefold()
        if pkey not in promoter_ids:
            promoter_ids[pkey] = match_or_create_promoter(
                db, Promoter(sub.promoter_name, sub.promoter_company, sub.promoter_phone,
                             sub.promoter_email), actor.username)
        new_id = submissions.insert(db, sub, venue_id, promoter_ids[pkey], actor.username)
        created_rows.append((actor.username, "submission.import", "submission", new_id,
                             {"file": path.name, "line": line, "status": sub.status.value},
                             ""))
        created += 1
    audit.record_many(db, created_rows)  # each event's first entry: how it entered the desk
    return created, 0


def _write_incidents(db, actor, path, records, errors) -> tuple[int, int]:
    created = 0
    seen: dict[str, int] = {}
    for line, inc in records:
        if inc.reference and inc.reference in seen:
            errors.append(f"{path}:{line}: reference: {inc.reference} is also on line "
                          f"{seen[inc.reference]}")
            continue
        if inc.reference:
            seen[inc.reference] = line
        try:
            venue_id, submission_id = incidents.resolve(db, inc)
        except ValidationError as exc:
            errors.extend(f"{path}:{line}: {f}: {m}" for f, m in exc.problems)
            continue
        if not errors:
            incidents.insert(db, inc, venue_id, submission_id, actor.username)
            created += 1
    return created, 0


# ---- export ---------------------------------------------------------------------------------

def _plain(f: Field, value: Any) -> Any:
    """A model value as JSON-ready data, following the file contract."""
    if value is None:
        return None
    if f.kind == "datetime":
        return to_file(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple):
        return list(value)
    return value


def _csv_text(f: Field, value: Any) -> str:
    plain = _plain(f, value)
    if plain is None:
        return ""
    if isinstance(plain, bool):
        return "true" if plain else "false"
    if isinstance(plain, list):
        return "; ".join(plain)
    return str(plain)


def _records(db: Database, kind: str) -> Iterator[Venue | Submission | Incident]:
    if kind == "submissions":
        yield from submissions.iter_all(db)
        return
    convert = venue_from_row if kind == "venues" else incidents.from_row
    sql = "SELECT * FROM venues" if kind == "venues" else incidents.SELECT
    alias = "" if kind == "venues" else "i."
    last = 0
    while True:
        rows = list(db.query(f"{sql} WHERE {alias}id > ? ORDER BY {alias}id LIMIT 2000", [last]))
        if not rows:
            return
        for row in rows:
            yield convert(row)
        last = rows[-1]["id"]


def export_file(db: Database, kind: str, path: Path) -> int:
    """Write every record of ``kind`` to ``path`` (.csv or .json); returns the count."""
    if kind not in KINDS:
        raise ImportFileError([f"{path}: cannot export '{kind}'; choose one of {', '.join(KINDS)}"])
    path = Path(path)
    fmt = _file_format(path)
    fields = FIELDS_BY_KIND[kind]
    tmp = path.with_name(path.name + ".part")
    count = 0
    try:
        with tmp.open("w", encoding="utf-8", newline="") as out:
            if fmt == "csv":
                writer = csv.writer(out)
                writer.writerow(field_names(fields))
                for rec in _records(db, kind):
                    writer.writerow([_csv_text(f, getattr(rec, f.name)) for f in fields])
                    count += 1
            else:
                out.write("[\n")
                for rec in _records(db, kind):
                    item = {f.name: _plain(f, getattr(rec, f.name)) for f in fields}
                    out.write((",\n" if count else "") + json.dumps(item, ensure_ascii=False))
                    count += 1
                out.write("\n]\n")
        tmp.replace(path)  # never leave a half-written export under the real name
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ImportFileError([f"{path}: cannot be written ({exc.strerror})"]) from None
    return count

