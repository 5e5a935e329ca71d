"""Scoring many submissions with a second process gives exactly what one process gives."""

import shutil
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool

import pytest

from eventrisk import audit, demo
from eventrisk.db import open_database
from eventrisk.scoring import service
from eventrisk.timeutil import now_utc
from eventrisk.users import find_user

NOW = now_utc()


@pytest.fixture(scope="module")
def desk_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("parallel") / "desk.db"
    db = open_database(path)
    demo.build(db, venues=12, events=240, incidents=160, seed=9)
    # The demo's past events come graded as of their decisions, and a rescore leaves a started
    # event's snapshot alone: point them at none, so that the rescores below score them all.
    db.execute("UPDATE submissions SET assessment_id = NULL, score_source = NULL WHERE "
               "starts_at <= ?", [NOW.strftime("%Y-%m-%dT%H:%M:%SZ")])
    db.conn.commit()
    db.close()
    return path


def _snapshots(path):
    db = open_database(path)
    rows = db.execute("SELECT s.id, s.status, s.grade, a.digest, a.packed FROM submissions s "
                      "JOIN assessments a ON a.id = s.assessment_id ORDER BY s.id").fetchall()
    assert audit.verify(db).ok
    db.close()
    return rows


def _score(path, **kw):
    db = open_database(path)
    results = service.score_all(db, find_user(db, "supervisor"), now=NOW, **kw)
    db.close()
    return [(r.reference, r.grade, r.score, r.stored, r.assessment) for r in results]


def test_two_processes_give_the_same_snapshots_as_one(desk_file, tmp_path, monkeypatch):
    one, two = tmp_path / "one.db", tmp_path / "two.db"
    shutil.copy(desk_file, one)
    shutil.copy(desk_file, two)
    sequential = _score(one)
    here = []
    prepare = service._prepare
    monkeypatch.setattr(service, "_prepare", lambda db, where, *a: here.append(where) or
                        prepare(db, where, *a))
    parallel = _score(two, parallel_from=1)
    assert here and all(service.MINE in w for w in here)  # the rest was the worker's
    assert parallel == sequential and len(parallel) > 200
    assert _snapshots(two) == _snapshots(one)


def test_chunks_in_start_order_give_the_same_snapshots(desk_file, tmp_path, monkeypatch):
    """Chunks follow start times (each reads only its own months of history); cut into many
    small chunks, the desk is scored exactly as in one go."""
    one, many = tmp_path / "one.db", tmp_path / "many.db"
    shutil.copy(desk_file, one)
    shutil.copy(desk_file, many)
    sequential = _score(one)
    monkeypatch.setattr(service, "CHUNK", 37)
    chunked = _score(many, parallel_from=1)
    assert sorted(chunked, key=lambda r: r[0]) == sorted(sequential, key=lambda r: r[0])
    assert _snapshots(many) == _snapshots(one)


@pytest.mark.parametrize("totals", ["kept", "built for every chunk"])
def test_on_a_file_no_share_is_prepared_while_the_write_lock_is_held(desk_file, tmp_path,
                                                                     monkeypatch, totals):
    """On a file the worker waits for a chunk's commits, not the commits for the worker
    (issue 31: a save elsewhere waited out the busy timeout while the writer held the lock
    and prepared ahead): every share is prepared outside any write transaction, the running
    totals kept are reused, and the desk is scored exactly as in one go."""
    from eventrisk.scoring import history

    one, many = tmp_path / "one.db", tmp_path / "many.db"
    shutil.copy(desk_file, one)
    shutil.copy(desk_file, many)
    sequential = _score(one)
    monkeypatch.setattr(service, "CHUNK", 37)
    if totals != "kept":
        monkeypatch.setattr(history, "KEEP_AHEAD_CHUNKS", 0)
        monkeypatch.setattr(history, "KEEP_AHEAD_DAYS", 0)
    calls = []  # (inside the writing transaction, built the running totals) per share
    compute = history.compute

    def watched(db, where, params, now, keep=None):
        before = db.__dict__.get("_kept_history")
        out = compute(db, where, params, now, keep)
        built = keep is not None and db.__dict__.get("_kept_history") is not before
        calls.append((db.conn.in_transaction, built))
        return out

    monkeypatch.setattr(history, "compute", watched)
    chunked = _score(many, parallel_from=1)
    assert sorted(chunked, key=lambda r: r[0]) == sorted(sequential, key=lambda r: r[0])
    assert _snapshots(many) == _snapshots(one)
    assert calls and not any(inside for inside, _ in calls)
    builds = sum(built for _, built in calls)
    assert builds == 1 if totals == "kept" else builds > 2


def test_a_parallel_rescore_reports_progress_that_only_goes_up(desk_file, tmp_path,
                                                              monkeypatch):
    """The progress bar of a chunked rescore rises chunk by chunk, never goes back, never
    passes the chunk being written, and ends at the total."""
    many = tmp_path / "many.db"
    shutil.copy(desk_file, many)
    monkeypatch.setattr(service, "CHUNK", 37)
    seen, written = [], []
    db = open_database(many)
    service.score_all(db, find_user(db, "supervisor"), now=NOW, parallel_from=1,
                      progress=lambda done, total: seen.append((done, total, len(written)))
                      or True, sink=written.append)
    db.close()
    total = seen[-1][1]
    assert seen[-1][0] == total == len(written) and len(seen) > total // 37
    assert all(a[0] <= b[0] for a, b in zip(seen, seen[1:], strict=False))
    assert all(t == total and done <= before + 37 for done, t, before in seen)


class NoWorkers:
    """A process pool whose worker never starts: the first submit's future fails, and with
    ``refuses_later`` every later submit raises, as a broken real pool does."""

    refuses_later = False

    def __init__(self, *args, **kwargs):
        self.asked = 0

    def submit(self, *args, **kwargs):
        self.asked += 1
        if self.refuses_later and self.asked > 1:
            raise BrokenProcessPool("A child process terminated abruptly")
        future = Future()
        future.set_exception(BrokenProcessPool("no process here"))
        return future

    def shutdown(self, wait=True, cancel_futures=False):
        pass


def _copies(desk_file, tmp_path):
    one, two = tmp_path / "one.db", tmp_path / "two.db"
    shutil.copy(desk_file, one)
    shutil.copy(desk_file, two)
    return one, two


def test_when_the_worker_cannot_start_this_process_does_its_share(desk_file, tmp_path,
                                                                  monkeypatch):
    one, two = _copies(desk_file, tmp_path)
    sequential = _score(one)
    monkeypatch.setattr(service, "ProcessPoolExecutor", NoWorkers)
    assert _score(two, parallel_from=1) == sequential
    assert _snapshots(two) == _snapshots(one)


def test_a_pool_that_broke_on_one_chunk_is_not_asked_again(desk_file, tmp_path, monkeypatch):
    """A real pool whose worker died refuses every later submit: each later chunk is then
    prepared here too, not lost to an error."""
    one, two = _copies(desk_file, tmp_path)
    sequential = _score(one)
    monkeypatch.setattr(NoWorkers, "refuses_later", True)
    monkeypatch.setattr(service, "ProcessPoolExecutor", NoWorkers)
    monkeypatch.setattr(service, "CHUNK", 40)
    chunked = _score(two, parallel_from=1)
    assert sorted(chunked, key=lambda r: r[0]) == sorted(sequential, key=lambda r: r[0])
    assert _snapshots(two) == _snapshots(one)


def test_cancelling_a_parallel_rescore_writes_nothing(desk_file, tmp_path):
    path = tmp_path / "cancel.db"
    shutil.copy(desk_file, path)
    db = open_database(path)
    before = db.execute("SELECT count(*) FROM assessments").fetchone()[0]
    with pytest.raises(service.Cancelled):
        service.score_all(db, find_user(db, "supervisor"), now=NOW, parallel_from=1,
                          progress=lambda done, total: False)
    assert db.execute("SELECT count(*) FROM assessments").fetchone()[0] == before
    db.close()


def test_inside_a_transaction_scoring_stays_in_this_process(desk_file, tmp_path, monkeypatch):
    """A worker would not see rows this transaction has not committed yet."""
    path = tmp_path / "tx.db"
    shutil.copy(desk_file, path)
    db = open_database(path)
    monkeypatch.setattr(service, "_score_in_parallel",
                        lambda *a, **k: pytest.fail("went parallel inside a transaction"))
    with db.atomic():
        db.execute("UPDATE venues SET capacity = capacity + 1")
        assert service.score_all(db, find_user(db, "supervisor"), now=NOW, parallel_from=1)
    db.close()
