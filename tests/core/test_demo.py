"""The demo desk: outcomes that follow its documented latent risk, every status shown."""

import pytest

from eventrisk import demo
from eventrisk.db import open_database
from tests.conftest import BACKENDS, module_desk


@pytest.fixture(scope="module", params=BACKENDS)
def built(request, tmp_path_factory):
    """A demo desk of 3,000 events, made once per backend: the tests below only read it."""
    with module_desk(request, tmp_path_factory) as path:
        db = open_database(path)
        demo.build(db, venues=40, events=3000, incidents=6000, seed=11)
        yield db
        db.close()


def test_trouble_follows_the_latent_risk_not_chance_alone(built):
    db = built
    # Venues ranked by their background incidents (the propensity behind both).
    rates = db.execute("""
        WITH v AS (SELECT venue_id, count(*) AS n FROM incidents WHERE submission_id IS NULL
                   GROUP BY venue_id),
        e AS (SELECT s.id, coalesce(v.n, 0) AS n, CAST(d.incidents_noted > 0 AS INTEGER) AS trouble
              FROM debriefs d JOIN submissions s ON s.id = d.submission_id
              LEFT JOIN v ON v.venue_id = s.venue_id),
        r AS (SELECT trouble, ntile(4) OVER (ORDER BY n) AS q FROM e)
        SELECT q, avg(trouble), count(*) FROM r GROUP BY q ORDER BY q""").fetchall()
    lowest, highest = rates[0][1], rates[-1][1]
    assert highest > 1.5 * lowest, rates
    overall = db.execute("SELECT avg(CAST(incidents_noted > 0 AS INTEGER)) FROM debriefs").fetchone()[0]
    assert 0.05 < overall < 0.4  # trouble is the exception, as on a real desk


def test_linked_incidents_happen_during_their_event(built):
    db = built
    outside = db.execute("""SELECT count(*) FROM incidents i JOIN submissions s
                            ON s.id = i.submission_id
                            WHERE i.occurred_at < s.starts_at OR i.occurred_at > s.ends_at
                            """).fetchone()[0]
    linked = db.execute("SELECT count(*) FROM incidents WHERE submission_id IS NOT NULL"
                        ).fetchone()[0]
    assert linked > 20 and outside == 0
    noted = db.execute("SELECT sum(incidents_noted) FROM debriefs").fetchone()[0]
    debriefed_links = db.execute(
        "SELECT count(*) FROM incidents i JOIN debriefs d ON d.submission_id = i.submission_id"
    ).fetchone()[0]
    assert noted == debriefed_links


def test_the_stewarded_borough_reports_a_door_shortfall_that_adds_no_trouble(built):
    db = built
    short = db.execute(f"""
        SELECT v.borough = '{demo.OVERGRADED_BOROUGH}',
               avg(CAST(s.door_supervisors < 2 + max(0, (s.expected_attendance - 1) / 100)
                       AS INTEGER))
        FROM submissions s JOIN venues v ON v.id = s.venue_id GROUP BY 1 ORDER BY 1""").fetchall()
    assert short[1][1] > 0.95 and short[0][1] < 0.5, short


def test_a_small_demo_still_shows_every_upcoming_status(db):
    demo.build(db, venues=4, events=70, incidents=10, seed=2)
    statuses = {r[0] for r in db.execute("SELECT status FROM submissions WHERE starts_at > "
                                         "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')")}
    assert {"received", "assessed", "in_review", "returned", "approved", "issued",
            "cancelled"} == statuses
