"""Import and export of venues, submissions and incidents as CSV or JSON.

Import is all-or-nothing: every row is checked first, every problem is reported as
``file:line: field: message``, and only a clean file is written, in one transaction.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any, TextIO

from sqlite_utils import Database

from eventrisk import audit, incidents, submissions
from eventrisk.errors import ImportFileError, StorageError, ValidationError
from eventrisk.fields import FIELDS_BY_KIND, KINDS, MINIMAL_LEFT_OUT, Field, field_names
from eventrisk.model import Incident, Promoter, Status, Submission, User, Venue
from eventrisk.timeutil import now_utc, to_db, to_file
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
    warnings: tuple[str, ...] = ()  # file:line: warning: ... (possible duplicates)


def _file_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".json"):
        raise ImportFileError([f"{path}:1: the file must end in .csv or .json"])
    return suffix[1:]


MAX_FILE_BYTES = 512 * 1024 * 1024
csv.field_size_limit(16 * 1024 * 1024)  # long cells reach validation, which names the field


def decode(path: Path, data: bytes) -> str:
    """The text of a file: UTF-8 with or without a byte-order mark, or UTF-16 with one;
    anything else is refused, saying what it looks like."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ImportFileError([f"{path}:1: the file starts like UTF-16 but is not valid "
                                   "UTF-16 text"]) from None
    head = data[:4096]
    if head.count(b"\0") >= max(1, len(head) // 4):
        # UTF-16 of plain ASCII would otherwise "decode" as UTF-8 full of NULs.  (A stray NUL
        # in a cell is left to validation, which names the field.)
        raise ImportFileError([f"{path}:1: the file is not UTF-8 text (it looks like UTF-16 "
                               "without a byte-order mark); save it as UTF-8 and import it "
                               "again"])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ImportFileError([f"{path}:{line}: the file is not UTF-8 text (it looks like a "
                               "Windows or Latin-1 code page); save it as UTF-8 and import "
                               "it again"]) from None


def read_records(path: Path, kind: str) -> Iterator[tuple[int, dict]]:
    """Yield ``(line, raw record)`` from a CSV or JSON file; unreadable files raise."""
    fmt = _file_format(path)
    try:
        if path.is_dir():
            raise ImportFileError([f"{path}:1: this is a folder, not a file"])
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ImportFileError([f"{path}:1: the file is larger than 512 MB"])
        data = path.read_bytes()
    except FileNotFoundError:
        raise ImportFileError([f"{path}:1: no such file"]) from None
    except OSError as exc:
        raise ImportFileError([f"{path}:1: cannot be read ({exc.strerror})"]) from None
    text = decode(path, data)
    if not text.strip():
        raise ImportFileError([f"{path}:1: the file is empty"])
    if fmt == "csv":
        yield from _read_csv(path, text, kind)
    else:
        yield from _read_json(path, text, kind)


def _read_csv(path: Path, text: str, kind: str) -> Iterator[tuple[int, dict]]:
    # newline="": only CR and LF end a line; U+2028, NEL and form feed stay in their cell.
    reader = csv.reader(io.StringIO(text, newline=""))
    known = set(field_names(FIELDS_BY_KIND[kind]))
    try:
        header = next(reader, [])
        while header == [] and reader.line_num:  # blank lines above the header
            header = next(reader, [])
    except csv.Error as exc:
        raise ImportFileError([f"{path}:{reader.line_num}: {exc}"]) from None
    head_line = reader.line_num
    problems = [f"{path}:{head_line}: {h}: unknown column for {kind}" for h in header
                if h not in known]
    seen: set[str] = set()
    for h in header:
        if h in seen:
            problems.append(f"{path}:{head_line}: {h}: the column appears twice")
        seen.add(h)
    if problems:
        raise ImportFileError(problems)
    line = head_line
    while True:
        start = line + 1
        try:
            row = next(reader, None)
        except csv.Error as exc:
            raise ImportFileError([f"{path}:{start}: {exc}"]) from None
        if row is None:
            return
        line = reader.line_num
        if not row:
            continue  # a blank line
        if len(row) > len(header):
            raise ImportFileError([f"{path}:{start}: the row has {len(row)} cells but the "
                                   f"header names {len(header)} columns"])
        yield start, {h: _unquote(v) for h, v in zip(header, row, strict=False)}


# Spreadsheets run a cell that starts with one of these as a formula (OWASP: CSV injection).
_FORMULA = re.compile(r"^'*[=+\-@\t\r]")


def quote_formula(text: str) -> str:
    """Export: a cell a spreadsheet would run gets a leading apostrophe."""
    return "'" + text if _FORMULA.match(text) else text


def _unquote(text: str) -> str:
    """Import: take off the apostrophe export added (and only that one)."""
    return text[1:] if text.startswith("'") and _FORMULA.match(text) else text


MAX_JSON_DEPTH = 20


def _depth_ok(text: str) -> bool:
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_JSON_DEPTH:
                return False
        elif ch in "]}":
            depth -= 1
    return True


def _read_json(path: Path, text: str, kind: str) -> Iterator[tuple[int, dict]]:
    decoder = json.JSONDecoder()
    if not _depth_ok(text):
        raise ImportFileError([f"{path}:1: the JSON is nested more than {MAX_JSON_DEPTH} "
                               "levels deep; a record file is a list of flat objects"])
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFileError([f"{path}:{exc.lineno}: not valid JSON ({exc.msg})"]) from None
    start = len(text) - len(text.lstrip())
    if isinstance(data, dict):
        if not isinstance(data.get(kind), list):
            raise ImportFileError([f"{path}:1: expected a JSON list of {kind}, or an object "
                                   f"whose \"{kind}\" key holds one"])
        data, pos = data[kind], _top_level_value(decoder, text, start, kind)
    elif isinstance(data, list):
        pos = start
    else:
        raise ImportFileError([f"{path}:1: expected a JSON list of {kind}"])
    # Find where each top-level item starts so that errors can name its line.
    pos = text.index("[", pos) + 1
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


def _top_level_value(decoder: json.JSONDecoder, text: str, pos: int, key: str) -> int:
    """Where the value of ``key`` in the top-level object starts (a nested key of the same
    name earlier in the file does not count)."""
    pos += 1  # past "{"
    while True:
        while text[pos] in " \t\r\n,":
            pos += 1
        name, pos = decoder.raw_decode(text, pos)
        while text[pos] in " \t\r\n:":
            pos += 1
        if name == key:
            return pos
        _, pos = decoder.raw_decode(text, pos)


@dataclass(frozen=True)
class CheckedFile:
    """A file read and every record checked, before any lock is taken (``check_file``)."""

    kind: str
    path: Path
    records: list[tuple[int, Any]]
    errors: list[str]
    digest: str
    with_status: bool


def check_file(kind: str, path: Path, *, with_status: bool = False,
               now: datetime | None = None) -> CheckedFile:
    """Read ``path`` and check every record without touching the desk, so that the write
    transaction (``write_checked``) holds the desk's lock only for the writing."""
    if kind not in KINDS:
        raise ImportFileError([f"{path}:1: cannot import '{kind}'; choose one of "
                               f"{', '.join(KINDS)}"])
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
        raise ImportFileError([f"{path}:1: the file holds no {kind}"])
    if kind == "submissions":
        errors += _status_problems(path, records, with_status, now or now_utc())
    return CheckedFile(kind, path, records, errors,
                       hashlib.sha256(path.read_bytes()).hexdigest(), with_status)


def write_checked(db: Database, actor: User, checked: CheckedFile, *,
                  no_duplicates: bool = False) -> ImportResult:
    """Write a checked file's records all in the caller's transaction, or none."""
    kind, path, records = checked.kind, checked.path, checked.records
    require(actor, "import_with_status" if checked.with_status else "import")
    errors = list(checked.errors)
    writer = {"venues": _write_venues, "submissions": _write_submissions,
              "incidents": _write_incidents}[kind]
    warnings: list[str] = []
    with db.atomic():
        if kind == "submissions":
            found = _duplicate_lines(db, path, records)
            (errors if no_duplicates else warnings).extend(found)
        created, updated = writer(db, actor, path, records, errors)
        if errors:
            raise ImportFileError(errors)  # rolls the whole transaction back
        audit.record(db, actor.username, f"import.{kind}", kind, "",
                     {"file": path.name, "sha256": checked.digest, "created": created,
                      "updated": updated, "with_status": checked.with_status,
                      "duplicates": len(warnings)})
    return ImportResult(kind, created, updated, tuple(warnings))


def import_file(db: Database, actor: User, kind: str, path: Path, *,
                with_status: bool = False, now: datetime | None = None,
                no_duplicates: bool = False) -> ImportResult:
    """Check every record of ``path`` then write them all in one transaction, or none.

    Submissions arrive as received or cancelled.  With ``with_status`` (administrators only)
    events that have already started keep the status the file gives them."""
    require(actor, "import_with_status" if with_status else "import")
    checked = check_file(kind, path, with_status=with_status, now=now)
    return write_checked(db, actor, checked, no_duplicates=no_duplicates)


def _duplicate_lines(db: Database, path: Path, records: list[tuple[int, Any]]) -> list[str]:
    """Rows that look like an event already on the desk, or like an earlier row."""
    out: list[str] = []
    seen: dict[tuple[str, str, str], int] = {}
    venues: dict[str, Venue | None] = {}  # each code looked up once per file
    for line, sub in records:
        code = sub.venue_code.casefold()
        if code not in venues:
            venues[code] = venue_by_code(db, sub.venue_code)
        venue = venues[code]
        key = (sub.venue_code.casefold(), to_db(sub.start),
               submissions.normalised_name(sub.event_name))
        same = submissions.duplicates_of(db, venue.id, key[1], sub.event_name) \
            if venue is not None and venue.id is not None else []
        if key in seen:
            same.append(f"line {seen[key]}")
        seen.setdefault(key, line)
        if same:
            out.append(f"{path}:{line}: event_name: looks like {', '.join(same)} (same venue, "
                       "start and name)")
    return out


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
    # A file's references of a year may run past the year's last number (before the file) by
    # as many as it brings of that year, in any order, and no further: the counter never jumps.
    room = Counter(int(sub.reference[3:7]) for _, sub in records
                   if sub.reference and submissions.REFERENCE.match(sub.reference))
    limits = {year: submissions.last_number(db, year) + count for year, count in room.items()}
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
            problem = submissions.foreign_reference(db, sub, limits)
            if problem:
                errors.append(f"{path}:{line}: reference: {problem}")
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
    venues: dict = {}  # each code looked up once per file
    for line, inc in records:
        if inc.reference and inc.reference in seen:
            errors.append(f"{path}:{line}: reference: {inc.reference} is also on line "
                          f"{seen[inc.reference]}")
            continue
        if inc.reference:
            seen[inc.reference] = line
        try:
            venue_id, submission_id = incidents.resolve(db, inc, venues)
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
        return quote_formula("; ".join(plain))
    if isinstance(plain, str):
        return quote_formula(plain)
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


def export_file(db: Database, kind: str, path: Path, *, minimal: bool = False) -> int:
    """Write every record of ``kind`` to ``path`` (.csv or .json); returns the count.
    ``minimal`` leaves out the columns in ``MINIMAL_LEFT_OUT``."""
    if kind not in KINDS:
        raise ImportFileError([f"{path}:1: cannot export '{kind}'; choose one of "
                               f"{', '.join(KINDS)}"])
    path = Path(path)
    fmt = _file_format(path)
    fields = tuple(f for f in FIELDS_BY_KIND[kind]
                   if not (minimal and f.name in MINIMAL_LEFT_OUT))
    if path.is_dir():
        raise ImportFileError([f"{path}:1: this is a folder; give the export a file name"])
    count = 0
    with private_text_file(path) as out:
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
    return count


@contextmanager
def private_text_file(path: Path) -> Iterator[TextIO]:
    """A new file of OFFICIAL-SENSITIVE records: written under a ``.part`` name readable by
    its owner only, and put under the real name only once complete.  A disk or folder that
    fails is an environment error (exit 1) naming the file, with nothing left behind."""
    from eventrisk.privatefiles import noted, open_private, partial_of

    try:
        with noted(partial_of(path)) as tmp:
            try:
                with open_private(tmp, "w", encoding="utf-8", newline="") as out:
                    yield out
                tmp.replace(path)  # never a half-written file under the real name
            finally:
                tmp.unlink(missing_ok=True)
    except OSError as exc:
        raise StorageError(f"{path} could not be written ({exc.strerror}); nothing was "
                           "exported.") from None

