"""History features computed in SQL, for one submission or a hundred thousand at once.

For the selected submissions we build, in SQLite's temp schema, running totals of the
incidents at their venues (a window function over the ``(venue_id, occurred_at)`` index) and
of the incidents linked to their promoters' events.  Each window ("the 12 months before the
assessment") is then the difference of two running totals found by an index seek, so the
cost grows with the number of submissions, not with the incidents in their windows.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlite_utils import Database

from eventrisk import dialect
from eventrisk.scoring.catalogue import (
    CATALOGUE,
    INCIDENT_KINDS,
    LOCATION_WEIGHT,
    SEVERITY_WEIGHT,
    WINDOWS,
)
from eventrisk.timeutil import from_db, to_db

MAX_REFS = 8
_TEMP_TABLES = ("_sel", "_vcum", "_pcum", "_deb", "_nights")
_ISO = "'%Y-%m-%dT%H:%M:%SZ'"

_WEIGHT_SQL = (
    "(CASE severity " + " ".join(f"WHEN {k} THEN {v}" for k, v in SEVERITY_WEIGHT.items())
    + " ELSE 1.0 END) * (CASE location "
    + " ".join(f"WHEN '{k}' THEN {v}" for k, v in LOCATION_WEIGHT.items()) + " ELSE 1.0 END)"
)


def _in(categories: tuple[str, ...]) -> str:
    return "category IN (" + ", ".join(f"'{c}'" for c in categories) + ")"


@dataclass(frozen=True)
class History:
    """History feature values for one submission and the window boundaries used."""

    submission_id: int
    venue_id: int
    promoter_id: int
    bounds: dict[int, str]  # months back -> stored UTC text; 0 is the assessment time
    values: dict


def _cum_columns() -> list[tuple[str, str]]:
    cols = []
    for kind, (_, cats) in INCIDENT_KINDS.items():
        cols.append((f"w_{kind}", f"w * CAST(({_in(cats)}) AS INTEGER)"))
        cols.append((f"n_{kind}", f"CAST(({_in(cats)}) AS INTEGER)"))
    cols.append(("n_all", "1"))
    return cols


def _seek(table: str, key: str, bound: str, rowid: str) -> str:
    return (f"(SELECT c.{rowid} FROM {table} c WHERE c.k = x.{key} AND c.t < x.{bound} "
            f"ORDER BY c.t DESC, c.id DESC LIMIT 1)")


# Only the span the windows can reach: every window is a difference of two running totals,
# and incidents older than the oldest window start (or newer than the latest assessment time)
# take the same amount off both, so they need not be summed at all.  Scoring one event at a
# venue with a decade of incidents then reads two years of them, not ten.
# (The bounds are worked out first and passed as values, so that the index on
# (venue_id, occurred_at) seeks straight to them.)
_SPAN = "AND {column} >= :span_from AND {column} < :span_to"


# How far past a chunk's own span the running totals kept for the next chunks reach
# (``compute(..., keep=...)``).  A bulk rescore works forward through time a chunk at a time,
# and each chunk's windows look back 24 months: built for each chunk alone, the totals of a
# chunk of half a year (5,000 events on the benchmark desks) sum two and a half years of
# incidents.  Kept for the next nineteen chunks' months too (at least nine months), each
# build sums twelve years for twenty chunks: a 100,000-event desk of ten years builds once a
# process, and a million-event one a twentieth as often as chunks.  What is kept is about
# 270,000 rows in the writing process at a million events, some 50 MB (kept for half as far
# ahead, 30 MB less, for 5% more time at a million and 7% at 100,000).
KEEP_AHEAD_CHUNKS = 19
KEEP_AHEAD_DAYS = 274
_KEPT = ("_vcum", "_pcum", "_deb")


@dataclass(frozen=True)
class _Kept:
    """The running totals kept on a connection for the next ``compute`` calls."""

    venues: str  # the predicate over ``v.id`` choosing the venues they cover
    now: str
    span_from: str
    span_to: str
    revisions: tuple  # what the history triggers (m006) had counted when they were built


def _revisions(db: Database) -> tuple:
    """Every venue's and promoter's history revision, summed: it moves whenever an incident,
    a debrief or an event's time or place changes anywhere on the desk (m006's triggers)."""
    return tuple(db.execute(
        "SELECT (SELECT coalesce(sum(history_rev), 0) FROM venues), "
        "(SELECT count(*) FROM venues), (SELECT coalesce(sum(history_rev), 0) FROM promoters),"
        " (SELECT count(*) FROM promoters)").fetchone())


def release(db: Database) -> None:
    """Drop the running totals ``compute(..., keep=...)`` left on this connection (or that a
    call which failed part way through left)."""
    db.__dict__.pop("_kept_history", None)
    for statement in dialect.of(db).drop_temp(_KEPT):
        db.execute(statement)


def compute(db: Database, where: str, params: dict, now: datetime,
            keep: str | None = None, as_of: str = "min(s.starts_at, :now)") -> list[History]:
    """History features for every submission matching ``where`` (SQL over alias ``s``, with
    named ``params``).

    With ``keep`` (a predicate over ``v.id``, the venues every matching submission is at),
    the running totals are built to reach past this span (``KEEP_AHEAD_CHUNKS``) and left on the
    connection, and a later call with the same ``keep`` whose span they cover reuses them,
    unless any history has changed on the desk since (``release`` drops them).  ``as_of`` is
    the SQL for each event's assessment time: by default its start, or now if sooner."""
    sql = dialect.of(db)
    rowid = sql.rowid
    bounds = ", ".join(
        f"strftime({_ISO}, {as_of}, '-{m} months') AS t{m}" for m in WINDOWS)
    cum = _cum_columns()
    columns, picks = _columns()
    columns_sql = ", ".join(picks)
    cum_sql = ", ".join(f"sum({expr}) OVER win AS {name}" for name, expr in cum)
    # The venues (and promoters) whose history is summed: this call's own, or all those
    # ``keep`` covers, for later calls too.
    venues = (f"(SELECT id AS venue_id FROM venues v WHERE {keep})" if keep
              else "(SELECT venue_id FROM _sel)")
    # Every promoter's, when kept: few incidents are linked to an event, and those of a span
    # are read through their own index by time (m013) rather than promoter by promoter.
    promoters = ("AND i.submission_id IS NOT NULL" if keep
                 else "AND s.promoter_id IN (SELECT promoter_id FROM _sel)")
    bodies = {
        "_vcum": f"""SELECT venue_id AS k, occurred_at AS t, id, {cum_sql}
            FROM (SELECT venue_id, occurred_at, id, category, {_WEIGHT_SQL} AS w
                  FROM incidents WHERE venue_id IN {venues}
                  {_SPAN.format(column="occurred_at")} AND :bulk = 1) AS inc
            WINDOW win AS (PARTITION BY venue_id ORDER BY occurred_at, id
                           ROWS UNBOUNDED PRECEDING)""",
        "_pcum": f"""SELECT s.promoter_id AS k, i.occurred_at AS t, i.id,
            count(*) OVER win AS n, sum({_WEIGHT_SQL.replace('severity', 'i.severity')
                                         .replace('location', 'i.location')}) OVER win AS w
            FROM incidents i JOIN submissions s ON s.id = i.submission_id
            WHERE 1 = 1 {promoters}
            {_SPAN.format(column="i.occurred_at")}
            WINDOW win AS (PARTITION BY s.promoter_id ORDER BY i.occurred_at, i.id
                           ROWS UNBOUNDED PRECEDING)""",
        # The debriefs inside the span, and for each venue the last one before it (an event
        # with no debrief in its two years still needs its last): not a decade of them.
        "_deb": f"""SELECT s.venue_id AS k, s.starts_at AS t, s.id, d.incidents_noted
            FROM debriefs d JOIN submissions s ON s.id = d.submission_id
            WHERE s.venue_id IN {venues}
              AND s.starts_at >= :span_from AND s.starts_at < :span_to
            UNION ALL
            SELECT s.venue_id, s.starts_at, s.id, d.incidents_noted
            FROM (SELECT DISTINCT venue_id FROM {venues} AS w) v
            JOIN submissions s ON s.id = (
                SELECT s2.id FROM submissions s2 JOIN debriefs d2 ON d2.submission_id = s2.id
                WHERE s2.venue_id = v.venue_id AND s2.starts_at < :span_from
                ORDER BY s2.starts_at DESC, s2.id DESC LIMIT 1)
            JOIN debriefs d ON d.submission_id = s.id""",
    }
    kept_tables = []
    for name, body in bodies.items():
        kept_tables += [f"CREATE TEMP TABLE {name} AS {body}", sql.temp_index(name, "k, t, id")]
    selection = f"""SELECT s.id, s.venue_id, s.promoter_id, s.night,
            s.status, v.borough, {as_of} AS t0, {bounds}
            FROM submissions s JOIN venues v ON v.id = s.venue_id WHERE {where}"""
    named = {"now": to_db(now), "bulk": 1, **params}

    def uses(statement: str) -> dict | None:
        """The named parameters ``statement`` uses (the server refuses any others)."""
        return {k: v for k, v in named.items() if f":{k}" in statement} or None

    def run(statement: str) -> None:
        db.execute(statement, uses(statement))

    if not keep:
        # One event (a save, a what-if) is read in one statement, its tables as common table
        # expressions: temporary tables cost more to make and drop than to fill (on the
        # server a few milliseconds each, with rows in its catalogue written and removed).
        counted = f"SELECT min(t{max(WINDOWS)}), max(t0), count(*) FROM ({selection}) AS x"
        span = db.execute(counted, uses(counted)).fetchone()
        if span[2] == 1:
            named |= {"span_from": span[0], "span_to": span[1], "bulk": 0}
            tables = {"_sel": selection, **bodies, "_nights": _NIGHTS}
            query = ("WITH " + ", ".join(f"{name} AS ({body})" for name, body in tables.items())
                     + _final(columns_sql, "id"))
            return _histories(db, query, uses(query), columns, bulk=False)
    for statement in sql.drop_temp(("_sel", "_nights")):
        db.execute(statement)
    run(f"CREATE TEMP TABLE _sel AS {selection}")
    if sql.server:  # a new table has no statistics: without them the server plans
        db.execute("ANALYZE pg_temp._sel")  # for thousands of rows, not one
    span = db.execute(f"SELECT min(t{max(WINDOWS)}), max(t0), count(*) FROM _sel").fetchone()
    named["span_from"], named["span_to"] = span[0] or "", span[1] or ""
    # One event (a save, a what-if): its venue windows are one aggregate pass over the index
    # range, much cheaper than running totals; many events share those.
    named["bulk"] = int(span[2] != 1)
    keeping = bool(keep) and bool(named["bulk"]) and span[2] > 0
    kept: _Kept | None = db.__dict__.get("_kept_history")
    build = True
    if keeping:
        revisions = _revisions(db)
        build = not (kept is not None and kept.venues == keep and kept.now == named["now"]
                     and kept.revisions == revisions and kept.span_from <= named["span_from"]
                     and named["span_to"] <= kept.span_to)
        if build:  # reach the next chunks too: this chunk's length, KEEP_AHEAD_CHUNKS times
            earliest, latest = from_db(named["span_from"]), from_db(named["span_to"])
            own = latest - earliest - timedelta(days=366 * max(WINDOWS) / 12)
            named["span_to"] = to_db(latest + max(timedelta(days=KEEP_AHEAD_DAYS),
                                                  KEEP_AHEAD_CHUNKS * own))
            kept = _Kept(keep or "", named["now"], named["span_from"], named["span_to"],
                         revisions)
    if build:
        release(db)
    own_tables = tuple(t for t in _TEMP_TABLES if t not in _KEPT or not keeping)
    script = kept_tables if build else []
    script.append(f"CREATE TEMP TABLE _nights AS {_NIGHTS}")
    for statement in script:
        if statement.startswith("CREATE INDEX") and not named["bulk"]:
            continue  # one event's tables hold a few rows: nothing to seek through
        run(statement)
    if keeping and build:
        db.__dict__["_kept_history"] = kept
    if sql.server and named["bulk"]:  # the seeks below plan on what these hold
        fresh = _TEMP_TABLES if build else own_tables
        db.execute("ANALYZE " + ", ".join(f"pg_temp.{t}" for t in fresh))

    out = _histories(db, _final(columns_sql, rowid), None, columns, bulk=bool(named["bulk"]))
    for statement in sql.drop_temp(own_tables):
        db.execute(statement)
    return out


_NIGHTS = """SELECT s.night, v.borough, count(*) AS n
            FROM submissions s JOIN venues v ON v.id = s.venue_id
            WHERE s.status != 'cancelled' AND s.night IN (SELECT night FROM _sel)
            GROUP BY s.night, v.borough"""


def _columns() -> tuple[list[str], list[str]]:
    """The history features' names, and the SQL working each out: each window a difference of
    running totals, column by column."""
    columns, picks = [], []
    for m in WINDOWS:
        for kind in INCIDENT_KINDS:
            columns.append(f"venue_{kind}_{m}m")
            picks.append(f"round(coalesce(a0.w_{kind}, 0) - coalesce(a{m}.w_{kind}, 0), 2)")
            columns.append(f"venue_{kind}_{m}m_count")
            picks.append(f"coalesce(a0.n_{kind}, 0) - coalesce(a{m}.n_{kind}, 0)")
    columns += ["venue_incidents_12m_count", "promoter_incidents_24m_count",
                "promoter_incidents_24m", "last_debrief_incidents", "months_since_last_debrief",
                "same_night_borough_events"]
    picks += ["coalesce(a0.n_all, 0) - coalesce(a12.n_all, 0)",
              "coalesce(p0.n, 0) - coalesce(p24.n, 0)",
              "round(coalesce(p0.w, 0) - coalesce(p24.w, 0), 2)",
              "coalesce(d.incidents_noted, 0)",
              "coalesce(round((julianday(x.t0) - julianday(d.t)) / 30.44, 1), 99.0)",
              "coalesce(nt.n, 0) - CAST((x.status != 'cancelled') AS INTEGER)"]
    return columns, picks


def _final(picks: str, rowid: str) -> str:
    """The statement reading every selected event's features out of ``_sel`` and the running
    totals (``rowid``: the column naming a row of them)."""
    seeks = ", ".join([_seek("_vcum", "venue_id", "t0", rowid) + " AS v0"]
                      + [_seek("_vcum", "venue_id", f"t{m}", rowid) + f" AS v{m}"
                         for m in WINDOWS]
                      + [_seek("_pcum", "promoter_id", "t0", rowid) + " AS p0",
                         _seek("_pcum", "promoter_id", "t24", rowid) + " AS p24",
                         _seek("_deb", "venue_id", "t0", rowid) + " AS d0"])
    return f"""
        SELECT x.id, x.venue_id, x.promoter_id, x.t0, {', '.join(f'x.t{m}' for m in WINDOWS)},
               {picks}
        FROM (SELECT x.*, {seeks} FROM _sel x) x
        LEFT JOIN _vcum a0 ON a0.{rowid} = x.v0
        {' '.join(f'LEFT JOIN _vcum a{m} ON a{m}.{rowid} = x.v{m}' for m in WINDOWS)}
        LEFT JOIN _pcum p0 ON p0.{rowid} = x.p0 LEFT JOIN _pcum p24 ON p24.{rowid} = x.p24
        LEFT JOIN _deb d ON d.{rowid} = x.d0
        LEFT JOIN _nights nt ON nt.night = x.night AND nt.borough = x.borough
        ORDER BY x.id"""


def _histories(db: Database, query: str, params: dict | None, columns: list[str],
               bulk: bool) -> list[History]:
    out = []
    first = 4 + len(WINDOWS)
    for row in db.execute(query, params):
        values = dict(zip(columns, row[first:], strict=True))
        values["last_debrief_had_incidents"] = values["last_debrief_incidents"] > 0
        bounds_map = {0: row[3], **{m: row[4 + i] for i, m in enumerate(WINDOWS)}}
        if not bulk:
            values |= _venue_windows(db, row[1], bounds_map)
        out.append(History(row[0], row[1], row[2], bounds_map, values))
    return out


def _venue_windows(db: Database, venue_id: int, bounds: dict[int, str]) -> dict:
    """The venue's window features for one event: its index range grouped by kind, severity,
    location and window, then added up here (the same values the running totals give:
    weights are multiples of 0.25, so the sums are exact)."""
    ordered = sorted(WINDOWS)
    bucket = " ".join(f"WHEN occurred_at >= :t{m} THEN {m}" for m in ordered[:-1])
    # Counted here rather than by GROUP BY: SQLite would sort the whole range to group it,
    # while the covering index hands the rows over in one quick pass.
    rows = Counter(db.execute(
        f"SELECT category, severity, location, CASE {bucket} ELSE {ordered[-1]} END "
        f"FROM incidents WHERE venue_id = :venue AND occurred_at >= :t{ordered[-1]} AND "
        "occurred_at < :t0",
        {"venue": venue_id, **{f"t{m}": bound for m, bound in bounds.items()}}))
    out: dict = {}
    for m in WINDOWS:
        for kind in INCIDENT_KINDS:
            out[f"venue_{kind}_{m}m"] = 0.0
            out[f"venue_{kind}_{m}m_count"] = 0
    out["venue_incidents_12m_count"] = 0
    for (category, severity, location, window), count in rows.items():
        weight = SEVERITY_WEIGHT.get(severity, 1.0) * LOCATION_WEIGHT.get(location, 1.0)
        for m in WINDOWS:
            if window > m:
                continue  # older than this window
            if m == 12:
                out["venue_incidents_12m_count"] += count
            for kind, (_, cats) in INCIDENT_KINDS.items():
                if category in cats:
                    out[f"venue_{kind}_{m}m"] += weight * count
                    out[f"venue_{kind}_{m}m_count"] += count
    for m in WINDOWS:
        for kind in INCIDENT_KINDS:
            out[f"venue_{kind}_{m}m"] = round(out[f"venue_{kind}_{m}m"], 2)
    return out


def ref_requests(key: object, hist: History, feature_names: set[str]) -> list[tuple]:
    """What ``incident_refs_bulk`` must look up for one submission's history features."""
    out = []
    for name in sorted(feature_names):
        f = CATALOGUE.get(name)
        if f is None or not f.window_months or not hist.values.get(name):
            continue
        if name.startswith("venue_"):
            out.append((key, name, "venue", hist.venue_id, hist.bounds[f.window_months],
                        hist.bounds[0], "," + ",".join(f.categories) + ","))
        else:
            out.append((key, name, "promoter", hist.promoter_id, hist.bounds[24],
                        hist.bounds[0], ""))
    return out


_SEP = "\x1f"
# Each look-up is a row of its own table (``q``), so the correlated subquery compares plain
# columns: reading them out of a JSON array cost a json_extract per incident it walked past.
_REFS_SQL = {
    "venue": f"""
        SELECT q.i, (SELECT group_concat(reference, ?) FROM (
             SELECT i.reference FROM incidents i
             WHERE i.venue_id = q.k AND i.occurred_at >= q.t_from AND i.occurred_at < q.t_to
               AND instr(q.categories, ',' || i.category || ',') > 0
             ORDER BY i.occurred_at DESC, i.id DESC LIMIT {MAX_REFS}) AS newest)
        FROM {{lookups}} q WHERE q.kind = 'venue'""",
    "promoter": f"""
        SELECT q.i, (SELECT group_concat(reference, ?) FROM (
             SELECT i.reference FROM incidents i JOIN submissions s ON s.id = i.submission_id
             WHERE s.promoter_id = q.k AND i.occurred_at >= q.t_from
               AND i.occurred_at < q.t_to
             ORDER BY i.occurred_at DESC, i.id DESC LIMIT {MAX_REFS}) AS newest)
        FROM {{lookups}} q WHERE q.kind = 'promoter'""",
}
_LOOKUP_COLUMNS = ("kind", "k", "t_from", "t_to", "categories")
# Up to this many look-ups (one event's, or a few) are given as a VALUES list; more go into a
# temporary table, which costs a few milliseconds to make and drop.
_LISTED = 40


def incident_refs_bulk(db: Database, requests: list[tuple]) -> dict[tuple, tuple[str, ...]]:
    """References of the newest incidents (at most 8) for many ``ref_requests`` at once:
    ``{(key, feature): refs}``, one statement per kind of history.  Identical look-ups (a
    weighted feature and its count, or events at one venue assessed at the same moment) are
    made once."""
    out: dict[tuple, tuple[str, ...]] = {}
    lookups: dict[tuple, list[tuple]] = {}
    for r in requests:
        lookups.setdefault(r[2:], []).append(r[:2])
    if not lookups:
        return out
    owners = list(lookups.values())
    if len(lookups) <= _LISTED:
        rows = ", ".join(["(CAST(? AS INTEGER), ?, CAST(? AS INTEGER), ?, ?, ?)"] * len(lookups))
        listed = [v for i, lookup in enumerate(lookups) for v in (i, *lookup)]
        for kind, sql in _REFS_SQL.items():
            if any(lookup[0] == kind for lookup in lookups):
                query = (f"WITH q (i, {', '.join(_LOOKUP_COLUMNS)}) AS (VALUES {rows}) "
                         + sql.format(lookups="q"))
                _gather(db.execute(query, [*listed, _SEP]), owners, out)
        return out
    temp = dialect.of(db).temp
    db.execute(f"DROP TABLE IF EXISTS {temp}_ref_lookups")
    # Made by CREATE ... AS, not INSERT: an INSERT would open a transaction on the desk
    # (Python's sqlite3 begins one before any DML) that nothing here would end.
    columns = ", ".join(f"json_extract(value, '$[{n}]') AS {name}" for n, name in
                        enumerate(_LOOKUP_COLUMNS)
                        ).replace("json_extract(value, '$[1]')",
                                  "CAST(json_extract(value, '$[1]') AS INTEGER)")
    db.execute(f"CREATE TEMP TABLE _ref_lookups AS SELECT key AS i, {columns} "
               "FROM json_each(?)", [json.dumps(list(lookups))])
    try:
        for sql in _REFS_SQL.values():
            _gather(db.execute(sql.format(lookups=f"{temp}_ref_lookups"), [_SEP]), owners, out)
    finally:
        db.execute(f"DROP TABLE IF EXISTS {temp}_ref_lookups")
    return out


def _gather(rows, owners: list[list[tuple]], out: dict) -> None:
    for i, refs in rows:
        if refs:
            found = tuple(refs.split(_SEP))
            for owner in owners[i]:
                out[owner] = found


def incident_refs(db: Database, hist: History, feature_names: set[str]) -> dict[str, tuple]:
    """References behind each named history feature of one submission."""
    found = incident_refs_bulk(db, ref_requests(0, hist, feature_names))
    return {name: refs for (_, name), refs in found.items()}
