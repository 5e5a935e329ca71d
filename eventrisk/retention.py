"""The retention schedule (``resources/retention.toml``) and the retention run: what is due,
and doing it.

A schedule names, per kind of personal data, how many years it is kept after the date that
kind counts from, and what happens then: ``delete``, ``anonymise``, or ``review`` (an
administrator keeps each item, with a reason and a new review date, or disposes of it).
``due`` only reads; ``apply`` does every automatic action in the caller's transaction and
audits it with counts (``eventrisk.anonymise`` says how a record and its audit entries are
anonymised).
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlite_utils import Database

from eventrisk import anonymise, audit, dialect
from eventrisk.errors import EventRiskError, NotFoundError, ValidationError
from eventrisk.model import User
from eventrisk.paths import desk_copy
from eventrisk.retention_columns import COVERED, STRUCTURAL, uncovered
from eventrisk.timeutil import to_db


class RetentionFileError(EventRiskError):
    """A retention schedule that cannot be used; ``problems`` name the file and line."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Kind:
    """A kind of personal data the schedule must cover."""

    key: str
    label: str
    counted_from: str
    actions: tuple[str, ...]
    disposal: str  # what disposing of one item under review does


# In the order a run disposes of them (review comments before their events are anonymised,
# so that each run's counts say what it did).
KINDS: dict[str, Kind] = {k.key: k for k in (
    Kind("promoter_contacts", "Promoter contact details", "the promoter's last event",
         ("anonymise", "delete", "review"), "anonymise"),
    Kind("venue_contacts", "Venues' contacts for the night",
         "the venue's last event or change", ("delete", "review"), "delete"),
    Kind("notes", "Notes and promoters' contacts for the night", "the event",
         ("delete", "review"), "delete"),
    Kind("review_comments", "Review comments and decision reasons",
         "the event", ("anonymise", "review"), "anonymise"),
    Kind("submissions", "Submissions and their snapshots", "the event",
         ("anonymise", "review"), "anonymise"),
    Kind("incidents", "Incident descriptions and crime references", "the incident",
         ("anonymise", "review"), "anonymise"),
    Kind("drafts", "Drafts never submitted", "it was last saved",
         ("delete", "review"), "delete"),
    Kind("sign_in_failures", "Names typed at failed sign-ins", "the last failed sign-in",
         ("delete",), "delete"),
    Kind("workstations", "Workstation records",
         "it was last seen", ("delete",), "delete"),
)}

# A kind a schedule written before it existed may leave out: it gets this rule.
OPTIONAL = {
    "drafts": ("delete", 1, "A draft is an officer's unfinished typing, with the promoter's "
               "contact details in it; a year untouched means it will not be finished."),
    "venue_contacts": ("delete", 2, "The person the borough calls at a venue on the night is "
                       "needed while the venue holds events; two years without one and the "
                       "name is likely out of date."),
    "review_comments": ("anonymise", 6, "A supervisor's comment explains a decision that can "
                        "be challenged in the courts for six years (Limitation Act 1980); the "
                        "decision and the grade stay."),
    "sign_in_failures": ("delete", 1, "A name typed at a failed sign-in (sometimes a password "
                         "typed in the wrong box) only slows the next guess; a year on it "
                         "serves no purpose."),
    "workstations": ("delete", 1, "Which computer had the desk open, as whom, only matters "
                     "while a restore might disturb it; a year on it serves no purpose."),
}

# Kinds whose rows are deleted by age in one statement (``anonymise.Work.expire``): no audit
# entry holds their text, and nobody keeps them one by one.  kind: (table, counted-from column).
EXPIRING = {"sign_in_failures": ("sign_in_failures", "last_failed_at"),
            "workstations": ("workstations", "seen_at")}

# A server desk keeps no sign-in failures of its own: the server throttles sign-ins, and no
# login may read that table (docs/postgresql-grants.sql); the kind is empty there.
NOT_ON_A_SERVER = frozenset({"sign_in_failures"})

ACTION_WORDS = {"delete": "deleted", "anonymise": "anonymised",
                "review": "listed for review by a person"}


@dataclass(frozen=True)
class Rule:
    kind: str
    keep_years: int
    action: str
    reason: str

    @property
    def label(self) -> str:
        return KINDS[self.kind].label

    def describe(self) -> str:
        years = f"{self.keep_years} year{'' if self.keep_years == 1 else 's'}"
        return f"{self.label}: {ACTION_WORDS[self.action]} {years} after " \
            f"{KINDS[self.kind].counted_from}"


@dataclass(frozen=True)
class Schedule:
    version: str
    rules: dict[str, Rule]
    sha256: str
    source_name: str
    kept: dict[str, str] = field(default_factory=dict)  # "table.column": why it is kept


def schedule_file() -> Path:
    """The schedule in use: ``EVENTRISK_RETENTION`` if set, else the shipped one."""
    return desk_copy("EVENTRISK_RETENTION", "retention.toml")


def load_schedule(path: Path | None = None) -> Schedule:
    """Read and check a schedule file (``schedule_file()`` by default)."""
    path = path or schedule_file()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RetentionFileError([f"{path}: no such file (set EVENTRISK_RETENTION to the desk's "
                                  "retention.toml)"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RetentionFileError([f"{path}: cannot be read ({exc})"]) from None
    return parse_schedule(text, str(path))


_TOML_LINE = re.compile(r"\(at line (\d+), column \d+\)")


def parse_schedule(text: str, name: str = "retention.toml") -> Schedule:
    """Check a schedule's text; every problem names ``file:line``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = _TOML_LINE.search(str(exc))
        line = found[1] if found else "1"
        raise RetentionFileError([f"{name}:{line}: not valid TOML "
                                  f"({_TOML_LINE.sub('', str(exc)).strip()})"]) from None
    problems: list[str] = []
    version = data.get("version")
    if not isinstance(version, str) or not version.strip():
        problems.append(f"{name}:{_line(text, None, 'version')}: the schedule needs a version "
                        '(version = "2026.1")')
    rules: dict[str, Rule] = {}
    kept = _kept(text, name, data.get("kept", {}), problems)
    for key, value in data.items():
        if key in ("version", "kept"):
            continue
        if key not in KINDS:
            problems.append(f"{name}:{_line(text, key, None)}: [{key}] is not a kind of record "
                            f"the desk keeps; the kinds are {', '.join(KINDS)}")
            continue
        if not isinstance(value, dict):
            problems.append(f"{name}:{_line(text, None, key)}: {key} must be a table "
                            f"([{key}])")
            continue
        rule = _rule(text, name, KINDS[key], value, problems)
        if rule is not None:
            rules[key] = rule
    for key, (action, years, why) in OPTIONAL.items():
        if key not in data:
            rules[key] = Rule(key, years, action, why)
    for key in KINDS:
        if key not in data and key not in OPTIONAL:
            problems.append(f"{name}:{len(text.splitlines()) or 1}: [{key}] is missing; every "
                            "kind of personal data needs a retention period")
    if problems:
        raise RetentionFileError(problems)
    return Schedule(str(version).strip(), rules,
                    hashlib.sha256(text.encode("utf-8")).hexdigest(), name, kept)


def _kept(text: str, name: str, value: object, problems: list[str]) -> dict[str, str]:
    """``[kept.<table>]`` tables: each column kept as long as its record, with the reason."""
    if not isinstance(value, dict):
        problems.append(f"{name}:{_line(text, None, 'kept')}: kept must be tables of "
                        "columns ([kept.users] display_name = \"why\")")
        return {}
    out: dict[str, str] = {}
    for table, columns in value.items():
        where = f"kept.{table}"
        if not isinstance(columns, dict):
            problems.append(f"{name}:{_line(text, where, None)}: {where} must be a table "
                            f"([{where}])")
            continue
        for column, reason in columns.items():
            key = f"{table}.{column}"
            if key in COVERED:
                problems.append(f"{name}:{_line(text, where, column)}: {key} is disposed of "
                                f"under [{COVERED[key]}]; it cannot also be kept")
            elif key in STRUCTURAL:
                problems.append(f"{name}:{_line(text, where, column)}: {key} holds no "
                                "personal data; leave it out of [kept]")
            elif not isinstance(reason, str) or len(reason.strip()) < 10:
                problems.append(f"{name}:{_line(text, where, column)}: {where}.{column} must "
                                "say why it is kept (a sentence)")
            else:
                out[key] = " ".join(reason.split())
    return out


def _rule(text: str, name: str, kind: Kind, value: dict, problems: list[str]) -> Rule | None:
    before = len(problems)
    for extra in sorted(set(value) - {"keep_years", "action", "reason"}):
        problems.append(f"{name}:{_line(text, kind.key, extra)}: {kind.key}.{extra} is not a "
                        "setting; use keep_years, action and reason")
    years = value.get("keep_years")
    if isinstance(years, bool) or not isinstance(years, int) or not 1 <= years <= 100:
        problems.append(f"{name}:{_line(text, kind.key, 'keep_years')}: {kind.key}.keep_years "
                        f"must be a whole number of years from 1 to 100, not {years!r}")
    action = value.get("action")
    if action not in kind.actions:
        problems.append(f"{name}:{_line(text, kind.key, 'action')}: {kind.key}.action must be "
                        f"{' or '.join(repr(a) for a in kind.actions)}, not {action!r}"
                        + _why_not(kind, action))
    reason = value.get("reason")
    if not isinstance(reason, str) or len(reason.strip()) < 10:
        problems.append(f"{name}:{_line(text, kind.key, 'reason')}: {kind.key}.reason must say "
                        "why this period (a sentence)")
    if len(problems) > before:
        return None
    return Rule(kind.key, int(years or 0), str(action), " ".join(str(reason).split()))


def _why_not(kind: Kind, action: object) -> str:
    if action == "delete" and kind.key in ("submissions", "incidents"):
        return (" (deleting them would change the history every later score was made from; "
                "anonymise keeps what scoring and calibration need)")
    return ""


def _line(text: str, table: str | None, key: str | None) -> int:
    """The line of ``key`` in ``[table]`` (or of the table's header), 1 if not found."""
    lines = text.splitlines()
    start = 0
    if table is not None:
        header = re.compile(rf"^\s*\[\s*{re.escape(table)}\s*\]")
        for i, line in enumerate(lines):
            if header.match(line):
                start = i
                break
        else:
            return 1
        if key is None:
            return start + 1
    pattern = re.compile(rf"^\s*{re.escape(key or '')}\s*=")
    for i in range(start, len(lines)):
        if i > start and table is not None and lines[i].lstrip().startswith("["):
            break
        if pattern.match(lines[i]):
            return i + 1
    return start + 1


# ---- what is due ------------------------------------------------------------------------------

def years_before(moment: datetime, years: int) -> datetime:
    """The same day ``years`` years earlier (28 February for a 29th)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


@dataclass(frozen=True)
class Due:
    """One kind's due items: how many, counted before ``cutoff``."""

    rule: Rule
    cutoff: datetime
    count: int
    held: int  # kept by a person until a later review date

    @property
    def automatic(self) -> bool:
        return self.rule.action != "review"


@dataclass(frozen=True)
class Review:
    """What a retention run would do now (``eventrisk retention review``)."""

    schedule: Schedule
    now: datetime
    kinds: tuple[Due, ...]
    uncovered: tuple[str, ...] = ()  # text columns the schedule says nothing about

    @property
    def total(self) -> int:
        return sum(d.count for d in self.kinds)

    def to_json(self) -> dict:
        return {"schedule": {"version": self.schedule.version, "sha256": self.schedule.sha256},
                "as_of": to_db(self.now),
                "kinds": [{"kind": d.rule.kind, "label": d.rule.label,
                           "action": d.rule.action, "keep_years": d.rule.keep_years,
                           "counted_from": KINDS[d.rule.kind].counted_from,
                           "before": to_db(d.cutoff), "due": d.count, "held": d.held,
                           "reason": d.rule.reason} for d in self.kinds],
                "kept": [{"column": c, "reason": r} for c, r in self.schedule.kept.items()],
                "uncovered": list(self.uncovered)}


# The due records of the kinds added in issue 32, as (id, key, at, summary) like
# ``anonymise.due_sql``'s; an expiring kind's rows have no number of their own (id 0).  A
# typed name is shown by its first letter and length: it may be a password typed in the
# wrong box.  A venue's contact counts from its last event or its last change, whichever is
# later (a contact just given is never due).
_DUE = {
    "venue_contacts": """
        SELECT v.id, v.code AS key, {since} AS at,
               v.name || ': ' || v.night_contact AS summary
        FROM venues v LEFT JOIN (SELECT venue_id, max(starts_at) AS last FROM submissions
                                 GROUP BY venue_id) l ON l.venue_id = v.id
        WHERE coalesce(v.night_contact, '') != '' AND {since} < :cutoff""".format(
        since="(CASE WHEN l.last IS NULL OR v.updated_at > l.last THEN v.updated_at "
              "ELSE l.last END)"),
    "review_comments": """
        SELECT s.id, s.reference AS key, s.starts_at AS at, s.event_name AS summary
        FROM submissions s WHERE s.starts_at < :cutoff AND EXISTS (
            SELECT 1 FROM reviews r WHERE r.submission_id = s.id
            AND coalesce(r.comment, '') NOT IN ('', '[anonymised]'))""",
    "sign_in_failures": """
        SELECT 0 AS id, substr(f.name, 1, 1) || '... (' || CAST(length(f.name) AS TEXT)
               || ' characters)' AS key, f.last_failed_at AS at,
               CAST(f.failures AS TEXT) || ' failed' AS summary
        FROM sign_in_failures f WHERE f.last_failed_at < :cutoff""",
    "workstations": """
        SELECT 0 AS id, w.id AS key, w.seen_at AS at,
               coalesce(w.username, '') || ' on ' || w.host AS summary
        FROM workstations w WHERE w.seen_at < :cutoff AND w.id != :me""",
}


def _due_sql(kind: str, action: str, cutoff: str) -> tuple[str, dict]:
    if kind == "workstations":  # never this one: it is here, doing the run
        from eventrisk.desk.restore import workstation_id

        return _DUE[kind], {"cutoff": cutoff, "me": workstation_id()}
    if kind in _DUE:
        return _DUE[kind], {"cutoff": cutoff}
    return anonymise.due_sql(kind, action, cutoff)


def due(db: Database, schedule: Schedule, now: datetime) -> Review:
    """Counts per kind of what is due now; reads only."""
    out = []
    server = dialect.of(db).server
    for key in KINDS:
        rule = schedule.rules[key]
        cutoff = years_before(now, rule.keep_years)
        if server and key in NOT_ON_A_SERVER:
            out.append(Due(rule, cutoff, 0, 0))
            continue
        sql, params = _due_sql(key, rule.action, to_db(cutoff))
        total, held = db.execute(f"SELECT count(*), coalesce(sum({_HELD}), 0) FROM ({sql}) d",
                                 {**params, "kind": key, "now": to_db(now)}).fetchone()
        count = total - held
        out.append(Due(rule, cutoff, count, held))
    return Review(schedule, now, tuple(out), tuple(uncovered(db, schedule.kept)))


_HELD = ("EXISTS (SELECT 1 FROM retention_holds h WHERE h.kind = :kind AND h.record_id = d.id "
         "AND h.until > :now)")


@dataclass(frozen=True)
class Item:
    """One record waiting for a person's decision (or due for an automatic action)."""

    kind: str
    record_id: int
    key: str  # what people call it: a reference or a promoter's name
    when: str  # the date its period counts from (stored form)
    summary: str
    kept_until: str | None = None
    kept_reason: str = ""


def items(db: Database, schedule: Schedule, now: datetime, kind: str, *, limit: int = 500,
          include_held: bool = False, key: str | None = None) -> list[Item]:
    """The due records of one kind, oldest first (for the review list)."""
    if kind not in KINDS:
        raise NotFoundError(f"There is no kind of record called {kind!r}; the kinds are "
                            f"{', '.join(KINDS)}.")
    rule = schedule.rules[kind]
    if kind in NOT_ON_A_SERVER and dialect.of(db).server:
        return []
    sql, params = _due_sql(kind, rule.action, to_db(years_before(now, rule.keep_years)))
    held = "1 = 1" if include_held else f"NOT {_HELD}"
    named = "" if key is None else " AND d.key = :key COLLATE NOCASE"
    rows = db.execute(
        f"SELECT d.id, d.key, d.at, d.summary, h.until, h.reason FROM ({sql}) d "
        "LEFT JOIN retention_holds h ON h.kind = :kind AND h.record_id = d.id "
        f"WHERE {held}{named} ORDER BY d.at, d.id LIMIT :limit",
        {**params, "kind": kind, "now": to_db(now), "limit": limit,
         "key": (key or "").strip()}).fetchall()
    return [Item(kind, r[0], r[1], r[2], r[3] or "", r[4], r[5] or "") for r in rows]


# ---- doing it ---------------------------------------------------------------------------------

@dataclass
class Applied:
    """What a run did, per kind, and how many audit entries it anonymised.  A large run is
    done in chunks (``CHUNK``), each its own transaction and its own run entry; ``entries``
    are their positions, ``entry`` the last, and ``more`` says records were left for the
    next chunk."""

    counts: dict[str, int] = field(default_factory=dict)
    audit_entries: int = 0
    entry: int = 0  # the position of the (last) run's own audit entry
    entries: list[int] = field(default_factory=list)
    more: bool = False

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def add(self, chunk: Applied) -> None:
        for key, count in chunk.counts.items():
            self.counts[key] = self.counts.get(key, 0) + count
        self.audit_entries += chunk.audit_entries
        self.entry = chunk.entry
        self.entries += chunk.entries
        self.more = chunk.more


# At most this many records a transaction: a run over a big backlog holds the desk's write
# lock for one chunk at a time, so an officer's save waits well under the busy timeout.
CHUNK = 500


def apply(db: Database, actor: User, schedule: Schedule, now: datetime, *,
          limit: int | None = None) -> Applied:
    """Automatic actions that are due, in the caller's transaction, audited with counts: every
    one, or the first ``limit`` records (kind by kind, in ``KINDS`` order; ``more`` then says
    some are left for another call, a complete run of its own).  Kinds under review wait for
    a person (``keep`` / ``dispose``)."""
    result = Applied()
    work = anonymise.Work(db, actor.username, to_db(now))
    room = limit
    for key in KINDS:
        rule = schedule.rules[key]
        if rule.action == "review":
            continue
        cutoff = to_db(years_before(now, rule.keep_years))
        if key in NOT_ON_A_SERVER and work.server:
            result.counts[key] = 0
            continue
        if key in EXPIRING:
            keep = None
            if key == "workstations":
                from eventrisk.desk.restore import workstation_id

                keep = ("id", workstation_id())
            result.counts[key] = work.expire(*EXPIRING[key], cutoff, keep)
            continue
        sql, params = _due_sql(key, rule.action, cutoff)
        ids = [r[0] for r in db.execute(f"SELECT d.id FROM ({sql}) d WHERE NOT {_HELD} "
                                        "ORDER BY d.id",
                                        {**params, "kind": key, "now": to_db(now)})]
        if room is not None:
            ids, left = ids[:room], ids[room:]
            room -= len(ids)
            result.more = result.more or bool(left)
        work.dispose(key, rule.action, ids)
        result.counts[key] = len(ids)
    result.audit_entries, result.entry = work.finish(
        "retention.apply",
        {"schedule": schedule.version, "schedule_sha256": schedule.sha256,
         "counts": dict(result.counts),
         "actions": {k: r.action for k, r in schedule.rules.items()}})
    result.entries = [result.entry]
    return result


def keep(db: Database, actor: User, schedule: Schedule, now: datetime, kind: str, key: str,
         until: date, reason: str) -> Item:
    """A person keeps a due record until ``until`` (after today), with a reason; audited."""
    if not reason.strip():
        raise ValidationError([("reason", "Say why the record is still needed")])
    if until <= now.date():
        raise ValidationError([("until", "The next review date must be after today")])
    item = _due_item(db, schedule, now, kind, key)
    db.execute("INSERT INTO retention_holds (kind, record_id, until, reason, decided_by, "
               "decided_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (kind, record_id) DO UPDATE "
               "SET until = excluded.until, reason = excluded.reason, "
               "decided_by = excluded.decided_by, decided_at = excluded.decided_at",
               [kind, item.record_id, until.isoformat(), reason.strip(), actor.username,
                to_db(now)])
    audit.record(db, actor.username, "retention.keep", anonymise.ENTITY[kind], item.record_id,
                 {"kind": kind, "until": until.isoformat(), "schedule": schedule.version},
                 reason)
    return item


def dispose(db: Database, actor: User, schedule: Schedule, now: datetime, kind: str, key: str,
            reason: str) -> Item:
    """A person disposes of one due record (the kind's disposal: delete or anonymise)."""
    if not reason.strip():
        raise ValidationError([("reason", "Say why the record can go")])
    item = _due_item(db, schedule, now, kind, key)
    work = anonymise.Work(db, actor.username, to_db(now))
    work.dispose(kind, KINDS[kind].disposal, [item.record_id])
    # A promoter is named by number: the run's own entry must not keep the name it removes.
    named = (f"P-{item.record_id:06d}" if kind == "promoter_contacts" else item.key)
    work.finish("retention.dispose", {"schedule": schedule.version, "kind": kind,
                                      "record": named, "counts": {kind: 1}}, reason,
                entity=anonymise.ENTITY[kind], entity_id=item.record_id)
    return item


def _due_item(db: Database, schedule: Schedule, now: datetime, kind: str, key: str) -> Item:
    if kind in EXPIRING:
        raise ValidationError([("kind", f"{KINDS[kind].label} are deleted by the retention "
                                        "run when due; they are not kept or disposed of one "
                                        "by one")])
    found = items(db, schedule, now, kind, limit=1, include_held=True, key=key)
    if found:
        return found[0]
    raise NotFoundError(f"{key} is not due under the retention schedule ({KINDS[kind].label}: "
                        f"{schedule.rules[kind].keep_years} years after "
                        f"{KINDS[kind].counted_from}).")
