"""The two entry points: test a target live, or interpret a transcript. Neither prints."""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache

from fieldkit.errors import UserInputError
from fieldkit.ping.model import Finding, FindingCode, PingResult, ProbePlan, Reply, Verdict
from fieldkit.ping.preflight import check_source, check_target, describe_route, is_local_address
from fieldkit.ping.verdicts import decide

BACKENDS: tuple[str, ...] = ("auto", "ping3", "system")
StopSignal = Callable[[], bool] | object  # a threading.Event, a callable, or None


class _IcmpRefusal:
    """Why this process may not open an ICMP socket, once it has been refused one.

    Privileges do not change while fieldkit runs: after the first refusal (Windows without
    administrator rights) `auto` goes straight to the system ping, and only the first
    result says why."""

    reason: str | None = None


def _now() -> datetime:
    # The wall time of the echoes, never an injected clock: `started` and `finished` bracket
    # packets that really went out (to the millisecond, beside the round trips measured by the
    # monotonic clock), so a run stamped with a fixed or shifted clock would claim a test
    # that did not happen then. The walk's own times (answered_at) follow its clock.
    return datetime.now().astimezone()


@lru_cache(maxsize=64)
def _is_local(address: str) -> bool:
    return is_local_address(address)


def _stop_checker(stop: StopSignal) -> Callable[[], bool]:
    is_set = getattr(stop, "is_set", None)
    if callable(is_set):
        return lambda: bool(is_set())
    if callable(stop):
        return lambda: bool(stop())
    return lambda: False


def _check_options(count: int | None, interval_s: float, timeout_s: float, size: int,
                   slow_ms: float, backend: str) -> None:
    if count is not None and count < 1:
        raise UserInputError("--count must be at least 1")
    if not 0.01 <= interval_s <= 60:
        raise UserInputError("--interval must be between 0.01 and 60 seconds")
    if not 0.01 <= timeout_s <= 60:
        raise UserInputError("--timeout must be between 0.01 and 60 seconds")
    if not 8 <= size <= 65500:
        raise UserInputError("--size must be between 8 and 65500 bytes")
    _check_slow_ms(slow_ms)
    if backend not in BACKENDS:
        raise UserInputError(f"--backend must be one of {', '.join(BACKENDS)}")


def _check_slow_ms(slow_ms: float) -> None:
    if not 0 < slow_ms < float("inf"):  # NaN and infinity too: the JSON could not hold them
        raise UserInputError("--slow-ms must be a number more than 0")


def run_ping(
    target: str,
    *,
    count: int | None = 4,
    interval_s: float = 1.0,
    timeout_s: float = 2.0,
    size: int = 32,
    slow_ms: float = 50.0,
    source: str | None = None,
    mask: str | None = None,
    backend: str = "auto",
    on_reply: Callable[[Reply], None] | None = None,
    on_preflight: Callable[[list[Finding]], None] | None = None,
    stop: StopSignal = None,
    until_certain: bool = False,
) -> PingResult:
    """Ping `target` and return the verdict; `count=None` pings until `stop` is set.

    `on_reply` is called with each request's outcome in request order (a reply that comes
    while an earlier request may still answer waits for it), from the engine's thread.
    `until_certain` stops as soon as no outcome of the requests left can change the verdict
    (one lost and one answered is partial loss, whatever follows). `on_preflight` is called
    with the pre-flight findings once they are all known, before the first echo (the route
    lookup then runs first instead of alongside). `stop` (a threading.Event or a callable)
    ends the test early; requests still within their timeout then count neither as sent nor
    lost. Bad options raise UserInputError; a target that cannot be tested is a verdict, not
    an exception.
    """
    _check_options(count, interval_s, timeout_s, size, slow_ms, backend)
    started = _now()
    if source is not None:
        source = check_source(source)
    preflight = check_target(target, source=source, mask=mask)
    result = PingResult(
        target=preflight.target, address=preflight.address, backend=backend,
        verdict=Verdict.TIMEOUT, started=started, finished=started, count=count,
        interval_s=interval_s, timeout_s=timeout_s, size=size, slow_ms=slow_ms,
        source_address=preflight.source_address, preflight=preflight.findings,
    )
    if preflight.verdict is not None:
        if on_preflight is not None:
            on_preflight(preflight.findings)
        result.verdict = preflight.verdict
        result.finished = _now()
        return result
    assert preflight.address is not None
    plan = ProbePlan(count, interval_s, timeout_s, size, source)
    in_order = _InOrder(on_reply)
    should_stop = _stop_checker(stop)
    stop = (lambda: should_stop() or in_order.certain) if until_certain else should_stop
    if on_preflight is not None:
        describe_route(preflight, source=source, mask=mask)
        on_preflight(preflight.findings)
        fallback = _probe(result, preflight.address, backend, in_order, stop, plan)
    else:
        # Describing the route runs `ip`: let it run while the first echo is already out.
        route_lookup = threading.Thread(
            target=describe_route, args=(preflight,), kwargs={"source": source, "mask": mask},
            name="fieldkit-route", daemon=True,
        )
        route_lookup.start()
        try:
            fallback = _probe(result, preflight.address, backend, in_order, stop, plan)
        finally:
            route_lookup.join()
    if fallback is not None:  # after the route's findings, whichever thread finished first
        result.preflight.append(fallback)
    in_order.flush()
    if until_certain and in_order.certain and not should_stop():
        result.stopped = False  # it ended because the verdict was known, not at the user's word
    if interval_s < 1 and result.backend == "system":
        from fieldkit.ping.system_backend import system_ping_honours_interval

        if not system_ping_honours_interval():
            result.caveats.append("interval_1s")
    result.source_address, result.interface = preflight.source_address, preflight.interface
    if preflight.answered_by_itself:
        result.verdict = Verdict.OWN_ADDRESS  # whatever came back came from the laptop itself
    return result


class _InOrder:
    """Hands replies on in request order, and knows when the verdict can no longer change."""

    def __init__(self, deliver: Callable[[Reply], None] | None) -> None:
        self.deliver = deliver
        self.next_seq = 1
        self.held: dict[int, Reply] = {}
        self.answered = self.lost = False

    def __call__(self, reply: Reply) -> None:
        self.answered |= reply.answered
        self.lost |= not reply.answered
        self.held[reply.seq] = reply
        while self.next_seq in self.held:
            self._hand_on(self.held.pop(self.next_seq))
            self.next_seq += 1

    @property
    def certain(self) -> bool:
        return self.answered and self.lost

    def flush(self) -> None:
        """At the end: what is still held (a request before it was never settled)."""
        for seq in sorted(self.held):
            self._hand_on(self.held.pop(seq))

    def _hand_on(self, reply: Reply) -> None:
        if self.deliver is not None:
            self.deliver(reply)


def _probe(result: PingResult, address: str, backend: str,
           on_reply: Callable[[Reply], None] | None, should_stop: Callable[[], bool],
           plan: ProbePlan) -> Finding | None:
    """Run the chosen backend and put its replies and verdict into `result`; return the
    finding that says the system ping stood in for a refused ICMP socket, if it did."""
    fallback = None
    ipv6 = ipaddress.ip_address(address).version == 6
    if backend == "ping3" and ipv6:
        raise UserInputError("the ping3 backend tests IPv4 only; use --backend system for IPv6")
    already_refused = backend == "auto" and _IcmpRefusal.reason is not None
    if backend in ("auto", "ping3") and not ipv6 and not already_refused:
        from fieldkit.ping.icmp_backend import IcmpUnavailable, run_icmp

        try:
            icmp = run_icmp(address, plan, on_reply=on_reply, stop=should_stop,
                            is_local=_is_local)
        except IcmpUnavailable as error:
            if backend == "ping3":
                _cannot_test(result, f"cannot open an ICMP socket: {error}")
                return None
            _IcmpRefusal.reason = str(error)
            fallback = Finding(FindingCode.SYSTEM_PING_FALLBACK, False, {"reason": str(error)})
        else:
            result.backend, result.socket_kind = "ping3", icmp.socket_kind
            result.replies, result.sent, result.stopped = icmp.replies, icmp.sent, icmp.stopped
            _conclude(result)
            return None
    from fieldkit.ping.system_backend import find_system_ping, run_system

    ping = find_system_ping()
    if ping is None:
        _cannot_test(result, "no ICMP socket allowed and no system ping command")
        return None  # nothing stood in: the verdict says why
    system = run_system(ping, address, plan, on_reply=on_reply, stop=should_stop,
                        is_local=_is_local)
    result.backend = "system"
    if system.failure is not None:
        _cannot_test(result, system.failure)
        return fallback
    result.replies, result.sent, result.stopped = system.replies, system.sent, system.stopped
    result.reported, result.detail = system.reported, system.detail
    _conclude(result)
    return fallback


def _cannot_test(result: PingResult, detail: str) -> None:
    result.verdict, result.detail, result.finished = Verdict.NO_PERMISSION, detail, _now()


def _conclude(result: PingResult) -> PingResult:
    result.verdict, result.router = decide(result.replies, result.sent, result.slow_ms)
    result.finished = _now()
    return result


def interpret_transcript(
    text_or_bytes: str | bytes,
    *,
    own_ip: str | None = None,
    slow_ms: float = 50.0,
    name: str | None = None,
) -> PingResult:
    """The verdict of a ping transcript someone pasted, saved or photographed as text.

    Bytes may be UTF-8, UTF-16 (with or without BOM) or GBK/CP936. Text without any ping
    output in it raises UserInputError, naming the file `name` when given.
    """
    started = _now()
    _check_slow_ms(slow_ms)
    if own_ip is not None:
        try:
            own_ip = str(ipaddress.ip_address(own_ip.strip()))
        except ValueError:
            raise UserInputError(f"--own-ip {own_ip!r} is not an IP address") from None
    from fieldkit.ping.transcript import TranscriptParser, decode

    text = decode(text_or_bytes) if isinstance(text_or_bytes, bytes) else text_or_bytes
    parser = TranscriptParser(own_ip=own_ip)
    for line in text.splitlines():
        parser.feed(line)
    if not parser.recognised:
        where = f"{name}: " if name else ""
        raise UserInputError(f"{where}no ping output found in the transcript")
    replies, sent = parser.finish()
    result = PingResult(
        target=parser.target, address=parser.address, backend="transcript",
        verdict=Verdict.TIMEOUT, started=started, finished=started, slow_ms=slow_ms,
        source_address=own_ip, replies=replies, sent=sent, reported=parser.reported,
        origin_rule=parser.origin_rule, detail=parser.detail,
    )
    before_sending = parser.verdict_before_sending()
    if before_sending is not None:
        result.target = result.target or parser.unknown_host
        result.verdict, result.finished = before_sending, _now()
        return result
    if sent == 0:
        raise UserInputError("the transcript shows no echo request and no summary")
    _conclude(result)
    pinged_itself = own_ip is not None and result.address == own_ip
    if pinged_itself and not ipaddress.ip_address(result.address or "").is_loopback:
        result.verdict = Verdict.OWN_ADDRESS  # the laptop's own replies prove nothing
    return result
