"""Before the first echo: is the target usable, and which way would the packets leave?

The route lookup sends nothing: a UDP socket's connect() makes the system choose the source
address, and where iproute2 is installed (Linux) `ip route get` names the interface and next
hop. The laptop's own addresses and masks come from psutil on every system, so Windows and
macOS get the interface (the one holding the source address) and every subnet warning too;
only the next hop stays unnamed where `ip` is missing.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import json
import re
import shutil
import socket
import subprocess
from dataclasses import dataclass, field

from fieldkit.errors import UserInputError
from fieldkit.ping.model import Finding, FindingCode, Verdict

_HOSTNAME_LABEL = re.compile(r"^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$")
_NO_ROUTE_ERRNOS = {errno.ENETUNREACH, errno.EHOSTUNREACH}
_IP_COMMAND_TIMEOUT_S = 2.0


@dataclass
class Preflight:
    """What the laptop knows before sending; `verdict` is set when nothing may be sent."""

    target: str
    address: str | None = None
    verdict: Verdict | None = None
    source_address: str | None = None
    interface: str | None = None
    via: str | None = None
    no_route: bool = False
    findings: list[Finding] = field(default_factory=list)

    @property
    def answered_by_itself(self) -> bool:
        """A non-loopback target whose route leaves by `lo`: the laptop would answer itself."""
        return self.interface == "lo" and not _is_loopback(self.address)


def _is_loopback(address: str | None) -> bool:
    return address is not None and ipaddress.ip_address(address).is_loopback


def parse_mask(target_address: str, mask: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """The target's subnet from `255.255.255.0`, `24` or `/24`."""
    try:
        return ipaddress.ip_network(f"{target_address}/{mask.strip().lstrip('/')}", strict=False)
    except ValueError:
        raise UserInputError(
            f"--mask {mask!r} is not a subnet mask (use e.g. 255.255.255.0 or 24)"
        ) from None


def is_valid_hostname(name: str) -> bool:
    if not name or len(name) > 253 or re.fullmatch(r"[0-9.]+", name):
        return False  # all digits and dots is a mistyped address, never a name
    return all(_HOSTNAME_LABEL.match(label) for label in name.rstrip(".").split("."))


def resolve(name: str) -> str | None:
    """The first IPv4 address of `name` (IPv6 if it has none), or None."""
    try:
        infos = socket.getaddrinfo(name, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return None
    infos.sort(key=lambda info: info[0] != socket.AF_INET)
    return str(infos[0][4][0]) if infos else None


def is_local_address(address: str) -> bool:
    """Whether `address` belongs to this laptop: only then can a socket bind to it."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind((address, 0))
        except OSError:
            return False
    return True


def check_source(source: str) -> str:
    try:
        address = str(ipaddress.ip_address(source))
    except ValueError:
        raise UserInputError(f"--source {source!r} is not an IP address") from None
    if not is_local_address(address):
        raise UserInputError(f"--source {address} is not an address of this laptop")
    return address


def check_target(target: str, *, source: str | None = None, mask: str | None = None) -> Preflight:
    """The fast phase: is the target usable, and does the kernel have a route to it at all?"""
    target = target.strip()
    report = Preflight(target=target)
    try:
        report.address = str(ipaddress.ip_address(target))
    except ValueError:
        if not is_valid_hostname(target):
            report.verdict = Verdict.INVALID_TARGET
            return report
        report.address = resolve(target)
        if report.address is None:
            report.verdict = Verdict.UNKNOWN_HOST
            return report
        report.findings.append(
            Finding(FindingCode.RESOLVED, False, {"target": target, "address": report.address})
        )
    if source is not None and ipaddress.ip_address(source).version != ipaddress.ip_address(
        report.address
    ).version:
        raise UserInputError(
            f"--source {source} and the target {report.address} are not both IPv4 or both "
            "IPv6: give a source address of the target's kind"
        )
    if mask:
        parse_mask(report.address, mask)  # a bad mask is a bad option: say so before sending
    if not _is_loopback(report.address) and is_local_address(report.address):
        # One of the laptop's own addresses (loopback is the demo's, and says so itself).
        report.verdict = Verdict.OWN_ADDRESS
        return report
    family = socket.AF_INET6 if ":" in report.address else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as probe:
        try:
            if source:
                probe.bind((source, 0))
            probe.connect((report.address, 9))  # UDP connect() picks a route; nothing is sent
            report.source_address = str(probe.getsockname()[0])
        except OSError as error:
            if error.errno in _NO_ROUTE_ERRNOS:
                report.no_route = True
    return report


def describe_route(report: Preflight, *, source: str | None = None,
                   mask: str | None = None) -> None:
    """The slower phase (it runs `ip`): interface, next hop, the laptop's subnet."""
    assert report.address is not None
    route = None if report.no_route else _ip_route_get(report.address, source)
    if route:
        report.interface = route.get("dev")
        report.via = route.get("gateway")
        report.source_address = route.get("prefsrc") or report.source_address
        if route.get("type") in ("unreachable", "prohibit", "blackhole"):
            report.no_route = True
    elif report.source_address:
        report.interface = interface_of(report.source_address)
    if report.no_route:
        report.findings.append(Finding(FindingCode.NO_ROUTE, True, {"target": report.target}))
        return
    network = parse_mask(report.address, mask) if mask else None
    route_params = {
        "target": report.target,
        "interface": report.interface or "?",
        "source": report.source_address or "?",
        "via": report.via or "",
    }
    if report.via:
        # For a gateway (the mask is known) a route through another router is the fault itself.
        report.findings.append(
            Finding(FindingCode.ROUTE_VIA_ROUTER, network is not None, route_params)
        )
    elif report.source_address:
        report.findings.append(Finding(FindingCode.ROUTE, False, route_params))
    if network is not None:
        _check_subnet(report, network, route_params)


def _ip_json(*args: str) -> list[dict[str, object]] | None:
    """`ip -j ARGS` parsed, or None where iproute2 is missing or says no."""
    ip = shutil.which("ip")
    if ip is None:
        return None
    try:
        done = subprocess.run(
            [ip, "-j", *args], capture_output=True, text=True,
            timeout=_IP_COMMAND_TIMEOUT_S, check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    with contextlib.suppress(ValueError):
        data = json.loads(done.stdout)
        if isinstance(data, list):
            return data
    return None


def _ip_route_get(address: str, source: str | None) -> dict[str, str] | None:
    args = ["route", "get", address] + (["from", source] if source else [])
    routes = _ip_json(*args)
    if not routes:
        return None
    return {key: str(value) for key, value in routes[0].items()}


def local_addresses() -> list[tuple[ipaddress.IPv4Interface | ipaddress.IPv6Interface, str]]:
    """This laptop's addresses with their prefix and interface, up or down (every system)."""
    import psutil

    found: list[tuple[ipaddress.IPv4Interface | ipaddress.IPv6Interface, str]] = []
    for name, entries in psutil.net_if_addrs().items():
        for entry in entries:
            if entry.family not in (socket.AF_INET, socket.AF_INET6) or not entry.netmask:
                continue
            with contextlib.suppress(ValueError):
                address = entry.address.partition("%")[0]  # fe80::1%eth0: drop the scope
                prefix = bin(int(ipaddress.ip_address(entry.netmask))).count("1")
                found.append((ipaddress.ip_interface(f"{address}/{prefix}"), name))
    return found


def interface_of(address: str) -> str | None:
    """The name of the interface that holds `address`."""
    return next((name for local, name in local_addresses() if str(local.ip) == address), None)


def _check_subnet(
    report: Preflight,
    network: ipaddress.IPv4Network | ipaddress.IPv6Network,
    route_params: dict[str, str],
) -> None:
    source = report.source_address
    if source and ipaddress.ip_address(source) in network and not report.via:
        return
    params = route_params | {"network": str(network)}
    own_addresses = local_addresses()
    for local, interface in own_addresses:
        if local.ip in network and interface != report.interface:
            params |= {"local_address": str(local.ip), "local_interface": interface}
            report.findings.append(Finding(FindingCode.OTHER_INTERFACE_IN_SUBNET, True, params))
            return
    if source:
        # Name the subnet the laptop is actually in, as the engineer configured it.
        own = next((local for local, _ in own_addresses if str(local.ip) == source), None)
        params["network"] = str(own) if own else f"{source}/{network.prefixlen}"
    report.findings.append(Finding(FindingCode.NOT_IN_SUBNET, True, params))
