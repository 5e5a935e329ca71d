"""Writing a finished PDF to a file, never leaving a half-written one under the real name."""

from __future__ import annotations

import hashlib
from pathlib import Path

from eventrisk.errors import StorageError
from eventrisk.privatefiles import write_private


def write_pdf(pdf: bytes, path: str | Path) -> str:
    """Write PDF bytes via a temporary file; returns their SHA-256."""
    path = Path(path)
    if not path.parent.is_dir():
        raise StorageError(f"The folder {path.parent} does not exist.")
    try:
        write_private(path, pdf)  # owner-only, never half-written under the real name
    except OSError as exc:
        raise StorageError(f"{path} could not be written ({exc.strerror}).") from exc
    return hashlib.sha256(pdf).hexdigest()
