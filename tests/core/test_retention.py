"""Retention (issue 17): the schedule as data, the run on a fixed clock, the audit chain after
anonymisation, and what a tampering insider cannot hide."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from eventrisk import anonymise, retention
from eventrisk.desk import Desk
from eventrisk.desk.personal import ScheduleChanged
from eventrisk.errors import NotFoundError, PermissionDenied, ValidationError, WorkflowError
from eventrisk.model import Debrief, Grade, Incident, IncidentCategory, Location, Role, Severity
from eventrisk.paths import resource
from eventrisk.retention import RetentionFileError, parse_schedule
from eventrisk.timeutil import from_db, now_utc
from eventrisk.validation import validate_submission
from tests.conftest import event_fields, refused_errors, tamper

SHIPPED = resource("retention.toml").read_text("utf-8")
MARKERS = {"name": "Zephyrine Quillfeather", "company": "Quillfeather Nights Ltd",
           "phone": "07700 900123", "email": "zq@quill.example", "notes": "NOTESMARK rang",
           "night": "NIGHTMARK 07700 900999", "performer": "PERFORMERMARK",
           "event": "EVENTMARK Social", "debrief": "DEBRIEFMARK quiet",
           "return": "RETURNMARK check the door team", "override": "OVERRIDEMARK intel",
           "incident": "INCIDENTMARK fight by the bar", "crime": "CRIMEMARK/123"}


# ---- the schedule file ------------------------------------------------------------------------

def test_the_shipped_schedule_covers_every_kind_with_a_reason():
    schedule = parse_schedule(SHIPPED)
    assert set(schedule.rules) == set(retention.KINDS)
    assert {k: (r.keep_years, r.action) for k, r in schedule.rules.items()} == {
        "promoter_contacts": (6, "anonymise"), "notes": (2, "delete"),
        "submissions": (7, "anonymise"), "incidents": (6, "review"), "drafts": (1, "delete"),
        "venue_contacts": (2, "delete"), "review_comments": (6, "anonymise"),
        "sign_in_failures": (1, "delete"), "workstations": (1, "delete")}
    assert all(len(r.reason) > 40 for r in schedule.rules.values())


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize("change, needle, words", [
    (("keep_years = 7", "keep_years = 0"), "keep_years = 0", "submissions.keep_years must be"),
    (("keep_years = 7", 'keep_years = "seven"'), 'keep_years = "seven"', "whole number"),
    (('action = "review"', 'action = "delete"  # at once'), "# at once",
     "would change the history"),
    (('action = "anonymise"\nreason = """Seven', 'action = "shred"\nreason = """Seven'),
     'action = "shred"', "submissions.action must be 'anonymise' or 'review'"),
    (("[notes]", "[notez]"), "[notez]", "[notez] is not a kind of record"),
    (("keep_years = 2", "keep_years = 2\nkeep_months = 3"), "keep_months = 3",
     "notes.keep_months is not a setting"),
    (('version = "2026.1"', 'version = ""'), 'version = ""', "needs a version"),
], ids=["zero-years", "years-as-text", "delete-incidents", "unknown-action", "unknown-kind",
        "unknown-key", "no-version"])
def test_a_bad_schedule_is_refused_naming_the_line(change, needle, words):
    text = SHIPPED.replace(*change)
    assert text != SHIPPED
    with pytest.raises(RetentionFileError) as caught:
        parse_schedule(text, "retention.toml")
    problem = next(p for p in caught.value.problems if words in p)
    assert problem.startswith(f"retention.toml:{_line_of(text, needle)}: ")


def test_not_toml_names_the_line_and_a_missing_kind_is_named():
    broken = SHIPPED.replace('keep_years = 6\naction = "anonymise"', 'keep_years = = 6\n'
                             'action = "anonymise"', 1)
    with pytest.raises(RetentionFileError) as caught:
        parse_schedule(broken, "retention.toml")
    assert caught.value.problems[0].startswith(
        f"retention.toml:{_line_of(broken, 'keep_years = = 6')}: not valid TOML")
    without = SHIPPED[:SHIPPED.index("# Counted from when the incident")]
    with pytest.raises(RetentionFileError, match=r"\[incidents\] is missing"):
        parse_schedule(without)


def test_the_file_in_force_can_be_chosen_and_a_broken_one_stops_the_desk(tmp_path,
                                                                         monkeypatch):
    mine = tmp_path / "retention.toml"
    mine.write_text(SHIPPED.replace("keep_years = 2", "keep_years = 3"), encoding="utf-8")
    monkeypatch.setenv("EVENTRISK_RETENTION", str(mine))
    assert retention.load_schedule().rules["notes"].keep_years == 3
    mine.write_text(SHIPPED.replace("keep_years = 2", "keep_years = -1"), encoding="utf-8")
    with pytest.raises(RetentionFileError, match=str(mine)):
        retention.load_schedule()


# ---- one event through every threshold --------------------------------------------------------

@pytest.fixture
def desk_of(db, tmp_path, admin):
    """Desks signed in as officer, supervisor and administrator on one database."""
    boss = Desk(db, str(tmp_path / "desk.db"))
    boss.sign_in("admin", "admin-password")
    for name, role in (("olivia", Role.OFFICER), ("sven", Role.SUPERVISOR)):
        boss.create_account(name, f"{name.title()} Namesake", role, "temporary-1")
        d = Desk(db, boss.path)
        d.sign_in(name, "temporary-1")
        d.change_own_password("temporary-1", f"{name}-password")
    out = {"admin": boss}
    for name in ("olivia", "sven"):
        out[name] = Desk(db, boss.path)
        out[name].sign_in(name, f"{name}-password")
    return out


def _past_fields(days: int, **kw) -> dict:
    start = (now_utc() - timedelta(days=days)).astimezone().replace(
        tzinfo=None, hour=21, minute=0, second=0, microsecond=0)
    return event_fields(start=start.isoformat(timespec="minutes"),
                        end=(start + timedelta(hours=4)).isoformat(timespec="minutes"), **kw)


@pytest.fixture
def story(desk_of, venue):
    """A past event carrying a marker in every free-text and contact field, returned with a
    comment, overridden with a justification, debriefed, with a linked incident."""
    officer, sup = desk_of["olivia"], desk_of["sven"]
    fields = _past_fields(3, event_name=MARKERS["event"], promoter_name=MARKERS["name"],
                          promoter_company=MARKERS["company"], promoter_phone=MARKERS["phone"],
                          promoter_email=MARKERS["email"], night_contact=MARKERS["night"],
                          performers=MARKERS["performer"])
    state = officer.save_submission(validate_submission(fields))
    sid = state.submission.id
    state = officer.save_submission(replace(state.submission, notes=MARKERS["notes"]))
    state = officer.submit_for_review(sid, state.version)
    state = sup.return_to_officer(sid, state.version, MARKERS["return"])
    state = officer.submit_for_review(sid, state.version)
    new = Grade.CRITICAL if state.grade is not Grade.CRITICAL else Grade.HIGH
    state = sup.override(sid, state.version, new, MARKERS["override"])
    officer.record_incident(Incident(
        "HKN-0001", state.submission.start + timedelta(hours=1), IncidentCategory.DISORDER,
        Severity.MINOR, Location.INSIDE, event_reference=state.submission.reference,
        crime_reference=MARKERS["crime"], description=MARKERS["incident"]))
    officer.record_debrief(Debrief(sid, True, 250, 1, MARKERS["debrief"]))
    return desk_of, sid, state.submission.start


def _at(desk: Desk, moment: datetime) -> Desk:
    desk.clock = lambda: moment
    return desk


NOTHING = dict.fromkeys(retention.KINDS, 0)
AUTOMATIC = {k: 0 for k in retention.KINDS if k != "incidents"}


def _due(desk: Desk) -> dict[str, int]:
    return {d.rule.kind: d.count for d in desk.retention_review().kinds}


def _apply(desk: Desk):
    return desk.apply_retention(desk.retention_review())


def _markers_in(text: str) -> set[str]:
    return {k for k, v in MARKERS.items() if v in text}


def _audit_text(db, sid: int) -> str:
    return "\n".join(f"{d} {r}" for d, r in db.execute(
        "SELECT detail, reason FROM audit_log WHERE (entity = 'submission' AND entity_id = ?) "
        "OR entity IN ('promoter', 'incident')", [str(sid)]))


def test_records_cross_each_threshold_exactly_as_the_schedule_says(story, db):
    desks, sid, start = story
    admin = desks["admin"]
    day = timedelta(days=1)

    def years(n: int) -> datetime:
        return start.replace(year=start.year + n)

    _at(admin, years(2) - day)
    assert _due(admin) == NOTHING
    _at(admin, years(2) + day)
    assert _due(admin) == {**NOTHING, "notes": 1}
    done = _apply(admin)
    assert done.counts == {**AUTOMATIC, "notes": 1}
    row = db.execute("SELECT s.notes, s.night_contact, d.notes, s.event_name, s.anonymised_at "
                     "FROM submissions s JOIN debriefs d ON d.submission_id = s.id "
                     "WHERE s.id = ?", [sid]).fetchone()
    assert row == ("", "", "", MARKERS["event"], None)  # the notes went; the record stays
    assert "notes" not in _markers_in(_audit_text(db, sid))
    assert admin.verify_audit().ok
    assert _due(admin)["notes"] == 0  # done once

    _at(admin, years(6) - day)
    assert _due(admin) == NOTHING
    _at(admin, years(6) + day)
    assert _due(admin) == {**NOTHING, "promoter_contacts": 1, "incidents": 1,
                           "review_comments": 1}
    done = _apply(admin)
    assert done.counts["promoter_contacts"] == 1
    promoter = db.execute("SELECT name, company, phone, email, anonymised_at FROM promoters"
                          ).fetchone()
    assert promoter[0].startswith("Anonymised promoter P-") and promoter[1:4] == ("", "", "")
    # The incident waits for a person: nothing about it changed.
    assert db.execute("SELECT description FROM incidents").fetchone()[0] == MARKERS["incident"]
    assert [i.key for i in admin.retention_items("incidents")] == [
        db.execute("SELECT reference FROM incidents").fetchone()[0]]
    assert admin.verify_audit().ok

    _at(admin, years(7) + day)
    assert _due(admin)["submissions"] == 1
    snapshots_before = db.execute("SELECT id, digest, packed FROM assessments").fetchall()
    done = _apply(admin)
    assert done.counts["submissions"] == 1 and done.audit_entries > 0
    sub = db.execute("SELECT event_name, performers, notes, night_contact, grade, venue_id, "
                     "starts_at, anonymised_at FROM submissions WHERE id = ?", [sid]).fetchone()
    assert sub[:4] == (anonymise.MARK, "[]", "", "")
    assert sub[4] == new_grade(db, sid) and sub[5] is not None and sub[7] is not None
    assert db.execute("SELECT id, digest, packed FROM assessments").fetchall() == \
        snapshots_before  # snapshots are kept exactly: grade and features for history
    comments = {c for (c,) in db.execute("SELECT comment FROM reviews WHERE comment != ''")}
    assert comments == {anonymise.MARK}
    left = _markers_in(_audit_text(db, sid) + "\n".join(
        c for (c,) in db.execute("SELECT comment FROM reviews")))
    assert left <= {"incident", "crime"}  # only the incident, still waiting for a person
    report = admin.verify_audit()
    assert report.ok, report.problems
    assert _due(admin)["submissions"] == 0


def new_grade(db, sid: int) -> str:
    return db.execute("SELECT coalesce(override_grade, grade) FROM submissions WHERE id = ?",
                      [sid]).fetchone()[0]


def test_each_run_is_audited_with_counts_and_schedule(story, db):
    desks, sid, start = story
    admin = _at(desks["admin"], start.replace(year=start.year + 8))
    done = _apply(admin)
    entry = json.loads(db.execute("SELECT detail FROM audit_log WHERE id = ?",
                                  [done.entry]).fetchone()[0])
    assert entry["counts"] == {**AUTOMATIC, "promoter_contacts": 1, "notes": 1,
                               "submissions": 1, "review_comments": 1}
    assert entry["schedule"] == "2026.1" and len(entry["schedule_sha256"]) == 64
    assert entry["anonymised_entries"] == done.audit_entries > 0
    marked = db.execute("SELECT count(*) FROM audit_log WHERE redacted_in = ?",
                        [done.entry]).fetchone()[0]
    assert marked == done.audit_entries


def test_anonymised_events_cannot_be_edited_or_named_again(story, db):
    desks, sid, start = story
    _apply(_at(desks["admin"], start.replace(year=start.year + 8)))
    officer = desks["olivia"]
    state = officer.assessment(sid)
    with pytest.raises(WorkflowError, match="anonymised|debriefed"):
        officer.save_submission(replace(state.submission, notes="again"))
    with pytest.raises(ValidationError, match="promoter_name"):
        validate_submission(event_fields(promoter_name="Anonymised promoter P-000001"))


def test_a_person_keeps_or_disposes_of_what_is_under_review(story, db):
    desks, sid, start = story
    admin = _at(desks["admin"], start.replace(year=start.year + 6) + timedelta(days=2))
    ref = db.execute("SELECT reference FROM incidents").fetchone()[0]
    with pytest.raises(ValidationError, match="reason"):
        admin.keep_record("incidents", ref, admin.clock().date() + timedelta(days=90), " ")
    with pytest.raises(ValidationError, match="until"):
        admin.keep_record("incidents", ref, admin.clock().date(), "Open investigation")
    with pytest.raises(NotFoundError):
        admin.keep_record("incidents", "INC-9999999", date(2040, 1, 1), "Open investigation")
    until = admin.clock().date() + timedelta(days=90)
    admin.keep_record("incidents", ref, until, "Linked to an open investigation")
    assert admin.retention_items("incidents") == []
    assert {d.rule.kind: d.held for d in admin.retention_review().kinds}["incidents"] == 1
    _at(admin, datetime.combine(until, datetime.min.time(), UTC) + timedelta(hours=1))
    assert [i.key for i in admin.retention_items("incidents")] == [ref]  # due again
    admin.dispose_record("incidents", ref, "Investigation closed; no longer needed")
    row = db.execute("SELECT description, crime_reference, category, severity, anonymised_at "
                     "FROM incidents").fetchone()
    assert row[:4] == (anonymise.MARK, "", "disorder", 1) and row[4] is not None
    assert "incident" not in _markers_in(_audit_text(db, sid))
    actions = [a for (a,) in db.execute("SELECT action FROM audit_log WHERE action LIKE "
                                        "'retention.%' ORDER BY id")]
    assert actions == ["retention.keep", "retention.dispose"]
    assert admin.retention_items("incidents") == [] and admin.verify_audit().ok


def test_a_run_confirmed_on_old_figures_does_nothing(story, db):
    desks, sid, start = story
    admin = _at(desks["admin"], start.replace(year=start.year + 2) + timedelta(days=2))
    seen = admin.retention_review()
    _at(admin, start.replace(year=start.year + 8))  # more is due than was confirmed
    head = db.execute("SELECT max(id) FROM audit_log").fetchone()[0]
    with pytest.raises(ScheduleChanged):
        admin.apply_retention(seen)
    assert db.execute("SELECT max(id) FROM audit_log").fetchone()[0] == head
    assert db.execute("SELECT notes FROM submissions").fetchone()[0] == MARKERS["notes"]


@pytest.mark.parametrize("who", ["olivia", "sven"])
def test_only_administrators_handle_personal_data(story, who):
    desks, _, _ = story
    desk = desks[who]
    for act in (desk.retention_review, lambda: desk.subject_access(MARKERS["name"]),
                lambda: desk.erase_promoter(MARKERS["name"], "asked"),
                lambda: desk.retention_items("incidents")):
        with pytest.raises(PermissionDenied):
            act()


# ---- the chain after anonymisation, and an insider with the file ------------------------------

@pytest.fixture
def anonymised(story, db):
    desks, sid, start = story
    done = _apply(_at(desks["admin"], start.replace(year=start.year + 8)))
    assert desks["admin"].verify_audit().ok
    db.conn.commit()
    return desks["admin"], done


@pytest.mark.sqlite_only  # a backup file
def test_every_hash_and_witness_survives_anonymisation(story, db, tmp_path):
    desks, sid, start = story
    admin = desks["admin"]
    before = dict(db.execute("SELECT id, hash FROM audit_log").fetchall())
    admin.backup(tmp_path / "before.db")
    _apply(_at(admin, start.replace(year=start.year + 8)))
    after = dict(db.execute("SELECT id, hash FROM audit_log").fetchall())
    assert {k: after[k] for k in before} == before  # no hash moved: printed heads still hold
    report = admin.verify_audit(against=tmp_path / "before.db")
    assert report.ok, report.problems


def test_editing_an_anonymised_entry_afterwards_is_caught(anonymised, db):
    admin, done = anonymised
    victim = db.execute("SELECT min(id) FROM audit_log WHERE redacted_in IS NOT NULL"
                        ).fetchone()[0]
    tamper(db, "UPDATE audit_log SET reason = 'something else' WHERE id = ?", [victim])
    report = admin.verify_audit()
    assert not report.ok
    assert any(f"entry {victim}" in p and "no longer matches" in p for p in report.problems), \
        report.problems


def test_anonymising_an_entry_outside_a_run_is_caught(anonymised, db):
    admin, done = anonymised
    victim = db.execute("SELECT id FROM audit_log WHERE redacted_in IS NULL AND id < ? "
                        "ORDER BY id LIMIT 1", [done.entry]).fetchone()[0]
    tamper(db, "UPDATE audit_log SET detail = '{}', redacted_in = ? WHERE id = ?",
            [done.entry, victim])
    assert not admin.verify_audit().ok
    tamper(db, "UPDATE audit_log SET redacted_in = NULL WHERE id = ?", [victim])
    # A hidden change claimed by no run: the entry's own hash catches it.
    assert "changed after it was written" in " ".join(admin.verify_audit().problems)


def test_unmarking_anonymised_entries_is_caught(anonymised, db):
    admin, done = anonymised
    tamper(db, "UPDATE audit_log SET redacted_in = NULL WHERE redacted_in = ?", [done.entry])
    assert not admin.verify_audit().ok


def test_the_triggers_allow_a_run_and_nothing_else(anonymised, db):
    admin, done = anonymised
    plain = db.execute("SELECT id FROM audit_log WHERE redacted_in IS NULL AND id < ? "
                       "ORDER BY id LIMIT 1", [done.entry]).fetchone()[0]
    for sql, params in (
            ("UPDATE audit_log SET detail = '{}' WHERE id = ?", [plain]),
            ("UPDATE audit_log SET detail = '{}', redacted_in = 1 WHERE id = ?", [plain]),
            ("UPDATE audit_log SET hash = 'x', redacted_in = ? WHERE id = ?", [done.entry, plain]),
            ("UPDATE audit_log SET detail = '{}', redacted_in = ? WHERE id = ?",
             [plain, plain]),  # "anonymised by" an entry that is no run
            ("UPDATE audit_log SET reason = 'x' WHERE redacted_in IS NOT NULL", []),
            ("DELETE FROM audit_log WHERE id = ?", [plain]),
            ("UPDATE reviews SET comment = 'rewritten'", []),
            ("UPDATE reviews SET decision = 'approve', comment = '[anonymised]'", [])):
        with pytest.raises(refused_errors(), match="immutable"):
            db.execute(sql, params)
    db.conn.rollback()


@pytest.mark.sqlite_only  # the standalone verifier reads a desk file
def test_the_standalone_verifier_agrees(anonymised, db, tmp_path):
    import subprocess
    import sys

    from tests.core.test_audit_trail import ROOT

    path = db.execute("PRAGMA database_list").fetchone()[2]
    script = ROOT / "docs" / "verify_audit.py"
    ok = subprocess.run([sys.executable, str(script), path], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout
    admin, done = anonymised
    tamper(db, "UPDATE audit_log SET detail = '{}' WHERE redacted_in = ? AND id = "
            "(SELECT min(id) FROM audit_log WHERE redacted_in = ?)", [done.entry, done.entry])
    bad = subprocess.run([sys.executable, str(script), path], capture_output=True, text=True)
    assert bad.returncode == 1 and "anonymised" in bad.stdout


def test_an_erased_promoter_keeps_their_events_and_the_chain_holds(story, db):
    desks, sid, _ = story
    admin = desks["admin"]
    with pytest.raises(ValidationError, match="reason"):
        admin.erase_promoter(MARKERS["name"], "")
    admin.correct_promoter(MARKERS["name"], {"email": "second@quill.example"},
                           "New address")  # the old one is now in the audit trail too
    count = admin.erase_promoter(MARKERS["name"], "Asked for their details to be erased")
    assert count == 1
    held = admin.promoter(MARKERS["name"])
    assert (held.company, held.phone, held.email) == ("", "", "")
    text = "\n".join(f"{d} {r}" for d, r in db.execute("SELECT detail, reason FROM audit_log"))
    assert not {"company", "phone", "email"} & _markers_in(text)
    assert "second@quill.example" not in text
    assert admin.verify_audit().ok
    assert admin.assessment(sid).promoter.name == MARKERS["name"]


def test_correcting_a_promoter_is_versioned_and_audited_with_the_reason(story, db):
    desks, _, _ = story
    admin = desks["admin"]
    fixed = admin.correct_promoter(MARKERS["name"], {"phone": "020 7946 0000"},
                                   "Promoter rang with a new number")
    assert fixed.phone == "020 7946 0000" and fixed.version == 2
    entry = db.execute("SELECT detail, reason FROM audit_log WHERE action = 'promoter.edit' "
                       "ORDER BY id DESC").fetchone()
    assert json.loads(entry[0])["phone"] == [MARKERS["phone"], "020 7946 0000"]
    assert entry[1] == "Promoter rang with a new number"
    with pytest.raises(ValidationError):
        admin.correct_promoter(MARKERS["name"], {"name": "Someone Else"}, "typo")
    with pytest.raises(ValidationError):
        admin.correct_promoter(MARKERS["name"], {"phone": "020 7946 0000"}, "again")


def test_the_next_review_counts_from_the_newest_event(story, db, desk_of):
    """A promoter who comes back is not anonymised: six years from their last event."""
    desks, sid, start = story
    later = desks["olivia"].save_submission(validate_submission(_past_fields(
        1, event_name="Return visit", promoter_name=MARKERS["name"])))
    assert later.submission.id != sid
    admin = _at(desks["admin"], start.replace(year=start.year + 6) + timedelta(hours=12))
    assert _due(admin)["promoter_contacts"] == 0
    _at(admin, from_db(db.execute("SELECT max(starts_at) FROM submissions").fetchone()[0])
        .replace(year=start.year + 6) + timedelta(days=1))
    assert _due(admin)["promoter_contacts"] == 1


# ---- history and calibration survive anonymisation --------------------------------------------

def test_history_features_and_calibration_are_the_same_after_anonymising_old_events(tmp_path):
    """Everything on a demo desk passes every threshold at once; what scoring and calibration
    read is untouched: the same features, the same calibration, and a rescore that finds
    nothing to store."""
    from eventrisk.scoring.service import iter_features

    desk = Desk.open(tmp_path / "demo.db", create=True)
    desk.build_demo(seed=3, venues=15, events=500, incidents=600)
    desk.sign_in("supervisor", "supervisor-demo")
    desk.rescore_all()
    now = now_utc()

    def features() -> dict:
        return {s.submission.id: s.values for s in iter_features(desk.db, "1", {}, now)}

    def calibration() -> dict:
        report = desk.calibration(date(2020, 1, 1), now.date()).to_json()
        report.pop("generated_at")
        return report

    features_before, calibration_before = features(), calibration()
    assert calibration_before["events"] > 300
    admin = Desk.open(tmp_path / "demo.db")
    admin.sign_in("admin", "admin-demo")
    done = _apply(_at(admin, now.replace(year=now.year + 8)))
    assert done.counts["submissions"] == 500 and done.counts["promoter_contacts"] > 0
    assert admin.db.execute("SELECT count(*) FROM submissions WHERE anonymised_at IS NULL OR "
                            "event_name != ?", [anonymise.MARK]).fetchone()[0] == 0
    assert features() == features_before
    # Every figure stays; only the overrides' written justifications (review comments, the
    # supervisors' words) are anonymised with the rest (the demo's past now has overrides).
    after = calibration()
    justifications = {(o["reference"], o["justification"])
                      for o in calibration_before.pop("override_list")}
    anonymised = {o["reference"]: o["justification"] for o in after.pop("override_list")}
    assert after == calibration_before
    assert justifications and {ref for ref, _ in justifications} == set(anonymised)
    assert not {text for _, text in justifications} & set(anonymised.values())
    assert sum(r.stored for r in desk.rescore_all()) == 0
    assert admin.verify_audit().ok


# ---- subject access ---------------------------------------------------------------------------

def test_subject_access_holds_every_record_of_the_promoter_and_nobody_elses(story, db):
    import io
    import zipfile

    from pypdf import PdfReader

    desks, sid, _ = story
    officer = desks["olivia"]
    other = {"name": "Barnaby Otherperson", "company": "Otherperson Events",
             "phone": "07700 900555", "email": "barnaby@other.example"}
    theirs = officer.save_submission(validate_submission(event_fields(
        event_name="Moved Night", promoter_name=other["name"],
        promoter_company=other["company"], promoter_phone=other["phone"],
        promoter_email=other["email"])))
    moved = officer.save_submission(replace(theirs.submission, promoter_name=MARKERS["name"],
                                            promoter_company="", promoter_phone="",
                                            promoter_email=""))
    officer.save_submission(validate_submission(event_fields(
        event_name="Not Theirs", promoter_name=other["name"])))
    access, package = desks["admin"].subject_access(MARKERS["name"])
    archive = zipfile.ZipFile(io.BytesIO(package))
    assert sorted(archive.namelist()) == ["subject-access.json", "subject-access.pdf"]
    data = json.loads(archive.read("subject-access.json"))
    pdf = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(
        archive.read("subject-access.pdf"))).pages)
    refs = {r for (r,) in db.execute("SELECT reference FROM submissions WHERE promoter_id = "
                                     "(SELECT id FROM promoters WHERE name = ?)",
                                     [MARKERS["name"]])}
    assert {e["reference"] for e in data["events"]} == refs == {
        access.events[0].reference, moved.submission.reference}
    entries = {i for (i,) in db.execute(
        "SELECT id FROM audit_log WHERE (entity = 'submission' AND entity_id IN "
        "(SELECT CAST(id AS TEXT) FROM submissions WHERE reference IN (SELECT value FROM "
        "json_each(?)))) OR (entity = 'promoter' AND entity_id = CAST(? AS TEXT) AND "
        "action != 'promoter.subject_access')",  # this request's own entry, written after
        [json.dumps(sorted(refs)), access.promoter_id])}
    shown = {a["position"] for a in data["audit"]}
    withheld = {w["what"]: w["count"] for w in data["withheld"]}
    # Every entry is either shown or counted as withheld (returns and overrides, here).
    assert shown < entries
    assert withheld["audit entries withheld: police notes and decisions"] == \
        len(entries - shown) > 0
    actions = {a for (a,) in db.execute(
        "SELECT action FROM audit_log WHERE id IN (SELECT CAST(value AS INTEGER) FROM "
        "json_each(?))", [json.dumps(sorted(entries - shown))])}
    assert {"submission.return", "submission.override"} <= actions
    assert len(data["incidents"]) == 1
    flat = json.dumps(data, ensure_ascii=False)
    for text in (flat, " ".join(pdf.split())):
        for mine in ("name", "phone", "email"):
            assert MARKERS[mine] in text, mine
        for withheld in ("return", "override"):  # may reveal intelligence: s.45(4)
            assert MARKERS[withheld] not in text
        for value in other.values():
            assert value not in text  # another promoter
        assert MARKERS["incident"] not in text and MARKERS["crime"] not in text
        for person in ("olivia", "sven", "Olivia Namesake", "Sven Namesake"):
            assert person not in text  # officers by role only
        assert "Desk officer" in text
    assert "[another promoter: redacted]" in flat
    assert "audit entries withheld: police notes and decisions" in " ".join(pdf.split())
    assert "Other promoters" in pdf or "other promoter" in pdf
    entry = db.execute("SELECT action, actor FROM audit_log ORDER BY id DESC").fetchone()
    assert entry == ("promoter.subject_access", "admin")


def test_subject_access_for_an_unknown_or_anonymised_promoter_says_so(story):
    desks, sid, start = story
    admin = desks["admin"]
    with pytest.raises(NotFoundError, match="no promoter called 'Nobody'"):
        admin.subject_access("Nobody")
    _apply(_at(admin, start.replace(year=start.year + 8)))
    with pytest.raises(NotFoundError):
        admin.subject_access(MARKERS["name"])


def test_paper_prints_the_company_and_a_number_for_the_night_never_the_email(story):
    import io

    from pypdf import PdfReader

    desks, sid, start = story
    officer = desks["olivia"]
    state = officer.assessment(sid)
    day = start.date()

    def text(pdf: bytes) -> str:
        return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
                        .split())

    for pdf in (officer.render_assessment(sid),
                officer.render_pack(state.venue.borough, day, day, include_pending=True)[0]):
        printed = text(pdf)
        assert MARKERS["company"] in printed and MARKERS["night"] in printed
        assert MARKERS["email"] not in printed


# ---- drafts -----------------------------------------------------------------------------------

def test_a_schedule_from_before_drafts_keeps_working_with_the_default():
    without = SHIPPED[:SHIPPED.index("# Counted from when the draft was last saved.")]
    schedule = parse_schedule(without)
    assert (schedule.rules["drafts"].keep_years, schedule.rules["drafts"].action) == \
        (1, "delete")


def test_an_untouched_draft_is_deleted_after_a_year_and_named_in_subject_access(story, db):
    desks, sid, start = story
    officer, admin = desks["olivia"], desks["admin"]
    old = officer.save_draft({"event_name": "Forgotten", "promoter_name": MARKERS["name"],
                              "promoter_phone": "07700 900777"})
    recent = officer.save_draft({"event_name": "Still going"})
    access, _ = admin.subject_access(MARKERS["name"])
    assert [(d["event"], d.get("promoter_phone")) for d in access.drafts] == [
        ("Forgotten", "07700 900777")]
    db.execute("UPDATE drafts SET updated_at = '2020-01-01T10:00:00Z' WHERE id = ?", [old.id])
    db.conn.commit()
    assert _due(admin)["drafts"] == 1
    done = _apply(admin)
    assert done.counts["drafts"] == 1
    assert [d.id for d in officer.drafts()] == [recent.id]
    assert admin.verify_audit().ok


# ---- a big backlog is done in chunks (issue 31 item 6) ----------------------------------------

@pytest.fixture
def backlog(desk_of, venue):
    """Five past events of five promoters, each with notes: more due than a chunk of three."""
    officer = desk_of["olivia"]
    for n in range(5):
        fields = _past_fields(3 + n, event_name=f"Backlog night {n}",
                              promoter_name=f"Backlog Promoter {n}",
                              promoter_phone=f"07700 90010{n}")
        state = officer.save_submission(validate_submission(fields))
        officer.save_submission(replace(state.submission, notes=f"BACKLOG note {n}"))
    admin = desk_of["admin"]
    return _at(admin, now_utc() + timedelta(days=8 * 366))


def _runs(db) -> list[dict]:
    return [json.loads(d) for (d,) in db.execute(
        "SELECT detail FROM audit_log WHERE action = 'retention.apply' ORDER BY id")]


def test_a_big_run_commits_in_chunks_each_a_run_that_verifies(backlog, db):
    seen = backlog.retention_review()
    due = sum(d.count for d in seen.kinds)
    assert due > 3
    done = backlog.apply_retention(seen, chunk=3)
    runs = _runs(db)
    assert len(runs) == len(done.entries) == -(-due // 3)  # one run entry a chunk
    assert all(sum(r["counts"].values()) <= 3 for r in runs)
    assert sum(sum(r["counts"].values()) for r in runs) == due == done.total
    assert sum(_due(backlog).values()) == 0
    assert not db.execute("SELECT count(*) FROM submissions WHERE notes != ''").fetchone()[0]
    report = backlog.verify_audit()
    assert report.ok, report.problems


def test_a_run_stopped_between_chunks_leaves_verified_runs_and_finishes_next_time(
        backlog, db, monkeypatch):
    calls = []
    real = retention.apply

    def dies_on_the_second_chunk(*args, **kw):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # the workstation killed between chunks
        return real(*args, **kw)

    monkeypatch.setattr(retention, "apply", dies_on_the_second_chunk)
    seen = backlog.retention_review()
    due = sum(d.count for d in seen.kinds)
    with pytest.raises(KeyboardInterrupt):
        backlog.apply_retention(seen, chunk=3)
    assert len(_runs(db)) == 1 and sum(_due(backlog).values()) == due - 3
    report = backlog.verify_audit()
    assert report.ok, report.problems
    backlog.apply_retention(backlog.retention_review(), chunk=3)
    assert sum(_due(backlog).values()) == 0
    assert backlog.verify_audit().ok
