"""Compact snapshots: the exact texts back, about 600 bytes each, old databases migrated with
their digests still verifying."""

from __future__ import annotations

import json

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
    assert blob[0] == snapshots.CURRENT
    assert snapshots.unpack(db, blob) == (inputs, features, fired)


def test_a_scored_desk_keeps_each_snapshot_under_a_kilobyte(db):
    # The benchmark desk's density: about 33 incidents a venue a year (the 30-venue demo
    # spans one year).
    demo.build(db, venues=30, events=3000, incidents=1000, seed=3)
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
    assert rows > 2500
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
    old.execute("DELETE FROM _sqlite_migrations WHERE name = 'm010_compact_snapshots'")
    old.conn.commit()
    old.close()
    db = open_database(path)  # m010 runs here
    after = [(aid, *snapshots.unpack(db, packed), digest) for aid, packed, digest in
             db.execute("SELECT id, packed, digest FROM assessments ORDER BY id")]
    assert after == rows and len(rows) > 20
    assert verify_desk(db).ok and audit.verify(db).ok
    assert db.execute("SELECT count(*) FROM assessments WHERE features IS NOT NULL"
                      ).fetchone()[0] == 0
