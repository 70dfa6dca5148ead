"""The one way fieldkit reads YAML (and JSON) files: bounded, strict and line-aware.

PyYAML's safe loader still accepts duplicate keys, expands alias bombs and forgets where
each value came from. This module composes the node graph itself, builds plain Python data
under size, depth and node budgets, and remembers the line and column of every key and item
so that model errors can point at the author's line.

Scalars follow YAML 1.2's core schema rather than PyYAML's 1.1: only `true`/`false` are
booleans (a light's `state: on` stays the string "on"), `1:30` is not sexagesimal, and
dates stay ISO strings for the models to parse.
"""

from __future__ import annotations

import difflib
import errno
import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from fieldkit.errors import ValidationFailed
from fieldkit.safeio import RefusedFile, has_surrogate, holds_surrogate, read_bounded

MAX_FILE_BYTES = 1_000_000
MAX_DEPTH = 50
MAX_NODES = 100_000

Loc = tuple[str | int, ...]
ModelT = TypeVar("ModelT", bound=BaseModel)

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"
_ALLOWED_TAGS = {_STR, _INT, _FLOAT, _BOOL, _NULL, _TIMESTAMP, _MAP, _SEQ}

# A leading zero makes it text: `pigtail_number: 0712` or `order: 000123` is an id, and int()
# would drop the zeros from the record.
_INT_RE = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_FLOAT_RE = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_SURROGATE_PROBLEM = "a lone surrogate (\\ud800-\\udfff) is not text; save the file as UTF-8"
_BOOLS = {"true": True, "false": False}
_NULLS = {"", "~", "null"}


@dataclass
class LoadedYaml:
    """Plain data from one file, with the 1-based line and column of every key and item."""

    filename: str
    data: Any
    marks: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    sha256: str = ""
    text: str = ""

    def where(self, loc: Loc) -> tuple[int, int]:
        """The position of `loc`, or of its closest ancestor that has one."""
        path = self.data_path(loc)
        while path:
            if path in self.marks:
                return self.marks[path]
            path = path[:-1]
        return self.marks.get((), (1, 1))

    def data_path(self, loc: Loc) -> Loc:
        """`loc` as a path through the data.

        pydantic puts union branch names into a loc (`steps, 0, record, input`): a part the
        data lacks is such a name and is dropped, unless it is the last, which is a missing key.
        """
        node = self.data
        path: list[str | int] = []
        for index, part in enumerate(loc):
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                node = node[part]
            elif index == len(loc) - 1 and isinstance(node, dict):
                path.append(part)
                break
            else:
                continue
            path.append(part)
        return tuple(path)

    def problem(self, loc: Loc, message: str) -> str:
        line, col = self.where(loc)
        return f"{self.filename}:{line}:{col}: {message}"


def format_loc(loc: Loc) -> str:
    """`steps[3].when.step`, the way an author reads a path."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def load_yaml(path: str | Path) -> LoadedYaml:
    """Read and parse one YAML or JSON file; problems raise ValidationFailed with file:line:col."""
    path = Path(path)
    filename = str(path)
    try:
        raw = read_bounded(path, MAX_FILE_BYTES)
    except FileNotFoundError:
        raise ValidationFailed([f"{filename}:1:1: no such file"]) from None
    except IsADirectoryError:
        raise ValidationFailed([f"{filename}:1:1: is a folder, not a file"]) from None
    except RefusedFile as error:
        if error.errno == errno.EFBIG:
            message = f"file is larger than {MAX_FILE_BYTES} bytes"
        else:
            message = f"cannot read: {error.strerror}"
        raise ValidationFailed([f"{filename}:1:1: {message}"]) from None
    except OSError as error:
        raise ValidationFailed([f"{filename}:1:1: cannot read: {error.strerror}"]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        col = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        bad = raw[error.start : error.start + 1].hex()
        raise ValidationFailed(
            [f"{filename}:{line}:{col}: not UTF-8 text (byte 0x{bad}); save the file as UTF-8"]
        ) from None
    loaded = parse_yaml(text, filename, as_json=path.suffix.lower() == ".json")
    loaded.sha256 = hashlib.sha256(raw).hexdigest()
    return loaded


def parse_yaml(text: str, filename: str = "<text>", *, as_json: bool = False) -> LoadedYaml:
    """Parse YAML (or JSON) text into plain data under the size, depth and node budgets."""
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        raise ValidationFailed([f"{filename}:1:1: text is larger than {MAX_FILE_BYTES} bytes"])
    if not text.strip():
        raise ValidationFailed([f"{filename}:1:1: file is empty"])
    if as_json:
        return _parse_json(text, filename)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = error.problem or error.context or "invalid YAML"
        raise ValidationFailed([f"{filename}:{line}:{col}: YAML syntax error: {what}"]) from None
    except yaml.YAMLError as error:
        raise ValidationFailed([f"{filename}:1:1: YAML syntax error: {error}"]) from None
    except RecursionError:
        raise ValidationFailed([f"{filename}:1:1: nesting is too deep"]) from None
    if root is None:
        raise ValidationFailed([f"{filename}:1:1: file is empty"])
    builder = _Builder(filename)
    data = builder.build(root, (), 0)
    if builder.problems:
        raise ValidationFailed(builder.problems)
    return LoadedYaml(filename=filename, data=data, marks=builder.marks, text=text)


def _parse_json(text: str, filename: str) -> LoadedYaml:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                raise ValueError(f"duplicate key {key!r}")
            result[key] = value
        return result

    try:
        data = json.loads(text, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as error:
        raise ValidationFailed(
            [f"{filename}:{error.lineno}:{error.colno}: JSON syntax error: {error.msg}"]
        ) from None
    except ValueError as error:
        raise ValidationFailed([f"{filename}:1:1: {error}"]) from None
    except RecursionError:
        raise ValidationFailed([f"{filename}:1:1: nesting is too deep"]) from None
    if holds_surrogate(data):
        raise ValidationFailed([f"{filename}:1:1: {_SURROGATE_PROBLEM}"])
    return LoadedYaml(filename=filename, data=data, marks={(): (1, 1)}, text=text)


class _Builder:
    """Turns a composed node graph into plain data, collecting every problem on the way."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.marks: dict[Loc, tuple[int, int]] = {}
        self.problems: list[str] = []
        self.nodes = 0

    def _problem(self, node: yaml.Node, message: str) -> None:
        mark = node.start_mark
        self.problems.append(f"{self.filename}:{mark.line + 1}:{mark.column + 1}: {message}")

    def build(self, node: yaml.Node, loc: Loc, depth: int) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            # Aliases share nodes, so an alias bomb shows up here as an exploding count.
            raise ValidationFailed(
                [
                    *self.problems,
                    f"{self.filename}:1:1: more than {MAX_NODES} values "
                    "(an alias bomb, or a file far too big for a checklist)",
                ]
            )
        if depth > MAX_DEPTH:
            mark = node.start_mark
            raise ValidationFailed(
                [
                    *self.problems,
                    f"{self.filename}:{mark.line + 1}:{mark.column + 1}: "
                    f"nesting is deeper than {MAX_DEPTH} levels",
                ]
            )
        self.marks.setdefault(loc, (node.start_mark.line + 1, node.start_mark.column + 1))
        if node.tag not in _ALLOWED_TAGS:
            self._problem(node, f"tag {node.tag!r} is not allowed (plain YAML data only)")
            return None
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, loc, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*loc, i), depth + 1) for i, item in enumerate(node.value)]
        return self._scalar(node)

    def _scalar(self, node: yaml.Node) -> Any:
        try:
            value = _scalar(node)
        except ValueError:  # int() of more digits than Python converts (4300)
            self._problem(node, f"a number of {len(node.value)} digits is too long")
            return None
        if isinstance(value, str) and has_surrogate(value):
            self._problem(node, _SURROGATE_PROBLEM)
            return None
        return value

    def _mapping(self, node: yaml.MappingNode, loc: Loc, depth: int) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        first_seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                self._problem(key_node, "merge keys (<<) are not supported: write the keys out")
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self._problem(key_node, "a key must be a plain value, not a list or mapping")
                continue
            key = self._scalar(key_node)
            if key in first_seen:
                self._problem(
                    key_node, f"duplicate key {key!r} (first given on line {first_seen[key]})"
                )
                continue
            first_seen[key] = key_node.start_mark.line + 1
            key_loc = (*loc, key)
            self.marks[key_loc] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            result[key] = self.build(value_node, key_loc, depth + 1)
        return result


class SourceFloat(float):
    """A YAML float that prints as it was written: `pigtail_number: 7.10` is text to the
    author, and str(7.10) would record "7.1". As a number it is an ordinary float."""

    __slots__ = ("source",)
    source: str

    def __new__(cls, source: str) -> SourceFloat:
        number = super().__new__(cls, source)
        number.source = source
        return number

    def __str__(self) -> str:
        return self.source


def _scalar(node: yaml.Node) -> Any:
    value = node.value
    if node.tag == _NULL:
        return None if value in _NULLS or value.lower() == "null" else value
    if node.tag == _BOOL:
        return _BOOLS.get(value.lower(), value)
    if node.tag == _INT:
        return int(value) if _INT_RE.fullmatch(value) else value
    if node.tag == _FLOAT:
        if _FLOAT_RE.fullmatch(value):
            return SourceFloat(value)
        lowered = value.lower()
        if lowered in {".inf", "+.inf", "-.inf", ".nan"}:
            return float(lowered.replace(".", ""))
        return value
    return value


def validate(loaded: LoadedYaml, model: type[ModelT]) -> ModelT:
    """The model built from `loaded.data`, or ValidationFailed with one line per problem."""
    try:
        return model.model_validate(loaded.data)
    except ValidationError as error:
        raise ValidationFailed(model_problems(loaded, error, model)) from None


def model_problems(loaded: LoadedYaml, error: ValidationError, model: type[BaseModel]) -> list[str]:
    """pydantic's errors as `file:line:col: path: message` lines, without repeats."""
    lines: list[str] = []
    for item in error.errors(include_url=False):
        loc = tuple(item["loc"])
        path = loaded.data_path(loc)
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            key = path[-1] if path else loc[-1]
            message = f"unknown key {key!r}"
            suggestion = difflib.get_close_matches(str(key), _field_names(model), n=1, cutoff=0.6)
            if suggestion:
                message += f" (did you mean {suggestion[0]!r}?)"
        elif item["type"] == "missing":
            message = f"missing required key {path[-1]!r}" if path else "missing required key"
            path = path[:-1]
        elif item["type"] == "union_tag_invalid":
            while path and path not in loaded.marks:  # drop the branch name pydantic appended
                path = path[:-1]
            message, path = _unknown_tag(item.get("ctx", {}), path)
            loc = path
        elif item["type"] == "value_error":
            message = message.removeprefix("Value error, ")
        line = loaded.problem(loc, f"{format_loc(path)}: {message}" if path else message)
        if line not in lines:
            lines.append(line)
    return lines


def _unknown_tag(ctx: dict[str, Any], path: Loc) -> tuple[str, Loc]:
    """`type: recrod` as an author wants to hear it, pointing at the `type` key."""
    key = str(ctx.get("discriminator", "type")).strip("'")
    tag = str(ctx.get("tag", ""))
    expected = [t.strip().strip("'") for t in str(ctx.get("expected_tags", "")).split(",")]
    message = f"unknown {key} {tag!r}"
    suggestion = difflib.get_close_matches(tag, expected, n=1, cutoff=0.6)
    if suggestion:
        message += f" (did you mean {suggestion[0]!r}?)"
    message += f"; expected one of: {', '.join(expected)}"
    return message, (*path, key)


@cache
def _field_names(model: type[BaseModel]) -> tuple[str, ...]:
    """Every key any model reachable from `model` accepts: the vocabulary for did-you-mean."""
    names: set[str] = set()

    def walk(schema: Any) -> None:
        if isinstance(schema, dict):
            names.update(schema.get("properties", {}))
            for value in schema.values():
                walk(value)
        elif isinstance(schema, list):
            for value in schema:
                walk(value)

    walk(model.model_json_schema())
    return tuple(sorted(names))


def load_model(path: str | Path, model: type[ModelT]) -> ModelT:
    """Load a YAML or JSON file and validate it against `model`, problems as file:line:col."""
    return validate(load_yaml(path), model)
