"""Which columns can hold a person's words or name, and what the retention schedule does with
each (issue 32): read from the live schema, so that a new column nobody decided about is named
by ``eventrisk retention review`` and fails the tests."""

from __future__ import annotations

from collections.abc import Iterable

from sqlite_utils import Database

from eventrisk import dialect

# Every text (or binary) column of the live schema is one of three things (``uncovered``
# lists any that is none, and ``retention review`` says so): disposed of by a kind's rule
# (``COVERED``), listed in the schedule as kept with a reason (``[kept.<table>]`` in
# retention.toml), or holding no person's words or name (``STRUCTURAL``: codes, enumerations,
# times, hashes).  A new column must be added to one of them.

COVERED: dict[str, str] = {
    "promoters.name": "promoter_contacts", "promoters.company": "promoter_contacts",
    "promoters.phone": "promoter_contacts", "promoters.email": "promoter_contacts",
    "submissions.notes": "notes", "submissions.night_contact": "notes",
    "debriefs.notes": "notes", "submission_forms.pdf": "notes",
    "submissions.event_name": "submissions", "submissions.performers": "submissions",
    "incidents.description": "incidents", "incidents.crime_reference": "incidents",
    "drafts.title": "drafts", "drafts.fields": "drafts", "drafts.username": "drafts",
    "venues.night_contact": "venue_contacts",
    "reviews.comment": "review_comments",
    "sign_in_failures.name": "sign_in_failures",
    "workstations.id": "workstations", "workstations.host": "workstations",
    "workstations.username": "workstations", "workstations.doing": "workstations",
}

STRUCTURAL = frozenset({
    "_sqlite_migrations.migration_set", "_sqlite_migrations.name",
    "_sqlite_migrations.applied_at",
    "eventrisk_migrations.migration_set", "eventrisk_migrations.name",
    "eventrisk_migrations.applied_at",
    "users.role", "users.password_hash", "users.created_at",
    "venues.code", "venues.name", "venues.address", "venues.postcode", "venues.borough",
    "venues.licence_number", "venues.latest_finish", "venues.updated_at",
    "promoters.updated_at", "promoters.anonymised_at",
    "submissions.reference", "submissions.event_type", "submissions.starts_at",
    "submissions.ends_at", "submissions.night", "submissions.ticketing",
    "submissions.search_regime", "submissions.received_at", "submissions.status",
    "submissions.grade", "submissions.override_grade", "submissions.created_at",
    "submissions.updated_at", "submissions.score_source", "submissions.sort_venue",
    "submissions.sort_borough", "submissions.anonymised_at",
    "incidents.reference", "incidents.occurred_at", "incidents.category", "incidents.location",
    "incidents.created_at", "incidents.updated_at", "incidents.anonymised_at",
    "rulesets.version", "rulesets.sha256", "rulesets.published_at",
    "assessments.created_at", "assessments.as_of", "assessments.ruleset_version",
    "assessments.ruleset_sha256", "assessments.grade", "assessments.digest",
    "assessments.basis",
    "reviews.decision", "reviews.grade_before", "reviews.grade_after", "reviews.created_at",
    "debriefs.recorded_at", "issued_documents.sha256", "issued_documents.issued_at",
    "audit_log.at", "audit_log.action", "audit_log.entity", "audit_log.entity_id",
    "audit_log.prev_hash", "audit_log.hash",
    "sign_in_failures.last_failed_at", "settings.key", "workstations.seen_at",
    "retention_holds.kind", "retention_holds.until", "retention_holds.decided_at",
    "drafts.created_at", "drafts.updated_at",
    "submission_forms.sha256", "submission_forms.received_at", "snapshot_dictionaries.data",
    # The server's record of retention runs and of its people (m020).
    "retention_runs.login_role", "retention_runs.stamp", "retention_run_members.entity",
    "retention_run_members.entity_id", "identity_since.at",
    "desk_identity.id", "desk_identity.created_at",  # the desk's own number (m018)
})

def text_columns(db: Database) -> list[str]:
    """Every column of the live schema that can hold words, as "table.column": text, and
    binary (a stored document such as a promoter's form is words too); full-text indexes,
    which only copy other tables' columns, left out."""
    if dialect.of(db).server:
        rows = db.execute(
            "SELECT c.table_name, c.column_name FROM information_schema.columns c JOIN "
            "information_schema.tables t ON t.table_schema = c.table_schema AND "
            "t.table_name = c.table_name WHERE c.table_schema = current_schema() AND "
            "t.table_type = 'BASE TABLE' AND c.data_type IN ('text', 'character varying', "
            "'character', 'json', 'jsonb', 'bytea')").fetchall()
        return sorted(f"{t}.{c}" for t, c in rows)
    virtual = [n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                        "AND sql LIKE 'CREATE VIRTUAL TABLE%'")]
    out = []
    for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name "
                               "NOT LIKE 'sqlite^_%' ESCAPE '^'"):
        if any(table == v or table.startswith(f"{v}_") for v in virtual):
            continue
        out += [f"{table}.{name}" for _, name, kind, *_ in
                db.execute(f"PRAGMA table_info([{table}])")
                if kind.upper() in ("TEXT", "BLOB", "") or "CHAR" in kind.upper()]
    return sorted(out)


def uncovered(db: Database, kept: Iterable[str]) -> list[str]:
    """Columns of the live schema that no rule disposes of, are not among ``kept`` (the
    schedule's ``[kept.<table>]`` columns), and are not declared as holding no personal data:
    each needs a decision."""
    known = set(COVERED) | set(STRUCTURAL) | set(kept)
    return [c for c in text_columns(db) if c not in known]
