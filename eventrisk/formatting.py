"""How figures are written, once, for paper, screen and evidence alike.

The scorer rounds the attendance ratio to three places and evidence templates print it with
``{attendance_ratio:.0%}``; the page and the screen use ``attendance_ratio`` and ``percent``
below, which do exactly the same, so "169%" never sits beside "170%"."""

from __future__ import annotations


def attendance_ratio(expected: int, capacity: int) -> float:
    """Expected attendance ÷ licensed capacity, rounded as the scorer stores it."""
    return round(expected / capacity, 3) if capacity else 0.0


def percent(ratio: float) -> str:
    """A ratio as a whole percentage, formatted as evidence templates format it."""
    return f"{ratio:.0%}"


def attendance_text(expected: int, capacity: int) -> str:
    """"1,200 expected; licensed capacity 700 (171%)"."""
    return (f"{expected:,} expected; licensed capacity {capacity:,} "
            f"({percent(attendance_ratio(expected, capacity))})")
