"""Comparing the versions of checklists and service levels: the laptop keeps the highest."""

from __future__ import annotations


def version_key(version: str) -> tuple[tuple[int, str], ...]:
    """"1.10" after "1.9": numeric parts compare as numbers, others as text."""
    return tuple((int(part), "") if part.isdigit() else (-1, part) for part in version.split("."))
