"""`ping --watch`: a running verdict over the last replies, for re-seating a connector.

A whole-session verdict never recovers (seven timeouts, then a fixed line, is "partial loss"
for good). The running verdict looks at the last `window` replies only, and as soon as the
line has answered `settle` times in a row it forgets the losses before: the engineer sees
"ok" a few echoes after the connector is back, not a whole window later. A loss shows at once.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from fieldkit.ping.model import PingResult, Reply, Statistics, Verdict
from fieldkit.ping.verdicts import decide

DEFAULT_WINDOW = 10
SETTLE = 3  # answered replies in a row after which earlier losses no longer count


@dataclass(frozen=True)
class WatchSummary:
    """What the watch adds to a result: the window, the replies its verdict is over (`judged`)
    and how often the running verdict changed."""

    window: int
    replies: tuple[Reply, ...]
    changes: int

    @property
    def statistics(self) -> Statistics:
        return Statistics.of(list(self.replies), len(self.replies))

    def to_json(self) -> dict[str, object]:
        return {
            "window": self.window,
            "changes": self.changes,
            "judged": [reply.seq for reply in self.replies],
            "judged_statistics": self.statistics.to_json(),
        }


class Watch:
    """Feed it each reply in order; it keeps the running verdict and counts its changes."""

    def __init__(self, window: int = DEFAULT_WINDOW, slow_ms: float = 50.0) -> None:
        self.window = window
        self.slow_ms = slow_ms
        self._recent: deque[Reply] = deque(maxlen=window)
        self.verdict: Verdict | None = None
        self.changes = 0

    def add(self, reply: Reply) -> bool:
        """Take one reply; True when the running verdict changed (not for the first one)."""
        self._recent.append(reply)
        verdict, _ = decide(self.judged, len(self.judged), self.slow_ms)
        changed = self.verdict is not None and verdict is not self.verdict
        self.changes += changed
        self.verdict = verdict
        return changed

    @property
    def judged(self) -> list[Reply]:
        """The replies the running verdict is over: the window, or the good run ending it."""
        recent = list(self._recent)
        run = 0
        for reply in reversed(recent):
            if not reply.answered:
                break
            run += 1
        if min(SETTLE, self.window) <= run < len(recent):
            return recent[-run:]
        return recent

    def conclude(self, result: PingResult) -> PingResult:
        """The session's result with the running verdict as its verdict (Ctrl-C)."""
        if self.verdict is None:  # nothing came back or went out: the session's own verdict
            return result
        judged = self.judged
        result.verdict, result.router = decide(judged, len(judged), self.slow_ms)
        result.watch = WatchSummary(self.window, tuple(judged), self.changes)
        return result
