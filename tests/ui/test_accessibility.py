"""Every interactive widget has a name a screen reader can say; grades are words, never
colour alone; and colours meet WCAG AA contrast in a light and a dark palette."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

INTERACTIVE = (QAbstractItemView, QLineEdit, QComboBox, QAbstractSpinBox, QPlainTextEdit,
               QTextEdit, QAbstractButton)


def _nameless(root: QWidget) -> list[str]:
    out = []
    for cls in INTERACTIVE:
        for w in root.findChildren(cls):
            if isinstance(w, QHeaderView) or w.objectName().startswith("qt_"):
                continue  # Qt's own parts of a table, spin box or date field
            if not w.isVisibleTo(root) or isinstance(w.parent(), QComboBox) or \
                    type(w.parent()).__name__ == "QComboBoxPrivateContainer":
                continue
            name = w.accessibleName() or (w.text().replace("&", "")
                                          if isinstance(w, QAbstractButton) else "")
            if not name.strip():
                out.append(f"{type(w).__name__} {w.objectName() or '(no object name)'} in "
                           f"{type(w.parent()).__name__} of {type(w.window()).__name__}")
    return sorted(set(out))


def test_every_view_names_every_interactive_widget(qtbot, window_for):
    window = window_for("supervisor")
    db = window.desk.db
    sid = db.execute("SELECT id FROM submissions WHERE status = 'in_review' LIMIT 1"
                     ).fetchone()[0]
    view = window.open_assessment(sid)
    qtbot.waitUntil(lambda: view.what_if._what_if is not None, timeout=10000)
    window.open_venue(view.venue.id)
    window.open_accountability()
    problems = []
    for i in range(window.tabs.count()):
        window.tabs.setCurrentIndex(i)
        problems += _nameless(window)
    form = window.new_submission()
    problems += _nameless(form)
    form._dirty = False
    form.close()
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("dialog", ["accounts", "settings", "verify", "personal", "shortcuts",
                                    "pack"])
def test_every_dialog_names_every_interactive_widget(qtbot, window_for, dialog):
    from ui.main_window import PackDialog
    from ui.personal_data_dialog import PersonalDataDialog
    from ui.settings_dialog import SettingsDialog
    from ui.shortcuts_dialog import ShortcutsDialog
    from ui.users_dialog import UsersDialog
    from ui.verify_dialog import VerifyDialog

    window = window_for("admin")
    made = {"accounts": lambda: UsersDialog(window.desk, window),
            "settings": lambda: SettingsDialog(window.desk, window),
            "verify": lambda: VerifyDialog(window.desk, window),
            "personal": lambda: PersonalDataDialog(window.desk, window),
            "shortcuts": lambda: ShortcutsDialog(window),
            "pack": lambda: PackDialog(window)}[dialog]()
    qtbot.addWidget(made)
    made.show()
    tabs = made.findChildren(__import__("PySide6.QtWidgets", fromlist=["QTabWidget"])
                             .QTabWidget)
    problems = []
    for t in tabs or [None]:
        for i in range(t.count() if t else 1):
            if t:
                t.setCurrentIndex(i)
            problems += _nameless(made)
    assert sorted(set(problems)) == []


def _palette(dark: bool):
    from PySide6.QtGui import QColor, QPalette

    palette = QPalette()
    window, text, base = (("#2b2b2b", "#eeeeee", "#1e1e1e") if dark
                          else ("#efefef", "#000000", "#ffffff"))
    palette.setColor(QPalette.ColorRole.Window, QColor(window))
    palette.setColor(QPalette.ColorRole.WindowText, QColor(text))
    palette.setColor(QPalette.ColorRole.Base, QColor(base))
    palette.setColor(QPalette.ColorRole.Text, QColor(text))
    return palette


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_error_and_warning_text_meet_wcag_aa_on_light_and_dark(qtbot, window_for, dark,
                                                              monkeypatch):
    """The form is built under each palette; its error text must read on it."""
    import re

    from PySide6.QtGui import QColor, QPalette
    from PySide6.QtWidgets import QApplication, QLabel

    from ui.style import contrast, error_css, warning_css

    app = QApplication.instance()
    saved = app.palette()
    app.setPalette(_palette(dark))
    try:
        window = window_for("officer")
        form = window.new_submission()
        qtbot.keyClicks(form.expected_attendance, "0")
        form.validate()
        background = app.palette().color(QPalette.ColorRole.Window)
        for css in (error_css(), warning_css()):
            colour = QColor(re.search(r"color:(#[0-9a-fA-F]{6})", css)[1])
            assert contrast(colour, background) >= 4.5, (css, dark)
        shown = [label for label in form.findChildren(QLabel)
                 if "color:#" in label.styleSheet() and label.isVisibleTo(form)]
        assert shown  # the attendance error, at least
        for label in shown:
            colour = QColor(re.search(r"color:(#[0-9a-fA-F]{6})", label.styleSheet())[1])
            assert contrast(colour, background) >= 4.5, label.objectName()
        form._dirty = False
        form.close()
    finally:
        app.setPalette(saved)


def test_grade_badges_read_in_words_with_aa_contrast():
    from PySide6.QtGui import QColor

    from eventrisk.model import GRADE_COLOURS, Grade
    from ui.style import GRADE_TEXT_COLOUR, contrast

    for grade in Grade:
        assert contrast(QColor(GRADE_COLOURS[grade]), QColor(GRADE_TEXT_COLOUR[grade])) >= 4.5, \
            grade


def test_a_venues_events_show_the_grade_as_a_word(qtbot, window_for):
    window = window_for("supervisor")
    venue_id = window.desk.db.execute("SELECT venue_id FROM submissions WHERE grade IS NOT NULL "
                                      "LIMIT 1").fetchone()[0]
    view = window.open_venue(venue_id)
    model = view.event_model
    column = next(c for c in range(model.columnCount())
                  if model.headerData(c, __import__("PySide6.QtCore", fromlist=["Qt"]).Qt
                                      .Orientation.Horizontal) == "Grade")
    words = {model.index(r, column).data() for r in range(model.rowCount())}
    assert words - {""} and words - {""} <= {"LOW", "MEDIUM", "HIGH", "CRITICAL"}
