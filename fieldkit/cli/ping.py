"""CLI commands: `fieldkit ping TARGET` and `fieldkit ping interpret FILE|-`.

`ping` is a group whose default command is `test`: a first argument that is not a
subcommand name is taken as the target. Only typer and the standard library are imported
here at module level; the engine, Rich and pydantic load inside the commands.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from fieldkit.cli.checklists import LangChoice, language

if TYPE_CHECKING:
    from rich.console import Console

    from fieldkit.lang import Lang
    from fieldkit.ping.model import PingResult, Reply

_DEFAULT_COMMAND = "test"
_MAX_TRANSCRIPT_BYTES = 1_000_000


class _TargetOrSubcommand(TyperGroup):
    """`fieldkit ping TARGET ...` runs `fieldkit ping test TARGET ...`."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = [_DEFAULT_COMMAND, *args]
        return super().parse_args(ctx, args)


class BackendChoice(str, Enum):
    auto = "auto"
    ping3 = "ping3"
    system = "system"


ping_app = typer.Typer(
    cls=_TargetOrSubcommand,
    no_args_is_help=True,
    help=(
        "Ping the gateway and name the outcome: `fieldkit ping TARGET [OPTIONS]` tests live "
        "(same as `fieldkit ping test TARGET`); `fieldkit ping interpret FILE|-` reads a saved "
        "transcript. Exit codes: 0 ok, 1 another network verdict, 2 bad input, 3 cannot test."
    ),
)

LangOption = Annotated[
    LangChoice | None,
    typer.Option("--lang", help="Language of the explanation (default: FIELDKIT_LANG, then "
                 "the system locale).", show_default=False),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]
SlowOption = Annotated[
    float, typer.Option("--slow-ms", help="Round trips at or over this many ms are slow.")
]


def register(app: typer.Typer) -> None:
    """Add `ping` (with `test` as its default command and `interpret`) to the root app."""
    app.add_typer(ping_app, name="ping")


@ping_app.command(_DEFAULT_COMMAND)
def test_command(
    target: Annotated[str, typer.Argument(help="The gateway's IP address (or a host name).")],
    count: Annotated[int, typer.Option("--count", "-c", help="Echo requests to send.")] = 4,
    interval: Annotated[
        float, typer.Option("--interval", "-i", help="Seconds between requests.")
    ] = 1.0,
    timeout: Annotated[
        float, typer.Option("--timeout", "-W", help="Seconds to wait for each reply.")
    ] = 2.0,
    size: Annotated[int, typer.Option("--size", "-s", help="Payload bytes per request.")] = 32,
    slow_ms: SlowOption = 50.0,
    source: Annotated[
        str | None,
        typer.Option("--source", "-S", metavar="ADDRESS", show_default=False,
                     help="Send from this address of the laptop (two network cards)."),
    ] = None,
    mask: Annotated[
        str | None,
        typer.Option("--mask", metavar="MASK", show_default=False,
                     help="The target's subnet mask (255.255.255.0 or 24): check that the "
                     "laptop has an address in that subnet."),
    ] = None,
    backend: Annotated[
        BackendChoice, typer.Option("--backend", help="ping3 (ICMP socket), system (the ping "
                                    "command), or auto: ping3, else system.")
    ] = BackendChoice.auto,
    watch: Annotated[
        bool, typer.Option("--watch", help="Keep pinging until Ctrl-C, with a running summary.")
    ] = False,
    as_json: JsonOption = False,
    lang: LangOption = None,
) -> None:
    """Ping TARGET, show each reply as it comes, then the verdict and what to check next."""
    from fieldkit.ping import EXIT_CODE, run_ping

    warm_up = _warm_up(as_json)
    chosen = language(lang)
    seen: list[Reply] = []
    stop = threading.Event()
    live: Any = None

    def show(reply: Reply) -> None:
        nonlocal live
        seen.append(reply)
        if as_json:
            return
        from fieldkit.ui.ping import console, reply_line

        if watch and live is None:
            live = _live_summary(console(), chosen)
        (live.console if live else console()).print(reply_line(reply, chosen, slow_ms))
        if live:
            live.update(_running_summary(seen, chosen))

    previous = signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        result = run_ping(
            target, count=None if watch else count, interval_s=interval, timeout_s=timeout,
            size=size, slow_ms=slow_ms, source=source, mask=mask, backend=backend.value,
            on_reply=show, stop=stop,
        )
    finally:
        if live:
            live.stop()
        signal.signal(signal.SIGINT, previous)
    warm_up.join()
    _print_result(result, chosen, as_json)
    raise typer.Exit(int(EXIT_CODE[result.verdict]))


def _warm_up(as_json: bool) -> threading.Thread:
    """Load the catalogue (pydantic, YAML) and Rich while the first echoes are in flight.

    The engineer then waits on the network only, not on imports: the verdict comes as soon
    after the last reply as the system ping's would.
    """

    def load() -> None:
        from fieldkit.ping.catalogue import load_catalogue

        load_catalogue()
        if not as_json:
            import fieldkit.ui.ping  # noqa: F401

    thread = threading.Thread(target=load, name="fieldkit-warm-up", daemon=True)
    thread.start()
    return thread


@ping_app.command("interpret")
def interpret_command(
    transcript: Annotated[
        str, typer.Argument(metavar="FILE|-", help="A saved ping transcript, or - for stdin.")
    ],
    own_ip: Annotated[
        str | None,
        typer.Option("--own-ip", metavar="ADDRESS", show_default=False,
                     help="The laptop's own address: an unreachable error from it is local, "
                     "from any other address remote."),
    ] = None,
    slow_ms: SlowOption = 50.0,
    as_json: JsonOption = False,
    lang: LangOption = None,
) -> None:
    """Read a ping transcript (Windows en/zh, Linux, BusyBox, macOS) and give its verdict."""
    from fieldkit.errors import UserInputError
    from fieldkit.ping import EXIT_CODE, interpret_transcript

    if transcript == "-":
        data = sys.stdin.buffer.read(_MAX_TRANSCRIPT_BYTES + 1)
    else:
        try:
            with Path(transcript).open("rb") as handle:
                data = handle.read(_MAX_TRANSCRIPT_BYTES + 1)
        except OSError as error:
            raise UserInputError(f"cannot read {transcript}: {error.strerror}") from None
    if len(data) > _MAX_TRANSCRIPT_BYTES:
        raise UserInputError(f"{transcript} is larger than {_MAX_TRANSCRIPT_BYTES} bytes")
    result = interpret_transcript(data, own_ip=own_ip, slow_ms=slow_ms)
    chosen = language(lang)
    if not as_json:
        from fieldkit.ui.ping import console, reply_line

        for reply in result.replies:
            console().print(reply_line(reply, chosen, slow_ms))
    _print_result(result, chosen, as_json)
    raise typer.Exit(int(EXIT_CODE[result.verdict]))


def _print_result(result: PingResult, lang: Lang, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(result.to_json(lang), ensure_ascii=False, indent=2) + "\n")
        return
    from fieldkit.ui.ping import console, verdict_panel

    console().print(verdict_panel(result, lang))


def _live_summary(console: Console, lang: Lang) -> Any:
    """A running summary under the reply lines on a terminal; None when output is piped."""
    if not console.is_terminal:
        return None
    from rich.live import Live

    return Live(_running_summary([], lang), console=console, transient=True,
                refresh_per_second=4)


def _running_summary(seen: list[Reply], lang: Lang) -> Any:
    from rich.text import Text

    from fieldkit.ping.model import Statistics
    from fieldkit.ui.ping import statistics_lines

    lines = statistics_lines(Statistics.of(seen, len(seen)), lang)
    return Text("  ".join(lines) + "   (Ctrl-C)", style="dim")
