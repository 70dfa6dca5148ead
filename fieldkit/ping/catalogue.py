"""The outcome catalogue: every ping text an engineer reads, held as data.

`data/ping_outcomes.yaml` says, in Chinese and English, what each verdict means and what
to check next, how each pre-flight finding reads, and the seed's four outcomes. Authors
change wording there without code; the model below rejects a file that misses a verdict or
uses a placeholder the engine does not fill.
"""

from __future__ import annotations

import string
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from fieldkit.lang import Lang
from fieldkit.paths import data_dir
from fieldkit.ping.model import (
    Finding,
    FindingCode,
    OriginRule,
    ReplyError,
    SeedOutcome,
    Verdict,
)
from fieldkit.text import Text

if TYPE_CHECKING:
    from fieldkit.ping.model import PingResult

CATALOGUE_FILE = "ping_outcomes.yaml"

# How screens and records mark advice that is fieldkit's field practice, not the seed's text.
PRACTICE_TAG = Text(zh="现场做法", en="field practice")

# What the engine fills in: a text may use these and no other {placeholder}.
VERDICT_PLACEHOLDERS = frozenset({"target", "router", "slow_ms"})
FINDING_PLACEHOLDERS = frozenset(
    {"target", "address", "interface", "source", "via", "network", "local_address",
     "local_interface", "reason"}
)


def _placeholders(text: Text) -> set[str]:
    names: set[str] = set()
    for value in (text.zh, text.en):
        names.update(name for _, name, _, _ in string.Formatter().parse(value) if name)
    return names


def _check_placeholders(text: Text, allowed: frozenset[str]) -> Text:
    unknown = _placeholders(text) - allowed
    if unknown:
        raise ValueError(
            f"unknown placeholder {{{sorted(unknown)[0]}}}; use one of "
            + ", ".join(f"{{{name}}}" for name in sorted(allowed))
        )
    return text


Source = Literal["seed", "practice"]


class SourcedText(Text):
    """Advice with where it comes from: the centre's seed text, or fieldkit's field practice."""

    source: Source


class SeedOutcomeEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    label: Text
    example: str  # the seed's own line, quoted as it is
    readings: SourcedText | None = None  # what the line can mean, where the seed does not say


class VerdictEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: Text
    meaning: SourcedText
    next_checks: list[SourcedText]

    @field_validator("title", "meaning")
    @classmethod
    def _known_placeholders(cls, text: Text) -> Text:
        return _check_placeholders(text, VERDICT_PLACEHOLDERS)

    @field_validator("next_checks")
    @classmethod
    def _known_placeholders_in_checks(cls, texts: list[SourcedText]) -> list[SourcedText]:
        for text in texts:
            _check_placeholders(text, VERDICT_PLACEHOLDERS)
        return texts


def _require_every_key(mapping: dict[Any, Any], keys: type[Any], section: str) -> None:
    missing = [key.value for key in keys if key not in mapping]
    if missing:
        raise ValueError(f"{section}: missing {', '.join(missing)}")


class OutcomeCatalogue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    seed_outcomes: dict[SeedOutcome, SeedOutcomeEntry]
    verdicts: dict[Verdict, VerdictEntry]
    reply_errors: dict[ReplyError, Text]
    findings: dict[FindingCode, Text]
    origin_rules: dict[OriginRule, Text]

    @field_validator("findings")
    @classmethod
    def _known_finding_placeholders(cls, texts: dict[FindingCode, Text]) -> dict[FindingCode, Text]:
        for text in texts.values():
            _check_placeholders(text, FINDING_PLACEHOLDERS)
        return texts

    @model_validator(mode="after")
    def _complete(self) -> OutcomeCatalogue:
        _require_every_key(self.seed_outcomes, SeedOutcome, "seed_outcomes")
        _require_every_key(self.verdicts, Verdict, "verdicts")
        _require_every_key(self.reply_errors, ReplyError, "reply_errors")
        _require_every_key(self.findings, FindingCode, "findings")
        _require_every_key(self.origin_rules, OriginRule, "origin_rules")
        return self

    def explain(self, result: PingResult, lang: Lang) -> dict[str, Any]:
        """Title, meaning, next checks and the seed outcome of a result's verdict, in `lang`.

        `meaning_source` and `next_check_sources` (one per check) say `seed` or `practice`;
        they sit beside the texts so that records written before them still read the same."""
        return self.explain_verdict(
            result.verdict, lang, target=result.target or result.address,
            router=result.router, slow_ms=result.slow_ms,
        )

    def explain_verdict(self, verdict: Verdict, lang: Lang, *, target: str | None,
                        router: str | None, slow_ms: float) -> dict[str, Any]:
        """`explain` from a verdict and the values its texts name (a stored attempt)."""
        from fieldkit.ping.verdicts import SEED_OUTCOME

        entry = self.verdicts[verdict]
        values = {"target": target or "?", "router": router or "?", "slow_ms": f"{slow_ms:g}"}
        seed = SEED_OUTCOME[verdict]
        return {
            "title": entry.title.get(lang).format_map(values),
            "meaning": entry.meaning.get(lang).format_map(values),
            "meaning_source": entry.meaning.source,
            "next_checks": [check.get(lang).format_map(values) for check in entry.next_checks],
            "next_check_sources": [check.source for check in entry.next_checks],
            "seed_outcome": None if seed is None else self._seed_outcome(seed, lang),
        }

    def _seed_outcome(self, seed: SeedOutcome, lang: Lang) -> dict[str, Any]:
        entry = self.seed_outcomes[seed]
        readings = entry.readings
        return {
            "label": entry.label.get(lang),
            "example": entry.example,
            "readings": None if readings is None else readings.get(lang),
            "readings_source": None if readings is None else readings.source,
        }

    def verdict_title(self, verdict: Verdict, lang: Lang) -> str:
        """A verdict's name for people (`连接正常`, not `ok`), without a result's details."""
        values = {name: "?" for name in VERDICT_PLACEHOLDERS}
        return self.verdicts[verdict].title.get(lang).format_map(values)

    def verdict_name(self, code: str, lang: Lang) -> str:
        """`verdict_title` of a stored verdict code; a code this version does not know (a
        newer fieldkit wrote it) as it is."""
        try:
            return self.verdict_title(Verdict(code), lang)
        except ValueError:
            return code

    def finding_text(self, finding: Finding, lang: Lang) -> str:
        values = {name: "?" for name in FINDING_PLACEHOLDERS} | dict(finding.params)
        return self.findings[finding.code].get(lang).format_map(values)

    def reply_error_text(self, error: ReplyError, lang: Lang) -> str:
        return self.reply_errors[error].get(lang)


def load_catalogue_file(path: str | Path) -> OutcomeCatalogue:
    """Read and validate a catalogue; problems raise ValidationFailed with file:line:col."""
    from fieldkit.yamlsafe import load_model

    return load_model(path, OutcomeCatalogue)


@cache
def load_catalogue() -> OutcomeCatalogue:
    """The built-in catalogue (read once per process)."""
    return load_catalogue_file(data_dir() / CATALOGUE_FILE)
