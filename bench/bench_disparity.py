"""The disparity check by simulation on a large demo desk (issue 32): its family-wise false
alarm rate when outcomes are drawn from the desk's own score-to-trouble curve (no group can be
mis-graded), and its power to name a group of 150 events planted over-graded at the demo's
strength.  Also the demo's plant strength as measured (Sutton's observed ÷ expected trouble).

    python bench/bench_disparity.py [DESK.db] [RUNS]

Without a desk, the scored 100,000-event benchmark desk.  Prints figures, asserts nothing.
"""

from __future__ import annotations

import sys
import time
from datetime import date, timedelta

import numpy as np
from common import big_database

from eventrisk import calibration, demo
from eventrisk.db import open_database
from eventrisk.disparity import analyse, judge
from eventrisk.stats import ScoreCurve
from eventrisk.timeutil import now_utc, to_db
from tests.disparity_sim import Layout, draw

PLANTED = 150


def events_of(path) -> list:
    """Every past scored event of the desk, as the calibration report reads it."""
    db = open_database(path)
    params = {"lo": calibration._bound(date(2000, 1, 1)),
              "hi": calibration._bound(date.today() + timedelta(days=1)),
              "now": to_db(now_utc())}
    rows = db.execute(calibration._events_sql(), params).fetchall()
    events, _ = calibration._graded(db, rows, None)
    db.close()
    return events


def main() -> None:
    path = sys.argv[1] if len(sys.argv) > 1 else big_database(scored=True)
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    events = events_of(path)
    scores = np.array([e.score for e in events])
    outcomes = np.array([e.outcome for e in events])
    boroughs = sorted({e.borough for e in events})
    types = sorted({e.event_type for e in events})
    borough = np.array([boroughs.index(e.borough) for e in events])
    event_type = np.array([types.index(e.event_type) for e in events])
    print(f"{len(events):,} past events, {outcomes.mean():.1%} with trouble, "
          f"{len(boroughs)} boroughs, {len(types)} event types")
    start = time.perf_counter()
    table = analyse(events)
    print(f"  the report's disparity analysis took {time.perf_counter() - start:.2f} s; "
          f"{table.judged} groups judged")
    sutton = next(g for g in table.groups if g.group == demo.OVERGRADED_BOROUGH)
    print(f"  the demo's plant: {sutton.label}, {sutton.events:,} events, O/E {sutton.oe_text}"
          f" (demo.PLANT_STRENGTH = {demo.PLANT_STRENGTH}); named: "
          + (", ".join(f"{g.name} {g.finding}" for g in table.groups if g.finding) or "none"))
    curve = ScoreCurve(scores, outcomes)
    rng = np.random.default_rng(32)
    null = Layout(scores, borough, event_type, np.zeros(len(events), dtype=bool))
    start = time.perf_counter()
    alarms = 0
    for _ in range(count):
        verdict = judge(scores, draw(rng, null, curve), null.groups)
        alarms += bool((verdict.named != 0).any())
    took = time.perf_counter() - start
    print(f"  calibrated outcomes (drawn from the desk's own curve): {alarms} of {count} runs "
          f"named any group: family-wise false alarm rate {alarms / count:.1%} "
          f"(at most 5% wanted); {took / count * 1000:.0f} ms a run")
    for strength in sorted({demo.PLANT_STRENGTH, 0.4, 0.5}):
        found = alarms = 0
        for _ in range(count):
            # 150 events of a large borough become a planted borough of their own.
            host = int(np.bincount(borough).argmax())
            pool = np.flatnonzero(borough == host)
            planted = np.zeros(len(events), dtype=bool)
            planted[rng.choice(pool, PLANTED, replace=False)] = True
            layout = Layout(scores, np.where(planted, len(boroughs), borough), event_type,
                            planted)
            verdict = judge(scores, draw(rng, layout, curve, strength), layout.groups)
            found += verdict.named[len(boroughs)] == -1
            innocent = np.ones(len(verdict.named), dtype=bool)
            innocent[len(boroughs)] = False
            alarms += bool((verdict.named[innocent] != 0).any())
        print(f"  a borough of {PLANTED} events with {strength:.2f} times the trouble its "
              f"scores predict: named over-graded in {found / count:.1%} of {count} runs "
              f"(at least 80% wanted at the demo's strength); another group named in "
              f"{alarms / count:.1%}")


if __name__ == "__main__":
    main()
