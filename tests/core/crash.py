"""Killing a real ``eventrisk`` process at a chosen step, for the crash suite.

The command runs in a child process (forked from a server that has EventRisk imported)
under a profiler that counts the steps it takes in the modules named (each call a function
there makes into C: a copy step, an fsync, a link, a rename, a SQLite statement) and each
call of the functions named (a copy's progress report).
Run once with ``kill_at=None`` it lists the steps; run with ``kill_at=N`` it sends itself
SIGKILL just before step N, as a power cut or ``kill -9`` would: no ``finally``, no
``atexit``, no flush."""

from __future__ import annotations

import json
import multiprocessing
import os
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


def _child(spec: str, env: dict[str, str]) -> None:
    """The command under the profiler, in a process of the fork server."""
    os.environ.update(env)
    sys.argv = ["-c", spec]
    exec(compile(CHILD, "<crash child>", "exec"), {"__name__": "__crash__"})


_SERVER = None


def _context():
    """A fork server with EventRisk already imported: each killed process starts in a few
    milliseconds instead of a fresh interpreter's second (the suite kills a few dozen)."""
    global _SERVER
    if _SERVER is None:
        _SERVER = multiprocessing.get_context("forkserver")
        _SERVER.set_forkserver_preload(["eventrisk.cli", "eventrisk.desk.restore"])
    return _SERVER


def run(argv: list[str], *, modules: list[str], functions: list[str],
        kill_at: int | None = None, record: Path | None = None,
        env: dict[str, str] | None = None) -> int:
    """Run ``eventrisk ARGV`` in a child process, killed before step ``kill_at``; returns
    its exit status (negative: the signal that ended it)."""
    spec = json.dumps([modules, functions, kill_at, str(record) if record else None,
                       [str(a) for a in argv]])
    child = _context().Process(target=_child, args=(spec, env or {}))
    child.start()
    child.join(120)
    return child.exitcode


def steps(argv: list[str], *, modules: list[str], functions: list[str], folder: Path,
          env: dict[str, str] | None = None) -> list[str]:
    """The steps the command takes when nothing stops it."""
    record = folder / "steps.json"
    code = run(argv, modules=modules, functions=functions, record=record, env=env)
    assert code == 0, code
    return json.loads(record.read_text())
