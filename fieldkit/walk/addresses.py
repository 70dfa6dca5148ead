"""The gateway a ping step tests, checked against the laptop's own address and mask.

A ping step that names `own_ip` (the customer IP the laptop takes) has its target checked
when the last of those records is answered: the walk refuses a gateway the laptop would answer
itself, or one that cannot be a host of the customer's subnet. The ping engine's `own_address`
verdict covers what only the engine can know (an address of another card, a route by `lo`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from fieldkit.checklist.models import Checklist, PingStep
from fieldkit.text import Text


def address_steps(ping: PingStep) -> list[str]:
    """The records a ping's address check reads: own_ip, mask (if any) and target."""
    assert ping.own_ip is not None
    return [ping.own_ip, *([ping.mask] if ping.mask else []), ping.target]


def address_checks(checklist: Checklist) -> dict[str, list[PingStep]]:
    """Record step id -> the pings whose address check runs when it is answered: the last of
    the check's records in the checklist (the gateway, in the built-ins), once all are known."""
    checks: dict[str, list[PingStep]] = {}
    for step in checklist.steps:
        if isinstance(step, PingStep) and step.own_ip is not None:
            last = max(address_steps(step), key=lambda name: checklist.step_index(name) or 0)
            checks.setdefault(last, []).append(step)
    return checks


def address_problem(ping: PingStep, values: Mapping[str, Any]) -> Text | None:
    """Why the ping's target cannot be the gateway of the laptop's address and mask, if so."""
    assert ping.own_ip is not None
    target, own = values.get(ping.target), values.get(ping.own_ip)
    if not isinstance(target, str) or not isinstance(own, str):
        return None
    if target == own:
        return Text(
            zh=f"{ping.target} {target} 与 {ping.own_ip} 相同：那是笔记本自己要用的地址，"
            "ping 它测试不到线路",
            en=f"{ping.target} {target} is the same as {ping.own_ip}: that is the laptop's own "
            "address, and pinging it tests no line",
        )
    mask = values.get(ping.mask) if ping.mask else None
    if not isinstance(mask, str):
        return None
    network = ipaddress.ip_network(f"{own}/{mask}", strict=False)
    address = ipaddress.ip_address(target)
    if address not in network:
        return Text(
            zh=f"{ping.target} {target} 不在 {ping.own_ip} {own} 与掩码 {mask} 所在的网段 "
            f"{network} 内",
            en=f"{ping.target} {target} is outside {network}, the subnet of {ping.own_ip} "
            f"{own} with mask {mask}",
        )
    if network.prefixlen < 31 and address == network.network_address:
        return Text(
            zh=f"{ping.target} {target} 是网段 {network} 的网络地址，不是主机地址",
            en=f"{ping.target} {target} is the network address of {network}, not a host",
        )
    if network.prefixlen < 31 and address == network.broadcast_address:
        return Text(
            zh=f"{ping.target} {target} 是网段 {network} 的广播地址，不是主机地址",
            en=f"{ping.target} {target} is the broadcast address of {network}, not a host",
        )
    return None
