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
    return Path(__file__).resolve().parent / "resources"  # a checkout, installed or editable


def resource(*parts: str) -> Path:
    """Path of one bundled resource file."""
    return resources_dir().joinpath(*parts)


def desk_copy(variable: str, name: str) -> Path:
    """A file a desk may replace with its own: the path in the environment ``variable`` if
    set, else the shipped ``eventrisk/resources/name``."""
    chosen = os.environ.get(variable)
    return Path(chosen) if chosen else resource(name)


def user_data_dir() -> Path:
    """The per-user data folder (created on demand)."""
    return Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))


def user_log_dir() -> Path:
    """The per-user log folder (created on demand)."""
    return Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR))


def default_db_path(explicit: str | os.PathLike[str] | None = None) -> Path | str:
    """``--db`` if given, then ``EVENTRISK_DB``, then ``desk.db`` in the user data folder.
    A file is a ``Path``; a server (``postgresql://…``, ``service=…``) stays the text it
    was given (a ``Path`` would fold its ``//``): ``eventrisk.pg.is_server`` tells them
    apart."""
    if explicit:
        return _target(explicit)
    env = os.environ.get("EVENTRISK_DB")
    if env:
        return _target(env)
    return user_data_dir() / "desk.db"


def _target(text: str | os.PathLike[str]) -> Path | str:
    from eventrisk.pg import is_server

    return str(text) if is_server(text) else Path(text)
