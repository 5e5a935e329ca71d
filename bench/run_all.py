"""Run every benchmark, each in its own process, and print its figures (not a test: these
machines are shared and noisy)."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

BENCHES = ("bench_foundation", "bench_scoring", "bench_reports", "bench_ui", "bench_desk",
           "bench_audit", "bench_calibration", "bench_disparity", "bench_growth", "bench_queue",
           "bench_retention")

for name in BENCHES:
    print(f"== {name}", flush=True)
    subprocess.run([sys.executable, str(HERE / f"{name}.py")], check=True)
