"""Helpers for the benchmarks: a cached large demo database and a timer."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
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

# For a child process to report its own peak memory.  Its ru_maxrss will not do: Linux keeps
# the high-water mark of the process image the child replaced at exec, so a child started by
# a benchmark that had grown to 490 MB reported 490 MB, whatever it used itself (bench_growth
# showed that for score --all at 1M, whose own peak was 330 MB).  VmHWM belongs to the image,
# and starts again at exec.  Elsewhere than Linux, ru_maxrss is what there is.
PEAK_KB = """
def peak_kb():
    import resource
    try:
        with open('/proc/self/status') as status:
            for line in status:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
"""


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
    """The 100,000-event, 500,000-incident demo desk (``desk_of("100k")``), and a scored copy
    of it, each built once."""
    base = desk_of("100k")
    assert base is not None
    if not scored:
        return base
    ready = DATA / "desk-100k-scored.db"
    if not ready.exists():
        shutil.copy(base, DATA / "desk-100k-scored.tmp")
        desk = Desk.open(DATA / "desk-100k-scored.tmp")
        desk.sign_in("supervisor", "supervisor-demo")
        desk.rescore_all(sink=lambda r: None)
        desk.close()
        (DATA / "desk-100k-scored.tmp").rename(ready)
    return ready


SIZES = {"10k": dict(venues=150, events=10_000, incidents=50_000),
         "100k": dict(SCALE),
         "1M": dict(venues=15_000, events=1_000_000, incidents=5_000_000)}


def desk_of(size: str, build: bool = True) -> Path | None:
    """The demo desk of a size ("10k", "100k", "1M"), built once in a child process whose time
    and peak memory are kept beside it (``build_figures``)."""
    path = DATA / f"desk-{size.lower()}.db"
    if path.exists():
        return path
    if not build:
        return None
    scratch = path.with_suffix(".tmp")
    scratch.unlink(missing_ok=True)
    options = SIZES[size]
    code = (f"import sys; sys.path.insert(0, {str(ROOT.parent)!r})\n"
            "from eventrisk.desk import Desk\n"
            f"desk = Desk.open({str(scratch)!r}, create=True)\n"
            f"desk.build_demo(seed=1, **{options!r})\n"
            "desk.close()\n" + PEAK_KB + "print('PEAK', peak_kb())\n")
    start = time.perf_counter()
    child = subprocess.run([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    took = time.perf_counter() - start
    if child.returncode != 0:
        raise RuntimeError(f"building the {size} desk failed ({child.returncode})")
    peak_mb = int(child.stdout.rsplit("PEAK", 1)[1]) / 1024
    path.with_suffix(".json").write_text(json.dumps({"seconds": took, "peak_mb": peak_mb,
                                                     **options}))
    scratch.rename(path)
    return path


def build_figures(size: str) -> dict | None:
    """How long the desk of ``size`` took to build, and its peak memory (None if it was not
    built by ``desk_of``)."""
    sidecar = DATA / f"desk-{size.lower()}.json"
    return json.loads(sidecar.read_text()) if sidecar.exists() else None


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
