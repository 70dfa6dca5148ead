"""The running verdict of `ping --watch` and the in-order delivery of replies."""

from __future__ import annotations

from datetime import datetime, timezone

from hypothesis import given
from hypothesis import strategies as st

from fieldkit.ping.engine import _InOrder
from fieldkit.ping.model import PingResult, Reply, ReplyError, Verdict
from fieldkit.ping.watch import SETTLE, Watch


def good(seq: int, rtt_ms: float = 1.0) -> Reply:
    return Reply(seq, rtt_ms=rtt_ms, from_address="198.18.0.1", ttl=64)


def lost(seq: int) -> Reply:
    return Reply(seq, error=ReplyError.TIMEOUT)


def verdicts(watch: Watch, replies: list[Reply]) -> list[Verdict | None]:
    seen = []
    for reply in replies:
        watch.add(reply)
        seen.append(watch.verdict)
    return seen


def test_seven_timeouts_then_a_fixed_line_turns_ok_after_three_answers() -> None:
    """The session's own verdict would say partial loss for ever; the window recovers."""
    watch = Watch(window=10)
    replies = [lost(n) for n in range(1, 8)] + [good(n) for n in range(8, 12)]
    assert verdicts(watch, replies) == (
        [Verdict.TIMEOUT] * 7 + [Verdict.PARTIAL_LOSS] * (SETTLE - 1) + [Verdict.OK] * 2
    )
    assert watch.changes == 2
    result = PingResult(target="198.18.0.1", address="198.18.0.1", backend="ping3",
                        verdict=Verdict.PARTIAL_LOSS, started=datetime.now(timezone.utc),
                        finished=datetime.now(timezone.utc), replies=replies, sent=11)
    watch.conclude(result)
    assert result.verdict is Verdict.OK
    assert result.statistics.received == 4  # the session's statistics keep every loss
    assert result.watch is not None and result.watch.changes == 2
    assert [reply.seq for reply in result.watch.replies] == [8, 9, 10, 11]


def test_a_loss_shows_at_once_and_a_silent_window_is_timeout() -> None:
    watch = Watch(window=4)
    replies = [good(1), good(2), lost(3), lost(4), lost(5), lost(6)]
    assert verdicts(watch, replies) == [Verdict.OK, Verdict.OK, Verdict.PARTIAL_LOSS,
                                        Verdict.PARTIAL_LOSS, Verdict.PARTIAL_LOSS,
                                        Verdict.TIMEOUT]


def test_slow_answers_are_slow_not_ok() -> None:
    watch = Watch(window=5, slow_ms=50)
    verdicts(watch, [good(n, rtt_ms=80) for n in range(1, 4)])
    assert watch.verdict is Verdict.SLOW


@given(st.lists(st.booleans(), max_size=40), st.integers(min_value=1, max_value=15))
def test_after_enough_good_answers_the_verdict_is_ok_whatever_came_before(
    history: list[bool], window: int
) -> None:
    watch = Watch(window=window)
    replies = [good(n) if ok else lost(n) for n, ok in enumerate(history, start=1)]
    replies += [good(n) for n in range(len(history) + 1, len(history) + 1 + min(SETTLE, window))]
    verdicts(watch, replies)
    assert watch.verdict is Verdict.OK


@given(st.permutations(list(range(1, 13))))
def test_replies_are_handed_on_in_request_order(order: list[int]) -> None:
    delivered: list[int] = []
    in_order = _InOrder(lambda reply: delivered.append(reply.seq))
    for seq in order:
        in_order(good(seq) if seq % 3 else lost(seq))
        assert delivered == list(range(1, len(delivered) + 1))
    assert delivered == list(range(1, 13))
    assert in_order.certain  # answers and losses both seen: partial loss whatever follows


def test_only_answers_or_only_losses_are_not_yet_certain() -> None:
    for reply in (good, lost):
        in_order = _InOrder(None)
        in_order(reply(1))
        in_order(reply(2))
        assert not in_order.certain
