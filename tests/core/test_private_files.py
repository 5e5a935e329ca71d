"""Every file the desk writes is its owner's alone, whatever the umask (issue 31 item 7), and a
writer killed half-way leaves nothing behind once the next run has started (item 9)."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
from datetime import date, timedelta

import pytest

from eventrisk.cli import main
from tests.conftest import act_as

pytestmark = [pytest.mark.sqlite_only,
              pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX's")]


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def user_folders(tmp_path, monkeypatch):
    """The user's data and log folders inside the test's folder."""
    for variable in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(variable, str(tmp_path / variable.lower()))
    monkeypatch.delenv("EVENTRISK_DB", raising=False)
    return tmp_path


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_every_command_that_writes_a_file_makes_it_private_under_umask_022(
        capsys, tmp_path, monkeypatch, user_folders, umask_022):
    desk = tmp_path / "desk.db"
    assert run(capsys, "--db", desk, "demo", "--venues", "6", "--events", "60",
               "--incidents", "40", "--seed", "3")[0] == 0
    act_as(monkeypatch, tmp_path, "supervisor", "supervisor-demo")
    code, out, _ = run(capsys, "--db", desk, "queue", "--json", "--include-past")
    assert code == 0
    rows = json.loads(out)
    graded = next(r for r in rows if r["grade"])
    approved = next(r for r in rows if r["status"] in ("approved", "issued"))
    night = date.fromisoformat(graded["start"][:10])
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    written = {
        "desk file": (desk, None),
        "report": (out_dir / "report.pdf", ["report", graded["reference"]]),
        "letter": (out_dir / "letter.pdf", ["letter", approved["reference"]]),
        "pack": (out_dir / "pack.pdf",
                 ["pack", "--borough", graded["borough"], "--from", night.isoformat(),
                  "--to", (night + timedelta(days=1)).isoformat(), "--include-pending"]),
        "queue list": (out_dir / "queue.pdf", ["queue"]),
        "queue csv": (out_dir / "queue.csv", ["queue", "--csv"]),
        "calibration": (out_dir / "calibration.pdf",
                        ["calibration", "--from", "2000-01-01", "--to",
                         date.today().isoformat()]),
        "backup": (out_dir / "backup.db", ["backup"]),
        "promoter's form": (out_dir / "form.pdf", ["form"]),
    }
    for kind in ("submissions", "venues", "incidents"):
        for suffix in ("csv", "json"):
            written[f"export {kind} {suffix}"] = (out_dir / f"{kind}.{suffix}",
                                                  ["export", kind])
    for name, (target, command) in written.items():
        if command is None:
            continue
        if command[0] in ("export", "backup"):
            args = [*command, target]
        elif command[:2] == ["queue", "--csv"]:
            args = [*command, target]
        else:
            args = [*command, "-o", target]
        code, _, err = run(capsys, "--db", desk, *args)
        assert code == 0, f"{name}: {err}"
    act_as(monkeypatch, tmp_path, "admin", "admin-demo")
    promoter = json.loads((out_dir / "submissions.json").read_text())[0]["promoter_name"]
    code, _, err = run(capsys, "--db", desk, "subject-access", "--promoter", promoter, "-o",
                       out_dir / "access.zip")
    assert code == 0, err
    written["subject access"] = (out_dir / "access.zip", [])
    import logging

    from eventrisk.logfile import log_to_file

    logfile = log_to_file()
    try:
        written["log"] = (logfile, [])
    finally:  # this test's folder goes when it ends: later tests must not log into it
        root = logging.getLogger("eventrisk")
        for handler in [h for h in root.handlers if getattr(h, "baseFilename", "") ==
                        str(logfile)]:
            root.removeHandler(handler)
            handler.close()
    for name, (target, _) in written.items():
        assert target.exists(), name
        assert mode(target) == 0o600, f"{name}: {oct(mode(target))}"
    assert not list(out_dir.glob("*.part"))


def test_a_file_that_already_existed_readable_by_all_becomes_private(capsys, tmp_path,
                                                                     monkeypatch, user_folders,
                                                                     umask_022):
    desk = tmp_path / "desk.db"
    assert run(capsys, "--db", desk, "demo", "--venues", "3", "--events", "10",
               "--incidents", "5", "--seed", "2")[0] == 0
    act_as(monkeypatch, tmp_path, "supervisor", "supervisor-demo")
    target = tmp_path / "venues.csv"
    target.write_text("old\n")
    target.chmod(0o644)
    assert run(capsys, "--db", desk, "export", "venues", target)[0] == 0
    assert mode(target) == 0o600 and target.read_text() != "old\n"


KILLED_WRITER = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from eventrisk.privatefiles import noted, open_private, partial_of
    target = Path(sys.argv[1])
    with noted(partial_of(target)) as tmp:
        with open_private(tmp) as out:
            out.write(b"half a backup")
            out.flush()
            os.kill(os.getpid(), signal.SIGKILL)
""")


def test_a_killed_private_writer_leaves_a_part_file_that_the_next_run_removes(capsys, tmp_path,
                                                                      user_folders):
    env = {**os.environ, "XDG_DATA_HOME": os.environ["XDG_DATA_HOME"]}
    target = tmp_path / "backup.db"
    done = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(target)], env=env,
                          check=False)
    assert done.returncode == -signal.SIGKILL
    partial = tmp_path / "backup.db.part"
    assert partial.exists() and mode(partial) == 0o600  # private even while half-written
    other = tmp_path / "someone-elses.part"
    other.write_text("not ours")
    code, _, _ = run(capsys, "--db", tmp_path / "desk.db", "rules", "features")
    assert code == 0
    assert not partial.exists()
    assert other.exists()  # only the files the desk noted as its own go


def test_a_running_writers_part_file_is_left_alone(tmp_path, user_folders):
    from eventrisk.privatefiles import noted, open_private, partial_of, sweep

    with noted(partial_of(tmp_path / "x.pdf")) as tmp:
        with open_private(tmp) as out:
            out.write(b"%PDF")
        assert sweep() == [] and tmp.exists()  # this process is still writing it
        tmp.unlink()
