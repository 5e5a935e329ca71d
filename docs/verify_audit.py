#!/usr/bin/env python3
"""Re-verify an EventRisk audit trail with nothing but Python's standard library.

    python3 verify_audit.py desk.db [--expect N:HASH ...]

It opens the database read-only and walks the ``audit_log`` table as docs/audit-trail.md
describes: entries numbered 1, 2, 3 ... with no gap; each ``prev_hash`` equal to the hash of
the entry before (64 zeros for the first); each ``hash`` the SHA-256 of the canonical JSON
array [prev_hash, at, actor, action, entity, entity_id, detail, reason].  ``--expect`` checks
a head printed on an assessment or a pack ("audit N:HASH" in its footer).

An entry a retention run anonymised (``redacted_in`` names the run's own entry) keeps its hash
and its link; its content is checked instead against the run's entry, whose detail holds
``anonymised_entries`` (how many) and ``members_digest``: the SHA-256 of one line per
anonymised entry, in id order, each the JSON array [id, at, actor, action, entity, entity_id,
detail, reason, prev_hash, hash] as stored, no spaces, joined by newlines.

It checks the chain and witnesses only; ``eventrisk audit verify`` also reconciles the tables.
Exit status: 0 when all holds, 1 when something does not, 2 for bad arguments.
"""

import argparse
import hashlib
import json
import sqlite3
import sys
from pathlib import Path

GENESIS = "0" * 64
ANONYMISING = ("retention.apply", "retention.dispose", "promoter.erase")


def canonical(prev_hash, at, actor, action, entity, entity_id, detail, reason):
    """The hashed bytes: a JSON array of the eight values in this order, no spaces,
    non-ASCII characters as themselves, NULL as null, encoded as UTF-8."""
    return json.dumps([prev_hash, at, actor, action, entity, entity_id, detail, reason],
                      ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", type=Path)
    parser.add_argument("--expect", action="append", default=[], metavar="N:HASH")
    args = parser.parse_args(argv)
    expected = {}
    for text in args.expect:
        number, _, digest = text.partition(":")
        if not number.isdigit() or len(digest) < 16:
            parser.error(f"{text}: give N:HASH with 16 or more hex characters")
        expected[int(number)] = digest.lower()
    conn = sqlite3.connect(f"{args.database.resolve().as_uri()}?mode=ro", uri=True)
    columns = {row[1] for row in conn.execute("PRAGMA table_info(audit_log)")}
    marked = "redacted_in" if "redacted_in" in columns else "NULL"
    prev, position = GENESIS, 0
    members, runs = {}, {}
    rows = conn.execute("SELECT id, at, actor, action, entity, entity_id, detail, reason, "
                        f"prev_hash, hash, {marked} FROM audit_log ORDER BY id")
    for entry_id, *fields, prev_hash, digest, run in rows:
        position += 1
        if entry_id != position:
            print(f"entry {position} is missing: the numbers jump to {entry_id}")
            return 1
        if prev_hash != prev:
            print(f"entry {entry_id} does not follow the entry before it")
            return 1
        if fields[2] in ANONYMISING:
            runs[entry_id] = json.loads(fields[5] or "{}")
        if run is not None:
            members.setdefault(run, []).append([entry_id, *fields, prev_hash, digest])
        elif hashlib.sha256(canonical(prev_hash, *fields)).hexdigest() != digest:
            print(f"entry {entry_id} was changed after it was written")
            return 1
        if entry_id in expected and not digest.startswith(expected.pop(entry_id)):
            print(f"entry {entry_id} no longer has the expected hash: history was rewritten")
            return 1
        prev = digest
    for number in expected:
        print(f"entry {number} is gone: the trail ends at {position}; history was cut")
        return 1
    for run, entries in sorted(members.items()):
        text = "\n".join(json.dumps(e, ensure_ascii=False, separators=(",", ":"))
                         for e in entries)
        detail = runs.get(run) if run > entries[0][0] else None
        if detail is None or detail.get("anonymised_entries") != len(entries) or \
                detail.get("members_digest") != hashlib.sha256(text.encode()).hexdigest():
            print(f"entry {entries[0][0]} was anonymised, but not as retention run {run} "
                  "recorded")
            return 1
    print(f"OK: {position} entries, head {position}:{prev}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
