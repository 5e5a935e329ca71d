"""Every Qt model passes the model tester, and the queue is lazy and sorted in SQL."""

from PySide6.QtCore import Qt

from eventrisk import incidents, queue
from tests.ui.conftest import sign_in
from ui.models import Column, ObjectTableModel
from ui.queue_model import QueueModel


def test_queue_model(qtmodeltester, desk):
    db, path = desk
    model = QueueModel(sign_in(db, path, "supervisor"))
    qtmodeltester.check(model)
    model.set_filter(queue.QueueFilter(upcoming_only=False))
    qtmodeltester.check(model)


def test_queue_model_fetches_lazily_and_sorts_in_sql(desk):
    db, path = desk
    model = QueueModel(sign_in(db, path, "officer"))
    model.PAGE = 10
    model.set_filter(queue.QueueFilter(upcoming_only=False))
    live = db.execute("SELECT count(*) FROM submissions WHERE status != 'cancelled'"
                      ).fetchone()[0]
    assert model.total == live < 90 and model.rowCount() == 10  # cancelled only when asked
    assert model.canFetchMore()
    model.fetchMore()
    assert model.rowCount() == 20
    model.sort(QueueModel.COL_REFERENCE, Qt.SortOrder.DescendingOrder)
    refs = [model.row_object(i).reference for i in range(model.rowCount())]
    assert refs == sorted(refs, reverse=True) and model.rowCount() == 10


def test_supervisor_sees_reviews_first(desk):
    db, path = desk
    model = QueueModel(sign_in(db, path, "supervisor"))
    statuses = [model.row_object(i).status.value for i in range(model.rowCount())]
    in_review = [s == "in_review" for s in statuses]
    assert any(in_review) and in_review == sorted(in_review, reverse=True)


def test_object_table_model_paged(qtmodeltester, desk):
    db, _ = desk
    venue_id = db.execute("SELECT venue_id FROM incidents GROUP BY 1 ORDER BY count(*) DESC"
                          ).fetchone()[0]
    model = ObjectTableModel(
        [Column("Ref", lambda i: i.reference), Column("Kind", lambda i: i.category.label)],
        fetch_page=lambda off, lim: incidents.for_venue(db, venue_id, offset=off, limit=lim))
    model.PAGE = 3
    model.reload()
    assert model.rowCount() == 3 and model.canFetchMore()
    qtmodeltester.check(model)
    while model.canFetchMore():
        model.fetchMore()
    total = db.execute("SELECT count(*) FROM incidents WHERE venue_id = ?", [venue_id]).fetchone()
    assert model.rowCount() == total[0] and not model.canFetchMore()


def test_sorting_the_queue_does_not_count_it_again(desk):
    db, path = desk
    signed = sign_in(db, path, "officer")
    model = QueueModel(signed)
    counted = []
    real = signed.queue_count
    signed.queue_count = lambda flt: counted.append(flt) or real(flt)
    model.sort(QueueModel.COL_VENUE)
    model.sort(QueueModel.COL_SCORE, Qt.SortOrder.DescendingOrder)
    assert counted == [] and model.rowCount() > 0
    model.set_filter(queue.QueueFilter(upcoming_only=False))
    assert len(counted) == 1  # a new filter is counted once
