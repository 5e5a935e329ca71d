"""The store: migrations, foreign keys, versions and conflicts, paging, search, immutability."""

import sqlite3
from dataclasses import replace

import pytest

from eventrisk import queue, submissions, venues
from eventrisk.db import open_database
from eventrisk.errors import ConflictError, StorageError, ValidationError
from eventrisk.migrations import MIGRATIONS
from tests.conftest import refused_errors


@pytest.mark.sqlite_only  # SQLite's PRAGMAs; the server's schema: test_pg_server
def test_open_migrates_and_turns_foreign_keys_on(db):
    assert MIGRATIONS.pending(db) == []
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO incidents (reference, venue_id, occurred_at, category, severity,"
                   " location) VALUES ('X', 999, '2026-01-01T00:00:00Z', 'knife', 1, 'door')")


@pytest.mark.sqlite_only  # SQLite's PRAGMAs; the server's schema: test_pg_server
def test_every_foreign_key_has_an_index(db):
    for table in db.table_names():
        fks = db[table].foreign_keys
        indexed = {tuple(i.columns)[0] for i in db[table].indexes}
        pks = db[table].pks
        if len(pks) == 1 and db[table].columns_dict.get(pks[0]) is int:
            indexed.add(pks[0])  # an INTEGER PRIMARY KEY is the table's own b-tree key
        for fk in fks:
            assert fk.column in indexed, f"{table}.{fk.column} has no index"


def test_reopening_is_idempotent(tmp_path):
    path = tmp_path / "desk.db"
    open_database(path).close()
    db = open_database(path)
    assert MIGRATIONS.pending(db) == []


def test_a_stale_edit_names_who_changed_the_row(db, make_submission, supervisor):
    sub = make_submission()
    submissions.update(db, supervisor, replace(sub, event_name="Winter Social II"))
    with pytest.raises(ConflictError, match="changed by supervisor at"):
        submissions.update(db, supervisor, replace(sub, event_name="Something else"))
    assert submissions.get(db, sub.id).event_name == "Winter Social II"


def test_edits_are_versioned_and_audited(db, make_submission, officer):
    sub = make_submission()
    saved = submissions.update(db, officer, replace(sub, expected_attendance=350))
    assert saved.version == sub.version + 1
    row = db.execute("SELECT detail FROM audit_log WHERE action = 'submission.edit'").fetchone()
    assert '"expected_attendance": ["300", "350"]' in row[0]


def test_references_are_sequential_per_year(make_submission):
    a, b = make_submission(), make_submission()
    assert int(b.reference[-6:]) == int(a.reference[-6:]) + 1


def test_submission_for_an_unknown_venue_is_a_field_error(make_submission):
    with pytest.raises(ValidationError) as exc:
        make_submission(venue_code="NOPE-1")
    assert "no venue with code" in exc.value.as_dict()["venue_code"]


def test_promoters_are_matched_by_name_in_any_case(db, make_submission):
    a = make_submission(promoter_name="Lantern Events")
    b = make_submission(promoter_name="LANTERN EVENTS")
    assert a.promoter_id == b.promoter_id


def test_paging_returns_fixed_size_pages(db, make_submission):
    for _ in range(7):
        make_submission()
    first, second = submissions.page(db, limit=5), submissions.page(db, offset=5, limit=5)
    assert len(first) == 5 and len(second) == 2
    assert not {s.id for s in first} & {s.id for s in second}


def test_full_text_search_finds_events_and_venues(db, make_submission, officer):
    make_submission(event_name="Harvest Gathering")
    make_submission(event_name="Winter Ball")
    found = queue.fetch(db, queue.QueueFilter(text="harv"))
    assert [r.event_name for r in found] == ["Harvest Gathering"]
    assert len(queue.fetch(db, queue.QueueFilter(text="canal arches"))) == 2
    assert [v.code for v in venues.list_venues(db, search="canal")] == ["HKN-0001"]


def test_assessments_and_audit_rows_cannot_be_changed(db, make_submission):
    make_submission()
    for sql in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"):
        with pytest.raises(refused_errors(), match="immutable"):
            db.execute(sql)
        db.conn.rollback()


def test_missing_folder_is_one_clear_sentence(tmp_path):
    with pytest.raises(StorageError, match="does not exist"):
        open_database(tmp_path / "nowhere" / "desk.db")


def test_corrupt_file_is_one_clear_sentence(tmp_path):
    bad = tmp_path / "desk.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StorageError, match="not an EventRisk database or is damaged"):
        open_database(bad)


def test_a_lone_surrogate_in_a_search_finds_nothing_rather_than_crashing(db, admin, venue,
                                                                         tmp_path):
    from eventrisk.desk import Desk
    from eventrisk.queue import QueueFilter

    desk = Desk(db, str(tmp_path / "desk.db"))
    desk.sign_in("admin", "admin-password")
    assert desk.promoters_matching("Lan\ud800") == []
    assert desk.venue_by_code("HKN\ud800") is None
    assert desk.venues_page(search="\ud800Canal")[0].code == "HKN-0001"
    assert desk.queue_page(QueueFilter(text="\udfff")) == []


@pytest.mark.sqlite_only  # SQLite's query planner
def test_the_lookups_people_make_use_indexes(db, admin, venue):
    def plan(sql, params):
        return " ".join(r[3] for r in db.execute("EXPLAIN QUERY PLAN " + sql, params))

    assert "idx_venues_code_nocase" in plan(
        "SELECT * FROM venues WHERE code = ? COLLATE NOCASE", ["hkn-0001"])
    assert "idx_submissions_ends_at" in plan(
        "SELECT count(*) FROM submissions WHERE ends_at >= ?", ["2026-01-01T00:00:00Z"])


def test_queue_search_finds_references_exactly_and_prefixes_only_the_last_word(
        db, officer, make_submission):
    from eventrisk import queue
    from eventrisk.venues import fts_query

    made = [make_submission(event_name=f"Warehouse Social {n}") for n in range(3)]
    first = made[0].reference
    find = lambda text: [r.reference for r in queue.fetch(  # noqa: E731
        db, queue.QueueFilter(text=text, upcoming_only=False))]
    assert find(first) == [first] and find(first.lower()) == [first]
    assert sorted(find(first[:12])) == sorted(m.reference for m in made)  # still typing
    assert fts_query("warehouse soc") == '"warehouse" "soc"*'
    assert len(find("warehouse soc")) == 3 and find("ware social") == []
