"""Driving the app as a desk officer and a supervisor would."""

from datetime import timedelta

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QPushButton

from eventrisk import submissions
from eventrisk.model import SearchRegime, Status
from eventrisk.timeutil import now_utc, to_local
from ui.assessment_view import AssessmentView
from ui.queue_model import QueueModel
from ui.submission_form import SubmissionForm


def _fill(qtbot, form: SubmissionForm, venue_code: str) -> None:
    qtbot.keyClicks(form.event_name, "Harvest Gathering")
    qtbot.keyClicks(form.venue_code, venue_code)
    qtbot.keyClicks(form.promoter_name, "Lantern Events")
    day = to_local(now_utc() + timedelta(days=20)).date()
    form.day.setDate(QDate(day.year, day.month, day.day))
    qtbot.keyClicks(form.expected_attendance, "0")
    qtbot.keyClicks(form.door_supervisors, "1")
    form.search_regime.setCurrentIndex(form.search_regime.findData("none"))
    _state_entry_terms(qtbot, form)


def _state_entry_terms(qtbot, form: SubmissionForm) -> None:
    """What the promoter stated about entry: chosen deliberately, with the keyboard."""
    for combo, value in ((form.ticketing, "advance_only"), (form.alcohol, "true")):
        combo.setFocus()
        while combo.currentData() != value:
            qtbot.keyClick(combo, Qt.Key.Key_Down)
    qtbot.keyClicks(form.min_age, "18")


def test_entry_terms_the_promoter_did_not_give_are_saved_as_not_stated(qtbot, window_for,
                                                                       desk):
    """Not stated is a choice of its own: saved as such, scored as the worst case, said so."""
    from eventrisk.scoring.scorer import ASSUMED_NOTE

    db, _ = desk
    window = window_for("officer")
    code = db.execute("SELECT code FROM venues ORDER BY id LIMIT 1").fetchone()[0]
    form = window.new_submission()
    _fill(qtbot, form, code)
    form.expected_attendance.clear()
    qtbot.keyClicks(form.expected_attendance, "250")
    for combo in (form.ticketing, form.alcohol):
        combo.setFocus()
        while not combo.currentText().startswith("Not stated"):
            qtbot.keyClick(combo, Qt.Key.Key_Up)
    form.min_age_unstated.setFocus()
    qtbot.keyClick(form.min_age_unstated, Qt.Key.Key_Space)
    assert form.min_age.text() == "" and not form.min_age.isEnabled()
    assert form.save_button.isEnabled(), form.reason.text()
    with qtbot.waitSignal(form.saved) as saved:
        qtbot.keyClick(form.save_button, Qt.Key.Key_Space)
    sub = submissions.get(db, saved.args[0])
    assert (sub.ticketing, sub.min_age, sub.alcohol) == (None, None, None)
    view = window.tabs.currentWidget()
    assumed = [f for f in view.fired_model._objects if f.evidence.endswith(ASSUMED_NOTE)]
    assert {f.id for f in assumed} == {"door-only-tickets", "under-18-alcohol"}
    qtbot.waitUntil(lambda: view.what_if._what_if is not None, timeout=10000)
    assert view.what_if.min_age.text() == "Not stated"
    assert view.what_if.ticketing.currentText() == "Not stated"
    assert view.what_if.changes() == {}
    edit = SubmissionForm(window.desk, view.sub, view)  # editing shows it as it was saved
    qtbot.addWidget(edit)
    assert edit.min_age_unstated.isChecked()
    assert edit.ticketing.currentText().startswith("Not stated")
    assert edit.alcohol.currentText().startswith("Not stated")
    edit._dirty = False
    edit.close()


def test_entry_terms_start_empty_and_must_be_stated(qtbot, window_for):
    """A pre-set "18" and "alcohol: yes" were saved without anyone choosing them."""
    window = window_for("officer")
    form = window.new_submission()
    assert form.ticketing.currentData() == "" and form.alcohol.currentData() == ""
    assert form.min_age.text() == ""
    form.validate()
    for name in ("ticketing", "min_age", "alcohol"):
        assert form.errors[name].isVisibleTo(form), name
    assert form.errors["ticketing"].text() == ("Choose how the promoter sells tickets, or Not "
                                               "stated")
    assert not form.save_button.isEnabled()
    _state_entry_terms(qtbot, form)
    form.validate()
    assert not any(form.errors[n].isVisibleTo(form) for n in ("ticketing", "min_age", "alcohol"))
    form._dirty = False
    form.close()


def test_enter_a_submission_fix_the_error_and_save(qtbot, window_for, desk):
    db, _ = desk
    window = window_for("officer")
    code = db.execute("SELECT code FROM venues ORDER BY id LIMIT 1").fetchone()[0]
    form = window.new_submission()
    _fill(qtbot, form, code)
    assert not form.save_button.isEnabled()
    assert "Expected attendance must be a whole number above 0" in \
        form.errors["expected_attendance"].text()
    assert form.reason.text().startswith("Cannot save yet")
    form.expected_attendance.clear()
    qtbot.keyClicks(form.expected_attendance, "250")
    assert form.save_button.isEnabled(), form.reason.text()
    with qtbot.waitSignal(form.saved) as saved:
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    sub = submissions.get(db, saved.args[0])
    assert sub.event_name == "Harvest Gathering" and sub.status is Status.ASSESSED  # scored
    view = window.tabs.currentWidget()
    assert isinstance(view, AssessmentView) and view.badge.text() in (
        "LOW", "MEDIUM", "HIGH", "CRITICAL")
    assert any(f.id == "door-shortfall" for f in view.fired_model._objects)


def test_end_before_start_explains_finishes_next_day(qtbot, window_for):
    window = window_for("officer")
    form = window.new_submission()
    form.next_day.setChecked(False)
    assert "Finishes next day" in form.errors["end"].text()
    form.next_day.setChecked(True)
    assert form.errors["end"].text() == ""


def _open_first(window, status: str) -> AssessmentView:
    db = window.desk.db
    sid = db.execute("SELECT id FROM submissions WHERE status = ? AND assessment_id IS NOT NULL"
                     " ORDER BY starts_at LIMIT 1", [status]).fetchone()[0]
    return window.open_assessment(sid)


def test_a_what_if_lowers_the_grade(qtbot, window_for, desk):
    db, _ = desk
    window = window_for("officer")
    sid = db.execute("SELECT id FROM submissions WHERE assessment_id IS NOT NULL AND score > 20 "
                     "AND status = 'assessed' ORDER BY score DESC").fetchone()[0]
    view = window.open_assessment(sid)
    panel = view.what_if
    assert not panel.isEnabled() and "Reading" in panel.result_detail.text()  # not blocking
    qtbot.waitUntil(lambda: panel._what_if is not None, timeout=10000)
    before = view.what_if._what_if.base.score
    panel.door.setValue(panel.door.value() + 30)
    panel.search.setCurrentIndex(panel.search.findData(SearchRegime.SEARCH_ARCH.value))
    for box in panel.checks.values():
        box.setChecked(True)
    proposed = panel._what_if.try_measures(panel.changes()).proposed
    assert proposed.score < before
    assert panel.result.text() == proposed.grade.value
    assert panel.diff_model.rowCount() >= 1
    assert submissions.get(db, sid).door_supervisors != panel.door.value()  # nothing saved
    qtbot.mouseClick(panel.agree, Qt.MouseButton.LeftButton)
    saved = submissions.get(db, sid)
    assert saved.door_supervisors == panel.door.value() and saved.conditions


def test_an_officer_cannot_approve(qtbot, window_for, desk, messages):
    import pytest

    from eventrisk.errors import PermissionDenied

    window = window_for("officer")
    view = _open_first(window, "in_review")
    assert not view.buttons["approve"].isVisible()
    assert not view.buttons["override"].isVisible()
    with pytest.raises(PermissionDenied, match="may not approve"):
        window.desk.approve(view.submission_id, view.state.version)


def test_a_supervisor_approves(qtbot, window_for, desk):
    window = window_for("supervisor")
    view = _open_first(window, "in_review")
    approve: QPushButton = view.buttons["approve"]
    assert approve.isVisible()
    qtbot.mouseClick(approve, Qt.MouseButton.LeftButton)
    assert submissions.get(window.desk.db, view.submission_id).status is Status.APPROVED
    assert "Approved by Sam Patel" in view.decision.text()
    assert not view.buttons["approve"].isVisible()


def test_override_needs_a_justification(qtbot, window_for, monkeypatch, messages):
    from ui import assessment_view

    window = window_for("supervisor")
    view = _open_first(window, "in_review")
    new = "LOW" if view.badge.text() != "LOW" else "CRITICAL"

    def fake_exec(dialog):
        ok = dialog.buttons.button(dialog.buttons.StandardButton.Ok)
        assert not ok.isEnabled()  # empty justification: cannot confirm
        assert dialog.grade_box.findData(view.badge.text()) == -1  # not the grade in force
        dialog.reason.setPlainText("Intelligence of planned disorder")
        assert not ok.isEnabled()  # no new grade chosen yet
        dialog.grade_box.setCurrentIndex(dialog.grade_box.findData(new))
        assert ok.isEnabled()
        return 1

    monkeypatch.setattr(assessment_view.ReasonDialog, "exec", fake_exec)
    qtbot.mouseClick(view.buttons["override"], Qt.MouseButton.LeftButton)
    assert messages == []
    assert view.badge.text() == new
    assert "Intelligence of planned disorder" in view.decision.text()


def test_filter_the_queue(qtbot, window_for):
    window = window_for("officer")
    q = window.queue
    total = q.model.total
    grade = next(q.model.row_object(i).grade for i in range(q.model.rowCount())
                 if q.model.row_object(i).grade)
    q.grade.setCurrentIndex(q.grade.findData(grade.value))
    rows = [q.model.row_object(i) for i in range(q.model.rowCount())]
    assert rows and all(r.grade is grade for r in rows) and q.model.total < total
    q.grade.setCurrentIndex(0)
    assert q.model.total == total
    target = q.model.row_object(3)
    qtbot.keyClicks(q.search, target.reference)
    qtbot.waitUntil(lambda: q.model.total == 1, timeout=3000)  # debounced, then FTS in SQL
    assert q.model.row_object(0).reference == target.reference
    q.search.clear()
    q.borough.setCurrentIndex(q.borough.findData(target.borough))
    qtbot.waitUntil(lambda: all(q.model.row_object(i).borough == target.borough
                                for i in range(q.model.rowCount())), timeout=3000)
    assert q.model.total >= 1


def test_enter_opens_the_selected_assessment(qtbot, window_for):
    window = window_for("officer")
    table = window.queue.table
    table.setFocus()
    table.selectRow(0)
    expected = window.queue.model.row_object(0).id
    with qtbot.waitSignal(window.queue.open_requested) as opened:
        qtbot.keyClick(table, Qt.Key.Key_Return)
    assert opened.args == [expected]


def test_sorting_by_a_heading_is_done_in_sql(qtbot, window_for):
    window = window_for("officer")
    header = window.queue.table.horizontalHeader()
    header.setSortIndicator(QueueModel.COL_SCORE, Qt.SortOrder.DescendingOrder)
    header.sectionClicked.emit(QueueModel.COL_SCORE)
    scores = [window.queue.model.row_object(i).score for i in range(window.queue.model.rowCount())]
    numeric = [s for s in scores if s is not None]
    assert numeric == sorted(numeric, reverse=True)


def test_the_form_can_be_completed_from_the_keyboard_in_order(qtbot, window_for):
    window = window_for("officer")
    form = window.new_submission()
    order, widget = [], form.event_name
    for _ in range(1000):
        name = widget.objectName()
        if (widget.focusPolicy() & Qt.FocusPolicy.TabFocus and widget.isVisibleTo(form)
                and widget.isEnabled() and name and not name.startswith("qt_")):
            order.append(name)
        widget = widget.nextInFocusChain()
        if widget is form.event_name:
            break
    assert order[:27] == [
        "event_name", "event_type", "received_at", "venue_code", "newVenue", "promoter_name",
        "promoter_company", "promoter_phone", "promoter_email", "night_contact", "day", "start_time", "end_time",
        "next_day", "expected_attendance", "ticketing", "min_age", "min_age_not_stated",
        "alcohol", "id_scanning",
        "door_supervisors", "search_regime", "cctv", "dispersal_plan", "medical_cover",
        "performers", "notes"]
    form._dirty = False
    form.close()


def test_a_supervisor_returns_with_a_comment(qtbot, window_for, monkeypatch):
    from ui import assessment_view

    window = window_for("supervisor")
    view = _open_first(window, "in_review")

    def fake_exec(dialog):
        assert dialog.windowTitle() == "Return to the officer"
        dialog.reason.setPlainText("Confirm the door team with the promoter")
        return 1

    monkeypatch.setattr(assessment_view.ReasonDialog, "exec", fake_exec)
    qtbot.mouseClick(view.buttons["return"], Qt.MouseButton.LeftButton)
    assert submissions.get(window.desk.db, view.submission_id).status is Status.RETURNED
    assert "Returned by Sam Patel" in view.decision.text()
    assert "Confirm the door team" in view.decision.text()


def test_editing_what_was_graded_on_an_approved_event_asks_first(qtbot, window_for,
                                                                 monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    from tests.ui.conftest import sign_in

    window = window_for("officer")
    view = _open_first(window, "in_review")
    sign_in(window.desk.db, window.desk.path, "supervisor").approve(view.submission_id,
                                                                     view.state.version)
    view.reload()
    asked = []

    def answer(parent, title, text, *a, **k):
        asked.append(text)
        return ("", False) if len(asked) == 1 else ("Promoter now expects more", True)

    monkeypatch.setattr(QInputDialog, "getText", staticmethod(answer))
    form = SubmissionForm(window.desk, view.sub, view)
    qtbot.addWidget(form)
    form.expected_attendance.clear()
    qtbot.keyClicks(form.expected_attendance, str(view.sub.expected_attendance + 1))
    assert not form.save()  # cancelled at the question: nothing saved
    assert "approval will be withdrawn" in asked[0]
    assert submissions.get(window.desk.db, view.submission_id).status is Status.APPROVED
    assert form.save()
    view.reload()
    assert view.sub.status is Status.ASSESSED
    assert "withdraw" in [view.audit_model.object_at(i).action.split(".")[-1]
                          for i in range(view.audit_model.rowCount())]


def test_a_returned_assessment_is_resubmitted_after_confirming(qtbot, window_for,
                                                                monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    from tests.ui.conftest import sign_in

    window = window_for("officer")
    view = _open_first(window, "in_review")
    sign_in(window.desk.db, window.desk.path, "supervisor").return_to_officer(
        view.submission_id, view.state.version, "Confirm the door team")
    view.reload()
    assert view.sub.status is Status.RETURNED
    assert view.buttons["submit_for_review"].isVisible()
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(
        lambda *a, **k: ("Door team confirmed by phone", True)))
    qtbot.mouseClick(view.buttons["submit_for_review"], Qt.MouseButton.LeftButton)
    assert view.sub.status is Status.IN_REVIEW


def test_four_eyes_is_explained_to_the_supervisor_who_captured(qtbot, window_for, desk):
    from dataclasses import replace

    window = window_for("supervisor")
    view = _open_first(window, "in_review")
    assert view.buttons["approve"].isVisible() and not view.four_eyes.isVisible()
    window.desk.save_submission(replace(view.sub, notes="Spoke to the venue"))
    view.reload()
    assert not view.buttons["approve"].isVisible()
    assert not view.buttons["override"].isVisible()
    assert view.four_eyes.isVisibleTo(view) and "another supervisor" in view.four_eyes.text()
    assert view.buttons["return"].isVisible()


def test_the_form_offers_to_open_the_event_already_on_the_desk(qtbot, window_for, monkeypatch,
                                                               messages):
    from PySide6.QtWidgets import QMessageBox

    window = window_for("officer")
    existing = window.desk.assessment(window.queue.model.row_object(0).id).submission
    form = SubmissionForm(window.desk, None, window)
    qtbot.addWidget(form)
    form._load(existing)
    form.original = None  # a new submission with the same venue, start and name
    form.reference = None
    chosen = {}

    def choose(box):
        chosen["text"] = box.text()
        chosen["buttons"] = [b.text() for b in box.buttons()]
        box.clickedButton = lambda: box.buttons()[0]  # "Open ER-..."
        return 0

    monkeypatch.setattr(QMessageBox, "exec", choose)
    with qtbot.waitSignal(form.open_existing) as opened:
        assert not form.save()
    assert opened.args == [existing.reference]
    assert f"Open {existing.reference}" in chosen["buttons"] and "Save anyway" in \
        chosen["buttons"]
    assert "already on the desk" in chosen["text"]


def _wheel(widget, notches: int) -> None:
    from PySide6.QtCore import QPoint, QPointF
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    centre = QPointF(widget.width() / 2, widget.height() / 2)
    for _ in range(abs(notches)):
        event = QWheelEvent(centre, widget.mapToGlobal(centre), QPoint(0, 0),
                            QPoint(0, -120 if notches > 0 else 120),
                            Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                            Qt.ScrollPhase.NoScrollPhase, False)
        QApplication.sendEvent(widget, event)


def test_the_wheel_scrolls_the_form_not_the_values_under_the_pointer(qtbot, window_for):
    window = window_for("officer")
    form = window.new_submission()
    # A Wednesday: the first section is the day's name, which does not step below Monday, so
    # a date fourteen days from a Monday would not move whatever the wheel did.
    from PySide6.QtCore import QDate
    form.day.setDate(QDate(2027, 3, 17))
    form.event_name.setFocus()
    day, ticketing = form.day.date(), form.ticketing.currentIndex()
    _wheel(form.day, 12)
    _wheel(form.ticketing, 3)
    assert form.day.date() == day and form.ticketing.currentIndex() == ticketing
    form.day.setFocus()  # a field the officer is in does take the wheel
    qtbot.waitUntil(form.day.hasFocus, timeout=2000)
    _wheel(form.day, 1)
    assert form.day.date() != day
    form._dirty = False
    form.close()


def test_reason_dialogs_let_the_keyboard_out(qtbot):
    from ui.assessment_view import ReasonDialog

    dialog = ReasonDialog("Return to the officer", "Comment for the officer")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.reason.setFocus()
    qtbot.waitUntil(dialog.reason.hasFocus, timeout=2000)
    qtbot.keyClicks(dialog.reason, "Check the door team")
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Tab)
    assert "\t" not in dialog.reason.toPlainText() and not dialog.reason.hasFocus()
    dialog.reason.setFocus()
    qtbot.waitUntil(dialog.reason.hasFocus, timeout=2000)
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        qtbot.keyClick(dialog.reason, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert dialog.text() == "Check the door team"


def test_enter_opens_the_selected_row_in_every_list(qtbot, window_for):
    import gc

    window = window_for("supervisor")
    # A HIGH event tomorrow, so the dashboard's list has a row whatever today's date is.
    db = window.desk.db
    db.execute("UPDATE submissions SET starts_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', "
               "'+1 day'), ends_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '+1 day', "
               "'+4 hours'), grade = 'HIGH', grade_rank = 2 WHERE id = (SELECT max(id) FROM "
               "submissions WHERE assessment_id IS NOT NULL AND status != 'cancelled')")
    db.conn.commit()
    window.dashboard.refresh()
    gc.collect()  # the key handlers must outlive Python's garbage collection
    for view, signal in ((window.venues.view, window.venues.open_requested),
                         (window.dashboard.findChild(type(window.venues.view), "dash_high_risk"),
                          window.dashboard.open_requested)):
        view.setFocus()
        view.selectRow(0)
        with qtbot.waitSignal(signal, timeout=2000) as opened:
            qtbot.keyClick(view, Qt.Key.Key_Return)
        assert opened.args[0] == view.model().object_at(0).id
    venue = window.open_venue(window.venues.view.model().object_at(0).id)
    venue.event_view.selectRow(0)
    with qtbot.waitSignal(venue.open_requested, timeout=2000):
        qtbot.keyClick(venue.event_view, Qt.Key.Key_Enter)


def test_alt_keys_are_unique_and_ctrl_p_prints_the_assessment_in_front(qtbot, window_for,
                                                                       monkeypatch):
    import re

    from ui import assessment_view, main_window

    window = window_for("supervisor")
    view = _open_first(window, "in_review")
    keys = [re.search(r"&(\w)", a.text())[1].lower() for a in window.menuBar().actions()]
    keys += [re.search(r"&(\w)", b.text())[1].lower() for b in view.buttons.values()
             if "&" in b.text()]
    assert len(keys) == len(set(keys)), sorted(keys)
    assert all("&" in b.text() for b in view.buttons.values())  # every action has its key
    shown = []
    monkeypatch.setattr(assessment_view.PdfPreview, "exec", lambda self: shown.append("preview"))
    monkeypatch.setattr(main_window.PackDialog, "exec", lambda self: shown.append("pack") or 0)
    window.activateWindow()  # shortcuts go to the active window
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    view.fired.setFocus()
    qtbot.keyClick(view.fired, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert shown == ["preview"]
    window.tabs.setCurrentIndex(0)
    window.queue.table.setFocus()
    qtbot.keyClick(window.queue.table, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert shown == ["preview", "pack"]


def test_from_the_search_box_down_or_enter_goes_to_the_results(qtbot, window_for):
    window = window_for("officer")
    q = window.queue
    target = q.model.row_object(2)
    q.search.setFocus()
    qtbot.keyClicks(q.search, target.reference)
    qtbot.keyClick(q.search, Qt.Key.Key_Down)  # at once, not after the search's pause
    assert q.table.hasFocus() or q.table.currentIndex().isValid()
    assert q.model.total == 1 and q.table.currentIndex().row() == 0
    assert q.summary.text().startswith("1 event matches.")
    with qtbot.waitSignal(q.open_requested) as opened:
        qtbot.keyClick(q.table, Qt.Key.Key_Return)
    assert opened.args == [target.id]
    from ui.main_window import FIXED_TABS

    assert window.tabs.count() == FIXED_TABS + 1
    assert window.tabs.currentWidget().submission_id == target.id
    window.close_current_tab()  # Ctrl+W
    assert window.tabs.count() == FIXED_TABS
    window.close_current_tab()  # the fixed tabs stay
    assert window.tabs.count() == FIXED_TABS


def test_cancelled_events_are_in_the_queue_only_when_asked_for(qtbot, window_for):
    window = window_for("officer")
    q = window.queue
    q.include_past.setChecked(True)
    assert all(q.model.row_object(i).status.value != "cancelled"
               for i in range(q.model.rowCount()))
    q.status.set_statuses(("cancelled",))
    assert q.model.total > 0 and all(q.model.row_object(i).status.value == "cancelled"
                                     for i in range(q.model.rowCount()))


def test_the_history_panel_reads_as_words(qtbot, window_for):
    from ui.assessment_view import history_text

    assert history_text("submission.edit", {"door_supervisors": ["4", "6"], "scoring": []},
                        "") == "door supervisors: 4 → 6"
    assert history_text("submission.override", {"from": "in_review", "to": "approved",
                                                "grade_before": "HIGH", "grade_after": "LOW"},
                        "Checked with the borough") == \
        "in review → approved; grade HIGH → LOW; “Checked with the borough”"
    assert history_text("assessment.snapshot", {"grade": "MEDIUM", "score": 31}, "") == \
        "MEDIUM (score 31)"
    window = window_for("officer")
    view = _open_first(window, "in_review")
    texts = [view.audit_model.data(view.audit_model.index(i, 3))
             for i in range(view.audit_model.rowCount())]
    assert texts and not any("[" in t or "{" in t for t in texts)  # no Python reprs
    assert any("(score" in t for t in texts)  # each grade the event had is shown


def test_a_known_promoters_details_come_with_the_name(qtbot, window_for, desk):
    db, _ = desk
    name, company, phone = db.execute("SELECT name, company, phone FROM promoters WHERE phone "
                                      "!= '' LIMIT 1").fetchone()
    window = window_for("officer")
    form = window.new_submission()
    form.promoter_name.setFocus()
    qtbot.waitUntil(form.promoter_name.hasFocus, timeout=2000)
    qtbot.keyClicks(form.promoter_name, name)
    assert form.promoter_company.text() == company and form.promoter_phone.text() == phone
    qtbot.keyClicks(form.promoter_name, "0 New")  # now a promoter the desk does not know
    assert form.promoter_company.text() == "" and form.promoter_phone.text() == ""
    form.promoter_name.clear()
    qtbot.keyClicks(form.promoter_name, name)
    form.promoter_phone.clear()
    qtbot.keyClicks(form.promoter_phone, "07111 222333")  # the officer's correction stays
    qtbot.keyClicks(form.promoter_name, "!")
    assert form.promoter_phone.text() == "07111 222333"
    form._dirty = False
    form.close()


def test_saving_new_details_for_a_known_promoter_says_so_first(qtbot, window_for, messages):
    window = window_for("officer")
    existing = window.desk.assessment(window.queue.model.row_object(0).id).submission
    form = SubmissionForm(window.desk, None, window)
    qtbot.addWidget(form)
    form._load(existing)
    form.original = None
    form.event_name.setText("A New Night")  # not a duplicate
    form.promoter_phone.setText("07999 000111")
    assert form.save()
    assert any("details on the desk differ" in m and "07999 000111" in m for m in messages)
    assert window.desk.promoter_named(existing.promoter_name).phone == "07999 000111"


def test_attendance_over_the_venues_capacity_is_warned_beside_the_field(qtbot, window_for,
                                                                        desk):
    db, _ = desk
    code, capacity = db.execute("SELECT code, capacity FROM venues ORDER BY id LIMIT 1"
                                ).fetchone()
    window = window_for("officer")
    form = window.new_submission()
    _fill(qtbot, form, code)
    form.expected_attendance.clear()
    qtbot.keyClicks(form.expected_attendance, str(capacity + 50))
    warning = form.errors["expected_attendance"]
    assert warning.isVisibleTo(form) and "over the licensed capacity" in warning.text()
    assert form.save_button.isEnabled()  # a warning, not a refusal
    form.expected_attendance.clear()
    qtbot.keyClicks(form.expected_attendance, str(capacity - 10))
    assert not warning.isVisibleTo(form)
    form._dirty = False
    form.close()


def test_an_approved_event_sends_its_letter_to_the_promoter(qtbot, window_for, tmp_path,
                                                           monkeypatch, messages):
    from ui import assessment_view

    window = window_for("officer")
    view = _open_first(window, "approved")
    assert view.buttons["letter"].isVisible()
    target = tmp_path / "letter.pdf"
    monkeypatch.setattr(assessment_view, "save_pdf",
                        lambda parent, pdf, name, memory=None: target.write_bytes(pdf)
                        or str(target))
    qtbot.mouseClick(view.buttons["letter"], Qt.MouseButton.LeftButton)
    assert target.read_bytes().startswith(b"%PDF")
    assert any("recorded it as sent" in m for m in messages)
    sent = window.desk.db.execute("SELECT count(*) FROM audit_log WHERE action = "
                                  "'letter.issue'").fetchone()[0]
    assert sent == 1
    other = _open_first(window, "in_review")
    assert not other.buttons["letter"].isVisible()  # not approved: no letter yet


def test_scrolling_the_queue_seeks_from_the_last_row(qtbot, window_for, monkeypatch):
    window = window_for("supervisor")
    model = window.queue.model
    asked = []
    real = window.desk.queue_page

    def spy(flt, **kw):
        asked.append(kw)
        return real(flt, **kw)
    monkeypatch.setattr(window.desk, "queue_page", spy)
    model.PAGE = 3
    model.reload()
    first = [model.object_at(i).id for i in range(model.rowCount())]
    model.fetchMore()
    assert asked[-1]["after"] == model.object_at(2).key and asked[-1]["offset"] == 0
    assert [model.object_at(i).id for i in range(3)] == first
    assert len({model.object_at(i).id for i in range(model.rowCount())}) == model.rowCount()


def test_the_assessment_names_who_changed_a_scoring_input_since_the_last_approval(
        qtbot, window_for, desk):
    """Issue 31 row 2 on screen: the supervisor changed a scoring input, the officer edited
    only the notes and resubmitted; the supervisor's view names them and offers no approval."""
    from dataclasses import replace

    from tests.ui.conftest import sign_in

    window = window_for("supervisor")
    view = _open_first(window, "in_review")
    state = view.state
    window.desk.save_submission(
        replace(view.sub, expected_attendance=view.sub.expected_attendance + 50,
                version=state.version), withdraw_reason="The venue rang")
    officer = sign_in(window.desk.db, window.desk.path, "officer")
    noted = officer.save_submission(replace(officer.assessment(view.submission_id).submission,
                                            notes="Checked with the promoter"))
    officer.submit_for_review(view.submission_id, noted.version)
    view.reload()
    me = window.desk.user.display_name
    assert f"scoring inputs changed since the last approval by {me}" in view.subtitle.text()
    assert not view.buttons["approve"].isVisible()
    assert view.four_eyes.isVisibleTo(view) and "scoring input" in view.four_eyes.text()
