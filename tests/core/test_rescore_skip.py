"""A rescore skips past events whose sources have not moved, and the skip never hides a change:
after any edit to what a history feature reads, skipping gives exactly the snapshots that a
rescore computing everything gives."""

import random
from datetime import timedelta

import pytest

from eventrisk import demo, dialect
from eventrisk.db import open_database
from eventrisk.pg import is_server
from eventrisk.scoring import service
from eventrisk.timeutil import now_utc
from eventrisk.users import find_user
from tests.conftest import BACKENDS, module_desk

NOW = now_utc()


@pytest.fixture(scope="module", params=BACKENDS)
def scored_desk(request, tmp_path_factory):
    with module_desk(request, tmp_path_factory) as path:
        db = open_database(path)
        demo.build(db, venues=8, events=220, incidents=400, seed=4)
        service.score_all(db, find_user(db, "supervisor"), now=NOW)
        db.close()
        yield path


def _computed(monkeypatch) -> list[int]:
    """Ids of the submissions whose features were computed, as they are computed."""
    seen: list[int] = []
    real = service.iter_features

    def counting(*args, **kwargs):
        for scored in real(*args, **kwargs):
            seen.append(scored.submission.id)
            yield scored
    monkeypatch.setattr(service, "iter_features", counting)
    return seen


def _rescore(path, force=False):
    db = open_database(path)
    if force:
        db.execute("UPDATE submissions SET score_source = NULL")
    results = service.score_all(db, find_user(db, "supervisor"), now=NOW)
    snapshots = db.execute("SELECT s.id, a.digest, s.grade, s.score FROM submissions s "
                           "JOIN assessments a ON a.id = s.assessment_id ORDER BY s.id").fetchall()
    db.close()
    return sorted((r.submission_id, r.grade, r.score) for r in results), snapshots


def test_a_rescore_with_nothing_changed_computes_only_upcoming_events(scored_desk, copy_desk, tmp_path,
                                                                        monkeypatch):
    path = copy_desk(scored_desk, "desk.db")
    db = open_database(path)
    upcoming = {r[0] for r in db.execute(
        "SELECT id FROM submissions WHERE status != 'cancelled' AND starts_at > ?",
        [NOW.strftime("%Y-%m-%dT%H:%M:%SZ")])}
    snapshots_before = db.execute("SELECT count(*) FROM assessments").fetchone()[0]
    db.close()
    computed = _computed(monkeypatch)
    results, _ = _rescore(path)
    assert set(computed) == upcoming  # the past, unchanged, was not recomputed
    assert len(results) > len(upcoming) + 100
    db = open_database(path)
    assert db.execute("SELECT count(*) FROM assessments").fetchone()[0] == snapshots_before
    db.close()


# Every kind of edit below is made in exactly one group, with two or three others: seven
# groups cover all nineteen kinds (sixteen random draws of three had left three kinds out).
GROUPS = 7
_ORDER = random.Random(2026).sample(range(19), 19)


def _mutations(db, rng, group):
    """The group's edits to what a history feature reads, made the way a careless script (or
    an insider with the file) would make them: plain SQL, relying on the triggers."""
    venue = rng.choice([r[0] for r in db.execute("SELECT id FROM venues")])
    sub = rng.choice(db.execute("SELECT id, starts_at, venue_id, promoter_id FROM submissions "
                                "WHERE starts_at < ? ORDER BY id",
                                ["2099"]).fetchall())
    incident = rng.choice(db.execute("SELECT id FROM incidents").fetchall())[0]
    choices = [
        ("incident added", "INSERT INTO incidents (reference, venue_id, occurred_at, category, "
         "severity, location, submission_id) VALUES ('INC-X1', ?, strftime('%Y-%m-%dT%H:%M:%SZ',"
         " ?, '-20 days'), 'knife', 3, 'inside', ?)", [sub[2], sub[1], sub[0]]),
        ("incident category", "UPDATE incidents SET category = 'firearm' WHERE id = ?",
         [incident]),
        ("incident severity", "UPDATE incidents SET severity = 3 - severity + 1 WHERE id = ?",
         [incident]),
        ("incident moved venue", "UPDATE incidents SET venue_id = ? WHERE id = ?",
         [venue, incident]),
        ("incident moved in time", "UPDATE incidents SET occurred_at = strftime("
         "'%Y-%m-%dT%H:%M:%SZ', occurred_at, '-200 days') WHERE id = ?", [incident]),
        ("incident linked", "UPDATE incidents SET submission_id = ? WHERE id = ?",
         [sub[0], incident]),
        ("incident deleted", "DELETE FROM incidents WHERE id = ?", [incident]),
        ("debrief changed", "UPDATE debriefs SET incidents_noted = incidents_noted + 3 WHERE "
         "submission_id = (SELECT submission_id FROM debriefs ORDER BY random() LIMIT 1)", []),
        ("debrief deleted", "DELETE FROM debriefs WHERE id = (SELECT max(id) FROM debriefs)", []),
        ("event moved venue", "UPDATE submissions SET venue_id = ? WHERE id = ?",
         [venue, sub[0]]),
        ("event moved promoter", "UPDATE submissions SET promoter_id = (SELECT max(id) FROM "
         "promoters) WHERE id = ?", [sub[0]]),
        ("event moved in time", "UPDATE submissions SET starts_at = strftime("
         "'%Y-%m-%dT%H:%M:%SZ', starts_at, '-90 days') WHERE id = ?", [sub[0]]),
        ("event cancelled", "UPDATE submissions SET status = 'cancelled' WHERE id = ?",
         [sub[0]]),
        # Same night, same borough: counted live, as no trigger could tell the neighbours.
        ("another event joins the night", "UPDATE submissions SET night = (SELECT night FROM "
         "submissions WHERE id = :sub), status = 'approved' WHERE id = (SELECT min(id) FROM "
         "submissions WHERE venue_id = :venue AND id != :sub)", {"sub": sub[0], "venue": sub[2]}),
        ("a neighbour cancelled", "UPDATE submissions SET status = 'cancelled' WHERE id = ("
         "SELECT max(o.id) FROM submissions o JOIN submissions me ON me.id = :sub "
         "WHERE o.night = me.night AND o.id != me.id)", {"sub": sub[0]}),
        ("attendance", "UPDATE submissions SET expected_attendance = expected_attendance * 2 "
         "WHERE id = ?", [sub[0]]),
        ("capacity", "UPDATE venues SET capacity = capacity / 2 + 1 WHERE id = ?", [venue]),
        ("borough", "UPDATE venues SET borough = 'Hackney' WHERE id = ?", [venue]),
        ("licence", "UPDATE venues SET latest_finish = '23:00' WHERE id = ?", [venue]),
    ]
    assert len(choices) == len(_ORDER)
    return [choices[i] for i in _ORDER[group::GROUPS]]



@pytest.mark.parametrize("group", range(GROUPS))
def test_skipping_gives_the_snapshots_a_full_rescore_gives(scored_desk, copy_desk, tmp_path,
                                                           group):
    rng = random.Random(group)
    skip = copy_desk(scored_desk, "skip.db")
    db = open_database(skip)
    made = _mutations(db, rng, group)
    with db.atomic():
        for _label, sql, params in made:
            db.execute(sql, params)
    db.close()
    full = copy_desk(skip, "full.db")
    skipped = _rescore(skip)
    computed = _rescore(full, force=True)
    assert skipped == computed, [m[0] for m in made]


def test_a_changed_ruleset_recomputes_only_events_that_have_not_started(scored_desk, copy_desk,
                                                                         tmp_path, monkeypatch):
    """A started event keeps the snapshot it was graded with, whatever moved since: a new
    ruleset recomputes the upcoming events only (issue 32: "as graded at the time")."""
    path = copy_desk(scored_desk, "desk.db")
    db = open_database(path)
    upcoming = {r[0] for r in db.execute(
        "SELECT id FROM submissions WHERE status != 'cancelled' AND starts_at > ?",
        [NOW.strftime("%Y-%m-%dT%H:%M:%SZ")])}
    before = db.execute("SELECT id, assessment_id, grade, score FROM submissions WHERE "
                        "starts_at <= ? ORDER BY id", [NOW.strftime("%Y-%m-%dT%H:%M:%SZ")]
                        ).fetchall()
    db.close()
    computed = _computed(monkeypatch)
    monkeypatch.setattr(service, "source_stamps", lambda db, where, params, now, sha:
                        real_stamps(db, where, params, now, sha + "-next"))
    _rescore(path)
    assert set(computed) == upcoming
    db = open_database(path)
    assert db.execute("SELECT id, assessment_id, grade, score FROM submissions WHERE "
                      "starts_at <= ? ORDER BY id", [NOW.strftime("%Y-%m-%dT%H:%M:%SZ")]
                      ).fetchall() == before
    db.close()


real_stamps = service.source_stamps


def test_a_started_event_keeps_its_snapshot_when_a_neighbour_joins_its_night(scored_desk,
                                                                             copy_desk,
                                                                             tmp_path):
    """Events the same night in the same borough count for each other; once an event has
    started, a neighbour recorded later no longer changes the snapshot it was graded with."""
    skip = copy_desk(scored_desk, "skip.db")
    db = open_database(skip)
    me, venue, night = db.execute(
        "SELECT id, venue_id, night FROM submissions WHERE status NOT IN ('cancelled') AND "
        "starts_at < ? ORDER BY id LIMIT 1", [NOW.strftime("%Y-%m-%dT%H:%M:%SZ")]).fetchone()
    other = db.execute("SELECT max(id) FROM submissions WHERE venue_id = ? AND id != ? AND "
                       "status != 'cancelled' AND starts_at < ?",
                       [venue, me, NOW.strftime("%Y-%m-%dT%H:%M:%SZ")]).fetchone()[0]
    with db.atomic():
        db.execute("UPDATE submissions SET night = ? WHERE id = ?", [night, other])
    db.close()
    before = _feature(skip, me)
    full = copy_desk(skip, "full.db")
    assert _rescore(skip) == _rescore(full, force=True)
    assert _feature(skip, me) == before


def _feature(path, sid):
    import json

    from eventrisk import snapshots

    db = open_database(path)
    packed = db.execute("SELECT a.packed FROM submissions s JOIN assessments a ON a.id = "
                        "s.assessment_id WHERE s.id = ?", [sid]).fetchone()[0]
    value = json.loads(snapshots.unpack(db, packed)[1])["same_night_borough_events"]
    db.close()
    return value


def test_history_in_bulk_equals_history_one_event_at_a_time(scored_desk, copy_desk, tmp_path):
    """Bulk scoring reads only each chunk's span (plus each venue's last debrief before it);
    every event's history must still equal what scoring it alone gives, old debriefs
    included."""
    from eventrisk.scoring import history

    path = copy_desk(scored_desk, "desk.db")
    db = open_database(path)
    # Leave some venues without a debrief for years, so that their last one is old; at one,
    # the last lies before any window of the events scored (more than 24 months back).
    db.execute("DELETE FROM debriefs WHERE submission_id IN (SELECT id FROM submissions WHERE "
               "starts_at > strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-200 days') AND "
               "venue_id % 2 = 0)")
    venue, kept = db.execute("SELECT s.venue_id, min(s.id) FROM submissions s JOIN debriefs d "
                             "ON d.submission_id = s.id WHERE s.venue_id % 2 = 1 GROUP BY 1 "
                             "ORDER BY count(*) DESC LIMIT 1").fetchone()
    db.execute("DELETE FROM debriefs WHERE submission_id IN (SELECT id FROM submissions WHERE "
               "venue_id = ? AND id != ?)", [venue, kept])
    db.execute("UPDATE submissions SET starts_at = strftime('%Y-%m-%dT%H:%M:%SZ', starts_at, "
               "'-1000 days') WHERE id = ?", [kept])
    bulk = {h.submission_id: h.values for h in history.compute(
        db, "s.starts_at > strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-120 days')", {}, NOW)}
    assert len(bulk) > 20
    old = [v["months_since_last_debrief"] for v in bulk.values()]
    assert 30 < max(v for v in old if v < 99)  # a last debrief from before every window
    for sid, values in bulk.items():
        alone = history.compute(db, "s.id = :id", {"id": sid}, NOW)[0].values
        assert alone == values, sid
        # And both equal a plain reading of the venue's last debrief before the event.
        last = db.execute(
            "SELECT coalesce(round((julianday(min(me.starts_at, :now)) - julianday(o.starts_at))"
            " / 30.44, 1), 99.0), coalesce(d.incidents_noted, 0) FROM submissions me "
            "LEFT JOIN submissions o ON o.id = (SELECT s2.id FROM submissions s2 JOIN debriefs "
            "d2 ON d2.submission_id = s2.id WHERE s2.venue_id = me.venue_id AND s2.starts_at < "
            "min(me.starts_at, :now) ORDER BY s2.starts_at DESC, s2.id DESC LIMIT 1) "
            "LEFT JOIN debriefs d ON d.submission_id = o.id WHERE me.id = :id",
            {"id": sid, "now": NOW.strftime("%Y-%m-%dT%H:%M:%SZ")}).fetchone()
        assert (values["months_since_last_debrief"], values["last_debrief_incidents"]) == last
    db.close()


@pytest.mark.parametrize("parallel_from", [1, 10**9], ids=["two processes", "one process"])
def test_a_rescore_that_skips_commits_its_writes_and_holds_no_lock(scored_desk, copy_desk, tmp_path,
                                                                   parallel_from):
    """Listing the skipped events once left a transaction open (Python's sqlite3 begins one
    before an INSERT, even into a temporary table): the writes that followed were savepoints
    inside it, lost when the desk closed, and its shared lock kept other workstations from
    committing."""
    import sqlite3

    import psycopg

    from eventrisk.pg.connection import WRITE_LOCK

    path = copy_desk(scored_desk, "desk.db")
    db = open_database(path)
    supervisor = find_user(db, "supervisor")
    # Half the past events lose their snapshot pointer, so that the rescore scores them again
    # (a started event that has one keeps it).
    db.execute("UPDATE submissions SET score_source = NULL, assessment_id = NULL WHERE "
               "id % 2 = 0 AND starts_at <= ?", [NOW.strftime("%Y-%m-%dT%H:%M:%SZ")])
    db.conn.commit()
    service.score_all(db, supervisor, now=NOW, parallel_from=parallel_from)
    assert not db.conn.in_transaction
    # another workstation, unwilling to wait
    if is_server(path):
        other = psycopg.connect(path, autocommit=True, options="-c search_path=eventrisk")
        other.execute("BEGIN")
        assert other.execute("SELECT pg_try_advisory_xact_lock(%s)",
                             [WRITE_LOCK]).fetchone()[0]  # the desk's write lock is free
        other.execute("UPDATE submissions SET notes = notes WHERE id = 1")
        other.execute("COMMIT")
    else:
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute("UPDATE submissions SET notes = notes WHERE id = 1")
        other.execute("COMMIT")  # needs the exclusive lock: refused if the rescore still read
    # every past event without a snapshot was scored again, and committed
    mark = "%s" if is_server(path) else "?"  # psycopg's placeholder, or sqlite3's
    assert other.execute("SELECT count(*) FROM submissions WHERE assessment_id IS NULL AND "
                         f"status != 'cancelled' AND starts_at <= {mark}",
                         [NOW.strftime("%Y-%m-%dT%H:%M:%SZ")]).fetchone()[0] == 0
    other.close()
    db.close()


def test_running_totals_kept_from_chunk_to_chunk_give_what_fresh_ones_give(scored_desk,
                                                                           copy_desk):
    """A bulk rescore keeps each process's running totals from one chunk to the next
    (``history.compute(..., keep=...)``).  Chunk by chunk they must give exactly what totals
    built for each chunk alone give; and an incident recorded between two chunks, from
    another workstation, must be in the next chunk's windows, not hidden by the kept totals."""
    from eventrisk.model import Incident, IncidentCategory, Location, Severity
    from eventrisk.scoring import history

    path = copy_desk(scored_desk, "desk.db")
    db = open_database(path)
    share = "v.id % 2 = 1"
    starts = [r[0] for r in db.execute(
        "SELECT s.starts_at FROM submissions s WHERE s.venue_id % 2 = 1 ORDER BY 1")]
    edges = [starts[len(starts) * i // 5] for i in range(5)] + ["9999"]
    chunks = [("s.venue_id % 2 = 1 AND s.starts_at >= :lo AND s.starts_at < :hi",
               {"lo": lo, "hi": hi}) for lo, hi in zip(edges, edges[1:], strict=False)]

    def fresh(where, params):
        return {h.submission_id: h.values for h in history.compute(db, where, params, NOW)}

    alone = [fresh(where, params) for where, params in chunks]
    builds = []
    for (where, params), expected in zip(chunks, alone, strict=True):
        kept = {h.submission_id: h.values
                for h in history.compute(db, where, params, NOW, keep=share)}
        builds.append(db.__dict__["_kept_history"])
        assert kept and kept == expected
    assert len(set(map(id, builds))) < len(builds), "no chunk reused the totals kept before"

    # Another workstation records an incident inside the last chunk's windows.
    where, params = chunks[-1]
    history.compute(db, chunks[-2][0], chunks[-2][1], NOW, keep=share)
    kept_before = db.__dict__["_kept_history"]
    venue, start = db.execute(
        "SELECT v.code, s.starts_at FROM submissions s JOIN venues v ON v.id = s.venue_id "
        "WHERE s.venue_id % 2 = 1 AND s.starts_at >= :lo AND s.starts_at <= :now "
        "ORDER BY s.starts_at DESC LIMIT 1",
        {"lo": params["lo"], "now": NOW.strftime("%Y-%m-%dT%H:%M:%SZ")}).fetchone()
    other = open_database(path)
    from eventrisk import incidents
    from eventrisk.timeutil import from_db

    incidents.create(other, find_user(other, "officer"), Incident(
        venue, from_db(start) - timedelta(days=3), IncidentCategory.KNIFE, Severity.SERIOUS,
        Location.INSIDE, description="Knife found at the bar"))
    other.close()
    after = {h.submission_id: h.values
             for h in history.compute(db, where, params, NOW, keep=share)}
    assert db.__dict__["_kept_history"] is not kept_before  # built again, with it
    assert after == fresh(where, params)
    assert any(v["venue_knife_6m_count"] for v in after.values())
    # Released, nothing is left on the connection.
    history.compute(db, where, params, NOW, keep=share)
    history.release(db)
    assert "_kept_history" not in db.__dict__
    db.execute("CREATE TEMP TABLE _vcum (k integer)")  # would fail if it were still there
    db.close()


def test_one_event_read_in_one_statement_gives_what_the_temporary_tables_give(scored_desk):
    """One event's history is read with its tables as common table expressions, and a few
    evidence look-ups are given as a VALUES list; many events go through temporary tables.
    Both ways give the same features and the same incident references."""
    from eventrisk.scoring import history

    db = open_database(scored_desk)
    ids = [r[0] for r in db.execute("SELECT id FROM submissions WHERE status != 'cancelled' "
                                    "ORDER BY id")]
    many = {h.submission_id: h for h in history.compute(db, "1 = 1", {}, NOW)}
    assert len(many) > 200
    requests, alone = [], {}
    statements: list[str] = []
    real = db.execute
    db.execute = lambda sql, *args, **kw: statements.append(sql) or real(sql, *args, **kw)
    for sid in ids:
        [one] = history.compute(db, "s.id = :id", {"id": sid}, NOW)
        assert (one.bounds, one.venue_id, one.promoter_id) == (
            many[sid].bounds, many[sid].venue_id, many[sid].promoter_id)
        assert one.values == many[sid].values, sid
        asked = history.ref_requests(sid, one, set(one.values))
        requests += asked
        alone |= history.incident_refs_bulk(db, asked)  # a few: listed
    assert not [s for s in statements if "TEMP" in s.upper()]  # one at a time: no tables
    assert len({r[2:] for r in requests}) > history._LISTED  # all at once: a table
    together = history.incident_refs_bulk(db, requests)
    assert together == alone
    assert sum(len(refs) for refs in together.values()) > 100  # evidence was found
    db.close()


class _UndoError(Exception):
    pass


def test_a_history_revision_moves_with_each_transaction_that_changes_history(db, admin, venue):
    """A kept running total is reused only while every venue's ``history_rev`` stands still.
    The server moves it once a transaction (a file, once a row): so every transaction that
    changes a venue's incidents must move it, a savepoint rolled back must not leave it
    marked as moved, and a transaction that changes nothing must not move it."""
    def rev() -> int:
        return db.execute("SELECT history_rev FROM venues WHERE id = ?", [venue.id]
                          ).fetchone()[0]

    made = iter(range(1, 100))

    def record() -> None:
        db.execute("INSERT INTO incidents (reference, venue_id, occurred_at, category, "
                   "severity, location) VALUES (?, ?, '2024-01-01T10:00:00Z', 'disorder', 2, "
                   "'inside')", [f"INC-T{next(made)}", venue.id])

    start = rev()
    with db.atomic():
        for _ in range(5):
            record()
    first = rev()
    assert first > start
    with db.atomic():
        record()
    second = rev()
    assert second > first  # the next transaction moves it again
    with db.atomic():
        try:
            with db.atomic():  # a savepoint
                record()
                raise _UndoError
        except _UndoError:
            pass
        assert rev() == second  # its bump went with it
        record()  # and was not left marked as done
    assert rev() > second
    third = rev()
    with db.atomic():
        db.execute("SELECT count(*) FROM incidents").fetchone()
    assert rev() == third
    # Moved once a transaction on the server, once a row on a file.
    assert first - start == (1 if dialect.of(db).server else 5)


def _shown_against_snapshots(db) -> list:
    """Submissions whose score, grade or grade rank is not what their latest snapshot (and
    any override) makes it, or that do not point at their latest snapshot."""
    from eventrisk.model import Grade

    ranks = " ".join(f"WHEN '{g.value}' THEN {g.rank}" for g in Grade)
    return db.execute(
        "SELECT s.id FROM submissions s JOIN assessments a ON a.id = s.assessment_id "
        "WHERE a.id != (SELECT max(b.id) FROM assessments b WHERE b.submission_id = s.id) "
        "OR s.score IS DISTINCT FROM a.score "
        "OR s.grade IS DISTINCT FROM coalesce(s.override_grade, a.grade) "
        f"OR s.grade_rank IS DISTINCT FROM CASE s.grade {ranks} END").fetchall()


def test_a_rescore_shows_each_new_snapshot_whether_or_not_its_grade_moved(scored_desk,
                                                                          copy_desk):
    """A snapshot whose score and grade are those the desk already shows is pointed at
    without setting them again (a cheaper UPDATE); one that moves them shows the new ones;
    an override stands over either.  Either way the event's version moves on."""
    from eventrisk import incidents
    from eventrisk.model import Grade, Incident, IncidentCategory, Location, Severity

    path = copy_desk(scored_desk, "desk.db")
    db = open_database(path)
    assert _shown_against_snapshots(db) == []
    venue, venue_id = db.execute(
        "SELECT v.code, v.id FROM venues v JOIN submissions s ON s.venue_id = v.id "
        "GROUP BY v.code, v.id ORDER BY count(*) DESC LIMIT 1").fetchone()
    overridden = db.execute("SELECT id FROM submissions WHERE venue_id = ? AND "
                            "status != 'cancelled' ORDER BY starts_at DESC LIMIT 1",
                            [venue_id]).fetchone()[0]
    with db.atomic():  # as a supervisor's override leaves it (eventrisk.workflow)
        db.execute("UPDATE submissions SET override_grade = 'CRITICAL', grade = 'CRITICAL', "
                   "grade_rank = ? WHERE id = ?", [Grade.CRITICAL.rank, overridden])
    before = {sid: rest for sid, *rest in db.execute(
        "SELECT id, assessment_id, score, grade, version FROM submissions")}
    # Incidents at one venue: every event there whose windows hold them gets a new snapshot.
    officer = find_user(db, "officer")
    for days in (20, 45, 200):
        incidents.create(db, officer, Incident(
            venue, NOW - timedelta(days=days), IncidentCategory.DISORDER, Severity.MINOR,
            Location.OUTSIDE_NEARBY, description="Scuffle in the queue"))
    service.score_all(db, find_user(db, "supervisor"), now=NOW)
    after = {sid: rest for sid, *rest in db.execute(
        "SELECT id, assessment_id, score, grade, version FROM submissions")}
    assert _shown_against_snapshots(db) == []
    renewed = [sid for sid in after if after[sid][0] != before[sid][0]]
    assert all(after[sid][3] == before[sid][3] + 1 for sid in renewed)
    assert all(after[sid][1:] == before[sid][1:] for sid in after if sid not in renewed)
    kept_grade = [sid for sid in renewed if after[sid][1:3] == before[sid][1:3]]
    assert kept_grade and overridden in renewed
    assert after[overridden][2] == "CRITICAL"
    db.close()
