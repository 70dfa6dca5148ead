"""The options (and arguments) that more than one command takes, each defined once.

A command names the alias in its signature (`lang: LangOption = None`), so every command
spells and explains `--lang`, `--records`, `--json`, `--server`, `--token` and the report
filters the same way. Options of one command stay in that command's module.

Only typer and the standard library: this module loads for every command.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer


class LangChoice(str, Enum):
    """The languages of built-in texts; the type of every `--lang` option."""

    zh = "zh"
    en = "en"


LangOption = Annotated[
    LangChoice | None,
    typer.Option(
        "--lang",
        help="Language of the texts shown (default: FIELDKIT_LANG, then the system locale).",
        show_default=False,
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print the data as JSON on stdout (a versioned envelope).")
]
RecordsOption = Annotated[
    Path | None,
    typer.Option(
        "--records",
        metavar="DIR",
        help="The records folder (default: FIELDKIT_RECORDS, then the user's data folder).",
        show_default=False,
    ),
]
ChecklistsDirOption = Annotated[
    Path | None,
    typer.Option(
        "--checklists",
        metavar="DIR",
        help="Extra checklist folder, searched last (default: FIELDKIT_CHECKLISTS).",
        show_default=False,
    ),
]

# `sync` always talks to the centre (the URL saved by `login` by default); the reports and
# follow-ups read files unless --server is given.
ServerOption = Annotated[
    str | None,
    typer.Option("--server", metavar="URL", help="The centre's server (default: from `login`)."),
]
RemoteServerOption = Annotated[
    str | None,
    typer.Option("--server", metavar="URL",
                 help="Ask the centre's server instead of reading files (token from `login`)."),
]  # fmt: skip
TokenOption = Annotated[
    str | None,
    typer.Option("--token", metavar="T", help="Your token (default: from `login`)."),
]

# The report filters: `report summary`, `report export`.
_FILTERS = "Filters"
SinceOption = Annotated[
    str | None,
    typer.Option(
        "--since", metavar="DATE", rich_help_panel=_FILTERS,
        help="Visits started on or after this day (the engineer's local date) or instant.",
    ),
]  # fmt: skip
UntilOption = Annotated[
    str | None,
    typer.Option(
        "--until", metavar="DATE", rich_help_panel=_FILTERS,
        help="Visits started on or before this day (inclusive) or instant.",
    ),
]  # fmt: skip


def _repeatable_filter(name: str, metavar: str, what: str) -> Any:
    return typer.Option(
        name, metavar=metavar, rich_help_panel=_FILTERS, help=f"{what} (repeatable).",
        show_default=False,
    )  # fmt: skip


EngineerOption = Annotated[
    list[str] | None, _repeatable_filter("--engineer", "NAME", "Engineer name")
]
ChecklistOption = Annotated[
    list[str] | None, _repeatable_filter("--checklist", "ID", "Checklist id")
]
KindOption = Annotated[
    list[str] | None,
    _repeatable_filter("--kind", "KIND", "turnup, inspection, visit, repair or tools"),
]
StatusOption = Annotated[
    list[str] | None,
    _repeatable_filter("--status", "STATUS", "completed, in_progress or aborted"),
]
OutcomeOption = Annotated[
    list[str] | None,
    _repeatable_filter(
        "--outcome", "OUTCOME", "passed, failed, restored, not_restored or completed"
    ),
]
GradeOption = Annotated[
    list[str] | None,
    _repeatable_filter("--grade", "GRADE", "Customer grade, by its id in data/sla.yaml"),
]
CustomerOption = Annotated[
    str | None,
    typer.Option(
        "--customer", metavar="TEXT", rich_help_panel=_FILTERS,
        help="Customers whose name contains TEXT (case-insensitive).",
    ),
]  # fmt: skip
