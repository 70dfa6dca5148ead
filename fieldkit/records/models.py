"""The visit record: what an engineer did at a customer site, as pydantic models.

One `VisitRecord` is one `visit.json`. The format is documented field by field in
docs/visit-record.md; `fieldkit visits schema` prints its JSON Schema. Records written by an
older fieldkit are upgraded on reading; see fieldkit/records/migrations.py.
"""

from __future__ import annotations

import codecs
import math
import secrets
from enum import Enum
from typing import Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)

from fieldkit.records.identity import SCHEMA_VERSION as SCHEMA_VERSION
from fieldkit.records.identity import (
    VISIT_ID_PATTERN,
    content_digest,
    sha256_hex,
    stored_path_problem,
)
from fieldkit.sla import GradeId, OrderTypeId
from fieldkit.text import Text, name_problem

# Validation context key: a ChecklistSnapshot whose sha256 the caller has already checked (a
# visit handle checks its snapshot once, not on each of thousands of saves).
VERIFIED_SNAPSHOT = "verified_snapshot"


class _Labelled(str, Enum):
    """An enum whose values are stored in records and whose labels are shown to people."""

    @property
    def label(self) -> Text:
        return _LABELS[self]


class VisitStatus(_Labelled):
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    ABORTED = "aborted"


class Outcome(_Labelled):
    """What the visit was for, and whether it got there; which ones a visit can have depends on
    its checklist's kind (OUTCOMES_BY_KIND, docs/visit-record.md "Outcome per kind")."""

    PASSED = "passed"
    FAILED = "failed"
    RESTORED = "restored"
    NOT_RESTORED = "not_restored"
    COMPLETED = "completed"
    NOT_COMPLETED = "not_completed"  # an inspection or customer visit ended by a failed check

    @property
    def achieved(self) -> bool:
        """The visit did what it was for: the exit code is 0 and reports show it in green."""
        return self in (Outcome.PASSED, Outcome.RESTORED, Outcome.COMPLETED)


OUTCOMES_BY_KIND: dict[str, tuple[Outcome, ...]] = {
    "turnup": (Outcome.PASSED, Outcome.FAILED),
    "tools": (Outcome.PASSED, Outcome.FAILED),
    "repair": (Outcome.RESTORED, Outcome.NOT_RESTORED),
    "inspection": (Outcome.COMPLETED, Outcome.NOT_COMPLETED),
    "visit": (Outcome.COMPLETED, Outcome.NOT_COMPLETED),
}


_LABELS: dict[_Labelled, Text] = {
    VisitStatus.IN_PROGRESS: Text(zh="进行中", en="in progress"),
    VisitStatus.COMPLETED: Text(zh="已完成", en="completed"),
    VisitStatus.ABORTED: Text(zh="已中止", en="aborted"),
    Outcome.PASSED: Text(zh="通过", en="passed"),
    Outcome.FAILED: Text(zh="未通过", en="failed"),
    Outcome.RESTORED: Text(zh="已修复", en="restored"),
    Outcome.NOT_RESTORED: Text(zh="未修复", en="not restored"),
    Outcome.COMPLETED: Text(zh="已完成", en="completed"),
    Outcome.NOT_COMPLETED: Text(zh="未完成", en="not completed"),
}

_STRICT = ConfigDict(extra="forbid")


class ChecklistSnapshot(BaseModel):
    """The checklist as it was run: enough to show an old record after the checklist changed."""

    model_config = _STRICT

    id: str
    version: str
    kind: str
    title: Text
    sha256: str = Field(
        pattern=r"^[0-9a-f]{64}$",
        description="sha256 of the checklist file's bytes (source_text in UTF-8, with its BOM if "
        "the file had one): compare with `sha256sum` of the file",
    )
    source_text: str = Field(description="The checklist YAML exactly as run")

    @classmethod
    def from_source(
        cls,
        source_text: str,
        *,
        id: str,
        version: str,
        kind: str,
        title: Text,
        file_sha256: str | None = None,
    ) -> ChecklistSnapshot:
        """`file_sha256`: the hash of the file's bytes when known (it differs with a BOM)."""
        return cls(
            id=id,
            version=version,
            kind=kind,
            title=title,
            sha256=file_sha256 or sha256_hex(source_text.encode("utf-8")),
            source_text=source_text,
        )

    @model_validator(mode="after")
    def _sha256_matches_source(self, info: ValidationInfo) -> ChecklistSnapshot:
        if info.context is not None and info.context.get(VERIFIED_SNAPSHOT) is self:
            return self
        encoded = self.source_text.encode("utf-8")
        if self.sha256 != sha256_hex(encoded) and self.sha256 != sha256_hex(
            codecs.BOM_UTF8 + encoded
        ):
            raise ValueError("sha256 does not match source_text")
        return self


class Note(BaseModel):
    model_config = _STRICT

    text: str
    at: AwareDatetime


class Attachment(BaseModel):
    """A file copied into the visit folder; `stored_path` is relative to that folder, with '/'."""

    model_config = _STRICT

    name: str = Field(description="The file's original name")
    stored_path: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=0)

    @field_validator("stored_path")
    @classmethod
    def _inside_visit_folder(cls, value: str) -> str:
        if stored_path_problem(value):
            raise ValueError("must be a relative path inside the visit folder, with '/'")
        return value


class SupersededResult(BaseModel):
    """An earlier result of a step, made invalid because an answer it was computed from changed.

    Kept in the record as history: what was answered (or what the pings found), against which
    inputs, and why and when it stopped counting.
    """

    model_config = _STRICT

    value: JsonValue = None
    unit: str | None = None
    passed: bool | None = None
    warning: str | None = None
    answered_at: AwareDatetime | None = None
    skipped: bool = False
    skip_reason: str | None = None
    inputs: dict[str, JsonValue] | None = None
    ping_attempts: list[dict[str, Any]] = Field(default_factory=list)
    superseded_at: AwareDatetime
    reason: str = Field(min_length=1, description="Which earlier answer changed, from what to what")


class CheckAttempt(BaseModel):
    """One answer given to a check: a failed check may be checked again (after cleaning a
    connector, say) and every answer stays in the record."""

    model_config = _STRICT

    value: bool
    at: AwareDatetime


class StepAnswer(BaseModel):
    """One step of the checklist as the engineer went through it."""

    model_config = _STRICT

    step_id: str
    step_type: str
    value: JsonValue = Field(
        default=None, description="true/false, number, string, list or object; null when skipped"
    )
    unit: str | None = None
    passed: bool | None = Field(default=None, description="null when the step has no pass/fail")
    warning: str | None = None
    notes: list[Note] = Field(default_factory=list)
    answered_at: AwareDatetime | None = None
    skipped: bool = False
    skip_reason: str | None = None
    attachments: list[Attachment] = Field(default_factory=list)
    ping_attempts: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Every attempt against the current `inputs`, as the ping engine's JSON",
    )
    inputs: dict[str, JsonValue] | None = Field(
        default=None,
        description="The earlier answers this result was computed from (step id -> value, null "
        "when not answered): the ping's target and mask, the steps its `when` names. Null in "
        "records written before fieldkit recorded them",
    )
    superseded: list[SupersededResult] = Field(
        default_factory=list,
        description="Earlier results made invalid when an answer they used changed, oldest first",
    )
    check_attempts: list[CheckAttempt] = Field(
        default_factory=list,
        description="A check step: every answer given, oldest first; a failed check stays open "
        "until it is checked again, recorded as failed, or ends the visit",
    )

    @model_serializer(mode="wrap")
    def _without_empty_binding(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Left out while empty, so that records written before these fields existed serialize
        # (and hash) exactly as they were written and sealed.
        content: dict[str, Any] = handler(self)
        if content.get("inputs", 0) is None:
            del content["inputs"]
        if content.get("superseded", 0) == []:
            del content["superseded"]
        if content.get("check_attempts", 0) == []:
            del content["check_attempts"]
        return content

    @field_validator("value")
    @classmethod
    def _finite_numbers_only(cls, value: JsonValue) -> JsonValue:
        if not _is_finite_json(value):
            raise ValueError("numbers must be finite (no NaN or infinity)")
        return value

    @model_validator(mode="after")
    def _skipped_has_reason(self) -> StepAnswer:
        if self.skipped and not (self.skip_reason or "").strip():
            raise ValueError("a skipped step needs a skip_reason")
        return self


def _is_finite_json(value: JsonValue) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(_is_finite_json(item) for item in value)
    if isinstance(value, dict):
        return all(_is_finite_json(item) for item in value.values())
    return True


class VisitFields(BaseModel):
    """Who visited whom for which order: asked for (or given as options) before the first step."""

    model_config = _STRICT

    engineer: str = Field(min_length=1)
    customer: str = Field(min_length=1)
    site: str | None = None
    order: str | None = Field(default=None, description="The work-order number")
    order_type: OrderTypeId | None = None
    grade: GradeId | None = None

    @field_validator("engineer", "customer", "site", "order")
    @classmethod
    def _readable_name(cls, value: str | None) -> str | None:
        problem = None if value is None else name_problem(value)
        if problem is not None:
            raise ValueError(problem.en)
        return value


class _RecordHeader(BaseModel):
    """The fields a person opening visit.json should see first."""

    model_config = _STRICT

    schema_version: Literal[2] = 2  # SCHEMA_VERSION; a Literal so the JSON Schema states it
    visit_id: str = Field(pattern=VISIT_ID_PATTERN)
    fieldkit_version: str


# Base order: pydantic lays out fields from the last base to the first, so the header comes first.
class VisitRecord(VisitFields, _RecordHeader):
    """One visit: the content of one visit.json."""

    checklist: ChecklistSnapshot
    started_at: AwareDatetime
    finished_at: AwareDatetime | None = None
    lang: Literal["zh", "en"] | None = Field(
        default=None, description="The language the visit was walked in; a resume keeps it"
    )
    status: VisitStatus = VisitStatus.IN_PROGRESS
    abort_reason: str | None = None
    outcome: Outcome | None = None
    failed_steps: list[str] = Field(
        default_factory=list,
        description="The steps whose failure decided the outcome (failed, not_restored)",
    )
    findings: list[str] = Field(
        default_factory=list,
        description="The steps that failed without deciding the outcome: what the visit found",
    )
    answers: list[StepAnswer] = Field(default_factory=list, description="In checklist order")
    digest: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{64}$",
        description="sha256 of the canonical JSON of every other field; set when the visit ends",
    )

    # Set by the loader only when it upgraded an older record: the digest check then compares
    # against the content as it was written, since the upgrade itself changes the content.
    _written_content_digest: str | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _status_is_consistent(self) -> VisitRecord:
        if self.status is VisitStatus.ABORTED and not (self.abort_reason or "").strip():
            raise ValueError("an aborted visit needs an abort_reason")
        if self.status is VisitStatus.COMPLETED and (
            self.outcome is None or self.finished_at is None
        ):
            raise ValueError("a completed visit needs an outcome and finished_at")
        if self.status is VisitStatus.IN_PROGRESS and self.outcome is not None:
            raise ValueError("a visit in progress has no outcome yet")
        if self.outcome is not None:
            allowed = OUTCOMES_BY_KIND.get(self.checklist.kind)
            if allowed is not None and self.outcome not in allowed:
                names = " or ".join(outcome.value for outcome in allowed)
                raise ValueError(
                    f"a {self.checklist.kind} visit's outcome is {names}, not {self.outcome.value}"
                )
            if self.outcome.achieved and self.failed_steps:
                raise ValueError(
                    f"a visit whose outcome is {self.outcome.value} has no failed_steps"
                )
        if set(self.failed_steps) & set(self.findings):
            raise ValueError("a step is either in failed_steps or in findings, not both")
        return self

    def answer_for(self, step_id: str) -> StepAnswer | None:
        return next((answer for answer in self.answers if answer.step_id == step_id), None)

    def sealed(self) -> VisitRecord:
        """This record with its digest set (the store does it when a visit ends)."""
        return self.model_copy(update={"digest": content_digest(self.model_dump(mode="json"))})


def verify_digest(record: VisitRecord) -> bool:
    """True when the record has a digest and its content still matches it."""
    if record.digest is None:
        return False
    written = record._written_content_digest
    if written is None:
        written = content_digest(record.model_dump(mode="json"))
    return secrets.compare_digest(written, record.digest)
