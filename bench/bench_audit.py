"""Audit verify at scale: 1,000,000 audit entries (the 100,000-event desk, its snapshots and
enough further entries to make a million), verified in a fresh process, with its peak memory.
Target: 30 s or less, in bounded memory."""

from __future__ import annotations

import subprocess
import sys
import time

from common import PEAK_KB, ROOT, big_database, copy_of, report, signed_in_env

from eventrisk import audit
from eventrisk.db import open_database

TARGET_ENTRIES = 1_000_000

CHILD = """
import subprocess, sys, time
from eventrisk.cli import main
t0 = time.perf_counter()
code = main(["--db", sys.argv[1], "audit", "verify", "--quiet"])
took = time.perf_counter() - t0
""" + PEAK_KB + """
print("RESULT", code, took, peak_kb() / 1024)
"""


def main() -> None:
    path = copy_of(big_database(scored=True), "audit-bench.db")
    start = time.perf_counter()
    db = open_database(path)  # databases from before m003 get their baseline entries here
    report("open and migrate (baseline entries for older records)",
           time.perf_counter() - start)
    have = db.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    batch = 50_000
    with db.atomic():
        while have < TARGET_ENTRIES:
            n = min(batch, TARGET_ENTRIES - have)
            audit.record_many(db, [("(sign-in)", "user.sign_in_failed", "user", 1,
                                    {"failures": 1}, "")] * n)
            have += n
    db.close()
    print(f"{'':<58} ({have:,} audit entries)")
    out = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True,
                         text=True, cwd=ROOT.parent, env=signed_in_env(), check=False)
    line = next((x for x in out.stdout.splitlines() if x.startswith("RESULT")), "")
    if not line:
        print(out.stdout, out.stderr)
        raise SystemExit("verify did not run")
    _, code, took, rss = line.split()
    report(f"audit verify, {have:,} entries, every check (exit {code})", float(took), 30)
    report("  peak RSS of the verifying process", float(rss), 250, "MB")


if __name__ == "__main__":
    main()
