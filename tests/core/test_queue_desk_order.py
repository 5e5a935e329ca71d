"""The desk order (issue 33): an event nobody has scored yet counts as CRITICAL until it is,
so a received event starting soon, LATE included, comes before every LOW, HIGH and later
CRITICAL event in the officer's queue, never below them all."""

from __future__ import annotations

from datetime import timedelta

import pytest

from eventrisk import queue
from eventrisk.model import Grade, Role
from eventrisk.queue import QueueFilter
from eventrisk.timeutil import now_utc


def _start(days: int) -> dict:
    start = (now_utc() + timedelta(days=days)).astimezone().replace(
        hour=22, minute=0, second=0, microsecond=0, tzinfo=None)
    return {"start": start.isoformat(timespec="minutes"),
            "end": (start + timedelta(hours=4)).isoformat(timespec="minutes")}


@pytest.fixture
def events(db, make_submission):
    """Name -> id: scored events of each grade and two unscored received ones."""
    made = {}
    for name, days, grade in (("low", 1, Grade.LOW), ("high", 1, Grade.HIGH),
                              ("critical soon", 2, Grade.CRITICAL),
                              ("unscored late", 3, None),
                              ("critical later", 10, Grade.CRITICAL),
                              ("unscored later", 30, None)):
        sub = make_submission(event_name=name.title(), **_start(days))
        made[name] = sub.id
        if grade is not None:
            db.execute("UPDATE submissions SET status = 'assessed', grade = ?, grade_rank = ?,"
                       " score = ? WHERE id = ?", [grade.value, grade.rank, 10 * grade.rank,
                                                   sub.id])
    db.conn.commit()
    return made


@pytest.mark.parametrize("role", [Role.OFFICER, Role.SUPERVISOR])
def test_an_unscored_event_ranks_with_critical_by_start(db, events, role):
    rows = queue.fetch(db, QueueFilter(), role=role)
    by_id = {v: k for k, v in events.items()}
    order = [by_id[r.id] for r in rows]
    assert order == ["critical soon", "unscored late", "critical later", "unscored later",
                     "high", "low"]
    late = next(r for r in rows if r.id == events["unscored late"])
    assert late.late and late.grade is None and late.status.value == "received"


@pytest.mark.parametrize("descending", [False, True])
def test_the_desk_order_pages_the_same_over_every_event(db, events, descending):
    """Over all events the order walks the new index; seeking from each page's last key gives
    the same rows as one read."""
    flt = QueueFilter(upcoming_only=False)
    whole = [r.id for r in queue.fetch(db, flt, role=Role.OFFICER, descending=descending)]
    paged, after = [], None
    while page := queue.fetch(db, flt, role=Role.OFFICER, descending=descending, limit=2,
                              after=after):
        paged += [r.id for r in page]
        after = page[-1].key
    assert paged == whole
    assert whole.index(events["unscored late"]) < whole.index(events["low"])


def test_the_officer_sees_it_before_low_on_the_desk_the_app_reads(desk_path, db, events):
    """The app's queue (ui.queue_model) shows ``Desk.queue_page`` as it comes: no order of
    its own.  Signed in as the officer, the LATE unscored event is above HIGH and LOW."""
    from eventrisk.desk import Desk

    desk = Desk.open(desk_path)
    try:
        desk.sign_in("officer", "officer-pass")
        ids = [r.id for r in desk.queue_page(QueueFilter())]
    finally:
        desk.close()
    assert ids.index(events["unscored late"]) < ids.index(events["high"]) \
        < ids.index(events["low"])
