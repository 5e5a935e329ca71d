"""Demo data: a believable London desk, deterministic for a given seed and day.

Venues in real boroughs with plausible capacities; promoters; past events with debriefs,
each scored as of its decision at the desk's review and taken through the workflow to its
recorded status (``_walk_past``), so that the Accountability view measures real decisions at
once; incidents concentrated at a minority of venues (as in reality); upcoming events over
the next three weeks in every status, taken through the real workflow; demo users.

**Outcomes follow a documented latent risk**, so that calibrating the grades on demo data
finds a real, imperfect relationship rather than noise.  Each past event has a latent risk
(a log-odds) made of:

- the venue's history propensity (the same heavy-tailed weight that places the venue's
  background incidents), ``VENUE_WEIGHT`` × log of its weight relative to the median venue;
- capacity: ``+CROWD`` for 1,000 or more expected, ``+OVERFULL`` above the venue's capacity;
- late hours: ``+LATE`` when it runs 3 hours or more past midnight;
- door shortfall: ``+DOOR_GAP`` per door supervisor below the guideline (at most 3);
- the promoter's propensity, ``+PROMOTER`` × a per-promoter draw;
- chance: a normal draw with standard deviation ``CHANCE``;

from a base of ``BASE``.  With probability ``sigmoid(latent)`` the event has trouble: one or
two incidents linked to it, moderate or serious, during its hours, which its debrief notes.
Every other incident is background at the venue on a random night.

One borough, ``OVERGRADED_BOROUGH``, is deliberately unfair to the rules: its venues run a
steward scheme that the form does not record, so its events report fewer door supervisors
than the guideline while the shortfall adds nothing to their real risk, and the scheme itself
lowers it (``STEWARDS``).  The door-shortfall rule over-grades there: its events have about
``PLANT_STRENGTH`` times the trouble their scores predict.  Its venues host at least
``STEWARDED_EVENTS`` past events (at most a quarter of a small demo), enough for the
disparity check to judge it and name it on the default demo.

Everything is written in chunks, so that a million events need no more memory than fifty
thousand.
"""

from __future__ import annotations

import itertools
import json
import math
import random
from array import array
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from eventrisk import audit, settings, users, workflow
from eventrisk.model import (
    EventType,
    Grade,
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
from eventrisk.scoring.features import hours_after_midnight, licensed_finish
from eventrisk.timeutil import from_db, local_to_utc, night_of, now_utc, to_db

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


# The latent risk of a past event (see the module's docstring).
BASE = -3.1
VENUE_WEIGHT = 0.45
CROWD = 0.5
OVERFULL = 0.4
LATE = 0.5
DOOR_GAP = 0.35
PROMOTER = 1.2
CHANCE = 0.7
OVERGRADED_BOROUGH = "Sutton"
STEWARDS = -1.3  # the steward scheme's effect on the latent risk of the borough's events
STEWARDED_EVENTS = 150  # past events the borough hosts at least (a quarter of them at most)
PLANT_STRENGTH = 0.3  # its observed ÷ expected trouble (0.29 on a 20,000-event demo)
_TROUBLE = ((IncidentCategory.VIOLENCE_WITH_INJURY, 40), (IncidentCategory.DISORDER, 20),
            (IncidentCategory.VIOLENCE_WITHOUT_INJURY, 15), (IncidentCategory.KNIFE, 12),
            (IncidentCategory.DRUGS_SUPPLY, 8), (IncidentCategory.SEXUAL_OFFENCE, 4),
            (IncidentCategory.FIREARM, 1))
EVENT_CHUNK = 50_000


def latent_risk(venue_propensity: float, attendance: int, capacity: int, late_hours: float,
                door_gap: int, promoter_propensity: float, chance: float,
                counts_door_gap: bool = True) -> float:
    """A past event's latent risk (log-odds of trouble), as the module's docstring lays out."""
    return (BASE + VENUE_WEIGHT * venue_propensity + CROWD * (attendance >= 1000)
            + OVERFULL * (attendance > capacity) + LATE * (late_hours >= 3)
            + DOOR_GAP * min(3, door_gap) * counts_door_gap
            + PROMOTER * promoter_propensity + chance + STEWARDS * (not counts_door_gap))


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


_CUM: dict[tuple, tuple[list, list]] = {}


def _pick(rng: random.Random, pairs: tuple[tuple[T, int], ...]) -> T:
    # The same draw as rng.choices(weights=...), with the cumulative weights of each fixed
    # table made once instead of on each of a few million calls.
    made = _CUM.get(pairs)
    if made is None:
        made = ([p[0] for p in pairs], list(itertools.accumulate(p[1] for p in pairs)))
        if len(_CUM) < 64:  # the module's tables; one-off tables are not kept
            _CUM[pairs] = made
    return rng.choices(made[0], cum_weights=made[1])[0]


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
        days = [today - timedelta(days=span_days - d) for d in range(span_days)]
        # Cumulative weights once: rng.choices(weights=...) would rebuild them for every event
        # (149 µs each with 1,500 venues); with cum_weights it draws the same venues.
        weight = [0.5 + r for r in risk]
        stewarded = [row[4] == OVERGRADED_BOROUGH for row in venue_rows]
        ours, total = sum(w for w, s in zip(weight, stewarded, strict=True) if s), sum(weight)
        wanted = min(0.25, STEWARDED_EVENTS / max(1, past_n))
        if 0 < ours < total and ours / total < wanted:  # its venues take that share of events
            scale = wanted / (1 - wanted) * (total - ours) / ours
            weight = [w * scale if s else w for w, s in zip(weight, stewarded, strict=True)]
        cum = list(itertools.accumulate(weight))
        middle = sorted(risk)[len(risk) // 2] or 1.0
        propensity = {v: math.log(r / middle) for v, r in zip(venue_ids, risk, strict=True)}
        borough_of = dict(db.execute("SELECT id, borough FROM venues").fetchall())
        prisk = dict(zip(promoter_ids, promoter_risk, strict=True))
        past = _Past()
        upcoming_ids: list[int] = []
        goals: list[str] = []  # each past event's recorded status, in order
        past_received: list[tuple[int, str, str, str]] = []  # id, received, start, goal
        # Past events in date order, as a desk receives them: ids and references then follow
        # time, as they do on a real desk (kept as day numbers: a million cost 8 MB).
        first_day = days[0].toordinal()
        past_days = array("l", sorted(rng.randrange(len(days)) for _ in range(past_n)))
        for lo in range(0, events, EVENT_CHUNK):
            rows, extras = [], []
            for i in range(lo, min(events, lo + EVENT_CHUNK)):
                upcoming = i >= past_n
                day = today + timedelta(days=rng.randint(1, 21)) if upcoming \
                    else date.fromordinal(first_day + past_days[i])
                venue_id = rng.choices(venue_ids, cum_weights=cum)[0]
                row, extra = _event_row(rng, day, venue_id, capacity_of[venue_id],
                                        licence_of[venue_id], promoter_ids, upcoming, counters,
                                        actor, borough_of[venue_id] == OVERGRADED_BOROUGH)
                if not upcoming:  # received; the workflow takes it to its status below
                    goals.append(row[21])
                    row = (*row[:21], Status.RECEIVED.value, *row[22:])
                rows.append(row)
                extras.append(extra)
            db.conn.executemany(
                "INSERT INTO submissions (reference, event_name, venue_id, promoter_id, "
                "event_type, starts_at, ends_at, night, expected_attendance, ticketing, min_age,"
                " alcohol, door_supervisors, search_regime, cctv, id_scanning, dispersal_plan, "
                "medical_cover, performers, received_at, notes, status, created_at, updated_at,"
                " updated_by) VALUES (" + ", ".join("?" * 25) + ")", rows)
            id_of = dict(db.execute(
                "SELECT reference, id FROM submissions WHERE reference IN (SELECT value FROM "
                "json_each(?))", [json.dumps([r[0] for r in rows])]).fetchall())
            audit.record_many(db, [(actor, "submission.import", "submission", id_of[row[0]],
                                    {"demo": True, "status": row[21]}, "") for row in rows])
            for n, (row, (start, end, late, gap)) in enumerate(zip(rows, extras,
                                                                    strict=True)):
                sid = id_of[row[0]]
                if lo + n >= past_n:
                    upcoming_ids.append(sid)
                    continue
                venue_id = row[2]
                goal = goals[lo + n]
                past_received.append((sid, row[19], row[5], goal))
                latent = latent_risk(
                    propensity[venue_id], row[8], capacity_of[venue_id], late, gap,
                    prisk[row[3]], rng.gauss(0, CHANCE),
                    counts_door_gap=borough_of[venue_id] != OVERGRADED_BOROUGH)
                past.add(sid, venue_id, start, end, goal, latent)
            say(f"events {min(events, lo + EVENT_CHUNK):,} of {events:,}")

        say("incidents")
        noted = _make_incidents(db, rng, incidents, venue_ids, risk, past, days, actor)
        say("debriefs")
        _make_debriefs(db, past, noted, actor)
        audit.record(db, actor, "demo.build", "", "",
                     {"seed": seed, "venues": venues, "events": events, "incidents": incidents})
        settings.mark_training(db)  # with its entry: verify holds the two together
        say("decisions")
        _walk_past(db, random.Random(seed + 1), past_received, say)
        say("workflow")
        _walk_upcoming(db, rng, upcoming_ids)
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
               actor, stewarded: bool = False) -> tuple[tuple, tuple]:
    """A submission row, and what its latent risk needs: (start, end, hours after midnight,
    door supervisors short of the guideline)."""
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
    if stewarded:  # the steward scheme the form does not record (see OVERGRADED_BOROUGH)
        doors = max(0, required - rng.choice((2, 3, 3, 4)))
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
    extra = (start, end, hours_after_midnight(start, end), max(0, required - (doors or 0)))
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
            to_db(received), "", status.value, to_db(received), to_db(received), actor), extra


class _Past:
    """Past events in compact arrays (a million need tens of megabytes, not gigabytes)."""

    def __init__(self) -> None:
        self.ids = array("q")
        self.venues = array("q")
        self.starts = array("d")
        self.ends = array("d")
        self.live = array("b")  # 1 went ahead (not cancelled), 0 cancelled
        self.debriefed = array("b")
        self.latent = array("d")

    def add(self, sid: int, venue_id: int, start: datetime, end: datetime, status: str,
            latent: float) -> None:
        self.ids.append(sid)
        self.venues.append(venue_id)
        self.starts.append(start.timestamp())
        self.ends.append(end.timestamp())
        self.live.append(int(status != Status.CANCELLED.value))
        self.debriefed.append(int(status == Status.DEBRIEFED.value))
        self.latent.append(latent)


def _make_incidents(db, rng, count, venue_ids, risk, past: _Past, days, actor) -> dict[int, int]:
    """Trouble at past events drawn from their latent risk (linked to the event, during its
    hours), then background incidents at venues by their weight.  Returns the incidents
    linked to each event, for its debrief."""
    base = db.execute("SELECT coalesce(max(id), 0) FROM incidents").fetchone()[0]
    stamp = to_db(now_utc())
    rows: list[tuple] = []
    noted: dict[int, int] = {}
    made = 0

    def add(venue_id, when, category, severity, location, link) -> None:
        nonlocal made, rows
        made += 1
        rows.append((f"INC-{base + made:07d}", venue_id, to_db(when), category.value,
                     severity, location.value, link,
                     f"CAD{rng.randint(1000, 9999)}/{when:%d%b%y}" if rng.random() < 0.7
                     else "", "", int(rng.random() < 0.4), stamp, actor))
        if len(rows) >= 100_000:
            _insert_incidents(db, rows)
            rows = []

    for k in range(len(past.ids)):
        if made >= count:
            break
        if not past.live[k] or rng.random() >= 1 / (1 + math.exp(-past.latent[k])):
            continue
        start, end = past.starts[k], past.ends[k]
        for _ in range(1 + (rng.random() < 0.3)):
            if made >= count:
                break
            when = datetime.fromtimestamp(start + (end - start) * rng.random(), tz=UTC)
            add(past.venues[k], when, _pick(rng, _TROUBLE), rng.choice((2, 2, 3)),
                _pick(rng, ((Location.INSIDE, 55), (Location.DOOR, 25),
                            (Location.OUTSIDE_NEARBY, 20))), past.ids[k])
            noted[past.ids[k]] = noted.get(past.ids[k], 0) + 1
    cum = list(itertools.accumulate(risk))
    while made < count:
        for venue_id in rng.choices(venue_ids, cum_weights=cum, k=min(20_000, count - made)):
            when = _local(rng.choice(days), rng.choice((21, 22, 23, 0, 1, 2, 3)) % 24,
                          rng.randint(0, 59))
            add(venue_id, when, _pick(rng, _CATEGORY_MIX),
                rng.choices((1, 2, 3), weights=(45, 40, 15))[0],
                _pick(rng, ((Location.INSIDE, 50), (Location.DOOR, 25),
                            (Location.OUTSIDE_NEARBY, 25))), None)
    _insert_incidents(db, rows)
    return noted


def _insert_incidents(db, rows) -> None:
    # In venue and time order: each batch then lands on neighbouring pages of the
    # (venue_id, occurred_at) index instead of one page per row across it.
    rows.sort(key=lambda r: (r[1], r[2]))
    db.conn.executemany(
        "INSERT INTO incidents (reference, venue_id, occurred_at, category, severity, location,"
        " submission_id, crime_reference, description, venue_reported, created_at, created_by)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def _make_debriefs(db, past: _Past, noted: dict[int, int], actor) -> None:
    sql = ("INSERT INTO debriefs (submission_id, went_ahead, actual_attendance, incidents_noted,"
           " notes, recorded_at, recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?)")
    rows = []
    for k in range(len(past.ids)):
        if not past.debriefed[k]:
            continue
        sid = past.ids[k]
        rows.append((sid, 1, None, noted.get(sid, 0), "",
                     to_db(datetime.fromtimestamp(past.ends[k], tz=UTC)), actor))
        if len(rows) >= 20_000:
            db.conn.executemany(sql, rows)
            rows = []
    db.conn.executemany(sql, rows)


# A past event was scored and decided at the desk's review meeting (``REVIEW_AT`` o'clock on
# ``REVIEW_DAYS``), the first one at least a day after it arrived, or the one after (events
# wait); an event too close for that was reviewed the morning after it arrived.  Some were
# returned once first, and some grades were overridden (see ``_walk_past``).
REVIEW_AT = 10
REVIEW_DAYS = (0, 3)  # Mondays and Thursdays
RETURNED = 0.08
OVERRIDDEN = 0.06


def decided_at(received: datetime, start: datetime, wait: int) -> datetime:
    """When a past event was scored and decided: at the ``wait``-th review meeting (0 the
    first) from the day after it arrived, or, if that falls on or after the day it starts,
    the morning after it arrived (at the latest, the morning before it starts)."""
    london = ZoneInfo("Europe/London")
    arrived = received.astimezone(london).date()
    last = start.astimezone(london).date() - timedelta(days=1)
    day = arrived + timedelta(days=1)
    while day.weekday() not in REVIEW_DAYS or wait:
        wait -= day.weekday() in REVIEW_DAYS
        day += timedelta(days=1)
    if day > last:
        day = max(min(arrived + timedelta(days=1), last), arrived)
    return max(_local(day, REVIEW_AT), received + timedelta(minutes=1))


def _walk_past(db: Database, rng: random.Random, past: list[tuple[int, str, str, str]],
               say) -> None:
    """Take each past event through the real workflow to its recorded status: scored as of
    its decision (with the ruleset in force), sent for review, returned once for some,
    approved or overridden, issued, debriefed; or cancelled.  The Accountability view then
    measures the desk's own decisions from the first day."""
    officer = _demo_user(db, Role.OFFICER)
    supervisor = _demo_user(db, Role.SUPERVISOR)
    decided: dict[int, datetime] = {}
    goal_of = {}
    for sid, received, start, goal in past:
        goal_of[sid] = goal
        if goal != Status.CANCELLED.value:
            decided[sid] = decided_at(from_db(received), from_db(start),
                                      int(rng.random() < 0.3))
    # Scored as of their decisions, a chunk at a time (each event's features as of its own).
    ids = sorted(decided)
    for lo in range(0, len(ids), EVENT_CHUNK // 5):
        chunk = {sid: decided[sid] for sid in ids[lo:lo + EVENT_CHUNK // 5]}
        results = service.score_where(
            db, officer, "s.id IN (SELECT CAST(value AS INTEGER) FROM json_each(:ids))",
            {"ids": json.dumps(list(chunk))}, decided=chunk)
        workflow.apply_many(db, officer, list(chunk), "assess", details={
            r.submission_id: {"grade": r.grade.value, "score": r.score} for r in results})
        if len(ids) > EVENT_CHUNK // 5:
            say(f"decisions {min(len(ids), lo + EVENT_CHUNK // 5):,} of {len(ids):,}")
    # Then each step for every event it applies to at once, as the workflow writes it one
    # event at a time (``workflow.apply_many``): the same rows, reviews and audit entries.
    live = [p[0] for p in past if p[3] != Status.CANCELLED.value]
    returned = [sid for sid in live if rng.random() < RETURNED]
    overridden = {sid for sid in live if rng.random() < OVERRIDDEN}
    workflow.apply_many(db, officer, [p[0] for p in past if p[3] == Status.CANCELLED.value],
                        "cancel", reason="Promoter withdrew the event")
    workflow.apply_many(db, officer, live, "submit_for_review")
    workflow.apply_many(db, supervisor, returned, "return",
                        reason="Please confirm the door team numbers with the promoter.")
    workflow.apply_many(db, officer, returned, "submit_for_review",
                        reason="Door team confirmed.")
    workflow.apply_many(db, supervisor, [sid for sid in live if sid not in overridden],
                        "approve", reason="Measures agreed.")
    grades = dict(db.execute("SELECT id, grade FROM submissions WHERE id IN (SELECT "
                             "CAST(value AS INTEGER) FROM json_each(?))",
                             [json.dumps(sorted(overridden))]).fetchall())
    for sid in sorted(overridden):  # a few: one at a time, each with its own grade
        grade = Grade(grades[sid])
        up = grade is not Grade.CRITICAL and (grade is Grade.LOW or rng.random() < 0.5)
        other = list(Grade)[list(Grade).index(grade) + (1 if up else -1)]
        workflow.override(db, supervisor, sid, other,
                          "Local knowledge: the licensing team's last visit found "
                          + ("problems the history does not show." if up else
                             "new management and a new, well-run door team."))
    issued = [sid for sid in live if goal_of[sid] != Status.APPROVED.value]
    workflow.apply_many(db, officer, issued, "issue", detail={"demo": True})
    workflow.apply_many(db, officer, [sid for sid in issued
                                      if goal_of[sid] == Status.DEBRIEFED.value],
                        "debrief", detail={"demo": True})


def _walk_upcoming(db: Database, rng: random.Random, ids: list[int]) -> None:
    """Take upcoming events through the real workflow so that every status appears."""
    officer = _demo_user(db, Role.OFFICER)
    supervisor = _demo_user(db, Role.SUPERVISOR)
    mix = (("received", 25), ("assessed", 20), ("in_review", 25), ("returned", 8),
           ("approved", 12), ("issued", 5), ("cancelled", 5))
    # Every status at least once (a small demo must still show them all), then by the mix.
    goals = [goal for goal, _ in mix]
    rng.shuffle(goals)
    plan = [(sid, goals[n] if n < len(goals) else _pick(rng, mix))
            for n, sid in enumerate(ids)]
    if officer.id is not None:
        db.execute("UPDATE submissions SET assigned_to = ? WHERE id IN (SELECT CAST(value AS "
                   "INTEGER) FROM "
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
