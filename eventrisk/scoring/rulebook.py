"""The ruleset in force: reading it, and publishing new versions (supervisors only)."""

from __future__ import annotations

from sqlite_utils import Database

from eventrisk import audit
from eventrisk.errors import RulesError
from eventrisk.model import User
from eventrisk.scoring.rules import Ruleset, default_ruleset, parsed
from eventrisk.timeutil import now_utc, to_db
from eventrisk.users import require


def active_ruleset(db: Database) -> Ruleset:
    """The published ruleset in force, or the shipped default if none was published."""
    row = db.execute("SELECT source, version FROM rulesets WHERE active = 1 ORDER BY id DESC "
                     "LIMIT 1").fetchone()
    if row is None:
        return default_ruleset()
    return parsed(row[0], f"published ruleset {row[1]}", stored=True)


def stored_ruleset(db: Database, version: str) -> Ruleset | None:
    """The ruleset stored on this desk under ``version``, if there is one."""
    row = db.execute("SELECT source FROM rulesets WHERE version = ?", [version]).fetchone()
    return None if row is None else parsed(row[0], f"ruleset {version}", stored=True)


def ruleset_by_version(db: Database, version: str) -> Ruleset:
    """A stored ruleset by version (the one in force if that version was never stored, as
    for snapshots scored with the shipped default before anything was published)."""
    return stored_ruleset(db, version) or active_ruleset(db)


def store_ruleset(db: Database, ruleset: Ruleset, actor: str, active: bool) -> None:
    """Keep a ruleset's text under its version (refusing the same version with other rules),
    and make it the one in force if ``active``."""
    row = db.execute("SELECT sha256 FROM rulesets WHERE version = ?",
                     [ruleset.version]).fetchone()
    if row is not None:
        if row[0] != ruleset.sha256:
            raise RulesError([f"ruleset version {ruleset.version} is already published with "
                              f"different rules; give the new rules a new version"])
        if active:
            db.execute("UPDATE rulesets SET active = (version = ?)", [ruleset.version])
        return
    if active:
        db.execute("UPDATE rulesets SET active = 0")
    db.execute("INSERT INTO rulesets (version, sha256, source, published_at, published_by, "
               "active) VALUES (?, ?, ?, ?, ?, ?)",
               [ruleset.version, ruleset.sha256, ruleset.source, to_db(now_utc()), actor,
                int(active)])


def publish_ruleset(db: Database, actor: User, ruleset: Ruleset) -> None:
    """Make ``ruleset`` the one in force.  Supervisors only; audited."""
    require(actor, "publish_rules")
    with db.atomic():
        before = db.execute("SELECT version FROM rulesets WHERE active = 1").fetchone()
        store_ruleset(db, ruleset, actor.username, active=True)
        audit.record(db, actor.username, "ruleset.publish", "ruleset", ruleset.version,
                     {"sha256": ruleset.sha256, "previous": before[0] if before else None})
