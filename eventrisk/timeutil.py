"""London local time: parsing, storing (as UTC), and British display, correct across clock changes.

Datetimes are stored as UTC ISO strings (``2026-12-05T22:00:00Z``) so they sort and subtract
unambiguously; files and screens use Europe/London local time.  A local time that falls in
the autumn repeated hour is taken as the first (summer-time) occurrence unless the text
carries an offset; a local time skipped in spring is rejected.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


class TimeParseError(ValueError):
    """Text that is not a usable London local date-time."""


def now_utc() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC).replace(microsecond=0)


def parse_local(text: str) -> datetime:
    """Parse ``2026-12-05T22:00`` (London local) to an aware UTC datetime."""
    text = text.strip()
    try:
        naive = datetime.fromisoformat(text)
    except ValueError as exc:
        raise TimeParseError("must be a date and time like 2026-12-05T22:00") from exc
    check_range(naive)  # before any arithmetic: year 1 overflows on conversion
    if naive.tzinfo is not None:
        return naive.astimezone(UTC)
    return local_to_utc(naive)


def local_to_utc(naive: datetime) -> datetime:
    """Interpret a naive London wall-clock time; reject one that does not exist."""
    aware = naive.replace(tzinfo=LONDON, fold=0)
    back = aware.astimezone(UTC).astimezone(LONDON).replace(tzinfo=None)
    if back != naive:
        raise TimeParseError(
            f"{naive:%d/%m/%Y %H:%M} does not exist in London (the clocks go forward)"
        )
    return aware.astimezone(UTC)


def is_ambiguous(naive: datetime) -> bool:
    """True for a wall-clock time that happens twice (the autumn clock change)."""
    a = naive.replace(tzinfo=LONDON, fold=0).utcoffset()
    b = naive.replace(tzinfo=LONDON, fold=1).utcoffset()
    return a != b


# The dates the desk accepts anywhere: a year outside these is a typing slip, and one such value
# once took the whole desk down (a year 999 was stored without its leading zero).
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)


def check_range(dt: datetime) -> datetime:
    """``dt`` if its London date is within ``EARLIEST``..``LATEST``; ``TimeParseError`` if not."""
    day = (dt.astimezone(LONDON) if dt.tzinfo else dt).date()
    if not EARLIEST <= day <= LATEST:
        raise TimeParseError(f"must be between {EARLIEST:%d/%m/%Y} and {LATEST:%d/%m/%Y}")
    return dt


def to_db(dt: datetime) -> str:
    """Aware datetime to the stored UTC form (always four-digit years, zero-padded)."""
    u = dt.astimezone(UTC)
    return (f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:"
            f"{u.second:02d}Z")


def from_db(text: str) -> datetime:
    """Stored UTC text back to an aware datetime.  A year stored without its leading zeros
    (by a release before the range check) still reads, so the desk opens and verify can name
    the row."""
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        year, _, rest = text.partition("-")
        if not year.isdigit() or len(year) >= 4:
            raise
        return datetime.fromisoformat(f"{int(year):04d}-{rest}".replace("Z", "+00:00"))


def to_local(dt: datetime) -> datetime:
    """Aware datetime in London time."""
    return dt.astimezone(LONDON)


def to_file(dt: datetime) -> str:
    """London local ISO text for files; adds the offset only where the wall time repeats."""
    local = to_local(dt)
    naive = local.replace(tzinfo=None)
    if is_ambiguous(naive):
        return local.isoformat(timespec="minutes")
    return naive.isoformat(timespec="minutes")


def night_of(dt: datetime) -> date:
    """The local date an event belongs to: its start's date (a 01:00 start belongs to the
    previous evening only if it is before 06:00)."""
    local = to_local(dt)
    if local.time() < time(6, 0):
        return local.date() - timedelta(days=1)
    return local.date()


@lru_cache(maxsize=8192)
def local_midnight_utc(day: date) -> datetime:
    """UTC instant of 00:00 London time at the start of ``day``."""
    return local_to_utc(datetime.combine(day, time(0, 0)))


def british_date(dt: datetime) -> str:
    """05/12/2026 in London time."""
    return to_local(dt).strftime("%d/%m/%Y")


def british_time(dt: datetime) -> str:
    """22:00 in London time."""
    return to_local(dt).strftime("%H:%M")


def british_datetime(dt: datetime) -> str:
    """Sat 05/12/2026 22:00 in London time."""
    return to_local(dt).strftime("%a %d/%m/%Y %H:%M")


def months_before(dt: datetime, months: int) -> datetime:
    """The same instant ``months`` calendar months earlier (day clamped to month end)."""
    year, month = dt.year, dt.month - months
    while month <= 0:
        month += 12
        year -= 1
    for day in (dt.day, 30, 29, 28):
        try:
            return dt.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise AssertionError("unreachable")
