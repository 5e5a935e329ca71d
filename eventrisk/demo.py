"""Demo data: a believable London desk, deterministic for a given seed and day.

Venues in real boroughs with plausible capacities; promoters; past events with debriefs;
incidents concentrated at a minority of venues (as in reality); upcoming events over the
next three weeks in every status, taken through the real workflow; demo users.
"""

from __future__ import annotations

import itertools
import json
import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TypeVar

from sqlite_utils import Database

from eventrisk import audit, users, workflow
from eventrisk.model import (
    EventType,
    IncidentCategory,
    Location,
    Role,
    SearchRegime,
    Status,
    Ticketing,
    User,
)
from eventrisk.reference import borough_names
from eventrisk.scoring import service
from eventrisk.scoring.features import licensed_finish
from eventrisk.timeutil import local_to_utc, night_of, now_utc, to_db

DEMO_USERS = (
    ("officer", "Alex Morgan", Role.OFFICER, "officer-demo"),
    ("supervisor", "Sam Patel", Role.SUPERVISOR, "supervisor-demo"),
    ("admin", "Desk Administrator", Role.ADMIN, "admin-demo"),
)

_DISTRICTS = {
    "Barking and Dagenham": "IG11 RM9", "Barnet": "N12 NW4 EN5", "Bexley": "DA5 DA14",
    "Brent": "NW10 HA9", "Bromley": "BR1 BR3", "Camden": "NW1 WC1 N7", "City of London": "EC2 EC4",
    "Croydon": "CR0 SE25", "Ealing": "W5 W13 UB1", "Enfield": "EN1 N9", "Greenwich": "SE10 SE18",
    "Hackney": "E8 E5 E9 N16", "Hammersmith and Fulham": "W6 W12 SW6", "Haringey": "N15 N17 N8",
    "Harrow": "HA1 HA3", "Havering": "RM1 RM11", "Hillingdon": "UB8 UB10", "Hounslow": "TW3 W4",
    "Islington": "N1 N5 N19", "Kensington and Chelsea": "W8 W10 SW3", "Kingston upon Thames":
    "KT1 KT2", "Lambeth": "SW9 SE11 SW2", "Lewisham": "SE13 SE14 SE6", "Merton": "SW19 CR4",
    "Newham": "E15 E16 E13", "Redbridge": "IG1 E18", "Richmond upon Thames": "TW9 TW1",
    "Southwark": "SE1 SE15 SE5", "Sutton": "SM1 SM2", "Tower Hamlets": "E1 E2 E14",
    "Waltham Forest": "E17 E10", "Wandsworth": "SW11 SW18 SW17", "Westminster": "W1 SW1 WC2",
}
_VENUE_WORDS = ("Vault", "Arches", "Warehouse", "Social", "Lounge", "Hall", "Rooms", "Yard",
                "Basement", "Depot", "Works", "Exchange", "Assembly", "Loft", "Wharf", "Ballroom")
_PLACES = ("Canal", "Railway", "Market", "Victoria", "Crown", "Foundry", "Mill", "Bridge", "Dock",
           "Garden", "Albion", "Empire", "Phoenix", "Granary", "Tannery", "Printworks")
_STREETS = ("High Street", "Church Road", "Station Road", "Mare Street", "Old Kent Road",
            "Kingsland Road", "Holloway Road", "Brixton Road", "Commercial Road", "Wharf Road")
_PROMOTER_A = ("Lantern", "Northside", "Blue Door", "Riverside", "Eastern Light", "Open Air",
               "Late Shift", "Canal Side", "Harbour", "Copper", "Silverline", "Foxglove",
               "Ember", "Parkside", "Kite", "Meridian")
_PROMOTER_B = ("Events", "Promotions", "Live", "Presents", "Collective", "Nights", "Productions")
_EVENT_A = ("Midnight", "Saturday", "Winter", "Summer", "Late", "Warehouse", "Rooftop",
            "Anniversary", "Charity", "Launch", "Friday", "Sunrise", "Spring", "Harvest")
_EVENT_B = ("Social", "Sessions", "Ball", "Party", "Gala", "Night", "Showcase", "Weekender",
            "Celebration", "Gathering", "Takeover", "Special")
_STAGE = ("Nova", "Kestrel", "Juniper", "Atlas", "Marlow", "Sable", "Orion", "Wren", "Indigo",
          "Halcyon", "Rook", "Saffron", "Tempest", "Lark", "Cobalt", "Vesper", "Quill", "Ember")
_CATEGORY_MIX = ((IncidentCategory.VIOLENCE_WITHOUT_INJURY, 30),
                 (IncidentCategory.VIOLENCE_WITH_INJURY, 22), (IncidentCategory.DISORDER, 16),
                 (IncidentCategory.DRUGS_SUPPLY, 14), (IncidentCategory.KNIFE, 7),
                 (IncidentCategory.SEXUAL_OFFENCE, 6), (IncidentCategory.OTHER, 4),
                 (IncidentCategory.FIREARM, 1))


@dataclass(frozen=True)
class DemoSummary:
    """What ``build`` created, and the demo sign-ins."""

    venues: int
    promoters: int
    events: int
    incidents: int
    upcoming: int
    users: tuple[tuple[str, str, str], ...]


T = TypeVar("T")


def _pick(rng: random.Random, pairs: tuple[tuple[T, int], ...]) -> T:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _local(day, hh: int, mm: int = 0) -> datetime:
    try:
        return local_to_utc(datetime.combine(day, time(hh, mm)))
    except ValueError:
        return local_to_utc(datetime.combine(day, time(hh + 1, mm)))


def build(db: Database, *, venues: int = 60, events: int = 600, incidents: int = 400,
          seed: int = 1, today=None, progress=None) -> DemoSummary:
    """Fill the database with demo data (into an empty desk, or beside existing data)."""
    rng = random.Random(seed)
    today = today or now_utc().date()
    actor = "demo"
    say = progress or (lambda _msg: None)
    boroughs = list(borough_names())
    upcoming_n = max(min(events // 10, 40), min(events // 20, 2000))
    past_n = events - upcoming_n
    span_days = max(365, past_n * 365 // 10_000)
    with db.atomic():  # all of it or none of it
        created_users = _ensure_users(db)
        say("venues")
        venue_rows = []
        codes_base = db.execute("SELECT count(*) FROM venues").fetchone()[0]
        for i in range(venues):
            borough = boroughs[i % len(boroughs)] if i < len(boroughs) else rng.choice(boroughs)
            district = rng.choice(_DISTRICTS[borough].split())
            capacity = int(_pick(rng, ((rng.randint(80, 200), 30), (rng.randint(200, 500), 35),
                                       (rng.randint(500, 1200), 25),
                                       (rng.randint(1200, 3000), 10))))
            code = f"{borough[:3].upper()}-{codes_base + i + 1:04d}"
            name = f"The {rng.choice(_PLACES)} {rng.choice(_VENUE_WORDS)}"
            venue_rows.append((code, name, f"{rng.randint(1, 400)} {rng.choice(_STREETS)}",
                               f"{district} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXY')}"
                               f"{rng.choice('ABDEFGHJLNPQRSTUWXY')}", borough, capacity,
                               f"LN/{rng.randint(100000, 999999)}", rng.choice(
                                   ("00:00", "01:00", "02:00", "03:00", "03:00", "04:00",
                                    "05:00", "06:00")),
                               int(rng.random() < 0.8), int(rng.random() < 0.25),
                               int(rng.random() < 0.35), to_db(now_utc()), actor))
        db.conn.executemany(
            "INSERT INTO venues (code, name, address, postcode, borough, capacity, licence_number,"
            " latest_finish, has_cctv, has_search_arch, has_id_scanner, updated_at, updated_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", venue_rows)
        venue_ids = [r[0] for r in db.execute(
            "SELECT id FROM venues ORDER BY id DESC LIMIT ?", [venues]).fetchall()][::-1]
        capacity_of = dict(db.execute("SELECT id, capacity FROM venues").fetchall())
        licence_of = dict(db.execute("SELECT id, latest_finish FROM venues").fetchall())
        # A minority of venues carries most incidents: Pareto-like weights by rank.
        risk = [1.0 / (rank + 1) ** 1.6 for rank in range(len(venue_ids))]
        rng.shuffle(risk)

        say("promoters")
        n_promoters = max(10, events // 30)
        promoter_rows = []
        existing = {r[0].casefold() for r in db.execute("SELECT name FROM promoters")}
        for i in range(n_promoters):
            name = f"{rng.choice(_PROMOTER_A)} {rng.choice(_PROMOTER_B)} {i + 1}"
            if name.casefold() in existing:
                continue
            promoter_rows.append((name, f"{name} Ltd", f"07{rng.randint(100000000, 999999999)}",
                                  f"bookings{i + 1}@example.org", to_db(now_utc()), actor))
        db.conn.executemany("INSERT INTO promoters (name, company, phone, email, updated_at, "
                       "updated_by) VALUES (?, ?, ?, ?, ?, ?)", promoter_rows)
        promoter_ids = [r[0] for r in db.execute("SELECT id FROM promoters").fetchall()]
        promoter_risk = [rng.random() ** 3 for _ in promoter_ids]

        say("events")
        counters: dict[int, int] = {}
        for year, top in db.execute("SELECT substr(reference, 4, 4), max(reference) FROM "
                                    "submissions GROUP BY 1").fetchall():
            counters[int(year)] = int(top[-6:])
        event_rows, past_events = [], []
        days = [today - timedelta(days=span_days - d) for d in range(span_days)]
        # Cumulative weights once: rng.choices(weights=...) would rebuild them for every event
        # (149 µs each with 1,500 venues); with cum_weights it draws the same venues.
        cum = list(itertools.accumulate(0.5 + r for r in risk))
        for i in range(events):
            upcoming = i >= past_n
            day = today + timedelta(days=rng.randint(1, 21)) if upcoming else rng.choice(days)
            venue_id = rng.choices(venue_ids, cum_weights=cum)[0]
            row = _event_row(rng, day, venue_id, capacity_of[venue_id], licence_of[venue_id],
                             promoter_ids, upcoming, counters, actor)
            event_rows.append(row)
        db.conn.executemany(
            "INSERT INTO submissions (reference, event_name, venue_id, promoter_id, event_type,"
            " starts_at, ends_at, night, expected_attendance, ticketing, min_age, alcohol,"
            " door_supervisors, search_regime, cctv, id_scanning, dispersal_plan, medical_cover,"
            " performers, received_at, notes, status, created_at, updated_at, updated_by)"
            " VALUES (" + ", ".join("?" * 25) + ")", event_rows)
        refs = [r[0] for r in event_rows]
        id_of = dict(db.execute(
            "SELECT reference, id FROM submissions WHERE reference IN (SELECT value FROM "
            "json_each(?))", [json.dumps(refs)]).fetchall())
        for row in event_rows[:past_n]:
            past_events.append((id_of[row[0]], row[2], row[3], row[5], row[6], row[21]))
        audit.record_many(db, [(actor, "submission.import", "submission", id_of[row[0]],
                                {"demo": True, "status": row[21]}, "") for row in event_rows])

        say("incidents")
        _make_incidents(db, rng, incidents, venue_ids, risk, past_events, promoter_ids,
                        promoter_risk, days, actor)
        say("debriefs")
        _make_debriefs(db, rng, past_events, actor)
        audit.record(db, actor, "demo.build", "", "",
                     {"seed": seed, "venues": venues, "events": events, "incidents": incidents})
        say("workflow")
        _walk_upcoming(db, rng, [id_of[r[0]] for r in event_rows[past_n:]])
    return DemoSummary(venues, len(promoter_rows), events, incidents, upcoming_n,
                       tuple((u, p, r.label) for u, _, r, p in DEMO_USERS
                             if u in created_users))


def _ensure_users(db: Database) -> set[str]:
    """Create the demo accounts that do not exist yet (on a desk that already has an
    administrator, that administrator adds them).  Returns the user names created."""
    existing = {u.username for u in users.list_users(db)}
    admins = [u for u in users.list_users(db) if u.role is Role.ADMIN]
    admin = admins[0] if admins else None
    created = set()
    for username, name, role, password in sorted(DEMO_USERS, key=lambda u: u[2] != Role.ADMIN):
        if username in existing or (role is Role.ADMIN and admin is not None):
            continue
        made = users.create_user(db, admin, username, name, role, password)
        admin = admin or made
        created.add(username)
    return created


def _event_row(rng, day, venue_id, capacity, latest_finish, promoter_ids, upcoming, counters,
               actor) -> tuple:
    hour = rng.choice((19, 20, 21, 22, 22, 22, 23, 23))
    start = _local(day, hour)
    end = start + timedelta(hours=rng.choice((3, 4, 5, 6, 6, 7, 8)))
    licensed = licensed_finish(start, latest_finish)
    if licensed and end > licensed and rng.random() < 0.9:  # most promoters keep to the licence
        end = max(licensed, start + timedelta(hours=2))
    ratio = rng.choice((0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0, 1.05))
    attendance = max(20, int(capacity * ratio))
    required = 2 + max(0, -(-(attendance - 100) // 100))
    doors = max(0, required + rng.choice((-2, -1, 0, 0, 0, 0, 1, 2))) if rng.random() < 0.9 \
        else None
    notice = rng.choice((2, 5, 9, 14, 16, 20, 28, 35))
    received = start - timedelta(days=notice, hours=rng.randint(0, 12))
    if upcoming and received > now_utc():
        received = now_utc() - timedelta(hours=rng.randint(1, 48))
    year = received.year
    counters[year] = counters.get(year, 0) + 1
    reference = f"ER-{year}-{counters[year]:06d}"
    min_age = 18 if rng.random() < 0.85 else rng.choice((0, 14, 16))

    def maybe(p_true: float):
        r = rng.random()
        return None if r < 0.08 else int(r < 0.08 + p_true * 0.92)

    regime = rng.choice(list(SearchRegime)) if rng.random() < 0.9 else None
    status = Status.RECEIVED if upcoming else _pick(
        rng, ((Status.DEBRIEFED, 70), (Status.ISSUED, 20), (Status.CANCELLED, 5),
              (Status.APPROVED, 5)))
    performers = [rng.choice(_STAGE) + rng.choice(("", " & " + rng.choice(_STAGE)))
                  for _ in range(rng.randint(0, 3))]
    return (reference, f"{rng.choice(_EVENT_A)} {rng.choice(_EVENT_B)}", venue_id,
            rng.choice(promoter_ids),
            _pick(rng, ((EventType.CLUB_NIGHT, 50), (EventType.CONCERT, 25),
                        (EventType.PRIVATE_HIRE, 15), (EventType.DAY_EVENT, 5),
                        (EventType.OTHER, 5))).value,
            to_db(start), to_db(end), night_of(start).isoformat(), attendance,
            _pick(rng, ((Ticketing.ADVANCE_ONLY, 40), (Ticketing.ADVANCE_AND_DOOR, 40),
                        (Ticketing.DOOR_ONLY, 15), (Ticketing.FREE_ENTRY, 5))).value,
            min_age, int(rng.random() < 0.9), doors, regime.value if regime else None,
            maybe(0.85), maybe(0.4), maybe(0.6), maybe(0.5), json.dumps(performers),
            to_db(received), "", status.value, to_db(received), to_db(received), actor)


def _make_incidents(db, rng, count, venue_ids, risk, past_events, promoter_ids, promoter_risk,
                    days, actor) -> None:
    by_venue: dict[int, list] = {}
    for ev in past_events:
        by_venue.setdefault(ev[1], []).append(ev)
    prisk = dict(zip(promoter_ids, promoter_risk, strict=True))
    base = db.execute("SELECT coalesce(max(id), 0) FROM incidents").fetchone()[0]
    rows = []
    venue_choices = rng.choices(venue_ids, weights=risk, k=count)
    for n, venue_id in enumerate(venue_choices, 1):
        events_here = by_venue.get(venue_id)
        link = None
        if events_here and rng.random() < 0.45:
            ev = rng.choice(events_here)
            if ev[5] != "cancelled" and rng.random() < 0.1 + 0.4 * prisk[ev[2]]:
                link = ev
        if link:
            start = datetime.fromisoformat(link[3].replace("Z", "+00:00"))
            end = datetime.fromisoformat(link[4].replace("Z", "+00:00"))
            when = start + (end - start) * rng.random()
        else:
            when = _local(rng.choice(days), rng.choice((21, 22, 23, 0, 1, 2, 3)) % 24,
                          rng.randint(0, 59))
        category = _pick(rng, _CATEGORY_MIX)
        rows.append((f"INC-{base + n:07d}", venue_id, to_db(when), category.value,
                     rng.choices((1, 2, 3), weights=(45, 40, 15))[0],
                     _pick(rng, ((Location.INSIDE, 50), (Location.DOOR, 25),
                                 (Location.OUTSIDE_NEARBY, 25))).value,
                     link[0] if link else None,
                     f"CAD{rng.randint(1000, 9999)}/{when:%d%b%y}" if rng.random() < 0.7 else "",
                     "", int(rng.random() < 0.4), to_db(now_utc()), actor))
        if len(rows) >= 20_000:
            _insert_incidents(db, rows)
            rows = []
    _insert_incidents(db, rows)


def _insert_incidents(db, rows) -> None:
    db.conn.executemany(
        "INSERT INTO incidents (reference, venue_id, occurred_at, category, severity, location,"
        " submission_id, crime_reference, description, venue_reported, created_at, created_by)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def _make_debriefs(db, rng, past_events, actor) -> None:
    linked = dict(db.execute("SELECT submission_id, count(*) FROM incidents WHERE submission_id "
                             "IS NOT NULL GROUP BY 1").fetchall())
    rows = []
    for sid, _venue, _promoter, _starts_at, ends_at, status in past_events:
        if status != Status.DEBRIEFED.value:
            continue
        rows.append((sid, 1, None, linked.get(sid, 0), "", ends_at, actor))
    db.conn.executemany("INSERT INTO debriefs (submission_id, went_ahead, actual_attendance, "
                   "incidents_noted, notes, recorded_at, recorded_by) VALUES "
                   "(?, ?, ?, ?, ?, ?, ?)", rows)


def _walk_upcoming(db: Database, rng: random.Random, ids: list[int]) -> None:
    """Take upcoming events through the real workflow so that every status appears."""
    officer = _demo_user(db, Role.OFFICER)
    supervisor = _demo_user(db, Role.SUPERVISOR)
    plan = [(sid, _pick(rng, (("received", 25), ("assessed", 20), ("in_review", 25),
                              ("returned", 8), ("approved", 12), ("issued", 5),
                              ("cancelled", 5)))) for sid in ids]
    if officer.id is not None:
        db.execute("UPDATE submissions SET assigned_to = ? WHERE id IN (SELECT value FROM "
                   "json_each(?))", [officer.id, json.dumps(ids)])
    to_score = [sid for sid, goal in plan if goal not in ("received", "cancelled")]
    for start in range(0, len(to_score), 500):
        chunk = to_score[start:start + 500]
        params = {f"i{k}": sid for k, sid in enumerate(chunk)}
        service.score_where(db, officer, f"s.id IN ({', '.join(':' + k for k in params)})",
                            params, assess=True)
    for sid, goal in plan:
        if goal == "cancelled":
            workflow.cancel(db, officer, sid, "Promoter withdrew the event")
            continue
        if goal in ("received", "assessed"):
            continue
        workflow.submit_for_review(db, officer, sid)
        if goal == "returned":
            workflow.return_to_officer(db, supervisor, sid,
                                       "Please confirm the door team numbers with the promoter.")
        elif goal in ("approved", "issued"):
            workflow.approve(db, supervisor, sid, "Measures agreed.")
            if goal == "issued":
                workflow.apply(db, officer, sid, "issue", detail={"demo": True})


def _demo_user(db: Database, role: Role) -> User:
    return next(u for u in users.list_users(db) if u.role is role)
