"""Schema, as numbered migrations.  Append only: never edit a migration once it has landed."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

MIGRATIONS = Migrations("eventrisk")

_IMMUTABLE = """
CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table}
BEGIN SELECT RAISE(ABORT, '{table} rows are immutable'); END;
CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table}
BEGIN SELECT RAISE(ABORT, '{table} rows are immutable'); END;
"""


def _indexes(db: Database, table: str, *columns: str | tuple[str, ...]) -> None:
    for col in columns:
        cols = list(col) if isinstance(col, tuple) else [col]
        db.table(table).create_index(cols, if_not_exists=True)


@MIGRATIONS(name="m001_initial")
def m001_initial(db: Database) -> None:
    """Every table of the first release."""
    db.table("users").create(
        {"id": int, "username": str, "display_name": str, "role": str,
         "password_hash": str, "active": int, "created_at": str},
        pk="id", not_null={"username", "display_name", "role", "password_hash"},
        defaults={"active": 1},
    )
    db.table("users").create_index(["username"], unique=True)

    db.table("venues").create(
        {"id": int, "code": str, "name": str, "address": str, "postcode": str,
         "borough": str, "capacity": int, "licence_number": str, "latest_finish": str,
         "has_cctv": int, "has_search_arch": int, "has_id_scanner": int,
         "version": int, "updated_at": str, "updated_by": str},
        pk="id", not_null={"code", "name", "borough", "capacity", "version"},
        defaults={"version": 1, "has_cctv": 0, "has_search_arch": 0, "has_id_scanner": 0},
    )
    db.table("venues").create_index(["code"], unique=True)
    _indexes(db, "venues", "borough", "name")

    db.table("promoters").create(
        {"id": int, "name": str, "company": str, "phone": str, "email": str,
         "version": int, "updated_at": str, "updated_by": str},
        pk="id", not_null={"name", "version"}, defaults={"version": 1},
    )
    db.execute("CREATE UNIQUE INDEX idx_promoters_name ON promoters(name COLLATE NOCASE)")

    db.table("submissions").create(
        {"id": int, "reference": str, "event_name": str, "venue_id": int, "promoter_id": int,
         "event_type": str, "starts_at": str, "ends_at": str, "night": str,
         "expected_attendance": int, "ticketing": str, "min_age": int, "alcohol": int,
         "door_supervisors": int, "search_regime": str, "cctv": int, "id_scanning": int,
         "dispersal_plan": int, "medical_cover": int, "performers": str,
         "received_at": str, "notes": str, "status": str, "conditions": str,
         "assigned_to": int, "assessment_id": int, "score": int, "grade": str,
         "grade_rank": int, "override_grade": str,
         "version": int, "created_at": str, "updated_at": str, "updated_by": str},
        pk="id",
        not_null={"reference", "event_name", "venue_id", "promoter_id", "starts_at", "ends_at",
                  "night", "status", "version"},
        defaults={"version": 1, "status": "received", "performers": "[]", "conditions": "[]",
                  "grade_rank": -1},
        foreign_keys=[("venue_id", "venues", "id"), ("promoter_id", "promoters", "id"),
                      ("assigned_to", "users", "id")],
    )
    db.table("submissions").create_index(["reference"], unique=True)
    _indexes(db, "submissions", "venue_id", "promoter_id", "assigned_to", "assessment_id",
             "status", "starts_at", "received_at", ("night", "venue_id"),
             ("grade_rank", "starts_at"), ("status", "starts_at"))

    db.table("incidents").create(
        {"id": int, "reference": str, "venue_id": int, "occurred_at": str, "category": str,
         "severity": int, "location": str, "submission_id": int, "crime_reference": str,
         "description": str, "venue_reported": int, "created_at": str, "created_by": str,
         "version": int, "updated_at": str, "updated_by": str},
        pk="id", not_null={"reference", "venue_id", "occurred_at", "category", "severity",
                           "location", "version"},
        defaults={"version": 1},
        foreign_keys=[("venue_id", "venues", "id"), ("submission_id", "submissions", "id")],
    )
    db.table("incidents").create_index(["reference"], unique=True)
    # Covering index: history windows and evidence read only these columns.
    _indexes(db, "incidents", ("venue_id", "occurred_at", "category", "severity", "location",
                               "reference"), "submission_id", "occurred_at")

    db.table("rulesets").create(
        {"id": int, "version": str, "sha256": str, "source": str, "published_at": str,
         "published_by": str, "active": int},
        pk="id", not_null={"version", "sha256", "source"},
    )
    db.table("rulesets").create_index(["version"], unique=True)
    _indexes(db, "rulesets", "active")

    db.table("assessments").create(
        {"id": int, "submission_id": int, "created_at": str, "created_by": str, "as_of": str,
         "ruleset_version": str, "ruleset_sha256": str, "inputs": str, "features": str,
         "fired": str, "score": int, "grade": str, "confidence": float, "digest": str},
        pk="id", not_null={"submission_id", "created_at", "ruleset_version", "score", "grade"},
        foreign_keys=[("submission_id", "submissions", "id")],
    )
    _indexes(db, "assessments", "submission_id")

    db.table("reviews").create(
        {"id": int, "submission_id": int, "assessment_id": int, "reviewer_id": int,
         "decision": str, "comment": str, "grade_before": str, "grade_after": str,
         "created_at": str},
        pk="id", not_null={"submission_id", "reviewer_id", "decision", "created_at"},
        foreign_keys=[("submission_id", "submissions", "id"),
                      ("assessment_id", "assessments", "id"), ("reviewer_id", "users", "id")],
    )
    _indexes(db, "reviews", "submission_id", "assessment_id", "reviewer_id")

    db.table("debriefs").create(
        {"id": int, "submission_id": int, "went_ahead": int, "actual_attendance": int,
         "incidents_noted": int, "notes": str, "recorded_at": str, "recorded_by": str},
        pk="id", not_null={"submission_id", "went_ahead", "incidents_noted"},
        foreign_keys=[("submission_id", "submissions", "id")],
    )
    db.table("debriefs").create_index(["submission_id"], unique=True)

    db.table("issued_documents").create(
        {"id": int, "submission_id": int, "assessment_id": int, "sha256": str,
         "issued_at": str, "issued_by": str},
        pk="id", not_null={"submission_id", "sha256", "issued_at"},
        foreign_keys=[("submission_id", "submissions", "id"),
                      ("assessment_id", "assessments", "id")],
    )
    _indexes(db, "issued_documents", "submission_id", "assessment_id")

    db.table("audit_log").create(
        {"id": int, "at": str, "actor": str, "action": str, "entity": str, "entity_id": str,
         "detail": str, "reason": str, "prev_hash": str, "hash": str},
        pk="id", not_null={"at", "actor", "action", "prev_hash", "hash"},
    )
    _indexes(db, "audit_log", ("entity", "entity_id"))

    for table in ("assessments", "reviews", "audit_log", "issued_documents"):
        db.executescript(_IMMUTABLE.format(table=table))

    for table, columns in (("venues", ["name", "code", "address"]),
                           ("submissions", ["event_name", "reference"])):
        db.table(table).enable_fts(columns, create_triggers=True, tokenize="unicode61")
        _narrow_fts_update_trigger(db, table, columns)


def _narrow_fts_update_trigger(db: Database, table: str, columns: list[str]) -> None:
    """sqlite-utils' trigger reindexes on every UPDATE; scoring updates a hundred thousand
    rows without touching their text, so reindex only when a searched column changes."""
    cols = ", ".join(columns)
    old = ", ".join(f"old.{c}" for c in columns)
    new = ", ".join(f"new.{c}" for c in columns)
    db.executescript(f"""
        DROP TRIGGER "{table}_au";
        CREATE TRIGGER "{table}_au" AFTER UPDATE OF {cols} ON "{table}" BEGIN
          INSERT INTO "{table}_fts" ("{table}_fts", rowid, {cols})
            VALUES('delete', old.rowid, {old});
          INSERT INTO "{table}_fts" (rowid, {cols}) VALUES (new.rowid, {new});
        END;""")


@MIGRATIONS(name="m002_desk_service")
def m002_desk_service(db: Database) -> None:
    """Who captured and who last edited each event (four eyes), sign-in throttling, account
    states, and the desk's own settings (training marker, four-eyes relaxation, idle lock)."""
    subs = db.table("submissions")
    subs.add_column("captured_by", str)
    subs.add_column("edited_by", str)
    # Before this migration the capturing officer is known from the audit trail (or, for
    # imported and demo events, from whoever wrote the row).
    db.execute("""
        UPDATE submissions SET captured_by = coalesce(
            (SELECT a.actor FROM audit_log a WHERE a.entity = 'submission'
               AND a.entity_id = CAST(submissions.id AS TEXT) AND a.action = 'submission.create'
             ORDER BY a.id LIMIT 1),
            (SELECT u.username FROM users u WHERE u.id = submissions.assigned_to),
            updated_by, '')""")
    db.execute("""
        UPDATE submissions SET edited_by = coalesce(
            (SELECT a.actor FROM audit_log a WHERE a.entity = 'submission'
               AND a.entity_id = CAST(submissions.id AS TEXT) AND a.action = 'submission.edit'
             ORDER BY a.id DESC LIMIT 1), captured_by)""")
    users = db.table("users")
    users.add_column("must_change_password", int, not_null_default=0)
    users.add_column("locked", int, not_null_default=0)
    db.table("sign_in_failures").create(
        {"name": str, "failures": int, "last_failed_at": str}, pk="name",
        not_null={"failures"}, defaults={"failures": 0})
    db.table("settings").create({"key": str, "value": str}, pk="key", not_null={"value"})
    if db.execute("SELECT 1 FROM audit_log WHERE action = 'demo.build' LIMIT 1").fetchone():
        db.execute("INSERT INTO settings (key, value) VALUES ('training', 'true')")


@MIGRATIONS(name="m003_audit_baseline")
def m003_audit_baseline(db: Database) -> None:
    """From here on every change to a submission's status, version and grade, and every
    snapshot, has its audit entry, so verify can replay the trail and compare it with the
    tables.  Records made before this point get one baseline entry each, stating what they
    held when the trail began to account for them."""
    from eventrisk import audit

    def baseline(sql: str, action: str, detail) -> None:
        cursor = db.conn.execute(sql)
        while rows := cursor.fetchmany(10_000):  # in batches: a decade of records is large
            audit.record_many(db, [("migration", action, "submission", row[0], detail(row), "")
                                   for row in rows])

    baseline("SELECT s.id, s.status, s.version, a.grade, s.override_grade, s.assessment_id "
             "FROM submissions s LEFT JOIN assessments a ON a.id = s.assessment_id ORDER BY s.id",
             "submission.baseline",
             lambda r: {"status": r[1], "version": r[2], "scored": r[3], "override": r[4],
                        "assessment": r[5]})
    baseline("SELECT submission_id, id, digest, grade, score FROM assessments ORDER BY id",
             "assessment.baseline",
             lambda r: {"assessment": r[1], "digest": r[2], "grade": r[3], "score": r[4]})



@MIGRATIONS(name="m004_workstations")
def m004_workstations(db: Database) -> None:
    """Which workstations have the desk open (a heartbeat a minute), so that a restore can
    refuse while anyone is still working on the file it would replace."""
    db.table("workstations").create(
        {"id": str, "host": str, "pid": int, "username": str, "seen_at": str},
        pk="id", not_null={"host", "seen_at"})



@MIGRATIONS(name="m005_lookup_indexes")
def m005_lookup_indexes(db: Database) -> None:
    """What the queue's default view filters on (events not yet over), venue codes as people
    type them (any case), and a basis for each snapshot so rescoring skips what has not
    changed."""
    db.execute("CREATE INDEX IF NOT EXISTS idx_submissions_ends_at ON submissions(ends_at)")
    db.execute("CREATE INDEX IF NOT EXISTS idx_venues_code_nocase ON venues(code COLLATE NOCASE)")
    # Each snapshot's basis (the hash of its ruleset, inputs and features): a rescore compares
    # it before building any evidence.  Older snapshots get theirs computed from what they
    # store; the immutability trigger is lifted for that one statement and put back as it was.
    import hashlib

    db.table("assessments").add_column("basis", str)
    db.conn.create_function(
        "er_basis", 3, lambda sha, inputs, features: hashlib.sha256(
            "\n".join((sha or "", inputs or "", features or "")).encode()).hexdigest(),
        deterministic=True)
    db.execute("DROP TRIGGER assessments_no_update")
    db.execute("UPDATE assessments SET basis = er_basis(ruleset_sha256, inputs, features)")
    no_update = _IMMUTABLE.format(table="assessments").split("END;")[0] + "END;"
    db.executescript(no_update)


@MIGRATIONS(name="m006_history_revisions")
def m006_history_revisions(db: Database) -> None:
    """A revision number per venue and per promoter that moves whenever anything a history
    feature reads about them changes (their incidents, the debriefs and times of their
    events), kept by triggers so that no writer can forget it; and, per submission, the
    stamp of what its current snapshot was made from.  A rescore compares the stamp before
    computing any feature, and skips an event whose sources have not moved."""
    db.table("venues").add_column("history_rev", int, not_null_default=0)
    db.table("promoters").add_column("history_rev", int, not_null_default=0)
    db.table("submissions").add_column("score_source", str)
    venue = "UPDATE venues SET history_rev = history_rev + 1 WHERE id = {0}"
    promoter = ("UPDATE promoters SET history_rev = history_rev + 1 WHERE id = "
                "(SELECT promoter_id FROM submissions WHERE id = {0})")
    direct = "UPDATE promoters SET history_rev = history_rev + 1 WHERE id = {0}"
    by_submission = ("UPDATE venues SET history_rev = history_rev + 1 WHERE id = "
                     "(SELECT venue_id FROM submissions WHERE id = {0})")
    triggers = {
        "incidents_rev_insert": ("AFTER INSERT ON incidents",
                                 [venue.format("NEW.venue_id"),
                                  promoter.format("NEW.submission_id")]),
        "incidents_rev_update": ("AFTER UPDATE ON incidents",
                                 [venue.format("OLD.venue_id"), venue.format("NEW.venue_id"),
                                  promoter.format("OLD.submission_id"),
                                  promoter.format("NEW.submission_id")]),
        "incidents_rev_delete": ("AFTER DELETE ON incidents",
                                 [venue.format("OLD.venue_id"),
                                  promoter.format("OLD.submission_id")]),
        "debriefs_rev_insert": ("AFTER INSERT ON debriefs",
                                [by_submission.format("NEW.submission_id")]),
        "debriefs_rev_update": ("AFTER UPDATE ON debriefs",
                                [by_submission.format("OLD.submission_id"),
                                 by_submission.format("NEW.submission_id")]),
        "debriefs_rev_delete": ("AFTER DELETE ON debriefs",
                                [by_submission.format("OLD.submission_id")]),
        # Debriefs are placed in time by their event's start, and linked incidents count
        # for the event's promoter: moving either moves those histories.
        "submissions_rev_update": (
            "AFTER UPDATE OF venue_id, promoter_id, starts_at ON submissions",
            [venue.format("OLD.venue_id"), venue.format("NEW.venue_id"),
             direct.format("OLD.promoter_id"), direct.format("NEW.promoter_id")]),
        "submissions_rev_delete": ("AFTER DELETE ON submissions",
                                   [venue.format("OLD.venue_id"),
                                    direct.format("OLD.promoter_id")]),
    }
    for name, (when, statements) in triggers.items():
        body = " ".join(s + ";" for s in statements)
        db.execute(f"CREATE TRIGGER {name} {when} BEGIN {body} END")


@MIGRATIONS(name="m007_venue_start_index")
def m007_venue_start_index(db: Database) -> None:
    """Each venue's events in time order: a bulk score finds the last debrief before its span
    with one seek per venue instead of reading a decade of them."""
    db.execute("CREATE INDEX IF NOT EXISTS idx_submissions_venue_starts ON "
               "submissions(venue_id, starts_at)")


@MIGRATIONS(name="m008_night_contacts")
def m008_night_contacts(db: Database) -> None:
    """Who the borough calls on the night: the venue's licence holder or DPS, and the
    promoter's person on site (both optional, printed on page 1 of the assessment)."""
    db.table("venues").add_column("night_contact", str)
    db.table("submissions").add_column("night_contact", str)


@MIGRATIONS(name="m009_queue_sort_indexes")
def m009_queue_sort_indexes(db: Database) -> None:
    """An index for each way the queue sorts every event (past ones included), written exactly
    as ``queue`` writes its sort keys, so that the first page of a million events is a walk
    along an index, not a sort of all of them."""
    # The desk orders as they stood (a migration never changes): ``queue._action_rank``
    # writes these same expressions, and the query-plan tests fail if they ever part.
    ranks = {
        "desk": "(CASE status WHEN 'in_review' THEN 0 WHEN 'returned' THEN 1 WHEN 'received' "
                "THEN 1 WHEN 'assessed' THEN 1 ELSE 2 END)",
        "officer": "(CASE status WHEN 'returned' THEN 0 WHEN 'received' THEN 0 WHEN 'assessed' "
                   "THEN 0 WHEN 'in_review' THEN 1 ELSE 2 END)",
    }
    for name, rank in ranks.items():
        db.execute(f"CREATE INDEX IF NOT EXISTS idx_queue_action_{name} ON submissions("
                   f"{rank}, (-grade_rank), starts_at)")
    db.execute("CREATE INDEX IF NOT EXISTS idx_queue_event ON submissions(event_name, "
               "starts_at)")
    db.execute("CREATE INDEX IF NOT EXISTS idx_queue_score ON submissions("
               "coalesce(score, -1), starts_at)")
    db.execute("CREATE INDEX IF NOT EXISTS idx_queue_notice ON submissions("
               "(julianday(starts_at) - julianday(received_at)), starts_at)")
    # The venue's name and borough and the officer's name, kept on each submission by
    # triggers (so no writer can forget them), for the three sorts that would otherwise sort
    # a join of a million rows.
    for column in ("sort_venue", "sort_borough", "sort_officer"):
        db.table("submissions").add_column(column, str, not_null_default="")
    venue = ("sort_venue = coalesce((SELECT name FROM venues WHERE id = {0}.venue_id), ''), "
             "sort_borough = coalesce((SELECT borough FROM venues WHERE id = {0}.venue_id), '')")
    officer = ("sort_officer = coalesce((SELECT display_name FROM users WHERE id = "
               "{0}.assigned_to), '')")
    db.execute(f"UPDATE submissions SET {venue.format('submissions')}, "
               f"{officer.format('submissions')}")
    triggers = {
        "submissions_sort_insert": ("AFTER INSERT ON submissions",
                                    f"UPDATE submissions SET {venue.format('NEW')}, "
                                    f"{officer.format('NEW')} WHERE id = NEW.id"),
        "submissions_sort_venue": ("AFTER UPDATE OF venue_id ON submissions",
                                   f"UPDATE submissions SET {venue.format('NEW')} "
                                   "WHERE id = NEW.id"),
        "submissions_sort_officer": ("AFTER UPDATE OF assigned_to ON submissions",
                                     f"UPDATE submissions SET {officer.format('NEW')} "
                                     "WHERE id = NEW.id"),
        "venues_sort_names": ("AFTER UPDATE OF name, borough ON venues",
                              "UPDATE submissions SET sort_venue = NEW.name, "
                              "sort_borough = NEW.borough WHERE venue_id = NEW.id"),
        "users_sort_names": ("AFTER UPDATE OF display_name ON users",
                             "UPDATE submissions SET sort_officer = NEW.display_name "
                             "WHERE assigned_to = NEW.id"),
    }
    for name, (when, body) in triggers.items():
        db.execute(f"CREATE TRIGGER {name} {when} BEGIN {body}; END")
    for column in ("sort_venue", "sort_borough", "sort_officer"):
        db.execute(f"CREATE INDEX idx_queue_{column} ON submissions({column}, starts_at)")


@MIGRATIONS(name="m010_compact_snapshots")
def m010_compact_snapshots(db: Database) -> None:
    """Snapshots as one deflated blob with a preset dictionary (about 600 bytes instead of
    4 KB), giving back the exact texts the digest was made over.  The dictionary is stored
    here, once, so that no later release can change what old snapshots need.  Existing
    snapshots are packed under the immutability trigger, lifted for this statement only."""
    from eventrisk import snapshots

    db.table("snapshot_dictionaries").create({"version": int, "data": bytes}, pk="version")
    db.execute("INSERT INTO snapshot_dictionaries (version, data) VALUES (1, ?)",
               [snapshots.dictionary_v1()])
    db.table("assessments").add_column("packed", bytes)
    db.conn.create_function(
        "er_pack", 3, lambda i, f, r: snapshots.pack(db, i or "", f or "", r or "",
                                                     version=snapshots.DEFLATED))
    db.execute("DROP TRIGGER assessments_no_update")
    db.execute("UPDATE assessments SET packed = er_pack(inputs, features, fired), "
               "inputs = NULL, features = NULL, fired = NULL")
    no_update = _IMMUTABLE.format(table="assessments").split("END;")[0] + "END;"
    db.executescript(no_update)


def known_names() -> set[str]:
    """The migrations this release knows (a database with others is from a newer one)."""
    return {m.name for m in MIGRATIONS._migrations}


@MIGRATIONS(name="m011_retention")
def m011_retention(db: Database) -> None:
    """Retention (issue 17): when each record was anonymised, a person's decisions to keep a
    due record until a later review, and audit entries whose personal text a retention run
    anonymised (``redacted_in``: that run's own entry).  The audit log and the reviews stay
    immutable except for exactly that: a trigger lets a run replace the detail and reason of
    an entry not yet anonymised, marking it with a later retention entry, and a review's
    comment become "[anonymised]"; nothing else, hashes included, can change."""
    for table in ("promoters", "submissions", "incidents"):
        db.table(table).add_column("anonymised_at", str)
    db.table("audit_log").add_column("redacted_in", int)
    db.table("retention_holds").create(
        {"kind": str, "record_id": int, "until": str, "reason": str, "decided_by": str,
         "decided_at": str},
        pk=("kind", "record_id"), not_null={"until", "reason", "decided_by", "decided_at"})
    db.executescript("""
        DROP TRIGGER audit_log_no_update;
        CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        WHEN NOT coalesce((OLD.redacted_in IS NULL AND NEW.redacted_in > OLD.id
                  AND NEW.id IS OLD.id AND NEW.at IS OLD.at AND NEW.actor IS OLD.actor
                  AND NEW.action IS OLD.action AND NEW.entity IS OLD.entity
                  AND NEW.entity_id IS OLD.entity_id AND NEW.prev_hash IS OLD.prev_hash
                  AND NEW.hash IS OLD.hash
                  AND (SELECT action FROM audit_log WHERE id = NEW.redacted_in)
                      IN ('retention.apply', 'retention.dispose', 'promoter.erase')), 0)
        BEGIN SELECT RAISE(ABORT, 'audit_log rows are immutable'); END;
        DROP TRIGGER reviews_no_update;
        CREATE TRIGGER reviews_no_update BEFORE UPDATE ON reviews
        WHEN NOT coalesce((NEW.comment IS '[anonymised]' AND NEW.id IS OLD.id
                  AND NEW.submission_id IS OLD.submission_id
                  AND NEW.assessment_id IS OLD.assessment_id
                  AND NEW.reviewer_id IS OLD.reviewer_id AND NEW.decision IS OLD.decision
                  AND NEW.grade_before IS OLD.grade_before AND NEW.grade_after IS OLD.grade_after
                  AND NEW.created_at IS OLD.created_at), 0)
        BEGIN SELECT RAISE(ABORT, 'reviews rows are immutable'); END;""")


@MIGRATIONS(name="m012_drafts")
def m012_drafts(db: Database) -> None:
    """Half-filled new submissions saved as drafts: each belongs to the account that saved it,
    holds the form's values as typed (not yet checked), and goes when it is saved as a
    submission or discarded."""
    db.table("drafts").create(
        {"id": int, "username": str, "title": str, "fields": str, "created_at": str,
         "updated_at": str},
        pk="id", not_null={"username", "fields", "created_at", "updated_at"})
    db.table("drafts").create_index(["username", "updated_at"])


# The same statement on both backends (eventrisk.pg.schema runs it as its m013).
LINKED_INCIDENT_TIMES = (
    "CREATE INDEX idx_incidents_linked_occurred_at ON incidents "
    "(occurred_at, submission_id, severity, location) WHERE submission_id IS NOT NULL")


@MIGRATIONS(name="m013_linked_incident_times")
def m013_linked_incident_times(db: Database) -> None:
    """The incidents linked to an event, by time: a bulk rescore sums every promoter's linked
    incidents over a span of years, and without this reads them through each promoter's
    events, or every linked incident of the desk's whole history."""
    db.execute(LINKED_INCIDENT_TIMES)


@MIGRATIONS(name="m014_snapshot_dictionary_2")
def m014_snapshot_dictionary_2(db: Database) -> None:
    """Snapshots packed with zstd and a trained dictionary (version 2 of
    ``eventrisk.snapshots``): five times faster to pack than deflate, and smaller.  The
    dictionary is stored here, once; snapshots already packed keep version 1."""
    from eventrisk import snapshots

    db.execute("INSERT INTO snapshot_dictionaries (version, data) VALUES (2, ?)",
               [snapshots.dictionary_v2()])


@MIGRATIONS(name="m015_history_bumps_once")
def m015_history_bumps_once(db: Database) -> None:
    """On the server, m006's triggers move a venue's or promoter's ``history_rev`` once a
    transaction rather than once a row (there each bump wrote a new version of the row, and
    an import of thousands of incidents spent four fifths of its time on them).  A file's
    triggers update the row in place, cheaply: nothing changes here, and the number is kept
    to stay in step with the server."""


# A venue's incidents in the order history reads them, newest first or oldest first: by time,
# then id (ties broken as the running totals and the evidence break them), with every column
# those reads need.  The index it replaces stopped at the time, so each read sorted the ties
# of every venue it walked in a temporary tree, and the newest eight of an evidence look-up
# could not be taken straight off the index.
VENUE_INCIDENTS_IN_ORDER = (
    "CREATE INDEX idx_incidents_venue_time_id ON incidents "
    "(venue_id, occurred_at, id, category, severity, location, reference)")


@MIGRATIONS(name="m016_venue_incidents_in_order")
def m016_venue_incidents_in_order(db: Database) -> None:
    """The venue-and-time index with the id after the time (``VENUE_INCIDENTS_IN_ORDER``): the
    same columns, the same size, one ordering more."""
    db.execute("DROP INDEX IF EXISTS "
               "idx_incidents_venue_id_occurred_at_category_severity_location_reference")
    db.execute(VENUE_INCIDENTS_IN_ORDER)


@MIGRATIONS(name="m017_anonymising_guarded")
def m017_anonymising_guarded(db: Database) -> None:
    """Anonymising only as a retention run does it (issue 30's laundering, on a file): an audit
    entry is anonymised only by the run entry just written (the newest), and its reason only
    to "[anonymised]" or left empty; a review's comment is anonymised only when its event is;
    and a record, once anonymised, stays so (its ``anonymised_at`` is never cleared or moved).
    Whoever holds the file can still drop a trigger: ``audit verify`` checks each redaction
    against its run (``eventrisk.reconcile``)."""
    db.executescript("""
        DROP TRIGGER audit_log_no_update;
        CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        WHEN NOT coalesce((OLD.redacted_in IS NULL AND NEW.redacted_in > OLD.id
                  AND NEW.redacted_in = (SELECT max(id) FROM audit_log)
                  AND coalesce(NEW.reason, '') IN ('', '[anonymised]')
                  AND NEW.id IS OLD.id AND NEW.at IS OLD.at AND NEW.actor IS OLD.actor
                  AND NEW.action IS OLD.action AND NEW.entity IS OLD.entity
                  AND NEW.entity_id IS OLD.entity_id AND NEW.prev_hash IS OLD.prev_hash
                  AND NEW.hash IS OLD.hash
                  AND (SELECT action FROM audit_log WHERE id = NEW.redacted_in)
                      IN ('retention.apply', 'retention.dispose', 'promoter.erase')), 0)
        BEGIN SELECT RAISE(ABORT, 'audit_log rows are immutable'); END;
        DROP TRIGGER reviews_no_update;
        CREATE TRIGGER reviews_no_update BEFORE UPDATE ON reviews
        WHEN NOT coalesce((NEW.comment IS '[anonymised]' AND NEW.id IS OLD.id
                  AND NEW.submission_id IS OLD.submission_id
                  AND NEW.assessment_id IS OLD.assessment_id
                  AND NEW.reviewer_id IS OLD.reviewer_id AND NEW.decision IS OLD.decision
                  AND NEW.grade_before IS OLD.grade_before AND NEW.grade_after IS OLD.grade_after
                  AND NEW.created_at IS OLD.created_at
                  AND (SELECT anonymised_at FROM submissions WHERE id = OLD.submission_id)
                      IS NOT NULL), 0)
        BEGIN SELECT RAISE(ABORT, 'reviews rows are immutable'); END;""")
    for table in ("submissions", "incidents", "promoters"):
        db.execute(f"CREATE TRIGGER {table}_anonymised_stays BEFORE UPDATE OF anonymised_at ON "
                   f"{table} WHEN OLD.anonymised_at IS NOT NULL AND NEW.anonymised_at IS NOT "
                   f"OLD.anonymised_at BEGIN SELECT RAISE(ABORT, '{table}: an anonymised record "
                   "stays anonymised'); END")


# Where a desk that had no id takes one from: its trail's first entry, so that a backup
# taken before the upgrade, upgraded in its turn, comes out with the same id as its desk.
DESK_ID_NAMESPACE = "6f0c1e52-3b9c-4e43-9a59-0d5c1c7f3a10"


@MIGRATIONS(name="m018_desk_id")
def m018_desk_id(db: Database) -> None:
    """Each desk's id (issue 31): written once, when the desk is made, and carried in its
    backups, so that a restore can tell this desk's backup from another desk's.  A desk
    made before this migration takes an id derived from the hash of its trail's first entry
    (the same for every backup of it; two desks whose first entries are the same, made by
    the same administrator's name in the same second, would share it); a new desk a random
    one.  The row never changes.

    And what each workstation is doing at length (``workstations.doing``, e.g. "rescoring"),
    written in a transaction of its own before bulk work starts, so that someone kept
    waiting is told who and why."""
    import uuid

    first = db.execute("SELECT hash FROM audit_log ORDER BY id LIMIT 1").fetchone()
    desk_id = (str(uuid.uuid5(uuid.UUID(DESK_ID_NAMESPACE), first[0])) if first
               else str(uuid.uuid4()))
    db.table("desk_identity").create({"id": str, "created_at": str}, pk="id",
                                     not_null={"created_at"})
    db.execute("INSERT INTO desk_identity (id, created_at) VALUES (?, "
               "strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))", [desk_id])
    db.executescript(_IMMUTABLE.format(table="desk_identity") + """
        CREATE TRIGGER IF NOT EXISTS desk_identity_one BEFORE INSERT ON desk_identity
        BEGIN SELECT RAISE(ABORT, 'a desk has one id'); END;""")
    db.table("workstations").add_column("doing", str)


def scoring_editors_since_review(entries: list[tuple[str, str, str | None]]) -> list[str]:
    """Who changed a scoring input of an event since it was last approved (or overridden),
    from its audit entries ``(action, actor, detail)`` in order: the set four eyes keeps out
    of the next approval (``submissions.scoring_editors``), sorted."""
    import json

    editors: set[str] = set()
    for action, actor, detail in entries:
        if action in ("submission.approve", "submission.override"):
            editors = set()
        elif action == "submission.edit":
            try:
                scoring = json.loads(detail or "{}").get("scoring")
            except (ValueError, AttributeError):
                scoring = None
            if isinstance(scoring, list) and scoring:
                editors.add(actor)
    return sorted(editors)


@MIGRATIONS(name="m020_scoring_editors_and_logins")
def m020_scoring_editors_and_logins(db: Database) -> None:
    """Every person who changed a scoring input of an event since it was last approved (or
    since capture), carried with the event as a JSON list: four eyes keeps each of them, not
    only the last editor, from approving or overriding it.  Worked out for existing events
    from their audit entries.  (On a server, m020 also makes the desk's people its logins:
    ``eventrisk.pg.schema``.)"""
    import json

    db.table("submissions").add_column("scoring_editors", str, not_null_default="[]")
    by_event: dict[str, list[tuple[str, str, str | None]]] = {}
    for entity_id, action, actor, detail in db.execute(
            "SELECT entity_id, action, actor, detail FROM audit_log WHERE entity = "
            "'submission' AND action IN ('submission.edit', 'submission.approve', "
            "'submission.override') ORDER BY id"):
        by_event.setdefault(entity_id, []).append((action, actor, detail))
    rows = [(json.dumps(found, separators=(",", ":")), int(entity_id))
            for entity_id, entries in by_event.items() if entity_id.isdigit()
            for found in [scoring_editors_since_review(entries)] if found]
    db.conn.executemany("UPDATE submissions SET scoring_editors = ? WHERE id = ?", rows)


@MIGRATIONS(name="m021_review_comment_retention")
def m021_review_comment_retention(db: Database) -> None:
    """Review comments have their own retention rule (issue 32), and may go before their event
    is anonymised; a promoter's form goes with the notes.  A file's trigger already lets a run
    set a comment to "[anonymised]" and nothing else, and a form may be deleted; on the server
    new functions do each, only inside the retention run that disposed of the event.  Here the
    reviews' trigger (m017) also lets a run anonymise the comments of an
    event it has recorded disposing of them (its ``submission.retention`` entry, written
    first, says ``deleted: ["review comments"]``), as well as those of an anonymised event."""
    db.executescript("""
        DROP TRIGGER reviews_no_update;
        CREATE TRIGGER reviews_no_update BEFORE UPDATE ON reviews
        WHEN NOT coalesce((NEW.comment IS '[anonymised]' AND NEW.id IS OLD.id
                  AND NEW.submission_id IS OLD.submission_id
                  AND NEW.assessment_id IS OLD.assessment_id
                  AND NEW.reviewer_id IS OLD.reviewer_id AND NEW.decision IS OLD.decision
                  AND NEW.grade_before IS OLD.grade_before AND NEW.grade_after IS OLD.grade_after
                  AND NEW.created_at IS OLD.created_at
                  AND ((SELECT anonymised_at FROM submissions WHERE id = OLD.submission_id)
                       IS NOT NULL
                       OR EXISTS (SELECT 1 FROM audit_log a WHERE a.entity = 'submission'
                                  AND a.entity_id = CAST(OLD.submission_id AS TEXT)
                                  AND a.action = 'submission.retention'
                                  AND json_extract(a.detail, '$.deleted[0]')
                                      = 'review comments'))), 0)
        BEGIN SELECT RAISE(ABORT, 'reviews rows are immutable'); END;""")


@MIGRATIONS(name="m022_submission_forms")
def m022_submission_forms(db: Database) -> None:
    """A submission that came in on the promoter's own form keeps that PDF beside it, with
    its SHA-256, so the desk can show what the promoter sent, byte for byte (retention removes
    it with the submission's personal data)."""
    db.table("submission_forms").create(
        {"submission_id": int, "sha256": str, "pdf": bytes, "received_at": str,
         "received_by": str},
        pk="submission_id", not_null={"sha256", "pdf", "received_at", "received_by"},
        foreign_keys=[("submission_id", "submissions", "id")])
    db.table("submission_forms").create_index(["sha256"])


@MIGRATIONS(name="m023_unscored_first")
def m023_unscored_first(db: Database) -> None:
    """The desk order counts an event nobody has scored yet as CRITICAL (it sank below LOW
    when its grade rank of -1 was turned round): the two desk-order indexes of m009 again,
    with the grade written as ``queue.GRADE_ORDER`` writes it."""
    ranks = {
        "desk": "(CASE status WHEN 'in_review' THEN 0 WHEN 'returned' THEN 1 WHEN 'received' "
                "THEN 1 WHEN 'assessed' THEN 1 ELSE 2 END)",
        "officer": "(CASE status WHEN 'returned' THEN 0 WHEN 'received' THEN 0 WHEN 'assessed' "
                   "THEN 0 WHEN 'in_review' THEN 1 ELSE 2 END)",
    }
    for name, rank in ranks.items():
        db.execute(f"DROP INDEX IF EXISTS idx_queue_action_{name}")
        db.execute(f"CREATE INDEX idx_queue_action_{name} ON submissions({rank}, "
                   "(CASE WHEN grade_rank >= 0 THEN -grade_rank ELSE -3 END), starts_at)")
