"""The walk's side of the ping engine: what it needs of it, and how it words a slow pass.

The walk does not import the engine: it is handed a function (`fieldkit.ping.run_ping`, or a
scripted one in tests and the demo), so the state machine runs and is tested without a
network. This module is that function's contract and the text a ping step records beside a
`slow` verdict that still passes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from fieldkit.lang import Lang
from fieldkit.text import Text

if TYPE_CHECKING:
    from fieldkit.ping.model import Finding, PingResult, Reply


class PingFunction(Protocol):
    """What the walk needs of the ping engine (`fieldkit.ping.run_ping` fits)."""

    def __call__(
        self,
        target: str,
        *,
        count: int,
        interval_s: float,
        timeout_s: float,
        size: int,
        slow_ms: float,
        mask: str | None,
        on_reply: Callable[[Reply], None] | None,
        on_preflight: Callable[[list[Finding]], None] | None,
        until_certain: bool = False,
    ) -> PingResult: ...


_SLOW_WARNING = Text(
    zh="时延偏大:有往返时间达到或超过 {slow_ms} ms(最长 {max_ms} ms);培训资料的正常结果为 "
    "time<50ms,但未把较慢的完整回复列为失败,故通过并提示。",
    en="Slow: some round trips took {slow_ms} ms or more (longest {max_ms} ms); the seed's "
    "normal outcome is time<50ms, but it never calls a slower complete reply a failure, so the "
    "step passes with this warning.",
)


def slow_warning(result: PingResult, lang: Lang) -> str:
    """Why a step passed although some replies were slow (recorded as its warning)."""
    longest = result.statistics.max_ms
    return _SLOW_WARNING.get(lang).format(
        slow_ms=f"{result.slow_ms:g}", max_ms="?" if longest is None else f"{longest:g}"
    )
