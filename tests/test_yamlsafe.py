"""The safe loader: what an author sees for broken or hostile files."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict

from fieldkit.errors import ValidationFailed
from fieldkit.yamlsafe import MAX_FILE_BYTES, load_model, load_yaml, parse_yaml


class Light(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    state: str


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    required: bool = True
    count: int = 4
    lights: list[Light] = []


class Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    steps: list[Step]


def problems_of(text: str, model: type[BaseModel] | None = None) -> list[str]:
    with pytest.raises(ValidationFailed) as caught:
        loaded = parse_yaml(text, "c.yaml")
        if model is not None:
            from fieldkit.yamlsafe import validate

            validate(loaded, model)
    return caught.value.problems


def test_duplicate_key_points_at_the_second_one() -> None:
    problems = problems_of("id: a\nsteps: []\nid: b\n")
    assert problems == ["c.yaml:3:1: duplicate key 'id' (first given on line 1)"]


def test_unknown_key_suggests_the_right_one() -> None:
    text = "id: a\nsteps:\n  - id: s1\n    requried: false\n"
    assert problems_of(text, Doc) == [
        "c.yaml:4:5: steps[0].requried: unknown key 'requried' (did you mean 'required'?)"
    ]


def test_wrong_type_and_missing_key_point_at_their_lines() -> None:
    text = "id: a\nsteps:\n  - id: s1\n    count: many\n  - required: true\n"
    problems = problems_of(text, Doc)
    assert problems[0].startswith("c.yaml:4:5: steps[0].count: Input should be a valid integer")
    assert problems[1] == "c.yaml:5:5: steps[1]: missing required key 'id'"


def test_yaml_syntax_error_has_line_and_column() -> None:
    problems = problems_of("id: a\nsteps: [\n  - x\n")
    assert problems[0].startswith("c.yaml:3:")
    assert "YAML syntax error" in problems[0]


def test_norway_and_sexagesimal_stay_strings() -> None:
    text = "state: on\nanswer: yes\nt: 1:30\nok: true\nn: 7\nx: -25.5\nd: 2026-11-25\n"
    assert parse_yaml(text).data == {
        "state": "on", "answer": "yes", "t": "1:30", "ok": True, "n": 7, "x": -25.5,
        "d": "2026-11-25",
    }


def test_a_number_with_a_leading_zero_stays_text_so_an_id_keeps_its_zeros() -> None:
    """`pigtail_number: 0712` in an answers file was recorded as "712"."""
    text = "pigtail_number: 0712\norder: 000123\nzero: 0\nminus: -12\n"
    assert parse_yaml(text).data == {
        "pigtail_number": "0712", "order": "000123", "zero": 0, "minus": -12,
    }


def test_python_tags_are_refused() -> None:
    problems = problems_of("id: !!python/object/apply:os.system ['echo hacked']\n")
    assert "tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed" in problems[0]
    assert problems[0].startswith("c.yaml:1:5:")


def test_billion_laughs_is_refused_quickly() -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        ref = ",".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{ref}]")
    started = time.monotonic()
    problems = problems_of("\n".join(lines) + "\n")
    assert time.monotonic() - started < 5  # a guard against hanging, not a speed target
    assert "alias bomb" in problems[-1]


def test_deep_nesting_is_refused() -> None:
    problems = problems_of("a: " + "[" * 60 + "]" * 60 + "\n")
    assert "nesting is deeper than" in problems[0] or "nesting is too deep" in problems[0]


def test_merge_keys_are_refused() -> None:
    problems = problems_of("base: &b {x: 1}\nother:\n  <<: *b\n")
    assert problems == ["c.yaml:3:3: merge keys (<<) are not supported: write the keys out"]


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("\n  \n")
    with pytest.raises(ValidationFailed) as caught:
        load_yaml(path)
    assert caught.value.problems == [f"{path}:1:1: file is empty"]


def test_not_utf8_names_the_byte(tmp_path: Path) -> None:
    path = tmp_path / "gbk.yaml"
    path.write_bytes("id: a\ntitle: 开通\n".encode("gbk"))
    with pytest.raises(ValidationFailed) as caught:
        load_yaml(path)
    assert caught.value.problems[0].startswith(f"{path}:2:8: not UTF-8 text")


def test_oversized_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"# " + b"x" * (MAX_FILE_BYTES + 10))
    with pytest.raises(ValidationFailed) as caught:
        load_yaml(path)
    assert "larger than" in caught.value.problems[0]


def test_json_files_and_their_duplicates(tmp_path: Path) -> None:
    good = tmp_path / "a.json"
    good.write_text('{"id": "x", "steps": [{"id": "s"}]}')
    assert load_model(good, Doc).steps[0].id == "s"
    bad = tmp_path / "b.json"
    bad.write_text('{"id": "x",\n "id": "y"}')
    with pytest.raises(ValidationFailed) as caught:
        load_yaml(bad)
    assert "duplicate key 'id'" in caught.value.problems[0]


def test_sha256_is_of_the_file_bytes(tmp_path: Path) -> None:
    import hashlib

    path = tmp_path / "a.yaml"
    path.write_bytes(b"id: a\n")
    assert load_yaml(path).sha256 == hashlib.sha256(b"id: a\n").hexdigest()


def test_mistyped_step_type_is_named_with_a_suggestion() -> None:
    from fieldkit.checklist.models import Checklist

    text = (
        "schema: 1\nid: x\nversion: '1'\nkind: turnup\ntitle: {zh: '', en: a}\ndescription: a\n"
        "steps:\n  - id: a\n    type: recrod\n    title: a\n"
    )
    problems = problems_of(text, Checklist)
    assert problems[0] == "c.yaml:5:9: title.zh: must not be empty"
    assert problems[1].startswith(
        "c.yaml:9:5: steps[0].type: unknown type 'recrod' (did you mean 'record'?)"
    )


def test_a_decimal_keeps_its_digits_as_text_and_its_value_as_a_number() -> None:
    value = parse_yaml("pigtail_number: 7.10\n").data["pigtail_number"]
    assert str(value) == "7.10" and f"{value}" == "7.10"
    assert value == 7.1 and value + 1 == 8.1
