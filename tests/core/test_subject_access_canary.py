"""Subject access never releases a source (issue 32, item 5): a canary, a named informant, in
every free-text field the desk has, written the way the desk writes it where it can be and
straight into the table where it cannot; ``eventrisk subject-access`` then releases none of it,
in the PDF, the JSON or the zip."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from eventrisk.desk import Desk
from eventrisk.errors import AuthError
from eventrisk.model import Debrief, Grade, Incident, IncidentCategory, Location, Role, Severity
from eventrisk.pg.schema import SERVER_ONLY
from eventrisk.retention_columns import STRUCTURAL, text_columns
from eventrisk.subject_access import DISCLOSED_COLUMNS
from eventrisk.validation import validate_submission
from tests.conftest import act_as, run_cli, tamper
from tests.core.test_retention import _at, _past_fields
from tests.core.test_retention_coverage import keep_form

CANARY = "Jonah Canary-Informant"
HANDLE = "jcanaryinformant"  # the informant's handler's account: a name, but not a sentence
PROMOTER = {"promoter_name": "Ada Lantern", "promoter_company": "Lantern Nights Ltd",
            "promoter_phone": "07700 900456", "promoter_email": "ada@lantern.example"}


def _seen(db, column: str) -> bool:
    """Whether any row holds a canary (text or bytes: a stored PDF is words too)."""
    table, name = column.split(".")
    for (value,) in db.execute(f"SELECT {name} FROM {table}"):
        text = (bytes(value).decode("latin-1") if isinstance(value, bytes | memoryview)
                else str(value or "")).lower()
        if CANARY.lower() in text or HANDLE in text:
            return True
    return False


def _desks(db, path: str, admin) -> dict[str, Desk]:
    boss = Desk(db, path)
    boss.sign_in("admin", "admin-password")
    for name, display, role in ((HANDLE, CANARY, Role.OFFICER),
                                ("sven", "Sven Super", Role.SUPERVISOR),
                                ("sara", "Sara Super", Role.SUPERVISOR)):
        boss.create_account(name, display, role, "temporary-1")
        d = Desk(db, path)
        d.sign_in(name, "temporary-1")
        d.change_own_password("temporary-1", f"{name}-password")
    out = {"admin": boss}
    for name in (HANDLE, "sven", "sara"):
        out[name] = Desk(db, path)
        out[name].sign_in(name, f"{name}-password")
    return out


def _story(desks: dict[str, Desk], db, tmp) -> None:
    """The promoter's events, with a canary everywhere officers and supervisors write."""
    officer, sup, sup2, admin = desks[HANDLE], desks["sven"], desks["sara"], desks["admin"]
    venue = officer.venue(db.execute("SELECT id FROM venues").fetchone()[0])
    officer.save_venue(replace(venue, night_contact=f"{CANARY} (DPS) 07700 900888"))
    # 1. notes and a contact for the night, edited; returned, resubmitted, overridden.
    state = officer.save_submission(validate_submission(_past_fields(
        3, event_name="Lantern Social", night_contact=f"{CANARY} on the door", **PROMOTER)))
    sid = state.submission.id
    state = officer.save_submission(replace(state.submission,
                                            notes=f"{CANARY} says the DJ carries a knife"))
    state = officer.save_submission(replace(state.submission,
                                            notes=f"{CANARY} confirmed it twice"))
    state = officer.submit_for_review(sid, state.version, comment=f"{CANARY} first send")
    state = sup.return_to_officer(sid, state.version, f"{CANARY} must be protected: reword")
    state = officer.submit_for_review(sid, state.version, comment=f"{CANARY} resubmitted")
    new = Grade.CRITICAL if state.grade is not Grade.CRITICAL else Grade.HIGH
    state = sup.override(sid, state.version, new, f"{CANARY} intelligence of a firearm")
    officer.record_incident(Incident(
        venue.code, state.submission.start + timedelta(hours=1), IncidentCategory.KNIFE,
        Severity.SERIOUS, Location.DOOR, event_reference=state.submission.reference,
        crime_reference=f"CR/{CANARY}", description=f"Victim named {CANARY} by a witness"))
    officer.record_debrief(Debrief(sid, True, 250, 1, f"{CANARY} pointed out the attacker"))
    # 2. approved with a comment; a scoring input then edited, withdrawing the approval.
    state = officer.save_submission(validate_submission(_past_fields(
        2, event_name="Lantern Late", **PROMOTER)))
    two = state.submission.id
    state = officer.submit_for_review(two, state.version)
    state = sup2.approve(two, state.version, comment=f"{CANARY} vouches for the promoter")
    officer.issue(two, state.version, officer.render_assessment(two))
    state = officer.assessment(two)
    state = officer.save_submission(replace(state.submission, expected_attendance=350),
                                    withdraw_reason=f"{CANARY} says more are coming")
    # 3. cancelled with a reason.
    state = officer.save_submission(validate_submission(_past_fields(
        1, event_name="Lantern Gone", **PROMOTER)))
    officer.cancel(state.submission.id, state.version, f"{CANARY} warned us off")
    keep_form(db, officer, sid)  # the promoter's own form, naming the informant as a contact
    # Their details corrected, with a reason; a draft naming them, with notes.
    admin.correct_promoter(PROMOTER["promoter_name"], {"phone": "07700 900457"},
                           f"{CANARY} gave the new number")
    officer.save_draft({"event_name": "Lantern Next", **PROMOTER,
                        "notes": f"{CANARY} heard about it first"})
    # An administrator keeps the incident past its period, saying why; a witness file in a
    # folder named after a person.
    later = _at(desks["admin"], state.submission.start.replace(
        year=state.submission.start.year + 7))
    ref = db.execute("SELECT reference FROM incidents").fetchone()[0]
    later.keep_record("incidents", ref, later.clock().date() + timedelta(days=30),
                      f"{CANARY} is still giving evidence")
    (Path(tmp) / "elsewhere").mkdir()
    admin.set_setting("witness_file", str(Path(tmp) / "elsewhere" / f"{CANARY} witness.txt"))
    with pytest.raises(AuthError):
        Desk(db, officer.path).sign_in(f"{CANARY} typed here", "wrong")
    officer.heartbeat()


def test_subject_access_releases_no_canary_from_any_free_text_field(
        capsys, db, desk_path, admin, venue, tmp_path, monkeypatch):
    desks = _desks(db, str(desk_path), admin)
    _story(desks, db, tmp_path)
    # Every other text column holding a person's words or name (from the live schema, so a
    # new one is caught) gets its canary directly, as an insider could write it.
    free = [c for c in text_columns(db) if c not in STRUCTURAL and c not in DISCLOSED_COLUMNS]
    for column in free:
        if not _seen(db, column):
            table, name = column.split(".")
            first = db.execute(f"SELECT {name} FROM {table} WHERE {name} IS NOT NULL "
                               "LIMIT 1").fetchone()
            if first is not None and isinstance(first[0], bytes | memoryview):  # a document
                tamper(db, f"UPDATE {table} SET {name} = ?", [f"%PDF {CANARY}".encode()])
            else:
                tamper(db, f"UPDATE {table} SET {name} = ? || "
                           f"coalesce(CAST({name} AS TEXT), '')", [f"{CANARY} "])
    db.conn.commit()
    # Only the server's own record of its retention runs, empty until a run, has no canary:
    # it holds logins and stamps the server writes itself.
    assert [c for c in free if not _seen(db, c)
            and c.split(".")[0] not in SERVER_ONLY] == []
    assert {"submissions.notes", "reviews.comment", "audit_log.detail", "audit_log.reason",
            "incidents.description", "incidents.crime_reference", "debriefs.notes",
            "venues.night_contact", "submissions.night_contact"} <= set(free)

    act_as(monkeypatch, tmp_path, "admin", "admin-password")
    target = tmp_path / "sar.zip"
    code, out, err = run_cli(capsys, "--db", desk_path, "subject-access", "--promoter",
                             "ada lantern", "-o", target)
    assert code == 0, err
    assert "audit entries withheld: police notes and decisions" in out
    raw = target.read_bytes()
    archive = zipfile.ZipFile(io.BytesIO(raw))
    text = archive.read("subject-access.json").decode("utf-8")
    data = json.loads(text)
    pdf = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(
        archive.read("subject-access.pdf"))).pages).split())
    for where, content in (("zip", raw.decode("latin-1")), ("json", text), ("pdf", pdf)):
        for canary in (CANARY, HANDLE, "Canary", "canary"):
            assert canary not in content, f"{canary!r} in the {where}"
    # Not an empty pack: their own details and events are there, and what was withheld is
    # counted.
    for mine in ("Ada Lantern", "Lantern Nights Ltd", "07700 900457", "ada@lantern.example",
                 "Lantern Social", "Lantern Late", "Lantern Gone"):
        assert mine in pdf and mine in text
    withheld = {w["what"]: w["count"] for w in data["withheld"]}
    assert withheld["audit entries withheld: police notes and decisions"] >= 4
    for kind in ("review comments withheld",
                 "incidents' descriptions and crime references withheld",
                 "debriefs' notes withheld",
                 "events' police notes and contacts for the night withheld"):
        assert withheld[kind] >= 1, kind
    assert "audit entries withheld: police notes and decisions" in pdf
    assert len(data["audit"]) >= 5 and len(data["incidents"]) == 1
