"""Where things live: bundled resources (from source, installed or frozen) and user data."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "EventRisk"
APP_AUTHOR = "PromotersDesk"


def resources_dir() -> Path:
    """The folder holding rules, reference data and fonts, however EventRisk was started."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "eventrisk" / "resources"
    here = Path(__file__).resolve().parent
    installed = here / "resources"  # setuptools maps resources/ into the package
    if installed.is_dir():
        return installed
    return here.parent / "resources"  # a source checkout or an editable install


def resource(*parts: str) -> Path:
    """Path of one bundled resource file."""
    return resources_dir().joinpath(*parts)


def desk_copy(variable: str, name: str) -> Path:
    """A file a desk may replace with its own: the path in the environment ``variable`` if
    set, else the shipped ``resources/name``."""
    chosen = os.environ.get(variable)
    return Path(chosen) if chosen else resource(name)


def user_data_dir() -> Path:
    """The per-user data folder (created on demand)."""
    return Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))


def user_log_dir() -> Path:
    """The per-user log folder (created on demand)."""
    return Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR))


def default_db_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """``--db`` if given, then ``EVENTRISK_DB``, then ``desk.db`` in the user data folder.
    A server (``postgresql://…``, ``service=…``) is kept as written: see ``DeskTarget``."""
    if explicit:
        return _target(explicit)
    env = os.environ.get("EVENTRISK_DB")
    if env:
        return _target(env)
    return user_data_dir() / "desk.db"


class DeskTarget(type(Path())):  # type: ignore[misc]
    """A desk on a PostgreSQL server, named as libpq names it.  It passes where a desk's
    path does (``str()`` gives the connection text back intact, where a ``Path`` would fold
    its ``//``); code about files asks ``is_server`` first."""

    def __new__(cls, text: str):
        self = super().__new__(cls, "server-desk")
        self._text = text
        return self

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        from eventrisk.pg import shown

        return f"DeskTarget({shown(self._text)!r})"

    def __fspath__(self) -> str:
        raise TypeError("a desk on a server is not a file")


def _target(text: str | os.PathLike[str]) -> Path:
    from eventrisk.pg import is_server

    return DeskTarget(str(text)) if is_server(text) else Path(text)
