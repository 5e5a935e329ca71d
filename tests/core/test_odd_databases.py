"""Odd databases are refused with one sentence, and what the desk writes is private."""

from __future__ import annotations

import os
import sqlite3
import stat

import pytest

from eventrisk.db import open_database
from eventrisk.desk import Desk
from eventrisk.errors import StorageError
from tests.conftest import act_as, run_cli


@pytest.fixture
def signed(tmp_path, monkeypatch):
    act_as(monkeypatch, tmp_path, "admin", "admin-demo")


@pytest.fixture
def training(tmp_path):
    path = tmp_path / "desk.db"
    desk = Desk.open(path, create=True)
    desk.build_demo(venues=3, events=10, incidents=4, seed=2)
    desk.close()
    return path


def test_a_newer_database_is_refused_and_left_alone(capsys, training, signed):
    conn = sqlite3.connect(training)
    conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES "
                 "('eventrisk', 'm099_from_the_future', '2030-01-01')")
    conn.commit()
    before = training.read_bytes()
    conn.close()
    code, _, err = run_cli(capsys, "--db", training, "queue")
    assert code == 1 and "made by a newer EventRisk (it has m099_from_the_future)" in err
    assert training.read_bytes() == before


def test_another_programs_sqlite_file_is_never_turned_into_a_desk(capsys, tmp_path, signed):
    other = tmp_path / "photos.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE albums (id INTEGER PRIMARY KEY, title TEXT)")
    conn.commit()
    conn.close()
    before = other.read_bytes()
    for args in (["queue"], ["init"], ["demo"]):
        code, _, err = run_cli(capsys, "--db", other, *args)
        assert code == 1 and "an SQLite database of another program" in err, args
    assert other.read_bytes() == before


def test_an_empty_file_is_refused_except_by_init(capsys, tmp_path, signed):
    empty = tmp_path / "empty.db"
    empty.touch()
    code, _, err = run_cli(capsys, "--db", empty, "queue")
    assert code == 1 and "is an empty file, not an EventRisk database" in err
    assert empty.stat().st_size == 0
    code, out, _ = run_cli(capsys, "--db", empty, "init")
    assert code == 0 and "Database ready" in out


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_database_backups_and_exports_are_private(capsys, training, tmp_path, signed):
    fresh = tmp_path / "fresh.db"
    open_database(fresh).close()
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600
    assert run_cli(capsys, "--db", training, "backup", tmp_path / "copy.db")[0] == 0
    assert stat.S_IMODE((tmp_path / "copy.db").stat().st_mode) == 0o600
    assert run_cli(capsys, "--db", training, "export", "venues", tmp_path / "v.csv")[0] == 0
    assert stat.S_IMODE((tmp_path / "v.csv").stat().st_mode) == 0o600


def test_a_backup_onto_the_live_database_or_a_folder_is_refused(capsys, training, tmp_path,
                                                                signed):
    code, _, err = run_cli(capsys, "--db", training, "backup", training)
    assert code == 1 and "is the live database itself" in err
    folder = tmp_path / "backups"
    folder.mkdir()
    code, _, err = run_cli(capsys, "--db", training, "backup", folder)
    assert code == 1 and "is a folder" in err
    assert not list(tmp_path.glob("*.part")) and not list(folder.glob("*"))


def test_a_full_disk_is_the_environment_not_bad_input(training, tmp_path, monkeypatch):
    from eventrisk import importexport

    desk = Desk.open(training)
    desk.sign_in("admin", "admin-demo")

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(importexport.csv, "writer", full)
    with pytest.raises(StorageError, match="No space left on device"):
        desk.export_file("venues", tmp_path / "v.csv")
    assert not list(tmp_path.glob("v.csv*"))
    desk.close()
