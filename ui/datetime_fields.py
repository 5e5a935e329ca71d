"""Date and time fields that take what an officer types in one go: ``19/12/2026``, ``19/12``,
``2026-12-19``; ``23:00``, ``2300``, ``9.30``, ``11pm``.  Qt's date and time editors take one
section at a time and reject a whole typed value; these are line edits that read the text
when the officer leaves the field (or presses Enter), show it back in one form, step with the
Up and Down keys, and take the mouse wheel only when the officer is in them."""

from __future__ import annotations

import re
from datetime import date

from PySide6.QtCore import QDate, Qt, QTime, QTimer, Signal
from PySide6.QtWidgets import QLineEdit

_DAY_NAMES = re.compile(r"^(mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s*", re.IGNORECASE)
_DMY = re.compile(r"^(\d{1,2})[/.\-\s](\d{1,2})(?:[/.\-\s](\d{2}|\d{4}))?$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_TIME = re.compile(r"^(\d{1,2})(?:[:.h]?(\d{2}))?\s*(am|pm)?$", re.IGNORECASE)


def parse_date(text: str, today: date) -> QDate:
    """The date typed (an invalid QDate if it is not one).  A date without a year is the next
    one on or after today; a two-digit year is 20YY."""
    text = _DAY_NAMES.sub("", text.strip())
    found = _ISO.match(text)
    if found:
        year, month, day = (int(g) for g in found.groups())
        return QDate(year, month, day)
    found = _DMY.match(text)
    if not found:
        return QDate()
    day, month = int(found[1]), int(found[2])
    if found[3] is None:
        candidate = QDate(today.year, month, day)
        if candidate.isValid() and candidate.toPython() < today:
            candidate = QDate(today.year + 1, month, day)
        return candidate
    year = int(found[3])
    return QDate(2000 + year if year < 100 else year, month, day)


def parse_time(text: str) -> QTime:
    """The time typed (an invalid QTime if it is not one)."""
    found = _TIME.match(text.strip())
    if not found:
        return QTime()
    digits, minutes, half = found[1], found[2], (found[3] or "").lower()
    if minutes is None and len(digits) > 2:
        return QTime()
    hour, minute = int(digits), int(minutes or 0)
    if half:
        if not 1 <= hour <= 12:
            return QTime()
        hour = hour % 12 + (12 if half == "pm" else 0)
    return QTime(hour, minute) if hour < 24 and minute < 60 else QTime()


def _compact_time(text: str) -> str:
    """``2300`` → ``23:00``, ``930`` → ``9:30``: four or three digits are hours and minutes."""
    stripped = text.strip()
    if stripped.isdigit() and len(stripped) in (3, 4):
        return f"{stripped[:-2]}:{stripped[-2:]}"
    return stripped


class _TypedField(QLineEdit):
    """Selects everything on entry, so typing replaces the value in one go."""

    def __init__(self, *, accessible: str, name: str, placeholder: str):
        super().__init__(objectName=name, accessibleName=accessible,
                         placeholderText=placeholder)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.editingFinished.connect(self._read)

    def focusInEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().focusInEvent(event)
        # After the click that brought focus has placed the cursor: all selected, so what is
        # typed replaces the value.
        QTimer.singleShot(0, self.selectAll)

    def keyPressEvent(self, event) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            self._read()
            self._step(1 if event.key() == Qt.Key.Key_Up else -1)
            return
        super().keyPressEvent(event)

    def wheelEvent(self, event) -> None:  # noqa: N802
        if not self.hasFocus():
            event.ignore()  # scrolling the form must never change a value
            return
        self._read()
        self._step(1 if event.angleDelta().y() > 0 else -1)
        event.accept()

    def valid(self) -> bool:
        raise NotImplementedError

    def _read(self) -> None:
        raise NotImplementedError

    def _step(self, by: int) -> None:
        raise NotImplementedError


class DateField(_TypedField):
    """A date: shown as ``Sat 19/12/2026``; emits ``dateChanged(QDate)``."""

    dateChanged = Signal(QDate)  # noqa: N815 - named as Qt's date editors name it

    def __init__(self, value: QDate, *, accessible: str, name: str):
        super().__init__(accessible=accessible, name=name, placeholder="e.g. 19/12/2026")
        self._date = QDate()
        self.setDate(value)

    def date(self) -> QDate:
        """The date typed (an invalid QDate while the text is not a date), read even while the
        officer is still typing, without touching the text (it is tidied on leaving)."""
        if self.text() == (self._date.toString("ddd dd/MM/yyyy") if self._date.isValid()
                           else ""):
            return self._date
        return parse_date(self.text(), QDate.currentDate().toPython())

    def valid(self) -> bool:
        return self.date().isValid()

    def setDate(self, value: QDate) -> None:  # noqa: N802
        changed = value != self._date
        self._date = value
        self.setText(value.toString("ddd dd/MM/yyyy") if value.isValid() else "")
        if changed:
            self.dateChanged.emit(value)

    def _read(self) -> None:
        parsed = parse_date(self.text(), QDate.currentDate().toPython())
        if parsed.isValid():
            self.setDate(parsed)
        elif parsed != self._date or self._date.isValid():
            self._date = QDate()  # kept as typed; the form says what is wrong
            self.dateChanged.emit(self._date)

    def _step(self, by: int) -> None:
        if self._date.isValid():
            self.setDate(self._date.addDays(by))


class TimeField(_TypedField):
    """A time of day: shown as ``23:00``; emits ``timeChanged(QTime)``."""

    timeChanged = Signal(QTime)  # noqa: N815

    def __init__(self, value: QTime, *, accessible: str, name: str):
        super().__init__(accessible=accessible, name=name, placeholder="e.g. 23:00")
        self._time = QTime()
        self.setMaximumWidth(80)
        self.setTime(value)

    def time(self) -> QTime:
        """The time typed (an invalid QTime while the text is not a time), read without
        touching the text."""
        if self.text() == (self._time.toString("HH:mm") if self._time.isValid() else ""):
            return self._time
        return parse_time(_compact_time(self.text()))

    def valid(self) -> bool:
        return self.time().isValid()

    def setTime(self, value: QTime) -> None:  # noqa: N802
        changed = value != self._time
        self._time = value
        self.setText(value.toString("HH:mm") if value.isValid() else "")
        if changed:
            self.timeChanged.emit(value)

    def _read(self) -> None:
        parsed = parse_time(_compact_time(self.text()))
        if parsed.isValid():
            self.setTime(parsed)
        elif self._time.isValid():
            self._time = QTime()
            self.timeChanged.emit(self._time)

    def _step(self, by: int) -> None:
        if self._time.isValid():
            self.setTime(self._time.addSecs(15 * 60 * by))  # quarter hours
