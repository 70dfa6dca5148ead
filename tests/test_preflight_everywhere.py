"""Pre-flight without iproute2, as on Windows and macOS: the laptop's addresses and masks come
from psutil, the source address from a UDP connect, and the subnet warnings still hold.

The lab tests run `fieldkit ping` in the laptop namespace of tests/netlab.py with `ip` hidden
from PATH; the unit tests feed local_addresses() what psutil reports on a Windows laptop."""

from __future__ import annotations

import socket
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from cli_runner import json_payload
from netlab import (
    GATEWAY,
    LAPTOP,
    LAPTOP_DOWN_CARD,
    OFF_SUBNET_GATEWAY,
    REMOTE_GATEWAY,
    Lab,
)

from fieldkit.ping import preflight


def ping_without_ip(lab: Lab, folder: Path, *args: str, expect_exit: int) -> dict[str, Any]:
    """`fieldkit ping ARGS --json` in the laptop namespace with a PATH that has no `ip`."""
    folder.mkdir(exist_ok=True)
    done = lab.run(lab.laptop, "env", f"PATH={folder}", sys.executable, "-m", "fieldkit",
                   "ping", *args, "--backend", "ping3", "--json", "--lang", "en")  # fmt: skip
    assert done.returncode == expect_exit, done.stderr
    result: dict[str, Any] = json_payload(done.stdout, "fieldkit.ping/1")
    return result


def findings(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {finding["code"]: finding for finding in result["preflight"]}


@pytest.mark.netns
def test_another_interface_in_the_gateways_subnet_is_found_without_ip(
    netlab: Lab, tmp_path: Path
) -> None:
    result = ping_without_ip(netlab, tmp_path / "bin", REMOTE_GATEWAY, "-c", "2", "--mask", "24",
                             expect_exit=1)  # fmt: skip
    assert result["verdict"] == "remote_unreachable"
    # The interface comes from the address the UDP connect chose, not from `ip route get`.
    assert result["source"] == {"address": LAPTOP, "interface": "eth0"}
    other = findings(result)["other_interface_in_subnet"]
    assert other["warning"]
    assert (other["params"]["local_address"], other["params"]["local_interface"]) == (
        LAPTOP_DOWN_CARD, "wlan0",
    )  # fmt: skip
    assert other["message"] == (
        f"{LAPTOP_DOWN_CARD} on wlan0 is in {REMOTE_GATEWAY}'s subnet, but the route uses eth0:"
        " another interface holds the route."
    )


@pytest.mark.netns
def test_a_gateway_outside_the_laptops_subnet_is_named_without_ip(
    netlab: Lab, tmp_path: Path
) -> None:
    result = ping_without_ip(netlab, tmp_path / "bin", OFF_SUBNET_GATEWAY, "-c", "1",
                             "--mask", "255.255.255.0", expect_exit=1)  # fmt: skip
    assert findings(result)["not_in_subnet"]["message"].startswith(
        f"The gateway {OFF_SUBNET_GATEWAY} is not in this laptop's subnet {LAPTOP}/24"
        f" (source {LAPTOP} on eth0)"
    )


@pytest.mark.netns
def test_the_gateway_in_the_laptops_subnet_warns_of_nothing_without_ip(
    netlab: Lab, tmp_path: Path
) -> None:
    result = ping_without_ip(netlab, tmp_path / "bin", GATEWAY, "-c", "1", "--mask", "24",
                             expect_exit=0)  # fmt: skip
    assert result["verdict"] == "ok"
    assert [(f["code"], f["warning"]) for f in result["preflight"]] == [("route", False)]
    assert result["source"] == {"address": LAPTOP, "interface": "eth0"}


def windows_psutil() -> SimpleNamespace:
    """What psutil.net_if_addrs() gives on a Windows laptop with Ethernet and Wi-Fi: names
    with spaces and Chinese, IPv6 with scope ids, a link-layer entry, an IPv6 without mask."""
    link = getattr(socket, "AF_LINK", getattr(socket, "AF_PACKET", -1))

    def entry(family: int, address: str, netmask: str | None) -> SimpleNamespace:
        return SimpleNamespace(family=family, address=address, netmask=netmask)

    addresses = {
        "以太网": [
            entry(link, "00-1A-2B-3C-4D-5E", None),
            entry(socket.AF_INET, "10.20.30.25", "255.255.255.0"),
            entry(socket.AF_INET6, "fe80::1c2b:3a4d:5e6f:7a8b%12", "ffff:ffff:ffff:ffff::"),
        ],
        "WLAN 2": [
            entry(socket.AF_INET, "10.20.50.77", "255.255.255.0"),
            entry(socket.AF_INET6, "2001:db8::77", None),
        ],
        "Loopback Pseudo-Interface 1": [entry(socket.AF_INET, "127.0.0.1", "255.0.0.0")],
    }
    return SimpleNamespace(net_if_addrs=lambda: addresses)


def test_local_addresses_read_what_psutil_reports_on_windows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "psutil", windows_psutil())
    found = {(str(interface), name) for interface, name in preflight.local_addresses()}
    assert found == {
        ("10.20.30.25/24", "以太网"),
        ("fe80::1c2b:3a4d:5e6f:7a8b/64", "以太网"),
        ("10.20.50.77/24", "WLAN 2"),
        ("127.0.0.1/8", "Loopback Pseudo-Interface 1"),
    }
    assert preflight.interface_of("10.20.50.77") == "WLAN 2"
    assert preflight.interface_of("10.20.30.99") is None


def route(target: str) -> preflight.Preflight:
    """describe_route for `target` /24 from the Ethernet address, as Windows would give it."""
    report = preflight.Preflight(target=target, address=target, source_address="10.20.30.25")
    preflight.describe_route(report, mask="24")
    return report


def test_subnet_warnings_come_from_psutil_alone_where_ip_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No `ip` (Windows, macOS): the route's interface is the one holding the source address."""
    monkeypatch.setitem(sys.modules, "psutil", windows_psutil())
    monkeypatch.setattr(preflight.shutil, "which", lambda _name: None)

    wifi = route("10.20.50.1")  # the Wi-Fi card holds the gateway's subnet
    assert wifi.interface == "以太网"
    assert [finding.code.value for finding in wifi.findings] == [
        "route", "other_interface_in_subnet",
    ]  # fmt: skip
    assert wifi.findings[1].params["local_interface"] == "WLAN 2"

    elsewhere = route("10.20.40.1")  # nothing of the laptop's in that subnet
    assert [finding.code.value for finding in elsewhere.findings] == ["route", "not_in_subnet"]
    assert elsewhere.findings[1].params["network"] == "10.20.30.25/24"

    assert [finding.code.value for finding in route("10.20.30.1").findings] == ["route"]
