"""The command line's personal-data commands (administrators): ``retention``,
``subject-access`` and ``promoter``.  They only adapt ``Desk`` (``eventrisk.desk.personal``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from eventrisk.desk import Desk
from eventrisk.errors import ValidationError
from eventrisk.retention import KINDS, Review, load_schedule
from eventrisk.timeutil import british_date, from_db


def add_parsers(sub, date_type) -> None:
    """Add the commands to the main parser's subparsers."""
    r = sub.add_parser("retention", help="the retention schedule: what is due, doing it, and "
                       "records under review (administrators)")
    rsub = r.add_subparsers(dest="retention_command", metavar="ACTION", required=True)
    check = rsub.add_parser("check", help="check a retention schedule file (default: the one "
                            "in force)")
    check.add_argument("file", type=Path, nargs="?")
    review = rsub.add_parser("review", help="what is due now, per kind (writes nothing)")
    review.add_argument("--json", action="store_true")
    apply = rsub.add_parser("apply", help="delete and anonymise what is due, in one "
                            "transaction, audited with counts")
    apply.add_argument("--yes", action="store_true", help="do not ask to confirm (needed when "
                       "not run at a terminal)")
    listing = rsub.add_parser("list", help="the due records of one kind, oldest first")
    listing.add_argument("kind", choices=list(KINDS))
    listing.add_argument("--limit", type=int, default=200)
    listing.add_argument("--json", action="store_true")
    keep = rsub.add_parser("keep", help="keep a due record until a later review date")
    keep.add_argument("kind", choices=list(KINDS))
    keep.add_argument("record", metavar="REF", help="a reference, or a promoter's name")
    keep.add_argument("--until", required=True, type=date_type, metavar="YYYY-MM-DD")
    keep.add_argument("--reason", required=True)
    dispose = rsub.add_parser("dispose", help="dispose of one due record now")
    dispose.add_argument("kind", choices=list(KINDS))
    dispose.add_argument("record", metavar="REF", help="a reference, or a promoter's name")
    dispose.add_argument("--reason", required=True)

    s = sub.add_parser("subject-access", help="every record about a promoter, third parties "
                       "redacted: a PDF and a JSON file in a zip (administrators; audited)")
    s.add_argument("--promoter", required=True, metavar="NAME")
    s.add_argument("-o", "--output", type=Path, required=True, metavar="FILE.zip")

    p = sub.add_parser("promoter", help="a promoter's details: show, correct or erase them "
                       "(administrators; audited)")
    psub = p.add_subparsers(dest="promoter_command", metavar="ACTION", required=True)
    show = psub.add_parser("show", help="the details held")
    show.add_argument("name")
    correct = psub.add_parser("correct", help="correct company, phone or email")
    correct.add_argument("name")
    for name in ("company", "phone", "email"):
        correct.add_argument(f"--{name}")
    correct.add_argument("--reason", required=True)
    erase = psub.add_parser("erase", help="erase company, phone and email, and the audit "
                            "entries' copies of them")
    erase.add_argument("name")
    erase.add_argument("--reason", required=True)


def check_file(args) -> int:
    """``retention check``: needs no database and no account."""
    schedule = load_schedule(args.file)
    print(f"{schedule.source_name}: OK, version {schedule.version}.")
    for rule in schedule.rules.values():
        print(f"  {rule.describe()}")
    for column, reason in schedule.kept.items():
        print(f"  {column}: kept with its record. {reason}")
    return 0


def _show_review(review: Review) -> None:
    print(f"Retention schedule {review.schedule.version} ({review.schedule.source_name}), as "
          f"of {british_date(review.now)}:")
    for d in review.kinds:
        held = f"; {d.held:,} kept by a person for now" if d.held else ""
        print(f"  {d.rule.label}: {d.count:,} due ({d.rule.action}; "
              f"{d.rule.keep_years} year{'' if d.rule.keep_years == 1 else 's'} after "
              f"{KINDS[d.rule.kind].counted_from}, "
              f"before {british_date(d.cutoff)}){held}")
    print(f"  Kept as long as their records, with a reason: {len(review.schedule.kept)} "
          "columns (eventrisk retention check lists them).")
    if review.uncovered:
        print(f"  Not covered by the schedule: {', '.join(review.uncovered)}. Add a rule for "
              "them, or list them under [kept.<table>] with a reason.")


def run_retention(desk: Desk, args) -> int:
    command = args.retention_command
    if command == "review":
        review = desk.retention_review()
        if args.json:
            print(json.dumps(review.to_json(), ensure_ascii=False, indent=1))
        else:
            _show_review(review)
        return 0
    if command == "apply":
        review = desk.retention_review()
        _show_review(review)
        automatic = sum(d.count for d in review.kinds if d.automatic)
        if not automatic:
            print("Nothing is due for deletion or anonymisation.")
            return 0
        if not args.yes:
            if not (sys.stdin and sys.stdin.isatty()):
                raise ValidationError([("--yes", "Deleting and anonymising cannot be undone: "
                                                 "confirm with --yes")])
            answer = input(f"Delete or anonymise {automatic:,} records now? This cannot be "
                           "undone. [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                print("Nothing was changed.")
                return 0
        done = desk.apply_retention(review)
        parts = ", ".join(f"{KINDS[k].label.lower()} {n:,}"
                          for k, n in done.counts.items())
        print(f"Done ({parts}); {_entries(done.audit_entries)} anonymised with them; "
              + (f"recorded as audit entry {done.entry}." if len(done.entries) < 2 else
                 f"recorded as {len(done.entries)} runs (a chunk of records each), audit "
                 f"entries {done.entries[0]} to {done.entries[-1]}."))
        return 0
    if command == "list":
        found = desk.retention_items(args.kind, limit=args.limit)
        if args.json:
            print(json.dumps([i.__dict__ for i in found], ensure_ascii=False, indent=1))
            return 0
        for item in found:
            kept = f"  (kept until {item.kept_until}: {item.kept_reason})" if item.kept_until \
                else ""
            print(f"{item.key}  {british_date(from_db(item.when))}  {item.summary}{kept}")
        if not found:
            print("Nothing of this kind is due.")
        return 0
    if command == "keep":
        item = desk.keep_record(args.kind, args.record, args.until, args.reason)
        print(f"Kept {item.key} until {args.until:%d/%m/%Y}; it will be due again then.")
        return 0
    item = desk.dispose_record(args.kind, args.record, args.reason)
    print(f"Disposed of {item.key} ({KINDS[args.kind].disposal}d).")
    return 0


def run_subject_access(desk: Desk, args) -> int:
    from eventrisk.report.files import write_pdf

    access, package = desk.subject_access(args.promoter)
    write_pdf(package, args.output)  # any finished bytes: never half-written
    print(f"Wrote {args.output}: {len(access.events)} events, {len(access.incidents)} "
          f"incidents and {len(access.audit)} audit entries about {access.promoter['name']} "
          "(recorded in the audit trail).")
    for line in access.withheld:
        print(f"  {line}")
    return 0


def run_promoter(desk: Desk, args) -> int:
    if args.promoter_command == "show":
        p = desk.promoter(args.name)
        for label, value in (("Name", p.name), ("Company", p.company), ("Phone", p.phone),
                             ("Email", p.email), ("Version", p.version)):
            print(f"{label}: {value or '—'}")
        return 0
    if args.promoter_command == "correct":
        changes = {k: getattr(args, k) for k in ("company", "phone", "email")
                   if getattr(args, k) is not None}
        if not changes:
            raise ValidationError([("--company/--phone/--email", "Give the corrected details")])
        p = desk.correct_promoter(args.name, changes, args.reason)
        print(f"Corrected {p.name}'s {', '.join(changes)} (version {p.version}).")
        return 0
    count = desk.erase_promoter(args.name, args.reason)
    print(f"Erased {args.name}'s company, phone and email; {_entries(count)} anonymised "
          "with them.")
    return 0


def _entries(count: int) -> str:
    return f"{count:,} audit {'entry' if count == 1 else 'entries'}"
