"""Every live verdict against real hosts in the namespace lab (tests/netlab.py).

`fieldkit ping ... --json` runs inside the lab's laptop namespace, as an engineer would run
it on the laptop, with each backend: ping3's sockets (raw as root, unprivileged "dgram" as
nobody) and the system ping.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from cli_runner import json_payload
from netlab import (
    FLAKY,
    GATEWAY,
    LAPTOP,
    LAPTOP_DOWN_CARD,
    NOBODY,
    OFF_SUBNET_GATEWAY,
    REMOTE_GATEWAY,
    ROUTER,
    SILENT,
    SLOW,
    SLOW_DELAY_S,
    Lab,
)

pytestmark = pytest.mark.netns

BACKENDS = [
    "ping3",
    pytest.param("system", marks=pytest.mark.skipif(shutil.which("ping") is None,
                                                    reason="no system ping command")),
]


def ping_json(lab: Lab, *args: str, namespace: str | None = None,
              expect_exit: int | None = None) -> dict[str, Any]:
    done = lab.fieldkit("ping", *args, "--json", "--lang", "en", namespace=namespace)
    assert done.stdout, done.stderr
    if expect_exit is not None:
        assert done.returncode == expect_exit, done.stderr
    result: dict[str, Any] = json_payload(done.stdout, "fieldkit.ping/1")
    return result


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_gateway_that_answers_is_ok(netlab: Lab, backend: str) -> None:
    result = ping_json(netlab, GATEWAY, "-c", "3", "-i", "0.2", "--backend", backend,
                       expect_exit=0)
    assert result["verdict"] == "ok" and result["seed_outcome"] == "normal"
    assert result["backend"] == backend
    assert result["source"] == {"address": LAPTOP, "interface": "eth0"}
    assert [reply["from"] for reply in result["replies"]] == [GATEWAY] * 3
    assert result["statistics"]["received"] == 3


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_slow_host_is_slow(netlab: Lab, backend: str) -> None:
    result = ping_json(netlab, SLOW, "-c", "3", "-i", "0.2", "--backend", backend,
                       expect_exit=1)
    assert result["verdict"] == "slow" and result["seed_outcome"] is None
    assert result["statistics"]["min_ms"] >= SLOW_DELAY_S * 1000 * 0.9


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_host_answering_every_other_request_is_partial_loss(netlab: Lab, backend: str) -> None:
    result = ping_json(netlab, FLAKY, "-c", "4", "-i", "0.2", "-W", "1", "--backend", backend,
                       expect_exit=1)
    assert result["verdict"] == "partial_loss"
    assert [reply["error"] for reply in result["replies"]] == [None, "timeout", None, "timeout"]
    assert result["statistics"]["loss_pct"] == 50.0


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_gateway_ignoring_echo_times_out(netlab: Lab, backend: str) -> None:
    result = ping_json(netlab, SILENT, "-c", "2", "-i", "0.5", "-W", "1", "--backend", backend,
                       expect_exit=1)
    assert result["verdict"] == "timeout" and result["seed_outcome"] == "failure_1"
    assert result["statistics"] == result["statistics"] | {"sent": 2, "received": 0}


@pytest.mark.parametrize("backend", BACKENDS)
def test_nobody_at_an_on_link_address_is_local_unreachable(netlab: Lab, backend: str) -> None:
    # Linux gives up on ARP after 3 s: the defaults (4 requests, 2 s timeout) see it.
    result = ping_json(netlab, NOBODY, "--backend", backend, expect_exit=1)
    assert result["verdict"] == "local_unreachable" and result["seed_outcome"] == "failure_2"
    errors = [reply for reply in result["replies"] if reply["error"] == "host_unreachable"]
    assert errors and all(reply["from"] == LAPTOP and reply["origin"] == "local"
                          for reply in errors)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_router_answering_unreachable_is_remote_and_named(netlab: Lab, backend: str) -> None:
    result = ping_json(netlab, REMOTE_GATEWAY, "--mask", "24", "--backend", backend,
                       expect_exit=1)
    assert result["verdict"] == "remote_unreachable" and result["seed_outcome"] == "failure_3"
    assert result["router"] == ROUTER
    assert ROUTER in result["explanation"]["meaning"]
    assert result["source"] == {"address": LAPTOP, "interface": "eth0"}
    codes = {finding["code"]: finding for finding in result["preflight"]}
    assert codes["route_via_router"]["params"]["via"] == ROUTER
    assert codes["route_via_router"]["warning"]
    other_card = codes["other_interface_in_subnet"]["params"]
    assert (other_card["local_address"], other_card["local_interface"]) == (LAPTOP_DOWN_CARD,
                                                                            "wlan0")
    assert all(reply["from"] == ROUTER and reply["origin"] == "remote"
               for reply in result["replies"])


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_laptop_without_route_says_no_route_at_once(netlab: Lab, backend: str) -> None:
    result = ping_json(netlab, GATEWAY, "--backend", backend, namespace=netlab.noroute,
                       expect_exit=1)
    assert result["verdict"] == "no_route"
    assert [finding["code"] for finding in result["preflight"]] == ["no_route"]
    assert result["statistics"]["sent"] == 1


def test_a_gateway_outside_the_laptops_subnet_is_named_with_the_subnet(netlab: Lab) -> None:
    result = ping_json(netlab, OFF_SUBNET_GATEWAY, "-c", "1", "--mask", "24", expect_exit=1)
    messages = {finding["code"]: finding["message"] for finding in result["preflight"]}
    assert messages["not_in_subnet"].startswith(
        f"The gateway {OFF_SUBNET_GATEWAY} is not in this laptop's subnet {LAPTOP}/24"
    )


def test_the_gateway_in_the_laptops_subnet_raises_no_finding(netlab: Lab) -> None:
    result = ping_json(netlab, GATEWAY, "-c", "1", "--mask", "255.255.255.0", expect_exit=0)
    assert [finding["warning"] for finding in result["preflight"]] == [False]


def test_an_unknown_name_is_unknown_host(netlab: Lab) -> None:
    # In the route-less namespace a DNS query cannot leave the machine.
    result = ping_json(netlab, "gateway.fieldkit-lab.invalid", namespace=netlab.noroute,
                       expect_exit=2)
    assert result["verdict"] == "unknown_host" and result["statistics"]["sent"] == 0


@pytest.mark.parametrize(
    ("target", "verdict", "sender"),
    [(GATEWAY, "ok", GATEWAY), (NOBODY, "local_unreachable", LAPTOP),
     (REMOTE_GATEWAY, "remote_unreachable", ROUTER)],
)
def test_unprivileged_sockets_read_the_error_queue(
    netlab: Lab, target: str, verdict: str, sender: str
) -> None:
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv is needed to drop CAP_NET_RAW")
    # Without CAP_NET_RAW no raw socket opens: ping3 uses an unprivileged ICMP socket.
    done = netlab.run(netlab.laptop, "setpriv", "--bounding-set=-net_raw",
                      "--inh-caps=-net_raw", sys.executable, "-m", "fieldkit", "ping", target,
                      "--backend", "ping3", "--json")
    result = json_payload(done.stdout, "fieldkit.ping/1")
    assert result["socket"] == "dgram"
    assert result["verdict"] == verdict
    assert sender in {reply["from"] for reply in result["replies"]}


def test_human_output_names_the_router_and_the_seed_outcome(netlab: Lab) -> None:
    done = netlab.fieldkit("ping", REMOTE_GATEWAY, "-c", "2", "--lang", "en")
    assert done.returncode == 1
    assert f"Reply from {ROUTER}: Destination host unreachable  (another router)" in done.stdout
    assert "Failure 3: Reply from 192.168.0.1:" in done.stdout


@pytest.mark.skipif(shutil.which("busybox") is None, reason="BusyBox is not installed")
def test_busybox_ping_serves_as_the_system_backend(netlab: Lab, tmp_path: Path) -> None:
    (tmp_path / "ping").symlink_to(shutil.which("busybox") or "")
    done = netlab.run(netlab.laptop, "env", f"PATH={tmp_path}:{os.environ.get('PATH', '')}",
                      sys.executable, "-m", "fieldkit", "ping", FLAKY, "--backend", "system",
                      "-W", "1", "--json")
    result = json_payload(done.stdout, "fieldkit.ping/1")
    assert result["backend"] == "system" and result["verdict"] == "partial_loss"
    # BusyBox numbers from 0 and prints nothing for lost requests: the summary fills them in.
    assert [reply["error"] for reply in result["replies"]] == ["timeout", None, "timeout", None]


# An address in the laptop namespace's subnet that a test routes into `lo` (and removes again).
ROUTED_INTO_LO = "198.18.0.99"


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_laptops_own_address_is_own_address_never_ok(netlab: Lab, backend: str) -> None:
    result = ping_json(netlab, LAPTOP, "-c", "2", "-i", "0.2", "--backend", backend,
                       expect_exit=2)
    assert result["verdict"] == "own_address" and result["seed_outcome"] is None
    assert result["statistics"]["sent"] == 0
    assert "is this laptop's own address" in result["explanation"]["meaning"]
    done = netlab.fieldkit("ping", LAPTOP, "--lang", "zh")
    assert "这是本机自己的地址" in done.stdout and done.returncode == 2


def test_a_target_whose_route_leaves_by_lo_is_own_address(netlab: Lab) -> None:
    added = netlab.run(netlab.laptop, "ip", "route", "add", f"{ROUTED_INTO_LO}/32", "dev", "lo")
    assert added.returncode == 0, added.stderr
    try:
        result = ping_json(netlab, ROUTED_INTO_LO, "-c", "1", "-W", "0.3", expect_exit=2)
    finally:
        netlab.run(netlab.laptop, "ip", "route", "del", f"{ROUTED_INTO_LO}/32", "dev", "lo")
    assert result["verdict"] == "own_address"
    assert result["source"]["interface"] == "lo"
