"""Scorer benchmarks: pure scoring rate, score --all at scale, and a what-if re-grade."""

from __future__ import annotations

import subprocess
import sys
import time

from common import ROOT, big_database, copy_of, median_ms, report, signed_in_env, timed

from eventrisk.db import open_database
from eventrisk.model import SearchRegime
from eventrisk.scoring import rulebook, service, whatif
from eventrisk.scoring.features import FeatureSet
from eventrisk.scoring.scorer import score


def bench_pure() -> None:
    db = open_database(big_database())
    ruleset = rulebook.active_ruleset(db)
    items = list(service.iter_features(db, "s.id <= 20000", {}, service.now_utc()))
    features = [FeatureSet(i.values) for i in items]
    start = time.perf_counter()
    for f in features:
        score(f, ruleset)
    rate = len(features) / (time.perf_counter() - start)
    print(f"{'pure scoring from precomputed features':<58} {rate:10,.0f} /s   target 20000 /s"
          f"   ratio {rate / 20000:5.2f}")


def bench_score_all() -> None:
    """The command itself, as a desk would run it, in a fresh process each time: a full
    score, then the same again with nothing changed (issue 18: at most 20% of the full one).
    Since issue 32 the demo's past comes graded as of its decisions, and a rescore never
    recomputes an event that has started and has a snapshot: both runs compute only the
    upcoming events (the time to grade the past is in the desk's build figures)."""
    path = copy_of(big_database(), "score-all.db")
    command = [sys.executable, "-m", "eventrisk", "--db", str(path), "score", "--all"]
    took = []
    for label, target in (("eventrisk score --all: 100,000 submissions, 500,000 incidents", 15),
                          ("eventrisk score --all again (nothing changed)", None)):
        start = time.perf_counter()
        out = subprocess.run(command, capture_output=True, text=True, check=True,
                             cwd=ROOT.parent, env=signed_in_env()).stdout
        took.append(time.perf_counter() - start)
        report(label, took[-1], target)
        print(f"{'':<58} {out.strip()[:70]}")
    print(f"{'  again / full':<58} {took[1] / took[0]:10.2f}      target 0.20   "
          f"ratio {took[1] / took[0] / 0.20:5.2f}")
    path.unlink()


def bench_what_if() -> None:
    db = open_database(big_database(scored=True))
    sid = db.execute("SELECT id FROM submissions WHERE starts_at > strftime('%Y-%m-%dT%H:%M:%SZ',"
                     " 'now') ORDER BY id LIMIT 1").fetchone()[0]
    with timed("what-if: prepare (history read once)"):
        what_if = whatif.WhatIf(db, sid)
    changes = {"door_supervisors": 12, "search_regime": SearchRegime.SEARCH_ARCH}
    report("what-if re-grade (median of 50)", median_ms(
        lambda: what_if.try_measures(changes), 50), 0.005, "ms")


if __name__ == "__main__":
    bench_pure()
    bench_score_all()
    bench_what_if()
