"""The interactive walk with typed lines (no terminal): every prompt type of the built-ins."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from records_factory import fields
from rich.console import Console
from walk_support import ScriptedPing, small_checklist

from fieldkit.checklist.registry import open_checklist
from fieldkit.records.models import Outcome
from fieldkit.records.store import RecordStore
from fieldkit.ui.prompts import (
    COMMAND_WORDS,
    Command,
    QuitWalk,
    parse_command,
    typed_answer,
    walk_interactively,
)
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
        "visit_mode", "contact_person", "visit_topics", "satisfaction", "customer_comments",
        "problems_raised", "customer_signature",
    ]  # fmt: skip
    typist = Typist(
        [
            "3",  # on site: the customer signs at the end
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
    assert "step 4 of 7" in shown and "not one of the choices: 42" in shown
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
    assert shown.count("step 1 of 12") == 2
    assert "note TEXT" in shown and "attach PATH" in shown


def test_a_failed_check_shows_its_guidance_and_ends_the_visit(tmp_path: Path) -> None:
    walk = start_walk(
        RecordStore(tmp_path / "records"), small_checklist(tmp_path), fields(),
        ping=ScriptedPing(), lang="en",
    )  # fmt: skip
    output = io.StringIO()
    screen = WalkScreen(Console(file=output, width=120), walk)
    # n: the check fails; f is refused (this check ends the visit), r checks again, n again;
    # e ends the visit, but only after the confirmation (first declined, then given).
    typed = ["21.5", "", "skip", "fine", "n", "f", "r", "n", "e", "n", "e", "y"]
    typist = Typist(typed)
    walk_interactively(walk, screen, typist)
    shown = output.getvalue()
    assert "an answer is needed" in shown  # an empty line is not an answer
    assert "not passed: Fix the power first" in shown
    assert typist.asked[5:] == [
        "check-failed:power_ok", "check-failed:power_ok",  # f refused, r
        "power_ok", "check-failed:power_ok", "end-visit:power_ok",  # n, e, not confirmed
        "check-failed:power_ok", "end-visit:power_ok",  # e, confirmed
    ]
    assert "The visit ends here" in shown
    assert "[4/5] skipped Photo: the failed check power_ok ends the visit" in shown
    record = walk.finish()
    assert record.failed_steps == ["power_ok"]
    power = record.answer_for("power_ok")
    assert power is not None and [a.value for a in power.check_attempts] == [False, False]


@pytest.mark.parametrize(
    ("typed", "command"),
    [
        ("note rack is full", Command("note", "rack is full")),
        ("  BACK ", Command("back", "")),
        ("note", Command("note", "")),  # a command word is never stored as an answer
        ("返回", Command("back", "")),
        ("上一步", Command("back", "")),
        ("跳过", Command("skip", "")),
        ("跳过 客户不在", Command("skip", "客户不在")),
        ("skip: no device yet", Command("skip", "no device yet")),
        ("备注 机柜已满", Command("note", "机柜已满")),
        ("备注：机柜已满", Command("note", "机柜已满")),
        ("备注机柜已满", Command("note", "机柜已满")),
        ("附件 D:\\照片\\odf.jpg", Command("attach", "D:\\照片\\odf.jpg")),
        ("帮助", Command("help", "")),
        ("？", Command("help", "")),
        ("退出", Command("quit", "")),
        ("ＳＫＩＰ", Command("skip", "")),
        ("backup line", None),
        ("跳过了两次", None),
        ("返回值正常", None),
        ("附件齐全", None),
        ("127.0.0.1", None),
        ("\\跳过", None),  # the escape: an answer
        ("\\skip", None),
    ],
)
def test_in_prompt_commands_are_told_from_answers(typed: str, command: Command | None) -> None:
    assert parse_command(typed) == command


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("\\跳过", "跳过"),
        ("\\skip", "skip"),
        ("\\\\server\\share", "\\\\server\\share"),
        ("GJ-07", "GJ-07"),
    ],
)
def test_a_backslash_before_a_command_word_makes_it_an_answer(typed: str, stored: str) -> None:
    assert typed_answer(typed) == stored


def test_a_command_word_is_never_stored_as_the_pigtail_number(tmp_path: Path) -> None:
    """`跳过` at the required pigtail step was stored as pigtail number 跳过."""
    walk, screen, output = walk_of(tmp_path, "lan-turnup")
    typist = Typist(["y", "127.0.0.2", "/8", "127.0.0.1", "跳过", "备注", "\\跳过", "quit"])
    with pytest.raises(QuitWalk):
        walk_interactively(walk, screen, typist)
    shown = output.getvalue()
    assert "this step is required and cannot be skipped" in shown
    assert "usage: note TEXT" in shown
    assert walk.record.answer_for("pigtail_number").value == "跳过"  # type: ignore[union-attr]


def test_a_bad_follow_up_is_asked_again_alone_and_the_ones_before_it_are_kept(
    tmp_path: Path,
) -> None:
    walk, screen, output = walk_of(tmp_path, "customer-visit")
    typist = Typist(
        [
            "3", "王经理", "1", "1", "skip 没有意见",
            "UPS 电池老化 ; 李工 ; 2024年6月1日",
            "空调漏水 ; 王工 ; 下周",  # not a date: only this item is asked again
            "空调漏水 ; 王工 ; 2024-06-08",
            "跳过",  # a command word is not a follow-up
            "",
            "王经理",
        ]
    )  # fmt: skip
    walk_interactively(walk, screen, typist)
    shown = output.getvalue()
    assert "the due date is not a date: 下周" in shown
    assert "type a follow-up, or an empty line to finish" in shown
    problems = walk.record.answer_for("problems_raised")
    assert problems is not None and problems.value == [
        {"problem": "UPS 电池老化", "owner": "李工", "due": "2024-06-01"},
        {"problem": "空调漏水", "owner": "王工", "due": "2024-06-08"},
    ]
    comments = walk.record.answer_for("customer_comments")
    assert comments is not None and comments.skip_reason == "没有意见"


def test_a_walk_from_a_file_with_a_failing_ping_says_so_in_the_summary(tmp_path: Path) -> None:
    walk, screen, output = walk_of(tmp_path, "lan-turnup")
    walk = Walkthrough(walk.checklist, walk.handle, ping=ScriptedPing(["timeout"]), lang="en")
    screen = WalkScreen(screen.console, walk)
    answers = ["y", "127.0.0.2", "/8", "127.0.0.1", "GJ", "SC", "y", "y", "y", "", "f", "y"]
    walk_interactively(walk, screen, Typist(answers))
    record = walk.finish()
    screen.summary(record, walk.handle.folder / "visit.json", steps_table=True)
    shown = output.getvalue()
    assert record.outcome is Outcome.FAILED
    assert "(timeout)" in shown and "Request time out" in shown
    assert "Visit completed with failures" in shown and "Failed steps: ping_gateway" in shown


def test_going_back_to_change_the_gateway_asks_for_the_ping_again(tmp_path: Path) -> None:
    walk, screen, output = walk_of(tmp_path, "lan-turnup")
    answers = ["y", "127.0.0.2", "/8", "127.0.0.1", "GJ-07/12", "FC", "y", "y", "y", "y", ""]
    backs = ["back"] * 8  # customer_device -> ping -> ... -> gateway
    walk_interactively(walk, screen, Typist([*answers, *backs, "127.0.0.3", "", "y"]))
    shown = output.getvalue()
    assert "Last result: ok pinging 127.0.0.1 (Enter pings again)" in shown
    assert "Current answer: ok" not in shown  # Enter at a ping pings; it keeps nothing
    assert "Ping the gateway IP address must be done again" in shown
    assert "Asked again: gateway changed: 127.0.0.1 → 127.0.0.3" in shown
    record = walk.finish()
    ping = record.answer_for("ping_gateway")
    assert ping is not None and ping.inputs == {
        "gateway": "127.0.0.3", "subnet_mask": "255.0.0.0", "customer_ip": "127.0.0.2"
    }
    assert [old.ping_attempts[0]["target"] for old in ping.superseded] == ["127.0.0.1"]


@given(word=st.sampled_from([w for words in COMMAND_WORDS.values() for w in words]))
def test_every_command_word_is_a_command_and_with_the_escape_an_answer(word: str) -> None:
    assert parse_command(word) is not None
    assert parse_command(f"\\{word}") is None
    assert typed_answer(f"\\{word}") == word


@given(text=st.text(max_size=30))
def test_a_line_that_is_no_command_is_stored_as_typed(text: str) -> None:
    if parse_command(text) is None and not text.strip().startswith("\\"):
        assert typed_answer(text) == text
