"""eventrisk restore: a checked backup replaces the desk, never under anyone's feet; the old
file is kept aside and the restore is in the restored trail."""

from __future__ import annotations

import sqlite3

import pytest

from eventrisk import audit
from eventrisk.desk import Desk
from eventrisk.timeutil import now_utc, to_db
from tests.conftest import act_as, run_cli


@pytest.fixture
def desk_and_backup(tmp_path, monkeypatch):
    path = tmp_path / "desk.db"
    desk = Desk.open(path, create=True)
    desk.build_demo(venues=3, events=20, incidents=5, seed=4)
    desk.sign_in("admin", "admin-demo")
    desk.backup(tmp_path / "backup.db")
    desk.set_setting("idle_lock_minutes", 7)  # a change after the backup, to be undone
    desk.close()
    act_as(monkeypatch, tmp_path, "admin", "admin-demo")
    return path, tmp_path / "backup.db"


def test_a_restore_replaces_the_desk_keeps_the_old_file_and_is_audited(capsys,
                                                                       desk_and_backup):
    path, backup = desk_and_backup
    code, out, err = run_cli(capsys, "--db", path, "restore", backup)
    assert code == 0, err
    aside = next(path.parent.glob("desk.db.replaced-*"))
    assert f"kept as {aside}" in out
    desk = Desk.open(path)
    desk.sign_in("admin", "admin-demo")
    assert desk.setting("idle_lock_minutes") == 15  # the backup's state
    last = audit.history(desk.db, "database", "")[0]
    assert last.action == "database.restore" and last.actor == "admin"
    assert last.detail["from"] == "backup.db" and last.detail["kept_aside"] == aside.name
    assert desk.verify_audit().ok
    desk.close()
    old = Desk.open(aside)
    old.sign_in("admin", "admin-demo")
    assert old.setting("idle_lock_minutes") == 7  # nothing lost: the replaced desk is whole
    old.close()


def test_a_restore_waits_for_every_other_workstation_to_close(capsys, desk_and_backup):
    path, backup = desk_and_backup
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO workstations (id, host, pid, username, seen_at) VALUES "
                 "('desk-7:123', 'desk-7', 123, 'officer', ?)", [to_db(now_utc())])
    conn.commit()
    conn.close()
    before = path.read_bytes()
    code, _, err = run_cli(capsys, "--db", path, "restore", backup)
    assert code == 1 and "Other workstations have this desk open: officer on desk-7" in err
    assert path.read_bytes() == before and not list(path.parent.glob("*.replaced-*"))


def test_a_restore_refuses_a_bad_backup_the_live_file_and_officers(capsys, desk_and_backup,
                                                                  tmp_path, monkeypatch):
    path, backup = desk_and_backup
    broken = tmp_path / "broken.db"
    broken.write_bytes(backup.read_bytes())
    conn = sqlite3.connect(broken)
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("UPDATE audit_log SET actor = 'mallory' WHERE id = 3")
    conn.commit()
    conn.close()
    code, _, err = run_cli(capsys, "--db", path, "restore", broken)
    assert code == 1 and "audit trail is broken" in err
    code, _, err = run_cli(capsys, "--db", path, "restore", path)
    assert code == 1 and "live database itself" in err
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    assert run_cli(capsys, "--db", path, "restore", junk)[0] == 1
    act_as(monkeypatch, tmp_path, "officer", "officer-demo")
    code, _, err = run_cli(capsys, "--db", path, "restore", backup)
    assert code == 1 and "Only an administrator may restore" in err
    assert not list(path.parent.glob("*.replaced-*"))


def test_a_damaged_desk_is_restored_with_the_backups_accounts(capsys, desk_and_backup):
    path, backup = desk_and_backup
    path.write_bytes(b"\0" * 4096)  # the live desk is ruined
    code, out, err = run_cli(capsys, "--db", path, "restore", backup)
    assert code == 0, err
    desk = Desk.open(path)
    desk.sign_in("admin", "admin-demo")
    assert desk.verify_audit().ok
    desk.close()


def test_the_app_heartbeat_and_leaving(tmp_path):
    from eventrisk.desk.restore import others_present

    desk = Desk.open(tmp_path / "d.db", create=True)
    desk.build_demo(venues=2, events=5, incidents=1, seed=1)
    desk.sign_in("officer", "officer-demo")
    desk.heartbeat()
    assert others_present(desk.db) == []  # this workstation is not "another"
    desk.db.execute("UPDATE workstations SET id = 'elsewhere:1'")
    assert others_present(desk.db) and "officer on" in others_present(desk.db)[0]
    desk.db.execute("UPDATE workstations SET seen_at = '2020-01-01T00:00:00Z'")
    assert others_present(desk.db) == []  # gone quiet: closed or crashed long ago
    desk.close()
