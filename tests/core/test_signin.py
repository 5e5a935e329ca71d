"""Sign-in you can rely on: throttled, locking, not giving names away, and accounts an
administrator can manage."""

from __future__ import annotations

import time
from datetime import timedelta
from functools import cache

import pytest
from argon2 import PasswordHasher

from eventrisk import audit, users
from eventrisk.desk import Desk, signin
from eventrisk.errors import AuthError, PermissionDenied, ValidationError
from eventrisk.model import Role
from eventrisk.timeutil import now_utc


class Clock:
    """A clock the test moves by hand."""

    def __init__(self):
        self.now = now_utc()

    def __call__(self):
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def desk(db, tmp_path, officer, clock):
    return Desk(db, str(tmp_path / "desk.db"), clock=clock)


def test_production_password_hashing_is_what_the_readme_says():
    """argon2id, 3 passes over 64 MiB in 4 lanes (argon2-cffi's RFC 9106 low-memory
    profile); tests swap in a cheap hasher, so check the module's own default here."""
    import importlib

    testing = users.HASHER
    fresh = importlib.reload(users)
    try:
        h = fresh.HASHER
        assert (h.time_cost, h.memory_cost, h.parallelism) == (3, 65536, 4)
        assert h.hash("x").startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    finally:
        importlib.reload(users)
        users.HASHER = testing


def test_twenty_wrong_passwords_then_the_right_one_is_refused(desk, db, clock):
    for _ in range(20):
        with pytest.raises(AuthError):
            desk.sign_in("officer", "wrong-password")
        clock.advance(600)  # waiting out each delay: the lock still comes
    with pytest.raises(AuthError, match="locked after 10 failed sign-ins"):
        desk.sign_in("officer", "officer-pass")
    assert users.find_user(db, "officer").locked
    actions = [e.action for e in audit.history(db, "user", users.find_user(db, "officer").id)]
    assert actions.count("user.sign_in_failed") == 10 and "user.locked" in actions


def test_failures_bring_a_growing_delay(desk, clock):
    for _ in range(signin.THROTTLE_FROM):
        with pytest.raises(AuthError, match="wrong"):
            desk.sign_in("officer", "nope")
    # The right password too must wait now, so guessing cannot run at full speed.
    with pytest.raises(AuthError, match="wait 1 seconds"):
        desk.sign_in("officer", "officer-pass")
    clock.advance(1.5)
    with pytest.raises(AuthError, match="wrong"):
        desk.sign_in("officer", "nope")
    with pytest.raises(AuthError, match="wait 2 seconds"):
        desk.sign_in("officer", "officer-pass")
    clock.advance(2.5)
    assert desk.sign_in("officer", "officer-pass").username == "officer"
    assert signin.failures(desk.db, "officer") == (0, None)  # a success starts afresh
    assert [signin.delay_after(n) for n in range(3, 8)] == [1, 2, 4, 8, 16]


def test_an_unknown_name_is_throttled_like_a_known_one(desk, clock):
    for _ in range(signin.THROTTLE_FROM):
        with pytest.raises(AuthError, match="user name or password is wrong"):
            desk.sign_in("nobody-here", "guess")
    with pytest.raises(AuthError, match="wait 1 seconds"):
        desk.sign_in("nobody-here", "guess")


@cache
def _production_hash() -> str:
    return PasswordHasher().hash("the-real-password")


def test_unknown_names_cost_the_same_time_as_known_ones(db, admin, tmp_path, monkeypatch):
    """With production argon2 parameters: a wrong password for a real account and any
    password for a name that does not exist take the same time (within noise)."""
    monkeypatch.setattr(users, "HASHER", PasswordHasher())
    names = [f"real{i}" for i in range(3)]
    for name in names:  # only wrong passwords are tried: one production hash serves them all
        db.execute("INSERT INTO users (username, display_name, role, password_hash, active) "
                   "VALUES (?, ?, 'officer', ?, 1)", [name, name, _production_hash()])
    desk = Desk(db, str(tmp_path / "desk.db"))

    def timed(name):
        start = time.perf_counter()
        with pytest.raises(AuthError, match="wrong"):
            desk.sign_in(name, "not-the-password")
        return time.perf_counter() - start

    timed("warm-up")
    known = [timed(n) for n in names]
    unknown = [timed(f"ghost{i}") for i in range(3)]
    # The fastest of each: a shared machine's noise only ever adds time.
    ratio = min(unknown) / min(known)
    assert 0.5 < ratio < 2.0, (known, unknown)
    assert min(known) > 0.02  # the real cost, not a shortcut


def test_an_admin_reset_unlocks_and_the_owner_must_choose_a_new_password(desk, db, admin,
                                                                        clock, tmp_path):
    for _ in range(signin.LOCK_AFTER):
        with pytest.raises(AuthError):
            desk.sign_in("officer", "wrong")
        clock.advance(600)
    boss = Desk(db, str(tmp_path / "desk.db"))
    boss.sign_in("admin", "admin-password")
    info = {a.user.username: a for a in boss.accounts()}["officer"]
    assert info.user.locked and info.failures == signin.LOCK_AFTER
    boss.reset_password("officer", "temporary-9")
    user = desk.sign_in("officer", "temporary-9")
    assert user.must_change_password
    with pytest.raises(PermissionDenied, match="Choose a new password"):
        desk.dashboard()
    with pytest.raises(ValidationError, match="current password is wrong"):
        desk.change_own_password("nope", "my-own-password")
    with pytest.raises(ValidationError, match="at least 8"):
        desk.change_own_password("temporary-9", "short")
    desk.change_own_password("temporary-9", "my-own-password")
    assert not desk.user.must_change_password
    desk.dashboard()
    actions = [e.action for e in audit.history(db, "user", user.id)]
    assert "user.password_reset" in actions and "user.password_change" in actions


def test_accounts_created_by_an_admin_choose_their_own_password(db, admin, tmp_path):
    boss = Desk(db, str(tmp_path / "desk.db"))
    boss.sign_in("admin", "admin-password")
    made = boss.create_account("jo", "Jo Bloggs", Role.OFFICER, "temporary-1")
    assert made.must_change_password
    with pytest.raises(ValidationError, match="User name"):
        boss.create_account("jo bloggs ", "Jo", Role.OFFICER, "temporary-1")


def test_a_deactivated_account_cannot_sign_in(db, officer, admin, tmp_path):
    boss = Desk(db, str(tmp_path / "desk.db"))
    boss.sign_in("admin", "admin-password")
    boss.set_account_active("officer", False, "Left the unit")
    with pytest.raises(AuthError, match="deactivated"):
        Desk(db, boss.path).sign_in("officer", "officer-pass")
    entry = audit.history(db, "user", users.find_user(db, "officer").id)[0]
    assert entry.action == "user.deactivate" and entry.reason == "Left the unit"


def test_nothing_happens_without_signing_in(db, tmp_path):
    desk = Desk(db, str(tmp_path / "desk.db"))
    with pytest.raises(AuthError, match="Sign in first"):
        desk.dashboard()
