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

from eventrisk.desk import Desk  # noqa: E402

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
        (DATA / "big.tmp").unlink(missing_ok=True)
        desk = Desk.open(DATA / "big.tmp", create=True)
        desk.build_demo(seed=1, **SCALE)
        desk.close()
        (DATA / "big.tmp").rename(base)
    if not scored:
        return base
    ready = DATA / "big-scored.db"
    if not ready.exists():
        shutil.copy(base, DATA / "big-scored.tmp")
        desk = Desk.open(DATA / "big-scored.tmp")
        desk.sign_in("supervisor", "supervisor-demo")
        desk.rescore_all(sink=lambda r: None)
        desk.close()
        (DATA / "big-scored.tmp").rename(ready)
    return ready


def signed_in_env(user: str = "supervisor") -> dict[str, str]:
    """Environment for running ``eventrisk`` as a demo account (a private password file)."""
    DATA.mkdir(exist_ok=True)
    secret = DATA / f"{user}.password"
    secret.write_text(f"{user}-demo\n", encoding="utf-8")
    secret.chmod(0o600)
    return {**os.environ, "EVENTRISK_USER": user, "EVENTRISK_PASSWORD_FILE": str(secret)}


def copy_of(path: Path, name: str) -> Path:
    """A scratch copy of a benchmark database."""
    target = DATA / name
    shutil.copy(path, target)
    os.sync()  # let the copy reach the disk before anything is timed
    return target
