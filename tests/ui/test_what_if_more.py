"""What-if (issue 12): attendance can be tried (over capacity is the biggest rule), "Not
stated" stays "Not stated", and a supervisor's override is said to stand."""

from __future__ import annotations

from PySide6.QtCore import Qt

from eventrisk.model import Grade


def _ready(qtbot, window, sid):
    view = window.open_assessment(sid)
    qtbot.waitUntil(lambda: view.what_if._what_if is not None, timeout=10000)
    return view


def _typed(qtbot, spin, value: int) -> None:
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, str(value))
    qtbot.keyClick(spin, Qt.Key.Key_Tab)


def test_attendance_can_be_tried_and_agreed_as_a_cap(qtbot, window_for):
    window = window_for("officer")
    db = window.desk.db
    sid = db.execute("SELECT s.id FROM submissions s JOIN venues v ON v.id = s.venue_id WHERE "
                     "s.status = 'assessed' AND s.assessment_id IS NOT NULL AND "
                     "s.expected_attendance <= v.capacity ORDER BY s.id LIMIT 1").fetchone()[0]
    view = _ready(qtbot, window, sid)
    panel = view.what_if
    capacity = view.venue.capacity
    assert f"licensed for {capacity:,}" in panel.capacity_note.text()
    _typed(qtbot, panel.attendance, capacity + capacity // 2)
    titles = [c.title for c in panel.diff_model._objects]
    assert any("capacity" in t.lower() for t in titles), titles  # the over-capacity rule
    _typed(qtbot, panel.attendance, max(1, capacity // 2))
    assert panel.changes()["expected_attendance"] == max(1, capacity // 2)
    panel.agree.setFocus()
    qtbot.keyClick(panel.agree, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: view.sub.expected_attendance == max(1, capacity // 2),
                    timeout=5000)
    assert f"No more than {max(1, capacity // 2):,} people admitted, counted on entry." in \
        view.sub.conditions


def test_not_stated_is_shown_as_not_stated_and_is_no_change(qtbot, window_for):
    window = window_for("officer")
    db = window.desk.db
    sid = db.execute("SELECT id FROM submissions WHERE status = 'assessed' AND assessment_id IS "
                     "NOT NULL ORDER BY id LIMIT 1").fetchone()[0]
    db.execute("UPDATE submissions SET search_regime = NULL, door_supervisors = NULL "
               "WHERE id = ?", [sid])
    db.conn.commit()
    view = _ready(qtbot, window, sid)
    panel = view.what_if
    assert panel.search.currentText() == "Not stated"
    assert panel.door.text() == "Not stated"
    assert panel.changes() == {}  # nothing was tried, so nothing would be recorded
    assert not panel.agree.isEnabled()


def test_an_override_in_force_is_said_to_stand(qtbot, window_for):
    from tests.ui.conftest import sign_in

    window = window_for("officer")
    db = window.desk.db
    sid = db.execute("SELECT id FROM submissions WHERE status = 'in_review' AND assessment_id "
                     "IS NOT NULL ORDER BY id LIMIT 1").fetchone()[0]
    supervisor = sign_in(db, window.db_path, "supervisor")
    state = supervisor.assessment(sid)
    grade = Grade.CRITICAL if state.grade is not Grade.CRITICAL else Grade.HIGH
    supervisor.override(sid, state.version, grade, "Intelligence of planned disorder")
    view = _ready(qtbot, window, sid)
    assert view.what_if.override_note.isVisibleTo(view)
    assert grade.value in view.what_if.override_note.text()
    _typed(qtbot, view.what_if.door, 40)
    assert f"The override keeps it {grade.value}." in view.what_if.result_detail.text()
