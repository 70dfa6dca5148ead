"""CLI commands: `fieldkit ping TARGET` and `fieldkit ping interpret FILE|-`.

`ping` is a group whose default command is `test`: a first argument that is not a
subcommand name is taken as the target. Only typer and the standard library are imported
here at module level; the engine, Rich and pydantic load inside the commands.
"""

from __future__ import annotations

import queue
import signal
import sys
import threading
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from fieldkit.cli.environment import Environment, environment
from fieldkit.cli.options import JsonOption, LangOption
from fieldkit.cli.output import PING

if TYPE_CHECKING:
    from fieldkit.lang import Lang
    from fieldkit.ping.model import PingResult, Reply
    from fieldkit.ping.watch import Watch

_DEFAULT_COMMAND = "test"
_MAX_TRANSCRIPT_BYTES = 1_000_000
_PASTE_HINT = {
    "en": "Paste the ping output, then Ctrl-D (Ctrl-Z Enter on Windows).",
    "zh": "请粘贴 ping 的输出，然后按 Ctrl-D（Windows 上按 Ctrl-Z 再回车）。",
}


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

SlowOption = Annotated[
    float, typer.Option("--slow-ms", help="Round trips at or over this many ms are slow.")
]


def register(app: typer.Typer) -> None:
    """Add `ping` (with `test` as its default command and `interpret`) to the root app."""
    app.add_typer(ping_app, name="ping")


@ping_app.command(_DEFAULT_COMMAND)
def test_command(
    ctx: typer.Context,
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
        bool, typer.Option("--watch", help="Keep pinging until Ctrl-C: a line per reply, the "
                           "running verdict over the last replies and how often it changed.")
    ] = False,
    window: Annotated[
        int, typer.Option("--window", metavar="N", help="--watch: the running verdict is over "
                          "the last N replies.")
    ] = 10,
    quick: Annotated[
        bool, typer.Option("--quick", help="Four requests 0.2 s apart, 1 s timeout, stopping "
                           "as soon as the verdict is certain (overrides -c, -i, -W).")
    ] = False,
    as_json: JsonOption = False,
    lang: LangOption = None,
) -> None:
    """Ping TARGET, show each reply as it comes, then the verdict and what to check next."""
    from fieldkit.errors import UserInputError
    from fieldkit.ping import EXIT_CODE, run_ping
    from fieldkit.ping.model import QUICK_PLAN
    from fieldkit.ping.watch import Watch

    if watch and quick:
        raise UserInputError("--watch and --quick do not go together: choose one")
    if not 1 <= window <= 1000:
        raise UserInputError("--window must be between 1 and 1000 replies")
    if quick:
        count, interval, timeout = QUICK_PLAN
    env = environment(ctx)
    chosen = env.language(lang)
    stop = threading.Event()
    running = Watch(window, slow_ms) if watch else None
    display = _Display(env, chosen, slow_ms, running, as_json)
    previous = signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        result = run_ping(
            target, count=None if watch else count, interval_s=interval, timeout_s=timeout,
            size=size, slow_ms=slow_ms, source=source, mask=mask, backend=backend.value,
            on_reply=display.put, stop=stop, until_certain=quick,
        )
    finally:
        display.close()
        signal.signal(signal.SIGINT, previous)
    if running is not None:
        running.conclude(result)
    _print_result(env, result, chosen, as_json)
    raise typer.Exit(int(EXIT_CODE[result.verdict]))


class _Display:
    """Shows the replies from a thread of its own, so that the echoes keep their schedule.

    The engine hands each reply over and goes on at once. The first reply starts the
    thread, which loads the texts (pydantic, YAML) and Rich, then shows every reply in
    order; loading any earlier would hold up the first echo (the two threads share one
    interpreter), loading it after the last would hold up the verdict. The engineer then
    waits on the network only.
    """

    def __init__(
        self, env: Environment, lang: Lang, slow_ms: float, watch: Watch | None, as_json: bool
    ) -> None:
        self.env, self.lang, self.slow_ms, self.watch = env, lang, slow_ms, watch
        self.as_json = as_json
        self.replies: queue.SimpleQueue[Reply | None] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._show, name="fieldkit-display",
                                       daemon=True)

    def put(self, reply: Reply) -> None:
        if not self.thread.is_alive() and self.thread.ident is None:
            self.thread.start()
        self.replies.put(reply)

    def close(self) -> None:
        """After the last reply: wait until every reply is shown and the texts are loaded."""
        if self.thread.ident is None:
            self.thread.start()
        self.replies.put(None)
        self.thread.join()

    def _show(self) -> None:
        from fieldkit.ping.catalogue import load_catalogue

        load_catalogue()
        screen = None
        if not self.as_json:
            from fieldkit.ui.ping import ReplyScreen

            screen = ReplyScreen(self.lang, self.slow_ms, self.watch, self.env.console)
        try:
            for reply in iter(self.replies.get, None):
                if self.watch is not None:
                    self.watch.add(reply)
                if screen is not None:
                    screen.reply(reply)
        finally:
            if screen is not None:
                screen.close()


@ping_app.command("interpret")
def interpret_command(
    ctx: typer.Context,
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

    env = environment(ctx)
    if transcript == "-":
        if env.stdin_isatty:
            env.stderr.write(_PASTE_HINT[env.language(lang)] + "\n")
        data = sys.stdin.buffer.read(_MAX_TRANSCRIPT_BYTES + 1)
    else:
        try:
            with Path(transcript).open("rb") as handle:
                data = handle.read(_MAX_TRANSCRIPT_BYTES + 1)
        except OSError as error:
            raise UserInputError(f"cannot read {transcript}: {error.strerror}") from None
    if len(data) > _MAX_TRANSCRIPT_BYTES:
        raise UserInputError(f"{transcript} is larger than {_MAX_TRANSCRIPT_BYTES} bytes")
    name = None if transcript == "-" else transcript
    result = interpret_transcript(data, own_ip=own_ip, slow_ms=slow_ms, name=name)
    chosen = env.language(lang)
    if not as_json:
        from fieldkit.ui.ping import reply_line

        for reply in result.replies:
            env.console.print(reply_line(reply, chosen, slow_ms))
    _print_result(env, result, chosen, as_json)
    raise typer.Exit(int(EXIT_CODE[result.verdict]))


def _print_result(env: Environment, result: PingResult, lang: Lang, as_json: bool) -> None:
    if as_json:
        env.emit(PING, result.to_json(lang))
        return
    from fieldkit.ui.ping import verdict_panel

    env.console.print(verdict_panel(result, lang))
