"""Every broken checklist reports exactly the `file:line:col: message` its first lines expect,
through the core loader and end to end through `fieldkit checklists validate` and `show`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cli_runner import invoke

from fieldkit.checklist.load import checklist_from_text
from fieldkit.checklist.validation import check_checklists
from fieldkit.errors import ValidationFailed
from fieldkit.yamlsafe import MAX_FILE_BYTES

CORPUS = Path(__file__).parent / "broken_checklists"
BROKEN_FILES = sorted(CORPUS.glob("*.yaml"))
EXPECT = re.compile(rb"^# expect: (\d+):(\d+) (.+)$")


def expected_problems(path: Path) -> list[tuple[str, str]]:
    """The `# expect: LINE:COL fragment` lines at the top of a corpus file."""
    found = []
    for line in path.read_bytes().splitlines():
        match = EXPECT.match(line)
        if not match:
            break
        found.append((f"{path}:{int(match[1])}:{int(match[2])}: ", match[3].decode()))
    return found


def test_the_corpus_covers_the_validation_list() -> None:
    names = {path.stem for path in BROKEN_FILES}
    assert {
        "yaml_syntax",
        "duplicate_key",
        "unknown_key_did_you_mean",
        "wrong_type",
        "missing_field",
        "duplicate_step_id",
        "when_unknown_step",
        "when_later_step",
        "ping_target_unknown",
        "ping_target_later",
        "choices_empty",
        "choices_repeated",
        "range_min_above_max",
        "missing_en",
        "wrong_schema",
        "not_utf8",
        "empty",
        "billion_laughs",
        "deep_nesting",
        "python_tag",
    } <= names


@pytest.mark.parametrize("path", BROKEN_FILES, ids=lambda path: path.stem)
def test_loader_reports_exactly_the_expected_problems(path: Path) -> None:
    expected = expected_problems(path)
    assert expected, f"{path.name} has no `# expect:` line"
    problems = check_checklists([path]).problems
    assert len(problems) == len(expected), problems
    for (prefix, fragment), problem in zip(expected, problems, strict=True):
        assert problem.startswith(prefix), problem
        assert fragment in problem[len(prefix) :], problem


@pytest.mark.parametrize("path", BROKEN_FILES, ids=lambda path: path.stem)
def test_validate_prints_the_problem_lines_and_exits_2(path: Path) -> None:
    result = invoke("checklists", "validate", str(path))
    assert result.exit_code == 2
    lines = result.stdout.splitlines()
    for prefix, fragment in expected_problems(path):
        assert any(line.startswith(prefix) and fragment in line for line in lines), lines


@pytest.mark.parametrize("name", ["when_later_step", "not_utf8", "billion_laughs"])
def test_show_on_a_broken_file_gives_the_same_lines_and_no_traceback(name: str) -> None:
    path = CORPUS / f"{name}.yaml"
    result = invoke("checklists", "show", str(path))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == check_checklists([path]).problems
    assert "Traceback" not in result.output


def test_validate_reports_every_broken_file_of_a_folder_in_one_run() -> None:
    result = invoke("checklists", "validate", str(CORPUS))
    assert result.exit_code == 2
    reported = {line.split(":", 1)[0] for line in result.stdout.splitlines()}
    assert reported == {str(path) for path in BROKEN_FILES}


def test_a_file_over_one_megabyte_is_refused_before_parsing(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("# " + "x" * MAX_FILE_BYTES + "\nschema: 1\n", encoding="utf-8")
    result = invoke("checklists", "validate", str(big))
    assert result.exit_code == 2
    assert result.stdout.startswith(f"{big}:1:1: file is larger than {MAX_FILE_BYTES} bytes")


def test_text_kept_in_a_record_is_validated_like_a_file() -> None:
    path = CORPUS / "when_later_step.yaml"
    with pytest.raises(ValidationFailed) as failed:
        checklist_from_text(path.read_text(encoding="utf-8"), "visit-1:checklist")
    as_a_file = check_checklists([path]).problems
    assert failed.value.problems == [
        problem.replace(str(path), "visit-1:checklist") for problem in as_a_file
    ]
