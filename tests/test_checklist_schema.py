"""The JSON Schema that `fieldkit checklists schema` prints accepts what the models accept.

Editors validate checklists against it with an outside validator and an outside YAML parser;
these tests do the same (`check-jsonschema`, `jsonschema`), so that the schema cannot drift from
the models without a test failing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from cli_runner import invoke
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from fieldkit.checklist.models import Checklist
from fieldkit.checklist.schema import checklist_json_schema
from fieldkit.paths import builtin_checklists_dir
from fieldkit.yamlsafe import load_yaml

BUILTIN_FILES = sorted(builtin_checklists_dir().glob("*.yaml"))
VALIDATOR = jsonschema.Draft202012Validator(checklist_json_schema())


@pytest.fixture(scope="module")
def schema_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    result = invoke("checklists", "schema")
    assert result.exit_code == 0
    path = tmp_path_factory.mktemp("schema") / "checklist.schema.json"
    path.write_text(result.stdout, encoding="utf-8")
    return path


def test_the_printed_schema_is_a_valid_draft_2020_12_schema(schema_file: Path) -> None:
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema == checklist_json_schema()


def test_check_jsonschema_accepts_every_builtin_checklist(schema_file: Path) -> None:
    # As an editor's YAML plugin would: another program, another YAML parser.
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--schemafile", str(schema_file),
         *map(str, BUILTIN_FILES)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_jsonschema_rejects_a_light_the_models_reject(
    schema_file: Path, tmp_path: Path
) -> None:
    text = (builtin_checklists_dir() / "lan-turnup.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "lan.yaml"
    broken.write_text(text.replace("state: normal", "state: flashing", 1), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--schemafile", str(schema_file), str(broken)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 1 and "flashing" in result.stdout


@pytest.mark.parametrize("path", BUILTIN_FILES, ids=lambda path: path.stem)
def test_jsonschema_accepts_every_builtin_as_fieldkit_reads_it(path: Path) -> None:
    VALIDATOR.validate(load_yaml(path).data)


def _with_light(light: dict[str, Any], choice_value: Any) -> dict[str, Any]:
    return {
        "schema": 1,
        "id": "generated",
        "version": "1.0",
        "kind": "turnup",
        "title": "T",
        "description": {"zh": "描述", "en": "Description"},
        "steps": [
            {"id": "power", "type": "instruction", "title": "Power", "lights": [light]},
            {"id": "pick", "type": "record", "input": "choice", "title": "Pick",
             "choices": [{"value": choice_value}]},
        ],
    }  # fmt: skip


_TEXT = st.one_of(
    st.text(max_size=4),
    st.fixed_dictionaries({"zh": st.text(max_size=3), "en": st.text(max_size=3)}),
    st.fixed_dictionaries({"zh": st.text(max_size=3)}),
    st.integers(),
)
_STATES = st.one_of(
    st.sampled_from(["on", "off", "steady", "blinking", "normal", "traffic"]),
    st.text(max_size=8),
)
_CHOICE_VALUES = st.one_of(
    st.text(max_size=3), st.integers(), st.floats(allow_nan=False, allow_infinity=False)
)


@settings(max_examples=300, deadline=None)
@given(name=_TEXT, state=_STATES, colour=st.none() | _TEXT, choice_value=_CHOICE_VALUES)
def test_the_schema_and_the_models_agree_on_texts_light_states_and_choice_values(
    name: Any, state: str, colour: Any, choice_value: Any
) -> None:
    light = {"name": name, "state": state} | ({} if colour is None else {"colour": colour})
    data = _with_light(light, choice_value)
    try:
        Checklist.model_validate(data)
        models_accept = True
    except ValidationError:
        models_accept = False
    assert VALIDATOR.is_valid(data) == models_accept, data
