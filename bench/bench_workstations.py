"""Several workstations on one desk: N processes working a realistic mix for a bounded time,
on a desk file and on the PostgreSQL server (loopback only).

Each workstation is a process of its own, signed in as a desk officer or a supervisor
(alternately), doing what the desk does all day: reading the queue's first page and opening
assessments most often, capturing new events (save and score), editing events, trying
what-ifs, sending events for review, and approving or returning them.  Workstation 1 (a
supervisor) also rescores the whole desk once, a third of the way in, as after publishing
rules.

Printed per backend and N: actions a second; p50/p95 latency per action; conflicts shown
to people (someone else changed the event first: a genuine edit conflict); errors (anything
else: a lock that timed out, a failure); and lost updates (two saves of one event that both
reported success for the same new version, or a save whose version the event never reached),
which must be 0.  Then the audit chain is verified.

    python bench/bench_workstations.py                      # N = 2, 5, 10, 20, both backends
    python bench/bench_workstations.py --backends postgresql --workstations 10 --seconds 60
    python bench/bench_workstations.py --think 1      # each person pauses about a second

The PostgreSQL server is EVENTRISK_BENCH_PG (default the test server at 127.0.0.1:5432 as
postgres); the 100,000-event desk is copied onto it once and kept as a template database.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import shutil
import statistics
import sys
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import replace

from common import DATA, ROOT, big_database

sys.path.insert(0, str(ROOT.parent))

SERVER = os.environ.get("EVENTRISK_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
TEMPLATE = "eventrisk_bench_100k"
MIX = {"queue": 30, "open": 20, "capture": 10, "edit": 12, "what-if": 10, "submit": 8,
       "decide": 10}
CTX = multiprocessing.get_context("spawn")


def _url(dbname: str) -> str:
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    parts = conninfo_to_dict(SERVER)
    parts["dbname"] = dbname
    return make_conninfo(**parts)


def _admin():
    import psycopg

    return psycopg.connect(SERVER, autocommit=True)


def server_template() -> str:
    """The 100k desk on the server, copied from the file once (kept between runs)."""
    with _admin() as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [TEMPLATE]).fetchone():
            return TEMPLATE
        building = f"{TEMPLATE}_building"
        conn.execute(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{building}" TEMPLATE template0 LOCALE \'C.UTF-8\'')
    import psycopg

    grants = (ROOT.parent / "docs" / "postgresql-grants.sql").read_text(encoding="utf-8")
    with psycopg.connect(_url(building), autocommit=True) as conn:
        conn.execute(grants)
    from eventrisk.desk import Desk

    start = time.perf_counter()
    desk = Desk.open(big_database(scored=True))
    desk.sign_in("admin", "admin-demo")
    moved = desk.copy_to(_url(building))
    desk.close()
    print(f"copied the 100k desk onto the server: {moved.total:,} rows in "
          f"{time.perf_counter() - start:.0f} s", flush=True)
    with psycopg.connect(_url(building), autocommit=True) as conn:
        conn.execute(grants)
        conn.execute("VACUUM ANALYZE")
    with _admin() as conn:
        conn.execute(f'ALTER DATABASE "{building}" RENAME TO "{TEMPLATE}"')
    return TEMPLATE


def fresh_desk(backend: str) -> tuple[str, callable]:
    """A copy of the 100k desk for one run, and how to throw it away."""
    if backend == "postgresql":
        name = f"eventrisk_bench_{uuid.uuid4().hex[:8]}"
        with _admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{server_template()}"')

        def drop() -> None:
            with _admin() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return _url(name), drop
    path = DATA / "workstations.db"
    shutil.copy(big_database(scored=True), path)
    os.sync()
    return str(path), lambda: path.unlink(missing_ok=True)


# ---- one workstation ---------------------------------------------------------------------------

def workstation(index: int, target: str, seconds: float, start_at: float, think: float,
                out) -> None:
    os.environ.setdefault("EVENTRISK_BUSY_TIMEOUT", "5")
    from eventrisk import submissions
    from eventrisk.desk import Desk
    from eventrisk.errors import ConflictError, PermissionDenied, WorkflowError
    from eventrisk.queue import QueueFilter
    from eventrisk.validation import validate_submission
    from tests.conftest import cheap_hashing, event_fields

    rng = random.Random(index)
    supervisor = index % 2 == 1
    with cheap_hashing():
        desk = Desk.open(target)
        desk.sign_in(*(("supervisor", "supervisor-demo") if supervisor else
                       ("officer", "officer-demo")))
    venues = [r[0] for r in desk.db.execute("SELECT code FROM venues ORDER BY id LIMIT 200")]
    latencies: dict[str, list[float]] = defaultdict(list)
    outcomes: Counter = Counter()
    errors: list[str] = []
    saves: list[tuple[int, int]] = []  # (event, version it reported) for every versioned save
    rescored = index != 1  # a supervisor rescores the desk once
    while time.time() < start_at:
        time.sleep(0.01)
    deadline = start_at + seconds
    page = desk.queue_page(QueueFilter(), limit=100)
    while time.time() < deadline:
        if not rescored and time.time() > start_at + seconds / 3:
            action = "score --all"
            rescored = True
        else:
            action = rng.choices(list(MIX), weights=list(MIX.values()))[0]
        if action == "decide" and not supervisor:
            action = "submit"
        began = time.perf_counter()
        try:
            if action == "queue":
                page = desk.queue_page(QueueFilter(), limit=100) or page
            elif action == "open":
                desk.assessment(rng.choice(page).id)
            elif action == "capture":
                state = desk.save_submission(validate_submission(event_fields(
                    event_name=f"Load {index} {rng.randrange(10**9)}",
                    venue_code=rng.choice(venues))), duplicate_ok=True)
                saves.append((state.submission.id, state.version))
            elif action == "edit":
                row = rng.choice(page)
                sub = submissions.get(desk.db, row.id)
                if sub.status.value in ("received", "assessed", "returned"):
                    state = desk.save_submission(replace(
                        sub, notes=f"workstation {index}: call {rng.randrange(10**6)}"))
                    saves.append((row.id, state.version))
                else:
                    desk.assessment(row.id)
            elif action == "what-if":
                row = rng.choice(page)
                desk.what_if(row.id).try_measures({"door_supervisors": 12})
            elif action == "submit":
                candidates = [r for r in page if r.status.value == "assessed"]
                if candidates:
                    row = rng.choice(candidates)
                    state = desk.submit_for_review(row.id, row.version)
                    saves.append((row.id, state.version))
            elif action == "decide":
                candidates = [r for r in page if r.status.value == "in_review"]
                if candidates:
                    row = rng.choice(candidates)
                    state = (desk.approve(row.id, row.version) if rng.random() < 0.7 else
                             desk.return_to_officer(row.id, row.version, "Check the doors"))
                    saves.append((row.id, state.version))
            elif action == "score --all":
                desk.rescore_all(sink=lambda r: None)
            outcomes[(action, "ok")] += 1
        except (ConflictError, WorkflowError):
            outcomes[(action, "conflict")] += 1  # someone else acted first: shown, genuine
            page = desk.queue_page(QueueFilter(), limit=100) or page
        except PermissionDenied:
            outcomes[(action, "refused")] += 1  # four eyes: one's own capture
        except Exception as exc:  # noqa: BLE001 - counted and reported
            outcomes[(action, "error")] += 1
            errors.append(f"{action}: {type(exc).__name__}: {exc}"[:200])
        latencies[action].append(time.perf_counter() - began)
        if think:  # a person reads, types and decides between actions
            time.sleep(min(rng.expovariate(1 / think), 4 * think))
    desk.close()
    out.put((index, dict(latencies), dict(outcomes), errors[:5], saves))


# ---- one run -----------------------------------------------------------------------------------

def run(backend: str, count: int, seconds: float, think: float) -> dict:
    from eventrisk import audit
    from eventrisk.db import open_database

    target, drop = fresh_desk(backend)
    try:
        out = CTX.Queue()
        start_at = time.time() + 8 + count * 0.3  # every process started and signed in
        procs = [CTX.Process(target=workstation,
                             args=(i, target, seconds, start_at, think, out))
                 for i in range(count)]
        for proc in procs:
            proc.start()
        results = [out.get(timeout=seconds + 600) for _ in procs]
        for proc in procs:
            proc.join(60)
        latencies: dict[str, list[float]] = defaultdict(list)
        outcomes: Counter = Counter()
        errors: list[str] = []
        saves: list[tuple[int, int]] = []
        for _, lat, outs, errs, sv in results:
            for k, v in lat.items():
                latencies[k].extend(v)
            outcomes.update(outs)
            errors.extend(errs)
            saves.extend(sv)
        db = open_database(target, create=False)
        try:
            lost = _lost_updates(db, saves)
            chain = audit.verify(db)
            queue_ms = _queue_first_page_ms(db)
        finally:
            db.close()
        return {"latencies": latencies, "outcomes": outcomes, "errors": errors, "lost": lost,
                "chain": chain, "queue_ms": queue_ms}
    finally:
        drop()


def _lost_updates(db, saves: list[tuple[int, int]]) -> int:
    """Saves that reported success but whose work cannot all be in the record: two of one
    event claiming the same new version, or a version the event never reached."""
    claimed = Counter(saves)
    lost = sum(n - 1 for n in claimed.values() if n > 1)
    final = dict(db.execute("SELECT id, version FROM submissions").fetchall())
    lost += sum(1 for sid, version in claimed if final.get(sid, 0) < version)
    return lost


def _queue_first_page_ms(db) -> float:
    from eventrisk import queue
    from eventrisk.model import Role

    times = []
    for _ in range(7):
        began = time.perf_counter()
        queue.fetch(db, queue.QueueFilter(), role=Role.SUPERVISOR, limit=100)
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def _p(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000 if values else 0.0


def show(backend: str, count: int, seconds: float, think: float, result: dict) -> None:
    outcomes: Counter = result["outcomes"]
    done = sum(outcomes.values())
    conflicts = sum(n for (_, kind), n in outcomes.items() if kind == "conflict")
    errors = sum(n for (_, kind), n in outcomes.items() if kind == "error")
    pace = f", a person's pause of {think:g} s" if think else ", flat out"
    print(f"\n{backend}, {count} workstations{pace}, {seconds:g} s: "
          f"{done / seconds:7.1f} actions/s,"
          f" {conflicts} conflicts shown, {errors} errors, {result['lost']} lost updates, "
          f"chain {'intact' if result['chain'].ok else 'BROKEN'} "
          f"({result['chain'].count} entries); queue first page afterwards "
          f"{result['queue_ms']:.0f} ms", flush=True)
    print(f"  {'action':<12} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'conflict':>9} "
          f"{'error':>6}")
    for action in [*MIX, "score --all"]:
        lat = result["latencies"].get(action, [])
        if not lat:
            continue
        print(f"  {action:<12} {len(lat):6d} {_p(lat, 0.5):8.0f} {_p(lat, 0.95):8.0f} "
              f"{outcomes[(action, 'conflict')]:9d} {outcomes[(action, 'error')]:6d}")
    for line in result["errors"][:5]:
        print(f"  error: {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backends", nargs="+", default=["postgresql", "sqlite"],
                        choices=["postgresql", "sqlite"])
    parser.add_argument("--workstations", nargs="+", type=int, default=[2, 5, 10, 20])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--think", type=float, default=0.0, help="mean pause between one "
                        "workstation's actions, in seconds (0: flat out, as fast as it can)")
    args = parser.parse_args()
    for backend in args.backends:
        for count in args.workstations:
            show(backend, count, args.seconds, args.think,
                 run(backend, count, args.seconds, args.think))


if __name__ == "__main__":
    main()
