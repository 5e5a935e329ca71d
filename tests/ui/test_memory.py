"""Each person's queue and folders are as they left them, on a workstation a shift shares."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from ui.queue_model import QueueModel


def _choose(qtbot, combo, data):
    """Pick an entry with the keyboard, as a person would."""
    combo.setFocus()
    target = combo.findData(data)
    assert target >= 0
    while combo.currentIndex() != target:
        qtbot.keyClick(combo, Qt.Key.Key_Down if combo.currentIndex() < target else Qt.Key.Key_Up)


def _tick(qtbot, status_filter, values) -> None:
    """Open the status menu and tick each status with Down and Space, as a person would."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    def in_menu():
        menu = QApplication.activePopupWidget()
        if menu is None:
            QTimer.singleShot(20, in_menu)
            return
        for _ in range(len(menu.actions()) + 2):
            action = menu.activeAction()
            if action is not None and action.isCheckable() and \
                    action.text() in {status_filter.ticks[v].text() for v in values} and \
                    not action.isChecked():
                qtbot.keyClick(menu, Qt.Key.Key_Space)
            qtbot.keyClick(menu, Qt.Key.Key_Down)
        qtbot.keyClick(menu, Qt.Key.Key_Escape)
    QTimer.singleShot(0, in_menu)
    status_filter.setFocus()
    qtbot.keyClick(status_filter, Qt.Key.Key_Space)  # opens the menu (its loop runs in_menu)


def test_the_queue_comes_back_as_its_user_left_it(qtbot, window_for):
    window = window_for("supervisor")
    q = window.queue
    group = ("received", "assessed", "returned")  # ticked in the menu, with the keyboard
    _tick(qtbot, q.status, group)
    busiest = window.desk.db.execute(
        "SELECT v.borough FROM submissions s JOIN venues v ON v.id = s.venue_id WHERE s.status "
        "IN ('received', 'assessed', 'returned') GROUP BY v.borough ORDER BY count(*) DESC "
        "LIMIT 1").fetchone()[0]
    _choose(qtbot, q.borough, busiest)
    qtbot.mouseClick(q.include_past, Qt.MouseButton.LeftButton)
    header = q.table.horizontalHeader()
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                     pos=_centre(header, QueueModel.COL_VENUE))  # sort by venue
    header.resizeSection(QueueModel.COL_EVENT, 333)
    statuses = {q.model.row_object(i).status.value for i in range(q.model.rowCount())}
    assert statuses and statuses <= {"received", "assessed", "returned"}
    window.close()

    again = window_for("supervisor").queue
    assert again.status.statuses() == group and again.borough.currentData() == busiest
    assert again.include_past.isChecked()
    assert again.table.horizontalHeader().sectionSize(QueueModel.COL_EVENT) == 333
    assert again.table.horizontalHeader().sortIndicatorSection() == QueueModel.COL_VENUE
    venues = [again.model.row_object(i).venue_name for i in range(again.model.rowCount())]
    assert venues == sorted(venues, key=str.casefold) or venues == sorted(venues)
    assert {again.model.row_object(i).status.value
            for i in range(again.model.rowCount())} <= {"received", "assessed", "returned"}

    other = window_for("officer").queue  # another person at the same workstation
    assert other.status.statuses() == () and other.borough.currentIndex() == 0
    assert not other.include_past.isChecked()
    assert other.table.horizontalHeader().sortIndicatorSection() == -1


def _centre(header, section):
    from PySide6.QtCore import QPoint

    x = header.sectionViewportPosition(section) + header.sectionSize(section) // 2
    return QPoint(x, header.height() // 2)


def test_file_dialogs_start_where_this_person_last_saved(qtbot, window_for, monkeypatch,
                                                         tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    starts = []

    def save(parent, title, start, filters):
        starts.append(start)
        return str(folder / "venues.csv"), ""
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(save))
    from PySide6.QtWidgets import QInputDialog
    answers = iter([("venues", True), ("Everything (for use on the desk)", True)] * 3)
    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(lambda *a, **k: next(answers)))
    window = window_for("officer")
    window.export_file()
    qtbot.waitUntil(lambda: "Exported" in window.statusBar().currentMessage(), timeout=10000)
    assert Path(starts[0]).parent == Path.home()  # never the folder the app was started in
    window.export_file()
    qtbot.waitUntil(lambda: len(starts) == 2)
    assert Path(starts[1]).parent == folder
    other = window_for("supervisor")
    other.export_file()
    assert Path(starts[2]).parent == Path.home()  # another person's folders are their own


def test_the_queue_exports_and_prints_what_is_on_screen(qtbot, window_for, monkeypatch,
                                                        tmp_path):
    import csv
    import io

    from pypdf import PdfReader

    from ui import queue_view

    window = window_for("supervisor")
    q = window.queue
    grade = next(q.model.row_object(i).grade.value for i in range(q.model.rowCount())
                 if q.model.row_object(i).grade is not None)
    _choose(qtbot, q.grade, grade)
    target = tmp_path / "queue.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(target), "")))
    qtbot.mouseClick(q.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: q.summary.text().startswith("Exported"), timeout=10000)
    rows = list(csv.reader(io.StringIO(target.read_text("utf-8"))))[1:]
    assert rows and {r[5] for r in rows} == {grade}
    assert [r[0] for r in rows] == [q.model.row_object(i).reference
                                    for i in range(q.model.rowCount())]
    printed = []
    monkeypatch.setattr(queue_view.PdfPreview, "exec", lambda self: printed.append(self.pdf))
    q.print_button.setFocus()
    qtbot.keyClick(q.print_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: bool(printed), timeout=10000)  # laid out in the background
    text = " ".join(PdfReader(io.BytesIO(printed[0])).pages[0].extract_text().split())
    assert "OFFICIAL-SENSITIVE" in text and f"grade {grade}" in text and rows[0][0] in text


def test_grade_sorts_the_most_serious_first_then_turns_round(qtbot, window_for):
    window = window_for("supervisor")
    q = window.queue
    header = q.table.horizontalHeader()
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                     pos=_centre(header, QueueModel.COL_GRADE))
    ranks = {"CRITICAL": 3, "HIGH": 2, "MEDIUM": 1, "LOW": 0}
    first = [q.model.row_object(i).grade for i in range(q.model.rowCount())]
    scored = [ranks[g.value] for g in first if g is not None]
    assert scored == sorted(scored, reverse=True) and scored[0] == max(scored)
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                     pos=_centre(header, QueueModel.COL_GRADE))
    again = [ranks[g.value] for g in (q.model.row_object(i).grade
                                      for i in range(q.model.rowCount())) if g is not None]
    assert again == sorted(again) and again[0] == min(again)


def test_open_records_come_back_for_a_person_who_asks(qtbot, window_for):
    from ui.main_window import FIXED_TABS

    window = window_for("officer")
    db = window.desk.db
    sid = db.execute("SELECT id FROM submissions WHERE assessment_id IS NOT NULL LIMIT 1"
                     ).fetchone()[0]
    window.open_assessment(sid)
    window.close()
    again = window_for("officer")  # did not ask: nothing reopens
    assert again.tabs.count() == FIXED_TABS
    again.reopen_action.trigger()  # View → Reopen my tabs next time
    assert again.reopen_action.isChecked()
    view = again.open_assessment(sid)
    again.open_venue(view.venue.id)
    again.close()
    third = window_for("officer")
    keys = [getattr(third.tabs.widget(i), "tab_key", None)
            for i in range(FIXED_TABS, third.tabs.count())]
    assert keys == [("assessment", sid), ("venue", view.venue.id)]
    assert third.tabs.currentIndex() == 0  # the queue in front, the records behind
    other = window_for("supervisor")  # another person's tabs are their own
    assert other.tabs.count() == FIXED_TABS and not other.reopen_action.isChecked()


def test_any_set_of_statuses_can_be_ticked(qtbot, window_for):
    window = window_for("supervisor")
    q = window.queue
    _tick(qtbot, q.status, ("in_review", "returned"))
    assert set(q.status.statuses()) == {"in_review", "returned"}
    assert q.status.text() == "2 statuses"
    shown = {q.model.row_object(i).status.value for i in range(q.model.rowCount())}
    assert shown == {"in_review", "returned"}
    q.status.set_statuses(())
    assert q.status.text() == "Any status" and "cancelled" not in {
        q.model.row_object(i).status.value for i in range(q.model.rowCount())}
