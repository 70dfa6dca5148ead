"""The interactive walk with typed lines (no terminal): every prompt type of the built-ins."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from records_factory import fields
from rich.console import Console
from walk_support import ScriptedPing, small_checklist

from fieldkit.checklist.registry import open_checklist
from fieldkit.records.models import Outcome
from fieldkit.records.store import RecordStore
from fieldkit.ui.prompts import Command, QuitWalk, parse_command, walk_interactively
from fieldkit.ui.walk_screen import WalkScreen
from fieldkit.walk.machine import Walkthrough
from fieldkit.walk.visit import start_walk


class Typist:
    """Answers each prompt with the next line; remembers what each prompt asked for."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = list(lines)
        self.asked: list[str] = []

    def ask(self, prompt: str, key: str) -> str:
        self.asked.append(key)
        if not self.lines:
            raise EOFError
        return self.lines.pop(0)


def walk_of(tmp_path: Path, checklist_id: str) -> tuple[Walkthrough, WalkScreen, io.StringIO]:
    walk = start_walk(
        RecordStore(tmp_path / "records"),
        open_checklist(checklist_id),
        fields(),
        ping=ScriptedPing(),
        lang="en",
    )
    output = io.StringIO()
    return walk, WalkScreen(Console(file=output, width=120), walk), output


def test_the_customer_visit_with_choices_follow_ups_and_a_signature(tmp_path: Path) -> None:
    walk, screen, output = walk_of(tmp_path, "customer-visit")
    steps = [step.id for step in walk.checklist.steps]
    assert steps == [
        "contact_person", "visit_topics", "satisfaction", "customer_comments",
        "problems_raised", "customer_signature",
    ]  # fmt: skip
    typist = Typist(
        [
            "王经理",
            "1, 2",
            "42",  # not a choice: asked again
            "1",
            "skip",
            "nothing this time",
            "UPS battery old ; 李工 ; 2024-06-01",
            "only two parts ; here",  # refused, asked again
            "",
            "王经理",
        ]
    )
    walk_interactively(walk, screen, typist)
    record = walk.finish()
    shown = output.getvalue()
    assert "step 3 of 6" in shown and "not one of the choices: 42" in shown
    assert "problem ; owner ; due" in shown
    problems = record.answer_for("problems_raised")
    assert problems is not None
    assert problems.value == [{"problem": "UPS battery old", "owner": "李工", "due": "2024-06-01"}]
    assert len(record.answer_for("visit_topics").value) == 2  # type: ignore[arg-type, union-attr]
    comments = record.answer_for("customer_comments")
    assert comments is not None and comments.skip_reason == "nothing this time"
    assert record.answer_for("customer_signature").value == "王经理"  # type: ignore[union-attr]


def test_the_packing_list_lists_the_tools_and_records_what_is_missing(tmp_path: Path) -> None:
    walk, screen, output = walk_of(tmp_path, "turnup-tools")
    tools = walk.checklist.tools
    walk_interactively(walk, screen, Typist(["2"]))
    assert tools[0].name.en in output.getvalue()
    packed = walk.record.answer_for("tools_packed")
    assert packed is not None and packed.value == [tools[1].id] and packed.passed is False


def test_help_shows_the_commands_and_the_step_again(tmp_path: Path) -> None:
    walk, screen, output = walk_of(tmp_path, "lan-turnup")
    with pytest.raises(QuitWalk):
        walk_interactively(walk, screen, Typist(["help", "quit"]))
    shown = output.getvalue()
    assert shown.count("step 1 of 11") == 2
    assert "note TEXT" in shown and "attach PATH" in shown


def test_a_failed_check_shows_its_guidance_and_ends_the_visit(tmp_path: Path) -> None:
    walk = start_walk(
        RecordStore(tmp_path / "records"), small_checklist(tmp_path), fields(),
        ping=ScriptedPing(), lang="en",
    )  # fmt: skip
    output = io.StringIO()
    screen = WalkScreen(Console(file=output, width=120), walk)
    walk_interactively(walk, screen, Typist(["21.5", "", "skip", "fine", "n"]))
    shown = output.getvalue()
    assert "an answer is needed" in shown  # an empty line is not an answer
    assert "saved as failed: Fix the power first" in shown
    assert "[4/5] skipped Photo: the failed check power_ok ends the visit" in shown
    assert walk.finish().failed_steps == ["power_ok"]


def test_in_prompt_commands_are_told_from_answers() -> None:
    assert parse_command("note rack is full") == Command("note", "rack is full")
    assert parse_command("  BACK ") is not None
    assert parse_command("note") is None  # the word alone may be an answer
    assert parse_command("backup line") is None
    assert parse_command("127.0.0.1") is None


def test_a_walk_from_a_file_with_a_failing_ping_says_so_in_the_summary(tmp_path: Path) -> None:
    walk, screen, output = walk_of(tmp_path, "lan-turnup")
    walk = Walkthrough(walk.checklist, walk.handle, ping=ScriptedPing(["timeout"]), lang="en")
    screen = WalkScreen(screen.console, walk)
    answers = ["127.0.0.2", "/8", "127.0.0.1", "GJ", "SC", "y", "y", "y", "", "f", "y"]
    walk_interactively(walk, screen, Typist(answers))
    record = walk.finish()
    screen.summary(record, walk.handle.folder / "visit.json", steps_table=True)
    shown = output.getvalue()
    assert record.outcome is Outcome.FAILED
    assert "(timeout)" in shown and "Request time out" in shown
    assert "Visit completed with failures" in shown and "Failed steps: ping_gateway" in shown
