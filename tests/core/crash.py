"""Killing a real ``eventrisk`` process at a chosen step, for the crash suite.

The command runs in a child interpreter under a profiler that counts the steps it takes in
the modules named (each call a function there makes into C: a copy step, an fsync, a link, a
rename, a SQLite statement) and each call of the functions named (a copy's progress report).
Run once with ``kill_at=None`` it lists the steps; run with ``kill_at=N`` it sends itself
SIGKILL just before step N, as a power cut or ``kill -9`` would: no ``finally``, no
``atexit``, no flush."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

CHILD = textwrap.dedent("""
    import json, os, signal, sys
    modules, functions, kill_at, record, argv = json.loads(sys.argv[1])
    steps = []

    def profile(frame, event, arg):
        name = None
        if event == "c_call" and frame.f_code.co_filename.endswith(tuple(modules)):
            name = f"{getattr(arg, '__name__', '?')}@{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno}"
        elif event == "call" and frame.f_code.co_name in functions:
            name = f"{frame.f_code.co_name}()"
        if name is None:
            return
        if kill_at is not None and len(steps) == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        steps.append(name)

    from eventrisk.cli import main
    sys.setprofile(profile)
    try:
        code = main(argv)
    finally:
        sys.setprofile(None)
    if record:
        with open(record, "w") as out:
            json.dump(steps, out)
    sys.exit(code)
""")


def run(argv: list[str], *, modules: list[str], functions: list[str],
        kill_at: int | None = None, record: Path | None = None,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run ``eventrisk ARGV`` in a child process, killed before step ``kill_at``."""
    spec = json.dumps([modules, functions, kill_at, str(record) if record else None,
                       [str(a) for a in argv]])
    return subprocess.run([sys.executable, "-c", CHILD, spec], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=120, check=False)


def steps(argv: list[str], *, modules: list[str], functions: list[str], folder: Path,
          env: dict[str, str] | None = None) -> list[str]:
    """The steps the command takes when nothing stops it."""
    record = folder / "steps.json"
    done = run(argv, modules=modules, functions=functions, record=record, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(record.read_text())
