"""Date and time fields that take what an officer types in one go: ``19/12/2026``, ``19/12``,
``2026-12-19``; ``23:00``, ``2300``, ``9.30``, ``11pm``.  Qt's date and time editors take one
section at a time and reject a whole typed value; these are line edits that read the text
when the officer leaves the field (or presses Enter), show it back in one form, step with the
Up and Down keys, and take the mouse wheel only when the officer is in them."""

from __future__ import annotations

import re
from datetime import date

from PySide6.QtCore import QDate, QDateTime, Qt, QTime, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QWidget

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
        QTimer.singleShot(0, self, self.selectAll)  # not after the field is gone

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

    # ---- the value, shown in one form --------------------------------------------------------
    FORMAT = ""

    def _parse(self, text: str):
        raise NotImplementedError

    def _add(self, value, by: int):
        raise NotImplementedError

    def _announce(self, value) -> None:
        """Emit the field's own signal (dateChanged or timeChanged)."""
        raise NotImplementedError

    def _shown(self, value) -> str:
        return value.toString(self.FORMAT) if value.isValid() else ""

    def _value_now(self):
        """The value typed (invalid while the text is not one), read even while the officer
        is still typing, without touching the text (it is tidied on leaving)."""
        if self.text() == self._shown(self._value):
            return self._value
        return self._parse(self.text())

    def _set_value(self, value) -> None:
        changed = value != self._value
        self._value = value
        self.setText(self._shown(value))
        if changed:
            self._announce(value)

    def _read(self) -> None:
        parsed = self._parse(self.text())
        if parsed.isValid():
            self._set_value(parsed)
        elif self._value.isValid():
            self._value = type(parsed)()  # kept as typed; the form says what is wrong
            self._announce(self._value)

    def _step(self, by: int) -> None:
        if self._value.isValid():
            self._set_value(self._add(self._value, by))


class DateField(_TypedField):
    """A date: shown as ``Sat 19/12/2026``; emits ``dateChanged(QDate)``."""

    dateChanged = Signal(QDate)  # noqa: N815 - named as Qt's date editors name it
    FORMAT = "ddd dd/MM/yyyy"

    def __init__(self, value: QDate, *, accessible: str, name: str):
        super().__init__(accessible=accessible, name=name, placeholder="e.g. 19/12/2026")
        self._value = QDate()
        self.setDate(value)

    def date(self) -> QDate:
        """The date typed (an invalid QDate while the text is not a date)."""
        return self._value_now()

    def setDate(self, value: QDate) -> None:  # noqa: N802
        self._set_value(value)

    def _parse(self, text: str) -> QDate:
        return parse_date(text, QDate.currentDate().toPython())

    def _add(self, value: QDate, by: int) -> QDate:
        return value.addDays(by)

    def _announce(self, value: QDate) -> None:
        self.dateChanged.emit(value)


class TimeField(_TypedField):
    """A time of day: shown as ``23:00``; emits ``timeChanged(QTime)``."""

    timeChanged = Signal(QTime)  # noqa: N815
    FORMAT = "HH:mm"

    def __init__(self, value: QTime, *, accessible: str, name: str):
        super().__init__(accessible=accessible, name=name, placeholder="e.g. 23:00")
        self._value = QTime()
        self.setMaximumWidth(80)
        self.setTime(value)

    def time(self) -> QTime:
        """The time typed (an invalid QTime while the text is not a time)."""
        return self._value_now()

    def setTime(self, value: QTime) -> None:  # noqa: N802
        self._set_value(value)

    def _parse(self, text: str) -> QTime:
        return parse_time(_compact_time(text))

    def _add(self, value: QTime, by: int) -> QTime:
        return value.addSecs(15 * 60 * by)  # quarter hours

    def _announce(self, value: QTime) -> None:
        self.timeChanged.emit(value)


class DateTimeField(QWidget):
    """A date and a time typed in one go each (two Tabs, where a sectioned editor took five,
    and a stray Up arrow changed its year): ``dateTime()`` is invalid while either is not
    one; emits ``dateTimeChanged(QDateTime)``."""

    dateTimeChanged = Signal(QDateTime)  # noqa: N815 - named as Qt's editors name it

    def __init__(self, value: QDateTime, *, accessible: str, name: str):
        super().__init__(objectName=name)
        self.day = DateField(value.date(), accessible=f"{accessible}: date", name=f"{name}_day")
        self.at = TimeField(value.time(), accessible=f"{accessible}: time", name=f"{name}_time")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.day)
        row.addWidget(QLabel("at"))
        row.addWidget(self.at)
        row.addStretch(1)
        self.setFocusProxy(self.day)
        self.day.dateChanged.connect(self._announce)
        self.at.timeChanged.connect(self._announce)

    def dateTime(self) -> QDateTime:  # noqa: N802
        day, at = self.day.date(), self.at.time()
        return QDateTime(day, at) if day.isValid() and at.isValid() else QDateTime()

    def setDateTime(self, value: QDateTime) -> None:  # noqa: N802
        self.day.blockSignals(True)
        self.day.setDate(value.date())
        self.day.blockSignals(False)
        self.at.setTime(value.time())
        self._announce()

    def _announce(self, *_args) -> None:
        self.dateTimeChanged.emit(self.dateTime())
