"""Verifying the audit trail: the chain itself, the tables against it, and witnesses outside.

A hash chain proves only what someone outside has seen, so verify checks, and reports each
finding as one line:

1. the schema is the one the migrations made (the immutability triggers included);
2. the chain: entries numbered 1, 2, 3 ... with no gap, each following the one before, each
   hash matching its canonical content (``audit.canonical``);
3. witnesses: a head printed on a PDF (``--expect N:HASH``), a backup (``--against``), the
   desk's witness file, and the heads that backups recorded in the trail;
4. the tables against the trail: every submission's status, version, grade in force, override
   and latest snapshot are replayed from its entries, and every snapshot's digest is
   recomputed from its stored content and compared with its audit entry.

It reads only, streams every table in order, and repairs nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from sqlite_utils import Database

from eventrisk import audit, dialect, reconcile, snapshots
from eventrisk.db import connect
from eventrisk.errors import ValidationError
from eventrisk.timeutil import now_utc, to_db
from eventrisk.workflow import DECIDED

Progress = Callable[[str, int, int], None]  # (phase, done, total)

HEX = re.compile(r"^[0-9a-f]{16,64}$")
WITNESS_LINE = re.compile(r"^(\d+) ([0-9a-f]{64}) (\S+)$")
MAX_LINES = 200  # findings listed; the count of the rest is given


@dataclass(frozen=True)
class Witness:
    """A head seen outside the database: entry ``position`` had a hash starting ``prefix``."""

    position: int
    prefix: str
    source: str

    @classmethod
    def parse(cls, text: str, source: str = "--expect") -> Witness:
        """``N:HASH`` as printed (a prefix of 16 or more hex characters is enough)."""
        number, _, digest = text.strip().partition(":")
        digest = digest.strip().lower()
        if not number.strip().isdigit() or not HEX.match(digest):
            raise ValidationError([("expect", f"'{text}' is not an audit head like "
                                              "1234:9f2c41d07be35a10 (entry number, colon, "
                                              "16 or more hex characters of its hash)")])
        return cls(int(number), digest, source)


@dataclass
class Report:
    """What verify found: ``problems`` (one line each) and what it checked."""

    entries: int = 0
    head: tuple[int, str] = (0, audit.GENESIS)
    submissions: int = 0
    snapshots: int = 0
    issued: int = 0
    reviews: int = 0
    accounts: int = 0
    witnesses: int = 0
    problems: list[str] = field(default_factory=list)
    more: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, line: str, summary: bool = False) -> None:
        """One finding; beyond ``MAX_LINES`` only counted, except a ``summary`` (a count over
        a whole table), which is always listed: it says how big the damage is."""
        if summary or len(self.problems) < MAX_LINES:
            self.problems.append(line)
        else:
            self.more += 1


def verify_desk(db: Database, *, expect: tuple[Witness, ...] = (),
                against: Path | None = None, witness_file: Path | None = None,
                progress: Progress | None = None, now: str | None = None) -> Report:
    """Every check above; ``Report.ok`` only if nothing is wrong.  ``now`` (stored time,
    the desk's clock; the real time by default) bounds the moment a retention run may claim."""
    report = Report()
    tick = progress or (lambda _phase, _done, _total: None)
    check_schema(db, report)
    witnesses = list(expect)
    if witness_file is not None and witness_file.exists():
        witnesses += read_witness_file(witness_file, report)
    anonymised = audit.Anonymised()
    chain_ok = check_chain(db, report, tick, anonymised)
    check_witnesses(db, report, witnesses)
    check_recorded_backups(db, report)
    if against is not None:
        check_against(db, report, against, tick)
    if chain_ok:
        reconcile_submissions(db, report, tick)
        reconcile_snapshots(db, report, tick)
        reconcile_records(db, report, tick, anonymised, now or to_db(now_utc()))
    check_values(db, report)
    return report


def reconcile_records(db: Database, report: Report, tick: Progress,
                      anonymised: audit.Anonymised, now: str) -> None:
    """Issued documents, reviews, accounts and settings against their entries, and every
    redaction against the run that made it (``eventrisk.reconcile``)."""
    server = dialect.of(db).server
    tick("decisions and rights against the trail", 0, 4)
    report.issued = reconcile.reconcile_issued(db, report)
    report.reviews = reconcile.reconcile_reviews(db, report)
    tick("decisions and rights against the trail", 2, 4)
    if not server:  # a server desk's accounts are its logins: eventrisk.pg.audit checks them
        report.accounts = reconcile.reconcile_accounts(db, report)
    reconcile.reconcile_settings(db, report)
    reconcile.check_redactions(db, report, anonymised.members, anonymised.runs, now,
                               accounts=not server)
    reconcile.check_anonymised_records(db, report)
    tick("decisions and rights against the trail", 4, 4)


# Stored times the desk accepts: four-digit years from 2000 to 2100, as written by to_db.
_TIME_COLUMNS = (("submissions", "reference", "starts_at", "start"),
                 ("submissions", "reference", "ends_at", "end"),
                 ("submissions", "reference", "received_at", "received"),
                 ("incidents", "reference", "occurred_at", "occurred"))


def check_values(db: Database, report: Report) -> None:
    """Rows holding values from before the limits (a year 999, say): named for correction."""
    sql = dialect.of(db)
    shape = sql.glob_params("2[01][0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:"
                            "[0-5][0-9]Z")
    for table, key, column, word in _TIME_COLUMNS:
        for name, value in db.execute(
                f"SELECT {key}, {column} FROM {table} WHERE {column} IS NOT NULL AND NOT "
                f"({sql.glob(column)} AND {column} >= '2000' AND {column} < '2101') LIMIT 100",
                shape):
            report.add(f"{name}: {word} {value} is outside 01/01/2000 to 31/12/2100 or badly "
                       "written; correct it")


# ---- the schema ------------------------------------------------------------------------------

def _schema(db: Database) -> dict[tuple[str, str], str]:
    return {(kind, name): " ".join((sql or "").split()) for kind, name, sql in db.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")}


@cache
def _migrated_schema() -> tuple[dict[tuple[str, str], str], frozenset[str]]:
    """What this EventRisk's migrations make, and their names: made once per process (it
    depends only on the code)."""
    from eventrisk.db import open_database

    fresh = open_database(":memory:")
    try:
        return _schema(fresh), frozenset(
            r[0] for r in fresh.execute("SELECT name FROM _sqlite_migrations"))
    finally:
        fresh.close()


def check_schema(db: Database, report: Report) -> None:
    """The tables, indexes and triggers are exactly those the migrations make."""
    if dialect.of(db).server:
        from eventrisk.pg.audit import check_server_identity, check_server_schema

        for problem in check_server_schema(db):
            report.add(f"schema: {problem}")
        for problem in check_server_identity(db):
            report.add(f"logins: {problem}")
        return
    expected, applied = _migrated_schema()
    found = _schema(db)
    for key in sorted(expected.keys() - found.keys()):
        report.add(f"schema: {key[0]} {key[1]} is missing (the migrations made it)")
    for key in sorted(found.keys() - expected.keys()):
        report.add(f"schema: {key[0]} {key[1]} was added outside EventRisk's migrations")
    for key in sorted(expected.keys() & found.keys()):
        if expected[key] != found[key]:
            report.add(f"schema: {key[0]} {key[1]} differs from what the migrations made")
    done = {r[0] for r in db.execute("SELECT name FROM _sqlite_migrations")}
    if done != applied:
        report.add("schema: the record of applied migrations differs from this EventRisk's")


# ---- the chain -------------------------------------------------------------------------------

def _entries(db: Database) -> Iterator[tuple]:
    return db.execute(f"SELECT {audit.ENTRY_COLUMNS} FROM audit_log ORDER BY id")


def check_chain(db: Database, report: Report, tick: Progress,
                anonymised: audit.Anonymised | None = None) -> bool:
    """Contiguous numbers from 1, each entry following the one before, each hash right (an
    anonymised entry's content checked against the retention run that anonymised it)."""
    total = db.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    prev, expected_id = audit.GENESIS, 1
    anonymised = anonymised if anonymised is not None else audit.Anonymised()
    for row in _entries(db):
        entry_id, at, actor, action, entity, entity_id, detail, reason, prev_hash, digest = \
            row[:10]
        if entry_id != expected_id:
            report.add(f"audit: entry {expected_id} is missing: the numbers jump from "
                       f"{expected_id - 1} to {entry_id} (entries were removed or renumbered)")
            return False
        if prev_hash != prev:
            report.add(f"audit: entry {entry_id} does not follow entry {entry_id - 1} (an entry "
                       "was removed, inserted or reordered)")
            return False
        if not anonymised.see(row) and hashlib.sha256(audit.canonical(
                prev_hash, at, actor, action, entity, entity_id, detail, reason)
                ).hexdigest() != digest:
            report.add(f"audit: entry {entry_id} ({action} by {actor}) was changed after it "
                       "was written")
            return False
        prev = digest
        report.entries = entry_id
        expected_id += 1
        if entry_id % 20_000 == 0:
            tick("audit trail", entry_id, total)
    problems = anonymised.problems()
    for entry_id, problem in problems:
        report.add(f"audit: entry {entry_id}: {problem}")
    if problems:
        return False
    report.head = (report.entries, prev)
    tick("audit trail", report.entries, total)
    return True


# ---- witnesses -------------------------------------------------------------------------------

def read_witness_file(path: Path, report: Report) -> list[Witness]:
    """The heads in a witness file: lines of ``N HASH time``."""
    out: list[Witness] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        report.add(f"witness file {path}: cannot be read ({exc})")
        return out
    for number, line in enumerate(lines, 1):
        match = WITNESS_LINE.match(line.strip())
        if not line.strip():
            continue
        if not match:
            report.add(f"{path}:{number}: not a witness line (N HASH time)")
            continue
        out.append(Witness(int(match[1]), match[2], f"{path}:{number} ({match[3]})"))
    return out


def check_witnesses(db: Database, report: Report, witnesses: list[Witness]) -> None:
    """Each witnessed entry is still there with the same hash."""
    for w in witnesses:
        report.witnesses += 1
        row = db.execute("SELECT hash FROM audit_log WHERE id = ?", [w.position]).fetchone()
        if row is None:
            last = db.execute("SELECT coalesce(max(id), 0) FROM audit_log").fetchone()[0]
            report.add(f"witness {w.source}: entry {w.position} is gone; the trail now ends at "
                       f"{last} (history was cut)")
        elif not row[0].startswith(w.prefix):
            report.add(f"witness {w.source}: entry {w.position} no longer has hash "
                       f"{w.prefix[:16]}… (history up to it was rewritten)")


def check_recorded_backups(db: Database, report: Report) -> None:
    """Each backup recorded the head it copied; that head must still be in the trail."""
    claims = db.execute("SELECT id, detail FROM audit_log WHERE action = 'database.backup'")
    for entry_id, detail in claims.fetchall():
        try:
            data = json.loads(detail)
            witness = Witness(int(data["position"]), str(data["hash"]),
                              f"backup recorded at entry {entry_id}")
        except (ValueError, KeyError, TypeError):
            report.add(f"audit: entry {entry_id} records a backup without its head")
            continue
        check_witnesses(db, report, [witness])


def check_against(db: Database, report: Report, backup: Path, tick: Progress) -> None:
    """The live trail extends the backup's entry for entry."""
    if not backup.is_file():
        report.add(f"against {backup}: there is no such backup file")
        return
    try:
        other = connect(f"{backup.resolve().as_uri()}?mode=ro", uri=True)
        theirs = other.execute("SELECT id, hash FROM audit_log ORDER BY id")
    except sqlite3.Error as exc:
        report.add(f"against {backup}: not a readable EventRisk backup ({exc})")
        return
    mine = db.execute("SELECT id, hash FROM audit_log ORDER BY id")
    count = 0
    try:
        for old in theirs:
            new = mine.fetchone()
            count += 1
            if new is None:
                report.add(f"against {backup}: the backup has entry {old[0]} but the live "
                           f"trail ends at {count - 1} (history was cut)")
                return
            if new != old:
                report.add(f"against {backup}: entry {old[0]} differs from the backup (the "
                           "live trail was rewritten from there)")
                return
            if count % 50_000 == 0:
                tick("against the backup", count, count)
    finally:
        other.close()
    report.witnesses += 1


# ---- the tables against the trail ------------------------------------------------------------

@dataclass
class _State:
    status: str | None = None
    version: int = 0
    scored: str | None = None
    override: str | None = None
    assessment: int | None = None
    created: bool = False
    held: str | None = None  # the grade a decision holds while rescores add snapshots
    problem: str = ""
    anonymised: bool = False


def _replay(entries: list[tuple[int, str, dict]]) -> _State:
    state = _State()
    for entry_id, action, detail in entries:
        kind = action.split(".", 1)[1] if action.startswith("submission.") else action
        if kind == "baseline":
            state = _State(detail.get("status"), int(detail.get("version") or 0),
                           detail.get("scored"), detail.get("override"),
                           detail.get("assessment"), True)
            continue
        if kind in ("create", "import"):
            state = _State(detail.get("status", "received"), 1, created=True)
            continue
        if action == "assessment.baseline":
            continue
        if not state.created and not state.problem:
            state.problem = f"entry {entry_id} ({action}) comes before any entry creating it"
        if action == "assessment.snapshot":
            state.version += 1
            # A rescore never changes a decided event's grade (workflow.DECIDED).
            if state.status in DECIDED and state.held is None:
                state.held = state.override or state.scored
            state.scored, state.assessment = detail.get("grade"), detail.get("assessment")
        elif kind in ("edit", "retention", "assign"):  # an edit, notes deleted or anonymised,
            # or handed to another officer
            state.version += 1
            if kind == "retention" and detail.get("anonymised"):
                state.anonymised = True
        elif "to" in detail:
            if detail.get("from") != state.status and not state.problem:
                state.problem = (f"entry {entry_id} ({kind}) moves it from {detail.get('from')}"
                                 f" but its trail had it {state.status}")
            state.status = detail["to"]
            state.version += 1
            if kind == "override":
                state.override = detail.get("grade_after")
            elif kind == "withdraw":
                state.override = state.held = None
    return state


def reconcile_submissions(db: Database, report: Report, tick: Progress) -> None:
    """Replay each submission's entries and compare with its row (streamed, merged in the
    order of the audit index)."""
    total = db.execute("SELECT count(*) FROM submissions").fetchone()[0]
    rows = db.execute("SELECT CAST(id AS TEXT), reference, status, version, grade, "
                      "override_grade, assessment_id, anonymised_at IS NOT NULL FROM submissions"
                      " ORDER BY CAST(id AS TEXT)")
    entries = db.execute("SELECT entity_id, id, action, detail FROM audit_log WHERE entity = "
                         "'submission' ORDER BY entity_id, id")
    pending = entries.fetchone()
    done = 0
    for key, reference, status, version, grade, override, assessment, gone in rows:
        while pending is not None and pending[0] < key:
            report.add(f"audit: entry {pending[1]} ({pending[2]}) names submission {pending[0]},"
                       " which is not in the table (deleted?)")
            sid = pending[0]
            while pending is not None and pending[0] == sid:
                pending = entries.fetchone()
        mine = []
        while pending is not None and pending[0] == key:
            mine.append((pending[1], pending[2], json.loads(pending[3] or "{}")))
            pending = entries.fetchone()
        _compare(report, reference, _replay(mine), status, version, grade, override, assessment,
                 bool(gone))
        done += 1
        report.submissions = done
        if done % 20_000 == 0:
            tick("submissions against the trail", done, total)
    while pending is not None:
        report.add(f"audit: entry {pending[1]} ({pending[2]}) names submission {pending[0]}, "
                   "which is not in the table (deleted?)")
        pending = entries.fetchone()
    tick("submissions against the trail", done, total)


def _compare(report: Report, reference: str, state: _State, status, version, grade, override,
             assessment, anonymised: bool = False) -> None:
    if not state.created:
        report.add(f"{reference}: no audit entry records how it entered the desk")
        return
    if state.problem:
        report.add(f"{reference}: {state.problem}")
    in_force = state.override or state.held or state.scored
    for name, found, replayed in (("status", status, state.status),
                                  ("version", version, state.version),
                                  ("grade", grade, in_force),
                                  ("override", override, state.override),
                                  ("snapshot", assessment, state.assessment)):
        if found != replayed:
            report.add(f"{reference}: {name} is {found} in the table but {replayed} by its "
                       "audit trail")
    if anonymised != state.anonymised:
        report.add(f"{reference}: " + ("marked anonymised, but no retention run anonymised it "
                                       "(changed outside EventRisk)" if anonymised else
                                       "anonymised by a retention run, but no longer marked so"))


def reconcile_snapshots(db: Database, report: Report, tick: Progress) -> None:
    """Each snapshot's digest recomputed from what it stores, its score from its rules, and
    compared with its audit entry."""
    total = db.execute("SELECT count(*) FROM assessments").fetchone()[0]
    recorded = db.execute("SELECT count(*) FROM audit_log WHERE action IN "
                          "('assessment.snapshot', 'assessment.baseline')").fetchone()[0]
    if recorded != total:
        report.add(f"assessments: {total} snapshots in the table but {recorded} in the audit "
                   "trail (snapshots were added or removed outside EventRisk)", summary=True)
    rows = db.execute(
        "SELECT a.id, s.reference, a.ruleset_sha256, a.packed, a.inputs, a.features, a.fired, "
        "a.score, "
        "a.grade, a.digest, (SELECT l.detail FROM audit_log l WHERE l.entity = 'submission' "
        "AND l.entity_id = CAST(a.submission_id AS TEXT) AND l.action IN "
        "('assessment.snapshot', 'assessment.baseline') AND "
        "CAST(json_extract(l.detail, '$.assessment') AS INTEGER) = a.id) "
        "FROM assessments a LEFT JOIN submissions s ON s.id = a.submission_id ORDER BY a.id")
    done = 0
    for (aid, reference, rules_sha, packed, inputs, features, fired, score, grade, digest,
         entry) in rows:
        name = f"{reference or 'a deleted submission'}: snapshot {aid}"
        try:
            inputs, features, fired = snapshots.texts(db, packed, inputs, features, fired)
        except (ValueError, IndexError):  # snapshots.DamagedSnapshotError among them
            report.add(f"{name}: its stored snapshot cannot be read (damaged)")
            continue
        content = "\n".join((rules_sha or "", inputs or "", features or "", fired or ""))
        if hashlib.sha256(content.encode()).hexdigest() != digest:
            report.add(f"{name}: its stored inputs, features or fired rules were changed "
                       "(digest differs)")
        try:
            points = sum(int(f["points"]) for f in json.loads(fired or "[]"))
        except (ValueError, KeyError, TypeError):
            points = None
        if points != score:
            report.add(f"{name}: score is {score} but its fired rules add up to {points}")
        if entry is None:
            report.add(f"{name}: has no audit entry")
        else:
            logged = json.loads(entry)
            for key, value in (("digest", digest), ("grade", grade), ("score", score)):
                if logged.get(key) != value:
                    report.add(f"{name}: {key} is {value} but its audit entry says "
                               f"{logged.get(key)}")
        done += 1
        if done % 20_000 == 0:
            tick("snapshots", done, total)
    report.snapshots = done
    tick("snapshots", done, total)
