"""The fairness guard: words that must never enter the scorer's vocabulary or the data model.

The process EventRisk replaces was withdrawn for targeting music genres and the communities
who enjoy them.  Rules may only test catalogue features (checked by the rules loader); this
list also keeps such words out of rule text, feature names and table columns.
"""

from __future__ import annotations

import re

BANNED_TERMS = (
    "genre", "music style", "style of music", "ethnic", "ethnicity", "race", "racial",
    "nationality", "religion", "religious", "demographic", "target audience", "dress code",
    "backing track", "travels far", "grime", "drill", "bashment", "garage music",
)

_PATTERN = re.compile(r"\b(" + "|".join(re.escape(t) for t in BANNED_TERMS) + r")\w*",
                      re.IGNORECASE)


def banned_terms_in(text: str) -> list[str]:
    """The banned terms found in ``text`` (as words or word stems), lower-cased."""
    return sorted({m.group(1).lower() for m in _PATTERN.finditer(text.replace("_", " "))})
