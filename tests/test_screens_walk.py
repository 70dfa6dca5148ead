"""Every step screen of every built-in checklist, and the header, at 80 and 120 columns in zh
and en: titles, help and choice labels whole (Chinese wrapped by character), no line wider
than the terminal."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from records_factory import fields
from rich.console import Console
from screens import WIDTHS, plain, reads, widest_line
from walk_support import ScriptedPing

from fieldkit.checklist.models import ChoiceRecord
from fieldkit.checklist.registry import list_checklists, open_checklist
from fieldkit.records.store import RecordStore
from fieldkit.ui.walk_screen import WalkScreen
from fieldkit.walk.machine import Position
from fieldkit.walk.visit import start_walk

BUILTINS = sorted(entry.id for entry in list_checklists() if entry.origin == "built-in")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("checklist_id", BUILTINS)
def test_every_step_screen_fits_and_shows_its_texts_whole(
    tmp_path: Path, checklist_id: str, lang: str, width: int
) -> None:
    walk = start_walk(RecordStore(tmp_path / "records"), open_checklist(checklist_id),
                      fields("深圳市福田区某某银行股份有限公司"), ping=ScriptedPing(),
                      lang=lang)  # type: ignore[arg-type]
    try:
        output = io.StringIO()
        console = Console(file=output, width=width, force_terminal=True, color_system=None)
        screen = WalkScreen(console, walk)
        screen.header()
        total = len(walk.checklist.steps)
        for index, step in enumerate(walk.checklist.steps):
            output.seek(0)
            output.truncate()
            screen.step(Position(step, index, total, None))
            shown = plain(output.getvalue())
            assert widest_line(shown) <= width, shown
            assert reads(shown, step.title.get(lang)), (step.id, shown)  # type: ignore[arg-type]
            if step.help is not None:
                for paragraph in step.help.get(lang).split("\n"):  # type: ignore[arg-type]
                    assert not paragraph.strip() or reads(shown, paragraph.strip()), (
                        step.id, paragraph, shown)
            if isinstance(step, ChoiceRecord):
                for choice in step.choices:
                    assert reads(shown, choice.label_in(lang)), (step.id, choice.value)  # type: ignore[arg-type]
    finally:
        walk.close()
