"""Scoring stored submissions: their features, explained assessments and the immutable
snapshots written for them, one at a time or a hundred thousand at once."""

from __future__ import annotations

import gc
import hashlib
import json
import multiprocessing
import os
import pickle
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain

from sqlite_utils import Database

from eventrisk import audit, canonical, dialect, snapshots, submissions, workflow
from eventrisk.db import db_path, open_database
from eventrisk.errors import Cancelled
from eventrisk.model import Grade, Status, Submission, User, Venue
from eventrisk.scoring import history
from eventrisk.scoring.features import FeatureSet, assumed_features, event_features
from eventrisk.scoring.rulebook import active_ruleset, store_ruleset
from eventrisk.scoring.rules import Ruleset, parsed
from eventrisk.scoring.scorer import Assessment, FiredRule, fired_rules, history_features_of, score
from eventrisk.timeutil import from_db, now_utc, to_db
from eventrisk.users import require
from eventrisk.venues import venues_by_id

BATCH = 1000

_INPUT_FIELDS = ("event_type", "starts_at", "ends_at", "expected_attendance", "ticketing",
                 "min_age", "alcohol", "door_supervisors", "search_regime", "cctv",
                 "id_scanning", "dispersal_plan", "medical_cover", "received_at")


# ---- features ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Scored:
    """One submission with its feature values (no incident references yet)."""

    submission: Submission
    venue: Venue
    values: dict
    history: history.History
    as_of: datetime
    row: dict


def iter_features(db: Database, where: str, params: dict, now: datetime,
                  keep: str | None = None, batch: int = BATCH,
                  decided: dict[int, datetime] | None = None) -> Iterator[Scored]:
    """Features for every submission matching ``where`` (SQL over alias ``s``), in id order
    (``keep``: see ``history.compute``), their rows read ``batch`` at a time; each as of its
    start or now, whichever is sooner, or as of the time ``decided`` names for it (see
    ``score_where``)."""
    histories = history.compute(db, where, params, now, keep,
                                **({"as_of": _DECIDED_AS_OF.format(
                                    temp=dialect.of(db).temp)} if decided else {}))
    venues = venues_by_id(db, (h.venue_id for h in histories))
    for start in range(0, len(histories), batch):
        chunk = histories[start:start + batch]
        ids = [h.submission_id for h in chunk]
        marks = ", ".join("?" for _ in ids)
        rows = {r["id"]: r for r in db.query(submissions.SELECT + f" WHERE s.id IN ({marks})",
                                              ids)}
        for h in chunk:
            row = rows[h.submission_id]
            sub = submissions.from_row(row)
            venue = venues[h.venue_id]
            as_of = min(now, sub.start, *([decided[sub.id]] if decided and sub.id in decided
                                          else []))
            yield Scored(sub, venue, event_features(sub, venue, as_of) | h.values, h, as_of, row)


def explained(db: Database, scored: Scored, ruleset: Ruleset) -> Assessment:
    """Score with evidence: incident references are fetched only for rules that fired."""
    return explain_many(db, [scored], ruleset)[0]


def explain_many(db: Database, batch: list[Scored], ruleset: Ruleset) -> list[Assessment]:
    """Score a batch with evidence, fetching the incidents behind fired rules in bulk."""
    fired_lists, requests = [], []
    for i, scored in enumerate(batch):
        fired = fired_rules(scored.values, ruleset)
        fired_lists.append(fired)
        wanted: set[str] = set()
        for rule in fired:
            wanted |= history_features_of(rule)
        if wanted:
            requests += history.ref_requests(i, scored.history, wanted)
    found = history.incident_refs_bulk(db, requests) if requests else {}
    by_item: dict[int, dict[str, tuple]] = {}
    for (i, name), refs in found.items():
        by_item.setdefault(i, {})[name] = refs
    return [score(FeatureSet(scored.values, by_item.get(i, {}),
                             assumed_features(scored.submission)), ruleset, fired)
            for i, (scored, fired) in enumerate(zip(batch, fired_lists, strict=True))]


# ---- scoring and snapshots --------------------------------------------------------------

@dataclass(frozen=True)
class ScoreResult:
    """A submission's reference, grade and score; ``stored`` if a new snapshot was added.

    ``assessment`` (every fired rule with its evidence) is rebuilt from the stored snapshot
    only when asked for: a hundred thousand results mostly need just the grade.
    """

    reference: str
    submission_id: int
    grade: Grade
    score: int
    stored: bool
    start: datetime
    _prepared: _Prepared = field(repr=False, compare=False)

    @property
    def assessment(self) -> Assessment | None:
        """Every fired rule with its evidence; None if nothing had changed (the stored
        snapshot stands; read it through the desk's read model)."""
        return self._prepared.rebuilt()


def _inputs(scored: Scored) -> dict:
    inputs = {k: scored.row[k] for k in _INPUT_FIELDS}
    v = scored.venue
    inputs["venue"] = {"code": v.code, "capacity": v.capacity, "latest_finish": v.latest_finish,
                       "has_cctv": v.has_cctv, "has_id_scanner": v.has_id_scanner}
    return inputs


@contextmanager
def _bulk_allocation():
    """Pause the cyclic garbage collector while scoring allocates hundreds of thousands of
    short-lived, acyclic objects; its repeated full scans cost a quarter of the run."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


PARALLEL_FROM = 20_000  # below this, a second process costs more than it saves
# Submissions prepared in memory before they are written, and committed together.  5,000 keeps
# the writing process near 330 MB at a million events (10,000: 380 MB; all at once, 1.5 GB
# with 100,000) in the same time: the running totals are kept as far ahead either way
# (history.KEEP_AHEAD_CHUNKS), and a smaller last chunk leaves the worker idle for less.
CHUNK = 5_000
# While the writing process waits for the worker before a commit, it prepares its share of
# the next chunk this many at a time, so that it commits soon after the worker is done.
AHEAD_BATCH = 250


@dataclass(frozen=True)
class _Prepared:
    """One submission scored and its snapshot encoded, ready to write.

    A worker process sends these back without ``assessment`` (plain strings and numbers
    pickle several times faster); ``rebuilt()`` restores it from the encoded snapshot.
    """

    submission_id: int
    reference: str
    start: datetime
    status: str
    as_of: str
    fired: str | None  # None: unchanged since the stored snapshot, which stands
    digest: str
    score: int
    grade: str
    band_grade: str
    confidence: float
    ruleset_version: str
    ruleset_sha256: str
    guidance: str
    assessment: Assessment | None = None
    basis: str = ""
    source: str | None = None  # the stamp of what it was made from (past events only)
    skipped: bool = False  # held as it stands (it has started): nothing computed or written
    packed: bytes = b""  # the new snapshot's texts, packed where they were prepared

    def rebuilt(self) -> Assessment | None:
        """The assessment, or None for one that had not changed (its stored snapshot stands
        and was not read back)."""
        if self.assessment is not None:
            return self.assessment
        if self.fired is None:
            return None
        return Assessment(self.score, Grade(self.grade), Grade(self.band_grade), self.confidence,
                          fired_from_json(self.fired),
                          self.ruleset_version, self.ruleset_sha256, self.guidance)


# What a past event's features are made from, apart from the ruleset: its own inputs, its
# venue's scoring fields, and the revisions that triggers move whenever the venue's or the
# promoter's history changes (m006), with the count of events that night in the borough.
# An upcoming event is scored as of now, so its windows move with the clock: never skipped.
_SOURCES = """
    WITH sel AS (SELECT s.* FROM submissions s WHERE ({where}) AND s.starts_at <= :_now),
    nights AS (SELECT o.night, ov.borough, count(*) AS n FROM submissions o
               JOIN venues ov ON ov.id = o.venue_id
               WHERE o.status != 'cancelled' AND o.night IN (SELECT night FROM sel)
               GROUP BY o.night, ov.borough)
    SELECT s.id, s.venue_id, s.promoter_id, s.night, s.status, s.performers,
           {inputs}, v.code, v.borough, v.capacity, v.latest_finish, v.has_cctv,
           v.has_id_scanner, v.history_rev, p.history_rev, coalesce(n.n, 0)
    FROM sel s JOIN venues v ON v.id = s.venue_id JOIN promoters p ON p.id = s.promoter_id
    LEFT JOIN nights n ON n.night = s.night AND n.borough = v.borough"""


def source_stamps(db: Database, where: str, params: dict, now: datetime,
                  ruleset_sha256: str) -> dict[int, str]:
    """The source stamp of every past submission matching ``where``."""
    sql = _SOURCES.format(where=where, inputs=", ".join(f"s.{f}" for f in _INPUT_FIELDS))
    return {row[0]: hashlib.blake2b(repr((ruleset_sha256, row)).encode(),
                                    digest_size=16).hexdigest()
            for row in db.execute(sql, {**params, "_now": to_db(now)})}


def _prepare(db: Database, where: str, params: dict, now: datetime,
             ruleset: Ruleset, keep: str | None = None,
             size: int = BATCH,
             decided: dict[int, datetime] | None = None) -> Iterator[list[_Prepared]]:
    """Read only: features, assessments and encoded snapshots, ``size`` at a time.

    Events that have started and have a snapshot are handed back first, as they stand,
    without computing anything (``_held``); the rest follow in id order.  (A past event's
    source stamp is still stored with its first snapshot, ``score_source``.)"""
    batch: list[Scored] = []

    # What each submission's latest snapshot was made from: a rescore compares this cheap
    # basis first, and builds evidence, fired rules and digests only where it differs.
    known = {sid: rest for sid, *rest in db.execute(
        "SELECT s.id, a.basis, a.digest, a.score, a.grade, a.confidence, a.ruleset_version, "
        "a.ruleset_sha256, s.score_source, s.reference, s.starts_at, s.status "
        f"FROM submissions s JOIN assessments a ON a.id = s.assessment_id WHERE {where}",
        params)}
    # An event that has started keeps the snapshot it was graded with: that grade is the
    # one the desk acted on, and calibration measures it ("as graded at the time").  It is
    # handed back as it stands, unread; only a started event never scored is scored here.
    started = to_db(now)
    held = _held(known, started)
    for start in range(0, len(held), size):
        out = []
        for sid in held[start:start + size]:
            _, digest, score_, grade, confidence, version, sha, stamp, ref, starts, status = \
                known[sid]
            out.append(_Prepared(sid, ref, from_db(starts), status, "", None, digest,
                                 score_, grade, grade, confidence, version, sha, "", None,
                                 "", stamp, True))
        yield out
    if held:
        where = (f"({where}) AND NOT (s.assessment_id IS NOT NULL AND "
                 f"s.starts_at <= :_started)")
        params = {**params, "_started": started}
    sources = source_stamps(db, where, params, now, ruleset.sha256)

    def encode(items: list[Scored]) -> list[_Prepared]:
        out: dict[int, _Prepared] = {}
        changed, encoded = [], {}
        for scored in items:
            sub = scored.submission
            assert sub.id is not None
            inputs = canonical.dumps(_inputs(scored))
            features = canonical.dumps(scored.values)
            basis = snapshot_basis(ruleset.sha256, inputs, features)
            before = known.get(sub.id)
            if before is not None and before[0] == basis:
                _, digest, score_, grade, confidence, version, sha, *_ = before
                out[sub.id] = _Prepared(sub.id, sub.reference, sub.start, sub.status.value,
                                        to_db(scored.as_of), None, digest,
                                        score_, grade, grade, confidence, version, sha, "",
                                        None, basis, sources.get(sub.id))
            else:
                changed.append(scored)
                encoded[sub.id] = (inputs, features, basis)
        for scored, a in zip(changed, explain_many(db, changed, ruleset), strict=True):
            sub = scored.submission
            assert sub.id is not None
            inputs, features, basis = encoded[sub.id]
            fired = canonical.dumps([f.__dict__ for f in a.fired])
            digest = hashlib.sha256("\n".join((ruleset.sha256, inputs, features, fired))
                                    .encode()).hexdigest()
            # Packed here, in whichever process prepared it: the writer only writes.
            out[sub.id] = _Prepared(sub.id, sub.reference, sub.start, sub.status.value,
                                    to_db(scored.as_of), fired, digest,
                                    a.score, a.grade.value, a.band_grade.value, a.confidence,
                                    a.ruleset_version, a.ruleset_sha256, a.guidance, a, basis,
                                    sources.get(sub.id), False,
                                    snapshots.pack(db, inputs, features, fired))
        return [out[s.submission.id] for s in items if s.submission.id is not None]

    for scored in iter_features(db, where, params, now, keep, size, decided):
        batch.append(scored)
        if len(batch) == size:
            yield encode(batch)
            batch = []
    if batch:
        yield encode(batch)


def _held(known: dict[int, list], started: str) -> list[int]:
    """The submissions with a snapshot whose start is at or before ``started``: their snapshot
    and grade stand, whatever a rescore would give now."""
    return [sid for sid, rest in known.items() if rest[9] <= started]


def _fields(p: _Prepared) -> tuple:
    return (p.submission_id, p.reference, p.start, p.status, p.as_of, p.fired, p.digest,
            p.score, p.grade, p.band_grade, p.confidence, p.ruleset_version, p.ruleset_sha256,
            p.guidance, None, p.basis, p.source, p.skipped, p.packed)


def snapshot_basis(ruleset_sha256: str, inputs: str, features: str) -> str:
    """What a snapshot was made from (its ruleset, inputs and features), as one hash."""
    return hashlib.sha256("\n".join((ruleset_sha256, inputs, features)).encode()).hexdigest()


_WORKER_DESKS: dict[str, Database] = {}  # a worker process's connection, chunk after chunk


def _prepare_all(path: str, where: str, params: dict, now: datetime,
                 source: str, keep: str, login: dict | None = None) -> list[tuple]:
    """A worker process's share: its own connection, reading only, kept from one chunk to
    the next with the running totals of its venues' history (``history.compute``).  On a
    server desk whose people are logins it connects as the same person (``login``)."""
    db = _WORKER_DESKS.get(path)
    if db is None:
        if login:
            from eventrisk.db import busy_timeout
            from eventrisk.pg.desk import open_server

            db = open_server(path, create=False, timeout=busy_timeout(),  # type: ignore
                             login=login)
        else:
            db = open_database(path, create=False)
        _WORKER_DESKS[path] = db
    try:
        ruleset = parsed(source, "ruleset", stored=True)
        with _bulk_allocation():  # plain tuples pickle several times faster than objects
            return [_fields(p) for batch in _prepare(db, where, params, now, ruleset, keep)
                    for p in batch]
    except BaseException:
        _WORKER_DESKS.pop(path, None)
        db.close()
        raise


def score_where(db: Database, actor: User, where: str, params: dict, *,
                now: datetime | None = None,
                progress: Callable[[int, int], bool] | None = None,
                sink: Callable[[ScoreResult], None] | None = None,
                parallel_from: int = PARALLEL_FROM, assess: bool = False,
                decided: dict[int, datetime] | None = None) -> list[ScoreResult]:
    """Score every matching submission and store a snapshot where anything changed.

    Results are returned, or handed to ``sink`` one by one (then the list stays empty).
    ``progress(done, total)`` may return False to cancel.  Grades change; workflow status
    does not, except that with ``assess`` (an officer scoring named events) received and
    returned submissions become assessed (each change audited).

    From ``parallel_from`` submissions in a database file, a second process prepares the
    submissions at 16/27 of the venues, a chunk ahead, while this one prepares the rest
    and writes (``_score_in_parallel``).  (SQLite's rollback journal, chosen for shared
    folders, lets no one read while a writer commits, so each commit waits until the worker
    has stopped reading.)
    Each batch of ``BATCH`` submissions commits on its own (inside a caller's transaction,
    as a savepoint of it), so that another workstation's save never waits long for the
    write lock; a cancel keeps the batches already written, each whole.

    ``decided`` (submission id -> time) scores those submissions as of that time, as they
    would have been scored before a decision then (the demo replays a desk's past this way),
    in this process.
    """
    require(actor, "score")
    now = now or now_utc()
    ruleset = active_ruleset(db)
    results: list[ScoreResult] = []
    keep = sink or results.append
    total = db.execute(f"SELECT count(*) FROM submissions s WHERE {where}", params).fetchone()[0]
    path = db_path(db)
    with _bulk_allocation():
        # A worker sees only committed rows: inside a caller's transaction, stay in-process.
        if (total >= parallel_from and path != ":memory:" and (os.cpu_count() or 1) >= 2
                and not db.conn.in_transaction and not decided):
            _score_in_parallel(db, actor, where, params, now, ruleset, path, total, keep,
                               progress, assess)
        else:
            # Outside a caller's transaction each batch commits on its own, so that the
            # desk's write lock is never held for long (a save elsewhere waits for one
            # batch, not the whole rescore); inside one, the batches are its savepoints.
            done = 0
            with _decided_times(db, decided):
                for batch in _prepare(db, where, params, now, ruleset, size=BATCH,
                                      decided=decided):
                    with db.atomic():
                        _store_ruleset_if_new(db, ruleset, actor)
                        for result in _write(db, actor, batch, to_db(now), assess):
                            keep(result)
                    done += len(batch)
                    if progress and progress(done, total) is False:
                        raise Cancelled()
        if progress:
            progress(total, total)
    return results


# Each event's assessment time when ``score_where`` is told when it was decided.
_DECIDED_AS_OF = ("min(s.starts_at, coalesce((SELECT d.t FROM {temp}_decided d WHERE "
                  "d.id = s.id), :now))")


@contextmanager
def _decided_times(db: Database, decided: dict[int, datetime] | None):
    """The ``decided`` times as a temporary table for the history query, for the call."""
    if not decided:
        yield
        return
    temp = dialect.of(db).temp
    db.execute(f"DROP TABLE IF EXISTS {temp}_decided")
    # CREATE ... AS, not INSERT: Python's sqlite3 begins a transaction before any INSERT,
    # even into a temporary table, and the batches' commits would become savepoints of it.
    db.execute("CREATE TEMP TABLE _decided AS SELECT CAST(substr(value, 1, instr(value, '|') "
               "- 1) AS INTEGER) AS id, substr(value, instr(value, '|') + 1) AS t "
               "FROM json_each(?)",
               [json.dumps([f"{sid}|{to_db(t)}" for sid, t in decided.items()])])
    for statement in dialect.of(db).temp_index("_decided", "id").split("; "):
        db.execute(statement)
    try:
        yield
    finally:
        db.execute(f"DROP TABLE IF EXISTS {temp}_decided")


def _store_ruleset_if_new(db: Database, ruleset: Ruleset, actor: User) -> None:
    active = db.execute("SELECT 1 FROM rulesets WHERE active = 1").fetchone() is None
    store_ruleset(db, ruleset, actor.username, active=active)


def _latest_digests(db: Database, ids: list[int]) -> dict[int, tuple]:
    """For each named submission: its current snapshot's digest, and the score, grade, grade
    rank and override grade it shows (skipped ones need none)."""
    if not ids:
        return {}
    return {sid: rest for sid, *rest in db.execute(
        "SELECT s.id, a.digest, s.score, s.grade, s.grade_rank, s.override_grade "
        "FROM submissions s LEFT JOIN assessments a ON a.id = s.assessment_id "
        "WHERE s.id IN (SELECT CAST(value AS INTEGER) FROM json_each(?))", [json.dumps(ids)])}


# How a chunk is shared, by venue (each side then reads only its venues' history): this
# process prepares 11/27 and writes everything, the worker prepares 16/27, the next chunk's
# while this process writes.  Measured at 100,000 and at a million events, the writer's
# share of the preparing is 0.41 of it when the two processes' CPU time is equal (with four
# ninths, 0.44, the writer used 10-13% more than the worker and the worker waited on it).
PARTS, MINE_PARTS = 27, 11
MINE_VENUES = f"v.id % {PARTS} < {MINE_PARTS}"
THEIRS_VENUES = f"v.id % {PARTS} >= {MINE_PARTS}"
MINE = MINE_VENUES.replace("v.id", "s.venue_id")
THEIRS = THEIRS_VENUES.replace("v.id", "s.venue_id")


def _score_in_parallel(db: Database, actor: User, where: str, params: dict, now: datetime,
                       ruleset: Ruleset, path: str, total: int,
                       keep: Callable[[ScoreResult], None],
                       progress: Callable[[int, int], bool] | None, assess: bool) -> None:
    """Chunks follow the events' start times, so each chunk's history spans its own months
    (plus the 24 its windows look back), not the whole desk.  The worker is given its share
    of the next chunk before this one is written: it reads only committed rows, and each
    chunk's events are its own."""
    done = 0
    server = dialect.of(db).server
    order = "ORDER BY s.starts_at, s.id"
    if not server:
        # A chunk's writes stay in this connection's page cache until the commit, even past
        # its size: spilling them to the file mid-transaction needs the lock the worker's
        # read holds, and would wait on it until the busy timeout failed the rescore.  A
        # chunk is bounded, so the cache's growth is too.
        db.execute("PRAGMA cache_spill = OFF")
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    broken = False

    def chunk_after(cond: str, bounds: dict) -> tuple[str, dict] | None:
        low = db.execute(f"SELECT s.starts_at, s.id FROM submissions s WHERE ({where}) AND "
                         f"{cond} {order} LIMIT 1", bounds).fetchone()
        if low is None:
            return None
        high = db.execute(
            f"SELECT starts_at, id FROM (SELECT s.starts_at, s.id FROM submissions s WHERE "
            f"({where}) AND (s.starts_at, s.id) >= (:_lo_t, :_lo_id) {order} "
            f"LIMIT {CHUNK}) AS chunk ORDER BY starts_at DESC, id DESC LIMIT 1",
            {**params, "_lo_t": low[0], "_lo_id": low[1]}).fetchone()
        return ((f"({where}) AND (s.starts_at, s.id) >= (:_lo_t, :_lo_id) AND "
                 "(s.starts_at, s.id) <= (:_hi_t, :_hi_id)"),
                {**params, "_lo_t": low[0], "_lo_id": low[1], "_hi_t": high[0],
                 "_hi_id": high[1]})

    def hand_out(chunk: tuple[str, dict] | None) -> Future | None:
        nonlocal broken
        if chunk is None or broken:
            return None
        try:
            return pool.submit(_prepare_all, path, f"({chunk[0]}) AND {THEIRS}", chunk[1], now,
                               ruleset.source, THEIRS_VENUES,
                               getattr(getattr(db, "conn", None), "login", None) or None)
        except (BrokenProcessPool, RuntimeError):
            broken = True  # the worker could not start for an earlier chunk either
            return None

    def ours(chunk: tuple[str, dict] | None) -> Iterator[list[_Prepared]]:
        """This process's share of a chunk, prepared a few hundred at a time."""
        if chunk is None:
            return iter(())
        return _prepare(db, f"({chunk[0]}) AND {MINE}", chunk[1], now, ruleset, MINE_VENUES,
                        AHEAD_BATCH)

    cancelled = False
    try:
        chunk = chunk_after("1 = 1", params)
        theirs = hand_out(chunk)
        share = ours(chunk)
        while chunk is not None:
            cond, bounds = chunk
            # The worker's share of the next chunk, queued behind this one's: it prepares it
            # while this process prepares its share of this chunk and writes it.
            following = chunk_after("(s.starts_at, s.id) > (:_hi_t, :_hi_id)", bounds)
            # On a file the worker waits for this chunk's commits (below); on a server,
            # where readers never hold off a commit, it starts on the next chunk now.
            theirs_next = hand_out(following) if server else None
            mine: list[_Prepared] = []
            # Reported once a batch, and once a chunk whatever was prepared ahead: the worker
            # is about as far through its share as we are through ours (never past this
            # chunk, so that the count only goes up).
            for batch in chain(share, [[]]):
                mine += batch
                if progress and progress(min(total, done + CHUNK,
                                             done + len(mine) * PARTS // MINE_PARTS),
                                         total) is False:
                    cancelled = True
                    raise Cancelled()
            try:
                if theirs is None:
                    raise BrokenProcessPool("no worker")
                other = [_Prepared(*fields) for fields in theirs.result()]
            except (BrokenProcessPool, OSError, pickle.PicklingError):
                # The worker could not start here (an embedded interpreter, say): do its share
                # in this process.
                broken = True
                other = [p for batch in _prepare(db, f"({cond}) AND {THEIRS}", bounds, now,
                                                 ruleset) for p in batch]
            prepared = sorted(mine + other, key=lambda p: p.submission_id)
            share = ours(following)
            if server:
                # Readers never hold off a commit on the server: write a batch a
                # transaction, so that the desk's write lock is never held for long and
                # other workstations' saves wait a moment at most, never the busy timeout.
                for start in range(0, len(prepared), BATCH):
                    with db.atomic():
                        _store_ruleset_if_new(db, ruleset, actor)
                        for result in _write(db, actor, prepared[start:start + BATCH],
                                             to_db(now), assess):
                            keep(result)
            else:
                # A batch a transaction here too, each committed at once: the worker is not
                # reading (its share of this chunk is done, the next is handed out after),
                # and a commit needs every reader gone.  So the desk's write lock is held for
                # one batch's writes at a time, and another workstation's save waits a
                # fraction of a second, never the busy timeout (bench/bench_contention.py).
                # The worker is idle meanwhile: a few per cent of a rescore's time.
                for start in range(0, len(prepared), BATCH):
                    with db.atomic():
                        _store_ruleset_if_new(db, ruleset, actor)
                        for result in _write(db, actor, prepared[start:start + BATCH],
                                             to_db(now), assess):
                            keep(result)
                theirs_next = hand_out(following)
            done += len(prepared)
            chunk, theirs = following, theirs_next
    finally:
        if not server:
            db.execute("PRAGMA cache_spill = ON")
        history.release(db)
        # After a cancel, do not wait for the worker: it only reads, and stops on its own.
        pool.shutdown(wait=not cancelled, cancel_futures=True)


# A new snapshot is a new version: a decision taken on the old one is stale.  Where the
# score and grade the desk shows stay as they were, they are left out of the UPDATE: SQLite
# rewrites every index on a column the UPDATE sets, changed or not, and four of the queue's
# indexes hold the score or grade (measured at a million events: 22 ms for 5,000 rows
# against 55 ms).
_POINT = ("UPDATE submissions SET assessment_id = ?, version = version + 1, updated_at = ?, "
          "updated_by = ?, score_source = ?{regrade} WHERE id = ?")
_REGRADED = _POINT.format(regrade=", score = ?, grade = ?, grade_rank = ?")
_CONFIRMED = _POINT.format(regrade="")


def _write(db: Database, actor: User, batch: list[_Prepared], stamp: str,
           assess: bool = False) -> list[ScoreResult]:
    """Insert the snapshots that changed, then point their submissions at them; with
    ``assess``, received submissions become assessed."""
    latest = _latest_digests(db, [p.submission_id for p in batch if not p.skipped])
    results, rows, assessed, sources, stored_now = [], [], [], [], {}
    for p in batch:
        stored = not p.skipped and latest[p.submission_id][0] != p.digest
        if not p.skipped and not stored:
            sources.append((p.source, p.submission_id))
        if stored:
            rows.append((p.submission_id, stamp, actor.username, p.as_of, p.ruleset_version,
                         p.ruleset_sha256, p.packed, p.score, p.grade, p.confidence, p.digest,
                         p.basis))
            stored_now[p.submission_id] = p
        if assess and p.status in (Status.RECEIVED.value, Status.RETURNED.value):
            assessed.append(p)
        results.append(ScoreResult(p.reference, p.submission_id, Grade(p.grade), p.score,
                                   stored, p.start, p))
    if rows:
        last = db.execute("SELECT coalesce(max(id), 0) FROM assessments").fetchone()[0]
        db.conn.executemany(
            "INSERT INTO assessments (submission_id, created_at, created_by, as_of, "
            "ruleset_version, ruleset_sha256, packed, score, grade, confidence, digest, basis)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        added = db.execute("SELECT id, submission_id, digest, grade, score FROM assessments "
                           "WHERE id > ? ORDER BY id", [last]).fetchall()
        regraded, confirmed = [], []
        for aid, sid, _, _, _ in added:
            p = stored_now[sid]
            _, score_, grade, rank, override = latest[sid]
            shown = ((p.score, p.grade, Grade(p.grade).rank) if override is None
                     else (p.score, override, rank))
            # A decided event keeps the grade the supervisor decided on: the new snapshot
            # stands beside the decision, which the read model then shows as needing a
            # re-review where its grade differs (``decision_stale``).
            if (score_, grade, rank) == shown or (p.status in workflow.DECIDED
                                                and grade is not None):
                confirmed.append((aid, stamp, actor.username, p.source, sid))
            else:
                regraded.append((aid, stamp, actor.username, p.source, *shown, sid))
        for statement, values in ((_REGRADED, regraded), (_CONFIRMED, confirmed)):
            if values:
                db.conn.executemany(statement, values)
        # Every snapshot has its audit entry (and so does the version it adds): the audit
        # trail can then be reconciled with the assessments and submissions tables.
        audit.record_many(db, [
            (actor.username, "assessment.snapshot", "submission", sid,
             audit.snapshot_detail(aid, digest, grade, score), "")
            for aid, sid, digest, grade, score in added])
    # What each snapshot now stands on (a new one, set above, or an old one confirmed), so
    # that the next rescore can skip the event until one of its sources moves.
    db.conn.executemany("UPDATE submissions SET score_source = ? WHERE id = ?", sources)
    for p in assessed:
        workflow.apply(db, actor, p.submission_id, "assess",
                       detail={"grade": p.grade, "score": p.score})
    return results


def score_references(db: Database, actor: User, references: list[str],
                     now: datetime | None = None, assess: bool = True) -> list[ScoreResult]:
    """Score the named submissions (``NotFoundError`` for an unknown reference); received
    and returned ones become assessed."""
    ids = [submissions.get_by_reference(db, ref).id for ref in references]
    return score_ids(db, actor, [i for i in ids if i is not None], now=now, assess=assess)


def score_ids(db: Database, actor: User, ids: list[int], now: datetime | None = None,
              assess: bool = True) -> list[ScoreResult]:
    """Score the submissions with these ids."""
    params = {f"r{i}": sid for i, sid in enumerate(ids)}
    where = f"s.id IN ({', '.join(':' + k for k in params)})"
    return score_where(db, actor, where, params, now=now, assess=assess)


def score_all(db: Database, actor: User, now: datetime | None = None,
              progress: Callable[[int, int], bool] | None = None,
              sink: Callable[[ScoreResult], None] | None = None,
              parallel_from: int = PARALLEL_FROM) -> list[ScoreResult]:
    """Score every submission that is not cancelled."""
    return score_where(db, actor, "s.status != 'cancelled'", {}, now=now, progress=progress,
                       sink=sink, parallel_from=parallel_from)


@dataclass(frozen=True)
class StoredAssessment:
    """A snapshot as stored: who scored it, when, with what."""

    id: int
    created_at: str
    created_by: str
    as_of: str
    ruleset_version: str
    score: int
    grade: Grade
    confidence: float
    fired: tuple[FiredRule, ...]
    features: dict


def latest_assessment(db: Database, submission_id: int) -> StoredAssessment | None:
    """The newest stored snapshot of a submission."""
    return _stored(db, "SELECT * FROM assessments WHERE submission_id = ? ORDER BY id DESC "
                   "LIMIT 1", submission_id)


def assessment_by_id(db: Database, assessment_id: int) -> StoredAssessment | None:
    """One stored snapshot (a decision's, say)."""
    return _stored(db, "SELECT * FROM assessments WHERE id = ?", assessment_id)


def _stored(db: Database, sql: str, key: int) -> StoredAssessment | None:
    rows = list(db.query(sql, [key]))
    if not rows:
        return None
    r = rows[0]
    _, features, fired = snapshots.texts(db, r["packed"], r["inputs"], r["features"],
                                         r["fired"])
    return StoredAssessment(r["id"], r["created_at"], r["created_by"], r["as_of"],
                            r["ruleset_version"], r["score"], Grade(r["grade"]),
                            r["confidence"], fired_from_json(fired), json.loads(features))


def fired_from_json(text: str) -> tuple[FiredRule, ...]:
    """The typed fired rules of a stored snapshot."""
    return tuple(FiredRule(**(f | {"incident_refs": tuple(f["incident_refs"])}))
                 for f in json.loads(text))
