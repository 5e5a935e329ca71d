"""Retention covers every kind of personal data (issue 32, item 7): each text column of the live
schema is removed by a rule, kept with a reason in the schedule, or holds no one's words or
name; and every column a rule claims is really emptied of a canary by a run."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date, timedelta

import pytest

from eventrisk import retention
from eventrisk.desk import Desk
from eventrisk.errors import AuthError, ValidationError
from eventrisk.model import Debrief, Incident, IncidentCategory, Location, Severity
from eventrisk.paths import resource
from eventrisk.retention import parse_schedule
from eventrisk.retention_columns import COVERED, STRUCTURAL, text_columns, uncovered
from eventrisk.validation import validate_submission
from tests.conftest import run_cli
from tests.core import test_retention as base
from tests.core.test_retention import _apply, _at, _due

desk_of, story = base.desk_of, base.story  # the same desks and past event as there

SHIPPED = resource("retention.toml").read_text("utf-8")
CANARY = "Jonah Canary-Informant"
# Where a name cannot be typed, a value as distinctive.
CANARIES = {"promoters.phone": "07700 900321", "promoters.email": "jonah.canary@example.org"}


def test_every_text_column_of_the_live_schema_is_covered_kept_or_not_personal(db):
    schedule = parse_schedule(SHIPPED)
    live = set(text_columns(db))
    assert "venues.night_contact" in live and "reviews.comment" in live  # it reads the schema
    assert uncovered(db, schedule.kept) == []
    kept = set(schedule.kept)
    assert not (kept & set(COVERED)) and not (kept & STRUCTURAL) and \
        not (set(COVERED) & STRUCTURAL)
    assert all(len(reason) > 20 for reason in schedule.kept.values())
    # Nothing is declared that the schema does not have (each backend has its own table of
    # migrations).
    declared = set(COVERED) | kept | STRUCTURAL
    from eventrisk.pg.schema import SERVER_ONLY

    other_backend = {c for c in declared if c.split(".")[0] in SERVER_ONLY
                     or c.startswith("_sqlite_migrations.") or c == "audit_log.written_by"}
    assert declared - live <= other_backend
    for column in ("venues.night_contact", "reviews.comment", "sign_in_failures.name",
                   "workstations.host", "workstations.username"):
        assert column in COVERED, column
    assert set(COVERED.values()) <= set(retention.KINDS)


def test_a_new_text_column_is_named_by_retention_review_until_the_schedule_says(
        capsys, db, desk_path, admin, tmp_path, monkeypatch):
    from tests.conftest import act_as

    db.execute("ALTER TABLE venues ADD COLUMN manager_name TEXT")
    db.execute("ALTER TABLE debriefs ADD COLUMN witness_notes TEXT")
    db.conn.commit()
    assert uncovered(db, parse_schedule(SHIPPED).kept) == ["debriefs.witness_notes",
                                                      "venues.manager_name"]
    act_as(monkeypatch, tmp_path, "admin", "admin-password")
    code, out, _ = run_cli(capsys, "--db", desk_path, "retention", "review")
    assert code == 0
    assert ("Not covered by the schedule: debriefs.witness_notes, venues.manager_name."
            in out)
    code, out, _ = run_cli(capsys, "--db", desk_path, "retention", "review", "--json")
    assert json.loads(out)["uncovered"] == ["debriefs.witness_notes", "venues.manager_name"]
    listed = _kept("debriefs", 'witness_notes = "Kept for the inquest the coroner opened."')
    listed = listed.replace("[kept.venues]\n", '[kept.venues]\nmanager_name = "The venue\'s '
                            'manager, a named contact the licence itself publishes."\n')
    assert uncovered(db, parse_schedule(listed).kept) == []


def _kept(table: str, line: str) -> str:
    """The shipped schedule with one more line under ``[kept.<table>]``."""
    header = f"[kept.{table}]\n"
    if header in SHIPPED:
        return SHIPPED.replace(header, header + line + "\n")
    return SHIPPED + "\n" + header + line + "\n"


@pytest.mark.parametrize("table, line, words", [
    ("venues", 'night_contact = "We would rather keep it for ever."',
     "venues.night_contact is disposed of under [venue_contacts]"),
    ("submissions", 'status = "Because the status is a status."',
     "submissions.status holds no personal data"),
    ("promoters", 'fax = "no"', "kept.promoters.fax must say why"),
], ids=["covered", "not-personal", "no-reason"])
def test_a_kept_column_needs_a_reason_and_cannot_be_a_covered_one(table, line, words):
    text = _kept(table, line)
    with pytest.raises(retention.RetentionFileError, match=re.escape(words)) as caught:
        parse_schedule(text)
    number = next(i for i, t in enumerate(text.splitlines(), 1) if t == line)
    assert str(caught.value).startswith(f"retention.toml:{number}: ")


def test_a_schedule_from_before_these_kinds_gets_their_default_rules():
    before = SHIPPED[:SHIPPED.index("# Counted from the venue's last event")]
    schedule = parse_schedule(before)
    assert {k: (schedule.rules[k].action, schedule.rules[k].keep_years) for k in (
        "venue_contacts", "review_comments", "sign_in_failures", "workstations")} == {
        "venue_contacts": ("delete", 2), "review_comments": ("anonymise", 6),
        "sign_in_failures": ("delete", 1), "workstations": ("delete", 1)}
    assert schedule.kept == {}


def _canary_rows(db, column: str) -> int:
    """How many rows hold the column's canary (text or bytes: a stored PDF is words too)."""
    table, name = column.split(".")
    canary = CANARIES.get(column, CANARY).lower()
    return sum(canary in (bytes(v).decode("latin-1") if isinstance(v, bytes | memoryview)
                          else str(v)).lower()
               for (v,) in db.execute(f"SELECT {name} FROM {table}") if v is not None)


def keep_form(db, officer, submission_id: int) -> None:
    """The promoter's own form kept with the event, as ``import form --save`` keeps it."""
    import hashlib

    from eventrisk.desk.forms import keep_form as keep
    from eventrisk.promoter_form import FilledForm

    data = f"%PDF-1.7 promoter's form: night contact {CANARY}".encode()
    keep(db, officer.user, submission_id, FilledForm({}, hashlib.sha256(data).hexdigest(), data),
         officer.clock())
    db.conn.commit()


def test_a_run_leaves_no_canary_in_any_column_a_rule_covers_nor_in_the_trail(story, db):
    """A canary in every column the schedule says a rule removes, put there the way the desk
    puts it (so the audit trail holds its copies too); ten years on, after a run and a
    person's disposal of the incident, none is left anywhere a rule covers, nor in the
    audit trail, and the chain still verifies."""
    desks, sid, start = story
    officer, sup, admin = desks["olivia"], desks["sven"], desks["admin"]
    venue = officer.venue(officer.assessment(sid).venue.id)
    officer.save_venue(replace(venue, night_contact=f"{CANARY} (DPS) 07700 900888"))
    state = officer.save_submission(validate_fields(f"{CANARY} promoter", f"{CANARY} notes"))
    sub = state.submission
    state = officer.submit_for_review(sub.id, state.version, comment=f"{CANARY} resubmit")
    state = sup.return_to_officer(sub.id, state.version, f"{CANARY} returned: ask the DPS")
    state = officer.submit_for_review(sub.id, state.version, comment=f"{CANARY} again")
    sup.approve(sub.id, state.version, comment=f"{CANARY} approved on intel")
    officer.record_debrief(Debrief(sub.id, True, 200, 0, f"{CANARY} said it was calm"))
    officer.record_incident(Incident(
        "HKN-0001", sub.start + timedelta(hours=1), IncidentCategory.DISORDER, Severity.MINOR,
        Location.INSIDE, event_reference=sub.reference, crime_reference=f"CR {CANARY}",
        description=f"{CANARY} saw it"))
    officer.save_draft({"event_name": f"{CANARY} draft", "promoter_name": CANARY})
    keep_form(db, officer, sub.id)
    with pytest.raises(AuthError):
        Desk(db, officer.path).sign_in(f"{CANARY} typed", "a password in the name box")
    officer.heartbeat()
    # Columns the desk fills with names it does not choose (the computer's, the account's):
    # the canary is put in directly, as it would be on a machine named after a person.
    for column in ("workstations.id", "workstations.host", "workstations.username",
                   "workstations.doing", "drafts.username"):
        table, name = column.split(".")
        db.execute(f"UPDATE {table} SET {name} = ? || coalesce({name}, '')", [f"{CANARY} "])
    db.conn.commit()
    missing = [c for c in COVERED if not _canary_rows(db, c)]
    assert missing == [], "the test puts no canary in these columns; give it one"
    assert CANARY in _trail(db)

    admin = _at(admin, start.replace(year=start.year + 10))
    due = _due(admin)
    # A server desk keeps no sign-in failures of its own (the server throttles sign-ins and
    # no login may read them): that kind is empty there, and its table out of the run's reach.
    server = db.dialect.server if getattr(db, "dialect", None) else False
    skipped = retention.NOT_ON_A_SERVER if server else frozenset()
    assert all(due[k] for k in ("venue_contacts", "review_comments", "sign_in_failures",
                                "workstations", "notes", "submissions", "incidents")
               if k not in skipped)
    _apply(admin)
    for item in admin.retention_items("incidents"):
        admin.dispose_record("incidents", item.key, "Not needed after ten years")
    left = {c: _canary_rows(db, c) for c in COVERED if COVERED[c] not in skipped}
    assert {c: n for c, n in left.items() if n} == {}
    trail = _trail(db)
    assert not [c for c in (CANARY, *CANARIES.values()) if c in trail]
    assert _due(admin) == dict.fromkeys(retention.KINDS, 0)
    report = admin.verify_audit()
    assert report.ok, report.problems


def validate_fields(promoter: str, notes: str):
    from eventrisk.validation import validate_submission
    from tests.core.test_retention import _past_fields

    # Over a year ago in fact: the server's own clock decides what a run may remove.
    return validate_submission(_past_fields(
        400, event_name=f"{CANARY} night", promoter_name=promoter,
        promoter_company=f"{CANARY} Ltd", promoter_phone=CANARIES["promoters.phone"],
        promoter_email=CANARIES["promoters.email"], performers=f"DJ {CANARY}",
        night_contact=f"{CANARY} on site", notes=notes))


def _trail(db) -> str:
    return "\n".join(f"{d} {r}" for d, r in db.execute("SELECT detail, reason FROM audit_log")
                     ).lower().replace(CANARY.lower(), CANARY)


def test_a_failed_sign_in_or_a_workstation_is_not_kept_one_by_one(story):
    desks, _, _ = story
    with pytest.raises(ValidationError, match="deleted by the retention run"):
        desks["admin"].keep_record("sign_in_failures", "someone", date(2099, 1, 1), "Keep it")


def test_review_comments_go_on_their_own_rule_before_the_event_is_anonymised(desk_of, venue,
                                                                             db):
    """Six years on (the event really started over a year ago, as the server's function
    insists), the comments of its reviews and the reasons given with its decisions become
    "[anonymised]"; the event, its decisions and grades stay until its own rule."""
    from tests.core.test_retention import _past_fields

    officer, sup, admin = desk_of["olivia"], desk_of["sven"], desk_of["admin"]
    state = officer.save_submission(validate_submission(_past_fields(
        400, event_name="Kept Night", promoter_name="Ada Promoter")))
    sid = state.submission.id
    state = officer.submit_for_review(sid, state.version)
    state = sup.return_to_officer(sid, state.version, f"{CANARY} says the door team lies")
    state = officer.submit_for_review(sid, state.version, comment=f"{CANARY} was wrong")
    state = sup.approve(sid, state.version, comment=f"{CANARY} approved")
    start = state.submission.start
    decisions_before = db.execute("SELECT decision, grade_before, grade_after, reviewer_id "
                                  "FROM reviews ORDER BY id").fetchall()
    admin = _at(admin, start.replace(year=start.year + 6) + timedelta(days=1))
    assert _due(admin) == {**dict.fromkeys(retention.KINDS, 0), "review_comments": 1,
                           "promoter_contacts": 1}
    assert [i.key for i in admin.retention_items("review_comments")] == [
        state.submission.reference]
    done = _apply(admin)
    assert done.counts["review_comments"] == 1
    decided = db.execute("SELECT action FROM audit_log WHERE redacted_in = ? AND entity = "
                         "'submission' ORDER BY id", [done.entry]).fetchall()
    assert [a for (a,) in decided] == ["submission.return", "submission.submit_for_review",
                                       "submission.approve"]
    comments = [c for (c,) in db.execute("SELECT comment FROM reviews ORDER BY id")]
    assert CANARY not in " ".join(comments) and "[anonymised]" in comments
    assert db.execute("SELECT decision, grade_before, grade_after, reviewer_id FROM reviews "
                      "ORDER BY id").fetchall() == decisions_before
    assert CANARY not in _trail(db)
    assert db.execute("SELECT event_name, status FROM submissions WHERE id = ?",
                      [sid]).fetchone() == ("Kept Night", "approved")
    assert _due(admin)["review_comments"] == 0
    report = admin.verify_audit()
    assert report.ok, report.problems


def test_a_venue_contact_counts_from_its_last_event_or_change_and_a_typed_name_is_masked(
        story, db):
    desks, sid, start = story
    officer, admin = desks["olivia"], desks["admin"]
    venue = officer.venue(officer.assessment(sid).venue.id)
    officer.save_venue(replace(venue, night_contact="Dee Manager 07700 900111"))
    with pytest.raises(AuthError):
        Desk(db, officer.path).sign_in("hunter2-typed-as-a-name", "wrong")
    db.execute("UPDATE venues SET updated_at = ?", ["2020-01-01T10:00:00Z"])
    db.execute("UPDATE sign_in_failures SET last_failed_at = ?", ["2020-01-01T10:00:00Z"])
    db.conn.commit()
    # The event was three days ago: a contact changed long before is not due yet ...
    assert _due(admin)["venue_contacts"] == 0
    # ... nor one changed after the last event, two years on from that event.
    later = _at(admin, start.replace(year=start.year + 2) + timedelta(days=1))
    db.execute("UPDATE venues SET updated_at = ?", [
        (start + timedelta(days=100)).strftime("%Y-%m-%dT%H:%M:%SZ")])
    db.conn.commit()
    assert _due(later)["venue_contacts"] == 0
    _at(admin, start.replace(year=start.year + 2) + timedelta(days=101))
    assert [i.key for i in admin.retention_items("venue_contacts")] == [venue.code]
    if getattr(db, "dialect", None) is not None and db.dialect.server:
        assert admin.retention_items("sign_in_failures") == []  # none on a server desk
        return
    [typed] = admin.retention_items("sign_in_failures")
    assert typed.key == "h... (23 characters)" and "hunter2" not in f"{typed}"
