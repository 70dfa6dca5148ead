"""A gateway the laptop would answer itself, or that cannot be in the customer's subnet, is
refused when it is typed (or given in an answers file), with the reason."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from records_factory import fields
from walk_support import LAN_ANSWERS, ScriptedPing, lan_turnup

from fieldkit.records.store import RecordStore
from fieldkit.walk.machine import WalkRefused, Walkthrough
from fieldkit.walk.visit import start_walk


def at_gateway(tmp_path: Path, customer_ip: str, mask: str, lang: str = "en") -> Walkthrough:
    walk = start_walk(
        RecordStore(tmp_path / "records"), lan_turnup(), fields(), ping=ScriptedPing(),
        lang=lang,  # type: ignore[arg-type]
    )  # fmt: skip
    walk.answer("data_team_ready", True)
    walk.answer("customer_ip", customer_ip)
    walk.answer("subnet_mask", mask)
    return walk


@pytest.mark.parametrize(
    ("customer_ip", "mask", "gateway", "reason"),
    [
        ("192.168.1.10", "/24", "192.168.1.10",
         "gateway 192.168.1.10 is the same as customer_ip: that is the laptop's own address, "
         "and pinging it tests no line"),
        ("192.168.1.10", "/24", "192.168.1.0",
         "gateway 192.168.1.0 is the network address of 192.168.1.0/24, not a host"),
        ("192.168.1.10", "/24", "192.168.1.255",
         "gateway 192.168.1.255 is the broadcast address of 192.168.1.0/24, not a host"),
        ("192.168.1.10", "/24", "192.168.2.1",
         "gateway 192.168.2.1 is outside 192.168.1.0/24, the subnet of customer_ip "
         "192.168.1.10 with mask 255.255.255.0"),
        ("10.0.0.130", "255.255.255.192", "10.0.0.191",
         "gateway 10.0.0.191 is the broadcast address of 10.0.0.128/26, not a host"),
    ],
)  # fmt: skip
def test_a_gateway_that_cannot_be_the_customers_gateway_is_refused_with_the_reason(
    tmp_path: Path, customer_ip: str, mask: str, gateway: str, reason: str
) -> None:
    walk = at_gateway(tmp_path, customer_ip, mask)
    with pytest.raises(WalkRefused) as refused:
        walk.answer("gateway", gateway)
    assert refused.value.reason.en == reason
    assert refused.value.reason.zh  # bilingual
    assert walk.current().step.id == "gateway"  # type: ignore[union-attr]
    assert walk.record.answer_for("gateway") is None  # nothing stored
    walk.answer("gateway", "10.0.0.129" if customer_ip.startswith("10.") else "192.168.1.1")
    walk.close()


@pytest.mark.parametrize(("mask", "gateway"), [("/30", "172.16.0.2"), ("/8", "10.255.255.254")])
def test_hosts_at_the_edges_of_the_subnet_are_accepted(
    tmp_path: Path, mask: str, gateway: str
) -> None:
    walk = at_gateway(tmp_path, "172.16.0.1" if mask == "/30" else "10.0.0.2", mask)
    walk.answer("gateway", gateway)
    assert walk.record.answer_for("gateway").value == gateway  # type: ignore[union-attr]
    walk.close()


def test_changing_the_customer_ip_asks_for_the_gateway_again_and_checks_it(
    tmp_path: Path,
) -> None:
    walk = at_gateway(tmp_path, "192.168.1.10", "/24")
    walk.answer("gateway", "192.168.1.1")
    for _ in range(3):  # pigtail_number is asked now: back to gateway, subnet_mask, customer_ip
        walk.back()
    assert walk.current().step.id == "customer_ip"  # type: ignore[union-attr]
    walk.answer("customer_ip", "192.168.1.1")  # now the gateway's address
    assert walk.current().step.id == "gateway"  # type: ignore[union-attr]
    gateway = walk.record.answer_for("gateway")
    assert gateway is not None and gateway.value is None
    assert gateway.superseded[0].value == "192.168.1.1"
    with pytest.raises(WalkRefused, match="same as customer_ip"):
        walk.answer("gateway", "192.168.1.1")
    walk.answer("gateway", "192.168.1.254")
    walk.close()


def test_an_answers_file_with_the_customer_ip_as_gateway_stops_at_that_line(
    tmp_path: Path,
) -> None:
    answers = dict(LAN_ANSWERS, gateway=LAN_ANSWERS["customer_ip"])
    path = tmp_path / "answers.yaml"
    path.write_text("".join(f"{key}: {json.dumps(value)}\n" for key, value in answers.items()))
    env = {**os.environ, "FIELDKIT_RECORDS": str(tmp_path / "records"),
           "FIELDKIT_CONFIG": str(tmp_path / "config.toml")}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "fieldkit", "run", "lan-turnup", "--answers", str(path),
         "--customer", "C", "--engineer", "E", "--lang", "en"],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "gateway" in text)
    assert f"answers.yaml:{line}:" in done.stderr
    assert "step gateway: gateway 127.0.0.2 is the same as customer_ip" in done.stderr
    assert "Traceback" not in done.stderr
