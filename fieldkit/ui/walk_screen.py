"""Rich rendering of the walkthrough: the step screen, ping lines and verdict, the end summary.

Pure output: nothing here reads input. `prompts.py` asks; `session.py` puts it together.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from fieldkit.checklist.judging import Judgement, display_answer
from fieldkit.checklist.models import (
    AnyStep,
    AttachmentStep,
    CheckStep,
    ChoiceRecord,
    DateRecord,
    FollowupsStep,
    InstructionStep,
    NumberRecord,
    PingStep,
    SerialRecord,
    ToolsStep,
)
from fieldkit.checklist.numbers import format_number
from fieldkit.lang import Lang
from fieldkit.ping.model import QUICK_PLAN
from fieldkit.records.models import StepAnswer, VisitRecord
from fieldkit.sla import builtin_sla
from fieldkit.ui.ping import reply_line, verdict_panel
from fieldkit.ui.tables import Column, FitTable
from fieldkit.ui.texts import say
from fieldkit.ui.wrap import Wrapped
from fieldkit.walk.answers_file import WalkObserver
from fieldkit.walk.machine import Position, RedoNotice, SkipNotice, Walkthrough

if TYPE_CHECKING:
    from fieldkit.ping.model import Finding, PingResult, Reply


class WalkScreen(WalkObserver):
    """Everything the engineer sees during a walk, on one Rich console.

    As a WalkObserver it also narrates a walk from an answers file, one line per step.
    """

    def __init__(self, console: Console, walk: Walkthrough) -> None:
        self.console = console
        self.walk = walk
        self.checklist = walk.checklist
        self.lang = walk.lang

    def say(self, key: str, **values: Any) -> str:
        return say(key, self.lang, **values)

    def _line(self, text: str, style: str = "") -> None:
        # Wrapped between words (Chinese between characters), so an id, a path or a command
        # to copy stays whole on its line unless it alone is wider than the terminal.
        self.console.print(Wrapped(text, style))

    # -- the step screen ----------------------------------------------------------------------

    def header(self) -> None:
        """The checklist title, customer, site and order: once, when the walk starts."""
        record = self.walk.record
        who = [record.customer, record.site, record.order]
        for field, value in (("grade", record.grade), ("order_type", record.order_type)):
            if value is not None:
                who.append(builtin_sla().choice_label(field, value, self.lang))
        body = Wrapped(" · ".join(part for part in who if part))
        title = escape(self.checklist.title.get(self.lang))
        self.console.print(
            Panel(body, title=f"[bold]{title}[/]", subtitle=escape(record.visit_id), expand=True)
        )

    def step(self, position: Position) -> None:
        """The screen of one step: progress, title, help, lights, what to type."""
        step = position.step
        number = position.index + 1
        progress = Table.grid(padding=(0, 1))
        progress.add_column(no_wrap=True)
        progress.add_column(ratio=1)
        progress.add_row(
            Text(self.say("step_of", n=number, total=position.total), style="bold cyan"),
            ProgressBar(total=position.total, completed=position.index),
        )
        parts: list[Any] = [progress]
        title = step.title.get(self.lang)
        if not step.required:
            title += " " + self.say("optional")
        parts.append(Wrapped(title, "bold"))
        if step.help is not None:
            # Rich alone would cut Chinese anywhere (inside `LNK`, before 。).
            parts.append(Wrapped(step.help.get(self.lang), "dim"))
        lights = getattr(step, "lights", None)
        if lights:
            shown = " · ".join(
                f"{light.name.get(self.lang)} {light.state_label(self.lang)}"
                for light in lights
            )
            parts.append(Wrapped(f"{self.say('lights')}: {shown}", "yellow"))
        options = self._options(step)
        if options:
            parts.append(options)
        parts += self._earlier_result(position)
        self.console.print()
        self.console.print(Panel(Group(*parts), expand=True, border_style="cyan"))

    def _earlier_result(self, position: Position) -> list[Text]:
        """The answer a revisited step has (and what Enter does), or why a step is asked again."""
        entry, step = position.entry, position.step
        if entry is None:
            return []
        if position.revisiting and isinstance(step, PingStep) and entry.ping_attempts:
            attempt = entry.ping_attempts[-1]
            text = self.say(
                "revisit_ping", verdict=attempt.get("verdict"), target=attempt.get("target")
            )
            return [Text(text, style="magenta")]
        if position.revisiting and entry.value is not None:
            value = display_answer(
                step, entry.value, self.lang, self.checklist  # type: ignore[arg-type]
            )
            return [Text(self.say("revisit", value=value), style="magenta")]
        if isinstance(step, CheckStep) and self.walk.failed_check() is step:
            at = entry.check_attempts[-1].at if entry.check_attempts else None
            guidance = step.on_fail.guidance.get(self.lang) if step.on_fail else ""
            when = f"{at:%Y-%m-%d %H:%M}" if at else "?"
            return [Text(self.say("check_failed_earlier", at=when, reason=guidance), style="red")]
        if not position.revisiting and entry.superseded:
            reason = entry.superseded[-1].reason
            return [Text(self.say("asked_again", reason=reason), style="yellow")]
        return []

    def _options(self, step: AnyStep) -> Table | None:
        """The numbered choices of a choice step, or the packing list of a tools step."""
        rows: list[tuple[str, str]] = []
        if isinstance(step, ChoiceRecord):
            rows = [(choice.value, choice.label_in(self.lang)) for choice in step.choices]
        elif isinstance(step, ToolsStep):
            rows = [
                (f"×{tool.quantity}", tool.name.get(self.lang)) for tool in self.checklist.tools
            ]
        if not rows:
            return None
        table = Table.grid(padding=(0, 2))
        for number, (value, label) in enumerate(rows, start=1):
            table.add_row(f"[bold]{number})[/]", escape(value), Wrapped(label))
        return table

    def prompt_text(self, step: AnyStep) -> str:
        """What to type for this step's type, shown before the cursor."""
        if isinstance(step, InstructionStep):
            return self.say("ask_instruction")
        if isinstance(step, NumberRecord):
            unit = f" ({step.unit})" if step.unit else ""
            band = ""
            if step.min is not None or step.max is not None:
                low = "" if step.min is None else format_number(step.min, typographic=True)
                high = "" if step.max is None else format_number(step.max, typographic=True)
                band = f" [{low}..{high}]"
            return self.say("ask_number", unit=unit, band=band)
        if isinstance(step, SerialRecord):
            if step.pattern_help is not None:
                return self.say("ask_serial_help", format=step.pattern_help.get(self.lang))
            return self.say("ask_serial", pattern=step.pattern)
        if isinstance(step, AttachmentStep):
            accept = f" ({', '.join(step.accept)})" if step.accept else ""
            return self.say("ask_attachment", accept=accept)
        if isinstance(step, DateRecord):
            return self.say(f"ask_{step.input}")
        if isinstance(step, FollowupsStep):
            return self.say("ask_followup", n=1)
        kind = getattr(step, "input", step.type)
        return self.say(f"ask_{kind}")

    def commands(self) -> None:
        self._line(self.say("commands"), "dim")

    # -- what happened ------------------------------------------------------------------------

    def judged(self, step: AnyStep, judgement: Judgement | None) -> None:
        """The answer was saved: say whether it passes."""
        reason = judgement.reason.get(self.lang) if judgement and judgement.reason else ""
        if judgement is None or judgement.outcome == "pass":
            self._line(self.say("saved"), "green")
        elif judgement.outcome == "warning":
            self._line(self.say("saved_warning", reason=reason), "yellow")
        elif self.walk.failed_check() is not None:  # open: check again, go on, end or quit
            self._line(self.say("check_failed", reason=reason), "bold red")
        else:
            self._line(self.say("saved_failed", reason=reason), "bold red")

    def refused(self, reason: str) -> None:
        self._line(self.say("refused", reason=reason), "bold red")

    def message(self, key: str, style: str = "", **values: Any) -> None:
        self._line(self.say(key, **values), style)

    def skipped(self, notice: SkipNotice) -> None:
        self._notice(notice.step, "skipped_auto", notice.reason, "dim")

    def must_redo(self, notice: RedoNotice) -> None:
        self._notice(notice.step, "redo", notice.reason, "yellow")

    def _notice(self, step: AnyStep, key: str, reason: str, style: str) -> None:
        index = self.checklist.step_index(step.id) or 0
        number = f"[{index + 1}/{len(self.checklist.steps)}]"
        text = self.say(key, title=step.title.get(self.lang), reason=reason)
        self._line(f"{number} {text}", style)

    def answered(self, position: Position, judgement: Judgement | None) -> None:
        """One line per step answered from a file."""
        entry = self.walk.entry(position.step.id)
        if entry is not None:
            self._entry_line(position.index, position.step, entry)

    def answers_so_far(self) -> None:
        """Every step already answered or skipped: what a resumed visit starts from."""
        for index, step in enumerate(self.checklist.steps):
            entry = self.walk.entry(step.id)
            if entry is not None and (entry.skipped or entry.answered_at is not None):
                self._entry_line(index, step, entry)

    def _entry_line(self, index: int, step: AnyStep, entry: StepAnswer) -> None:
        number = f"[{index + 1}/{len(self.checklist.steps)}]"
        title = step.title.get(self.lang)
        if entry.skipped:
            reason = self.say("skipped_by_engineer", reason=entry.skip_reason)
            self._line(f"{number} {title}: {reason}", "dim")
            return
        value = display_answer(step, entry.value, self.lang, self.checklist)  # type: ignore[arg-type]
        if entry.passed is False:
            mark, style = "✗", "bold red"
        elif entry.warning:
            mark, style = "⚠", "yellow"
        else:
            mark, style = "✓", "green"
        self._line(f"{number} {title}: {value} {mark}", style)

    # -- ping ---------------------------------------------------------------------------------

    def ping_started(self, position: Position, target: str, *, quick: bool = False) -> None:
        """The ping's first line: what is pinged, and how often."""
        step = position.step
        assert isinstance(step, PingStep)
        number = f"[{position.index + 1}/{position.total}]"
        title = step.title.get(self.lang)
        if quick:
            started = self.say("ping_start_quick", target=target, count=QUICK_PLAN[0])
        else:
            started = self.say("ping_start", target=target, count=step.count)
        self._line(f"{number} {title}: {started}", "bold")

    def ping_preflight(self, findings: list[Finding]) -> None:
        """The pre-flight findings: the laptop's route and source address; a warning when it
        is not in the gateway's subnet."""
        from fieldkit.ping import load_catalogue

        catalogue = load_catalogue()
        for finding in findings:
            text = catalogue.finding_text(finding, self.lang)
            self._line(
                f"{self.say('preflight')}: {text}", "bold yellow" if finding.warning else "dim"
            )

    def ping_reply(self, reply: Reply) -> None:
        step = self.walk.current()
        slow_ms = step.step.slow_ms if step and isinstance(step.step, PingStep) else 50.0
        self.console.print(Text.assemble("  ", reply_line(reply, self.lang, slow_ms)))

    def ping_finished(self, position: Position, result: PingResult) -> None:
        """The verdict panel: verdict, the seed's outcome, meaning, next checks, statistics."""
        self.console.print(verdict_panel(result, self.lang))

    # -- the end ------------------------------------------------------------------------------

    def summary(self, record: VisitRecord, record_file: Path, *, steps_table: bool) -> None:
        """Passed and failed steps, the ping verdict, the duration, where the record is.

        `steps_table` adds a row per step (a walk from a file has shown a line per step).
        """
        if steps_table:
            self._steps_table(record)
        states = [
            "skipped"
            if answer.skipped
            else {True: "passed", False: "failed", None: "recorded"}[answer.passed]
            for answer in record.answers
        ]
        lines = [self.say("counts", **{state: states.count(state) for state in _STATES})]
        if record.failed_steps:
            lines.append(self.say("failed_steps", steps=", ".join(record.failed_steps)))
        if record.findings:
            found = ", ".join(record.findings)
            lines.append(self.say("findings", n=len(record.findings), steps=found))
        lines += self._ping_lines(record)
        if record.finished_at is not None:
            duration = _duration(record.finished_at - record.started_at, self.lang)
            lines.append(self.say("duration", duration=duration))
        lines.append(self.say("record_path", path=record_file))
        show = f"fieldkit visits show {record.visit_id}"
        bundle = "fieldkit visits bundle -o visits.zip"
        records_option = _records_option(record_file)
        lines.append(self.say("show_command", command=show + records_option))
        lines.append(self.say("bundle_command", command=bundle + records_option))
        assert record.outcome is not None, "a summary is of a completed visit"
        style = "bold green" if record.outcome.achieved else "bold red"
        self._line(self.say(f"summary_{record.outcome.value}"), style)
        for line in lines:
            self._line(line)

    def _steps_table(self, record: VisitRecord) -> None:
        from fieldkit.records.view import visit_view

        table = FitTable(
            [Column("step", self.say("col_step"), keep=True, wrap=True),
             Column("answer", self.say("col_answer"), keep=True, wrap=True),
             Column("result", self.say("col_result"), keep=True)],
            lang=self.lang,
        )
        styles = {"passed": "green", "failed": "bold red", "finding": "yellow", "skipped": "dim"}
        for step in visit_view(record, self.lang).steps:
            table.add_row(
                f"{step.number}. {step.title}",
                step.value or step.skip_reason or "",
                Text(step.state_label, style=styles.get(step.state, "")),
            )
        self.console.print()
        self.console.print(table)

    def _verdict_name(self, verdict: str) -> str:
        """`连接正常` in zh; `Connection normal (ok)` in en, the code an English report uses."""
        from fieldkit.ping import load_catalogue

        name = load_catalogue().verdict_name(verdict, self.lang)
        return name if self.lang == "zh" else f"{name} ({verdict})"

    def _ping_lines(self, record: VisitRecord) -> list[str]:
        lines = []
        for answer in record.answers:
            if answer.ping_attempts:
                verdict = str(answer.ping_attempts[-1].get("verdict"))
                lines.append(self.say("ping_summary", verdict=self._verdict_name(verdict),
                                      attempts=len(answer.ping_attempts)))
        return lines


_STATES = ("passed", "recorded", "failed", "skipped")


_UNITS = {"en": ("h", "min", "s"), "zh": ("小时", "分", "秒")}


def _duration(elapsed: timedelta, lang: Lang) -> str:
    hour, minute, second = _UNITS[lang]
    seconds = max(0, int(elapsed.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} {hour} {minutes:02d} {minute}"
    if minutes:
        return f"{minutes} {minute} {seconds:02d} {second}"
    return f"{seconds} {second}"


def _records_option(record_file: Path) -> str:
    """` --records DIR` when the records folder is not the one fieldkit finds by itself."""
    from fieldkit.paths import records_dir

    folder = record_file.parent.parent
    if folder.resolve() == records_dir().resolve():
        return ""
    return f" --records {folder}"
