"""Invariants of the scorer, checked with hypothesis on real databases."""

from contextlib import ExitStack
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventrisk import incidents, submissions, users
from eventrisk.db import open_database
from eventrisk.model import Incident, IncidentCategory, Location, Role, Severity, Venue
from eventrisk.scoring import service, whatif
from eventrisk.scoring.rules import default_ruleset
from eventrisk.timeutil import now_utc
from eventrisk.validation import validate_submission
from eventrisk.venues import create_venue
from tests.conftest import event_fields, memory_desk

RULESET = default_ruleset()
NOW = now_utc().replace(second=0)

event = st.fixed_dictionaries({
    "expected_attendance": st.integers(20, 3000).map(str),
    "door_supervisors": st.integers(0, 40).map(str),
    "search_regime": st.sampled_from(["", "none", "bag_search", "pat_down", "wand",
                                      "search_arch"]),
    "ticketing": st.sampled_from(["advance_only", "advance_and_door", "door_only",
                                  "free_entry"]),
    "min_age": st.sampled_from(["0", "16", "18", "21"]),
    "cctv": st.sampled_from(["", "true", "false"]),
    "dispersal_plan": st.sampled_from(["", "true", "false"]),
    "hours": st.integers(2, 10),
})
incident = st.tuples(st.sampled_from(list(IncidentCategory)), st.sampled_from(list(Severity)),
                     st.sampled_from(list(Location)), st.integers(1, 900))


BACKENDS = pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])


class Desks:
    """Where a test's examples are built.  On a file, each example has an in-memory desk of
    its own.  On the server, the test has ``count`` desks for all its examples (a database an
    example cost the server a tenth of a second), and each example is at a venue of its own on
    a night of its own: nothing one example records reaches another's features."""

    def __init__(self, backend: str, count: int, stack: ExitStack):
        self.server = backend == "postgresql"
        self.count = count
        self.made = 0
        self.shared = []
        if self.server:
            from tests import pg

            for _ in range(count):
                db = open_database(pg.url(stack.enter_context(pg.fresh_desk())))
                stack.callback(db.close)
                admin = users.create_user(db, None, "admin", "Admin", Role.ADMIN, "password1")
                self.shared.append((db, admin))

    def build(self, fields: dict, history: list) -> list[tuple]:
        """The example on each desk: [(db, admin, submission)], the same on every one."""
        self.made += 1
        if not self.server:
            out = []
            for _ in range(self.count):
                db = memory_desk()
                admin = users.create_user(db, None, "admin", "Admin", Role.ADMIN, "password1")
                out.append(build(db, admin, fields, history, "V1", 0))
            return out
        return [build(db, admin, fields, history, f"V{self.made}", self.made)
                for db, admin in self.shared]


@pytest.fixture
def desks(backend):
    """``desks(count)``: the test's Desks, made at its first example."""
    made: dict[int, Desks] = {}
    with ExitStack() as stack:
        def get(count: int = 1) -> Desks:
            if count not in made:
                made[count] = Desks(backend, count, stack)
            return made[count]
        yield get


def build(db, admin, fields: dict, history: list, code: str, night: int):
    create_venue(db, admin, Venue(code=code, name="Hall", address="1 Road", postcode="E8 1AA",
                                  borough="Hackney", capacity=800, latest_finish="03:00"))
    raw = {k: v for k, v in fields.items() if k != "hours"}
    start = (NOW + timedelta(days=10 + night)).astimezone().replace(hour=21, minute=0,
                                                                    tzinfo=None)
    raw |= {"venue_code": code, "start": start.isoformat(timespec="minutes"),
            "end": (start + timedelta(hours=fields["hours"])).isoformat(timespec="minutes")}
    sub = submissions.create(db, admin, validate_submission(event_fields(**raw)))
    for category, severity, location, days in history:
        add(db, admin, code, category, severity, location, days)
    return db, admin, sub


def add(db, admin, code, category, severity, location, days):
    incidents.create(db, admin, Incident(venue_code=code, occurred_at=NOW - timedelta(days=days),
                                         category=category, severity=severity,
                                         location=location))


def current_score(db, sub):
    scored = next(service.iter_features(db, "s.id = :id", {"id": sub.id}, NOW))
    return service.explained(db, scored, RULESET)


# The ``desks`` fixture is made once a test, on purpose (see ``Desks``).
SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])


@BACKENDS
@SETTINGS
@given(event, st.lists(incident, max_size=6), incident)
def test_one_more_incident_never_lowers_the_score(desks, fields, history, extra):
    [(db, admin, sub)] = desks().build(fields, history)
    before = current_score(db, sub)
    add(db, admin, sub.venue_code, *extra)
    after = current_score(db, sub)
    assert after.score >= before.score
    assert after.grade.rank >= before.grade.rank


@BACKENDS
@SETTINGS
@given(event, st.lists(incident, max_size=4))
def test_one_more_door_supervisor_never_raises_the_score(desks, fields, history):
    [(db, _, sub)] = desks().build(fields, history)
    what_if = whatif.WhatIf(db, sub.id, NOW)
    now = what_if.try_measures({}).proposed
    more = what_if.try_measures({"door_supervisors": (sub.door_supervisors or 0) + 1}).proposed
    assert more.score <= now.score


@BACKENDS
@SETTINGS
@given(event, st.lists(incident, max_size=4), st.integers(1, 120))
def test_an_earlier_finish_never_raises_the_score(desks, fields, history, minutes):
    [(db, _, sub)] = desks().build(fields, history)
    what_if = whatif.WhatIf(db, sub.id, NOW)
    earlier = max(sub.start + timedelta(minutes=30), sub.end - timedelta(minutes=minutes))
    now = what_if.try_measures({}).proposed
    sooner = what_if.try_measures({"end": earlier}).proposed
    assert sooner.score <= now.score


@BACKENDS
@SETTINGS
@given(event, st.lists(incident, max_size=4))
def test_the_same_inputs_always_give_the_same_output(desks, fields, history):
    # Two desks given the same examples in the same order: their records stay alike, down to
    # every reference.
    (db, _, sub), (db2, _, sub2) = desks(2).build(fields, history)
    assert current_score(db, sub) == current_score(db, sub)
    assert current_score(db2, sub2).as_dict() == current_score(db, sub).as_dict()
