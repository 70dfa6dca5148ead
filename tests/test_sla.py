"""data/sla.yaml: the service levels reports measure visits against."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from fieldkit import sla as sla_module
from fieldkit.errors import UserInputError, ValidationFailed
from fieldkit.records.models import Grade, OrderType
from fieldkit.sla import builtin_sla, default_sla_path, load_sla


def test_builtin_sla_has_the_five_grades_of_the_seed() -> None:
    sla = load_sla()
    assert [grade.id for grade in sla.grades] == [
        "group",
        "province",
        "local-a",
        "local-b",
        "local-c",
    ]
    assert [grade.label.zh for grade in sla.grades] == [
        "集团级",
        "省级",
        "本地A",
        "本地B",
        "本地C",
    ]
    assert all(grade.label.en and grade.repair_limit_hours > 0 for grade in sla.grades)


def test_every_grade_and_order_type_a_record_can_hold_has_service_levels() -> None:
    # Reports look a visit record's grade and order type up in the SLA.
    sla = load_sla()
    assert [grade.id for grade in sla.grades] == [grade.value for grade in Grade]
    assert [order.id for order in sla.order_types] == [order.value for order in OrderType]


def test_repair_limit_by_grade() -> None:
    sla = load_sla()
    assert sla.repair_limit_hours("group") == 20
    assert sla.repair_limit_hours("local-a") == 24
    assert sla.repair_limit("local-c") == timedelta(hours=48)


def test_unknown_grade_names_the_known_ones() -> None:
    with pytest.raises(UserInputError, match=r"unknown customer grade 'vip'.*local-a"):
        load_sla().repair_limit_hours("vip")


def test_fault_process_windows_are_the_seeds() -> None:
    process = load_sla().fault_process
    assert {window.id: window.minutes for window in process.windows} == {
        "dispatch": 15,
        "accept": 30,
        "restore_confirmation": 15,
    }
    assert process.window("accept").limit == timedelta(minutes=30)
    assert (process.repair.start, process.repair.end) == ("fault_reported_at", "restored_at")


def test_order_types_carry_the_seeds_mix() -> None:
    shares = {order.id: order.reference_share_percent for order in load_sla().order_types}
    assert shares == {"new": 65, "relocate": 11, "remove": 9, "change": 15}


def _broken_copy(tmp_path: Path, old: str, new: str) -> Path:
    text = default_sla_path().read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "sla.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _line_of(path: Path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if needle in line)


def test_wrong_type_points_at_its_line(tmp_path: Path) -> None:
    path = _broken_copy(tmp_path, "repair_limit_hours: 24", "repair_limit_hours: soon")
    with pytest.raises(ValidationFailed) as caught:
        load_sla(path)
    line = _line_of(path, "repair_limit_hours: soon")
    assert caught.value.problems[0].startswith(f"{path}:{line}:")
    assert "grades[2].repair_limit_hours" in caught.value.problems[0]


def test_misspelt_key_gets_a_suggestion(tmp_path: Path) -> None:
    path = _broken_copy(tmp_path, "minutes: 30", "minuts: 30")
    with pytest.raises(ValidationFailed) as caught:
        load_sla(path)
    line = _line_of(path, "minuts: 30")
    column = path.read_text(encoding="utf-8").splitlines()[line - 1].index("minuts") + 1
    assert (
        f"{path}:{line}:{column}: fault_process.windows[1].minuts: "
        "unknown key 'minuts' (did you mean 'minutes'?)"
    ) in caught.value.problems


def test_repeated_grade_is_rejected(tmp_path: Path) -> None:
    path = _broken_copy(tmp_path, "id: local-c", "id: local-b")
    with pytest.raises(ValidationFailed, match="grade id 'local-b' is given twice"):
        load_sla(path)


def test_order_mix_must_add_up(tmp_path: Path) -> None:
    path = _broken_copy(tmp_path, "reference_share_percent: 15", "reference_share_percent: 25")
    with pytest.raises(ValidationFailed, match="add up to 110 %"):
        load_sla(path)


def test_a_grade_the_records_can_hold_must_be_in_the_file(tmp_path: Path) -> None:
    text = default_sla_path().read_text(encoding="utf-8")
    start = text.index("  - id: local-c")
    path = tmp_path / "sla.yaml"
    path.write_text(text[:start] + text[text.index("repair_limits_source:"):], encoding="utf-8")
    with pytest.raises(ValidationFailed, match="grade 'local-c' is missing: visit records hold"):
        load_sla(path)


def test_an_order_type_the_records_cannot_hold_is_rejected(tmp_path: Path) -> None:
    path = _broken_copy(tmp_path, "id: change", "id: upgrade")
    with pytest.raises(ValidationFailed, match="unknown order type 'upgrade'"):
        load_sla(path)


@pytest.fixture
def edited_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The built-in data folder replaced by a copy the test edits; labels re-read from it."""
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "sla.yaml").write_text(
        default_sla_path().read_text(encoding="utf-8"), encoding="utf-8"
    )
    monkeypatch.setattr(sla_module, "data_dir", lambda: folder)
    builtin_sla.cache_clear()
    yield folder
    builtin_sla.cache_clear()


def test_grade_and_order_type_labels_are_the_data_files_wording(edited_data: Path) -> None:
    path = edited_data / "sla.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("{zh: 本地A, en: local A}", "{zh: 本地A类, en: local class A}")
    text = text.replace("{zh: 移机, en: relocation}", "{zh: 迁移, en: move}")
    path.write_text(text, encoding="utf-8")
    assert (Grade.LOCAL_A.label.zh, Grade.LOCAL_A.label.en) == ("本地A类", "local class A")
    assert OrderType.RELOCATE.label.get("zh") == "迁移"
    assert OrderType.NEW.label.get("en") == "new service"
