"""The live engine against 127.0.0.1: the only address tests may ping outside the lab."""

from __future__ import annotations

import shutil
import threading
from datetime import datetime

import pytest

from fieldkit.errors import UserInputError
from fieldkit.ping import SCHEMA, Reply, Verdict, run_ping


def test_loopback_answers_every_request_and_reports_them_live() -> None:
    seen: list[Reply] = []
    result = run_ping("127.0.0.1", count=3, interval_s=0.05, on_reply=seen.append)
    assert result.verdict is Verdict.OK
    assert [reply.seq for reply in seen] == [1, 2, 3]
    assert all(reply.from_address == "127.0.0.1" and reply.ttl for reply in seen)
    stats = result.statistics
    assert (stats.sent, stats.received, stats.loss_pct) == (3, 3, 0.0)
    assert stats.min_ms is not None and stats.max_ms is not None and stats.min_ms <= stats.max_ms


def test_json_object_carries_the_documented_keys_in_both_languages() -> None:
    result = run_ping("127.0.0.1", count=1)
    english, chinese = result.to_json("en"), result.to_json("zh")
    assert english["schema"] == SCHEMA
    assert english["verdict"] == "ok" and english["seed_outcome"] == "normal"
    assert english["source"] == {"address": "127.0.0.1", "interface": "lo"}
    assert english["replies"][0]["seq"] == 1 and english["replies"][0]["error"] is None
    assert english["statistics"]["received"] == 1
    assert english["explanation"]["title"] == "Connection normal"
    assert chinese["explanation"]["title"] == "连接正常"
    started = datetime.fromisoformat(english["started"])
    finished = datetime.fromisoformat(english["finished"])
    assert started.tzinfo is not None and finished >= started


@pytest.mark.skipif(shutil.which("ping") is None, reason="no system ping command")
def test_system_backend_reads_the_live_output_of_ping() -> None:
    seen: list[Reply] = []
    result = run_ping("127.0.0.1", count=2, interval_s=0.2, backend="system",
                      on_reply=seen.append)
    assert result.backend == "system"
    assert result.verdict is Verdict.OK
    assert [reply.seq for reply in seen] == [1, 2]


def test_watch_mode_stops_when_asked_and_counts_only_finished_requests() -> None:
    stop = threading.Event()

    def stop_after_three(reply: Reply) -> None:
        if reply.seq == 3:
            stop.set()

    result = run_ping("127.0.0.1", count=None, interval_s=0.05, on_reply=stop_after_three,
                      stop=stop)
    assert result.stopped
    assert result.verdict is Verdict.OK
    assert result.statistics.sent == len(result.replies) >= 3


def test_a_name_from_the_hosts_file_is_resolved_and_said_so() -> None:
    result = run_ping("localhost", count=1)
    assert result.verdict is Verdict.OK
    assert result.address in ("127.0.0.1", "::1")
    assert result.to_json("en")["preflight"][0]["message"].startswith("localhost resolved to")


@pytest.mark.parametrize("target", ["192.168.1.256", "10.0.0", "gate way", "-x", ""])
def test_an_invalid_target_sends_nothing(target: str) -> None:
    result = run_ping(target)
    assert result.verdict is Verdict.INVALID_TARGET
    assert result.sent == 0 and result.replies == []


def test_source_must_be_an_address_of_this_laptop() -> None:
    assert run_ping("127.0.0.1", count=1, source="127.0.0.1").verdict is Verdict.OK
    with pytest.raises(UserInputError, match="not an address of this laptop"):
        run_ping("127.0.0.1", count=1, source="198.18.255.254")


@pytest.mark.parametrize(
    ("option", "message"),
    [({"count": 0}, "--count"), ({"timeout_s": 0}, "--timeout"), ({"size": 2}, "--size"),
     ({"backend": "icmp"}, "--backend"), ({"mask": "255.0.255.0"}, "--mask")],
)
def test_bad_options_are_user_errors(option: dict[str, object], message: str) -> None:
    with pytest.raises(UserInputError, match=message):
        run_ping("127.0.0.1", **option)  # type: ignore[arg-type]


def test_loopback_is_never_own_address_so_the_demo_can_ping_it() -> None:
    assert run_ping("127.0.0.2", count=1, interval_s=0.05).verdict is Verdict.OK


def test_a_non_loopback_address_the_laptop_holds_is_own_address_before_sending(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from fieldkit.ping import preflight

    # Stands in for an address of this machine's cards (whatever they are): nothing is sent.
    monkeypatch.setattr(preflight, "is_local_address", lambda address: address == "198.18.0.10")
    assert preflight.check_target("198.18.0.10").verdict is Verdict.OWN_ADDRESS
    assert preflight.check_target("198.18.0.11").verdict is None


@pytest.mark.parametrize(
    ("address", "interface", "itself"),
    [("198.18.0.99", "lo", True), ("127.0.0.1", "lo", False), ("198.18.0.1", "eth0", False),
     ("::1", "lo", False)],
)
def test_a_route_by_lo_means_the_laptop_answers_itself(
    address: str, interface: str, itself: bool
) -> None:
    from fieldkit.ping.preflight import Preflight

    report = Preflight(target=address, address=address, interface=interface)
    assert report.answered_by_itself is itself
