"""From replies to one verdict: the same rules for live tests and for transcripts."""

from __future__ import annotations

from fieldkit.errors import ExitCode
from fieldkit.ping.model import (
    ANSWERED_ERRORS,
    Origin,
    Reply,
    ReplyError,
    SeedOutcome,
    Verdict,
)

SEED_OUTCOME: dict[Verdict, SeedOutcome | None] = {
    Verdict.OK: SeedOutcome.NORMAL,
    Verdict.SLOW: None,  # the seed's normal outcome says time<50ms
    Verdict.PARTIAL_LOSS: None,
    Verdict.TIMEOUT: SeedOutcome.FAILURE_1,
    Verdict.LOCAL_UNREACHABLE: SeedOutcome.FAILURE_2,
    Verdict.REMOTE_UNREACHABLE: SeedOutcome.FAILURE_3,
    Verdict.NO_ROUTE: None,
    Verdict.INVALID_TARGET: None,
    Verdict.UNKNOWN_HOST: None,
    Verdict.NO_PERMISSION: None,
    Verdict.OWN_ADDRESS: None,
}

EXIT_CODE: dict[Verdict, ExitCode] = {
    Verdict.OK: ExitCode.OK,
    Verdict.SLOW: ExitCode.FAILED,
    Verdict.PARTIAL_LOSS: ExitCode.FAILED,
    Verdict.TIMEOUT: ExitCode.FAILED,
    Verdict.LOCAL_UNREACHABLE: ExitCode.FAILED,
    Verdict.REMOTE_UNREACHABLE: ExitCode.FAILED,
    Verdict.NO_ROUTE: ExitCode.FAILED,
    Verdict.INVALID_TARGET: ExitCode.BAD_INPUT,
    Verdict.UNKNOWN_HOST: ExitCode.BAD_INPUT,
    Verdict.NO_PERMISSION: ExitCode.CANNOT_RUN,
    Verdict.OWN_ADDRESS: ExitCode.BAD_INPUT,
}


def decide(replies: list[Reply], sent: int, slow_ms: float) -> tuple[Verdict, str | None]:
    """The verdict of `sent` echo requests, and the router that answered for remote_unreachable.

    An ICMP error never counts as received (Windows counts "Reply from X: Destination host
    unreachable" as received; we do not). With no echo reply at all, a remote router's error
    outranks the laptop's own, which outranks a send failure, which outranks silence: each
    names a more specific cause.
    """
    answered = [reply for reply in replies if reply.answered]
    if answered and len(answered) >= sent:
        slow = any(_at_or_over(reply, slow_ms) for reply in answered)
        return (Verdict.SLOW if slow else Verdict.OK), None
    if answered:
        return Verdict.PARTIAL_LOSS, None
    remote = [
        reply for reply in replies
        if reply.error in ANSWERED_ERRORS and reply.origin is Origin.REMOTE
    ]
    if remote:
        return Verdict.REMOTE_UNREACHABLE, remote[0].from_address
    if any(reply.error in ANSWERED_ERRORS for reply in replies):
        return Verdict.LOCAL_UNREACHABLE, None
    if any(reply.error is ReplyError.NO_ROUTE for reply in replies):
        return Verdict.NO_ROUTE, None
    return Verdict.TIMEOUT, None


def _at_or_over(reply: Reply, slow_ms: float) -> bool:
    if reply.rtt_ms is None:
        return False
    if reply.rtt_below:  # "time<50ms": under rtt_ms
        return reply.rtt_ms > slow_ms
    return reply.rtt_ms >= slow_ms
