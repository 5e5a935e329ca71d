"""Compact snapshots: the exact texts back, about 500 bytes each, old databases migrated with
their digests still verifying, and every version ever written still readable."""

from __future__ import annotations

import json

import pytest
from sqlite_utils import Database

from eventrisk import audit, demo, dialect, snapshots
from eventrisk.db import open_database
from eventrisk.scoring import service
from eventrisk.users import find_user
from eventrisk.verify import verify_desk


def test_the_texts_come_back_byte_for_byte(db):
    inputs = json.dumps({"event": "Zoë's \x1e night", "n": 1}, ensure_ascii=False,
                        separators=(",", ":"))
    features = json.dumps({"attendance_ratio": 1.695, "text": "Łódź"}, separators=(",", ":"))
    fired = "[]"
    blob = snapshots.pack(db, inputs, features, fired)
    assert blob[0] == snapshots.CURRENT == 2
    assert snapshots.unpack(db, blob) == (inputs, features, fired)
    deflated = snapshots.pack(db, inputs, features, fired, version=snapshots.DEFLATED)
    assert deflated[0] == 1 and deflated != blob
    assert snapshots.unpack(db, deflated) == (inputs, features, fired)


def test_the_desk_uses_its_own_stored_dictionary_not_the_shipped_file(db, monkeypatch):
    text = json.dumps({"expected_attendance": 400, "capacity": 500})
    blob = snapshots.pack(db, text, "{}", "[]")
    # A later release shipping another file changes nothing for a desk that has its copy.
    monkeypatch.setattr(snapshots, "dictionary_v2", lambda: b"something else entirely")
    db.__dict__.pop("_snapshot_dictionaries", None)
    assert snapshots.unpack(db, blob) == (text, "{}", "[]")
    assert snapshots.pack(db, text, "{}", "[]") == blob


@pytest.mark.parametrize("blob", [
    b"", b"\x02", b"\x02garbage", b"\x09\x00",
    # a well-formed zstd frame header that claims 4 GB of text: refused before allocating
    b"\x02" + bytes.fromhex("28b52ffd") + b"\xa0" + ((1 << 32) - 1).to_bytes(4, "little"),
])
def test_a_blob_that_does_not_unpack_is_named_damaged(db, blob):
    with pytest.raises(snapshots.DamagedSnapshotError):
        snapshots.unpack(db, blob)


def test_a_scored_desk_keeps_each_snapshot_under_a_kilobyte(db):
    # The benchmark desk's density: a hundred events and about 33 incidents a venue a year
    # (the demo spans one year).
    demo.build(db, venues=10, events=1000, incidents=333, seed=3)
    service.score_all(db, find_user(db, "supervisor"))
    rows = db.execute("SELECT count(*) FROM assessments").fetchone()[0]
    if dialect.of(db).server:
        # the table's heap and its TOAST, rewritten with nothing but these rows in it (the
        # test's database may be one an earlier test used and the suite emptied)
        db.execute("VACUUM FULL assessments")
        on_disk = db.execute("SELECT pg_table_size('assessments')").fetchone()[0]
    else:
        on_disk = db.execute("SELECT sum(pgsize) FROM dbstat WHERE name = 'assessments'"
                             ).fetchone()[0]
    assert rows > 800
    assert on_disk / rows < 1024, on_disk / rows
    plain = db.execute("SELECT count(*) FROM assessments WHERE inputs IS NOT NULL OR "
                       "features IS NOT NULL OR fired IS NOT NULL").fetchone()[0]
    assert plain == 0
    assert verify_desk(db).ok


def test_an_older_desk_is_migrated_and_still_verifies(tmp_path):
    """A desk from before m010: its snapshots are plain texts, and it has no dictionary.
    (Made by scoring a desk now and putting it back as it was.)"""
    path = tmp_path / "old.db"
    db = open_database(path)
    demo.build(db, venues=6, events=120, incidents=80, seed=2)
    service.score_all(db, find_user(db, "supervisor"))
    rows = [(aid, *snapshots.unpack(db, packed), digest) for aid, packed, digest in
            db.execute("SELECT id, packed, digest FROM assessments ORDER BY id")]
    db.close()
    old = Database(path)
    old.execute("DROP TRIGGER assessments_no_update")
    old.conn.executemany("UPDATE assessments SET inputs = ?, features = ?, fired = ?, "
                         "packed = NULL WHERE id = ?", [(i, f, r, aid) for aid, i, f, r, _ in
                                                        rows])
    old.execute("ALTER TABLE assessments DROP COLUMN packed")
    old.execute("CREATE TRIGGER assessments_no_update BEFORE UPDATE ON assessments BEGIN "
                "SELECT RAISE(ABORT, 'assessments rows are immutable'); END")
    old.execute("DROP TABLE snapshot_dictionaries")
    old.execute("DELETE FROM _sqlite_migrations WHERE name IN ('m010_compact_snapshots', "
                "'m014_snapshot_dictionary_2')")
    old.conn.commit()
    old.close()
    db = open_database(path)  # m010 runs here, then m014
    after = [(aid, *snapshots.unpack(db, packed), digest) for aid, packed, digest in
             db.execute("SELECT id, packed, digest FROM assessments ORDER BY id")]
    assert after == rows and len(rows) > 20
    assert verify_desk(db).ok and audit.verify(db).ok
    assert db.execute("SELECT count(*) FROM assessments WHERE features IS NOT NULL"
                      ).fetchone()[0] == 0
    # m010 packed the old snapshots with the dictionary it made; what is scored from now on is
    # packed with m014's, and the desk verifies with both kinds side by side.
    assert {bytes(b)[0] for b, in db.execute("SELECT packed FROM assessments")} == {1}
    db.execute("UPDATE venues SET capacity = capacity + 50")
    db.conn.commit()
    service.score_all(db, find_user(db, "supervisor"))
    versions = [bytes(b)[0] for b, in db.execute("SELECT packed FROM assessments ORDER BY id")]
    assert versions[:len(rows)] == [1] * len(rows) and set(versions[len(rows):]) == {2}
    assert verify_desk(db).ok and audit.verify(db).ok
