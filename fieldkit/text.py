"""Bilingual text, the type of every built-in sentence a person reads."""

from __future__ import annotations

from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonDict, JsonSchemaValue
from pydantic_core import CoreSchema

from fieldkit.lang import Lang

# What `_not_blank` accepts, for the JSON Schema (its error message stays the validator's).
_NOT_BLANK: JsonDict = {"pattern": r"\S"}


class Text(BaseModel):
    """`{zh: ..., en: ...}` in YAML; a plain string stands for both languages."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    zh: str = Field(json_schema_extra=_NOT_BLANK)
    en: str = Field(json_schema_extra=_NOT_BLANK)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """The object, or the plain string `_plain_string_is_both` reads as both languages
        (only where zh and en are all a text needs: a subclass with more keys needs them)."""
        schema = handler.resolve_ref_schema(handler(core_schema))
        if set(cls.model_fields) != {"zh", "en"}:
            return schema
        return {"anyOf": [{"type": "string", **_NOT_BLANK}, schema]}

    @model_validator(mode="before")
    @classmethod
    def _plain_string_is_both(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"zh": value, "en": value}
        return value

    @field_validator("zh", "en")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value

    def get(self, lang: Lang) -> str:
        return self.zh if lang == "zh" else self.en


# Characters a reader does not see: format (zero-width space, joiners, BOM), separators, and
# the rest of the Unicode "other" categories.
_UNSEEN_CATEGORIES = ("Cf", "Zs", "Zl", "Zp", "Cc", "Co", "Cn")


def name_problem(text: str) -> Text | None:
    """Why `text` cannot be a name in a record (an engineer, a customer, a site, an order), or
    None: a control character (NUL...), a lone surrogate (bytes the terminal could not decode),
    or nothing visible at all (only spaces or zero-width characters)."""
    import unicodedata

    if any(unicodedata.category(char) == "Cc" for char in text):
        return Text(zh="含有控制字符（如 NUL）", en="holds a control character (such as NUL)")
    if any("\ud800" <= char <= "\udfff" for char in text):
        return Text(zh="含有不是文字的字节（终端是否设为 UTF-8？）",
                    en="holds bytes that are not text (is the terminal set to UTF-8?)")
    if all(unicodedata.category(char) in _UNSEEN_CATEGORIES for char in text):
        return Text(zh="没有可见字符（只有空格或零宽字符）",
                    en="has no visible character (only spaces or zero-width characters)")
    return None
