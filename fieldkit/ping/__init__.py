"""Ping engine: test the gateway, name the outcome, say what to check next.

Public API (no printing): `run_ping`, `interpret_transcript`, `PingResult` (with
`to_json(lang)`), `Verdict`, `SeedOutcome`, `Reply`, `load_catalogue`, `EXIT_CODE`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fieldkit.ping.engine import BACKENDS, interpret_transcript, run_ping
from fieldkit.ping.model import SCHEMA, PingResult, Reply, ReplyError, SeedOutcome, Verdict
from fieldkit.ping.verdicts import EXIT_CODE, SEED_OUTCOME

if TYPE_CHECKING:
    from fieldkit.ping.catalogue import OutcomeCatalogue


def load_catalogue() -> OutcomeCatalogue:
    """The outcome catalogue (imports pydantic, so only when asked for)."""
    from fieldkit.ping.catalogue import load_catalogue as load

    return load()


__all__ = [
    "BACKENDS",
    "EXIT_CODE",
    "SCHEMA",
    "SEED_OUTCOME",
    "PingResult",
    "Reply",
    "ReplyError",
    "SeedOutcome",
    "Verdict",
    "interpret_transcript",
    "load_catalogue",
    "run_ping",
]
