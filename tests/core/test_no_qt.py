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
