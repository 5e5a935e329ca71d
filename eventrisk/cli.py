"""The ``eventrisk`` command: every subcommand of the interface contract, as a named account.

It only adapts the desk service (``eventrisk.desk``): it signs in with ``--user`` and
``--password-file`` (or ``EVENTRISK_USER`` / ``EVENTRISK_PASSWORD_FILE``, or a prompt without
echo) and every audit entry names that account.

Errors become one clear message on stderr and a non-zero exit status here, in one place:
1 for the environment (database locked, read-only, corrupt, missing) and unknown records,
2 for bad input (files, rules, values), 3 for a bug (details go to the log file).
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING

from eventrisk import __version__, cli_forms, cli_personal
from eventrisk.db import is_environment_failure, storage_error
from eventrisk.desk import Desk
from eventrisk.errors import (
    AuthError,
    ConflictError,
    EventRiskError,
    FormError,
    ImportFileError,
    NotFoundError,
    PermissionDenied,
    RulesError,
    StorageError,
    ValidationError,
    WorkflowError,
)
from eventrisk.fields import KINDS, minimal_note
from eventrisk.logfile import log_to_file
from eventrisk.paths import default_db_path
from eventrisk.privatefiles import sweep
from eventrisk.queue import QueueFilter
from eventrisk.reference import canonical_borough
from eventrisk.retention import RetentionFileError
from eventrisk.timeutil import british_datetime, to_file

if TYPE_CHECKING:
    from eventrisk.scoring.service import ScoreResult

log = logging.getLogger("eventrisk")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="eventrisk", description="EventRisk: risk assessment of "
                                "promoted music events for the Promoters Desk.")
    p.add_argument("--version", action="version", version=f"eventrisk {__version__}")
    p.add_argument("--db", dest="database", metavar="PATH", help="database file (default: "
                   "$EVENTRISK_DB, then desk.db in the user data folder)")
    p.add_argument("--user", metavar="NAME", help="the account to act as (default: "
                   "$EVENTRISK_USER)")
    p.add_argument("--password-file", metavar="FILE", type=Path, help="a file readable only "
                   "by you holding the password (default: $EVENTRISK_PASSWORD_FILE; otherwise "
                   "you are asked, without echo)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("gui", help="open the desktop app (the default)")
    i = sub.add_parser("init", help="create or migrate the database")
    i.add_argument("--admin", metavar="NAME", help="on a new database, create this "
                   "administrator (password from --password-file, or asked for)")
    r = sub.add_parser("recover", help="on the computer holding a file desk: give an "
                       "administrator a new password with the desk's recovery code")
    r.add_argument("--admin", metavar="NAME", help="the administrator (asked for otherwise)")
    r.add_argument("--code-file", metavar="FILE", type=Path, help="a private file holding "
                   "the recovery code (asked for, without echo, otherwise); the new password "
                   "is asked for, or the first line of $EVENTRISK_NEW_PASSWORD_FILE")
    r.add_argument("--new-code", action="store_true", help="signed in as an administrator: "
                   "make a new recovery code (the old one stops working)")
    sub.add_parser("password", help="choose a new password for your account (asked for, or "
                   "the first line of $EVENTRISK_NEW_PASSWORD_FILE)")
    d = sub.add_parser("demo", help="fill a new (training) database with demo data")
    d.add_argument("--venues", type=int, default=60)
    d.add_argument("--events", type=int, default=600)
    d.add_argument("--incidents", type=int, default=400)
    d.add_argument("--seed", type=int, default=1)
    c = sub.add_parser("import", help="import a .csv or .json file (all or nothing), or a "
                       "promoter's filled form (.pdf)")
    c.add_argument("kind", choices=(*KINDS, "form"))
    c.add_argument("file", type=Path)
    c.add_argument("--with-status", action="store_true", help="administrators: keep the "
                   "workflow status of events that have already started")
    c.add_argument("--no-duplicates", action="store_true", help="refuse the file if a row "
                   "looks like an event already on the desk (same venue, start and name)")
    cli_forms.add_import_options(c)
    e = sub.add_parser("export", help="export to a .csv or .json file")
    e.add_argument("kind", choices=KINDS)
    e.add_argument("file", type=Path)
    e.add_argument("--minimal", action="store_true", help="leave out personal contact details "
                   "(promoter phone and email, contacts for the night), notes, incident "
                   "descriptions and crime references: for sending outside the desk")
    s = sub.add_parser("score", help="score submissions and store their assessments")
    s.add_argument("references", nargs="*", metavar="REF")
    s.add_argument("--all", action="store_true", help="every submission not cancelled "
                   "(supervisors; grades change, statuses do not)")
    s.add_argument("--yes", action="store_true", help="with --all: do not ask to confirm")
    s.add_argument("--json", action="store_true")
    q = sub.add_parser("queue", help="the risk queue, most urgent first")
    q.add_argument("--json", action="store_true")
    q.add_argument("--limit", type=int, default=200)
    q.add_argument("--include-past", action="store_true", help="also events already over")
    q.add_argument("--csv", type=Path, metavar="FILE.csv", help="the whole queue (not just "
                   "--limit rows) to a CSV file, formulas neutralised")
    q.add_argument("-o", "--output", type=Path, metavar="FILE.pdf", help="the queue as a "
                   "printed list, marked OFFICIAL-SENSITIVE")
    r = sub.add_parser("report", help="print one assessment to PDF")
    r.add_argument("reference", metavar="REF")
    r.add_argument("-o", "--output", type=Path, required=True, metavar="FILE.pdf")
    lt = sub.add_parser("letter", help="the letter to the promoter of an approved event "
                        "(OFFICIAL; recorded as sent, with its SHA-256)")
    lt.add_argument("reference", metavar="REF")
    lt.add_argument("-o", "--output", type=Path, required=True, metavar="FILE.pdf")
    k = sub.add_parser("pack", help="borough pack of assessments for a date range")
    k.add_argument("--borough", required=True)
    k.add_argument("--from", dest="date_from", required=True, type=_date, metavar="YYYY-MM-DD")
    k.add_argument("--to", dest="date_to", required=True, type=_date, metavar="YYYY-MM-DD")
    k.add_argument("-o", "--output", type=Path, required=True, metavar="FILE.pdf")
    k.add_argument("--include-pending", action="store_true", help="also events not yet "
                   "approved by a supervisor (each marked NOT APPROVED)")
    cal = sub.add_parser("calibration", help="does the grade mean anything: outcome rates by "
                         "grade, AUC, rule by rule, grade mix, disparity, overrides "
                         "(supervisors)")
    cal.add_argument("--from", dest="date_from", required=True, type=_date,
                     metavar="YYYY-MM-DD")
    cal.add_argument("--to", dest="date_to", required=True, type=_date, metavar="YYYY-MM-DD")
    cal.add_argument("--ruleset", metavar="V", help="re-grade every event under this published "
                     "version (or a draft .toml file); by default, as graded at the time")
    out = cal.add_mutually_exclusive_group(required=True)
    out.add_argument("-o", "--output", type=Path, metavar="FILE.pdf")
    out.add_argument("--json", action="store_true", help="every figure of the PDF, as JSON")
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
    v = asub.add_parser("verify", help="check the audit trail: its chain, the tables against "
                        "it, the schema and witnesses")
    v.add_argument("--expect", action="append", default=[], metavar="N:HASH",
                   help="a head printed on a document: entry N must still have this hash (16 "
                   "or more hex characters); may be given more than once")
    v.add_argument("--against", type=Path, metavar="BACKUP.db",
                   help="a backup: the live trail must extend its trail entry for entry")
    v.add_argument("--quiet", action="store_true", help="no progress bar")
    b = sub.add_parser("backup", help="copy the database safely while in use")
    b.add_argument("file", type=Path)
    mv = sub.add_parser("migrate", help="copy a whole desk into an empty PostgreSQL database "
                        "(or a server's desk into a new file, for training); administrators")
    mv.add_argument("--from", dest="source", required=True, metavar="DESK",
                    help="the desk to copy: a file, or postgresql://…")
    mv.add_argument("--to", dest="target", required=True, metavar="DESK",
                    help="where to: postgresql://… (an empty database, as its owner), or a "
                         "new file")
    mv.add_argument("--create-logins", action="store_true",
                    help="onto a server: make a login for each account that has none, where "
                         "this connection may create roles (otherwise the DBA's CREATE ROLE "
                         "lines are printed)")
    ro = sub.add_parser("role", help="give an account a desk role, or take it away "
                        "(administrators; on a server desk a GRANT or REVOKE of the login's "
                        "PostgreSQL role)")
    ro.add_argument("account", metavar="NAME", help="the account (on a server, the login)")
    ro.add_argument("role", choices=["officer", "supervisor", "admin", "none"])
    ro.add_argument("--reason", help="why (kept in the audit trail)")
    rs = sub.add_parser("restore", help="replace the desk with a checked backup "
                        "(administrators; everyone else must have closed EventRisk)")
    rs.add_argument("file", type=Path, metavar="BACKUP")
    rs.add_argument("--other-desk", action="store_true", help="restore a backup of another "
                    "desk (refused without this; the audit entry says so)")
    cli_personal.add_parsers(sub, _date)
    cli_forms.add_parsers(sub)
    cli_forms.add_mail_parsers(sub, _date)
    return p


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date like 2026-12-05") from None


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    path = default_db_path(args.database)
    sweep()  # the half-written files of a run that was killed
    try:
        try:
            return _dispatch(args, path)
        except Exception as exc:
            if is_environment_failure(exc):
                raise storage_error(exc, path) from exc
            raise
    except ImportFileError as exc:
        for line in exc.lines:
            print(line, file=sys.stderr)
        return 2
    except (RulesError, RetentionFileError) as exc:
        for line in exc.problems:
            print(line, file=sys.stderr)
        return 2
    except ValidationError as exc:
        for field, message in exc.problems:
            print(f"{field}: {message}", file=sys.stderr)
        return 2
    except FormError as exc:  # a PDF that is not a readable form of this desk's: bad input
        print(str(exc), file=sys.stderr)
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


def _dispatch(args: argparse.Namespace, path: Path | str) -> int:
    command = args.command or "gui"
    if command == "gui":
        return _open_app(path)
    if command in ("report", "pack", "letter", "form"):
        from eventrisk.deskinfo import load_desk_contact

        load_desk_contact()  # paper names who to call: a broken desk.json stops it first
    if command == "rules" and args.rules_command in ("check", "features"):
        return _rules(None, args)  # a rules file alone needs no database and no account
    if command == "retention" and args.retention_command == "check":
        return cli_personal.check_file(args)
    if command == "init":
        return _init(args, path)
    if command == "restore":
        return _restore(args, path)
    if command == "migrate":
        return _migrate(args)
    if command == "recover":
        return _recover(args, path)
    desk = _open(path, args, create=command == "demo")
    try:
        if command == "demo" and desk.needs_first_admin():
            return _demo(desk, args)  # a new database: its demo accounts are made here
        _sign_in(desk, args)
        return _HANDLERS[command](desk, args)
    finally:
        desk.close()


# The desktop front end registers itself under this entry-point group (pyproject.toml), so the
# core finds the app without importing it: the arrow runs from the UI down to the core only.
APP_ENTRY_POINTS = "eventrisk.app"


def _open_app(path: Path | str) -> int:
    """Open the desktop app registered under :data:`APP_ENTRY_POINTS` on ``path``."""
    found = entry_points(group=APP_ENTRY_POINTS)
    if not found:
        raise EventRiskError("The desktop app is not installed with this copy of EventRisk; "
                             "the command line works ('eventrisk --help').")
    return int(next(iter(found)).load()(path))


# ---- signing in ---------------------------------------------------------------------------

def _open(path: Path | str, args: argparse.Namespace, *, create: bool) -> Desk:
    """The desk at ``path``; a server that wants the person to sign in first is opened as
    their own login (``--user``, ``--password-file``, given to libpq)."""
    from eventrisk.desk import SignInNeededError

    try:
        return Desk.open(path, create=create)
    except SignInNeededError:
        name = _account_name(args)
        return Desk.open_as(str(path), name, _password(args, f"Password for {name}: "))


def _account_name(args: argparse.Namespace) -> str:
    name = args.user or os.environ.get("EVENTRISK_USER", "")
    if not name.strip():
        raise AuthError("Sign in to use the desk: give --user NAME (or set EVENTRISK_USER), "
                        "and --password-file FILE (or EVENTRISK_PASSWORD_FILE).")
    return name.strip()


def read_password_file(path: Path) -> str:
    """The password on the first line of a file that only its owner can read."""
    try:
        info = path.stat()
    except OSError:
        raise AuthError(f"The password file {path} cannot be read.") from None
    if os.name == "posix" and info.st_mode & 0o077:
        raise AuthError(f"The password file {path} can be read by other people; make it "
                        f"private first (chmod 600 {path}).")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise AuthError(f"The password file {path} cannot be read.") from None
    return text.splitlines()[0] if text else ""


def _password(args: argparse.Namespace, prompt: str, *, confirm: bool = False,
              env: str = "EVENTRISK_PASSWORD_FILE", use_option: bool = True) -> str:
    source = (args.password_file if use_option else None) or os.environ.get(env)
    if source:
        return read_password_file(Path(source))
    if not sys.stdin or not sys.stdin.isatty():
        raise AuthError(f"No password: give --password-file FILE (or set {env}); there is no "
                        "terminal to ask on.")
    password = getpass.getpass(prompt)
    if confirm and getpass.getpass("Again, to confirm: ") != password:
        raise ValidationError([("password", "The two passwords differ")])
    return password


def _sign_in(desk: Desk, args: argparse.Namespace) -> None:
    name = _account_name(args)
    if desk.server_login() == name:  # libpq signed this login in already (pgpass, service)
        password = ""
    else:
        password = _password(args, f"Password for {name}: ")
    user = desk.sign_in(name, password)
    if user.must_change_password and args.command != "password":
        raise AuthError(f"{name} must choose a new password before working on the desk: "
                        f"run 'eventrisk --user {name} password' (or sign in to the app).")


def _init(args: argparse.Namespace, path: Path | str) -> int:
    from eventrisk.pg import is_server, shown

    where = shown(str(path))
    desk = Desk.open(path, create=True)
    if is_server(path):
        print(f"The desk's schema on {where} is up to date. Run "
              "docs/postgresql-grants.sql there again (as the database's administrator) so "
              "that the workstations may use every table.")
    try:
        if not desk.needs_first_admin():
            if args.admin:
                raise AuthError(f"{where} already has accounts; an administrator adds more in "
                                "the app (Tools → Accounts).")
            _sign_in(desk, args)
            print(f"Database ready at {where}.")
            return 0
        if not args.admin:
            print(f"Database ready at {where}. It has no accounts yet: run "
                  f"'eventrisk init --admin NAME', or open the app, to create the "
                  "administrator.")
            return 0
        password = _password(args, f"Password for the administrator {args.admin}: ",
                             confirm=True)
        admin = desk.create_first_admin(args.admin, args.admin, password)
        print(f"Database ready at {where}; administrator {admin.username} created.")
        if not is_server(path):
            _print_code(desk.new_recovery_code())
        return 0
    finally:
        desk.close()


def _print_code(code: str) -> None:
    print(f"Recovery code: {code}\nWrite it on paper and keep it locked away from this "
          "computer: with it, 'eventrisk recover' gives an administrator a new password when "
          "none can sign in. It is shown only now.")


def _recover(args: argparse.Namespace, path: Path | str) -> int:
    from eventrisk.pg import is_server

    if is_server(path):
        raise PermissionDenied(Desk.RECOVERY_ON_SERVER)
    desk = Desk.open(path)
    try:
        if args.new_code:
            _sign_in(desk, args)
            _print_code(desk.new_recovery_code())
            return 0
        desk.check_recovery_code_exists()
        name = args.admin or _ask("Administrator to recover: ")
        if args.code_file:
            code = read_password_file(args.code_file)
        else:
            code = _ask("Recovery code: ", secret=True)
        password = _password(args, f"New password for {name}: ", confirm=True,
                             env="EVENTRISK_NEW_PASSWORD_FILE", use_option=False)
        code = desk.recover_admin(code, name, password)
        print(f"{name} has a new password and is unlocked; sign in with it.")
        _print_code(code)
        return 0
    finally:
        desk.close()


def _ask(prompt: str, *, secret: bool = False) -> str:
    if not sys.stdin or not sys.stdin.isatty():
        raise ValidationError([("recover", "Give --admin NAME and --code-file FILE: there is "
                                           "no terminal to ask on")])
    return getpass.getpass(prompt) if secret else input(prompt)


@contextmanager
def _progress_bars(quiet: bool = False) -> Iterator[Callable[[str, int, int], None]]:
    """A progress bar per phase on the terminal (none when ``quiet``), closed at the end."""
    bars: dict[str, object] = {}

    def progress(phase: str, done: int, total: int) -> None:
        from tqdm import tqdm

        bar = bars.get(phase)
        if bar is None:
            bar = bars[phase] = tqdm(total=total, desc=phase, unit=" rows", file=sys.stderr,
                                     leave=False, disable=quiet or None)
        bar.update(done - bar.n)  # type: ignore[attr-defined]

    try:
        yield progress
    finally:
        for bar in bars.values():
            bar.close()  # type: ignore[attr-defined]


def _migrate(args: argparse.Namespace) -> int:
    from eventrisk.pg import is_server, shown

    source, target = default_db_path(args.source), default_db_path(args.target)
    desk = Desk.open(source)
    try:
        _sign_in(desk, args)
        with _progress_bars() as progress:
            moved = desk.copy_to(target, progress=progress)
        print(f"Copied {moved.total:,} rows from {shown(str(source))} to "
              f"{shown(str(target))}: "
              + ", ".join(f"{n:,} {t}" for t, n in moved.rows.items() if n) + ".")
        print(f"The audit trail ends at {moved.head[0]}:{moved.head[1][:20]} on both; run "
              "'eventrisk audit verify' on the copy to check it in full.")
        if is_server(str(target)):
            done, for_dba = desk.map_logins(str(target), create=args.create_logins)
            print("On the server each person signs in as their own login:")
            for line in done:
                print(f"  {line}")
            if for_dba:
                print("The DBA makes the rest (then runs docs/postgresql-grants.sql once "
                      "more):")
                for line in for_dba:
                    print(f"  {line}")
    finally:
        desk.close()
    return 0


def _role(desk: Desk, args: argparse.Namespace) -> int:
    from eventrisk.model import Role

    if args.role == "none":
        user = desk.set_account_active(args.account, False, args.reason or "")
        print(f"{user.username} holds no desk role now.")
        return 0
    user = desk.set_account_role(args.account, Role(args.role), args.reason or "")
    print(f"{user.username} is now {Role(args.role).label.lower()}.")
    return 0


def _restore(args: argparse.Namespace, path: Path | str) -> int:
    from eventrisk.desk.restore import check_backup, restore_desk

    check_backup(args.file)  # before asking for a password for a backup that will not do
    name = _account_name(args)
    done = restore_desk(path, args.file, name, _password(args, f"Password for {name}: "),
                        other_desk=args.other_desk)
    aside = f"; the replaced file is kept as {done.kept_aside}" if done.kept_aside else ""
    print(f"Restored {path} from {args.file}{aside}. Audit head now {done.head[0]}:"
          f"{done.head[1][:20]}; run 'eventrisk audit verify' to check it.")
    return 0


def _change_password(desk: Desk, args: argparse.Namespace) -> int:
    assert desk.user is not None
    new = _password(args, "New password: ", confirm=True, env="EVENTRISK_NEW_PASSWORD_FILE",
                    use_option=False)
    current = _password(args, "Current password: ")
    desk.change_own_password(current, new)
    print(f"Password changed for {desk.user.username}.")
    return 0


# ---- commands -----------------------------------------------------------------------------

def _demo(desk: Desk, args) -> int:
    summary = desk.build_demo(venues=args.venues, events=args.events,
                              incidents=args.incidents, seed=args.seed,
                              progress=lambda m: print(f"Building the demo: {m}…",
                                                       file=sys.stderr))
    sys.stderr.flush()
    print()  # the summary and the sign-ins stand apart from the progress lines
    print(f"Demo data: {summary.venues} venues, {summary.promoters} promoters, "
          f"{summary.events} events ({summary.upcoming} in the next three weeks), "
          f"{summary.incidents} incidents. This is a training desk: everything it prints is "
          "marked TRAINING DATA.")
    if summary.users:
        print("\nDemo sign-ins (change these before real use):")
        for username, password, role in summary.users:
            print(f"  {username:<12} {password:<18} {role}")
    return 0


def _import(desk: Desk, args) -> int:
    if args.kind == "form":
        return cli_forms.import_form(desk, args)
    result = desk.import_file(args.kind, args.file, with_status=args.with_status,
                              no_duplicates=args.no_duplicates)
    for line in result.warnings:
        print(line.replace(": event_name: ", ": event_name: warning: ", 1), file=sys.stderr)
    extra = f", updated {result.updated}" if result.updated else ""
    print(f"Imported {result.created} {args.kind} from {args.file}{extra}.")
    return 0


def _export(desk: Desk, args) -> int:
    n = desk.export_file(args.kind, args.file, minimal=args.minimal)
    extra = f" {minimal_note(args.kind)}" if args.minimal else ""
    print(f"Exported {n} {args.kind} to {args.file}{extra}.")
    return 0


def _score(desk: Desk, args) -> int:
    if args.all == bool(args.references):
        raise ValidationError([("REF", "Name one or more references, or use --all")])
    if args.all:
        return _score_all(desk, args)
    states = desk.score(args.references)
    if args.json:
        print(json.dumps([s.as_json() for s in states], ensure_ascii=False, indent=1))
        return 0
    for state in states:
        snap = state.snapshot
        assert snap is not None and state.grade is not None
        overridden = (f" (set by a supervisor; scored {state.scored_grade})"
                      if state.override else "")
        print(f"{state.submission.reference}  {state.grade.value}{overridden}  score "
              f"{snap.score}  confidence {snap.confidence:.2f}  (rules {snap.ruleset_version})")
        for f in snap.fired:
            print(f"  +{f.points:<3} {f.title}: {f.evidence}")
        print(f"  Action: {state.guidance}")
    return 0


def _score_all(desk: Desk, args) -> int:
    count = desk.count_rescore_all()
    if not args.yes and sys.stdin and sys.stdin.isatty():
        answer = input(f"Rescore all {count:,} submissions that are not cancelled? Grades of "
                       "events not yet started or decided may change; no status will. [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing was rescored.")
            return 0
    grades: Counter[str] = Counter()
    stored = 0
    ids: list[int] = []

    def tally(r: ScoreResult) -> None:
        nonlocal stored
        grades[r.grade.value] += 1
        stored += r.stored
        if args.json:
            ids.append(r.submission_id)

    desk.rescore_all(sink=tally)
    if args.json:  # the assessments as they stand, written only after the commit
        sys.stdout.write("[\n")
        for n, sid in enumerate(ids):
            state = desk.assessment(sid, history=False)
            sys.stdout.write(("," if n else "") + json.dumps(state.as_json(), ensure_ascii=False)
                             + "\n")
        sys.stdout.write("]\n")
    else:
        print(f"Scored {sum(grades.values())} submissions ({stored} new assessments): "
              + ", ".join(f"{g} {grades.get(g, 0)}"
                          for g in ("CRITICAL", "HIGH", "MEDIUM", "LOW")))
    return 0


def _queue(desk: Desk, args) -> int:
    flt = QueueFilter(upcoming_only=not args.include_past)
    if args.csv or args.output:
        if args.csv:
            n = desk.export_queue(flt, args.csv)
            print(f"Wrote {args.csv}: {n:,} event{'' if n == 1 else 's'}.")
        if args.output:
            from eventrisk.report.files import write_pdf

            write_pdf(desk.render_queue(flt), args.output)
            print(f"Wrote {args.output}: the queue as a printed list.")
        return 0
    rows = desk.queue_page(flt, limit=args.limit)
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


def _report(desk: Desk, args) -> int:
    from eventrisk.report.files import write_pdf

    state = desk.assessment_by_reference(args.reference)
    assert state.submission.id is not None
    digest = write_pdf(desk.render_assessment(state.submission.id), args.output)
    print(f"Wrote {args.output} (SHA-256 {digest[:16]}...).")
    return 0


def _letter(desk: Desk, args) -> int:
    from eventrisk.report.files import write_pdf

    state = desk.assessment_by_reference(args.reference)
    assert state.submission.id is not None
    pdf = desk.render_letter(state.submission.id)
    write_pdf(pdf, args.output)
    digest = desk.issue_letter(state.submission.id, pdf)  # only once it is on disk
    print(f"Wrote {args.output}: the letter to {state.promoter.name} (SHA-256 "
          f"{digest[:16]}..., recorded as sent).")
    return 0


def _pack(desk: Desk, args) -> int:
    from eventrisk.report.files import write_pdf

    pdf, count = desk.render_pack(args.borough, args.date_from, args.date_to,
                                  include_pending=args.include_pending)
    write_pdf(pdf, args.output)
    print(f"Wrote {args.output}: {count} event{'' if count == 1 else 's'} in "
          f"{canonical_borough(args.borough)}.")
    return 0


def _calibration(desk: Desk, args) -> int:
    from eventrisk.calibration import STEPS
    from eventrisk.report.files import write_pdf

    def progress(step: str, done: int, total: int) -> None:
        if step in STEPS:
            print(f"[{done + 1}/{total}] {STEPS[step]}...", file=sys.stderr, flush=True)
    report = desk.calibration(args.date_from, args.date_to, args.ruleset, progress=progress)
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False, indent=1))
        return 0
    write_pdf(desk.render_calibration(report), args.output)
    auc = f"AUC {report.auc:.3f}" if report.auc is not None else "no AUC"
    print(f"Wrote {args.output}: {report.events:,} past events, {auc}. "
          f"{report.rise_note}")
    return 0


def _rules(desk: Desk | None, args) -> int:
    from eventrisk.scoring import catalogue, rules

    if args.rules_command == "features":
        for f in catalogue.CATALOGUE.values():
            unit = f" [{f.unit}]" if f.unit else ""
            print(f"{f.name} ({f.type}{unit}): {f.description}")
        return 0
    ruleset = rules.load_ruleset(args.file)
    if args.rules_command == "check":
        print(f"{args.file}: OK, version {ruleset.version}, {len(ruleset.rules)} rules.")
        return 0
    assert desk is not None
    if args.rules_command == "publish":
        desk.publish_rules(ruleset)
        print(f"Published ruleset {ruleset.version}.")
        return 0
    result = desk.rules_impact(ruleset)
    current = desk.active_ruleset()
    print(f"Draft {ruleset.version} against {current.version}, over {result.considered} "
          f"upcoming events: {len(result.up)} would move up a grade, {len(result.down)} down.")
    for label, rows in (("Up", result.up), ("Down", result.down)):
        for row in rows:
            print(f"  {label:<5}{row.reference}  {british_datetime(row.start)}  "
                  f"{row.grade_before.value} -> {row.grade_after.value}  "
                  f"({row.score_before} -> {row.score_after})  {row.event_name}")
    return 0


def _audit(desk: Desk, args) -> int:
    from eventrisk.formatting import witnesses_text
    from eventrisk.verify import Witness

    expect = tuple(Witness.parse(text) for text in args.expect)
    with _progress_bars(args.quiet) as progress:
        report = desk.verify_audit(expect=expect, against=args.against, progress=progress)
    if report.ok:
        position, digest = report.head
        print(f"OK: {report.entries} audit entries, chain intact, head {position}:"
              f"{digest[:20]}; {report.submissions} submissions, {report.snapshots} "
              f"snapshots, {report.reviews} reviews, {report.issued} issued documents and "
              f"{report.accounts} accounts agree with it; {witnesses_text(report.witnesses)}.")
        return 0
    for line in report.problems:
        print(line, file=sys.stderr)
    if report.more:
        print(f"... and {report.more} more.", file=sys.stderr)
    print(f"The audit trail does not hold: {len(report.problems) + report.more} problems "
          "(verify read only; it changed nothing).", file=sys.stderr)
    return 1


def _backup(desk: Desk, args) -> int:
    desk.backup(args.file)
    print(f"Backed up to {args.file}; integrity check passed.")
    return 0


_HANDLERS = {"demo": _demo, "import": _import, "export": _export, "score": _score,
             "queue": _queue, "report": _report, "pack": _pack, "rules": _rules,
             "calibration": _calibration, "letter": _letter, "form": cli_forms.write_form,
             "mail": cli_forms.run_mail,
             "audit": _audit, "backup": _backup, "password": _change_password,
             "role": _role,
             "retention": cli_personal.run_retention,
             "subject-access": cli_personal.run_subject_access,
             "promoter": cli_personal.run_promoter}
