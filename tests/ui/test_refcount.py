"""Guard against PySide6's None reference leak (6.12.0 on Python 3.11 aborts the process)."""

import sys

from PySide6.QtWidgets import QLabel


def test_twenty_thousand_void_qt_calls_keep_none_alive(qtbot):
    label = QLabel()
    qtbot.addWidget(label)
    before = sys.getrefcount(None)
    for i in range(20_000):
        label.setText("x" if i % 2 else "y")
        label.setEnabled(bool(i % 2))
    assert sys.getrefcount(None) >= before
