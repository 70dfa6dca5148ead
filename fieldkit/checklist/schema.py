"""The JSON Schema of the checklist language, generated from the models so it cannot drift.

Editors' YAML plugins and `check-jsonschema` validate checklists against it. Where a model reads
more than its fields' types say (a plain string as a bilingual text, a number as a choice
value), the model itself declares the wider input for the schema (fieldkit.text.Text,
models.Choice), so this module only adds the header.
"""

from __future__ import annotations

from typing import Any

from fieldkit.checklist.models import SCHEMA_VERSION, Checklist

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def checklist_json_schema() -> dict[str, Any]:
    schema = Checklist.model_json_schema()
    return {
        "$schema": DIALECT,
        "title": f"fieldkit checklist (schema {SCHEMA_VERSION})",
        **{key: value for key, value in schema.items() if key != "title"},
    }
