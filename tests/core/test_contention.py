"""Contention never throws work away (issue 31 item 6): bulk work holds the desk's write lock a
batch at a time, says what it is doing, and a save that still waits out the busy timeout gets
one sentence naming who holds the desk."""

from __future__ import annotations

import shutil
import socket
import sqlite3
from contextlib import contextmanager

import pytest

from eventrisk import demo
from eventrisk.db import open_database
from eventrisk.desk import Desk
from eventrisk.scoring import service
from eventrisk.timeutil import now_utc, to_db
from eventrisk.users import find_user
from tests.conftest import act_as, hold_write_lock, run_cli

pytestmark = pytest.mark.sqlite_only


@pytest.fixture(scope="module")
def desk_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("contention") / "desk.db"
    db = open_database(path)
    demo.build(db, venues=8, events=150, incidents=80, seed=3)
    db.close()
    return path


@pytest.mark.parametrize("parallel_from", [10**9, 1], ids=["one-process", "with-a-worker"])
def test_a_rescore_commits_each_batch_before_writing_the_next(desk_file, tmp_path,
                                                              monkeypatch, parallel_from):
    path = tmp_path / "desk.db"
    shutil.copy(desk_file, path)
    monkeypatch.setattr(service, "BATCH", 20)
    monkeypatch.setattr(service, "CHUNK", 50)
    db = open_database(path)
    said: list[str] = []
    db.conn.set_trace_callback(said.append)
    write = service._write

    def writing(*args, **kwargs):
        said.append("-- a batch --")
        yield from write(*args, **kwargs)

    monkeypatch.setattr(service, "_write", writing)
    results = service.score_all(db, find_user(db, "supervisor"), now=now_utc(),
                                parallel_from=parallel_from)
    db.conn.set_trace_callback(None)
    db.close()
    assert len(results) > 100
    batches, open_batches, transactions = 0, 0, 0
    for statement in said:
        if statement == "BEGIN IMMEDIATE":
            open_batches, transactions = 0, transactions + 1
        elif statement == "-- a batch --":
            open_batches += 1
            batches += 1
            assert open_batches == 1, "two batches written in one transaction"
    assert batches >= 100 // 20 and transactions >= batches


@contextmanager
def writing_elsewhere(path):
    """Another workstation in the middle of a long write (its write lock taken, not yet
    committing: others may still read, as during a rescore's batch)."""
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("UPDATE venues SET capacity = capacity WHERE id = 1")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def _announce(path, username: str, what: str) -> None:
    """Another workstation's note of what it is doing (as ``restore.doing`` writes it)."""
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO workstations (id, host, pid, username, seen_at, doing) VALUES "
                 "('desk-7:41', 'desk-7', 41, ?, ?, ?)", [username, to_db(now_utc()), what])
    conn.commit()
    conn.close()


def test_a_save_kept_waiting_is_told_who_holds_the_desk_in_one_sentence(
        desk_file, tmp_path, monkeypatch, capsys):
    path = tmp_path / "desk.db"
    shutil.copy(desk_file, path)
    monkeypatch.setenv("EVENTRISK_BUSY_TIMEOUT", "0.2")
    monkeypatch.delenv("EVENTRISK_DB", raising=False)
    act_as(monkeypatch, tmp_path, "officer", "officer-demo")
    venues = tmp_path / "venues.csv"
    venues.write_text("code,name,address,postcode,borough,capacity\n"
                      "NEW-1,The New Room,1 High Street,E8 1AA,Hackney,200\n")
    _announce(path, "supervisor", "rescoring")
    with writing_elsewhere(path):
        code, out, err = run_cli(capsys, "--db", path, "import", "venues", venues)
    assert code == 1
    assert err.strip() == ("The desk is busy: supervisor on desk-7 is rescoring. Your changes "
                           "are kept; try again.")
    assert run_cli(capsys, "--db", path, "import", "venues", venues)[0] == 0  # kept: again


def test_without_a_note_the_sentence_still_says_what_to_do(desk_file, tmp_path, monkeypatch,
                                                          capsys):
    path = tmp_path / "desk.db"
    shutil.copy(desk_file, path)
    monkeypatch.setenv("EVENTRISK_BUSY_TIMEOUT", "0.2")
    act_as(monkeypatch, tmp_path, "officer", "officer-demo")
    with hold_write_lock(path):
        code, _, err = run_cli(capsys, "--db", path, "import", "venues", tmp_path / "x.csv")
    assert code == 1 or "x.csv" in err  # a missing file is found before the desk is asked
    (tmp_path / "x.csv").write_text("code,name,address,postcode,borough,capacity\n"
                                    "NEW-2,Room Two,2 High Street,E8 1AA,Hackney,90\n")
    with hold_write_lock(path):
        code, _, err = run_cli(capsys, "--db", path, "import", "venues", tmp_path / "x.csv")
    assert code == 1
    assert err.strip() == ("The desk is busy: another workstation is saving. Your changes are "
                           "kept; try again.")


def test_a_rescore_says_it_is_rescoring_while_it_runs_and_unsays_it_after(desk_file,
                                                                        tmp_path):
    path = tmp_path / "desk.db"
    shutil.copy(desk_file, path)
    desk = Desk.open(path)
    desk.sign_in("supervisor", "supervisor-demo")
    seen = []

    def look(done, total):
        other = sqlite3.connect(path)
        seen.append(other.execute("SELECT username, host, doing FROM workstations").fetchall())
        other.close()
        return True

    desk.rescore_all(progress=look, parallel_from=10**9)
    assert seen and all(rows == [("supervisor", socket.gethostname(), "rescoring")]
                        for rows in seen)
    assert desk.db.execute("SELECT count(*) FROM workstations").fetchone()[0] == 0
    desk.close()
