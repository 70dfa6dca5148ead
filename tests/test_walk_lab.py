"""The LAN turn-up walked inside the namespace lab (tests/netlab.py), against hosts it builds.

Every address is in 198.18.0.0/15, inside namespaces: nothing leaves the machine.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pexpect
import pytest
from netlab import GATEWAY, LAPTOP, SILENT, Lab
from walk_support import LAN_ANSWERS

from fieldkit.records.models import Outcome
from fieldkit.records.store import RecordStore

pytestmark = [pytest.mark.netns, pytest.mark.slow]


def turnup_answers(tmp_path: Path, gateway: str) -> Path:
    answers = {
        **LAN_ANSWERS,
        "customer": "深圳某银行",
        "engineer": "李工",
        "customer_ip": LAPTOP,
        "subnet_mask": "255.255.255.0",
        "gateway": gateway,
    }
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(answers, ensure_ascii=False), encoding="utf-8")
    return path


def test_a_turn_up_whose_gateway_answers_ends_passed(netlab: Lab, tmp_path: Path) -> None:
    records = tmp_path / "records"
    done = netlab.fieldkit(
        "run", "lan-turnup", "--answers", str(turnup_answers(tmp_path, GATEWAY)),
        "--records", str(records), "--lang", "en",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    [record] = list(RecordStore(records).iter_records())
    assert record.outcome is Outcome.PASSED
    [attempt] = record.answer_for("ping_gateway").ping_attempts  # type: ignore[union-attr]
    assert attempt["verdict"] == "ok" and attempt["address"] == GATEWAY
    assert attempt["source"]["address"] == LAPTOP


def test_a_turn_up_whose_gateway_ignores_echo_ends_failed_with_the_next_checks(
    netlab: Lab, tmp_path: Path
) -> None:
    records = tmp_path / "records"
    done = netlab.fieldkit(
        "run", "lan-turnup", "--answers", str(turnup_answers(tmp_path, SILENT)),
        "--records", str(records), "--lang", "zh",
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    [record] = list(RecordStore(records).iter_records())
    assert record.outcome is Outcome.FAILED and record.failed_steps == ["ping_gateway"]
    ping = record.answer_for("ping_gateway")
    assert ping is not None and ping.value == "timeout"
    [attempt] = ping.ping_attempts
    assert attempt["verdict"] == "timeout" and attempt["seed_outcome"] == "failure_1"
    assert attempt["explanation"]["next_checks"]  # in Chinese, as the walk ran
    assert attempt["lang"] == "zh"
    customer_device = record.answer_for("customer_device")
    assert customer_device is not None and customer_device.passed is True  # the walk went on
    assert "Request time out" in done.stdout  # the seed's outcome, shown with the verdict


def test_at_the_prompt_a_silent_gateway_is_re_tested_then_recorded_as_failed(
    netlab: Lab, tmp_path: Path
) -> None:
    records = tmp_path / "records"
    answers = {**LAN_ANSWERS, "customer_ip": LAPTOP, "subnet_mask": "/24", "gateway": SILENT}
    child = pexpect.spawn(
        "ip",
        ["netns", "exec", netlab.laptop, sys.executable, "-m", "fieldkit", "run", "lan-turnup",
         "--records", str(records), "--lang", "en", "--customer", "c", "--engineer", "e",
         "--site", "s", "--order", "o", "--order-type", "new", "--grade", "group"],
        env={"NO_COLOR": "1", "COLUMNS": "160", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
        encoding="utf-8", timeout=30, dimensions=(50, 160),
    )  # fmt: skip
    for step_id in ("data_team_ready", "customer_ip", "subnet_mask", "gateway", "pigtail_number",
                    "pigtail_connector", "converter_power", "pigtail_on_odf",
                    "pigtail_into_converter", "laptop_link"):  # fmt: skip
        child.expect("›")
        value = answers[step_id]
        child.sendline("y" if value is True else str(value))
    child.expect(f"Press Enter to ping {SILENT}")
    child.sendline("")
    child.expect(r"Request timed out.*\(timeout\)")
    child.expect("quick re-test")
    child.sendline("k")  # the quick re-test, as after re-seating a connector
    child.expect(f"quick re-test of {SILENT}: 4 echoes 0.2 s apart")
    child.expect(r"Request timed out.*\(timeout\)")
    child.expect("record as failed")
    child.sendline("f")
    child.expect("step 12 of 12")
    child.sendline("y")
    child.expect("Visit completed with failures")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
    [record] = list(RecordStore(records).iter_records())
    ping = record.answer_for("ping_gateway")
    assert ping is not None and ping.passed is False
    assert [attempt["verdict"] for attempt in ping.ping_attempts] == ["timeout", "timeout"]
    full, quick = ping.ping_attempts
    assert (quick["count"], quick["interval_s"], quick["timeout_s"]) == (4, 0.2, 1.0)
    assert full["interval_s"] == 1.0
