"""`fieldkit checklists list|show|validate|schema` and `fieldkit tools`, as engineers run them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cli_runner import invoke, json_payload

from fieldkit.cells import cell_width
from fieldkit.checklist.load import load_checklist
from fieldkit.checklist.models import Checklist
from fieldkit.paths import builtin_checklists_dir, data_dir

BUILTIN_FILES = sorted(builtin_checklists_dir().glob("*.yaml"))


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIELDKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("FIELDKIT_USER_CHECKLISTS", str(tmp_path / "user-checklists"))
    monkeypatch.delenv("FIELDKIT_CHECKLISTS", raising=False)
    monkeypatch.delenv("FIELDKIT_LANG", raising=False)


def test_list_piped_is_one_tab_separated_line_per_checklist_in_the_chosen_language() -> None:
    english = invoke("checklists", "list", "--lang", "en")
    assert english.exit_code == 0
    header, *rows = english.stdout.splitlines()
    assert header.split("\t") == ["id", "kind", "version", "title", "from"]
    lan = next(row.split("\t") for row in rows if row.startswith("lan-turnup\t"))
    assert lan == ["lan-turnup", "turnup", "1.1", "LAN leased-line turn-up", "built-in"]
    chinese = invoke("checklists", "list", env={"FIELDKIT_LANG": "zh"})
    assert "专线LAN接入开通调测" in chinese.stdout


def test_list_json_is_data_on_stdout() -> None:
    result = invoke("checklists", "list", "--json")
    entries = {entry["id"]: entry for entry in json_payload(result.stdout, "fieldkit.checklists/1")}
    lan = entries["lan-turnup"]
    assert lan["title"]["zh"] == "专线LAN接入开通调测"
    assert (lan["kind"], lan["origin"], lan["valid"], lan["problems"]) == (
        "turnup",
        "built-in",
        True,
        [],
    )
    assert result.stderr == ""


def test_list_marks_a_broken_checklist_and_says_how_to_see_why(tmp_path: Path) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "site.yaml").write_text("schema: 1\nid: site\nsteps: [\n", encoding="utf-8")
    result = invoke("checklists", "list", "--checklists", str(extra))
    assert result.exit_code == 0
    row = next(line for line in result.stdout.splitlines() if line.startswith("site\t"))
    assert "INVALID" in row
    assert f"fieldkit checklists validate {extra / 'site.yaml'}" in result.stderr


def test_an_unknown_language_is_a_usage_error() -> None:
    result = invoke("checklists", "list", "--lang", "fr")
    assert result.exit_code == 2
    assert "'fr' is not one of 'zh', 'en'" in result.stderr


def test_show_draws_conditions_lights_and_choices() -> None:
    result = invoke("checklists", "show", "lan-turnup", "--lang", "en")
    assert result.exit_code == 0
    text = result.stdout
    assert "LAN leased-line turn-up" in text
    assert "when: pigtail_connector = FC" in text
    assert "lights: PW normal" in text
    assert "ping gateway (mask subnet_mask): count 4" in text
    wide = invoke("checklists", "show", "lan-turnup", "--lang", "en", env={"COLUMNS": "200"})
    assert "slow ≥ 50 ms (passes with a warning)" in wide.stdout
    assert text.index("customer_ip") < text.index("pigtail_on_odf") < text.index("customer_device")


def test_show_in_chinese_translates_the_labels() -> None:
    result = invoke("checklists", "show", "lan-turnup", "--lang", "zh")
    assert "条件: pigtail_connector = FC" in result.stdout
    assert "指示灯: PW 正常" in result.stdout


@pytest.mark.parametrize("columns", [80, 120])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_show_wraps_texts_where_a_reader_expects(columns: int, lang: str) -> None:
    result = invoke(
        "checklists", "show", "lan-turnup", "--lang", lang, env={"COLUMNS": str(columns)}
    )
    lines = result.stdout.splitlines()
    assert all(cell_width(line) <= columns for line in lines)
    texts = [line.lstrip("│├└─ ") for line in lines]
    assert not [text for text in texts if text.startswith(tuple("。，、；：,.;:)）"))]
    # Light names are never cut in two (Rich alone cut `LNK` after `LN` in Chinese).
    assert not [text for text in texts if text.endswith(("LN", "RL")) or text.startswith("K")]


def test_show_names_the_passing_choices_by_their_labels() -> None:
    chinese = invoke("checklists", "show", "customer-visit", "--lang", "zh", env={"COLUMNS": "200"})
    assert "合格项: 满意, 基本满意\n" in chinese.stdout
    english = invoke("checklists", "show", "customer-visit", "--lang", "en", env={"COLUMNS": "200"})
    assert "passing: satisfied, mostly satisfied\n" in english.stdout


def test_show_ranges_of_a_reading(tmp_path: Path) -> None:
    (tmp_path / "rx.yaml").write_text(
        'schema: 1\nid: rx\nversion: "1"\nkind: turnup\ntitle: RX\ndescription: RX\nsteps:\n'
        "  - {id: rx_power, type: record, input: decimal, unit: dBm, title: RX,\n"
        "     min: -50, expect: {min: -27, max: -8}, warn: {min: -25, max: -8}}\n",
        encoding="utf-8",
    )
    result = invoke("checklists", "show", str(tmp_path / "rx.yaml"), "--lang", "en")
    assert "range −50..… dBm; expect −27..−8 dBm; warn −25..−8 dBm" in result.stdout


def test_show_json_is_the_validated_model() -> None:
    result = invoke("checklists", "show", "lan-turnup", "--json")
    shown = Checklist.model_validate(json_payload(result.stdout, "fieldkit.checklist/1"))
    assert shown == load_checklist(builtin_checklists_dir() / "lan-turnup.yaml").checklist


def test_show_accepts_a_path_and_rejects_an_unknown_id(tmp_path: Path) -> None:
    path = builtin_checklists_dir() / "customer-visit.yaml"
    assert invoke("checklists", "show", str(path), "--lang", "en").exit_code == 0
    unknown = invoke("checklists", "show", "lan-trunup")
    assert unknown.exit_code == 2
    assert "did you mean 'lan-turnup'" in unknown.stderr


@pytest.mark.parametrize("path", BUILTIN_FILES, ids=lambda path: path.stem)
def test_every_builtin_validates(path: Path) -> None:
    result = invoke("checklists", "validate", str(path))
    assert (result.exit_code, result.stdout) == (0, "ok: 1 checklist file(s) valid\n")


def test_validate_a_folder_counts_its_files() -> None:
    result = invoke("checklists", "validate", str(builtin_checklists_dir()))
    assert result.exit_code == 0
    assert result.stdout == f"ok: {len(BUILTIN_FILES)} checklist file(s) valid\n"


def test_validate_a_missing_file_or_an_empty_folder(tmp_path: Path) -> None:
    result = invoke("checklists", "validate", str(tmp_path / "gone.yaml"), str(tmp_path))
    assert result.exit_code == 2
    assert result.stdout.splitlines() == [
        f"{tmp_path}: no checklist files (*.yaml, *.yml) in this folder",
        f"{tmp_path / 'gone.yaml'}:1:1: no such file",
    ]


def test_validate_flags_a_second_file_with_the_same_id_in_one_folder(tmp_path: Path) -> None:
    lan = (builtin_checklists_dir() / "lan-turnup.yaml").read_text(encoding="utf-8")
    (tmp_path / "a-lan.yaml").write_text(lan, encoding="utf-8")
    copy = "# my site's version of the LAN turn-up\n" + lan
    (tmp_path / "b-lan.yaml").write_text(copy, encoding="utf-8")
    id_line = copy.splitlines().index("id: lan-turnup") + 1

    result = invoke("checklists", "validate", str(tmp_path))

    assert result.exit_code == 2
    assert result.stdout.splitlines() == [
        f"{tmp_path / 'b-lan.yaml'}:{id_line}:1: id: 'lan-turnup' is already the id of "
        "a-lan.yaml in this folder; the search path would use only one of the two files"
    ]
    assert result.stderr == "1 problem(s) in 1 of 2 file(s)\n"


def test_the_same_id_in_different_folders_is_an_override_not_a_problem(tmp_path: Path) -> None:
    (tmp_path / "lan-turnup.yaml").write_text(
        (builtin_checklists_dir() / "lan-turnup.yaml").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    result = invoke("checklists", "validate", str(builtin_checklists_dir()), str(tmp_path))
    assert result.exit_code == 0, result.stdout


def test_data_validate_checks_the_shipped_data_by_default() -> None:
    result = invoke("data", "validate")
    assert (result.exit_code, result.stdout) == (0, "ok: 2 data file(s) valid\n")


def _data_copy(folder: Path, name: str, old: str, new: str) -> tuple[Path, int]:
    """A copy of a shipped data file with one change, and the line of the change."""
    text = (data_dir() / name).read_text(encoding="utf-8")
    assert old in text
    path = folder / name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path, text[: text.index(old)].count("\n") + 1


def test_data_validate_points_at_a_broken_sla_file(tmp_path: Path) -> None:
    path, line = _data_copy(tmp_path, "sla.yaml", "minutes: 30", "minutes: half an hour")
    result = invoke("data", "validate", str(tmp_path))
    assert result.exit_code == 2
    assert result.stdout.startswith(
        f"{path}:{line}:7: fault_process.windows[1].minutes: Input should be a valid integer"
    )
    assert result.stderr == "1 problem(s) in 1 of 1 file(s)\n"


def test_data_validate_reads_ping_outcomes_with_the_catalogue_model(tmp_path: Path) -> None:
    path, line = _data_copy(tmp_path, "ping_outcomes.yaml", "  ok:", "  okay:")
    result = invoke("data", "validate", str(path))
    assert result.exit_code == 2
    assert result.stdout.startswith(f"{path}:{line}:3: verdicts.okay")
    assert "should be 'ok'" in result.stdout


def test_data_validate_names_a_file_it_does_not_know(tmp_path: Path) -> None:
    unknown = tmp_path / "slas.yaml"
    unknown.write_text("schema: 1\n", encoding="utf-8")
    result = invoke("data", "validate", str(unknown))
    assert result.exit_code == 2
    assert result.stdout == (
        f"{unknown}:1:1: not a fieldkit data file: "
        "the data files are named sla.yaml and ping_outcomes.yaml\n"
    )


def test_data_validate_of_a_missing_file_says_so(tmp_path: Path) -> None:
    missing = tmp_path / "sla-copy.yaml"
    result = invoke("data", "validate", str(missing))
    assert result.exit_code == 2
    assert result.stdout == f"{missing}:1:1: no such file\n"


def test_schema_describes_the_language_for_editors() -> None:
    result = invoke("checklists", "schema")
    schema = json.loads(result.stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["properties"]["schema"]["const"] == 1
    assert set(schema["required"]) >= {"schema", "id", "version", "kind", "title", "steps"}
    step_types = {
        definition["properties"]["type"]["const"]
        for definition in schema["$defs"].values()
        if "type" in definition.get("properties", {})
        and "const" in definition["properties"]["type"]
    }
    assert step_types == {
        "instruction",
        "check",
        "record",
        "ping",
        "tools",
        "attachment",
        "signature",
        "followups",
    }


def test_tools_is_a_tick_off_list_with_quantities() -> None:
    result = invoke("tools", "lan-turnup", "--lang", "en")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "LAN leased-line turn-up (lan-turnup)"
    assert "[ ] 1 × optical power meter" in lines
    assert "[ ] 2 × flange adapter FC-FC" in lines
    assert all(line.startswith("[ ] ") for line in lines[1:])


def test_tools_json_and_a_checklist_without_tools() -> None:
    data = json_payload(invoke("tools", "lan-turnup", "--json").stdout, "fieldkit.tools/1")
    quantities = {tool["id"]: tool["quantity"] for tool in data["tools"]}
    assert quantities["pigtail_sc_sc"] == 2
    result = invoke("tools", "customer-visit")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "lists no tools" in result.stderr


def test_version_does_not_load_the_heavy_libraries() -> None:
    script = (
        "import sys\n"
        "sys.argv = ['fieldkit', '--version']\n"
        "from fieldkit.__main__ import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('pydantic', 'yaml', 'rich', 'ping3') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.stdout.splitlines() == [result.stdout.splitlines()[0], "[]"]
    assert result.stdout.startswith("fieldkit ")
