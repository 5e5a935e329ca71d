"""Desk service benchmarks at 100,000 submissions: what one use case costs a person waiting
for it (save and score, a decision on what was seen, reading the assessment as it stands),
and sign-in at production argon2 cost."""

from __future__ import annotations

import itertools
from datetime import timedelta

from common import big_database, copy_of, median_ms, report

from eventrisk import users
from eventrisk.desk import Desk
from eventrisk.timeutil import now_utc
from eventrisk.validation import validate_submission


def main() -> None:
    path = copy_of(big_database(scored=True), "desk-bench.db")
    officer = Desk.open(path)
    officer.sign_in("officer", "officer-demo")
    supervisor = Desk.open(path)
    supervisor.sign_in("supervisor", "supervisor-demo")
    db = officer.db
    venue = db.execute("SELECT v.code FROM venues v JOIN incidents i ON i.venue_id = v.id "
                       "GROUP BY v.id ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    start = (now_utc() + timedelta(days=20)).astimezone().replace(
        hour=22, minute=0, second=0, microsecond=0, tzinfo=None)
    numbers = itertools.count()

    def capture():
        n = next(numbers)
        return officer.save_submission(validate_submission({
            "event_name": f"Bench Night {n}", "venue_code": venue,
            "promoter_name": "Lantern Events", "event_type": "club_night",
            "start": start.isoformat(timespec="minutes"),
            "end": (start + timedelta(hours=4)).isoformat(timespec="minutes"),
            "expected_attendance": "300", "ticketing": "advance_only", "min_age": "18",
            "alcohol": "true", "door_supervisors": "6", "search_regime": "search_arch"}))

    report("save and score a new submission (busiest venue), one transaction",
           median_ms(capture, 9), 0.300, "ms")
    states = [capture() for _ in range(9)]
    reviewed = iter([officer.submit_for_review(s.submission.id, s.version) for s in states])
    report("approve the version seen (four eyes, audit, one transaction)",
           median_ms(lambda: (lambda s: supervisor.approve(s.submission.id, s.version))(
               next(reviewed)), 9), 0.100, "ms")
    sid = states[0].submission.id
    report("read the assessment as it stands (screen, paper, --json)",
           median_ms(lambda: supervisor.assessment(sid), 9), 0.050, "ms")
    report("open an assessment at the busiest venue (read model + what-if ready)",
           median_ms(lambda: (supervisor.assessment(sid), supervisor.what_if(sid)), 9),
           0.150, "ms")
    report("rescore-all count shown before asking", median_ms(
        supervisor.count_rescore_all, 9), 0.150, "ms")
    plain = Desk.open(path)
    if users.HASHER.memory_cost == 65536:
        report("sign in (argon2id at production cost)",
               median_ms(lambda: plain.sign_in("officer", "officer-demo"), 5), 0.5)
        report("refuse an unknown name (same cost by design)", median_ms(
            lambda: _refused(plain, "nobody"), 5), 0.5)
    for desk in (officer, supervisor, plain):
        desk.close()


def _refused(desk: Desk, name: str) -> None:
    try:
        desk.sign_in(name, "wrong")
    except Exception:  # noqa: BLE001 - expected
        pass


if __name__ == "__main__":
    main()
