"""Helpers for the benchmarks: a cached large demo database and a timer."""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent
DATA = Path(os.environ.get("EVENTRISK_BENCH_DATA", ROOT / ".data"))
DATA.mkdir(exist_ok=True)
sys.path.insert(0, str(ROOT.parent))

from eventrisk import demo  # noqa: E402
from eventrisk.db import open_database  # noqa: E402

SCALE = {"venues": 1500, "events": 100_000, "incidents": 500_000}


@contextmanager
def timed(label: str, target: float | None = None, unit: str = "s"):
    """Print how long the block took, against a target."""
    start = time.perf_counter()
    yield
    took = time.perf_counter() - start
    report(label, took, target, unit)


def report(label: str, value: float, target: float | None = None, unit: str = "s") -> None:
    """One figure line: value, target and ratio."""
    shown = value * 1000 if unit == "ms" else value
    line = f"{label:<58} {shown:10.2f} {unit}"
    if target is not None:
        tgt = target * 1000 if unit == "ms" else target
        line += f"   target {tgt:g} {unit}   ratio {shown / tgt:5.2f}"
    print(line, flush=True)


def median_ms(fn, repeat: int = 7) -> float:
    """Median wall time of ``fn()`` in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def big_database(scored: bool = False) -> Path:
    """A 100,000-event, 500,000-incident demo database, built once and copied per use."""
    DATA.mkdir(exist_ok=True)
    base = DATA / "big.db"
    if not base.exists():
        db = open_database(DATA / "big.tmp")
        demo.build(db, seed=1, **SCALE)
        db.close()
        (DATA / "big.tmp").rename(base)
    if not scored:
        return base
    ready = DATA / "big-scored.db"
    if not ready.exists():
        from eventrisk.scoring import service
        from eventrisk.users import system_user

        shutil.copy(base, DATA / "big-scored.tmp")
        db = open_database(DATA / "big-scored.tmp")
        service.score_all(db, system_user(), sink=lambda r: None)
        db.close()
        (DATA / "big-scored.tmp").rename(ready)
    return ready


def copy_of(path: Path, name: str) -> Path:
    """A scratch copy of a benchmark database."""
    target = DATA / name
    shutil.copy(path, target)
    os.sync()  # let the copy reach the disk before anything is timed
    return target
