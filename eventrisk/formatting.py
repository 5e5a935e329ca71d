"""How figures are written, once, for paper, screen and evidence alike.

The scorer rounds the attendance ratio to three places and evidence templates print it with
``{attendance_ratio:.0%}``; the page and the screen use ``attendance_ratio`` and ``percent``
below, which do exactly the same, so "169%" never sits beside "170%"."""

from __future__ import annotations


def attendance_ratio(expected: int, capacity: int) -> float:
    """Expected attendance ÷ licensed capacity, rounded as the scorer stores it."""
    return round(expected / capacity, 3) if capacity else 0.0


def percent(ratio: float | None, places: int = 0) -> str:
    """A ratio as a percentage, formatted as evidence templates format it ("170%"; with
    ``places`` 1, "12.5%"), or an en dash for none."""
    return "–" if ratio is None else f"{ratio:.{places}%}"


def rate_text(rate) -> str:
    """A rate with its interval, "12.5% (11.0%–14.1%)", from anything with ``events``,
    ``rate``, ``low`` and ``high``; an en dash when there were no events."""
    if rate is None or not rate.events:
        return "–"
    return f"{percent(rate.rate, 1)} ({percent(rate.low, 1)}–{percent(rate.high, 1)})"


def attendance_text(expected: int, capacity: int) -> str:
    """"1,200 expected; licensed capacity 700 (171%)"."""
    return (f"{expected:,} expected; licensed capacity {capacity:,} "
            f"({percent(attendance_ratio(expected, capacity))})")


def witnesses_text(n: int) -> str:
    """What ``audit verify`` says of the witnesses it checked, also when there were none: "0
    witnesses hold" read as a failure on a desk that simply has no witness set."""
    if n == 0:
        return ("no outside witness was set, so none was checked (a head printed on a PDF, a "
                "backup or a witness file would be)")
    return "the one witness holds" if n == 1 else f"all {n} witnesses hold"
