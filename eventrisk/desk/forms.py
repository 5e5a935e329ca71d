"""The promoter's form, out and back: a blank (or pre-filled) fillable PDF for a promoter, and
a filled one read into New submission without retyping.

A service of the desk (``desk.forms``): every read names the signed-in account, and saving goes
through the desk's own ``save_submission``, so a form is validated, four-eyed, deduplicated,
audited and scored exactly as a typed submission is.  A venue or promoter the form names that
is not on the desk is matched to the nearest known one for the officer to confirm; nothing is
created silently.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from eventrisk import venues
from eventrisk.deskinfo import load_desk_contact
from eventrisk.errors import NotFoundError, ValidationError
from eventrisk.model import Submission
from eventrisk.promoter_form import (
    VENUE_PROMPT,
    FilledForm,
    FormError,
    desk_values,
    read_form,
)
from eventrisk.validation import validate_submission

if TYPE_CHECKING:
    from eventrisk.desk.readmodel import AssessmentState
    from eventrisk.desk.service import Desk

__all__ = ["FormError", "FormReading", "Match", "PromoterForms"]

NEAR = 0.6  # how alike two names must be (difflib's ratio) to be offered as the same one


@dataclass(frozen=True)
class Match:
    """How a name the form gave meets the desk: ``exact`` (a code or name on the desk), or
    ``candidates`` to confirm, nearest first (``(key, shown)``), or neither (new)."""

    typed: str
    exact: str = ""
    candidates: tuple[tuple[str, str], ...] = ()

    @property
    def confirmed(self) -> bool:
        return bool(self.exact)


@dataclass(frozen=True)
class FormReading:
    """A filled form read against the desk: the desk's field values as text (what the officer
    would have typed), the problems beside their fields, and the venue and promoter matches."""

    form: FilledForm
    fields: dict[str, str]
    problems: list[tuple[str, str]] = field(default_factory=list)
    venue: Match = Match("")
    promoter: Match = Match("")

    @property
    def sha256(self) -> str:
        return self.form.sha256


class PromoterForms:
    """``desk.forms``: the promoter's form, blank and filled."""

    def __init__(self, desk: Desk) -> None:
        self._desk = desk

    # ---- out ---------------------------------------------------------------------------------
    def blank(self, promoter: str | None = None) -> bytes:
        """The fillable form as PDF bytes, pre-filled for a known ``promoter`` (name, company,
        contacts, and the venues they have used) when one is named."""
        from eventrisk.report.promoter_form_pdf import PromoterFormData, render_promoter_form

        desk = self._desk
        desk.reader()
        contact = load_desk_contact()
        prefill: dict[str, str] = {}
        used: tuple[str, ...] = ()
        if promoter:
            known = venues.promoter_by_name(desk.db, promoter)
            if known is None:
                raise NotFoundError(f"There is no promoter named '{promoter}' on the desk; "
                                    "leave --promoter out for a blank form.")
            prefill = {"promoter_name": known.name, "promoter_company": known.company,
                       "promoter_phone": known.phone, "promoter_email": known.email}
            used = tuple(f"{code} — {name}, {postcode}" for code, name, postcode in desk.db.execute(
                "SELECT v.code, v.name, v.postcode FROM venues v WHERE v.id IN "
                "(SELECT venue_id FROM submissions WHERE promoter_id = ? "
                " ORDER BY starts_at DESC LIMIT 200) ORDER BY v.name LIMIT 40", [known.id]))
        return render_promoter_form(PromoterFormData(contact, training=desk.training,
                                                     prefill=prefill, venues=used))

    # ---- back --------------------------------------------------------------------------------
    def read(self, data: bytes, name: str = "the form") -> FormReading:
        """A filled form, read and checked as if typed (``FormError`` if the file is not a
        readable form of this desk's)."""
        desk = self._desk
        desk.reader()
        filled = read_form(data, name)
        raw, problems = desk_values(filled.values)
        venue = self._venue(filled.values.get("venue", ""))
        promoter = self._promoter(str(raw.get("promoter_name", "")))
        raw["venue_code"] = venue.exact or ""
        if not venue.exact and venue.typed:
            nearest = "; nearest: " + ", ".join(s for _, s in venue.candidates[:3]) \
                if venue.candidates else ""
            problems.append(("venue_code", f"'{venue.typed}' is not a venue on the desk"
                                           f"{nearest}"))
        try:
            validate_submission(raw)
        except ValidationError as exc:
            seen = {f for f, _ in problems}
            problems.extend(p for p in exc.problems if p[0] not in seen)
        return FormReading(filled, _as_text(raw), problems, venue, promoter)

    def save(self, reading: FormReading, sub: Submission, *, duplicate_ok: bool = False,
             update_promoter: bool = False) -> AssessmentState:
        """Save ``sub`` (the form's values as the officer reviewed them) as a new submission
        that keeps the form's PDF and SHA-256; the audit says it came from this form."""
        if sub.id is not None:
            raise ValidationError([("reference", "A promoter's form makes a new submission")])
        return self._desk.save_submission(sub, duplicate_ok=duplicate_ok,
                                          update_promoter=update_promoter,
                                          source_form=reading.form)

    def _venue(self, typed: str) -> Match:
        typed = venues.plain(typed).strip()
        if not typed or typed == VENUE_PROMPT:
            return Match("")
        db = self._desk.db
        code = re.match(r"^([A-Za-z0-9][A-Za-z0-9-]{1,19})\b", typed)
        if code:
            found = venues.venue_by_code(db, code.group(1).upper())
            if found is not None:
                return Match(typed, exact=found.code)
        words = [w for w in re.findall(r"\w+", typed) if len(w) >= 3]
        name = re.split(r"[,(]", typed.split(" — ")[-1])[0].strip()
        rows: dict[str, tuple[str, str]] = {}
        for word in words[:6]:
            for vcode, vname, postcode in db.execute(
                    "SELECT code, name, postcode FROM venues WHERE name LIKE ? OR postcode = ? "
                    "ORDER BY name LIMIT 100", [f"%{word[:4]}%", typed.upper()]):
                rows[vcode] = (vname, postcode)
        exact = [c for c, (n, _) in rows.items() if n.casefold() == name.casefold()]
        if len(exact) == 1:
            return Match(typed, exact=exact[0])
        ranked = sorted(((difflib.SequenceMatcher(None, name.casefold(), n.casefold()).ratio(),
                          c, f"{c} {n} ({p})") for c, (n, p) in rows.items()), reverse=True)
        return Match(typed, candidates=tuple((c, s) for r, c, s in ranked[:5] if r >= NEAR))

    def _promoter(self, typed: str) -> Match:
        typed = venues.plain(typed).strip()
        if not typed:
            return Match("")
        known = venues.promoter_by_name(self._desk.db, typed)
        if known is not None:
            return Match(typed, exact=known.name)
        seen: dict[str, None] = {}
        for word in [w for w in re.findall(r"\w+", typed) if len(w) >= 3][:6]:
            for p in venues.search_promoters(self._desk.db, word[:4], limit=50):
                seen[p.name] = None
        ranked = sorted(((difflib.SequenceMatcher(None, typed.casefold(), n.casefold()).ratio(),
                          n) for n in seen), reverse=True)
        return Match(typed, candidates=tuple((n, n) for r, n in ranked[:5] if r >= NEAR))


def _as_text(raw: dict[str, object]) -> dict[str, str]:
    """The values as an officer types them into the form's fields."""
    out = {}
    for key, value in raw.items():
        out[key] = "; ".join(value) if isinstance(value, list) else str(value)
    return out


def keep_form(db, actor, submission_id: int, form: FilledForm, now) -> None:
    """Keep the promoter's PDF beside the submission it became (inside the capture's
    transaction)."""
    from eventrisk.timeutil import to_db

    db.execute("INSERT INTO submission_forms (submission_id, sha256, pdf, received_at, "
               "received_by) VALUES (?, ?, ?, ?, ?)",
               [submission_id, form.sha256, form.data, to_db(now), actor.username])
