"""Pulling the centre's published checklists into the user's checklists folder, and its
service levels into the user's data folder.

Each file is checked against the sha256 the server lists and validated as `checklists
validate` does before it is written (atomically) over an older local version of the same id.
A local checklist with the same id and a higher version, or the same version with other
content, is kept and reported: the laptop never loses a checklist it has.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from fieldkit import paths
from fieldkit.errors import ValidationFailed
from fieldkit.sync.client import Api
from fieldkit.versions import version_key

if TYPE_CHECKING:
    from fieldkit.sync.service import SyncResult

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,150}\.ya?ml$")


def pull_checklists(api: Api, result: SyncResult, checklists_dir: Path | None) -> None:
    listed = api.call("GET", "/api/v1/checklists").json()
    newest: dict[str, dict[str, str]] = {}
    for item in listed:
        known = newest.get(item["id"])
        if known is None or version_key(item["version"]) > version_key(known["version"]):
            newest[item["id"]] = item
    if not newest:
        return  # nothing published: no need to list (and maybe validate) the local checklists
    from fieldkit.checklist.registry import list_checklists
    from fieldkit.sync.service import Refusal

    local = {entry.id: entry for entry in list_checklists(checklists_dir) if entry.valid}
    user_dir = paths.user_checklists_dir()
    for checklist_id, item in sorted(newest.items()):
        mine = local.get(checklist_id)
        if mine is not None and mine.version is not None:
            ours, theirs = version_key(mine.version), version_key(item["version"])
            if ours > theirs:
                result.checklists_kept.append(Refusal(
                    checklist_id,
                    f"kept {mine.path} (version {mine.version}): the centre publishes "
                    f"{item['version']}",
                ))  # fmt: skip
                continue
            if ours == theirs:
                if _sha256(mine.path) != item["sha256"]:
                    result.checklists_kept.append(Refusal(
                        checklist_id,
                        f"kept {mine.path}: version {mine.version} differs from the centre's",
                    ))  # fmt: skip
                continue
        target = (
            mine.path if mine is not None and mine.origin == "user" else user_dir / _name(item)
        )
        problem = _install(api, item, target)
        if problem:
            result.refused.append(Refusal(checklist_id, problem))
        else:
            result.checklists_installed.append(f"{checklist_id} {item['version']}")


def _name(item: dict[str, str]) -> str:
    name = item.get("file_name", "")
    return name if _SAFE_NAME.match(name) else f"{item['id']}.yaml"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _install(api: Api, item: dict[str, str], target: Path) -> str | None:
    from fieldkit.checklist.load import load_checklist

    def check(temp: Path) -> str | None:
        loaded = load_checklist(temp)
        if (loaded.checklist.id, loaded.checklist.version) != (item["id"], item["version"]):
            return "the published file's id or version differs from the listing; not installed"
        return None

    path = f"/api/v1/checklists/{quote(item['id'], safe='')}/{quote(item['version'], safe='')}"
    return _install_checked(api, path, item["sha256"], target, check)


def _install_checked(
    api: Api, path: str, sha256: str, target: Path, check: Callable[[Path], str | None]
) -> str | None:
    """Fetch `path`, check it hashes to `sha256` and passes `check` (run on a temporary copy
    beside `target`), then put it in place whole; the problem, or None when installed."""
    answer = api.call("GET", path)
    if answer.status != 200:
        return f"could not be pulled ({answer.status}): {answer.detail}"
    if hashlib.sha256(answer.body).hexdigest() != sha256:
        return "the pulled file does not match its sha256; not installed"
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".yaml", dir=target.parent)
    temp = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(answer.body)
        try:
            problem = check(temp)
        except ValidationFailed as failure:
            return f"the published file is not valid here: {failure.problems[0]}"
        if problem:
            return problem
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
    return None


SERVICE_LEVELS = "service levels"


def pull_service_levels(api: Api, result: SyncResult) -> None:
    """The centre's current service levels into the user's data folder (paths.centre_sla_file),
    which reports over files then measure against; a local file with a higher version, or the
    same version with other content, is kept and reported."""
    from fieldkit.sync.service import Refusal

    listed = api.call("GET", "/api/v1/sla")
    if listed.status == 404:
        return  # none published (or a server from before publishing): the built-in ones apply
    from fieldkit.sla import load_sla

    if listed.status != 200:
        result.refused.append(Refusal(SERVICE_LEVELS,
                                      f"could not be listed ({listed.status}): {listed.detail}"))
        return  # fmt: skip
    item = listed.json()
    target = paths.centre_sla_file()
    try:
        mine = load_sla(target).version if target.is_file() else None
    except ValidationFailed:
        mine = None  # a damaged copy is replaced by the centre's
    if mine is not None:
        ours, theirs = version_key(mine), version_key(item["version"])
        if ours > theirs or (ours == theirs and _sha256(target) != item["sha256"]):
            result.service_levels_kept = Refusal(
                SERVICE_LEVELS,
                f"kept {target} (version {mine}): the centre publishes {item['version']}",
            )
            return
        if ours == theirs:
            return

    def check(temp: Path) -> str | None:
        if load_sla(temp).version != item["version"]:
            return "the published file's version differs from the listing; not installed"
        return None

    problem = _install_checked(
        api, f"/api/v1/sla/{quote(item['version'], safe='')}", item["sha256"], target, check
    )
    if problem:
        result.refused.append(Refusal(SERVICE_LEVELS, problem))
    else:
        result.service_levels_installed = item["version"]
