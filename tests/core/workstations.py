"""Workstations for the several-process tests: each function runs in a process of its own,
opens the desk by path and signs in, as another workstation would.  Results come back as
plain strings through a queue.

The processes are started by ``CTX``: forked from a server process that has imported this
module and the desk's code and nothing else, so a workstation inherits no open desk, no
connection and no lock from the test, and (as with ``spawn``, Windows's only way) what it
runs and is given must be importable and picklable.  Spawning (still used where there is no
fork server: Windows) cost each one half a second of importing, some 5 s of the suite's CPU."""

from __future__ import annotations

import multiprocessing
import os
import time
from dataclasses import replace

if "forkserver" in multiprocessing.get_all_start_methods():
    CTX = multiprocessing.get_context("forkserver")
    CTX.set_forkserver_preload([__name__, "eventrisk.desk", "eventrisk.pg.desk"])
else:  # Windows
    CTX = multiprocessing.get_context("spawn")


def _desk(path: str, user: str, password: str, busy: str = "60"):
    os.environ["EVENTRISK_BUSY_TIMEOUT"] = busy
    from eventrisk.desk import Desk

    desk = Desk.open(path)
    desk.sign_in(user, password)
    return desk


def approve_what_was_seen(path, user, password, sid, seen, go, out) -> None:
    """Open the assessment, say so, wait, then approve the version that was shown."""
    desk = _desk(path, user, password)
    state = desk.assessment(sid)
    out.put(f"saw {state.version} {state.grade}")
    seen.set()
    go.wait(30)
    try:
        desk.approve(sid, state.version)
        out.put("approved")
    except Exception as exc:  # noqa: BLE001 - the test reads the outcome
        out.put(f"{type(exc).__name__}: {exc}")
    desk.close()


def save_notes(path, user, password, sid, version, notes, barrier, out) -> None:
    """Save an edit of the notes made on ``version``, starting together with another."""
    from eventrisk import submissions

    desk = _desk(path, user, password)
    sub = replace(submissions.get(desk.db, sid), version=version, notes=notes)
    barrier.wait(30)
    try:
        desk.save_submission(sub)
        out.put(f"saved {notes}")
    except Exception as exc:  # noqa: BLE001
        out.put(f"{type(exc).__name__}: {exc}")
    desk.close()


def capture_many(path, user, password, fields, count, out) -> None:
    """Capture ``count`` new events (``fields`` as typed, at the desk's first venue) one after
    another, as fast as the desk takes them."""
    from eventrisk.validation import validate_submission

    desk = _desk(path, user, password)
    code = desk.db.execute("SELECT code FROM venues ORDER BY id LIMIT 1").fetchone()[0]
    saved = 0
    for n in range(count):
        try:
            desk.save_submission(validate_submission(
                {**fields, "event_name": f"Race {os.getpid()} {n}", "venue_code": code}))
            saved += 1
        except Exception as exc:  # noqa: BLE001 - the test reads the outcome
            out.put(f"{type(exc).__name__}: {exc}")
    out.put(f"saved {saved}")
    desk.close()


def rescore_everything(path, user, password, started, out) -> None:
    """A supervisor rescores the whole desk."""
    desk = _desk(path, user, password)
    started.set()
    try:
        count = len(desk.rescore_all())
        out.put(f"rescored {count}")
    except Exception as exc:  # noqa: BLE001
        out.put(f"{type(exc).__name__}: {exc}")
    desk.close()


def keep_saving(path, user, password, sid, started, stop, out) -> None:
    """An officer saving an edit about every 0.1 s until told to stop."""
    from eventrisk import submissions

    desk = _desk(path, user, password)
    started.wait(30)
    saved = 0
    errors = []
    deadline = time.monotonic() + 60
    while not stop.is_set() and time.monotonic() < deadline:
        sub = submissions.get(desk.db, sid)
        try:
            desk.save_submission(replace(sub, notes=f"call {saved + 1}"))
            saved += 1
        except Exception as exc:  # noqa: BLE001
            errors.append(f"{type(exc).__name__}: {exc}")
        time.sleep(0.1)
    out.put(f"saved {saved}" + ("; " + " | ".join(errors) if errors else ""))
    desk.close()
