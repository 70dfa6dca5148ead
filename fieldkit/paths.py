"""Where fieldkit finds built-in content and keeps the user's files.

Every location can be overridden by an environment variable so that tests and
supervisors' scripts never touch a real home folder.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "fieldkit"
_PACKAGE_DIR = Path(__file__).resolve().parent


def builtin_dir(name: str) -> Path:
    """`checklists` or `data`: inside the wheel when installed, else the repository top level."""
    shipped = _PACKAGE_DIR / "_builtin" / name
    if shipped.is_dir():
        return shipped
    return _PACKAGE_DIR.parent / name


def builtin_checklists_dir() -> Path:
    return builtin_dir("checklists")


def data_dir() -> Path:
    return builtin_dir("data")


def user_checklists_dir() -> Path:
    """The user's own checklists: FIELDKIT_USER_CHECKLISTS or the platform data dir."""
    env = os.environ.get("FIELDKIT_USER_CHECKLISTS")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False)) / "checklists"


def records_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The visit records folder: --records, then FIELDKIT_RECORDS, then the user's data folder."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("FIELDKIT_RECORDS")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False)) / "records"


def demo_records_dir() -> Path:
    """Where `fieldkit demo` keeps its visits, apart from real ones (a supervisor's report of
    the records folder must not count a demo): FIELDKIT_DEMO_RECORDS or the user's data folder."""
    env = os.environ.get("FIELDKIT_DEMO_RECORDS")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False)) / "demo-records"


def centre_sla_file() -> Path:
    """The centre's service levels as `fieldkit sync` last pulled them: FIELDKIT_CENTRE_SLA or
    the user's data folder."""
    env = os.environ.get("FIELDKIT_CENTRE_SLA")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False)) / "centre-sla.yaml"


def config_file() -> Path:
    """The user's settings (the engineer's name): FIELDKIT_CONFIG or the platform config dir."""
    env = os.environ.get("FIELDKIT_CONFIG")
    if env:
        return Path(env)
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME, appauthor=False)) / "config.yaml"


def cache_dir() -> Path:
    """Rebuildable files (the checklist index): FIELDKIT_CACHE or the platform cache dir."""
    env = os.environ.get("FIELDKIT_CACHE")
    if env:
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir(APP_NAME, appauthor=False))
