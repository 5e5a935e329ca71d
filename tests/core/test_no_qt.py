"""The core never loads Qt."""

import subprocess
import sys


def test_importing_the_core_loads_no_qt():
    code = (
        "import sys, eventrisk, eventrisk.cli, eventrisk.demo, eventrisk.importexport, "
        "eventrisk.scoring.service, eventrisk.report.assessment_pdf, eventrisk.report.pack_pdf\n"
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))]\n"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_core_sources_do_not_import_qt():
    from pathlib import Path

    import eventrisk

    root = Path(eventrisk.__file__).parent
    offenders = [p.name for p in root.rglob("*.py")
                 if "PySide6" in p.read_text() or "shiboken6" in p.read_text()]
    assert offenders == []


def _imported_modules(path):
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module


def test_no_core_module_names_the_ui():
    """The arrow runs from ui/ down to eventrisk/ only: the command line finds the desktop app
    through its entry point, never by importing it (at module level or inside a function)."""
    from pathlib import Path

    import eventrisk

    root = Path(eventrisk.__file__).parent
    offenders = sorted(f"{p.relative_to(root)}: {name}" for p in root.rglob("*.py")
                       for name in _imported_modules(p) if name == "ui" or name.startswith("ui."))
    assert offenders == []


def test_the_command_line_finds_the_desktop_app_through_its_entry_point():
    """`eventrisk` with no subcommand opens the app registered under the entry-point group
    (pyproject.toml); an install without it says so in a sentence instead of a traceback."""
    from importlib.metadata import entry_points

    from eventrisk import cli

    found = entry_points(group=cli.APP_ENTRY_POINTS)
    assert [point.value for point in found] == ["ui.app:run"]
