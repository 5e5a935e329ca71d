"""The log file in the user log folder: where details of unexpected errors go."""

from __future__ import annotations

import logging
from pathlib import Path

from eventrisk.paths import user_log_dir
from eventrisk.privatefiles import create_private


def log_to_file() -> Path:
    """Send the ``eventrisk`` loggers to ``eventrisk.log`` in the user log folder (once)."""
    folder = user_log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    logfile = folder / "eventrisk.log"
    try:
        create_private(logfile)  # details of errors may quote records
    except OSError:
        pass  # the handler reports a log it cannot open; the error itself still goes out
    root = logging.getLogger("eventrisk")
    if not any(isinstance(h, logging.FileHandler) and Path(h.baseFilename) == logfile
               for h in root.handlers):
        handler = logging.FileHandler(logfile, encoding="utf-8", delay=True)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: "
                                               "%(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.INFO)
    return logfile
