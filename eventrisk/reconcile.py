"""The tables that carry a decision or a right, reconciled with their audit entries.

``eventrisk.verify`` replays each submission from its entries; this module does the same for
what else grants or records a right:

- **issued documents**: each row (its SHA-256 and who issued it) against its
  ``submission.issue`` entry, in order, per event;
- **reviews**: each decision (approve, return, override), its reviewer, comment and grades
  against the entry of that decision;
- **accounts**: each account's role, active and locked flags replayed from its ``user.*``
  entries (``reconcile_accounts``: kept apart so that a server desk, whose accounts are its
  logins, can check its own beside it);
- **settings**: each declared setting's stored value against its last ``settings.change``
  entry, and the training marker against the ``demo.build`` entry;
- **redactions** (retention runs and erasures): each anonymised entry is covered by the run
  that marked it: the run was written by an administrator, disposed of the record the entry is
  about, left no personal value unanonymised, and anonymised only events that had taken place
  (and, where the run's schedule is the one in use, that were due under it); a record marked
  anonymised has the retention entry that anonymised it.

A row with no entry, and an entry with no row, are each named.  Every table is streamed in
the order of an index and merged with its entries, so memory stays bounded at any size (the
accounts and settings are tens of rows).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Protocol

from sqlite_utils import Database

from eventrisk import anonymise, recovery, settings

DECISIONS = ("submission.approve", "submission.return", "submission.override")


class Findings(Protocol):
    def add(self, line: str, summary: bool = False) -> None: ...


def _merge(rows: Iterator[tuple], entries: Iterator[tuple]
           ) -> Iterator[tuple[str, list[tuple], list[tuple]]]:
    """Two streams sorted by their first value (a record's id as text), grouped: (key, its
    rows, its entries); either list may be empty."""
    row, entry = next(rows, None), next(entries, None)
    while row is not None or entry is not None:
        key = min(k[0] for k in (row, entry) if k is not None)
        mine, theirs = [], []
        while row is not None and row[0] == key:
            mine.append(row)
            row = next(rows, None)
        while entry is not None and entry[0] == key:
            theirs.append(entry)
            entry = next(entries, None)
        yield key, mine, theirs


def _entries(db: Database, where: str, params: list) -> Iterator[tuple]:
    """(entity_id, id, actor, action, detail as dict, reason, redacted_in), ordered as
    ``_merge`` needs, through the (entity, entity_id) index."""
    for entity_id, entry_id, actor, action, detail, reason, redacted in db.execute(
            "SELECT entity_id, id, actor, action, detail, reason, redacted_in FROM audit_log "
            f"WHERE {where} ORDER BY entity_id, id", params):
        try:
            data = json.loads(detail or "{}")
        except ValueError:
            data = {}
        yield (entity_id, entry_id, actor, action, data if isinstance(data, dict) else {},
               reason or "", redacted)


def _references(db: Database, keys: set[str]) -> dict[str, str]:
    if not keys:
        return {}
    return {str(i): ref for i, ref in db.execute(
        "SELECT id, reference FROM submissions WHERE id IN (SELECT CAST(value AS INTEGER) "
        "FROM json_each(?))", [json.dumps(sorted(keys))])}


# ---- issued documents ------------------------------------------------------------------------

def reconcile_issued(db: Database, report: Findings) -> int:
    """Each issued document against its ``submission.issue`` entry (the n-th row of an event
    with its n-th issue); returns how many rows were checked."""
    rows = db.execute("SELECT CAST(d.submission_id AS TEXT), d.id, d.sha256, d.issued_by, "
                      "s.reference FROM issued_documents d LEFT JOIN submissions s ON "
                      "s.id = d.submission_id ORDER BY CAST(d.submission_id AS TEXT), d.id")
    # The demo issues its training events without a document (its entries say so).
    entries = (e for e in _entries(db, "entity = 'submission' AND action = 'submission.issue'",
                                   []) if e[4].get("demo") is not True)
    count = 0
    for key, mine, theirs in _merge(iter(rows), entries):
        count += len(mine)
        name = mine[0][4] if mine and mine[0][4] else f"submission {key}"
        for row, entry in zip(mine, theirs, strict=False):
            _, doc_id, sha, issued_by, _ = row
            if entry[4].get("sha256") != sha:
                report.add(f"{name}: issued document {doc_id} has SHA-256 {str(sha)[:16]}… but "
                           f"its issue (entry {entry[1]}) recorded "
                           f"{str(entry[4].get('sha256'))[:16]}…")
            if entry[2] != issued_by:
                report.add(f"{name}: issued document {doc_id} names {issued_by} as its issuer "
                           f"but its issue (entry {entry[1]}) was by {entry[2]}")
        for row in mine[len(theirs):]:
            report.add(f"{name}: issued document {row[1]} has no audit entry recording its "
                       "issue (added outside EventRisk)")
        for entry in theirs[len(mine):]:
            report.add(f"audit: entry {entry[1]} (submission.issue) records an issued document "
                       f"of {name} that is not in the table (deleted?)")
    return count


# ---- reviews ---------------------------------------------------------------------------------

def _same_comment(comment: str | None, reason: str, redacted: bool) -> bool:
    text = (comment or "").strip()
    if text == reason:
        return True
    # A run anonymises a comment of spaces as it anonymises any other, and its reason, empty,
    # stays empty.
    return redacted and text == anonymise.MARK and reason == ""


def reconcile_reviews(db: Database, report: Findings) -> int:
    """Each review (decision, reviewer, comment, grades) against the entry of its decision
    (the n-th review of an event with its n-th decision); returns how many were checked."""
    rows = db.execute(
        "SELECT CAST(r.submission_id AS TEXT), r.id, r.decision, u.username, r.comment, "
        "r.grade_before, r.grade_after FROM reviews r LEFT JOIN users u ON u.id = r.reviewer_id"
        " ORDER BY CAST(r.submission_id AS TEXT), r.id")
    entries = _entries(db, "entity = 'submission' AND action IN (?, ?, ?)", list(DECISIONS))
    count = 0
    pending: list[tuple[str, list, list]] = []

    def flush() -> None:
        names = _references(db, {k for k, _, _ in pending})
        for key, mine, theirs in pending:
            _compare_reviews(report, names.get(key, f"submission {key}"), mine, theirs)
        pending.clear()

    for key, mine, theirs in _merge(iter(rows), entries):
        count += len(mine)
        pending.append((key, mine, theirs))
        if len(pending) >= 5_000:
            flush()
    flush()
    return count


def _compare_reviews(report: Findings, name: str, mine: list, theirs: list) -> None:
    for row, entry in zip(mine, theirs, strict=False):
        _, review_id, decision, reviewer, comment, before, after = row
        entry_id, actor, action, detail, reason, redacted = entry[1:]
        where = f"{name}: review {review_id}"
        if decision != action.split(".", 1)[1]:
            report.add(f"{where} is a decision to {decision} but its entry {entry_id} records "
                       f"{action}")
        if reviewer != actor:
            report.add(f"{where} names {reviewer} as reviewer but its entry {entry_id} was "
                       f"written by {actor}")
        if not _same_comment(comment, reason, redacted is not None):
            if (comment or "").strip() == anonymise.MARK:
                report.add(f"{where}: its comment was anonymised but its entry {entry_id} was "
                           "not (changed outside a retention run)")
            else:
                report.add(f"{where}: its comment differs from the one its entry {entry_id} "
                           "recorded")
        grades = ((detail.get("grade_before"), detail.get("grade_after"))
                  if decision == "override" else (detail.get("grade"),) * 2
                  if decision == "approve" else (before, after))
        if (before, after) != grades:
            report.add(f"{where}: grades {before} → {after} differ from its entry {entry_id} "
                       f"({grades[0]} → {grades[1]})")
    for row in mine[len(theirs):]:
        report.add(f"{name}: review {row[1]} ({row[2]} by {row[3]}) has no audit entry "
                   "(added outside EventRisk)")
    for entry in theirs[len(mine):]:
        report.add(f"audit: entry {entry[1]} ({entry[3]} by {entry[2]}) has no review row "
                   f"for {name} (deleted?)")


# ---- accounts --------------------------------------------------------------------------------

# What each account entry sets: (role, active, locked); None leaves a value as it was.
_ACCOUNT_EFFECTS = {
    "user.activate": lambda d: (None, 1, None),
    "user.deactivate": lambda d: (None, 0, None),
    "user.role": lambda d: (d.get("to"), None, None),
    "user.locked": lambda d: (None, None, 1),
    "user.password_reset": lambda d: (None, None, 0),
    "user.password_change": lambda d: (None, None, 0),
    "user.recover": lambda d: (None, 1, 0),
}


# The entries that change an account (sign-in failures, by far the most, change nothing
# alone: a lock has its own entry).
_ACCOUNT_ACTIONS = ("user.create", *_ACCOUNT_EFFECTS)
_ACCOUNT_WHERE = (f"entity = 'user' AND action IN ({', '.join('?' for _ in _ACCOUNT_ACTIONS)})",
                  list(_ACCOUNT_ACTIONS))


# Entries that set a password; since this release each records the stored hash's SHA-256
# (``users.fingerprint``), and an older one leaves the hash unchecked.
_PASSWORD_ACTIONS = frozenset({"user.create", "user.password_reset", "user.password_change",
                               "user.recover"})


def account_history(db: Database) -> dict[str, list[tuple[int, str, int]]]:
    """Per username, its role and active flag after each of its entries: [(entry, role,
    active)] in order (retention runs are checked against it)."""
    out: dict[str, list[tuple[int, str, int]]] = {}
    state: dict[str, list] = {}
    for key, entry_id, _actor, action, detail, _reason, _ in _entries(db, *_ACCOUNT_WHERE):
        if action == "user.create":
            state[key] = [detail.get("username"), detail.get("role"), 1, 0]
        elif key in state and action in _ACCOUNT_EFFECTS:
            for i, value in enumerate(_ACCOUNT_EFFECTS[action](detail), 1):
                if value is not None:
                    state[key][i] = value
        else:
            continue
        name, role, active, _ = state[key]
        out.setdefault(name, []).append((entry_id, role, active))
    return out


def reconcile_accounts(db: Database, report: Findings) -> int:
    """Each account's role, active and locked flags replayed from its entries (created with a
    role, changed by role, activate and deactivate entries, locked by sign-in failures,
    unlocked by a reset, a change of password or a recovery); returns how many accounts."""
    rows = db.execute("SELECT CAST(id AS TEXT), username, role, active, locked, "
                      "password_hash FROM users ORDER BY CAST(id AS TEXT)")
    count = 0
    for key, mine, theirs in _merge(iter(rows), _entries(db, *_ACCOUNT_WHERE)):
        if not mine:
            report.add(f"audit: entry {theirs[0][1]} ({theirs[0][3]}) names account {key}, "
                       "which is not in the table (deleted?)")
            continue
        count += 1
        _, username, role, active, locked, stored = mine[0]
        created = [e for e in theirs if e[3] == "user.create"]
        if not created:
            report.add(f"account {username}: no audit entry records its creation (added "
                       "outside EventRisk)")
            continue
        state: list = [None, None, 1, 0]
        password: tuple[int, str] | None = None  # the newest entry setting it, fingerprinted
        for entry in theirs:
            if entry[3] in _PASSWORD_ACTIONS:
                password = (entry[1], entry[4]["password"]) if "password" in entry[4] else None
            if entry[3] == "user.create":
                state = [entry[4].get("username"), entry[4].get("role"), 1, 0]
            elif entry[3] in _ACCOUNT_EFFECTS:
                for i, value in enumerate(_ACCOUNT_EFFECTS[entry[3]](entry[4]), 1):
                    if value is not None:
                        state[i] = value
        for word, found, replayed in (("user name", username, state[0]),
                                      ("role", role, state[1]),
                                      ("active", int(active or 0), state[2]),
                                      ("locked", int(locked or 0), state[3])):
            if found != replayed:
                report.add(f"account {username}: {word} is {found} in the table but "
                           f"{replayed} by its audit trail")
        if password is not None and password[1] != hashlib.sha256(
                (stored or "").encode("utf-8")).hexdigest():
            report.add(f"account {username}: its password hash is not the one entry "
                       f"{password[0]} set (changed outside EventRisk)")
    return count


# ---- settings --------------------------------------------------------------------------------

def reconcile_settings(db: Database, report: Findings) -> int:
    """Each declared setting's stored value against its last change entry (a setting with no
    row is at its default and must have no entry either), and the training marker against the
    demo build that sets it.  Keys the desk does not declare are never read, so not checked."""
    stored = dict(db.execute("SELECT key, value FROM settings").fetchall())
    last: dict[str, tuple[int, object]] = {}
    for key, entry_id, _a, _action, detail, _r, _ in _entries(
            db, "entity = 'settings' AND action = 'settings.change'", []):
        last[key] = (entry_id, detail.get("to"))
    for key, setting in settings.SETTINGS.items():
        text = stored.get(key)
        if key not in last:
            if text is not None:
                report.add(f"setting {key}: is {text} but no audit entry records a change of "
                           "it (set outside EventRisk)")
            continue
        entry_id, value = last[key]
        if text is None:
            report.add(f"setting {key}: its last change (entry {entry_id}) set it to {value}, "
                       "but it is not stored (removed outside EventRisk)")
            continue
        try:
            found = settings.parse_value(setting, text)
        except ValueError:
            found = text
        if found != value:
            report.add(f"setting {key}: is {text} but its last change (entry {entry_id}) set "
                       f"it to {value}")
    _check_recovery_code(db, report, stored.get(recovery.KEY))
    built = db.execute("SELECT 1 FROM audit_log WHERE action = 'demo.build' LIMIT 1"
                       ).fetchone() is not None
    if (stored.get(settings.TRAINING_KEY) == "true") != built:
        report.add("setting training: the desk is " + (
            "marked as training data but its trail has no demo build" if not built else
            "built as training data but no longer marked so (its printouts would look real)"))
    return len(stored)


# ---- redactions ------------------------------------------------------------------------------

_RECORD_TIME = {"submission": ("submissions", "reference", "starts_at", "submissions"),
                "incident": ("incidents", "reference", "occurred_at", "incidents")}


def _run_block(db: Database, run: int) -> list[tuple]:
    """The ``*.retention`` entries a run wrote just before its own entry (in the same
    transaction): (id, actor, entity, entity_id, detail)."""
    row = db.execute("SELECT coalesce(max(id), 0) FROM audit_log WHERE id < ? AND action NOT "
                     "LIKE '%.retention'", [run]).fetchone()
    return [(i, actor, entity, entity_id, _json(detail)) for i, actor, entity, entity_id, detail
            in db.execute("SELECT id, actor, entity, entity_id, detail FROM audit_log WHERE "
                          "id > ? AND id < ? ORDER BY id", [row[0], run])]


def _json(text: str | None) -> dict:
    try:
        data = json.loads(text or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _keep_years(run_detail: dict) -> dict[str, int]:
    """The years each kind is kept under the run's schedule, when that schedule is the one in
    use (its SHA-256 matches); otherwise nothing is known of them."""
    from eventrisk import retention

    try:
        schedule = retention.load_schedule()
    except retention.RetentionFileError:  # a broken schedule file: nothing known of it
        return {}
    if run_detail.get("schedule_sha256") != schedule.sha256:
        return {}
    return {kind: rule.keep_years for kind, rule in schedule.rules.items()}


def check_redactions(db: Database, report: Findings, members: dict[int, list[tuple]],
                     runs: dict[int, tuple[str, dict]], now: str, *,
                     accounts: bool = True) -> None:
    """Each run that anonymised records or entries (``members``: run → the entries it marked,
    as ``audit.ENTRY_COLUMNS`` without ``redacted_in``; ``runs``: run → (action, detail)),
    checked against what it may do.  ``now`` (stored time) bounds the moment a run may claim
    to have been made at; ``accounts``: check that its author was an administrator (a file
    desk; on a server the login is checked instead)."""
    from eventrisk.retention import years_before
    from eventrisk.timeutil import from_db, to_db

    history: dict | None = None
    for run, (action, detail) in sorted(runs.items()):
        head = db.execute("SELECT actor, at FROM audit_log WHERE id = ?", [run]).fetchone()
        actor, written = head
        block = _run_block(db, run)
        marked = members.get(run, [])
        if not block and not marked:
            continue
        where = f"audit: entry {run} ({action} by {actor})"
        if accounts:
            history = history if history is not None else account_history(db)
            roles = [(role, active) for entry, role, active in history.get(actor, [])
                     if entry < run]
            if not roles or roles[-1] != ("admin", 1):
                report.add(f"{where}: {actor} was not an active administrator then; only an "
                           "administrator anonymises records")
        as_of = str(detail.get("as_of") or written)
        if as_of > max(written, now):
            report.add(f"{where}: it claims to have been made at {as_of}, later than it was "
                       "written")
        disposed: dict[tuple[str, str], dict] = {}
        for entry_id, by, entity, entity_id, data in block:
            if by != actor:
                report.add(f"audit: entry {entry_id} ({entity}.retention by {by}) is part of "
                           f"run {run}, which {actor} made")
            disposed[(entity, entity_id)] = data
        _check_due(db, report, where, disposed, as_of, _keep_years(detail), years_before,
                   from_db, to_db)
        promoters = {i for (e, i) in disposed if e == "promoter"}
        events = {r[5] for r in marked if r[4] == "submission" and ("submission", r[5])
                  not in disposed}
        of_promoter: dict[str, str] = {}
        if promoters and events:
            of_promoter = {str(i): str(p) for i, p in db.execute(
                "SELECT id, promoter_id FROM submissions WHERE id IN (SELECT CAST(value AS "
                "INTEGER) FROM json_each(?))", [json.dumps(sorted(events))])}
        for row in marked:
            entry_id, entity, entity_id, text, reason = row[0], row[4], row[5], row[6], row[7]
            covered = (entity, entity_id) in disposed or (
                entity == "submission" and of_promoter.get(entity_id) in promoters)
            if not covered:
                report.add(f"audit: entry {entry_id} was anonymised by run {run}, which did not "
                           f"dispose of {entity} {entity_id} (a record it may not touch)")
            if (reason or "") not in ("", anonymise.MARK):
                report.add(f"audit: entry {entry_id}: its reason was rewritten, not anonymised, "
                           f"by run {run}")
            data = _json(text)
            kept = sorted(k for k, v in data.items() if k in anonymise.PERSONAL
                          and v not in (None, "", [], {}, anonymise.MARK))
            if kept:
                report.add(f"audit: entry {entry_id}: {', '.join(kept)} rewritten, not "
                           f"anonymised, by run {run}")


_KIND_OF = {("submission", True): "submissions", ("submission", False): "notes",
            ("incident", True): "incidents"}


def _check_due(db, report: Findings, where: str, disposed: dict, as_of: str,
               keep: dict[str, int], years_before, from_db, to_db) -> None:
    """Each event or incident a run anonymised (or whose notes it deleted) had happened
    before the run's moment, and before its schedule's cutoff where the schedule is known."""
    for entity, (table, key, column, _) in _RECORD_TIME.items():
        ids = {i: d for (e, i), d in disposed.items() if e == entity}
        if not ids:
            continue
        for record_id, name, at in db.execute(
                f"SELECT id, {key}, {column} FROM {table} WHERE id IN (SELECT CAST(value AS "
                "INTEGER) FROM json_each(?))", [json.dumps(sorted(ids))]):
            kind = _KIND_OF.get((entity, bool(ids[str(record_id)].get("anonymised"))))
            cutoff = as_of
            if kind in keep:
                cutoff = to_db(years_before(from_db(as_of), keep[kind]))
            if at >= cutoff:
                report.add(f"{where}: anonymised {name}, which was not due (it is dated {at}, "
                           f"the run's cutoff {cutoff})")


def check_anonymised_records(db: Database, report: Findings) -> None:
    """A record marked anonymised has the retention entry that anonymised it (submissions are
    replayed with their trail in ``eventrisk.verify``)."""
    for table, entity, key in (("incidents", "incident", "reference"),
                               ("promoters", "promoter", "name")):
        for (name,) in db.execute(
                f"SELECT t.{key} FROM {table} t WHERE t.anonymised_at IS NOT NULL AND NOT "
                "EXISTS (SELECT 1 FROM audit_log l WHERE l.entity = ? AND l.entity_id = "
                f"CAST(t.id AS TEXT) AND l.action = ?) LIMIT 100",
                [entity, f"{entity}.retention"]):
            report.add(f"{name}: marked anonymised, but no retention run anonymised it "
                       "(changed outside EventRisk)")


def _check_recovery_code(db: Database, report: Findings, stored: str | None) -> None:
    """The stored recovery code hash is the one its last entry made (a hash swapped in by hand
    would let its maker reset an administrator)."""
    row = db.execute("SELECT id, detail FROM audit_log WHERE entity = 'settings' AND entity_id "
                     "= ? AND action = 'desk.recovery_code' ORDER BY id DESC LIMIT 1",
                     [recovery.KEY]).fetchone()
    if row is None:
        if stored is not None:
            report.add("setting recovery_code: a recovery code is stored but no audit entry "
                       "records its making (set outside EventRisk)")
        return
    if stored is None or _json(row[1]).get("fingerprint") != recovery.fingerprint(stored):
        report.add(f"setting recovery_code: the stored recovery code is not the one entry "
                   f"{row[0]} made (changed outside EventRisk)")
