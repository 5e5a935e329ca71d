"""Dates and times typed in one go (issue 12): 19/12/2026 and 23:00 mean what they say."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import QDate, Qt, QTime

from ui.datetime_fields import parse_date, parse_time

TODAY = date(2026, 12, 1)


@pytest.mark.parametrize("typed, meant", [
    ("19/12/2026", (2026, 12, 19)), ("19/12/26", (2026, 12, 19)), ("19-12-2026", (2026, 12, 19)),
    ("19.12.2026", (2026, 12, 19)), ("2026-12-19", (2026, 12, 19)),
    ("Sat 19/12/2026", (2026, 12, 19)), ("19 12 2026", (2026, 12, 19)),
    ("19/12", (2026, 12, 19)), ("5/1", (2027, 1, 5)),  # no year: the next one from today
    ("1/12", (2026, 12, 1)),
    ("31/02/2026", None), ("19/13/2026", None), ("tomorrow", None), ("", None),
], ids=lambda v: str(v))
def test_dates_typed_every_usual_way(typed, meant):
    got = parse_date(typed, TODAY)
    assert (got.toPython().timetuple()[:3] if got.isValid() else None) == meant


@pytest.mark.parametrize("typed, meant", [
    ("23:00", (23, 0)), ("2300", (23, 0)), ("23.00", (23, 0)), ("9:30", (9, 30)), ("9", (9, 0)),
    ("11pm", (23, 0)), ("11 pm", (23, 0)), ("12am", (0, 0)), ("12pm", (12, 0)),
    ("3:30am", (3, 30)), ("24:00", None), ("25", None), ("7:75", None), ("13pm", None),
    ("noon", None),
], ids=lambda v: str(v))
def test_times_typed_every_usual_way(typed, meant):
    got = parse_time(typed)
    assert ((got.hour(), got.minute()) if got.isValid() else None) == meant


def _enter(qtbot, field):
    """Click into a field, as an officer would (and let the selection settle)."""
    field.window().activateWindow()
    qtbot.mouseClick(field, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(field.hasFocus, timeout=2000)
    qtbot.waitUntil(lambda: field.selectedText() == field.text(), timeout=2000)


def test_the_form_takes_a_whole_date_and_time_typed_in_one_go(qtbot, window_for):
    window = window_for("officer")
    form = window.new_submission()
    _enter(qtbot, form.day)
    qtbot.keyClicks(form.day, "19/12/2026")  # replaces what was there: it was all selected
    qtbot.keyClick(form.day, Qt.Key.Key_Tab)
    assert form.day.date() == QDate(2026, 12, 19) and form.day.text() == "Sat 19/12/2026"
    assert form.start_time.hasFocus()
    qtbot.keyClicks(form.start_time, "2330")
    qtbot.keyClick(form.start_time, Qt.Key.Key_Tab)
    assert form.end_time.hasFocus()
    qtbot.keyClicks(form.end_time, "3.30am")
    qtbot.keyClick(form.end_time, Qt.Key.Key_Tab)
    assert (form.start_time.time(), form.end_time.time()) == (QTime(23, 30), QTime(3, 30))
    form.next_day.setChecked(True)
    raw = form.raw()
    assert raw["start"] == "2026-12-19T23:30" and raw["end"] == "2026-12-20T03:30"
    _enter(qtbot, form.day)
    qtbot.keyClick(form.day, Qt.Key.Key_Up)  # a day later
    assert form.day.date() == QDate(2026, 12, 20)
    form._dirty = False
    form.close()


def test_a_date_that_is_not_one_is_named_beside_the_field(qtbot, window_for):
    window = window_for("officer")
    form = window.new_submission()
    _enter(qtbot, form.day)
    qtbot.keyClicks(form.day, "32/13/2026")
    qtbot.keyClick(form.day, Qt.Key.Key_Tab)
    form.validate()
    assert form.errors["start"].isVisibleTo(form)
    assert form.errors["start"].text() == "'32/13/2026' is not a date; type it like 19/12/2026"
    assert not form.save_button.isEnabled()
    _enter(qtbot, form.start_time)
    qtbot.keyClicks(form.start_time, "25:00")
    qtbot.keyClick(form.start_time, Qt.Key.Key_Tab)
    _enter(qtbot, form.day)
    qtbot.keyClicks(form.day, "19/12/2026")
    qtbot.keyClick(form.day, Qt.Key.Key_Tab)
    form.validate()
    assert "'25:00' is not a time" in form.errors["start"].text()
    form._dirty = False
    form.close()
