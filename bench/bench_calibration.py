"""The calibration report over 100,000 events with 500,000 incidents (issue 15: ≤ 10 s, with
progress shown): as graded at the time, and re-graded under the shipped ruleset."""

from __future__ import annotations

import time
from datetime import date

from common import big_database, report

from eventrisk.desk import Desk
from eventrisk.paths import resource


def main() -> None:
    desk = Desk.open(big_database(scored=True))
    desk.sign_in("supervisor", "supervisor-demo")
    steps: list[tuple[str, float]] = []
    start = time.perf_counter()

    def progress(step: str, _done: int, _total: int) -> None:
        steps.append((step, time.perf_counter() - start))
    for label, ruleset in (("calibration, as graded at the time", None),
                           ("calibration, re-graded under the shipped ruleset",
                            str(resource("rules", "default.toml")))):
        steps.clear()
        start = time.perf_counter()
        result = desk.calibration(date(2000, 1, 1), date.today(), ruleset, progress=progress)
        took = time.perf_counter() - start
        report(f"{label} ({result.events:,} events)", took, 10)
        print("    progress: " + ", ".join(f"{s} at {t:.1f} s" for s, t in steps))
        print(f"    AUC {result.auc:.3f}; mix " + ", ".join(
            f"{g.grade} {g.share:.0%}" for g in result.grades))
        start = time.perf_counter()
        pdf = desk.render_calibration(result)
        report(f"  its PDF ({len(pdf) // 1024} KB)", time.perf_counter() - start)
    desk.close()


if __name__ == "__main__":
    main()
