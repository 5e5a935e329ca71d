"""The command line for the promoter's form: ``form`` writes it, ``import form`` reads a filled
one back (and, with ``--save``, saves it where everything validates)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from eventrisk.errors import StorageError
from eventrisk.fields import SUBMISSION_FIELDS
from eventrisk.validation import validate_submission

if TYPE_CHECKING:
    from eventrisk.desk import Desk

def add_parsers(sub) -> None:
    f = sub.add_parser("form", help="the fillable submission form (PDF) to send a promoter")
    f.add_argument("--promoter", metavar="NAME", help="pre-fill it for a promoter on the desk: "
                   "name, company, contacts and the venues they have used")
    f.add_argument("-o", "--output", type=Path, required=True, metavar="FILE.pdf")


def add_import_options(c: argparse.ArgumentParser) -> None:
    c.add_argument("--save", action="store_true", help="import form: save the submission "
                   "when every field validates (without it, only show what would be saved)")
    c.add_argument("--new-promoter", action="store_true", help="import form: the promoter is "
                   "new to the desk even though a similar name is on it")
    c.add_argument("--update-promoter", action="store_true", help="import form: record the "
                   "form's new contact details for a promoter already on the desk")


def write_form(desk: Desk, args) -> int:
    from eventrisk.report.files import write_pdf

    pdf = desk.forms.blank(args.promoter)
    write_pdf(pdf, args.output)
    who = f" pre-filled for {args.promoter}" if args.promoter else ""
    print(f"Wrote {args.output}: the promoter's submission form{who}.")
    return 0


def import_form(desk: Desk, args) -> int:
    """Exit 0 with what would be (or was) saved; 2 with one line per problem."""
    path: Path = args.file
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise StorageError(f"{path} cannot be read ({exc.strerror}).") from exc
    reading = desk.forms.read(data, str(path))
    problems = list(reading.problems)
    promoter = reading.promoter
    if promoter.typed and not promoter.confirmed and promoter.candidates \
            and not args.new_promoter:
        nearest = ", ".join(name for name, _ in promoter.candidates[:3])
        problems.append(("promoter_name", f"'{promoter.typed}' is not on the desk; nearest: "
                                          f"{nearest}. Correct the form, confirm it in the "
                                          "app, or give --new-promoter"))
    if problems:
        for name, message in problems:
            print(f"{path}: {name}: {message}", file=sys.stderr)
        return 2
    for f in SUBMISSION_FIELDS:
        value = reading.fields.get(f.name, "")
        if f.choices is not None and value:
            value = f.choices(value).label
        elif f.kind == "optional_bool" and value:
            value = "Yes" if value == "true" else "No"
        if value:
            print(f"{f.label}: {value}")
    if promoter.typed and not promoter.confirmed:
        print(f"(New promoter: {promoter.typed} will be added to the desk.)")
    if not args.save:
        print(f"{path} is a complete form (SHA-256 {reading.sha256[:16]}...); nothing saved. "
              "Give --save to save it.")
        return 0
    state = desk.forms.save(reading, validate_submission(reading.fields),
                            update_promoter=args.update_promoter)
    print(f"Saved {state.submission.reference} from {path} (SHA-256 "
          f"{reading.sha256[:16]}...).")
    return 0
