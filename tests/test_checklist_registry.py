"""The search path, overriding by id, the cached listing and resolving an id or a path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from nobody import nobody_runs_fieldkit

from fieldkit.checklist.registry import list_checklists, open_checklist, resolve
from fieldkit.errors import UserInputError, ValidationFailed
from fieldkit.paths import builtin_checklists_dir

BUILTIN_IDS = {"lan-turnup", "ftto-turnup", "room-inspection", "customer-visit", "fault-repair"}


def checklist_yaml(checklist_id: str, title: str) -> str:
    return (
        f'schema: 1\nid: {checklist_id}\nversion: "9"\nkind: turnup\n'
        f"title: {{zh: {title}, en: {title}}}\ndescription: Test\n"
        "steps:\n  - {id: a, type: instruction, title: A}\n"
    )


@pytest.fixture(autouse=True)
def isolated_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIELDKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("FIELDKIT_USER_CHECKLISTS", str(tmp_path / "user-checklists"))
    monkeypatch.delenv("FIELDKIT_CHECKLISTS", raising=False)


def user_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "user-checklists"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def by_id(entries: list) -> dict:
    return {entry.id: entry for entry in entries}


def test_every_builtin_is_listed_valid() -> None:
    entries = by_id(list_checklists())
    assert set(entries) >= BUILTIN_IDS
    for checklist_id in BUILTIN_IDS:
        assert entries[checklist_id].valid
        assert entries[checklist_id].origin == "built-in"
        assert entries[checklist_id].title is not None


def test_later_folders_override_earlier_ones_by_id(tmp_path: Path) -> None:
    user_file = user_folder(tmp_path) / "mine.yaml"
    user_file.write_text(checklist_yaml("lan-turnup", "User LAN"), encoding="utf-8")
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "lan.yml").write_text(checklist_yaml("lan-turnup", "Extra LAN"), encoding="utf-8")

    user_entry = by_id(list_checklists())["lan-turnup"]
    assert (user_entry.origin, user_entry.title_in("en")) == ("user", "User LAN")
    assert user_entry.overrides == (builtin_checklists_dir() / "lan-turnup.yaml",)

    extra_entry = by_id(list_checklists(extra))["lan-turnup"]
    assert (extra_entry.origin, extra_entry.title_in("en")) == ("--checklists", "Extra LAN")
    assert extra_entry.overrides[-1] == user_file
    assert open_checklist("lan-turnup", extra).checklist.title.en == "Extra LAN"


def test_the_environment_folder_counts_unless_the_option_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from_env, from_option = tmp_path / "env", tmp_path / "option"
    for folder, title in ((from_env, "From env"), (from_option, "From option")):
        folder.mkdir()
        (folder / "x.yaml").write_text(checklist_yaml("site-x", title), encoding="utf-8")
    monkeypatch.setenv("FIELDKIT_CHECKLISTS", str(from_env))
    assert by_id(list_checklists())["site-x"].title_in("en") == "From env"
    assert by_id(list_checklists(from_option))["site-x"].title_in("en") == "From option"


def test_a_missing_extra_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(UserInputError, match="is not a folder"):
        list_checklists(tmp_path / "nope")


def test_a_checklist_folder_that_may_not_be_read_is_one_line_exit_2() -> None:
    """Run as a user who may not enter the user checklist folder (root may enter any)."""
    with nobody_runs_fieldkit() as nobody:
        folder = nobody.home / "user-checklists" / "inner"
        folder.mkdir(parents=True)
        folder.parent.chmod(0o700)  # entered by its owner, root, only
        env = nobody.env(
            FIELDKIT_USER_CHECKLISTS=str(folder), FIELDKIT_CACHE=str(nobody.home / "cache")
        )
        done = subprocess.run(
            nobody.command("checklists", "list"), env=env, capture_output=True, text=True,
            timeout=60, check=False,
        )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stderr == f"fieldkit: error: {folder}: cannot read: Permission denied\n"


def test_a_broken_override_is_listed_invalid_and_never_replaced_by_the_builtin(
    tmp_path: Path,
) -> None:
    broken = user_folder(tmp_path) / "lan.yaml"
    broken.write_text(checklist_yaml("lan-turnup", "Mine").replace('"9"', "9"), encoding="utf-8")
    entry = by_id(list_checklists())["lan-turnup"]
    assert not entry.valid
    assert entry.problems == (
        f'{broken}:3:1: version: write the version in quotes, e.g. version: "9"',
    )
    with pytest.raises(ValidationFailed) as failed:
        open_checklist("lan-turnup")
    assert failed.value.problems == list(entry.problems)


def test_an_unreadable_yaml_file_is_listed_under_its_file_name(tmp_path: Path) -> None:
    (user_folder(tmp_path) / "half-written.yaml").write_text("steps: [", encoding="utf-8")
    entry = by_id(list_checklists())["half-written"]
    assert not entry.valid
    assert "YAML syntax error" in entry.problems[0]


def test_an_edited_file_is_summarised_again_even_with_the_same_size_and_time(
    tmp_path: Path,
) -> None:
    path = user_folder(tmp_path) / "site.yaml"
    path.write_text(checklist_yaml("site-x", "Before"), encoding="utf-8")
    assert by_id(list_checklists())["site-x"].title_in("en") == "Before"
    stat = path.stat()
    path.write_text(checklist_yaml("site-x", "Afters"), encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size
    assert by_id(list_checklists())["site-x"].title_in("en") == "Afters"


def test_a_corrupt_index_only_costs_time(tmp_path: Path) -> None:
    list_checklists()
    index = tmp_path / "cache" / "checklist-index.json"
    assert json.loads(index.read_text(encoding="utf-8"))["files"]
    index.write_text("{not json", encoding="utf-8")
    assert set(by_id(list_checklists())) >= BUILTIN_IDS


def test_listing_unchanged_files_does_not_load_pydantic_or_yaml(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from fieldkit.checklist.registry import list_checklists\n"
        "entries = list_checklists()\n"
        "print(len(entries), sorted(m for m in ('pydantic', 'yaml') if m in sys.modules))\n"
    )
    env = {**os.environ, "FIELDKIT_CACHE": str(tmp_path / "cache")}
    first = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    second = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    count = first.stdout.split()[0]
    assert first.stdout.strip() == f"{count} ['pydantic', 'yaml']"
    assert second.stdout.strip() == f"{count} []"


def test_resolve_takes_an_id_or_a_path(tmp_path: Path) -> None:
    path, origin = resolve("lan-turnup")
    assert (path.name, origin) == ("lan-turnup.yaml", "built-in")
    own = tmp_path / "own.yaml"
    own.write_text(checklist_yaml("own", "Own"), encoding="utf-8")
    assert resolve(str(own)) == (own, "file")
    assert open_checklist(str(own)).origin == "file"


def test_an_unknown_id_suggests_the_closest() -> None:
    with pytest.raises(UserInputError, match="did you mean 'lan-turnup'"):
        resolve("lan-trunup")
