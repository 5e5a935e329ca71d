"""Erased means gone from the bytes (issue 31 item 8): every connection overwrites what it
deletes (``PRAGMA secure_delete``), and a retention run or an erasure merges the full-text
index, so no canary planted in a record survives in the desk file, its journal, or a backup
taken afterwards.  Each test runs first with secure delete forced off on the desk's own
connection, to show that the pragma is what removes them."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from eventrisk.desk import Desk
from eventrisk.queue import QueueFilter
from eventrisk.timeutil import now_utc
from eventrisk.validation import validate_submission
from tests.conftest import event_fields

pytestmark = pytest.mark.sqlite_only

# Contact details an erasure removes, and an event's free text a retention run anonymises.
# As the desk stores them: the text itself, and (for the searched event name) each word as
# the full-text index holds it, lower case; the index shares a word's start with the word
# before it, so its tail is what is looked for.
CONTACTS = {"company": "Qwzrtcanary Holdings Ltd", "phone": "07700 981357",
            "email": "qwzrt.canary@example.org"}
EVENT = {"event_name": "Vexqlmcanary Night", "notes": "Notes qpvmcanary said call back",
         "night_contact": "Door lead mkjcanary 07700 902468", "performers": "DJ Zyxcanary"}
INDEXED_TAIL = b"xqlmcanary"  # of the word "vexqlmcanary" in the events' index


def _canaries() -> list[bytes]:
    texts = [*CONTACTS.values(), *EVENT.values()]
    return [t.encode() for t in texts] + [INDEXED_TAIL]


def _found(data: bytes) -> set[bytes]:
    return {c for c in _canaries() if c in data}


def _desk(tmp_path, *, secure_delete: bool) -> tuple[Desk, str]:
    path = tmp_path / "desk.db"
    desk = Desk.open(path, create=True)
    desk.create_first_admin("admin", "Desk Admin", "admin-password")
    desk.sign_in("admin", "admin-password")
    if not secure_delete:
        desk.db.execute("PRAGMA secure_delete = OFF")  # as a build without it would
    from eventrisk.model import Venue

    desk.save_venue(Venue(code="HKN-0001", name="The Canal Arches", address="1 Mare Street",
                          postcode="E8 1AA", borough="Hackney", capacity=400,
                          latest_finish="03:00"))
    start = (now_utc() - timedelta(days=3)).astimezone().replace(
        tzinfo=None, hour=21, minute=0, second=0, microsecond=0)
    fields = event_fields(start=start.isoformat(timespec="minutes"),
                          end=(start + timedelta(hours=4)).isoformat(timespec="minutes"),
                          promoter_name="Plain Promoter", promoter_company=CONTACTS["company"],
                          promoter_phone=CONTACTS["phone"], promoter_email=CONTACTS["email"],
                          **EVENT)
    desk.save_submission(validate_submission(fields))
    return desk, str(path)


def _searched(desk: Desk, word: str) -> list:
    return desk.queue_page(QueueFilter(text=word, upcoming_only=False))


def _erase_everything(desk: Desk) -> None:
    desk.erase_promoter("Plain Promoter", "Asked to be forgotten")
    later = now_utc() + timedelta(days=8 * 366)
    desk.clock = lambda: later
    desk.apply_retention(desk.retention_review())


@pytest.fixture
def built_without_secure_delete(monkeypatch):
    """Every new SQLite connection starts with secure delete off, as on a build of SQLite
    without SQLITE_SECURE_DELETE (Debian's has it; others, Python's on Windows, do not)."""
    real = sqlite3.connect

    def connect(*args, **kwargs):
        conn = real(*args, **kwargs)
        conn.execute("PRAGMA secure_delete = OFF")
        return conn

    monkeypatch.setattr(sqlite3, "connect", connect)


@pytest.mark.parametrize("secure_delete, build", [
    (False, "default"), (True, "default"), (True, "without")],
    ids=["forced-off", "on", "on-a-build-without"])
def test_erased_contacts_and_anonymised_events_are_gone_from_the_bytes(
        tmp_path, request, secure_delete, build):
    if build == "without":
        request.getfixturevalue("built_without_secure_delete")
    desk, path = _desk(tmp_path, secure_delete=secure_delete)
    desk.db.conn.commit()
    with open(path, "rb") as handle:
        assert _found(handle.read()) == set(_canaries())  # planted, searchable
    assert _searched(desk, "vexqlmcanary")  # the index holds the word
    _erase_everything(desk)
    assert not _searched(desk, "vexqlmcanary")
    backup = tmp_path / "after.db"
    desk.backup(backup)
    desk.close()
    journals = [p for p in tmp_path.glob("desk.db-*")]
    left = {name: _found(p.read_bytes()) for name, p in
            [("file", tmp_path / "desk.db"), ("backup", backup)]
            + [(p.name, p) for p in journals]}
    if secure_delete:
        assert left == {name: set() for name in left}
    else:  # without the pragma the erased text is still in the free space of the file
        assert left["file"] and left["backup"]
