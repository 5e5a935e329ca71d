"""The ``eventrisk`` command: every subcommand of the interface contract.

Errors become one clear message on stderr and a non-zero exit status here, in one place:
1 for the environment (database locked, read-only, corrupt, missing) and unknown records,
2 for bad input (files, rules, values), 3 for a bug (details go to the log file).
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import sqlite3
import sys
from collections import Counter
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from eventrisk import __version__, audit, importexport, queue, submissions
from eventrisk.db import is_environment_failure, open_database, storage_error
from eventrisk.errors import (
    AuthError,
    ConflictError,
    EventRiskError,
    ImportFileError,
    NotFoundError,
    PermissionDenied,
    RulesError,
    StorageError,
    ValidationError,
    WorkflowError,
)
from eventrisk.logfile import log_to_file
from eventrisk.paths import default_db_path
from eventrisk.reference import canonical_borough
from eventrisk.timeutil import british_datetime, now_utc, to_file
from eventrisk.users import system_user

if TYPE_CHECKING:
    from eventrisk.scoring.service import ScoreResult

log = logging.getLogger("eventrisk")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="eventrisk", description="EventRisk: risk assessment of "
                                "promoted music events for the Promoters Desk.")
    p.add_argument("--version", action="version", version=f"eventrisk {__version__}")
    p.add_argument("--db", metavar="PATH", help="database file (default: $EVENTRISK_DB, then "
                   "desk.db in the user data folder)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("gui", help="open the desktop app (the default)")
    sub.add_parser("init", help="create or migrate the database")
    d = sub.add_parser("demo", help="fill the database with demo data")
    d.add_argument("--venues", type=int, default=60)
    d.add_argument("--events", type=int, default=600)
    d.add_argument("--incidents", type=int, default=400)
    d.add_argument("--seed", type=int, default=1)
    for name, helptext in (("import", "import a .csv or .json file (all or nothing)"),
                           ("export", "export to a .csv or .json file")):
        c = sub.add_parser(name, help=helptext)
        c.add_argument("kind", choices=importexport.KINDS)
        c.add_argument("file", type=Path)
    s = sub.add_parser("score", help="score submissions and store their assessments")
    s.add_argument("references", nargs="*", metavar="REF")
    s.add_argument("--all", action="store_true", help="every submission not cancelled")
    s.add_argument("--json", action="store_true")
    q = sub.add_parser("queue", help="the risk queue, most urgent first")
    q.add_argument("--json", action="store_true")
    q.add_argument("--limit", type=int, default=200)
    q.add_argument("--include-past", action="store_true", help="also events already over")
    r = sub.add_parser("report", help="print one assessment to PDF")
    r.add_argument("reference", metavar="REF")
    r.add_argument("-o", "--output", type=Path, required=True, metavar="FILE.pdf")
    k = sub.add_parser("pack", help="borough pack of assessments for a date range")
    k.add_argument("--borough", required=True)
    k.add_argument("--from", dest="date_from", required=True, type=_date, metavar="YYYY-MM-DD")
    k.add_argument("--to", dest="date_to", required=True, type=_date, metavar="YYYY-MM-DD")
    k.add_argument("-o", "--output", type=Path, required=True, metavar="FILE.pdf")
    rules = sub.add_parser("rules", help="check, preview or publish a rules file")
    rsub = rules.add_subparsers(dest="rules_command", metavar="ACTION", required=True)
    for name, helptext in (("check", "check a rules file"),
                           ("impact", "which upcoming grades would change"),
                           ("publish", "make a rules file the ruleset in force")):
        x = rsub.add_parser(name, help=helptext)
        x.add_argument("file", type=Path)
    rsub.add_parser("features", help="list the feature catalogue")
    a = sub.add_parser("audit", help="the audit log")
    asub = a.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    asub.add_parser("verify", help="check the hash chain")
    b = sub.add_parser("backup", help="copy the database safely while in use")
    b.add_argument("file", type=Path)
    return p


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date like 2026-12-05") from None


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    path = default_db_path(args.db)
    try:
        try:
            return _dispatch(args, path)
        except sqlite3.Error as exc:
            if is_environment_failure(exc):
                raise storage_error(exc, path) from exc
            raise
    except ImportFileError as exc:
        for line in exc.lines:
            print(line, file=sys.stderr)
        return 2
    except RulesError as exc:
        for line in exc.problems:
            print(line, file=sys.stderr)
        return 2
    except ValidationError as exc:
        for field, message in exc.problems:
            print(f"{field}: {message}", file=sys.stderr)
        return 2
    except (StorageError, NotFoundError, PermissionDenied, WorkflowError, ConflictError,
            AuthError) as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except EventRiskError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except BrokenPipeError:  # output piped into head or less that closed early
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("Stopped; nothing half-done was saved.", file=sys.stderr)
        return 130
    except Exception:  # noqa: BLE001 - the user never sees a traceback
        logfile = _log_exception()
        print(f"EventRisk hit an unexpected problem; the details are in {logfile}.",
              file=sys.stderr)
        return 3


def _log_exception() -> Path:
    logfile = log_to_file()
    log.exception("unexpected error")
    return logfile


def _dispatch(args: argparse.Namespace, path: Path) -> int:
    command = args.command or "gui"
    if command == "gui":
        from ui.app import run  # the core never imports Qt; only this entry point does

        return run(path)
    if command == "init":
        db = open_database(path)
        print(f"Database ready at {path}.")
        db.close()
        return 0
    handler = _HANDLERS[command]
    if command == "rules" and args.rules_command in ("check", "features"):
        return handler(None, args)  # a rules file alone needs no database
    db = open_database(path, create=command in ("demo", "import"))
    try:
        return handler(db, args)
    finally:
        db.close()


def _demo(db, args) -> int:
    from eventrisk import demo

    summary = demo.build(db, venues=args.venues, events=args.events, incidents=args.incidents,
                         seed=args.seed, progress=lambda m: print(f"  {m}...", file=sys.stderr))
    print(f"Demo data: {summary.venues} venues, {summary.promoters} promoters, "
          f"{summary.events} events ({summary.upcoming} in the next three weeks), "
          f"{summary.incidents} incidents.")
    if summary.users:
        print("Demo sign-ins (change these before real use):")
        for username, password, role in summary.users:
            print(f"  {username:<12} {password:<18} {role}")
    return 0


def _import(db, args) -> int:
    result = importexport.import_file(db, system_user(), args.kind, args.file)
    extra = f", updated {result.updated}" if result.updated else ""
    print(f"Imported {result.created} {args.kind} from {args.file}{extra}.")
    return 0


def _export(db, args) -> int:
    n = importexport.export_file(db, args.kind, args.file)
    print(f"Exported {n} {args.kind} to {args.file}.")
    return 0


def _score(db, args) -> int:
    from eventrisk.scoring import service

    if args.all == bool(args.references):
        raise ValidationError([("REF", "Name one or more references, or use --all")])
    actor = system_user()
    if args.all:
        grades: Counter[str] = Counter()
        stored = 0
        out = io.StringIO()  # JSON waits for the commit, so a failure prints nothing

        def tally(r: ScoreResult) -> None:
            nonlocal stored
            grades[r.grade.value] += 1
            stored += r.stored
            if args.json:
                out.write(("[\n" if out.tell() == 0 else ",\n") + _score_json(r))

        service.score_all(db, actor, sink=tally)
        if args.json:
            sys.stdout.write((out.getvalue() or "[") + "\n]\n")
        else:
            print(f"Scored {sum(grades.values())} submissions ({stored} new assessments): "
                  + ", ".join(f"{g} {grades.get(g, 0)}"
                              for g in ("CRITICAL", "HIGH", "MEDIUM", "LOW")))
        return 0
    results = service.score_references(db, actor, args.references)
    if args.json:
        print("[\n" + ",\n".join(_score_json(r) for r in results) + "\n]")
        return 0
    for r in results:
        a = r.assessment
        print(f"{r.reference}  {a.grade.value}  score {a.score}  confidence {a.confidence:.2f}"
              f"  (rules {a.ruleset_version})")
        for f in a.fired:
            print(f"  +{f.points:<3} {f.title}: {f.evidence}")
        print(f"  Action: {a.guidance}")
    return 0


def _score_json(r: ScoreResult) -> str:
    return json.dumps({"reference": r.reference, "start": to_file(r.start),
                       **r.assessment.as_dict()}, ensure_ascii=False)


def _queue(db, args) -> int:
    flt = queue.QueueFilter(upcoming_only=not args.include_past)
    rows = queue.fetch(db, flt, limit=args.limit)
    if args.json:
        print(json.dumps([{
            "reference": r.reference, "event_name": r.event_name, "start": to_file(r.start),
            "venue": r.venue_name, "borough": r.borough,
            "grade": r.grade.value if r.grade else None, "score": r.score,
            "status": r.status.value, "days_notice": r.days_notice, "late": r.late,
            "assigned": r.assigned} for r in rows], ensure_ascii=False, indent=1))
        return 0
    if not rows:
        print("The queue is empty.")
        return 0
    print(f"{'Reference':<16}{'Start':<22}{'Grade':<10}{'Score':>6}  {'Status':<11}"
          f"{'Notice':<10}Venue (borough)")
    for r in rows:
        notice = f"{r.days_notice:.0f}d" + (" LATE" if r.late else "")
        print(f"{r.reference:<16}{british_datetime(r.start):<22}"
              f"{(r.grade.value if r.grade else 'unscored'):<10}"
              f"{'' if r.score is None else r.score:>6}  {r.status.value:<11}{notice:<10}"
              f"{r.venue_name} ({r.borough})")
    return 0


def _report(db, args) -> int:
    from eventrisk.report import assessment_pdf  # reportlab loads only when printing

    sub = submissions.get_by_reference(db, args.reference)
    assert sub.id is not None
    digest = assessment_pdf.write_assessment(db, sub.id, args.output)
    print(f"Wrote {args.output} (SHA-256 {digest[:16]}...).")
    return 0


def _pack(db, args) -> int:
    from eventrisk.report import pack_pdf

    count = pack_pdf.write_pack(db, args.borough, args.date_from, args.date_to, args.output)
    print(f"Wrote {args.output}: {count} events in {canonical_borough(args.borough)}.")
    return 0


def _rules(db, args) -> int:
    from eventrisk.scoring import catalogue, rulebook, rules
    from eventrisk.scoring import impact as impact_of

    if args.rules_command == "features":
        for f in catalogue.CATALOGUE.values():
            unit = f" [{f.unit}]" if f.unit else ""
            print(f"{f.name} ({f.type}{unit}): {f.description}")
        return 0
    ruleset = rules.load_ruleset(args.file)
    if args.rules_command == "check":
        print(f"{args.file}: OK, version {ruleset.version}, {len(ruleset.rules)} rules.")
        return 0
    if args.rules_command == "publish":
        rulebook.publish_ruleset(db, system_user(), ruleset)
        print(f"Published ruleset {ruleset.version}.")
        return 0
    result = impact_of.impact(db, ruleset, now_utc())
    current = rulebook.active_ruleset(db)
    print(f"Draft {ruleset.version} against {current.version}, over {result.considered} "
          f"upcoming events: {len(result.up)} would move up a grade, {len(result.down)} down.")
    for label, rows in (("Up", result.up), ("Down", result.down)):
        for row in rows:
            print(f"  {label:<5}{row.reference}  {british_datetime(row.start)}  "
                  f"{row.grade_before.value} -> {row.grade_after.value}  "
                  f"({row.score_before} -> {row.score_after})  {row.event_name}")
    return 0


def _audit(db, args) -> int:
    result = audit.verify(db)
    if result.ok:
        print(f"OK: {result.count} audit entries, chain intact.")
        return 0
    print(f"Audit chain broken at entry {result.first_bad}: {result.problem} "
          f"({result.count} entries before it are intact).", file=sys.stderr)
    return 1


def _backup(db, args) -> int:
    from eventrisk.backup import backup

    backup(db, args.file)
    print(f"Backed up to {args.file}; integrity check passed.")
    return 0


_HANDLERS = {"demo": _demo, "import": _import, "export": _export, "score": _score,
             "queue": _queue, "report": _report, "pack": _pack, "rules": _rules,
             "audit": _audit, "backup": _backup}
