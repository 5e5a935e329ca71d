"""The incidents behind each history window, read a span at a time, are exactly those a query
per window gives (the implementation they replaced, kept here as the oracle)."""

from __future__ import annotations

import json

import pytest

from eventrisk import demo
from eventrisk.db import open_database
from eventrisk.scoring import history
from eventrisk.scoring.catalogue import CATALOGUE
from eventrisk.timeutil import now_utc

_ORACLE = {
    "venue": f"""
        SELECT json_extract(r.value, '$[0]'), json_extract(r.value, '$[1]'),
          (SELECT group_concat(reference, char(31)) FROM (
             SELECT i.reference FROM incidents i
             WHERE i.venue_id = json_extract(r.value, '$[3]')
               AND i.occurred_at >= json_extract(r.value, '$[4]')
               AND i.occurred_at < json_extract(r.value, '$[5]')
               AND instr(json_extract(r.value, '$[6]'), ',' || i.category || ',') > 0
             ORDER BY i.occurred_at DESC, i.id DESC LIMIT {history.MAX_REFS}))
        FROM json_each(?) r""",
    "promoter": f"""
        SELECT json_extract(r.value, '$[0]'), json_extract(r.value, '$[1]'),
          (SELECT group_concat(reference, char(31)) FROM (
             SELECT i.reference FROM incidents i JOIN submissions s ON s.id = i.submission_id
             WHERE s.promoter_id = json_extract(r.value, '$[3]')
               AND i.occurred_at >= json_extract(r.value, '$[4]')
               AND i.occurred_at < json_extract(r.value, '$[5]')
             ORDER BY i.occurred_at DESC, i.id DESC LIMIT {history.MAX_REFS}))
        FROM json_each(?) r""",
}


def _oracle(db, requests):
    out = {}
    for kind, sql in _ORACLE.items():
        mine = [list(r) for r in requests if r[2] == kind]
        if not mine:
            continue
        for key, name, refs in db.execute(sql, [json.dumps(mine)]):
            if refs:
                out[(key, name)] = tuple(refs.split("\x1f"))
    return out


@pytest.mark.parametrize("seed", [2, 8])
def test_span_reads_give_what_a_query_per_window_gives(tmp_path, seed):
    db = open_database(tmp_path / "desk.db")
    demo.build(db, venues=6, events=400, incidents=1500, seed=seed)  # dense: 8 refs bind
    # Incidents at one moment and linked to events, so ties and promoter windows are tested.
    db.execute("UPDATE incidents SET occurred_at = (SELECT min(occurred_at) FROM incidents) "
               "WHERE id % 17 = 0")
    db.execute("UPDATE incidents SET submission_id = (SELECT id FROM submissions WHERE "
               "venue_id = incidents.venue_id ORDER BY id LIMIT 1) WHERE id % 3 = 0")
    db.conn.commit()
    hists = history.compute(db, "1", {}, now_utc())
    wanted = {name for name, f in CATALOGUE.items() if f.window_months}
    requests = [r for n, h in enumerate(hists) for r in history.ref_requests(n, h, wanted)]
    assert len(requests) > 500
    expected = _oracle(db, requests)
    assert any(len(v) == history.MAX_REFS for v in expected.values())
    assert any(k[1].startswith("promoter") for k in expected)
    assert history.incident_refs_bulk(db, requests) == expected
    db.close()
