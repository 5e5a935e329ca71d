"""London reference data: the 33 local authority areas, read from ``resources/boroughs.json``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

from eventrisk.paths import resource


@dataclass(frozen=True)
class Borough:
    """One London local authority area and who polices it."""

    name: str
    area: str  # inner, outer or city
    police: str
    command_unit: str

    @property
    def met(self) -> bool:
        """Policed by the Metropolitan Police (everywhere but the City)."""
        return self.police == "Metropolitan Police"

    @property
    def policing(self) -> str:
        """Where paper about it is routed: the Met's BCU, or the area's own force."""
        return f"{self.command_unit} BCU" if self.met else self.police


@cache
def boroughs() -> tuple[Borough, ...]:
    """All 33 areas, sorted by name."""
    data = json.loads(resource("boroughs.json").read_text("utf-8"))
    return tuple(Borough(**row) for row in data["areas"])


def borough_named(name: str) -> Borough | None:
    """The area with exactly this name, if any."""
    return next((b for b in boroughs() if b.name == name), None)


def borough_names() -> tuple[str, ...]:
    """The 33 area names, sorted."""
    return tuple(b.name for b in boroughs())


def canonical_borough(text: str) -> str | None:
    """The official spelling of a borough typed in any case or with '&' for 'and', or None."""
    key = " ".join(text.replace("&", "and").split()).casefold()
    for name in borough_names():
        if name.casefold() == key:
            return name
    return None
