"""The app and the command line act only through the desk service: no SQL, no database
handle, and no import of the modules that write."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ADAPTERS = sorted((ROOT / "ui").glob("*.py")) + [ROOT / "eventrisk" / "cli.py",
                                                  ROOT / "eventrisk" / "cli_personal.py",
                                                  ROOT / "eventrisk" / "cli_forms.py"]

# What an adapter may take from the core: the desk service, plain data and pure helpers.
# (module -> names allowed, None for any name)
ALLOWED: dict[str, set[str] | None] = {
    "eventrisk": {"__version__", "cli_personal", "cli_forms"},
    "eventrisk.desk": None,
    "eventrisk.desk.restore": {"check_backup", "restore_desk"},
    "eventrisk.model": None,
    "eventrisk.errors": None,
    "eventrisk.fields": None,
    "eventrisk.formatting": None,
    "eventrisk.deskinfo": {"DeskFileError", "load_desk_contact"},
    "eventrisk.validation": None,
    "eventrisk.timeutil": None,
    "eventrisk.reference": None,
    "eventrisk.paths": None,
    "eventrisk.pg": {"is_server", "shown"},  # naming a desk: a file or a server
    "eventrisk.logfile": None,
    "eventrisk.privatefiles": {"sweep"},  # removes a killed run's temporary files, no data
    "eventrisk.settings": {"SETTINGS"},
    "eventrisk.queue": {"COUNT_CAP", "QueueFilter", "QueueRow"},
    "eventrisk.db": {"is_environment_failure", "storage_error"},
    "eventrisk.scoring": {"whatif", "catalogue", "rules"},
    "eventrisk.scoring.whatif": {"MEASURES"},
    "eventrisk.scoring.rules": {"Ruleset", "load_ruleset"},
    "eventrisk.scoring.catalogue": None,
    "eventrisk.scoring.service": {"ScoreResult"},  # a type for annotations only
    "eventrisk.report.files": {"write_pdf"},
    "eventrisk.verify": {"Witness"},
    "eventrisk.calibration": {"STEPS"},
    # the schedule's kinds and its checked file (reading it writes nothing)
    "eventrisk.retention": {"KINDS", "Review", "RetentionFileError", "load_schedule"},
}
SQL = re.compile(r"\b(SELECT|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+TABLE|"
                 r"DROP\s+|ALTER\s+TABLE|PRAGMA)\b")


def _imports(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and \
                node.module.split(".")[0] == "eventrisk":
            for alias in node.names:
                yield node.lineno, node.module, alias.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "eventrisk":
                    yield node.lineno, alias.name, "*"


@pytest.mark.parametrize("path", ADAPTERS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_adapters_reach_the_core_only_through_the_desk(path):
    tree = ast.parse(path.read_text("utf-8"))
    problems = []
    for line, module, name in _imports(tree):
        allowed = ALLOWED.get(module, set())
        if allowed is not None and name not in allowed:
            problems.append(f"line {line}: imports {name} from {module}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("db", "conn", "execute",
                                                             "executemany", "query"):
            problems.append(f"line {node.lineno}: touches .{node.attr}")
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and SQL.search(node.value):
            problems.append(f"line {node.lineno}: SQL text {node.value[:40]!r}")
    assert not problems, f"{path.name} goes around the desk service:\n" + "\n".join(problems)


def test_the_check_would_catch_a_shortcut():
    """The scanner itself finds each kind of shortcut (so an empty result means something)."""
    bad = ast.parse("from eventrisk import workflow\nfrom eventrisk.submissions import update\n"
                    "x.db.execute('UPDATE submissions SET status = 1')\n")
    found = [m for _, m, n in _imports(bad)]
    assert found == ["eventrisk", "eventrisk.submissions"]
    assert any(isinstance(n, ast.Attribute) and n.attr == "db" for n in ast.walk(bad))
    assert SQL.search("UPDATE submissions SET status = 1")
