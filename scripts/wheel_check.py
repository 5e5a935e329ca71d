"""Build the wheel, install it into a fresh virtualenv (not editable), and use it as a desk would.

``python scripts/wheel_check.py`` (``make wheel-check``; ``.ci/run`` runs it).  The checks run
from an empty folder outside the checkout, so nothing is imported from the source tree: a
package or data file the wheel leaves out fails here, as it would on a workstation.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True,
                            text=True, timeout=900)
    if result.returncode != 0:
        raise SystemExit(f"wheel check: {' '.join(map(str, command))} failed "
                         f"(exit {result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout


def main() -> int:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["version"]
    work = Path(tempfile.mkdtemp(prefix="eventrisk-wheel-"))
    try:
        run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", work / "dist",
            ROOT, cwd=work)
        wheel = next((work / "dist").glob("eventrisk-*.whl"))
        names = zipfile.ZipFile(wheel).namelist()
        for needed in ("eventrisk/desk/__init__.py", "eventrisk/pg/__init__.py",
                       "eventrisk/resources/rules/default.toml", "ui/app.py"):
            if needed not in names:
                raise SystemExit(f"wheel check: {wheel.name} leaves out {needed}")
        if any("__pycache__" in name or name.startswith("tests/") for name in names):
            raise SystemExit(f"wheel check: {wheel.name} carries caches or tests")
        venv = work / "venv"
        run(sys.executable, "-m", "venv", venv, cwd=work)
        bindir = venv / ("Scripts" if os.name == "nt" else "bin")
        run(bindir / "python", "-m", "pip", "install", "--quiet", wheel, cwd=work)
        exe = bindir / "eventrisk"
        if not (bindir / "eventrisk-app").exists() and not (bindir / "eventrisk-app.exe").exists():
            raise SystemExit("wheel check: the eventrisk-app program was not installed")

        secret = work / "password"
        secret.write_text("supervisor-demo\n", encoding="utf-8")
        secret.chmod(0o600)
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "EVENTRISK_DB")}
        env.update(QT_QPA_PLATFORM="offscreen", EVENTRISK_USER="supervisor",
                   EVENTRISK_PASSWORD_FILE=str(secret), HOME=str(work))
        db = work / "desk.db"
        said = run(exe, "--version", cwd=work, env=env)
        if version not in said:
            raise SystemExit(f"wheel check: --version said {said!r}, expected {version}")
        run(exe, "--db", db, "demo", "--events", "150", "--incidents", "100", "--venues", "15",
            cwd=work, env=env)
        queue = run(exe, "--db", db, "queue", "--include-past", cwd=work, env=env)
        reference = next(line.split()[0] for line in queue.splitlines()[1:]
                         if line.startswith("ER-") and "unscored" not in line)
        run(exe, "--db", db, "report", reference, "-o", work / "report.pdf", cwd=work, env=env)
        if not (work / "report.pdf").read_bytes().startswith(b"%PDF"):
            raise SystemExit("wheel check: the report is not a PDF")
        where = run(bindir / "python", "-c", "import eventrisk, ui; print(eventrisk.__file__)",
                    cwd=work, env=env)
        if str(ROOT) in where:
            raise SystemExit(f"wheel check: eventrisk came from the checkout ({where.strip()})")
        print(f"Wheel check passed: {wheel.name} installed into a fresh virtualenv; "
              f"{said.strip()}; demo, queue and report {reference} worked from it.")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
