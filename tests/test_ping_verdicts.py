"""The verdict rules and the outcome catalogue that explains them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

import pytest

from fieldkit.errors import ValidationFailed
from fieldkit.lang import Lang
from fieldkit.paths import data_dir
from fieldkit.ping import SEED_OUTCOME, SeedOutcome, Verdict, load_catalogue
from fieldkit.ping.catalogue import load_catalogue_file
from fieldkit.ping.model import Origin, PingResult, Reply, ReplyError
from fieldkit.ping.verdicts import decide

LOCAL = Reply(1, from_address="10.0.0.5", error=ReplyError.HOST_UNREACHABLE, origin=Origin.LOCAL)
REMOTE = Reply(2, from_address="192.168.0.1", error=ReplyError.HOST_UNREACHABLE,
               origin=Origin.REMOTE)
LOST = Reply(3, error=ReplyError.TIMEOUT)
NO_ROUTE = Reply(4, error=ReplyError.NO_ROUTE)


def reply(seq: int, rtt_ms: float, below: bool = False) -> Reply:
    return Reply(seq, rtt_ms=rtt_ms, rtt_below=below, from_address="10.0.0.1")


@pytest.mark.parametrize(
    ("replies", "sent", "verdict"),
    [
        ([reply(1, 1.0), reply(2, 49.9)], 2, Verdict.OK),
        ([reply(1, 1.0), reply(2, 50.0)], 2, Verdict.SLOW),  # "at or over" the threshold
        ([reply(1, 50.0, below=True)], 1, Verdict.OK),  # Windows "time<50ms"
        ([reply(1, 1.0), LOST], 2, Verdict.PARTIAL_LOSS),
        ([reply(1, 1.0), REMOTE], 2, Verdict.PARTIAL_LOSS),  # an error is never a reply
        ([LOST, LOST], 2, Verdict.TIMEOUT),
        ([LOST, LOCAL], 2, Verdict.LOCAL_UNREACHABLE),
        ([LOCAL, REMOTE, LOST], 3, Verdict.REMOTE_UNREACHABLE),  # the router names the cause
        ([NO_ROUTE], 1, Verdict.NO_ROUTE),
        ([LOCAL, NO_ROUTE], 2, Verdict.LOCAL_UNREACHABLE),
    ],
)
def test_decide(replies: list[Reply], sent: int, verdict: Verdict) -> None:
    assert decide(replies, sent, 50.0)[0] is verdict


def test_remote_unreachable_names_the_router() -> None:
    assert decide([LOST, REMOTE], 2, 50.0) == (Verdict.REMOTE_UNREACHABLE, "192.168.0.1")


def test_each_seed_outcome_has_exactly_one_verdict() -> None:
    mapped = [outcome for outcome in SEED_OUTCOME.values() if outcome is not None]
    assert sorted(mapped) == sorted(SeedOutcome)


@pytest.mark.parametrize("verdict", list(Verdict))
@pytest.mark.parametrize("lang", get_args(Lang))
def test_every_verdict_is_explained_in_both_languages(verdict: Verdict, lang: str) -> None:
    from datetime import datetime

    now = datetime.now().astimezone()
    result = PingResult("10.0.0.1", "10.0.0.1", "ping3", verdict, now, now,
                        router="192.168.0.1")
    explanation = load_catalogue().explain(result, lang)  # type: ignore[arg-type]
    assert explanation["title"] and explanation["meaning"] and explanation["next_checks"]
    assert "{" not in explanation["meaning"]
    if lang == "zh":
        assert re.search(r"[\u4e00-\u9fff]", explanation["meaning"])


def _broken_copy(tmp_path: Path, old: str, new: str) -> Path:
    text = (data_dir() / "ping_outcomes.yaml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "ping_outcomes.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_a_catalogue_missing_a_verdict_is_rejected_with_its_line(tmp_path: Path) -> None:
    path = _broken_copy(tmp_path, "  no_permission:\n", "  no_permision:\n")
    with pytest.raises(ValidationFailed) as caught:
        load_catalogue_file(path)
    assert any("no_permision" in problem and f"{path}:" in problem
               for problem in caught.value.problems)


def test_a_placeholder_the_engine_does_not_fill_is_rejected(tmp_path: Path) -> None:
    path = _broken_copy(tmp_path, "{target} 回复了每一个请求", "{gateway} 回复了每一个请求")
    with pytest.raises(ValidationFailed, match=r"unknown placeholder \{gateway\}"):
        load_catalogue_file(path)


def _result(verdict: Verdict) -> PingResult:
    from datetime import datetime

    now = datetime.now().astimezone()
    return PingResult("10.0.0.1", "10.0.0.1", "ping3", verdict, now, now, router="192.168.0.1")


def _panel_text(result: PingResult, lang: str) -> str:
    from rich.console import Console

    from fieldkit.ui.ping import verdict_panel

    console = Console(width=300, record=True, color_system=None)
    console.print(verdict_panel(result, lang))  # type: ignore[arg-type]
    return console.export_text()


def test_advice_without_a_source_is_rejected_with_its_line(tmp_path: Path) -> None:
    path = _broken_copy(
        tmp_path,
        "      - source: practice\n        zh: 在记录中注明时延",
        "      - zh: 在记录中注明时延",
    )
    with pytest.raises(ValidationFailed) as caught:
        load_catalogue_file(path)
    assert any("source" in problem and f"{path}:" in problem for problem in caught.value.problems)


def test_only_the_seeds_normal_outcome_and_its_step_6_are_marked_seed() -> None:
    # The seed lists the four outcomes and what follows a normal one (step 6), nothing else.
    catalogue = load_catalogue()
    seed_marked = {
        (verdict, kind)
        for verdict, entry in catalogue.verdicts.items()
        for kind, text in [("meaning", entry.meaning)]
        + [("next_check", check) for check in entry.next_checks]
        if text.source == "seed"
    }
    assert seed_marked == {(Verdict.OK, "meaning"), (Verdict.OK, "next_check")}


@pytest.mark.parametrize("lang", get_args(Lang))
def test_the_verdict_panel_tags_field_practice_and_only_it(lang: str) -> None:
    tag = "现场做法" if lang == "zh" else "field practice"
    timeout = _panel_text(_result(Verdict.TIMEOUT), lang)
    advice = load_catalogue().verdicts[Verdict.TIMEOUT]
    assert timeout.count(tag) == 1 + len(advice.next_checks)  # the meaning and each check
    assert tag not in _panel_text(_result(Verdict.OK), lang)


@pytest.mark.parametrize("lang", get_args(Lang))
def test_failure_3_explains_both_readings_as_practice(lang: str) -> None:
    panel = _panel_text(_result(Verdict.REMOTE_UNREACHABLE), lang)
    readings = load_catalogue().seed_outcomes[SeedOutcome.FAILURE_3].readings
    assert readings is not None and readings.source == "practice"
    assert ("两种读法" if lang == "zh" else "Two readings") in panel
    words = ["ARP", "192.168.0.1"]
    assert all(word in readings.get(lang) for word in words)  # type: ignore[arg-type]
    assert "VPN" in readings.get(lang)  # type: ignore[arg-type]
