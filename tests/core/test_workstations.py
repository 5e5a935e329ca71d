"""Several workstations on one desk, a file or a server: real processes, not threads.

A stale approval is refused; two saves of one event give one conflict and no lost update;
an officer saving while a supervisor rescores the desk both finish; two rescores at once
both finish.  Every use case begins with BEGIN IMMEDIATE, so they wait their turn (up to
the busy timeout) instead of failing at once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from eventrisk import audit, submissions
from eventrisk.desk import Desk
from eventrisk.model import Incident, IncidentCategory, Location, Severity, Status
from eventrisk.timeutil import now_utc
from tests.conftest import BACKENDS, module_desk
from tests.core import workstations

CTX = workstations.CTX
# A busy desk: enough events that a rescore holds the write lock for the best part of a
# second on either backend, well past the 0.1 s between an officer's saves.
BUSY = 1500


def _demo_desk(path: str, events: int) -> str:
    desk = Desk.open(path, create=True)
    desk.build_demo(venues=max(10, events // 100), events=events, incidents=events, seed=21)
    desk.close()
    return path


@pytest.fixture
def desk_file(desk_path):
    """A training desk of a few hundred events, on a file or on the server."""
    return _demo_desk(desk_path, 300)


@pytest.fixture(scope="module", params=BACKENDS)
def busy_template(request, tmp_path_factory):
    with module_desk(request, tmp_path_factory) as path:
        yield _demo_desk(path, BUSY)


@pytest.fixture
def busy_desk_file(busy_template, copy_desk):
    """A busy desk (a copy, for this test alone, of one built once per backend)."""
    return copy_desk(busy_template, "busy.db")


def _start(target, *args):
    proc = CTX.Process(target=target, args=args)
    proc.start()
    return proc


def _finish(*procs):
    for proc in procs:
        proc.join(90)
        assert proc.exitcode == 0


def test_a_stale_approval_from_another_workstation_is_refused(desk_file):
    desk = Desk.open(desk_file)
    desk.sign_in("officer", "officer-demo")
    sid, venue_code = desk.db.execute(
        "SELECT s.id, v.code FROM submissions s JOIN venues v ON v.id = s.venue_id WHERE "
        "s.status = 'in_review' ORDER BY s.grade_rank LIMIT 1").fetchone()
    seen, go, out = CTX.Event(), CTX.Event(), CTX.Queue()
    proc = _start(workstations.approve_what_was_seen, desk_file, "supervisor",
                  "supervisor-demo", sid, seen, go, out)
    assert seen.wait(60)
    saw = out.get(timeout=10)
    # Meanwhile, on this workstation: a firearm incident, and the event is rescored.
    desk.record_incident(Incident(venue_code, now_utc() - timedelta(days=3),
                                  IncidentCategory.FIREARM, Severity.SERIOUS, Location.INSIDE,
                                  description="Shot fired inside"))
    after = desk.score([submissions.get(desk.db, sid).reference])[0]
    go.set()
    outcome = out.get(timeout=60)
    _finish(proc)
    assert saw.startswith("saw ") and f"saw {after.version}" not in saw
    assert outcome.startswith("ConflictError") and "changed by officer" in outcome
    assert submissions.get(desk.db, sid).status is Status.IN_REVIEW
    desk.close()


def test_two_workstations_saving_one_event_give_one_conflict_and_no_lost_update(desk_file):
    desk = Desk.open(desk_file)
    desk.sign_in("officer", "officer-demo")
    sub = submissions.get(desk.db, desk.db.execute(
        "SELECT id FROM submissions WHERE status = 'assessed' LIMIT 1").fetchone()[0])
    barrier, out = CTX.Barrier(2), CTX.Queue()
    procs = [_start(workstations.save_notes, desk_file, user, password, sub.id, sub.version,
                    notes, barrier, out)
             for user, password, notes in (("officer", "officer-demo", "from desk one"),
                                           ("supervisor", "supervisor-demo", "from desk two"))]
    results = sorted(out.get(timeout=60) for _ in procs)
    _finish(*procs)
    saved = [r for r in results if r.startswith("saved")]
    refused = [r for r in results if r.startswith("ConflictError")]
    assert len(saved) == 1 and len(refused) == 1, results
    assert "after you opened it" in refused[0]
    now = submissions.get(desk.db, sub.id)
    assert now.notes == saved[0].removeprefix("saved ") and now.version == sub.version + 1
    edits = [e for e in audit.history(desk.db, "submission", sub.id)
             if e.action == "submission.edit"]
    assert len(edits) == 1 and audit.verify(desk.db).ok
    desk.close()


def test_an_officer_keeps_saving_while_the_desk_is_rescored(busy_desk_file):
    desk_file = busy_desk_file
    desk = Desk.open(desk_file)
    sid = desk.db.execute("SELECT id FROM submissions WHERE status = 'assessed' LIMIT 1"
                          ).fetchone()[0]
    desk.close()
    started, stop, out = CTX.Event(), CTX.Event(), CTX.Queue()
    saver = _start(workstations.keep_saving, desk_file, "officer", "officer-demo", sid,
                   started, stop, out)
    rescorer = _start(workstations.rescore_everything, desk_file, "supervisor",
                      "supervisor-demo", started, out)
    first = out.get(timeout=120)  # the rescore finishes first: then stop saving
    stop.set()
    second = out.get(timeout=60)
    _finish(saver, rescorer)
    rescored = first if first.startswith("rescored") else second
    saving = second if rescored is first else first
    assert rescored.startswith("rescored ") and int(rescored.split()[1]) > BUSY * 7 // 8, rescored
    assert saving.startswith("saved ") and ";" not in saving, saving  # no error at all
    count = int(saving.split()[1])
    desk = Desk.open(desk_file)
    edits = [e for e in audit.history(desk.db, "submission", sid, limit=1000)
             if e.action == "submission.edit"]
    assert count >= 1 and len(edits) == count  # every save landed, none lost
    assert audit.verify(desk.db).ok
    desk.close()


def test_two_rescores_at_once_both_finish(busy_desk_file):
    desk_file = busy_desk_file
    started, out = CTX.Event(), CTX.Queue()
    procs = [_start(workstations.rescore_everything, desk_file, user, password, started, out)
             for user, password in (("supervisor", "supervisor-demo"), ("admin", "admin-demo"))]
    results = [out.get(timeout=120) for _ in procs]
    _finish(*procs)
    assert all(r.startswith("rescored ") for r in results), results
    desk = Desk.open(desk_file)
    assert audit.verify(desk.db).ok
    desk.close()


@pytest.mark.sqlite_only  # the workstation's own page cache; the server has none to spill
def test_a_rescore_whose_chunk_outgrows_the_page_cache_still_commits(busy_desk_file,
                                                                     monkeypatch):
    """The writing process's cache holds a chunk's writes until the commit.  Were they spilled
    to the file once the cache filled, the spill would need the lock that the worker's read of
    the next chunk holds, and the rescore would fail with "database is locked" after the busy
    timeout.  Here the cache is forty kilobytes and the worker reads eight ninths of every
    chunk, so it is always reading while a chunk is written."""
    from eventrisk.scoring import service

    monkeypatch.setattr(service, "CHUNK", 250)
    monkeypatch.setattr(service, "MINE_VENUES", "v.id % 9 < 1")
    monkeypatch.setattr(service, "THEIRS_VENUES", "v.id % 9 >= 1")
    monkeypatch.setattr(service, "MINE", "s.venue_id % 9 < 1")
    monkeypatch.setattr(service, "THEIRS", "s.venue_id % 9 >= 1")
    desk = Desk.open(busy_desk_file)
    desk.sign_in("supervisor", "supervisor-demo")
    desk.db.execute("PRAGMA cache_size = 10")
    # The demo's past comes graded, and a rescore leaves a started event's snapshot alone:
    # point them at none, so that every chunk has its writes.
    desk.db.execute("UPDATE submissions SET assessment_id = NULL, score_source = NULL")
    desk.db.conn.commit()
    results = desk.rescore_all(parallel_from=1)
    assert len(results) > BUSY * 7 // 8 and sum(r.stored for r in results) > BUSY * 3 // 4
    assert desk.db.execute("PRAGMA cache_spill").fetchone()[0] > 0  # spilling again, as before
    assert audit.verify(desk.db).ok
    desk.close()
