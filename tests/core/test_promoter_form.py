"""The promoter's form: written by the desk, filled by a promoter's reader, read back into a
submission with no field retyped; hostile PDFs refused with a sentence."""

from __future__ import annotations

import ctypes
import io
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from eventrisk import promoter_form
from eventrisk.desk.service import PromoterDetailsChanged
from eventrisk.deskinfo import load_desk_contact
from eventrisk.fairness import banned_terms_in
from eventrisk.fields import SUBMISSION_FIELDS
from eventrisk.model import Promoter, Status
from eventrisk.promoter_form import FORM_FIELDS, FormError, read_form
from eventrisk.report.promoter_form_pdf import PromoterFormData, render_promoter_form
from tests.conftest import act_as, run_cli

FILLED = {
    "event_name": "Winter Warehouse", "venue": "HKN-0001", "promoter_name": "Lantern Events",
    "promoter_email": "bookings@lantern.example", "event_type": "Club night",
    "start_date": "19/12/2030", "start_time": "22:00", "end_date": "20/12/2030",
    "end_time": "03:00", "expected_attendance": "350", "ticketing": "Advance tickets only",
    "min_age": "18", "alcohol": "Yes", "door_supervisors": "6",
    "search_regime": "Walk-through search arch", "cctv": "Yes", "performers": "DJ Alpha\nMC Beta",
}


def blank(**prefill) -> bytes:
    return render_promoter_form(PromoterFormData(load_desk_contact(), prefill=prefill))


def fill(pdf: bytes, values: dict[str, str]) -> bytes:
    """What a promoter's reader does: set the fields' values and save."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    for page in writer.pages:
        writer.update_page_form_field_values(page, values, auto_regenerate=False)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdfium_values(pdf: bytes) -> dict[str, str]:
    """The fields as PDFium (Chrome's viewer, and the app's preview) reads them."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    doc = pdfium.PdfDocument(pdf)
    doc.init_forms()
    out = {}

    def text(getter, annot) -> str:
        size = getter(doc.formenv.raw, annot, None, 0)
        buf = ctypes.create_string_buffer(size)
        getter(doc.formenv.raw, annot, ctypes.cast(buf, ctypes.POINTER(raw.FPDF_WCHAR)), size)
        return buf.raw[:size - 2].decode("utf-16-le")

    for page in doc:
        for i in range(raw.FPDFPage_GetAnnotCount(page.raw)):
            annot = raw.FPDFPage_GetAnnot(page.raw, i)
            out[text(raw.FPDFAnnot_GetFormFieldName, annot)] = \
                text(raw.FPDFAnnot_GetFormFieldValue, annot)
            raw.FPDFPage_CloseAnnot(annot)
    doc.close()
    return out


# ---- the form --------------------------------------------------------------------------------

def test_the_form_asks_for_every_field_a_promoter_gives_with_the_desks_choices():
    fields = PdfReader(io.BytesIO(blank())).get_fields()
    asked = {f.desk for f in FORM_FIELDS}
    promoters = {f.name for f in SUBMISSION_FIELDS} - promoter_form.DESK_ONLY
    assert promoters <= asked
    for item in FORM_FIELDS:
        assert item.name in fields, item.name
        desk = next((f for f in SUBMISSION_FIELDS if f.name == item.desk), None)
        if desk is not None and desk.choices is not None:
            first = "Choose one" if desk.required else "Not stated"
            assert list(fields[item.name]["/Opt"]) == [first, *(c.label for c in desk.choices)]
            assert fields[item.name]["/V"] == first  # nothing a scorer reads is pre-set
        if desk is not None and desk.kind == "optional_bool":
            assert list(fields[item.name]["/Opt"]) == ["Not stated", "Yes", "No"]


def test_the_form_asks_nothing_about_genre_style_or_audience():
    text = " ".join(f"{f.name} {f.label} {f.help} {' '.join(f.options)}" for f in FORM_FIELDS)
    text += " ".join(page.extract_text() for page in PdfReader(io.BytesIO(blank())).pages)
    assert banned_terms_in(text) == []


def test_the_form_carries_the_desks_contacts_privacy_notice_and_marking():
    contact = load_desk_contact()
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(blank())).pages]
    joined = " ".join(pages)
    assert contact.email in joined and contact.phone in joined
    assert "How we use this information" in joined
    assert all(p.count("OFFICIAL (when completed)") == 2 for p in pages)


def test_pypdf_and_pdfium_both_read_back_what_a_filler_wrote():
    filled = fill(blank(), FILLED)
    by_pypdf = read_form(filled).values
    by_pdfium = pdfium_values(filled)
    for name, value in FILLED.items():
        assert by_pypdf[name] == value, name
        assert by_pdfium[name] == value, name


# ---- back into the desk ----------------------------------------------------------------------

def test_a_filled_form_becomes_a_submission_with_no_field_retyped(desks):
    officer = desks["officer"]
    reading = officer.forms.read(fill(officer.forms.blank(), FILLED), "form.pdf")
    assert reading.problems == []
    assert reading.venue.exact == "HKN-0001"
    from eventrisk.validation import validate_submission

    state = officer.forms.save(reading, validate_submission(reading.fields))
    sub = state.submission
    assert (sub.event_name, sub.expected_attendance, sub.door_supervisors, sub.alcohol) == \
        ("Winter Warehouse", 350, 6, True)
    assert list(sub.performers) == ["DJ Alpha", "MC Beta"] and sub.status is Status.ASSESSED
    kept = officer.db.execute("SELECT sha256, pdf FROM submission_forms WHERE submission_id = ?",
                              [sub.id]).fetchone()
    assert kept[0] == reading.sha256 and bytes(kept[1]) == reading.form.data
    detail = officer.db.execute("SELECT detail FROM audit_log WHERE action = "
                                "'submission.create' AND entity_id = ?", [str(sub.id)]).fetchone()[0]
    assert reading.sha256 in detail


def test_each_problem_is_named_beside_its_field(desks):
    officer = desks["officer"]
    bad = FILLED | {"start_date": "31/02/2030", "expected_attendance": "lots",
                    "door_supervisors": "-3", "end_time": "25:00", "event_type": "Choose one"}
    reading = officer.forms.read(fill(officer.forms.blank(), bad))
    fields = {name for name, _ in reading.problems}
    assert {"start", "expected_attendance", "door_supervisors", "end", "event_type"} <= fields


def test_a_venue_not_on_the_desk_is_offered_the_nearest_never_created(desks):
    officer = desks["officer"]
    before = officer.db.execute("SELECT count(*) FROM venues").fetchone()[0]
    reading = officer.forms.read(fill(officer.forms.blank(),
                                      FILLED | {"venue": "The Canal Archs"}))
    assert not reading.venue.confirmed
    assert reading.venue.candidates[0][0] == "HKN-0001"
    assert any(name == "venue_code" for name, _ in reading.problems)
    assert officer.db.execute("SELECT count(*) FROM venues").fetchone()[0] == before


def test_changed_promoter_details_go_through_the_existing_question(desks):
    officer = desks["officer"]
    from eventrisk import venues

    venues.match_or_create_promoter(officer.db, Promoter("Lantern Events", "", "0207 000 0000",
                                                         "old@lantern.example"), "admin")
    reading = officer.forms.read(fill(officer.forms.blank("Lantern Events"), FILLED))
    assert reading.promoter.exact == "Lantern Events"
    from eventrisk.validation import validate_submission

    with pytest.raises(PromoterDetailsChanged):
        officer.forms.save(reading, validate_submission(reading.fields))


def test_the_form_is_prefilled_for_a_known_promoter_with_their_venues(desks):
    from eventrisk.validation import validate_submission
    from tests.conftest import event_fields

    officer = desks["officer"]
    officer.save_submission(validate_submission(event_fields()))  # Lantern Events, HKN-0001
    fields = PdfReader(io.BytesIO(officer.forms.blank("Lantern Events"))).get_fields()
    assert fields["promoter_name"]["/V"] == "Lantern Events"
    assert any(str(o).startswith("HKN-0001 — The Canal Arches") for o in fields["venue"]["/Opt"])


@pytest.mark.sqlite_only
def test_the_command_line_checks_then_saves(desks, tmp_path, monkeypatch, capsys):
    path = desks["officer"].path
    act_as(monkeypatch, tmp_path, "officer", "officer-pass")
    code, out, err = run_cli(capsys, "--db", path, "form", "-o", tmp_path / "form.pdf")
    assert code == 0, err
    (tmp_path / "filled.pdf").write_bytes(fill((tmp_path / "form.pdf").read_bytes(), FILLED))
    code, out, err = run_cli(capsys, "--db", path, "import", "form", tmp_path / "filled.pdf")
    assert code == 0, err
    assert "Event name: Winter Warehouse" in out and "nothing saved" in out
    count = "SELECT count(*) FROM submission_forms"
    assert desks["officer"].db.execute(count).fetchone()[0] == 0
    code, out, err = run_cli(capsys, "--db", path, "import", "form", tmp_path / "filled.pdf",
                             "--save")
    assert code == 0, err and "Saved ER-" in out
    assert desks["officer"].db.execute(count).fetchone()[0] == 1

    (tmp_path / "bad.pdf").write_bytes(fill((tmp_path / "form.pdf").read_bytes(),
                                            FILLED | {"venue": "Nowhere At All",
                                                      "expected_attendance": "0"}))
    code, out, err = run_cli(capsys, "--db", path, "import", "form", tmp_path / "bad.pdf",
                             "--save")
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 2
    assert lines[0].startswith(f"{tmp_path / 'bad.pdf'}: ")
    assert desks["officer"].db.execute(count).fetchone()[0] == 1


# ---- hostile files ---------------------------------------------------------------------------

def _with_root(pdf: bytes, key: str, value) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer._root_object[NameObject(key)] = value
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _javascript() -> DictionaryObject:
    action = DictionaryObject()
    action[NameObject("/S")] = NameObject("/JavaScript")
    action[NameObject("/JS")] = TextStringObject("app.alert('hello')")
    return action


def _encrypted(pdf: bytes) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _someone_elses() -> bytes:
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    c = canvas.Canvas(out)
    c.acroForm.textfield(name="event_name", value="Their form", x=50, y=700, width=200,
                         height=20)
    c.showPage()
    c.save()
    return out.getvalue()


def _many_pages() -> bytes:
    writer = PdfWriter()
    for _ in range(60):
        writer.add_blank_page(100, 100)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


HOSTILE = {
    "not a PDF": (lambda: b"PK\x03\x04 a zip file", "not a PDF"),
    "truncated": (lambda: fill(blank(), FILLED)[:5000], "damaged"),
    "encrypted": (lambda: _encrypted(fill(blank(), FILLED)), "password"),
    "javascript": (lambda: _with_root(fill(blank(), FILLED), "/OpenAction", _javascript()),
                   "script"),
    "someone else's form": (_someone_elses, "not the Promoters Desk"),
    "enormous": (lambda: b"%PDF-1.4\n" + b"0" * (promoter_form.MAX_BYTES + 1), "MB"),
    "many pages": (_many_pages, "pages"),
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_a_hostile_pdf_is_refused_in_one_sentence(kind):
    make, words = HOSTILE[kind]
    with pytest.raises(FormError) as refused:
        read_form(make(), "bad.pdf")
    assert words in str(refused.value) and "bad.pdf" in str(refused.value)
    assert "\n" not in str(refused.value)


def test_an_overlong_value_is_a_problem_beside_its_field(desks):
    officer = desks["officer"]
    reading = officer.forms.read(fill(officer.forms.blank(), FILLED | {"event_name": "x" * 5000}))
    assert [f for f, _ in reading.problems] == ["event_name"]


@pytest.mark.sqlite_only
def test_the_command_line_refuses_a_hostile_pdf_with_exit_2(desks, tmp_path, monkeypatch,
                                                            capsys):
    act_as(monkeypatch, tmp_path, "officer", "officer-pass")
    (tmp_path / "x.pdf").write_bytes(_with_root(fill(blank(), FILLED), "/OpenAction",
                                                _javascript()))
    code, out, err = run_cli(capsys, "--db", desks["officer"].path, "import", "form",
                             tmp_path / "x.pdf", "--save")
    assert code == 2 and "script" in err and "Traceback" not in err
    assert desks["officer"].db.execute("SELECT count(*) FROM submission_forms"
                                       ).fetchone()[0] == 0


_FILLED_ONCE: list[bytes] = []


@settings(max_examples=int(os.environ.get("EVENTRISK_FUZZ_EXAMPLES", "60")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mangled_forms_are_read_or_refused_never_a_crash(data):
    if not _FILLED_ONCE:
        _FILLED_ONCE.append(fill(blank(), FILLED))
    pdf = bytearray(_FILLED_ONCE[0])
    for _ in range(data.draw(st.integers(1, 20))):
        at = data.draw(st.integers(0, len(pdf) - 1))
        how = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        if how == "flip":
            pdf[at] = data.draw(st.integers(0, 255))
        elif how == "cut":
            del pdf[at:at + data.draw(st.integers(1, 400))]
        else:
            pdf[at:at] = data.draw(st.binary(min_size=1, max_size=40))
        if not pdf:
            break
    try:
        form = read_form(bytes(pdf), "mangled.pdf")
    except FormError as exc:
        assert "mangled.pdf" in str(exc)
    else:
        promoter_form.desk_values(form.values)  # whatever it read turns into fields or problems
