"""References cannot be exhausted or hijacked (issue 31 item 3): the desk numbers its own
events; an imported reference that is not its own (another year than the event's, or a number
beyond the next one) is refused with its file and line, and the year's counter never jumps."""

from __future__ import annotations

import csv
from datetime import datetime

import pytest

from eventrisk import submissions
from eventrisk.errors import ValidationError
from eventrisk.importexport import ImportFileError, import_file
from eventrisk.validation import validate_submission
from tests.conftest import event_fields


def _csv(path, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _year() -> int:
    return datetime.fromisoformat(event_fields()["start"]).year


def test_an_import_numbered_at_the_end_of_the_year_is_refused(db, officer, venue, tmp_path,
                                                              make_submission):
    year = _year()
    path = tmp_path / "one.csv"
    _csv(path, [event_fields(reference=f"ER-{year}-999999")])
    with pytest.raises(ImportFileError) as caught:
        import_file(db, officer, "submissions", path)
    assert caught.value.lines == [
        f"{path}:2: reference: ER-{year}-999999 would skip ahead of the desk's numbering (the "
        f"next of {year} is ER-{year}-000001); leave the reference empty and the desk numbers "
        "it"]
    # Nothing was written and later captures are numbered as before.
    assert make_submission().reference == f"ER-{year}-000001"


def test_a_file_may_carry_the_desks_own_numbers_in_order(db, officer, venue, tmp_path,
                                                         make_submission):
    year = _year()
    make_submission()
    path = tmp_path / "own.csv"
    _csv(path, [event_fields(reference=f"ER-{year}-000002", event_name="A"),
                event_fields(reference=f"ER-{year}-000003", event_name="B"),
                event_fields(reference="", event_name="C")])
    assert import_file(db, officer, "submissions", path).created == 3
    assert make_submission().reference == f"ER-{year}-000005"


@pytest.mark.parametrize("reference, words", [
    ("ER-{next_year}-000001", "is numbered for {next_year}, but the event starts in {year}"),
    ("ER-{year}-000003", "would skip ahead"),
], ids=["another year", "a gap"])
def test_foreign_references_are_refused_by_line(db, officer, venue, tmp_path, reference,
                                                words):
    year = _year()
    ref = reference.format(year=year, next_year=year + 1)
    path = tmp_path / "foreign.csv"
    _csv(path, [event_fields(reference=f"ER-{year}-000001", event_name="A"),
                event_fields(reference=ref, event_name="B")])
    with pytest.raises(ImportFileError) as caught:
        import_file(db, officer, "submissions", path)
    assert len(caught.value.lines) == 1
    assert caught.value.lines[0].startswith(f"{path}:3: reference: {ref} ")
    assert words.format(year=year, next_year=year + 1) in caught.value.lines[0]
    assert submissions.next_reference(db, year) == f"ER-{year}-000001"


def test_a_capture_with_a_foreign_reference_is_refused_in_the_core(db, officer, venue):
    year = _year()
    with pytest.raises(ValidationError, match="would skip ahead"):
        submissions.create(db, officer, validate_submission(event_fields(
            reference=f"ER-{year}-500000")))
    assert submissions.next_reference(db, year) == f"ER-{year}-000001"


def test_a_file_may_not_creep_ahead_of_the_numbers_it_brings(db, officer, venue, tmp_path):
    """Two references of a year move the counter by two at most, whatever their order: the
    limit is counted from the year's last number before the file."""
    year = _year()
    path = tmp_path / "creep.csv"
    _csv(path, [event_fields(reference=f"ER-{year}-000002", event_name="A"),
                event_fields(reference=f"ER-{year}-000001", event_name="B")])
    assert import_file(db, officer, "submissions", path).created == 2
    path = tmp_path / "creep2.csv"
    _csv(path, [event_fields(reference=f"ER-{year}-000003", event_name="C"),
                event_fields(reference=f"ER-{year}-000005", event_name="D")])
    with pytest.raises(ImportFileError) as caught:
        import_file(db, officer, "submissions", path)
    assert caught.value.lines[0].startswith(f"{path}:3: reference: ER-{year}-000005 would skip")
