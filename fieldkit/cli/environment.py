"""What a command takes from the world, made once per run and passed in (httpie's Environment).

The app callback puts one `Environment` in `ctx.obj`; commands take it with `environment(ctx)`
and ask it for the consoles, the clock, the records folder and the language instead of making
or discovering them, so a test can run any command with a fixed clock, a console of its own or
a records folder without touching the process environment.

Cheap to make: the Rich consoles are built on first use, and the records folder and language
are looked up only when a command asks and none was given.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from fieldkit.cli.options import LangChoice
    from fieldkit.cli.output import Kind
    from fieldkit.lang import Lang
    from fieldkit.ui.tables import FitTable


def _laptop_clock() -> datetime:
    from fieldkit.records.store import local_now

    return local_now()


@dataclass
class Environment:
    """The streams, consoles, clock, records folder and default language of one run."""

    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    stdin_isatty: bool = field(default_factory=lambda: sys.stdin is not None and sys.stdin.isatty())
    now: Callable[[], datetime] = _laptop_clock  # aware, in the laptop's time zone
    # Where no --records is given; None: FIELDKIT_RECORDS, else the user's data folder.
    records_root: Path | None = None
    # Where no --lang is given; None: FIELDKIT_LANG, else the system locale.
    lang: Lang | None = None
    # None: the terminal's width, or 80 columns when the stream is no terminal (Rich's rule).
    console_width: int | None = None
    _console: Console | None = field(default=None, init=False, repr=False)
    _error_console: Console | None = field(default=None, init=False, repr=False)

    @property
    def console(self) -> Console:
        """The Rich console on stdout (colour and width only on a terminal)."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(file=self.stdout, width=self.console_width, highlight=False)
        return self._console

    @property
    def error_console(self) -> Console:
        """The Rich console on stderr: progress bars and live lines that are not the data."""
        if self._error_console is None:
            from rich.console import Console

            self._error_console = Console(
                file=self.stderr, width=self.console_width, highlight=False
            )
        return self._error_console

    def print_tables(self, tables: Sequence[FitTable]) -> None:
        """Tables on the console, or tab-separated when stdout is a pipe or a file."""
        from fieldkit.ui.tables import print_tables, write_tsv

        if self._surely_piped():
            write_tsv(tables, self.stdout)
        else:
            print_tables(tables, self.console)

    def _surely_piped(self) -> bool:
        """stdout is no terminal, and none of the variables by which Rich may be told to treat
        it as one is set (FORCE_COLOR, TTY_COMPATIBLE): known without loading Rich, which
        decides every other case."""
        if {"FORCE_COLOR", "TTY_COMPATIBLE"} & os.environ.keys():
            return False
        try:
            return not self.stdout.isatty()
        except ValueError:  # closed
            return True

    def today(self) -> date:
        return self.now().date()

    def records(self, option: Path | None = None) -> Path:
        """The records folder: `--records`, else this run's records root."""
        if option is not None:
            return option
        if self.records_root is None:
            from fieldkit.paths import records_dir

            self.records_root = records_dir()
        return self.records_root

    def language(self, choice: LangChoice | None = None) -> Lang:
        """The language to show: `--lang`, else this run's language."""
        from fieldkit.lang import resolve_lang

        if choice is not None:
            return resolve_lang(choice.value)
        if self.lang is None:
            self.lang = resolve_lang()
        return self.lang

    def emit(self, kind: Kind, data: Any) -> None:
        """The data of a `--json` on stdout, in its envelope (fieldkit.cli.output)."""
        from fieldkit.cli.output import emit

        emit(kind, data, self.stdout)


def environment(ctx: typer.Context) -> Environment:
    """The run's Environment, which the app callback put in the context."""
    return ctx.ensure_object(Environment)
