"""The PostgreSQL backend: a desk that several workstations share through a server.

``connection`` adapts a psycopg 3 connection to the small part of sqlite-utils' ``Database``
that the core uses (``execute``, ``query``, ``atomic``, ``conn.executemany``), so that one
use case's code runs on either backend; ``schema`` holds the same numbered migrations in
PostgreSQL's dialect.  docs/postgresql.md says why it is built this way.
"""

from __future__ import annotations

import re

from eventrisk.errors import StorageError

_URL = re.compile(r"^postgres(ql)?://", re.IGNORECASE)
_KEYWORDS = re.compile(r"^\s*(service|host|hostaddr|dbname|port|user)\s*=", re.IGNORECASE)


def is_server(target: object) -> bool:
    """Whether ``--db`` / ``EVENTRISK_DB`` names a PostgreSQL server (a ``postgresql://`` URL
    or a libpq ``key=value`` string such as ``service=desk``) rather than a file."""
    text = str(target)
    return bool(_URL.match(text) or _KEYWORDS.match(text))


class SignInNeededError(StorageError):
    """The server wants a password (or another) for the login it was asked for: the person
    signs in first, and the desk is opened as them (``Desk.open_as``)."""


def shown(target: str) -> str:
    """The connection as it may be shown to people: any password in it hidden."""
    text = re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", str(target))
    return re.sub(r"(password\s*=\s*)\S+", r"\1***", text, flags=re.IGNORECASE)
