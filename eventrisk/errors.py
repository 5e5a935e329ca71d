"""Typed errors raised by the core; the CLI and the UI turn them into messages in one place each."""

from __future__ import annotations


class EventRiskError(Exception):
    """Base class for every error the core raises on purpose."""


class ValidationError(EventRiskError):
    """Holds every problem with one record, field by field, in plain English.

    ``problems`` is a list of ``(field, message)`` pairs; ``line`` names the line of a
    file when the record came from one.
    """

    def __init__(self, problems: list[tuple[str, str]], *, line: int | None = None):
        self.problems = list(problems)
        self.line = line
        super().__init__("; ".join(f"{f}: {m}" for f, m in self.problems))

    def as_dict(self) -> dict[str, str]:
        """First message for each field, for showing beside form inputs."""
        out: dict[str, str] = {}
        for field, message in self.problems:
            out.setdefault(field, message)
        return out


class ImportFileError(EventRiskError):
    """A file failed to import; ``lines`` holds ``file:line: field: message`` strings."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        super().__init__("\n".join(lines))


class ConflictError(EventRiskError):
    """Someone else changed the row since it was read."""


class NotFoundError(EventRiskError):
    """A record named by the user does not exist."""


class PermissionDenied(EventRiskError):  # noqa: N818 - reads better at call sites
    """The user's role may not take this action."""


class OtherDeskError(PermissionDenied):
    """The backup is of another desk; it replaces this one only when asked in so many
    words (``--other-desk``, or the app's second question)."""

    def __init__(self, backup, theirs: str, ours: str):
        self.backup, self.theirs, self.ours = backup, theirs, ours
        super().__init__(
            f"{backup.name} is a backup of another desk (desk id {theirs}; this desk is "
            f"{ours}); nothing was changed. To replace this desk with it all the same, "
            "restore with --other-desk.")


class WorkflowError(EventRiskError):
    """The action does not fit the record's current status."""


class RulesError(EventRiskError):
    """A rules file is invalid; ``problems`` are ``file: rule id: problem`` strings."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class StorageError(EventRiskError):
    """The environment failed: the database is locked, read-only, corrupt, missing or full.

    This is not a bug in EventRisk; the message says what the user can do about it.
    """


class AuthError(EventRiskError):
    """Wrong user name or password, or no one signed in."""


class FormError(EventRiskError):
    """A file that cannot be read as a promoter's filled form: one sentence naming it (bad
    input, never a crash)."""


class Cancelled(Exception):  # noqa: N818 - a signal, not an error
    """The user cancelled a long operation; its transaction was rolled back."""
