"""`fieldkit run`, `resume` and `demo` as a user runs them, without a terminal (answers files).

Pings go to 127.0.0.1 only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_runner import json_payload
from walk_support import LAN_ANSWERS, QUICK_TURNUP

from fieldkit.records.models import Outcome, VisitStatus
from fieldkit.records.store import RecordStore


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "FIELDKIT_RECORDS": str(tmp_path / "records"),
        "FIELDKIT_CONFIG": str(tmp_path / "config.yaml"),
        "FIELDKIT_LANG": "en",
        "COLUMNS": "120",
    }


@pytest.fixture
def quick(tmp_path: Path) -> Path:
    path = tmp_path / "quick-turnup.yaml"
    path.write_text(QUICK_TURNUP, encoding="utf-8")
    return path


def fieldkit(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fieldkit", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def answers_file(tmp_path: Path, content: dict[str, object], name: str = "answers.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")
    return path


def store(env: dict[str, str]) -> RecordStore:
    return RecordStore(env["FIELDKIT_RECORDS"])


def test_the_lan_turn_up_from_an_answers_file_passes_and_says_where_the_record_is(
    tmp_path: Path, env: dict[str, str]
) -> None:
    answers = answers_file(tmp_path, {"customer": "深圳某银行", "grade": "local-a", **LAN_ANSWERS})
    done = fieldkit(
        env,
        "run",
        "lan-turnup",
        "--answers",
        str(answers),
        "--engineer",
        "李工",
        "--order-type",
        "relocate",
    )
    assert done.returncode == 0, done.stderr
    [record] = list(store(env).iter_records())
    assert record.status is VisitStatus.COMPLETED and record.outcome is Outcome.PASSED
    assert (record.engineer, record.customer) == ("李工", "深圳某银行")
    assert (record.grade, record.order_type) == ("local-a", "relocate")
    assert str(store(env).visit_dir(record.visit_id) / "visit.json") in done.stdout
    assert f"fieldkit visits show {record.visit_id}" in done.stdout
    assert "Connection normal" in done.stdout


def test_a_failed_step_completes_the_visit_with_exit_1(
    tmp_path: Path, env: dict[str, str], quick: Path
) -> None:
    answers = answers_file(tmp_path, {"gateway": "127.0.0.1", "cabled": False})
    done = fieldkit(
        env, "run", str(quick), "--answers", str(answers), "--customer", "c", "--engineer", "e"
    )
    assert done.returncode == 1, done.stderr
    [record] = list(store(env).iter_records())
    assert record.outcome is Outcome.FAILED and record.failed_steps == ["cabled"]
    assert record.answer_for("remarks").skipped  # type: ignore[union-attr]


def test_an_invalid_answer_is_one_line_naming_the_step_exit_2_and_resume_finishes(
    tmp_path: Path, env: dict[str, str], quick: Path
) -> None:
    answers = answers_file(tmp_path, {"customer": "c", "gateway": "127.0.0.1", "cabled": "maybe"})
    done = fieldkit(env, "run", str(quick), "--answers", str(answers), "--engineer", "e")
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert "step cabled: answer yes or no (y/n)" in line and "saved as in progress" in line
    [record] = list(store(env).iter_records())
    assert record.status is VisitStatus.IN_PROGRESS
    assert [answer.step_id for answer in record.answers] == ["gateway"]

    fixed = answers_file(tmp_path, {"cabled": True, "remarks": "ok"}, "rest.yaml")
    resumed = fieldkit(env, "resume", record.visit_id[-6:], "--answers", str(fixed))
    assert resumed.returncode == 0, resumed.stderr
    finished = store(env).load(record.visit_id)
    assert finished.outcome is Outcome.PASSED
    assert finished.answer_for("ping_gateway").ping_attempts[0]["verdict"] == "ok"  # type: ignore[union-attr]


def test_needed_visit_fields_cannot_be_asked_without_a_terminal(
    tmp_path: Path, env: dict[str, str], quick: Path
) -> None:
    answers = answers_file(tmp_path, {"gateway": "127.0.0.1", "cabled": True})
    done = fieldkit(env, "run", str(quick), "--answers", str(answers), "--engineer", "e")
    assert done.returncode == 2
    assert "the visit needs a customer: give --customer" in done.stderr
    assert not list(store(env).iter_records())
    done = fieldkit(env, "run", str(quick), "--answers", str(answers), "--customer", "c")
    assert done.returncode == 2
    assert f"the visit needs an engineer: give --engineer or `engineer:` in {answers}" in (
        done.stderr
    )


def test_the_engineer_defaults_to_the_config_file(
    tmp_path: Path, env: dict[str, str], quick: Path
) -> None:
    Path(env["FIELDKIT_CONFIG"]).write_text("engineer: 王工\n", encoding="utf-8")
    answers = answers_file(tmp_path, {"customer": "c", "gateway": "127.0.0.1", "cabled": True})
    assert fieldkit(env, "run", str(quick), "--answers", str(answers)).returncode == 0
    [record] = list(store(env).iter_records())
    assert record.engineer == "王工"


def test_a_broken_config_file_is_reported_with_its_line(
    tmp_path: Path, env: dict[str, str], quick: Path
) -> None:
    Path(env["FIELDKIT_CONFIG"]).write_text("enginer: 王工\n", encoding="utf-8")
    answers = answers_file(tmp_path, {"customer": "c", "gateway": "127.0.0.1", "cabled": True})
    done = fieldkit(env, "run", str(quick), "--answers", str(answers))
    assert done.returncode == 2
    assert f"{env['FIELDKIT_CONFIG']}:1:1:" in done.stderr and "engineer" in done.stderr


def test_an_unknown_step_in_the_answers_file_fails_before_any_visit(
    tmp_path: Path, env: dict[str, str], quick: Path
) -> None:
    answers = write_yaml(tmp_path, "customer: c\nengineer: e\ngatewya: 127.0.0.1\n")
    done = fieldkit(env, "run", str(quick), "--answers", str(answers))
    assert done.returncode == 2
    assert (
        f"{answers}:3:1: no step 'gatewya' in checklist quick-turnup (did you mean gateway?)"
        in (done.stderr)
    )
    assert not list(store(env).iter_records())


def test_grade_and_order_type_options_take_the_data_files_ids_and_names(
    tmp_path: Path, env: dict[str, str], quick: Path
) -> None:
    answers = write_yaml(
        tmp_path, "engineer: e\ncustomer: c\ngateway: 127.0.0.1\ncabled: 好\nremarks: 无\n"
    )
    done = fieldkit(env, "run", str(quick), "--answers", str(answers), "--grade", "platinum")
    assert done.returncode == 2
    assert done.stderr == (
        "fieldkit: error: grade 'platinum' is not one of group, province, local-a, local-b, "
        "local-c (or 1..5)\n"
    )
    assert not list(store(env).iter_records())
    done = fieldkit(
        env, "run", str(quick), "--answers", str(answers), "--grade", "本地B", "--order-type", "4"
    )
    assert done.returncode == 0, done.stderr
    [record] = list(store(env).iter_records())
    assert (record.grade, record.order_type) == ("local-b", "change")


def test_a_list_or_bad_choice_for_a_visit_field_names_the_file_and_line(
    tmp_path: Path, env: dict[str, str], quick: Path
) -> None:
    answers = write_yaml(tmp_path, "engineer: e\ncustomer: [1, 2]\ngateway: 127.0.0.1\n")
    done = fieldkit(env, "run", str(quick), "--answers", str(answers))
    assert done.returncode == 2
    assert f"{answers}:2:1: customer: expected text, not a list or mapping" in done.stderr
    answers = write_yaml(tmp_path, "engineer: e\ncustomer: c\norder_type: bogus\n")
    done = fieldkit(env, "run", str(quick), "--answers", str(answers))
    assert done.returncode == 2
    assert f"{answers}:3:1: order_type 'bogus' is not one of" in done.stderr
    answers = write_yaml(tmp_path, "engineer: e\ncustomer: c\norder_type: 新装\n")
    done = fieldkit(env, "run", str(quick), "--answers", str(answers), "--lang", "zh")
    assert done.returncode == 2
    assert f"{answers}:3:1: 工单类型“新装”不是可选项：1 开通、2 移机、3 拆机、4 改参" in done.stderr
    assert not list(store(env).iter_records())


def test_a_visit_field_in_an_answers_file_may_be_given_by_its_number_or_chinese_label(
    tmp_path: Path, env: dict[str, str], quick: Path
) -> None:
    answers = write_yaml(
        tmp_path,
        "engineer: e\ncustomer: c\norder_type: 移机\ngrade: ３\n"
        "gateway: 127.0.0.1\ncabled: 好\nremarks: 无\n",
    )
    done = fieldkit(env, "run", str(quick), "--answers", str(answers))
    assert done.returncode == 0, done.stderr
    [record] = list(store(env).iter_records())
    assert (record.order_type, record.grade) == ("relocate", "local-a")


def test_a_number_or_null_as_a_step_id_is_reported_at_its_own_line(
    tmp_path: Path, env: dict[str, str], quick: Path
) -> None:
    answers = write_yaml(tmp_path, "engineer: e\ncustomer: c\n1: 127.0.0.1\nnull: x\n")
    done = fieldkit(env, "run", str(quick), "--answers", str(answers))
    assert done.returncode == 2
    assert f"{answers}:3:1: 1 is not a step id" in done.stderr
    assert f"{answers}:4:1: None is not a step id" in done.stderr


def write_yaml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "answers.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_visit_in_progress_for_the_same_customer_is_mentioned_and_a_new_one_started(
    tmp_path: Path, env: dict[str, str], quick: Path
) -> None:
    partial = answers_file(tmp_path, {"customer": "c", "engineer": "e", "gateway": "127.0.0.1"})
    assert fieldkit(env, "run", str(quick), "--answers", str(partial)).returncode == 2
    [first] = list(store(env).iter_records())
    full = answers_file(
        tmp_path, {"customer": "c", "engineer": "e", "gateway": "127.0.0.1", "cabled": True}, "b"
    )
    done = fieldkit(env, "run", str(quick), "--answers", str(full))
    assert done.returncode == 0
    assert f"fieldkit resume {first.visit_id}" in done.stderr
    assert len(list(store(env).iter_records())) == 2

    # In Chinese the whole line is Chinese: "Starting a new visit; ..." used to follow.
    again = fieldkit(env, "run", str(quick), "--answers", str(full), "--lang", "zh")
    assert again.returncode == 0
    [line] = [line for line in again.stderr.splitlines() if first.visit_id in line]
    assert line.endswith(f"已开始新的走访；继续那次走访：fieldkit resume {first.visit_id}")
    assert "Starting" not in line


def test_resume_without_an_id_and_without_a_terminal_lists_the_visits(
    tmp_path: Path, env: dict[str, str], quick: Path
) -> None:
    assert fieldkit(env, "resume").returncode == 2
    partial = answers_file(tmp_path, {"customer": "c", "engineer": "e"})
    fieldkit(env, "run", str(quick), "--answers", str(partial))
    [record] = list(store(env).iter_records())
    done = fieldkit(env, "resume")
    assert done.returncode == 2 and record.visit_id in done.stderr


def test_a_completed_visit_cannot_be_resumed(
    tmp_path: Path, env: dict[str, str], quick: Path
) -> None:
    answers = answers_file(
        tmp_path, {"customer": "c", "engineer": "e", "gateway": "127.0.0.1", "cabled": True}
    )
    fieldkit(env, "run", str(quick), "--answers", str(answers))
    [record] = list(store(env).iter_records())
    done = fieldkit(env, "resume", record.visit_id)
    assert done.returncode == 2 and "completed" in done.stderr


def test_the_demo_walks_the_turn_up_pings_loopback_and_shows_the_record(
    tmp_path: Path, env: dict[str, str]
) -> None:
    folder = tmp_path / "demo"
    done = fieldkit(env, "demo", "--records", str(folder))
    assert done.returncode == 0, done.stderr
    [record] = list(RecordStore(folder).iter_records())
    assert record.outcome is Outcome.PASSED and record.checklist.id == "lan-turnup"
    attempt = record.answer_for("ping_gateway").ping_attempts[0]  # type: ignore[union-attr]
    assert attempt["target"] == "127.0.0.1" and attempt["statistics"]["received"] == 4
    assert "Visit record" in done.stdout and record.visit_id in done.stdout
    assert "The demo pings 127.0.0.1, this laptop's loopback" in " ".join(done.stdout.split())


def test_an_in_progress_record_of_an_older_fieldkit_resumes_to_the_end(
    tmp_path: Path, env: dict[str, str]
) -> None:
    fixture = Path(__file__).parent / "fixtures" / "records" / "v1-in-progress.json"
    visit_id = json.loads(fixture.read_text(encoding="utf-8"))["visit_id"]
    folder = Path(env["FIELDKIT_RECORDS"]) / visit_id
    folder.mkdir(parents=True)
    (folder / "visit.json").write_bytes(fixture.read_bytes())
    rest = answers_file(tmp_path, {"converter_power": True})
    done = fieldkit(env, "resume", visit_id[-10:], "--answers", str(rest))
    assert done.returncode == 0, done.stderr
    assert "127.0.0.1" in done.stdout  # the answer given before is listed first
    record = store(env).load(visit_id)
    assert record.status is VisitStatus.COMPLETED and record.outcome is Outcome.PASSED
    assert record.answer_for("gateway").value == "127.0.0.1"  # type: ignore[union-attr]


def test_without_a_terminal_and_without_answers_nothing_is_started(
    env: dict[str, str], quick: Path
) -> None:
    done = fieldkit(env, "run", str(quick), "--customer", "c", "--engineer", "e")
    assert done.returncode == 2
    assert "no terminal to ask on: give the answers with --answers FILE" in done.stderr
    assert not Path(env["FIELDKIT_RECORDS"]).exists()


def test_the_demo_keeps_its_visits_in_the_folder_it_names_and_the_quick_start_report_reads_them(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """After `make demo`, the quick start's `report summary` line failed: the demo had written
    to a new temporary folder; now it uses one demo folder, apart from real records."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**env, "XDG_DATA_HOME": str(tmp_path / "data"), "TMPDIR": str(scratch)}
    env.pop("FIELDKIT_DEMO_RECORDS", None)
    folder = tmp_path / "data" / "fieldkit" / "demo-records"
    for _ in range(2):
        done = fieldkit(env, "demo")
        assert done.returncode == 0, done.stderr
        assert f"Demo records go to {folder}" in done.stdout
    assert len(list(RecordStore(folder).iter_records())) == 2  # the same folder, reused
    assert not list(scratch.iterdir())  # nothing left in the temporary folder
    assert not Path(env["FIELDKIT_RECORDS"]).exists()  # real records stay apart
    report_line = done.stdout.strip().splitlines()[-1]
    assert report_line == f"A report of the demo visits: fieldkit report summary {folder}"
    report = fieldkit(env, "report", "summary", str(folder))
    assert report.returncode == 0, report.stderr
    assert "visits\t2\n" in report.stdout and "lan-turnup\tturnup\t2\t2" in report.stdout


def test_a_fault_repair_records_what_its_limit_depends_on_and_the_report_measures_it(
    tmp_path: Path, env: dict[str, str]
) -> None:
    # Choices by number, as typed at the prompt: 2 = the account manager, 5 = 800/4008,
    # 1 = industry and high-end customers, 4 = ordinary circuit, 2 = FTTO (GPON).
    answers = answers_file(tmp_path, {
        "customer": "深圳某银行", "engineer": "李工", "grade": "local-b",
        "fault_reported_at": "2024-05-09T08:00+08:00", "fault_channel": 2,
        "business_category": 5, "customer_class": 1, "circuit_grade": 4,
        "dispatched_at": "2024-05-09T08:10+08:00", "accepted_at": "2024-05-09T08:30+08:00",
        "arrived_at": "2024-05-09T09:30+08:00", "fault_symptom": "业务中断",
        "access_type": 2, "optical_light": True, "rx_power_gpon": -26.5,
        "ethernet_link": True, "customer_ip": "127.0.0.2", "subnet_mask": "/8",
        "gateway": "127.0.0.1", "cause": "connector_dirty", "action_taken": "清洁接头",
        "service_restored": True, "restored_at": "2024-05-09T19:00+08:00",
        "customer_confirmed_at": "2024-05-09T19:10+08:00", "customer_signature": "陈经理",
    })  # fmt: skip
    done = fieldkit(env, "run", "fault-repair", "--answers", str(answers))
    assert done.returncode == 0, done.stderr
    [record] = list(store(env).iter_records())
    stored = {a.step_id: a.value for a in record.answers if not a.skipped}
    assert (stored["fault_channel"], stored["business_category"]) == (
        "account_manager", "number_800_4008"
    )
    assert (stored["customer_class"], stored["circuit_grade"]) == ("industry_high_end", "ordinary")
    # The GPON band was applied (-26.5 dBm passes with a thin-margin warning), not the LAN one.
    gpon = record.answer_for("rx_power_gpon")
    assert gpon is not None and gpon.passed is True and gpon.warning
    assert record.answer_for("rx_power_p2p").skipped  # type: ignore[union-attr]

    report = fieldkit(env, "report", "summary", env["FIELDKIT_RECORDS"], "--json")
    repairs = json_payload(report.stdout, "fieldkit.report-summary/1")["summary"]["repairs"]
    # 11 hours against the seed's 12 h for 800/4008 industry and high-end customers.
    assert (repairs["measured"], repairs["within_limit"], repairs["measured_assumed"]) == (1, 1, 0)
    assert repairs["by_limit"][0]["limit"] == "12 h" and repairs["by_limit"][0]["source"] == "seed"


REPAIR_ANSWERS: dict[str, object] = {
    "customer": "深圳某银行",
    "engineer": "李工",
    "fault_reported_at": "2024-05-12 09:00",
    "fault_channel": 2,
    "business_category": 5,
    "customer_class": 1,
    "circuit_grade": 4,
    "dispatched_at": "2024-05-12 09:10",
    "accepted_at": "2024-05-12 09:20",
    "arrived_at": "2024-05-12 10:00",
    "fault_symptom": "业务中断",
    "access_type": 2,  # FTTO (GPON)
    "optical_light": False,  # the diagnosis: no light...
    "rx_power_gpon": "-35 dBm",  # ...and far too little of it
    "ethernet_link": True,
    "customer_ip": "127.0.0.2",
    "subnet_mask": "/8",
    "gateway": "127.0.0.1",
    "cause": "connector_dirty",
    "action_taken": "清洁接头，更换尾纤",
    "service_restored": True,
    "restored_at": "2024-05-12 10:40",
    "customer_confirmed_at": "2024-05-12 10:45",
    "customer_signature": "陈经理",
}


def test_a_repair_that_restored_service_exits_0_and_its_diagnosis_is_findings(
    tmp_path: Path, env: dict[str, str]
) -> None:
    answers = answers_file(tmp_path, REPAIR_ANSWERS)
    done = fieldkit(env, "run", "fault-repair", "--answers", str(answers))
    assert done.returncode == 0, done.stderr
    [record] = list(store(env).iter_records())
    assert record.outcome is Outcome.RESTORED and record.failed_steps == []
    assert record.findings == ["optical_light", "rx_power_gpon"]
    assert "Visit completed: service restored" in done.stdout
    assert "Findings (2): optical_light, rx_power_gpon" in done.stdout

    listed = fieldkit(env, "visits", "list", "--json")
    [row] = json_payload(listed.stdout, "fieldkit.visits/1")
    assert (row["outcome"], row["failed_steps"], row["findings"]) == (
        "restored", [], ["optical_light", "rx_power_gpon"]
    )


def test_a_repair_that_did_not_restore_service_exits_1_and_claims_no_restoration_time(
    tmp_path: Path, env: dict[str, str]
) -> None:
    answers = {**REPAIR_ANSWERS, "service_restored": False}
    done = fieldkit(env, "run", "fault-repair", "--answers", str(answers_file(tmp_path, answers)))
    assert done.returncode == 1, done.stderr
    [record] = list(store(env).iter_records())
    assert record.outcome is Outcome.NOT_RESTORED
    assert record.failed_steps == ["service_restored"]
    assert record.findings == ["optical_light", "rx_power_gpon"]
    for step_id in ("restored_at", "customer_confirmed_at"):
        assert record.answer_for(step_id).skipped  # type: ignore[union-attr]
    assert "Visit completed: service NOT restored" in done.stdout
