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
            value = getattr(f.choices(value), "label", value)
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


# ---- mail ------------------------------------------------------------------------------------

def add_mail_parsers(sub, to_date) -> None:
    m = sub.add_parser("mail", help="papers out through the force's mail relay")
    msub = m.add_subparsers(dest="mail_command", required=True)
    r = msub.add_parser("relay", help="show or set the mail relay (administrators)")
    r.add_argument("--host", help="the relay's host name ('' to send no mail)")
    r.add_argument("--port", type=int)
    r.add_argument("--security", choices=("starttls", "tls", "none"))
    r.add_argument("--user", dest="relay_user", metavar="NAME",
                   help="the relay account ('' for none)")
    r.add_argument("--from", dest="sender", metavar="ADDRESS", help="the address mail is from")
    r.add_argument("--test-addresses", metavar="A,B",
                   help="on a training desk, the only addresses mail may go to")
    msub.add_parser("password", help="keep the relay's password in this computer's keyring "
                    "(administrators; read from the terminal, or the first line of standard "
                    "input)")
    s = msub.add_parser("send", help="mail an issued assessment, a letter or a pack")
    s.add_argument("kind", choices=("issued", "letter", "pack"))
    s.add_argument("file", type=Path, metavar="FILE.pdf")
    s.add_argument("--ref", dest="reference", metavar="REF", help="issued, letter: the event")
    s.add_argument("--borough", help="pack: its borough")
    s.add_argument("--from", dest="date_from", type=to_date, metavar="YYYY-MM-DD")
    s.add_argument("--to", dest="date_to", type=to_date, metavar="YYYY-MM-DD")


_RELAY_OPTIONS = {"host": "mail_host", "port": "mail_port", "security": "mail_security",
                  "relay_user": "mail_username", "sender": "mail_sender",
                  "test_addresses": "mail_test_addresses"}


def run_mail(desk: Desk, args) -> int:
    from eventrisk.errors import ValidationError

    if args.mail_command == "relay":
        for option, key in _RELAY_OPTIONS.items():
            value = getattr(args, option)
            if value is not None:
                desk.set_setting(key, value)
        relay = desk.mail.relay()
        if relay is None:
            print("No mail relay is set: the desk sends no mail.")
        else:
            user = f" as {relay.username}" if relay.username else ""
            print(f"Mail goes through {relay} ({relay.security}){user}, from {relay.sender}.")
        return 0
    if args.mail_command == "password":
        import getpass

        password = getpass.getpass("The relay's password: ") if sys.stdin.isatty() \
            else sys.stdin.readline().rstrip("\n")
        desk.mail.set_password(password)
        print("Kept in this computer's keyring (not in any file or the database).")
        return 0
    try:
        pdf = args.file.read_bytes()
    except OSError as exc:
        raise StorageError(f"{args.file} cannot be read ({exc.strerror}).") from exc
    if args.kind == "pack":
        if not (args.borough and args.date_from and args.date_to):
            raise ValidationError([("--borough", "A pack needs --borough, --from and --to")])
        from eventrisk.reference import canonical_borough

        borough = canonical_borough(args.borough)
        if borough is None:
            raise ValidationError([("--borough", f"'{args.borough}' is not a London borough")])
        sent = desk.mail.send_pack(borough, args.date_from, args.date_to, pdf)
    else:
        if not args.reference:
            raise ValidationError([("--ref", f"Name the event the {args.kind} PDF is for")])
        state = desk.assessment_by_reference(args.reference)
        assert state.submission.id is not None
        send = desk.mail.send_issued if args.kind == "issued" else desk.mail.send_letter
        sent = send(state.submission.id, pdf)
    print(f"Sent {args.file} to {', '.join(sent.recipients)} (SHA-256 {sent.sha256[:16]}...), "
          "recorded in the audit trail.")
    return 0
