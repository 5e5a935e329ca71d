"""The queue at scale: every sort walks an index (checked in the query plan), pages seek from
the last row's key and give exactly what OFFSET gives, counts stop at the cap, and the
denormalised sort keys follow every change that could move them."""

from __future__ import annotations

import pytest

from eventrisk import demo, queue
from eventrisk.db import open_database
from eventrisk.model import Role
from eventrisk.queue import QueueFilter
from tests.conftest import BACKENDS, module_desk


@pytest.fixture(scope="module", params=BACKENDS)
def desk_file(request, tmp_path_factory):
    with module_desk(request, tmp_path_factory) as path:
        db = open_database(path)
        demo.build(db, venues=12, events=700, incidents=300, seed=6)
        # Ties on every key: same names, same starts, same venues.
        db.execute("UPDATE submissions SET event_name = 'Same Night' WHERE id % 7 = 0")
        db.execute("UPDATE submissions SET starts_at = (SELECT min(starts_at) FROM "
                   "submissions) WHERE id % 11 = 0")
        db.close()
        yield path


SORTS = ["action", *queue.SORT_COLUMNS]
_OPEN: list = []


def opened(path):
    """The desk at ``path``, closed when the test ends (a server connection must be)."""
    _OPEN.append(open_database(path))
    return _OPEN[-1]


@pytest.fixture(autouse=True)
def _close_desks():
    yield
    while _OPEN:
        _OPEN.pop().close()


def _plan(db, flt, sort, role=Role.SUPERVISOR):
    where, params = queue._where(flt)
    terms = queue._terms(sort, role)
    shown = [("+" + t if flt.upcoming_only else t) for t in terms]
    return [row[3] for row in db.execute(
        f"EXPLAIN QUERY PLAN SELECT s.id {queue._FROM} {where} ORDER BY "
        f"{', '.join(shown)} LIMIT 100", params)]


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.OFFICER])
@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.sqlite_only  # SQLite's query planner
def test_every_sort_of_every_event_walks_an_index(desk_file, sort, role):
    db = opened(desk_file)
    plan = _plan(db, QueueFilter(upcoming_only=False), sort, role)
    assert not [p for p in plan if "TEMP B-TREE" in p], plan
    assert plan[0].startswith("SCAN s USING INDEX"), plan


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.sqlite_only  # SQLite's query planner
def test_the_default_view_reads_only_events_not_yet_over(desk_file, sort):
    """A few thousand rows on a decade's desk: read through the ends_at index and sorted,
    never a walk along a sort index across every past event."""
    db = opened(desk_file)
    plan = _plan(db, QueueFilter(), sort)
    assert plan[0] == "SEARCH s USING INDEX idx_submissions_ends_at (ends_at>?)", plan


@pytest.mark.parametrize("upcoming", [True, False])
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("sort", SORTS)
def test_seeking_pages_gives_exactly_what_offset_gives(desk_file, sort, descending, upcoming):
    db = opened(desk_file)
    flt = QueueFilter(upcoming_only=upcoming)
    whole = [r.id for r in queue.fetch(db, flt, sort=sort, descending=descending,
                                       limit=10_000)]
    assert len(whole) == len(set(whole)) and len(whole) > 30
    paged, after = [], None
    while True:
        page = queue.fetch(db, flt, sort=sort, descending=descending, limit=23, after=after)
        if not page:
            break
        paged += [r.id for r in page]
        after = page[-1].key
    assert paged == whole
    by_offset = [r.id for offset in range(0, len(whole), 23) for r in
                 queue.fetch(db, flt, sort=sort, descending=descending, limit=23,
                             offset=offset)]
    assert by_offset == whole


def test_counting_stops_past_the_cap(desk_file):
    db = opened(desk_file)
    every = QueueFilter(upcoming_only=False)
    exact = queue.count(db, every, cap=None)
    assert queue.count(db, every, cap=100) == 101 < exact
    assert queue.count(db, every, cap=exact + 5) == exact


def test_the_sort_keys_follow_renames_moves_and_assignments(desk_file, copy_desk):
    db = opened(copy_desk(desk_file, "desk.db"))

    def keys(sid):
        return db.execute("SELECT s.sort_venue, s.sort_borough, s.sort_officer, v.name, "
                          "v.borough, coalesce(u.display_name, '') FROM submissions s JOIN "
                          "venues v ON v.id = s.venue_id LEFT JOIN users u ON u.id = "
                          "s.assigned_to WHERE s.id = ?", [sid]).fetchone()

    sid, venue = db.execute("SELECT id, venue_id FROM submissions WHERE assigned_to IS NOT NULL"
                            " LIMIT 1").fetchone()
    other = db.execute("SELECT id FROM venues WHERE id != ? LIMIT 1", [venue]).fetchone()[0]
    for sql, params in (
            ("UPDATE venues SET name = 'The Renamed Rooms' WHERE id = ?", [venue]),
            ("UPDATE venues SET borough = 'Sutton' WHERE id = ?", [venue]),
            ("UPDATE submissions SET venue_id = ? WHERE id = ?", [other, sid]),
            ("UPDATE users SET display_name = 'Alex Renamed' WHERE id = (SELECT assigned_to "
             "FROM submissions WHERE id = ?)", [sid]),
            ("UPDATE submissions SET assigned_to = NULL WHERE id = ?", [sid])):
        db.execute(sql, params)
        row = keys(sid)
        assert row[:3] == row[3:], sql
    new = db.execute("INSERT INTO submissions (reference, event_name, venue_id, promoter_id, "
                     "event_type, starts_at, ends_at, night, status) VALUES ('ER-2031-000001', "
                     "'New', ?, 1, 'concert', '2031-01-01T20:00:00Z', '2031-01-01T23:00:00Z', "
                     "'2031-01-01', 'received')", [venue]).lastrowid
    row = keys(new)
    assert row[:3] == row[3:]


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.sqlite_only  # SQLite's query planner
def test_a_bulk_status_walks_the_sort_index_and_a_rare_one_its_own(desk_file, sort):
    db = opened(desk_file)
    bulk = _plan(db, QueueFilter(upcoming_only=False, statuses=("debriefed",)), sort)
    assert not [p for p in bulk if "TEMP B-TREE" in p], bulk
    rare = _plan(db, QueueFilter(upcoming_only=False, statuses=("in_review",)), sort)
    assert "idx_submissions_status" in rare[0], rare


@pytest.mark.parametrize("text", ["warehouse", "night", "the", "ER-2026", "zz"])
@pytest.mark.parametrize("sort", ["action", "venue", "start", "notice"])
def test_a_search_gives_the_same_rows_whichever_way_it_is_read(desk_file, monkeypatch, text,
                                                                sort):
    db = opened(desk_file)
    results = []
    for common in (True, False):
        monkeypatch.setattr(queue, "_common", lambda _db, _text, c=common: c)
        for upcoming in (True, False):
            flt = QueueFilter(text=text, upcoming_only=upcoming)
            results.append([r.id for r in queue.fetch(db, flt, sort=sort, limit=10_000)])
    assert results[0] == results[2] and results[1] == results[3]
    assert len(results[1]) >= len(results[0])
