"""Fixtures shared by the core tests."""

from __future__ import annotations

import pytest

from eventrisk.desk import Desk
from eventrisk.model import Role

PASSWORDS = {"admin": "admin-password", "capturer": "capturer-pass", "officer": "officer-pass",
             "supervisor": "super-pass", "supervisor2": "super2-pass"}


@pytest.fixture
def desks(db, desk_path, admin, venue):
    """A signed-in desk per account, all on one database; accounts made by the admin."""
    boss = Desk(db, desk_path)
    boss.sign_in("admin", PASSWORDS["admin"])
    for name, role in (("capturer", Role.OFFICER), ("officer", Role.OFFICER),
                       ("supervisor", Role.SUPERVISOR), ("supervisor2", Role.SUPERVISOR)):
        boss.create_account(name, name.title(), role, "temporary-1")
        d = Desk(db, boss.path)
        d.sign_in(name, "temporary-1")
        d.change_own_password("temporary-1", PASSWORDS[name])
    out = {"admin": boss}
    for name in PASSWORDS:
        if name != "admin":
            out[name] = Desk(db, boss.path)
            out[name].sign_in(name, PASSWORDS[name])
    return out
