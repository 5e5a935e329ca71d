"""What a supervisor is asked before approving: a HIGH or CRITICAL event with nothing agreed
is approved only after one explicit confirmation naming the grade (one key once approved a
CRITICAL with "None agreed yet", and its page then read "CRITICAL ... No conditions
agreed").  Pure: the desktop app and any other front end ask the same question."""

from __future__ import annotations

from collections.abc import Sequence

from eventrisk.model import Grade

ASK_WHEN_BARE = (Grade.HIGH, Grade.CRITICAL)


def bare_approval_question(reference: str, grade: Grade | None,
                           conditions: Sequence[str]) -> str:
    """The question to ask before approving, or '' when none is needed."""
    if grade not in ASK_WHEN_BARE or any(c.strip() for c in conditions):
        return ""
    return (f"{reference} is graded {grade.value} and has no agreed conditions. Approve it "
            f"as {grade.value} with no conditions? The printed assessment will say that "
            "nothing was agreed.")
