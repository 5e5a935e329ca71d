"""Words printed beside a decision, made to agree with what was decided.

A ruleset's band texts are written once per grade ("Advice to the organiser. No conditions
needed beyond the licence."), but a LOW event can still have conditions agreed with its promoter,
and a MEDIUM one can have none.  Paper and screen read these helpers so that the text beside the
grade never contradicts the conditions listed under it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# A sentence saying that no conditions are needed or apply ("No conditions needed beyond the
# licence.", "Nothing to agree: no conditions."), which is false once conditions are agreed.
_DENIES_CONDITIONS = re.compile(r"\bno (?:\w+ ){0,2}conditions?\b|\bwithout (?:any )?conditions?\b",
                                re.IGNORECASE)
_REFERS_TO_AGREED = re.compile(r"\bagreed conditions?\b", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def agreed_guidance(text: str, conditions: Iterable[str]) -> str:
    """A band's text as it may be printed beside a grade with these agreed ``conditions``.

    With conditions: a sentence saying none are needed is left out and, unless the text
    already points at them, it says they apply.  Without: a text that points at "the agreed
    conditions" says that none have been agreed.
    """
    n = sum(1 for c in conditions if c.strip())
    sentences = [s for s in _SENTENCE.split(text.strip()) if s]
    refers = any(_REFERS_TO_AGREED.search(s) for s in sentences)
    if n:
        kept = [s for s in sentences if not _DENIES_CONDITIONS.search(s)]
        if not refers:
            kept.append(f"The {n} conditions agreed with the promoter, listed below, apply."
                        if n > 1 else
                        "The condition agreed with the promoter, listed below, applies.")
        return " ".join(kept)
    if refers:
        return " ".join([*sentences, "No conditions have been agreed."])
    return " ".join(sentences)


def _key(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"[a-z0-9]+", text.casefold()))


def distinct_measures(measures: Iterable[str], agreed: Iterable[str] = ()) -> list[str]:
    """The rules' recommended measures without repeats, in first-seen order.

    A measure is left out when it says the same words as another (case and punctuation aside),
    when all its words are within a longer measure that is kept ("Search arch or wands on every
    customer." within "Walk-through search arch or wands on every customer."), or when it is
    already one of the ``agreed`` conditions.
    """
    agreed_keys = [_key(a) for a in agreed if a.strip()]
    unique: dict[frozenset[str], str] = {}
    for m in measures:
        k = _key(m)
        if k and k not in unique:
            unique[k] = m
    keys = list(unique)
    out = []
    for k in keys:
        if any(k < other for other in keys):  # a longer measure says all of it
            continue
        if any(k <= a for a in agreed_keys):  # already agreed, word for word
            continue
        out.append(unique[k])
    return out
