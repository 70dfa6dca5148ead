"""A network-namespace lab with one host for every ping verdict (Linux, root, iproute2).

Every address lives in 198.18.0.0/15 (the benchmarking range) inside namespaces this module
creates, so no echo request ever leaves the machine. One switch namespace holds a bridge;
each host namespace hangs off it by a veth pair:

    laptop      198.18.0.10/24 on eth0, default route via router 198.18.0.254;
                198.18.64.10/24 on wlan0, which is down (the card on the line, unplugged)
    gateway     198.18.0.1     answers echo                          -> ok
    silent      198.18.0.2     net.ipv4.icmp_echo_ignore_all=1       -> timeout
    (nobody)    198.18.0.3     on-link, no host: ARP gets no answer  -> local_unreachable
    responder   198.18.0.4     answers after SLOW_DELAY_S            -> slow
                198.18.0.5     answers odd sequence numbers only     -> partial_loss
    router      198.18.0.254   `unreachable 198.18.64.0/18`          -> remote_unreachable
                               (ping 198.18.64.1 through it)
    noroute     (separate namespace with only loopback)              -> no_route

`tc netem` is not available everywhere (no sch_netem module here), so the slow and lossy
hosts are this file's own echo responder: `python netlab.py respond` run in the responder
namespace, which ignores echo in its kernel and answers from a raw socket instead.

`netlab` is the session fixture (exposed by tests/conftest.py); `build_lab()` and
`Lab.teardown()` serve the benchmark. Namespace names carry a per-session tag.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import select
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

LAB_NETWORK = ipaddress.ip_network("198.18.0.0/15")
LAPTOP = "198.18.0.10"
GATEWAY = "198.18.0.1"
SILENT = "198.18.0.2"
NOBODY = "198.18.0.3"
SLOW = "198.18.0.4"
FLAKY = "198.18.0.5"
ROUTER = "198.18.0.254"
REMOTE_GATEWAY = "198.18.64.1"  # behind ROUTER's unreachable route
LAPTOP_DOWN_CARD = "198.18.64.10"  # the laptop's address in REMOTE_GATEWAY's subnet, link down
OFF_SUBNET_GATEWAY = "198.18.65.1"  # also behind ROUTER; no laptop address in its /24
UNREACHABLE_PREFIX = "198.18.64.0/18"
SLOW_DELAY_S = 0.08
REPO = Path(__file__).resolve().parent.parent

for _address in (LAPTOP, GATEWAY, SILENT, NOBODY, SLOW, FLAKY, ROUTER, REMOTE_GATEWAY,
                 LAPTOP_DOWN_CARD, OFF_SUBNET_GATEWAY):
    assert ipaddress.ip_address(_address) in LAB_NETWORK  # the network rule, checked


class LabUnavailable(Exception):
    """Namespaces cannot be built here; the message says why."""


def _ip(*args: str) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise LabUnavailable(f"`ip {' '.join(args)}` failed: {done.stderr.strip()}")


@dataclass
class Lab:
    tag: str
    namespaces: list[str] = field(default_factory=list)
    responder: subprocess.Popen[bytes] | None = None

    def ns(self, role: str) -> str:
        return f"{self.tag}-{role}"

    @property
    def laptop(self) -> str:
        return self.ns("laptop")

    @property
    def noroute(self) -> str:
        return self.ns("noroute")

    def command(self, namespace: str, *argv: str) -> list[str]:
        return ["ip", "netns", "exec", namespace, *argv]

    def run(
        self, namespace: str, *argv: str, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.command(namespace, *argv), capture_output=True, text=True,
                              timeout=timeout, check=False)

    def fieldkit(self, *args: str, namespace: str | None = None,
                 timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """`fieldkit ARGS` run inside the laptop (or another) namespace."""
        return self.run(namespace or self.laptop, sys.executable, "-m", "fieldkit", *args,
                        timeout=timeout)

    def sysctl(self, namespace: str, setting: str) -> None:
        done = self.run(namespace, "sysctl", "-qw", setting)
        if done.returncode != 0:
            raise LabUnavailable(f"sysctl {setting} failed in {namespace}: {done.stderr}")

    def teardown(self) -> None:
        if self.responder is not None and self.responder.poll() is None:
            self.responder.terminate()
            self.responder.wait(timeout=5)
        for namespace in reversed(self.namespaces):
            subprocess.run(["ip", "netns", "del", namespace], capture_output=True, check=False)
        self.namespaces.clear()


def lab_unavailable_reason() -> str | None:
    if not sys.platform.startswith("linux"):
        return "network namespaces need Linux"
    if os.geteuid() != 0:
        return "building a namespace lab needs root"
    if shutil.which("ip") is None:
        return "iproute2 (`ip`) is not installed"
    return None


def build_lab() -> Lab:
    """Build every host; on any failure tear down what was built and raise LabUnavailable."""
    reason = lab_unavailable_reason()
    if reason:
        raise LabUnavailable(reason)
    lab = Lab(tag=f"fk{secrets.token_hex(2)}")
    try:
        _build(lab)
    except BaseException:
        lab.teardown()
        raise
    return lab


def _add_namespace(lab: Lab, role: str) -> str:
    name = lab.ns(role)
    _ip("netns", "add", name)
    lab.namespaces.append(name)
    _ip("-n", name, "link", "set", "lo", "up")
    return name


def _plug(lab: Lab, switch: str, host: str, index: int, *addresses: str) -> None:
    """A veth from `host` (as eth0) to the switch's bridge, with the host's addresses."""
    outside, inside = f"{lab.tag}v{index}", f"{lab.tag}p{index}"
    _ip("link", "add", inside, "type", "veth", "peer", "name", outside)
    _ip("link", "set", inside, "netns", host)
    _ip("link", "set", outside, "netns", switch)
    _ip("-n", host, "link", "set", inside, "name", "eth0")
    for address in addresses:
        _ip("-n", host, "addr", "add", f"{address}/24", "dev", "eth0")
    _ip("-n", host, "link", "set", "eth0", "up")
    _ip("-n", switch, "link", "set", outside, "master", "br0", "up")


def _build(lab: Lab) -> None:
    switch = _add_namespace(lab, "switch")
    _ip("-n", switch, "link", "add", "br0", "type", "bridge")
    _ip("-n", switch, "link", "set", "br0", "up")
    hosts = {
        "laptop": (LAPTOP,),
        "gateway": (GATEWAY,),
        "silent": (SILENT,),
        "responder": (SLOW, FLAKY),
        "router": (ROUTER,),
    }
    for index, (role, addresses) in enumerate(hosts.items()):
        _plug(lab, switch, _add_namespace(lab, role), index, *addresses)
    _add_namespace(lab, "noroute")
    _ip("-n", lab.laptop, "route", "add", "default", "via", ROUTER)
    # A second card that is down keeps its address but no route: packets for its subnet
    # take the default route through ROUTER, as with an unplugged cable and Wi-Fi up.
    _ip("-n", lab.laptop, "link", "add", "wlan0", "type", "veth", "peer", "name", "wlan0peer")
    _ip("-n", lab.laptop, "addr", "add", f"{LAPTOP_DOWN_CARD}/24", "dev", "wlan0")
    lab.sysctl(lab.ns("silent"), "net.ipv4.icmp_echo_ignore_all=1")
    lab.sysctl(lab.ns("responder"), "net.ipv4.icmp_echo_ignore_all=1")
    router = lab.ns("router")
    lab.sysctl(router, "net.ipv4.ip_forward=1")  # without forwarding no ICMP error is sent
    lab.sysctl(router, "net.ipv4.icmp_ratelimit=0")  # tests ask it many times in a row
    _ip("-n", router, "route", "add", "unreachable", UNREACHABLE_PREFIX)
    # Unprivileged ICMP sockets for every group, so the "dgram" path can be tested too.
    lab.sysctl(lab.laptop, "net.ipv4.ping_group_range=0 2147483647")
    lab.responder = subprocess.Popen(
        lab.command(lab.ns("responder"), sys.executable, __file__, "respond"),
        stdout=subprocess.PIPE,
    )
    assert lab.responder.stdout is not None
    if lab.responder.stdout.readline().strip() != b"ready":
        raise LabUnavailable("the echo responder did not start")


# The echo responder ----------------------------------------------------------------------


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _echo_reply(request: bytes) -> bytes:
    _, _, _, ident, seq = struct.unpack("!BBHHH", request[:8])
    body = request[8:]
    header = struct.pack("!BBHHH", 0, 0, 0, ident, seq)
    return struct.pack("!BBHHH", 0, 0, _checksum(header + body), ident, seq) + body


def respond() -> None:
    """Answer echo requests to SLOW late and to FLAKY for odd sequence numbers only.

    One raw socket per address: bound, it sees only that address's requests and answers
    from it.
    """
    sockets = {}
    for address in (SLOW, FLAKY):
        sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        sock.bind((address, 0))
        sockets[sock] = address
    print("ready", flush=True)
    while True:
        readable, _, _ = select.select(list(sockets), [], [])
        for sock in readable:
            packet, (sender, _) = sock.recvfrom(65535)
            icmp = packet[(packet[0] & 0x0F) * 4 :]
            if len(icmp) < 8 or icmp[0] != 8:
                continue
            reply = _echo_reply(icmp)
            if sockets[sock] == SLOW:
                threading.Timer(SLOW_DELAY_S, sock.sendto, (reply, (sender, 0))).start()
            elif struct.unpack("!H", icmp[6:8])[0] % 2 == 1:
                sock.sendto(reply, (sender, 0))


# pytest ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def netlab() -> Iterator[Lab]:
    """The lab for this test session, torn down at its end even when tests fail."""
    try:
        lab = build_lab()
    except LabUnavailable as error:
        if os.environ.get("CI"):
            # CI runs as root with iproute2 installed by .ci/run: a missing lab there is a bug.
            pytest.fail(f"namespace lab unavailable in CI: {error}")
        pytest.skip(f"namespace lab unavailable: {error}")
    try:
        yield lab
    finally:
        lab.teardown()


if __name__ == "__main__" and sys.argv[1:] == ["respond"]:
    respond()
elif __name__ == "__main__":
    # Build a lab by hand for poking at it: `python tests/netlab.py` (Ctrl-C tears it down).
    manual = build_lab()
    print("lab up; laptop namespace:", manual.laptop, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        manual.teardown()
