"""data/sla.yaml: the service levels reports measure visits against."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fieldkit import sla as sla_module
from fieldkit.errors import UserInputError, ValidationFailed
from fieldkit.records.models import VisitFields, VisitRecord
from fieldkit.records.render import render_markdown
from fieldkit.sla import RepairKey, add_working_days, builtin_sla, default_sla_path, load_sla


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
    assert all(grade.label.en for grade in sla.grades)


def test_a_record_holds_exactly_the_grades_and_order_types_of_the_data() -> None:
    sla = load_sla()
    for grade, order in zip(sla.grades, sla.order_types, strict=False):
        fields = VisitFields(engineer="e", customer="c", grade=grade.id, order_type=order.id)
        assert (fields.grade, fields.order_type) == (grade.id, order.id)
    with pytest.raises(ValueError, match=r"unknown customer grade 'local-d' \(known: group, "):
        VisitFields(engineer="e", customer="c", grade="local-d")
    with pytest.raises(ValueError, match="unknown order type 'upgrade'"):
        VisitFields(engineer="e", customer="c", order_type="upgrade")
    schema = VisitRecord.model_json_schema()["properties"]
    assert [grade.id for grade in sla.grades] in _enums(schema["grade"])
    assert [order.id for order in sla.order_types] in _enums(schema["order_type"])


def _enums(schema: dict[str, object]) -> list[object]:
    options = schema.get("anyOf", [schema])
    assert isinstance(options, list)
    return [option["enum"] for option in options if "enum" in option]


def key(
    category: str | None,
    grade: str | None = "local-a",
    circuit: str | None = "aa",
    customer_class: str | None = None,
) -> RepairKey:
    return RepairKey(category, grade, circuit, customer_class)


def limit_of(repair: RepairKey) -> tuple[float | None, int | None, str] | None:
    row = load_sla().repair_limit_for(repair)
    return None if row is None else (row.hours, row.working_days, row.source)


@pytest.mark.parametrize(
    ("repair", "expected"),
    [
        # The seed's own rows: 800/4008 by customer class, industry apps in working days.
        (key("number_800_4008", customer_class="industry_high_end"), (12, None, "seed")),
        (key("number_800_4008", grade="group", customer_class="brand"), (24, None, "seed")),
        (key("industry_apps", grade=None, circuit=None), (None, 3, "seed")),
        # The seed's figures, whom they apply to assumed (the table's headings are unreadable).
        (key("virtual_network", grade="province"), (20, None, "assumed")),
        (key("virtual_network", grade="local-a"), (24, None, "assumed")),
        (key("virtual_network", grade="local-c"), (48, None, "assumed")),
        (key("enterprise_ringback", grade="group"), (20, None, "assumed")),
        (key("enterprise_ringback", grade="local-b"), (24, None, "assumed")),
        # LAN lines: the seed gives no figure; borrowed tiers, assumed.
        (key("bandwidth", grade="local-b"), (48, None, "assumed")),
    ],
)
def test_repair_limits_with_known_answers(
    repair: RepairKey, expected: tuple[float | None, int | None, str]
) -> None:
    assert limit_of(repair) == expected


@pytest.mark.parametrize(
    "repair",
    [
        key("navigator_ict"),  # the seed's table has no legible row for it
        key("number_800_4008", customer_class=None),  # which class is not recorded
        key("bandwidth", grade=None),  # no grade given with the visit
        key(None),  # no business category recorded (e.g. a fault-repair 1.0 record)
    ],
)
def test_no_limit_is_known_where_no_row_matches(repair: RepairKey) -> None:
    assert load_sla().repair_limit_for(repair) is None


def test_working_days_skip_the_weekend() -> None:
    industry = load_sla().repair_limit_for(key("industry_apps"))
    assert industry is not None and industry.feedback_working_days == 1
    china = timezone(timedelta(hours=8))
    thursday = datetime(2024, 5, 9, 15, 30, tzinfo=china)
    assert industry.deadline(thursday) == datetime(2024, 5, 14, 15, 30, tzinfo=china)  # Tuesday
    saturday = datetime(2024, 5, 11, 10, 0, tzinfo=china)
    assert industry.deadline(saturday) == datetime(2024, 5, 16, 0, 0, tzinfo=china)
    assert industry.describe("zh") == "3个工作日" and industry.describe("en") == "3 working days"


@given(
    start=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
    days=st.integers(min_value=1, max_value=30),
)
def test_a_working_day_deadline_leaves_exactly_that_many_weekdays_of_time(
    start: datetime, days: int
) -> None:
    deadline = add_working_days(start, days)
    weekday_time = timedelta()
    day = datetime.combine(start.date(), datetime.min.time())
    while day < deadline:
        following = day + timedelta(days=1)
        if day.weekday() < 5:
            weekday_time += min(following, deadline) - max(day, start)
        day = following
    assert weekday_time == timedelta(days=days)
    assert deadline.weekday() < 5 or deadline.time() == datetime.min.time()


def test_unknown_business_category_names_the_known_ones() -> None:
    with pytest.raises(UserInputError, match=r"unknown business category 'fax'.*bandwidth"):
        load_sla().business_category("fax")


def test_a_limit_row_naming_an_unknown_id_is_rejected(tmp_path: Path) -> None:
    path = _broken_copy(tmp_path, "grades: [local-a]", "grades: [local-x]")
    with pytest.raises(ValidationFailed, match="names unknown grade 'local-x'"):
        load_sla(path)


def test_a_limit_row_needs_hours_or_working_days(tmp_path: Path) -> None:
    path = _broken_copy(tmp_path, "    hours: 12\n", "")
    with pytest.raises(ValidationFailed, match="exactly one of `hours` and `working_days`"):
        load_sla(path)


def test_the_fault_repair_choices_are_the_sla_ids() -> None:
    # The repair record holds these ids; the report looks its limit up by them.
    from fieldkit.checklist.load import load_checklist
    from fieldkit.checklist.models import ChoiceRecord
    from fieldkit.paths import builtin_checklists_dir

    sla = load_sla()
    repair = load_checklist(builtin_checklists_dir() / "fault-repair.yaml").checklist
    keys = sla.repair_keys
    expected = {
        keys.business_category: [c.id for c in sla.business_categories],
        keys.circuit_grade: [c.id for c in sla.circuit_grades.grades],
        keys.customer_class: [c.id for c in sla.customer_classes],
        keys.fault_channel: [c.id for c in sla.fault_channels],
    }
    for step_id, ids in expected.items():
        step = repair.step(step_id)
        assert isinstance(step, ChoiceRecord), step_id
        assert [choice.value for choice in step.choices] == ids, step_id


def test_the_order_mix_note_explains_the_seeds_36_against_46() -> None:
    text = default_sla_path().read_text(encoding="utf-8")
    assert "36" in text and "46" in text and "30 + 5 + 4 + 7" in text


def test_fault_process_windows_are_the_seeds() -> None:
    process = load_sla().fault_process
    assert {window.id: window.minutes for window in process.windows} == {
        "dispatch": 15,
        "accept": 30,
        "restore_confirmation": 15,
    }
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
    path = _broken_copy(tmp_path, "hours: 12", "hours: soon")
    with pytest.raises(ValidationFailed) as caught:
        load_sla(path)
    line = _line_of(path, "hours: soon")
    assert caught.value.problems[0].startswith(f"{path}:{line}:")
    assert "repair_limits[0].hours" in caught.value.problems[0]


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
    text = text[:start] + text[text.index("# 业务类别"):]
    path.write_text(text.replace("[local-b, local-c]", "[local-b]"), encoding="utf-8")
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


def test_a_grade_added_to_the_data_is_one_a_record_holds_and_shows(edited_data: Path) -> None:
    path = edited_data / "sla.yaml"
    text = path.read_text(encoding="utf-8")
    added = "  - id: local-d\n    label: {zh: 本地D, en: local D}\n"
    text = text.replace("\n# 业务类别", added + "\n# 业务类别", 1)
    text = text.replace("{zh: 移机, en: relocation}", "{zh: 迁移, en: move}")
    path.write_text(text, encoding="utf-8")
    fields = VisitFields(engineer="e", customer="c", grade="local-d", order_type="relocate")
    record = VisitRecord(**fields.model_dump(), **_a_visit())
    assert "本地D" in render_markdown(record, "zh") and "迁移" in render_markdown(record, "zh")
    assert "local D" in render_markdown(record, "en") and "move" in render_markdown(record, "en")


def _a_visit() -> dict[str, object]:
    from records_factory import snapshot

    return {
        "visit_id": "20240512T083012Z-K3M9Q2XAB7",
        "fieldkit_version": "0",
        "checklist": snapshot(),
        "started_at": datetime(2024, 5, 12, 8, 30, tzinfo=timezone.utc),
    }


def test_a_schema_1_file_is_told_what_changed(tmp_path: Path) -> None:
    path = _broken_copy(tmp_path, "schema: 2", "schema: 1")
    with pytest.raises(ValidationFailed, match="schema 1 keyed repair limits on the customer"):
        load_sla(path)
