"""Bilingual text, the type of every built-in sentence a person reads."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from fieldkit.lang import Lang


class Text(BaseModel):
    """`{zh: ..., en: ...}` in YAML; a plain string stands for both languages."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    zh: str
    en: str

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
