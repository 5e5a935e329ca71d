"""Every use case of the desk service × every role × an account active or disabled after it
signed in.  Permission is decided in the desk, against the account as it is at that moment."""

from __future__ import annotations

import shutil
from contextlib import ExitStack
from dataclasses import replace
from datetime import date, timedelta

import pytest

from eventrisk import retention
from eventrisk.db import open_database
from eventrisk.desk import Desk
from eventrisk.errors import PermissionDenied
from eventrisk.model import (
    Debrief,
    Grade,
    Incident,
    IncidentCategory,
    Location,
    Role,
    Severity,
    Venue,
)
from eventrisk.paths import resource
from eventrisk.queue import QueueFilter
from eventrisk.scoring.rules import parse_ruleset
from eventrisk.timeutil import now_utc
from eventrisk.validation import validate_submission
from tests.conftest import BACKENDS, event_fields, module_desk

ROLES = ("officer", "supervisor", "admin")
ALL = set(ROLES)
DECIDERS = {"supervisor", "admin"}

VENUES_CSV = ("code,name,address,postcode,borough,capacity\n"
              "NEW-0001,The New Rooms,2 High Street,E8 2AA,Hackney,200\n")
PAST_CSV = ("event_name,venue_code,promoter_name,event_type,start,end,expected_attendance,"
            "ticketing,min_age,alcohol,status\n"
            "Old Night,HKN-0001,Lantern Events,club_night,2024-03-02T22:00,2024-03-03T02:00,"
            "200,advance_only,18,true,debriefed\n")


def _past(**kw):
    start = (now_utc() - timedelta(days=3)).astimezone().replace(tzinfo=None, second=0,
                                                                 microsecond=0)
    return event_fields(start=start.isoformat(timespec="minutes"),
                        end=(start + timedelta(hours=4)).isoformat(timespec="minutes"), **kw)


@pytest.fixture(scope="module", params=BACKENDS)
def template(request, tmp_path_factory):
    """A desk with an event in every state a use case needs, captured by someone who is
    none of the accounts under test (so four eyes never gets in the way): a file, or a
    database on the test server that each test copies."""
    with module_desk(request, tmp_path_factory) as path:
        desk = Desk.open(path, create=True)
        desk.create_first_admin("admin", "Admin", "admin-password")
        for name, role in (("capturer", Role.OFFICER), ("officer", Role.OFFICER),
                           ("supervisor", Role.SUPERVISOR), ("boss", Role.SUPERVISOR)):
            desk.create_account(name, name.title(), role, f"{name}-password")
            desk.db.execute("UPDATE users SET must_change_password = 0 WHERE username = ?",
                            [name])
        desk.db.conn.commit()
        desk.save_venue(Venue("HKN-0001", "The Canal Arches", "1 Mare Street", "E8 1AA",
                              "Hackney", 400, latest_finish="03:00"))
        cap = Desk(desk.db, path)
        cap.sign_in("capturer", "capturer-password")
        boss = Desk(desk.db, path)
        boss.sign_in("boss", "boss-password")
        ids = {}
        ids["assessed"] = cap.save_submission(validate_submission(event_fields(
            event_name="One"))).submission.id
        s = cap.save_submission(validate_submission(event_fields(event_name="Two")))
        ids["in_review"] = cap.submit_for_review(s.submission.id, s.version).submission.id
        s = cap.save_submission(validate_submission(event_fields(event_name="Three")))
        s = cap.submit_for_review(s.submission.id, s.version)
        ids["approved"] = boss.approve(s.submission.id, s.version).submission.id
        ids["past"] = cap.save_submission(validate_submission(_past())).submission.id
        ids["incident"] = cap.record_incident(Incident(
            "HKN-0001", now_utc() - timedelta(days=40), IncidentCategory.DISORDER,
            Severity.MINOR, Location.DOOR, description="Argument at the door")).id
        desk.close()
        yield path, ids


def _version(desk, key, ids):
    return desk.db.execute("SELECT version FROM submissions WHERE id = ?",
                           [ids[key]]).fetchone()[0]


def _sub(desk, key, ids):
    from eventrisk import submissions

    return submissions.get(desk.db, ids[key])


USE_CASES = {
    "read an assessment": (ALL, lambda d, ids, tmp: d.assessment(ids["assessed"])),
    "read the queue": (ALL, lambda d, ids, tmp: d.queue_page(QueueFilter())),
    "capture": (ALL, lambda d, ids, tmp: d.save_submission(validate_submission(
        event_fields(event_name="A New Night")))),
    "edit": (ALL, lambda d, ids, tmp: d.save_submission(replace(
        _sub(d, "assessed", ids), notes="edited"))),
    "score": (ALL, lambda d, ids, tmp: d.score([_sub(d, "assessed", ids).reference])),
    "submit for review": (ALL, lambda d, ids, tmp: d.submit_for_review(
        ids["assessed"], _version(d, "assessed", ids))),
    "approve": (DECIDERS, lambda d, ids, tmp: d.approve(
        ids["in_review"], _version(d, "in_review", ids))),
    "return": (DECIDERS, lambda d, ids, tmp: d.return_to_officer(
        ids["in_review"], _version(d, "in_review", ids), "Check the door team")),
    "override": (DECIDERS, lambda d, ids, tmp: d.override(
        ids["in_review"], _version(d, "in_review", ids),
        Grade.CRITICAL if _sub(d, "in_review", ids) and d.assessment(
            ids["in_review"]).grade is not Grade.CRITICAL else Grade.LOW, "Intelligence")),
    "cancel": (ALL, lambda d, ids, tmp: d.cancel(ids["assessed"], _version(d, "assessed", ids),
                                                 "Withdrawn")),
    "agree measures": (ALL, lambda d, ids, tmp: d.agree_measures(
        ids["assessed"], _version(d, "assessed", ids), {"door_supervisors": 9})),
    "issue": (ALL, lambda d, ids, tmp: d.issue(ids["approved"], _version(d, "approved", ids),
                                               b"%PDF-1.4 test")),
    "send the promoter's letter": (ALL, lambda d, ids, tmp: d.issue_letter(
        ids["approved"], d.render_letter(ids["approved"]))),
    "record debrief": (ALL, lambda d, ids, tmp: d.record_debrief(
        Debrief(ids["past"], True, 200, 0))),
    "record incident": (ALL, lambda d, ids, tmp: d.record_incident(Incident(
        "HKN-0001", now_utc() - timedelta(days=1), IncidentCategory.DISORDER, Severity.MINOR,
        Location.OUTSIDE_NEARBY, description="Scuffle in the queue"))),
    "correct incident": (ALL, lambda d, ids, tmp: d.correct_incident(replace(
        d.incident_by_reference(_incident_ref(d, ids)), severity=Severity.MODERATE))),
    "save venue": (ALL, lambda d, ids, tmp: d.save_venue(Venue(
        "NEW-0002", "Another Hall", "3 High Street", "E8 3AA", "Hackney", 150))),
    "import": (ALL, lambda d, ids, tmp: d.import_file("venues", _file(tmp, "v.csv",
                                                                     VENUES_CSV))),
    "import with status": ({"admin"}, lambda d, ids, tmp: d.import_file(
        "submissions", _file(tmp, "s.csv", PAST_CSV), with_status=True)),
    "export": (ALL, lambda d, ids, tmp: d.export_file("venues", tmp / "out.csv")),
    "publish rules": (DECIDERS, lambda d, ids, tmp: d.publish_rules(parse_ruleset(
        resource("rules", "default.toml").read_text("utf-8").replace(
            'version = "2026.2"', 'version = "2027.9"'), "draft"))),
    "rescore all": (DECIDERS, lambda d, ids, tmp: d.rescore_all()),
    "calibration report": (DECIDERS, lambda d, ids, tmp: d.calibration(
        date(2020, 1, 1), date(2030, 1, 1))),
    "add an account": ({"admin"}, lambda d, ids, tmp: d.create_account(
        "newbie", "New Officer", Role.OFFICER, "temporary-1")),
    "reset a password": ({"admin"}, lambda d, ids, tmp: d.reset_password(
        "capturer", "temporary-2")),
    # A file desk's (a server has none: there the same gate is tried through accounts()).
    "make a new recovery code": ({"admin"}, lambda d, ids, tmp: d.new_recovery_code()
                                 if d.offers_recovery else d.accounts()),
    "deactivate an account": ({"admin"}, lambda d, ids, tmp: d.set_account_active(
        "capturer", False, "Left")),
    "change a role": ({"admin"}, lambda d, ids, tmp: d.set_account_role(
        "capturer", Role.SUPERVISOR)),
    "change a desk setting": ({"admin"}, lambda d, ids, tmp: d.set_setting(
        "idle_lock_minutes", 5)),
    "back up": (ALL, lambda d, ids, tmp: d.backup(tmp / "copy.db")),
    "copy the whole desk": ({"admin"}, lambda d, ids, tmp: d.copy_to(tmp / "moved.db")),
    "restore a backup": ({"admin"}, lambda d, ids, tmp: d.authorise_restore()),
    "verify the audit trail": (ALL, lambda d, ids, tmp: d.verify_audit()),
    "save a draft": (ALL, lambda d, ids, tmp: d.save_draft({"event_name": "Half done"})),
    "discard a draft": (ALL, lambda d, ids, tmp: d.discard_draft(1)),
    "assign an event": (DECIDERS, lambda d, ids, tmp: d.assign(
        ids["approved"], _version(d, "approved", ids), "officer")),
    "retention review": ({"admin"}, lambda d, ids, tmp: d.retention_review()),
    "records due under review": ({"admin"}, lambda d, ids, tmp: _later(d).retention_items(
        "incidents")),
    "apply the retention schedule": ({"admin"}, lambda d, ids, tmp: _later(d).apply_retention(
        retention.due(d.db, retention.load_schedule(), d.clock()))),
    "keep a record under review": ({"admin"}, lambda d, ids, tmp: _later(d).keep_record(
        "incidents", _incident_ref(d, ids), d.clock().date() + timedelta(days=365),
        "Linked to an open investigation")),
    "dispose of a record under review": ({"admin"}, lambda d, ids, tmp: _later(
        d).dispose_record("incidents", _incident_ref(d, ids), "No longer needed")),
    "see a promoter's details": ({"admin"}, lambda d, ids, tmp: d.promoter("Lantern Events")),
    "subject access": ({"admin"}, lambda d, ids, tmp: d.subject_access("Lantern Events")),
    "correct a promoter's details": ({"admin"}, lambda d, ids, tmp: d.correct_promoter(
        "Lantern Events", {"phone": "020 7946 0001"}, "The promoter rang with a new number")),
    "erase a promoter's details": ({"admin"}, lambda d, ids, tmp: d.erase_promoter(
        "Lantern Events", "Asked for their details to be erased")),
}


def _later(desk):
    """The same desk eight years on: every incident of the template is due for review."""
    desk.clock = lambda: now_utc() + timedelta(days=8 * 366)
    return desk


def _incident_ref(desk, ids):
    return desk.db.execute("SELECT reference FROM incidents WHERE id = ?",
                           [ids["incident"]]).fetchone()[0]


def _file(folder, name, text):
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("active", [True, False], ids=["active", "disabled"])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("use_case", list(USE_CASES))
def test_role_matrix(template, tmp_path, use_case, role, active):
    source, ids = template
    with ExitStack() as stack:
        _role_matrix(_copy_of(stack, source, tmp_path), ids, tmp_path, use_case, role, active)


def _copy_of(stack: ExitStack, source: str, folder) -> str:
    from eventrisk.pg import is_server

    if is_server(source):
        from tests import pg

        return pg.url(stack.enter_context(pg.copy_of(source, fixed=True)))
    path = folder / "desk.db"
    shutil.copy(source, path)
    return str(path)


def _role_matrix(path, ids, tmp_path, use_case, role, active):
    db = open_database(path)
    desk = Desk(db, path)
    desk.sign_in(role, f"{'admin' if role == 'admin' else role}-password")
    if not active:  # disabled after signing in, by an administrator at another desk
        other = Desk(db, path)
        other.sign_in("admin", "admin-password")
        if role == "admin":  # the desk must keep an administrator: make another first
            other.create_account("admin2", "Admin Two", Role.ADMIN, "temporary-1")
            other.set_account_active("admin2", True)
            other.db.execute("UPDATE users SET active = 0 WHERE username = 'admin'")
            other.db.conn.commit()
        else:
            other.set_account_active(role, False, "Left the unit")
    allowed, act = USE_CASES[use_case]
    if active and role in allowed:
        act(desk, ids, tmp_path)
    else:
        with pytest.raises(PermissionDenied):
            act(desk, ids, tmp_path)
    # Done or refused, a use case ends its transaction: one left open would hold the desk's
    # lock against every other workstation and lose what follows when the desk closes.
    assert not desk.db.conn.in_transaction, f"{use_case} left a transaction open"
    desk.close()


def test_every_use_case_of_the_desk_is_in_the_matrix():
    """A new use case must join the matrix (it lists by name what the desk offers)."""
    offered = {name for name in dir(Desk) if not name.startswith("_") and callable(
        getattr(Desk, name))}
    covered = {"assessment", "queue_page", "save_submission", "score", "submit_for_review",
               "approve", "return_to_officer", "override", "cancel", "agree_measures", "issue",
               "record_debrief", "record_incident", "correct_incident", "save_venue",
               "import_file",
               "export_file", "publish_rules", "rescore_all", "create_account",
               "reset_password", "set_account_active", "set_account_role", "set_setting",
               "backup", "copy_to", "verify_audit", "authorise_restore", "calibration", "issue_letter",
               "retention_review", "retention_items", "apply_retention", "keep_record",
               "dispose_record", "promoter", "subject_access", "correct_promoter",
               "erase_promoter", "assign", "save_draft", "discard_draft",
               "new_recovery_code"}
    # Reads and session plumbing, each checked by reader() or needing no account.
    plumbing = {"open", "close", "for_worker", "sign_in", "sign_out", "use_case", "reader",
                "decision", "may", "needs_first_admin", "create_first_admin",
                "change_own_password", "accounts", "setting", "assessment_by_reference",
                "count_rescore_all", "what_if", "render_assessment", "render_pack",
                "rules_impact", "build_demo", "queue_count", "dashboard", "venues_page",
                "venue", "venue_by_code", "promoters_matching", "venue_events",
                "venue_incidents", "monthly_incidents", "incident_by_reference", "debrief",
                "active_ruleset", "demo_sign_ins", "heartbeat", "leave", "promoter_named",
                "restore_from", "render_calibration", "render_letter",
                "retention_schedule",  # reads the schedule file only
                "queue_rows", "export_queue", "render_queue", "my_work", "review_list",
                "assignable", "drafts", "draft",
                # on a file desk with its recovery code, when nobody can sign in
                "recover_admin", "has_recovery_code", "offers_recovery",
                "check_recovery_code_exists",
                # Who is at a server desk, and the session as a person's own login
                # (test_pg_attacks, test_pg_scram); map_logins is an administrator's, checked
                # there on a server (it has nothing to do on a file).
                "logins", "server_login", "who_enforces", "open_as", "map_logins"}
    assert offered - covered - plumbing == set()
