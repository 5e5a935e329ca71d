"""History features computed in SQL, for one submission or a hundred thousand at once.

For the selected submissions we build, in SQLite's temp schema, running totals of the
incidents at their venues (a window function over the ``(venue_id, occurred_at)`` index) and
of the incidents linked to their promoters' events.  Each window ("the 12 months before the
assessment") is then the difference of two running totals found by an index seek, so the
cost grows with the number of submissions, not with the incidents in their windows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from eventrisk.scoring.catalogue import (
    CATALOGUE,
    INCIDENT_KINDS,
    LOCATION_WEIGHT,
    SEVERITY_WEIGHT,
    WINDOWS,
)
from eventrisk.timeutil import to_db

MAX_REFS = 8
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
        cols.append((f"w_{kind}", f"{_WEIGHT_SQL} * ({_in(cats)})"))
        cols.append((f"n_{kind}", f"({_in(cats)})"))
    cols.append(("n_all", "1"))
    return cols


def _seek(table: str, key: str, bound: str) -> str:
    return (f"(SELECT c.rowid FROM {table} c WHERE c.k = x.{key} AND c.t < x.{bound} "
            f"ORDER BY c.t DESC, c.id DESC LIMIT 1)")


def compute(db: Database, where: str, params: dict, now: datetime) -> list[History]:
    """History features for every submission matching ``where`` (SQL over alias ``s``, with
    named ``params``)."""
    bounds = ", ".join(
        f"strftime({_ISO}, min(s.starts_at, :now), '-{m} months') AS t{m}" for m in WINDOWS)
    cum = _cum_columns()
    cum_sql = ", ".join(f"sum({expr}) OVER win AS {name}" for name, expr in cum)
    script = [
        "DROP TABLE IF EXISTS temp._sel", "DROP TABLE IF EXISTS temp._vcum",
        "DROP TABLE IF EXISTS temp._pcum", "DROP TABLE IF EXISTS temp._deb",
        "DROP TABLE IF EXISTS temp._nights",
        f"""CREATE TEMP TABLE _sel AS SELECT s.id, s.venue_id, s.promoter_id, s.night,
            s.status, v.borough, min(s.starts_at, :now) AS t0, {bounds}
            FROM submissions s JOIN venues v ON v.id = s.venue_id WHERE {where}""",
        f"""CREATE TEMP TABLE _vcum AS SELECT venue_id AS k, occurred_at AS t, id, {cum_sql}
            FROM incidents WHERE venue_id IN (SELECT venue_id FROM _sel)
            WINDOW win AS (PARTITION BY venue_id ORDER BY occurred_at, id
                           ROWS UNBOUNDED PRECEDING)""",
        "CREATE INDEX temp._vcum_k ON _vcum(k, t, id)",
        f"""CREATE TEMP TABLE _pcum AS SELECT s.promoter_id AS k, i.occurred_at AS t, i.id,
            count(*) OVER win AS n, sum({_WEIGHT_SQL.replace('severity', 'i.severity')
                                         .replace('location', 'i.location')}) OVER win AS w
            FROM incidents i JOIN submissions s ON s.id = i.submission_id
            WHERE s.promoter_id IN (SELECT promoter_id FROM _sel)
            WINDOW win AS (PARTITION BY s.promoter_id ORDER BY i.occurred_at, i.id
                           ROWS UNBOUNDED PRECEDING)""",
        "CREATE INDEX temp._pcum_k ON _pcum(k, t, id)",
        """CREATE TEMP TABLE _deb AS SELECT s.venue_id AS k, s.starts_at AS t, s.id,
            d.incidents_noted FROM debriefs d JOIN submissions s ON s.id = d.submission_id
            WHERE s.venue_id IN (SELECT venue_id FROM _sel)""",
        "CREATE INDEX temp._deb_k ON _deb(k, t, id)",
        """CREATE TEMP TABLE _nights AS SELECT s.night, v.borough, count(*) AS n
            FROM submissions s JOIN venues v ON v.id = s.venue_id
            WHERE s.status != 'cancelled' AND s.night IN (SELECT night FROM _sel)
            GROUP BY s.night, v.borough""",
    ]
    named = {"now": to_db(now), **params}
    for statement in script:
        uses = {k: v for k, v in named.items() if f":{k}" in statement}
        db.execute(statement, uses)

    seeks = ", ".join([_seek("_vcum", "venue_id", "t0") + " AS v0"]
                      + [_seek("_vcum", "venue_id", f"t{m}") + f" AS v{m}" for m in WINDOWS]
                      + [_seek("_pcum", "promoter_id", "t0") + " AS p0",
                         _seek("_pcum", "promoter_id", "t24") + " AS p24",
                         _seek("_deb", "venue_id", "t0") + " AS d0"])
    names = [n for n, _ in cum]
    picks = []
    for alias in ["a0"] + [f"a{m}" for m in WINDOWS]:
        picks += [f"coalesce({alias}.{n}, 0)" for n in names]
    query = f"""
        SELECT x.id, x.venue_id, x.promoter_id, x.t0, {', '.join(f'x.t{m}' for m in WINDOWS)},
               {', '.join(picks)},
               coalesce(p0.n, 0) - coalesce(p24.n, 0), coalesce(p0.w, 0) - coalesce(p24.w, 0),
               d.incidents_noted, (julianday(x.t0) - julianday(d.t)) / 30.44,
               coalesce(nt.n, 0) - (x.status != 'cancelled')
        FROM (SELECT x.*, {seeks} FROM _sel x) x
        LEFT JOIN _vcum a0 ON a0.rowid = x.v0
        {' '.join(f'LEFT JOIN _vcum a{m} ON a{m}.rowid = x.v{m}' for m in WINDOWS)}
        LEFT JOIN _pcum p0 ON p0.rowid = x.p0 LEFT JOIN _pcum p24 ON p24.rowid = x.p24
        LEFT JOIN _deb d ON d.rowid = x.d0
        LEFT JOIN _nights nt ON nt.night = x.night AND nt.borough = x.borough
        ORDER BY x.id"""
    out = []
    width = len(names)
    for row in db.execute(query):
        sid, venue_id, promoter_id, t0 = row[0], row[1], row[2], row[3]
        bounds_map = {0: t0, **{m: row[4 + i] for i, m in enumerate(WINDOWS)}}
        base = 4 + len(WINDOWS)
        now_vals = row[base:base + width]
        values: dict = {}
        for i, m in enumerate(WINDOWS):
            then = row[base + width * (i + 1): base + width * (i + 2)]
            diff = dict(zip(names, (a - b for a, b in zip(now_vals, then, strict=True)),
                            strict=True))
            for kind in INCIDENT_KINDS:
                values[f"venue_{kind}_{m}m"] = round(diff[f"w_{kind}"], 2)
                values[f"venue_{kind}_{m}m_count"] = int(diff[f"n_{kind}"])
            if m == 12:
                values["venue_incidents_12m_count"] = int(diff["n_all"])
        p_n, p_w, deb_n, deb_months, nights = row[base + width * (len(WINDOWS) + 1):]
        values["promoter_incidents_24m_count"] = int(p_n)
        values["promoter_incidents_24m"] = round(p_w, 2)
        values["last_debrief_incidents"] = int(deb_n or 0)
        values["last_debrief_had_incidents"] = bool(deb_n)
        values["months_since_last_debrief"] = round(deb_months, 1) if deb_months is not None \
            else 99.0
        values["same_night_borough_events"] = int(nights)
        out.append(History(sid, venue_id, promoter_id, bounds_map, values))
    for table in ("_sel", "_vcum", "_pcum", "_deb", "_nights"):
        db.execute(f"DROP TABLE IF EXISTS temp.{table}")
    return out


def incident_refs(db: Database, history: History, feature_names: set[str]) -> dict[str, tuple]:
    """References of the newest incidents behind each named history feature (at most 8 each)."""
    wanted = [CATALOGUE[n] for n in feature_names
              if n in CATALOGUE and CATALOGUE[n].window_months and history.values.get(n)]
    refs: dict[str, tuple] = {}
    venue_feats = [f for f in wanted if f.name.startswith("venue_")]
    if venue_feats:
        widest = max(f.window_months for f in venue_feats)
        cats = sorted({c for f in venue_feats for c in f.categories})
        rows = db.execute(
            f"SELECT reference, category, occurred_at FROM incidents WHERE venue_id = ? AND "
            f"occurred_at >= ? AND occurred_at < ? AND {_in(tuple(cats))} "
            f"ORDER BY occurred_at DESC, id DESC LIMIT 400",
            [history.venue_id, history.bounds[widest], history.bounds[0]]).fetchall()
        for f in venue_feats:
            start = history.bounds[f.window_months]
            refs[f.name] = tuple(r[0] for r in rows if r[1] in f.categories and r[2] >= start
                                 )[:MAX_REFS]
    if any(f.name.startswith("promoter_") for f in wanted):
        rows = db.execute(
            "SELECT i.reference FROM incidents i JOIN submissions s ON s.id = i.submission_id "
            "WHERE s.promoter_id = ? AND i.occurred_at >= ? AND i.occurred_at < ? "
            "ORDER BY i.occurred_at DESC LIMIT ?",
            [history.promoter_id, history.bounds[24], history.bounds[0], MAX_REFS]).fetchall()
        for f in wanted:
            if f.name.startswith("promoter_"):
                refs[f.name] = tuple(r[0] for r in rows)
    return refs
