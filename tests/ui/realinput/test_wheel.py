"""The mouse wheel, turned by the X server over every kind of field, scrolls the form and
never changes a value the pointer passes over (hazard 1: with real input Qt focused a
WheelFocus field before any filter saw the wheel, and Ticketing became "Not stated")."""

from __future__ import annotations

FORM_FIELDS = {  # one of every kind on New submission: combo boxes and typed dates/times
    "event_type": "form.event_type.currentIndex()",
    "ticketing": "form.ticketing.currentIndex()",
    "alcohol": "form.alcohol.currentIndex()",
    "search_regime": "form.search_regime.currentIndex()",
    "medical_cover": "form.medical_cover.currentIndex()",
    "day": "form.day.text()",
    "start_time": "form.start_time.text()",
    "received_time": "form.received_time.text()",
}


def _open_form(app) -> None:
    app.run("window = window_as('officer'); form = window.new_submission()")
    app.wait_for("active() is form")
    # A day and times to step, so that a wheel that got through would show.
    app.run("from PySide6.QtCore import QDate, QTime\n"
            "form.day.setDate(QDate.currentDate().addDays(20))\n"
            "form.start_time.setTime(QTime(22, 0)); form.end_time.setTime(QTime(3, 0))\n"
            "form.event_type.setCurrentIndex(3); form.ticketing.setCurrentIndex(3)")


def test_the_wheel_over_any_field_of_new_submission_scrolls_and_changes_nothing(app):
    _open_form(app)
    reason = app.get("form.reason.text()")
    for name, value in FORM_FIELDS.items():
        app.run(f"form.event_name.setFocus(); reveal(form.{name})")
        app.settle()
        before, scrolled = app.get(value), app.get(f"scroll_value(form.{name})")
        app.wheel(f"form.{name}", 3)
        # The wheel reached the app once the form has scrolled (it must: it is longer than
        # its view); the field under the pointer kept its value.
        app.wait_for(f"scroll_value(form.{name}) != {scrolled}")
        assert app.get(value) == before, f"the wheel changed {name}"
        scrolled = app.get(f"scroll_value(form.{name})")
        app.wheel(f"form.{name}", -2)
        app.wait_for(f"scroll_value(form.{name}) != {scrolled}")
        assert app.get(value) == before, f"the wheel changed {name}"
        assert not app.get(f"form.{name}.hasFocus()"), f"the wheel focused {name}"
    assert app.get("form.reason.text()") == reason  # "cannot save yet" did not change


def test_a_field_the_officer_is_in_does_take_the_wheel(app):
    """The control: the same wheel changes a field once it has the focus (by Tab)."""
    _open_form(app)
    app.run("reveal(form.ticketing); form.ticketing.setFocus()")
    app.wait_for("form.ticketing.hasFocus()")
    before = app.get("form.ticketing.currentIndex()")
    app.wheel("form.ticketing", 1)
    assert app.get("form.ticketing.currentIndex()") != before


WHAT_IF_FIELDS = {
    "attendance": "wi.attendance.value()", "door": "wi.door.value()",
    "search": "wi.search.currentIndex()", "end.day": "wi.end.day.text()",
    "end.at": "wi.end.at.text()", "ticketing": "wi.ticketing.currentIndex()",
    "min_age": "wi.min_age.value()",
}


def test_the_wheel_over_the_what_if_changes_nothing(app):
    app.run("window = window_as('officer')\n"
            "sid = window.desk.db.execute(\"SELECT id FROM submissions WHERE status = 'assessed' "
            "AND assessment_id IS NOT NULL ORDER BY starts_at LIMIT 1\").fetchone()[0]\n"
            "view = window.open_assessment(sid); wi = view.what_if")
    app.wait_for("wi._what_if is not None", timeout=20)
    app.run("window.showMaximized()")
    app.settle(200)
    for name, value in WHAT_IF_FIELDS.items():
        app.run(f"view.setFocus(); reveal(wi.{name})")
        app.settle()
        before = app.get(value)
        app.wheel(f"wi.{name}", 3)
        app.wheel(f"wi.{name}", -4)
        assert app.get(value) == before, f"the wheel changed the what-if's {name}"
    assert app.get("wi.changes()") == {}
