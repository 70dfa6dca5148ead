"""What a ping test produced: replies, statistics, the verdict, and its JSON form.

The JSON object (`PingResult.to_json`) is what the walkthrough stores in a visit record:
its keys only grow; a change of meaning bumps `SCHEMA`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

from fieldkit.lang import Lang

if TYPE_CHECKING:
    from fieldkit.ping.watch import WatchSummary

SCHEMA = "fieldkit.ping/1"
# `ping --quick` and the walk's quick re-test: count, interval (s), timeout (s). A gateway
# that answers gives its verdict ~0.6 s after the first echo, a silent one ~1.6 s.
QUICK_PLAN: tuple[int, float, float] = (4, 0.2, 1.0)


class Verdict(str, Enum):
    OK = "ok"
    SLOW = "slow"
    PARTIAL_LOSS = "partial_loss"
    TIMEOUT = "timeout"
    LOCAL_UNREACHABLE = "local_unreachable"
    REMOTE_UNREACHABLE = "remote_unreachable"
    NO_ROUTE = "no_route"
    INVALID_TARGET = "invalid_target"
    UNKNOWN_HOST = "unknown_host"
    NO_PERMISSION = "no_permission"
    OWN_ADDRESS = "own_address"  # the laptop answers itself: it tests no line at all


class SeedOutcome(str, Enum):
    """The four outcomes step 5 of the seed's LAN turn-up documents."""

    NORMAL = "normal"  # Reply from x.x.x.x bytes=32 time<50ms TTL=254
    FAILURE_1 = "failure_1"  # Request time out
    FAILURE_2 = "failure_2"  # Destination host unreachable
    FAILURE_3 = "failure_3"  # Reply from 192.168.0.1: Destination host unreachable


class ReplyError(str, Enum):
    """Why one echo request got no echo reply."""

    TIMEOUT = "timeout"  # nothing came back within the timeout
    HOST_UNREACHABLE = "host_unreachable"  # ICMP destination host unreachable
    NET_UNREACHABLE = "net_unreachable"  # ICMP destination network unreachable
    UNREACHABLE = "unreachable"  # another ICMP destination-unreachable code (e.g. prohibited)
    TTL_EXPIRED = "ttl_expired"  # ICMP time exceeded: a routing loop on the way
    NO_ROUTE = "no_route"  # the laptop could not send it: no route, transmit failed
    OTHER = "other"  # a send error fieldkit has no name for


# Errors that an ICMP message from some host reported (the others the laptop saw by itself).
ANSWERED_ERRORS = frozenset(
    {
        ReplyError.HOST_UNREACHABLE,
        ReplyError.NET_UNREACHABLE,
        ReplyError.UNREACHABLE,
        ReplyError.TTL_EXPIRED,
    }
)


class Origin(str, Enum):
    """Who sent an ICMP error: the laptop itself (no ARP answer) or another router."""

    LOCAL = "local"
    REMOTE = "remote"


class OriginRule(str, Enum):
    """How a transcript's error sender was judged local or remote (live tests know for sure)."""

    OWN_IP_OPTION = "own_ip_option"  # the sender is the --own-ip address
    NOT_OWN_IP_OPTION = "not_own_ip_option"  # the sender is not the --own-ip address
    INSIDE_TARGET_24 = "inside_target_24"  # sender in the target's /24: the laptop's own address
    OUTSIDE_TARGET_24 = "outside_target_24"  # sender outside the target's /24: a router
    NO_SENDER = "no_sender"  # "Destination host unreachable" with no sender: the laptop
    NO_TARGET = "no_target"  # no target in the transcript: an address that answered is a router


class FindingCode(str, Enum):
    """Pre-flight findings, shown with the verdict."""

    RESOLVED = "resolved"  # the name resolved to an address
    ROUTE = "route"  # the interface and source address the route uses
    ROUTE_VIA_ROUTER = "route_via_router"  # the target is reached through a router, not on-link
    NOT_IN_SUBNET = "not_in_subnet"  # the laptop's source address is outside the target's subnet
    OTHER_INTERFACE_IN_SUBNET = "other_interface_in_subnet"  # another NIC is in the subnet
    NO_ROUTE = "no_route"  # the kernel has no route to the target
    SYSTEM_PING_FALLBACK = "system_ping_fallback"  # no ICMP socket allowed: the system ping ran


@dataclass(frozen=True)
class ProbePlan:
    """How to probe: the same for every backend."""

    count: int | None  # None: until stopped
    interval_s: float
    timeout_s: float
    size: int
    source: str | None


@dataclass(frozen=True)
class Finding:
    code: FindingCode
    warning: bool
    params: dict[str, str] = field(default_factory=dict)


@dataclass
class Reply:
    """The outcome of one echo request."""

    seq: int
    rtt_ms: float | None = None
    # Windows prints "time<1ms": the true round trip is under rtt_ms.
    rtt_below: bool = False
    from_address: str | None = None
    ttl: int | None = None
    error: ReplyError | None = None
    origin: Origin | None = None

    @property
    def answered(self) -> bool:
        return self.rtt_ms is not None and self.error is None

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "rtt_ms": None if self.rtt_ms is None else round(self.rtt_ms, 3),
            "rtt_below": self.rtt_below,
            "from": self.from_address,
            "ttl": self.ttl,
            "error": None if self.error is None else self.error.value,
            "origin": None if self.origin is None else self.origin.value,
        }


@dataclass(frozen=True)
class Statistics:
    sent: int
    received: int
    errors: int
    min_ms: float | None
    avg_ms: float | None
    max_ms: float | None
    mdev_ms: float | None

    @property
    def loss_pct(self) -> float:
        if self.sent == 0:
            return 0.0
        return round(100.0 * (self.sent - min(self.received, self.sent)) / self.sent, 1)

    @classmethod
    def of(cls, replies: list[Reply], sent: int) -> Statistics:
        """iputils' figures: mdev is the population standard deviation of the round trips."""
        rtts = [reply.rtt_ms for reply in replies if reply.answered and reply.rtt_ms is not None]
        errors = sum(1 for reply in replies if reply.error not in (None, ReplyError.TIMEOUT))
        if not rtts:
            return cls(sent, 0, errors, None, None, None, None)
        avg = sum(rtts) / len(rtts)
        mdev = math.sqrt(sum((rtt - avg) ** 2 for rtt in rtts) / len(rtts))
        return cls(sent, len(rtts), errors, min(rtts), avg, max(rtts), mdev)

    def to_json(self) -> dict[str, Any]:
        def ms(value: float | None) -> float | None:
            return None if value is None else round(value, 3)

        return {
            "sent": self.sent,
            "received": self.received,
            "errors": self.errors,
            "loss_pct": self.loss_pct,
            "min_ms": ms(self.min_ms),
            "avg_ms": ms(self.avg_ms),
            "max_ms": ms(self.max_ms),
            "mdev_ms": ms(self.mdev_ms),
        }


@dataclass
class PingResult:
    """One ping test or one interpreted transcript, with its verdict."""

    target: str | None
    address: str | None
    backend: str
    verdict: Verdict
    started: datetime
    finished: datetime
    replies: list[Reply] = field(default_factory=list)
    sent: int = 0
    count: int | None = None
    interval_s: float | None = None
    timeout_s: float | None = None
    size: int | None = None
    slow_ms: float = 50.0
    source_address: str | None = None
    interface: str | None = None
    socket_kind: str | None = None  # ping3 backend: "raw" (root) or "dgram" (unprivileged)
    # The router that answered "destination host unreachable" (remote_unreachable only).
    router: str | None = None
    preflight: list[Finding] = field(default_factory=list)
    origin_rule: OriginRule | None = None
    stopped: bool = False  # the user stopped it (Ctrl-C in --watch) before the count was reached
    # The statistics a transcript printed itself, when they differ from what its lines show.
    reported: Statistics | None = None
    detail: str | None = None  # the system's own words for a failure before sending
    watch: WatchSummary | None = None  # --watch: the verdict is the running one at Ctrl-C
    # What the platform did not allow of the plan: "interval_1s" (one echo a second only).
    caveats: list[str] = field(default_factory=list)

    @property
    def statistics(self) -> Statistics:
        if self.reported is not None and not self.replies:
            return self.reported
        stats = Statistics.of(self.replies, self.sent)
        if self.reported is not None and stats.received and self.reported.min_ms is not None:
            # Windows rounds "time<1ms" to 1; its own summary has the figures it measured.
            return Statistics(
                stats.sent, stats.received, stats.errors, self.reported.min_ms,
                self.reported.avg_ms, self.reported.max_ms, self.reported.mdev_ms,
            )
        return stats

    @property
    def seed_outcome(self) -> SeedOutcome | None:
        from fieldkit.ping.verdicts import SEED_OUTCOME

        return SEED_OUTCOME[self.verdict]

    def to_json(self, lang: Lang = "en") -> dict[str, Any]:
        """The documented JSON object (docs/ping.md, "The JSON object"), texts in `lang`."""
        from fieldkit.ping.catalogue import load_catalogue

        catalogue = load_catalogue()
        seed = self.seed_outcome
        return {
            "schema": SCHEMA,
            "target": self.target,
            "address": self.address,
            "source": {"address": self.source_address, "interface": self.interface},
            "backend": self.backend,
            "socket": self.socket_kind,
            "count": self.count,
            "interval_s": self.interval_s,
            "timeout_s": self.timeout_s,
            "size": self.size,
            "slow_ms": self.slow_ms,
            "replies": [reply.to_json() for reply in self.replies],
            "statistics": self.statistics.to_json(),
            "verdict": self.verdict.value,
            "seed_outcome": None if seed is None else seed.value,
            "router": self.router,
            "lang": lang,
            "explanation": catalogue.explain(self, lang),
            "preflight": [
                {
                    "code": finding.code.value,
                    "warning": finding.warning,
                    "params": dict(finding.params),
                    "message": catalogue.finding_text(finding, lang),
                }
                for finding in self.preflight
            ],
            "origin_rule": None
            if self.origin_rule is None
            else {
                "rule": self.origin_rule.value,
                "message": catalogue.origin_rules[self.origin_rule].get(lang),
            },
            "stopped": self.stopped,
            "detail": self.detail,
            "watch": None if self.watch is None else self.watch.to_json(),
            "caveats": list(self.caveats),
            "started": self.started.isoformat(timespec="milliseconds"),
            "finished": self.finished.isoformat(timespec="milliseconds"),
        }
