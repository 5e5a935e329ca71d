"""Run every benchmark and print its figures (not a test: these machines are shared)."""

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

for name in ("bench_foundation", "bench_scoring", "bench_reports", "bench_ui"):
    if (HERE / f"{name}.py").exists():
        print(f"== {name}")
        runpy.run_path(str(HERE / f"{name}.py"), run_name="__main__")
