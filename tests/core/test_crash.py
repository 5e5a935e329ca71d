"""The crash suite: real ``eventrisk`` processes killed (SIGKILL) at every step of work that
replaces or writes a file, and what they leave behind.

``restore`` (issue 31 item 5): whenever it is killed, the live path holds either the old desk
or the restored one, whole, with an unbroken trail; the next run removes what the killed
one left half-written, and a restore run again afterwards succeeds."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3

import pytest

from eventrisk.cli import main
from eventrisk.desk import Desk
from tests.conftest import password_file
from tests.core import crash

pytestmark = [pytest.mark.sqlite_only, pytest.mark.slow,
              pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX's")]

# Where the restore's own steps are taken (each call into C made there), and the copy's
# progress reports (a kill between two pages of the copy).
MODULES = ["eventrisk/desk/restore.py", "eventrisk/privatefiles.py"]
FUNCTIONS = ["_copied"]
# The steps that touch a file or the database (the others, a getpid or a strftime, change
# nothing a kill could leave half-done).
TOUCHING = ("connect", "execute", "backup", "_copied()", "open", "chmod", "fchmod", "write",
            "fsync", "link", "replace", "close", "unlink")


def kill_points(taken: list[str]) -> list[int]:
    """Each place the restore touches a file, at its last visit (the scratch copies of the
    checks repeat the same places as the copy beside the live file, which comes last), and
    every step of that last copy."""
    last = {name: i for i, name in enumerate(taken)}
    points = {i for name, i in last.items() if name.split("@")[0] in TOUCHING}
    final_copy = max(i for i, name in enumerate(taken) if name.startswith("backup@"))
    points |= {i for i, name in enumerate(taken) if name == "_copied()" and i > final_copy}
    return sorted(points)


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A desk (idle lock 7 minutes) and a backup of it taken before that (15)."""
    folder = tmp_path_factory.mktemp("crash-template")
    desk = Desk.open(folder / "desk.db", create=True)
    desk.build_demo(venues=4, events=40, incidents=20, seed=5)
    desk.sign_in("admin", "admin-demo")
    desk.backup(folder / "backup.db")
    desk.set_setting("idle_lock_minutes", 7)
    desk.close()
    password_file(folder, "admin-demo")
    return folder


def _copy_of(template, folder):
    shutil.copytree(template, folder)
    secret = next(folder.glob("pw-*"))
    return {"EVENTRISK_USER": "admin", "EVENTRISK_PASSWORD_FILE": str(secret),
            "XDG_DATA_HOME": str(folder / "data"), "XDG_STATE_HOME": str(folder / "state"),
            "EVENTRISK_DB": ""}


def _state(path) -> str:
    """'old' or 'restored': what the live path holds, checked whole."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        lock = conn.execute("SELECT value FROM settings WHERE key = 'idle_lock_minutes'"
                            ).fetchone()
        last = conn.execute("SELECT action FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    finally:
        conn.close()
    if lock is not None and lock[0] == "7":
        assert last[0] != "database.restore"
        return "old"
    assert last[0] == "database.restore"  # the restore is in the trail the moment it is live
    return "restored"


def _trail_holds(path) -> None:
    desk = Desk.open(path)
    try:
        desk.sign_in("admin", "admin-demo")
        assert desk.verify_audit().ok
    finally:
        desk.close()


def test_a_restore_killed_at_any_step_leaves_the_old_desk_or_the_new_one(
        template, tmp_path, monkeypatch, capsys):
    first = tmp_path / "dry"
    env = _copy_of(template, first)
    argv = ["--db", first / "desk.db", "restore", first / "backup.db"]
    taken = crash.steps(argv, modules=MODULES, functions=FUNCTIONS, folder=first, env=env)
    assert any(s.startswith("replace@restore.py") for s in taken)
    points = kill_points(taken)
    assert sum(taken[i] == "_copied()" for i in points) >= 3  # inside the copy too
    assert _state(first / "desk.db") == "restored"
    seen = set()
    for step in points:
        folder = tmp_path / f"kill-{step}"
        env = _copy_of(template, folder)
        live = folder / "desk.db"
        code = crash.run(["--db", live, "restore", folder / "backup.db"], modules=MODULES,
                         functions=FUNCTIONS, kill_at=step, env=env)
        assert code == -signal.SIGKILL, (step, taken[step])
        state = _state(live)
        seen.add(state)
        # Where the rename had happened the old desk must be kept aside, whole.
        if state == "restored":
            asides = list(folder.glob("desk.db.replaced-*"))
            assert len(asides) == 1 and _state(asides[0]) == "old"
        _trail_holds(live)
        # The next run removes what was left half-written; a restore then goes through
        # (in this process: the killed one's notes name a process that has gone).
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        assert main(["--db", str(live), "restore", str(folder / "backup.db")]) == 0, \
            (step, taken[step], capsys.readouterr().err)
        assert not list(folder.glob("*.part*")), (step, taken[step])  # journals too
        assert _state(live) == "restored"
        for aside in folder.glob("desk.db.replaced-*"):
            assert not os.path.samefile(aside, live), (step, taken[step])
            _state(aside)  # every file kept aside is a whole desk
        # Nothing recorded is lost: the desk as it was before is kept aside somewhere.
        assert any(_state(a) == "old" for a in folder.glob("desk.db.replaced-*"))
        shutil.rmtree(folder)
    assert seen == {"old", "restored"}


def test_a_killed_backup_leaves_a_part_file_that_the_next_run_removes(template, tmp_path,
                                                                      monkeypatch, capsys):
    """Issue 31 row 10: the copy is killed half-way; its ``.part`` stays (private) until
    the next run of any command, which removes it, and nothing else."""
    folder = tmp_path / "backup"
    env = _copy_of(template, folder)
    argv = ["--db", folder / "desk.db", "backup", folder / "copy.db"]
    taken = crash.steps(argv, modules=["eventrisk/backup.py"], functions=[], folder=folder,
                        env=env)
    (folder / "copy.db").unlink()
    copying = taken.index(next(s for s in taken if s.startswith("backup@backup.py")))
    code = crash.run(argv, modules=["eventrisk/backup.py"], functions=[], kill_at=copying,
                     env=env)
    assert code == -signal.SIGKILL
    partial = folder / "copy.db.part"
    assert partial.exists() and not (folder / "copy.db").exists()
    assert partial.stat().st_mode & 0o077 == 0
    unrelated = folder / "notes.part"  # a file of the same kind the desk did not write
    unrelated.write_text("someone's")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["rules", "features"]) == 0
    capsys.readouterr()
    assert not partial.exists() and unrelated.exists()
