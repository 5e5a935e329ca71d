"""The Accountability view: supervisors run the calibration report on a worker thread and
read it on screen; officers cannot open it."""

from __future__ import annotations

from PySide6.QtCore import QDate


def _scored(window):
    window.desk.rescore_all()


def test_a_supervisor_runs_the_report_and_reads_it(qtbot, window_for):
    window = window_for("supervisor")
    _scored(window)
    view = window.open_accountability()
    assert view is not None and window.tabs.currentWidget() is view
    assert not view.save_button.isEnabled()
    view.date_from.setDate(QDate(2000, 1, 1))
    with qtbot.waitSignal(view.ready, timeout=20000):
        view.run_button.click()
        assert "Loading" in view.status.text()  # the window is not frozen while it works
    report = view.report
    assert report.events > 20
    assert view.grades.rowCount() == 4
    assert view.grades.item(0, 0).text() == "LOW"
    assert f"{report.grades[0].outcome.events:,}" == view.grades.item(0, 1).text()
    assert view.rules.rowCount() == len(report.rules) > 5
    # Only the groups with enough events to judge are tabled; the rest are named in the notes.
    assert view.disparity.rowCount() == sum(g.comparable for g in report.disparity)
    assert view.error_rates.rowCount() == view.disparity.rowCount() + 1  # and the desk's
    assert "AUC" in view.headline.text() or "cannot be computed" in view.headline.text()
    assert "No protected characteristic" in view.notes.text()
    assert view.save_button.isEnabled()
    assert len(view.grade_chart.data) == 4
    # A 90-event desk has no borough with the 30 events judging needs: named, not drawn.
    assert not view.ratio_chart.data and view.ratio_chart.isHidden()
    assert "Too few events to judge" in view.notes.text()
    assert "cannot both" not in view.notes.text()
    assert "calibrated within every group" in view.notes.text()
    assert window.open_accountability() is view  # one tab, brought forward


def _texts(view) -> list[str]:
    names = ("grades", "mix", "rules", "disparity", "per_grade", "error_rates", "overrides")
    tables = [getattr(view, name) for name in names if hasattr(view, name)]
    return [table.item(row, col).text() for table in tables
            for row in range(table.rowCount()) for col in range(table.columnCount())
            if table.item(row, col)] + [view.notes.text(), view.headline.text()]


def test_groups_read_as_people_read_them_and_small_ones_print_no_zeros(qtbot, window_for):
    """Issue 33: "0.00 (0.00–0.00)" for small groups, and internal names (club_night)."""
    window = window_for("supervisor")
    _scored(window)
    view = window.open_accountability()
    view.date_from.setDate(QDate(2000, 1, 1))
    with qtbot.waitSignal(view.ready, timeout=20000):
        view.run()
    texts = _texts(view)
    assert not [t for t in texts if "0.00 (0.00" in t or "0.00–0.00" in t]
    assert not [t for t in texts if "club_night" in t or "private_hire" in t
                or "day_event" in t]
    assert any("Club night (event type)" in t for t in texts)  # judged or too small


def test_saving_the_report_writes_a_marked_pdf(qtbot, window_for, tmp_path, monkeypatch):
    from pypdf import PdfReader
    from PySide6.QtWidgets import QFileDialog

    window = window_for("supervisor")
    _scored(window)
    view = window.open_accountability()
    view.date_from.setDate(QDate(2000, 1, 1))
    with qtbot.waitSignal(view.ready, timeout=20000):
        view.run()
    target = tmp_path / "calibration.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(target), "")))
    view.save_pdf()
    text = "".join(page.extract_text() for page in PdfReader(target).pages)
    assert "OFFICIAL-SENSITIVE" in text and "Does the grade mean anything?" in text
    assert "Saved the report" in view.status.text()


def test_an_officer_cannot_open_it(window_for):
    window = window_for("officer")
    assert window.open_accountability() is None
    action = next(a for a in window._actions if "ccountability" in a.text())
    assert not action.isEnabled()


def test_the_period_is_typed_in_one_field_each_and_a_bad_date_is_said(qtbot, desk):
    """Issue 33: the sectioned date editors took five Tabs each; the period takes typed dates
    like every other form, and a date that is not one is said, not run."""
    from PySide6.QtCore import Qt

    from tests.ui.conftest import sign_in
    from ui.accountability_view import AccountabilityView
    from ui.datetime_fields import DateField

    db, path = desk
    view = AccountabilityView(sign_in(db, path, "supervisor"))
    qtbot.addWidget(view)
    assert isinstance(view.date_from, DateField) and isinstance(view.date_to, DateField)
    view.date_from.clear()
    qtbot.keyClicks(view.date_from, "31/02/2026")
    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    assert "'31/02/2026' is not a date" in view.headline.text()
    assert view.report is None
