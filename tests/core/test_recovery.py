"""Nobody can lock the desk out of itself (issue 31 item 4): the last active administrator is
throttled, never locked; ``eventrisk recover`` with the desk's recovery code gives a file desk
an administrator back; a server desk says it is the DBA's job."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from eventrisk import dialect, recovery, users
from eventrisk.cli import main
from eventrisk.desk import Desk, signin
from eventrisk.errors import AuthError
from eventrisk.model import Role
from eventrisk.timeutil import now_utc
from eventrisk.verify import verify_desk
from tests.conftest import password_file

CODE = re.compile(r"Recovery code: ([A-Z0-9]{5}(?:-[A-Z0-9]{5}){4})")


def _hammer(db, name: str, times: int, start) -> object:
    """``times`` wrong passwords for ``name``, each after its wait; returns the clock."""
    moment = start
    for _ in range(times):
        with pytest.raises(AuthError):
            signin.sign_in(db, name, "not the password", moment)
        moment += timedelta(seconds=signin.MAX_DELAY + 1)
    return moment


def test_the_last_administrator_is_throttled_never_locked(db, admin, officer):
    moment = _hammer(db, "admin", signin.LOCK_AFTER + 5, now_utc())
    assert not users.get_user(db, "admin").locked
    # Throttled: an immediate retry, even with the right password, must wait.
    with pytest.raises(AuthError, match=r"wait \d+ seconds"):
        signin.sign_in(db, "admin", "admin-password", moment - timedelta(seconds=
                                                                        signin.MAX_DELAY))
    assert signin.sign_in(db, "admin", "admin-password", moment).username == "admin"
    # Any other account is locked as before.
    _hammer(db, "officer", signin.LOCK_AFTER, moment)
    assert users.get_user(db, "officer").locked
    assert verify_desk(db).ok, verify_desk(db).problems


def test_of_two_administrators_one_may_be_locked_the_other_not(db, admin):
    users.create_user(db, admin, "admin2", "Second Admin", Role.ADMIN, "admin2-password")
    moment = _hammer(db, "admin", signin.LOCK_AFTER, now_utc())
    assert users.get_user(db, "admin").locked
    _hammer(db, "admin2", signin.LOCK_AFTER + 2, moment)
    assert not users.get_user(db, "admin2").locked


def test_a_desk_whose_administrators_are_all_locked_says_how_to_recover(db, admin):
    users.set_fields(db, "admin", locked=True)  # as a desk from before this rule could be
    words = "the database administrator" if dialect.of(db).server else "run 'eventrisk recover'"
    with pytest.raises(AuthError, match=words):
        signin.sign_in(db, "admin", "admin-password", now_utc())


def _cli(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def file_desk(tmp_path, monkeypatch, capsys):
    """A real desk made by ``init --admin``, whose recovery code was printed; its only
    administrator is locked (as a desk from before this rule could be)."""
    path = tmp_path / "desk.db"
    monkeypatch.setenv("EVENTRISK_PASSWORD_FILE", str(password_file(tmp_path, "chief-pass-1")))
    code, out, _ = _cli(capsys, "--db", path, "init", "--admin", "chief")
    assert code == 0 and CODE.search(out), out
    desk = Desk.open(path)
    desk.sign_in("chief", "chief-pass-1")
    desk.create_account("olly", "Olly Officer", Role.OFFICER, "temporary-1")
    desk.db.execute("UPDATE users SET locked = 1 WHERE username = 'chief'")
    desk.db.conn.commit()
    desk.close()
    monkeypatch.delenv("EVENTRISK_PASSWORD_FILE")
    monkeypatch.setenv("EVENTRISK_NEW_PASSWORD_FILE",
                       str(password_file(tmp_path, "chief-new-pass")))
    return path, CODE.search(out)[1]


def test_recover_resets_an_administrator_with_the_code_once(file_desk, tmp_path, capsys):
    path, code = file_desk
    wrong = password_file(tmp_path, "AAAAA-AAAAA-AAAAA-AAAAA-AAAAA")
    status, _, err = _cli(capsys, "--db", path, "recover", "--admin", "chief", "--code-file",
                          wrong)
    assert status == 1 and "recovery code is wrong" in err
    status, _, err = _cli(capsys, "--db", path, "recover", "--admin", "olly", "--code-file",
                          password_file(tmp_path, code))
    assert status == 1 and "olly is not an administrator" in err
    # Typed in lower case, without dashes: the same code.
    typed = password_file(tmp_path, code.lower().replace("-", " "))
    status, out, _ = _cli(capsys, "--db", path, "recover", "--admin", "chief", "--code-file",
                          typed)
    assert status == 0 and "chief has a new password" in out
    fresh = CODE.search(out)[1]
    assert fresh != code
    desk = Desk.open(path)
    assert desk.sign_in("chief", "chief-new-pass").username == "chief"
    actions = [r[0] for r in desk.db.execute("SELECT action FROM audit_log ORDER BY id")]
    assert actions[-3:] == ["user.recover", "desk.recovery_code", "desk.recovery_refused"] \
        or actions[-2:] == ["user.recover", "desk.recovery_code"]
    assert actions.count("desk.recovery_refused") == 1 and actions.count("user.recover") == 1
    report = verify_desk(desk.db)
    assert report.ok, report.problems
    stored = recovery.stored_hash(desk.db)
    desk.close()
    # The code is single-use.
    status, _, err = _cli(capsys, "--db", path, "recover", "--admin", "chief", "--code-file",
                          password_file(tmp_path, code))
    assert status == 1 and "recovery code is wrong" in err
    # A code hash swapped in by hand is named by verify.
    desk = Desk.open(path)
    desk.db.execute("UPDATE settings SET value = ? WHERE key = 'recovery_code'",
                    [users.HASHER.hash("MINE")])
    desk.db.conn.commit()
    assert any("recovery_code: the stored recovery code is not the one" in p
               for p in verify_desk(desk.db).problems)
    assert stored is not None
    desk.close()


def test_recover_refuses_a_bad_password_and_a_desk_with_no_code(file_desk, tmp_path, capsys,
                                                                  monkeypatch):
    path, code = file_desk
    monkeypatch.setenv("EVENTRISK_NEW_PASSWORD_FILE", str(password_file(tmp_path, "short")))
    status, _, err = _cli(capsys, "--db", path, "recover", "--admin", "chief", "--code-file",
                          password_file(tmp_path, code))
    assert status == 2 and "at least 8 characters" in err
    desk = Desk.open(path)
    desk.db.execute("DELETE FROM settings WHERE key = 'recovery_code'")
    desk.db.conn.commit()
    desk.close()
    status, _, err = _cli(capsys, "--db", path, "recover", "--admin", "chief", "--code-file",
                          password_file(tmp_path, code))
    assert status == 1 and "no recovery code" in err and "--new-code" in err


def test_an_administrator_makes_a_new_code(file_desk, tmp_path, capsys, monkeypatch):
    path, code = file_desk
    monkeypatch.setenv("EVENTRISK_PASSWORD_FILE", str(password_file(tmp_path, "temporary-1")))
    status, _, err = _cli(capsys, "--db", path, "--user", "olly", "recover", "--new-code")
    assert status == 1 and "must choose a new password" in err
    status, out, _ = _cli(capsys, "--db", path, "recover", "--admin", "chief", "--code-file",
                          password_file(tmp_path, code))
    assert status == 0
    monkeypatch.setenv("EVENTRISK_PASSWORD_FILE", str(password_file(tmp_path,
                                                                     "chief-new-pass")))
    status, out, _ = _cli(capsys, "--db", path, "--user", "chief", "recover", "--new-code")
    assert status == 0 and CODE.search(out)


def test_on_a_server_desk_recovery_is_the_dbas_job(capsys):
    status, _, err = _cli(capsys, "--db", "postgresql://127.0.0.1:1/nowhere", "recover")
    assert status == 1 and "database administrator (DBA)" in err
