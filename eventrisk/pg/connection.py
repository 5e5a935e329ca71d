"""A psycopg 3 connection that answers the calls the core makes of an SQLite desk.

The core writes its SQL with ``?`` placeholders and reads rows as tuples; here ``?`` becomes
psycopg's ``%s`` (outside quoted text), an ``INSERT`` into a table with an ``id`` hands back
the new row's id as ``lastrowid``, Python booleans are stored as the 0 and 1 the schema keeps,
and a use case's transaction starts by taking the desk's write lock, as ``BEGIN IMMEDIATE``
does on a file: writers take turns (waiting up to the busy timeout), readers never wait.
Only the few statements whose meaning differs between the dialects are written twice, and
they ask ``db.dialect`` (``eventrisk.dialect``) which form to use.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg.pq import TransactionStatus
from psycopg.rows import dict_row
from psycopg.types.numeric import FloatLoader

from eventrisk import dialect
from eventrisk.db import committed
from eventrisk.errors import PermissionDenied, StorageError
from eventrisk.pg import shown

SCHEMA = "eventrisk"
# The key of the advisory lock every writing transaction takes first (one per database):
# it serialises writers, so the audit chain stays linear and a version read in a use case
# stays true until it commits.  "ER" "DE" "SK" in ASCII.
WRITE_LOCK = 0x45524445534B

# Tables whose rows are numbered by an identity column: an INSERT into one returns the id.
_INSERT = re.compile(r"^\s*INSERT\s+INTO\s+\"?(\w+)\"?", re.IGNORECASE)
_ID_TABLES = frozenset({
    "users", "venues", "promoters", "submissions", "incidents", "rulesets", "assessments",
    "reviews", "debriefs", "issued_documents", "audit_log", "drafts"})


@lru_cache(maxsize=2048)
def translate(sql: str, returning: bool = True, placeholders: bool = True,
              named: bool = False) -> str:
    """``?`` to ``%s`` and ``%`` to ``%%`` outside comments (psycopg reads ``%`` only when
    there are parameters: ``placeholders``); ``RETURNING id`` on a single-row INSERT into a
    numbered table (for ``lastrowid``)."""
    if not placeholders:
        return _returning(sql) if returning else sql
    out: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in "'\"":
            j = sql.find(ch, i + 1)
            while j != -1 and j + 1 < n and sql[j + 1] == ch:  # a doubled quote inside
                j = sql.find(ch, j + 2)
            j = n - 1 if j == -1 else j
            out.append(sql[i:j + 1].replace("%", "%%"))  # psycopg reads % even there
            i = j + 1
            continue
        if ch == "-" and sql.startswith("--", i):
            j = sql.find("\n", i)
            i = n if j == -1 else j
            continue
        if named and ch == ":" and not sql.startswith("::", i) and sql[i - 1:i] != ":":
            m = _NAME.match(sql, i + 1)
            if m:
                out.append(f"%({m.group(0)})s")
                i = m.end()
                continue
        out.append("%s" if ch == "?" else "%%" if ch == "%" else ch)
        i += 1
    text = "".join(out)
    return _returning(text) if returning else text


def _returning(text: str) -> str:
    m = _INSERT.match(text)
    if m and m.group(1).lower() in _ID_TABLES and "returning" not in text.lower():
        return text.rstrip().rstrip(";") + " RETURNING id"
    return text


def _value(v: Any) -> Any:
    return int(v) if isinstance(v, bool) else v


def _params(params: Any) -> Any:
    if params is None:
        return None
    if isinstance(params, dict):
        return {k: _value(v) for k, v in params.items()}
    return [_value(v) for v in params]


_NAME = re.compile(r"[A-Za-z_]\w*")

class Cursor:
    """The answer to one statement, as sqlite3's cursor gives it."""

    def __init__(self, cur: psycopg.Cursor, returning: bool):
        self._cur = cur
        self.lastrowid: int | None = None
        self.rowcount = cur.rowcount
        if returning:
            row = cur.fetchone()
            self.lastrowid = row[0] if row else None

    @property
    def description(self):
        return self._cur.description

    def fetchone(self) -> tuple | None:
        return self._cur.fetchone() if self._cur.description else None

    def fetchall(self) -> list[tuple]:
        return self._cur.fetchall() if self._cur.description else []

    def fetchmany(self, size: int = 1000) -> list[tuple]:
        return self._cur.fetchmany(size) if self._cur.description else []

    def __iter__(self) -> Iterator[tuple]:
        return iter(self._cur) if self._cur.description else iter(())

    def close(self) -> None:
        self._cur.close()


class Connection:
    """What the core asks of ``db.conn``.

    A connection the server or the network dropped (a restart, a failover, a laptop that
    slept) fails the statement that found it so, once, with one sentence; the next statement
    outside a transaction connects again, so the workstation carries on without a restart.
    """

    def __init__(self, raw: psycopg.Connection, target: str = "", timeout: float = 5.0,
                 login: dict | None = None):
        self._raw = raw
        self.target = target
        self.timeout = timeout
        self.login = login or {}  # the person's user (and password, in memory only)
        self._closed = False

    @property
    def raw(self) -> psycopg.Connection:
        if self._raw.broken and not self._closed and self.target:
            self._raw = connect(self.target, timeout=self.timeout, **self.login)
        return self._raw

    @property
    def in_transaction(self) -> bool:
        if self._raw.broken:
            return False  # whatever it held, the server has rolled back
        return self._raw.info.transaction_status != TransactionStatus.IDLE

    def execute(self, sql: str, params: Any = None) -> Cursor:
        return run(self.raw, sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = [_params(r) for r in rows]
        text = translate(sql, returning=False, named=bool(rows) and isinstance(rows[0], dict))
        with self.raw.cursor() as cur:
            try:
                cur.executemany(text, rows)
            except pg_errors.InsufficientPrivilege as exc:
                raise refused(exc) from exc

    def commit(self) -> None:
        self.raw.execute("COMMIT") if self.in_transaction else None

    def rollback(self) -> None:
        self.raw.execute("ROLLBACK") if self.in_transaction else None

    def close(self) -> None:
        self._closed = True
        self._raw.close()


def run(raw: psycopg.Connection, sql: str, params: Any = None) -> Cursor:
    text = translate(sql, placeholders=params is not None, named=isinstance(params, dict))
    returning = text.endswith(" RETURNING id") and not sql.rstrip().endswith("RETURNING id")
    cur = raw.cursor()
    try:
        cur.execute(text, _params(params))
    except pg_errors.InsufficientPrivilege as exc:
        raise refused(exc) from exc
    return Cursor(cur, returning)


def refused(exc: psycopg.Error) -> PermissionDenied:
    """The server refused what this login's desk role does not allow (a privilege, or one
    of m020's triggers): one sentence, as the app's own refusals are."""
    return PermissionDenied(f"The server refused this: {_first_line(exc)}.")


class PgDatabase:
    """An open desk on a PostgreSQL server."""

    dialect = dialect.POSTGRESQL

    def __init__(self, raw: psycopg.Connection, target: str, timeout: float = 5.0,
                 login: dict | None = None):
        self.conn = Connection(raw, target, timeout, login)
        self.target = target

    def execute(self, sql: str, params: Any = None) -> Cursor:
        return self.conn.execute(sql, params)

    def executescript(self, sql: str) -> None:
        self.conn.raw.execute(sql)  # type: ignore[arg-type]  # a script of our own, no params

    def query(self, sql: str, params: Any = None) -> Generator[dict, None, None]:
        with self.conn.raw.cursor(row_factory=dict_row) as cur:
            cur.execute(translate(sql, returning=False, placeholders=params is not None,
                                  named=isinstance(params, dict)), _params(params))
            if cur.description:
                yield from cur

    def table_names(self) -> list[str]:
        return [r[0] for r in self.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ?",
            [SCHEMA])]

    @contextmanager
    def atomic(self) -> Generator[PgDatabase, None, None]:
        """The outermost block is the transaction, and takes the desk's write lock first;
        nested blocks are savepoints."""
        raw = self.conn.raw
        if self.conn.in_transaction:
            with raw.transaction():
                yield self
            return
        raw.execute("BEGIN")
        with committed(lambda: raw.execute("COMMIT"), self.rollback):
            raw.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK])
            yield self

    def rollback(self) -> None:
        try:
            self.conn.rollback()
        except psycopg.Error:
            pass  # the connection is gone; the server rolled back already

    def close(self) -> None:
        self.conn.close()


def connect(target: str, *, timeout: float, user: str | None = None,
            password: str | None = None) -> psycopg.Connection:
    """A connection in autocommit mode (transactions are the core's own ``BEGIN``), whose
    names resolve in the desk's schema and nowhere else, that waits up to ``timeout``
    seconds for the write lock or a row another workstation holds.  ``user`` and
    ``password`` (a person signing in) go to libpq as they are, over what ``target`` says;
    with no password libpq looks in the password file, the service file and so on."""
    wait_ms = max(1, int(timeout * 1000))
    extra = {k: v for k, v in (("user", user), ("password", password)) if v}
    try:
        raw = psycopg.connect(
            target, autocommit=True, connect_timeout=10, application_name="eventrisk",
            options=f"-c search_path={SCHEMA} -c lock_timeout={wait_ms}", **extra)
    except psycopg.Error as exc:
        raise server_error(exc, target) from exc
    # SQLite has no decimal type: a sum of weights comes back as a float there, and must
    # here too, or a snapshot would record 4.50 (text) where the other backend records 4.5.
    raw.adapters.register_loader("numeric", FloatLoader)
    return raw


_ENVIRONMENT: tuple[tuple[type[BaseException], str], ...] = (
    (pg_errors.LockNotAvailable, "The desk's server {target} is busy with another "
                                 "workstation's change; try again in a moment."),
    (pg_errors.InsufficientPrivilege, "The desk's server {target} refused this: the account "
                                      "this workstation connects as may not do it ({detail})."),
    (pg_errors.ReadOnlySqlTransaction, "The desk's server {target} is read-only just now (a "
                                       "standby?); nothing was saved."),
    (pg_errors.DiskFull, "The desk's server {target} has no disk space left; nothing was "
                         "saved."),
    (pg_errors.AdminShutdown, "The desk's server {target} is shutting down; nothing was saved."),
)


def is_environment_failure(exc: BaseException) -> bool:
    """A failure of the server or the network rather than of our code."""
    return isinstance(exc, psycopg.OperationalError | pg_errors.InsufficientPrivilege
                      | pg_errors.ReadOnlySqlTransaction)


def server_error(exc: psycopg.Error, target: str) -> StorageError:
    """One sentence for a server failure, naming the server (never its password)."""
    where = shown(target)
    for kind, text in _ENVIRONMENT:
        if isinstance(exc, kind):
            return StorageError(text.format(target=where, detail=_first_line(exc)))
    if isinstance(exc, psycopg.OperationalError) and _wants_sign_in(exc):
        from eventrisk.pg import SignInNeededError

        return SignInNeededError(f"The desk's server {where} wants you to sign in: "
                            f"{_first_line(exc)}")
    if isinstance(exc, psycopg.OperationalError):
        return StorageError(f"The desk's server {where} cannot be reached or refused the "
                            f"connection: {_first_line(exc)}")
    return StorageError(f"The desk's server {where} reported an error: {_first_line(exc)}")


def _wants_sign_in(exc: BaseException) -> bool:
    text = str(exc).lower()
    return any(words in text for words in ("password authentication failed",
                                           "no password supplied", "ldap authentication failed",
                                           "gssapi authentication failed"))


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
