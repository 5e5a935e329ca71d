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


def _other_desk_backup(tmp_path):
    """A backup of a different desk (made by the same demo, so everything but its id and
    history matches)."""
    other = Desk.open(tmp_path / "other.db", create=True)
    other.build_demo(venues=2, events=5, incidents=2, seed=9)
    other.sign_in("admin", "admin-demo")
    other.backup(tmp_path / "other-backup.db")
    other.close()
    return tmp_path / "other-backup.db"


def _desk_id(path):
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT id FROM desk_identity").fetchone()[0]
    finally:
        conn.close()


def test_each_desk_has_an_id_its_backups_carry(desk_and_backup, tmp_path):
    path, backup = desk_and_backup
    assert _desk_id(path) == _desk_id(backup)
    assert _desk_id(_other_desk_backup(tmp_path)) != _desk_id(path)
    conn = sqlite3.connect(path)
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("UPDATE desk_identity SET id = 'mine'")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO desk_identity (id, created_at) VALUES ('second', 'now')")
    conn.close()


def test_a_backup_of_another_desk_is_refused_unless_asked_and_the_trail_says_so(
        capsys, desk_and_backup, tmp_path):
    path, _ = desk_and_backup
    foreign = _other_desk_backup(tmp_path)
    ours, theirs = _desk_id(path), _desk_id(foreign)
    before = path.read_bytes()
    code, _, err = run_cli(capsys, "--db", path, "restore", foreign)
    assert code == 1
    assert err.strip() == (f"other-backup.db is a backup of another desk (desk id {theirs}; "
                           f"this desk is {ours}); nothing was changed. To replace this desk "
                           "with it all the same, restore with --other-desk.")
    assert path.read_bytes() == before and not list(tmp_path.glob("desk.db.replaced-*"))
    code, out, err = run_cli(capsys, "--db", path, "restore", foreign, "--other-desk")
    assert code == 0, err
    desk = Desk.open(path)
    desk.sign_in("admin", "admin-demo")
    last = audit.history(desk.db, "database", "")[0]
    assert last.action == "database.restore"
    assert last.detail["other_desk"] is True
    assert last.detail["desk_id"] == theirs and last.detail["replaced_desk_id"] == ours
    assert desk.verify_audit().ok
    desk.close()


def test_a_backup_of_this_desk_is_restored_without_asking_and_says_it_is_the_same(
        capsys, desk_and_backup):
    path, backup = desk_and_backup
    assert run_cli(capsys, "--db", path, "restore", backup)[0] == 0
    desk = Desk.open(path)
    desk.sign_in("admin", "admin-demo")
    last = audit.history(desk.db, "database", "")[0]
    assert last.detail["other_desk"] is False and last.detail["desk_id"] == _desk_id(path)
    desk.close()


def _as_before_desk_ids(path):
    """The file as a release before m018 left it."""
    conn = sqlite3.connect(path)
    conn.executescript("DROP TABLE desk_identity; ALTER TABLE workstations DROP COLUMN doing; "
                       "DELETE FROM _sqlite_migrations WHERE name = 'm018_desk_id';")
    conn.close()


def test_a_desk_upgraded_to_ids_takes_the_same_id_as_its_older_backups(capsys, tmp_path,
                                                                      monkeypatch):
    from tests.conftest import act_as

    path = tmp_path / "desk.db"
    desk = Desk.open(path, create=True)
    desk.build_demo(venues=2, events=5, incidents=2, seed=4)
    desk.sign_in("admin", "admin-demo")
    desk.backup(tmp_path / "old-backup.db")
    desk.close()
    for old in (path, tmp_path / "old-backup.db"):
        _as_before_desk_ids(old)
    Desk.open(path).close()  # the upgrade gives the desk its id
    act_as(monkeypatch, tmp_path, "admin", "admin-demo")
    code, _, err = run_cli(capsys, "--db", path, "restore", tmp_path / "old-backup.db")
    assert code == 0, err
    from eventrisk import users
    from eventrisk.db import open_database
    from eventrisk.model import Role

    foreign = tmp_path / "foreign.db"  # another desk, from before desks had ids
    other = open_database(foreign)
    users.create_user(other, None, "boss", "Other Boss", Role.ADMIN, "boss-password-1")
    other.close()
    _as_before_desk_ids(foreign)  # an old backup of another desk is still another desk's
    code, _, err = run_cli(capsys, "--db", path, "restore", foreign)
    assert code == 1 and "is a backup of another desk" in err


def test_a_restore_leaves_no_temporary_file_and_the_desk_private(capsys, desk_and_backup):
    import os
    import stat

    path, backup = desk_and_backup
    os.chmod(backup, 0o644)
    old = os.umask(0o022)
    try:
        assert run_cli(capsys, "--db", path, "restore", backup)[0] == 0
    finally:
        os.umask(old)
    assert not list(path.parent.glob("*.part")) and not list(path.parent.glob("*restoring*"))
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        aside = next(path.parent.glob("desk.db.replaced-*"))
        assert not os.path.samefile(aside, path)
