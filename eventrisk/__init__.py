"""EventRisk core: model, validation, storage, scoring, reports and CLI (never imports Qt)."""

from importlib import metadata as _metadata


def _read_version() -> str:
    try:
        return _metadata.version("eventrisk")
    except _metadata.PackageNotFoundError:  # frozen without metadata, or a bare checkout
        import tomllib
        from pathlib import Path

        pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
        if pyproject.exists():
            return tomllib.loads(pyproject.read_text("utf-8"))["project"]["version"]
        return "0+unknown"


__version__ = _read_version()
