"""What m020's triggers cost on a server desk: a rescore of every event and a run of saves,
as the DBA's connection (the triggers pass at once) and as a supervisor's own login (each row
stamped and checked, each audit entry's chain and hash recomputed by the server).

Needs the PostgreSQL test server (EVENTRISK_TEST_PG, as the tests); prints figures only.
    python bench/bench_logins.py [EVENTS]
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eventrisk.desk import Desk  # noqa: E402
from tests import pg  # noqa: E402

EVENTS = int(sys.argv[1]) if len(sys.argv) > 1 else 3000


def timed(label: str, work) -> None:
    start = time.perf_counter()
    count = work()
    took = time.perf_counter() - start
    print(f"{label:<48} {took:7.2f} s  ({took / count * 1000:.2f} ms each, {count:,})")


def main() -> None:
    from datetime import UTC, datetime

    moment = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)  # later than the demo: every grade moves
    with pg.fresh_desk() as first, pg.fresh_desk() as second, \
            pg.logins("supervisor") as (login,):
        desks = []
        for name, who in ((first, None), (second, login)):
            dba = Desk.open(pg.url(name))
            dba.build_demo(venues=40, events=EVENTS, incidents=EVENTS // 2, seed=7)
            if who is None:
                dba.sign_in("supervisor", "supervisor-demo")
                desks.append((dba, "the DBA's connection"))
            else:
                dba.close()
                person = Desk.open(pg.url(name, user=who))
                person.sign_in(who, "")
                desks.append((person, "a supervisor's login"))
        for desk, who in desks:
            desk.clock = lambda: moment
            timed(f"rescore all, one process, as {who}",
                  lambda d=desk: sum(r.stored for r in d.rescore_all(parallel_from=10**9)))
        for desk, who in desks:
            ids = [r[0] for r in desk.db.execute(
                "SELECT id FROM submissions WHERE status IN ('received', 'assessed') ORDER BY id "
                "LIMIT 60")]

            def saves(d=desk, ids=ids, who=who) -> int:
                for sub_id in ids:
                    state = d.assessment(sub_id)
                    d.save_submission(replace(state.submission, notes=f"{who} {time.time()}"))
                return len(ids)
            timed(f"save an edit of notes, as {who}", saves)
        for desk, _ in desks:
            desk.close()


if __name__ == "__main__":
    main()
